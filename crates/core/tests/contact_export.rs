//! Contacts, boards and organisations going out: what each scope holds, in which order, in which
//! columns, and that what went out reads back in (through the importer's own reader).

mod common;

use common::add;
use jiff::civil::{date, Date};
use serde_json::json;
use uuid::Uuid;
use wijkwerk_core::browse::ContactQuery;
use wijkwerk_core::contact_export::{
    ExportScope, ListFormat, CONTACT_COLUMNS, ORGANISATION_COLUMNS, ROLE_COLUMNS,
};
use wijkwerk_core::{Entity, Store};
use wijkwerk_lists::Table;

const TODAY: Date = date(2026, 11, 24);

/// Dorpsraad Groet (in wijk Groet-Noord of kern Groet) with a board: Anna chairs, Piet (no
/// e-mail address) is secretary, Kees was treasurer until last year, Sanne is a plain member,
/// and Wim, who was deleted, still has a board role. Anna also sits on the Kernoverleg Groet
/// (linked to the kern). The Wijkraad Elders is somewhere else.
struct Groet {
    kern: Uuid,
    dorpsraad: Uuid,
    kernoverleg: Uuid,
    anna: Uuid,
}

fn groet(store: &mut Store) -> Groet {
    let kern = add(
        store,
        Entity::Area,
        json!({"name": "Groet", "kind": "core"}),
    );
    let wijk = add(
        store,
        Entity::Area,
        json!({"name": "Groet-Noord", "kind": "district", "parent_id": kern}),
    );
    let elders = add(
        store,
        Entity::Area,
        json!({"name": "Elders", "kind": "core"}),
    );
    let dorpsraad = add(
        store,
        Entity::Organisation,
        json!({"name": "Dorpsraad Groet", "kind": "dorpsraad", "area_ids": [wijk],
               "email": "info@groet.example", "board_size": 5, "website": "https://groet.example"}),
    );
    let kernoverleg = add(
        store,
        Entity::Organisation,
        json!({"name": "Kernoverleg Groet", "kind": "kernoverleg", "area_ids": [kern]}),
    );
    let wijkraad = add(
        store,
        Entity::Organisation,
        json!({"name": "Wijkraad Elders", "kind": "wijkraad", "area_ids": [elders]}),
    );
    let anna = add(
        store,
        Entity::Contact,
        json!({"name": "Anna de Vries", "email": "anna@example.nl", "mobile": "0612345678",
               "address": "Duinweg 3", "postcode": "1871ab", "city": "Groet",
               "notes": "Coördinator van de burendag"}),
    );
    let piet = add(
        store,
        Entity::Contact,
        json!({"name": "Piet Bakker", "phone": "0725091234"}),
    );
    let kees = add(
        store,
        Entity::Contact,
        json!({"name": "Kees Smit", "email": "kees@example.nl"}),
    );
    let sanne = add(
        store,
        Entity::Contact,
        json!({"name": "Sanne Jansen", "email": "sanne@example.nl"}),
    );
    let wim = add(
        store,
        Entity::Contact,
        json!({"name": "Wim Weg", "email": "wim@example.nl"}),
    );
    let elsewhere = add(
        store,
        Entity::Contact,
        json!({"name": "Els Elders", "email": "els@example.nl"}),
    );
    let role = |store: &mut Store,
                contact: Uuid,
                org: Uuid,
                kind: &str,
                start: &str,
                end: Option<&str>| {
        add(
            store,
            Entity::Role,
            json!({"contact_id": contact, "organisation_id": org, "kind": kind,
                   "start_date": start, "end_date": end}),
        )
    };
    role(store, piet, dorpsraad, "secretary", "2024-01-01", None);
    role(store, anna, dorpsraad, "chair", "2023-05-01", None);
    role(
        store,
        kees,
        dorpsraad,
        "treasurer",
        "2020-01-01",
        Some("2025-06-30"),
    );
    role(store, sanne, dorpsraad, "member", "2022-01-01", None);
    role(store, wim, dorpsraad, "board_member", "2021-01-01", None);
    role(
        store,
        anna,
        kernoverleg,
        "representative",
        "2024-01-01",
        None,
    );
    role(store, elsewhere, wijkraad, "chair", "2024-01-01", None);
    let deleted_role = role(store, sanne, dorpsraad, "board_member", "2022-01-01", None);
    store.delete(Entity::Role, deleted_role).unwrap();
    store.delete(Entity::Contact, wim).unwrap();
    Groet {
        kern,
        dorpsraad,
        kernoverleg,
        anna,
    }
}

