//! The web pages for department colleagues, at the server's root (`/`): they sign in with a
//! link sent by e-mail or a password, see the action points their department owns, and answer
//! them: a status with a comment, a proposed due date with a reason, a comment. Nothing else.
//!
//! **An answer is an ordinary writer's change.** The server writes it as a writer of its own
//! in the tenant (its own client id and clock node, [`crate::storage::WebWriterTicket`]),
//! through the same push path, sequence and merge rule as a laptop: the coordinators get it
//! on their next pull, and a concurrent offline edit of the same field meets it as a logged
//! conflict. There is no second way of writing state here.
//!
//! Pages: no scripts, a strict Content Security Policy, sessions in `HttpOnly; Secure;
//! SameSite=Strict` cookies (only their hash stored), a CSRF token in every form (the
//! session's, or before signing in a double-submit cookie), failed sign-ins slowed down per
//! address and written to the audit log.

pub mod index;
pub mod pages;
pub mod points;
pub mod reminders;
pub mod session;

use crate::audit::{AuditEvent, AuditKind};
use crate::auth::token_hash;
use crate::error::ServerError;
use crate::http::AppState;
use crate::storage::{LinkUse, PushActor, PushLimits, WebSession, WebUser, WebUserKey};
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::Markup;
use pages::{Header, Notice, Typed};
use points::{Answer, AnswerRefused, ListQuery};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use uuid::Uuid;
use wijkwerk_protocol::wire::PushOutcome;

/// The pages' Content Security Policy: nothing but this server's style sheet, forms posting
/// only here, never in a frame.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(home))
        .route("/stijl.css", get(style))
        .route("/aanmelden", get(sign_in_page).post(sign_in_with_password))
        .route("/aanmelden/link", post(request_link))
        .route("/aanmelden/link/{token}", get(link_page).post(use_link))
        .route("/afmelden", post(sign_out))
        .route("/punten/{id}", get(point_page))
        .route("/punten/{id}/{answer}", post(answer))
}

/// A department user's e-mail address as stored: trimmed, lower case, checked.
pub fn normalise_email(address: &str) -> crate::error::Result<String> {
    let address = address.trim().to_lowercase();
    address
        .parse::<lettre::Address>()
        .map(|_| address.clone())
        .map_err(|e| ServerError::BadRequest(format!("{address:?} is not an e-mail address: {e}")))
}

/// A clock node for the server's own writer in a tenant: random, with the top bit set so it
/// never equals a laptop's (laptops' nodes are random too; the bit only makes it recognisable).
pub fn new_writer_node() -> wijkwerk_protocol::NodeId {
    wijkwerk_protocol::NodeId(rand::random::<u64>() | (1 << 63))
}

/// An HTML page with the pages' security headers.
fn html(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure(headers);
    response
}

