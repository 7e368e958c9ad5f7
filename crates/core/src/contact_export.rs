//! Contacts, organisations and board lists going out again: to CSV as Dutch Excel opens it, to
//! XLSX, and to vCard 3.0 or 4.0 as Outlook and Google import it; and an association's board as
//! a mailing list.
//!
//! What goes out is an [`ExportScope`]:
//! - [`ExportScope::Contacts`]: the contacts the Contacten list shows (all of them, or those the
//!   words find), one row per person, with the organisation and function of their first current
//!   role and the other organisations beside it;
//! - [`ExportScope::Board`]: an organisation's current board (or all its current roles), one row
//!   per role, chair first;
//! - [`ExportScope::Area`]: everyone with a current role in an organisation of an area or an area
//!   below it (a kern with its wijken), one row per role, by organisation;
//! - [`ExportScope::Organisations`]: the organisations the Organisaties list shows.
//!
//! Columns carry the Dutch names the importer recognises (`wijkwerk_lists::vcard::COLUMNS`), so
//! that a list that went out can come back in. Deleted records never go out, nor do roles of
//! deleted contacts or organisations; a role is current on a day from its start date through its
//! end date. Rows are read from SQLite a row at a time and written straight into the file
//! (`wijkwerk_lists::write`), so that 100,000 contacts are never a table in memory.
//!
//! In a vCard file every person is one card: the first role's organisation is `ORG` with its
//! function as `TITLE`, further organisations are `CATEGORIES`.

use crate::browse::{
    contact_filter, organisation_filter, organisations_in_area_sql, ContactQuery, Filter,
    OrganisationQuery,
};
use crate::error::{Error, Result};
use crate::schema::{Entity, BOARD_ROLE_KINDS, ROLE_KINDS};
use crate::store::Store;
use jiff::civil::Date;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;
use wijkwerk_lists::vcard::{Card, CardKind, VcardWriter, Version};
use wijkwerk_lists::write::{CsvForExcel, WriteError, XlsxList};

/// What to export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum ExportScope {
    /// The contacts as the Contacten list shows them: all, or those the words find (and, as a
    /// link from an organisation may ask, those with a role there, now or before).
    Contacts {
        #[serde(default)]
        #[ts(optional)]
        text: Option<String>,
        #[serde(default)]
        #[ts(optional)]
        organisation_id: Option<String>,
    },
    /// An organisation's board today; with `all_roles` every role held there today.
    Board {
        organisation_id: String,
        #[serde(default)]
        all_roles: bool,
    },
    /// Everyone with a role today in an organisation of the area or an area below it.
    Area { area_id: String },
    /// The organisations as the Organisaties list shows them.
    Organisations {
        #[serde(default)]
        #[ts(optional)]
        text: Option<String>,
        #[serde(default)]
        #[ts(optional)]
        kind: Option<String>,
        #[serde(default)]
        #[ts(optional)]
        area_id: Option<String>,
    },
}

impl ExportScope {
    /// Every contact.
    pub fn all_contacts() -> ExportScope {
        ExportScope::Contacts {
            text: None,
            organisation_id: None,
        }
    }
}

/// The file a list becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ListFormat {
    /// CSV for Dutch Excel: UTF-8 with a byte order mark, `;`, CRLF.
    Csv,
    Xlsx,
    /// vCard 3.0: what Outlook and Google import without question.
    Vcard3,
    /// vCard 4.0.
    Vcard4,
}

impl ListFormat {
    /// The file's extension.
    pub fn extension(self) -> &'static str {
        match self {
            ListFormat::Csv => "csv",
            ListFormat::Xlsx => "xlsx",
            ListFormat::Vcard3 | ListFormat::Vcard4 => "vcf",
        }
    }
}

/// An exported list: its bytes, how many rows (or cards) it holds, and a name for its file.
#[derive(Debug, Clone, PartialEq)]
pub struct ListExport {
    pub bytes: Vec<u8>,
    /// Rows below the header; in a vCard file, cards.
    pub rows: usize,
    /// What the list is, for its file name (`bestuur Dorpsraad Groet`); not yet a safe name.
    pub name: String,
    pub format: ListFormat,
}

/// Why a list could not be exported. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] Error),
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl From<rusqlite::Error> for ExportError {
    fn from(error: rusqlite::Error) -> ExportError {
        ExportError::Store(error.into())
    }
}

