//! Councils (理事会) and workrooms (工作室/接待室): a unit's council members and reception
//! room, and the coverage of a subtree. Anyone who may read a unit reads its council (phones
//! masked); whole-subtree administrators keep them; a member's phone in full is for roles that
//! may reveal personal data, and each such view is logged.
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use minqing_domain::UnitId;
use minqing_domain::access::Permission;
use minqing_domain::council::{MemberForm, WorkroomForm};
use minqing_storage::TenantScope;
use minqing_storage::councils::{Coverage, MemberImportReport, MemberView, Seal, WorkroomView};
use minqing_storage::files::{MEMBER_EXPORT_HEADER, read_member_file};
use minqing_storage::ledger_export::Sheet;
use minqing_storage::units::UnitView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::export::{ExportFormat, SpreadsheetFile, spreadsheet};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::idempotency::IdempotentJson;
use crate::openapi::{
    BadRequest, Conflict, Forbidden, IdempotencyKey, ImportFile, NotFound, PayloadTooLarge,
    Unauthorized, Unprocessable,
};
use crate::routes::demands::tenant_zone;
use crate::state::AppState;

/// Today in the tenant's zone: terms are days there.
pub(crate) fn today(state: &AppState, caller: &Caller) -> NaiveDate {
    state
        .clock
        .now()
        .with_timezone(&tenant_zone(caller))
        .date_naive()
}

