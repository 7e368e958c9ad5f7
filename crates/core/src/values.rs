//! Field values: checking and normalising what callers give, and moving values between JSON and
//! SQLite.
//!
//! Normal forms (what the store holds and the export shows):
//! - text is trimmed; empty optional text becomes `null`;
//! - a date is `YYYY-MM-DD`; an instant is UTC `YYYY-MM-DDTHH:MM:SSZ`; a time of day is `HH:MM`;
//! - an instant given without an offset is read in the record's time zone;
//! - a list of ids is a JSON array of distinct ids in the order given.

use crate::error::Invalid;
use crate::schema::{FieldKind, LONG_TEXT_MAX, SHORT_MAX};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::Value;
use uuid::Uuid;

/// Checks and normalises one value for a field. `zone` is the record's time zone, used to read
/// instants written without an offset. `null` is returned unchanged (required-ness is checked by
/// the caller).
pub fn normalise(kind: FieldKind, value: &Value, zone: Option<&str>) -> Result<Value, Invalid> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match kind {
        FieldKind::Text(max) => text(value, max),
        FieldKind::LongText => {
            let s = as_str(value)?;
            check_len(s, LONG_TEXT_MAX)?;
            // Long text keeps its inner layout; only trailing whitespace goes.
            let s = s.trim_end();
            Ok(if s.trim().is_empty() {
                Value::Null
            } else {
                Value::String(s.to_owned())
            })
        }
        FieldKind::Int(min, max) => {
            let n = value.as_i64().ok_or(Invalid::WrongType {
                expected: "a whole number",
            })?;
            if n < min || n > max {
                return Err(Invalid::OutOfRange { min, max });
            }
            Ok(Value::from(n))
        }
        FieldKind::Date => {
            let s = as_str(value)?.trim();
            let date: Date = s
                .parse()
                .map_err(|e| Invalid::Date(format!("{s:?}: {e}")))?;
            if s.len() != 10 {
                return Err(Invalid::Date(format!("{s:?}: expected YYYY-MM-DD")));
            }
            Ok(Value::String(date.to_string()))
        }
        FieldKind::Instant => {
            let s = as_str(value)?.trim();
            Ok(Value::String(instant(s, zone)?.to_string()))
        }
        FieldKind::LocalTime => {
            let s = as_str(value)?.trim();
            let time: Time = s
                .parse()
                .map_err(|e| Invalid::LocalTime(format!("{s:?}: {e}")))?;
            Ok(Value::String(format!(
                "{:02}:{:02}",
                time.hour(),
                time.minute()
            )))
        }
        FieldKind::TimeZone => {
            let s = as_str(value)?.trim();
            TimeZone::get(s).map_err(|_| Invalid::TimeZone(s.to_owned()))?;
            Ok(Value::String(s.to_owned()))
        }
        FieldKind::Enum(allowed) => {
            let s = as_str(value)?.trim();
            if allowed.contains(&s) {
                Ok(Value::String(s.to_owned()))
            } else {
                Err(Invalid::NotAllowed {
                    allowed: allowed.join(", "),
                    got: s.chars().take(80).collect(),
                })
            }
        }
        FieldKind::Ref(_) => Ok(Value::String(uuid(value)?.to_string())),
        FieldKind::RefList(_) => {
            let items = value.as_array().ok_or(Invalid::WrongType {
                expected: "a list of ids",
            })?;
            if items.len() > 1000 {
                return Err(Invalid::TooLong {
                    len: items.len(),
                    max: 1000,
                });
            }
            let mut ids: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                let id = Value::String(uuid(item)?.to_string());
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Ok(Value::Array(ids))
        }
        FieldKind::Email => {
            let s = as_str(value)?.trim();
            if s.is_empty() {
                return Ok(Value::Null);
            }
            check_len(s, 254)?;
            let valid = match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
                        && !domain.contains('@')
                }
                None => false,
            };
            if valid {
                Ok(Value::String(s.to_owned()))
            } else {
                Err(Invalid::Email(s.chars().take(80).collect()))
            }
        }
        FieldKind::Money { signed } => {
            let cents = match value {
                Value::Number(n) => n.as_i64().ok_or(Invalid::WrongType {
                    expected: "whole cents, or euros as text (\"1.234,56\")",
                })?,
                Value::String(s) if s.trim().is_empty() => return Ok(Value::Null),
                Value::String(s) => crate::money::parse_euros(s, signed)?,
                _ => {
                    return Err(Invalid::WrongType {
                        expected: "whole cents, or euros as text (\"1.234,56\")",
                    })
                }
            };
            if cents < 0 && !signed {
                return Err(Invalid::Negative);
            }
            if cents.abs() > crate::money::MAX_CENTS {
                return Err(Invalid::OutOfRange {
                    min: if signed { -crate::money::MAX_CENTS } else { 0 },
                    max: crate::money::MAX_CENTS,
                });
            }
            Ok(Value::from(cents))
        }
        FieldKind::Phone => {
            let s = as_str(value)?.trim();
            if s.is_empty() {
                return Ok(Value::Null);
            }
            check_len(s, SHORT_MAX)?;
            let single = text(&Value::String(s.to_owned()), SHORT_MAX)?;
            Ok(crate::normal_form::phone(s).map_or(single, Value::String))
        }
        FieldKind::Postcode => {
            let s = as_str(value)?.trim();
            if s.is_empty() {
                return Ok(Value::Null);
            }
            check_len(s, 12)?;
            let single = text(&Value::String(s.to_owned()), 12)?;
            Ok(crate::normal_form::postcode(s).map_or(single, Value::String))
        }
        FieldKind::CbsCode => {
            let s = as_str(value)?.trim();
            if s.is_empty() {
                return Ok(Value::Null);
            }
            let digits =
                |rest: &str, n: usize| rest.len() == n && rest.bytes().all(|b| b.is_ascii_digit());
            let upper = s.to_ascii_uppercase();
            let valid = match upper.get(..2) {
                Some("GM") => digits(&upper[2..], 4),
                Some("WK") => digits(&upper[2..], 6),
                Some("BU") => digits(&upper[2..], 8),
                _ => false,
            };
            if valid {
                Ok(Value::String(upper))
            } else {
                Err(Invalid::CbsCode(s.chars().take(20).collect()))
            }
        }
    }
}

