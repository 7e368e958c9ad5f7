// The Contacten screen against a mocked Rust side.
import { afterEach, describe, expect, it } from 'vitest';
import Contacten from '../Contacten.svelte';
import { cleanup, mockCommands, render, settle } from '../../test/mock';
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { setLocale } from '../../lib/i18n.svelte';
import { contactPageAnswer, ORG } from './fixtures';
import { byTestId, click, type } from './testing';

afterEach(() => {
  cleanup();
  setLocale('nl');
  location.hash = '';
});

const rows = [
  { id: 'c1', name: 'Anna de Vries', email: 'anna@example.nl', phone: null, organisations: 'Wijkvereniging Oost' },
];

describe('Contacten list', () => {
  it('lists contacts with their organisations and searches by the typed words', async () => {
    const calls = mockCommands({ contact_list: { offset: 0, items: rows, total: 1 } });
    const page = await render(Contacten, { id: null, params: new URLSearchParams() });

    expect(page.querySelector('h1')?.textContent).toBe('Contacten');
    expect(byTestId('contact-list').textContent).toContain('Wijkvereniging Oost');
    expect(byTestId('contact-list').textContent).toContain('anna@example.nl');

    type(byTestId<HTMLInputElement>('contact-search'), 'anna');
    await settle(250);
    const queries = calls.filter((c) => c.cmd === 'contact_list').map((c) => c.args.query);
    expect(queries).toEqual([
      { offset: 0, limit: 100 },
      { text: 'anna', offset: 0, limit: 100 },
    ]);

    byTestId('contact-list').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle();
    expect(location.hash).toBe('#/contacten/c1');
  });

  it('creates a contact and opens their page; a refused e-mail address shows beside its field', async () => {
    let refuse = true;
    const calls = mockCommands({
      contact_list: { offset: 0, items: [], total: 0 },
      write_records: () => {
        if (refuse) throw { code: 'invalid', message: 'Geen geldig e-mailadres: "fatima"', field: 'email' };
        return { ids: ['c9'] };
      },
    });
    await render(Contacten, { id: null, params: new URLSearchParams() });

    click('new-contact');
    await settle();
    type(byTestId<HTMLInputElement>('contact-name'), 'Fatima El Amrani');
    type(byTestId<HTMLInputElement>('contact-email'), 'fatima');
    click('contact-save');
    await settle();
    const email = byTestId<HTMLInputElement>('contact-email');
    expect(email.closest('.field')?.querySelector('#contact-email-error')?.textContent).toBe(
      'Geen geldig e-mailadres: "fatima"',
    );
    expect(location.hash).toBe('');

    refuse = false;
    type(email, 'fatima@example.nl');
    click('contact-save');
    await settle();
    const last = calls.filter((c) => c.cmd === 'write_records').pop();
    expect(last?.args.batch).toEqual([
      {
        op: 'create',
        entity: 'contact',
        id: null,
        fields: {
          name: 'Fatima El Amrani',
          email: 'fatima@example.nl',
          phone: null,
          address: null,
          notes: null,
          // AVG: a new contact is held for the public task unless another basis is chosen.
          legal_basis: 'publieke_taak',
          consent_date: null,
          source: null,
        },
      },
    ]);
    expect(location.hash).toBe('#/contacten/c9');
  });
});

