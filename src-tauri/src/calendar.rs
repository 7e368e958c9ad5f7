//! Calendars in the app: "Exporteer naar agenda" (a visit, a meeting, an organisation's meetings,
//! a year's schedule) writes an `.ics` file into the user's downloads folder; an invitation file
//! opened or dropped on the window is imported; the yearly visit planner proposes, and the
//! coordinator confirms. Every decision is the core's (`wijkwerk_core::calendar`).

use crate::commands::AppState;
use crate::error::IpcError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;
use wijkwerk_core::calendar::export::{ActionPointsAs, ExportFilter, ExportOptions};
use wijkwerk_core::calendar::import::{ImportOptions, ImportReport};
use wijkwerk_core::calendar::planner::{parse_confirmation, Plan, PlanRequest};
use wijkwerk_core::calendar::school_holidays::SchoolHoliday;
use wijkwerk_core::calendar::ImportError;

/// The largest invitation file taken (the core checks again, line by line).
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;

/// What to put in a calendar file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct CalendarExportRequest {
    /// One visit, meeting or action point.
    pub id: Option<String>,
    /// Meetings of this organisation.
    pub organisation_id: Option<String>,
    /// Records in this area and below.
    pub area_id: Option<String>,
    /// A year's confirmed schedule (kernbezoeken and kernoverleggen); or a year as a filter.
    pub year: Option<i16>,
    pub schedule: bool,
    /// Action points' due dates: `tasks` or `events`.
    pub action_points_as: Option<String>,
    /// A reminder this many minutes before.
    pub reminder_minutes: Option<u32>,
    /// The file's name without `.ics` (made safe), and the calendar's name.
    pub name: Option<String>,
}

/// A calendar file written.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CalendarFile {
    pub path: String,
    pub events: usize,
    pub tasks: usize,
}

fn bad(message: impl Into<String>) -> IpcError {
    IpcError::new("bad_request", message)
}

fn parse_id(text: &Option<String>) -> Result<Option<Uuid>, IpcError> {
    text.as_deref()
        .map(|t| Uuid::parse_str(t).map_err(|_| bad(format!("Geen geldige sleutel: {t}."))))
        .transpose()
}

/// A file name made of letters, digits and dashes: `kernbezoek-groet-2027`.
pub fn safe_file_stem(name: &str) -> String {
    let mut stem = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            stem.extend(c.to_lowercase());
        } else if !stem.ends_with('-') && !stem.is_empty() {
            stem.push('-');
        }
    }
    let stem = stem.trim_end_matches('-');
    let stem: String = stem.chars().take(60).collect();
    if stem.is_empty() {
        "wijkwerk-agenda".into()
    } else {
        stem
    }
}

/// `dir/stem.ics`, or `dir/stem-2.ics` and so on when that exists: never overwrite.
pub fn free_path(dir: &Path, stem: &str) -> PathBuf {
    free_path_with(dir, stem, "ics")
}

