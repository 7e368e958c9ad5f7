//! The app's lists: organisations, contacts, meetings, visits and action points, filtered and
//! paged in SQLite so that a list of 100,000 records shows any stretch of itself at once; and an
//! area's page (its organisations, coming meetings and visits, open action points, with those of
//! every area below it).
//!
//! Pages are by offset: a virtual list asks for the rows it is about to show, wherever the user
//! scrolled to. Every order has an index behind it (migration 004), and the total comes with
//! the first page only (`offset == 0`), as it costs a count.

use crate::action_points::{summary, ActionPointSummary, SUMMARY_SQL};
use crate::areas::AreaNode;
use crate::dashboard::start_of;
use crate::error::{Error, Result};
use crate::schema::Entity;
use crate::search::fts_query;
use crate::store::Store;
use jiff::civil::Date;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// The most rows one page holds.
pub const PAGE_MAX: usize = 500;

/// A stretch of a list: the rows from `offset`, and on the first page how many there are.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ListPage<T> {
    pub offset: usize,
    pub items: Vec<T>,
    /// Number of rows the whole list has; only given with the page at offset 0.
    pub total: Option<i64>,
}

/// Which organisations to list, in name order.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct OrganisationQuery {
    /// Words to find (prefixes, diacritics ignored), as in the global search.
    pub text: Option<String>,
    pub kind: Option<String>,
    /// Linked to this area or an area below it.
    pub area_id: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct OrganisationRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Which contacts to list, in name order.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct ContactQuery {
    pub text: Option<String>,
    /// Holding (or having held) a role in this organisation.
    pub organisation_id: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ContactRow {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The organisations of the roles held today, comma separated.
    pub organisations: Option<String>,
}

/// Which meetings or visits to list, in time order.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct AppointmentQuery {
    pub text: Option<String>,
    /// From this day on (in Amsterdam), inclusive.
    pub from: Option<String>,
    /// Before this day (in Amsterdam), exclusive.
    pub until: Option<String>,
    /// Held by this organisation (meetings only).
    pub organisation_id: Option<String>,
    /// In this area or one below it.
    pub area_id: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    pub offset: usize,
    pub limit: usize,
}

/// A meeting or a visit in a list.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AppointmentRow {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// UTC instant, `YYYY-MM-DDTHH:MM:SSZ`.
    pub starts_at: String,
    pub ends_at: String,
    pub time_zone: String,
    pub location: Option<String>,
    pub status: String,
    pub organisation_id: Option<String>,
    pub organisation_name: Option<String>,
    pub area_id: Option<String>,
    pub area_name: Option<String>,
}

/// Which action points to list: open ones by due date (none last), then the rest.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct ActionPointQuery {
    pub text: Option<String>,
    /// In this area or one below it.
    pub area_id: Option<String>,
    /// Owned by this organisation or contact.
    pub owner_id: Option<String>,
    /// Asked for by this organisation or contact.
    pub requester_id: Option<String>,
    /// Any of these statuses; empty means all.
    pub statuses: Vec<String>,
    /// Only those overdue on `day`.
    pub overdue_only: bool,
    /// The day overdue is counted on (`YYYY-MM-DD`); today when absent.
    pub day: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

/// An area with everything around it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AreaPage {
    pub area: AreaNode,
    /// From the root down to the area's parent.
    pub path: Vec<AreaNode>,
    pub children: Vec<AreaNode>,
    /// Inhabitants of the area, or else the sum of those below it that have a number.
    pub inhabitants: Option<i64>,
    /// Organisations linked to the area or an area below it, by name.
    pub organisations: Vec<OrganisationRow>,
    /// Meetings from today on, in this area or below it (at most 50).
    pub meetings: Vec<AppointmentRow>,
    /// Visits from today on (at most 50).
    pub visits: Vec<AppointmentRow>,
    /// Open action points of the area and below, by due date (at most 200).
    pub open_action_points: Vec<ActionPointSummary>,
    pub open_action_point_count: i64,
}

/// The ids of an area and every area below it; `?` is the area's id.
pub(crate) const SUBTREE_SQL: &str = "WITH RECURSIVE subtree(id) AS (
        SELECT ? UNION SELECT a.id FROM area a JOIN subtree s ON a.parent_id = s.id
        WHERE a.deleted = 0) SELECT id FROM subtree";

/// The ids of the organisations linked to an area or one below it; `?` is the area's id.
pub(crate) fn organisations_in_area_sql() -> String {
    format!(
        "SELECT o.id FROM organisation o, json_each(o.area_ids) j
         WHERE o.deleted = 0 AND j.value IN ({SUBTREE_SQL})"
    )
}

