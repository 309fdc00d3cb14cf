//! sea-orm entities, one per table. Only this crate sees them: the rest of the code gets
//! views built by the repositories, never raw rows.
pub mod account;
pub mod accountability_case;
pub mod api_key;
pub mod attachment;
pub mod budget_line;
pub mod calendar_day;
pub mod council_member;
pub mod demand;
pub mod demand_assist;
pub mod demand_category;
pub mod demand_event;
pub mod expenditure;
pub mod expenditure_voucher;
pub mod grant;
pub mod idempotency_key;
pub mod ledger_head;
pub mod notification_channel;
pub mod operation_log;
pub mod outbox_message;
pub mod session;
pub mod tenant;
pub mod tier;
pub mod unit;
pub mod unit_history;
pub mod warning;
pub mod workroom;
