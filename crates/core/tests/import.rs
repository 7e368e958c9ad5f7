//! Contact lists brought in: the lists as Dutch Excel, Outlook, Google, vCard programs and
//! workbooks write them (fixtures in `fixtures/lists`, each named for what it shows), the
//! duplicates, one undo, and bad files that change nothing.

mod common;

use common::{add, village};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use wijkwerk_core::import::draft::ListKind;
use wijkwerk_core::import::duplicates::DuplicateReason;
use wijkwerk_core::import::mapping::Target;
use wijkwerk_core::import::{ListImportReport, ListImportRequest, ProblemCode, Resolution};
use wijkwerk_core::{Entity, Store};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/lists/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn request() -> ListImportRequest {
    ListImportRequest {
        today: Some("2026-12-07".parse().unwrap()),
        ..ListImportRequest::default()
    }
}

fn import(store: &mut Store, bytes: &[u8], request: &ListImportRequest) -> ListImportReport {
    store
        .import_list(bytes, request)
        .unwrap_or_else(|e| panic!("import: {e}"))
}

fn all(store: &Store, entity: Entity) -> Vec<Value> {
    store.list(entity, None, 10_000).unwrap().items
}

fn contact(store: &Store, name: &str) -> Value {
    all(store, Entity::Contact)
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no contact {name:?}"))
}

fn organisation(store: &Store, name: &str) -> Value {
    all(store, Entity::Organisation)
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no organisation {name:?}"))
}

