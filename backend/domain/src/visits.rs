//! Contact points and visits, the rules: how often a leader owes a visit to the community or
//! village they are paired with (联系点), which periods were kept, missed or are still due,
//! how long before a visit its public notice must be out, and the steps a visit may take
//! (scheduled → notice published → held, or cancelled; rescheduled with a reason).
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::dates;
use crate::demand::intake::{optional_text, required_text};
use crate::error::{DomainError, FieldCheck};

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

/// Where a visit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    /// On the calendar; residents have not been told yet.
    Scheduled,
    /// Its notice (公告) is out: residents can read it on the community's public page.
    Published,
    /// It took place: attendance and minutes are on record.
    Held,
    /// Called off, with a reason (shown on the notice if one was out).
    Cancelled,
}

impl VisitStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Held => "held",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw {
            "scheduled" => Ok(Self::Scheduled),
            "published" => Ok(Self::Published),
            "held" => Ok(Self::Held),
            "cancelled" => Ok(Self::Cancelled),
            _ => Err("invalid_visit_status"),
        }
    }
}

/// A visit to a community (a session residents are told of), or an in-home interview
/// (入户访谈: a visit to one household, never announced).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    #[default]
    Visit,
    Interview,
}

impl VisitKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Visit => "visit",
            Self::Interview => "interview",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw {
            "visit" => Ok(Self::Visit),
            "interview" => Ok(Self::Interview),
            _ => Err("invalid_visit_kind"),
        }
    }
}

/// What can be done to a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitStep {
    PublishNotice,
    Reschedule,
    Cancel,
    /// Record attendance or minutes (the first record marks the visit held).
    Record,
}

/// The status a visit of `kind` in `status` moves to by `step` (see [`step`]); an interview has
/// no public notice (409 `interview_has_no_notice`).
pub fn step_of(
    kind: VisitKind,
    status: VisitStatus,
    what: VisitStep,
    started: bool,
) -> Result<VisitStatus, DomainError> {
    if kind == VisitKind::Interview && what == VisitStep::PublishNotice {
        return Err(DomainError::conflict("interview_has_no_notice"));
    }
    step(status, what, started)
}

/// The status a visit in `status` moves to by `step`, or the 409 saying why it cannot: a
/// cancelled visit takes no step, a held one only more records, a notice goes out once, and
/// nothing is recorded of a visit that has not started (`started`: its start has passed).
pub fn step(
    status: VisitStatus,
    step: VisitStep,
    started: bool,
) -> Result<VisitStatus, DomainError> {
    use VisitStatus::*;
    use VisitStep::*;
    match (status, step) {
        (Cancelled, _) => Err(DomainError::conflict("visit_cancelled")),
        (Held, Record) => Ok(Held),
        (Held, _) => Err(DomainError::conflict("visit_already_held")),
        (Published, PublishNotice) => Err(DomainError::conflict("notice_already_published")),
        (Scheduled, PublishNotice) => Ok(Published),
        (s, Reschedule) => Ok(s),
        (_, Cancel) => Ok(Cancelled),
        (_, Record) if !started => Err(DomainError::conflict("visit_not_started")),
        (_, Record) => Ok(Held),
    }
}

/// The longest a visit may last (a session, not a campaign).
pub const MAX_VISIT_HOURS: i64 = 12;
/// The most hosts a visit may name.
pub const MAX_HOSTS: usize = 10;

/// A visit as the scheduling form or API gives it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitForm {
    /// The community or village visited.
    pub unit_id: Uuid,
    /// The hosting leaders' account ids (at least one).
    pub hosts: Vec<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// e.g. 洪城路社区居委会二楼会议室
    pub place: String,
    /// What the visit is about, for the notice (e.g. 老旧小区加装电梯意见征集).
    #[serde(default)]
    pub topic: Option<String>,
    /// `visit` (the default) or `interview`.
    #[serde(default)]
    pub kind: VisitKind,
    /// The household an interview visits (from the community's register); only for interviews.
    #[serde(default)]
    pub household: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidVisit {
    pub unit_id: Uuid,
    pub hosts: Vec<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub topic: Option<String>,
    pub kind: VisitKind,
    pub household: Option<Uuid>,
}

/// `starts..ends` as a visit's time: within the years the programme takes, ends after it
/// starts, lasts at most `MAX_VISIT_HOURS`.
fn check_times(check: &mut FieldCheck, starts: DateTime<Utc>, ends: DateTime<Utc>) {
    let starts_ok = check.take("starts_at", dates::check_time(starts)).is_some();
    let ends_ok = check.take("ends_at", dates::check_time(ends)).is_some();
    if !(starts_ok && ends_ok) {
        return;
    }
    if ends <= starts {
        check.fail("ends_at", "ends_before_start");
    } else if ends - starts > Duration::hours(MAX_VISIT_HOURS) {
        check.fail("ends_at", "visit_too_long");
    }
}

