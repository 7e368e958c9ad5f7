// The Bezoeken screen against a mocked Rust side: planning a visit, the route's order, the
// invitees, and an action point made from a finding.
import { afterEach, describe, expect, it } from 'vitest';
import Bezoeken from '../Bezoeken.svelte';
import { cleanup, mockCommands, render, settle, type Call } from '../../test/mock';
import { runNew } from '../../lib/keys';
import { addDays, todayInAmsterdam } from '../../lib/format';
import type { AreaNode, VisitPage, WriteRequest } from '../../lib/ipc';

afterEach(() => {
  cleanup();
  location.hash = '';
});

const areas: AreaNode[] = [
  { id: 'a0', name: 'Bergen', kind: 'municipality', parent_id: null, inhabitants: null, cbs_code: null, retention_days: null, depth: 0 },
  { id: 'a1', name: 'Groet', kind: 'core', parent_id: 'a0', inhabitants: 500, cbs_code: null, retention_days: null, depth: 1 },
];

function visitPage(): VisitPage {
  return {
    visit: {
      id: 'v1',
      kind: 'kernbezoek',
      title: 'Kernbezoek Groet',
      area_id: 'a1',
      starts_at: '2026-03-12T13:00:00Z',
      ends_at: '2026-03-12T16:00:00Z',
      time_zone: 'Europe/Amsterdam',
      location: 'Dorpshuis',
      status: 'planned',
    },
    stops: [
      { id: 's1', visit_id: 'v1', position: 0, place: 'Dorpshuis', arrives_at: '14:00' },
      { id: 's2', visit_id: 'v1', position: 1, place: 'Speeltuin', arrives_at: '14:30', topic: 'Hekwerk' },
      { id: 's3', visit_id: 'v1', position: 2, place: 'Kerkplein', arrives_at: '15:00' },
    ],
    invitees: [
      { id: 'i1', contact_id: 'c1', contact_name: 'An de Vries', email: 'an@groet.nl', response: 'pending' },
    ],
    findings: [{ id: 'f1', visit_id: 'v1', stop_id: 's2', text: 'Hek bij de speeltuin is kapot' }],
  };
}

function batches(calls: Call[]): WriteRequest[][] {
  return calls.filter((c) => c.cmd === 'write_records').map((c) => c.args.batch as WriteRequest[]);
}

