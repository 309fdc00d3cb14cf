//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers' `#[utoipa::path]`
//! annotations and the types' `ToSchema` derives, served at `GET /api/v1/openapi.json`; and a
//! small self-contained page that renders it at `GET /api/docs` (no assets from elsewhere).
//!
//! `tests/tests/api_openapi.rs` checks the document against the router's own route table
//! ([`crate::router::api_routes`]), so a route cannot be added without being documented.
use std::collections::BTreeSet;
use std::sync::LazyLock;

use axum::http::header;
use axum::response::{Html, IntoResponse};
use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Required};
use utoipa::{IntoParams, Modify, OpenApi, ToResponse, ToSchema};

use crate::error::ErrorResponse;
use crate::routes::{
    accountability, accounts, attachments, auth, demand_settings, demands, health, ledger,
    notifications, operations_log, platform, public, public_form, tenant, units,
};
use crate::routes::{api_keys, budgets, councils, households, open311, visits};

const DESCRIPTION: &str = "\
The JSON API of Minqing, which runs the 民情家访 (people's-sentiment home visits) programme for \
cities and provinces. Every path lives under `/api/v1`; this document is generated from the code.

民情家访平台的 JSON 接口文档（由代码生成）。

**Authentication.** `POST /api/v1/auth/login` answers a token; send it as \
`Authorization: Bearer <token>`. A token belongs to one tenant (operators log in with tenant \
`platform`). The portal uses the same session through its `minqing_session` cookie instead; \
unsafe requests (POST, PATCH, DELETE) that ride on the cookie must also send the session's \
`x-csrf-token` header (from the login answer or `GET /api/v1/auth/me`). Bearer requests need no \
CSRF token.

**Errors.** Every 4xx/5xx answer has the body `{\"error\": {\"code\", \"message\", \"fields\", \
\"rows\"?}}` (schema `ErrorResponse`). Codes are stable; messages follow `Accept-Language` \
(zh-CN by default, or en). 400 malformed JSON or id, 401 not logged in, 403 logged in but not \
allowed, 404 not found *or not visible* (another tenant's id or a unit outside the caller's \
subtrees is a 404, never a 403), 409 state conflict, 413 too large (JSON bodies 1 MB, import \
files 64 MB), 415 a body that is not JSON, 422 validation, 429 throttled.

**Control characters.** No text may hold U+0000 or another C0 control character other than \
tab, newline and carriage return: not a JSON body's strings (`\\u0000` escapes included), a \
path, a query parameter, nor an imported file's cells. Any route answers such a request 422 \
`control_character`, naming the field (`title`, `grants[0].role`), `path` or the query \
parameter; an import file names its rows (`import_invalid`, reason `control_character`).

**Lists** take `?limit=` (1–500, default 50) and an opaque `?cursor=`, and answer \
`{\"items\": […], \"next_cursor\": … | null}`.

**Idempotency.** Creating POSTs (`/units`, `/accounts`, `/platform/tenants`, `/demands`, \
`/tenant/categories`, `/tenant/notification-channels`, `/tenant/api-keys`) honour an \
`Idempotency-Key` header, kept 24 h per tenant and account: a retry answers the first result and \
creates nothing; the same key with another body is a 422 `idempotency_key_reused`.

Ids are UUIDs; times are RFC 3339 with offset.";

