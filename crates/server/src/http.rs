//! The HTTP API. Every answer to a refused request is a 4xx with an [`ErrorBody`] that says why,
//! and a refused request changes nothing.

use crate::auth::{token_hash, FailedSignIns};
use crate::error::{Result, ServerError};
use crate::feed::{FeedCache, FEED_ENTITIES};
use crate::storage::{Principal, PushLimits, Role, Storage};
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
    Cursor, Hello, PullResponse, PushOutcome, PushRequest, PushResponse, PROTOCOL_HEADER,
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
    metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(storage: Storage, max_skew_ms: u64) -> Arc<AppState> {
        Arc::new(AppState {
            storage,
            failures: FailedSignIns::default(),
            max_skew_ms,
            feeds: FeedCache::default(),
            metrics: metrics_handle(),
        })
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
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .route("/v1/hello", get(hello))
        .route("/v1/push", post(push))
        .route("/v1/pull", get(pull))
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

/// Checks the protocol version and the token; slows down addresses that keep failing.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<Principal> {
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
    let principal = match token {
        Some(token) if !token.is_empty() && token.len() < 200 => {
            state.storage.authenticate(&token_hash(token)).await?
        }
        _ => None,
    };
    match principal {
        Some(p) => {
            state.failures.succeeded(peer.ip());
            Ok(p)
        }
        None => {
            state.failures.failed(peer.ip());
            metrics::counter!("wijkwerk_auth_failures_total").increment(1);
            tracing::warn!(peer = %peer.ip(), "failed sign-in");
            Err(ServerError::Unauthorized)
        }
    }
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
        )
        .await?;
    let acks = pushed.acks;
    for ack in &acks {
        let outcome = match &ack.outcome {
            PushOutcome::Applied { .. } => "applied",
            PushOutcome::Duplicate { .. } => "duplicate",
            PushOutcome::Refused { .. } => "refused",
        };
        metrics::counter!("wijkwerk_push_changesets_total", "outcome" => outcome).increment(1);
    }
    metrics::histogram!("wijkwerk_push_seconds").record(started.elapsed().as_secs_f64());
    tracing::info!(
        tenant = %principal.tenant, user = %principal.user, client = %request.client_id,
        changesets, millis = started.elapsed().as_millis() as u64, "push"
    );
    Ok(Json(PushResponse {
        acks,
        cursor: pushed.cursor,
        head: Some(pushed.head),
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
    let page = state
        .storage
        .pull(principal.tenant_id, cursor, limit)
        .await?;
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
    let Some((tenant_id, tenant, head_seq)) = state.storage.feed_tenant(&token_hash(token)).await?
    else {
        state.failures.failed(peer.ip());
        return Err(ServerError::UnknownFeed);
    };
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
