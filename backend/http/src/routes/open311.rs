//! `/open311/v2`: Open311 GeoReport v2 (<http://wiki.open311.org/GeoReport_v2>), JSON only, for
//! intake channels such as a 12345 hotline or a province platform.
//!
//! - `jurisdiction_id` is the tenant's slug; it is required on every call but discovery.
//! - `service_code` is a demand category's key; the services are the tenant's categories that
//!   are not retired.
//! - `service_request_id` is the demand's receipt code (`XXXX-XXXX-XXXX`).
//! - Posting needs an `api_key` (issued at `/api/v1/tenant/api-keys`): the demand is recorded
//!   under the key's channel, and only in a community of the key's unit subtree. Minqing's
//!   extensions: `origin_unit` (required: the community's official 12-digit division code or its
//!   id, because routing starts from the community) and `grade` (`urgent` by default, or
//!   `worrying`, `hard`, `hoped_for`). `lat`/`long`, `address_id`, `media_url`, `email`,
//!   `device_id`, `account_id` and `attribute[…]` are accepted and not stored.
//! - Reads show progress, never the resident's name, phone or ID number. Reading by
//!   `service_request_id` needs only the codes; listing without them needs the tenant's
//!   `api_key` and covers that key's subtree.
//! - Errors are `[{"code": <HTTP status>, "description": "…"}]` as the specification says: 400
//!   (a missing or bad parameter), 403 (a missing, bad or revoked `api_key`, one of another
//!   jurisdiction, a community outside the key's area), 404 (an unknown jurisdiction, service
//!   or request), 422 (a parameter holding a control character such as U+0000: its name and
//!   `control_character` in the description).
use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use chrono_tz::Tz;
use minqing_domain::DomainError;
use minqing_domain::access::{DemandAccess, Reach};
use minqing_domain::demand::intake::IntakeForm;
use minqing_domain::demand::lifecycle::Status;
use minqing_domain::demand::{Grade, parse_receipt_code};
use minqing_domain::i18n::{Lang, message};
use minqing_domain::tenant::{TenantKind, TenantStatus};
use minqing_domain::text;
use minqing_storage::StorageError;
use minqing_storage::api_keys::{LiveKey, key_tenant};
use minqing_storage::demand_rules::CategoryView;
use minqing_storage::demands::DemandContext;
use minqing_storage::open311::{RequestFilter, ServiceRequest, is_closed};
use minqing_storage::platform::TenantView;
use minqing_storage::settings::TenantSettings;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::control_chars::shown_name;
use crate::extract::request_id;
use crate::router::BODY_LIMIT;
use crate::state::AppState;

/// Where the API is mounted.
pub const OPEN311_PREFIX: &str = "/open311/v2";

/// When this implementation of the specification last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-11-26T00:00:00Z";

/// The most `service_request_id`s one call may ask for.
const MAX_CODES: usize = 100;
/// The most requests one list answers (newest first).
const MAX_LIST: u64 = 1_000;
/// The specification's default and widest date range of a list.
const WINDOW_DAYS: i64 = 90;

/// The routes under [`OPEN311_PREFIX`], with their own JSON error shape for unknown paths.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/discovery.json", get(discovery))
        .route("/services.json", get(list_services))
        .route("/services/{file}", get(service_definition))
        .route("/requests.json", get(list_requests).post(create_request))
        .route("/requests/{file}", get(get_request))
        .fallback(|| async {
            Open311Error::new(
                StatusCode::NOT_FOUND,
                "No such Open311 resource. Only the JSON format is served (paths end in .json).",
            )
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// An Open311 error: `[{"code": <status>, "description": "…"}]`.
#[derive(Debug)]
pub struct Open311Error {
    status: StatusCode,
    description: String,
}

/// One error of an Open311 error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Open311ErrorItem {
    /// The HTTP status.
    pub code: u16,
    pub description: String,
}

type Open311Result<T> = Result<T, Open311Error>;

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Self {
            status,
            description: description.into(),
        }
    }

    fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, description)
    }

    fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let body = [Open311ErrorItem {
            code: self.status.as_u16(),
            description: self.description,
        }];
        (self.status, axum::Json(body)).into_response()
    }
}

