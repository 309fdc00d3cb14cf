//! What follows a demand around: warnings (预警) and accountability cases (问责) the sweeper
//! raises, the notification outbox with each tenant's channels, attachments, and API keys for
//! intake channels such as a 12345 hotline (Open311).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::{index, rls, tenant_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tenants")
                    .add_column(text_null("accountability_rules"))
                    .to_owned(),
            )
            .await?;

        // When the sweeper next needs to look at a demand (a warning, an overdue, a case is due);
        // null when nothing is pending, so each pass reads only what needs action.
        manager
            .alter_table(
                Table::alter()
                    .table("demands")
                    .add_column(timestamp_with_time_zone_null("sweep_after"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_demands_sweep",
                "demands",
                &["tenant_id", "sweep_after"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("warnings")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("demand_id"))
                    .col(uuid("unit_id"))
                    .col(string("unit_path"))
                    .col(string("deadline"))
                    // `approaching` before the deadline, `overdue` after it.
                    .col(string("level"))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(timestamp_with_time_zone("raised_at"))
                    .foreign_key(&mut tenant_fk("warnings"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("accountability_cases")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("demand_id"))
                    .col(uuid("unit_id"))
                    .col(string("unit_path"))
                    .col(string("reason"))
                    .col(string("status"))
                    .col(string_null("outcome"))
                    .col(text_null("outcome_text"))
                    .col(uuid_null("decided_by"))
                    .col(string_null("decided_by_username"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(timestamp_with_time_zone("opened_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut tenant_fk("accountability_cases"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("notification_channels")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    // webhook, sms, wechat, email
                    .col(string("kind"))
                    .col(string("name"))
                    .col(string("url"))
                    // Signs webhook bodies (HMAC-SHA256); the gateway's credential otherwise.
                    .col(string("secret"))
                    // Who it is for: residents, cadres, or both.
                    .col(string("audience"))
                    .col(boolean("enabled"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut tenant_fk("notification_channels"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("channel_id"))
                    .col(string("topic"))
                    .col(uuid_null("demand_id"))
                    .col(text("payload"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut tenant_fk("outbox"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("attachments")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("demand_id"))
                    .col(string("file_name"))
                    .col(string("media_type"))
                    .col(big_integer("size"))
                    .col(string("sha256"))
                    // In the database, so every server behind one PostgreSQL sees the same files.
                    .col(blob("content"))
                    .col(uuid_null("uploaded_by"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .foreign_key(&mut tenant_fk("attachments"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("api_keys")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string("name"))
                    // The demand channel its submissions are recorded under (e.g. hotline).
                    .col(string("channel"))
                    // The unit whose subtree it may file demands in.
                    .col(uuid("unit_id"))
                    .col(string("key_hash"))
                    .col(string("prefix"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut tenant_fk("api_keys"))
                    .to_owned(),
            )
            .await?;

        for (name, table, cols, unique) in [
            (
                "ix_warnings_demand",
                "warnings",
                &["tenant_id", "demand_id"][..],
                false,
            ),
            (
                "ix_warnings_path",
                "warnings",
                &["tenant_id", "unit_path", "raised_at"][..],
                false,
            ),
            (
                "ix_cases_demand",
                "accountability_cases",
                &["tenant_id", "demand_id"][..],
                false,
            ),
            (
                "ix_cases_path",
                "accountability_cases",
                &["tenant_id", "unit_path", "opened_at"][..],
                false,
            ),
            (
                "ix_outbox_due",
                "outbox",
                &["tenant_id", "next_attempt_at"][..],
                false,
            ),
            (
                "ix_attachments_demand",
                "attachments",
                &["tenant_id", "demand_id"][..],
                false,
            ),
            ("ux_api_keys_hash", "api_keys", &["key_hash"][..], true),
        ] {
            manager
                .create_index(index(name, table, cols, unique))
                .await?;
        }
        for table in [
            "warnings",
            "accountability_cases",
            "notification_channels",
            "outbox",
            "attachments",
            "api_keys",
        ] {
            rls::enable(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the follow-up migration cannot be reverted: it holds accountability records".into(),
        ))
    }
}
