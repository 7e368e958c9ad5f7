//! E-mail from the server (reminders, sign-in links) over SMTP, with lettre.
//!
//! [`Mailer`] is made once from the `[smtp]` table of the configuration file ([`SmtpSettings`];
//! none: nothing is sent and [`Mailer::send`] says [`MailError::NotConfigured`]) and cloned
//! freely. Each [`Mailer::send`] opens one connection, sends one message and closes it, within
//! the configured timeout as a whole (lettre's own timeout covers only the connect). Errors are in
//! English for the log; [`MailError::dutch`] gives the sentence for a web page.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How long one sending may take when nothing says (connect, greeting, message and answer).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (submission, port 587).
    #[default]
    StartTls,
    /// TLS from the first byte (submissions, port 465).
    Tls,
    /// No encryption: only to a mail server on this machine (see [`plain_allowed`]).
    None,
}

impl SmtpSecurity {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }

    /// The name in the configuration file.
    pub fn name(self) -> &'static str {
        match self {
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        }
    }
}

/// Whether an unencrypted connection to `host` is allowed: only to this machine.
pub fn plain_allowed(host: &str) -> bool {
    let host = host.trim();
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "::1"
}

/// The mail server and the sender.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, as `Wijkwerk <wijkwerk@gemeente.nl>` or a bare address.
    pub from: String,
    /// How long one sending may take as a whole.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpSettings {
    // Never the password (settings end up in logs and panics).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// One message to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The address, such as `a.celik@gemeente.nl`.
    pub to: String,
    /// The person's name, shown beside the address.
    pub to_name: Option<String>,
    pub subject: String,
    /// The plain text, always sent.
    pub text: String,
    /// An HTML alternative to the text (`multipart/alternative`).
    pub html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("no mail server is configured ([smtp] in the configuration file); no mail is sent")]
    NotConfigured,
    #[error("bad e-mail address {address:?}: {reason}")]
    BadAddress { address: String, reason: String },
    /// The server answered with an SMTP error: 5xx (permanent) or 4xx (try again later).
    #[error("the mail server refused the message: {code} {message}")]
    Refused { code: String, message: String },
    #[error("the mail server did not answer within {seconds} seconds")]
    Timeout { seconds: u64 },
    #[error("cannot talk with the mail server: {reason}")]
    Connection { reason: String },
    #[error("cannot make the message or the mail connection: {reason}")]
    Build { reason: String },
}

impl MailError {
    /// A short Dutch sentence for a web page (the details are in the log).
    pub fn dutch(&self) -> String {
        match self {
            MailError::NotConfigured => {
                "Er is geen mailserver ingesteld; er wordt geen e-mail verstuurd.".to_owned()
            }
            MailError::BadAddress { address, .. } => {
                format!("Het e-mailadres ‘{address}’ is niet geldig.")
            }
            MailError::Refused { code, message } if code.starts_with('4') => format!(
                "De mailserver kon het bericht nu niet aannemen ({code}: {message}); probeer het later opnieuw."
            ),
            MailError::Refused { code, message } => {
                format!("De mailserver weigerde het bericht ({code}: {message}).")
            }
            MailError::Timeout { seconds: 1 } => {
                "De mailserver antwoordde niet binnen 1 seconde.".to_owned()
            }
            MailError::Timeout { seconds } => {
                format!("De mailserver antwoordde niet binnen {seconds} seconden.")
            }
            MailError::Connection { .. } => {
                "Er kon geen verbinding met de mailserver worden gemaakt; de oorzaak staat in het logboek van de server."
                    .to_owned()
            }
            MailError::Build { .. } => {
                "Het bericht kon niet worden opgesteld; de oorzaak staat in het logboek van de server."
                    .to_owned()
            }
        }
    }
}

/// Sends mail, or says that it cannot (no mail server configured). Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    inner: Option<Arc<Configured>>,
}

struct Configured {
    settings: SmtpSettings,
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Some(c) => f
                .debug_struct("Mailer")
                .field("host", &c.settings.host)
                .field("port", &c.settings.port)
                .field("security", &c.settings.security)
                .finish(),
            None => f.write_str("Mailer(not configured)"),
        }
    }
}

impl Mailer {
    /// A mailer that sends nothing (no mail server configured).
    pub fn none() -> Mailer {
        Mailer { inner: None }
    }

    /// A mailer for these settings; `None`: one that sends nothing.
    pub fn new(settings: Option<SmtpSettings>) -> Result<Mailer, MailError> {
        let Some(settings) = settings else {
            return Ok(Mailer { inner: None });
        };
        let from = mailbox(&settings.from)?;
        let host = settings.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(MailError::Build {
                reason: format!("bad mail server host {:?}", settings.host),
            });
        }
        if settings.timeout.is_zero() {
            return Err(MailError::Build {
                reason: "the mail timeout may not be zero".to_owned(),
            });
        }
        let tls = match settings.security {
            SmtpSecurity::None if !plain_allowed(host) => {
                return Err(MailError::Build {
                    reason: format!(
                        "unencrypted SMTP (security none) only to this machine, not to {host}"
                    ),
                })
            }
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls_parameters(host)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(settings.timeout));
        match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (None, None) => {}
            _ => {
                return Err(MailError::Build {
                    reason: "a mail server user needs both a username and a password".to_owned(),
                })
            }
        }
        Ok(Mailer {
            inner: Some(Arc::new(Configured {
                transport: builder.build(),
                from,
                settings,
            })),
        })
    }

    /// Whether a mail server is configured (otherwise [`Mailer::send`] sends nothing).
    pub fn configured(&self) -> bool {
        self.inner.is_some()
    }

    /// Sends one message on a connection of its own, within the configured timeout.
    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let Some(configured) = &self.inner else {
            return Err(MailError::NotConfigured);
        };
        let message = message(&configured.from, mail)?;
        let timeout = configured.settings.timeout;
        let seconds = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
        match tokio::time::timeout(timeout, configured.transport.send(message)).await {
            Err(_elapsed) => Err(MailError::Timeout { seconds }),
            Ok(Ok(_response)) => Ok(()),
            Ok(Err(e)) => Err(smtp_error(&e, seconds)),
        }
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, MailError> {
    TlsParameters::new(host.to_owned()).map_err(|e| MailError::Build {
        reason: format!("TLS to {host}: {e}"),
    })
}

