// The Rapportage screen against a mocked Rust side: the year's report with the previous year
// beside it, the area chooser, an empty year, the exports (busy while writing, the path or the
// reason after), and the werkkapitaal with its commitments and payments.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Rapportage from '../Rapportage.svelte';
import { cleanup, mockCommands, render, settle, type Call } from '../../test/mock';
import { byTestId, choose, click, type } from '../organisations/testing';
import { toasts, dismiss } from '../../lib/toast.svelte';
import { runNew } from '../../lib/keys';
import type { ReportRequest } from '../../lib/ipc';
import { areas } from '../projects/fixtures';
import { bergenReport, emptyReport, werkkapitaal2026 } from './fixtures';

beforeEach(() => {
  // Only the clock: "today" is Thursday 14 May 2026 (timers stay real for settle()).
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-05-14T10:00:00Z'));
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  for (const toast of toasts()) dismiss(toast.id);
  location.hash = '';
});

function requests(calls: Call[]): ReportRequest[] {
  return calls.filter((c) => c.cmd === 'year_report').map((c) => c.args.request as ReportRequest);
}

function messages(): string[] {
  return toasts().map((toast) => toast.message);
}

const params = (text = '') => ({ params: new URLSearchParams(text) });
/** The arguments a mocked command gets. */
type Args = Record<string, unknown>;

