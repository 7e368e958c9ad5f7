//! A row of a list into what will be stored: a contact (or, in a list of organisations, an
//! organisation) in the store's normal forms, the organisation named on the row and the role in
//! it, and what is wrong with the row.
//!
//! A row is refused (not imported) when it names nobody, or when a value cannot be stored (an
//! impossible date, text over the limit, more cells than the header with something in them). A
//! row is imported with a warning when a value is kept but not understood (a phone number that
//! is not Dutch, a postcode that is not one, an unknown function) or not taken over (an e-mail
//! address that is none goes into the notes, so nothing is lost).

use super::mapping::{header_key, Mapping, Target};
use super::{LineProblem, ProblemCode};
use crate::normal_form;
use crate::schema::{Entity, FieldKind, NAME_MAX};
use crate::values;
use crate::write::Fields;
use jiff::civil::Date;
use serde_json::Value;
use std::collections::HashMap;
use wijkwerk_lists::Row;

/// The columns of each target, resolved from a mapping against the header.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    targets: Vec<(Target, Vec<usize>)>,
    /// Google's "Phone 1 - Value" beside its "Phone 1 - Label": the label's column.
    labels: HashMap<usize, usize>,
    headers: Vec<String>,
}

impl Columns {
    pub fn resolve(headers: &[String], mapping: &Mapping) -> Columns {
        let mut targets: Vec<(Target, Vec<usize>)> = Vec::new();
        for (col, header) in headers.iter().enumerate() {
            let Some(Some(target)) = mapping.get(header) else {
                continue;
            };
            match targets.iter_mut().find(|(t, _)| t == target) {
                Some((_, cols)) => cols.push(col),
                None => targets.push((*target, vec![col])),
            }
        }
        // "Phone 1 - Value" pairs with "Phone 1 - Label" (or "- Type"): the same stem and number.
        let digits = |h: &str| h.chars().filter(char::is_ascii_digit).collect::<String>();
        let mut labels = HashMap::new();
        for (col, header) in headers.iter().enumerate() {
            let Some(stem) = header_key(header).strip_suffix("value").map(str::to_owned) else {
                continue;
            };
            let label = headers.iter().position(|h| {
                let key = header_key(h);
                (key == format!("{stem}label") || key == format!("{stem}type"))
                    && digits(h) == digits(header)
            });
            if let Some(label) = label {
                labels.insert(col, label);
            }
        }
        Columns {
            targets,
            labels,
            headers: headers.to_vec(),
        }
    }

    pub fn has(&self, target: Target) -> bool {
        self.targets.iter().any(|(t, _)| *t == target)
    }

    /// Whether any column names a person.
    pub fn names_people(&self) -> bool {
        self.targets.iter().any(|(t, _)| t.names_a_person())
    }

    fn columns(&self, target: Target) -> &[usize] {
        self.targets
            .iter()
            .find(|(t, _)| *t == target)
            .map_or(&[], |(_, c)| c.as_slice())
    }
}

/// The role a row gives its person in its organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleDraft {
    pub kind: &'static str,
    pub title: Option<String>,
    pub start_date: Date,
    pub end_date: Option<Date>,
}

/// The organisation a row names.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganisationDraft {
    /// The name as written (trimmed).
    pub name: String,
    /// The kind the row gives, if it gives one that is known.
    pub kind: Option<&'static str>,
    /// The area the row names, as written.
    pub area: Option<String>,
}

/// One row as it will be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub line: usize,
    /// The contact's fields (or the organisation's, in a list of organisations), normalised.
    pub fields: Fields,
    pub organisation: Option<OrganisationDraft>,
    pub role: Option<RoleDraft>,
    pub warnings: Vec<LineProblem>,
}

impl Draft {
    pub fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }
}

/// What a row became: a draft, or the reason it is refused.
pub type Built = Result<Draft, LineProblem>;

/// Whether rows are people (with their organisations) or organisations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Contacts,
    Organisations,
}

