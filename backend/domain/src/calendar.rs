//! Working days (工作日): Monday to Friday, except public holidays, plus the weekends worked to
//! make up for them (调休). Deadlines counted in working days run against this calendar, in the
//! tenant's time zone.
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Included};

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The State Council's schedule for 2025–2026, embedded: the crate reads no files (it runs in wasm).
const CHINA_CSV: &str = include_str!("../data/cn-calendar-2025-2026.csv");

/// What an override makes of its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A day off (放假), weekday or not.
    Holiday,
    /// A weekend day worked to make up for a holiday (调休上班).
    Workday,
}

impl DayKind {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        [DayKind::Holiday, DayKind::Workday]
            .into_iter()
            .find(|k| raw.eq_ignore_ascii_case(k.as_str()))
            .ok_or("calendar_bad_kind")
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }
}

/// One date the official schedule sets, with the holiday it belongs to (may be empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarEntry {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// The longest name an entry may carry (characters), as long as other names in the programme.
pub const NAME_MAX: usize = 100;

impl CalendarEntry {
    /// Its name is at most [`NAME_MAX`] characters.
    pub fn check_name(&self) -> Result<(), &'static str> {
        if self.name.chars().count() > NAME_MAX {
            Err("calendar_name_too_long")
        } else {
            Ok(())
        }
    }
}

/// Per-date overrides over the default week (Monday–Friday work, weekends rest). Dates with no
/// override follow the default, so a year nobody loaded only skips weekends; `default()` has no
/// overrides at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    overrides: BTreeMap<NaiveDate, CalendarEntry>,
}

impl WorkCalendar {
    /// Mainland China's official 2025–2026 schedule.
    pub fn china() -> Self {
        Self::from_entries(parse_calendar_csv(CHINA_CSV).expect("the embedded calendar parses"))
    }

    /// A later entry for the same date replaces an earlier one.
    pub fn from_entries(entries: impl IntoIterator<Item = CalendarEntry>) -> Self {
        Self {
            overrides: entries.into_iter().map(|e| (e.date, e)).collect(),
        }
    }

    /// Every override, in date order.
    pub fn entries(&self) -> impl Iterator<Item = &CalendarEntry> {
        self.overrides.values()
    }

    pub fn entries_in_year(&self, year: i32) -> impl Iterator<Item = &CalendarEntry> {
        self.entries().filter(move |e| e.date.year() == year)
    }

    /// Loads or edits a year: every override dated in `year` gives way to `entries`. Refused,
    /// with the calendar unchanged, when an entry is dated in another year (a typo, most likely).
    pub fn replace_year(
        &mut self,
        year: i32,
        entries: impl IntoIterator<Item = CalendarEntry>,
    ) -> Result<(), &'static str> {
        let entries: Vec<_> = entries.into_iter().collect();
        if entries.iter().any(|e| e.date.year() != year) {
            return Err("calendar_date_outside_year");
        }
        self.overrides.retain(|date, _| date.year() != year);
        self.overrides
            .extend(entries.into_iter().map(|e| (e.date, e)));
        Ok(())
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.overrides.get(&date) {
            Some(e) => e.kind == DayKind::Workday,
            None => is_weekday(date),
        }
    }

    /// The `n`-th working day strictly after `from` (`from` itself when `n` is 0): `from` never
    /// counts, so 5 working days from a Friday is the next Friday. Steps day by day; deadlines
    /// are at most a year.
    ///
    /// # Panics
    /// Past chrono's last date (year 262142).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut date = from;
        for _ in 0..n {
            loop {
                date = date.succ_opt().expect("a date within chrono's range");
                if self.is_working_day(date) {
                    break;
                }
            }
        }
        date
    }

    /// Working days in `(from, to]`: `from` never counts, `to` does, as in `add_working_days`.
    /// When `to` is before `from` the count is minus the working days in `(to, from]`, so counts
    /// over adjacent spans add up; it is 0 when they are equal.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let overridden: i64 = self
            .overrides
            .range((Excluded(from), Included(to)))
            .map(|(date, e)| i64::from(e.kind == DayKind::Workday) - i64::from(is_weekday(*date)))
            .sum();
        weekdays_through(to) - weekdays_through(from) + overridden
    }
}

fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Mondays to Fridays from 0001-01-01 (a Monday, day 1) through `date`; negative before it.
fn weekdays_through(date: NaiveDate) -> i64 {
    let days = i64::from(date.num_days_from_ce());
    5 * days.div_euclid(7) + days.rem_euclid(7).min(5)
}