/// A unit within the caller's reach for `permission`; anything else does not exist for them.
pub(crate) async fn unit_for(
    scope: &TenantScope,
    caller: &Caller,
    id: Uuid,
    permission: Permission,
) -> ApiResult<UnitView> {
    let reach = caller.reach(permission)?;
    Ok(scope.units().get_within(UnitId(id), &reach).await?)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CouncilResponse {
    pub unit_id: UnitId,
    /// Serving members first (chair, vice-chairs, members), then former ones.
    pub members: Vec<MemberView>,
}

/// A unit's council.
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}/council",
    tag = "councils",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    responses(
        (status = 200, description = "The council's members, phones masked.", body = CouncilResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_council(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<CouncilResponse>> {
    let scope = caller.read(&state).await?;
    let unit = unit_for(&scope, &caller, id, Permission::ReadUnits).await?;
    let members = scope
        .councils()
        .members(unit.id, today(&state, &caller))
        .await?;
    Ok(axum::Json(CouncilResponse {
        unit_id: unit.id,
        members,
    }))
}

/// Sealing for personal data (a phone) under the tenant's cipher.
pub(crate) async fn seal<'a>(
    state: &'a AppState,
    caller: &Caller,
    scope: &TenantScope,
) -> ApiResult<Seal<'a>> {
    let settings = caller.settings(state, scope).await?;
    Ok(Seal {
        sealer: &state.sealer,
        cipher: settings.rules.cipher_algorithm,
    })
}

/// Add a council member.
///
/// A council has one chair (理事长) at a time: a chair whose term overlaps another chair's
/// is a 409 `council_has_chair`. The phone is stored encrypted and shown masked. Honours
/// `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/units/{id}/council/members",
    tag = "councils",
    params(("id" = Uuid, Path, description = "The unit's id."), IdempotencyKey),
    request_body = MemberForm,
    responses(
        (status = 201, description = "Added.", body = MemberView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    IdempotentJson {
        body: form,
        idempotency,
    }: IdempotentJson<MemberForm>,
) -> ApiResult<Response> {
    caller.reach(Permission::ManageCouncils)?;
    let member = form.validate()?;
    let scope = caller.write(&state).await?;
    if let Some(replayed) = idempotency.replay(&scope).await? {
        return Ok(replayed);
    }
    let unit = unit_for(&scope, &caller, id, Permission::ManageCouncils).await?;
    let seal = seal(&state, &caller, &scope).await?;
    let added = scope
        .councils()
        .add_member(&unit, member, &seal, today(&state, &caller))
        .await?;
    let response = idempotency
        .answer(&scope, StatusCode::CREATED, &added)
        .await?;
    scope.commit().await?;
    Ok(response)
}

/// Change a council member (a new term or role, a corrected name, the phone).
///
/// The whole member is sent; a phone left out is removed.
#[utoipa::path(
    put,
    path = "/api/v1/council-members/{id}",
    tag = "councils",
    params(("id" = Uuid, Path, description = "The member's id.")),
    request_body = MemberForm,
    responses(
        (status = 200, description = "Changed.", body = MemberView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn update_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(form): ApiJson<MemberForm>,
) -> ApiResult<axum::Json<MemberView>> {
    let reach = caller.reach(Permission::ManageCouncils)?;
    let member = form.validate()?;
    let scope = caller.write(&state).await?;
    let seal = seal(&state, &caller, &scope).await?;
    let changed = scope
        .councils()
        .update_member(id, &reach, member, &seal, today(&state, &caller))
        .await?;
    scope.commit().await?;
    Ok(axum::Json(changed))
}

/// Remove a council member entered by mistake.
///
/// A member who served is kept, with a term end, instead. The operations log keeps what was
/// removed.
#[utoipa::path(
    delete,
    path = "/api/v1/council-members/{id}",
    tag = "councils",
    params(("id" = Uuid, Path, description = "The member's id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let reach = caller.reach(Permission::ManageCouncils)?;
    let scope = caller.write(&state).await?;
    scope
        .councils()
        .remove_member(id, &reach, today(&state, &caller))
        .await?;
    scope.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPersonalData {
    pub phone: Option<String>,
}

/// A council member's phone in full.
///
/// For roles that may see personal data (leaders, cadres) over the member's unit; each view is
/// recorded in the operations log.
#[utoipa::path(
    post,
    path = "/api/v1/council-members/{id}/personal-data",
    tag = "councils",
    params(("id" = Uuid, Path, description = "The member's id.")),
    responses(
        (status = 200, description = "The phone in full.", body = MemberPersonalData),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn reveal_member_phone(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<MemberPersonalData>> {
    let reach = caller.reach(Permission::RevealPersonalData)?;
    let scope = caller.write(&state).await?;
    let phone = scope
        .councils()
        .reveal_phone(id, &reach, &state.sealer)
        .await?;
    scope.commit().await?;
    Ok(axum::Json(MemberPersonalData { phone }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkroomResponse {
    pub unit_id: UnitId,
    /// Null while the unit has none.
    pub workroom: Option<WorkroomView>,
}

/// A unit's workroom.
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}/workroom",
    tag = "councils",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    responses(
        (status = 200, description = "The workroom, or null.", body = WorkroomResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_workroom(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<WorkroomResponse>> {
    let scope = caller.read(&state).await?;
    let unit = unit_for(&scope, &caller, id, Permission::ReadUnits).await?;
    Ok(axum::Json(WorkroomResponse {
        unit_id: unit.id,
        workroom: scope.councils().workroom(unit.id).await?,
    }))
}

/// Set a unit's workroom: name, address, opening hours, staff on duty.
#[utoipa::path(
    put,
    path = "/api/v1/units/{id}/workroom",
    tag = "councils",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    request_body = WorkroomForm,
    responses(
        (status = 200, description = "The workroom.", body = WorkroomView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn set_workroom(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(form): ApiJson<WorkroomForm>,
) -> ApiResult<axum::Json<WorkroomView>> {
    caller.reach(Permission::ManageCouncils)?;
    let room = form.validate()?;
    let scope = caller.write(&state).await?;
    let unit = unit_for(&scope, &caller, id, Permission::ManageCouncils).await?;
    let set = scope.councils().set_workroom(&unit, room).await?;
    scope.commit().await?;
    Ok(axum::Json(set))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// The unit whose subtree is counted (itself included).
    pub within: Uuid,
}

/// Council and workroom coverage of a subtree.
///
/// Per tier: how many unarchived units there are, how many have a council sitting today and
/// how many a workroom; then the units lacking either, depth-first (the first 500).
#[utoipa::path(
    get,
    path = "/api/v1/councils/coverage",
    tag = "councils",
    params(CoverageQuery),
    responses(
        (status = 200, description = "The coverage.", body = Coverage),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn coverage(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<CoverageQuery>,
) -> ApiResult<axum::Json<Coverage>> {
    let scope = caller.read(&state).await?;
    let root = unit_for(&scope, &caller, query.within, Permission::ReadUnits).await?;
    let settings = caller.settings(&state, &scope).await?;
    Ok(axum::Json(
        scope
            .councils()
            .coverage(&root.path, &settings.tiers, today(&state, &caller))
            .await?,
    ))
}

/// Import council members.
///
/// CSV or XLSX with the columns `unit_code,name,category,role,term_start` and, optionally,
/// `term_end,organisation,phone` — or the same columns under the Chinese titles a Minqing export
/// has (单位代码, 姓名, 类别, 职务, 任期开始, 任期结束, 工作单位, 联系电话), so an exported file
/// imports again. Categories and roles may be written in Chinese (人大代表, 理事长); dates as
/// 2024-01-01, 2024/1/1 or Excel day numbers; a masked phone is no phone. One transaction: any
/// bad row and no one is added, and the 422 `import_invalid` names every bad row. Rows already on
/// record (same unit, name, role and term start) are left as they are.
#[utoipa::path(
    post,
    path = "/api/v1/council-members/import",
    tag = "councils",
    request_body(content = ImportFile, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What the import did.", body = MemberImportReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn import_members(
    State(state): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> ApiResult<axum::Json<MemberImportReport>> {
    let reach = caller.reach(Permission::ManageCouncils)?;
    let bytes = crate::upload::uploaded_file(req).await?;
    let (rows, unreadable) = read_member_file(&bytes)?;
    let scope = caller.write(&state).await?;
    let seal = seal(&state, &caller, &scope).await?;
    let report = scope
        .councils()
        .import(&rows, unreadable, &reach, &seal)
        .await?;
    scope.commit().await?;
    Ok(axum::Json(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MemberExportQuery {
    /// The unit whose subtree's members are exported (itself included).
    pub within: Uuid,
    /// `xlsx` (the default) or `csv`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// The columns of a member export: the import's, in Chinese, then the unit's name.
const MEMBER_SHEET: Sheet<'static> = Sheet {
    name: "理事会成员",
    headers: &MEMBER_EXPORT_HEADER,
    widths: &[16.0, 10.0, 12.0, 10.0, 12.0, 12.0, 20.0, 14.0, 24.0],
};

/// Export council members of a subtree (XLSX or CSV).
///
/// Depth-first by unit; phones masked. The file imports again (`/council-members/import`).
#[utoipa::path(
    get,
    path = "/api/v1/council-members/export",
    tag = "councils",
    params(MemberExportQuery),
    responses(
        (status = 200, description = "The file, as an attachment (`council-members-YYYYMMDD.xlsx`, in Chinese 理事会成员-YYYYMMDD.xlsx).",
            content(
                (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv; charset=utf-8"),
            )
        ),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn export_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<MemberExportQuery>,
) -> ApiResult<Response> {
    let scope = caller.read(&state).await?;
    let root = unit_for(&scope, &caller, query.within, Permission::ReadUnits).await?;
    let day = today(&state, &caller);
    let members = scope.councils().export(&root.path, day).await?;
    drop(scope);
    let rows: Vec<Vec<String>> = members
        .into_iter()
        .map(|(code, unit, m)| {
            vec![
                code.unwrap_or_default(),
                m.name,
                m.category.label().0.to_owned(),
                m.role.label().0.to_owned(),
                m.term_start.to_string(),
                m.term_end.map(|d| d.to_string()).unwrap_or_default(),
                m.organisation.unwrap_or_default(),
                m.phone.unwrap_or_default(),
                unit,
            ]
        })
        .collect();
    let stamp = day.format("%Y%m%d").to_string();
    spreadsheet(
        MEMBER_SHEET,
        rows,
        query.format.unwrap_or(ExportFormat::Xlsx),
        ("council-members", "理事会成员"),
        &stamp,
    )
    .await
}
