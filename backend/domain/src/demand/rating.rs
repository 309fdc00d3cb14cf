//! The resident's own rating (群众评价) of a resolution: given on the public receipt page with the
//! receipt code — and, where the resident left a phone, its last four digits — once per
//! resolution. A reviewer's follow-up call (回访) records the same rating for them.
use serde::{Deserialize, Serialize};

use super::Satisfaction;
use super::intake::optional_text;
use crate::error::DomainError;

/// `POST /api/v1/public/{tenant}/demands/{code}/rating`: what the receipt page sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PublicRatingForm {
    pub satisfaction: Satisfaction,
    /// In the resident's words (at most 2,000 characters).
    #[serde(default)]
    pub comment: Option<String>,
    /// The last four digits of the phone given with the demand; required where one was.
    #[serde(default)]
    pub phone_last4: Option<String>,
}

/// Why a rating through the receipt was refused: the demand awaits none (it has not been
/// resolved and its feedback given, or this resolution was rated already).
pub const RATING_NOT_OPEN: &str = "rating_not_open";

/// The last four digits the resident must give: those of the phone left with the demand, as
/// its mask shows them (138****5678 → 5678). None where no phone was left.
pub fn phone_digits(masked: Option<&str>) -> Option<String> {
    let digits: Vec<char> = masked?.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 4).then(|| digits[digits.len() - 4..].iter().collect())
}

impl PublicRatingForm {
    /// Checks the form against the phone left with the demand (its mask); answers the comment
    /// trimmed, or the field that is wrong.
    pub fn check(&self, phone_masked: Option<&str>) -> Result<Option<String>, DomainError> {
        if let Some(expected) = phone_digits(phone_masked) {
            match self.phone_last4.as_deref().map(str::trim) {
                None | Some("") => return Err(DomainError::field("phone_last4", "required")),
                Some(given) if given != expected => {
                    return Err(DomainError::field("phone_last4", "phone_digits_mismatch"));
                }
                Some(_) => {}
            }
        }
        optional_text(self.comment.as_deref(), 2_000)
            .map_err(|code| DomainError::field("comment", code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(last4: Option<&str>) -> PublicRatingForm {
        PublicRatingForm {
            satisfaction: Satisfaction::Satisfied,
            comment: Some("  路灯修好了 ".into()),
            phone_last4: last4.map(str::to_owned),
        }
    }

    #[test]
    fn the_last_four_digits_come_from_the_phones_mask() {
        assert_eq!(phone_digits(Some("138****5678")).as_deref(), Some("5678"));
        assert_eq!(phone_digits(Some("0791-****1234")).as_deref(), Some("1234"));
        assert_eq!(phone_digits(None), None);
    }

    #[test]
    fn a_phone_left_with_the_demand_must_be_matched() {
        let mask = Some("138****5678");
        assert_eq!(
            form(Some("5678")).check(mask),
            Ok(Some("路灯修好了".into()))
        );
        assert_eq!(
            form(Some("1234")).check(mask),
            Err(DomainError::field("phone_last4", "phone_digits_mismatch"))
        );
        assert_eq!(
            form(None).check(mask),
            Err(DomainError::field("phone_last4", "required"))
        );
        // No phone left: the receipt code is enough.
        assert!(form(None).check(None).is_ok());
    }
}
