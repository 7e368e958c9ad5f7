// The Organisaties screen against a mocked Rust side.
import { afterEach, describe, expect, it } from 'vitest';
import Organisaties from '../Organisaties.svelte';
import { cleanup, mockCommands, render, settle, status, type Call } from '../../test/mock';
import type { WriteRequest } from '../../lib/ipc';
import { board, ORG, organisation } from './fixtures';
import { byTestId, choose, click, type } from './testing';

afterEach(() => {
  cleanup();
  location.hash = '';
});

const rows = [
  { id: 'o1', name: 'Dorpsraad Groet', kind: 'dorpsraad', email: 'info@groet.nl', phone: null },
  { id: 'o2', name: 'Wijkvereniging Oost', kind: 'wijkvereniging', email: null, phone: '072 123' },
];

const list = (args: Record<string, unknown>) => {
  const query = args.query as { offset: number };
  return { offset: query.offset, items: rows, total: rows.length };
};

const batches = (calls: Call[]) =>
  calls.filter((c) => c.cmd === 'write_records').map((c) => c.args.batch as WriteRequest[]);

/** The answers an organisation's page asks for. */
function pageAnswers(extra: Record<string, unknown> = {}) {
  return {
    app_status: status,
    get_record: organisation,
    organisation_board: board,
    meeting_list: {
      offset: 0,
      total: 1,
      items: [
        {
          id: 'm1',
          kind: 'ledenvergadering',
          title: 'Ledenvergadering voorjaar',
          starts_at: '2026-03-12T18:30:00Z',
          ends_at: '2026-03-12T20:30:00Z',
          time_zone: 'Europe/Amsterdam',
          location: 'De Hoeksteen',
          status: 'planned',
          organisation_id: ORG,
          organisation_name: organisation.name,
          area_id: null,
          area_name: null,
        },
      ],
    },
    action_point_list: {
      offset: 0,
      total: 1,
      items: [
        {
          id: 'a1',
          title: 'Bankje bij de speeltuin',
          status: 'open',
          due_date: '2026-02-01',
          opened_on: '2026-01-02',
          area_id: null,
          area_name: null,
          owner_organisation_id: null,
          owner_name: 'Openbare Ruimte',
          requester_organisation_id: ORG,
          requester_name: organisation.name,
          days_overdue: 0,
        },
      ],
    },
    ...extra,
  };
}