fn secure(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A redirect after a form (303: the browser follows with a GET), setting cookies.
fn see_other(to: &str, cookies: &[String]) -> Response {
    let mut response = Redirect::to(to).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    for c in cookies {
        if let Ok(value) = HeaderValue::from_str(c) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    secure(response.headers_mut());
    response
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A page for an error the server could not help (logged; the user sees no details).
fn failure(e: &ServerError) -> Response {
    tracing::error!(error = %e, "web page failed");
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages::message(
            "Er ging iets mis",
            "De server kon dit nu niet afhandelen; er is niets gewijzigd. Probeer het over een paar minuten opnieuw. De fout staat in het logboek van de server.",
            Some(("/", "Terug naar de actiepunten")),
        ),
    )
}

fn refused(status: StatusCode, title: &str, text: &str) -> Response {
    html(
        status,
        pages::message(title, text, Some(("/", "Terug naar de actiepunten"))),
    )
}

/// The signed-in session of the request, if any.
async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<WebSession>, ServerError> {
    match session::cookie(headers, session::SESSION_COOKIE) {
        Some(value) => state.storage.web_session(&token_hash(&value)).await,
        None => Ok(None),
    }
}

/// The signed-in session, or the answer to give instead (to the sign-in page).
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<WebSession, Response> {
    signed_in_back(state, headers, None).await
}

/// [`signed_in`], coming back to `back` (a point's page, as a link in a mail opens it) after
/// signing in.
async fn signed_in_back(
    state: &AppState,
    headers: &HeaderMap,
    back: Option<&str>,
) -> Result<WebSession, Response> {
    match session(state, headers).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(see_other(
            &match back {
                Some(back) => format!("/aanmelden?naar={back}"),
                None => "/aanmelden".to_owned(),
            },
            &[],
        )),
        Err(e) => Err(failure(&e)),
    }
}

/// Checks a form's CSRF token against the session's: the refusal page when it does not match
/// (logged), `None` when it does.
fn csrf_refusal(
    expected: &str,
    given: Option<&str>,
    peer: SocketAddr,
    path: &str,
) -> Option<Response> {
    match given {
        Some(given) if session::same_secret(expected, given) => None,
        _ => {
            tracing::warn!(peer = %peer.ip(), path, reason = if given.is_none() { "missing CSRF token" } else { "wrong CSRF token" }, "web form refused");
            Some(refused(
                StatusCode::FORBIDDEN,
                "Formulier niet geaccepteerd",
                "Dit formulier kwam niet van deze pagina of is verlopen; er is niets gewijzigd. Laad de pagina opnieuw en probeer het nog eens.",
            ))
        }
    }
}

async fn department_name(state: &AppState, user: &WebUser) -> Option<String> {
    state
        .storage
        .records_of(user.tenant_id, "organisation", vec![user.department_id])
        .await
        .ok()
        .and_then(|r| r.into_iter().next())
        .and_then(|r| {
            r.fields
                .get("name")
                .and_then(|v| v.value.as_str().map(str::to_owned))
        })
}

async fn style() -> Response {
    let mut response = (StatusCode::OK, pages::STYLE).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[derive(Debug, Deserialize, Default)]
struct ListParams {
    afgesloten: Option<String>,
    pagina: Option<String>,
    klaar: Option<String>,
}

async fn home(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let params = query.map(|q| q.0).unwrap_or_default();
    let query = ListQuery {
        closed: params.afgesloten.is_some_and(|v| v == "1"),
        page: params
            .pagina
            .and_then(|p| p.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .saturating_sub(1),
    };
    let started = std::time::Instant::now();
    let page = match points::department_list(
        &state.storage,
        &state.points,
        &s.user,
        points::today(),
        query,
    )
    .await
    {
        Ok(page) => page,
        Err(e) => return failure(&e),
    };
    metrics::histogram!("wijkwerk_web_list_seconds").record(started.elapsed().as_secs_f64());
    let department = department_name(&state, &s.user).await;
    let header = Header {
        name: &s.user.name,
        department: department.as_deref(),
        csrf: &s.csrf,
    };
    let notice = params
        .klaar
        .as_deref()
        .filter(|k| *k == "aangemeld")
        .map(|_| Notice::Done("U bent aangemeld.".into()));
    html(StatusCode::OK, pages::list(&header, &page, notice.as_ref()))
}

#[derive(Debug, Deserialize, Default)]
struct SignInParams {
    klaar: Option<String>,
    naar: Option<String>,
}

/// Where to go after signing in: a point's page (checked), else the list.
fn return_path(asked: Option<&str>) -> Option<String> {
    let id = asked?.strip_prefix("/punten/")?;
    Uuid::parse_str(id).ok().map(|id| format!("/punten/{id}"))
}

/// The sign-in page, with a fresh double-submit token for its forms.
fn sign_in_answer(
    state: &AppState,
    status: StatusCode,
    notice: Option<&Notice>,
    email: &str,
) -> Response {
    sign_in_answer_to(state, status, notice, email, None)
}

/// [`sign_in_answer`] that returns to `back` (a point's page) after signing in.
fn sign_in_answer_to(
    state: &AppState,
    status: StatusCode,
    notice: Option<&Notice>,
    email: &str,
    back: Option<&str>,
) -> Response {
    let csrf = session::secret();
    let page = pages::sign_in(
        &csrf,
        notice,
        pages::SignInChoices {
            links: state.web.links_possible(),
            mail: state.web.mailer.configured(),
        },
        email,
        back,
    );
    with_cookie(
        html(status, page),
        &session::set_cookie(session::SIGN_IN_COOKIE, &csrf, 3600),
    )
}

async fn sign_in_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<SignInParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Ok(Some(_)) = session(&state, &headers).await {
        return see_other("/", &[]);
    }
    let params = query.map(|q| q.0).unwrap_or_default();
    let notice = match params.klaar.as_deref() {
        Some("afgemeld") => Some(Notice::Done("U bent afgemeld.".into())),
        _ => None,
    };
    let back = return_path(params.naar.as_deref());
    sign_in_answer_to(&state, StatusCode::OK, notice.as_ref(), "", back.as_deref())
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    csrf: Option<String>,
    email: Option<String>,
    password: Option<String>,
    naar: Option<String>,
}

/// The sign-in page again, for a sign-in form that could not be read.
fn incomplete_form(state: &AppState) -> Response {
    sign_in_answer(
        state,
        StatusCode::BAD_REQUEST,
        Some(&Notice::Refused("Het formulier was onvolledig.".into())),
        "",
    )
}

/// Checks a signed-out form's token against its cookie: the sign-in page again when it does
/// not match, `None` when it does.
fn sign_in_csrf_refusal(
    state: &AppState,
    headers: &HeaderMap,
    given: Option<&str>,
    peer: SocketAddr,
    path: &str,
) -> Option<Response> {
    let expected = session::cookie(headers, session::SIGN_IN_COOKIE);
    match (expected, given) {
        (Some(e), Some(g)) if session::same_secret(&e, g) => None,
        (e, g) => {
            tracing::warn!(peer = %peer.ip(), path, cookie = e.is_some(), token = g.is_some(), "sign-in form refused: CSRF token missing or wrong");
            Some(sign_in_answer(
                state,
                StatusCode::FORBIDDEN,
                Some(&Notice::Refused("Het formulier was verlopen of kwam niet van deze pagina. Probeer het nog eens.".into())),
                "",
            ))
        }
    }
}

/// The sign-in page saying to wait, when this address (or this account) failed too often.
fn rate_limited(state: &AppState, peer: SocketAddr, account: Option<&str>) -> Option<Response> {
    let limits = &state.web_limits;
    let wait = limits
        .addresses
        .wait_seconds(peer.ip())
        .max(account.map_or(0, |a| limits.accounts.wait_seconds(a.to_owned())));
    (wait > 0).then(|| {
        sign_in_answer(
            state,
            StatusCode::TOO_MANY_REQUESTS,
            Some(&Notice::Refused(format!(
                "Te veel mislukte pogingen. Wacht {} en probeer het opnieuw.",
                seconds(wait)
            ))),
            "",
        )
    })
}

async fn start_session(
    state: &AppState,
    user: &WebUser,
    peer: SocketAddr,
    how: &str,
    back: Option<&str>,
) -> Response {
    let cookie = session::secret();
    let csrf = session::secret();
    let expires = crate::audit::now_ms() + session::SESSION_HOURS * 3_600_000;
    if let Err(e) = state
        .storage
        .put_web_session(&token_hash(&cookie), user.user_id, &csrf, expires)
        .await
    {
        return failure(&e);
    }
    state.web_limits.addresses.succeeded(peer.ip());
    if let Some(email) = &user.email {
        state.web_limits.accounts.succeeded(email.clone());
    }
    state.audit.record(
        AuditEvent::new(AuditKind::WebSignIn)
            .tenant(&user.tenant)
            .user(&user.name)
            .address(peer.ip())
            .detail("with", how),
    );
    tracing::info!(tenant = %user.tenant, user = %user.name, with = how, "web sign-in");
    let to = match back {
        Some(back) => back.to_owned(),
        None => "/?klaar=aangemeld".to_owned(),
    };
    see_other(
        &to,
        &[
            session::set_cookie(
                session::SESSION_COOKIE,
                &cookie,
                session::SESSION_HOURS * 3600,
            ),
            session::clear_cookie(session::SIGN_IN_COOKIE),
        ],
    )
}

/// Counts a failed (or, for passwords, a started) sign-in against the address and the account,
/// and writes it to the audit log and the server's log.
fn sign_in_failed(state: &AppState, peer: SocketAddr, user: Option<&WebUser>, reason: &str) {
    let mut event = AuditEvent::new(AuditKind::SignInFailed)
        .address(peer.ip())
        .detail("reason", reason)
        .detail("on", "web");
    if let Some(user) = user {
        event = event.tenant(&user.tenant).user(&user.name);
    }
    state.audit.record(event);
    tracing::warn!(peer = %peer.ip(), reason, "failed web sign-in");
}

async fn sign_in_with_password(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return incomplete_form(&state);
    };
    if let Some(answer) =
        sign_in_csrf_refusal(&state, &headers, form.csrf.as_deref(), peer, "/aanmelden")
    {
        return answer;
    }
    let email = form.email.unwrap_or_default();
    let account = email.trim().to_lowercase();
    let back = return_path(form.naar.as_deref());
    if let Some(answer) = rate_limited(&state, peer, Some(&account)) {
        return answer;
    }
    let password = form.password.unwrap_or_default();
    let user = match state
        .storage
        .web_user(WebUserKey::Email(email.trim().to_lowercase()))
        .await
    {
        Ok(user) => user,
        Err(e) => return failure(&e),
    };
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let password = password.chars().take(1024).collect::<String>();
    // Counted before the slow hash, so that attempts sent at once are stopped after the free
    // ones; a success clears it again. At most a few hashes at once (memory and threads).
    state.web_limits.addresses.failed(peer.ip());
    state.web_limits.accounts.failed(account.clone());
    let Ok(Ok(permit)) = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        state.web_limits.hashing.acquire(),
    )
    .await
    else {
        tracing::warn!(peer = %peer.ip(), "web sign-in refused: too many password checks at once");
        return sign_in_answer(
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            Some(&Notice::Refused(
                "Het is even te druk om aan te melden. Probeer het over een paar seconden opnieuw."
                    .into(),
            )),
            &email,
        );
    };
    let matches =
        tokio::task::spawn_blocking(move || session::verify_password(&password, hash.as_deref()))
            .await
            .unwrap_or(false);
    drop(permit);
    match user {
        Some(user) if matches => {
            start_session(&state, &user, peer, "password", back.as_deref()).await
        }
        user => {
            let reason = match &user {
                None => "unknown address",
                Some(u) if u.password_hash.is_none() => "no password set",
                Some(_) => "wrong password",
            };
            sign_in_failed(&state, peer, user.as_ref(), reason);
            let hint = if state.web.links_possible() {
                "Let op hoofdletters, of vraag een link aan."
            } else {
                "Let op hoofdletters."
            };
            sign_in_answer_to(
                &state,
                StatusCode::UNAUTHORIZED,
                Some(&Notice::Refused(format!(
                    "Dit e-mailadres en wachtwoord horen niet bij elkaar. {hint}"
                ))),
                &email,
                back.as_deref(),
            )
        }
    }
}

