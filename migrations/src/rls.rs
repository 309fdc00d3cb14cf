//! Row-level security on PostgreSQL: the backstop behind the application's tenant scoping.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// The setting a tenant-scoped transaction sets (`set_config(…, true)`), read by every policy.
pub const TENANT_SETTING: &str = "minqing.tenant_id";

/// Forces row-level security on `table`: rows are visible and writable only while the
/// transaction's `minqing.tenant_id` names their tenant. FORCE binds the table's owner too.
pub async fn enable(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    db.execute_unprepared(&format!(
        "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
         ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON {table}
           USING (tenant_id = NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid)
           WITH CHECK (tenant_id = NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid);"
    ))
    .await?;
    Ok(())
}
