//! A department's action points as the web pages show them, read from the server's own
//! records, and a colleague's answer as the changeset the server pushes as its own writer.
//!
//! The server knows records only as stamped fields; the names of the fields and statuses here
//! are the core's (`crates/core/src/schema.rs`: `action_point`, `action_point_event`), and the
//! test `crates/server/tests/department.rs` checks that a laptop's store takes what is written.

use super::index::PointKey;
use crate::error::Result;
use crate::storage::{Storage, WebUser, WebWriterTicket};
use jiff::civil::Date;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;
use wijkwerk_protocol::wire::PushChangeSet;
use wijkwerk_protocol::{Hlc, RecordChange, StampedValue};

/// Statuses of an action point (the core's `ACTION_POINT_STATUSES`), with their Dutch names.
pub const STATUSES: &[(&str, &str)] = &[
    ("open", "Open"),
    ("in_progress", "In behandeling"),
    ("waiting", "Wacht op iets anders"),
    ("done", "Afgehandeld"),
    ("cancelled", "Vervallen"),
];
/// Statuses of a point still to be done (it can be overdue).
pub const OPEN_STATUSES: &[&str] = &["open", "in_progress", "waiting"];
/// Statuses a colleague may give from the web: closing without doing (`cancelled`) is the
/// coordinator's decision.
pub const WEB_STATUSES: &[&str] = &["open", "in_progress", "waiting", "done"];
/// The longest comment or reason (characters).
pub const COMMENT_MAX: usize = 2_000;
/// How far ahead a proposed due date may lie (years).
const DUE_DATE_YEARS_AHEAD: i16 = 5;
/// Points on one list page.
pub const PAGE_SIZE: usize = 50;
/// What marks the history entries written from the web (the event's `via`).
pub const VIA_WEB: &str = "web";

/// The Dutch name of a status.
pub fn status_name(status: &str) -> &str {
    STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(status, |(_, name)| name)
}

/// A point on the list.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSummary {
    pub id: Uuid,
    pub title: String,
    pub area: Option<String>,
    /// The requesting organisation's name (never a resident's details).
    pub requester: Option<String>,
    pub due_date: Option<Date>,
    pub status: String,
    pub overdue: bool,
    pub description: Option<String>,
}

/// Which points a list page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListQuery {
    /// The closed points (done, cancelled) instead of the open ones.
    pub closed: bool,
    /// 0-based page.
    pub page: usize,
}

/// A page of a department's list.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub points: Vec<PointSummary>,
    /// Points in the list (all pages).
    pub total: usize,
    pub open: usize,
    pub overdue: usize,
    pub query: ListQuery,
}

impl ListPage {
    pub fn pages(&self) -> usize {
        self.total.div_ceil(PAGE_SIZE).max(1)
    }
}

fn value<'a>(record: &'a RecordChange, field: &str) -> Option<&'a serde_json::Value> {
    record.fields.get(field).map(|v| &v.value)
}

fn text(record: &RecordChange, field: &str) -> Option<String> {
    value(record, field)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .filter(|s| !s.trim().is_empty())
}

fn id_of(record: &RecordChange, field: &str) -> Option<Uuid> {
    value(record, field)
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok())
}

fn is_deleted(record: &RecordChange) -> bool {
    value(record, "deleted").and_then(|v| v.as_bool()) == Some(true)
}

fn date(text: Option<&str>) -> Option<Date> {
    text.and_then(|t| t.parse().ok())
}

/// The Dutch day now.
pub fn today() -> Date {
    wijkwerk_calendar::feed::dutch_day(jiff::Timestamp::now())
}

/// The names of records of an entity (the `name` field), by id.
async fn names(
    storage: &Storage,
    tenant_id: i64,
    entity: &str,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(storage
        .records_of(tenant_id, entity, ids)
        .await?
        .into_iter()
        .filter_map(|r| text(&r, "name").map(|name| (r.id, name)))
        .collect())
}

