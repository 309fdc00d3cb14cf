//! What the background sweeper does to one demand, decided without I/O: warn before a deadline,
//! mark it overdue once passed, escalate where the tier's rule says so, and open an
//! accountability case when the overdue is serious or repeated.
use chrono::{DateTime, Duration, Utc};

use super::deadline::DeadlineRule;
use super::lifecycle::{DeadlineKind, DemandState};
use crate::accountability::{AccountabilityRules, CaseReason};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepStep {
    Warn(DeadlineKind),
    MarkOverdue(DeadlineKind),
    /// One case per clock (a unit holding the demand), naming every deadline of it missed.
    RaiseCase {
        missed: Vec<DeadlineKind>,
        reason: CaseReason,
    },
    /// Hand the demand to the parent tier (the tier's rule has `auto_escalate`). Always the
    /// last step: the clock it ends is not judged any further.
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

/// The deadlines of the current clock that have passed by `now`, earliest first.
pub fn lapsed(state: &DemandState, now: DateTime<Utc>) -> Vec<(DeadlineKind, DateTime<Utc>)> {
    let mut lapsed: Vec<_> = open_deadlines(state)
        .into_iter()
        .filter(|(_, due)| now >= *due)
        .collect();
    lapsed.sort_by_key(|(_, due)| *due);
    lapsed
}

/// Whether marking what lapsed at `now` makes the clock newly late (its first overdue): what
/// the repeated-overdue count adds for this demand.
pub fn newly_late(state: &DemandState, now: DateTime<Utc>) -> bool {
    state.overdue.is_empty() && !lapsed(state, now).is_empty()
}

fn warn_from(due: DateTime<Utc>, rule: &DeadlineRule) -> DateTime<Utc> {
    due - Duration::hours(i64::from(rule.warn_hours_before))
}

fn serious_at(due: DateTime<Utc>, acc: &AccountabilityRules) -> DateTime<Utc> {
    due + Duration::days(i64::from(acc.serious_after_days))
}

/// The steps due at `now`, each judged against the clock of the current assignment only.
/// `unit_overdue_in_window` counts the handling unit's clocks gone overdue within the
/// accountability window, this one included when this call makes it late.
pub fn due_steps(
    state: &DemandState,
    now: DateTime<Utc>,
    rule: &DeadlineRule,
    acc: &AccountabilityRules,
    unit_overdue_in_window: u64,
) -> Vec<SweepStep> {
    let lapsed = lapsed(state, now);
    let mut steps: Vec<SweepStep> = lapsed
        .iter()
        .filter(|(kind, _)| !state.overdue.contains(kind))
        .map(|(kind, _)| SweepStep::MarkOverdue(*kind))
        .collect();
    if let Some((_, first_due)) = lapsed.first()
        && state.cases_raised.is_empty()
        && let Some(reason) = acc.case_reason(*first_due, now, unit_overdue_in_window)
    {
        steps.push(SweepStep::RaiseCase {
            missed: lapsed.iter().map(|(kind, _)| *kind).collect(),
            reason,
        });
    }
    if !lapsed.is_empty() && rule.auto_escalate {
        steps.push(SweepStep::Escalate);
        return steps;
    }
    for (kind, due) in open_deadlines(state) {
        if now < due && now >= warn_from(due, rule) && !state.warned.contains(&kind) {
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
            } else if state.cases_raised.is_empty() {
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
            vec![SweepStep::RaiseCase {
                missed: vec![DeadlineKind::Reply],
                reason: CaseReason::SeriousOverdue
            }]
        );
        let s = apply(
            Some(s),
            &DemandEvent::AccountabilityRaised {
                case: Uuid::nil(),
                deadline: DeadlineKind::Reply,
                also_missed: Vec::new(),
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
                SweepStep::RaiseCase {
                    missed: vec![DeadlineKind::Reply],
                    reason: CaseReason::RepeatedOverdue
                },
                SweepStep::Escalate,
            ]
        );
    }

    #[test]
    fn a_clock_that_missed_both_deadlines_is_one_case_and_ends_at_its_escalation() {
        let mut s = state(1);
        s.assignment.resolve_due_at = Some(t0() + Duration::days(2));
        let acc = AccountabilityRules::default();
        let late = t0() + Duration::days(3);
        // The unit's third late clock: marked twice, one case naming both, then handed up;
        // nothing is warned or judged after the hand-over.
        assert!(newly_late(&s, late));
        assert_eq!(
            due_steps(&s, late, &rule(true), &acc, 3),
            vec![
                SweepStep::MarkOverdue(DeadlineKind::Reply),
                SweepStep::MarkOverdue(DeadlineKind::Resolve),
                SweepStep::RaiseCase {
                    missed: vec![DeadlineKind::Reply, DeadlineKind::Resolve],
                    reason: CaseReason::RepeatedOverdue
                },
                SweepStep::Escalate,
            ]
        );
        // Once the clock has its case, a later miss of it opens none.
        let s = apply(
            Some(s),
            &DemandEvent::AccountabilityRaised {
                case: Uuid::nil(),
                deadline: DeadlineKind::Reply,
                also_missed: Vec::new(),
                reason: CaseReason::SeriousOverdue,
            },
            late,
        )
        .unwrap();
        assert_eq!(
            due_steps(&s, late + Duration::days(9), &rule(false), &acc, 9),
            vec![
                SweepStep::MarkOverdue(DeadlineKind::Reply),
                SweepStep::MarkOverdue(DeadlineKind::Resolve),
            ]
        );
        let s = apply(
            Some(s),
            &DemandEvent::WentOverdue {
                deadline: DeadlineKind::Resolve,
            },
            late,
        )
        .unwrap();
        assert_eq!(s.cases_raised, [DeadlineKind::Reply, DeadlineKind::Resolve]);
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
