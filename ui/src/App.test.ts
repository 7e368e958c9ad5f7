// The app's first screen against a mocked Rust side.
import { afterEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import App from './App.svelte';
import { overview } from './test/fixtures';

let app: ReturnType<typeof mount> | undefined;

afterEach(() => {
  if (app) unmount(app);
  app = undefined;
  document.body.innerHTML = '';
  clearMocks();
});

/** Mounts the app and waits until it has left "loading". */
async function start(): Promise<HTMLElement> {
  const target = document.createElement('div');
  document.body.append(target);
  app = mount(App, { target });
  for (let i = 0; i < 50 && target.textContent?.includes('laden'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushSync();
  }
  return target;
}

describe('App', () => {
  it('shows "Vandaag" with the week, the overdue count, vacancies and the data folder', async () => {
    mockIPC((cmd) =>
      cmd === 'app_status'
        ? { data_folder: '/home/an/.local/share/wijkwerk', store_error: null }
        : overview,
    );

    const page = await start();

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
    expect(page.textContent).toContain('2 lege zetels');
    expect(page.textContent).toContain('2 lege zetels; geen penningmeester');
    expect(page.querySelector('[data-testid="data-folder"]')?.textContent).toBe(
      '/home/an/.local/share/wijkwerk',
    );
  });

  it('shows why the data cannot be opened instead of a blank window', async () => {
    mockIPC((cmd) => {
      if (cmd === 'app_status') {
        return {
          data_folder: '/data',
          store_error: {
            code: 'newer_store',
            message: 'Het gegevensbestand is gemaakt met een nieuwere versie van Wijkwerk.',
          },
        };
      }
      throw new Error('the overview must not be asked for');
    });

    const page = await start();

    expect(page.querySelector('h1')?.textContent).toBe('Wijkwerk kan de gegevens niet openen');
    expect(page.textContent).toContain('nieuwere versie');
    expect(page.textContent).toContain('newer_store');
    expect(page.textContent).toContain('/data');
  });
});