fn store() -> (Store, Groet) {
    let mut store = Store::in_memory().unwrap();
    let groet = groet(&mut store);
    (store, groet)
}

/// The exported file read back as the importer reads lists.
fn export(store: &Store, scope: ExportScope, format: ListFormat) -> (Table, usize) {
    let export = store.export_list(&scope, format, TODAY).unwrap();
    let list = wijkwerk_lists::read(&export.bytes, None).unwrap();
    (list.table, export.rows)
}

fn column(table: &Table, name: &str) -> Vec<String> {
    let i = table
        .headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {:?}", table.headers));
    table.rows.iter().map(|r| r.cells[i].clone()).collect()
}

fn board(g: &Groet, all_roles: bool) -> ExportScope {
    ExportScope::Board {
        organisation_id: g.dorpsraad.to_string(),
        all_roles,
    }
}

#[test]
fn a_board_is_who_holds_a_board_position_today_chair_first() {
    let (store, g) = store();
    let (table, rows) = export(&store, board(&g, false), ListFormat::Csv);
    assert_eq!(table.headers, ROLE_COLUMNS.map(String::from).to_vec());
    assert_eq!(rows, 2);
    // Kees's term ended, Sanne's board role was deleted and Wim himself was.
    assert_eq!(column(&table, "Naam"), ["Anna de Vries", "Piet Bakker"]);
    assert_eq!(column(&table, "Functie"), ["Voorzitter", "Secretaris"]);
    assert_eq!(column(&table, "Sinds"), ["2023-05-01", "2024-01-01"]);
    assert_eq!(column(&table, "Organisatie"), ["Dorpsraad Groet"; 2]);
    assert_eq!(column(&table, "Achternaam"), ["de Vries", "Bakker"]);
    assert_eq!(column(&table, "Mobiel"), ["06-12345678", ""]);
    assert_eq!(column(&table, "Postcode"), ["1871 AB", ""]);
    assert_eq!(column(&table, "Notities")[0], "Coördinator van de burendag");

    let (all, _) = export(&store, board(&g, true), ListFormat::Csv);
    assert_eq!(
        column(&all, "Functie"),
        ["Voorzitter", "Secretaris", "Lid"],
        "every role held today, board positions first"
    );
}

#[test]
fn a_csv_is_for_dutch_excel_and_an_xlsx_holds_the_same_rows() {
    let (store, g) = store();
    let csv = store
        .export_list(&board(&g, false), ListFormat::Csv, TODAY)
        .unwrap();
    assert!(csv
        .bytes
        .starts_with(b"\xEF\xBB\xBFOrganisatie;Functie;Sinds;Naam;"));
    let text = String::from_utf8(csv.bytes).unwrap();
    assert_eq!(
        text.matches("\r\n").count(),
        3,
        "CRLF after every line: {text}"
    );
    assert!(text.contains("Coördinator van de burendag"));

    let (csv, _) = export(&store, board(&g, false), ListFormat::Csv);
    let (xlsx, _) = export(&store, board(&g, false), ListFormat::Xlsx);
    assert_eq!(xlsx.headers, csv.headers);
    let cells = |t: &Table| t.rows.iter().map(|r| r.cells.clone()).collect::<Vec<_>>();
    assert_eq!(cells(&xlsx), cells(&csv));
}

