// A small municipality for the Projecten and Overeenkomsten tests: Bergen with the kernen Groet
// and Schoorl, a department, a kernoverleg and a partner; shaped as the Rust side sends them.
import type { AreaNode, ListPage, OrganisationRow, ProjectPage, ProjectRow } from '../../lib/ipc';

export const bergen: AreaNode = { id: 'a0', name: 'Bergen', kind: 'municipality', parent_id: null, inhabitants: 29000, cbs_code: 'GM0373', retention_days: null, depth: 0 };
export const groet: AreaNode = { id: 'a1', name: 'Groet', kind: 'core', parent_id: 'a0', inhabitants: 500, cbs_code: null, retention_days: null, depth: 1 };
export const schoorl: AreaNode = { id: 'a2', name: 'Schoorl', kind: 'core', parent_id: 'a0', inhabitants: 6000, cbs_code: null, retention_days: null, depth: 1 };
export const areas: AreaNode[] = [bergen, groet, schoorl];

export const openbareRuimte: OrganisationRow = { id: 'o-dep', name: 'Openbare Ruimte', kind: 'department', email: null, phone: null };
export const kernoverlegGroet: OrganisationRow = { id: 'o-ko', name: 'Kernoverleg Groet', kind: 'kernoverleg', email: null, phone: null };
export const dorpsraadGroet: OrganisationRow = { id: 'o-dr', name: 'Dorpsraad Groet', kind: 'dorpsraad', email: null, phone: null };

/** `organisation_list`, answering a `kind` filter as the Rust side does. */
export function organisations(args: Record<string, unknown>): ListPage<OrganisationRow> {
  const all = [dorpsraadGroet, kernoverlegGroet, openbareRuimte];
  const kind = (args.query as { kind?: string }).kind;
  const items = kind ? all.filter((o) => o.kind === kind) : all;
  return { offset: 0, total: items.length, items };
}

/** A project in preparation in Groet with one milestone past its date. */
export const speeltuinRow: ProjectRow = {
  id: 'p1',
  title: 'Speeltuin Groet opknappen',
  status: 'voorbereiding',
  participation_step: 'coproduceren',
  department: 'Openbare Ruimte',
  areas: ['Groet'],
  agreement_id: 'g1',
  agreement: 'Kernovereenkomst Groet 2026',
  budget_cents: 1_250_000,
  start_date: '2026-03-01',
  end_date: '2026-11-30',
  milestones_late: 1,
};

/** A municipal plan for the whole municipality, without an agreement. */
export const fietspadRow: ProjectRow = {
  id: 'p2',
  title: 'Fietspad Hargerweg',
  status: 'uitvoering',
  participation_step: 'informeren',
  department: 'Openbare Ruimte',
  areas: ['Bergen'],
  agreement_id: null,
  agreement: null,
  budget_cents: null,
  start_date: null,
  end_date: null,
  milestones_late: 0,
};

/** The speeltuin's page: a milestone reached, one late, a linked action point, an agenda item. */
export const speeltuinPage: ProjectPage = {
  project: {
    id: 'p1',
    title: 'Speeltuin Groet opknappen',
    description: 'Nieuwe toestellen en een bankje.',
    areas: [{ id: 'a1', name: 'Groet' }],
    department: { id: 'o-dep', name: 'Openbare Ruimte' },
    department_contact: { id: 'c1', name: 'Piet Bakker' },
    participation_step: 'coproduceren',
    organisations: [{ id: 'o-dr', name: 'Dorpsraad Groet' }],
    contacts: [],
    budget_cents: 1_250_000,
    status: 'voorbereiding',
    agreement_id: 'g1',
    start_date: '2026-03-01',
    end_date: '2026-11-30',
    milestones: [
      { id: 'm1', date: '2026-03-15', title: 'Ontwerp met bewoners', done_on: '2026-03-14' },
      { id: 'm2', date: '2026-05-01', title: 'Aanbesteding', done_on: null },
    ],
  },
  record: {
    id: 'p1',
    title: 'Speeltuin Groet opknappen',
    description: 'Nieuwe toestellen en een bankje.',
    area_ids: ['a1'],
    department_id: 'o-dep',
    department_contact_id: 'c1',
    participation_step: 'coproduceren',
    organisation_ids: ['o-dr'],
    budget_cents: 1_250_000,
    status: 'voorbereiding',
    agreement_id: 'g1',
    start_date: '2026-03-01',
    end_date: '2026-11-30',
  },
  agreement: { id: 'g1', name: 'Kernovereenkomst Groet 2026' },
  action_points: [
    { id: 'ap1', title: 'Offerte toestellen opvragen', status: 'open', due_date: '2026-04-01', owner: 'Openbare Ruimte' },
  ],
  mentions: [
    {
      kind: 'agenda_item',
      id: 'ai1',
      parent_id: 'm-ko',
      parent_title: 'Kernoverleg Groet voorjaar',
      starts_at: '2026-02-10T18:30:00Z',
      text: 'Speeltuin: wensen van de kinderen',
    },
  ],
  committed_cents: 500_000,
  spent_cents: 120_000,
};
