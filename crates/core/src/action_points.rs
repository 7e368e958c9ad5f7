//! Action points: the overdue list, status changes with their history, comments.
//!
//! Overdue is derived, never stored: an action point is overdue on a day when it is still to be
//! done (open, in progress, waiting) and its due date lies before that day.

use crate::error::{Error, Invalid, Result};
use crate::schema::{Entity, ACTION_POINT_STATUSES};
use crate::store::Store;
use crate::write::{Fields, Write};
use jiff::civil::Date;
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// An action point as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ActionPointSummary {
    pub id: String,
    pub title: String,
    pub status: String,
    pub due_date: Option<String>,
    pub opened_on: String,
    pub area_id: Option<String>,
    pub area_name: Option<String>,
    pub owner_organisation_id: Option<String>,
    pub owner_name: Option<String>,
    pub requester_organisation_id: Option<String>,
    pub requester_name: Option<String>,
    /// Days past the due date on the day asked about (0 when not overdue).
    pub days_overdue: i64,
}

/// One entry of an action point's history.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ActionPointEvent {
    pub id: String,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub comment: Option<String>,
    pub at: String,
    pub author: Option<String>,
    /// The due date proposed (kind `due_date_proposal`).
    pub proposed_due_date: Option<String>,
    /// Written on the server's web pages by a department colleague.
    pub from_web: bool,
}

/// An answer a department colleague gave on the server's web pages, as the coordinator's
/// app lists it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct WebAnswer {
    /// The history entry.
    pub event_id: String,
    pub action_point_id: String,
    pub title: String,
    /// `status_change`, `comment` or `due_date_proposal`.
    pub kind: String,
    pub to_status: Option<String>,
    pub proposed_due_date: Option<String>,
    pub comment: Option<String>,
    pub author: Option<String>,
    pub at: String,
    /// The point's due date now (to compare with a proposal).
    pub due_date: Option<String>,
    /// Arrival order on this laptop ([`Store::mark_web_answers_seen`] takes it).
    pub seq: i64,
}

/// The answers from the web this laptop has not shown yet.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct WebAnswers {
    /// Newest first, at most the limit asked for.
    pub answers: Vec<WebAnswer>,
    /// How many there are in all.
    pub unseen: i64,
}

/// The `meta` key of the last answer from the web the coordinator has seen.
const WEB_ANSWERS_SEEN: &str = "web_answers_seen";

/// Where the overdue list continues: the last row's due date and id.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OverdueCursor {
    pub due_date: String,
    pub id: String,
}

/// The columns of [`summary`], then (column 12) the agenda item the point came from.
pub(crate) const SUMMARY_SQL: &str = "
    SELECT a.id, a.title, a.status, a.due_date, a.opened_on, a.area_id, ar.name,
           a.owner_organisation_id, coalesce(oc.name, oo.name), a.requester_organisation_id,
           coalesce(ro.name, rc.name),
           CASE WHEN a.status IN ('open','in_progress','waiting') AND a.due_date < ?1
                THEN julianday(?1) - julianday(a.due_date) ELSE 0 END,
           a.source_agenda_item_id
    FROM action_point a
    LEFT JOIN area ar ON ar.id = a.area_id
    LEFT JOIN organisation oo ON oo.id = a.owner_organisation_id
    LEFT JOIN contact oc ON oc.id = a.owner_contact_id
    LEFT JOIN organisation ro ON ro.id = a.requester_organisation_id
    LEFT JOIN contact rc ON rc.id = a.requester_contact_id";

pub(crate) fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<ActionPointSummary> {
    Ok(ActionPointSummary {
        id: r.get(0)?,
        title: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        status: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        due_date: r.get(3)?,
        opened_on: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
        area_id: r.get(5)?,
        area_name: r.get(6)?,
        owner_organisation_id: r.get(7)?,
        owner_name: r.get(8)?,
        requester_organisation_id: r.get(9)?,
        requester_name: r.get(10)?,
        days_overdue: r.get::<_, Option<f64>>(11)?.unwrap_or(0.0) as i64,
    })
}

