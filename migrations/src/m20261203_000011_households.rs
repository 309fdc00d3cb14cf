//! Households (住户): each community's register — address (and the key it is compared by, so
//! a file imported twice adds nothing), head of household, phone sealed and masked like a
//! resident's, flags (JSON) — and which households took part in which visit, for coverage.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::{fk, index, rls, tenant_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("households")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("unit_id"))
                    .col(string("address"))
                    .col(string("address_key"))
                    .col(string("head_name"))
                    .col(text_null("phone_sealed"))
                    .col(string_null("phone_masked"))
                    .col(text("flags"))
                    .col(integer_null("members"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut tenant_fk("households"))
                    .foreign_key(&mut fk("households", "unit_id", "units"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("visit_households")
                    .col(uuid("tenant_id"))
                    .col(uuid("visit_id"))
                    .col(uuid("household_id"))
                    .primary_key(Index::create().col("visit_id").col("household_id"))
                    .foreign_key(&mut tenant_fk("visit_households"))
                    .foreign_key(&mut fk("visit_households", "visit_id", "visits"))
                    .foreign_key(&mut fk("visit_households", "household_id", "households"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_households_address",
                "households",
                &["tenant_id", "unit_id", "address_key"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_visit_households_household",
                "visit_households",
                &["tenant_id", "household_id"],
                false,
            ))
            .await?;
        for table in ["households", "visit_households"] {
            rls::enable(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the households migration cannot be reverted: it holds the household register".into(),
        ))
    }
}
