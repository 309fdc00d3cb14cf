//! Offline-friendly recording: what a recorder sends from a phone (a new demand, a visit's
//! attendance and minutes) is first written to the browser's `localStorage` — the outbox — and
//! only then sent. An answer that never comes (no network, a dropped connection, a server
//! restarting) leaves it there, and it is sent again, with the same `Idempotency-Key`, every few
//! seconds and whenever the browser says it is back online, until the server answers. So a
//! demand typed in a doorway with no signal is neither lost nor, when a lost answer had in fact
//! been recorded, recorded twice.
//!
//! The outbox is per account (a shared phone never sends one recorder's entries as another's)
//! and survives reloads and closed tabs. What the server refuses for good (a 4xx that sending
//! again cannot change) stays listed with the server's message until the recorder discards it.
use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};

use crate::api::{Api, ApiError};
use crate::i18n::{Text, tr};
use crate::state::Session;

/// A request waiting to be answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// Its `Idempotency-Key`, made when it was first written; also its id here.
    pub key: String,
    pub method: Method,
    /// Under `/api/v1`.
    pub path: String,
    /// The JSON body.
    pub body: String,
    pub kind: Kind,
    /// What it is, for the recorder: a demand's title, a visit's place.
    pub label: String,
    /// The server's message when it refused the request for good; not sent again.
    #[serde(default)]
    pub refused: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    Post,
    /// Replaces what is at `path`: a newer one replaces an older one still waiting.
    Put,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Demand,
    Attendance,
    Minutes,
    VisitHouseholds,
}

/// The waiting requests, oldest first (they are sent in that order).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    pub items: Vec<Pending>,
}

impl Outbox {
    /// Adds `pending`; a `PUT` replaces one to the same path that is still waiting (only the
    /// newest minutes of a visit matter).
    pub fn add(&mut self, pending: Pending) {
        if pending.method == Method::Put {
            self.items.retain(|p| {
                !(p.method == Method::Put && p.path == pending.path && p.refused.is_none())
            });
        }
        self.items.retain(|p| p.key != pending.key);
        self.items.push(pending);
    }

    pub fn remove(&mut self, key: &str) {
        self.items.retain(|p| p.key != key);
    }

    pub fn refuse(&mut self, key: &str, message: String) {
        if let Some(p) = self.items.iter_mut().find(|p| p.key == key) {
            p.refused = Some(message);
        }
    }

    /// Those still to send, oldest first.
    pub fn waiting(&self) -> impl Iterator<Item = &Pending> {
        self.items.iter().filter(|p| p.refused.is_none())
    }

    pub fn refused(&self) -> impl Iterator<Item = &Pending> {
        self.items.iter().filter(|p| p.refused.is_some())
    }
}

/// What to do with a request after one try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// No answer, or one that may change: keep it and try again later.
    Again,
    /// An answer that sending again cannot change, with its message.
    Refused(String),
}

impl Outcome {
    pub fn of(result: &Result<serde_json::Value, ApiError>) -> Self {
        let Err(e) = result else {
            return Outcome::Sent;
        };
        match (e.status, e.code.as_str()) {
            // No answer at all, or a gateway's or server's trouble.
            (0, _) | (408 | 429, _) | (500..=599, _) => Outcome::Again,
            // The same key still being written, or the session ended (kept until the recorder
            // signs in again).
            (409, "idempotency_key_in_use") | (401, _) => Outcome::Again,
            _ => Outcome::Refused(e.message.clone()),
        }
    }
}

/// The `localStorage` key of `account`'s outbox.
pub fn storage_key(account: &str) -> String {
    format!("minqing.outbox.{account}")
}

/// The portal's outbox: persisted per account, sent by [`OutboxBar`].
#[derive(Debug, Clone, Copy)]
pub struct OutboxState {
    account: RwSignal<Option<String>>,
    pub outbox: RwSignal<Outbox>,
    /// Keys being sent right now (by a form or by the bar), not sent twice at once.
    in_flight: RwSignal<HashSet<String>>,
    /// Demands the outbox sent later: title and receipt code, for the recorder to pass on.
    pub delivered: RwSignal<Vec<(String, String)>>,
    flushing: RwSignal<bool>,
}

impl OutboxState {
    pub fn new() -> Self {
        Self {
            account: RwSignal::new(None),
            outbox: RwSignal::new(Outbox::default()),
            in_flight: RwSignal::new(HashSet::new()),
            delivered: RwSignal::new(Vec::new()),
            flushing: RwSignal::new(false),
        }
    }

    /// Loads `account`'s outbox (once per account).
    fn open(self, account: String) {
        if self.account.get_untracked().as_deref() == Some(account.as_str()) {
            return;
        }
        let loaded = browser::read(&storage_key(&account))
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        self.account.set(Some(account));
        self.outbox.set(loaded);
    }

    fn save(self) {
        if let Some(account) = self.account.get_untracked() {
            let json = self
                .outbox
                .with_untracked(|o| serde_json::to_string(o).ok());
            if let Some(json) = json {
                browser::write(&storage_key(&account), &json);
            }
        }
    }

