// The Overeenkomsten screen against a mocked Rust side: the list with the too-many-projects flag,
// a new agreement through the one write door (Ctrl+N), and an agreement's page with its projects,
// the meetings where it was discussed, and the PDF to sign.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Overeenkomsten from '../Overeenkomsten.svelte';
import { cleanup, mockCommands, render, settle } from '../../test/mock';
import { byTestId, choose, click, type } from '../organisations/testing';
import { dismiss, toasts } from '../../lib/toast.svelte';
import { runNew } from '../../lib/keys';
import { areas, organisations } from '../projects/fixtures';
import { groetPage, groetRow, schoorlRow } from './fixtures';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-05-14T10:00:00Z'));
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  for (const toast of toasts()) dismiss(toast.id);
  location.hash = '';
});

const list = { id: null, params: new URLSearchParams() };
const common = { area_tree: areas, organisation_list: organisations };

describe('Overeenkomsten list', () => {
  it('lists the agreements and flags the one holding more projects than it should', async () => {
    mockCommands({ ...common, agreement_list: [groetRow, schoorlRow] });
    const page = await render(Overeenkomsten, list);

    const rows = [...byTestId('agreement-list').querySelectorAll('[data-testid="agreement-row"]')];
    expect(rows.length).toBe(2);
    expect(rows[0].textContent).toContain('Kernovereenkomst Groet 2026');
    expect(rows[0].textContent).toContain('vastgesteld');
    expect(rows[0].textContent).toContain('1 januari 2026 t/m 31 december 2026');
    expect(rows[0].textContent).toContain('€ 25.000,00');
    expect(rows[0].querySelector('[data-testid="agreement-too-many"]')).toBeNull();
    expect(rows[1].querySelector('[data-testid="agreement-too-many"]')?.textContent).toContain('te veel projecten');
    expect(rows[1].textContent).toContain('5 projecten');
    expect(rows[0].querySelector('a')?.getAttribute('href')).toBe('#/overeenkomsten/g1');
    expect(page.querySelector('a[href="#/rapportage?tab=werkkapitaal"]')).not.toBeNull();
  });

  it('says when there are none yet', async () => {
    mockCommands({ ...common, agreement_list: [] });
    await render(Overeenkomsten, list);
    expect(byTestId('agreement-none').textContent).toBe('Er zijn nog geen overeenkomsten.');
  });

  it('makes a new agreement with Ctrl+N and opens it; a missing title is said first', async () => {
    const calls = mockCommands({ ...common, agreement_list: [], write_records: { ids: ['g9'] }, agreement_page: { ...groetPage, id: 'g9' } });
    await render(Overeenkomsten, list);
    expect(runNew()).toBe(true);
    await settle();
    expect(byTestId('agreement-dialog')).toBeTruthy();

    click('agreement-save');
    await settle();
    expect(document.getElementById('ag-title-error')?.textContent).toBe('Geef de overeenkomst een titel.');
    expect(calls.filter((c) => c.cmd === 'write_records')).toEqual([]);

    // Only kernen and wijken can hold an agreement.
    const places = [...byTestId<HTMLSelectElement>('agreement-area').options].map((o) => o.textContent?.trim());
    expect(places).toEqual(['Kies…', 'Groet', 'Schoorl']);
    type(byTestId('agreement-title'), 'Kernovereenkomst Groet 2027');
    choose(byTestId('agreement-area'), 'a1');
    choose(byTestId('agreement-kernoverleg'), 'o-ko');
    type(byTestId('agreement-period-start'), '2027-01-01');
    type(byTestId('agreement-period-end'), '2027-12-31');
    click('agreement-save');
    await settle();

    expect(calls.find((c) => c.cmd === 'write_records')?.args.batch).toEqual([
      {
        op: 'create',
        entity: 'agreement',
        id: null,
        fields: {
          title: 'Kernovereenkomst Groet 2027',
          area_id: 'a1',
          kernoverleg_id: 'o-ko',
          period_start: '2027-01-01',
          period_end: '2027-12-31',
          status: 'concept',
        },
      },
    ]);
    expect(location.hash).toBe('#/overeenkomsten/g9');
    expect(toasts().map((t) => t.message)).toContain('Overeenkomst “Kernovereenkomst Groet 2027” is gemaakt.');
  });

  it('shows the core’s refusal beside the field it names', async () => {
    mockCommands({
      ...common,
      agreement_list: [],
      write_records: () => {
        throw { code: 'invalid', message: 'Een vastgestelde overeenkomst heeft een datum van vaststelling.', field: 'adopted_on' };
      },
    });
    await render(Overeenkomsten, list);
    click('agreement-new');
    await settle();
    type(byTestId('agreement-title'), 'Kernovereenkomst Schoorl');
    choose(byTestId('agreement-area'), 'a2');
    choose(byTestId('agreement-status'), 'vastgesteld');
    click('agreement-save');
    await settle();
    expect(document.getElementById('ag-adopted-error')?.textContent).toBe(
      'Een vastgestelde overeenkomst heeft een datum van vaststelling.',
    );
    expect(byTestId('agreement-dialog')).toBeTruthy();
  });
});