/// The roles of a contact as (organisation name, kind, title, start date).
fn roles_of(store: &Store, contact: &Value) -> Vec<(String, String, Value, Value)> {
    let orgs = all(store, Entity::Organisation);
    all(store, Entity::Role)
        .into_iter()
        .filter(|r| r["contact_id"] == contact["id"])
        .map(|r| {
            let org = orgs
                .iter()
                .find(|o| o["id"] == r["organisation_id"])
                .map(|o| o["name"].as_str().unwrap().to_owned())
                .unwrap_or_default();
            (
                org,
                r["kind"].as_str().unwrap().to_owned(),
                r.get("title").cloned().unwrap_or(Value::Null),
                r["start_date"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_dutch_excel_list_in_windows_1252_keeps_its_diacritics_and_makes_board_roles() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let bytes = fixture("excel-nl-windows-1252.csv");

    let preview = store.import_preview(&bytes, &request()).unwrap();
    assert_eq!(preview.source.format, "csv");
    assert_eq!(preview.source.separator.as_deref(), Some(";"));
    assert_eq!(preview.source.encoding.as_deref(), Some("Windows-1252"));
    assert_eq!(preview.rows[0].fields["name"], "Jan de Vries");
    assert_eq!(preview.rows[0].fields["phone"], "06-12345678");
    assert_eq!(preview.rows[0].fields["postcode"], "1861 AB");
    assert_eq!(preview.rows[0].role.as_deref(), Some("chair"));
    assert_eq!(preview.rows[0].role_start.as_deref(), Some("2021-03-01"));
    assert!(
        !preview.rows[0].organisation_new,
        "Dorpsraad Groet is in the store"
    );
    assert!(
        preview.rows[2].organisation_new,
        "Wijkvereniging Zeewijk is not"
    );
    // Piet's address is no e-mail address: kept in the notes, with a warning naming the line.
    let warning = preview
        .warnings
        .iter()
        .find(|w| w.code == ProblemCode::InvalidEmail)
        .unwrap();
    assert_eq!(
        (warning.line, warning.column.as_deref()),
        (5, Some("E-mailadres"))
    );
    assert_eq!(preview.counts.new, 4);
    assert_eq!(preview.counts.organisations_new, 1);
    assert_eq!(preview.counts.roles_new, 3);
    assert_eq!(
        all(&store, Entity::Contact).len(),
        1,
        "a preview writes nothing"
    );

    let report = import(&mut store, &bytes, &request());
    assert_eq!(report.imported.len(), 4);
    let joelle = contact(&store, "Joëlle van der Meer");
    assert_eq!(joelle["city"], "IJsselstein");
    assert_eq!(joelle["phone"], "06-23456789");
    assert_eq!(
        roles_of(&store, &joelle),
        [(
            "Wijkvereniging Zeewijk".into(),
            "coordinator".into(),
            Value::Null,
            json!("2026-12-07")
        )],
        "a role without a start date starts on the day of the import"
    );
    assert_eq!(
        organisation(&store, "Wijkvereniging Zeewijk")["kind"],
        "wijkvereniging"
    );
    let jan = contact(&store, "Jan de Vries");
    assert_eq!(
        roles_of(&store, &jan),
        [(
            "Dorpsraad Groet".into(),
            "chair".into(),
            Value::Null,
            json!("2021-03-01")
        )]
    );
    assert_eq!(
        store
            .board(v.association, "2026-12-07".parse().unwrap())
            .unwrap()
            .current
            .len(),
        2,
        "the chair and the secretary sit on Dorpsraad Groet's board"
    );
    let piet = contact(&store, "Piet Smit");
    assert!(piet["notes"].as_str().unwrap().contains("piet@example"));
    assert!(piet["email"].is_null());
}

#[test]
fn a_utf8_excel_list_with_a_byte_order_mark_and_a_note_over_two_lines() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, &fixture("excel-nl-utf8-bom.csv"), &request());
    assert_eq!(report.source.encoding.as_deref(), Some("UTF-8 (met BOM)"));
    let karin = contact(&store, "Karin Jansen");
    assert_eq!(karin["city"], "Ĳsselstein");
    assert_eq!(karin["address"], "Dorpsstraat 12a");
    assert_eq!(karin["mobile"], "06-12345670");
    assert_eq!(karin["notes"], "Belt liever 's avonds;\r\nniet op vrijdag");
    // Theo's line starts on line 4: the note above holds a newline.
    assert_eq!(report.imported[1].line, 4);
}

#[test]
fn outlook_exports_in_dutch_and_english_map_themselves() {
    let mut store = Store::in_memory().unwrap();
    let nl = fixture("outlook-nl.csv");
    let preview = store.import_preview(&nl, &request()).unwrap();
    assert_eq!(preview.source.kind, "outlook");
    assert_eq!(preview.source.separator.as_deref(), Some(","));
    let target = |header: &str| {
        preview
            .columns
            .iter()
            .find(|c| c.header == header)
            .and_then(|c| c.target)
    };
    assert_eq!(target("E-mailadres"), Some(Target::Email));
    assert_eq!(target("E-mailtype"), None);
    assert_eq!(target("Mobiele telefoon"), Some(Target::Mobile));
    assert_eq!(target("Bedrijf"), Some(Target::Organisation));
    import(&mut store, &nl, &request());
    let gerda = contact(&store, "Gerda Kok");
    assert_eq!(gerda["email"], "gerda.kok@example.nl");
    assert_eq!(gerda["mobile"], "06-11223344");
    assert_eq!(gerda["address"], "Stationsweg 1");
    assert_eq!(gerda["postcode"], "1861 AA");
    assert_eq!(gerda["notes"], "Spreekuur op dinsdag");
    assert_eq!(
        roles_of(&store, &gerda)[0].1,
        "wijkagent",
        "Functie Wijkagent at the police"
    );
    assert_eq!(
        organisation(&store, "Politie Noord-Holland")["kind"],
        "police"
    );
    let rene = contact(&store, "René van Dijk");
    assert_eq!(rene["phone"], "072-5812345");
    assert_eq!(rene["city"], "Egmond aan Zee");

    let report = import(&mut store, &fixture("outlook-en.csv"), &request());
    assert_eq!(report.source.kind, "outlook");
    let bert = contact(&store, "Bert Visser");
    assert_eq!(bert["phone"], "072-5140000");
    assert_eq!(bert["mobile"], "06-87654320");
    assert_eq!(bert["postcode"], "1861 CH");
    assert_eq!(
        organisation(&store, "Woonstichting Kennemer Wonen")["kind"],
        "housing_corporation"
    );
    assert_eq!(roles_of(&store, &bert)[0].1, "department_contact");
}

#[test]
fn a_google_export_knows_a_mobile_number_by_its_label() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, &fixture("google.csv"), &request());
    assert_eq!(report.source.kind, "google");
    let sanne = contact(&store, "Sanne de Boer");
    assert_eq!(sanne["mobile"], "06-55566677");
    assert_eq!(sanne["phone"], "072-5811122");
    assert_eq!(sanne["address"], "Breelaan 4");
    assert_eq!(sanne["postcode"], "1861 GC");
    assert_eq!(roles_of(&store, &sanne)[0].1, "treasurer");
    assert_eq!(
        organisation(&store, "Wijkraad Bergen-Centrum")["kind"],
        "wijkraad"
    );
}