describe('Organisaties list', () => {
  it('asks for the organisations with the typed words and the chosen kind', async () => {
    const calls = mockCommands({ organisation_list: list });
    const page = await render(Organisaties, { id: null, params: new URLSearchParams() });

    expect(page.querySelector('h1')?.textContent).toBe('Organisaties');
    expect(byTestId('organisation-list').getAttribute('data-total')).toBe('2');
    expect(page.textContent).toContain('Dorpsraad Groet');
    expect(page.textContent).toContain('info@groet.nl');

    type(byTestId<HTMLInputElement>('organisation-search'), 'groet');
    await settle(250);
    choose(byTestId<HTMLSelectElement>('organisation-kind-filter'), 'dorpsraad');
    await settle();

    const queries = calls.filter((c) => c.cmd === 'organisation_list').map((c) => c.args.query);
    expect(queries[0]).toEqual({ offset: 0, limit: 100 });
    expect(queries).toContainEqual({ text: 'groet', offset: 0, limit: 100 });
    expect(queries[queries.length - 1]).toEqual({ text: 'groet', kind: 'dorpsraad', offset: 0, limit: 100 });
  });

  it('creates an organisation and opens its page', async () => {
    const calls = mockCommands({ organisation_list: list, write_records: { ids: ['o9'] } });
    await render(Organisaties, { id: null, params: new URLSearchParams() });

    click('new-organisation');
    await settle();
    expect(byTestId<HTMLSelectElement>('organisation-kind').value).toBe('wijkvereniging');
    type(byTestId<HTMLInputElement>('organisation-name'), '  Bewonersvereniging Noord ');
    choose(byTestId<HTMLSelectElement>('organisation-kind'), 'bewonersvereniging');
    type(byTestId<HTMLInputElement>('organisation-board-size'), '7');
    type(byTestId<HTMLInputElement>('organisation-email'), 'info@noord.nl');
    click('organisation-save');
    await settle();

    expect(batches(calls)).toEqual([
      [
        {
          op: 'create',
          entity: 'organisation',
          id: null,
          fields: {
            name: 'Bewonersvereniging Noord',
            kind: 'bewonersvereniging',
            board_size: 7,
            email: 'info@noord.nl',
            phone: null,
            website: null,
            notes: null,
          },
        },
      ],
    ]);
    expect(location.hash).toBe('#/organisaties/o9');
  });

  it('opens the dialog with Ctrl+N and shows a refused e-mail address beside its field', async () => {
    mockCommands({
      organisation_list: list,
      write_records: () => {
        throw { code: 'invalid', message: 'Geen geldig e-mailadres: "info@noord"', field: 'email' };
      },
    });
    const { runNew } = await import('../../lib/keys');
    await render(Organisaties, { id: null, params: new URLSearchParams() });

    expect(runNew()).toBe(true);
    await settle();
    type(byTestId<HTMLInputElement>('organisation-name'), 'Noord');
    type(byTestId<HTMLInputElement>('organisation-email'), 'info@noord');
    click('organisation-save');
    await settle();

    const email = byTestId<HTMLInputElement>('organisation-email');
    const message = document.getElementById('organisation-email-error');
    expect(message?.textContent).toBe('Geen geldig e-mailadres: "info@noord"');
    expect(email.closest('.field')?.contains(message)).toBe(true);
    expect(email.getAttribute('aria-describedby')).toBe('organisation-email-error');
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById('organisation-name-error')).toBeNull();
    expect(location.hash).toBe('');
  });

  it('asks for a name before sending anything', async () => {
    const calls = mockCommands({ organisation_list: list });
    await render(Organisaties, { id: null, params: new URLSearchParams() });
    click('new-organisation');
    await settle();
    click('organisation-save');
    await settle();
    expect(document.getElementById('organisation-name-error')?.textContent).toBe('Vul een naam in.');
    expect(batches(calls)).toEqual([]);
  });
});

