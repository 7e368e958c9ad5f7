//! The HTTP API. Every answer to a refused request is a 4xx with an [`ErrorBody`] that says why,
//! and a refused request changes nothing.

use crate::audit::{token_id, AuditBuffer, AuditEvent, AuditKind};
use crate::auth::{new_token, token_hash, FailedSignIns};
use crate::error::{Result, ServerError};
use crate::feed::{FeedCache, FEED_ENTITIES};
use crate::storage::{Principal, PushActor, PushLimits, Role, SignIn, Storage};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use uuid::Uuid;
use wijkwerk_protocol::wire::{
    Cursor, Hello, PullResponse, PushOutcome, PushRequest, PushResponse, TokenRotation,
    PROTOCOL_HEADER,
};
use wijkwerk_protocol::PROTOCOL_VERSION;

/// Answers larger than this are compressed (a loopback or Ethernet packet holds about this much).
const COMPRESS_ABOVE_BYTES: u16 = 1400;

/// The largest request body, after decompression.
pub const MAX_BODY_BYTES: usize = 128 * 1024 * 1024;
/// The most fields one pull page holds (a server transaction is never split).
pub const MAX_PULL_FIELDS: usize = 20_000;

pub struct AppState {
    pub storage: Storage,
    pub failures: FailedSignIns,
    pub max_skew_ms: u64,
    /// The calendar feeds made, kept until their tenant's sequence moves.
    pub feeds: FeedCache,
    /// Audit events of requests, waiting for [`write_audit`] to write them.
    pub audit: AuditBuffer,
    /// How long a token made by a rotation is valid (days).
    pub token_lifetime_days: u32,
    /// The department colleagues' web pages: their address and the mail server.
    pub web: crate::web::WebSettings,
    /// What the department lists sort and filter on, per tenant.
    pub points: crate::web::index::PointIndex,
    /// The sign-in pages' limits.
    pub web_limits: crate::web::WebLimits,
    metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(storage: Storage, max_skew_ms: u64, token_lifetime_days: u32) -> Arc<AppState> {
        AppState::with_web(
            storage,
            max_skew_ms,
            token_lifetime_days,
            crate::web::WebSettings::none(),
        )
    }

    /// [`AppState::new`] with the web pages' address and mail server.
    pub fn with_web(
        storage: Storage,
        max_skew_ms: u64,
        token_lifetime_days: u32,
        web: crate::web::WebSettings,
    ) -> Arc<AppState> {
        Arc::new(AppState {
            storage,
            failures: FailedSignIns::default(),
            max_skew_ms,
            feeds: FeedCache::default(),
            audit: AuditBuffer::default(),
            token_lifetime_days,
            web,
            points: Default::default(),
            web_limits: Default::default(),
            metrics: metrics_handle(),
        })
    }

    /// Writes the audit events waiting now (at shutdown, and by [`write_audit`]). Events that
    /// could not be written wait for the next try.
    pub async fn flush_audit(&self) -> Result<()> {
        let events = self.audit.take();
        if events.is_empty() {
            return Ok(());
        }
        let n = events.len();
        match self.storage.audit_batch(events.clone()).await {
            Ok(()) => {
                metrics::counter!("wijkwerk_audit_events_total").increment(n as u64);
                Ok(())
            }
            Err(e) => {
                self.audit.put_back(events);
                Err(e)
            }
        }
    }
}

