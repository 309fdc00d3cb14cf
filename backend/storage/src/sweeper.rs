//! The deadline sweeper: visits each tenant, and for every demand whose `sweep_after` has come,
//! warns, marks overdue, escalates by rule and opens accountability cases (`demand::sweep`).
//!
//! Safe with several servers on one PostgreSQL database: a tenant is swept under a
//! transaction-scoped advisory lock taken with `pg_try_advisory_xact_lock`, so a second server
//! skips the tenant instead of doing the same work twice; and each step is decided from the
//! state read inside that transaction. SQLite has one writer at a time anyway.
use chrono::{DateTime, Utc};
use minqing_domain::TenantId;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::Storage;
use crate::demands::SweepCounts;
use crate::error::{Result, StorageError};
use crate::scope::{Audit, TenantScope};

/// Demands handled per tenant per pass; the rest wait for the next pass.
const BATCH: u64 = 500;

impl Storage {
    /// One pass over every active tenant, or over `only` those.
    pub async fn sweep(
        &self,
        now: DateTime<Utc>,
        only: Option<&[TenantId]>,
    ) -> Result<SweepCounts> {
        let mut total = SweepCounts::default();
        for tenant in self.platform().active_tenants().await? {
            if only.is_some_and(|ids| !ids.contains(&tenant.id)) {
                continue;
            }
            match self.sweep_tenant(tenant.id, &tenant.time_zone, now).await {
                Ok(counts) => total += counts,
                // A person acted on a demand the pass was working on: the tenant's pass is
                // rolled back whole and done again by the next one; the other tenants go on.
                Err(StorageError::Domain(minqing_domain::DomainError::Conflict {
                    code: "demand_changed",
                })) => {
                    tracing::info!(tenant = %tenant.slug, "sweep deferred: a demand changed under it");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    async fn sweep_tenant(
        &self,
        tenant: TenantId,
        time_zone: &str,
        now: DateTime<Utc>,
    ) -> Result<SweepCounts> {
        let scope = self.write(tenant, Audit::system()).await?;
        if !scope.try_sweep_lock().await? {
            return Ok(SweepCounts::default());
        }
        let demands = scope.demands();
        let due = demands.due_for_sweep(now, BATCH).await?;
        if due.is_empty() {
            return Ok(SweepCounts::default());
        }
        let settings = scope.demand_settings();
        let rules = settings.rules().await?;
        let calendar = settings.calendar().await?;
        let tz = time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
        let mut counts = SweepCounts::default();
        for row in due {
            counts += demands.sweep_one(row, &rules, &calendar, tz, now).await?;
        }
        scope.commit().await?;
        Ok(counts)
    }
}

impl TenantScope {
    /// The tenant's sweep lock for this transaction; false when another server holds it.
    async fn try_sweep_lock(&self) -> Result<bool> {
        if self.backend() != DbBackend::Postgres {
            return Ok(true);
        }
        // Two int4 keys: a constant for "sweeper" and the tenant id folded to 32 bits.
        let bytes = self.tenant.0.as_bytes();
        let folded = bytes.chunks(4).fold(0u32, |acc, c| {
            acc ^ u32::from_be_bytes([c[0], c[1], c[2], c[3]])
        });
        let row = self
            .tx
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock(7261, $1)",
                [(folded as i32).into()],
            ))
            .await?;
        Ok(row
            .and_then(|r| r.try_get_by_index::<bool>(0).ok())
            .unwrap_or(false))
    }
}