/// A page of the points `user`'s department owns: overdue first, then by due date (points
/// without one last).
pub async fn department_list(
    storage: &Storage,
    index: &super::index::PointIndex,
    user: &WebUser,
    today: Date,
    query: ListQuery,
) -> Result<ListPage> {
    let keys = index
        .department_points(storage, user.tenant_id, user.department_id)
        .await?;
    let is_open = |k: &PointKey| OPEN_STATUSES.contains(&k.status.as_deref().unwrap_or("open"));
    let live: Vec<&PointKey> = keys.iter().filter(|k| !k.deleted).collect();
    let open = live.iter().filter(|k| is_open(k)).count();
    let overdue = live
        .iter()
        .filter(|k| is_open(k) && date(k.due_date.as_deref()).is_some_and(|d| d < today))
        .count();
    let mut listed: Vec<(Option<Date>, Uuid)> = live
        .iter()
        .filter(|k| is_open(k) != query.closed)
        .map(|k| (date(k.due_date.as_deref()), k.id))
        .collect();
    // Open points: the earliest due date first (so the overdue ones lead), none last. Closed
    // ones: the latest first.
    listed.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) if query.closed => y.cmp(&x).then(a.1.cmp(&b.1)),
        (Some(x), Some(y)) => x.cmp(&y).then(a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    let total = listed.len();
    let page_ids: Vec<Uuid> = listed
        .iter()
        .skip(query.page.saturating_mul(PAGE_SIZE))
        .take(PAGE_SIZE)
        .map(|(_, id)| *id)
        .collect();
    let records = storage
        .records_of(user.tenant_id, "action_point", page_ids.clone())
        .await?;
    let areas = names(
        storage,
        user.tenant_id,
        "area",
        records.iter().filter_map(|r| id_of(r, "area_id")),
    )
    .await?;
    let requesters = names(
        storage,
        user.tenant_id,
        "organisation",
        records
            .iter()
            .filter_map(|r| id_of(r, "requester_organisation_id")),
    )
    .await?;
    // Checked again on the records themselves: the index may be a moment behind.
    let by_id: HashMap<Uuid, &RecordChange> = records
        .iter()
        .filter(|r| !is_deleted(r) && id_of(r, "owner_organisation_id") == Some(user.department_id))
        .map(|r| (r.id, r))
        .collect();
    let points = page_ids
        .iter()
        .filter_map(|id| by_id.get(id))
        .map(|r| summary(r, &areas, &requesters, today))
        .collect();
    Ok(ListPage {
        points,
        total,
        open,
        overdue,
        query,
    })
}

fn summary(
    r: &RecordChange,
    areas: &HashMap<Uuid, String>,
    requesters: &HashMap<Uuid, String>,
    today: Date,
) -> PointSummary {
    let status = text(r, "status").unwrap_or_else(|| "open".into());
    let due_date = date(text(r, "due_date").as_deref());
    PointSummary {
        id: r.id,
        title: text(r, "title").unwrap_or_else(|| "(zonder titel)".into()),
        area: id_of(r, "area_id").and_then(|id| areas.get(&id).cloned()),
        requester: id_of(r, "requester_organisation_id")
            .and_then(|id| requesters.get(&id).cloned()),
        overdue: OPEN_STATUSES.contains(&status.as_str()) && due_date.is_some_and(|d| d < today),
        due_date,
        status,
        description: text(r, "description"),
    }
}

/// One entry of a point's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub at: Option<jiff::Timestamp>,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub comment: Option<String>,
    pub author: Option<String>,
    pub proposed_due_date: Option<Date>,
    /// Written from these pages.
    pub from_web: bool,
}

/// A point as its page shows it, with the stored record for an answer's base clocks.
#[derive(Debug, Clone)]
pub struct PointDetail {
    pub summary: PointSummary,
    pub opened_on: Option<Date>,
    pub department: Option<String>,
    pub history: Vec<HistoryEntry>,
    pub record: RecordChange,
}

impl PointDetail {
    /// Done or cancelled: only comments from the web.
    pub fn closed(&self) -> bool {
        !OPEN_STATUSES.contains(&self.summary.status.as_str())
    }
}

