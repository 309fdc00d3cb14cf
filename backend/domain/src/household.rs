//! Households (住户), the rules: a community's register — address, head of household, phone,
//! and the flags that say who most needs a visit (elderly, empty-nest elderly 空巢老人,
//! disability, low income…) — checked as a form and as imported rows, and the coverage the
//! programme asks for: every household takes part in a visit at least once.
use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::demand::intake::{optional_text, required_text};
use crate::division_import::RowError;
use crate::error::{DomainError, FieldCheck};
use crate::personal_data::parse_phone;

/// Who in a household may need the programme most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HouseholdFlag {
    /// 老年人 (60 and over).
    Elderly,
    /// 空巢老人: elderly living without their children.
    EmptyNestElderly,
    /// 残疾人.
    Disability,
    /// 低保 / 低收入.
    LowIncome,
    /// 留守儿童.
    LeftBehindChildren,
    /// 退役军人.
    Veteran,
}

impl HouseholdFlag {
    pub const ALL: [HouseholdFlag; 6] = [
        Self::Elderly,
        Self::EmptyNestElderly,
        Self::Disability,
        Self::LowIncome,
        Self::LeftBehindChildren,
        Self::Veteran,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Elderly => "elderly",
            Self::EmptyNestElderly => "empty_nest_elderly",
            Self::Disability => "disability",
            Self::LowIncome => "low_income",
            Self::LeftBehindChildren => "left_behind_children",
            Self::Veteran => "veteran",
        }
    }

    /// (Chinese, English).
    pub fn label(&self) -> (&'static str, &'static str) {
        match self {
            Self::Elderly => ("老年人", "Elderly"),
            Self::EmptyNestElderly => ("空巢老人", "Empty-nest elderly"),
            Self::Disability => ("残疾人", "Disability"),
            Self::LowIncome => ("低保/低收入", "Low income"),
            Self::LeftBehindChildren => ("留守儿童", "Left-behind children"),
            Self::Veteran => ("退役军人", "Veteran"),
        }
    }

    /// The key, or the Chinese label (as spreadsheets write it; 低保 and 低收入 alone too).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == raw || f.label().0 == raw)
            .or(match raw {
                "低保" | "低收入" => Some(Self::LowIncome),
                "空巢" => Some(Self::EmptyNestElderly),
                _ => None,
            })
            .ok_or("invalid_household_flag")
    }
}

/// A household as the form or API gives it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HouseholdForm {
    /// e.g. 洪城路12号3栋2单元301
    pub address: String,
    /// The head of household (户主).
    pub head_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub flags: Vec<HouseholdFlag>,
    /// How many people live there, if known.
    #[serde(default)]
    pub members: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidHousehold {
    pub address: String,
    pub head_name: String,
    pub phone: Option<String>,
    /// Sorted, each once.
    pub flags: Vec<HouseholdFlag>,
    pub members: Option<u32>,
}

impl HouseholdForm {
    pub fn validate(self) -> Result<ValidHousehold, DomainError> {
        let mut check = FieldCheck::new();
        let address = check.take("address", required_text(&self.address, 200));
        let head_name = check.take("head_name", required_text(&self.head_name, 50));
        let phone = check.take(
            "phone",
            match optional_text(self.phone.as_deref(), 30) {
                Ok(Some(p)) => parse_phone(&p).map(Some),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            },
        );
        if self.members.is_some_and(|m| m == 0 || m > 50) {
            check.fail("members", "out_of_range");
        }
        check.finish()?;
        let mut flags = self.flags;
        flags.sort();
        flags.dedup();
        let missing = || DomainError::field("form", "required");
        Ok(ValidHousehold {
            address: address.ok_or_else(missing)?,
            head_name: head_name.ok_or_else(missing)?,
            phone: phone.ok_or_else(missing)?,
            flags,
            members: self.members,
        })
    }
}

/// A household row of an imported file (`address,head_name` then, optionally,
/// `phone,flags,members`; flags separated by 、 , ; or spaces); line numbers as a spreadsheet
/// shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdRow {
    pub line: usize,
    pub address: String,
    pub head_name: String,
    pub phone: String,
    pub flags: String,
    pub members: String,
}

/// Households to add to one community, and how many rows were already on record (the same
/// address): importing a file twice adds nothing the second time.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct HouseholdImportPlan {
    pub creates: Vec<ValidHousehold>,
    pub unchanged: usize,
}

