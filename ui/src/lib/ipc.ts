// The one door from the front end to the Rust side. Every `@tauri-apps/*` import of the UI is in
// this file, so that the rest of the UI could run against another backend (a mock in tests).
// The types come from `bindings.ts`, generated from the Rust types (scripts/bindings); a Rust
// test fails when that file is stale.

import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type {
  ActionPointEvent,
  WebAnswers,
  Anonymised,
  Erased,
  RetentionReview,
  AgreementPage,
  AgreementRow,
  BudgetOverview,
  DocumentFile,
  ExportScope,
  ListFile,
  ListFormat,
  MailingList,
  PaymentWarning,
  ProjectPage,
  ProjectRow,
  ReportRequest,
  ReportView,
  ActionPointQuery,
  ActionPointSummary,
  AppStatus,
  AppointmentQuery,
  AppointmentRow,
  AreaNode,
  AreaPage,
  Board,
  CalendarExportRequest,
  CalendarFile,
  ConflictView,
  ContactPage,
  ContactQuery,
  ContactRow,
  EntityName,
  ImportReport,
  ListImportBatch,
  ListKind,
  ListImportOptions,
  ListImportPreview,
  ListImportReport,
  ListImportUndo,
  IpcError,
  Language,
  ListPage,
  MeetingPage,
  OrganisationQuery,
  OrganisationRow,
  HolidayKey,
  Plan,
  SchoolHolidays,
  SearchHit,
  SyncSettings,
  SyncState,
  TodayOverview,
  TokenRenewed,
  VisitPage,
  WriteRequest,
  Written,
} from './bindings';

export type * from './bindings';

/** Any failure of a call, as an IpcError. Commands reject with `{code, message}` already; a
 * missing Tauri runtime (the UI opened in a plain browser) or a bug becomes one here. */
export function toIpcError(error: unknown): IpcError {
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as IpcError).code === 'string' &&
    typeof (error as IpcError).message === 'string'
  ) {
    const e = error as IpcError;
    return { code: e.code, message: e.message, field: e.field ?? null };
  }
  const detail = error instanceof Error ? error.message : String(error);
  return {
    code: 'ipc',
    message: `Wijkwerk kan de gegevens niet bereiken (${detail}). Start Wijkwerk opnieuw.`,
    field: null,
  };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

/** The data folder, whether its store is open, the language, today. */
export const appStatus = () => call<AppStatus>('app_status');

/** The overview for today (in Amsterdam). */
export const todayOverview = () => call<TodayOverview>('today_overview');

/** Writes a batch as one transaction; the ids of the records written, in order. */
export const writeRecords = (batch: WriteRequest[]) => call<Written>('write_records', { batch });

/** A new record; its id. */
export async function createRecord(
  entity: EntityName,
  fields: Record<string, unknown>,
  id?: string,
): Promise<string> {
  const written = await writeRecords([{ op: 'create', entity, id: id ?? null, fields }]);
  return written.ids[0];
}

export const updateRecord = (entity: EntityName, id: string, fields: Record<string, unknown>) =>
  writeRecords([{ op: 'update', entity, id, fields }]).then(() => undefined);

export const deleteRecord = (entity: EntityName, id: string) =>
  writeRecords([{ op: 'delete', entity, id }]).then(() => undefined);

export const restoreRecord = (entity: EntityName, id: string) =>
  writeRecords([{ op: 'restore', entity, id }]).then(() => undefined);

/** One record as stored. */
export const getRecord = <T = Record<string, unknown>>(entity: EntityName, id: string) =>
  call<T>('get_record', { entity, id });

export const organisationList = (query: OrganisationQuery) =>
  call<ListPage<OrganisationRow>>('organisation_list', { query });

export const contactList = (query: ContactQuery) =>
  call<ListPage<ContactRow>>('contact_list', { query });

export const meetingList = (query: AppointmentQuery) =>
  call<ListPage<AppointmentRow>>('meeting_list', { query });

export const visitList = (query: AppointmentQuery) =>
  call<ListPage<AppointmentRow>>('visit_list', { query });

export const actionPointList = (query: ActionPointQuery) =>
  call<ListPage<ActionPointSummary>>('action_point_list', { query });

export const areaTree = () => call<AreaNode[]>('area_tree');

export const areaPage = (id: string) => call<AreaPage>('area_page', { id });

/** An organisation's board today, its role history and vacancies. */
export const organisationBoard = (id: string) => call<Board>('organisation_board', { id });

export const contactPage = (id: string) => call<ContactPage>('contact_page', { id });

export const meetingPage = (id: string) => call<MeetingPage>('meeting_page', { id });

export const visitPage = (id: string) => call<VisitPage>('visit_page', { id });

/** Changes an action point's status, with an optional comment (recorded in its history). */
export const actionPointStatus = (id: string, status: string, comment: string | null) =>
  call<null>('action_point_status', { id, status, comment }).then(() => undefined);

export const actionPointComment = (id: string, comment: string) =>
  call<null>('action_point_comment', { id, comment }).then(() => undefined);

