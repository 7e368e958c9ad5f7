// A small "Vandaag" overview, shaped as the Rust side sends it.
import type { TodayOverview } from '../lib/ipc';

export const overview: TodayOverview = {
  today: '2026-01-14',
  week_start: '2026-01-12',
  week_end: '2026-01-18',
  meetings: [
    {
      id: '019bb2f0-0000-7000-8000-000000000001',
      kind: 'kernoverleg',
      title: 'Kernoverleg Egmond aan Zee',
      starts_at: '2026-01-14T18:30:00Z',
      ends_at: '2026-01-14T20:30:00Z',
      time_zone: 'Europe/Amsterdam',
      location: 'Dorpshuis De Schulp',
      status: 'planned',
      context: 'Kernoverleg Egmond aan Zee',
    },
  ],
  visits: [],
  overdue_count: 7,
  overdue: [
    {
      id: '019bb2f0-0000-7000-8000-000000000002',
      title: 'Kapotte lantaarnpaal Voorstraat',
      status: 'open',
      due_date: '2025-12-01',
      opened_on: '2025-11-01',
      area_id: null,
      area_name: null,
      owner_organisation_id: null,
      owner_name: 'Openbare Ruimte',
      requester_organisation_id: null,
      requester_name: 'Dorpsraad Groet',
      days_overdue: 44,
    },
  ],
  vacancies: [
    {
      organisation_id: '019bb2f0-0000-7000-8000-000000000003',
      name: 'Dorpsraad Groet',
      board_size: 5,
      seated: 3,
      empty_seats: 2,
      missing_positions: ['treasurer'],
    },
  ],
};
