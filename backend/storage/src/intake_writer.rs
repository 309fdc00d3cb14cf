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
//! On PostgreSQL a batch does not take the head's lock and then write (two round trips under
//! the lock): the writer keeps the head its last batch left, hashes the next batch onto it and
//! sends a head swap that applies only if the head is still the one guessed, and the events and
//! demands it gates, as one statement. The next batch is sent as soon as the one before holds
//! the lock, so its swap is already waiting when that one commits. A guess that missed
//! (another process, or another kind of write, moved the head) writes nothing: the batch is
//! rolled back and hashed again onto the head as read, and after a few misses written the
//! locking way.
//!
//! If a batch fails, its demands are written again one by one, so one bad demand fails alone.
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
    ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, QuerySelect, QueryTrait, Statement,
};
use tokio::sync::oneshot;

use crate::entities::{demand, demand_event, outbox_message, tenant};
use crate::error::{Result, StorageError};
use crate::idempotency::StoredResponse;
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

    /// PostgreSQL: writes prepared demands with their events hashed onto `guess`, in one
    /// statement whose head swap applies only if the head is still `guess` (waiting for the
    /// lock if another transaction holds it). The head as written, or `None` if the guess
    /// missed, in which case the scope must be rolled back.
    async fn write_intakes_onto(
        &self,
        items: &[&PreparedIntake],
        guess: Head,
    ) -> Result<Option<Head>> {
        self.write_intake_extras(items).await?;
        let from = guess.seq;
        let chained = chain_onto(self.tenant.0, guess, &new_events(items))?;
        let seq = from + items.len() as i64;
        // The swap runs first (the inserts read its answer), so the head's lock is taken
        // before any event row: a transaction never holds events at seqs another one, holding
        // the head, is about to write (that wait, the other way round, would be a deadlock).
        // `seq` in the CASEs is the head as it is once the lock is held; the inserts write
        // nothing unless the swap applied.
        let swap = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE ledger_heads \
             SET seq = CASE WHEN seq = $1 THEN $2 ELSE seq END, \
             hash = CASE WHEN seq = $1 THEN $3 ELSE hash END \
             WHERE tenant_id = $4 RETURNING hash = $3 AS applied",
            [
                from.into(),
                seq.into(),
                chained.head_hash.clone().into(),
                self.tenant.0.into(),
            ],
        );
        // Whether it applied: the head now holds this batch's hash (a head left as it was can
        // reach the same seq by another writer's batch, never the same hash).
        let gate = "(SELECT applied FROM s0)";
        let statement = together(
            &[
                swap,
                gated(
                    demand_event::Entity::insert_many(chained.rows).build(DbBackend::Postgres),
                    gate,
                )?,
                gated(
                    demand_rows(items, &chained.seqs).build(DbBackend::Postgres),
                    gate,
                )?,
            ],
            Statement::from_string(DbBackend::Postgres, "SELECT applied FROM s0"),
        );
        let applied = self
            .tx
            .query_one_raw(statement)
            .await?
            .map(|row| row.try_get_by_index::<bool>(0))
            .transpose()?;
        Ok((applied == Some(true)).then_some(Head {
            seq,
            hash: chained.head_hash,
        }))
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
        let current: Vec<bool> = items
            .iter()
            .map(|i| i.decided_at.is_none_or(|d| Some(d) == version))
            .collect();
        let writing = items
            .iter()
            .zip(&current)
            .filter_map(|(item, ok)| ok.then_some(item))
            .collect();
        Ok((current, writing))
    }

    async fn settings_version(&self) -> Result<i64> {
        tenant::Entity::find_by_id(self.tenant.0)
            .select_only()
            .column(tenant::Column::SettingsVersion)
            .into_tuple::<i64>()
            .one(&self.tx)
            .await?
            .ok_or(StorageError::NotFound)
    }
}

/// `INSERT INTO t (…) VALUES …` as `INSERT INTO t (…) SELECT * FROM (VALUES …) AS v WHERE
/// <condition>`: rows written only if `condition` holds.
fn gated(insert: Statement, condition: &str) -> Result<Statement> {
    let Some((head, rows)) = insert.sql.split_once(" VALUES ") else {
        return Err(StorageError::Db(sea_orm::DbErr::Custom(
            "an insert without VALUES".into(),
        )));
    };
    Ok(Statement {
        sql: format!("{head} SELECT * FROM (VALUES {rows}) AS v WHERE {condition}"),
        ..insert
    })
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
    demand::Entity::insert_many(items.iter().zip(seqs).map(|(i, seq)| {
        let mut row = i.row.clone();
        row.last_seq = *seq;
        demand::ActiveModel::from(row).reset_all()
    }))
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
/// it). Held from hashing a batch until its statement holds the head's lock, so batches reach
/// the lock in the order they were hashed.
type Tail = Arc<tokio::sync::Mutex<Option<Head>>>;

#[derive(Default)]
struct Queue {
    waiting: Vec<(PreparedIntake, Reply)>,
    /// How many writer tasks are draining this queue.
    writers: usize,
    tail: Tail,
}

/// Writer tasks per tenant: while one holds the chain head (written, committing), the next
/// opens its transaction and checks its batch, so the head is never idle waiting for that.
const WRITERS: usize = 2;

/// The per-tenant queues and their writer tasks. A writer exists only while its queue has
/// work, so an idle process holds no task (and no clone of the storage) for any tenant.
#[derive(Clone, Default)]
pub(crate) struct IntakeWriter {
    queues: Arc<Mutex<HashMap<TenantId, Queue>>>,
}

impl IntakeWriter {
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
            let start = queue.writers < WRITERS;
            queue.writers += usize::from(start);
            start
        };
        if start {
            let (writer, storage) = (self.clone(), storage.clone());
            tokio::spawn(async move { writer.drain(&storage, tenant).await });
        }
        answer
            .await
            .map_err(|_| StorageError::Db(sea_orm::DbErr::Custom("intake writer stopped".into())))?
    }

    /// Writes the tenant's queue batch by batch until it is empty.
    async fn drain(&self, storage: &crate::Storage, tenant: TenantId) {
        loop {
            let batch = {
                let mut queues = self.lock();
                let Some(queue) = queues.get_mut(&tenant) else {
                    return;
                };
                if queue.waiting.is_empty() {
                    queue.writers -= 1;
                    if queue.writers == 0 {
                        queues.remove(&tenant);
                    }
                    return;
                }
                let n = queue.waiting.len().min(MAX_BATCH);
                (
                    queue.waiting.drain(..n).collect::<Vec<_>>(),
                    queue.tail.clone(),
                )
            };
            write_batch(storage, tenant, batch).await;
        }
    }
}

