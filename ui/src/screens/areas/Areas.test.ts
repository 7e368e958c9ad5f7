// The Gebieden screen against a mocked Rust side: the tree, an area's page, a new area.
import { afterEach, describe, expect, it } from 'vitest';
import Gebieden from '../Gebieden.svelte';
import { cleanup, mockCommands, render, settle } from '../../test/mock';
import type { AreaNode, AreaPage, WriteRequest } from '../../lib/ipc';

afterEach(() => {
  cleanup();
  location.hash = '';
});

const tree: AreaNode[] = [
  { id: 'a0', name: 'Bergen', kind: 'municipality', parent_id: null, inhabitants: 29540, cbs_code: 'GM0373', retention_days: null, depth: 0 },
  { id: 'a1', name: 'Groet', kind: 'core', parent_id: 'a0', inhabitants: 520, cbs_code: 'WK037305', retention_days: null, depth: 1 },
  { id: 'a2', name: 'Schoorl', kind: 'core', parent_id: 'a0', inhabitants: 6210, cbs_code: null, retention_days: null, depth: 1 },
];

function pageOf(id: string): AreaPage {
  const area = tree.find((a) => a.id === id)!;
  return {
    area,
    path: id === 'a0' ? [] : [tree[0]],
    children: tree.filter((a) => a.parent_id === id),
    inhabitants: area.inhabitants,
    organisations: [{ id: 'o1', name: 'Dorpsraad Groet', kind: 'dorpsraad', email: null, phone: null }],
    meetings: [
      {
        id: 'm1',
        kind: 'kernoverleg',
        title: 'Kernoverleg Groet',
        starts_at: '2026-03-12T18:30:00Z',
        ends_at: '2026-03-12T20:30:00Z',
        time_zone: 'Europe/Amsterdam',
        location: 'Dorpshuis',
        status: 'planned',
        organisation_id: 'o1',
        organisation_name: 'Dorpsraad Groet',
        area_id: 'a1',
        area_name: 'Groet',
      },
    ],
    visits: [],
    open_action_points: [
      {
        id: 'ap1',
        title: 'Kapotte lantaarnpaal Voorstraat',
        status: 'open',
        due_date: '2025-12-01',
        opened_on: '2025-11-01',
        area_id: 'a1',
        area_name: 'Groet',
        owner_organisation_id: null,
        owner_name: 'Openbare Ruimte',
        requester_organisation_id: 'o1',
        requester_name: 'Dorpsraad Groet',
        days_overdue: 44,
      },
      {
        id: 'ap2',
        title: 'Bankje bij de kerk',
        status: 'in_progress',
        due_date: '2026-06-01',
        opened_on: '2026-01-01',
        area_id: 'a1',
        area_name: 'Groet',
        owner_organisation_id: null,
        owner_name: null,
        requester_organisation_id: null,
        requester_name: null,
        days_overdue: 0,
      },
    ],
    open_action_point_count: 2,
  };
}

