//! A tenant's tiers: labels renamed at any time; tiers added or removed only where no unit
//! sits at or below them.
use minqing_domain::tier::{Tier, TierKey, check_tier_removal, place_new_tier};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use serde::Serialize;

use crate::entities::{tier, unit};
use crate::error::{Result, StorageError};
use crate::scope::TenantScope;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierView {
    pub level: i32,
    pub key: TierKey,
    pub label_zh: String,
    pub label_en: String,
    pub unit_count: i64,
}

pub struct Tiers<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn tiers(&self) -> Tiers<'_> {
        Tiers { scope: self }
    }
}

fn to_tier(m: tier::Model) -> Tier {
    Tier {
        level: m.level,
        key: TierKey::parse(&m.key).unwrap_or(TierKey::Community),
        label_zh: m.label_zh,
        label_en: m.label_en,
    }
}

#[derive(FromQueryResult)]
struct LevelCount {
    level: i32,
    n: i64,
}

impl Tiers<'_> {
    /// The tiers, top first.
    pub async fn list(&self) -> Result<Vec<Tier>> {
        Ok(tier::Entity::find()
            .filter(tier::Column::TenantId.eq(self.scope.tenant.0))
            .order_by_asc(tier::Column::Level)
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(to_tier)
            .collect())
    }

    /// The tiers with how many (unarchived) units each holds.
    pub async fn list_with_counts(&self) -> Result<Vec<TierView>> {
        let counts = self.unit_counts().await?;
        Ok(self
            .list()
            .await?
            .into_iter()
            .map(|t| TierView {
                unit_count: counts
                    .iter()
                    .find(|c| c.level == t.level)
                    .map_or(0, |c| c.n),
                level: t.level,
                key: t.key,
                label_zh: t.label_zh,
                label_en: t.label_en,
            })
            .collect())
    }

    async fn unit_counts(&self) -> Result<Vec<LevelCount>> {
        Ok(unit::Entity::find()
            .select_only()
            .column(unit::Column::Level)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(unit::Column::TenantId.eq(self.scope.tenant.0))
            .filter(unit::Column::ArchivedAt.is_null())
            .group_by(unit::Column::Level)
            .into_model::<LevelCount>()
            .all(&self.scope.tx)
            .await?)
    }

    /// The deepest level any unit (archived ones too) uses.
    async fn deepest_used_level(&self) -> Result<Option<i32>> {
        let row = unit::Entity::find()
            .select_only()
            .column(unit::Column::Level)
            .filter(unit::Column::TenantId.eq(self.scope.tenant.0))
            .order_by_desc(unit::Column::Level)
            .limit(1)
            .into_tuple::<i32>()
            .one(&self.scope.tx)
            .await?;
        Ok(row)
    }

    /// Inserts the given tiers (a new tenant's defaults).
    pub(crate) async fn insert_all(&self, tiers: &[Tier]) -> Result<()> {
        for t in tiers {
            self.insert(t).await?;
        }
        Ok(())
    }

    async fn insert(&self, t: &Tier) -> Result<()> {
        tier::Entity::insert(tier::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.scope.tenant.0),
            level: Set(t.level),
            key: Set(t.key.as_str().to_owned()),
            label_zh: Set(t.label_zh.clone()),
            label_en: Set(t.label_en.clone()),
        })
        .exec(&self.scope.tx)
        .await?;
        Ok(())
    }

    pub async fn relabel(&self, key: TierKey, label_zh: String, label_en: String) -> Result<Tier> {
        let found = tier::Entity::find()
            .filter(tier::Column::TenantId.eq(self.scope.tenant.0))
            .filter(tier::Column::Key.eq(key.as_str()))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        let before = to_tier(found.clone());
        let mut active: tier::ActiveModel = found.into();
        active.label_zh = Set(label_zh);
        active.label_en = Set(label_en);
        let after = to_tier(tier::Entity::update(active).exec(&self.scope.tx).await?);
        self.scope
            .oplog()
            .record("tier.relabeled", "tier", None, json(&before), json(&after))
            .await?;
        Ok(after)
    }

    pub async fn add(&self, key: TierKey, label_zh: String, label_en: String) -> Result<Tier> {
        let tiers = self.list().await?;
        let level = place_new_tier(&tiers, key, self.deepest_used_level().await?)
            .map_err(StorageError::conflict)?;
        // Shift the tiers below down one level, deepest first (levels are unique per key only).
        for t in tiers.iter().rev().filter(|t| t.level >= level) {
            tier::Entity::update_many()
                .col_expr(tier::Column::Level, Expr::value(t.level + 1))
                .filter(tier::Column::TenantId.eq(self.scope.tenant.0))
                .filter(tier::Column::Key.eq(t.key.as_str()))
                .exec(&self.scope.tx)
                .await?;
        }
        let new = Tier {
            level,
            key,
            label_zh,
            label_en,
        };
        self.insert(&new).await?;
        self.scope
            .oplog()
            .record("tier.added", "tier", None, None, json(&new))
            .await?;
        Ok(new)
    }

    pub async fn remove(&self, key: TierKey) -> Result<()> {
        let tiers = self.list().await?;
        let gone = tiers
            .iter()
            .find(|t| t.key == key)
            .ok_or(StorageError::NotFound)?;
        check_tier_removal(gone.level, self.deepest_used_level().await?)
            .map_err(StorageError::conflict)?;
        tier::Entity::delete_many()
            .filter(tier::Column::TenantId.eq(self.scope.tenant.0))
            .filter(tier::Column::Key.eq(key.as_str()))
            .exec(&self.scope.tx)
            .await?;
        for t in tiers.iter().filter(|t| t.level > gone.level) {
            tier::Entity::update_many()
                .col_expr(tier::Column::Level, Expr::value(t.level - 1))
                .filter(tier::Column::TenantId.eq(self.scope.tenant.0))
                .filter(tier::Column::Key.eq(t.key.as_str()))
                .exec(&self.scope.tx)
                .await?;
        }
        self.scope
            .oplog()
            .record("tier.removed", "tier", None, json(gone), None)
            .await?;
        Ok(())
    }
}

pub(crate) fn json<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}