/// `Name <address>` or a bare address, checked.
pub(crate) fn mailbox(text: &str) -> Result<Mailbox, MailError> {
    text.trim()
        .parse::<Mailbox>()
        .map_err(|e| MailError::BadAddress {
            address: text.to_owned(),
            reason: e.to_string(),
        })
}

/// Header text on one line: line breaks and other control characters become spaces, so no
/// text can add a header of its own.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn message(from: &Mailbox, mail: Mail) -> Result<Message, MailError> {
    let address = mail
        .to
        .trim()
        .parse::<Address>()
        .map_err(|e| MailError::BadAddress {
            address: mail.to.clone(),
            reason: e.to_string(),
        })?;
    let name = mail
        .to_name
        .as_deref()
        .map(one_line)
        .filter(|n| !n.is_empty());
    // A Message-ID in the sender's domain (lettre's own names this machine, which may be an
    // internal name that spam filters hold against the message).
    let id = format!(
        "<{}@{}>",
        uuid::Uuid::now_v7().simple(),
        from.email.domain()
    );
    let builder = Message::builder()
        .message_id(Some(id))
        .from(from.clone())
        .to(Mailbox::new(name, address))
        .subject(one_line(&mail.subject));
    let built = match mail.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(mail.text, html)),
        None => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(mail.text),
        ),
    };
    built.map_err(|e| MailError::Build {
        reason: e.to_string(),
    })
}

fn smtp_error(e: &lettre::transport::smtp::Error, seconds: u64) -> MailError {
    if let Some(code) = e.status() {
        let message = std::error::Error::source(e)
            .map(|s| s.to_string())
            .unwrap_or_default();
        return MailError::Refused {
            code: code.to_string(),
            message: message.trim().to_owned(),
        };
    }
    if e.is_timeout() {
        return MailError::Timeout { seconds };
    }
    MailError::Connection {
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(host: &str, security: SmtpSecurity) -> SmtpSettings {
        SmtpSettings {
            host: host.into(),
            port: security.default_port(),
            security,
            username: None,
            password: None,
            from: "Wijkwerk <wijkwerk@gemeente.nl>".into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    #[test]
    fn plain_smtp_only_to_this_machine() {
        for host in ["localhost", "127.0.0.1", "::1"] {
            assert!(Mailer::new(Some(settings(host, SmtpSecurity::None))).is_ok());
        }
        let err = Mailer::new(Some(settings("smtp.gemeente.nl", SmtpSecurity::None))).unwrap_err();
        assert!(matches!(err, MailError::Build { .. }), "{err:?}");
    }

    #[test]
    fn a_bad_sender_or_half_a_login_is_refused() {
        let mut bad = settings("localhost", SmtpSecurity::None);
        bad.from = "Wijkwerk <geen adres>".into();
        assert!(matches!(
            Mailer::new(Some(bad)),
            Err(MailError::BadAddress { .. })
        ));
        let mut half = settings("localhost", SmtpSecurity::None);
        half.username = Some("wijkwerk".into());
        assert!(matches!(
            Mailer::new(Some(half)),
            Err(MailError::Build { .. })
        ));
    }

    #[test]
    fn the_password_stays_out_of_debug() {
        let mut s = settings("localhost", SmtpSecurity::None);
        s.password = Some("geheim123".into());
        assert!(!format!("{s:?}").contains("geheim123"));
    }

    #[test]
    fn no_header_can_be_added_through_the_subject_or_name() {
        let from = mailbox("Wijkwerk <wijkwerk@gemeente.nl>").unwrap();
        let message = message(
            &from,
            Mail {
                to: "a@gemeente.nl".into(),
                to_name: Some("Anna\r\nBcc: b@example.org".into()),
                subject: "Hallo\r\nBcc: c@example.org".into(),
                text: "x".into(),
                html: None,
            },
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(!raw.contains("\nBcc:"), "{raw}");
    }

    #[test]
    fn dutch_sentences() {
        let refused = MailError::Refused {
            code: "550".into(),
            message: "5.1.1 User unknown".into(),
        };
        assert_eq!(
            refused.dutch(),
            "De mailserver weigerde het bericht (550: 5.1.1 User unknown)."
        );
        assert_eq!(
            MailError::Timeout { seconds: 10 }.dutch(),
            "De mailserver antwoordde niet binnen 10 seconden."
        );
        assert!(MailError::Refused {
            code: "451".into(),
            message: "try later".into()
        }
        .dutch()
        .contains("probeer het later opnieuw"));
    }
}
