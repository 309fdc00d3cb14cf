//! `/api/v1/units`: the hierarchy — browse, search, create, rename, recode, move, merge,
//! archive, and import the official division list.
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use chrono::NaiveDate;
use minqing_domain::UnitId;
use minqing_domain::access::{Permission, Reach};
use minqing_domain::tenant::parse_name;
use minqing_domain::tier::Tier;
use minqing_domain::unit::UnitCode;
use minqing_storage::TenantScope;
use minqing_storage::files::read_division_file;
use minqing_storage::units::{ChangeNote, HistoryEntry, ImportReport, ListQuery, UnitView};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, RawBody, page_limit, parse_json};
use crate::idempotency::Idempotency;
use crate::routes::ListResponse;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct UnitResponse {
    pub id: UnitId,
    pub code: Option<String>,
    pub name: String,
    pub level: i32,
    pub tier_key: Option<&'static str>,
    pub tier_label_zh: Option<String>,
    pub tier_label_en: Option<String>,
    pub parent_id: Option<UnitId>,
    pub child_count: i64,
    pub archived: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ancestors: Option<Vec<AncestorResponse>>,
}

#[derive(Debug, Serialize)]
pub struct AncestorResponse {
    pub id: UnitId,
    pub name: String,
    pub code: Option<String>,
    pub level: i32,
}

#[derive(Debug, Serialize)]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListUnitsQuery {
    pub parent: Option<Uuid>,
    /// Only within this unit's subtree (itself included).
    pub within: Option<Uuid>,
    pub q: Option<String>,
    #[serde(default)]
    pub archived: bool,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// `GET /units`: depth-first through the caller's subtrees; `?parent=` direct children;
/// `?q=` search by name or code prefix (each hit with its ancestors); `?within=` one subtree.
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
    let tiers = scope.tiers().list().await?;
    let mut items = Vec::with_capacity(units.len());
    for unit in units {
        let ancestors = if search.is_some() {
            Some(visible_ancestors(&scope, &unit, &reach).await?)
        } else {
            None
        };
        let mut response = respond(unit, &tiers);
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

/// `GET /units/roots`: the top of the caller's tree.
pub async fn list_roots(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<ListResponse<UnitResponse>>> {
    let reach = caller.reach(Permission::ReadUnits)?;
    let scope = caller.read(&state).await?;
    let roots = scope.units().roots(&reach).await?;
    let tiers = scope.tiers().list().await?;
    Ok(axum::Json(ListResponse::new(
        roots.into_iter().map(|u| respond(u, &tiers)).collect(),
        None,
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildrenQuery {
    #[serde(default)]
    pub archived: bool,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// `GET /units/{id}/children`.
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

/// `GET /units/{id}`: the unit, its ancestors (root first) and its recorded changes.
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
    let tiers = scope.tiers().list().await?;
    let mut response = respond(unit, &tiers);
    response.ancestors = Some(ancestors);
    Ok(axum::Json(UnitDetailResponse {
        unit: response,
        history,
    }))
}

/// `GET /units/{id}/ancestors`.
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUnitRequest {
    /// None creates a top-tier unit (whole-tenant administrators only).
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

/// `POST /units` (honours `Idempotency-Key`).
pub async fn create_unit(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let req: CreateUnitRequest = parse_json(&headers, &body)?;
    let idempotency = Idempotency::from_request(&headers, &method, &uri, &body)?;
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnitRequest {
    pub name: Option<String>,
    /// A new official code (区划代码变更).
    pub code: Option<String>,
    pub effective_on: Option<NaiveDate>,
    pub note: Option<String>,
}

fn change_note(effective_on: Option<NaiveDate>, note: Option<String>) -> ApiResult<ChangeNote> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::field("note", "too_long"));
    }
    Ok(ChangeNote { effective_on, note })
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

async fn unit_response(scope: &TenantScope, unit: UnitView) -> ApiResult<axum::Json<UnitResponse>> {
    let tiers = scope.tiers().list().await?;
    Ok(axum::Json(respond(unit, &tiers)))
}

/// `PATCH /units/{id}`: rename and/or recode; former names and codes stay on record.
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
    let note = change_note(req.effective_on, req.note)?;
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveUnitRequest {
    pub parent_id: Uuid,
    pub effective_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// `POST /units/{id}/move`: the subtree moves with it.
pub async fn move_unit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<MoveUnitRequest>,
) -> ApiResult<axum::Json<UnitResponse>> {
    let note = change_note(req.effective_on, req.note)?;
    let scope = caller.write(&state).await?;
    let unit = managed_unit(&scope, &caller, id).await?;
    let parent = managed_unit(&scope, &caller, req.parent_id)
        .await
        .map_err(|e| {
            if e.code == "not_found" {
                ApiError::field("parent_id", "unknown_unit")
            } else {
                e
            }
        })?;
    let moved = scope.units().move_to(&unit, &parent, &note).await?;
    let response = unit_response(&scope, moved).await?;
    scope.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ArchiveUnitRequest {
    pub effective_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// `POST /units/{id}/archive`: abolished (撤销); the unit and its records stay.
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
    let note = change_note(req.effective_on, req.note)?;
    let scope = caller.write(&state).await?;
    let unit = managed_unit(&scope, &caller, id).await?;
    let archived = scope.units().archive(&unit, &note).await?;
    let response = unit_response(&scope, archived).await?;
    scope.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeUnitRequest {
    pub into_id: Uuid,
    pub effective_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// `POST /units/{id}/merge`: merged into another unit of the same tier (合并).
pub async fn merge_unit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<MergeUnitRequest>,
) -> ApiResult<axum::Json<UnitResponse>> {
    let note = change_note(req.effective_on, req.note)?;
    let scope = caller.write(&state).await?;
    let unit = managed_unit(&scope, &caller, id).await?;
    let target = managed_unit(&scope, &caller, req.into_id)
        .await
        .map_err(|e| {
            if e.code == "not_found" {
                ApiError::field("into_id", "unknown_unit")
            } else {
                e
            }
        })?;
    let merged = scope.units().merge_into(&unit, &target, &note).await?;
    let response = unit_response(&scope, merged).await?;
    scope.commit().await?;
    Ok(response)
}

/// `POST /units/import`: a division list (CSV or XLSX, `code,parent_code,level,name`) in one
/// transaction — any bad row and nothing is imported, every bad row is named.
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
    let report = scope.units().import(&rows, unreadable, tiers).await?;
    scope.commit().await?;
    Ok(axum::Json(report))
}