impl ExportError {
    /// A stable code: the store's, or `export` when the file could not be made.
    pub fn code(&self) -> &'static str {
        match self {
            ExportError::Store(error) => error.code(),
            ExportError::Write(_) => "export",
        }
    }
}

/// The columns of a list of people, one row per person.
pub const CONTACT_COLUMNS: [&str; 13] = [
    "Naam",
    "Voornaam",
    "Achternaam",
    "E-mailadres",
    "Telefoon",
    "Mobiel",
    "Straat",
    "Postcode",
    "Woonplaats",
    "Organisatie",
    "Functie",
    "Andere organisaties",
    "Notities",
];

/// The columns of a board or an area's roles, one row per role.
pub const ROLE_COLUMNS: [&str; 13] = [
    "Organisatie",
    "Functie",
    "Sinds",
    "Naam",
    "Voornaam",
    "Achternaam",
    "E-mailadres",
    "Telefoon",
    "Mobiel",
    "Straat",
    "Postcode",
    "Woonplaats",
    "Notities",
];

/// The columns of the organisations list.
pub const ORGANISATION_COLUMNS: [&str; 8] = [
    "Naam",
    "Soort",
    "Gebieden",
    "E-mailadres",
    "Telefoon",
    "Website",
    "Bestuurszetels",
    "Notities",
];

/// A role's kind in Dutch, as a function is written in a list ("Voorzitter").
pub fn role_word(kind: &str) -> &'static str {
    match kind {
        "chair" => "Voorzitter",
        "vice_chair" => "Vicevoorzitter",
        "secretary" => "Secretaris",
        "treasurer" => "Penningmeester",
        "board_member" => "Bestuurslid",
        "member" => "Lid",
        "representative" => "Vertegenwoordiger",
        "wijkagent" => "Wijkagent",
        "alderman" => "Wethouder",
        "council_member" => "Raadslid",
        "department_contact" => "Contactpersoon afdeling",
        "coordinator" => "Coördinator",
        "staff" => "Medewerker",
        _ => "Overige rol",
    }
}

/// A role's function as a list shows it: the Dutch word for its kind, with the title beside it
/// ("Voorzitter (tevens notulist)"); the title alone when it already says what the kind says
/// ("Wijkcoördinator Egmonden" for a coordinator) or the kind is `other`.
pub fn function_label(kind: &str, title: Option<&str>) -> String {
    let word = role_word(kind);
    match title.map(str::trim).filter(|t| !t.is_empty()) {
        None => word.to_owned(),
        Some(title) if kind == "other" || title.to_lowercase().contains(&word.to_lowercase()) => {
            title.to_owned()
        }
        Some(title) => format!("{word} ({title})"),
    }
}

/// An organisation's kind in Dutch ("Dorpsraad", "Afdeling gemeente").
pub fn organisation_kind_word(kind: &str) -> &str {
    match kind {
        "wijkvereniging" => "Wijkvereniging",
        "bewonersvereniging" => "Bewonersvereniging",
        "dorpsraad" => "Dorpsraad",
        "wijkraad" => "Wijkraad",
        "kernraad" => "Kernraad",
        "kernoverleg" => "Kernoverleg",
        "police" => "Politie",
        "housing_corporation" => "Woningcorporatie",
        "welfare" => "Welzijn",
        "care" => "Zorg",
        "department" => "Afdeling gemeente",
        "college" => "College",
        "council" => "Gemeenteraad",
        "other_partner" => "Andere partner",
        other => other,
    }
}

/// A person with the roles that bring them into the list.
#[derive(Debug, Clone, PartialEq, Default)]
struct Person {
    id: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    mobile: Option<String>,
    street: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
    notes: Option<String>,
    roles: Vec<Role>,
}

#[derive(Debug, Clone, PartialEq)]
struct Role {
    organisation: String,
    kind: String,
    title: Option<String>,
    start_date: String,
}

impl Role {
    fn function(&self) -> String {
        function_label(&self.kind, self.title.as_deref())
    }
}

/// The columns of a people query, the contact being `c`: the person's columns 0–8, then the
/// role's 9–13 (all NULL for a contact without a current role).
fn person_columns(c: &str) -> String {
    format!(
        "{c}.id, {c}.name, {c}.email, {c}.phone, {c}.mobile, {c}.address, {c}.postcode, \
         {c}.city, {c}.notes, o.id, o.name, r.kind, r.title, r.start_date"
    )
}

