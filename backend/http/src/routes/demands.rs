//! `/api/v1/demands`: the ledger — intake, the list with filters and counts, its export (台账 as
//! XLSX or CSV), one demand with its events, the actions of its lifecycle, and the resident's
//! personal data (each view recorded).
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use minqing_domain::DomainError;
use minqing_domain::UnitId;
use minqing_domain::access::DemandAccess;
use minqing_domain::demand::intake::{IntakeForm, ValidIntake};
use minqing_domain::demand::lifecycle::{Action, Status};
use minqing_domain::demand::{Channel, Grade};
use minqing_storage::demands::{
    Command, DemandContext, DemandQuery, DemandView, PersonalData, StatusCount, prepare_intake,
};
use minqing_storage::ledger::EventView;
use minqing_storage::ledger_export::{EXPORT_CAP, Export, LEDGER_SHEET, LedgerLabels, ledger_row};
use minqing_storage::{StorageError, TenantScope};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::export::{ExportFormat, SpreadsheetFile, spreadsheet};
use crate::extract::{
    ApiPath, ApiQuery, Caller, IntakeCaller, RawBody, SessionCaller, missing_field, page_limit,
    parse_json,
};
use crate::idempotency::{Idempotency, IdempotentJson};
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

/// The tenant's settings (tiers, rules, calendar, categories) and zone, for a demand's write.
pub(crate) struct TenantRules {
    settings: std::sync::Arc<minqing_storage::settings::TenantSettings>,
    tz: Tz,
}

impl TenantRules {
    pub(crate) async fn load(
        state: &AppState,
        scope: &TenantScope,
        caller: &Caller,
    ) -> ApiResult<Self> {
        Ok(Self {
            settings: caller.settings(state, scope).await?,
            tz: tenant_zone(caller),
        })
    }

