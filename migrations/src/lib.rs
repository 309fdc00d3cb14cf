//! Minqing's schema as sea-orm migrations, one file per migration (the name comes from the file).
//!
//! Every table that holds a tenant's data has a `tenant_id`; on PostgreSQL those tables have
//! row-level security forced on, so a connection that has not set `minqing.tenant_id` sees
//! nothing of them (see `rls`).
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_spine;
mod m20261126_000002_ledger;
mod m20261126_000003_follow_up;
mod m20261126_000004_open_demand_indexes;
mod m20261126_000005_units_by_level;
mod m20261127_000006_settings_version;
mod m20261127_000007_councils;
mod m20261202_000008_budgets;
mod m20261202_000009_access_version;
mod m20261203_000010_visits;
mod m20261203_000011_households;
mod m20261203_000012_interviews;
pub mod m20261203_000013_refusals;
pub mod m20261204_000014_no_truncate;
mod m20261207_000015_case_deadlines;
pub mod rls;

/// An index on `table` over `cols`.
pub(crate) fn index(name: &str, table: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table.to_owned());
    for col in cols {
        index.col(ToString::to_string(col));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

/// The foreign key from `table.tenant_id` to `tenants.id`, which every tenant table has.
pub(crate) fn tenant_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_tenant"))
        .from(table, "tenant_id")
        .to("tenants", "id")
        .to_owned()
}

/// The foreign key from `table.col` to `to.id`.
pub(crate) fn fk(
    table: &'static str,
    col: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(to, "id")
        .to_owned()
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_spine::Migration),
            Box::new(m20261126_000002_ledger::Migration),
            Box::new(m20261126_000003_follow_up::Migration),
            Box::new(m20261126_000004_open_demand_indexes::Migration),
            Box::new(m20261126_000005_units_by_level::Migration),
            Box::new(m20261127_000006_settings_version::Migration),
            Box::new(m20261127_000007_councils::Migration),
            Box::new(m20261202_000008_budgets::Migration),
            Box::new(m20261202_000009_access_version::Migration),
            Box::new(m20261203_000010_visits::Migration),
            Box::new(m20261203_000011_households::Migration),
            Box::new(m20261203_000012_interviews::Migration),
            Box::new(m20261203_000013_refusals::Migration),
            Box::new(m20261204_000014_no_truncate::Migration),
            Box::new(m20261207_000015_case_deadlines::Migration),
        ]
    }
}
