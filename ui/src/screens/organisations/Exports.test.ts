// The list exports (Contacten, Organisaties, an organisation's board, an area's role holders) and
// "Bestuur mailen" against a mocked Rust side: what is asked for, what the user is told, and no
// serious accessibility problems in the dialogs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import axe from 'axe-core';
import Contacten from '../Contacten.svelte';
import Organisaties from '../Organisaties.svelte';
import AreaPageView from '../areas/AreaPage.svelte';
import { cleanup, mockCommands, render, settle, status, type Call } from '../../test/mock';
import { setLocale } from '../../lib/i18n.svelte';
import { dismiss, toasts } from '../../lib/toast.svelte';
import type { AreaPage, MailingList } from '../../lib/ipc';
import { board, ORG, organisation } from './fixtures';
import { byTestId, choose, click, type } from './testing';

afterEach(() => {
  cleanup();
  setLocale('nl');
  for (const toast of toasts()) dismiss(toast.id);
  localStorage.clear();
  location.hash = '';
  vi.restoreAllMocks();
});

const empty = { offset: 0, items: [], total: 0 };
const saved = (rows: number, path: string) => ({ path, bytes: 1234, rows });
const exportsAsked = (calls: Call[]) => calls.filter((c) => c.cmd === 'export_list').map((c) => c.args);

async function problems(): Promise<string[]> {
  const result = await axe.run(document.body, {
    rules: { 'color-contrast': { enabled: false }, region: { enabled: false } },
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
}

/** The answers an organisation's page asks for. */
function pageAnswers(extra: Record<string, unknown> = {}) {
  return {
    app_status: status,
    get_record: organisation,
    organisation_board: board,
    meeting_list: empty,
    action_point_list: empty,
    ...extra,
  };
}

const mailing: MailingList = {
  organisation_id: ORG,
  organisation_name: organisation.name,
  to: '"Anna de Vries" <anna@example.nl>',
  mailto: 'mailto:anna@example.nl',
  recipients: [
    { contact_id: 'c1', name: 'Anna de Vries', kinds: ['chair'], function: 'Voorzitter', email: 'anna@example.nl' },
  ],
  missing: [{ contact_id: 'c2', name: 'Piet Bakker', kinds: ['secretary'], function: 'Secretaris', email: null }],
};

describe('Exporting lists', () => {
  it('exports the contacts the search finds as CSV for Excel, and says where with "Openen"', async () => {
    const calls = mockCommands({
      contact_list: empty,
      export_list: saved(12, '/home/an/Downloads/contacten-vries.csv'),
    });
    await render(Contacten, { id: null, params: new URLSearchParams() });
    type(byTestId<HTMLInputElement>('contact-search'), 'vries');
    await settle(250);

    click('list-export');
    await settle();
    expect(byTestId('list-export-dialog').textContent).toContain('de contacten die “vries” vindt');
    expect(byTestId<HTMLInputElement>('list-export-format-csv').checked).toBe(true);
    expect(await problems()).toEqual([]);
    click('list-export-go');
    await settle();

    expect(exportsAsked(calls)).toEqual([{ scope: { scope: 'contacts', text: 'vries' }, format: 'csv' }]);
    expect(document.querySelector('[data-testid="list-export-dialog"]')).toBeNull();
    const [toast] = toasts();
    expect(toast.message).toBe('12 regels bewaard in /home/an/Downloads/contacten-vries.csv.');
    expect(toast.action?.label).toBe('Openen');
  });

  it('writes vCards 4.0 when asked, and remembers the choice for the next export', async () => {
    const calls = mockCommands({ contact_list: empty, export_list: saved(1, '/d/contacten.vcf') });
    await render(Contacten, { id: null, params: new URLSearchParams() });
    click('list-export');
    await settle();
    expect(document.querySelector('[data-testid="list-export-vcard-version"]')).toBeNull();
    click('list-export-format-vcard');
    await settle();
    choose(byTestId<HTMLSelectElement>('list-export-vcard-version'), '4');
    click('list-export-go');
    await settle();

    expect(exportsAsked(calls)[0].format).toBe('vcard4');
    expect(toasts()[0].message).toBe('1 visitekaartje bewaard in /d/contacten.vcf.');
    click('list-export');
    await settle();
    expect(byTestId<HTMLInputElement>('list-export-format-vcard').checked).toBe(true);
    expect(byTestId<HTMLSelectElement>('list-export-vcard-version').value).toBe('4');
  });

  it('keeps the dialog open and says why when the file could not be written', async () => {
    mockCommands({
      contact_list: empty,
      export_list: () => {
        throw { code: 'io', message: 'De schijf is vol. Er is niets half weggeschreven.', field: null };
      },
    });
    await render(Contacten, { id: null, params: new URLSearchParams() });
    click('list-export');
    await settle();
    click('list-export-go');
    await settle();
    expect(byTestId('list-export-error').textContent).toContain('De schijf is vol');
    expect(byTestId('list-export-dialog')).toBeTruthy();
    expect(toasts()).toEqual([]);
  });

  it('exports the organisations with the kind chosen in the list', async () => {
    const calls = mockCommands({ organisation_list: empty, export_list: saved(3, '/d/organisaties.xlsx') });
    await render(Organisaties, { id: null, params: new URLSearchParams('area=a1') });
    choose(byTestId<HTMLSelectElement>('organisation-kind-filter'), 'dorpsraad');
    await settle();
    click('list-export');
    await settle();
    click('list-export-format-xlsx');
    click('list-export-go');
    await settle();
    expect(exportsAsked(calls)).toEqual([
      { scope: { scope: 'organisations', kind: 'dorpsraad', area_id: 'a1' }, format: 'xlsx' },
    ]);
  });

  it('exports an association\'s board, or with the other roles when ticked', async () => {
    const calls = mockCommands(pageAnswers({ export_list: saved(2, '/d/bestuur.csv') }));
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });
    click('list-export');
    await settle();
    expect(byTestId('list-export-dialog').textContent).toContain('het bestuur van Wijkvereniging Oost');
    click('list-export-go');
    await settle();
    click('list-export');
    await settle();
    click('list-export-all-roles');
    click('list-export-go');
    await settle();
    expect(exportsAsked(calls).map((a) => a.scope)).toEqual([
      { scope: 'board', organisation_id: ORG, all_roles: false },
      { scope: 'board', organisation_id: ORG, all_roles: true },
    ]);
  });

  it('exports everyone with a role in an area\'s organisations from the area\'s page', async () => {
    const calls = mockCommands({ export_list: saved(40, '/d/rollen-groet.csv') });
    const area = { id: 'a1', name: 'Groet', kind: 'core', parent_id: null, inhabitants: 520, cbs_code: null, retention_days: null, depth: 0 };
    const page: AreaPage = {
      area,
      path: [],
      children: [],
      inhabitants: 520,
      organisations: [],
      meetings: [],
      visits: [],
      open_action_points: [],
      open_action_point_count: 0,
    };
    await render(AreaPageView, { page, onedit: () => {}, ondelete: () => {} });
    click('list-export');
    await settle();
    expect(byTestId('list-export-dialog').textContent).toContain('iedereen met een rol in de organisaties van Groet');
    click('list-export-go');
    await settle();
    expect(exportsAsked(calls)).toEqual([{ scope: { scope: 'area', area_id: 'a1' }, format: 'csv' }]);
  });
});