/// A parameter holding a character `minqing_domain::text::is_forbidden` refuses: 422, the
/// parameter named and the stable code given.
pub fn control_character(field: &str) -> Open311Error {
    Open311Error::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "{field}: {} ({})",
            message(text::CONTROL_CHARACTER, Lang::En),
            text::CONTROL_CHARACTER
        ),
    )
}

/// Validation failures name each field with its message; database failures are logged and
/// never shown.
impl From<StorageError> for Open311Error {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Domain(d) => domain_error(d),
            StorageError::NotFound => Open311Error::not_found("Not found."),
            StorageError::Forbidden => Open311Error::forbidden("This api_key may not do this."),
            StorageError::Db(err) => {
                tracing::error!(error = %err, "database error");
                Open311Error::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error.")
            }
            other => {
                tracing::error!(error = %other, "open311 error");
                Open311Error::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error.")
            }
        }
    }
}

fn domain_error(e: DomainError) -> Open311Error {
    match e {
        DomainError::Validation { fields } => {
            let parts: Vec<String> = fields
                .iter()
                .map(|(field, code)| {
                    format!("{}: {}", open311_name(field), message(code, Lang::En))
                })
                .collect();
            Open311Error::bad_request(parts.join(" "))
        }
        DomainError::Conflict { code } => Open311Error::bad_request(message(code, Lang::En)),
    }
}

/// Our field names as the Open311 client sent them.
fn open311_name(field: &str) -> &str {
    match field {
        "category" => "service_code",
        "address" => "address_string",
        "resident_name" => "first_name/last_name",
        "title" => "description",
        other => other,
    }
}

/// Query or form parameters; a parameter given several times is joined with commas (the
/// specification lets `status` and `service_request_id` be declared more than once).
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn from_query(raw: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    }

    /// The first non-blank value, for fields that take one (free text keeps its commas).
    fn first(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
    }
}

fn list_of(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The tenant `jurisdiction_id` names: 400 when absent, 404 when unknown or not serving.
async fn jurisdiction(state: &AppState, raw: Option<&str>) -> Open311Result<TenantView> {
    let slug = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Open311Error::bad_request("jurisdiction_id was not provided."))?;
    state
        .storage
        .platform()
        .find_by_slug(&slug.to_ascii_lowercase())
        .await?
        .filter(|t| t.kind != TenantKind::Platform && t.status == TenantStatus::Active)
        .ok_or_else(|| Open311Error::not_found(format!("jurisdiction_id {slug} was not found.")))
}

/// The live key `raw` names, of the tenant `tenant` only: 403 otherwise.
async fn key_of(
    state: &AppState,
    tenant: &TenantView,
    raw: Option<&str>,
    write: Option<Option<String>>,
) -> Open311Result<(minqing_storage::TenantScope, LiveKey)> {
    let key = raw
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Open311Error::forbidden("api_key was not provided."))?;
    match key_tenant(key) {
        Some(t) if t == tenant.id => {}
        Some(_) => {
            return Err(Open311Error::forbidden(format!(
                "api_key is not valid for jurisdiction_id {}.",
                tenant.slug
            )));
        }
        None => return Err(Open311Error::forbidden("api_key is invalid.")),
    }
    let found = match write {
        Some(request_id) => state.storage.write_with_api_key(key, request_id).await?,
        None => state.storage.read_with_api_key(key).await?,
    };
    found.ok_or_else(|| Open311Error::forbidden("api_key is invalid or has been revoked."))
}

fn local(at: DateTime<Utc>, tz: Tz) -> DateTime<FixedOffset> {
    at.with_timezone(&tz).fixed_offset()
}

// ---------------------------------------------------------------------------------------------
// Discovery and services

