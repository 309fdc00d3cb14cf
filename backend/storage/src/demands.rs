//! The demand ledger's repository: intake, actions, reads and lists.
//!
//! Every change is a `DemandEvent` appended to the tenant's hash chain (`ledger`), and the
//! `demands` row is the state `lifecycle::apply` folds from those events — never written any
//! other way. What a caller may see and do is decided by `DemandAccess` (domain `access`).
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minqing_domain::access::{DemandAccess, DemandPlaces, Reach};
use minqing_domain::demand::RatingChannel;
use minqing_domain::demand::attachment::{MAX_ATTACHMENT_BYTES, clean_file_name, sniff_media_type};
use minqing_domain::demand::deadline::assign;
use minqing_domain::demand::intake::{ValidIntake, optional_text, required_text};
use minqing_domain::demand::lifecycle::{
    Action, DeadlineKind, DemandEvent, DemandState, Intake, Status, allowed, apply, check_survivor,
};
use minqing_domain::demand::rating::{PublicRatingForm, RATING_NOT_OPEN, phone_digits};
use minqing_domain::demand::routing::{ChainLink, escalation_target, handling_unit};
use minqing_domain::demand::sweep::{
    SweepStep, due_steps, newly_late, next_due, next_look, open_deadlines,
};
use minqing_domain::demand::{Channel, Grade, Satisfaction, receipt_code};
use minqing_domain::notification::Audience;
use minqing_domain::personal_data::{mask_id_number, mask_phone};
use minqing_domain::tier::TierKey;
use minqing_domain::unit::UnitPath;
use minqing_domain::{DomainError, UnitId};
use rand::RngCore;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use uuid::Uuid;

use crate::Audit;
use crate::accountability::{NewCase, NewWarning};
use crate::demand_rules::DemandRules;
use crate::entities::{attachment, demand, demand_assist};
use crate::error::{Result, StorageError};
use crate::intake_writer::PreparedIntake;
use crate::ledger::ledger_time;
use crate::notifications::{Notice, messages};
use crate::paging::{after_newest_first, decode_cursor, encode_cursor};
use crate::scope::TenantScope;
use crate::sealing::Sealer;
use crate::settings::TenantSettings;
use crate::units::{UnitView, escape_like, like, path_within, subtree};

/// A unit as a demand names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitRef {
    pub id: UnitId,
    pub name: String,
}

/// A demand as cadres see it: personal data masked.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandView {
    pub id: Uuid,
    pub receipt_code: String,
    pub status: Status,
    pub grade: Grade,
    pub category: String,
    pub channel: Channel,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub resident_name: Option<String>,
    /// e.g. 138****5678
    pub phone: Option<String>,
    /// e.g. 360102********123X
    pub id_number: Option<String>,
    pub origin_unit: UnitRef,
    pub handling_unit: UnitRef,
    pub handling_tier: TierKey,
    pub assists: Vec<UnitRef>,
    pub visit: Option<Uuid>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the current handling unit took it over.
    pub assigned_at: DateTime<Utc>,
    pub reply_due_at: Option<DateTime<Utc>>,
    pub resolve_due_at: Option<DateTime<Utc>>,
    pub replied_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<Satisfaction>,
    pub merged_into: Option<Uuid>,
    pub escalations: u32,
    pub reopenings: u32,
    /// Deadlines of the current handling unit that have passed unmet.
    pub overdue: Vec<DeadlineKind>,
    /// What the caller may do with it now.
    pub actions: Vec<Action>,
}

/// What the resident sees by receipt code: progress, no personal data, no names of cadres.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicDemandView {
    pub receipt_code: String,
    pub status: Status,
    pub grade: Grade,
    pub category: String,
    pub title: String,
    pub handling_unit: String,
    pub received_at: DateTime<Utc>,
    pub reply_due_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<Satisfaction>,
    /// The resident may rate it now (its feedback is given; once per resolution).
    pub awaits_rating: bool,
    /// The rating asks for the last four digits of the phone left with the demand.
    pub asks_phone_digits: bool,
    /// The steps so far (kind and time; replies with their text, a rejection with its reason).
    pub progress: Vec<PublicStep>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicStep {
    pub kind: String,
    pub at: DateTime<Utc>,
    pub text: Option<String>,
}

/// The resident's contact details in full, for roles that need them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonalData {
    pub resident_name: Option<String>,
    pub phone: Option<String>,
    pub id_number: Option<String>,
}

/// An action on a demand, with what it needs.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    Accept {
        #[serde(default)]
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
    Reply {
        text: String,
    },
    Resolve {
        text: String,
    },
    GiveFeedback {
        text: String,
    },
    Rate {
        satisfaction: Satisfaction,
        #[serde(default)]
        comment: Option<String>,
    },
    Escalate {
        reason: String,
    },
    Reassign {
        unit: UnitId,
        #[serde(default)]
        reason: Option<String>,
    },
    Merge {
        into: Uuid,
        #[serde(default)]
        reason: Option<String>,
    },
    AddAssist {
        unit: UnitId,
    },
    RemoveAssist {
        unit: UnitId,
    },
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Accept { .. } => Action::Accept,
            Command::Reject { .. } => Action::Reject,
            Command::Reply { .. } => Action::Reply,
            Command::Resolve { .. } => Action::Resolve,
            Command::GiveFeedback { .. } => Action::GiveFeedback,
            Command::Rate { .. } => Action::Rate,
            Command::Escalate { .. } => Action::Escalate,
            Command::Reassign { .. } => Action::Reassign,
            Command::Merge { .. } => Action::Merge,
            Command::AddAssist { .. } => Action::AddAssist,
            Command::RemoveAssist { .. } => Action::RemoveAssist,
        }
    }
}

/// A file filed with a demand.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentView {
    pub id: Uuid,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    /// SHA-256 of the content, also recorded in the ledger.
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepCounts {
    pub warned: u32,
    pub overdue: u32,
    pub escalated: u32,
    pub cases: u32,
}

impl std::ops::AddAssign for SweepCounts {
    fn add_assign(&mut self, o: Self) {
        self.warned += o.warned;
        self.overdue += o.overdue;
        self.escalated += o.escalated;
        self.cases += o.cases;
    }
}