/// A day as an SQL literal. A `Date`'s text is digits and dashes only, so it can stand in the
/// query itself: the select of a list then needs no parameter its count does not have.
fn day_literal(day: Date) -> String {
    format!("'{day}'")
}

/// A WHERE clause being built for the records named `alias`, with its parameters.
pub(crate) struct Filter {
    alias: &'static str,
    clauses: Vec<String>,
    pub(crate) params: Vec<SqlValue>,
}

impl Filter {
    pub(crate) fn new(alias: &'static str) -> Filter {
        Filter {
            alias,
            clauses: vec![format!("{alias}.deleted = 0")],
            params: Vec::new(),
        }
    }

    /// Adds a clause whose every `?` stands for `value` (numbered as it is added).
    pub(crate) fn add(&mut self, clause: &str, value: impl Into<SqlValue>) {
        self.params.push(value.into());
        let n = self.params.len();
        self.clauses.push(clause.replace('?', &format!("?{n}")));
    }

    /// Adds a clause without parameters.
    fn push(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// Restricts to records of `entity` that match the words typed, through the search index.
    fn text(&mut self, entity: Entity, text: &Option<String>) {
        if let Some(query) = text.as_deref().and_then(fts_query) {
            let clause = format!(
                "{}.local_seq * {} + {} IN (SELECT rowid FROM search WHERE search MATCH ?)",
                self.alias,
                crate::search_index::DOC_ROWID_STRIDE,
                entity.code()
            );
            self.add(&clause, query);
        }
    }

    /// Restricts to records whose `column` is the area or one below it.
    fn area(&mut self, column: &str, area_id: &Option<String>) {
        if let Some(area) = area_id {
            self.add(&format!("{column} IN ({SUBTREE_SQL})"), area.clone());
        }
    }

    pub(crate) fn sql(&self) -> String {
        self.clauses.join(" AND ")
    }
}

/// The organisations the Organisaties list shows for `query` (as `x`), also what its export holds.
pub(crate) fn organisation_filter(query: &OrganisationQuery) -> Filter {
    let mut filter = Filter::new("x");
    filter.text(Entity::Organisation, &query.text);
    if let Some(kind) = &query.kind {
        filter.add("x.kind = ?", kind.clone());
    }
    if let Some(area) = &query.area_id {
        filter.add(
            &format!("x.id IN ({})", organisations_in_area_sql()),
            area.clone(),
        );
    }
    filter
}

/// The contacts the Contacten list shows for `query` (as `x`), also what its export holds.
pub(crate) fn contact_filter(query: &ContactQuery) -> Filter {
    let mut filter = Filter::new("x");
    filter.text(Entity::Contact, &query.text);
    if let Some(organisation) = &query.organisation_id {
        filter.add(
            "x.id IN (SELECT contact_id FROM role WHERE organisation_id = ? AND deleted = 0)",
            organisation.clone(),
        );
    }
    filter
}

fn limit(requested: usize) -> i64 {
    if requested == 0 {
        100
    } else {
        requested.min(PAGE_MAX) as i64
    }
}

fn text(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
}

fn parse_day(day: &str) -> Result<Date> {
    day.parse()
        .map_err(|e| Error::BadRequest(format!("{day:?} is no date (YYYY-MM-DD): {e}")))
}

impl Store {
    /// Runs a list query: `select` yields rows of `x` (with `{where}` and `{order}` to fill in).
    fn list_page<T>(
        &self,
        from: &str,
        select: &str,
        order: &str,
        filter: Filter,
        (offset, requested): (usize, usize),
        row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<ListPage<T>> {
        let condition = filter.sql();
        let mut params = filter.params;
        let total = if offset == 0 {
            let sql = format!("SELECT count(*) FROM {from} WHERE {condition}");
            Some(
                self.conn
                    .prepare_cached(&sql)?
                    .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?,
            )
        } else {
            None
        };
        let n = params.len();
        params.push(SqlValue::Integer(limit(requested)));
        params.push(SqlValue::Integer(offset as i64));
        let sql = format!(
            "{select} WHERE {condition} ORDER BY {order} LIMIT ?{} OFFSET ?{}",
            n + 1,
            n + 2
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let items = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ListPage {
            offset,
            items,
            total,
        })
    }

    /// Organisations in name order.
    pub fn organisation_list(
        &self,
        query: &OrganisationQuery,
    ) -> Result<ListPage<OrganisationRow>> {
        let filter = organisation_filter(query);
        self.list_page(
            "organisation x",
            "SELECT x.id, x.name, x.kind, x.email, x.phone FROM organisation x",
            "x.name COLLATE NOCASE, x.id",
            filter,
            (query.offset, query.limit),
            organisation_row,
        )
    }

    /// Contacts in name order, with the organisations they hold a role in on `day`.
    pub fn contact_list(&self, query: &ContactQuery, day: Date) -> Result<ListPage<ContactRow>> {
        let filter = contact_filter(query);
        let day = day_literal(day);
        self.list_page(
            "contact x",
            &format!(
                "SELECT x.id, x.name, x.email, x.phone,
                    (SELECT group_concat(name, ', ') FROM (SELECT DISTINCT o.name FROM role r
                       JOIN organisation o ON o.id = r.organisation_id
                       WHERE r.contact_id = x.id AND r.deleted = 0 AND o.deleted = 0
                         AND r.start_date <= {day} AND (r.end_date IS NULL OR r.end_date >= {day})
                       ORDER BY o.name))
                 FROM contact x"
            ),
            "x.name COLLATE NOCASE, x.id",
            filter,
            (query.offset, query.limit),
            |r| {
                Ok(ContactRow {
                    id: r.get(0)?,
                    name: text(r, 1)?,
                    email: r.get(2)?,
                    phone: r.get(3)?,
                    organisations: r.get(4)?,
                })
            },
        )
    }

    fn appointment_filter(&self, entity: Entity, query: &AppointmentQuery) -> Result<Filter> {
        let mut filter = Filter::new("x");
        filter.text(entity, &query.text);
        if let Some(from) = &query.from {
            filter.add("x.starts_at >= ?", start_of(parse_day(from)?)?);
        }
        if let Some(until) = &query.until {
            filter.add("x.starts_at < ?", start_of(parse_day(until)?)?);
        }
        if let Some(kind) = &query.kind {
            filter.add("x.kind = ?", kind.clone());
        }
        if let Some(status) = &query.status {
            filter.add("x.status = ?", status.clone());
        }
        filter.area("x.area_id", &query.area_id);
        Ok(filter)
    }

    /// Meetings in time order (or newest first).
    pub fn meeting_list(&self, query: &AppointmentQuery) -> Result<ListPage<AppointmentRow>> {
        let mut filter = self.appointment_filter(Entity::Meeting, query)?;
        if let Some(organisation) = &query.organisation_id {
            filter.add("x.organisation_id = ?", organisation.clone());
        }
        self.list_page(
            "meeting x",
            MEETING_ROW_SQL,
            time_order(query),
            filter,
            (query.offset, query.limit),
            appointment_row,
        )
    }

    /// Visits in time order (or newest first).
    pub fn visit_list(&self, query: &AppointmentQuery) -> Result<ListPage<AppointmentRow>> {
        let filter = self.appointment_filter(Entity::Visit, query)?;
        self.list_page(
            "visit x",
            VISIT_ROW_SQL,
            time_order(query),
            filter,
            (query.offset, query.limit),
            appointment_row,
        )
    }

    /// Action points: those still to be done first, by due date (none last), then the rest.
    pub fn action_point_list(
        &self,
        query: &ActionPointQuery,
        today: Date,
    ) -> Result<ListPage<ActionPointSummary>> {
        let day = match &query.day {
            Some(day) => parse_day(day)?,
            None => today,
        };
        let mut filter = Filter::new("a");
        filter.text(Entity::ActionPoint, &query.text);
        filter.area("a.area_id", &query.area_id);
        if let Some(owner) = &query.owner_id {
            filter.add(
                "(a.owner_organisation_id = ? OR a.owner_contact_id = ?)",
                owner.clone(),
            );
        }
        if let Some(requester) = &query.requester_id {
            filter.add(
                "(a.requester_organisation_id = ? OR a.requester_contact_id = ?)",
                requester.clone(),
            );
        }
        if !query.statuses.is_empty() {
            let statuses = serde_json::to_string(&query.statuses).unwrap_or_default();
            filter.add("a.status IN (SELECT value FROM json_each(?))", statuses);
        }
        let day = day_literal(day);
        if query.overdue_only {
            filter.push(format!(
                "a.status IN ('open', 'in_progress', 'waiting') AND a.due_date IS NOT NULL
                 AND a.due_date < {day}"
            ));
        }
        self.list_page(
            "action_point a",
            // The summary names the day it counts overdue days on ?1.
            &SUMMARY_SQL.replace("?1", &day),
            "a.status NOT IN ('open', 'in_progress', 'waiting'), a.due_date IS NULL,
             a.due_date, a.id",
            filter,
            (query.offset, query.limit),
            summary,
        )
    }

    /// An area with its organisations, coming meetings and visits and open action points, those
    /// of the areas below it included; "coming" and "overdue" are as on `today`.
    pub fn area_page(&self, id: Uuid, today: Date) -> Result<AreaPage> {
        let tree = self.area_tree()?;
        let id_text = id.to_string();
        let Some(area) = tree.iter().find(|a| a.id == id_text).cloned() else {
            return Err(Error::NotFound {
                entity: Entity::Area,
                id,
            });
        };
        let mut path = Vec::new();
        let mut parent = area.parent_id.clone();
        while let Some(parent_id) = parent {
            let Some(node) = tree.iter().find(|a| a.id == parent_id) else {
                break;
            };
            if path.iter().any(|p: &AreaNode| p.id == node.id) {
                break;
            }
            path.insert(0, node.clone());
            parent = node.parent_id.clone();
        }
        let children: Vec<AreaNode> = tree
            .iter()
            .filter(|a| a.parent_id.as_deref() == Some(id_text.as_str()))
            .cloned()
            .collect();
        let inhabitants = area.inhabitants.or_else(|| {
            let sum: i64 = children.iter().filter_map(|c| c.inhabitants).sum();
            (sum > 0).then_some(sum)
        });
        let organisations = self
            .organisation_list(&OrganisationQuery {
                area_id: Some(id_text.clone()),
                limit: PAGE_MAX,
                ..Default::default()
            })?
            .items;
        let coming = AppointmentQuery {
            area_id: Some(id_text.clone()),
            from: Some(today.to_string()),
            limit: 50,
            ..Default::default()
        };
        // Meetings in the area, and those of the organisations linked to it.
        let mut in_area = self.appointment_filter(
            Entity::Meeting,
            &AppointmentQuery {
                area_id: None,
                ..coming.clone()
            },
        )?;
        in_area.add(
            &format!(
                "(x.area_id IN ({SUBTREE_SQL}) OR x.organisation_id IN ({}))",
                organisations_in_area_sql()
            ),
            id_text.clone(),
        );
        let meetings = self
            .list_page(
                "meeting x",
                MEETING_ROW_SQL,
                time_order(&coming),
                in_area,
                (0, 50),
                appointment_row,
            )?
            .items;
        let visits = self.visit_list(&coming)?.items;
        let open = self.action_point_list(
            &ActionPointQuery {
                area_id: Some(id_text),
                statuses: crate::schema::ACTION_POINT_OPEN_STATUSES
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                limit: 200,
                ..Default::default()
            },
            today,
        )?;
        Ok(AreaPage {
            area,
            path,
            children,
            inhabitants,
            organisations,
            meetings,
            visits,
            open_action_point_count: open.total.unwrap_or(0),
            open_action_points: open.items,
        })
    }
}

/// Oldest first, or newest first.
fn time_order(query: &AppointmentQuery) -> &'static str {
    if query.newest_first {
        "x.starts_at DESC, x.id DESC"
    } else {
        "x.starts_at, x.id"
    }
}

const MEETING_ROW_SQL: &str = "
    SELECT x.id, x.kind, x.title, x.starts_at, x.ends_at, x.time_zone, x.location, x.status,
           x.organisation_id, o.name, x.area_id, ar.name
    FROM meeting x
    LEFT JOIN organisation o ON o.id = x.organisation_id
    LEFT JOIN area ar ON ar.id = x.area_id";

const VISIT_ROW_SQL: &str = "
    SELECT x.id, x.kind, x.title, x.starts_at, x.ends_at, x.time_zone, x.location, x.status,
           NULL, NULL, x.area_id, ar.name
    FROM visit x
    LEFT JOIN area ar ON ar.id = x.area_id";

fn organisation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrganisationRow> {
    Ok(OrganisationRow {
        id: r.get(0)?,
        name: text(r, 1)?,
        kind: text(r, 2)?,
        email: r.get(3)?,
        phone: r.get(4)?,
    })
}

fn appointment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AppointmentRow> {
    Ok(AppointmentRow {
        id: r.get(0)?,
        kind: text(r, 1)?,
        title: text(r, 2)?,
        starts_at: text(r, 3)?,
        ends_at: text(r, 4)?,
        time_zone: text(r, 5)?,
        location: r.get(6)?,
        status: text(r, 7)?,
        organisation_id: r.get(8)?,
        organisation_name: r.get(9)?,
        area_id: r.get(10)?,
        area_name: r.get(11)?,
    })
}
