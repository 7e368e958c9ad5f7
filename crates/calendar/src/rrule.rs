//! Expanding the recurrence rules of recurring invitations (RFC 5545, 3.3.10).
//!
//! Written here instead of using the `rrule` crate: that crate brings chrono and chrono-tz (a
//! second time-zone database next to jiff's, which would have to agree with it), while the
//! invitations of associations use a handful of forms — every week or every other week on a
//! weekday, the nth weekday of the month, the last working day of the month (Outlook's
//! `BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1`), a day of the month, yearly, daily — with COUNT, UNTIL,
//! INTERVAL and EXDATE. Those are expanded here in local wall-clock time, so that a meeting at
//! 19:30 stays at 19:30 when summer time starts or ends. Rules outside that set (BYWEEKNO,
//! BYYEARDAY, BYHOUR and finer, FREQ=HOURLY and finer) are refused with a reason rather than
//! expanded wrongly.
//!
//! Forgiven, with a note: INTERVAL=0 (read as 1), COUNT=0 (only the first meeting), a position
//! on a weekly BYDAY (`1MO` read as `MO`), rule parts RFC 5545 does not know; COUNT with UNTIL
//! ends at whichever comes first. However absurd the rule, the work is bounded: at most
//! [`MAX_PERIODS`] periods are looked at and at most [`MAX_OCCURRENCES`] starts returned.

use jiff::civil::{Date, DateTime, Weekday};
use jiff::Span;

/// At most this many occurrences are made from one rule.
pub const MAX_OCCURRENCES: usize = 520;

/// At most this many periods (days, weeks, months, years) of a rule are looked at.
pub const MAX_PERIODS: i64 = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// Where a rule ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The last local date-time an occurrence may start at (UNTIL converted to the event's zone).
    At(DateTime),
    /// The last date an all-day occurrence may fall on.
    Date(Date),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub freq: Freq,
    pub interval: i64,
    pub count: Option<usize>,
    /// UNTIL as written; its interpretation needs the event's zone, see [`Until`].
    pub until_text: Option<String>,
    /// BYDAY: weekday with an optional position (`2TU` is (Some(2), Tuesday)).
    pub by_day: Vec<(Option<i8>, Weekday)>,
    pub by_month_day: Vec<i8>,
    pub by_month: Vec<i8>,
    /// BYSETPOS: which of a period's dates (1 the first, -1 the last).
    pub by_set_pos: Vec<i16>,
    pub week_start: Weekday,
    /// What was forgiven in reading the rule.
    pub notes: Vec<String>,
}

