//! Keyset cursors for lists ordered by a text key or a time, then the row's id: the position
//! of a page's last row, opaque to callers, so the next page starts right after it.
use base64::Engine;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use crate::error::{Result, StorageError};

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
    fn a_forged_cursor_is_refused() {
        for bad in [
            "",
            "!!",
            &b64().encode("no-id"),
            &b64().encode("a|not-a-uuid"),
        ] {
            assert!(decode_text_cursor(bad).is_err(), "{bad}");
        }
    }
}
