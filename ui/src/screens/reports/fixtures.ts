// The yearly report and the werkkapitaal for the Rapportage tests, shaped as the Rust side sends
// them: Bergen in 2026 (with 2025 beside it), a year with nothing in it, and a werkkapitaal where
// Groet's kernoverleg is under-spending and one commitment was paid beyond its amount.
import type { AreaFigures, BudgetOverview, ReportView, YearReport } from '../../lib/ipc';

function figures(name: string, area_id: string | null): AreaFigures {
  return {
    area_id,
    name,
    meetings: [],
    kernbezoeken_held: 0,
    wijkschouwen_held: 0,
    action_points: {
      opened: 0,
      closed: 0,
      cancelled: 0,
      open_at_end: 0,
      overdue_at_end: 0,
      closed_with_due_date: 0,
      closed_on_time: 0,
      on_time_share: null,
      lead_time_median_days: null,
      lead_time_p90_days: null,
      stale: 0,
      closed_without_comment: 0,
    },
    projects: { by_status: [], total: 0, milestones_planned: 0, milestones_done: 0, milestones_on_time: 0 },
    werkkapitaal: { budgeted: false, allocated_cents: 0, committed_cents: 0, spent_cents: 0, remaining_cents: 0, under_spending: [] },
  };
}

function report(year: number, has_data: boolean, area: { id: string | null; name: string }): YearReport {
  return {
    year,
    area_id: area.id,
    area_name: area.name,
    municipality: 'Bergen',
    period_start: `${year}-01-01`,
    period_end: `${year + 1}-01-01`,
    running: false,
    stale_weeks: 8,
    has_data,
    total: figures(area.name, area.id),
    previous: figures(area.name, area.id),
    kernen: [],
    departments: [],
    stale: [],
    closed_without_comment: [],
  };
}

/** Bergen's 2026: key figures beside 2025 (more meetings, fewer action points open, the same
 * number of visits), action points per kern, an empty list of stale ones, and a chart. */
export function bergenReport(year = 2026, area: { id: string | null; name: string } = { id: null, name: 'Bergen' }): ReportView {
  return {
    report: report(year, true, area),
    tables: [
      {
        key: 'kerncijfers',
        title: 'Kerncijfers',
        caption: `${area.name} in ${year}, met ${year - 1} ter vergelijking.`,
        columns: ['Onderwerp', String(year), String(year - 1)],
        rows: [
          [{ type: 'text', value: 'Kernoverleggen gehouden' }, { type: 'count', value: 14 }, { type: 'count', value: 11 }],
          [{ type: 'text', value: 'Actiepunten open (einde jaar)' }, { type: 'count', value: 20 }, { type: 'count', value: 26 }],
          [{ type: 'text', value: 'Kernbezoeken gehouden' }, { type: 'count', value: 8 }, { type: 'count', value: 8 }],
          [{ type: 'text', value: 'Op tijd afgehandeld (%)' }, { type: 'share', value: 0.875 }, { type: 'share', value: 0.5 }],
          [{ type: 'text', value: 'Werkkapitaal uitgegeven' }, { type: 'cents', value: 123_456 }, { type: 'cents', value: 0 }],
        ],
      },
      {
        key: 'actiepunten_per_kern',
        title: 'Actiepunten per kern',
        caption: `Geopend en afgehandeld in ${year}.`,
        columns: ['Kern', 'Geopend', 'Afgehandeld', 'Doorlooptijd mediaan'],
        rows: [
          [{ type: 'text', value: 'Groet' }, { type: 'count', value: 12 }, { type: 'count', value: 9 }, { type: 'days', value: 21 }],
          [{ type: 'text', value: 'Totaal' }, { type: 'count', value: 1234 }, { type: 'count', value: 1000 }, { type: 'days', value: null }],
        ],
      },
      {
        key: 'stilstaande_actiepunten',
        title: 'Stilstaande actiepunten',
        caption: 'Open en langer dan 8 weken niet bijgewerkt.',
        columns: ['Actiepunt', 'Kern', 'Laatst bijgewerkt'],
        rows: [],
      },
    ],
    charts: [
      {
        key: 'actiepunten_per_kern',
        title: `Actiepunten per kern in ${year}: geopend en afgehandeld`,
        svg: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>window.chartRan = true</script><rect width="10" height="10"/></svg>',
      },
    ],
    cut_lists: [],
  };
}

/** A year in which nothing happened. */
export function emptyReport(year: number): ReportView {
  return { report: report(year, false, { id: null, name: 'Bergen' }), tables: [], charts: [], cut_lists: [] };
}

/** Bergen's werkkapitaal 2026: € 50.000 over two kernoverleggen; Groet's under-spending, and a
 * commitment in Schoorl paid beyond its amount. */
export const werkkapitaal2026: BudgetOverview = {
  budget_id: 'b2026',
  year: 2026,
  municipality_id: 'a0',
  municipality: 'Bergen',
  total_cents: 5_000_000,
  check_date: '2026-10-01',
  as_of: '2026-05-14',
  parts: [
    {
      kernoverleg_id: 'o-ko',
      kernoverleg: 'Kernoverleg Groet',
      kern_id: 'a1',
      inhabitants: 500,
      share_cents: 384_615,
      adjustments_cents: 0,
      allocated_cents: 384_615,
      committed_cents: 50_000,
      committed_by_check_date_cents: 50_000,
      spent_cents: 0,
      remaining_cents: 334_615,
      under_spending: true,
    },
    {
      kernoverleg_id: 'o-ks',
      kernoverleg: 'Kernoverleg Schoorl',
      kern_id: 'a2',
      inhabitants: 6000,
      share_cents: 4_615_385,
      adjustments_cents: -10_000,
      allocated_cents: 4_605_385,
      committed_cents: 3_000_000,
      committed_by_check_date_cents: 3_000_000,
      spent_cents: 3_100_000,
      remaining_cents: 1_505_385,
      under_spending: false,
    },
  ],
  allocated_cents: 4_990_000,
  adjustments_cents: -10_000,
  committed_cents: 3_050_000,
  spent_cents: 3_100_000,
  remaining_cents: 1_840_000,
  overruns: [
    {
      commitment_id: 'cm1',
      kernoverleg_id: 'o-ks',
      description: 'Dorpsfeest Schoorl',
      amount_cents: 300_000,
      paid_cents: 400_000,
      overrun_cents: 100_000,
    },
  ],
  payments_without_commitment: 1,
  notes: null,
};
