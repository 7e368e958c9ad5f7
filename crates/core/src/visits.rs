//! Visits (kernbezoek, wijkschouw): a visit's page with its route, invitees and findings.

use crate::error::Result;
use crate::schema::Entity;
use crate::store::Store;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct InviteeView {
    pub id: String,
    pub contact_id: String,
    pub contact_name: String,
    pub email: Option<String>,
    pub response: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct VisitPage {
    #[ts(type = "VisitRecord")]
    pub visit: Value,
    /// Route stops in order.
    #[ts(type = "Array<StopRecord>")]
    pub stops: Vec<Value>,
    pub invitees: Vec<InviteeView>,
    #[ts(type = "Array<FindingRecord>")]
    pub findings: Vec<Value>,
}

impl Store {
    /// A visit with its route, invitees and findings.
    pub fn visit_page(&self, id: Uuid) -> Result<VisitPage> {
        let visit = self.get_live(Entity::Visit, id)?;
        let id_text = id.to_string();
        let stops = self.children(Entity::Stop, "visit_id", &id_text, "position")?;
        let findings = self.children(Entity::Finding, "visit_id", &id_text, "local_seq")?;
        let invitees = self
            .conn
            .prepare_cached(
                "SELECT i.id, i.contact_id, c.name, c.email, i.response FROM invitee i
                 JOIN contact c ON c.id = i.contact_id
                 WHERE i.visit_id = ?1 AND i.deleted = 0 ORDER BY c.name, i.id",
            )?
            .query_map([&id_text], |r| {
                Ok(InviteeView {
                    id: r.get(0)?,
                    contact_id: r.get(1)?,
                    contact_name: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    email: r.get(3)?,
                    response: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(VisitPage {
            visit,
            stops,
            invitees,
            findings,
        })
    }
}
