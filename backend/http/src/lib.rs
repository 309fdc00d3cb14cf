//! Minqing's JSON API: AppState, router, extractors, errors, one module per resource.
pub mod caller_cache;
pub mod client_addr;
pub mod control_chars;
pub mod error;
pub mod export;
pub mod extract;
pub mod ical;
pub mod idempotency;
pub mod localize;
pub mod openapi;
pub mod router;
pub mod routes;
pub mod state;
pub mod upload;

pub use error::{ApiError, ApiResult};
pub use router::{layers, router};
pub use state::{AppState, HttpConfig};
