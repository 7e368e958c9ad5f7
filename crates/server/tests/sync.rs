//! Sync with real processes: a server (SQLite, or PostgreSQL when `WIJKWERK_TEST_POSTGRES` is
//! set) and several laptops, each with its own store, meeting over HTTP.

mod common;

use common::{database, tenant_with_user, user, Laptop, Server};
use serde_json::{json, Value};
use wijkwerk_core::sync::SyncError;
use wijkwerk_core::{Entity, Fields};

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

/// A server on a new database with one tenant, and two laptops of a coordinator of it.
struct TwoLaptops {
    dir: tempfile::TempDir,
    db: String,
    server: Server,
    token: String,
    a: Laptop,
    b: Laptop,
}

fn two_laptops() -> TwoLaptops {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (_, token) = tenant_with_user(&db, "coordinator");
    let a = Laptop::new(dir.path(), "a", &token);
    let b = Laptop::new(dir.path(), "b", &token);
    TwoLaptops {
        dir,
        db,
        server,
        token,
        a,
        b,
    }
}

/// Syncs every laptop until a full pass moves nothing new, then checks they all hold the same.
fn converge(server: &Server, laptops: &mut [&mut Laptop]) {
    for _ in 0..2 {
        for laptop in laptops.iter_mut() {
            laptop.sync(&server.url).expect("sync");
        }
    }
    let first = laptops[0].export();
    for laptop in laptops.iter().skip(1) {
        assert_eq!(laptop.export(), first, "stores diverged");
    }
}

