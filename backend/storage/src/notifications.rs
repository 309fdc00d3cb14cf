//! The notification outbox: messages are written in the same transaction as the change they
//! tell of, one per enabled channel that serves their audience, and a dispatcher delivers them
//! later — so nothing is lost when a channel is down, and nothing is sent for a change that
//! rolled back.
//!
//! Delivery is claim, send, settle: a claim moves a message's `next_attempt_at` a lease ahead
//! (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two servers never claim the same message),
//! the send happens outside any transaction, and settling marks it delivered or schedules the
//! retry. A server that dies mid-send leaves the message to be claimed again when the lease
//! ends: delivery is at least once, and each carries its id for receivers to drop repeats.
use chrono::{DateTime, Duration, Utc};
use minqing_domain::notification::{Audience, ChannelKind, backoff, parse_channel_url};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, LockBehavior, LockType},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entities::{notification_channel, outbox_message};
use crate::error::{Result, StorageError};
use crate::scope::TenantScope;

/// A channel as administrators see it: the secret is never shown again.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelView {
    pub id: Uuid,
    pub kind: ChannelKind,
    pub name: String,
    pub url: String,
    pub audience: Audience,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<notification_channel::Model> for ChannelView {
    fn from(m: notification_channel::Model) -> Self {
        Self {
            id: m.id,
            kind: ChannelKind::parse(&m.kind).unwrap_or(ChannelKind::Webhook),
            name: m.name,
            url: m.url,
            audience: Audience::parse(&m.audience).unwrap_or(Audience::All),
            enabled: m.enabled,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub kind: ChannelKind,
    pub name: String,
    /// Where messages are POSTed (the SMS gateway, the WeChat relay, the mail API, a webhook).
    pub url: String,
    /// Signs each body (HMAC-SHA256, header `x-minqing-signature: sha256=<hex>`); 16–200
    /// characters.
    pub secret: String,
    pub audience: Audience,
}

/// A delivery's state, for administrators following their channels.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub topic: String,
    pub demand_id: Option<Uuid>,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<outbox_message::Model> for DeliveryView {
    fn from(m: outbox_message::Model) -> Self {
        Self {
            id: m.id,
            channel_id: m.channel_id,
            topic: m.topic,
            demand_id: m.demand_id,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            delivered_at: m.delivered_at,
            last_error: m.last_error,
            created_at: m.created_at,
        }
    }
}

/// A claimed message with where it goes.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub tenant: Uuid,
    pub topic: String,
    pub payload: String,
    pub attempts: i32,
    pub kind: ChannelKind,
    pub url: String,
    pub secret: String,
}

/// How long a claim holds a message before another dispatcher may take it.
const LEASE: i64 = 120;

pub struct Notifications<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn notifications(&self) -> Notifications<'_> {
        Notifications { scope: self }
    }
}

