//! Councils (理事会) and workrooms (工作室/接待室): who sits on each unit's council, in which
//! capacity and for which term, and where the unit receives residents.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::demand::intake::{optional_text, required_text};
use crate::error::{DomainError, FieldCheck};
use crate::personal_data::parse_phone;

/// Who a council member is there for (the programme's seven categories).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberCategory {
    /// 主要领导
    PrincipalLeader,
    /// 单位代表
    UnitRepresentative,
    /// 群众代表
    ResidentRepresentative,
    /// 退休人员
    Retiree,
    /// 人大代表
    NpcDeputy,
    /// 政协委员
    CppccMember,
    /// 党代表
    PartyDelegate,
}

impl MemberCategory {
    pub const ALL: [MemberCategory; 7] = [
        MemberCategory::PrincipalLeader,
        MemberCategory::UnitRepresentative,
        MemberCategory::ResidentRepresentative,
        MemberCategory::Retiree,
        MemberCategory::NpcDeputy,
        MemberCategory::CppccMember,
        MemberCategory::PartyDelegate,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            MemberCategory::PrincipalLeader => "principal_leader",
            MemberCategory::UnitRepresentative => "unit_representative",
            MemberCategory::ResidentRepresentative => "resident_representative",
            MemberCategory::Retiree => "retiree",
            MemberCategory::NpcDeputy => "npc_deputy",
            MemberCategory::CppccMember => "cppcc_member",
            MemberCategory::PartyDelegate => "party_delegate",
        }
    }

    /// The stored name, or the Chinese label as a spreadsheet writes it.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == raw || c.label().0 == raw)
            .ok_or("invalid_member_category")
    }

    /// (zh, en)
    pub fn label(&self) -> (&'static str, &'static str) {
        match self {
            MemberCategory::PrincipalLeader => ("主要领导", "Principal leader"),
            MemberCategory::UnitRepresentative => ("单位代表", "Unit representative"),
            MemberCategory::ResidentRepresentative => ("群众代表", "Resident representative"),
            MemberCategory::Retiree => ("退休人员", "Retiree"),
            MemberCategory::NpcDeputy => ("人大代表", "People's congress deputy"),
            MemberCategory::CppccMember => ("政协委员", "CPPCC member"),
            MemberCategory::PartyDelegate => ("党代表", "Party congress delegate"),
        }
    }
}

/// A member's office on the council.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CouncilRole {
    /// 理事长
    Chair,
    /// 副理事长
    ViceChair,
    /// 理事
    Member,
}

impl CouncilRole {
    pub const ALL: [CouncilRole; 3] = [
        CouncilRole::Chair,
        CouncilRole::ViceChair,
        CouncilRole::Member,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            CouncilRole::Chair => "chair",
            CouncilRole::ViceChair => "vice_chair",
            CouncilRole::Member => "member",
        }
    }

    /// The stored name, or the Chinese title as a spreadsheet writes it.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw || r.label().0 == raw)
            .ok_or("invalid_council_role")
    }

    /// (zh, en)
    pub fn label(&self) -> (&'static str, &'static str) {
        match self {
            CouncilRole::Chair => ("理事长", "Chair"),
            CouncilRole::ViceChair => ("副理事长", "Vice-chair"),
            CouncilRole::Member => ("理事", "Member"),
        }
    }
}

/// A term of office: from `start`, to `end` inclusive when it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

impl Term {
    pub fn new(start: NaiveDate, end: Option<NaiveDate>) -> Result<Self, &'static str> {
        match end {
            Some(e) if e < start => Err("term_ends_before_start"),
            _ => Ok(Self { start, end }),
        }
    }

    /// Serving on `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.start <= day && self.end.is_none_or(|e| day <= e)
    }

    /// The two terms share at least one day.
    pub fn overlaps(&self, other: &Term) -> bool {
        let ends_before = |a: &Term, b: &Term| a.end.is_some_and(|e| e < b.start);
        !ends_before(self, other) && !ends_before(other, self)
    }
}

/// A council member as the form, the API or an imported row gives it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MemberForm {
    pub name: String,
    pub category: MemberCategory,
    pub role: CouncilRole,
    /// Where the member works or whom they represent (e.g. 区民政局).
    #[serde(default)]
    pub organisation: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub term_start: NaiveDate,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub term_end: Option<NaiveDate>,
    /// Stored encrypted, shown masked (138****5678).
    #[serde(default)]
    pub phone: Option<String>,
}

/// A member whose every field passed its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidMember {
    pub name: String,
    pub category: MemberCategory,
    pub role: CouncilRole,
    pub organisation: Option<String>,
    pub term: Term,
    pub phone: Option<String>,
}

impl MemberForm {
    pub fn validate(self) -> Result<ValidMember, DomainError> {
        let mut check = FieldCheck::new();
        let name = check.take("name", required_text(&self.name, 50));
        let organisation = check.take(
            "organisation",
            optional_text(self.organisation.as_deref(), 100),
        );
        let term = check.take("term_end", Term::new(self.term_start, self.term_end));
        let phone = check.take(
            "phone",
            match optional_text(self.phone.as_deref(), 40) {
                Ok(Some(p)) => parse_phone(&p).map(Some),
                other => other,
            },
        );
        check.finish()?;
        let missing = || DomainError::field("form", "required");
        Ok(ValidMember {
            name: name.ok_or_else(missing)?,
            category: self.category,
            role: self.role,
            organisation: organisation.flatten(),
            term: term.ok_or_else(missing)?,
            phone: phone.flatten(),
        })
    }
}