describe('Bezoeken', () => {
  it('lists visits from today and plans a new one with Ctrl+N', async () => {
    const calls = mockCommands({
      area_tree: areas,
      visit_list: { offset: 0, total: 0, items: [] },
      write_records: { ids: ['v9'] },
    });
    await render(Bezoeken, { id: null, params: new URLSearchParams() });
    const query = calls.find((c) => c.cmd === 'visit_list')!.args.query as Record<string, unknown>;
    expect(query).toMatchObject({ from: todayInAmsterdam(), newest_first: false, offset: 0 });

    document.querySelector<HTMLInputElement>('[data-testid="visit-include-past"]')!.click();
    await settle();
    const again = calls.filter((c) => c.cmd === 'visit_list').map((c) => c.args.query as Record<string, unknown>);
    expect(again.length).toBe(2);
    expect(again[1].from).toBeUndefined();

    expect(runNew()).toBe(true);
    await settle();
    const set = (testid: string, value: string, event = 'input') => {
      const el = document.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-testid="${testid}"]`)!;
      el.value = value;
      el.dispatchEvent(new Event(event, { bubbles: true }));
    };
    set('visit-title', 'Kernbezoek Groet');
    set('visit-area', 'a1', 'change');
    set('visit-date', '2026-03-12');
    document.querySelector<HTMLButtonElement>('[data-testid="visit-save"]')!.click();
    await settle();
    const [batch] = batches(calls);
    expect(batch[0]).toMatchObject({
      op: 'create',
      entity: 'visit',
      fields: {
        kind: 'kernbezoek',
        title: 'Kernbezoek Groet',
        area_id: 'a1',
        starts_at: '2026-03-12T14:00:00',
        ends_at: '2026-03-12T17:00:00',
        status: 'planned',
      },
    });
    expect(location.hash).toBe('#/bezoeken/v9');
  });

  it('refuses a visit without an area before writing', async () => {
    const calls = mockCommands({ area_tree: areas, visit_list: { offset: 0, total: 0, items: [] } });
    await render(Bezoeken, { id: null, params: new URLSearchParams() });
    document.querySelector<HTMLButtonElement>('[data-testid="new-visit"]')!.click();
    await settle();
    const title = document.querySelector<HTMLInputElement>('[data-testid="visit-title"]')!;
    title.value = 'Wijkschouw';
    title.dispatchEvent(new Event('input', { bubbles: true }));
    document.querySelector<HTMLButtonElement>('[data-testid="visit-save"]')!.click();
    await settle();
    expect(batches(calls)).toEqual([]);
    expect(document.querySelector('[data-testid="visit-dialog"]')?.textContent).toContain('Kies het gebied');
  });

  it('moves a route stop with Alt+ArrowUp, writing the positions in one batch', async () => {
    const calls = mockCommands({ area_tree: areas, visit_page: visitPage(), write_records: { ids: [] } });
    const page = await render(Bezoeken, { id: 'v1', params: new URLSearchParams() });
    const stops = page.querySelector('[data-testid="visit-stops"]')!;
    expect([...stops.querySelectorAll('[data-testid="stop-place"]')].map((e) => e.textContent)).toEqual([
      'Dorpshuis',
      'Speeltuin',
      'Kerkplein',
    ]);

    const third = stops.querySelectorAll<HTMLButtonElement>('[data-testid="stop-up"]')[2];
    third.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', altKey: true, bubbles: true }));
    await settle();
    let writes = batches(calls);
    expect(writes.length).toBe(1);
    expect(writes[0]).toEqual([
      { op: 'update', entity: 'stop', id: 's3', fields: { position: 1 } },
      { op: 'update', entity: 'stop', id: 's2', fields: { position: 2 } },
    ]);

    // The buttons do the same (the mocked page comes back in its first order).
    stops.querySelectorAll<HTMLButtonElement>('[data-testid="stop-down"]')[0].click();
    await settle();
    writes = batches(calls);
    expect(writes.length).toBe(2);
    expect(writes[1]).toEqual([
      { op: 'update', entity: 'stop', id: 's2', fields: { position: 0 } },
      { op: 'update', entity: 'stop', id: 's1', fields: { position: 1 } },
    ]);
  });

  it('adds a stop with Enter and invites a contact found by name', async () => {
    const calls = mockCommands({
      area_tree: areas,
      visit_page: visitPage(),
      write_records: { ids: ['x'] },
      contact_list: {
        offset: 0,
        total: 1,
        items: [{ id: 'c2', name: 'Bert Bakker', email: 'bert@groet.nl', phone: null, organisations: 'Dorpsraad Groet' }],
      },
    });
    const page = await render(Bezoeken, { id: 'v1', params: new URLSearchParams() });
    const place = page.querySelector<HTMLInputElement>('[data-testid="stop-new-place"]')!;
    place.value = 'Bushalte';
    place.dispatchEvent(new Event('input', { bubbles: true }));
    place.form!.requestSubmit();
    await settle();
    expect(batches(calls)[0]).toEqual([
      { op: 'create', entity: 'stop', id: null, fields: { visit_id: 'v1', place: 'Bushalte' } },
    ]);

    const search = page.querySelector<HTMLInputElement>('[data-testid="invitee-search"]')!;
    search.value = 'bert';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    await settle(300);
    expect(calls.find((c) => c.cmd === 'contact_list')?.args.query).toMatchObject({ text: 'bert', limit: 8 });
    page.querySelector<HTMLButtonElement>('[data-testid="invitee-option"]')!.click();
    await settle();
    expect(batches(calls)[1]).toEqual([
      { op: 'create', entity: 'invitee', id: null, fields: { visit_id: 'v1', contact_id: 'c2', response: 'pending' } },
    ]);

    const response = page.querySelector<HTMLSelectElement>('[data-testid="invitee-response"]')!;
    response.value = 'accepted';
    response.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(batches(calls)[2]).toEqual([
      { op: 'create', entity: 'invitee', id: null, fields: { visit_id: 'v1', contact_id: 'c1', response: 'accepted' } },
    ]);
  });

  it('makes an action point from a finding, with the finding as its source', async () => {
    const calls = mockCommands({
      area_tree: areas,
      visit_page: visitPage(),
      organisation_list: {
        offset: 0,
        total: 1,
        items: [{ id: 'o2', name: 'Openbare Ruimte', kind: 'department', email: null, phone: null }],
      },
      write_records: { ids: ['ap7'] },
    });
    const page = await render(Bezoeken, { id: 'v1', params: new URLSearchParams() });
    const findings = page.querySelector('[data-testid="visit-findings"]')!;
    expect(findings.textContent).toContain('bij Speeltuin');
    findings.querySelector<HTMLButtonElement>('[data-testid="finding-action-point"]')!.click();
    await settle();
    const title = document.querySelector<HTMLInputElement>('[data-testid="ap-title"]')!;
    expect(title.value).toBe('Hek bij de speeltuin is kapot');
    expect(document.querySelector<HTMLInputElement>('[data-testid="ap-due"]')!.value).toBe(
      addDays(todayInAmsterdam(), 30),
    );
    const owner = document.querySelector<HTMLSelectElement>('[data-testid="ap-owner"]')!;
    owner.value = 'o2';
    owner.dispatchEvent(new Event('change', { bubbles: true }));
    document.querySelector<HTMLButtonElement>('[data-testid="ap-save"]')!.click();
    await settle();

    const [batch] = batches(calls);
    expect(batch[0]).toMatchObject({
      op: 'create',
      entity: 'action_point',
      fields: {
        title: 'Hek bij de speeltuin is kapot',
        source_finding_id: 'f1',
        area_id: 'a1',
        status: 'open',
        opened_on: todayInAmsterdam(),
        due_date: addDays(todayInAmsterdam(), 30),
        owner_organisation_id: 'o2',
      },
    });
    expect(document.querySelector('[data-testid="ap-dialog"]')).toBeNull();
    expect(findings.querySelector('[data-testid="finding-made-link"]')?.getAttribute('href')).toBe('#/actiepunten/ap7');
  });
});
