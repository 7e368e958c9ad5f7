//! The yearly report, checked against figures counted by hand in a small municipality: two
//! kernen (Noord with two wijken, Zuid without), two departments, a handful of meetings, visits,
//! action points with their histories, projects with milestones, and a werkkapitaal.

mod common;

use common::{add, fields};
use serde_json::{json, Value};
use uuid::Uuid;
use wijkwerk_core::report::{ActionPointLine, Cell, CutList, ReportRequest, YearReport};
use wijkwerk_core::{Entity, Store, Write};

struct Proefdorp {
    store: Store,
    noord: Uuid,
    zuid: Uuid,
}

/// An action point with its history: `(at, to_status, comment)`; the first step opens it.
fn action_point(store: &mut Store, record: Value, steps: &[(&str, &str, Option<&str>)]) -> Uuid {
    let id = Uuid::now_v7();
    let mut record = fields(record);
    let last = steps.last().map_or("open", |s| s.1);
    record.insert("status".into(), last.into());
    let mut batch = vec![Write {
        entity: Entity::ActionPoint,
        id,
        op: wijkwerk_core::Op::Create(record),
    }];
    let mut from = Value::Null;
    for (at, to, comment) in steps {
        batch.push(Write::create(
            Entity::ActionPointEvent,
            fields(
                json!({"action_point_id": id, "kind": "status_change", "from_status": from,
                          "to_status": to, "at": at, "comment": comment}),
            ),
        ));
        from = Value::from(*to);
    }
    store
        .write(batch)
        .expect("an action point with its history");
    id
}