fn as_str(value: &Value) -> Result<&str, Invalid> {
    value
        .as_str()
        .ok_or(Invalid::WrongType { expected: "text" })
}

fn check_len(s: &str, max: usize) -> Result<(), Invalid> {
    let len = s.chars().count();
    if len > max {
        Err(Invalid::TooLong { len, max })
    } else {
        Ok(())
    }
}

fn text(value: &Value, max: usize) -> Result<Value, Invalid> {
    let s = as_str(value)?.trim();
    if s.contains(['\n', '\r']) {
        return Err(Invalid::Rule("must be a single line".into()));
    }
    check_len(s, max)?;
    Ok(if s.is_empty() {
        Value::Null
    } else {
        Value::String(s.to_owned())
    })
}

fn uuid(value: &Value) -> Result<Uuid, Invalid> {
    let s = value.as_str().ok_or(Invalid::WrongType {
        expected: "an id (UUID)",
    })?;
    Uuid::parse_str(s.trim()).map_err(|_| Invalid::WrongType {
        expected: "an id (UUID)",
    })
}

/// Reads an instant: with an offset or `Z` it is exact; without one it is read in `zone`
/// (Europe/Amsterdam if none). A wall time that does not exist (the hour skipped when summer time
/// starts) is refused rather than guessed.
pub fn instant(s: &str, zone: Option<&str>) -> Result<Timestamp, Invalid> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    let local: DateTime = s
        .parse()
        .map_err(|e| Invalid::Instant(format!("{s:?}: {e}")))?;
    let zone_name = zone.unwrap_or(crate::DEFAULT_TIME_ZONE);
    let tz = TimeZone::get(zone_name).map_err(|_| Invalid::TimeZone(zone_name.to_owned()))?;
    let zoned = local
        .to_zoned(tz)
        .map_err(|e| Invalid::Instant(format!("{s:?} in {zone_name}: {e}")))?;
    // A wall time in the spring-forward gap would silently move; refuse it.
    if zoned.datetime() != local {
        return Err(Invalid::Instant(format!(
            "{s:?} does not exist in {zone_name} (the clocks skip that hour)"
        )));
    }
    Ok(zoned.timestamp())
}

