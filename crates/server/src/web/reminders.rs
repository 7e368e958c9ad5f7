//! E-mail to department colleagues: the sign-in link, and the weekly reminder listing their
//! department's open and overdue action points (also on demand:
//! `wijkwerk-server reminders send`).

use super::points::{self, dutch_date, status_name, ListQuery, PointSummary};
use crate::error::Result;
use crate::mail::{Mail, Mailer};
use crate::storage::{Storage, WebUser};
use jiff::civil::Date;
use serde::Serialize;

/// The sign-in link mail.
pub fn sign_in_mail(user: &WebUser, link: &str) -> Mail {
    let text = format!(
        "Beste {name},\n\n\
         U vroeg een link aan om u aan te melden bij Wijkwerk, voor de actiepunten van uw afdeling.\n\n\
         {link}\n\n\
         De link werkt {minutes} minuten en één keer. Vroeg u geen link aan? Dan kunt u dit bericht negeren.\n\n\
         Wijkwerk\n",
        name = user.name,
        minutes = super::session::LINK_MINUTES,
    );
    Mail {
        to: user.email.clone().unwrap_or_default(),
        to_name: Some(user.name.clone()),
        subject: "Uw link om u aan te melden bij Wijkwerk".into(),
        text,
        html: None,
    }
}

/// The weekly reminder of one colleague: `None` when nothing is open.
pub fn reminder_mail(user: &WebUser, page: &points::ListPage, public_url: &str) -> Option<Mail> {
    if page.open == 0 {
        return None;
    }
    let line = |p: &PointSummary| {
        let due = match p.due_date {
            Some(d) if p.overdue => format!("termijn {} (te laat)", dutch_date(d)),
            Some(d) => format!("termijn {}", dutch_date(d)),
            None => "geen termijn".to_owned(),
        };
        let area = p
            .area
            .as_deref()
            .map(|a| format!(", {a}"))
            .unwrap_or_default();
        format!(
            "- {title}{area}: {due}, {status}\n  {public_url}/punten/{id}\n",
            title = p.title,
            status = status_name(&p.status).to_lowercase(),
            id = p.id,
        )
    };
    let mut text = format!(
        "Beste {name},\n\nVoor uw afdeling {open} open",
        name = user.name,
        open = match page.open {
            1 => "staat 1 actiepunt".to_owned(),
            n => format!("staan {n} actiepunten"),
        }
    );
    if page.overdue > 0 {
        text.push_str(&format!(", waarvan {} over de termijn", page.overdue));
    }
    text.push_str(". Ze zijn uitgezet door de wijkcoördinatoren; te laat eerst:\n\n");
    for p in &page.points {
        text.push_str(&line(p));
    }
    if page.total > page.points.len() {
        text.push_str(&format!(
            "\n… en nog {}.\n",
            points_count(page.total - page.points.len())
        ));
    }
    text.push_str(&format!(
        "\nGeef antwoord op {public_url}/ : zet de status, stel een andere termijn voor of plaats een opmerking. \
         De coördinator ziet uw antwoord bij de volgende synchronisatie.\n\n\
         U krijgt dit bericht elke week zolang er actiepunten open staan.\n\nWijkwerk\n"
    ));
    let subject = if page.overdue > 0 {
        format!(
            "Wijkwerk: {} open, {} te laat",
            points_count(page.open),
            page.overdue
        )
    } else {
        format!("Wijkwerk: {} open", points_count(page.open))
    };
    Some(Mail {
        to: user.email.clone()?,
        to_name: Some(user.name.clone()),
        subject,
        text,
        html: None,
    })
}

/// `1 actiepunt`, `2 actiepunten`.
fn points_count(n: usize) -> String {
    match n {
        1 => "1 actiepunt".to_owned(),
        n => format!("{n} actiepunten"),
    }
}

/// What a round of reminders did.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct ReminderReport {
    /// Mails sent.
    pub sent: Vec<String>,
    /// Users with nothing open (no mail).
    pub nothing_open: Vec<String>,
    /// Users without an address.
    pub no_address: Vec<String>,
    /// Mails that could not be sent: user and reason.
    pub failed: Vec<(String, String)>,
}

