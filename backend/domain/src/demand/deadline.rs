//! Deadlines (时限) per tier: when the first progress reply and the resolution are due, counted
//! in working days (the tenant's calendar, with 调休) or calendar days.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::lifecycle::Assignment;
use crate::calendar::{DayCount, WorkCalendar, due_at};
use crate::ids::UnitId;
use crate::tier::TierKey;

/// The deadlines a tier's handling unit runs against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineRule {
    pub tier: TierKey,
    /// Days until the first progress reply is due; none means no deadline.
    pub reply_days: Option<u32>,
    /// Days until resolution is due; unset until the tenant sets it.
    pub resolve_days: Option<u32>,
    pub count: DayCount,
    /// When a deadline passes, hand the demand to the parent tier automatically.
    pub auto_escalate: bool,
    /// Warn the handling unit this many hours before a deadline.
    pub warn_hours_before: u32,
}

/// A tenant's deadline rules, one per tier key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineRules(pub Vec<DeadlineRule>);

impl Default for DeadlineRules {
    /// 5 working days for a progress reply at street and community level (急), 15 at county
    /// level (愁), 30 for city (and province) coordination (难/盼); no resolution deadline.
    fn default() -> Self {
        let rule = |tier, days| DeadlineRule {
            tier,
            reply_days: Some(days),
            resolve_days: None,
            count: DayCount::Working,
            auto_escalate: false,
            warn_hours_before: 24,
        };
        Self(vec![
            rule(TierKey::Province, 30),
            rule(TierKey::City, 30),
            rule(TierKey::County, 15),
            rule(TierKey::Street, 5),
            rule(TierKey::Community, 5),
        ])
    }
}

impl DeadlineRules {
    pub fn for_tier(&self, tier: TierKey) -> DeadlineRule {
        self.0
            .iter()
            .find(|r| r.tier == tier)
            .cloned()
            .or_else(|| {
                DeadlineRules::default()
                    .0
                    .into_iter()
                    .find(|r| r.tier == tier)
            })
            .expect("every tier key has a default rule")
    }

    /// Every tier at most once, and day counts a person would mean (1–365).
    pub fn validate(&self) -> Result<(), &'static str> {
        let mut seen = Vec::new();
        for r in &self.0 {
            if seen.contains(&r.tier) {
                return Err("duplicate_tier_rule");
            }
            seen.push(r.tier);
            let days_ok = |d: Option<u32>| d.is_none_or(|d| (1..=365).contains(&d));
            if !days_ok(r.reply_days) || !days_ok(r.resolve_days) {
                return Err("deadline_days_out_of_range");
            }
            if r.warn_hours_before > 24 * 30 {
                return Err("warn_hours_out_of_range");
            }
        }
        Ok(())
    }
}

/// Hands a demand to `unit` at `since`, with the deadlines its tier's rule gives.
pub fn assign(
    unit: UnitId,
    tier: TierKey,
    since: DateTime<Utc>,
    rules: &DeadlineRules,
    calendar: &WorkCalendar,
    tz: Tz,
) -> Assignment {
    let rule = rules.for_tier(tier);
    let due = |days: Option<u32>| days.map(|d| due_at(since, tz, d, rule.count, calendar));
    Assignment {
        unit,
        tier,
        since,
        reply_due_at: due(rule.reply_days),
        resolve_due_at: due(rule.resolve_days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    #[test]
    fn an_urgent_demand_before_national_day_is_due_after_the_holiday() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        // Received Wednesday 2026-09-30 15:00 in Nanchang; 1–7 October are holidays.
        let since = tz
            .with_ymd_and_hms(2026, 9, 30, 15, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let a = assign(
            UnitId(Uuid::from_u128(1)),
            TierKey::Street,
            since,
            &DeadlineRules::default(),
            &WorkCalendar::china(),
            tz,
        );
        let due = a.reply_due_at.unwrap().with_timezone(&tz);
        assert!(due.date_naive() > chrono::NaiveDate::from_ymd_opt(2026, 10, 8).unwrap());
        assert_eq!(a.resolve_due_at, None);
    }

    #[test]
    fn rules_are_found_by_tier_and_checked() {
        let rules = DeadlineRules::default();
        assert_eq!(rules.for_tier(TierKey::County).reply_days, Some(15));
        assert_eq!(rules.for_tier(TierKey::City).reply_days, Some(30));
        assert_eq!(rules.validate(), Ok(()));
        let mut bad = rules.clone();
        bad.0[0].reply_days = Some(0);
        assert_eq!(bad.validate(), Err("deadline_days_out_of_range"));
        let mut dup = rules;
        dup.0.push(dup.0[0].clone());
        assert_eq!(dup.validate(), Err("duplicate_tier_rule"));
    }
}
