// The report's typed cells as text (crates/core/src/report.rs, `Cell`): counts as whole numbers,
// cents as "€ 1.234,56", shares as "87,5%", days as "12 d", dates in the interface language,
// flags as ja/nee, and "—" for nothing. And the difference between this year and the last,
// written with an arrow and a word, never by colour alone.

import type { Cell } from '../../lib/ipc';
import { count, day, euros, share } from '../../lib/format';
import { t } from '../../lib/i18n.svelte';

export function cellText(cell: Cell): string {
  switch (cell.type) {
    case 'text':
      return cell.value;
    case 'count':
      return count(cell.value);
    case 'cents':
      return euros(cell.value);
    case 'share':
      return share(cell.value);
    case 'days':
      return cell.value === null ? t('common.none') : t('rep.days_short', { n: count(cell.value) });
    case 'date':
      return cell.value === null ? t('common.none') : day(cell.value);
    case 'flag':
      return cell.value ? t('rep.yes') : t('rep.no');
  }
}

/** Whether a cell holds a number (right-aligned, figures in columns). */
export function numeric(cell: Cell): boolean {
  return cell.type === 'count' || cell.type === 'cents' || cell.type === 'share' || cell.type === 'days';
}

export interface Difference {
  /** `up`, `down`, `same`, or `none` when there is nothing to compare. */
  direction: 'up' | 'down' | 'same' | 'none';
  /** "↑", "↓", "=" or "". */
  arrow: string;
  /** "meer", "minder", "gelijk": what the arrow says, for a screen reader and for print. */
  word: string;
  /** "+3", "-€ 12,50", "+4 d", or "—". */
  amount: string;
}

const none: Difference = { direction: 'none', arrow: '', word: '', amount: '—' };

/** This year's value against last year's, for counts, cents and days only (a share's difference
 * would be percentage points, which reads as something else). */
export function difference(now: Cell, before: Cell): Difference {
  if (now.type !== before.type) return none;
  let delta: number;
  let show: (n: number) => string;
  switch (now.type) {
    case 'count':
      delta = now.value - (before.value as number);
      show = count;
      break;
    case 'cents':
      delta = now.value - (before.value as number);
      show = euros;
      break;
    case 'days': {
      const earlier = before.value as number | null;
      if (now.value === null || earlier === null) return none;
      delta = now.value - earlier;
      show = (n) => t('rep.days_short', { n: count(n) });
      break;
    }
    default:
      return none;
  }
  if (delta === 0) return { direction: 'same', arrow: '=', word: t('rep.same'), amount: show(0) };
  const up = delta > 0;
  const amount = show(Math.abs(delta));
  return {
    direction: up ? 'up' : 'down',
    arrow: up ? '↑' : '↓',
    word: up ? t('rep.up') : t('rep.down'),
    amount: `${up ? '+' : '-'}${amount}`,
  };
}

/** The year the report opens on: last year until 1 April (the yearly report is written in the
 * first quarter), this year after. `today` is `YYYY-MM-DD`. */
export function defaultYear(today: string): number {
  const year = Number(today.slice(0, 4));
  return today.slice(5) < '04-01' ? year - 1 : year;
}