/// Parses an RRULE value; an error names what is not supported or not valid.
pub fn parse(value: &str) -> Result<Rule, String> {
    let mut freq = None;
    let mut rule = Rule {
        freq: Freq::Daily,
        interval: 1,
        count: None,
        until_text: None,
        by_day: Vec::new(),
        by_month_day: Vec::new(),
        by_month: Vec::new(),
        by_set_pos: Vec::new(),
        week_start: Weekday::Monday,
        notes: Vec::new(),
    };
    let value = value.trim();
    // Some programs write the property's name into its value.
    let value = value
        .get(..6)
        .filter(|head| head.eq_ignore_ascii_case("RRULE:"))
        .map_or(value, |_| &value[6..]);
    for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, val) = part
            .split_once('=')
            .ok_or_else(|| format!("RRULE part {part:?} has no '='"))?;
        let key = key.trim().to_ascii_uppercase();
        let val = val.trim();
        let items = || val.split(',').map(str::trim).filter(|i| !i.is_empty());
        match key.as_str() {
            "FREQ" => {
                freq = Some(match val.to_ascii_uppercase().as_str() {
                    "DAILY" => Freq::Daily,
                    "WEEKLY" => Freq::Weekly,
                    "MONTHLY" => Freq::Monthly,
                    "YEARLY" => Freq::Yearly,
                    "HOURLY" | "MINUTELY" | "SECONDLY" => {
                        return Err(format!("RRULE FREQ={val} is not supported"))
                    }
                    _ => return Err(format!("RRULE FREQ={val} is not a frequency")),
                })
            }
            "INTERVAL" => match val.parse::<i64>() {
                Ok(n) if n >= 1 => rule.interval = n,
                Ok(_) => rule
                    .notes
                    .push(format!("RRULE INTERVAL={val} read as INTERVAL=1")),
                Err(_) => return Err(format!("RRULE INTERVAL={val} is not a number")),
            },
            "COUNT" => match val.parse::<u64>() {
                Ok(0) => {
                    rule.count = Some(1);
                    rule.notes
                        .push("RRULE COUNT=0: only the first meeting is made".into());
                }
                Ok(n) => rule.count = Some(usize::try_from(n).unwrap_or(usize::MAX)),
                // A number too large to count is no limit at all.
                Err(_) if !val.is_empty() && val.bytes().all(|b| b.is_ascii_digit()) => {}
                Err(_) => return Err(format!("RRULE COUNT={val} is not a number")),
            },
            "UNTIL" => rule.until_text = Some(val.to_owned()),
            "BYDAY" => {
                for item in items() {
                    rule.by_day.push(by_day(item)?);
                }
            }
            "BYMONTHDAY" => {
                for item in items() {
                    let n = item
                        .trim_start_matches('+')
                        .parse::<i8>()
                        .ok()
                        .filter(|n| *n != 0 && (-31..=31).contains(n))
                        .ok_or_else(|| {
                            format!("RRULE BYMONTHDAY={item} is not a day of the month")
                        })?;
                    rule.by_month_day.push(n);
                }
            }
            "BYMONTH" => {
                for item in items() {
                    let n = item
                        .parse::<i8>()
                        .ok()
                        .filter(|n| (1..=12).contains(n))
                        .ok_or_else(|| format!("RRULE BYMONTH={item} is not a month"))?;
                    rule.by_month.push(n);
                }
            }
            "BYSETPOS" => {
                for item in items() {
                    let n = item
                        .trim_start_matches('+')
                        .parse::<i16>()
                        .ok()
                        .filter(|n| *n != 0 && (-366..=366).contains(n))
                        .ok_or_else(|| format!("RRULE BYSETPOS={item} is not a position"))?;
                    rule.by_set_pos.push(n);
                }
            }
            "WKST" => rule.week_start = weekday(val)?,
            "BYWEEKNO" | "BYYEARDAY" | "BYHOUR" | "BYMINUTE" | "BYSECOND" | "RSCALE" | "SKIP" => {
                return Err(format!("RRULE {key} is not supported"))
            }
            other if other.starts_with("X-") => {}
            other => rule
                .notes
                .push(format!("RRULE part {other} is not known: left out")),
        }
    }
    rule.freq = freq.ok_or("RRULE has no FREQ")?;
    if rule.freq == Freq::Weekly && rule.by_day.iter().any(|(n, _)| n.is_some()) {
        rule.notes
            .push("RRULE FREQ=WEEKLY with a numbered BYDAY: the numbers are left out".into());
        for (n, _) in &mut rule.by_day {
            *n = None;
        }
    }
    if !rule.by_set_pos.is_empty() && rule.freq == Freq::Daily {
        // One date a period: BYSETPOS=1 (or -1) keeps it, any other position none.
        if !rule.by_set_pos.iter().any(|p| matches!(p, 1 | -1)) {
            return Err("RRULE FREQ=DAILY with this BYSETPOS has no dates".into());
        }
        rule.by_set_pos.clear();
    }
    Ok(rule)
}

fn weekday(text: &str) -> Result<Weekday, String> {
    Ok(match text.trim().to_ascii_uppercase().as_str() {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return Err(format!("{text:?} is not a weekday (MO..SU)")),
    })
}

fn by_day(text: &str) -> Result<(Option<i8>, Weekday), String> {
    let split = text
        .len()
        .checked_sub(2)
        .filter(|i| text.is_char_boundary(*i))
        .ok_or_else(|| format!("RRULE BYDAY={text} is not a weekday"))?;
    let (n, day) = text.split_at(split);
    let n = match n.trim_start_matches('+') {
        "" => None,
        n => Some(
            n.parse::<i8>()
                .ok()
                .filter(|n| *n != 0 && (-53..=53).contains(n))
                .ok_or_else(|| format!("RRULE BYDAY={text} has a bad position"))?,
        ),
    };
    Ok((n, weekday(day)?))
}

/// The starts a rule gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// The start of each occurrence from `from` on, in local time, in order.
    pub starts: Vec<DateTime>,
    /// Whether [`MAX_OCCURRENCES`] or [`MAX_PERIODS`] cut the series short.
    pub limited: bool,
}

