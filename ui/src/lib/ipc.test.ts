import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { appStatus, todayOverview, toIpcError } from './ipc';
import { overview } from '../test/fixtures';

afterEach(() => clearMocks());

describe('ipc', () => {
  it('calls the Rust commands by name and returns their answers', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'app_status') return { data_folder: '/data', store_error: null };
      if (cmd === 'today_overview') return overview;
      throw new Error(`unexpected command ${cmd}`);
    });

    await expect(appStatus()).resolves.toEqual({ data_folder: '/data', store_error: null });
    await expect(todayOverview()).resolves.toEqual(overview);
    expect(calls).toEqual(['app_status', 'today_overview']);
  });

  it('rejects with the command error as {code, message}', async () => {
    mockIPC(() => {
      throw { code: 'locked_store', message: 'Het gegevensbestand is in gebruik.' };
    });

    await expect(todayOverview()).rejects.toEqual({
      code: 'locked_store',
      message: 'Het gegevensbestand is in gebruik.',
    });
  });

  it('turns any other failure into a Dutch IpcError', () => {
    expect(toIpcError(new TypeError('no runtime'))).toEqual({
      code: 'ipc',
      message: 'Wijkwerk kan de gegevens niet bereiken (no runtime). Start Wijkwerk opnieuw.',
    });
    expect(toIpcError('stuk').code).toBe('ipc');
  });
});
