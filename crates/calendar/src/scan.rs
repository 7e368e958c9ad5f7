//! Reading a calendar file as other calendar programs do: forgiving what they forgive, with a
//! warning where something was guessed or left out, and refusing only what cannot be a calendar.
//!
//! From the bytes to a tree of components with the line of every property:
//! - **Text.** UTF-8, with or without a byte-order mark; UTF-16 (with a mark, or recognisable
//!   from its zero bytes); and bytes that are not UTF-8 are read as Windows-1252, as Outlook on a
//!   Dutch Windows writes them (warning `encoding`). Stray control characters (a vertical tab
//!   from Word, an escape) become spaces. Binary data (a NUL byte, or control characters in
//!   numbers no text has) is **refused** with the line of the first suspect byte.
//! - **Lines** end in CRLF, LF or a lone CR; blank lines and whitespace-only lines are skipped; a
//!   line starting with a space or tab continues the one before (folding).
//! - **A line that is not a property** (no `NAME:`; the raw line break of a program that did not
//!   fold its text) is read as the next line of the text property before it (`line_joined`), or
//!   skipped when there is none (`line_skipped`). Property and parameter names in any case;
//!   parameter values quoted or not, RFC 6868 `^n`/`^'`/`^^` decoded, a parameter without a value
//!   or with an unclosed quote read as far as it can be.
//! - **Components.** VCALENDAR, and in it VEVENT, VTODO, VJOURNAL, VFREEBUSY and VTIMEZONE (with
//!   STANDARD and DAYLIGHT) are kept; every other component (VALARM, X- components, VAVAILABILITY,
//!   anything nested where it does not belong, at any depth) is skipped without recursion. Several
//!   VCALENDARs in one file are read one after the other. An END that closes nothing is skipped
//!   with a warning. **Refused:** a component that is still open where its parent ends (a lost
//!   END:VEVENT: where would the event end?), a file that ends inside a component (cut short),
//!   and a file without any VCALENDAR (not a calendar).
//!
//! Values are not interpreted here (the importer does that, event by event); [`parse_when`] reads
//! a DATE or DATE-TIME as leniently as calendar programs do.

use super::CalendarError;
use jiff::civil::{Date, DateTime, Time};
use serde::Serialize;

/// The largest calendar file accepted: an association's invitation is a few kB; a whole year of
/// a busy calendar well under a MB.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// At most this many warnings are listed; the rest are counted in one last warning.
pub const MAX_WARNINGS: usize = 100;

/// What was forgiven while reading a file (the kinds the app words in its own language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Not UTF-8 (read as Windows-1252), UTF-16, or control characters replaced.
    Encoding,
    /// A line or component that could not be read was skipped.
    LineSkipped,
    /// A line that is not a property was read as the next line of the text before it.
    LineJoined,
    /// Tasks, journal entries or free/busy times: not imported.
    IgnoredComponent,
    /// A time zone that is not known and not described: read in another zone.
    TimeZoneAssumed,
    /// An event without a UID got one made from its organiser, start and title.
    UidMade,
    /// The same event twice in the file: one of them is used.
    Duplicate,
    /// An end or length that could not be used: the meeting got another.
    TimeAdjusted,
    /// An unreadable value that the meeting can do without was left out.
    ValueIgnored,
    /// A series with more meetings than are made from one invitation.
    RepeatLimited,
    /// Events without BEGIN:VCALENDAR around them: read as one calendar.
    MissingCalendar,
    /// More warnings than are listed.
    More,
}

/// Something forgiven, on a line of the file (from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportWarning {
    pub line: usize,
    pub kind: WarningKind,
    pub reason: String,
}

/// The warnings of one reading: the first [`MAX_WARNINGS`], and how many more there were.
#[derive(Debug, Clone, Default)]
pub struct Warnings {
    list: Vec<ImportWarning>,
    more: usize,
    first_more_line: usize,
}

impl Warnings {
    pub fn push(&mut self, line: usize, kind: WarningKind, reason: impl Into<String>) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(ImportWarning {
                line,
                kind,
                reason: reason.into(),
            });
        } else {
            if self.more == 0 {
                self.first_more_line = line;
            }
            self.more += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The warnings in the order of their lines, with one more saying how many were left out.
    pub fn into_vec(self) -> Vec<ImportWarning> {
        let mut list = self.list;
        list.sort_by_key(|w| w.line);
        if self.more > 0 {
            list.push(ImportWarning {
                line: self.first_more_line.max(1),
                kind: WarningKind::More,
                reason: format!("and {} more warnings", self.more),
            });
        }
        list
    }
}

