//! Dates in Dutch words, as the documents, the server's pages and the demo write them.

use jiff::civil::Date;

/// The months, January first.
pub const MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

/// The month of a date: `maart`.
pub fn month_name(date: Date) -> &'static str {
    usize::try_from(date.month() - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("")
}

/// `1 maart 2027`.
pub fn long_date(date: Date) -> String {
    format!("{} {} {}", date.day(), month_name(date), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_in_dutch_words() {
        let date = Date::new(2027, 3, 1).unwrap();
        assert_eq!(long_date(date), "1 maart 2027");
        assert_eq!(month_name(Date::new(2026, 12, 31).unwrap()), "december");
    }
}
