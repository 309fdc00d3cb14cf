//! Minqing's portal: Leptos pages rendered on the axum server (`ssr`) and hydrated in the
//! browser (`hydrate`, through the `minqing_hydrate` wasm crate).
//!
//! The server mounts [`shell`] for every portal route and provides the reader's
//! [`minqing_domain::i18n::Lang`] (from the `minqing_lang` cookie) as context. Pages render their
//! frame on the server and load their data from the JSON API once hydrated ([`api`]).
pub mod api;
mod app;
mod components;
pub mod i18n;
pub mod model;
pub mod outbox;
mod pages;
pub mod state;
pub mod time;

pub use app::{App, shell};