pub struct Builder<'a> {
    pub columns: &'a Columns,
    pub kind: ListKind,
    pub today: Date,
    /// Whether a short or long row is worth a warning (delimited text; a workbook's or a
    /// card's rows are always as wide as their header).
    pub check_widths: bool,
}

impl Builder<'_> {
    pub fn build(&self, row: &Row) -> Built {
        let mut warnings = Vec::new();
        let line = row.line;
        let width = self.columns.headers.len();
        if self.check_widths && row.cells.len() != width {
            let extra = row.cells.iter().skip(width).any(|c| !c.trim().is_empty());
            let problem = LineProblem::new(
                line,
                None,
                ProblemCode::FieldCount,
                Some(format!("{} / {}", row.cells.len(), width)),
                format!(
                    "the line has {} fields where the header has {width}",
                    row.cells.len()
                ),
            );
            if extra {
                return Err(problem);
            }
            if row.cells.len() < width {
                warnings.push(problem);
            }
        }
        let cell = |col: usize| row.cells.get(col).map_or("", |c| c.trim());
        // The first non-empty cell of a target, with its column; further different values of
        // the same target go into the notes, so that nothing is lost.
        let extras: std::cell::RefCell<Vec<String>> = std::cell::RefCell::default();
        let mut first = |target: Target| -> Option<(String, usize)> {
            let mut found: Option<(String, usize)> = None;
            for &col in self.columns.columns(target) {
                let value = cell(col);
                if value.is_empty() {
                    continue;
                }
                match &found {
                    None => found = Some((value.to_owned(), col)),
                    Some((kept, _)) if kept != value && target != Target::Notes => extras
                        .borrow_mut()
                        .push(format!("{}: {value}", self.columns.headers[col])),
                    Some(_) => {}
                }
            }
            found
        };
        let value =
            |f: &mut dyn FnMut(Target) -> Option<(String, usize)>, t: Target| f(t).map(|(v, _)| v);

        let mut fields = Fields::new();
        let mut notes: Vec<String> = self
            .columns
            .columns(Target::Notes)
            .iter()
            .map(|c| cell(*c))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        notes.dedup();

        let organisation_name = value(&mut first, Target::Organisation);
        let (entity, name) = match self.kind {
            ListKind::Contacts => (Entity::Contact, self.person_name(&mut first)),
            ListKind::Organisations => (
                Entity::Organisation,
                organisation_name
                    .clone()
                    .or_else(|| value(&mut first, Target::Name)),
            ),
        };
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Err(LineProblem::new(
                line,
                None,
                ProblemCode::NoName,
                None,
                match self.kind {
                    ListKind::Contacts => "the line names nobody (no name in any name column)",
                    ListKind::Organisations => "the line names no organisation",
                }
                .to_owned(),
            ));
        };
        fields.insert("name".into(), Value::String(name));

        // E-mail: an address that is none is kept in the notes, not refused.
        if let Some((email, col)) = first(Target::Email) {
            let email = clean_email(&email);
            match values::normalise(FieldKind::Email, &Value::String(email.clone()), None) {
                Ok(v) => {
                    fields.insert("email".into(), v);
                }
                Err(_) => {
                    warnings.push(LineProblem::new(
                        line,
                        Some(self.columns.headers[col].clone()),
                        ProblemCode::InvalidEmail,
                        Some(email.clone()),
                        "not an e-mail address: kept in the notes".into(),
                    ));
                    notes.push(format!("{}: {email}", self.columns.headers[col]));
                }
            }
        }

        // Numbers: a phone column whose label says "Mobile" (Google's) holds a mobile number;
        // the first of each kind is kept, further ones go into the notes.
        let is_mobile_label = |col: usize| {
            self.columns.labels.get(&col).is_some_and(|label| {
                let l = normal_form::fold(cell(*label));
                l.contains("mobile") || l.contains("mobiel") || l.contains("cell")
            })
        };
        let mut phones: Vec<(String, usize)> = Vec::new();
        let mut mobiles: Vec<(String, usize)> = Vec::new();
        for (target, list) in [(Target::Phone, false), (Target::Mobile, true)] {
            for &col in self.columns.columns(target) {
                let number = cell(col);
                if number.is_empty() {
                    continue;
                }
                let into = if list || is_mobile_label(col) {
                    &mut mobiles
                } else {
                    &mut phones
                };
                into.push((number.to_owned(), col));
            }
        }
        let keep = |numbers: Vec<(String, usize)>| {
            let mut numbers = numbers.into_iter();
            let kept = numbers.next();
            for (number, col) in numbers {
                let same = kept.as_ref().is_some_and(|(k, _)| {
                    normal_form::phone_key(k) == normal_form::phone_key(&number)
                });
                if !same {
                    extras
                        .borrow_mut()
                        .push(format!("{}: {number}", self.columns.headers[col]));
                }
            }
            kept
        };
        let phone = keep(phones);
        let mobile = keep(mobiles);
        let phone_fields: &[(&str, Option<(String, usize)>)] = match self.kind {
            ListKind::Contacts => &[("phone", phone), ("mobile", mobile)],
            ListKind::Organisations => &[("phone", phone.or(mobile))],
        };
        for (field, number) in phone_fields {
            let Some((number, col)) = number else {
                continue;
            };
            let stored = self.check(entity, field, col, line, number, &mut warnings)?;
            if normal_form::phone(number).is_none() {
                warnings.push(LineProblem::new(
                    line,
                    Some(self.columns.headers[*col].clone()),
                    ProblemCode::UnknownPhone,
                    Some(number.clone()),
                    "not a Dutch phone number: kept as written".into(),
                ));
            }
            fields.insert((*field).into(), stored);
        }

        match self.kind {
            ListKind::Contacts => {
                let street = value(&mut first, Target::Street);
                let number = value(&mut first, Target::HouseNumber);
                let address = match (street, number) {
                    (Some(s), Some(n)) if !s.ends_with(&n) => Some(format!("{s} {n}")),
                    (Some(s), _) => Some(s),
                    (None, Some(n)) => Some(n),
                    (None, None) => None,
                };
                if let Some(address) = address {
                    let col = self.first_column(Target::Street, Target::HouseNumber);
                    let v = self.check(entity, "address", &col, line, &address, &mut warnings)?;
                    fields.insert("address".into(), v);
                }
                if let Some((postcode, col)) = first(Target::Postcode) {
                    let v = self.check(entity, "postcode", &col, line, &postcode, &mut warnings)?;
                    if normal_form::postcode(&postcode).is_none() {
                        warnings.push(LineProblem::new(
                            line,
                            Some(self.columns.headers[col].clone()),
                            ProblemCode::UnknownPostcode,
                            Some(postcode.clone()),
                            "not a Dutch postcode: kept as written".into(),
                        ));
                    }
                    fields.insert("postcode".into(), v);
                }
                if let Some((city, col)) = first(Target::City) {
                    let v = self.check(entity, "city", &col, line, &city, &mut warnings)?;
                    fields.insert("city".into(), v);
                }
            }
            ListKind::Organisations => {
                if let Some((website, col)) = first(Target::Website) {
                    let v = self.check(entity, "website", &col, line, &website, &mut warnings)?;
                    fields.insert("website".into(), v);
                }
            }
        }

        let kind_text = first(Target::OrganisationKind);
        let organisation_kind = match &kind_text {
            Some((text, col)) => {
                let kind = organisation_kind(text);
                if kind.is_none() {
                    warnings.push(LineProblem::new(
                        line,
                        Some(self.columns.headers[*col].clone()),
                        ProblemCode::UnknownOrganisationKind,
                        Some(text.clone()),
                        "not a kind of organisation Wijkwerk knows: taken from the name".into(),
                    ));
                }
                kind
            }
            None => None,
        };
        let area = value(&mut first, Target::Area);

        let mut role = None;
        let mut organisation = None;
        match self.kind {
            ListKind::Contacts => {
                let function = first(Target::Function);
                let start = self.date(&mut first, Target::RoleStart, line)?;
                let end = self.date(&mut first, Target::RoleEnd, line)?;
                if let Some(org_name) = organisation_name {
                    let org_name = normal_form::name(&org_name);
                    if org_name.chars().count() > NAME_MAX {
                        let col = self.columns.columns(Target::Organisation)[0];
                        return Err(too_long(line, &self.columns.headers[col], NAME_MAX));
                    }
                    let (kind, title) = match &function {
                        Some((text, _)) => role_kind(text),
                        None => ("other", None),
                    };
                    let start_date = start.unwrap_or(self.today);
                    if let Some(end) = end {
                        if end < start_date {
                            let col = self.columns.columns(Target::RoleEnd)[0];
                            return Err(LineProblem::new(
                                line,
                                Some(self.columns.headers[col].clone()),
                                ProblemCode::EndBeforeStart,
                                Some(end.to_string()),
                                format!("the role ends ({end}) before it starts ({start_date})"),
                            ));
                        }
                    }
                    role = Some(RoleDraft {
                        kind,
                        title,
                        start_date,
                        end_date: end,
                    });
                    organisation = Some(OrganisationDraft {
                        name: org_name,
                        kind: organisation_kind,
                        area,
                    });
                } else if let Some((text, col)) = function {
                    warnings.push(LineProblem::new(
                        line,
                        Some(self.columns.headers[col].clone()),
                        ProblemCode::FunctionWithoutOrganisation,
                        Some(text.clone()),
                        "a function without an organisation: kept in the notes".into(),
                    ));
                    notes.push(format!("{}: {text}", self.columns.headers[col]));
                }
            }
            ListKind::Organisations => {
                organisation = Some(OrganisationDraft {
                    name: fields
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    kind: organisation_kind,
                    area,
                });
            }
        }

        notes.extend(extras.into_inner());
        if !notes.is_empty() {
            let text = notes.join("\n");
            let col = self.columns.columns(Target::Notes).first().copied();
            let v = values::normalise(FieldKind::LongText, &Value::String(text), None).map_err(
                |reason| {
                    LineProblem::new(
                        line,
                        col.map(|c| self.columns.headers[c].clone()),
                        ProblemCode::Invalid,
                        None,
                        format!("notes: {reason}"),
                    )
                },
            )?;
            fields.insert("notes".into(), v);
        }
        // The name is checked last, with everything else known (its length).
        let name_value = fields.get("name").cloned().unwrap_or(Value::Null);
        let name =
            values::normalise(FieldKind::Text(NAME_MAX), &name_value, None).map_err(|_| {
                LineProblem::new(
                    line,
                    None,
                    ProblemCode::TooLong,
                    None,
                    format!("the name is longer than {NAME_MAX} characters"),
                )
            })?;
        fields.insert("name".into(), name);
        Ok(Draft {
            line,
            fields,
            organisation,
            role,
            warnings,
        })
    }

    /// The person's name: the whole-name column, else first name (or initials), tussenvoegsel
    /// and last name put together.
    fn person_name(
        &self,
        first: &mut dyn FnMut(Target) -> Option<(String, usize)>,
    ) -> Option<String> {
        let whole = first(Target::Name).map(|(v, _)| v);
        let given = first(Target::FirstName)
            .or_else(|| first(Target::Initials))
            .map(|(v, _)| v);
        let infix = first(Target::Infix).map(|(v, _)| v);
        let last = first(Target::LastName).map(|(v, _)| v);
        if let Some(whole) = whole {
            return Some(normal_form::name(&filed_as(&whole)));
        }
        let parts: Vec<String> = [given, infix, last].into_iter().flatten().collect();
        (!parts.is_empty()).then(|| normal_form::name(&parts.join(" ")))
    }

    fn first_column(&self, a: Target, b: Target) -> usize {
        self.columns
            .columns(a)
            .first()
            .or(self.columns.columns(b).first())
            .copied()
            .unwrap_or(0)
    }

    /// A value checked as the store will check it; refused with its column when it cannot be
    /// stored.
    fn check(
        &self,
        entity: Entity,
        field: &str,
        col: &usize,
        line: usize,
        value: &str,
        _warnings: &mut Vec<LineProblem>,
    ) -> Result<Value, LineProblem> {
        let kind = entity
            .fields()
            .iter()
            .find(|f| f.name == field)
            .map_or(FieldKind::LongText, |f| f.kind);
        // A street over two lines (vCard 2.1's `=0D=0A`, Alt+Enter in Excel) in a one-line
        // field: the lines joined with a comma.
        let value = if kind == FieldKind::LongText || !value.contains(['\r', '\n']) {
            value.to_owned()
        } else {
            value
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let value = value.as_str();
        values::normalise(kind, &Value::String(value.to_owned()), None).map_err(|reason| {
            let header = self.columns.headers.get(*col).cloned().unwrap_or_default();
            match reason {
                crate::Invalid::TooLong { max, .. } => too_long(line, &header, max),
                other => LineProblem::new(
                    line,
                    Some(header),
                    ProblemCode::Invalid,
                    Some(value.chars().take(80).collect()),
                    other.to_string(),
                ),
            }
        })
    }

    fn date(
        &self,
        first: &mut dyn FnMut(Target) -> Option<(String, usize)>,
        target: Target,
        line: usize,
    ) -> Result<Option<Date>, LineProblem> {
        let Some((text, col)) = first(target) else {
            return Ok(None);
        };
        parse_date(&text).map(Some).map_err(|reason| {
            LineProblem::new(
                line,
                Some(self.columns.headers[col].clone()),
                ProblemCode::InvalidDate,
                Some(text.clone()),
                reason,
            )
        })
    }
}