/// The SQLite value for a normalised JSON value.
pub(crate) fn to_sql(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        Value::Array(_) | Value::Object(_) => SqlValue::Text(value.to_string()),
    }
}

/// The JSON value for a stored SQLite value of a field.
pub(crate) fn from_sql(kind: FieldKind, value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ValueRef::Text(bytes) => {
            let s = String::from_utf8_lossy(bytes);
            if matches!(kind, FieldKind::RefList(_)) {
                serde_json::from_str(&s).unwrap_or(Value::Null)
            } else {
                Value::String(s.into_owned())
            }
        }
        ValueRef::Blob(_) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_that_do_not_exist_are_refused() {
        assert!(normalise(FieldKind::Date, &json!("2026-02-31"), None).is_err());
        assert!(normalise(FieldKind::Date, &json!("2026-13-01"), None).is_err());
        assert_eq!(
            normalise(FieldKind::Date, &json!("2028-02-29"), None),
            Ok(json!("2028-02-29"))
        );
    }

    #[test]
    fn local_instants_are_read_in_the_record_zone() {
        // 19:30 in Amsterdam in winter is 18:30 UTC; in summer 17:30 UTC.
        let winter = normalise(
            FieldKind::Instant,
            &json!("2026-01-15T19:30"),
            Some("Europe/Amsterdam"),
        );
        assert_eq!(winter, Ok(json!("2026-01-15T18:30:00Z")));
        let summer = normalise(
            FieldKind::Instant,
            &json!("2026-07-15T19:30"),
            Some("Europe/Amsterdam"),
        );
        assert_eq!(summer, Ok(json!("2026-07-15T17:30:00Z")));
        let offset = normalise(
            FieldKind::Instant,
            &json!("2026-07-15T19:30:00+02:00"),
            None,
        );
        assert_eq!(offset, Ok(json!("2026-07-15T17:30:00Z")));
    }

    #[test]
    fn the_skipped_hour_of_summer_time_is_refused() {
        let gap = normalise(
            FieldKind::Instant,
            &json!("2026-03-29T02:30"),
            Some("Europe/Amsterdam"),
        );
        assert!(matches!(gap, Err(Invalid::Instant(_))), "{gap:?}");
    }

    #[test]
    fn diacritics_and_length_in_text() {
        assert_eq!(
            normalise(FieldKind::Text(20), &json!("  Café de Coöperatie "), None),
            Ok(json!("Café de Coöperatie"))
        );
        assert!(matches!(
            normalise(FieldKind::Text(5), &json!("abcdef"), None),
            Err(Invalid::TooLong { len: 6, max: 5 })
        ));
    }

    #[test]
    fn cbs_codes_and_emails() {
        assert_eq!(
            normalise(FieldKind::CbsCode, &json!("wk037300"), None),
            Ok(json!("WK037300"))
        );
        assert!(normalise(FieldKind::CbsCode, &json!("WK0373"), None).is_err());
        assert!(normalise(FieldKind::Email, &json!("a@b"), None).is_err());
        assert_eq!(
            normalise(FieldKind::Email, &json!("a@b.nl"), None),
            Ok(json!("a@b.nl"))
        );
    }
}