#[derive(Debug, Deserialize)]
struct LinkForm {
    csrf: Option<String>,
    email: Option<String>,
}

async fn request_link(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<LinkForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return incomplete_form(&state);
    };
    if let Some(answer) = sign_in_csrf_refusal(
        &state,
        &headers,
        form.csrf.as_deref(),
        peer,
        "/aanmelden/link",
    ) {
        return answer;
    }
    let email = form.email.unwrap_or_default();
    let account = email.trim().to_lowercase();
    if let Some(answer) = rate_limited(&state, peer, Some(&account)) {
        return answer;
    }
    let Some(public_url) = state
        .web
        .public_url
        .clone()
        .filter(|_| state.web.mailer.configured())
    else {
        let why = if state.web.mailer.configured() {
            "Op deze server is het adres van de pagina (public_url) niet ingesteld; aanmelden met een link kan nu niet. Meld u aan met uw wachtwoord."
        } else {
            "Er is op deze server geen mailserver ingesteld; aanmelden met een link kan nu niet. Meld u aan met uw wachtwoord."
        };
        return sign_in_answer(
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            Some(&Notice::Refused(why.into())),
            &email,
        );
    };
    let sent = Notice::Done(format!(
        "Als dit adres bij ons bekend is, hebben we er een link heen gestuurd. De link werkt {} minuten en één keer.",
        session::LINK_MINUTES
    ));
    let user = match state
        .storage
        .web_user(WebUserKey::Email(email.trim().to_lowercase()))
        .await
    {
        Ok(user) => user,
        Err(e) => return failure(&e),
    };
    let Some(user) = user.filter(|u| u.email.is_some()) else {
        // The same answer, so the page does not tell which addresses are known.
        state.web_limits.addresses.failed(peer.ip());
        sign_in_failed(
            &state,
            peer,
            None,
            "sign-in link asked for an unknown address",
        );
        return sign_in_answer(&state, StatusCode::OK, Some(&sent), "");
    };
    // At most a few links per colleague in a while: nobody's mailbox is flooded from here.
    let since = crate::audit::now_ms() - session::LINK_WINDOW_MINUTES * 60_000;
    match state
        .storage
        .recent_sign_in_links(user.user_id, since)
        .await
    {
        Ok(n) if n >= session::LINKS_PER_WINDOW => {
            tracing::warn!(tenant = %user.tenant, user = %user.name, peer = %peer.ip(), links = n, "sign-in link not sent: too many asked for lately");
            return sign_in_answer(&state, StatusCode::OK, Some(&sent), "");
        }
        Ok(_) => {}
        Err(e) => return failure(&e),
    }
    let token = session::secret();
    let expires = crate::audit::now_ms() + session::LINK_MINUTES * 60_000;
    if let Err(e) = state
        .storage
        .put_sign_in_link(&token_hash(&token), user.user_id, expires)
        .await
    {
        return failure(&e);
    }
    let link = format!("{public_url}/aanmelden/link/{token}");
    let mail = reminders::sign_in_mail(&user, &link);
    match state.web.mailer.send(mail).await {
        Ok(()) => {
            state.audit.record(
                AuditEvent::new(AuditKind::SignInLinkSent)
                    .tenant(&user.tenant)
                    .user(&user.name)
                    .address(peer.ip()),
            );
            sign_in_answer(&state, StatusCode::OK, Some(&sent), "")
        }
        Err(e) => {
            tracing::error!(tenant = %user.tenant, user = %user.name, error = %e, "the sign-in link could not be sent");
            // The reason in short: the mail server's own words stay in the log.
            let why = match &e {
                crate::mail::MailError::Refused { code, .. } => {
                    format!("de mailserver weigerde het bericht ({code}).")
                }
                crate::mail::MailError::Timeout { .. } => e.dutch().to_lowercase(),
                _ => "de mailserver was niet bereikbaar.".to_owned(),
            };
            sign_in_answer(
                &state,
                StatusCode::BAD_GATEWAY,
                Some(&Notice::Refused(format!(
                    "De e-mail met uw link kon niet worden verstuurd: {why} Probeer het later opnieuw, of meld u aan met uw wachtwoord."
                ))),
                &email,
            )
        }
    }
}

