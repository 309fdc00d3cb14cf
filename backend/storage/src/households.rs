//! Households: each community's register (phone sealed and masked like a resident's), its
//! import from CSV/XLSX (every row checked; nothing half-imported), which households took part
//! in a visit, and the coverage of a subtree over a period — the share of its households that
//! took part in a held visit. Every change goes into the operations log.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use minqing_domain::UnitId;
use minqing_domain::access::Reach;
use minqing_domain::division_import::RowError;
use minqing_domain::household::{
    HouseholdFlag, HouseholdRow, ValidHousehold, address_key, coverage_per_mille,
    plan_household_import,
};
use minqing_domain::personal_data::mask_phone;
use minqing_domain::unit::UnitPath;
use minqing_domain::visits::{VisitKind, VisitStatus, VisitStep, step_of};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use crate::councils::Seal;
use crate::entities::{household, visit, visit_household};
use crate::error::{Result, StorageError, import_plan, on_unique};
use crate::paging::{decode_text_cursor, encode_text_cursor, page};
use crate::scope::TenantScope;
use crate::units::UnitView;

/// A household as lists show it: phone masked.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HouseholdView {
    pub id: Uuid,
    pub unit_id: UnitId,
    pub address: String,
    pub head_name: String,
    /// e.g. 139****2468
    pub phone: Option<String>,
    pub flags: Vec<HouseholdFlag>,
    pub members: Option<u32>,
    /// Visits (held) it took part in.
    pub visits: u64,
}

/// What a household import did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HouseholdImportReport {
    pub created: usize,
    /// Rows whose address is already on the register, left as they were.
    pub unchanged: usize,
}

/// A subtree's household coverage over a period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HouseholdCoverage {
    pub households: u64,
    /// Households that took part in a held visit that started in the period.
    pub reached: u64,
    /// `reached / households` in per mille (1000 when there are no households).
    pub per_mille: u32,
    /// The same for each community of the subtree that has households, least covered first.
    pub units: Vec<UnitCoverage>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitCoverage {
    pub unit_id: UnitId,
    pub name: String,
    pub households: u64,
    pub reached: u64,
    pub per_mille: u32,
}

/// Rows per insert statement (well under every backend's bind-parameter limit).
const INSERT_CHUNK: usize = 500;

pub struct Households<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn households(&self) -> Households<'_> {
        Households { scope: self }
    }
}

fn corrupt() -> StorageError {
    StorageError::Db(sea_orm::DbErr::Custom("household row".into()))
}

