//! Agreements, projects and the werkkapitaal through the one write door: what is refused (and
//! leaves nothing behind), what is only warned about, and what a project's page gathers.

mod common;

use common::{add, fields, village};
use serde_json::json;
use wijkwerk_core::budgets::PaymentWarning;
use wijkwerk_core::{Entity, Error, Invalid, Store};

fn refused(store: &mut Store, entity: Entity, value: serde_json::Value) -> (String, Invalid) {
    let before = store.outbox_len().unwrap();
    match store.create(entity, fields(value)) {
        Err(Error::Invalid { field, reason, .. }) => {
            assert_eq!(
                store.outbox_len().unwrap(),
                before,
                "a refusal writes nothing"
            );
            (field, reason)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

struct Werkkapitaal {
    store: Store,
    village: common::Village,
    kernoverleg: uuid::Uuid,
    budget: uuid::Uuid,
    project: uuid::Uuid,
}

fn werkkapitaal() -> Werkkapitaal {
    let mut store = Store::in_memory().unwrap();
    let village = village(&mut store);
    let municipality = add(
        &mut store,
        Entity::Area,
        json!({"name": "Gemeente Bergen", "kind": "municipality"}),
    );
    store
        .update(
            Entity::Area,
            village.kern,
            fields(json!({"parent_id": municipality})),
        )
        .unwrap();
    let kernoverleg = add(
        &mut store,
        Entity::Organisation,
        json!({"name": "Kernoverleg Groet", "kind": "kernoverleg", "area_ids": [village.kern]}),
    );
    let budget = add(
        &mut store,
        Entity::Budget,
        json!({"area_id": municipality, "year": 2027, "total_cents": "€ 20.000,00"}),
    );
    let project = add(
        &mut store,
        Entity::Project,
        json!({"title": "Jeu-de-boulesbaan", "department_id": village.department, "area_ids": [village.kern],
               "start_date": "2027-01-01", "end_date": "2027-12-31"}),
    );
    Werkkapitaal {
        store,
        village,
        kernoverleg,
        budget,
        project,
    }
}

#[test]
fn amounts_are_cents_typed_in_either_form() {
    let mut w = werkkapitaal();
    for (typed, cents) in [
        ("1234,56", 123_456),
        ("1.234,56", 123_456),
        ("1234.56", 123_456),
        ("€ 75", 7_500),
    ] {
        let id = add(
            &mut w.store,
            Entity::Commitment,
            json!({"budget_id": w.budget, "kernoverleg_id": w.kernoverleg, "date": "2027-02-01",
                   "amount_cents": typed, "description": "Toekenning"}),
        );
        assert_eq!(
            w.store.get(Entity::Commitment, id).unwrap()["amount_cents"],
            cents,
            "{typed}"
        );
    }
    let overview = w
        .store
        .budget_overview(2027, None, "2027-03-01".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(overview.total_cents, 2_000_000);
    assert_eq!(overview.parts[0].share_cents, 2_000_000);
}

#[test]
fn negative_sub_cent_and_zero_amounts_are_refused() {
    let mut w = werkkapitaal();
    let commitment = |amount: serde_json::Value| {
        json!({"budget_id": w.budget, "kernoverleg_id": w.kernoverleg, "date": "2027-02-01",
               "amount_cents": amount, "description": "Toekenning"})
    };
    let cases = [
        (commitment(json!("-5,00")), Invalid::Negative),
        (commitment(json!(-500)), Invalid::Negative),
        (
            commitment(json!("12,345")),
            Invalid::SubCent("12,345".into()),
        ),
        (commitment(json!(0)), Invalid::Zero),
        (
            commitment(json!("twaalf euro")),
            Invalid::Money("twaalf euro".into()),
        ),
    ];
    for (value, reason) in cases {
        let (field, got) = refused(&mut w.store, Entity::Commitment, value);
        assert_eq!((field.as_str(), got), ("amount_cents", reason));
    }
    let (field, reason) = refused(&mut w.store, Entity::Commitment, commitment(json!(12.5)));
    assert_eq!(field, "amount_cents");
    assert!(matches!(reason, Invalid::WrongType { .. }), "{reason:?}");
    // An adjustment may be negative (money moved away), never zero.
    add(
        &mut w.store,
        Entity::BudgetAdjustment,
        json!({"budget_id": w.budget, "kernoverleg_id": w.kernoverleg, "amount_cents": "-1.000", "reason": "Naar Schoorl"}),
    );
}

#[test]
fn a_payment_beyond_or_without_a_commitment_is_kept_and_warned_about() {
    let mut w = werkkapitaal();
    let commitment = add(
        &mut w.store,
        Entity::Commitment,
        json!({"budget_id": w.budget, "kernoverleg_id": w.kernoverleg, "project_id": w.project,
               "date": "2027-02-01", "amount_cents": "1.000", "description": "Baan"}),
    );
    let within = add(
        &mut w.store,
        Entity::Payment,
        json!({"commitment_id": commitment, "date": "2027-03-01", "amount_cents": "800", "description": "Zand"}),
    );
    assert_eq!(w.store.payment_warnings(within).unwrap(), []);
    let beyond = add(
        &mut w.store,
        Entity::Payment,
        json!({"commitment_id": commitment, "date": "2027-04-01", "amount_cents": "450,50", "description": "Randen"}),
    );
    assert_eq!(
        w.store.payment_warnings(beyond).unwrap(),
        [PaymentWarning::BeyondCommitment {
            commitment_cents: 100_000,
            paid_cents: 125_050,
            overrun_cents: 25_050
        }]
    );
    let loose = add(
        &mut w.store,
        Entity::Payment,
        json!({"budget_id": w.budget, "kernoverleg_id": w.kernoverleg, "date": "2028-01-05",
               "amount_cents": "10", "description": "Bonnetje"}),
    );
    assert_eq!(
        w.store.payment_warnings(loose).unwrap(),
        [
            PaymentWarning::WithoutCommitment,
            PaymentWarning::OutsideYear { year: 2027 }
        ]
    );
    // The project's page gathers the money.
    let page = w.store.project_page(w.project).unwrap();
    assert_eq!((page.committed_cents, page.spent_cents), (100_000, 125_050));

    // A payment against a commitment comes from its werkkapitaal and kernoverleg.
    let other = add(
        &mut w.store,
        Entity::Organisation,
        json!({"name": "Kernoverleg Schoorl", "kind": "kernoverleg", "area_ids": [w.village.wijk]}),
    );
    let (field, reason) = refused(
        &mut w.store,
        Entity::Payment,
        json!({"commitment_id": commitment, "kernoverleg_id": other, "date": "2027-04-01",
               "amount_cents": "5", "description": "Mis"}),
    );
    assert_eq!(field, "kernoverleg_id");
    assert_eq!(
        reason,
        Invalid::NotTheCommitments {
            field: "kernoverleg"
        }
    );
}

#[test]
fn projects_need_a_department_and_milestones_stay_in_their_period() {
    let mut w = werkkapitaal();
    let (field, reason) = refused(
        &mut w.store,
        Entity::Project,
        json!({"title": "Zonder afdeling"}),
    );
    assert_eq!(
        (field.as_str(), reason),
        ("department_id", Invalid::Required)
    );
    let (field, reason) = refused(
        &mut w.store,
        Entity::Project,
        json!({"title": "Bij een vereniging", "department_id": w.village.association}),
    );
    assert_eq!(field, "department_id");
    assert!(matches!(reason, Invalid::WrongKind { .. }));

    let (field, reason) = refused(
        &mut w.store,
        Entity::Milestone,
        json!({"project_id": w.project, "date": "2028-02-01", "title": "Te laat"}),
    );
    assert_eq!(field, "date");
    assert_eq!(
        reason,
        Invalid::OutsidePeriod {
            start: "2027-01-01".into(),
            end: "2027-12-31".into()
        }
    );
    add(
        &mut w.store,
        Entity::Milestone,
        json!({"project_id": w.project, "date": "2027-11-01", "title": "Opening"}),
    );
    // Shortening the project past its milestone is refused too.
    let shortened = w.store.update(
        Entity::Project,
        w.project,
        fields(json!({"end_date": "2027-06-30"})),
    );
    match shortened {
        Err(Error::Invalid { field, reason, .. }) => {
            assert_eq!(field, "end_date");
            assert_eq!(
                reason,
                Invalid::MilestonesOutside {
                    date: "2027-11-01".into()
                }
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let milestones = w.store.project_view(w.project).unwrap().milestones;
    assert_eq!(milestones.len(), 1);
}

#[test]
fn an_agreement_is_adopted_on_a_date_and_flags_more_than_four_projects() {
    let mut w = werkkapitaal();
    let agreement = add(
        &mut w.store,
        Entity::Agreement,
        json!({"title": "Kernovereenkomst Groet 2027-2028", "area_id": w.village.kern,
               "kernoverleg_id": w.kernoverleg, "period_start": "2027-01-01", "period_end": "2028-12-31"}),
    );
    assert_eq!(
        w.store.get(Entity::Agreement, agreement).unwrap()["status"],
        "concept"
    );
    let adopted = w.store.update(
        Entity::Agreement,
        agreement,
        fields(json!({"status": "vastgesteld"})),
    );
    assert!(
        matches!(
            adopted,
            Err(Error::Invalid {
                reason: Invalid::AdoptedOnRequired,
                ..
            })
        ),
        "{adopted:?}"
    );
    w.store
        .update(
            Entity::Agreement,
            agreement,
            fields(json!({"status": "vastgesteld", "adopted_on": "2027-01-20"})),
        )
        .unwrap();
    let (field, _) = refused(
        &mut w.store,
        Entity::Agreement,
        json!({"title": "Voor de gemeente", "area_id": w.village.association, "period_start": "2027-01-01",
               "period_end": "2027-12-31"}),
    );
    assert_eq!(field, "area_id");

    for n in 1..=5 {
        add(
            &mut w.store,
            Entity::Project,
            json!({"title": format!("Project {n}"), "department_id": w.village.department,
                   "agreement_id": agreement, "budget_cents": 100_000}),
        );
        let page = w.store.agreement_page(agreement).unwrap();
        assert_eq!(page.projects.len(), n);
        assert_eq!(page.too_many_projects, n > 4, "{n} projects");
        assert_eq!(page.budget_cents, 100_000 * n as i64);
    }
}

#[test]
fn new_records_are_searched_and_exported() {
    let mut w = werkkapitaal();
    let hits = w.store.search("boules", 10).unwrap();
    assert_eq!(w.store.search("boules", 10).unwrap()[0].entity, "project");
    assert_eq!(hits.len(), 1, "{hits:?}");
    let export = w.store.export_value().unwrap();
    for entity in [
        "project",
        "budget",
        "agreement",
        "milestone",
        "commitment",
        "payment",
        "budget_adjustment",
    ] {
        assert!(
            export["entities"][entity].is_array(),
            "{entity} in the export"
        );
    }
    // One werkkapitaal per municipality and year: adding it again on another laptop makes the
    // same record, not a second one.
    let municipality = w.store.get(Entity::Budget, w.budget).unwrap()["area_id"].clone();
    let again = add(
        &mut w.store,
        Entity::Budget,
        json!({"area_id": municipality, "year": 2027,
               "total_cents": 2_500_000}),
    );
    assert_eq!(again, w.budget);
}