async fn link_page(Path(token): Path<String>) -> Response {
    // Opening the link uses nothing up (mail scanners open links too): the button does.
    let csrf = session::secret();
    let token: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(100)
        .collect();
    with_cookie(
        html(StatusCode::OK, pages::link_confirm(&csrf, &token)),
        &session::set_cookie(session::SIGN_IN_COOKIE, &csrf, 3600),
    )
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn use_link(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let given = form.ok().and_then(|f| f.0.csrf);
    if let Some(answer) =
        sign_in_csrf_refusal(&state, &headers, given.as_deref(), peer, "/aanmelden/link")
    {
        return answer;
    }
    if let Some(answer) = rate_limited(&state, peer, None) {
        return answer;
    }
    let outcome = match state
        .storage
        .use_sign_in_link(&token_hash(token.trim()))
        .await
    {
        Ok(outcome) => outcome,
        Err(e) => return failure(&e),
    };
    let why = match outcome {
        LinkUse::Valid(user) => return start_session(&state, &user, peer, "link", None).await,
        LinkUse::Used => (
            "used sign-in link",
            "Deze link is al gebruikt. Een link werkt één keer: vraag een nieuwe aan.",
        ),
        LinkUse::Expired => (
            "expired sign-in link",
            "Deze link is verlopen. Vraag een nieuwe aan.",
        ),
        LinkUse::Unknown => (
            "unknown sign-in link",
            "Deze link is niet geldig. Vraag een nieuwe aan.",
        ),
    };
    state.web_limits.addresses.failed(peer.ip());
    sign_in_failed(&state, peer, None, why.0);
    sign_in_answer(
        &state,
        StatusCode::UNAUTHORIZED,
        Some(&Notice::Refused(why.1.into())),
        "",
    )
}

async fn sign_out(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let given = form.ok().and_then(|f| f.0.csrf);
    if let Some(answer) = csrf_refusal(&s.csrf, given.as_deref(), peer, "/afmelden") {
        return answer;
    }
    if let Some(cookie) = session::cookie(&headers, session::SESSION_COOKIE) {
        if let Err(e) = state.storage.end_web_session(&token_hash(&cookie)).await {
            return failure(&e);
        }
    }
    see_other(
        "/aanmelden?klaar=afgemeld",
        &[session::clear_cookie(session::SESSION_COOKIE)],
    )
}

#[derive(Debug, Deserialize, Default)]
struct PointParams {
    klaar: Option<String>,
}

fn point_id(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text.trim()).ok()
}

