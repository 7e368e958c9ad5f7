//! Finding the people (and organisations) a list already holds, in the store or on an earlier
//! line: the same e-mail address, the same phone number once normalised (`06-12345678`,
//! `+31 6 1234 5678` and `0031612345678` are one number), the same name and postcode, and near
//! names (`J. de Vries` and `Jan de Vries`, diacritics folded). For an organisation, the same
//! name folded.
//!
//! The store is read once into hash maps (one scan of the contact table, only the fields people
//! are found by) and kept by the store until it changes ([`Store::import_index`]): the first
//! preview of a list pays for the scan, every change of a column or a duplicate's choice after it
//! does not. The lines of the list and what merges add go into a small overlay ([`Finder`]);
//! a stored person's other fields are read by id only when they are a duplicate.

use crate::error::Result;
use crate::normal_form::{self, first_names_agree, fold, near_name_key};
use crate::store::Store;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Why two people are taken for one, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    SameEmail,
    SamePhone,
    SameNameAndPostcode,
    NearName,
    /// An organisation of the same name.
    SameName,
}

/// Where a known person is: in the store, or on an earlier line of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Store(Uuid),
    Line(usize),
}

/// A person (or organisation) known, with the fields duplicates are found by and merged into.
#[derive(Debug, Clone)]
pub struct Known {
    pub origin: Origin,
    pub fields: Map<String, Value>,
}

/// The fields of a contact read from the store for merging.
pub const CONTACT_FIELDS: [&str; 8] = [
    "name", "email", "phone", "mobile", "address", "postcode", "city", "notes",
];
pub const ORGANISATION_FIELDS: [&str; 6] = ["name", "kind", "email", "phone", "website", "notes"];

#[derive(Debug, Default)]
pub struct Index {
    pub known: Vec<Known>,
    email: HashMap<String, usize>,
    phone: HashMap<String, usize>,
    name_postcode: HashMap<String, usize>,
    near: HashMap<String, Vec<(usize, String, Apart)>>,
    name: HashMap<String, usize>,
    organisations: bool,
    /// The number the first entry is known by (an overlay's entries follow the store's).
    offset: usize,
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A number compared by its normal form; too few digits to tell two people apart is none.
fn phone_key(number: &str) -> Option<String> {
    let key = normal_form::phone_key(number);
    (key.chars().filter(char::is_ascii_digit).count() >= 6).then_some(key)
}

/// What tells two people apart, in the forms they are compared in: computed once per person,
/// since a common name is checked against every other person of that name.
#[derive(Debug, Clone, Default)]
struct Apart {
    email: Option<String>,
    postcode: Option<String>,
    numbers: Vec<String>,
}

impl Apart {
    fn of(fields: &Map<String, Value>) -> Apart {
        Apart {
            email: text(fields, "email").map(str::to_lowercase),
            postcode: text(fields, "postcode").map(postcode_key),
            numbers: ["phone", "mobile"]
                .iter()
                .filter_map(|f| text(fields, f).and_then(phone_key))
                .collect(),
        }
    }

    /// Whether two people's details tell them apart: both have an e-mail address and they
    /// differ, both have a postcode and they differ, or both have numbers and none is shared.
    fn contradicts(&self, other: &Apart) -> bool {
        let differ =
            |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(x), Some(y)) if x != y);
        differ(&self.email, &other.email)
            || differ(&self.postcode, &other.postcode)
            || (!self.numbers.is_empty()
                && !other.numbers.is_empty()
                && !self.numbers.iter().any(|n| other.numbers.contains(n)))
    }
}

/// A postcode compared without its spaces and case (`1861ab` is `1861 AB`).
fn postcode_key(postcode: &str) -> String {
    fold(postcode).replace(' ', "")
}

