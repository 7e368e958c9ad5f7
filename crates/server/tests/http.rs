//! The HTTP API refuses bad requests with a 4xx and a reason, and changes nothing; a client facing
//! a broken server keeps its data and says what happened.

mod common;

use common::{database, tenant_with_user, Laptop, Server};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;
use wijkwerk_core::sync::http::HttpTransport;
use wijkwerk_core::sync::SyncError;
use wijkwerk_core::{Entity, Fields};

fn agent() -> ureq::Agent {
    common::http_agent(Duration::from_secs(10))
}

/// Sends a request and returns the status and the JSON body.
fn send(request: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut response = request.expect("an answer");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn head(server: &Server, token: &str) -> i64 {
    let (status, body) = send(
        agent()
            .get(format!("{}/v1/pull?after=0&limit=1", server.url))
            .header("authorization", format!("Bearer {token}"))
            .call(),
    );
    assert_eq!(status, 200, "{body}");
    body["head"].as_i64().unwrap()
}

#[test]
fn bad_requests_get_a_reason_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (_, token) = tenant_with_user(&db, "coordinator");
    let push = |body: &[u8], token: &str| {
        send(
            agent()
                .post(format!("{}/v1/push", server.url))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .send(body),
        )
    };

    let (status, body) = push(b"{\"client_id\": \"not json", &token);
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );

    let (status, body) = push(br#"{"client_id": "0190d6a0-0000-7000-8000-000000000001", "changesets": [{"client_seq": 1}]}"#, &token);
    assert_eq!(status, 400, "{body}");

    let (status, body) = push(br#"{"client_id": "x", "changesets": []}"#, "wk_wrong");
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );

    // A small gzip body that unpacks to more than the limit (a "zip bomb") is refused too.
    let bomb = {
        use flate2::write::GzEncoder;
        use std::io::Write as _;
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..130 {
            gz.write_all(&vec![b' '; 1024 * 1024]).unwrap();
        }
        gz.finish().unwrap()
    };
    assert!(bomb.len() < 1024 * 1024);
    let (status, body) = send(
        agent()
            .post(format!("{}/v1/push", server.url))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .send(&bomb[..]),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );

    let (status, body) = send(
        agent()
            .get(format!("{}/v1/pull?after=-5", server.url))
            .header("authorization", format!("Bearer {token}"))
            .call(),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("unknown_cursor")),
        "{body}"
    );

    let (status, body) = send(
        agent()
            .get(format!("{}/v1/pull?after=abc", server.url))
            .header("authorization", format!("Bearer {token}"))
            .call(),
    );
    assert_eq!(status, 400, "{body}");

    let (status, body) = send(
        agent()
            .get(format!("{}/v1/pull", server.url))
            .header("authorization", format!("Bearer {token}"))
            .header("wijkwerk-protocol", "7")
            .call(),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (426, Some("unsupported_protocol")),
        "{body}"
    );

    assert_eq!(head(&server, &token), 0, "nothing was written");
    let (status, text) = send(agent().get(format!("{}/health", server.url)).call());
    assert_eq!((status, text), (200, Value::String("ok".into())));
    let (status, metrics) = send(agent().get(format!("{}/metrics", server.url)).call());
    assert_eq!(status, 200);
    assert!(
        metrics
            .as_str()
            .unwrap_or_default()
            .contains("wijkwerk_auth_failures_total"),
        "{metrics}"
    );
}

#[test]
fn repeated_failed_sign_ins_are_slowed_down() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let server = Server::start(&db);
    let (_, token) = tenant_with_user(&db, "coordinator");
    let mut statuses = Vec::new();
    for i in 0..8 {
        let (status, _) = send(
            agent()
                .get(format!("{}/v1/pull", server.url))
                .header("authorization", format!("Bearer wk_guess_{i}"))
                .call(),
        );
        statuses.push(status);
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert!(statuses[5..].contains(&429), "{statuses:?}");
    // Even the right token waits until the delay is over.
    let (status, body) = send(
        agent()
            .get(format!("{}/v1/pull", server.url))
            .header("authorization", format!("Bearer {token}"))
            .call(),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("rate_limited")),
        "{body}"
    );
}

/// A server that answers every connection with the given bytes (or not at all).
fn fake_server(answer: Option<&'static [u8]>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf);
            match answer {
                Some(bytes) => {
                    let _ = stream.write_all(bytes);
                }
                None => std::thread::sleep(Duration::from_secs(5)),
            }
        }
    });
    url
}

#[test]
fn a_broken_server_leaves_the_laptop_untouched_and_says_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let mut laptop = Laptop::new(dir.path(), "a", "wk_token");
    let mut fields = Fields::new();
    fields.insert("name".into(), json!("Blijft bewaard"));
    laptop.store.create(Entity::Contact, fields).unwrap();
    let before = laptop.export();
    let cases: [(Option<&'static [u8]>, &str); 4] = [
        (
            Some(b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello world"),
            "garbage",
        ),
        (
            Some(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\n\r\noops"),
            "server",
        ),
        (Some(b"\x00\x01\x02 not http at all"), "offline"),
        (None, "offline"),
    ];
    for (answer, code) in cases {
        let url = fake_server(answer);
        let mut transport = HttpTransport::new(&url, "wk_token", Duration::from_secs(1)).unwrap();
        let err = laptop.store.sync_round(&url, &mut transport).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert!(!err.to_string().is_empty());
        laptop.store.record_sync_error(&err).unwrap();
        assert_eq!(laptop.export(), before);
        let status = laptop.store.sync_status().unwrap();
        assert_eq!(status.waiting, 1);
        assert!(status.last_error.is_some());
    }
    let nobody = "http://127.0.0.1:9".to_owned();
    let mut transport = HttpTransport::new(&nobody, "t", Duration::from_secs(1)).unwrap();
    assert!(matches!(
        laptop.store.sync_round(&nobody, &mut transport),
        Err(SyncError::Offline(_))
    ));
}
