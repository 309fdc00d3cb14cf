//! What every handler can reach.
use std::sync::Arc;

use minqing_storage::sealing::Sealer;
use minqing_storage::{Clock, Storage};

#[derive(Clone)]
pub struct AppState {
    pub storage: Storage,
    pub config: HttpConfig,
    /// Seals and opens residents' personal data (key from configuration).
    pub sealer: Arc<Sealer>,
    pub clock: Clock,
    /// Callers resolved in the last seconds, for intake's fast path.
    pub callers: crate::caller_cache::CallerCache,
}

#[derive(Clone, Debug, Default)]
pub struct HttpConfig {
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    pub login_limits: minqing_storage::throttle::LoginLimits,
    /// Online-form submissions per client address and hour.
    pub public_demands_per_hour: i64,
    /// Proxies in front that append to `X-Forwarded-For` (0: the peer is the client).
    pub trusted_proxy_hops: usize,
}
