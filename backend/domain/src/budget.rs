//! Budgets (经费): money in integer fen, never floats; allocations per unit and fiscal year,
//! spending checked against them by the tenant's rule, and corrections that reverse an
//! expenditure instead of deleting it.
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// An amount of money in fen (分, 0.01 元). Signed: a correction is a negative expenditure.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Fen(pub i64);

/// The largest amount one entry may carry: ¥10,000,000,000.00, far above any unit's budget and
/// far below where sums of many entries could overflow.
pub const MAX_ENTRY: Fen = Fen(1_000_000_000_000);

impl Fen {
    /// Reads yuan as people write them: `2200000`, `2,200,000.00`, `¥2 200 000.5`, `１２.３４`
    /// (full-width digits). At most two decimals; no sign (an amount is positive).
    pub fn parse_yuan(raw: &str) -> Result<Fen, &'static str> {
        let cleaned: String = raw
            .trim()
            .trim_start_matches(['¥', '￥'])
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' => '.',
                other => other,
            })
            .filter(|c| !matches!(c, ',' | '，' | ' ' | '\u{3000}'))
            .collect();
        if cleaned.is_empty() {
            return Err("required");
        }
        let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !(frac.is_empty() || digits(frac)) {
            return Err("invalid_amount");
        }
        if frac.len() > 2 {
            return Err("too_many_decimals");
        }
        let yuan: i64 = whole.parse().map_err(|_| "amount_too_large")?;
        let cents: i64 = format!("{frac:0<2}")
            .parse()
            .map_err(|_| "invalid_amount")?;
        let fen = yuan
            .checked_mul(100)
            .and_then(|f| f.checked_add(cents))
            .ok_or("amount_too_large")?;
        if fen > MAX_ENTRY.0 {
            return Err("amount_too_large");
        }
        Ok(Fen(fen))
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }
}

/// `¥2,200,000.00`, `-¥12.30`: yuan with two decimals and thousands separators.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}¥{grouped}.{:02}", abs % 100)
    }
}

/// What happens when spending would pass a unit's allocation for the year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Overspend {
    /// Refused.
    #[default]
    Refuse,
    /// Allowed when the expenditure carries an approval (who approved it).
    AllowWithApproval,
}

/// Checks one expenditure of `amount` against a unit's `allocated` money for the year, of
/// which `spent` is already spent (net of corrections).
pub fn check_spend(
    allocated: Fen,
    spent: Fen,
    amount: Fen,
    rule: Overspend,
    approved: bool,
) -> Result<(), DomainError> {
    if amount.0 <= 0 {
        return Err(DomainError::field("amount", "amount_not_positive"));
    }
    let after = spent
        .checked_add(amount)
        .ok_or(DomainError::field("amount", "amount_too_large"))?;
    if after <= allocated {
        return Ok(());
    }
    match (rule, approved) {
        (Overspend::AllowWithApproval, true) => Ok(()),
        (Overspend::AllowWithApproval, false) => Err(DomainError::conflict("approval_required")),
        (Overspend::Refuse, _) => Err(DomainError::conflict("budget_exceeded")),
    }
}

/// Checks a correction of an expenditure of `original`, of which `corrected` is already
/// reversed: a correction reverses at most what is left, never more.
pub fn check_correction(original: Fen, corrected: Fen, reversal: Fen) -> Result<(), DomainError> {
    if reversal.0 <= 0 {
        return Err(DomainError::field("amount", "amount_not_positive"));
    }
    if corrected.0 + reversal.0 > original.0 {
        return Err(DomainError::conflict("correction_exceeds_expenditure"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn yuan_are_read_as_people_write_them() {
        assert_eq!(Fen::parse_yuan("2200000"), Ok(Fen(220_000_000)));
        assert_eq!(Fen::parse_yuan("¥2,200,000.00"), Ok(Fen(220_000_000)));
        assert_eq!(Fen::parse_yuan(" ￥2 000 000.5 "), Ok(Fen(200_000_050)));
        assert_eq!(Fen::parse_yuan("１２．３４"), Ok(Fen(1_234)));
        assert_eq!(Fen::parse_yuan("0.07"), Ok(Fen(7)));
        assert_eq!(Fen::parse_yuan(""), Err("required"));
        assert_eq!(Fen::parse_yuan("12.345"), Err("too_many_decimals"));
        assert_eq!(Fen::parse_yuan("-5"), Err("invalid_amount"));
        assert_eq!(Fen::parse_yuan("1e5"), Err("invalid_amount"));
        assert_eq!(Fen::parse_yuan("12."), Ok(Fen(1_200)));
        assert_eq!(Fen::parse_yuan(".5"), Err("invalid_amount"));
        assert_eq!(
            Fen::parse_yuan("99999999999999999999"),
            Err("amount_too_large")
        );
        assert_eq!(Fen::parse_yuan("10000000000.01"), Err("amount_too_large"));
    }

    #[test]
    fn amounts_show_in_yuan_with_two_decimals() {
        assert_eq!(Fen(220_000_000).to_string(), "¥2,200,000.00");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(-1_230).to_string(), "-¥12.30");
        assert_eq!(Fen(100_000).to_string(), "¥1,000.00");
    }

    #[test]
    fn spending_beyond_the_allocation_follows_the_tenant_rule() {
        let (allocated, spent) = (Fen(220_000_000), Fen(200_000_000));
        assert!(check_spend(allocated, spent, Fen(20_000_000), Overspend::Refuse, false).is_ok());
        assert_eq!(
            check_spend(allocated, spent, Fen(20_000_001), Overspend::Refuse, true),
            Err(DomainError::conflict("budget_exceeded"))
        );
        assert_eq!(
            check_spend(
                allocated,
                spent,
                Fen(30_000_000),
                Overspend::AllowWithApproval,
                false
            ),
            Err(DomainError::conflict("approval_required"))
        );
        assert!(
            check_spend(
                allocated,
                spent,
                Fen(30_000_000),
                Overspend::AllowWithApproval,
                true
            )
            .is_ok()
        );
        assert!(check_spend(allocated, spent, Fen(0), Overspend::Refuse, false).is_err());
    }

    #[test]
    fn a_correction_reverses_at_most_what_is_left() {
        assert!(check_correction(Fen(1_000), Fen(0), Fen(1_000)).is_ok());
        assert!(check_correction(Fen(1_000), Fen(600), Fen(400)).is_ok());
        assert_eq!(
            check_correction(Fen(1_000), Fen(600), Fen(401)),
            Err(DomainError::conflict("correction_exceeds_expenditure"))
        );
    }

    proptest! {
        #[test]
        fn what_is_shown_reads_back_as_the_same_amount(fen in 0i64..=MAX_ENTRY.0) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).to_string()), Ok(Fen(fen)));
        }

        #[test]
        fn within_the_allocation_is_always_allowed(
            allocated in 1i64..1_000_000_000, spent_part in 0.0f64..1.0, amount_part in 0.0f64..1.0,
        ) {
            let spent = (allocated as f64 * spent_part) as i64;
            let amount = ((allocated - spent) as f64 * amount_part) as i64 + 1;
            prop_assume!(spent + amount <= allocated);
            prop_assert!(check_spend(Fen(allocated), Fen(spent), Fen(amount), Overspend::Refuse, false).is_ok());
        }
    }
}
