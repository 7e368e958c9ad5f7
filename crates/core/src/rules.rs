//! The entities' own rules beyond single fields: defaults for new records and checks across
//! fields (an end never before its start, an area's parent above it, ...).

use crate::error::{Error, Expected, Invalid, Result};
use crate::row;
use crate::schema::{area_rank, Entity, ICAL_SEQUENCE_MAX};
use crate::values;
use crate::write::{Context, Fields, Op, Write};
use rusqlite::OptionalExtension;
use serde_json::Value;
use uuid::Uuid;

/// Fills the fields a new record gets when the caller leaves them out (absent, null, or blank
/// text, as a form sends a field left empty).
pub(crate) fn fill_defaults(ctx: &Context<'_>, entity: Entity, fields: &mut Fields) -> Result<()> {
    let mut default = |name: &str, value: Value| {
        let left_out = |v: &Value| v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty());
        if fields.get(name).is_none_or(left_out) {
            fields.insert(name.to_owned(), value);
        }
    };
    match entity {
        Entity::Meeting | Entity::Visit => {
            default("time_zone", crate::DEFAULT_TIME_ZONE.into());
            default("status", "planned".into());
        }
        Entity::Attendance => default("status", "invited".into()),
        Entity::Contact => {
            default("legal_basis", "publieke_taak".into());
            default("source", crate::privacy::SOURCE_OWN_ENTRY.into());
        }
        Entity::Invitee => default("response", "pending".into()),
        Entity::ActionPoint => {
            default("status", "open".into());
            default("opened_on", ctx.today.to_string().into());
        }
        Entity::ActionPointEvent => default("at", ctx.now.to_string().into()),
        Entity::Agreement => default("status", "concept".into()),
        Entity::Project => {
            default("status", "idee".into());
            default("participation_step", "informeren".into());
        }
        Entity::BudgetAdjustment | Entity::Commitment => {
            default("date", ctx.today.to_string().into())
        }
        Entity::Payment => {
            default("date", ctx.today.to_string().into());
            // A payment against a commitment comes from the same werkkapitaal.
            let commitment = fields
                .get("commitment_id")
                .and_then(Value::as_str)
                .map(|id| id.trim().to_owned());
            if let Some(commitment_id) = commitment {
                let found: Option<(Option<String>, Option<String>)> = ctx
                    .conn
                    .prepare_cached(
                        "SELECT budget_id, kernoverleg_id FROM commitment WHERE id = ?1",
                    )?
                    .query_row([&commitment_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((budget, kernoverleg)) = found {
                    for (name, value) in [("budget_id", budget), ("kernoverleg_id", kernoverleg)] {
                        if let Some(value) = value {
                            if fields.get(name).is_none_or(Value::is_null) {
                                fields.insert(name.to_owned(), value.into());
                            }
                        }
                    }
                }
            }
        }
        Entity::AgendaItem | Entity::Stop => {
            let (parent, table) = if entity == Entity::AgendaItem {
                ("meeting_id", "agenda_item")
            } else {
                ("visit_id", "stop")
            };
            if fields.get("position").is_none_or(Value::is_null) {
                if let Some(parent_id) = fields.get(parent).and_then(Value::as_str) {
                    let sql = format!(
                        "SELECT coalesce(max(position), -1) + 1 FROM {table} WHERE {parent} = ?1"
                    );
                    let next: i64 = ctx
                        .conn
                        .prepare_cached(&sql)?
                        .query_row([parent_id.trim()], |r| r.get(0))?;
                    fields.insert("position".into(), next.into());
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Fields that follow from an update: a meeting's, visit's or action point's calendar SEQUENCE
/// goes up by one when its time or place changes (or it is cancelled or brought back), so that
/// calendars that hold an earlier export take the new version (RFC 5545, 3.8.7.4). A write that
/// sets `ical_sequence` itself (an imported invitation) keeps its own value.
pub(crate) fn follow_up(ctx: &Context<'_>, mut write: Write) -> Result<Write> {
    let watched: &[&str] = match write.entity {
        Entity::Meeting | Entity::Visit => &["starts_at", "ends_at", "location", "status"],
        Entity::ActionPoint => &["due_date"],
        _ => return Ok(write),
    };
    let Op::Update(given) = &mut write.op else {
        return Ok(write);
    };
    if given.contains_key("ical_sequence") || !watched.iter().any(|f| given.contains_key(*f)) {
        return Ok(write);
    }
    // A missing record is reported by the write itself.
    let Some(stored) = row::read(ctx.conn, write.entity, write.id)? else {
        return Ok(write);
    };
    let zone = given
        .get("time_zone")
        .and_then(Value::as_str)
        .or_else(|| stored.fields.get("time_zone").and_then(Value::as_str))
        .map(str::to_owned);
    let mut changed = false;
    for name in watched {
        let (Some(value), Some(field)) = (given.get(*name), write.entity.field(name)) else {
            continue;
        };
        // A value that is not acceptable is refused by the write itself.
        let Ok(new) = values::normalise(field.kind, value, zone.as_deref()) else {
            continue;
        };
        let old = stored.fields.get(*name).unwrap_or(&Value::Null);
        changed |= if *name == "status" {
            let cancelled = |v: &Value| v.as_str() == Some("cancelled");
            cancelled(&new) != cancelled(old)
        } else {
            new != *old
        };
    }
    if changed {
        let sequence = stored
            .fields
            .get("ical_sequence")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        given.insert(
            "ical_sequence".into(),
            (sequence + 1).min(ICAL_SEQUENCE_MAX).into(),
        );
    }
    Ok(write)
}

/// Checks the rules that span fields of one record (all fields already normal and present).
pub(crate) fn check(ctx: &Context<'_>, entity: Entity, id: Uuid, fields: &Fields) -> Result<()> {
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    let fail = |field: &str, reason: Invalid| Err(Error::invalid(entity, field, reason));
    match entity {
        Entity::Area => {
            if let Some(parent_id) = text("parent_id") {
                if parent_id == id.to_string() {
                    return fail(
                        "parent_id",
                        Invalid::Rule("an area cannot be its own parent".into()),
                    );
                }
                let parent_kind: Option<String> = ctx
                    .conn
                    .prepare_cached("SELECT kind FROM area WHERE id = ?1")?
                    .query_row([parent_id], |r| r.get(0))
                    .optional()?
                    .flatten();
                let own = text("kind").and_then(area_rank);
                let parent = parent_kind.as_deref().and_then(area_rank);
                if let (Some(own), Some(parent)) = (own, parent) {
                    if parent >= own {
                        return fail(
                            "parent_id",
                            Invalid::Rule(format!(
                                "a {} cannot lie inside a {}",
                                text("kind").unwrap_or_default(),
                                parent_kind.unwrap_or_default()
                            )),
                        );
                    }
                }
            }
        }
        Entity::Role | Entity::SchoolHoliday => {
            if let (Some(start), Some(end)) = (text("start_date"), text("end_date")) {
                if end < start {
                    return fail("end_date", Invalid::EndBeforeStart);
                }
            }
        }
        Entity::Meeting | Entity::Visit => {
            if let (Some(start), Some(end)) = (text("starts_at"), text("ends_at")) {
                // Both are normal UTC texts of equal shape, so text order is time order.
                if end < start {
                    return fail("ends_at", Invalid::EndBeforeStart);
                }
            }
        }
        Entity::ActionPoint
            if text("source_agenda_item_id").is_some() && text("source_finding_id").is_some() =>
        {
            return fail(
                "source_finding_id",
                Invalid::Rule(
                    "an action point comes from an agenda item or a finding, not both".into(),
                ),
            );
        }
        Entity::ActionPointEvent => {
            if text("kind") == Some("status_change") && text("to_status").is_none() {
                return fail("to_status", Invalid::Required);
            }
            if text("kind") == Some("comment") && text("comment").is_none() {
                return fail("comment", Invalid::Required);
            }
        }
        Entity::Agreement => {
            if let Some(area) = text("area_id") {
                let kind = kind_of(ctx, "area", area)?;
                if !matches!(kind.as_deref(), Some("core" | "district")) {
                    return fail(
                        "area_id",
                        Invalid::WrongKind {
                            expected: Expected::KernOrWijk,
                        },
                    );
                }
            }
            check_kernoverleg(ctx, entity, fields, "kernoverleg_id")?;
            if let (Some(start), Some(end)) = (text("period_start"), text("period_end")) {
                if end < start {
                    return fail("period_end", Invalid::EndBeforeStart);
                }
            }
            if text("status") != Some("concept") && text("adopted_on").is_none() {
                return fail("adopted_on", Invalid::AdoptedOnRequired);
            }
        }
        Entity::Project => {
            if let Some(department) = text("department_id") {
                if kind_of(ctx, "organisation", department)?.as_deref() != Some("department") {
                    return fail(
                        "department_id",
                        Invalid::WrongKind {
                            expected: Expected::Department,
                        },
                    );
                }
            }
            let (start, end) = (text("start_date"), text("end_date"));
            if let (Some(start), Some(end)) = (start, end) {
                if end < start {
                    return fail("end_date", Invalid::EndBeforeStart);
                }
            }
            if start.is_some() || end.is_some() {
                // Milestones stay inside the period: the first that would fall outside it.
                let outside: Option<String> = ctx
                    .conn
                    .prepare_cached(
                        "SELECT min(date) FROM milestone WHERE project_id = ?1 AND deleted = 0
                           AND (date < ?2 OR date > ?3)",
                    )?
                    .query_row(
                        (
                            id.to_string(),
                            start.unwrap_or("0000-00-00"),
                            end.unwrap_or("9999-99-99"),
                        ),
                        |r| r.get(0),
                    )?;
                if let Some(date) = outside {
                    let field = match start {
                        Some(start) if date.as_str() < start => "start_date",
                        _ => "end_date",
                    };
                    return fail(field, Invalid::MilestonesOutside { date });
                }
            }
        }
        Entity::Milestone => {
            if let (Some(project), Some(date)) = (text("project_id"), text("date")) {
                let period: Option<(Option<String>, Option<String>)> = ctx
                    .conn
                    .prepare_cached("SELECT start_date, end_date FROM project WHERE id = ?1")?
                    .query_row([project], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((start, end)) = period {
                    let before = start.as_deref().is_some_and(|s| date < s);
                    let after = end.as_deref().is_some_and(|e| date > e);
                    if before || after {
                        return fail(
                            "date",
                            Invalid::OutsidePeriod {
                                start: start.unwrap_or_else(|| "…".into()),
                                end: end.unwrap_or_else(|| "…".into()),
                            },
                        );
                    }
                }
            }
        }
        Entity::Budget => {
            if let Some(area) = text("area_id") {
                if kind_of(ctx, "area", area)?.as_deref() != Some("municipality") {
                    return fail(
                        "area_id",
                        Invalid::WrongKind {
                            expected: Expected::Municipality,
                        },
                    );
                }
            }
        }
        Entity::BudgetAdjustment | Entity::Commitment | Entity::Payment => {
            check_kernoverleg(ctx, entity, fields, "kernoverleg_id")?;
            let amount = fields.get("amount_cents").and_then(Value::as_i64);
            if amount == Some(0) {
                return fail("amount_cents", Invalid::Zero);
            }
            if entity == Entity::Payment {
                if let Some(commitment) = text("commitment_id") {
                    let found: Option<(Option<String>, Option<String>)> = ctx
                        .conn
                        .prepare_cached(
                            "SELECT budget_id, kernoverleg_id FROM commitment WHERE id = ?1",
                        )?
                        .query_row([commitment], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()?;
                    if let Some((budget, kernoverleg)) = found {
                        if budget.as_deref() != text("budget_id") {
                            return fail(
                                "budget_id",
                                Invalid::NotTheCommitments {
                                    field: "werkkapitaal",
                                },
                            );
                        }
                        if kernoverleg.as_deref() != text("kernoverleg_id") {
                            return fail(
                                "kernoverleg_id",
                                Invalid::NotTheCommitments {
                                    field: "kernoverleg",
                                },
                            );
                        }
                    }
                }
            }
        }
        Entity::Contact => check_contact(ctx, id, fields)?,
        Entity::Finding => {
            if let Some(stop_id) = text("stop_id") {
                let stop_visit: Option<String> = ctx
                    .conn
                    .prepare_cached("SELECT visit_id FROM stop WHERE id = ?1")?
                    .query_row([stop_id], |r| r.get(0))
                    .optional()?
                    .flatten();
                if stop_visit.as_deref() != text("visit_id") {
                    return fail(
                        "stop_id",
                        Invalid::Rule("the stop belongs to another visit".into()),
                    );
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// A contact's personal-data rules: consent needs its date, and an
/// anonymised person stays anonymised: no personal field filled in again, the mark not taken
/// away (a form still open from before the anonymisation is refused, not saved over it). The
/// merge does not check rules: what another laptop wrote is reported by the retention review.
fn check_contact(ctx: &Context<'_>, id: Uuid, fields: &Fields) -> Result<()> {
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    let fail = |field: &str, reason: Invalid| Err(Error::invalid(Entity::Contact, field, reason));
    if text("legal_basis") == Some("toestemming") && text("consent_date").is_none() {
        return fail("consent_date", Invalid::ConsentDateRequired);
    }
    if text(wijkwerk_protocol::ERASED_FIELD).is_some() {
        // Only an erasure sets the day (`erasure.rs`; a record already erased is refused
        // before its rules are checked): the record must be in the erased form, or a write
        // could seal values in.
        let erased_form = Entity::Contact.fields().iter().all(|f| match f.name {
            "name" => text("name") == Some(crate::erasure::ERASED_NAME),
            wijkwerk_protocol::ERASED_FIELD => true,
            other => fields.get(other).is_none_or(Value::is_null),
        });
        return if erased_form {
            Ok(())
        } else {
            fail(wijkwerk_protocol::ERASED_FIELD, Invalid::ErasureOnly)
        };
    }
    let stored: Option<String> = ctx
        .conn
        .prepare_cached("SELECT anonymised_on FROM contact WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?
        .flatten();
    let on = text("anonymised_on").map(str::to_owned).or(stored.clone());
    if let Some(on) = on {
        if stored.is_some() && text("anonymised_on").is_none() {
            return fail("anonymised_on", Invalid::Anonymised { on });
        }
        if text("name") != Some(crate::privacy::ANONYMOUS_NAME) {
            return fail("name", Invalid::Anonymised { on });
        }
        for field in crate::privacy::PERSONAL_CONTACT_FIELDS {
            if fields.get(*field).is_some_and(|v| !v.is_null()) {
                return fail(field, Invalid::Anonymised { on });
            }
        }
    }
    Ok(())
}

/// The `kind` of a record in an area or organisation table (`None` when it does not exist: the
/// reference check reports that).
fn kind_of(ctx: &Context<'_>, table: &str, id: &str) -> Result<Option<String>> {
    let sql = format!("SELECT kind FROM {table} WHERE id = ?1");
    Ok(ctx
        .conn
        .prepare_cached(&sql)?
        .query_row([id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// A reference that must point to a kernoverleg (an organisation of that kind).
fn check_kernoverleg(ctx: &Context<'_>, entity: Entity, fields: &Fields, name: &str) -> Result<()> {
    if let Some(id) = fields.get(name).and_then(Value::as_str) {
        if kind_of(ctx, "organisation", id)?.as_deref() != Some("kernoverleg") {
            return Err(Error::invalid(
                entity,
                name,
                Invalid::WrongKind {
                    expected: Expected::Kernoverleg,
                },
            ));
        }
    }
    Ok(())
}
