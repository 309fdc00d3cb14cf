//! One module per screen of the portal.
mod accountability;
mod accounts;
mod budget;
mod council;
mod demand;
mod demand_settings;
mod import;
mod intake;
mod integrations;
mod ledger;
mod login;
mod receipt;
mod settings;
mod tenants;
mod units;

pub use accountability::{CasePage, CasesPage, WarningsPage};
pub use accounts::AccountsPage;
pub use demand::DemandPage;
pub use demand_settings::DemandSettingsPage;
pub use import::ImportPage;
pub use intake::IntakePage;
pub use ledger::LedgerPage;
pub use login::{ChangePasswordForm, LoginPage};
pub use receipt::{ReceiptLookupPage, ReceiptPage};
pub use settings::SettingsPage;
pub use tenants::TenantsPage;
pub use units::{UnitDetailPanel, UnitsPage, UnitsPlaceholder};
