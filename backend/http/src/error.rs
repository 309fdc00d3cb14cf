//! The API's one error type. Handlers return `ApiError` with a stable code; the `localize`
//! middleware writes the body `{"error": {"code", "message", "fields"}}` in the caller's language.
use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minqing_domain::DomainError;
use minqing_domain::division_import::RowError;
use minqing_storage::StorageError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub fields: BTreeMap<String, &'static str>,
    /// Bad rows of a rejected file.
    pub rows: Vec<RowError>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The body of every 4xx and 5xx answer, as `localize` writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable snake_case code (`unauthenticated`, `not_found`, `validation_failed`, …).
    #[schema(example = "validation_failed")]
    pub code: String,
    /// The code explained in the caller's language (`Accept-Language`; zh-CN by default, or en).
    pub message: String,
    /// Field name → message, for the fields a validation failure names; empty otherwise.
    pub fields: BTreeMap<String, String>,
    /// Field name → the stable code behind its message (`required`, `invalid_phone`, …).
    pub field_codes: BTreeMap<String, String>,
    /// The bad rows of a rejected import file (`import_invalid`); absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<ErrorRow>,
}

/// One bad row of an import file.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorRow {
    /// The line as a spreadsheet shows it (the header is line 1).
    pub line: usize,
    /// The row's code (division code or username), as given.
    pub code: String,
    /// A stable reason code (`unknown_parent`, `wrong_level`, `duplicate_code`, …).
    pub reason: String,
    /// The reason explained in the caller's language.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            fields: BTreeMap::new(),
            rows: Vec::new(),
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// A 422 naming one field.
    pub fn field(name: &str, code: &'static str) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        e.fields.insert(name.to_owned(), code);
        e
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Validation { fields } => {
                // A single-field error whose code is itself a request-level code keeps it
                // (e.g. `invalid_cursor`, `idempotency_key_reused`).
                let code =
                    match fields.values().next().copied() {
                        Some(
                            c @ ("invalid_cursor" | "idempotency_key_reused" | "invalid_limit"),
                        ) if fields.len() == 1 => c,
                        _ => "validation_failed",
                    };
                let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code);
                err.fields = fields;
                err
            }
            DomainError::Conflict { code } => ApiError::new(StatusCode::CONFLICT, code),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ApiError::not_found(),
            StorageError::Forbidden => ApiError::forbidden(),
            StorageError::Refused(code) => ApiError::new(StatusCode::FORBIDDEN, code),
            StorageError::Domain(d) => d.into(),
            StorageError::ImportInvalid(rows) => {
                let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "import_invalid");
                err.rows = rows;
                err
            }
            StorageError::ImportUnreadable(code) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code)
            }
            StorageError::Db(err) => {
                tracing::error!(error = %err, "database error");
                ApiError::internal()
            }
            StorageError::Cache(err) => {
                tracing::error!(error = %err, "cache error");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            // Intake's fast path decides again on it; reaching here is a bug.
            StorageError::Stale => {
                tracing::error!("a stale decision escaped its fallback");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The body is written by `localize`, which knows the caller's language.
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}
