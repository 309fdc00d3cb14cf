//! Bulk loads and baselines for `minqing bench`: generated demand rows written in one statement
//! per 20,000 (a benchmark tenant's year of demands), and the same rows written the plainest way
//! (one INSERT each) to compare intake with.
use chrono::{DateTime, Utc};
use minqing_domain::demand::lifecycle::DemandState;
use minqing_domain::unit::UnitPath;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::Serialize;
use uuid::Uuid;

use crate::Storage;
use crate::error::{Result, StorageError};
use crate::scope::TenantScope;

/// One generated demand: its state (as the ledger would leave it) and where it sits.
pub struct GeneratedDemand {
    pub id: Uuid,
    pub state: DemandState,
    pub origin_path: UnitPath,
    pub handling_path: UnitPath,
    pub next_due_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct Row<'a> {
    id: Uuid,
    receipt_code: &'a str,
    status: &'a str,
    grade: &'a str,
    category: &'a str,
    channel: &'a str,
    title: &'a str,
    description: &'a str,
    origin_unit_id: Uuid,
    origin_path: &'a str,
    handling_unit_id: Uuid,
    handling_path: &'a str,
    handling_tier: &'a str,
    reply_due_at: Option<DateTime<Utc>>,
    resolve_due_at: Option<DateTime<Utc>>,
    next_due_at: Option<DateTime<Utc>>,
    received_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    state: String,
}

fn not_postgres() -> StorageError {
    StorageError::Db(sea_orm::DbErr::Custom(
        "benchmark loads need PostgreSQL".into(),
    ))
}

impl TenantScope {
    /// Writes generated demands straight into `demands` (PostgreSQL; benchmark tenants only:
    /// these rows have no ledger events).
    pub async fn load_generated_demands(&self, demands: &[GeneratedDemand]) -> Result<()> {
        if self.backend() != DbBackend::Postgres {
            return Err(not_postgres());
        }
        const SQL: &str = "INSERT INTO demands (id, tenant_id, receipt_code, status, grade, category, \
             channel, title, description, origin_unit_id, origin_path, handling_unit_id, handling_path, \
             handling_tier, phone_index, visit_id, reply_due_at, resolve_due_at, next_due_at, sweep_after, \
             merged_into, recorded_by, received_at, updated_at, state, last_seq) \
             SELECT r.id, $1, r.receipt_code, r.status, r.grade, r.category, r.channel, r.title, \
             r.description, r.origin_unit_id, r.origin_path, r.handling_unit_id, r.handling_path, \
             r.handling_tier, NULL, NULL, r.reply_due_at, r.resolve_due_at, r.next_due_at, NULL, NULL, \
             NULL, r.received_at, r.updated_at, r.state, 0 \
             FROM json_to_recordset($2::json) AS r(id uuid, receipt_code text, status text, grade text, \
             category text, channel text, title text, description text, origin_unit_id uuid, \
             origin_path text, handling_unit_id uuid, handling_path text, handling_tier text, \
             reply_due_at timestamptz, resolve_due_at timestamptz, next_due_at timestamptz, \
             received_at timestamptz, updated_at timestamptz, state text)";
        for chunk in demands.chunks(20_000) {
            let rows: Vec<Row> = chunk
                .iter()
                .map(|d| {
                    let s = &d.state;
                    Row {
                        id: d.id,
                        receipt_code: &s.intake.receipt_code,
                        status: s.status.as_str(),
                        grade: s.intake.grade.as_str(),
                        category: &s.intake.category,
                        channel: s.intake.channel.as_str(),
                        title: &s.intake.title,
                        description: &s.intake.description,
                        origin_unit_id: s.intake.origin_unit.0,
                        origin_path: d.origin_path.as_str(),
                        handling_unit_id: s.assignment.unit.0,
                        handling_path: d.handling_path.as_str(),
                        handling_tier: s.assignment.tier.as_str(),
                        reply_due_at: s.assignment.reply_due_at,
                        resolve_due_at: s.assignment.resolve_due_at,
                        next_due_at: d.next_due_at,
                        received_at: s.received_at,
                        updated_at: s.updated_at,
                        state: serde_json::to_string(s).unwrap_or_default(),
                    }
                })
                .collect();
            let json = serde_json::to_string(&rows)
                .map_err(|e| StorageError::Db(sea_orm::DbErr::Custom(format!("encoding: {e}"))))?;
            self.tx
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    SQL,
                    [self.tenant.0.into(), json.into()],
                ))
                .await?;
        }
        Ok(())
    }
}

