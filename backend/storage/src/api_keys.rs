//! API keys of intake channels (a 12345 hotline, a province platform) that file demands through
//! Open311. A key is `<tenant id, 32 hex>.<32 random bytes, base64url>`, shown once; only its
//! SHA-256 is stored. The tenant prefix lets a key be looked up inside its own tenant's scope
//! (and under its row-level security) without any cross-tenant query.
//!
//! Each key files demands under one channel and only within one unit's subtree.
use base64::Engine;
use chrono::{DateTime, Utc};
use minqing_domain::demand::Channel;
use minqing_domain::demand::intake::required_text;
use minqing_domain::unit::UnitPath;
use minqing_domain::{TenantId, UnitId};
use rand::RngCore;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Storage;
use crate::entities::api_key;
use crate::error::{Result, StorageError};
use crate::scope::{Audit, TenantScope};

/// A key as administrators see it: never the key itself, only its first characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    /// The channel its demands are recorded under.
    pub channel: Channel,
    /// The unit whose subtree it may file demands in (and read them from).
    pub unit_id: UnitId,
    pub unit_name: String,
    /// How the key begins (tenant id, a dot, its first 6 random characters), to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// Who uses it, e.g. "12345 热线".
    pub name: String,
    /// Usually `hotline` or `online`.
    pub channel: Channel,
    /// The unit (and its subtree) it may file demands in.
    pub unit_id: UnitId,
}

/// A live key, found by its secret: what it may do and where.
#[derive(Debug, Clone)]
pub struct LiveKey {
    pub view: ApiKeyView,
    /// The current path of its unit (units move; the key follows).
    pub unit_path: UnitPath,
}

/// Random characters after the tenant prefix: 32 bytes in base64url (43 characters).
const RANDOM_BYTES: usize = 32;
/// Random characters kept in the visible `prefix`.
const PREFIX_CHARS: usize = 6;

/// The tenant a key claims (its part before the dot); `None` when the key is malformed.
pub fn key_tenant(key: &str) -> Option<TenantId> {
    let (tenant, random) = key.split_once('.')?;
    if tenant.len() != 32 || random.len() < 32 {
        return None;
    }
    Uuid::try_parse(tenant).ok().map(TenantId)
}

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn view_of(m: api_key::Model, unit_name: String) -> ApiKeyView {
    ApiKeyView {
        id: m.id,
        name: m.name,
        channel: Channel::parse(&m.channel).unwrap_or(Channel::Hotline),
        unit_id: UnitId(m.unit_id),
        unit_name,
        prefix: m.prefix,
        created_at: m.created_at,
        revoked_at: m.revoked_at,
    }
}

pub struct ApiKeys<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn api_keys(&self) -> ApiKeys<'_> {
        ApiKeys { scope: self }
    }
}