fn too_long(line: usize, header: &str, max: usize) -> LineProblem {
    LineProblem::new(
        line,
        Some(header.to_owned()),
        ProblemCode::TooLong,
        Some(max.to_string()),
        format!("longer than {max} characters"),
    )
}

/// "Vries, Jan de" (as address books file a name) as "Jan de Vries".
fn filed_as(name: &str) -> String {
    match name.split_once(',') {
        Some((last, given))
            if !given.contains(',') && !last.trim().is_empty() && !given.trim().is_empty() =>
        {
            format!("{} {}", given.trim(), last.trim())
        }
        _ => name.to_owned(),
    }
}

/// An e-mail address as lists write it: `mailto:`, `Naam <adres>`, `SMTP:` taken off.
fn clean_email(text: &str) -> String {
    let text = text.trim();
    let text = match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => &text[open + 1..close],
        _ => text,
    };
    let lower = text.to_ascii_lowercase();
    let text = if lower.starts_with("mailto:") || lower.starts_with("smtp:") {
        text.split_once(':').map_or(text, |(_, rest)| rest)
    } else {
        text
    };
    text.trim().to_owned()
}

/// A day as Dutch lists write it: `31-12-2025`, `31/12/2025`, `31.12.2025`, `2025-12-31`
/// (and a workbook's dates, which arrive as `2025-12-31`).
pub fn parse_date(text: &str) -> Result<Date, String> {
    let text = text.trim();
    let text = text.split([' ', 'T']).next().unwrap_or(text);
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    let number = |s: &str| -> Option<i16> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m, d) = match parts.as_slice() {
        [a, b, c] if a.len() == 4 => (number(a), number(b), number(c)),
        [a, b, c] if c.len() == 4 => (number(c), number(b), number(a)),
        [_, _, c] if c.len() == 2 => {
            return Err(format!(
                "{text:?} has a year of two digits: write it in full (dd-mm-jjjj)"
            ))
        }
        _ => (None, None, None),
    };
    let (Some(y), Some(m), Some(d)) = (y, m, d) else {
        return Err(format!("{text:?} is not a date (dd-mm-jjjj)"));
    };
    let m = i8::try_from(m).map_err(|_| format!("{text:?} has no month {m}"))?;
    let d = i8::try_from(d).map_err(|_| format!("{text:?} has no day {d}"))?;
    Date::new(y, m, d).map_err(|_| format!("{text:?} is not a day in the calendar"))
}

