//! Baselines for `minqing bench`: the same rows written the fastest way PostgreSQL knows
//! (`COPY` into a plain table), measured in the same run as the real import.
use std::time::{Duration, Instant};

use sea_orm::DbBackend;

use crate::Storage;
use crate::error::{Result, StorageError};

impl Storage {
    /// COPYs `rows` (code, parent_code, level, name, path, id) into a fresh unindexed temporary
    /// table and returns how long the COPY took. PostgreSQL only.
    pub async fn copy_baseline(&self, csv: &str) -> Result<Duration> {
        if self.backend() != DbBackend::Postgres {
            return Err(StorageError::Db(sea_orm::DbErr::Custom(
                "the COPY baseline needs PostgreSQL".into(),
            )));
        }
        let pool = self.db().get_postgres_connection_pool();
        let mut conn = pool.acquire().await.map_err(db_err)?;
        let ddl = "CREATE TEMPORARY TABLE bench_units_copy (id uuid, tenant_id uuid, parent_id uuid, \
                   level int, code text, name text, path text, created_at timestamptz, updated_at timestamptz)";
        sea_orm::sqlx::query(ddl)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        let started = Instant::now();
        let mut copy = conn
            .copy_in_raw("COPY bench_units_copy FROM STDIN (FORMAT csv)")
            .await
            .map_err(db_err)?;
        copy.send(csv.as_bytes()).await.map_err(db_err)?;
        copy.finish().await.map_err(db_err)?;
        let took = started.elapsed();
        sea_orm::sqlx::query("DROP TABLE bench_units_copy")
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        Ok(took)
    }
}

fn db_err(e: sea_orm::sqlx::Error) -> StorageError {
    StorageError::Db(sea_orm::DbErr::Custom(e.to_string()))
}
