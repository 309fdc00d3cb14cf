//! The ledger's hash chain in the database: appending an event under the tenant's chain head,
//! and verifying the whole chain (and the head) from the stored rows, naming every break.
use chrono::{DateTime, Utc};
use minqing_domain::crypto_choice::HashAlgorithm;
use minqing_domain::demand::lifecycle::DemandEvent;
use minqing_domain::ledger::{
    BreakKind, ChainBreak, ChainReport, ChainVerifier, EventContent, StoredEvent, chain_hash,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{demand, demand_event, ledger_head};
use crate::error::Result;
use crate::scope::TenantScope;

/// One ledger entry as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    pub seq: i64,
    pub demand_id: Uuid,
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_username: String,
    pub at: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
    pub algorithm: HashAlgorithm,
    pub hash: String,
}

impl From<demand_event::Model> for EventView {
    fn from(m: demand_event::Model) -> Self {
        Self {
            seq: m.seq,
            demand_id: m.demand_id,
            kind: m.kind,
            actor_id: m.actor_id,
            actor_username: m.actor_username,
            at: m.at,
            data: serde_json::from_str(&m.data).unwrap_or(serde_json::Value::Null),
            algorithm: HashAlgorithm::parse(&m.algorithm).unwrap_or_default(),
            hash: m.hash,
        }
    }
}

/// Times are kept to the microsecond, which every backend stores exactly: what is hashed is
/// what is read back.
pub(crate) fn ledger_time(at: DateTime<Utc>) -> DateTime<Utc> {
    let micros = at.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(at)
}

fn content_of(m: &demand_event::Model) -> EventContent {
    EventContent {
        tenant_id: m.tenant_id,
        seq: m.seq,
        demand_id: m.demand_id,
        kind: m.kind.clone(),
        actor: m.actor_id,
        at: m.at,
        data: serde_json::from_str(&m.data).unwrap_or(serde_json::Value::Null),
    }
}

fn stored(m: demand_event::Model) -> StoredEvent {
    StoredEvent {
        seq: m.seq,
        // An unknown name is hashed as the default; its hash then fails unless it was that one.
        algorithm: HashAlgorithm::parse(&m.algorithm).unwrap_or_default(),
        prev_hash: m.prev_hash.clone(),
        hash: m.hash.clone(),
        content: content_of(&m),
    }
}

/// An event to append: what happened to which demand, when, by whom, hashed how.
pub(crate) struct NewEvent<'a> {
    pub demand: Uuid,
    pub event: &'a DemandEvent,
    pub at: DateTime<Utc>,
    pub algorithm: HashAlgorithm,
    pub actor: &'a crate::Audit,
}

/// The ledger's verdict: every break found (the first
/// [`BREAKS_LISTED`](minqing_domain::ledger::BREAKS_LISTED) listed), not only the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyReport {
    /// No break at all.
    pub intact: bool,
    /// Events read: all of them, past any break.
    pub checked: u64,
    /// The head's seq: the last event the application appended.
    pub head_seq: i64,
    /// The breaks in seq order, the first 1,000 of them.
    pub breaks: Vec<ChainBreak>,
    /// How many breaks there are, listed or not.
    pub break_count: u64,
}

/// A chain's last seq and hash (seq 0 and an empty hash before its first event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub seq: i64,
    pub hash: String,
}

/// The chain head of `tenant` as `db` reads it; the tenant's first append creates its row.
pub(crate) async fn read_head_on(db: &impl ConnectionTrait, tenant: Uuid) -> Result<Head> {
    ensure_head_on(db, tenant).await?;
    let head = ledger_head::Entity::find_by_id(tenant)
        .one(db)
        .await?
        .ok_or(crate::StorageError::NotFound)?;
    Ok(Head {
        seq: head.seq,
        hash: head.hash,
    })
}

