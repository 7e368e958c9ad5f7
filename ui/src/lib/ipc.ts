// The one door from the front end to the Rust side. Every `@tauri-apps/*` import of the UI is in
// this file, so that the rest of the UI could run against another backend (a mock in tests, a
// web server later). The types mirror `src-tauri/src/commands.rs` and
// `crates/core/src/dashboard.rs`; keep them in step.

import { invoke } from '@tauri-apps/api/core';

/** A failed command: a stable code and a Dutch message (src-tauri/src/error.rs). */
export interface IpcError {
  code: string;
  message: string;
}

/** The data folder, and why its store could not be opened (null when it is open). */
export interface AppStatus {
  data_folder: string;
  store_error: IpcError | null;
}

/** A meeting or a visit of this week. Instants are UTC (`YYYY-MM-DDTHH:MM:SSZ`). */
export interface Appointment {
  id: string;
  kind: string;
  title: string;
  starts_at: string;
  ends_at: string;
  time_zone: string;
  location: string | null;
  status: string;
  /** The organisation that holds it, else its area. */
  context: string | null;
}

export interface ActionPointSummary {
  id: string;
  title: string;
  status: string;
  due_date: string | null;
  opened_on: string;
  area_id: string | null;
  area_name: string | null;
  owner_organisation_id: string | null;
  owner_name: string | null;
  requester_organisation_id: string | null;
  requester_name: string | null;
  days_overdue: number;
}

export interface Vacancy {
  organisation_id: string;
  name: string;
  board_size: number | null;
  seated: number;
  empty_seats: number;
  /** Of chair, secretary, treasurer: the ones nobody holds. */
  missing_positions: string[];
}

/** What the "Vandaag" screen shows. Dates are `YYYY-MM-DD`. */
export interface TodayOverview {
  today: string;
  week_start: string;
  week_end: string;
  meetings: Appointment[];
  visits: Appointment[];
  overdue_count: number;
  overdue: ActionPointSummary[];
  vacancies: Vacancy[];
}

/** Any failure of a call, as an IpcError. Commands reject with `{code, message}` already; a
 * missing Tauri runtime (the UI opened in a plain browser) or a bug becomes one here. */
export function toIpcError(error: unknown): IpcError {
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as IpcError).code === 'string' &&
    typeof (error as IpcError).message === 'string'
  ) {
    return { code: (error as IpcError).code, message: (error as IpcError).message };
  }
  const detail = error instanceof Error ? error.message : String(error);
  return {
    code: 'ipc',
    message: `Wijkwerk kan de gegevens niet bereiken (${detail}). Start Wijkwerk opnieuw.`,
  };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

/** The data folder and whether its store is open. */
export function appStatus(): Promise<AppStatus> {
  return call<AppStatus>('app_status');
}

/** The overview for today (in Amsterdam). Rejects with an IpcError. */
export function todayOverview(): Promise<TodayOverview> {
  return call<TodayOverview>('today_overview');
}
