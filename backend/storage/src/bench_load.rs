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

/// What the plain-insert baseline writes, and where.
#[derive(Clone, Copy, Debug)]
pub enum PlainTable {
    /// Each demand's row into a copy of `demands` with its columns and defaults only: no
    /// index to maintain, no constraint to check.
    Bare,
    /// Each demand's row into a copy of `demands` with its defaults, checks and every index
    /// (`LIKE … INCLUDING ALL`; foreign keys are not copied).
    Indexed,
    /// Every row an intake wrote — the demand, its event, its outbox messages — into copies of
    /// `demands`, `demand_events` and `outbox` with every index, one autocommitted statement
    /// per demand: the same rows, stored as the product stores them, without the API.
    AllRows,
}

impl PlainTable {
    fn including(self) -> &'static str {
        match self {
            Self::Bare => "INCLUDING DEFAULTS",
            Self::Indexed | Self::AllRows => "INCLUDING ALL",
        }
    }

    /// The tables copied, each with its time column (what was there before the run is what
    /// was written before that time); the first is `demands`, the others hang off a demand by
    /// `demand_id`.
    fn tables(self) -> &'static [(&'static str, &'static str)] {
        const DEMANDS: (&str, &str) = ("demands", "received_at");
        match self {
            Self::Bare | Self::Indexed => &[DEMANDS],
            Self::AllRows => &[DEMANDS, ("demand_events", "at"), ("outbox", "created_at")],
        }
    }
}

/// What one plain-insert baseline wrote, and how long it took.
#[derive(Debug)]
pub struct PlainRun {
    pub demands: usize,
    /// Rows written in all (demands and, for `AllRows`, their events and outbox messages).
    pub rows: u64,
    pub seconds: f64,
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

    /// The plain-insert baseline for intake: copies the tenant's demands received at or after
    /// `since` (with their events and outbox messages, for `AllRows`) into fresh tables shaped
    /// as `like` says and holding what the originals held before `since`, one autocommitted
    /// statement per demand from `clients` concurrent connections.
    pub async fn plain_insert_baseline(
        &self,
        tenant: Uuid,
        since: DateTime<Utc>,
        clients: usize,
        like: PlainTable,
    ) -> Result<PlainRun> {
        if self.backend() != DbBackend::Postgres {
            return Err(not_postgres());
        }
        let tables = like.tables();
        // Each demand as its row, then the rows of each other table that belong to it.
        let mut columns = vec!["row_to_json(d)::text".to_owned()];
        columns.extend(tables[1..].iter().map(|(table, _)| {
            format!(
                "(SELECT coalesce(json_agg(x), '[]'::json) FROM {table} x \
                 WHERE x.tenant_id = d.tenant_id AND x.demand_id = d.id)::text"
            )
        }));
        // Read the rows and make the copies in one transaction bound to the tenant, so that
        // row-level security (for a role it binds) shows the tenant's rows to copy.
        let scope = self
            .write(minqing_domain::TenantId(tenant), crate::Audit::system())
            .await?;
        let found = scope
            .tx
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "SELECT {} FROM demands d WHERE tenant_id = $1 AND received_at >= $2",
                    columns.join(", ")
                ),
                [tenant.into(), since.into()],
            ))
            .await?;
        let rows = found
            .iter()
            .map(|r| {
                (0..tables.len())
                    .map(|i| r.try_get_by_index::<String>(i))
                    .collect::<std::result::Result<Vec<_>, _>>()
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let stem = format!("bench_plain_{}", Uuid::now_v7().simple());
        let copies: Vec<String> = (0..tables.len()).map(|i| format!("{stem}_{i}")).collect();
        let mut before = 0;
        for ((table, time), copy) in tables.iter().zip(&copies) {
            scope
                .tx
                .execute_unprepared(&format!(
                    "CREATE TABLE {copy} (LIKE {table} {})",
                    like.including()
                ))
                .await?;
            // As large as the original was when the API wrote into it: an index grows slower
            // to insert into as it grows.
            before += scope
                .tx
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    format!("INSERT INTO {copy} SELECT * FROM {table} WHERE {time} < $1"),
                    [since.into()],
                ))
                .await?
                .rows_affected();
        }
        scope.commit().await?;
        let db = self.db().clone();
        let demand = format!(
            "INSERT INTO {0} SELECT * FROM json_populate_record(NULL::{0}, $1::json)",
            copies[0]
        );
        let insert = if copies.len() == 1 {
            demand
        } else {
            let others: Vec<String> = copies[1..]
                .iter()
                .enumerate()
                .map(|(i, copy)| {
                    format!(
                        "r{i} AS (INSERT INTO {copy} \
                         SELECT * FROM json_populate_recordset(NULL::{copy}, ${}::json))",
                        i + 2
                    )
                })
                .collect();
            format!("WITH {} {demand}", others.join(", "))
        };
        let started = std::time::Instant::now();
        let count = rows.len();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(rows));
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
                        row.into_iter().map(Into::into),
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
        let counts: Vec<String> = copies
            .iter()
            .map(|c| format!("(SELECT count(*) FROM {c})"))
            .collect();
        let after: i64 = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT ({})::bigint", counts.join(" + ")),
            ))
            .await?
            .ok_or(StorageError::NotFound)?
            .try_get_by_index(0)?;
        db.execute_unprepared(&format!("DROP TABLE {}", copies.join(", ")))
            .await?;
        Ok(PlainRun {
            demands: count,
            rows: after as u64 - before,
            seconds,
        })
    }
}
