//! The web pages' HTML (maud: every value escaped). Dutch, no scripts, one style sheet; made to
//! be read by a screen reader and used with the keyboard (labels, headings, a skip link, a
//! visible focus).

use super::points::{
    dutch_date, status_name, Answer, HistoryEntry, ListPage, PointDetail, PointSummary,
    COMMENT_MAX, PAGE_SIZE, WEB_STATUSES,
};
use maud::{html, Markup, DOCTYPE};

/// A message at the top of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Done(String),
    Refused(String),
}

/// Who is signed in, for the header.
pub struct Header<'a> {
    pub name: &'a str,
    pub department: Option<&'a str>,
    pub csrf: &'a str,
}

pub fn layout(
    title: &str,
    header: Option<&Header<'_>>,
    notice: Option<&Notice>,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="nl" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – Wijkwerk" }
                link rel="stylesheet" href="/stijl.css";
            }
            body {
                a class="skip" href="#inhoud" { "Naar de inhoud" }
                header {
                    p class="brand" { "Wijkwerk" }
                    @if let Some(h) = header {
                        p class="who" {
                            (h.name)
                            @if let Some(d) = h.department { " · " (d) }
                        }
                        form method="post" action="/afmelden" class="signout" {
                            input type="hidden" name="csrf" value=(h.csrf);
                            button type="submit" { "Afmelden" }
                        }
                    }
                }
                main id="inhoud" {
                    @match notice {
                        Some(Notice::Done(text)) => p class="notice done" role="status" { (text) },
                        Some(Notice::Refused(text)) => p class="notice refused" role="alert" { (text) },
                        None => {},
                    }
                    (body)
                }
            }
        }
    }
}

/// Which ways of signing in the server offers.
pub struct SignInChoices {
    /// A mail server and the public address: sign-in links.
    pub links: bool,
    /// A mail server (without the public address no link can be made).
    pub mail: bool,
}

pub fn sign_in(
    csrf: &str,
    notice: Option<&Notice>,
    choices: SignInChoices,
    email: &str,
    back: Option<&str>,
) -> Markup {
    layout(
        "Aanmelden",
        None,
        notice,
        html! {
            h1 { "Aanmelden" }
            p { "Hier ziet u de actiepunten van uw afdeling die wijkcoördinatoren bij u hebben uitgezet, en geeft u antwoord." }
            section aria-labelledby="met-link" {
                h2 id="met-link" { "Met een link per e-mail" }
                @if choices.links {
                    form method="post" action="/aanmelden/link" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="link-email" { "Uw e-mailadres" }
                        input id="link-email" type="email" name="email" autocomplete="email" required value=(email);
                        button type="submit" { "Stuur mij een link" }
                    }
                } @else if choices.mail {
                    p { "Op deze server is het adres van de pagina niet ingesteld: aanmelden met een link kan nu niet. Meld u aan met uw wachtwoord." }
                } @else {
                    p { "Er is op deze server geen mailserver ingesteld: aanmelden met een link kan nu niet, en er worden geen herinneringen verstuurd. Meld u aan met uw wachtwoord." }
                }
            }
            section aria-labelledby="met-wachtwoord" {
                h2 id="met-wachtwoord" { "Met een wachtwoord" }
                form method="post" action="/aanmelden" {
                    input type="hidden" name="csrf" value=(csrf);
                    @if let Some(back) = back { input type="hidden" name="naar" value=(back); }
                    label for="email" { "E-mailadres" }
                    input id="email" type="email" name="email" autocomplete="username" required value=(email);
                    label for="wachtwoord" { "Wachtwoord" }
                    input id="wachtwoord" type="password" name="password" autocomplete="current-password" required;
                    button type="submit" { "Aanmelden" }
                }
            }
        },
    )
}

pub fn link_confirm(csrf: &str, token: &str) -> Markup {
    layout(
        "Aanmelden met uw link",
        None,
        None,
        html! {
            h1 { "Aanmelden met uw link" }
            p { "Deze link werkt één keer en is kort geldig. Klik op de knop om u aan te melden." }
            form method="post" action={ "/aanmelden/link/" (token) } {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Aanmelden" }
            }
        },
    )
}

pub fn message(title: &str, text: &str, back: Option<(&str, &str)>) -> Markup {
    layout(
        title,
        None,
        None,
        html! {
            h1 { (title) }
            p { (text) }
            @if let Some((href, label)) = back { p { a href=(href) { (label) } } }
        },
    )
}

fn due(point: &PointSummary) -> Markup {
    html! {
        @match point.due_date {
            Some(d) => {
                (dutch_date(d))
                @if point.overdue { " " strong class="overdue" { "te laat" } }
            },
            None => span class="muted" { "geen termijn" },
        }
    }
}

