//! Group commit for intake: the demands of one tenant that arrive together are written in one
//! transaction.
//!
//! Every event takes the tenant's chain head (`ledger`) and holds its row lock to commit, so
//! one tenant's writes are serial: written one by one, intake runs at one commit (a WAL flush
//! and a handful of round trips) per demand however many recorders type at once. Here the
//! request reads and decides everything first (`Demands::prepare`), without the lock, and
//! queues the result; one writer task per tenant drains its queue and writes what is waiting
//! in one transaction — one head update, one insert per table, one commit — then answers
//! each request. Nothing is answered before its commit, so a 201 still means "on disk".
//!
//! On PostgreSQL a batch is one autocommit statement on a connection of the writers' own (a
//! lane, bound to its tenant for the session): one round trip, where a transaction takes four.
//! The writer keeps the head its last batch left, hashes the next batch onto it, and the
//! statement's head swap applies only if the head is still the one guessed (and the tenant's
//! settings still at the batch's version); the events, demands and the rest are gated on it.
//! A guess that missed (another process, or another kind of write, moved the head) writes
//! nothing: the statement raises its refusal, so all of it is rolled back, and the batch is
//! hashed again onto the head as read; after a few misses it is written the locking way.
//!
//! If the database refuses a batch, its demands are written again one by one, so one bad demand
//! fails alone. If the connection fails instead, whether the batch committed is unknown, and
//! the batch is *settled*: the lane's server session is ended (waiting until it is gone), so
//! the outcome is final; then, under the head's lock, the writer looks for the event the batch
//! would have left at the head. Found, it committed and is answered as written; not found, it
//! is written the locking way. If settling fails, its demands are answered with the error and
//! not tried again. A lost answer never writes a demand twice.
//!
//! A demand decided from cached settings, grants and units (intake's fast path, no database
//! work before the commit) carries the settings version it was decided under; the batch reads
//! the tenant's version first, and a demand decided under an older one is not written but
//! answered `Stale`, for its request to decide again from the database.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minqing_domain::TenantId;
use minqing_domain::crypto_choice::HashAlgorithm;
use minqing_domain::demand::lifecycle::DemandEvent;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectOptions, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, QuerySelect, QueryTrait, Statement,
};
use tokio::sync::oneshot;

use crate::entities::{demand, demand_event, idempotency_key, outbox_message, tenant};
use crate::error::{Result, StorageError};
use crate::idempotency::StoredResponse;
use crate::json_rows;
use crate::ledger::{Head, NewEvent, chain_onto};
use crate::scope::{Audit, TenantScope};

/// At most this many demands per transaction (PostgreSQL allows 65,535 bind parameters per
/// statement; a demand row has about thirty).
const MAX_BATCH: usize = 200;

/// A demand decided but not yet written (`Demands::prepare`).
pub struct PreparedIntake {
    pub(crate) row: demand::Model,
    pub(crate) event: DemandEvent,
    pub(crate) algorithm: HashAlgorithm,
    pub(crate) actor: Audit,
    pub(crate) outbox: Vec<outbox_message::ActiveModel>,
    pub(crate) remember: Option<Remember>,
    /// Decided from caches under this settings version: written only if it is still current.
    pub(crate) decided_at: Option<i64>,
}

/// The answer to keep under an `Idempotency-Key`, written with the demand.
pub(crate) struct Remember {
    key: String,
    request_hash: String,
    response: StoredResponse,
}

impl PreparedIntake {
    /// Keeps `response` under the caller's `Idempotency-Key`, in the demand's transaction.
    pub fn remember(&mut self, key: &str, request_hash: &str, response: StoredResponse) {
        self.remember = Some(Remember {
            key: key.to_owned(),
            request_hash: request_hash.to_owned(),
            response,
        });
    }

    /// Marks the demand as decided from caches at settings `version` (see the module's note).
    pub fn decided_under(&mut self, version: i64) {
        self.decided_at = Some(version);
    }
}

