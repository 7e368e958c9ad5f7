//! The werkkapitaal: a municipality's yearly budget divided over its kernoverleggen pro rata
//! inhabitants, and what each kernoverleg committed and spent.
//!
//! Nothing here is stored: allocated, committed, spent and remaining are computed from the
//! records every time (the budget, its adjustments, commitments and payments), so that two
//! coordinators booking payments offline on two laptops both count after sync (a running total
//! in a field would lose one of them to last-writer-wins).
//!
//! - **share**: the budget's total divided over the kernoverleggen by the inhabitants of the
//!   areas each represents (largest remainder, so the shares add up to the total to the cent);
//! - **allocated**: the share plus the kernoverleg's recorded adjustments (each with a reason);
//! - **committed**: the sum of its commitments (toekenningen);
//! - **spent**: the sum of its payments (uitgaven);
//! - **remaining**: allocated minus what is bound: per commitment the larger of its amount and
//!   what was paid against it, plus payments without a commitment;
//! - **under-spending**: on the budget's check date (default 1 October of its year), less than
//!   half of the allocated amount committed.

use crate::areas::AreaIndex;
use crate::error::{Error, Result};
use crate::money::divide_pro_rata;
use crate::store::Store;
use jiff::civil::Date;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The day of the year on which under-spending is judged unless the budget says otherwise.
pub const DEFAULT_CHECK_MONTH_DAY: (i8, i8) = (10, 1);

/// A year's werkkapitaal and how it stands.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct BudgetOverview {
    pub budget_id: String,
    pub year: i64,
    pub municipality_id: String,
    pub municipality: String,
    pub total_cents: i64,
    /// The day under-spending is judged (`YYYY-MM-DD`).
    pub check_date: String,
    /// The day the figures are as of (today, or the year's end for a past year).
    pub as_of: String,
    pub parts: Vec<BudgetPart>,
    /// The sum of the parts' allocations: the total plus all adjustments.
    pub allocated_cents: i64,
    pub adjustments_cents: i64,
    pub committed_cents: i64,
    pub spent_cents: i64,
    pub remaining_cents: i64,
    /// Commitments paid beyond their amount.
    pub overruns: Vec<Overrun>,
    /// Payments not made against a commitment.
    pub payments_without_commitment: i64,
    pub notes: Option<String>,
}

/// One kernoverleg's part of the werkkapitaal.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct BudgetPart {
    pub kernoverleg_id: String,
    pub kernoverleg: String,
    /// The kern the kernoverleg belongs to, if its areas lie in one.
    pub kern_id: Option<String>,
    pub inhabitants: i64,
    pub share_cents: i64,
    pub adjustments_cents: i64,
    pub allocated_cents: i64,
    pub committed_cents: i64,
    /// Committed on or before the check date.
    pub committed_by_check_date_cents: i64,
    pub spent_cents: i64,
    pub remaining_cents: i64,
    /// Less than half committed by the check date (judged once that day has come).
    pub under_spending: bool,
}

/// A commitment paid beyond its amount.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Overrun {
    pub commitment_id: String,
    pub kernoverleg_id: String,
    pub description: String,
    pub amount_cents: i64,
    pub paid_cents: i64,
    pub overrun_cents: i64,
}

/// A warning about a payment that is allowed but should be looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentWarning {
    /// The payment is not made against a commitment.
    WithoutCommitment,
    /// With this payment, more was paid than the commitment holds.
    BeyondCommitment {
        commitment_cents: i64,
        paid_cents: i64,
        overrun_cents: i64,
    },
    /// The payment is dated outside the budget's year.
    OutsideYear { year: i64 },
}

#[derive(Debug, Clone)]
struct Booking {
    id: String,
    kernoverleg_id: String,
    commitment_id: Option<String>,
    date: String,
    amount: i64,
    description: String,
}

impl Store {
    /// The werkkapitaal of `year` for the municipality (the only one, or `municipality_id`),
    /// as of `as_of`. `None` when no budget was set for that year.
    pub fn budget_overview(
        &self,
        year: i64,
        municipality_id: Option<&str>,
        as_of: Date,
    ) -> Result<Option<BudgetOverview>> {
        let areas = self.area_index()?;
        self.budget_overview_with(&areas, year, municipality_id, as_of)
    }