fn person_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    let text = |i: usize| -> rusqlite::Result<Option<String>> {
        Ok(r.get::<_, Option<String>>(i)?
            .filter(|s| !s.trim().is_empty()))
    };
    Ok(Person {
        id: r.get(0)?,
        name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        email: text(2)?,
        phone: text(3)?,
        mobile: text(4)?,
        street: text(5)?,
        postcode: text(6)?,
        city: text(7)?,
        notes: text(8)?,
        roles: Vec::new(),
    })
}

fn role_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Role>> {
    // A role whose organisation was deleted comes without one (LEFT JOIN): it does not count.
    let organisation: Option<String> = r.get(9)?;
    if organisation.is_none() {
        return Ok(None);
    }
    let kind: Option<String> = r.get(11)?;
    let Some(kind) = kind else { return Ok(None) };
    Ok(Some(Role {
        organisation: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
        kind,
        title: r.get(12)?,
        start_date: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
    }))
}

/// `CASE r.kind ...`: board positions first (chair, vice chair, secretary, treasurer, member of
/// the board), then the other kinds in the schema's order.
fn rank_sql() -> String {
    let mut sql = String::from("CASE r.kind");
    for (i, kind) in ROLE_KINDS.iter().enumerate() {
        sql.push_str(&format!(" WHEN '{kind}' THEN {i}"));
    }
    sql.push_str(&format!(" ELSE {} END", ROLE_KINDS.len()));
    sql
}