impl Notifications<'_> {
    fn tenant(&self) -> Uuid {
        self.scope.tenant.0
    }

    pub async fn channels(&self) -> Result<Vec<ChannelView>> {
        Ok(notification_channel::Entity::find()
            .filter(notification_channel::Column::TenantId.eq(self.tenant()))
            .order_by_asc(notification_channel::Column::CreatedAt)
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(ChannelView::from)
            .collect())
    }

    pub async fn add_channel(&self, new: NewChannel, now: DateTime<Utc>) -> Result<ChannelView> {
        let mut check = minqing_domain::error::FieldCheck::new();
        let url = check.take("url", parse_channel_url(&new.url));
        let name = check.take(
            "name",
            minqing_domain::demand::intake::required_text(&new.name, 100),
        );
        let secret_len = new.secret.chars().count();
        if !(16..=200).contains(&secret_len) {
            check.fail("secret", "secret_length");
        }
        check.finish()?;
        let model = notification_channel::Entity::insert(notification_channel::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            kind: Set(new.kind.as_str().to_owned()),
            name: Set(name.unwrap_or_default()),
            url: Set(url.unwrap_or_default()),
            secret: Set(new.secret),
            audience: Set(new.audience.as_str().to_owned()),
            enabled: Set(true),
            created_at: Set(now),
        })
        .exec_with_returning(&self.scope.tx)
        .await?;
        let view = ChannelView::from(model);
        self.scope
            .oplog()
            .record(
                "notification_channel.created",
                "notification_channel",
                Some(view.id),
                None,
                serde_json::to_value(&view).ok(),
            )
            .await?;
        Ok(view)
    }

    pub async fn set_enabled(&self, id: Uuid, enabled: bool) -> Result<ChannelView> {
        let found = notification_channel::Entity::find()
            .filter(notification_channel::Column::TenantId.eq(self.tenant()))
            .filter(notification_channel::Column::Id.eq(id))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        let before = ChannelView::from(found.clone());
        let mut active: notification_channel::ActiveModel = found.into();
        active.enabled = Set(enabled);
        let after = ChannelView::from(
            notification_channel::Entity::update(active)
                .exec(&self.scope.tx)
                .await?,
        );
        self.scope
            .oplog()
            .record(
                if enabled {
                    "notification_channel.enabled"
                } else {
                    "notification_channel.disabled"
                },
                "notification_channel",
                Some(id),
                serde_json::to_value(&before).ok(),
                serde_json::to_value(&after).ok(),
            )
            .await?;
        Ok(after)
    }

    /// The enabled channels and whom each serves (cached with the tenant's settings).
    pub(crate) async fn targets(&self) -> Result<Vec<ChannelTarget>> {
        Ok(notification_channel::Entity::find()
            .filter(notification_channel::Column::TenantId.eq(self.tenant()))
            .filter(notification_channel::Column::Enabled.eq(true))
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .filter_map(|c| {
                Audience::parse(&c.audience)
                    .ok()
                    .map(|audience| ChannelTarget { id: c.id, audience })
            })
            .collect())
    }

    /// Queues `notice` for every enabled channel serving its audience, in the scope's
    /// transaction.
    pub(crate) async fn enqueue(&self, notice: &Notice) -> Result<()> {
        let targets = self.targets().await?;
        self.insert(messages(
            self.tenant(),
            &targets,
            std::slice::from_ref(notice),
        ))
        .await
    }

    /// Writes queued messages made by [`messages`].
    pub(crate) async fn insert(&self, rows: Vec<outbox_message::ActiveModel>) -> Result<()> {
        if !rows.is_empty() {
            outbox_message::Entity::insert_many(rows)
                .exec(&self.scope.tx)
                .await?;
        }
        Ok(())
    }

    /// The latest deliveries, newest first.
    pub async fn deliveries(&self, limit: u64) -> Result<Vec<DeliveryView>> {
        Ok(outbox_message::Entity::find()
            .filter(outbox_message::Column::TenantId.eq(self.tenant()))
            .order_by_desc(outbox_message::Column::CreatedAt)
            .order_by_desc(outbox_message::Column::Id)
            .limit(limit)
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(DeliveryView::from)
            .collect())
    }

    /// Claims up to `limit` messages due at `now` for one lease.
    pub async fn claim(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Claimed>> {
        let mut select = outbox_message::Entity::find()
            .filter(outbox_message::Column::TenantId.eq(self.tenant()))
            .filter(outbox_message::Column::DeliveredAt.is_null())
            .filter(outbox_message::Column::NextAttemptAt.lte(now))
            .order_by_asc(outbox_message::Column::NextAttemptAt)
            .limit(limit);
        if self.scope.backend() == DbBackend::Postgres {
            select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let due = select.all(&self.scope.tx).await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = due.iter().map(|m| m.id).collect();
        outbox_message::Entity::update_many()
            .col_expr(
                outbox_message::Column::NextAttemptAt,
                Expr::value(now + Duration::seconds(LEASE)),
            )
            .filter(outbox_message::Column::TenantId.eq(self.tenant()))
            .filter(outbox_message::Column::Id.is_in(ids))
            .exec(&self.scope.tx)
            .await?;
        let channels = notification_channel::Entity::find()
            .filter(notification_channel::Column::TenantId.eq(self.tenant()))
            .all(&self.scope.tx)
            .await?;
        Ok(due
            .into_iter()
            .filter_map(|m| {
                let c = channels.iter().find(|c| c.id == m.channel_id)?;
                Some(Claimed {
                    id: m.id,
                    tenant: m.tenant_id,
                    topic: m.topic,
                    payload: m.payload,
                    attempts: m.attempts,
                    kind: ChannelKind::parse(&c.kind).unwrap_or(ChannelKind::Webhook),
                    url: c.url.clone(),
                    secret: c.secret.clone(),
                })
            })
            .collect())
    }

    /// Records a delivery's outcome: delivered, or failed and due again after the backoff.
    pub async fn settle(
        &self,
        id: Uuid,
        attempts: i32,
        outcome: std::result::Result<(), String>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let attempts = attempts + 1;
        let mut update = outbox_message::Entity::update_many()
            .col_expr(outbox_message::Column::Attempts, Expr::value(attempts))
            .filter(outbox_message::Column::TenantId.eq(self.tenant()))
            .filter(outbox_message::Column::Id.eq(id));
        update = match outcome {
            Ok(()) => update
                .col_expr(outbox_message::Column::DeliveredAt, Expr::value(now))
                .col_expr(
                    outbox_message::Column::LastError,
                    Expr::value(Option::<String>::None),
                ),
            Err(error) => update
                .col_expr(
                    outbox_message::Column::NextAttemptAt,
                    Expr::value(now + backoff(attempts as u32)),
                )
                .col_expr(
                    outbox_message::Column::LastError,
                    Expr::value(Some(error.chars().take(500).collect::<String>())),
                ),
        };
        update.exec(&self.scope.tx).await?;
        Ok(())
    }
}

/// An enabled channel and whom it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelTarget {
    pub id: Uuid,
    pub audience: Audience,
}

/// Something to tell: a topic for an audience about a demand.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub topic: &'static str,
    pub audience: Audience,
    pub demand: Option<Uuid>,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// The outbox messages for `notices`: one per notice and channel serving its audience.
pub(crate) fn messages(
    tenant: Uuid,
    targets: &[ChannelTarget],
    notices: &[Notice],
) -> Vec<outbox_message::ActiveModel> {
    notices
        .iter()
        .flat_map(|n| {
            targets
                .iter()
                .filter(|t| t.audience.serves(n.audience))
                .map(move |t| outbox_message::ActiveModel {
                    id: Set(crate::new_id()),
                    tenant_id: Set(tenant),
                    channel_id: Set(t.id),
                    topic: Set(n.topic.to_owned()),
                    demand_id: Set(n.demand),
                    payload: Set(n.payload.to_string()),
                    attempts: Set(0),
                    next_attempt_at: Set(n.at),
                    delivered_at: Set(None),
                    last_error: Set(None),
                    created_at: Set(n.at),
                })
        })
        .collect()
}
