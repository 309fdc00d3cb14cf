//! `/api/v1/public/…`: what residents read without logging in. No personal data, ever: a
//! demand's progress by receipt code, and the published visit notices of a community (a page
//! and an iCalendar feed) or of a leader (a feed).
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use minqing_domain::UnitId;
use minqing_domain::demand::parse_receipt_code;
use minqing_domain::demand::rating::PublicRatingForm;
use minqing_domain::tenant::{TenantKind, TenantStatus};
use minqing_storage::demands::PublicDemandView;
use minqing_storage::platform::TenantView;
use minqing_storage::visits::{PublicOf, PublicVisit};
use minqing_storage::{Audit, TenantScope, throttle};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, request_id};
use crate::openapi::{
    BadRequest, Conflict, NotFound, PayloadTooLarge, TooManyRequests, Unprocessable,
};
use crate::routes::auth::ClientAddr;
use crate::routes::public_form::refuse_if_throttled;
use crate::state::AppState;

/// Follow a demand by its receipt code.
///
/// Its status, handling unit, deadline and steps (with the text of progress replies and a rejection's reason) — never
/// the resident's name, phone or ID number. No login. The code may be typed in any case, with
/// or without dashes.
#[utoipa::path(
    get,
    path = "/api/v1/public/{tenant}/demands/{code}",
    tag = "public",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("code" = String, Path, description = "The receipt code")),
    security(()),
    responses(
        (status = 200, description = "The demand's progress.", body = PublicDemandView),
        (status = 404, response = NotFound),
    )
)]
pub async fn demand_by_receipt(
    State(state): State<AppState>,
    ApiPath((slug, code)): ApiPath<(String, String)>,
) -> ApiResult<axum::Json<PublicDemandView>> {
    let code = parse_receipt_code(&code).map_err(|_| ApiError::not_found())?;
    let scope = public_scope(&state, &slug).await?;
    Ok(axum::Json(scope.demands().public_view(&code).await?))
}

