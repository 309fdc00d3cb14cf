//! The API router: every route in one place, with the layers every request passes through
//! (request id — a caller's kept only when short and safe —, trace span, body limits, error
//! localization, panic → 500 JSON, control characters in paths and queries refused).
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::handler::Handler;
use axum::http::{HeaderName, Method};
use axum::routing::{MethodFilter, MethodRouter, get, on};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::control_chars::refuse_control_characters;
use crate::error::ApiError;
use crate::localize::localize;
use crate::openapi;
use crate::routes::{
    accountability, accounts, attachments, auth, demand_settings, demands, health, ledger,
    notifications, operations_log, platform, public, public_form, tenant, units,
};
use crate::routes::{api_keys, budgets, councils, households, open311, visits};
use crate::state::AppState;

/// JSON bodies are small; files go to the import routes.
pub const BODY_LIMIT: usize = 1024 * 1024;
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

/// Where the JSON API lives.
pub const API_PREFIX: &str = "/api/v1";

/// One row of the route table: a method and path under [`API_PREFIX`], its handler, and
/// whether it takes a file (64 MB) rather than a JSON body (1 MB).
struct ApiRoute {
    method: Method,
    path: &'static str,
    handler: MethodRouter<AppState>,
    file: bool,
}

fn route<H, T>(method: Method, path: &'static str, handler: H) -> ApiRoute
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("a routable method");
    ApiRoute {
        method,
        path,
        handler: on(filter, handler),
        file: false,
    }
}

impl ApiRoute {
    fn file(self) -> Self {
        Self { file: true, ..self }
    }
}

