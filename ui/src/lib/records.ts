// Small helpers the screens share around writing records.

import { deleteRecord, restoreRecord, toIpcError, type EntityName, type IpcError } from './ipc';
import { showToast } from './toast.svelte';
import { t } from './i18n.svelte';
import { entityLabel } from './labels';

/** Deletes a record and offers to undo it for ten seconds. `after` runs after both. */
export async function deleteWithUndo(
  entity: EntityName,
  id: string,
  name: string,
  after: () => void | Promise<void>,
): Promise<void> {
  await deleteRecord(entity, id);
  await after();
  const what = name ? `${entityLabel(entity)} “${name}”` : entityLabel(entity);
  showToast(t('common.deleted', { what }), {
    undo: async () => {
      await restoreRecord(entity, id);
      showToast(t('common.restored', { what }));
      await after();
    },
  });
}

/** An error shown beside its field when it has one: `fieldError(error, 'email')`. */
export function fieldError(error: IpcError | null, field: string): string | null {
  return error && error.field === field ? error.message : null;
}

/** Runs `work`, turning a failure into an IpcError instead of a rejection. */
export async function attempt<T>(work: () => Promise<T>): Promise<{ ok: T } | { error: IpcError }> {
  try {
    return { ok: await work() };
  } catch (error) {
    return { error: toIpcError(error) };
  }
}

/** A fresh id for a record made in the front end (UUIDv7: time-ordered, like the core's). */
export function newId(now: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const ms = BigInt(now);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