describe('Organisation page', () => {
  it('shows the details, the board today, the vacancies, the history, meetings and action points', async () => {
    const calls = mockCommands(pageAnswers());
    const page = await render(Organisaties, { id: ORG, params: new URLSearchParams() });

    expect(page.querySelector('h1')?.textContent).toBe('Wijkvereniging Oost');
    expect(byTestId('organisation-details').textContent).toContain('Wijkvereniging');
    expect(byTestId('organisation-details').textContent).toContain('bestuur@oost.nl');

    const current = [...byTestId('board-current').querySelectorAll('li')];
    expect(current.map((li) => li.querySelector('a')?.textContent)).toEqual(['Anna de Vries', 'Piet Bakker']);
    expect(current[0].querySelector('a')?.getAttribute('href')).toBe('#/contacten/c1');
    expect(current[0].textContent).toContain('voorzitter');
    expect(current[0].textContent).toContain('sinds 1 mei 2023');

    const vacancies = byTestId('board-vacancies').textContent;
    expect(vacancies).toContain('3 lege zetels');
    expect(vacancies).toContain('Geen penningmeester');
    expect(page.textContent).toContain('2 van 5 zetels bezet');

    const history = byTestId('board-history');
    expect(history.querySelectorAll('tbody tr').length).toBe(3);
    expect(history.querySelector('tr.ended')?.textContent).toContain('Kees Smit');
    expect(history.querySelector('tr.ended')?.textContent).toContain('beëindigd 30 juni 2025');

    expect(byTestId('organisation-meetings').querySelector('a')?.getAttribute('href')).toBe('#/vergaderingen/m1');
    expect(byTestId('organisation-action-points').querySelector('a')?.getAttribute('href')).toBe('#/actiepunten/a1');
    expect(byTestId('new-meeting').getAttribute('href')).toBe(`#/vergaderingen?new=1&organisation=${ORG}`);

    const asked = Object.fromEntries(calls.map((c) => [c.cmd, c.args]));
    expect(asked.meeting_list).toEqual({
      query: { organisation_id: ORG, newest_first: true, offset: 0, limit: 20 },
    });
    expect(asked.action_point_list).toEqual({
      query: {
        requester_id: ORG,
        statuses: ['open', 'in_progress', 'waiting'],
        overdue_only: false,
        offset: 0,
        limit: 50,
      },
    });
  });

  it('adds a role for a new contact: the contact and the role in one batch', async () => {
    const calls = mockCommands(pageAnswers({ write_records: { ids: ['x', 'y'] } }));
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });

    click('add-role');
    await settle();
    expect(byTestId<HTMLSelectElement>('role-kind').value).toBe('board_member');
    expect(byTestId<HTMLInputElement>('role-start').value).toBe('2026-01-14');
    type(byTestId<HTMLInputElement>('role-new-contact-name'), 'Fatima El Amrani');
    type(byTestId<HTMLInputElement>('role-new-contact-email'), 'fatima@example.nl');
    choose(byTestId<HTMLSelectElement>('role-kind'), 'treasurer');
    click('role-save');
    await settle();

    const written = batches(calls);
    expect(written.length).toBe(1);
    const [contact, role] = written[0] as Extract<WriteRequest, { op: 'create' }>[];
    expect(contact).toMatchObject({
      op: 'create',
      entity: 'contact',
      fields: { name: 'Fatima El Amrani', email: 'fatima@example.nl' },
    });
    expect(contact.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(role).toEqual({
      op: 'create',
      entity: 'role',
      id: null,
      fields: {
        kind: 'treasurer',
        title: null,
        start_date: '2026-01-14',
        end_date: null,
        contact_id: contact.id,
        organisation_id: ORG,
      },
    });
    // The board is read again, and the dialog is gone.
    expect(calls.filter((c) => c.cmd === 'organisation_board').length).toBe(2);
    expect(document.querySelector('[data-testid="role-dialog"]')).toBeNull();
  });

  it('adds a role for an existing contact found by name (Ctrl+N)', async () => {
    const calls = mockCommands(
      pageAnswers({
        write_records: { ids: ['y'] },
        contact_list: {
          offset: 0,
          total: 1,
          items: [{ id: 'c7', name: 'Jan Visser', email: null, phone: null, organisations: 'Dorpsraad Groet' }],
        },
      }),
    );
    const { runNew } = await import('../../lib/keys');
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });

    expect(runNew()).toBe(true);
    await settle();
    type(byTestId<HTMLInputElement>('role-contact-search'), 'vis');
    await settle(250);
    expect(calls.find((c) => c.cmd === 'contact_list')?.args).toEqual({
      query: { text: 'vis', offset: 0, limit: 10 },
    });
    click('role-contact-option');
    await settle();
    expect(byTestId('role-contact-chosen').textContent).toContain('Jan Visser');
    click('role-save');
    await settle();

    expect(batches(calls)).toEqual([
      [
        {
          op: 'create',
          entity: 'role',
          id: null,
          fields: {
            kind: 'board_member',
            title: null,
            start_date: '2026-01-14',
            end_date: null,
            contact_id: 'c7',
            organisation_id: ORG,
          },
        },
      ],
    ]);
  });

  it('refuses a role without a person, and ends a role on today', async () => {
    const calls = mockCommands(pageAnswers({ write_records: { ids: ['r2'] } }));
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });

    click('add-role');
    await settle();
    click('role-save');
    await settle();
    expect(document.getElementById('role-contact-error')?.textContent).toContain('Kies een contact');
    expect(batches(calls)).toEqual([]);
    byTestId('role-dialog').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await settle();
    expect(document.querySelector('[data-testid="role-dialog"]')).toBeNull();

    const secretaryRow = byTestId('board-current').querySelectorAll('li')[1];
    click('role-end-button', secretaryRow);
    await settle();
    expect(byTestId('role-dialog').textContent).toContain('Piet Bakker stopt als secretaris.');
    expect(byTestId<HTMLInputElement>('role-end').value).toBe('2026-01-14');
    click('role-save');
    await settle();
    expect(batches(calls)).toEqual([
      [{ op: 'update', entity: 'role', id: 'r2', fields: { end_date: '2026-01-14' } }],
    ]);
    expect(calls.filter((c) => c.cmd === 'organisation_board').length).toBe(2);
  });

  it('deletes a role with undo', async () => {
    const calls = mockCommands(pageAnswers({ write_records: { ids: [] } }));
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });

    const formerRow = byTestId('board-history').querySelector('tr.ended')!;
    expect(formerRow.querySelector('[data-testid="role-end-button"]')).toBeNull();
    click('role-delete', formerRow);
    await settle();
    expect(batches(calls)).toEqual([[{ op: 'delete', entity: 'role', id: 'r3' }]]);
    expect(calls.filter((c) => c.cmd === 'organisation_board').length).toBe(2);
  });

  it('changes a role (kind, title, dates) and the organisation\'s details', async () => {
    const calls = mockCommands(pageAnswers({ write_records: { ids: [] } }));
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });

    click('role-edit', byTestId('board-current').querySelectorAll('li')[1]);
    await settle();
    expect(byTestId<HTMLSelectElement>('role-kind').value).toBe('secretary');
    choose(byTestId<HTMLSelectElement>('role-kind'), 'vice_chair');
    type(byTestId<HTMLInputElement>('role-title'), 'tevens notulist');
    type(byTestId<HTMLInputElement>('role-end'), '2026-12-31');
    click('role-save');
    await settle();

    click('organisation-edit');
    await settle();
    expect(byTestId<HTMLInputElement>('organisation-name').value).toBe('Wijkvereniging Oost');
    type(byTestId<HTMLInputElement>('organisation-board-size'), '');
    type(byTestId<HTMLInputElement>('organisation-phone'), '');
    click('organisation-save');
    await settle();

    expect(batches(calls)).toEqual([
      [
        {
          op: 'update',
          entity: 'role',
          id: 'r2',
          fields: { kind: 'vice_chair', title: 'tevens notulist', start_date: '2024-01-01', end_date: '2026-12-31' },
        },
      ],
      [
        {
          op: 'update',
          entity: 'organisation',
          id: ORG,
          fields: {
            name: 'Wijkvereniging Oost',
            kind: 'wijkvereniging',
            board_size: null,
            email: 'bestuur@oost.nl',
            phone: null,
            website: null,
            notes: 'Vergadert in De Hoeksteen.',
          },
        },
      ],
    ]);
    expect(document.querySelector('[data-testid="organisation-dialog"]')).toBeNull();
  });

  it('picks the first match with Enter in the contact search', async () => {
    mockCommands(
      pageAnswers({
        contact_list: {
          offset: 0,
          total: 1,
          items: [{ id: 'c7', name: 'Jan Visser', email: null, phone: null, organisations: null }],
        },
      }),
    );
    await render(Organisaties, { id: ORG, params: new URLSearchParams() });
    click('add-role');
    await settle();
    const search = byTestId<HTMLInputElement>('role-contact-search');
    type(search, 'jan');
    await settle(250);
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    await settle();
    expect(byTestId('role-contact-chosen').textContent).toContain('Jan Visser');
    expect(document.activeElement?.id).toBe('role-kind');
  });
});
