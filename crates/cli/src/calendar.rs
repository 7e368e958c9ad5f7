//! `wijkwerk calendar ...`: calendar export, invitation import, the yearly visit planner and the
//! school holidays it avoids. Thin: every decision is the core's (`wijkwerk_core::calendar`).

use crate::{to_value, uuid, CliError, Output};
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use std::path::PathBuf;
use wijkwerk_core::calendar::export::{ActionPointsAs, ExportFilter, ExportOptions};
use wijkwerk_core::calendar::import::ImportOptions;
use wijkwerk_core::calendar::planner::{parse_confirmation, PlanRequest};
use wijkwerk_core::calendar::{holidays, ImportError};
use wijkwerk_core::{Error as CoreError, Store};

#[derive(Subcommand)]
pub(crate) enum CalendarAction {
    /// Writes an .ics (RFC 5545) of visits, meetings and/or action-point due dates.
    Export {
        /// Visits (kernbezoeken, wijkschouwen).
        #[arg(long)]
        visits: bool,
        /// Meetings.
        #[arg(long)]
        meetings: bool,
        /// Action points' due dates, as tasks (VTODO) or as all-day events.
        #[arg(long, value_enum, value_name = "tasks|events")]
        action_points_as: Option<PointsAs>,
        /// The confirmed year schedule: kernbezoeken and kernoverleggen (use with --year).
        #[arg(long)]
        schedule: bool,
        /// Records in this kern (with its wijken).
        #[arg(long, value_name = "ID")]
        kern: Option<String>,
        /// Records in this area (with the areas below it).
        #[arg(long, value_name = "ID")]
        area: Option<String>,
        /// Meetings of this organisation (and action points it asked for or owns).
        #[arg(long, value_name = "ID")]
        organisation: Option<String>,
        /// Records that start (or are due) in this year.
        #[arg(long)]
        year: Option<i16>,
        /// One visit, meeting or action point.
        #[arg(long, value_name = "ID")]
        id: Option<String>,
        /// A reminder this many minutes before.
        #[arg(long, value_name = "N")]
        reminder_minutes: Option<u32>,
        /// The organizer: a contact with an e-mail address (default: the coordinator).
        #[arg(long, value_name = "CONTACT_ID")]
        organizer: Option<String>,
        /// The calendar's name.
        #[arg(long)]
        name: Option<String>,
        /// The DTSTAMP to write (default now), for reproducible files: 2026-11-24T09:00:00Z.
        #[arg(long, value_name = "INSTANT")]
        dtstamp: Option<String>,
        /// Write to this file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Imports an .ics of invitations: each event becomes (or updates, or cancels) a meeting.
    /// Events that cannot be used are skipped and listed (`refused`, with line and reason);
    /// what was forgiven is listed under `warnings`.
    Import {
        file: PathBuf,
        /// Read and compare only: report what would be imported, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Proposes the year's kernbezoeken and kernoverleggen; `confirm` makes them visits and
    /// meetings.
    Plan {
        /// The year to plan.
        #[arg(long, global = true)]
        year: Option<i16>,
        /// The school-holiday region (noord, midden, zuid); by default the municipality's
        /// (`school_region` of the municipality area).
        #[arg(long, global = true)]
        region: Option<String>,
        #[command(subcommand)]
        action: Option<PlanAction>,
    },
    /// Dutch public holidays of a year.
    Holidays {
        #[arg(long)]
        year: i16,
    },
    /// School holidays per region (shipped dates with the store's edits).
    SchoolHolidays {
        #[command(subcommand)]
        action: Option<SchoolHolidayAction>,
        #[arg(long)]
        region: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum PointsAs {
    Tasks,
    Events,
}

#[derive(Subcommand)]
pub(crate) enum PlanAction {
    /// Confirms proposals: `KEY` as proposed, `KEY=YYYY-MM-DD` or `KEY=YYYY-MM-DDTHH:MM` moved.
    /// Proposals not named (or named with --drop) are dropped.
    Confirm {
        /// Proposal keys (from `plan`): `KEY`, `KEY=YYYY-MM-DD` or `KEY=YYYY-MM-DDTHH:MM`.
        proposals: Vec<String>,
        /// Confirm every proposal (except those given with --drop).
        #[arg(long)]
        all: bool,
        /// Leave this proposal out (with --all).
        #[arg(long, value_name = "KEY")]
        drop: Vec<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum SchoolHolidayAction {
    /// Sets the dates of a region's school holiday (changes a shipped one, or adds one).
    Set {
        #[arg(long)]
        region: String,
        #[arg(long, value_name = "2027-2028")]
        school_year: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        start: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        end: String,
    },
    /// Drops a region's school holiday from the planner's view.
    Drop {
        #[arg(long)]
        region: String,
        #[arg(long)]
        school_year: String,
        #[arg(long)]
        name: String,
    },
}

fn bad(message: impl Into<String>) -> CliError {
    CliError::Core(CoreError::BadRequest(message.into()))
}

pub(crate) fn run(store: &mut Store, action: CalendarAction) -> Result<Output, CliError> {
    let value = match action {
        CalendarAction::Export {
            visits,
            meetings,
            action_points_as,
            schedule,
            kern,
            area,
            organisation,
            year,
            id,
            reminder_minutes,
            organizer,
            name,
            dtstamp,
            out,
        } => {
            if kern.is_some() && area.is_some() {
                return Err(bad("give --kern or --area, not both"));
            }
            let filter = ExportFilter {
                visits: visits || schedule,
                meetings: meetings || schedule,
                action_points: action_points_as.map(|a| match a {
                    PointsAs::Tasks => ActionPointsAs::Tasks,
                    PointsAs::Events => ActionPointsAs::Events,
                }),
                id: id.as_deref().map(uuid).transpose()?,
                area: kern.or(area).as_deref().map(uuid).transpose()?,
                organisation: organisation.as_deref().map(uuid).transpose()?,
                year,
                schedule,
                ..ExportFilter::default()
            };
            let now = match dtstamp {
                Some(text) => text
                    .parse::<jiff::Timestamp>()
                    .map_err(|e| bad(format!("--dtstamp {text:?}: {e}")))?,
                None => jiff::Timestamp::now(),
            };
            let mut options = ExportOptions::at(now);
            options.reminder_minutes = reminder_minutes;
            options.organizer = organizer.as_deref().map(uuid).transpose()?;
            options.calendar_name = name;
            let export = store.calendar_export(&filter, &options)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, &export.text).map_err(|source| CliError::Io {
                        path: path.display().to_string(),
                        source,
                    })?;
                    json!({
                        "exported": path.display().to_string(),
                        "bytes": export.text.len(),
                        "events": export.events,
                        "tasks": export.tasks,
                        "time_zones": export.time_zones,
                        "uids": export.uids,
                    })
                }
                None => return Ok(Output::Text(export.text)),
            }
        }
        CalendarAction::Import { file, dry_run } => {
            let bytes = read_limited(&file)?;
            let options = ImportOptions {
                now: jiff::Timestamp::now(),
            };
            let done = if dry_run {
                store.calendar_preview(&bytes, &options)
            } else {
                store.calendar_import(&bytes, &options)
            };
            match done {
                Ok(report) => {
                    let mut value = to_value(&report);
                    value["file"] = file.display().to_string().into();
                    value
                }
                Err(ImportError::Refused(refused)) => return Err(CliError::Calendar(refused)),
                Err(ImportError::Store(e)) => return Err(e.into()),
            }
        }
        CalendarAction::Plan {
            year,
            region,
            action,
        } => {
            let year = year.ok_or_else(|| bad("give --year N"))?;
            let region = match region {
                Some(region) => region,
                None => store.school_region()?.ok_or_else(|| {
                    bad(
                        "give --region noord|midden|zuid, or set the municipality's \
                         school_region (area update ID --json '{\"school_region\": \"noord\"}')",
                    )
                })?,
            };
            let request = PlanRequest::new(year, &region);
            match action {
                None => to_value(store.plan_year(&request)?),
                Some(PlanAction::Confirm {
                    proposals,
                    all,
                    drop,
                }) => {
                    let plan = store.plan_year(&request)?;
                    let mut confirmations = Vec::new();
                    if all {
                        for p in plan.proposals.iter().filter(|p| !drop.contains(&p.key)) {
                            if !proposals
                                .iter()
                                .any(|given| given.split('=').next() == Some(&p.key))
                            {
                                confirmations.push(parse_confirmation(&p.key, &plan)?);
                            }
                        }
                    }
                    for given in &proposals {
                        confirmations.push(parse_confirmation(given, &plan)?);
                    }
                    if confirmations.is_empty() {
                        return Err(bad("name the proposals to confirm, or give --all"));
                    }
                    let created = store.confirm_plan(&request, &confirmations)?;
                    let mut records = Vec::new();
                    for (entity, id) in created {
                        records.push(store.get(entity, id)?);
                    }
                    json!({ "confirmed": records })
                }
            }
        }
        CalendarAction::Holidays { year } => to_value(holidays::public_holidays(year)),
        CalendarAction::SchoolHolidays { action, region } => match action {
            None => to_value(store.school_holidays(region.as_deref())?),
            Some(SchoolHolidayAction::Set {
                region,
                school_year,
                name,
                start,
                end,
            }) => {
                let id = store.set_school_holiday(&region, &school_year, &name, &start, &end)?;
                json!({ "id": id.to_string(), "school_holidays": to_value(store.school_holidays(Some(&region))?) })
            }
            Some(SchoolHolidayAction::Drop {
                region,
                school_year,
                name,
            }) => {
                store.drop_school_holiday(&region, &school_year, &name)?;
                json!({ "dropped": name, "school_holidays": to_value(store.school_holidays(Some(&region))?) })
            }
        },
    };
    Ok(Output::Json(value))
}

/// Reads a file, refusing (without reading it all) one larger than the importer accepts.
fn read_limited(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let io = |source| CliError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let limit = wijkwerk_core::calendar::scan::MAX_BYTES as u64;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        let size = std::fs::metadata(path)
            .map(|m| m.len())
            .unwrap_or(limit + 1);
        return Err(CliError::Calendar(
            wijkwerk_core::calendar::CalendarError::File {
                reason: format!(
                    "the file is {size} bytes; a calendar file may be at most {} MB",
                    limit / (1024 * 1024)
                ),
            },
        ));
    }
    Ok(bytes)
}
