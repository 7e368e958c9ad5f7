//! The store's hybrid logical clock: monotonic across restarts and across a wall clock that
//! jumps back, because its last reading is persisted in the same transaction as every write.

use crate::error::Result;
use rusqlite::{Connection, OptionalExtension};
use std::time::{SystemTime, UNIX_EPOCH};
use wijkwerk_protocol::{Hlc, NodeId};

const NODE_KEY: &str = "node_id";
const LAST_KEY: &str = "clock_last";

#[derive(Debug, Clone)]
pub(crate) struct Clock {
    node: NodeId,
    last: Hlc,
    /// For tests: a wall clock to use instead of the system's.
    fixed_wall_ms: Option<u64>,
    /// For tests of skewed laptops: added to the system's clock.
    offset_ms: i64,
}

impl Clock {
    pub(crate) fn placeholder() -> Clock {
        Clock {
            node: NodeId(0),
            last: Hlc::new(0, 0, NodeId(0)),
            fixed_wall_ms: None,
            offset_ms: 0,
        }
    }

    /// Loads the node id and last reading, making a node id for a new store.
    pub(crate) fn load(conn: &Connection) -> Result<Clock> {
        let node = match conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [NODE_KEY], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
        {
            Some(text) => NodeId(u64::from_str_radix(&text, 16).map_err(|_| {
                crate::Error::StoredData(format!("node id {text:?} is not hexadecimal"))
            })?),
            None => {
                let node = NodeId(rand::random::<u64>());
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES (?1, ?2)",
                    (NODE_KEY, node.to_string()),
                )?;
                node
            }
        };
        let last = conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [LAST_KEY], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .map(|text| {
                text.parse::<Hlc>()
                    .map_err(|e| crate::Error::StoredData(e.to_string()))
            })
            .transpose()?
            .unwrap_or(Hlc::new(0, 0, node));
        Ok(Clock {
            node,
            last,
            fixed_wall_ms: None,
            offset_ms: 0,
        })
    }

    pub(crate) fn node(&self) -> NodeId {
        self.node
    }

    fn wall_ms(&self) -> u64 {
        self.fixed_wall_ms.unwrap_or_else(|| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            now.saturating_add(self.offset_ms).max(0) as u64
        })
    }

    /// The next reading for a local event: never below or equal to any reading seen before.
    pub(crate) fn tick(&mut self) -> Hlc {
        let wall = self.wall_ms();
        self.last = if wall > self.last.wall_ms {
            Hlc::new(wall, 0, self.node)
        } else {
            Hlc::new(self.last.wall_ms, self.last.counter + 1, self.node)
        };
        self.last
    }

    /// Takes a reading from elsewhere into account, so that later local readings come after it.
    pub(crate) fn observe(&mut self, seen: Hlc) {
        if (seen.wall_ms, seen.counter) > (self.last.wall_ms, self.last.counter) {
            self.last = Hlc::new(seen.wall_ms, seen.counter, self.node);
        }
    }

    /// Moves the clock back to `wall_ms` after the computer's clock was found to run ahead (the
    /// server refused its stamps). Only for that case: readings already accepted elsewhere must lie
    /// below `wall_ms`.
    pub(crate) fn rewind(&mut self, wall_ms: u64) {
        self.last = Hlc::new(wall_ms, 0, self.node);
    }

    /// The wall clock now (ms), as this clock reads it.
    pub(crate) fn now_ms(&self) -> u64 {
        self.wall_ms()
    }

    /// Writes the last reading; called inside the transaction of every write.
    pub(crate) fn persist(&self, conn: &Connection) -> Result<()> {
        conn.prepare_cached(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )?
        .execute((LAST_KEY, self.last.to_string()))?;
        Ok(())
    }

    pub(crate) fn set_offset(&mut self, offset_ms: i64) {
        self.offset_ms = offset_ms;
    }

    #[cfg(test)]
    pub(crate) fn set_wall_for_test(&mut self, wall_ms: Option<u64>) {
        self.fixed_wall_ms = wall_ms;
    }
}

#[cfg(test)]
mod tests {
    use crate::schema::Entity;
    use crate::store::Store;
    use crate::write::Write;
    use serde_json::json;

    fn contact(name: &str) -> Write {
        let serde_json::Value::Object(fields) = json!({ "name": name }) else {
            unreachable!()
        };
        Write::create(Entity::Contact, fields)
    }

    #[test]
    fn the_clock_stays_ahead_across_a_restart_and_a_wall_clock_that_jumps_back() {
        let dir = tempfile::tempdir().unwrap();
        let before = {
            let mut store = Store::init(dir.path()).unwrap();
            store.clock.set_wall_for_test(Some(2_000_000_000_000));
            store.write(vec![contact("Voor")]).unwrap().hlc.unwrap()
        };
        let mut store = Store::open(dir.path()).unwrap();
        // The laptop's clock is now an hour behind what it was.
        store
            .clock
            .set_wall_for_test(Some(2_000_000_000_000 - 3_600_000));
        let after = store.write(vec![contact("Na")]).unwrap().hlc.unwrap();
        assert!(after > before, "{after} is not after {before}");
        assert_eq!(after.wall_ms, before.wall_ms);
        assert_eq!(after.counter, before.counter + 1);
        assert_eq!(after.node, before.node, "the node id is kept");
    }
}