/// How often waiting audit events are written (and at once when many wait).
const AUDIT_WRITE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How often the audit log's retention purge runs while serving.
const AUDIT_PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The task that writes the requests' audit events in batches, and purges rows older than
/// `retention_days` at once and then daily. Ends when the state is dropped.
pub async fn write_audit(state: std::sync::Weak<AppState>, retention_days: u32) {
    let mut last_purge: Option<Instant> = None;
    loop {
        let Some(state) = state.upgrade() else {
            return;
        };
        if last_purge.is_none_or(|at| at.elapsed() >= AUDIT_PURGE_EVERY) {
            match state.storage.audit_purge(retention_days).await {
                Ok(deleted) => {
                    last_purge = Some(Instant::now());
                    tracing::info!(deleted, retention_days, "audit log purged");
                }
                Err(e) => {
                    // Tried again in an hour.
                    last_purge = Some(
                        Instant::now() - AUDIT_PURGE_EVERY + std::time::Duration::from_secs(3600),
                    );
                    tracing::error!(error = %e, "the audit log's purge failed");
                }
            }
        }
        if let Err(e) = state.flush_audit().await {
            tracing::error!(error = %e, waiting = state.audit.len(), "audit events could not be written; trying again");
        }
        let wake = async { state.audit.wake.notified().await };
        let _ = tokio::time::timeout(AUDIT_WRITE_EVERY, wake).await;
    }
}

/// The upper bounds (seconds) of the buckets of the request duration histograms
/// (`wijkwerk_push_seconds`, `wijkwerk_pull_seconds`). Rendered as Prometheus histograms
/// (`_bucket{le=...}` counters), so that a scraper can take the difference of two scrapes and
/// read the p50/p99 of just the requests in between (a summary's quantiles cover the whole
/// life of the process and cannot be subtracted).
pub const DURATION_BUCKETS: [f64; 27] = [
    0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05,
    0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0,
];

fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            // Only fails on an empty bucket list, which this is not; without buckets the
            // histograms are still rendered (as summaries).
            let builder = match builder
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &DURATION_BUCKETS)
            {
                Ok(with_buckets) => with_buckets,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics without duration buckets");
                    PrometheusBuilder::new()
                }
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (tests start several servers).
            let _ = metrics::set_global_recorder(recorder);
            // Histogram samples wait in a buffer until they are folded into the buckets: fold
            // them now and then, so that a server nobody scrapes does not keep every sample.
            let upkeep = handle.clone();
            let _ = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                });
            handle
        })
        .clone()
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(crate::web::routes())
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .route("/v1/hello", get(hello))
        .route("/v1/push", post(push))
        .route("/v1/pull", get(pull))
        .route("/v1/token/rotate", post(rotate_token))
        .route("/calendar/{file}", get(calendar_feed))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestDecompressionLayer::new())
        // gzip's fastest level: pull pages are mostly repeated clocks and names, which it
        // still shrinks about as well, at a fraction of the default level's CPU time. Answers
        // that fit in one packet go as they are (setting up gzip costs more than it saves).
        .layer(
            CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest)
                .compress_when(tower_http::compression::predicate::SizeAbove::new(
                    COMPRESS_ABOVE_BYTES,
                )),
        )
        .with_state(state)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