/// Rate a demand's resolution, as the resident.
///
/// 满意, 基本满意 or 不满意 (which reopens it), with a comment, through the receipt code — and,
/// where a phone was left with the demand, its last four digits. Once per resolution: only a
/// demand whose feedback was given awaits a rating (409 `rating_not_open` otherwise). The
/// ledger records the rating as the resident's. No login; counted per client address like the
/// online form (429 `submission_throttled`).
#[utoipa::path(
    post,
    path = "/api/v1/public/{tenant}/demands/{code}/rating",
    tag = "public",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("code" = String, Path, description = "The receipt code")),
    security(()),
    request_body = PublicRatingForm,
    responses(
        (status = 200, description = "Rated; the demand's progress.", body = PublicDemandView),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn rate_demand(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    ApiPath((slug, code)): ApiPath<(String, String)>,
    ApiJson(form): ApiJson<PublicRatingForm>,
) -> ApiResult<axum::Json<PublicDemandView>> {
    let code = parse_receipt_code(&code).map_err(|_| ApiError::not_found())?;
    let tenant = public_tenant(&state, &slug).await?;
    // Each try counts, so the phone's four digits cannot be guessed by trying them all.
    refuse_if_throttled(&state, tenant.id, &addr).await?;
    throttle::record_public_submission(state.storage.cache(), tenant.id, &addr).await?;
    let audit = Audit {
        actor_id: None,
        username: "resident".into(),
        request_id: request_id(&headers),
    };
    let scope = state.storage.write(tenant.id, audit).await?;
    let view = scope
        .demands()
        .rate_by_resident(&code, &form, state.clock.now())
        .await?;
    scope.commit().await?;
    Ok(axum::Json(view))
}

/// The active, non-platform tenant `slug` names; 404 for anything else.
pub(crate) async fn public_tenant(state: &AppState, slug: &str) -> ApiResult<TenantView> {
    state
        .storage
        .platform()
        .find_by_slug(&slug.to_ascii_lowercase())
        .await?
        .filter(|t| t.kind != TenantKind::Platform && t.status == TenantStatus::Active)
        .ok_or_else(ApiError::not_found)
}

/// A read scope on the tenant [`public_tenant`] finds.
async fn public_scope(state: &AppState, slug: &str) -> ApiResult<TenantScope> {
    let tenant = public_tenant(state, slug).await?;
    Ok(state.storage.read(tenant.id).await?)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicVisits {
    /// The community's (or village's) name.
    pub unit: String,
    /// Not yet over, earliest first (cancelled ones too, with the reason).
    pub upcoming: Vec<PublicVisit>,
    /// Over, latest first.
    pub past: Vec<PublicVisit>,
}

/// A community's published visits (no login).
async fn unit_visits(
    state: &AppState,
    slug: &str,
    unit: Uuid,
) -> ApiResult<(String, Vec<PublicVisit>)> {
    let scope = public_scope(state, slug).await?;
    let unit = scope.units().get(UnitId(unit)).await?;
    let visits = scope.visits().public(PublicOf::Unit(unit.id)).await?;
    Ok((unit.name, visits))
}

/// A community's visit notices.
///
/// The visits whose notice is out — upcoming and past, moved ones with the old time and the
/// reason, cancelled ones with the reason. Hosts by name; no attendance, minutes or anything
/// personal. No login.
#[utoipa::path(
    get,
    path = "/api/v1/public/{tenant}/units/{id}/visits",
    tag = "public",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("id" = Uuid, Path, description = "The community's id")),
    security(()),
    responses(
        (status = 200, description = "The community's notices.", body = PublicVisits),
        (status = 404, response = NotFound),
    )
)]
pub async fn visits_of_unit(
    State(state): State<AppState>,
    ApiPath((slug, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<axum::Json<PublicVisits>> {
    let (unit, visits) = unit_visits(&state, &slug, id).await?;
    let now = state.clock.now();
    let (mut past, upcoming): (Vec<_>, Vec<_>) = visits.into_iter().partition(|v| v.ends_at < now);
    past.reverse();
    Ok(axum::Json(PublicVisits {
        unit,
        upcoming,
        past,
    }))
}

fn ics(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A community's visits as an iCalendar feed.
///
/// Subscribe to it in a calendar app: every published visit, cancelled ones marked cancelled.
#[utoipa::path(
    get,
    path = "/api/v1/public/{tenant}/units/{id}/visits.ics",
    tag = "public",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("id" = Uuid, Path, description = "The community's id")),
    security(()),
    responses(
        (status = 200, description = "The feed.", content_type = "text/calendar", body = String),
        (status = 404, response = NotFound),
    )
)]
pub async fn unit_feed(
    State(state): State<AppState>,
    ApiPath((slug, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Response> {
    let (unit, visits) = unit_visits(&state, &slug, id).await?;
    Ok(ics(crate::ical::calendar(
        &format!("{unit} 民情家访"),
        &visits,
    )))
}

/// A leader's visits as an iCalendar feed.
///
/// The published visits the leader hosts, in every community. The leader is an active
/// account of the tenant; anything else is a 404.
#[utoipa::path(
    get,
    path = "/api/v1/public/{tenant}/leaders/{id}/visits.ics",
    tag = "public",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("id" = Uuid, Path, description = "The leader's account id")),
    security(()),
    responses(
        (status = 200, description = "The feed.", content_type = "text/calendar", body = String),
        (status = 404, response = NotFound),
    )
)]
pub async fn leader_feed(
    State(state): State<AppState>,
    ApiPath((slug, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Response> {
    let scope = public_scope(&state, &slug).await?;
    let name = scope
        .visits()
        .active_account_name(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let visits = scope.visits().public(PublicOf::Host(id)).await?;
    Ok(ics(crate::ical::calendar(
        &format!("{name} 民情家访"),
        &visits,
    )))
}