/// A function as lists write it into a role's kind, and the words as title where they say more
/// than the kind.
pub fn role_kind(text: &str) -> (&'static str, Option<String>) {
    let text = text.trim();
    let text = match text.split_once(':') {
        Some((before, after)) if normal_form::fold(before) == "functie" => after.trim(),
        _ => text,
    };
    let folded = normal_form::fold(text);
    let compact: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
    const KINDS: &[(&[&str], &str)] = &[
        (
            &[
                "vicevoorzitter",
                "plaatsvervangendvoorzitter",
                "vicechair",
                "vicepresident",
                "vicechairman",
            ],
            "vice_chair",
        ),
        (
            &[
                "voorzitter",
                "chair",
                "chairman",
                "chairwoman",
                "chairperson",
                "president",
                "preses",
            ],
            "chair",
        ),
        (&["secretaris", "secretary", "secretariaat"], "secretary"),
        (&["penningmeester", "treasurer"], "treasurer"),
        (
            &[
                "bestuurslid",
                "algemeenbestuurslid",
                "lidbestuur",
                "lidvanhetbestuur",
                "boardmember",
                "bestuur",
            ],
            "board_member",
        ),
        (&["lid", "member", "leden"], "member"),
        (
            &[
                "vertegenwoordiger",
                "afgevaardigde",
                "representative",
                "lidkernoverleg",
                "afvaardiging",
            ],
            "representative",
        ),
        (
            &["wijkagent", "communityofficer", "buurtagent"],
            "wijkagent",
        ),
        (&["wethouder", "wijkwethouder", "alderman"], "alderman"),
        (
            &[
                "raadslid",
                "gemeenteraadslid",
                "councilmember",
                "councillor",
            ],
            "council_member",
        ),
        (
            &[
                "contactpersoon",
                "contactpersoongemeente",
                "accountmanager",
                "departmentcontact",
            ],
            "department_contact",
        ),
        (
            &[
                "wijkcoordinator",
                "gebiedsregisseur",
                "coordinator",
                "gebiedsadviseur",
                "buurtregisseur",
            ],
            "coordinator",
        ),
        (&["medewerker", "staff", "employee"], "staff"),
    ];
    for (words, kind) in KINDS {
        if words.contains(&compact.as_str()) {
            return (kind, None);
        }
    }
    // "Secretaris/penningmeester", "Voorzitter a.i.": the first kind named, with the words.
    let named = KINDS
        .iter()
        .find(|(words, _)| folded.split(' ').any(|w| words.contains(&w) && w.len() > 3));
    match named {
        Some((_, kind)) => (kind, Some(text.to_owned())),
        None if text.is_empty() => ("other", None),
        None => ("other", Some(text.to_owned())),
    }
}

