// The app's frame and first screen against a mocked Rust side.
import { afterEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import { overview } from './test/fixtures';
import { cleanup, mockCommands, render, settle, status } from './test/mock';
import { setLocale } from './lib/i18n.svelte';

afterEach(() => {
  cleanup();
  setLocale('nl');
  location.hash = '';
});

describe('App', () => {
  it('shows "Vandaag" with the week, the overdue count, vacancies and the data folder', async () => {
    mockCommands({ app_status: status, today_overview: overview });

    const page = await render(App, {});

    expect(page.querySelector('h1')?.textContent).toBe('Vandaag');
    expect(page.textContent).toContain('woensdag 14 januari 2026');
    expect(page.textContent).toContain('12 t/m 18 januari');
    // 18:30 UTC in January is 19:30 in Amsterdam.
    expect(page.textContent).toContain('19:30');
    expect(page.textContent).toContain('Kernoverleg, Kernoverleg Egmond aan Zee · Dorpshuis De Schulp');
    expect(page.textContent).toContain('Geen bezoeken deze week.');
    expect(page.querySelector('[data-testid="overdue-count"]')?.textContent).toBe('7');
    expect(page.textContent).toContain('44 dagen');
    expect(page.textContent).toContain('En nog 6 actiepunten over tijd.');
    expect(page.textContent).toContain('2 lege zetels; geen penningmeester');
    expect(page.querySelector('[data-testid="data-folder"]')?.textContent).toBe(
      '/home/an/.local/share/wijkwerk',
    );
    expect(page.querySelector('nav a[aria-current="page"]')?.textContent).toBe('Vandaag');
  });

  it('says when colleagues\' changes came in, and draws the screen again only when asked', async () => {
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    const { emit } = await import('@tauri-apps/api/event');
    let overviews = 0;
    mockIPC(
      (cmd) => {
        if (cmd === 'app_status') return status;
        if (cmd === 'today_overview') {
          overviews += 1;
          return overview;
        }
        return null;
      },
      { shouldMockEvents: true },
    );
    const page = await render(App, {});
    const sync = { phase: 'idle', server: 'https://x', waiting: 0, refused: 0, conflicts: 0,
      last_synced_at: null, last_error: null, last_error_code: null, next_attempt_at: null, progress: null };
    await emit('sync-state', { ...sync, received: 0 });
    await emit('sync-state', { ...sync, received: 0 });
    await settle();
    expect(page.querySelector('[data-testid="fresh-data"]')).toBeNull(); // nothing new
    const before = overviews;

    await emit('sync-state', { ...sync, received: 12 });
    await settle(50);
    expect(page.querySelector('[data-testid="fresh-data"]')?.textContent).toContain('collega');
    expect(overviews).toBe(before); // not by itself: the screen may hold unsaved work
    (page.querySelector('[data-testid="fresh-data-show"]') as HTMLButtonElement).click();
    await settle();
    expect(overviews).toBe(before + 1);
    expect(page.querySelector('[data-testid="fresh-data"]')).toBeNull();
    expect(page.querySelector('h1')?.textContent).toBe('Vandaag');
  });

  it('says on Vandaag when the data is the demo municipality', async () => {
    mockCommands({ app_status: { ...status, demo: true }, today_overview: overview });
    const page = await render(App, {});
    expect(page.querySelector('[data-testid="demo-notice"]')?.textContent).toContain('voorbeeldgemeente');
    cleanup();
    mockCommands({ app_status: status, today_overview: overview });
    const real = await render(App, {});
    expect(real.querySelector('[data-testid="demo-notice"]')).toBeNull();
  });

  it('speaks English when that was chosen', async () => {
    mockCommands({ app_status: { ...status, language: 'en' }, today_overview: overview });

    const page = await render(App, {});

    expect(page.querySelector('h1')?.textContent).toBe('Today');
    expect(page.textContent).toContain('Overdue action points');
    expect(page.textContent).toContain('44 days');
    expect(document.documentElement.lang).toBe('en');
  });

  it('shows why the data cannot be opened, and offers another folder, instead of a blank window', async () => {
    const calls = mockCommands({
      app_status: {
        ...status,
        data_folder: '/data',
        store_error: {
          code: 'newer_store',
          message: 'Het gegevensbestand is gemaakt met een nieuwere versie van Wijkwerk.',
          field: null,
        },
      },
    });

    const page = await render(App, {});

    expect(page.querySelector('h1')?.textContent).toBe('Wijkwerk kan de gegevens niet openen');
    expect(page.textContent).toContain('nieuwere versie');
    expect(page.textContent).toContain('newer_store');
    expect(page.textContent).toContain('/data');
    expect(page.querySelector('[data-testid="other-folder"]')).not.toBeNull();
    // Nothing asked of the store (listening for sync events is no question to it).
    expect(calls.map((c) => c.cmd).filter((c) => !c.startsWith('plugin:event'))).toEqual(['app_status']);
  });

  it('has Overeenkomsten, Projecten and Rapportage in the menu, each opening its screen', async () => {
    mockCommands({
      app_status: status,
      today_overview: overview,
      area_tree: [],
      organisation_list: { offset: 0, total: 0, items: [] },
      agreement_list: [],
      project_list: [],
      year_report: () => {
        throw { code: 'test', message: 'niet nodig', field: null };
      },
    });
    const page = await render(App, {});
    for (const [screen, title] of [
      ['overeenkomsten', 'Overeenkomsten'],
      ['projecten', 'Projecten'],
      ['rapportage', 'Rapportage'],
    ]) {
      const link = page.querySelector<HTMLAnchorElement>(`[data-testid="nav-${screen}"]`)!;
      expect(link.textContent).toBe(title);
      expect(link.getAttribute('href')).toBe(`#/${screen}`);
      location.hash = `#/${screen}`;
      await settle();
      expect(page.querySelector('main h1')?.textContent).toBe(title);
      expect(page.querySelector('nav a[aria-current="page"]')?.textContent).toBe(title);
    }
  });

  it('opens the search with Ctrl+K and a hit opens its record', async () => {
    mockCommands({
      app_status: status,
      today_overview: overview,
      search: [
        {
          entity: 'agenda_item',
          id: 'a1',
          title: 'Verkeer Voorstraat',
          snippet: 'de [Voorstraat] is te smal',
          open_entity: 'meeting',
          open_id: 'm1',
        },
      ],
    });
    const page = await render(App, {});

    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true }));
    await settle();
    const input = page.ownerDocument.querySelector<HTMLInputElement>('[data-testid="search-input"]');
    expect(input).not.toBeNull();
    input!.value = 'voorstr';
    input!.dispatchEvent(new Event('input', { bubbles: true }));
    await settle(200);
    const hits = document.querySelectorAll('[data-testid="search-hit"]');
    expect(hits.length).toBe(1);
    expect(hits[0].querySelector('mark')?.textContent).toBe('Voorstraat');
    input!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await settle();
    expect(location.hash).toBe('#/vergaderingen/m1');
    expect(document.querySelector('[data-testid="search-dialog"]')).toBeNull();
  });
});
