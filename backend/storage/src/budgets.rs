//! Budgets: each unit's allocation per fiscal year (line items), its expenditures with their
//! vouchers, corrections, and roll-ups over a subtree. Nothing here updates or deletes a row
//! (the tables refuse it): a mistake is reversed by a correction that names what it corrects.
//!
//! Spending is checked against the unit's allocation under a lock on the unit's row
//! (PostgreSQL; SQLite writers are serial), so two recorders cannot both spend the last yuan.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use minqing_domain::UnitId;
use minqing_domain::access::Reach;
use minqing_domain::budget::{
    Fen, OperationsRules, Overspend, Totals, ValidCorrection, ValidExpenditure, ValidLine,
    check_correction, check_spend, roll_up,
};
use minqing_domain::demand::attachment::{MAX_ATTACHMENT_BYTES, clean_file_name, sniff_media_type};
use minqing_domain::unit::UnitPath;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use sha2::Digest;
use uuid::Uuid;

use crate::entities::{budget_line, demand, expenditure, expenditure_voucher, tenant, unit};
use crate::error::{Result, StorageError};
use crate::scope::TenantScope;
use crate::units::{UnitView, subtree};

/// An amount as the API shows it: fen for machines, yuan for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    pub fen: i64,
    /// e.g. ¥2,200,000.00
    #[serde(serialize_with = "yuan")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub yuan: Fen,
}

fn yuan<S: serde::Serializer>(fen: &Fen, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(fen)
}

impl From<Fen> for Money {
    fn from(fen: Fen) -> Self {
        Money {
            fen: fen.0,
            yuan: fen,
        }
    }
}

