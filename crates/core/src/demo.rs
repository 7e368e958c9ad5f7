//! The demo municipality: Bergen (NH) with its eight kernen, invented people, a year of meetings,
//! kernbezoeken and action points around a reference date.
//!
//! The facts are hand-written, in Dutch, in `assets/demo/bergen.json`; this module reads them and
//! expands them into one batch for [`Store::write`], so the demo is loaded completely or not at
//! all. Invariants:
//! - every date is relative to the reference date: the demo always has overdue action points,
//!   meetings held with minutes, and meetings still to come, whatever day it is loaded;
//! - the same asset and reference date always give the same records: ids are UUIDv5 of stable
//!   names, and every "random" choice (who was absent, who declined) is a hash of names;
//! - meetings and visits before the reference date are held (or cancelled), the ones on or after it
//!   are planned; action points only come from what was held, and their whole status history
//!   (written here, so the write path adds none) lies before the reference date and ends in the
//!   status the action point has;
//! - kernovereenkomsten, projects and their milestones are relative to the reference date too
//!   (a milestone done in the past, on time or late; others still to come); the werkkapitaal's
//!   bookings are dated by month and day inside their budget's year, and never after the
//!   reference date (a booking that would be is dated on it).

use crate::error::{Error, Result};
use crate::schema::{
    Entity, ACTION_POINT_OPEN_STATUSES, ACTION_POINT_STATUSES, ASSOCIATION_KINDS, BOARD_ROLE_KINDS,
};
use crate::store::Store;
use crate::write::{pair_id, Fields, Write};
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::Span;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// The demo data: Bergen (NH).
pub const BERGEN: &str = include_str!("../../../assets/demo/bergen.json");

/// The name from which every demo id is derived.
const NAMESPACE_NAME: &str = "https://wijkwerk.example/demo/bergen";

/// Visits starting within this many days of the reference date are confirmed; later ones planned.
const CONFIRMED_WITHIN_DAYS: i64 = 45;

/// What the demo put in the store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    /// The day the demo was built around (`YYYY-MM-DD`).
    pub reference_date: String,
    pub areas: usize,
    pub kernen: usize,
    pub wijken: usize,
    /// Inhabitants of the municipality (the sum of its wijken).
    pub inhabitants: i64,
    pub organisations: usize,
    pub associations: usize,
    pub contacts: usize,
    pub roles: usize,
    pub meetings: usize,
    pub meetings_held: usize,
    pub meetings_planned: usize,
    pub meetings_cancelled: usize,
    pub agenda_items: usize,
    pub attendance: usize,
    pub visits: usize,
    pub visits_held: usize,
    pub stops: usize,
    pub invitees: usize,
    pub findings: usize,
    pub action_points: usize,
    pub action_point_events: usize,
    /// Action points still to be done whose due date lies before the reference date.
    pub action_points_overdue: usize,
    /// Action points done after their due date.
    pub action_points_done_late: usize,
    /// Kernovereenkomsten.
    pub agreements: usize,
    /// Projects, in agreements and outside them (municipal plans).
    pub projects: usize,
    pub milestones: usize,
    /// Milestones done (before the reference date).
    pub milestones_done: usize,
    /// Milestones done after their date.
    pub milestones_done_late: usize,
    /// Werkkapitalen (one per year).
    pub budgets: usize,
    pub budget_adjustments: usize,
    pub commitments: usize,
    pub payments: usize,
}

/// Loads the demo municipality (Bergen) into an empty store, around `reference` (usually today).
pub fn load_demo(store: &mut Store, reference: Date) -> Result<DemoSummary> {
    load_demo_from(store, BERGEN, reference)
}

/// Loads a demo municipality described by `asset` (the format of `assets/demo/bergen.json`) into
/// an empty store, in one write: everything or nothing.
pub fn load_demo_from(store: &mut Store, asset: &str, reference: Date) -> Result<DemoSummary> {
    // Tombstones count too: the demo's ids would collide with those of an earlier demo.
    let areas: i64 = store
        .conn
        .query_row("SELECT count(*) FROM area", [], |r| r.get(0))?;
    if areas > 0 {
        return Err(Error::BadRequest(
            "the store already holds areas; the demo municipality can only be loaded into an \
             empty store"
                .into(),
        ));
    }
    let (batch, summary) = demo_writes(asset, reference)?;
    // Marked first: a store that may hold the demo never syncs (see `Store::is_demo`).
    store.mark_demo()?;
    store.write(batch)?;
    Ok(summary)
}

/// The `meta` key that marks a store holding a demo municipality.
const DEMO_KEY: &str = "demo";

impl Store {
    /// Marks this store as holding a demo municipality: its fictional records must never reach a
    /// municipality's server, so a sync round refuses it ([`crate::sync::SyncError::DemoStore`]).
    pub fn mark_demo(&mut self) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, 'yes')",
            [DEMO_KEY],
        )?;
        Ok(())
    }

    /// Whether this store holds a demo municipality that may not be synced.
    pub fn is_demo(&self) -> Result<bool> {
        let value: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [DEMO_KEY], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(value.as_deref() == Some("yes"))
    }

    /// Lets a demo store sync after all: for a training or test server that is meant to hold
    /// the demo municipality, never for a municipality's own.
    pub fn allow_demo_sync(&mut self) -> Result<()> {
        self.conn.execute(
            "UPDATE meta SET value = 'training server' WHERE key = ?1",
            [DEMO_KEY],
        )?;
        Ok(())
    }
}

/// The writes that make up the demo, parents before children, and what they hold. Touches no
/// store; the write path still checks every record when the batch is written.
pub fn demo_writes(asset: &str, reference: Date) -> Result<(Vec<Write>, DemoSummary)> {
    let asset: Asset = serde_json::from_str(asset).map_err(|e| bad(format!("{e}")))?;
    let mut builder = Builder::new(&asset, reference)?;
    builder.areas()?;
    builder.people_and_organisations()?;
    builder.agreements_and_projects()?;
    builder.meetings()?;
    builder.visits()?;
    builder.standalone_action_points()?;
    builder.budgets()?;
    Ok(builder.finish())
}

fn bad(message: impl std::fmt::Display) -> Error {
    Error::BadRequest(format!("the demo data is not valid: {message}"))
}

