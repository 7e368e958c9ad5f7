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
    /// How long personal data is kept after someone's last involvement, in days (a
    /// municipality's setting; empty: two years, `privacy.rs`).
    pub retention_days: Option<i64>,
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
             SELECT a.id, a.name, a.kind, a.parent_id, a.inhabitants, a.cbs_code, t.depth,
                    a.retention_days
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
                retention_days: r.get(7)?,
                depth: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The area tree in memory, for the questions budgets and reports ask of it: an area's
/// inhabitants (its own count, else the sum of its children's), the kern an area lies in, and
/// whether one area lies inside another.
#[derive(Debug, Clone, Default)]
pub struct AreaIndex {
    nodes: std::collections::HashMap<String, AreaNode>,
    children: std::collections::HashMap<String, Vec<String>>,
    /// Areas in tree order.
    order: Vec<String>,
}

impl AreaIndex {
    pub fn new(tree: Vec<AreaNode>) -> AreaIndex {
        let mut index = AreaIndex::default();
        for node in tree {
            if let Some(parent) = &node.parent_id {
                index
                    .children
                    .entry(parent.clone())
                    .or_default()
                    .push(node.id.clone());
            }
            index.order.push(node.id.clone());
            index.nodes.insert(node.id.clone(), node);
        }
        index
    }

    pub fn get(&self, id: &str) -> Option<&AreaNode> {
        self.nodes.get(id)
    }

    /// Every area in tree order.
    pub fn all(&self) -> impl Iterator<Item = &AreaNode> {
        self.order.iter().filter_map(|id| self.nodes.get(id))
    }

    /// The inhabitants of an area: its own count where it has one, else the sum over its
    /// children (a kern without a count has the sum of its wijken).
    pub fn inhabitants(&self, id: &str) -> i64 {
        self.inhabitants_at(id, 0)
    }

    fn inhabitants_at(&self, id: &str, depth: usize) -> i64 {
        if depth > 32 {
            return 0;
        }
        match self.nodes.get(id).and_then(|n| n.inhabitants) {
            Some(count) => count,
            None => self
                .children
                .get(id)
                .map(|c| c.iter().map(|c| self.inhabitants_at(c, depth + 1)).sum())
                .unwrap_or(0),
        }
    }

    /// The area itself and its ancestors, nearest first.
    pub fn ancestors(&self, id: &str) -> impl Iterator<Item = &AreaNode> + '_ {
        let mut next = self.nodes.get(id);
        let mut steps = 0;
        std::iter::from_fn(move || {
            let node = next?;
            steps += 1;
            next = if steps > 32 {
                None
            } else {
                node.parent_id.as_deref().and_then(|p| self.nodes.get(p))
            };
            Some(node)
        })
    }

    /// The kern (area of kind `core`) the area is or lies in.
    pub fn kern_of(&self, id: &str) -> Option<&AreaNode> {
        self.ancestors(id).find(|a| a.kind == "core")
    }

    /// Whether `id` is `within` or lies inside it.
    pub fn is_within(&self, id: &str, within: &str) -> bool {
        self.ancestors(id).any(|a| a.id == within)
    }

    /// The municipality (the root of kind `municipality`) the area lies in.
    pub fn municipality_of(&self, id: &str) -> Option<&AreaNode> {
        self.ancestors(id).find(|a| a.kind == "municipality")
    }

    /// The kernen, in tree order.
    pub fn kernen(&self) -> impl Iterator<Item = &AreaNode> {
        self.all().filter(|a| a.kind == "core")
    }
}

impl Store {
    /// The area tree as an [`AreaIndex`].
    pub fn area_index(&self) -> Result<AreaIndex> {
        Ok(AreaIndex::new(self.area_tree()?))
    }
}