/// One property (unfolded) and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub line: usize,
    /// Upper case.
    pub name: String,
    /// Parameter names upper case, values unquoted.
    pub params: Vec<(String, Vec<String>)>,
    /// As written (escapes not undone).
    pub value: String,
}

impl Property {
    /// The first value of a parameter (names in any case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }
}

/// A kept component with its properties and kept sub-components, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Upper case.
    pub name: String,
    pub begin: usize,
    pub end: usize,
    pub properties: Vec<Property>,
    pub children: Vec<Component>,
}

impl Component {
    /// The first property with this name (upper case).
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// Every property with this name (upper case).
    pub fn properties_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> {
        self.properties.iter().filter(move |p| p.name == name)
    }

    /// The line of the first property with this name, else the BEGIN line.
    pub fn line_of(&self, name: &str) -> usize {
        self.property(name).map_or(self.begin, |p| p.line)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Component> {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// A file read.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The VCALENDARs of the file.
    pub calendars: Vec<Component>,
    /// What was forgiven.
    pub warnings: Warnings,
}

/// Which components are kept inside which (others are skipped).
fn kept_inside(parent: Option<&str>, child: &str) -> bool {
    match parent {
        None => child == "VCALENDAR",
        Some("VCALENDAR") => matches!(
            child,
            "VEVENT" | "VTODO" | "VJOURNAL" | "VFREEBUSY" | "VTIMEZONE"
        ),
        Some("VTIMEZONE") => matches!(child, "STANDARD" | "DAYLIGHT"),
        Some(_) => false,
    }
}

/// Properties of RFC 5545 and its extensions (5546, 7986, 9073, 9074): a line that starts with
/// another name is taken for text when it follows a text property.
const KNOWN_PROPERTIES: &[&str] = &[
    "BEGIN",
    "END",
    "VERSION",
    "PRODID",
    "CALSCALE",
    "METHOD",
    "UID",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "DURATION",
    "DUE",
    "SUMMARY",
    "DESCRIPTION",
    "LOCATION",
    "ORGANIZER",
    "ATTENDEE",
    "RRULE",
    "RDATE",
    "EXDATE",
    "EXRULE",
    "RECURRENCE-ID",
    "SEQUENCE",
    "STATUS",
    "CLASS",
    "TRANSP",
    "PRIORITY",
    "CATEGORIES",
    "COMMENT",
    "CONTACT",
    "RELATED-TO",
    "URL",
    "GEO",
    "RESOURCES",
    "CREATED",
    "LAST-MODIFIED",
    "COMPLETED",
    "PERCENT-COMPLETE",
    "ATTACH",
    "TZID",
    "TZNAME",
    "TZOFFSETFROM",
    "TZOFFSETTO",
    "TZURL",
    "TZUNTIL",
    "TZID-ALIAS-OF",
    "ACTION",
    "TRIGGER",
    "REPEAT",
    "FREEBUSY",
    "REQUEST-STATUS",
    "NAME",
    "REFRESH-INTERVAL",
    "SOURCE",
    "COLOR",
    "IMAGE",
    "CONFERENCE",
    "ACKNOWLEDGED",
    "PROXIMITY",
    "STRUCTURED-DATA",
    "STYLED-DESCRIPTION",
    "LOCATION-TYPE",
    "PARTICIPANT-TYPE",
    "CALENDAR-ADDRESS",
    "BUSYTYPE",
];

/// Properties that a stray line is never appended to: a date, a rule or an identity is not text.
const NOT_TEXT: &[&str] = &[
    "BEGIN",
    "END",
    "VERSION",
    "METHOD",
    "UID",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "DURATION",
    "DUE",
    "RRULE",
    "RDATE",
    "EXDATE",
    "EXRULE",
    "RECURRENCE-ID",
    "SEQUENCE",
    "STATUS",
    "TZID",
    "TZOFFSETFROM",
    "TZOFFSETTO",
    "ORGANIZER",
];

/// Reads a file.
pub fn scan(bytes: &[u8]) -> Result<Scanned, CalendarError> {
    if bytes.len() > MAX_BYTES {
        return Err(CalendarError::File {
            reason: format!(
                "the file is {} bytes; a calendar file may be at most {} MB",
                bytes.len(),
                MAX_BYTES / (1024 * 1024)
            ),
        });
    }
    let mut warnings = Warnings::default();
    let text = decode(bytes, &mut warnings)?;
    if text.trim().is_empty() {
        return Err(CalendarError::at(1, "the file is empty"));
    }
    let logical = unfold(&text, &mut warnings);
    build(logical, &mut warnings).map(|calendars| Scanned {
        calendars,
        warnings,
    })
}

/// Control characters that no text file has: binary data.
fn is_binary_control(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)) || b == 0x7f
}