/// The service discovery document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Discovery {
    pub changeset: String,
    pub contact: String,
    pub key_service: String,
    pub endpoints: Vec<DiscoveryEndpoint>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoveryEndpoint {
    pub specification: String,
    pub url: String,
    pub changeset: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub formats: Vec<String>,
}

/// Open311 service discovery.
///
/// The GeoReport v2 endpoint of this server (JSON only). Jurisdictions are tenants' slugs; API
/// keys are issued by each tenant's administrators.
#[utoipa::path(
    get,
    path = "/open311/v2/discovery.json",
    tag = "open311",
    security(()),
    responses((status = 200, description = "The discovery document.", body = Discovery))
)]
pub async fn discovery(headers: HeaderMap) -> axum::Json<Discovery> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let scheme = match header("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    let host = header("x-forwarded-host")
        .or_else(|| header(header::HOST.as_str()))
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    axum::Json(Discovery {
        changeset: CHANGESET.into(),
        contact: "民情家访平台：请联系本地租户管理员 (Minqing: contact the jurisdiction's \
                  administrators)."
            .into(),
        key_service: "API 密钥由各租户管理员在 /api/v1/tenant/api-keys 签发 (API keys are issued \
                      by each jurisdiction's administrators at /api/v1/tenant/api-keys)."
            .into(),
        endpoints: vec![DiscoveryEndpoint {
            specification: "http://wiki.open311.org/GeoReport_v2".into(),
            url: format!("{scheme}://{host}{OPEN311_PREFIX}"),
            changeset: CHANGESET.into(),
            kind: "production".into(),
            formats: vec!["application/json".into()],
        }],
    })
}

/// `?jurisdiction_id=`
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JurisdictionQuery {
    /// The tenant's slug.
    pub jurisdiction_id: Option<String>,
}

/// One service: a demand category.
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    /// The category's key.
    pub service_code: String,
    /// The category's Chinese label.
    pub service_name: String,
    /// The category's English label.
    pub description: String,
    /// Always false: no attributes beyond the standard fields.
    pub metadata: bool,
    /// Always `realtime`: the answer carries the receipt code.
    #[serde(rename = "type")]
    pub kind: String,
    /// Key and labels, comma-separated.
    pub keywords: String,
    pub group: String,
}

/// The group every service is in: the taxonomy of demands is flat.
const GROUP: &str = "民情诉求";

fn service(c: CategoryView) -> Service {
    Service {
        keywords: format!("{}, {}, {}", c.key, c.label_zh, c.label_en),
        service_code: c.key,
        service_name: c.label_zh,
        description: c.label_en,
        metadata: false,
        kind: "realtime".into(),
        group: GROUP.into(),
    }
}

async fn open_categories(
    state: &AppState,
    tenant: &TenantView,
) -> Open311Result<Vec<CategoryView>> {
    let scope = state.storage.read(tenant.id).await?;
    Ok(scope
        .demand_settings()
        .categories()
        .await?
        .into_iter()
        .filter(|c| !c.retired)
        .collect())
}

/// Open311 service list.
///
/// The jurisdiction's demand categories that are not retired. Errors as
/// `[{"code", "description"}]`: 400 without `jurisdiction_id`, 404 for an unknown one.
#[utoipa::path(
    get,
    path = "/open311/v2/services.json",
    tag = "open311",
    params(JurisdictionQuery),
    security(()),
    responses((status = 200, description = "The services.", body = Vec<Service>))
)]
pub async fn list_services(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Open311Result<axum::Json<Vec<Service>>> {
    let params = Params::from_query(query.as_deref());
    let q = JurisdictionQuery {
        jurisdiction_id: params.get("jurisdiction_id"),
    };
    let tenant = jurisdiction(&state, q.jurisdiction_id.as_deref()).await?;
    let categories = open_categories(&state, &tenant).await?;
    Ok(axum::Json(categories.into_iter().map(service).collect()))
}

/// A service definition: no attributes beyond the standard fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDefinition {
    pub service_code: String,
    /// Always empty.
    #[schema(value_type = Vec<Object>)]
    pub attributes: Vec<serde_json::Value>,
}