    fn update(self, f: impl FnOnce(&mut Outbox)) {
        self.outbox.update(f);
        self.save();
    }

    /// Writes `pending` to the outbox before anything is sent.
    pub fn keep(self, pending: Pending) {
        self.update(|o| o.add(pending));
    }

    pub fn discard(self, key: &str) {
        self.update(|o| o.remove(key));
    }

    /// Sends one kept request (unless it is being sent already) and keeps the outbox in step
    /// with the answer: removed when sent or refused, left when it must go again. The answer
    /// itself is returned (`None` if it was in flight).
    pub async fn send(
        self,
        api: Api,
        pending: &Pending,
    ) -> Option<Result<serde_json::Value, ApiError>> {
        let fresh = self
            .in_flight
            .try_update(|f| f.insert(pending.key.clone()))
            .unwrap_or(false);
        if !fresh {
            return None;
        }
        let method = match pending.method {
            Method::Post => "POST",
            Method::Put => "PUT",
        };
        let result = api
            .send_keyed(method, &pending.path, pending.body.clone(), &pending.key)
            .await;
        self.in_flight.update(|f| {
            f.remove(&pending.key);
        });
        match Outcome::of(&result) {
            Outcome::Sent | Outcome::Refused(_) => self.discard(&pending.key),
            Outcome::Again => {}
        }
        Some(result)
    }

    /// Sends what is waiting, oldest first, until one gets no answer (the network is still
    /// gone: the rest waits for the next try). Refusals stay listed with their message.
    pub async fn flush(self, api: Api) {
        if self.flushing.get_untracked() {
            return;
        }
        self.flushing.set(true);
        let waiting: Vec<Pending> = self
            .outbox
            .with_untracked(|o| o.waiting().cloned().collect());
        for pending in waiting {
            let Some(result) = self.send(api, &pending).await else {
                continue;
            };
            match Outcome::of(&result) {
                Outcome::Sent => {
                    if let (Kind::Demand, Ok(demand)) = (pending.kind, &result) {
                        let code = demand["receipt_code"].as_str().unwrap_or_default();
                        self.delivered
                            .update(|d| d.push((pending.label.clone(), code.to_owned())));
                    }
                }
                Outcome::Refused(message) => {
                    // Kept, marked, so the recorder sees what the server said.
                    self.update(|o| {
                        o.add(pending.clone());
                        o.refuse(&pending.key, message);
                    });
                }
                Outcome::Again => break,
            }
        }
        self.flushing.set(false);
    }
}

impl Default for OutboxState {
    fn default() -> Self {
        Self::new()
    }
}

pub fn use_outbox() -> OutboxState {
    expect_context::<OutboxState>()
}

/// How often the bar tries again while something waits.
const RETRY_MS: u32 = 3_000;

/// Starts sending the outbox in the background for the life of the page: whenever someone
/// signs in (their outbox is loaded), every few seconds while something waits, and when the
/// browser says it is back online.
pub fn start(state: OutboxState, portal: crate::state::Portal) {
    let api = portal.api();
    Effect::new(move |_| {
        if let Session::SignedIn(me) = portal.session.get() {
            state.open(me.account.id.0.to_string());
            spawn_local(state.flush(api));
        }
    });
    let signed_in = move || matches!(portal.session.get_untracked(), Session::SignedIn(_));
    browser::every(RETRY_MS, move || {
        if signed_in()
            && state
                .outbox
                .with_untracked(|o| o.waiting().next().is_some())
        {
            spawn_local(state.flush(api));
        }
    });
    browser::on_online(move || {
        if signed_in() {
            spawn_local(state.flush(api));
        }
    });
}