#[test]
fn concurrent_edits_converge_and_every_overwritten_value_is_kept() {
    let TwoLaptops {
        dir: _dir,
        server,
        token: _,
        mut a,
        mut b,
        ..
    } = two_laptops();

    let kern = a
        .store
        .create(
            Entity::Area,
            fields(json!({"name": "Schoorl", "kind": "core"})),
        )
        .unwrap();
    let contact = a
        .store
        .create(
            Entity::Contact,
            fields(json!({"name": "Piet", "phone": "1"})),
        )
        .unwrap();
    let meeting = a
        .store
        .create(
            Entity::Meeting,
            fields(
                json!({"kind": "kernoverleg", "title": "Kernoverleg", "area_id": kern,
                          "starts_at": "2026-10-01T19:30", "ends_at": "2026-10-01T21:30"}),
            ),
        )
        .unwrap();
    converge(&server, &mut [&mut a, &mut b]);

    // Offline, both edit: the same field, different fields of one record, delete against
    // update, and a child of a meeting the other deletes.
    a.store
        .update(
            Entity::Contact,
            contact,
            fields(json!({"phone": "072-111"})),
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    b.store
        .update(
            Entity::Contact,
            contact,
            fields(json!({"phone": "072-222", "email": "piet@example.nl"})),
        )
        .unwrap();
    a.store
        .update(
            Entity::Contact,
            contact,
            fields(json!({"name": "Piet Zeeman"})),
        )
        .unwrap();
    a.store
        .update(Entity::Area, kern, fields(json!({"inhabitants": 4200})))
        .unwrap();
    b.store.delete(Entity::Area, kern).unwrap();
    a.store.delete(Entity::Meeting, meeting).unwrap();
    b.store
        .create(
            Entity::AgendaItem,
            fields(json!({"meeting_id": meeting, "title": "Rondvraag"})),
        )
        .unwrap();

    converge(&server, &mut [&mut a, &mut b]);

    let person = a.store.get(Entity::Contact, contact).unwrap();
    assert_eq!(
        person["name"], "Piet Zeeman",
        "a's edit of another field survives"
    );
    assert_eq!(
        person["email"], "piet@example.nl",
        "b's edit of another field survives"
    );
    assert_eq!(
        person["phone"], "072-222",
        "the later edit of the same field wins"
    );
    let area = a.store.get(Entity::Area, kern).unwrap();
    assert_eq!(
        (area["deleted"].clone(), area["inhabitants"].clone()),
        (json!(true), json!(4200))
    );
    assert_eq!(
        a.store.get(Entity::Meeting, meeting).unwrap()["deleted"],
        true
    );
    assert_eq!(
        b.store.count(Entity::AgendaItem).unwrap(),
        1,
        "the child of the deleted meeting is kept"
    );

    for laptop in [&a, &b] {
        let log = laptop.store.conflicts(true, 100).unwrap();
        assert!(
            log.iter()
                .any(|c| c.field == "phone" && c.lost_value == json!("072-111")),
            "the overwritten phone number is in the conflict log: {log:?}"
        );
    }
    assert_eq!(a.store.sync_status().unwrap().waiting, 0);
}

#[test]
fn keep_mine_restores_the_lost_value_everywhere() {
    let TwoLaptops {
        dir: _dir,
        server,
        token: _,
        mut a,
        mut b,
        ..
    } = two_laptops();
    let contact = a
        .store
        .create(Entity::Contact, fields(json!({"name": "Els"})))
        .unwrap();
    converge(&server, &mut [&mut a, &mut b]);
    a.store
        .update(Entity::Contact, contact, fields(json!({"notes": "van a"})))
        .unwrap();
    a.sync(&server.url).unwrap();
    b.store
        .update(Entity::Contact, contact, fields(json!({"notes": "van b"})))
        .unwrap();
    converge(&server, &mut [&mut a, &mut b]);
    let conflict = a
        .store
        .conflicts(false, 10)
        .unwrap()
        .pop()
        .expect("a conflict to review");
    assert_eq!(conflict.lost_value, json!("van a"));
    a.store.keep_lost_value(conflict.seq).unwrap();
    converge(&server, &mut [&mut a, &mut b]);
    assert_eq!(
        b.store.get(Entity::Contact, contact).unwrap()["notes"],
        "van a"
    );
    assert_eq!(a.store.sync_status().unwrap().conflicts, 0);
}

#[test]
fn a_killed_server_loses_nothing_and_sync_resumes() {
    let TwoLaptops {
        dir: _dir,
        db,
        mut server,
        token: _,
        mut a,
        mut b,
    } = two_laptops();
    for i in 0..20 {
        a.store
            .create(
                Entity::Contact,
                fields(json!({"name": format!("Bewoner {i}")})),
            )
            .unwrap();
    }
    a.sync(&server.url).unwrap();
    let address = server.address();
    server.kill();
    a.store
        .create(Entity::Contact, fields(json!({"name": "Na de storing"})))
        .unwrap();
    let before = a.export();
    let err = a.sync(&server.url).unwrap_err();
    assert!(matches!(err, SyncError::Offline(_)), "{err}");
    assert_eq!(a.export(), before, "a failed round changes nothing");
    assert_eq!(
        a.store.sync_status().unwrap().waiting,
        1,
        "the change still waits"
    );
    let server = Server::start_on(&db, &address, &[]);
    converge(&server, &mut [&mut a, &mut b]);
    assert_eq!(b.store.count(Entity::Contact).unwrap(), 21);
}

#[test]
fn a_server_restored_from_an_older_backup_gets_everything_back() {
    if std::env::var("WIJKWERK_TEST_POSTGRES").is_ok() {
        // The backup here is a copy of the SQLite file; the PostgreSQL variant is in the
        // test command (pg_dump and restore).
        return;
    }
    let TwoLaptops {
        dir,
        db,
        mut server,
        token,
        mut a,
        mut b,
    } = two_laptops();
    a.store
        .create(Entity::Contact, fields(json!({"name": "Voor de back-up"})))
        .unwrap();
    converge(&server, &mut [&mut a, &mut b]);
    // Back-up (with the server stopped, so the file is whole).
    let address = server.address();
    server.kill();
    // The back-up holds the database file and its write-ahead log.
    let backup = dir.path().join("backup.db");
    std::fs::copy(&db, &backup).unwrap();
    let _ = std::fs::copy(format!("{db}-wal"), dir.path().join("backup.db-wal"));
    let mut server = Server::start_on(&db, &address, &[]);
    let acknowledged = a
        .store
        .create(Entity::Contact, fields(json!({"name": "Na de back-up"})))
        .unwrap();
    let report = a.sync(&server.url).unwrap();
    assert_eq!(
        report.pushed_transactions, 1,
        "the server acknowledged the write"
    );
    b.sync(&server.url).unwrap();
    // The server's disk dies; it is restored from the older back-up.
    server.kill();
    std::fs::copy(&backup, &db).unwrap();
    let _ = std::fs::remove_file(format!("{db}-wal"));
    let _ = std::fs::remove_file(format!("{db}-shm"));
    let _ = std::fs::copy(dir.path().join("backup.db-wal"), format!("{db}-wal"));
    let server = Server::start_on(&db, &address, &[]);
    let report = a.sync(&server.url).unwrap();
    assert!(report.downloaded_again && report.repaired, "{report:?}");
    let mut c = Laptop::new(dir.path(), "c", &token);
    converge(&server, &mut [&mut a, &mut b, &mut c]);
    assert_eq!(
        c.store.get(Entity::Contact, acknowledged).unwrap()["name"],
        "Na de back-up"
    );
}

#[test]
fn a_laptop_clock_two_days_fast_is_refused_and_keeps_its_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (_, token) = tenant_with_user(&db, "coordinator");
    let mut fast = Laptop::new(dir.path(), "fast", &token);
    fast.store.set_clock_offset(2 * 86_400_000);
    fast.store
        .create(Entity::Contact, fields(json!({"name": "Te vroeg"})))
        .unwrap();
    let report = fast.sync(&server.url).unwrap();
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].code, "clock_skew");
    assert!(
        report.refused[0].reason.contains("ahead"),
        "{}",
        report.refused[0].reason
    );
    let status = fast.store.sync_status().unwrap();
    assert_eq!((status.waiting, status.refused), (1, 1), "kept and marked");

    // The clock is set right: the change gets a new stamp and goes out.
    fast.store.set_clock_offset(0);
    let report = fast.sync(&server.url).unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(fast.store.sync_status().unwrap().waiting, 0);
    let mut other = Laptop::new(dir.path(), "other", &token);
    other.sync(&server.url).unwrap();
    assert_eq!(other.store.count(Entity::Contact).unwrap(), 1);
    // A later edit on another laptop wins over it, as its real time says.
    let id = other.store.list(Entity::Contact, None, 1).unwrap().items[0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    other
        .store
        .update(Entity::Contact, id, fields(json!({"name": "Op tijd"})))
        .unwrap();
    other.sync(&server.url).unwrap();
    fast.sync(&server.url).unwrap();
    assert_eq!(
        fast.store.get(Entity::Contact, id).unwrap()["name"],
        "Op tijd"
    );

    // A laptop two days slow is accepted; its old clock simply loses to newer edits.
    let mut slow = Laptop::new(dir.path(), "slow", &token);
    slow.store.set_clock_offset(-2 * 86_400_000);
    slow.store
        .create(Entity::Contact, fields(json!({"name": "Te laat"})))
        .unwrap();
    let report = slow.sync(&server.url).unwrap();
    assert!(report.refused.is_empty());
    assert_eq!(slow.store.sync_status().unwrap().waiting, 0);
}