/// `.json` stripped from a path's last segment; other formats are not served.
fn json_file(file: &str) -> Open311Result<&str> {
    file.strip_suffix(".json").ok_or_else(|| {
        Open311Error::not_found("Only the JSON format is served: end the path with .json.")
    })
}

/// Open311 service definition.
///
/// A valid definition with no attributes (every service takes the standard fields and Minqing's
/// `origin_unit` and `grade`). Errors as `[{"code", "description"}]`: 400 without
/// `jurisdiction_id`, 404 for an unknown jurisdiction or service.
#[utoipa::path(
    get,
    path = "/open311/v2/services/{file}",
    tag = "open311",
    params(
        ("file" = String, Path, description = "`<service_code>.json`"),
        JurisdictionQuery,
    ),
    security(()),
    responses((status = 200, description = "The definition.", body = ServiceDefinition))
)]
pub async fn service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Open311Result<axum::Json<ServiceDefinition>> {
    let code = json_file(&file)?;
    let params = Params::from_query(query.as_deref());
    let tenant = jurisdiction(&state, params.get("jurisdiction_id").as_deref()).await?;
    let categories = open_categories(&state, &tenant).await?;
    let found = categories
        .into_iter()
        .find(|c| c.key == code)
        .ok_or_else(|| Open311Error::not_found(format!("service_code {code} was not found.")))?;
    Ok(axum::Json(ServiceDefinition {
        service_code: found.key,
        attributes: Vec::new(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Posting a request

/// The fields of `POST requests.json`, form-urlencoded (or a JSON object of the same names).
#[derive(Debug, Default, ToSchema)]
pub struct ServiceRequestForm {
    /// Required: a key issued at `/api/v1/tenant/api-keys`.
    pub api_key: Option<String>,
    /// Required: the tenant's slug.
    pub jurisdiction_id: Option<String>,
    /// Required: a category key from `services.json`.
    pub service_code: Option<String>,
    /// Required: up to 5,000 characters; its first 30 become the demand's title.
    pub description: Option<String>,
    /// Required (Minqing's extension): the community where the resident lives — its official
    /// 12-digit division code or its id. It must lie in the key's unit subtree.
    pub origin_unit: Option<String>,
    /// Minqing's extension: `urgent` (急, the default), `worrying` (愁), `hard` (难) or
    /// `hoped_for` (盼); it decides the tier that must act.
    pub grade: Option<String>,
    pub address_string: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// A mainland mobile or landline number; stored sealed, never shown by Open311.
    pub phone: Option<String>,
    /// Accepted, not stored.
    pub email: Option<String>,
    /// Accepted, not stored.
    pub device_id: Option<String>,
    /// Accepted, not stored.
    pub account_id: Option<String>,
}

impl ServiceRequestForm {
    fn from_params(p: &Params) -> Self {
        Self {
            api_key: p.first("api_key"),
            jurisdiction_id: p.first("jurisdiction_id"),
            service_code: p.first("service_code"),
            description: p.first("description"),
            origin_unit: p.first("origin_unit"),
            grade: p.first("grade"),
            address_string: p.first("address_string"),
            first_name: p.first("first_name"),
            last_name: p.first("last_name"),
            phone: p.first("phone"),
            email: p.first("email"),
            device_id: p.first("device_id"),
            account_id: p.first("account_id"),
        }
    }
}

/// The answer to a posted request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequestCreated {
    /// The demand's receipt code (`XXXX-XXXX-XXXX`).
    pub service_request_id: String,
    /// Who handles it and by when it must be answered.
    pub service_notice: String,
    /// Always null.
    pub account_id: Option<String>,
}

/// The body's fields, form-urlencoded (the specification) or a JSON object; then the query
/// string's, for clients that send `api_key` or `jurisdiction_id` there.
fn body_params(headers: &HeaderMap, body: &[u8], query: Option<&str>) -> Open311Result<Params> {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let mut pairs: Vec<(String, String)> = if mime == "application/json" || mime.ends_with("+json")
    {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|_| Open311Error::bad_request("The body is not valid JSON."))?;
        let serde_json::Value::Object(map) = value else {
            return Err(Open311Error::bad_request(
                "The JSON body must be an object.",
            ));
        };
        let mut pairs = Vec::with_capacity(map.len());
        for (k, v) in map {
            let text = match v {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(Open311Error::bad_request(format!(
                        "{k} must be text or a number."
                    )));
                }
            };
            pairs.push((k, text));
        }
        pairs
    } else if mime.is_empty() || mime == "application/x-www-form-urlencoded" {
        form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    } else {
        return Err(Open311Error::bad_request(
            "Send the request as application/x-www-form-urlencoded (or application/json).",
        ));
    };
    if let Some((name, _)) = pairs
        .iter()
        .find(|(k, v)| text::has_forbidden(k) || text::has_forbidden(v))
    {
        return Err(control_character(shown_name(name, "body")));
    }
    pairs.extend(Params::from_query(query).0);
    Ok(Params(pairs))
}

/// `last_name` then `first_name`, as Chinese names are written; with a space between Latin ones.
fn resident_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let first = first.map(str::trim).filter(|s| !s.is_empty());
    let last = last.map(str::trim).filter(|s| !s.is_empty());
    match (last, first) {
        (None, None) => None,
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (Some(l), Some(f)) if l.is_ascii() && f.is_ascii() => Some(format!("{f} {l}")),
        (Some(l), Some(f)) => Some(format!("{l}{f}")),
    }
}

fn required<'a>(value: &'a Option<String>, name: &str) -> Open311Result<&'a str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Open311Error::bad_request(format!("{name} was not provided.")))
}

