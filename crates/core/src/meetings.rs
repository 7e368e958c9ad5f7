//! Meetings: a meeting's page with its agenda, attendance, and the open action points of the
//! organisation that holds it (so the coordinator can report on them during the meeting), the
//! action points made from its agenda items, and the open ones carried over from the previous
//! meeting of the same series (same kind and organisation, or same area without one).

use crate::action_points::{summary, ActionPointSummary, SUMMARY_SQL};
use crate::error::Result;
use crate::schema::Entity;
use crate::store::Store;
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AttendanceView {
    pub id: String,
    pub contact_id: String,
    pub contact_name: String,
    pub status: String,
}

/// The meeting before this one in its series: same kind, same organisation (or, without one,
/// same area), started earlier and not cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PreviousMeeting {
    pub id: String,
    pub title: String,
    /// UTC instant, `YYYY-MM-DDTHH:MM:SSZ`.
    pub starts_at: String,
}

/// An action point made from one of the meeting's agenda items.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AgendaActionPoint {
    pub agenda_item_id: String,
    pub point: ActionPointSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct MeetingPage {
    #[ts(type = "MeetingRecord")]
    pub meeting: Value,
    /// The name of the organisation that holds it, if any.
    pub organisation_name: Option<String>,
    /// The name of its area, if any.
    pub area_name: Option<String>,
    /// Agenda items in order.
    #[ts(type = "Array<AgendaItemRecord>")]
    pub agenda: Vec<Value>,
    pub attendance: Vec<AttendanceView>,
    /// Open action points requested by the meeting's organisation (or, without one, in its area).
    pub open_action_points: Vec<ActionPointSummary>,
    /// Action points made from this meeting's agenda items (any status), by agenda item.
    pub agenda_action_points: Vec<AgendaActionPoint>,
    /// The previous meeting of the same series, if any.
    pub previous_meeting: Option<PreviousMeeting>,
    /// Open action points made from the previous meeting's agenda items.
    pub carried_over: Vec<ActionPointSummary>,
}

impl Store {
    /// A meeting with everything its page shows; overdue days are counted as on `day`.
    pub fn meeting_page(&self, id: Uuid, day: jiff::civil::Date) -> Result<MeetingPage> {
        let meeting = self.get_live(Entity::Meeting, id)?;
        let id_text = id.to_string();
        let agenda = self.children(Entity::AgendaItem, "meeting_id", &id_text, "position")?;
        let attendance = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.contact_id, c.name, a.status FROM attendance a
                 JOIN contact c ON c.id = a.contact_id
                 WHERE a.meeting_id = ?1 AND a.deleted = 0 ORDER BY c.name, a.id",
            )?
            .query_map([&id_text], |r| {
                Ok(AttendanceView {
                    id: r.get(0)?,
                    contact_id: r.get(1)?,
                    contact_name: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    status: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let organisation = meeting.get("organisation_id").and_then(Value::as_str);
        let area = meeting.get("area_id").and_then(Value::as_str);
        let (column, key) = match (organisation, area) {
            (Some(o), _) => ("requester_organisation_id", o),
            (None, Some(a)) => ("area_id", a),
            (None, None) => ("id", ""),
        };
        let sql = format!(
            "{SUMMARY_SQL} WHERE a.deleted = 0 AND a.{column} = ?2
               AND a.status IN ('open', 'in_progress', 'waiting')
             ORDER BY a.due_date IS NULL, a.due_date, a.id LIMIT 200"
        );
        let open_action_points = self
            .conn
            .prepare_cached(&sql)?
            .query_map((day.to_string(), key), summary)?
            .collect::<rusqlite::Result<_>>()?;
        // The action points made from the agenda, in agenda order, each with its item.
        let agenda_action_points = self
            .conn
            .prepare_cached(&format!(
                "{SUMMARY_SQL}
                 JOIN agenda_item g ON g.id = a.source_agenda_item_id
                 WHERE g.meeting_id = ?2 AND g.deleted = 0 AND a.deleted = 0
                 ORDER BY g.position, a.opened_on, a.id"
            ))?
            .query_map((day.to_string(), &id_text), |r| {
                Ok(AgendaActionPoint {
                    agenda_item_id: r.get(12)?,
                    point: summary(r)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let previous_meeting = self.previous_meeting(&meeting, &id_text)?;
        let carried_over = match &previous_meeting {
            None => Vec::new(),
            Some(previous) => self
                .conn
                .prepare_cached(&format!(
                    "{SUMMARY_SQL}
                     WHERE a.deleted = 0 AND a.status IN ('open', 'in_progress', 'waiting')
                       AND a.source_agenda_item_id IN (
                           SELECT g.id FROM agenda_item g WHERE g.meeting_id = ?2)
                     ORDER BY a.due_date IS NULL, a.due_date, a.id LIMIT 200"
                ))?
                .query_map((day.to_string(), &previous.id), summary)?
                .collect::<rusqlite::Result<_>>()?,
        };
        let name = |table: &str, id: Option<&str>| -> Result<Option<String>> {
            let Some(id) = id else { return Ok(None) };
            let sql = format!("SELECT name FROM {table} WHERE id = ?1");
            let found: Option<Option<String>> = self
                .conn
                .prepare_cached(&sql)?
                .query_row([id], |r| r.get(0))
                .optional()?;
            Ok(found.flatten())
        };
        let organisation_name = name("organisation", organisation)?;
        let area_name = name("area", area)?;
        Ok(MeetingPage {
            meeting,
            organisation_name,
            area_name,
            agenda,
            attendance,
            open_action_points,
            agenda_action_points,
            previous_meeting,
            carried_over,
        })
    }

    /// The latest meeting of the same kind and organisation (or, without an organisation, the
    /// same area) that started before this one and was not cancelled.
    fn previous_meeting(&self, meeting: &Value, id: &str) -> Result<Option<PreviousMeeting>> {
        let text = |name: &str| meeting.get(name).and_then(Value::as_str);
        let (Some(kind), Some(starts_at)) = (text("kind"), text("starts_at")) else {
            return Ok(None);
        };
        let (column, key) = match (text("organisation_id"), text("area_id")) {
            (Some(o), _) => ("organisation_id", o),
            (None, Some(a)) => ("area_id", a),
            (None, None) => return Ok(None),
        };
        let extra = if column == "area_id" {
            " AND organisation_id IS NULL"
        } else {
            ""
        };
        let sql = format!(
            "SELECT id, title, starts_at FROM meeting
             WHERE deleted = 0 AND kind = ?1 AND {column} = ?2{extra} AND starts_at < ?3
               AND status <> 'cancelled' AND id <> ?4
             ORDER BY starts_at DESC, id DESC LIMIT 1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query((kind, key, starts_at, id))?;
        Ok(match rows.next()? {
            None => None,
            Some(r) => Some(PreviousMeeting {
                id: r.get(0)?,
                title: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                starts_at: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            }),
        })
    }

    /// The live children of a record, in the order of `order_by` (then id).
    pub(crate) fn children(
        &self,
        entity: Entity,
        parent_field: &str,
        parent_id: &str,
        order_by: &str,
    ) -> Result<Vec<Value>> {
        let sql = format!(
            "{} WHERE {parent_field} = ?1 AND deleted = 0 ORDER BY {order_by}, id",
            crate::row::select_sql(entity)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([parent_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(crate::row::id_column(entity))?;
            let stored = crate::row::from_select(entity, r)?;
            out.push(crate::row::to_json(&id, &stored));
        }
        Ok(out)
    }
}
