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
    let mut array = Vec::with_capacity(rows.len());
    for row in rows {
        let mut object = serde_json::Map::with_capacity(columns.len());
        for column in &columns {
            let value = match row.get(*column) {
                ActiveValue::Set(v) | ActiveValue::Unchanged(v) => v,
                ActiveValue::NotSet => return Err(custom("rows setting different columns")),
            };
            object.insert(column.as_str().to_owned(), json_of(value)?);
        }
        array.push(serde_json::Value::Object(object));
    }
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
    let mut all = vec![Value::from(serde_json::Value::Array(array).to_string())];
    all.extend(values);
    Ok(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        all,
    ))
}

/// A value as PostgreSQL reads it back from JSON into its column's type.
fn json_of(value: Value) -> Result<serde_json::Value> {
    use serde_json::Value as J;
    Ok(match value {
        Value::Bool(v) => v.map_or(J::Null, J::Bool),
        Value::SmallInt(v) => v.map_or(J::Null, J::from),
        Value::Int(v) => v.map_or(J::Null, J::from),
        Value::BigInt(v) => v.map_or(J::Null, J::from),
        Value::String(v) => v.map_or(J::Null, J::String),
        Value::Uuid(v) => v.map_or(J::Null, |u| J::String(u.to_string())),
        Value::Json(v) => v.map_or(J::Null, |j| *j),
        // Microseconds, cut as the binary protocol cuts them, so a row reads back the same
        // whichever way it was written (an event's hash covers its time).
        Value::ChronoDateTimeUtc(v) => v.map_or(J::Null, |t| {
            J::String(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        }),
        Value::Bytes(v) => v.map_or(J::Null, |b| J::String(format!("\\x{}", hex::encode(b)))),
        other => return Err(custom(&format!("no JSON form for {other:?}"))),
    })
}

fn custom(message: &str) -> StorageError {
    StorageError::Db(sea_orm::DbErr::Custom(message.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_keep_whole_microseconds_as_the_binary_protocol_does() {
        let t = chrono::Utc
            .timestamp_opt(1_764_000_000, 123_456_789)
            .single()
            .expect("a time");
        assert_eq!(
            json_of(Value::ChronoDateTimeUtc(Some(t))).expect("json"),
            serde_json::json!("2025-11-24T16:00:00.123456Z")
        );
        assert_eq!(
            json_of(Value::Bytes(Some(vec![0, 255]))).expect("json"),
            serde_json::json!("\\x00ff")
        );
        assert_eq!(
            json_of(Value::Uuid(None)).expect("json"),
            serde_json::Value::Null
        );
        assert!(json_of(Value::Float(Some(1.0))).is_err());
    }
}
