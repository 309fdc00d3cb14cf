//! `/api/v1/tenant`: the caller's own tenant — settings and tiers.
use axum::extract::State;
use axum::http::StatusCode;
use minqing_domain::access::Permission;
use minqing_domain::tenant::parse_name;
use minqing_domain::tier::TierKey;
use minqing_storage::platform::TenantView;
use minqing_storage::tiers::TierView;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::routes::ListResponse;
use crate::routes::platform::{UpdateTenantRequest, parse_changes};
use crate::state::AppState;

/// Anyone of the tenant may read its settings.
pub async fn get_tenant(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<TenantView>> {
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.tenant_record().await?))
}

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

#[derive(Debug, Deserialize)]
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

/// `PATCH /tenant/tiers/{key}`: labels can be renamed at any time.
pub async fn relabel_tier(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<TierLabelsRequest>,
) -> ApiResult<axum::Json<minqing_domain::tier::Tier>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let key = tier_key(&key)?;
    let (zh, en) = labels(req)?;
    let scope = caller.write(&state).await?;
    let tier = scope.tiers().relabel(key, zh, en).await?;
    scope.commit().await?;
    Ok(axum::Json(tier))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddTierRequest {
    pub key: String,
    pub label_zh: Option<String>,
    pub label_en: Option<String>,
}

/// `POST /tenant/tiers`: only where no unit sits at or below the new tier's level.
pub async fn add_tier(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<AddTierRequest>,
) -> ApiResult<(StatusCode, axum::Json<minqing_domain::tier::Tier>)> {
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
