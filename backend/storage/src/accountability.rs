//! Warnings (预警) and accountability cases (问责): raised by the sweeper, listed per subtree,
//! and taken through review and decision by leaders. Every step is in the operations log.
use chrono::{DateTime, Duration, Utc};
use minqing_domain::UnitId;
use minqing_domain::access::Reach;
use minqing_domain::accountability::{
    CaseReason, CaseStatus, CaseStep, Outcome, check_decision, next_status,
};
use minqing_domain::demand::lifecycle::DeadlineKind;
use minqing_domain::unit::UnitPath;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{accountability_case, demand, warning};
use crate::error::{Result, StorageError};
use crate::paging::{after_newest_first, decode_cursor, encode_cursor, page};
use crate::scope::TenantScope;
use crate::units::{path_within, subtree};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WarningView {
    pub id: Uuid,
    pub demand_id: Uuid,
    pub receipt_code: String,
    pub title: String,
    pub unit_id: UnitId,
    /// The deadlines of one clock (the unit's hold of the demand) this warning is about, in
    /// the order they came: one row per clock and level, however many of its deadlines.
    pub deadlines: Vec<DeadlineKind>,
    /// `approaching` (before the deadline) or `overdue`.
    pub level: String,
    pub due_at: DateTime<Utc>,
    pub raised_at: DateTime<Utc>,
    /// The leaders the warned unit answers to (see `Accounts::leaders_of`), as they are now;
    /// empty where they lead a unit above the viewer's subtree.
    pub leaders: Vec<crate::accounts::LeaderRef>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseView {
    pub id: Uuid,
    pub demand_id: Uuid,
    pub receipt_code: String,
    pub title: String,
    pub unit_id: UnitId,
    /// Every deadline of the clock the case is about that was missed (one case per clock).
    pub deadlines: Vec<DeadlineKind>,
    /// `serious_overdue` or `repeated_overdue`.
    pub reason: String,
    pub status: CaseStatus,
    pub outcome: Option<Outcome>,
    pub outcome_text: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

pub struct Accountability<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn accountability(&self) -> Accountability<'_> {
        Accountability { scope: self }
    }
}

/// A stored list of deadlines: their names, comma-separated (`reply`, `reply,resolve`).
fn deadlines_of(raw: &str) -> Vec<DeadlineKind> {
    raw.split(',')
        .filter_map(|name| match name {
            "reply" => Some(DeadlineKind::Reply),
            "resolve" => Some(DeadlineKind::Resolve),
            _ => None,
        })
        .collect()
}

/// `raw` with `kind` added at the end, unless it names it already.
fn with_deadline(raw: &str, kind: DeadlineKind) -> Option<String> {
    let mut kinds = deadlines_of(raw);
    if kinds.contains(&kind) {
        return None;
    }
    kinds.push(kind);
    Some(deadlines_text(&kinds))
}

fn deadlines_text(kinds: &[DeadlineKind]) -> String {
    kinds
        .iter()
        .map(|k| deadline_name(*k))
        .collect::<Vec<_>>()
        .join(",")
}

fn outcome_of(raw: &str) -> Option<Outcome> {
    [
        Outcome::NoFault,
        Outcome::Talk,
        Outcome::NoticeOfCriticism,
        Outcome::Other,
    ]
    .into_iter()
    .find(|o| o.as_str() == raw)
}

/// A warning about one deadline of one demand's handling unit.
pub(crate) struct NewWarning<'a> {
    pub demand: Uuid,
    pub unit: UnitId,
    pub unit_path: &'a UnitPath,
    /// When the unit took the demand over: the start of the clock the deadline belongs to.
    pub clock_since: DateTime<Utc>,
    pub deadline: DeadlineKind,
    /// Past the deadline (else approaching it).
    pub overdue: bool,
    pub due_at: DateTime<Utc>,
}

/// An accountability case for one clock of one demand.
pub(crate) struct NewCase<'a> {
    pub demand: Uuid,
    pub unit: UnitId,
    pub unit_path: &'a UnitPath,
    pub missed: &'a [DeadlineKind],
    pub reason: CaseReason,
}

/// Filters of the warnings and cases lists.
#[derive(Debug, Clone, Default)]
pub struct FollowUpQuery {
    pub within: Option<UnitPath>,
    pub status: Option<CaseStatus>,
    pub level: Option<String>,
    pub demand: Option<Uuid>,
}