impl Index {
    /// The live contacts of the store.
    pub fn of_contacts(store: &Store) -> Result<Index> {
        let mut index = Index::default();
        let mut stmt = store.conn.prepare(
            "SELECT id, name, email, phone, mobile, postcode FROM contact WHERE deleted = 0",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let Ok(id) = Uuid::parse_str(r.get_ref(0)?.as_str().unwrap_or_default()) else {
                continue;
            };
            let cell = |i: usize| -> Result<Option<&str>> {
                Ok(r.get_ref(i)?
                    .as_str_or_null()
                    .ok()
                    .flatten()
                    .map(str::trim)
                    .filter(|s| !s.is_empty()))
            };
            let apart = Apart {
                email: cell(2)?.map(str::to_lowercase),
                postcode: cell(5)?.map(postcode_key),
                numbers: [cell(3)?, cell(4)?]
                    .into_iter()
                    .flatten()
                    .filter_map(phone_key)
                    .collect(),
            };
            let at = index.known.len();
            index.add_person(at, cell(1)?, apart);
            // Its fields are read by id when it is a duplicate (Store::read_duplicates).
            index.known.push(Known {
                origin: Origin::Store(id),
                fields: Map::new(),
            });
        }
        Ok(index)
    }

    /// The live organisations of the store.
    pub fn of_organisations(store: &Store) -> Result<Index> {
        let mut index = Index {
            organisations: true,
            ..Index::default()
        };
        let mut stmt = store.conn.prepare(
            "SELECT id, name, kind, email, phone, website, notes FROM organisation WHERE deleted = 0",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let Ok(id) = Uuid::parse_str(&id) else {
                continue;
            };
            let mut fields = Map::new();
            for (i, name) in ORGANISATION_FIELDS.iter().enumerate() {
                if let Some(v) = r.get::<_, Option<String>>(i + 1)? {
                    fields.insert((*name).to_owned(), Value::String(v));
                }
            }
            index.add(Origin::Store(id), fields);
        }
        Ok(index)
    }

    pub fn add(&mut self, origin: Origin, fields: Map<String, Value>) -> usize {
        let at = self.offset + self.known.len();
        if self.organisations {
            if let Some(name) = text(&fields, "name") {
                self.name.entry(fold(name)).or_insert(at);
            }
        } else {
            self.add_person(at, text(&fields, "name"), Apart::of(&fields));
        }
        self.known.push(Known { origin, fields });
        at
    }

    /// Makes a person found by their e-mail address, numbers, name and postcode, and near name;
    /// each key made once.
    fn add_person(&mut self, at: usize, name: Option<&str>, apart: Apart) {
        if let Some(email) = &apart.email {
            self.email.entry(email.clone()).or_insert(at);
        }
        for number in &apart.numbers {
            self.phone.entry(number.clone()).or_insert(at);
        }
        let Some(name) = name else {
            return;
        };
        let folded = fold(name);
        if let Some(postcode) = &apart.postcode {
            self.name_postcode
                .entry(format!("{folded}|{postcode}"))
                .or_insert(at);
        }
        if let Some((key, first)) = normal_form::near_name_key_of_folded(&folded) {
            self.near.entry(key).or_default().push((at, first, apart));
        }
    }

    /// The known one these fields belong to for this one reason.
    fn find_by(&self, reason: DuplicateReason, fields: &Map<String, Value>) -> Option<usize> {
        if self.organisations != (reason == DuplicateReason::SameName) {
            return None;
        }
        match reason {
            DuplicateReason::SameName => {
                let name = text(fields, "name")?;
                self.name.get(&fold(name)).copied()
            }
            DuplicateReason::SameEmail => text(fields, "email")
                .and_then(|e| self.email.get(&e.to_lowercase()))
                .copied(),
            DuplicateReason::SamePhone => ["phone", "mobile"].iter().find_map(|field| {
                text(fields, field)
                    .and_then(phone_key)
                    .and_then(|k| self.phone.get(&k))
                    .copied()
            }),
            DuplicateReason::SameNameAndPostcode => {
                let name = text(fields, "name")?;
                let postcode = text(fields, "postcode")?;
                self.name_postcode
                    .get(&format!("{}|{}", fold(name), postcode_key(postcode)))
                    .copied()
            }
            DuplicateReason::NearName => {
                // A near name is someone known only when nothing else tells them apart: two
                // people called Jan de Vries with different addresses or numbers are two people.
                let (key, first) = near_name_key(text(fields, "name")?)?;
                let candidates = self.near.get(&key)?;
                let apart = Apart::of(fields);
                candidates
                    .iter()
                    .find(|(_, other, known)| {
                        first_names_agree(&first, other) && !known.contradicts(&apart)
                    })
                    .map(|(at, _, _)| *at)
            }
        }
    }

