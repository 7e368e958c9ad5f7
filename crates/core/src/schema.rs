//! The domain's entities and their fields: one table each, described once here.
//!
//! The description drives validation, the generic SQL of the one write path, reading rows back
//! as JSON, and the canonical export. The tables themselves are created by the versioned
//! migrations in `migrations/`; a test checks that both agree.

use std::fmt;
use std::str::FromStr;

/// Every kind of record the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entity {
    Area,
    Organisation,
    Contact,
    Role,
    Meeting,
    AgendaItem,
    Attendance,
    Visit,
    Stop,
    Invitee,
    Finding,
    ActionPoint,
    ActionPointEvent,
    SchoolHoliday,
    Agreement,
    Project,
    Milestone,
    Budget,
    BudgetAdjustment,
    Commitment,
    Payment,
}

impl Entity {
    /// All entities, in the order they were added (an entity's position is its code, so new
    /// ones go at the end). Within each wave parents come before children; the merge does not
    /// enforce references, so a child may arrive first (`Store::write` keeps the caller's order).
    pub const ALL: [Entity; 21] = [
        Entity::Area,
        Entity::Organisation,
        Entity::Contact,
        Entity::Role,
        Entity::Meeting,
        Entity::AgendaItem,
        Entity::Attendance,
        Entity::Visit,
        Entity::Stop,
        Entity::Invitee,
        Entity::Finding,
        Entity::ActionPoint,
        Entity::ActionPointEvent,
        Entity::SchoolHoliday,
        // Agreements, projects and the werkkapitaal (migration 005).
        Entity::Agreement,
        Entity::Project,
        Entity::Milestone,
        Entity::Budget,
        Entity::BudgetAdjustment,
        Entity::Commitment,
        Entity::Payment,
    ];