impl ApiKeys<'_> {
    fn tenant(&self) -> Uuid {
        self.scope.tenant.0
    }

    async fn unit_name(&self, unit: UnitId) -> Result<String> {
        Ok(self
            .scope
            .units()
            .get(unit)
            .await
            .map(|u| u.name)
            .unwrap_or_default())
    }

    /// Issues a key; returns its view and the key in full (shown this once, never stored).
    pub async fn create(&self, new: NewApiKey, now: DateTime<Utc>) -> Result<(ApiKeyView, String)> {
        let name = required_text(&new.name, 100).map_err(|c| StorageError::field("name", c))?;
        let unit = self
            .scope
            .units()
            .get(new.unit_id)
            .await
            .map_err(|_| StorageError::field("unit_id", "unknown_unit"))?;
        if unit.archived {
            return Err(StorageError::field("unit_id", "unit_archived"));
        }
        let mut random = [0u8; RANDOM_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let random = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random);
        let tenant = self.scope.tenant.0.simple().to_string();
        let key = format!("{tenant}.{random}");
        let prefix = format!("{tenant}.{}", &random[..PREFIX_CHARS]);
        let model = api_key::Entity::insert(api_key::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            name: Set(name),
            channel: Set(new.channel.as_str().to_owned()),
            unit_id: Set(unit.id.0),
            key_hash: Set(key_hash(&key)),
            prefix: Set(prefix),
            created_at: Set(now),
            revoked_at: Set(None),
        })
        .exec_with_returning(&self.scope.tx)
        .await?;
        let view = view_of(model, unit.name);
        self.scope
            .oplog()
            .record(
                "api_key.created",
                "api_key",
                Some(view.id),
                None,
                serde_json::to_value(&view).ok(),
            )
            .await?;
        Ok((view, key))
    }

    /// Every key of the tenant, revoked ones included, oldest first.
    pub async fn list(&self) -> Result<Vec<ApiKeyView>> {
        let rows = api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(self.tenant()))
            .order_by_asc(api_key::Column::CreatedAt)
            .order_by_asc(api_key::Column::Id)
            .all(&self.scope.tx)
            .await?;
        let mut ids: Vec<UnitId> = rows.iter().map(|r| UnitId(r.unit_id)).collect();
        ids.sort();
        ids.dedup();
        let units = self.scope.units().by_ids(&ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let name = units
                    .iter()
                    .find(|u| u.id.0 == r.unit_id)
                    .map(|u| u.name.clone())
                    .unwrap_or_default();
                view_of(r, name)
            })
            .collect())
    }

    /// Revokes a key at once; revoking a revoked key changes nothing.
    pub async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<ApiKeyView> {
        let found = api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(self.tenant()))
            .filter(api_key::Column::Id.eq(id))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        let unit_name = self.unit_name(UnitId(found.unit_id)).await?;
        if found.revoked_at.is_some() {
            return Ok(view_of(found, unit_name));
        }
        let before = view_of(found.clone(), unit_name.clone());
        let mut active: api_key::ActiveModel = found.into();
        active.revoked_at = Set(Some(now));
        let after = view_of(
            api_key::Entity::update(active).exec(&self.scope.tx).await?,
            unit_name,
        );
        self.scope
            .oplog()
            .record(
                "api_key.revoked",
                "api_key",
                Some(id),
                serde_json::to_value(&before).ok(),
                serde_json::to_value(&after).ok(),
            )
            .await?;
        Ok(after)
    }

    /// The live key `key` names in this scope's tenant: `None` when it is malformed, claims
    /// another tenant, is unknown or is revoked.
    pub async fn find_live(&self, key: &str) -> Result<Option<LiveKey>> {
        if key_tenant(key) != Some(self.scope.tenant) {
            return Ok(None);
        }
        let Some(row) = api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(self.tenant()))
            .filter(api_key::Column::KeyHash.eq(key_hash(key)))
            .one(&self.scope.tx)
            .await?
        else {
            return Ok(None);
        };
        if row.revoked_at.is_some() {
            return Ok(None);
        }
        let unit = match self.scope.units().get(UnitId(row.unit_id)).await {
            Ok(u) => u,
            Err(StorageError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(LiveKey {
            unit_path: unit.path.clone(),
            view: view_of(row, unit.name),
        }))
    }
}

impl Storage {
    /// Reads with an API key: the tenant comes from the key's prefix, that tenant's scope is
    /// opened, and the key is looked up by its hash there. `None` for a malformed, unknown or
    /// revoked key.
    pub async fn read_with_api_key(&self, key: &str) -> Result<Option<(TenantScope, LiveKey)>> {
        let Some(tenant) = key_tenant(key) else {
            return Ok(None);
        };
        let scope = self.read(tenant).await?;
        Ok(scope
            .api_keys()
            .find_live(key)
            .await?
            .map(|live| (scope, live)))
    }

    /// Writes with an API key, in a transaction whose operations log and ledger name the key
    /// (`api_key:<name>`). The key is checked in a read first, so a bad key never waits for
    /// the write lock, and again inside the write, so a key revoked in between is refused.
    pub async fn write_with_api_key(
        &self,
        key: &str,
        request_id: Option<String>,
    ) -> Result<Option<(TenantScope, LiveKey)>> {
        let Some(tenant) = key_tenant(key) else {
            return Ok(None);
        };
        let Some((read, live)) = self.read_with_api_key(key).await? else {
            return Ok(None);
        };
        drop(read);
        let audit = Audit {
            actor_id: None,
            username: format!("api_key:{}", live.view.name),
            request_id,
        };
        let scope = self.write(tenant, audit).await?;
        Ok(scope
            .api_keys()
            .find_live(key)
            .await?
            .map(|live| (scope, live)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_its_tenant_and_malformed_keys_name_none() {
        let t = Uuid::now_v7();
        let key = format!("{}.{}", t.simple(), "a".repeat(43));
        assert_eq!(key_tenant(&key), Some(TenantId(t)));
        assert_eq!(key_tenant(&format!("{}.short", t.simple())), None);
        assert_eq!(key_tenant(&format!("{t}.{}", "a".repeat(43))), None);
        assert_eq!(key_tenant("no-dot"), None);
        assert_eq!(key_tenant(""), None);
    }
}
