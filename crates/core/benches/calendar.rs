//! Benchmark of calendar export and import (prints figures; not a test).
//!
//! Builds a store with 1,000 events — 500 kernbezoeken with a route of four stops and five
//! invitees, 500 meetings with an agenda of three items and six attendees — then measures:
//! - exporting all 1,000 as one `.ics` (goal: at most 50 ms);
//! - importing that `.ics` into an empty store: 1,000 new meetings in one write (goal: at most
//!   200 ms);
//! - importing it again into that store: 1,000 unchanged (every event found by UID).
//!
//! Run: `cargo bench -p wijkwerk-core --bench calendar`.

use jiff::{Span, Timestamp};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;
use wijkwerk_core::calendar::export::{ExportFilter, ExportOptions};
use wijkwerk_core::calendar::import::ImportOptions;
use wijkwerk_core::{Entity, Store, Write};

const EVENTS: usize = 1_000;
const RUNS: usize = 15;

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn build() -> Store {
    let mut store = Store::in_memory().expect("store");
    let mut batch = Vec::new();
    let add = |batch: &mut Vec<Write>, entity: Entity, value: Value| -> Uuid {
        let write = Write::create(entity, object(value));
        let id = write.id;
        batch.push(write);
        id
    };
    let gemeente = add(
        &mut batch,
        Entity::Area,
        json!({"name": "Gemeente Bergen", "kind": "municipality"}),
    );
    let kernen: Vec<Uuid> = (0..8)
        .map(|i| {
            add(
                &mut batch,
                Entity::Area,
                json!({"name": format!("Kern {i}"), "kind": "core", "parent_id": gemeente}),
            )
        })
        .collect();
    let contacts: Vec<Uuid> = (0..200)
        .map(|i| {
            add(
                &mut batch,
                Entity::Contact,
                json!({"name": format!("Bewoner {i} van Dijk-Coöperatie"), "email": format!("bewoner{i}@example.nl")}),
            )
        })
        .collect();
    let start: Timestamp = "2026-01-05T12:30:00Z".parse().expect("instant");
    for i in 0..EVENTS {
        let at = start
            .checked_add(Span::new().hours(i as i64 * 9))
            .expect("in range");
        let end = at.checked_add(Span::new().hours(2)).expect("in range");
        let kern = kernen[i % kernen.len()];
        if i % 2 == 0 {
            let visit = add(
                &mut batch,
                Entity::Visit,
                json!({"kind": "kernbezoek", "title": format!("Kernbezoek Kern {} ({i})", i % 8),
                       "area_id": kern, "starts_at": at.to_string(), "ends_at": end.to_string(),
                       "location": "Start: Dorpshuis De Blinkerd, Groet",
                       "notes": "Georganiseerd met Bureau Communicatie; na afloop napraten."}),
            );
            for s in 0..4 {
                add(
                    &mut batch,
                    Entity::Stop,
                    json!({"visit_id": visit, "position": s, "place": format!("Plek {s}, Dorpsstraat"),
                           "arrives_at": format!("{:02}:{:02}", 13 + s, 30), "topic": "Verkeersveiligheid en groen"}),
                );
            }
            for c in 0..5 {
                add(
                    &mut batch,
                    Entity::Invitee,
                    json!({"visit_id": visit, "contact_id": contacts[(i * 7 + c * 13) % contacts.len()]}),
                );
            }
        } else {
            let meeting = add(
                &mut batch,
                Entity::Meeting,
                json!({"kind": "ledenvergadering", "title": format!("Ledenvergadering {i}"),
                       "area_id": kern, "starts_at": at.to_string(), "ends_at": end.to_string(),
                       "location": "Dorpshuis De Blinkerd, Groet", "notes": "Agenda volgt."}),
            );
            for a in 0..3 {
                add(
                    &mut batch,
                    Entity::AgendaItem,
                    json!({"meeting_id": meeting, "position": a, "title": format!("Agendapunt {a}")}),
                );
            }
            for c in 0..6 {
                add(
                    &mut batch,
                    Entity::Attendance,
                    json!({"meeting_id": meeting, "contact_id": contacts[(i * 11 + c * 17) % contacts.len()]}),
                );
            }
        }
    }
    store.write(batch).expect("building the store");
    store
}

fn figures(name: &str, goal: Duration, mut times: Vec<Duration>) {
    times.sort();
    let median = times[times.len() / 2];
    let verdict = if median <= goal { "within" } else { "OVER" };
    println!(
        "{name:<44} median {:>7.1} ms  best {:>7.1} ms  worst {:>7.1} ms  ({verdict} the goal of {} ms)",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        goal.as_millis()
    );
}

fn main() {
    let store = build();
    let now: Timestamp = "2026-11-24T09:00:00Z".parse().expect("instant");
    let options = ExportOptions::at(now);
    let filter = ExportFilter::default();
    let mut text = String::new();
    let mut times = Vec::new();
    // WIJKWERK_BENCH_ONLY=export repeats only the export (for a profiler).
    let only_export = std::env::var("WIJKWERK_BENCH_ONLY").as_deref() == Ok("export");
    let runs = if only_export { 200 } else { RUNS };
    for _ in 0..runs {
        let started = Instant::now();
        let export = store.calendar_export(&filter, &options).expect("export");
        times.push(started.elapsed());
        assert_eq!(export.events, EVENTS);
        text = export.text;
    }
    println!(
        "calendar of {EVENTS} events: {} bytes, {} lines",
        text.len(),
        text.matches("\r\n").count()
    );
    figures(
        "export 1,000 events (.ics text)",
        Duration::from_millis(50),
        times,
    );
    if only_export {
        return;
    }

    let import = ImportOptions { now };
    let mut times = Vec::new();
    let mut again = Vec::new();
    for _ in 0..RUNS {
        let mut fresh = Store::in_memory().expect("store");
        let started = Instant::now();
        let report = fresh
            .calendar_import(text.as_bytes(), &import)
            .expect("import");
        times.push(started.elapsed());
        assert_eq!(report.created.len(), EVENTS);
        let started = Instant::now();
        let report = fresh
            .calendar_import(text.as_bytes(), &import)
            .expect("import");
        again.push(started.elapsed());
        assert_eq!(report.unchanged.len(), EVENTS);
    }
    figures(
        "import 1,000 events into an empty store",
        Duration::from_millis(200),
        times,
    );
    figures(
        "import the same 1,000 again (all unchanged)",
        Duration::from_millis(200),
        again,
    );
}