    /// Makes the e-mail address and numbers of `fields` find the known one `at` too.
    fn also_find(&mut self, at: usize, fields: &Map<String, Value>) {
        if let Some(email) = text(fields, "email") {
            self.email.entry(email.to_lowercase()).or_insert(at);
        }
        for field in ["phone", "mobile"] {
            if let Some(key) = text(fields, field).and_then(phone_key) {
                self.phone.entry(key).or_insert(at);
            }
        }
    }
}

/// The reasons in the order they are tried: the strongest first.
const LEVELS: [DuplicateReason; 5] = [
    DuplicateReason::SameName,
    DuplicateReason::SameEmail,
    DuplicateReason::SamePhone,
    DuplicateReason::SameNameAndPostcode,
    DuplicateReason::NearName,
];

/// The store's people (or organisations) as kept between previews, with what it was read at.
#[derive(Debug)]
pub struct CachedIndex {
    pub organisations: bool,
    /// The store's state then: this connection's changes and other connections' commits.
    pub version: (u64, i64),
    pub index: Arc<Index>,
}

/// Finding duplicates for one list: the store's index, shared and never changed, under an
/// overlay of the list's own lines and of what merges add.
#[derive(Debug)]
pub struct Finder {
    base: Arc<Index>,
    lines: Index,
    /// A stored one's every field (read by id once it is a duplicate), with what merges added.
    full: HashMap<usize, Map<String, Value>>,
}

impl Finder {
    pub fn new(base: Arc<Index>) -> Finder {
        let lines = Index {
            organisations: base.organisations,
            offset: base.known.len(),
            ..Index::default()
        };
        Finder {
            base,
            lines,
            full: HashMap::new(),
        }
    }

    /// The known one these fields belong to, and why: for each reason, the store first, then
    /// the earlier lines.
    pub fn find(&self, fields: &Map<String, Value>) -> Option<(usize, DuplicateReason)> {
        LEVELS.iter().find_map(|level| {
            self.base
                .find_by(*level, fields)
                .or_else(|| self.lines.find_by(*level, fields))
                .map(|at| (at, *level))
        })
    }

    pub fn add(&mut self, origin: Origin, fields: Map<String, Value>) -> usize {
        self.lines.add(origin, fields)
    }

    pub fn origin(&self, at: usize) -> Origin {
        match at.checked_sub(self.lines.offset) {
            Some(line) => self.lines.known[line].origin,
            None => self.base.known[at].origin,
        }
    }

    /// What is known of `at`: a line's fields, or a stored one's (every field once read).
    pub fn fields(&self, at: usize) -> &Map<String, Value> {
        match at.checked_sub(self.lines.offset) {
            Some(line) => &self.lines.known[line].fields,
            None => self.full.get(&at).unwrap_or(&self.base.known[at].fields),
        }
    }

    /// The stored ones among `known` whose every field is not read yet, by id.
    pub fn unread(&self, known: impl Iterator<Item = usize>) -> Vec<(usize, Uuid)> {
        let mut unread: Vec<(usize, Uuid)> = known
            .filter(|at| *at < self.lines.offset && !self.full.contains_key(at))
            .filter_map(|at| match self.base.known[at].origin {
                Origin::Store(id) => Some((at, id)),
                Origin::Line(_) => None,
            })
            .collect();
        unread.sort_unstable();
        unread.dedup();
        unread
    }

    /// A stored one's every field, as read from the store.
    pub fn read(&mut self, at: usize, fields: Map<String, Value>) {
        self.full.insert(at, fields);
    }

