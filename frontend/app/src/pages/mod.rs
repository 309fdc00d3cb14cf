//! One module per screen of the portal.
mod accounts;
mod import;
mod login;
mod settings;
mod tenants;
mod units;

pub use accounts::AccountsPage;
pub use import::ImportPage;
pub use login::{ChangePasswordForm, LoginPage};
pub use settings::SettingsPage;
pub use tenants::TenantsPage;
pub use units::{UnitDetailPanel, UnitsPage, UnitsPlaceholder};
