//! Rows carried to PostgreSQL as one JSON parameter: `INSERT INTO t (…) SELECT … FROM
//! json_populate_recordset(NULL::t, $1::json)`.
//!
//! A multi-row `VALUES` list has a placeholder per column per row, so its text changes with the
//! number of rows: each batch is parsed and planned afresh (for an intake batch, a third of its
//! time in the database). With the rows in one parameter, the text is the same for one row or
//! two hundred, and a connection prepares and plans it once.
use sea_orm::{
    ActiveModelTrait, ActiveValue, DbBackend, EntityName, EntityTrait, IdenStatic, Iterable,
    Statement, Value,
};

use crate::error::{Result, StorageError};

/// `rows` inserted only if `condition` holds (`WHERE <condition>`), followed by `tail` (an
/// `ON CONFLICT …`, say); the rows are the statement's `$1`, `tail` may use `$2` on with
/// `values`. Every row must set the same columns (those of the first).
pub(crate) fn insert_where<A>(
    rows: &[A],
    condition: &str,
    tail: &str,
    values: Vec<Value>,
) -> Result<Statement>
where
    A: ActiveModelTrait,
{
    let columns: Vec<_> = match rows.first() {
        Some(first) => <A::Entity as EntityTrait>::Column::iter()
            .filter(|c| !first.is_not_set(*c))
            .collect(),
        None => return Err(StorageError::internal("no rows to insert")),
    };
    // Written straight into the parameter's text: this runs in the intake writer, between one
    // batch and the next, so its time is the tenant's time.
    let keys: Vec<String> = columns
        .iter()
        .map(|c| format!("\"{}\":", c.as_str()))
        .collect();
    let mut json = Vec::with_capacity(rows.len() * 96 * columns.len().max(1));
    json.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        json.extend_from_slice(if i == 0 { b"{" } else { b",{" });
        for (j, (column, key)) in columns.iter().zip(&keys).enumerate() {
            if j > 0 {
                json.push(b',');
            }
            json.extend_from_slice(key.as_bytes());
            match row.get(*column) {
                ActiveValue::Set(v) | ActiveValue::Unchanged(v) => write_json(&mut json, v)?,
                ActiveValue::NotSet => {
                    return Err(StorageError::internal("rows setting different columns"));
                }
            }
        }
        json.push(b'}');
    }
    json.push(b']');
    let json = String::from_utf8(json).map_err(|e| StorageError::internal(e.to_string()))?;
    let table = A::Entity::default().table_name().to_owned();
    let names = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO \"{table}\" ({names}) SELECT {names} \
         FROM json_populate_recordset(NULL::\"{table}\", $1::json) WHERE {condition}{tail}"
    );
    let mut all = vec![Value::from(json)];
    all.extend(values);
    Ok(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        all,
    ))
}

/// Appends `value` as JSON, in the form PostgreSQL reads back into its column's type.
fn write_json(out: &mut Vec<u8>, value: Value) -> Result<()> {
    use std::io::Write;
    let encoded = match value {
        Value::Bool(Some(b)) => serde_json::to_writer(&mut *out, &b),
        Value::SmallInt(Some(n)) => serde_json::to_writer(&mut *out, &n),
        Value::Int(Some(n)) => serde_json::to_writer(&mut *out, &n),
        Value::BigInt(Some(n)) => serde_json::to_writer(&mut *out, &n),
        Value::String(Some(s)) => serde_json::to_writer(&mut *out, &s),
        Value::Json(Some(j)) => serde_json::to_writer(&mut *out, &*j),
        Value::Uuid(Some(u)) => {
            let mut buffer = uuid::Uuid::encode_buffer();
            serde_json::to_writer(&mut *out, u.hyphenated().encode_lower(&mut buffer))
        }
        // Microseconds, cut as the binary protocol cuts them, so a row reads back the same
        // whichever way it was written (an event's hash covers its time).
        Value::ChronoDateTimeUtc(Some(t)) => {
            write_time(out, t);
            Ok(())
        }
        Value::Bytes(Some(b)) => {
            out.extend_from_slice(b"\"\\\\x");
            out.extend_from_slice(hex::encode(b).as_bytes());
            out.push(b'"');
            Ok(())
        }
        Value::Bool(None)
        | Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::String(None)
        | Value::Json(None)
        | Value::Uuid(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::Bytes(None) => out.write_all(b"null").map_err(serde_json::Error::io),
        other => {
            return Err(StorageError::internal(format!(
                "no JSON form for {other:?}"
            )));
        }
    };
    encoded.map_err(|e| StorageError::internal(e.to_string()))
}

/// `t` as `"2025-11-24T16:00:00.123456Z"`: whole microseconds (what `%.6f` prints; written by
/// hand, as parsing the format string for every value showed in the writer's profile).
fn write_time(out: &mut Vec<u8>, t: chrono::DateTime<chrono::Utc>) {
    use chrono::{Datelike, Timelike};
    use std::io::Write;
    let plain = (0..=9999).contains(&t.year()) && t.nanosecond() < 1_000_000_000;
    let _ = if plain {
        write!(
            out,
            "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z\"",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond() / 1000
        )
    } else {
        write!(out, "\"{}\"", t.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn json(value: Value) -> serde_json::Value {
        let mut out = Vec::new();
        write_json(&mut out, value).expect("a JSON form");
        serde_json::from_slice(&out).expect("valid JSON")
    }

    #[test]
    fn times_keep_whole_microseconds_as_the_binary_protocol_does() {
        let t = chrono::Utc
            .timestamp_opt(1_764_000_000, 123_456_789)
            .single()
            .expect("a time");
        assert_eq!(
            json(Value::ChronoDateTimeUtc(Some(t))),
            serde_json::json!("2025-11-24T16:00:00.123456Z")
        );
        for (secs, nanos) in [(0, 0), (1_700_000_000, 999_999_999), (4_102_444_799, 1_000)] {
            let t = chrono::Utc
                .timestamp_opt(secs, nanos)
                .single()
                .expect("a time");
            assert_eq!(
                json(Value::ChronoDateTimeUtc(Some(t))),
                serde_json::json!(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
            );
        }
        assert_eq!(
            json(Value::Bytes(Some(vec![0, 255]))),
            serde_json::json!("\\x00ff")
        );
        assert_eq!(json(Value::Uuid(None)), serde_json::Value::Null);
        assert!(write_json(&mut Vec::new(), Value::Float(Some(1.0))).is_err());
    }

    #[test]
    fn text_reads_back_exactly_whatever_it_holds() {
        for text in [
            "",
            "plain",
            "引号\"与\\反斜杠",
            "line\nbreak\r\ttab",
            "\u{0}\u{1f}\u{7f}",
            "😀 emoji",
            "{\"state\":[1,2]}",
        ] {
            assert_eq!(
                json(Value::String(Some(text.into()))),
                serde_json::json!(text)
            );
        }
        let id = uuid::Uuid::now_v7();
        assert_eq!(
            json(Value::Uuid(Some(id))),
            serde_json::json!(id.to_string())
        );
        assert_eq!(json(Value::BigInt(Some(-42))), serde_json::json!(-42));
        assert_eq!(json(Value::Bool(Some(false))), serde_json::json!(false));
        assert_eq!(json(Value::Int(None)), serde_json::Value::Null);
        let doc = serde_json::json!({"a": [1, "x"]});
        assert_eq!(json(Value::Json(Some(Box::new(doc.clone())))), doc);
    }
}