/// How a deadline's days are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Working days of the tenant's calendar (工作日).
    Working,
    /// Every day (自然日).
    Calendar,
}

/// When something received at `received` is due: at the end of the `days`-th working (or
/// calendar) day after the day of receipt, days taken in the tenant's time zone `tz`. The day of
/// receipt never counts, whatever the hour, so 5 working days from a Friday ends with the next
/// Friday; 0 days ends with the day of receipt. The instant is the local midnight that ends the
/// due day: due on 2026-10-13 in Shanghai is `2026-10-14T00:00+08:00`.
///
/// # Panics
/// Past chrono's last date (year 262142).
pub fn due_at(
    received: DateTime<Utc>,
    tz: Tz,
    days: u32,
    count: DayCount,
    calendar: &WorkCalendar,
) -> DateTime<Utc> {
    let received_on = received.with_timezone(&tz).date_naive();
    let due_day = match count {
        DayCount::Working => calendar.add_working_days(received_on, days),
        DayCount::Calendar => received_on
            .checked_add_days(Days::new(days.into()))
            .expect("a date within chrono's range"),
    };
    end_of_day(due_day, tz)
}

/// The instant from which the local clock never shows `date` again. Usually its midnight; where
/// daylight saving moves clocks at midnight, the end of the gap they skip, or the second
/// midnight when they are set back across it and the day resumes.
fn end_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date
        .succ_opt()
        .expect("a date within chrono's range")
        .and_time(NaiveTime::MIN);
    let shows = |secs: i64| {
        let instant = DateTime::from_timestamp(secs, 0).expect("a time within chrono's range");
        instant.with_timezone(&tz).naive_local()
    };
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => {
            let resumes = shows(second.timestamp() - 1) < midnight;
            if resumes { second } else { first }.with_timezone(&Utc)
        }
        LocalResult::None => {
            // Midnight is skipped: search for the first second the clock shows the next day.
            // Offsets stay within ±16 h, so a day before and two after bracket it.
            let mut before = midnight.and_utc().timestamp() - 86_400;
            let mut after = before + 3 * 86_400;
            while after - before > 1 {
                let mid = before + (after - before) / 2;
                if shows(mid) < midnight {
                    before = mid;
                } else {
                    after = mid;
                }
            }
            DateTime::from_timestamp(after, 0).expect("a time within chrono's range")
        }
    }
}

/// A line of a calendar file that cannot be loaded; `line` is as a spreadsheet shows it
/// (header = 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarRowError {
    pub line: usize,
    /// `calendar_bad_header`, `calendar_bad_date`, `calendar_bad_kind`, `calendar_duplicate_date`,
    /// `calendar_name_too_long`.
    pub code: &'static str,
}