/// The start of each occurrence, in local time, in order: DTSTART first, then the rule's dates
/// after it, up to COUNT, `until` and `horizon` (the first of them); those before `from` are
/// left out (but counted for COUNT). At most [`MAX_OCCURRENCES`] are returned.
pub fn expand(
    rule: &Rule,
    start: DateTime,
    until: Option<Until>,
    from: DateTime,
    horizon: DateTime,
) -> Expansion {
    let time = start.time();
    let first = start.date();
    let count = rule.count.unwrap_or(usize::MAX);
    let within = |d: Date| -> bool {
        let at = d.to_datetime(time);
        let before_until = match until {
            Some(Until::At(u)) => at <= u,
            Some(Until::Date(u)) => d <= u,
            None => true,
        };
        before_until && at <= horizon
    };
    let mut starts = Vec::new();
    let mut counted = 1usize;
    if start >= from && start <= horizon {
        starts.push(start);
    }
    // Without COUNT, nothing before `from` needs counting: start a period before it.
    let mut period = match rule.count {
        None => skip_to(rule, first, from.date()),
        Some(_) => 0,
    };
    let mut looked = 0i64;
    let mut limited = false;
    'periods: while counted < count {
        if starts.len() >= MAX_OCCURRENCES || looked >= MAX_PERIODS {
            limited = true;
            break;
        }
        looked += 1;
        let Some(candidates) = period_dates(rule, first, period) else {
            break;
        };
        for d in candidates {
            if d <= first {
                continue;
            }
            if !within(d) {
                break 'periods;
            }
            counted += 1;
            let at = d.to_datetime(time);
            if at >= from {
                if starts.len() >= MAX_OCCURRENCES {
                    limited = true;
                    break 'periods;
                }
                starts.push(at);
            }
            if counted >= count {
                break 'periods;
            }
        }
        match period.checked_add(rule.interval) {
            Some(next) => period = next,
            None => break,
        }
    }
    Expansion { starts, limited }
}

/// The first period (a multiple of the interval, counted from DTSTART's) worth looking at for
/// occurrences on or after `from`: one before the period `from` lies in.
fn skip_to(rule: &Rule, first: Date, from: Date) -> i64 {
    if from <= first {
        return 0;
    }
    let periods = match rule.freq {
        Freq::Daily => first.until(from).map(|s| s.get_days() as i64).ok(),
        Freq::Weekly => first.until(from).map(|s| s.get_days() as i64 / 7).ok(),
        Freq::Monthly => Some(
            (i64::from(from.year()) - i64::from(first.year())) * 12 + i64::from(from.month())
                - i64::from(first.month()),
        ),
        Freq::Yearly => Some(i64::from(from.year()) - i64::from(first.year())),
    }
    .unwrap_or(0);
    let whole = (periods / rule.interval).saturating_sub(1).max(0);
    whole.saturating_mul(rule.interval)
}

fn days(n: i64) -> Option<Span> {
    Span::new().try_days(n).ok()
}

