//! One module per resource; `crate::router` composes them.
pub mod accounts;
pub mod auth;
pub mod health;
pub mod operations_log;
pub mod platform;
pub mod tenant;
pub mod units;

use serde::Serialize;
use utoipa::ToSchema;

/// Every list answers `{"items": […], "next_cursor": … | null}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> ListResponse<T> {
    pub fn new(items: Vec<T>, next_cursor: Option<String>) -> Self {
        Self { items, next_cursor }
    }
}