impl From<i64> for Money {
    fn from(fen: i64) -> Self {
        Fen(fen).into()
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineView {
    pub id: Uuid,
    pub unit_id: UnitId,
    pub fiscal_year: i32,
    pub item: String,
    /// Negative for a correction.
    pub amount: Money,
    pub note: Option<String>,
    /// The line this one corrects.
    pub corrects: Option<Uuid>,
    /// How much of this line later corrections reversed.
    pub reversed: Money,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoucherView {
    pub id: Uuid,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExpenditureView {
    pub id: Uuid,
    pub unit_id: UnitId,
    pub fiscal_year: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub spent_on: NaiveDate,
    pub payee: String,
    pub purpose: String,
    /// Negative for a correction.
    pub amount: Money,
    pub demand_id: Option<Uuid>,
    pub project: Option<String>,
    pub category: Option<String>,
    /// Who approved spending beyond the allocation.
    pub approved_by: Option<String>,
    pub corrects: Option<Uuid>,
    /// Why a correction was made.
    pub reason: Option<String>,
    pub reversed: Money,
    pub vouchers: Vec<VoucherView>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A unit's money for one fiscal year.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitBudget {
    pub unit_id: UnitId,
    pub fiscal_year: i32,
    #[serde(flatten)]
    pub balance: Balance,
    /// Oldest first; corrections follow what they correct.
    pub lines: Vec<LineView>,
    pub expenditures: Vec<ExpenditureView>,
}

/// One row of a roll-up: the root's own money, or one child's whole subtree.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RollUpRow {
    pub unit_id: UnitId,
    pub name: String,
    pub code: Option<String>,
    /// True for the root's own row (its money only, not its children's).
    pub own: bool,
    #[serde(flatten)]
    pub balance: Balance,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategorySpend {
    /// A demand category key; `null` for spending with none.
    pub category: Option<String>,
    pub spent: Money,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RollUp {
    pub unit_id: UnitId,
    pub fiscal_year: i32,
    pub total: Balance,
    pub rows: Vec<RollUpRow>,
    /// Spending per demand category over the subtree, largest first.
    pub by_category: Vec<CategorySpend>,
}

/// Money allocated, spent (net of corrections) and left.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Balance {
    pub allocated: Money,
    pub spent: Money,
    /// Negative when spending passed the allocation with approval.
    pub remaining: Money,
}

impl From<Totals> for Balance {
    fn from(t: Totals) -> Self {
        Balance {
            allocated: t.allocated.into(),
            spent: t.spent.into(),
            remaining: Fen(t.allocated.0 - t.spent.0).into(),
        }
    }
}

/// An expenditure with its unit, for exports.
#[derive(Debug, Clone)]
pub struct ExpenditureRow {
    pub unit_name: String,
    pub unit_code: Option<String>,
    pub expenditure: ExpenditureView,
}

/// Who spends and what they may do beyond the allocation.
pub struct Spender<'a> {
    /// The caller may approve spending beyond an allocation here.
    pub may_approve: bool,
    /// Demands the caller may read: a linked demand must be one of them.
    pub demands: &'a Reach,
    /// The tenant's demand category keys.
    pub categories: &'a [String],
}

pub struct Budgets<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn budgets(&self) -> Budgets<'_> {
        Budgets { scope: self }
    }
}

fn line_view(m: budget_line::Model, reversed: i64) -> LineView {
    LineView {
        id: m.id,
        unit_id: UnitId(m.unit_id),
        fiscal_year: m.fiscal_year,
        item: m.item,
        amount: m.amount_fen.into(),
        note: m.note,
        corrects: m.corrects,
        reversed: reversed.into(),
        recorded_by: m.recorded_by,
        recorded_at: m.recorded_at,
    }
}

fn voucher_view(m: expenditure_voucher::Model) -> VoucherView {
    VoucherView {
        id: m.id,
        file_name: m.file_name,
        media_type: m.media_type,
        size: m.size,
        sha256: m.sha256,
        uploaded_by: m.uploaded_by,
        uploaded_at: m.uploaded_at,
    }
}

fn expenditure_view(
    m: expenditure::Model,
    reversed: i64,
    vouchers: Vec<VoucherView>,
) -> ExpenditureView {
    ExpenditureView {
        id: m.id,
        unit_id: UnitId(m.unit_id),
        fiscal_year: m.fiscal_year,
        spent_on: m.spent_on,
        payee: m.payee,
        purpose: m.purpose,
        amount: m.amount_fen.into(),
        demand_id: m.demand_id,
        project: m.project,
        category: m.category,
        approved_by: m.approved_by,
        corrects: m.corrects,
        reason: m.reason,
        reversed: reversed.into(),
        vouchers,
        recorded_by: m.recorded_by,
        recorded_at: m.recorded_at,
    }
}

/// How much of each original corrections reversed (corrections are negative).
fn reversals(rows: impl Iterator<Item = (Option<Uuid>, i64)>) -> HashMap<Uuid, i64> {
    let mut out = HashMap::new();
    for (corrects, amount) in rows {
        if let Some(original) = corrects {
            *out.entry(original).or_insert(0) -= amount;
        }
    }
    out
}

fn json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

impl Budgets<'_> {
    fn tenant(&self) -> Uuid {
        self.scope.tenant().0
    }

    fn actor(&self) -> String {
        self.scope.audit.username.clone()
    }

