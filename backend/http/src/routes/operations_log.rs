//! `/api/v1/operations-log`: the append-only record of administrative changes (操作日志).
use axum::extract::State;
use minqing_domain::access::Permission;
use minqing_storage::oplog::LogEntry;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{ApiQuery, Caller, page_limit};
use crate::routes::ListResponse;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    pub target_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Newest first. The log is tenant-wide, so reading it needs a whole-tenant grant.
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
