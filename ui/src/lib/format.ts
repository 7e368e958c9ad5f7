// Dates and times as the coordinators read them: always in Amsterdam's time, whatever the
// laptop's own zone is, in the interface language (nl-NL, or en-GB in English).

import { localeTag, t } from './i18n.svelte';

export const ZONE = 'Europe/Amsterdam';

const cache = new Map<string, Intl.DateTimeFormat>();

function formatter(name: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const tag = localeTag();
  const key = `${tag}/${name}`;
  let found = cache.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(tag, { timeZone: ZONE, ...options });
    cache.set(key, found);
  }
  return found;
}

const dayAndTime = () =>
  formatter('dayAndTime', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
const timeOnly = () => formatter('time', { hour: '2-digit', minute: '2-digit' });
const longDate = () =>
  formatter('long', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const shortDate = () => formatter('short', { day: 'numeric', month: 'long', year: 'numeric' });
const dayMonth = () => formatter('dayMonth', { day: 'numeric', month: 'long' });
const dayOnly = () => formatter('dayOnly', { day: 'numeric' });
const monthYear = () => formatter('monthYear', { month: 'numeric', year: 'numeric' });
const monthName = () => formatter('monthName', { month: 'long', year: 'numeric' });

/** A calendar date (`YYYY-MM-DD`) as an instant on that day in Amsterdam: noon UTC is 13:00 or
 * 14:00 there, so the day never shifts. */
export function civil(date: string): Date {
  return new Date(`${date}T12:00:00Z`);
}

/** "wo 14 jan 19:30 – 21:00" */
export function timeRange(startsAt: string, endsAt: string): string {
  const start = new Date(startsAt);
  const end = new Date(endsAt);
  if (Number.isNaN(start.getTime())) return startsAt;
  if (Number.isNaN(end.getTime())) return dayAndTime().format(start);
  return `${dayAndTime().format(start)} – ${timeOnly().format(end)}`;
}

/** "19:30" */
export function time(instant: string): string {
  const d = new Date(instant);
  return Number.isNaN(d.getTime()) ? instant : timeOnly().format(d);
}

/** "woensdag 14 januari 2026" */
export function longDay(date: string): string {
  const d = civil(date);
  return Number.isNaN(d.getTime()) ? date : longDate().format(d);
}

/** "14 januari 2026" */
export function day(date: string | null | undefined): string {
  if (!date) return '';
  const d = civil(date);
  return Number.isNaN(d.getTime()) ? date : shortDate().format(d);
}

/** "januari 2026" for the month of a date. */
export function month(date: string): string {
  const d = civil(date);
  return Number.isNaN(d.getTime()) ? date : monthName().format(d);
}

/** "12 t/m 18 januari", or "29 december t/m 4 januari" across months. */
export function week(start: string, end: string): string {
  const from = civil(start);
  const to = civil(end);
  const through = t('format.through');
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return `${start} ${through} ${end}`;
  const sameMonth = monthYear().format(from) === monthYear().format(to);
  return `${(sameMonth ? dayOnly() : dayMonth()).format(from)} ${through} ${dayMonth().format(to)}`;
}

/** The day and time in Amsterdam of a stored instant, as form fields hold them:
 * `{date: '2026-03-12', time: '19:30'}`. */
export function localParts(instant: string): { date: string; time: string } {
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return { date: '', time: '' };
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}` };
}

/** A day and a wall-clock time in Amsterdam as the store takes them (`2026-03-12T19:30:00`, read
 * in the record's zone by the core, which refuses a time that does not exist there). */
export function localInstant(date: string, time: string): string {
  return `${date}T${time.length === 5 ? `${time}:00` : time}`;
}

/** Today's date in Amsterdam (`YYYY-MM-DD`). */
export function todayInAmsterdam(now: Date = new Date()): string {
  return localParts(now.toISOString()).date;
}

/** `YYYY-MM-DD` plus `n` days. */
export function addDays(date: string, n: number): string {
  const d = civil(date);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Whole cents as an amount: "€ 1.234,56" (the core's own writing, `money::format_euros`), in
 * English "€1,234.56"; a negative amount "-€ 12,50". Digits are grouped by hand, not by
 * Intl's currency style, so the text is the same on every system (no narrow spaces). */
export function euros(cents: number | null | undefined): string {
  if (cents === null || cents === undefined || !Number.isFinite(cents)) return t('common.none');
  const dutch = localeTag() === 'nl-NL';
  const whole = Math.round(cents);
  const abs = Math.abs(whole);
  const digits = Math.floor(abs / 100).toString();
  const group = dutch ? '.' : ',';
  let grouped = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) grouped += group;
    grouped += digits[i];
  }
  const fraction = String(abs % 100).padStart(2, '0');
  const sign = whole < 0 ? '-' : '';
  return dutch ? `${sign}€ ${grouped},${fraction}` : `${sign}€${grouped}.${fraction}`;
}

/** A whole number in the interface language: "12.345" (nl), "12,345" (en). */
export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return t('common.none');
  return new Intl.NumberFormat(localeTag(), { maximumFractionDigits: 0 }).format(n);
}

/** A share between 0 and 1 as a percentage with at most one decimal: "87,5%" (nl), "87.5%" (en). */
export function share(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return t('common.none');
  const percent = Math.round(value * 1000) / 10;
  const text = new Intl.NumberFormat(localeTag(), { maximumFractionDigits: 1, useGrouping: false }).format(percent);
  return `${text}%`;
}