    /// The tenant's programme-operations rules.
    pub async fn rules(&self) -> Result<OperationsRules> {
        let stored = tenant::Entity::find_by_id(self.tenant())
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?
            .operations_rules;
        Ok(stored
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    pub async fn set_rules(&self, rules: &OperationsRules) -> Result<OperationsRules> {
        let before = self.rules().await?;
        tenant::Entity::update_many()
            .col_expr(
                tenant::Column::OperationsRules,
                sea_orm::sea_query::Expr::value(serde_json::to_string(rules).ok()),
            )
            .filter(tenant::Column::Id.eq(self.tenant()))
            .exec(&self.scope.tx)
            .await?;
        self.scope
            .oplog()
            .record(
                "operations_rules.updated",
                "tenant",
                Some(self.tenant()),
                json(&before),
                json(rules),
            )
            .await?;
        Ok(rules.clone())
    }

    /// Serialises spending decisions about one unit until the transaction ends.
    async fn lock_unit(&self, unit: UnitId) -> Result<()> {
        if self.scope.backend() == DbBackend::Postgres {
            self.scope
                .tx
                .execute_raw(self.scope.statement(
                    "SELECT 1 FROM units WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
                    [self.tenant().into(), unit.0.into()],
                ))
                .await?;
        }
        Ok(())
    }

    async fn lines_of(&self, unit: UnitId, year: i32) -> Result<Vec<budget_line::Model>> {
        Ok(budget_line::Entity::find()
            .filter(budget_line::Column::TenantId.eq(self.tenant()))
            .filter(budget_line::Column::UnitId.eq(unit.0))
            .filter(budget_line::Column::FiscalYear.eq(year))
            .order_by_asc(budget_line::Column::RecordedAt)
            .order_by_asc(budget_line::Column::Id)
            .all(&self.scope.tx)
            .await?)
    }

    async fn expenditures_of(&self, unit: UnitId, year: i32) -> Result<Vec<expenditure::Model>> {
        Ok(expenditure::Entity::find()
            .filter(expenditure::Column::TenantId.eq(self.tenant()))
            .filter(expenditure::Column::UnitId.eq(unit.0))
            .filter(expenditure::Column::FiscalYear.eq(year))
            .order_by_asc(expenditure::Column::SpentOn)
            .order_by_asc(expenditure::Column::RecordedAt)
            .order_by_asc(expenditure::Column::Id)
            .all(&self.scope.tx)
            .await?)
    }

    /// The vouchers of `expenditures`, by expenditure.
    async fn vouchers_of(&self, expenditures: &[Uuid]) -> Result<HashMap<Uuid, Vec<VoucherView>>> {
        let mut out: HashMap<Uuid, Vec<VoucherView>> = HashMap::new();
        if expenditures.is_empty() {
            return Ok(out);
        }
        let rows = expenditure_voucher::Entity::find()
            .select_only()
            // The content stays in the database until someone downloads it.
            .columns([
                expenditure_voucher::Column::ExpenditureId,
                expenditure_voucher::Column::Id,
                expenditure_voucher::Column::FileName,
                expenditure_voucher::Column::MediaType,
                expenditure_voucher::Column::Size,
                expenditure_voucher::Column::Sha256,
                expenditure_voucher::Column::UploadedBy,
                expenditure_voucher::Column::UploadedAt,
            ])
            .filter(expenditure_voucher::Column::TenantId.eq(self.tenant()))
            .filter(expenditure_voucher::Column::ExpenditureId.is_in(expenditures.to_vec()))
            .order_by_asc(expenditure_voucher::Column::UploadedAt)
            .into_tuple::<(
                Uuid,
                Uuid,
                String,
                String,
                i64,
                String,
                String,
                DateTime<Utc>,
            )>()
            .all(&self.scope.tx)
            .await?;
        for (expenditure_id, id, file_name, media_type, size, sha256, uploaded_by, uploaded_at) in
            rows
        {
            out.entry(expenditure_id).or_default().push(VoucherView {
                id,
                file_name,
                media_type,
                size,
                sha256,
                uploaded_by,
                uploaded_at,
            });
        }
        Ok(out)
    }

    fn totals(lines: &[budget_line::Model], spending: &[expenditure::Model]) -> Totals {
        Totals {
            allocated: Fen(lines.iter().map(|l| l.amount_fen).sum()),
            spent: Fen(spending.iter().map(|e| e.amount_fen).sum()),
        }
    }

    /// A unit's allocation and spending for `year`.
    pub async fn unit_budget(&self, unit: &UnitView, year: i32) -> Result<UnitBudget> {
        let lines = self.lines_of(unit.id, year).await?;
        let spending = self.expenditures_of(unit.id, year).await?;
        let totals = Self::totals(&lines, &spending);
        let line_reversed = reversals(lines.iter().map(|l| (l.corrects, l.amount_fen)));
        let spent_reversed = reversals(spending.iter().map(|e| (e.corrects, e.amount_fen)));
        let ids: Vec<Uuid> = spending.iter().map(|e| e.id).collect();
        let mut vouchers = self.vouchers_of(&ids).await?;
        Ok(UnitBudget {
            unit_id: unit.id,
            fiscal_year: year,
            balance: totals.into(),
            lines: lines
                .into_iter()
                .map(|l| {
                    let reversed = line_reversed.get(&l.id).copied().unwrap_or(0);
                    line_view(l, reversed)
                })
                .collect(),
            expenditures: spending
                .into_iter()
                .map(|e| {
                    let reversed = spent_reversed.get(&e.id).copied().unwrap_or(0);
                    let files = vouchers.remove(&e.id).unwrap_or_default();
                    expenditure_view(e, reversed, files)
                })
                .collect(),
        })
    }

    /// Adds a line to a unit's allocation.
    pub async fn add_line(&self, unit: &UnitView, line: ValidLine) -> Result<LineView> {
        if unit.archived {
            return Err(StorageError::field("unit", "unit_archived"));
        }
        let model = budget_line::Entity::insert(budget_line::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            unit_id: Set(unit.id.0),
            fiscal_year: Set(line.fiscal_year),
            item: Set(line.item),
            amount_fen: Set(line.amount.0),
            note: Set(line.note),
            corrects: Set(None),
            recorded_by: Set(self.actor()),
            recorded_at: Set(crate::now()),
        })
        .exec_with_returning(&self.scope.tx)
        .await?;
        let view = line_view(model, 0);
        self.scope
            .oplog()
            .record(
                "budget_line.added",
                "budget_line",
                Some(view.id),
                None,
                json(&view),
            )
            .await?;
        Ok(view)
    }

    /// A row's unit, when the unit lies within `reach`; otherwise the row does not exist.
    async fn unit_within(&self, unit: Uuid, reach: &Reach) -> Result<UnitView> {
        self.scope.units().get_within(UnitId(unit), reach).await
    }

    /// Reverses `correction.amount` of a line within `reach`. The allocation may not fall below
    /// what the unit has already spent that year.
    pub async fn correct_line(
        &self,
        id: Uuid,
        reach: &Reach,
        correction: ValidCorrection,
    ) -> Result<LineView> {
        let original = budget_line::Entity::find_by_id(id)
            .filter(budget_line::Column::TenantId.eq(self.tenant()))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        let unit = self.unit_within(original.unit_id, reach).await?;
        if original.corrects.is_some() {
            return Err(StorageError::conflict("correction_not_correctable"));
        }
        self.lock_unit(unit.id).await?;
        let lines = self.lines_of(unit.id, original.fiscal_year).await?;
        let spending = self.expenditures_of(unit.id, original.fiscal_year).await?;
        let reversed = reversals(lines.iter().map(|l| (l.corrects, l.amount_fen)));
        let done = Fen(reversed.get(&id).copied().unwrap_or(0));
        check_correction(Fen(original.amount_fen), done, correction.amount)?;
        let totals = Self::totals(&lines, &spending);
        if totals.allocated.0 - correction.amount.0 < totals.spent.0 {
            return Err(StorageError::conflict("allocation_below_spending"));
        }
        let model = budget_line::Entity::insert(budget_line::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            unit_id: Set(original.unit_id),
            fiscal_year: Set(original.fiscal_year),
            item: Set(original.item.clone()),
            amount_fen: Set(-correction.amount.0),
            note: Set(Some(correction.reason)),
            corrects: Set(Some(id)),
            recorded_by: Set(self.actor()),
            recorded_at: Set(crate::now()),
        })
        .exec_with_returning(&self.scope.tx)
        .await?;
        let view = line_view(model, 0);
        self.scope
            .oplog()
            .record(
                "budget_line.corrected",
                "budget_line",
                Some(id),
                json(&line_view(original, done.0)),
                json(&view),
            )
            .await?;
        Ok(view)
    }