/// Every route under `/api/v1`, once: the router is built from this table, and [`api_routes`]
/// lists it for the test that holds the OpenAPI document to it.
fn table() -> Vec<ApiRoute> {
    use Method as M;
    vec![
        route(M::POST, "/auth/login", auth::login),
        route(M::POST, "/auth/logout", auth::logout),
        route(M::GET, "/auth/me", auth::me),
        route(M::POST, "/auth/password", auth::change_password),
        route(M::GET, "/platform/tenants", platform::list_tenants),
        route(M::POST, "/platform/tenants", platform::create_tenant),
        route(M::GET, "/platform/tenants/{id}", platform::get_tenant),
        route(M::PATCH, "/platform/tenants/{id}", platform::update_tenant),
        route(
            M::POST,
            "/platform/tenants/{id}/suspend",
            platform::suspend_tenant,
        ),
        route(
            M::POST,
            "/platform/tenants/{id}/resume",
            platform::resume_tenant,
        ),
        route(M::GET, "/tenant", tenant::get_tenant),
        route(M::PATCH, "/tenant", tenant::update_tenant),
        route(M::GET, "/tenant/tiers", tenant::list_tiers),
        route(M::POST, "/tenant/tiers", tenant::add_tier),
        route(M::PATCH, "/tenant/tiers/{key}", tenant::relabel_tier),
        route(M::DELETE, "/tenant/tiers/{key}", tenant::remove_tier),
        route(M::GET, "/tenant/demand-rules", demand_settings::get_rules),
        route(M::PUT, "/tenant/demand-rules", demand_settings::put_rules),
        route(
            M::GET,
            "/tenant/categories",
            demand_settings::list_categories,
        ),
        route(
            M::POST,
            "/tenant/categories",
            demand_settings::create_category,
        ),
        route(
            M::PATCH,
            "/tenant/categories/{key}",
            demand_settings::update_category,
        ),
        route(M::GET, "/tenant/calendar", demand_settings::get_calendar),
        route(
            M::PUT,
            "/tenant/calendar/{year}",
            demand_settings::put_calendar_year,
        ),
        route(
            M::POST,
            "/tenant/calendar/{year}/import",
            demand_settings::import_calendar_year,
        )
        .file(),
        route(M::GET, "/units", units::list_units),
        route(M::POST, "/units", units::create_unit),
        route(M::GET, "/units/roots", units::list_roots),
        route(M::GET, "/units/{id}", units::get_unit),
        route(M::PATCH, "/units/{id}", units::update_unit),
        route(M::GET, "/units/{id}/children", units::list_children),
        route(M::GET, "/units/{id}/ancestors", units::list_ancestors),
        route(M::POST, "/units/{id}/move", units::move_unit),
        route(M::POST, "/units/{id}/merge", units::merge_unit),
        route(M::POST, "/units/{id}/archive", units::archive_unit),
        route(M::POST, "/units/import", units::import_units).file(),
        route(M::GET, "/accounts", accounts::list_accounts),
        route(M::POST, "/accounts", accounts::create_account),
        route(M::GET, "/accounts/{id}", accounts::get_account),
        route(M::PATCH, "/accounts/{id}", accounts::update_account),
        route(M::POST, "/accounts/{id}/disable", accounts::disable_account),
        route(M::POST, "/accounts/{id}/enable", accounts::enable_account),
        route(
            M::POST,
            "/accounts/{id}/reset-password",
            accounts::reset_password,
        ),
        route(M::POST, "/accounts/{id}/grants", accounts::add_grant),
        route(
            M::DELETE,
            "/accounts/{id}/grants/{grant_id}",
            accounts::remove_grant,
        ),
        route(M::POST, "/accounts/import", accounts::import_accounts).file(),
        route(M::GET, "/demands", demands::list_demands),
        route(M::POST, "/demands", demands::create_demand),
        route(M::GET, "/demands/counts", demands::count_demands),
        route(M::GET, "/demands/export", demands::export_demands),
        route(M::GET, "/demands/{id}", demands::get_demand),
        route(M::GET, "/demands/{id}/events", demands::list_demand_events),
        route(
            M::POST,
            "/demands/{id}/personal-data",
            demands::reveal_personal_data,
        ),
        route(
            M::GET,
            "/demands/{id}/attachments",
            attachments::list_attachments,
        ),
        route(
            M::POST,
            "/demands/{id}/attachments",
            attachments::add_attachment,
        )
        .file(),
        route(
            M::GET,
            "/demands/{id}/attachments/{attachment_id}",
            attachments::get_attachment,
        ),
        route(M::POST, "/demands/{id}/{action}", demands::act_on_demand),
        route(M::GET, "/ledger/verify", ledger::verify_ledger),
        route(
            M::GET,
            "/accountability/warnings",
            accountability::list_warnings,
        ),
        route(M::GET, "/accountability/cases", accountability::list_cases),
        route(
            M::GET,
            "/accountability/cases/{id}",
            accountability::get_case,
        ),
        route(
            M::POST,
            "/accountability/cases/{id}/{step}",
            accountability::step_case,
        ),
        route(
            M::GET,
            "/tenant/notification-channels",
            notifications::list_channels,
        ),
        route(
            M::POST,
            "/tenant/notification-channels",
            notifications::create_channel,
        ),
        route(
            M::POST,
            "/tenant/notification-channels/{id}/{switch}",
            notifications::switch_channel,
        ),
        route(
            M::GET,
            "/tenant/notification-deliveries",
            notifications::list_deliveries,
        ),
        route(M::GET, "/tenant/api-keys", api_keys::list_api_keys),
        route(M::POST, "/tenant/api-keys", api_keys::create_api_key),
        route(
            M::POST,
            "/tenant/api-keys/{id}/revoke",
            api_keys::revoke_api_key,
        ),
        route(
            M::GET,
            "/public/{tenant}/demands/{code}",
            public::demand_by_receipt,
        ),
        route(
            M::POST,
            "/public/{tenant}/demands/{code}/rating",
            public::rate_demand,
        ),
        route(M::GET, "/public/{tenant}/units", public_form::public_units),
        route(
            M::GET,
            "/public/{tenant}/categories",
            public_form::public_categories,
        ),
        route(
            M::POST,
            "/public/{tenant}/demands",
            public_form::submit_demand,
        ),
        route(
            M::GET,
            "/public/{tenant}/units/{id}/visits",
            public::visits_of_unit,
        ),
        route(
            M::GET,
            "/public/{tenant}/units/{id}/visits.ics",
            public::unit_feed,
        ),
        route(
            M::GET,
            "/public/{tenant}/leaders/{id}/visits.ics",
            public::leader_feed,
        ),
        route(M::GET, "/contact-points", visits::list_contact_points),
        route(M::POST, "/contact-points", visits::add_contact_point),
        route(
            M::POST,
            "/contact-points/{id}/end",
            visits::end_contact_point,
        ),
        route(M::GET, "/visits", visits::list_visits),
        route(M::POST, "/visits", visits::schedule_visit),
        route(M::GET, "/visits/{id}", visits::get_visit),
        route(M::POST, "/visits/{id}/notice", visits::publish_notice),
        route(M::POST, "/visits/{id}/reschedule", visits::reschedule_visit),
        route(M::POST, "/visits/{id}/cancel", visits::cancel_visit),
        route(M::PUT, "/visits/{id}/attendance", visits::record_attendance),
        route(M::PUT, "/visits/{id}/minutes", visits::record_minutes),
        route(
            M::GET,
            "/units/{id}/households",
            households::list_households,
        ),
        route(M::POST, "/units/{id}/households", households::add_household),
        route(
            M::POST,
            "/units/{id}/households/import",
            households::import_households,
        )
        .file(),
        route(
            M::PUT,
            "/visits/{id}/households",
            households::record_visit_households,
        ),
        route(
            M::GET,
            "/households/coverage",
            households::household_coverage,
        ),
        route(M::GET, "/units/{id}/council", councils::get_council),
        route(M::POST, "/units/{id}/council/members", councils::add_member),
        route(M::POST, "/council-members/import", councils::import_members).file(),
        route(M::GET, "/council-members/export", councils::export_members),
        route(M::PUT, "/council-members/{id}", councils::update_member),
        route(M::DELETE, "/council-members/{id}", councils::remove_member),
        route(
            M::POST,
            "/council-members/{id}/personal-data",
            councils::reveal_member_phone,
        ),
        route(M::GET, "/units/{id}/workroom", councils::get_workroom),
        route(M::PUT, "/units/{id}/workroom", councils::set_workroom),
        route(M::GET, "/councils/coverage", councils::coverage),
        route(M::GET, "/units/{id}/budget", budgets::unit_budget),
        route(M::POST, "/units/{id}/budget/lines", budgets::add_line),
        route(
            M::POST,
            "/budget-lines/{id}/corrections",
            budgets::correct_line,
        ),
        route(M::POST, "/units/{id}/budget/expenditures", budgets::spend),
        route(
            M::POST,
            "/expenditures/{id}/corrections",
            budgets::correct_expenditure,
        ),
        route(M::POST, "/expenditures/{id}/vouchers", budgets::add_voucher).file(),
        route(
            M::GET,
            "/expenditures/{id}/vouchers/{voucher_id}",
            budgets::get_voucher,
        ),
        route(M::GET, "/budgets/rollup", budgets::roll_up),
        route(M::GET, "/budgets/export", budgets::export_spending),
        route(M::GET, "/operations-rules", budgets::get_operations_rules),
        route(M::PUT, "/operations-rules", budgets::set_operations_rules),
        route(M::GET, "/operations-log", operations_log::list_operations),
        route(M::GET, "/openapi.json", openapi::openapi_json),
    ]
}