impl VisitForm {
    pub fn validate(self) -> Result<ValidVisit, DomainError> {
        let mut check = FieldCheck::new();
        let mut hosts = Vec::new();
        for h in self.hosts {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
        if hosts.is_empty() {
            check.fail("hosts", "required");
        } else if hosts.len() > MAX_HOSTS {
            check.fail("hosts", "too_many");
        }
        check_times(&mut check, self.starts_at, self.ends_at);
        let place = check.take("place", required_text(&self.place, 200));
        let topic = check.take("topic", optional_text(self.topic.as_deref(), 200));
        match (self.kind, self.household) {
            (VisitKind::Interview, None) => check.fail("household", "required"),
            (VisitKind::Visit, Some(_)) => check.fail("household", "only_for_interviews"),
            _ => {}
        }
        check.finish()?;
        let missing = || DomainError::field("form", "required");
        Ok(ValidVisit {
            unit_id: self.unit_id,
            hosts,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            place: place.ok_or_else(missing)?,
            topic: topic.ok_or_else(missing)?,
            kind: self.kind,
            household: self.household,
        })
    }
}

/// A new time (and perhaps place) for a visit, with the reason residents will read.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RescheduleForm {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// A new place; the old one stays when left out.
    #[serde(default)]
    pub place: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidReschedule {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: Option<String>,
    pub reason: String,
}

impl RescheduleForm {
    pub fn validate(self) -> Result<ValidReschedule, DomainError> {
        let mut check = FieldCheck::new();
        check_times(&mut check, self.starts_at, self.ends_at);
        let place = check.take("place", optional_text(self.place.as_deref(), 200));
        let reason = check.take("reason", required_text(&self.reason, 500));
        check.finish()?;
        let missing = || DomainError::field("form", "required");
        Ok(ValidReschedule {
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            place: place.ok_or_else(missing)?,
            reason: reason.ok_or_else(missing)?,
        })
    }
}

/// Who came to a visit: counted residents, and of them how many walked in unannounced, and
/// the households they came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    pub residents: u32,
    pub walk_ins: u32,
    pub households: u32,
}

impl Attendance {
    /// Walk-ins are residents too, and a household sends at least one.
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut check = FieldCheck::new();
        if self.residents > 10_000 {
            check.fail("residents", "out_of_range");
        }
        if self.walk_ins > self.residents {
            check.fail("walk_ins", "more_than_residents");
        }
        if self.households > self.residents {
            check.fail("households", "more_than_residents");
        }
        check.finish()?;
        Ok(self)
    }
}

/// A pairing of a leader with a community or village, as the form or API gives it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactPointForm {
    /// The leader's account id.
    pub leader: Uuid,
    /// The community or village.
    pub unit_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub since: NaiveDate,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub until: Option<NaiveDate>,
}

impl ContactPointForm {
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut check = FieldCheck::new();
        check.take("since", dates::check_day(self.since));
        if let Some(until) = self.until
            && check.take("until", dates::check_day(until)).is_some()
            && until < self.since
        {
            check.fail("until", "ends_before_start");
        }
        check.finish()?;
        Ok(self)
    }
}

