//! Writes every error body in the caller's language (`Accept-Language`, zh-CN by default),
//! including the framework's own rejections (unknown route, wrong method, body too large).
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use minqing_domain::i18n::{Lang, message};
use serde_json::Value;

use crate::error::{ApiError, ErrorBody, ErrorResponse, ErrorRow};

pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

pub async fn localize(request: Request, next: Next) -> Response {
    let lang = request_lang(request.headers());
    let mut response = next.run(request).await;
    let error = match response.extensions_mut().remove::<ApiError>() {
        Some(e) => e,
        None => match response.status() {
            StatusCode::METHOD_NOT_ALLOWED => {
                ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            StatusCode::INTERNAL_SERVER_ERROR if is_empty(&response) => ApiError::internal(),
            _ => return response,
        },
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    Response::from_parts(parts, Body::from(error_body(&error, lang).to_string()))
}

fn is_empty(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_none_or(|v| v == "0")
}

/// `{"error": {"code", "message", "fields", "rows"?}}` ([`ErrorResponse`]) in `lang`.
pub fn error_body(error: &ApiError, lang: Lang) -> Value {
    let body = ErrorResponse {
        error: ErrorBody {
            code: error.code.to_owned(),
            message: message(error.code, lang),
            fields: error
                .fields
                .iter()
                .map(|(k, code)| (k.clone(), message(code, lang)))
                .collect(),
            field_codes: error
                .fields
                .iter()
                .map(|(k, code)| (k.clone(), (*code).to_owned()))
                .collect(),
            rows: error
                .rows
                .iter()
                .map(|r| ErrorRow {
                    line: r.line,
                    code: r.code.clone(),
                    reason: r.reason.clone(),
                    message: message(&r.reason, lang),
                })
                .collect(),
        },
    };
    serde_json::to_value(body).expect("an error body serializes")
}
