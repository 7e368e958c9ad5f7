//! The first pass over a calendar file: is it a well-formed iCalendar text, line by line?
//!
//! The `ical` crate parses leniently (it stops silently at bytes that are not UTF-8, accepts a
//! missing END, trims spaces at fold points), so before it sees a file this pass checks, with the
//! number of the line where it goes wrong:
//! - the size (at most [`MAX_BYTES`]), UTF-8, and no control characters (binary data);
//! - folding: every physical line is a property `NAME[;PARAM=...]:value` or a continuation that
//!   starts with a space or tab;
//! - BEGIN/END: properly nested and closed, inside a VCALENDAR;
//! - every date and date-time value (DTSTART, DTEND, DUE, RECURRENCE-ID, EXDATE, RDATE, DTSTAMP,
//!   ...) is a real date and time (no 31 February).
//!
//! It hands on the unfolded text (one property a line, unknown components left out) for the
//! `ical` crate, and a tree of components with the line of each property.

use super::CalendarError;
use jiff::civil::{Date, DateTime, Time};

/// The largest calendar file accepted: an association's invitation is a few kB; a whole year of
/// a busy calendar well under a MB.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Components the importer knows; others (X- components, VAVAILABILITY, ...) are skipped.
const KNOWN: &[&str] = &[
    "VCALENDAR",
    "VEVENT",
    "VTODO",
    "VJOURNAL",
    "VFREEBUSY",
    "VTIMEZONE",
    "STANDARD",
    "DAYLIGHT",
    "VALARM",
];

/// Properties whose value is a DATE or DATE-TIME (or a list of them).
const DATE_PROPERTIES: &[&str] = &[
    "DTSTART",
    "DTEND",
    "DUE",
    "RECURRENCE-ID",
    "EXDATE",
    "RDATE",
    "DTSTAMP",
    "CREATED",
    "LAST-MODIFIED",
    "COMPLETED",
];

/// One unfolded property and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    /// The property name, upper case.
    pub name: String,
}

/// A component with the lines of its own properties and its sub-components, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub begin: usize,
    pub end: usize,
    pub properties: Vec<Line>,
    pub children: Vec<Component>,
}

