//! What every handler can reach.
use minqing_storage::Storage;

#[derive(Clone)]
pub struct AppState {
    pub storage: Storage,
    pub config: HttpConfig,
}

#[derive(Clone, Debug, Default)]
pub struct HttpConfig {
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    pub login_limits: minqing_storage::throttle::LoginLimits,
}