    /// The category of a linked demand the spender may read.
    async fn demand_category(&self, id: Uuid, reach: &Reach) -> Result<String> {
        let found = demand::Entity::find_by_id(id)
            .filter(demand::Column::TenantId.eq(self.tenant()))
            .one(&self.scope.tx)
            .await?;
        match found {
            Some(d)
                if reach.covers(&UnitPath::from_stored(d.origin_path.clone()))
                    || reach.covers(&UnitPath::from_stored(d.handling_path.clone())) =>
            {
                Ok(d.category)
            }
            _ => Err(StorageError::field("demand_id", "unknown_demand")),
        }
    }

    /// Records money a unit spent, checked against its allocation for the year by the
    /// tenant's overspend rule.
    pub async fn spend(
        &self,
        unit: &UnitView,
        spending: ValidExpenditure,
        spender: &Spender<'_>,
    ) -> Result<ExpenditureView> {
        if unit.archived {
            return Err(StorageError::field("unit", "unit_archived"));
        }
        let category = match (spending.demand_id, &spending.category) {
            (Some(demand), _) => Some(self.demand_category(demand, spender.demands).await?),
            (None, Some(c)) if !spender.categories.contains(c) => {
                return Err(StorageError::field("category", "unknown_category"));
            }
            (None, c) => c.clone(),
        };
        if spending.approve && !spender.may_approve {
            return Err(StorageError::Forbidden);
        }
        let rules = self.rules().await?;
        self.lock_unit(unit.id).await?;
        let lines = self.lines_of(unit.id, spending.fiscal_year).await?;
        let spent = self.expenditures_of(unit.id, spending.fiscal_year).await?;
        let totals = Self::totals(&lines, &spent);
        check_spend(
            totals.allocated,
            totals.spent,
            spending.amount,
            rules.overspend,
            spending.approve,
        )?;
        let beyond = totals.spent.0 + spending.amount.0 > totals.allocated.0;
        let approved_by =
            (beyond && rules.overspend == Overspend::AllowWithApproval).then(|| self.actor());
        let model = expenditure::Entity::insert(expenditure::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            unit_id: Set(unit.id.0),
            fiscal_year: Set(spending.fiscal_year),
            spent_on: Set(spending.spent_on),
            payee: Set(spending.payee),
            purpose: Set(spending.purpose),
            amount_fen: Set(spending.amount.0),
            demand_id: Set(spending.demand_id),
            project: Set(spending.project),
            category: Set(category),
            approved_by: Set(approved_by),
            corrects: Set(None),
            reason: Set(None),
            recorded_by: Set(self.actor()),
            recorded_at: Set(crate::now()),
        })
        .exec_with_returning(&self.scope.tx)
        .await?;
        let view = expenditure_view(model, 0, Vec::new());
        self.scope
            .oplog()
            .record(
                "expenditure.recorded",
                "expenditure",
                Some(view.id),
                None,
                json(&view),
            )
            .await?;
        Ok(view)
    }

    async fn expenditure_within(&self, id: Uuid, reach: &Reach) -> Result<expenditure::Model> {
        let found = expenditure::Entity::find_by_id(id)
            .filter(expenditure::Column::TenantId.eq(self.tenant()))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        self.unit_within(found.unit_id, reach).await?;
        Ok(found)
    }

    /// Reverses `correction.amount` of an expenditure within `reach`.
    pub async fn correct_expenditure(
        &self,
        id: Uuid,
        reach: &Reach,
        correction: ValidCorrection,
    ) -> Result<ExpenditureView> {
        let original = self.expenditure_within(id, reach).await?;
        if original.corrects.is_some() {
            return Err(StorageError::conflict("correction_not_correctable"));
        }
        self.lock_unit(UnitId(original.unit_id)).await?;
        let done: i64 = expenditure::Entity::find()
            .filter(expenditure::Column::TenantId.eq(self.tenant()))
            .filter(expenditure::Column::Corrects.eq(id))
            .all(&self.scope.tx)
            .await?
            .iter()
            .map(|c| -c.amount_fen)
            .sum();
        check_correction(Fen(original.amount_fen), Fen(done), correction.amount)?;
        let model = expenditure::Entity::insert(expenditure::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            unit_id: Set(original.unit_id),
            fiscal_year: Set(original.fiscal_year),
            spent_on: Set(original.spent_on),
            payee: Set(original.payee.clone()),
            purpose: Set(original.purpose.clone()),
            amount_fen: Set(-correction.amount.0),
            demand_id: Set(original.demand_id),
            project: Set(original.project.clone()),
            category: Set(original.category.clone()),
            approved_by: Set(None),
            corrects: Set(Some(id)),
            reason: Set(Some(correction.reason)),
            recorded_by: Set(self.actor()),
            recorded_at: Set(crate::now()),
        })
        .exec_with_returning(&self.scope.tx)
        .await?;
        let view = expenditure_view(model, 0, Vec::new());
        self.scope
            .oplog()
            .record(
                "expenditure.corrected",
                "expenditure",
                Some(id),
                json(&expenditure_view(original, done, Vec::new())),
                json(&view),
            )
            .await?;
        Ok(view)
    }

    /// Files a voucher (an image or PDF of at most 10 MB, recognised by its content) with an
    /// expenditure within `reach`.
    pub async fn add_voucher(
        &self,
        id: Uuid,
        reach: &Reach,
        file_name: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<VoucherView> {
        self.expenditure_within(id, reach).await?;
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(StorageError::field("file", "attachment_too_large"));
        }
        let media_type = sniff_media_type(&bytes).map_err(|c| StorageError::field("file", c))?;
        let model = expenditure_voucher::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            expenditure_id: Set(id),
            file_name: Set(clean_file_name(file_name)),
            media_type: Set(media_type.to_owned()),
            size: Set(bytes.len() as i64),
            sha256: Set(hex::encode(sha2::Sha256::digest(&bytes))),
            content: Set(bytes),
            uploaded_by: Set(self.actor()),
            uploaded_at: Set(crate::now()),
        };
        let view = voucher_view(
            expenditure_voucher::Entity::insert(model)
                .exec_with_returning(&self.scope.tx)
                .await?,
        );
        self.scope
            .oplog()
            .record(
                "expenditure.voucher_added",
                "expenditure",
                Some(id),
                None,
                json(&view),
            )
            .await?;
        Ok(view)
    }

    /// A voucher's file: (name, media type, content).
    pub async fn voucher(
        &self,
        id: Uuid,
        voucher: Uuid,
        reach: &Reach,
    ) -> Result<(String, String, Vec<u8>)> {
        self.expenditure_within(id, reach).await?;
        let found = expenditure_voucher::Entity::find_by_id(voucher)
            .filter(expenditure_voucher::Column::TenantId.eq(self.tenant()))
            .filter(expenditure_voucher::Column::ExpenditureId.eq(id))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        Ok((found.file_name, found.media_type, found.content))
    }

    /// Sums of `table`'s `amount_fen` in `root`'s subtree for `year`, grouped by `by`.
    async fn sums(
        &self,
        table: &str,
        by: &str,
        root: &UnitPath,
        year: i32,
    ) -> Result<Vec<(Option<String>, i64)>> {
        let sql = format!(
            "SELECT {by} AS key, CAST(SUM(x.amount_fen) AS BIGINT) AS total \
             FROM {table} x JOIN units u ON u.tenant_id = x.tenant_id AND u.id = x.unit_id \
             WHERE x.tenant_id = $1 AND x.fiscal_year = $2 AND u.path >= $3 AND u.path < $4 \
             GROUP BY {by}"
        );
        let rows = self
            .scope
            .tx
            .query_all_raw(self.scope.statement(
                &sql,
                [
                    self.tenant().into(),
                    year.into(),
                    root.as_str().into(),
                    root.subtree_upper_bound().into(),
                ],
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<Option<String>>("", "key")?,
                    r.try_get::<i64>("", "total")?,
                ))
            })
            .collect()
    }

    /// The money of `root`'s subtree for `year`: the root's own, each child's subtree, the
    /// total, and spending per demand category.
    pub async fn roll_up(&self, root: &UnitView, year: i32) -> Result<RollUp> {
        let children: Vec<UnitView> = unit::Entity::find()
            .filter(unit::Column::TenantId.eq(self.tenant()))
            .filter(unit::Column::ParentId.eq(root.id.0))
            .order_by_asc(unit::Column::Code)
            .order_by_asc(unit::Column::Name)
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(UnitView::from)
            .collect();
        let mut per_unit: HashMap<String, Totals> = HashMap::new();
        for (path, fen) in self
            .sums("budget_lines", "u.path", &root.path, year)
            .await?
        {
            per_unit
                .entry(path.unwrap_or_default())
                .or_default()
                .allocated = Fen(fen);
        }
        for (path, fen) in self
            .sums("expenditures", "u.path", &root.path, year)
            .await?
        {
            per_unit.entry(path.unwrap_or_default()).or_default().spent = Fen(fen);
        }
        let per_unit: Vec<(UnitPath, Totals)> = per_unit
            .into_iter()
            .map(|(p, t)| (UnitPath::from_stored(p), t))
            .collect();
        let paths: Vec<UnitPath> = children.iter().map(|c| c.path.clone()).collect();
        let (total, parts) = roll_up(&root.path, &paths, &per_unit);
        let row = |u: &UnitView, own: bool, t: Totals| RollUpRow {
            unit_id: u.id,
            name: u.name.clone(),
            code: u.code.clone(),
            own,
            balance: t.into(),
        };
        let mut rows = vec![row(root, true, parts[0])];
        rows.extend(
            children
                .iter()
                .zip(&parts[1..])
                .map(|(c, t)| row(c, false, *t)),
        );
        let mut by_category: Vec<CategorySpend> = self
            .sums("expenditures", "x.category", &root.path, year)
            .await?
            .into_iter()
            .map(|(category, fen)| CategorySpend {
                category,
                spent: fen.into(),
            })
            .collect();
        by_category.sort_by(|a, b| {
            b.spent
                .fen
                .cmp(&a.spent.fen)
                .then(a.category.cmp(&b.category))
        });
        Ok(RollUp {
            unit_id: root.id,
            fiscal_year: year,
            total: total.into(),
            rows,
            by_category,
        })
    }

    /// Every expenditure (and correction) of `root`'s subtree for `year`, by date.
    pub async fn expenditures_within(
        &self,
        root: &UnitPath,
        year: i32,
    ) -> Result<Vec<ExpenditureRow>> {
        let units_in = Query::select()
            .column(unit::Column::Id)
            .from(unit::Entity)
            .and_where(unit::Column::TenantId.eq(self.tenant()))
            .cond_where(subtree(unit::Column::Path, root))
            .to_owned();
        let spending = expenditure::Entity::find()
            .filter(expenditure::Column::TenantId.eq(self.tenant()))
            .filter(expenditure::Column::FiscalYear.eq(year))
            .filter(expenditure::Column::UnitId.in_subquery(units_in))
            .order_by_asc(expenditure::Column::SpentOn)
            .order_by_asc(expenditure::Column::RecordedAt)
            .order_by_asc(expenditure::Column::Id)
            .all(&self.scope.tx)
            .await?;
        let unit_ids: Vec<Uuid> = spending.iter().map(|e| e.unit_id).collect();
        let units: HashMap<Uuid, unit::Model> = unit::Entity::find()
            .filter(unit::Column::TenantId.eq(self.tenant()))
            .filter(unit::Column::Id.is_in(unit_ids))
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let reversed = reversals(spending.iter().map(|e| (e.corrects, e.amount_fen)));
        Ok(spending
            .into_iter()
            .map(|e| {
                let unit = units.get(&e.unit_id);
                ExpenditureRow {
                    unit_name: unit.map(|u| u.name.clone()).unwrap_or_default(),
                    unit_code: unit.and_then(|u| u.code.clone()),
                    expenditure: {
                        let done = reversed.get(&e.id).copied().unwrap_or(0);
                        expenditure_view(e, done, Vec::new())
                    },
                }
            })
            .collect())
    }
}