#[test]
fn vcards_2_1_3_0_and_4_0() {
    let mut store = Store::in_memory().unwrap();
    let report = import(&mut store, &fixture("contacts-2.1.vcf"), &request());
    assert_eq!(report.source.format, "vcard");
    let henk = contact(&store, "Henk Bos");
    assert_eq!(henk["email"], "henk.bos@example.nl");
    assert_eq!(henk["phone"], "072-5090909");
    assert_eq!(henk["mobile"], "06-33334444");
    assert_eq!(henk["postcode"], "1873 PA");
    assert_eq!(henk["city"], "Groet");
    assert_eq!(
        henk["address"], "Heereweg 1, achterom",
        "a street over two lines"
    );
    assert_eq!(henk["notes"], "Coördineert de paasactie");
    assert_eq!(roles_of(&store, &henk)[0].1, "treasurer");

    import(&mut store, &fixture("contacts-3.0.vcf"), &request());
    let marieke = contact(&store, "Marieke Hendriks");
    assert_eq!(marieke["email"], "marieke@example.nl");
    assert_eq!(marieke["mobile"], "06-98765432");
    assert_eq!(marieke["address"], "Laanweg 10");
    assert_eq!(
        marieke["notes"],
        "Heeft de sleutel van het dorpshuis, en de code van het alarm"
    );
    assert_eq!(contact(&store, "Ans Willems")["email"], "ans@example.nl");

    import(&mut store, &fixture("contacts-4.0.vcf"), &request());
    let ozlem = contact(&store, "Özlem Yılmaz");
    assert_eq!(ozlem["mobile"], "06-11223344");
    assert_eq!(ozlem["city"], "Bergen aan Zee");
    assert_eq!(roles_of(&store, &ozlem)[0].1, "board_member");
}

#[test]
fn a_workbook_reads_the_sheet_chosen_or_the_first_with_a_list() {
    for file in ["besturen.xlsx", "besturen.ods"] {
        let mut store = Store::in_memory().unwrap();
        let bytes = fixture(file);
        // The first sheet holds a sentence, not a list: one column, no name in it.
        let first = store.import_preview(
            &bytes,
            &ListImportRequest {
                sheet: Some("Toelichting".into()),
                ..request()
            },
        );
        assert!(first.is_err(), "{file}: {first:?}");
        let request = ListImportRequest {
            sheet: Some("Besturen".into()),
            ..request()
        };
        let preview = store.import_preview(&bytes, &request).unwrap();
        assert_eq!(preview.source.sheets, ["Toelichting", "Besturen"], "{file}");
        let report = import(&mut store, &bytes, &request);
        assert_eq!(report.imported.len(), 2, "{file}");
        let willem = contact(&store, "Willem Brouwer");
        assert_eq!(
            willem["phone"], "06-12345679",
            "{file}: the number cell lost its 0"
        );
        let roles = roles_of(&store, &willem);
        assert_eq!(
            (roles[0].0.as_str(), roles[0].1.as_str(), &roles[0].3),
            ("Dorpsraad Camperduin", "chair", &json!("2020-01-15")),
            "{file}"
        );
        assert_eq!(
            organisation(&store, "Dorpsraad Camperduin")["kind"],
            "dorpsraad"
        );
    }
}

const PEOPLE: &str = "Naam;E-mailadres;Telefoon;Postcode;Woonplaats\r\n";

