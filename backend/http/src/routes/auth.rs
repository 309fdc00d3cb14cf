//! Login, logout, who am I, and changing one's own password.
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use minqing_domain::AccountId;
use minqing_domain::password::check_password;
use minqing_domain::tenant::TenantStatus;
use minqing_storage::passwords::{burn_verification_time, verify_password};
use minqing_storage::throttle;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, SESSION_COOKIE, SessionCaller};
use crate::openapi::{
    BadRequest, Forbidden, PayloadTooLarge, TooManyRequests, Unauthorized, Unprocessable,
};
use crate::routes::accounts::GrantResponse;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The tenant's slug; `platform` for operators.
    #[schema(example = "nanchang")]
    pub tenant: String,
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the session ends if unused (idle expiry); each use extends it up to the absolute limit.
    pub expires_at: DateTime<Utc>,
    /// For `x-csrf-token` on unsafe requests made with the session cookie.
    pub csrf_token: String,
    pub must_change_password: bool,
}

/// The client's address, for throttling (see [`crate::client_addr`]).
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(ClientAddr(crate::client_addr::client_addr(
            peer,
            forwarded,
            state.config.trusted_proxy_hops,
        )))
    }
}

fn invalid_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials")
}

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie text is ASCII")
}

/// Log in.
///
/// Answers a token and sets the portal's session cookie. Unknown tenant and wrong password give
/// the same 401 `invalid_credentials`; repeated failures are throttled (429 `login_throttled`);
/// a suspended tenant is a 403 `tenant_suspended`, a disabled account 403 `account_disabled`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; also sets the `minqing_session` cookie.", body = LoginResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let (body, cookie) = sign_in(&state, &addr, &req).await?;
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The login page's own form, posted before the portal has hydrated (a slow phone, Enter
/// pressed at once): the same check as [`login`]; on success the session cookie and a 303 to
/// the portal, else a 303 back to `/login` with the error's code and what was typed (never
/// the password), which the page shows in the reader's language.
pub async fn form_login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    axum::Form(req): axum::Form<LoginRequest>,
) -> Response {
    let typed = [&req.tenant, &req.username, &req.password];
    let answer = if typed.iter().any(|t| minqing_domain::text::has_forbidden(t)) {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "control_character",
        ))
    } else {
        sign_in(&state, &addr, &req).await
    };
    match answer {
        Ok((_, cookie)) => {
            let mut response = see_other("/");
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(e) => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("error", e.code);
            // What was typed comes back to the form, unless it is what was refused.
            if e.code != "control_character" {
                query
                    .append_pair("tenant", req.tenant.trim())
                    .append_pair("username", req.username.trim());
            }
            see_other(&format!("/login?{}", query.finish()))
        }
    }
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Checks the credentials and opens a session: its answer and the cookie that carries it.
async fn sign_in(
    state: &AppState,
    addr: &str,
    req: &LoginRequest,
) -> ApiResult<(LoginResponse, HeaderValue)> {
    let cache = state.storage.cache();
    let slug = req.tenant.trim().to_lowercase();
    let username = req.username.trim().to_owned();
    if throttle::is_throttled(cache, state.config.login_limits, &slug, &username, addr).await? {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "login_throttled",
        ));
    }
    let account = match state.storage.platform().find_by_slug(&slug).await? {
        None => None,
        Some(tenant) => {
            let scope = state.storage.read(tenant.id).await?;
            scope
                .accounts()
                .credentials(&username)
                .await?
                .map(|c| (tenant, c))
        }
    };
    let verified = match &account {
        Some((_, c)) => verify_password(&req.password, &c.password_hash),
        None => {
            burn_verification_time();
            false
        }
    };
    let Some((tenant, credentials)) = account.filter(|_| verified) else {
        throttle::record_failure(cache, &slug, &username, addr).await?;
        tracing::info!(tenant = %slug, username = %username, "login failed");
        return Err(invalid_credentials());
    };
    // Only someone who knows the password learns that the tenant is suspended.
    if tenant.status == TenantStatus::Suspended {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "tenant_suspended"));
    }
    if credentials.disabled {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "account_disabled"));
    }
    throttle::record_success(cache, &slug, &username).await?;
    let sessions = state.storage.sessions();
    let (token, record) = sessions.create(tenant.id, credentials.id).await?;
    let body = LoginResponse {
        expires_at: record.idle_deadline(sessions.config()),
        csrf_token: record.csrf_token.clone(),
        must_change_password: credentials.must_change_password,
        token: token.clone(),
    };
    let max_age = sessions.config().absolute.as_secs() as i64;
    Ok((body, session_cookie(state, &token, max_age)))
}

/// Log out.
///
/// Ends the session (token and cookie alike) and clears the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Logged out."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn logout(State(state): State<AppState>, caller: SessionCaller) -> ApiResult<Response> {
    state.storage.sessions().end(&caller.token).await?;
    state.callers.forget(&caller.token);
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(response)
}

#[derive(Serialize, ToSchema)]
pub struct MeTenant {
    pub id: Uuid,
    pub slug: String,
    pub kind: minqing_domain::tenant::TenantKind,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeAccount {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub must_change_password: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub tenant: MeTenant,
    pub account: MeAccount,
    pub grants: Vec<GrantResponse>,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Who am I.
///
/// The caller's tenant, account and grants, and the session's CSRF token. Answers even when the
/// password must be changed first.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    responses(
        (status = 200, description = "The caller.", body = MeResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn me(
    State(state): State<AppState>,
    caller: SessionCaller,
) -> ApiResult<axum::Json<MeResponse>> {
    let scope = caller.read(&state).await?;
    let account = scope.accounts().get(caller.actor.account).await?;
    Ok(axum::Json(MeResponse {
        tenant: MeTenant {
            id: caller.tenant.id.0,
            slug: caller.tenant.slug.clone(),
            kind: caller.tenant.kind,
            name_zh: caller.tenant.name_zh.clone(),
            name_en: caller.tenant.name_en.clone(),
        },
        account: MeAccount {
            id: account.id,
            username: account.username,
            display_name: account.display_name,
            must_change_password: account.must_change_password,
        },
        grants: account
            .grants
            .into_iter()
            .map(GrantResponse::from)
            .collect(),
        csrf_token: caller.session.csrf_token.clone(),
        expires_at: caller
            .session
            .idle_deadline(state.storage.sessions().config()),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Change one's own password.
///
/// The account's other sessions end; this one stays.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    tag = "auth",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    caller: SessionCaller,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    let scope = caller.write(&state).await?;
    let hash = scope.accounts().password_hash(caller.actor.account).await?;
    if !verify_password(&req.current_password, &hash) {
        return Err(ApiError::field("current_password", "wrong_password"));
    }
    check_password(&req.new_password, &caller.actor.username)
        .map_err(|code| ApiError::field("new_password", code))?;
    if req.new_password == req.current_password {
        return Err(ApiError::field("new_password", "password_reused"));
    }
    scope
        .accounts()
        .set_password(caller.actor.account, &req.new_password, false)
        .await?;
    scope.commit().await?;
    state
        .storage
        .sessions()
        .end_account(caller.tenant.id, caller.actor.account, Some(&caller.token))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
