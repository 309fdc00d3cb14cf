//! Councils (理事会) and workrooms (工作室/接待室): who sits on each unit's council, in which
//! capacity and for which term, and where the unit receives residents.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use std::collections::{HashMap, HashSet};

use crate::access::Reach;
use crate::demand::intake::{optional_text, required_text};
use crate::division_import::RowError;
use crate::error::{DomainError, FieldCheck};
use crate::ids::UnitId;
use crate::personal_data::parse_phone;
use crate::unit::UnitPath;

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
        let start = check.take("term_start", crate::dates::check_day(self.term_start));
        let end = match self.term_end {
            Some(end) => check
                .take("term_end", crate::dates::check_day(end))
                .map(Some),
            None => Some(None),
        };
        let term = match (start, end) {
            (Some(start), Some(end)) => check.take("term_end", Term::new(start, end)),
            _ => None,
        };
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

/// A member row of an imported file (`unit_code,name,category,role,term_start` then, optionally,
/// `term_end,organisation,phone`); line numbers as a spreadsheet shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberRow {
    pub line: usize,
    pub unit_code: String,
    pub name: String,
    pub category: String,
    pub role: String,
    pub term_start: String,
    pub term_end: String,
    pub organisation: String,
    pub phone: String,
}

/// A member already on record, as the import planner needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnRecord {
    pub unit: UnitId,
    pub name: String,
    pub role: CouncilRole,
    pub term: Term,
}

/// What the planner needs to know of the tenant.
pub struct MemberImportContext<'a> {
    /// Unit code → id and path.
    pub units: &'a HashMap<String, (UnitId, UnitPath)>,
    /// Where the importing administrator keeps councils.
    pub reach: &'a Reach,
    pub on_record: &'a [OnRecord],
}

/// Members to add, and how many rows were already on record (the same unit, name, role and
/// term start): importing a file twice adds nothing the second time.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MemberImportPlan {
    pub creates: Vec<(UnitId, ValidMember)>,
    pub unchanged: usize,
}

/// A day as spreadsheets write it: `2024-01-01`, `2024/1/1`, `2024.1.1`, or Excel's day number.
pub fn parse_day(raw: &str) -> Result<NaiveDate, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("required");
    }
    if let Ok(serial) = raw.parse::<u32>() {
        // Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
        return NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|epoch| epoch.checked_add_days(chrono::Days::new(u64::from(serial))))
            .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
            .ok_or("invalid_date");
    }
    let parts: Vec<&str> = raw.split(['-', '/', '.']).collect();
    match parts[..] {
        [y, m, d] => match (y.parse(), m.parse(), d.parse()) {
            (Ok(y), Ok(m), Ok(d)) => NaiveDate::from_ymd_opt(y, m, d).ok_or("invalid_date"),
            _ => Err("invalid_date"),
        },
        _ => Err("invalid_date"),
    }
}

