//! The department colleagues' web pages, with real processes: a server, coordinators' laptops
//! (core stores syncing over HTTP), a colleague's "browser" (plain HTTP with a cookie jar, no
//! scripts needed: the pages have none), and a local SMTP sink. The real browser (Chromium over
//! WebDriver, with axe) is in the workspace's end-to-end tests, `tests/e2e/department_web.rs`.
//!
//! The server runs on its embedded SQLite, or on PostgreSQL when `WIJKWERK_TEST_POSTGRES` is
//! set.

mod common;

use common::department::{address, department_user, Browser, Page, PASSWORD};
use common::smtp_sink::{SinkMode, SmtpSink};
use common::{admin, database, server_head, tenant_with_user, Laptop, Server, SERVER};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use uuid::Uuid;
use wijkwerk_core::{Entity, Fields};

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

/// What a coordinator's laptop made: two departments, an association, an area, and action
/// points owned by the departments.
struct Municipality {
    roads: Uuid,
    traffic: Uuid,
    /// Owned by roads, overdue.
    late: Uuid,
    /// Owned by roads, due next year.
    later: Uuid,
    /// Owned by traffic.
    traffic_point: Uuid,
}

fn municipality(laptop: &mut Laptop) -> Municipality {
    let s = &mut laptop.store;
    let area = s
        .create(
            Entity::Area,
            fields(json!({"name": "Egmond aan Zee", "kind": "municipality"})),
        )
        .unwrap();
    let organisation = |s: &mut wijkwerk_core::Store, name: &str, kind: &str| {
        s.create(
            Entity::Organisation,
            fields(json!({"name": name, "kind": kind})),
        )
        .unwrap()
    };
    let roads = organisation(s, "Beheer Openbare Ruimte", "department");
    let traffic = organisation(s, "Verkeer", "department");
    let association = organisation(s, "Dorpsraad Egmond", "dorpsraad");
    let resident = s
        .create(
            Entity::Contact,
            fields(json!({"name": "Jan Privé", "email": "jan.prive@voorbeeld.nl"})),
        )
        .unwrap();
    let mut point = |title: &str, owner: Uuid, due: &str| {
        s.create(
            Entity::ActionPoint,
            fields(json!({
                "title": title,
                "description": "Gevraagd op de ledenvergadering.",
                "area_id": area.to_string(),
                "requester_organisation_id": association.to_string(),
                "requester_contact_id": resident.to_string(),
                "owner_organisation_id": owner.to_string(),
                "due_date": due,
                "status": "open",
                "opened_on": "2026-09-01",
            })),
        )
        .unwrap()
    };
    let late = point("Stoeptegels Zeeweg herstellen", roads, "2026-10-01");
    let later = point("Bankje bij de vuurtoren", roads, "2027-06-01");
    let traffic_point = point("Drempel Voorstraat", traffic, "2026-11-01");
    Municipality {
        roads,
        traffic,
        late,
        later,
        traffic_point,
    }
}

/// What most tests start from: a running server (its log in `server.log` of the folder; with a
/// configuration file sending to the sink when there is one), a tenant, and the coordinator
/// Anna's laptop that made the municipality and synced it.
struct World {
    dir: tempfile::TempDir,
    db: String,
    server: Server,
    tenant: String,
    token: String,
    anna: Laptop,
    m: Municipality,
}

impl World {
    fn new(sink: Option<&SmtpSink>) -> World {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path());
        let server = match sink {
            Some(_) => server_with_config(dir.path(), &db, sink),
            None => Server::start_logged(&db, &[], &dir.path().join("server.log")),
        };
        let (tenant, token) = tenant_with_user(&db, "coordinator");
        let mut anna = Laptop::new(dir.path(), "anna", &token);
        let m = municipality(&mut anna);
        anna.sync(&server.url).unwrap();
        World {
            dir,
            db,
            server,
            tenant,
            token,
            anna,
            m,
        }
    }
}

/// Ans Bakker of Beheer Openbare Ruimte, a department user with the test password; her address.
fn add_ans(db: &str, tenant: &str, m: &Municipality) -> String {
    let ans = address("ans", tenant);
    department_user(db, tenant, "Ans Bakker", m.roads, &ans);
    ans
}

/// A server with a configuration file (public address, and the sink's mail server if given),
/// sending no weekly reminders by itself (the tests send them when they mean to).
fn server_with_config(dir: &Path, db: &str, sink: Option<&SmtpSink>) -> Server {
    server_configured(dir, db, sink, false)
}

fn server_configured(dir: &Path, db: &str, sink: Option<&SmtpSink>, weekly: bool) -> Server {
    server_configured_with(dir, db, sink, weekly, &[])
}