/// Every (method, full path) the router serves under [`API_PREFIX`], paths as in OpenAPI
/// (`/api/v1/units/{id}`).
pub fn api_routes() -> Vec<(Method, String)> {
    table()
        .into_iter()
        .map(|r| (r.method, format!("{API_PREFIX}{}", r.path)))
        .collect()
}

fn api_router() -> Router<AppState> {
    let (mut json, mut files) = (Router::new(), Router::new());
    for r in table() {
        if r.file {
            files = files.route(r.path, r.handler);
        } else {
            json = json.route(r.path, r.handler);
        }
    }
    json.layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(files.layer(DefaultBodyLimit::max(IMPORT_LIMIT)))
        .fallback(|| async { ApiError::not_found() })
}

/// The API, its documentation page and the health routes, with state. The server adds the
/// portal and calls [`layers`].
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/docs", get(openapi::docs_page))
        // The login page's form, posted before the portal hydrates (the page itself is the
        // portal's GET /login).
        .route("/login", axum::routing::post(auth::form_login))
        .nest(API_PREFIX, api_router())
        .nest(open311::OPEN311_PREFIX, open311::router())
        .with_state(state)
}

/// Wraps the whole app (API and portal) in the layers every request passes through.
pub fn layers(app: Router) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    app.layer(axum::middleware::from_fn(refuse_control_characters))
        .layer(axum::middleware::from_fn(localize))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("handler panicked");
            axum::response::IntoResponse::into_response(ApiError::internal())
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(make_span)
                .on_response(on_response),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unsafe_request_id))
}

/// The longest `x-request-id` kept from a caller.
pub const REQUEST_ID_MAX: usize = 64;

/// A caller's `x-request-id` is kept (in logs, the operations log and the answer) only when it
/// is a short, safe token: at most [`REQUEST_ID_MAX`] characters of `A-Z a-z 0-9 . _ -`. Any
/// other is dropped here, and the request gets a new id like one that sent none.
async fn drop_unsafe_request_id(mut request: Request) -> Request {
    let safe = |id: &[u8]| {
        !id.is_empty()
            && id.len() <= REQUEST_ID_MAX
            && id
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    let headers = request.headers_mut();
    let ids = headers.get_all("x-request-id");
    let mut ids = ids.iter();
    let keep = matches!((ids.next(), ids.next()), (Some(id), None) if safe(id.as_bytes()));
    if !keep {
        headers.remove("x-request-id");
    }
    request
}

fn make_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{} {}", request.method(), route),
        method = %request.method(),
        route = %route,
        request_id = %request_id,
        status = tracing::field::Empty,
        tenant = tracing::field::Empty,
        account = tracing::field::Empty,
    );
    // Continue the caller's trace when it sent a W3C `traceparent`.
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&opentelemetry_http::HeaderExtractor(request.headers()))
    });
    let _ = span.set_parent(parent);
    span
}

fn on_response(
    response: &axum::response::Response,
    latency: std::time::Duration,
    span: &tracing::Span,
) {
    let status = response.status().as_u16();
    span.record("status", status);
    if status >= 500 {
        tracing::error!(
            status,
            latency_ms = latency.as_millis() as u64,
            "request failed"
        );
    } else {
        tracing::info!(status, latency_ms = latency.as_millis() as u64, "request");
    }
}
