//! Dutch forms: dates, numbers and the words of the documents.

use jiff::civil::Date;
use wijkwerk_core::money::format_euros;
use wijkwerk_core::report::Cell;

/// The report's definitions in Dutch (the "Toelichting" of the PDF and the XLSX's first sheet):
/// the module documentation of `wijkwerk_core::report` and `budgets`, in sentences.
pub const DEFINITIONS: &[&str] = &[
    "Een jaar loopt van 1 januari 00:00 tot 1 januari 00:00, Amsterdamse tijd. Voor het lopende jaar telt het rapport tot het begin van vandaag; dat moment heet hieronder \u{2018}het einde\u{2019}.",
    "Gehouden vergaderingen: vergaderingen met de status gehouden die in het jaar begonnen. Aanwezigen: het aantal personen dat als aanwezig is geregistreerd, opgeteld over die vergaderingen.",
    "Gehouden kernbezoeken en wijkschouwen: bezoeken van die soort met de status gehouden in het jaar.",
    "De status van een actiepunt op een moment is de laatste statuswijziging daarvoor. Een actiepunt is afgehandeld als die status \u{2018}gereed\u{2019} is (op de dag van die wijziging) en vervallen als die \u{2018}geannuleerd\u{2019} is.",
    "Open aan het einde: geopend v\u{f3}\u{f3}r het einde en dan niet afgehandeld of vervallen. Te laat aan het einde: open aan het einde met een deadline die daarvoor ligt.",
    "Op tijd afgehandeld: afgehandeld op of v\u{f3}\u{f3}r de deadline, als aandeel van de actiepunten met een deadline die in het jaar zijn afgehandeld.",
    "Doorlooptijd: het aantal dagen van openen tot afhandelen, van de actiepunten die in het jaar zijn afgehandeld; de mediaan en het 90e percentiel (naaste rang).",
    "Stilstaand: open aan het einde en het ingestelde aantal weken niet bijgewerkt (geen statuswijziging en geen reactie). Afgehandeld zonder toelichting: afgehandeld in het jaar zonder opmerking of antwoord.",
    "Een actiepunt hoort bij de kern van zijn gebied, anders bij die van de organisatie die erom vroeg; bij een afdeling als die de eigenaar is.",
    "Projecten: de projecten waarvan de looptijd het jaar overlapt (zonder data: altijd), naar hun huidige status. Mijlpalen: gepland in het jaar, met hoeveel er zijn gehaald (op tijd: op of v\u{f3}\u{f3}r de geplande datum).",
    "Werkkapitaal: het jaarbudget van de gemeente, verdeeld over de kernoverleggen naar het aantal inwoners van de gebieden die elk vertegenwoordigt (grootste overschot, zodat de delen op de cent optellen tot het totaal).",
    "Verdeeld: het aandeel plus de vastgelegde aanpassingen van het kernoverleg (elk met een reden). Toegekend: de som van de toekenningen. Uitgegeven: de som van de uitgaven.",
    "Beschikbaar: verdeeld min wat vastligt: per toekenning het grootste van het bedrag en wat erop is betaald, plus uitgaven zonder toekenning.",
    "Onderbesteding: op de peildatum van het budget (standaard 1 oktober van het jaar) is minder dan de helft van het verdeelde bedrag toegekend.",
];

/// `2027-03-01` as "1 maart 2027"; text that is not a date stays as it is.
pub fn dutch_date(text: &str) -> String {
    match text.get(..10).unwrap_or(text).parse::<Date>() {
        Ok(date) => dutch_date_of(date),
        Err(_) => text.to_owned(),
    }
}

pub(crate) fn dutch_date_of(date: Date) -> String {
    wijkwerk_calendar::dutch::long_date(date)
}

/// "1 januari 2026 t/m 31 december 2026" from a start and the day after the end.
pub(crate) fn period_label(start: &str, end_exclusive: &str) -> String {
    let last = end_exclusive
        .parse::<Date>()
        .ok()
        .and_then(|d| d.yesterday().ok())
        .map(dutch_date_of)
        .unwrap_or_else(|| end_exclusive.to_owned());
    format!("{} t/m {last}", dutch_date(start))
}