export const actionPointHistory = (id: string) =>
  call<ActionPointEvent[]>('action_point_history', { id });

/** Answers department colleagues gave on the server's web pages, not yet shown here. */
export const webAnswers = (limit = 50) => call<WebAnswers>('web_answers', { limit });

/** Marks the answers from the web up to `seq` as seen (this laptop only). */
export const webAnswersSeen = (seq: number) =>
  call<null>('web_answers_seen', { seq }).then(() => undefined);

/** Takes the due date a colleague proposed (a history entry of kind due_date_proposal). */
export const acceptDueDateProposal = (eventId: string) =>
  call<null>('accept_due_date_proposal', { eventId }).then(() => undefined);

/** Asks the server to mail the owning department a reminder (sent with the next sync). */
export const requestReminder = (id: string) =>
  call<null>('request_reminder', { id }).then(() => undefined);

/** Searches everything, best first. */
export const search = (text: string, limit = 30) => call<SearchHit[]>('search', { text, limit });

export const setLanguage = (language: Language) =>
  call<null>('set_language', { language }).then(() => undefined);

/** Opens another data folder (a new one gets the demo); the new status. */
export const openDataFolder = (path: string) => call<AppStatus>('open_data_folder', { path });
/** Opens (or makes) the store with the passphrase typed where no keyring holds its key. */
export const unlockStore = (passphrase: string) => call<AppStatus>('unlock_store', { passphrase });

/** Opens (or makes, empty) the folder for the server's data beside the demo's. */
export const openServerFolder = () => call<AppStatus>('open_server_folder');

// Calendars (src-tauri/src/calendar.rs).

/** Writes a calendar file into the downloads folder; where it went and what it holds. */
export const calendarExport = (request: CalendarExportRequest) =>
  call<CalendarFile>('calendar_export', { request });

/** Opens a calendar or report the app wrote into the downloads folder with its program (Outlook). */
export const openExportedFile = (path: string) => call<void>('open_exported_file', { path });

/** Imports an invitation file (its bytes as base64). Unless `confirmed`, a file with skipped
 * events or warnings comes back as a preview (`written` false) for the user to confirm. */
export const calendarImport = (name: string, content: string, confirmed: boolean) =>
  call<ImportReport>('calendar_import', { name, content, confirmed });

/** The year's proposed kernbezoeken and kernoverleggen. */
export const planYear = (year: number, region: string | null) =>
  call<Plan>('plan_year', { year, region });

/** Confirms proposals (`KEY` or `KEY=YYYY-MM-DDTHH:MM`); how many records were made. */
export const confirmPlan = (year: number, region: string | null, confirmations: string[]) =>
  call<number>('confirm_plan', { year, region, confirmations });

/** The school holidays the planner avoids, of `region` (null: the municipality's). */
export const schoolHolidays = (region: string | null) => call<SchoolHolidays>('school_holidays', { region });

/** Sets a school holiday's first and last day (`YYYY-MM-DD`); the region's holidays after. */
export const setSchoolHoliday = (holiday: HolidayKey, startDate: string, endDate: string) =>
  call<SchoolHolidays>('set_school_holiday', { holiday, startDate, endDate });

/** Leaves a school holiday out of the planner's view; the region's holidays after. */
export const dropSchoolHoliday = (holiday: HolidayKey) => call<SchoolHolidays>('drop_school_holiday', { holiday });

// Reports, agreements, projects and the werkkapitaal (src-tauri/src/reports.rs). Documents are
// written into the downloads folder; the answer says where.

/** The formats a report exports to. */
export type ReportFormat = 'pdf' | 'xlsx' | 'csv';

/** The yearly report: its figures, its tables (as the documents print them) and its charts. */
export const yearReport = (request: ReportRequest) => call<ReportView>('year_report', { request });

/** Writes the yearly report as a PDF, XLSX or CSV file into the downloads folder. */
export const exportReport = (request: ReportRequest, format: ReportFormat) =>
  call<DocumentFile>('export_report', { request, format });

export const agreementList = () => call<AgreementRow[]>('agreement_list');

export const agreementPage = (id: string) => call<AgreementPage>('agreement_page', { id });

/** The agreement as the PDF to sign, in the downloads folder. */
export const agreementDocument = (id: string) => call<DocumentFile>('agreement_document', { id });

/** Projects touching an area (or all), of a status (or every status). */
export const projectList = (areaId: string | null, status: string | null) =>
  call<ProjectRow[]>('project_list', { areaId, status });

export const projectPage = (id: string) => call<ProjectPage>('project_page', { id });

/** A kern's yearly overview of projects and plans, as a PDF in the downloads folder. */
export const kernOverviewDocument = (kernId: string, year: number) =>
  call<DocumentFile>('kern_overview_document', { kernId, year });

