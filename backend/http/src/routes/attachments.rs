//! `/api/v1/demands/{id}/attachments`: photos and documents filed with a demand.
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use minqing_domain::access::DemandAccess;
use minqing_storage::demands::AttachmentView;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::export::filed_file;
use crate::extract::{ApiPath, Caller};
use crate::openapi::{
    BadRequest, Forbidden, ImportFile, NotFound, PayloadTooLarge, Unauthorized, Unprocessable,
};
use crate::routes::demands::TenantRules;
use crate::state::AppState;

/// File an attachment.
///
/// An image (JPEG, PNG, GIF, WebP) or a PDF of at most 10 MB, recognised by its content, as a
/// multipart field `file`. For those who may record demands in its community or handle it. The
/// file's SHA-256 is recorded in the ledger (`attachment_added`).
#[utoipa::path(
    post,
    path = "/api/v1/demands/{id}/attachments",
    tag = "demands",
    params(("id" = Uuid, Path)),
    request_body(content = ImportFile, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Filed.", body = AttachmentView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn add_attachment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    req: Request,
) -> ApiResult<(StatusCode, axum::Json<AttachmentView>)> {
    let access = DemandAccess::of(&caller.actor);
    let (name, bytes) = crate::upload::uploaded_named_file(req).await?;
    let scope = caller.write(&state).await?;
    let rules = TenantRules::load(&state, &scope, &caller).await?;
    let view = scope
        .demands()
        .attach(id, name.as_deref(), bytes, &rules.context(&access, &state))
        .await?;
    scope.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// List a demand's attachments.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{id}/attachments",
    tag = "demands",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The attachments, oldest first.", body = Vec<AttachmentView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn list_attachments(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<AttachmentView>>> {
    let access = DemandAccess::of(&caller.actor);
    let scope = caller.read(&state).await?;
    Ok(axum::Json(scope.demands().attachments(id, &access).await?))
}

/// Download an attachment.
///
/// The file as filed, with its media type; browsers are told to save it, not run it.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{id}/attachments/{attachment_id}",
    tag = "demands",
    params(("id" = Uuid, Path), ("attachment_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The file.", content_type = "application/octet-stream"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_attachment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, attachment_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let access = DemandAccess::of(&caller.actor);
    let scope = caller.read(&state).await?;
    let (view, bytes) = scope
        .demands()
        .attachment(id, attachment_id, &access)
        .await?;
    Ok(filed_file(
        &view.file_name,
        "attachment",
        view.media_type,
        bytes,
    ))
}
