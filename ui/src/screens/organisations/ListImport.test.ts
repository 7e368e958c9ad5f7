// The list import on Contacten against a mocked Rust side: the file's bytes go over once, the
// preview shows columns, refusals in Dutch and the duplicates, a duplicate's choice asks for a new
// preview, the import reloads the list and its message undoes it; a file the app refuses says why
// and leaves nothing open.
import { afterEach, describe, expect, it, vi } from 'vitest';
import axe from 'axe-core';
import Contacten from '../Contacten.svelte';
import { cleanup, mockCommands, render, settle, type Call } from '../../test/mock';
import { setLocale } from '../../lib/i18n.svelte';
import { dismiss, toasts } from '../../lib/toast.svelte';
import type { ListImportOptions, ListImportPreview, ListImportReport } from '../../lib/ipc';
import { byTestId, choose, click } from './testing';

afterEach(() => {
  cleanup();
  setLocale('nl');
  for (const toast of toasts()) dismiss(toast.id);
  localStorage.clear();
  location.hash = '';
  vi.restoreAllMocks();
});

const empty = { offset: 0, items: [], total: 0 };

/** Three lines of a Dutch Excel list: a new person, one without a name, and Anna again. */
function preview(options: ListImportOptions): ListImportPreview {
  const resolution = options.resolutions?.[4] ?? options.duplicates ?? 'skip';
  const merged = resolution === 'merge' ? 1 : 0;
  return {
    source: {
      format: 'csv',
      separator: ';',
      encoding: 'Windows-1252',
      sheets: [],
      kind: 'list:abc',
      mapping_remembered: false,
    },
    list_kind: 'contacts',
    columns: [
      { header: 'Naam', target: options.mapping?.Naam === undefined ? 'name' : options.mapping.Naam, samples: ['Piet Smit', 'Anna de Boer'] },
      { header: 'E-mail', target: 'email', samples: ['piet@example.nl'] },
      { header: 'Oud', target: null, samples: ['x'] },
    ],
    rows: [
      { line: 2, outcome: 'new', fields: { name: 'Piet Smit', email: 'piet@example.nl' }, organisation_new: false, problems: [] },
      {
        line: 3,
        outcome: 'refused',
        fields: {},
        organisation_new: false,
        problems: [{ line: 3, code: 'no_name', reason: 'no name' }],
      },
      { line: 4, outcome: resolution, fields: { name: 'Anna de Boer', email: 'anna@example.nl' }, organisation_new: false, problems: [] },
    ],
    refused: [{ line: 3, code: 'no_name', reason: 'no name' }],
    warnings: [{ line: 2, column: 'Telefoon', code: 'unknown_phone', value: '+44 20 7946 0000', reason: 'kept' }],
    duplicates: [
      {
        line: 4,
        reason: 'same_email',
        existing: { id: 'c9', fields: { name: 'Anna de Boer' } },
        resolution,
        fills: { phone: '072-5111111' },
      },
    ],
    rows_in_list: 3,
    counts: {
      rows: 3,
      new: 1,
      merged,
      skipped: 1 - merged,
      refused: 1,
      warnings: 1,
      duplicates: 1,
      organisations_new: 0,
      roles_new: 0,
    },
  };
}

const report: ListImportReport = {
  batch_id: 'b1',
  source: preview({ list: 1 }).source,
  imported: [{ line: 2, id: 'c1', name: 'Piet Smit', fields: [] }],
  merged: [{ line: 4, id: 'c9', name: 'Anna de Boer', fields: ['phone'] }],
  skipped: [],
  refused: [{ line: 3, code: 'no_name', reason: 'no name' }],
  warnings: [],
  organisations_created: [],
  roles_created: 0,
};

/** Chooses a file in the dialog's file field as a user does. */
async function chooseFile(name: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
  const input = byTestId<HTMLInputElement>('list-import-file');
  const file = new File([bytes], name, { type: 'text/csv' });
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  input.dispatchEvent(new Event('change', { bubbles: true }));
  await settle(50);
}

const asked = (calls: Call[], cmd: string) => calls.filter((c) => c.cmd === cmd);