/// The point `id` if `user`'s department owns it and it is not deleted. Another department's
/// point, or another tenant's, is `None`, exactly like one that does not exist.
pub async fn department_point(
    storage: &Storage,
    user: &WebUser,
    id: Uuid,
    today: Date,
) -> Result<Option<PointDetail>> {
    let Some(record) = storage
        .records_of(user.tenant_id, "action_point", vec![id])
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    if is_deleted(&record) || id_of(&record, "owner_organisation_id") != Some(user.department_id) {
        return Ok(None);
    }
    let areas = names(storage, user.tenant_id, "area", id_of(&record, "area_id")).await?;
    let organisations = names(
        storage,
        user.tenant_id,
        "organisation",
        [
            id_of(&record, "requester_organisation_id"),
            Some(user.department_id),
        ]
        .into_iter()
        .flatten(),
    )
    .await?;
    let mut history: Vec<HistoryEntry> = storage
        .point_events(user.tenant_id, id)
        .await?
        .iter()
        .filter(|e| !is_deleted(e))
        .map(|e| HistoryEntry {
            at: text(e, "at").and_then(|t| t.parse().ok()),
            kind: text(e, "kind").unwrap_or_default(),
            from_status: text(e, "from_status"),
            to_status: text(e, "to_status"),
            comment: text(e, "comment"),
            author: text(e, "author"),
            proposed_due_date: date(text(e, "proposed_due_date").as_deref()),
            from_web: text(e, "via").as_deref() == Some(VIA_WEB),
        })
        .collect();
    history.sort_by_key(|h| h.at);
    Ok(Some(PointDetail {
        summary: summary(&record, &areas, &organisations, today),
        opened_on: date(text(&record, "opened_on").as_deref()),
        department: organisations.get(&user.department_id).cloned(),
        history,
        record,
    }))
}

/// What a colleague does with a point on its page.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A new status, with a comment; `seen` is the clock of the status the page showed (so a
    /// coordinator's change made while the page was open meets this one as a conflict) and
    /// `seen_status` that status.
    Status {
        to: String,
        comment: String,
        seen: Option<String>,
        seen_status: Option<String>,
    },
    /// A new due date proposed to the coordinator, with the reason.
    DueDate {
        date: String,
        reason: String,
    },
    Comment {
        text: String,
    },
}

/// Why an answer was refused (in Dutch, for the page; nothing was written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerRefused {
    #[error("Kies een status uit de lijst.")]
    UnknownStatus,
    #[error("Alleen de coördinator kan een actiepunt laten vervallen. Schrijf in een opmerking waarom het niet kan.")]
    CancelIsForTheCoordinator,
    #[error("Het actiepunt staat al op ‘{0}’.")]
    SameStatus(String),
    #[error("Dit actiepunt is afgesloten; u kunt er alleen nog een opmerking bij zetten.")]
    Closed,
    #[error("Schrijf een opmerking.")]
    EmptyComment,
    #[error("Schrijf de reden voor de nieuwe datum.")]
    EmptyReason,
    #[error("De tekst is {len} tekens; er passen er {max}.")]
    TooLong { len: usize, max: usize },
    #[error("‘{0}’ is geen datum (dag-maand-jaar).")]
    NotADate(String),
    #[error("De nieuwe datum ligt in het verleden ({0}).")]
    DateInThePast(String),
    #[error("De nieuwe datum ligt meer dan vijf jaar vooruit.")]
    DateTooFar,
}

/// A comment or reason as the core stores it: one line (the lines of a text area joined),
/// at most [`COMMENT_MAX`] characters.
pub fn one_line(text: &str) -> std::result::Result<String, AnswerRefused> {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let len = joined.chars().count();
    if len > COMMENT_MAX {
        return Err(AnswerRefused::TooLong {
            len,
            max: COMMENT_MAX,
        });
    }
    Ok(joined)
}

