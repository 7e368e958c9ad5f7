// Dates and times in Dutch, as the coordinators read them: always in Amsterdam's time,
// whatever the laptop's own zone is.

const ZONE = 'Europe/Amsterdam';

const dayAndTime = new Intl.DateTimeFormat('nl-NL', {
  timeZone: ZONE,
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});
const timeOnly = new Intl.DateTimeFormat('nl-NL', {
  timeZone: ZONE,
  hour: '2-digit',
  minute: '2-digit',
});
const longDate = new Intl.DateTimeFormat('nl-NL', {
  timeZone: ZONE,
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
const shortDate = new Intl.DateTimeFormat('nl-NL', {
  timeZone: ZONE,
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
const dayMonth = new Intl.DateTimeFormat('nl-NL', {
  timeZone: ZONE,
  day: 'numeric',
  month: 'long',
});
const dayOnly = new Intl.DateTimeFormat('nl-NL', { timeZone: ZONE, day: 'numeric' });
const monthYear = new Intl.DateTimeFormat('nl-NL', {
  timeZone: ZONE,
  month: 'numeric',
  year: 'numeric',
});

/** A calendar date (`YYYY-MM-DD`) as an instant on that day in Amsterdam: noon UTC is 13:00 or
 * 14:00 there, so the day never shifts. */
function civil(date: string): Date {
  return new Date(`${date}T12:00:00Z`);
}

/** "wo 14 jan 19:30 – 21:00" */
export function timeRange(startsAt: string, endsAt: string): string {
  const start = new Date(startsAt);
  const end = new Date(endsAt);
  if (Number.isNaN(start.getTime())) return startsAt;
  if (Number.isNaN(end.getTime())) return dayAndTime.format(start);
  return `${dayAndTime.format(start)} – ${timeOnly.format(end)}`;
}

/** "woensdag 14 januari 2026" */
export function longDay(date: string): string {
  const d = civil(date);
  return Number.isNaN(d.getTime()) ? date : longDate.format(d);
}

/** "14 januari 2026" */
export function day(date: string | null): string {
  if (date === null) return '';
  const d = civil(date);
  return Number.isNaN(d.getTime()) ? date : shortDate.format(d);
}

/** "12 t/m 18 januari", or "29 december t/m 4 januari" across months. */
export function week(start: string, end: string): string {
  const from = civil(start);
  const to = civil(end);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return `${start} t/m ${end}`;
  const sameMonth = monthYear.format(from) === monthYear.format(to);
  return `${(sameMonth ? dayOnly : dayMonth).format(from)} t/m ${dayMonth.format(to)}`;
}