/// Filters of the ledger list; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct DemandQuery {
    /// Raised in, handled in or co-handled in this unit's subtree.
    pub within: Option<UnitPath>,
    pub statuses: Vec<Status>,
    pub grade: Option<Grade>,
    pub category: Option<String>,
    pub channel: Option<Channel>,
    /// Open with a deadline already passed.
    pub overdue: Option<bool>,
    /// Received at or after (the start of a day in the tenant's zone).
    pub received_from: Option<DateTime<Utc>>,
    /// Received before (the end of a day in the tenant's zone).
    pub received_before: Option<DateTime<Utc>>,
    /// Words in the title or description, or a receipt code.
    pub text: Option<String>,
    /// An exact phone number (found through its keyed index, never by decrypting).
    pub phone: Option<String>,
    /// Raised at this visit.
    pub visit: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusCount {
    pub status: Status,
    pub count: i64,
}

/// Everything a write needs besides the scope: the caller's powers, the tenant's rules,
/// calendar and zone, the sealer for personal data, and the time.
pub struct DemandContext<'a> {
    pub access: &'a DemandAccess,
    /// The tenant's tiers, rules, calendar and categories.
    pub settings: &'a TenantSettings,
    pub tz: Tz,
    pub sealer: &'a Sealer,
    pub now: DateTime<Utc>,
}

pub struct Demands<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn demands(&self) -> Demands<'_> {
        Demands { scope: self }
    }
}

/// A demand row with its state decoded.
struct Loaded {
    row: demand::Model,
    state: DemandState,
    origin: UnitPath,
    handler: UnitPath,
    assists: Vec<(UnitId, UnitPath)>,
}

impl Loaded {
    fn new(row: demand::Model) -> Result<Self> {
        let state: DemandState = serde_json::from_str(&row.state).map_err(|_| corrupt("state"))?;
        Ok(Self {
            origin: UnitPath::from_stored(row.origin_path.clone()),
            handler: UnitPath::from_stored(row.handling_path.clone()),
            row,
            state,
            assists: Vec::new(),
        })
    }

    fn places<'a>(&'a self, assists: &'a [UnitPath]) -> DemandPlaces<'a> {
        DemandPlaces {
            origin: &self.origin,
            handler: &self.handler,
            assists,
        }
    }

    fn assist_paths(&self) -> Vec<UnitPath> {
        self.assists.iter().map(|(_, p)| p.clone()).collect()
    }
}

fn corrupt(what: &str) -> StorageError {
    StorageError::Db(sea_orm::DbErr::Custom(format!("demand row: {what}")))
}

fn lifecycle_error(code: &'static str) -> StorageError {
    StorageError::Domain(DomainError::conflict(code))
}

/// When the sweeper must next look at the demand (see `demand::sweep::next_look`).
fn sweep_after(state: &DemandState, rules: &DemandRules) -> Option<DateTime<Utc>> {
    let rule = rules.deadlines.for_tier(state.assignment.tier);
    next_look(state, &rule, &rules.accountability)
}

