//! Accountability (行政问责): who let a demand go overdue answers for it. The sweeper raises
//! warnings (预警) and, when an overdue is serious or repeated, a case that a leader reviews and
//! decides: open → under_review → decided (no fault, talk 约谈, notice of criticism 通报批评,
//! other) → closed.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    UnderReview,
    Decided,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 4] = [
        CaseStatus::Open,
        CaseStatus::UnderReview,
        CaseStatus::Decided,
        CaseStatus::Closed,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::UnderReview => "under_review",
            CaseStatus::Decided => "decided",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or("invalid_case_status")
    }

    /// (zh, en)
    pub fn labels(&self) -> (&'static str, &'static str) {
        match self {
            CaseStatus::Open => ("待处理", "Open"),
            CaseStatus::UnderReview => ("审查中", "Under review"),
            CaseStatus::Decided => ("已决定", "Decided"),
            CaseStatus::Closed => ("已结案", "Closed"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 不予追责
    NoFault,
    /// 约谈
    Talk,
    /// 通报批评
    NoticeOfCriticism,
    /// 其他（附说明）
    Other,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::NoFault => "no_fault",
            Outcome::Talk => "talk",
            Outcome::NoticeOfCriticism => "notice_of_criticism",
            Outcome::Other => "other",
        }
    }

    /// (zh, en)
    pub fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Outcome::NoFault => ("不予追责", "No fault"),
            Outcome::Talk => ("约谈", "Talk"),
            Outcome::NoticeOfCriticism => ("通报批评", "Notice of criticism"),
            Outcome::Other => ("其他", "Other"),
        }
    }
}

/// A step in a case's workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseStep {
    Review,
    Decide,
    Close,
}

/// The status a step leads to, or `illegal_case_transition` (a 409).
pub fn next_status(from: CaseStatus, step: CaseStep) -> Result<CaseStatus, &'static str> {
    match (from, step) {
        (CaseStatus::Open, CaseStep::Review) => Ok(CaseStatus::UnderReview),
        (CaseStatus::UnderReview, CaseStep::Decide) => Ok(CaseStatus::Decided),
        (CaseStatus::Decided, CaseStep::Close) => Ok(CaseStatus::Closed),
        _ => Err("illegal_case_transition"),
    }
}

/// A decision needs words when it is "other", and never more than a page.
pub fn check_decision(
    outcome: Outcome,
    text: Option<&str>,
) -> Result<Option<String>, &'static str> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    match (outcome, text) {
        (Outcome::Other, None) => Err("outcome_text_required"),
        (_, Some(t)) if t.chars().count() > 2_000 => Err("too_long"),
        (_, t) => Ok(t.map(str::to_owned)),
    }
}

/// When an overdue becomes a case: serious (this long past its deadline) or repeated (this many
/// demands of one unit gone overdue within the window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountabilityRules {
    pub serious_after_days: u32,
    pub repeated_count: u32,
    pub repeated_window_days: u32,
}

impl Default for AccountabilityRules {
    fn default() -> Self {
        Self {
            serious_after_days: 5,
            repeated_count: 3,
            repeated_window_days: 30,
        }
    }
}

/// Why a case is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseReason {
    /// Overdue longer than `serious_after_days`.
    SeriousOverdue,
    /// The unit let `repeated_count` demands go overdue within the window.
    RepeatedOverdue,
}

impl CaseReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            CaseReason::SeriousOverdue => "serious_overdue",
            CaseReason::RepeatedOverdue => "repeated_overdue",
        }
    }
}

impl AccountabilityRules {
    /// Whether a demand overdue since `due` (and the unit's count of overdue demands in the
    /// window, this one included) calls for a case at `now`.
    pub fn case_reason(
        &self,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
        unit_overdue_in_window: u64,
    ) -> Option<CaseReason> {
        if now >= due + Duration::days(i64::from(self.serious_after_days)) {
            Some(CaseReason::SeriousOverdue)
        } else if self.repeated_count > 0
            && unit_overdue_in_window >= u64::from(self.repeated_count)
        {
            Some(CaseReason::RepeatedOverdue)
        } else {
            None
        }
    }

    pub fn validate(&self) -> Result<(), &'static str> {
        let ok = (1..=365).contains(&self.serious_after_days)
            && self.repeated_count <= 1_000
            && (1..=366).contains(&self.repeated_window_days);
        if ok {
            Ok(())
        } else {
            Err("accountability_rule_out_of_range")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_case_walks_open_review_decide_close_and_nothing_else() {
        use CaseStatus::*;
        use CaseStep::*;
        assert_eq!(next_status(Open, Review), Ok(UnderReview));
        assert_eq!(next_status(UnderReview, Decide), Ok(Decided));
        assert_eq!(next_status(Decided, Close), Ok(Closed));
        for (from, step) in [
            (Open, Decide),
            (Open, Close),
            (UnderReview, Close),
            (Closed, Review),
            (Decided, Decide),
        ] {
            assert_eq!(next_status(from, step), Err("illegal_case_transition"));
        }
    }

    #[test]
    fn other_needs_words() {
        assert_eq!(
            check_decision(Outcome::Other, Some("  ")),
            Err("outcome_text_required")
        );
        assert_eq!(check_decision(Outcome::Talk, None), Ok(None));
        assert_eq!(
            check_decision(Outcome::Other, Some(" 责令书面检查 ")),
            Ok(Some("责令书面检查".into()))
        );
    }

    #[test]
    fn serious_or_repeated_overdue_opens_a_case() {
        let rules = AccountabilityRules::default();
        let due = Utc.with_ymd_and_hms(2026, 3, 2, 16, 0, 0).unwrap();
        assert_eq!(rules.case_reason(due, due + Duration::days(1), 1), None);
        assert_eq!(
            rules.case_reason(due, due + Duration::days(5), 1),
            Some(CaseReason::SeriousOverdue)
        );
        assert_eq!(
            rules.case_reason(due, due + Duration::hours(1), 3),
            Some(CaseReason::RepeatedOverdue)
        );
        assert_eq!(rules.validate(), Ok(()));
    }
}
