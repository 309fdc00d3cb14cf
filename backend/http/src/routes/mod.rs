//! One module per resource; `crate::router` composes them.
pub mod accountability;
pub mod accounts;
pub mod api_keys;
pub mod attachments;
pub mod auth;
pub mod budgets;
pub mod councils;
pub mod demand_settings;
pub mod demands;
pub mod health;
pub mod households;
pub mod ledger;
pub mod notifications;
pub mod open311;
pub mod operations_log;
pub mod platform;
pub mod public;
pub mod public_form;
pub mod tenant;
pub mod units;
pub mod visits;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `?limit=&cursor=` of a list that takes no other parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

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
