//! What the department lists sort and filter on, kept in memory per tenant and brought up to
//! date from the tenant's sequence: the owner, status, due date and deletion of every action
//! point. Reading those four fields of every point from the database at each request took
//! 140 ms for a department of 40,000 points in a tenant of 200,000 (`benches/department.rs`);
//! the index reads only what changed since it was last brought up to date (the rows after its
//! sequence, through the `field_seq` index), which is what a pull reads.
//!
//! It is a cache of the database, not state of its own: a fresh process builds it at its first
//! list, several processes each keep their own, and a tenant whose sequence went back (a server
//! restored from a backup) is read again whole.

use crate::error::Result;
use crate::storage::Storage;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The fields of one action point the department list sorts and filters on (texts as stored).
#[derive(Debug, Clone, PartialEq)]
pub struct PointKey {
    pub id: Uuid,
    pub status: Option<String>,
    pub due_date: Option<String>,
    pub deleted: bool,
}

/// The fields of an action point the lists need.
pub const INDEXED_FIELDS: [&str; 4] = ["owner_organisation_id", "status", "due_date", "deleted"];

/// One stored field row of an action point: its record, its field, its value as JSON text.
pub type FieldRow = (String, String, String);

#[derive(Debug, Clone)]
struct IndexedPoint {
    owner: Option<Uuid>,
    key: PointKey,
}

#[derive(Debug, Default)]
struct TenantPoints {
    /// The tenant's sequence the index has read up to.
    seq: i64,
    points: HashMap<Uuid, IndexedPoint>,
}

impl TenantPoints {
    fn apply(&mut self, rows: Vec<FieldRow>) {
        for (record, field, value) in rows {
            let Ok(id) = Uuid::parse_str(&record) else {
                continue;
            };
            let point = self.points.entry(id).or_insert_with(|| IndexedPoint {
                owner: None,
                key: PointKey {
                    id,
                    status: None,
                    due_date: None,
                    deleted: false,
                },
            });
            let text = || {
                serde_json::from_str::<serde_json::Value>(&value)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
            };
            match field.as_str() {
                "owner_organisation_id" => {
                    point.owner = text().and_then(|t| Uuid::parse_str(&t).ok());
                }
                "status" => point.key.status = text(),
                "due_date" => point.key.due_date = text(),
                "deleted" => point.key.deleted = value == "true",
                _ => {}
            }
        }
    }
}

/// The per-tenant indexes of a serving process.
#[derive(Default)]
pub struct PointIndex {
    tenants: Mutex<HashMap<i64, Arc<Mutex<TenantPoints>>>>,
}

impl PointIndex {
    /// Builds the index of every tenant with department users (at start, so that the first
    /// colleague's list does not wait for it). Failures are logged; the first list tries again.
    pub async fn warm(&self, storage: &Storage) {
        let users = match storage.department_users(None).await {
            Ok(users) => users,
            Err(e) => {
                tracing::warn!(error = %e, "the department lists' index was not built at start");
                return;
            }
        };
        let mut tenants: Vec<i64> = users.iter().map(|u| u.tenant_id).collect();
        tenants.sort_unstable();
        tenants.dedup();
        for tenant in tenants {
            let started = std::time::Instant::now();
            match self.department_points(storage, tenant, Uuid::nil()).await {
                Ok(_) => tracing::info!(
                    tenant,
                    millis = started.elapsed().as_millis() as u64,
                    "department lists' index built"
                ),
                Err(e) => {
                    tracing::warn!(tenant, error = %e, "the department lists' index was not built")
                }
            }
        }
    }

    /// The points `department` owns in the tenant, as of now (the tenant's head sequence read
    /// first, then every change up to it).
    pub async fn department_points(
        &self,
        storage: &Storage,
        tenant_id: i64,
        department: Uuid,
    ) -> Result<Vec<PointKey>> {
        let tenant = {
            let mut tenants = self
                .tenants
                .lock()
                .map_err(|_| crate::ServerError::Pool("point index poisoned".into()))?;
            tenants.entry(tenant_id).or_default().clone()
        };
        let head = storage.head_seq(tenant_id).await?;
        let known = tenant
            .lock()
            .map_err(|_| crate::ServerError::Pool("point index poisoned".into()))?
            .seq;
        if known != head {
            // Back to 0 when the tenant's sequence went back (a restored server).
            let after = if known < head { known } else { 0 };
            let rows = storage.action_point_fields(tenant_id, after, head).await?;
            let mut points = tenant
                .lock()
                .map_err(|_| crate::ServerError::Pool("point index poisoned".into()))?;
            if after == 0 && points.seq > head {
                points.points.clear();
                points.seq = 0;
            }
            // Another request may have brought it further meanwhile: then these rows are old.
            if points.seq == after {
                points.apply(rows);
                points.seq = head;
            }
        }
        let points = tenant
            .lock()
            .map_err(|_| crate::ServerError::Pool("point index poisoned".into()))?;
        Ok(points
            .points
            .values()
            .filter(|p| p.owner == Some(department))
            .map(|p| p.key.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(record: Uuid, field: &str, value: &str) -> FieldRow {
        (record.to_string(), field.to_owned(), value.to_owned())
    }

    #[test]
    fn later_rows_overwrite_earlier_ones_and_a_point_can_change_department() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (roads, traffic) = (Uuid::now_v7(), Uuid::now_v7());
        let mut index = TenantPoints::default();
        index.apply(vec![
            row(a, "owner_organisation_id", &format!("\"{roads}\"")),
            row(a, "status", "\"open\""),
            row(a, "due_date", "\"2026-10-01\""),
            row(b, "owner_organisation_id", &format!("\"{roads}\"")),
        ]);
        index.apply(vec![
            row(a, "status", "\"done\""),
            row(b, "owner_organisation_id", &format!("\"{traffic}\"")),
            row(b, "deleted", "true"),
        ]);
        let a = &index.points[&a];
        assert_eq!(a.owner, Some(roads));
        assert_eq!(a.key.status.as_deref(), Some("done"));
        assert_eq!(a.key.due_date.as_deref(), Some("2026-10-01"));
        let b = &index.points[&b];
        assert_eq!(b.owner, Some(traffic));
        assert!(b.key.deleted);
    }
}