/// The table the plain-insert baseline writes into.
#[derive(Clone, Copy, Debug)]
pub enum PlainTable {
    /// `demands`' columns and defaults only: no index to maintain, no constraint to check.
    Bare,
    /// `demands`' columns, defaults, checks and every index (`LIKE … INCLUDING ALL`; foreign
    /// keys are not copied): what storing the same rows in a table indexed as the ledger's is.
    Indexed,
}

impl PlainTable {
    fn including(self) -> &'static str {
        match self {
            Self::Bare => "INCLUDING DEFAULTS",
            Self::Indexed => "INCLUDING ALL",
        }
    }
}

impl Storage {
    /// Refreshes the planner's statistics after a bulk load.
    pub async fn analyze(&self, table: &str) -> Result<()> {
        if self.backend() == DbBackend::Postgres {
            self.db()
                .execute_unprepared(&format!("ANALYZE {table}"))
                .await?;
        }
        Ok(())
    }

    /// The plain-insert baseline for intake: copies the tenant's demand rows received at or
    /// after `since` into a fresh table shaped as `like` says and holding what `demands` held
    /// before `since`, one autocommitted INSERT per row from `clients` concurrent connections,
    /// and answers (rows, seconds).
    pub async fn plain_insert_baseline(
        &self,
        tenant: Uuid,
        since: DateTime<Utc>,
        clients: usize,
        like: PlainTable,
    ) -> Result<(usize, f64)> {
        if self.backend() != DbBackend::Postgres {
            return Err(not_postgres());
        }
        let scope = self.read(minqing_domain::TenantId(tenant)).await?;
        let rows = scope
            .tx
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT row_to_json(d)::text FROM demands d WHERE tenant_id = $1 AND received_at >= $2",
                [tenant.into(), since.into()],
            ))
            .await?;
        drop(scope);
        let rows: Vec<String> = rows
            .into_iter()
            .filter_map(|r| r.try_get_by_index::<String>(0).ok())
            .collect();
        let db = self.db().clone();
        let table = format!("bench_plain_{}", Uuid::now_v7().simple());
        db.execute_unprepared(&format!(
            "CREATE TABLE {table} (LIKE demands {})",
            like.including()
        ))
        .await?;
        // As large as `demands` was when the API wrote into it: an index grows slower to
        // insert into as it grows.
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("INSERT INTO {table} SELECT * FROM demands WHERE received_at < $1"),
            [since.into()],
        ))
        .await?;
        let insert = format!(
            "INSERT INTO {table} SELECT * FROM json_populate_record(NULL::{table}, $1::json)"
        );
        let started = std::time::Instant::now();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(rows.clone()));
        let mut tasks = Vec::new();
        for _ in 0..clients.max(1) {
            let (db, queue, insert) = (db.clone(), queue.clone(), insert.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let Some(row) = queue.lock().expect("queue").pop() else {
                        return Ok::<_, sea_orm::DbErr>(());
                    };
                    db.execute_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        &insert,
                        [row.into()],
                    ))
                    .await?;
                }
            }));
        }
        for t in tasks {
            t.await
                .map_err(|e| StorageError::Db(sea_orm::DbErr::Custom(e.to_string())))??;
        }
        let seconds = started.elapsed().as_secs_f64();
        db.execute_unprepared(&format!("DROP TABLE {table}"))
            .await?;
        Ok((rows.len(), seconds))
    }
}
