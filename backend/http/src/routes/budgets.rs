//! Budgets (经费): a unit's allocation per fiscal year and its spending, corrections (nothing is
//! edited or deleted), vouchers, roll-ups over a subtree with spending per demand category, the
//! spending ledger as XLSX/CSV, and the tenant's operations rules (the overspend rule).
//!
//! Administrators allocate; cadres record spending in their subtree; leaders approve spending
//! beyond an allocation where the tenant allows it; auditors and leaders read.
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use minqing_domain::access::{DemandAccess, Permission};
use minqing_domain::budget::{
    CorrectionForm, ExpenditureForm, FISCAL_YEARS, LineForm, OperationsRules,
};
use minqing_storage::budgets::{
    ExpenditureView, LineView, RollUp, Spender, UnitBudget, VoucherView,
};
use minqing_storage::ledger_export::Sheet;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::export::{ExportFormat, SpreadsheetFile, filed_file, spreadsheet};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, ImportFile, NotFound, PayloadTooLarge,
    Unauthorized, Unprocessable,
};
use crate::routes::councils::{today, unit_for};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    /// The fiscal year (the calendar year); this year by default.
    pub year: Option<i32>,
}

fn year_of(state: &AppState, caller: &Caller, asked: Option<i32>) -> ApiResult<i32> {
    use chrono::Datelike;
    let year = asked.unwrap_or_else(|| today(state, caller).year());
    if FISCAL_YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::field("year", "fiscal_year_out_of_range"))
    }
}

