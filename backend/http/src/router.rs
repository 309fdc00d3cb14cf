//! The API router: every route in one place, with the layers every request passes through
//! (request id, trace span, body limits, error localization, panic → 500 JSON).
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::HeaderName;
use axum::routing::{delete, get, patch, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::error::ApiError;
use crate::localize::localize;
use crate::routes::{accounts, auth, health, operations_log, platform, tenant, units};
use crate::state::AppState;

/// JSON bodies are small; files go to the import routes.
pub const BODY_LIMIT: usize = 1024 * 1024;
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

fn api_routes() -> Router<AppState> {
    let imports = Router::new()
        .route("/units/import", post(units::import_units))
        .route("/accounts/import", post(accounts::import_accounts))
        .layer(DefaultBodyLimit::max(IMPORT_LIMIT));
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/auth/password", post(auth::change_password))
        .route(
            "/platform/tenants",
            get(platform::list_tenants).post(platform::create_tenant),
        )
        .route(
            "/platform/tenants/{id}",
            get(platform::get_tenant).patch(platform::update_tenant),
        )
        .route(
            "/platform/tenants/{id}/suspend",
            post(platform::suspend_tenant),
        )
        .route(
            "/platform/tenants/{id}/resume",
            post(platform::resume_tenant),
        )
        .route(
            "/tenant",
            get(tenant::get_tenant).patch(tenant::update_tenant),
        )
        .route(
            "/tenant/tiers",
            get(tenant::list_tiers).post(tenant::add_tier),
        )
        .route(
            "/tenant/tiers/{key}",
            patch(tenant::relabel_tier).delete(tenant::remove_tier),
        )
        .route("/units", get(units::list_units).post(units::create_unit))
        .route("/units/roots", get(units::list_roots))
        .route(
            "/units/{id}",
            get(units::get_unit).patch(units::update_unit),
        )
        .route("/units/{id}/children", get(units::list_children))
        .route("/units/{id}/ancestors", get(units::list_ancestors))
        .route("/units/{id}/move", post(units::move_unit))
        .route("/units/{id}/merge", post(units::merge_unit))
        .route("/units/{id}/archive", post(units::archive_unit))
        .route(
            "/accounts",
            get(accounts::list_accounts).post(accounts::create_account),
        )
        .route(
            "/accounts/{id}",
            get(accounts::get_account).patch(accounts::update_account),
        )
        .route("/accounts/{id}/disable", post(accounts::disable_account))
        .route("/accounts/{id}/enable", post(accounts::enable_account))
        .route(
            "/accounts/{id}/reset-password",
            post(accounts::reset_password),
        )
        .route("/accounts/{id}/grants", post(accounts::add_grant))
        .route(
            "/accounts/{id}/grants/{grant_id}",
            delete(accounts::remove_grant),
        )
        .route("/operations-log", get(operations_log::list_operations))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(imports)
        .fallback(|| async { ApiError::not_found() })
}

/// The API and health routes, with state. The server adds the portal and calls [`layers`].
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest("/api/v1", api_routes())
        .with_state(state)
}

/// Wraps the whole app (API and portal) in the layers every request passes through.
pub fn layers(app: Router) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    app.layer(axum::middleware::from_fn(localize))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("handler panicked");
            axum::response::IntoResponse::into_response(ApiError::internal())
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(make_span)
                .on_response(on_response),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

fn make_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{} {}", request.method(), route),
        method = %request.method(),
        route = %route,
        request_id = %request_id,
        status = tracing::field::Empty,
        tenant = tracing::field::Empty,
        account = tracing::field::Empty,
    );
    // Continue the caller's trace when it sent a W3C `traceparent`.
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&opentelemetry_http::HeaderExtractor(request.headers()))
    });
    let _ = span.set_parent(parent);
    span
}

fn on_response(
    response: &axum::response::Response,
    latency: std::time::Duration,
    span: &tracing::Span,
) {
    let status = response.status().as_u16();
    span.record("status", status);
    if status >= 500 {
        tracing::error!(
            status,
            latency_ms = latency.as_millis() as u64,
            "request failed"
        );
    } else {
        tracing::info!(status, latency_ms = latency.as_millis() as u64, "request");
    }
}
