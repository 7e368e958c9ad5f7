// Sync in the interface: the status line in the menu in every phase, "Nu synchroniseren", the
// settings form (the token never shown back) and the conflicts to review.
import { afterEach, describe, expect, it } from 'vitest';
import axe from 'axe-core';
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import SyncStatus from './SyncStatus.svelte';
import SyncSettings from './SyncSettings.svelte';
import Conflicts from './Conflicts.svelte';
import Instellingen from '../screens/Instellingen.svelte';
import { cleanup, mockCommands, render, settle, status } from '../test/mock';
import { setLocale } from '../lib/i18n.svelte';
import { todayInAmsterdam } from '../lib/format';
import type { ConflictView, SyncState } from '../lib/ipc';

afterEach(() => {
  cleanup();
  setLocale('nl');
});

const base: SyncState = {
  phase: 'idle',
  server: 'https://wijkwerk.bergen.nl',
  waiting: 0,
  refused: 0,
  conflicts: 0,
  last_synced_at: null,
  last_error: null,
  last_error_code: null,
  next_attempt_at: null,
  progress: null,
  received: 0,
  token_expires_at: null,
  token_expires_soon: false,
};

/** An instant today at 21:47 in Amsterdam (UTC+1 in winter, +2 in summer). "Today" is
 * Amsterdam's date, not UTC's: between 22:00 and 24:00 UTC they differ (CI once ran at 23:19). */
function todayAt2147(): string {
  const [year, month, date] = todayInAmsterdam().split('-').map(Number);
  for (const offset of [1, 2]) {
    const candidate = new Date(Date.UTC(year, month - 1, date, 21 - offset, 47));
    const shown = new Intl.DateTimeFormat('nl-NL', {
      timeZone: 'Europe/Amsterdam',
      hour: '2-digit',
      minute: '2-digit',
    }).format(candidate);
    if (shown === '21:47') return candidate.toISOString();
  }
  throw new Error('no such instant');
}

async function statusLine(state: Partial<SyncState>): Promise<HTMLElement> {
  mockCommands({ sync_state: { ...base, ...state } });
  return render(SyncStatus, {});
}

const text = (page: HTMLElement, id: string) =>
  page.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? null;

