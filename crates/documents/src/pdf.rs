//! PDFs with typst as a library. The templates (`src/templates/*.typ`) are fixed; the data goes
//! in as a JSON file (`/data.json`) and the charts as SVG files (`/charts/KEY.svg`) of a small
//! in-memory [`World`], so nothing from the records is ever parsed as typst markup: a name with
//! `#`, `*`, `$`, `<` or `\` in it prints as it is.

use crate::charts::report_charts;
use crate::dutch::{
    agreement_status, display_cell, dutch_date, dutch_date_of, dutch_integer, euros, is_numeric,
    participation_step, period_label, project_status, span_label, DEFINITIONS,
};
use crate::{report_title, DocumentError, REPORT_TITLE};
use jiff::civil::Date;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use wijkwerk_core::projects::{AgreementPage, KernOverview, ProjectView};
use wijkwerk_core::report::{Cell, YearReport};

const COMMON: &str = include_str!("templates/common.typ");
const REPORT: &str = include_str!("templates/report.typ");
const AGREEMENT: &str = include_str!("templates/agreement.typ");
const OVERVIEW: &str = include_str!("templates/overview.typ");

/// Which charts follow which table in the report.
const CHARTS_AFTER: &[(&str, &str)] = &[
    ("actiepunten_per_kern", "actiepunten_per_kern"),
    ("actiepunten_per_afdeling", "op_tijd_per_afdeling"),
    ("werkkapitaal_per_kern", "werkkapitaal_per_kern"),
];

/// How many lines of each list of action points the PDF prints (the XLSX and CSV hold them all).
const PDF_LIST_LIMIT: usize = 100;

/// The yearly report as a PDF, dated today (Amsterdam time).
pub fn report_pdf(report: &YearReport) -> Result<Vec<u8>, DocumentError> {
    report_pdf_on(report, wijkwerk_core::today())
}