async function problems(): Promise<string[]> {
  const result = await axe.run(document.body, {
    rules: { 'color-contrast': { enabled: false }, region: { enabled: false } },
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
}

describe('Importing a list', () => {
  it('previews, merges the duplicate on request, imports, and undoes from the message', async () => {
    const calls = mockCommands({
      contact_list: empty,
      list_import_batches: [],
      list_import_prepare: null,
      list_import_open: 7,
      list_import_preview: (args: Record<string, unknown>) => preview(args.options as ListImportOptions),
      list_import: report,
      list_import_undo: { batch_id: 'b1', deleted: 1, cleared: 1, kept_changed: 0 },
      list_import_close: null,
    });
    await render(Contacten, { id: null, params: new URLSearchParams() });
    click('list-import');
    await settle();
    // Windows-1252 bytes as Dutch Excel writes them: "Joëlle" has 0xEB.
    const bytes = new Uint8Array([0x4e, 0x61, 0x61, 0x6d, 0x0d, 0x0a, 0x4a, 0x6f, 0xeb, 0x6c, 0x6c, 0x65]);
    await chooseFile('leden.csv', bytes);

    // The store's people were read when the dialog opened, for a quick first preview.
    expect(asked(calls, 'list_import_prepare')[0].args).toEqual({ kind: 'contacts' });
    const [opened] = asked(calls, 'list_import_open');
    expect(Array.from(opened.args as unknown as Uint8Array)).toEqual(Array.from(bytes));
    expect(byTestId('list-import-source').textContent).toBe('leden.csv: CSV, scheidingsteken “;”, tekenset Windows-1252');
    expect(byTestId('list-import-counts').textContent).toContain('3 regels: 1 nieuw, 0 samengevoegd, 1 overgeslagen, 1 geweigerd');
    expect(byTestId('list-import-refused').textContent).toContain('Regel 3: geen naam; deze regel wordt overgeslagen');
    expect(byTestId('list-import-warnings').textContent).toContain(
      'Regel 2, kolom “Telefoon”: “+44 20 7946 0000” is geen Nederlands nummer',
    );
    const duplicate = byTestId('list-import-duplicate-4');
    expect(duplicate.textContent).toContain('Regel 4: Anna de Boer');
    expect(duplicate.textContent).toContain('lijkt op Anna de Boer (zelfde e-mailadres)');
    expect(duplicate.textContent).toContain('samenvoegen vult aan: Telefoon');
    expect(byTestId('list-import-go').textContent?.trim()).toBe('Importeren (1)');
    expect(await problems()).toEqual([]);

    choose(byTestId<HTMLSelectElement>('list-import-resolution-4'), 'merge');
    await settle();
    const last = asked(calls, 'list_import_preview').at(-1)!.args.options as ListImportOptions;
    expect(last.list).toBe(7);
    expect(last.resolutions).toEqual({ 4: 'merge' });
    expect(byTestId('list-import-go').textContent?.trim()).toBe('Importeren (2)');

    // A column left out: the mapping of every column goes with the next preview.
    choose(byTestId<HTMLSelectElement>('list-import-column-E-mail'), '');
    await settle();
    const mapped = asked(calls, 'list_import_preview').at(-1)!.args.options as ListImportOptions;
    expect(mapped.mapping).toEqual({ Naam: 'name', 'E-mail': null, Oud: null });

    const before = asked(calls, 'contact_list').length;
    click('list-import-go');
    await settle();
    expect((asked(calls, 'list_import')[0].args.options as ListImportOptions).resolutions).toEqual({ 4: 'merge' });
    expect(byTestId('list-import-report').textContent).toBe(
      'leden.csv: 1 nieuw, 1 samengevoegd, 0 overgeslagen, 1 geweigerd.',
    );
    expect(asked(calls, 'contact_list').length).toBeGreaterThan(before);
    const [toast] = toasts();
    expect(toast.message).toBe('leden.csv: 1 nieuw, 1 samengevoegd, 0 overgeslagen, 1 geweigerd.');
    await toast.undo!();
    await settle();
    expect(asked(calls, 'list_import_undo')[0].args).toEqual({ batchId: 'b1' });
    expect(toasts().some((t) => t.message === 'Import ongedaan gemaakt: 1 verwijderd, 1 aanvullingen teruggezet.')).toBe(true);
  });

  it('says why a file is refused, keeps the dialog, and lets the open list go on close', async () => {
    const calls = mockCommands({
      contact_list: empty,
      list_import_batches: [],
      list_import_prepare: null,
      list_import_open: () => {
        throw {
          code: 'list_binary',
          message: 'Regel 3: dit is geen lijst maar een bestand van een ander programma. Er is niets geïmporteerd.',
          field: null,
        };
      },
      list_import_close: null,
    });
    await render(Contacten, { id: null, params: new URLSearchParams() });
    click('list-import');
    await settle();
    await chooseFile('foto.csv', new Uint8Array([0, 1, 2, 3]));
    expect(byTestId('list-import-error').textContent).toContain('Regel 3: dit is geen lijst');
    expect(byTestId('list-import-file')).toBeTruthy();
    expect(asked(calls, 'list_import_preview')).toEqual([]);
    click('list-import-close');
    await settle();
    expect(document.querySelector('[data-testid="list-import-dialog"]')).toBeNull();
  });

  it('lists the earlier imports with their undo', async () => {
    const calls = mockCommands({
      contact_list: empty,
      list_import_batches: [
        {
          id: 'b2',
          imported_at: '2026-03-12T18:30:00Z',
          source: 'outlook.csv',
          imported: 40,
          merged: 2,
          organisations_created: 3,
          roles_created: 5,
        },
        {
          id: 'b1',
          imported_at: '2026-03-01T09:00:00Z',
          source: 'leden.xlsx',
          imported: 10,
          merged: 0,
          organisations_created: 0,
          roles_created: 0,
          undone_at: '2026-03-02T09:00:00Z',
        },
      ],
      list_import_undo: { batch_id: 'b2', deleted: 43, cleared: 2, kept_changed: 1 },
      list_import_prepare: null,
    });
    await render(Contacten, { id: null, params: new URLSearchParams() });
    click('list-import');
    await settle();
    const history = byTestId('list-import-history');
    expect(history.textContent).toContain('outlook.csv (40 nieuw, 2 samengevoegd)');
    expect(history.textContent).toContain('19:30');
    expect(history.textContent).toContain('ongedaan gemaakt');
    expect(history.querySelectorAll('[data-testid="list-import-history-undo"]').length).toBe(1);
    click('list-import-history-undo');
    await settle();
    expect(asked(calls, 'list_import_undo')[0].args).toEqual({ batchId: 'b2' });
    expect(toasts()[0].message).toBe(
      'Import ongedaan gemaakt: 43 verwijderd, 2 aanvullingen teruggezet; 1 later met de hand gewijzigd en bewaard.',
    );
  });

  it('shows the first rows at once, then checks the whole list before it can be imported', async () => {
    const calls = mockCommands({
      contact_list: empty,
      list_import_batches: [],
      list_import_prepare: null,
      list_import_open: 3,
      list_import_preview: (args: Record<string, unknown>) => {
        const options = args.options as ListImportOptions;
        const answer = preview(options);
        answer.rows_in_list = 2500;
        answer.counts.rows = options.check_rows ?? 2500;
        return answer;
      },
      list_import_close: null,
    });
    await render(Contacten, { id: null, params: new URLSearchParams() });
    click('list-import');
    await settle();
    await chooseFile('groot.csv', new Uint8Array([0x4e, 0x61, 0x61, 0x6d]));
    const previews = asked(calls, 'list_import_preview').map((c) => (c.args.options as ListImportOptions).check_rows);
    expect(previews).toEqual([100, undefined]);
    expect(byTestId('list-import-counts').textContent).toContain('2500 regels');
    expect(byTestId<HTMLButtonElement>('list-import-go').disabled).toBe(false);
  });

  it('shows the columns of a list it cannot read yet, and previews again once one is chosen', async () => {
    const calls = mockCommands({
      contact_list: empty,
      list_import_batches: [],
      list_import_prepare: null,
      list_import_open: 4,
      list_import_preview: (args: Record<string, unknown>) => {
        const options = args.options as ListImportOptions;
        if (!options.mapping) {
          const answer = preview(options);
          return {
            ...answer,
            columns: answer.columns.map((c) => ({ ...c, target: null })),
            rows: [],
            refused: [],
            warnings: [],
            duplicates: [],
            counts: { ...answer.counts, rows: 0, new: 0, skipped: 0, refused: 0, warnings: 0, duplicates: 0 },
            columns_needed: 'import_no_known_column',
          };
        }
        return preview(options);
      },
      list_import_close: null,
    });
    await render(Contacten, { id: null, params: new URLSearchParams() });
    click('list-import');
    await settle();
    await chooseFile('eigen.csv', new Uint8Array([0x57, 0x69, 0x65]));
    expect(byTestId('list-import-columns-needed').textContent).toContain('Wijkwerk herkent geen van de kolommen');
    expect(byTestId<HTMLButtonElement>('list-import-go').disabled).toBe(true);
    // One preview: the whole list is not checked while nothing can be imported.
    expect(asked(calls, 'list_import_preview').length).toBe(1);
    expect((asked(calls, 'list_import_preview')[0].args.options as ListImportOptions).list_kind).toBeUndefined();

    choose(byTestId<HTMLSelectElement>('list-import-column-Naam'), 'name');
    await settle();
    const mapped = asked(calls, 'list_import_preview').at(-1)!.args.options as ListImportOptions;
    expect(mapped.mapping).toEqual({ Naam: 'name', 'E-mail': null, Oud: null });
    expect(document.querySelector('[data-testid="list-import-columns-needed"]')).toBeNull();
    expect(byTestId<HTMLButtonElement>('list-import-go').disabled).toBe(false);
  });
});
