//! The server's errors, and how each becomes an HTTP answer with a reason.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wijkwerk_protocol::wire::ErrorBody;

pub type Result<T, E = ServerError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("missing or unknown token")]
    Unauthorized,
    #[error("the token has expired; ask for a new one")]
    TokenExpired,
    #[error("this token may only read")]
    ReadOnly,
    #[error("too many failed sign-ins from this address; wait {0} seconds")]
    RateLimited(u64),
    #[error("the cursor is not known to this server (restored from a backup, or history pruned); download again")]
    UnknownCursor,
    #[error("{0}")]
    BadRequest(String),
    #[error("the request is too large: {0}")]
    TooLarge(String),
    #[error("protocol version {0:?} is not supported; this server speaks version 1")]
    UnsupportedProtocol(String),
    #[error("tenant {0:?} does not exist")]
    UnknownTenant(String),
    #[error("tenant {0:?} already exists")]
    TenantExists(String),
    #[error("user {0:?} does not exist")]
    UnknownUser(String),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {}", postgres_detail(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("database pool: {0}")]
    Pool(String),
    #[error("stored data could not be read: {0}")]
    StoredData(String),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    ConfigFile(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    #[error("no calendar at this address (the link is wrong or was revoked)")]
    UnknownFeed,
    #[error("the calendar could not be made: {0}")]
    Calendar(String),
}

/// tokio-postgres says only "db error" for an error the database reported: its message, detail
/// and code are in the source, and an operator needs them.
fn postgres_detail(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{}: {} ({})", db.severity(), db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; {detail}"));
            }
            if let Some(table) = db.table() {
                text.push_str(&format!("; table {table}"));
            }
            text
        }
        None => e.to_string(),
    }
}

impl ServerError {
    pub fn status(&self) -> StatusCode {
        match self {
            ServerError::Unauthorized | ServerError::TokenExpired => StatusCode::UNAUTHORIZED,
            ServerError::ReadOnly => StatusCode::FORBIDDEN,
            ServerError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ServerError::UnknownCursor => StatusCode::CONFLICT,
            ServerError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServerError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ServerError::UnsupportedProtocol(_) => StatusCode::UPGRADE_REQUIRED,
            ServerError::UnknownTenant(_)
            | ServerError::UnknownUser(_)
            | ServerError::UnknownFeed => StatusCode::NOT_FOUND,
            ServerError::TenantExists(_) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ServerError::Unauthorized => "unauthorized",
            ServerError::TokenExpired => "token_expired",
            ServerError::ReadOnly => "forbidden",
            ServerError::RateLimited(_) => "rate_limited",
            ServerError::UnknownCursor => "unknown_cursor",
            ServerError::BadRequest(_) => "bad_request",
            ServerError::TooLarge(_) => "too_large",
            ServerError::UnsupportedProtocol(_) => "unsupported_protocol",
            ServerError::UnknownTenant(_) => "unknown_tenant",
            ServerError::TenantExists(_) => "tenant_exists",
            ServerError::UnknownUser(_) => "unknown_user",
            ServerError::UnknownFeed => "unknown_feed",
            _ => "internal",
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = ErrorBody {
            code: self.code().to_owned(),
            // Internal details stay in the log.
            message: if status.is_server_error() {
                "the server could not handle the request; it has been logged".to_owned()
            } else {
                self.to_string()
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let ServerError::RateLimited(secs) = self {
            if let Ok(value) = secs.to_string().parse() {
                response.headers_mut().insert("retry-after", value);
            }
        }
        response
    }
}