/// `dir/stem.extension`, or `dir/stem-2.extension` and so on when that exists.
pub fn free_path_with(dir: &Path, stem: &str, extension: &str) -> PathBuf {
    let first = dir.join(format!("{stem}.{extension}"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("{stem}-{n}.{extension}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Where exports go: `WIJKWERK_EXPORT_DIR`, else the user's downloads folder (on Windows the
/// known folder, also when it was moved), else documents, home, or the temporary folder.
pub fn export_folder() -> PathBuf {
    if let Some(dir) = std::env::var_os("WIJKWERK_EXPORT_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::download_dir()
        .or_else(dirs::document_dir)
        .or_else(dirs::home_dir)
        .unwrap_or_else(std::env::temp_dir)
}

/// The kinds of file "Openen" opens: what Wijkwerk writes into the export folder.
const OPENABLE: [&str; 5] = ["ics", "pdf", "xlsx", "csv", "vcf"];

/// "Openen" beside an export's message: opens the file with the program the user set for its kind
/// (on a municipal laptop an `.ics` opens in Outlook, a `.vcf` in the address book), through the
/// core. Only a calendar, report or list in the export folder: the web view cannot make the app
/// open any other file.
#[tauri::command(async)]
pub fn open_exported_file(path: String) -> Result<(), IpcError> {
    open_in(&export_folder(), Path::new(&path))
}

/// Opens `file` when it is an openable file inside `folder`.
fn open_in(folder: &Path, file: &Path) -> Result<(), IpcError> {
    let kind_ok = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| OPENABLE.contains(&e.to_ascii_lowercase().as_str()));
    let inside = match (file.canonicalize(), folder.canonicalize()) {
        (Ok(file), Ok(folder)) => file.starts_with(folder),
        _ => false,
    };
    if !kind_ok || !inside || !file.is_file() {
        return Err(bad(format!(
            "Wijkwerk opent alleen agenda's, rapporten en lijsten die het zelf in {} heeft gezet; {} hoort daar niet bij.",
            folder.display(),
            file.display()
        )));
    }
    wijkwerk_core::open_file::open_with_default_program(file).map_err(IpcError::from)
}

pub fn export(state: &AppState, request: CalendarExportRequest) -> Result<CalendarFile, IpcError> {
    export_to(state, request, &export_folder())
}

/// Writes the calendar file into `dir`.
pub fn export_to(
    state: &AppState,
    request: CalendarExportRequest,
    dir: &Path,
) -> Result<CalendarFile, IpcError> {
    let action_points = match request.action_points_as.as_deref() {
        None | Some("") => None,
        Some("tasks") => Some(ActionPointsAs::Tasks),
        Some("events") => Some(ActionPointsAs::Events),
        Some(other) => return Err(bad(format!("Onbekende keuze voor actiepunten: {other}."))),
    };
    let filter = ExportFilter {
        id: parse_id(&request.id)?,
        organisation: parse_id(&request.organisation_id)?,
        area: parse_id(&request.area_id)?,
        year: request.year,
        schedule: request.schedule,
        action_points,
        ..Default::default()
    };
    let mut options = ExportOptions::at(jiff::Timestamp::now());
    options.reminder_minutes = request.reminder_minutes;
    options.calendar_name = request.name.clone();
    let export = state.with_store(|s| s.calendar_export(&filter, &options))?;
    let path = free_path(
        dir,
        &safe_file_stem(request.name.as_deref().unwrap_or("wijkwerk-agenda")),
    );
    let failed = |e: std::io::Error| {
        IpcError::new(
            "io",
            format!(
                "Het agendabestand kon niet worden bewaard in {}: {e}.",
                dir.display()
            ),
        )
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    // Written beside its place first and then renamed: a full disk leaves no half file.
    let temporary = path.with_extension("ics.part");
    std::fs::write(&temporary, export.text.as_bytes()).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        failed(e)
    })?;
    std::fs::rename(&temporary, &path).map_err(failed)?;
    Ok(CalendarFile {
        path: path.display().to_string(),
        events: export.events,
        tasks: export.tasks,
    })
}

/// Imports an invitation file's bytes (as the file holds them: the core reads Windows-1252 and
/// UTF-16 too). Unless `confirmed`, the core imports at once only when nothing is skipped or
/// forgiven, and otherwise returns its preview (`written` false) for the user to confirm.
pub fn import(
    state: &AppState,
    name: &str,
    bytes: &[u8],
    confirmed: bool,
) -> Result<ImportReport, IpcError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(IpcError::new(
            "calendar_refused",
            format!(
                "{name}: het bestand is te groot ({} MB; ten hoogste {} MB).",
                bytes.len() / (1024 * 1024),
                MAX_IMPORT_BYTES / (1024 * 1024)
            ),
        ));
    }
    let options = ImportOptions {
        now: jiff::Timestamp::now(),
    };
    state
        .with_store(|s| {
            if confirmed {
                s.calendar_import(bytes, &options)
            } else {
                s.calendar_import_unless_doubtful(bytes, &options)
            }
        })
        .map_err(|error| match error.code.as_str() {
            "calendar_refused" => {
                IpcError::new("calendar_refused", format!("{name}, {}", error.message))
            }
            _ => error,
        })
}

/// The bytes of a file sent as base64 by the front end.
fn file_bytes(name: &str, content: &str) -> Result<Vec<u8>, IpcError> {
    use base64::Engine;
    if content.len() > MAX_IMPORT_BYTES / 3 * 4 + 8 {
        return Err(IpcError::new(
            "calendar_refused",
            format!(
                "{name}: het bestand is te groot (ten hoogste {} MB).",
                MAX_IMPORT_BYTES / (1024 * 1024)
            ),
        ));
    }
    base64::engine::general_purpose::STANDARD
        .decode(content.trim())
        .map_err(|_| bad(format!("{name}: het bestand kwam niet goed door.")))
}

/// A refused file names its line (when it has one) and says that nothing was imported.
impl From<ImportError> for IpcError {
    fn from(error: ImportError) -> IpcError {
        match error {
            ImportError::Refused(refused) => IpcError::new(
                "calendar_refused",
                match refused.line() {
                    Some(line) => format!(
                        "regel {line}: {}. Er is niets geïmporteerd.",
                        refused.reason()
                    ),
                    None => format!("{}. Er is niets geïmporteerd.", refused.reason()),
                },
            ),
            ImportError::Store(error) => error.into(),
        }
    }
}

/// The school-holiday region asked for, else the municipality's (else `noord`).
fn school_region(state: &AppState, region: Option<String>) -> Result<String, IpcError> {
    match region.filter(|r| !r.is_empty()) {
        Some(region) => Ok(region),
        None => Ok(state
            .with_store(|s| s.school_region())?
            .unwrap_or_else(|| "noord".to_owned())),
    }
}

fn plan_request(
    state: &AppState,
    year: i16,
    region: Option<String>,
) -> Result<PlanRequest, IpcError> {
    Ok(PlanRequest::new(year, &school_region(state, region)?))
}

/// The school holidays the planner avoids, of one region.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SchoolHolidays {
    /// The region shown: the one asked for, or the municipality's.
    pub region: String,
    pub holidays: Vec<SchoolHoliday>,
}

