// The Actiepunten screen against a mocked Rust side: the filtered list and one action point's
// status changes with their history.
import { afterEach, describe, expect, it } from 'vitest';
import Actiepunten from '../Actiepunten.svelte';
import { cleanup, mockCommands, render, settle, type Call } from '../../test/mock';
import { toasts } from '../../lib/toast.svelte';
import type { ActionPointEvent, ActionPointRecord, ActionPointSummary, AreaNode } from '../../lib/ipc';

afterEach(() => {
  cleanup();
  location.hash = '';
});

const areas: AreaNode[] = [
  { id: 'a0', name: 'Bergen', kind: 'municipality', parent_id: null, inhabitants: 29000, cbs_code: 'GM0373', retention_days: null, depth: 0 },
  { id: 'a1', name: 'Groet', kind: 'core', parent_id: 'a0', inhabitants: 500, cbs_code: null, retention_days: null, depth: 1 },
];
const organisations = {
  offset: 0,
  total: 2,
  items: [
    { id: 'o1', name: 'Dorpsraad Groet', kind: 'dorpsraad', email: null, phone: null },
    { id: 'o2', name: 'Openbare Ruimte', kind: 'department', email: null, phone: null },
  ],
};
const summary: ActionPointSummary = {
  id: 'ap1',
  title: 'Kapotte lantaarnpaal Voorstraat',
  status: 'open',
  due_date: '2025-12-01',
  opened_on: '2025-11-01',
  area_id: 'a1',
  area_name: 'Groet',
  owner_organisation_id: 'o2',
  owner_name: 'Openbare Ruimte',
  requester_organisation_id: 'o1',
  requester_name: 'Dorpsraad Groet',
  days_overdue: 44,
};

function queries(calls: Call[]): Record<string, unknown>[] {
  return calls.filter((c) => c.cmd === 'action_point_list').map((c) => c.args.query as Record<string, unknown>);
}

describe('Actiepunten list', () => {
  it('sends the filters of the link and reloads when a filter changes', async () => {
    const calls = mockCommands({
      area_tree: areas,
      organisation_list: organisations,
      action_point_list: (args: Record<string, unknown>) => ({
        offset: (args.query as { offset: number }).offset,
        total: 1,
        items: [summary],
      }),
    });
    const page = await render(Actiepunten, { id: null, params: new URLSearchParams('area=a1&overdue=1') });

    let sent = queries(calls);
    expect(sent.length).toBe(1);
    expect(sent[0]).toMatchObject({
      area_id: 'a1',
      overdue_only: true,
      statuses: ['open', 'in_progress', 'waiting'],
      offset: 0,
    });
    expect(page.querySelector('[data-testid="ap-row"]')?.textContent).toContain('Kapotte lantaarnpaal Voorstraat');
    expect(page.textContent).toContain('44 dagen over tijd');
    expect(page.querySelector<HTMLSelectElement>('[data-testid="ap-filter-area"]')?.value).toBe('a1');
    expect(page.querySelector<HTMLInputElement>('[data-testid="ap-overdue-only"]')?.checked).toBe(true);

    page.querySelector<HTMLInputElement>('[data-testid="ap-filter-status-done"]')!.click();
    await settle();
    sent = queries(calls);
    expect(sent.length).toBe(2);
    expect(sent[1]).toMatchObject({ statuses: ['open', 'in_progress', 'waiting', 'done'], area_id: 'a1' });

    page.querySelector<HTMLInputElement>('[data-testid="ap-overdue-only"]')!.click();
    await settle();
    sent = queries(calls);
    expect(sent.length).toBe(3);
    expect(sent[2]).toMatchObject({ overdue_only: false });

    const owner = page.querySelector<HTMLSelectElement>('[data-testid="ap-filter-owner"]')!;
    owner.value = 'o2';
    owner.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    sent = queries(calls);
    expect(sent.length).toBe(4);
    expect(sent[3]).toMatchObject({ owner_id: 'o2', area_id: 'a1' });

    const search = page.querySelector<HTMLInputElement>('[data-testid="ap-search"]')!;
    search.value = 'lantaarn';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    await settle(300);
    sent = queries(calls);
    expect(sent[sent.length - 1]).toMatchObject({ text: 'lantaarn' });
  });

  it('makes a new action point with Ctrl+N and opens it', async () => {
    const calls = mockCommands({
      area_tree: areas,
      organisation_list: organisations,
      action_point_list: { offset: 0, total: 0, items: [] },
      write_records: { ids: ['ap9'] },
    });
    const { runNew } = await import('../../lib/keys');
    const page = await render(Actiepunten, { id: null, params: new URLSearchParams() });
    expect(runNew()).toBe(true);
    await settle();
    const title = document.querySelector<HTMLInputElement>('[data-testid="ap-title"]')!;
    title.value = 'Bankje plaatsen';
    title.dispatchEvent(new Event('input', { bubbles: true }));
    const owner = document.querySelector<HTMLSelectElement>('[data-testid="ap-owner"]')!;
    owner.value = 'o2';
    owner.dispatchEvent(new Event('change', { bubbles: true }));
    document.querySelector<HTMLButtonElement>('[data-testid="ap-save"]')!.click();
    await settle();
    const write = calls.find((c) => c.cmd === 'write_records')!;
    const batch = write.args.batch as { op: string; entity: string; fields: Record<string, unknown> }[];
    expect(batch[0]).toMatchObject({
      op: 'create',
      entity: 'action_point',
      fields: { title: 'Bankje plaatsen', owner_organisation_id: 'o2', status: 'open' },
    });
    expect(location.hash).toBe('#/actiepunten/ap9');
    expect(page).toBeTruthy();
  });
});