describe('Rapportage', () => {
  it('opens on this year for the whole municipality, with every table, last year beside it and the charts', async () => {
    const calls = mockCommands({ area_tree: areas, year_report: (a: Args) => bergenReport((a.request as ReportRequest).year) });
    const page = await render(Rapportage, params());

    expect(byTestId<HTMLInputElement>('report-year').value).toBe('2026');
    expect(byTestId<HTMLSelectElement>('report-area').value).toBe('');
    expect(requests(calls)).toEqual([{ year: 2026, area_id: null, stale_weeks: 8 }]);
    expect(byTestId('report-heading').textContent).toBe('Bergen, 2026');
    expect(page.textContent).toContain('Periode: 1 januari 2026 t/m 31 december 2026');

    const key = byTestId('report-table-kerncijfers');
    expect(key.querySelector('thead')?.textContent).toContain('Verschil');
    const differences = [...key.querySelectorAll('[data-testid="report-difference"]')].map((d) => d.textContent?.replace(/\s+/g, ' ').trim());
    expect(differences).toEqual(['↑ +3 meer', '↓ -6 minder', '= 0 gelijk', '—', '↑ +€ 1.234,56 meer']);
    expect(key.textContent).toContain('87,5%');

    const perKern = byTestId('report-table-actiepunten_per_kern');
    expect(perKern.querySelector('thead')?.textContent).not.toContain('Verschil');
    expect(perKern.textContent).toContain('1.234');
    expect(perKern.textContent).toContain('21 d');
    expect(byTestId('report-table-stilstaande_actiepunten-empty').textContent).toBe('Niets te melden.');

    // The chart is an image of the SVG: nothing in it becomes part of the page or runs.
    const image = byTestId('report-chart-actiepunten_per_kern').querySelector('img')!;
    expect(image.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    expect(image.getAttribute('alt')).toContain('Actiepunten per kern in 2026');
    expect(page.querySelector('script, svg')).toBeNull();
    expect((window as { chartRan?: boolean }).chartRan).toBeUndefined();

    // Kernen and wijken to choose from, the municipality itself is "Hele gemeente".
    const options = [...byTestId<HTMLSelectElement>('report-area').options].map((o) => o.textContent?.trim());
    expect(options).toEqual(['Hele gemeente', 'Groet', 'Schoorl']);
    // In May the report is about this year: no hint about last year.
    expect(page.querySelector('[data-testid="report-last-year"]')).toBeNull();
  });

  it('asks again for a kern and another year, and writes that kern’s yearly overview', async () => {
    const calls = mockCommands({
      area_tree: areas,
      year_report: (a: Args) => {
        const request = a.request as ReportRequest;
        return bergenReport(request.year, request.area_id ? { id: request.area_id, name: 'Groet' } : { id: null, name: 'Bergen' });
      },
      kern_overview_document: { path: '/home/an/Downloads/jaaroverzicht-Groet-2025.pdf', bytes: 2048 },
    });
    await render(Rapportage, params());
    expect(document.querySelector('[data-testid="kern-overview"]')).toBeNull();

    choose(byTestId('report-area'), 'a1');
    await settle();
    type(byTestId('report-year'), '2025');
    await settle();
    expect(requests(calls).slice(1)).toEqual([
      { year: 2026, area_id: 'a1', stale_weeks: 8 },
      { year: 2025, area_id: 'a1', stale_weeks: 8 },
    ]);
    expect(byTestId('report-heading').textContent).toBe('Groet, 2025');

    // Half a year typed is no year: it says so and asks nothing.
    type(byTestId('report-year'), '20');
    await settle();
    expect(byTestId('report-year-invalid').textContent).toBe('Kies een jaar tussen 2000 en 2100.');
    expect(requests(calls).length).toBe(3);
    click('report-year-down');
    await settle();
    expect(requests(calls).at(-1)).toEqual({ year: 2024, area_id: 'a1', stale_weeks: 8 });
    click('report-year-up');
    await settle();

    click('kern-overview');
    await settle();
    expect(calls.filter((c) => c.cmd === 'kern_overview_document').map((c) => c.args)).toEqual([{ kernId: 'a1', year: 2025 }]);
    expect(messages()).toContain('Jaaroverzicht bewaard in Downloads: /home/an/Downloads/jaaroverzicht-Groet-2025.pdf');
  });

  it('shows the start of a long list of action points and says the export holds the whole list', async () => {
    const long = bergenReport(2026);
    const stale = long.tables.find((table) => table.key === 'stilstaande_actiepunten');
    stale?.rows.push([
      { type: 'text', value: 'Hek trapveld repareren' },
      { type: 'text', value: 'Schoorl' },
      { type: 'date', value: '2026-01-05' },
    ]);
    long.cut_lists = [{ key: 'stilstaande_actiepunten', shown: 200, total: 48213 }];
    mockCommands({ area_tree: areas, year_report: () => long });
    await render(Rapportage, params());

    expect(byTestId('report-table-stilstaande_actiepunten-cut').textContent).toContain('de eerste 200 van 48.213');
    expect(document.querySelector('[data-testid="report-table-kerncijfers-cut"]')).toBeNull();
  });

  it('says so when a year has nothing to report, instead of showing empty tables', async () => {
    mockCommands({ area_tree: areas, year_report: (a: Args) => emptyReport((a.request as ReportRequest).year) });
    const page = await render(Rapportage, params('year=2019'));
    expect(byTestId('report-empty').textContent).toContain('Voor 2019 zijn er geen gegevens.');
    expect(page.querySelector('table')).toBeNull();
    // The exports stay: an empty report is a document too.
    expect(byTestId<HTMLButtonElement>('report-export-pdf').disabled).toBe(false);
  });

  it('offers last year in the first quarter, when the yearly report is written', async () => {
    vi.setSystemTime(new Date('2027-02-01T10:00:00Z'));
    const calls = mockCommands({ area_tree: areas, year_report: (a: Args) => bergenReport((a.request as ReportRequest).year) });
    await render(Rapportage, params());
    expect(byTestId<HTMLInputElement>('report-year').value).toBe('2027');
    byTestId('report-last-year').querySelector('button')!.click();
    await settle();
    expect(requests(calls).at(-1)?.year).toBe(2026);
    expect(document.querySelector('[data-testid="report-last-year"]')).toBeNull();
  });

  it('exports the PDF: every export button waits while it is written, then says where it went', async () => {
    let release: () => void = () => undefined;
    const calls = mockCommands({
      area_tree: areas,
      year_report: (a: Args) => bergenReport((a.request as ReportRequest).year),
      export_report: () =>
        new Promise((resolve) => {
          release = () => resolve({ path: '/home/an/Downloads/rapportage-Bergen-2026.pdf', bytes: 90_000 });
        }),
    });
    await render(Rapportage, params());

    click('report-export-pdf');
    await settle();
    const pdf = byTestId<HTMLButtonElement>('report-export-pdf');
    expect(pdf.disabled).toBe(true);
    expect(pdf.textContent?.trim()).toBe('Bezig met exporteren…');
    expect(byTestId<HTMLButtonElement>('report-export-xlsx').disabled).toBe(true);
    expect(byTestId<HTMLButtonElement>('report-export-csv').disabled).toBe(true);

    release();
    await settle();
    expect(pdf.disabled).toBe(false);
    expect(pdf.textContent?.trim()).toBe('PDF');
    expect(calls.filter((c) => c.cmd === 'export_report').map((c) => c.args)).toEqual([
      { request: { year: 2026, area_id: null, stale_weeks: 8 }, format: 'pdf' },
    ]);
    expect(messages()).toContain('Bewaard in Downloads: /home/an/Downloads/rapportage-Bergen-2026.pdf');
  });

  it('says in Dutch why an export could not be written', async () => {
    const full = '/home/an/Downloads/rapportage-Bergen-2026.xlsx kon niet worden bewaard: de schijf is vol. Er is niets half weggeschreven.';
    mockCommands({
      area_tree: areas,
      year_report: (a: Args) => bergenReport((a.request as ReportRequest).year),
      export_report: () => {
        throw { code: 'io', message: full, field: null };
      },
    });
    await render(Rapportage, params());
    click('report-export-xlsx');
    await settle();
    expect(byTestId('report-export-error').textContent).toBe(full);
    expect(byTestId<HTMLButtonElement>('report-export-xlsx').disabled).toBe(false);
  });

  it('shows why the report could not be computed', async () => {
    mockCommands({
      area_tree: areas,
      year_report: () => {
        throw { code: 'bad_request', message: 'Er is geen gebied met deze sleutel.', field: null };
      },
    });
    await render(Rapportage, params('area=gone'));
    expect(byTestId('report-error').textContent).toBe('Er is geen gebied met deze sleutel.');
  });
});

describe('Werkkapitaal', () => {
  it('shows the year per kernoverleg, the one under-spending, overruns and payments without commitment', async () => {
    const calls = mockCommands({ area_tree: areas, budget_overview: werkkapitaal2026 });
    const page = await render(Rapportage, params('tab=werkkapitaal'));

    expect(byTestId('report-tab-budget').getAttribute('aria-selected')).toBe('true');
    expect(calls.filter((c) => c.cmd === 'budget_overview').map((c) => c.args)).toEqual([{ year: 2026 }]);
    const rows = [...page.querySelectorAll('[data-testid="budget-row"]')];
    expect(rows.length).toBe(2);
    expect(rows[0].textContent).toContain('Kernoverleg Groet');
    expect(rows[0].querySelector('[data-testid="budget-under-spending"]')).not.toBeNull();
    expect(rows[0].textContent).toContain('€ 3.846,15');
    expect(rows[1].querySelector('[data-testid="budget-under-spending"]')).toBeNull();
    expect(rows[1].textContent).toContain('-€ 100,00');
    expect(byTestId('budget-total-row').textContent).toContain('€ 50.000,00');
    expect(byTestId('budget-overruns').textContent).toContain('Dorpsfeest Schoorl');
    expect(byTestId('budget-overruns').textContent).toContain('€ 1.000,00');
    expect(byTestId('budget-without-commitment').textContent).toBe('1 betaling zonder toekenning.');
  });

  it('commits money typed the Dutch way (Ctrl+N), and shows a refused amount beside its field', async () => {
    let refuse = true;
    const calls = mockCommands({
      area_tree: areas,
      budget_overview: werkkapitaal2026,
      project_list: [],
      write_records: () => {
        if (refuse) {
          refuse = false;
          throw { code: 'invalid', message: 'Toekenning: bedrag “12,345” heeft meer dan twee decimalen.', field: 'amount_cents' };
        }
        return { ids: ['cm9'] };
      },
    });
    await render(Rapportage, params('tab=werkkapitaal'));
    expect(runNew()).toBe(true);
    await settle();

    choose(byTestId('commitment-kernoverleg'), 'o-ko');
    type(byTestId('commitment-amount'), '12,345');
    type(byTestId('commitment-description'), 'Bankjes bij de kerk');
    click('commitment-save');
    await settle();
    expect(document.getElementById('cm-amount-error')?.textContent).toContain('meer dan twee decimalen');

    type(byTestId('commitment-amount'), '1.234,56');
    click('commitment-save');
    await settle();
    const writes = calls.filter((c) => c.cmd === 'write_records');
    expect(writes.at(-1)?.args.batch).toEqual([
      {
        op: 'create',
        entity: 'commitment',
        id: null,
        fields: {
          budget_id: 'b2026',
          kernoverleg_id: 'o-ko',
          date: '2026-05-14',
          amount_cents: '1.234,56',
          description: 'Bankjes bij de kerk',
        },
      },
    ]);
    expect(document.querySelector('[data-testid="commitment-dialog"]')).toBeNull();
    expect(messages()).toContain('Toekenning “Bankjes bij de kerk” is opgeslagen.');
    expect(calls.filter((c) => c.cmd === 'budget_overview').length).toBe(2);
  });

  it('books a payment against a commitment found by a word, then shows what to look at', async () => {
    const calls = mockCommands({
      area_tree: areas,
      budget_overview: werkkapitaal2026,
      search: [
        { entity: 'commitment', id: 'cm1', title: 'Dorpsfeest Schoorl', snippet: '[Dorpsfeest] Schoorl', open_entity: 'commitment', open_id: 'cm1' },
        { entity: 'project', id: 'p1', title: 'Dorpsfeest', snippet: '', open_entity: 'project', open_id: 'p1' },
      ],
      get_record: (a: Args) => ({
        id: a.id,
        budget_id: 'b2026',
        kernoverleg_id: 'o-ks',
        date: '2026-03-01',
        amount_cents: 300_000,
        description: 'Dorpsfeest Schoorl',
      }),
      write_records: { ids: ['pay9'] },
      payment_warnings: [{ kind: 'beyond_commitment', commitment_cents: 300_000, paid_cents: 523_456, overrun_cents: 223_456 }],
    });
    await render(Rapportage, params('tab=werkkapitaal'));
    click('payment-new');
    await settle();

    type(byTestId('payment-commitment-search'), 'dorpsfeest');
    await settle(300);
    expect(calls.filter((c) => c.cmd === 'get_record').map((c) => c.args)).toEqual([{ entity: 'commitment', id: 'cm1' }]);
    expect(byTestId<HTMLSelectElement>('payment-commitment').value).toBe('cm1');
    const kernoverleg = byTestId<HTMLSelectElement>('payment-kernoverleg');
    expect(kernoverleg.value).toBe('o-ks');
    expect(kernoverleg.disabled).toBe(true);

    type(byTestId('payment-amount'), '1234.56');
    type(byTestId('payment-description'), 'Podium en geluid');
    click('payment-save');
    await settle();

    const write = calls.find((c) => c.cmd === 'write_records')!;
    expect(write.args.batch).toEqual([
      {
        op: 'create',
        entity: 'payment',
        id: null,
        fields: {
          budget_id: 'b2026',
          kernoverleg_id: 'o-ks',
          commitment_id: 'cm1',
          date: '2026-05-14',
          amount_cents: '1234.56',
          description: 'Podium en geluid',
        },
      },
    ]);
    expect(calls.filter((c) => c.cmd === 'payment_warnings').map((c) => c.args)).toEqual([{ id: 'pay9' }]);
    expect(byTestId('payment-warnings').textContent).toContain(
      'Op de toekenning van € 3.000,00 is nu € 5.234,56 betaald: € 2.234,56 te veel.',
    );
  });

  it('offers to set the werkkapitaal of a year that has none', async () => {
    let set = false;
    const calls = mockCommands({
      area_tree: areas,
      budget_overview: () => (set ? werkkapitaal2026 : null),
      write_records: () => {
        set = true;
        return { ids: ['b2026'] };
      },
    });
    await render(Rapportage, params('tab=werkkapitaal'));
    expect(byTestId('budget-none').textContent).toBe('Voor 2026 is geen werkkapitaal vastgesteld.');
    click('budget-set');
    await settle();
    type(byTestId('budget-total'), '50.000');
    click('budget-save');
    await settle();
    expect(calls.find((c) => c.cmd === 'write_records')?.args.batch).toEqual([
      { op: 'create', entity: 'budget', id: null, fields: { area_id: 'a0', year: 2026, total_cents: '50.000' } },
    ]);
    expect(document.querySelectorAll('[data-testid="budget-row"]').length).toBe(2);
  });
});
