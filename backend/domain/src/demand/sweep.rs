//! What the background sweeper does to one demand, decided without I/O: warn before a deadline,
//! mark it overdue once passed, escalate where the tier's rule says so, and open an
//! accountability case when the overdue is serious or repeated.
use chrono::{DateTime, Duration, Utc};

use super::deadline::DeadlineRule;
use super::lifecycle::{DeadlineKind, DemandState};
use crate::accountability::{AccountabilityRules, CaseReason};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepStep {
    Warn(DeadlineKind),
    MarkOverdue(DeadlineKind),
    RaiseCase(DeadlineKind, CaseReason),
    /// Hand the demand to the parent tier (the tier's rule has `auto_escalate`).
    Escalate,
}

/// The current assignment's deadlines still owed: the reply until one is given, the resolution.
pub fn open_deadlines(state: &DemandState) -> Vec<(DeadlineKind, DateTime<Utc>)> {
    if !state.status.is_open() {
        return Vec::new();
    }
    let mut owed = Vec::new();
    if state.replied_at.is_none()
        && let Some(due) = state.assignment.reply_due_at
    {
        owed.push((DeadlineKind::Reply, due));
    }
    if let Some(due) = state.assignment.resolve_due_at {
        owed.push((DeadlineKind::Resolve, due));
    }
    owed
}

/// The earliest deadline still owed, which "overdue" compares with the time.
pub fn next_due(state: &DemandState) -> Option<DateTime<Utc>> {
    open_deadlines(state).into_iter().map(|(_, due)| due).min()
}

fn warn_from(due: DateTime<Utc>, rule: &DeadlineRule) -> DateTime<Utc> {
    due - Duration::hours(i64::from(rule.warn_hours_before))
}

fn serious_at(due: DateTime<Utc>, acc: &AccountabilityRules) -> DateTime<Utc> {
    due + Duration::days(i64::from(acc.serious_after_days))
}

/// The steps due at `now`. `unit_overdue_in_window` counts the handling unit's demands gone
/// overdue within the accountability window, those this call marks included.
pub fn due_steps(
    state: &DemandState,
    now: DateTime<Utc>,
    rule: &DeadlineRule,
    acc: &AccountabilityRules,
    unit_overdue_in_window: u64,
) -> Vec<SweepStep> {
    let mut steps = Vec::new();
    for (kind, due) in open_deadlines(state) {
        let overdue = state.overdue.contains(&kind);
        if now >= due {
            if !overdue {
                steps.push(SweepStep::MarkOverdue(kind));
            }
            if !state.cases_raised.contains(&kind)
                && let Some(reason) = acc.case_reason(due, now, unit_overdue_in_window)
            {
                steps.push(SweepStep::RaiseCase(kind, reason));
            }
            if rule.auto_escalate && !steps.contains(&SweepStep::Escalate) {
                steps.push(SweepStep::Escalate);
            }
        } else if now >= warn_from(due, rule) && !state.warned.contains(&kind) {
            steps.push(SweepStep::Warn(kind));
        }
    }
    steps
}

