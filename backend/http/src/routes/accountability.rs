//! `/api/v1/accountability`: warnings (预警) and accountability cases (问责) of the caller's
//! subtrees; leaders review, decide and close cases.
use axum::extract::State;
use minqing_domain::UnitId;
use minqing_domain::access::Permission;
use minqing_domain::accountability::{CaseStatus, CaseStep, Outcome};
use minqing_storage::accountability::{CaseView, FollowUpQuery, WarningView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Caller, RawBody, page_limit, parse_json};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unprocessable,
};
use crate::routes::ListResponse;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FollowUpFilters {
    /// Only units within this unit's subtree.
    pub within: Option<Uuid>,
    /// Warnings: `approaching` or `overdue`.
    pub level: Option<String>,
    /// Cases: `open`, `under_review`, `decided` or `closed`.
    pub status: Option<CaseStatus>,
    /// Only those of this demand.
    pub demand: Option<Uuid>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl FollowUpFilters {
    async fn query(&self, state: &AppState, caller: &Caller) -> ApiResult<FollowUpQuery> {
        if let Some(level) = &self.level
            && !matches!(level.as_str(), "approaching" | "overdue")
        {
            return Err(ApiError::field("level", "invalid_warning_level"));
        }
        let within = match self.within {
            None => None,
            Some(id) => {
                let reach = caller.reach(Permission::ReadUnits)?;
                let scope = caller.read(state).await?;
                Some(scope.units().get_within(UnitId(id), &reach).await?.path)
            }
        };
        Ok(FollowUpQuery {
            within,
            status: self.status,
            level: self.level.clone(),
            demand: self.demand,
        })
    }
}

/// List warnings.
///
/// Raised by the deadline sweeper against handling units within the caller's subtrees:
/// `approaching` before a deadline, `overdue` once it passed. Newest first.
#[utoipa::path(
    get,
    path = "/api/v1/accountability/warnings",
    tag = "accountability",
    params(FollowUpFilters),
    responses(
        (status = 200, description = "A page of warnings.", body = ListResponse<WarningView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_warnings(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(filters): ApiQuery<FollowUpFilters>,
) -> ApiResult<axum::Json<ListResponse<WarningView>>> {
    let reach = caller.reach(Permission::ReadDemands)?;
    let limit = page_limit(filters.limit)?;
    let query = filters.query(&state, &caller).await?;
    let scope = caller.read(&state).await?;
    let (items, next) = scope
        .accountability()
        .warnings(&reach, &query, filters.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(ListResponse::new(items, next)))
}

/// List accountability cases.
///
/// Cases against units within the caller's subtrees, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/accountability/cases",
    tag = "accountability",
    params(FollowUpFilters),
    responses(
        (status = 200, description = "A page of cases.", body = ListResponse<CaseView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_cases(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(filters): ApiQuery<FollowUpFilters>,
) -> ApiResult<axum::Json<ListResponse<CaseView>>> {
    let reach = caller.reach(Permission::ReadDemands)?;
    let limit = page_limit(filters.limit)?;
    let query = filters.query(&state, &caller).await?;
    let scope = caller.read(&state).await?;
    let (items, next) = scope
        .accountability()
        .cases(&reach, &query, filters.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(ListResponse::new(items, next)))
}

/// One accountability case.
#[utoipa::path(
    get,
    path = "/api/v1/accountability/cases/{id}",
    tag = "accountability",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The case.", body = CaseView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_case(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<CaseView>> {
    let reach = caller.reach(Permission::ReadDemands)?;
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.accountability().case(id, &reach).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseStepRequest {
    /// `decide` only: no_fault, talk (约谈), notice_of_criticism (通报批评) or other.
    pub outcome: Option<Outcome>,
    /// `decide` only: the decision in words; required with `other`.
    pub outcome_text: Option<String>,
}

/// Move a case on: `review`, `decide` or `close`.
///
/// open → under_review → decided (with an outcome) → closed; any other step is a 409
/// `illegal_case_transition`. Leaders and administrators over the case's unit; who decided is
/// recorded.
#[utoipa::path(
    post,
    path = "/api/v1/accountability/cases/{id}/{step}",
    tag = "accountability",
    params(("id" = Uuid, Path), ("step" = String, Path, description = "review, decide or close")),
    request_body = CaseStepRequest,
    responses(
        (status = 200, description = "The case after the step.", body = CaseView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn step_case(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, step)): ApiPath<(Uuid, String)>,
    headers: axum::http::HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<axum::Json<CaseView>> {
    let step = match step.as_str() {
        "review" => CaseStep::Review,
        "decide" => CaseStep::Decide,
        "close" => CaseStep::Close,
        _ => return Err(ApiError::not_found()),
    };
    let req: CaseStepRequest = if body.is_empty() {
        CaseStepRequest::default()
    } else {
        parse_json(&headers, &body)?
    };
    let read = caller.reach(Permission::ReadDemands)?;
    let scope = caller.write(&state).await?;
    // Seeing the case and deciding it are different powers: a cadre sees, a leader decides.
    scope.accountability().case(id, &read).await?;
    let decide = caller.reach(Permission::DecideAccountability)?;
    let outcome = req.outcome.map(|o| (o, req.outcome_text));
    let view = scope
        .accountability()
        .step(id, &decide, step, outcome, state.clock.now())
        .await
        .map_err(|e| match e {
            minqing_storage::StorageError::NotFound => ApiError::forbidden(),
            other => other.into(),
        })?;
    scope.commit().await?;
    Ok(axum::Json(view))
}