async fn health(State(state): State<Arc<AppState>>) -> Response {
    match state.storage.health().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> String {
    state.metrics.render()
}

async fn hello(State(state): State<Arc<AppState>>) -> Json<Hello> {
    Json(Hello {
        protocol_versions: vec![PROTOCOL_VERSION],
        server_version: env!("CARGO_PKG_VERSION").to_owned(),
        server_time_ms: now_ms(),
        max_clock_skew_ms: state.max_skew_ms,
        extra: Default::default(),
    })
}

/// Checks the protocol version and the token; slows down addresses that keep failing. A
/// refusal is in the audit log with the address (never the token).
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<Principal> {
    authenticate_token(state, headers, peer)
        .await
        .map(|(principal, _)| principal)
}

/// [`authenticate`], also giving the hash of the token signed in with.
async fn authenticate_token(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<(Principal, String)> {
    if let Some(version) = headers.get(PROTOCOL_HEADER) {
        let text = version.to_str().unwrap_or("?");
        if text.trim() != PROTOCOL_VERSION.to_string() {
            return Err(ServerError::UnsupportedProtocol(text.to_owned()));
        }
    }
    let wait = state.failures.wait_seconds(peer.ip());
    if wait > 0 {
        metrics::counter!("wijkwerk_auth_rate_limited_total").increment(1);
        return Err(ServerError::RateLimited(wait));
    }
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let (hash, sign_in) = match token {
        Some(token) if !token.is_empty() && token.len() < 200 => {
            let hash = token_hash(token);
            let sign_in = state.storage.authenticate(&hash).await?;
            (Some(hash), sign_in)
        }
        _ => (None, SignIn::Unknown),
    };
    let failed = |reason: &str| {
        state.failures.failed(peer.ip());
        metrics::counter!("wijkwerk_auth_failures_total").increment(1);
        tracing::warn!(peer = %peer.ip(), reason, "failed sign-in");
    };
    match (sign_in, hash) {
        (SignIn::Valid(p), Some(_)) if p.role == Role::Department => {
            // Department colleagues use the web pages, never the sync API.
            failed("department user's token");
            Err(ServerError::Unauthorized)
        }
        (SignIn::Valid(p), Some(hash)) => {
            state.failures.succeeded(peer.ip());
            Ok((p, hash))
        }
        (SignIn::Expired(p), hash) => {
            failed("expired token");
            state.audit.record(
                AuditEvent::new(AuditKind::TokenExpiredUse)
                    .tenant(&p.tenant)
                    .user(&p.user)
                    .address(peer.ip())
                    .detail("token", token_id(hash.as_deref().unwrap_or_default()))
                    .detail("expired", crate::audit::timestamp_text(p.expires_at_ms)),
            );
            Err(ServerError::TokenExpired)
        }
        (SignIn::Revoked(p), hash) => {
            failed("revoked token");
            state.audit.record(
                AuditEvent::new(AuditKind::SignInFailed)
                    .tenant(&p.tenant)
                    .user(&p.user)
                    .address(peer.ip())
                    .detail("reason", "revoked token")
                    .detail("token", token_id(hash.as_deref().unwrap_or_default())),
            );
            Err(ServerError::Unauthorized)
        }
        (_, hash) => {
            let reason = if hash.is_some() {
                "unknown token"
            } else {
                "no token"
            };
            failed(reason);
            state.audit.record(
                AuditEvent::new(AuditKind::SignInFailed)
                    .address(peer.ip())
                    .detail("reason", reason),
            );
            Err(ServerError::Unauthorized)
        }
    }
}

/// `POST /v1/token/rotate`: a new token for the one signed in with (see
/// [`Storage::rotate_token`]: the old one stays valid until the new one is first used).
async fn rotate_token(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<TokenRotation>> {
    let (principal, old_hash) = authenticate_token(&state, &headers, peer).await?;
    let token = new_token();
    let expires_at_ms = crate::auth::expiry(crate::audit::now_ms(), state.token_lifetime_days);
    state
        .storage
        .rotate_token(
            &principal,
            &old_hash,
            &token_hash(&token),
            expires_at_ms,
            &peer.ip().to_string(),
        )
        .await?;
    metrics::counter!("wijkwerk_token_rotations_total").increment(1);
    tracing::info!(tenant = %principal.tenant, user = %principal.user, "token rotated");
    Ok(Json(TokenRotation {
        token,
        expires_at_ms,
        extra: Default::default(),
    }))
}

async fn push(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<PushResponse>> {
    let started = Instant::now();
    let principal = authenticate(&state, &headers, peer).await?;
    if principal.role != Role::Coordinator {
        return Err(ServerError::ReadOnly);
    }
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ServerError::TooLarge(format!(
            "at most {} MB after decompression",
            MAX_BODY_BYTES >> 20
        )),
        _ => ServerError::BadRequest(e.body_text()),
    })?;
    let request = decode_push(&body)?;
    let changesets = request.changesets.len();
    // Reminders coordinators asked for, by changeset (sent once it is applied, not on a retry).
    let reminders: Vec<Vec<(Uuid, Option<String>)>> = request
        .changesets
        .iter()
        .map(|set| crate::web::reminders::requested(std::slice::from_ref(set)))
        .collect();
    // Field changes, as the laptop counts them.
    let changes: usize = request
        .changesets
        .iter()
        .flat_map(|set| &set.changes)
        .map(|change| change.fields.len())
        .sum();
    let pushed = state
        .storage
        .push_after(
            principal.tenant_id,
            request.client_id,
            request.changesets,
            request.after,
            PushLimits {
                now_ms: now_ms(),
                max_skew_ms: state.max_skew_ms,
            },
            Some(PushActor {
                tenant: principal.tenant.clone(),
                user: principal.user.clone(),
                address: Some(peer.ip()),
            }),
        )
        .await?;
    for (entity, record) in &pushed.erased {
        // Audited in the push's own transaction (storage::erasure_events).
        tracing::info!(tenant = %principal.tenant, user = %principal.user, %entity, %record, "erasure");
    }
    let acks = pushed.acks;
    for (ack, points) in acks.iter().zip(reminders) {
        if matches!(ack.outcome, PushOutcome::Applied { .. }) {
            for (point, author) in points {
                tokio::spawn(crate::web::reminders::remind_about_point(
                    state.clone(),
                    principal.tenant_id,
                    author.unwrap_or_else(|| principal.user.clone()),
                    point,
                ));
            }
        }
    }
    let (mut applied, mut duplicate, mut refused) = (0u64, 0u64, 0u64);
    for ack in &acks {
        let outcome = match &ack.outcome {
            PushOutcome::Applied { .. } => {
                applied += 1;
                "applied"
            }
            PushOutcome::Duplicate { .. } => {
                duplicate += 1;
                "duplicate"
            }
            PushOutcome::Refused { .. } => {
                refused += 1;
                "refused"
            }
        };
        metrics::counter!("wijkwerk_push_changesets_total", "outcome" => outcome).increment(1);
    }
    state.audit.record(
        AuditEvent::new(AuditKind::Push)
            .tenant(&principal.tenant)
            .user(&principal.user)
            .address(peer.ip())
            .detail("client", request.client_id.to_string())
            .detail("changesets", changesets)
            .detail("changes", changes)
            .detail("applied", applied)
            .detail("duplicate", duplicate)
            .detail("refused", refused),
    );
    metrics::histogram!("wijkwerk_push_seconds").record(started.elapsed().as_secs_f64());
    tracing::info!(
        tenant = %principal.tenant, user = %principal.user, client = %request.client_id,
        changesets, millis = started.elapsed().as_millis() as u64, "push"
    );
    Ok(Json(PushResponse {
        acks,
        cursor: pushed.cursor,
        head: Some(pushed.head),
        token_expires_at_ms: Some(principal.expires_at_ms),
        extra: Default::default(),
    }))
}

/// The most changesets one push may carry.
pub const MAX_PUSH_CHANGESETS: usize = 10_000;

/// A push's body (after decompression) as the request it is: the protocol's JSON, at most
/// [`MAX_PUSH_CHANGESETS`] changesets. Each changeset is checked later, on its own
/// ([`crate::storage::check_changeset`]), so that one bad changeset refuses only itself.
pub fn decode_push(body: &[u8]) -> Result<PushRequest> {
    let request: PushRequest = serde_json::from_slice(body).map_err(|e| {
        ServerError::BadRequest(format!("the push is not valid JSON for this protocol: {e}"))
    })?;
    if request.changesets.len() > MAX_PUSH_CHANGESETS {
        return Err(ServerError::TooLarge(
            "at most 10,000 changesets per push".into(),
        ));
    }
    Ok(request)
}

/// A pull's query string: `after=SEQ&tx=TX&limit=N`.
#[derive(Debug, Deserialize)]
pub struct PullQuery {
    #[serde(default)]
    pub after: i64,
    pub tx: Option<Uuid>,
    pub limit: Option<usize>,
}

impl PullQuery {
    /// Where the page starts and how many fields it may hold at most.
    pub fn page(&self) -> (Cursor, usize) {
        let cursor = Cursor {
            seq: self.after,
            tx: self.tx,
        };
        (
            cursor,
            self.limit.unwrap_or(5_000).clamp(1, MAX_PULL_FIELDS),
        )
    }
}

async fn pull(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: std::result::Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PullResponse>> {
    let started = Instant::now();
    let principal = authenticate(&state, &headers, peer).await?;
    let Query(query) = query.map_err(|e| ServerError::BadRequest(e.body_text()))?;
    let (cursor, limit) = query.page();
    let mut page = state
        .storage
        .pull(principal.tenant_id, cursor, limit)
        .await?;
    page.token_expires_at_ms = Some(principal.expires_at_ms);
    state.audit.record(
        AuditEvent::new(AuditKind::Pull)
            .tenant(&principal.tenant)
            .user(&principal.user)
            .address(peer.ip())
            .detail("after", cursor.seq)
            .detail("to", page.cursor.seq)
            .detail("records", page.records.len()),
    );
    metrics::counter!("wijkwerk_pull_records_total").increment(page.records.len() as u64);
    metrics::histogram!("wijkwerk_pull_seconds").record(started.elapsed().as_secs_f64());
    Ok(Json(page))
}

/// `GET /calendar/<token>.ics`: the municipality's kernbezoek calendar for subscribing from
/// Outlook, Google or Apple. The token is the secret (only its hash is stored; revocable with
/// `wijkwerk-server feed revoke`). Answers `304` when the calendar did not change (`ETag`).
async fn calendar_feed(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let wait = state.failures.wait_seconds(peer.ip());
    if wait > 0 {
        return Err(ServerError::RateLimited(wait));
    }
    let token = file.strip_suffix(".ics").unwrap_or(&file);
    let Some(owner) = state.storage.feed_tenant(&token_hash(token)).await? else {
        state.failures.failed(peer.ip());
        state.audit.record(
            AuditEvent::new(AuditKind::SignInFailed)
                .address(peer.ip())
                .detail("reason", "unknown calendar address"),
        );
        return Err(ServerError::UnknownFeed);
    };
    state.audit.record(
        AuditEvent::new(AuditKind::FeedRead)
            .tenant(&owner.tenant)
            .user(&owner.user)
            .address(peer.ip()),
    );
    let (tenant_id, tenant, head_seq) = (owner.tenant_id, owner.tenant, owner.head_seq);
    let now = jiff::Timestamp::now();
    let day = wijkwerk_calendar::feed::dutch_day(now);
    let name = crate::feed::calendar_name(&tenant);
    let feed = match state.feeds.get(tenant_id, head_seq, day, &name) {
        Some(feed) => {
            metrics::counter!("wijkwerk_calendar_feed_cached_total").increment(1);
            feed
        }
        None => {
            let records = state
                .storage
                .records(
                    tenant_id,
                    FEED_ENTITIES.iter().map(|e| e.to_string()).collect(),
                )
                .await?;
            let feed = tokio::task::spawn_blocking(move || {
                crate::feed::build(records, &tenant, head_seq, now)
            })
            .await
            .map_err(|e| ServerError::Calendar(e.to_string()))??;
            metrics::counter!("wijkwerk_calendar_feed_builds_total").increment(1);
            let feed = Arc::new(feed);
            state.feeds.put(tenant_id, feed.clone());
            feed
        }
    };
    let etag = feed.etag.clone();
    if headers
        .get(axum::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok((StatusCode::NOT_MODIFIED, [(axum::http::header::ETAG, etag)]).into_response());
    }
    metrics::counter!("wijkwerk_calendar_feed_total").increment(1);
    Ok((
        StatusCode::OK,
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (axum::http::header::ETAG, etag),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=300".to_owned(),
            ),
        ],
        feed.body.clone(),
    )
        .into_response())
}
