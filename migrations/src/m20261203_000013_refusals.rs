//! `minqing_refuse(code)`: raises an error (SQLSTATE `MQ001`, the message `code`) from inside a
//! statement. A single statement that finds it must not apply (the intake writer's head swap
//! that missed) calls it, so the whole statement — and with it the implicit transaction of an
//! autocommit statement — is rolled back, and the caller reads which refusal it was.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The SQLSTATE `minqing_refuse` raises.
pub const REFUSAL: &str = "MQ001";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            // SQLite has no such writes: its intake takes the write lock first.
            return Ok(());
        }
        db.execute_unprepared(&format!(
            "CREATE OR REPLACE FUNCTION minqing_refuse(code text) RETURNS boolean
             LANGUAGE plpgsql AS $$
             BEGIN
               RAISE EXCEPTION USING ERRCODE = '{REFUSAL}', MESSAGE = code;
             END $$"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS minqing_refuse(text)")
                .await?;
        }
        Ok(())
    }
}
