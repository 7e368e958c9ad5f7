//! School holidays per region (noord, midden, zuid), as the visit planner avoids them.
//!
//! The dates of the coming school years ship with the app (`assets/calendar/schoolvakanties.json`).
//! They are editable: a `school_holiday` record whose id is derived from region, school year and
//! name overrides the shipped dates of that holiday, and a deleted one drops it; records with new
//! names or school years add holidays. Edits go through [`Store::write`] like every other change,
//! so both coordinators of a municipality plan with the same dates.

use crate::error::{Error, Result};
use crate::schema::{Entity, SCHOOL_REGIONS};
use crate::store::Store;
use crate::write::Write;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The shipped school holidays.
pub const SHIPPED: &str = include_str!("../../../../assets/calendar/schoolvakanties.json");

/// One school holiday of one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SchoolHoliday {
    /// The id of the record that holds (or would hold) an edit of this holiday.
    pub id: String,
    pub region: String,
    pub school_year: String,
    pub name: String,
    #[ts(type = "string")]
    pub start_date: Date,
    /// The last day of the holiday (inclusive).
    #[ts(type = "string")]
    pub end_date: Date,
    /// Shipped dates that are an estimate still to be checked.
    pub uncertain: bool,
    /// `shipped` or `edited`.
    pub source: &'static str,
}

/// The id of the record for a region's holiday in a school year: the same on every laptop.
pub fn holiday_id(region: &str, school_year: &str, name: &str) -> Uuid {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_OID, b"wijkwerk/school_holiday");
    let key = format!(
        "{}/{}/{}",
        region.trim().to_lowercase(),
        school_year.trim(),
        name.trim().to_lowercase()
    );
    Uuid::new_v5(&namespace, key.as_bytes())
}

#[derive(Deserialize)]
struct Asset {
    school_years: Vec<AssetYear>,
}

#[derive(Deserialize)]
struct AssetYear {
    school_year: String,
    holidays: Vec<AssetHoliday>,
}

#[derive(Deserialize)]
struct AssetHoliday {
    name: String,
    #[serde(default)]
    onzeker: bool,
    #[serde(flatten)]
    regions: BTreeMap<String, (Date, Date)>,
}

/// The shipped school holidays of every region, or of one.
pub fn shipped(region: Option<&str>) -> Result<Vec<SchoolHoliday>> {
    let asset: Asset = serde_json::from_str(SHIPPED)
        .map_err(|e| Error::StoredData(format!("schoolvakanties.json: {e}")))?;
    let mut out = Vec::new();
    for year in &asset.school_years {
        for holiday in &year.holidays {
            for (name, (start, end)) in &holiday.regions {
                if !SCHOOL_REGIONS.contains(&name.as_str()) {
                    continue;
                }
                if region.is_some_and(|r| r != name) {
                    continue;
                }
                out.push(SchoolHoliday {
                    id: holiday_id(name, &year.school_year, &holiday.name).to_string(),
                    region: name.clone(),
                    school_year: year.school_year.clone(),
                    name: holiday.name.clone(),
                    start_date: *start,
                    end_date: *end,
                    uncertain: holiday.onzeker,
                    source: "shipped",
                });
            }
        }
    }
    Ok(out)
}