fn server_configured_with(
    dir: &Path,
    db: &str,
    sink: Option<&SmtpSink>,
    weekly: bool,
    env: &[(&str, &str)],
) -> Server {
    let config = dir.join("server.toml");
    let mut text = format!("public_url = \"http://wijkwerk.test\"\nweekly_reminders = {weekly}\n");
    if let Some(sink) = sink {
        text.push_str(&sink.config_toml());
    }
    std::fs::write(&config, text).expect("the configuration is written");
    let config = config.display().to_string();
    Server::start_logged_with(db, &["--config", &config], &dir.join("server.log"), env)
}

fn history_of(laptop: &Laptop, point: Uuid) -> Vec<wijkwerk_core::action_points::ActionPointEvent> {
    laptop
        .store
        .action_point_history(point)
        .expect("the history")
}

fn status_of(laptop: &Laptop, point: Uuid) -> String {
    laptop
        .store
        .get(Entity::ActionPoint, point)
        .expect("the point")["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_colleague_answers_in_the_browser_and_the_coordinator_gets_it_on_the_next_sync() {
    let World {
        dir: _dir,
        db,
        server,
        tenant,
        mut anna,
        m,
        ..
    } = World::new(None);
    department_user(
        &db,
        &tenant,
        "Ans Bakker",
        m.roads,
        &address("Ans.Bakker", &tenant.to_uppercase()),
    );

    let mut browser = Browser::new(&server.url);
    // Not signed in: to the sign-in page.
    let first = browser.get("/");
    assert_eq!(
        (first.status, first.location.as_deref()),
        (303, Some("/aanmelden"))
    );
    // A wrong password: refused, said so.
    let csrf = browser.get("/aanmelden").csrf();
    let wrong = browser.post(
        "/aanmelden",
        &[
            ("csrf", &csrf),
            ("email", &address("ans.bakker", &tenant)),
            ("password", "niet het wachtwoord"),
        ],
    );
    assert_eq!(wrong.status, 401);
    assert!(wrong.shows("horen niet bij elkaar"), "{}", wrong.body);

    let list = browser.sign_in(&address("ans.bakker", &tenant), PASSWORD);
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.shows("Ans Bakker") && list.shows("Beheer Openbare Ruimte"));
    // Overdue first, then by due date; another department's point is not there.
    let late = list
        .body
        .find("Stoeptegels Zeeweg herstellen")
        .expect("the late point");
    let later = list
        .body
        .find("Bankje bij de vuurtoren")
        .expect("the later point");
    assert!(late < later, "overdue first");
    assert!(list.shows("te laat"));
    assert!(
        !list.shows("Drempel Voorstraat"),
        "another department's point"
    );
    // The association's name, never the resident's details.
    assert!(list.shows("Dorpsraad Egmond"));
    assert!(!list.body.contains("Jan Privé") && !list.body.contains("jan.prive"));

    // The colleague sets a status with a comment.
    let point_path = format!("/punten/{}", m.late);
    let page = browser.get(&point_path);
    assert_eq!(page.status, 200);
    let answered = browser.post(
        &format!("{point_path}/status"),
        &[
            ("csrf", &page.csrf()),
            ("status", "in_progress"),
            ("comment", "Ingepland voor week 3.\nAannemer is gebeld."),
        ],
    );
    assert_eq!(answered.status, 303, "{}", answered.body);
    let after = browser.get(answered.location.as_deref().unwrap());
    assert!(after.shows("De status is opgeslagen"));
    assert!(
        after.shows("Ingepland voor week 3. Aannemer is gebeld."),
        "lines joined: {}",
        after.body
    );
    assert!(after.shows("via de webpagina"));
    // A proposed due date and a comment.
    let proposal = browser.post(
        &format!("{point_path}/termijn"),
        &[
            ("csrf", &after.csrf()),
            ("due_date", "2027-01-15"),
            ("reason", "Vorstverlet eerst"),
        ],
    );
    assert_eq!(proposal.status, 303, "{}", proposal.body);
    let comment = browser.post(
        &format!("{point_path}/opmerking"),
        &[("csrf", &after.csrf()), ("comment", "Foto's gemaakt.")],
    );
    assert_eq!(comment.status, 303, "{}", comment.body);

    // The coordinator's next sync brings all three, with the colleague's name.
    let report = anna.sync(&server.url).unwrap();
    assert!(report.pulled_fields > 0);
    assert_eq!(status_of(&anna, m.late), "in_progress");
    let history = history_of(&anna, m.late);
    let from_web: Vec<_> = history.iter().filter(|e| e.from_web).collect();
    assert_eq!(from_web.len(), 3, "{history:#?}");
    assert!(from_web
        .iter()
        .all(|e| e.author.as_deref() == Some("Ans Bakker")));
    let status = from_web.iter().find(|e| e.kind == "status_change").unwrap();
    assert_eq!(
        (
            status.from_status.as_deref(),
            status.to_status.as_deref(),
            status.comment.as_deref()
        ),
        (
            Some("open"),
            Some("in_progress"),
            Some("Ingepland voor week 3. Aannemer is gebeld.")
        )
    );
    let proposal = from_web
        .iter()
        .find(|e| e.kind == "due_date_proposal")
        .unwrap();
    assert_eq!(proposal.proposed_due_date.as_deref(), Some("2027-01-15"));
    // The app's "answered from the web since you last looked".
    let unseen = anna.store.unseen_web_answers(10).unwrap();
    assert_eq!(unseen.unseen, 3);
    assert_eq!(unseen.answers[0].title, "Stoeptegels Zeeweg herstellen");
    anna.store
        .mark_web_answers_seen(unseen.answers[0].seq)
        .unwrap();
    assert_eq!(anna.store.unseen_web_answers(10).unwrap().unseen, 0);
    // The coordinator takes the proposed date: the colleague sees it on the page.
    anna.store
        .accept_due_date_proposal(Uuid::parse_str(&proposal.id).unwrap(), Some("Anna"))
        .unwrap();
    anna.sync(&server.url).unwrap();
    let accepted = browser.get(&point_path);
    assert!(accepted.shows("15 januari 2027"), "{}", accepted.body);
    assert!(accepted.shows("op voorstel van Ans Bakker"));
}

