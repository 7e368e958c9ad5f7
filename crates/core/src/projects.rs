//! Projects and agreements (kernovereenkomsten): a project's page with everything that happened
//! around it, an agreement as the document to sign, and the yearly overview for a kern's
//! associations of the projects and municipal plans that touch it.

use crate::error::{Error, Result};
use crate::schema::{Entity, AGREEMENT_PROJECTS_MAX};
use crate::store::Store;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// A project as documents and lists show it: its fields with the names of what it refers to.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ProjectView {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub areas: Vec<Named>,
    pub department: Option<Named>,
    pub department_contact: Option<Named>,
    pub participation_step: String,
    pub organisations: Vec<Named>,
    pub contacts: Vec<Named>,
    pub budget_cents: Option<i64>,
    pub status: String,
    pub agreement_id: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub milestones: Vec<MilestoneView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct MilestoneView {
    pub id: String,
    pub date: String,
    pub title: String,
    pub done_on: Option<String>,
}

/// Where something was discussed or found: a meeting's agenda item, or a visit's finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Mention {
    /// `agenda_item` or `finding`.
    pub kind: String,
    pub id: String,
    /// The meeting or visit it belongs to.
    pub parent_id: String,
    pub parent_title: String,
    /// When the meeting or visit started (UTC).
    pub starts_at: String,
    pub text: String,
}

/// A linked action point, briefly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct LinkedActionPoint {
    pub id: String,
    pub title: String,
    pub status: String,
    pub due_date: Option<String>,
    pub owner: Option<String>,
}

/// A project's page: the project, and everything that happened around it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ProjectPage {
    pub project: ProjectView,
    #[ts(type = "ProjectRecord")]
    pub record: Value,
    pub agreement: Option<Named>,
    pub action_points: Vec<LinkedActionPoint>,
    pub mentions: Vec<Mention>,
    /// Commitments from a werkkapitaal to this project, and what was paid against them.
    pub committed_cents: i64,
    pub spent_cents: i64,
}

/// An agreement with its projects: the page, and the document to sign.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AgreementPage {
    pub id: String,
    #[ts(type = "AgreementRecord")]
    pub record: Value,
    pub title: String,
    pub area: Named,
    /// `core` or `district`.
    pub area_kind: String,
    pub municipality: String,
    pub kernoverleg: Option<Named>,
    pub period_start: String,
    pub period_end: String,
    pub status: String,
    pub adopted_on: Option<String>,
    pub notes: Option<String>,
    pub projects: Vec<ProjectView>,
    /// More projects than an agreement should hold (the seeds: at most three or four).
    pub too_many_projects: bool,
    /// The agenda items where the agreement was discussed, with their meetings.
    pub discussed: Vec<Mention>,
    /// The sum of the projects' budgets.
    pub budget_cents: i64,
    /// Who signs: the kernoverleg's chair (if it has one now), and the alderman of the area.
    pub signatories: Vec<Signatory>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Signatory {
    /// "Namens het kernoverleg Schoorl".
    pub on_behalf_of: String,
    pub name: Option<String>,
    pub role: String,
}

/// The yearly overview for a kern's associations: the projects and municipal plans that touch
/// the kern in a year, with their planning and participation step.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct KernOverview {
    pub year: i64,
    pub kern: Named,
    pub municipality: String,
    /// Projects of the kern itself (in an agreement or not).
    pub projects: Vec<ProjectView>,
    /// Plans for a larger area (the whole municipality) that touch the kern too.
    pub plans: Vec<ProjectView>,
    /// The kern's agreements that run in the year.
    pub agreements: Vec<Named>,
}

impl Store {
    /// One project with the names of what it refers to and its milestones.
    pub fn project_view(&self, id: Uuid) -> Result<ProjectView> {
        let record = self.get_live(Entity::Project, id)?;
        self.project_view_of(&record)
    }

