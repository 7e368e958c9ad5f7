//! Normal forms of what people type about people: Dutch phone numbers, postcodes, names, and
//! the folded keys duplicates are found by.
//!
//! - A Dutch phone number is written `06-12345678` (mobile), `020-1234567` (a two-digit area
//!   code), `0226-123456` (a three-digit one), `0800-1234`; `+31 6 1234 5678`, `0031612345678`,
//!   `(072) 512 34 56` and Excel's `612345678` (the leading zero lost to a number cell) are the
//!   same numbers. A foreign number is `+32 12345678` without spaces: `+3212345678`.
//! - A postcode is `1234 AB`.
//! - Text that is none of these is not a number or postcode: [`phone`] and [`postcode`] say so
//!   (`None`), and the caller decides (the write path keeps it as typed, the import warns).

use unicode_normalization::UnicodeNormalization;

/// Two-digit area codes (with their 0): the rest of the geographic codes have three digits.
const SHORT_AREA_CODES: [&str; 30] = [
    "010", "013", "015", "020", "023", "024", "026", "030", "033", "035", "036", "038", "040",
    "043", "045", "046", "050", "053", "055", "058", "070", "071", "072", "073", "074", "075",
    "076", "077", "078", "079",
];
/// Non-geographic numbers written like a two-digit area code (`088-1234567`).
const SHORT_SERVICE_CODES: [&str; 6] = ["084", "085", "087", "088", "091", "097"];

