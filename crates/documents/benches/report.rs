//! Benchmark of the yearly report (prints figures; not a test): on a store of 100,000 contacts,
//! 20,000 meetings and 200,000 action points (the store benchmark's generator), with a
//! werkkapitaal, projects and milestones added, it measures the report for one year (goal
//! ≤ 1 s), the tables, the charts, and the PDF and XLSX exports (goal ≤ 2 s each).
//!
//! Run: `cargo bench -p wijkwerk-documents --bench report`. Scale with WIJKWERK_BENCH_SCALE=0.1;
//! keep the generated store for the next run with WIJKWERK_BENCH_DIR=DIR.

#[path = "../../core/benches/support/mod.rs"]
mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::{generate, obj, report, scale};
use wijkwerk_core::report::ReportRequest;
use wijkwerk_core::{Entity, Store, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scale = scale();
    let today: jiff::civil::Date = "2026-11-24".parse()?;
    println!("Wijkwerk report benchmark (scale {scale})");
    // WIJKWERK_BENCH_DIR keeps the generated store there and uses it again on the next run.
    let temp = tempfile::tempdir()?;
    let dir = std::env::var_os("WIJKWERK_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    let store = if dir.join("wijkwerk.sqlite3").is_file() {
        println!("using the store in {}", dir.display());
        Store::open(&dir)?
    } else {
        std::fs::create_dir_all(&dir)?;
        generate(
            &dir,
            (100_000.0 * scale) as usize,
            (20_000.0 * scale) as usize,
            (200_000.0 * scale) as usize,
            (2_000.0 * scale).max(10.0) as usize,
            today,
        )?;
        let mut store = Store::open(&dir)?;
        add_money_and_projects(&mut store)?;
        store
    };
    let request = ReportRequest {
        year: 2026,
        area_id: None,
        stale_weeks: None,
    };
    let mut samples = Vec::new();
    let mut last = None;
    for _ in 0..10 {
        let t = Instant::now();
        let r = store.year_report(&request, today)?;
        samples.push(t.elapsed());
        last = Some(r);
    }
    report("report for one year (whole municipality)", samples);
    let Some(year) = last else { return Ok(()) };
    println!(
        "  (action points opened {}, closed {}, open {}; meetings held {})",
        year.total.action_points.opened,
        year.total.action_points.closed,
        year.total.action_points.open_at_end,
        year.total.meetings.iter().map(|m| m.held).sum::<i64>()
    );
    let kern = year.kernen.first().and_then(|k| k.area_id.clone());
    let one_kern = ReportRequest {
        area_id: kern,
        ..request.clone()
    };
    report(
        "report for one year (one kern)",
        time(5, || store.year_report(&one_kern, today).map(drop))?,
    );
    report(
        "tables",
        time(20, || {
            std::hint::black_box(year.tables());
            Ok::<(), std::convert::Infallible>(())
        })?,
    );
    report(
        "charts (SVG)",
        time(20, || {
            std::hint::black_box(wijkwerk_documents::report_charts(&year));
            Ok::<(), std::convert::Infallible>(())
        })?,
    );
    let mut size = 0;
    report(
        "PDF export",
        time(5, || {
            wijkwerk_documents::report_pdf(&year).map(|b| size = b.len())
        })?,
    );
    println!("  (PDF {:.0} kB)", size as f64 / 1e3);
    report(
        "XLSX export",
        time(5, || {
            wijkwerk_documents::report_xlsx(&year).map(|b| size = b.len())
        })?,
    );
    println!("  (XLSX {:.0} kB)", size as f64 / 1e3);
    report(
        "CSV export",
        time(5, || {
            wijkwerk_documents::report_csv(&year, None).map(|b| size = b.len())
        })?,
    );
    Ok(())
}

fn time<E>(rounds: usize, mut f: impl FnMut() -> Result<(), E>) -> Result<Vec<Duration>, E> {
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        f()?;
        samples.push(t.elapsed());
    }
    Ok(samples)
}

/// A werkkapitaal for 2026 over a kernoverleg per kern, 400 commitments with payments, and 200
/// projects with milestones.
fn add_money_and_projects(store: &mut Store) -> Result<(), Box<dyn std::error::Error>> {
    let areas = store.area_tree()?;
    let Some(municipality) = areas.iter().find(|a| a.kind == "municipality") else {
        return Ok(());
    };
    let kernen: Vec<_> = areas.iter().filter(|a| a.kind == "core").collect();
    let department = Write::create(
        Entity::Organisation,
        obj(json!({"name": "Beheer Openbare Ruimte (bench)", "kind": "department"})),
    );
    let department_id = department.id;
    let budget = Write::create(
        Entity::Budget,
        obj(json!({"area_id": municipality.id, "year": 2026, "total_cents": 9_600_000})),
    );
    let budget_id = budget.id;
    let mut batch = vec![department, budget];
    let mut kernoverleggen = Vec::new();
    for kern in &kernen {
        let ko = Write::create(
            Entity::Organisation,
            obj(
                json!({"name": format!("Kernoverleg {}", kern.name), "kind": "kernoverleg", "area_ids": [kern.id]}),
            ),
        );
        kernoverleggen.push(ko.id);
        batch.push(ko);
    }
    // A year's budget has an id of its own making (the same on every laptop): the one written.
    let committed = store.write(batch)?;
    let budget_id = committed
        .records
        .iter()
        .find(|(entity, _)| *entity == Entity::Budget)
        .map_or(budget_id, |(_, id)| *id);
    let mut batch = Vec::new();
    for i in 0..400 {
        let ko = kernoverleggen[i % kernoverleggen.len()];
        let c = Write::create(
            Entity::Commitment,
            obj(
                json!({"budget_id": budget_id, "kernoverleg_id": ko, "date": format!("2026-{:02}-10", 1 + i % 11),
                       "amount_cents": 10_000 + i * 37, "description": format!("Initiatief {i}")}),
            ),
        );
        let cid = c.id;
        batch.push(c);
        batch.push(Write::create(
            Entity::Payment,
            obj(
                json!({"commitment_id": cid, "budget_id": budget_id, "kernoverleg_id": ko,
                       "date": format!("2026-{:02}-20", 1 + i % 11), "amount_cents": 9_000 + i * 40,
                       "description": format!("Betaling {i}")}),
            ),
        ));
    }
    for i in 0..200 {
        let kern = &kernen[i % kernen.len()];
        let status = ["idee", "voorbereiding", "uitvoering", "afgerond"][i % 4];
        let p = Write::create(
            Entity::Project,
            obj(
                json!({"title": format!("Project {i}"), "area_ids": [kern.id], "department_id": department_id,
                       "status": status,
                       "start_date": "2026-01-01", "end_date": "2027-12-31", "budget_cents": 500_000}),
            ),
        );
        let pid = p.id;
        batch.push(p);
        for m in 0..4 {
            batch.push(Write::create(
                Entity::Milestone,
                obj(json!({"project_id": pid, "date": format!("2026-{:02}-01", 2 + m * 3), "title": "Stap",
                           "done_on": (m < 2).then(|| format!("2026-{:02}-03", 2 + m * 3))})),
            ));
        }
    }
    store.write(batch)?;
    Ok(())
}
