//! `/api/v1/units`: the hierarchy — browse, search, create, rename, recode, move, merge,
//! archive, and import the official division list.
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use minqing_domain::UnitId;
use minqing_domain::access::{Permission, Reach};
use minqing_domain::tenant::parse_name;
use minqing_domain::tier::{Tier, TierKey};
use minqing_domain::unit::UnitCode;
use minqing_storage::TenantScope;
use minqing_storage::files::read_division_file;
use minqing_storage::units::{ChangeNote, HistoryEntry, ImportReport, ListQuery, UnitView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, RawBody, page_limit, parse_json};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, ImportFile, NotFound, PayloadTooLarge,
    Unauthorized, Unprocessable,
};
use crate::routes::ListResponse;
use crate::routes::councils::today;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitResponse {
    pub id: UnitId,
    /// The official division code (统计用区划代码), when the unit has one.
    pub code: Option<String>,
    pub name: String,
    /// The tenant's tier index: 1 is the tenant's top tier.
    pub level: i32,
    #[schema(value_type = Option<TierKey>)]
    pub tier_key: Option<&'static str>,
    pub tier_label_zh: Option<String>,
    pub tier_label_en: Option<String>,
    pub parent_id: Option<UnitId>,
    pub child_count: i64,
    /// Abolished (撤销): kept with its records, hidden from lists unless `?archived=true`.
    pub archived: bool,
    /// Root first; with search hits and in `GET /units/{id}` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ancestors: Option<Vec<AncestorResponse>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AncestorResponse {
    pub id: UnitId,
    pub name: String,
    pub code: Option<String>,
    pub level: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDetailResponse {
    #[serde(flatten)]
    pub unit: UnitResponse,
    pub history: Vec<HistoryEntry>,
}

fn respond(unit: UnitView, tiers: &[Tier]) -> UnitResponse {
    let tier = tiers.iter().find(|t| t.level == unit.level);
    UnitResponse {
        id: unit.id,
        code: unit.code,
        name: unit.name,
        level: unit.level,
        tier_key: tier.map(|t| t.key.as_str()),
        tier_label_zh: tier.map(|t| t.label_zh.clone()),
        tier_label_en: tier.map(|t| t.label_en.clone()),
        parent_id: unit.parent_id,
        child_count: unit.child_count,
        archived: unit.archived,
        ancestors: None,
    }
}

fn ancestor(u: UnitView) -> AncestorResponse {
    AncestorResponse {
        id: u.id,
        name: u.name,
        code: u.code,
        level: u.level,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListUnitsQuery {
    /// Only this unit's direct children.
    pub parent: Option<Uuid>,
    /// Only within this unit's subtree (itself included).
    pub within: Option<Uuid>,
    /// Search by name or code prefix (up to 100 characters); each hit comes with its ancestors.
    pub q: Option<String>,
    /// Include archived units.
    #[serde(default)]
    pub archived: bool,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List units.
///
/// Without filters, every unit of the caller's subtrees in depth-first order (parents before
/// children); `?parent=` direct children; `?q=` search by name or code prefix (each hit with its
/// ancestors); `?within=` one subtree. A `parent` or `within` the caller cannot see is a 404.
#[utoipa::path(
    get,
    path = "/api/v1/units",
    tag = "units",
    params(ListUnitsQuery),
    responses(
        (status = 200, description = "A page of units.", body = ListResponse<UnitResponse>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_units(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListUnitsQuery>,
) -> ApiResult<axum::Json<ListResponse<UnitResponse>>> {
    let reach = caller.reach(Permission::ReadUnits)?;
    let limit = page_limit(query.limit)?;
    let scope = caller.read(&state).await?;
    // A parent or subtree the caller cannot see answers 404, like any unseen id.
    if let Some(parent) = query.parent {
        scope.units().get_within(UnitId(parent), &reach).await?;
    }
    let within = match query.within {
        Some(id) => Some(scope.units().get_within(UnitId(id), &reach).await?.path),
        None => None,
    };
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if search.is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::field("q", "too_long"));
    }
    let (units, next) = scope
        .units()
        .list(&ListQuery {
            reach: &reach,
            children_of: query.parent.map(UnitId),
            subtree_of: within.as_ref(),
            search,
            include_archived: query.archived,
            cursor: query.cursor.as_deref(),
            limit,
        })
        .await?;
    let tiers = &caller.settings(&state, &scope).await?.tiers;
    let mut items = Vec::with_capacity(units.len());
    for unit in units {
        let ancestors = if search.is_some() {
            Some(visible_ancestors(&scope, &unit, &reach).await?)
        } else {
            None
        };
        let mut response = respond(unit, tiers);
        response.ancestors = ancestors;
        items.push(response);
    }
    Ok(axum::Json(ListResponse::new(items, next)))
}

/// Ancestors for breadcrumbs: a scoped caller may read the names above its subtree.
async fn visible_ancestors(
    scope: &TenantScope,
    unit: &UnitView,
    reach: &Reach,
) -> ApiResult<Vec<AncestorResponse>> {
    let ancestors = scope.units().ancestors(unit).await?;
    Ok(ancestors
        .into_iter()
        .filter(|a| reach.covers(&a.path) || reach.is_above(&a.path))
        .map(ancestor)
        .collect())
}

/// List the top of the caller's tree.
///
/// The tenant's top-tier units, or for a scoped caller the roots of its granted subtrees.
#[utoipa::path(
    get,
    path = "/api/v1/units/roots",
    tag = "units",
    responses(
        (status = 200, description = "Every root; `next_cursor` is null.", body = ListResponse<UnitResponse>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn list_roots(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<ListResponse<UnitResponse>>> {
    let reach = caller.reach(Permission::ReadUnits)?;
    let scope = caller.read(&state).await?;
    let roots = scope.units().roots(&reach).await?;
    let tiers = &caller.settings(&state, &scope).await?.tiers;
    Ok(axum::Json(ListResponse::new(
        roots.into_iter().map(|u| respond(u, tiers)).collect(),
        None,
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChildrenQuery {
    /// Include archived units.
    #[serde(default)]
    pub archived: bool,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List a unit's children.
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}/children",
    tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id."), ChildrenQuery),
    responses(
        (status = 200, description = "A page of direct children.", body = ListResponse<UnitResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn list_children(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ChildrenQuery>,
) -> ApiResult<axum::Json<ListResponse<UnitResponse>>> {
    list_units(
        State(state),
        caller,
        ApiQuery(ListUnitsQuery {
            parent: Some(id),
            within: None,
            q: None,
            archived: query.archived,
            limit: query.limit,
            cursor: query.cursor,
        }),
    )
    .await
}

/// Get a unit.
///
/// The unit, its ancestors (root first) and its recorded changes.
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}",
    tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    responses(
        (status = 200, description = "The unit.", body = UnitDetailResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_unit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<UnitDetailResponse>> {
    let reach = caller.reach(Permission::ReadUnits)?;
    let scope = caller.read(&state).await?;
    let unit = scope.units().get_within(UnitId(id), &reach).await?;
    let ancestors = visible_ancestors(&scope, &unit, &reach).await?;
    let history = scope.units().history(unit.id).await?;
    let tiers = &caller.settings(&state, &scope).await?.tiers;
    let mut response = respond(unit, tiers);
    response.ancestors = Some(ancestors);
    Ok(axum::Json(UnitDetailResponse {
        unit: response,
        history,
    }))
}

/// List a unit's ancestors.
///
/// Root first; a scoped caller sees the names above its subtree (for breadcrumbs).
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}/ancestors",
    tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    responses(
        (status = 200, description = "The ancestors; `next_cursor` is null.", body = ListResponse<AncestorResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn list_ancestors(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<ListResponse<AncestorResponse>>> {
    let reach = caller.reach(Permission::ReadUnits)?;
    let scope = caller.read(&state).await?;
    let unit = scope.units().get_within(UnitId(id), &reach).await?;
    Ok(axum::Json(ListResponse::new(
        visible_ancestors(&scope, &unit, &reach).await?,
        None,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnitRequest {
    /// Absent or null: a top-tier unit (whole-tenant administrators only).
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub code: Option<String>,
}

fn parse_code(raw: Option<&str>) -> ApiResult<Option<UnitCode>> {
    match raw.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => UnitCode::parse(c)
            .map(Some)
            .map_err(|code| ApiError::field("code", code)),
    }
}

/// Create a unit.
///
/// One tier below its parent. Honours `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/units",
    tag = "units",
    params(IdempotencyKey),
    request_body = CreateUnitRequest,
    responses(
        (status = 201, description = "Created.", body = UnitResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn create_unit(
    State(state): State<AppState>,
    caller: Caller,
    IdempotentJson {
        body: req,
        idempotency,
    }: IdempotentJson<CreateUnitRequest>,
) -> ApiResult<Response> {
    let reach = caller.reach(Permission::ManageUnits)?;
    let name = parse_name(&req.name).map_err(|c| ApiError::field("name", c))?;
    let code = parse_code(req.code.as_deref())?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let parent = match req.parent_id {
        Some(id) => Some(
            scope
                .units()
                .get_within(UnitId(id), &reach)
                .await
                .map_err(|_| ApiError::field("parent_id", "unknown_unit"))?,
        ),
        None if reach == Reach::All => None,
        None => return Err(ApiError::forbidden()),
    };
    let tiers = scope.tiers().list().await?;
    let unit = scope
        .units()
        .create(parent.as_ref(), name, code, tiers.len() as i32)
        .await?;
    let response = idempotency
        .answer(&scope, StatusCode::CREATED, &respond(unit, &tiers))
        .await?;
    scope.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnitRequest {
    pub name: Option<String>,
    /// A new official code (区划代码变更).
    pub code: Option<String>,
    /// When the change took effect; today when absent.
    pub effective_on: Option<NaiveDate>,
    /// Why (up to 500 characters), for the unit's history.
    pub note: Option<String>,
}

/// The change's date (the tenant's today when none was given) and its reason.
fn change_note(
    today: NaiveDate,
    effective_on: Option<NaiveDate>,
    note: Option<String>,
) -> ApiResult<ChangeNote> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::field("note", "too_long"));
    }
    Ok(ChangeNote {
        effective_on: effective_on.unwrap_or(today),
        note,
    })
}

/// Loads a unit the caller may manage, for a change.
async fn managed_unit(scope: &TenantScope, caller: &Caller, id: Uuid) -> ApiResult<UnitView> {
    let read = caller.reach(Permission::ReadUnits)?;
    let unit = scope.units().get_within(UnitId(id), &read).await?;
    if !caller.actor.may_at(Permission::ManageUnits, &unit.path) {
        return Err(ApiError::forbidden());
    }
    Ok(unit)
}

/// A unit named in a request body: when it cannot be seen, the field is what is wrong.
async fn named_unit(
    scope: &TenantScope,
    caller: &Caller,
    id: Uuid,
    field: &str,
) -> ApiResult<UnitView> {
    managed_unit(scope, caller, id).await.map_err(|e| {
        if e.code == "not_found" {
            ApiError::field(field, "unknown_unit")
        } else {
            e
        }
    })
}

async fn unit_response(scope: &TenantScope, unit: UnitView) -> ApiResult<axum::Json<UnitResponse>> {
    let tiers = scope.tiers().list().await?;
    Ok(axum::Json(respond(unit, &tiers)))
}

/// Rename or recode a unit.
///
/// Former names and codes stay on record in its history.
#[utoipa::path(
    patch,
    path = "/api/v1/units/{id}",
    tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    request_body = UpdateUnitRequest,
    responses(
        (status = 200, description = "The unit as changed.", body = UnitResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn update_unit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateUnitRequest>,
) -> ApiResult<axum::Json<UnitResponse>> {
    let name = req
        .name
        .as_deref()
        .map(parse_name)
        .transpose()
        .map_err(|c| ApiError::field("name", c))?;
    let code = match req.code.as_deref() {
        Some(c) => Some(UnitCode::parse(c).map_err(|e| ApiError::field("code", e))?),
        None => None,
    };
    let note = change_note(today(&state, &caller), req.effective_on, req.note)?;
    let scope = caller.write(&state).await?;
    let mut unit = managed_unit(&scope, &caller, id).await?;
    if unit.archived {
        return Err(ApiError::new(StatusCode::CONFLICT, "unit_archived"));
    }
    if let Some(name) = name {
        unit = scope.units().rename(&unit, name, &note).await?;
    }
    if let Some(code) = code {
        unit = scope.units().recode(&unit, code, &note).await?;
    }
    let response = unit_response(&scope, unit).await?;
    scope.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveUnitRequest {
    pub parent_id: Uuid,
    pub effective_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Move a unit under another parent.
///
/// The subtree moves with it; the new parent must be one tier above.
#[utoipa::path(
    post,
    path = "/api/v1/units/{id}/move",
    tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    request_body = MoveUnitRequest,
    responses(
        (status = 200, description = "The unit as moved.", body = UnitResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn move_unit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<MoveUnitRequest>,
) -> ApiResult<axum::Json<UnitResponse>> {
    let note = change_note(today(&state, &caller), req.effective_on, req.note)?;
    let scope = caller.write(&state).await?;
    let unit = managed_unit(&scope, &caller, id).await?;
    let parent = named_unit(&scope, &caller, req.parent_id, "parent_id").await?;
    let moved = scope.units().move_to(&unit, &parent, &note).await?;
    let response = unit_response(&scope, moved).await?;
    scope.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveUnitRequest {
    pub effective_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Archive (abolish, 撤销) a unit.
///
/// The unit and its records stay. Its children must go first (409 `unit_has_children`). The
/// body is optional.
#[utoipa::path(
    post,
    path = "/api/v1/units/{id}/archive",
    tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    request_body(content = Option<ArchiveUnitRequest>, description = "Optional: when and why."),
    responses(
        (status = 200, description = "The unit, archived.", body = UnitResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn archive_unit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<axum::Json<UnitResponse>> {
    let req: ArchiveUnitRequest = if body.is_empty() {
        ArchiveUnitRequest::default()
    } else {
        parse_json(&headers, &body)?
    };
    let note = change_note(today(&state, &caller), req.effective_on, req.note)?;
    let scope = caller.write(&state).await?;
    let unit = managed_unit(&scope, &caller, id).await?;
    let archived = scope.units().archive(&unit, &note).await?;
    let response = unit_response(&scope, archived).await?;
    scope.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeUnitRequest {
    pub into_id: Uuid,
    pub effective_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Merge a unit into another (合并).
///
/// Into another unit of the same tier.
#[utoipa::path(
    post,
    path = "/api/v1/units/{id}/merge",
    tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    request_body = MergeUnitRequest,
    responses(
        (status = 200, description = "The unit, merged.", body = UnitResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn merge_unit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<MergeUnitRequest>,
) -> ApiResult<axum::Json<UnitResponse>> {
    let note = change_note(today(&state, &caller), req.effective_on, req.note)?;
    let scope = caller.write(&state).await?;
    let unit = managed_unit(&scope, &caller, id).await?;
    let target = named_unit(&scope, &caller, req.into_id, "into_id").await?;
    let merged = scope.units().merge_into(&unit, &target, &note).await?;
    let response = unit_response(&scope, merged).await?;
    scope.commit().await?;
    Ok(response)
}

/// Import the division list.
///
/// CSV (UTF-8 with or without BOM, or GB18030/GBK) or XLSX with the columns
/// `code,parent_code,level,name` (`level` is the tenant's tier index, 1 = top tier), as the
/// multipart field `file` or as the raw body, up to 64 MB. One transaction: any bad row and
/// nothing is imported, and the 422 `import_invalid` names every bad row. Re-importing updates
/// names and parents of the codes it lists and never deletes. Whole-tenant administrators only.
#[utoipa::path(
    post,
    path = "/api/v1/units/import",
    tag = "units",
    request_body(content = ImportFile, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What the import did.", body = ImportReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn import_units(
    State(state): State<AppState>,
    caller: Caller,
    req: Request,
) -> ApiResult<axum::Json<ImportReport>> {
    caller.require_everywhere(Permission::ManageUnits)?;
    let bytes = crate::upload::uploaded_file(req).await?;
    let (rows, unreadable) = read_division_file(&bytes)?;
    let scope = caller.write(&state).await?;
    let tiers = scope.tiers().list().await?.len() as i32;
    let report = scope
        .units()
        .import(&rows, unreadable, tiers, today(&state, &caller))
        .await?;
    scope.commit().await?;
    Ok(axum::Json(report))
}