describe('Gebieden', () => {
  it('shows the tree and the first root without an id', async () => {
    const calls = mockCommands({ area_tree: tree, area_page: (args: Record<string, unknown>) => pageOf(args.id as string) });
    const page = await render(Gebieden, { id: null, params: new URLSearchParams() });
    const items = [...page.querySelectorAll('[data-testid="area-tree-item"]')];
    expect(items.map((a) => a.querySelector('.name')?.textContent)).toEqual(['Bergen', 'Groet', 'Schoorl']);
    expect(items[0].textContent).toContain('29.540 inw.');
    expect(items[0].getAttribute('aria-current')).toBe('page');
    expect(calls.find((c) => c.cmd === 'area_page')?.args).toEqual({ id: 'a0' });
    expect(page.querySelector('h1')?.textContent).toBe('Bergen');

    // Arrow keys walk through the tree.
    (items[0] as HTMLElement).focus();
    items[0].dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    expect(document.activeElement).toBe(items[1]);
  });

  it("shows an area's organisations, meetings and open action points", async () => {
    mockCommands({ area_tree: tree, area_page: (args: Record<string, unknown>) => pageOf(args.id as string) });
    const page = await render(Gebieden, { id: 'a1', params: new URLSearchParams() });
    expect(page.querySelector('h1')?.textContent).toBe('Groet');
    expect(page.querySelector('[data-testid="area-breadcrumb"]')?.textContent).toContain('Bergen');
    expect(page.querySelector('[data-testid="area-kind"]')?.textContent).toBe('Kern');
    expect(page.querySelector('[data-testid="area-cbs"]')?.textContent).toBe('WK037305');
    expect(page.querySelector('[data-testid="area-organisations"] a')?.getAttribute('href')).toBe('#/organisaties/o1');
    expect(page.querySelector('[data-testid="area-meetings"] a')?.getAttribute('href')).toBe('#/vergaderingen/m1');
    expect(page.querySelector('[data-testid="area-meetings"]')?.textContent).toContain('19:30');
    expect(page.querySelector('[data-testid="area-ap-count"]')?.textContent).toBe('2');
    const rows = page.querySelectorAll('[data-testid="area-ap"]');
    expect(rows.length).toBe(2);
    expect(rows[0].querySelector('a')?.getAttribute('href')).toBe('#/actiepunten/ap1');
    expect(rows[0].querySelector('[data-testid="area-ap-late"]')?.textContent).toContain('44 dagen');
    expect(rows[1].querySelector('[data-testid="area-ap-late"]')).toBeNull();
    expect(page.querySelector('[data-testid="area-all-action-points"]')?.getAttribute('href')).toBe(
      '#/actiepunten?area=a1',
    );
  });

  it('makes a new area within the one shown', async () => {
    const calls = mockCommands({
      area_tree: tree,
      area_page: (args: Record<string, unknown>) => pageOf((args.id as string) === 'a9' ? 'a1' : (args.id as string)),
      write_records: { ids: ['a9'] },
    });
    const { runNew } = await import('../../lib/keys');
    await render(Gebieden, { id: 'a1', params: new URLSearchParams() });
    expect(runNew()).toBe(true);
    await settle();
    const name = document.querySelector<HTMLInputElement>('[data-testid="area-form-name"]')!;
    name.value = 'Groet-Noord';
    name.dispatchEvent(new Event('input', { bubbles: true }));
    const inhabitants = document.querySelector<HTMLInputElement>('[data-testid="area-form-inhabitants"]')!;
    inhabitants.value = '120';
    inhabitants.dispatchEvent(new Event('input', { bubbles: true }));
    document.querySelector<HTMLButtonElement>('[data-testid="area-save"]')!.click();
    await settle();
    const batch = calls.find((c) => c.cmd === 'write_records')?.args.batch as WriteRequest[];
    expect(batch[0]).toMatchObject({
      op: 'create',
      entity: 'area',
      fields: { name: 'Groet-Noord', kind: 'district', parent_id: 'a1', inhabitants: 120 },
    });
    expect(location.hash).toBe('#/gebieden/a9');
  });

  it("sets the municipality's retention period for personal data, and only there", async () => {
    const calls = mockCommands({ area_tree: tree, area_page: (args: Record<string, unknown>) => pageOf(args.id as string), write_records: { ids: [] } });
    await render(Gebieden, { id: 'a1', params: new URLSearchParams() });
    document.querySelector<HTMLButtonElement>('[data-testid="area-edit"]')!.click();
    await settle();
    expect(document.querySelector('[data-testid="area-form-retention"]')).toBeNull(); // a kern has none
    document.querySelector<HTMLButtonElement>('[data-testid="area-dialog"] button')?.click();
    cleanup();

    const again = mockCommands({ area_tree: tree, area_page: (args: Record<string, unknown>) => pageOf(args.id as string), write_records: { ids: [] } });
    await render(Gebieden, { id: 'a0', params: new URLSearchParams() });
    document.querySelector<HTMLButtonElement>('[data-testid="area-edit"]')!.click();
    await settle();
    const retention = document.querySelector<HTMLInputElement>('[data-testid="area-form-retention"]')!;
    expect(document.body.textContent).toContain('730 dagen');
    retention.value = '1095';
    retention.dispatchEvent(new Event('input', { bubbles: true }));
    document.querySelector<HTMLButtonElement>('[data-testid="area-save"]')!.click();
    await settle();
    const batch = again.find((c) => c.cmd === 'write_records')?.args.batch as WriteRequest[];
    expect(batch[0]).toMatchObject({ op: 'update', entity: 'area', id: 'a0', fields: { retention_days: 1095 } });
    expect(calls.some((c) => c.cmd === 'write_records')).toBe(false);
  });
});

