//! `/api/v1/tenant/notification-channels` and `/tenant/notification-deliveries`: where the
//! tenant's notifications go (SMS gateway, WeChat relay, mail API, webhooks) and how their
//! deliveries fare.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minqing_domain::access::Permission;
use minqing_storage::notifications::{ChannelView, DeliveryView, NewChannel};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Caller, page_limit};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Forbidden, IdempotencyKey, NotFound, PayloadTooLarge, Unauthorized, Unprocessable,
};
use crate::state::AppState;

/// List notification channels.
///
/// Whole-tenant administrators only. Secrets are never shown.
#[utoipa::path(
    get,
    path = "/api/v1/tenant/notification-channels",
    tag = "tenant",
    responses(
        (status = 200, description = "The channels.", body = Vec<ChannelView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn list_channels(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<ChannelView>>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.notifications().channels().await?))
}

/// Add a notification channel.
///
/// Messages are POSTed to `url` as JSON with the headers `x-minqing-topic`,
/// `x-minqing-delivery` (the message id: the same on every retry, for dropping repeats) and
/// `x-minqing-signature: sha256=<HMAC-SHA256 of the body with the secret, hex>`. Any 2xx answer
/// is a delivery; anything else is retried (30 s, 1 min, 2 min… then hourly) until it succeeds.
/// Whole-tenant administrators only. Honours `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/tenant/notification-channels",
    tag = "tenant",
    params(IdempotencyKey),
    request_body = NewChannel,
    responses(
        (status = 201, description = "Added, enabled.", body = ChannelView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn create_channel(
    State(state): State<AppState>,
    caller: Caller,
    IdempotentJson {
        body: new,
        idempotency,
    }: IdempotentJson<NewChannel>,
) -> ApiResult<Response> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let view = scope
        .notifications()
        .add_channel(new, state.clock.now())
        .await?;
    let response = idempotency
        .answer(&scope, StatusCode::CREATED, &view)
        .await?;
    scope.commit().await?;
    Ok(response)
}

/// Enable or disable a channel (`enable` or `disable`).
///
/// A disabled channel gets no new messages; those already queued are still delivered.
#[utoipa::path(
    post,
    path = "/api/v1/tenant/notification-channels/{id}/{switch}",
    tag = "tenant",
    params(("id" = Uuid, Path), ("switch" = String, Path, description = "enable or disable")),
    responses(
        (status = 200, description = "The channel.", body = ChannelView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn switch_channel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, switch)): ApiPath<(Uuid, String)>,
) -> ApiResult<axum::Json<ChannelView>> {
    let enabled = match switch.as_str() {
        "enable" => true,
        "disable" => false,
        _ => return Err(ApiError::not_found()),
    };
    caller.require_everywhere(Permission::ManageTenant)?;
    let scope = caller.write(&state).await?;
    let view = scope.notifications().set_enabled(id, enabled).await?;
    scope.commit().await?;
    Ok(axum::Json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// How many, 1–500 (default 50).
    pub limit: Option<i64>,
}

/// The latest deliveries.
///
/// Newest first, with attempts, the next attempt and the last error. Whole-tenant
/// administrators only.
#[utoipa::path(
    get,
    path = "/api/v1/tenant/notification-deliveries",
    tag = "tenant",
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "The deliveries.", body = Vec<DeliveryView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> ApiResult<axum::Json<Vec<DeliveryView>>> {
    caller.require_everywhere(Permission::ManageTenant)?;
    let limit = page_limit(query.limit)?;
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.notifications().deliveries(limit).await?))
}