/// The yearly report as a PDF with `generated` as its date: a title page, the contents, one
/// section per table with the charts, and the definitions ("Toelichting").
pub fn report_pdf_on(report: &YearReport, generated: Date) -> Result<Vec<u8>, DocumentError> {
    let charts = report_charts(report);
    let mut printed = report.clone();
    let cut = printed.cut_lists(PDF_LIST_LIMIT);
    let tables: Vec<Value> = printed
        .tables()
        .iter()
        .map(|t| {
            let numeric: Vec<bool> = (0..t.columns.len())
                .map(|c| c > 0 && t.rows.iter().any(|r| r.get(c).is_some_and(is_numeric)))
                .collect();
            let textual = t.rows.iter().any(|r| {
                r.iter().skip(1).any(|c| matches!(c, Cell::Text(_)))
            });
            let widths: Vec<f64> = (0..t.columns.len())
                .map(|c| match (c, textual) {
                    (0, true) => 2.4,
                    (0, false) if t.columns.len() > 4 => 1.6,
                    (0, false) => 3.0,
                    (_, true) => 1.2,
                    _ => 1.0,
                })
                .collect();
            let total_last = t.rows.last().and_then(|r| r.first()).is_some_and(|c| {
                matches!(c, Cell::Text(s) if s.starts_with("Totaal "))
            });
            // Lists of action points are printed to a length a council member reads; the
            // exports for work (XLSX, CSV) hold them whole.
            let more = cut.iter().find(|c| c.key == t.key).map(|c| {
                format!(
                    "Hierboven de eerste {} van {}; de volledige lijst staat in de export als XLSX of CSV.",
                    dutch_integer(c.shown as i64),
                    dutch_integer(c.total as i64)
                )
            });
            json!({
                "key": t.key,
                "title": t.title,
                "more": more,
                "caption": t.caption,
                "columns": t.columns,
                "right": numeric,
                "widths": widths,
                "wide": t.columns.len() > 7,
                "total_last": total_last,
                "rows": t.rows.iter().map(|r| r.iter().map(display_cell).collect::<Vec<_>>()).collect::<Vec<_>>(),
                "charts": CHARTS_AFTER.iter().filter(|(table, _)| *table == t.key)
                    .filter_map(|(_, chart)| charts.iter().find(|c| c.key == *chart))
                    .map(|c| json!({"key": c.key, "title": c.title}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let data = json!({
        "title": report_title(report),
        "heading": REPORT_TITLE,
        "area": report.area_name,
        "year": report.year.to_string(),
        "municipality": report.municipality,
        "addressee": format!("Aan de gemeenteraad van {}", place_name(&report.municipality)),
        "date": dutch_date_of(generated),
        "period": period_label(&report.period_start, &report.period_end),
        "running": report.running,
        "running_note": format!("Het jaar {} loopt nog: de cijfers gaan tot vandaag.", report.year),
        "has_data": report.has_data,
        "empty": format!("Voor {} zijn er geen gegevens in Wijkwerk.", report.year),
        "tables": tables,
        "definitions": DEFINITIONS,
        "stale_weeks": format!("In dit rapport geldt een actiepunt als stilstaand na {} weken zonder statuswijziging of reactie.", report.stale_weeks),
    });
    let files = charts
        .iter()
        .map(|c| (format!("/charts/{}.svg", c.key), c.svg.clone().into_bytes()))
        .collect();
    compile(REPORT, &data, files, generated)
}

/// A kernovereenkomst as the document to sign.
pub fn agreement_pdf(agreement: &AgreementPage) -> Result<Vec<u8>, DocumentError> {
    let a = agreement;
    let area_word = match a.area_kind.as_str() {
        "core" => "Kern",
        "district" => "Wijk",
        _ => "Gebied",
    };
    let mut facts = vec![[area_word.to_owned(), a.area.name.clone()]];
    if let Some(k) = &a.kernoverleg {
        facts.push(["Kernoverleg".into(), k.name.clone()]);
    }
    facts.push([
        "Looptijd".into(),
        span_label(Some(&a.period_start), Some(&a.period_end)),
    ]);
    facts.push(["Status".into(), agreement_status(&a.status)]);
    facts.push([
        "Vastgesteld op".into(),
        a.adopted_on
            .as_deref()
            .map_or("nog niet vastgesteld".into(), dutch_date),
    ]);
    let data = json!({
        "municipality": a.municipality,
        "kind": "Kernovereenkomst",
        "title": a.title,
        "footer": format!("Kernovereenkomst {}", a.area.name),
        "facts": facts,
        "notes": a.notes,
        "too_many": a.too_many_projects,
        "warning": "Deze overeenkomst bevat meer dan vier projecten; de afspraak is ten hoogste drie \u{e0} vier.",
        "projects": a.projects.iter().map(project_json).collect::<Vec<_>>(),
        "discussed": a.discussed.iter().map(|m| json!({
            "date": dutch_date(&m.starts_at),
            "meeting": m.parent_title,
            "text": m.text,
        })).collect::<Vec<_>>(),
        "budget": euros(a.budget_cents),
        "signatories": a.signatories.iter().map(|s| json!({
            "on_behalf_of": s.on_behalf_of,
            "name": s.name,
            "role": s.role,
        })).collect::<Vec<_>>(),
    });
    compile(AGREEMENT, &data, Vec::new(), wijkwerk_core::today())
}

/// "Jaaroverzicht {year}: plannen en projecten in {kern}", for the kern's associations.
pub fn kern_overview_pdf(overview: &KernOverview) -> Result<Vec<u8>, DocumentError> {
    let o = overview;
    let data = json!({
        "municipality": o.municipality,
        "title": format!("Jaaroverzicht {}: plannen en projecten in {}", o.year, o.kern.name),
        "footer": format!("Jaaroverzicht {} {}", o.year, o.kern.name),
        "intro": format!(
            "Dit overzicht is voor de verenigingen en inwoners van {}: de projecten in de kern en de plannen van de gemeente {} die {} in {} raken, met wie ze trekt, hoe u mee kunt doen en wanneer wat gebeurt.",
            o.kern.name,
            place_name(&o.municipality),
            o.kern.name,
            o.year
        ),
        "projects_heading": format!("Projecten in {}", o.kern.name),
        "plans_heading": format!("Plannen van de gemeente die {} raken", o.kern.name),
        "projects": o.projects.iter().map(project_json).collect::<Vec<_>>(),
        "plans": o.plans.iter().map(project_json).collect::<Vec<_>>(),
        "agreements": o.agreements.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        "none_projects": format!("Er lopen in {} geen projecten in {}.", o.year, o.kern.name),
        "none_plans": format!("Er zijn in {} geen gemeentelijke plannen die {} raken.", o.year, o.kern.name),
        "date": dutch_date_of(wijkwerk_core::today()),
    });
    compile(OVERVIEW, &data, Vec::new(), wijkwerk_core::today())
}

fn project_json(p: &ProjectView) -> Value {
    let names = |v: &[wijkwerk_core::projects::Named]| {
        v.iter()
            .map(|n| n.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut facts: Vec<[String; 2]> = Vec::new();
    if let Some(d) = &p.department {
        facts.push(["Afdeling".into(), d.name.clone()]);
    }
    if let Some(c) = &p.department_contact {
        facts.push(["Contactpersoon".into(), c.name.clone()]);
    }
    facts.push([
        "Participatie".into(),
        participation_step(&p.participation_step),
    ]);
    if !p.organisations.is_empty() {
        facts.push(["Betrokken organisaties".into(), names(&p.organisations)]);
    }
    if !p.contacts.is_empty() {
        facts.push(["Betrokken personen".into(), names(&p.contacts)]);
    }
    if !p.areas.is_empty() {
        facts.push(["Gebied".into(), names(&p.areas)]);
    }
    let period = span_label(p.start_date.as_deref(), p.end_date.as_deref());
    if !period.is_empty() {
        facts.push(["Looptijd".into(), period]);
    }
    facts.push([
        "Budget".into(),
        p.budget_cents
            .map_or("geen budget vastgelegd".into(), euros),
    ]);
    facts.push(["Status".into(), project_status(&p.status)]);
    json!({
        "title": p.title,
        "description": p.description,
        "facts": facts,
        "milestones": p.milestones.iter().map(|m| json!({
            "date": dutch_date(&m.date),
            "title": m.title,
            "done": m.done_on.as_deref().map_or("nee".to_owned(), |d| format!("ja, {}", dutch_date(d))),
        })).collect::<Vec<_>>(),
    })
}

// ---------------------------------------------------------------------------------------------
// The typst world: the templates, the data and the charts in memory, typst's own fonts.

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Fonts {
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

static LIBRARY: LazyLock<LazyHash<Library>> =
    LazyLock::new(|| LazyHash::new(Library::builder().build()));

struct DocWorld {
    main: FileId,
    sources: HashMap<String, Source>,
    files: HashMap<String, Bytes>,
    today: Date,
}

fn file_id(path: &str) -> Result<FileId, DocumentError> {
    let vpath = VirtualPath::new(path).map_err(|e| DocumentError::Pdf(format!("{path}: {e:?}")))?;
    Ok(FileId::new(RootedPath::new(VirtualRoot::Project, vpath)))
}

fn path_of(id: FileId) -> String {
    let rooted = id.get();
    match rooted.root() {
        VirtualRoot::Project => rooted.vpath().get_with_slash().to_owned(),
        VirtualRoot::Package(_) => String::new(),
    }
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }
    fn main(&self) -> FileId {
        self.main
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        let path = path_of(id);
        self.sources
            .get(&path)
            .cloned()
            .ok_or_else(|| FileError::NotFound(path.into()))
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let path = path_of(id);
        if let Some(bytes) = self.files.get(&path) {
            return Ok(bytes.clone());
        }
        match self.sources.get(&path) {
            Some(source) => Ok(Bytes::from_string(source.clone())),
            None => Err(FileError::NotFound(path.into())),
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Datetime::from_ymd(
            i32::from(self.today.year()),
            u8::try_from(self.today.month()).ok()?,
            u8::try_from(self.today.day()).ok()?,
        )
    }
}

/// Typesets `template` with `data` as `/data.json` and `files` beside it.
pub(crate) fn compile(
    template: &str,
    data: &Value,
    files: Vec<(String, Vec<u8>)>,
    today: Date,
) -> Result<Vec<u8>, DocumentError> {
    let main = file_id("/main.typ")?;
    let common = file_id("/common.typ")?;
    let mut sources = HashMap::new();
    sources.insert(
        "/main.typ".to_owned(),
        Source::new(main, template.to_owned()),
    );
    sources.insert(
        "/common.typ".to_owned(),
        Source::new(common, COMMON.to_owned()),
    );
    let mut map: HashMap<String, Bytes> = files
        .into_iter()
        .map(|(path, bytes)| (path, Bytes::new(bytes)))
        .collect();
    let json = serde_json::to_vec(data).map_err(|e| DocumentError::Pdf(e.to_string()))?;
    map.insert("/data.json".to_owned(), Bytes::new(json));
    let world = DocWorld {
        main,
        sources,
        files: map,
        today,
    };
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| DocumentError::Pdf(describe(&world, &errors)))?;
    let options = typst_pdf::PdfOptions {
        ident: typst::foundations::Smart::Custom("wijkwerk".into()),
        creator: typst::foundations::Smart::Custom(Some("Wijkwerk".into())),
        ..Default::default()
    };
    typst_pdf::pdf(&document, &options)
        .map_err(|errors| DocumentError::Pdf(describe(&world, &errors)))
}

fn describe(world: &DocWorld, errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| {
            let place = e
                .span
                .id()
                .and_then(|id| {
                    let source = world.source(id).ok()?;
                    let range = world.range(e.span)?;
                    let line = source.lines().byte_to_line(range.start)? + 1;
                    Some(format!("{}:{line}: ", path_of(id)))
                })
                .unwrap_or_default();
            let hints: String = e
                .hints
                .iter()
                .map(|h| format!(" (hint: {})", h.v))
                .collect();
            format!("{place}{}{hints}", e.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The municipality's place name for a sentence: "Gemeente Bergen" becomes "Bergen", so that
/// "de gemeenteraad van Bergen" does not say "gemeente" twice.
fn place_name(municipality: &str) -> &str {
    let trimmed = municipality.trim();
    match trimmed.get(..9) {
        Some(prefix) if prefix.eq_ignore_ascii_case("gemeente ") => trimmed[9..].trim_start(),
        _ => trimmed,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn place_names() {
        assert_eq!(super::place_name("Gemeente Bergen"), "Bergen");
        assert_eq!(super::place_name("gemeente  Oss"), "Oss");
        assert_eq!(super::place_name("Bergen"), "Bergen");
        assert_eq!(super::place_name("Gemeentebelangen"), "Gemeentebelangen");
        assert_eq!(super::place_name("Één"), "Één");
    }
}
