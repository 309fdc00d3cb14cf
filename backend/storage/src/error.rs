//! Storage errors: what callers can act on (not found, conflicts, validation) kept apart from
//! database failures, which are logged and never shown to a person.
use minqing_domain::DomainError;
use minqing_domain::division_import::RowError;
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// Absent, or outside what the caller may see: both answer 404 so existence never leaks.
    #[error("not found")]
    NotFound,
    /// Visible to the caller, but their role may not do this to it.
    #[error("forbidden")]
    Forbidden,
    /// Forbidden for a reason the caller can act on, named by its code.
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A bulk file with bad rows; nothing was written.
    #[error("import invalid: {} bad rows", .0.len())]
    ImportInvalid(Vec<RowError>),
    /// The file itself cannot be read (not CSV/XLSX, bad header, no rows).
    #[error("import unreadable: {0}")]
    ImportUnreadable(&'static str),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("cache: {0}")]
    Cache(String),
    /// Decided under settings (or grants, or units) that have changed since: decide again from
    /// the database. Never shown to a person: intake's fast path falls back on it.
    #[error("decided under settings that have changed")]
    Stale,
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

impl StorageError {
    pub fn conflict(code: &'static str) -> Self {
        StorageError::Domain(DomainError::conflict(code))
    }

    pub fn field(name: &str, code: &'static str) -> Self {
        StorageError::Domain(DomainError::field(name, code))
    }

    /// A failure of ours or the database's that no caller can act on (logged, answered 500).
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        StorageError::Db(DbErr::Custom(message.into()))
    }
}

/// Turns a unique-constraint violation into the domain conflict it means, with no racy
/// pre-check; other database errors pass through.
pub(crate) fn on_unique(err: DbErr, code: &'static str) -> StorageError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => StorageError::conflict(code),
        _ => StorageError::Db(err),
    }
}

/// A planned import, or every bad row — the planner's and the lines that could not be decoded —
/// in line order. A file with any bad row imports nothing.
pub(crate) fn import_plan<P>(
    planned: std::result::Result<P, Vec<RowError>>,
    unreadable: Vec<RowError>,
) -> Result<P> {
    match (planned, unreadable.is_empty()) {
        (Ok(plan), true) => Ok(plan),
        (Ok(_), false) => Err(StorageError::ImportInvalid(unreadable)),
        (Err(mut errors), _) => {
            errors.extend(unreadable);
            errors.sort_by_key(|e| e.line);
            Err(StorageError::ImportInvalid(errors))
        }
    }
}
