//! The department colleagues' web pages in a real browser: Debian's Chromium, headless, over
//! WebDriver (chromedriver), against the real server over HTTPS. A colleague signs in, answers
//! an action point, and the coordinator's laptop gets the answer on its next sync; a second
//! laptop's concurrent offline edit of the same status ends as a logged conflict on both. Every
//! page is checked with axe-core (no serious or critical violation) and for refusals of its
//! Content Security Policy in the browser's console.

use crate::accessibility;
use crate::sync_server::{Laptop, SyncServer};
use crate::webdriver::{Driver, Session};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;
use wijkwerk_core::{Entity, Fields};

const WAIT: Duration = Duration::from_secs(20);
const PASSWORD: &str = "een lange zin als wachtwoord";

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

/// Two departments and their action points, made on a coordinator's laptop.
fn departments(laptop: &mut Laptop) -> (Uuid, Uuid, Uuid) {
    let s = &mut laptop.store;
    let area = s
        .create(
            Entity::Area,
            fields(json!({"name": "Schoorl", "kind": "municipality"})),
        )
        .expect("an area");
    let roads = s
        .create(
            Entity::Organisation,
            fields(json!({"name": "Beheer Openbare Ruimte", "kind": "department"})),
        )
        .expect("a department");
    let traffic = s
        .create(
            Entity::Organisation,
            fields(json!({"name": "Verkeer", "kind": "department"})),
        )
        .expect("a department");
    let association = s
        .create(
            Entity::Organisation,
            fields(json!({"name": "Dorpsraad Schoorl", "kind": "dorpsraad"})),
        )
        .expect("an association");
    let point = |s: &mut wijkwerk_core::Store, title: &str, owner: Uuid, due: &str| {
        s.create(
            Entity::ActionPoint,
            fields(json!({
                "title": title, "area_id": area.to_string(),
                "requester_organisation_id": association.to_string(),
                "owner_organisation_id": owner.to_string(),
                "due_date": due, "status": "open", "opened_on": "2026-09-01",
                "description": "Gevraagd op de ledenvergadering van september.",
            })),
        )
        .expect("an action point")
    };
    let late = point(s, "Lantaarnpaal Duinweg vervangen", roads, "2026-10-15");
    point(s, "Grasveld bij de school maaien", roads, "2027-05-01");
    point(s, "Snelheid Heereweg meten", traffic, "2026-12-01");
    (roads, traffic, late)
}

/// The address Ans Bakker signs in with.
const ANS: &str = "ans.bakker@bergen.example";

/// Ans Bakker, a colleague of `department` in the tenant Bergen, with the test's password.
fn add_ans(server: &SyncServer, department: Uuid) {
    let department = department.to_string();
    server.admin(&[
        "user",
        "add",
        "--tenant",
        "Bergen",
        "--name",
        "Ans Bakker",
        "--department",
        &department,
        "--email",
        ANS,
    ]);
    server.admin_with_input(
        &[
            "user",
            "password",
            "--tenant",
            "Bergen",
            "--name",
            "Ans Bakker",
        ],
        &format!("{PASSWORD}\n"),
    );
}

fn no_violations(window: &Session<'_>, page: &str) {
    let found = accessibility::violations(window, page);
    assert!(found.is_empty(), "axe on {page}:\n{}", found.join("\n"));
    let refused: Vec<String> = window
        .console()
        .into_iter()
        .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
        .collect();
    assert!(
        refused.is_empty(),
        "the page's policy refused: {refused:#?}"
    );
}