impl Households<'_> {
    fn tenant(&self) -> Uuid {
        self.scope.tenant().0
    }

    fn model(
        &self,
        unit: UnitId,
        h: ValidHousehold,
        seal: &Seal<'_>,
        now: DateTime<Utc>,
    ) -> Result<household::ActiveModel> {
        Ok(household::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            unit_id: Set(unit.0),
            address_key: Set(address_key(&h.address)),
            address: Set(h.address),
            head_name: Set(h.head_name),
            phone_sealed: Set(h
                .phone
                .as_deref()
                .map(|p| seal.sealer.seal(seal.cipher, self.tenant(), p))),
            phone_masked: Set(h.phone.as_deref().map(mask_phone)),
            flags: Set(serde_json::to_string(&h.flags).map_err(|_| corrupt())?),
            members: Set(h.members.map(|m| m as i32)),
            created_at: Set(now),
        })
    }

    /// Adds a household to `unit` (a community); an address already on its register is a 409
    /// `household_exists`.
    pub async fn add(
        &self,
        unit: &UnitView,
        h: ValidHousehold,
        seal: &Seal<'_>,
        now: DateTime<Utc>,
    ) -> Result<HouseholdView> {
        if unit.archived {
            return Err(StorageError::field("unit", "unit_archived"));
        }
        let row = household::Entity::insert(self.model(unit.id, h, seal, now)?)
            .exec_with_returning(&self.scope.tx)
            .await
            .map_err(|e| on_unique(e, "household_exists"))?;
        let added = self.views(vec![row]).await?.pop().ok_or_else(corrupt)?;
        self.scope
            .oplog()
            .record(
                "household.added",
                "household",
                Some(added.id),
                None,
                serde_json::to_value(&added).ok(),
            )
            .await?;
        Ok(added)
    }

    /// Imports a register file into `unit`: every row checked, nothing written if any is bad.
    pub async fn import(
        &self,
        unit: &UnitView,
        rows: &[HouseholdRow],
        unreadable: Vec<RowError>,
        seal: &Seal<'_>,
        now: DateTime<Utc>,
    ) -> Result<HouseholdImportReport> {
        if unit.archived {
            return Err(StorageError::field("unit", "unit_archived"));
        }
        let on_record: HashSet<String> = household::Entity::find()
            .filter(household::Column::TenantId.eq(self.tenant()))
            .filter(household::Column::UnitId.eq(unit.id.0))
            .select_only()
            .column(household::Column::AddressKey)
            .into_tuple::<String>()
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .collect();
        let plan = import_plan(plan_household_import(rows, &on_record), unreadable)?;
        let report = HouseholdImportReport {
            created: plan.creates.len(),
            unchanged: plan.unchanged,
        };
        let models = plan
            .creates
            .into_iter()
            .map(|h| self.model(unit.id, h, seal, now))
            .collect::<Result<Vec<_>>>()?;
        let mut models = models.into_iter().peekable();
        while models.peek().is_some() {
            let chunk: Vec<_> = models.by_ref().take(INSERT_CHUNK).collect();
            household::Entity::insert_many(chunk)
                .exec_without_returning(&self.scope.tx)
                .await?;
        }
        self.scope
            .oplog()
            .record(
                "households.imported",
                "unit",
                Some(unit.id.0),
                None,
                serde_json::to_value(&report).ok(),
            )
            .await?;
        Ok(report)
    }

    /// A page of a community's register, by address (then id), after `cursor`.
    pub async fn list(
        &self,
        unit: UnitId,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<(Vec<HouseholdView>, Option<String>)> {
        let mut select = household::Entity::find()
            .filter(household::Column::TenantId.eq(self.tenant()))
            .filter(household::Column::UnitId.eq(unit.0));
        if let Some(cursor) = cursor {
            let (address, id) = decode_text_cursor(cursor)?;
            select = select.filter(
                Condition::any()
                    .add(household::Column::Address.gt(address.clone()))
                    .add(
                        Condition::all()
                            .add(household::Column::Address.eq(address))
                            .add(household::Column::Id.gt(id)),
                    ),
            );
        }
        let rows = select
            .order_by_asc(household::Column::Address)
            .order_by_asc(household::Column::Id)
            .limit(limit + 1)
            .all(&self.scope.tx)
            .await?;
        let (rows, next) = page(rows, limit, |h| encode_text_cursor(&h.address, h.id));
        Ok((self.views(rows).await?, next))
    }

    async fn views(&self, rows: Vec<household::Model>) -> Result<Vec<HouseholdView>> {
        let ids: Vec<Uuid> = rows.iter().map(|h| h.id).collect();
        let mut visits: HashMap<Uuid, u64> = HashMap::new();
        if !ids.is_empty() {
            for (id,) in visit_household::Entity::find()
                .filter(visit_household::Column::TenantId.eq(self.tenant()))
                .filter(visit_household::Column::HouseholdId.is_in(ids))
                .select_only()
                .column(visit_household::Column::HouseholdId)
                .into_tuple::<(Uuid,)>()
                .all(&self.scope.tx)
                .await?
            {
                *visits.entry(id).or_default() += 1;
            }
        }
        rows.into_iter()
            .map(|h| {
                Ok(HouseholdView {
                    id: h.id,
                    unit_id: UnitId(h.unit_id),
                    address: h.address,
                    head_name: h.head_name,
                    phone: h.phone_masked,
                    flags: serde_json::from_str(&h.flags).map_err(|_| corrupt())?,
                    members: h.members.map(|m| m as u32),
                    visits: visits.get(&h.id).copied().unwrap_or(0),
                })
            })
            .collect()
    }

    /// Records which households of the visit's community took part in a visit within `reach`
    /// that has started (replacing the list before; the visit is then held).
    pub async fn record_at_visit(
        &self,
        visit_id: Uuid,
        reach: &Reach,
        households: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let found = self.scope.visits().visit_within(visit_id, reach).await?;
        let status = VisitStatus::parse(&found.status).map_err(|_| corrupt())?;
        let kind = VisitKind::parse(&found.kind).map_err(|_| corrupt())?;
        let next = step_of(kind, status, VisitStep::Record, found.starts_at <= now)?;
        let wanted: HashSet<Uuid> = households.iter().copied().collect();
        let known = if wanted.is_empty() {
            0
        } else {
            household::Entity::find()
                .filter(household::Column::TenantId.eq(self.tenant()))
                .filter(household::Column::UnitId.eq(found.unit_id))
                .filter(household::Column::Id.is_in(wanted.iter().copied()))
                .count(&self.scope.tx)
                .await? as usize
        };
        if known != wanted.len() {
            return Err(StorageError::field("households", "unknown_household"));
        }
        visit_household::Entity::delete_many()
            .filter(visit_household::Column::TenantId.eq(self.tenant()))
            .filter(visit_household::Column::VisitId.eq(visit_id))
            .exec(&self.scope.tx)
            .await?;
        if !wanted.is_empty() {
            visit_household::Entity::insert_many(wanted.iter().map(|h| {
                visit_household::ActiveModel {
                    tenant_id: Set(self.tenant()),
                    visit_id: Set(visit_id),
                    household_id: Set(*h),
                }
            }))
            .exec_without_returning(&self.scope.tx)
            .await?;
        }
        if next != status {
            let mut active: visit::ActiveModel = found.into();
            active.status = Set(next.as_str().to_owned());
            active.updated_at = Set(now);
            visit::Entity::update(active).exec(&self.scope.tx).await?;
        }
        self.scope
            .oplog()
            .record(
                "visit.households_recorded",
                "visit",
                Some(visit_id),
                None,
                Some(serde_json::json!({ "households": wanted.len() })),
            )
            .await?;
        Ok(wanted.len())
    }

    /// The coverage of `root`'s subtree: its households, and those that took part in a held
    /// visit starting in `[from, to)` — counted by the database per community (a province holds
    /// millions of households; none of them is read here).
    pub async fn coverage(
        &self,
        root: &UnitPath,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<HouseholdCoverage> {
        let within = [
            self.tenant().into(),
            root.as_str().into(),
            root.subtree_upper_bound().into(),
        ];
        let totals = self
            .scope
            .tx
            .query_all_raw(self.scope.statement(
                "SELECT h.unit_id AS unit_id, u.name AS name, COUNT(*) AS n \
                 FROM households h JOIN units u ON u.tenant_id = h.tenant_id AND u.id = h.unit_id \
                 WHERE h.tenant_id = $1 AND u.path >= $2 AND u.path < $3 \
                 GROUP BY h.unit_id, u.name",
                within.clone(),
            ))
            .await?;
        let reached_rows = self
            .scope
            .tx
            .query_all_raw(self.scope.statement(
                "SELECT h.unit_id AS unit_id, COUNT(DISTINCT h.id) AS n \
                 FROM visit_households vh \
                 JOIN visits v ON v.tenant_id = vh.tenant_id AND v.id = vh.visit_id \
                 JOIN households h ON h.tenant_id = vh.tenant_id AND h.id = vh.household_id \
                 JOIN units u ON u.tenant_id = h.tenant_id AND u.id = h.unit_id \
                 WHERE vh.tenant_id = $1 AND u.path >= $2 AND u.path < $3 \
                 AND v.status = $4 AND v.starts_at >= $5 AND v.starts_at < $6 \
                 GROUP BY h.unit_id",
                within.into_iter().chain([
                    VisitStatus::Held.as_str().into(),
                    from.into(),
                    to.into(),
                ]),
            ))
            .await?;
        let mut reached: HashMap<Uuid, u64> = HashMap::new();
        for r in &reached_rows {
            reached.insert(r.try_get("", "unit_id")?, r.try_get::<i64>("", "n")? as u64);
        }
        let mut units = totals
            .iter()
            .map(|r| {
                let id: Uuid = r.try_get("", "unit_id")?;
                let households = r.try_get::<i64>("", "n")? as u64;
                let reached = reached.get(&id).copied().unwrap_or(0);
                Ok(UnitCoverage {
                    unit_id: UnitId(id),
                    name: r.try_get("", "name")?,
                    households,
                    reached,
                    per_mille: coverage_per_mille(households, reached),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        units.sort_by(|a, b| a.per_mille.cmp(&b.per_mille).then(a.name.cmp(&b.name)));
        let households = units.iter().map(|u| u.households).sum();
        let reached = units.iter().map(|u| u.reached).sum();
        Ok(HouseholdCoverage {
            households,
            reached,
            per_mille: coverage_per_mille(households, reached),
            units,
        })
    }
}
