//! The cache: Redis when `REDIS_URL` is set, else an in-process map. Holds sessions (with
//! Redis), login-throttle counters and other short-lived data.
//!
//! Keys are built only by [`tenant_key`] and [`global_key`]: every tenant's key starts with
//! its tenant id, so one tenant's entries can never be read under another's.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use minqing_domain::TenantId;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use crate::error::{Result, StorageError};

/// A key in one tenant's part of the cache.
pub fn tenant_key(tenant: TenantId, parts: &[&str]) -> String {
    format!("minqing:t:{}:{}", tenant.0.simple(), parts.join(":"))
}

/// A key that belongs to no tenant (e.g. throttling by client address).
pub fn global_key(parts: &[&str]) -> String {
    format!("minqing:g:{}", parts.join(":"))
}

#[derive(Clone)]
pub enum Cache {
    Memory(Arc<Mutex<Memory>>),
    Redis(ConnectionManager),
}

#[derive(Default)]
pub struct Memory {
    entries: HashMap<String, (Entry, Option<Instant>)>,
}

enum Entry {
    Text(String),
    Set(HashSet<String>),
}

impl Memory {
    fn live(&mut self, key: &str) -> Option<&mut Entry> {
        let expired = matches!(self.entries.get(key), Some((_, Some(at))) if *at <= Instant::now());
        if expired {
            self.entries.remove(key);
        }
        self.entries.get_mut(key).map(|(e, _)| e)
    }
}

fn redis_err(e: redis::RedisError) -> StorageError {
    StorageError::Cache(e.to_string())
}

impl Cache {
    pub fn memory() -> Self {
        Cache::Memory(Arc::default())
    }

    pub async fn redis(url: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(redis_err)?;
        let manager = ConnectionManager::new(client).await.map_err(redis_err)?;
        Ok(Cache::Redis(manager))
    }

    pub fn is_redis(&self) -> bool {
        matches!(self, Cache::Redis(_))
    }

    pub async fn ping(&self) -> Result<()> {
        match self {
            Cache::Memory(_) => Ok(()),
            Cache::Redis(m) => {
                let mut c = m.clone();
                redis::cmd("PING")
                    .query_async::<String>(&mut c)
                    .await
                    .map(|_| ())
                    .map_err(redis_err)
            }
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        match self {
            Cache::Memory(m) => {
                let mut m = m.lock().expect("cache lock");
                Ok(match m.live(key) {
                    Some(Entry::Text(s)) => Some(s.clone()),
                    _ => None,
                })
            }
            Cache::Redis(c) => c.clone().get(key).await.map_err(redis_err),
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        match self {
            Cache::Memory(m) => {
                let mut m = m.lock().expect("cache lock");
                m.entries.insert(
                    key.to_owned(),
                    (Entry::Text(value.to_owned()), Some(Instant::now() + ttl)),
                );
                Ok(())
            }
            Cache::Redis(c) => c
                .clone()
                .set_ex(key, value, ttl.as_secs().max(1))
                .await
                .map_err(redis_err),
        }
    }

    pub async fn del(&self, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        match self {
            Cache::Memory(m) => {
                let mut m = m.lock().expect("cache lock");
                for k in keys {
                    m.entries.remove(k);
                }
                Ok(())
            }
            Cache::Redis(c) => c.clone().del(keys).await.map_err(redis_err),
        }
    }

    /// Adds one to a counter, starting its time to live when it is created; returns the count.
    pub async fn incr(&self, key: &str, ttl: Duration) -> Result<i64> {
        match self {
            Cache::Memory(m) => {
                let mut m = m.lock().expect("cache lock");
                let next = match m.live(key) {
                    Some(Entry::Text(s)) => s.parse::<i64>().unwrap_or(0) + 1,
                    _ => 1,
                };
                let expires = match m.entries.get(key) {
                    Some((_, at)) if next > 1 => *at,
                    _ => Some(Instant::now() + ttl),
                };
                m.entries
                    .insert(key.to_owned(), (Entry::Text(next.to_string()), expires));
                Ok(next)
            }
            Cache::Redis(c) => {
                let mut c = c.clone();
                let (n,): (i64,) = redis::pipe()
                    .atomic()
                    .incr(key, 1)
                    .expire(key, ttl.as_secs() as i64)
                    .arg("NX")
                    .ignore()
                    .query_async(&mut c)
                    .await
                    .map_err(redis_err)?;
                Ok(n)
            }
        }
    }

    /// Adds a member to a set and pushes the set's expiry out to at least `ttl`.
    pub async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<()> {
        match self {
            Cache::Memory(m) => {
                let mut m = m.lock().expect("cache lock");
                let expires = Some(Instant::now() + ttl);
                match m.live(key) {
                    Some(Entry::Set(s)) => {
                        s.insert(member.to_owned());
                    }
                    _ => {
                        m.entries.insert(
                            key.to_owned(),
                            (Entry::Set(HashSet::from([member.to_owned()])), expires),
                        );
                    }
                }
                if let Some(entry) = m.entries.get_mut(key) {
                    entry.1 = entry.1.max(expires);
                }
                Ok(())
            }
            Cache::Redis(c) => {
                let mut c = c.clone();
                redis::pipe()
                    .atomic()
                    .sadd(key, member)
                    .ignore()
                    .expire(key, ttl.as_secs() as i64)
                    .arg("GT")
                    .ignore()
                    .expire(key, ttl.as_secs() as i64)
                    .arg("NX")
                    .ignore()
                    .query_async::<()>(&mut c)
                    .await
                    .map_err(redis_err)
            }
        }
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        match self {
            Cache::Memory(m) => {
                let mut m = m.lock().expect("cache lock");
                Ok(match m.live(key) {
                    Some(Entry::Set(s)) => s.iter().cloned().collect(),
                    _ => Vec::new(),
                })
            }
            Cache::Redis(c) => c.clone().smembers(key).await.map_err(redis_err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counters_count_and_expire() {
        let cache = Cache::memory();
        let key = global_key(&["test"]);
        assert_eq!(
            cache.incr(&key, Duration::from_millis(50)).await.unwrap(),
            1
        );
        assert_eq!(
            cache.incr(&key, Duration::from_millis(50)).await.unwrap(),
            2
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(
            cache.incr(&key, Duration::from_millis(50)).await.unwrap(),
            1
        );
    }

    #[test]
    fn tenant_keys_start_with_the_tenant() {
        let t = TenantId(uuid::Uuid::from_u128(7));
        assert!(
            tenant_key(t, &["session", "x"]).starts_with(&format!("minqing:t:{}", t.0.simple()))
        );
    }
}
