//! Bulk files arrive as a multipart field `file` or as the raw request body.
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};

use crate::error::{ApiError, ApiResult};
use crate::extract::RawBody;

/// The file of an import request: a multipart field `file`, or the raw body.
pub async fn uploaded_file(req: Request) -> ApiResult<Vec<u8>> {
    uploaded_named_file(req).await.map(|(_, bytes)| bytes)
}

/// The file of an upload with the name the sender gave it (multipart only).
pub async fn uploaded_named_file(req: Request) -> ApiResult<(Option<String>, Vec<u8>)> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let too_large = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "import_unreadable")
        }
    };
    if !is_multipart {
        let RawBody(bytes) = RawBody::from_request(req, &()).await?;
        return Ok((None, bytes.to_vec()));
    }
    let mut multipart = Multipart::from_request(req, &())
        .await
        .map_err(|e| too_large(e.status()))?;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| too_large(e.status()))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| too_large(e.status()))?;
            return Ok((name, bytes.to_vec()));
        }
    }
    Err(ApiError::field("file", "required"))
}