fn not_found() -> Response {
    refused(
        StatusCode::NOT_FOUND,
        "Niet gevonden",
        "Dit actiepunt bestaat niet of hoort niet bij uw afdeling.",
    )
}

/// A point's page (200, or the status of a refused answer with what was typed kept).
async fn render_point(
    state: &AppState,
    s: &WebSession,
    id: Uuid,
    status: StatusCode,
    notice: Option<Notice>,
    typed: Typed,
) -> Response {
    let today = points::today();
    let point = match points::department_point(&state.storage, &s.user, id, today).await {
        Ok(Some(point)) => point,
        Ok(None) => return not_found(),
        Err(e) => return failure(&e),
    };
    let header = Header {
        name: &s.user.name,
        department: point.department.as_deref(),
        csrf: &s.csrf,
    };
    html(
        status,
        pages::point(&header, &point, notice.as_ref(), &typed, today),
    )
}

async fn point_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<PointParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let back = point_id(&id).map(|id| format!("/punten/{id}"));
    let s = match signed_in_back(&state, &headers, back.as_deref()).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let Some(id) = point_id(&id) else {
        return not_found();
    };
    let notice = match query.ok().and_then(|q| q.0.klaar).as_deref() {
        Some("status") => Some("De status is opgeslagen."),
        Some("termijn") => Some("Uw voorstel voor een nieuwe termijn is opgeslagen."),
        Some("opmerking") => Some("Uw opmerking is geplaatst."),
        _ => None,
    }
    .map(|t| {
        Notice::Done(format!(
            "{t} De coördinator ziet het bij de volgende synchronisatie."
        ))
    });
    render_point(&state, &s, id, StatusCode::OK, notice, Typed::default()).await
}

