// The Projecten screen against a mocked Rust side: the list filtered by area and status, a new
// project through the one write door, and a project's page with its milestones, everything
// linked to it, its money and the kern's yearly overview.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Projecten from '../Projecten.svelte';
import { cleanup, mockCommands, render, settle, type Call } from '../../test/mock';
import { byTestId, choose, click, type } from '../organisations/testing';
import { dismiss, toasts } from '../../lib/toast.svelte';
import { runNew } from '../../lib/keys';
import { areas, fietspadRow, organisations, speeltuinPage, speeltuinRow } from './fixtures';

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

const common = {
  area_tree: areas,
  organisation_list: organisations,
  agreement_list: [],
  contact_list: { offset: 0, total: 1, items: [{ id: 'c1', name: 'Piet Bakker', email: null, phone: null, organisations: 'Openbare Ruimte' }] },
};

function listed(calls: Call[]): Record<string, unknown>[] {
  return calls.filter((c) => c.cmd === 'project_list').map((c) => c.args);
}

describe('Projecten list', () => {
  it('lists projects and plans, and asks again when the area or status filter changes', async () => {
    const calls = mockCommands({ ...common, project_list: [speeltuinRow, fietspadRow] });
    const page = await render(Projecten, { id: null, params: new URLSearchParams('status=voorbereiding') });

    expect(listed(calls)).toEqual([{ areaId: null, status: 'voorbereiding' }]);
    const rows = [...byTestId('project-list').querySelectorAll('[data-testid="project-row"]')];
    expect(rows.length).toBe(2);
    expect(rows[0].textContent).toContain('Speeltuin Groet opknappen');
    expect(rows[0].textContent).toContain('coproduceren');
    expect(rows[0].textContent).toContain('Kernovereenkomst Groet 2026');
    expect(rows[0].textContent).toContain('1 maart 2026 t/m 30 november 2026');
    expect(rows[0].textContent).toContain('€ 12.500,00');
    expect(rows[0].querySelector('[data-testid="project-late"]')?.textContent).toBe('1 mijlpaal te laat');
    expect(rows[1].querySelector('[data-testid="project-late"]')).toBeNull();
    expect(rows[1].textContent).toContain('Bergen');
    expect(byTestId('project-count').textContent).toBe('2 projecten');

    choose(byTestId('project-filter-area'), 'a1');
    await settle();
    choose(byTestId('project-filter-status'), '');
    await settle();
    expect(listed(calls).slice(1)).toEqual([
      { areaId: 'a1', status: 'voorbereiding' },
      { areaId: 'a1', status: null },
    ]);
    expect(page.querySelector('[data-testid="project-none"]')).toBeNull();
  });

  it('says when nothing matches', async () => {
    mockCommands({ ...common, project_list: [] });
    await render(Projecten, { id: null, params: new URLSearchParams() });
    expect(byTestId('project-none').textContent).toBe('Geen projecten gevonden.');
  });

  it('makes a new project with Ctrl+N: a department is needed, the budget goes as typed', async () => {
    const calls = mockCommands({ ...common, project_list: [], write_records: { ids: ['p9'] }, project_page: speeltuinPage });
    await render(Projecten, { id: null, params: new URLSearchParams() });
    expect(runNew()).toBe(true);
    await settle();

    type(byTestId('project-title'), 'Bankjes langs de Hereweg');
    click('project-save');
    await settle();
    expect(document.getElementById('pr-department-error')?.textContent).toBe('Kies de afdeling die het project draagt.');
    expect(calls.filter((c) => c.cmd === 'write_records')).toEqual([]);

    // Departments only, in their own list.
    expect([...byTestId<HTMLSelectElement>('project-department').options].map((o) => o.textContent)).toEqual([
      'Kies…',
      'Openbare Ruimte',
    ]);
    choose(byTestId('project-department'), 'o-dep');
    await settle();
    choose(byTestId('project-department-contact'), 'c1');
    choose(byTestId('project-step'), 'adviseren');
    byTestId<HTMLInputElement>('project-area-a1').click();
    type(byTestId('project-budget'), '1234.56');
    type(byTestId('project-start'), '2026-06-01');
    click('project-save');
    await settle();

    expect(calls.find((c) => c.cmd === 'write_records')?.args.batch).toEqual([
      {
        op: 'create',
        entity: 'project',
        id: null,
        fields: {
          title: 'Bankjes langs de Hereweg',
          area_ids: ['a1'],
          department_id: 'o-dep',
          department_contact_id: 'c1',
          participation_step: 'adviseren',
          status: 'idee',
          budget_cents: '1234.56',
          start_date: '2026-06-01',
        },
      },
    ]);
    expect(location.hash).toBe('#/projecten/p9');
  });
});