async fn write_batch(
    storage: &crate::Storage,
    tenant: TenantId,
    (batch, tail): (Vec<(PreparedIntake, Reply)>, Tail),
) {
    let (items, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    match write_together(storage, tenant, &items, &tail).await {
        Ok(written) => {
            for (reply, written) in replies.into_iter().zip(written) {
                let _ = reply.send(if written {
                    Ok(())
                } else {
                    Err(StorageError::Stale)
                });
            }
        }
        Err(e) if items.len() == 1 => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(e));
            }
        }
        // Which one failed is unknown: each is tried alone, and answered with its own result.
        Err(_) => {
            for (item, reply) in items.iter().zip(replies) {
                let alone =
                    write_together(storage, tenant, std::slice::from_ref(item), &tail).await;
                let _ = reply.send(alone.and_then(|written| {
                    if written[0] {
                        Ok(())
                    } else {
                        Err(StorageError::Stale)
                    }
                }));
            }
        }
    }
}

/// Guesses at the head (see the module's note) before a batch is written the locking way.
const GUESSES: usize = 3;

/// Writes the still-current `items` in one transaction; says which were written.
async fn write_together(
    storage: &crate::Storage,
    tenant: TenantId,
    items: &[PreparedIntake],
    tail: &Tail,
) -> Result<Vec<bool>> {
    if storage.backend() == DbBackend::Postgres {
        for _ in 0..GUESSES {
            if let Some(written) = write_onto_guess(storage, tenant, items, tail).await? {
                return Ok(written);
            }
        }
    }
    let scope = storage.write(tenant, Audit::system()).await?;
    let (current, writing) = scope.current_of(items, None).await?;
    if !writing.is_empty() {
        scope.write_intakes(&writing).await?;
        scope.commit().await?;
    }
    Ok(current)
}

/// PostgreSQL: a write scope bound to `tenant` (as `Storage::write` binds it) and the tenant's
/// settings version, read in the same round trip.
async fn open_with_version(
    storage: &crate::Storage,
    tenant: TenantId,
) -> Result<(TenantScope, i64)> {
    let tx = storage.begin_write().await?;
    let version = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            // `tenants` is the platform's table, outside row-level security: which of the two
            // runs first does not matter.
            "SELECT set_config($1, $2, true), \
             (SELECT settings_version FROM tenants WHERE id = $3)",
            [
                minqing_migrations::rls::TENANT_SETTING.into(),
                tenant.0.to_string().into(),
                tenant.0.into(),
            ],
        ))
        .await?
        .and_then(|row| row.try_get_by_index::<Option<i64>>(1).transpose())
        .transpose()?
        .ok_or(StorageError::NotFound)?;
    let scope = TenantScope {
        tenant,
        tx,
        audit: Audit::system(),
    };
    Ok((scope, version))
}

/// One try at writing `items` onto the head `tail` guesses; `None` if the guess missed.
async fn write_onto_guess(
    storage: &crate::Storage,
    tenant: TenantId,
    items: &[PreparedIntake],
    tail: &Tail,
) -> Result<Option<Vec<bool>>> {
    let (scope, version) = open_with_version(storage, tenant).await?;
    let (current, writing) = scope.current_of(items, Some(version)).await?;
    if writing.is_empty() {
        return Ok(Some(current));
    }
    let mut tail = tail.lock().await;
    let guess = match tail.take() {
        Some(head) => head,
        None => scope.read_head().await?,
    };
    let Some(head) = scope.write_intakes_onto(&writing, guess).await? else {
        // Nothing of it stays: the transaction ends unfinished, and the tail is left unknown.
        return Ok(None);
    };
    *tail = Some(head);
    // This batch holds the head's lock now: the next may be sent while this one commits. If
    // the commit fails, the next one's swap finds the head not as guessed and tries again.
    drop(tail);
    scope.commit().await?;
    Ok(Some(current))
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

    #[test]
    fn a_gated_insert_writes_its_rows_only_when_the_condition_holds() {
        let insert = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO a (x, y) VALUES ($1, $2), ($3, $4)",
            [1.into(), 2.into(), 3.into(), 4.into()],
        );
        let gated = gated(insert, "(SELECT applied FROM s0)").expect("an insert");
        assert_eq!(
            gated.sql,
            "INSERT INTO a (x, y) SELECT * FROM (VALUES ($1, $2), ($3, $4)) AS v \
             WHERE (SELECT applied FROM s0)"
        );
        assert_eq!(gated.values.map(|v| v.0.len()), Some(4));
        let update = Statement::from_string(DbBackend::Postgres, "UPDATE a SET x = 1");
        assert!(super::gated(update, "true").is_err());
    }
}