// Personal data (AVG, src-tauri/src/reports.rs): the retention review, anonymising a person, and
// the inzage written into the downloads folder.
export const retentionReview = () => call<RetentionReview>('retention_review');
export const anonymiseContact = (id: string) => call<Anonymised>('anonymise_contact', { id });
/** Erases a person everywhere (the right to be forgotten; cannot be undone). */
export const eraseContact = (id: string) => call<Erased>('erase_contact', { id });
export const subjectAccessDocument = (id: string, format: 'pdf' | 'html' | 'json') =>
  call<DocumentFile>('subject_access_document', { id, format });

/** The year's werkkapitaal per kernoverleg; null when none was set for the year. */
export const budgetOverview = (year: number) => call<BudgetOverview | null>('budget_overview', { year });

/** What to look at about a payment (without commitment, beyond it, outside the year). */
export const paymentWarnings = (id: string) => call<PaymentWarning[]>('payment_warnings', { id });

// Lists out (src-tauri/src/lists.rs): contacts, boards, an area's role holders and the
// organisations as CSV, XLSX or vCard in the downloads folder; a board as a mailing list.

/** Writes the list `scope` selects as it is today into the downloads folder. */
export const exportList = (scope: ExportScope, format: ListFormat) =>
  call<ListFile>('export_list', { scope, format });

/** An organisation's board today as a mailing list: Outlook's To field, mailto, who has no address. */
export const boardMailingList = (organisationId: string) =>
  call<MailingList>('board_mailing_list', { organisationId });

/** Opens a new message to the board in the user's mail program (the link is made in Rust). */
export const openMailingList = (organisationId: string) =>
  call<null>('open_mailing_list', { organisationId }).then(() => undefined);

// Sync with the municipal server (src-tauri/src/sync.rs).

// Contact lists in (the import dialog): the file's bytes go over once, as the raw body of the
// call; previews and the import refer to them by the number the app gave.

/** Reads the store's people (or organisations) while the user chooses a file. */
export const listImportPrepare = (kind: ListKind) =>
  call<null>('list_import_prepare', { kind }).then(() => undefined);

/** Hands the chosen list's bytes to the app; the number to preview and import it by. */
export async function listImportOpen(bytes: ArrayBuffer | Uint8Array): Promise<number> {
  try {
    return await invoke<number>('list_import_open', bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  } catch (error) {
    throw toIpcError(error);
  }
}

/** Lets the open list go (the dialog closed). */
export const listImportClose = () => call<null>('list_import_close').then(() => undefined);

/** What importing the open list would do; nothing is written. */
export const listImportPreview = (options: ListImportOptions) =>
  call<ListImportPreview>('list_import_preview', { options });

/** Imports the open list as one batch (one undo). */
export const listImport = (options: ListImportOptions) => call<ListImportReport>('list_import', { options });

/** Takes an import back as a whole. */
export const listImportUndo = (batchId: string) => call<ListImportUndo>('list_import_undo', { batchId });

/** The imports made on this laptop, newest first. */
export const listImportBatches = () => call<ListImportBatch[]>('list_import_batches');


/** Where sync stands: phase, waiting changes, conflicts, last sync, next try. */
export const syncState = () => call<SyncState>('sync_state');

/** Asks for a round now; the state after asking. */
export const syncNow = () => call<SyncState>('sync_now');

/** The server address and whether (and where) a token is kept; never the token itself. */
export const syncSettings = () => call<SyncSettings>('sync_settings');

/**
 * Sets the server (empty turns sync off), when not empty a new sign-in token, and the PEM file of
 * the municipality's own certificate authority (empty: the public authorities).
 */
export const saveSyncSettings = (server: string, token: string | null, caFile: string) =>
  call<SyncSettings>('save_sync_settings', { server, token, caFile });

/**
 * "Nieuw token aanvragen": a new token from the server in place of the one kept, kept where the
 * old one was. Waiting changes are not touched; the old token keeps working until the new one is
 * first used, so a failure here never locks the laptop out.
 */
export const rotateSyncToken = () => call<TokenRenewed>('rotate_sync_token');

/** The conflicts to review, newest first. */
export const syncConflicts = () => call<ConflictView[]>('sync_conflicts');

/** "Mijn waarde terugzetten": the value that lost becomes a new edit. */
export const keepConflictValue = (seq: number) =>
  call<null>('keep_conflict_value', { seq }).then(() => undefined);

/** "Negeren": the value that won stays; the conflict is marked reviewed. */
export const dismissConflict = (seq: number) =>
  call<null>('dismiss_conflict', { seq }).then(() => undefined);

/** Calls `callback` with every new sync state (event `sync-state`); returns the function that
 * stops listening. Without a Tauri runtime it listens to nothing. */
export function onSyncState(callback: (state: SyncState) => void): () => void {
  // Listening starts asynchronously; a stop asked for before it has started stops it as soon as
  // it does.
  let stopped = false;
  let unlisten: (() => void) | null = null;
  listen<SyncState>('sync-state', (event) => callback(event.payload))
    .then((stop) => {
      if (stopped) stop();
      else unlisten = stop;
    })
    .catch(() => {
      // Without the Rust side (a plain browser) there are no events.
    });
  return () => {
    stopped = true;
    unlisten?.();
  };
}
