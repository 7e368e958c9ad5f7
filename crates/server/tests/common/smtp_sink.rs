//! A mail server for tests: real SMTP (RFC 5321, no TLS, no AUTH) on 127.0.0.1 on a free port,
//! which keeps every message it receives for the test to read, or refuses recipients, or stalls.
//! It talks with nothing outside this machine: it only listens, on the loopback address.
#![allow(dead_code)]

use base64::Engine as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wijkwerk_server::mail::{SmtpSecurity, SmtpSettings};

/// What the sink does with what it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkMode {
    /// Takes every message.
    Accept,
    /// Answers `550 5.1.1` to every `RCPT TO` (so no message is taken).
    RefuseRecipient,
    /// Greets each connection, then never answers again (for timeouts).
    Stall,
}

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without the angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without the angle brackets.
    pub to: Vec<String>,
    /// The message as sent after `DATA` (dot-unstuffed, CRLF line ends, no final dot).
    pub raw: String,
}

pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    mode: Mutex<SinkMode>,
    messages: Mutex<Vec<ReceivedMail>>,
    connections: AtomicUsize,
    stop: AtomicBool,
}

const FROM: &str = "Wijkwerk <wijkwerk@bergen.example>";

impl SmtpSink {
    /// A sink that takes every message.
    pub fn start() -> SmtpSink {
        SmtpSink::start_with(SinkMode::Accept)
    }

    pub fn start_with(mode: SinkMode) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the sink listens");
        let port = listener.local_addr().expect("the sink's address").port();
        let shared = Arc::new(Shared {
            mode: Mutex::new(mode),
            messages: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                accepting.connections.fetch_add(1, Ordering::SeqCst);
                let shared = accepting.clone();
                std::thread::spawn(move || {
                    // A client that goes away mid-conversation ends its connection, nothing more.
                    let _ = serve(stream, &shared);
                });
            }
        });
        SmtpSink { port, shared }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Changes what the sink does from the next command on.
    pub fn set_mode(&self, mode: SinkMode) {
        *self.shared.mode.lock().expect("the sink's mode") = mode;
    }

    /// Settings for a mailer that sends to this sink (security none, 2 seconds).
    pub fn settings(&self) -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: self.port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: FROM.to_owned(),
            timeout: Duration::from_secs(2),
        }
    }

    /// The `[smtp]` table of a configuration file that sends to this sink (last in the file).
    pub fn config_toml(&self) -> String {
        format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"{FROM}\"\ntimeout_seconds = 2\n",
            self.port
        )
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared
            .messages
            .lock()
            .expect("the sink's messages")
            .clone()
    }

    /// The messages once there are `n` of them, or all there are after `timeout`.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() >= deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// How many connections the sink has taken.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One SMTP conversation.
fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    let mut reply = |text: &str| out.write_all(format!("{text}\r\n").as_bytes());
    let mode = || *shared.mode.lock().expect("the sink's mode");
    reply("220 sink.bergen.example ESMTP Wijkwerk test sink")?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    loop {
        let Some(line) = read_line(&mut input, shared)? else {
            return Ok(());
        };
        if mode() == SinkMode::Stall {
            continue;
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let argument = line.get(verb.len()..).unwrap_or_default().trim();
        match verb.as_str() {
            "EHLO" => {
                reply("250-sink.bergen.example greets you")?;
                reply("250-8BITMIME")?;
                reply("250-SMTPUTF8")?;
                reply("250 SIZE 10485760")?;
            }
            "HELO" => reply("250 sink.bergen.example")?,
            "MAIL" => match path_after(argument, "FROM:") {
                Some(address) => {
                    from = Some(address);
                    to.clear();
                    reply("250 2.1.0 Ok")?;
                }
                None => reply("501 5.5.4 Syntax: MAIL FROM:<address>")?,
            },
            "RCPT" => match (&from, path_after(argument, "TO:")) {
                (None, _) => reply("503 5.5.1 Need MAIL before RCPT")?,
                (Some(_), None) => reply("501 5.5.4 Syntax: RCPT TO:<address>")?,
                (Some(_), Some(address)) if mode() == SinkMode::RefuseRecipient => reply(
                    &format!("550 5.1.1 <{address}>: Recipient address rejected: User unknown"),
                )?,
                (Some(_), Some(address)) => {
                    to.push(address);
                    reply("250 2.1.5 Ok")?;
                }
            },
            "DATA" => {
                if to.is_empty() {
                    reply("503 5.5.1 No valid recipients")?;
                    continue;
                }
                reply("354 End data with <CR><LF>.<CR><LF>")?;
                let Some(raw) = read_data(&mut input, shared)? else {
                    return Ok(());
                };
                let mut messages = shared.messages.lock().expect("the sink's messages");
                messages.push(ReceivedMail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    raw,
                });
                let queued = messages.len();
                drop(messages);
                reply(&format!("250 2.0.0 Ok: queued as {queued}"))?;
            }
            "RSET" => {
                from = None;
                to.clear();
                reply("250 2.0.0 Ok")?;
            }
            "NOOP" => reply("250 2.0.0 Ok")?,
            "VRFY" => reply("252 2.0.0 Cannot verify")?,
            "QUIT" => {
                reply("221 2.0.0 Bye")?;
                let _ = input.get_ref().shutdown(Shutdown::Both);
                return Ok(());
            }
            _ => reply("502 5.5.2 Command not recognized")?,
        }
    }
}

/// One line with its line end; `None` at the end of the connection or when the sink stops.
fn read_line(
    input: &mut BufReader<TcpStream>,
    shared: &Shared,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        match input.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(None),
            Ok(_) if line.ends_with(b"\n") => return Ok(Some(line)),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The message after `DATA`, up to the line with one dot, dot-unstuffed, with CRLF line ends.
fn read_data(input: &mut BufReader<TcpStream>, shared: &Shared) -> std::io::Result<Option<String>> {
    let mut data = Vec::new();
    while let Some(line) = read_line(input, shared)? {
        let line = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(&line);
        if line == b"." {
            return Ok(Some(String::from_utf8_lossy(&data).into_owned()));
        }
        data.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        data.extend_from_slice(b"\r\n");
    }
    Ok(None)
}

/// The address of `FROM:<a@b> PARAMS` or `TO:<a@b>`.
fn path_after(argument: &str, keyword: &str) -> Option<String> {
    let head = argument.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = argument[keyword.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

// Reading the messages: enough MIME for a test (headers, multipart, quoted-printable, base64,
// RFC 2047 encoded words), all text taken as UTF-8.

impl ReceivedMail {
    /// A header of the message (the first of that name), unfolded and not decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        header(&split(&self.raw).0, name)
    }

    /// The subject, decoded.
    pub fn subject(&self) -> String {
        decode_words(&self.header("Subject").unwrap_or_default())
    }

    /// The `To` header, decoded.
    pub fn to_header(&self) -> String {
        decode_words(&self.header("To").unwrap_or_default())
    }

    /// The text/plain part, decoded, with `\n` line ends. Panics when there is none.
    pub fn text_body(&self) -> String {
        self.part("text/plain")
            .unwrap_or_else(|| panic!("no text/plain part in:\n{}", self.raw))
    }

    /// The text/html part, decoded, if there is one.
    pub fn html_body(&self) -> Option<String> {
        self.part("text/html")
    }

    /// The media type of the message as a whole, such as `multipart/alternative`.
    pub fn content_type(&self) -> String {
        media_type(&self.header("Content-Type").unwrap_or_default())
    }

    /// Every `http://` or `https://` link in the text part.
    pub fn links(&self) -> Vec<String> {
        self.text_body()
            .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '(' | ')'))
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(|w| w.trim_end_matches(['.', ',', ';']).to_owned())
            .collect()
    }

    fn part(&self, wanted: &str) -> Option<String> {
        let mut leaves = Vec::new();
        leaves_of(&self.raw, &mut leaves);
        leaves.into_iter().find_map(|(headers, body)| {
            let kind = media_type(&header(&headers, "Content-Type").unwrap_or("text/plain".into()));
            (kind == wanted).then(|| {
                let encoding = header(&headers, "Content-Transfer-Encoding").unwrap_or_default();
                decode_body(&body, &encoding).replace("\r\n", "\n")
            })
        })
    }
}