#[test]
fn a_person_is_one_card_with_the_other_organisations_as_categories() {
    let (store, _) = store();
    for format in [ListFormat::Vcard3, ListFormat::Vcard4] {
        let export = store
            .export_list(&ExportScope::all_contacts(), format, TODAY)
            .unwrap();
        let text = String::from_utf8(export.bytes.clone()).unwrap();
        // Anna, Els, Kees, Piet and Sanne: Wim was deleted.
        assert_eq!(export.rows, 5);
        assert_eq!(text.matches("BEGIN:VCARD\r\n").count(), 5);
        assert!(!text.contains("Wim"));
        assert!(
            text.contains(
                "ORG:Dorpsraad Groet\r\nTITLE:Voorzitter\r\nCATEGORIES:Kernoverleg Groet\r\n"
            ),
            "{text}"
        );
        let (table, _) = (wijkwerk_lists::read(&export.bytes, None).unwrap().table, ());
        assert_eq!(
            column(&table, "Naam"),
            [
                "Anna de Vries",
                "Els Elders",
                "Kees Smit",
                "Piet Bakker",
                "Sanne Jansen"
            ]
        );
        assert_eq!(column(&table, "Mobiel")[0], "06-12345678");
        assert_eq!(column(&table, "Telefoon")[3], "072-5091234");
        assert_eq!(column(&table, "Woonplaats")[0], "Groet");
        // Kees's only role ended: no organisation on his card.
        assert_eq!(column(&table, "Organisatie")[2], "");
    }
}

