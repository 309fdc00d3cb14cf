//! `/api/v1/public/…`: what residents read without logging in. No personal data, ever.
use axum::extract::State;
use minqing_domain::demand::parse_receipt_code;
use minqing_domain::tenant::{TenantKind, TenantStatus};
use minqing_storage::demands::PublicDemandView;

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::openapi::NotFound;
use crate::state::AppState;

/// Follow a demand by its receipt code.
///
/// Its status, handling unit, deadline and steps (with the text of progress replies) — never
/// the resident's name, phone or ID number. No login. The code may be typed in any case, with
/// or without dashes.
#[utoipa::path(
    get,
    path = "/api/v1/public/{tenant}/demands/{code}",
    tag = "public",
    params(("tenant" = String, Path, description = "The tenant's slug"), ("code" = String, Path, description = "The receipt code")),
    security(()),
    responses(
        (status = 200, description = "The demand's progress.", body = PublicDemandView),
        (status = 404, response = NotFound),
    )
)]
pub async fn demand_by_receipt(
    State(state): State<AppState>,
    ApiPath((slug, code)): ApiPath<(String, String)>,
) -> ApiResult<axum::Json<PublicDemandView>> {
    let code = parse_receipt_code(&code).map_err(|_| ApiError::not_found())?;
    let tenant = state
        .storage
        .platform()
        .find_by_slug(&slug.to_ascii_lowercase())
        .await?
        .filter(|t| t.kind != TenantKind::Platform && t.status == TenantStatus::Active)
        .ok_or_else(ApiError::not_found)?;
    let scope = state.storage.read(tenant.id).await?;
    Ok(axum::Json(scope.demands().public_view(&code).await?))
}
