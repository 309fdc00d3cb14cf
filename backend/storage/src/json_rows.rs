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
        None => return Err(custom("no rows to insert")),
    };
    // Written straight into the parameter's text: this runs in the intake writer, between one
    // batch and the next, so its time is the tenant's time.
    let keys: Vec<String> = columns
        .iter()
        .map(|c| format!("\"{}\":", c.as_str()))
        .collect();
    let mut json = String::with_capacity(rows.len() * 96 * columns.len().max(1));
    json.push('[');
    for (i, row) in rows.iter().enumerate() {
        json.push_str(if i == 0 { "{" } else { ",{" });
        for (j, (column, key)) in columns.iter().zip(&keys).enumerate() {
            if j > 0 {
                json.push(',');
            }
            json.push_str(key);
            match row.get(*column) {
                ActiveValue::Set(v) | ActiveValue::Unchanged(v) => write_json(&mut json, v)?,
                ActiveValue::NotSet => return Err(custom("rows setting different columns")),
            }
        }
        json.push('}');
    }
    json.push(']');
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
fn write_json(out: &mut String, value: Value) -> Result<()> {
    let null = |out: &mut String| out.push_str("null");
    match value {
        Value::Bool(v) => match v {
            Some(b) => out.push_str(if b { "true" } else { "false" }),
            None => null(out),
        },
        Value::SmallInt(v) => write_number(out, v),
        Value::Int(v) => write_number(out, v),
        Value::BigInt(v) => write_number(out, v),
        Value::String(v) => match v {
            Some(s) => write_str(out, &s),
            None => null(out),
        },
        Value::Uuid(v) => match v {
            Some(u) => {
                out.push('"');
                out.push_str(
                    u.hyphenated()
                        .encode_lower(&mut uuid::Uuid::encode_buffer()),
                );
                out.push('"');
            }
            None => null(out),
        },
        Value::Json(v) => match v {
            Some(j) => {
                let text = serde_json::to_string(&*j).map_err(|e| custom(&e.to_string()))?;
                out.push_str(&text);
            }
            None => null(out),
        },
        // Microseconds, cut as the binary protocol cuts them, so a row reads back the same
        // whichever way it was written (an event's hash covers its time).
        Value::ChronoDateTimeUtc(v) => match v {
            Some(t) => write_time(out, t),
            None => null(out),
        },
        Value::Bytes(v) => match v {
            Some(b) => {
                out.push_str("\"\\\\x");
                out.push_str(&hex::encode(b));
                out.push('"');
            }
            None => null(out),
        },
        other => return Err(custom(&format!("no JSON form for {other:?}"))),
    }
    Ok(())
}

/// `t` as `"2025-11-24T16:00:00.123456Z"`: whole microseconds (what `%.6f` prints; written by
/// hand, as parsing the format string for every value showed in the writer's profile).
fn write_time(out: &mut String, t: chrono::DateTime<chrono::Utc>) {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
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

fn write_number(out: &mut String, n: Option<impl std::fmt::Display>) {
    use std::fmt::Write;
    match n {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push_str("null"),
    }
}

/// A JSON string: quotes, backslashes and control characters escaped (RFC 8259 §7).
fn write_str(out: &mut String, s: &str) {
    use std::fmt::Write;
    out.push('"');
    let mut plain = 0;
    for (i, c) in s.char_indices() {
        let escaped = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if c < ' ' => "",
            _ => continue,
        };
        out.push_str(&s[plain..i]);
        if escaped.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escaped);
        }
        plain = i + c.len_utf8();
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

fn custom(message: &str) -> StorageError {
    StorageError::Db(sea_orm::DbErr::Custom(message.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn json(value: Value) -> serde_json::Value {
        let mut out = String::new();
        write_json(&mut out, value).expect("a JSON form");
        serde_json::from_str(&out).expect("valid JSON")
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
        assert!(write_json(&mut String::new(), Value::Float(Some(1.0))).is_err());
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
