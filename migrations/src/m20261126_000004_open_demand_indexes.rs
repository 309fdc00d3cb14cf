//! Indexes for the overdue and open lists: only demands that still owe a deadline
//! (`next_due_at` set), by where they were raised and where they are handled, with the deadline
//! in the key — so a district's overdue list reads its few thousand open demands, not the
//! million closed ones (`minqing bench overdue`).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Partial indexes: the same statement on PostgreSQL and SQLite.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_demands_open_origin ON demands (tenant_id, origin_path, next_due_at)
                   WHERE next_due_at IS NOT NULL;
                 CREATE INDEX ix_demands_open_handling ON demands (tenant_id, handling_path, next_due_at)
                   WHERE next_due_at IS NOT NULL;",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX ix_demands_open_origin; DROP INDEX ix_demands_open_handling;",
            )
            .await?;
        Ok(())
    }
}
