// The interface language and the words in it. `t('nav.today')` gives the word in the chosen
// language; called in a template, it is redrawn when the language changes. Dutch is the default;
// English is chosen in Instellingen (and kept by the Rust side in the settings file).

import * as common from '../i18n/common';
import * as today from '../i18n/today';
import * as areas from '../i18n/areas';
import * as organisations from '../i18n/organisations';
import * as meetings from '../i18n/meetings';
import * as visits from '../i18n/visits';
import * as actionPoints from '../i18n/action_points';
import * as search from '../i18n/search';
import * as settings from '../i18n/settings';
import * as sync from '../i18n/sync';
import * as calendar from '../i18n/calendar';
import * as reports from '../i18n/reports';
import * as exports from '../i18n/exports';
import * as imports from '../i18n/imports';

export type Locale = 'nl' | 'en';

type Dictionary = Record<string, string>;

/** Every screen's words, merged per language. */
export const dictionaries: Record<Locale, Dictionary> = { nl: {}, en: {} };
for (const part of [common, today, areas, organisations, meetings, visits, actionPoints, search, settings, sync, calendar, reports, exports, imports]) {
  Object.assign(dictionaries.nl, part.nl);
  Object.assign(dictionaries.en, part.en);
}

let current = $state<Locale>('nl');

export function locale(): Locale {
  return current;
}

export function setLocale(next: Locale | string | null | undefined): void {
  current = next === 'en' ? 'en' : 'nl';
  if (typeof document !== 'undefined') document.documentElement.lang = current;
}

/** The BCP 47 tag for dates and numbers: nl-NL, or en-GB (day before month, 24-hour clock). */
export function localeTag(): string {
  return current === 'nl' ? 'nl-NL' : 'en-GB';
}

type Params = Record<string, string | number>;

/**
 * The text for `key` in the current language, with `{name}` replaced by `params.name`. With a
 * numeric `n` of 1, the key `key_one` is used when there is one ("1 dag" / "3 dagen"). A key
 * missing in English falls back to Dutch, and a key missing everywhere shows as itself.
 */
export function t(key: string, params?: Params): string {
  const dictionary = dictionaries[current];
  let chosen = key;
  if (params && params.n === 1 && (`${key}_one` in dictionary || `${key}_one` in dictionaries.nl)) {
    chosen = `${key}_one`;
  }
  let text = dictionary[chosen] ?? dictionaries.nl[chosen] ?? chosen;
  if (params) {
    text = text.replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in params ? String(params[name]) : whole,
    );
  }
  return text;
}

/** The word for a stored code in a family (`kind`, `status`, `role`, `entity`, `step`): t('kind.x'). */
export function label(family: 'kind' | 'status' | 'role' | 'entity' | 'step', code: string | null): string {
  if (code === null || code === '') return t('common.none');
  const key = `${family}.${code}`;
  return key in dictionaries.nl ? t(key) : code;
}
