//! `Mailer` against a real SMTP server on this machine (the test sink): what arrives (recipient,
//! subject, Dutch text intact, an HTML alternative), and each way sending fails.

mod common;

use common::smtp_sink::{SinkMode, SmtpSink};
use std::time::{Duration, Instant};
use wijkwerk_server::mail::{Mail, MailError, Mailer};

fn reminder(to: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        to_name: Some("Heer Çelik".to_owned()),
        subject: "Herinnering: één afspraak bij café De Zon".to_owned(),
        text: "Geachte heer Çelik,\n\nU heeft morgen één afspraak bij café De Zon.\nMeld u aan via https://wijkwerk.bergen.example/aanmelden/abc123.\n\nMet vriendelijke groet,\nWijkwerk\n".to_owned(),
        html: Some("<p>Geachte heer Çelik,</p><p>U heeft morgen één afspraak bij café De Zon.</p>".to_owned()),
    }
}

#[tokio::test]
async fn a_mail_arrives_with_its_recipient_subject_and_dutch_text() {
    let sink = SmtpSink::start();
    let mailer = Mailer::new(Some(sink.settings())).unwrap();
    assert!(mailer.configured());
    mailer
        .send(reminder("a.celik@bergen.example"))
        .await
        .unwrap();

    let messages = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(messages.len(), 1);
    let mail = &messages[0];
    assert_eq!(mail.from, "wijkwerk@bergen.example");
    assert_eq!(mail.to, ["a.celik@bergen.example"]);
    assert_eq!(mail.subject(), "Herinnering: één afspraak bij café De Zon");
    assert!(
        mail.to_header().contains("Heer Çelik"),
        "{}",
        mail.to_header()
    );
    assert!(mail.to_header().contains("<a.celik@bergen.example>"));
    assert_eq!(mail.content_type(), "multipart/alternative");
    let id = mail.header("Message-ID").expect("a Message-ID");
    assert!(
        id.starts_with('<') && id.ends_with("@bergen.example>"),
        "{id}"
    );
    let text = mail.text_body();
    assert!(text.starts_with("Geachte heer Çelik,\n\n"), "{text}");
    assert!(text.contains("één afspraak bij café De Zon"), "{text}");
    assert_eq!(
        mail.links(),
        ["https://wijkwerk.bergen.example/aanmelden/abc123"]
    );
    let html = mail.html_body().expect("an HTML alternative");
    assert!(html.contains("<p>Geachte heer Çelik,</p>"), "{html}");
}

#[tokio::test]
async fn text_only_is_one_plain_part_and_the_subject_cannot_add_a_header() {
    let sink = SmtpSink::start();
    let mailer = Mailer::new(Some(sink.settings())).unwrap();
    let mail = Mail {
        subject: "Hallo\r\nBcc: iemand@elders.example".to_owned(),
        to_name: None,
        html: None,
        // A line with only a dot, and one starting with a dot: the SMTP dot-stuffing.
        text: "één\n.\n.punt\n".to_owned(),
        ..reminder("anna@bergen.example")
    };
    mailer.send(mail).await.unwrap();
    let mail = &sink.wait_for(1, Duration::from_secs(5))[0];
    assert_eq!(mail.content_type(), "text/plain");
    assert_eq!(mail.to, ["anna@bergen.example"]);
    assert_eq!(mail.header("Bcc"), None);
    assert!(!mail.raw.contains("\r\nBcc:"), "{}", mail.raw);
    assert_eq!(mail.subject(), "Hallo  Bcc: iemand@elders.example");
    assert_eq!(mail.text_body().trim_end(), "één\n.\n.punt");
    assert_eq!(mail.html_body(), None);
}

#[tokio::test]
async fn a_refused_recipient_gives_the_servers_code_and_a_dutch_sentence() {
    let sink = SmtpSink::start_with(SinkMode::RefuseRecipient);
    let mailer = Mailer::new(Some(sink.settings())).unwrap();
    let err = mailer
        .send(reminder("onbekend@bergen.example"))
        .await
        .unwrap_err();
    let MailError::Refused { code, message } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(code, "550");
    assert!(
        message.starts_with("5.1.1 <onbekend@bergen.example>"),
        "{message}"
    );
    assert!(
        err.dutch()
            .starts_with("De mailserver weigerde het bericht (550: 5.1.1 "),
        "{}",
        err.dutch()
    );
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_stalled_server_gives_a_timeout_after_the_timeout() {
    let sink = SmtpSink::start_with(SinkMode::Stall);
    let mailer = Mailer::new(Some(sink.settings())).unwrap();
    let start = Instant::now();
    let err = mailer
        .send(reminder("a.celik@bergen.example"))
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert_eq!(err, MailError::Timeout { seconds: 2 });
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
        "{took:?}"
    );
    assert_eq!(
        err.dutch(),
        "De mailserver antwoordde niet binnen 2 seconden."
    );
    assert_eq!(sink.connections(), 1);
}

#[tokio::test]
async fn without_a_mail_server_nothing_is_sent() {
    let mailer = Mailer::new(None).unwrap();
    assert!(!mailer.configured());
    let err = mailer
        .send(reminder("a.celik@bergen.example"))
        .await
        .unwrap_err();
    assert_eq!(err, MailError::NotConfigured);
    assert_eq!(
        err.dutch(),
        "Er is geen mailserver ingesteld; er wordt geen e-mail verstuurd."
    );
}

#[tokio::test]
async fn a_bad_address_is_refused_without_contacting_the_server() {
    let sink = SmtpSink::start();
    let mailer = Mailer::new(Some(sink.settings())).unwrap();
    for address in ["geen-adres", "a.celik@", "a celik@bergen.example", ""] {
        let err = mailer.send(reminder(address)).await.unwrap_err();
        assert!(
            matches!(&err, MailError::BadAddress { address: a, .. } if a == address),
            "{address:?}: {err:?}"
        );
    }
    assert_eq!(sink.connections(), 0);
}

#[tokio::test]
async fn no_server_listening_is_a_connection_error() {
    let sink = SmtpSink::start();
    let mut settings = sink.settings();
    // A port that was free a moment ago and most likely still is.
    settings.port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Mailer::new(Some(settings))
        .unwrap()
        .send(reminder("a.celik@bergen.example"))
        .await
        .unwrap_err();
    assert!(matches!(err, MailError::Connection { .. }), "{err:?}");
    assert!(
        err.dutch().starts_with("Er kon geen verbinding"),
        "{}",
        err.dutch()
    );
}