/// Reads a calendar file, `date,kind,name` with a header, refused whole with every bad line
/// named. Forgiving where spreadsheets are: a UTF-8 BOM, CRLF, blank or `,,` lines, quoted
/// fields, and dates as a Chinese-locale Excel re-saves them (`2026/2/14`). `name` takes the rest
/// of the line, commas included, and may be empty (at most [`NAME_MAX`] characters).
pub fn parse_calendar_csv(text: &str) -> Result<Vec<CalendarEntry>, Vec<CalendarRowError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().zip(1..);
    let header_ok = lines.next().is_some_and(|(header, _)| {
        header
            .split(',')
            .map(|f| unquote(f).to_ascii_lowercase())
            .eq(["date", "kind", "name"])
    });
    if !header_ok {
        return Err(vec![CalendarRowError {
            line: 1,
            code: "calendar_bad_header",
        }]);
    }
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (raw, line) in lines {
        let mut fields = raw.splitn(3, ',').map(unquote);
        let mut field = || fields.next().unwrap_or_default();
        let (date, kind, name) = (field(), field(), field());
        if date.is_empty() && kind.is_empty() && name.is_empty() {
            continue;
        }
        let date = parse_date(&date);
        let kind = DayKind::parse(&kind);
        let mut fail = |code| errors.push(CalendarRowError { line, code });
        match date {
            Ok(date) if !seen.insert(date) => fail("calendar_duplicate_date"),
            Ok(_) => {}
            Err(code) => fail(code),
        }
        match (date, kind) {
            (Ok(date), Ok(kind)) => {
                let entry = CalendarEntry { date, kind, name };
                match entry.check_name() {
                    Ok(()) => entries.push(entry),
                    Err(code) => fail(code),
                }
            }
            (_, Err(code)) => fail(code),
            (Err(_), Ok(_)) => {}
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

fn parse_date(raw: &str) -> Result<NaiveDate, &'static str> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%Y/%m/%d"))
        .map_err(|_| "calendar_bad_date")
}

/// Trims a field and undoes spreadsheet quoting (`"a ""b"", c"` is `a "b", c`).
fn unquote(field: &str) -> String {
    let field = field.trim();
    match field.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => field.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn shanghai() -> Tz {
        "Asia/Shanghai".parse().unwrap()
    }

    fn at(tz: Tz, y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, m, day, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_embedded_schedule_parses_whole() {
        let entries = parse_calendar_csv(CHINA_CSV).unwrap();
        assert_eq!(entries.len(), 72);
        let china = WorkCalendar::china();
        assert_eq!(china.entries().count(), 72);
        assert_eq!(china.entries_in_year(2025).count(), 33);
        assert_eq!(china.entries_in_year(2026).count(), 39);
        assert_eq!(china.entries_in_year(2027).count(), 0);
        let first = china.entries().next().unwrap();
        assert_eq!(first.date, d(2025, 1, 1));
        assert_eq!(first.name, "元旦 New Year's Day");
    }

    #[test]
    fn make_up_saturdays_are_worked_and_the_spring_festival_is_not() {
        let china = WorkCalendar::china();
        assert_eq!(d(2026, 2, 14).weekday(), Weekday::Sat);
        assert!(china.is_working_day(d(2026, 2, 14)));
        assert!(china.is_working_day(d(2026, 2, 28)));
        assert!(china.is_working_day(d(2026, 1, 4)), "a make-up Sunday");
        for day in 15..=23 {
            assert!(!china.is_working_day(d(2026, 2, day)), "2026-02-{day}");
        }
        assert!(!china.is_working_day(d(2026, 3, 7)), "an ordinary Saturday");
        assert!(china.is_working_day(d(2026, 3, 9)), "an ordinary Monday");
        assert!(
            china.is_working_day(d(2027, 1, 1)),
            "2027 is not loaded yet"
        );
    }

    #[test]
    fn working_days_skip_the_national_day_holiday() {
        let china = WorkCalendar::china();
        // Tuesday 2026-09-29: Wed 30 Sep, then 1–7 Oct off, Thu 8, Fri 9, Sat 10 (调休), Mon 12.
        assert_eq!(china.add_working_days(d(2026, 9, 29), 5), d(2026, 10, 12));
        assert_eq!(
            china.working_days_between(d(2026, 9, 29), d(2026, 10, 12)),
            5
        );
        assert_eq!(
            china.working_days_between(d(2026, 10, 12), d(2026, 9, 29)),
            -5
        );
        assert_eq!(
            china.working_days_between(d(2026, 10, 1), d(2026, 10, 7)),
            0
        );
        // Without the schedule the same span is two weeks of plain weekdays.
        let plain = WorkCalendar::default();
        assert_eq!(plain.add_working_days(d(2026, 9, 29), 5), d(2026, 10, 6));
    }

    #[test]
    fn five_working_days_from_a_friday_end_the_next_friday() {
        let plain = WorkCalendar::default();
        assert_eq!(plain.add_working_days(d(2026, 3, 6), 5), d(2026, 3, 13));
        assert_eq!(plain.add_working_days(d(2026, 3, 6), 0), d(2026, 3, 6));
        assert_eq!(plain.add_working_days(d(2026, 3, 7), 1), d(2026, 3, 9));
    }

    #[test]
    fn a_demand_received_the_evening_before_national_day() {
        let china = WorkCalendar::china();
        let received = at(shanghai(), 2026, 9, 30, 20, 0);
        // 30 Sep does not count; 8, 9, 10 (Saturday, 调休), 12 and 13 Oct do.
        let due = due_at(received, shanghai(), 5, DayCount::Working, &china);
        assert_eq!(due, at(shanghai(), 2026, 10, 14, 0, 0));
        assert_eq!(due.to_rfc3339(), "2026-10-13T16:00:00+00:00");
    }

    #[test]
    fn calendar_days_ignore_holidays() {
        let china = WorkCalendar::china();
        let received = at(shanghai(), 2026, 9, 30, 20, 0);
        let due = due_at(received, shanghai(), 5, DayCount::Calendar, &china);
        assert_eq!(due, at(shanghai(), 2026, 10, 6, 0, 0));
        let today = due_at(received, shanghai(), 0, DayCount::Calendar, &china);
        assert_eq!(today, at(shanghai(), 2026, 10, 1, 0, 0));
    }

    #[test]
    fn the_day_of_receipt_is_the_tenants_local_day() {
        let china = WorkCalendar::china();
        // Thursday 17:00 UTC is already Friday 01:00 in Shanghai: 1 working day is Monday.
        let received = DateTime::parse_from_rfc3339("2026-03-05T17:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let due = due_at(received, shanghai(), 1, DayCount::Working, &china);
        assert_eq!(due, at(shanghai(), 2026, 3, 10, 0, 0));
    }

    #[test]
    fn a_day_skipped_by_daylight_saving_ends_when_the_clocks_land() {
        // Santiago moved clocks from 00:00 to 01:00 on 2024-09-08.
        let tz: Tz = "America/Santiago".parse().unwrap();
        let received = at(tz, 2024, 9, 6, 12, 0);
        let due = due_at(
            received,
            tz,
            1,
            DayCount::Calendar,
            &WorkCalendar::default(),
        );
        assert_eq!(due, at(tz, 2024, 9, 8, 1, 0));
    }

    #[test]
    fn replacing_a_year_leaves_the_others() {
        let mut cal = WorkCalendar::china();
        let national_day = CalendarEntry {
            date: d(2026, 10, 1),
            kind: DayKind::Holiday,
            name: "National Day".into(),
        };
        cal.replace_year(2026, [national_day.clone()]).unwrap();
        assert_eq!(
            cal.entries_in_year(2026).collect::<Vec<_>>(),
            [&national_day]
        );
        assert!(
            !cal.is_working_day(d(2026, 2, 14)),
            "the make-up Saturday is gone"
        );
        assert_eq!(cal.entries_in_year(2025).count(), 33);

        let stray = CalendarEntry {
            date: d(2027, 1, 1),
            ..national_day
        };
        let before = cal.clone();
        assert_eq!(
            cal.replace_year(2026, [stray]),
            Err("calendar_date_outside_year")
        );
        assert_eq!(cal, before);
    }

    #[test]
    fn a_spreadsheet_export_is_read() {
        let text = "\u{feff}Date,Kind,Name\r\n\
                    2026/2/14,Workday,\"Spring Festival, 春节\"\r\n\
                    ,,\r\n\
                    \r\n\
                    2026-10-01,holiday,\r\n";
        let entries = parse_calendar_csv(text).unwrap();
        assert_eq!(
            entries,
            [
                CalendarEntry {
                    date: d(2026, 2, 14),
                    kind: DayKind::Workday,
                    name: "Spring Festival, 春节".into(),
                },
                CalendarEntry {
                    date: d(2026, 10, 1),
                    kind: DayKind::Holiday,
                    name: String::new(),
                },
            ]
        );
    }

    #[test]
    fn every_bad_line_is_reported() {
        let text = "date,kind,name\n\
                    2026-02-14,workday,Spring Festival\n\
                    2026-02-30,holiday,Spring Festival\n\
                    2026-02-15,day off,Spring Festival\n\
                    \n\
                    2026-02-14,holiday,Spring Festival\n\
                    tomorrow,maybe\n";
        let errors = parse_calendar_csv(text).unwrap_err();
        let got: Vec<_> = errors.iter().map(|e| (e.line, e.code)).collect();
        assert_eq!(
            got,
            [
                (3, "calendar_bad_date"),
                (4, "calendar_bad_kind"),
                (6, "calendar_duplicate_date"),
                (7, "calendar_bad_date"),
                (7, "calendar_bad_kind"),
            ]
        );
    }

    #[test]
    fn a_name_is_at_most_a_hundred_characters() {
        let text = format!(
            "date,kind,name\n2026-10-01,holiday,{}\n2026-10-02,holiday,{}\n",
            "国".repeat(NAME_MAX),
            "国".repeat(NAME_MAX + 1)
        );
        let errors = parse_calendar_csv(&text).unwrap_err();
        assert_eq!(
            errors,
            [CalendarRowError {
                line: 3,
                code: "calendar_name_too_long"
            }]
        );
    }

    #[test]
    fn a_file_without_the_header_is_refused() {
        for text in ["", "2026-10-01,holiday,National Day\n", "date,name,kind\n"] {
            assert_eq!(
                parse_calendar_csv(text).unwrap_err(),
                [CalendarRowError {
                    line: 1,
                    code: "calendar_bad_header"
                }]
            );
        }
    }

    #[test]
    fn kinds_and_counts_travel_as_snake_case() {
        assert_eq!(
            serde_json::to_string(&DayKind::Workday).unwrap(),
            "\"workday\""
        );
        assert_eq!(
            serde_json::to_string(&DayCount::Calendar).unwrap(),
            "\"calendar\""
        );
        let entry: CalendarEntry =
            serde_json::from_str(r#"{"date":"2026-02-14","kind":"workday","name":"春节"}"#)
                .unwrap();
        assert_eq!(entry.date, d(2026, 2, 14));
        assert_eq!(DayKind::parse(" Holiday "), Ok(DayKind::Holiday));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Mostly around the loaded years, sometimes far from them.
    fn date() -> impl Strategy<Value = NaiveDate> {
        let around = d(2024, 6, 1).num_days_from_ce()..d(2027, 6, 1).num_days_from_ce();
        let far = d(1900, 1, 1).num_days_from_ce()..d(2100, 1, 1).num_days_from_ce();
        prop_oneof![3 => around, 1 => far]
            .prop_map(|days| NaiveDate::from_num_days_from_ce_opt(days).unwrap())
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The official schedule, or random overrides packed into a few months of 2026.
    fn calendar() -> impl Strategy<Value = WorkCalendar> {
        let random = prop::collection::vec((0u64..120, any::<bool>()), 0..60).prop_map(|days| {
            WorkCalendar::from_entries(days.into_iter().map(|(offset, holiday)| CalendarEntry {
                date: d(2026, 1, 1) + Days::new(offset),
                kind: if holiday {
                    DayKind::Holiday
                } else {
                    DayKind::Workday
                },
                name: String::new(),
            }))
        });
        prop_oneof![Just(WorkCalendar::china()), random]
    }

    fn count_by_hand(cal: &WorkCalendar, from: NaiveDate, to: NaiveDate) -> i64 {
        from.iter_days()
            .skip(1)
            .take_while(|day| *day <= to)
            .filter(|day| cal.is_working_day(*day))
            .count() as i64
    }

    proptest! {
        #[test]
        fn adding_lands_on_a_working_day_after_the_start(
            cal in calendar(), from in date(), n in 1u32..400,
        ) {
            let due = cal.add_working_days(from, n);
            prop_assert!(due > from);
            prop_assert!(cal.is_working_day(due));
        }

        #[test]
        fn counting_undoes_adding(cal in calendar(), from in date(), n in 0u32..400) {
            let due = cal.add_working_days(from, n);
            prop_assert_eq!(cal.working_days_between(from, due), i64::from(n));
        }

        #[test]
        fn adding_in_two_steps_is_adding_once(
            cal in calendar(), from in date(), m in 0u32..200, n in 0u32..200,
        ) {
            prop_assert_eq!(
                cal.add_working_days(cal.add_working_days(from, m), n),
                cal.add_working_days(from, m + n)
            );
        }

        #[test]
        fn counting_matches_a_count_by_hand_and_spans_add_up(
            cal in calendar(), a in date(), span in 0u64..800, back in 0u64..800,
        ) {
            let b = a + Days::new(span);
            let c = a - Days::new(back);
            prop_assert_eq!(cal.working_days_between(a, b), count_by_hand(&cal, a, b));
            prop_assert_eq!(cal.working_days_between(b, a), -count_by_hand(&cal, a, b));
            prop_assert_eq!(
                cal.working_days_between(c, a) + cal.working_days_between(a, b),
                cal.working_days_between(c, b)
            );
        }

        #[test]
        fn a_deadline_is_always_after_receipt(
            secs in -2_208_988_800i64..4_102_444_800, // 1900–2100
            tz in prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec()),
            days in 0u32..60,
            working in any::<bool>(),
        ) {
            let received = DateTime::from_timestamp(secs, 0).unwrap();
            let count = if working { DayCount::Working } else { DayCount::Calendar };
            let due = due_at(received, tz, days, count, &WorkCalendar::china());
            prop_assert!(due > received);
            // The clock has left the due day for good, and had not a second earlier.
            let shows = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
            let due_day = shows(due - chrono::TimeDelta::seconds(1));
            prop_assert!(shows(due) > due_day);
            prop_assert!(due_day >= shows(received));
        }

        #[test]
        fn in_shanghai_a_deadline_is_a_local_midnight(
            secs in 1_700_000_000i64..1_830_000_000, days in 0u32..60,
        ) {
            let tz: Tz = "Asia/Shanghai".parse().unwrap();
            let received = DateTime::from_timestamp(secs, 0).unwrap();
            let cal = WorkCalendar::china();
            let due = due_at(received, tz, days, DayCount::Working, &cal).with_timezone(&tz);
            prop_assert_eq!(due.time(), NaiveTime::MIN);
            let received_on = received.with_timezone(&tz).date_naive();
            let due_day = due.date_naive().pred_opt().unwrap();
            prop_assert_eq!(cal.working_days_between(received_on, due_day), i64::from(days));
        }
    }
}
