//! Councils (理事会) and workrooms (工作室/接待室): each unit's council members with their
//! category, role and term, and the unit's reception room. Both are read through the units they
//! belong to, so a unit moving takes its council along with no path to rewrite.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::{index, rls, tenant_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn unit_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_unit"))
        .from(table, "unit_id")
        .to("units", "id")
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("council_members")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("unit_id"))
                    .col(string("name"))
                    .col(string("category"))
                    .col(string("role"))
                    .col(string_null("organisation"))
                    .col(date("term_start"))
                    .col(date_null("term_end"))
                    // Sealed like a resident's phone (`v1:<alg>:…`), and its mask for lists.
                    .col(text_null("phone_sealed"))
                    .col(string_null("phone_masked"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut tenant_fk("council_members"))
                    .foreign_key(&mut unit_fk("council_members"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("workrooms")
                    .col(uuid("tenant_id"))
                    .col(uuid("unit_id"))
                    .col(string("name"))
                    .col(string("address"))
                    .col(string("opening_hours"))
                    // A JSON array of names.
                    .col(text("staff_on_duty"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("tenant_id").col("unit_id"))
                    .foreign_key(&mut tenant_fk("workrooms"))
                    .foreign_key(&mut unit_fk("workrooms"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_council_members_unit",
                "council_members",
                &["tenant_id", "unit_id"],
                false,
            ))
            .await?;
        for table in ["council_members", "workrooms"] {
            rls::enable(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the councils migration cannot be reverted: it holds council records".into(),
        ))
    }
}
