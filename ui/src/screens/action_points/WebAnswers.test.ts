// "Beantwoord via het web" on Vandaag: the answers department colleagues gave on the server's
// pages since the coordinator last looked, and "Gezien".
import { afterEach, describe, expect, it } from 'vitest';
import WebAnswersPanel from './WebAnswersPanel.svelte';
import { cleanup, mockCommands, render, settle } from '../../test/mock';
import type { WebAnswers } from '../../lib/ipc';

afterEach(cleanup);

const answers: WebAnswers = {
  unseen: 3,
  answers: [
    {
      event_id: 'e3',
      action_point_id: 'ap1',
      title: 'Kapotte lantaarnpaal Voorstraat',
      kind: 'status_change',
      to_status: 'in_progress',
      proposed_due_date: null,
      comment: 'Ingepland voor week 3.',
      author: 'Ans Bakker',
      at: '2026-01-13T09:30:00Z',
      due_date: '2025-12-01',
      seq: 41,
    },
    {
      event_id: 'e2',
      action_point_id: 'ap2',
      title: 'Bankje bij de kerk',
      kind: 'due_date_proposal',
      to_status: null,
      proposed_due_date: '2026-03-01',
      comment: 'Levertijd.',
      author: 'Ans Bakker',
      at: '2026-01-12T15:00:00Z',
      due_date: '2026-01-31',
      seq: 40,
    },
  ],
};

describe('Beantwoord via het web', () => {
  it('lists what colleagues answered, links each point, and marks them seen', async () => {
    let unseen = answers;
    const calls = mockCommands({
      web_answers: () => unseen,
      web_answers_seen: () => {
        unseen = { unseen: 0, answers: [] };
        return null;
      },
    });
    const page = await render(WebAnswersPanel, {});
    expect(page.querySelector('[data-testid="web-answers-count"]')?.textContent).toBe('3');
    const rows = page.querySelectorAll('[data-testid="web-answer"]');
    expect(rows.length).toBe(2);
    expect(rows[0].textContent).toContain('status: in behandeling');
    expect(rows[0].textContent).toContain('door Ans Bakker, 13 januari 2026 10:30');
    expect(rows[0].querySelector('a')?.getAttribute('href')).toBe('#/actiepunten/ap1');
    expect(rows[1].textContent).toContain('stelt termijn 1 maart 2026 voor');
    expect(page.textContent).toContain('En nog 1.');

    page.querySelector<HTMLButtonElement>('[data-testid="web-answers-seen"]')!.click();
    await settle();
    expect(calls.filter((c) => c.cmd === 'web_answers_seen')).toEqual([
      { cmd: 'web_answers_seen', args: { seq: 41 } },
    ]);
    expect(page.querySelector('[data-testid="web-answers"]')).toBeNull();
  });

  it('shows nothing when nothing new came from the web', async () => {
    mockCommands({ web_answers: { unseen: 0, answers: [] } });
    const page = await render(WebAnswersPanel, {});
    expect(page.querySelector('[data-testid="web-answers"]')).toBeNull();
  });
});
