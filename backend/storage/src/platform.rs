//! The operators' cross-tenant path: tenants are created, listed, renamed, suspended and resumed
//! only here, each change logged in the platform tenant's operations log.
use minqing_domain::TenantId;
use minqing_domain::role::Role;
use minqing_domain::tenant::{TenantKind, TenantSlug, TenantStatus};
use minqing_domain::tier::default_tiers;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

use crate::Storage;
use crate::accounts::NewAccount;
use crate::entities::tenant;
use crate::error::{Result, StorageError, on_unique};
use crate::scope::{Audit, TenantScope};
use crate::tiers::json;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantView {
    pub id: TenantId,
    pub slug: String,
    pub kind: TenantKind,
    pub name_zh: String,
    pub name_en: String,
    pub time_zone: String,
    pub status: TenantStatus,
}

impl From<tenant::Model> for TenantView {
    fn from(m: tenant::Model) -> Self {
        Self {
            id: TenantId(m.id),
            slug: m.slug,
            kind: TenantKind::from_db(&m.kind),
            name_zh: m.name_zh,
            name_en: m.name_en,
            time_zone: m.time_zone,
            status: TenantStatus::from_db(&m.status),
        }
    }
}

impl TenantView {
    /// The tenant's time zone (China's, should the stored name not parse).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }
}

pub struct NewTenant {
    pub slug: TenantSlug,
    pub kind: TenantKind,
    pub name_zh: String,
    pub name_en: String,
    pub time_zone: String,
    /// The first admin's password; generated (and to be changed at first login) when None.
    pub admin_password: Option<String>,
}

/// Changes to a tenant's names and zone; absent fields stay.
#[derive(Default)]
pub struct TenantChanges {
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub time_zone: Option<String>,
}

impl TenantChanges {
    fn apply(self, model: &mut tenant::ActiveModel) {
        if let Some(v) = self.name_zh {
            model.name_zh = Set(v);
        }
        if let Some(v) = self.name_en {
            model.name_en = Set(v);
        }
        if let Some(v) = self.time_zone {
            model.time_zone = Set(v);
        }
    }
}

pub struct Platform<'a> {
    storage: &'a Storage,
}

impl<'a> Platform<'a> {
    pub(crate) fn new(storage: &'a Storage) -> Self {
        Self { storage }
    }