    fn project_view_of(&self, record: &Value) -> Result<ProjectView> {
        let text = |name: &str| record.get(name).and_then(Value::as_str).map(str::to_owned);
        let list = |name: &str| -> Vec<String> {
            record
                .get(name)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let id = text("id").unwrap_or_default();
        let names = |table: &str, ids: Vec<String>| -> Result<Vec<Named>> {
            ids.into_iter()
                .map(|id| self.named(table, &id))
                .collect::<Result<Vec<_>>>()
                .map(|v| v.into_iter().flatten().collect())
        };
        let mut milestones = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, date, coalesce(title, ''), done_on FROM milestone
                 WHERE project_id = ?1 AND deleted = 0 ORDER BY date, id",
            )?;
            let rows = stmt.query_map([&id], |r| {
                Ok(MilestoneView {
                    id: r.get(0)?,
                    date: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    title: r.get(2)?,
                    done_on: r.get(3)?,
                })
            })?;
            for row in rows {
                milestones.push(row?);
            }
        }
        Ok(ProjectView {
            title: text("title").unwrap_or_default(),
            description: text("description"),
            areas: names("area", list("area_ids"))?,
            department: match text("department_id") {
                Some(d) => self.named("organisation", &d)?,
                None => None,
            },
            department_contact: match text("department_contact_id") {
                Some(c) => self.named("contact", &c)?,
                None => None,
            },
            participation_step: text("participation_step").unwrap_or_default(),
            organisations: names("organisation", list("organisation_ids"))?,
            contacts: names("contact", list("contact_ids"))?,
            budget_cents: record.get("budget_cents").and_then(Value::as_i64),
            status: text("status").unwrap_or_default(),
            agreement_id: text("agreement_id"),
            start_date: text("start_date"),
            end_date: text("end_date"),
            milestones,
            id,
        })
    }

    /// The name of a live area, organisation or contact (the title of an agreement).
    fn named(&self, table: &str, id: &str) -> Result<Option<Named>> {
        let column = if table == "agreement" {
            "title"
        } else {
            "name"
        };
        let sql = format!("SELECT {column} FROM {table} WHERE id = ?1 AND deleted = 0");
        let name: Option<Option<String>> = {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query([id])?;
            match rows.next()? {
                Some(r) => Some(r.get(0)?),
                None => None,
            }
        };
        Ok(name.map(|name| Named {
            id: id.to_owned(),
            name: name.unwrap_or_default(),
        }))
    }

    /// A project's page: the project, its agreement, its action points, the agenda items and
    /// findings about it, and the money committed to it.
    pub fn project_page(&self, id: Uuid) -> Result<ProjectPage> {
        let record = self.get_live(Entity::Project, id)?;
        let project = self.project_view_of(&record)?;
        let id_text = id.to_string();
        let agreement = match &project.agreement_id {
            Some(a) => self.named("agreement", a)?,
            None => None,
        };
        let mut action_points = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT a.id, coalesce(a.title, ''), coalesce(a.status, ''), a.due_date, o.name
                 FROM action_point a LEFT JOIN organisation o ON o.id = a.owner_organisation_id
                 WHERE a.project_id = ?1 AND a.deleted = 0 ORDER BY a.opened_on, a.id",
            )?;
            let rows = stmt.query_map([&id_text], |r| {
                Ok(LinkedActionPoint {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    status: r.get(2)?,
                    due_date: r.get(3)?,
                    owner: r.get(4)?,
                })
            })?;
            for row in rows {
                action_points.push(row?);
            }
        }
        let mentions = self.mentions("project_id", &id_text, true)?;
        let (committed, spent): (i64, i64) = self.conn.query_row(
            "SELECT coalesce(sum(amount_cents), 0),
                    (SELECT coalesce(sum(p.amount_cents), 0) FROM payment p
                     JOIN commitment c ON c.id = p.commitment_id
                     WHERE c.project_id = ?1 AND c.deleted = 0 AND p.deleted = 0)
             FROM commitment WHERE project_id = ?1 AND deleted = 0",
            [&id_text],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(ProjectPage {
            project,
            record,
            agreement,
            action_points,
            mentions,
            committed_cents: committed,
            spent_cents: spent,
        })
    }

    /// Agenda items (and, with `findings`, visit findings) whose `field` is `id`, oldest first.
    fn mentions(&self, field: &str, id: &str, findings: bool) -> Result<Vec<Mention>> {
        let mut out = Vec::new();
        let sql = format!(
            "SELECT 'agenda_item', i.id, m.id, coalesce(m.title, ''), coalesce(m.starts_at, ''),
                    coalesce(i.title, '')
             FROM agenda_item i JOIN meeting m ON m.id = i.meeting_id
             WHERE i.{field} = ?1 AND i.deleted = 0 AND m.deleted = 0
             {}
             ORDER BY 5, 2",
            if findings {
                "UNION ALL
                 SELECT 'finding', f.id, v.id, coalesce(v.title, ''), coalesce(v.starts_at, ''),
                        coalesce(f.text, '')
                 FROM finding f JOIN visit v ON v.id = f.visit_id
                 WHERE f.project_id = ?1 AND f.deleted = 0 AND v.deleted = 0"
            } else {
                ""
            }
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([id], |r| {
            Ok(Mention {
                kind: r.get(0)?,
                id: r.get(1)?,
                parent_id: r.get(2)?,
                parent_title: r.get(3)?,
                starts_at: r.get(4)?,
                text: r.get(5)?,
            })
        })?;
        for row in rows {
            out.push(row?);
        }
        Ok(out)
    }

    /// An agreement with its projects and where it was discussed: the page, and what the
    /// printed agreement holds.
    pub fn agreement_page(&self, id: Uuid) -> Result<AgreementPage> {
        let record = self.get_live(Entity::Agreement, id)?;
        let text = |name: &str| record.get(name).and_then(Value::as_str).map(str::to_owned);
        let id_text = id.to_string();
        let area_id = text("area_id").unwrap_or_default();
        let area = self
            .named("area", &area_id)?
            .ok_or_else(|| Error::StoredData(format!("agreement {id}: its area is gone")))?;
        let areas = self.area_index()?;
        let area_kind = areas
            .get(&area_id)
            .map(|a| a.kind.clone())
            .unwrap_or_default();
        let municipality = areas
            .municipality_of(&area_id)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        let kernoverleg = match text("kernoverleg_id") {
            Some(k) => self.named("organisation", &k)?,
            None => None,
        };
        let mut projects = Vec::new();
        {
            let sql = format!(
                "{} WHERE agreement_id = ?1 AND deleted = 0 ORDER BY local_seq",
                crate::row::select_sql(Entity::Project)
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query([&id_text])?;
            let mut records = Vec::new();
            while let Some(r) = rows.next()? {
                let pid: String = r.get(crate::row::id_column(Entity::Project))?;
                let stored = crate::row::from_select(Entity::Project, r)?;
                records.push(crate::row::to_json(&pid, &stored));
            }
            for record in &records {
                projects.push(self.project_view_of(record)?);
            }
        }
        let discussed = self.mentions("agreement_id", &id_text, false)?;
        let mut signatories = Vec::new();
        if let Some(k) = &kernoverleg {
            let chair: Option<String> = {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT c.name FROM role r JOIN contact c ON c.id = r.contact_id
                     WHERE r.organisation_id = ?1 AND r.deleted = 0 AND r.kind = 'chair'
                       AND r.start_date <= ?2 AND (r.end_date IS NULL OR r.end_date >= ?2)
                     ORDER BY r.start_date DESC LIMIT 1",
                )?;
                let mut rows = stmt.query((&k.id, crate::today().to_string()))?;
                match rows.next()? {
                    Some(r) => r.get(0)?,
                    None => None,
                }
            };
            signatories.push(Signatory {
                on_behalf_of: format!("Namens {}", k.name),
                name: chair,
                role: "Voorzitter".into(),
            });
        }
        let alderman: Option<String> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT c.name FROM role r JOIN contact c ON c.id = r.contact_id
                 WHERE r.deleted = 0 AND r.kind = 'alderman'
                   AND (r.end_date IS NULL OR r.end_date >= ?1)
                 ORDER BY r.start_date DESC LIMIT 1",
            )?;
            let mut rows = stmt.query([crate::today().to_string()])?;
            match rows.next()? {
                Some(r) => r.get(0)?,
                None => None,
            }
        };
        signatories.push(Signatory {
            on_behalf_of: format!("Namens het college van {municipality}"),
            name: alderman,
            role: "Wijkwethouder".into(),
        });
        Ok(AgreementPage {
            id: id_text,
            title: text("title").unwrap_or_default(),
            area,
            area_kind,
            municipality,
            kernoverleg,
            period_start: text("period_start").unwrap_or_default(),
            period_end: text("period_end").unwrap_or_default(),
            status: text("status").unwrap_or_default(),
            adopted_on: text("adopted_on"),
            notes: text("notes"),
            too_many_projects: projects.len() > AGREEMENT_PROJECTS_MAX,
            budget_cents: projects.iter().filter_map(|p| p.budget_cents).sum(),
            projects,
            discussed,
            signatories,
            record,
        })
    }

    /// The projects and plans that touch a kern in `year`, for its associations.
    pub fn kern_overview(&self, kern_id: &str, year: i64) -> Result<KernOverview> {
        let areas = self.area_index()?;
        let kern = areas
            .get(kern_id)
            .ok_or_else(|| Error::BadRequest(format!("there is no area {kern_id}")))?
            .clone();
        let (start, end) = (format!("{year}-01-01"), format!("{year}-12-31"));
        let sql = format!(
            "{} WHERE deleted = 0 AND (start_date IS NULL OR start_date <= ?2)
               AND (end_date IS NULL OR end_date >= ?1) AND status <> 'vervallen'
             ORDER BY coalesce(start_date, ''), title COLLATE NOCASE, id",
            crate::row::select_sql(Entity::Project)
        );
        let mut records = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query((&start, &end))?;
            while let Some(r) = rows.next()? {
                let pid: String = r.get(crate::row::id_column(Entity::Project))?;
                let stored = crate::row::from_select(Entity::Project, r)?;
                records.push(crate::row::to_json(&pid, &stored));
            }
        }
        let (mut projects, mut plans) = (Vec::new(), Vec::new());
        for record in &records {
            let area_ids: Vec<String> = record
                .get("area_ids")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let inside = area_ids.iter().any(|a| areas.is_within(a, &kern.id));
            let above = area_ids
                .iter()
                .any(|a| *a != kern.id && areas.is_within(&kern.id, a));
            if inside {
                projects.push(self.project_view_of(record)?);
            } else if above {
                plans.push(self.project_view_of(record)?);
            }
        }
        let mut agreements = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, coalesce(title, ''), area_id FROM agreement WHERE deleted = 0
                   AND period_start <= ?2 AND period_end >= ?1 ORDER BY period_start, id",
            )?;
            let rows = stmt.query_map((&start, &end), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?;
            for row in rows {
                let (id, title, area) = row?;
                if area.is_some_and(|a| areas.is_within(&a, &kern.id)) {
                    agreements.push(Named { id, name: title });
                }
            }
        }
        Ok(KernOverview {
            year,
            municipality: areas
                .municipality_of(&kern.id)
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            kern: Named {
                id: kern.id.clone(),
                name: kern.name.clone(),
            },
            projects,
            plans,
            agreements,
        })
    }
}