describe('Contact page', () => {
  it('shows the roles, the meetings attended and the action points, with links', async () => {
    const calls = mockCommands({ contact_page: contactPageAnswer });
    const page = await render(Contacten, { id: 'c1', params: new URLSearchParams() });

    expect(calls[0]).toEqual({ cmd: 'contact_page', args: { id: 'c1' } });
    expect(page.querySelector('h1')?.textContent).toBe('Anna de Vries');
    expect(byTestId('contact-details').textContent).toContain('06 1234 5678');

    const roles = [...byTestId('contact-roles').querySelectorAll('li')];
    expect(roles.length).toBe(2);
    expect(roles[0].querySelector('a')?.getAttribute('href')).toBe(`#/organisaties/${ORG}`);
    expect(roles[0].textContent).toContain('voorzitter');
    expect(roles[0].textContent).toContain('sinds 1 mei 2023');
    expect(roles[1].textContent).toContain('Dorpsraad Groet');
    expect(roles[1].textContent).toContain('1 januari 2020 t/m 30 juni 2025');
    expect(roles[1].classList.contains('ended')).toBe(true);

    const meetings = [...byTestId('contact-meetings').querySelectorAll('li')];
    expect(meetings.map((li) => li.querySelector('a')?.getAttribute('href'))).toEqual([
      '#/vergaderingen/m1',
      '#/vergaderingen/m2',
    ]);
    expect(meetings[0].textContent).toContain('aanwezig');
    expect(meetings[0].textContent).toContain('12 maart 2026 19:30');
    expect(meetings[1].textContent).toContain('afgemeld');

    const points = byTestId('contact-action-points');
    expect(points.querySelector('a')?.getAttribute('href')).toBe('#/actiepunten/a1');
    expect(points.textContent).toContain('bij Openbare Ruimte');
  });

  it('speaks English when that was chosen', async () => {
    setLocale('en');
    mockCommands({ contact_page: contactPageAnswer });
    const page = await render(Contacten, { id: 'c1', params: new URLSearchParams() });
    expect(page.textContent).toContain('Roles');
    expect(byTestId('contact-meetings').textContent).toContain('present');
    expect(byTestId('contact-roles').textContent).toContain('chair');
  });

  it('deletes the contact with undo and goes back to the list', async () => {
    const calls = mockCommands({ contact_page: contactPageAnswer, write_records: { ids: [] }, contact_list: { offset: 0, items: [], total: 0 } });
    await render(Contacten, { id: 'c1', params: new URLSearchParams() });
    click('contact-delete');
    await settle();
    expect(calls.find((c) => c.cmd === 'write_records')?.args.batch).toEqual([
      { op: 'delete', entity: 'contact', id: 'c1' },
    ]);
    expect(location.hash).toBe('#/contacten');
  });

  it('erases the person everywhere after a confirmation that says it cannot be undone', async () => {
    const calls = mockCommands({
      contact_page: contactPageAnswer,
      erase_contact: { contact_id: 'c1', erased_on: '2026-12-07', changed: true, role_titles_cleared: 1,
        authors_cleared: 0, organisers_cleared: 0, mentions: [] },
      contact_list: { offset: 0, items: [], total: 0 },
    });
    await render(Contacten, { id: 'c1', params: new URLSearchParams() });
    click('contact-erase');
    await settle();
    const dialog = byTestId('erase-dialog');
    expect(dialog.textContent).toContain('niet ongedaan');
    expect(dialog.textContent).toContain('op de server');
    expect(calls.some((c) => c.cmd === 'erase_contact')).toBe(false); // not before the confirmation
    click('erase-confirm');
    await settle();
    expect(calls.find((c) => c.cmd === 'erase_contact')?.args).toEqual({ id: 'c1' });
    expect(location.hash).toBe('#/contacten');
  });

  it('anonymises the person after a confirmation that says what stays', async () => {
    const calls = mockCommands({
      contact_page: contactPageAnswer,
      anonymise_contact: { contact_id: 'c1', anonymised_on: '2026-12-07', changed: true, role_titles_cleared: 0,
        authors_cleared: 0, organisers_cleared: 0, mentions: [] },
    });
    await render(Contacten, { id: 'c1', params: new URLSearchParams() });
    click('contact-anonymise');
    await settle();
    expect(byTestId('anonymise-dialog').textContent).toContain('Blijft');
    expect(calls.some((c) => c.cmd === 'anonymise_contact')).toBe(false); // not before the confirmation
    click('anonymise-confirm');
    await settle();
    expect(calls.find((c) => c.cmd === 'anonymise_contact')?.args).toEqual({ id: 'c1' });
    expect(document.querySelector('[data-testid="anonymise-dialog"]')).toBeNull();
  });

  it('drops the person from the screen, open form and all, when an erasure arrives by sync', async () => {
    let gone = false;
    mockIPC(
      (cmd) => {
        if (cmd !== 'contact_page') return null;
        if (gone) throw { code: 'not_found', message: 'Dit gegeven bestaat niet (meer)', field: null };
        return contactPageAnswer;
      },
      { shouldMockEvents: true },
    );
    const page = await render(Contacten, { id: 'c1', params: new URLSearchParams() });
    const sync = { phase: 'idle', server: 'https://x', waiting: 0, refused: 0, conflicts: 0,
      last_synced_at: null, last_error: null, last_error_code: null, next_attempt_at: null, progress: null };
    await emit('sync-state', { ...sync, received: 0 });
    click('contact-edit');
    await settle();
    expect(page.textContent).toContain('Anna de Vries');

    gone = true;
    await emit('sync-state', { ...sync, received: 7 });
    await settle(50);
    expect(page.textContent).not.toContain('Anna de Vries');
    expect(page.textContent).not.toContain('06 1234 5678');
    expect(page.querySelector('[role="alert"]')?.textContent).toContain('intussen gewist');
  });
});

