//! Checking what a recorder typed before it enters the ledger: every bad field is named at once.
use serde::{Deserialize, Serialize};

use super::{Channel, Grade, parse_category_key};
use crate::error::{DomainError, FieldCheck};
use crate::ids::UnitId;
use crate::personal_data::{parse_id_number, parse_phone};

/// A new demand as the form or API sends it; a field it does not know is refused, as on
/// every other form.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntakeForm {
    /// The community or village the resident lives in.
    pub origin_unit: UnitId,
    pub channel: Channel,
    pub grade: Grade,
    pub category: String,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub address: Option<String>,
    /// Optional: a resident may stay anonymous.
    #[serde(default)]
    pub resident_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    /// The visit it was raised at, if any.
    #[serde(default)]
    pub visit: Option<uuid::Uuid>,
}

/// What a resident sends through the public online form (the portal sends this very type): an
/// intake on the `online` channel, without an ID number or a visit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PublicIntakeForm {
    /// The resident's community or village (from `GET /public/{tenant}/units`).
    pub origin_unit: UnitId,
    /// A category key (from `GET /public/{tenant}/categories`).
    pub category: String,
    /// How pressing: `urgent` (急, the default), `worrying` (愁), `hard` (难), `hoped_for` (盼).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    pub title: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Optional: a resident may stay anonymous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident_name: Option<String>,
    /// Optional, for progress messages; sealed at rest and never shown publicly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl From<PublicIntakeForm> for IntakeForm {
    fn from(f: PublicIntakeForm) -> Self {
        Self {
            origin_unit: f.origin_unit,
            channel: Channel::Online,
            grade: f.grade.unwrap_or(Grade::Urgent),
            category: f.category,
            title: f.title,
            description: f.description,
            address: f.address,
            resident_name: f.resident_name,
            phone: f.phone,
            id_number: None,
            visit: None,
        }
    }
}

/// An intake whose every field passed its rule; text is trimmed, empty optionals are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidIntake {
    pub origin_unit: UnitId,
    pub channel: Channel,
    pub grade: Grade,
    pub category: String,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub resident_name: Option<String>,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub visit: Option<uuid::Uuid>,
}

/// Trimmed text of 1..=max characters.
pub fn required_text(raw: &str, max: usize) -> Result<String, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        Err("required")
    } else if t.chars().count() > max {
        Err("too_long")
    } else {
        Ok(t.to_owned())
    }
}

/// Trimmed text of at most `max` characters; blank is `None`.
pub fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<String>, &'static str> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) if t.chars().count() > max => Err("too_long"),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

impl IntakeForm {
    pub fn validate(self) -> Result<ValidIntake, DomainError> {
        let mut check = FieldCheck::new();
        let category = check.take("category", parse_category_key(&self.category));
        let title = check.take("title", required_text(&self.title, 200));
        let description = check.take("description", required_text(&self.description, 5_000));
        let address = check.take("address", optional_text(self.address.as_deref(), 300));
        let resident_name = check.take(
            "resident_name",
            optional_text(self.resident_name.as_deref(), 100),
        );
        let phone = check.take(
            "phone",
            match optional_text(self.phone.as_deref(), 40) {
                Ok(Some(p)) => parse_phone(&p).map(Some),
                other => other,
            },
        );
        let id_number = check.take(
            "id_number",
            match optional_text(self.id_number.as_deref(), 40) {
                Ok(Some(p)) => parse_id_number(&p).map(Some),
                other => other,
            },
        );
        check.finish()?;
        let missing = || DomainError::field("form", "required");
        Ok(ValidIntake {
            origin_unit: self.origin_unit,
            channel: self.channel,
            grade: self.grade,
            category: category.ok_or_else(missing)?,
            title: title.ok_or_else(missing)?,
            description: description.ok_or_else(missing)?,
            address: address.flatten(),
            resident_name: resident_name.flatten(),
            phone: phone.flatten(),
            id_number: id_number.flatten(),
            visit: self.visit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn form() -> IntakeForm {
        IntakeForm {
            origin_unit: UnitId(Uuid::from_u128(1)),
            channel: Channel::WalkIn,
            grade: Grade::Urgent,
            category: "sanitation".into(),
            title: " 垃圾清运不及时 ".into(),
            description: "小区东门垃圾站三天没有清运".into(),
            address: Some("  ".into()),
            resident_name: None,
            phone: Some("138 1234 5678".into()),
            id_number: None,
            visit: None,
        }
    }

    #[test]
    fn a_good_form_is_trimmed_and_blank_optionals_vanish() {
        let v = form().validate().unwrap();
        assert_eq!(v.title, "垃圾清运不及时");
        assert_eq!(v.address, None);
        assert_eq!(v.phone.as_deref(), Some("13812345678"));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let mut f = form();
        f.title = "".into();
        f.category = "Bad Key".into();
        f.phone = Some("12ab".into());
        f.description = "字".repeat(5_001);
        let Err(DomainError::Validation { fields }) = f.validate() else {
            panic!("expected validation errors");
        };
        assert_eq!(fields["title"], "required");
        assert_eq!(fields["category"], "invalid_category_key");
        assert_eq!(fields["phone"], "invalid_phone");
        assert_eq!(fields["description"], "too_long");
    }
}
