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

  function submit(page: HTMLElement): void {
    page
      .querySelector('[data-testid=calendar-export-dialog] form')!
      .dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  }

  it('exports what it is given, after asking for a reminder', async () => {
    localStorage.clear();
    const calls = mockCommands({ calendar_export: { path: '/home/an/Downloads/x.ics', events: 1, tasks: 0 } });
    const page = await render(CalendarExportButton, { request: { id: 'v1', schedule: false } });
    page.querySelector<HTMLButtonElement>('[data-testid=calendar-export]')!.click();
    await settle(20);
    expect(calls).toEqual([]);
    expect(page.querySelector('[data-testid=calendar-export-as-tasks]')).toBeNull();
    submit(page);
    await settle(20);
    expect(calls[0]).toEqual({ cmd: 'calendar_export', args: { request: { id: 'v1', schedule: false } } });
    expect(page.querySelector('[data-testid=calendar-export-dialog]')).toBeNull();
  });

  it('asks whether due dates become tasks or appointments, and remembers the choices', async () => {
    localStorage.clear();
    const calls = mockCommands({ calendar_export: { path: '/home/an/Downloads/a.ics', events: 0, tasks: 3 } });
    const page = await render(CalendarExportButton, {
      request: { area_id: 'a1', schedule: false },
      actionPoints: true,
    });
    page.querySelector<HTMLButtonElement>('[data-testid=calendar-export]')!.click();
    await settle(20);
    const tasks = page.querySelector<HTMLInputElement>('[data-testid=calendar-export-as-tasks]')!;
    expect(tasks.checked).toBe(true);
    const events = page.querySelector<HTMLInputElement>('[data-testid=calendar-export-as-events]')!;
    events.click();
    const reminder = page.querySelector<HTMLSelectElement>('[data-testid=calendar-export-reminder]')!;
    reminder.value = '1440';
    reminder.dispatchEvent(new Event('change', { bubbles: true }));
    submit(page);
    await settle(20);
    expect(calls[0].args).toEqual({
      request: { area_id: 'a1', schedule: false, action_points_as: 'events', reminder_minutes: 1440 },
    });
    // The next export starts from the same choices.
    page.querySelector<HTMLButtonElement>('[data-testid=calendar-export]')!.click();
    await settle(20);
    expect(page.querySelector<HTMLInputElement>('[data-testid=calendar-export-as-events]')!.checked).toBe(true);
    expect(page.querySelector<HTMLSelectElement>('[data-testid=calendar-export-reminder]')!.value).toBe('1440');
  });
});
