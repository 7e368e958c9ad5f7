import { afterEach, describe, expect, it } from 'vitest';
import { dictionaries, label, setLocale, t } from './i18n.svelte';

afterEach(() => setLocale('nl'));

describe('i18n', () => {
  it('has every Dutch word in English too, none left empty or untranslated by accident', () => {
    const missing = Object.keys(dictionaries.nl).filter((key) => !(key in dictionaries.en));
    expect(missing).toEqual([]);
    const empty = Object.entries(dictionaries.en).filter(([, text]) => text.trim() === '');
    expect(empty).toEqual([]);
    const extra = Object.keys(dictionaries.en).filter((key) => !(key in dictionaries.nl));
    expect(extra).toEqual([]);
  });

  it('keeps the same placeholders in both languages', () => {
    const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const different = Object.keys(dictionaries.nl).filter(
      (key) => names(dictionaries.nl[key]).join() !== names(dictionaries.en[key] ?? '').join(),
    );
    expect(different).toEqual([]);
  });

  it('switches language, fills in parameters and picks the singular', () => {
    expect(t('nav.today')).toBe('Vandaag');
    expect(t('common.days', { n: 3 })).toBe('3 dagen');
    expect(t('common.days', { n: 1 })).toBe('1 dag');
    setLocale('en');
    expect(t('nav.today')).toBe('Today');
    expect(t('common.days', { n: 1 })).toBe('1 day');
    expect(label('status', 'in_progress')).toBe('in progress');
    expect(label('status', 'unknown_code')).toBe('unknown_code');
  });
});