fn school_holidays_of(
    state: &AppState,
    region: Option<String>,
) -> Result<SchoolHolidays, IpcError> {
    let region = school_region(state, region)?;
    let holidays = state.with_store(|s| s.school_holidays(Some(&region)))?;
    Ok(SchoolHolidays { region, holidays })
}

/// The school holidays of a region (by default the municipality's), shipped dates with the
/// coordinators' changes applied.
#[tauri::command(async)]
pub fn school_holidays(
    state: State<'_, AppState>,
    region: Option<String>,
) -> Result<SchoolHolidays, IpcError> {
    school_holidays_of(&state, region)
}

/// Which school holiday: region, school year and name (as [`SchoolHoliday`] has them).
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
pub struct HolidayKey {
    pub region: String,
    pub school_year: String,
    pub name: String,
}

/// Sets the dates of a region's school holiday (through the one write path; synced like every
/// change). The first and last day, inclusive; the core refuses a date that does not exist and a
/// last day before the first, naming the field.
pub fn set_holiday(
    state: &AppState,
    holiday: &HolidayKey,
    start_date: &str,
    end_date: &str,
) -> Result<SchoolHolidays, IpcError> {
    state.with_store(|s| {
        s.set_school_holiday(
            &holiday.region,
            &holiday.school_year,
            &holiday.name,
            start_date,
            end_date,
        )
    })?;
    crate::sync::poke();
    school_holidays_of(state, Some(holiday.region.clone()))
}

#[tauri::command(async)]
pub fn set_school_holiday(
    state: State<'_, AppState>,
    holiday: HolidayKey,
    start_date: String,
    end_date: String,
) -> Result<SchoolHolidays, IpcError> {
    set_holiday(&state, &holiday, &start_date, &end_date)
}

/// Leaves a region's school holiday out of the planner's view (undone by setting its dates).
#[tauri::command(async)]
pub fn drop_school_holiday(
    state: State<'_, AppState>,
    holiday: HolidayKey,
) -> Result<SchoolHolidays, IpcError> {
    state.with_store(|s| {
        s.drop_school_holiday(&holiday.region, &holiday.school_year, &holiday.name)
    })?;
    crate::sync::poke();
    school_holidays_of(&state, Some(holiday.region))
}

#[tauri::command(async)]
pub fn calendar_export(
    state: State<'_, AppState>,
    request: CalendarExportRequest,
) -> Result<CalendarFile, IpcError> {
    export(&state, request)
}

/// Imports an invitation file (its bytes in base64, read by the front end from a file opened or
/// dropped). Unless `confirmed`: imported at once when nothing is skipped or forgiven, else the
/// preview comes back (`written` false) and the front end asks ("Toch importeren").
#[tauri::command(async)]
pub fn calendar_import(
    state: State<'_, AppState>,
    name: String,
    content: String,
    confirmed: bool,
) -> Result<ImportReport, IpcError> {
    let bytes = file_bytes(&name, &content)?;
    let report = import(&state, &name, &bytes, confirmed)?;
    if report.written {
        crate::sync::poke();
    }
    Ok(report)
}