impl TenantScope {
    /// Writes prepared demands in the scope's transaction, taking the chain head's lock: their
    /// idempotency answers and notifications, then their events (one chain append) and rows.
    pub async fn write_intakes(&self, items: &[&PreparedIntake]) -> Result<()> {
        self.write_intake_extras(items).await?;
        let chained = self.chain_events(&new_events(items)).await?;
        let demands = demand_rows(items, &chained.seqs);
        let events = demand_event::Entity::insert_many(chained.rows);
        let head = self.head_update(chained.head_hash);
        if self.backend() == DbBackend::Postgres {
            // One round trip while the chain head is locked, instead of three.
            self.tx
                .execute_raw(together(
                    &[
                        events.build(DbBackend::Postgres),
                        demands.build(DbBackend::Postgres),
                    ],
                    head.build(DbBackend::Postgres),
                ))
                .await?;
        } else {
            events.exec(&self.tx).await?;
            demands.exec(&self.tx).await?;
            head.exec(&self.tx).await?;
        }
        Ok(())
    }

    /// What a batch writes besides its events and rows, none of which needs the chain head:
    /// the idempotency answers and the notifications.
    async fn write_intake_extras(&self, items: &[&PreparedIntake]) -> Result<()> {
        for item in items {
            if let Some(r) = &item.remember {
                self.idempotency()
                    .remember_for(&item.actor, &r.key, &r.request_hash, &r.response)
                    .await?;
            }
        }
        let outbox: Vec<_> = items.iter().flat_map(|i| i.outbox.clone()).collect();
        self.notifications().insert(outbox).await
    }

    /// Which of `items` may be written (all but those decided from caches under a settings
    /// version that is no longer the tenant's, `version` if it was read already), and those
    /// items.
    async fn current_of<'a>(
        &self,
        items: &'a [PreparedIntake],
        version: Option<i64>,
    ) -> Result<(Vec<bool>, Vec<&'a PreparedIntake>)> {
        let version = match version {
            None if items.iter().any(|i| i.decided_at.is_some()) => {
                Some(self.settings_version().await?)
            }
            known => known,
        };
        Ok(current_at(items, version))
    }

    async fn settings_version(&self) -> Result<i64> {
        settings_version_on(&self.tx, self.tenant).await
    }
}

/// Which of `items` may be written at settings `version` (all but those decided from caches
/// under another), and those items.
fn current_at(items: &[PreparedIntake], version: Option<i64>) -> (Vec<bool>, Vec<&PreparedIntake>) {
    let current: Vec<bool> = items
        .iter()
        .map(|i| i.decided_at.is_none_or(|d| Some(d) == version))
        .collect();
    let writing = items
        .iter()
        .zip(&current)
        .filter_map(|(item, ok)| ok.then_some(item))
        .collect();
    (current, writing)
}

/// The ledger events of prepared demands, in their order.
fn new_events<'a>(items: &[&'a PreparedIntake]) -> Vec<NewEvent<'a>> {
    items
        .iter()
        .map(|i| NewEvent {
            demand: i.row.id,
            event: &i.event,
            at: i.row.received_at,
            algorithm: i.algorithm,
            actor: &i.actor,
        })
        .collect()
}

/// The demands' rows, each with the seq of its first event.
fn demand_rows(
    items: &[&PreparedIntake],
    seqs: &[i64],
) -> sea_orm::InsertMany<demand::ActiveModel> {
    demand::Entity::insert_many(demand_models(items, seqs))
}

fn demand_models<'a>(
    items: &'a [&PreparedIntake],
    seqs: &'a [i64],
) -> impl Iterator<Item = demand::ActiveModel> + 'a {
    items.iter().zip(seqs).map(|(i, seq)| {
        let mut row = i.row.clone();
        row.last_seq = *seq;
        demand::ActiveModel::from(row).reset_all()
    })
}