/// The line (from 1) that holds byte `offset`: CRLF, LF and a lone CR each end a line.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    let head = &bytes[..offset.min(bytes.len())];
    let mut line = 1;
    let mut i = 0;
    while i < head.len() {
        match head[i] {
            b'\n' => line += 1,
            b'\r' if head.get(i + 1) != Some(&b'\n') => line += 1,
            _ => {}
        }
        i += 1;
    }
    line
}

/// The text of the file, or a refusal of binary data.
fn decode(bytes: &[u8], warnings: &mut Warnings) -> Result<String, CalendarError> {
    if let Some(text) = utf16(bytes, warnings) {
        return clean_controls(text, warnings);
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first_invalid = std::str::from_utf8(bytes).err().map(|e| e.valid_up_to());
    // Binary data: a NUL anywhere, or more control characters than a text has by accident.
    let controls = bytes.iter().filter(|b| is_binary_control(**b)).count();
    let has_nul = bytes.contains(&0);
    if has_nul || controls > (bytes.len() / 1000).max(8) {
        let first_control = bytes.iter().position(|b| is_binary_control(*b));
        let suspect = [first_invalid, first_control]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(0);
        return Err(CalendarError::at(
            line_at(bytes, suspect),
            "is binary data, not text (not UTF-8 or another text encoding)",
        ));
    }
    let text = match first_invalid {
        None => String::from_utf8_lossy(bytes).into_owned(),
        Some(at) => {
            let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                out.extend(chunk.invalid().iter().map(|b| windows_1252(*b)));
            }
            warnings.push(
                line_at(bytes, at),
                WarningKind::Encoding,
                "the file is not UTF-8: its letters with accents are read as Windows-1252 \
                 (West European), as Outlook on Windows writes them",
            );
            out
        }
    };
    clean_controls(text, warnings)
}

