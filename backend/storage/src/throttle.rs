//! Throttling: login failures counted per account and per client address over a window, and
//! the public form's submissions per client address and hour.
use std::time::Duration;

use crate::cache::{Cache, global_key};
use crate::error::Result;

pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// How many failures within the window refuse further logins.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Per account (tenant + username).
    pub per_account: i64,
    /// Per client address: higher, since many people may share one office address.
    pub per_address: i64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 30,
        }
    }
}

fn account_key(tenant_slug: &str, username: &str) -> String {
    // The tenant may not exist (an unknown slug must look like a wrong password), so this key
    // is global but always carries the slug.
    global_key(&[
        "login-fail",
        "account",
        tenant_slug,
        &username.to_lowercase(),
    ])
}

fn address_key(address: &str) -> String {
    global_key(&["login-fail", "address", address])
}

/// True when this account or address has failed too often lately.
pub async fn is_throttled(
    cache: &Cache,
    limits: LoginLimits,
    tenant_slug: &str,
    username: &str,
    address: &str,
) -> Result<bool> {
    let count = |v: Option<String>| v.and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let by_account = count(cache.get(&account_key(tenant_slug, username)).await?);
    let by_address = count(cache.get(&address_key(address)).await?);
    Ok(by_account >= limits.per_account || by_address >= limits.per_address)
}

pub async fn record_failure(
    cache: &Cache,
    tenant_slug: &str,
    username: &str,
    address: &str,
) -> Result<()> {
    cache
        .incr(&account_key(tenant_slug, username), WINDOW)
        .await?;
    cache.incr(&address_key(address), WINDOW).await?;
    Ok(())
}

/// A successful login clears the account's count (not the address's).
pub async fn record_success(cache: &Cache, tenant_slug: &str, username: &str) -> Result<()> {
    cache.del(&[account_key(tenant_slug, username)]).await
}

/// The public form's window: submissions are counted per client address and hour.
pub const SUBMISSION_WINDOW: Duration = Duration::from_secs(60 * 60);

fn submission_key(tenant: minqing_domain::TenantId, address: &str) -> String {
    global_key(&["public-form", &tenant.0.to_string(), address])
}

/// True when `address` has had `per_hour` submissions to `tenant` recorded within the window.
pub async fn public_submissions_exceeded(
    cache: &Cache,
    per_hour: i64,
    tenant: minqing_domain::TenantId,
    address: &str,
) -> Result<bool> {
    let count = cache.get(&submission_key(tenant, address)).await?;
    Ok(count.and_then(|c| c.parse::<i64>().ok()).unwrap_or(0) >= per_hour)
}

/// Counts one recorded submission of the public form from `address` to `tenant`.
pub async fn record_public_submission(
    cache: &Cache,
    tenant: minqing_domain::TenantId,
    address: &str,
) -> Result<()> {
    cache
        .incr(&submission_key(tenant, address), SUBMISSION_WINDOW)
        .await?;
    Ok(())
}