fn proefdorp() -> Proefdorp {
    let mut store = Store::in_memory().unwrap();
    let s = &mut store;
    let gemeente = add(
        s,
        Entity::Area,
        json!({"name": "Gemeente Proefdorp", "kind": "municipality"}),
    );
    let noord = add(
        s,
        Entity::Area,
        json!({"name": "Noord", "kind": "core", "parent_id": gemeente}),
    );
    let n1 = add(
        s,
        Entity::Area,
        json!({"name": "Noord-1", "kind": "district", "parent_id": noord, "inhabitants": 400}),
    );
    add(
        s,
        Entity::Area,
        json!({"name": "Noord-2", "kind": "district", "parent_id": noord, "inhabitants": 633}),
    );
    let zuid = add(
        s,
        Entity::Area,
        json!({"name": "Zuid", "kind": "core", "parent_id": gemeente, "inhabitants": 1000}),
    );
    let ko_noord = add(
        s,
        Entity::Organisation,
        json!({"name": "Kernoverleg Noord", "kind": "kernoverleg", "area_ids": [noord]}),
    );
    let ko_zuid = add(
        s,
        Entity::Organisation,
        json!({"name": "Kernoverleg Zuid", "kind": "kernoverleg", "area_ids": [zuid]}),
    );
    let wv = add(
        s,
        Entity::Organisation,
        json!({"name": "Wijkvereniging Noord-1", "kind": "wijkvereniging", "area_ids": [n1]}),
    );
    let bor = add(
        s,
        Entity::Organisation,
        json!({"name": "Beheer Openbare Ruimte", "kind": "department", "area_ids": [gemeente]}),
    );
    let verkeer = add(
        s,
        Entity::Organisation,
        json!({"name": "Verkeer", "kind": "department", "area_ids": [gemeente]}),
    );
    let people: Vec<Uuid> = ["An", "Bas", "Cor", "Dina"]
        .iter()
        .map(|name| add(s, Entity::Contact, json!({"name": name})))
        .collect();

    // Meetings: two held in Noord in 2026 (3 and 2 present), one held and one cancelled in Zuid,
    // one in 2025, and two around New Year's Eve in Amsterdam time.
    let meeting = |s: &mut Store, kind: &str, org: Uuid, at: &str, status: &str| {
        add(
            s,
            Entity::Meeting,
            json!({"kind": kind, "title": "Vergadering", "organisation_id": org,
            "starts_at": at, "ends_at": at, "status": status}),
        )
    };
    let ko1 = meeting(s, "kernoverleg", ko_noord, "2026-03-10T19:30", "held");
    for (person, status) in people
        .iter()
        .zip(["present", "present", "present", "absent"])
    {
        add(
            s,
            Entity::Attendance,
            json!({"meeting_id": ko1, "contact_id": person, "status": status}),
        );
    }
    let lv = meeting(s, "ledenvergadering", wv, "2026-05-12T20:00", "held");
    for person in &people[..2] {
        add(
            s,
            Entity::Attendance,
            json!({"meeting_id": lv, "contact_id": person, "status": "present"}),
        );
    }
    meeting(s, "kernoverleg", ko_zuid, "2026-10-01T19:30", "held");
    meeting(s, "kernoverleg", ko_zuid, "2026-11-01T19:30", "cancelled");
    let old = meeting(s, "kernoverleg", ko_noord, "2025-11-01T19:30", "held");
    add(
        s,
        Entity::Attendance,
        json!({"meeting_id": old, "contact_id": people[0], "status": "present"}),
    );
    // 23:30 on 31 December is still 2026; 00:30 on 1 January (23:30 UTC) is 2027.
    meeting(s, "bestuursoverleg", wv, "2026-12-31T23:30", "held");
    meeting(s, "bestuursoverleg", wv, "2027-01-01T00:30", "held");

    // Visits: a kernbezoek in Noord and a wijkschouw in Zuid held; a planned one not counted.
    let visit = |s: &mut Store, kind: &str, area: Uuid, at: &str, status: &str| {
        add(
            s,
            Entity::Visit,
            json!({"kind": kind, "title": "Bezoek", "area_id": area,
            "starts_at": at, "ends_at": at, "status": status}),
        );
    };
    visit(s, "kernbezoek", noord, "2026-06-03T14:00", "held");
    visit(s, "wijkschouw", zuid, "2026-09-01T14:00", "held");
    visit(s, "kernbezoek", zuid, "2026-05-01T14:00", "planned");

    // Action points (see the counts in the tests below).
    let ap = |area: Uuid, owner: Option<Uuid>, opened: &str, due: Option<&str>| {
        json!({"title": format!("Actiepunt {opened}"), "area_id": area, "owner_organisation_id": owner,
               "opened_on": opened, "due_date": due})
    };
    // 1: Noord-1, BOR, closed on time after 22 days, with a comment.
    action_point(
        s,
        ap(n1, Some(bor), "2026-01-10", Some("2026-02-10")),
        &[
            ("2026-01-10T09:00:00Z", "open", None),
            ("2026-02-01T10:00:00Z", "done", Some("Gedaan.")),
        ],
    );
    // 2: Noord, BOR, closed late after 61 days, without a comment.
    action_point(
        s,
        ap(noord, Some(bor), "2026-03-01", Some("2026-03-31")),
        &[
            ("2026-03-01T09:00:00Z", "open", None),
            ("2026-05-01T10:00:00Z", "done", None),
        ],
    );
    // 3: Zuid, Verkeer, still open, overdue and untouched since April (stale).
    action_point(
        s,
        ap(zuid, Some(verkeer), "2026-04-01", Some("2026-06-01")),
        &[("2026-04-01T09:00:00Z", "open", None)],
    );
    // 4: Zuid, Verkeer, in progress since December: open, not overdue, not stale.
    action_point(
        s,
        ap(zuid, Some(verkeer), "2026-11-20", Some("2027-03-01")),
        &[
            ("2026-11-20T09:00:00Z", "open", None),
            (
                "2026-12-01T09:00:00Z",
                "in_progress",
                Some("Offerte gevraagd."),
            ),
        ],
    );
    // 5: Zuid, BOR, opened in 2025, closed late in January 2026 after 228 days.
    action_point(
        s,
        ap(zuid, Some(bor), "2025-06-01", Some("2025-12-01")),
        &[
            ("2025-06-01T09:00:00Z", "open", None),
            ("2026-01-15T10:00:00Z", "done", Some("Klaar.")),
        ],
    );
    // 6: Noord, owned by the association, cancelled.
    action_point(
        s,
        ap(noord, Some(wv), "2026-02-01", None),
        &[
            ("2026-02-01T09:00:00Z", "open", None),
            ("2026-02-15T09:00:00Z", "cancelled", None),
        ],
    );
    // 7: Noord, BOR, all in 2024: not in the 2026 report.
    action_point(
        s,
        ap(noord, Some(bor), "2024-01-01", None),
        &[
            ("2024-01-01T09:00:00Z", "open", None),
            ("2024-02-01T09:00:00Z", "done", None),
        ],
    );
    // 8: Noord, Verkeer, closed after 10 days with a comment; no due date.
    action_point(
        s,
        ap(noord, Some(verkeer), "2026-07-01", None),
        &[
            ("2026-07-01T09:00:00Z", "open", None),
            ("2026-07-11T09:00:00Z", "done", Some("Bord geplaatst.")),
        ],
    );

    // Projects: one in Noord running in 2026 with three milestones (one on time, one late, one
    // open), a municipal plan without dates, and one finished in 2025.
    let p1 = add(
        s,
        Entity::Project,
        json!({"title": "Speeltuin Noord", "area_ids": [n1], "department_id": bor,
        "status": "uitvoering", "start_date": "2026-01-01", "end_date": "2026-12-31", "budget_cents": "12.500"}),
    );
    for (date, done) in [
        ("2026-03-01", Some("2026-02-20")),
        ("2026-06-01", Some("2026-07-01")),
        ("2026-11-01", None),
    ] {
        add(
            s,
            Entity::Milestone,
            json!({"project_id": p1, "date": date, "title": "Stap", "done_on": done}),
        );
    }
    let p2 = add(
        s,
        Entity::Project,
        json!({"title": "Omgevingsvisie", "area_ids": [gemeente], "department_id": verkeer,
        "status": "voorbereiding"}),
    );
    add(
        s,
        Entity::Milestone,
        json!({"project_id": p2, "date": "2027-02-01", "title": "Inspraak"}),
    );
    add(
        s,
        Entity::Project,
        json!({"title": "Bankjes Zuid", "area_ids": [zuid], "department_id": bor,
        "status": "afgerond", "start_date": "2024-01-01", "end_date": "2025-06-30"}),
    );

    // The werkkapitaal 2026: € 10.000 over 1.033 and 1.000 inhabitants, € 100 moved to Zuid.
    let budget = add(
        s,
        Entity::Budget,
        json!({"area_id": gemeente, "year": 2026, "total_cents": "10.000,00"}),
    );
    for (ko, cents) in [(ko_noord, -10_000), (ko_zuid, 10_000)] {
        add(
            s,
            Entity::BudgetAdjustment,
            json!({"budget_id": budget, "kernoverleg_id": ko, "amount_cents": cents,
            "reason": "Zuid organiseert de gezamenlijke burendag", "date": "2026-02-01"}),
        );
    }
    let c1 = add(
        s,
        Entity::Commitment,
        json!({"budget_id": budget, "kernoverleg_id": ko_noord, "project_id": p1,
        "date": "2026-03-01", "amount_cents": "3.000", "description": "Speeltoestel"}),
    );
    add(
        s,
        Entity::Commitment,
        json!({"budget_id": budget, "kernoverleg_id": ko_noord,
        "date": "2026-11-01", "amount_cents": "500", "description": "Kerstboom", "initiative": "Kerstmarkt"}),
    );
    add(
        s,
        Entity::Commitment,
        json!({"budget_id": budget, "kernoverleg_id": ko_zuid,
        "date": "2026-10-15", "amount_cents": "1000", "description": "Burendag"}),
    );
    add(
        s,
        Entity::Payment,
        json!({"commitment_id": c1, "date": "2026-04-01", "amount_cents": "2.500,00",
        "description": "Aanbetaling"}),
    );
    add(
        s,
        Entity::Payment,
        json!({"budget_id": budget, "kernoverleg_id": ko_zuid, "date": "2026-06-01",
        "amount_cents": 20_000, "description": "Koffie en thee"}),
    );
    Proefdorp { store, noord, zuid }
}

