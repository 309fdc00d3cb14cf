//! Mounts the Leptos portal on the API server: server-side rendering of every portal route,
//! and the built site (wasm, JS, CSS) served from the site root.
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
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

/// The name the built site's JS and wasm go by: `minqing.<hash>` (see xtask's `HASH_FILE`), or
/// `minqing` for a site built before files were hashed.
fn output_name(site_root: &std::path::Path) -> String {
    match std::fs::read_to_string(site_root.join("pkg").join("minqing.hash")) {
        Ok(hash) if !hash.trim().is_empty() => format!("minqing.{}", hash.trim()),
        _ => "minqing".to_owned(),
    }
}

/// How long a browser keeps a file of the site: the hashed JS and wasm for good (a new build is
/// a new name); everything else (the stylesheet, icons) asked again each time, cheaply (an
/// unchanged file is a 304).
async fn cache_policy(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let hashed = {
        let path = request.uri().path();
        path.starts_with("/pkg/minqing.") && !path.ends_with(".hash")
    };
    let mut response = next.run(request).await;
    let policy = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}

pub fn router(site_root: &std::path::Path) -> Router {
    let options = LeptosOptions::builder()
        .output_name(output_name(site_root))
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
        .fallback_service(
            Router::new()
                .fallback_service(
                    ServeDir::new(site_root)
                        .precompressed_br()
                        .precompressed_gzip(),
                )
                .layer(axum::middleware::from_fn(cache_policy)),
        )
        .with_state(options)
}
