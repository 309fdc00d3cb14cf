//! Domain errors carry a stable code; people read the message the catalog in `i18n` gives it.
use std::collections::BTreeMap;

/// Field name → stable error code, for forms and 422 answers.
pub type FieldErrors = BTreeMap<String, &'static str>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Input that does not parse or breaks a rule; `fields` says which field and why.
    #[error("validation failed: {fields:?}")]
    Validation { fields: FieldErrors },
    /// The request is well formed but the current state forbids it.
    #[error("conflict: {code}")]
    Conflict { code: &'static str },
}

impl DomainError {
    pub fn field(name: &str, code: &'static str) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(name.to_owned(), code);
        DomainError::Validation { fields }
    }

    pub fn conflict(code: &'static str) -> Self {
        DomainError::Conflict { code }
    }
}

/// Collects field errors while parsing a whole form, so one answer names every bad field.
#[derive(Debug, Default)]
pub struct FieldCheck {
    fields: FieldErrors,
}

impl FieldCheck {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value if it parsed, remembers the field's error otherwise.
    pub fn take<T>(&mut self, field: &str, parsed: Result<T, &'static str>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(code) => {
                self.fields.entry(field.to_owned()).or_insert(code);
                None
            }
        }
    }

    pub fn fail(&mut self, field: &str, code: &'static str) {
        self.fields.entry(field.to_owned()).or_insert(code);
    }

    pub fn finish(self) -> Result<(), DomainError> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation {
                fields: self.fields,
            })
        }
    }
}
