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
use crate::ledger::NewEvent;
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
    /// Writes prepared demands in the scope's transaction: their idempotency answers, their
    /// events (one chain append), their rows and their notifications.
    pub async fn write_intakes(&self, items: &[&PreparedIntake]) -> Result<()> {
        for item in items {
            if let Some(r) = &item.remember {
                self.idempotency()
                    .remember_for(&item.actor, &r.key, &r.request_hash, &r.response)
                    .await?;
            }
        }
        let events: Vec<NewEvent<'_>> = items
            .iter()
            .map(|i| NewEvent {
                demand: i.row.id,
                event: &i.event,
                at: i.row.received_at,
                algorithm: i.algorithm,
                actor: &i.actor,
            })
            .collect();
        let chained = self.chain_events(&events).await?;
        let rows = items.iter().zip(&chained.seqs).map(|(i, seq)| {
            let mut row = i.row.clone();
            row.last_seq = *seq;
            demand::ActiveModel::from(row).reset_all()
        });
        let demands = demand::Entity::insert_many(rows);
        let events = demand_event::Entity::insert_many(chained.rows);
        let head = self.head_update(chained.head_hash);
        if self.backend() == DbBackend::Postgres {
            // One round trip while the chain head is locked, instead of three.
            self.tx
                .execute_raw(together(&[
                    events.build(DbBackend::Postgres),
                    demands.build(DbBackend::Postgres),
                    head.build(DbBackend::Postgres),
                ]))
                .await?;
        } else {
            events.exec(&self.tx).await?;
            demands.exec(&self.tx).await?;
            head.exec(&self.tx).await?;
        }
        let outbox: Vec<_> = items.iter().flat_map(|i| i.outbox.clone()).collect();
        self.notifications().insert(outbox).await
    }

    /// Which of `items` may be written: all but those decided from caches under a settings
    /// version that is no longer the tenant's.
    async fn still_current(&self, items: &[PreparedIntake]) -> Result<Vec<bool>> {
        if items.iter().all(|i| i.decided_at.is_none()) {
            return Ok(vec![true; items.len()]);
        }
        let current = tenant::Entity::find_by_id(self.tenant.0)
            .select_only()
            .column(tenant::Column::SettingsVersion)
            .into_tuple::<i64>()
            .one(&self.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        Ok(items
            .iter()
            .map(|i| i.decided_at.is_none_or(|v| v == current))
            .collect())
    }
}

/// PostgreSQL statements as one: all but the last as data-modifying CTEs (`WITH s0 AS (…),
/// s1 AS (…) <last>`), their `$n` placeholders renumbered after those before them. All run
/// with one snapshot, so none may read what another writes.
fn together(statements: &[Statement]) -> Statement {
    let mut sql = String::new();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let last = statements.len().saturating_sub(1);
    for (i, statement) in statements.iter().enumerate() {
        let offset = values.len();
        let renumbered = renumber(&statement.sql, offset);
        match i {
            _ if i == last && i == 0 => sql.push_str(&renumbered),
            0 => sql.push_str(&format!("WITH s0 AS ({renumbered})")),
            _ if i == last => sql.push_str(&format!(" {renumbered}")),
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

#[derive(Default)]
struct Queue {
    waiting: Vec<(PreparedIntake, Reply)>,
    /// How many writer tasks are draining this queue.
    writers: usize,
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
                queue.waiting.drain(..n).collect::<Vec<_>>()
            };
            write_batch(storage, tenant, batch).await;
        }
    }
}

async fn write_batch(
    storage: &crate::Storage,
    tenant: TenantId,
    batch: Vec<(PreparedIntake, Reply)>,
) {
    let (items, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    match write_together(storage, tenant, &items).await {
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
                let alone = write_together(storage, tenant, std::slice::from_ref(item)).await;
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

/// Writes the still-current `items` in one transaction; says which were written.
async fn write_together(
    storage: &crate::Storage,
    tenant: TenantId,
    items: &[PreparedIntake],
) -> Result<Vec<bool>> {
    let scope = storage.write(tenant, Audit::system()).await?;
    let current = scope.still_current(items).await?;
    let writing: Vec<&PreparedIntake> = items
        .iter()
        .zip(&current)
        .filter_map(|(item, ok)| ok.then_some(item))
        .collect();
    if !writing.is_empty() {
        scope.write_intakes(&writing).await?;
        scope.commit().await?;
    }
    Ok(current)
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
        let joined = together(&[first, last]);
        assert_eq!(
            joined.sql,
            "WITH s0 AS (INSERT INTO a (x, y) VALUES ($1, $2), ($3, $4)) \
             UPDATE h SET v = $5 WHERE id = $6"
        );
        assert_eq!(joined.values.map(|v| v.0.len()), Some(6));
        assert_eq!(renumber("$10 $9", 1), "$11 $10");
    }
}