/// A unit's budget for a year.
///
/// Its allocation (line by line, with corrections), its spending (with corrections and
/// vouchers) and what remains.
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}/budget",
    tag = "budgets",
    params(("id" = Uuid, Path, description = "The unit's id."), YearQuery),
    responses(
        (status = 200, description = "The unit's budget.", body = UnitBudget),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn unit_budget(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> ApiResult<axum::Json<UnitBudget>> {
    let year = year_of(&state, &caller, query.year)?;
    let scope = caller.read(&state).await?;
    let unit = unit_for(&scope, &caller, id, Permission::ReadBudgets).await?;
    Ok(axum::Json(scope.budgets().unit_budget(&unit, year).await?))
}

/// Allocate money to a unit.
///
/// A line of the unit's allocation for a fiscal year (e.g. 民情家访工作经费 ¥2,200,000). The
/// amount is yuan as a string (`"2,200,000.00"`); money is kept in integer fen. Honours
/// `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/units/{id}/budget/lines",
    tag = "budgets",
    params(("id" = Uuid, Path, description = "The unit's id."), IdempotencyKey),
    request_body = LineForm,
    responses(
        (status = 201, description = "Allocated.", body = LineView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn add_line(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    IdempotentJson {
        body: form,
        idempotency,
    }: IdempotentJson<LineForm>,
) -> ApiResult<Response> {
    caller.reach(Permission::AllocateBudgets)?;
    let line = form.validate()?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let unit = unit_for(&scope, &caller, id, Permission::AllocateBudgets).await?;
    let added = scope.budgets().add_line(&unit, line).await?;
    let response = idempotency
        .answer(&scope, StatusCode::CREATED, &added)
        .await?;
    scope.commit().await?;
    Ok(response)
}

/// Correct an allocation line.
///
/// Reverses part or all of a line with a reason, as a new negative line; the original stays.
/// At most what is left of the line (409 `correction_exceeds_expenditure`), never below what
/// the unit already spent that year (409 `allocation_below_spending`); a correction is not
/// itself corrected (409 `correction_not_correctable`).
#[utoipa::path(
    post,
    path = "/api/v1/budget-lines/{id}/corrections",
    tag = "budgets",
    params(("id" = Uuid, Path, description = "The line's id.")),
    request_body = CorrectionForm,
    responses(
        (status = 201, description = "The correcting line.", body = LineView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn correct_line(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(form): ApiJson<CorrectionForm>,
) -> ApiResult<(StatusCode, axum::Json<LineView>)> {
    let reach = caller.reach(Permission::AllocateBudgets)?;
    let correction = form.validate()?;
    let scope = caller.write(&state).await?;
    let view = scope.budgets().correct_line(id, &reach, correction).await?;
    scope.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// Record spending.
///
/// Dated, with payee and purpose, linked to a demand (its category becomes the spending's) or a
/// named project. Beyond the unit's allocation for the year the tenant's rule decides: 409
/// `budget_exceeded` (refused), or 409 `approval_required` unless `approve` is set by a caller
/// who may approve (a leader; 403 otherwise), whose name is then recorded. Honours
/// `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/units/{id}/budget/expenditures",
    tag = "budgets",
    params(("id" = Uuid, Path, description = "The unit's id."), IdempotencyKey),
    request_body = ExpenditureForm,
    responses(
        (status = 201, description = "Recorded.", body = ExpenditureView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn spend(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    IdempotentJson {
        body: form,
        idempotency,
    }: IdempotentJson<ExpenditureForm>,
) -> ApiResult<Response> {
    caller.reach(Permission::RecordSpending)?;
    let spending = form.validate(today(&state, &caller))?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let unit = unit_for(&scope, &caller, id, Permission::RecordSpending).await?;
    let settings = caller.settings(&state, &scope).await?;
    let categories: Vec<String> = settings.categories.iter().map(|c| c.key.clone()).collect();
    let demands = DemandAccess::of(&caller.actor).read;
    let spender = Spender {
        may_approve: caller
            .actor
            .may_at(Permission::ApproveOverspend, &unit.path),
        demands: &demands,
        categories: &categories,
    };
    let recorded = scope.budgets().spend(&unit, spending, &spender).await?;
    let response = idempotency
        .answer(&scope, StatusCode::CREATED, &recorded)
        .await?;
    scope.commit().await?;
    Ok(response)
}

/// Correct spending.
///
/// Reverses part or all of an expenditure with a reason, as a new negative expenditure; the
/// original stays. At most what is left of it (409 `correction_exceeds_expenditure`).
#[utoipa::path(
    post,
    path = "/api/v1/expenditures/{id}/corrections",
    tag = "budgets",
    params(("id" = Uuid, Path, description = "The expenditure's id.")),
    request_body = CorrectionForm,
    responses(
        (status = 201, description = "The correcting expenditure.", body = ExpenditureView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn correct_expenditure(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(form): ApiJson<CorrectionForm>,
) -> ApiResult<(StatusCode, axum::Json<ExpenditureView>)> {
    let reach = caller.reach(Permission::RecordSpending)?;
    let correction = form.validate()?;
    let scope = caller.write(&state).await?;
    let view = scope
        .budgets()
        .correct_expenditure(id, &reach, correction)
        .await?;
    scope.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// File a voucher.
///
/// A scanned receipt or invoice — an image (JPEG, PNG, GIF, WebP) or a PDF of at most 10 MB,
/// recognised by its content — as a multipart field `file`.
#[utoipa::path(
    post,
    path = "/api/v1/expenditures/{id}/vouchers",
    tag = "budgets",
    params(("id" = Uuid, Path, description = "The expenditure's id.")),
    request_body(content = ImportFile, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Filed.", body = VoucherView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn add_voucher(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    req: Request,
) -> ApiResult<(StatusCode, axum::Json<VoucherView>)> {
    let reach = caller.reach(Permission::RecordSpending)?;
    let (name, bytes) = crate::upload::uploaded_named_file(req).await?;
    let scope = caller.write(&state).await?;
    let view = scope
        .budgets()
        .add_voucher(id, &reach, name.as_deref(), bytes)
        .await?;
    scope.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// Download a voucher.
#[utoipa::path(
    get,
    path = "/api/v1/expenditures/{id}/vouchers/{voucher_id}",
    tag = "budgets",
    params(("id" = Uuid, Path), ("voucher_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The file.", content_type = "application/octet-stream"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_voucher(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, voucher_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let reach = caller.reach(Permission::ReadBudgets)?;
    let scope = caller.read(&state).await?;
    let (name, media_type, bytes) = scope.budgets().voucher(id, voucher_id, &reach).await?;
    Ok(filed_file(&name, "voucher", media_type, bytes))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RollUpQuery {
    /// The unit whose subtree is summed.
    pub within: Uuid,
    /// The fiscal year; this year by default.
    pub year: Option<i32>,
}

/// Budget roll-up of a subtree.
///
/// For a year: the root's own money, each child's whole subtree, the total, and spending per
/// demand category.
#[utoipa::path(
    get,
    path = "/api/v1/budgets/rollup",
    tag = "budgets",
    params(RollUpQuery),
    responses(
        (status = 200, description = "The roll-up.", body = RollUp),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn roll_up(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<RollUpQuery>,
) -> ApiResult<axum::Json<RollUp>> {
    let year = year_of(&state, &caller, query.year)?;
    let scope = caller.read(&state).await?;
    let root = unit_for(&scope, &caller, query.within, Permission::ReadBudgets).await?;
    Ok(axum::Json(scope.budgets().roll_up(&root, year).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SpendingExportQuery {
    pub within: Uuid,
    pub year: Option<i32>,
    /// `xlsx` (the default) or `csv`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

const SPENDING_SHEET: Sheet<'static> = Sheet {
    name: "经费支出",
    headers: &[
        "序号",
        "单位",
        "单位代码",
        "支出日期",
        "收款方",
        "用途",
        "金额(元)",
        "关联诉求",
        "项目",
        "类别",
        "审批人",
        "更正",
        "更正原因",
        "记录人",
    ],
    widths: &[
        6.0, 20.0, 14.0, 12.0, 20.0, 30.0, 14.0, 38.0, 24.0, 12.0, 10.0, 38.0, 20.0, 10.0,
    ],
};

/// Export the spending of a subtree for a year (XLSX or CSV).
///
/// Every expenditure and correction, by date, amounts in yuan with two decimals.
#[utoipa::path(
    get,
    path = "/api/v1/budgets/export",
    tag = "budgets",
    params(SpendingExportQuery),
    responses(
        (status = 200, description = "The file, as an attachment (`spending-YYYY.xlsx`, in Chinese 经费支出-YYYY.xlsx).",
            content(
                (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv; charset=utf-8"),
            )
        ),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn export_spending(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SpendingExportQuery>,
) -> ApiResult<Response> {
    let year = year_of(&state, &caller, query.year)?;
    let scope = caller.read(&state).await?;
    let root = unit_for(&scope, &caller, query.within, Permission::ReadBudgets).await?;
    let spending = scope
        .budgets()
        .expenditures_within(&root.path, year)
        .await?;
    drop(scope);
    let rows: Vec<Vec<String>> = spending
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let e = row.expenditure;
            let text = |v: Option<String>| v.unwrap_or_default();
            vec![
                (i + 1).to_string(),
                row.unit_name,
                text(row.unit_code),
                e.spent_on.to_string(),
                e.payee,
                e.purpose,
                yuan(e.amount.fen),
                text(e.demand_id.map(|d| d.to_string())),
                text(e.project),
                text(e.category),
                text(e.approved_by),
                text(e.corrects.map(|c| c.to_string())),
                text(e.reason),
                e.recorded_by,
            ]
        })
        .collect();
    spreadsheet(
        SPENDING_SHEET,
        rows,
        query.format.unwrap_or(ExportFormat::Xlsx),
        ("spending", "经费支出"),
        &year.to_string(),
    )
    .await
}

/// Fen as a spreadsheet's yuan: `2200000.00`, `-12.30` (no symbol, no separators, so a sheet
/// can sum the column).
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The tenant's operations rules.
#[utoipa::path(
    get,
    path = "/api/v1/operations-rules",
    tag = "budgets",
    responses(
        (status = 200, description = "The rules.", body = OperationsRules),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn get_operations_rules(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<OperationsRules>> {
    caller.reach(Permission::ReadBudgets)?;
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.budgets().rules().await?))
}

/// Set the tenant's operations rules.
///
/// `overspend`: `refuse` (the default) or `allow_with_approval`; `contact_frequency`:
/// `weekly`, `monthly` (the default) or `quarterly`; `notice_lead_hours`: 0–720 (default 24).
/// Needs a grant over the whole tenant.
#[utoipa::path(
    put,
    path = "/api/v1/operations-rules",
    tag = "budgets",
    request_body = OperationsRules,
    responses(
        (status = 200, description = "The rules now.", body = OperationsRules),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn set_operations_rules(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(rules): ApiJson<OperationsRules>,
) -> ApiResult<axum::Json<OperationsRules>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let rules = rules.validate()?;
    let scope = caller.write(&state).await?;
    let set = scope.budgets().set_rules(&rules).await?;
    scope.commit().await?;
    Ok(axum::Json(set))
}

#[cfg(test)]
mod tests {
    #[test]
    fn spreadsheet_amounts_are_plain_yuan() {
        assert_eq!(super::yuan(220_000_000), "2200000.00");
        assert_eq!(super::yuan(-1_230), "-12.30");
        assert_eq!(super::yuan(5), "0.05");
    }
}