fn quoted_list(kinds: &[&str]) -> String {
    kinds
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A day as an SQL literal; a `Date`'s text is digits and dashes only.
fn day_literal(day: Date) -> String {
    format!("'{day}'")
}

fn parse_id(entity: Entity, text: &str) -> Result<Uuid> {
    Uuid::parse_str(text.trim())
        .map_err(|_| Error::BadRequest(format!("{text:?} is not the id of an {entity}")))
}

/// Which roles a role list holds.
enum Roles {
    /// Of one organisation; only board positions unless `all`.
    Of { organisation: Uuid, all: bool },
    /// Of the organisations of an area and the areas below it.
    InArea(Uuid),
}

/// The order of a role list: per organisation (a table), or per person (cards).
#[derive(Clone, Copy, PartialEq)]
enum Order {
    ByOrganisation,
    ByPerson,
}

/// Where rows go: a table (CSV or XLSX) or cards.
enum Sink {
    Csv(Box<CsvForExcel>),
    Xlsx(Box<XlsxList>),
    Cards(VcardWriter),
}

impl Sink {
    fn new(
        format: ListFormat,
        sheet: &str,
        headers: &[&str],
    ) -> std::result::Result<Sink, WriteError> {
        Ok(match format {
            ListFormat::Csv => Sink::Csv(Box::new(CsvForExcel::new(headers)?)),
            ListFormat::Xlsx => Sink::Xlsx(Box::new(XlsxList::new(sheet, headers)?)),
            ListFormat::Vcard3 => Sink::Cards(VcardWriter::new(Version::V3)),
            ListFormat::Vcard4 => Sink::Cards(VcardWriter::new(Version::V4)),
        })
    }

    fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> std::result::Result<(), WriteError> {
        match self {
            Sink::Csv(csv) => csv.row(cells),
            Sink::Xlsx(book) => book.row(cells),
            // Cards are written by `card`.
            Sink::Cards(_) => Ok(()),
        }
    }

    fn card(&mut self, card: &Card) {
        if let Sink::Cards(cards) = self {
            cards.card(card);
        }
    }

    fn is_cards(&self) -> bool {
        matches!(self, Sink::Cards(_))
    }

    fn finish(self) -> std::result::Result<Vec<u8>, WriteError> {
        match self {
            Sink::Csv(csv) => csv.finish(),
            Sink::Xlsx(book) => book.finish(),
            Sink::Cards(cards) => Ok(cards.finish()),
        }
    }
}

fn or_empty(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// A person's card: the first role's organisation and function, the others as categories.
fn person_card(person: &Person) -> Card {
    let first = person.roles.first();
    let mut categories: Vec<String> = Vec::new();
    for role in person.roles.iter().skip(1) {
        let repeated = first.is_some_and(|f| f.organisation == role.organisation)
            || categories.contains(&role.organisation);
        if !repeated && !role.organisation.is_empty() {
            categories.push(role.organisation.clone());
        }
    }
    Card {
        uid: format!("urn:uuid:{}", person.id),
        kind: CardKind::Individual,
        name: person.name.clone(),
        email: person.email.clone(),
        phone: person.phone.clone(),
        mobile: person.mobile.clone(),
        street: person.street.clone(),
        postcode: person.postcode.clone(),
        city: person.city.clone(),
        organisation: first.map(|r| r.organisation.clone()),
        function: first.map(Role::function),
        url: None,
        notes: person.notes.clone(),
        categories,
    }
}

/// A person as a row of [`CONTACT_COLUMNS`].
fn contact_row(person: &Person) -> [String; 13] {
    let (given, family) = wijkwerk_lists::vcard::split_name(&person.name);
    let first = person.roles.first();
    let mut others: Vec<String> = Vec::new();
    for role in person.roles.iter().skip(1) {
        let entry = format!("{} ({})", role.organisation, role.function());
        if !others.contains(&entry) {
            others.push(entry);
        }
    }
    [
        person.name.clone(),
        given,
        family,
        or_empty(&person.email).to_owned(),
        or_empty(&person.phone).to_owned(),
        or_empty(&person.mobile).to_owned(),
        or_empty(&person.street).to_owned(),
        or_empty(&person.postcode).to_owned(),
        or_empty(&person.city).to_owned(),
        first.map(|r| r.organisation.clone()).unwrap_or_default(),
        first.map(Role::function).unwrap_or_default(),
        others.join("; "),
        or_empty(&person.notes).to_owned(),
    ]
}

/// One role of a person as a row of [`ROLE_COLUMNS`].
fn role_row(person: &Person, role: &Role) -> [String; 13] {
    let (given, family) = wijkwerk_lists::vcard::split_name(&person.name);
    [
        role.organisation.clone(),
        role.function(),
        role.start_date.clone(),
        person.name.clone(),
        given,
        family,
        or_empty(&person.email).to_owned(),
        or_empty(&person.phone).to_owned(),
        or_empty(&person.mobile).to_owned(),
        or_empty(&person.street).to_owned(),
        or_empty(&person.postcode).to_owned(),
        or_empty(&person.city).to_owned(),
        or_empty(&person.notes).to_owned(),
    ]
}

/// One member of a board in a mailing list.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BoardMember {
    pub contact_id: String,
    pub name: String,
    /// The member's board positions (role kinds), chair first.
    pub kinds: Vec<String>,
    /// The same in Dutch words, as a list writes them ("Secretaris, Penningmeester").
    pub function: String,
    pub email: Option<String>,
}

/// An association's board as a mailing list.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MailingList {
    pub organisation_id: String,
    pub organisation_name: String,
    /// What Outlook's To field takes: `"Anna de Vries" <anna@example.nl>; "Piet Bakker" <…>`.
    pub to: String,
    /// The same addresses as a `mailto:` link (RFC 6068: addresses only, comma separated);
    /// `None` when nobody on the board has an e-mail address.
    pub mailto: Option<String>,
    /// Board members with an e-mail address, chair first (one entry per address).
    pub recipients: Vec<BoardMember>,
    /// Board members without an e-mail address: the coordinator knows whom to reach otherwise.
    pub missing: Vec<BoardMember>,
}

/// `"Name" <address>` as RFC 5322 writes a display name: quoted, `"` and `\` escaped.
fn mailbox(name: &str, email: &str) -> String {
    let mut quoted = String::with_capacity(name.len() + 2);
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '\r' | '\n' => quoted.push(' '),
            c => quoted.push(c),
        }
    }
    format!("\"{}\" <{email}>", quoted.trim())
}