pub fn department_pages_in_chromium() {
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let server = SyncServer::start(&scratch.path().join("server"));
    let mut anna = server.laptop(&scratch.path().join("anna"), "anna");
    let (roads, _traffic, late) = departments(&mut anna);
    anna.sync();
    let mut bert = server.laptop(&scratch.path().join("bert"), "bert");
    bert.sync();
    add_ans(&server, roads);
    // Bert, offline, sets the status before the colleague answers on the web.
    bert.store
        .change_action_point_status(
            late,
            "waiting",
            Some("Wacht op de netbeheerder"),
            Some("Bert"),
        )
        .expect("Bert's offline edit");

    let driver = Driver::chromium();
    let window = driver.browser();
    window.open(&format!("{}/", server.url));
    window.wait_for("#wachtwoord", WAIT);
    assert_eq!(
        window.script("return document.documentElement.lang;", json!([])),
        json!("nl")
    );
    no_violations(&window, "aanmelden");
    // A wrong password first: refused, said in Dutch, the address kept.
    window.type_into("#email", ANS);
    window.type_into("#wachtwoord", "verkeerd wachtwoord");
    window.click("form[action='/aanmelden'] button");
    window.wait_for_text_containing(".notice", "horen niet bij elkaar", WAIT);
    no_violations(&window, "aanmelden (geweigerd)");
    window.type_into("#wachtwoord", PASSWORD);
    window.click("form[action='/aanmelden'] button");
    window.wait_for_text_containing("h1", "Actiepunten van uw afdeling", WAIT);
    let list = window.page_text();
    assert!(
        list.contains("Lantaarnpaal Duinweg vervangen") && list.contains("te laat"),
        "{list}"
    );
    assert!(
        !list.contains("Snelheid Heereweg"),
        "another department's point: {list}"
    );
    no_violations(&window, "lijst");
    // The session cookie is not for scripts.
    assert_eq!(
        window.script("return document.cookie;", json!([])),
        json!("")
    );

    window.click("table a");
    window.wait_for_text("h1", "Lantaarnpaal Duinweg vervangen", WAIT);
    no_violations(&window, "actiepunt");
    window.select("#status", "in_progress");
    window.type_into(
        "#status-opmerking",
        "Nieuwe paal besteld, plaatsing in januari.",
    );
    window.click("form[action$='/status'] button");
    window.wait_for_text_containing(".notice", "De status is opgeslagen", WAIT);
    assert!(window.page_text().contains("via de webpagina"));
    no_violations(&window, "actiepunt (beantwoord)");
    // A due date in the past is stopped by the browser itself (the field's minimum is today).
    window.set_value("#termijn", "2020-01-01");
    assert_eq!(
        window.script(
            "return document.querySelector('#termijn').validity.rangeUnderflow;",
            json!([])
        ),
        json!(true)
    );
    // One more than five years ahead gets through the browser: the server refuses it, says why
    // on the page, keeps the reason typed, and changes nothing.
    window.set_value("#termijn", "2035-01-01");
    window.type_into("#reden", "Levertijd van de masten");
    window.click("form[action$='/termijn'] button");
    window.wait_for_text_containing(".notice", "meer dan vijf jaar vooruit", WAIT);
    assert_eq!(
        window.script("return document.querySelector('#reden').value;", json!([])),
        json!("Levertijd van de masten")
    );
    no_violations(&window, "actiepunt (geweigerd)");

    // The coordinators' next syncs: the web's answer (newer) wins; Bert's edit is logged.
    bert.sync();
    anna.sync();
    for (who, laptop) in [("Anna", &anna), ("Bert", &bert)] {
        let point = laptop
            .store
            .get(Entity::ActionPoint, late)
            .expect("the point");
        assert_eq!(point["status"], json!("in_progress"), "{who}");
        let history = laptop.store.action_point_history(late).expect("history");
        let answer = history
            .iter()
            .find(|e| e.from_web)
            .unwrap_or_else(|| panic!("{who}: no answer from the web in {history:#?}"));
        assert_eq!(answer.author.as_deref(), Some("Ans Bakker"));
        assert_eq!(
            answer.comment.as_deref(),
            Some("Nieuwe paal besteld, plaatsing in januari.")
        );
        let conflicts = laptop.store.conflicts(true, 50).expect("conflicts");
        assert!(
            conflicts.iter().any(|c| c.record_id == late.to_string()
                && c.field == "status"
                && c.lost_value == json!("waiting")
                && c.won_value == json!("in_progress")),
            "{who}: the concurrent edit is a logged conflict: {conflicts:#?}"
        );
    }
    assert_eq!(
        anna.store.unseen_web_answers(10).expect("answers").unseen,
        1
    );

    // Signing out ends the session.
    window.click("form[action='/afmelden'] button");
    window.wait_for_text_containing(".notice", "U bent afgemeld", WAIT);
    window.open(&format!("{}/punten/{late}", server.url));
    window.wait_for("#wachtwoord", WAIT);
}

/// A colleague of `department` (by name, in the tenant Bergen) answers an open point of theirs
/// on the server's web page, in Chromium: sets it in progress with `comment`. The point's id.
pub fn answer_on_the_web(
    server: &SyncServer,
    store: &wijkwerk_core::Store,
    department: &str,
    comment: &str,
) -> Uuid {
    let id = |v: &Value| v["id"].as_str().and_then(|s| Uuid::parse_str(s).ok());
    let organisations = store
        .list(Entity::Organisation, None, 1000)
        .expect("organisations")
        .items;
    let owner = organisations
        .iter()
        .find(|o| o["name"] == json!(department))
        .and_then(id)
        .unwrap_or_else(|| panic!("no department {department:?}"));
    let points = store
        .list(Entity::ActionPoint, None, 1000)
        .expect("action points")
        .items;
    let point = points
        .iter()
        .find(|p| {
            p["owner_organisation_id"] == json!(owner.to_string()) && p["status"] == json!("open")
        })
        .and_then(id)
        .unwrap_or_else(|| panic!("no open point of {department:?}"));
    add_ans(server, owner);
    let driver = Driver::chromium();
    let window = driver.browser();
    window.open(&format!("{}/punten/{point}", server.url));
    window.wait_for("#wachtwoord", WAIT);
    window.type_into("#email", ANS);
    window.type_into("#wachtwoord", PASSWORD);
    window.click("form[action='/aanmelden'] button");
    // Signed in from the point's address, the colleague is back on the point's page.
    window.wait_for("#status", WAIT);
    window.select("#status", "in_progress");
    window.type_into("#status-opmerking", comment);
    window.click("form[action$='/status'] button");
    window.wait_for_text_containing(".notice", "De status is opgeslagen", WAIT);
    point
}
