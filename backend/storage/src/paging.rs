//! Keyset paging: a page is `limit + 1` rows split into the page and, when more follow, the
//! cursor of its last row — a `(key, id)` or `(time, id)` position, opaque to callers — so the
//! next page starts right after it.
use base64::Engine;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use crate::error::{Result, StorageError};

/// Splits `limit + 1` rows into a page and the cursor of its last row when more follow.
pub(crate) fn page<T>(
    mut rows: Vec<T>,
    limit: u64,
    cursor: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(cursor);
        (rows, next)
    } else {
        (rows, None)
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

fn invalid() -> StorageError {
    StorageError::field("cursor", "invalid_cursor")
}

/// A `(key, id)` position; the id is last, so a key holding `|` still splits.
pub(crate) fn encode_text_cursor(key: &str, id: Uuid) -> String {
    b64().encode(format!("{key}|{}", id.simple()))
}

pub(crate) fn decode_text_cursor(cursor: &str) -> Result<(String, Uuid)> {
    let raw = b64()
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let (key, id) = raw.rsplit_once('|').ok_or_else(invalid)?;
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok((key.to_owned(), id))
}

/// A `(time, id)` position: the time in microseconds as the key.
pub(crate) fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    encode_text_cursor(&at.timestamp_micros().to_string(), id)
}

pub(crate) fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid)> {
    let (micros, id) = decode_text_cursor(cursor)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(invalid)?;
    Ok((at, id))
}

/// The rows after `(at, id)` of a list ordered newest first by `time`, then `id`.
pub(crate) fn after_newest_first<T: ColumnTrait, I: ColumnTrait>(
    time: T,
    id_col: I,
    at: DateTime<Utc>,
    id: Uuid,
) -> Condition {
    Condition::any()
        .add(time.lt(at))
        .add(Condition::all().add(time.eq(at)).add(id_col.lt(id)))
}

/// The rows after `(at, id)` of a list ordered earliest first by `time`, then `id`.
pub(crate) fn after_earliest_first<T: ColumnTrait, I: ColumnTrait>(
    time: T,
    id_col: I,
    at: DateTime<Utc>,
    id: Uuid,
) -> Condition {
    Condition::any()
        .add(time.gt(at))
        .add(Condition::all().add(time.eq(at)).add(id_col.gt(id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_cursor_keeps_a_key_with_separators() {
        let id = Uuid::from_u128(7);
        let cursor = encode_text_cursor("红谷滩区|3栋 2单元", id);
        assert_eq!(
            decode_text_cursor(&cursor).unwrap(),
            ("红谷滩区|3栋 2单元".to_owned(), id)
        );
    }

    #[test]
    fn a_time_cursor_comes_back_to_the_microsecond() {
        let at = DateTime::from_timestamp_micros(1_796_000_000_123_456).unwrap();
        let id = Uuid::from_u128(9);
        assert_eq!(decode_cursor(&encode_cursor(at, id)).unwrap(), (at, id));
    }

    #[test]
    fn a_forged_cursor_is_refused() {
        for bad in [
            "",
            "!!",
            &b64().encode("no-id"),
            &b64().encode("a|not-a-uuid"),
        ] {
            assert!(decode_text_cursor(bad).is_err(), "{bad}");
        }
        let not_a_time = encode_text_cursor("soon", Uuid::from_u128(9));
        assert!(decode_cursor(&not_a_time).is_err());
    }
}