#[test]
fn duplicates_in_the_store_and_in_the_list_are_found_and_resolved_per_line() {
    let mut store = Store::in_memory().unwrap();
    let jan = add(
        &mut store,
        Entity::Contact,
        json!({"name": "Jan de Vries", "email": "jan@example.nl", "postcode": "1861 AB"}),
    );
    add(
        &mut store,
        Entity::Contact,
        json!({"name": "Anneke Bakker", "phone": "06-12345678"}),
    );
    add(
        &mut store,
        Entity::Contact,
        json!({"name": "Kees Mol", "postcode": "1871 AA"}),
    );
    let list = format!(
        "{PEOPLE}\
         Jan de Vries;JAN@example.nl;072-5123456;;\r\n\
         A. Bakker;;+31 6 1234 5678;;Groet\r\n\
         Kees Mol;;;1871aa;Schoorl\r\n\
         J. de Vries;;;;Bergen\r\n\
         Truus Kramer;truus@example.nl;;;\r\n\
         Truus Kramer;;0031 6 9999 8888;;Egmond\r\n"
    );
    let preview = store.import_preview(list.as_bytes(), &request()).unwrap();
    let reasons: Vec<(usize, DuplicateReason, Option<usize>)> = preview
        .duplicates
        .iter()
        .map(|d| (d.line, d.reason, d.existing.line))
        .collect();
    assert_eq!(
        reasons,
        [
            (2, DuplicateReason::SameEmail, None),
            (3, DuplicateReason::SamePhone, None),
            (4, DuplicateReason::SameNameAndPostcode, None),
            (5, DuplicateReason::NearName, None),
            (7, DuplicateReason::NearName, Some(6)),
        ]
    );
    assert_eq!(preview.duplicates[0].existing.id, Some(jan.to_string()));
    assert_eq!(preview.duplicates[0].fills["phone"], "072-5123456");
    assert_eq!(preview.counts.skipped, 5, "skipped unless told otherwise");

    // Merge Jan and the second Truus, add Anneke anyway, skip the rest.
    let mut resolutions = BTreeMap::new();
    resolutions.insert(2, Resolution::Merge);
    resolutions.insert(3, Resolution::Add);
    resolutions.insert(7, Resolution::Merge);
    let report = import(
        &mut store,
        list.as_bytes(),
        &ListImportRequest {
            resolutions,
            ..request()
        },
    );
    assert_eq!(report.imported.len(), 2, "the second Anneke and Truus");
    assert_eq!(report.merged.len(), 2);
    assert_eq!(report.skipped.len(), 2, "Kees and J. de Vries");
    let jan_now = store.get_live(Entity::Contact, jan).unwrap();
    assert_eq!(jan_now["email"], "jan@example.nl", "what is there is kept");
    assert_eq!(jan_now["phone"], "072-5123456", "the empty field is filled");
    let truus = contact(&store, "Truus Kramer");
    assert_eq!(truus["email"], "truus@example.nl");
    assert_eq!(truus["phone"], "06-99998888");
    assert_eq!(truus["city"], "Egmond");
    assert_eq!(
        all(&store, Entity::Contact)
            .iter()
            .filter(|c| c["name"] == "Truus Kramer")
            .count(),
        1
    );
}

#[test]
fn one_import_is_one_write_and_one_undo_takes_it_all_back() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let before_contacts = all(&store, Entity::Contact);
    let before_orgs = all(&store, Entity::Organisation);
    let outbox = store.outbox_len().unwrap();
    let list = "Naam;E-mailadres;Telefoon;Organisatie;Functie\r\n\
                Joke de Coöperatie;;06-11112222;Dorpsraad Groet;Penningmeester\r\n\
                Lies Vos;lies@example.nl;;Buurtvereniging Noord;Voorzitter\r\n";
    let report = import(
        &mut store,
        list.as_bytes(),
        &ListImportRequest {
            duplicates: Resolution::Merge,
            ..request()
        },
    );
    assert_eq!(store.outbox_len().unwrap(), outbox + 1, "one transaction");
    assert_eq!((report.imported.len(), report.merged.len()), (1, 1));
    assert_eq!(report.roles_created, 2);
    let joke = store.get_live(Entity::Contact, v.contact).unwrap();
    assert_eq!(joke["phone"], "06-11112222");
    let batches = store.import_batches().unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].id, report.batch_id.clone().unwrap());
    assert_eq!(batches[0].imported, 1);

    // Someone changes Joke's number by hand after the import, before the undo: kept.
    let undo = store
        .import_undo(report.batch_id.as_deref().unwrap())
        .unwrap();
    assert_eq!(undo.deleted, 4, "Lies, the new association, two roles");
    assert_eq!(undo.cleared, 1);
    assert_eq!(all(&store, Entity::Contact), before_contacts);
    assert_eq!(all(&store, Entity::Organisation), before_orgs);
    assert!(all(&store, Entity::Role).is_empty());
    assert_eq!(
        store.outbox_len().unwrap(),
        outbox + 2,
        "the undo is one write too"
    );
    assert!(store.import_batches().unwrap()[0].undone_at.is_some());
    let again = store.import_undo(report.batch_id.as_deref().unwrap());
    assert!(again.is_err(), "undone once");
}

