//! Full-text search over contacts, organisations, meetings and their agenda and minutes, visits
//! with stops and findings, action points and areas.
//!
//! Every word typed is a prefix ("gro" finds "Groet"), all words must match, and diacritics are
//! folded both in the index and in the query ("cafe" finds "café"). To stay fast when a word
//! matches most of a large store, the newest [`CANDIDATES`] matches are taken first (the index
//! walks them in row-id order, which is insertion order) and only those are ranked by bm25, with
//! a title hit weighing ten times a body hit.

use crate::error::Result;
use crate::schema::Entity;
use crate::store::Store;
use rusqlite::OptionalExtension;
use serde::Serialize;

/// How many of the newest matches are ranked.
pub const CANDIDATES: usize = 200;

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SearchHit {
    pub entity: String,
    pub id: String,
    pub title: String,
    /// A piece of the matching text with the match between `[` and `]`.
    pub snippet: String,
    /// The record to open for this hit: the meeting of an agenda item, the visit of a stop or
    /// finding, else the record itself.
    pub open_entity: String,
    pub open_id: String,
}

/// Turns what the user typed into an FTS5 query: each word a quoted prefix, all required.
/// Returns `None` when nothing searchable was typed.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        // One letter would match most of the index; it is taken as a whole word.
        .map(|w| {
            if w.chars().count() > 1 {
                format!("\"{w}\"*")
            } else {
                format!("\"{w}\"")
            }
        })
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" "))
    }
}

impl Store {
    /// Searches everything; at most `limit` hits, best first.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(query) = fts_query(text) else {
            return Ok(Vec::new());
        };
        // One pass over the newest matches: score and snippet together (asking the index again
        // per hit would rebuild every prefix's match list each time).
        let mut stmt = self.conn.prepare_cached(
            "SELECT rowid, title, bm25(search, 10.0, 1.0), snippet(search, -1, '[', ']', '…', 12)
             FROM search WHERE search MATCH ?1 ORDER BY rowid DESC LIMIT ?2",
        )?;
        let mut candidates: Vec<(i64, String, f64, String)> = stmt
            .query_map((&query, CANDIDATES as i64), |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get(2)?,
                    r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        candidates.sort_by(|a, b| a.2.total_cmp(&b.2).then(b.0.cmp(&a.0)));
        candidates.truncate(limit.clamp(1, 200));
        let mut hits = Vec::with_capacity(candidates.len());
        for (rowid, title, _, snippet) in candidates {
            let Some(entity) =
                Entity::from_code(rowid.rem_euclid(crate::search_index::DOC_ROWID_STRIDE))
            else {
                continue;
            };
            let local_seq = rowid.div_euclid(crate::search_index::DOC_ROWID_STRIDE);
            if let Some(hit) = self.hit(entity, local_seq, title, snippet)? {
                hits.push(hit);
            }
        }
        Ok(hits)
    }

    fn hit(
        &self,
        entity: Entity,
        local_seq: i64,
        title: String,
        snippet: String,
    ) -> Result<Option<SearchHit>> {
        let parent = match entity {
            Entity::AgendaItem => Some(("meeting_id", Entity::Meeting)),
            Entity::Stop | Entity::Finding => Some(("visit_id", Entity::Visit)),
            _ => None,
        };
        let parent_column = parent.map_or("NULL", |(column, _)| column);
        let sql = format!(
            "SELECT id, {parent_column} FROM {} WHERE local_seq = ?1",
            entity.table()
        );
        let found: Option<(String, Option<String>)> = self
            .conn
            .prepare_cached(&sql)?
            .query_row([local_seq], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((id, parent_id)) = found else {
            return Ok(None);
        };
        let (open_entity, open_id) = match (parent, parent_id) {
            (Some((_, parent_entity)), Some(parent_id)) => (parent_entity, parent_id),
            _ => (entity, id.clone()),
        };
        Ok(Some(SearchHit {
            entity: entity.name().to_owned(),
            id,
            title,
            snippet,
            open_entity: open_entity.name().to_owned(),
            open_id,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn every_word_becomes_a_quoted_prefix() {
        assert_eq!(
            fts_query("café groet").as_deref(),
            Some("\"café\"* \"groet\"*")
        );
        assert_eq!(
            fts_query("  \"OR\" - * a").as_deref(),
            Some("\"OR\"* \"a\"")
        );
        assert_eq!(fts_query(" -*- "), None);
    }
}