/// Sends the reminders of every department user (of one tenant, or of all). A failed mail is
/// reported and the rest go on.
pub async fn send_reminders(
    storage: &Storage,
    index: &super::index::PointIndex,
    mailer: &Mailer,
    public_url: &str,
    tenant_id: Option<i64>,
    today: Date,
    week: Option<&str>,
) -> Result<ReminderReport> {
    let mut report = ReminderReport::default();
    for user in storage.department_users(tenant_id).await? {
        let who = format!("{}/{}", user.tenant, user.name);
        if user.email.is_none() {
            report.no_address.push(who);
            continue;
        }
        // A week's reminder is claimed per colleague (once, over every server process), and
        // given back when it could not be sent, so that a later pass tries again.
        let claim = week.map(|w| format!("reminders {w} {}", user.user_id));
        if let Some(claim) = &claim {
            match storage.claim_run(claim).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::error!(user = %who, error = %e, "could not claim the reminder");
                    report.failed.push((who, e.to_string()));
                    continue;
                }
            }
        }
        let outcome = remind(storage, index, mailer, public_url, &user, today).await;
        let audit = crate::audit::AuditEvent::new(crate::audit::AuditKind::ReminderSent)
            .tenant(&user.tenant)
            .user(&user.name);
        let audit = match &outcome {
            Ok(Some((open, overdue))) => {
                tracing::info!(user = %who, open, overdue, "reminder sent");
                report.sent.push(who);
                Some(audit.detail("open", *open).detail("overdue", *overdue))
            }
            Ok(None) => {
                report.nothing_open.push(who);
                None
            }
            Err(reason) => {
                tracing::error!(user = %who, error = %reason, "reminder could not be sent");
                report.failed.push((who, reason.clone()));
                if let Some(claim) = &claim {
                    if let Err(e) = storage.release_run(claim).await {
                        tracing::error!(error = %e, "the reminder's claim could not be given back");
                    }
                }
                Some(audit.detail("failed", reason.clone()))
            }
        };
        if let Some(audit) = audit {
            if let Err(e) = storage.audit(audit).await {
                tracing::error!(error = %e, "the reminder's audit row could not be written");
            }
        }
    }
    Ok(report)
}

/// One colleague's reminder: their open and overdue counts when sent, `None` when nothing is
/// open, the reason when it could not be sent.
async fn remind(
    storage: &Storage,
    index: &super::index::PointIndex,
    mailer: &Mailer,
    public_url: &str,
    user: &WebUser,
    today: Date,
) -> std::result::Result<Option<(usize, usize)>, String> {
    let page = points::department_list(storage, index, user, today, ListQuery::default())
        .await
        .map_err(|e| e.to_string())?;
    let Some(mail) = reminder_mail(user, &page, public_url) else {
        return Ok(None);
    };
    mailer.send(mail).await.map_err(|e| e.to_string())?;
    Ok(Some((page.open, page.overdue)))
}

/// When the weekly reminders go out: Monday at 07:00, Dutch time.
const WEEKLY_AT: (jiff::civil::Weekday, i8) = (jiff::civil::Weekday::Monday, 7);

/// This week's reminder moment (Monday 07:00 in Amsterdam) and its name (`2026-W50`).
pub fn week_slot(now: jiff::Timestamp) -> Option<(jiff::Timestamp, String)> {
    let zone = jiff::tz::TimeZone::get(wijkwerk_calendar::DEFAULT_TIME_ZONE).ok()?;
    let local = now.to_zoned(zone.clone());
    let date = local.date();
    let back = i64::from(date.weekday().to_monday_zero_offset());
    let monday = date.checked_sub(jiff::Span::new().days(back)).ok()?;
    let at = monday
        .at(WEEKLY_AT.1, 0, 0, 0)
        .to_zoned(zone)
        .ok()?
        .timestamp();
    let week = monday.iso_week_date();
    Some((at, format!("{}-W{:02}", week.year(), week.week())))
}