#[test]
fn one_municipality_cannot_read_or_write_another() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (_, bergen) = tenant_with_user(&db, "coordinator");
    let (alkmaar_name, alkmaar) = tenant_with_user(&db, "coordinator");
    let mut a = Laptop::new(dir.path(), "bergen", &bergen);
    a.store
        .create(
            Entity::Contact,
            fields(json!({"name": "Alleen voor Bergen"})),
        )
        .unwrap();
    a.sync(&server.url).unwrap();
    let mut other = Laptop::new(dir.path(), "alkmaar", &alkmaar);
    let report = other.sync(&server.url).unwrap();
    assert_eq!(report.pulled_records, 0);
    assert_eq!(other.store.count(Entity::Contact).unwrap(), 0);

    let reader = user(&db, &alkmaar_name, "raadslid", "reader");
    let mut read_only = Laptop::new(dir.path(), "reader", &reader);
    read_only
        .store
        .create(Entity::Contact, fields(json!({"name": "Mag niet"})))
        .unwrap();
    assert!(matches!(
        read_only.sync(&server.url),
        Err(SyncError::Forbidden)
    ));
    assert_eq!(read_only.store.sync_status().unwrap().waiting, 1);

    let mut stranger = Laptop::new(dir.path(), "stranger", "wk_not-a-token");
    assert!(matches!(
        stranger.sync(&server.url),
        Err(SyncError::Unauthorized)
    ));
}

