//! The kernbezoek calendar feed as the server makes it from its own records (through the calendar
//! crate, without a core store): the same calendar as the core's feed, and kept only until the
//! tenant's sequence moves. SQLite, or PostgreSQL when `WIJKWERK_TEST_POSTGRES` is set.

mod common;

use common::{database, tenant_with_user, Laptop, Server};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;
use wijkwerk_core::calendar::feed::FeedOptions;
use wijkwerk_core::{Entity, Fields};

fn agent() -> ureq::Agent {
    common::http_agent(Duration::from_secs(30))
}

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// The feed's text (200) or `None` (304), and its ETag.
fn get(url: &str, etag: Option<&str>) -> (Option<String>, String) {
    let mut request = agent().get(url);
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let mut response = request.call().expect("an answer");
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    match status {
        200 => (Some(response.body_mut().read_to_string().unwrap()), etag),
        304 => (None, etag),
        other => panic!("status {other}"),
    }
}

/// A counter of the server's `/metrics` (0 before the first increment).
fn counter(server: &Server, name: &str) -> u64 {
    let text = agent()
        .get(format!("{}/metrics", server.url))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(name)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The calendar without its DTSTAMP lines (the moment it was made).
fn stable(text: &str) -> String {
    text.split("\r\n")
        .filter(|l| !l.starts_with("DTSTAMP"))
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn feed_url(server: &Server, db: &str, tenant: &str) -> String {
    let out = common::admin(db, &["feed", "add", "--tenant", tenant, "--name", "anna"]);
    format!("{}{}", server.url, out.lines().last().unwrap().trim())
}

#[test]
fn the_servers_feed_is_the_cores_feed_for_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (tenant, token) = tenant_with_user(&db, "coordinator");
    let mut laptop = Laptop::new(dir.path(), "a", &token);
    wijkwerk_core::demo::load_demo(&mut laptop.store, wijkwerk_core::today()).unwrap();
    laptop.store.allow_demo_sync().unwrap();
    laptop.sync(&server.url).unwrap();
    let url = feed_url(&server, &db, &tenant);

    let (text, _) = get(&url, None);
    let text = text.expect("a calendar");
    let core = laptop
        .store
        .kernbezoek_feed(&FeedOptions::at(
            format!("Kernbezoeken {tenant}"),
            jiff::Timestamp::now(),
        ))
        .unwrap();
    assert!(core.events > 3, "{}", core.text);
    assert!(core.text.contains("ORGANIZER"), "{}", core.text);
    assert!(core.text.contains("Route:"), "{}", core.text);
    assert_eq!(stable(&text), stable(&core.text));
}

#[test]
fn a_cached_feed_answers_until_a_push_and_never_outlives_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (tenant, token) = tenant_with_user(&db, "coordinator");
    let mut laptop = Laptop::new(dir.path(), "a", &token);
    let kern = laptop
        .store
        .create(
            Entity::Area,
            fields(json!({"name": "Schoorl", "kind": "core"})),
        )
        .unwrap();
    let starts = format!("{}-06-10T13:30", wijkwerk_core::today().year());
    let ends = format!("{}-06-10T16:30", wijkwerk_core::today().year());
    let visit = laptop
        .store
        .create(
            Entity::Visit,
            fields(json!({"kind": "kernbezoek", "title": "Kernbezoek Schoorl",
                          "area_id": kern, "starts_at": starts, "ends_at": ends})),
        )
        .unwrap();
    laptop.sync(&server.url).unwrap();
    let url = feed_url(&server, &db, &tenant);

    let (first, etag) = get(&url, None);
    let first = first.expect("a calendar");
    assert!(first.contains("SUMMARY:Kernbezoek Schoorl"), "{first}");
    assert_eq!(counter(&server, "wijkwerk_calendar_feed_builds_total"), 1);
    // Nothing changed: the kept calendar, byte for byte, and a 304 for the ETag.
    for _ in 0..3 {
        let (again, same) = get(&url, None);
        assert_eq!(again.as_deref(), Some(first.as_str()));
        assert_eq!(same, etag);
    }
    assert_eq!(get(&url, Some(&etag)).0, None);
    assert_eq!(counter(&server, "wijkwerk_calendar_feed_builds_total"), 1);
    assert_eq!(counter(&server, "wijkwerk_calendar_feed_cached_total"), 4);

    // Each change synced: the next answer has it, never the kept one.
    let mut etag = etag;
    for (i, change) in [
        json!({"location": "Dorpshuis De Blinkerd"}),
        json!({"title": "Kernbezoek Schoorl en Groet"}),
        json!({"status": "cancelled"}),
    ]
    .into_iter()
    .enumerate()
    {
        laptop
            .store
            .update(Entity::Visit, visit, fields(change.clone()))
            .unwrap();
        laptop.sync(&server.url).unwrap();
        let (text, new_etag) = get(&url, Some(&etag));
        let text = text.expect("a changed calendar is sent, not 304");
        let expected = match i {
            0 => "LOCATION:Dorpshuis De Blinkerd",
            1 => "SUMMARY:Kernbezoek Schoorl en Groet",
            _ => "STATUS:CANCELLED",
        };
        assert!(text.contains(expected), "{change}: {text}");
        assert_ne!(new_etag, etag);
        etag = new_etag;
        assert_eq!(
            counter(&server, "wijkwerk_calendar_feed_builds_total"),
            2 + i as u64
        );
    }
    // A second kernbezoek from another laptop, and a deleted one: seen at once.
    let mut other = Laptop::new(dir.path(), "b", &token);
    other.sync(&server.url).unwrap();
    let second = Uuid::now_v7();
    other
        .store
        .write(vec![wijkwerk_core::Write {
            entity: Entity::Visit,
            id: second,
            op: wijkwerk_core::Op::Create(fields(json!({"kind": "kernbezoek",
                "title": "Kernbezoek Groet", "area_id": kern,
                "starts_at": starts, "ends_at": ends}))),
        }])
        .unwrap();
    other.sync(&server.url).unwrap();
    let (text, _) = get(&url, None);
    assert!(text.unwrap().contains(&second.to_string()));
    other
        .store
        .write(vec![wijkwerk_core::Write {
            entity: Entity::Visit,
            id: second,
            op: wijkwerk_core::Op::Delete,
        }])
        .unwrap();
    other.sync(&server.url).unwrap();
    let (text, _) = get(&url, None);
    let text = text.unwrap();
    assert!(!text.contains(&second.to_string()), "{text}");
    assert!(text.contains(&visit.to_string()), "{text}");
}