/// An address as a `mailto:` URI holds it (RFC 6068): everything but unreserved characters, `@`
/// and a few delimiters percent-encoded, as UTF-8.
fn mailto_address(email: &str) -> String {
    let mut out = String::with_capacity(email.len());
    for byte in email.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'@'
                    | b'!'
                    | b'$'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b';'
                    | b':'
            );
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Store {
    /// The list `scope` selects, on `day`, as a file in `format`.
    pub fn export_list(
        &self,
        scope: &ExportScope,
        format: ListFormat,
        day: Date,
    ) -> std::result::Result<ListExport, ExportError> {
        match scope {
            ExportScope::Contacts {
                text,
                organisation_id,
            } => {
                let query = ContactQuery {
                    text: text.clone(),
                    organisation_id: organisation_id.clone(),
                    ..ContactQuery::default()
                };
                let name = match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                    Some(words) => format!("contacten {words}"),
                    None => "contacten".to_owned(),
                };
                self.export_contacts(&query, format, day, name)
            }
            ExportScope::Board {
                organisation_id,
                all_roles,
            } => {
                let id = parse_id(Entity::Organisation, organisation_id)?;
                let organisation = self.organisation_name(id)?;
                let name = if *all_roles {
                    format!("rollen {organisation}")
                } else {
                    format!("bestuur {organisation}")
                };
                let roles = Roles::Of {
                    organisation: id,
                    all: *all_roles,
                };
                let sheet = if *all_roles { "Rollen" } else { "Bestuur" };
                self.export_roles(&roles, format, day, sheet, name)
            }
            ExportScope::Area { area_id } => {
                let id = parse_id(Entity::Area, area_id)?;
                let area = self.get_live(Entity::Area, id)?;
                let area = area.get("name").and_then(|v| v.as_str()).unwrap_or("");
                let name = format!("rollen {area}");
                self.export_roles(&Roles::InArea(id), format, day, "Rollen", name)
            }
            ExportScope::Organisations {
                text,
                kind,
                area_id,
            } => {
                let query = OrganisationQuery {
                    text: text.clone(),
                    kind: kind.clone(),
                    area_id: area_id.clone(),
                    ..OrganisationQuery::default()
                };
                let mut name = "organisaties".to_owned();
                if let Some(area) = area_id {
                    let id = parse_id(Entity::Area, area)?;
                    let area = self.get_live(Entity::Area, id)?;
                    if let Some(area) = area.get("name").and_then(|v| v.as_str()) {
                        name = format!("organisaties {area}");
                    }
                }
                self.export_organisations(&query, format, name)
            }
        }
    }

    fn organisation_name(&self, id: Uuid) -> Result<String> {
        let organisation = self.get_live(Entity::Organisation, id)?;
        Ok(organisation
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned())
    }

    /// Runs a people query whose rows are ordered by person, calling `each` once per person
    /// with the roles of their rows.
    fn each_person(
        &self,
        sql: &str,
        params: &[SqlValue],
        mut each: impl FnMut(&Person) -> std::result::Result<(), ExportError>,
    ) -> std::result::Result<(), ExportError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut current: Option<Person> = None;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            if current.as_ref().is_some_and(|p| p.id != id) {
                if let Some(done) = current.take() {
                    each(&done)?;
                }
            }
            let person = match current.as_mut() {
                Some(person) => person,
                None => current.insert(person_of(r)?),
            };
            if let Some(role) = role_of(r)? {
                person.roles.push(role);
            }
        }
        if let Some(done) = current {
            each(&done)?;
        }
        Ok(())
    }

    fn export_contacts(
        &self,
        query: &ContactQuery,
        format: ListFormat,
        day: Date,
        name: String,
    ) -> std::result::Result<ListExport, ExportError> {
        let filter: Filter = contact_filter(query);
        let day = day_literal(day);
        // The contact list's own filter (`x`), its order, and the current roles beside it.
        let sql = format!(
            "SELECT {columns}
             FROM contact x
             LEFT JOIN role r ON r.contact_id = x.id AND r.deleted = 0
                  AND r.start_date <= {day} AND (r.end_date IS NULL OR r.end_date >= {day})
             LEFT JOIN organisation o ON o.id = r.organisation_id AND o.deleted = 0
             WHERE {condition}
             ORDER BY x.name COLLATE NOCASE, x.id, {rank}, r.start_date, o.name COLLATE NOCASE",
            columns = person_columns("x"),
            condition = filter.sql(),
            rank = rank_sql(),
        );
        let mut sink = Sink::new(format, "Contacten", &CONTACT_COLUMNS)?;
        let mut rows = 0;
        self.each_person(&sql, &filter.params, |person| {
            rows += 1;
            if sink.is_cards() {
                sink.card(&person_card(person));
                Ok(())
            } else {
                Ok(sink.row(&contact_row(person))?)
            }
        })?;
        Ok(ListExport {
            bytes: sink.finish()?,
            rows,
            name,
            format,
        })
    }

    fn export_roles(
        &self,
        roles: &Roles,
        format: ListFormat,
        day: Date,
        sheet: &str,
        name: String,
    ) -> std::result::Result<ListExport, ExportError> {
        let order = match format {
            ListFormat::Vcard3 | ListFormat::Vcard4 => Order::ByPerson,
            ListFormat::Csv | ListFormat::Xlsx => Order::ByOrganisation,
        };
        let (sql, params) = roles_sql(roles, day, order);
        let mut sink = Sink::new(format, sheet, &ROLE_COLUMNS)?;
        let mut rows = 0;
        self.each_person(&sql, &params, |person| {
            if sink.is_cards() {
                rows += 1;
                sink.card(&person_card(person));
            } else {
                // Ordered by organisation, a person's roles there follow each other.
                for role in &person.roles {
                    rows += 1;
                    sink.row(&role_row(person, role))?;
                }
            }
            Ok(())
        })?;
        Ok(ListExport {
            bytes: sink.finish()?,
            rows,
            name,
            format,
        })
    }

    fn export_organisations(
        &self,
        query: &OrganisationQuery,
        format: ListFormat,
        name: String,
    ) -> std::result::Result<ListExport, ExportError> {
        let filter = organisation_filter(query);
        let sql = format!(
            "SELECT x.id, x.name, x.kind,
                    (SELECT group_concat(a.name, ', ') FROM json_each(x.area_ids) j
                       JOIN area a ON a.id = j.value AND a.deleted = 0),
                    x.email, x.phone, x.website, x.board_size, x.notes
             FROM organisation x WHERE {} ORDER BY x.name COLLATE NOCASE, x.id",
            filter.sql()
        );
        let mut sink = Sink::new(format, "Organisaties", &ORGANISATION_COLUMNS)?;
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut found = stmt.query(rusqlite::params_from_iter(filter.params.iter()))?;
        let mut rows = 0;
        while let Some(r) = found.next()? {
            rows += 1;
            let text = |i: usize| -> rusqlite::Result<Option<String>> {
                Ok(r.get::<_, Option<String>>(i)?
                    .filter(|s| !s.trim().is_empty()))
            };
            let id: String = r.get(0)?;
            let org_name = text(1)?.unwrap_or_default();
            let kind = organisation_kind_word(&text(2)?.unwrap_or_default()).to_owned();
            let areas = text(3)?;
            let email = text(4)?;
            let phone = text(5)?;
            let website = text(6)?;
            let board_size: Option<i64> = r.get(7)?;
            let notes = text(8)?;
            if sink.is_cards() {
                sink.card(&Card {
                    uid: format!("urn:uuid:{id}"),
                    kind: CardKind::Organisation,
                    organisation: Some(org_name.clone()),
                    name: org_name,
                    email,
                    phone,
                    url: website,
                    notes,
                    categories: vec![kind],
                    ..Card::default()
                });
            } else {
                sink.row(&[
                    org_name.as_str(),
                    kind.as_str(),
                    or_empty(&areas),
                    or_empty(&email),
                    or_empty(&phone),
                    or_empty(&website),
                    &board_size.map(|s| s.to_string()).unwrap_or_default(),
                    or_empty(&notes),
                ])?;
            }
        }
        Ok(ListExport {
            bytes: sink.finish()?,
            rows,
            name,
            format,
        })
    }

    /// The board of an organisation on `day` as a mailing list: its members with an address in
    /// Outlook's To form and as a `mailto:` link, and those without one.
    pub fn board_mailing_list(&self, organisation: Uuid, day: Date) -> Result<MailingList> {
        let organisation_name = self.organisation_name(organisation)?;
        let roles = Roles::Of {
            organisation,
            all: false,
        };
        let (sql, params) = roles_sql(&roles, day, Order::ByOrganisation);
        // Ordered by position: a member holding two is listed once, at the first.
        let mut members: Vec<BoardMember> = Vec::new();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = rows.next()? {
            let person = person_of(r)?;
            let Some(role) = role_of(r)? else { continue };
            match members.iter_mut().find(|m| m.contact_id == person.id) {
                Some(member) => {
                    if !member.kinds.contains(&role.kind) {
                        member.function = format!("{}, {}", member.function, role.function());
                        member.kinds.push(role.kind);
                    }
                }
                None => members.push(BoardMember {
                    contact_id: person.id,
                    name: person.name,
                    function: role.function(),
                    kinds: vec![role.kind],
                    email: person.email,
                }),
            }
        }
        let (mut recipients, missing): (Vec<BoardMember>, Vec<BoardMember>) =
            members.into_iter().partition(|m| m.email.is_some());
        // Two members sharing one address get one message.
        let mut seen: Vec<String> = Vec::new();
        recipients.retain(|m| {
            let address = m.email.as_deref().unwrap_or("").to_lowercase();
            let first = !seen.contains(&address);
            seen.push(address);
            first
        });
        let to = recipients
            .iter()
            .map(|m| mailbox(&m.name, m.email.as_deref().unwrap_or("")))
            .collect::<Vec<_>>()
            .join("; ");
        let mailto = (!recipients.is_empty()).then(|| {
            let addresses: Vec<String> = recipients
                .iter()
                .map(|m| mailto_address(m.email.as_deref().unwrap_or("")))
                .collect();
            format!("mailto:{}", addresses.join(","))
        });
        Ok(MailingList {
            organisation_id: organisation.to_string(),
            organisation_name,
            to,
            mailto,
            recipients,
            missing,
        })
    }
}

