//! Households (住户): a community's register (phones masked), its import from CSV/XLSX, the
//! households that took part in a visit, and the coverage of a subtree — the share of its
//! households that took part in a held visit in a period.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use minqing_domain::access::Permission;
use minqing_domain::household::HouseholdForm;
use minqing_storage::TenantScope;
use minqing_storage::files::read_household_file;
use minqing_storage::households::{HouseholdCoverage, HouseholdImportReport, HouseholdView};
use minqing_storage::units::UnitView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_limit};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, ImportFile, NotFound, PayloadTooLarge,
    Unauthorized, Unprocessable,
};
use crate::routes::ListResponse;
use crate::routes::councils::{seal, today, unit_for};
use crate::routes::demands::{local_midnight, tenant_zone};
use crate::routes::visits::{days_asked, ensure_community};
use crate::state::AppState;

/// The community `id` (in the path) within the caller's reach for `permission`.
async fn community(
    state: &AppState,
    scope: &TenantScope,
    caller: &Caller,
    id: Uuid,
    permission: Permission,
) -> ApiResult<UnitView> {
    let unit = unit_for(scope, caller, id, permission).await?;
    ensure_community(state, scope, caller, &unit).await?;
    Ok(unit)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HouseholdParams {
    /// At most this many (default 50, at most 500).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A community's household register, by address (phones masked).
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}/households",
    tag = "households",
    params(("id" = Uuid, Path, description = "The community's id."), HouseholdParams),
    responses(
        (status = 200, description = "A page of the register; `next_cursor` when more follow.", body = ListResponse<HouseholdView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_households(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(params): ApiQuery<HouseholdParams>,
) -> ApiResult<axum::Json<ListResponse<HouseholdView>>> {
    let limit = page_limit(params.limit)?;
    let scope = caller.read(&state).await?;
    let unit = unit_for(&scope, &caller, id, Permission::ReadUnits).await?;
    let (items, next_cursor) = scope
        .households()
        .list(unit.id, limit, params.cursor.as_deref())
        .await?;
    Ok(axum::Json(ListResponse::new(items, next_cursor)))
}

/// Add a household to a community's register.
///
/// The phone is stored encrypted and shown masked. An address already on the register is a
/// 409 `household_exists`. Honours `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/units/{id}/households",
    tag = "households",
    params(("id" = Uuid, Path, description = "The community's id."), IdempotencyKey),
    request_body = HouseholdForm,
    responses(
        (status = 201, description = "Added.", body = HouseholdView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn add_household(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    IdempotentJson {
        body: form,
        idempotency,
    }: IdempotentJson<HouseholdForm>,
) -> ApiResult<Response> {
    caller.reach(Permission::ManageHouseholds)?;
    let household = form.validate()?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let unit = community(&state, &scope, &caller, id, Permission::ManageHouseholds).await?;
    let seal = seal(&state, &caller, &scope).await?;
    let added = scope
        .households()
        .add(&unit, household, &seal, state.clock.now())
        .await?;
    let response = idempotency
        .answer(&scope, StatusCode::CREATED, &added)
        .await?;
    scope.commit().await?;
    Ok(response)
}

/// Import a community's household register (CSV or XLSX).
///
/// Columns `address,head_name` then, optionally, `phone,flags,members` (or 住址, 户主, 联系电话,
/// 标记, 人数); flags as keys or in Chinese (老年人、空巢老人…). Every row is checked: a file
/// with any bad row imports nothing and the 422 names each bad row. Addresses already on the
/// register are left as they were, so importing twice adds nothing.
#[utoipa::path(
    post,
    path = "/api/v1/units/{id}/households/import",
    tag = "households",
    params(("id" = Uuid, Path, description = "The community's id.")),
    request_body(content = ImportFile, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What the import did.", body = HouseholdImportReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn import_households(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    req: axum::extract::Request,
) -> ApiResult<axum::Json<HouseholdImportReport>> {
    caller.reach(Permission::ManageHouseholds)?;
    let bytes = crate::upload::uploaded_file(req).await?;
    let (rows, unreadable) = read_household_file(&bytes)?;
    let scope = caller.write(&state).await?;
    let unit = community(&state, &scope, &caller, id, Permission::ManageHouseholds).await?;
    let seal = seal(&state, &caller, &scope).await?;
    let report = scope
        .households()
        .import(&unit, &rows, unreadable, &seal, state.clock.now())
        .await?;
    scope.commit().await?;
    Ok(axum::Json(report))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitHouseholdsForm {
    /// Households of the visit's community that took part (replaces the list before).
    pub households: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitHouseholdsAnswer {
    pub recorded: usize,
}

/// Record which households took part in a visit (it must have started; it is then held).
#[utoipa::path(
    put,
    path = "/api/v1/visits/{id}/households",
    tag = "households",
    params(("id" = Uuid, Path, description = "The visit's id.")),
    request_body = VisitHouseholdsForm,
    responses(
        (status = 200, description = "Recorded.", body = VisitHouseholdsAnswer),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn record_visit_households(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(form): ApiJson<VisitHouseholdsForm>,
) -> ApiResult<axum::Json<VisitHouseholdsAnswer>> {
    let reach = caller.reach(Permission::RecordVisits)?;
    if form.households.len() > 5_000 {
        return Err(minqing_domain::DomainError::field("households", "too_many").into());
    }
    let scope = caller.write(&state).await?;
    let recorded = scope
        .households()
        .record_at_visit(id, &reach, &form.households, state.clock.now())
        .await?;
    scope.commit().await?;
    Ok(axum::Json(VisitHouseholdsAnswer { recorded }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageParams {
    /// The unit whose subtree is counted (itself included).
    pub within: Uuid,
    /// First day of the period (default: 1 January of this year).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day of the period (default: today).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

/// Household coverage of a subtree.
///
/// The share of its households that took part in a held visit starting in the period (days in
/// the tenant's zone), overall and per community, least covered first — the programme asks
/// that every household take part at least once.
#[utoipa::path(
    get,
    path = "/api/v1/households/coverage",
    tag = "households",
    params(CoverageParams),
    responses(
        (status = 200, description = "The coverage.", body = HouseholdCoverage),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn household_coverage(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<CoverageParams>,
) -> ApiResult<axum::Json<HouseholdCoverage>> {
    let scope = caller.read(&state).await?;
    let root = unit_for(&scope, &caller, params.within, Permission::ReadUnits).await?;
    let (from, to) = days_asked(params.from, params.to, today(&state, &caller))?;
    let tz = tenant_zone(&caller);
    let period = (
        local_midnight(from, tz),
        local_midnight(to.succ_opt().unwrap_or(to), tz),
    );
    Ok(axum::Json(
        scope.households().coverage(&root.path, period).await?,
    ))
}