#[test]
fn an_undo_keeps_what_was_changed_by_hand_since() {
    let mut store = Store::in_memory().unwrap();
    let anna = add(&mut store, Entity::Contact, json!({"name": "Anna Prins"}));
    let report = import(
        &mut store,
        "Naam;Telefoon;Woonplaats\r\nAnna Prins;0612345678;Bergen\r\n".as_bytes(),
        &ListImportRequest {
            duplicates: Resolution::Merge,
            ..request()
        },
    );
    store
        .update(
            Entity::Contact,
            anna,
            common::fields(json!({"city": "Schoorl"})),
        )
        .unwrap();
    let undo = store
        .import_undo(report.batch_id.as_deref().unwrap())
        .unwrap();
    assert_eq!((undo.cleared, undo.kept_changed), (1, 1));
    let anna = store.get_live(Entity::Contact, anna).unwrap();
    assert!(anna["phone"].is_null());
    assert_eq!(anna["city"], "Schoorl");
}

#[test]
fn refused_lines_are_named_with_their_line_and_the_rest_is_imported() {
    let mut store = Store::in_memory().unwrap();
    let list = "Naam;E-mailadres;Organisatie;Functie;Sinds\r\n\
                Ria Dekker;ria@example.nl;Dorpsraad Groet;Voorzitter;31-02-2024\r\n\
                ;;;;\r\n\
                ;los@example.nl;;;\r\n\
                Bas Prins;bas@example.nl;;;;extra\r\n\
                Eva Wit;eva@example.nl\r\n\
                Mo Ali;mo@example.nl;Dorpsraad Groet;Secretaris;1-1-24\r\n";
    let report = import(&mut store, list.as_bytes(), &request());
    let refused: Vec<(usize, ProblemCode)> =
        report.refused.iter().map(|p| (p.line, p.code)).collect();
    assert_eq!(
        refused,
        [
            (2, ProblemCode::InvalidDate),
            (4, ProblemCode::NoName),
            (5, ProblemCode::FieldCount),
            (7, ProblemCode::InvalidDate),
        ]
    );
    assert_eq!(report.refused[0].column.as_deref(), Some("Sinds"));
    assert!(
        report.refused[0].reason.contains("not a day"),
        "{:?}",
        report.refused[0]
    );
    assert!(report.refused[3].reason.contains("two digits"));
    assert_eq!(
        report.imported.len(),
        1,
        "Eva, whose short line is a warning"
    );
    assert!(report
        .warnings
        .iter()
        .any(|w| w.line == 6 && w.code == ProblemCode::FieldCount));
    assert!(
        all(&store, Entity::Organisation).is_empty(),
        "nobody of the refused lines"
    );
}

