//! Times as the portal shows them: `YYYY-MM-DD HH:MM` in the tenant's zone (Asia/Shanghai until
//! the tenant's own is known, and on the public pages).
//!
//! The browser converts with its own zone database (`Intl.DateTimeFormat`), so the wasm does not
//! carry one (chrono-tz would add ~0.9 MB). Where that is not available — on the server, which
//! never renders a time (pages load their data after hydration), or for a zone the browser does
//! not know — China Standard Time (UTC+8, no daylight saving since 1991) stands in.
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// The zone of every tenant unless it chose another.
pub const DEFAULT_ZONE: &str = "Asia/Shanghai";

/// `2026-03-05 09:07` in the zone named `zone` (an IANA name, as the API gives it).
pub fn format_time(at: DateTime<Utc>, zone: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(text) = browser::format(at, zone) {
        return text;
    }
    let _ = zone;
    china_time(at)
}

/// The same, or `—` when there is no time.
pub fn format_opt(at: Option<DateTime<Utc>>, zone: &str) -> String {
    at.map_or_else(|| "—".to_owned(), |t| format_time(t, zone))
}

/// Today by the reader's clock (the server's while rendering), in China Standard Time.
pub fn today() -> NaiveDate {
    #[cfg(feature = "hydrate")]
    let now = chrono::TimeZone::timestamp_millis_opt(&Utc, js_sys::Date::now() as i64)
        .single()
        .unwrap_or_default();
    #[cfg(not(feature = "hydrate"))]
    let now = Utc::now();
    (now + Duration::hours(8)).date_naive()
}

/// UTC+8.
fn china_time(at: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    at.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string()
}

/// `YYYY-MM-DD HH:MM` from the parts `Intl.DateTimeFormat.formatToParts` names.
#[cfg(any(feature = "hydrate", test))]
fn assemble(parts: &[(String, String)]) -> Option<String> {
    let part = |kind: &str| {
        parts
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, v)| v.as_str())
    };
    Some(format!(
        "{}-{}-{} {}:{}",
        part("year")?,
        part("month")?,
        part("day")?,
        part("hour")?,
        part("minute")?
    ))
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;

    use chrono::{DateTime, Utc};
    use js_sys::{Array, Date, Function, Intl, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    thread_local! {
        /// One formatter per zone in use (building one is the costly part).
        static FORMATTER: RefCell<Option<(String, Intl::DateTimeFormat)>> = const { RefCell::new(None) };
    }

    /// An `Intl.DateTimeFormat` for the zone; `None` if the browser does not know it (the
    /// constructor throws, which `Reflect.construct` turns into an error here).
    fn formatter(zone: &str) -> Option<Intl::DateTimeFormat> {
        let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
        let constructor: Function = Reflect::get(&intl, &"DateTimeFormat".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let options = Object::new();
        for (key, value) in [
            ("timeZone", zone),
            ("hourCycle", "h23"),
            ("year", "numeric"),
            ("month", "2-digit"),
            ("day", "2-digit"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
        ] {
            Reflect::set(&options, &key.into(), &value.into()).ok()?;
        }
        let args = Array::of2(&Array::of1(&"en-CA".into()), &options);
        Reflect::construct(&constructor, &args)
            .ok()
            .map(JsCast::unchecked_into)
    }

    pub fn format(at: DateTime<Utc>, zone: &str) -> Option<String> {
        let date = Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
        FORMATTER.with(|cell| {
            let mut cached = cell.borrow_mut();
            if cached.as_ref().is_none_or(|(z, _)| z != zone) {
                *cached = Some((zone.to_owned(), formatter(zone)?));
            }
            let (_, format) = cached.as_ref()?;
            let parts: Vec<(String, String)> = format
                .format_to_parts(&date)
                .iter()
                .filter_map(|part| {
                    let get = |key: &str| Reflect::get(&part, &key.into()).ok()?.as_string();
                    Some((get("type")?, get("value")?))
                })
                .collect();
            super::assemble(&parts)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_time_stands_in_outside_the_browser() {
        let at: DateTime<Utc> = "2026-03-04T17:05:00Z".parse().unwrap();
        assert_eq!(format_time(at, DEFAULT_ZONE), "2026-03-05 01:05");
        assert_eq!(format_opt(None, DEFAULT_ZONE), "—");
    }

    #[test]
    fn the_browser_parts_make_the_same_shape() {
        let parts: Vec<(String, String)> = [
            ("year", "2026"),
            ("literal", "-"),
            ("month", "03"),
            ("literal", "-"),
            ("day", "05"),
            ("literal", ", "),
            ("hour", "01"),
            ("literal", ":"),
            ("minute", "05"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(assemble(&parts).as_deref(), Some("2026-03-05 01:05"));
        assert_eq!(assemble(&parts[..4]), None);
    }
}
