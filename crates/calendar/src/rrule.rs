//! Expanding the recurrence rules of recurring invitations (RFC 5545, 3.3.10).
//!
//! Written here instead of using the `rrule` crate: that crate brings chrono and chrono-tz (a
//! second time-zone database next to jiff's, which would have to agree with it), while the
//! invitations of associations use a handful of forms — every week or every other week on a
//! weekday, the nth weekday of the month, a day of the month, yearly, daily — with COUNT, UNTIL,
//! INTERVAL and EXDATE. Those are expanded here in local wall-clock time, so that a meeting at
//! 19:30 stays at 19:30 when summer time starts or ends. Rules outside that set (BYSETPOS,
//! BYWEEKNO, BYYEARDAY, BYHOUR and finer, FREQ=HOURLY and finer) are refused with a reason
//! rather than expanded wrongly.

use jiff::civil::{Date, DateTime, Weekday};
use jiff::ToSpan;

/// At most this many occurrences are made from one rule.
pub const MAX_OCCURRENCES: usize = 520;

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
    pub week_start: Weekday,
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
        week_start: Weekday::Monday,
    };
    for part in value.trim().split(';').filter(|p| !p.is_empty()) {
        let (key, val) = part
            .split_once('=')
            .ok_or_else(|| format!("RRULE part {part:?} has no '='"))?;
        let key = key.trim().to_ascii_uppercase();
        let val = val.trim();
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
            "INTERVAL" => {
                rule.interval = val
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| format!("RRULE INTERVAL={val} is not a number from 1"))?
            }
            "COUNT" => {
                rule.count = Some(
                    val.parse::<usize>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| format!("RRULE COUNT={val} is not a number from 1"))?,
                )
            }
            "UNTIL" => rule.until_text = Some(val.to_owned()),
            "BYDAY" => {
                for item in val.split(',') {
                    rule.by_day.push(by_day(item.trim())?);
                }
            }
            "BYMONTHDAY" => {
                for item in val.split(',') {
                    let n = item
                        .trim()
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
                for item in val.split(',') {
                    let n = item
                        .trim()
                        .parse::<i8>()
                        .ok()
                        .filter(|n| (1..=12).contains(n))
                        .ok_or_else(|| format!("RRULE BYMONTH={item} is not a month"))?;
                    rule.by_month.push(n);
                }
            }
            "WKST" => rule.week_start = weekday(val)?,
            "BYSETPOS" | "BYWEEKNO" | "BYYEARDAY" | "BYHOUR" | "BYMINUTE" | "BYSECOND"
            | "RSCALE" | "SKIP" => return Err(format!("RRULE {key} is not supported")),
            other if other.starts_with("X-") => {}
            other => return Err(format!("RRULE {other} is not a rule part")),
        }
    }
    rule.freq = freq.ok_or("RRULE has no FREQ")?;
    if rule.count.is_some() && rule.until_text.is_some() {
        return Err("RRULE has both COUNT and UNTIL".into());
    }
    if rule.freq == Freq::Weekly && rule.by_day.iter().any(|(n, _)| n.is_some()) {
        return Err("RRULE FREQ=WEEKLY cannot have numbered BYDAY".into());
    }
    Ok(rule)
}

fn weekday(text: &str) -> Result<Weekday, String> {
    Ok(match text.to_ascii_uppercase().as_str() {
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

/// The start of each occurrence, in local time, in order: DTSTART first, then the rule's dates
/// after it, up to COUNT, `until` and `horizon` (the first of them), at most
/// [`MAX_OCCURRENCES`].
pub fn expand(
    rule: &Rule,
    start: DateTime,
    until: Option<Until>,
    horizon: DateTime,
) -> Vec<DateTime> {
    let mut out = vec![start];
    let time = start.time();
    let first = start.date();
    let limit = rule.count.unwrap_or(MAX_OCCURRENCES).min(MAX_OCCURRENCES);
    let within = |d: Date| -> bool {
        let at = d.to_datetime(time);
        let before_until = match until {
            Some(Until::At(u)) => at <= u,
            Some(Until::Date(u)) => d <= u,
            None => true,
        };
        before_until && at <= horizon
    };
    let mut period = 0i64;
    // Enough periods for the horizon even with filters that match rarely.
    while out.len() < limit && period < 5_000 {
        let candidates = period_dates(rule, first, period);
        let Some(candidates) = candidates else { break };
        let mut past_end = false;
        for d in candidates {
            if d <= first {
                continue;
            }
            if !within(d) {
                past_end = true;
                break;
            }
            out.push(d.to_datetime(time));
            if out.len() >= limit {
                break;
            }
        }
        if past_end {
            break;
        }
        period += rule.interval;
    }
    out
}

/// The dates of the `n`th period (day, week, month, year) after the one DTSTART lies in, in
/// order; `None` past the calendar's end.
fn period_dates(rule: &Rule, first: Date, n: i64) -> Option<Vec<Date>> {
    let month_ok = |d: &Date| rule.by_month.is_empty() || rule.by_month.contains(&d.month());
    let weekday_ok =
        |d: &Date| rule.by_day.is_empty() || rule.by_day.iter().any(|(_, w)| *w == d.weekday());
    let mut dates = match rule.freq {
        Freq::Daily => {
            let d = first.checked_add(n.days()).ok()?;
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
            let week_start = first.checked_sub(offset.days()).ok()?;
            let week = week_start.checked_add((n * 7).days()).ok()?;
            let mut out = Vec::new();
            for i in 0..7 {
                let d = week.checked_add(i.days()).ok()?;
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
            let month_start = first.first_of_month().checked_add(n.months()).ok()?;
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

    #[test]
    fn every_other_tuesday_with_count() {
        let rule = parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=4").unwrap();
        let got = expand(&rule, datetime(2026, 3, 17, 19, 30, 0, 0), None, far());
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
            far(),
        );
        let dates: Vec<String> = got.iter().map(|d| d.date().to_string()).collect();
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
        let rule = parse("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3").unwrap();
        let got = expand(&rule, datetime(2026, 1, 30, 16, 0, 0, 0), None, far());
        assert_eq!(got[1].date(), date(2026, 2, 27));
        assert_eq!(got[2].date(), date(2026, 3, 27));
        let rule = parse("FREQ=MONTHLY;COUNT=3").unwrap();
        let got = expand(&rule, datetime(2026, 1, 31, 16, 0, 0, 0), None, far());
        assert_eq!(got[1].date(), date(2026, 3, 31), "February has no 31st");
    }

    #[test]
    fn unsupported_parts_are_refused() {
        assert!(parse("FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1").is_err());
        assert!(parse("FREQ=HOURLY").is_err());
        assert!(parse("BYDAY=MO").is_err());
        assert!(parse("FREQ=WEEKLY;COUNT=2;UNTIL=20260101").is_err());
    }

    #[test]
    fn an_endless_rule_stops_at_the_horizon() {
        let rule = parse("FREQ=WEEKLY").unwrap();
        let got = expand(
            &rule,
            datetime(2026, 1, 5, 19, 0, 0, 0),
            None,
            datetime(2026, 3, 1, 0, 0, 0, 0),
        );
        assert_eq!(got.len(), 8);
    }
}