/// A kind of organisation as lists write it ("Dorpsraad", "Politie", "Woningcorporatie").
pub fn organisation_kind(text: &str) -> Option<&'static str> {
    let compact: String = normal_form::fold(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    const KINDS: &[(&[&str], &str)] = &[
        (
            &[
                "wijkvereniging",
                "buurtvereniging",
                "vereniging",
                "wijkvereniging",
            ],
            "wijkvereniging",
        ),
        (
            &[
                "bewonersvereniging",
                "bewonerscommissie",
                "bewonersorganisatie",
            ],
            "bewonersvereniging",
        ),
        (&["dorpsraad", "dorpsbelang", "dorpsbelangen"], "dorpsraad"),
        (&["wijkraad", "buurtraad"], "wijkraad"),
        (&["kernraad"], "kernraad"),
        (&["kernoverleg"], "kernoverleg"),
        (&["politie", "police"], "police"),
        (
            &[
                "woningcorporatie",
                "woningbouwvereniging",
                "woningstichting",
                "housingcorporation",
            ],
            "housing_corporation",
        ),
        (&["welzijn", "welzijnsorganisatie", "welfare"], "welfare"),
        (&["zorg", "zorgaanbieder", "zorginstelling", "care"], "care"),
        (
            &["afdeling", "vakafdeling", "gemeente", "department"],
            "department",
        ),
        (
            &[
                "college",
                "collegevanbenw",
                "collegevanburgemeesterenwethouders",
            ],
            "college",
        ),
        (&["gemeenteraad", "raad", "council"], "council"),
        (
            &["partner", "overig", "anders", "other", "otherpartner"],
            "other_partner",
        ),
    ];
    if let Some(kind) = crate::schema::ORGANISATION_KINDS
        .iter()
        .find(|k| **k == text.trim())
    {
        return Some(kind);
    }
    KINDS
        .iter()
        .find(|(words, _)| words.contains(&compact.as_str()))
        .map(|(_, kind)| *kind)
}

