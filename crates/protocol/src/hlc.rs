//! Hybrid logical clocks: physical milliseconds, a logical counter, and the node that made them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The node (store) that made a clock reading; breaks ties between equal wall/counter pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u64);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A hybrid logical clock reading. Ordered by wall time, then counter, then node.
///
/// The text form is `WWWWWWWWWWWW-CCCCCC-NNNNNNNNNNNNNNNN` in lower-case hexadecimal with fixed
/// widths, so that comparing two texts gives the same answer as comparing the clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (48 bits are used in the text form).
    pub wall_ms: u64,
    /// Logical counter for events within one millisecond.
    pub counter: u32,
    pub node: NodeId,
}

/// The largest wall time the text form can hold (year 10889).
pub const MAX_WALL_MS: u64 = (1 << 48) - 1;
/// The largest counter the text form can hold.
pub const MAX_COUNTER: u32 = (1 << 24) - 1;

impl Hlc {
    pub const fn new(wall_ms: u64, counter: u32, node: NodeId) -> Self {
        Hlc {
            wall_ms,
            counter,
            node,
        }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:012x}-{:06x}-{:016x}",
            self.wall_ms.min(MAX_WALL_MS),
            self.counter.min(MAX_COUNTER),
            self.node.0
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a clock reading: {0:?} (expected WWWWWWWWWWWW-CCCCCC-NNNNNNNNNNNNNNNN in hexadecimal)"
)]
pub struct HlcParseError(pub String);

impl FromStr for Hlc {
    type Err = HlcParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || HlcParseError(s.chars().take(64).collect());
        let mut parts = s.split('-');
        let (Some(w), Some(c), Some(n), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err());
        };
        if w.len() != 12 || c.len() != 6 || n.len() != 16 {
            return Err(err());
        }
        let hex = |t: &str| {
            t.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if !(hex(w) && hex(c) && hex(n)) {
            return Err(err());
        }
        Ok(Hlc {
            wall_ms: u64::from_str_radix(w, 16).map_err(|_| err())?,
            counter: u32::from_str_radix(c, 16).map_err(|_| err())?,
            node: NodeId(u64::from_str_radix(n, 16).map_err(|_| err())?),
        })
    }
}

impl Serialize for Hlc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_form_round_trips() {
        let hlc = Hlc::new(1_764_000_000_000, 7, NodeId(0xdead_beef));
        let text = hlc.to_string();
        assert_eq!(text, "019ab697e800-000007-00000000deadbeef");
        assert_eq!(text.parse::<Hlc>(), Ok(hlc));
    }

    #[test]
    fn malformed_text_is_refused() {
        for bad in [
            "",
            "019ab4d2a800-000007",
            "019ab4d2a800-00000g-00000000deadbeef",
            "x-y-z",
        ] {
            assert!(bad.parse::<Hlc>().is_err(), "{bad:?} was accepted");
        }
    }

    proptest! {
        #[test]
        fn text_order_is_clock_order(
            a in (0..MAX_WALL_MS, 0..MAX_COUNTER, any::<u64>()),
            b in (0..MAX_WALL_MS, 0..MAX_COUNTER, any::<u64>()),
        ) {
            let a = Hlc::new(a.0, a.1, NodeId(a.2));
            let b = Hlc::new(b.0, b.1, NodeId(b.2));
            prop_assert_eq!(a.cmp(&b), a.to_string().cmp(&b.to_string()));
        }
    }
}
