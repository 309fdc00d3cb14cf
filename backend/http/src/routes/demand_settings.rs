//! `/api/v1/tenant/demand-rules`, `/tenant/categories`, `/tenant/calendar`: how the tenant's
//! demands are routed and timed, what they are filed under, and which days are working days.
use axum::extract::{Request, State};
use chrono::Datelike;
use minqing_domain::access::Permission;
use minqing_domain::calendar::CalendarEntry;
use minqing_domain::demand::intake::required_text;
use minqing_storage::demand_rules::{CategoryView, DemandRules};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, ImportFile, NotFound, PayloadTooLarge,
    Unauthorized, Unprocessable,
};
use crate::state::AppState;

/// The tenant's demand rules.
///
/// Routing (grade → tier key), deadlines per tier key, the ledger's hash (`sha256` or 国密
/// `sm3`) and the personal-data cipher (`aes256_gcm` or 国密 `sm4_gcm`).
#[utoipa::path(
    get,
    path = "/api/v1/tenant/demand-rules",
    tag = "tenant",
    responses(
        (status = 200, description = "The rules.", body = DemandRules),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn get_rules(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<DemandRules>> {
    caller.reach(Permission::ReadDemands)?;
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.demand_settings().rules().await?))
}

/// Replace the tenant's demand rules.
///
/// Whole-tenant administrators only. New rules apply to demands received or handed over from
/// now on; a change of hash or cipher applies to new events and new personal data (older ones
/// keep theirs and still verify and open).
#[utoipa::path(
    put,
    path = "/api/v1/tenant/demand-rules",
    tag = "tenant",
    request_body = DemandRules,
    responses(
        (status = 200, description = "The rules as stored.", body = DemandRules),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn put_rules(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(rules): ApiJson<DemandRules>,
) -> ApiResult<axum::Json<DemandRules>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let scope = caller.write(&state).await?;
    let stored = scope.demand_settings().set_rules(rules).await?;
    scope.commit().await?;
    Ok(axum::Json(stored))
}

