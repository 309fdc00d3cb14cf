//! Extractors: the caller (the only way a tenant enters a handler), and body, path and query
//! parsing whose failures become stable 4xx errors instead of the framework's plain text.
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use minqing_domain::access::{Actor, Permission, Reach};
use minqing_domain::tenant::TenantStatus;
use minqing_domain::text;
use minqing_storage::platform::TenantView;
use minqing_storage::settings::TenantSettings;
use minqing_storage::{Audit, SessionRecord, TenantScope};
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex};

use crate::control_chars::shown_name;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "minqing_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The request id set by the request-id layer.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The session token: a bearer token, else the portal's cookie (then CSRF applies).
fn token_of(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return auth
            .strip_prefix("Bearer ")
            .map(|t| (t.trim().to_owned(), false));
    }
    let cookies = headers.get_all(header::COOKIE);
    cookies
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| (value.to_owned(), true))
}

/// A logged-in caller whose password need not be changed first (me, logout, change password).
#[derive(Clone)]
pub struct SessionCaller {
    pub actor: Actor,
    pub tenant: TenantView,
    pub token: String,
    pub session: SessionRecord,
    pub must_change_password: bool,
    pub request_id: Option<String>,
    /// The tenant's settings version when the caller was resolved (`settings()`).
    settings_version: i64,
    /// The read transaction the caller was resolved in, handed to the first `read()` so a
    /// request pays for one transaction, not two.
    resolved_in: Arc<Mutex<Option<TenantScope>>>,
}

/// A logged-in caller allowed to use the API.
#[derive(Clone)]
pub struct Caller(pub SessionCaller);

impl std::ops::Deref for Caller {
    type Target = SessionCaller;
    fn deref(&self) -> &SessionCaller {
        &self.0
    }
}

impl<S> FromRequestParts<S> for SessionCaller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let state = AppState::from_ref(state);
        let (token, by_cookie) = token_of(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let caller = SessionCaller::resolve(&state, token, request_id(&parts.headers)).await?;
        check_csrf(parts, by_cookie, &caller.session)?;
        Ok(caller)
    }
}

/// A cookie-authenticated change must carry the session's CSRF token.
fn check_csrf(parts: &Parts, by_cookie: bool, session: &SessionRecord) -> ApiResult<()> {
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if by_cookie && unsafe_method {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent != Some(session.csrf_token.as_str()) {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf_failed"));
        }
    }
    Ok(())
}

impl SessionCaller {
    /// Resolves `token` from the database: the session, then the tenant, the account and its
    /// grants in one read transaction (kept for the handler's first `read()`).
    pub async fn resolve(
        state: &AppState,
        token: String,
        request_id: Option<String>,
    ) -> ApiResult<SessionCaller> {
        let session = state
            .storage
            .sessions()
            .lookup(&token)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        // One transaction (one connection) for the tenant, the account and the handler's reads.
        let scope = state.storage.read(session.tenant).await?;
        let resolved = match scope.accounts().caller(session.account).await {
            Ok(found) => found,
            Err(minqing_storage::StorageError::NotFound) => return Err(ApiError::unauthenticated()),
            Err(e) => return Err(e.into()),
        };
        let (tenant, account) = (resolved.tenant, resolved.account);
        if tenant.status == TenantStatus::Suspended {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "tenant_suspended"));
        }
        if account.disabled {
            return Err(ApiError::unauthenticated());
        }
        let caller = SessionCaller {
            actor: account.actor(tenant.id),
            must_change_password: account.must_change_password,
            tenant,
            token,
            session,
            request_id,
            settings_version: resolved.settings_version,
            resolved_in: Arc::new(Mutex::new(Some(scope))),
        };
        caller.record_in_span();
        Ok(caller)
    }

    fn record_in_span(&self) {
        let span = tracing::Span::current();
        span.record("tenant", self.tenant.slug.as_str());
        span.record("account", self.actor.username.as_str());
    }

    /// A copy that shares no transaction (for the caller cache).
    pub(crate) fn detached(&self) -> SessionCaller {
        SessionCaller {
            resolved_in: Arc::new(Mutex::new(None)),
            ..self.clone()
        }
    }

    /// The tenant's settings version the caller was resolved at.
    pub fn settings_version(&self) -> i64 {
        self.settings_version
    }
}