/// Open311: post a service request.
///
/// Files a demand (`Demands::receive`) under the key's channel, in a community of the key's
/// unit subtree, routed by `grade` to the tier that must act; its title is the description's
/// first 30 characters. Form-urlencoded as the specification says (a JSON object of the same
/// fields is accepted too). Errors as `[{"code", "description"}]`: 400 a required field missing
/// (`jurisdiction_id`, `service_code`, `description`, `origin_unit`) or bad (`grade`, `phone`,
/// a unit that is not a community); 403 `api_key` missing, invalid, revoked or of another
/// jurisdiction, or `origin_unit` outside the key's area; 404 an unknown jurisdiction or
/// `service_code`.
#[utoipa::path(
    post,
    path = "/open311/v2/requests.json",
    tag = "open311",
    request_body(content(
        (ServiceRequestForm = "application/x-www-form-urlencoded"),
        (ServiceRequestForm = "application/json"),
    )),
    security(()),
    responses((status = 200, description = "Recorded: one element with the receipt code.", body = Vec<ServiceRequestCreated>))
)]
pub async fn create_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Open311Result<Response> {
    let form = ServiceRequestForm::from_params(&body_params(&headers, &body, query.as_deref())?);
    if form.api_key.as_deref().is_none_or(|k| k.trim().is_empty()) {
        return Err(Open311Error::forbidden("api_key was not provided."));
    }
    let slug = required(&form.jurisdiction_id, "jurisdiction_id")?;
    let code = required(&form.service_code, "service_code")?.to_owned();
    let description = required(&form.description, "description")?.to_owned();
    let origin = required(&form.origin_unit, "origin_unit")?.to_owned();
    let grade = match form
        .grade
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        None => Grade::Urgent,
        Some(g) => Grade::parse(g).map_err(|_| {
            Open311Error::bad_request(format!(
                "grade {g} is unknown: use urgent, worrying, hard or hoped_for."
            ))
        })?,
    };
    let tenant = jurisdiction(&state, Some(slug)).await?;
    let (scope, key) = key_of(
        &state,
        &tenant,
        form.api_key.as_deref(),
        Some(request_id(&headers)),
    )
    .await?;
    let settings = TenantSettings::load(&scope).await?;
    if settings.check_category(&code).is_err() {
        return Err(Open311Error::not_found(format!(
            "service_code {code} was not found."
        )));
    }
    let unit = scope
        .open311()
        .unit_by_code_or_id(&origin)
        .await?
        .ok_or_else(|| {
            Open311Error::bad_request(format!(
                "origin_unit {origin} was not found in jurisdiction {}.",
                tenant.slug
            ))
        })?;
    let area = Reach::Subtrees(vec![key.unit_path.clone()]);
    if !area.covers(&unit.path) {
        return Err(Open311Error::forbidden(format!(
            "origin_unit {origin} is outside the area of this api_key ({} and the units below it).",
            key.view.unit_name
        )));
    }
    let title: String = description.chars().take(30).collect();
    let intake = IntakeForm {
        origin_unit: unit.id,
        channel: key.view.channel,
        grade,
        category: code,
        title,
        description,
        address: form.address_string.clone(),
        resident_name: resident_name(form.first_name.as_deref(), form.last_name.as_deref()),
        phone: form.phone.clone(),
        id_number: None,
        visit: None,
    }
    .validate()
    .map_err(domain_error)?;
    let access = DemandAccess {
        read: area.clone(),
        record: area,
        ..DemandAccess::none()
    };
    let tz = tenant.zone();
    let ctx = DemandContext {
        access: &access,
        settings: &settings,
        tz,
        sealer: &state.sealer,
        now: state.clock.now(),
    };
    let view = scope
        .demands()
        .receive(intake, &ctx)
        .await
        .map_err(|e| match e {
            StorageError::Domain(DomainError::Validation { fields })
                if fields.get("origin_unit") == Some(&"origin_not_community") =>
            {
                Open311Error::bad_request(format!(
                    "origin_unit {origin} is not a community: demands are raised in communities \
                 (社区/村)."
                ))
            }
            other => other.into(),
        })?;
    scope.commit().await?;
    let due = view
        .reply_due_at
        .map(|d| local(d, tz).format("%Y-%m-%d %H:%M").to_string());
    let service_notice = match due {
        Some(due) => format!(
            "已受理，承办单位：{}，答复期限：{due}。Received; handled by {}, reply due {due}.",
            view.handling_unit.name, view.handling_unit.name
        ),
        None => format!(
            "已受理，承办单位：{}。Received; handled by {}.",
            view.handling_unit.name, view.handling_unit.name
        ),
    };
    Ok(axum::Json([ServiceRequestCreated {
        service_request_id: view.receipt_code,
        service_notice,
        account_id: None,
    }])
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// Reading requests

/// One service request as Open311 shows it: no personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequestView {
    /// The receipt code.
    pub service_request_id: String,
    /// `open`, or `closed` once closed, rejected or merged.
    pub status: String,
    /// The latest progress reply or resolution.
    pub status_notes: Option<String>,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    /// The name of the unit handling it.
    pub agency_responsible: String,
    pub requested_datetime: DateTime<FixedOffset>,
    pub updated_datetime: DateTime<FixedOffset>,
    /// The reply deadline, or the resolve deadline once replied; null when closed.
    pub expected_datetime: Option<DateTime<FixedOffset>>,
    // No `address`: anyone holding a receipt code may read this, and a home address is
    // personal data.
}

