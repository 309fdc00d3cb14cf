//! `/api/v1/demands`: the ledger — intake, the list with filters and counts, one demand with its
//! events, the actions of its lifecycle, and the resident's personal data (each view recorded).
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use minqing_domain::UnitId;
use minqing_domain::access::DemandAccess;
use minqing_domain::demand::intake::IntakeForm;
use minqing_domain::demand::lifecycle::{Action, Status};
use minqing_domain::demand::{Channel, Grade};
use minqing_storage::TenantScope;
use minqing_storage::demands::{
    Command, DemandContext, DemandQuery, DemandView, PersonalData, StatusCount,
};
use minqing_storage::ledger::EventView;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Caller, RawBody, page_limit, parse_json};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, NotFound, PayloadTooLarge, Unauthorized,
    Unprocessable,
};
use crate::routes::ListResponse;
use crate::state::AppState;

/// The tenant's zone (stored names always parse; Shanghai if one somehow does not).
pub fn tenant_zone(caller: &Caller) -> Tz {
    caller
        .tenant
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Asia::Shanghai)
}

/// The tenant's rules, calendar and zone, read in a write's own transaction.
struct TenantRules {
    rules: minqing_storage::demand_rules::DemandRules,
    calendar: minqing_domain::calendar::WorkCalendar,
    tz: Tz,
}

impl TenantRules {
    async fn load(scope: &TenantScope, caller: &Caller) -> ApiResult<Self> {
        let settings = scope.demand_settings();
        Ok(Self {
            rules: settings.rules().await?,
            calendar: settings.calendar().await?,
            tz: tenant_zone(caller),
        })
    }

    fn context<'a>(&'a self, access: &'a DemandAccess, state: &'a AppState) -> DemandContext<'a> {
        DemandContext {
            access,
            rules: &self.rules,
            calendar: &self.calendar,
            tz: self.tz,
            sealer: &state.sealer,
            now: state.clock.now(),
        }
    }
}

