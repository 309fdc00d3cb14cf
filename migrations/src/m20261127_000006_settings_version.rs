//! `tenants.settings_version`: a counter the database bumps whenever anything a request reads
//! from a tenant's settings changes — its tiers, demand categories, calendar days, notification
//! channels, or the rule columns of the tenant row. Servers cache those settings per tenant under this version and
//! learn it with the caller they resolve anyway, so a change made through any process is seen
//! by every process on its next request. Triggers, not application code, so no write path can
//! forget to bump it.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose rows are part of a tenant's settings (each has `tenant_id`).
const SETTINGS_TABLES: [&str; 4] = [
    "tiers",
    "demand_categories",
    "calendar_days",
    "notification_channels",
];

/// The tenant row's own settings columns.
const RULE_COLUMNS: [&str; 6] = [
    "routing_rules",
    "deadline_rules",
    "accountability_rules",
    "hash_algorithm",
    "cipher_algorithm",
    "time_zone",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE tenants ADD COLUMN settings_version BIGINT NOT NULL DEFAULT 0",
        )
        .await?;
        let mut sql = String::new();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                sql.push_str(
                    "CREATE FUNCTION bump_settings_version() RETURNS trigger AS $$
                     BEGIN
                       UPDATE tenants SET settings_version = settings_version + 1
                        WHERE id = COALESCE(NEW.tenant_id, OLD.tenant_id);
                       RETURN NULL;
                     END $$ LANGUAGE plpgsql;
                     CREATE FUNCTION bump_own_settings_version() RETURNS trigger AS $$
                     BEGIN
                       NEW.settings_version := OLD.settings_version + 1;
                       RETURN NEW;
                     END $$ LANGUAGE plpgsql;",
                );
                for table in SETTINGS_TABLES {
                    sql.push_str(&format!(
                        "CREATE TRIGGER {table}_settings_version
                           AFTER INSERT OR UPDATE OR DELETE ON {table}
                           FOR EACH ROW EXECUTE FUNCTION bump_settings_version();"
                    ));
                }
                let changed = RULE_COLUMNS
                    .iter()
                    .map(|c| format!("OLD.{c} IS DISTINCT FROM NEW.{c}"))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                sql.push_str(&format!(
                    "CREATE TRIGGER tenants_settings_version BEFORE UPDATE ON tenants
                       FOR EACH ROW WHEN ({changed})
                       EXECUTE FUNCTION bump_own_settings_version();"
                ));
            }
            _ => {
                for table in SETTINGS_TABLES {
                    for (op, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                        let name = op.to_lowercase();
                        sql.push_str(&format!(
                            "CREATE TRIGGER {table}_settings_version_{name} AFTER {op} ON {table}
                             BEGIN
                               UPDATE tenants SET settings_version = settings_version + 1
                                WHERE id = {row}.tenant_id;
                             END;"
                        ));
                    }
                }
                // Recursive triggers are off in SQLite, and this one's own update touches no
                // column it watches.
                sql.push_str(&format!(
                    "CREATE TRIGGER tenants_settings_version AFTER UPDATE OF {} ON tenants
                     BEGIN
                       UPDATE tenants SET settings_version = OLD.settings_version + 1
                        WHERE id = NEW.id;
                     END;",
                    RULE_COLUMNS.join(", ")
                ));
            }
        }
        db.execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "settings_version cannot be rolled back".into(),
        ))
    }
}