/// How long the weekly task waits between passes: ten minutes, or the seconds in
/// `WIJKWERK_REMINDER_PASS_SECONDS` (for tests of the retry; at least one).
fn pass_interval() -> std::time::Duration {
    let seconds = std::env::var("WIJKWERK_REMINDER_PASS_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(600, |s| s.max(1));
    std::time::Duration::from_secs(seconds)
}

/// The task that sends the weekly reminders while the server runs: each week once its moment
/// has come (also when the server started later that week), every ten minutes sending what is
/// not sent yet: each colleague's mail is claimed in the database (several processes send it
/// once) and given back when it failed (tried again ten minutes later). Without mail or a
/// public address it does nothing. Ends when the state is dropped.
pub async fn weekly(state: std::sync::Weak<crate::http::AppState>) {
    loop {
        let Some(state) = state.upgrade() else { return };
        let (mailer, public_url) = (state.web.mailer.clone(), state.web.public_url.clone());
        let Some(public_url) = public_url.filter(|_| mailer.configured()) else {
            return;
        };
        let now = jiff::Timestamp::now();
        if let Some((at, week)) = week_slot(now) {
            if now >= at {
                match send_reminders(
                    &state.storage,
                    &state.points,
                    &mailer,
                    &public_url,
                    None,
                    points::today(),
                    Some(&week),
                )
                .await
                {
                    Ok(report) if report.sent.is_empty() && report.failed.is_empty() => {}
                    Ok(report) => tracing::info!(
                        week,
                        sent = report.sent.len(),
                        failed = report.failed.len(),
                        nothing_open = report.nothing_open.len(),
                        "weekly reminders"
                    ),
                    Err(e) => tracing::error!(week, error = %e, "weekly reminders failed"),
                }
            }
        }
        drop(state);
        tokio::time::sleep(pass_interval()).await;
    }
}

/// The reminders coordinators asked for in a push (history entries of kind
/// `reminder_request`): the action point of each, and who asked (the entry's author).
pub fn requested(
    changesets: &[wijkwerk_protocol::wire::PushChangeSet],
) -> Vec<(uuid::Uuid, Option<String>)> {
    changesets
        .iter()
        .flat_map(|set| &set.changes)
        .filter(|c| c.entity == "action_point_event")
        .filter(|c| c.fields.get("kind").and_then(|v| v.value.as_str()) == Some("reminder_request"))
        .filter_map(|c| {
            let point = c
                .fields
                .get("action_point_id")
                .and_then(|v| v.value.as_str())
                .and_then(|s| uuid::Uuid::parse_str(s).ok())?;
            let author = c
                .fields
                .get("author")
                .and_then(|v| v.value.as_str())
                .map(|a| a.chars().take(200).collect());
            Some((point, author))
        })
        .collect()
}

/// The mail about one point a coordinator asked to remind the department of.
pub fn point_mail(
    user: &WebUser,
    point: &PointSummary,
    asked_by: &str,
    public_url: &str,
) -> Option<Mail> {
    let due = match point.due_date {
        Some(d) if point.overdue => format!("De termijn was {}; die is verstreken.", dutch_date(d)),
        Some(d) => format!("De termijn is {}.", dutch_date(d)),
        None => "Er is geen termijn afgesproken.".to_owned(),
    };
    let text = format!(
        "Beste {name},\n\n\
         Wijkcoördinator {asked_by} vraagt uw afdeling om een antwoord op dit actiepunt:\n\n\
         {title}{area}\n{due} Status: {status}.\n\n\
         {public_url}/punten/{id}\n\n\
         Zet daar de status, stel een andere termijn voor of plaats een opmerking; de coördinator ziet het bij de volgende synchronisatie.\n\n\
         Wijkwerk\n",
        name = user.name,
        title = point.title,
        area = point.area.as_deref().map(|a| format!(" ({a})")).unwrap_or_default(),
        status = status_name(&point.status).to_lowercase(),
        id = point.id,
    );
    Some(Mail {
        to: user.email.clone()?,
        to_name: Some(user.name.clone()),
        subject: format!("Herinnering: {}", point.title),
        text,
        html: None,
    })
}

/// Mails the colleagues of the department that owns `point` the reminder a coordinator asked
/// for, and writes the outcome in the point's history as the server's own writer (whom it
/// mailed, or why it could not), so the coordinator sees it after the next sync.
pub async fn remind_about_point(
    state: std::sync::Arc<crate::http::AppState>,
    tenant_id: i64,
    asked_by: String,
    point: uuid::Uuid,
) {
    let outcome = point_reminder(&state, tenant_id, &asked_by, point).await;
    let text = match &outcome {
        Ok(sent) if sent.is_empty() => "Herinnering niet verstuurd: geen collega van de afdeling heeft een e-mailadres op de server.".to_owned(),
        Ok(sent) => format!("Herinnering gemaild aan {}.", sent.join(", ")),
        Err(reason) => format!("Herinnering niet verstuurd: {reason}"),
    };
    tracing::info!(tenant_id, point = %point, asked_by, outcome = %text, "reminder about one action point");
    let now_ms = u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0);
    let ticket = match state.storage.web_writer(tenant_id, now_ms).await {
        Ok(ticket) => ticket,
        Err(e) => {
            tracing::error!(error = %e, "the reminder's outcome could not be written");
            return;
        }
    };
    let changeset = points::server_comment(point, &text, ticket, jiff::Timestamp::now());
    let limits = crate::storage::PushLimits {
        now_ms: crate::audit::now_ms().max(0) as u64,
        max_skew_ms: state.max_skew_ms,
    };
    if let Err(e) = state
        .storage
        .push_after(
            tenant_id,
            ticket.client_id,
            vec![changeset],
            None,
            limits,
            None,
        )
        .await
    {
        tracing::error!(error = %e, "the reminder's outcome could not be written");
    }
}

