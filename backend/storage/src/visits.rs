//! Contact points and visits: leaders paired with communities and villages (联系点) with the
//! periods each pairing owed a visit, and the visits themselves — scheduled, their notice
//! published, moved or cancelled with a reason, held with attendance and minutes. What
//! residents may read (published notices, never attendance or minutes) has views of its own.
//! Every change goes into the operations log with its before and after.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use minqing_domain::UnitId;
use minqing_domain::access::Reach;
use minqing_domain::unit::UnitPath;
use minqing_domain::visits::{
    Attendance, ContactPointForm, Frequency, Obligation, Standing, ValidReschedule, ValidVisit,
    VisitKind, VisitStatus, VisitStep, check_notice_lead, obligations, spans_overlap, step_of,
};
use sea_orm::sea_query::Query;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{
    account, contact_point, household, unit, visit, visit_host, visit_household,
};
use crate::error::{Result, StorageError};
use crate::paging::{after_earliest_first, decode_cursor, encode_cursor, page};
use crate::scope::TenantScope;
use crate::units::{UnitView, subtree};

/// An account or a unit as other views name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Named {
    pub id: Uuid,
    pub name: String,
}

/// A contact point with the periods it owed a visit in the range asked about.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactPointView {
    pub id: Uuid,
    pub leader: Named,
    pub unit: Named,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub since: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub until: Option<NaiveDate>,
    pub frequency: Frequency,
    /// Oldest first.
    pub periods: Vec<Obligation>,
    pub done: u32,
    pub due: u32,
    pub missed: u32,
}

/// A visit as cadres see it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitView {
    pub id: Uuid,
    pub unit: Named,
    pub hosts: Vec<Named>,
    pub status: VisitStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub topic: Option<String>,
    pub notice_published_at: Option<DateTime<Utc>>,
    /// The start it was last moved from, and why.
    pub moved_from: Option<DateTime<Utc>>,
    pub move_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub attendance: Option<Attendance>,
    pub minutes: Option<String>,
    pub minutes_by: Option<String>,
    pub scheduled_by: String,
    pub kind: VisitKind,
    /// The household an interview visits.
    pub household: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

/// A visit as its public notice shows it: no attendance, no minutes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicVisit {
    pub id: Uuid,
    pub unit: String,
    /// The hosts' names.
    pub hosts: Vec<String>,
    pub status: VisitStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub topic: Option<String>,
    pub notice_published_at: DateTime<Utc>,
    pub moved_from: Option<DateTime<Utc>>,
    pub move_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Which visits a list holds.
pub struct VisitQuery<'a> {
    /// Visits of this subtree's units.
    pub within: &'a UnitPath,
    /// Only those hosted by this account.
    pub host: Option<Uuid>,
    pub status: Option<VisitStatus>,
    /// Starting in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u64,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<&'a str>,
}

/// The range an obligations view covers, and how the tenant counts it.
pub struct ObligationQuery<'a> {
    pub within: &'a UnitPath,
    pub leader: Option<Uuid>,
    pub range: (NaiveDate, NaiveDate),
    pub today: NaiveDate,
    pub frequency: Frequency,
    pub tz: Tz,
}

pub struct Visits<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn visits(&self) -> Visits<'_> {
        Visits { scope: self }
    }
}

fn json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

fn corrupt(what: &str) -> StorageError {
    StorageError::Db(sea_orm::DbErr::Custom(format!("visit row: {what}")))
}