#[test]
fn a_file_that_cannot_be_a_list_is_refused_and_the_store_stays_as_it_was() {
    let mut store = Store::in_memory().unwrap();
    village(&mut store);
    let before = store.export_json().unwrap();
    let outbox = store.outbox_len().unwrap();
    let cases: [(&str, &[u8], &str); 7] = [
        ("empty", b"", "list_empty"),
        ("only spaces", b" \r\n ", "list_empty"),
        (
            "a header without rows",
            b"Naam;E-mailadres\r\n",
            "import_no_rows",
        ),
        (
            "no known column",
            b"Kleur;Gewicht\r\nrood;3\r\n",
            "import_no_known_column",
        ),
        (
            "a PNG that says it is a CSV",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "list_binary",
        ),
        (
            "a zip that is no workbook",
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
            "list_workbook",
        ),
        (
            "bytes in no known encoding",
            b"Naam;Plaats\r\nJan;Gr\x81et\r\n",
            "list_unknown_encoding",
        ),
    ];
    for (what, bytes, code) in cases {
        let err = store.import_list(bytes, &request()).unwrap_err();
        assert_eq!(err.code(), code, "{what}: {err}");
    }
    let err = store
        .import_list(b"Naam;Plaats\r\nJan;Gr\x81et\r\n", &request())
        .unwrap_err();
    assert_eq!(err.line(), Some(2), "the line is named");
    let err = store
        .import_list(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jan\r\n", &request())
        .unwrap_err();
    assert_eq!((err.code(), err.line()), ("list_malformed", Some(1)));
    assert_eq!(store.export_json().unwrap(), before);
    assert_eq!(store.outbox_len().unwrap(), outbox);
}

#[test]
fn a_mapping_chosen_is_remembered_for_the_next_list_of_that_kind() {
    let mut store = Store::in_memory().unwrap();
    let list = "Lid;Mail;Plaats\r\nJan de Vries;jan@example.nl;Bergen\r\n";
    assert!(
        store.import_preview(list.as_bytes(), &request()).is_err(),
        "'Lid' says nothing"
    );
    let mut mapping = BTreeMap::new();
    mapping.insert("Lid".to_owned(), Some(Target::Name));
    mapping.insert("Mail".to_owned(), Some(Target::Email));
    mapping.insert("Plaats".to_owned(), None);
    import(
        &mut store,
        list.as_bytes(),
        &ListImportRequest {
            mapping: Some(mapping),
            ..request()
        },
    );
    let next = "Lid;Mail;Plaats\r\nPiet Smit;piet@example.nl;Groet\r\n";
    let preview = store.import_preview(next.as_bytes(), &request()).unwrap();
    assert!(preview.source.mapping_remembered);
    assert_eq!(preview.rows[0].fields["name"], "Piet Smit");
    assert!(
        preview.rows[0].fields.get("city").is_none(),
        "Plaats stays out"
    );
    // A mapping naming a column the list does not have is refused.
    let mut wrong = BTreeMap::new();
    wrong.insert("Voornaam".to_owned(), Some(Target::FirstName));
    let err = store
        .import_preview(
            next.as_bytes(),
            &ListImportRequest {
                mapping: Some(wrong),
                ..request()
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), "import_unknown_column");
}

#[test]
fn a_list_of_organisations_with_their_kern() {
    let mut store = Store::in_memory().unwrap();
    let v = village(&mut store);
    let list = "Organisatie;Soort;Kern;E-mailadres;Telefoon;Website\r\n\
                Dorpsraad Groet;Dorpsraad;Groet;info@dorpsraadgroet.nl;;\r\n\
                Buurtvereniging De Zeeweg;Wijkvereniging;Groet;;072 509 1111;https://dezeeweg.nl\r\n\
                Tennisclub;Sportclub;Atlantis;;;\r\n";
    let preview = store.import_preview(list.as_bytes(), &request()).unwrap();
    assert_eq!(preview.list_kind, ListKind::Organisations);
    assert_eq!(preview.duplicates[0].reason, DuplicateReason::SameName);
    let report = import(
        &mut store,
        list.as_bytes(),
        &ListImportRequest {
            duplicates: Resolution::Merge,
            ..request()
        },
    );
    assert_eq!((report.imported.len(), report.merged.len()), (2, 1));
    assert_eq!(
        organisation(&store, "Dorpsraad Groet")["email"],
        "info@dorpsraadgroet.nl"
    );
    let zeeweg = organisation(&store, "Buurtvereniging De Zeeweg");
    assert_eq!(zeeweg["kind"], "wijkvereniging");
    assert_eq!(zeeweg["phone"], "072-5091111");
    assert_eq!(zeeweg["area_ids"], json!([v.kern]));
    let tennis = organisation(&store, "Tennisclub");
    assert_eq!(tennis["kind"], "other_partner");
    let codes: Vec<ProblemCode> = report.warnings.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        [
            ProblemCode::UnknownOrganisationKind,
            ProblemCode::UnknownArea
        ]
    );
}