#[derive(OpenApi)]
#[openapi(
    info(title = "Minqing API", version = env!("CARGO_PKG_VERSION"), description = DESCRIPTION),
    paths(
        auth::login,
        auth::logout,
        auth::me,
        auth::change_password,
        platform::list_tenants,
        platform::create_tenant,
        platform::get_tenant,
        platform::update_tenant,
        platform::suspend_tenant,
        platform::resume_tenant,
        tenant::get_tenant,
        tenant::update_tenant,
        tenant::list_tiers,
        tenant::add_tier,
        tenant::relabel_tier,
        tenant::remove_tier,
        demand_settings::get_rules,
        demand_settings::put_rules,
        demand_settings::list_categories,
        demand_settings::create_category,
        demand_settings::update_category,
        demand_settings::get_calendar,
        demand_settings::put_calendar_year,
        demand_settings::import_calendar_year,
        units::list_units,
        units::create_unit,
        units::list_roots,
        units::get_unit,
        units::update_unit,
        units::list_children,
        units::list_ancestors,
        units::move_unit,
        units::merge_unit,
        units::archive_unit,
        units::import_units,
        accounts::list_accounts,
        accounts::create_account,
        accounts::get_account,
        accounts::update_account,
        accounts::disable_account,
        accounts::enable_account,
        accounts::reset_password,
        accounts::add_grant,
        accounts::remove_grant,
        accounts::import_accounts,
        demands::list_demands,
        demands::create_demand,
        demands::count_demands,
        demands::export_demands,
        demands::get_demand,
        demands::list_demand_events,
        demands::reveal_personal_data,
        demands::act_on_demand,
        attachments::add_attachment,
        attachments::list_attachments,
        attachments::get_attachment,
        ledger::verify_ledger,
        accountability::list_warnings,
        accountability::list_cases,
        accountability::get_case,
        accountability::step_case,
        notifications::list_channels,
        notifications::create_channel,
        notifications::switch_channel,
        notifications::list_deliveries,
        api_keys::list_api_keys,
        api_keys::create_api_key,
        api_keys::revoke_api_key,
        public::demand_by_receipt,
        public::rate_demand,
        public_form::public_units,
        public_form::public_categories,
        public_form::submit_demand,
        public::visits_of_unit,
        public::unit_feed,
        public::leader_feed,
        visits::list_contact_points,
        visits::add_contact_point,
        visits::end_contact_point,
        visits::list_visits,
        visits::schedule_visit,
        visits::get_visit,
        visits::publish_notice,
        visits::reschedule_visit,
        visits::cancel_visit,
        visits::record_attendance,
        visits::record_minutes,
        households::list_households,
        households::add_household,
        households::import_households,
        households::record_visit_households,
        households::household_coverage,
        open311::discovery,
        open311::list_services,
        open311::service_definition,
        open311::create_request,
        open311::list_requests,
        open311::get_request,
        councils::get_council,
        councils::add_member,
        councils::import_members,
        councils::export_members,
        councils::update_member,
        councils::remove_member,
        councils::reveal_member_phone,
        councils::get_workroom,
        councils::set_workroom,
        councils::coverage,
        budgets::unit_budget,
        budgets::add_line,
        budgets::correct_line,
        budgets::spend,
        budgets::correct_expenditure,
        budgets::add_voucher,
        budgets::get_voucher,
        budgets::roll_up,
        budgets::export_spending,
        budgets::get_operations_rules,
        budgets::set_operations_rules,
        operations_log::list_operations,
        health::healthz,
        health::readyz,
        openapi_json,
    ),
    components(
        schemas(ErrorResponse),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            Unprocessable,
            TooManyRequests,
        )
    ),
    modifiers(&BearerAuth, &Tidy),
    security(("bearer" = [])),
    tags(
        (name = "auth", description = "Log in and out, who am I, change one's own password."),
        (name = "platform", description = "Operators (tenant `platform`) create, list, rename, suspend and resume tenants. Any other caller gets 403."),
        (name = "tenant", description = "The caller's own tenant: settings and tiers (levels of the hierarchy)."),
        (name = "units", description = "The hierarchy of units (city, district, street, community…): browse, search, create, rename, recode, move, merge, archive, import the division list."),
        (name = "accounts", description = "Accounts of the caller's tenant and their role grants, each scoped to the whole tenant or one unit's subtree."),
        (name = "demands", description = "The demand ledger (台账): intake, routing by grade to the tier that must act, deadlines on working days, the lifecycle actions, co-handling, merging duplicates, personal data (masked; full views recorded), and the ledger's hash chain."),
        (name = "accountability", description = "Warnings (预警) the deadline sweeper raises and accountability cases (问责) leaders review and decide."),
        (name = "councils", description = "Each unit's council (理事会: members with category, role and term; phones masked) and workroom (工作室/接待室), and the coverage of a subtree."),
        (name = "budgets", description = "Budgets (经费): each unit's allocation per fiscal year and its spending, in integer fen, with vouchers; corrections instead of edits or deletions; roll-ups over a subtree with spending per demand category; the spending exported; the tenant's overspend rule."),
        (name = "public", description = "Pages residents read without logging in: a demand's progress by receipt code, a community's visit notices (a page and an iCalendar feed), a leader's visits (a feed). No personal data."),
        (name = "households", description = "Each community's household register (住户: address, head of household, phone sealed and masked, flags such as 空巢老人), its import from CSV/XLSX, the households that took part in a visit, and the coverage of a subtree."),
        (name = "visits", description = "Contact points (联系点: a leader paired with a community or village, and the visits each period owed — done, due, missed) and visits (家访: schedule, the public notice with its lead time, move or cancel with a reason, attendance and minutes)."),
        (name = "open311", description = "Open311 GeoReport v2 (JSON) at `/open311/v2`, outside `/api/v1`, for intake channels such as a 12345 hotline: services are the tenant's categories (`jurisdiction_id` = the tenant's slug), posting needs an `api_key` from `/api/v1/tenant/api-keys` and Minqing's `origin_unit` (the community's 12-digit code or id), and request ids are receipt codes. Errors there follow the specification, `[{\"code\": <status>, \"description\"}]`, not `ErrorResponse`; a parameter holding a control character (U+0000 and the C0 controls but tab, newline and return) is a 422 whose description names it and says `control_character`."),
        (name = "operations-log", description = "The append-only record of administrative changes (操作日志)."),
        (name = "health", description = "Liveness and readiness, for load balancers and orchestrators."),
        (name = "openapi", description = "This document."),
    )
)]
pub struct ApiDoc;

