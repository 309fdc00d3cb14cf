//! The operations log (操作日志): every change to tenants, tiers, units, accounts and grants —
//! who, when, what, before and after. Append-only: the application has no way to change a row,
//! and the database refuses updates and deletes by trigger.
use base64::Engine;
use chrono::{DateTime, Utc};
use minqing_domain::AccountId;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::operation_log;
use crate::error::{Result, StorageError};
use crate::scope::TenantScope;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogEntry {
    pub id: Uuid,
    pub actor_id: Option<AccountId>,
    pub actor_username: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

pub struct OperationsLog<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn oplog(&self) -> OperationsLog<'_> {
        OperationsLog { scope: self }
    }
}

impl OperationsLog<'_> {
    /// Records one change by the scope's actor.
    pub async fn record(
        &self,
        action: &str,
        target_kind: &str,
        target_id: Option<Uuid>,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<()> {
        let audit = &self.scope.audit;
        operation_log::Entity::insert(operation_log::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.scope.tenant.0),
            actor_id: Set(audit.actor_id.map(|a| a.0)),
            actor_username: Set(audit.username.clone()),
            action: Set(action.to_owned()),
            target_kind: Set(target_kind.to_owned()),
            target_id: Set(target_id),
            before: Set(before),
            after: Set(after),
            request_id: Set(audit.request_id.clone()),
            at: Set(crate::now()),
        })
        .exec(&self.scope.tx)
        .await?;
        Ok(())
    }

    /// Newest first; the cursor is the last entry's id (UUID v7, so ids order by time).
    pub async fn list(
        &self,
        target_id: Option<Uuid>,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<(Vec<LogEntry>, Option<String>)> {
        let mut cond =
            Condition::all().add(operation_log::Column::TenantId.eq(self.scope.tenant.0));
        if let Some(t) = target_id {
            cond = cond.add(operation_log::Column::TargetId.eq(t));
        }
        if let Some(c) = cursor {
            cond = cond.add(operation_log::Column::Id.lt(decode_id_cursor(c)?));
        }
        let rows = operation_log::Entity::find()
            .filter(cond)
            .order_by_desc(operation_log::Column::Id)
            .limit(limit + 1)
            .all(&self.scope.tx)
            .await?;
        let (rows, next) = crate::paging::page(rows, limit, |r| encode_id_cursor(r.id));
        let entries = rows
            .into_iter()
            .map(|m| LogEntry {
                id: m.id,
                actor_id: m.actor_id.map(AccountId),
                actor_username: m.actor_username,
                action: m.action,
                target_kind: m.target_kind,
                target_id: m.target_id,
                before: m.before,
                after: m.after,
                request_id: m.request_id,
                at: m.at,
            })
            .collect();
        Ok((entries, next))
    }
}

fn encode_id_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_id_cursor(c: &str) -> Result<Uuid> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .ok_or_else(|| StorageError::field("cursor", "invalid_cursor"))
}
