//! Callers intake resolved, per session token, kept for a few seconds, so intake can decide a demand
//! with no database round trip before its group commit. Safe because what a cached caller was
//! decided with is checked where it is written: the intake writer writes a demand only if the
//! tenant's settings version — which every change to settings, accounts, grants, units or the
//! tenant's status moves — is still the one the caller was resolved at, and otherwise the
//! request decides again from the database. What the version does not see is a session ended
//! on another server: for intake it keeps working there for at most [`FRESH`]. Logging out
//! forgets the session here at once.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::extract::SessionCaller;

/// How long a resolved caller is used without asking the database again.
pub const FRESH: Duration = Duration::from_secs(5);

/// More sessions than this at once, and the stale ones are dropped.
const MAX_ENTRIES: usize = 10_000;

#[derive(Clone, Default)]
pub struct CallerCache {
    entries: Arc<Mutex<HashMap<String, (Instant, SessionCaller)>>>,
}

impl CallerCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, SessionCaller)>> {
        // Whole inserts and removals only: a panic elsewhere cannot leave it half-written.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The caller resolved for `token` less than [`FRESH`] ago, whose session has not expired.
    pub fn get(&self, token: &str) -> Option<SessionCaller> {
        let now = chrono::Utc::now();
        self.lock()
            .get(token)
            .filter(|(at, c)| at.elapsed() < FRESH && now < c.session.expires_at)
            .map(|(_, c)| c.detached())
    }

    pub fn put(&self, caller: &SessionCaller) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (at, _)| at.elapsed() < FRESH);
        }
        if entries.len() < MAX_ENTRIES {
            entries.insert(caller.token.clone(), (Instant::now(), caller.detached()));
        }
    }

    pub fn forget(&self, token: &str) {
        self.lock().remove(token);
    }
}
