//! `/api/v1/tenant/api-keys`: keys of intake channels (a 12345 hotline, a province platform)
//! that file demands through Open311 (`/open311/v2`). Whole-tenant administrators only.
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minqing_domain::access::Permission;
use minqing_storage::api_keys::{ApiKeyView, NewApiKey};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, Caller};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Forbidden, IdempotencyKey, NotFound, PayloadTooLarge, Unauthorized, Unprocessable,
};
use crate::state::AppState;

/// A new key: its view and, this once, the key itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub view: ApiKeyView,
    /// The key in full (`<tenant id>.<43 random characters>`): shown in this answer only, never
    /// stored. A retry with the same `Idempotency-Key` answers null here: revoke the key and
    /// issue another if it was lost.
    pub key: Option<String>,
}

/// List API keys.
///
/// Revoked keys included (with `revoked_at`). The keys themselves are never shown again, only
/// their `prefix`.
#[utoipa::path(
    get,
    path = "/api/v1/tenant/api-keys",
    tag = "tenant",
    responses(
        (status = 200, description = "The keys, oldest first.", body = Vec<ApiKeyView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn list_api_keys(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<ApiKeyView>>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.api_keys().list().await?))
}

/// Issue an API key for an intake channel.
///
/// The key files demands through Open311 (`POST /open311/v2/requests.json`, field `api_key`)
/// under `channel`, only in communities of `unit_id`'s subtree, and reads that subtree's
/// requests. The answer carries the key in full, once. Whole-tenant administrators only.
/// Honours `Idempotency-Key` (a retry creates no second key; its answer has `key: null`).
#[utoipa::path(
    post,
    path = "/api/v1/tenant/api-keys",
    tag = "tenant",
    params(IdempotencyKey),
    request_body = NewApiKey,
    responses(
        (status = 201, description = "Issued; `key` is shown this once.", body = CreatedApiKey),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn create_api_key(
    State(state): State<AppState>,
    caller: Caller,
    IdempotentJson {
        body: new,
        idempotency,
    }: IdempotentJson<NewApiKey>,
) -> ApiResult<Response> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let (view, key) = scope.api_keys().create(new, state.clock.now()).await?;
    // What a retry gets back is stored without the key: a key must not rest in plain text.
    let stored = CreatedApiKey {
        view: view.clone(),
        key: None,
    };
    idempotency
        .answer(&scope, StatusCode::CREATED, &stored)
        .await?;
    scope.commit().await?;
    let body = serde_json::to_string(&CreatedApiKey {
        view,
        key: Some(key),
    })
    .map_err(|_| ApiError::internal())?;
    Ok((
        StatusCode::CREATED,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// Revoke an API key.
///
/// At once: the next Open311 call with it is a 403. Revoking a revoked key changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/tenant/api-keys/{id}/revoke",
    tag = "tenant",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The key, revoked.", body = ApiKeyView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<ApiKeyView>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let scope = caller.write(&state).await?;
    let view = scope.api_keys().revoke(id, state.clock.now()).await?;
    scope.commit().await?;
    Ok(axum::Json(view))
}