impl Demands<'_> {
    fn tenant(&self) -> Uuid {
        self.scope.tenant.0
    }

    fn select(&self) -> Select<demand::Entity> {
        demand::Entity::find().filter(demand::Column::TenantId.eq(self.tenant()))
    }

    /// Records a new demand raised in a community the caller may record for, routes it to the
    /// tier its grade names, and starts that unit's clock — in the scope's transaction.
    pub async fn receive(
        &self,
        intake: ValidIntake,
        ctx: &DemandContext<'_>,
    ) -> Result<DemandView> {
        let (prepared, view) = self.prepare(intake, ctx).await?;
        self.scope.write_intakes(&[&prepared]).await?;
        Ok(view)
    }

    /// Everything `receive` decides, read through the scope but not yet written: the routed
    /// demand, its first event, its notifications, and the caller's view of it. Written by
    /// [`TenantScope::write_intakes`] (or the intake writer, many at once).
    pub async fn prepare(
        &self,
        intake: ValidIntake,
        ctx: &DemandContext<'_>,
    ) -> Result<(PreparedIntake, DemandView)> {
        let chain = match self.scope.units().with_ancestors(intake.origin_unit).await {
            Err(StorageError::NotFound) => {
                return Err(StorageError::field("origin_unit", "unknown_unit"));
            }
            found => found?,
        };
        prepare_intake(self.scope.tenant, &self.scope.audit, chain, intake, ctx)
    }

    async fn load(&self, id: Uuid) -> Result<Loaded> {
        let row = self
            .select()
            .filter(demand::Column::Id.eq(id))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        self.with_assists(row).await
    }

    /// A demand row read already, with its co-handling units.
    async fn with_assists(&self, row: demand::Model) -> Result<Loaded> {
        let id = row.id;
        let mut loaded = Loaded::new(row)?;
        loaded.assists = demand_assist::Entity::find()
            .filter(demand_assist::Column::TenantId.eq(self.tenant()))
            .filter(demand_assist::Column::DemandId.eq(id))
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(|a| (UnitId(a.unit_id), UnitPath::from_stored(a.unit_path)))
            .collect();
        Ok(loaded)
    }

    /// A demand the caller may read; anything else does not exist for them.
    async fn load_visible(&self, id: Uuid, access: &DemandAccess) -> Result<Loaded> {
        let loaded = self.load(id).await?;
        let assists = loaded.assist_paths();
        if access.can_read(loaded.places(&assists)) {
            Ok(loaded)
        } else {
            Err(StorageError::NotFound)
        }
    }

    pub async fn get(
        &self,
        id: Uuid,
        access: &DemandAccess,
        now: DateTime<Utc>,
    ) -> Result<DemandView> {
        let loaded = self.load_visible(id, access).await?;
        let mut views = self.views(vec![loaded], access, now).await?;
        views.pop().ok_or(StorageError::NotFound)
    }

    /// Applies `command` as the caller: a 404 if they cannot see the demand, a 403 if they
    /// may not do this to it, a 409 if its state does not allow it.
    pub async fn act(
        &self,
        id: Uuid,
        command: Command,
        ctx: &DemandContext<'_>,
    ) -> Result<DemandView> {
        let loaded = self.load_visible(id, ctx.access).await?;
        let assists = loaded.assist_paths();
        let action = command.action();
        if !ctx.access.can_act(action, loaded.places(&assists)) {
            return Err(if action == Action::Rate {
                StorageError::Refused(minqing_domain::access::RATING_NOT_YOURS)
            } else {
                StorageError::Forbidden
            });
        }
        let now = ledger_time(ctx.now);
        let text = |raw: &str, field: &str| {
            required_text(raw, 5_000).map_err(|c| StorageError::field(field, c))
        };
        let note = |raw: Option<&str>, field: &str| {
            optional_text(raw, 2_000).map_err(|c| StorageError::field(field, c))
        };
        let mut survivor: Option<Loaded> = None;
        let mut assist_change: Option<(UnitId, Option<UnitPath>)> = None;
        let mut new_handler_path: Option<UnitPath> = None;
        let event = match command {
            Command::Accept { note: n } => DemandEvent::Accepted {
                note: note(n.as_deref(), "note")?,
            },
            Command::Reject { reason } => DemandEvent::Rejected {
                reason: text(&reason, "reason")?,
            },
            Command::Reply { text: t } => DemandEvent::Replied {
                text: text(&t, "text")?,
            },
            Command::Resolve { text: t } => DemandEvent::Resolved {
                text: text(&t, "text")?,
            },
            Command::GiveFeedback { text: t } => DemandEvent::FeedbackGiven {
                text: text(&t, "text")?,
            },
            Command::Rate {
                satisfaction,
                comment,
            } => DemandEvent::Rated {
                satisfaction,
                comment: note(comment.as_deref(), "comment")?,
                // Only a reviewer outside the handling unit gets here (`can_act`).
                by: Some(RatingChannel::FollowUpCall),
            },
            Command::Escalate { reason } => {
                let reason = text(&reason, "reason")?;
                let (unit, path, tier) = self.parent_of_handler(&loaded).await?;
                new_handler_path = Some(path);
                DemandEvent::Escalated {
                    reason,
                    by_rule: false,
                    assignment: assign(
                        unit,
                        tier,
                        now,
                        &ctx.settings.rules.deadlines,
                        &ctx.settings.calendar,
                        ctx.tz,
                    ),
                }
            }
            Command::Reassign { unit, reason } => {
                let reason = note(reason.as_deref(), "reason")?;
                let target = self
                    .scope
                    .units()
                    .get_within(unit, &ctx.access.assign)
                    .await
                    .map_err(|_| StorageError::field("unit", "unknown_unit"))?;
                if target.archived {
                    return Err(StorageError::field("unit", "unit_archived"));
                }
                if target.id == UnitId(loaded.row.handling_unit_id) {
                    return Err(StorageError::conflict("already_handling"));
                }
                let tier = self.tier_key(target.level).await?;
                new_handler_path = Some(target.path.clone());
                DemandEvent::Reassigned {
                    reason,
                    assignment: assign(
                        target.id,
                        tier,
                        now,
                        &ctx.settings.rules.deadlines,
                        &ctx.settings.calendar,
                        ctx.tz,
                    ),
                }
            }
            Command::Merge { into, reason } => {
                if into == id {
                    return Err(StorageError::field("into", "merge_into_itself"));
                }
                let other = self
                    .load_visible(into, ctx.access)
                    .await
                    .map_err(|_| StorageError::field("into", "unknown_demand"))?;
                check_survivor(other.state.status).map_err(StorageError::conflict)?;
                survivor = Some(other);
                DemandEvent::Merged {
                    survivor: into,
                    reason: note(reason.as_deref(), "reason")?,
                }
            }
            Command::AddAssist { unit } => {
                let target = self
                    .scope
                    .units()
                    .get(unit)
                    .await
                    .map_err(|_| StorageError::field("unit", "unknown_unit"))?;
                if target.archived {
                    return Err(StorageError::field("unit", "unit_archived"));
                }
                assist_change = Some((unit, Some(target.path)));
                DemandEvent::AssistAdded { unit }
            }
            Command::RemoveAssist { unit } => {
                assist_change = Some((unit, None));
                DemandEvent::AssistRemoved { unit }
            }
        };
        let state = apply(Some(loaded.state.clone()), &event, now).map_err(lifecycle_error)?;
        self.notify(id, &state, &event).await?;
        self.record(
            &loaded,
            &event,
            state,
            new_handler_path,
            &ctx.settings.rules,
        )
        .await?;
        if let Some((unit, path)) = assist_change {
            self.set_assist(id, unit, path).await?;
        }
        if let Some(other) = survivor {
            let absorbed = DemandEvent::Absorbed { duplicate: id };
            let state =
                apply(Some(other.state.clone()), &absorbed, now).map_err(lifecycle_error)?;
            self.record(&other, &absorbed, state, None, &ctx.settings.rules)
                .await?;
        }
        self.get(id, ctx.access, ctx.now).await
    }

    /// Appends `event` to the chain and stores the state it leads to.
    async fn record(
        &self,
        loaded: &Loaded,
        event: &DemandEvent,
        state: DemandState,
        new_handler_path: Option<UnitPath>,
        rules: &DemandRules,
    ) -> Result<()> {
        let id = loaded.row.id;
        let now = state.updated_at;
        let seq = self
            .scope
            .append_event(id, event, now, rules.hash_algorithm)
            .await?;
        let mut active: demand::ActiveModel = loaded.row.clone().into();
        active.status = Set(state.status.as_str().to_owned());
        active.handling_unit_id = Set(state.assignment.unit.0);
        if let Some(path) = new_handler_path {
            active.handling_path = Set(path.as_str().to_owned());
            // The new handler may have been co-handling: it leads now.
            self.set_assist(id, state.assignment.unit, None).await?;
        }
        active.handling_tier = Set(state.assignment.tier.as_str().to_owned());
        active.reply_due_at = Set(state.assignment.reply_due_at);
        active.resolve_due_at = Set(state.assignment.resolve_due_at);
        active.next_due_at = Set(next_due(&state));
        active.sweep_after = Set(sweep_after(&state, rules));
        active.merged_into = Set(state.merged_into);
        active.updated_at = Set(now);
        active.state = Set(encode_state(&state)?);
        active.last_seq = Set(seq);
        // Only over the state this step was decided on: another step that committed since
        // (a cadre's, the sweeper's) moved `last_seq`, and this one must be decided afresh —
        // else its state would overwrite the other's, and an illegal step enter the ledger.
        let updated = demand::Entity::update_many()
            .set(active)
            .filter(demand::Column::TenantId.eq(self.tenant()))
            .filter(demand::Column::Id.eq(id))
            .filter(demand::Column::LastSeq.eq(loaded.row.last_seq))
            .exec(&self.scope.tx)
            .await?;
        if updated.rows_affected != 1 {
            return Err(StorageError::conflict("demand_changed"));
        }
        Ok(())
    }

    /// Adds (`Some(path)`) or removes (`None`) a co-handling unit.
    async fn set_assist(&self, demand: Uuid, unit: UnitId, path: Option<UnitPath>) -> Result<()> {
        match path {
            Some(path) => {
                demand_assist::Entity::insert(demand_assist::ActiveModel {
                    tenant_id: Set(self.tenant()),
                    demand_id: Set(demand),
                    unit_id: Set(unit.0),
                    unit_path: Set(path.as_str().to_owned()),
                })
                .exec(&self.scope.tx)
                .await?;
            }
            None => {
                demand_assist::Entity::delete_many()
                    .filter(demand_assist::Column::TenantId.eq(self.tenant()))
                    .filter(demand_assist::Column::DemandId.eq(demand))
                    .filter(demand_assist::Column::UnitId.eq(unit.0))
                    .exec(&self.scope.tx)
                    .await?;
            }
        }
        Ok(())
    }

    async fn tier_key(&self, level: i32) -> Result<TierKey> {
        self.scope
            .tiers()
            .list()
            .await?
            .into_iter()
            .find(|t| t.level == level)
            .map(|t| t.key)
            .ok_or_else(|| corrupt("unit level without a tier"))
    }

    /// The handling unit's parent, for escalation (上报).
    async fn parent_of_handler(&self, loaded: &Loaded) -> Result<(UnitId, UnitPath, TierKey)> {
        let handler = self
            .scope
            .units()
            .get(UnitId(loaded.row.handling_unit_id))
            .await?;
        let mut chain_units = self.scope.units().ancestors(&handler).await?;
        chain_units.push(handler);
        let tiers = self.scope.tiers().list().await?;
        let tier_of = |level: i32| tiers.iter().find(|t| t.level == level).map(|t| t.key);
        let parent = escalation_target(&links(&chain_units, &tier_of)).map_err(lifecycle_error)?;
        let path = chain_units
            .iter()
            .find(|u| u.id == parent.unit)
            .map(|u| u.path.clone())
            .ok_or_else(|| corrupt("parent not on chain"))?;
        Ok((parent.unit, path, parent.tier))
    }

    /// Queues the notification an event calls for (`notice`).
    async fn notify(&self, id: Uuid, state: &DemandState, event: &DemandEvent) -> Result<()> {
        let Some(mut n) = notice(self.tenant(), id, state, event) else {
            return Ok(());
        };
        // A warning, an overdue and an escalation are addressed to the handling unit and its
        // leaders, by name, so a channel can reach the people who must answer for it.
        if matches!(
            event,
            DemandEvent::Warned { .. }
                | DemandEvent::WentOverdue { .. }
                | DemandEvent::Escalated { .. }
        ) {
            let unit = self.scope.units().get(state.assignment.unit).await?;
            let (_, leaders) = self.scope.accounts().leaders_of(&unit.path).await?;
            n.payload["demand"]["handling_unit_name"] = unit.name.into();
            n.payload["leaders"] = serde_json::to_value(leaders).unwrap_or_default();
        }
        self.scope.notifications().enqueue(&n).await
    }

    /// Demands the sweeper must look at by `now`, oldest first.
    pub(crate) async fn due_for_sweep(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<demand::Model>> {
        Ok(self
            .select()
            .filter(demand::Column::SweepAfter.lte(now))
            .order_by_asc(demand::Column::SweepAfter)
            .limit(limit)
            .all(&self.scope.tx)
            .await?)
    }

    /// Does what the deadlines of one demand call for at `now` (see `demand::sweep`). Each step
    /// is decided on the state the one before it stored, so nothing of the clock an escalation
    /// ended is judged against the next one.
    pub(crate) async fn sweep_one(
        &self,
        row: demand::Model,
        rules: &DemandRules,
        calendar: &minqing_domain::calendar::WorkCalendar,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<SweepCounts> {
        let now = ledger_time(now);
        let mut counts = SweepCounts::default();
        let mut loaded = Loaded::new(row)?;
        let rule = rules.deadlines.for_tier(loaded.state.assignment.tier);
        let clock = loaded.state.assignment.clone();
        let follow_up = self.scope.accountability();
        let in_window = follow_up
            .overdue_count(clock.unit, rules.accountability.repeated_window_days, now)
            .await?
            + u64::from(newly_late(&loaded.state, now));
        let steps = due_steps(&loaded.state, now, &rule, &rules.accountability, in_window);
        for step in steps {
            let due_of = |kind: DeadlineKind| {
                open_deadlines(&loaded.state)
                    .into_iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, d)| d)
                    .unwrap_or(now)
            };
            let warning = |kind, overdue| NewWarning {
                demand: loaded.row.id,
                unit: clock.unit,
                unit_path: &loaded.handler,
                clock_since: clock.since,
                deadline: kind,
                overdue,
                due_at: due_of(kind),
            };
            let (event, handler_path) = match step {
                SweepStep::Warn(kind) => {
                    follow_up.raise_warning(warning(kind, false), now).await?;
                    counts.warned += 1;
                    (DemandEvent::Warned { deadline: kind }, None)
                }
                SweepStep::MarkOverdue(kind) => {
                    follow_up.raise_warning(warning(kind, true), now).await?;
                    if !loaded.state.cases_raised.is_empty() {
                        follow_up
                            .case_also_missed(loaded.row.id, clock.unit, clock.since, kind)
                            .await?;
                    }
                    counts.overdue += 1;
                    (DemandEvent::WentOverdue { deadline: kind }, None)
                }
                SweepStep::RaiseCase { missed, reason } => {
                    let case = follow_up
                        .open_case(
                            NewCase {
                                demand: loaded.row.id,
                                unit: clock.unit,
                                unit_path: &loaded.handler,
                                missed: &missed,
                                reason,
                            },
                            now,
                        )
                        .await?;
                    counts.cases += 1;
                    let (first, rest) = missed.split_first().ok_or_else(|| corrupt("case"))?;
                    (
                        DemandEvent::AccountabilityRaised {
                            case,
                            deadline: *first,
                            also_missed: rest.to_vec(),
                            reason,
                        },
                        None,
                    )
                }
                SweepStep::Escalate => match self.parent_of_handler(&loaded).await {
                    Ok((parent, path, tier)) => {
                        counts.escalated += 1;
                        (
                            DemandEvent::Escalated {
                                reason: String::new(),
                                by_rule: true,
                                assignment: assign(
                                    parent,
                                    tier,
                                    now,
                                    &rules.deadlines,
                                    calendar,
                                    tz,
                                ),
                            },
                            Some(path),
                        )
                    }
                    // At the top tier there is nowhere to go: the overdue and case stand.
                    Err(_) => continue,
                },
            };
            let state = apply(Some(loaded.state.clone()), &event, now).map_err(lifecycle_error)?;
            self.notify(loaded.row.id, &state, &event).await?;
            self.record(&loaded, &event, state, handler_path, rules)
                .await?;
            // Continue from what was stored.
            loaded = self.load(loaded.row.id).await?;
        }
        Ok(counts)
    }

    /// The resident's phone and ID number in full; the view itself goes into the ledger.
    pub async fn reveal(&self, id: Uuid, ctx: &DemandContext<'_>) -> Result<PersonalData> {
        let loaded = self.load_visible(id, ctx.access).await?;
        let assists = loaded.assist_paths();
        if !ctx.access.can_reveal(loaded.places(&assists)) {
            return Err(StorageError::Forbidden);
        }
        let intake = &loaded.state.intake;
        let open =
            |sealed: &Option<String>| ctx.sealer.open_stored(self.tenant(), sealed.as_deref());
        let data = PersonalData {
            resident_name: intake.resident_name.clone(),
            phone: open(&intake.phone_sealed)?,
            id_number: open(&intake.id_number_sealed)?,
        };
        let mut fields = Vec::new();
        if data.phone.is_some() {
            fields.push("phone".to_owned());
        }
        if data.id_number.is_some() {
            fields.push("id_number".to_owned());
        }
        let event = DemandEvent::PersonalDataViewed { fields };
        let now = ledger_time(ctx.now);
        let state = apply(Some(loaded.state.clone()), &event, now).map_err(lifecycle_error)?;
        self.record(&loaded, &event, state, None, &ctx.settings.rules)
            .await?;
        Ok(data)
    }

    /// Files an image or PDF with the demand, as someone who may record demands in its
    /// community or handle it. The file's SHA-256 goes into the ledger with its name and type.
    pub async fn attach(
        &self,
        id: Uuid,
        file_name: Option<&str>,
        bytes: Vec<u8>,
        ctx: &DemandContext<'_>,
    ) -> Result<AttachmentView> {
        let loaded = self.load_visible(id, ctx.access).await?;
        let may =
            ctx.access.record.covers(&loaded.origin) || ctx.access.handle.covers(&loaded.handler);
        if !may {
            return Err(StorageError::Forbidden);
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(StorageError::field("file", "attachment_too_large"));
        }
        let media_type = sniff_media_type(&bytes).map_err(|c| StorageError::field("file", c))?;
        let now = ledger_time(ctx.now);
        let view = AttachmentView {
            id: crate::new_id(),
            file_name: clean_file_name(file_name),
            media_type: media_type.to_owned(),
            size: bytes.len() as i64,
            sha256: hex::encode(sha2::Sha256::digest(&bytes)),
            uploaded_at: now,
        };
        attachment::Entity::insert(attachment::ActiveModel {
            id: Set(view.id),
            tenant_id: Set(self.tenant()),
            demand_id: Set(id),
            file_name: Set(view.file_name.clone()),
            media_type: Set(view.media_type.clone()),
            size: Set(view.size),
            sha256: Set(view.sha256.clone()),
            content: Set(bytes),
            uploaded_by: Set(self.scope.audit.actor_id.map(|a| a.0)),
            uploaded_at: Set(now),
        })
        .exec(&self.scope.tx)
        .await?;
        let event = DemandEvent::AttachmentAdded {
            attachment: view.id,
            file_name: view.file_name.clone(),
            media_type: view.media_type.clone(),
            size: view.size as u64,
            sha256: view.sha256.clone(),
        };
        let state = apply(Some(loaded.state.clone()), &event, now).map_err(lifecycle_error)?;
        self.record(&loaded, &event, state, None, &ctx.settings.rules)
            .await?;
        Ok(view)
    }

    /// The demand's attachments (without their content), oldest first.
    pub async fn attachments(
        &self,
        id: Uuid,
        access: &DemandAccess,
    ) -> Result<Vec<AttachmentView>> {
        self.check_visible(id, access).await?;
        Ok(attachment::Entity::find()
            .select_only()
            .columns([
                attachment::Column::Id,
                attachment::Column::FileName,
                attachment::Column::MediaType,
                attachment::Column::Size,
                attachment::Column::Sha256,
                attachment::Column::UploadedAt,
            ])
            .filter(attachment::Column::TenantId.eq(self.tenant()))
            .filter(attachment::Column::DemandId.eq(id))
            .order_by_asc(attachment::Column::UploadedAt)
            .into_model::<AttachmentView>()
            .all(&self.scope.tx)
            .await?)
    }

    /// One attachment with its content.
    pub async fn attachment(
        &self,
        id: Uuid,
        attachment_id: Uuid,
        access: &DemandAccess,
    ) -> Result<(AttachmentView, Vec<u8>)> {
        self.check_visible(id, access).await?;
        let m = attachment::Entity::find()
            .filter(attachment::Column::TenantId.eq(self.tenant()))
            .filter(attachment::Column::DemandId.eq(id))
            .filter(attachment::Column::Id.eq(attachment_id))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        Ok((
            AttachmentView {
                id: m.id,
                file_name: m.file_name,
                media_type: m.media_type,
                size: m.size,
                sha256: m.sha256,
                uploaded_at: m.uploaded_at,
            },
            m.content,
        ))
    }

    /// One page of the ledger, newest first.
    pub async fn list(
        &self,
        query: &DemandQuery,
        access: &DemandAccess,
        sealer: &Sealer,
        cursor: Option<&str>,
        limit: u64,
        now: DateTime<Utc>,
    ) -> Result<(Vec<DemandView>, Option<String>)> {
        let mut select = self.filtered(query, access, sealer, now).await?;
        if let Some(cursor) = cursor {
            let (at, id) = decode_cursor(cursor)?;
            select = select.filter(after_newest_first(
                demand::Column::ReceivedAt,
                demand::Column::Id,
                at,
                id,
            ));
        }
        if !query.statuses.is_empty() {
            select = select
                .filter(demand::Column::Status.is_in(query.statuses.iter().map(|s| s.as_str())));
        }
        let rows = select
            .order_by_desc(demand::Column::ReceivedAt)
            .order_by_desc(demand::Column::Id)
            .limit(limit + 1)
            .all(&self.scope.tx)
            .await?;
        let more = rows.len() as u64 > limit;
        let mut loaded = Vec::with_capacity(rows.len());
        for row in rows.into_iter().take(limit as usize) {
            loaded.push(Loaded::new(row)?);
        }
        self.attach_assists(&mut loaded).await?;
        let next = if more {
            loaded
                .last()
                .map(|l| encode_cursor(l.row.received_at, l.row.id))
        } else {
            None
        };
        Ok((self.views(loaded, access, now).await?, next))
    }

    /// How many demands the filters match, per status (the status filter itself is ignored).
    pub async fn counts(
        &self,
        query: &DemandQuery,
        access: &DemandAccess,
        sealer: &Sealer,
        now: DateTime<Utc>,
    ) -> Result<Vec<StatusCount>> {
        #[derive(FromQueryResult)]
        struct Row {
            status: String,
            n: i64,
        }
        let rows = self
            .filtered(query, access, sealer, now)
            .await?
            .select_only()
            .column(demand::Column::Status)
            .column_as(Expr::col(demand::Column::Id).count(), "n")
            .group_by(demand::Column::Status)
            .into_model::<Row>()
            .all(&self.scope.tx)
            .await?;
        Ok(Status::ALL
            .into_iter()
            .map(|status| StatusCount {
                status,
                count: rows
                    .iter()
                    .find(|r| r.status == status.as_str())
                    .map_or(0, |r| r.n),
            })
            .collect())
    }

    /// The query with every filter but the status and the cursor.
    async fn filtered(
        &self,
        query: &DemandQuery,
        access: &DemandAccess,
        sealer: &Sealer,
        now: DateTime<Utc>,
    ) -> Result<Select<demand::Entity>> {
        let mut select = self.select().filter(self.visible(&access.read));
        if let Some(root) = &query.within {
            select = select.filter(self.visible(&Reach::Subtrees(vec![root.clone()])));
        }
        if let Some(g) = query.grade {
            select = select.filter(demand::Column::Grade.eq(g.as_str()));
        }
        if let Some(c) = &query.category {
            select = select.filter(demand::Column::Category.eq(c.as_str()));
        }
        if let Some(c) = query.channel {
            select = select.filter(demand::Column::Channel.eq(c.as_str()));
        }
        if let Some(v) = query.visit {
            select = select.filter(demand::Column::VisitId.eq(v));
        }
        match query.overdue {
            Some(true) => select = select.filter(demand::Column::NextDueAt.lt(now)),
            Some(false) => {
                select = select.filter(
                    Condition::any()
                        .add(demand::Column::NextDueAt.is_null())
                        .add(demand::Column::NextDueAt.gte(now)),
                )
            }
            None => {}
        }
        if let Some(from) = query.received_from {
            select = select.filter(demand::Column::ReceivedAt.gte(from));
        }
        if let Some(before) = query.received_before {
            select = select.filter(demand::Column::ReceivedAt.lt(before));
        }
        if let Some(text) = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let pattern = format!("%{}%", escape_like(text));
            let mut any = Condition::any()
                .add(Expr::col((demand::Entity, demand::Column::Title)).like(like(&pattern)))
                .add(Expr::col((demand::Entity, demand::Column::Description)).like(like(&pattern)));
            if let Ok(code) = minqing_domain::demand::parse_receipt_code(text) {
                any = any.add(demand::Column::ReceiptCode.eq(code));
            }
            select = select.filter(any);
        }
        if let Some(phone) = &query.phone {
            let phone = minqing_domain::personal_data::parse_phone(phone)
                .map_err(|c| StorageError::field("phone", c))?;
            select = select
                .filter(demand::Column::PhoneIndex.eq(sealer.blind_index(self.tenant(), &phone)));
        }
        Ok(select)
    }

    /// Raised in, handled in, or co-handled in `reach`.
    fn visible(&self, reach: &Reach) -> Condition {
        match reach {
            Reach::All => Condition::all(),
            Reach::Nothing => Condition::all().add(Expr::value(false)),
            Reach::Subtrees(roots) => {
                let mut assisted = Query::select();
                assisted
                    .column(demand_assist::Column::DemandId)
                    .from(demand_assist::Entity)
                    .and_where(demand_assist::Column::TenantId.eq(self.tenant()))
                    .cond_where(path_within(demand_assist::Column::UnitPath, reach));
                let mut any = Condition::any();
                for root in roots {
                    any = any
                        .add(subtree(demand::Column::OriginPath, root))
                        .add(subtree(demand::Column::HandlingPath, root));
                }
                // On PostgreSQL `id = ANY(ARRAY(…))` is an index condition, so the planner can
                // OR the three index scans; `IN (subquery)` would force a filter over the
                // tenant's whole ledger.
                let co_handled = match self.scope.backend() {
                    sea_orm::DbBackend::Postgres => Expr::cust_with_exprs(
                        "\"demands\".\"id\" = ANY(ARRAY($1))",
                        [sea_orm::sea_query::Expr::SubQuery(
                            None,
                            Box::new(assisted.into()),
                        )],
                    ),
                    _ => demand::Column::Id.in_subquery(assisted),
                };
                any.add(co_handled)
            }
        }
    }

    async fn attach_assists(&self, loaded: &mut [Loaded]) -> Result<()> {
        if loaded.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = loaded.iter().map(|l| l.row.id).collect();
        let mut by_demand: HashMap<Uuid, Vec<(UnitId, UnitPath)>> = HashMap::new();
        for a in demand_assist::Entity::find()
            .filter(demand_assist::Column::TenantId.eq(self.tenant()))
            .filter(demand_assist::Column::DemandId.is_in(ids))
            .all(&self.scope.tx)
            .await?
        {
            by_demand
                .entry(a.demand_id)
                .or_default()
                .push((UnitId(a.unit_id), UnitPath::from_stored(a.unit_path)));
        }
        for l in loaded {
            l.assists = by_demand.remove(&l.row.id).unwrap_or_default();
        }
        Ok(())
    }

    /// Views of loaded demands, with unit names looked up once for the whole page.
    async fn views(
        &self,
        loaded: Vec<Loaded>,
        access: &DemandAccess,
        now: DateTime<Utc>,
    ) -> Result<Vec<DemandView>> {
        let mut ids: Vec<UnitId> = Vec::new();
        for l in &loaded {
            ids.push(UnitId(l.row.origin_unit_id));
            ids.push(UnitId(l.row.handling_unit_id));
            ids.extend(l.assists.iter().map(|(u, _)| *u));
        }
        ids.sort();
        ids.dedup();
        let names: HashMap<UnitId, String> = self
            .scope
            .units()
            .by_ids(&ids)
            .await?
            .into_iter()
            .map(|u: UnitView| (u.id, u.name))
            .collect();
        Ok(named_views(loaded, &names, access, now))
    }

    /// The resident's view by receipt code: progress only, no personal data.
    pub async fn public_view(&self, code: &str) -> Result<PublicDemandView> {
        let row = self.by_receipt(code).await?;
        let state: DemandState = serde_json::from_str(&row.state).map_err(|_| corrupt("state"))?;
        let handler = self.scope.units().get(state.assignment.unit).await?;
        let progress = self
            .scope
            .demand_events(row.id)
            .await?
            .into_iter()
            .filter(|e| {
                !matches!(
                    e.kind.as_str(),
                    "personal_data_viewed" | "warned" | "absorbed"
                )
            })
            .map(|e| PublicStep {
                // What the unit told the resident: its replies, and why it did not take the
                // demand up (不予受理 owes the resident its reason).
                text: match e.kind.as_str() {
                    "replied" | "resolved" | "feedback_given" => e.data.get("text"),
                    "rejected" => e.data.get("reason"),
                    _ => None,
                }
                .and_then(|t| t.as_str())
                .map(str::to_owned),
                kind: e.kind,
                at: e.at,
            })
            .collect();
        Ok(PublicDemandView {
            receipt_code: state.intake.receipt_code,
            status: state.status,
            grade: state.intake.grade,
            category: state.intake.category,
            title: state.intake.title,
            handling_unit: handler.name,
            received_at: state.received_at,
            reply_due_at: state.assignment.reply_due_at,
            resolved_at: state.resolved_at,
            closed_at: state.closed_at,
            satisfaction: state.satisfaction,
            awaits_rating: state.status == Status::FeedbackGiven,
            asks_phone_digits: phone_digits(state.intake.phone_masked.as_deref()).is_some(),
            progress,
        })
    }

    async fn by_receipt(&self, code: &str) -> Result<demand::Model> {
        self.select()
            .filter(demand::Column::ReceiptCode.eq(code))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)
    }

    /// The resident's own rating through their receipt code: once per resolution (the demand
    /// must await it: its feedback given), with the last four digits of the phone they left.
    pub async fn rate_by_resident(
        &self,
        code: &str,
        form: &PublicRatingForm,
        now: DateTime<Utc>,
    ) -> Result<PublicDemandView> {
        let loaded = self.with_assists(self.by_receipt(code).await?).await?;
        if loaded.state.status != Status::FeedbackGiven {
            return Err(StorageError::conflict(RATING_NOT_OPEN));
        }
        let comment = form.check(loaded.state.intake.phone_masked.as_deref())?;
        let event = DemandEvent::Rated {
            satisfaction: form.satisfaction,
            comment,
            by: Some(RatingChannel::Resident),
        };
        let now = ledger_time(now);
        let state = apply(Some(loaded.state.clone()), &event, now).map_err(lifecycle_error)?;
        let rules = self.scope.demand_settings().rules().await?;
        self.notify(loaded.row.id, &state, &event).await?;
        self.record(&loaded, &event, state, None, &rules).await?;
        self.public_view(code).await
    }

    /// The id of a demand the caller may read (for the events endpoint).
    pub async fn check_visible(&self, id: Uuid, access: &DemandAccess) -> Result<()> {
        self.load_visible(id, access).await.map(|_| ())
    }
}

