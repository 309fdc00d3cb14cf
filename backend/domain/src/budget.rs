//! Budgets (经费): money in integer fen, never floats; allocations per unit and fiscal year,
//! spending checked against them by the tenant's rule, and corrections that reverse an
//! expenditure instead of deleting it.
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::demand::intake::{optional_text, required_text};
use crate::error::{DomainError, FieldCheck};
use crate::unit::UnitPath;
use crate::visits::{DEFAULT_NOTICE_LEAD_HOURS, Frequency};

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
    /// (full-width digits). At most two decimals; no sign (an amount is positive). Commas (or
    /// spaces) only group the whole yuan by three: `1,00` and `12,34,56` are `invalid_grouping`,
    /// never ¥100 or ¥123,456.
    pub fn parse_yuan(raw: &str) -> Result<Fen, &'static str> {
        let cleaned: String = raw
            .trim()
            .trim_start_matches(['¥', '￥'])
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' => '.',
                '，' => ',',
                '\u{3000}' => ' ',
                other => other,
            })
            .collect();
        if cleaned.is_empty() {
            return Err("required");
        }
        let (grouped, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let separator = |c: char| matches!(c, ',' | ' ');
        let stray = |s: &str| s.chars().any(|c| !c.is_ascii_digit() && !separator(c));
        if stray(grouped) || stray(frac) {
            return Err("invalid_amount");
        }
        let whole = ungroup(grouped)?;
        if frac.contains(separator) {
            return Err("invalid_grouping");
        }
        if !digits(&whole) || !(frac.is_empty() || digits(frac)) {
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

/// The digits of the whole yuan without their grouping: `2,200,000` or `2 200 000` is
/// `2200000`. One kind of separator throughout, 1–3 digits before the first and exactly 3
/// after each; anything else is a comma that means something else (a decimal comma, a typo).
fn ungroup(whole: &str) -> Result<String, &'static str> {
    let Some(separator) = whole.chars().find(|c| matches!(c, ',' | ' ')) else {
        return Ok(whole.to_owned());
    };
    let mut groups = whole.split(separator);
    let first = groups.next().unwrap_or("");
    let grouped = (1..=3).contains(&first.len())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
        && first.bytes().all(|b| b.is_ascii_digit());
    if grouped {
        Ok(whole.replace(separator, ""))
    } else {
        Err("invalid_grouping")
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

/// The tenant's rules for programme operations (budgets, contact points, visits), stored as
/// JSON. Fields missing from a stored document take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct OperationsRules {
    /// Spending beyond a unit's allocation for the year: refused (default), or allowed when a
    /// leader approves it.
    pub overspend: Overspend,
    /// How often a leader owes a visit to each contact point (default monthly).
    pub contact_frequency: Frequency,
    /// Hours a visit's public notice must be out before it starts (default 24, at most 720).
    pub notice_lead_hours: u32,
}

impl Default for OperationsRules {
    fn default() -> Self {
        Self {
            overspend: Overspend::default(),
            contact_frequency: Frequency::default(),
            notice_lead_hours: DEFAULT_NOTICE_LEAD_HOURS,
        }
    }
}

/// The longest lead time a tenant may ask of notices: 30 days.
pub const MAX_NOTICE_LEAD_HOURS: u32 = 720;

impl OperationsRules {
    pub fn validate(self) -> Result<Self, DomainError> {
        if self.notice_lead_hours > MAX_NOTICE_LEAD_HOURS {
            return Err(DomainError::field(
                "notice_lead_hours",
                "notice_lead_out_of_range",
            ));
        }
        Ok(self)
    }
}

/// Fiscal years the system accepts (China's fiscal year is the calendar year).
pub const FISCAL_YEARS: std::ops::RangeInclusive<i32> = crate::dates::YEARS;

fn fiscal_year(year: i32) -> Result<i32, &'static str> {
    if FISCAL_YEARS.contains(&year) {
        Ok(year)
    } else {
        Err("fiscal_year_out_of_range")
    }
}

/// A line of a unit's allocation, as the form or API gives it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineForm {
    pub fiscal_year: i32,
    /// e.g. 民情家访工作经费
    pub item: String,
    /// Yuan as people write them: `2200000`, `2,200,000.00`.
    pub amount: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidLine {
    pub fiscal_year: i32,
    pub item: String,
    pub amount: Fen,
    pub note: Option<String>,
}

impl LineForm {
    pub fn validate(self) -> Result<ValidLine, DomainError> {
        let mut check = FieldCheck::new();
        let fiscal_year = check.take("fiscal_year", fiscal_year(self.fiscal_year));
        let item = check.take("item", required_text(&self.item, 100));
        let amount = check.take("amount", positive(&self.amount));
        let note = check.take("note", optional_text(self.note.as_deref(), 500));
        check.finish()?;
        let missing = || DomainError::field("form", "required");
        Ok(ValidLine {
            fiscal_year: fiscal_year.ok_or_else(missing)?,
            item: item.ok_or_else(missing)?,
            amount: amount.ok_or_else(missing)?,
            note: note.flatten(),
        })
    }
}

fn positive(raw: &str) -> Result<Fen, &'static str> {
    let fen = Fen::parse_yuan(raw)?;
    if fen.0 == 0 {
        Err("amount_not_positive")
    } else {
        Ok(fen)
    }
}