fn request_view(r: ServiceRequest, names: &HashMap<String, String>, tz: Tz) -> ServiceRequestView {
    ServiceRequestView {
        service_request_id: r.receipt_code,
        status: if is_closed(r.status) {
            "closed"
        } else {
            "open"
        }
        .into(),
        status_notes: r.latest_reply,
        service_name: names
            .get(&r.category)
            .cloned()
            .unwrap_or_else(|| r.category.clone()),
        service_code: r.category,
        description: r.description,
        agency_responsible: r.handling_unit,
        requested_datetime: local(r.received_at, tz),
        updated_datetime: local(r.updated_at, tz),
        expected_datetime: r.expected_at.map(|d| local(d, tz)),
    }
}

/// Category key → Chinese label, retired ones included (old requests keep their names).
async fn service_names(
    scope: &minqing_storage::TenantScope,
) -> Open311Result<HashMap<String, String>> {
    Ok(scope
        .demand_settings()
        .categories()
        .await?
        .into_iter()
        .map(|c| (c.key, c.label_zh))
        .collect())
}

/// `GET requests.json`'s parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestsQuery {
    /// The tenant's slug (required).
    pub jurisdiction_id: Option<String>,
    /// Receipt codes, comma-separated (at most 100): exactly those requests, with no
    /// `api_key` needed; every other parameter is then ignored.
    pub service_request_id: Option<String>,
    /// Without `service_request_id`: a key of this jurisdiction; the list covers its unit's
    /// subtree.
    pub api_key: Option<String>,
    /// Category keys, comma-separated.
    pub service_code: Option<String>,
    /// Received at or after (ISO 8601 with offset). Without dates: the last 90 days.
    pub start_date: Option<String>,
    /// Received at or before (ISO 8601 with offset); at most 90 days after `start_date`.
    pub end_date: Option<String>,
    /// `open`, `closed` or both, comma-separated.
    pub status: Option<String>,
}