/// The caller of intake: from the caller cache when resolved moments ago (`cached`; see
/// `caller_cache`), else resolved from the database as `Caller` is.
pub struct IntakeCaller {
    pub caller: Caller,
    pub cached: bool,
}

impl<S> FromRequestParts<S> for IntakeCaller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let app = AppState::from_ref(state);
        if let Some((token, by_cookie)) = token_of(&parts.headers)
            && let Some(mut cached) = app.callers.get(&token)
            && !cached.must_change_password
        {
            check_csrf(parts, by_cookie, &cached.session)?;
            cached.request_id = request_id(&parts.headers);
            cached.record_in_span();
            return Ok(IntakeCaller {
                caller: Caller(cached),
                cached: true,
            });
        }
        let caller = Caller::from_request_parts(parts, state).await?;
        app.callers.put(&caller);
        Ok(IntakeCaller {
            caller,
            cached: false,
        })
    }
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        Caller::allowed(SessionCaller::from_request_parts(parts, state).await?)
    }
}

impl Caller {
    /// A session's caller, unless they must change their password first.
    pub fn allowed(caller: SessionCaller) -> ApiResult<Caller> {
        if caller.must_change_password {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
            ));
        }
        Ok(Caller(caller))
    }
}

impl SessionCaller {
    pub fn audit(&self) -> Audit {
        Audit {
            actor_id: Some(self.actor.account),
            username: self.actor.username.clone(),
            request_id: self.request_id.clone(),
        }
    }

    /// A read handle on the caller's own tenant: the only tenant a handler can reach.
    pub async fn read(&self, state: &AppState) -> ApiResult<TenantScope> {
        let reused = self.resolved_in.lock().expect("caller lock").take();
        match reused {
            Some(scope) => Ok(scope),
            None => Ok(state.storage.read(self.tenant.id).await?),
        }
    }

    /// [`read`](Self::read) in one snapshot from its first statement to its last, for a
    /// reading of many statements that must agree (the ledger's verification).
    pub async fn read_snapshot(&self, state: &AppState) -> ApiResult<TenantScope> {
        // The transaction the caller was resolved in has read already; it is not a snapshot.
        drop(self.resolved_in.lock().expect("caller lock").take());
        Ok(state.storage.read_snapshot(self.tenant.id).await?)
    }

    pub async fn write(&self, state: &AppState) -> ApiResult<TenantScope> {
        // PostgreSQL writes in the transaction the caller was resolved in. SQLite needs a
        // writer's transaction: the read one ends now (an open reader would pin an old snapshot).
        let resolved = self.resolved_in.lock().expect("caller lock").take();
        if let Some(scope) = resolved.and_then(|s| s.for_writes(self.audit())) {
            return Ok(scope);
        }
        Ok(state.storage.write(self.tenant.id, self.audit()).await?)
    }

    /// The tenant's tiers, demand rules, calendar and categories, from the process's cache
    /// while they are the version this request began with.
    pub async fn settings(
        &self,
        state: &AppState,
        scope: &TenantScope,
    ) -> ApiResult<Arc<TenantSettings>> {
        Ok(state.storage.settings(scope, self.settings_version).await?)
    }

    /// Where the caller holds `permission`; a 403 when nowhere.
    pub fn reach(&self, permission: Permission) -> ApiResult<Reach> {
        match self.actor.reach(permission) {
            Reach::Nothing => Err(ApiError::forbidden()),
            reach => Ok(reach),
        }
    }

