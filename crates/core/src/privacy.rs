//! Personal data (AVG/GDPR): the retention review, anonymisation and the right of access
//! (inzage). `docs/avg.md` describes it for a municipality's privacy officer.
//!
//! - [`Store::retention_review`]: the contacts whose last role ended (or who never had one) and
//!   whom no meeting, visit, action point or project involved for the municipality's retention
//!   period (`area.retention_days` of the municipality, else [`DEFAULT_RETENTION_DAYS`]), in one
//!   SQL scan; and anonymised contacts whose personal data came back (an edit made elsewhere
//!   before the anonymisation reached it, merged later: per-field last writer wins).
//! - [`Store::anonymise_contact`]: one [`Store::write`] batch (so it syncs as an ordinary
//!   write, and a crash leaves all of it or none): the name becomes [`ANONYMOUS_NAME`], every
//!   personal field is emptied, roles lose their free-text title, action-point history written
//!   under the person's name and meetings organised from their address lose those. Links stay:
//!   attendance counts, roles with their dates, action points with the person as requester
//!   (shown as "Geanonimiseerd"). Old values stay in this laptop's conflict log, import undo
//!   and outbox, and on the server, until erasure purges them (a separate step).
//! - [`Store::subject_access`]: everything held about one person ([`SubjectAccess`]), for
//!   JSON and the documents crate's PDF and HTML.

use crate::error::{Error, Result};
use crate::merge::Conflict;
use crate::row;
use crate::schema::Entity;
use crate::store::Store;
use crate::write::{Fields, Write};
use jiff::civil::Date;
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The name an anonymised contact keeps.
pub const ANONYMOUS_NAME: &str = "Geanonimiseerd";
/// The source of a contact typed in by hand (the default of a new contact).
pub const SOURCE_OWN_ENTRY: &str = "eigen invoer";
/// The retention period when the municipality set none: two years.
pub const DEFAULT_RETENTION_DAYS: i64 = 730;
/// The legal basis an empty `legal_basis` stands for (contacts from before migration 007).
pub const DEFAULT_LEGAL_BASIS: &str = "publieke_taak";

/// The contact's fields that are personal data and are emptied by anonymisation (besides
/// `name`, which becomes [`ANONYMOUS_NAME`]).
pub const PERSONAL_CONTACT_FIELDS: &[&str] = &[
    "email", "phone", "address", "notes", "mobile", "postcode", "city",
];
/// The contact's fields an anonymisation keeps: they say why and since when the data was held
/// and that it is gone, nothing about the person.
pub const KEPT_CONTACT_FIELDS: &[&str] = &[
    "legal_basis",
    "consent_date",
    "source",
    "anonymised_on",
    "erased_on",
];

/// Why a contact is on the retention review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RetentionReason {
    /// Every role ended, and nothing involved the person since, for the period.
    RoleEnded,
    /// Never held a role; nothing involved the person, and the record was not changed, for the
    /// period.
    NoRole,
    /// Anonymised, but personal data came back through sync (an edit made elsewhere merged
    /// after the anonymisation): anonymise again.
    DataReturned,
}

/// A contact proposed for anonymisation.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RetentionCandidate {
    pub contact_id: String,
    pub name: String,
    pub reason: RetentionReason,
    /// The end of the last role (`None`: no role).
    pub last_role_end: Option<String>,
    /// The last day something involved the person: a role's end, a meeting, a visit, an
    /// action point (opened or a history entry), a project; for someone without a role also
    /// the record's last change. `None` when nothing ever did.
    pub last_involvement: Option<String>,
    /// Whether the contact is deleted (a deleted contact's data is still held).
    pub deleted: bool,
}

/// The retention review: who is past the retention period on `today`.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RetentionReview {
    pub today: String,
    pub retention_days: i64,
    /// Involvement on or before this day is past the period.
    pub cutoff: String,
    /// Oldest involvement first.
    pub candidates: Vec<RetentionCandidate>,
}

/// What an anonymisation did.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Anonymised {
    pub contact_id: String,
    pub anonymised_on: String,
    /// Whether anything changed (false: it was anonymised already and nothing came back).
    pub changed: bool,
    /// Roles whose title was emptied (the roles and their dates stay).
    pub role_titles_cleared: usize,
    /// Action-point history entries whose author was the person's name.
    pub authors_cleared: usize,
    /// Meetings whose organiser address was the person's.
    pub organisers_cleared: usize,
    /// Records whose free text names the person: not changed (the text may need the name for
    /// its sense); for the coordinator to edit.
    pub mentions: Vec<PersonMention>,
}

