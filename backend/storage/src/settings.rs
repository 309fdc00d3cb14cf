//! A tenant's settings as requests read them — tiers, demand rules, the working-day calendar,
//! the category taxonomy and the notification channels — cached per process under the tenant's `settings_version`.
//!
//! The database bumps that version whenever any of them changes (triggers, see migration 6),
//! and every request learns it with its caller (`Accounts::caller`), so a cached copy is used
//! only while it is current, whichever process made the change. Intake would otherwise read
//! four tables per demand; the unit pages one.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minqing_domain::calendar::WorkCalendar;
use minqing_domain::tier::Tier;
use minqing_domain::{TenantId, UnitId};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use crate::demand_rules::{CategoryView, DemandRules};
use crate::entities::{tenant, unit};
use crate::error::{Result, StorageError};
use crate::notifications::ChannelTarget;
use crate::scope::TenantScope;
use crate::units::UnitView;

/// One tenant's settings at one version.
#[derive(Debug)]
pub struct TenantSettings {
    pub version: i64,
    pub tiers: Vec<Tier>,
    pub rules: DemandRules,
    pub calendar: WorkCalendar,
    pub categories: Vec<CategoryView>,
    /// The enabled notification channels.
    pub channels: Vec<ChannelTarget>,
}

impl TenantSettings {
    /// Reads the settings and the version they are at, in the scope's transaction.
    pub async fn load(scope: &TenantScope) -> Result<Self> {
        let settings = scope.demand_settings();
        Ok(Self {
            version: version(scope).await?,
            tiers: scope.tiers().list().await?,
            rules: settings.rules().await?,
            calendar: settings.calendar().await?,
            categories: settings.categories().await?,
            channels: scope.notifications().targets().await?,
        })
    }

    /// A category a new demand may be filed under (exists and not retired).
    pub fn check_category(&self, key: &str) -> Result<()> {
        match self.categories.iter().find(|c| c.key == key) {
            Some(c) if !c.retired => Ok(()),
            _ => Err(StorageError::field("category", "unknown_category")),
        }
    }
}

/// The tenant's settings version as the scope's transaction sees it.
async fn version(scope: &TenantScope) -> Result<i64> {
    tenant::Entity::find_by_id(scope.tenant().0)
        .select_only()
        .column(tenant::Column::SettingsVersion)
        .into_tuple::<i64>()
        .one(&scope.tx)
        .await?
        .ok_or(StorageError::NotFound)
}

/// The process's copies, one per tenant.
#[derive(Clone, Default)]
pub struct SettingsCache {
    by_tenant: Arc<Mutex<HashMap<TenantId, Arc<TenantSettings>>>>,
}

impl SettingsCache {
    /// The settings at `version` (the one the caller was resolved with): the cached copy when
    /// it is that version, else read through `scope`. A copy is kept only when what was read
    /// is at `version` — not when the scope's own uncommitted writes changed it.
    pub async fn get(&self, scope: &TenantScope, version: i64) -> Result<Arc<TenantSettings>> {
        let tenant = scope.tenant();
        if let Some(hit) = self.lock().get(&tenant).filter(|s| s.version == version) {
            return Ok(hit.clone());
        }
        let loaded = Arc::new(TenantSettings::load(scope).await?);
        if loaded.version == version {
            let mut map = self.lock();
            let newer = map.get(&tenant).is_some_and(|s| s.version > version);
            if !newer {
                map.insert(tenant, loaded.clone());
            }
        }
        Ok(loaded)
    }

    /// The cached settings of `tenant` if they are at `version`; no database work.
    pub fn peek(&self, tenant: TenantId, version: i64) -> Option<Arc<TenantSettings>> {
        self.lock()
            .get(&tenant)
            .filter(|s| s.version == version)
            .cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Arc<TenantSettings>>> {
        // The map holds only finished values: a panic elsewhere cannot leave it half-written.
        self.by_tenant.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Each tenant's units, as of one settings version (which every change to a tenant's units
/// moves): intake reads an origin's chain of ancestors from here without a round trip. The
/// first intake after a change reads the tenant's units once (a province's 24,000 in tens of
/// milliseconds, at most once a second); a tenant with more than [`MAX_UNITS`] is not kept and
/// is read chain by chain.
#[derive(Clone, Default)]
pub struct ChainCache {
    tenants: Arc<Mutex<HashMap<TenantId, Arc<Hierarchy>>>>,
}

/// More units than this in one tenant (all of China has 665,271), and its chains are read from
/// the database each time instead of kept.
const MAX_UNITS: u64 = 200_000;

/// Whole reloads of one tenant's units at most this often: while its settings version churns
/// (accounts created one by one, say) intake reads single chains instead.
const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

struct Hierarchy {
    version: i64,
    units: HashMap<UnitId, UnitView>,
    loaded_at: std::time::Instant,
}

impl Hierarchy {
    /// `unit` and its ancestors, root first.
    fn chain(&self, unit: UnitId) -> Option<Vec<UnitView>> {
        let mut chain = Vec::new();
        let mut next = Some(unit);
        while let Some(id) = next {
            let found = self.units.get(&id)?;
            chain.push(found.clone());
            next = found.parent_id;
            if chain.len() > 64 {
                return None; // a cycle cannot be stored, but never loop on one
            }
        }
        chain.reverse();
        Some(chain)
    }
}

impl ChainCache {
    pub fn peek(&self, tenant: TenantId, unit: UnitId, version: i64) -> Option<Vec<UnitView>> {
        let hierarchy = self.lock().get(&tenant).cloned()?;
        (hierarchy.version == version)
            .then(|| hierarchy.chain(unit))
            .flatten()
    }

    /// The chain of `unit` at `version`: from the cached hierarchy, or read through `scope`
    /// (and the tenant's units kept for the next requests). `NotFound` when there is no such
    /// unit.
    pub async fn get(
        &self,
        scope: &TenantScope,
        unit: UnitId,
        version: i64,
    ) -> Result<Vec<UnitView>> {
        let tenant = scope.tenant();
        if let Some(hit) = self.peek(tenant, unit, version) {
            return Ok(hit);
        }
        let recent = self
            .lock()
            .get(&tenant)
            .is_some_and(|h| h.loaded_at.elapsed() < RELOAD_EVERY);
        if recent {
            return scope.units().with_ancestors(unit).await;
        }
        let count = unit::Entity::find()
            .filter(unit::Column::TenantId.eq(tenant.0))
            .count(&scope.tx)
            .await?;
        if count > MAX_UNITS {
            return scope.units().with_ancestors(unit).await;
        }
        let units: HashMap<UnitId, UnitView> = unit::Entity::find()
            .filter(unit::Column::TenantId.eq(tenant.0))
            .all(&scope.tx)
            .await?
            .into_iter()
            .map(|m| (UnitId(m.id), UnitView::from(m)))
            .collect();
        let hierarchy = Arc::new(Hierarchy {
            version,
            units,
            loaded_at: std::time::Instant::now(),
        });
        let chain = hierarchy.chain(unit).ok_or(StorageError::NotFound)?;
        let mut map = self.lock();
        let newer = map.get(&tenant).is_some_and(|h| h.version > version);
        if !newer {
            map.insert(tenant, hierarchy);
        }
        Ok(chain)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Arc<Hierarchy>>> {
        // Whole inserts only: a panic elsewhere cannot leave it half-written.
        self.tenants.lock().unwrap_or_else(|p| p.into_inner())
    }
}