/// The dates of the `n`th period (day, week, month, year) after the one DTSTART lies in, in
/// order; `None` past the calendar's end.
fn period_dates(rule: &Rule, first: Date, n: i64) -> Option<Vec<Date>> {
    let month_ok = |d: &Date| rule.by_month.is_empty() || rule.by_month.contains(&d.month());
    let weekday_ok =
        |d: &Date| rule.by_day.is_empty() || rule.by_day.iter().any(|(_, w)| *w == d.weekday());
    let mut dates = match rule.freq {
        Freq::Daily => {
            let d = first.checked_add(days(n)?).ok()?;
            vec![d]
                .into_iter()
                .filter(|d| month_ok(d) && weekday_ok(d))
                .filter(|d| {
                    rule.by_month_day.is_empty() || month_day_matches(&rule.by_month_day, *d)
                })
                .collect()
        }
        Freq::Weekly => {
            let offset = i64::from(first.weekday().since(rule.week_start));
            let week_start = first.checked_sub(days(offset)?).ok()?;
            let week = week_start.checked_add(days(n.checked_mul(7)?)?).ok()?;
            let mut out = Vec::new();
            for i in 0..7 {
                let d = week.checked_add(days(i)?).ok()?;
                let wanted = if rule.by_day.is_empty() {
                    d.weekday() == first.weekday()
                } else {
                    weekday_ok(&d)
                };
                if wanted && month_ok(&d) {
                    out.push(d);
                }
            }
            out
        }
        Freq::Monthly => {
            let months = Span::new().try_months(n).ok()?;
            let month_start = first.first_of_month().checked_add(months).ok()?;
            if !month_ok(&month_start) {
                return Some(Vec::new());
            }
            month_dates(rule, month_start, first.day())
        }
        Freq::Yearly => {
            let year = first.year().checked_add(i16::try_from(n).ok()?)?;
            if year > 9998 {
                return None;
            }
            let months: Vec<i8> = if rule.by_month.is_empty() {
                vec![first.month()]
            } else {
                rule.by_month.clone()
            };
            let mut out = Vec::new();
            for m in months {
                let month_start = Date::new(year, m, 1).ok()?;
                out.extend(month_dates(rule, month_start, first.day()));
            }
            out
        }
    };
    dates.sort();
    dates.dedup();
    if !rule.by_set_pos.is_empty() {
        let len = dates.len() as i64;
        let mut picked: Vec<Date> = rule
            .by_set_pos
            .iter()
            .filter_map(|p| {
                let p = i64::from(*p);
                let index = if p > 0 { p - 1 } else { len + p };
                usize::try_from(index)
                    .ok()
                    .and_then(|i| dates.get(i).copied())
            })
            .collect();
        picked.sort();
        picked.dedup();
        dates = picked;
    }
    Some(dates)
}
/// The dates in one month that a monthly (or yearly, per month) rule picks.
fn month_dates(rule: &Rule, month_start: Date, default_day: i8) -> Vec<Date> {
    let days = month_start.days_in_month();
    let all = (1..=days).filter_map(|d| Date::new(month_start.year(), month_start.month(), d).ok());
    if !rule.by_month_day.is_empty() {
        return all
            .filter(|d| month_day_matches(&rule.by_month_day, *d))
            .filter(|d| {
                rule.by_day.is_empty() || rule.by_day.iter().any(|(_, w)| *w == d.weekday())
            })
            .collect();
    }
    if !rule.by_day.is_empty() {
        let all: Vec<Date> = all.collect();
        let mut out = Vec::new();
        for (position, weekday) in &rule.by_day {
            let matching: Vec<Date> = all
                .iter()
                .copied()
                .filter(|d| d.weekday() == *weekday)
                .collect();
            match position {
                None => out.extend(matching),
                Some(p) if *p > 0 => out.extend(matching.get(*p as usize - 1).copied()),
                Some(p) => {
                    let back = p.unsigned_abs() as usize;
                    if back <= matching.len() {
                        out.push(matching[matching.len() - back]);
                    }
                }
            }
        }
        return out;
    }
    // The day of DTSTART; months without it (the 31st) are skipped (RFC 5545, 3.3.10).
    Date::new(month_start.year(), month_start.month(), default_day)
        .ok()
        .into_iter()
        .collect()
}