pub fn list(header: &Header<'_>, page: &ListPage, notice: Option<&Notice>) -> Markup {
    let title = if page.query.closed {
        "Afgesloten actiepunten"
    } else {
        "Actiepunten van uw afdeling"
    };
    layout(
        title,
        Some(header),
        notice,
        html! {
            h1 { (title) }
            p class="summary" {
                (page.open) " open"
                @if page.overdue > 0 { ", waarvan " strong class="overdue" { (page.overdue) " te laat" } }
                ". "
                @if page.query.closed {
                    a href="/" { "Naar de open actiepunten" }
                } @else {
                    a href="/?afgesloten=1" { "Afgesloten actiepunten bekijken" }
                }
            }
            @if page.points.is_empty() {
                p { @if page.query.closed { "Er zijn geen afgesloten actiepunten." } @else { "Er staan geen open actiepunten voor uw afdeling." } }
            } @else {
                table {
                    caption class="visually-hidden" { (title) ", te laat eerst, dan op termijn" }
                    thead { tr {
                        th scope="col" { "Actiepunt" }
                        th scope="col" { "Gebied" }
                        th scope="col" { "Aangevraagd door" }
                        th scope="col" { "Termijn" }
                        th scope="col" { "Status" }
                    } }
                    tbody {
                        @for p in &page.points {
                            tr class=[p.overdue.then_some("late")] {
                                td { a href={ "/punten/" (p.id) } { (p.title) } }
                                td { (p.area.as_deref().unwrap_or("–")) }
                                td { (p.requester.as_deref().unwrap_or("–")) }
                                td { (due(p)) }
                                td { (status_name(&p.status)) }
                            }
                        }
                    }
                }
                @if page.pages() > 1 {
                    nav aria-label="Pagina's" class="pages" {
                        @let base = if page.query.closed { "/?afgesloten=1&" } else { "/?" };
                        @if page.query.page > 0 {
                            a href={ (base) "pagina=" (page.query.page) } rel="prev" { "Vorige" }
                        }
                        span { "Pagina " (page.query.page + 1) " van " (page.pages()) " (" (page.total) " actiepunten, " (PAGE_SIZE) " per pagina)" }
                        @if page.query.page + 1 < page.pages() {
                            a href={ (base) "pagina=" (page.query.page + 2) } rel="next" { "Volgende" }
                        }
                    }
                }
            }
        },
    )
}

fn history_entry(h: &HistoryEntry) -> Markup {
    html! {
        li {
            p class="meta" {
                @if let Some(at) = h.at {
                    @let local = at.to_zoned(jiff::tz::TimeZone::get(wijkwerk_calendar::DEFAULT_TIME_ZONE).unwrap_or(jiff::tz::TimeZone::UTC));
                    time datetime=(at.to_string()) { (dutch_date(local.date())) " " (local.strftime("%H:%M")) }
                }
                @if let Some(a) = &h.author { " · " (a) }
                @if h.from_web { " · via de webpagina" }
            }
            p {
                @match h.kind.as_str() {
                    "status_change" => {
                        "Status: "
                        @if let Some(f) = &h.from_status { (status_name(f)) " → " }
                        (status_name(h.to_status.as_deref().unwrap_or("?")))
                        @if let Some(c) = &h.comment { ". " (c) }
                    },
                    "due_date_proposal" => {
                        "Nieuwe termijn voorgesteld"
                        @if let Some(d) = h.proposed_due_date { ": " (dutch_date(d)) }
                        @if let Some(c) = &h.comment { ". Reden: " (c) }
                    },
                    "reminder_request" => { "Herinnering gevraagd" },
                    _ => { (h.comment.as_deref().unwrap_or("")) },
                }
            }
        }
    }
}

/// What the forms of a point's page held when an answer was refused (kept, so nothing typed is
/// lost).
#[derive(Debug, Default, Clone)]
pub struct Typed {
    pub answer: Option<Answer>,
}