#[test]
fn sync_runs_over_tls_and_an_untrusted_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let server = Server::start_on(
        &db,
        "127.0.0.1:0",
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let (_, token) = tenant_with_user(&db, "coordinator");
    let mut laptop = Laptop::new(dir.path(), "a", &token);
    laptop
        .store
        .create(Entity::Contact, fields(json!({"name": "Veilig verstuurd"})))
        .unwrap();

    // Without trusting the certificate: refused, nothing lost.
    let err = laptop.sync(&server.url).unwrap_err();
    assert!(matches!(err, SyncError::Certificate(_)), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    assert_eq!(laptop.store.sync_status().unwrap().waiting, 1);

    // Trusting it: the round goes through.
    let pem = std::fs::read(&cert).unwrap();
    let mut transport = wijkwerk_core::sync::http::HttpTransport::with_authority(
        &server.url,
        &token,
        std::time::Duration::from_secs(10),
        Some(&pem),
    )
    .unwrap();
    let report = laptop
        .store
        .sync_round(&server.url, &mut transport)
        .unwrap();
    assert_eq!(report.pushed_transactions, 1);
}

#[test]
fn the_kernbezoek_calendar_is_served_at_a_secret_revocable_address() {
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
    let visit = laptop
        .store
        .create(
            Entity::Visit,
            fields(
                json!({"kind": "kernbezoek", "title": "Kernbezoek Schoorl", "area_id": kern,
                          "starts_at": "2026-06-10T13:30", "ends_at": "2026-06-10T16:30"}),
            ),
        )
        .unwrap();
    laptop.sync(&server.url).unwrap();
    let out = common::admin(&db, &["feed", "add", "--tenant", &tenant, "--name", "anna"]);
    let path = out.lines().last().unwrap().trim().to_owned();
    assert!(
        path.starts_with("/calendar/") && path.ends_with(".ics"),
        "{path}"
    );

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.get(format!("{}{path}", server.url)).call().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let etag = response
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = response.body_mut().read_to_string().unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(text.contains("SUMMARY:Kernbezoek Schoorl"), "{text}");
    assert!(text.contains(&visit.to_string()), "the UID names the visit");

    // Unchanged: 304. Changed on a laptop and synced: a new calendar.
    let again = agent
        .get(format!("{}{path}", server.url))
        .header("if-none-match", &etag)
        .call()
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    laptop
        .store
        .update(
            Entity::Visit,
            visit,
            fields(json!({"location": "Dorpshuis De Blinkerd"})),
        )
        .unwrap();
    laptop.sync(&server.url).unwrap();
    let mut changed = agent
        .get(format!("{}{path}", server.url))
        .header("if-none-match", &etag)
        .call()
        .unwrap();
    assert_eq!(changed.status().as_u16(), 200);
    assert!(changed
        .body_mut()
        .read_to_string()
        .unwrap()
        .contains("Blinkerd"));

    // A wrong or revoked address: 404.
    let wrong = agent
        .get(format!("{}/calendar/{}.ics", server.url, "0".repeat(64)))
        .call()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 404);
    common::admin(
        &db,
        &["feed", "revoke", "--tenant", &tenant, "--name", "anna"],
    );
    let revoked = agent.get(format!("{}{path}", server.url)).call().unwrap();
    assert_eq!(revoked.status().as_u16(), 404);
}