/// When the sweeper next needs to look at this demand, or never.
pub fn next_look(
    state: &DemandState,
    rule: &DeadlineRule,
    acc: &AccountabilityRules,
) -> Option<DateTime<Utc>> {
    open_deadlines(state)
        .into_iter()
        .filter_map(|(kind, due)| {
            if !state.warned.contains(&kind) && !state.overdue.contains(&kind) {
                Some(warn_from(due, rule))
            } else if !state.overdue.contains(&kind) {
                Some(due)
            } else if !state.cases_raised.contains(&kind) {
                Some(serious_at(due, acc))
            } else {
                None
            }
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DayCount;
    use crate::demand::lifecycle::{Assignment, DemandEvent, Intake, apply};
    use crate::demand::{Channel, Grade};
    use crate::ids::UnitId;
    use crate::tier::TierKey;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
    }

    fn state(due_in_days: i64) -> DemandState {
        let received = DemandEvent::Received {
            intake: Box::new(Intake {
                receipt_code: "ABCD-EFGH-JKMN".into(),
                origin_unit: UnitId(Uuid::from_u128(9)),
                channel: Channel::Visit,
                grade: Grade::Urgent,
                category: "other".into(),
                title: "t".into(),
                description: "d".into(),
                address: None,
                resident_name: None,
                phone_sealed: None,
                phone_masked: None,
                id_number_sealed: None,
                id_number_masked: None,
                visit: None,
            }),
            assignment: Assignment {
                unit: UnitId(Uuid::from_u128(1)),
                tier: TierKey::Street,
                since: t0(),
                reply_due_at: Some(t0() + Duration::days(due_in_days)),
                resolve_due_at: None,
            },
        };
        apply(None, &received, t0()).unwrap()
    }

    fn rule(auto_escalate: bool) -> DeadlineRule {
        DeadlineRule {
            tier: TierKey::Street,
            reply_days: Some(5),
            resolve_days: None,
            count: DayCount::Working,
            auto_escalate,
            warn_hours_before: 24,
        }
    }

    #[test]
    fn a_deadline_is_warned_then_marked_then_taken_to_account() {
        let s = state(7);
        let acc = AccountabilityRules::default();
        let due = t0() + Duration::days(7);
        assert_eq!(due_steps(&s, t0(), &rule(false), &acc, 0), vec![]);
        assert_eq!(
            next_look(&s, &rule(false), &acc),
            Some(due - Duration::hours(24))
        );
        let warned_at = due - Duration::hours(2);
        assert_eq!(
            due_steps(&s, warned_at, &rule(false), &acc, 0),
            vec![SweepStep::Warn(DeadlineKind::Reply)]
        );
        let s = apply(
            Some(s),
            &DemandEvent::Warned {
                deadline: DeadlineKind::Reply,
            },
            warned_at,
        )
        .unwrap();
        assert_eq!(next_look(&s, &rule(false), &acc), Some(due));
        assert_eq!(
            due_steps(&s, due, &rule(false), &acc, 1),
            vec![SweepStep::MarkOverdue(DeadlineKind::Reply)]
        );
        let s = apply(
            Some(s),
            &DemandEvent::WentOverdue {
                deadline: DeadlineKind::Reply,
            },
            due,
        )
        .unwrap();
        assert_eq!(
            next_look(&s, &rule(false), &acc),
            Some(due + Duration::days(5))
        );
        assert_eq!(
            due_steps(&s, due + Duration::days(5), &rule(false), &acc, 1),
            vec![SweepStep::RaiseCase(
                DeadlineKind::Reply,
                CaseReason::SeriousOverdue
            )]
        );
        let s = apply(
            Some(s),
            &DemandEvent::AccountabilityRaised {
                case: Uuid::nil(),
                deadline: DeadlineKind::Reply,
                reason: CaseReason::SeriousOverdue,
            },
            due + Duration::days(5),
        )
        .unwrap();
        assert_eq!(next_look(&s, &rule(false), &acc), None);
        assert_eq!(
            due_steps(&s, due + Duration::days(9), &rule(false), &acc, 9),
            vec![]
        );
    }

    #[test]
    fn a_repeat_offender_gets_a_case_at_once_and_auto_escalation_follows_the_rule() {
        let s = state(1);
        let acc = AccountabilityRules::default();
        let due = t0() + Duration::days(1);
        assert_eq!(
            due_steps(&s, due, &rule(true), &acc, 3),
            vec![
                SweepStep::MarkOverdue(DeadlineKind::Reply),
                SweepStep::RaiseCase(DeadlineKind::Reply, CaseReason::RepeatedOverdue),
                SweepStep::Escalate,
            ]
        );
    }

    #[test]
    fn a_reply_in_time_leaves_nothing_to_do() {
        let s = state(7);
        let s = apply(Some(s), &DemandEvent::Accepted { note: None }, t0()).unwrap();
        let s = apply(Some(s), &DemandEvent::Replied { text: "x".into() }, t0()).unwrap();
        let acc = AccountabilityRules::default();
        assert_eq!(next_look(&s, &rule(false), &acc), None);
        assert_eq!(
            due_steps(&s, t0() + Duration::days(30), &rule(true), &acc, 9),
            vec![]
        );
    }
}