/// Above every page while signed in: what waits to be sent, what was refused and what was
/// delivered later.
#[component]
pub fn OutboxBar() -> AnyView {
    let state = use_outbox();
    view! {
        <div class="outbox" data-testid="outbox">
            {move || {
                let waiting = state.outbox.with(|o| o.waiting().count());
                (waiting > 0).then(|| view! {
                    <p class="notice warning" role="status" data-testid="outbox-waiting" data-count=waiting.to_string()>
                        {tr(Text::OutboxWaiting)} " " <strong>{waiting}</strong>
                    </p>
                })
            }}
            {move || {
                state
                    .outbox
                    .with(|o| o.refused().cloned().collect::<Vec<_>>())
                    .into_iter()
                    .map(|p| {
                        let key = p.key.clone();
                        view! {
                            <div class="notice error" role="alert" data-testid="outbox-refused">
                                <p>{tr(Text::OutboxRefused)} " " <strong>{p.label}</strong> ": " {p.refused.unwrap_or_default()}</p>
                                <details><summary>{tr(Text::OutboxContent)}</summary><pre>{p.body}</pre></details>
                                <button type="button" on:click=move |_| state.discard(&key)>{tr(Text::OutboxDiscard)}</button>
                            </div>
                        }
                    })
                    .collect_view()
            }}
            {move || {
                let delivered = state.delivered.get();
                (!delivered.is_empty()).then(|| view! {
                    <div class="notice success" role="status" data-testid="outbox-delivered">
                        <p>{tr(Text::OutboxDelivered)}</p>
                        <ul>
                            {delivered
                                .into_iter()
                                .map(|(title, code)| view! { <li>{title} " — " {tr(Text::ReceiptCode)} " " <strong class="receipt-code">{code}</strong></li> })
                                .collect_view()}
                        </ul>
                        <button type="button" on:click=move |_| state.delivered.set(Vec::new())>{tr(Text::Dismiss)}</button>
                    </div>
                })
            }}
        </div>
    }
    .into_any()
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn read(key: &str) -> Option<String> {
        storage()?.get_item(key).ok().flatten()
    }

    pub fn write(key: &str, value: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(key, value);
        }
    }

    /// Calls `f` every `ms` milliseconds for the life of the page.
    pub fn every(ms: u32, f: impl Fn() + 'static) {
        let f = Closure::<dyn Fn()>::new(f);
        if let Some(w) = web_sys::window() {
            let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(
                f.as_ref().unchecked_ref(),
                ms as i32,
            );
        }
        f.forget();
    }

    /// Calls `f` whenever the browser says the network is back.
    pub fn on_online(f: impl Fn() + 'static) {
        let f = Closure::<dyn Fn()>::new(f);
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback("online", f.as_ref().unchecked_ref());
        }
        f.forget();
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    //! Server side: nothing is kept or sent while rendering.
    pub fn read(_key: &str) -> Option<String> {
        None
    }
    pub fn write(_key: &str, _value: &str) {}
    pub fn every(_ms: u32, _f: impl Fn() + 'static) {}
    pub fn on_online(_f: impl Fn() + 'static) {}
}

/// A draft kept as it is typed (a visit's minutes), under `key`, until it is sent.
pub fn draft(key: &str) -> Option<String> {
    browser::read(key).filter(|d| !d.is_empty())
}

pub fn keep_draft(key: &str, text: &str) {
    browser::write(key, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(key: &str, method: Method, path: &str) -> Pending {
        Pending {
            key: key.to_owned(),
            method,
            path: path.to_owned(),
            body: "{}".to_owned(),
            kind: Kind::Demand,
            label: key.to_owned(),
            refused: None,
        }
    }

    fn error(status: u16, code: &str) -> Result<serde_json::Value, ApiError> {
        Err(ApiError {
            status,
            code: code.to_owned(),
            message: format!("{status} {code}"),
            fields: Default::default(),
            rows: Vec::new(),
        })
    }

    #[test]
    fn new_demands_queue_in_order_and_a_newer_put_replaces_the_waiting_one() {
        let mut o = Outbox::default();
        o.add(pending("a", Method::Post, "/demands"));
        o.add(pending("b", Method::Post, "/demands"));
        o.add(pending("m1", Method::Put, "/visits/1/minutes"));
        o.add(pending("m2", Method::Put, "/visits/1/minutes"));
        o.add(pending("m3", Method::Put, "/visits/2/minutes"));
        let keys: Vec<_> = o.waiting().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "m2", "m3"]);
        // The same key written again is one entry, not two.
        o.add(pending("a", Method::Post, "/demands"));
        assert_eq!(o.items.iter().filter(|p| p.key == "a").count(), 1);
    }

    #[test]
    fn a_refused_request_is_kept_apart_and_no_longer_sent() {
        let mut o = Outbox::default();
        o.add(pending("a", Method::Post, "/demands"));
        o.add(pending("b", Method::Post, "/demands"));
        o.refuse("a", "社区不存在".into());
        assert_eq!(
            o.waiting().map(|p| p.key.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        assert_eq!(
            o.refused().next().and_then(|p| p.refused.as_deref()),
            Some("社区不存在")
        );
        o.remove("a");
        assert_eq!(o.items.len(), 1);
    }

    #[test]
    fn only_answers_that_cannot_change_end_a_request() {
        assert_eq!(Outcome::of(&Ok(serde_json::json!({}))), Outcome::Sent);
        for again in [
            error(0, "network"),
            error(502, "unexpected_response"),
            error(503, "unavailable"),
            error(500, "internal"),
            error(429, "rate_limited"),
            error(409, "idempotency_key_in_use"),
            error(401, "unauthenticated"),
        ] {
            assert_eq!(Outcome::of(&again), Outcome::Again, "{again:?}");
        }
        for refused in [
            error(422, "validation_failed"),
            error(409, "visit_not_started"),
            error(403, "forbidden"),
            error(404, "not_found"),
        ] {
            assert!(
                matches!(Outcome::of(&refused), Outcome::Refused(_)),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn the_outbox_survives_as_json() {
        let mut o = Outbox::default();
        o.add(pending("a", Method::Post, "/demands"));
        o.refuse("a", "x".into());
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<Outbox>(&json).unwrap(), o);
        assert_eq!(storage_key("acc-1"), "minqing.outbox.acc-1");
    }
}
