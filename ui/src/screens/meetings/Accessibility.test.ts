// axe-core over the Vergaderingen screens (serious and critical findings, and heading order) in
// jsdom: the list, the calendar, a meeting's page with its dialogs. Colour contrast needs a real
// browser and is left to the end-to-end check.
import { afterEach, describe, expect, it } from 'vitest';
import axe from 'axe-core';
import Vergaderingen from '../Vergaderingen.svelte';
import { cleanup, mockCommands, render, settle } from '../../test/mock';
import type { MeetingPage } from '../../lib/ipc';

afterEach(() => {
  cleanup();
  location.hash = '';
});

const summary = {
  id: 'ap1', title: 'Lamp', status: 'open', due_date: '2025-12-01', opened_on: '2025-11-01', area_id: 'a1',
  area_name: 'Groet', owner_organisation_id: null, owner_name: 'X', requester_organisation_id: 'o1',
  requester_name: 'Dorpsraad', days_overdue: 3,
};
const page: MeetingPage = {
  meeting: {
    id: 'm1', kind: 'kernoverleg', title: 'Kernoverleg Groet', organisation_id: 'o1', area_id: 'a1',
    starts_at: '2026-03-12T18:30:00Z', ends_at: '2026-03-12T20:30:00Z', time_zone: 'Europe/Amsterdam',
    location: 'Dorpshuis', status: 'planned',
  },
  organisation_name: 'Dorpsraad',
  area_name: 'Groet',
  agenda: [
    { id: 'i1', meeting_id: 'm1', position: 10, title: 'Opening', submitted_by_id: 'o1' },
    { id: 'i2', meeting_id: 'm1', position: 20, title: 'Verkeer', minutes: 'Te hard gereden' },
  ],
  attendance: [{ id: 'at1', contact_id: 'c1', contact_name: 'An', status: 'present' }],
  open_action_points: [summary],
  agenda_action_points: [{ agenda_item_id: 'i2', point: summary }],
  previous_meeting: { id: 'm0', title: 'Kernoverleg najaar', starts_at: '2025-10-09T17:30:00Z' },
  carried_over: [summary],
};
const row = {
  id: 'm1', kind: 'kernoverleg', title: 'Kernoverleg Groet', starts_at: '2026-03-12T18:30:00Z',
  ends_at: '2026-03-12T20:30:00Z', time_zone: 'Europe/Amsterdam', location: null, status: 'planned',
  organisation_id: 'o1', organisation_name: 'Dorpsraad', area_id: 'a1', area_name: 'Groet',
};
const answers = {
  meeting_page: page,
  meeting_list: { offset: 0, total: 1, items: [row] },
  organisation_list: { offset: 0, total: 1, items: [{ id: 'o1', name: 'Dorpsraad', kind: 'dorpsraad', email: null, phone: null }] },
  area_tree: [{ id: 'a1', name: 'Groet', kind: 'core', parent_id: null, inhabitants: 520, cbs_code: null, retention_days: null, depth: 0 }],
};

async function check(): Promise<string[]> {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical' || v.id === 'heading-order')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
}

const click = (testid: string) => document.querySelector<HTMLElement>(`[data-testid="${testid}"]`)!.click();

describe('accessibility of Vergaderingen', () => {
  it('the list', async () => {
    mockCommands(answers);
    await render(Vergaderingen, { id: null, params: new URLSearchParams() });
    expect(await check()).toEqual([]);
  });

  it('the calendar', async () => {
    mockCommands(answers);
    await render(Vergaderingen, { id: null, params: new URLSearchParams('view=calendar&month=2026-03') });
    expect(await check()).toEqual([]);
  });

  it('the new meeting form', async () => {
    mockCommands(answers);
    await render(Vergaderingen, { id: null, params: new URLSearchParams() });
    click('new-meeting');
    await settle();
    expect(await check()).toEqual([]);
  });

  it('a meeting’s page with an open agenda item', async () => {
    mockCommands(answers);
    await render(Vergaderingen, { id: 'm1', params: new URLSearchParams() });
    document.querySelectorAll<HTMLElement>('[data-testid="agenda-item-toggle"]')[1].click();
    await settle();
    expect(await check()).toEqual([]);
  });

  it('the action point dialog', async () => {
    mockCommands(answers);
    await render(Vergaderingen, { id: 'm1', params: new URLSearchParams() });
    click('agenda-new-action-point');
    await settle();
    expect(await check()).toEqual([]);
  });
});
