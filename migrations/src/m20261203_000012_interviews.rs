//! In-home interviews (入户访谈): a visit of kind `interview` names the household it visits
//! (from its community's register). Existing visits are visits to a community.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Two statements: SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table("visits")
                    .add_column(string("kind").default("visit"))
                    .to_owned(),
            )
            .await?;
        // Checked by the application against the community's register (SQLite cannot add a
        // foreign key to an existing table).
        manager
            .alter_table(
                Table::alter()
                    .table("visits")
                    .add_column(uuid_null("household_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the interviews migration cannot be reverted: it holds interview records".into(),
        ))
    }
}