fn report(store: &Store, year: i64, area: Option<Uuid>) -> YearReport {
    store
        .year_report(
            &ReportRequest {
                year,
                area_id: area.map(|a| a.to_string()),
                stale_weeks: None,
            },
            "2027-02-01".parse().unwrap(),
        )
        .expect("the report")
}

#[test]
fn meetings_and_visits_are_counted_by_kind_and_kern() {
    let p = proefdorp();
    let r = report(&p.store, 2026, None);
    assert!(!r.running);
    let held = |f: &wijkwerk_core::report::AreaFigures, kind: &str| {
        let m = f.meetings.iter().find(|m| m.kind == kind).unwrap();
        (m.held, m.present)
    };
    assert_eq!(held(&r.total, "kernoverleg"), (2, 3));
    assert_eq!(held(&r.total, "ledenvergadering"), (1, 2));
    assert_eq!(
        held(&r.total, "bestuursoverleg"),
        (1, 0),
        "23:30 on 31 December counts"
    );
    assert_eq!(r.total.kernbezoeken_held, 1);
    assert_eq!(r.total.wijkschouwen_held, 1);
    let noord = r.kernen.iter().find(|k| k.name == "Noord").unwrap();
    assert_eq!(held(noord, "kernoverleg"), (1, 3));
    assert_eq!(
        held(noord, "ledenvergadering"),
        (1, 2),
        "a wijk's meeting counts for its kern"
    );
    assert_eq!(noord.kernbezoeken_held, 1);
    // The previous year beside it.
    assert_eq!(held(&r.previous, "kernoverleg"), (1, 1));
    // The running year stops today, and has the meeting of 00:30 on New Year's Day.
    let next = report(&p.store, 2027, None);
    assert!(next.running);
    assert_eq!(next.period_end, "2027-02-01");
    assert_eq!(held(&next.total, "bestuursoverleg"), (1, 0));
}

