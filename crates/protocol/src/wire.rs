//! The HTTP messages between the client and the server (JSON, compressed with gzip).
//!
//! Every message may carry fields this version does not know; they are kept (`extra`) so that a
//! newer peer's additions survive a round trip through an older one. A request names the
//! protocol version in the header [`PROTOCOL_HEADER`]; a server that cannot speak it answers
//! `426` with [`ErrorBody`] code `unsupported_protocol`.
//!
//! Endpoints (all but `/v1/hello`, `/health` and `/metrics` need `Authorization: Bearer TOKEN`):
//! - `GET /v1/hello` → [`Hello`]
//! - `POST /v1/push` [`PushRequest`] → [`PushResponse`]
//! - `GET /v1/pull?after=SEQ&tx=TX&limit=N` → [`PullResponse`]
//! - `POST /v1/token/rotate` (no body) → [`TokenRotation`]: a new token for the one signed in
//!   with, which stays valid until the new one is first used (or it expires), so that an answer
//!   lost on the way never locks the laptop out.
//!
//! A token expires: a request with an expired one is answered `401` with code `token_expired`
//! (an unknown or revoked one: `unauthorized`). Push and pull answers say when the token used
//! expires (`token_expires_at_ms`, absent from older servers), so the app can warn in time.

use crate::{Hlc, RecordChange};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The header that names the protocol version of a request.
pub const PROTOCOL_HEADER: &str = "wijkwerk-protocol";

/// What the server tells about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// Protocol versions this server speaks.
    pub protocol_versions: Vec<u32>,
    pub server_version: String,
    /// The server's clock (ms since the epoch) when it answered.
    pub server_time_ms: u64,
    /// How far ahead of the server's clock a change may be stamped before it is refused.
    pub max_clock_skew_ms: u64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Local transactions sent to the server, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    /// The sending store (stable per data file).
    pub client_id: Uuid,
    pub changesets: Vec<PushChangeSet>,
    /// The client's cursor as it sends the push. With it the server can say that nothing came
    /// between that cursor and the push ([`PushResponse::cursor`]). Absent from older clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Cursor>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One local transaction: applied on the server as a whole or not at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushChangeSet {
    /// The client's sequence number of the transaction (its outbox position): with the client id,
    /// the key that makes a retried push harmless.
    pub client_seq: i64,
    pub tx_id: Uuid,
    pub changes: Vec<RecordChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One acknowledgement per changeset, in the order sent.
    pub acks: Vec<PushAck>,
    /// Given when every changeset was applied directly after the request's `after` cursor (no
    /// other transaction between, none of the client's writes lost or logged as a conflict):
    /// the cursor after them. A pull from `after` would bring back only the client's own
    /// writes, so the client moves its cursor here instead. Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
    /// The tenant's newest transaction when the push was written: when it equals `cursor`,
    /// nothing newer was on the server and the client may leave out the pull of this round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<i64>,
    /// When the token the push was signed with expires (ms since the epoch). Absent from
    /// older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at_ms: Option<i64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushAck {
    pub client_seq: i64,
    #[serde(flatten)]
    pub outcome: PushOutcome,
}

/// What became of a pushed changeset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PushOutcome {
    /// Applied now, as server transaction `seq`.
    Applied { seq: i64 },
    /// Applied before (this is a retry); nothing was done again.
    Duplicate { seq: i64 },
    /// Refused; nothing of it was applied. The client keeps it and shows the reason.
    Refused { code: String, reason: String },
}

/// Where a client is in a tenant's stream of server transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cursor {
    /// The last server transaction the client has applied (0: none).
    pub seq: i64,
    /// The id of that transaction, so that a server restored from an older backup (where `seq`
    /// means another transaction or none) is noticed.
    pub tx: Option<Uuid>,
}

/// Changes after a cursor, in pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// The current value and clock of every field changed after the cursor (one entry per
    /// record; fields changed several times appear once, with their latest value).
    pub records: Vec<RecordChange>,
    /// Values that lost a merge on the server after the cursor.
    #[serde(default)]
    pub conflicts: Vec<ServerConflict>,
    /// Where the next pull continues.
    pub cursor: Cursor,
    /// Whether more pages follow.
    pub more: bool,
    /// The newest server transaction of the tenant.
    pub head: i64,
    /// When the token the pull was signed with expires (ms since the epoch). Absent from
    /// older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at_ms: Option<i64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer to `POST /v1/token/rotate`: the new token (shown once) and when it expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRotation {
    pub token: String,
    /// When the new token expires (ms since the epoch).
    pub expires_at_ms: i64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A value that lost a merge on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerConflict {
    pub entity: String,
    pub id: Uuid,
    pub field: String,
    pub lost_value: Value,
    pub lost_hlc: Hlc,
    pub won_value: Value,
    pub won_hlc: Hlc,
    /// When the server received the losing write (ms since the epoch).
    pub received_at_ms: u64,
}

/// The body of every error answer (4xx, 5xx).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable: `unauthorized`, `token_expired`, `forbidden`, `unknown_cursor`, `clock_skew`, `too_large`,
    /// `bad_request`, `unsupported_protocol`, `rate_limited`, `internal`.
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let text = json!({
            "client_id": "0190d6a0-0000-7000-8000-000000000001",
            "changesets": [],
            "compression": "zstd-next-year"
        });
        let request: PushRequest = serde_json::from_value(text.clone()).unwrap();
        assert_eq!(request.extra["compression"], "zstd-next-year");
        assert_eq!(serde_json::to_value(&request).unwrap(), text);
    }

    #[test]
    fn outcomes_read_as_tagged_objects() {
        let ack: PushAck =
            serde_json::from_value(json!({"client_seq": 4, "outcome": "applied", "seq": 17}))
                .unwrap();
        assert_eq!(ack.outcome, PushOutcome::Applied { seq: 17 });
        let refused = PushAck {
            client_seq: 5,
            outcome: PushOutcome::Refused {
                code: "clock_skew".into(),
                reason: "stamped 2 days ahead".into(),
            },
        };
        let text = serde_json::to_value(&refused).unwrap();
        assert_eq!(text["outcome"], "refused");
        assert_eq!(text["code"], "clock_skew");
    }
}
