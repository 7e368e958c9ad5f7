// Calendar import and export in the app, against a mocked Rust side.
import { afterEach, describe, expect, it } from 'vitest';
import CalendarImport from './CalendarImport.svelte';
import CalendarExportButton from './CalendarExportButton.svelte';
import { cleanup, mockCommands, render, settle } from '../test/mock';

afterEach(cleanup);

function choose(page: HTMLElement, name: string, text: string): void {
  const input = page.querySelector<HTMLInputElement>('[data-testid=calendar-import-file]')!;
  Object.defineProperty(input, 'files', { value: [new File([text], name)], configurable: true });
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

describe('calendar', () => {
  it('imports a chosen invitation and reports what it did', async () => {
    const calls = mockCommands({
      calendar_import: { created: [{ entity: 'meeting', id: 'm', uid: 'u', title: 'Ledenavond', starts_at: '', line: 3 }], updated: [], cancelled: [], unchanged: [], refused: [] },
    });
    const page = await render(CalendarImport, {});
    choose(page, 'ledenavond.ics', 'BEGIN:VCALENDAR');
    await settle(50);
    expect(calls[0]).toEqual({ cmd: 'calendar_import', args: { name: 'ledenavond.ics', text: 'BEGIN:VCALENDAR' } });
    expect(page.querySelector('[data-testid=calendar-import-report]')?.textContent).toContain('1 nieuw');
  });

  it('shows a refused file with its line', async () => {
    mockCommands({
      calendar_import: () => {
        throw { code: 'calendar_refused', message: 'kapot.ics, regel 4: datum bestaat niet.', field: null };
      },
    });
    const page = await render(CalendarImport, {});
    choose(page, 'kapot.ics', 'x');
    await settle(50);
    expect(page.querySelector('[data-testid=calendar-import-error]')?.textContent).toContain('regel 4');
  });

  it('exports what it is given', async () => {
    const calls = mockCommands({ calendar_export: { path: '/home/an/Downloads/x.ics', events: 1, tasks: 0 } });
    const page = await render(CalendarExportButton, { request: { id: 'v1', schedule: false } });
    page.querySelector<HTMLButtonElement>('[data-testid=calendar-export]')!.click();
    await settle(20);
    expect(calls[0]).toEqual({ cmd: 'calendar_export', args: { request: { id: 'v1', schedule: false } } });
  });
});
