// The Vergaderingen screens against a mocked Rust side: the meeting page (agenda, minutes that
// save themselves, action points from agenda items, attendance, the previous kernoverleg), the
// list, the calendar and the new-meeting form.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Vergaderingen from '../Vergaderingen.svelte';
import { cleanup, mockCommands, render, settle, type Call } from '../../test/mock';
import { setLocale } from '../../lib/i18n.svelte';
import { runNew } from '../../lib/keys';
import { addDays, todayInAmsterdam } from '../../lib/format';
import type { AgendaItemRecord, MeetingPage, WriteRequest } from '../../lib/ipc';
import { draftKey } from './autosave.svelte';

const MEETING = '019c0000-0000-7000-8000-00000000aaaa';
const ORG = '019c0000-0000-7000-8000-00000000b001';
const AREA = '019c0000-0000-7000-8000-00000000c001';

function item(n: number, fields: Partial<AgendaItemRecord> = {}): AgendaItemRecord {
  return {
    id: `019c0000-0000-7000-8000-00000000010${n}`,
    meeting_id: MEETING,
    position: n * 10,
    title: `Punt ${n}`,
    description: null,
    minutes: null,
    decision: null,
    submitted_by_id: null,
    ...fields,
  };
}

function meetingPage(overrides: Partial<MeetingPage> = {}): MeetingPage {
  return {
    meeting: {
      id: MEETING,
      kind: 'ledenvergadering',
      title: 'Ledenvergadering voorjaar',
      organisation_id: ORG,
      area_id: AREA,
      starts_at: '2026-03-12T18:30:00Z',
      ends_at: '2026-03-12T20:30:00Z',
      time_zone: 'Europe/Amsterdam',
      location: 'Dorpshuis De Blinkerd',
      status: 'planned',
    },
    organisation_name: 'Dorpsraad Groet',
    area_name: 'Groet',
    agenda: [item(1), item(2), item(3)],
    attendance: [
      { id: 'att-1', contact_id: 'c-1', contact_name: 'Joke de Vries', status: 'invited' },
      { id: 'att-2', contact_id: 'c-2', contact_name: 'Piet Bakker', status: 'present' },
    ],
    open_action_points: [
      {
        id: 'ap-1',
        title: 'Kapotte lantaarnpaal Voorstraat',
        status: 'open',
        due_date: '2026-02-01',
        opened_on: '2026-01-10',
        area_id: AREA,
        area_name: 'Groet',
        owner_organisation_id: null,
        owner_name: 'Openbare Ruimte',
        requester_organisation_id: ORG,
        requester_name: 'Dorpsraad Groet',
        days_overdue: 12,
      },
    ],
    agenda_action_points: [],
    previous_meeting: null,
    carried_over: [],
    ...overrides,
  };
}

const organisations = {
  offset: 0,
  total: 2,
  items: [
    { id: ORG, name: 'Dorpsraad Groet', kind: 'dorpsraad', email: null, phone: null },
    { id: 'org-2', name: 'Beheer Openbare Ruimte', kind: 'department', email: null, phone: null },
  ],
};

/** The batches written, in order. */
function batches(calls: Call[]): WriteRequest[][] {
  return calls.filter((c) => c.cmd === 'write_records').map((c) => c.args.batch as WriteRequest[]);
}

function pageCommands(page: MeetingPage, extra: Record<string, unknown> = {}) {
  return mockCommands({
    meeting_page: () => page,
    organisation_list: organisations,
    write_records: (args: Record<string, unknown>) => ({ ids: (args.batch as WriteRequest[]).map((w) => ('id' in w && w.id) || 'new-id') }),
    ...extra,
  });
}

const q = <T extends Element = HTMLElement>(root: ParentNode, testid: string) =>
  root.querySelector<T & Element>(`[data-testid="${testid}"]`) as T | null;
const all = (root: ParentNode, testid: string) => [...root.querySelectorAll<HTMLElement>(`[data-testid="${testid}"]`)];

function type(element: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  element.value = value;
  element.dispatchEvent(new Event('input', { bubbles: true }));
}

function click(element: Element | null): void {
  expect(element).not.toBeNull();
  (element as HTMLElement).click();
}

beforeEach(() => {
  localStorage.clear();
  location.hash = '';
});

afterEach(() => {
  cleanup();
  setLocale('nl');
  localStorage.clear();
  location.hash = '';
});

