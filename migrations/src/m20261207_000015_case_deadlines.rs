//! One accountability case per clock (a unit's hold of a demand) names every deadline of it that
//! was missed. Cases opened before name none: each was about one deadline, which its demand's
//! `accountability_raised` event names.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("accountability_cases")
                    .add_column(string("deadlines").default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("accountability_cases")
                    .drop_column("deadlines")
                    .to_owned(),
            )
            .await
    }
}