/// Record a demand (intake).
///
/// Routed at once to the tier its grade names (by default 急 → street/township, 愁 →
/// county/district, 难 and 盼 → city) and put on that unit's clock. Phone and ID number are
/// stored encrypted and shown masked. Honours `Idempotency-Key`: a retried submission never
/// makes a second demand.
#[utoipa::path(
    post,
    path = "/api/v1/demands",
    tag = "demands",
    params(IdempotencyKey),
    request_body = IntakeForm,
    responses(
        (status = 201, description = "Recorded; `receipt_code` is the resident's receipt.", body = DemandView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn create_demand(
    State(state): State<AppState>,
    caller: Caller,
    IdempotentJson {
        body: form,
        idempotency,
    }: IdempotentJson<IntakeForm>,
) -> ApiResult<Response> {
    let access = DemandAccess::of(&caller.actor);
    if access.record == minqing_domain::access::Reach::Nothing {
        return Err(ApiError::forbidden());
    }
    let intake = form.validate()?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let rules = TenantRules::load(&scope, &caller).await?;
    let ctx = rules.context(&access, &state);
    let view = scope.demands().receive(intake, &ctx).await?;
    let response = idempotency
        .answer(&scope, StatusCode::CREATED, &view)
        .await?;
    scope.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DemandFilters {
    /// Raised in, handled in or co-handled in this unit's subtree.
    pub within: Option<Uuid>,
    /// One status or several, comma-separated (`received,accepted`).
    pub status: Option<String>,
    pub grade: Option<Grade>,
    pub category: Option<String>,
    pub channel: Option<Channel>,
    /// `true`: open with a deadline passed; `false`: not overdue.
    pub overdue: Option<bool>,
    /// Received on or after this day (tenant's zone), `YYYY-MM-DD`.
    pub from: Option<NaiveDate>,
    /// Received on or before this day (tenant's zone), `YYYY-MM-DD`.
    pub to: Option<NaiveDate>,
    /// Words of the title or description, or a receipt code.
    pub q: Option<String>,
    /// The resident's phone number, exactly.
    pub phone: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn local_midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| naive.and_utc())
}

impl DemandFilters {
    async fn query(&self, scope: &TenantScope, caller: &Caller) -> ApiResult<DemandQuery> {
        let tz = tenant_zone(caller);
        let statuses = match self.status.as_deref().filter(|s| !s.trim().is_empty()) {
            None => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(|s| Status::parse(s.trim()).map_err(|c| ApiError::field("status", c)))
                .collect::<ApiResult<Vec<_>>>()?,
        };
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(ApiError::field("from", "from_after_to"));
        }
        if self.q.as_deref().is_some_and(|q| q.chars().count() > 100) {
            return Err(ApiError::field("q", "too_long"));
        }
        let within = match self.within {
            None => None,
            Some(id) => {
                let reach = caller.reach(minqing_domain::access::Permission::ReadUnits)?;
                Some(scope.units().get_within(UnitId(id), &reach).await?.path)
            }
        };
        Ok(DemandQuery {
            within,
            statuses,
            grade: self.grade,
            category: self.category.clone(),
            channel: self.channel,
            overdue: self.overdue,
            received_from: self.from.map(|d| local_midnight(d, tz)),
            received_before: self
                .to
                .and_then(|d| d.succ_opt())
                .map(|d| local_midnight(d, tz)),
            text: self.q.clone(),
            phone: self.phone.clone(),
        })
    }
}

/// List demands (the ledger), newest first.
///
/// Every demand the caller may see: raised in, handled in or co-handled in their subtrees.
/// Filters combine with AND. Phone numbers are masked.
#[utoipa::path(
    get,
    path = "/api/v1/demands",
    tag = "demands",
    params(DemandFilters),
    responses(
        (status = 200, description = "A page of demands.", body = ListResponse<DemandView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_demands(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(filters): ApiQuery<DemandFilters>,
) -> ApiResult<axum::Json<ListResponse<DemandView>>> {
    let access = readable(&caller)?;
    let limit = page_limit(filters.limit)?;
    let scope = caller.read(&state).await?;
    let query = filters.query(&scope, &caller).await?;
    let (items, next) = scope
        .demands()
        .list(
            &query,
            &access,
            &state.sealer,
            filters.cursor.as_deref(),
            limit,
            state.clock.now(),
        )
        .await?;
    Ok(axum::Json(ListResponse::new(items, next)))
}

/// Count demands per status.
///
/// The same filters as the list (the status filter, limit and cursor are ignored); every status
/// appears, with 0 where none match.
#[utoipa::path(
    get,
    path = "/api/v1/demands/counts",
    tag = "demands",
    params(DemandFilters),
    responses(
        (status = 200, description = "Counts per status.", body = Vec<StatusCount>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn count_demands(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(filters): ApiQuery<DemandFilters>,
) -> ApiResult<axum::Json<Vec<StatusCount>>> {
    let access = readable(&caller)?;
    let scope = caller.read(&state).await?;
    let query = filters.query(&scope, &caller).await?;
    let counts = scope
        .demands()
        .counts(&query, &access, &state.sealer, state.clock.now())
        .await?;
    Ok(axum::Json(counts))
}

fn readable(caller: &Caller) -> ApiResult<DemandAccess> {
    let access = DemandAccess::of(&caller.actor);
    if access.read == minqing_domain::access::Reach::Nothing {
        return Err(ApiError::forbidden());
    }
    Ok(access)
}

/// One demand.
///
/// `actions` lists what the caller may do with it now.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{id}",
    tag = "demands",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The demand.", body = DemandView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_demand(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<DemandView>> {
    let access = readable(&caller)?;
    let scope = caller.read(&state).await?;
    let view = scope.demands().get(id, &access, state.clock.now()).await?;
    Ok(axum::Json(view))
}

/// A demand's history: its ledger events, oldest first.
///
/// Each event carries its hash in the tenant's chain.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{id}/events",
    tag = "demands",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The events.", body = Vec<EventView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn list_demand_events(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<EventView>>> {
    let access = readable(&caller)?;
    let scope = caller.read(&state).await?;
    scope.demands().check_visible(id, &access).await?;
    Ok(axum::Json(scope.demand_events(id).await?))
}

/// The action named in the path, as the body's `action` tag.
fn action_named(raw: &str) -> ApiResult<Action> {
    Action::ALL
        .into_iter()
        .find(|a| a.as_str().replace('_', "-") == raw)
        .ok_or_else(ApiError::not_found)
}

/// Act on a demand.
///
/// `action` is one of `accept`, `reject` (`reason`), `reply` (`text`: a progress reply),
/// `resolve` (`text`), `give-feedback` (`text`), `rate` (`satisfaction`: `satisfied`,
/// `basically_satisfied` or `unsatisfied`, which reopens it; `comment`), `escalate` (`reason`:
/// to the parent tier, on that tier's clock), `reassign` (`unit`, `reason`), `merge` (`into`: the
/// surviving demand, `reason`), `add-assist` / `remove-assist` (`unit`: a co-handling unit).
/// The body holds the action's fields (`{}` or no body when it has none). A 409
/// `illegal_transition` when the demand's status does not allow the action.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{id}/{action}",
    tag = "demands",
    params(("id" = Uuid, Path), ("action" = String, Path, description = "accept, reject, reply, resolve, give-feedback, rate, escalate, reassign, merge, add-assist, remove-assist")),
    request_body = Command,
    responses(
        (status = 200, description = "The demand after the action.", body = DemandView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn act_on_demand(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, action)): ApiPath<(Uuid, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<axum::Json<DemandView>> {
    let action = action_named(&action)?;
    let mut fields: serde_json::Map<String, serde_json::Value> = if body.is_empty() {
        serde_json::Map::new()
    } else {
        parse_json(&headers, &body)?
    };
    fields.insert("action".into(), action.as_str().into());
    let command: Command = serde_path_to_error::deserialize(serde_json::Value::Object(fields))
        .map_err(|e| {
            let path = e.path().to_string();
            ApiError::field(if path == "." { "body" } else { &path }, "invalid_body")
        })?;
    let access = readable(&caller)?;
    let scope = caller.write(&state).await?;
    let rules = TenantRules::load(&scope, &caller).await?;
    let ctx = rules.context(&access, &state);
    let view = scope.demands().act(id, command, &ctx).await?;
    scope.commit().await?;
    Ok(axum::Json(view))
}

/// See the resident's personal data in full.
///
/// For leaders and cadres of the units that raised or handle the demand. Each view is recorded
/// in the ledger (`personal_data_viewed`), who and when.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{id}/personal-data",
    tag = "demands",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Name, phone and ID number in full.", body = PersonalData),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn reveal_personal_data(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<PersonalData>> {
    let access = readable(&caller)?;
    let scope = caller.write(&state).await?;
    let rules = TenantRules::load(&scope, &caller).await?;
    let ctx = rules.context(&access, &state);
    let data = scope.demands().reveal(id, &ctx).await?;
    scope.commit().await?;
    Ok(axum::Json(data))
}