    pub(crate) fn context<'a>(
        &'a self,
        access: &'a DemandAccess,
        state: &'a AppState,
    ) -> DemandContext<'a> {
        DemandContext {
            access,
            settings: &self.settings,
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
/// makes a second demand (a retry arriving while its original is still being written gets
/// 409 `idempotency_key_in_use`; retrying again returns the original's answer).
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
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn create_demand(
    State(state): State<AppState>,
    IntakeCaller { mut caller, cached }: IntakeCaller,
    IdempotentJson {
        body: form,
        idempotency,
    }: IdempotentJson<IntakeForm>,
) -> ApiResult<Response> {
    // A refusal is given on the database's word, never on a cached caller's.
    let mut cached = cached;
    if cached && recording_access(&caller).is_err() {
        caller = resolve_afresh(&state, &caller).await?;
        cached = false;
    }
    let access = recording_access(&caller)?;
    let intake = form.validate()?;
    if cached {
        if let Some(answered) =
            intake_from_caches(&state, &caller, &access, intake.clone(), &idempotency).await?
        {
            return Ok(answered);
        }
        // Something the caches held has changed: decide again with everything read afresh.
        let caller = resolve_afresh(&state, &caller).await?;
        let access = recording_access(&caller)?;
        return intake_from_database(&state, &caller, &access, intake, &idempotency).await;
    }
    intake_from_database(&state, &caller, &access, intake, &idempotency).await
}

/// The caller read again from the database (as the `Caller` extractor reads it).
async fn resolve_afresh(state: &AppState, cached: &Caller) -> ApiResult<Caller> {
    let fresh =
        SessionCaller::resolve(state, cached.token.clone(), cached.request_id.clone()).await?;
    state.callers.put(&fresh);
    Caller::allowed(fresh)
}

/// What the caller may do with demands; a 403 for one who may record none.
fn recording_access(caller: &Caller) -> ApiResult<DemandAccess> {
    let access = DemandAccess::of(&caller.actor);
    if access.record == minqing_domain::access::Reach::Nothing {
        return Err(ApiError::forbidden());
    }
    Ok(access)
}

/// Intake with no database work before the commit: the caller, the tenant's settings and the
/// origin's chain all come from this process's caches, at the caller's settings version, which
/// the intake writer checks before writing. `None` when a cache misses, the version moved, or
/// anything needs the database's word (an error, an `Idempotency-Key` already used): the
/// caller then decides from the database.
async fn intake_from_caches(
    state: &AppState,
    caller: &Caller,
    access: &DemandAccess,
    intake: ValidIntake,
    idempotency: &Idempotency,
) -> ApiResult<Option<Response>> {
    let (tenant, version) = (caller.tenant.id, caller.settings_version());
    if intake.visit.is_some() {
        // The visit it was raised at is checked against the database.
        return Ok(None);
    }
    let Some(settings) = state.storage.settings_cached(tenant, version) else {
        return Ok(None);
    };
    let Some(chain) = state
        .storage
        .chain_cached(tenant, intake.origin_unit, version)
    else {
        return Ok(None);
    };
    let rules = TenantRules {
        settings,
        tz: tenant_zone(caller),
    };
    let ctx = rules.context(access, state);
    let Ok((mut prepared, view)) = prepare_intake(tenant, &caller.audit(), chain, intake, &ctx)
    else {
        return Ok(None);
    };
    prepared.decided_under(version);
    let (response, keep) = idempotency.response(StatusCode::CREATED, &view)?;
    if let Some(k) = keep {
        prepared.remember(k.key, k.request_hash, k.response);
    }
    match state.storage.write_intake(tenant, prepared).await {
        Ok(()) => Ok(Some(response)),
        Err(StorageError::Stale) => Ok(None),
        // The key names an earlier request (to replay) or one still being written.
        Err(StorageError::Domain(DomainError::Conflict {
            code: "idempotency_key_in_use",
        })) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Intake decided in a read transaction and written by the tenant's intake writer together with
/// the other demands arriving now (group commit), answered once committed.
async fn intake_from_database(
    state: &AppState,
    caller: &Caller,
    access: &DemandAccess,
    intake: ValidIntake,
    idempotency: &Idempotency,
) -> ApiResult<Response> {
    let scope = caller.read(state).await?.acting_for(caller.audit());
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    if let Some(visit) = intake.visit {
        scope
            .visits()
            .check_raised_at(visit, intake.origin_unit)
            .await?;
    }
    let rules = TenantRules::load(state, &scope, caller).await?;
    let ctx = rules.context(access, state);
    let chain = state
        .storage
        .chain(&scope, intake.origin_unit, rules.settings.version)
        .await?;
    let (mut prepared, view) =
        prepare_intake(caller.tenant.id, &caller.audit(), chain, intake, &ctx)?;
    drop(scope);
    let (response, keep) = idempotency.response(StatusCode::CREATED, &view)?;
    if let Some(k) = keep {
        prepared.remember(k.key, k.request_hash, k.response);
    }
    state
        .storage
        .write_intake(caller.tenant.id, prepared)
        .await?;
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
    /// Raised at this visit.
    pub visit: Option<Uuid>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The start of `day` in `tz`.
pub(crate) fn local_midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
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
            visit: self.visit,
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

/// The export's own parameter; the filters are the list's ([`DemandFilters`]).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `xlsx` (the default) or `csv`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// Splits `format` off the query string; the rest are the list's filters, read by the same
/// `ApiQuery` as the list (so they are defined once and fail the same way).
async fn export_query(uri: &Uri) -> ApiResult<(ExportFormat, DemandFilters)> {
    let mut format = None;
    let rest = {
        let mut rest = form_urlencoded::Serializer::new(String::new());
        for (key, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
            if key == "format" {
                if format.is_some() {
                    return Err(ApiError::field("format", "invalid_export_format"));
                }
                format = Some(ExportFormat::parse(&value)?);
            } else {
                rest.append_pair(&key, &value);
            }
        }
        rest.finish()
    };
    let (mut parts, ()) = axum::http::Request::builder()
        .uri(format!("/?{rest}"))
        .body(())
        .map_err(|_| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query"))?
        .into_parts();
    let ApiQuery(filters) = ApiQuery::<DemandFilters>::from_request_parts(&mut parts, &()).await?;
    Ok((format.unwrap_or(ExportFormat::Xlsx), filters))
}

/// Export the ledger (台账) as XLSX or CSV.
///
/// The same filters as the list (limit and cursor are ignored); every matching demand the
/// caller may see, newest first, one row each: 序号, 受理时间, 来源, 诉求人, 联系电话 (masked),
/// 诉求内容, 类别, 承办单位, 时限, 办理情况, 办结时间, 满意度, 回执编号. Times and dates are in
/// the tenant's zone. At most 100,000 rows: more is a 422 `export_too_large` (narrow the
/// filters). An unknown `format` is a 422 naming the field.
#[utoipa::path(
    get,
    path = "/api/v1/demands/export",
    tag = "demands",
    params(ExportParams, DemandFilters),
    responses(
        (status = 200, description = "The file, as an attachment (`Content-Disposition: attachment; filename=\"ledger-YYYYMMDD.xlsx\"; filename*=UTF-8''台账-YYYYMMDD.xlsx`).",
            headers(("Content-Disposition" = String, description = "attachment; the file name carries the day in the tenant's zone")),
            content(
                (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv; charset=utf-8"),
            )
        ),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn export_demands(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
) -> ApiResult<Response> {
    let access = readable(&caller)?;
    let (format, filters) = export_query(&uri).await?;
    let now = state.clock.now();
    let tz = tenant_zone(&caller);
    let scope = caller.read(&state).await?;
    let query = filters.query(&scope, &caller).await?;
    let exported = scope
        .demands()
        .export(&query, &access, &state.sealer, now, EXPORT_CAP)
        .await?;
    let views = match exported {
        Export::Views(views) => views,
        Export::TooLarge { .. } => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "export_too_large",
            ));
        }
    };
    let labels = LedgerLabels::new(tz, &scope.demand_settings().categories().await?);
    // The transaction ends before the file is written.
    drop(scope);
    let rows: Vec<_> = views
        .iter()
        .enumerate()
        .map(|(i, v)| ledger_row(i + 1, v, &labels))
        .collect();
    let day = now.with_timezone(&tz).format("%Y%m%d").to_string();
    spreadsheet(LEDGER_SHEET, rows, format, ("ledger", "台账"), &day).await
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
            missing_field(&e).unwrap_or_else(|| {
                let path = e.path().to_string();
                ApiError::field(if path == "." { "body" } else { &path }, "invalid_body")
            })
        })?;
    let access = readable(&caller)?;
    let scope = caller.write(&state).await?;
    let rules = TenantRules::load(&state, &scope, &caller).await?;
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
    let rules = TenantRules::load(&state, &scope, &caller).await?;
    let ctx = rules.context(&access, &state);
    let data = scope.demands().reveal(id, &ctx).await?;
    scope.commit().await?;
    Ok(axum::Json(data))
}