#[test]
fn action_points_are_counted_as_counted_by_hand() {
    let p = proefdorp();
    let r = report(&p.store, 2026, None);
    let a = &r.total.action_points;
    assert_eq!((a.opened, a.closed, a.cancelled), (6, 4, 1));
    assert_eq!((a.open_at_end, a.overdue_at_end), (2, 1));
    assert_eq!((a.closed_with_due_date, a.closed_on_time), (3, 1));
    assert_eq!(a.on_time_share, Some(1.0 / 3.0));
    // Lead times 10, 22, 61 and 228 days: median (nearest rank) 22, 90th percentile 228.
    assert_eq!(a.lead_time_median_days, Some(22));
    assert_eq!(a.lead_time_p90_days, Some(228));
    assert_eq!((a.stale, a.closed_without_comment), (1, 1));
    assert_eq!(r.stale.len(), 1);
    assert_eq!(r.stale[0].title, "Actiepunt 2026-04-01");
    assert_eq!(r.stale[0].last_touched, "2026-04-01");
    assert_eq!(r.closed_without_comment[0].title, "Actiepunt 2026-03-01");

    let kern = |name: &str| {
        &r.kernen
            .iter()
            .find(|k| k.name == name)
            .unwrap()
            .action_points
    };
    let noord = kern("Noord");
    assert_eq!(
        (
            noord.opened,
            noord.closed,
            noord.cancelled,
            noord.open_at_end
        ),
        (4, 3, 1, 0)
    );
    let zuid = kern("Zuid");
    assert_eq!(
        (
            zuid.opened,
            zuid.closed,
            zuid.open_at_end,
            zuid.overdue_at_end
        ),
        (2, 1, 2, 1)
    );

    // Per department: who keeps agreements.
    let names: Vec<&str> = r.departments.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["Beheer Openbare Ruimte", "Verkeer"]);
    let bor = &r.departments[0].action_points;
    assert_eq!((bor.opened, bor.closed, bor.closed_on_time), (2, 3, 1));
    assert_eq!(
        (bor.lead_time_median_days, bor.lead_time_p90_days),
        (Some(61), Some(228))
    );
    let verkeer = &r.departments[1].action_points;
    assert_eq!(
        (
            verkeer.opened,
            verkeer.closed,
            verkeer.open_at_end,
            verkeer.overdue_at_end
        ),
        (3, 1, 2, 1)
    );
    assert_eq!(
        verkeer.on_time_share, None,
        "nothing closed with a due date"
    );

    // 2025: the point opened then was still open, and overdue, when the year ended.
    let before = &r.previous.action_points;
    assert_eq!(
        (before.opened, before.open_at_end, before.overdue_at_end),
        (1, 1, 1)
    );
}

#[test]
fn projects_milestones_and_the_werkkapitaal() {
    let p = proefdorp();
    let r = report(&p.store, 2026, None);
    let projects = &r.total.projects;
    assert_eq!(
        projects.total, 2,
        "the project finished in 2025 is not counted"
    );
    let count = |status: &str| {
        projects
            .by_status
            .iter()
            .find(|s| s.status == status)
            .unwrap()
            .count
    };
    assert_eq!(
        (
            count("uitvoering"),
            count("voorbereiding"),
            count("afgerond")
        ),
        (1, 1, 0)
    );
    assert_eq!(
        (
            projects.milestones_planned,
            projects.milestones_done,
            projects.milestones_on_time
        ),
        (3, 2, 1)
    );

    // Shares by largest remainder: 5.081,16 and 4.918,84; € 100 moved from Noord to Zuid.
    let w = &r.total.werkkapitaal;
    assert!(w.budgeted);
    assert_eq!(w.allocated_cents, 1_000_000);
    assert_eq!(w.committed_cents, 450_000);
    assert_eq!(w.spent_cents, 270_000);
    assert_eq!(w.remaining_cents, 530_000);
    assert_eq!(
        w.under_spending,
        ["Kernoverleg Zuid"],
        "nothing committed by 1 October"
    );
    let noord = r.kernen.iter().find(|k| k.name == "Noord").unwrap();
    assert_eq!(noord.werkkapitaal.allocated_cents, 498_116);
    assert_eq!(noord.werkkapitaal.remaining_cents, 148_116);

    let overview = p
        .store
        .budget_overview(2026, None, "2027-01-01".parse().unwrap())
        .unwrap()
        .unwrap();
    let shares: Vec<i64> = overview.parts.iter().map(|p| p.share_cents).collect();
    assert_eq!(shares, [508_116, 491_884]);
    assert_eq!(shares.iter().sum::<i64>(), overview.total_cents);
    // Before 1 October nobody is flagged yet.
    let early = p
        .store
        .budget_overview(2026, None, "2026-09-30".parse().unwrap())
        .unwrap()
        .unwrap();
    assert!(early.parts.iter().all(|p| !p.under_spending));
}

