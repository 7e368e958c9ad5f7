//! Contacts: a person's page with roles, meetings attended and action points.

use crate::action_points::{summary, ActionPointSummary, SUMMARY_SQL};
use crate::error::Result;
use crate::organisations::{role_view, RoleView, ROLE_VIEW_SQL};
use crate::schema::Entity;
use crate::store::Store;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// A meeting someone was invited to or attended.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct MeetingAttended {
    pub meeting_id: String,
    pub title: String,
    pub kind: String,
    pub starts_at: String,
    pub status: String,
}

/// Everything the contact page shows.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ContactPage {
    #[ts(type = "ContactRecord")]
    pub contact: Value,
    /// Roles, newest start first.
    pub roles: Vec<RoleView>,
    /// The latest meetings, newest first (at most 100).
    pub meetings: Vec<MeetingAttended>,
    /// Action points the person asked for or owns, newest first (at most 100).
    pub action_points: Vec<ActionPointSummary>,
}

impl Store {
    /// A contact with roles, meetings and action points, as on `day`.
    pub fn contact_page(&self, id: Uuid, day: Date) -> Result<ContactPage> {
        let contact = self.get_live(Entity::Contact, id)?;
        let id_text = id.to_string();
        let sql = format!("{ROLE_VIEW_SQL} AND r.contact_id = ?2 ORDER BY r.start_date DESC, r.id");
        let roles = self
            .conn
            .prepare_cached(&sql)?
            .query_map((day.to_string(), &id_text), role_view)?
            .collect::<rusqlite::Result<_>>()?;
        let meetings = self
            .conn
            .prepare_cached(
                "SELECT m.id, m.title, m.kind, m.starts_at, a.status FROM attendance a
                 JOIN meeting m ON m.id = a.meeting_id
                 WHERE a.contact_id = ?1 AND a.deleted = 0 AND m.deleted = 0
                 ORDER BY m.starts_at DESC LIMIT 100",
            )?
            .query_map([&id_text], |r| {
                Ok(MeetingAttended {
                    meeting_id: r.get(0)?,
                    title: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    kind: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    starts_at: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    status: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let sql = format!(
            "{SUMMARY_SQL} WHERE a.deleted = 0 AND a.id IN (
                SELECT id FROM action_point WHERE requester_contact_id = ?2
                UNION SELECT id FROM action_point WHERE owner_contact_id = ?2)
             ORDER BY a.opened_on DESC, a.id DESC LIMIT 100"
        );
        let action_points = self
            .conn
            .prepare_cached(&sql)?
            .query_map((day.to_string(), &id_text), summary)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ContactPage {
            contact,
            roles,
            meetings,
            action_points,
        })
    }
}