impl Store {
    /// The school holidays in force: the shipped ones with the store's edits applied, in date
    /// order; of one region, or of all.
    pub fn school_holidays(&self, region: Option<&str>) -> Result<Vec<SchoolHoliday>> {
        let mut by_id: BTreeMap<String, SchoolHoliday> = shipped(region)?
            .into_iter()
            .map(|h| (h.id.clone(), h))
            .collect();
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, deleted, region, school_year, name, start_date, end_date
             FROM school_holiday WHERE ?1 IS NULL OR region = ?1",
        )?;
        let rows = stmt.query_map([region], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)? != 0,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        for row in rows {
            let (id, deleted, region, year, name, start, end) = row?;
            if deleted {
                by_id.remove(&id);
                continue;
            }
            let (Some(region), Some(year), Some(name), Some(start), Some(end)) =
                (region, year, name, start, end)
            else {
                continue;
            };
            let (Ok(start), Ok(end)) = (start.parse::<Date>(), end.parse::<Date>()) else {
                continue;
            };
            // Set back to the shipped dates (an undone "leave out"): the shipped holiday, still
            // an estimate where it was one.
            if by_id
                .get(&id)
                .is_some_and(|h| h.start_date == start && h.end_date == end)
            {
                continue;
            }
            by_id.insert(
                id.clone(),
                SchoolHoliday {
                    id,
                    region,
                    school_year: year,
                    name,
                    start_date: start,
                    end_date: end,
                    uncertain: false,
                    source: "edited",
                },
            );
        }
        let mut out: Vec<SchoolHoliday> = by_id.into_values().collect();
        out.sort_by(|a, b| {
            (a.start_date, &a.region, &a.name).cmp(&(b.start_date, &b.region, &b.name))
        });
        Ok(out)
    }

    /// Sets the dates of a region's school holiday (a shipped one or a new one), through the
    /// one write path. Returns the record's id.
    pub fn set_school_holiday(
        &mut self,
        region: &str,
        school_year: &str,
        name: &str,
        start_date: &str,
        end_date: &str,
    ) -> Result<Uuid> {
        let id = holiday_id(region, school_year, name);
        let fields = json!({
            "region": region, "school_year": school_year, "name": name,
            "start_date": start_date, "end_date": end_date,
        });
        let Value::Object(fields) = fields else {
            return Err(Error::BadRequest("school holiday fields".into()));
        };
        let exists = self.stored_deleted(Entity::SchoolHoliday, id)?;
        let write = match exists {
            None => Write {
                entity: Entity::SchoolHoliday,
                id,
                op: crate::write::Op::Create(fields),
            },
            Some(deleted) => {
                let mut fields = fields;
                if deleted {
                    fields.insert(wijkwerk_protocol::DELETED_FIELD.into(), false.into());
                }
                Write::update(Entity::SchoolHoliday, id, fields)
            }
        };
        self.write(vec![write])?;
        Ok(id)
    }

    /// Drops a region's school holiday (shipped or edited) from the planner's view: a tombstone
    /// under the holiday's derived id.
    pub fn drop_school_holiday(
        &mut self,
        region: &str,
        school_year: &str,
        name: &str,
    ) -> Result<()> {
        let id = holiday_id(region, school_year, name);
        match self.stored_deleted(Entity::SchoolHoliday, id)? {
            Some(true) => Ok(()),
            Some(false) => self.delete(Entity::SchoolHoliday, id),
            None => {
                let shipped = shipped(Some(region))?
                    .into_iter()
                    .find(|h| h.id == id.to_string())
                    .ok_or_else(|| {
                        Error::BadRequest(format!(
                            "there is no school holiday {name:?} in {school_year} for region {region:?}"
                        ))
                    })?;
                let fields = json!({
                    "region": shipped.region, "school_year": shipped.school_year,
                    "name": shipped.name, "start_date": shipped.start_date.to_string(),
                    "end_date": shipped.end_date.to_string(),
                });
                let Value::Object(fields) = fields else {
                    return Err(Error::BadRequest("school holiday fields".into()));
                };
                self.write(vec![
                    Write {
                        entity: Entity::SchoolHoliday,
                        id,
                        op: crate::write::Op::Create(fields),
                    },
                    Write::delete(Entity::SchoolHoliday, id),
                ])
                .map(drop)
            }
        }
    }

    /// Whether a record exists, and if so whether it is deleted.
    pub(crate) fn stored_deleted(&self, entity: Entity, id: Uuid) -> Result<Option<bool>> {
        use rusqlite::OptionalExtension;
        let sql = format!("SELECT deleted FROM {} WHERE id = ?1", entity.table());
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id.to_string()], |r| r.get::<_, i64>(0))
            .optional()?
            .map(|d| d != 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_reads_and_covers_three_school_years() {
        let all = shipped(None).unwrap();
        for region in SCHOOL_REGIONS {
            for year in ["2025-2026", "2026-2027", "2027-2028"] {
                let n = all
                    .iter()
                    .filter(|h| h.region == *region && h.school_year == year)
                    .count();
                assert_eq!(n, 5, "{region} {year}");
            }
        }
        for h in &all {
            assert!(h.end_date >= h.start_date, "{h:?}");
            assert_eq!(
                h.start_date.weekday(),
                jiff::civil::Weekday::Saturday,
                "{h:?}"
            );
            assert_eq!(h.end_date.weekday(), jiff::civil::Weekday::Sunday, "{h:?}");
        }
    }
}
