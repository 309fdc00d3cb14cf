//! `tenants.settings_version` now also moves when who may do what, or where, changes: accounts,
//! their grants, the units (the hierarchy a grant and a demand's routing read) and the tenant's
//! status. A request that decided with a cached caller, settings and unit chain (intake's fast
//! path) is written only if the version it decided under is still the tenant's; otherwise it is
//! decided again from the database.
//!
//! PostgreSQL bumps once per statement (transition tables), so importing 24,000 units bumps
//! the tenant once, not 24,000 times; SQLite has only row triggers.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["accounts", "grants", "units"];

/// The tenant row's columns whose change bumps it (migration 6's, and now the status).
const RULE_COLUMNS: [&str; 7] = [
    "routing_rules",
    "deadline_rules",
    "accountability_rules",
    "hash_algorithm",
    "cipher_algorithm",
    "time_zone",
    "status",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let mut sql = String::new();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                sql.push_str(
                    "CREATE FUNCTION bump_settings_version_per_statement() RETURNS trigger AS $$
                     BEGIN
                       UPDATE tenants SET settings_version = settings_version + 1
                        WHERE id IN (SELECT DISTINCT tenant_id FROM changed);
                       RETURN NULL;
                     END $$ LANGUAGE plpgsql;",
                );
                for table in TABLES {
                    for (op, rows) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                        let name = op.to_lowercase();
                        sql.push_str(&format!(
                            "CREATE TRIGGER {table}_settings_version_{name}
                               AFTER {op} ON {table} REFERENCING {rows} TABLE AS changed
                               FOR EACH STATEMENT EXECUTE FUNCTION bump_settings_version_per_statement();"
                        ));
                    }
                }
                let changed = RULE_COLUMNS
                    .iter()
                    .map(|c| format!("OLD.{c} IS DISTINCT FROM NEW.{c}"))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                sql.push_str(&format!(
                    "DROP TRIGGER tenants_settings_version ON tenants;
                     CREATE TRIGGER tenants_settings_version BEFORE UPDATE ON tenants
                       FOR EACH ROW WHEN ({changed})
                       EXECUTE FUNCTION bump_own_settings_version();"
                ));
            }
            _ => {
                for table in TABLES {
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
                sql.push_str(&format!(
                    "DROP TRIGGER tenants_settings_version;
                     CREATE TRIGGER tenants_settings_version AFTER UPDATE OF {} ON tenants
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
            "the access version triggers cannot be rolled back".into(),
        ))
    }
}