/// UTF-16 text (with a byte-order mark, or `B\0E\0` / `\0B\0E` at the start).
fn utf16(bytes: &[u8], warnings: &mut Warnings) -> Option<String> {
    let (little, body) = match bytes {
        [0xff, 0xfe, rest @ ..] => (true, rest),
        [0xfe, 0xff, rest @ ..] => (false, rest),
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => (true, bytes),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => (false, bytes),
        _ => return None,
    };
    let units = body.chunks(2).map(|pair| match (pair, little) {
        ([lo, hi], true) => u16::from_le_bytes([*lo, *hi]),
        ([hi, lo], false) => u16::from_be_bytes([*hi, *lo]),
        _ => 0xfffd,
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    warnings.push(
        1,
        WarningKind::Encoding,
        "the file is UTF-16 text; read as such",
    );
    Some(text)
}

/// Stray control characters become spaces (a vertical tab or form feed silently: Word and
/// Outlook write them as soft line breaks); NUL or many of them is binary data.
fn clean_controls(text: String, warnings: &mut Warnings) -> Result<String, CalendarError> {
    let is_stray = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if !text.contains(is_stray) {
        return Ok(text);
    }
    let bad = |c: char| is_stray(c) && !matches!(c, '\u{0b}' | '\u{0c}') && (c as u32) < 0x80;
    let count = text.chars().filter(|c| bad(*c)).count();
    if text.contains('\0') || count > (text.len() / 1000).max(8) {
        let at = text.find(|c: char| c == '\0' || bad(c)).unwrap_or(0);
        return Err(CalendarError::at(
            line_at(text.as_bytes(), at),
            "is binary data, not text (control characters)",
        ));
    }
    if let Some(at) = text.find(bad) {
        warnings.push(
            line_at(text.as_bytes(), at),
            WarningKind::Encoding,
            format!("{count} control character(s) replaced by a space"),
        );
    }
    Ok(text
        .chars()
        .map(|c| if is_stray(c) { ' ' } else { c })
        .collect())
}

/// Windows-1252 for a byte that is not UTF-8 (0x80–0x9F hold its letters and signs; the five it
/// leaves undefined become U+FFFD).
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{fffd}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{fffd}', 'Ž',
        '\u{fffd}', '\u{fffd}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ',
        '\u{fffd}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// A logical line: the text of one property, unfolded, and the line it starts on.
struct Logical {
    number: usize,
    text: String,
}

/// Physical lines (CRLF, LF or CR) unfolded into logical lines.
fn unfold(text: &str, warnings: &mut Warnings) -> Vec<Logical> {
    let mut logical: Vec<Logical> = Vec::new();
    // Whether the last logical line may take a stray line as more of its text.
    let mut text_before = false;
    let mut number = 0usize;
    let mut rest = text;
    while !rest.is_empty() {
        number += 1;
        let (physical, next) = match rest.find(['\r', '\n']) {
            Some(i) => {
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                (&rest[..i], &rest[i + skip..])
            }
            None => (rest, ""),
        };
        rest = next;
        if physical.trim().is_empty() {
            continue;
        }
        if let Some(more) = physical.strip_prefix([' ', '\t']) {
            match logical.last_mut() {
                Some(last) => last.text.push_str(more),
                None => warnings.push(
                    number,
                    WarningKind::LineSkipped,
                    "starts with a space, but there is no property before it to continue",
                ),
            }
            continue;
        }
        let name = property_name(physical);
        let known = name.is_some_and(|n| {
            let upper = n.to_ascii_uppercase();
            KNOWN_PROPERTIES.contains(&upper.as_str()) || upper.starts_with("X-")
        });
        let looks_like_property = name.is_some() && (known || !text_before);
        if looks_like_property {
            let upper = name.unwrap_or_default().to_ascii_uppercase();
            text_before = !NOT_TEXT.contains(&upper.as_str());
            logical.push(Logical {
                number,
                text: physical.to_owned(),
            });
        } else if text_before {
            let Some(last) = logical.last_mut() else {
                continue;
            };
            let excerpt: String = physical.chars().take(40).collect();
            let of = property_name(&last.text).unwrap_or("").to_ascii_uppercase();
            warnings.push(
                number,
                WarningKind::LineJoined,
                format!(
                    "{excerpt:?} is not a property: read as the next line of {of} of line {}",
                    last.number
                ),
            );
            last.text.push('\n');
            last.text.push_str(physical);
        } else {
            let excerpt: String = physical.chars().take(40).collect();
            warnings.push(
                number,
                WarningKind::LineSkipped,
                format!("{excerpt:?} is not a property (NAME:value): skipped"),
            );
        }
    }
    logical
}

/// The name of a content line, if it looks like one: letters, digits, `-`, `_` or `.` up to a
/// `;` or `:`.
fn property_name(line: &str) -> Option<&str> {
    let end = line.find([';', ':'])?;
    let name = &line[..end];
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    valid.then_some(name)
}

/// A content line split into name, parameters and value, as leniently as it can be read.
fn parse_line(number: usize, line: &str) -> Option<Property> {
    let name = property_name(line)?;
    let mut rest = &line[name.len()..];
    let mut params: Vec<(String, Vec<String>)> = Vec::new();
    while let Some(after) = rest.strip_prefix(';') {
        let key_end = after.find(['=', ';', ':']).unwrap_or(after.len());
        let key = after[..key_end].trim().to_ascii_uppercase();
        rest = &after[key_end..];
        let mut values = Vec::new();
        if let Some(mut after_eq) = rest.strip_prefix('=') {
            loop {
                if let Some(quoted) = after_eq.strip_prefix('"') {
                    match quoted.find('"') {
                        Some(close) => {
                            values.push(caret_decode(&quoted[..close]));
                            after_eq = &quoted[close + 1..];
                        }
                        None => {
                            // An unclosed quote: the value runs to the ':' (as far as it can be
                            // read).
                            let end = quoted.find(':').unwrap_or(quoted.len());
                            values.push(caret_decode(&quoted[..end]));
                            after_eq = &quoted[end..];
                        }
                    }
                } else {
                    let end = after_eq.find([',', ';', ':']).unwrap_or(after_eq.len());
                    values.push(caret_decode(after_eq[..end].trim()));
                    after_eq = &after_eq[end..];
                }
                match after_eq.strip_prefix(',') {
                    Some(more) => after_eq = more,
                    None => break,
                }
            }
            // Anything between a closing quote and the next ';' or ':' is dropped.
            let end = after_eq.find([';', ':']).unwrap_or(after_eq.len());
            rest = &after_eq[end..];
        }
        if !key.is_empty() {
            params.push((key, values));
        }
    }
    let value = rest.strip_prefix(':')?;
    Some(Property {
        line: number,
        name: name.to_ascii_uppercase(),
        params,
        value: value.to_owned(),
    })
}

/// RFC 6868: `^n` is a line break, `^'` a double quote, `^^` a caret.
fn caret_decode(value: &str) -> String {
    if !value.contains('^') {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '^' {
            match chars.peek() {
                Some('n') | Some('N') => {
                    out.push('\n');
                    chars.next();
                }
                Some('\'') => {
                    out.push('"');
                    chars.next();
                }
                Some('^') => {
                    out.push('^');
                    chars.next();
                }
                _ => out.push('^'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A component being read: kept (with what it holds so far) or skipped (only its name, to match
/// its END).
enum Open {
    Kept(Component),
    Skipped { name: String, begin: usize },
}

impl Open {
    fn name(&self) -> &str {
        match self {
            Open::Kept(c) => &c.name,
            Open::Skipped { name, .. } => name,
        }
    }
    fn begin(&self) -> usize {
        match self {
            Open::Kept(c) => c.begin,
            Open::Skipped { begin, .. } => *begin,
        }
    }
}

/// A component name as written, upper case and at most 64 characters.
fn component_name(value: &str) -> String {
    value
        .trim()
        .chars()
        .take(64)
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The tree of components from the logical lines.
fn build(logical: Vec<Logical>, warnings: &mut Warnings) -> Result<Vec<Component>, CalendarError> {
    let last_line = logical.last().map_or(1, |l| l.number);
    let mut stack: Vec<Open> = Vec::new();
    // How many components of each name are open: an END that closes nothing is found without
    // searching the stack (a file of many BEGINs and stray ENDs stays linear).
    let mut open_names: std::collections::HashMap<String, usize> = Default::default();
    let mut calendars = Vec::new();
    let mut outside_reported = false;
    // Events (and zones, tasks) written without a VCALENDAR around them: one calendar of their
    // own, as a program that reads a bare VEVENT shows it.
    let mut implicit: Option<Component> = None;
    for Logical { number, text } in logical {
        let Some(property) = parse_line(number, &text) else {
            let excerpt: String = text.chars().take(40).collect();
            warnings.push(
                number,
                WarningKind::LineSkipped,
                format!("{excerpt:?} cannot be read as a property: skipped"),
            );
            continue;
        };
        match property.name.as_str() {
            "BEGIN" => {
                let name = component_name(&property.value);
                if name.is_empty() {
                    warnings.push(
                        number,
                        WarningKind::LineSkipped,
                        "BEGIN without a component name: skipped",
                    );
                    continue;
                }
                let parent = stack.last();
                let parent_kept = match parent {
                    None => None,
                    Some(Open::Kept(c)) => Some(c.name.as_str()),
                    Some(Open::Skipped { .. }) => Some(""),
                };
                let bare = parent.is_none() && kept_inside(Some("VCALENDAR"), &name);
                let keep = match parent {
                    None | Some(Open::Kept(_)) => kept_inside(parent_kept, &name) || bare,
                    Some(Open::Skipped { .. }) => false,
                };
                if bare && implicit.is_none() {
                    warnings.push(
                        number,
                        WarningKind::MissingCalendar,
                        format!(
                            "BEGIN:{name} without BEGIN:VCALENDAR around it: read as a calendar"
                        ),
                    );
                    implicit = Some(Component {
                        name: "VCALENDAR".into(),
                        begin: number,
                        end: number,
                        properties: Vec::new(),
                        children: Vec::new(),
                    });
                }
                if parent.is_none() && !keep && !outside_reported {
                    outside_reported = true;
                    warnings.push(
                        number,
                        WarningKind::LineSkipped,
                        format!("BEGIN:{name} outside a VCALENDAR: skipped"),
                    );
                }
                *open_names.entry(name.clone()).or_default() += 1;
                stack.push(if keep {
                    Open::Kept(Component {
                        name,
                        begin: number,
                        end: number,
                        properties: Vec::new(),
                        children: Vec::new(),
                    })
                } else {
                    Open::Skipped {
                        name,
                        begin: number,
                    }
                });
            }
            "END" => {
                let name = component_name(&property.value);
                let is_open = open_names.get(&name).is_some_and(|n| *n > 0);
                let depth = if is_open {
                    stack.iter().rposition(|open| open.name() == name)
                } else {
                    None
                };
                let Some(depth) = depth else {
                    warnings.push(
                        number,
                        WarningKind::LineSkipped,
                        format!("END:{name} without a BEGIN:{name}: skipped"),
                    );
                    continue;
                };
                // Components opened inside it and never closed: skipped ones (an alarm, an X-
                // component) are forgiven; a kept one means the file lost an END.
                while stack.len() > depth + 1 {
                    if let Some(inner) = stack.last() {
                        if let Some(n) = open_names.get_mut(inner.name()) {
                            *n = n.saturating_sub(1);
                        }
                    }
                    match stack.pop() {
                        Some(Open::Skipped { name: inner, begin }) => warnings.push(
                            begin,
                            WarningKind::LineSkipped,
                            format!("BEGIN:{inner} has no END:{inner}; closed by END:{name} of line {number}"),
                        ),
                        Some(Open::Kept(inner)) => {
                            return Err(CalendarError::at(
                                number,
                                format!(
                                    "END:{name}, but BEGIN:{} of line {} is still open (END:{} missing)",
                                    inner.name, inner.begin, inner.name
                                ),
                            ))
                        }
                        None => break,
                    }
                }
                if let Some(n) = open_names.get_mut(&name) {
                    *n = n.saturating_sub(1);
                }
                match stack.pop() {
                    Some(Open::Kept(mut done)) => {
                        done.end = number;
                        match (stack.last_mut(), &mut implicit) {
                            (Some(Open::Kept(parent)), _) => parent.children.push(done),
                            (Some(Open::Skipped { .. }), _) => {}
                            (None, Some(bare)) if done.name != "VCALENDAR" => {
                                bare.end = number;
                                bare.children.push(done)
                            }
                            (None, _) => calendars.push(done),
                        }
                    }
                    Some(Open::Skipped { .. }) | None => {}
                }
            }
            _ => match stack.last_mut() {
                Some(Open::Kept(current)) => current.properties.push(property),
                Some(Open::Skipped { .. }) => {}
                None => {
                    if !outside_reported {
                        outside_reported = true;
                        let excerpt: String = text.chars().take(40).collect();
                        warnings.push(
                            number,
                            WarningKind::LineSkipped,
                            format!("{excerpt:?} is outside a VCALENDAR: skipped"),
                        );
                    }
                }
            },
        }
    }
    if let Some(open) = stack.last() {
        let (name, begin) = (open.name().to_owned(), open.begin());
        return Err(CalendarError::at(
            last_line,
            format!(
                "the file ends inside BEGIN:{name} of line {begin} (END:{name} is missing): \
                 was it cut short?"
            ),
        ));
    }
    calendars.extend(implicit);
    if calendars.is_empty() {
        return Err(CalendarError::at(
            1,
            "no BEGIN:VCALENDAR: not an iCalendar file",
        ));
    }
    Ok(calendars)
}

/// `20260312` → a date that exists.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let bad = || format!("{text:?} is not a date (YYYYMMDD)");
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let y: i16 = text[0..4].parse().map_err(|_| bad())?;
    let m: i8 = text[4..6].parse().map_err(|_| bad())?;
    let d: i8 = text[6..8].parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) {
        return Err(format!("{text:?}: there is no month {m}"));
    }
    if y == 0 {
        return Err(format!("{text:?}: there is no year 0"));
    }
    Date::new(y, m, d).map_err(|_| {
        let month = jiff::civil::Date::new(y, m, 1)
            .map(|first| first.days_in_month())
            .unwrap_or(31);
        format!("{text:?}: there is no day {d} in that month (it has {month} days)")
    })
}

/// `20260312T193000` or `20260312T183000Z` → a date-time that exists, and whether it is UTC.
pub fn parse_date_time(text: &str) -> Result<(DateTime, bool), String> {
    let bad = || format!("{text:?} is not a date and time (YYYYMMDDTHHMMSS[Z])");
    let (body, utc) = match text.strip_suffix(['Z', 'z']) {
        Some(body) => (body, true),
        None => (text, false),
    };
    let (date, time) = body.split_once(['T', 't']).ok_or_else(bad)?;
    let date = parse_date(date)?;
    // Seconds may be left out (HHMM) or have a fraction (HHMMSS.sss), as some programs write.
    let time = time.split_once('.').map_or(time, |(whole, _)| whole);
    if !(time.len() == 6 || time.len() == 4) || !time.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let h: i8 = time[0..2].parse().map_err(|_| bad())?;
    let m: i8 = time[2..4].parse().map_err(|_| bad())?;
    let s: i8 = time
        .get(4..6)
        .map_or(Ok(0), str::parse)
        .map_err(|_| bad())?;
    // A leap second (60) is read as 59; 24:00:00 is the end of the day.
    let s = if s == 60 { 59 } else { s };
    if (h, m, s) == (24, 0, 0) {
        let next = date.tomorrow().map_err(|_| bad())?;
        return Ok((next.to_datetime(Time::midnight()), utc));
    }
    let time = Time::new(h, m, s, 0)
        .map_err(|_| format!("{text:?}: {h:02}:{m:02}:{s:02} is not a time of day"))?;
    Ok((date.to_datetime(time), utc))
}

/// A DATE or DATE-TIME value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Date(Date),
    /// A date-time, and whether it is UTC (`Z`).
    DateTime(DateTime, bool),
}

/// A DATE or DATE-TIME, read by its shape (whatever `VALUE=` says, as calendar programs do):
/// `20260312`, `20260312T193000`, `20260312T183000Z`, and the ISO 8601 forms some programs write
/// (`2026-03-12`, `2026-03-12T19:30:00`).
pub fn parse_when(text: &str) -> Result<When, String> {
    let trimmed = text.trim();
    let compact: String;
    let value = if trimmed.contains(['-', ':']) && trimmed.len() <= 32 {
        compact = trimmed
            .chars()
            .filter(|c| !matches!(c, '-' | ':'))
            .collect();
        compact.as_str()
    } else {
        trimmed
    };
    if value.len() == 8 {
        parse_date(value).map(When::Date)
    } else {
        parse_date_time(value).map(|(dt, utc)| When::DateTime(dt, utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> CalendarError {
        scan(text.as_bytes()).unwrap_err()
    }

    fn kinds(scanned: &Scanned) -> Vec<WarningKind> {
        scanned
            .warnings
            .clone()
            .into_vec()
            .iter()
            .map(|w| w.kind)
            .collect()
    }

    #[test]
    fn a_good_file_unfolds() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Leden\r\n verg\r\n adering\r\nDTSTART:20260312T193000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let scanned = scan(text.as_bytes()).unwrap();
        let event = &scanned.calendars[0].children[0];
        assert_eq!(event.name, "VEVENT");
        assert_eq!(event.line_of("DTSTART"), 8);
        assert_eq!(event.property("SUMMARY").unwrap().value, "Ledenvergadering");
        assert!(scanned.warnings.is_empty());
    }

    #[test]
    fn line_ends_of_every_kind_and_lowercase_names() {
        for end in ["\r\n", "\n", "\r"] {
            let text = [
                "begin:vcalendar",
                "begin:vevent",
                "uid:1",
                "dtstart:20260312T193000",
                "  ",
                "end:vevent",
                "end:vcalendar",
                "",
            ]
            .join(end);
            let scanned = scan(format!("\u{feff}{text}").as_bytes()).unwrap();
            let event = &scanned.calendars[0].children[0];
            assert_eq!(event.line_of("DTSTART"), 4, "{end:?}");
            assert!(scanned.warnings.is_empty());
        }
    }

    #[test]
    fn quoted_and_odd_parameters() {
        let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;tzid=\"W. Europe Standard Time\":20260312T193000\nORGANIZER;CN=\"Joke ^'de^' Vries\";X-EMPTY:mailto:joke@example.nl\nLOCATION;ALTREP=\"cid:x:y\":Dorpshuis\nDTEND;TZID=\"Europe/Amsterdam:20260312T213000\nEND:VEVENT\nEND:VCALENDAR\n";
        let scanned = scan(text.as_bytes()).unwrap();
        let event = &scanned.calendars[0].children[0];
        let start = event.property("DTSTART").unwrap();
        assert_eq!(start.param("TZID"), Some("W. Europe Standard Time"));
        let organizer = event.property("ORGANIZER").unwrap();
        assert_eq!(organizer.param("cn"), Some("Joke \"de\" Vries"));
        assert_eq!(organizer.value, "mailto:joke@example.nl");
        assert_eq!(event.property("LOCATION").unwrap().value, "Dorpshuis");
        let end = event.property("DTEND").unwrap();
        assert_eq!(end.param("TZID"), Some("Europe/Amsterdam"));
        assert_eq!(end.value, "20260312T213000");
    }

    #[test]
    fn a_stray_line_joins_the_text_before_it_or_is_skipped() {
        let e = scan(b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDESCRIPTION:Agenda\nPunt 1: opening\nDTSTART:20260312T193000\nthis is junk\nEND:VEVENT\nEND:VCALENDAR\n").unwrap();
        let event = &e.calendars[0].children[0];
        assert_eq!(
            event.property("DESCRIPTION").unwrap().value,
            "Agenda\nPunt 1: opening"
        );
        assert_eq!(
            kinds(&e),
            [WarningKind::LineJoined, WarningKind::LineSkipped]
        );
    }

    #[test]
    fn a_missing_end_is_refused_and_a_cut_file_too() {
        let e = err("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VCALENDAR\n");
        assert_eq!(e.line(), Some(4), "{e}");
        assert!(e.reason().contains("END:VEVENT missing"), "{e}");
        let e = err("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VEVENT\n");
        assert!(e.reason().contains("END:VCALENDAR is missing"), "{e}");
        assert_eq!(e.line(), Some(4));
    }

    #[test]
    fn unclosed_alarms_and_stray_ends_are_forgiven() {
        let scanned = scan(b"BEGIN:VCALENDAR\nEND:VEVENT\nBEGIN:VEVENT\nUID:1\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VEVENT\nEND:VCALENDAR\n").unwrap();
        assert_eq!(scanned.calendars[0].children.len(), 1);
        assert_eq!(
            kinds(&scanned),
            [WarningKind::LineSkipped, WarningKind::LineSkipped]
        );
    }

    #[test]
    fn binary_data_is_refused() {
        let mut bytes = b"BEGIN:VCALENDAR\nVERSION:2.0\n".to_vec();
        bytes.extend([0xff, 0xfe, 0x00, 0x12]);
        let e = scan(&bytes).unwrap_err();
        assert_eq!(e.line(), Some(3));
        assert!(e.reason().contains("binary"), "{e}");
        let e = scan(b"BEGIN:VCALENDAR\nX:\x00\x02\nEND:VCALENDAR\n").unwrap_err();
        assert_eq!(e.line(), Some(2));
    }

    #[test]
    fn windows_1252_is_read_and_a_stray_control_is_a_space() {
        let bytes = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Caf\xe9 \x80 \x96 co\x0bop\x1b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let scanned = scan(bytes).unwrap();
        let event = &scanned.calendars[0].children[0];
        assert_eq!(event.property("SUMMARY").unwrap().value, "Café € – co op ");
        assert_eq!(
            kinds(&scanned),
            [WarningKind::Encoding, WarningKind::Encoding]
        );
    }

    #[test]
    fn utf16_is_read() {
        let text =
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Café\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let mut bytes = vec![0xff, 0xfe];
        for unit in text.encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        let scanned = scan(&bytes).unwrap();
        assert_eq!(
            scanned.calendars[0].children[0]
                .property("SUMMARY")
                .unwrap()
                .value,
            "Café"
        );
    }

    #[test]
    fn unknown_and_deeply_nested_components_are_skipped() {
        let mut text = String::from("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VEVENT\n");
        for _ in 0..10_000 {
            text.push_str("BEGIN:X-THING\n");
        }
        for _ in 0..10_000 {
            text.push_str("END:X-THING\n");
        }
        text.push_str("END:VCALENDAR\n");
        let scanned = scan(text.as_bytes()).unwrap();
        assert_eq!(scanned.calendars[0].children.len(), 1);
        assert!(scanned.warnings.is_empty());
    }

    #[test]
    fn many_stray_ends_under_deep_nesting_stay_linear() {
        let mut text = String::from("BEGIN:VCALENDAR\n");
        for _ in 0..100_000 {
            text.push_str("BEGIN:X-A\n");
        }
        for _ in 0..100_000 {
            text.push_str("END:X-B\n");
        }
        for _ in 0..100_000 {
            text.push_str("END:X-A\n");
        }
        text.push_str("END:VCALENDAR\n");
        let started = std::time::Instant::now();
        let scanned = scan(text.as_bytes()).unwrap();
        assert!(started.elapsed().as_secs() < 5);
        assert_eq!(scanned.warnings.into_vec().len(), MAX_WARNINGS + 1);
    }

    #[test]
    fn not_a_calendar() {
        assert_eq!(err("%PDF-1.7\n1 0 obj\n").line(), Some(1));
        assert_eq!(err("BEGIN:VCARD\nFN:Joke\nEND:VCARD\n").line(), Some(1));
        // A bare event is read as a calendar of its own.
        let bare = scan(b"BEGIN:VEVENT\nUID:1\nEND:VEVENT\n").unwrap();
        assert_eq!(bare.calendars[0].children[0].name, "VEVENT");
        assert_eq!(kinds(&bare), [WarningKind::MissingCalendar]);
        assert_eq!(err("").line(), Some(1));
    }

    #[test]
    fn dates_are_read_by_their_shape() {
        assert_eq!(
            parse_when("20260312").unwrap(),
            When::Date(jiff::civil::date(2026, 3, 12))
        );
        assert_eq!(
            parse_when("2026-03-12T19:30:00Z").unwrap(),
            When::DateTime(jiff::civil::datetime(2026, 3, 12, 19, 30, 0, 0), true)
        );
        assert_eq!(
            parse_when("20260312T1930").unwrap(),
            When::DateTime(jiff::civil::datetime(2026, 3, 12, 19, 30, 0, 0), false)
        );
        assert!(parse_when("20260231").unwrap_err().contains("no day 31"));
        assert!(parse_when("20260301T250000")
            .unwrap_err()
            .contains("not a time"));
        assert!(parse_when("tomorrow").is_err());
    }
}