/// A date from a form: `2027-03-01` (what a date field sends) or `1-3-2027`.
pub fn form_date(text: &str) -> std::result::Result<Date, AnswerRefused> {
    let t = text.trim();
    if let Ok(date) = t.parse::<Date>() {
        return Ok(date);
    }
    let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
    if let [d, m, y] = parts[..] {
        if let (Ok(d), Ok(m), Ok(y)) = (d.parse::<i8>(), m.parse::<i8>(), y.parse::<i16>()) {
            if let Ok(date) = Date::new(y, m, d) {
                return Ok(date);
            }
        }
    }
    Err(AnswerRefused::NotADate(t.chars().take(40).collect()))
}

/// Dutch date: `7 december 2026`.
pub fn dutch_date(date: Date) -> String {
    wijkwerk_calendar::dutch::long_date(date)
}

/// The least wall time of a write over `record`: now, and after every clock it holds.
pub fn clock_floor(record: &RecordChange, now: jiff::Timestamp) -> u64 {
    let now_ms = u64::try_from(now.as_millisecond()).unwrap_or(0);
    let newest = record.fields.values().map(|v| v.hlc.wall_ms).max();
    newest.map_or(now_ms, |wall| now_ms.max(wall.saturating_add(1)))
}

/// The changeset a colleague's answer makes, as a writer of its own: the point's changed fields
/// with the clocks they were seen with (so a coordinator's concurrent edit ends as a logged
/// conflict) and a new history entry with the colleague's name, marked as from the web.
pub fn answer_changeset(
    point: &PointDetail,
    answer: &Answer,
    author: &str,
    ticket: WebWriterTicket,
    now: jiff::Timestamp,
    today: Date,
) -> std::result::Result<PushChangeSet, AnswerRefused> {
    let record = &point.record;
    // The ticket's wall time is after the point's clocks (its floor) and unique to this
    // changeset among the writer's.
    let hlc = Hlc::new(ticket.wall_ms, 0, ticket.node);
    let mut event: BTreeMap<String, StampedValue> = BTreeMap::new();
    let mut put = |name: &str, value: serde_json::Value| {
        event.insert(name.to_owned(), StampedValue::new(value, hlc));
    };
    put("action_point_id", record.id.to_string().into());
    put("at", now.to_string().into());
    put("author", author.into());
    put("via", VIA_WEB.into());
    let mut point_fields: BTreeMap<String, StampedValue> = BTreeMap::new();
    match answer {
        Answer::Status {
            to,
            comment,
            seen,
            seen_status,
        } => {
            if !STATUSES.iter().any(|(s, _)| s == to) {
                return Err(AnswerRefused::UnknownStatus);
            }
            if to == "cancelled" {
                return Err(AnswerRefused::CancelIsForTheCoordinator);
            }
            if !WEB_STATUSES.contains(&to.as_str()) {
                return Err(AnswerRefused::UnknownStatus);
            }
            if point.closed() {
                return Err(AnswerRefused::Closed);
            }
            if *to == point.summary.status {
                return Err(AnswerRefused::SameStatus(status_name(to).to_owned()));
            }
            let comment = one_line(comment)?;
            put("kind", "status_change".into());
            let from = seen_status
                .as_deref()
                .filter(|s| STATUSES.iter().any(|(known, _)| known == s))
                .unwrap_or(&point.summary.status);
            put("from_status", from.into());
            put("to_status", to.clone().into());
            if !comment.is_empty() {
                put("comment", comment.into());
            }
            // The status as the page showed it: when a coordinator changed it since, the merge
            // logs the two as a conflict.
            let base = seen
                .as_deref()
                .and_then(|s| s.parse::<Hlc>().ok())
                .or_else(|| record.fields.get("status").map(|v| v.hlc));
            point_fields.insert(
                "status".into(),
                StampedValue {
                    value: to.clone().into(),
                    hlc,
                    base,
                },
            );
        }
        Answer::DueDate { date, reason } => {
            let date = form_date(date)?;
            if date < today {
                return Err(AnswerRefused::DateInThePast(dutch_date(date)));
            }
            if date > today.saturating_add(jiff::Span::new().years(DUE_DATE_YEARS_AHEAD)) {
                return Err(AnswerRefused::DateTooFar);
            }
            if point.closed() {
                return Err(AnswerRefused::Closed);
            }
            let reason = one_line(reason)?;
            if reason.is_empty() {
                return Err(AnswerRefused::EmptyReason);
            }
            put("kind", "due_date_proposal".into());
            put("proposed_due_date", date.to_string().into());
            put("comment", reason.into());
        }
        Answer::Comment { text } => {
            let text = one_line(text)?;
            if text.is_empty() {
                return Err(AnswerRefused::EmptyComment);
            }
            put("kind", "comment".into());
            put("comment", text.into());
        }
    }
    let mut changes = vec![RecordChange {
        entity: "action_point_event".into(),
        id: Uuid::now_v7(),
        fields: event,
    }];
    if !point_fields.is_empty() {
        changes.insert(
            0,
            RecordChange {
                entity: "action_point".into(),
                id: record.id,
                fields: point_fields,
            },
        );
    }
    Ok(PushChangeSet {
        client_seq: ticket.client_seq,
        tx_id: Uuid::now_v7(),
        changes,
    })
}