    /// A 403 unless the caller holds `permission` over the whole tenant.
    pub fn require_everywhere(&self, permission: Permission) -> ApiResult<()> {
        if self.actor.may_everywhere(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// Parses a JSON body: malformed JSON, wrong types and unknown fields are 4xx with codes.
pub fn parse_json<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> ApiResult<T> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            let mime = ct.split(';').next().unwrap_or("").trim();
            mime == "application/json" || mime.ends_with("+json")
        });
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ));
    }
    refuse_control_characters(body)?;
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de);
    match value {
        Ok(v) => {
            de.end()
                .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "malformed_json"))?;
            Ok(v)
        }
        Err(e) => {
            let inner = e.inner();
            if inner.is_syntax() || inner.is_eof() {
                // A raw control character in a string is not JSON; one that may not be stored
                // at all is named as an escaped one is.
                if text::has_forbidden(&String::from_utf8_lossy(body)) {
                    return Err(control_character("body"));
                }
                return Err(ApiError::new(StatusCode::BAD_REQUEST, "malformed_json"));
            }
            if let Some(missing) = missing_field(&e) {
                return Err(missing);
            }
            let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
            let path = e.path().to_string();
            let field = if path == "." { "body".to_owned() } else { path };
            err.fields.insert(field, "invalid_body");
            Err(err)
        }
    }
}

/// A 422 `control_character` naming where the character was (a field, `body`, `path` or a
/// query parameter).
pub fn control_character(field: &str) -> ApiError {
    ApiError::field(field, text::CONTROL_CHARACTER).with_code(text::CONTROL_CHARACTER)
}

/// Refuses a JSON body whose decoded strings hold a character [`text::is_forbidden`] refuses
/// (`"\u0000"`), naming the field; the document is built only when an escape says so.
fn refuse_control_characters(body: &[u8]) -> ApiResult<()> {
    if !text::json_escapes_forbidden(body) {
        return Ok(());
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => match text::forbidden_in_json(&value) {
            Some(field) => Err(control_character(shown_name(&field, "body"))),
            None => Ok(()),
        },
        // Not JSON: the parser says so.
        Err(_) => Ok(()),
    }
}

/// A required field the body left out, as a 422 naming it (its path: `grants[0].role` for a
/// nested one) with `required` — the code a blank value gets — rather than `invalid_body` on
/// the object that lacks it. `None` for any other decoding error.
pub fn missing_field(e: &serde_path_to_error::Error<serde_json::Error>) -> Option<ApiError> {
    // serde words it `missing field `name`` (serde_json may add the position after it).
    let message = e.inner().to_string();
    let name = message.strip_prefix("missing field `")?.split_once('`')?.0;
    if name.is_empty() {
        return None;
    }
    let path = e.path().to_string();
    let field = if path == "." {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    };
    Some(ApiError::field(&field, "required"))
}

/// A JSON body, parsed with [`parse_json`].
pub struct ApiJson<T>(pub T);

/// The raw body (for idempotency fingerprints), size-limited by the router's body limit.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
                } else {
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid_body")
                }
            })
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        let headers = req.headers().clone();
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        parse_json(&headers, &bytes).map(ApiJson)
    }
}

/// Path parameters; a malformed id is a 400 `invalid_id`.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_id"))
    }
}

/// Query parameters; unknown or malformed ones are a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
                let path = e.path().to_string();
                err.fields.insert(
                    if path == "." { "query".into() } else { path },
                    "invalid_query",
                );
                err
            })
    }
}

/// The `?limit=` of every list: 50 by default, 1–500 allowed.
pub fn page_limit(limit: Option<i64>) -> ApiResult<u64> {
    match limit {
        None => Ok(50),
        Some(l) if (1..=500).contains(&l) => Ok(l as u64),
        Some(_) => {
            let mut err = ApiError::field("limit", "invalid_limit");
            err.code = "invalid_limit";
            Err(err)
        }
    }
}
