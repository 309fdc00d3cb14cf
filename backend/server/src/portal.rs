//! Mounts the Leptos portal on the API server: server-side rendering of every portal route,
//! and the built site (wasm, JS, CSS) served from the site root.
use axum::Router;
use axum::http::HeaderMap;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use minqing_app::{App, shell};
use minqing_domain::i18n::Lang;
use tower_http::services::ServeDir;

/// The portal's language: the `minqing_lang` cookie, else Chinese.
fn cookie_lang(headers: &HeaderMap) -> Lang {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == "minqing_lang")
        .and_then(|(_, v)| Lang::parse(v))
        .unwrap_or_default()
}

pub fn router(site_root: &std::path::Path) -> Router {
    let options = LeptosOptions::builder()
        .output_name("minqing")
        .site_root(site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .build();
    let routes = generate_route_list(App);
    let shell_options = options.clone();
    Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            || {
                let lang = leptos::prelude::use_context::<axum::http::request::Parts>()
                    .map(|parts| cookie_lang(&parts.headers))
                    .unwrap_or_default();
                provide_context(lang);
            },
            move || shell(shell_options.clone()),
        )
        .fallback_service(ServeDir::new(site_root))
        .with_state(options)
}
