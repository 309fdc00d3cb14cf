//! `/api/v1/operations-log`: the append-only record of administrative changes (操作日志).
use axum::extract::State;
use minqing_domain::access::Permission;
use minqing_storage::oplog::LogEntry;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{ApiQuery, Caller, page_limit};
use crate::openapi::{Forbidden, Unauthorized, Unprocessable};
use crate::routes::ListResponse;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Only the entries about this unit, account or tenant.
    pub target_id: Option<Uuid>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Read the operations log.
///
/// Newest first. The log is tenant-wide, so reading it needs a whole-tenant grant; operators
/// read the platform tenant's log.
#[utoipa::path(
    get,
    path = "/api/v1/operations-log",
    tag = "operations-log",
    params(LogQuery),
    responses(
        (status = 200, description = "A page of entries.", body = ListResponse<LogEntry>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_operations(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> ApiResult<axum::Json<ListResponse<LogEntry>>> {
    // Operators read the platform tenant's log (tenant creation, suspension…).
    if !caller.actor.is_operator() {
        caller.require_everywhere(Permission::ReadOperationsLog)?;
    }
    let limit = page_limit(query.limit)?;
    let scope = caller.read(&state).await?;
    let (items, next) = scope
        .oplog()
        .list(query.target_id, query.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(ListResponse::new(items, next)))
}
