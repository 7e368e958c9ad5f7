// axe-core over Rapportage (both tabs), Overeenkomsten and Projecten and their forms (serious and
// critical findings, and heading order) in jsdom; colour contrast needs a real browser.
import { afterEach, describe, expect, it } from 'vitest';
import axe from 'axe-core';
import Overeenkomsten from '../Overeenkomsten.svelte';
import Projecten from '../Projecten.svelte';
import Rapportage from '../Rapportage.svelte';
import { cleanup, mockCommands, render, settle } from '../../test/mock';
import { click } from '../organisations/testing';
import { groetPage, groetRow, schoorlRow } from '../agreements/fixtures';
import { areas, fietspadRow, organisations, speeltuinPage, speeltuinRow } from '../projects/fixtures';
import { bergenReport, werkkapitaal2026 } from './fixtures';

afterEach(() => {
  cleanup();
  location.hash = '';
});

const answers = {
  area_tree: areas,
  organisation_list: organisations,
  contact_list: { offset: 0, total: 0, items: [] },
  year_report: bergenReport(),
  budget_overview: werkkapitaal2026,
  agreement_list: [groetRow, schoorlRow],
  agreement_page: groetPage,
  project_list: [speeltuinRow, fietspadRow],
  project_page: speeltuinPage,
};

async function check(): Promise<string[]> {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical' || v.id === 'heading-order')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
}

describe('accessibility of Rapportage, Overeenkomsten and Projecten', () => {
  for (const [name, comp, id, query, open] of [
    ['report', Rapportage, null, '', null],
    ['werkkapitaal', Rapportage, null, 'tab=werkkapitaal', null],
    ['commitment form', Rapportage, null, 'tab=werkkapitaal', 'commitment-new'],
    ['payment form', Rapportage, null, 'tab=werkkapitaal', 'payment-new'],
    ['agreement list', Overeenkomsten, null, '', null],
    ['agreement form', Overeenkomsten, null, '', 'agreement-new'],
    ['agreement page', Overeenkomsten, 'g1', '', null],
    ['project list', Projecten, null, '', null],
    ['project form', Projecten, null, '', 'project-new'],
    ['project page', Projecten, 'p1', '', null],
  ] as const) {
    it(name, async () => {
      mockCommands(answers);
      await render(comp as never, { id, params: new URLSearchParams(query) } as never);
      if (open) click(open);
      await settle();
      expect(await check()).toEqual([]);
    });
  }
});