#[test]
fn the_contacts_are_those_the_contacten_list_shows_with_their_roles_today() {
    let (store, _) = store();
    let (table, rows) = export(&store, ExportScope::all_contacts(), ListFormat::Csv);
    assert_eq!(table.headers, CONTACT_COLUMNS.map(String::from).to_vec());
    assert_eq!(rows, 5);
    assert_eq!(column(&table, "Organisatie")[0], "Dorpsraad Groet");
    assert_eq!(
        column(&table, "Andere organisaties")[0],
        "Kernoverleg Groet (Vertegenwoordiger)"
    );

    let scope = ExportScope::Contacts {
        text: Some("vries".into()),
        organisation_id: None,
    };
    let (found, _) = export(&store, scope, ListFormat::Xlsx);
    let listed = store
        .contact_list(
            &ContactQuery {
                text: Some("vries".into()),
                ..Default::default()
            },
            TODAY,
        )
        .unwrap();
    assert_eq!(
        column(&found, "Naam"),
        listed
            .items
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(column(&found, "Naam"), ["Anna de Vries"]);
}

#[test]
fn an_area_holds_everyone_with_a_role_today_in_its_organisations_and_those_below() {
    let (store, g) = store();
    let scope = ExportScope::Area {
        area_id: g.kern.to_string(),
    };
    let (table, rows) = export(&store, scope.clone(), ListFormat::Csv);
    assert_eq!(rows, 4);
    assert_eq!(
        column(&table, "Organisatie"),
        [
            "Dorpsraad Groet",
            "Dorpsraad Groet",
            "Dorpsraad Groet",
            "Kernoverleg Groet"
        ]
    );
    assert_eq!(
        column(&table, "Naam"),
        [
            "Anna de Vries",
            "Piet Bakker",
            "Sanne Jansen",
            "Anna de Vries"
        ]
    );
    // As cards, Anna is one person.
    let cards = store
        .export_list(&scope, ListFormat::Vcard3, TODAY)
        .unwrap();
    assert_eq!(cards.rows, 3);
    assert_eq!(cards.name, "rollen Groet");
}

#[test]
fn the_organisations_list_names_kinds_and_areas_in_dutch() {
    let (store, g) = store();
    let scope = ExportScope::Organisations {
        text: None,
        kind: None,
        area_id: Some(g.kern.to_string()),
    };
    let (table, rows) = export(&store, scope.clone(), ListFormat::Csv);
    assert_eq!(
        table.headers,
        ORGANISATION_COLUMNS.map(String::from).to_vec()
    );
    assert_eq!(rows, 2);
    assert_eq!(
        column(&table, "Naam"),
        ["Dorpsraad Groet", "Kernoverleg Groet"]
    );
    assert_eq!(column(&table, "Soort"), ["Dorpsraad", "Kernoverleg"]);
    assert_eq!(column(&table, "Gebieden"), ["Groet-Noord", "Groet"]);
    assert_eq!(column(&table, "Bestuurszetels"), ["5", ""]);

    let cards = store
        .export_list(&scope, ListFormat::Vcard4, TODAY)
        .unwrap();
    let text = String::from_utf8(cards.bytes).unwrap();
    assert!(text.contains("KIND:org\r\n"), "{text}");
    assert!(text.contains("URL:https://groet.example\r\n"));
    assert!(text.contains("CATEGORIES:Dorpsraad\r\n"));
}

#[test]
fn a_board_mailing_list_is_outlooks_to_field_and_says_who_has_no_address() {
    let (mut store, g) = store();
    // A name with quotes in it stays one display name.
    store
        .update(
            Entity::Contact,
            g.anna,
            common::fields(json!({"name": "Anna \"Ans\" de Vries"})),
        )
        .unwrap();
    let list = store.board_mailing_list(g.dorpsraad, TODAY).unwrap();
    assert_eq!(list.organisation_name, "Dorpsraad Groet");
    assert_eq!(list.to, r#""Anna \"Ans\" de Vries" <anna@example.nl>"#);
    assert_eq!(list.mailto.as_deref(), Some("mailto:anna@example.nl"));
    assert_eq!(list.missing.len(), 1);
    assert_eq!(list.missing[0].name, "Piet Bakker");
    assert_eq!(list.missing[0].function, "Secretaris");
    assert_eq!(list.missing[0].kinds, ["secretary"]);

    // Nobody with an address: no link to open.
    let list = store.board_mailing_list(g.kernoverleg, TODAY).unwrap();
    assert!(list.recipients.is_empty() && list.missing.is_empty());
    assert_eq!(list.mailto, None);
    assert_eq!(list.to, "");
}

#[test]
fn a_member_with_two_positions_is_mailed_once() {
    let (mut store, g) = store();
    add(
        &mut store,
        Entity::Role,
        json!({"contact_id": g.anna, "organisation_id": g.dorpsraad, "kind": "treasurer",
               "start_date": "2025-07-01"}),
    );
    let list = store.board_mailing_list(g.dorpsraad, TODAY).unwrap();
    assert_eq!(list.recipients.len(), 1);
    assert_eq!(list.recipients[0].function, "Voorzitter, Penningmeester");
    assert_eq!(list.to, "\"Anna de Vries\" <anna@example.nl>");
}

#[test]
fn a_deleted_or_unknown_organisation_is_not_found_and_nothing_is_made() {
    let (mut store, g) = store();
    store.delete(Entity::Organisation, g.dorpsraad).unwrap();
    let error = store
        .export_list(&board(&g, false), ListFormat::Csv, TODAY)
        .unwrap_err();
    assert_eq!(error.code(), "not_found");
    assert!(store.board_mailing_list(g.dorpsraad, TODAY).is_err());
    let error = store
        .export_list(
            &ExportScope::Board {
                organisation_id: "geen-id".into(),
                all_roles: false,
            },
            ListFormat::Csv,
            TODAY,
        )
        .unwrap_err();
    assert_eq!(error.code(), "bad_request");
    // Its roles are not in an area's list either.
    let (table, _) = export(
        &store,
        ExportScope::Area {
            area_id: g.kern.to_string(),
        },
        ListFormat::Csv,
    );
    assert_eq!(column(&table, "Organisatie"), ["Kernoverleg Groet"]);
}

#[test]
fn the_demo_goes_out_whole_with_its_diacritics() {
    let mut store = Store::in_memory().unwrap();
    wijkwerk_core::demo::load_demo(&mut store, TODAY).unwrap();
    let contacts = store.count(Entity::Contact).unwrap() as usize;
    for format in [
        ListFormat::Csv,
        ListFormat::Xlsx,
        ListFormat::Vcard3,
        ListFormat::Vcard4,
    ] {
        let (table, rows) = export(&store, ExportScope::all_contacts(), format);
        assert_eq!(rows, contacts, "{format:?}");
        assert_eq!(table.rows.len(), contacts, "{format:?}");
        assert!(column(&table, "Naam")
            .iter()
            .any(|n| n == "Henriëtte Bosman"));
        assert!(
            column(&table, "Functie")
                .iter()
                .any(|f| f.contains("Wijkcoördinator")),
            "{format:?}"
        );
        assert!(column(&table, "E-mailadres")
            .iter()
            .all(|e| e.contains('@')));
    }
}
