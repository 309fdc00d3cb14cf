//! `/api/v1/tenant`: the caller's own tenant — settings and tiers.
use axum::extract::State;
use axum::http::StatusCode;
use minqing_domain::access::Permission;
use minqing_domain::tenant::parse_name;
use minqing_domain::tier::{Tier, TierKey};
use minqing_storage::platform::TenantView;
use minqing_storage::tiers::TierView;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unprocessable,
};
use crate::routes::ListResponse;
use crate::routes::platform::{UpdateTenantRequest, parse_changes};
use crate::state::AppState;

/// Get the caller's tenant.
///
/// Anyone of the tenant may read its settings.
#[utoipa::path(
    get,
    path = "/api/v1/tenant",
    tag = "tenant",
    operation_id = "get_own_tenant",
    responses(
        (status = 200, description = "The caller's tenant.", body = TenantView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn get_tenant(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<TenantView>> {
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.tenant_record().await?))
}

/// Change the caller's tenant's names or time zone.
///
/// Whole-tenant administrators only.
#[utoipa::path(
    patch,
    path = "/api/v1/tenant",
    tag = "tenant",
    operation_id = "update_own_tenant",
    request_body = UpdateTenantRequest,
    responses(
        (status = 200, description = "The tenant as changed.", body = TenantView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn update_tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<UpdateTenantRequest>,
) -> ApiResult<axum::Json<TenantView>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let changes = parse_changes(req)?;
    let scope = caller.write(&state).await?;
    let tenant = scope.update_tenant_record(changes).await?;
    scope.commit().await?;
    Ok(axum::Json(tenant))
}

/// List the tenant's tiers.
///
/// Top tier first (level 1), each with its number of units.
#[utoipa::path(
    get,
    path = "/api/v1/tenant/tiers",
    tag = "tenant",
    responses(
        (status = 200, description = "Every tier; `next_cursor` is null.", body = ListResponse<TierView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn list_tiers(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<ListResponse<TierView>>> {
    let scope = caller.read(&state).await?;
    Ok(axum::Json(ListResponse::new(
        scope.tiers().list_with_counts().await?,
        None,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierLabelsRequest {
    pub label_zh: String,
    pub label_en: String,
}

fn labels(req: TierLabelsRequest) -> ApiResult<(String, String)> {
    let zh = parse_name(&req.label_zh).map_err(|c| ApiError::field("label_zh", c))?;
    let en = parse_name(&req.label_en).map_err(|c| ApiError::field("label_en", c))?;
    Ok((zh, en))
}

fn tier_key(raw: &str) -> ApiResult<TierKey> {
    TierKey::parse(raw).map_err(|_| ApiError::not_found())
}

/// Relabel a tier.
///
/// Labels can be renamed at any time.
#[utoipa::path(
    patch,
    path = "/api/v1/tenant/tiers/{key}",
    tag = "tenant",
    params(("key" = TierKey, Path, description = "The tier's key.")),
    request_body = TierLabelsRequest,
    responses(
        (status = 200, description = "The tier as relabelled.", body = Tier),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn relabel_tier(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<TierLabelsRequest>,
) -> ApiResult<axum::Json<Tier>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let key = tier_key(&key)?;
    let (zh, en) = labels(req)?;
    let scope = caller.write(&state).await?;
    let tier = scope.tiers().relabel(key, zh, en).await?;
    scope.commit().await?;
    Ok(axum::Json(tier))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTierRequest {
    /// A tier key (`province`, `city`, `county`, `street`, `community`) the tenant lacks.
    #[schema(example = "province")]
    pub key: String,
    /// The key's default label when absent.
    pub label_zh: Option<String>,
    pub label_en: Option<String>,
}

/// Add a tier.
///
/// Keys keep their natural order; only where no unit sits at or below the new tier's level
/// (409 `tier_in_use`; 409 `tier_exists` for a key the tenant has).
#[utoipa::path(
    post,
    path = "/api/v1/tenant/tiers",
    tag = "tenant",
    request_body = AddTierRequest,
    responses(
        (status = 201, description = "The new tier.", body = Tier),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn add_tier(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<AddTierRequest>,
) -> ApiResult<(StatusCode, axum::Json<Tier>)> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let key = TierKey::parse(&req.key).map_err(|c| ApiError::field("key", c))?;
    let (zh, en) = key.default_labels();
    let (zh, en) = labels(TierLabelsRequest {
        label_zh: req.label_zh.unwrap_or_else(|| zh.to_owned()),
        label_en: req.label_en.unwrap_or_else(|| en.to_owned()),
    })?;
    let scope = caller.write(&state).await?;
    let tier = scope.tiers().add(key, zh, en).await?;
    scope.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(tier)))
}

/// Remove a tier.
///
/// Only when no unit sits at it or below it (409 `tier_in_use`).
#[utoipa::path(
    delete,
    path = "/api/v1/tenant/tiers/{key}",
    tag = "tenant",
    params(("key" = TierKey, Path, description = "The tier's key.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
pub async fn remove_tier(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let key = tier_key(&key)?;
    let scope = caller.write(&state).await?;
    scope.tiers().remove(key).await?;
    scope.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
