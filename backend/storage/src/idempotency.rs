//! Idempotency keys: a retried create returns the first answer instead of creating twice.
//! Scoped to tenant and account, kept 24 hours, written in the same transaction as the creation.
//! Requests with no account (the public form's) keep theirs under the nil id: such a key is a
//! random value the resident's browser made, and the request's fingerprint must match as well.
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::entities::idempotency_key;
use crate::error::{Result, StorageError};
use crate::scope::TenantScope;

pub const KEEP: chrono::Duration = chrono::Duration::hours(24);

/// The first answer given for a key.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

pub struct Idempotency<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn idempotency(&self) -> Idempotency<'_> {
        Idempotency { scope: self }
    }
}

/// Whose keys a request's are: its account's, or the public form's (no account).
fn owner(audit: &crate::Audit) -> uuid::Uuid {
    audit.actor_id.map_or(uuid::Uuid::nil(), |a| a.0)
}

/// A fingerprint of what was asked, so the same key with another request is caught.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

impl Idempotency<'_> {
    /// The stored answer for `key`, if the same request was made within 24 hours; a different
    /// request under the same key is a validation error.
    pub async fn replay(&self, key: &str, request_hash: &str) -> Result<Option<StoredResponse>> {
        let account = owner(&self.scope.audit);
        let found = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::TenantId.eq(self.scope.tenant.0))
            .filter(idempotency_key::Column::AccountId.eq(account))
            .filter(idempotency_key::Column::Key.eq(key))
            .filter(idempotency_key::Column::CreatedAt.gt(crate::now() - KEEP))
            .one(&self.scope.tx)
            .await?;
        match found {
            None => Ok(None),
            Some(row) if row.request_hash == request_hash => Ok(Some(StoredResponse {
                status: row.status as u16,
                body: row.response_body,
            })),
            Some(_) => Err(StorageError::field(
                "Idempotency-Key",
                "idempotency_key_reused",
            )),
        }
    }

    pub async fn remember(
        &self,
        key: &str,
        request_hash: &str,
        response: &StoredResponse,
    ) -> Result<()> {
        self.remember_for(&self.scope.audit, key, request_hash, response)
            .await
    }

    /// `remember` for `actor`'s key (a batch writes for several callers).
    pub(crate) async fn remember_for(
        &self,
        actor: &crate::Audit,
        key: &str,
        request_hash: &str,
        response: &StoredResponse,
    ) -> Result<()> {
        let account = owner(actor);
        // An expired entry under the same key gives way to the new one.
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::TenantId.eq(self.scope.tenant.0))
            .filter(idempotency_key::Column::AccountId.eq(account))
            .filter(idempotency_key::Column::Key.eq(key))
            .filter(idempotency_key::Column::CreatedAt.lte(crate::now() - KEEP))
            .exec(&self.scope.tx)
            .await?;
        idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            tenant_id: Set(self.scope.tenant.0),
            account_id: Set(account),
            key: Set(key.to_owned()),
            request_hash: Set(request_hash.to_owned()),
            status: Set(response.status as i32),
            response_body: Set(response.body.clone()),
            created_at: Set(crate::now()),
        })
        .exec(&self.scope.tx)
        .await
        // The same key in a request still being written: the retry can come back for its answer.
        .map_err(|e| crate::error::on_unique(e, "idempotency_key_in_use"))?;
        Ok(())
    }
}