    /// The entity's name in the store, the wire format and the export (`agenda_item`).
    pub fn name(self) -> &'static str {
        self.table()
    }

    /// The SQLite table that holds the entity.
    pub fn table(self) -> &'static str {
        match self {
            Entity::Area => "area",
            Entity::Organisation => "organisation",
            Entity::Contact => "contact",
            Entity::Role => "role",
            Entity::Meeting => "meeting",
            Entity::AgendaItem => "agenda_item",
            Entity::Attendance => "attendance",
            Entity::Visit => "visit",
            Entity::Stop => "stop",
            Entity::Invitee => "invitee",
            Entity::Finding => "finding",
            Entity::ActionPoint => "action_point",
            Entity::ActionPointEvent => "action_point_event",
            Entity::SchoolHoliday => "school_holiday",
            Entity::Agreement => "agreement",
            Entity::Project => "project",
            Entity::Milestone => "milestone",
            Entity::Budget => "budget",
            Entity::BudgetAdjustment => "budget_adjustment",
            Entity::Commitment => "commitment",
            Entity::Payment => "payment",
        }
    }

    /// The name used on the command line (`agenda-item`).
    pub fn cli_name(self) -> String {
        self.name().replace('_', "-")
    }

    /// A small stable number for the entity, used to build search-index row ids.
    pub fn code(self) -> i64 {
        Entity::ALL.iter().position(|e| *e == self).unwrap_or(0) as i64 + 1
    }

    pub fn from_code(code: i64) -> Option<Entity> {
        usize::try_from(code - 1)
            .ok()
            .and_then(|i| Entity::ALL.get(i).copied())
    }

    /// The entity's fields, without `id` and `deleted`.
    pub fn fields(self) -> &'static [Field] {
        use FieldKind::*;
        match self {
            Entity::Area => {
                const F: &[Field] = &[
                    Field::req("name", Text(NAME_MAX)),
                    Field::req("kind", Enum(AREA_KINDS)),
                    Field::opt("parent_id", Ref(Entity::Area)),
                    Field::opt("inhabitants", Int(0, 100_000_000)),
                    Field::opt("cbs_code", CbsCode),
                    // The school-holiday region of a municipality, for the visit planner
                    // (migration 002).
                    Field::opt("school_region", Enum(SCHOOL_REGIONS)),
                    // A municipality's retention period for personal data: a contact whose
                    // last role ended and who was involved in nothing since for this many days
                    // is proposed for anonymisation (migration 007; empty: two years,
                    // `privacy::DEFAULT_RETENTION_DAYS`). Read from the municipality only.
                    Field::opt(
                        "retention_days",
                        Int(RETENTION_DAYS_MIN, RETENTION_DAYS_MAX),
                    ),
                ];
                F
            }
            Entity::Organisation => {
                const F: &[Field] = &[
                    Field::req("name", Text(NAME_MAX)),
                    Field::req("kind", Enum(ORGANISATION_KINDS)),
                    Field::opt("area_ids", RefList(Entity::Area)),
                    Field::opt("email", Email),
                    Field::opt("phone", Phone),
                    Field::opt("website", Text(LINE_MAX)),
                    Field::opt("board_size", Int(0, 100)),
                    Field::opt("notes", LongText),
                ];
                F
            }
            Entity::Contact => {
                const F: &[Field] = &[
                    Field::req("name", Text(NAME_MAX)),
                    Field::opt("email", Email),
                    Field::opt("phone", Phone),
                    Field::opt("address", Text(LINE_MAX)),
                    Field::opt("notes", LongText),
                    // The rest of an address and a second number, as lists bring them
                    // (migration 006): `address` holds the street and number.
                    Field::opt("mobile", Phone),
                    Field::opt("postcode", Postcode),
                    Field::opt("city", Text(NAME_MAX)),
                    // Personal data (AVG/GDPR, migration 007): the legal basis for holding the
                    // person (empty reads as `publieke_taak`, see docs/avg.md), the day consent
                    // was given (required with `toestemming`), where the data came from
                    // ("eigen invoer", "import: leden.xlsx"), and the day the person was
                    // anonymised (`privacy.rs`): from then on no personal field may be filled.
                    Field::opt("legal_basis", Enum(LEGAL_BASES)),
                    Field::opt("consent_date", Date),
                    Field::opt("source", Text(LINE_MAX)),
                    Field::opt("anonymised_on", Date),
                    // The day the person was erased (migration 008): the record is sealed on
                    // every replica (`privacy.rs`, `wijkwerk_protocol::erasure_keeps`).
                    Field::opt("erased_on", Date),
                ];
                F
            }
            Entity::Role => {
                const F: &[Field] = &[
                    Field::req("contact_id", Ref(Entity::Contact)),
                    Field::req("organisation_id", Ref(Entity::Organisation)),
                    Field::req("kind", Enum(ROLE_KINDS)),
                    Field::opt("title", Text(NAME_MAX)),
                    Field::opt("represents_area_id", Ref(Entity::Area)),
                    Field::req("start_date", Date),
                    Field::opt("end_date", Date),
                ];
                F
            }
            Entity::Meeting => {
                const F: &[Field] = &[
                    Field::req("kind", Enum(MEETING_KINDS)),
                    Field::req("title", Text(NAME_MAX)),
                    Field::opt("organisation_id", Ref(Entity::Organisation)),
                    Field::opt("area_id", Ref(Entity::Area)),
                    Field::req("starts_at", Instant),
                    Field::req("ends_at", Instant),
                    Field::req("time_zone", TimeZone),
                    Field::opt("location", Text(LINE_MAX)),
                    Field::req("status", Enum(MEETING_STATUSES)),
                    Field::opt("notes", LongText),
                    // Calendar identity (migration 002): the UID of the invitation it came
                    // from, its SEQUENCE (raised by the write path when the time or place
                    // changes), the occurrence of a recurring invitation, and its organizer.
                    Field::opt("ical_uid", Text(LINE_MAX)),
                    Field::opt("ical_sequence", Int(0, ICAL_SEQUENCE_MAX)),
                    Field::opt("ical_recurrence_id", Text(SHORT_MAX)),
                    Field::opt("organizer_email", Email),
                ];
                F
            }
            Entity::AgendaItem => {
                const F: &[Field] = &[
                    Field::req("meeting_id", Ref(Entity::Meeting)),
                    Field::req("position", Int(0, 1_000_000_000)),
                    Field::req("title", Text(NAME_MAX)),
                    Field::opt("description", LongText),
                    Field::opt("minutes", LongText),
                    Field::opt("decision", LongText),
                    Field::opt("submitted_by_id", Ref(Entity::Organisation)),
                    // The project and the agreement the item is about (migration 005).
                    Field::opt("project_id", Ref(Entity::Project)),
                    Field::opt("agreement_id", Ref(Entity::Agreement)),
                ];
                F
            }
            Entity::Attendance => {
                const F: &[Field] = &[
                    Field::req("meeting_id", Ref(Entity::Meeting)),
                    Field::req("contact_id", Ref(Entity::Contact)),
                    Field::req("status", Enum(ATTENDANCE_STATUSES)),
                ];
                F
            }
            Entity::Visit => {
                const F: &[Field] = &[
                    Field::req("kind", Enum(VISIT_KINDS)),
                    Field::req("title", Text(NAME_MAX)),
                    Field::req("area_id", Ref(Entity::Area)),
                    Field::req("starts_at", Instant),
                    Field::req("ends_at", Instant),
                    Field::req("time_zone", TimeZone),
                    Field::opt("location", Text(LINE_MAX)),
                    Field::req("status", Enum(VISIT_STATUSES)),
                    Field::opt("notes", LongText),
                    // The SEQUENCE of the visit's calendar event (migration 002).
                    Field::opt("ical_sequence", Int(0, ICAL_SEQUENCE_MAX)),
                ];
                F
            }
            Entity::Stop => {
                const F: &[Field] = &[
                    Field::req("visit_id", Ref(Entity::Visit)),
                    Field::req("position", Int(0, 1_000_000_000)),
                    Field::req("place", Text(LINE_MAX)),
                    Field::opt("arrives_at", LocalTime),
                    Field::opt("topic", Text(LINE_MAX)),
                    Field::opt("notes", LongText),
                ];
                F
            }
            Entity::Invitee => {
                const F: &[Field] = &[
                    Field::req("visit_id", Ref(Entity::Visit)),
                    Field::req("contact_id", Ref(Entity::Contact)),
                    Field::req("response", Enum(INVITEE_RESPONSES)),
                ];
                F
            }
            Entity::Finding => {
                const F: &[Field] = &[
                    Field::req("visit_id", Ref(Entity::Visit)),
                    Field::opt("stop_id", Ref(Entity::Stop)),
                    Field::req("text", Text(TEXT_MAX)),
                    // The project the finding is about (migration 005).
                    Field::opt("project_id", Ref(Entity::Project)),
                ];
                F
            }
            Entity::ActionPoint => {
                const F: &[Field] = &[
                    Field::req("title", Text(NAME_MAX)),
                    Field::opt("description", LongText),
                    Field::opt("area_id", Ref(Entity::Area)),
                    Field::opt("source_agenda_item_id", Ref(Entity::AgendaItem)),
                    Field::opt("source_finding_id", Ref(Entity::Finding)),
                    Field::opt("requester_organisation_id", Ref(Entity::Organisation)),
                    Field::opt("requester_contact_id", Ref(Entity::Contact)),
                    Field::opt("owner_organisation_id", Ref(Entity::Organisation)),
                    Field::opt("owner_contact_id", Ref(Entity::Contact)),
                    Field::opt("due_date", Date),
                    Field::req("status", Enum(ACTION_POINT_STATUSES)),
                    Field::req("opened_on", Date),
                    // The SEQUENCE of the due date's calendar entry (migration 002).
                    Field::opt("ical_sequence", Int(0, ICAL_SEQUENCE_MAX)),
                    // The project the action point belongs to (migration 005).
                    Field::opt("project_id", Ref(Entity::Project)),
                ];
                F
            }
            Entity::ActionPointEvent => {
                const F: &[Field] = &[
                    Field::req("action_point_id", Ref(Entity::ActionPoint)),
                    Field::req("kind", Enum(ACTION_POINT_EVENT_KINDS)),
                    Field::opt("from_status", Enum(ACTION_POINT_STATUSES)),
                    Field::opt("to_status", Enum(ACTION_POINT_STATUSES)),
                    Field::opt("comment", Text(TEXT_MAX)),
                    Field::req("at", Instant),
                    Field::opt("author", Text(NAME_MAX)),
                    // A due date a department colleague proposes (kind `due_date_proposal`),
                    // and where the entry was written: `web` from the server's pages for
                    // departments (migration 009).
                    Field::opt("proposed_due_date", Date),
                    Field::opt("via", Enum(ACTION_POINT_EVENT_SOURCES)),
                ];
                F
            }
            Entity::SchoolHoliday => {
                // A school holiday of a region, as the visit planner avoids it (migration
                // 002). The shipped dates (`assets/calendar/schoolvakanties.json`) apply unless
                // a record with the same derived id overrides or (deleted) drops them.
                const F: &[Field] = &[
                    Field::req("region", Enum(SCHOOL_REGIONS)),
                    Field::req("school_year", Text(SHORT_MAX)),
                    Field::req("name", Text(NAME_MAX)),
                    Field::req("start_date", Date),
                    Field::req("end_date", Date),
                    Field::opt("notes", LongText),
                ];
                F
            }
            Entity::Agreement => {
                // A kernovereenkomst: a kern's (or wijk's) agreement with the municipality on a
                // few projects for a period (migration 005). Its projects point to it
                // (`project.agreement_id`); the agenda items where it was discussed too.
                const F: &[Field] = &[
                    Field::req("title", Text(NAME_MAX)),
                    Field::req("area_id", Ref(Entity::Area)),
                    Field::opt("kernoverleg_id", Ref(Entity::Organisation)),
                    Field::req("period_start", Date),
                    Field::req("period_end", Date),
                    Field::req("status", Enum(AGREEMENT_STATUSES)),
                    Field::opt("adopted_on", Date),
                    Field::opt("notes", LongText),
                ];
                F
            }
            Entity::Project => {
                // A project or a municipal plan that touches one or more areas (migration 005).
                const F: &[Field] = &[
                    Field::req("title", Text(NAME_MAX)),
                    Field::opt("description", LongText),
                    Field::opt("area_ids", RefList(Entity::Area)),
                    Field::req("department_id", Ref(Entity::Organisation)),
                    Field::opt("department_contact_id", Ref(Entity::Contact)),
                    Field::req("participation_step", Enum(PARTICIPATION_STEPS)),
                    Field::opt("organisation_ids", RefList(Entity::Organisation)),
                    Field::opt("contact_ids", RefList(Entity::Contact)),
                    Field::opt("budget_cents", Money { signed: false }),
                    Field::req("status", Enum(PROJECT_STATUSES)),
                    Field::opt("agreement_id", Ref(Entity::Agreement)),
                    Field::opt("start_date", Date),
                    Field::opt("end_date", Date),
                ];
                F
            }
            Entity::Milestone => {
                // A step in a project's planning: a date, what, and the day it was done.
                const F: &[Field] = &[
                    Field::req("project_id", Ref(Entity::Project)),
                    Field::req("date", Date),
                    Field::req("title", Text(LINE_MAX)),
                    Field::opt("done_on", Date),
                ];
                F
            }
            Entity::Budget => {
                // The municipality's werkkapitaal for a year, divided over the kernoverleggen
                // pro rata inhabitants (`budgets.rs`). One per municipality and year: the id
                // is derived from the pair.
                const F: &[Field] = &[
                    Field::req("area_id", Ref(Entity::Area)),
                    Field::req("year", Int(2000, 2200)),
                    Field::req("total_cents", Money { signed: false }),
                    Field::opt("check_date", Date),
                    Field::opt("notes", LongText),
                ];
                F
            }
            Entity::BudgetAdjustment => {
                // A recorded change to one kernoverleg's share, with its reason (never an
                // overwrite of the computed share).
                const F: &[Field] = &[
                    Field::req("budget_id", Ref(Entity::Budget)),
                    Field::req("kernoverleg_id", Ref(Entity::Organisation)),
                    Field::req("amount_cents", Money { signed: true }),
                    Field::req("reason", Text(LINE_MAX)),
                    Field::req("date", Date),
                ];
                F
            }
            Entity::Commitment => {
                // A toekenning from a kernoverleg's werkkapitaal to a project or initiative.
                const F: &[Field] = &[
                    Field::req("budget_id", Ref(Entity::Budget)),
                    Field::req("kernoverleg_id", Ref(Entity::Organisation)),
                    Field::opt("project_id", Ref(Entity::Project)),
                    Field::opt("initiative", Text(NAME_MAX)),
                    Field::req("date", Date),
                    Field::req("amount_cents", Money { signed: false }),
                    Field::req("description", Text(LINE_MAX)),
                ];
                F
            }
            Entity::Payment => {
                // An uitgave from a kernoverleg's werkkapitaal, normally against a commitment.
                const F: &[Field] = &[
                    Field::req("budget_id", Ref(Entity::Budget)),
                    Field::req("kernoverleg_id", Ref(Entity::Organisation)),
                    Field::opt("commitment_id", Ref(Entity::Commitment)),
                    Field::req("date", Date),
                    Field::req("amount_cents", Money { signed: false }),
                    Field::req("description", Text(LINE_MAX)),
                ];
                F
            }
        }
    }

    /// The columns that make the entity's search document: a title and the body, or `None` for
    /// an entity that is not searched.
    pub fn search_columns(self) -> Option<(&'static str, &'static [&'static str])> {
        match self {
            Entity::Area => Some(("name", &["cbs_code"])),
            Entity::Organisation => Some(("name", &["email", "phone", "website", "notes"])),
            Entity::Contact => Some(("name", &["email", "phone", "address", "notes"])),
            Entity::Meeting => Some(("title", &["location", "notes"])),
            Entity::AgendaItem => Some(("title", &["description", "minutes", "decision"])),
            Entity::Visit => Some(("title", &["location", "notes"])),
            Entity::Stop => Some(("place", &["topic", "notes"])),
            Entity::Finding => Some(("text", &[])),
            Entity::ActionPoint => Some(("title", &["description"])),
            Entity::Agreement => Some(("title", &["notes"])),
            Entity::Project => Some(("title", &["description"])),
            Entity::Commitment => Some(("description", &["initiative"])),
            Entity::Payment => Some(("description", &[])),
            _ => None,
        }
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// Whether the entity's id is derived from two others (one attendance per meeting and contact,
    /// one invitation per visit and contact), so that two laptops registering the same pair offline
    /// make the same record instead of two.
    pub fn pair_key(self) -> Option<(&'static str, &'static str)> {
        match self {
            Entity::Attendance => Some(("meeting_id", "contact_id")),
            Entity::Invitee => Some(("visit_id", "contact_id")),
            Entity::Budget => Some(("area_id", "year")),
            _ => None,
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Entity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.replace('-', "_");
        Entity::ALL
            .into_iter()
            .find(|e| e.name() == wanted)
            .ok_or_else(|| format!("unknown entity {s:?}"))
    }
}

/// One field of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

impl Field {
    const fn req(name: &'static str, kind: FieldKind) -> Field {
        Field {
            name,
            kind,
            required: true,
        }
    }
    const fn opt(name: &'static str, kind: FieldKind) -> Field {
        Field {
            name,
            kind,
            required: false,
        }
    }
}

/// What a field holds, and so how it is checked and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Single-line text, at most this many characters.
    Text(usize),
    /// Multi-line text (minutes, notes), at most [`LONG_TEXT_MAX`] characters.
    LongText,
    /// An integer within the bounds (inclusive).
    Int(i64, i64),
    /// A calendar date, `2026-03-01`.
    Date,
    /// An instant, stored in UTC as `2026-03-01T18:30:00Z`.
    Instant,
    /// A wall-clock time of day, `14:30`.
    LocalTime,
    /// An IANA time zone name, `Europe/Amsterdam`.
    TimeZone,
    /// One of the listed values.
    Enum(&'static [&'static str]),
    /// The id of a live record of that entity.
    Ref(Entity),
    /// A list of ids of live records of that entity (stored as a JSON array).
    RefList(Entity),
    /// An e-mail address.
    Email,
    /// A CBS area code: `GM0373`, `WK037300`, `BU03730000`.
    CbsCode,
    /// A phone number: a Dutch one in its normal form (`06-12345678`, `072-5123456`), anything
    /// else kept as typed (at most 50 characters); see [`crate::normal_form::phone`].
    Phone,
    /// A postcode: a Dutch one as `1234 AB`, anything else (a foreign one) kept as typed (at
    /// most 12 characters).
    Postcode,
    /// An amount of money in whole cents (stored as an INTEGER). Given as a whole number of
    /// cents, or as euros in text, Dutch or plain (`"1.234,56"`, `"1234,56"`, `"1234.56"`,
    /// `"€ 12"`); see [`crate::money`]. Only a `signed` amount may be below zero.
    Money { signed: bool },
}

