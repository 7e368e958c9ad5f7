// Calendar import and export in the app, against a mocked Rust side.
import { afterEach, describe, expect, it } from 'vitest';
import CalendarImport from './CalendarImport.svelte';
import CalendarExportButton from './CalendarExportButton.svelte';
import SchoolHolidayList from '../screens/SchoolHolidayList.svelte';
import { cleanup, mockCommands, render, settle } from '../test/mock';

afterEach(cleanup);

function choose(page: HTMLElement, name: string, text: string): void {
  const input = page.querySelector<HTMLInputElement>('[data-testid=calendar-import-file]')!;
  Object.defineProperty(input, 'files', { value: [new File([text], name)], configurable: true });
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

describe('calendar', () => {
  const empty = { created: [], updated: [], cancelled: [], unchanged: [], refused: [], warnings: [] };
  const created = [{ entity: 'meeting', id: 'm', uid: 'u', title: 'Ledenavond', starts_at: '', line: 3 }];

  it('imports a chosen invitation at once when nothing is doubtful, sending its bytes', async () => {
    const calls = mockCommands({ calendar_import: { ...empty, created, written: true } });
    const page = await render(CalendarImport, {});
    choose(page, 'ledenavond.ics', 'BEGIN:VCALENDAR');
    await settle(50);
    expect(calls[0]).toEqual({
      cmd: 'calendar_import',
      args: { name: 'ledenavond.ics', content: btoa('BEGIN:VCALENDAR'), confirmed: false },
    });
    expect(page.querySelector('[data-testid=calendar-import-report]')?.textContent).toContain('1 nieuw');
    expect(page.querySelector('[data-testid=calendar-import-anyway]')).toBeNull();
  });

  it('shows what would be skipped and forgiven, and imports only after "Toch importeren"', async () => {
    const preview = {
      ...empty,
      created,
      refused: [{ line: 13, uid: 'feb-31@example.nl', kind: 'unreadable', reason: 'DTSTART: no day 31' }],
      warnings: [{ line: 7, kind: 'time_zone_assumed', reason: 'time zone "Dorpstijd"' }],
      written: false,
    };
    const calls = mockCommands({
      calendar_import: (args: Record<string, unknown>) => (args.confirmed ? { ...preview, written: true } : preview),
    });
    const page = await render(CalendarImport, {});
    choose(page, 'agenda.ics', 'BEGIN:VCALENDAR');
    await settle(50);
    expect(calls.length).toBe(1);
    const shown = page.querySelector('[data-testid=calendar-import-preview]')?.textContent ?? '';
    expect(shown).toContain('1 nieuw');
    expect(shown).toContain('1 overgeslagen');
    expect(shown).toContain('nog niets geïmporteerd');
    const skipped = page.querySelector('[data-testid=calendar-import-skipped]')?.textContent ?? '';
    expect(skipped).toContain('Regel 13');
    expect(skipped).toContain('begin of einde is niet te lezen');
    const warnings = page.querySelector('[data-testid=calendar-import-warnings]')?.textContent ?? '';
    expect(warnings).toContain('Regel 7');
    expect(warnings).toContain('Nederlandse tijd');
    page.querySelector<HTMLButtonElement>('[data-testid=calendar-import-anyway]')!.click();
    await settle(50);
    expect(calls[1]).toEqual({
      cmd: 'calendar_import',
      args: { name: 'agenda.ics', content: btoa('BEGIN:VCALENDAR'), confirmed: true },
    });
    expect(page.querySelector('[data-testid=calendar-import-report]')?.textContent).toContain('1 nieuw');
    expect(page.querySelector('[data-testid=calendar-import-anyway]')).toBeNull();
  });

  it('imports nothing when the preview is cancelled', async () => {
    const preview = {
      ...empty,
      created,
      refused: [{ line: 13, kind: 'unsupported_repeat', reason: 'RRULE BYWEEKNO is not supported' }],
      written: false,
    };
    const calls = mockCommands({ calendar_import: preview });
    const page = await render(CalendarImport, {});
    choose(page, 'agenda.ics', 'BEGIN:VCALENDAR');
    await settle(50);
    page.querySelector<HTMLButtonElement>('[data-testid=calendar-import-cancel]')!.click();
    await settle(20);
    expect(calls.length).toBe(1);
    expect(page.querySelector('[data-testid=calendar-import-preview]')).toBeNull();
  });

  it('shows a refused file with its line', async () => {
    mockCommands({
      calendar_import: () => {
        throw { code: 'calendar_refused', message: 'kapot.ics, regel 4: het bestand houdt op midden in een afspraak.', field: null };
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

  it('shows the school holidays of the year, marks the estimated ones, and saves changed dates', async () => {
    const holiday = (name: string, start: string, end: string, uncertain: boolean) => ({
      id: name,
      region: 'noord',
      school_year: '2026-2027',
      name,
      start_date: start,
      end_date: end,
      uncertain,
      source: 'shipped',
    });
    const holidays = {
      region: 'noord',
      holidays: [
        holiday('Herfstvakantie', '2026-10-17', '2026-10-25', false),
        holiday('Voorjaarsvakantie', '2027-02-13', '2027-02-21', true),
      ],
    };
    const calls = mockCommands({
      school_holidays: holidays,
      set_school_holiday: () => {
        throw { code: 'invalid', message: 'De laatste dag ligt voor de eerste.', field: 'end_date' };
      },
    });
    const page = await render(SchoolHolidayList, { year: 2027, region: '' });
    await settle(20);
    expect(calls[0]).toEqual({ cmd: 'school_holidays', args: { region: null } });
    const rows = page.querySelectorAll('[data-testid=school-holiday]');
    expect(rows.length).toBe(1); // only what touches 2027
    expect(rows[0].textContent).toContain('Voorjaarsvakantie');
    expect(rows[0].querySelector('[data-testid=school-holiday-uncertain]')).not.toBeNull();
    const save = rows[0].querySelector<HTMLButtonElement>('[data-testid=school-holiday-save]')!;
    expect(save.disabled).toBe(true); // nothing changed yet
    const end = rows[0].querySelector<HTMLInputElement>('[data-testid=school-holiday-end]')!;
    end.value = '2027-02-01';
    end.dispatchEvent(new Event('input', { bubbles: true }));
    await settle();
    expect(save.disabled).toBe(false);
    save.click();
    await settle(20);
    expect(calls.find((c) => c.cmd === 'set_school_holiday')?.args).toEqual({
      holiday: { region: 'noord', school_year: '2026-2027', name: 'Voorjaarsvakantie' },
      startDate: '2027-02-13',
      endDate: '2027-02-01',
    });
    expect(page.querySelector('[data-testid=school-holiday-error]')?.textContent).toContain('laatste dag');
  });
});
