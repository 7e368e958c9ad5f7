//! Money: whole cents in the store, euros in Dutch form on screen and paper.
//!
//! Amounts are `i64` cents everywhere (never floating point): sums of payments are exact, and
//! the werkkapitaal's parts add up to its total to the cent. People type amounts as they write
//! them: `1234,56`, `1.234,56`, `€ 1.234,56`, `1234.56`, `1234`, `-50`. The reading rule:
//!
//! - with both `.` and `,`, the one that comes last is the decimal mark and the other groups
//!   thousands (`1.234,56` and `1,234.56` are both € 1.234,56);
//! - with only `,`: it is the decimal mark (Dutch), so `12,5` is € 12,50;
//! - with only `.`: a single `.` followed by one or two digits is a decimal point (`1234.56`);
//!   otherwise the dots group thousands (`1.234` and `1.234.567` are Dutch whole euros);
//! - thousands groups must have three digits; more than two decimals is refused (no sub-cents).

use crate::error::Invalid;

/// The largest amount a field holds: ten billion euros, far beyond any municipal budget.
pub const MAX_CENTS: i64 = 1_000_000_000_000;

/// Reads an amount typed in euros. `signed` allows a leading minus.
pub fn parse_euros(text: &str, signed: bool) -> Result<i64, Invalid> {
    let shown: String = text.chars().take(40).collect();
    let bad = || Invalid::Money(shown.clone());
    let mut s: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    let mut negative = false;
    for sign in ['-', '\u{2212}'] {
        if let Some(rest) = s.strip_prefix(sign) {
            negative = true;
            s = rest.to_owned();
        }
    }
    let s = s
        .strip_prefix('€')
        .or_else(|| s.strip_prefix("EUR"))
        .unwrap_or(&s);
    let (s, negative) = match s.strip_prefix('-') {
        Some(rest) => (rest, true),
        None => (s, negative),
    };
    // "12,-" is a Dutch way to write whole euros.
    let s = s
        .strip_suffix(",-")
        .or_else(|| s.strip_suffix(",--"))
        .unwrap_or(s);
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(bad());
    }
    let last_dot = s.rfind('.');
    let last_comma = s.rfind(',');
    let decimal_at = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(d.max(c)),
        (None, Some(c)) => Some(c),
        (Some(d), None) => {
            let decimals = s.len() - d - 1;
            (s.matches('.').count() == 1 && (1..=2).contains(&decimals)).then_some(d)
        }
        (None, None) => None,
    };
    let (whole, fraction) = match decimal_at {
        Some(at) => (&s[..at], &s[at + 1..]),
        None => (s, ""),
    };
    if fraction.contains(['.', ',']) {
        return Err(bad());
    }
    if fraction.len() > 2 {
        return Err(Invalid::SubCent(shown));
    }
    if decimal_at.is_some() && fraction.is_empty() {
        return Err(bad());
    }
    let separator = match decimal_at.map(|at| &s[at..=at]) {
        Some(".") => ',',
        _ => '.',
    };
    let groups: Vec<&str> = whole.split(separator).collect();
    if whole.contains(if separator == '.' { ',' } else { '.' })
        || groups
            .first()
            .is_none_or(|g| g.is_empty() || g.len() > 3 && groups.len() > 1)
        || groups[1..].iter().any(|g| g.len() != 3)
    {
        return Err(bad());
    }
    let digits: String = groups.concat();
    let euros: i64 = digits.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let amount = euros
        .checked_mul(100)
        .and_then(|e| e.checked_add(cents))
        .filter(|a| *a <= MAX_CENTS)
        .ok_or(Invalid::OutOfRange {
            min: if signed { -MAX_CENTS / 100 } else { 0 },
            max: MAX_CENTS / 100,
        })?;
    if negative && amount != 0 {
        if !signed {
            return Err(Invalid::Negative);
        }
        return Ok(-amount);
    }
    Ok(amount)
}

/// An amount in Dutch form: `€ 1.234,56`, `-€ 12,00`.
pub fn format_euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}€ {}", format_number(cents))
}

/// An amount without the euro sign: `1.234,56`.
pub fn format_number(cents: i64) -> String {
    let abs = cents.unsigned_abs();
    format!("{},{:02}", group_thousands(abs / 100), abs % 100)
}

/// A whole number with thousands dots: `12.345`, `-1.000`.
pub fn format_integer(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(n.unsigned_abs()))
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    grouped
}

