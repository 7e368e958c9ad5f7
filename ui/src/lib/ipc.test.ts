import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { appStatus, createRecord, todayOverview, toIpcError } from './ipc';
import { overview } from '../test/fixtures';
import { status } from '../test/mock';

afterEach(() => clearMocks());

describe('ipc', () => {
  it('calls the Rust commands by name with their arguments and returns their answers', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'app_status') return status;
      if (cmd === 'today_overview') return overview;
      if (cmd === 'write_records') return { ids: ['new-id'] };
      throw new Error(`unexpected command ${cmd}`);
    });

    await expect(appStatus()).resolves.toEqual(status);
    await expect(todayOverview()).resolves.toEqual(overview);
    await expect(createRecord('contact', { name: 'Ans' })).resolves.toBe('new-id');
    expect(calls.map(([cmd]) => cmd)).toEqual(['app_status', 'today_overview', 'write_records']);
    expect(calls[2][1]).toEqual({
      batch: [{ op: 'create', entity: 'contact', id: null, fields: { name: 'Ans' } }],
    });
  });

  it('rejects with the command error as {code, message, field}', async () => {
    mockIPC(() => {
      throw { code: 'invalid', message: 'Geen geldig e-mailadres: x.', field: 'email' };
    });

    await expect(todayOverview()).rejects.toEqual({
      code: 'invalid',
      message: 'Geen geldig e-mailadres: x.',
      field: 'email',
    });
  });

  it('turns any other failure into an IpcError', () => {
    expect(toIpcError(new TypeError('no runtime'))).toEqual({
      code: 'ipc',
      message: 'Wijkwerk kan de gegevens niet bereiken (no runtime). Start Wijkwerk opnieuw.',
      field: null,
    });
    expect(toIpcError('stuk').code).toBe('ipc');
  });
});