describe('a meeting’s page', () => {
  it('shows the header, the agenda, attendance and the association’s open action points', async () => {
    pageCommands(meetingPage());
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    expect(page.querySelector('h1')?.textContent).toBe('Ledenvergadering voorjaar');
    expect(q(page, 'meeting-when')?.textContent).toContain('19:30');
    expect(q(page, 'meeting-organisation-link')?.getAttribute('href')).toBe(`#/organisaties/${ORG}`);
    expect(all(page, 'agenda-item').map((li) => li.querySelector('.title')?.textContent?.trim())).toEqual([
      '1. Punt 1',
      '2. Punt 2',
      '3. Punt 3',
    ]);
    expect(all(page, 'attendance-row')).toHaveLength(2);
    expect(q(page, 'attendance-counts')?.textContent).toContain('1 aanwezig van 2 genodigden');
    const aside = q(page, 'meeting-open-action-points')!;
    expect(aside.textContent).toContain('Kapotte lantaarnpaal Voorstraat');
    expect(aside.textContent).toContain('12 dagen te laat');
    expect(aside.querySelector('a')?.getAttribute('href')).toBe('#/actiepunten/ap-1');
  });

  it('adds an agenda item with Enter, at the end with a gap', async () => {
    const calls = pageCommands(meetingPage());
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    const input = q<HTMLInputElement>(page, 'agenda-new-title')!;
    type(input, 'Verkeer Voorstraat');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle();

    const written = batches(calls);
    expect(written).toHaveLength(1);
    expect(written[0]).toHaveLength(1);
    expect(written[0][0]).toMatchObject({
      op: 'create',
      entity: 'agenda_item',
      fields: { meeting_id: MEETING, position: 40, title: 'Verkeer Voorstraat', submitted_by_id: null },
    });
    expect(input.value).toBe('');
    expect(calls.filter((c) => c.cmd === 'meeting_page').length).toBe(2);
  });

  it('moves an item with Alt+ArrowDown, writing the swapped positions in one batch', async () => {
    const calls = pageCommands(meetingPage());
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    const toggle = all(page, 'agenda-item')[0].querySelector<HTMLButtonElement>('[data-testid="agenda-item-toggle"]')!;
    toggle.focus();
    toggle.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', altKey: true, bubbles: true }));
    await settle();

    const written = batches(calls);
    expect(written).toEqual([
      [
        { op: 'update', entity: 'agenda_item', id: item(2).id, fields: { position: 10 } },
        { op: 'update', entity: 'agenda_item', id: item(1).id, fields: { position: 20 } },
      ],
    ]);
    expect(document.activeElement).toBe(toggle);
  });

  it('renumbers with gaps when positions are equal, and moves by button too', async () => {
    const calls = pageCommands(
      meetingPage({ agenda: [item(1, { position: 1 }), item(2, { position: 1 }), item(3, { position: 2 })] }),
    );
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    click(all(page, 'agenda-up')[2]);
    await settle();

    expect(batches(calls)).toEqual([
      [
        { op: 'update', entity: 'agenda_item', id: item(1).id, fields: { position: 10 } },
        { op: 'update', entity: 'agenda_item', id: item(3).id, fields: { position: 20 } },
        { op: 'update', entity: 'agenda_item', id: item(2).id, fields: { position: 30 } },
      ],
    ]);
  });

  it('moves an item by dragging it onto another, in one batch', async () => {
    const calls = pageCommands(meetingPage());
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    const items = all(page, 'agenda-item');
    items[0].querySelector('[draggable="true"]')!.dispatchEvent(new Event('dragstart', { bubbles: true }));
    items[2].dispatchEvent(new Event('dragover', { bubbles: true, cancelable: true }));
    items[2].dispatchEvent(new Event('drop', { bubbles: true, cancelable: true }));
    await settle();

    expect(batches(calls)).toEqual([
      [
        { op: 'update', entity: 'agenda_item', id: item(2).id, fields: { position: 10 } },
        { op: 'update', entity: 'agenda_item', id: item(3).id, fields: { position: 20 } },
        { op: 'update', entity: 'agenda_item', id: item(1).id, fields: { position: 30 } },
      ],
    ]);
  });

  it('adds a person found by name; during the meeting as present', async () => {
    const calls = pageCommands(meetingPage(), {
      contact_list: {
        offset: 0,
        total: 2,
        items: [
          { id: 'c-1', name: 'Joke de Vries', email: null, phone: null, organisations: null },
          { id: 'c-7', name: 'Joost Jansen', email: null, phone: null, organisations: 'Dorpsraad Groet' },
        ],
      },
    });
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    const search = q<HTMLInputElement>(page, 'attendance-search')!;
    type(search, 'jo');
    await settle(300);
    expect(calls.find((c) => c.cmd === 'contact_list')?.args.query).toEqual({ text: 'jo', offset: 0, limit: 8 });
    const results = all(page, 'attendance-search-result');
    expect(results).toHaveLength(2);
    expect((results[0] as HTMLButtonElement).disabled).toBe(true);
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle();
    // The meeting (12 March 2026) is in the past of the test run, so the person walked in.
    expect(batches(calls)[0]).toEqual([
      { op: 'create', entity: 'attendance', id: null, fields: { meeting_id: MEETING, contact_id: 'c-7', status: 'present' } },
    ]);
  });

  it('saves minutes while typing and says so', async () => {
    const calls = pageCommands(meetingPage());
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    click(all(page, 'agenda-item-toggle')[1]);
    await settle();
    const minutes = all(page, 'agenda-item')[1].querySelector<HTMLTextAreaElement>('[data-testid="agenda-minutes"]')!;
    type(minutes, 'Het bestuur legt uit');
    await settle();
    expect(q(page, 'autosave-status')?.textContent).toContain('Bezig met opslaan…');
    expect(localStorage.getItem(draftKey(item(2).id))).toContain('Het bestuur legt uit');
    expect(batches(calls)).toHaveLength(0);

    await settle(1000);
    expect(batches(calls)).toEqual([
      [{ op: 'update', entity: 'agenda_item', id: item(2).id, fields: { minutes: 'Het bestuur legt uit' } }],
    ]);
    expect(all(page, 'autosave-status')).toHaveLength(1);
    expect(q(page, 'autosave-status')?.textContent).toContain('Opgeslagen');
    expect(localStorage.getItem(draftKey(item(2).id))).toBeNull();
  });

  it('keeps the minutes on screen and in localStorage when saving fails, and saves on blur', async () => {
    let fail = true;
    const calls = pageCommands(meetingPage(), {
      write_records: (args: Record<string, unknown>) => {
        if (fail) throw { code: 'io', message: 'De schijf is vol.', field: null };
        return { ids: (args.batch as WriteRequest[]).map(() => 'x') };
      },
    });
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    click(all(page, 'agenda-item-toggle')[0]);
    await settle();
    const minutes = q<HTMLTextAreaElement>(page, 'agenda-minutes')!;
    type(minutes, 'Besproken: de speeltuin');
    await settle(1000);

    expect(batches(calls)).toHaveLength(1);
    expect(q(page, 'autosave-status')?.textContent).toContain('De schijf is vol.');
    expect(minutes.value).toBe('Besproken: de speeltuin');
    const draft = JSON.parse(localStorage.getItem(draftKey(item(1).id)) ?? 'null');
    expect(draft.texts.minutes).toBe('Besproken: de speeltuin');

    // The disk has room again: leaving the field saves it.
    fail = false;
    minutes.dispatchEvent(new FocusEvent('blur'));
    await settle();
    expect(batches(calls)).toHaveLength(2);
    expect(q(page, 'autosave-status')?.textContent).toContain('Opgeslagen');
    expect(localStorage.getItem(draftKey(item(1).id))).toBeNull();
  });

  it('puts back unsaved minutes from an earlier session and saves them', async () => {
    localStorage.setItem(
      draftKey(item(3).id),
      JSON.stringify({
        texts: { description: '', minutes: 'Tekst van voor de stroomstoring', decision: '' },
        base: { description: '', minutes: '', decision: '' },
        at: Date.now() - 60_000,
      }),
    );
    const calls = pageCommands(meetingPage());
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    const third = all(page, 'agenda-item')[2];
    expect(third.querySelector('[data-testid="agenda-item-toggle"]')?.getAttribute('aria-expanded')).toBe('true');
    expect(third.querySelector('[data-testid="autosave-restored"]')).not.toBeNull();
    expect(third.querySelector<HTMLTextAreaElement>('[data-testid="agenda-minutes"]')?.value).toBe(
      'Tekst van voor de stroomstoring',
    );
    await settle(1000);
    expect(batches(calls)).toEqual([
      [{ op: 'update', entity: 'agenda_item', id: item(3).id, fields: { minutes: 'Tekst van voor de stroomstoring' } }],
    ]);
  });

  it('makes an action point from the focused agenda item with Ctrl+N, prefilled', async () => {
    const calls = pageCommands(meetingPage());
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    click(all(page, 'agenda-item-toggle')[1]);
    await settle();
    const minutes = all(page, 'agenda-item')[1].querySelector<HTMLTextAreaElement>('[data-testid="agenda-minutes"]')!;
    minutes.focus();
    expect(runNew()).toBe(true);
    await settle();

    const dialog = q(document, 'action-point-dialog')!;
    expect(dialog).not.toBeNull();
    expect(q<HTMLInputElement>(dialog, 'action-point-title')?.value).toBe('Punt 2');
    expect(q<HTMLInputElement>(dialog, 'action-point-due')?.value).toBe(addDays(todayInAmsterdam(), 14));
    click(q(dialog, 'action-point-save'));
    await settle();

    const created = batches(calls).find((b) => b[0].op === 'create' && b[0].entity === 'action_point');
    expect(created?.[0]).toMatchObject({
      fields: {
        title: 'Punt 2',
        source_agenda_item_id: item(2).id,
        requester_organisation_id: ORG,
        area_id: AREA,
        status: 'open',
        opened_on: todayInAmsterdam(),
        due_date: addDays(todayInAmsterdam(), 14),
      },
    });
    expect(q(document, 'action-point-dialog')).toBeNull();
  });

  it('Ctrl+N outside an agenda item goes to the new agenda item field', async () => {
    pageCommands(meetingPage());
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });
    q<HTMLInputElement>(page, 'attendance-search')!.focus();
    runNew();
    await settle();
    expect(document.activeElement).toBe(q(page, 'agenda-new-title'));
    expect(q(document, 'action-point-dialog')).toBeNull();
  });

  it('checks someone in as present, and invites the board in one batch', async () => {
    const calls = pageCommands(meetingPage(), {
      organisation_board: {
        organisation_id: ORG,
        board_size: 3,
        current: [
          {
            id: 'r-1', contact_id: 'c-1', contact_name: 'Joke de Vries', organisation_id: ORG,
            organisation_name: 'Dorpsraad Groet', kind: 'chair', title: null, start_date: '2024-01-01',
            end_date: null, current: true,
          },
          {
            id: 'r-3', contact_id: 'c-3', contact_name: 'Ans Smit', organisation_id: ORG,
            organisation_name: 'Dorpsraad Groet', kind: 'secretary', title: null, start_date: '2024-01-01',
            end_date: null, current: true,
          },
        ],
        history: [
          {
            id: 'r-4', contact_id: 'c-4', contact_name: 'Kees Visser', organisation_id: ORG,
            organisation_name: 'Dorpsraad Groet', kind: 'representative', title: null, start_date: '2024-01-01',
            end_date: null, current: true,
          },
          {
            id: 'r-5', contact_id: 'c-5', contact_name: 'Oud Lid', organisation_id: ORG,
            organisation_name: 'Dorpsraad Groet', kind: 'treasurer', title: null, start_date: '2020-01-01',
            end_date: '2023-01-01', current: false,
          },
        ],
        empty_seats: 1,
        missing_positions: ['treasurer'],
      },
    });
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    click(all(page, 'attendance-row')[0].querySelector('[data-testid="attendance-present"]'));
    await settle();
    expect(batches(calls)[0]).toEqual([
      {
        op: 'create',
        entity: 'attendance',
        id: null,
        fields: { meeting_id: MEETING, contact_id: 'c-1', status: 'present' },
      },
    ]);

    click(q(page, 'attendance-invite-board'));
    await settle();
    const invited = batches(calls)[1];
    const fields = invited.map((w) => ('fields' in w ? w.fields : {}));
    expect(fields.map((f) => f.contact_id)).toEqual(['c-3', 'c-4']);
    expect(fields.every((f) => f.status === 'invited')).toBe(true);
    expect(invited.every((w) => w.op === 'create' && w.entity === 'attendance')).toBe(true);
  });

  it('changes the status of an open action point during the meeting', async () => {
    const calls = pageCommands(meetingPage(), { action_point_status: null });
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    const aside = q(page, 'meeting-open-action-points')!;
    const select = q<HTMLSelectElement>(aside, 'open-status')!;
    select.value = 'done';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    type(q<HTMLInputElement>(aside, 'open-comment')!, 'Gerepareerd');
    click(q(aside, 'open-change'));
    await settle();
    expect(calls.find((c) => c.cmd === 'action_point_status')?.args).toEqual({
      id: 'ap-1',
      status: 'done',
      comment: 'Gerepareerd',
    });
  });

  it('a kernoverleg shows what is open from the previous one and puts it on the agenda', async () => {
    const page0 = meetingPage({
      previous_meeting: { id: 'prev', title: 'Kernoverleg najaar', starts_at: '2025-10-09T17:30:00Z' },
      carried_over: [
        {
          id: 'ap-9', title: 'Bankje bij de kerk', status: 'in_progress', due_date: '2026-04-01',
          opened_on: '2025-10-09', area_id: AREA, area_name: 'Groet', owner_organisation_id: null,
          owner_name: 'Openbare Ruimte', requester_organisation_id: ORG, requester_name: 'Dorpsraad Groet',
          days_overdue: 0,
        },
      ],
    });
    page0.meeting = { ...page0.meeting, kind: 'kernoverleg' };
    const calls = pageCommands(page0);
    const page = await render(Vergaderingen, { id: MEETING, params: new URLSearchParams() });

    const section = q(page, 'meeting-carried-over')!;
    expect(section.textContent).toContain('Openstaande actiepunten van het vorige overleg');
    expect(section.textContent).toContain('Bankje bij de kerk');
    expect(section.querySelector('a[href="#/vergaderingen/prev"]')).not.toBeNull();
    // A kernoverleg asks who submitted an item.
    expect(q(page, 'agenda-submitted-by-select')).not.toBeNull();
    expect(calls.some((c) => c.cmd === 'organisation_list' && (c.args.query as { area_id?: string }).area_id === AREA)).toBe(true);

    click(q(section, 'carried-over-add'));
    await settle();
    expect(batches(calls)[0][0]).toMatchObject({
      op: 'create',
      entity: 'agenda_item',
      fields: {
        title: 'Actiepunten vorig overleg',
        position: 40,
        description: '- Bankje bij de kerk (in behandeling, uiterlijk 1 april 2026, Openbare Ruimte)',
      },
    });
  });
});