describe('Actiepunt page', () => {
  const point: ActionPointRecord = {
    id: 'ap1',
    title: 'Kapotte lantaarnpaal Voorstraat',
    description: 'Al drie weken donker.',
    area_id: 'a1',
    source_agenda_item_id: 'ai1',
    requester_organisation_id: 'o1',
    owner_organisation_id: 'o2',
    due_date: '2025-12-01',
    status: 'open',
    opened_on: '2025-11-01',
  };

  function backend(): { calls: Call[]; events: ActionPointEvent[] } {
    const events: ActionPointEvent[] = [
      {
        id: 'e1',
        kind: 'comment',
        from_status: null,
        to_status: null,
        comment: 'Gemeld bij de aannemer.',
        at: '2025-11-02T09:15:00Z',
        author: 'An de Vries',
        proposed_due_date: null,
        from_web: false,
      },
    ];
    let status = 'open';
    const calls = mockCommands({
      area_tree: areas,
      organisation_list: organisations,
      get_record: (args: Record<string, unknown>) => {
        if (args.entity === 'action_point') return { ...point, status };
        if (args.entity === 'agenda_item') return { id: 'ai1', meeting_id: 'm1', position: 0, title: 'Verlichting' };
        throw { code: 'not_found', message: 'weg', field: null };
      },
      action_point_history: () => [...events],
      accept_due_date_proposal: () => null,
      request_reminder: () => null,
      action_point_status: (args: Record<string, unknown>) => {
        events.push({
          id: 'e2',
          kind: 'status_change',
          from_status: status,
          to_status: args.status as string,
          comment: args.comment as string | null,
          at: '2026-01-14T14:05:00Z',
          author: 'An de Vries',
          proposed_due_date: null,
          from_web: false,
        });
        status = args.status as string;
        return null;
      },
      action_point_comment: (args: Record<string, unknown>) => {
        events.push({
          id: 'e3',
          kind: 'comment',
          from_status: null,
          to_status: null,
          comment: args.comment as string,
          at: '2026-01-14T15:00:00Z',
          author: null,
          proposed_due_date: null,
          from_web: false,
        });
        return null;
      },
    });
    return { calls, events };
  }

  it('shows the action point with its source, names and overdue mark', async () => {
    backend();
    const page = await render(Actiepunten, { id: 'ap1', params: new URLSearchParams() });
    expect(page.querySelector('h1')?.textContent).toBe('Kapotte lantaarnpaal Voorstraat');
    expect(page.querySelector('[data-testid="ap-requester-name"]')?.textContent).toContain('Dorpsraad Groet');
    expect(page.querySelector('[data-testid="ap-owner-name"]')?.textContent).toContain('Openbare Ruimte');
    expect(page.querySelector('[data-testid="ap-overdue"]')).not.toBeNull();
    expect(page.querySelector('[data-testid="ap-source"] a')?.getAttribute('href')).toBe('#/vergaderingen/m1');
    expect(page.querySelector('[data-testid="ap-history"]')?.textContent).toContain('2 november 2025 10:15');
    expect(page.querySelector('[data-testid="ap-history"]')?.textContent).toContain('Gemeld bij de aannemer.');
  });

  it('changes the status with a comment in one call and reloads the history', async () => {
    const { calls } = backend();
    const page = await render(Actiepunten, { id: 'ap1', params: new URLSearchParams() });
    const before = calls.filter((c) => c.cmd === 'action_point_history').length;

    const select = page.querySelector<HTMLSelectElement>('[data-testid="ap-status"]')!;
    expect(select.value).toBe('open');
    select.value = 'done';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    const comment = page.querySelector<HTMLTextAreaElement>('[data-testid="ap-comment"]')!;
    comment.value = 'Lamp vervangen op 13 januari.';
    comment.dispatchEvent(new Event('input', { bubbles: true }));
    page.querySelector<HTMLButtonElement>('[data-testid="ap-status-save"]')!.click();
    await settle();

    const status = calls.filter((c) => c.cmd === 'action_point_status');
    expect(status).toEqual([
      { cmd: 'action_point_status', args: { id: 'ap1', status: 'done', comment: 'Lamp vervangen op 13 januari.' } },
    ]);
    expect(calls.filter((c) => c.cmd === 'action_point_history').length).toBeGreaterThan(before);
    const history = page.querySelector('[data-testid="ap-history"]')!;
    expect(history.querySelectorAll('[data-testid="ap-event"]').length).toBe(2);
    expect(history.textContent).toContain('open → afgerond');
    expect(history.textContent).toContain('Lamp vervangen op 13 januari.');
    expect(history.textContent).toContain('14 januari 2026 15:05');
    expect(page.querySelector('[data-testid="ap-current-status"]')?.textContent).toBe('afgerond');
    expect(page.querySelector<HTMLTextAreaElement>('[data-testid="ap-comment"]')?.value).toBe('');
    expect(page.querySelector('[data-testid="ap-overdue"]')).toBeNull();
  });

  it('adds a comment alone without changing the status', async () => {
    const { calls } = backend();
    const page = await render(Actiepunten, { id: 'ap1', params: new URLSearchParams() });
    const comment = page.querySelector<HTMLTextAreaElement>('[data-testid="ap-comment"]')!;
    comment.value = 'Nog geen reactie.';
    comment.dispatchEvent(new Event('input', { bubbles: true }));
    page.querySelector<HTMLButtonElement>('[data-testid="ap-status-save"]')!.click();
    await settle();
    expect(calls.filter((c) => c.cmd === 'action_point_status')).toEqual([]);
    expect(calls.filter((c) => c.cmd === 'action_point_comment')).toEqual([
      { cmd: 'action_point_comment', args: { id: 'ap1', comment: 'Nog geen reactie.' } },
    ]);
    expect(page.querySelector('[data-testid="ap-history"]')?.textContent).toContain('Nog geen reactie.');
  });

  it('shows an answer from the web and takes the due date a colleague proposed', async () => {
    const { calls, events } = backend();
    events.push({
      id: 'e9',
      kind: 'due_date_proposal',
      from_status: null,
      to_status: null,
      comment: 'Eerst de vorst uit de grond.',
      at: '2026-01-10T08:00:00Z',
      author: 'Ans Bakker',
      proposed_due_date: '2026-03-01',
      from_web: true,
    });
    const page = await render(Actiepunten, { id: 'ap1', params: new URLSearchParams() });
    const history = page.querySelector('[data-testid="ap-history"]')!;
    expect(history.textContent).toContain('termijn 1 maart 2026 voorgesteld');
    expect(history.textContent).toContain('door Ans Bakker');
    expect(history.querySelector('[data-testid="ap-via-web"]')?.textContent).toBe('via het web');
    page.querySelector<HTMLButtonElement>('[data-testid="ap-accept-due"]')!.click();
    await settle();
    expect(calls.filter((c) => c.cmd === 'accept_due_date_proposal')).toEqual([
      { cmd: 'accept_due_date_proposal', args: { eventId: 'e9' } },
    ]);
  });

  it('asks the server to mail the owning department a reminder', async () => {
    const { calls } = backend();
    const page = await render(Actiepunten, { id: 'ap1', params: new URLSearchParams() });
    page.querySelector<HTMLButtonElement>('[data-testid="ap-remind"]')!.click();
    await settle();
    expect(calls.filter((c) => c.cmd === 'request_reminder')).toEqual([
      { cmd: 'request_reminder', args: { id: 'ap1' } },
    ]);
    expect(toasts().map((t) => t.message)).toContain('De herinnering gaat mee met de volgende synchronisatie.');
  });
});