impl Accountability<'_> {
    fn tenant(&self) -> Uuid {
        self.scope.tenant.0
    }

    /// Raises a warning, or adds the deadline to the one this clock has at that level already:
    /// the board shows one lateness once.
    pub(crate) async fn raise_warning(&self, w: NewWarning<'_>, now: DateTime<Utc>) -> Result<()> {
        let level = if w.overdue { "overdue" } else { "approaching" };
        let same_clock = warning::Entity::find()
            .filter(warning::Column::TenantId.eq(self.tenant()))
            .filter(warning::Column::DemandId.eq(w.demand))
            .filter(warning::Column::UnitId.eq(w.unit.0))
            .filter(warning::Column::Level.eq(level))
            .filter(warning::Column::RaisedAt.gte(w.clock_since))
            .one(&self.scope.tx)
            .await?;
        if let Some(row) = same_clock {
            if let Some(deadlines) = with_deadline(&row.deadline, w.deadline) {
                let due_at = row.due_at.min(w.due_at);
                let mut active: warning::ActiveModel = row.into();
                active.deadline = Set(deadlines);
                active.due_at = Set(due_at);
                warning::Entity::update(active).exec(&self.scope.tx).await?;
            }
            return Ok(());
        }
        warning::Entity::insert(warning::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            demand_id: Set(w.demand),
            unit_id: Set(w.unit.0),
            unit_path: Set(w.unit_path.as_str().to_owned()),
            deadline: Set(deadline_name(w.deadline).to_owned()),
            level: Set(level.to_owned()),
            due_at: Set(w.due_at),
            raised_at: Set(now),
        })
        .exec(&self.scope.tx)
        .await?;
        Ok(())
    }

    /// How many of `unit`'s clocks went overdue in the last `days` (for repeated overdue).
    pub(crate) async fn overdue_count(
        &self,
        unit: UnitId,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(warning::Entity::find()
            .filter(warning::Column::TenantId.eq(self.tenant()))
            .filter(warning::Column::UnitId.eq(unit.0))
            .filter(warning::Column::Level.eq("overdue"))
            .filter(warning::Column::RaisedAt.gte(now - Duration::days(i64::from(days))))
            .count(&self.scope.tx)
            .await?)
    }

    pub(crate) async fn open_case(&self, case: NewCase<'_>, now: DateTime<Utc>) -> Result<Uuid> {
        let NewCase {
            demand,
            unit,
            unit_path,
            missed,
            reason,
        } = case;
        let id = crate::new_id();
        accountability_case::Entity::insert(accountability_case::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant()),
            demand_id: Set(demand),
            unit_id: Set(unit.0),
            unit_path: Set(unit_path.as_str().to_owned()),
            deadlines: Set(deadlines_text(missed)),
            reason: Set(reason.as_str().to_owned()),
            status: Set(CaseStatus::Open.as_str().to_owned()),
            outcome: Set(None),
            outcome_text: Set(None),
            decided_by: Set(None),
            decided_by_username: Set(None),
            decided_at: Set(None),
            opened_at: Set(now),
            closed_at: Set(None),
            updated_at: Set(now),
        })
        .exec(&self.scope.tx)
        .await?;
        self.scope
            .oplog()
            .record(
                "accountability.case_opened",
                "accountability_case",
                Some(id),
                None,
                Some(serde_json::json!({
                    "demand_id": demand, "unit_id": unit, "reason": reason.as_str(),
                    "deadlines": missed,
                })),
            )
            .await?;
        Ok(id)
    }

    /// Names one more missed deadline on the case of the clock `unit` has held since `since`.
    pub(crate) async fn case_also_missed(
        &self,
        demand: Uuid,
        unit: UnitId,
        since: DateTime<Utc>,
        kind: DeadlineKind,
    ) -> Result<()> {
        let row = accountability_case::Entity::find()
            .filter(accountability_case::Column::TenantId.eq(self.tenant()))
            .filter(accountability_case::Column::DemandId.eq(demand))
            .filter(accountability_case::Column::UnitId.eq(unit.0))
            .filter(accountability_case::Column::OpenedAt.gte(since))
            .one(&self.scope.tx)
            .await?;
        if let Some(row) = row
            && let Some(deadlines) = with_deadline(&row.deadlines, kind)
        {
            let mut active: accountability_case::ActiveModel = row.into();
            active.deadlines = Set(deadlines);
            accountability_case::Entity::update(active)
                .exec(&self.scope.tx)
                .await?;
        }
        Ok(())
    }

    /// Warnings of units within `reach`, newest first.
    pub async fn warnings(
        &self,
        reach: &Reach,
        query: &FollowUpQuery,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<(Vec<WarningView>, Option<String>)> {
        let mut select = warning::Entity::find()
            .filter(warning::Column::TenantId.eq(self.tenant()))
            .filter(path_within(warning::Column::UnitPath, reach));
        if let Some(root) = &query.within {
            select = select.filter(subtree(warning::Column::UnitPath, root));
        }
        if let Some(level) = &query.level {
            select = select.filter(warning::Column::Level.eq(level.as_str()));
        }
        if let Some(d) = query.demand {
            select = select.filter(warning::Column::DemandId.eq(d));
        }
        if let Some(cursor) = cursor {
            let (at, id) = decode_cursor(cursor)?;
            select = select.filter(after_newest_first(
                warning::Column::RaisedAt,
                warning::Column::Id,
                at,
                id,
            ));
        }
        let rows = select
            .order_by_desc(warning::Column::RaisedAt)
            .order_by_desc(warning::Column::Id)
            .limit(limit + 1)
            .all(&self.scope.tx)
            .await?;
        let (rows, next) = page(rows, limit, |w| encode_cursor(w.raised_at, w.id));
        let titles = self.titles(rows.iter().map(|w| w.demand_id)).await?;
        // Each unit's leaders, named only where the viewer may see the unit they lead: a
        // scoped account reads nothing above its subtree but its ancestors' names.
        let mut units: Vec<(Uuid, UnitPath)> = rows
            .iter()
            .map(|w| (w.unit_id, UnitPath::from_stored(w.unit_path.clone())))
            .collect();
        units.sort_by_key(|(id, _)| *id);
        units.dedup_by_key(|(id, _)| *id);
        let paths: Vec<UnitPath> = units.iter().map(|(_, p)| p.clone()).collect();
        let each = self.scope.accounts().leaders_of_each(&paths).await?;
        let leaders: std::collections::HashMap<Uuid, Vec<crate::accounts::LeaderRef>> = units
            .into_iter()
            .zip(each)
            .map(|((id, _), (led, names))| {
                let visible = led.is_some_and(|p| reach.covers(&p));
                (id, if visible { names } else { Vec::new() })
            })
            .collect();
        let views = rows
            .into_iter()
            .map(|w| {
                let (receipt_code, title) = titles.get(&w.demand_id).cloned().unwrap_or_default();
                WarningView {
                    leaders: leaders.get(&w.unit_id).cloned().unwrap_or_default(),
                    id: w.id,
                    demand_id: w.demand_id,
                    receipt_code,
                    title,
                    unit_id: UnitId(w.unit_id),
                    deadlines: deadlines_of(&w.deadline),
                    level: w.level,
                    due_at: w.due_at,
                    raised_at: w.raised_at,
                }
            })
            .collect();
        Ok((views, next))
    }

    /// Cases of units within `reach`, newest first.
    pub async fn cases(
        &self,
        reach: &Reach,
        query: &FollowUpQuery,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<(Vec<CaseView>, Option<String>)> {
        let mut select = accountability_case::Entity::find()
            .filter(accountability_case::Column::TenantId.eq(self.tenant()))
            .filter(path_within(accountability_case::Column::UnitPath, reach));
        if let Some(root) = &query.within {
            select = select.filter(subtree(accountability_case::Column::UnitPath, root));
        }
        if let Some(status) = query.status {
            select = select.filter(accountability_case::Column::Status.eq(status.as_str()));
        }
        if let Some(d) = query.demand {
            select = select.filter(accountability_case::Column::DemandId.eq(d));
        }
        if let Some(cursor) = cursor {
            let (at, id) = decode_cursor(cursor)?;
            select = select.filter(after_newest_first(
                accountability_case::Column::OpenedAt,
                accountability_case::Column::Id,
                at,
                id,
            ));
        }
        let rows = select
            .order_by_desc(accountability_case::Column::OpenedAt)
            .order_by_desc(accountability_case::Column::Id)
            .limit(limit + 1)
            .all(&self.scope.tx)
            .await?;
        let (rows, next) = page(rows, limit, |c| encode_cursor(c.opened_at, c.id));
        Ok((self.case_views(rows).await?, next))
    }

    async fn case_views(&self, rows: Vec<accountability_case::Model>) -> Result<Vec<CaseView>> {
        let titles = self.titles(rows.iter().map(|c| c.demand_id)).await?;
        Ok(rows
            .into_iter()
            .map(|c| {
                let (receipt_code, title) = titles.get(&c.demand_id).cloned().unwrap_or_default();
                CaseView {
                    id: c.id,
                    demand_id: c.demand_id,
                    receipt_code,
                    title,
                    unit_id: UnitId(c.unit_id),
                    deadlines: deadlines_of(&c.deadlines),
                    reason: c.reason,
                    status: CaseStatus::parse(&c.status).unwrap_or(CaseStatus::Open),
                    outcome: c.outcome.as_deref().and_then(outcome_of),
                    outcome_text: c.outcome_text,
                    decided_by: c.decided_by_username,
                    decided_at: c.decided_at,
                    opened_at: c.opened_at,
                    closed_at: c.closed_at,
                }
            })
            .collect())
    }

    async fn titles(
        &self,
        ids: impl Iterator<Item = Uuid>,
    ) -> Result<std::collections::HashMap<Uuid, (String, String)>> {
        let ids: Vec<Uuid> = ids.collect();
        if ids.is_empty() {
            return Ok(Default::default());
        }
        Ok(demand::Entity::find()
            .filter(demand::Column::TenantId.eq(self.tenant()))
            .filter(demand::Column::Id.is_in(ids))
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(|d| (d.id, (d.receipt_code, d.title)))
            .collect())
    }

    /// One case of a unit within `reach`; outside it, none.
    pub async fn case(&self, id: Uuid, reach: &Reach) -> Result<CaseView> {
        let row = self.case_row(id, reach).await?;
        self.case_views(vec![row])
            .await?
            .pop()
            .ok_or(StorageError::NotFound)
    }

    async fn case_row(&self, id: Uuid, reach: &Reach) -> Result<accountability_case::Model> {
        accountability_case::Entity::find()
            .filter(accountability_case::Column::TenantId.eq(self.tenant()))
            .filter(accountability_case::Column::Id.eq(id))
            .filter(Condition::all().add(path_within(accountability_case::Column::UnitPath, reach)))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)
    }

    /// Moves a case one step (review, decide with an outcome, close), as the scope's actor.
    pub async fn step(
        &self,
        id: Uuid,
        reach: &Reach,
        step: CaseStep,
        outcome: Option<(Outcome, Option<String>)>,
        now: DateTime<Utc>,
    ) -> Result<CaseView> {
        let row = self.case_row(id, reach).await?;
        let before = self.case_views(vec![row.clone()]).await?.pop();
        let from = CaseStatus::parse(&row.status).unwrap_or(CaseStatus::Open);
        let to = next_status(from, step).map_err(StorageError::conflict)?;
        let mut active: accountability_case::ActiveModel = row.into();
        active.status = Set(to.as_str().to_owned());
        active.updated_at = Set(now);
        match step {
            CaseStep::Decide => {
                let (outcome, text) =
                    outcome.ok_or_else(|| StorageError::field("outcome", "required"))?;
                let text = check_decision(outcome, text.as_deref())
                    .map_err(|c| StorageError::field("outcome_text", c))?;
                active.outcome = Set(Some(outcome.as_str().to_owned()));
                active.outcome_text = Set(text);
                active.decided_by = Set(self.scope.audit.actor_id.map(|a| a.0));
                active.decided_by_username = Set(Some(self.scope.audit.username.clone()));
                active.decided_at = Set(Some(now));
            }
            CaseStep::Close => active.closed_at = Set(Some(now)),
            CaseStep::Review => {}
        }
        let row = accountability_case::Entity::update(active)
            .exec(&self.scope.tx)
            .await?;
        let after = self.case_views(vec![row]).await?.pop();
        let action = match step {
            CaseStep::Review => "accountability.case_reviewed",
            CaseStep::Decide => "accountability.case_decided",
            CaseStep::Close => "accountability.case_closed",
        };
        self.scope
            .oplog()
            .record(
                action,
                "accountability_case",
                Some(id),
                before.as_ref().and_then(|v| serde_json::to_value(v).ok()),
                after.as_ref().and_then(|v| serde_json::to_value(v).ok()),
            )
            .await?;
        after.ok_or(StorageError::NotFound)
    }
}

pub(crate) fn deadline_name(kind: DeadlineKind) -> &'static str {
    match kind {
        DeadlineKind::Reply => "reply",
        DeadlineKind::Resolve => "resolve",
    }
}