describe('SyncStatus', () => {
  it('says "Niet ingesteld" without a server and links to the settings', async () => {
    const page = await statusLine({ phase: 'off', server: null });
    expect(text(page, 'sync-status-text')).toBe('Niet ingesteld');
    expect(page.querySelector('[data-testid="sync-set-up"]')?.getAttribute('href')).toBe('#/instellingen');
    expect(page.querySelector('[data-testid="sync-now"]')).toBeNull();
  });

  it('shows when it last synced', async () => {
    const page = await statusLine({ phase: 'idle', last_synced_at: todayAt2147() });
    expect(text(page, 'sync-status-text')).toBe('Gesynchroniseerd om 21:47');
    expect(page.querySelector('[data-testid="sync-waiting"]')).toBeNull();
  });

  it('says it has not synced yet', async () => {
    const page = await statusLine({ phase: 'idle' });
    expect(text(page, 'sync-status-text')).toBe('Nog niet gesynchroniseerd');
  });

  it('shows a round running, with its progress', async () => {
    const page = await statusLine({ phase: 'syncing', progress: { pushed: 3, pulled: 1200 } });
    expect(text(page, 'sync-status-text')).toBe('Synchroniseren…');
    expect(text(page, 'sync-detail')).toBe('3 verstuurd, 1200 ontvangen');
    expect((page.querySelector('[data-testid="sync-now"]') as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows offline with the changes waiting and the next try', async () => {
    const page = await statusLine({
      phase: 'offline',
      waiting: 12,
      last_error: 'the server cannot be reached',
      last_error_code: 'offline',
      next_attempt_at: todayAt2147(),
    });
    expect(text(page, 'sync-status-text')).toBe('Offline');
    expect(text(page, 'sync-waiting')).toBe('12 wijzigingen wachten');
    expect(text(page, 'sync-detail')).toBe('Volgende poging om 21:47');
  });

  it('counts one waiting change and one conflict in the singular, linking to the review', async () => {
    const page = await statusLine({ waiting: 1, conflicts: 1, last_synced_at: todayAt2147() });
    expect(text(page, 'sync-waiting')).toBe('1 wijziging wacht');
    const link = page.querySelector('[data-testid="sync-conflicts"]');
    expect(link?.textContent).toBe('1 conflict te beoordelen');
    expect(link?.getAttribute('href')).toBe('#/instellingen');
  });

  it('says a refused sign-in paused sync, and a read-only account', async () => {
    let page = await statusLine({ phase: 'paused_auth', last_error_code: 'unauthorized' });
    expect(text(page, 'sync-status-text')).toBe('Aanmelding geweigerd: gepauzeerd');
    cleanup();
    page = await statusLine({ phase: 'paused_auth', last_error_code: 'forbidden' });
    expect(text(page, 'sync-status-text')).toBe('Alleen lezen: wijzigingen gaan niet mee');
    cleanup();
    page = await statusLine({ phase: 'paused_auth', last_error_code: 'no_token' });
    expect(text(page, 'sync-status-text')).toBe('Geen token: gepauzeerd');
  });

  it('says an expired token paused sync, and warns before the token expires', async () => {
    let page = await statusLine({ phase: 'paused_auth', last_error_code: 'token_expired' });
    expect(text(page, 'sync-status-text')).toBe('Token verlopen: gepauzeerd');
    expect(text(page, 'sync-token-expired')).toContain('vraag een nieuw token aan');
    cleanup();
    page = await statusLine({ token_expires_at: '2027-01-05T11:00:00Z', token_expires_soon: true });
    const link = page.querySelector('[data-testid="sync-token-expires-soon"]');
    expect(link?.textContent).toContain('Je token verloopt op');
    expect(link?.getAttribute('href')).toBe('#/instellingen');
    cleanup();
    page = await statusLine({ token_expires_at: '2027-06-05T11:00:00Z', token_expires_soon: false });
    expect(page.querySelector('[data-testid="sync-token-expires-soon"]')).toBeNull();
  });

  it('shows a failure with the reason on hover, and refused changes', async () => {
    const page = await statusLine({
      phase: 'error',
      refused: 2,
      waiting: 2,
      last_error: 'the server speaks another protocol version',
      last_error_code: 'protocol',
    });
    expect(text(page, 'sync-status-text')).toBe('Synchroniseren mislukt');
    expect(text(page, 'sync-error-details')).toContain('protocol');
    expect(text(page, 'sync-refused')).toBe('2 geweigerd door de server');
    expect(text(page, 'sync-reason')).toBe('De server spreekt een andere versie van het protocol; werk Wijkwerk bij.');
  });

  it('says in words what went wrong with the server, and nothing extra while offline', async () => {
    const page = await statusLine({
      phase: 'error',
      last_error: 'the server answered 502: Bad Gateway',
      last_error_code: 'server',
    });
    expect(text(page, 'sync-reason')).toBe('De server meldt een fout; je gegevens blijven hier bewaard.');
    expect(page.querySelector('[role="status"]')?.textContent).toContain('De server meldt een fout');
    expect(text(page, 'sync-error-details')).toContain('502');
    cleanup();
    const offline = await statusLine({ phase: 'offline', last_error_code: 'offline' });
    expect(offline.querySelector('[data-testid="sync-reason"]')).toBeNull();
  });

  it('offers a new folder for the server when the demo was refused, and opens it', async () => {
    let reloaded = 0;
    const calls = mockCommands({
      sync_state: { ...base, phase: 'error', last_error_code: 'demo', last_error: 'demo municipality' },
      open_server_folder: { ...status, data_folder: '/home/an/wijkwerk-gemeente' },
    });
    const page = await render(SyncStatus, { onfolder: () => (reloaded += 1) });
    expect(text(page, 'sync-reason')).toContain('voorbeeldgemeente');
    (page.querySelector('[data-testid="sync-server-folder"]') as HTMLButtonElement).click();
    await settle();
    expect(calls.map((c) => c.cmd)).toContain('open_server_folder');
    expect(reloaded).toBe(1);
  });

  it('tries at once when the network comes back', async () => {
    const calls = mockCommands({
      sync_state: { ...base, phase: 'offline' },
      sync_now: { ...base, phase: 'syncing' },
    });
    await render(SyncStatus, {});
    expect(calls.map((c) => c.cmd)).not.toContain('sync_now');
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(calls.map((c) => c.cmd)).toContain('sync_now');
  });

  it('speaks English', async () => {
    setLocale('en');
    const page = await statusLine({ phase: 'offline', waiting: 3 });
    expect(text(page, 'sync-status-text')).toBe('Offline');
    expect(text(page, 'sync-waiting')).toBe('3 changes waiting');
    expect(text(page, 'sync-now')).toBe('Sync now');
  });

  it('"Nu synchroniseren" asks for a round and shows the answer', async () => {
    const calls = mockCommands({
      sync_state: { ...base, phase: 'offline' },
      sync_now: { ...base, phase: 'syncing' },
    });
    const page = await render(SyncStatus, {});
    const button = page.querySelector('[data-testid="sync-now"]') as HTMLButtonElement;
    expect(button.textContent).toBe('Nu synchroniseren');
    button.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await settle();
    expect(calls.map((c) => c.cmd)).toContain('sync_now');
    expect(text(page, 'sync-status-text')).toBe('Synchroniseren…');
  });

  it('follows the sync-state events', async () => {
    mockIPC(
      (cmd) => {
        if (cmd === 'sync_state') return { ...base, phase: 'idle' };
        throw new Error(`unexpected ${cmd}`);
      },
      { shouldMockEvents: true },
    );
    const page = await render(SyncStatus, {});
    expect(text(page, 'sync-status-text')).toBe('Nog niet gesynchroniseerd');
    await emit('sync-state', { ...base, phase: 'offline', waiting: 4 });
    await settle();
    expect(text(page, 'sync-status-text')).toBe('Offline');
    expect(text(page, 'sync-waiting')).toBe('4 wijzigingen wachten');
  });

  it('shows nothing broken when the Rust side does not answer', async () => {
    mockCommands({});
    const page = await render(SyncStatus, {});
    expect(page.querySelector('[data-testid="sync-status"]')).toBeNull();
  });
});

describe('SyncSettings', () => {
  it('shows the server, never the token, and the file warning; saves a new token', async () => {
    const calls = mockCommands({
      sync_settings: {
        server: 'https://wijkwerk.bergen.nl',
        has_token: true,
        token_storage: 'file',
        warning: 'Het token staat in een bestand (/x/sync-token) dat alleen jij kunt lezen.',
      },
      save_sync_settings: (args: Record<string, unknown>) => ({
        server: args.server,
        has_token: true,
        token_storage: 'file',
        warning: 'Het token staat in een bestand (/x/sync-token) dat alleen jij kunt lezen.',
      }),
    });
    const page = await render(SyncSettings, {});
    const server = page.querySelector('[data-testid="sync-server"]') as HTMLInputElement;
    const token = page.querySelector('[data-testid="sync-token"]') as HTMLInputElement;
    expect(server.value).toBe('https://wijkwerk.bergen.nl');
    expect(token.type).toBe('password');
    expect(token.value).toBe('');
    expect(page.textContent).toContain('Er is een token bewaard');
    expect(text(page, 'sync-token-warning')).toContain('Het token staat in een bestand');
    expect(page.querySelector('label[for="sync-server"]')).not.toBeNull();
    expect(page.querySelector('label[for="sync-token"]')).not.toBeNull();

    token.value = 'nieuw-geheim';
    token.dispatchEvent(new Event('input', { bubbles: true }));
    page.querySelector('form')?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    const saved = calls.find((c) => c.cmd === 'save_sync_settings');
    expect(saved?.args).toEqual({ server: 'https://wijkwerk.bergen.nl', token: 'nieuw-geheim', caFile: '' });
    expect(token.value).toBe(''); // the token field is emptied after saving
  });

  it('keeps the token when the field is left empty, and shows a refused address beside its field', async () => {
    const calls = mockCommands({
      sync_settings: { server: null, has_token: false, token_storage: 'keyring', warning: null },
      save_sync_settings: () => {
        throw { code: 'invalid', message: 'Geef een adres dat begint met https://', field: 'server' };
      },
    });
    const page = await render(SyncSettings, {});
    expect(page.querySelector('[data-testid="sync-token-warning"]')).toBeNull();
    const server = page.querySelector('[data-testid="sync-server"]') as HTMLInputElement;
    server.value = 'wijkwerk.bergen.nl';
    server.dispatchEvent(new Event('input', { bubbles: true }));
    page.querySelector('form')?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(calls.find((c) => c.cmd === 'save_sync_settings')?.args).toEqual({
      server: 'wijkwerk.bergen.nl',
      token: null,
      caFile: '',
    });
    expect(page.querySelector('#sync-server-error')?.textContent).toContain('https://');
  });

  it("saves the municipality's certificate authority file and shows a refused one beside its field", async () => {
    const calls = mockCommands({
      sync_settings: {
        server: 'https://wijkwerk.bergen.nl',
        has_token: true,
        token_storage: 'keyring',
        warning: null,
        ca_file: '/etc/ssl/bergen-ca.pem',
      },
      save_sync_settings: () => {
        throw { code: 'invalid', message: '/tmp/x.txt is geen certificaat in PEM-vorm', field: 'ca_file' };
      },
    });
    const page = await render(SyncSettings, {});
    const caFile = page.querySelector('[data-testid="sync-ca-file"]') as HTMLInputElement;
    expect(caFile.value).toBe('/etc/ssl/bergen-ca.pem');
    expect(page.querySelector('label[for="sync-ca-file"]')).not.toBeNull();
    caFile.value = '/tmp/x.txt';
    caFile.dispatchEvent(new Event('input', { bubbles: true }));
    page.querySelector('form')?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(calls.find((c) => c.cmd === 'save_sync_settings')?.args).toEqual({
      server: 'https://wijkwerk.bergen.nl',
      token: null,
      caFile: '/tmp/x.txt',
    });
    expect(page.querySelector('#sync-ca-file-error')?.textContent).toContain('geen certificaat');
  });
});

describe('Conflicts', () => {
  const conflict: ConflictView = {
    seq: 7,
    entity: 'contact',
    record_id: '0190a0b0-0000-7000-8000-000000000001',
    record_label: 'Ans de Vries',
    field: 'phone',
    lost_value: '06 12345678',
    won_value: '072 1234567',
    recorded_at: todayAt2147(),
  };

  it('lists what lost beside what was kept, and puts my value back', async () => {
    let list = [conflict];
    const calls = mockCommands({
      sync_conflicts: () => list,
      keep_conflict_value: () => {
        list = [];
        return null;
      },
    });
    const page = await render(Conflicts, {});
    const row = page.querySelector('[data-testid="conflict-7"]');
    expect(row?.textContent).toContain('Ans de Vries');
    expect(row?.textContent).toContain('Telefoon'); // the field in words, not its code
    expect(row?.textContent).toContain('06 12345678');
    expect(row?.textContent).toContain('072 1234567');
    expect(row?.textContent).toContain('21:47');
    expect(row?.querySelector('a')?.getAttribute('href')).toBe(`#/contacten/${conflict.record_id}`);
    page
      .querySelector('[data-testid="conflict-keep-7"]')
      ?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await settle();
    expect(calls.find((c) => c.cmd === 'keep_conflict_value')?.args).toEqual({ seq: 7 });
    expect(page.querySelector('[data-testid="no-conflicts"]')).not.toBeNull();
  });

  it('follows the sync-state events, and a reviewed conflict leaves the list without asking again', async () => {
    const second: ConflictView = { ...conflict, seq: 8, field: 'email', lost_value: 'a@b.nl', won_value: 'c@d.nl' };
    let list = [conflict];
    const asked: string[] = [];
    mockIPC(
      (cmd) => {
        asked.push(cmd);
        if (cmd === 'sync_conflicts') return list;
        if (cmd === 'dismiss_conflict') {
          list = list.filter((c) => c.seq !== 7);
          return null;
        }
        throw new Error(`unexpected ${cmd}`);
      },
      { shouldMockEvents: true },
    );
    const page = await render(Conflicts, {});
    expect(page.querySelector('[data-testid="conflict-7"]')).not.toBeNull();
    // A round pulled another conflict.
    list = [second, conflict];
    await emit('sync-state', { ...base, conflicts: 2 });
    await settle();
    expect(page.querySelector('[data-testid="conflict-8"]')).not.toBeNull();
    // A progress event with the same count asks nothing.
    await emit('sync-state', { ...base, phase: 'syncing', conflicts: 2 });
    await settle();
    expect(asked.filter((c) => c === 'sync_conflicts')).toHaveLength(2);
    page
      .querySelector('[data-testid="conflict-dismiss-7"]')
      ?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await settle();
    // The Rust side publishes the new count after the review.
    await emit('sync-state', { ...base, conflicts: 1 });
    await settle();
    expect(page.querySelector('[data-testid="conflict-7"]')).toBeNull();
    expect(page.querySelector('[data-testid="conflict-8"]')).not.toBeNull();
    expect(asked.filter((c) => c === 'sync_conflicts')).toHaveLength(2);
  });

  it('dismisses a conflict', async () => {
    const calls = mockCommands({ sync_conflicts: [conflict], dismiss_conflict: null });
    const page = await render(Conflicts, {});
    expect(text(page, 'conflict-dismiss-7')).toBe('Negeren');
    page
      .querySelector('[data-testid="conflict-dismiss-7"]')
      ?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await settle();
    expect(calls.find((c) => c.cmd === 'dismiss_conflict')?.args).toEqual({ seq: 7 });
  });
});

describe('accessibility', () => {
  async function problems(): Promise<string[]> {
    const result = await axe.run(document.body, {
      rules: { 'color-contrast': { enabled: false }, region: { enabled: false } },
    });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
  }

  it('the status line', async () => {
    await statusLine({ phase: 'offline', waiting: 3, conflicts: 2, refused: 1 });
    expect(await problems()).toEqual([]);
  });

  it('Instellingen with the sync settings and conflicts', async () => {
    mockCommands({
      sync_settings: { server: null, has_token: false, token_storage: 'file', warning: 'Het token staat in een bestand.' },
      sync_conflicts: [
        {
          seq: 3,
          entity: 'meeting',
          record_id: 'm1',
          record_label: 'Jaarvergadering',
          field: 'deleted',
          lost_value: true,
          won_value: false,
          recorded_at: '2026-01-14T20:47:00Z',
        },
      ],
    });
    const page = await render(Instellingen, { status, onchanged: () => {} });
    expect(page.textContent).toContain('Synchronisatie met de gemeente');
    expect(page.querySelector('[data-testid="conflict-3"]')?.textContent).toContain('verwijderd');
    expect(await problems()).toEqual([]);
  });
});