#[test]
fn a_round_counts_as_applied_only_what_others_changed() {
    let TwoLaptops {
        dir: _dir,
        server,
        token: _,
        mut a,
        mut b,
        ..
    } = two_laptops();

    a.store
        .create(Entity::Contact, fields(json!({"name": "Els Bakker"})))
        .unwrap();
    // A's own write does not come back (the push's answer moved A's cursor past it), and
    // changes nothing there.
    let own = a.sync(&server.url).unwrap();
    assert!(own.pull_skipped, "{own:?}");
    assert_eq!(own.applied_fields, 0, "{own:?}");
    // B had not seen it: that changes B's store.
    let other = b.sync(&server.url).unwrap();
    assert!(other.applied_fields >= 1, "{other:?}");
    let again = b.sync(&server.url).unwrap();
    assert_eq!(again.applied_fields, 0, "{again:?}");
    // With B's change on the server before A's push, A pulls: B's fields count, A's own
    // coming back do not.
    b.store
        .create(Entity::Contact, fields(json!({"name": "Joost Mulder"})))
        .unwrap();
    b.sync(&server.url).unwrap();
    a.store
        .create(Entity::Contact, fields(json!({"name": "Femke Visser"})))
        .unwrap();
    let both = a.sync(&server.url).unwrap();
    assert_eq!(both.pulled_records, 2, "{both:?}");
    assert_eq!(both.applied_fields, other.applied_fields, "{both:?}");
}

#[test]
fn an_https_address_on_a_plain_http_port_is_offline_not_a_certificate_matter() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (_, token) = tenant_with_user(&db, "coordinator");
    let mut laptop = Laptop::new(dir.path(), "a", &token);
    let wrong = server.url.replace("http://", "https://");
    let err = laptop.sync(&wrong).unwrap_err();
    assert!(matches!(err, SyncError::Offline(_)), "{err}");
}

/// A transport whose second pull page never arrives.
struct SecondPageLost {
    inner: wijkwerk_core::sync::http::HttpTransport,
    pulls: usize,
}

impl wijkwerk_core::sync::Transport for SecondPageLost {
    fn hello(&mut self) -> Result<wijkwerk_core::protocol::wire::Hello, SyncError> {
        self.inner.hello()
    }
    fn push(
        &mut self,
        request: &wijkwerk_core::protocol::wire::PushRequest,
    ) -> Result<wijkwerk_core::protocol::wire::PushResponse, SyncError> {
        self.inner.push(request)
    }
    fn pull(
        &mut self,
        cursor: wijkwerk_core::protocol::wire::Cursor,
        limit: usize,
    ) -> Result<wijkwerk_core::protocol::wire::PullResponse, SyncError> {
        self.pulls += 1;
        if self.pulls == 2 {
            return Err(SyncError::Offline("the connection broke".into()));
        }
        self.inner.pull(cursor, limit)
    }
}

