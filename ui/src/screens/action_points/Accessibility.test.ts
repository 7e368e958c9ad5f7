// axe-core over the three screens of this part (serious and critical findings, and heading order)
// in jsdom; colour contrast needs a real browser and is left to the end-to-end check.
import { afterEach, describe, expect, it } from 'vitest';
import axe from 'axe-core';
import Actiepunten from '../Actiepunten.svelte';
import Bezoeken from '../Bezoeken.svelte';
import Gebieden from '../Gebieden.svelte';
import { cleanup, mockCommands, render, settle } from '../../test/mock';

afterEach(() => cleanup());

const tree = [
  { id: 'a0', name: 'Bergen', kind: 'municipality', parent_id: null, inhabitants: 29540, cbs_code: 'GM0373', retention_days: null, depth: 0 },
  { id: 'a1', name: 'Groet', kind: 'core', parent_id: 'a0', inhabitants: 520, cbs_code: null, retention_days: null, depth: 1 },
];
const orgs = { offset: 0, total: 1, items: [{ id: 'o1', name: 'Dorpsraad', kind: 'dorpsraad', email: null, phone: null }] };
const summary = { id: 'ap1', title: 'Lamp', status: 'open', due_date: '2025-12-01', opened_on: '2025-11-01', area_id: 'a1', area_name: 'Groet', owner_organisation_id: null, owner_name: 'X', requester_organisation_id: null, requester_name: null, days_overdue: 3 };
const answers = {
  area_tree: tree,
  organisation_list: orgs,
  action_point_list: { offset: 0, total: 1, items: [summary] },
  visit_list: { offset: 0, total: 1, items: [{ id: 'v1', kind: 'kernbezoek', title: 'KB', starts_at: '2026-03-12T13:00:00Z', ends_at: '2026-03-12T16:00:00Z', time_zone: 'Europe/Amsterdam', location: null, status: 'planned', organisation_id: null, organisation_name: null, area_id: 'a1', area_name: 'Groet' }] },
  get_record: { id: 'ap1', title: 'Lamp', status: 'open', opened_on: '2025-11-01', due_date: '2025-12-01' },
  action_point_history: [{ id: 'e1', kind: 'comment', from_status: null, to_status: null, comment: 'x', at: '2026-01-01T10:00:00Z', author: null }],
  visit_page: {
    visit: { id: 'v1', kind: 'kernbezoek', title: 'KB', area_id: 'a1', starts_at: '2026-03-12T13:00:00Z', ends_at: '2026-03-12T16:00:00Z', time_zone: 'Europe/Amsterdam', status: 'planned' },
    stops: [{ id: 's1', visit_id: 'v1', position: 0, place: 'P', arrives_at: '14:00' }, { id: 's2', visit_id: 'v1', position: 1, place: 'Q' }],
    invitees: [{ id: 'i1', contact_id: 'c1', contact_name: 'An', email: null, response: 'pending' }],
    findings: [{ id: 'f1', visit_id: 'v1', text: 'Hek' }],
  },
  area_page: { area: tree[1], path: [tree[0]], children: [], inhabitants: 520, organisations: orgs.items, meetings: [], visits: [], open_action_points: [summary], open_action_point_count: 1 },
};

async function check(): Promise<string[]> {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical' || v.id === 'heading-order').map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
}

describe('accessibility of Actiepunten, Bezoeken and Gebieden', () => {
  for (const [name, comp, id] of [
    ['ap list', Actiepunten, null], ['ap page', Actiepunten, 'ap1'],
    ['visit list', Bezoeken, null], ['visit page', Bezoeken, 'v1'],
    ['areas', Gebieden, 'a1'],
  ] as const) {
    it(name, async () => {
      mockCommands(answers);
      await render(comp as never, { id, params: new URLSearchParams() } as never);
      await settle();
      expect(await check()).toEqual([]);
    });
  }
  it('the dialog of an action point made from a finding', async () => {
    mockCommands(answers);
    await render(Bezoeken as never, { id: 'v1', params: new URLSearchParams() } as never);
    document.querySelector<HTMLButtonElement>('[data-testid="finding-action-point"]')!.click();
    await settle();
    expect(await check()).toEqual([]);
  });
});
