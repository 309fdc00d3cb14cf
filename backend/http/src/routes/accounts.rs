//! `/api/v1/accounts`: accounts and their scoped role grants.
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
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
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, RawBody, page_limit, parse_json};
use crate::idempotency::Idempotency;
use crate::routes::ListResponse;
use crate::state::AppState;

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListAccountsQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListAccountsQuery>,
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

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    pub role: String,
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

pub async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let req: CreateAccountRequest = parse_json(&headers, &body)?;
    let idempotency = Idempotency::from_request(&headers, &method, &uri, &body)?;
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    pub display_name: String,
}

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

pub async fn disable_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<AccountResponse>> {
    set_disabled(state, caller, id, true).await
}

pub async fn enable_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<AccountResponse>> {
    set_disabled(state, caller, id, false).await
}

#[derive(Debug, Serialize)]
pub struct ResetPasswordResponse {
    pub generated_password: String,
}

/// `POST /accounts/{id}/reset-password`: a generated password, to be changed at next login;
/// the account's sessions end.
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

/// `POST /accounts/import`: accounts with their grants from CSV or XLSX
/// (`username,display_name,role,unit_code[,password]`, one grant a row), in one transaction;
/// generated passwords come back once, in the answer.
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
