//! The sync wire format of Wijkwerk, shared by the client (`wijkwerk-core`) and the server.
//!
//! Invariants:
//! - A [`Hlc`] orders every field write in the system; its string form sorts like the clock itself,
//!   so SQL can compare stamps as text.
//! - A [`RecordChange`] carries, per field, the value and the clock that stamped it. Applying the
//!   same set of record changes in any order gives the same state (per-field last writer wins).
//! - Deletion is the field [`DELETED_FIELD`] set to `true`: a tombstone, never a removed row.
//! - Erasure (the AVG's right to be forgotten) is the field [`ERASED_FIELD`] set on a record of
//!   an [`ERASABLE_ENTITIES`] entity. From then on the record is *sealed*: every replica keeps
//!   only what the erasure wrote (see [`erasure_keeps`]), whatever clocks other writes carry, so
//!   an old edit pushed by a laptop that was offline cannot bring the person back.

mod hlc;
pub mod wire;

pub use hlc::{Hlc, HlcParseError, NodeId};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The field that marks a record as deleted (a tombstone). It is stamped like any other field,
/// so a later "restore" wins over an earlier delete and vice versa.
pub const DELETED_FIELD: &str = "deleted";

/// The field that marks a record as erased: its value is the day of the erasure, its clock the
/// erasure's. Never cleared again.
pub const ERASED_FIELD: &str = "erased_on";

/// The entities whose records can be erased (the ones that hold a person).
pub const ERASABLE_ENTITIES: &[&str] = &["contact"];

/// Whether records of this entity can be erased.
pub fn is_erasable(entity: &str) -> bool {
    ERASABLE_ENTITIES.contains(&entity)
}

/// The clock of the erasure a written value of `field` of an `entity` record is, if it is one:
/// the one test the server and every laptop use to tell an erasure from other writes.
pub fn erasure_stamp(entity: &str, field: &str, value: &StampedValue) -> Option<Hlc> {
    (is_erasable(entity) && field == ERASED_FIELD && !value.value.is_null()).then_some(value.hlc)
}

/// Whether a sealed record (erased by the write stamped `erasure`) keeps this value of `field`:
/// the erasure's own writes, empty values, the erasure mark and the tombstone. Everything else
/// is dropped by the server and by every laptop, never stored and never put in a conflict log.
pub fn erasure_keeps(field: &str, value: &StampedValue, erasure: Hlc) -> bool {
    if field == ERASED_FIELD {
        // The mark stays: a later erasure may move its day, nothing may empty it.
        return !value.value.is_null();
    }
    value.hlc == erasure
        || value.value.is_null()
        || (field == DELETED_FIELD && value.value == serde_json::Value::Bool(true))
}

/// The version of the wire format this build speaks. Additive changes keep the number;
/// a breaking change raises it.
pub const PROTOCOL_VERSION: u32 = 1;

/// One field's value with the clock of the write that set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StampedValue {
    /// The value (JSON: string, number, boolean, array of ids, or null for "empty").
    #[serde(rename = "v")]
    pub value: serde_json::Value,
    /// The hybrid logical clock of the write.
    #[serde(rename = "c")]
    pub hlc: Hlc,
    /// The clock of the value the writer saw before this write (absent for a first write).
    /// The server uses it to tell a concurrent overwrite (a conflict) from an ordinary edit.
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Hlc>,
}

impl StampedValue {
    pub fn new(value: serde_json::Value, hlc: Hlc) -> StampedValue {
        StampedValue {
            value,
            hlc,
            base: None,
        }
    }
}

/// The changed fields of one record, each with its clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordChange {
    /// The entity name as the store knows it (`contact`, `meeting`, ...).
    pub entity: String,
    pub id: Uuid,
    pub fields: BTreeMap<String, StampedValue>,
}

/// The changes made by one local transaction: applied on the server as one transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// The local transaction's id (UUIDv7).
    pub tx_id: Uuid,
    /// The clock of the transaction (every field in it carries this stamp when it was made locally).
    pub hlc: Hlc,
    pub changes: Vec<RecordChange>,
}

#[cfg(test)]
mod erasure_tests {
    use super::*;
    use serde_json::json;

    fn at(ms: u64) -> Hlc {
        Hlc::new(ms, 0, NodeId(1))
    }

    #[test]
    fn a_sealed_record_keeps_the_erasures_own_writes_and_empty_values_only() {
        let erasure = at(10);
        let keeps = |field: &str, value: serde_json::Value, ms: u64| {
            erasure_keeps(field, &StampedValue::new(value, at(ms)), erasure)
        };
        assert!(keeps("name", json!("Gewist"), 10));
        assert!(keeps("email", json!(null), 3));
        assert!(keeps(ERASED_FIELD, json!("2026-12-07"), 12));
        assert!(keeps(DELETED_FIELD, json!(true), 12));
        // An old edit from a laptop that was offline, and a newer one: both dropped.
        assert!(!keeps("email", json!("jan@example.nl"), 3));
        assert!(!keeps("email", json!("jan@example.nl"), 30));
        // Restoring an erased record is not possible, nor emptying the mark.
        assert!(!keeps(DELETED_FIELD, json!(false), 30));
        assert!(!keeps(ERASED_FIELD, json!(null), 30));
        // Only a person can be erased.
        let mark = StampedValue::new(json!("2026-12-07"), at(10));
        assert_eq!(erasure_stamp("contact", ERASED_FIELD, &mark), Some(at(10)));
        assert_eq!(erasure_stamp("meeting", ERASED_FIELD, &mark), None);
        assert_eq!(erasure_stamp("contact", "name", &mark), None);
    }
}
