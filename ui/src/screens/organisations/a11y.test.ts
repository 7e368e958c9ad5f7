// No serious or critical accessibility problems (axe-core) on these screens and their dialogs.
// Colour contrast cannot be measured in jsdom; the end-to-end check covers it.
import { afterEach, describe, expect, it } from 'vitest';
import axe from 'axe-core';
import Organisaties from '../Organisaties.svelte';
import Contacten from '../Contacten.svelte';
import { cleanup, mockCommands, render, settle, status } from '../../test/mock';
import { board, contactPageAnswer, ORG, organisation } from './fixtures';
import { click } from './testing';

afterEach(() => {
  cleanup();
  location.hash = '';
});

async function problems(): Promise<string[]> {
  const result = await axe.run(document.body, {
    rules: { 'color-contrast': { enabled: false }, region: { enabled: false } },
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
}

const empty = { offset: 0, items: [], total: 0 };

describe('accessibility', () => {
  it('the organisation list and its dialog', async () => {
    mockCommands({
      organisation_list: {
        offset: 0,
        total: 1,
        items: [{ id: 'o1', name: 'Dorpsraad Groet', kind: 'dorpsraad', email: null, phone: null }],
      },
    });
    await render(Organisaties, { id: null, params: new URLSearchParams() });
    expect(await problems()).toEqual([]);
    click('new-organisation');
    await settle();
    expect(await problems()).toEqual([]);
  });

  it('the organisation page and its role dialogs', async () => {
    mockCommands({
      app_status: status,
      get_record: organisation,
      organisation_board: board,
      meeting_list: empty,
      action_point_list: empty,
    });
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });
    expect(await problems()).toEqual([]);
    click('add-role');
    await settle();
    expect(await problems()).toEqual([]);
  });

  it('the contact list and page', async () => {
    mockCommands({ contact_list: empty, contact_page: contactPageAnswer });
    await render(Contacten, { id: null, params: new URLSearchParams() });
    click('new-contact');
    await settle();
    expect(await problems()).toEqual([]);
    cleanup();
    mockCommands({ contact_page: contactPageAnswer });
    await render(Contacten, { id: 'c1', params: new URLSearchParams() });
    expect(await problems()).toEqual([]);
  });
});
