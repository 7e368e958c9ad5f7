//! The sync transport over HTTP(S): JSON bodies, gzip both ways, a bearer token, timeouts.
//! Every failure becomes a [`SyncError`] that says what happened; nothing here touches the store.

use super::{SyncError, Transport};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::io::Write as _;
use std::time::Duration;
use wijkwerk_protocol::wire::{
    Cursor, ErrorBody, Hello, PullResponse, PushRequest, PushResponse, TokenRotation,
    PROTOCOL_HEADER,
};
use wijkwerk_protocol::PROTOCOL_VERSION;

/// Pushes larger than this are compressed.
const COMPRESS_ABOVE_BYTES: usize = 1400;

/// The largest answer accepted (after decompression).
const MAX_ANSWER_BYTES: u64 = 512 * 1024 * 1024;

pub struct HttpTransport {
    base: String,
    token: String,
    agent: ureq::Agent,
}

/// The certificates of a certificate authority file (PEM); refused when it holds none.
fn authority_certificates(pem: &[u8]) -> Result<Vec<ureq::tls::Certificate<'static>>, SyncError> {
    let certificates = ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SyncError::Certificate(format!("the certificate authority file: {e}")))?;
    if certificates.is_empty() {
        return Err(SyncError::Certificate(
            "the certificate authority file holds no certificate".into(),
        ));
    }
    Ok(certificates)
}

/// Checks a certificate authority file (PEM) as [`HttpTransport::with_authority`] will read it.
pub fn check_authority(pem: &[u8]) -> Result<(), SyncError> {
    authority_certificates(pem).map(|_| ())
}

impl HttpTransport {
    /// A transport to `server` (`https://wijkwerk.gemeente.nl` or `http://127.0.0.1:8443`),
    /// trusting the usual public certificate authorities.
    pub fn new(server: &str, token: &str, timeout: Duration) -> Result<HttpTransport, SyncError> {
        HttpTransport::with_authority(server, token, timeout, None)
    }

    /// Like [`HttpTransport::new`], trusting only the certificate authority in `ca_pem` (a
    /// municipality's own CA, or a test's) when one is given.
    pub fn with_authority(
        server: &str,
        token: &str,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
    ) -> Result<HttpTransport, SyncError> {
        let base = server.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(SyncError::Protocol(format!(
                "the server address {server:?} must start with https:// (or http:// on a trusted network)"
            )));
        }
        let agent = shared_agent(&base, timeout, ca_pem)?;
        Ok(HttpTransport {
            base,
            token: token.trim().to_owned(),
            agent,
        })
    }
}

/// What makes an agent: the server, the timeout, and the certificate authority trusted.
type AgentKey = (String, Duration, Option<Vec<u8>>);

/// The agent for a server, made once per process and kept: each agent keeps its open
/// connections (ureq's pool, which probes a connection before it is used again and drops it
/// after 15 s idle), so the next round does not connect, or shake hands over TLS, again.
fn shared_agent(
    base: &str,
    timeout: Duration,
    ca_pem: Option<&[u8]>,
) -> Result<ureq::Agent, SyncError> {
    static AGENTS: std::sync::OnceLock<std::sync::Mutex<HashMap<AgentKey, ureq::Agent>>> =
        std::sync::OnceLock::new();
    let key: AgentKey = (base.to_owned(), timeout, ca_pem.map(<[u8]>::to_vec));
    let agents = AGENTS.get_or_init(Default::default);
    if let Some(agent) = agents.lock().ok().and_then(|a| a.get(&key).cloned()) {
        return Ok(agent);
    }
    let agent = new_agent(timeout, ca_pem)?;
    if let Ok(mut agents) = agents.lock() {
        // A settings screen tried many servers, or tests started many: start again.
        if agents.len() >= 16 {
            agents.clear();
        }
        agents.insert(key, agent.clone());
    }
    Ok(agent)
}

