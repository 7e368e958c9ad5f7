//! Dutch public holidays, computed for any year (Gregorian calendar).
//!
//! The official holidays (Algemene termijnenwet and the collective agreements that follow it):
//! Nieuwjaarsdag, Goede Vrijdag, Eerste en Tweede Paasdag, Koningsdag (27 April, or 26 April when
//! the 27th is a Sunday), Bevrijdingsdag (5 May, every year here: the planner avoids it even in
//! the years it is not a day off), Hemelvaartsdag, Eerste en Tweede Pinksterdag, Eerste en Tweede
//! Kerstdag. Easter is computed with the anonymous Gregorian algorithm (Meeus/Jones/Butcher).

use jiff::civil::{Date, Weekday};
use jiff::ToSpan;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PublicHoliday {
    #[ts(type = "string")]
    pub date: Date,
    /// The Dutch name: `Tweede Paasdag`.
    pub name: &'static str,
}

/// Easter Sunday of a year (1583 and later).
pub fn easter(year: i16) -> Option<Date> {
    let y = i32::from(year);
    if y < 1583 {
        return None;
    }
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// The Dutch public holidays of a year, in date order.
pub fn public_holidays(year: i16) -> Vec<PublicHoliday> {
    let mut out = Vec::with_capacity(11);
    let mut push = |date: Option<Date>, name| {
        if let Some(date) = date {
            out.push(PublicHoliday { date, name });
        }
    };
    let fixed = |m: i8, d: i8| Date::new(year, m, d).ok();
    let easter = easter(year);
    let from_easter = |days: i64| easter.and_then(|e| e.checked_add(days.days()).ok());
    push(fixed(1, 1), "Nieuwjaarsdag");
    push(from_easter(-2), "Goede Vrijdag");
    push(easter, "Eerste Paasdag");
    push(from_easter(1), "Tweede Paasdag");
    let kings_day = fixed(4, 27).map(|d| {
        if d.weekday() == Weekday::Sunday {
            Date::constant(year, 4, 26)
        } else {
            d
        }
    });
    push(kings_day, "Koningsdag");
    push(fixed(5, 5), "Bevrijdingsdag");
    push(from_easter(39), "Hemelvaartsdag");
    push(from_easter(49), "Eerste Pinksterdag");
    push(from_easter(50), "Tweede Pinksterdag");
    push(fixed(12, 25), "Eerste Kerstdag");
    push(fixed(12, 26), "Tweede Kerstdag");
    out.sort_by_key(|h| h.date);
    out
}

/// The public holiday on a day, if any.
pub fn public_holiday_on(date: Date) -> Option<PublicHoliday> {
    public_holidays(date.year())
        .into_iter()
        .find(|h| h.date == date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn easter_dates() {
        for (y, m, d) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter(y), Some(date(y, m, d)), "{y}");
        }
    }

    #[test]
    fn holidays_of_2026() {
        let days: Vec<(String, &str)> = public_holidays(2026)
            .into_iter()
            .map(|h| (h.date.to_string(), h.name))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-01-01", "Nieuwjaarsdag"),
                ("2026-04-03", "Goede Vrijdag"),
                ("2026-04-05", "Eerste Paasdag"),
                ("2026-04-06", "Tweede Paasdag"),
                ("2026-04-27", "Koningsdag"),
                ("2026-05-05", "Bevrijdingsdag"),
                ("2026-05-14", "Hemelvaartsdag"),
                ("2026-05-24", "Eerste Pinksterdag"),
                ("2026-05-25", "Tweede Pinksterdag"),
                ("2026-12-25", "Eerste Kerstdag"),
                ("2026-12-26", "Tweede Kerstdag"),
            ]
            .map(|(d, n)| (d.to_owned(), n))
        );
    }

    #[test]
    fn kings_day_moves_to_saturday_when_the_27th_is_a_sunday() {
        // 27 April 2025 and 2031 are Sundays.
        for year in [2025, 2031] {
            assert!(public_holiday_on(date(year, 4, 26)).is_some_and(|h| h.name == "Koningsdag"));
            assert!(public_holiday_on(date(year, 4, 27)).is_none_or(|h| h.name != "Koningsdag"));
        }
    }
}
