//! Contact points (联系点) and visits (家访): a leader paired with a community or village for a
//! span of days, and the visits held there — scheduled, their notice published, held with
//! attendance and minutes, or cancelled; rescheduled with a reason. A visit's hosts are
//! accounts, in a table of their own so a leader's visits are one index away (their
//! calendar feed, their obligations).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::{fk, index, rls, tenant_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["contact_points", "visits", "visit_hosts"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("contact_points")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("leader_id"))
                    .col(uuid("unit_id"))
                    .col(date("since"))
                    .col(date_null("until"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut tenant_fk("contact_points"))
                    .foreign_key(&mut fk("contact_points", "leader_id", "accounts"))
                    .foreign_key(&mut fk("contact_points", "unit_id", "units"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("visits")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("unit_id"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string("place"))
                    .col(string_null("topic"))
                    .col(timestamp_with_time_zone_null("notice_published_at"))
                    // The last move: the time it was moved from and why.
                    .col(timestamp_with_time_zone_null("moved_from"))
                    .col(text_null("move_reason"))
                    .col(text_null("cancel_reason"))
                    // Attendance as JSON (residents, walk-ins, households) and the minutes.
                    .col(text_null("attendance"))
                    .col(text_null("minutes"))
                    .col(string_null("minutes_by"))
                    .col(string("scheduled_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut tenant_fk("visits"))
                    .foreign_key(&mut fk("visits", "unit_id", "units"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("visit_hosts")
                    .col(uuid("tenant_id"))
                    .col(uuid("visit_id"))
                    .col(uuid("account_id"))
                    .primary_key(Index::create().col("visit_id").col("account_id"))
                    .foreign_key(&mut tenant_fk("visit_hosts"))
                    .foreign_key(&mut fk("visit_hosts", "visit_id", "visits"))
                    .foreign_key(&mut fk("visit_hosts", "account_id", "accounts"))
                    .to_owned(),
            )
            .await?;
        for (name, table, cols) in [
            (
                "ix_contact_points_unit",
                "contact_points",
                &["tenant_id", "unit_id"][..],
            ),
            (
                "ix_contact_points_leader",
                "contact_points",
                &["tenant_id", "leader_id"][..],
            ),
            (
                "ix_visits_unit",
                "visits",
                &["tenant_id", "unit_id", "starts_at"][..],
            ),
            (
                "ix_visits_starts",
                "visits",
                &["tenant_id", "starts_at"][..],
            ),
            (
                "ix_visit_hosts_account",
                "visit_hosts",
                &["tenant_id", "account_id"][..],
            ),
        ] {
            manager
                .create_index(index(name, table, cols, false))
                .await?;
        }
        for table in TABLES {
            rls::enable(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the visits migration cannot be reverted: it holds the programme's visit records"
                .into(),
        ))
    }
}