/// An expenditure as the form or API gives it. Its fiscal year is the year of `spent_on`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExpenditureForm {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub spent_on: NaiveDate,
    pub payee: String,
    pub purpose: String,
    /// Yuan as people write them.
    pub amount: String,
    /// The demand this money answered (its category is the spending's category).
    #[serde(default)]
    pub demand_id: Option<uuid::Uuid>,
    /// Or a named project, e.g. 洪城路社区居家养老服务中心.
    #[serde(default)]
    pub project: Option<String>,
    /// A demand category key, for spending not linked to a demand.
    #[serde(default)]
    pub category: Option<String>,
    /// Spend beyond the allocation with the caller's approval (where the tenant's rule allows
    /// it and the caller may approve).
    #[serde(default)]
    pub approve: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidExpenditure {
    pub fiscal_year: i32,
    pub spent_on: NaiveDate,
    pub payee: String,
    pub purpose: String,
    pub amount: Fen,
    pub demand_id: Option<uuid::Uuid>,
    pub project: Option<String>,
    pub category: Option<String>,
    pub approve: bool,
}

impl ExpenditureForm {
    /// Checks the form; `today` (the tenant's) bounds `spent_on`: money is recorded once spent.
    pub fn validate(self, today: NaiveDate) -> Result<ValidExpenditure, DomainError> {
        let mut check = FieldCheck::new();
        let year = check.take("spent_on", fiscal_year(self.spent_on.year()));
        if self.spent_on > today {
            check.fail("spent_on", "date_in_future");
        }
        let payee = check.take("payee", required_text(&self.payee, 100));
        let purpose = check.take("purpose", required_text(&self.purpose, 500));
        let amount = check.take("amount", positive(&self.amount));
        let project = check.take("project", optional_text(self.project.as_deref(), 100));
        let category = check.take("category", optional_text(self.category.as_deref(), 40));
        let (project, category) = (project.flatten(), category.flatten());
        if self.demand_id.is_some() && project.is_some() {
            check.fail("project", "demand_or_project");
        }
        if self.demand_id.is_some() && category.is_some() {
            check.fail("category", "category_from_demand");
        }
        check.finish()?;
        let missing = || DomainError::field("form", "required");
        Ok(ValidExpenditure {
            fiscal_year: year.ok_or_else(missing)?,
            spent_on: self.spent_on,
            payee: payee.ok_or_else(missing)?,
            purpose: purpose.ok_or_else(missing)?,
            amount: amount.ok_or_else(missing)?,
            demand_id: self.demand_id,
            project,
            category,
            approve: self.approve,
        })
    }
}

/// A correction of a line or an expenditure: how much of it to reverse, and why.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CorrectionForm {
    /// Yuan to reverse: at most what is left of the original.
    pub amount: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCorrection {
    pub amount: Fen,
    pub reason: String,
}

impl CorrectionForm {
    pub fn validate(self) -> Result<ValidCorrection, DomainError> {
        let mut check = FieldCheck::new();
        let amount = check.take("amount", positive(&self.amount));
        let reason = check.take("reason", required_text(&self.reason, 500));
        check.finish()?;
        let missing = || DomainError::field("form", "required");
        Ok(ValidCorrection {
            amount: amount.ok_or_else(missing)?,
            reason: reason.ok_or_else(missing)?,
        })
    }
}

/// Money of one unit for one year (net of corrections).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub allocated: Fen,
    pub spent: Fen,
}

impl Totals {
    fn add(&mut self, other: Totals) {
        self.allocated.0 = self.allocated.0.saturating_add(other.allocated.0);
        self.spent.0 = self.spent.0.saturating_add(other.spent.0);
    }
}