/// The fields of the three answer forms (each sends its own).
#[derive(Debug, Deserialize)]
struct AnswerForm {
    csrf: Option<String>,
    status: Option<String>,
    seen: Option<String>,
    seen_status: Option<String>,
    comment: Option<String>,
    due_date: Option<String>,
    reason: Option<String>,
}

/// `POST /punten/{id}/{status|termijn|opmerking}`: a colleague's answer.
async fn answer(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    form: Result<Form<AnswerForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).map_err(|e| e.body_text());
    let csrf = form.as_ref().ok().and_then(|f| f.csrf.clone());
    let answer = form.map(|f| match kind.as_str() {
        "status" => Some(Answer::Status {
            to: f.status.unwrap_or_default(),
            comment: f.comment.unwrap_or_default(),
            seen: f.seen,
            seen_status: f.seen_status,
        }),
        "termijn" => Some(Answer::DueDate {
            date: f.due_date.unwrap_or_default(),
            reason: f.reason.unwrap_or_default(),
        }),
        "opmerking" => Some(Answer::Comment {
            text: f.comment.unwrap_or_default(),
        }),
        _ => None,
    });
    let answer = match answer {
        Ok(Some(answer)) => Ok(answer),
        Ok(None) => return not_found(),
        Err(e) => Err(e),
    };
    answer_point(&state, peer, &headers, &id, csrf, answer, &kind).await
}

