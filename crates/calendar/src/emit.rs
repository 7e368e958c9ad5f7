//! The RFC 5545 writer: content lines as calendars expect them.
//!
//! Written here rather than with the `ical` crate's generator, which folds by characters instead
//! of octets and does not escape text. Invariants of every line this writer produces:
//! - it ends in CRLF;
//! - it is at most 75 octets long (the CRLF not counted); longer lines are folded by inserting
//!   CRLF and one space, never inside a UTF-8 character (RFC 5545, 3.1);
//! - TEXT values are escaped (`\\`, `\;`, `\,`, `\n`; RFC 5545, 3.3.11), parameter values are
//!   quoted when they contain `:`, `;` or `,` and never contain `"` or control characters
//!   (3.2).

use jiff::civil::{Date, DateTime};
use jiff::tz::Offset;
use jiff::Timestamp;

/// The longest line, in octets, without its CRLF.
pub const MAX_LINE_OCTETS: usize = 75;

/// Builds an iCalendar text line by line.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Writer {
        Writer {
            out: String::with_capacity(4096),
        }
    }

    pub fn begin(&mut self, component: &str) {
        self.raw("BEGIN", &[], component);
    }

    pub fn end(&mut self, component: &str) {
        self.raw("END", &[], component);
    }

    /// A property whose value is already in its iCalendar form (a date, a number, a URI, a
    /// recurrence rule). Parameter values are quoted as needed.
    pub fn raw(&mut self, name: &str, params: &[(&str, &str)], value: &str) {
        let mut line = String::with_capacity(name.len() + value.len() + 16);
        line.push_str(name);
        for (key, param) in params {
            line.push(';');
            line.push_str(key);
            line.push('=');
            push_param_value(&mut line, param);
        }
        line.push(':');
        line.push_str(value);
        fold_into(&mut self.out, &line);
    }

    /// A TEXT property: the value is escaped.
    pub fn text(&mut self, name: &str, params: &[(&str, &str)], value: &str) {
        self.raw(name, params, &escape_text(value));
    }

    /// The calendar text.
    pub fn finish(self) -> String {
        self.out
    }
}

/// Escapes a TEXT value: backslash, semicolon and comma get a backslash; line ends become `\n`
/// (a CRLF or a lone CR counts as one line end). Other control characters are dropped: they may
/// not appear in a content line.
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a parameter value, quoted when it holds `:`, `;` or `,`. A double quote cannot be
/// written in a parameter value at all (RFC 5545, 3.1: no escaping); it becomes a single quote.
fn push_param_value(line: &mut String, value: &str) {
    let clean: String = value
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' { '\'' } else { c })
        .collect();
    if clean.contains([':', ';', ',']) {
        line.push('"');
        line.push_str(&clean);
        line.push('"');
    } else {
        line.push_str(&clean);
    }
}

/// Appends one content line, folded at [`MAX_LINE_OCTETS`] octets on character boundaries, with
/// CRLF line ends.
pub fn fold_into(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = MAX_LINE_OCTETS;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // A continuation line starts with the space, which counts towards its 75 octets.
        limit = MAX_LINE_OCTETS - 1;
    }
}

/// A UTC DATE-TIME: `20260312T183000Z`.
pub fn utc(ts: Timestamp) -> String {
    let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    format!("{}Z", local(dt))
}

/// A local (floating or TZID) DATE-TIME: `20260312T193000`.
pub fn local(dt: DateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// A DATE: `20260312`.
pub fn date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// A UTC-OFFSET: `+0100`, `-0330`, `+053045` when it has seconds.
pub fn offset(o: Offset) -> String {
    let total = o.seconds();
    let sign = if total < 0 { '-' } else { '+' };
    let abs = total.unsigned_abs();
    let (h, m, s) = (abs / 3600, (abs / 60) % 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let line = format!("DESCRIPTION:{}", "é".repeat(100));
        fold_into(&mut out, &line);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(
                physical.len() <= 75,
                "{} octets: {physical}",
                physical.len()
            );
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end_matches("\r\n"), line);
    }

    #[test]
    fn a_line_of_exactly_75_octets_is_not_folded() {
        let mut out = String::new();
        let line = "X".repeat(75);
        fold_into(&mut out, &line);
        assert_eq!(out, format!("{line}\r\n"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape_text("Dorpshuis; zaal 2, boven\\achter\r\nen\nverder"),
            "Dorpshuis\\; zaal 2\\, boven\\\\achter\\nen\\nverder"
        );
    }

    #[test]
    fn parameters_are_quoted_when_needed() {
        let mut w = Writer::new();
        w.raw(
            "ORGANIZER",
            &[("CN", "de Graaf, Marloes \"M\"")],
            "mailto:m@x.nl",
        );
        assert_eq!(
            w.finish(),
            "ORGANIZER;CN=\"de Graaf, Marloes 'M'\":mailto:m@x.nl\r\n"
        );
    }

    #[test]
    fn offsets() {
        assert_eq!(offset(Offset::constant(1)), "+0100");
        assert_eq!(offset(Offset::constant(-5)), "-0500");
        assert_eq!(
            offset(Offset::from_seconds(-(3 * 3600 + 30 * 60)).unwrap()),
            "-0330"
        );
    }
}