/// The chain from the root to the last unit, with each unit's tier key.
fn links(units: &[UnitView], tier_of: &dyn Fn(i32) -> Option<TierKey>) -> Vec<ChainLink> {
    units
        .iter()
        .filter_map(|u| tier_of(u.level).map(|tier| ChainLink { unit: u.id, tier }))
        .collect()
}

fn encode_state(state: &DemandState) -> Result<String> {
    serde_json::to_string(state).map_err(|_| corrupt("state encoding"))
}

/// The notification an event calls for: cadres hear of new, warned, overdue and escalated
/// demands; residents of progress and of the request to rate the outcome.
fn notice(tenant: Uuid, id: Uuid, state: &DemandState, event: &DemandEvent) -> Option<Notice> {
    let (topic, audience) = match event {
        DemandEvent::Received { .. } => ("demand.received", Audience::Cadres),
        DemandEvent::Warned { .. } => ("demand.warning", Audience::Cadres),
        DemandEvent::WentOverdue { .. } => ("demand.overdue", Audience::Cadres),
        DemandEvent::Escalated { .. } => ("demand.escalated", Audience::Cadres),
        DemandEvent::Replied { .. } | DemandEvent::Resolved { .. } => {
            ("demand.progress", Audience::Residents)
        }
        DemandEvent::FeedbackGiven { .. } => ("demand.feedback_requested", Audience::Residents),
        _ => return None,
    };
    let mut payload = serde_json::json!({
        "topic": topic,
        "tenant_id": tenant,
        "event": event.kind(),
        "demand": {
            "id": id,
            "receipt_code": state.intake.receipt_code,
            "title": state.intake.title,
            "grade": state.intake.grade,
            "status": state.status,
            "handling_unit_id": state.assignment.unit,
            "reply_due_at": state.assignment.reply_due_at,
            "resolve_due_at": state.assignment.resolve_due_at,
        },
        "at": state.updated_at,
    });
    match event {
        DemandEvent::Replied { text }
        | DemandEvent::Resolved { text }
        | DemandEvent::FeedbackGiven { text } => payload["text"] = text.as_str().into(),
        DemandEvent::Warned { deadline } | DemandEvent::WentOverdue { deadline } => {
            payload["deadline"] = serde_json::to_value(deadline).unwrap_or_default()
        }
        DemandEvent::Escalated {
            reason, by_rule, ..
        } => {
            payload["reason"] = reason.as_str().into();
            payload["by_rule"] = (*by_rule).into();
        }
        _ => {}
    }
    if audience == Audience::Residents {
        // Only the sealed number rests in the outbox; the dispatcher opens it to send.
        match &state.intake.phone_sealed {
            Some(sealed) => payload["phone_sealed"] = sealed.as_str().into(),
            None => return None,
        }
    }
    Some(Notice {
        topic,
        audience,
        demand: Some(id),
        payload,
        at: state.updated_at,
    })
}