/// Whether two pairings' spans (`since`, `until` inclusive, open-ended when `None`) share a day.
pub fn spans_overlap(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    let before = |end: Option<NaiveDate>, start: NaiveDate| end.is_some_and(|e| e < start);
    !(before(a.1, b.0) || before(b.1, a.0))
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

    #[test]
    fn a_visit_is_published_once_held_after_it_starts_and_a_cancelled_one_takes_no_step() {
        use VisitStatus::*;
        use VisitStep::*;
        assert_eq!(step(Scheduled, PublishNotice, false), Ok(Published));
        assert_eq!(
            step(Published, PublishNotice, false),
            Err(DomainError::conflict("notice_already_published"))
        );
        assert_eq!(step(Published, Reschedule, false), Ok(Published));
        assert_eq!(
            step(Published, Record, false),
            Err(DomainError::conflict("visit_not_started"))
        );
        assert_eq!(step(Published, Record, true), Ok(Held));
        assert_eq!(step(Scheduled, Record, true), Ok(Held));
        assert_eq!(step(Held, Record, true), Ok(Held));
        assert_eq!(
            step(Held, Cancel, true),
            Err(DomainError::conflict("visit_already_held"))
        );
        for s in [PublishNotice, Reschedule, Cancel, Record] {
            assert_eq!(
                step(Cancelled, s, true),
                Err(DomainError::conflict("visit_cancelled"))
            );
        }
    }

    fn form() -> VisitForm {
        let at = "2026-12-10T11:00:00Z".parse().expect("time");
        VisitForm {
            unit_id: Uuid::nil(),
            hosts: vec![Uuid::from_u128(1), Uuid::from_u128(1)],
            starts_at: at,
            ends_at: at + Duration::hours(2),
            place: " 社区居委会二楼会议室 ".into(),
            topic: Some("  ".into()),
            kind: VisitKind::Visit,
            household: None,
        }
    }

    #[test]
    fn a_visit_form_names_every_bad_field() {
        let ok = form().validate().expect("valid");
        assert_eq!(ok.hosts, vec![Uuid::from_u128(1)]);
        assert_eq!(ok.place, "社区居委会二楼会议室");
        assert_eq!(ok.topic, None);
        let mut bad = form();
        bad.hosts.clear();
        bad.ends_at = bad.starts_at;
        bad.place = String::new();
        let Err(DomainError::Validation { fields }) = bad.validate() else {
            panic!("refused");
        };
        assert_eq!(fields["hosts"], "required");
        assert_eq!(fields["ends_at"], "ends_before_start");
        assert_eq!(fields["place"], "required");
        let mut long = form();
        long.ends_at = long.starts_at + Duration::hours(13);
        assert_eq!(
            long.validate(),
            Err(DomainError::field("ends_at", "visit_too_long"))
        );
    }

    #[test]
    fn visits_and_contact_points_fall_in_the_years_2000_to_2100() {
        let far: DateTime<Utc> = "9999-12-31T08:00:00Z".parse().expect("time");
        let mut late = form();
        late.starts_at = far;
        late.ends_at = far + Duration::hours(1);
        let Err(DomainError::Validation { fields }) = late.validate() else {
            panic!("refused");
        };
        assert_eq!(fields["starts_at"], "date_out_of_range");
        assert_eq!(fields["ends_at"], "date_out_of_range");
        let moved = RescheduleForm {
            starts_at: "1999-12-31T08:00:00Z".parse().expect("time"),
            ends_at: "2026-12-10T11:00:00Z".parse().expect("time"),
            place: None,
            reason: "改期".into(),
        };
        assert_eq!(
            moved.validate(),
            Err(DomainError::field("starts_at", "date_out_of_range"))
        );
        let pairing = |since: &str, until: Option<&str>| ContactPointForm {
            leader: Uuid::nil(),
            unit_id: Uuid::nil(),
            since: day(since),
            until: until.map(day),
        };
        assert!(pairing("2026-01-01", Some("2100-12-31")).validate().is_ok());
        assert_eq!(
            pairing("9999-01-01", None).validate().map(|_| ()),
            Err(DomainError::field("since", "date_out_of_range"))
        );
        assert_eq!(
            pairing("2026-01-01", Some("9999-12-31"))
                .validate()
                .map(|_| ()),
            Err(DomainError::field("until", "date_out_of_range"))
        );
        assert_eq!(
            pairing("2026-01-01", Some("2025-12-31"))
                .validate()
                .map(|_| ()),
            Err(DomainError::field("until", "ends_before_start"))
        );
    }

    #[test]
    fn an_interview_visits_one_household_and_is_never_announced() {
        let mut interview = form();
        interview.kind = VisitKind::Interview;
        assert_eq!(
            interview.clone().validate(),
            Err(DomainError::field("household", "required"))
        );
        interview.household = Some(Uuid::from_u128(7));
        assert_eq!(
            interview.validate().map(|v| v.household),
            Ok(Some(Uuid::from_u128(7)))
        );
        let mut visit = form();
        visit.household = Some(Uuid::from_u128(7));
        assert_eq!(
            visit.validate(),
            Err(DomainError::field("household", "only_for_interviews"))
        );
        use VisitStatus::*;
        assert_eq!(
            step_of(
                VisitKind::Interview,
                Scheduled,
                VisitStep::PublishNotice,
                false
            ),
            Err(DomainError::conflict("interview_has_no_notice"))
        );
        assert_eq!(
            step_of(VisitKind::Interview, Scheduled, VisitStep::Record, true),
            Ok(Held)
        );
        assert_eq!(
            step_of(VisitKind::Visit, Scheduled, VisitStep::PublishNotice, false),
            Ok(Published)
        );
    }

    #[test]
    fn attendance_counts_hang_together() {
        let fine = Attendance {
            residents: 30,
            walk_ins: 4,
            households: 21,
        };
        assert_eq!(fine.validate(), Ok(fine));
        let odd = Attendance {
            residents: 3,
            walk_ins: 4,
            households: 5,
        };
        let Err(DomainError::Validation { fields }) = odd.validate() else {
            panic!("refused");
        };
        assert_eq!(fields.len(), 2);
    }

    #[test]
    fn pairings_overlap_when_they_share_a_day() {
        let d = |s: &str| day(s);
        assert!(spans_overlap(
            (d("2026-01-01"), None),
            (d("2026-06-01"), None)
        ));
        assert!(spans_overlap(
            (d("2026-01-01"), Some(d("2026-06-01"))),
            (d("2026-06-01"), None)
        ));
        assert!(!spans_overlap(
            (d("2026-01-01"), Some(d("2026-05-31"))),
            (d("2026-06-01"), None)
        ));
        assert!(!spans_overlap(
            (d("2026-07-01"), None),
            (d("2026-01-01"), Some(d("2026-06-30")))
        ));
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