describe('the list, the calendar and a new meeting', () => {
  const row = {
    id: 'm-1',
    kind: 'kernoverleg',
    title: 'Kernoverleg Groet',
    starts_at: '2026-03-12T18:30:00Z',
    ends_at: '2026-03-12T20:30:00Z',
    time_zone: 'Europe/Amsterdam',
    location: null,
    status: 'planned',
    organisation_id: null,
    organisation_name: null,
    area_id: AREA,
    area_name: 'Groet',
  };

  it('lists meetings from today on, and with past ones newest first', async () => {
    const calls = mockCommands({ meeting_list: { offset: 0, items: [row], total: 1 } });
    const page = await render(Vergaderingen, { id: null, params: new URLSearchParams() });

    const first = calls.find((c) => c.cmd === 'meeting_list')!.args.query as Record<string, unknown>;
    expect(first).toMatchObject({ from: todayInAmsterdam(), newest_first: false, offset: 0 });
    expect(q(page, 'meetings-list')?.textContent).toContain('Kernoverleg Groet');
    expect(q(page, 'meetings-list')?.textContent).toContain('Kernoverleg, Groet');

    click(q(page, 'meetings-past'));
    await settle();
    const last = calls.filter((c) => c.cmd === 'meeting_list').at(-1)!.args.query as Record<string, unknown>;
    expect(last.from).toBeUndefined();
    expect(last.newest_first).toBe(true);
  });

  it('shows a meeting in its day cell of the month calendar', async () => {
    const calls = mockCommands({ meeting_list: { offset: 0, items: [row], total: 1 } });
    const page = await render(Vergaderingen, {
      id: null,
      params: new URLSearchParams('month=2026-03'),
    });
    click(q(page, 'meetings-view-calendar'));
    await settle();

    expect(q(page, 'calendar-month')?.textContent).toBe('maart 2026');
    const query = calls.filter((c) => c.cmd === 'meeting_list').at(-1)!.args.query as Record<string, unknown>;
    expect(query).toMatchObject({ from: '2026-03-01', until: '2026-04-01', limit: 500 });
    const cell = page.querySelector('[data-testid="calendar-day"][data-date="2026-03-12"]')!;
    expect(cell.textContent).toContain('19:30');
    expect(cell.textContent).toContain('Kernoverleg Groet');
    expect(cell.querySelector('a')?.getAttribute('href')).toBe('#/vergaderingen/m-1');
    // Monday first: 1 March 2026 is a Sunday, so six empty cells lead.
    expect(page.querySelectorAll('tbody tr:first-child td.outside')).toHaveLength(6);

    click(q(page, 'calendar-next'));
    await settle();
    expect(q(page, 'calendar-month')?.textContent).toBe('april 2026');
  });

  it('creates a meeting with local times and opens it', async () => {
    const calls = mockCommands({
      meeting_list: { offset: 0, items: [], total: 0 },
      organisation_list: organisations,
      area_tree: [],
      write_records: { ids: ['m-new'] },
      meeting_page: meetingPage(),
    });
    const page = await render(Vergaderingen, { id: null, params: new URLSearchParams() });

    expect(runNew()).toBe(true);
    await settle();
    const dialog = q(document, 'meeting-dialog')!;
    expect(q<HTMLSelectElement>(dialog, 'meeting-kind')?.value).toBe('ledenvergadering');
    expect(q<HTMLInputElement>(dialog, 'meeting-start')?.value).toBe('19:30');
    type(q<HTMLInputElement>(dialog, 'meeting-title')!, 'Ledenvergadering voorjaar');
    type(q<HTMLInputElement>(dialog, 'meeting-date')!, '2026-03-12');
    type(q<HTMLInputElement>(dialog, 'meeting-end')!, '19:00');
    click(q(dialog, 'meeting-save'));
    await settle();
    expect(dialog.textContent).toContain('Het einde moet na het begin liggen.');
    expect(dialog.querySelector('#meeting-ends_at-error')).not.toBeNull();
    expect(batches(calls)).toHaveLength(0);

    type(q<HTMLInputElement>(dialog, 'meeting-end')!, '21:30');
    const organisation = q<HTMLSelectElement>(dialog, 'meeting-organisation')!;
    organisation.value = ORG;
    organisation.dispatchEvent(new Event('change', { bubbles: true }));
    type(q<HTMLInputElement>(dialog, 'meeting-location')!, 'Dorpshuis');
    click(q(dialog, 'meeting-save'));
    await settle();

    expect(batches(calls)).toEqual([
      [
        {
          op: 'create',
          entity: 'meeting',
          id: null,
          fields: {
            title: 'Ledenvergadering voorjaar',
            kind: 'ledenvergadering',
            organisation_id: ORG,
            area_id: null,
            starts_at: '2026-03-12T19:30:00',
            ends_at: '2026-03-12T21:30:00',
            location: 'Dorpshuis',
          },
        },
      ],
    ]);
    expect(location.hash).toBe('#/vergaderingen/m-new');
    void page;
  });

  it('opens the form with the organisation chosen from a link', async () => {
    mockCommands({
      meeting_list: { offset: 0, items: [], total: 0 },
      organisation_list: organisations,
      area_tree: [],
    });
    await render(Vergaderingen, { id: null, params: new URLSearchParams(`new=1&organisation=${ORG}`) });
    const dialog = q(document, 'meeting-dialog')!;
    expect(dialog).not.toBeNull();
    expect(q<HTMLSelectElement>(dialog, 'meeting-organisation')?.value).toBe(ORG);
  });

  it('shows a refused value beside its field', async () => {
    mockCommands({
      meeting_list: { offset: 0, items: [], total: 0 },
      organisation_list: organisations,
      area_tree: [],
      write_records: () => {
        throw { code: 'invalid', message: 'Deze tijd bestaat niet in Amsterdam.', field: 'starts_at' };
      },
    });
    await render(Vergaderingen, { id: null, params: new URLSearchParams() });
    click(q(document, 'new-meeting'));
    await settle();
    const dialog = q(document, 'meeting-dialog')!;
    type(q<HTMLInputElement>(dialog, 'meeting-title')!, 'Overleg');
    click(q(dialog, 'meeting-save'));
    await settle();
    expect(dialog.querySelector('#meeting-starts_at-error')?.textContent).toBe('Deze tijd bestaat niet in Amsterdam.');
  });
});