/// Headers (unfolded lines) and body of an entity.
fn split(entity: &str) -> (Vec<String>, String) {
    let (head, body) = entity
        .split_once("\r\n\r\n")
        .or_else(|| entity.split_once("\n\n"))
        .unwrap_or((entity, ""));
    let mut headers: Vec<String> = Vec::new();
    for line in head.lines() {
        match headers.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.push(' ');
                last.push_str(line.trim_start());
            }
            _ => headers.push(line.to_owned()),
        }
    }
    (headers, body.to_owned())
}

fn header(headers: &[String], name: &str) -> Option<String> {
    headers.iter().find_map(|h| {
        let (key, value) = h.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn parameter(content_type: &str, name: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The single parts of an entity, multiparts opened (headers and still-encoded body).
fn leaves_of(entity: &str, leaves: &mut Vec<(Vec<String>, String)>) {
    let (headers, body) = split(entity);
    let content_type = header(&headers, "Content-Type").unwrap_or_default();
    let boundary = parameter(&content_type, "boundary");
    match boundary {
        Some(boundary) if media_type(&content_type).starts_with("multipart/") => {
            let delimiter = format!("--{boundary}");
            for (i, piece) in body.split(delimiter.as_str()).enumerate() {
                // Before the first delimiter: the preamble; `--` after the last: the end.
                if i == 0 || piece.starts_with("--") {
                    continue;
                }
                let piece = piece.strip_prefix("\r\n").unwrap_or(piece);
                let piece = piece.strip_suffix("\r\n").unwrap_or(piece);
                leaves_of(piece, leaves);
            }
        }
        _ => leaves.push((headers, body)),
    }
}

fn decode_body(body: &str, encoding: &str) -> String {
    match encoding.trim().to_ascii_lowercase().as_str() {
        "quoted-printable" => String::from_utf8_lossy(&quoted_printable(body)).into_owned(),
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_else(|e| panic!("bad base64 body ({e}):\n{body}"));
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => body.to_owned(),
    }
}

/// Quoted-printable (RFC 2045): `=XX` bytes, `=` at a line end joins lines.
fn quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' if bytes[i + 1..].starts_with(b"\n") => i += 2,
            b'=' => match bytes.get(i + 1..i + 3).and_then(hex_byte) {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(b'=');
                    i += 1;
                }
            },
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

fn hex_byte(two: &[u8]) -> Option<u8> {
    u8::from_str_radix(std::str::from_utf8(two).ok()?, 16).ok()
}

/// A header value with RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?UTF-8?Q?...?=`) decoded;
/// the space between two encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut rest = value;
    let mut after_word = false;
    while !rest.is_empty() {
        let start = rest.find("=?");
        let decoded = start.and_then(|s| encoded_word(&rest[s..]).map(|(b, len)| (s, b, len)));
        match decoded {
            Some((s, bytes, len)) => {
                let between = &rest[..s];
                if !(after_word && between.trim().is_empty()) {
                    out.extend_from_slice(between.as_bytes());
                }
                out.extend(bytes);
                rest = &rest[s + len..];
                after_word = true;
            }
            None => {
                let cut = start.map_or(rest.len(), |s| s + 2);
                out.extend_from_slice(&rest.as_bytes()[..cut]);
                rest = &rest[cut..];
                after_word = false;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The bytes of the encoded word at the start of `text`, and its length.
fn encoded_word(text: &str) -> Option<(Vec<u8>, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (_charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let payload = &inner[..end];
    if payload.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD
            .decode(payload)
            .ok()?,
        "Q" | "q" => quoted_printable(&payload.replace('_', " ")),
        _ => return None,
    };
    let length = text.len() - inner.len() + end + 2;
    Some((bytes, length))
}