/// Divides `total` over parts in proportion to their weights, so that the parts add up to the
/// total exactly (the largest remainder method, Hamilton's): every part first gets the whole
/// cents of its exact share, then the cents left over go one each to the parts with the largest
/// fractions (ties to the earlier part). Parts with weight 0 get nothing; with no weight at all,
/// every part gets 0 and the total stays undivided.
pub fn divide_pro_rata(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if sum == 0 || total <= 0 {
        return vec![0; weights.len()];
    }
    let total = i128::from(total);
    let mut parts: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, weight) in weights.iter().enumerate() {
        let exact = total * i128::from((*weight).max(0));
        parts.push(exact / sum);
        remainders.push((exact % sum, i));
    }
    let left = total - parts.iter().sum::<i128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders.into_iter().take(left as usize) {
        parts[i] += 1;
    }
    parts.into_iter().map(|p| p as i64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn euros(text: &str) -> Result<i64, Invalid> {
        parse_euros(text, false)
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(euros("1234,56"), Ok(123_456));
        assert_eq!(euros("1.234,56"), Ok(123_456));
        assert_eq!(euros("€ 1.234,56"), Ok(123_456));
        assert_eq!(euros("€1.234,56"), Ok(123_456));
        assert_eq!(euros("1234.56"), Ok(123_456));
        assert_eq!(euros("1,234.56"), Ok(123_456));
        assert_eq!(euros("1.234"), Ok(123_400));
        assert_eq!(euros("1.234.567"), Ok(123_456_700));
        assert_eq!(euros("12,5"), Ok(1_250));
        assert_eq!(euros("12.5"), Ok(1_250));
        assert_eq!(euros("12"), Ok(1_200));
        assert_eq!(euros("12,-"), Ok(1_200));
        assert_eq!(euros(" 0,01 "), Ok(1));
        assert_eq!(euros("1 234,56"), Ok(123_456));
        assert_eq!(parse_euros("-50", true), Ok(-5_000));
        assert_eq!(parse_euros("-€ 1.000,00", true), Ok(-100_000));
        assert_eq!(parse_euros("€ -1.000", true), Ok(-100_000));
    }

    #[test]
    fn sub_cents_negatives_and_nonsense_are_refused() {
        assert_eq!(euros("12,345"), Err(Invalid::SubCent("12,345".into())));
        assert_eq!(
            euros("1.234,567"),
            Err(Invalid::SubCent("1.234,567".into()))
        );
        assert_eq!(euros("-5"), Err(Invalid::Negative));
        for nonsense in [
            "",
            "abc",
            "12,3,4",
            "1.23.4",
            "1,2.3,4",
            "12,",
            "€",
            "1e5",
            "12.34.56,7",
        ] {
            assert!(
                matches!(
                    euros(nonsense),
                    Err(Invalid::Money(_) | Invalid::SubCent(_))
                ),
                "{nonsense:?}: {:?}",
                euros(nonsense)
            );
        }
        assert!(matches!(
            euros("99999999999999"),
            Err(Invalid::OutOfRange { .. })
        ));
    }

    #[test]
    fn amounts_are_shown_in_dutch_form() {
        assert_eq!(format_euros(123_456), "€ 1.234,56");
        assert_eq!(format_euros(5), "€ 0,05");
        assert_eq!(format_euros(-100_000), "-€ 1.000,00");
        assert_eq!(format_euros(12_345_678_900), "€ 123.456.789,00");
        for cents in [0, 1, 99, 100, 123_456, 100_000_000] {
            assert_eq!(euros(&format_euros(cents)), Ok(cents));
        }
    }

    #[test]
    fn pro_rata_parts_add_up_to_the_total_to_the_cent() {
        // € 100,00 over three equal kernen: 33,34 + 33,33 + 33,33.
        assert_eq!(
            divide_pro_rata(10_000, &[1, 1, 1]),
            vec![3_334, 3_333, 3_333]
        );
        // Largest remainders get the spare cents: 10 over weights 1, 2, 3 is 1.67, 3.33, 5.
        assert_eq!(divide_pro_rata(1_000, &[1, 2, 3]), vec![167, 333, 500]);
        assert_eq!(divide_pro_rata(10_000, &[0, 5]), vec![0, 10_000]);
        assert_eq!(divide_pro_rata(10_000, &[0, 0]), vec![0, 0]);
        let weights = [5_200, 2_800, 1_900, 400, 6_300, 6_700, 5_700, 900];
        for total in [1, 7, 99_999, 12_345_678, 500_000_000] {
            let parts = divide_pro_rata(total, &weights);
            assert_eq!(parts.iter().sum::<i64>(), total);
        }
    }
}