/// "1 maart 2027 t/m 30 juni 2027", "vanaf …", "tot en met …", or "".
pub(crate) fn span_label(start: Option<&str>, end: Option<&str>) -> String {
    match (start, end) {
        (Some(s), Some(e)) => format!("{} t/m {}", dutch_date(s), dutch_date(e)),
        (Some(s), None) => format!("vanaf {}", dutch_date(s)),
        (None, Some(e)) => format!("tot en met {}", dutch_date(e)),
        (None, None) => String::new(),
    }
}

/// A whole number with thousands dots: `12.345`.
pub(crate) fn dutch_integer(n: i64) -> String {
    wijkwerk_core::money::format_integer(n)
}

/// A share (0..1) as a percentage with one decimal and a comma: `87,5`.
pub(crate) fn percent(share: f64) -> String {
    format!("{:.1}", share * 100.0).replace('.', ",")
}

/// Cents as a plain number for a spreadsheet: `1234,56`, `-12,00`.
pub(crate) fn plain_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// A cell as the CSV writes it (what Dutch Excel reads as a number, a date or text).
pub(crate) fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Count(n) => n.to_string(),
        Cell::Cents(c) => plain_amount(*c),
        Cell::Share(s) => s.map(percent).unwrap_or_default(),
        Cell::Days(d) => d.map(|d| d.to_string()).unwrap_or_default(),
        Cell::Date(d) => d.clone().unwrap_or_default(),
        Cell::Flag(f) => yes_no(*f).to_owned(),
    }
}

/// A cell as a person reads it on paper: `1.234`, `€ 1.234,56`, `87,5%`, `1 maart 2027`.
pub(crate) fn display_cell(cell: &Cell) -> String {
    const NONE: &str = "\u{2013}";
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Count(n) => dutch_integer(*n),
        Cell::Cents(c) => format_euros(*c),
        Cell::Share(s) => s.map_or(NONE.to_owned(), |s| format!("{}%", percent(s))),
        Cell::Days(d) => d.map_or(NONE.to_owned(), dutch_integer),
        Cell::Date(d) => d.as_deref().map_or(NONE.to_owned(), dutch_date),
        Cell::Flag(f) => yes_no(*f).to_owned(),
    }
}

pub(crate) fn is_numeric(cell: &Cell) -> bool {
    !matches!(cell, Cell::Text(_) | Cell::Date(_) | Cell::Flag(_))
}

pub(crate) fn yes_no(flag: bool) -> &'static str {
    if flag {
        "ja"
    } else {
        "nee"
    }
}

/// An amount in euros, Dutch form, for the documents (`€ 1.234,56`).
pub(crate) fn euros(cents: i64) -> String {
    format_euros(cents)
}

pub(crate) fn project_status(status: &str) -> String {
    wijkwerk_core::report::project_status_label(status)
}

pub(crate) fn agreement_status(status: &str) -> String {
    match status {
        "concept" => "Concept".into(),
        "vastgesteld" => "Vastgesteld".into(),
        "afgerond" => "Afgerond".into(),
        other => other.to_owned(),
    }
}

pub(crate) fn participation_step(step: &str) -> String {
    match step {
        "informeren" => "Informeren".into(),
        "raadplegen" => "Raadplegen".into(),
        "adviseren" => "Adviseren".into(),
        "coproduceren" => "Coproduceren".into(),
        "meebeslissen" => "Meebeslissen".into(),
        "" => "\u{2013}".into(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_forms() {
        assert_eq!(dutch_date("2027-03-01"), "1 maart 2027");
        assert_eq!(dutch_date("2026-12-31T10:00:00Z"), "31 december 2026");
        assert_eq!(dutch_date("soon"), "soon");
        assert_eq!(
            period_label("2026-01-01", "2027-01-01"),
            "1 januari 2026 t/m 31 december 2026"
        );
        assert_eq!(dutch_integer(1234567), "1.234.567");
        assert_eq!(dutch_integer(-12), "-12");
        assert_eq!(plain_amount(123456), "1234,56");
        assert_eq!(plain_amount(-5), "-0,05");
        assert_eq!(percent(0.875), "87,5");
        assert_eq!(display_cell(&Cell::Share(Some(1.0))), "100,0%");
    }
}
