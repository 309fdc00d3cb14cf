//! sea-orm entities, one per table. Only this crate sees them: the rest of the code gets
//! views built by the repositories, never raw rows.
pub mod account;
pub mod calendar_day;
pub mod demand;
pub mod demand_assist;
pub mod demand_category;
pub mod demand_event;
pub mod grant;
pub mod idempotency_key;
pub mod ledger_head;
pub mod operation_log;
pub mod session;
pub mod tenant;
pub mod tier;
pub mod unit;
pub mod unit_history;