/// The security scheme `bearer`, which the document requires by default.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The `token` of `POST /api/v1/auth/login`. The portal sends the \
                         `minqing_session` cookie instead, and then needs the `x-csrf-token` \
                         header on POST, PATCH and DELETE.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The `Idempotency-Key` header of the creating POSTs (`/units`, `/accounts`,
/// `/platform/tenants`).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Up to 255 characters, chosen by the client per intended creation. Kept 24 h per tenant
    /// and account: a retry with the same key answers the first result (header
    /// `idempotent-replayed: true`) and creates nothing; the same key with another body is a 422
    /// `idempotency_key_reused`.
    #[param(rename = "Idempotency-Key", value_type = String, required = false)]
    pub key: Option<String>,
}

/// What the attributes cannot say.
struct Tidy;

impl Modify for Tidy {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        // `ListResponse<T>`'s items refer to `T`'s schema rather than repeat it (utoipa inlines
        // generic arguments).
        if let Some(components) = openapi.components.as_mut() {
            let names: BTreeSet<String> = components.schemas.keys().cloned().collect();
            for (name, schema) in components.schemas.iter_mut() {
                let Some(item) = name
                    .strip_prefix("ListResponse_")
                    .filter(|i| names.contains(*i))
                else {
                    continue;
                };
                if let RefOr::T(Schema::Object(list)) = schema
                    && let Some(RefOr::T(Schema::Array(items))) = list.properties.get_mut("items")
                {
                    items.items =
                        ArrayItems::RefOrSchema(Box::new(Ref::from_schema_name(item).into()));
                }
            }
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let open311 = path.starts_with(crate::routes::open311::OPEN311_PREFIX);
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                // Any path or query may carry a control character: every route answers 422
                // `control_character` (Open311 in its own shape, said in its tag).
                if !open311 {
                    operation
                        .responses
                        .responses
                        .entry("422".to_owned())
                        .or_insert_with(|| Ref::from_response_name("Unprocessable").into());
                }
                // An optional body (`Option<T>`) may be left out; it is not a JSON `null`.
                let Some(body) = operation.request_body.as_mut() else {
                    continue;
                };
                if body.required == Some(Required::True) {
                    continue;
                }
                for content in body.content.values_mut() {
                    if let Some(RefOr::T(Schema::OneOf(one))) = &content.schema
                        && let [RefOr::T(Schema::Object(null)), inner] = one.items.as_slice()
                        && null.schema_type == SchemaType::Type(Type::Null)
                    {
                        content.schema = Some(inner.clone());
                    }
                }
            }
        }
    }
}

/// An import file: CSV or XLSX as the multipart field `file` (the raw body is accepted too).
#[derive(ToSchema)]
pub struct ImportFile {
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
}

/// Malformed JSON (`malformed_json`), an id that is not a UUID (`invalid_id`), an
/// unreadable file (`import_unreadable`).
#[derive(ToResponse)]
pub struct BadRequest(pub ErrorResponse);

/// Not logged in, or the session ended (`unauthenticated`); a failed login
/// (`invalid_credentials`).
#[derive(ToResponse)]
pub struct Unauthorized(pub ErrorResponse);

/// Logged in but the role may not do this (`forbidden`), the tenant is suspended
/// (`tenant_suspended`), the password must be changed first (`password_change_required`), a
/// cookie request without its CSRF token (`csrf_failed`).
#[derive(ToResponse)]
pub struct Forbidden(pub ErrorResponse);

/// Not found, or not visible to the caller (`not_found`).
#[derive(ToResponse)]
pub struct NotFound(pub ErrorResponse);

/// The current state forbids it (`code_taken`, `unit_archived`, `slug_taken`, …).
#[derive(ToResponse)]
pub struct Conflict(pub ErrorResponse);

/// The body is too large (`payload_too_large`): 1 MB for JSON, 64 MB for import files.
#[derive(ToResponse)]
pub struct PayloadTooLarge(pub ErrorResponse);

/// Validation failed (`validation_failed` with `fields`, `invalid_body`, `invalid_query`,
/// `invalid_limit`, `invalid_cursor`, `idempotency_key_reused`; `control_character` naming the
/// field, `path` or query parameter that holds U+0000 or another C0 control; for files
/// `import_invalid` with `rows`).
#[derive(ToResponse)]
pub struct Unprocessable(pub ErrorResponse);

/// Too many failed logins (`login_throttled`); try again later.
#[derive(ToResponse)]
pub struct TooManyRequests(pub ErrorResponse);

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
});

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "openapi",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document (JSON).", content_type = "application/json", body = serde_json::Value))
)]
pub async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

/// `GET /api/docs`: the document as a readable page (plain HTML and a little script).
pub async fn docs_page() -> Html<&'static str> {
    Html(include_str!("openapi_docs.html"))
}
