//! `TRUNCATE` refused on the append-only tables. The row triggers of migrations 1, 2 and 8
//! refuse `UPDATE` and `DELETE` on the operations log, the ledger's events, the demands and the
//! money tables, but `TRUNCATE` fires no row trigger (and row-level security does not bind it:
//! it empties every tenant's rows at once). A statement-level `BEFORE TRUNCATE` trigger on each
//! refuses it, naming the table (`minqing_refuse_change`, as the row triggers do); a
//! `TRUNCATE … CASCADE` that reaches one of them is refused too. SQLite has no `TRUNCATE`.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every append-only table: what no statement may empty.
pub const APPEND_ONLY: [&str; 6] = [
    "operations_log",
    "demand_events",
    "demands",
    "budget_lines",
    "expenditures",
    "expenditure_vouchers",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let mut sql = String::new();
        for table in APPEND_ONLY {
            sql.push_str(&format!(
                "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                 FOR EACH STATEMENT EXECUTE FUNCTION minqing_refuse_change();"
            ));
        }
        db.execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let mut sql = String::new();
        for table in APPEND_ONLY {
            sql.push_str(&format!(
                "DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"
            ));
        }
        db.execute_unprepared(&sql).await?;
        Ok(())
    }
}