/// A council has one chair at a time: `term` of a new or changed chair may not overlap the
/// term of another chair of the same council.
pub fn check_one_chair(
    role: CouncilRole,
    term: &Term,
    other_chairs: &[Term],
) -> Result<(), DomainError> {
    if role == CouncilRole::Chair && other_chairs.iter().any(|t| t.overlaps(term)) {
        Err(DomainError::conflict("council_has_chair"))
    } else {
        Ok(())
    }
}

/// A unit's workroom as the form or API gives it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WorkroomForm {
    /// e.g. 洪城路社区民声通道工作室
    pub name: String,
    pub address: String,
    /// e.g. 周一至周五 8:30–17:30，周三晚 19:00–21:00
    pub opening_hours: String,
    /// Names of the staff on duty (值班人员).
    #[serde(default)]
    pub staff_on_duty: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidWorkroom {
    pub name: String,
    pub address: String,
    pub opening_hours: String,
    pub staff_on_duty: Vec<String>,
}

impl WorkroomForm {
    pub fn validate(self) -> Result<ValidWorkroom, DomainError> {
        let mut check = FieldCheck::new();
        let name = check.take("name", required_text(&self.name, 100));
        let address = check.take("address", required_text(&self.address, 300));
        let opening_hours = check.take("opening_hours", required_text(&self.opening_hours, 200));
        let staff = check.take(
            "staff_on_duty",
            if self.staff_on_duty.len() > 50 {
                Err("too_many")
            } else {
                self.staff_on_duty
                    .iter()
                    .map(|s| required_text(s, 50))
                    .collect::<Result<Vec<_>, _>>()
            },
        );
        check.finish()?;
        let missing = || DomainError::field("form", "required");
        Ok(ValidWorkroom {
            name: name.ok_or_else(missing)?,
            address: address.ok_or_else(missing)?,
            opening_hours: opening_hours.ok_or_else(missing)?,
            staff_on_duty: staff.ok_or_else(missing)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn form() -> MemberForm {
        MemberForm {
            name: " 李建国 ".into(),
            category: MemberCategory::ResidentRepresentative,
            role: CouncilRole::Member,
            organisation: Some(" ".into()),
            term_start: day("2024-01-01"),
            term_end: Some(day("2026-12-31")),
            phone: Some("139 0791 2345".into()),
        }
    }

    #[test]
    fn a_member_is_trimmed_and_blank_optionals_are_none() {
        let m = form().validate().unwrap();
        assert_eq!(m.name, "李建国");
        assert_eq!(m.organisation, None);
        assert_eq!(m.phone.as_deref(), Some("13907912345"));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let mut f = form();
        f.name = "  ".into();
        f.term_end = Some(day("2023-12-31"));
        f.phone = Some("call me".into());
        let DomainError::Validation { fields } = f.validate().unwrap_err() else {
            panic!("a validation error");
        };
        assert_eq!(fields.get("name"), Some(&"required"));
        assert_eq!(fields.get("term_end"), Some(&"term_ends_before_start"));
        assert_eq!(fields.get("phone"), Some(&"invalid_phone"));
    }

    #[test]
    fn categories_and_roles_read_their_names_and_their_chinese_labels() {
        assert_eq!(
            MemberCategory::parse("人大代表"),
            Ok(MemberCategory::NpcDeputy)
        );
        assert_eq!(
            MemberCategory::parse("retiree"),
            Ok(MemberCategory::Retiree)
        );
        assert!(MemberCategory::parse("代表").is_err());
        assert_eq!(CouncilRole::parse(" 副理事长 "), Ok(CouncilRole::ViceChair));
        assert_eq!(CouncilRole::parse("chair"), Ok(CouncilRole::Chair));
    }

    #[test]
    fn terms_overlap_when_they_share_a_day() {
        let t = |a: &str, b: Option<&str>| Term::new(day(a), b.map(day)).unwrap();
        let first = t("2021-01-01", Some("2023-12-31"));
        assert!(!first.overlaps(&t("2024-01-01", None)));
        assert!(first.overlaps(&t("2023-12-31", None)));
        assert!(t("2024-01-01", None).overlaps(&t("2030-01-01", None)));
        assert!(first.covers(day("2023-12-31")));
        assert!(!first.covers(day("2024-01-01")));
    }

    #[test]
    fn a_council_has_one_chair_at_a_time() {
        let term = Term::new(day("2024-01-01"), None).unwrap();
        let old = Term::new(day("2020-01-01"), Some(day("2023-12-31"))).unwrap();
        assert!(check_one_chair(CouncilRole::Chair, &term, &[old]).is_ok());
        let current = Term::new(day("2022-01-01"), None).unwrap();
        assert_eq!(
            check_one_chair(CouncilRole::Chair, &term, &[current]),
            Err(DomainError::conflict("council_has_chair"))
        );
        assert!(check_one_chair(CouncilRole::ViceChair, &term, &[current]).is_ok());
    }

    #[test]
    fn a_workroom_needs_a_name_an_address_and_hours() {
        let bad = WorkroomForm {
            name: "洪城路社区民声通道工作室".into(),
            address: " ".into(),
            opening_hours: "周一至周五 8:30-17:30".into(),
            staff_on_duty: vec!["王芳".into(), " ".into()],
        };
        let DomainError::Validation { fields } = bad.validate().unwrap_err() else {
            panic!("a validation error");
        };
        assert_eq!(fields.get("address"), Some(&"required"));
        assert_eq!(fields.get("staff_on_duty"), Some(&"required"));
    }
}
