//! The per-field decision the server makes for every pushed field, the same for both storages.

use serde_json::Value;
use wijkwerk_protocol::{Hlc, StampedValue};

/// A field as the server holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldState {
    pub value: Value,
    pub hlc: Hlc,
}

/// What to do with one pushed field.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Store the incoming value. `lost` is the overwritten value when the writer had not seen it
    /// (a concurrent edit): it goes to the conflict log.
    Take { lost: Option<FieldState> },
    /// Keep the current value. `lost` is the incoming value when it differs (it goes to the
    /// conflict log).
    Keep { lost: Option<FieldState> },
    /// The very same write again: nothing to do.
    Same,
}

pub fn decide(current: Option<&FieldState>, incoming: &StampedValue) -> Decision {
    let Some(current) = current else {
        return Decision::Take { lost: None };
    };
    if incoming.hlc == current.hlc {
        return Decision::Same;
    }
    if incoming.hlc > current.hlc {
        // An edit made on top of the current value overwrites it; an edit made without having
        // seen it (another base, or none) overwrites a concurrent edit: keep that one in the log.
        let concurrent = incoming.base != Some(current.hlc) && current.value != incoming.value;
        Decision::Take {
            lost: concurrent.then(|| current.clone()),
        }
    } else {
        let differs = current.value != incoming.value;
        Decision::Keep {
            lost: differs.then(|| FieldState {
                value: incoming.value.clone(),
                hlc: incoming.hlc,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wijkwerk_protocol::NodeId;

    fn at(ms: u64) -> Hlc {
        Hlc::new(ms, 0, NodeId(1))
    }
    fn state(v: &str, ms: u64) -> FieldState {
        FieldState {
            value: json!(v),
            hlc: at(ms),
        }
    }
    fn write(v: &str, ms: u64, base: Option<u64>) -> StampedValue {
        StampedValue {
            value: json!(v),
            hlc: at(ms),
            base: base.map(at),
        }
    }

    #[test]
    fn an_edit_on_top_of_the_current_value_is_no_conflict() {
        assert_eq!(
            decide(Some(&state("a", 1)), &write("b", 2, Some(1))),
            Decision::Take { lost: None }
        );
    }

    #[test]
    fn a_newer_edit_that_did_not_see_the_current_value_logs_it() {
        assert_eq!(
            decide(Some(&state("a", 2)), &write("b", 3, Some(1))),
            Decision::Take {
                lost: Some(state("a", 2))
            }
        );
    }

    #[test]
    fn an_older_edit_loses_and_is_logged() {
        assert_eq!(
            decide(Some(&state("a", 5)), &write("b", 3, Some(1))),
            Decision::Keep {
                lost: Some(state("b", 3))
            }
        );
        assert_eq!(
            decide(Some(&state("a", 5)), &write("a", 3, None)),
            Decision::Keep { lost: None }
        );
    }

    #[test]
    fn a_retried_write_is_the_same() {
        assert_eq!(
            decide(Some(&state("a", 5)), &write("a", 5, None)),
            Decision::Same
        );
    }
}
