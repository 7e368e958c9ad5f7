//! The entities' own rules beyond single fields: defaults for new records and checks across
//! fields (an end never before its start, an area's parent above it, ...).

use crate::error::{Error, Invalid, Result};
use crate::row;
use crate::schema::{area_rank, Entity, ICAL_SEQUENCE_MAX};
use crate::values;
use crate::write::{Context, Fields, Op, Write};
use rusqlite::OptionalExtension;
use serde_json::Value;
use uuid::Uuid;

/// Fills the fields a new record gets when the caller leaves them out.
pub(crate) fn fill_defaults(ctx: &Context<'_>, entity: Entity, fields: &mut Fields) -> Result<()> {
    let mut default = |name: &str, value: Value| {
        if fields.get(name).is_none_or(Value::is_null) {
            fields.insert(name.to_owned(), value);
        }
    };
    match entity {
        Entity::Meeting | Entity::Visit => {
            default("time_zone", crate::DEFAULT_TIME_ZONE.into());
            default("status", "planned".into());
        }
        Entity::Attendance => default("status", "invited".into()),
        Entity::Invitee => default("response", "pending".into()),
        Entity::ActionPoint => {
            default("status", "open".into());
            default("opened_on", ctx.today.to_string().into());
        }
        Entity::ActionPointEvent => default("at", ctx.now.to_string().into()),
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
