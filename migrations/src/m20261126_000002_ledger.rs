//! The demand ledger: per-tenant rules (routing, deadlines, algorithms), categories, the
//! working-day calendar, demands (the current state, rebuilt from events), co-handling units,
//! and the hash-chained, append-only events with the chain's head per tenant.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::{index, rls, tenant_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DbBackend::Postgres;

        // Per-tenant choices: the ledger's hash, the personal-data cipher, and the demand rules
        // (JSON; absent means the programme's defaults).
        for col in [
            string("hash_algorithm").default("sha256").to_owned(),
            string("cipher_algorithm").default("aes256_gcm").to_owned(),
            text_null("routing_rules").to_owned(),
            text_null("deadline_rules").to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("tenants")
                        .add_column(col.clone())
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("demand_categories")
                    .col(uuid("tenant_id"))
                    .col(string("key"))
                    .col(string("label_zh"))
                    .col(string("label_en"))
                    .col(integer("position"))
                    .col(boolean("retired").default(false))
                    .primary_key(Index::create().col("tenant_id").col("key"))
                    .foreign_key(&mut tenant_fk("demand_categories"))
                    .to_owned(),
            )
            .await?;

        // Overrides of the Monday–Friday rule: holidays and make-up working days (调休).
        manager
            .create_table(
                Table::create()
                    .table("calendar_days")
                    .col(uuid("tenant_id"))
                    .col(date("day"))
                    .col(string("kind"))
                    .col(string("name"))
                    .primary_key(Index::create().col("tenant_id").col("day"))
                    .foreign_key(&mut tenant_fk("calendar_days"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("demands")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string("receipt_code"))
                    .col(string("status"))
                    .col(string("grade"))
                    .col(string("category"))
                    .col(string("channel"))
                    .col(string("title"))
                    .col(text("description"))
                    .col(uuid("origin_unit_id"))
                    .col(string("origin_path"))
                    .col(uuid("handling_unit_id"))
                    .col(string("handling_path"))
                    .col(string("handling_tier"))
                    .col(string_null("phone_index"))
                    .col(uuid_null("visit_id"))
                    .col(timestamp_with_time_zone_null("reply_due_at"))
                    .col(timestamp_with_time_zone_null("resolve_due_at"))
                    // The earliest deadline still open: what "overdue" and the sweeper look at.
                    .col(timestamp_with_time_zone_null("next_due_at"))
                    .col(uuid_null("merged_into"))
                    .col(uuid_null("recorded_by"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    // The whole `DemandState` as JSON: equal to the state rebuilt from events.
                    .col(text("state"))
                    .col(big_integer("last_seq"))
                    .foreign_key(&mut tenant_fk("demands"))
                    .to_owned(),
            )
            .await?;
        if postgres {
            db.execute_unprepared(
                r#"ALTER TABLE demands ALTER COLUMN origin_path TYPE varchar COLLATE "C";
                   ALTER TABLE demands ALTER COLUMN handling_path TYPE varchar COLLATE "C";"#,
            )
            .await?;
        }
        for (name, cols, unique) in [
            (
                "ux_demands_receipt",
                &["tenant_id", "receipt_code"][..],
                true,
            ),
            (
                "ix_demands_handling",
                &["tenant_id", "handling_path", "received_at"][..],
                false,
            ),
            (
                "ix_demands_origin",
                &["tenant_id", "origin_path", "received_at"][..],
                false,
            ),
            (
                "ix_demands_received",
                &["tenant_id", "received_at", "id"][..],
                false,
            ),
            ("ix_demands_due", &["tenant_id", "next_due_at"][..], false),
            ("ix_demands_phone", &["tenant_id", "phone_index"][..], false),
        ] {
            manager
                .create_index(index(name, "demands", cols, unique))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("demand_assists")
                    .col(uuid("tenant_id"))
                    .col(uuid("demand_id"))
                    .col(uuid("unit_id"))
                    .col(string("unit_path"))
                    .primary_key(
                        Index::create()
                            .col("tenant_id")
                            .col("demand_id")
                            .col("unit_id"),
                    )
                    .foreign_key(&mut tenant_fk("demand_assists"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_demand_assists_path",
                "demand_assists",
                &["tenant_id", "unit_path"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("demand_events")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(big_integer("seq"))
                    .col(uuid("demand_id"))
                    .col(string("kind"))
                    .col(uuid_null("actor_id"))
                    .col(string("actor_username"))
                    .col(timestamp_with_time_zone("at"))
                    // Kept as text, byte for byte what was hashed (jsonb would reorder it).
                    .col(text("data"))
                    .col(string("algorithm"))
                    .col(string("prev_hash"))
                    .col(string("hash"))
                    .foreign_key(&mut tenant_fk("demand_events"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_demand_events_seq",
                "demand_events",
                &["tenant_id", "seq"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_demand_events_demand",
                "demand_events",
                &["tenant_id", "demand_id", "seq"],
                false,
            ))
            .await?;

        // The chain's head per tenant: the row lock serializes appends, so seqs have no gaps.
        manager
            .create_table(
                Table::create()
                    .table("ledger_heads")
                    .col(uuid("tenant_id").primary_key())
                    .col(big_integer("seq"))
                    .col(string("hash"))
                    .foreign_key(&mut tenant_fk("ledger_heads"))
                    .to_owned(),
            )
            .await?;

        for table in [
            "demand_categories",
            "calendar_days",
            "demands",
            "demand_assists",
            "demand_events",
            "ledger_heads",
        ] {
            rls::enable(manager, table).await?;
        }

        // Events are never updated or deleted; demands are never deleted.
        if postgres {
            db.execute_unprepared(
                "CREATE TRIGGER demand_events_append_only BEFORE UPDATE OR DELETE ON demand_events
                 FOR EACH ROW EXECUTE FUNCTION minqing_refuse_change();
                 CREATE TRIGGER demands_never_deleted BEFORE DELETE ON demands
                 FOR EACH ROW EXECUTE FUNCTION minqing_refuse_change();",
            )
            .await?;
        } else {
            db.execute_unprepared(
                "CREATE TRIGGER demand_events_no_update BEFORE UPDATE ON demand_events
                 BEGIN SELECT RAISE(ABORT, 'demand_events is append-only'); END;
                 CREATE TRIGGER demand_events_no_delete BEFORE DELETE ON demand_events
                 BEGIN SELECT RAISE(ABORT, 'demand_events is append-only'); END;
                 CREATE TRIGGER demands_no_delete BEFORE DELETE ON demands
                 BEGIN SELECT RAISE(ABORT, 'demands are never deleted'); END;",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the ledger migration cannot be reverted: it holds the append-only ledger".into(),
        ))
    }
}