describe('Bestuur mailen', () => {
  it('shows the To field to copy and who has no address', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const calls = mockCommands(pageAnswers({ board_mailing_list: mailing, open_mailing_list: null }));
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });

    click('board-mail');
    await settle();
    expect(calls.find((c) => c.cmd === 'board_mailing_list')?.args).toEqual({ organisationId: ORG });
    expect(byTestId<HTMLTextAreaElement>('board-mail-to').value).toBe('"Anna de Vries" <anna@example.nl>');
    const missing = byTestId('board-mail-missing').textContent;
    expect(missing).toContain('Piet Bakker');
    expect(missing).toContain('secretaris');
    expect(byTestId('board-mail-dialog').textContent).toContain('Zonder e-mailadres (1)');
    expect(await problems()).toEqual([]);

    click('board-mail-copy');
    await settle();
    expect(writeText).toHaveBeenCalledWith('"Anna de Vries" <anna@example.nl>');
    expect(byTestId('board-mail-status').textContent).toBe('De adressen staan op het klembord.');

    click('board-mail-open');
    await settle();
    expect(calls.find((c) => c.cmd === 'open_mailing_list')?.args).toEqual({ organisationId: ORG });
    expect(byTestId('board-mail-status').textContent).toContain('nieuw bericht');
  });

  it('says so when nobody on the board has an address, and when no mail program opens the link', async () => {
    mockCommands(
      pageAnswers({
        board_mailing_list: { ...mailing, to: '', mailto: null, recipients: [] },
      }),
    );
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });
    click('board-mail');
    await settle();
    expect(byTestId('board-mail-nobody').textContent).toBe('Niemand in het bestuur heeft een e-mailadres.');
    expect(document.querySelector('[data-testid="board-mail-open"]')).toBeNull();
    cleanup();

    mockCommands(
      pageAnswers({
        board_mailing_list: mailing,
        open_mailing_list: () => {
          throw { code: 'no_mail_program', message: 'Er is geen e-mailprogramma ingesteld.', field: null };
        },
      }),
    );
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });
    click('board-mail');
    await settle();
    click('board-mail-open');
    await settle();
    expect(byTestId('board-mail-error').textContent).toBe('Er is geen e-mailprogramma ingesteld.');
  });

  it('is offered only for an association, in English too', async () => {
    setLocale('en');
    mockCommands(pageAnswers({ get_record: { ...organisation, kind: 'department' } }));
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });
    expect(document.querySelector('[data-testid="board-mail"]')).toBeNull();
    click('list-export');
    await settle();
    expect(byTestId('list-export-dialog').textContent).toContain('who holds a role at Wijkvereniging Oost today');
    expect(document.querySelector('[data-testid="list-export-all-roles"]')).toBeNull();
  });
});