fn month_day_matches(days: &[i8], d: Date) -> bool {
    let len = d.days_in_month();
    days.iter().any(|n| {
        if *n > 0 {
            *n == d.day()
        } else {
            len + 1 + *n == d.day()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, datetime};

    fn far() -> DateTime {
        datetime(2030, 1, 1, 0, 0, 0, 0)
    }

    fn long_ago() -> DateTime {
        datetime(1900, 1, 1, 0, 0, 0, 0)
    }

    fn starts(rule: &str, start: DateTime) -> Vec<DateTime> {
        expand(&parse(rule).unwrap(), start, None, long_ago(), far()).starts
    }

    #[test]
    fn every_other_tuesday_with_count() {
        let got = starts(
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=4",
            datetime(2026, 3, 17, 19, 30, 0, 0),
        );
        let dates: Vec<Date> = got.iter().map(|d| d.date()).collect();
        assert_eq!(
            dates,
            [
                date(2026, 3, 17),
                date(2026, 3, 31),
                date(2026, 4, 14),
                date(2026, 4, 28)
            ]
        );
        assert!(got
            .iter()
            .all(|d| d.time() == jiff::civil::time(19, 30, 0, 0)));
    }

    #[test]
    fn second_thursday_of_the_month_until() {
        let rule = parse("FREQ=MONTHLY;BYDAY=2TH;UNTIL=20260701T000000Z").unwrap();
        let got = expand(
            &rule,
            datetime(2026, 1, 8, 20, 0, 0, 0),
            Some(Until::At(datetime(2026, 7, 1, 2, 0, 0, 0))),
            long_ago(),
            far(),
        );
        let dates: Vec<String> = got.starts.iter().map(|d| d.date().to_string()).collect();
        assert_eq!(
            dates,
            [
                "2026-01-08",
                "2026-02-12",
                "2026-03-12",
                "2026-04-09",
                "2026-05-14",
                "2026-06-11"
            ]
        );
    }

    #[test]
    fn last_friday_and_month_days() {
        let got = starts(
            "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
            datetime(2026, 1, 30, 16, 0, 0, 0),
        );
        assert_eq!(got[1].date(), date(2026, 2, 27));
        assert_eq!(got[2].date(), date(2026, 3, 27));
        let got = starts("FREQ=MONTHLY;COUNT=3", datetime(2026, 1, 31, 16, 0, 0, 0));
        assert_eq!(got[1].date(), date(2026, 3, 31), "February has no 31st");
    }

    #[test]
    fn outlooks_last_working_day_of_the_month() {
        let got = starts(
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3",
            datetime(2026, 1, 30, 16, 0, 0, 0),
        );
        let dates: Vec<Date> = got.iter().map(|d| d.date()).collect();
        // 28 February 2026 is a Saturday; 31 March a Tuesday.
        assert_eq!(
            dates,
            [date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 31)]
        );
    }

    #[test]
    fn unsupported_parts_are_refused() {
        assert!(parse("FREQ=YEARLY;BYWEEKNO=20").is_err());
        assert!(parse("FREQ=HOURLY").is_err());
        assert!(parse("BYDAY=MO").is_err());
        assert!(parse("FREQ=WEEKLY;BYMONTHDAY=0").is_err());
    }

    #[test]
    fn odd_rules_are_read_with_a_note() {
        let rule = parse("FREQ=WEEKLY;COUNT=0").unwrap();
        assert_eq!(rule.count, Some(1));
        assert_eq!(rule.notes.len(), 1);
        let got = expand(
            &rule,
            datetime(2026, 1, 5, 19, 0, 0, 0),
            None,
            long_ago(),
            far(),
        );
        assert_eq!(got.starts.len(), 1);
        let rule = parse("FREQ=WEEKLY;INTERVAL=0;BYDAY=1MO;FOO=BAR").unwrap();
        assert_eq!(rule.interval, 1);
        assert_eq!(rule.by_day, [(None, Weekday::Monday)]);
        assert_eq!(rule.notes.len(), 3, "{:?}", rule.notes);
        assert!(parse("FREQ=WEEKLY;COUNT=2;UNTIL=20260101").is_ok());
    }

    #[test]
    fn an_endless_rule_stops_at_the_horizon() {
        let rule = parse("FREQ=WEEKLY").unwrap();
        let got = expand(
            &rule,
            datetime(2026, 1, 5, 19, 0, 0, 0),
            None,
            long_ago(),
            datetime(2026, 3, 1, 0, 0, 0, 0),
        );
        assert_eq!(got.starts.len(), 8);
        assert!(!got.limited);
    }

    #[test]
    fn a_daily_rule_from_long_ago_reaches_the_window() {
        let rule = parse("FREQ=DAILY;INTERVAL=3").unwrap();
        let got = expand(
            &rule,
            datetime(1990, 1, 1, 9, 0, 0, 0),
            None,
            datetime(2026, 1, 1, 0, 0, 0, 0),
            datetime(2026, 2, 1, 0, 0, 0, 0),
        );
        assert!((10..=11).contains(&got.starts.len()), "{:?}", got.starts);
        assert!(got.starts.iter().all(|d| d.year() == 2026));
        // Every third day counted from 1 January 1990.
        let first = got.starts[0].date();
        assert_eq!(date(1990, 1, 1).until(first).unwrap().get_days() % 3, 0);
    }

    #[test]
    fn absurd_rules_end_quickly() {
        for text in [
            "FREQ=DAILY;COUNT=99999999999999999999",
            "FREQ=YEARLY;INTERVAL=9223372036854775807",
            "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2",
            "FREQ=DAILY;INTERVAL=1;UNTIL=99991231",
            "FREQ=WEEKLY;INTERVAL=1000000000000",
        ] {
            let rule = parse(text).unwrap();
            let got = expand(
                &rule,
                datetime(2026, 1, 5, 19, 0, 0, 0),
                None,
                long_ago(),
                datetime(9998, 1, 1, 0, 0, 0, 0),
            );
            assert!(got.starts.len() <= MAX_OCCURRENCES, "{text}");
        }
    }
}