pub fn point(
    header: &Header<'_>,
    point: &PointDetail,
    notice: Option<&Notice>,
    typed: &Typed,
    today: jiff::civil::Date,
) -> Markup {
    let p = &point.summary;
    let (status_to, status_comment) = match &typed.answer {
        Some(Answer::Status { to, comment, .. }) => (to.as_str(), comment.as_str()),
        _ => ("", ""),
    };
    let (date, reason) = match &typed.answer {
        Some(Answer::DueDate { date, reason }) => (date.as_str(), reason.as_str()),
        _ => ("", ""),
    };
    let comment = match &typed.answer {
        Some(Answer::Comment { text }) => text.as_str(),
        _ => "",
    };
    let max = COMMENT_MAX.to_string();
    layout(
        &p.title,
        Some(header),
        notice,
        html! {
            p { a href="/" { "← Alle actiepunten" } }
            h1 { (p.title) }
            dl class="facts" {
                dt { "Status" } dd { (status_name(&p.status)) }
                dt { "Termijn" } dd { (due(p)) }
                dt { "Gebied" } dd { (p.area.as_deref().unwrap_or("–")) }
                dt { "Aangevraagd door" } dd { (p.requester.as_deref().unwrap_or("–")) }
                @if let Some(d) = &point.department { dt { "Afdeling" } dd { (d) } }
                @if let Some(d) = point.opened_on { dt { "Geopend" } dd { (dutch_date(d)) } }
            }
            @if let Some(d) = &p.description {
                h2 { "Omschrijving" }
                p class="description" { (d) }
            }
            h2 { "Geschiedenis" }
            @if point.history.is_empty() {
                p { "Nog niets." }
            } @else {
                ol class="history" { @for h in &point.history { (history_entry(h)) } }
            }
            h2 { "Antwoorden" }
            @if !point.closed() {
                form method="post" action={ "/punten/" (p.id) "/status" } {
                    input type="hidden" name="csrf" value=(header.csrf);
                    @if let Some(seen) = point.record.fields.get("status") {
                        input type="hidden" name="seen" value=(seen.hlc.to_string());
                    }
                    input type="hidden" name="seen_status" value=(p.status);
                    fieldset {
                        legend { "Status wijzigen" }
                        label for="status" { "Nieuwe status" }
                        select id="status" name="status" required {
                            @for s in WEB_STATUSES {
                                option value=(s) selected[*s == status_to || (status_to.is_empty() && *s == p.status)] { (status_name(s)) }
                            }
                        }
                        label for="status-opmerking" { "Toelichting (wat is er gedaan of waar wacht het op)" }
                        textarea id="status-opmerking" name="comment" rows="3" maxlength=(max) { (status_comment) }
                        button type="submit" { "Status opslaan" }
                    }
                }
                form method="post" action={ "/punten/" (p.id) "/termijn" } {
                    input type="hidden" name="csrf" value=(header.csrf);
                    fieldset {
                        legend { "Andere termijn voorstellen" }
                        p class="hint" { "De coördinator beslist over de termijn; uw voorstel komt in de geschiedenis." }
                        label for="termijn" { "Voorgestelde datum" }
                        input id="termijn" type="date" name="due_date" required min=(today.to_string()) value=(date);
                        label for="reden" { "Reden" }
                        textarea id="reden" name="reason" rows="2" required maxlength=(max) { (reason) }
                        button type="submit" { "Termijn voorstellen" }
                    }
                }
            } @else {
                p { "Dit actiepunt is afgesloten. U kunt er nog een opmerking bij zetten." }
            }
            form method="post" action={ "/punten/" (p.id) "/opmerking" } {
                input type="hidden" name="csrf" value=(header.csrf);
                fieldset {
                    legend { "Opmerking toevoegen" }
                    label for="opmerking" { "Opmerking" }
                    textarea id="opmerking" name="comment" rows="3" required maxlength=(max) { (comment) }
                    button type="submit" { "Opmerking plaatsen" }
                }
            }
        },
    )
}

/// The style sheet (served as `/stijl.css`; the pages allow no inline style).
pub const STYLE: &str = r#"
:root { --ink: #1b1b1b; --muted: #555; --line: #c8c8c8; --accent: #00558c; --late: #a4000f; --ok: #1e6b2e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink); background: #fff; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
header { display: flex; gap: 1rem; align-items: center; padding: .5rem 1.5rem; background: var(--accent); color: #fff; }
header .brand { font-weight: bold; margin: 0; }
header .who { margin: 0 0 0 auto; }
header form { margin: 0; }
header button { background: #fff; color: var(--accent); }
main { max-width: 70rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #ffbf47; outline-offset: 1px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
tr.late td:first-child { border-left: 4px solid var(--late); }
.overdue { color: var(--late); }
.muted, .meta, .hint { color: var(--muted); }
.notice { padding: .6rem .8rem; border-left: 4px solid; }
.notice.done { border-color: var(--ok); background: #eef7ef; }
.notice.refused { border-color: var(--late); background: #fbeeee; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
ol.history { padding-left: 1.2rem; }
ol.history .meta { margin-bottom: 0; font-size: .9rem; }
ol.history p { margin-top: 0; }
.description { white-space: pre-wrap; }
form { margin: 1rem 0; }
fieldset { border: 1px solid var(--line); padding: .5rem 1rem 1rem; }
label { display: block; margin-top: .6rem; font-weight: 600; }
input, select, textarea { font: inherit; padding: .3rem; width: 100%; max-width: 32rem; border: 1px solid #767676; }
button { font: inherit; margin-top: .8rem; padding: .4rem 1rem; border: 0; background: var(--accent); color: #fff; cursor: pointer; }
nav.pages { display: flex; gap: 1rem; margin-top: 1rem; }
"#;