/// Rolls per-unit totals up to `parts` — the root itself (its own money only) and each child
/// with its whole subtree — and the grand total. A unit outside every part is ignored.
pub fn roll_up(
    root: &UnitPath,
    children: &[UnitPath],
    per_unit: &[(UnitPath, Totals)],
) -> (Totals, Vec<Totals>) {
    let mut own = Totals::default();
    let mut parts = vec![Totals::default(); children.len()];
    let mut total = Totals::default();
    for (path, totals) in per_unit {
        if path == root {
            own.add(*totals);
        } else if let Some(i) = children.iter().position(|c| path.is_within(c)) {
            parts[i].add(*totals);
        } else {
            continue;
        }
        total.add(*totals);
    }
    parts.insert(0, own);
    (total, parts)
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
        assert_eq!(Fen::parse_yuan("¥ 1,000"), Ok(Fen(100_000)));
        assert_eq!(
            Fen::parse_yuan("２，２００，０００．００"),
            Ok(Fen(220_000_000))
        );
    }

    #[test]
    fn commas_only_group_the_yuan_by_three() {
        assert_eq!(Fen::parse_yuan("1,000"), Ok(Fen(100_000)));
        assert_eq!(Fen::parse_yuan("999,999.99"), Ok(Fen(99_999_999)));
        assert_eq!(Fen::parse_yuan("12,345,678"), Ok(Fen(1_234_567_800)));
        for bad in [
            "1,00",
            "12,34,56",
            "1,0000",
            "1234,567",
            ",100",
            "100,",
            "1,,000",
            "1,000.000,5",
            "1.000,50",
            "2,000 000",
            "1 00",
            "1，00",
        ] {
            assert_eq!(Fen::parse_yuan(bad), Err("invalid_grouping"), "{bad}");
        }
        assert_eq!(Fen::parse_yuan("1,0a0"), Err("invalid_amount"));
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

    #[test]
    fn a_line_names_every_bad_field_at_once() {
        let bad = LineForm {
            fiscal_year: 1999,
            item: " ".into(),
            amount: "0".into(),
            note: None,
        };
        let Err(DomainError::Validation { fields }) = bad.validate() else {
            panic!("accepted a bad line");
        };
        assert_eq!(fields.get("fiscal_year"), Some(&"fiscal_year_out_of_range"));
        assert_eq!(fields.get("item"), Some(&"required"));
        assert_eq!(fields.get("amount"), Some(&"amount_not_positive"));
        let good = LineForm {
            fiscal_year: 2026,
            item: "民情家访工作经费".into(),
            amount: "2,200,000".into(),
            note: None,
        };
        assert_eq!(good.validate().map(|l| l.amount), Ok(Fen(220_000_000)));
    }

    fn spending(day: &str) -> ExpenditureForm {
        ExpenditureForm {
            spent_on: day.parse().expect("day"),
            payee: "南昌市某建筑公司".into(),
            purpose: "居家养老服务中心改造".into(),
            amount: "2,000,000".into(),
            demand_id: None,
            project: Some("洪城路社区居家养老服务中心".into()),
            category: None,
            approve: false,
        }
    }

    #[test]
    fn an_expenditure_falls_in_the_year_it_was_spent_and_not_in_the_future() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).expect("day");
        let valid = spending("2026-03-15").validate(today).expect("valid");
        assert_eq!((valid.fiscal_year, valid.amount), (2026, Fen(200_000_000)));
        assert_eq!(
            spending("2026-12-03").validate(today),
            Err(DomainError::field("spent_on", "date_in_future"))
        );
        let mut both = spending("2026-03-15");
        both.demand_id = Some(uuid::Uuid::nil());
        assert_eq!(
            both.validate(today),
            Err(DomainError::field("project", "demand_or_project"))
        );
    }

    #[test]
    fn totals_roll_up_to_the_root_and_each_childs_subtree() {
        let id = |n: u128| crate::UnitId(uuid::Uuid::from_u128(n));
        let root = UnitPath::root(id(1));
        let (a, b) = (root.child(id(2)), root.child(id(3)));
        let a1 = a.child(id(4));
        let money = |allocated: i64, spent: i64| Totals {
            allocated: Fen(allocated),
            spent: Fen(spent),
        };
        let elsewhere = UnitPath::root(id(9));
        let (total, parts) = roll_up(
            &root,
            &[a.clone(), b.clone()],
            &[
                (root.clone(), money(100, 10)),
                (a.clone(), money(50, 20)),
                (a1, money(30, 30)),
                (b, money(0, 5)),
                (elsewhere, money(1_000, 1_000)),
            ],
        );
        assert_eq!(total, money(180, 65));
        assert_eq!(parts, vec![money(100, 10), money(80, 50), money(0, 5)]);
    }

    #[test]
    fn stored_rules_missing_a_field_take_its_default() {
        let rules: OperationsRules = serde_json::from_str("{}").expect("rules");
        assert_eq!(rules.overspend, Overspend::Refuse);
        assert_eq!(rules.contact_frequency, Frequency::Monthly);
        assert_eq!(rules.notice_lead_hours, 24);
        let late = OperationsRules {
            notice_lead_hours: 721,
            ..OperationsRules::default()
        };
        assert!(late.validate().is_err());
        let rules: OperationsRules =
            serde_json::from_str(r#"{"overspend":"allow_with_approval"}"#).expect("rules");
        assert_eq!(rules.overspend, Overspend::AllowWithApproval);
    }

    proptest! {
        #[test]
        fn what_is_shown_reads_back_as_the_same_amount(fen in 0i64..=MAX_ENTRY.0) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).to_string()), Ok(Fen(fen)));
        }

        #[test]
        fn a_comma_off_the_thousands_is_refused(yuan in 10u64..100_000_000, at in 1usize..9) {
            let digits = yuan.to_string();
            let at = at % digits.len();
            prop_assume!(at > 0 && (digits.len() - at) % 3 != 0);
            let typed = format!("{},{}", &digits[..at], &digits[at..]);
            prop_assert_eq!(Fen::parse_yuan(&typed), Err("invalid_grouping"));
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