describe('Overeenkomst page', () => {
  it('shows kern, period, status, projects and where it was discussed', async () => {
    mockCommands({ ...common, agreement_list: [groetRow], agreement_page: groetPage });
    const page = await render(Overeenkomsten, { id: 'g1', params: new URLSearchParams() });

    expect(page.querySelector('h1')?.textContent).toBe('Kernovereenkomst Groet 2026');
    expect(byTestId('agreement-current-status').textContent).toBe('vastgesteld');
    expect(byTestId('agreement-area-name').textContent).toBe('Groet');
    expect(byTestId('agreement-period').textContent).toBe('1 januari 2026 t/m 31 december 2026');
    expect(page.textContent).toContain('vastgesteld op 10 februari 2026');
    const project = byTestId('agreement-project');
    expect(project.textContent).toContain('Speeltuin Groet opknappen');
    expect(project.textContent).toContain('coproduceren');
    expect(project.textContent).toContain('€ 12.500,00');
    expect(project.querySelector('a')?.getAttribute('href')).toBe('#/projecten/p1');
    expect(page.querySelector('[data-testid="agreement-too-many"]')).toBeNull();
    const discussed = byTestId('agreement-discussed');
    expect(discussed.textContent).toContain('Kernovereenkomst 2026 vaststellen');
    expect(discussed.textContent).toContain('10 februari 2026');
    expect(discussed.querySelector('a')?.getAttribute('href')).toBe('#/vergaderingen/m-ko');
    expect(page.textContent).toContain('Namens de gemeente Bergen: nog niet bekend');
  });

  it('flags an agreement holding too many projects', async () => {
    mockCommands({ ...common, agreement_list: [], agreement_page: { ...groetPage, too_many_projects: true } });
    await render(Overeenkomsten, { id: 'g1', params: new URLSearchParams() });
    expect(byTestId('agreement-too-many').textContent).toContain('drie of vier');
  });

  it('writes the agreement as a PDF to sign, busy while it is made, and says where it went', async () => {
    let release: () => void = () => undefined;
    const calls = mockCommands({
      ...common,
      agreement_list: [],
      agreement_page: groetPage,
      agreement_document: () =>
        new Promise((resolve) => {
          release = () => resolve({ path: '/home/an/Downloads/Kernovereenkomst Groet 2026.pdf', bytes: 40_000 });
        }),
    });
    await render(Overeenkomsten, { id: 'g1', params: new URLSearchParams() });
    click('agreement-document');
    await settle();
    expect(byTestId<HTMLButtonElement>('agreement-document').disabled).toBe(true);
    expect(byTestId('agreement-document').textContent?.trim()).toBe('PDF maken…');
    release();
    await settle();
    expect(calls.filter((c) => c.cmd === 'agreement_document').map((c) => c.args)).toEqual([{ id: 'g1' }]);
    expect(toasts().map((t) => t.message)).toContain(
      'Overeenkomst bewaard in Downloads: /home/an/Downloads/Kernovereenkomst Groet 2026.pdf',
    );
    expect(byTestId<HTMLButtonElement>('agreement-document').disabled).toBe(false);
  });

  it('adds a project to the agreement, for its kern', async () => {
    const calls = mockCommands({
      ...common,
      agreement_list: [groetRow],
      agreement_page: groetPage,
      contact_list: { offset: 0, total: 0, items: [] },
      write_records: { ids: ['p9'] },
    });
    await render(Overeenkomsten, { id: 'g1', params: new URLSearchParams() });
    click('agreement-add-project');
    await settle();
    expect(byTestId<HTMLInputElement>('project-area-a1').checked).toBe(true);
    expect(byTestId<HTMLSelectElement>('project-agreement').value).toBe('g1');
    type(byTestId('project-title'), 'Jeu-de-boulesbaan');
    choose(byTestId('project-department'), 'o-dep');
    click('project-save');
    await settle();
    const fields = (calls.find((c) => c.cmd === 'write_records')?.args.batch as { fields: Record<string, unknown> }[])[0].fields;
    expect(fields).toMatchObject({ title: 'Jeu-de-boulesbaan', agreement_id: 'g1', area_ids: ['a1'], department_id: 'o-dep' });
    expect(calls.filter((c) => c.cmd === 'agreement_page').length).toBe(2);
  });

  it('says when the agreement is gone', async () => {
    mockCommands({
      ...common,
      agreement_list: [],
      agreement_page: () => {
        throw { code: 'not_found', message: 'not found', field: null };
      },
    });
    const page = await render(Overeenkomsten, { id: 'gone', params: new URLSearchParams() });
    expect(page.querySelector('[role="alert"]')?.textContent).toBe('Deze overeenkomst bestaat niet (meer).');
  });
});