#[test]
fn importing_the_same_list_twice_adds_nobody_the_second_time() {
    let mut store = Store::in_memory().unwrap();
    let bytes = fixture("excel-nl-windows-1252.csv");
    import(&mut store, &bytes, &request());
    let people = all(&store, Entity::Contact).len();
    let roles = all(&store, Entity::Role).len();
    let again = import(
        &mut store,
        &bytes,
        &ListImportRequest {
            duplicates: Resolution::Merge,
            ..request()
        },
    );
    assert!(again.imported.is_empty());
    assert_eq!(again.merged.len(), 4);
    assert_eq!(all(&store, Entity::Contact).len(), people);
    assert_eq!(
        all(&store, Entity::Role).len(),
        roles,
        "roles held are not doubled"
    );
}

#[test]
fn a_preview_after_the_store_changed_sees_the_change() {
    // The store's people are kept between previews of one list; a change in between (here, or
    // by another program on the same file) must be seen by the next preview.
    let mut store = Store::in_memory().unwrap();
    let list = format!("{PEOPLE}Greet Hoekstra;greet@example.nl;;;\r\n");
    let first = store.import_preview(list.as_bytes(), &request()).unwrap();
    assert_eq!(first.counts.new, 1);
    assert!(first.duplicates.is_empty());

    let greet = add(
        &mut store,
        Entity::Contact,
        json!({"name": "Greet Hoekstra", "email": "greet@example.nl", "city": "Groet"}),
    );
    let again = store.import_preview(list.as_bytes(), &request()).unwrap();
    assert_eq!(again.counts.new, 0);
    assert_eq!(again.duplicates.len(), 1);
    assert_eq!(again.duplicates[0].reason, DuplicateReason::SameEmail);
    assert_eq!(again.duplicates[0].existing.id, Some(greet.to_string()));
    // The stored one's every field is known for the merge, not only those people are found by.
    assert_eq!(again.duplicates[0].existing.fields["city"], "Groet");
}

#[test]
fn a_list_with_columns_nobody_knows_shows_its_columns_to_be_chosen() {
    // Headers of a coordinator's own making: nothing known, so the app's preview shows the
    // columns with their samples to be chosen; the import itself still refuses, and once a
    // column is chosen the preview is a real one.
    let mut store = Store::in_memory().unwrap();
    let list = "Wie;Hoe;Waar\r\nGreet Hoekstra;greet@example.nl;Groet\r\n";
    let app = ListImportRequest {
        columns_first: true,
        ..request()
    };
    let preview = store.import_preview(list.as_bytes(), &app).unwrap();
    assert_eq!(
        preview.columns_needed.as_deref(),
        Some("import_no_known_column")
    );
    assert_eq!(preview.rows_in_list, 1);
    assert!(preview.rows.is_empty());
    assert_eq!(preview.columns[0].header, "Wie");
    assert_eq!(preview.columns[0].samples, ["Greet Hoekstra"]);
    assert!(store.import_list(list.as_bytes(), &app).is_err());
    assert!(all(&store, Entity::Contact).is_empty());

    let chosen = ListImportRequest {
        mapping: Some(
            [
                ("Wie".to_owned(), Some(Target::Name)),
                ("Hoe".to_owned(), Some(Target::Email)),
                ("Waar".to_owned(), None),
            ]
            .into_iter()
            .collect(),
        ),
        ..app
    };
    let preview = store.import_preview(list.as_bytes(), &chosen).unwrap();
    assert_eq!(preview.columns_needed, None);
    assert_eq!(preview.counts.new, 1);
    import(&mut store, list.as_bytes(), &chosen);
    assert_eq!(
        contact(&store, "Greet Hoekstra")["email"],
        "greet@example.nl"
    );
}