    /// A tenant by slug (login); the platform tenant included.
    pub async fn find_by_slug(&self, slug: &str) -> Result<Option<TenantView>> {
        Ok(tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug))
            .one(self.storage.db())
            .await?
            .map(TenantView::from))
    }

    pub async fn get(&self, id: TenantId) -> Result<TenantView> {
        tenant::Entity::find_by_id(id.0)
            .one(self.storage.db())
            .await?
            .map(TenantView::from)
            .ok_or(StorageError::NotFound)
    }

    /// Customer tenants in slug order (the platform tenant is never listed).
    pub async fn list(
        &self,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<(Vec<TenantView>, Option<String>)> {
        let mut select =
            tenant::Entity::find().filter(tenant::Column::Kind.ne(TenantKind::Platform.as_str()));
        if let Some(after) = cursor {
            select = select.filter(tenant::Column::Slug.gt(after));
        }
        let rows = select
            .order_by_asc(tenant::Column::Slug)
            .limit(limit + 1)
            .all(self.storage.db())
            .await?;
        let (rows, next) = crate::paging::page(rows, limit, |t| t.slug.clone());
        Ok((rows.into_iter().map(TenantView::from).collect(), next))
    }

    /// Every active tenant (not the platform): what background work visits, one by one.
    pub async fn active_tenants(&self) -> Result<Vec<TenantView>> {
        Ok(tenant::Entity::find()
            .filter(tenant::Column::Kind.ne(TenantKind::Platform.as_str()))
            .filter(tenant::Column::Status.eq(TenantStatus::Active.as_str()))
            .order_by_asc(tenant::Column::Slug)
            .all(self.storage.db())
            .await?
            .into_iter()
            .map(TenantView::from)
            .collect())
    }

    async fn platform_tenant(&self, tx: &DatabaseTransaction) -> Result<TenantId> {
        tenant::Entity::find()
            .filter(tenant::Column::Kind.eq(TenantKind::Platform.as_str()))
            .one(tx)
            .await?
            .map(|t| TenantId(t.id))
            .ok_or(StorageError::NotFound)
    }

    /// Logs a platform change in the platform tenant's log, inside `tx`.
    async fn log(
        &self,
        tx: DatabaseTransaction,
        audit: &Audit,
        action: &str,
        target: TenantId,
        before: Option<&TenantView>,
        after: Option<&TenantView>,
    ) -> Result<DatabaseTransaction> {
        let platform = self.platform_tenant(&tx).await?;
        let scope = TenantScope::open(tx, platform, audit.clone()).await?;
        scope
            .oplog()
            .record(
                action,
                "tenant",
                Some(target.0),
                before.and_then(json),
                after.and_then(json),
            )
            .await?;
        Ok(scope.tx)
    }

    /// Creates a tenant in its own transaction (see [`Platform::create_tenant_in`]).
    pub async fn create_tenant(
        &self,
        new: NewTenant,
        audit: &Audit,
    ) -> Result<(TenantView, Option<String>)> {
        let tx = self.storage.begin_write().await?;
        let platform = self.platform_tenant(&tx).await?;
        let scope = TenantScope::open(tx, platform, audit.clone()).await?;
        let (scope, view, password) = self.create_tenant_in(scope, new).await?;
        scope.commit().await?;
        Ok((view, password))
    }

    /// Creates a tenant with its default tiers and first account `admin` (tenant_admin over the
    /// whole tenant), inside the operator's platform `scope`, and logs it there. Returns the
    /// scope (bound to the platform again), the tenant, and the admin's generated password.
    pub async fn create_tenant_in(
        &self,
        scope: TenantScope,
        new: NewTenant,
    ) -> Result<(TenantScope, TenantView, Option<String>)> {
        let platform = scope.tenant;
        let (view, password, scope) = self.insert_tenant(scope, new).await?;
        let scope = scope.rebind(platform).await?;
        scope
            .oplog()
            .record(
                "tenant.created",
                "tenant",
                Some(view.id.0),
                None,
                json(&view),
            )
            .await?;
        Ok((scope, view, password))
    }

    /// Inserts the tenant row, then its tiers and first account through the same transaction
    /// bound to the new tenant; returns that scope.
    async fn insert_tenant(
        &self,
        scope: TenantScope,
        new: NewTenant,
    ) -> Result<(TenantView, Option<String>, TenantScope)> {
        let id = TenantId(crate::new_id());
        let now = crate::now();
        let model = tenant::Entity::insert(tenant::ActiveModel {
            id: Set(id.0),
            slug: Set(new.slug.as_str().to_owned()),
            kind: Set(new.kind.as_str().to_owned()),
            name_zh: Set(new.name_zh),
            name_en: Set(new.name_en),
            time_zone: Set(new.time_zone),
            status: Set(TenantStatus::Active.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            // Hash, cipher and demand rules start at the database's defaults.
            ..Default::default()
        })
        .exec_with_returning(&scope.tx)
        .await
        .map_err(|e| on_unique(e, "slug_taken"))?;
        let view = TenantView::from(model);
        let scope = scope.rebind(id).await?;
        scope.tiers().insert_all(&default_tiers(new.kind)).await?;
        if new.kind != TenantKind::Platform {
            scope.demand_settings().install_defaults().await?;
        }
        let platform = new.kind == TenantKind::Platform;
        let (admin, password) = scope
            .accounts()
            .create(NewAccount {
                username: if platform { "operator" } else { "admin" }.into(),
                display_name: if platform {
                    "平台运维"
                } else {
                    "管理员"
                }
                .into(),
                password: new.admin_password,
            })
            .await?;
        let role = if platform {
            Role::PlatformOperator
        } else {
            Role::TenantAdmin
        };
        scope.accounts().grant(admin.id, role, None).await?;
        Ok((view, password, scope))
    }

    /// The platform tenant and its first operator; created once, at start-up.
    pub(crate) async fn ensure_platform(
        &self,
        operator_password: Option<String>,
    ) -> Result<Option<Option<String>>> {
        let tx = self.storage.begin_write().await?;
        if self.platform_tenant(&tx).await.is_ok() {
            return Ok(None);
        }
        let new = NewTenant {
            slug: TenantSlug::platform(),
            kind: TenantKind::Platform,
            name_zh: "民情平台".into(),
            name_en: "Minqing platform".into(),
            time_zone: minqing_domain::tenant::DEFAULT_TIME_ZONE.into(),
            admin_password: operator_password,
        };
        // The scope's tenant is rebound as soon as the row exists.
        let scope = TenantScope::open(tx, TenantId(uuid::Uuid::nil()), Audit::system()).await?;
        let (_, password, scope) = self.insert_tenant(scope, new).await?;
        scope.commit().await?;
        Ok(Some(password))
    }

    pub async fn update_tenant(
        &self,
        id: TenantId,
        changes: TenantChanges,
        audit: &Audit,
    ) -> Result<TenantView> {
        self.change(id, audit, "tenant.updated", |m| changes.apply(m))
            .await
    }

    /// Suspends or resumes a tenant; suspending ends its sessions. Its data stays.
    pub async fn set_status(
        &self,
        id: TenantId,
        status: TenantStatus,
        audit: &Audit,
    ) -> Result<TenantView> {
        let action = match status {
            TenantStatus::Suspended => "tenant.suspended",
            TenantStatus::Active => "tenant.resumed",
        };
        let view = self
            .change(id, audit, action, |m| {
                m.status = Set(status.as_str().to_owned())
            })
            .await?;
        if status == TenantStatus::Suspended {
            self.storage.sessions().end_tenant(id).await?;
        }
        Ok(view)
    }

    async fn change(
        &self,
        id: TenantId,
        audit: &Audit,
        action: &str,
        fill: impl FnOnce(&mut tenant::ActiveModel),
    ) -> Result<TenantView> {
        let tx = self.storage.begin_write().await?;
        let found = tenant::Entity::find_by_id(id.0)
            .filter(tenant::Column::Kind.ne(TenantKind::Platform.as_str()))
            .one(&tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        let before = TenantView::from(found.clone());
        let mut active: tenant::ActiveModel = found.into();
        fill(&mut active);
        active.updated_at = Set(crate::now());
        let after = TenantView::from(tenant::Entity::update(active).exec(&tx).await?);
        let tx = self
            .log(tx, audit, action, id, Some(&before), Some(&after))
            .await?;
        tx.commit().await?;
        Ok(after)
    }
}

impl TenantScope {
    /// The scope's own tenant record.
    pub async fn tenant_record(&self) -> Result<TenantView> {
        tenant::Entity::find_by_id(self.tenant.0)
            .one(&self.tx)
            .await?
            .map(TenantView::from)
            .ok_or(StorageError::NotFound)
    }

    /// A tenant admin's changes to their own tenant's names and zone, logged in its own log.
    pub async fn update_tenant_record(&self, changes: TenantChanges) -> Result<TenantView> {
        let found = tenant::Entity::find_by_id(self.tenant.0)
            .one(&self.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        let before = TenantView::from(found.clone());
        let mut active: tenant::ActiveModel = found.into();
        changes.apply(&mut active);
        active.updated_at = Set(crate::now());
        let after = TenantView::from(tenant::Entity::update(active).exec(&self.tx).await?);
        self.oplog()
            .record(
                "tenant.updated",
                "tenant",
                Some(self.tenant.0),
                json(&before),
                json(&after),
            )
            .await?;
        Ok(after)
    }
}
