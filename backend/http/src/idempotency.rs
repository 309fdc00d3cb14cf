//! `Idempotency-Key` on creating POSTs: the first answer is stored in the same transaction as
//! the creation, and a retry gets it back instead of a second creation.
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use minqing_storage::TenantScope;
use minqing_storage::idempotency::{StoredResponse, request_hash};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{RawBody, parse_json};

/// The JSON body of a creating `POST` with its `Idempotency-Key` fingerprint: one extractor, so
/// every create parses and fingerprints its request the same way.
pub struct IdempotentJson<T> {
    pub body: T,
    pub idempotency: Idempotency,
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for IdempotentJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        let (method, uri, headers) = (
            req.method().clone(),
            req.uri().clone(),
            req.headers().clone(),
        );
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        Ok(Self {
            body: parse_json(&headers, &bytes)?,
            idempotency: Idempotency::from_request(&headers, &method, &uri, &bytes)?,
        })
    }
}

/// An answer to remember under a key, for a write that stores it itself.
pub struct Keep<'a> {
    pub key: &'a str,
    pub request_hash: &'a str,
    pub response: StoredResponse,
}

pub struct Idempotency {
    key: Option<String>,
    hash: String,
}

impl Idempotency {
    pub fn from_request(
        headers: &HeaderMap,
        method: &Method,
        uri: &Uri,
        body: &[u8],
    ) -> ApiResult<Self> {
        let key = match headers.get("idempotency-key") {
            None => None,
            Some(v) => {
                let k = v
                    .to_str()
                    .map_err(|_| ApiError::field("Idempotency-Key", "invalid_characters"))?;
                if k.is_empty() || k.len() > 255 {
                    return Err(ApiError::field("Idempotency-Key", "too_long"));
                }
                Some(k.to_owned())
            }
        };
        Ok(Self {
            key,
            hash: request_hash(method.as_str(), uri.path(), body),
        })
    }

    /// Whether the request carries a key (else nothing is replayed or remembered).
    pub fn is_keyed(&self) -> bool {
        self.key.is_some()
    }

    /// The stored answer of an earlier identical request, if any.
    pub async fn replay(&self, scope: &TenantScope) -> ApiResult<Option<Response>> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        Ok(scope
            .idempotency()
            .replay(key, &self.hash)
            .await?
            .map(|stored| {
                let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
                let mut r = (status, stored.body).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    "application/json".parse().expect("static"),
                );
                r.headers_mut()
                    .insert("idempotent-replayed", "true".parse().expect("static"));
                r
            }))
    }

    /// The response, and what to remember under the key (when there is one) for a write
    /// that stores it itself, in its own transaction (`PreparedIntake::remember`).
    pub fn response<T: Serialize>(
        &self,
        status: StatusCode,
        body: &T,
    ) -> ApiResult<(Response, Option<Keep<'_>>)> {
        let json = serde_json::to_string(body).map_err(|_| ApiError::internal())?;
        let keep = self.key.as_deref().map(|key| Keep {
            key,
            request_hash: &self.hash,
            response: StoredResponse {
                status: status.as_u16(),
                body: json.clone(),
            },
        });
        Ok((json_response(status, json), keep))
    }

    /// Remembers the answer (in the scope's transaction) and returns it as a response.
    pub async fn answer<T: Serialize>(
        &self,
        scope: &TenantScope,
        status: StatusCode,
        body: &T,
    ) -> ApiResult<Response> {
        let json = serde_json::to_string(body).map_err(|_| ApiError::internal())?;
        if let Some(key) = &self.key {
            scope
                .idempotency()
                .remember(
                    key,
                    &self.hash,
                    &StoredResponse {
                        status: status.as_u16(),
                        body: json.clone(),
                    },
                )
                .await?;
        }
        Ok(json_response(status, json))
    }
}

fn json_response(status: StatusCode, json: String) -> Response {
    let mut r = (status, json).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        "application/json".parse().expect("static"),
    );
    r
}