/// Checks every row; a file with any bad row imports nothing and names them all.
pub fn plan_member_import(
    rows: &[MemberRow],
    ctx: &MemberImportContext<'_>,
) -> Result<MemberImportPlan, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut plan = MemberImportPlan::default();
    let mut chairs: HashMap<UnitId, Vec<Term>> = HashMap::new();
    for r in ctx
        .on_record
        .iter()
        .filter(|r| r.role == CouncilRole::Chair)
    {
        chairs.entry(r.unit).or_default().push(r.term);
    }
    let mut seen: HashSet<(UnitId, String, CouncilRole, NaiveDate)> = HashSet::new();
    for row in rows {
        let mut fail = |reason: &str| {
            errors.push(RowError {
                line: row.line,
                code: row.unit_code.trim().to_owned(),
                reason: reason.to_owned(),
            })
        };
        let unit = match ctx.units.get(row.unit_code.trim()) {
            Some((id, path)) if ctx.reach.covers(path) => *id,
            _ => {
                fail("unknown_unit");
                continue;
            }
        };
        let parsed = (
            MemberCategory::parse(&row.category),
            CouncilRole::parse(&row.role),
            parse_day(&row.term_start),
            match row.term_end.trim() {
                "" => Ok(None),
                raw => parse_day(raw).map(Some),
            },
        );
        let (category, role, start, end) = match parsed {
            (Ok(c), Ok(r), Ok(s), Ok(e)) => (c, r, s, e),
            (c, r, s, e) => {
                let reason = [
                    c.err(),
                    r.err(),
                    s.err().map(|_| "invalid_term_start"),
                    e.err(),
                ]
                .into_iter()
                .flatten()
                .next()
                .unwrap_or("invalid_row");
                fail(reason);
                continue;
            }
        };
        let form = MemberForm {
            name: row.name.clone(),
            category,
            role,
            organisation: Some(row.organisation.clone()),
            term_start: start,
            term_end: end,
            // A masked number (from an export) carries no number.
            phone: Some(row.phone.clone()).filter(|p| !p.contains('*')),
        };
        let member = match form.validate() {
            Ok(m) => m,
            Err(DomainError::Validation { fields }) => {
                let (field, code) = fields.into_iter().next().unwrap_or_default();
                fail(if field == "name" && code == "required" {
                    "missing_name"
                } else {
                    code
                });
                continue;
            }
            Err(_) => {
                fail("invalid_row");
                continue;
            }
        };
        let key = (unit, member.name.clone(), member.role, member.term.start);
        let recorded = ctx.on_record.iter().any(|r| {
            (r.unit, r.name.as_str(), r.role, r.term.start)
                == (unit, member.name.as_str(), member.role, member.term.start)
        });
        if recorded {
            plan.unchanged += 1;
            continue;
        }
        if !seen.insert(key) {
            fail("duplicate_member");
            continue;
        }
        if member.role == CouncilRole::Chair {
            let terms = chairs.entry(unit).or_default();
            if check_one_chair(member.role, &member.term, terms).is_err() {
                fail("council_has_chair");
                continue;
            }
            terms.push(member.term);
        }
        plan.creates.push((unit, member));
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
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
    fn a_term_falls_in_the_years_2000_to_2100() {
        let mut f = form();
        f.term_start = day("9999-01-01");
        f.term_end = Some(day("9999-12-31"));
        let DomainError::Validation { fields } = f.validate().unwrap_err() else {
            panic!("a validation error");
        };
        assert_eq!(fields.get("term_start"), Some(&"date_out_of_range"));
        assert_eq!(fields.get("term_end"), Some(&"date_out_of_range"));
        let mut f = form();
        f.term_end = Some(day("2101-01-01"));
        let DomainError::Validation { fields } = f.validate().unwrap_err() else {
            panic!("a validation error");
        };
        assert_eq!(fields.get("term_end"), Some(&"date_out_of_range"));
        let mut f = form();
        f.term_end = Some(day("2100-12-31"));
        assert!(f.validate().is_ok());
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

    fn row(line: usize, code: &str, name: &str, role: &str, start: &str) -> MemberRow {
        MemberRow {
            line,
            unit_code: code.into(),
            name: name.into(),
            category: "群众代表".into(),
            role: role.into(),
            term_start: start.into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_import_names_every_bad_row_and_skips_what_is_on_record() {
        let east = UnitId(uuid::Uuid::from_u128(1));
        let west = UnitId(uuid::Uuid::from_u128(2));
        let east_path = UnitPath::root(east);
        let units = HashMap::from([
            ("990101001000".to_owned(), (east, east_path.clone())),
            ("990101002000".to_owned(), (west, UnitPath::root(west))),
        ]);
        let reach = Reach::Subtrees(vec![east_path]);
        let on_record = [OnRecord {
            unit: east,
            name: "王建华".into(),
            role: CouncilRole::Chair,
            term: Term::new(day("2022-01-01"), None).unwrap(),
        }];
        let ctx = MemberImportContext {
            units: &units,
            reach: &reach,
            on_record: &on_record,
        };
        let good = [
            row(2, "990101001000", "王建华", "理事长", "2022-01-01"),
            row(3, "990101001000", "李秀英", "理事", "2023/3/1"),
            row(4, "990101001000", "张国强", "副理事长", "45292"),
        ];
        let plan = plan_member_import(&good, &ctx).unwrap();
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.creates.len(), 2);
        assert_eq!(plan.creates[1].1.term.start, day("2024-01-01"));

        let bad = [
            row(2, "990101002000", "越界", "理事", "2024-01-01"),
            row(3, "990101001000", "赵志刚", "理事长", "2024-01-01"),
            row(4, "990101001000", "", "理事", "2024-01-01"),
            row(5, "990101001000", "钱", "秘书", "2024-01-01"),
            row(6, "990101001000", "孙", "理事", "明年"),
            row(7, "990101001000", "李秀英", "理事", "2023-03-01"),
            row(8, "990101001000", "李秀英", "理事", "2023-03-01"),
        ];
        let errors = plan_member_import(&bad, &ctx).unwrap_err();
        let reasons: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (2, "unknown_unit"),
                (3, "council_has_chair"),
                (4, "missing_name"),
                (5, "invalid_council_role"),
                (6, "invalid_term_start"),
                (8, "duplicate_member"),
            ]
        );
    }
}