fn parse_time(raw: Option<&str>, name: &str) -> Open311Result<Option<DateTime<Utc>>> {
    raw.map(|r| {
        DateTime::parse_from_rfc3339(r)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| {
                Open311Error::bad_request(format!(
                    "{name} must be an ISO 8601 date and time with an offset, e.g. \
                     2026-01-05T08:15:30+08:00."
                ))
            })
    })
    .transpose()
}

fn statuses(raw: Option<&str>) -> Open311Result<Vec<Status>> {
    let (mut open, mut closed) = (false, false);
    for s in list_of(raw) {
        match s.as_str() {
            "open" => open = true,
            "closed" => closed = true,
            other => {
                return Err(Open311Error::bad_request(format!(
                    "status {other} is unknown: use open or closed."
                )));
            }
        }
    }
    if open == closed {
        return Ok(Vec::new());
    }
    Ok(Status::ALL
        .into_iter()
        .filter(|s| is_closed(*s) == closed)
        .collect())
}

/// Open311: service requests.
///
/// With `service_request_id`: exactly those requests (no `api_key` needed; codes nobody has
/// are left out). Without: the requests of the `api_key`'s unit subtree, newest first, at most
/// 1,000, filtered by `service_code`, `status` and dates (the last 90 days by default). No
/// personal data. Errors as `[{"code", "description"}]`: 400 without `jurisdiction_id` or with
/// a bad parameter, 403 a missing, invalid or revoked `api_key` or one of another jurisdiction,
/// 404 an unknown jurisdiction.
#[utoipa::path(
    get,
    path = "/open311/v2/requests.json",
    tag = "open311",
    params(RequestsQuery),
    security(()),
    responses((status = 200, description = "The requests.", body = Vec<ServiceRequestView>))
)]
pub async fn list_requests(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Open311Result<axum::Json<Vec<ServiceRequestView>>> {
    let p = Params::from_query(query.as_deref());
    let q = RequestsQuery {
        jurisdiction_id: p.get("jurisdiction_id"),
        service_request_id: p.get("service_request_id"),
        api_key: p.first("api_key"),
        service_code: p.get("service_code"),
        start_date: p.first("start_date"),
        end_date: p.first("end_date"),
        status: p.get("status"),
    };
    let tenant = jurisdiction(&state, q.jurisdiction_id.as_deref()).await?;
    let tz = tenant.zone();
    if let Some(raw) = q.service_request_id.as_deref() {
        let asked = list_of(Some(raw));
        if asked.len() > MAX_CODES {
            return Err(Open311Error::bad_request(format!(
                "Ask for at most {MAX_CODES} service_request_id at once."
            )));
        }
        let codes: Vec<String> = asked
            .iter()
            .filter_map(|c| parse_receipt_code(c).ok())
            .collect();
        let scope = state.storage.read(tenant.id).await?;
        let names = service_names(&scope).await?;
        let found = scope.open311().by_receipt_codes(&codes).await?;
        return Ok(axum::Json(
            found
                .into_iter()
                .map(|r| request_view(r, &names, tz))
                .collect(),
        ));
    }
    let mut from = parse_time(q.start_date.as_deref(), "start_date")?;
    let to = parse_time(q.end_date.as_deref(), "end_date")?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(Open311Error::bad_request("start_date is after end_date."));
        }
        if t - f > Duration::days(WINDOW_DAYS) {
            return Err(Open311Error::bad_request(format!(
                "start_date and end_date may not span more than {WINDOW_DAYS} days."
            )));
        }
    }
    if from.is_none() && to.is_none() {
        from = Some(state.clock.now() - Duration::days(WINDOW_DAYS));
    }
    let filter = RequestFilter {
        categories: list_of(q.service_code.as_deref()),
        statuses: statuses(q.status.as_deref())?,
        received_from: from,
        received_before: to.map(|t| t + Duration::microseconds(1)),
        limit: MAX_LIST,
    };
    let (scope, key) = key_of(&state, &tenant, q.api_key.as_deref(), None).await?;
    let names = service_names(&scope).await?;
    let found = scope.open311().within(&key.unit_path, &filter).await?;
    Ok(axum::Json(
        found
            .into_iter()
            .map(|r| request_view(r, &names, tz))
            .collect(),
    ))
}

