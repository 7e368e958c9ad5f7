//! Areas: the tree of municipality, kernen, wijken and buurten with their inhabitants.

use crate::error::Result;
use crate::store::Store;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AreaNode {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub inhabitants: Option<i64>,
    pub cbs_code: Option<String>,
    /// Depth in the tree: 0 for a root.
    pub depth: i64,
}

impl Store {
    /// Every live area in tree order (depth first, siblings by name).
    pub fn area_tree(&self) -> Result<Vec<AreaNode>> {
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE tree(id, depth, path) AS (
                 SELECT id, 0, name || char(31) || id FROM area
                 WHERE deleted = 0 AND (parent_id IS NULL
                       OR parent_id NOT IN (SELECT id FROM area WHERE deleted = 0))
                 UNION ALL
                 SELECT a.id, t.depth + 1, t.path || char(30) || a.name || char(31) || a.id
                 FROM area a JOIN tree t ON a.parent_id = t.id WHERE a.deleted = 0
             )
             SELECT a.id, a.name, a.kind, a.parent_id, a.inhabitants, a.cbs_code, t.depth
             FROM tree t JOIN area a ON a.id = t.id ORDER BY t.path",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AreaNode {
                id: r.get(0)?,
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                kind: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                parent_id: r.get(3)?,
                inhabitants: r.get(4)?,
                cbs_code: r.get(5)?,
                depth: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