#[test]
fn a_coordinators_offline_edit_of_the_same_status_ends_as_a_logged_conflict_on_both_laptops() {
    let World {
        dir,
        db,
        server,
        tenant,
        mut anna,
        m,
        ..
    } = World::new(None);
    let mut bert = Laptop::new(
        dir.path(),
        "bert",
        &common::user(&db, &tenant, "bert", "coordinator"),
    );
    bert.sync(&server.url).unwrap();
    add_ans(&db, &tenant, &m);

    // Bert, offline, sets the status; then the colleague sets another on the web.
    bert.store
        .change_action_point_status(m.late, "waiting", Some("Wacht op budget"), Some("Bert"))
        .unwrap();
    std::thread::sleep(Duration::from_millis(5));
    let mut browser = Browser::new(&server.url);
    browser.sign_in(&address("ans", &tenant), PASSWORD);
    let page = browser.get(&format!("/punten/{}", m.late));
    let done = browser.post(
        &format!("/punten/{}/status", m.late),
        &[
            ("csrf", &page.csrf()),
            ("status", "done"),
            ("comment", "Hersteld."),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);

    // Bert comes back online: the web's newer write wins, his is logged as lost.
    bert.sync(&server.url).unwrap();
    anna.sync(&server.url).unwrap();
    for laptop in [&bert, &anna] {
        assert_eq!(status_of(laptop, m.late), "done");
        let conflicts = laptop.store.conflicts(true, 100).unwrap();
        let status = conflicts
            .iter()
            .find(|c| c.record_id == m.late.to_string() && c.field == "status")
            .unwrap_or_else(|| panic!("a logged conflict on the status: {conflicts:#?}"));
        assert_eq!(status.lost_value, json!("waiting"));
        assert_eq!(status.won_value, json!("done"));
    }
    // Both history entries stay: each side's explanation is kept.
    let history = history_of(&anna, m.late);
    assert!(history
        .iter()
        .any(|e| e.comment.as_deref() == Some("Wacht op budget")));
    assert!(history
        .iter()
        .any(|e| e.comment.as_deref() == Some("Hersteld.") && e.from_web));
}

#[test]
fn a_colleague_sees_only_their_own_departments_points_and_tokens_open_no_page() {
    let World {
        dir,
        db,
        server,
        tenant,
        token,
        m,
        ..
    } = World::new(None);
    let reader = common::user(&db, &tenant, "lezer", "reader");
    add_ans(&db, &tenant, &m);
    department_user(
        &db,
        &tenant,
        "Vera Verkeer",
        m.traffic,
        &address("vera", &tenant),
    );
    // Another municipality with a department of the same name.
    let (other_tenant, other_token) = tenant_with_user(&db, "coordinator");
    let mut other = Laptop::new(dir.path(), "other", &other_token);
    let o = municipality(&mut other);
    other.sync(&server.url).unwrap();
    department_user(
        &db,
        &other_tenant,
        "Otto Ander",
        o.roads,
        &address("otto", &other_tenant),
    );

    let mut vera = Browser::new(&server.url);
    let list = vera.sign_in(&address("vera", &tenant), PASSWORD);
    assert!(list.shows("Drempel Voorstraat"));
    assert!(!list.shows("Stoeptegels") && !list.shows("Bankje"));
    let head = server_head(&server.url, &token);
    for id in [m.late, m.later, o.late, o.traffic_point] {
        let page = vera.get(&format!("/punten/{id}"));
        assert_eq!(
            page.status, 404,
            "another department's or tenant's point {id}"
        );
        assert!(!page.shows("Stoeptegels") && !page.shows("Drempel"));
        let csrf = vera.get("/").csrf();
        let answer = vera.post(
            &format!("/punten/{id}/opmerking"),
            &[("csrf", &csrf), ("comment", "Mag ik dit?")],
        );
        assert_eq!(answer.status, 404);
    }
    assert_eq!(server_head(&server.url, &token), head, "nothing written");

    let mut otto = Browser::new(&server.url);
    let list = otto.sign_in(&address("otto", &other_tenant), PASSWORD);
    assert!(list.shows("Stoeptegels"));
    assert_eq!(
        otto.get(&format!("/punten/{}", m.late)).status,
        404,
        "the other tenant's point"
    );
    assert_eq!(otto.get(&format!("/punten/{}", o.late)).status, 200);

    // A coordinator's or reader's token opens no page: the sign-in page is all they get.
    let agent = common::http_agent(Duration::from_secs(10));
    let no_redirects: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    for t in [&token, &reader] {
        for path in ["/".to_owned(), format!("/punten/{}", m.late)] {
            let response = no_redirects
                .get(&format!("{}{path}", server.url))
                .header("authorization", &format!("Bearer {t}"))
                .call()
                .unwrap();
            assert_eq!(response.status().as_u16(), 303);
            let to = response
                .headers()
                .get("location")
                .unwrap()
                .to_str()
                .unwrap();
            assert!(to.starts_with("/aanmelden"), "{to}");
        }
    }
    // A department user cannot use the sync API (they have no token; a session cookie is not one).
    let cookie = format!(
        "__Host-wijkwerk_sessie={}",
        vera.cookies["__Host-wijkwerk_sessie"]
    );
    let pull = agent
        .get(&format!("{}/v1/pull?after=0", server.url))
        .header("cookie", &cookie)
        .call()
        .unwrap();
    assert_eq!(pull.status().as_u16(), 401);
}

#[test]
fn bad_answers_are_refused_with_a_reason_and_change_nothing() {
    let World {
        dir,
        db,
        server,
        tenant,
        token,
        mut anna,
        m,
    } = World::new(None);
    let log = dir.path().join("server.log");
    add_ans(&db, &tenant, &m);
    let mut browser = Browser::new(&server.url);
    browser.sign_in(&address("ans", &tenant), PASSWORD);
    let path = format!("/punten/{}", m.late);
    let csrf = browser.get(&path).csrf();
    let head = server_head(&server.url, &token);
    let long = "x".repeat(2_001);
    // (the form's action, its fields, the answer's status, what the page says)
    type Refused<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);
    let refused: &[Refused] = &[
        (
            "status",
            vec![("status", "klaar")],
            422,
            "Kies een status uit de lijst",
        ),
        (
            "status",
            vec![("status", "cancelled")],
            422,
            "Alleen de coördinator",
        ),
        ("status", vec![("status", "open")], 422, "staat al op"),
        (
            "status",
            vec![("status", "done"), ("comment", &long)],
            422,
            "er passen er 2000",
        ),
        (
            "termijn",
            vec![("due_date", "2020-01-01"), ("reason", "te laat")],
            422,
            "in het verleden",
        ),
        (
            "termijn",
            vec![("due_date", "31-02-2027"), ("reason", "x")],
            422,
            "geen datum",
        ),
        (
            "termijn",
            vec![("due_date", "2027-03-01"), ("reason", " ")],
            422,
            "Schrijf de reden",
        ),
        (
            "opmerking",
            vec![("comment", "")],
            422,
            "Schrijf een opmerking",
        ),
    ];
    for (action, form, status, message) in refused {
        let mut form = form.clone();
        form.push(("csrf", &csrf));
        let page = browser.post(&format!("{path}/{action}"), &form);
        assert_eq!(page.status, *status, "{action} {form:?}: {}", page.body);
        assert!(
            page.shows(message),
            "{action} {form:?}: expected {message:?} in {}",
            page.body
        );
        assert!(page.shows("Niet opgeslagen"));
    }
    // What was typed stays in the form.
    let typed = browser.post(
        &format!("{path}/termijn"),
        &[
            ("csrf", &csrf),
            ("due_date", "2020-01-01"),
            ("reason", "Mijn uitgebreide reden"),
        ],
    );
    assert!(typed.shows("Mijn uitgebreide reden"));
    // A missing or forged CSRF token.
    for given in [None, Some("vervalst")] {
        let mut form = vec![("status", "done")];
        if let Some(token) = given {
            form.push(("csrf", token));
        }
        let page = browser.post(&format!("{path}/status"), &form);
        assert_eq!(page.status, 403, "{}", page.body);
        assert!(page.shows("niets gewijzigd"));
    }
    // Another site's form cannot sign in either (the sign-in forms' token is a cookie's).
    let mut stranger = Browser::new(&server.url);
    let page = stranger.post(
        "/aanmelden",
        &[
            ("csrf", "geraden"),
            ("email", &address("ans", &tenant)),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(page.status, 403);
    assert!(!stranger.cookies.contains_key("__Host-wijkwerk_sessie"));
    assert_eq!(
        server_head(&server.url, &token),
        head,
        "nothing was written"
    );
    // Each refusal's reason is in the server's log.
    let logged = std::fs::read_to_string(&log).unwrap();
    for reason in [
        "Kies een status uit de lijst",
        "Alleen de coördinator kan een actiepunt laten vervallen",
        "De nieuwe datum ligt in het verleden",
        "er passen er 2000",
        "missing CSRF token",
        "wrong CSRF token",
        "sign-in form refused: CSRF token missing or wrong",
    ] {
        assert!(
            logged.contains(reason),
            "{reason:?} not in the server's log:\n{logged}"
        );
    }
    anna.sync(&server.url).unwrap();
    assert_eq!(status_of(&anna, m.late), "open");
    assert!(history_of(&anna, m.late).iter().all(|e| !e.from_web));
}

#[test]
fn a_sign_in_link_by_mail_works_once_and_a_mail_server_that_fails_is_said_so() {
    let sink = SmtpSink::start();
    let World {
        dir,
        db,
        server,
        tenant,
        m,
        ..
    } = World::new(Some(&sink));
    add_ans(&db, &tenant, &m);

    let mut browser = Browser::new(&server.url);
    let csrf = browser.get("/aanmelden").csrf();
    let asked = browser.post(
        "/aanmelden/link",
        &[("csrf", &csrf), ("email", &address("ANS", &tenant))],
    );
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.shows("Als dit adres bij ons bekend is"));
    let mails = sink.wait_for(1, Duration::from_secs(10));
    let mail = &mails[0];
    assert_eq!(mail.to, vec![address("ans", &tenant)]);
    assert_eq!(mail.subject(), "Uw link om u aan te melden bij Wijkwerk");
    assert!(
        mail.text_body().contains("werkt 30 minuten en één keer"),
        "{}",
        mail.text_body()
    );
    let link = mail
        .links()
        .into_iter()
        .find(|l| l.contains("/aanmelden/link/"))
        .expect("a sign-in link");
    let path = link.trim_start_matches("http://wijkwerk.test");
    // Opening the link (as a mail scanner would) uses nothing up; the button does.
    let confirm = browser.get(path);
    assert_eq!(confirm.status, 200);
    let confirm = browser.get(path);
    let used = browser.post(path, &[("csrf", &confirm.csrf())]);
    assert_eq!(used.status, 303, "{}", used.body);
    assert_eq!(browser.get("/").status, 200);
    // The same link again: refused, with the reason.
    let mut other = Browser::new(&server.url);
    let again = other.get(path);
    let again = other.post(path, &[("csrf", &again.csrf())]);
    assert_eq!(again.status, 401);
    assert!(again.shows("al gebruikt"), "{}", again.body);
    // An address nobody has: the same answer, and no mail.
    let csrf = other.get("/aanmelden").csrf();
    let unknown = other.post(
        "/aanmelden/link",
        &[("csrf", &csrf), ("email", &address("niemand", &tenant))],
    );
    assert!(unknown.shows("Als dit adres bij ons bekend is"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.messages().len(), 1);

    // A mail server that refuses, then one that does not answer: said on the page.
    sink.set_mode(SinkMode::RefuseRecipient);
    let csrf = other.get("/aanmelden").csrf();
    let refused = other.post(
        "/aanmelden/link",
        &[("csrf", &csrf), ("email", &address("ans", &tenant))],
    );
    assert_eq!(refused.status, 502);
    assert!(
        refused.shows("weigerde het bericht") && refused.shows("550"),
        "{}",
        refused.body
    );
    sink.set_mode(SinkMode::Stall);
    let csrf = other.get("/aanmelden").csrf();
    let stalled = other.post(
        "/aanmelden/link",
        &[("csrf", &csrf), ("email", &address("ans", &tenant))],
    );
    assert_eq!(stalled.status, 502);
    assert!(
        stalled.shows("antwoordde niet binnen 2 seconden"),
        "{}",
        stalled.body
    );
    // Both reasons are in the server's log.
    let logged = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(
        logged.contains("the sign-in link could not be sent"),
        "{logged}"
    );
    assert!(
        logged.contains("550") && logged.contains("did not answer within 2 seconds"),
        "{logged}"
    );
}

#[test]
fn an_expired_sign_in_link_is_refused() {
    if std::env::var("WIJKWERK_TEST_POSTGRES").is_ok() {
        return; // The link's expiry is set back in the SQLite file itself.
    }
    let sink = SmtpSink::start();
    let World {
        dir: _dir,
        db,
        server,
        tenant,
        m,
        ..
    } = World::new(Some(&sink));
    add_ans(&db, &tenant, &m);
    let mut browser = Browser::new(&server.url);
    let csrf = browser.get("/aanmelden").csrf();
    browser.post(
        "/aanmelden/link",
        &[("csrf", &csrf), ("email", &address("ans", &tenant))],
    );
    let link = sink.wait_for(1, Duration::from_secs(10))[0]
        .links()
        .into_iter()
        .find(|l| l.contains("/aanmelden/link/"))
        .unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE sign_in_link SET expires_at_ms = 1", [])
        .unwrap();
    let path = link.trim_start_matches("http://wijkwerk.test");
    let page = browser.get(path);
    let expired = browser.post(path, &[("csrf", &page.csrf())]);
    assert_eq!(expired.status, 401);
    assert!(expired.shows("verlopen"));
    assert_eq!(browser.get("/").status, 303, "not signed in");
}

#[test]
fn the_weekly_reminder_lists_open_and_overdue_points_with_links_that_work() {
    let sink = SmtpSink::start();
    let World {
        dir,
        db,
        server,
        tenant,
        m,
        ..
    } = World::new(Some(&sink));
    add_ans(&db, &tenant, &m);
    department_user(
        &db,
        &tenant,
        "Vera Verkeer",
        m.traffic,
        &address("vera", &tenant),
    );
    // Nothing goes out while the server's week has not come: the admin command sends now.
    let config = dir.path().join("server.toml").display().to_string();
    let out = admin(
        &db,
        &[
            "reminders",
            "send",
            "--tenant",
            &tenant,
            "--config",
            &config,
        ],
    );
    assert!(out.contains("ans@") || out.contains("Ans Bakker"), "{out}");
    let mails = sink.wait_for(2, Duration::from_secs(10));
    let ans = mails
        .iter()
        .find(|m| m.to == vec![address("ans", &tenant)])
        .expect("a mail to Ans");
    assert_eq!(ans.subject(), "Wijkwerk: 2 actiepunten open, 1 te laat");
    let text = ans.text_body();
    assert!(text.starts_with("Beste Ans Bakker,"), "{text}");
    let late = text.find("Stoeptegels Zeeweg herstellen").unwrap();
    assert!(
        late < text.find("Bankje bij de vuurtoren").unwrap(),
        "overdue first"
    );
    assert!(text.contains("termijn 1 oktober 2026 (te laat)"));
    assert!(!text.contains("Drempel"), "another department's point");
    // Every link opens its point for the colleague.
    let mut browser = Browser::new(&server.url);
    browser.sign_in(&address("ans", &tenant), PASSWORD);
    let links: Vec<String> = ans
        .links()
        .into_iter()
        .filter(|l| l.contains("/punten/"))
        .collect();
    assert_eq!(links.len(), 2);
    for link in links {
        let page = browser.get(link.trim_start_matches("http://wijkwerk.test"));
        assert_eq!(page.status, 200, "{link}");
    }
    let vera = mails
        .iter()
        .find(|m| m.to == vec![address("vera", &tenant)])
        .unwrap();
    assert_eq!(vera.subject(), "Wijkwerk: 1 actiepunt open, 1 te laat");
}

#[test]
fn a_coordinator_asks_for_a_reminder_and_sees_whom_it_reached_after_the_next_sync() {
    let sink = SmtpSink::start();
    let World {
        dir: _dir,
        db,
        server,
        tenant,
        mut anna,
        m,
        ..
    } = World::new(Some(&sink));
    add_ans(&db, &tenant, &m);
    department_user(
        &db,
        &tenant,
        "Vera Verkeer",
        m.traffic,
        &address("vera", &tenant),
    );

    anna.store
        .request_reminder(m.late, Some("Anna de Vries"))
        .unwrap();
    anna.sync(&server.url).unwrap();
    let mails = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(mails.len(), 1, "only the owning department");
    assert_eq!(mails[0].to, vec![address("ans", &tenant)]);
    assert_eq!(
        mails[0].subject(),
        "Herinnering: Stoeptegels Zeeweg herstellen"
    );
    let text = mails[0].text_body();
    assert!(
        text.contains("Wijkcoördinator Anna de Vries vraagt"),
        "{text}"
    );
    assert!(text.contains("De termijn was 1 oktober 2026; die is verstreken."));
    assert!(text.contains(&format!("http://wijkwerk.test/punten/{}", m.late)));
    // The outcome comes back into the point's history with the next sync.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        anna.sync(&server.url).unwrap();
        let history = history_of(&anna, m.late);
        if let Some(note) = history
            .iter()
            .find(|e| e.author.as_deref() == Some("Wijkwerk-server"))
        {
            assert_eq!(
                note.comment.as_deref(),
                Some("Herinnering gemaild aan Ans Bakker.")
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no outcome in {history:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A mail server that refuses: the history says why.
    sink.set_mode(SinkMode::RefuseRecipient);
    anna.store
        .request_reminder(m.later, Some("Anna de Vries"))
        .unwrap();
    anna.sync(&server.url).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        anna.sync(&server.url).unwrap();
        let history = history_of(&anna, m.later);
        if let Some(note) = history
            .iter()
            .find(|e| e.author.as_deref() == Some("Wijkwerk-server"))
        {
            let text = note.comment.clone().unwrap_or_default();
            assert!(
                text.starts_with("Herinnering niet verstuurd: Ans Bakker: De mailserver weigerde"),
                "{text}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no outcome in {history:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_server_sends_the_weekly_reminders_by_itself_once_a_week() {
    if std::env::var("WIJKWERK_TEST_POSTGRES").is_ok() {
        return; // The week is claimed once per database, and the tests share one PostgreSQL.
    }
    let sink = SmtpSink::start();
    // The municipality and Ans, made with a server that is stopped again (`..` drops it).
    let World {
        dir, db, tenant, m, ..
    } = World::new(Some(&sink));
    add_ans(&db, &tenant, &m);
    // Every day of the week is after Monday 07:00 but for Monday night: a server started now
    // sends this week's reminders at once (it missed the moment), and the next one does not.
    if before_this_weeks_reminders() {
        return;
    }
    let first = server_configured(dir.path(), &db, Some(&sink), true);
    let mails = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec![address("ans", &tenant)]);
    drop(first);
    let _second = server_configured(dir.path(), &db, Some(&sink), true);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(sink.messages().len(), 1, "once a week");
}

/// Monday night before 07:00 Dutch time: this week's reminders are not due yet, so the tests
/// that expect a server to send them at once have nothing to see.
fn before_this_weeks_reminders() -> bool {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap());
    now.weekday() == jiff::civil::Weekday::Monday && now.hour() < 7
}

#[test]
fn a_weekly_reminder_that_failed_is_sent_at_a_later_pass_and_only_once() {
    if std::env::var("WIJKWERK_TEST_POSTGRES").is_ok() {
        return; // The week is claimed once per database, and the tests share one PostgreSQL.
    }
    if before_this_weeks_reminders() {
        return;
    }
    let sink = SmtpSink::start_with(SinkMode::RefuseRecipient);
    // The municipality and Ans, made with a server that is stopped again (`..` drops it).
    let World {
        dir, db, tenant, m, ..
    } = World::new(Some(&sink));
    add_ans(&db, &tenant, &m);
    // The server tries at once (the week's moment has passed) and the mail server refuses.
    let _server = server_configured_with(
        dir.path(),
        &db,
        Some(&sink),
        true,
        &[("WIJKWERK_REMINDER_PASS_SECONDS", "1")],
    );
    let log = dir.path().join("server.log");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("reminder could not be sent")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no failed attempt logged"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(sink.messages().is_empty());
    // The mail server takes mail again: the next pass sends it, and later passes do not again.
    sink.set_mode(SinkMode::Accept);
    let mails = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec![address("ans", &tenant)]);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(sink.messages().len(), 1, "sent once");
}

#[test]
fn the_list_follows_what_coordinators_change_after_it_was_first_shown() {
    let World {
        dir: _dir,
        db,
        server,
        tenant,
        mut anna,
        m,
        ..
    } = World::new(None);
    add_ans(&db, &tenant, &m);
    department_user(
        &db,
        &tenant,
        "Vera Verkeer",
        m.traffic,
        &address("vera", &tenant),
    );
    let mut ans = Browser::new(&server.url);
    let list = ans.sign_in(&address("ans", &tenant), PASSWORD);
    assert!(list.shows("Stoeptegels") && list.shows("Bankje"));

    // The coordinator closes one point, gives the other to Verkeer, and adds a new one.
    anna.store
        .change_action_point_status(m.late, "done", None, None)
        .unwrap();
    let mut moved = Fields::new();
    moved.insert("owner_organisation_id".into(), json!(m.traffic.to_string()));
    anna.store
        .update(Entity::ActionPoint, m.later, moved)
        .unwrap();
    let new = anna
        .store
        .create(
            Entity::ActionPoint,
            fields(json!({"title": "Put in de Dorpsstraat", "owner_organisation_id": m.roads.to_string(),
                          "status": "open", "opened_on": "2026-12-01"})),
        )
        .unwrap();
    anna.sync(&server.url).unwrap();

    let list = ans.get("/");
    assert!(list.shows("Put in de Dorpsstraat"), "{}", list.body);
    assert!(
        !list.shows("Stoeptegels") && !list.shows("Bankje"),
        "{}",
        list.body
    );
    assert!(ans.get("/?afgesloten=1").shows("Stoeptegels"));
    assert_eq!(ans.get(&format!("/punten/{}", m.later)).status, 404);
    let mut vera = Browser::new(&server.url);
    assert!(vera
        .sign_in(&address("vera", &tenant), PASSWORD)
        .shows("Bankje"));
    // A deleted point leaves the list.
    anna.store.delete(Entity::ActionPoint, new).unwrap();
    anna.sync(&server.url).unwrap();
    assert!(!ans.get("/").shows("Put in de Dorpsstraat"));
}

#[test]
fn a_coordinators_change_made_while_the_colleagues_page_was_open_is_a_logged_conflict() {
    let World {
        dir: _dir,
        db,
        server,
        tenant,
        mut anna,
        m,
        ..
    } = World::new(None);
    add_ans(&db, &tenant, &m);
    let mut browser = Browser::new(&server.url);
    browser.sign_in(&address("ans", &tenant), PASSWORD);
    // Ans opens the point; meanwhile Anna sets it waiting and syncs.
    let page = browser.get(&format!("/punten/{}", m.late));
    anna.store
        .change_action_point_status(m.late, "waiting", None, Some("Anna"))
        .unwrap();
    anna.sync(&server.url).unwrap();
    // Ans answers from the page as she saw it (open): hers is the newer write, Anna's logged.
    let answered = browser.post(
        &format!("/punten/{}/status", m.late),
        &[
            ("csrf", &page.csrf()),
            ("status", "in_progress"),
            ("comment", "Opgepakt."),
            ("seen", &hidden(&page, "seen")),
            ("seen_status", &hidden(&page, "seen_status")),
        ],
    );
    assert_eq!(answered.status, 303, "{}", answered.body);
    anna.sync(&server.url).unwrap();
    assert_eq!(status_of(&anna, m.late), "in_progress");
    let conflicts = anna.store.conflicts(true, 50).unwrap();
    assert!(
        conflicts.iter().any(|c| c.record_id == m.late.to_string()
            && c.field == "status"
            && c.lost_value == json!("waiting")
            && c.won_value == json!("in_progress")),
        "{conflicts:#?}"
    );
    let answer = history_of(&anna, m.late)
        .into_iter()
        .find(|e| e.from_web)
        .unwrap();
    assert_eq!(
        answer.from_status.as_deref(),
        Some("open"),
        "the status Ans saw"
    );
}

/// The value of a hidden field of a page's form.
fn hidden(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {}", page.body));
    let rest = &page.body[at + marker.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[test]
fn access_ends_with_a_new_password_or_a_removal_and_coordinators_stay_coordinators() {
    let World {
        dir: _dir,
        db,
        server,
        tenant,
        m,
        ..
    } = World::new(None);
    let ans = address("ans", &tenant);
    department_user(&db, &tenant, "Ans Bakker", m.roads, &ans);
    let mut browser = Browser::new(&server.url);
    browser.sign_in(&ans, PASSWORD);
    assert_eq!(browser.get("/").status, 200);
    // A link in a mail to a point: after signing in, the point's page.
    let mut from_mail = Browser::new(&server.url);
    let point = format!("/punten/{}", m.late);
    let first = from_mail.get(&point);
    assert_eq!(
        first.location.as_deref(),
        Some(format!("/aanmelden?naar={point}").as_str())
    );
    let form = from_mail.get(first.location.as_deref().unwrap());
    let signed_in = from_mail.post(
        "/aanmelden",
        &[
            ("csrf", &form.csrf()),
            ("email", &ans),
            ("password", PASSWORD),
            ("naar", &point),
        ],
    );
    assert_eq!(signed_in.location.as_deref(), Some(point.as_str()));
    // A new password ends every session.
    department_user(&db, &tenant, "Ans Bakker", m.roads, &ans);
    assert_eq!(
        browser.get("/").status,
        303,
        "signed out by the new password"
    );
    assert_eq!(from_mail.get(&point).status, 303);
    // Removed: no more sign-in.
    browser.sign_in(&ans, PASSWORD);
    admin(
        &db,
        &[
            "user",
            "remove",
            "--tenant",
            &tenant,
            "--name",
            "Ans Bakker",
        ],
    );
    assert_eq!(browser.get("/").status, 303);
    let csrf = browser.get("/aanmelden").csrf();
    let refused = browser.post(
        "/aanmelden",
        &[("csrf", &csrf), ("email", &ans), ("password", PASSWORD)],
    );
    assert_eq!(refused.status, 401);
    // A department user needs an address; a coordinator's name is not taken over.
    let out = Command::new(SERVER)
        .args([
            "user",
            "add",
            "--tenant",
            &tenant,
            "--name",
            "Piet",
            "--department",
            &m.roads.to_string(),
            "--db",
            &db,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --email"));
    let out = Command::new(SERVER)
        .args([
            "user",
            "add",
            "--tenant",
            &tenant,
            "--name",
            "anna",
            "--department",
            &m.roads.to_string(),
            "--email",
            &address("anna", &tenant),
            "--db",
            &db,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a coordinator"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn without_a_mail_server_the_page_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let mut browser = Browser::new(&server.url);
    let page = browser.get("/aanmelden");
    assert!(page.shows("geen mailserver ingesteld"), "{}", page.body);
    let csrf = page.csrf();
    let asked = browser.post(
        "/aanmelden/link",
        &[("csrf", &csrf), ("email", "ans@gemeente.example")],
    );
    assert_eq!(asked.status, 503);
    assert!(asked.shows("geen mailserver ingesteld"));
}