/// The year's proposed kernbezoeken and kernoverleggen.
#[tauri::command(async)]
pub fn plan_year(
    state: State<'_, AppState>,
    year: i16,
    region: Option<String>,
) -> Result<Plan, IpcError> {
    let request = plan_request(&state, year, region)?;
    state.with_store(|s| s.plan_year(&request))
}

/// Confirms proposals (`KEY`, or `KEY=YYYY-MM-DDTHH:MM` for one moved); returns how many
/// visits and meetings were made.
#[tauri::command(async)]
pub fn confirm_plan(
    state: State<'_, AppState>,
    year: i16,
    region: Option<String>,
    confirmations: Vec<String>,
) -> Result<usize, IpcError> {
    let request = plan_request(&state, year, region)?;
    let made = state.with_store(|s| {
        let plan = s.plan_year(&request)?;
        let parsed = confirmations
            .iter()
            .map(|c| parse_confirmation(c, &plan))
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, wijkwerk_core::Error>(s.confirm_plan(&request, &parsed)?.len())
    })?;
    crate::sync::poke();
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use wijkwerk_core::Store;

    fn demo_state() -> AppState {
        let mut store = Store::in_memory().unwrap();
        wijkwerk_core::demo::load_demo(&mut store, wijkwerk_core::today()).unwrap();
        AppState::new(PathBuf::from("/data"), Ok(store), Settings::default())
    }

    #[test]
    fn only_exported_calendars_and_reports_are_opened() {
        let exports = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let program = exports.path().join("setup.exe");
        std::fs::write(&program, "MZ").unwrap();
        let outside = elsewhere.path().join("kernbezoeken.ics");
        std::fs::write(&outside, "BEGIN:VCALENDAR\r\n").unwrap();
        let sneaky = exports.path().join("..").join(outside.file_name().unwrap());
        for file in [program, outside, sneaky, exports.path().join("weg.ics")] {
            let error = open_in(exports.path(), &file).unwrap_err();
            assert_eq!(error.code, "bad_request", "{file:?}");
        }
    }

    #[test]
    fn file_names_are_safe_and_never_overwrite() {
        assert_eq!(
            safe_file_stem("Kernbezoek Groet / 2027"),
            "kernbezoek-groet-2027"
        );
        assert_eq!(safe_file_stem("../.."), "wijkwerk-agenda");
        let dir = tempfile::tempdir().unwrap();
        let first = free_path(dir.path(), "a");
        std::fs::write(&first, "x").unwrap();
        assert_eq!(free_path(dir.path(), "a"), dir.path().join("a-2.ics"));
    }

    #[test]
    fn an_export_is_a_new_file_each_time_and_never_overwrites() {
        let state = demo_state();
        let dir = tempfile::tempdir().unwrap();
        let request = CalendarExportRequest {
            name: Some("Alle bezoeken".into()),
            ..Default::default()
        };
        let first = export_to(&state, request.clone(), dir.path()).unwrap();
        let second = export_to(&state, request, dir.path()).unwrap();
        assert!(first.events > 0, "the demo has visits and meetings");
        assert!(first.path.ends_with("alle-bezoeken.ics"), "{}", first.path);
        assert!(
            second.path.ends_with("alle-bezoeken-2.ics"),
            "{}",
            second.path
        );
        let text = std::fs::read_to_string(&first.path).unwrap();
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert_eq!(text.matches("BEGIN:VEVENT").count(), first.events);
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "part"))
            })
            .count();
        assert_eq!(leftovers, 0, "no temporary file is left behind");
    }

    #[test]
    fn a_broken_file_is_refused_with_its_line_and_nothing_is_imported() {
        let state = demo_state();
        let before = state
            .with_store(|s| s.count(wijkwerk_core::Entity::Meeting))
            .unwrap();
        // Cut short: the file ends inside its event.
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n\
                    DTSTART:20270201T190000Z\r\n";
        let error = import(&state, "uitnodiging.ics", text.as_bytes(), false).unwrap_err();
        assert_eq!(error.code, "calendar_refused");
        assert!(
            error.message.contains("uitnodiging.ics"),
            "{}",
            error.message
        );
        assert!(error.message.contains("regel"), "{}", error.message);
        let after = state
            .with_store(|s| s.count(wijkwerk_core::Entity::Meeting))
            .unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn an_invitation_becomes_a_meeting() {
        let state = demo_state();
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//NL\r\nMETHOD:REQUEST\r\n\
                    BEGIN:VEVENT\r\nUID:ledenavond-1@example.nl\r\nDTSTAMP:20261120T120000Z\r\n\
                    DTSTART:20261210T183000Z\r\nDTEND:20261210T203000Z\r\n\
                    SUMMARY:Ledenavond\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let report = import(&state, "ledenavond.ics", text.as_bytes(), false).unwrap();
        assert!(report.written, "nothing doubtful: imported at once");
        assert_eq!(report.created.len(), 1);
        assert_eq!(report.created[0].title, "Ledenavond");
    }

    #[test]
    fn a_file_with_a_skipped_event_is_shown_first_and_imported_when_confirmed() {
        let state = demo_state();
        let count = || {
            state
                .with_store(|s| s.count(wijkwerk_core::Entity::Meeting))
                .unwrap()
        };
        let before = count();
        // Windows-1252 bytes (é), and a second event on 31 February.
        let bytes = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:caf\xe9@example.nl\r\n\
                      DTSTART:20261210T183000Z\r\nSUMMARY:Caf\xe9avond\r\nEND:VEVENT\r\n\
                      BEGIN:VEVENT\r\nUID:feb@example.nl\r\nDTSTART:20270231T183000Z\r\n\
                      END:VEVENT\r\nEND:VCALENDAR\r\n";
        let content = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(bytes)
        };
        let preview = import(
            &state,
            "cafe.ics",
            &file_bytes("cafe.ics", &content).unwrap(),
            false,
        )
        .unwrap();
        assert!(!preview.written);
        assert_eq!(preview.refused.len(), 1);
        assert_eq!(preview.refused[0].line, 10, "its DTSTART");
        assert_eq!(count(), before, "nothing written before the user confirms");
        let report = import(&state, "cafe.ics", bytes, true).unwrap();
        assert!(report.written);
        assert_eq!(report.created[0].title, "Caféavond");
        assert_eq!(count(), before + 1);
        assert!(file_bytes("x.ics", "not base64!").is_err());
    }

    #[test]
    fn a_school_holiday_gets_checked_dates_and_an_impossible_range_is_refused() {
        let state = demo_state();
        let shown = school_holidays_of(&state, Some("zuid".into())).unwrap();
        assert_eq!(shown.region, "zuid");
        let estimated = shown
            .holidays
            .iter()
            .find(|h| h.uncertain)
            .expect("an estimated holiday is shipped")
            .clone();
        let key = HolidayKey {
            region: estimated.region.clone(),
            school_year: estimated.school_year.clone(),
            name: estimated.name.clone(),
        };
        let refused = set_holiday(&state, &key, "2027-02-14", "2027-02-06").unwrap_err();
        assert_eq!(refused.field.as_deref(), Some("end_date"));
        let refused = set_holiday(&state, &key, "2027-02-31", "2027-03-06").unwrap_err();
        assert_eq!(refused.field.as_deref(), Some("start_date"));

        let after = set_holiday(&state, &key, "2027-02-06", "2027-02-15").unwrap();
        let edited = after
            .holidays
            .iter()
            .find(|h| h.id == estimated.id)
            .unwrap();
        assert_eq!(edited.end_date.to_string(), "2027-02-15");
        assert!(!edited.uncertain, "checked by the coordinator");
        assert_eq!(edited.source, "edited");

        // Left out, then undone (its shipped dates set again): the shipped estimate once more.
        let state = demo_state();
        let store_drop =
            state.with_store(|s| s.drop_school_holiday(&key.region, &key.school_year, &key.name));
        assert!(store_drop.is_ok());
        let start = estimated.start_date.to_string();
        let end = estimated.end_date.to_string();
        let after = set_holiday(&state, &key, &start, &end).unwrap();
        let back = after
            .holidays
            .iter()
            .find(|h| h.id == estimated.id)
            .unwrap();
        assert!(back.uncertain, "still an estimate: {back:?}");
        assert_eq!(back.source, "shipped");
    }
}