#[test]
fn a_round_that_fails_after_some_pages_still_says_what_they_changed() {
    let TwoLaptops {
        dir: _dir,
        server,
        token,
        mut a,
        mut b,
        ..
    } = two_laptops();
    // Four transactions of a quarter page of contacts (three fields each): more than one pull
    // page (a page never splits a transaction).
    for batch in 0..4 {
        let many = (0..wijkwerk_core::sync::PULL_PAGE / 4)
            .map(|n| {
                wijkwerk_core::Write::create(
                    Entity::Contact,
                    fields(json!({"name": format!("Bewoner {batch}-{n}"), "phone": "072-000"})),
                )
            })
            .collect();
        a.store.write(many).unwrap();
    }
    a.sync(&server.url).unwrap();

    let mut cut = SecondPageLost {
        inner: wijkwerk_core::sync::http::HttpTransport::new(
            &server.url,
            &token,
            std::time::Duration::from_secs(20),
        )
        .unwrap(),
        pulls: 0,
    };
    let err = b.store.sync_round(&server.url, &mut cut).unwrap_err();
    assert!(matches!(err, SyncError::Offline(_)), "{err}");
    let applied = b.store.last_round_applied();
    assert!(applied > 0, "the first page changed B's store");
    // Four fields per contact: name and phone, and the defaults the write path adds (legal
    // basis and source, for the AVG).
    assert_eq!(
        b.store.count(Entity::Contact).unwrap() as usize * 4,
        applied,
        "four fields per contact of the first page"
    );
}

#[test]
fn a_first_download_meets_a_record_again_on_a_later_page_and_finds_it_by_search() {
    // A new laptop's first download inserts records without looking them up; a record whose
    // fields changed in a later transaction comes again on a later page and must be merged.
    let TwoLaptops {
        dir: _dir,
        server,
        mut a,
        mut b,
        ..
    } = two_laptops();
    let n = wijkwerk_core::sync::PULL_PAGE / 2;
    let made: Vec<wijkwerk_core::Write> = (0..n)
        .map(|i| {
            wijkwerk_core::Write::create(
                Entity::Contact,
                fields(json!({"name": format!("Bewoner {i}"), "phone": "072-5123456"})),
            )
        })
        .collect();
    let first = made[0].id;
    a.store.write(made).unwrap();
    // More than a page later, the first contact gets notes and a new name.
    let filler = (0..n)
        .map(|i| {
            wijkwerk_core::Write::create(
                Entity::Organisation,
                fields(json!({"name": format!("Vereniging {i}"), "kind": "wijkvereniging"})),
            )
        })
        .collect();
    a.store.write(filler).unwrap();
    a.store
        .update(
            Entity::Contact,
            first,
            fields(json!({"name": "Wilhelmina Zonneveld", "notes": "Trekker van het dorpsfeest"})),
        )
        .unwrap();
    a.sync(&server.url).unwrap();

    let report = b.sync(&server.url).unwrap();
    assert!(report.pulled_records > 2 * n, "{report:?}");
    assert_eq!(
        b.export(),
        a.export(),
        "the first download holds what A holds"
    );
    let found = b.store.search("zonneveld dorpsfeest", 10).unwrap();
    assert_eq!(
        found.len(),
        1,
        "the record met again is found by its new words"
    );
    // And a record inserted as it came (never met again) is found by its own words (the
    // highest number: search matches prefixes, so no other name starts with it).
    let last = format!("Bewoner {}", n - 1);
    let hits = b.store.search(&last, 10).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(),
        [last.as_str()]
    );
}

