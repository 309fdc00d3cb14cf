//! Contact points and visits, the rules: how often a leader owes a visit to the community or
//! village they are paired with (联系点), which periods were kept, missed or are still due,
//! and how long before a visit its public notice must be out.
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// How often a contact point owes a visit (the tenant's rule; monthly by default, as the
/// programme's leaders visit their communities every month).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Weekly,
    #[default]
    Monthly,
    Quarterly,
}

impl Frequency {
    /// The period (first and last day) that holds `day`: a Monday-to-Sunday week, a calendar
    /// month or a calendar quarter.
    pub fn period_of(self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        let first_of = |year: i32, month: u32| {
            NaiveDate::from_ymd_opt(year, month, 1).expect("the first of a month exists")
        };
        let month_after = |year: i32, month: u32| {
            if month == 12 {
                first_of(year + 1, 1)
            } else {
                first_of(year, month + 1)
            }
        };
        match self {
            Frequency::Weekly => {
                let start = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                (start, start + Duration::days(6))
            }
            Frequency::Monthly => {
                let start = first_of(day.year(), day.month());
                let end = month_after(day.year(), day.month()) - Duration::days(1);
                (start, end)
            }
            Frequency::Quarterly => {
                let first_month = (day.month0() / 3) * 3 + 1;
                let start = first_of(day.year(), first_month);
                let end = month_after(day.year(), first_month + 2) - Duration::days(1);
                (start, end)
            }
        }
    }
}

/// Where a period of a contact point stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// At least one visit was held in the period.
    Done,
    /// The period has not ended and no visit has been held yet.
    Due,
    /// The period ended with no visit held.
    Missed,
}

/// One period a contact point owed a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Obligation {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub start: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub end: NaiveDate,
    pub standing: Standing,
    /// Visits held in the period.
    pub held: u32,
}

/// The periods from `from` to `to` in which a contact point active from `since` (until
/// `until`, if it ended) owed a visit, and whether one was held (`held`: the days its visits
/// were held). A period is owed when the pairing stood on its first day — a leader paired on
/// the 15th owes from the next month — and not beyond the pairing's end or `today`'s period.
pub fn obligations(
    frequency: Frequency,
    since: NaiveDate,
    until: Option<NaiveDate>,
    held: &[NaiveDate],
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Vec<Obligation> {
    let mut out = Vec::new();
    let last = [Some(to), until, Some(today)]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(to);
    let (mut start, mut end) = frequency.period_of(from);
    while start <= last {
        if start >= since {
            let visits = held.iter().filter(|d| (start..=end).contains(d)).count() as u32;
            let standing = match (visits, end < today) {
                (0, true) => Standing::Missed,
                (0, false) => Standing::Due,
                _ => Standing::Done,
            };
            out.push(Obligation {
                start,
                end,
                standing,
                held: visits,
            });
        }
        (start, end) = frequency.period_of(end + Duration::days(1));
    }
    out
}

/// Default hours a visit's public notice must be out before the visit starts.
pub const DEFAULT_NOTICE_LEAD_HOURS: u32 = 24;

/// A notice published at `now` for a visit starting at `starts` is in time when at least
/// `lead_hours` remain; otherwise 409 `notice_too_late` (residents need the time to come).
pub fn check_notice_lead(
    now: DateTime<Utc>,
    starts: DateTime<Utc>,
    lead_hours: u32,
) -> Result<(), DomainError> {
    if starts - now >= Duration::hours(i64::from(lead_hours)) {
        Ok(())
    } else {
        Err(DomainError::conflict("notice_too_late"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn periods_are_weeks_from_monday_calendar_months_and_quarters() {
        assert_eq!(
            Frequency::Weekly.period_of(day("2026-12-02")),
            (day("2026-11-30"), day("2026-12-06"))
        );
        assert_eq!(
            Frequency::Monthly.period_of(day("2026-02-14")),
            (day("2026-02-01"), day("2026-02-28"))
        );
        assert_eq!(
            Frequency::Monthly.period_of(day("2026-12-31")),
            (day("2026-12-01"), day("2026-12-31"))
        );
        assert_eq!(
            Frequency::Quarterly.period_of(day("2026-11-05")),
            (day("2026-10-01"), day("2026-12-31"))
        );
    }

    #[test]
    fn each_month_is_done_missed_or_still_due() {
        let held = [day("2026-09-10"), day("2026-09-25"), day("2026-11-03")];
        let months = obligations(
            Frequency::Monthly,
            day("2026-08-15"),
            None,
            &held,
            (day("2026-07-01"), day("2026-12-31")),
            day("2026-12-02"),
        );
        let seen: Vec<(NaiveDate, Standing, u32)> = months
            .iter()
            .map(|o| (o.start, o.standing, o.held))
            .collect();
        assert_eq!(
            seen,
            [
                // Paired on 15 August: owed from September.
                (day("2026-09-01"), Standing::Done, 2),
                (day("2026-10-01"), Standing::Missed, 0),
                (day("2026-11-01"), Standing::Done, 1),
                (day("2026-12-01"), Standing::Due, 0),
            ]
        );
    }

    #[test]
    fn an_ended_pairing_owes_nothing_after_it_ended() {
        let months = obligations(
            Frequency::Monthly,
            day("2026-01-01"),
            Some(day("2026-03-10")),
            &[],
            (day("2026-01-01"), day("2026-12-31")),
            day("2026-12-02"),
        );
        assert_eq!(months.len(), 3);
        assert!(months.iter().all(|o| o.standing == Standing::Missed));
    }

    #[test]
    fn a_notice_needs_the_tenants_lead_time() {
        let now = "2026-12-02T08:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time");
        assert!(check_notice_lead(now, now + Duration::hours(24), 24).is_ok());
        assert_eq!(
            check_notice_lead(now, now + Duration::hours(23), 24),
            Err(DomainError::conflict("notice_too_late"))
        );
        assert!(check_notice_lead(now, now + Duration::hours(3), 2).is_ok());
    }

    proptest! {
        #[test]
        fn every_day_lies_in_its_period_and_periods_tile_the_calendar(
            offset in 0i64..4000, which in 0usize..3,
        ) {
            let f = [Frequency::Weekly, Frequency::Monthly, Frequency::Quarterly][which];
            let d = day("2020-01-01") + Duration::days(offset);
            let (start, end) = f.period_of(d);
            prop_assert!(start <= d && d <= end);
            prop_assert_eq!(f.period_of(end + Duration::days(1)).0, end + Duration::days(1));
        }
    }
}
