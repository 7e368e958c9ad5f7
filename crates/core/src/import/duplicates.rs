//! Finding the people (and organisations) a list already holds, in the store or on an earlier
//! line: the same e-mail address, the same phone number once normalised (`06-12345678`,
//! `+31 6 1234 5678` and `0031612345678` are one number), the same name and postcode, and near
//! names (`J. de Vries` and `Jan de Vries`, diacritics folded). For an organisation, the same
//! name folded.
//!
//! The store is read once into hash maps (one scan of the contact table), so that a list of
//! 10,000 rows against a store of 100,000 contacts is checked in a few hundred milliseconds.

use crate::error::Result;
use crate::normal_form::{self, first_names_agree, fold, near_name_key};
use crate::store::Store;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
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

/// The fields of a contact read from the store for finding and merging.
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
    near: HashMap<String, Vec<(usize, String)>>,
    name: HashMap<String, usize>,
    organisations: bool,
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

/// Whether two people's details tell them apart: both have an e-mail address and they differ,
/// both have numbers and none is shared, or both have a postcode and they differ.
fn contradicts(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let differ = |field: &str, key: &dyn Fn(&str) -> String| match (text(a, field), text(b, field))
    {
        (Some(x), Some(y)) => key(x) != key(y),
        _ => false,
    };
    let numbers = |m: &Map<String, Value>| -> Vec<String> {
        ["phone", "mobile"]
            .iter()
            .filter_map(|f| text(m, f).and_then(phone_key))
            .collect()
    };
    let (na, nb) = (numbers(a), numbers(b));
    differ("email", &|e| e.to_lowercase())
        || differ("postcode", &postcode_key)
        || (!na.is_empty() && !nb.is_empty() && !na.iter().any(|n| nb.contains(n)))
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
            "SELECT id, name, email, phone, mobile, address, postcode, city, notes
             FROM contact WHERE deleted = 0",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let Ok(id) = Uuid::parse_str(&id) else {
                continue;
            };
            let mut fields = Map::new();
            for (i, name) in CONTACT_FIELDS.iter().enumerate() {
                if let Some(v) = r.get::<_, Option<String>>(i + 1)? {
                    fields.insert((*name).to_owned(), Value::String(v));
                }
            }
            index.add(Origin::Store(id), fields);
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
        let at = self.known.len();
        if self.organisations {
            if let Some(name) = text(&fields, "name") {
                self.name.entry(fold(name)).or_insert(at);
            }
        } else {
            if let Some(email) = text(&fields, "email") {
                self.email.entry(email.to_lowercase()).or_insert(at);
            }
            for field in ["phone", "mobile"] {
                if let Some(key) = text(&fields, field).and_then(phone_key) {
                    self.phone.entry(key).or_insert(at);
                }
            }
            if let Some(name) = text(&fields, "name") {
                if let Some(postcode) = text(&fields, "postcode") {
                    self.name_postcode
                        .entry(format!("{}|{}", fold(name), postcode_key(postcode)))
                        .or_insert(at);
                }
                if let Some((key, first)) = near_name_key(name) {
                    self.near.entry(key).or_default().push((at, first));
                }
            }
        }
        self.known.push(Known { origin, fields });
        at
    }

    /// The known one these fields belong to, and why; None when they are new.
    pub fn find(&self, fields: &Map<String, Value>) -> Option<(usize, DuplicateReason)> {
        if self.organisations {
            let name = text(fields, "name")?;
            return self
                .name
                .get(&fold(name))
                .map(|at| (*at, DuplicateReason::SameName));
        }
        if let Some(at) = text(fields, "email").and_then(|e| self.email.get(&e.to_lowercase())) {
            return Some((*at, DuplicateReason::SameEmail));
        }
        for field in ["phone", "mobile"] {
            if let Some(at) = text(fields, field)
                .and_then(phone_key)
                .and_then(|k| self.phone.get(&k))
            {
                return Some((*at, DuplicateReason::SamePhone));
            }
        }
        let name = text(fields, "name")?;
        if let Some(postcode) = text(fields, "postcode") {
            if let Some(at) =
                self.name_postcode
                    .get(&format!("{}|{}", fold(name), postcode_key(postcode)))
            {
                return Some((*at, DuplicateReason::SameNameAndPostcode));
            }
        }
        // A near name is someone known only when nothing else tells them apart: two people
        // called Jan de Vries with different addresses or numbers are two people.
        let (key, first) = near_name_key(name)?;
        self.near.get(&key).and_then(|candidates| {
            candidates
                .iter()
                .find(|(at, other)| {
                    first_names_agree(&first, other)
                        && !contradicts(&self.known[*at].fields, fields)
                })
                .map(|(at, _)| (*at, DuplicateReason::NearName))
        })
    }

    /// The fields a merge fills: those the known one lacks and the row has.
    pub fn fill(&self, at: usize, fields: &Map<String, Value>) -> Map<String, Value> {
        let known = &self.known[at].fields;
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
        let extra: Vec<(String, Value)> =
            fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (name, value) in extra {
            self.known[at].fields.insert(name, value);
        }
        let fields = self.known[at].fields.clone();
        // The new e-mail address and numbers find this one too.
        if let Some(email) = text(&fields, "email") {
            self.email.entry(email.to_lowercase()).or_insert(at);
        }
        for field in ["phone", "mobile"] {
            if let Some(key) = text(&fields, field).and_then(phone_key) {
                self.phone.entry(key).or_insert(at);
            }
        }
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
        let mut index = Index::default();
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