#[test]
fn one_kern_alone_and_a_year_without_data() {
    let p = proefdorp();
    let zuid = report(&p.store, 2026, Some(p.zuid));
    assert_eq!(zuid.area_name, "Zuid");
    assert_eq!(zuid.kernen.len(), 1);
    assert_eq!(zuid.total.action_points.opened, 2);
    assert_eq!(zuid.total.werkkapitaal.allocated_cents, 501_884);
    assert_eq!(
        zuid.total.projects.total, 1,
        "the municipal plan touches Zuid too"
    );
    assert!(zuid.departments.iter().all(|d| d.action_points.opened <= 2));
    let noord = report(&p.store, 2026, Some(p.noord));
    assert_eq!(noord.total.action_points.closed, 3);

    // Before anything happened: no data (the plan without dates runs every year, but that
    // alone is nothing to report).
    let empty = report(&p.store, 2023, None);
    assert!(!empty.has_data);
    assert_eq!(empty.total.action_points.opened, 0);
    assert!(empty.stale.is_empty());
    // Later, the points still open carry over (and are counted), but nothing happened.
    let later = report(&p.store, 2031, None);
    assert!(!later.has_data);
    assert_eq!(later.total.action_points.open_at_end, 2);
    assert!(
        !empty.tables().is_empty(),
        "an empty report still has its tables"
    );
}

#[test]
fn every_table_shows_the_figures_of_the_report() {
    let p = proefdorp();
    let r = report(&p.store, 2026, None);
    let tables = r.tables();
    let keys: Vec<&str> = tables.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "kerncijfers",
            "vergaderingen_per_kern",
            "actiepunten_per_kern",
            "actiepunten_per_afdeling",
            "projecten_per_kern",
            "werkkapitaal_per_kern",
            "stilstaande_actiepunten",
            "zonder_toelichting"
        ]
    );
    for table in &tables {
        for row in &table.rows {
            assert_eq!(row.len(), table.columns.len(), "{}", table.key);
        }
    }
    let per_kern = &tables[2];
    let total_row = per_kern.rows.last().unwrap();
    assert_eq!(total_row[0], Cell::Text("Totaal Gemeente Proefdorp".into()));
    assert_eq!(total_row[1], Cell::Count(6));
    assert_eq!(total_row[6], Cell::Share(Some(1.0 / 3.0)));
    let money = &tables[5];
    assert_eq!(money.rows.last().unwrap()[3], Cell::Cents(270_000));
}

#[test]
fn a_long_list_is_cut_for_reading_and_says_how_long_it_was_while_the_figures_stay() {
    let p = proefdorp();
    let mut r = report(&p.store, 2026, None);
    let line = |n: usize| ActionPointLine {
        id: format!("punt-{n}"),
        title: format!("Actiepunt {n}"),
        kern: None,
        owner: None,
        opened_on: "2026-01-05".into(),
        due_date: None,
        last_touched: "2026-01-05".into(),
    };
    r.stale = (0..5).map(line).collect();
    r.closed_without_comment = vec![line(9)];
    let figures = r.total.clone();

    let cut = r.cut_lists(2);

    assert_eq!(
        cut,
        vec![CutList {
            key: "stilstaande_actiepunten".into(),
            shown: 2,
            total: 5
        }]
    );
    let kept: Vec<&str> = r.stale.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(kept, ["punt-0", "punt-1"], "the first lines are kept");
    assert_eq!(r.closed_without_comment.len(), 1, "a short list is whole");
    assert_eq!(r.total, figures, "the figures count every point still");
    // The table a format prints is the cut list.
    let stale_table = r
        .tables()
        .into_iter()
        .find(|t| t.key == "stilstaande_actiepunten")
        .expect("the stale table");
    assert_eq!(stale_table.rows.len(), 2);
}