/// Sends the mails; the names of those mailed, or why nothing could be sent (Dutch).
async fn point_reminder(
    state: &crate::http::AppState,
    tenant_id: i64,
    asked_by: &str,
    point: uuid::Uuid,
) -> std::result::Result<Vec<String>, String> {
    let failed = |e: crate::error::ServerError| {
        tracing::error!(error = %e, "reminder about one action point");
        "de server kon het actiepunt niet lezen (zie het logboek van de server).".to_owned()
    };
    let Some(public_url) = state
        .web
        .public_url
        .clone()
        .filter(|_| state.web.mailer.configured())
    else {
        return Err("er is op de server geen mailserver of adres (public_url) ingesteld.".into());
    };
    let users = state
        .storage
        .department_users(Some(tenant_id))
        .await
        .map_err(failed)?;
    let record = state
        .storage
        .records_of(tenant_id, "action_point", vec![point])
        .await
        .map_err(failed)?;
    let owner = record
        .first()
        .and_then(|r| r.fields.get("owner_organisation_id"))
        .and_then(|v| v.value.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s).ok());
    let Some(owner) = owner else {
        return Err("het actiepunt heeft geen afdeling als eigenaar.".into());
    };
    let colleagues: Vec<&WebUser> = users
        .iter()
        .filter(|u| u.department_id == owner && u.email.is_some())
        .collect();
    let Some(first) = colleagues.first() else {
        return Ok(Vec::new());
    };
    let Some(detail) = points::department_point(&state.storage, first, point, points::today())
        .await
        .map_err(failed)?
    else {
        return Err("het actiepunt is verwijderd.".into());
    };
    let mut sent = Vec::new();
    let mut errors = Vec::new();
    for user in colleagues {
        let Some(mail) = point_mail(user, &detail.summary, asked_by, &public_url) else {
            continue;
        };
        match state.web.mailer.send(mail).await {
            Ok(()) => sent.push(user.name.clone()),
            Err(e) => {
                tracing::error!(user = %user.name, error = %e, "reminder about one action point could not be sent");
                errors.push(format!("{}: {}", user.name, e.dutch()));
            }
        }
    }
    if sent.is_empty() && !errors.is_empty() {
        return Err(errors.join(" "));
    }
    Ok(sent)
}
