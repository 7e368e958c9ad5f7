//! A demo store with everything the documents show (shared by the tests and the example
//! `write_examples`): the demo municipality, and where the demo has none yet, a werkkapitaal for
//! the year, a kernovereenkomst with five projects (one too many) and a municipal plan. Names
//! carry typst's special characters on purpose.
#![allow(dead_code)]

use jiff::civil::Date;
use serde_json::{json, Value};
use uuid::Uuid;
use wijkwerk_core::report::{ReportRequest, YearReport};
use wijkwerk_core::{Entity, Fields, Store};

/// The demo is built around this day; the report is for the year before it (complete).
pub const REFERENCE: &str = "2027-02-01";
pub const YEAR: i64 = 2026;

/// A name with every character typst markup treats specially.
pub const TRICKY: &str = "#set text(red) *vet* _schuin_ $x^2$ @ref <script> [a] \\ \"quote\" 'q' `code` // // /* c */ ~ -- 100% € &amp;";

pub fn reference() -> Date {
    REFERENCE.parse().expect("the reference date")
}

pub struct Demo {
    pub store: Store,
    pub agreement: Uuid,
    pub kern_id: String,
}

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn add(store: &mut Store, entity: Entity, value: Value) -> Uuid {
    store
        .create(entity, fields(value))
        .unwrap_or_else(|e| panic!("creating {entity}: {e}"))
}

fn all(store: &Store, entity: Entity) -> Vec<Value> {
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = store.list(entity, after, 500).expect("a list");
        items.extend(page.items);
        match page.next.and_then(|n| n.parse().ok()) {
            Some(next) => after = Some(next),
            None => return items,
        }
    }
}

pub fn demo() -> Demo {
    let mut store = Store::in_memory().expect("a store");
    wijkwerk_core::demo::load_demo(&mut store, reference()).expect("the demo");
    let areas = store.area_index().expect("the areas");
    let municipality = areas
        .all()
        .find(|a| a.kind == "municipality")
        .expect("a municipality")
        .id
        .clone();
    let organisations = all(&store, Entity::Organisation);
    let of_kind = |kind: &str| -> Vec<&Value> {
        organisations.iter().filter(|o| o["kind"] == kind).collect()
    };
    let id = |v: &Value| v["id"].as_str().unwrap_or_default().to_owned();
    let kernoverleggen = of_kind("kernoverleg");
    let department = id(of_kind("department").first().expect("a department"));
    let kernoverleg = kernoverleggen.first().expect("a kernoverleg");
    let kern_id = kernoverleg["area_ids"][0]
        .as_str()
        .expect("its kern")
        .to_owned();
    let contacts = all(&store, Entity::Contact);
    let contact = |i: usize| id(&contacts[i % contacts.len()]);
    let associations: Vec<String> = organisations
        .iter()
        .filter(|o| {
            o["area_ids"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == kern_id.as_str()))
        })
        .map(id)
        .take(2)
        .collect();

    if let Some(existing) = all(&store, Entity::Agreement).first() {
        let agreement = existing["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("an id");
        let kern_id = existing["area_id"].as_str().unwrap_or(&kern_id).to_owned();
        return Demo {
            store,
            agreement,
            kern_id,
        };
    }

    // The werkkapitaal of the year, with bookings for some kernoverleggen.
    if all(&store, Entity::Budget).is_empty() {
        let budget = add(
            &mut store,
            Entity::Budget,
            json!({"area_id": municipality, "year": YEAR, "total_cents": "€ 80.000,00"}),
        );
        for (i, ko) in kernoverleggen.iter().enumerate() {
            let amount = 150_000 + 125_000 * (i as i64 % 4);
            let commitment = add(
                &mut store,
                Entity::Commitment,
                json!({"budget_id": budget, "kernoverleg_id": id(ko), "date": "2026-03-15",
                       "amount_cents": amount, "description": "Toekenning buurtinitiatief"}),
            );
            if i % 3 != 2 {
                add(
                    &mut store,
                    Entity::Payment,
                    json!({"budget_id": budget, "kernoverleg_id": id(ko), "commitment_id": commitment,
                           "date": "2026-06-01", "amount_cents": amount / 2, "description": "Eerste termijn"}),
                );
            }
        }
    }

    let agreement = add(
        &mut store,
        Entity::Agreement,
        json!({"title": format!("Kernovereenkomst 2026-2027 {TRICKY}"), "area_id": kern_id,
               "kernoverleg_id": id(kernoverleg), "period_start": "2026-01-01", "period_end": "2027-12-31",
               "notes": "Afgesproken in het kernoverleg; de projecten staan hieronder met hun planning."}),
    );
    store
        .update(
            Entity::Agreement,
            agreement,
            fields(json!({"status": "vastgesteld", "adopted_on": "2026-02-10"})),
        )
        .expect("adopted");
    let titles = [
        "Jeu-de-boulesbaan bij het dorpshuis",
        "Veilige schoolroute",
        "Groen schoolplein",
        "Bankjes langs het duinpad",
        TRICKY,
    ];
    let steps = [
        "coproduceren",
        "adviseren",
        "meebeslissen",
        "raadplegen",
        "informeren",
    ];
    let statuses = [
        "uitvoering",
        "voorbereiding",
        "afgerond",
        "idee",
        "uitvoering",
    ];
    for (n, title) in titles.iter().enumerate() {
        let (step, status) = (steps[n], statuses[n]);
        let project = add(
            &mut store,
            Entity::Project,
            json!({"title": title, "description": format!("Wat we samen doen: {title}. Inwoners denken mee over de inrichting en helpen bij de uitvoering."),
                   "department_id": department, "department_contact_id": contact(n),
                   "participation_step": step,
                   "organisation_ids": associations, "contact_ids": [contact(n + 3), contact(n + 7)],
                   "budget_cents": 250_000 + 100_000 * n as i64, "status": status,
                   "agreement_id": agreement, "area_ids": [kern_id],
                   "start_date": "2026-01-15", "end_date": "2027-06-30"}),
        );
        for (date, what, done) in [
            ("2026-03-01", "Ontwerp met de buurt", Some("2026-02-27")),
            ("2026-06-15", "Besluit over het ontwerp", Some("2026-07-02")),
            ("2026-10-01", "Uitvoering", None),
            ("2027-05-01", "Oplevering en feestje", None),
        ] {
            add(
                &mut store,
                Entity::Milestone,
                json!({"project_id": project, "date": date, "title": what, "done_on": done}),
            );
        }
    }
    // A plan of the whole municipality, which touches every kern.
    let plan = add(
        &mut store,
        Entity::Project,
        json!({"title": "Omgevingsvisie Bergen 2040", "description": "De gemeente werkt aan de omgevingsvisie; elke kern praat mee.",
               "department_id": department, "participation_step": "raadplegen", "status": "voorbereiding",
               "area_ids": [municipality], "start_date": "2026-02-01", "end_date": "2026-12-31"}),
    );
    add(
        &mut store,
        Entity::Milestone,
        json!({"project_id": plan, "date": "2026-09-15", "title": "Inloopavond in elke kern"}),
    );
    Demo {
        store,
        agreement,
        kern_id,
    }
}

pub fn report(store: &Store, year: i64) -> YearReport {
    store
        .year_report(
            &ReportRequest {
                year,
                area_id: None,
                stale_weeks: None,
            },
            reference(),
        )
        .expect("the report")
}