/// The kind of a new organisation guessed from its name ("Dorpsraad Groet" is a dorpsraad);
/// a partner when the name says nothing.
pub fn organisation_kind_from_name(name: &str) -> &'static str {
    let folded = normal_form::fold(name);
    let has = |w: &str| folded.contains(w);
    if has("dorpsraad") || has("dorpsbelang") {
        "dorpsraad"
    } else if has("kernraad") {
        "kernraad"
    } else if has("kernoverleg") {
        "kernoverleg"
    } else if has("wijkraad") || has("buurtraad") {
        "wijkraad"
    } else if has("bewonersvereniging") || has("bewonerscommissie") {
        "bewonersvereniging"
    } else if has("wijkvereniging") || has("buurtvereniging") {
        "wijkvereniging"
    } else if has("politie") {
        "police"
    } else if has("woningcorporatie") || has("woningstichting") || has("wonen") {
        "housing_corporation"
    } else if has("welzijn") {
        "welfare"
    } else if has("zorg") {
        "care"
    } else if has("afdeling") || folded.starts_with("gemeente") {
        "department"
    } else {
        "other_partner"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_dates_and_impossible_ones() {
        let day = |s: &str| parse_date(s).map(|d| d.to_string());
        assert_eq!(day("31-12-2025").as_deref(), Ok("2025-12-31"));
        assert_eq!(day("1-2-2024").as_deref(), Ok("2024-02-01"));
        assert_eq!(day("01/02/2024").as_deref(), Ok("2024-02-01"));
        assert_eq!(day("2024-02-29").as_deref(), Ok("2024-02-29"));
        assert_eq!(day("2024-02-29 00:00:00").as_deref(), Ok("2024-02-29"));
        assert!(day("31-02-2024").unwrap_err().contains("not a day"));
        assert!(day("29-02-2023").is_err());
        assert!(day("1-2-24").unwrap_err().contains("two digits"));
        assert!(day("morgen").is_err());
        assert!(day("").is_err());
    }

    #[test]
    fn functions_become_roles() {
        assert_eq!(role_kind("Voorzitter"), ("chair", None));
        assert_eq!(role_kind("Functie: Voorzitter"), ("chair", None));
        assert_eq!(role_kind("Vice-voorzitter"), ("vice_chair", None));
        assert_eq!(role_kind("Algemeen bestuurslid"), ("board_member", None));
        assert_eq!(
            role_kind("Secretaris/penningmeester"),
            ("secretary", Some("Secretaris/penningmeester".into()))
        );
        assert_eq!(
            role_kind("Beheerder website"),
            ("other", Some("Beheerder website".into()))
        );
    }

    #[test]
    fn names_filed_as_and_e_mail_as_written() {
        assert_eq!(filed_as("Vries, Jan de"), "Jan de Vries");
        assert_eq!(filed_as("Jan de Vries"), "Jan de Vries");
        assert_eq!(clean_email("Jan <jan@example.nl>"), "jan@example.nl");
        assert_eq!(clean_email("mailto:jan@example.nl"), "jan@example.nl");
        assert_eq!(organisation_kind_from_name("Dorpsraad Groet"), "dorpsraad");
        assert_eq!(organisation_kind("Politie"), Some("police"));
        assert_eq!(organisation_kind("kernraad"), Some("kernraad"));
        assert_eq!(organisation_kind("Sportclub"), None);
    }
}