impl Component {
    /// The line of the first property with this name, else the BEGIN line.
    pub fn line_of(&self, name: &str) -> usize {
        self.properties
            .iter()
            .find(|l| l.name == name)
            .map_or(self.begin, |l| l.number)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Component> {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// A checked file.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// One property a line, LF-separated, unknown components left out: for the `ical` crate.
    pub unfolded: String,
    /// For each line of `unfolded` (from 0), the file's line it starts on.
    pub origin: Vec<usize>,
    /// The VCALENDARs of the file.
    pub calendars: Vec<Component>,
}

/// Checks a file and unfolds it.
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
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let line = line_at(bytes, e.valid_up_to());
            return Err(CalendarError::at(
                line,
                "is not UTF-8 text (binary data, or a file in another encoding)",
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(CalendarError::at(1, "the file is empty"));
    }

    // Unfold, checking each physical line.
    let mut logical: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let physical = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(c) = physical
            .chars()
            .find(|c| (c.is_control() && *c != '\t') || *c == '\u{7f}')
        {
            return Err(CalendarError::at(
                number,
                format!(
                    "contains the control character U+{:04X} (binary data?)",
                    c as u32
                ),
            ));
        }
        if physical.is_empty() {
            continue;
        }
        if let Some(rest) = physical.strip_prefix([' ', '\t']) {
            match logical.last_mut() {
                Some((_, line)) => line.push_str(rest),
                None => {
                    return Err(CalendarError::at(
                        number,
                        "starts with a space, but there is no property before it to continue",
                    ))
                }
            }
        } else {
            logical.push((number, physical.to_owned()));
        }
    }

    let mut stack: Vec<Component> = Vec::new();
    let mut calendars = Vec::new();
    let mut unfolded = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(logical.len());
    // Depth inside a skipped (unknown) component; 0 when not skipping.
    let mut skipping = 0usize;
    let last_line = logical.last().map_or(1, |(n, _)| *n);
    for (number, line) in &logical {
        let number = *number;
        let (name, params, value) =
            split_property(line).map_err(|reason| CalendarError::at(number, reason))?;
        let upper = name.to_ascii_uppercase();
        match upper.as_str() {
            "BEGIN" => {
                let component = value.trim().to_ascii_uppercase();
                if component.is_empty() {
                    return Err(CalendarError::at(number, "BEGIN without a component name"));
                }
                if stack.is_empty() && component != "VCALENDAR" {
                    return Err(CalendarError::at(
                        number,
                        format!(
                            "BEGIN:{component} outside BEGIN:VCALENDAR (not an iCalendar file?)"
                        ),
                    ));
                }
                if stack.len() >= 8 {
                    return Err(CalendarError::at(
                        number,
                        "components are nested too deeply",
                    ));
                }
                if skipping > 0 || !KNOWN.contains(&component.as_str()) {
                    skipping += 1;
                } else {
                    unfolded.push_str("BEGIN:");
                    unfolded.push_str(&component);
                    unfolded.push('\n');
                    origin.push(number);
                }
                stack.push(Component {
                    name: component,
                    begin: number,
                    end: number,
                    properties: Vec::new(),
                    children: Vec::new(),
                });
            }
            "END" => {
                let component = value.trim().to_ascii_uppercase();
                let Some(mut open) = stack.pop() else {
                    return Err(CalendarError::at(
                        number,
                        format!("END:{component} without a BEGIN:{component}"),
                    ));
                };
                if open.name != component {
                    return Err(CalendarError::at(
                        number,
                        format!(
                            "END:{component}, but BEGIN:{} of line {} is still open (END:{} missing)",
                            open.name, open.begin, open.name
                        ),
                    ));
                }
                open.end = number;
                if skipping > 0 {
                    skipping -= 1;
                } else {
                    unfolded.push_str("END:");
                    unfolded.push_str(&component);
                    unfolded.push('\n');
                    origin.push(number);
                }
                match stack.last_mut() {
                    Some(parent) => {
                        if KNOWN.contains(&open.name.as_str()) {
                            parent.children.push(open)
                        }
                    }
                    None => calendars.push(open),
                }
            }
            _ => {
                let Some(current) = stack.last_mut() else {
                    return Err(CalendarError::at(
                        number,
                        format!("{name} outside BEGIN:VCALENDAR (not an iCalendar file?)"),
                    ));
                };
                if DATE_PROPERTIES.contains(&upper.as_str()) {
                    check_dates(params, value).map_err(|reason| {
                        CalendarError::at(number, format!("{upper}: {reason}"))
                    })?;
                }
                if skipping == 0 {
                    current.properties.push(Line {
                        number,
                        name: upper.clone(),
                    });
                    unfolded.push_str(line);
                    unfolded.push('\n');
                    origin.push(number);
                }
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(CalendarError::at(
            last_line,
            format!(
                "the file ends inside BEGIN:{} of line {} (END:{} is missing)",
                open.name, open.begin, open.name
            ),
        ));
    }
    if calendars.is_empty() {
        return Err(CalendarError::at(
            1,
            "no BEGIN:VCALENDAR: not an iCalendar file",
        ));
    }
    Ok(Scanned {
        unfolded,
        origin,
        calendars,
    })
}

/// The line (from 1) that holds byte `offset`.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Splits a content line into name, parameters (raw text) and value, checking its shape.
fn split_property(line: &str) -> Result<(&str, &str, &str), String> {
    let name_end = line.find([';', ':']).unwrap_or(line.len());
    let name = &line[..name_end];
    let excerpt: String = line.chars().take(40).collect();
    // RFC 5545 names are letters, digits and '-'; '_' is accepted as some programs write it.
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid_name || name_end == line.len() {
        return Err(format!(
            "{excerpt:?} is not a property (NAME:value); a folded line must start with a space"
        ));
    }
    // Find the ':' that ends the parameters, outside quotes.
    let mut in_quotes = false;
    for (i, c) in line[name_end..].char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                let at = name_end + i;
                return Ok((name, &line[name_end..at], &line[at + 1..]));
            }
            _ => {}
        }
    }
    Err(format!(
        "{excerpt:?} has no ':' before its value (an unclosed quote, or broken folding)"
    ))
}

