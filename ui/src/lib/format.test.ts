// The numbers of reports and money as the coordinators read them, in both languages.
import { afterEach, describe, expect, it } from 'vitest';
import { count, euros, share } from './format';
import { setLocale } from './i18n.svelte';

afterEach(() => setLocale('nl'));

describe('euros', () => {
  it('writes whole cents as the core does: "€ 1.234,56"', () => {
    expect(euros(123456)).toBe('€ 1.234,56');
    expect(euros(0)).toBe('€ 0,00');
    expect(euros(5)).toBe('€ 0,05');
    expect(euros(100)).toBe('€ 1,00');
    expect(euros(99999999)).toBe('€ 999.999,99');
    expect(euros(123456789012)).toBe('€ 1.234.567.890,12');
    expect(euros(-1250)).toBe('-€ 12,50');
  });

  it('shows a missing amount as a dash, and writes English amounts the English way', () => {
    expect(euros(null)).toBe('—');
    expect(euros(undefined)).toBe('—');
    setLocale('en');
    expect(euros(123456)).toBe('€1,234.56');
    expect(euros(-1250)).toBe('-€12.50');
  });
});

describe('count and share', () => {
  it('writes counts grouped and shares as a percentage with one decimal', () => {
    expect(count(12345)).toBe('12.345');
    expect(count(null)).toBe('—');
    expect(share(0.875)).toBe('87,5%');
    expect(share(1)).toBe('100%');
    expect(share(0)).toBe('0%');
    expect(share(2 / 3)).toBe('66,7%');
    expect(share(null)).toBe('—');
    setLocale('en');
    expect(share(0.875)).toBe('87.5%');
    expect(count(12345)).toBe('12,345');
  });
});
