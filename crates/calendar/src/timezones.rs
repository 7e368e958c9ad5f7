//! Time zones in calendar files: writing a VTIMEZONE for every TZID an export uses, and
//! understanding the TZIDs of invitations (IANA names, Windows names as Outlook writes them, and
//! zones that only their own VTIMEZONE describes, under any name).
//!
//! Reading an unknown TZID: when a TZID is neither an IANA name (jiff's tzdb) nor a Windows name
//! in [`WINDOWS_ZONES`], the file's own VTIMEZONE is interpreted: its newest STANDARD and
//! DAYLIGHT observances with a yearly rule (`FREQ=YEARLY;BYMONTH=m;BYDAY=nSU`) are translated to
//! a POSIX TZ rule that jiff evaluates (the rules a calendar program writes for the zone as it is
//! now; older history in the VTIMEZONE is ignored). A VTIMEZONE without such rules is applied as
//! its list of dated observances. Without any VTIMEZONE the importer reads an unknown TZID in
//! Dutch time, with a warning.

use super::emit::{self, Writer};
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};

/// Windows time-zone names (as Outlook and Exchange write them in TZID) and their IANA zones:
/// the zones of CLDR's `windowsZones` (its territory "001"), the Dutch zone first (Windows' own
/// table says Berlin; the rules are the same). Outlook's display names (`(UTC+01:00) Amsterdam,
/// Berlin, ...`) are read by their cities ([`display_name_zone`]).
pub const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("W. Europe Standard Time", "Europe/Amsterdam"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("UTC", "UTC"),
    ("Coordinated Universal Time", "UTC"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kyiv"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("Turkey Standard Time", "Europe/Istanbul"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("Kaliningrad Standard Time", "Europe/Kaliningrad"),
    ("Belarus Standard Time", "Europe/Minsk"),
    ("Russia Time Zone 3", "Europe/Samara"),
    ("Azores Standard Time", "Atlantic/Azores"),
    ("Cape Verde Standard Time", "Atlantic/Cape_Verde"),
    ("Morocco Standard Time", "Africa/Casablanca"),
    ("W. Central Africa Standard Time", "Africa/Lagos"),
    ("South Africa Standard Time", "Africa/Johannesburg"),
    ("Egypt Standard Time", "Africa/Cairo"),
    ("E. Africa Standard Time", "Africa/Nairobi"),
    ("Middle East Standard Time", "Asia/Beirut"),
    ("Israel Standard Time", "Asia/Jerusalem"),
    ("Jordan Standard Time", "Asia/Amman"),
    ("Arabic Standard Time", "Asia/Baghdad"),
    ("Arab Standard Time", "Asia/Riyadh"),
    ("Iran Standard Time", "Asia/Tehran"),
    ("Arabian Standard Time", "Asia/Dubai"),
    ("Azerbaijan Standard Time", "Asia/Baku"),
    ("Georgian Standard Time", "Asia/Tbilisi"),
    ("Caucasus Standard Time", "Asia/Yerevan"),
    ("Afghanistan Standard Time", "Asia/Kabul"),
    ("West Asia Standard Time", "Asia/Tashkent"),
    ("Ekaterinburg Standard Time", "Asia/Yekaterinburg"),
    ("Pakistan Standard Time", "Asia/Karachi"),
    ("India Standard Time", "Asia/Kolkata"),
    ("Sri Lanka Standard Time", "Asia/Colombo"),
    ("Nepal Standard Time", "Asia/Kathmandu"),
    ("Central Asia Standard Time", "Asia/Almaty"),
    ("Bangladesh Standard Time", "Asia/Dhaka"),
    ("Myanmar Standard Time", "Asia/Yangon"),
    ("SE Asia Standard Time", "Asia/Bangkok"),
    ("N. Central Asia Standard Time", "Asia/Novosibirsk"),
    ("North Asia Standard Time", "Asia/Krasnoyarsk"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("Taipei Standard Time", "Asia/Taipei"),
    ("Ulaanbaatar Standard Time", "Asia/Ulaanbaatar"),
    ("North Asia East Standard Time", "Asia/Irkutsk"),
    ("W. Australia Standard Time", "Australia/Perth"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("Korea Standard Time", "Asia/Seoul"),
    ("Yakutsk Standard Time", "Asia/Yakutsk"),
    ("Cen. Australia Standard Time", "Australia/Adelaide"),
    ("AUS Central Standard Time", "Australia/Darwin"),
    ("E. Australia Standard Time", "Australia/Brisbane"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("West Pacific Standard Time", "Pacific/Port_Moresby"),
    ("Tasmania Standard Time", "Australia/Hobart"),
    ("Vladivostok Standard Time", "Asia/Vladivostok"),
    ("Central Pacific Standard Time", "Pacific/Guadalcanal"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
    ("Fiji Standard Time", "Pacific/Fiji"),
    ("Tonga Standard Time", "Pacific/Tongatapu"),
    ("Samoa Standard Time", "Pacific/Apia"),
    ("Line Islands Standard Time", "Pacific/Kiritimati"),
    ("Dateline Standard Time", "Etc/GMT+12"),
    ("UTC-11", "Etc/GMT+11"),
    ("UTC-02", "Etc/GMT+2"),
    ("UTC+12", "Etc/GMT-12"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Aleutian Standard Time", "America/Adak"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("Pacific Standard Time (Mexico)", "America/Tijuana"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Mountain Standard Time", "America/Denver"),
    ("Mountain Standard Time (Mexico)", "America/Mazatlan"),
    ("Central America Standard Time", "America/Guatemala"),
    ("Central Standard Time", "America/Chicago"),
    ("Central Standard Time (Mexico)", "America/Mexico_City"),
    ("Canada Central Standard Time", "America/Regina"),
    ("SA Pacific Standard Time", "America/Bogota"),
    ("Eastern Standard Time", "America/New_York"),
    ("Eastern Standard Time (Mexico)", "America/Cancun"),
    ("US Eastern Standard Time", "America/Indiana/Indianapolis"),
    ("Venezuela Standard Time", "America/Caracas"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("SA Western Standard Time", "America/La_Paz"),
    ("Pacific SA Standard Time", "America/Santiago"),
    ("Newfoundland Standard Time", "America/St_Johns"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("SA Eastern Standard Time", "America/Cayenne"),
    ("Argentina Standard Time", "America/Argentina/Buenos_Aires"),
    ("Greenland Standard Time", "America/Nuuk"),
    ("Montevideo Standard Time", "America/Montevideo"),
];

/// The IANA zone for a Windows zone name (case-insensitive).
pub fn windows_zone(name: &str) -> Option<&'static str> {
    WINDOWS_ZONES
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(name.trim()))
        .map(|(_, iana)| *iana)
}

/// A zone named as Outlook shows it, `(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm,
/// Vienna` or the older `(GMT+01.00) Amsterdam / Berlin / ...`: the first city that is the last
/// part of an IANA name (`Europe/Amsterdam`).
pub fn display_name_zone(name: &str) -> Option<(TimeZone, String)> {
    let name = name.trim();
    let head = name.get(..4)?;
    if !(head.eq_ignore_ascii_case("(UTC") || head.eq_ignore_ascii_case("(GMT")) {
        return None;
    }
    let (_, cities) = name.split_once(')')?;
    let available: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
    for city in cities
        .split([',', '/', ';'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let wanted = city.replace(' ', "_");
        if let Some(iana) = available.iter().find(|iana| {
            iana.contains('/')
                && iana
                    .rsplit('/')
                    .next()
                    .is_some_and(|last| last.eq_ignore_ascii_case(&wanted))
        }) {
            if let Ok(tz) = TimeZone::get(iana) {
                return Some((tz, iana.clone()));
            }
        }
    }
    None
}

/// A zone by any name a calendar program writes in TZID: IANA (also with a vendor prefix), a
/// Windows name, or an Outlook display name. `None` for a name only the file's own VTIMEZONE can
/// explain.
pub fn zone_by_name(name: &str) -> Option<(TimeZone, String)> {
    let name = name.trim().trim_matches('"').trim();
    if let Some(found) = iana_zone(name) {
        return Some(found);
    }
    if let Some(iana) = windows_zone(name) {
        if let Ok(tz) = TimeZone::get(iana) {
            return Some((tz, iana.to_owned()));
        }
    }
    display_name_zone(name)
}

/// A zone as an invitation uses it.
#[derive(Debug, Clone)]
pub enum Zone {
    /// A zone jiff knows (IANA name, or a POSIX rule built from a VTIMEZONE); `name` is the IANA
    /// name when there is one.
    Rules { tz: TimeZone, name: Option<String> },
    /// Dated observances only: from each local onset on, this offset applies.
    Observances(Vec<(DateTime, Offset)>),
}

impl Zone {
    pub fn iana(&self) -> Option<&str> {
        match self {
            Zone::Rules { name, .. } => name.as_deref(),
            Zone::Observances(_) => None,
        }
    }

    /// The instant of a local time in this zone. A time in the hour skipped when summer time
    /// starts is read with the offset before the gap, and a time in the repeated hour as the
    /// first of the two (RFC 5545, 3.3.5).
    pub fn to_timestamp(&self, dt: DateTime) -> Result<Timestamp, String> {
        match self {
            Zone::Rules { tz, .. } => tz
                .to_ambiguous_timestamp(dt)
                .compatible()
                .map_err(|e| e.to_string()),
            Zone::Observances(list) => {
                let offset = list
                    .iter()
                    .rev()
                    .find(|(onset, _)| *onset <= dt)
                    .or_else(|| list.first())
                    .map_or(Offset::UTC, |(_, o)| *o);
                offset.to_timestamp(dt).map_err(|e| e.to_string())
            }
        }
    }
}

/// An IANA zone by name, also when written with a prefix (`/mozilla.org/20050126_1/Europe/Amsterdam`,
/// `/freeassociation.sourceforge.net/Europe/Amsterdam`).
pub fn iana_zone(name: &str) -> Option<(TimeZone, String)> {
    let name = name.trim().trim_matches('"');
    if name.is_empty() {
        return None;
    }
    if let Ok(tz) = TimeZone::get(name) {
        let name = tz.iana_name().unwrap_or(name).to_owned();
        return Some((tz, name));
    }
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    for take in [3, 2, 1] {
        if parts.len() > take {
            let candidate = parts[parts.len() - take..].join("/");
            if candidate.contains('/') || take == 1 {
                if let Ok(tz) = TimeZone::get(&candidate) {
                    let name = tz.iana_name().map_or(candidate, str::to_owned);
                    return Some((tz, name));
                }
            }
        }
    }
    None
}

/// Whether an observance starts standard or summer time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservanceKind {
    Standard,
    Daylight,
}

/// One STANDARD or DAYLIGHT part of a file's VTIMEZONE.
#[derive(Debug, Clone)]
pub struct Observance {
    pub kind: ObservanceKind,
    /// The local onset (in the offset before it).
    pub start: DateTime,
    pub offset_from: Offset,
    pub offset_to: Offset,
    /// The recurrence rule's value, if any (`FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU`).
    pub rrule: Option<String>,
}

/// A zone from a VTIMEZONE's observances: a POSIX rule from the newest yearly rules, else the
/// dated observances as listed.
pub fn zone_from_observances(observances: &[Observance]) -> Option<Zone> {
    if observances.is_empty() {
        return None;
    }
    let newest = |kind| {
        observances
            .iter()
            .filter(|o| o.kind == kind)
            .max_by_key(|o| o.start)
    };
    let standard = newest(ObservanceKind::Standard);
    let daylight = newest(ObservanceKind::Daylight);
    match (standard, daylight) {
        (Some(s), None) => {
            return Some(Zone::Rules {
                tz: TimeZone::fixed(s.offset_to),
                name: None,
            })
        }
        (Some(s), Some(d)) => {
            if let (Some(start), Some(end)) = (posix_rule(d), posix_rule(s)) {
                let text = format!(
                    "XST{}XDT{},{start},{end}",
                    posix_offset(s.offset_to),
                    posix_offset(d.offset_to)
                );
                if let Ok(tz) = TimeZone::posix(&text) {
                    return Some(Zone::Rules { tz, name: None });
                }
            }
        }
        _ => {}
    }
    let mut list: Vec<(DateTime, Offset)> =
        observances.iter().map(|o| (o.start, o.offset_to)).collect();
    list.sort_by_key(|(onset, _)| *onset);
    Some(Zone::Observances(list))
}

/// POSIX offsets count hours west of Greenwich: UTC+1 is `-1`.
fn posix_offset(offset: Offset) -> String {
    let west = -offset.seconds();
    let sign = if west < 0 { "-" } else { "" };
    let abs = west.unsigned_abs();
    let (h, m, s) = (abs / 3600, (abs / 60) % 60, abs % 60);
    match (m, s) {
        (0, 0) => format!("{sign}{h}"),
        (_, 0) => format!("{sign}{h}:{m:02}"),
        _ => format!("{sign}{h}:{m:02}:{s:02}"),
    }
}

/// `M3.5.0/2` for an observance with `FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU` starting at 02:00.
fn posix_rule(o: &Observance) -> Option<String> {
    let rule = o.rrule.as_deref()?;
    let mut month = None;
    let mut byday = None;
    let mut yearly = false;
    for part in rule.split(';') {
        let (key, value) = part.split_once('=')?;
        match key.trim().to_ascii_uppercase().as_str() {
            "FREQ" => yearly = value.eq_ignore_ascii_case("YEARLY"),
            "BYMONTH" => month = value.parse::<u8>().ok(),
            "BYDAY" => byday = Some(value.to_ascii_uppercase()),
            "UNTIL" | "WKST" => {}
            "INTERVAL" if value.trim() == "1" => {}
            _ => return None,
        }
    }
    let (month, byday) = (month?, byday?);
    if !yearly || !(1..=12).contains(&month) {
        return None;
    }
    let split = byday
        .len()
        .checked_sub(2)
        .filter(|i| byday.is_char_boundary(*i))?;
    let (nth, day) = byday.split_at(split);
    let weekday = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]
        .iter()
        .position(|d| *d == day)?;
    let week = match nth.trim_start_matches('+') {
        "-1" => 5,
        n => match n.parse::<u8>() {
            Ok(n @ 1..=4) => n,
            _ => return None,
        },
    };
    let t = o.start.time();
    let time = if t.minute() == 0 && t.second() == 0 {
        format!("{}", t.hour())
    } else {
        format!("{}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    };
    Some(format!("M{month}.{week}.{weekday}/{time}"))
}

/// Writes the VTIMEZONE of an IANA zone for the events of `first_year..=last_year`.
///
/// The zone's transitions from the year before the first event to the last event's year are
/// taken from the tzdb. When they follow one yearly rule (as in the whole EU since 1996: the
/// last Sunday of March and of October) the VTIMEZONE has one STANDARD and one DAYLIGHT with
/// that RRULE, which is what Outlook reads best; otherwise each transition is listed. A zone
/// without transitions gets one STANDARD.
pub fn write_vtimezone(w: &mut Writer, tzid: &str, tz: &TimeZone, first_year: i16, last_year: i16) {
    w.begin("VTIMEZONE");
    w.text("TZID", &[], tzid);
    let first_year = first_year.saturating_sub(1).max(1900);
    let last_year = last_year.max(first_year);
    let start = Date::new(first_year, 1, 1).ok().and_then(|d| {
        tz.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .ok()
    });
    let end = Date::new(last_year.saturating_add(1).min(9998), 1, 1)
        .ok()
        .and_then(|d| {
            tz.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                .ok()
        });
    let mut transitions = Vec::new();
    if let (Some(start), Some(end)) = (start, end) {
        for t in tz.following(start) {
            if t.timestamp() >= end || transitions.len() > 400 {
                break;
            }
            let before = tz.to_offset(t.timestamp() - 1.second());
            transitions.push(Transition {
                at: t.timestamp(),
                from: before,
                to: t.offset(),
                dst: t.dst().is_dst(),
                abbreviation: t.abbreviation().to_owned(),
            });
        }
    }
    if transitions.is_empty() {
        let at = start.unwrap_or(Timestamp::UNIX_EPOCH);
        let info = tz.to_offset_info(at);
        observance(
            w,
            ObservanceKind::Standard,
            DateTime::constant(1970, 1, 1, 0, 0, 0, 0),
            info.offset(),
            info.offset(),
            info.abbreviation(),
            None,
        );
    } else if let Some(rules) = yearly_rules(&transitions) {
        for (t, rule) in rules {
            let kind = if t.dst {
                ObservanceKind::Daylight
            } else {
                ObservanceKind::Standard
            };
            observance(
                w,
                kind,
                t.local_onset(),
                t.from,
                t.to,
                &t.abbreviation,
                Some(&rule),
            );
        }
    } else {
        for t in &transitions {
            let kind = if t.dst {
                ObservanceKind::Daylight
            } else {
                ObservanceKind::Standard
            };
            observance(
                w,
                kind,
                t.local_onset(),
                t.from,
                t.to,
                &t.abbreviation,
                None,
            );
        }
    }
    w.end("VTIMEZONE");
}

#[derive(Debug, Clone)]
struct Transition {
    at: Timestamp,
    from: Offset,
    to: Offset,
    dst: bool,
    abbreviation: String,
}

impl Transition {
    /// The wall-clock time at which the transition happens, in the offset before it.
    fn local_onset(&self) -> DateTime {
        self.from.to_datetime(self.at)
    }
}

fn observance(
    w: &mut Writer,
    kind: ObservanceKind,
    start: DateTime,
    from: Offset,
    to: Offset,
    name: &str,
    rrule: Option<&str>,
) {
    let component = match kind {
        ObservanceKind::Standard => "STANDARD",
        ObservanceKind::Daylight => "DAYLIGHT",
    };
    w.begin(component);
    w.raw("DTSTART", &[], &emit::local(start));
    w.raw("TZOFFSETFROM", &[], &emit::offset(from));
    w.raw("TZOFFSETTO", &[], &emit::offset(to));
    if !name.is_empty() {
        w.text("TZNAME", &[], name);
    }
    if let Some(rule) = rrule {
        w.raw("RRULE", &[], rule);
    }
    w.end(component);
}

/// If the transitions follow one yearly rule for summer time and one for standard time (same
/// month, weekday, position in the month, wall time and offsets every year), the first
/// transition of each with its RRULE.
fn yearly_rules(transitions: &[Transition]) -> Option<Vec<(Transition, String)>> {
    let mut out = Vec::new();
    for dst in [true, false] {
        let group: Vec<&Transition> = transitions.iter().filter(|t| t.dst == dst).collect();
        let first = *group.first()?;
        // Positions this transition can be named by: nth weekday, and -1 when it is the last.
        let positions = |t: &Transition| -> (u8, Weekday, Vec<i8>, jiff::civil::Time) {
            let local = t.local_onset();
            let day = local.day();
            let mut positions = vec![(day - 1) / 7 + 1];
            if day + 7 > local.date().days_in_month() {
                positions.push(-1);
            }
            (
                local.month() as u8,
                local.weekday(),
                positions,
                local.time(),
            )
        };
        let (month, weekday, mut common, time) = positions(first);
        let mut years: Vec<i16> = Vec::new();
        for t in &group {
            let (m, wd, p, tm) = positions(t);
            if m != month || wd != weekday || tm != time || t.from != first.from || t.to != first.to
            {
                return None;
            }
            common.retain(|x| p.contains(x));
            years.push(t.local_onset().year());
        }
        // One transition a year, every year.
        if years.windows(2).any(|w| w[1] != w[0] + 1) {
            return None;
        }
        // Prefer "last" (-1SU), as the EU rule is written.
        let position = if common.contains(&-1) {
            -1
        } else {
            *common.first()?
        };
        let day = match weekday {
            Weekday::Monday => "MO",
            Weekday::Tuesday => "TU",
            Weekday::Wednesday => "WE",
            Weekday::Thursday => "TH",
            Weekday::Friday => "FR",
            Weekday::Saturday => "SA",
            Weekday::Sunday => "SU",
        };
        out.push((
            first.clone(),
            format!("FREQ=YEARLY;BYMONTH={month};BYDAY={position}{day}"),
        ));
    }
    // Summer time and standard time alternate: the same number of each (give or take one).
    let dst = transitions.iter().filter(|t| t.dst).count();
    let std = transitions.len() - dst;
    if dst.abs_diff(std) > 1 {
        return None;
    }
    out.sort_by_key(|(t, _)| t.at);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amsterdam() -> TimeZone {
        TimeZone::get("Europe/Amsterdam").unwrap()
    }

    #[test]
    fn amsterdam_gets_the_eu_rule() {
        let mut w = Writer::new();
        write_vtimezone(&mut w, "Europe/Amsterdam", &amsterdam(), 2026, 2027);
        let text = w.finish();
        assert!(text.contains("BEGIN:DAYLIGHT\r\nDTSTART:20250330T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"), "{text}");
        assert!(text.contains("BEGIN:STANDARD\r\nDTSTART:20251026T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"), "{text}");
    }

    #[test]
    fn a_zone_without_summer_time_has_one_standard() {
        let mut w = Writer::new();
        write_vtimezone(&mut w, "UTC", &TimeZone::UTC, 2026, 2026);
        let text = w.finish();
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1);
        assert!(!text.contains("DAYLIGHT"));
    }

    #[test]
    fn irregular_zones_list_their_transitions() {
        // Casablanca leaves summer time for Ramadan: no yearly rule fits.
        let Ok(tz) = TimeZone::get("Africa/Casablanca") else {
            return;
        };
        let mut w = Writer::new();
        write_vtimezone(&mut w, "Africa/Casablanca", &tz, 2026, 2026);
        let text = w.finish();
        assert!(!text.contains("RRULE"), "{text}");
        assert!(
            text.matches("BEGIN:STANDARD").count() + text.matches("BEGIN:DAYLIGHT").count() >= 2
        );
    }

    #[test]
    fn every_windows_name_is_a_zone_jiff_knows() {
        for (windows, iana) in WINDOWS_ZONES {
            assert!(TimeZone::get(iana).is_ok(), "{windows} → {iana}");
        }
    }

    #[test]
    fn outlook_display_names_and_globally_unique_names() {
        for name in [
            "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
            "(GMT+01.00) Amsterdam / Berlin / Bern / Rome / Stockholm / Vienna",
            "\"Europe/Amsterdam\"",
            "/mozilla.org/20050126_1/Europe/Amsterdam",
            "/freeassociation.sourceforge.net/Tzfile/Europe/Amsterdam",
            "europe/amsterdam",
            "W. Europe Standard Time",
        ] {
            let (tz, _) = zone_by_name(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(tz.iana_name(), Some("Europe/Amsterdam"), "{name}");
        }
        let (_, name) =
            zone_by_name("/softwarestudio.org/Olson_20011030_5/America/New_York").unwrap();
        assert_eq!(name, "America/New_York");
        assert!(zone_by_name("Customized Time Zone").is_none());
        assert!(zone_by_name("(UTC+01:00) Nergens").is_none());
    }

    #[test]
    fn windows_names_and_prefixed_names() {
        assert_eq!(
            windows_zone("W. Europe Standard Time"),
            Some("Europe/Amsterdam")
        );
        assert_eq!(
            iana_zone("/mozilla.org/20050126_1/Europe/Amsterdam").map(|z| z.1),
            Some("Europe/Amsterdam".to_owned())
        );
        assert!(iana_zone("Mars/Olympus_Mons").is_none());
    }

    #[test]
    fn a_vtimezone_with_eu_rules_reads_like_amsterdam() {
        let observances = [
            Observance {
                kind: ObservanceKind::Daylight,
                start: DateTime::constant(1601, 3, 25, 2, 0, 0, 0),
                offset_from: Offset::constant(1),
                offset_to: Offset::constant(2),
                rrule: Some("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3".into()),
            },
            Observance {
                kind: ObservanceKind::Standard,
                start: DateTime::constant(1601, 10, 28, 3, 0, 0, 0),
                offset_from: Offset::constant(2),
                offset_to: Offset::constant(1),
                rrule: Some("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10".into()),
            },
        ];
        let zone = zone_from_observances(&observances).unwrap();
        let ams = Zone::Rules {
            tz: amsterdam(),
            name: None,
        };
        for (m, d, h) in [
            (1, 15, 19),
            (3, 28, 19),
            (3, 29, 19),
            (7, 1, 12),
            (10, 25, 19),
        ] {
            let dt = DateTime::constant(2026, m, d, h, 30, 0, 0);
            assert_eq!(zone.to_timestamp(dt), ams.to_timestamp(dt), "{dt}");
        }
    }
}