// ---------------------------------------------------------------------------------------------
// The asset's format.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Asset {
    #[serde(rename = "_about", default)]
    _about: Option<String>,
    time_zone: String,
    /// The alderman who joins every kernoverleg.
    wijkwethouder: String,
    /// E-mail domain of residents (people whose organisations have no `people_domain`).
    resident_email_domain: String,
    municipality: AssetMunicipality,
    kernen: Vec<AssetKern>,
    people: Vec<AssetPerson>,
    organisations: Vec<AssetOrganisation>,
    #[serde(default)]
    agenda_templates: BTreeMap<String, AgendaTemplate>,
    #[serde(default)]
    meetings: Vec<AssetMeeting>,
    #[serde(default)]
    visits: Vec<AssetVisit>,
    /// Action points that come from a phone call or an e-mail, not from a meeting or visit.
    #[serde(default)]
    action_points: Vec<AssetAction>,
    /// Kernovereenkomsten, each with its projects.
    #[serde(default)]
    agreements: Vec<AssetAgreement>,
    /// Projects outside an agreement: municipal plans for a larger area.
    #[serde(default)]
    projects: Vec<AssetProject>,
    /// The werkkapitaal, one per year.
    #[serde(default)]
    budgets: Vec<AssetBudget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetMunicipality {
    key: String,
    name: String,
    cbs_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetKern {
    key: String,
    name: String,
    cbs_code: Option<String>,
    /// Where meetings in the kern are held unless told otherwise.
    venue: String,
    /// The wijkcoördinator of the kern (a person).
    coordinator: String,
    /// Partners invited to the kernoverleg (those holding a role on the day).
    #[serde(default)]
    partners: Vec<String>,
    wijken: Vec<AssetWijk>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetWijk {
    key: String,
    name: String,
    inhabitants: i64,
    cbs_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AssetPerson {
    Name(String),
    Details(AssetPersonDetails),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetPersonDetails {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
    /// The legal basis (AVG), else by the first organisation: a partner's people
    /// `gerechtvaardigd_belang`, everyone else `publieke_taak`.
    legal_basis: Option<String>,
    /// With `toestemming`: the day consent was given, in days from the reference.
    consent_day: Option<i64>,
    /// Where the data came from (else "eigen invoer").
    source: Option<String>,
}

impl AssetPerson {
    fn name(&self) -> &str {
        match self {
            AssetPerson::Name(name) => name,
            AssetPerson::Details(details) => &details.name,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetOrganisation {
    key: String,
    name: String,
    kind: String,
    #[serde(default)]
    areas: Vec<String>,
    email: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    board_size: Option<i64>,
    notes: Option<String>,
    /// Where the organisation meets, if not at the kern's venue.
    venue: Option<String>,
    /// E-mail domain of the people working there.
    people_domain: Option<String>,
    #[serde(default)]
    roles: Vec<AssetRole>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetRole {
    person: String,
    kind: String,
    title: Option<String>,
    /// The wijk a kernoverleg representative speaks for.
    represents: Option<String>,
    /// Months from the reference date (the role starts on the first of that month).
    from: i64,
    /// Months from the reference date (the role ends the day before the first of that month).
    until: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgendaTemplate {
    #[serde(default)]
    before: Vec<AssetItem>,
    #[serde(default)]
    after: Vec<AssetItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetMeeting {
    organisation: String,
    kind: String,
    title: Option<String>,
    /// Days from the reference date.
    day: i64,
    /// Dutch weekday (`ma` .. `zo`): the date moves forward to the first such day.
    weekday: Option<String>,
    start: String,
    end: String,
    location: Option<String>,
    area: Option<String>,
    notes: Option<String>,
    #[serde(default)]
    cancelled: bool,
    #[serde(default)]
    items: Vec<AssetItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetItem {
    title: String,
    description: Option<String>,
    minutes: Option<String>,
    decision: Option<String>,
    submitted_by: Option<String>,
    /// The key of the agreement the item is about.
    agreement: Option<String>,
    /// The key of the project the item is about.
    project: Option<String>,
    #[serde(default)]
    actions: Vec<AssetAction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetVisit {
    kern: String,
    title: Option<String>,
    day: i64,
    weekday: Option<String>,
    start: String,
    end: String,
    location: Option<String>,
    notes: Option<String>,
    #[serde(default)]
    stops: Vec<AssetStop>,
    #[serde(default)]
    invitees: Vec<String>,
    #[serde(default)]
    findings: Vec<AssetFinding>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetStop {
    place: String,
    arrives_at: Option<String>,
    topic: Option<String>,
    notes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetFinding {
    /// Index of the stop in the visit's route.
    stop: Option<usize>,
    text: String,
    /// The key of the project the finding is about.
    project: Option<String>,
    #[serde(default)]
    actions: Vec<AssetAction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetAction {
    title: String,
    description: Option<String>,
    /// Days from the reference date; only for action points outside meetings and visits.
    opened: Option<i64>,
    /// How the request came in (the first history entry's comment).
    via: Option<String>,
    area: Option<String>,
    requester: Option<String>,
    requester_person: Option<String>,
    owner: Option<String>,
    owner_person: Option<String>,
    /// Days after opening.
    due: Option<i64>,
    /// The key of the project the action point belongs to.
    project: Option<String>,
    #[serde(default)]
    steps: Vec<AssetStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetStep {
    /// Days after opening.
    after: i64,
    /// The new status; without one the step is a comment.
    to: Option<String>,
    comment: Option<String>,
    /// Who wrote it (default: the owner, else the coordinator).
    by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetAgreement {
    key: String,
    /// The kern (or wijk) the agreement is for.
    area: String,
    kernoverleg: Option<String>,
    /// Default: `Kernovereenkomst {kern} {first year}–{last year}`.
    title: Option<String>,
    /// Months from the reference date: the period starts on the first of that month.
    from: i64,
    /// Months from the reference date: the period ends the day before the first of that month.
    until: i64,
    status: String,
    /// Days from the reference date (before it); needed unless the status is `concept`.
    adopted: Option<i64>,
    notes: Option<String>,
    #[serde(default)]
    projects: Vec<AssetProject>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetProject {
    key: String,
    title: String,
    description: Option<String>,
    /// Area keys; default: the agreement's area.
    #[serde(default)]
    areas: Vec<String>,
    /// An organisation of kind `department`.
    department: String,
    /// A person with a `department_contact` role in that department.
    department_contact: Option<String>,
    participation: String,
    /// Organisations involved (keys).
    #[serde(default)]
    organisations: Vec<String>,
    /// People involved (names).
    #[serde(default)]
    contacts: Vec<String>,
    budget_cents: Option<i64>,
    status: String,
    /// Days from the reference date.
    start: i64,
    /// Days from the reference date.
    end: i64,
    #[serde(default)]
    milestones: Vec<AssetMilestone>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetMilestone {
    /// Days from the reference date; inside the project's period.
    day: i64,
    title: String,
    /// Days after the milestone's date it was done (0 on time, more is late, less is early);
    /// without it the milestone is not done. Must fall before the reference date.
    done: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetBudget {
    /// Years from the reference date's year: 0 this year, -1 last year.
    year: i64,
    total_cents: i64,
    /// `MM-DD` in the budget's year; default (in the core) 1 October.
    check_date: Option<String>,
    notes: Option<String>,
    #[serde(default)]
    adjustments: Vec<AssetAdjustment>,
    #[serde(default)]
    commitments: Vec<AssetCommitment>,
    /// Payments without a commitment.
    #[serde(default)]
    payments: Vec<AssetPayment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetAdjustment {
    kernoverleg: String,
    amount_cents: i64,
    reason: String,
    /// `MM-DD` in the budget's year (see [`Builder::booking_date`]).
    date: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetCommitment {
    kernoverleg: String,
    /// The key of the project the money goes to ...
    project: Option<String>,
    /// ... or the residents' initiative.
    initiative: Option<String>,
    /// `MM-DD` in the budget's year.
    date: String,
    amount_cents: i64,
    description: String,
    /// Payments against this commitment.
    #[serde(default)]
    payments: Vec<AssetPayment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetPayment {
    /// Only for a payment without a commitment (else it is the commitment's).
    kernoverleg: Option<String>,
    /// `MM-DD` in the budget's year.
    date: String,
    amount_cents: i64,
    description: String,
}

// ---------------------------------------------------------------------------------------------
// Expanding the asset into writes.

struct OrgInfo<'a> {
    id: Uuid,
    asset: &'a AssetOrganisation,
    /// The kern the organisation works in, if it works in one.
    kern: Option<&'a AssetKern>,
    /// The area its meetings and action points belong to.
    area: Option<Uuid>,
}

struct RoleSpan<'a> {
    person: &'a str,
    organisation: &'a str,
    kind: &'a str,
    start: Date,
    end: Option<Date>,
}

impl RoleSpan<'_> {
    fn holds_on(&self, day: Date) -> bool {
        self.start <= day && self.end.is_none_or(|end| end >= day)
    }
}

/// Where an action point comes from and what it inherits from there.
struct ActionOrigin<'a> {
    /// Stable name from which the action point's id is derived.
    name: String,
    source: Option<(&'static str, Uuid)>,
    opened: Date,
    /// When the first history entry is written (the end of the meeting, the visit, ...).
    first_at: DateTime,
    area: Option<Uuid>,
    requester: Option<&'a str>,
    coordinator: &'a str,
}

struct Builder<'a> {
    asset: &'a Asset,
    reference: Date,
    zone: TimeZone,
    namespace: Uuid,
    writes: BTreeMap<Entity, Vec<Write>>,
    ids: HashSet<Uuid>,
    area_ids: HashMap<&'a str, Uuid>,
    /// For every area key, the kern it lies in (none for the municipality).
    area_kern: HashMap<&'a str, &'a AssetKern>,
    kernen: HashMap<&'a str, &'a AssetKern>,
    people: HashMap<&'a str, Uuid>,
    orgs: HashMap<&'a str, OrgInfo<'a>>,
    roles: Vec<RoleSpan<'a>>,
    agreements: HashMap<&'a str, Uuid>,
    projects: HashMap<&'a str, Uuid>,
    summary: DemoSummary,
}

impl<'a> Builder<'a> {
    fn new(asset: &'a Asset, reference: Date) -> Result<Builder<'a>> {
        let zone = TimeZone::get(&asset.time_zone)
            .map_err(|_| bad(format!("unknown time zone {:?}", asset.time_zone)))?;
        Ok(Builder {
            asset,
            reference,
            zone,
            namespace: Uuid::new_v5(&Uuid::NAMESPACE_URL, NAMESPACE_NAME.as_bytes()),
            writes: BTreeMap::new(),
            ids: HashSet::new(),
            area_ids: HashMap::new(),
            area_kern: HashMap::new(),
            kernen: HashMap::new(),
            people: HashMap::new(),
            orgs: HashMap::new(),
            roles: Vec::new(),
            agreements: HashMap::new(),
            projects: HashMap::new(),
            summary: DemoSummary {
                reference_date: reference.to_string(),
                ..DemoSummary::default()
            },
        })
    }

    fn finish(self) -> (Vec<Write>, DemoSummary) {
        let mut summary = self.summary;
        let mut writes = self.writes;
        let count = |e: Entity| writes.get(&e).map_or(0, Vec::len);
        summary.areas = count(Entity::Area);
        summary.organisations = count(Entity::Organisation);
        summary.contacts = count(Entity::Contact);
        summary.roles = count(Entity::Role);
        summary.meetings = count(Entity::Meeting);
        summary.agenda_items = count(Entity::AgendaItem);
        summary.attendance = count(Entity::Attendance);
        summary.visits = count(Entity::Visit);
        summary.stops = count(Entity::Stop);
        summary.invitees = count(Entity::Invitee);
        summary.findings = count(Entity::Finding);
        summary.action_points = count(Entity::ActionPoint);
        summary.action_point_events = count(Entity::ActionPointEvent);
        summary.agreements = count(Entity::Agreement);
        summary.projects = count(Entity::Project);
        summary.milestones = count(Entity::Milestone);
        summary.budgets = count(Entity::Budget);
        summary.budget_adjustments = count(Entity::BudgetAdjustment);
        summary.commitments = count(Entity::Commitment);
        summary.payments = count(Entity::Payment);
        // Parents before children, the order the write path needs: agreements, projects and
        // the werkkapitaal refer only to areas, organisations and people, while agenda items,
        // findings and action points may refer to projects; so they come right after the roles,
        // and the rest in the order of `Entity::ALL`.
        let first = [
            Entity::Area,
            Entity::Organisation,
            Entity::Contact,
            Entity::Role,
            Entity::Agreement,
            Entity::Project,
            Entity::Milestone,
            Entity::Budget,
            Entity::BudgetAdjustment,
            Entity::Commitment,
            Entity::Payment,
        ];
        let mut batch = Vec::new();
        for entity in first.into_iter().chain(Entity::ALL) {
            if let Some(group) = writes.remove(&entity) {
                batch.extend(group);
            }
        }
        (batch, summary)
    }

    /// Adds a new record whose id is derived from `name`.
    fn push(&mut self, entity: Entity, name: &str, fields: Fields) -> Result<Uuid> {
        let id = Uuid::new_v5(&self.namespace, format!("{entity}/{name}").as_bytes());
        self.push_with_id(entity, id, name, fields)?;
        Ok(id)
    }

    fn push_with_id(&mut self, entity: Entity, id: Uuid, name: &str, fields: Fields) -> Result<()> {
        if !self.ids.insert(id) {
            return Err(bad(format!(
                "two {entity} records are both called {name:?}"
            )));
        }
        self.writes.entry(entity).or_default().push(Write {
            entity,
            id,
            op: crate::write::Op::Create(fields),
        });
        Ok(())
    }

    /// Adds the record linking two others (attendance, invitation), once per pair.
    fn push_pair(&mut self, entity: Entity, a: Uuid, b: Uuid, fields: Fields) -> Result<bool> {
        let id = pair_id(entity, &a.to_string(), &b.to_string());
        if self.ids.contains(&id) {
            return Ok(false);
        }
        self.push_with_id(entity, id, &format!("{a}/{b}"), fields)?;
        Ok(true)
    }

    // -- lookups ---------------------------------------------------------------------------

    fn area(&self, key: &str) -> Result<Uuid> {
        self.area_ids
            .get(key)
            .copied()
            .ok_or_else(|| bad(format!("unknown area {key:?}")))
    }

    fn person(&self, name: &str) -> Result<Uuid> {
        self.people
            .get(name)
            .copied()
            .ok_or_else(|| bad(format!("unknown person {name:?}")))
    }

    fn org(&self, key: &str) -> Result<&OrgInfo<'a>> {
        self.orgs
            .get(key)
            .ok_or_else(|| bad(format!("unknown organisation {key:?}")))
    }

    fn project(&self, key: &str) -> Result<Uuid> {
        self.projects
            .get(key)
            .copied()
            .ok_or_else(|| bad(format!("unknown project {key:?}")))
    }

    fn project_value(&self, key: Option<&str>) -> Result<Value> {
        Ok(match key {
            Some(key) => self.project(key)?.to_string().into(),
            None => Value::Null,
        })
    }

    /// An organisation that must be a kernoverleg.
    fn kernoverleg(&self, key: &str) -> Result<Uuid> {
        let org = self.org(key)?;
        if org.asset.kind != "kernoverleg" {
            return Err(bad(format!("{key:?} is not a kernoverleg")));
        }
        Ok(org.id)
    }

    /// The name of a kern or wijk.
    fn area_name(&self, key: &str) -> Result<&'a str> {
        let asset = self.asset;
        if key == asset.municipality.key {
            return Ok(&asset.municipality.name);
        }
        for kern in &asset.kernen {
            if kern.key == key {
                return Ok(&kern.name);
            }
            if let Some(wijk) = kern.wijken.iter().find(|w| w.key == key) {
                return Ok(&wijk.name);
            }
        }
        Err(bad(format!("unknown area {key:?}")))
    }

    fn kern(&self, key: &str) -> Result<&'a AssetKern> {
        self.kernen
            .get(key)
            .copied()
            .ok_or_else(|| bad(format!("unknown kern {key:?}")))
    }

    /// Whether the person holds any role on `day`.
    fn active_on(&self, person: &str, day: Date) -> bool {
        self.roles
            .iter()
            .any(|r| r.person == person && r.holds_on(day))
    }

    /// The people holding one of `kinds` in the organisation on `day`, in role order.
    fn holders(&self, organisation: &str, kinds: &[&str], day: Date) -> Vec<&'a str> {
        let mut found: Vec<&'a str> = Vec::new();
        for kind in kinds {
            for role in &self.roles {
                if role.organisation == organisation
                    && role.kind == *kind
                    && role.holds_on(day)
                    && !found.contains(&role.person)
                {
                    found.push(role.person);
                }
            }
        }
        found
    }

    // -- dates and times -------------------------------------------------------------------

    /// The date `offset` days from the reference, moved forward to `weekday` if given.
    fn day(&self, offset: i64, weekday: Option<&str>) -> Result<Date> {
        let span = Span::new().try_days(offset).map_err(bad)?;
        let date = self.reference.checked_add(span).map_err(bad)?;
        let Some(weekday) = weekday else {
            return Ok(date);
        };
        let wanted = dutch_weekday(weekday)?;
        let ahead =
            i64::from(wanted.to_monday_zero_offset() - date.weekday().to_monday_zero_offset())
                .rem_euclid(7);
        date.checked_add(Span::new().days(ahead)).map_err(bad)
    }

    /// The first of the month `offset` months from the reference.
    fn month(&self, offset: i64) -> Result<Date> {
        let span = Span::new().try_months(offset).map_err(bad)?;
        Ok(self
            .reference
            .first_of_month()
            .checked_add(span)
            .map_err(bad)?
            .first_of_month())
    }

    /// A local date and time as the write path reads it in the record's zone (`2026-03-10T19:30`).
    fn local(&self, date: Date, time: &str) -> Result<(DateTime, String)> {
        let time: Time = time
            .parse()
            .map_err(|e| bad(format!("time {time:?}: {e}")))?;
        let at = date.to_datetime(time);
        Ok((
            at,
            format!("{date}T{:02}:{:02}", time.hour(), time.minute()),
        ))
    }

    /// An instant in UTC, for fields without a time zone of their own.
    fn instant(&self, at: DateTime) -> Result<String> {
        let zoned = at.to_zoned(self.zone.clone()).map_err(bad)?;
        Ok(zoned.timestamp().to_string())
    }

    /// Fills the placeholders of a text; an unknown placeholder is an error in the data.
    fn fill(&self, text: &str, vars: &[(&str, &str)]) -> Result<String> {
        let mut out = text.to_owned();
        for (name, value) in vars {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        if let Some(start) = out.find('{') {
            let rest: String = out[start..].chars().take(30).collect();
            return Err(bad(format!("unknown placeholder in {rest:?}")));
        }
        Ok(out)
    }

    fn fill_opt(&self, text: Option<&String>, vars: &[(&str, &str)]) -> Result<Value> {
        Ok(match text {
            Some(text) => self.fill(text, vars)?.into(),
            None => Value::Null,
        })
    }

    // -- areas -----------------------------------------------------------------------------

    fn areas(&mut self) -> Result<()> {
        let asset = self.asset;
        let municipality = &asset.municipality;
        let mut total = 0i64;
        for kern in &asset.kernen {
            for wijk in &kern.wijken {
                total = total
                    .checked_add(wijk.inhabitants)
                    .ok_or_else(|| bad("too many inhabitants"))?;
            }
        }
        let municipality_id = self.push(
            Entity::Area,
            &municipality.key,
            fields(vec![
                ("name", municipality.name.as_str().into()),
                ("kind", "municipality".into()),
                ("inhabitants", total.into()),
                ("cbs_code", opt(&municipality.cbs_code)),
            ]),
        )?;
        self.area_ids.insert(&municipality.key, municipality_id);
        self.summary.inhabitants = total;
        for kern in &asset.kernen {
            let inhabitants: i64 = kern.wijken.iter().map(|w| w.inhabitants).sum();
            let kern_id = self.push(
                Entity::Area,
                &kern.key,
                fields(vec![
                    ("name", kern.name.as_str().into()),
                    ("kind", "core".into()),
                    ("parent_id", municipality_id.to_string().into()),
                    ("inhabitants", inhabitants.into()),
                    ("cbs_code", opt(&kern.cbs_code)),
                ]),
            )?;
            self.summary.kernen += 1;
            self.area_ids.insert(&kern.key, kern_id);
            self.area_kern.insert(&kern.key, kern);
            self.kernen.insert(&kern.key, kern);
            for wijk in &kern.wijken {
                let wijk_id = self.push(
                    Entity::Area,
                    &wijk.key,
                    fields(vec![
                        ("name", wijk.name.as_str().into()),
                        ("kind", "district".into()),
                        ("parent_id", kern_id.to_string().into()),
                        ("inhabitants", wijk.inhabitants.into()),
                        ("cbs_code", opt(&wijk.cbs_code)),
                    ]),
                )?;
                self.summary.wijken += 1;
                self.area_ids.insert(&wijk.key, wijk_id);
                self.area_kern.insert(&wijk.key, kern);
            }
        }
        Ok(())
    }

    // -- people, organisations, roles ------------------------------------------------------

    fn people_and_organisations(&mut self) -> Result<()> {
        let asset = self.asset;
        // A person's e-mail domain is that of the first organisation they work for.
        let mut domains: HashMap<&str, &str> = HashMap::new();
        // The legal basis follows from the first organisation too (docs/avg.md): partners'
        // people are held on a legitimate interest, the rest for the public task.
        let mut bases: HashMap<&str, &str> = HashMap::new();
        for org in &asset.organisations {
            for role in &org.roles {
                let domain = org
                    .people_domain
                    .as_deref()
                    .unwrap_or(&asset.resident_email_domain);
                domains.entry(role.person.as_str()).or_insert(domain);
                let basis = match org.kind.as_str() {
                    "housing_corporation" | "welfare" | "care" | "other_partner" => {
                        "gerechtvaardigd_belang"
                    }
                    _ => "publieke_taak",
                };
                bases.entry(role.person.as_str()).or_insert(basis);
            }
        }
        for person in &asset.people {
            let name = person.name();
            let Some(domain) = domains.get(name) else {
                return Err(bad(format!("{name:?} holds no role in any organisation")));
            };
            let (email, phone, notes) = match person {
                AssetPerson::Name(_) => (None, None, None),
                AssetPerson::Details(d) => (d.email.clone(), d.phone.clone(), d.notes.clone()),
            };
            let (basis, consent_day, source) = match person {
                AssetPerson::Name(_) => (None, None, None),
                AssetPerson::Details(d) => (d.legal_basis.clone(), d.consent_day, d.source.clone()),
            };
            let basis = basis.unwrap_or_else(|| {
                bases
                    .get(name)
                    .copied()
                    .unwrap_or("publieke_taak")
                    .to_owned()
            });
            let consent_date = match consent_day {
                Some(offset) => Value::from(self.day(offset, None)?.to_string()),
                None => Value::Null,
            };
            let source = source.unwrap_or_else(|| crate::privacy::SOURCE_OWN_ENTRY.to_owned());
            let email = email.unwrap_or_else(|| format!("{}@{domain}", email_local_part(name)));
            let id = self.push(
                Entity::Contact,
                name,
                fields(vec![
                    ("name", name.into()),
                    ("email", email.into()),
                    ("phone", opt(&phone)),
                    ("notes", opt(&notes)),
                    ("legal_basis", basis.into()),
                    ("consent_date", consent_date),
                    ("source", source.into()),
                ]),
            )?;
            self.people.insert(name, id);
        }
        for org in &asset.organisations {
            let mut area_ids = Vec::with_capacity(org.areas.len());
            for key in &org.areas {
                area_ids.push(Value::from(self.area(key)?.to_string()));
            }
            let id = self.push(
                Entity::Organisation,
                &org.key,
                fields(vec![
                    ("name", org.name.as_str().into()),
                    ("kind", org.kind.as_str().into()),
                    ("area_ids", Value::Array(area_ids)),
                    ("email", opt(&org.email)),
                    ("phone", opt(&org.phone)),
                    ("website", opt(&org.website)),
                    (
                        "board_size",
                        org.board_size.map_or(Value::Null, Value::from),
                    ),
                    ("notes", opt(&org.notes)),
                ]),
            )?;
            if ASSOCIATION_KINDS.contains(&org.kind.as_str()) {
                self.summary.associations += 1;
            }
            let kern = org
                .areas
                .first()
                .and_then(|key| self.area_kern.get(key.as_str()).copied());
            // Meetings of an organisation in one wijk belong to that wijk; of several, to the kern.
            let area = match (org.areas.as_slice(), kern) {
                ([only], _) => Some(self.area(only)?),
                (_, Some(kern)) => Some(self.area(&kern.key)?),
                _ => None,
            };
            self.orgs.insert(
                &org.key,
                OrgInfo {
                    id,
                    asset: org,
                    kern,
                    area,
                },
            );
            for (index, role) in org.roles.iter().enumerate() {
                let start = self.month(role.from)?;
                let end = match role.until {
                    Some(until) => Some(self.month(until)?.yesterday().map_err(bad)?),
                    None => None,
                };
                let represents = match &role.represents {
                    Some(key) => Some((self.area(key)?, key.as_str())),
                    None => None,
                };
                let title = match (&role.title, represents) {
                    (Some(title), _) => Value::from(title.as_str()),
                    (None, Some((_, key))) => {
                        let wijk = asset
                            .kernen
                            .iter()
                            .flat_map(|k| &k.wijken)
                            .find(|w| w.key == key)
                            .map_or(key, |w| w.name.as_str());
                        Value::from(format!("Vertegenwoordiger {wijk}"))
                    }
                    (None, None) => Value::Null,
                };
                self.push(
                    Entity::Role,
                    &format!("{}/{index}", org.key),
                    fields(vec![
                        ("contact_id", self.person(&role.person)?.to_string().into()),
                        ("organisation_id", id.to_string().into()),
                        ("kind", role.kind.as_str().into()),
                        ("title", title),
                        (
                            "represents_area_id",
                            represents.map_or(Value::Null, |(id, _)| id.to_string().into()),
                        ),
                        ("start_date", start.to_string().into()),
                        (
                            "end_date",
                            end.map_or(Value::Null, |d| d.to_string().into()),
                        ),
                    ]),
                )?;
                self.roles.push(RoleSpan {
                    person: &role.person,
                    organisation: &org.key,
                    kind: &role.kind,
                    start,
                    end,
                });
            }
        }
        for kern in &asset.kernen {
            for name in kern.partners.iter().chain([&kern.coordinator]) {
                self.person(name)?;
            }
        }
        self.person(&asset.wijkwethouder)?;
        Ok(())
    }

    // -- agreements, projects, milestones --------------------------------------------------

    fn agreements_and_projects(&mut self) -> Result<()> {
        let asset = self.asset;
        for agreement in &asset.agreements {
            self.agreement(agreement)?;
        }
        for project in &asset.projects {
            if project.areas.is_empty() {
                return Err(bad(format!(
                    "project {:?} lies outside an agreement and needs \"areas\"",
                    project.key
                )));
            }
            self.project_with_milestones(project, None)?;
        }
        Ok(())
    }

    fn agreement(&mut self, agreement: &'a AssetAgreement) -> Result<()> {
        let area = self.area(&agreement.area)?;
        let area_name = self.area_name(&agreement.area)?;
        let kernoverleg = match &agreement.kernoverleg {
            Some(key) => Some(self.kernoverleg(key)?),
            None => None,
        };
        let start = self.month(agreement.from)?;
        let end = self.month(agreement.until)?.yesterday().map_err(bad)?;
        if end < start {
            return Err(bad(format!(
                "agreement {:?} ends before it starts",
                agreement.key
            )));
        }
        let adopted = match agreement.adopted {
            Some(days) => Some(self.day(days, None)?),
            None => None,
        };
        if adopted.is_some_and(|d| d >= self.reference) {
            return Err(bad(format!(
                "agreement {:?} would be adopted on or after the reference date",
                agreement.key
            )));
        }
        if agreement.status != "concept" && adopted.is_none() {
            return Err(bad(format!(
                "agreement {:?} is {} and needs \"adopted\"",
                agreement.key, agreement.status
            )));
        }
        let title = match &agreement.title {
            Some(title) => title.clone(),
            None => format!(
                "Kernovereenkomst {area_name} {}–{}",
                start.year(),
                end.year()
            ),
        };
        let id = self.push(
            Entity::Agreement,
            &agreement.key,
            fields(vec![
                ("title", title.into()),
                ("area_id", area.to_string().into()),
                ("kernoverleg_id", id_value(kernoverleg)),
                ("period_start", start.to_string().into()),
                ("period_end", end.to_string().into()),
                ("status", agreement.status.as_str().into()),
                (
                    "adopted_on",
                    adopted.map_or(Value::Null, |d| d.to_string().into()),
                ),
                ("notes", opt(&agreement.notes)),
            ]),
        )?;
        self.agreements.insert(&agreement.key, id);
        for project in &agreement.projects {
            self.project_with_milestones(project, Some((id, &agreement.area)))?;
        }
        Ok(())
    }

    /// A project (of an agreement, whose area it lies in unless it says otherwise) and its
    /// milestones, each inside the project's period.
    fn project_with_milestones(
        &mut self,
        project: &'a AssetProject,
        agreement: Option<(Uuid, &'a str)>,
    ) -> Result<()> {
        let key = project.key.as_str();
        let mut area_ids = Vec::new();
        let area_keys: Vec<&str> = match (project.areas.as_slice(), agreement) {
            ([], Some((_, area))) => vec![area],
            (areas, _) => areas.iter().map(String::as_str).collect(),
        };
        for area in area_keys {
            area_ids.push(Value::from(self.area(area)?.to_string()));
        }
        let department = self.org(&project.department)?;
        if department.asset.kind != "department" {
            return Err(bad(format!(
                "project {key:?}: {:?} is not a department",
                project.department
            )));
        }
        let department_id = department.id;
        let department_contact = match &project.department_contact {
            Some(name) => {
                let works_there = self.roles.iter().any(|r| {
                    r.person == name
                        && r.organisation == project.department
                        && r.kind == "department_contact"
                });
                if !works_there {
                    return Err(bad(format!(
                        "project {key:?}: {name:?} is no department contact of {:?}",
                        project.department
                    )));
                }
                Some(self.person(name)?)
            }
            None => None,
        };
        let mut organisation_ids = Vec::new();
        for org in &project.organisations {
            organisation_ids.push(Value::from(self.org(org)?.id.to_string()));
        }
        let mut contact_ids = Vec::new();
        for name in &project.contacts {
            contact_ids.push(Value::from(self.person(name)?.to_string()));
        }
        let start = self.day(project.start, None)?;
        let end = self.day(project.end, None)?;
        if end < start {
            return Err(bad(format!("project {key:?} ends before it starts")));
        }
        let id = self.push(
            Entity::Project,
            key,
            fields(vec![
                ("title", project.title.as_str().into()),
                ("description", opt(&project.description)),
                ("area_ids", Value::Array(area_ids)),
                ("department_id", department_id.to_string().into()),
                ("department_contact_id", id_value(department_contact)),
                ("participation_step", project.participation.as_str().into()),
                ("organisation_ids", Value::Array(organisation_ids)),
                ("contact_ids", Value::Array(contact_ids)),
                (
                    "budget_cents",
                    project.budget_cents.map_or(Value::Null, Value::from),
                ),
                ("status", project.status.as_str().into()),
                ("agreement_id", id_value(agreement.map(|(id, _)| id))),
                ("start_date", start.to_string().into()),
                ("end_date", end.to_string().into()),
            ]),
        )?;
        if self.projects.insert(key, id).is_some() {
            return Err(bad(format!("two projects are both called {key:?}")));
        }
        for (index, milestone) in project.milestones.iter().enumerate() {
            let date = self.day(milestone.day, None)?;
            if date < start || date > end {
                return Err(bad(format!(
                    "project {key:?}: milestone {:?} on {date} lies outside {start} – {end}",
                    milestone.title
                )));
            }
            let done_on = match milestone.done {
                Some(days) => {
                    let done = date
                        .checked_add(Span::new().try_days(days).map_err(bad)?)
                        .map_err(bad)?;
                    if done >= self.reference {
                        return Err(bad(format!(
                            "project {key:?}: milestone {:?} would be done on or after the \
                             reference date",
                            milestone.title
                        )));
                    }
                    self.summary.milestones_done += 1;
                    if done > date {
                        self.summary.milestones_done_late += 1;
                    }
                    Some(done)
                }
                None => None,
            };
            self.push(
                Entity::Milestone,
                &format!("{key}/{index}"),
                fields(vec![
                    ("project_id", id.to_string().into()),
                    ("date", date.to_string().into()),
                    ("title", milestone.title.as_str().into()),
                    (
                        "done_on",
                        done_on.map_or(Value::Null, |d| d.to_string().into()),
                    ),
                ]),
            )?;
        }
        Ok(())
    }

    // -- the werkkapitaal ------------------------------------------------------------------

    fn budgets(&mut self) -> Result<()> {
        let asset = self.asset;
        let municipality = self.area(&asset.municipality.key)?;
        for budget in &asset.budgets {
            if budget.year > 0 {
                return Err(bad(format!(
                    "a werkkapitaal lies in the reference date's year or before it, not {} \
                     years after it",
                    budget.year
                )));
            }
            let year = i64::from(self.reference.year()) + budget.year;
            // The write path derives the id from the municipality and the year.
            let budget_id = pair_id(Entity::Budget, &municipality.to_string(), &year.to_string());
            let check_date = match &budget.check_date {
                Some(text) => Value::from(self.in_year(year, text)?.to_string()),
                None => Value::Null,
            };
            self.push_with_id(
                Entity::Budget,
                budget_id,
                &format!("budget/{year}"),
                fields(vec![
                    ("area_id", municipality.to_string().into()),
                    ("year", year.into()),
                    ("total_cents", budget.total_cents.into()),
                    ("check_date", check_date),
                    ("notes", opt(&budget.notes)),
                ]),
            )?;
            let budget_value = Value::from(budget_id.to_string());
            for (index, adjustment) in budget.adjustments.iter().enumerate() {
                let kernoverleg = self.kernoverleg(&adjustment.kernoverleg)?;
                let date = self.booking_date(year, &adjustment.date)?;
                self.push(
                    Entity::BudgetAdjustment,
                    &format!("{year}/{index}"),
                    fields(vec![
                        ("budget_id", budget_value.clone()),
                        ("kernoverleg_id", kernoverleg.to_string().into()),
                        ("amount_cents", adjustment.amount_cents.into()),
                        ("reason", adjustment.reason.as_str().into()),
                        ("date", date.to_string().into()),
                    ]),
                )?;
            }
            for (index, commitment) in budget.commitments.iter().enumerate() {
                let name = format!("{year}/{index}");
                let kernoverleg = self.kernoverleg(&commitment.kernoverleg)?;
                if commitment.project.is_none() && commitment.initiative.is_none() {
                    return Err(bad(format!(
                        "commitment {:?} needs a \"project\" or an \"initiative\"",
                        commitment.description
                    )));
                }
                let date = self.booking_date(year, &commitment.date)?;
                let commitment_id = self.push(
                    Entity::Commitment,
                    &name,
                    fields(vec![
                        ("budget_id", budget_value.clone()),
                        ("kernoverleg_id", kernoverleg.to_string().into()),
                        (
                            "project_id",
                            self.project_value(commitment.project.as_deref())?,
                        ),
                        ("initiative", opt(&commitment.initiative)),
                        ("date", date.to_string().into()),
                        ("amount_cents", commitment.amount_cents.into()),
                        ("description", commitment.description.as_str().into()),
                    ]),
                )?;
                for (index, payment) in commitment.payments.iter().enumerate() {
                    if payment.kernoverleg.is_some() {
                        return Err(bad(format!(
                            "payment {:?} is made against a commitment and takes its \
                             kernoverleg from there",
                            payment.description
                        )));
                    }
                    let paid = self.booking_date(year, &payment.date)?;
                    if paid < date {
                        return Err(bad(format!(
                            "payment {:?} lies before its commitment",
                            payment.description
                        )));
                    }
                    self.push(
                        Entity::Payment,
                        &format!("{name}/{index}"),
                        fields(vec![
                            ("budget_id", budget_value.clone()),
                            ("kernoverleg_id", kernoverleg.to_string().into()),
                            ("commitment_id", commitment_id.to_string().into()),
                            ("date", paid.to_string().into()),
                            ("amount_cents", payment.amount_cents.into()),
                            ("description", payment.description.as_str().into()),
                        ]),
                    )?;
                }
            }
            for (index, payment) in budget.payments.iter().enumerate() {
                let key = payment.kernoverleg.as_deref().ok_or_else(|| {
                    bad(format!(
                        "payment {:?} without a commitment needs \"kernoverleg\"",
                        payment.description
                    ))
                })?;
                let kernoverleg = self.kernoverleg(key)?;
                let paid = self.booking_date(year, &payment.date)?;
                self.push(
                    Entity::Payment,
                    &format!("{year}/loose/{index}"),
                    fields(vec![
                        ("budget_id", budget_value.clone()),
                        ("kernoverleg_id", kernoverleg.to_string().into()),
                        ("date", paid.to_string().into()),
                        ("amount_cents", payment.amount_cents.into()),
                        ("description", payment.description.as_str().into()),
                    ]),
                )?;
            }
        }
        Ok(())
    }

    /// `MM-DD` in `year` (a date that does not exist there, such as 29 February in most years,
    /// is an error).
    fn in_year(&self, year: i64, month_day: &str) -> Result<Date> {
        let parsed = month_day
            .split_once('-')
            .and_then(|(m, d)| Some((m.parse::<i8>().ok()?, d.parse::<i8>().ok()?)));
        let Some((month, day)) = parsed else {
            return Err(bad(format!("{month_day:?} is not a month and day (MM-DD)")));
        };
        let year = i16::try_from(year).map_err(bad)?;
        Date::new(year, month, day)
            .map_err(|_| bad(format!("{month_day:?} does not exist in {year}")))
    }

    /// The date of a booking in the werkkapitaal of `year`: `MM-DD` in that year, but never
    /// after the reference date (a booking that would lie in the future is dated on the
    /// reference date itself, which lies in the same year: the budget is this year's).
    fn booking_date(&self, year: i64, month_day: &str) -> Result<Date> {
        Ok(self.in_year(year, month_day)?.min(self.reference))
    }

    // -- meetings --------------------------------------------------------------------------

    fn meetings(&mut self) -> Result<()> {
        let asset = self.asset;
        for meeting in &asset.meetings {
            self.meeting(meeting)?;
        }
        Ok(())
    }

    fn meeting(&mut self, meeting: &'a AssetMeeting) -> Result<()> {
        let org = self.org(&meeting.organisation)?;
        let (org_id, org_asset, org_area) = (org.id, org.asset, org.area);
        let kern = org.kern.ok_or_else(|| {
            bad(format!(
                "{:?} holds meetings but works in no kern",
                meeting.organisation
            ))
        })?;
        let date = self.day(meeting.day, meeting.weekday.as_deref())?;
        let status = if meeting.cancelled {
            "cancelled"
        } else if date < self.reference {
            "held"
        } else {
            "planned"
        };
        let held = status == "held";
        match status {
            "held" => self.summary.meetings_held += 1,
            "planned" => self.summary.meetings_planned += 1,
            _ => self.summary.meetings_cancelled += 1,
        }
        let month = dutch_month(date);
        let vars = [
            ("organisatie", org_asset.name.as_str()),
            ("kern", kern.name.as_str()),
            ("coordinator", kern.coordinator.as_str()),
            ("wijkwethouder", self.asset.wijkwethouder.as_str()),
            ("maand", month.as_str()),
        ];
        let title = match (&meeting.title, meeting.kind.as_str()) {
            (Some(title), _) => self.fill(title, &vars)?,
            (None, "kernoverleg") => format!("{}, {month}", org_asset.name),
            (None, kind) => format!("{} {}, {month}", dutch_meeting_kind(kind), org_asset.name),
        };
        let area = match &meeting.area {
            Some(key) => Some(self.area(key)?),
            None => org_area,
        };
        let location = meeting
            .location
            .as_deref()
            .or(org_asset.venue.as_deref())
            .unwrap_or(&kern.venue);
        let (_, starts_at) = self.local(date, &meeting.start)?;
        let (ends, ends_at) = self.local(date, &meeting.end)?;
        let name = format!("{}/{}/{}", meeting.organisation, meeting.kind, meeting.day);
        let meeting_id = self.push(
            Entity::Meeting,
            &name,
            fields(vec![
                ("kind", meeting.kind.as_str().into()),
                ("title", title.into()),
                ("organisation_id", org_id.to_string().into()),
                (
                    "area_id",
                    area.map_or(Value::Null, |a| a.to_string().into()),
                ),
                ("starts_at", starts_at.into()),
                ("ends_at", ends_at.into()),
                ("time_zone", self.asset.time_zone.as_str().into()),
                ("location", location.into()),
                ("status", status.into()),
                ("notes", opt(&meeting.notes)),
            ]),
        )?;

        // The agenda: the kind's standard items around the meeting's own.
        let asset = self.asset;
        let template = asset.agenda_templates.get(&meeting.kind);
        let before = template.map_or(&[][..], |t| t.before.as_slice());
        let after = template.map_or(&[][..], |t| t.after.as_slice());
        let items = before.iter().chain(&meeting.items).chain(after);
        for (position, item) in items.enumerate() {
            let (minutes, decision) = if held {
                (
                    self.fill_opt(item.minutes.as_ref(), &vars)?,
                    self.fill_opt(item.decision.as_ref(), &vars)?,
                )
            } else {
                (Value::Null, Value::Null)
            };
            let submitted_by = match &item.submitted_by {
                Some(key) => Some(self.org(key)?),
                None => None,
            };
            let submitted_by_id = submitted_by.map(|o| o.id);
            let submitted_area = submitted_by.and_then(|o| o.area);
            let item_name = format!("{name}/{position}");
            let agreement = match item.agreement.as_deref() {
                Some(key) => Value::from(
                    self.agreements
                        .get(key)
                        .ok_or_else(|| bad(format!("unknown agreement {key:?}")))?
                        .to_string(),
                ),
                None => Value::Null,
            };
            let project = self.project_value(item.project.as_deref())?;
            let item_id = self.push(
                Entity::AgendaItem,
                &item_name,
                fields(vec![
                    ("meeting_id", meeting_id.to_string().into()),
                    ("position", Value::from(position as i64)),
                    ("title", self.fill(&item.title, &vars)?.into()),
                    (
                        "description",
                        self.fill_opt(item.description.as_ref(), &vars)?,
                    ),
                    ("minutes", minutes),
                    ("decision", decision),
                    (
                        "submitted_by_id",
                        submitted_by_id.map_or(Value::Null, |id| id.to_string().into()),
                    ),
                    ("project_id", project),
                    ("agreement_id", agreement),
                ]),
            )?;
            if !held {
                continue;
            }
            // What the meeting agreed becomes action points, asked for by whoever brought the
            // item in (or the association that held the meeting).
            let requester = item
                .submitted_by
                .as_deref()
                .unwrap_or(&meeting.organisation);
            for (index, action) in item.actions.iter().enumerate() {
                let first_at = ends.checked_add(Span::new().minutes(20)).map_err(bad)?;
                self.action_point(
                    action,
                    ActionOrigin {
                        name: format!("{item_name}/{index}"),
                        source: Some(("source_agenda_item_id", item_id)),
                        opened: date,
                        first_at,
                        area: submitted_area.or(area),
                        requester: Some(requester),
                        coordinator: &kern.coordinator,
                    },
                )?;
            }
        }

        // Who was asked, and (for meetings held) who came.
        if status == "cancelled" {
            return Ok(());
        }
        let mut invited: Vec<&str> = Vec::new();
        if meeting.kind == "kernoverleg" {
            invited.extend(self.holders(&meeting.organisation, &["representative"], date));
            invited.push(&asset.wijkwethouder);
            for partner in &kern.partners {
                if self.active_on(partner, date) {
                    invited.push(partner);
                }
            }
        } else {
            invited.extend(self.holders(&meeting.organisation, BOARD_ROLE_KINDS, date));
        }
        invited.push(&kern.coordinator);
        let chair = self.holders(&meeting.organisation, &["chair"], date);
        for person in invited {
            let contact = self.person(person)?;
            let attendance = if !held {
                "invited"
            } else if person == kern.coordinator || chair.contains(&person) {
                "present"
            } else {
                match hash(&format!("{name}/{person}")) % 100 {
                    0..=6 => "absent",
                    7..=19 => "excused",
                    _ => "present",
                }
            };
            self.push_pair(
                Entity::Attendance,
                meeting_id,
                contact,
                fields(vec![
                    ("meeting_id", meeting_id.to_string().into()),
                    ("contact_id", contact.to_string().into()),
                    ("status", attendance.into()),
                ]),
            )?;
        }
        Ok(())
    }

    // -- visits ----------------------------------------------------------------------------

    fn visits(&mut self) -> Result<()> {
        let asset = self.asset;
        for visit in &asset.visits {
            self.visit(visit)?;
        }
        Ok(())
    }

    fn visit(&mut self, visit: &'a AssetVisit) -> Result<()> {
        let kern = self.kern(&visit.kern)?;
        let kern_area = self.area(&kern.key)?;
        let date = self.day(visit.day, visit.weekday.as_deref())?;
        let held = date < self.reference;
        let days_ahead = self.reference.until(date).map_err(bad)?.get_days();
        let status = if held {
            self.summary.visits_held += 1;
            "held"
        } else if i64::from(days_ahead) < CONFIRMED_WITHIN_DAYS {
            "confirmed"
        } else {
            "planned"
        };
        let vars = [("kern", kern.name.as_str())];
        let title = match &visit.title {
            Some(title) => self.fill(title, &vars)?,
            None => format!("Kernbezoek {}", kern.name),
        };
        let location = match &visit.location {
            Some(location) => location.clone(),
            None => format!("Start: {}", kern.venue),
        };
        let (_, starts_at) = self.local(date, &visit.start)?;
        let (ends, ends_at) = self.local(date, &visit.end)?;
        let name = format!("{}/{}", visit.kern, visit.day);
        let visit_id = self.push(
            Entity::Visit,
            &name,
            fields(vec![
                ("kind", "kernbezoek".into()),
                ("title", title.into()),
                ("area_id", kern_area.to_string().into()),
                ("starts_at", starts_at.into()),
                ("ends_at", ends_at.into()),
                ("time_zone", self.asset.time_zone.as_str().into()),
                ("location", location.into()),
                ("status", status.into()),
                ("notes", opt(&visit.notes)),
            ]),
        )?;
        let mut stop_ids = Vec::with_capacity(visit.stops.len());
        for (position, stop) in visit.stops.iter().enumerate() {
            let id = self.push(
                Entity::Stop,
                &format!("{name}/{position}"),
                fields(vec![
                    ("visit_id", visit_id.to_string().into()),
                    ("position", Value::from(position as i64)),
                    ("place", stop.place.as_str().into()),
                    ("arrives_at", opt(&stop.arrives_at)),
                    ("topic", opt(&stop.topic)),
                    ("notes", opt(&stop.notes)),
                ]),
            )?;
            stop_ids.push(id);
        }

        // The chairs of the kern's associations, and the guests named in the data.
        let mut invited: Vec<&str> = Vec::new();
        let mut associations: Vec<&OrgInfo<'a>> = self
            .orgs
            .values()
            .filter(|o| {
                o.kern.is_some_and(|k| k.key == kern.key)
                    && ASSOCIATION_KINDS.contains(&o.asset.kind.as_str())
            })
            .collect();
        associations.sort_by_key(|o| o.asset.key.as_str());
        let keys: Vec<&'a str> = associations.iter().map(|o| o.asset.key.as_str()).collect();
        for key in keys {
            invited.extend(self.holders(key, &["chair"], date));
        }
        for guest in &visit.invitees {
            self.person(guest)?;
            if self.active_on(guest, date) {
                invited.push(guest);
            }
        }
        for person in invited {
            let contact = self.person(person)?;
            let roll = hash(&format!("{name}/{person}")) % 100;
            let response = match (held, roll) {
                (true, 0..=21) => "declined",
                (true, _) => "accepted",
                (false, 0..=39) => "pending",
                (false, 40..=74) => "accepted",
                (false, 75..=89) => "tentative",
                (false, _) => "declined",
            };
            self.push_pair(
                Entity::Invitee,
                visit_id,
                contact,
                fields(vec![
                    ("visit_id", visit_id.to_string().into()),
                    ("contact_id", contact.to_string().into()),
                    ("response", response.into()),
                ]),
            )?;
        }

        if !held {
            return Ok(());
        }
        // Requests from a visit are made on behalf of the kern's kernoverleg, if it has one.
        let requester = self
            .orgs
            .values()
            .filter(|o| o.asset.kind == "kernoverleg" && o.kern.is_some_and(|k| k.key == kern.key))
            .map(|o| o.asset.key.as_str())
            .min();
        for (index, finding) in visit.findings.iter().enumerate() {
            let stop = match finding.stop {
                Some(i) => Some(
                    *stop_ids
                        .get(i)
                        .ok_or_else(|| bad(format!("visit {name:?} has no stop number {i}")))?,
                ),
                None => None,
            };
            let finding_name = format!("{name}/{index}");
            let project = self.project_value(finding.project.as_deref())?;
            let finding_id = self.push(
                Entity::Finding,
                &finding_name,
                fields(vec![
                    ("visit_id", visit_id.to_string().into()),
                    (
                        "stop_id",
                        stop.map_or(Value::Null, |s| s.to_string().into()),
                    ),
                    ("text", finding.text.as_str().into()),
                    ("project_id", project),
                ]),
            )?;
            for (action_index, action) in finding.actions.iter().enumerate() {
                let first_at = ends.checked_add(Span::new().minutes(45)).map_err(bad)?;
                self.action_point(
                    action,
                    ActionOrigin {
                        name: format!("{finding_name}/{action_index}"),
                        source: Some(("source_finding_id", finding_id)),
                        opened: date,
                        first_at,
                        area: Some(kern_area),
                        requester,
                        coordinator: &kern.coordinator,
                    },
                )?;
            }
        }
        Ok(())
    }

    // -- action points ---------------------------------------------------------------------

    fn standalone_action_points(&mut self) -> Result<()> {
        let asset = self.asset;
        for (index, action) in asset.action_points.iter().enumerate() {
            let opened = action
                .opened
                .ok_or_else(|| bad(format!("action point {:?} needs \"opened\"", action.title)))?;
            let requester_key = action.requester.as_deref().ok_or_else(|| {
                bad(format!(
                    "action point {:?} needs \"requester\"",
                    action.title
                ))
            })?;
            let requester = self.org(requester_key)?;
            let (area, kern) = (requester.area, requester.kern);
            let coordinator = kern
                .or_else(|| asset.kernen.first())
                .map(|k| k.coordinator.as_str())
                .ok_or_else(|| bad("there are no kernen"))?;
            let date = self.day(opened.min(-1), None)?;
            let minutes = 9 * 60 + (hash(&format!("standalone/{index}")) % 420) as i64;
            let first_at = date
                .to_datetime(Time::midnight())
                .checked_add(Span::new().minutes(minutes))
                .map_err(bad)?;
            self.action_point(
                action,
                ActionOrigin {
                    name: format!("standalone/{index}"),
                    source: None,
                    opened: date,
                    first_at,
                    area,
                    requester: Some(requester_key),
                    coordinator,
                },
            )?;
        }
        Ok(())
    }

    /// An action point with its whole history: opened, then every step, all before the
    /// reference date (steps that would fall on or after it are pulled back to the day before,
    /// keeping their order).
    fn action_point(&mut self, action: &'a AssetAction, origin: ActionOrigin<'a>) -> Result<()> {
        if origin.source.is_some() && action.opened.is_some() {
            return Err(bad(format!(
                "action point {:?} comes from a meeting or visit and takes its date from there",
                action.title
            )));
        }
        let due = match action.due {
            Some(days) => Some(
                origin
                    .opened
                    .checked_add(Span::new().try_days(days).map_err(bad)?)
                    .map_err(bad)?,
            ),
            None => None,
        };
        let area = match &action.area {
            Some(key) => Some(self.area(key)?),
            None => origin.area,
        };
        let requester = match action.requester.as_deref().or(origin.requester) {
            Some(key) => Some(self.org(key)?.id),
            None => None,
        };
        let requester_person = match &action.requester_person {
            Some(name) => Some(self.person(name)?),
            None => None,
        };
        let owner = match &action.owner {
            Some(key) => Some(self.org(key)?.id),
            None => None,
        };
        let owner_person = match &action.owner_person {
            Some(name) => Some(self.person(name)?),
            None => None,
        };
        let last_day = self.reference.yesterday().map_err(bad)?;
        if origin.opened > last_day {
            return Err(bad(format!(
                "action point {:?} would be opened on or after the reference date",
                action.title
            )));
        }

        // The history, oldest first.
        struct Event<'s> {
            from: Option<&'s str>,
            to: Option<&'s str>,
            comment: Option<&'s str>,
            at: DateTime,
            author: &'s str,
        }
        let default_author = action.owner_person.as_deref().unwrap_or(origin.coordinator);
        let mut events = vec![Event {
            from: None,
            to: Some("open"),
            comment: action.via.as_deref(),
            at: origin.first_at,
            author: origin.coordinator,
        }];
        let mut status = "open";
        let mut at = origin.first_at;
        for (index, step) in action.steps.iter().enumerate() {
            let day = origin
                .opened
                .checked_add(Span::new().try_days(step.after).map_err(bad)?)
                .map_err(bad)?
                .min(last_day);
            let minutes = 9 * 60 + (hash(&format!("{}/{index}", origin.name)) % 480) as i64;
            let mut candidate = day
                .to_datetime(Time::midnight())
                .checked_add(Span::new().minutes(minutes))
                .map_err(bad)?;
            if candidate <= at {
                candidate = at.checked_add(Span::new().minutes(10)).map_err(bad)?;
            }
            at = candidate;
            let author = step.by.as_deref().unwrap_or(default_author);
            match step.to.as_deref() {
                Some(to) => {
                    if !ACTION_POINT_STATUSES.contains(&to) || to == status {
                        return Err(bad(format!(
                            "action point {:?}: cannot go from {status:?} to {to:?}",
                            action.title
                        )));
                    }
                    events.push(Event {
                        from: Some(status),
                        to: Some(to),
                        comment: step.comment.as_deref(),
                        at,
                        author,
                    });
                    status = to;
                }
                None => {
                    let comment = step.comment.as_deref().ok_or_else(|| {
                        bad(format!(
                            "action point {:?}: a step needs a new status or a comment",
                            action.title
                        ))
                    })?;
                    events.push(Event {
                        from: None,
                        to: None,
                        comment: Some(comment),
                        at,
                        author,
                    });
                }
            }
        }
        if at.date() >= self.reference {
            return Err(bad(format!(
                "action point {:?} has too many steps on the day before the reference date",
                action.title
            )));
        }
        if ACTION_POINT_OPEN_STATUSES.contains(&status) && due.is_some_and(|d| d < self.reference) {
            self.summary.action_points_overdue += 1;
        }
        if status == "done" && due.is_some_and(|d| at.date() > d) {
            self.summary.action_points_done_late += 1;
        }

        let mut ap = fields(vec![
            ("title", action.title.as_str().into()),
            ("description", opt(&action.description)),
            ("area_id", id_value(area)),
            ("requester_organisation_id", id_value(requester)),
            ("requester_contact_id", id_value(requester_person)),
            ("owner_organisation_id", id_value(owner)),
            ("owner_contact_id", id_value(owner_person)),
            (
                "due_date",
                due.map_or(Value::Null, |d| d.to_string().into()),
            ),
            ("status", status.into()),
            ("opened_on", origin.opened.to_string().into()),
            ("project_id", self.project_value(action.project.as_deref())?),
        ]);
        if let Some((field, id)) = origin.source {
            ap.insert(field.into(), id.to_string().into());
        }
        let ap_id = self.push(Entity::ActionPoint, &origin.name, ap)?;
        for (index, event) in events.into_iter().enumerate() {
            let kind = if event.to.is_some() {
                "status_change"
            } else {
                "comment"
            };
            self.push(
                Entity::ActionPointEvent,
                &format!("{}/{index}", origin.name),
                fields(vec![
                    ("action_point_id", ap_id.to_string().into()),
                    ("kind", kind.into()),
                    ("from_status", event.from.map_or(Value::Null, Value::from)),
                    ("to_status", event.to.map_or(Value::Null, Value::from)),
                    ("comment", event.comment.map_or(Value::Null, Value::from)),
                    ("at", self.instant(event.at)?.into()),
                    ("author", event.author.into()),
                ]),
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

/// The fields of a record, leaving out the ones without a value.
fn fields(pairs: Vec<(&str, Value)>) -> Fields {
    pairs
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

fn opt(value: &Option<String>) -> Value {
    value.as_deref().map_or(Value::Null, Value::from)
}

fn id_value(id: Option<Uuid>) -> Value {
    id.map_or(Value::Null, |id| id.to_string().into())
}

/// A stable hash (FNV-1a), for choices that must be the same on every run and platform.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn dutch_weekday(name: &str) -> Result<Weekday> {
    Ok(match name {
        "ma" => Weekday::Monday,
        "di" => Weekday::Tuesday,
        "wo" => Weekday::Wednesday,
        "do" => Weekday::Thursday,
        "vr" => Weekday::Friday,
        "za" => Weekday::Saturday,
        "zo" => Weekday::Sunday,
        other => return Err(bad(format!("unknown weekday {other:?} (ma, di, wo, ...)"))),
    })
}

/// `maart 2026`.
fn dutch_month(date: Date) -> String {
    format!(
        "{} {}",
        wijkwerk_calendar::dutch::month_name(date),
        date.year()
    )
}

fn dutch_meeting_kind(kind: &str) -> &'static str {
    match kind {
        "ledenvergadering" => "Ledenvergadering",
        "kernoverleg" => "Kernoverleg",
        "bestuursoverleg" => "Bestuursoverleg",
        "netwerkbijeenkomst" => "Netwerkbijeenkomst",
        _ => "Overleg",
    }
}

/// `Henriëtte van der Linden` → `henriette.van.der.linden`.
fn email_local_part(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'á' | 'à' | 'â' | 'ä' | 'å' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            ' ' => '.',
            c => c,
        };
        if folded.is_ascii_alphanumeric() || folded == '.' || folded == '-' {
            out.push(folded);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_plain_email_addresses() {
        assert_eq!(email_local_part("Henriëtte Bosman"), "henriette.bosman");
        assert_eq!(
            email_local_part("Erik van der Linden"),
            "erik.van.der.linden"
        );
        assert_eq!(email_local_part("Evert-Jan Pool"), "evert-jan.pool");
    }

    #[test]
    fn the_hash_is_stable() {
        // FNV-1a test vectors.
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn months_are_dutch() {
        assert_eq!(dutch_month(jiff::civil::date(2026, 3, 10)), "maart 2026");
    }
}
