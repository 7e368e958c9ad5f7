//! Organisations: boards over time, and the vacancies on them.

use crate::error::{Error, Result};
use crate::schema::{Entity, ASSOCIATION_KINDS, BOARD_ROLE_KINDS};
use crate::store::Store;
use jiff::civil::Date;
use rusqlite::OptionalExtension;
use serde::Serialize;
use uuid::Uuid;

/// A role as lists show it: who, where, what, when.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RoleView {
    pub id: String,
    pub contact_id: String,
    pub contact_name: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub kind: String,
    pub title: Option<String>,
    pub start_date: String,
    pub end_date: Option<String>,
    /// Whether the role is held on the day asked about.
    pub current: bool,
}

/// An organisation's board on a day, with its history.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Board {
    pub organisation_id: String,
    pub board_size: Option<i64>,
    /// Board roles held on the day, chair first.
    pub current: Vec<RoleView>,
    /// Every role ever held in the organisation (board or not), newest start first.
    pub history: Vec<RoleView>,
    /// Seats without anyone: `board_size` minus current board members (never negative).
    pub empty_seats: i64,
    /// Of chair, secretary and treasurer, the ones nobody holds.
    pub missing_positions: Vec<String>,
}

/// An association whose board has an empty seat or an unfilled key position.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Vacancy {
    pub organisation_id: String,
    pub name: String,
    pub board_size: Option<i64>,
    pub seated: i64,
    pub empty_seats: i64,
    pub missing_positions: Vec<String>,
}

pub(crate) const ROLE_VIEW_SQL: &str = "
    SELECT r.id, r.contact_id, c.name, r.organisation_id, o.name, r.kind, r.title,
           r.start_date, r.end_date,
           (r.start_date <= ?1 AND (r.end_date IS NULL OR r.end_date >= ?1))
    FROM role r JOIN contact c ON c.id = r.contact_id JOIN organisation o ON o.id = r.organisation_id
    WHERE r.deleted = 0";

pub(crate) fn role_view(r: &rusqlite::Row<'_>) -> rusqlite::Result<RoleView> {
    Ok(RoleView {
        id: r.get(0)?,
        contact_id: r.get(1)?,
        contact_name: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        organisation_id: r.get(3)?,
        organisation_name: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
        kind: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
        title: r.get(6)?,
        start_date: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
        end_date: r.get(8)?,
        current: r.get::<_, Option<bool>>(9)?.unwrap_or(false),
    })
}

const KEY_POSITIONS: [&str; 3] = ["chair", "secretary", "treasurer"];

fn board_rank(kind: &str) -> usize {
    BOARD_ROLE_KINDS
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(BOARD_ROLE_KINDS.len())
}

impl Store {
    /// The board of an organisation on `day`, its role history and its vacancies.
    pub fn board(&self, organisation: Uuid, day: Date) -> Result<Board> {
        let board_size: Option<Option<i64>> = self
            .conn
            .prepare_cached("SELECT board_size FROM organisation WHERE id = ?1 AND deleted = 0")?
            .query_row([organisation.to_string()], |r| r.get(0))
            .optional()?;
        let Some(board_size) = board_size else {
            return Err(Error::NotFound {
                entity: Entity::Organisation,
                id: organisation,
            });
        };
        let sql =
            format!("{ROLE_VIEW_SQL} AND r.organisation_id = ?2 ORDER BY r.start_date DESC, r.id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let history: Vec<RoleView> = stmt
            .query_map((day.to_string(), organisation.to_string()), role_view)?
            .collect::<rusqlite::Result<_>>()?;
        let mut current: Vec<RoleView> = history
            .iter()
            .filter(|r| r.current && BOARD_ROLE_KINDS.contains(&r.kind.as_str()))
            .cloned()
            .collect();
        current.sort_by(|a, b| {
            board_rank(&a.kind)
                .cmp(&board_rank(&b.kind))
                .then(a.contact_name.cmp(&b.contact_name))
        });
        let seated = current.len() as i64;
        let missing_positions = KEY_POSITIONS
            .iter()
            .filter(|p| !current.iter().any(|r| r.kind == **p))
            .map(|p| p.to_string())
            .collect();
        Ok(Board {
            organisation_id: organisation.to_string(),
            board_size,
            empty_seats: board_size.map_or(0, |size| (size - seated).max(0)),
            current,
            history,
            missing_positions,
        })
    }

    /// Associations whose board, on `day`, has an empty seat or nobody in a key position.
    pub fn vacancies(&self, day: Date) -> Result<Vec<Vacancy>> {
        let quoted = |kinds: &[&str]| {
            kinds
                .iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let kinds = quoted(ASSOCIATION_KINDS);
        let board = quoted(BOARD_ROLE_KINDS);
        let key = quoted(&KEY_POSITIONS);
        let sql = format!(
            "SELECT o.id, o.name, o.board_size,
                    (SELECT count(*) FROM role r WHERE r.organisation_id = o.id AND r.deleted = 0
                       AND r.kind IN ({board})
                       AND r.start_date <= ?1 AND (r.end_date IS NULL OR r.end_date >= ?1)),
                    (SELECT group_concat(DISTINCT r.kind) FROM role r
                       WHERE r.organisation_id = o.id AND r.deleted = 0
                       AND r.kind IN ({key})
                       AND r.start_date <= ?1 AND (r.end_date IS NULL OR r.end_date >= ?1))
             FROM organisation o
             WHERE o.deleted = 0 AND o.kind IN ({kinds})
             ORDER BY o.name, o.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([day.to_string()], |r| {
            let held: Option<String> = r.get(4)?;
            let held: Vec<String> = held
                .map(|h| h.split(',').map(str::to_owned).collect())
                .unwrap_or_default();
            let board_size: Option<i64> = r.get(2)?;
            let seated: i64 = r.get(3)?;
            Ok(Vacancy {
                organisation_id: r.get(0)?,
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                board_size,
                seated,
                empty_seats: board_size.map_or(0, |s| (s - seated).max(0)),
                missing_positions: KEY_POSITIONS
                    .iter()
                    .filter(|p| !held.iter().any(|h| h == *p))
                    .map(|p| p.to_string())
                    .collect(),
            })
        })?;
        let mut out = Vec::new();
        for vacancy in rows {
            let vacancy = vacancy?;
            if vacancy.empty_seats > 0 || !vacancy.missing_positions.is_empty() {
                out.push(vacancy);
            }
        }
        Ok(out)
    }
}