async fn ensure_head_on(db: &impl ConnectionTrait, tenant: Uuid) -> Result<()> {
    ledger_head::Entity::insert(ledger_head::ActiveModel {
        tenant_id: Set(tenant),
        seq: Set(0),
        hash: Set(String::new()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// `events` hashed onto the chain after `head`, in their order: the rows to insert, their seqs
/// and the chain's new head hash.
pub(crate) fn chain_onto(
    tenant: Uuid,
    head: Head,
    events: &[NewEvent<'_>],
) -> Result<ChainedEvents> {
    let Head {
        mut seq,
        hash: mut prev,
    } = head;
    let mut rows = Vec::with_capacity(events.len());
    let mut seqs = Vec::with_capacity(events.len());
    for new in events {
        seq += 1;
        let data = serde_json::to_value(new.event).map_err(|e| {
            crate::StorageError::Db(sea_orm::DbErr::Custom(format!("event encoding: {e}")))
        })?;
        let content = EventContent {
            tenant_id: tenant,
            seq,
            demand_id: new.demand,
            kind: new.event.kind().to_owned(),
            actor: new.actor.actor_id.map(|a| a.0),
            at: ledger_time(new.at),
            data,
        };
        let hash = chain_hash(new.algorithm, &prev, &content);
        rows.push(demand_event::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(tenant),
            seq: Set(seq),
            demand_id: Set(new.demand),
            kind: Set(content.kind),
            actor_id: Set(content.actor),
            actor_username: Set(new.actor.username.clone()),
            at: Set(content.at),
            data: Set(content.data.to_string()),
            algorithm: Set(new.algorithm.as_str().to_owned()),
            prev_hash: Set(std::mem::replace(&mut prev, hash.clone())),
            hash: Set(hash),
        });
        seqs.push(seq);
    }
    Ok(ChainedEvents {
        seqs,
        rows,
        head_hash: prev,
    })
}

/// Events hashed onto the chain (their seqs taken) but not yet written.
#[derive(Default)]
pub(crate) struct ChainedEvents {
    pub seqs: Vec<i64>,
    pub rows: Vec<demand_event::ActiveModel>,
    pub head_hash: String,
}

impl TenantScope {
    /// Appends one event for `demand` to the tenant's chain, as the scope's actor, and returns
    /// its seq.
    pub(crate) async fn append_event(
        &self,
        demand: Uuid,
        event: &DemandEvent,
        at: DateTime<Utc>,
        algorithm: HashAlgorithm,
    ) -> Result<i64> {
        let seqs = self
            .append_events(&[NewEvent {
                demand,
                event,
                at,
                algorithm,
                actor: &self.audit,
            }])
            .await?;
        seqs.first().copied().ok_or(crate::StorageError::NotFound)
    }

    /// Appends events to the tenant's chain in their order and returns their seqs. The head
    /// row's lock (held to commit) orders concurrent appends, so seqs have no gaps or repeats;
    /// a batch takes it once (`intake_writer`).
    pub(crate) async fn append_events(&self, events: &[NewEvent<'_>]) -> Result<Vec<i64>> {
        let ChainedEvents {
            seqs,
            rows,
            head_hash,
        } = self.chain_events(events).await?;
        if !rows.is_empty() {
            demand_event::Entity::insert_many(rows)
                .exec(&self.tx)
                .await?;
            self.head_update(head_hash).exec(&self.tx).await?;
        }
        Ok(seqs)
    }

    /// Takes the next seqs of the tenant's chain for `events` (locking the head row until
    /// commit) and hashes them onto it: the rows to insert and the head's new hash, not yet
    /// written (see `append_events`, or the intake writer, which writes them in one statement).
    pub(crate) async fn chain_events(&self, events: &[NewEvent<'_>]) -> Result<ChainedEvents> {
        if events.is_empty() {
            return Ok(ChainedEvents::default());
        }
        let tenant = self.tenant.0;
        let n = events.len() as i64;
        let bump = || {
            ledger_head::Entity::update_many()
                .col_expr(
                    ledger_head::Column::Seq,
                    Expr::col(ledger_head::Column::Seq).add(n),
                )
                .filter(ledger_head::Column::TenantId.eq(tenant))
                .exec_with_returning(&self.tx)
        };
        let mut head = bump().await?.pop();
        if head.is_none() {
            ensure_head_on(&self.tx, tenant).await?;
            head = bump().await?.pop();
        }
        let head = head.ok_or(crate::StorageError::NotFound)?;
        chain_onto(
            tenant,
            Head {
                seq: head.seq - n,
                hash: head.hash,
            },
            events,
        )
    }

    /// Takes the chain head's lock (held to commit), then says whether the chain holds the
    /// event `head` names: `head.seq` with `head.hash`. A hash covers everything before it,
    /// so found, the write that would leave that head has committed; with the lock held, none
    /// still running can move the head from under the answer.
    pub(crate) async fn holds_head(&self, head: &Head) -> Result<bool> {
        ledger_head::Entity::find_by_id(self.tenant.0)
            .lock_exclusive()
            .one(&self.tx)
            .await?;
        let found = demand_event::Entity::find()
            .filter(demand_event::Column::TenantId.eq(self.tenant.0))
            .filter(demand_event::Column::Seq.eq(head.seq))
            .filter(demand_event::Column::Hash.eq(head.hash.as_str()))
            .count(&self.tx)
            .await?;
        Ok(found > 0)
    }

    /// The head's hash set to the last appended event's.
    pub(crate) fn head_update(&self, hash: String) -> sea_orm::UpdateMany<ledger_head::Entity> {
        ledger_head::Entity::update_many()
            .col_expr(ledger_head::Column::Hash, Expr::value(hash))
            .filter(ledger_head::Column::TenantId.eq(self.tenant.0))
    }

    /// One demand's events, oldest first.
    pub async fn demand_events(&self, demand: Uuid) -> Result<Vec<EventView>> {
        Ok(demand_event::Entity::find()
            .filter(demand_event::Column::TenantId.eq(self.tenant.0))
            .filter(demand_event::Column::DemandId.eq(demand))
            .order_by_asc(demand_event::Column::Seq)
            .all(&self.tx)
            .await?
            .into_iter()
            .map(EventView::from)
            .collect())
    }

    /// Recomputes every hash of the tenant's chain, page by page, goes on past every break
    /// and checks the chain ends at the head (so events cut from the end are found too). A
    /// missing event is gone with its demand id; it is named where the event was its demand's
    /// last (the demand's `last_seq`). Read in one snapshot ([`crate::Storage::read_snapshot`])
    /// so appends going on meanwhile are not taken for breaks.
    pub async fn verify_ledger(&self) -> Result<VerifyReport> {
        const PAGE: u64 = 2_000;
        let head = ledger_head::Entity::find_by_id(self.tenant.0)
            .one(&self.tx)
            .await?
            .map(|h| (h.seq, h.hash))
            .unwrap_or((0, String::new()));
        let mut verifier = ChainVerifier::with_head(head.0, head.1);
        let mut after = 0i64;
        loop {
            let rows = demand_event::Entity::find()
                .filter(demand_event::Column::TenantId.eq(self.tenant.0))
                .filter(demand_event::Column::Seq.gt(after))
                .order_by_asc(demand_event::Column::Seq)
                .order_by_asc(demand_event::Column::Id)
                .limit(PAGE)
                .all(&self.tx)
                .await?;
            let n = rows.len() as u64;
            for row in rows {
                after = row.seq;
                verifier.push(stored(row));
            }
            if n < PAGE {
                break;
            }
        }
        let ChainReport {
            checked,
            mut breaks,
            break_count,
        } = verifier.finish();
        self.name_missing_demands(&mut breaks).await?;
        Ok(VerifyReport {
            intact: break_count == 0,
            checked,
            head_seq: head.0,
            breaks,
            break_count,
        })
    }

    /// Gives each missing event the demand whose last event it was, where one says so.
    async fn name_missing_demands(&self, breaks: &mut [ChainBreak]) -> Result<()> {
        let missing: Vec<i64> = breaks
            .iter()
            .filter(|b| b.kind == BreakKind::Missing)
            .map(|b| b.seq)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let owners: std::collections::HashMap<i64, Uuid> = demand::Entity::find()
            .select_only()
            .column(demand::Column::LastSeq)
            .column(demand::Column::Id)
            .filter(demand::Column::TenantId.eq(self.tenant.0))
            .filter(demand::Column::LastSeq.is_in(missing))
            .into_tuple::<(i64, Uuid)>()
            .all(&self.tx)
            .await?
            .into_iter()
            .collect();
        for b in breaks.iter_mut().filter(|b| b.kind == BreakKind::Missing) {
            b.demand_id = owners.get(&b.seq).copied();
        }
        Ok(())
    }
}