/// The current roles `roles` selects on `day`, with their people, in `order`.
fn roles_sql(roles: &Roles, day: Date, order: Order) -> (String, Vec<SqlValue>) {
    let (which, param) = match roles {
        Roles::Of { organisation, all } => {
            let kinds = if *all {
                String::new()
            } else {
                format!(" AND r.kind IN ({})", quoted_list(BOARD_ROLE_KINDS))
            };
            (format!("r.organisation_id = ?1{kinds}"), organisation)
        }
        Roles::InArea(area) => (
            format!(
                "r.organisation_id IN ({})",
                organisations_in_area_sql().replace('?', "?1")
            ),
            area,
        ),
    };
    let rank = rank_sql();
    let order = match order {
        Order::ByOrganisation => format!(
            "o.name COLLATE NOCASE, o.id, {rank}, c.name COLLATE NOCASE, c.id, r.start_date"
        ),
        Order::ByPerson => format!(
            "c.name COLLATE NOCASE, c.id, {rank}, r.start_date, o.name COLLATE NOCASE, o.id"
        ),
    };
    let day = day_literal(day);
    let columns = person_columns("c");
    let sql = format!(
        "SELECT {columns}
         FROM role r
         JOIN contact c ON c.id = r.contact_id AND c.deleted = 0
         JOIN organisation o ON o.id = r.organisation_id AND o.deleted = 0
         WHERE r.deleted = 0 AND r.start_date <= {day}
           AND (r.end_date IS NULL OR r.end_date >= {day}) AND {which}
         ORDER BY {order}"
    );
    (sql, vec![SqlValue::Text(param.to_string())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_is_the_dutch_word_with_the_title_beside_it() {
        assert_eq!(function_label("chair", None), "Voorzitter");
        assert_eq!(
            function_label("secretary", Some("tevens notulist")),
            "Secretaris (tevens notulist)"
        );
        assert_eq!(
            function_label("coordinator", Some("Wijkcoördinator Egmonden")),
            "Wijkcoördinator Egmonden"
        );
        assert_eq!(function_label("other", Some("Beheerder")), "Beheerder");
        assert_eq!(function_label("treasurer", Some("  ")), "Penningmeester");
    }

    #[test]
    fn a_display_name_is_quoted_and_an_address_percent_encoded() {
        assert_eq!(
            mailbox("Jan \"de Baas\" Visser", "jan@example.nl"),
            "\"Jan \\\"de Baas\\\" Visser\" <jan@example.nl>"
        );
        assert_eq!(mailto_address("a+b@example.nl"), "a+b@example.nl");
        assert_eq!(mailto_address("a&b?c@example.nl"), "a%26b%3Fc@example.nl");
        assert_eq!(mailto_address("jöke@example.nl"), "j%C3%B6ke@example.nl");
    }

    #[test]
    fn board_positions_rank_first_in_the_schemas_order() {
        for (i, kind) in BOARD_ROLE_KINDS.iter().enumerate() {
            assert_eq!(ROLE_KINDS[i], *kind);
        }
    }
}
