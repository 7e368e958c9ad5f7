//! Meetings: a meeting's page with its agenda, attendance, and the open action points of the
//! organisation that holds it (so the coordinator can report on them during the meeting).

use crate::action_points::{summary, ActionPointSummary, SUMMARY_SQL};
use crate::error::Result;
use crate::schema::Entity;
use crate::store::Store;
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

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct MeetingPage {
    #[ts(type = "MeetingRecord")]
    pub meeting: Value,
    /// Agenda items in order.
    #[ts(type = "Array<AgendaItemRecord>")]
    pub agenda: Vec<Value>,
    pub attendance: Vec<AttendanceView>,
    /// Open action points requested by the meeting's organisation (or, without one, in its area).
    pub open_action_points: Vec<ActionPointSummary>,
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
        Ok(MeetingPage {
            meeting,
            agenda,
            attendance,
            open_action_points,
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