    pub(crate) fn budget_overview_with(
        &self,
        areas: &AreaIndex,
        year: i64,
        municipality_id: Option<&str>,
        as_of: Date,
    ) -> Result<Option<BudgetOverview>> {
        type BudgetRow = (String, String, i64, Option<String>, Option<String>);
        let found: Option<BudgetRow> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, area_id, coalesce(total_cents, 0), check_date, notes FROM budget
                 WHERE deleted = 0 AND year = ?1 AND (?2 IS NULL OR area_id = ?2)
                 ORDER BY id LIMIT 1",
            )?;
            let mut rows = stmt.query((year, municipality_id))?;
            match rows.next()? {
                Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                None => None,
            }
        };
        let Some((budget_id, municipality_id, total, check_date, notes)) = found else {
            return Ok(None);
        };
        let check_date = match check_date {
            Some(date) => date,
            None => default_check_date(year)?.to_string(),
        };
        let as_of_text = as_of.to_string();

        // The kernoverleggen of the municipality, with the inhabitants they represent.
        let mut kernoverleggen: Vec<(String, String, Option<String>, i64)> = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, coalesce(name, ''), coalesce(area_ids, '[]') FROM organisation
                 WHERE deleted = 0 AND kind = 'kernoverleg' ORDER BY name COLLATE NOCASE, id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            for row in rows {
                let (id, name, area_ids) = row?;
                let area_ids: Vec<String> = serde_json::from_str(&area_ids).unwrap_or_default();
                let in_municipality = area_ids
                    .iter()
                    .any(|a| areas.is_within(a, &municipality_id));
                if !in_municipality {
                    continue;
                }
                let inhabitants = represented_inhabitants(areas, &area_ids);
                let kern = area_ids
                    .iter()
                    .find_map(|a| areas.kern_of(a))
                    .map(|k| k.id.clone());
                kernoverleggen.push((id, name, kern, inhabitants));
            }
        }
        let weights: Vec<i64> = kernoverleggen.iter().map(|k| k.3).collect();
        let shares = divide_pro_rata(total, &weights);

        let sum_by_kernoverleg = |sql: &str| -> Result<HashMap<String, i64>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map([&budget_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let adjustments = sum_by_kernoverleg(
            "SELECT kernoverleg_id, sum(amount_cents) FROM budget_adjustment
             WHERE deleted = 0 AND budget_id = ?1 GROUP BY kernoverleg_id",
        )?;
        let commitments = self.commitments_of(&budget_id)?;
        let payments = self.payments_of(&budget_id)?;

        let mut paid_per_commitment: HashMap<&str, i64> = HashMap::new();
        for p in &payments {
            if let Some(c) = &p.commitment_id {
                *paid_per_commitment.entry(c.as_str()).or_default() += p.amount;
            }
        }
        let judged = as_of_text >= check_date;
        let mut parts = Vec::with_capacity(kernoverleggen.len());
        for ((id, name, kern, inhabitants), share) in kernoverleggen.into_iter().zip(shares) {
            let adjustment = adjustments.get(&id).copied().unwrap_or(0);
            let allocated = share + adjustment;
            let own_commitments = commitments.iter().filter(|c| c.kernoverleg_id == id);
            let mut committed = 0;
            let mut committed_by_check = 0;
            let mut bound = 0;
            for c in own_commitments {
                committed += c.amount;
                if c.date <= check_date {
                    committed_by_check += c.amount;
                }
                let paid = paid_per_commitment.get(c.id.as_str()).copied().unwrap_or(0);
                bound += c.amount.max(paid);
            }
            let own_payments = payments.iter().filter(|p| p.kernoverleg_id == id);
            let mut spent = 0;
            for p in own_payments {
                spent += p.amount;
                let known = p
                    .commitment_id
                    .as_deref()
                    .is_some_and(|c| commitments.iter().any(|x| x.id == c));
                if !known {
                    bound += p.amount;
                }
            }
            parts.push(BudgetPart {
                kernoverleg_id: id,
                kernoverleg: name,
                kern_id: kern,
                inhabitants,
                share_cents: share,
                adjustments_cents: adjustment,
                allocated_cents: allocated,
                committed_cents: committed,
                committed_by_check_date_cents: committed_by_check,
                spent_cents: spent,
                remaining_cents: allocated - bound,
                // Less than half: committed * 2 < allocated, exact in cents.
                under_spending: judged && allocated > 0 && committed_by_check * 2 < allocated,
            });
        }
        let overruns = commitments
            .iter()
            .filter_map(|c| {
                let paid = paid_per_commitment.get(c.id.as_str()).copied().unwrap_or(0);
                (paid > c.amount).then(|| Overrun {
                    commitment_id: c.id.clone(),
                    kernoverleg_id: c.kernoverleg_id.clone(),
                    description: c.description.clone(),
                    amount_cents: c.amount,
                    paid_cents: paid,
                    overrun_cents: paid - c.amount,
                })
            })
            .collect();
        let municipality = areas
            .get(&municipality_id)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        Ok(Some(BudgetOverview {
            budget_id,
            year,
            municipality_id,
            municipality,
            total_cents: total,
            check_date,
            as_of: as_of_text,
            allocated_cents: parts.iter().map(|p| p.allocated_cents).sum(),
            adjustments_cents: parts.iter().map(|p| p.adjustments_cents).sum(),
            committed_cents: parts.iter().map(|p| p.committed_cents).sum(),
            spent_cents: parts.iter().map(|p| p.spent_cents).sum(),
            remaining_cents: parts.iter().map(|p| p.remaining_cents).sum(),
            payments_without_commitment: payments
                .iter()
                .filter(|p| p.commitment_id.is_none())
                .count() as i64,
            parts,
            overruns,
            notes,
        }))
    }

    /// What to warn about for a payment as stored (after it was written): not against a
    /// commitment, beyond its commitment (with the overrun), or dated outside the budget's year.
    pub fn payment_warnings(&self, payment_id: Uuid) -> Result<Vec<PaymentWarning>> {
        let row: Option<(Option<String>, Option<String>, Option<String>)> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT p.commitment_id, p.date, b.year FROM payment p
                 LEFT JOIN budget b ON b.id = p.budget_id WHERE p.id = ?1 AND p.deleted = 0",
            )?;
            let mut rows = stmt.query([payment_id.to_string()])?;
            match rows.next()? {
                Some(r) => Some((
                    r.get(0)?,
                    r.get(1)?,
                    r.get::<_, Option<i64>>(2)?.map(|y| y.to_string()),
                )),
                None => None,
            }
        };
        let Some((commitment, date, year)) = row else {
            return Err(Error::NotFound {
                entity: crate::Entity::Payment,
                id: payment_id,
            });
        };
        let mut warnings = Vec::new();
        match commitment {
            None => warnings.push(PaymentWarning::WithoutCommitment),
            Some(commitment_id) => {
                let (amount, paid): (i64, i64) = self.conn.query_row(
                    "SELECT coalesce(c.amount_cents, 0),
                            (SELECT coalesce(sum(amount_cents), 0) FROM payment
                             WHERE commitment_id = c.id AND deleted = 0)
                     FROM commitment c WHERE c.id = ?1",
                    [&commitment_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                if paid > amount {
                    warnings.push(PaymentWarning::BeyondCommitment {
                        commitment_cents: amount,
                        paid_cents: paid,
                        overrun_cents: paid - amount,
                    });
                }
            }
        }
        if let (Some(date), Some(year)) = (date, year) {
            if !date.starts_with(&format!("{year}-")) {
                warnings.push(PaymentWarning::OutsideYear {
                    year: year.parse().unwrap_or_default(),
                });
            }
        }
        Ok(warnings)
    }

    fn commitments_of(&self, budget_id: &str) -> Result<Vec<Booking>> {
        self.bookings(
            "SELECT id, kernoverleg_id, NULL, coalesce(date, ''), coalesce(amount_cents, 0),
                    coalesce(description, '')
             FROM commitment WHERE deleted = 0 AND budget_id = ?1 ORDER BY date, id",
            budget_id,
        )
    }

    fn payments_of(&self, budget_id: &str) -> Result<Vec<Booking>> {
        self.bookings(
            "SELECT id, kernoverleg_id, commitment_id, coalesce(date, ''),
                    coalesce(amount_cents, 0), coalesce(description, '')
             FROM payment WHERE deleted = 0 AND budget_id = ?1 ORDER BY date, id",
            budget_id,
        )
    }

    fn bookings(&self, sql: &str, budget_id: &str) -> Result<Vec<Booking>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([budget_id], |r| {
            Ok(Booking {
                id: r.get(0)?,
                kernoverleg_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                commitment_id: r.get(2)?,
                date: r.get(3)?,
                amount: r.get(4)?,
                description: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// 1 October of the year (the default day under-spending is judged).
pub fn default_check_date(year: i64) -> Result<Date> {
    let (month, day) = DEFAULT_CHECK_MONTH_DAY;
    i16::try_from(year)
        .ok()
        .and_then(|y| Date::new(y, month, day).ok())
        .ok_or_else(|| Error::BadRequest(format!("{year} is not a year")))
}

/// The inhabitants a kernoverleg represents: those of its areas, counting an area inside
/// another of its areas once.
pub fn represented_inhabitants(areas: &AreaIndex, area_ids: &[String]) -> i64 {
    area_ids
        .iter()
        .filter(|a| {
            !area_ids
                .iter()
                .any(|other| other != *a && areas.is_within(a, other))
        })
        .map(|a| areas.inhabitants(a))
        .sum()
}
