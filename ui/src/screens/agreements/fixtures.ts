// Agreements for the Overeenkomsten tests: Groet's with three projects, and Schoorl's holding
// five (more than an agreement should: flagged).
import type { AgreementPage, AgreementRow } from '../../lib/ipc';
import { speeltuinPage } from '../projects/fixtures';

export const groetRow: AgreementRow = {
  id: 'g1',
  title: 'Kernovereenkomst Groet 2026',
  area_id: 'a1',
  area: 'Groet',
  status: 'vastgesteld',
  period_start: '2026-01-01',
  period_end: '2026-12-31',
  adopted_on: '2026-02-10',
  projects: 3,
  too_many_projects: false,
  budget_cents: 2_500_000,
};

export const schoorlRow: AgreementRow = {
  id: 'g2',
  title: 'Kernovereenkomst Schoorl 2026–2027',
  area_id: 'a2',
  area: 'Schoorl',
  status: 'concept',
  period_start: '2026-01-01',
  period_end: '2027-12-31',
  adopted_on: null,
  projects: 5,
  too_many_projects: true,
  budget_cents: 9_000_000,
};

/** Groet's agreement as its page (and PDF) shows it: one project, discussed once. */
export const groetPage: AgreementPage = {
  id: 'g1',
  record: {
    id: 'g1',
    title: 'Kernovereenkomst Groet 2026',
    area_id: 'a1',
    kernoverleg_id: 'o-ko',
    period_start: '2026-01-01',
    period_end: '2026-12-31',
    status: 'vastgesteld',
    adopted_on: '2026-02-10',
    notes: null,
  },
  title: 'Kernovereenkomst Groet 2026',
  area: { id: 'a1', name: 'Groet' },
  area_kind: 'core',
  municipality: 'Bergen',
  kernoverleg: { id: 'o-ko', name: 'Kernoverleg Groet' },
  period_start: '2026-01-01',
  period_end: '2026-12-31',
  status: 'vastgesteld',
  adopted_on: '2026-02-10',
  notes: 'Afgesproken in het voorjaarsoverleg.',
  projects: [speeltuinPage.project],
  too_many_projects: false,
  discussed: [
    {
      kind: 'agenda_item',
      id: 'ai2',
      parent_id: 'm-ko',
      parent_title: 'Kernoverleg Groet voorjaar',
      starts_at: '2026-02-10T18:30:00Z',
      text: 'Kernovereenkomst 2026 vaststellen',
    },
  ],
  budget_cents: 1_250_000,
  signatories: [
    { on_behalf_of: 'Namens het kernoverleg Groet', name: 'Anna de Vries', role: 'chair' },
    { on_behalf_of: 'Namens de gemeente Bergen', name: null, role: 'alderman' },
  ],
};