/// PostgreSQL statements as one: `first` as data-modifying CTEs `s0`, `s1`, … and `last` as
/// the main statement (`WITH s0 AS (…), s1 AS (…) <last>`), their `$n` placeholders
/// renumbered after those before them. All run with one snapshot, so none may read what
/// another writes.
fn together(first: &[Statement], last: Statement) -> Statement {
    let mut sql = String::new();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    for (i, statement) in first.iter().chain([&last]).enumerate() {
        let renumbered = renumber(&statement.sql, values.len());
        match i {
            _ if i == first.len() && i == 0 => sql.push_str(&renumbered),
            _ if i == first.len() => sql.push_str(&format!(" {renumbered}")),
            0 => sql.push_str(&format!("WITH s0 AS ({renumbered})")),
            _ => sql.push_str(&format!(", s{i} AS ({renumbered})")),
        }
        if let Some(v) = &statement.values {
            values.extend(v.0.iter().cloned());
        }
    }
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// `sql` with each `$n` placeholder moved up by `offset` (the statements built here carry
/// every value as a placeholder, never a literal that could hold a `$`).
fn renumber(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

type Reply = oneshot::Sender<Result<()>>;

/// The chain head as this process's last batch for the tenant left it (`None`: not known, read
/// it). Held from hashing a batch until it is committed, so batches reach the head in the order
/// they were hashed.
type Tail = Arc<tokio::sync::Mutex<Option<Head>>>;

/// A batch as it was queued: each demand with the request waiting for its answer.
type Batch = Vec<(PreparedIntake, Reply)>;

/// How long a free writer waits for as many demands as its last batch held (see `gather`).
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

#[derive(Default)]
struct Queue {
    waiting: Batch,
    /// Whether a writer task is draining this queue.
    draining: bool,
    /// Kept while no writer runs, so the next one need not read the head first.
    tail: Tail,
    /// Told when as many as `expected` are waiting, for a writer gathering its next batch.
    arrived: Arc<tokio::sync::Notify>,
    /// How many the last batch held: as many are likely on their way again.
    expected: usize,
}

/// The per-tenant queues and their writer tasks. A writer exists only while its queue has
/// work, so an idle process holds no task (and no clone of the storage) for any tenant; an
/// idle queue keeps only its tail.
/// One writer per tenant: whatever arrives while it writes is its next batch.
#[derive(Clone, Default)]
pub(crate) struct IntakeWriter {
    queues: Arc<Mutex<HashMap<TenantId, Queue>>>,
    /// PostgreSQL: the writers' own connections.
    lanes: Option<Arc<Lanes>>,
}

impl IntakeWriter {
    /// A writer for PostgreSQL, whose lanes connect with `options` (those of the main pool).
    pub(crate) fn postgres(options: &ConnectOptions) -> Self {
        Self {
            lanes: Some(Arc::new(Lanes::new(options))),
            ..Self::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Queue>> {
        // Only whole pushes and takes happen under the lock: a panic cannot leave it torn.
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `item` for `tenant` and waits until it is committed (or failed).
    pub(crate) async fn write(
        &self,
        storage: &crate::Storage,
        tenant: TenantId,
        item: PreparedIntake,
    ) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queues = self.lock();
            let queue = queues.entry(tenant).or_default();
            queue.waiting.push((item, reply));
            // The writer gathering waits for this many (or its deadline): an earlier wake-up
            // would only find the batch short and put it back to sleep.
            if queue.waiting.len() >= queue.expected.max(1) {
                queue.arrived.notify_one();
            }
            !std::mem::replace(&mut queue.draining, true)
        };
        if start {
            let (writer, storage) = (self.clone(), storage.clone());
            tokio::spawn(async move { writer.drain(&storage, tenant).await });
        }
        answer
            .await
            .map_err(|_| StorageError::internal("intake writer stopped"))?
    }

    /// Writes the tenant's queue batch by batch until it is empty.
    async fn drain(&self, storage: &crate::Storage, tenant: TenantId) {
        // A queue, once made, stays: its tail is the same one for every batch.
        let Some(tail) = self.lock().get(&tenant).map(|q| q.tail.clone()) else {
            return;
        };
        while let Some(batch) = self.gather(tenant).await {
            let batch = (batch, tail.clone());
            // A lane per batch, so a tenant always busy cannot keep the others waiting for one.
            // Without a lane (none could connect) the batch is written the locking way.
            let lanes = self.lanes.as_deref();
            let mut lane = match lanes {
                Some(lanes) => lanes.take(tenant).await.ok(),
                None => None,
            };
            write_batch(storage, tenant, batch, lane.as_mut().map(|l| &mut l.0)).await;
            if let (Some(lanes), Some((lane, permit))) = (lanes, lane) {
                lanes.give_back(lane, permit);
            }
        }
    }

    /// The tenant's next batch: what is waiting once as many as the last batch held have
    /// arrived, or `GATHER` has passed. Clients that send again as soon as they are answered
    /// are back within a fraction of a commit; taken at the first arrival, they would split
    /// into small batches that wait for each other. `None` (the writer done) when none came.
    async fn gather(&self, tenant: TenantId) -> Option<Batch> {
        let deadline = tokio::time::Instant::now() + GATHER;
        let mut waited = false;
        loop {
            let arrived = {
                let mut queues = self.lock();
                let queue = queues.get_mut(&tenant)?;
                if queue.waiting.len() >= queue.expected.max(1) || waited {
                    if queue.waiting.is_empty() {
                        queue.draining = false;
                        queue.expected = 0;
                        return None;
                    }
                    let n = queue.waiting.len().min(MAX_BATCH);
                    queue.expected = n;
                    return Some(queue.waiting.drain(..n).collect());
                }
                queue.arrived.clone()
            };
            waited = tokio::time::timeout_at(deadline, arrived.notified())
                .await
                .is_err();
        }
    }
}

async fn write_batch(
    storage: &crate::Storage,
    tenant: TenantId,
    (batch, tail): (Batch, Tail),
    mut lane: Option<&mut Lane>,
) {
    let (items, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    let answer = |reply: Reply, written: bool| {
        let _ = reply.send(if written {
            Ok(())
        } else {
            Err(StorageError::Stale)
        });
    };
    match write_together(storage, tenant, &items, &tail, lane.as_deref_mut()).await {
        Ok(written) => {
            for (reply, written) in replies.into_iter().zip(written) {
                answer(reply, written);
            }
        }
        // Which one failed is unknown: each is tried alone, and answered with its own result.
        // Only after the database refused the batch, so that surely nothing of it was written;
        // after a failed connection, trying again could write a demand twice.
        Err(e) if items.len() > 1 && refused_by_database(&e) => {
            for (item, reply) in items.iter().zip(replies) {
                let alone = write_together(
                    storage,
                    tenant,
                    std::slice::from_ref(item),
                    &tail,
                    lane.as_deref_mut(),
                )
                .await;
                match alone {
                    Ok(written) => answer(reply, written[0]),
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
        }
        Err(e) => {
            let message = e.to_string();
            let mut replies = replies.into_iter();
            if let Some(first) = replies.next() {
                let _ = first.send(Err(e));
            }
            for reply in replies {
                let _ = reply.send(Err(StorageError::internal(message.clone())));
            }
        }
    }
}

/// Whether `err` is the database's own refusal (or a rule of ours), which rolled everything
/// back, rather than a failed connection, after which what was committed is unknown.
fn refused_by_database(err: &StorageError) -> bool {
    match err {
        StorageError::Db(db) => database_said(db),
        _ => true,
    }
}

/// Whether the database answered with this error, rolling the statement back. PostgreSQL's
/// FATAL and PANIC (the session ended, maybe after the commit) leave that unknown.
fn database_said(err: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::postgres::{PgDatabaseError, PgSeverity};
    match sqlx_error(err) {
        Some(sea_orm::sqlx::Error::Database(e)) => e
            .try_downcast_ref::<PgDatabaseError>()
            .is_none_or(|pg| matches!(pg.severity(), PgSeverity::Error)),
        _ => false,
    }
}

fn sqlx_error(err: &sea_orm::DbErr) -> Option<&sea_orm::sqlx::Error> {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => {
            Some(&**e)
        }
        _ => None,
    }
}

/// Guesses at the head (see the module's note) before a batch is written the locking way.
const GUESSES: usize = 3;

/// Writes the still-current `items`, all or none; says which were written.
async fn write_together(
    storage: &crate::Storage,
    tenant: TenantId,
    items: &[PreparedIntake],
    tail: &Tail,
    lane: Option<&mut Lane>,
) -> Result<Vec<bool>> {
    if let Some(lane) = lane {
        match lane.write(tenant, items, tail).await {
            Ok(LaneOutcome::Written(written)) => return Ok(written),
            Ok(LaneOutcome::GaveUp) => {}
            Ok(LaneOutcome::Unsure {
                head,
                current,
                session,
            }) => {
                tracing::warn!(
                    %tenant,
                    seq = head.seq,
                    "intake lane lost its connection during a batch; settling it"
                );
                // Whatever fails while settling, the batch is not tried again demand by demand.
                return settle(storage, tenant, items, &head, current, session)
                    .await
                    .map_err(|e| {
                        StorageError::internal(format!(
                            "an intake batch lost its connection and could not be settled: {e}"
                        ))
                    });
            }
            // The lane failed before its statement went out: written the locking way instead.
            Err(StorageError::Db(e)) if !database_said(&e) => {}
            Err(e) => return Err(e),
        }
    }
    let scope = storage.write(tenant, Audit::system()).await?;
    write_locked(scope, items).await
}

/// Writes the still-current `items` in `scope`, taking the head's lock; says which were.
async fn write_locked(scope: TenantScope, items: &[PreparedIntake]) -> Result<Vec<bool>> {
    let (current, writing) = scope.current_of(items, None).await?;
    if !writing.is_empty() {
        scope.write_intakes(&writing).await?;
        scope.commit().await?;
    }
    Ok(current)
}

/// A batch whose statement's answer was lost: it may have committed, or its server session may
/// still be running it. The session is ended first (waiting until it is gone), so its outcome
/// is final; then, under the head's lock, the event the batch would have left at the head says
/// which: found, it committed (`current` was written); not found, it is written now.
async fn settle(
    storage: &crate::Storage,
    tenant: TenantId,
    items: &[PreparedIntake],
    head: &Head,
    current: Vec<bool>,
    session: Option<Session>,
) -> Result<Vec<bool>> {
    let session = session.ok_or_else(|| StorageError::internal("the lane's session is unknown"))?;
    end_session(storage, &session).await?;
    let scope = storage.write(tenant, Audit::system()).await?;
    if scope.holds_head(head).await? {
        return Ok(current);
    }
    write_locked(scope, items).await
}

/// Ends the server session `session` if it still runs, and waits until it has.
async fn end_session(storage: &crate::Storage, session: &Session) -> Result<()> {
    let ended = storage
        .db()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT bool_and(pg_terminate_backend(pid, 10000)) AS ended FROM pg_stat_activity \
             WHERE pid = $1 AND (extract(epoch FROM backend_start) * 1000000)::bigint = $2",
            [session.pid.into(), session.started.into()],
        ))
        .await?
        .ok_or(StorageError::NotFound)?
        .try_get::<Option<bool>>("", "ended")?;
    // `None`: no such session (an aggregate over no rows), it is gone already.
    match ended {
        None | Some(true) => Ok(()),
        Some(false) => Err(StorageError::internal("the lane's session did not end")),
    }
}

/// How a batch on a lane ended.
enum LaneOutcome {
    /// Committed; which items were written.
    Written(Vec<bool>),
    /// Its guesses at the head all missed: to be written the locking way.
    GaveUp,
    /// The connection failed before the statement's answer came: whether it committed is
    /// unknown. Had it, the chain's head would be `head`, and `current` the items written.
    Unsure {
        head: Head,
        current: Vec<bool>,
        session: Option<Session>,
    },
}

/// Connections to PostgreSQL held by the intake writers alone ("lanes"), each bound for its
/// whole session to the tenant it last wrote for. A batch on a lane is then one autocommit
/// statement — one round trip — where a transaction would take four (begin, bind, write,
/// commit). No other work runs on a lane, so none can inherit its binding.
pub(crate) struct Lanes {
    options: ConnectOptions,
    idle: Mutex<Vec<Lane>>,
    open: tokio::sync::Semaphore,
}

/// At most this many lanes (tenants written at the same moment; the others wait their turn).
const LANES: usize = 4;

pub(crate) struct Lane {
    db: DatabaseConnection,
    /// The tenant this session is bound to (`None`: not known, bind before writing).
    bound: Option<TenantId>,
    /// The server session it was bound in, to end it if its connection is lost mid-batch.
    session: Option<Session>,
}

/// A PostgreSQL server session: its process id and start time (together they name one session;
/// a pid alone may be reused).
struct Session {
    pid: i32,
    /// Microseconds since the epoch.
    started: i64,
}

impl Lanes {
    fn new(options: &ConnectOptions) -> Self {
        let mut options = options.clone();
        // One connection each, never pinged, never recycled behind the writer's back: a
        // reconnected session would have lost its binding (and refuses every row until bound).
        options
            .max_connections(1)
            .min_connections(0)
            .test_before_acquire(false)
            .idle_timeout(None::<std::time::Duration>)
            .max_lifetime(None::<std::time::Duration>);
        Self {
            options,
            idle: Mutex::new(Vec::new()),
            open: tokio::sync::Semaphore::new(LANES),
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Lane>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A lane for `tenant`: one already bound to it if any is idle.
    async fn take(&self, tenant: TenantId) -> Result<(Lane, tokio::sync::SemaphorePermit<'_>)> {
        let permit = self
            .open
            .acquire()
            .await
            .map_err(|_| StorageError::internal("intake lanes closed"))?;
        let idle = {
            let mut idle = self.idle();
            let at = idle
                .iter()
                .position(|l| l.bound == Some(tenant))
                .or_else(|| idle.len().checked_sub(1));
            at.map(|at| idle.swap_remove(at))
        };
        let lane = match idle {
            Some(lane) => lane,
            None => Lane {
                db: sea_orm::Database::connect(self.options.clone()).await?,
                bound: None,
                session: None,
            },
        };
        Ok((lane, permit))
    }

    fn give_back(&self, lane: Lane, permit: tokio::sync::SemaphorePermit<'_>) {
        self.idle().push(lane);
        drop(permit);
    }
}

/// Why a lane's statement refused to apply (`minqing_refuse` in the migrations).
#[derive(Debug, PartialEq)]
enum Refusal {
    /// The head was not the one guessed.
    HeadMoved,
    /// The tenant's settings version is not the one the batch was checked against.
    StaleSettings,
    /// An `Idempotency-Key` of the batch names a request not yet expired.
    KeyInUse,
}

fn refusal(err: &sea_orm::DbErr) -> Option<Refusal> {
    let Some(sea_orm::sqlx::Error::Database(e)) = sqlx_error(err) else {
        return None;
    };
    if e.code().as_deref() != Some(minqing_migrations::m20261203_000013_refusals::REFUSAL) {
        return None;
    }
    match e.message() {
        "head_moved" => Some(Refusal::HeadMoved),
        "stale_settings" => Some(Refusal::StaleSettings),
        "idempotency_key_in_use" => Some(Refusal::KeyInUse),
        _ => None,
    }
}

impl Lane {
    /// Binds the session to `tenant` unless it is bound to it already.
    async fn bind(&mut self, tenant: TenantId) -> Result<()> {
        if self.bound == Some(tenant) {
            return Ok(());
        }
        self.bound = None;
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                // Its statements keep their text batch after batch: one plan serves them all.
                "SELECT set_config($1, $2, false), \
                 set_config('plan_cache_mode', 'force_generic_plan', false), \
                 pg_backend_pid() AS pid, \
                 (SELECT (extract(epoch FROM backend_start) * 1000000)::bigint \
                  FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS started",
                [
                    minqing_migrations::rls::TENANT_SETTING.into(),
                    tenant.0.to_string().into(),
                ],
            ))
            .await?
            .ok_or(StorageError::NotFound)?;
        self.session = Some(Session {
            pid: row.try_get("", "pid")?,
            started: row.try_get("", "started")?,
        });
        self.bound = Some(tenant);
        Ok(())
    }

    /// Writes the still-current `items` in one statement hashed onto the head `tail` guesses
    /// (read when unknown or missed); which were written, or `GaveUp` after `GUESSES` misses.
    async fn write(
        &mut self,
        tenant: TenantId,
        items: &[PreparedIntake],
        tail: &Tail,
    ) -> Result<LaneOutcome> {
        // Versions only grow: the newest an item was decided under is the one to expect.
        let mut version = items.iter().filter_map(|i| i.decided_at).max();
        let outcome = async {
            self.bind(tenant).await?;
            for _ in 0..GUESSES {
                let (current, writing) = current_at(items, version);
                if writing.is_empty() {
                    return Ok(LaneOutcome::Written(current));
                }
                let mut tail = tail.lock().await;
                let guess = match tail.take() {
                    Some(head) => head,
                    None => crate::ledger::read_head_on(&self.db, tenant.0).await?,
                };
                let statement = one_statement(tenant, &writing, guess, version)?;
                match self.db.execute_raw(statement.statement).await {
                    Ok(_) => {
                        *tail = Some(statement.head);
                        return Ok(LaneOutcome::Written(current));
                    }
                    Err(e) => match refusal(&e) {
                        // Nothing of it was written; the tail is left unknown.
                        Some(Refusal::HeadMoved) => {}
                        Some(Refusal::StaleSettings) => {
                            version = Some(settings_version_on(&self.db, tenant).await?);
                        }
                        Some(Refusal::KeyInUse) => {
                            return Err(StorageError::conflict("idempotency_key_in_use"));
                        }
                        None if database_said(&e) => {
                            return Err(e.into());
                        }
                        // The tail stays unknown, and the session is bound again (below).
                        None => {
                            self.bound = None;
                            return Ok(LaneOutcome::Unsure {
                                head: statement.head,
                                current,
                                session: self.session.take(),
                            });
                        }
                    },
                }
            }
            Ok(LaneOutcome::GaveUp)
        }
        .await;
        if matches!(outcome, Err(StorageError::Db(_))) {
            // The session may have been lost with its binding: bind it again before writing.
            self.bound = None;
        }
        outcome
    }
}

async fn settings_version_on(db: &impl ConnectionTrait, tenant: TenantId) -> Result<i64> {
    tenant::Entity::find_by_id(tenant.0)
        .select_only()
        .column(tenant::Column::SettingsVersion)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)
}

/// A batch as one statement, and the head it leaves.
struct OneStatement {
    statement: Statement,
    head: Head,
}

/// `items` written onto `guess` as one statement, which applies only if the head is still
/// `guess` and (when `version` is given) the tenant's settings are at `version`, and otherwise
/// raises its refusal, rolling all of it back:
///
/// ```sql
/// WITH s0 AS (UPDATE ledger_heads SET … WHERE tenant_id = … AND seq = … AND hash = …
///             [AND (SELECT settings_version FROM tenants …) = …] RETURNING 1),
///      s1 AS (INSERT INTO idempotency_keys … WHERE EXISTS (SELECT 1 FROM s0) ON CONFLICT …),
///      s2 AS (INSERT INTO outbox_messages …), s3 AS (INSERT INTO demand_events …),
///      s4 AS (INSERT INTO demands …)
/// SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM s0) THEN minqing_refuse(…) … END
/// ```
///
/// The rows of each insert are one parameter of JSON (`json_rows`) and every number is a
/// placeholder, so the text is the same from batch to batch and a lane plans it once.
///
/// The swap runs first (every insert reads its answer), so the head's lock is taken before any
/// row: a statement never holds events at seqs another one, holding the head, is about to
/// write (that wait, the other way round, would be a deadlock). A swap waiting for another
/// writer's lock sees the head as that one left it.
fn one_statement(
    tenant: TenantId,
    items: &[&PreparedIntake],
    guess: Head,
    version: Option<i64>,
) -> Result<OneStatement> {
    let pg = DbBackend::Postgres;
    let from = guess.clone();
    let chained = chain_onto(tenant.0, guess, &new_events(items))?;
    let head = Head {
        seq: from.seq + items.len() as i64,
        hash: chained.head_hash.clone(),
    };
    let version_holds = "(SELECT settings_version FROM tenants WHERE id = $3) = $6";
    let mut swap_values: Vec<sea_orm::Value> = vec![
        head.seq.into(),
        head.hash.clone().into(),
        tenant.0.into(),
        from.seq.into(),
        from.hash.into(),
    ];
    let mut swap = "UPDATE ledger_heads SET seq = $1, hash = $2 \
                    WHERE tenant_id = $3 AND seq = $4 AND hash = $5"
        .to_owned();
    if let Some(v) = version {
        swap.push_str(&format!(" AND {version_holds}"));
        swap_values.push(v.into());
    }
    swap.push_str(" RETURNING 1");
    let mut first = vec![Statement::from_sql_and_values(pg, swap, swap_values)];
    let gate = "EXISTS (SELECT 1 FROM s0)";

    let keys: Vec<_> = items
        .iter()
        .filter_map(|i| Some((i.actor.actor_id?, i.remember.as_ref()?)))
        .map(|(account, r)| idempotency_key::ActiveModel {
            tenant_id: Set(tenant.0),
            account_id: Set(account.0),
            key: Set(r.key.clone()),
            request_hash: Set(r.request_hash.clone()),
            status: Set(r.response.status as i32),
            response_body: Set(r.response.body.clone()),
            created_at: Set(crate::now()),
        })
        .collect();
    let remembered = keys.len();
    if !keys.is_empty() {
        // An expired entry under the same key gives way to the new one; a live one stays,
        // and the statement refuses (below).
        first.push(json_rows::insert_where(
            &keys,
            gate,
            " ON CONFLICT (tenant_id, account_id, key) DO UPDATE SET \
             request_hash = excluded.request_hash, status = excluded.status, \
             response_body = excluded.response_body, created_at = excluded.created_at \
             WHERE idempotency_keys.created_at <= $2 RETURNING 1",
            vec![(crate::now() - crate::idempotency::KEEP).into()],
        )?);
    }
    let outbox: Vec<_> = items.iter().flat_map(|i| i.outbox.clone()).collect();
    if !outbox.is_empty() {
        first.push(json_rows::insert_where(&outbox, gate, "", vec![])?);
    }
    first.push(json_rows::insert_where(&chained.rows, gate, "", vec![])?);
    let demands: Vec<_> = demand_models(items, &chained.seqs).collect();
    first.push(json_rows::insert_where(&demands, gate, "", vec![])?);

    // Numbers are placeholders too, so the text is the same from batch to batch.
    let mut values: Vec<sea_orm::Value> = vec![tenant.0.into()];
    let why_not = match version {
        Some(v) => {
            values.push(v.into());
            "minqing_refuse(CASE WHEN (SELECT settings_version FROM tenants WHERE id = $1) \
             = $2 THEN 'head_moved' ELSE 'stale_settings' END)"
        }
        None => "minqing_refuse('head_moved')",
    };
    let keys_held = if remembered > 0 {
        values.push((remembered as i64).into());
        format!(
            " WHEN (SELECT count(*) FROM s1) < ${} \
             THEN minqing_refuse('idempotency_key_in_use')",
            values.len()
        )
    } else {
        String::new()
    };
    let last = Statement::from_sql_and_values(
        pg,
        format!("SELECT CASE WHEN NOT {gate} THEN {why_not}{keys_held} ELSE true END"),
        values,
    );
    Ok(OneStatement {
        statement: together(&first, last),
        head,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_joined_keep_each_value_on_its_own_placeholder() {
        let first = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO a (x, y) VALUES ($1, $2), ($3, $4)",
            [1.into(), 2.into(), 3.into(), 4.into()],
        );
        let last = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE h SET v = $1 WHERE id = $2",
            ["x".into(), 5.into()],
        );
        let joined = together(&[first], last);
        assert_eq!(
            joined.sql,
            "WITH s0 AS (INSERT INTO a (x, y) VALUES ($1, $2), ($3, $4)) \
             UPDATE h SET v = $5 WHERE id = $6"
        );
        assert_eq!(joined.values.map(|v| v.0.len()), Some(6));
        assert_eq!(renumber("$10 $9", 1), "$11 $10");
    }
}
