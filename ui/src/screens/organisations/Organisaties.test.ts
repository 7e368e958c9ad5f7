// The Organisaties screen against a mocked Rust side.
import { afterEach, describe, expect, it } from 'vitest';
import Organisaties from '../Organisaties.svelte';
import { cleanup, mockCommands, render, settle } from '../../test/mock';
import { choose, type } from './testing';

afterEach(() => {
  cleanup();
  location.hash = '';
});

const rows = [
  { id: 'o1', name: 'Dorpsraad Groet', kind: 'dorpsraad', email: 'info@groet.nl', phone: null },
  { id: 'o2', name: 'Wijkvereniging Oost', kind: 'wijkvereniging', email: null, phone: '072 123' },
];


describe('Organisaties list', () => {
  it('asks for the organisations with the typed words and the chosen kind', async () => {
    const calls = mockCommands({
      organisation_list: (args: Record<string, unknown>) => {
        const query = args.query as { offset: number };
        return { offset: query.offset, items: rows, total: rows.length };
      },
    });
    const page = await render(Organisaties, { id: null, params: new URLSearchParams() });

    expect(page.querySelector('h1')?.textContent).toBe('Organisaties');
    const list = page.querySelector('[data-testid="organisation-list"]');
    expect(list?.getAttribute('data-total')).toBe('2');

    type(page.querySelector<HTMLInputElement>('[data-testid="organisation-search"]')!, 'groet');
    await settle(250);
    choose(page.querySelector<HTMLSelectElement>('[data-testid="organisation-kind-filter"]')!, 'dorpsraad');
    await settle();

    const queries = calls.filter((c) => c.cmd === 'organisation_list').map((c) => c.args.query);
    expect(queries[0]).toMatchObject({ offset: 0, limit: 100 });
    expect(queries).toContainEqual({ text: 'groet', offset: 0, limit: 100 });
    expect(queries[queries.length - 1]).toEqual({ text: 'groet', kind: 'dorpsraad', offset: 0, limit: 100 });
  });
});