/// A comment the server writes itself in a point's history (the outcome of a reminder a
/// coordinator asked for), as its own writer.
pub fn server_comment(
    point: Uuid,
    text: &str,
    ticket: WebWriterTicket,
    now: jiff::Timestamp,
) -> PushChangeSet {
    let hlc = Hlc::new(ticket.wall_ms, 0, ticket.node);
    let fields: BTreeMap<String, StampedValue> = [
        (
            "action_point_id",
            serde_json::Value::from(point.to_string()),
        ),
        ("kind", "comment".into()),
        (
            "comment",
            text.chars().take(COMMENT_MAX).collect::<String>().into(),
        ),
        ("at", now.to_string().into()),
        ("author", SERVER_AUTHOR.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), StampedValue::new(v, hlc)))
    .collect();
    PushChangeSet {
        client_seq: ticket.client_seq,
        tx_id: Uuid::now_v7(),
        changes: vec![RecordChange {
            entity: "action_point_event".into(),
            id: Uuid::now_v7(),
            fields,
        }],
    }
}

/// The author of what the server writes itself.
pub const SERVER_AUTHOR: &str = "Wijkwerk-server";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_area_becomes_one_line_within_the_limit() {
        assert_eq!(
            one_line("  Eerste regel\r\n\r\n tweede  \n").unwrap(),
            "Eerste regel tweede"
        );
        assert_eq!(
            one_line(&"é".repeat(COMMENT_MAX + 1)),
            Err(AnswerRefused::TooLong {
                len: COMMENT_MAX + 1,
                max: COMMENT_MAX
            })
        );
    }

    #[test]
    fn dates_from_a_date_field_or_typed_the_dutch_way() {
        let d = Date::new(2027, 3, 1).unwrap();
        assert_eq!(form_date("2027-03-01"), Ok(d));
        assert_eq!(form_date("1-3-2027"), Ok(d));
        assert_eq!(form_date("01/03/2027"), Ok(d));
        assert!(matches!(
            form_date("31-2-2027"),
            Err(AnswerRefused::NotADate(_))
        ));
        assert!(matches!(
            form_date("morgen"),
            Err(AnswerRefused::NotADate(_))
        ));
        assert_eq!(dutch_date(d), "1 maart 2027");
    }

    #[test]
    fn the_writers_clock_comes_after_what_it_saw() {
        let seen = Hlc::new(5_000, 3, wijkwerk_protocol::NodeId(1));
        let record = RecordChange {
            entity: "action_point".into(),
            id: Uuid::nil(),
            fields: [("status".to_owned(), StampedValue::new("open".into(), seen))].into(),
        };
        let at = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap();
        assert_eq!(clock_floor(&record, at(1_000)), 5_001);
        assert_eq!(clock_floor(&record, at(9_000)), 9_000);
    }
}
