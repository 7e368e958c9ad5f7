// Answers of the Rust side for this folder's tests, shaped as it sends them.
import type { Board, ContactPage, OrganisationRecord, RoleView } from '../../lib/ipc';

export const ORG = '019bb2f0-0000-7000-8000-0000000000a1';

export const organisation: OrganisationRecord = {
  id: ORG,
  name: 'Wijkvereniging Oost',
  kind: 'wijkvereniging',
  email: 'bestuur@oost.nl',
  phone: '072 555 0101',
  website: null,
  board_size: 5,
  notes: 'Vergadert in De Hoeksteen.',
};

function role(over: Partial<RoleView>): RoleView {
  return {
    id: 'r',
    contact_id: 'c',
    contact_name: '',
    organisation_id: ORG,
    organisation_name: organisation.name,
    kind: 'board_member',
    title: null,
    start_date: '2024-01-01',
    end_date: null,
    current: true,
    ...over,
  };
}

export const chair = role({ id: 'r1', contact_id: 'c1', contact_name: 'Anna de Vries', kind: 'chair', start_date: '2023-05-01' });
export const secretary = role({ id: 'r2', contact_id: 'c2', contact_name: 'Piet Bakker', kind: 'secretary' });
export const formerTreasurer = role({
  id: 'r3',
  contact_id: 'c3',
  contact_name: 'Kees Smit',
  kind: 'treasurer',
  start_date: '2020-01-01',
  end_date: '2025-06-30',
  current: false,
});

export const board: Board = {
  organisation_id: ORG,
  board_size: 5,
  current: [chair, secretary],
  history: [secretary, chair, formerTreasurer],
  empty_seats: 3,
  missing_positions: ['treasurer'],
};

export const contactPageAnswer: ContactPage = {
  contact: {
    id: 'c1',
    name: 'Anna de Vries',
    email: 'anna@example.nl',
    phone: '06 1234 5678',
    address: null,
    notes: null,
  },
  roles: [
    chair,
    {
      ...formerTreasurer,
      id: 'r9',
      contact_id: 'c1',
      contact_name: 'Anna de Vries',
      organisation_id: 'o2',
      organisation_name: 'Dorpsraad Groet',
    },
  ],
  meetings: [
    {
      meeting_id: 'm1',
      title: 'Ledenvergadering voorjaar',
      kind: 'ledenvergadering',
      starts_at: '2026-03-12T18:30:00Z',
      status: 'present',
    },
    {
      meeting_id: 'm2',
      title: 'Bestuursoverleg januari',
      kind: 'bestuursoverleg',
      starts_at: '2026-01-08T18:30:00Z',
      status: 'excused',
    },
  ],
  action_points: [
    {
      id: 'a1',
      title: 'Bankje bij de speeltuin',
      status: 'open',
      due_date: '2026-02-01',
      opened_on: '2026-01-02',
      area_id: null,
      area_name: null,
      owner_organisation_id: null,
      owner_name: 'Openbare Ruimte',
      requester_organisation_id: ORG,
      requester_name: 'Anna de Vries',
      days_overdue: 0,
    },
  ],
};