/// A phone number in its normal form, or None when it is not one.
pub fn phone(input: &str) -> Option<String> {
    let mut s: String = input.trim().replace("(0)", "");
    if let Some(rest) = s.strip_prefix("tel:") {
        s = rest.to_owned();
    }
    let plus = s.starts_with('+');
    if s.matches('+').count() > usize::from(plus) {
        return None;
    }
    let allowed = |c: char| {
        c.is_ascii_digit()
            || matches!(c, ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}')
            || (c == '+' && plus)
    };
    if !s.chars().all(allowed) {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let international = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    let national = match international {
        Some(rest) => match rest.strip_prefix("31") {
            Some(dutch) => format!("0{dutch}"),
            None if (7..=15).contains(&rest.len()) && !rest.starts_with('0') => {
                return Some(format!("+{rest}"))
            }
            None => return None,
        },
        None if digits.len() == 9 && digits.starts_with('6') => format!("0{digits}"),
        None => digits,
    };
    dutch(&national)
}

fn dutch(n: &str) -> Option<String> {
    if !n.starts_with('0') || n.starts_with("00") {
        return None;
    }
    if (n.starts_with("0800")
        || n.starts_with("0900")
        || n.starts_with("0906")
        || n.starts_with("0909"))
        && (n.len() == 8 || n.len() == 11)
    {
        return Some(format!("{}-{}", &n[..4], &n[4..]));
    }
    if n.len() != 10 {
        return None;
    }
    let area = if n.starts_with("06") {
        2
    } else if SHORT_AREA_CODES.contains(&&n[..3]) || SHORT_SERVICE_CODES.contains(&&n[..3]) {
        3
    } else {
        4
    };
    Some(format!("{}-{}", &n[..area], &n[area..]))
}

/// What two phone numbers are compared by: the normal form, else the digits.
pub fn phone_key(input: &str) -> String {
    phone(input).unwrap_or_else(|| input.chars().filter(char::is_ascii_digit).collect())
}

/// A Dutch postcode as `1234 AB`, or None when it is not one.
pub fn postcode(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    let b = s.as_bytes();
    let valid = b.len() == 6
        && (b'1'..=b'9').contains(&b[0])
        && b[1..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_uppercase);
    valid.then(|| format!("{} {}", &s[..4], &s[4..]))
}

/// A name trimmed, with its inner runs of spaces made one.
pub fn name(input: &str) -> String {
    input.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text folded for comparing: compatibility-decomposed (`ĳ` is `ij`), marks dropped (`ö` is
/// `o`), lower case, punctuation as space, runs of spaces as one.
pub fn fold(input: &str) -> String {
    // Most names are plain ASCII: the same result without decomposing (a store of 100,000
    // contacts is folded for every import's duplicate check).
    if input.is_ascii() {
        let mut out = String::with_capacity(input.len());
        for word in input
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        }
        return out;
    }
    let folded: String = input
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    name(&folded)
}

/// What near names share: the first letter of the first name and the rest folded (`Jan de
/// Vries` and `J. de Vries` are `j|de vries`). None for a name of one word.
pub fn near_name_key(input: &str) -> Option<(String, String)> {
    near_name_key_of_folded(&fold(input))
}

/// [`near_name_key`] of a name already folded.
pub fn near_name_key_of_folded(folded: &str) -> Option<(String, String)> {
    let (first, rest) = folded.split_once(' ')?;
    let initial = first.chars().next()?;
    Some((format!("{initial}|{rest}"), first.to_owned()))
}

/// Whether two first names (folded) can be one person's: equal, or one is the other's initial.
pub fn first_names_agree(a: &str, b: &str) -> bool {
    a == b
        || (a.chars().count() == 1 && b.starts_with(a))
        || (b.chars().count() == 1 && a.starts_with(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_names_fold_as_every_name_does() {
        for name in [
            "Jan de Vries",
            "  J. de  Vries-Bakker ",
            "o'Neill",
            "A.B.",
            "",
            "--",
            "X1 y2",
        ] {
            let slow: String = name
                .nfkd()
                .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .map(|c| if c.is_alphanumeric() { c } else { ' ' })
                .collect();
            assert_eq!(fold(name), super::name(&slow), "{name:?}");
        }
        assert_eq!(fold("Joëlle Ĳsselstein"), "joelle ijsselstein");
    }

    #[test]
    fn one_mobile_number_in_every_notation() {
        for typed in [
            "06-12345678",
            "06 1234 5678",
            "+31 6 1234 5678",
            "+31 (0)6 12345678",
            "0031612345678",
            "612345678",
            "tel:+31612345678",
        ] {
            assert_eq!(phone(typed).as_deref(), Some("06-12345678"), "{typed}");
        }
    }

    #[test]
    fn landlines_service_and_foreign_numbers() {
        assert_eq!(phone("(072) 512 34 56").as_deref(), Some("072-5123456"));
        assert_eq!(phone("020 123 4567").as_deref(), Some("020-1234567"));
        assert_eq!(phone("0226123456").as_deref(), Some("0226-123456"));
        assert_eq!(phone("088 123 45 67").as_deref(), Some("088-1234567"));
        assert_eq!(phone("0800-1234").as_deref(), Some("0800-1234"));
        assert_eq!(phone("+32 2 123 45 67").as_deref(), Some("+3221234567"));
        for not_a_number in ["1", "072-1", "bel Piet", "06-123", "", "++31612345678"] {
            assert_eq!(phone(not_a_number), None, "{not_a_number}");
        }
    }

    #[test]
    fn postcodes() {
        assert_eq!(postcode("1861ab").as_deref(), Some("1861 AB"));
        assert_eq!(postcode(" 1861 - AB ").as_deref(), Some("1861 AB"));
        assert_eq!(postcode("0861 AB"), None);
        assert_eq!(postcode("B-1000"), None);
    }

    #[test]
    fn folding_and_near_names() {
        assert_eq!(fold("  Ĳsselstein  Coöperatie "), "ijsselstein cooperatie");
        assert_eq!(
            near_name_key("J. de Vries"),
            near_name_key("Jan de Vries").map(|(k, _)| (k, "j".into()))
        );
        assert!(first_names_agree("j", "jan"));
        assert!(!first_names_agree("joke", "jan"));
    }

    fn mobile_digits() -> impl Strategy<Value = String> {
        "[0-9]{8}".prop_map(|d| d)
    }

    proptest! {
        /// However a mobile number is written, it has one normal form, and that form is its own
        /// normal form.
        #[test]
        fn every_notation_of_a_mobile_number_has_one_form(d in mobile_digits(), style in 0..6usize) {
            let typed = match style {
                0 => format!("06{d}"),
                1 => format!("06-{d}"),
                2 => format!("+31 6 {} {}", &d[..4], &d[4..]),
                3 => format!("0031 6{d}"),
                4 => format!("6{d}"),
                _ => format!("(06) {}.{}", &d[..4], &d[4..]),
            };
            let normal = phone(&typed);
            prop_assert_eq!(normal.clone(), Some(format!("06-{d}")));
            prop_assert_eq!(phone(&normal.unwrap_or_default()), Some(format!("06-{d}")));
        }

        /// A postcode's normal form is stable, and whatever is typed either is a postcode or
        /// is not (never a panic).
        #[test]
        fn postcode_forms_are_stable(n in 1000u32..10000, a in "[a-zA-Z]{2}", space in 0..3usize) {
            let typed = format!("{n}{}{a}", " ".repeat(space));
            let normal = postcode(&typed).unwrap();
            prop_assert_eq!(postcode(&normal), Some(normal.clone()));
            prop_assert_eq!(normal, format!("{n} {}", a.to_ascii_uppercase()));
        }

        #[test]
        fn normal_forms_never_panic(s in "\\PC{0,30}") {
            let _ = phone(&s);
            let _ = postcode(&s);
            let _ = near_name_key(&s);
        }
    }
}