impl Visits<'_> {
    fn tenant(&self) -> Uuid {
        self.scope.tenant().0
    }

    /// The ids of `root`'s subtree, as a subquery.
    fn units_in(&self, root: &UnitPath) -> sea_orm::sea_query::SelectStatement {
        Query::select()
            .column(unit::Column::Id)
            .from(unit::Entity)
            .and_where(unit::Column::TenantId.eq(self.tenant()))
            .cond_where(subtree(unit::Column::Path, root))
            .to_owned()
    }

    /// Names of the tenant's accounts among `ids`; with `active`, disabled ones are left out.
    async fn account_names(&self, ids: &[Uuid], active: bool) -> Result<HashMap<Uuid, String>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut q = account::Entity::find()
            .filter(account::Column::TenantId.eq(self.tenant()))
            .filter(account::Column::Id.is_in(ids.iter().copied()));
        if active {
            q = q.filter(account::Column::Disabled.eq(false));
        }
        Ok(q.all(&self.scope.tx)
            .await?
            .into_iter()
            .map(|a| {
                let name = if a.display_name.trim().is_empty() {
                    a.username
                } else {
                    a.display_name
                };
                (a.id, name)
            })
            .collect())
    }

    async fn unit_names(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(unit::Entity::find()
            .filter(unit::Column::TenantId.eq(self.tenant()))
            .filter(unit::Column::Id.is_in(ids.iter().copied()))
            .select_only()
            .column(unit::Column::Id)
            .column(unit::Column::Name)
            .into_tuple::<(Uuid, String)>()
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .collect())
    }

    // ---- Contact points ----

    /// Pairs a leader (an active account) with `unit`, a community or village; a pairing of
    /// the same two that shares a day with this one is a 409 `contact_point_exists`.
    pub async fn add_contact_point(
        &self,
        form: ContactPointForm,
        unit: &UnitView,
        now: DateTime<Utc>,
    ) -> Result<contact_point::Model> {
        if unit.archived {
            return Err(StorageError::field("unit_id", "unit_archived"));
        }
        if self.account_names(&[form.leader], true).await?.is_empty() {
            return Err(StorageError::field("leader", "unknown_account"));
        }
        let existing = contact_point::Entity::find()
            .filter(contact_point::Column::TenantId.eq(self.tenant()))
            .filter(contact_point::Column::LeaderId.eq(form.leader))
            .filter(contact_point::Column::UnitId.eq(unit.id.0))
            .all(&self.scope.tx)
            .await?;
        if existing
            .iter()
            .any(|c| spans_overlap((c.since, c.until), (form.since, form.until)))
        {
            return Err(StorageError::conflict("contact_point_exists"));
        }
        let row = contact_point::Entity::insert(contact_point::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            leader_id: Set(form.leader),
            unit_id: Set(unit.id.0),
            since: Set(form.since),
            until: Set(form.until),
            created_at: Set(now),
        })
        .exec_with_returning(&self.scope.tx)
        .await?;
        self.scope
            .oplog()
            .record(
                "contact_point.added",
                "contact_point",
                Some(row.id),
                None,
                Some(pairing_json(&row)),
            )
            .await?;
        Ok(row)
    }

    /// Ends a pairing within `reach` on `until` (its last day).
    pub async fn end_contact_point(
        &self,
        id: Uuid,
        reach: &Reach,
        until: NaiveDate,
    ) -> Result<contact_point::Model> {
        let found = contact_point::Entity::find_by_id(id)
            .filter(contact_point::Column::TenantId.eq(self.tenant()))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        self.scope
            .units()
            .get_within(UnitId(found.unit_id), reach)
            .await?;
        if until < found.since {
            return Err(StorageError::field("until", "ends_before_start"));
        }
        let before = pairing_json(&found);
        let mut active: contact_point::ActiveModel = found.into();
        active.until = Set(Some(until));
        let after = contact_point::Entity::update(active)
            .exec(&self.scope.tx)
            .await?;
        self.scope
            .oplog()
            .record(
                "contact_point.ended",
                "contact_point",
                Some(id),
                Some(before),
                Some(pairing_json(&after)),
            )
            .await?;
        Ok(after)
    }

    /// The contact points of `q.within`'s units (and of `q.leader`, if given), each with the
    /// periods of `q.range` it owed a visit: done when a visit at its unit hosted by its leader
    /// was held in the period (days in the tenant's zone).
    pub async fn contact_points(&self, q: &ObligationQuery<'_>) -> Result<Vec<ContactPointView>> {
        let mut select = contact_point::Entity::find()
            .filter(contact_point::Column::TenantId.eq(self.tenant()))
            .filter(contact_point::Column::UnitId.in_subquery(self.units_in(q.within)));
        if let Some(leader) = q.leader {
            select = select.filter(contact_point::Column::LeaderId.eq(leader));
        }
        let points = select
            .order_by_asc(contact_point::Column::Since)
            .order_by_asc(contact_point::Column::Id)
            .limit(2_000)
            .all(&self.scope.tx)
            .await?;
        let leaders: Vec<Uuid> = points.iter().map(|p| p.leader_id).collect();
        let units: Vec<Uuid> = points.iter().map(|p| p.unit_id).collect();
        let held = self.held_days(&units, &leaders, q.tz).await?;
        let leader_names = self.account_names(&leaders, false).await?;
        let unit_names = self.unit_names(&units).await?;
        let name = |names: &HashMap<Uuid, String>, id: Uuid| Named {
            id,
            name: names.get(&id).cloned().unwrap_or_default(),
        };
        Ok(points
            .into_iter()
            .map(|p| {
                let days = held
                    .get(&(p.unit_id, p.leader_id))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let periods = obligations(q.frequency, p.since, p.until, days, q.range, q.today);
                let count = |s: Standing| periods.iter().filter(|o| o.standing == s).count() as u32;
                ContactPointView {
                    id: p.id,
                    leader: name(&leader_names, p.leader_id),
                    unit: name(&unit_names, p.unit_id),
                    since: p.since,
                    until: p.until,
                    frequency: q.frequency,
                    done: count(Standing::Done),
                    due: count(Standing::Due),
                    missed: count(Standing::Missed),
                    periods,
                }
            })
            .collect())
    }

    /// The days (in `tz`) visits were held at `units`, per (unit, host) among `hosts`.
    async fn held_days(
        &self,
        units: &[Uuid],
        hosts: &[Uuid],
        tz: Tz,
    ) -> Result<HashMap<(Uuid, Uuid), Vec<NaiveDate>>> {
        if units.is_empty() {
            return Ok(HashMap::new());
        }
        let held = visit::Entity::find()
            .filter(visit::Column::TenantId.eq(self.tenant()))
            .filter(visit::Column::UnitId.is_in(units.iter().copied()))
            .filter(visit::Column::Status.eq(VisitStatus::Held.as_str()))
            .all(&self.scope.tx)
            .await?;
        let ids: Vec<Uuid> = held.iter().map(|v| v.id).collect();
        let hosts_of = self.hosts_of(&ids).await?;
        let mut out: HashMap<(Uuid, Uuid), Vec<NaiveDate>> = HashMap::new();
        for v in held {
            let day = v.starts_at.with_timezone(&tz).date_naive();
            for host in hosts_of.get(&v.id).into_iter().flatten() {
                if hosts.contains(host) {
                    out.entry((v.unit_id, *host)).or_default().push(day);
                }
            }
        }
        Ok(out)
    }

    // ---- Visits ----

    async fn hosts_of(&self, visits: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>> {
        let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        if visits.is_empty() {
            return Ok(out);
        }
        for h in visit_host::Entity::find()
            .filter(visit_host::Column::TenantId.eq(self.tenant()))
            .filter(visit_host::Column::VisitId.is_in(visits.iter().copied()))
            .all(&self.scope.tx)
            .await?
        {
            out.entry(h.visit_id).or_default().push(h.account_id);
        }
        Ok(out)
    }

    async fn views(&self, rows: Vec<visit::Model>) -> Result<Vec<VisitView>> {
        let ids: Vec<Uuid> = rows.iter().map(|v| v.id).collect();
        let hosts = self.hosts_of(&ids).await?;
        let mut accounts: Vec<Uuid> = hosts.values().flatten().copied().collect();
        accounts.sort();
        accounts.dedup();
        let names = self.account_names(&accounts, false).await?;
        let units: Vec<Uuid> = rows.iter().map(|v| v.unit_id).collect();
        let unit_names = self.unit_names(&units).await?;
        rows.into_iter()
            .map(|v| {
                let hosts = hosts
                    .get(&v.id)
                    .into_iter()
                    .flatten()
                    .map(|id| Named {
                        id: *id,
                        name: names.get(id).cloned().unwrap_or_default(),
                    })
                    .collect();
                let unit = Named {
                    id: v.unit_id,
                    name: unit_names.get(&v.unit_id).cloned().unwrap_or_default(),
                };
                view(v, unit, hosts)
            })
            .collect()
    }

    async fn view_of(&self, row: visit::Model) -> Result<VisitView> {
        self.views(vec![row])
            .await?
            .pop()
            .ok_or(StorageError::NotFound)
    }

    /// A visit whose unit lies within `reach`; anything else does not exist for the caller.
    pub(crate) async fn visit_within(&self, id: Uuid, reach: &Reach) -> Result<visit::Model> {
        let found = visit::Entity::find_by_id(id)
            .filter(visit::Column::TenantId.eq(self.tenant()))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        self.scope
            .units()
            .get_within(UnitId(found.unit_id), reach)
            .await?;
        Ok(found)
    }

    pub async fn get(&self, id: Uuid, reach: &Reach) -> Result<VisitView> {
        let found = self.visit_within(id, reach).await?;
        self.view_of(found).await
    }

    /// Puts a visit to `unit` (a community or village) on the calendar; each host must be an
    /// active account of the tenant.
    pub async fn schedule(
        &self,
        visit: ValidVisit,
        unit: &UnitView,
        now: DateTime<Utc>,
    ) -> Result<VisitView> {
        if unit.archived {
            return Err(StorageError::field("unit_id", "unit_archived"));
        }
        let known = self.account_names(&visit.hosts, true).await?;
        if visit.hosts.iter().any(|h| !known.contains_key(h)) {
            return Err(StorageError::field("hosts", "unknown_host"));
        }
        if let Some(household) = visit.household {
            let listed = household::Entity::find_by_id(household)
                .filter(household::Column::TenantId.eq(self.tenant()))
                .filter(household::Column::UnitId.eq(unit.id.0))
                .one(&self.scope.tx)
                .await?;
            if listed.is_none() {
                return Err(StorageError::field("household", "unknown_household"));
            }
        }
        let id = crate::new_id();
        let row = visit::Entity::insert(visit::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant()),
            unit_id: Set(unit.id.0),
            status: Set(VisitStatus::Scheduled.as_str().to_owned()),
            starts_at: Set(visit.starts_at),
            ends_at: Set(visit.ends_at),
            place: Set(visit.place),
            topic: Set(visit.topic),
            notice_published_at: Set(None),
            moved_from: Set(None),
            move_reason: Set(None),
            cancel_reason: Set(None),
            attendance: Set(None),
            minutes: Set(None),
            minutes_by: Set(None),
            scheduled_by: Set(self.scope.audit.username.clone()),
            kind: Set(visit.kind.as_str().to_owned()),
            household_id: Set(visit.household),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_with_returning(&self.scope.tx)
        .await?;
        // An interview's household takes part in it: coverage counts it once it is held.
        if let Some(household) = visit.household {
            visit_household::Entity::insert(visit_household::ActiveModel {
                tenant_id: Set(self.tenant()),
                visit_id: Set(id),
                household_id: Set(household),
            })
            .exec_without_returning(&self.scope.tx)
            .await?;
        }
        visit_host::Entity::insert_many(visit.hosts.iter().map(|h| visit_host::ActiveModel {
            tenant_id: Set(self.tenant()),
            visit_id: Set(id),
            account_id: Set(*h),
        }))
        .exec_without_returning(&self.scope.tx)
        .await?;
        let scheduled = self.view_of(row).await?;
        self.scope
            .oplog()
            .record("visit.scheduled", "visit", Some(id), None, json(&scheduled))
            .await?;
        Ok(scheduled)
    }

    /// Takes `step` on a visit within `reach` (its status rule in the domain), lets `change`
    /// edit the row, and logs the before and after as `action`.
    async fn take_step(
        &self,
        id: Uuid,
        reach: &Reach,
        what: VisitStep,
        now: DateTime<Utc>,
        action: &str,
        change: impl FnOnce(&visit::Model, &mut visit::ActiveModel) -> Result<()>,
    ) -> Result<VisitView> {
        let found = self.visit_within(id, reach).await?;
        let status = VisitStatus::parse(&found.status).map_err(|_| corrupt("status"))?;
        let kind = VisitKind::parse(&found.kind).map_err(|_| corrupt("kind"))?;
        let next = step_of(kind, status, what, found.starts_at <= now)?;
        let before = self.view_of(found.clone()).await?;
        let mut active: visit::ActiveModel = found.clone().into();
        active.status = Set(next.as_str().to_owned());
        active.updated_at = Set(now);
        change(&found, &mut active)?;
        let after = visit::Entity::update(active).exec(&self.scope.tx).await?;
        let after = self.view_of(after).await?;
        self.scope
            .oplog()
            .record(action, "visit", Some(id), json(&before), json(&after))
            .await?;
        Ok(after)
    }

    /// Publishes the visit's notice at `now`: refused (409 `notice_too_late`) when fewer than
    /// `lead_hours` remain before it starts.
    pub async fn publish_notice(
        &self,
        id: Uuid,
        reach: &Reach,
        now: DateTime<Utc>,
        lead_hours: u32,
    ) -> Result<VisitView> {
        self.take_step(
            id,
            reach,
            VisitStep::PublishNotice,
            now,
            "visit.notice_published",
            |v, a| {
                check_notice_lead(now, v.starts_at, lead_hours)?;
                a.notice_published_at = Set(Some(now));
                Ok(())
            },
        )
        .await
    }

    /// Moves a visit, with the reason its notice will show. A visit whose notice is out may
    /// move only to a time the lead time still allows.
    pub async fn reschedule(
        &self,
        id: Uuid,
        reach: &Reach,
        to: ValidReschedule,
        now: DateTime<Utc>,
        lead_hours: u32,
    ) -> Result<VisitView> {
        self.take_step(
            id,
            reach,
            VisitStep::Reschedule,
            now,
            "visit.rescheduled",
            |v, a| {
                if v.notice_published_at.is_some() {
                    check_notice_lead(now, to.starts_at, lead_hours)?;
                }
                a.moved_from = Set(Some(v.starts_at));
                a.move_reason = Set(Some(to.reason));
                a.starts_at = Set(to.starts_at);
                a.ends_at = Set(to.ends_at);
                if let Some(place) = to.place {
                    a.place = Set(place);
                }
                Ok(())
            },
        )
        .await
    }

    pub async fn cancel(
        &self,
        id: Uuid,
        reach: &Reach,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<VisitView> {
        self.take_step(
            id,
            reach,
            VisitStep::Cancel,
            now,
            "visit.cancelled",
            |_, a| {
                a.cancel_reason = Set(Some(reason));
                Ok(())
            },
        )
        .await
    }

    /// Records who came to a visit that has started (the first record marks it held).
    pub async fn record_attendance(
        &self,
        id: Uuid,
        reach: &Reach,
        attendance: Attendance,
        now: DateTime<Utc>,
    ) -> Result<VisitView> {
        let stored = serde_json::to_string(&attendance).map_err(|_| corrupt("attendance"))?;
        self.take_step(
            id,
            reach,
            VisitStep::Record,
            now,
            "visit.attendance_recorded",
            |_, a| {
                a.attendance = Set(Some(stored));
                Ok(())
            },
        )
        .await
    }

    /// Records the minutes of a visit that has started, by the scope's actor (the recorder).
    pub async fn record_minutes(
        &self,
        id: Uuid,
        reach: &Reach,
        minutes: String,
        now: DateTime<Utc>,
    ) -> Result<VisitView> {
        let by = self.scope.audit.username.clone();
        self.take_step(
            id,
            reach,
            VisitStep::Record,
            now,
            "visit.minutes_recorded",
            |_, a| {
                a.minutes = Set(Some(minutes));
                a.minutes_by = Set(Some(by));
                Ok(())
            },
        )
        .await
    }

    /// A page of a subtree's visits, by start time (then id), after `q.cursor`.
    pub async fn list(&self, q: &VisitQuery<'_>) -> Result<(Vec<VisitView>, Option<String>)> {
        let mut select = visit::Entity::find()
            .filter(visit::Column::TenantId.eq(self.tenant()))
            .filter(visit::Column::UnitId.in_subquery(self.units_in(q.within)));
        if let Some(host) = q.host {
            select = select.filter(visit::Column::Id.in_subquery(self.hosted_by(host)));
        }
        if let Some(status) = q.status {
            select = select.filter(visit::Column::Status.eq(status.as_str()));
        }
        if let Some(from) = q.from {
            select = select.filter(visit::Column::StartsAt.gte(from));
        }
        if let Some(to) = q.to {
            select = select.filter(visit::Column::StartsAt.lt(to));
        }
        if let Some(cursor) = q.cursor {
            let (at, id) = decode_cursor(cursor)?;
            select = select.filter(after_earliest_first(
                visit::Column::StartsAt,
                visit::Column::Id,
                at,
                id,
            ));
        }
        let rows = select
            .order_by_asc(visit::Column::StartsAt)
            .order_by_asc(visit::Column::Id)
            .limit(q.limit + 1)
            .all(&self.scope.tx)
            .await?;
        let (rows, next) = page(rows, q.limit, |v| encode_cursor(v.starts_at, v.id));
        Ok((self.views(rows).await?, next))
    }

    fn hosted_by(&self, host: Uuid) -> sea_orm::sea_query::SelectStatement {
        Query::select()
            .column(visit_host::Column::VisitId)
            .from(visit_host::Entity)
            .and_where(visit_host::Column::TenantId.eq(self.tenant()))
            .and_where(visit_host::Column::AccountId.eq(host))
            .to_owned()
    }

    /// The visits whose notice is out, of one unit or hosted by one account, by start time:
    /// what the public pages and calendar feeds show.
    pub async fn public(&self, of: PublicOf) -> Result<Vec<PublicVisit>> {
        let mut select = visit::Entity::find()
            .filter(visit::Column::TenantId.eq(self.tenant()))
            .filter(visit::Column::NoticePublishedAt.is_not_null())
            // Interviews are never announced; never shown either, whatever a row says.
            .filter(visit::Column::Kind.eq(VisitKind::Visit.as_str()));
        select = match of {
            PublicOf::Unit(unit) => select.filter(visit::Column::UnitId.eq(unit.0)),
            PublicOf::Host(host) => {
                select.filter(visit::Column::Id.in_subquery(self.hosted_by(host)))
            }
        };
        let rows = select
            .order_by_asc(visit::Column::StartsAt)
            .order_by_asc(visit::Column::Id)
            .limit(500)
            .all(&self.scope.tx)
            .await?;
        Ok(self
            .views(rows)
            .await?
            .into_iter()
            .filter_map(|v| {
                Some(PublicVisit {
                    id: v.id,
                    unit: v.unit.name,
                    hosts: v.hosts.into_iter().map(|h| h.name).collect(),
                    status: v.status,
                    starts_at: v.starts_at,
                    ends_at: v.ends_at,
                    place: v.place,
                    topic: v.topic,
                    notice_published_at: v.notice_published_at?,
                    moved_from: v.moved_from,
                    move_reason: v.move_reason,
                    cancel_reason: v.cancel_reason,
                    updated_at: v.updated_at,
                })
            })
            .collect())
    }

    /// A demand may name the visit it was raised at only if that visit is the tenant's, at
    /// the demand's origin, and not cancelled.
    pub async fn check_raised_at(&self, visit: Uuid, origin: UnitId) -> Result<()> {
        let found = visit::Entity::find_by_id(visit)
            .filter(visit::Column::TenantId.eq(self.tenant()))
            .filter(visit::Column::UnitId.eq(origin.0))
            .one(&self.scope.tx)
            .await?
            .ok_or_else(|| StorageError::field("visit", "unknown_visit"))?;
        if found.status == VisitStatus::Cancelled.as_str() {
            return Err(StorageError::conflict("visit_cancelled"));
        }
        Ok(())
    }

    /// The name of `account` if it is an active account of the tenant (whose calendar feed
    /// may be asked for, before or after they host anything).
    pub async fn active_account_name(&self, account: Uuid) -> Result<Option<String>> {
        Ok(self.account_names(&[account], true).await?.remove(&account))
    }

    /// The contact point `id` as a view over `q`'s range (after adding or ending it).
    pub async fn contact_point(
        &self,
        id: Uuid,
        q: &ObligationQuery<'_>,
    ) -> Result<ContactPointView> {
        self.contact_points(q)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(StorageError::NotFound)
    }
}

/// Whose published visits to show.
#[derive(Debug, Clone, Copy)]
pub enum PublicOf {
    Unit(UnitId),
    Host(Uuid),
}

fn pairing_json(row: &contact_point::Model) -> serde_json::Value {
    serde_json::json!({
        "leader": row.leader_id,
        "unit": row.unit_id,
        "since": row.since,
        "until": row.until,
    })
}

fn view(v: visit::Model, unit: Named, hosts: Vec<Named>) -> Result<VisitView> {
    let attendance = v
        .attendance
        .as_deref()
        .map(serde_json::from_str::<Attendance>)
        .transpose()
        .map_err(|_| corrupt("attendance"))?;
    Ok(VisitView {
        id: v.id,
        unit,
        hosts,
        status: VisitStatus::parse(&v.status).map_err(|_| corrupt("status"))?,
        starts_at: v.starts_at,
        ends_at: v.ends_at,
        place: v.place,
        topic: v.topic,
        notice_published_at: v.notice_published_at,
        moved_from: v.moved_from,
        move_reason: v.move_reason,
        cancel_reason: v.cancel_reason,
        attendance,
        minutes: v.minutes,
        minutes_by: v.minutes_by,
        scheduled_by: v.scheduled_by,
        kind: VisitKind::parse(&v.kind).map_err(|_| corrupt("kind"))?,
        household: v.household_id,
        updated_at: v.updated_at,
    })
}

/// A unit that is not at the tenant's community tier cannot have contact points or visits.
pub fn check_community(unit: &UnitView, community_level: Option<i32>) -> Result<()> {
    if Some(unit.level) == community_level {
        Ok(())
    } else {
        Err(StorageError::field("unit_id", "not_a_community"))
    }
}
