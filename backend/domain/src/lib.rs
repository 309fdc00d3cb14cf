//! Minqing's domain: the programme's words as types, and the rules that need no I/O.
//!
//! Everything here is pure and fast to test, and compiles to wasm so the portal shares it.
//! Raw input is parsed once, at the edge, into these types (`TenantSlug::parse`, …).

pub mod access;
pub mod account_import;
pub mod accountability;
pub mod budget;
pub mod calendar;
pub mod council;
pub mod crypto_choice;
pub mod dates;
pub mod demand;
pub mod division_import;
pub mod error;
pub mod household;
pub mod i18n;
pub mod ids;
pub mod ledger;
pub mod notification;
pub mod password;
pub mod personal_data;
pub mod role;
pub mod tenant;
pub mod text;
pub mod tier;
pub mod unit;
pub mod visits;

pub use error::{DomainError, FieldErrors};
pub use ids::{AccountId, TenantId, UnitId};