    /// The fields a merge fills: those the known one lacks and the row has.
    pub fn fill(&self, at: usize, fields: &Map<String, Value>) -> Map<String, Value> {
        let known = self.fields(at);
        fields
            .iter()
            .filter(|(name, value)| {
                *name != "name" && !value.is_null() && text(known, name).is_none()
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    /// Records what a merge filled in, so that a later row merging into the same one sees it.
    pub fn filled(&mut self, at: usize, fields: &Map<String, Value>) {
        match at.checked_sub(self.lines.offset) {
            Some(line) => {
                let known = &mut self.lines.known[line].fields;
                known.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            None => {
                let base = &self.base.known[at].fields;
                let known = self.full.entry(at).or_insert_with(|| base.clone());
                known.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        // The new e-mail address and numbers find this one too.
        self.lines.also_find(at, fields);
    }
}

impl Store {
    /// The index of the store's people (or organisations) for finding duplicates: the one kept
    /// from the previous preview while the store has not changed since, else read anew.
    pub(crate) fn import_index(&self, organisations: bool) -> Result<Arc<Index>> {
        let data_version: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let version = (self.conn.total_changes(), data_version);
        let mut cached = self
            .import_index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(kept) = cached.as_ref() {
            if kept.organisations == organisations && kept.version == version {
                return Ok(Arc::clone(&kept.index));
            }
        }
        *cached = None;
        let index = Arc::new(if organisations {
            Index::of_organisations(self)?
        } else {
            Index::of_contacts(self)?
        });
        *cached = Some(CachedIndex {
            organisations,
            version,
            index: Arc::clone(&index),
        });
        Ok(index)
    }

    /// Reads the store's people (or organisations) for an import about to be previewed, while
    /// the user is still choosing the file: the first preview then only checks the list.
    pub fn prepare_import(&self, organisations: bool) -> Result<()> {
        self.import_index(organisations).map(|_| ())
    }

    /// Lets the kept index go (the import dialog closed; its memory is the store's size).
    pub fn forget_import_index(&self) {
        *self
            .import_index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    /// Every field of the stored contacts (or organisations) a list's duplicates are, read by
    /// id, into the finder.
    pub(crate) fn read_duplicates(
        &self,
        finder: &mut Finder,
        known: impl Iterator<Item = usize>,
        organisations: bool,
    ) -> Result<()> {
        let (sql, names): (&str, &[&str]) = if organisations {
            (
                "SELECT name, kind, email, phone, website, notes FROM organisation WHERE id = ?1",
                &ORGANISATION_FIELDS,
            )
        } else {
            (
                "SELECT name, email, phone, mobile, address, postcode, city, notes FROM contact
                 WHERE id = ?1",
                &CONTACT_FIELDS,
            )
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        for (at, id) in finder.unread(known) {
            let mut rows = stmt.query([id.to_string()])?;
            if let Some(r) = rows.next()? {
                let mut fields = Map::new();
                for (i, name) in names.iter().enumerate() {
                    if let Some(v) = r.get::<_, Option<String>>(i)? {
                        fields.insert((*name).to_owned(), Value::String(v));
                    }
                }
                finder.read(at, fields);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect()
    }

    #[test]
    fn one_person_by_address_number_name_and_postcode_or_a_near_name() {
        // Found as the import finds people: through a Finder (here over an empty store).
        let mut index = Finder::new(Arc::new(Index::default()));
        let jan = Origin::Store(Uuid::nil());
        index.add(
            jan,
            person(&[
                ("name", "Jan de Vries"),
                ("email", "Jan@Example.nl"),
                ("mobile", "06-12345678"),
                ("postcode", "1861 AB"),
            ]),
        );
        let found = |pairs: &[(&str, &str)]| index.find(&person(pairs)).map(|(_, why)| why);
        assert_eq!(
            found(&[("name", "X"), ("email", "jan@example.nl")]),
            Some(DuplicateReason::SameEmail)
        );
        assert_eq!(
            found(&[("name", "X"), ("phone", "+31 6 1234 5678")]),
            Some(DuplicateReason::SamePhone)
        );
        assert_eq!(
            found(&[("name", "Jan de  Vries"), ("postcode", "1861ab")]),
            Some(DuplicateReason::SameNameAndPostcode)
        );
        assert_eq!(
            found(&[("name", "J. de Vries")]),
            Some(DuplicateReason::NearName)
        );
        assert_eq!(
            found(&[("name", "Jàn de Vriës")]),
            Some(DuplicateReason::NearName)
        );
        assert_eq!(found(&[("name", "Piet de Vries")]), None);
        // Another Jan de Vries: a different address, number or postcode tells them apart.
        assert_eq!(
            found(&[("name", "J. de Vries"), ("email", "j@elders.nl")]),
            None
        );
        assert_eq!(
            found(&[("name", "Jan de Vries"), ("phone", "072-5111111")]),
            None
        );
        assert_eq!(
            found(&[("name", "Jan de Vries"), ("postcode", "1871 AA")]),
            None
        );
        assert_eq!(found(&[("name", "Anna Bakker"), ("phone", "072")]), None);
    }
}