#[test]
fn a_push_with_nothing_between_moves_the_cursor_without_a_pull_and_otherwise_pulls() {
    let TwoLaptops {
        dir: _dir,
        server,
        mut a,
        mut b,
        ..
    } = two_laptops();
    let els = a
        .store
        .create(Entity::Contact, fields(json!({"name": "Els Bakker"})))
        .unwrap();
    let edit = |laptop: &mut Laptop, changes: Value| {
        laptop
            .store
            .update(Entity::Contact, els, fields(changes))
            .unwrap();
    };
    // Nothing on the server but what A sends: the push's answer moves A's cursor.
    let round = a.sync(&server.url).unwrap();
    assert!(round.pull_skipped, "{round:?}");
    assert_eq!(round.cursor, 1);
    b.sync(&server.url).unwrap();
    assert_eq!(b.export(), a.export());

    // B's change comes between A's cursor and A's next push: A pulls it.
    edit(&mut b, json!({"phone": "072-5123456"}));
    b.sync(&server.url).unwrap();
    edit(&mut a, json!({"notes": "Secretaris"}));
    let round = a.sync(&server.url).unwrap();
    assert!(!round.pull_skipped, "{round:?}");
    assert_eq!(
        round.pulled_records, 1,
        "B's change and A's own came back: {round:?}"
    );
    assert_eq!(round.cursor, 3);
    b.sync(&server.url).unwrap();
    assert_eq!(b.export(), a.export());

    // The same field edited on both, A first: A's write loses on the server, and A pulls the
    // value that won.
    edit(&mut a, json!({"notes": "Penningmeester"}));
    std::thread::sleep(std::time::Duration::from_millis(2));
    edit(&mut b, json!({"notes": "Voorzitter"}));
    b.sync(&server.url).unwrap();
    let round = a.sync(&server.url).unwrap();
    assert!(!round.pull_skipped, "{round:?}");
    b.sync(&server.url).unwrap();
    assert_eq!(b.export(), a.export());
    assert!(a.export().contains("Voorzitter"));
}

#[test]
fn payments_booked_offline_on_two_laptops_both_count() {
    // Sums of the werkkapitaal are derived from records, never kept as running totals: a
    // "spent" field would lose one of the two payments to last-writer-wins.
    let TwoLaptops {
        dir: _dir,
        server,
        token: _,
        mut a,
        mut b,
        ..
    } = two_laptops();
    let municipality = a
        .store
        .create(
            Entity::Area,
            fields(json!({"name": "Gemeente Bergen", "kind": "municipality"})),
        )
        .unwrap();
    let kern = a
        .store
        .create(
            Entity::Area,
            fields(json!({"name": "Schoorl", "kind": "core", "parent_id": municipality, "inhabitants": 5700})),
        )
        .unwrap();
    let kernoverleg = a
        .store
        .create(
            Entity::Organisation,
            fields(
                json!({"name": "Kernoverleg Schoorl", "kind": "kernoverleg", "area_ids": [kern]}),
            ),
        )
        .unwrap();
    let budget = a
        .store
        .create(
            Entity::Budget,
            fields(json!({"area_id": municipality, "year": 2027, "total_cents": "10.000"})),
        )
        .unwrap();
    let commitment = a
        .store
        .create(
            Entity::Commitment,
            fields(json!({"budget_id": budget, "kernoverleg_id": kernoverleg,
                          "date": "2027-03-01", "amount_cents": "2.000,00",
                          "description": "Burendag"})),
        )
        .unwrap();
    converge(&server, &mut [&mut a, &mut b]);

    // Offline, each books a payment against the same commitment.
    a.store
        .create(
            Entity::Payment,
            fields(json!({"commitment_id": commitment, "date": "2027-04-02",
                          "amount_cents": "750,00", "description": "Springkussen"})),
        )
        .unwrap();
    b.store
        .create(
            Entity::Payment,
            fields(json!({"commitment_id": commitment, "date": "2027-04-03",
                          "amount_cents": "1.500,00", "description": "Catering"})),
        )
        .unwrap();
    converge(&server, &mut [&mut a, &mut b]);

    let as_of = "2027-12-31".parse().unwrap();
    for laptop in [&a, &b] {
        let overview = laptop
            .store
            .budget_overview(2027, None, as_of)
            .unwrap()
            .expect("the werkkapitaal of 2027");
        assert_eq!(overview.spent_cents, 225_000, "both payments count");
        assert_eq!(overview.committed_cents, 200_000);
        assert_eq!(overview.overruns.len(), 1, "paid beyond the commitment");
        assert_eq!(overview.overruns[0].overrun_cents, 25_000);
        assert_eq!(overview.parts[0].allocated_cents, 1_000_000);
        assert_eq!(overview.remaining_cents, 1_000_000 - 225_000);
    }
}