describe('Project page', () => {
  it('shows the project with its ladder step, milestones, linked work and money', async () => {
    mockCommands({ ...common, project_page: speeltuinPage });
    const page = await render(Projecten, { id: 'p1', params: new URLSearchParams() });

    expect(page.querySelector('h1')?.textContent).toBe('Speeltuin Groet opknappen');
    expect(byTestId('project-current-status').textContent).toBe('voorbereiding');
    expect(byTestId('project-step').querySelector('[aria-current="step"]')?.textContent).toBe('coproduceren');
    expect(byTestId('project-department').textContent).toContain('Openbare Ruimte');
    expect(byTestId('project-department').textContent).toContain('Piet Bakker');
    expect(byTestId('project-agreement').querySelector('a')?.getAttribute('href')).toBe('#/overeenkomsten/g1');

    const milestones = [...page.querySelectorAll('[data-testid="milestone-row"]')];
    expect(milestones[0].textContent).toContain('gehaald op 14 maart 2026');
    expect(milestones[0].querySelector('[data-testid="milestone-done"]')).toBeNull();
    expect(milestones[1].textContent).toContain('te laat');

    expect(byTestId('project-action-points').textContent).toContain('Offerte toestellen opvragen');
    expect(byTestId('project-action-points').querySelector('a')?.getAttribute('href')).toBe('#/actiepunten/ap1');
    expect(byTestId('project-mentions').textContent).toContain('Speeltuin: wensen van de kinderen');
    expect(byTestId('project-mentions').querySelector('a')?.getAttribute('href')).toBe('#/vergaderingen/m-ko');
    expect(byTestId('project-money').textContent).toContain('€ 5.000,00');
    expect(byTestId('project-money').textContent).toContain('€ 1.200,00');
  });

  it('adds a milestone, and shows the core’s refusal of one outside the period', async () => {
    let refuse = true;
    const calls = mockCommands({
      ...common,
      project_page: speeltuinPage,
      write_records: () => {
        if (refuse) {
          refuse = false;
          throw { code: 'invalid', message: 'Mijlpaal: de datum valt buiten de periode 2026-03-01 – 2026-11-30.', field: 'date' };
        }
        return { ids: ['m9'] };
      },
    });
    await render(Projecten, { id: 'p1', params: new URLSearchParams() });

    click('milestone-add');
    await settle();
    expect(byTestId('milestone-error').textContent).toBe('Zeg wat de mijlpaal is en op welke datum.');

    type(byTestId('milestone-date'), '2027-01-15');
    type(byTestId('milestone-title'), 'Opening');
    click('milestone-add');
    await settle();
    expect(byTestId('milestone-error').textContent).toContain('buiten de periode');
    expect(byTestId<HTMLInputElement>('milestone-title').value).toBe('Opening');

    type(byTestId('milestone-date'), '2026-11-15');
    click('milestone-add');
    await settle();
    expect(calls.filter((c) => c.cmd === 'write_records').at(-1)?.args.batch).toEqual([
      { op: 'create', entity: 'milestone', id: null, fields: { project_id: 'p1', date: '2026-11-15', title: 'Opening' } },
    ]);
    expect(document.querySelector('[data-testid="milestone-error"]')).toBeNull();
    expect(byTestId<HTMLInputElement>('milestone-title').value).toBe('');
    expect(toasts().map((t) => t.message)).toContain('Mijlpaal “Opening” is toegevoegd.');
  });

  it('marks a milestone reached today', async () => {
    const calls = mockCommands({ ...common, project_page: speeltuinPage, write_records: { ids: ['m2'] } });
    await render(Projecten, { id: 'p1', params: new URLSearchParams() });
    click('milestone-done');
    await settle();
    expect(calls.find((c) => c.cmd === 'write_records')?.args.batch).toEqual([
      { op: 'update', entity: 'milestone', id: 'm2', fields: { done_on: '2026-05-14' } },
    ]);
  });

  it('writes the yearly overview of the kern the project touches', async () => {
    const calls = mockCommands({
      ...common,
      project_page: speeltuinPage,
      kern_overview_document: { path: '/home/an/Downloads/jaaroverzicht-Groet-2026.pdf', bytes: 3000 },
    });
    await render(Projecten, { id: 'p1', params: new URLSearchParams() });
    expect(byTestId('kern-overview').textContent).toContain('Groet');
    click('kern-overview');
    await settle();
    expect(calls.filter((c) => c.cmd === 'kern_overview_document').map((c) => c.args)).toEqual([{ kernId: 'a1', year: 2026 }]);
    expect(toasts().map((t) => t.message)).toContain('Jaaroverzicht bewaard in Downloads: /home/an/Downloads/jaaroverzicht-Groet-2026.pdf');
  });

  it('edits the project with its stored budget as euros', async () => {
    const calls = mockCommands({ ...common, project_page: speeltuinPage, write_records: { ids: ['p1'] } });
    await render(Projecten, { id: 'p1', params: new URLSearchParams() });
    click('project-edit');
    await settle();
    expect(byTestId<HTMLInputElement>('project-budget').value).toBe('12500,00');
    choose(byTestId('project-status'), 'uitvoering');
    click('project-save');
    await settle();
    const write = (calls.find((c) => c.cmd === 'write_records')?.args.batch as { op: string; fields: Record<string, unknown> }[])[0];
    expect(write.op).toBe('update');
    expect(write.fields).toMatchObject({ status: 'uitvoering', budget_cents: '12500,00', department_contact_id: 'c1' });
  });
});