/// Views of loaded demands given their units' names.
fn named_views(
    loaded: Vec<Loaded>,
    names: &HashMap<UnitId, String>,
    access: &DemandAccess,
    now: DateTime<Utc>,
) -> Vec<DemandView> {
    let unit_ref = |id: UnitId| UnitRef {
        id,
        name: names.get(&id).cloned().unwrap_or_default(),
    };
    loaded
        .into_iter()
        .map(|l| {
            let assist_paths = l.assist_paths();
            let places = l.places(&assist_paths);
            let actions = allowed(l.state.status)
                .into_iter()
                .filter(|a| access.can_act(*a, places))
                .collect();
            let s = l.state;
            let mut overdue = s.overdue.clone();
            if s.status.is_open() {
                let passed = |due: Option<DateTime<Utc>>| due.is_some_and(|d| d < now);
                if s.replied_at.is_none()
                    && passed(s.assignment.reply_due_at)
                    && !overdue.contains(&DeadlineKind::Reply)
                {
                    overdue.push(DeadlineKind::Reply);
                }
                if passed(s.assignment.resolve_due_at) && !overdue.contains(&DeadlineKind::Resolve)
                {
                    overdue.push(DeadlineKind::Resolve);
                }
            } else {
                overdue.clear();
            }
            DemandView {
                id: l.row.id,
                receipt_code: s.intake.receipt_code,
                status: s.status,
                grade: s.intake.grade,
                category: s.intake.category,
                channel: s.intake.channel,
                title: s.intake.title,
                description: s.intake.description,
                address: s.intake.address,
                resident_name: s.intake.resident_name,
                phone: s.intake.phone_masked,
                id_number: s.intake.id_number_masked,
                origin_unit: unit_ref(s.intake.origin_unit),
                handling_unit: unit_ref(s.assignment.unit),
                handling_tier: s.assignment.tier,
                assists: s.assists.iter().map(|u| unit_ref(*u)).collect(),
                visit: s.intake.visit,
                received_at: s.received_at,
                updated_at: s.updated_at,
                assigned_at: s.assignment.since,
                reply_due_at: s.assignment.reply_due_at,
                resolve_due_at: s.assignment.resolve_due_at,
                replied_at: s.replied_at,
                resolved_at: s.resolved_at,
                closed_at: s.closed_at,
                satisfaction: s.satisfaction,
                merged_into: s.merged_into,
                escalations: s.escalations,
                reopenings: s.reopenings,
                overdue,
                actions,
            }
        })
        .collect()
}