/// Writes a colleague's answer as the server's own writer, through the push path.
async fn answer_point(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    id: &str,
    csrf: Option<String>,
    answer: Result<Answer, String>,
    done: &str,
) -> Response {
    let s = match signed_in(state, headers).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    if let Some(answer) = csrf_refusal(&s.csrf, csrf.as_deref(), peer, "/punten") {
        return answer;
    }
    let Some(id) = point_id(id) else {
        return not_found();
    };
    let answer = match answer {
        Ok(answer) => answer,
        Err(reason) => {
            tracing::warn!(peer = %peer.ip(), reason, "web answer refused: the form could not be read");
            return refused(
                StatusCode::BAD_REQUEST,
                "Formulier onleesbaar",
                "Het formulier kon niet worden gelezen; er is niets gewijzigd.",
            );
        }
    };
    let today = points::today();
    let point = match points::department_point(&state.storage, &s.user, id, today).await {
        Ok(Some(point)) => point,
        Ok(None) => return not_found(),
        Err(e) => return failure(&e),
    };
    let floor = points::clock_floor(&point.record, jiff::Timestamp::now());
    let ticket = match state.storage.web_writer(s.user.tenant_id, floor).await {
        Ok(ticket) => ticket,
        Err(e) => return failure(&e),
    };
    let changeset = match points::answer_changeset(
        &point,
        &answer,
        &s.user.name,
        ticket,
        jiff::Timestamp::now(),
        today,
    ) {
        Ok(changeset) => changeset,
        Err(why) => return answer_refused(state, &s, id, peer, why, answer).await,
    };
    let fields: usize = changeset.changes.iter().map(|c| c.fields.len()).sum();
    let pushed = state
        .storage
        .push_after(
            s.user.tenant_id,
            ticket.client_id,
            vec![changeset],
            None,
            PushLimits {
                now_ms: crate::audit::now_ms().max(0) as u64,
                max_skew_ms: state.max_skew_ms,
            },
            Some(PushActor {
                tenant: s.user.tenant.clone(),
                user: s.user.name.clone(),
                address: Some(peer.ip()),
            }),
        )
        .await;
    let outcome = match pushed {
        Ok(pushed) => pushed.acks.into_iter().next().map(|a| a.outcome),
        Err(e) => return failure(&e),
    };
    match outcome {
        Some(PushOutcome::Applied { seq }) | Some(PushOutcome::Duplicate { seq }) => {
            state.audit.record(
                AuditEvent::new(AuditKind::Push)
                    .tenant(&s.user.tenant)
                    .user(&s.user.name)
                    .address(peer.ip())
                    .detail("via", "web")
                    .detail("action_point", id.to_string())
                    .detail("answer", done)
                    .detail("changes", fields)
                    .detail("seq", seq),
            );
            tracing::info!(tenant = %s.user.tenant, user = %s.user.name, point = %id, answer = done, seq, "web answer");
            see_other(&format!("/punten/{id}?klaar={done}"), &[])
        }
        Some(PushOutcome::Refused { code, reason }) => {
            tracing::error!(tenant = %s.user.tenant, user = %s.user.name, point = %id, code, reason, "web answer refused by the push path");
            refused(StatusCode::CONFLICT, "Niet opgeslagen", "De server kon uw antwoord niet opslaan; er is niets gewijzigd. De reden staat in het logboek van de server.")
        }
        None => failure(&ServerError::Pool("no acknowledgement".into())),
    }
}

async fn answer_refused(
    state: &AppState,
    s: &WebSession,
    id: Uuid,
    peer: SocketAddr,
    why: AnswerRefused,
    typed: Answer,
) -> Response {
    tracing::info!(tenant = %s.user.tenant, user = %s.user.name, peer = %peer.ip(), point = %id, reason = %why, "web answer refused");
    render_point(
        state,
        s,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(Notice::Refused(format!("Niet opgeslagen: {why}"))),
        Typed {
            answer: Some(typed),
        },
    )
    .await
}

/// `1 seconde`, `12 seconden`.
fn seconds(n: u64) -> String {
    match n {
        1 => "1 seconde".to_owned(),
        n => format!("{n} seconden"),
    }
}

/// The sign-in pages' limits: failed attempts per address and per account, apart from the
/// sync API's (so that a success there does not reset them), and at most a few password hashes
/// computed at once (each takes about 19 MiB and a thread for tens of milliseconds).
pub struct WebLimits {
    pub addresses: crate::auth::FailedSignIns,
    pub accounts: crate::auth::FailedSignIns<String>,
    pub hashing: tokio::sync::Semaphore,
}

/// Password hashes computed at once.
const HASHING_AT_ONCE: usize = 4;

impl Default for WebLimits {
    fn default() -> Self {
        WebLimits {
            addresses: Default::default(),
            accounts: Default::default(),
            hashing: tokio::sync::Semaphore::new(HASHING_AT_ONCE),
        }
    }
}

/// What the pages need besides the storage: where they live and how mail goes out.
#[derive(Clone)]
pub struct WebSettings {
    /// The address colleagues open (links in e-mails), without a trailing slash.
    pub public_url: Option<String>,
    pub mailer: crate::mail::Mailer,
}

impl WebSettings {
    /// Without mail or without a public address no sign-in link can be sent.
    pub fn links_possible(&self) -> bool {
        self.mailer.configured() && self.public_url.is_some()
    }

    /// No mail, no public address.
    pub fn none() -> WebSettings {
        WebSettings {
            public_url: None,
            mailer: crate::mail::Mailer::none(),
        }
    }
}
