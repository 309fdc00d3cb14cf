//! Contact points (联系点) and visits (家访): pairing leaders with communities and the
//! obligations view (per leader and unit: periods done, due, missed), and the visits — schedule,
//! publish the notice (refused inside the tenant's lead time), move or cancel with a reason,
//! record attendance and minutes. Demands raised at a visit name it (`visit` on intake).
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use minqing_domain::access::Permission;
use minqing_domain::tier::TierKey;
use minqing_domain::unit::UnitPath;
use minqing_domain::visits::{
    Attendance, ContactPointForm, RescheduleForm, VisitForm, VisitStatus,
};
use minqing_storage::TenantScope;
use minqing_storage::units::UnitView;
use minqing_storage::visits::{
    ContactPointView, ObligationQuery, VisitQuery, VisitView, check_community,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_limit};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, NotFound, PayloadTooLarge, Unauthorized,
    Unprocessable,
};
use crate::routes::ListResponse;
use crate::routes::councils::{today, unit_for};
use crate::routes::demands::tenant_zone;
use crate::state::AppState;

/// A community or village (named in a request's body) within the caller's reach for
/// `permission`; any other id is an `unknown_unit` field error.
async fn community_for(
    state: &AppState,
    scope: &TenantScope,
    caller: &Caller,
    id: Uuid,
    permission: Permission,
) -> ApiResult<UnitView> {
    let reach = caller.reach(permission)?;
    let unit = match scope
        .units()
        .get_within(minqing_domain::UnitId(id), &reach)
        .await
    {
        Err(minqing_storage::StorageError::NotFound) => {
            return Err(minqing_domain::DomainError::field("unit_id", "unknown_unit").into());
        }
        found => found?,
    };
    ensure_community(state, scope, caller, &unit).await?;
    Ok(unit)
}