/// A project in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ProjectRow {
    pub id: String,
    pub title: String,
    pub status: String,
    pub participation_step: String,
    pub department: Option<String>,
    pub areas: Vec<String>,
    pub agreement_id: Option<String>,
    pub agreement: Option<String>,
    pub budget_cents: Option<i64>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// Milestones not done whose date has passed.
    pub milestones_late: i64,
}

/// An agreement in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AgreementRow {
    pub id: String,
    pub title: String,
    pub area_id: String,
    pub area: String,
    pub status: String,
    pub period_start: String,
    pub period_end: String,
    pub adopted_on: Option<String>,
    pub projects: i64,
    pub too_many_projects: bool,
    pub budget_cents: i64,
}

/// The most rows a project or agreement list returns (a municipality has tens to hundreds).
pub const LIST_MAX: usize = 2_000;

impl Store {
    /// Projects touching `area_id` (inside it, or plans for an area it lies in), or all, by
    /// status (`None`: every status), newest period first.
    pub fn project_rows(
        &self,
        area_id: Option<&str>,
        status: Option<&str>,
        today: jiff::civil::Date,
    ) -> Result<Vec<ProjectRow>> {
        let areas = self.area_index()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, coalesce(p.title, ''), coalesce(p.status, ''),
                    coalesce(p.participation_step, ''), d.name, coalesce(p.area_ids, '[]'),
                    p.agreement_id, a.title, p.budget_cents, p.start_date, p.end_date,
                    (SELECT count(*) FROM milestone m WHERE m.project_id = p.id AND m.deleted = 0
                       AND m.done_on IS NULL AND m.date < ?2)
             FROM project p
             LEFT JOIN organisation d ON d.id = p.department_id
             LEFT JOIN agreement a ON a.id = p.agreement_id AND a.deleted = 0
             WHERE p.deleted = 0 AND (?1 IS NULL OR p.status = ?1)
             ORDER BY coalesce(p.start_date, '9999') DESC, p.title COLLATE NOCASE, p.id",
        )?;
        let rows = stmt.query_map((status, today.to_string()), |r| {
            Ok((
                ProjectRow {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    status: r.get(2)?,
                    participation_step: r.get(3)?,
                    department: r.get(4)?,
                    areas: Vec::new(),
                    agreement_id: r.get(6)?,
                    agreement: r.get(7)?,
                    budget_cents: r.get(8)?,
                    start_date: r.get(9)?,
                    end_date: r.get(10)?,
                    milestones_late: r.get(11)?,
                },
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut row, area_ids) = row?;
            let area_ids: Vec<String> = serde_json::from_str(&area_ids).unwrap_or_default();
            if let Some(scope) = area_id {
                let touches = area_ids
                    .iter()
                    .any(|a| areas.is_within(a, scope) || areas.is_within(scope, a));
                if !touches {
                    continue;
                }
            }
            row.areas = area_ids
                .iter()
                .filter_map(|a| areas.get(a))
                .map(|a| a.name.clone())
                .collect();
            out.push(row);
            if out.len() >= LIST_MAX {
                break;
            }
        }
        Ok(out)
    }

    /// Agreements, newest period first.
    pub fn agreement_rows(&self) -> Result<Vec<AgreementRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT g.id, coalesce(g.title, ''), coalesce(g.area_id, ''), coalesce(a.name, ''),
                    coalesce(g.status, ''), coalesce(g.period_start, ''), coalesce(g.period_end, ''),
                    g.adopted_on,
                    (SELECT count(*) FROM project p WHERE p.agreement_id = g.id AND p.deleted = 0),
                    (SELECT coalesce(sum(p.budget_cents), 0) FROM project p
                      WHERE p.agreement_id = g.id AND p.deleted = 0)
             FROM agreement g LEFT JOIN area a ON a.id = g.area_id
             WHERE g.deleted = 0 ORDER BY g.period_start DESC, a.name COLLATE NOCASE, g.id
             LIMIT ?1",
        )?;
        let rows = stmt.query_map([LIST_MAX as i64], |r| {
            let projects: i64 = r.get(8)?;
            Ok(AgreementRow {
                id: r.get(0)?,
                title: r.get(1)?,
                area_id: r.get(2)?,
                area: r.get(3)?,
                status: r.get(4)?,
                period_start: r.get(5)?,
                period_end: r.get(6)?,
                adopted_on: r.get(7)?,
                projects,
                too_many_projects: projects > AGREEMENT_PROJECTS_MAX as i64,
                budget_cents: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