impl FieldKind {
    /// Whether SQLite stores the field as an INTEGER.
    pub fn is_integer(self) -> bool {
        matches!(self, FieldKind::Int(..) | FieldKind::Money { .. })
    }
}

pub const NAME_MAX: usize = 200;
pub const SHORT_MAX: usize = 50;
pub const LINE_MAX: usize = 500;
pub const TEXT_MAX: usize = 10_000;
pub const LONG_TEXT_MAX: usize = 200_000;

/// The legal bases (AVG art. 6) on which a contact's data is held.
pub const LEGAL_BASES: &[&str] = &["publieke_taak", "gerechtvaardigd_belang", "toestemming"];
/// The bounds of a municipality's retention period, in days (a month to a hundred years).
pub const RETENTION_DAYS_MIN: i64 = 30;
pub const RETENTION_DAYS_MAX: i64 = 36_500;

pub const AREA_KINDS: &[&str] = &["municipality", "core", "district", "neighbourhood"];
pub const ORGANISATION_KINDS: &[&str] = &[
    "wijkvereniging",
    "bewonersvereniging",
    "dorpsraad",
    "wijkraad",
    "kernraad",
    "kernoverleg",
    "police",
    "housing_corporation",
    "welfare",
    "care",
    "department",
    "college",
    "council",
    "other_partner",
];
/// Organisation kinds that are residents' associations (they have a board).
pub const ASSOCIATION_KINDS: &[&str] = &[
    "wijkvereniging",
    "bewonersvereniging",
    "dorpsraad",
    "wijkraad",
    "kernraad",
];
pub const ROLE_KINDS: &[&str] = &[
    "chair",
    "vice_chair",
    "secretary",
    "treasurer",
    "board_member",
    "member",
    "representative",
    "wijkagent",
    "alderman",
    "council_member",
    "department_contact",
    "coordinator",
    "staff",
    "other",
];
/// Role kinds that hold a seat on a board.
pub const BOARD_ROLE_KINDS: &[&str] = &[
    "chair",
    "vice_chair",
    "secretary",
    "treasurer",
    "board_member",
];
pub const MEETING_KINDS: &[&str] = &[
    "ledenvergadering",
    "kernoverleg",
    "bestuursoverleg",
    "netwerkbijeenkomst",
    "other",
];
pub const MEETING_STATUSES: &[&str] = &["planned", "held", "cancelled"];
pub const ATTENDANCE_STATUSES: &[&str] = &["invited", "present", "absent", "excused"];
pub const VISIT_KINDS: &[&str] = &["kernbezoek", "wijkschouw"];
pub const VISIT_STATUSES: &[&str] = &["proposed", "planned", "confirmed", "held", "cancelled"];
pub const INVITEE_RESPONSES: &[&str] = &["pending", "accepted", "declined", "tentative"];
pub const ACTION_POINT_STATUSES: &[&str] = &["open", "in_progress", "waiting", "done", "cancelled"];
/// Statuses of an action point that is still to be done (so it can be overdue).
pub const ACTION_POINT_OPEN_STATUSES: &[&str] = &["open", "in_progress", "waiting"];
/// The school-holiday regions of the Netherlands.
pub const SCHOOL_REGIONS: &[&str] = &["noord", "midden", "zuid"];
/// The largest calendar SEQUENCE stored (RFC 5545 allows any non-negative integer).
pub const ICAL_SEQUENCE_MAX: i64 = 2_000_000_000;
/// `due_date_proposal`: a department colleague proposes another due date (from the server's
/// web pages); `reminder_request`: the coordinator asks the server to mail the owning
/// department about the point (the server answers with a comment saying whom it mailed).
pub const ACTION_POINT_EVENT_KINDS: &[&str] = &[
    "status_change",
    "comment",
    "due_date_proposal",
    "reminder_request",
];
/// Where a history entry of an action point was written when not in the app: `web`, the
/// department colleagues' pages on the sync server.
pub const ACTION_POINT_EVENT_SOURCES: &[&str] = &["web"];
/// An agreement is drafted (concept), adopted on a date (vastgesteld), then finished.
pub const AGREEMENT_STATUSES: &[&str] = &["concept", "vastgesteld", "afgerond"];
/// The steps of the participation ladder, lowest first.
pub const PARTICIPATION_STEPS: &[&str] = &[
    "informeren",
    "raadplegen",
    "adviseren",
    "coproduceren",
    "meebeslissen",
];
pub const PROJECT_STATUSES: &[&str] = &[
    "idee",
    "voorbereiding",
    "uitvoering",
    "afgerond",
    "vervallen",
];
/// The number of projects an agreement holds before it is flagged: the seeds ask for "at most
/// three or four realistic projects".
pub const AGREEMENT_PROJECTS_MAX: usize = 4;

/// The rank of an area kind: a parent's rank is always below its child's.
pub fn area_rank(kind: &str) -> Option<usize> {
    AREA_KINDS.iter().position(|k| *k == kind)
}
