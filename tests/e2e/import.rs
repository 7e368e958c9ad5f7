//! A coordinator's own list in the real app: a member list as Dutch Excel saves it (semicolons,
//! Windows-1252) imported on Contacten, shown first (source, counts, the person already there),
//! that person merged rather than added, the new person stored in the normal forms, and the whole
//! import taken back with "Ongedaan maken".

use super::{app_binary, check_accessibility, screenshot_folder, WAIT};
use crate::webdriver::Driver;
use serde_json::{json, Value};
use std::time::Duration;
use wijkwerk_core::{Entity, Store};

/// A contact of the store with `name`, if it is there (and not deleted).
fn contact_named(store: &Store, name: &str) -> Option<Value> {
    store
        .list(Entity::Contact, None, 100_000)
        .expect("the contacts")
        .items
        .into_iter()
        .find(|c| c["name"] == json!(name) && c["deleted"] != json!(true))
}

#[test]
#[ignore = "needs the release app (WIJKWERK_APP), tauri-driver and xvfb-run: run by scripts/test"]
fn importing_a_list_in_the_real_app() {
    let app = app_binary();
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let data = scratch.path().join("data");
    let shots = screenshot_folder(scratch.path());
    let mut violations = Vec::new();

    let driver = Driver::start(&data);
    let window = driver.session(&app);
    window.wait_for_text("h1", "Vandaag", Duration::from_secs(60));

    // Someone of the demo with an e-mail address is on the list again, with a mobile number.
    let known = window.invoke(
        "contact_list",
        json!({"query": {"offset": 0, "limit": 200}}),
    );
    let known = known["answer"]["items"]
        .as_array()
        .expect("the demo's contacts")
        .iter()
        .find(|c| c["email"].is_string())
        .cloned()
        .expect("a demo contact with an e-mail address");
    let known_name = known["name"].as_str().unwrap_or_default().to_owned();
    let known_id = known["id"].as_str().unwrap_or_default().to_owned();
    let known_email = known["email"].as_str().unwrap_or_default().to_owned();

    // As Excel saves "CSV (gescheiden door lijstscheidingsteken)" on a Dutch Windows.
    let text = format!(
        "Naam;E-mailadres;Mobiel;Telefoon;Organisatie;Functie\r\n\
         Joëlle Bakker-Çelik;joelle@example.nl;;(072) 512 34 56;Buurtvereniging Import;Penningmeester\r\n\
         {known_name};{known_email};06 9876 5432;;;\r\n\
         ;zonder-naam@example.nl;;;;\r\n"
    );
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable, "the fixture is Windows-1252");
    let list = scratch.path().join("ledenlijst.csv");
    std::fs::write(&list, &bytes).expect("the list");

    window.go("#/contacten");
    window.wait_for("[data-testid=list-import]", WAIT);
    window.click("[data-testid=list-import]");
    window.choose_file("[data-testid=list-import-file]", &list);
    window.wait_for_text_containing(
        "[data-testid=list-import-source]",
        "ledenlijst.csv: CSV, scheidingsteken “;”, tekenset Windows-1252",
        WAIT,
    );
    window.wait_for_text_containing(
        "[data-testid=list-import-counts]",
        "3 regels: 1 nieuw, 0 samengevoegd, 1 overgeslagen, 1 geweigerd",
        WAIT,
    );
    window.wait_for_text_containing(
        "[data-testid=list-import-refused]",
        "Regel 4: geen naam",
        WAIT,
    );
    window.wait_for_text_containing(
        "[data-testid=list-import-duplicate-3]",
        &format!("lijkt op {known_name} (zelfde e-mailadres)"),
        WAIT,
    );
    check_accessibility(&window, "Contacten importeren", &mut violations);
    window.screenshot(&shots.join("importeren.png"));

    // The one already there is merged: the mobile number is added to the known contact.
    window.select("[data-testid=list-import-resolution-3]", "merge");
    window.wait_for_text_containing(
        "[data-testid=list-import-counts]",
        "1 nieuw, 1 samengevoegd, 0 overgeslagen, 1 geweigerd",
        WAIT,
    );
    window.wait_for_text_containing("[data-testid=list-import-go]", "Importeren (2)", WAIT);
    window.click("[data-testid=list-import-go]");
    window.wait_for_text_containing(
        "[data-testid=list-import-report]",
        "ledenlijst.csv: 1 nieuw, 1 samengevoegd, 0 overgeslagen, 1 geweigerd.",
        WAIT,
    );
    window.click("[data-testid=list-import-dialog] .dialog-close");
    window.type_into("[data-testid=contact-search]", "Joëlle");
    // The list loads again after the import (its rows are read as the page shows them: WebDriver's
    // element text leaves out the virtual list's positioned rows).
    let deadline = std::time::Instant::now() + WAIT;
    while !window
        .script(
            "return (document.querySelector('[data-testid=contact-list]')?.textContent ?? '')
               .includes(arguments[0]);",
            json!(["Joëlle Bakker-Çelik"]),
        )
        .as_bool()
        .unwrap_or(false)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "Joëlle is not in the contact list: {}",
            window.page_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // What the app stored, asked of the app (the store is the app's while it runs).
    let found = window.invoke(
        "contact_list",
        json!({"query": {"text": "Joëlle", "offset": 0, "limit": 5}}),
    );
    let joelle_id = found["answer"]["items"][0]["id"]
        .as_str()
        .expect("Joëlle found")
        .to_owned();
    let joelle = window.invoke("get_record", json!({"entity": "contact", "id": joelle_id}));
    let joelle = &joelle["answer"];
    assert_eq!(joelle["name"], json!("Joëlle Bakker-Çelik"));
    assert_eq!(joelle["phone"], json!("072-5123456"), "{joelle}");
    assert_eq!(joelle["email"], json!("joelle@example.nl"));
    let merged = window.invoke("get_record", json!({"entity": "contact", "id": known_id}));
    let merged = &merged["answer"];
    assert_eq!(merged["mobile"], json!("06-98765432"), "{merged}");
    assert_eq!(merged["email"], json!(known_email));

    // Taken back as a whole, from the earlier imports.
    window.click("[data-testid=list-import]");
    window.wait_for_text_containing(
        "[data-testid=list-import-history]",
        "ledenlijst.csv (1 nieuw, 1 samengevoegd)",
        WAIT,
    );
    window.click("[data-testid=list-import-history-undo]");
    window.wait_for_text_containing(
        "[data-testid=list-import-history]",
        "ongedaan gemaakt",
        WAIT,
    );
    window.quit();
    driver.stop();

    // After the undo, read by the core once the app has let the store go.
    let store = Store::open_when_free(&data, Duration::from_secs(15)).expect("the app's store");
    assert!(contact_named(&store, "Joëlle Bakker-Çelik").is_none());
    let merged = contact_named(&store, &known_name).expect("the known contact stays");
    assert!(
        merged["mobile"].is_null(),
        "the merged mobile number stays after the undo: {merged}"
    );
    assert!(
        !store
            .list(Entity::Organisation, None, 100_000)
            .expect("the organisations")
            .items
            .iter()
            .any(|o| o["name"] == json!("Buurtvereniging Import")),
        "the organisation the import made stays after the undo"
    );
    assert!(
        violations.is_empty(),
        "serious or critical accessibility violations:\n{}",
        violations.join("\n")
    );
    println!(
        "e2e: a Dutch Excel list (Windows-1252) imported on Contacten: 1 new, {known_name} merged \
         by e-mail, a line without a name refused, then undone as a whole"
    );
}