impl Store {
    /// One page of the action points overdue on `today`, longest overdue first.
    pub fn overdue(
        &self,
        today: Date,
        after: Option<&OverdueCursor>,
        limit: usize,
    ) -> Result<Vec<ActionPointSummary>> {
        let sql = format!(
            "{SUMMARY_SQL}
             WHERE a.deleted = 0 AND a.status IN ('open', 'in_progress', 'waiting')
               AND a.due_date IS NOT NULL AND a.due_date < ?1
               AND (a.due_date, a.id) > (?2, ?3)
             ORDER BY a.due_date, a.id LIMIT ?4"
        );
        let (due, id) = after
            .map(|c| (c.due_date.clone(), c.id.clone()))
            .unwrap_or_default();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            (today.to_string(), due, id, limit.clamp(1, 1000) as i64),
            summary,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Number of action points overdue on `today`.
    pub fn overdue_count(&self, today: Date) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM action_point
             WHERE deleted = 0 AND status IN ('open', 'in_progress', 'waiting')
               AND due_date IS NOT NULL AND due_date < ?1",
            )?
            .query_row([today.to_string()], |r| r.get(0))?)
    }

    /// Changes an action point's status, with an optional comment, as one write: the new status
    /// and its history entry.
    pub fn change_action_point_status(
        &mut self,
        id: Uuid,
        to: &str,
        comment: Option<&str>,
        author: Option<&str>,
    ) -> Result<()> {
        if !ACTION_POINT_STATUSES.contains(&to) {
            return Err(Error::invalid(
                Entity::ActionPoint,
                "status",
                Invalid::NotAllowed {
                    allowed: ACTION_POINT_STATUSES.join(", "),
                    got: to.chars().take(40).collect(),
                },
            ));
        }
        let current = self.get_live(Entity::ActionPoint, id)?;
        let from = current.get("status").cloned().unwrap_or(Value::Null);
        if from.as_str() == Some(to) {
            return match comment {
                Some(text) => self.comment_action_point(id, text, author),
                None => Ok(()),
            };
        }
        let mut status = Fields::new();
        status.insert("status".into(), to.into());
        let mut event = Fields::new();
        event.insert("action_point_id".into(), id.to_string().into());
        event.insert("kind".into(), "status_change".into());
        event.insert("from_status".into(), from);
        event.insert("to_status".into(), to.into());
        if let Some(text) = comment {
            event.insert("comment".into(), text.into());
        }
        if let Some(author) = author {
            event.insert("author".into(), author.into());
        }
        self.write(vec![
            Write::update(Entity::ActionPoint, id, status),
            Write::create(Entity::ActionPointEvent, event),
        ])
        .map(drop)
    }

    /// Adds a comment to an action point's history.
    pub fn comment_action_point(
        &mut self,
        id: Uuid,
        text: &str,
        author: Option<&str>,
    ) -> Result<()> {
        self.get_live(Entity::ActionPoint, id)?;
        let mut event = Fields::new();
        event.insert("action_point_id".into(), id.to_string().into());
        event.insert("kind".into(), "comment".into());
        event.insert("comment".into(), text.into());
        if let Some(author) = author {
            event.insert("author".into(), author.into());
        }
        self.create(Entity::ActionPointEvent, event).map(drop)
    }

    /// An action point's history (status changes and comments), oldest first.
    pub fn action_point_history(&self, id: Uuid) -> Result<Vec<ActionPointEvent>> {
        self.get(Entity::ActionPoint, id)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, from_status, to_status, comment, at, author, proposed_due_date, via
             FROM action_point_event
             WHERE action_point_id = ?1 AND deleted = 0 ORDER BY at, id",
        )?;
        let rows = stmt.query_map([id.to_string()], |r| {
            Ok(ActionPointEvent {
                id: r.get(0)?,
                kind: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                from_status: r.get(2)?,
                to_status: r.get(3)?,
                comment: r.get(4)?,
                at: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                author: r.get(6)?,
                proposed_due_date: r.get(7)?,
                from_web: r.get::<_, Option<String>>(8)?.as_deref() == Some("web"),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The answers from the web (department colleagues on the server's pages) that arrived on
    /// this laptop since the coordinator last looked ([`Store::mark_web_answers_seen`]),
    /// newest first, at most `limit`; and how many there are.
    pub fn unseen_web_answers(&self, limit: usize) -> Result<WebAnswers> {
        let seen = self.web_answers_seen()?;
        let unseen: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM action_point_event
                 WHERE via = 'web' AND local_seq > ?1 AND deleted = 0",
            )?
            .query_row([seen], |r| r.get(0))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, e.action_point_id, coalesce(p.title, ''), e.kind, e.to_status,
                    e.proposed_due_date, e.comment, e.author, coalesce(e.at, ''), p.due_date,
                    e.local_seq
             FROM action_point_event e LEFT JOIN action_point p ON p.id = e.action_point_id
             WHERE e.via = 'web' AND e.local_seq > ?1 AND e.deleted = 0
             ORDER BY e.local_seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map((seen, limit.clamp(1, 1000) as i64), |r| {
            Ok(WebAnswer {
                event_id: r.get(0)?,
                action_point_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                title: r.get(2)?,
                kind: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                to_status: r.get(4)?,
                proposed_due_date: r.get(5)?,
                comment: r.get(6)?,
                author: r.get(7)?,
                at: r.get(8)?,
                due_date: r.get(9)?,
                seq: r.get(10)?,
            })
        })?;
        Ok(WebAnswers {
            answers: rows.collect::<rusqlite::Result<_>>()?,
            unseen,
        })
    }

    /// Marks the answers from the web up to `seq` (a [`WebAnswer::seq`]) as seen. Local
    /// bookkeeping of this laptop, never synced: each coordinator looks for themselves.
    pub fn mark_web_answers_seen(&mut self, seq: i64) -> Result<()> {
        let seen = self.web_answers_seen()?;
        if seq > seen {
            self.conn.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (WEB_ANSWERS_SEEN, seq.to_string()),
            )?;
        }
        Ok(())
    }

    fn web_answers_seen(&self) -> Result<i64> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([WEB_ANSWERS_SEEN], |r| r.get(0))
            .optional()?;
        Ok(text.and_then(|t| t.parse().ok()).unwrap_or(0))
    }

    /// Takes the due date a department colleague proposed (a history entry of kind
    /// `due_date_proposal`): one write of the point's due date and a comment saying so.
    pub fn accept_due_date_proposal(&mut self, event_id: Uuid, author: Option<&str>) -> Result<()> {
        let event = self.get_live(Entity::ActionPointEvent, event_id)?;
        let text = |f: &str| event.get(f).and_then(Value::as_str).map(str::to_owned);
        let (Some(point), Some(date), Some("due_date_proposal")) = (
            text("action_point_id"),
            text("proposed_due_date"),
            text("kind").as_deref(),
        ) else {
            return Err(Error::invalid(
                Entity::ActionPointEvent,
                "kind",
                Invalid::Rule("this history entry proposes no due date".into()),
            ));
        };
        let point = Uuid::parse_str(&point).map_err(|_| {
            Error::invalid(
                Entity::ActionPointEvent,
                "action_point_id",
                Invalid::WrongType {
                    expected: "an id (UUID)",
                },
            )
        })?;
        let mut fields = Fields::new();
        fields.insert("due_date".into(), date.clone().into());
        let mut comment = Fields::new();
        comment.insert("action_point_id".into(), point.to_string().into());
        comment.insert("kind".into(), "comment".into());
        let by = text("author")
            .map(|a| format!(" van {a}"))
            .unwrap_or_default();
        comment.insert(
            "comment".into(),
            format!("Termijn aangepast naar {date}, op voorstel{by}.").into(),
        );
        if let Some(author) = author {
            comment.insert("author".into(), author.into());
        }
        self.write(vec![
            Write::update(Entity::ActionPoint, point, fields),
            Write::create(Entity::ActionPointEvent, comment),
        ])
        .map(drop)
    }

    /// Asks the server to mail the department that owns the point a reminder about it: a
    /// history entry of kind `reminder_request`, sent with the next sync (the server answers
    /// with a comment saying whom it mailed, or why it could not).
    pub fn request_reminder(&mut self, id: Uuid, author: Option<&str>) -> Result<()> {
        let point = self.get_live(Entity::ActionPoint, id)?;
        if point
            .get("owner_organisation_id")
            .is_none_or(Value::is_null)
        {
            return Err(Error::invalid(
                Entity::ActionPoint,
                "owner_organisation_id",
                Invalid::Rule("the action point has no owning department to remind".into()),
            ));
        }
        let mut event = Fields::new();
        event.insert("action_point_id".into(), id.to_string().into());
        event.insert("kind".into(), "reminder_request".into());
        if let Some(author) = author {
            event.insert("author".into(), author.into());
        }
        self.create(Entity::ActionPointEvent, event).map(drop)
    }
}
