//! Sessions: one server-side session serves both the portal's cookie and the API's bearer token.
//! Kept in Redis when it is configured (so every server process sees them), else in the database.
//!
//! A token is `<tenant id>.<32 random bytes, base64url>`; only its SHA-256 is stored. The tenant
//! prefix lets Redis keys start with the tenant; the stored record's tenant must match it.
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use minqing_domain::{AccountId, TenantId};
use rand::RngCore;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache::{Cache, tenant_key};
use crate::entities::session;
use crate::error::Result;

#[derive(Debug, Clone, Copy)]
pub struct SessionConfig {
    /// A session unused this long ends (等保: idle timeout).
    pub idle: Duration,
    /// A session ends this long after login, used or not.
    pub absolute: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(12 * 3600),
            absolute: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub tenant: TenantId,
    pub account: AccountId,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl SessionRecord {
    /// When the session ends if unused from now on.
    pub fn idle_deadline(&self, config: &SessionConfig) -> DateTime<Utc> {
        (self.last_seen_at + to_chrono(config.idle)).min(self.expires_at)
    }
}

#[derive(Clone)]
pub struct SessionStore {
    db: DatabaseConnection,
    cache: Cache,
    config: SessionConfig,
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The tenant a token claims; checked against the stored record.
fn token_tenant(token: &str) -> Option<TenantId> {
    let (tenant, _) = token.split_once('.')?;
    uuid::Uuid::parse_str(tenant).ok().map(TenantId)
}

/// Touching on every request would write on every read; a minute's precision is plenty.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

impl SessionStore {
    pub(crate) fn new(db: DatabaseConnection, cache: Cache, config: SessionConfig) -> Self {
        Self { db, cache, config }
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    fn key(tenant: TenantId, parts: &[&str]) -> String {
        tenant_key(tenant, parts)
    }

    /// Starts a session; returns the token (shown once) and its record.
    pub async fn create(
        &self,
        tenant: TenantId,
        account: AccountId,
    ) -> Result<(String, SessionRecord)> {
        let token = format!("{}.{}", tenant.0.simple(), random_token());
        let now = crate::now();
        let record = SessionRecord {
            tenant,
            account,
            csrf_token: random_token(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + to_chrono(self.config.absolute),
        };
        self.save(&hash(&token), &record, true).await?;
        Ok((token, record))
    }

    async fn save(&self, token_hash: &str, record: &SessionRecord, new: bool) -> Result<()> {
        if self.cache.is_redis() {
            let ttl = (record.idle_deadline(&self.config) - crate::now())
                .to_std()
                .unwrap_or(Duration::from_secs(1));
            let json = serde_json::to_string(record).expect("a session record serializes");
            self.cache
                .set(
                    &Self::key(record.tenant, &["session", token_hash]),
                    &json,
                    ttl,
                )
                .await?;
            if new {
                let absolute = self.config.absolute;
                self.cache
                    .set_add(
                        &Self::key(record.tenant, &["sessions"]),
                        token_hash,
                        absolute,
                    )
                    .await?;
                let account = record.account.0.simple().to_string();
                self.cache
                    .set_add(
                        &Self::key(record.tenant, &["account", &account, "sessions"]),
                        token_hash,
                        absolute,
                    )
                    .await?;
            }
            return Ok(());
        }
        let model = session::ActiveModel {
            token_hash: Set(token_hash.to_owned()),
            tenant_id: Set(record.tenant.0),
            account_id: Set(record.account.0),
            csrf_token: Set(record.csrf_token.clone()),
            created_at: Set(record.created_at),
            last_seen_at: Set(record.last_seen_at),
            expires_at: Set(record.expires_at),
        };
        if new {
            session::Entity::insert(model).exec(&self.db).await?;
        } else {
            session::Entity::update(model).exec(&self.db).await?;
        }
        Ok(())
    }

    /// The live session for a token, touched; `None` when unknown, expired or ended.
    pub async fn lookup(&self, token: &str) -> Result<Option<SessionRecord>> {
        let Some(tenant) = token_tenant(token) else {
            return Ok(None);
        };
        let token_hash = hash(token);
        let record = if self.cache.is_redis() {
            self.cache
                .get(&Self::key(tenant, &["session", &token_hash]))
                .await?
                .and_then(|json| serde_json::from_str::<SessionRecord>(&json).ok())
        } else {
            session::Entity::find_by_id(token_hash.clone())
                .one(&self.db)
                .await?
                .map(|m| SessionRecord {
                    tenant: TenantId(m.tenant_id),
                    account: AccountId(m.account_id),
                    csrf_token: m.csrf_token,
                    created_at: m.created_at,
                    last_seen_at: m.last_seen_at,
                    expires_at: m.expires_at,
                })
        };
        let Some(mut record) = record.filter(|r| r.tenant == tenant) else {
            return Ok(None);
        };
        let now = crate::now();
        if now >= record.idle_deadline(&self.config) {
            self.end(token).await?;
            return Ok(None);
        }
        if now - record.last_seen_at >= TOUCH_EVERY {
            record.last_seen_at = now;
            self.save(&token_hash, &record, false).await?;
        }
        Ok(Some(record))
    }

    pub async fn end(&self, token: &str) -> Result<()> {
        let Some(tenant) = token_tenant(token) else {
            return Ok(());
        };
        let token_hash = hash(token);
        if self.cache.is_redis() {
            self.cache
                .del(&[Self::key(tenant, &["session", &token_hash])])
                .await
        } else {
            session::Entity::delete_by_id(token_hash)
                .exec(&self.db)
                .await?;
            Ok(())
        }
    }

    /// Ends every session of an account (disabled, or its password reset) but `keep`'s.
    pub async fn end_account(
        &self,
        tenant: TenantId,
        account: AccountId,
        keep: Option<&str>,
    ) -> Result<()> {
        let keep = keep.map(hash);
        if self.cache.is_redis() {
            let set = Self::key(
                tenant,
                &["account", &account.0.simple().to_string(), "sessions"],
            );
            return self.end_set(tenant, &set, keep.as_deref()).await;
        }
        let mut delete = session::Entity::delete_many()
            .filter(session::Column::TenantId.eq(tenant.0))
            .filter(session::Column::AccountId.eq(account.0));
        if let Some(keep) = keep {
            delete = delete.filter(session::Column::TokenHash.ne(keep));
        }
        delete.exec(&self.db).await?;
        Ok(())
    }

    /// Ends every session of a tenant (suspended).
    pub async fn end_tenant(&self, tenant: TenantId) -> Result<()> {
        if self.cache.is_redis() {
            return self
                .end_set(tenant, &Self::key(tenant, &["sessions"]), None)
                .await;
        }
        session::Entity::delete_many()
            .filter(session::Column::TenantId.eq(tenant.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn end_set(&self, tenant: TenantId, set: &str, keep: Option<&str>) -> Result<()> {
        let mut keys: Vec<String> = self
            .cache
            .set_members(set)
            .await?
            .iter()
            .filter(|h| Some(h.as_str()) != keep)
            .map(|h| Self::key(tenant, &["session", h]))
            .collect();
        if keep.is_none() {
            keys.push(set.to_owned());
        }
        self.cache.del(&keys).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_tenant() {
        let t = TenantId(uuid::Uuid::from_u128(42));
        let token = format!("{}.{}", t.0.simple(), random_token());
        assert_eq!(token_tenant(&token), Some(t));
        assert_eq!(token_tenant("garbage"), None);
        assert_ne!(hash(&token), token);
    }
}
