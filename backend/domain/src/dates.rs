//! The span of dates the programme takes: the years 2000 to 2100. A visit, a council term, a
//! contact point or a fiscal year outside it is a typing slip (`9999-12-31`), not a plan, and
//! would sit at the end of every list and calendar; refused with `date_out_of_range`.
use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// The years a date may fall in.
pub const YEARS: RangeInclusive<i32> = 2000..=2100;

/// The code a date outside [`YEARS`] is refused with.
pub const OUT_OF_RANGE: &str = "date_out_of_range";

/// `day`, if its year is within [`YEARS`].
pub fn check_day(day: NaiveDate) -> Result<NaiveDate, &'static str> {
    if YEARS.contains(&day.year()) {
        Ok(day)
    } else {
        Err(OUT_OF_RANGE)
    }
}

/// `at`, if its year (in UTC) is within [`YEARS`].
pub fn check_time(at: DateTime<Utc>) -> Result<DateTime<Utc>, &'static str> {
    check_day(at.date_naive()).map(|_| at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_years_2000_to_2100_and_no_others() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for ok in [day(2000, 1, 1), day(2026, 6, 15), day(2100, 12, 31)] {
            assert_eq!(check_day(ok), Ok(ok));
        }
        for bad in [
            day(1999, 12, 31),
            day(2101, 1, 1),
            day(9999, 12, 31),
            day(1, 1, 1),
        ] {
            assert_eq!(check_day(bad), Err(OUT_OF_RANGE));
        }
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert!(check_time(at("2026-03-01T08:00:00Z")).is_ok());
        assert_eq!(check_time(at("9999-12-31T08:00:00Z")), Err(OUT_OF_RANGE));
    }
}