/// Addresses compare as people write them: spaces and case do not count.
pub fn address_key(address: &str) -> String {
    address
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Checks every row against the community's `on_record` addresses (as `address_key` gives
/// them); a file with any bad row imports nothing and names them all.
pub fn plan_household_import(
    rows: &[HouseholdRow],
    on_record: &HashSet<String>,
) -> Result<HouseholdImportPlan, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut plan = HouseholdImportPlan::default();
    let mut seen = HashSet::new();
    for row in rows {
        let mut fail = |reason: &str| {
            errors.push(RowError {
                line: row.line,
                code: row.address.trim().to_owned(),
                reason: reason.to_owned(),
            })
        };
        let flags: Result<Vec<HouseholdFlag>, _> = row
            .flags
            .split(['、', ',', '，', ';', '；', ' '])
            .filter(|f| !f.trim().is_empty())
            .map(HouseholdFlag::parse)
            .collect();
        let members = match row.members.trim() {
            "" => Ok(None),
            raw => raw.parse::<u32>().map(Some).map_err(|_| "invalid_members"),
        };
        let (flags, members) = match (flags, members) {
            (Ok(f), Ok(m)) => (f, m),
            (Err(e), _) | (_, Err(e)) => {
                fail(e);
                continue;
            }
        };
        let form = HouseholdForm {
            address: row.address.clone(),
            head_name: row.head_name.clone(),
            // A masked number (from an export) carries no number.
            phone: Some(row.phone.clone()).filter(|p| !p.contains('*')),
            flags,
            members,
        };
        let household = match form.validate() {
            Ok(h) => h,
            Err(DomainError::Validation { fields }) => {
                let reason = match fields.iter().next() {
                    Some((field, &"required")) if field == "address" => "missing_address",
                    Some((field, &"required")) if field == "head_name" => "missing_name",
                    Some((_, code)) => code,
                    None => "invalid_row",
                };
                fail(reason);
                continue;
            }
            Err(DomainError::Conflict { code }) => {
                fail(code);
                continue;
            }
        };
        let key = address_key(&household.address);
        if !seen.insert(key.clone()) {
            fail("duplicate_address");
            continue;
        }
        if on_record.contains(&key) {
            plan.unchanged += 1;
        } else {
            plan.creates.push(household);
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// The share of `households` that `reached` (took part in a visit or had an interview), in
/// per mille, rounded down: 1000 when every household took part, and when there are none.
pub fn coverage_per_mille(households: u64, reached: u64) -> u32 {
    if households == 0 {
        return 1000;
    }
    (reached.min(households) * 1000 / households) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: usize, address: &str, head: &str, phone: &str, flags: &str) -> HouseholdRow {
        HouseholdRow {
            line,
            address: address.into(),
            head_name: head.into(),
            phone: phone.into(),
            flags: flags.into(),
            members: String::new(),
        }
    }

    #[test]
    fn flags_read_as_keys_or_as_spreadsheets_write_them() {
        assert_eq!(
            HouseholdFlag::parse("空巢老人"),
            Ok(HouseholdFlag::EmptyNestElderly)
        );
        assert_eq!(HouseholdFlag::parse("低保"), Ok(HouseholdFlag::LowIncome));
        assert_eq!(
            HouseholdFlag::parse("low_income"),
            Ok(HouseholdFlag::LowIncome)
        );
        assert_eq!(HouseholdFlag::parse("富裕"), Err("invalid_household_flag"));
        for f in HouseholdFlag::ALL {
            assert_eq!(HouseholdFlag::parse(f.label().0), Ok(f));
        }
    }

    #[test]
    fn a_household_form_names_every_bad_field() {
        let ok = HouseholdForm {
            address: " 洪城路12号3栋301 ".into(),
            head_name: "王建国".into(),
            phone: Some("139 0791 2468".into()),
            flags: vec![
                HouseholdFlag::Elderly,
                HouseholdFlag::Disability,
                HouseholdFlag::Elderly,
            ],
            members: Some(2),
        }
        .validate()
        .expect("valid");
        assert_eq!(ok.address, "洪城路12号3栋301");
        assert_eq!(ok.phone.as_deref(), Some("13907912468"));
        assert_eq!(
            ok.flags,
            vec![HouseholdFlag::Elderly, HouseholdFlag::Disability]
        );
        let Err(DomainError::Validation { fields }) = (HouseholdForm {
            address: String::new(),
            head_name: String::new(),
            phone: Some("12".into()),
            flags: vec![],
            members: Some(0),
        })
        .validate() else {
            panic!("refused");
        };
        assert_eq!(fields.len(), 4, "{fields:?}");
    }

    #[test]
    fn an_import_checks_every_row_and_adds_nothing_twice() {
        let on_record: HashSet<String> = [address_key("洪城路12号3栋 301")].into();
        let plan = plan_household_import(
            &[
                row(2, "洪城路12号3栋301", "王建国", "", "空巢老人"),
                row(
                    3,
                    "洪城路12号3栋302",
                    "李秀英",
                    "139****2468",
                    "老年人、低保",
                ),
            ],
            &on_record,
        )
        .expect("a good file");
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.creates.len(), 1);
        assert_eq!(plan.creates[0].phone, None);
        assert_eq!(
            plan.creates[0].flags,
            vec![HouseholdFlag::Elderly, HouseholdFlag::LowIncome]
        );
        let errors = plan_household_import(
            &[
                row(2, "洪城路1号", "甲", "", ""),
                row(3, "洪城路 1号", "乙", "", ""),
                row(4, "", "丙", "", ""),
                row(5, "洪城路2号", "丁", "", "富裕"),
                row(6, "洪城路3号", "", "", ""),
            ],
            &HashSet::new(),
        )
        .expect_err("bad rows");
        let reasons: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (3, "duplicate_address"),
                (4, "missing_address"),
                (5, "invalid_household_flag"),
                (6, "missing_name"),
            ]
        );
    }

    #[test]
    fn coverage_is_the_share_of_households_reached() {
        assert_eq!(coverage_per_mille(0, 0), 1000);
        assert_eq!(coverage_per_mille(3, 1), 333);
        assert_eq!(coverage_per_mille(4, 4), 1000);
        assert_eq!(coverage_per_mille(4, 9), 1000);
    }
}