/// Decides a new demand raised in the last unit of `chain_units` (its ancestors first, as
/// `Units::with_ancestors` reads them): checks the origin, routes it, starts the clock, seals
/// personal data, and builds its first event, row, notifications and the caller's view. No
/// database work, so intake can decide from cached settings and chains.
pub fn prepare_intake(
    tenant: minqing_domain::TenantId,
    actor: &Audit,
    chain_units: Vec<UnitView>,
    intake: ValidIntake,
    ctx: &DemandContext<'_>,
) -> Result<(PreparedIntake, DemandView)> {
    let unknown = || StorageError::field("origin_unit", "unknown_unit");
    let origin = chain_units.last().cloned().ok_or_else(unknown)?;
    if !ctx.access.record.covers(&origin.path) {
        return Err(unknown());
    }
    if origin.archived {
        return Err(StorageError::field("origin_unit", "unit_archived"));
    }
    let tiers = &ctx.settings.tiers;
    let tier_of = |level: i32| tiers.iter().find(|t| t.level == level).map(|t| t.key);
    if tier_of(origin.level) != Some(TierKey::Community) {
        return Err(StorageError::field("origin_unit", "origin_not_community"));
    }
    ctx.settings.check_category(&intake.category)?;
    let chain = links(&chain_units, &tier_of);
    let target = handling_unit(&chain, ctx.settings.rules.routing.tier_for(intake.grade))
        .ok_or_else(|| StorageError::field("origin_unit", "unknown_unit"))?;
    let now = ledger_time(ctx.now);
    let assignment = assign(
        target.unit,
        target.tier,
        now,
        &ctx.settings.rules.deadlines,
        &ctx.settings.calendar,
        ctx.tz,
    );
    let cipher = ctx.settings.rules.cipher_algorithm;
    let seal = |v: &Option<String>| v.as_deref().map(|p| ctx.sealer.seal(cipher, tenant.0, p));
    let mut random = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut random);
    let event = DemandEvent::Received {
        intake: Box::new(Intake {
            receipt_code: receipt_code(&random),
            origin_unit: origin.id,
            channel: intake.channel,
            grade: intake.grade,
            category: intake.category,
            title: intake.title,
            description: intake.description,
            address: intake.address,
            resident_name: intake.resident_name,
            phone_sealed: seal(&intake.phone),
            phone_masked: intake.phone.as_deref().map(mask_phone),
            id_number_sealed: seal(&intake.id_number),
            id_number_masked: intake.id_number.as_deref().map(mask_id_number),
            visit: intake.visit,
        }),
        assignment,
    };
    let state = apply(None, &event, now).map_err(lifecycle_error)?;
    let id = crate::new_id();
    let handler_path = chain_units
        .iter()
        .find(|u| u.id == target.unit)
        .map(|u| u.path.clone())
        .ok_or_else(|| corrupt("handler not on chain"))?;
    let phone_index = intake
        .phone
        .as_deref()
        .map(|p| ctx.sealer.blind_index(tenant.0, p));
    let row = demand::Model {
        id,
        tenant_id: tenant.0,
        receipt_code: state.intake.receipt_code.clone(),
        status: state.status.as_str().to_owned(),
        grade: state.intake.grade.as_str().to_owned(),
        category: state.intake.category.clone(),
        channel: state.intake.channel.as_str().to_owned(),
        title: state.intake.title.clone(),
        description: state.intake.description.clone(),
        origin_unit_id: origin.id.0,
        origin_path: origin.path.as_str().to_owned(),
        handling_unit_id: target.unit.0,
        handling_path: handler_path.as_str().to_owned(),
        handling_tier: target.tier.as_str().to_owned(),
        phone_index,
        visit_id: state.intake.visit,
        reply_due_at: state.assignment.reply_due_at,
        resolve_due_at: state.assignment.resolve_due_at,
        next_due_at: next_due(&state),
        sweep_after: sweep_after(&state, &ctx.settings.rules),
        merged_into: None,
        recorded_by: actor.actor_id.map(|a| a.0),
        received_at: now,
        updated_at: now,
        state: encode_state(&state)?,
        last_seq: 0,
    };
    let notices: Vec<Notice> = notice(tenant.0, id, &state, &event).into_iter().collect();
    let outbox = messages(tenant.0, &ctx.settings.channels, &notices);
    let names: HashMap<UnitId, String> = chain_units.into_iter().map(|u| (u.id, u.name)).collect();
    let view = named_views(vec![Loaded::new(row.clone())?], &names, ctx.access, ctx.now)
        .pop()
        .ok_or_else(|| corrupt("no view"))?;
    let prepared = PreparedIntake {
        row,
        event,
        algorithm: ctx.settings.rules.hash_algorithm,
        actor: actor.clone(),
        outbox,
        remember: None,
        decided_at: None,
    };
    Ok((prepared, view))
}