/// A contact as anonymisation and erasure find it ([`Store::person`]).
pub(crate) struct Person {
    pub contact: row::StoredRow,
    pub old_name: Option<String>,
    pub old_email: Option<String>,
}

/// The writes that take a person out of other records ([`Store::person_traces`]).
#[derive(Default)]
pub(crate) struct PersonTraces {
    pub writes: Vec<Write>,
    pub role_titles_cleared: usize,
    pub authors_cleared: usize,
    pub organisers_cleared: usize,
}

/// A record whose text names the person.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct PersonMention {
    pub entity: String,
    pub id: String,
    pub title: String,
}

/// Everything Wijkwerk holds about one person (the right of access, AVG art. 15).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectAccess {
    pub generated_on: String,
    pub contact_id: String,
    pub name: String,
    /// Every field of the contact record, as stored.
    pub contact: Value,
    /// The legal basis, an empty one read as [`DEFAULT_LEGAL_BASIS`].
    pub legal_basis: String,
    pub legal_basis_recorded: bool,
    pub retention_days: i64,
    /// When each field of the contact was last written (from its clock), and on which
    /// installation: the history the store keeps of a record.
    pub field_history: Vec<FieldWritten>,
    /// Roles over time, oldest first, deleted ones too.
    pub roles: Vec<AccessRole>,
    /// The organisations the person held a role in.
    pub organisations: Vec<String>,
    pub meetings: Vec<AccessMeeting>,
    pub visits: Vec<AccessVisit>,
    pub action_points: Vec<AccessActionPoint>,
    pub projects: Vec<AccessProject>,
    /// Other records whose text names the person.
    pub mentions: Vec<PersonMention>,
    /// Values that lost a merge, of the contact and the records linking to the person.
    pub conflicts: Vec<Conflict>,
    /// Changes on this laptop not yet sent to the server that touch the person.
    pub pending_changes: Vec<PendingChange>,
    /// Contact lists imported on this laptop that brought or changed the person.
    pub imports: Vec<AccessImport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldWritten {
    pub field: String,
    /// The instant of the write, UTC.
    pub written_at: String,
    /// The installation (store) that wrote it, as its clock names it.
    pub written_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessRole {
    pub id: String,
    pub organisation: String,
    pub kind: String,
    pub title: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessMeeting {
    pub id: String,
    pub title: String,
    pub starts_at: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessVisit {
    pub id: String,
    pub title: String,
    pub starts_at: String,
    pub response: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessActionPoint {
    pub id: String,
    pub title: String,
    pub status: String,
    pub opened_on: String,
    /// `requester`, `owner` or both (`requester, owner`).
    pub relation: String,
    /// The history entries (status changes and comments), oldest first.
    pub history: Vec<AccessEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessEvent {
    pub at: String,
    pub kind: String,
    pub to_status: Option<String>,
    pub comment: Option<String>,
    pub author: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessProject {
    pub id: String,
    pub title: String,
    /// `department_contact` or `involved`.
    pub relation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingChange {
    pub recorded_at: String,
    pub entity: String,
    pub record_id: String,
    pub fields: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessImport {
    pub id: String,
    pub imported_at: String,
    pub source: String,
    pub undone_at: Option<String>,
}

/// Every source of involvement, one row each: (contact, day, ongoing, is a role). Roles
/// without an end and future or open things are ongoing. Instants are cut to their UTC date.
const INVOLVEMENT_SQL: &str = "
    SELECT contact_id AS cid, end_date AS day,
           (end_date IS NULL OR end_date >= ?1) AS ongoing, 1 AS is_role
      FROM role WHERE deleted = 0
    UNION ALL
    SELECT a.contact_id, substr(m.starts_at, 1, 10), substr(m.starts_at, 1, 10) > ?1, 0
      FROM attendance a JOIN meeting m ON m.id = a.meeting_id
     WHERE a.deleted = 0 AND m.deleted = 0
    UNION ALL
    SELECT i.contact_id, substr(v.starts_at, 1, 10), substr(v.starts_at, 1, 10) > ?1, 0
      FROM invitee i JOIN visit v ON v.id = i.visit_id
     WHERE i.deleted = 0 AND v.deleted = 0
    UNION ALL
    SELECT requester_contact_id, opened_on, status IN ('open', 'in_progress', 'waiting'), 0
      FROM action_point WHERE deleted = 0 AND requester_contact_id IS NOT NULL
    UNION ALL
    SELECT owner_contact_id, opened_on, status IN ('open', 'in_progress', 'waiting'), 0
      FROM action_point WHERE deleted = 0 AND owner_contact_id IS NOT NULL
    UNION ALL
    SELECT p.requester_contact_id, substr(e.at, 1, 10), 0, 0
      FROM action_point_event e JOIN action_point p ON p.id = e.action_point_id
     WHERE e.deleted = 0 AND p.deleted = 0 AND p.requester_contact_id IS NOT NULL
    UNION ALL
    SELECT p.owner_contact_id, substr(e.at, 1, 10), 0, 0
      FROM action_point_event e JOIN action_point p ON p.id = e.action_point_id
     WHERE e.deleted = 0 AND p.deleted = 0 AND p.owner_contact_id IS NOT NULL
    UNION ALL
    SELECT department_contact_id, coalesce(end_date, start_date),
           status NOT IN ('afgerond', 'vervallen'), 0
      FROM project WHERE deleted = 0 AND department_contact_id IS NOT NULL
    UNION ALL
    SELECT j.value, coalesce(p.end_date, p.start_date),
           p.status NOT IN ('afgerond', 'vervallen'), 0
      FROM project p, json_each(p.contact_ids) j
     WHERE p.deleted = 0 AND p.contact_ids IS NOT NULL AND json_valid(p.contact_ids)";

impl Store {
    /// The municipality's retention period in days (the first municipality that sets one),
    /// else [`DEFAULT_RETENTION_DAYS`].
    pub fn retention_days(&self) -> Result<i64> {
        let days: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT retention_days FROM area
                 WHERE kind = 'municipality' AND deleted = 0 AND retention_days IS NOT NULL
                 ORDER BY local_seq LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(days.unwrap_or(DEFAULT_RETENTION_DAYS))
    }

    /// The contacts proposed for anonymisation on `today` (see the module doc): one scan of the
    /// involvement of everyone, grouped per contact.
    pub fn retention_review(&self, today: Date) -> Result<RetentionReview> {
        let retention_days = self.retention_days()?;
        let cutoff = today
            .checked_sub(jiff::Span::new().days(retention_days))
            .map_err(|e| Error::BadRequest(e.to_string()))?
            .to_string();
        let today_text = today.to_string();
        let sql = format!(
            "WITH inv AS ({INVOLVEMENT_SQL}),
             per AS (
                 SELECT cid,
                        max(CASE WHEN is_role = 1 THEN day END) AS role_end,
                        max(CASE WHEN is_role = 0 THEN day END) AS other,
                        max(ongoing) AS ongoing,
                        max(is_role) AS has_role
                 FROM inv WHERE cid IS NOT NULL GROUP BY cid)
             SELECT c.id, c.name, c.clocks, c.deleted, per.role_end, per.other,
                    coalesce(per.ongoing, 0), coalesce(per.has_role, 0)
             FROM contact c LEFT JOIN per ON per.cid = c.id
             WHERE c.anonymised_on IS NULL"
        );
        let mut candidates = Vec::new();
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([&today_text])?;
        while let Some(r) = rows.next()? {
            if r.get::<_, i64>(6)? != 0 {
                continue;
            }
            let role_end: Option<String> = r.get(4)?;
            let other: Option<String> = r.get(5)?;
            let has_role = r.get::<_, i64>(7)? != 0;
            let (reason, last) = if has_role {
                (RetentionReason::RoleEnded, role_end.clone().max(other))
            } else {
                let clocks: String = r.get(2)?;
                let changed = last_change(&clocks);
                (RetentionReason::NoRole, other.max(changed))
            };
            if last.as_deref().is_some_and(|d| d > cutoff.as_str()) {
                continue;
            }
            candidates.push(RetentionCandidate {
                contact_id: r.get(0)?,
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                reason,
                last_role_end: role_end,
                last_involvement: last,
                deleted: r.get::<_, i64>(3)? != 0,
            });
        }
        // Anonymised, yet holding personal data again.
        let filled: Vec<String> = PERSONAL_CONTACT_FIELDS
            .iter()
            .map(|f| format!("{f} IS NOT NULL"))
            .collect();
        let sql = format!(
            "SELECT id, name, deleted FROM contact
             WHERE anonymised_on IS NOT NULL AND (name IS NOT ?1 OR {})",
            filled.join(" OR ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let returned = stmt.query_map([ANONYMOUS_NAME], |r| {
            Ok(RetentionCandidate {
                contact_id: r.get(0)?,
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                reason: RetentionReason::DataReturned,
                last_role_end: None,
                last_involvement: None,
                deleted: r.get::<_, i64>(2)? != 0,
            })
        })?;
        for candidate in returned {
            candidates.push(candidate?);
        }
        candidates.sort_by(|a, b| {
            a.last_involvement
                .cmp(&b.last_involvement)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.contact_id.cmp(&b.contact_id))
        });
        Ok(RetentionReview {
            today: today_text,
            retention_days,
            cutoff,
            candidates,
        })
    }

    /// Anonymises a contact (see the module doc) as one write, dated today.
    pub fn anonymise_contact(&mut self, id: Uuid) -> Result<Anonymised> {
        self.anonymise_contact_on(id, crate::today())
    }

    /// [`Store::anonymise_contact`] dated `day` (an anonymisation done again keeps its first
    /// day).
    pub fn anonymise_contact_on(&mut self, id: Uuid, day: Date) -> Result<Anonymised> {
        let Person {
            contact,
            old_name,
            old_email,
        } = self.person(id)?;
        let anonymised_on = contact
            .fields
            .get("anonymised_on")
            .and_then(Value::as_str)
            .map_or_else(|| day.to_string(), str::to_owned);
        let mentions = self.mentions_of_person(id, old_name.as_deref())?;

        let mut fields = Fields::new();
        fields.insert("name".into(), ANONYMOUS_NAME.into());
        for field in PERSONAL_CONTACT_FIELDS {
            fields.insert((*field).into(), Value::Null);
        }
        fields.insert("anonymised_on".into(), anonymised_on.clone().into());
        let mut writes = clear(Entity::Contact, id, contact.deleted, fields);
        let traces = self.person_traces(id, old_name.as_deref(), old_email.as_deref())?;
        writes.extend(traces.writes);
        let PersonTraces {
            role_titles_cleared,
            authors_cleared,
            organisers_cleared,
            ..
        } = traces;
        let committed = self.write(writes)?;
        Ok(Anonymised {
            contact_id: id.to_string(),
            anonymised_on,
            changed: committed.hlc.is_some(),
            role_titles_cleared,
            authors_cleared,
            organisers_cleared,
            mentions,
        })
    }

    /// A contact as anonymisation and erasure find it: the record, and the name (unless
    /// anonymised already) and address that other records may hold.
    pub(crate) fn person(&self, id: Uuid) -> Result<Person> {
        let contact = row::read(&self.conn, Entity::Contact, id)?.ok_or(Error::NotFound {
            entity: Entity::Contact,
            id,
        })?;
        let text = |name: &str| {
            contact
                .fields
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let old_name = text("name").filter(|n| n != ANONYMOUS_NAME);
        let old_email = text("email");
        Ok(Person {
            contact,
            old_name,
            old_email,
        })
    }

    /// The records whose free text names the person (none without a name).
    pub(crate) fn mentions_of_person(
        &self,
        id: Uuid,
        name: Option<&str>,
    ) -> Result<Vec<PersonMention>> {
        match name {
            Some(name) => self.mentions_of(name, Some((Entity::Contact, id))),
            None => Ok(Vec::new()),
        }
    }

    /// The writes that take a person out of other records: roles lose their free-text title,
    /// action-point history written under the person's name gets [`ANONYMOUS_NAME`] as author,
    /// meetings organised from the person's address lose it.
    pub(crate) fn person_traces(
        &self,
        id: Uuid,
        old_name: Option<&str>,
        old_email: Option<&str>,
    ) -> Result<PersonTraces> {
        let mut traces = PersonTraces::default();
        let id_text = id.to_string();
        for (role, deleted) in self.ids_where(
            "SELECT id, deleted FROM role WHERE contact_id = ?1 AND title IS NOT NULL",
            &id_text,
        )? {
            traces.role_titles_cleared += 1;
            traces
                .writes
                .extend(clear(Entity::Role, role, deleted, null_field("title")));
        }
        if let Some(name) = old_name {
            for (event, deleted) in self.ids_where(
                "SELECT id, deleted FROM action_point_event
                 WHERE author IS NOT NULL AND lower(trim(author)) = lower(trim(?1))",
                name,
            )? {
                traces.authors_cleared += 1;
                let mut fields = Fields::new();
                fields.insert("author".into(), ANONYMOUS_NAME.into());
                traces
                    .writes
                    .extend(clear(Entity::ActionPointEvent, event, deleted, fields));
            }
        }
        if let Some(email) = old_email {
            for (meeting, deleted) in self.ids_where(
                "SELECT id, deleted FROM meeting WHERE lower(organizer_email) = lower(?1)",
                email,
            )? {
                traces.organisers_cleared += 1;
                traces.writes.extend(clear(
                    Entity::Meeting,
                    meeting,
                    deleted,
                    null_field("organizer_email"),
                ));
            }
        }
        Ok(traces)
    }

    /// Everything held about a contact, as on `today`.
    pub fn subject_access(&self, id: Uuid, today: Date) -> Result<SubjectAccess> {
        let contact = row::read(&self.conn, Entity::Contact, id)?.ok_or(Error::NotFound {
            entity: Entity::Contact,
            id,
        })?;
        let id_text = id.to_string();
        let name = contact
            .fields
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let recorded = contact
            .fields
            .get("legal_basis")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let field_history = contact
            .clocks
            .iter()
            .map(|(field, hlc)| FieldWritten {
                field: field.clone(),
                written_at: instant_of(hlc.wall_ms),
                written_by: format!("{:016x}", hlc.node.0),
            })
            .collect();

        let roles: Vec<AccessRole> = self
            .conn
            .prepare(
                "SELECT r.id, coalesce(o.name, ''), coalesce(r.kind, ''), r.title, r.start_date,
                        r.end_date, r.deleted
                 FROM role r LEFT JOIN organisation o ON o.id = r.organisation_id
                 WHERE r.contact_id = ?1 ORDER BY r.start_date, r.id",
            )?
            .query_map([&id_text], |r| {
                Ok(AccessRole {
                    id: r.get(0)?,
                    organisation: r.get(1)?,
                    kind: r.get(2)?,
                    title: r.get(3)?,
                    start_date: r.get(4)?,
                    end_date: r.get(5)?,
                    deleted: r.get::<_, i64>(6)? != 0,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let organisations: BTreeSet<String> =
            roles.iter().map(|r| r.organisation.clone()).collect();

        let meetings = self
            .conn
            .prepare(
                "SELECT m.id, coalesce(m.title, ''), coalesce(m.starts_at, ''),
                        coalesce(a.status, '')
                 FROM attendance a JOIN meeting m ON m.id = a.meeting_id
                 WHERE a.contact_id = ?1 AND a.deleted = 0 ORDER BY m.starts_at, m.id",
            )?
            .query_map([&id_text], |r| {
                Ok(AccessMeeting {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    starts_at: r.get(2)?,
                    status: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let visits = self
            .conn
            .prepare(
                "SELECT v.id, coalesce(v.title, ''), coalesce(v.starts_at, ''),
                        coalesce(i.response, '')
                 FROM invitee i JOIN visit v ON v.id = i.visit_id
                 WHERE i.contact_id = ?1 AND i.deleted = 0 ORDER BY v.starts_at, v.id",
            )?
            .query_map([&id_text], |r| {
                Ok(AccessVisit {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    starts_at: r.get(2)?,
                    response: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;

        let mut action_points: Vec<AccessActionPoint> = self
            .conn
            .prepare(
                "SELECT id, coalesce(title, ''), coalesce(status, ''), coalesce(opened_on, ''),
                        requester_contact_id = ?1, owner_contact_id = ?1
                 FROM action_point
                 WHERE deleted = 0 AND (requester_contact_id = ?1 OR owner_contact_id = ?1)
                 ORDER BY opened_on, id",
            )?
            .query_map([&id_text], |r| {
                let requester = r.get::<_, Option<bool>>(4)?.unwrap_or(false);
                let owner = r.get::<_, Option<bool>>(5)?.unwrap_or(false);
                let relation = match (requester, owner) {
                    (true, true) => "requester, owner",
                    (true, false) => "requester",
                    _ => "owner",
                };
                Ok(AccessActionPoint {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    status: r.get(2)?,
                    opened_on: r.get(3)?,
                    relation: relation.into(),
                    history: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT coalesce(at, ''), coalesce(kind, ''), to_status, comment, author
                 FROM action_point_event WHERE action_point_id = ?1 AND deleted = 0
                 ORDER BY at, id",
            )?;
            for point in &mut action_points {
                point.history = stmt
                    .query_map([&point.id], |r| {
                        Ok(AccessEvent {
                            at: r.get(0)?,
                            kind: r.get(1)?,
                            to_status: r.get(2)?,
                            comment: r.get(3)?,
                            author: r.get(4)?,
                        })
                    })?
                    .collect::<rusqlite::Result<_>>()?;
            }
        }
        let projects = self
            .conn
            .prepare(
                "SELECT p.id, coalesce(p.title, ''),
                        CASE WHEN p.department_contact_id = ?1 THEN 'department_contact'
                             ELSE 'involved' END
                 FROM project p
                 WHERE p.deleted = 0 AND (p.department_contact_id = ?1 OR EXISTS (
                     SELECT 1 FROM json_each(CASE WHEN json_valid(p.contact_ids)
                                                  THEN p.contact_ids ELSE '[]' END) j
                     WHERE j.value = ?1))
                 ORDER BY p.title, p.id",
            )?
            .query_map([&id_text], |r| {
                Ok(AccessProject {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    relation: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mentions = if name.is_empty() || name == ANONYMOUS_NAME {
            Vec::new()
        } else {
            self.mentions_of(&name, Some((Entity::Contact, id)))?
        };

        // The records whose conflicts and pending changes concern the person: the contact and
        // the records that link to it.
        let mut linked: BTreeSet<String> = BTreeSet::new();
        linked.insert(id_text.clone());
        for sql in [
            "SELECT id FROM role WHERE contact_id = ?1",
            "SELECT id FROM attendance WHERE contact_id = ?1",
            "SELECT id FROM invitee WHERE contact_id = ?1",
        ] {
            let mut stmt = self.conn.prepare_cached(sql)?;
            for found in stmt.query_map([&id_text], |r| r.get::<_, String>(0))? {
                linked.insert(found?);
            }
        }
        let mut conflicts = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {} FROM conflict WHERE record_id = ?1 ORDER BY seq",
                crate::merge::CONFLICT_COLUMNS
            ))?;
            for record in &linked {
                let rows = stmt.query_map([record], Conflict::from_row)?;
                for conflict in rows {
                    conflicts.push(conflict?);
                }
            }
        }
        conflicts.sort_by_key(|c| c.seq);

        // The outbox is searched for the ids as text in one scan; only the entries that hold
        // one are read as changes.
        let mut pending_changes = Vec::new();
        let ids: Vec<&String> = linked.iter().take(500).collect();
        let sql = format!(
            "SELECT seq FROM outbox WHERE {} ORDER BY seq",
            (1..=ids.len())
                .map(|i| format!("instr(changes, ?{i}) > 0"))
                .collect::<Vec<_>>()
                .join(" OR ")
        );
        let seqs: Vec<i64> = self
            .conn
            .prepare(&sql)?
            .query_map(rusqlite::params_from_iter(ids.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for seq in seqs {
            for (_, set) in self.outbox_page(seq - 1, 1)? {
                let at = set.hlc.wall_ms;
                for change in set.changes {
                    if linked.contains(&change.id.to_string()) {
                        pending_changes.push(PendingChange {
                            recorded_at: instant_of(at),
                            entity: change.entity,
                            record_id: change.id.to_string(),
                            fields: change
                                .fields
                                .into_iter()
                                .map(|(k, v)| (k, v.value))
                                .collect(),
                        });
                    }
                }
            }
        }
        let imports = self
            .conn
            .prepare(
                "SELECT id, imported_at, source, undone_at FROM import_batch
                 WHERE instr(undo, ?1) > 0 ORDER BY imported_at",
            )?
            .query_map([&id_text], |r| {
                Ok(AccessImport {
                    id: r.get(0)?,
                    imported_at: r.get(1)?,
                    source: r.get(2)?,
                    undone_at: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;

        Ok(SubjectAccess {
            generated_on: today.to_string(),
            contact_id: id_text.clone(),
            name,
            contact: row::to_json(&id_text, &contact),
            legal_basis: recorded
                .clone()
                .unwrap_or_else(|| DEFAULT_LEGAL_BASIS.to_owned()),
            legal_basis_recorded: recorded.is_some(),
            retention_days: self.retention_days()?,
            field_history,
            roles,
            organisations: organisations.into_iter().collect(),
            meetings,
            visits,
            action_points,
            projects,
            mentions,
            conflicts,
            pending_changes,
            imports,
        })
    }

    /// Records (other than `except`) whose searched text holds `name` whole, case folded:
    /// found by the search index, then checked against the document's text.
    pub fn mentions_of(
        &self,
        name: &str,
        except: Option<(Entity, Uuid)>,
    ) -> Result<Vec<PersonMention>> {
        let Some(query) = crate::search::fts_query(name) else {
            return Ok(Vec::new());
        };
        let wanted = name.trim().to_lowercase();
        let mut found = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT rowid, coalesce(title, ''), coalesce(body, '') FROM search
             WHERE search MATCH ?1 ORDER BY rowid LIMIT 10000",
        )?;
        let rows = stmt.query_map([&query], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for hit in rows {
            let (rowid, title, body) = hit?;
            if !title.to_lowercase().contains(&wanted) && !body.to_lowercase().contains(&wanted) {
                continue;
            }
            let stride = crate::search_index::DOC_ROWID_STRIDE;
            let Some(entity) = Entity::from_code(rowid.rem_euclid(stride)) else {
                continue;
            };
            let sql = format!("SELECT id FROM {} WHERE local_seq = ?1", entity.table());
            let id: Option<String> = self
                .conn
                .prepare_cached(&sql)?
                .query_row([rowid.div_euclid(stride)], |r| r.get(0))
                .optional()?;
            let Some(id) = id else { continue };
            if except.is_some_and(|(e, x)| e == entity && x.to_string() == id) {
                continue;
            }
            found.push(PersonMention {
                entity: entity.name().to_owned(),
                id,
                title,
            });
        }
        Ok(found)
    }

    fn ids_where(&self, sql: &str, param: &str) -> Result<Vec<(Uuid, bool)>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([param], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? != 0))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, deleted) = row?;
            let id = Uuid::parse_str(&id).map_err(|e| Error::StoredData(format!("{id}: {e}")))?;
            out.push((id, deleted));
        }
        Ok(out)
    }
}

fn null_field(name: &str) -> Fields {
    let mut fields = Fields::new();
    fields.insert(name.into(), Value::Null);
    fields
}

/// The writes that set `fields` of a record; a deleted record is brought back, changed and
/// deleted again in the same batch (its data is held all the same).
pub(crate) fn clear(entity: Entity, id: Uuid, deleted: bool, mut fields: Fields) -> Vec<Write> {
    if deleted {
        fields.insert(wijkwerk_protocol::DELETED_FIELD.into(), Value::Bool(false));
        vec![Write::update(entity, id, fields), Write::delete(entity, id)]
    } else {
        vec![Write::update(entity, id, fields)]
    }
}

/// The day (Amsterdam) of the newest clock in a row's clock text.
fn last_change(clocks: &str) -> Option<String> {
    let newest = row::decode_clocks(Entity::Contact, clocks)
        .into_values()
        .map(|h| h.wall_ms)
        .max()?;
    let zone = jiff::tz::TimeZone::get(crate::DEFAULT_TIME_ZONE).ok()?;
    let at = jiff::Timestamp::from_millisecond(i64::try_from(newest).ok()?).ok()?;
    Some(at.to_zoned(zone).date().to_string())
}

/// A clock's wall time as a UTC instant.
fn instant_of(wall_ms: u64) -> String {
    i64::try_from(wall_ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contact_field_is_either_personal_or_kept() {
        // A field added to the contact later must be placed here: emptied or kept.
        for field in Entity::Contact.fields() {
            let placed = field.name == "name"
                || PERSONAL_CONTACT_FIELDS.contains(&field.name)
                || KEPT_CONTACT_FIELDS.contains(&field.name);
            assert!(
                placed,
                "contact.{} is neither personal nor kept",
                field.name
            );
        }
    }
}
