//! The inzage document (AVG art. 15): everything Wijkwerk holds about one person, as a PDF
//! (typst, like the other documents) or as one self-contained HTML file (every value escaped,
//! no script, no remote content). Both are made from the same sections, in Dutch.

use crate::dutch::dutch_date;
use crate::pdf::compile;
use crate::DocumentError;
use serde_json::{json, Value};
use wijkwerk_core::privacy::SubjectAccess;

const ACCESS: &str = include_str!("templates/access.typ");

/// One part of the document: a heading, a sentence, and a table.
struct Section {
    heading: String,
    intro: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn section(heading: &str, intro: &str, header: &[&str], rows: Vec<Vec<String>>) -> Section {
    Section {
        heading: heading.into(),
        intro: intro.into(),
        header: header.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}

/// The legal basis in words.
pub fn legal_basis_label(basis: &str) -> &'static str {
    match basis {
        "publieke_taak" => "Taak van algemeen belang (publieke taak), AVG art. 6 lid 1 sub e",
        "gerechtvaardigd_belang" => "Gerechtvaardigd belang, AVG art. 6 lid 1 sub f",
        "toestemming" => "Toestemming, AVG art. 6 lid 1 sub a",
        _ => "onbekend",
    }
}

/// The Dutch name of a contact field.
fn field_label(field: &str) -> String {
    match field {
        "name" => "Naam",
        "email" => "E-mailadres",
        "phone" => "Telefoon",
        "mobile" => "Mobiel",
        "address" => "Adres",
        "postcode" => "Postcode",
        "city" => "Plaats",
        "notes" => "Notities",
        "legal_basis" => "Grondslag",
        "consent_date" => "Datum toestemming",
        "source" => "Herkomst",
        "anonymised_on" => "Geanonimiseerd op",
        "deleted" => "Verwijderd",
        "id" => "Kenmerk",
        other => other,
    }
    .to_owned()
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "ja".into(),
        Value::Bool(false) => "nee".into(),
        other => other.to_string(),
    }
}

fn opt(text: &Option<String>) -> String {
    text.as_deref().map_or("—".into(), dutch_date)
}

fn sections(a: &SubjectAccess) -> (Vec<[String; 2]>, Vec<Section>) {
    let facts = vec![
        ["Naam".into(), a.name.clone()],
        ["Kenmerk".into(), a.contact_id.clone()],
        [
            "Grondslag".into(),
            format!(
                "{}{}",
                legal_basis_label(&a.legal_basis),
                if a.legal_basis_recorded {
                    ""
                } else {
                    " (niet vastgelegd; de standaard)"
                }
            ),
        ],
        [
            "Bewaartermijn".into(),
            format!(
                "{} dagen na de laatste rol en de laatste betrokkenheid",
                a.retention_days
            ),
        ],
        ["Opgesteld op".into(), dutch_date(&a.generated_on)],
    ];
    let mut out = Vec::new();
    let contact_rows = a
        .contact
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .map(|(k, v)| vec![field_label(k), value_text(v)])
                .collect()
        })
        .unwrap_or_default();
    out.push(section(
        "Persoonsgegevens",
        "De gegevens van de persoon zoals ze nu zijn opgeslagen.",
        &["Gegeven", "Waarde"],
        contact_rows,
    ));
    out.push(section(
        "Wanneer vastgelegd",
        "Wanneer elk gegeven het laatst is geschreven, en door welke installatie (een laptop of de server). Wijkwerk bewaart de huidige waarde van elk gegeven, geen volledige geschiedenis; eerdere waarden die botsten staan bij \u{201c}Conflicten\u{201d}.",
        &["Gegeven", "Geschreven op (UTC)", "Installatie"],
        a.field_history
            .iter()
            .map(|f| vec![field_label(&f.field), f.written_at.clone(), f.written_by.clone()])
            .collect(),
    ));
    out.push(section(
        "Rollen door de tijd",
        "Functies bij verenigingen, overleggen, partners en de gemeente.",
        &["Organisatie", "Rol", "Titel", "Van", "Tot", "Verwijderd"],
        a.roles
            .iter()
            .map(|r| {
                vec![
                    r.organisation.clone(),
                    r.kind.clone(),
                    r.title.clone().unwrap_or_else(|| "—".into()),
                    opt(&r.start_date),
                    opt(&r.end_date),
                    if r.deleted { "ja" } else { "nee" }.into(),
                ]
            })
            .collect(),
    ));
    out.push(section(
        "Vergaderingen",
        "Vergaderingen waarvoor de persoon is uitgenodigd of waarbij de aanwezigheid is vastgelegd.",
        &["Datum", "Vergadering", "Aanwezigheid"],
        a.meetings
            .iter()
            .map(|m| vec![dutch_date(&m.starts_at), m.title.clone(), m.status.clone()])
            .collect(),
    ));
    out.push(section(
        "Bezoeken",
        "Kernbezoeken en wijkschouwen waarvoor de persoon is uitgenodigd.",
        &["Datum", "Bezoek", "Antwoord"],
        a.visits
            .iter()
            .map(|v| {
                vec![
                    dutch_date(&v.starts_at),
                    v.title.clone(),
                    v.response.clone(),
                ]
            })
            .collect(),
    ));
    let mut point_rows = Vec::new();
    for p in &a.action_points {
        point_rows.push(vec![
            dutch_date(&p.opened_on),
            p.title.clone(),
            p.relation.clone(),
            p.status.clone(),
        ]);
        for e in &p.history {
            point_rows.push(vec![
                dutch_date(&e.at),
                format!(
                    "  \u{2192} {}{}",
                    e.to_status.clone().unwrap_or_else(|| e.kind.clone()),
                    e.comment
                        .as_deref()
                        .map(|c| format!(": {c}"))
                        .unwrap_or_default()
                ),
                e.author.clone().unwrap_or_default(),
                String::new(),
            ]);
        }
    }
    out.push(section(
        "Actiepunten",
        "Actiepunten waarvan de persoon de aanvrager (requester) of de eigenaar (owner) is, met hun geschiedenis.",
        &["Datum", "Actiepunt", "Betrokken als", "Status"],
        point_rows,
    ));
    out.push(section(
        "Projecten",
        "Projecten waarbij de persoon contactpersoon of betrokken is.",
        &["Project", "Betrokken als"],
        a.projects
            .iter()
            .map(|p| vec![p.title.clone(), p.relation.clone()])
            .collect(),
    ));
    out.push(section(
        "Vermeldingen",
        "Andere gegevens waarvan de tekst de naam van de persoon bevat.",
        &["Soort", "Titel"],
        a.mentions
            .iter()
            .map(|m| vec![m.entity.clone(), m.title.clone()])
            .collect(),
    ));
    out.push(section(
        "Conflicten",
        "Waarden die bij het samenvoegen van wijzigingen van twee laptops verloren, en zijn bewaard.",
        &["Gegeven", "Verloren waarde", "Gebleven waarde", "Vastgelegd"],
        a.conflicts
            .iter()
            .map(|c| {
                vec![
                    format!("{}.{}", c.entity, c.field),
                    value_text(&c.lost_value),
                    value_text(&c.won_value),
                    c.recorded_at.clone(),
                ]
            })
            .collect(),
    ));
    out.push(section(
        "Nog niet verzonden",
        "Wijzigingen op deze laptop die nog naar de server van de gemeente gaan.",
        &["Vastgelegd (UTC)", "Gegeven", "Waarden"],
        a.pending_changes
            .iter()
            .map(|p| {
                vec![
                    p.recorded_at.clone(),
                    p.entity.clone(),
                    p.fields
                        .iter()
                        .map(|(k, v)| format!("{}: {}", field_label(k), value_text(v)))
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            })
            .collect(),
    ));
    out.push(section(
        "Ingelezen lijsten",
        "Contactlijsten die op deze laptop zijn ingelezen en de persoon hebben toegevoegd of aangevuld.",
        &["Ingelezen op", "Bestand", "Teruggedraaid op"],
        a.imports
            .iter()
            .map(|i| vec![i.imported_at.clone(), i.source.clone(), opt(&i.undone_at)])
            .collect(),
    ));
    (facts, out)
}

