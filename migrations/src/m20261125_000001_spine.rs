//! The spine: tenants, tiers, units and their history, accounts, grants, sessions,
//! the operations log and idempotency keys.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::{rls, tenant_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("tenants")
                    .col(pk_uuid("id"))
                    .col(string_uniq("slug"))
                    .col(string("kind"))
                    .col(string("name_zh"))
                    .col(string("name_en"))
                    .col(string("time_zone"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("tiers")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(integer("level"))
                    .col(string("key"))
                    .col(string("label_zh"))
                    .col(string("label_en"))
                    .foreign_key(&mut tenant_fk("tiers"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_tiers_tenant_key")
                    .table("tiers")
                    .col("tenant_id")
                    .col("key")
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("units")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid_null("parent_id"))
                    .col(integer("level"))
                    .col(string_null("code"))
                    .col(string("name"))
                    .col(string("path"))
                    // Unarchived children, kept by the units repository on every change, so a
                    // page of 500 units needs no count per row.
                    .col(integer("child_count").default(0))
                    .col(timestamp_with_time_zone_null("archived_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut tenant_fk("units"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            // Paths compare byte by byte, so a subtree is one range of the index.
            db.execute_unprepared(
                r#"ALTER TABLE units ALTER COLUMN path TYPE varchar COLLATE "C""#,
            )
            .await?;
        }
        for (name, cols, unique) in [
            ("ux_units_tenant_code", &["tenant_id", "code"][..], true),
            ("ix_units_tenant_path", &["tenant_id", "path"][..], true),
            (
                "ix_units_tenant_parent",
                &["tenant_id", "parent_id"][..],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table("units");
            for col in cols {
                index.col(*col);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("unit_history")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("unit_id"))
                    .col(string("change"))
                    .col(string_null("old_code"))
                    .col(string_null("new_code"))
                    .col(string_null("old_name"))
                    .col(string_null("new_name"))
                    .col(uuid_null("old_parent_id"))
                    .col(uuid_null("new_parent_id"))
                    .col(uuid_null("merged_into_id"))
                    .col(date("effective_on"))
                    .col(text_null("note"))
                    .col(uuid_null("actor_id"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut tenant_fk("unit_history"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_unit_history_unit")
                    .table("unit_history")
                    .col("tenant_id")
                    .col("unit_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("accounts")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string("username"))
                    .col(string("display_name"))
                    .col(string("password_hash"))
                    .col(boolean("must_change_password"))
                    .col(boolean("disabled"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut tenant_fk("accounts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_accounts_tenant_username")
                    .table("accounts")
                    .col("tenant_id")
                    .col("username")
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("grants")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("account_id"))
                    .col(string("role"))
                    .col(uuid_null("unit_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut tenant_fk("grants"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_grants_account")
                            .from("grants", "account_id")
                            .to("accounts", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_grants_account")
                    .table("grants")
                    .col("tenant_id")
                    .col("account_id")
                    .to_owned(),
            )
            .await?;

        // Sessions are looked up by token before the tenant is known: no row-level security,
        // and no tenant data beyond ids. With REDIS_URL set they live in Redis instead.
        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(string("token_hash").primary_key())
                    .col(uuid("tenant_id"))
                    .col(uuid("account_id"))
                    .col(string("csrf_token"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_account")
                    .table("sessions")
                    .col("account_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("operations_log")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid_null("actor_id"))
                    .col(string("actor_username"))
                    .col(string("action"))
                    .col(string("target_kind"))
                    .col(uuid_null("target_id"))
                    .col(json_null("before"))
                    .col(json_null("after"))
                    .col(string_null("request_id"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(&mut tenant_fk("operations_log"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_operations_log_tenant_at")
                    .table("operations_log")
                    .col("tenant_id")
                    .col("at")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(uuid("tenant_id"))
                    .col(uuid("account_id"))
                    .col(string("key"))
                    .col(string("request_hash"))
                    .col(integer("status"))
                    .col(text("response_body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(
                        Index::create()
                            .col("tenant_id")
                            .col("account_id")
                            .col("key"),
                    )
                    .foreign_key(&mut tenant_fk("idempotency_keys"))
                    .to_owned(),
            )
            .await?;

        for table in [
            "tiers",
            "units",
            "unit_history",
            "accounts",
            "grants",
            "operations_log",
            "idempotency_keys",
        ] {
            rls::enable(manager, table).await?;
        }
        if db.get_database_backend() == DbBackend::Postgres {
            // The log is append-only even for the application's own role.
            db.execute_unprepared(
                "CREATE FUNCTION minqing_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION 'operations_log is append-only'; END $$;
                 CREATE TRIGGER operations_log_append_only BEFORE UPDATE OR DELETE ON operations_log
                 FOR EACH ROW EXECUTE FUNCTION minqing_refuse_change();",
            )
            .await?;
        } else {
            db.execute_unprepared(
                "CREATE TRIGGER operations_log_no_update BEFORE UPDATE ON operations_log
                 BEGIN SELECT RAISE(ABORT, 'operations_log is append-only'); END;
                 CREATE TRIGGER operations_log_no_delete BEFORE DELETE ON operations_log
                 BEGIN SELECT RAISE(ABORT, 'operations_log is append-only'); END;",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The spine is never rolled back: dropping it would drop every tenant's data.
        Err(DbErr::Migration(
            "the spine migration cannot be reverted".into(),
        ))
    }
}
