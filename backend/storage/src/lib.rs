//! Minqing's storage: sea-orm entities, the tenant-scoped handle, repositories and the cache.
//!
//! The database connection never leaves this crate. Tenant data is reached only through a
//! [`TenantScope`] (`storage.write(tenant, audit).await?.units().get(id)`), which filters every
//! query by its tenant and, on PostgreSQL, sets the transaction's `minqing.tenant_id` so
//! row-level security refuses anything else. Cross-tenant work of operators goes through the
//! explicit [`Platform`] handle.
use std::path::Path;
use std::time::Duration;

use minqing_domain::TenantId;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionOptions, TransactionTrait,
};

pub mod accountability;
pub mod accounts;
pub mod api_keys;
mod baseline;
pub mod bench_load;
pub mod budgets;
pub mod cache;
pub mod clock;
pub mod councils;
pub mod demand_rules;
pub mod demands;
mod entities;
pub mod error;
pub mod files;
pub mod households;
pub mod idempotency;
pub mod intake_writer;
mod json_rows;
pub mod ledger;
pub mod ledger_export;
pub mod notifications;
pub mod open311;
pub mod oplog;
mod paging;
pub mod passwords;
pub mod platform;
mod scope;
pub mod sealing;
pub mod seed;
pub mod sessions;
pub mod settings;
mod sweeper;
pub mod throttle;
pub mod tiers;
pub mod units;
pub mod visits;

pub use cache::Cache;
pub use clock::Clock;
pub use error::{Result, StorageError};
pub use platform::Platform;
pub use scope::{Audit, TenantScope};
pub use sessions::{SessionConfig, SessionRecord, SessionStore};

#[derive(Clone)]
pub struct Storage {
    db: DatabaseConnection,
    cache: Cache,
    sessions: SessionStore,
    settings: settings::SettingsCache,
    chains: settings::ChainCache,
    intake_writer: intake_writer::IntakeWriter,
}

/// A PostgreSQL URL naming this machine (or a socket) with no `sslmode`: connected in plain
/// text rather than by `prefer`'s TLS. TLS over the loopback protects nothing, and sqlx leaves
/// Nagle's algorithm on its sockets, so through TLS a large statement (a batch of intakes)
/// waits ~40 ms on the server's delayed ACK: measured, intake fell from ~3,000 to ~400
/// demands/s at 16 clients.
fn loopback_without_sslmode(url: &str) -> bool {
    if url.contains("sslmode=") {
        return false;
    }
    let Some(rest) = url.split_once("://").map(|(_, rest)| rest) else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    matches!(host, "" | "localhost" | "127.0.0.1" | "::1")
}

