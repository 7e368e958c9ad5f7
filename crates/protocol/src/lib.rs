//! The sync wire format of Wijkwerk, shared by the client (`wijkwerk-core`) and the server.
//!
//! Invariants:
//! - A [`Hlc`] orders every field write in the system; its string form sorts like the clock itself,
//!   so SQL can compare stamps as text.
//! - A [`RecordChange`] carries, per field, the value and the clock that stamped it. Applying the
//!   same set of record changes in any order gives the same state (per-field last writer wins).
//! - Deletion is the field [`DELETED_FIELD`] set to `true`: a tombstone, never a removed row.

mod hlc;
pub mod wire;

pub use hlc::{Hlc, HlcParseError, NodeId};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The field that marks a record as deleted (a tombstone). It is stamped like any other field,
/// so a later "restore" wins over an earlier delete and vice versa.
pub const DELETED_FIELD: &str = "deleted";

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
