//! `/api/v1/ledger/verify`: proves the tenant's demand ledger intact, or names every break.
use axum::extract::State;
use minqing_domain::access::Permission;
use minqing_storage::ledger::VerifyReport;

use crate::error::ApiResult;
use crate::extract::Caller;
use crate::openapi::{Forbidden, Unauthorized};
use crate::state::AppState;

/// Verify the ledger's hash chain.
///
/// Recomputes every event's hash (SHA-256 or SM3, as each event records) over its content and
/// the previous event's hash, and checks the chain's head. It goes on past a break: `breaks`
/// names every tampered, inserted or missing event (its seq, its demand — none for a missing
/// one unless it was its demand's last — and the kind), in seq order, the first 1,000 of them;
/// `break_count` counts them all. Administrators and auditors over the whole tenant.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/verify",
    tag = "demands",
    responses(
        (status = 200, description = "The verdict.", body = VerifyReport),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn verify_ledger(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<VerifyReport>> {
    caller.require_everywhere(Permission::VerifyLedger)?;
    // One snapshot for the head and every page of events: appends going on are no breaks.
    let scope = caller.read_snapshot(&state).await?;
    Ok(axum::Json(scope.verify_ledger().await?))
}