/// `unit` is at the tenant's community tier, or a 422 `not_a_community`.
pub(crate) async fn ensure_community(
    state: &AppState,
    scope: &TenantScope,
    caller: &Caller,
    unit: &UnitView,
) -> ApiResult<()> {
    let settings = caller.settings(state, scope).await?;
    let level = settings
        .tiers
        .iter()
        .find(|t| t.key == TierKey::Community)
        .map(|t| t.level);
    Ok(check_community(unit, level)?)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ObligationParams {
    /// The unit whose subtree's contact points are shown (itself included).
    pub within: Uuid,
    /// Only this leader's (an account id).
    pub leader: Option<Uuid>,
    /// First day of the range (default: 1 January of this year).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day of the range (default: today).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

/// At most this many days in one obligations view (ten years).
const MAX_RANGE_DAYS: i64 = 3_660;

/// Contact points of a subtree with their obligations.
///
/// Per leader and unit, the periods of the range the pairing owed a visit (by the tenant's
/// rule: monthly unless it says weekly or quarterly), each done (a visit there hosted by the
/// leader was held), due (still running) or missed, with the counts of each.
#[utoipa::path(
    get,
    path = "/api/v1/contact-points",
    tag = "visits",
    params(ObligationParams),
    responses(
        (status = 200, description = "The contact points, oldest pairing first.", body = ListResponse<ContactPointView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_contact_points(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ObligationParams>,
) -> ApiResult<axum::Json<ListResponse<ContactPointView>>> {
    let scope = caller.read(&state).await?;
    let root = unit_for(&scope, &caller, params.within, Permission::ReadUnits).await?;
    let day = today(&state, &caller);
    let range = days_asked(params.from, params.to, day)?;
    if (range.1 - range.0).num_days() > MAX_RANGE_DAYS {
        return Err(minqing_domain::DomainError::field("from", "out_of_range").into());
    }
    let query = obligation_query(&scope, &caller, &root.path, params.leader, range, day).await?;
    let items = scope.visits().contact_points(&query).await?;
    Ok(axum::Json(ListResponse {
        items,
        next_cursor: None,
    }))
}

/// The days a period asks for: `from` (default 1 January of `today`'s year) to `to` (default
/// `today`), or a 422 when it ends before it starts.
pub(crate) fn days_asked(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> ApiResult<(NaiveDate, NaiveDate)> {
    let from = from.unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
    let to = to.unwrap_or(today);
    if to < from {
        return Err(minqing_domain::DomainError::field("to", "ends_before_start").into());
    }
    Ok((from, to))
}

/// The obligations of `within`'s contact points (of `leader`, if given) over `range`, counted
/// by the tenant's rule.
async fn obligation_query<'a>(
    scope: &TenantScope,
    caller: &Caller,
    within: &'a UnitPath,
    leader: Option<Uuid>,
    range: (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> ApiResult<ObligationQuery<'a>> {
    Ok(ObligationQuery {
        within,
        leader,
        range,
        today,
        frequency: scope.budgets().rules().await?.contact_frequency,
        tz: tenant_zone(caller),
    })
}

/// The view of one contact point over this year to date.
async fn contact_point_view(
    state: &AppState,
    scope: &TenantScope,
    caller: &Caller,
    id: Uuid,
    unit: &UnitView,
) -> ApiResult<ContactPointView> {
    let day = today(state, caller);
    let range = days_asked(None, None, day)?;
    let query = obligation_query(scope, caller, &unit.path, None, range, day).await?;
    Ok(scope.visits().contact_point(id, &query).await?)
}

/// Pair a leader with a community or village (a contact point).
///
/// The leader is an account of the tenant; the unit must be at the community tier. The same
/// two paired for days that overlap an existing pairing is a 409 `contact_point_exists`.
/// Honours `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/contact-points",
    tag = "visits",
    params(IdempotencyKey),
    request_body = ContactPointForm,
    responses(
        (status = 201, description = "Paired; its obligations this year.", body = ContactPointView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn add_contact_point(
    State(state): State<AppState>,
    caller: Caller,
    IdempotentJson {
        body: form,
        idempotency,
    }: IdempotentJson<ContactPointForm>,
) -> ApiResult<Response> {
    caller.reach(Permission::ManageContactPoints)?;
    let form = form.validate()?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let unit = community_for(
        &state,
        &scope,
        &caller,
        form.unit_id,
        Permission::ManageContactPoints,
    )
    .await?;
    let row = scope
        .visits()
        .add_contact_point(form, &unit, state.clock.now())
        .await?;
    let view = contact_point_view(&state, &scope, &caller, row.id, &unit).await?;
    let response = idempotency
        .answer(&scope, StatusCode::CREATED, &view)
        .await?;
    scope.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndForm {
    /// The pairing's last day.
    #[schema(value_type = String, format = Date)]
    pub until: NaiveDate,
}

/// End a contact point (its last day); it owes nothing after.
#[utoipa::path(
    post,
    path = "/api/v1/contact-points/{id}/end",
    tag = "visits",
    params(("id" = Uuid, Path, description = "The contact point's id.")),
    request_body = EndForm,
    responses(
        (status = 200, description = "Ended.", body = ContactPointView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn end_contact_point(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(form): ApiJson<EndForm>,
) -> ApiResult<axum::Json<ContactPointView>> {
    let reach = caller.reach(Permission::ManageContactPoints)?;
    let until = minqing_domain::dates::check_day(form.until)
        .map_err(|code| ApiError::field("until", code))?;
    let scope = caller.write(&state).await?;
    let row = scope.visits().end_contact_point(id, &reach, until).await?;
    let unit = scope
        .units()
        .get(minqing_domain::UnitId(row.unit_id))
        .await?;
    let view = contact_point_view(&state, &scope, &caller, id, &unit).await?;
    scope.commit().await?;
    Ok(axum::Json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VisitParams {
    /// The unit whose subtree's visits are listed (itself included).
    pub within: Uuid,
    /// Only visits this account hosts.
    pub host: Option<Uuid>,
    #[param(inline)]
    pub status: Option<VisitStatus>,
    /// Starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Starting before.
    pub to: Option<DateTime<Utc>>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The visit calendar of a subtree, by start time.
#[utoipa::path(
    get,
    path = "/api/v1/visits",
    tag = "visits",
    params(VisitParams),
    responses(
        (status = 200, description = "Visits, earliest first; `next_cursor` when more follow.", body = ListResponse<VisitView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_visits(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<VisitParams>,
) -> ApiResult<axum::Json<ListResponse<VisitView>>> {
    let scope = caller.read(&state).await?;
    let root = unit_for(&scope, &caller, params.within, Permission::ReadUnits).await?;
    let limit = page_limit(params.limit)?;
    let (items, next_cursor) = scope
        .visits()
        .list(&VisitQuery {
            within: &root.path,
            host: params.host,
            status: params.status,
            from: params.from,
            to: params.to,
            limit,
            cursor: params.cursor.as_deref(),
        })
        .await?;
    Ok(axum::Json(ListResponse::new(items, next_cursor)))
}

/// Schedule a visit to a community or village.
///
/// Hosts are active accounts of the tenant (the leaders who come). The notice is published
/// separately, at least the tenant's lead time before the start. Honours `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/visits",
    tag = "visits",
    params(IdempotencyKey),
    request_body = VisitForm,
    responses(
        (status = 201, description = "On the calendar.", body = VisitView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn schedule_visit(
    State(state): State<AppState>,
    caller: Caller,
    IdempotentJson {
        body: form,
        idempotency,
    }: IdempotentJson<VisitForm>,
) -> ApiResult<Response> {
    caller.reach(Permission::ManageVisits)?;
    let visit = form.validate()?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let unit = community_for(
        &state,
        &scope,
        &caller,
        visit.unit_id,
        Permission::ManageVisits,
    )
    .await?;
    let scheduled = scope
        .visits()
        .schedule(visit, &unit, state.clock.now())
        .await?;
    let response = idempotency
        .answer(&scope, StatusCode::CREATED, &scheduled)
        .await?;
    scope.commit().await?;
    Ok(response)
}

/// One visit.
#[utoipa::path(
    get,
    path = "/api/v1/visits/{id}",
    tag = "visits",
    params(("id" = Uuid, Path, description = "The visit's id.")),
    responses(
        (status = 200, description = "The visit.", body = VisitView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_visit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<VisitView>> {
    let reach = caller.reach(Permission::ReadUnits)?;
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.visits().get(id, &reach).await?))
}

/// Publish a visit's notice (公告).
///
/// Refused with 409 `notice_too_late` when less than the tenant's lead time (24 hours by
/// default) remains before the visit: residents need the time to come.
#[utoipa::path(
    post,
    path = "/api/v1/visits/{id}/notice",
    tag = "visits",
    params(("id" = Uuid, Path, description = "The visit's id.")),
    responses(
        (status = 200, description = "Published; the community's public page shows it.", body = VisitView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
pub async fn publish_notice(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<VisitView>> {
    let reach = caller.reach(Permission::ManageVisits)?;
    let scope = caller.write(&state).await?;
    let lead = scope.budgets().rules().await?.notice_lead_hours;
    let published = scope
        .visits()
        .publish_notice(id, &reach, state.clock.now(), lead)
        .await?;
    scope.commit().await?;
    Ok(axum::Json(published))
}

/// Move a visit, with the reason its notice shows.
///
/// A visit whose notice is out may move only to a time at least the lead time away.
#[utoipa::path(
    post,
    path = "/api/v1/visits/{id}/reschedule",
    tag = "visits",
    params(("id" = Uuid, Path, description = "The visit's id.")),
    request_body = RescheduleForm,
    responses(
        (status = 200, description = "Moved.", body = VisitView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn reschedule_visit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(form): ApiJson<RescheduleForm>,
) -> ApiResult<axum::Json<VisitView>> {
    let reach = caller.reach(Permission::ManageVisits)?;
    let to = form.validate()?;
    let scope = caller.write(&state).await?;
    let lead = scope.budgets().rules().await?.notice_lead_hours;
    let moved = scope
        .visits()
        .reschedule(id, &reach, to, state.clock.now(), lead)
        .await?;
    scope.commit().await?;
    Ok(axum::Json(moved))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelForm {
    /// Why, for the notice (e.g. 暴雨红色预警，改期另行通知).
    pub reason: String,
}

/// Cancel a visit, with the reason its notice shows.
#[utoipa::path(
    post,
    path = "/api/v1/visits/{id}/cancel",
    tag = "visits",
    params(("id" = Uuid, Path, description = "The visit's id.")),
    request_body = CancelForm,
    responses(
        (status = 200, description = "Cancelled.", body = VisitView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn cancel_visit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(form): ApiJson<CancelForm>,
) -> ApiResult<axum::Json<VisitView>> {
    let reach = caller.reach(Permission::ManageVisits)?;
    let reason = minqing_domain::demand::intake::required_text(&form.reason, 500)
        .map_err(|code| minqing_domain::DomainError::field("reason", code))?;
    let scope = caller.write(&state).await?;
    let cancelled = scope
        .visits()
        .cancel(id, &reach, reason, state.clock.now())
        .await?;
    scope.commit().await?;
    Ok(axum::Json(cancelled))
}

/// Record who came to a visit (it must have started); the first record marks it held.
#[utoipa::path(
    put,
    path = "/api/v1/visits/{id}/attendance",
    tag = "visits",
    params(("id" = Uuid, Path, description = "The visit's id.")),
    request_body = Attendance,
    responses(
        (status = 200, description = "Recorded.", body = VisitView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn record_attendance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(attendance): ApiJson<Attendance>,
) -> ApiResult<axum::Json<VisitView>> {
    let reach = caller.reach(Permission::RecordVisits)?;
    let attendance = attendance.validate()?;
    let scope = caller.write(&state).await?;
    let recorded = scope
        .visits()
        .record_attendance(id, &reach, attendance, state.clock.now())
        .await?;
    scope.commit().await?;
    Ok(axum::Json(recorded))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesForm {
    /// The minutes (纪要), up to 20,000 characters; sending again replaces them.
    pub text: String,
}

/// Record a visit's minutes (it must have started), by the recorder.
#[utoipa::path(
    put,
    path = "/api/v1/visits/{id}/minutes",
    tag = "visits",
    params(("id" = Uuid, Path, description = "The visit's id.")),
    request_body = MinutesForm,
    responses(
        (status = 200, description = "Recorded.", body = VisitView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn record_minutes(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(form): ApiJson<MinutesForm>,
) -> ApiResult<axum::Json<VisitView>> {
    let reach = caller.reach(Permission::RecordVisits)?;
    let text = minqing_domain::demand::intake::required_text(&form.text, 20_000)
        .map_err(|code| minqing_domain::DomainError::field("text", code))?;
    let scope = caller.write(&state).await?;
    let recorded = scope
        .visits()
        .record_minutes(id, &reach, text, state.clock.now())
        .await?;
    scope.commit().await?;
    Ok(axum::Json(recorded))
}