fn new_agent(timeout: Duration, ca_pem: Option<&[u8]>) -> Result<ureq::Agent, SyncError> {
    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false);
    if let Some(pem) = ca_pem {
        let certificates = authority_certificates(pem)?;
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(
                    certificates,
                )))
                .build(),
        );
    }
    Ok(config.build().into())
}

impl HttpTransport {
    fn answer<T: DeserializeOwned>(
        &self,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, SyncError> {
        let mut response = result.map_err(offline)?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => {
                    SyncError::Garbage("the answer is larger than 512 MB".into())
                }
                other => offline(other),
            })?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes).map_err(|e| {
                SyncError::Garbage(format!(
                    "{e} (the answer starts with {:?})",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(80)])
                ))
            });
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        let (code, message) = match body {
            Some(b) => (b.code, b.message),
            None => (
                String::new(),
                format!(
                    "{:?}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                ),
            ),
        };
        Err(match (status, code.as_str()) {
            (401, "token_expired") => SyncError::TokenExpired,
            (401, _) => SyncError::Unauthorized,
            (403, _) => SyncError::Forbidden,
            (409, "unknown_cursor") => SyncError::UnknownCursor,
            (426, _) => SyncError::Protocol(message),
            _ => SyncError::Server {
                status,
                code,
                message,
            },
        })
    }
}

fn offline(e: ureq::Error) -> SyncError {
    // A refused certificate comes as rustls's own error, or inside an I/O error. Other TLS
    // failures (a plain-HTTP port behind an https:// address, a network that breaks the
    // handshake) are no matter of certificates: offline, tried again soon.
    let tls = match &e {
        ureq::Error::Rustls(reason) => Some(reason),
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        _ => None,
    };
    if let Some(
        reason @ (rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented),
    ) = tls
    {
        return SyncError::Certificate(reason.to_string());
    }
    if let Some(reason) = tls {
        return SyncError::Offline(format!("the secure connection failed: {reason}"));
    }
    SyncError::Offline(match e {
        ureq::Error::Timeout(_) => "no answer in time".to_owned(),
        ureq::Error::HostNotFound => "the server's name is not known (no network?)".to_owned(),
        ureq::Error::ConnectionFailed => "no connection could be made".to_owned(),
        ureq::Error::Io(io) => format!("the connection broke: {io}"),
        ureq::Error::Tls(reason) => format!("the secure connection failed: {reason}"),
        other => other.to_string(),
    })
}

impl Transport for HttpTransport {
    fn hello(&mut self) -> Result<Hello, SyncError> {
        let result = self
            .agent
            .get(format!("{}/v1/hello", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .call();
        self.answer(result)
    }

    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, SyncError> {
        let json = serde_json::to_vec(request)
            .map_err(|e| SyncError::Protocol(format!("cannot write the push: {e}")))?;
        let post = self
            .agent
            .post(format!("{}/v1/push", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header("content-type", "application/json");
        // A push that fits in a packet goes as it is: gzip would cost more than it saves.
        if json.len() <= COMPRESS_ABOVE_BYTES {
            return self.answer(post.send(&json[..]));
        }
        let mut gz = GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::fast());
        gz.write_all(&json)
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        let body = gz
            .finish()
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        self.answer(post.header("content-encoding", "gzip").send(&body[..]))
    }

    fn pull(&mut self, cursor: Cursor, limit: usize) -> Result<PullResponse, SyncError> {
        let mut request = self
            .agent
            .get(format!("{}/v1/pull", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .query("after", cursor.seq.to_string())
            .query("limit", limit.to_string());
        if let Some(tx) = cursor.tx {
            request = request.query("tx", tx.to_string());
        }
        self.answer(request.call())
    }

    fn rotate_token(&mut self) -> Result<TokenRotation, SyncError> {
        let post = self
            .agent
            .post(format!("{}/v1/token/rotate", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        let rotation: TokenRotation = self.answer(post.send_empty())?;
        if rotation.token.trim().is_empty() {
            return Err(SyncError::Garbage("the server sent an empty token".into()));
        }
        Ok(rotation)
    }
}
