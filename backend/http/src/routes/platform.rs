//! `/api/v1/platform/tenants`: operators create, list, rename, suspend and resume tenants.
//! Any other caller gets 403 here; this is the one cross-tenant path.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minqing_domain::TenantId;
use minqing_domain::error::FieldCheck;
use minqing_domain::password::check_password;
use minqing_domain::tenant::{
    DEFAULT_TIME_ZONE, TenantKind, TenantSlug, TenantStatus, parse_name, parse_time_zone,
};
use minqing_storage::platform::{NewTenant, TenantChanges, TenantView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_limit};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, NotFound, PayloadTooLarge, Unauthorized,
    Unprocessable,
};
use crate::routes::{ListResponse, PageQuery};
use crate::state::AppState;

fn require_operator(caller: &Caller) -> ApiResult<()> {
    if caller.actor.is_operator() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantResponse {
    #[serde(flatten)]
    pub tenant: TenantView,
    /// The first admin's password, shown once when generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_password: Option<String>,
}

/// List tenants.
///
/// Every tenant but the operators' own `platform`.
#[utoipa::path(
    get,
    path = "/api/v1/platform/tenants",
    tag = "platform",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of tenants.", body = ListResponse<TenantView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_tenants(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<ListResponse<TenantView>>> {
    require_operator(&caller)?;
    let limit = page_limit(query.limit)?;
    let (items, next) = state
        .storage
        .platform()
        .list(query.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(ListResponse::new(items, next)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenantRequest {
    /// `^[a-z][a-z0-9-]{1,30}$`; `platform` is reserved.
    #[schema(example = "jiangxi")]
    pub slug: String,
    /// `city` or `province`: decides the default tiers.
    #[schema(example = "province")]
    pub kind: String,
    pub name_zh: String,
    pub name_en: String,
    /// An IANA zone name; `Asia/Shanghai` when absent.
    pub time_zone: Option<String>,
    /// The first admin's password; generated (shown once, to be changed) when absent.
    pub admin_password: Option<String>,
}

/// Create a tenant.
///
/// With its default tiers and a first administrator `admin`. Honours `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/platform/tenants",
    tag = "platform",
    params(IdempotencyKey),
    request_body = CreateTenantRequest,
    responses(
        (status = 201, description = "Created.", body = TenantResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn create_tenant(
    State(state): State<AppState>,
    caller: Caller,
    IdempotentJson {
        body: req,
        idempotency,
    }: IdempotentJson<CreateTenantRequest>,
) -> ApiResult<Response> {
    require_operator(&caller)?;
    let mut check = FieldCheck::new();
    let slug = check.take("slug", TenantSlug::parse(req.slug.trim()));
    let kind = check.take("kind", TenantKind::parse(&req.kind));
    let name_zh = check.take("name_zh", parse_name(&req.name_zh));
    let name_en = check.take("name_en", parse_name(&req.name_en));
    let time_zone = check.take(
        "time_zone",
        parse_time_zone(req.time_zone.as_deref().unwrap_or(DEFAULT_TIME_ZONE)),
    );
    if let Some(p) = &req.admin_password {
        check.take("admin_password", check_password(p, "admin"));
    }
    check.finish()?;
    let (Some(slug), Some(kind), Some(name_zh), Some(name_en), Some(time_zone)) =
        (slug, kind, name_zh, name_en, time_zone)
    else {
        unreachable!("FieldCheck::finish refuses missing fields")
    };
    // Idempotency keys live in the operator's own (platform) tenant.
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let (scope, tenant, admin_password) = state
        .storage
        .platform()
        .create_tenant_in(
            scope,
            NewTenant {
                slug,
                kind,
                name_zh,
                name_en,
                time_zone,
                admin_password: req.admin_password,
            },
        )
        .await
        .map_err(|e| match ApiError::from(e) {
            e if e.code == "slug_taken" => ApiError::field("slug", "slug_taken")
                .with_status(StatusCode::CONFLICT)
                .with_code("slug_taken"),
            e => e,
        })?;
    let answer = idempotency
        .answer(
            &scope,
            StatusCode::CREATED,
            &TenantResponse {
                tenant,
                admin_password,
            },
        )
        .await?;
    scope.commit().await?;
    Ok(answer)
}

/// Get a tenant.
#[utoipa::path(
    get,
    path = "/api/v1/platform/tenants/{id}",
    tag = "platform",
    params(("id" = Uuid, Path, description = "The tenant's id.")),
    responses(
        (status = 200, description = "The tenant.", body = TenantView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<TenantView>> {
    require_operator(&caller)?;
    let tenant = state.storage.platform().get(TenantId(id)).await?;
    if tenant.kind == TenantKind::Platform {
        return Err(ApiError::not_found());
    }
    Ok(axum::Json(tenant))
}

/// The fields to change; absent ones stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantRequest {
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    /// An IANA zone name.
    pub time_zone: Option<String>,
}

/// Parses a tenant's changed names and zone (shared by operators and tenant admins).
pub fn parse_changes(req: UpdateTenantRequest) -> ApiResult<TenantChanges> {
    let mut check = FieldCheck::new();
    let changes = TenantChanges {
        name_zh: req
            .name_zh
            .as_deref()
            .and_then(|n| check.take("name_zh", parse_name(n))),
        name_en: req
            .name_en
            .as_deref()
            .and_then(|n| check.take("name_en", parse_name(n))),
        time_zone: req
            .time_zone
            .as_deref()
            .and_then(|z| check.take("time_zone", parse_time_zone(z))),
    };
    check.finish()?;
    Ok(changes)
}

/// Rename a tenant or change its time zone.
#[utoipa::path(
    patch,
    path = "/api/v1/platform/tenants/{id}",
    tag = "platform",
    params(("id" = Uuid, Path, description = "The tenant's id.")),
    request_body = UpdateTenantRequest,
    responses(
        (status = 200, description = "The tenant as changed.", body = TenantView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn update_tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateTenantRequest>,
) -> ApiResult<axum::Json<TenantView>> {
    require_operator(&caller)?;
    let changes = parse_changes(req)?;
    Ok(axum::Json(
        state
            .storage
            .platform()
            .update_tenant(TenantId(id), changes, &caller.audit())
            .await?,
    ))
}

async fn set_status(
    state: AppState,
    caller: Caller,
    id: Uuid,
    status: TenantStatus,
) -> ApiResult<axum::Json<TenantView>> {
    require_operator(&caller)?;
    Ok(axum::Json(
        state
            .storage
            .platform()
            .set_status(TenantId(id), status, &caller.audit())
            .await?,
    ))
}

/// Suspend a tenant.
///
/// Its sessions end and its accounts cannot log in (403 `tenant_suspended`) until resumed.
#[utoipa::path(
    post,
    path = "/api/v1/platform/tenants/{id}/suspend",
    tag = "platform",
    params(("id" = Uuid, Path, description = "The tenant's id.")),
    responses(
        (status = 200, description = "The tenant, suspended.", body = TenantView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn suspend_tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<TenantView>> {
    set_status(state, caller, id, TenantStatus::Suspended).await
}

/// Resume a suspended tenant.
#[utoipa::path(
    post,
    path = "/api/v1/platform/tenants/{id}/resume",
    tag = "platform",
    params(("id" = Uuid, Path, description = "The tenant's id.")),
    responses(
        (status = 200, description = "The tenant, active.", body = TenantView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn resume_tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<TenantView>> {
    set_status(state, caller, id, TenantStatus::Active).await
}