/// List the demand categories.
///
/// In the tenant's order; retired ones stay on old demands and are not offered for new ones.
#[utoipa::path(
    get,
    path = "/api/v1/tenant/categories",
    tag = "tenant",
    responses(
        (status = 200, description = "The categories.", body = Vec<CategoryView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn list_categories(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<CategoryView>>> {
    caller.reach(Permission::ReadDemands)?;
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.demand_settings().categories().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategoryRequest {
    /// Stable key: lowercase letters, digits and `_` (also the Open311 service code).
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
}

/// Add a demand category.
///
/// Whole-tenant administrators only. Honours `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/tenant/categories",
    tag = "tenant",
    params(IdempotencyKey),
    request_body = CreateCategoryRequest,
    responses(
        (status = 201, description = "Added.", body = CategoryView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn create_category(
    State(state): State<AppState>,
    caller: Caller,
    IdempotentJson {
        body: req,
        idempotency,
    }: IdempotentJson<CreateCategoryRequest>,
) -> ApiResult<axum::response::Response> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let label_zh = required_text(&req.label_zh, 50).map_err(|c| ApiError::field("label_zh", c))?;
    let label_en = required_text(&req.label_en, 80).map_err(|c| ApiError::field("label_en", c))?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let view = scope
        .demand_settings()
        .add_category(&req.key, &label_zh, &label_en)
        .await?;
    let response = idempotency
        .answer(&scope, axum::http::StatusCode::CREATED, &view)
        .await?;
    scope.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategoryRequest {
    pub label_zh: Option<String>,
    pub label_en: Option<String>,
    /// Retire (true) or bring back (false); categories are never deleted.
    pub retired: Option<bool>,
}

/// Rename or retire a demand category.
///
/// Whole-tenant administrators only.
#[utoipa::path(
    patch,
    path = "/api/v1/tenant/categories/{key}",
    tag = "tenant",
    params(("key" = String, Path)),
    request_body = UpdateCategoryRequest,
    responses(
        (status = 200, description = "The category as changed.", body = CategoryView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn update_category(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateCategoryRequest>,
) -> ApiResult<axum::Json<CategoryView>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let label = |raw: Option<String>, max, field: &str| {
        raw.map(|v| required_text(&v, max).map_err(|c| ApiError::field(field, c)))
            .transpose()
    };
    let label_zh = label(req.label_zh, 50, "label_zh")?;
    let label_en = label(req.label_en, 80, "label_en")?;
    let scope = caller.write(&state).await?;
    let view = scope
        .demand_settings()
        .update_category(&key, label_zh, label_en, req.retired)
        .await?;
    scope.commit().await?;
    Ok(axum::Json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    /// Only this year's days.
    pub year: Option<i32>,
}

/// The tenant's working-day calendar.
///
/// Its public holidays and make-up working days (调休); every other Monday–Friday is a working
/// day. New tenants start with China's official 2025 and 2026 schedules.
#[utoipa::path(
    get,
    path = "/api/v1/tenant/calendar",
    tag = "tenant",
    params(CalendarQuery),
    responses(
        (status = 200, description = "The days that differ from Monday–Friday.", body = Vec<CalendarEntry>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn get_calendar(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<CalendarQuery>,
) -> ApiResult<axum::Json<Vec<CalendarEntry>>> {
    caller.reach(Permission::ReadDemands)?;
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.demand_settings().days(query.year).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearRequest {
    /// Every holiday and make-up working day of the year; the year's old list is replaced.
    pub entries: Vec<CalendarEntry>,
}

/// Edit a year of the calendar.
///
/// Whole-tenant administrators only. Deadlines already set keep their dates; new ones use the
/// edited calendar.
#[utoipa::path(
    put,
    path = "/api/v1/tenant/calendar/{year}",
    tag = "tenant",
    params(("year" = i32, Path)),
    request_body = CalendarYearRequest,
    responses(
        (status = 200, description = "The year as stored.", body = Vec<CalendarEntry>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn put_calendar_year(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(year): ApiPath<i32>,
    ApiJson(req): ApiJson<CalendarYearRequest>,
) -> ApiResult<axum::Json<Vec<CalendarEntry>>> {
    replace_year(&state, &caller, year, req.entries).await
}

/// Load a year of the calendar from a file.
///
/// A CSV with the header `date,kind,name` (kind `holiday` or `workday`; UTF-8 or GB18030), as
/// the State Council's schedule is typed up. A file with any bad line loads nothing and names
/// every bad line.
#[utoipa::path(
    post,
    path = "/api/v1/tenant/calendar/{year}/import",
    tag = "tenant",
    params(("year" = i32, Path)),
    request_body(content = ImportFile, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The year as stored.", body = Vec<CalendarEntry>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn import_calendar_year(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(year): ApiPath<i32>,
    req: Request,
) -> ApiResult<axum::Json<Vec<CalendarEntry>>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let bytes = crate::upload::uploaded_file(req).await?;
    let entries = minqing_storage::files::read_calendar_file(&bytes)?;
    replace_year(&state, &caller, year, entries).await
}

async fn replace_year(
    state: &AppState,
    caller: &Caller,
    year: i32,
    entries: Vec<CalendarEntry>,
) -> ApiResult<axum::Json<Vec<CalendarEntry>>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    if entries.iter().any(|e| e.date.year() != year) {
        return Err(ApiError::field("entries", "calendar_date_outside_year"));
    }
    if let Some((i, code)) = entries
        .iter()
        .enumerate()
        .find_map(|(i, e)| e.check_name().err().map(|code| (i, code)))
    {
        return Err(ApiError::field(&format!("entries[{i}].name"), code));
    }
    let mut seen = std::collections::BTreeSet::new();
    if !entries.iter().all(|e| seen.insert(e.date)) {
        return Err(ApiError::field("entries", "calendar_duplicate_date"));
    }
    let scope = caller.write(state).await?;
    let settings = scope.demand_settings();
    settings.replace_year(year, entries).await?;
    let stored = settings.days(Some(year)).await?;
    scope.commit().await?;
    Ok(axum::Json(stored))
}
