// Amounts in forms. The core reads what people type ("1234,56", "1.234,56", "1234.56",
// `money::parse_euros`) and refuses a sub-cent or negative amount with the field's name, so the
// forms send the text as typed; this file only writes stored cents back as text to edit.

import { localeTag } from '../../lib/i18n.svelte';

/** Whole cents as a form field holds them: "1234,56" (nl) or "1234.56" (en); "" for none. */
export function amountInput(cents: number | null | undefined): string {
  if (cents === null || cents === undefined || !Number.isFinite(cents)) return '';
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  const mark = localeTag() === 'nl-NL' ? ',' : '.';
  return `${sign}${Math.floor(abs / 100)}${mark}${String(abs % 100).padStart(2, '0')}`;
}

/** What a money field sends: the trimmed text, or null when left empty. */
export function amountField(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}