impl Storage {
    /// Connects to `database_url` (creating the SQLite file and its folder when needed) and to
    /// Redis when `redis_url` is given, else uses the in-process cache.
    pub async fn connect(
        database_url: &str,
        redis_url: Option<&str>,
        session_config: SessionConfig,
    ) -> Result<Self> {
        let mut options = ConnectOptions::new(database_url.to_owned());
        options.sqlx_logging(false);
        if database_url.starts_with("sqlite:") {
            if let Some(dir) = sqlite_dir(database_url) {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    StorageError::Db(sea_orm::DbErr::Custom(format!(
                        "cannot create {}: {e}",
                        dir.display()
                    )))
                })?;
            }
            options.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
            });
        } else {
            // A ping before every checkout doubles the round trips of a request; checking only
            // connections idle for a while still catches those a restarted server dropped.
            options
                .max_connections(16)
                .min_connections(1)
                .test_before_acquire_if_idle_for(Duration::from_secs(30));
            if loopback_without_sslmode(database_url) {
                options.map_sqlx_postgres_opts(|o| {
                    o.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable)
                });
            }
        }
        let intake_writer = if database_url.starts_with("sqlite:") {
            intake_writer::IntakeWriter::default()
        } else {
            intake_writer::IntakeWriter::postgres(&options)
        };
        let db = Database::connect(options).await?;
        let cache = match redis_url {
            Some(url) => Cache::redis(url).await?,
            None => Cache::memory(),
        };
        let sessions = SessionStore::new(db.clone(), cache.clone(), session_config);
        Ok(Self {
            db,
            cache,
            sessions,
            settings: settings::SettingsCache::default(),
            chains: settings::ChainCache::default(),
            intake_writer,
        })
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    pub fn sessions(&self) -> &SessionStore {
        &self.sessions
    }

    /// For readiness checks: both the database and the cache answer.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await?;
        self.cache.ping().await
    }

    /// A read-write handle on one tenant's data, in one transaction; `commit` to keep changes.
    pub async fn write(&self, tenant: TenantId, audit: Audit) -> Result<TenantScope> {
        TenantScope::open(self.begin_write().await?, tenant, audit).await
    }

    /// A transaction that will write.
    pub(crate) async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction> {
        Ok(self
            .db
            .begin_with_options(TransactionOptions {
                // Take SQLite's write lock up front: a deferred transaction that reads and then
                // writes fails at once if another writer committed in between.
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?)
    }

    /// A handle for reading one tenant's data (a transaction that is never committed).
    pub async fn read(&self, tenant: TenantId) -> Result<TenantScope> {
        let tx = self.db.begin().await?;
        TenantScope::open(tx, tenant, Audit::system()).await
    }

    /// [`read`](Self::read), every statement seeing the same snapshot: what a reading of many
    /// statements needs to be consistent (the ledger's verification reads the head and the
    /// events page by page while appends go on). SQLite's read transaction is one already.
    pub async fn read_snapshot(&self, tenant: TenantId) -> Result<TenantScope> {
        let tx = if self.is_postgres() {
            self.db
                .begin_with_config(
                    Some(sea_orm::IsolationLevel::RepeatableRead),
                    Some(sea_orm::AccessMode::ReadOnly),
                )
                .await?
        } else {
            self.db.begin().await?
        };
        TenantScope::open(tx, tenant, Audit::system()).await
    }

    /// Operators' cross-tenant work: creating, listing and suspending tenants.
    pub fn platform(&self) -> Platform<'_> {
        Platform::new(self)
    }

    /// The tenant's settings at `version` (the caller's), cached per process.
    pub async fn settings(
        &self,
        scope: &TenantScope,
        version: i64,
    ) -> Result<std::sync::Arc<settings::TenantSettings>> {
        self.settings.get(scope, version).await
    }

    /// The cached settings of `tenant` at `version`, if this process has them (no database
    /// work).
    pub fn settings_cached(
        &self,
        tenant: TenantId,
        version: i64,
    ) -> Option<std::sync::Arc<settings::TenantSettings>> {
        self.settings.peek(tenant, version)
    }

    /// `unit` and its ancestors (root first) at settings `version`, cached per process; a
    /// unit that does not exist is an `origin_unit` error.
    pub async fn chain(
        &self,
        scope: &TenantScope,
        unit: minqing_domain::UnitId,
        version: i64,
    ) -> Result<Vec<units::UnitView>> {
        match self.chains.get(scope, unit, version).await {
            Err(StorageError::NotFound) => Err(StorageError::field("origin_unit", "unknown_unit")),
            found => found,
        }
    }

    /// The cached chain of `unit` at `version`, if this process has it.
    pub fn chain_cached(
        &self,
        tenant: TenantId,
        unit: minqing_domain::UnitId,
        version: i64,
    ) -> Option<Vec<units::UnitView>> {
        self.chains.peek(tenant, unit, version)
    }

    /// Writes a prepared demand together with whatever else of its tenant is waiting, and
    /// returns once it is committed (`intake_writer`).
    pub async fn write_intake(
        &self,
        tenant: TenantId,
        item: intake_writer::PreparedIntake,
    ) -> Result<()> {
        self.intake_writer.write(self, tenant, item).await
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Applies pending migrations. Several processes starting together on one PostgreSQL
    /// database take turns through an advisory lock held for the whole of `f`.
    pub async fn under_startup_lock<F, Fut, T>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        if self.backend() != DbBackend::Postgres {
            return f().await;
        }
        // A transaction pins one connection, which holds the lock until it ends.
        let lock = self.db.begin().await?;
        lock.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(7261626179)",
        ))
        .await?;
        let result = f().await;
        lock.commit().await?;
        result
    }

    pub async fn migrate(&self) -> Result<()> {
        use minqing_migrations::{Migrator, MigratorTrait};
        Migrator::up(&self.db, None).await?;
        Ok(())
    }
}

fn sqlite_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Path::new(path).parent().map(Path::to_path_buf)
}

/// A fresh UUID v7 (time-ordered, so siblings sort in creation order).
pub(crate) fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[cfg(test)]
mod tests {
    use super::loopback_without_sslmode;

    #[test]
    fn only_loopback_urls_without_an_sslmode_skip_tls() {
        for local in [
            "postgres://minqing_app@127.0.0.1:5432/minqing",
            "postgres://u:p@localhost/db",
            "postgresql://[::1]:5432/db",
            "postgres:///db?host=/var/run/postgresql",
        ] {
            assert!(loopback_without_sslmode(local), "{local}");
        }
        for remote in [
            "postgres://u@db.internal:5432/minqing",
            "postgres://u@10.0.0.5/db",
            "postgres://u@127.0.0.1/db?sslmode=require",
            "sqlite://data/minqing.db",
        ] {
            assert!(!loopback_without_sslmode(remote), "{remote}");
        }
    }
}