/// Checks the dates of a DATE / DATE-TIME property value (a comma-separated list for EXDATE
/// and RDATE). Periods (`VALUE=PERIOD`) are checked at their start.
fn check_dates(params: &str, value: &str) -> Result<(), String> {
    let is_date = params.to_ascii_uppercase().contains("VALUE=DATE")
        && !params.to_ascii_uppercase().contains("VALUE=DATE-TIME");
    for item in value.split(',') {
        let item = item.trim();
        let item = item.split_once('/').map_or(item, |(start, _)| start);
        if is_date {
            parse_date(item)?;
        } else if item.len() == 8 {
            // A bare date without VALUE=DATE: lenient, as Apple writes some.
            parse_date(item)?;
        } else {
            parse_date_time(item)?;
        }
    }
    Ok(())
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
    if time.len() != 6 || !time.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let h: i8 = time[0..2].parse().map_err(|_| bad())?;
    let m: i8 = time[2..4].parse().map_err(|_| bad())?;
    let s: i8 = time[4..6].parse().map_err(|_| bad())?;
    // A leap second (60) is read as 59.
    let s = if s == 60 { 59 } else { s };
    let time = Time::new(h, m, s, 0)
        .map_err(|_| format!("{text:?}: {h:02}:{m:02}:{s:02} is not a time of day"))?;
    Ok((date.to_datetime(time), utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> CalendarError {
        scan(text.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_good_file_unfolds() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Leden\r\n verg\r\n adering\r\nDTSTART:20260312T193000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let scanned = scan(text.as_bytes()).unwrap();
        assert!(scanned.unfolded.contains("SUMMARY:Ledenvergadering\n"));
        let event = &scanned.calendars[0].children[0];
        assert_eq!(event.name, "VEVENT");
        assert_eq!(event.line_of("DTSTART"), 8);
    }

    #[test]
    fn broken_folding_names_the_line() {
        let e = err("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:Leden\nvergadering in het dorpshuis\nEND:VEVENT\nEND:VCALENDAR\n");
        assert_eq!(e.line(), Some(4), "{e}");
    }

    #[test]
    fn a_missing_end_is_found() {
        let e = err("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VCALENDAR\n");
        assert_eq!(e.line(), Some(4), "{e}");
        assert!(e.reason().contains("END:VEVENT"), "{e}");
        let e = err("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VEVENT\n");
        assert!(e.reason().contains("END:VCALENDAR is missing"), "{e}");
    }

    #[test]
    fn impossible_dates_are_refused() {
        let e = err("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260231\nEND:VEVENT\nEND:VCALENDAR\n");
        assert_eq!(e.line(), Some(3));
        assert!(e.reason().contains("no day 31"), "{e}");
        assert!(err(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260301T250000\nEND:VEVENT\nEND:VCALENDAR\n"
        )
        .reason()
        .contains("not a time"));
    }

    #[test]
    fn binary_data_is_refused() {
        let mut bytes = b"BEGIN:VCALENDAR\nVERSION:2.0\n".to_vec();
        bytes.extend([0xff, 0xfe, 0x00, 0x12]);
        let e = scan(&bytes).unwrap_err();
        assert_eq!(e.line(), Some(3));
        let e = scan(b"BEGIN:VCALENDAR\nX:\x01\x02\nEND:VCALENDAR\n").unwrap_err();
        assert_eq!(e.line(), Some(2));
    }

    #[test]
    fn unknown_components_are_skipped() {
        let text = "BEGIN:VCALENDAR\nBEGIN:X-THING\nFOO:bar\nEND:X-THING\nBEGIN:VEVENT\nUID:1\nEND:VEVENT\nEND:VCALENDAR\n";
        let scanned = scan(text.as_bytes()).unwrap();
        assert!(!scanned.unfolded.contains("X-THING"));
        assert_eq!(scanned.calendars[0].children.len(), 1);
    }
}