const TITLE: &str = "Inzage persoonsgegevens";

/// The inzage as a PDF.
pub fn access_pdf(access: &SubjectAccess) -> Result<Vec<u8>, DocumentError> {
    let (facts, sections) = sections(access);
    let data = json!({
        "title": format!("{TITLE}: {}", access.name),
        "footer": format!("{TITLE} {}", access.name),
        "facts": facts,
        "sections": sections.iter().map(|s| json!({
            "heading": s.heading,
            "intro": s.intro,
            "header": s.header,
            "rows": s.rows,
        })).collect::<Vec<_>>(),
    });
    let today = access
        .generated_on
        .parse()
        .unwrap_or_else(|_| wijkwerk_core::today());
    compile(ACCESS, &data, Vec::new(), today)
}

/// The inzage as one HTML file: no script, no style sheet or image from elsewhere.
pub fn access_html(access: &SubjectAccess) -> String {
    let (facts, sections) = sections(access);
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    html.push_str(&format!(
        "<title>{}</title>\n",
        escape(&format!("{TITLE}: {}", access.name))
    ));
    html.push_str(
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
         h1,h2{color:#1f5fa8}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}\
         th,td{text-align:left;vertical-align:top;padding:.25rem .5rem;border-bottom:1px solid #ddd}\
         th{background:#eee}.facts th{background:none;color:#666;width:12rem}\
         .empty{color:#666;font-style:italic}</style>\n</head>\n<body>\n",
    );
    html.push_str(&format!(
        "<h1>{}</h1>\n<table class=\"facts\">\n",
        escape(&format!("{TITLE}: {}", access.name))
    ));
    for [label, value] in &facts {
        html.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            escape(label),
            escape(value)
        ));
    }
    html.push_str("</table>\n");
    for s in &sections {
        html.push_str(&format!(
            "<h2>{}</h2>\n<p>{}</p>\n",
            escape(&s.heading),
            escape(&s.intro)
        ));
        if s.rows.is_empty() {
            html.push_str("<p class=\"empty\">Geen.</p>\n");
            continue;
        }
        html.push_str("<table>\n<tr>");
        for h in &s.header {
            html.push_str(&format!("<th>{}</th>", escape(h)));
        }
        html.push_str("</tr>\n");
        for row in &s.rows {
            html.push_str("<tr>");
            for cell in row {
                html.push_str(&format!("<td>{}</td>", escape(cell)));
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</table>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

/// Text as HTML text and attribute content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_in_a_value_is_text() {
        assert_eq!(
            super::escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
