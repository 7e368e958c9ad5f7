// The passphrase form shown where no keyring holds the store's key: a new passphrase typed twice
// (at least 12 characters), or the one that opens the store; a wrong one keeps the form open
// with the reason beside the field.
import { afterEach, describe, expect, it } from 'vitest';
import axe from 'axe-core';
import PassphraseForm from './PassphraseForm.svelte';
import StoreProblem from '../screens/StoreProblem.svelte';
import { cleanup, mockCommands, render, settle, status } from '../test/mock';

afterEach(cleanup);

async function type(page: HTMLElement, id: string, value: string): Promise<void> {
  const input = page.querySelector<HTMLInputElement>(`[data-testid="${id}"]`)!;
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await settle();
}

async function submit(page: HTMLElement): Promise<void> {
  page.querySelector<HTMLButtonElement>('[data-testid="passphrase-submit"]')!.click();
  await settle();
}

const fieldError = (page: HTMLElement) => page.querySelector('#passphrase-error')?.textContent?.trim() ?? '';

describe('PassphraseForm', () => {
  it('asks a new passphrase twice, refuses a short one or two that differ, then makes the store', async () => {
    const calls = mockCommands({ unlock_store: status });
    let opened = 0;
    const page = await render(PassphraseForm, { wanted: 'new', onopened: () => (opened += 1) });
    expect(page.textContent).toContain('Kies een wachtwoord voor de gegevens');

    await type(page, 'passphrase', 'kort');
    await submit(page);
    expect(fieldError(page)).toContain('minstens 12 tekens');

    await type(page, 'passphrase', 'Dorpshuis-de-Schulp');
    await type(page, 'passphrase-again', 'Dorpshuis-de-Schulp!');
    await submit(page);
    expect(fieldError(page)).toContain('niet gelijk');
    expect(calls).toHaveLength(0);

    await type(page, 'passphrase-again', 'Dorpshuis-de-Schulp');
    await submit(page);
    expect(calls).toEqual([{ cmd: 'unlock_store', args: { passphrase: 'Dorpshuis-de-Schulp' } }]);
    expect(opened).toBe(1);
  });

  it('keeps asking with the reason when the passphrase does not open the store', async () => {
    mockCommands({
      unlock_store: () => {
        throw { code: 'wrong_passphrase', message: 'Dit wachtwoord opent het gegevensbestand niet.', field: null };
      },
    });
    let opened = 0;
    const page = await render(PassphraseForm, { wanted: 'existing', onopened: () => (opened += 1) });
    expect(page.querySelector('[data-testid="passphrase-again"]')).toBeNull();
    await type(page, 'passphrase', 'verkeerd');
    await submit(page);
    expect(fieldError(page)).toContain('opent het gegevensbestand niet');
    expect(opened).toBe(0);
  });

  it('stands under the reason on the problem screen, without accessibility violations', async () => {
    mockCommands({});
    const page = await render(StoreProblem, {
      error: { code: 'no_keyring', message: 'Er antwoordt geen sleutelbos.', field: null },
      dataFolder: '/home/an/.local/share/wijkwerk',
      passphrase: 'existing',
      onopened: () => {},
    });
    expect(page.querySelector('[data-testid="store-problem"]')?.textContent).toContain('sleutelbos');
    expect(page.querySelector('[data-testid="passphrase"]')).not.toBeNull();
    const result = await axe.run(page);
    expect(result.violations.map((v) => v.id)).toEqual([]);
  });
});
