// Small helpers the Organisaties and Contacten forms share.

import { appStatus, createRecord, updateRecord, type EntityName, type IpcError } from '../../lib/ipc';
import { todayInAmsterdam } from '../../lib/format';
import { attempt } from '../../lib/records';

/** Today where the coordinators work, as the Rust side says it (or the laptop's clock in
 * Amsterdam when that cannot be asked). */
export async function today(): Promise<string> {
  try {
    return (await appStatus()).today;
  } catch {
    return todayInAmsterdam();
  }
}

/** Form values as the store takes them: text trimmed, an empty field is `null` (cleared). */
export function clean(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') {
      const trimmed = value.trim();
      out[name] = trimmed === '' ? null : trimmed;
    } else if (typeof value === 'number') {
      out[name] = Number.isFinite(value) ? value : null;
    } else {
      out[name] = value ?? null;
    }
  }
  return out;
}

/** A refusal made in the form itself (before anything is sent), shown beside `field`. */
export function refusal(field: string, message: string): IpcError {
  return { code: 'invalid', message, field };
}

/** The error to show above a form: one that does not belong to any of its fields. */
export function formError(error: IpcError | null, fields: string[]): string | null {
  return error && (error.field === null || !fields.includes(error.field)) ? error.message : null;
}

/** Saves a form's fields: into the record `id` when there is one, else as a new record. Gives
 * the record's id, or the refusal as an IpcError. */
export function saveRecord(
  entity: EntityName,
  id: string | undefined,
  fields: Record<string, unknown>,
): Promise<{ ok: string } | { error: IpcError }> {
  return attempt(async () => {
    if (id === undefined) return createRecord(entity, fields);
    await updateRecord(entity, id, fields);
    return id;
  });
}
