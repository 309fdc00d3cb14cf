//! `/api/v1/accounts`: accounts and their scoped role grants.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minqing_domain::access::{Permission, Reach};
use minqing_domain::password::{check_password, parse_username};
use minqing_domain::role::Role;
use minqing_domain::tenant::{TenantKind, parse_name};
use minqing_domain::{AccountId, UnitId};
use minqing_storage::TenantScope;
use minqing_storage::accounts::{AccountImportReport, AccountView, GrantView, NewAccount};
use minqing_storage::files::read_account_file;
use minqing_storage::passwords::generate_password;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_limit};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, ImportFile, NotFound, PayloadTooLarge,
    Unauthorized, Unprocessable,
};
use crate::routes::{ListResponse, PageQuery};
use crate::state::AppState;

/// A role, over the whole tenant (`unit_id` null) or over one unit's subtree.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantResponse {
    pub id: Uuid,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub unit_name: Option<String>,
}

impl From<GrantView> for GrantResponse {
    fn from(g: GrantView) -> Self {
        Self {
            id: g.id,
            role: g.role,
            unit_id: g.unit_id,
            unit_name: g.unit_name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountResponse {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub must_change_password: bool,
    pub grants: Vec<GrantResponse>,
    /// Shown once, when the server generated the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_password: Option<String>,
}

impl From<AccountView> for AccountResponse {
    fn from(a: AccountView) -> Self {
        Self {
            id: a.id,
            username: a.username,
            display_name: a.display_name,
            disabled: a.disabled,
            must_change_password: a.must_change_password,
            grants: a.grants.into_iter().map(GrantResponse::from).collect(),
            generated_password: None,
        }
    }
}

/// An account the caller may manage: a whole-tenant admin manages all; a scoped admin those
/// with a grant inside its subtree. Others do not exist for the caller.
async fn managed_account(scope: &TenantScope, caller: &Caller, id: Uuid) -> ApiResult<AccountView> {
    let reach = caller.reach(Permission::ManageAccounts)?;
    let account = scope.accounts().get(AccountId(id)).await?;
    if account.is_within(&reach) {
        Ok(account)
    } else {
        Err(ApiError::not_found())
    }
}

/// List accounts.
///
/// The accounts the caller may manage: all for a whole-tenant administrator, those with a grant
/// inside its subtrees for a scoped one.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "accounts",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of accounts.", body = ListResponse<AccountResponse>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<ListResponse<AccountResponse>>> {
    let reach = caller.reach(Permission::ManageAccounts)?;
    let limit = page_limit(query.limit)?;
    let scope = caller.read(&state).await?;
    let (accounts, next) = scope
        .accounts()
        .list(query.cursor.as_deref(), limit)
        .await?;
    let items = accounts
        .into_iter()
        .filter(|a| a.is_within(&reach))
        .map(AccountResponse::from)
        .collect();
    Ok(axum::Json(ListResponse::new(items, next)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    pub username: String,
    pub display_name: Option<String>,
    /// Generated (and to be changed at first login) when absent.
    pub password: Option<String>,
    /// Grants to give at once; a scoped admin must give at least one inside its subtree.
    #[serde(default)]
    pub grants: Vec<GrantRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// `tenant_admin`, `leader`, `cadre`, `recorder` or `auditor` (`platform_operator` in the
    /// platform tenant).
    #[schema(example = "cadre")]
    pub role: String,
    /// The unit whose subtree the role covers; absent or null for the whole tenant
    /// (whole-tenant administrators only).
    pub unit_id: Option<Uuid>,
}

/// Checks a grant the caller wants to give; returns it parsed.
async fn checked_grant(
    scope: &TenantScope,
    caller: &Caller,
    req: &GrantRequest,
) -> ApiResult<(Role, Option<UnitId>)> {
    let role = Role::parse(&req.role).map_err(|c| ApiError::field("role", c))?;
    let is_platform = caller.tenant.kind == TenantKind::Platform;
    if (role == Role::PlatformOperator) != is_platform {
        return Err(ApiError::field("role", "invalid_role"));
    }
    let reach = caller.reach(Permission::ManageAccounts)?;
    match req.unit_id {
        None if reach == Reach::All => Ok((role, None)),
        None => Err(ApiError::forbidden()),
        Some(id) => {
            let unit = scope
                .units()
                .get_within(UnitId(id), &reach)
                .await
                .map_err(|_| ApiError::field("unit_id", "unknown_unit"))?;
            Ok((role, Some(unit.id)))
        }
    }
}

/// Create an account.
///
/// With its grants at once; a scoped administrator must give at least one inside its subtree.
/// Without a password one is generated, answered once in `generated_password`, and must be
/// changed at first login. Honours `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    tag = "accounts",
    params(IdempotencyKey),
    request_body = CreateAccountRequest,
    responses(
        (status = 201, description = "Created.", body = AccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    IdempotentJson {
        body: req,
        idempotency,
    }: IdempotentJson<CreateAccountRequest>,
) -> ApiResult<Response> {
    let reach = caller.reach(Permission::ManageAccounts)?;
    let username = parse_username(&req.username).map_err(|c| ApiError::field("username", c))?;
    let display_name = match req.display_name.as_deref() {
        Some(d) => parse_name(d).map_err(|c| ApiError::field("display_name", c))?,
        None => username.clone(),
    };
    if let Some(p) = &req.password {
        check_password(p, &username).map_err(|c| ApiError::field("password", c))?;
    }
    if reach != Reach::All && req.grants.is_empty() {
        return Err(ApiError::field("grants", "required"));
    }
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let mut grants = Vec::with_capacity(req.grants.len());
    for g in &req.grants {
        grants.push(checked_grant(&scope, &caller, g).await?);
    }
    let (mut account, generated) = scope
        .accounts()
        .create(NewAccount {
            username,
            display_name,
            password: req.password,
        })
        .await
        .map_err(|e| match ApiError::from(e) {
            e if e.code == "username_taken" => ApiError::field("username", "username_taken")
                .with_status(StatusCode::CONFLICT)
                .with_code("username_taken"),
            e => e,
        })?;
    for (role, unit) in grants {
        account = scope.accounts().grant(account.id, role, unit).await?;
    }
    let mut response = AccountResponse::from(account);
    response.generated_password = generated;
    let answer = idempotency
        .answer(&scope, StatusCode::CREATED, &response)
        .await?;
    scope.commit().await?;
    Ok(answer)
}

/// Get an account.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{id}",
    tag = "accounts",
    params(("id" = Uuid, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "The account.", body = AccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<AccountResponse>> {
    let scope = caller.read(&state).await?;
    Ok(axum::Json(
        managed_account(&scope, &caller, id).await?.into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    pub display_name: String,
}

/// Rename an account.
#[utoipa::path(
    patch,
    path = "/api/v1/accounts/{id}",
    tag = "accounts",
    params(("id" = Uuid, Path, description = "The account's id.")),
    request_body = UpdateAccountRequest,
    responses(
        (status = 200, description = "The account as changed.", body = AccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn update_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateAccountRequest>,
) -> ApiResult<axum::Json<AccountResponse>> {
    let display_name =
        parse_name(&req.display_name).map_err(|c| ApiError::field("display_name", c))?;
    let scope = caller.write(&state).await?;
    let account = managed_account(&scope, &caller, id).await?;
    let updated = scope
        .accounts()
        .update_display_name(account.id, display_name)
        .await?;
    scope.commit().await?;
    Ok(axum::Json(updated.into()))
}

async fn set_disabled(
    state: AppState,
    caller: Caller,
    id: Uuid,
    disabled: bool,
) -> ApiResult<axum::Json<AccountResponse>> {
    if disabled && id == caller.actor.account.0 {
        return Err(ApiError::new(StatusCode::CONFLICT, "cannot_disable_self"));
    }
    let scope = caller.write(&state).await?;
    let account = managed_account(&scope, &caller, id).await?;
    let updated = scope.accounts().set_disabled(account.id, disabled).await?;
    scope.commit().await?;
    if disabled {
        // 等保: a disabled account's sessions end at once.
        state
            .storage
            .sessions()
            .end_account(caller.tenant.id, account.id, None)
            .await?;
    }
    Ok(axum::Json(updated.into()))
}

/// Disable an account.
///
/// Its sessions end at once. One cannot disable oneself (409 `cannot_disable_self`).
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{id}/disable",
    tag = "accounts",
    params(("id" = Uuid, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "The account, disabled.", body = AccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
pub async fn disable_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<AccountResponse>> {
    set_disabled(state, caller, id, true).await
}

/// Enable a disabled account.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{id}/enable",
    tag = "accounts",
    params(("id" = Uuid, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "The account, enabled.", body = AccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn enable_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<AccountResponse>> {
    set_disabled(state, caller, id, false).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResetPasswordResponse {
    pub generated_password: String,
}

/// Reset an account's password.
///
/// A generated password, answered once and to be changed at next login; the account's sessions
/// end.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{id}/reset-password",
    tag = "accounts",
    params(("id" = Uuid, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "The new password.", body = ResetPasswordResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<ResetPasswordResponse>> {
    let scope = caller.write(&state).await?;
    let account = managed_account(&scope, &caller, id).await?;
    let password = generate_password();
    scope
        .accounts()
        .set_password(account.id, &password, true)
        .await?;
    scope.commit().await?;
    state
        .storage
        .sessions()
        .end_account(caller.tenant.id, account.id, None)
        .await?;
    Ok(axum::Json(ResetPasswordResponse {
        generated_password: password,
    }))
}

/// Grant a role.
///
/// A scoped administrator may grant only inside its subtrees.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{id}/grants",
    tag = "accounts",
    params(("id" = Uuid, Path, description = "The account's id.")),
    request_body = GrantRequest,
    responses(
        (status = 201, description = "The account with the new grant.", body = AccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn add_grant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<GrantRequest>,
) -> ApiResult<(StatusCode, axum::Json<AccountResponse>)> {
    let scope = caller.write(&state).await?;
    let account = managed_account(&scope, &caller, id).await?;
    let (role, unit) = checked_grant(&scope, &caller, &req).await?;
    let updated = scope.accounts().grant(account.id, role, unit).await?;
    scope.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(updated.into())))
}

/// Revoke a grant.
///
/// A scoped administrator may revoke only what it could have granted.
#[utoipa::path(
    delete,
    path = "/api/v1/accounts/{id}/grants/{grant_id}",
    tag = "accounts",
    params(
        ("id" = Uuid, Path, description = "The account's id."),
        ("grant_id" = Uuid, Path, description = "The grant's id."),
    ),
    responses(
        (status = 200, description = "The account without the grant.", body = AccountResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn remove_grant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, grant_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<AccountResponse>> {
    let reach = caller.reach(Permission::ManageAccounts)?;
    let scope = caller.write(&state).await?;
    let account = managed_account(&scope, &caller, id).await?;
    let grant = account
        .grants
        .iter()
        .find(|g| g.id == grant_id)
        .ok_or_else(ApiError::not_found)?;
    // A scoped admin may only take away what it could have given.
    let may = match &grant.unit_path {
        None => reach == Reach::All,
        Some(path) => reach.covers(path),
    };
    if !may {
        return Err(ApiError::forbidden());
    }
    let updated = scope.accounts().revoke(account.id, grant_id).await?;
    scope.commit().await?;
    Ok(axum::Json(updated.into()))
}

/// Import accounts with their grants.
///
/// CSV or XLSX with the columns `username,display_name,role,unit_code[,password]`, one grant a
/// row, as the multipart field `file` or as the raw body, up to 64 MB. One transaction: any bad
/// row and nothing is imported, and the 422 `import_invalid` names every bad row. Generated
/// passwords come back once, in the answer.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/import",
    tag = "accounts",
    request_body(content = ImportFile, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What the import did.", body = AccountImportReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn import_accounts(
    State(state): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> ApiResult<axum::Json<AccountImportReport>> {
    let reach = caller.reach(Permission::ManageAccounts)?;
    let bytes = crate::upload::uploaded_file(req).await?;
    let (rows, unreadable) = read_account_file(&bytes)?;
    let scope = caller.write(&state).await?;
    let platform = caller.tenant.kind == TenantKind::Platform;
    let report = scope
        .accounts()
        .import(&rows, unreadable, &reach, platform)
        .await?;
    scope.commit().await?;
    Ok(axum::Json(report))
}
