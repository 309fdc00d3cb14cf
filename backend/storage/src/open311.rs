//! What Open311 (GeoReport v2) reads of the ledger: service requests by receipt code, or within
//! an API key's subtree, with no personal data; and the community a request names by its
//! official code or id.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use minqing_domain::UnitId;
use minqing_domain::access::Reach;
use minqing_domain::demand::lifecycle::{DemandState, Status};
use minqing_domain::unit::UnitPath;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use crate::entities::{demand, demand_assist, demand_event, unit};
use crate::error::{Result, StorageError};
use crate::scope::TenantScope;
use crate::units::{UnitView, path_within, subtree};

/// One demand as Open311 shows it: progress, never the resident's name, phone or ID number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequest {
    pub receipt_code: String,
    pub status: Status,
    /// The category key (the Open311 `service_code`).
    pub category: String,
    pub description: String,
    pub address: Option<String>,
    /// The name of the unit handling it now.
    pub handling_unit: String,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The reply deadline until a reply is given, then the resolve deadline; none once it is
    /// closed, rejected or merged.
    pub expected_at: Option<DateTime<Utc>>,
    /// The text of the latest progress reply or resolution.
    pub latest_reply: Option<String>,
}

/// Filters of a key holder's list; all combine with AND.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Category keys (Open311 `service_code`); empty means all.
    pub categories: Vec<String>,
    /// Statuses; empty means all.
    pub statuses: Vec<Status>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_before: Option<DateTime<Utc>>,
    pub limit: u64,
}

pub struct Open311<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn open311(&self) -> Open311<'_> {
        Open311 { scope: self }
    }
}

/// Statuses Open311 calls `closed`; every other one is `open`.
pub fn is_closed(status: Status) -> bool {
    matches!(status, Status::Closed | Status::Rejected | Status::Merged)
}

impl Open311<'_> {
    fn tenant(&self) -> Uuid {
        self.scope.tenant.0
    }

    fn select(&self) -> Select<demand::Entity> {
        demand::Entity::find().filter(demand::Column::TenantId.eq(self.tenant()))
    }

    /// A unit of the tenant by its official division code (12 digits) or its id.
    pub async fn unit_by_code_or_id(&self, raw: &str) -> Result<Option<UnitView>> {
        let raw = raw.trim();
        let mut select = unit::Entity::find().filter(unit::Column::TenantId.eq(self.tenant()));
        select = match Uuid::try_parse(raw) {
            Ok(id) => select.filter(unit::Column::Id.eq(id)),
            Err(_) if !raw.is_empty() && raw.len() <= 40 => {
                select.filter(unit::Column::Code.eq(raw))
            }
            Err(_) => return Ok(None),
        };
        Ok(select.one(&self.scope.tx).await?.map(UnitView::from))
    }

    /// The demands with these receipt codes (already in canonical `XXXX-XXXX-XXXX` form), in
    /// the order asked; codes nobody has are left out.
    pub async fn by_receipt_codes(&self, codes: &[String]) -> Result<Vec<ServiceRequest>> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .select()
            .filter(demand::Column::ReceiptCode.is_in(codes.iter().cloned()))
            .all(&self.scope.tx)
            .await?;
        let mut found = self.requests(rows).await?;
        found.sort_by_key(|r| codes.iter().position(|c| *c == r.receipt_code));
        Ok(found)
    }

    /// Demands raised in, handled in or co-handled in `root`'s subtree, newest first.
    pub async fn within(
        &self,
        root: &UnitPath,
        filter: &RequestFilter,
    ) -> Result<Vec<ServiceRequest>> {
        let reach = Reach::Subtrees(vec![root.clone()]);
        let mut assisted = Query::select();
        assisted
            .column(demand_assist::Column::DemandId)
            .from(demand_assist::Entity)
            .and_where(demand_assist::Column::TenantId.eq(self.tenant()))
            .cond_where(path_within(demand_assist::Column::UnitPath, &reach));
        let mut select = self.select().filter(
            Condition::any()
                .add(subtree(demand::Column::OriginPath, root))
                .add(subtree(demand::Column::HandlingPath, root))
                .add(demand::Column::Id.in_subquery(assisted)),
        );
        if !filter.categories.is_empty() {
            select =
                select.filter(demand::Column::Category.is_in(filter.categories.iter().cloned()));
        }
        if !filter.statuses.is_empty() {
            select = select
                .filter(demand::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
        }
        if let Some(from) = filter.received_from {
            select = select.filter(demand::Column::ReceivedAt.gte(from));
        }
        if let Some(before) = filter.received_before {
            select = select.filter(demand::Column::ReceivedAt.lt(before));
        }
        let rows = select
            .order_by_desc(demand::Column::ReceivedAt)
            .order_by_desc(demand::Column::Id)
            .limit(filter.limit)
            .all(&self.scope.tx)
            .await?;
        self.requests(rows).await
    }

    /// Rows as service requests, with handling units' names and latest replies looked up once.
    async fn requests(&self, rows: Vec<demand::Model>) -> Result<Vec<ServiceRequest>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut states = Vec::with_capacity(rows.len());
        for row in rows {
            let state: DemandState = serde_json::from_str(&row.state).map_err(|_| {
                StorageError::Db(sea_orm::DbErr::Custom("demand row: state".into()))
            })?;
            states.push((row.id, state));
        }
        let mut unit_ids: Vec<UnitId> = states.iter().map(|(_, s)| s.assignment.unit).collect();
        unit_ids.sort();
        unit_ids.dedup();
        let names: HashMap<UnitId, String> = self
            .scope
            .units()
            .by_ids(&unit_ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let mut replies: HashMap<Uuid, String> = HashMap::new();
        for event in demand_event::Entity::find()
            .filter(demand_event::Column::TenantId.eq(self.tenant()))
            .filter(demand_event::Column::DemandId.is_in(states.iter().map(|(id, _)| *id)))
            .filter(demand_event::Column::Kind.is_in(["replied", "resolved"]))
            .order_by_asc(demand_event::Column::Seq)
            .all(&self.scope.tx)
            .await?
        {
            let text = serde_json::from_str::<serde_json::Value>(&event.data)
                .ok()
                .and_then(|d| d.get("text").and_then(|t| t.as_str()).map(str::to_owned));
            if let Some(text) = text {
                replies.insert(event.demand_id, text);
            }
        }
        Ok(states
            .into_iter()
            .map(|(id, s)| {
                let expected_at = if is_closed(s.status) {
                    None
                } else if s.replied_at.is_none() {
                    s.assignment.reply_due_at
                } else {
                    s.assignment.resolve_due_at
                };
                ServiceRequest {
                    receipt_code: s.intake.receipt_code,
                    status: s.status,
                    category: s.intake.category,
                    description: s.intake.description,
                    address: s.intake.address,
                    handling_unit: names.get(&s.assignment.unit).cloned().unwrap_or_default(),
                    received_at: s.received_at,
                    updated_at: s.updated_at,
                    expected_at,
                    latest_reply: replies.remove(&id),
                }
            })
            .collect())
    }
}
