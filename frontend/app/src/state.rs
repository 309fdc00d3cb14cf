//! The portal's app-wide state: the chosen language and who is signed in.
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use minqing_domain::i18n::Lang;

use crate::api::{Api, ApiError};
use crate::model::{Me, Tenant};
use crate::time::DEFAULT_ZONE;

/// Who is signed in. It starts `Unknown` on the server and in the browser alike (so hydration
/// matches); the browser then asks `GET /auth/me`.
#[derive(Debug, Clone, PartialEq)]
pub enum Session {
    Unknown,
    SignedOut,
    SignedIn(Arc<Me>),
    /// `/auth/me` failed for another reason than 401 (network, server error).
    Unavailable(ApiError),
}

impl Session {
    pub fn me(&self) -> Option<Arc<Me>> {
        match self {
            Session::SignedIn(me) => Some(me.clone()),
            _ => None,
        }
    }
}

/// Copyable handle on the app-wide signals; provided once by `App`, read with [`use_portal`].
#[derive(Debug, Clone, Copy)]
pub struct Portal {
    pub lang: RwSignal<Lang>,
    pub session: RwSignal<Session>,
    /// The signed-in tenant's time zone, once `GET /tenant` answered (see [`Portal::zone`]).
    zone: RwSignal<Option<String>>,
    zone_asked: RwSignal<bool>,
}

impl Portal {
    pub fn new(lang: Lang) -> Self {
        Self {
            lang: RwSignal::new(lang),
            session: RwSignal::new(Session::Unknown),
            zone: RwSignal::new(None),
            zone_asked: RwSignal::new(false),
        }
    }

    /// The zone times are shown in: the tenant's, asked for once (in the browser) on first
    /// use, Asia/Shanghai until it is known.
    pub fn zone(self) -> String {
        if !self.zone_asked.get_untracked() && cfg!(feature = "hydrate") {
            self.zone_asked.set(true);
            spawn_local(async move {
                if let Ok(tenant) = self.api().get::<Tenant>("/tenant").await {
                    let zone = tenant.time_zone.trim().to_owned();
                    self.zone.set((!zone.is_empty()).then_some(zone));
                }
            });
        }
        self.zone.get().unwrap_or_else(|| DEFAULT_ZONE.to_owned())
    }

    pub fn api(self) -> Api {
        Api::new(self)
    }

    /// Asks the server who we are (after hydration, after login, after a password change).
    pub fn refresh_session(self) {
        spawn_local(async move {
            let next = match self.api().get::<Me>("/auth/me").await {
                Ok(me) => Session::SignedIn(Arc::new(me)),
                Err(e) if e.status == 401 => Session::SignedOut,
                Err(e) => Session::Unavailable(e),
            };
            // Another account may belong to another tenant: ask for the zone again.
            self.zone_asked.set(false);
            self.zone.set(None);
            self.session.set(next);
        });
    }

    /// The CSRF token unsafe requests riding on the session cookie must carry.
    pub fn csrf_token(self) -> Option<String> {
        self.session
            .with_untracked(|s| s.me().map(|me| me.csrf_token.clone()))
    }
}

pub fn use_portal() -> Portal {
    expect_context::<Portal>()
}

pub fn use_api() -> Api {
    use_portal().api()
}
