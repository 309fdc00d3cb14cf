//! The tenant-scoped handle: one transaction, bound to one tenant, that repositories hang off.
use minqing_domain::{AccountId, TenantId};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};

use crate::error::Result;

/// Who is acting, for the operations log.
#[derive(Debug, Clone)]
pub struct Audit {
    pub actor_id: Option<AccountId>,
    pub username: String,
    pub request_id: Option<String>,
}

impl Audit {
    /// Start-up, seeding and other work no person asked for.
    pub fn system() -> Self {
        Self {
            actor_id: None,
            username: "system".into(),
            request_id: None,
        }
    }
}

pub struct TenantScope {
    pub(crate) tenant: TenantId,
    pub(crate) tx: DatabaseTransaction,
    pub(crate) audit: Audit,
}

impl TenantScope {
    pub(crate) async fn open(
        tx: DatabaseTransaction,
        tenant: TenantId,
        audit: Audit,
    ) -> Result<Self> {
        bind_tenant(&tx, tenant).await?;
        Ok(Self { tenant, tx, audit })
    }

    /// The same transaction, bound to another tenant: for the platform's own cross-tenant
    /// work (creating a tenant and logging it in the platform's log, in one transaction).
    pub(crate) async fn rebind(self, tenant: TenantId) -> Result<TenantScope> {
        TenantScope::open(self.tx, tenant, self.audit).await
    }

    /// The same transaction acting for `audit`: on PostgreSQL a request resolves its caller and
    /// writes in one transaction. (SQLite writers need `BEGIN IMMEDIATE` from the start.)
    pub fn for_writes(mut self, audit: Audit) -> Option<TenantScope> {
        if self.backend() != DbBackend::Postgres {
            return None;
        }
        self.audit = audit;
        Some(self)
    }

    /// The same transaction, recording `audit` as who acts (for work prepared in a read
    /// transaction and written elsewhere, e.g. by the intake writer).
    pub fn acting_for(mut self, audit: Audit) -> TenantScope {
        self.audit = audit;
        self
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    pub fn backend(&self) -> DbBackend {
        self.tx.get_database_backend()
    }

    /// A raw statement written with PostgreSQL's `$n` placeholders, for this scope's backend
    /// (SQLite reads `?n` as PostgreSQL reads `$n`, repeats included).
    pub(crate) fn statement(
        &self,
        sql: &str,
        values: impl IntoIterator<Item = sea_orm::Value>,
    ) -> Statement {
        let backend = self.backend();
        let sql = match backend {
            DbBackend::Postgres => sql.to_owned(),
            _ => sql.replace('$', "?"),
        };
        Statement::from_sql_and_values(backend, sql, values)
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Tells PostgreSQL's row-level security which tenant this transaction may touch.
pub(crate) async fn bind_tenant(tx: &DatabaseTransaction, tenant: TenantId) -> Result<()> {
    if tx.get_database_backend() == DbBackend::Postgres {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config($1, $2, true)",
            [
                minqing_migrations::rls::TENANT_SETTING.into(),
                tenant.0.to_string().into(),
            ],
        ))
        .await?;
    }
    Ok(())
}
