//! What the sync server does with a push's body before it touches the database: gzip undone (as
//! tower-http's decompression layer does when the request says `Content-Encoding: gzip`), the
//! JSON decoded into a `PushRequest` (`http::decode_push`), every changeset checked
//! (`storage::check_changeset`) and the whole push decided in memory (`storage::PushPlanner`,
//! which both storages write from).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::io::Read;
use wijkwerk_protocol::wire::{PushOutcome, PushResponse};
use wijkwerk_protocol::Hlc;
use wijkwerk_server::http::decode_push;
use wijkwerk_server::storage::{check_changeset, field_writes, PushJob, PushLimits, PushPlanner};

/// Smaller than the server's 128 MB (`http::MAX_BODY_BYTES`), to keep runs fast: a larger body
/// is refused there as here.
const MAX_BODY: u64 = 4 << 20;

fuzz_target!(|data: &[u8]| {
    let body = if data.starts_with(&[0x1f, 0x8b]) {
        let mut body = Vec::new();
        let read = flate2::read::GzDecoder::new(data)
            .take(MAX_BODY + 1)
            .read_to_end(&mut body);
        if read.is_err() || body.len() as u64 > MAX_BODY {
            return;
        }
        body
    } else {
        data.to_vec()
    };
    let Ok(request) = decode_push(&body) else {
        return;
    };
    let limits = PushLimits {
        now_ms: 1_800_000_000_000,
        max_skew_ms: 300_000,
    };
    for set in &request.changesets {
        let refused = check_changeset(set, limits);
        let writes = field_writes(set);
        assert!(writes.len() <= set.changes.iter().map(|c| c.fields.len()).sum::<usize>());
        if refused.is_none() {
            for write in &writes {
                let hlc = write.value.hlc;
                assert_eq!(hlc.to_string().parse::<Hlc>(), Ok(hlc));
                assert!(hlc.wall_ms <= limits.now_ms + limits.max_skew_ms);
            }
        }
    }
    let job = PushJob {
        client_id: request.client_id,
        changesets: request.changesets,
        after: request.after,
        limits,
        actor: None,
    };
    let mut planner = PushPlanner::new(0, None, HashMap::new(), HashMap::new());
    let first = planner.add(&job);
    let (acks, cursor) = (first.acks, first.cursor);
    assert_eq!(acks.len(), job.changesets.len());
    // A cursor is given only from where the push was sent, past every changeset applied.
    if let Some(cursor) = cursor {
        assert!(acks
            .iter()
            .all(|a| matches!(a.outcome, PushOutcome::Applied { .. })));
        assert_eq!(job.after.map(|a| a.seq), Some(0));
        assert_eq!(cursor.seq, acks.len() as i64);
    }
    // The same push again (a retry): every changeset applied the first time is a duplicate now.
    let retry = planner.add(&job);
    let (again, again_cursor) = (retry.acks, retry.cursor);
    assert!(retry.erased.is_empty(), "a retry erases nothing again");
    assert!(again_cursor.is_none());
    for (first, second) in acks.iter().zip(&again) {
        if matches!(first.outcome, PushOutcome::Applied { .. }) {
            assert!(
                matches!(second.outcome, PushOutcome::Duplicate { .. }),
                "{first:?} then {second:?}"
            );
        }
    }
    let plan = planner.finish();
    assert!(plan.head >= 0);
    let answer = PushResponse {
        acks,
        cursor,
        head: Some(plan.head),
        token_expires_at_ms: None,
        extra: Default::default(),
    };
    serde_json::to_vec(&answer).expect("an answer as JSON");
});
