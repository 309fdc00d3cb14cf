//! `/healthz` (the process answers) and `/readyz` (database and cache answer).
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` (healthz), `ready` or `unavailable` (readyz).
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is alive.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    security(()),
    responses((status = 200, description = "Alive.", body = HealthResponse))
)]
pub async fn healthz() -> impl IntoResponse {
    axum::Json(HealthResponse { status: "ok" })
}

/// The database and the cache answer.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Ready: `{\"status\": \"ready\"}`.", body = HealthResponse),
        (status = 503, description = "The database or the cache does not answer: `{\"status\": \"unavailable\"}`.", body = HealthResponse),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.storage.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(HealthResponse { status: "ready" }),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(HealthResponse {
                    status: "unavailable",
                }),
            )
        }
    }
}