/// Open311: one service request.
///
/// By its receipt code; an array of one, as the specification says. No personal data. Errors
/// as `[{"code", "description"}]`: 400 without `jurisdiction_id`, 404 an unknown jurisdiction
/// or request.
#[utoipa::path(
    get,
    path = "/open311/v2/requests/{file}",
    tag = "open311",
    params(
        ("file" = String, Path, description = "`<service_request_id>.json` (the receipt code)"),
        JurisdictionQuery,
    ),
    security(()),
    responses((status = 200, description = "The request, as an array of one.", body = Vec<ServiceRequestView>))
)]
pub async fn get_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Open311Result<axum::Json<Vec<ServiceRequestView>>> {
    let raw = json_file(&file)?;
    let p = Params::from_query(query.as_deref());
    let tenant = jurisdiction(&state, p.get("jurisdiction_id").as_deref()).await?;
    let missing = || Open311Error::not_found(format!("service_request_id {raw} was not found."));
    let code = parse_receipt_code(raw).map_err(|_| missing())?;
    let scope = state.storage.read(tenant.id).await?;
    let names = service_names(&scope).await?;
    let found = scope.open311().by_receipt_codes(&[code]).await?;
    if found.is_empty() {
        return Err(missing());
    }
    let tz = tenant.zone();
    Ok(axum::Json(
        found
            .into_iter()
            .map(|r| request_view(r, &names, tz))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_chinese_order_unless_both_are_latin() {
        assert_eq!(
            resident_name(Some("阿姨"), Some("王")).as_deref(),
            Some("王阿姨")
        );
        assert_eq!(
            resident_name(Some("Li"), Some("Wang")).as_deref(),
            Some("Li Wang")
        );
        assert_eq!(resident_name(None, Some(" 王 ")).as_deref(), Some("王"));
        assert_eq!(resident_name(Some(" "), None), None);
    }

    #[test]
    fn open_and_closed_cover_every_status_once() {
        let open = statuses(Some("open")).unwrap();
        let closed = statuses(Some("closed")).unwrap();
        assert_eq!(open.len() + closed.len(), Status::ALL.len());
        assert!(closed.contains(&Status::Merged) && open.contains(&Status::Resolved));
        assert!(statuses(Some("open,closed")).unwrap().is_empty());
        assert!(statuses(Some("pending")).is_err());
    }

    #[test]
    fn repeated_parameters_join_and_blank_ones_vanish() {
        let p = Params::from_query(Some("status=open&status=closed&x=&api_key=k"));
        assert_eq!(p.get("status").as_deref(), Some("open,closed"));
        assert_eq!(p.get("x"), None);
        assert_eq!(p.first("api_key").as_deref(), Some("k"));
    }
}
