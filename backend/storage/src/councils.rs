//! Councils and workrooms: each unit's council members (phone sealed and masked) and its
//! reception room, and the coverage of a subtree — which units have a sitting council and a
//! workroom. Every change goes into the operations log with its before and after.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use minqing_domain::UnitId;
use minqing_domain::access::Reach;
use minqing_domain::council::{
    CouncilRole, MemberCategory, MemberImportContext, MemberRow, OnRecord, Term, ValidMember,
    ValidWorkroom, check_one_chair, plan_member_import,
};
use minqing_domain::crypto_choice::CipherAlgorithm;
use minqing_domain::division_import::RowError;
use minqing_domain::personal_data::mask_phone;
use minqing_domain::tier::Tier;
use minqing_domain::unit::UnitPath;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::OnConflict,
};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{council_member, unit, workroom};
use crate::error::{Result, StorageError, import_plan};
use crate::scope::TenantScope;
use crate::sealing::Sealer;
use crate::units::{UnitView, subtree};

/// A council member as lists show them: phone masked.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    pub id: Uuid,
    pub unit_id: UnitId,
    pub name: String,
    pub category: MemberCategory,
    pub role: CouncilRole,
    pub organisation: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub term_start: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub term_end: Option<NaiveDate>,
    /// Serving today.
    pub serving: bool,
    /// e.g. 139****2345
    pub phone: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkroomView {
    pub unit_id: UnitId,
    pub name: String,
    pub address: String,
    pub opening_hours: String,
    pub staff_on_duty: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

/// How many of a tier's units (in the subtree asked about) have a council and a workroom.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierCoverage {
    pub level: i32,
    pub label_zh: String,
    pub label_en: String,
    pub units: u64,
    pub with_council: u64,
    pub with_workroom: u64,
}

/// A unit missing a sitting council or a workroom.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UncoveredUnit {
    pub id: UnitId,
    pub name: String,
    pub code: Option<String>,
    pub level: i32,
    pub has_council: bool,
    pub has_workroom: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    pub tiers: Vec<TierCoverage>,
    /// Units lacking either, depth-first, at most `UNCOVERED_SHOWN`.
    pub uncovered: Vec<UncoveredUnit>,
    pub uncovered_total: u64,
}

/// What a member import did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberImportReport {
    pub created: usize,
    /// Rows already on record (same unit, name, role and term start), left as they were.
    pub unchanged: usize,
}

/// How many uncovered units a coverage answer lists.
pub const UNCOVERED_SHOWN: usize = 500;

/// Sealing for a member's phone: the tenant's cipher and the server's key.
pub struct Seal<'a> {
    pub sealer: &'a Sealer,
    pub cipher: CipherAlgorithm,
}

pub struct Councils<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn councils(&self) -> Councils<'_> {
        Councils { scope: self }
    }
}

fn view(m: council_member::Model, today: NaiveDate) -> Result<MemberView> {
    let corrupt = || StorageError::Db(sea_orm::DbErr::Custom("council member row".into()));
    let term = Term {
        start: m.term_start,
        end: m.term_end,
    };
    Ok(MemberView {
        id: m.id,
        unit_id: UnitId(m.unit_id),
        name: m.name,
        category: MemberCategory::parse(&m.category).map_err(|_| corrupt())?,
        role: CouncilRole::parse(&m.role).map_err(|_| corrupt())?,
        organisation: m.organisation,
        term_start: m.term_start,
        term_end: m.term_end,
        serving: term.covers(today),
        phone: m.phone_masked,
        updated_at: m.updated_at,
    })
}

fn workroom_view(m: workroom::Model) -> WorkroomView {
    WorkroomView {
        unit_id: UnitId(m.unit_id),
        name: m.name,
        address: m.address,
        opening_hours: m.opening_hours,
        staff_on_duty: serde_json::from_str(&m.staff_on_duty).unwrap_or_default(),
        updated_at: m.updated_at,
    }
}

fn json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

impl Councils<'_> {
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

    fn members_of(&self) -> sea_orm::Select<council_member::Entity> {
        council_member::Entity::find().filter(council_member::Column::TenantId.eq(self.tenant()))
    }

    /// A unit's members: serving first (chair, vice-chairs, members), then former ones.
    pub async fn members(&self, unit: UnitId, today: NaiveDate) -> Result<Vec<MemberView>> {
        let mut members = self
            .members_of()
            .filter(council_member::Column::UnitId.eq(unit.0))
            .order_by_asc(council_member::Column::TermStart)
            .order_by_asc(council_member::Column::Id)
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(|m| view(m, today))
            .collect::<Result<Vec<_>>>()?;
        let rank = |r: CouncilRole| CouncilRole::ALL.iter().position(|x| *x == r);
        members.sort_by_key(|m| (!m.serving, rank(m.role)));
        Ok(members)
    }

    /// A member whose unit lies within `reach`; anything else does not exist for the caller.
    async fn member_within(&self, id: Uuid, reach: &Reach) -> Result<council_member::Model> {
        let found = self
            .members_of()
            .filter(council_member::Column::Id.eq(id))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        self.scope
            .units()
            .get_within(UnitId(found.unit_id), reach)
            .await?;
        Ok(found)
    }

    async fn other_chairs(&self, unit: Uuid, except: Option<Uuid>) -> Result<Vec<Term>> {
        let mut q = self
            .members_of()
            .filter(council_member::Column::UnitId.eq(unit))
            .filter(council_member::Column::Role.eq(CouncilRole::Chair.as_str()));
        if let Some(id) = except {
            q = q.filter(council_member::Column::Id.ne(id));
        }
        Ok(q.all(&self.scope.tx)
            .await?
            .into_iter()
            .map(|m| Term {
                start: m.term_start,
                end: m.term_end,
            })
            .collect())
    }

    pub async fn add_member(
        &self,
        unit: &UnitView,
        member: ValidMember,
        seal: &Seal<'_>,
        today: NaiveDate,
    ) -> Result<MemberView> {
        if unit.archived {
            return Err(StorageError::field("unit", "unit_archived"));
        }
        check_one_chair(
            member.role,
            &member.term,
            &self.other_chairs(unit.id.0, None).await?,
        )?;
        let now = crate::now();
        let model = council_member::Entity::insert(council_member::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant()),
            unit_id: Set(unit.id.0),
            name: Set(member.name),
            category: Set(member.category.as_str().to_owned()),
            role: Set(member.role.as_str().to_owned()),
            organisation: Set(member.organisation),
            term_start: Set(member.term.start),
            term_end: Set(member.term.end),
            phone_sealed: Set(member
                .phone
                .as_deref()
                .map(|p| seal.sealer.seal(seal.cipher, self.tenant(), p))),
            phone_masked: Set(member.phone.as_deref().map(mask_phone)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_with_returning(&self.scope.tx)
        .await?;
        let added = view(model, today)?;
        self.scope
            .oplog()
            .record(
                "council_member.added",
                "council_member",
                Some(added.id),
                None,
                json(&added),
            )
            .await?;
        Ok(added)
    }

    /// Replaces the details of a member within `reach` (a new term, a new role, a corrected
    /// name…).
    pub async fn update_member(
        &self,
        id: Uuid,
        reach: &Reach,
        member: ValidMember,
        seal: &Seal<'_>,
        today: NaiveDate,
    ) -> Result<MemberView> {
        let found = self.member_within(id, reach).await?;
        check_one_chair(
            member.role,
            &member.term,
            &self.other_chairs(found.unit_id, Some(id)).await?,
        )?;
        let before = view(found.clone(), today)?;
        let mut active: council_member::ActiveModel = found.into();
        active.name = Set(member.name);
        active.category = Set(member.category.as_str().to_owned());
        active.role = Set(member.role.as_str().to_owned());
        active.organisation = Set(member.organisation);
        active.term_start = Set(member.term.start);
        active.term_end = Set(member.term.end);
        active.phone_sealed = Set(member
            .phone
            .as_deref()
            .map(|p| seal.sealer.seal(seal.cipher, self.tenant(), p)));
        active.phone_masked = Set(member.phone.as_deref().map(mask_phone));
        active.updated_at = Set(crate::now());
        let after = view(
            council_member::Entity::update(active)
                .exec(&self.scope.tx)
                .await?,
            today,
        )?;
        self.scope
            .oplog()
            .record(
                "council_member.updated",
                "council_member",
                Some(id),
                json(&before),
                json(&after),
            )
            .await?;
        Ok(after)
    }

    /// Removes a member entered by mistake (one who served is ended with a term end instead);
    /// the operations log keeps what was removed.
    pub async fn remove_member(&self, id: Uuid, reach: &Reach, today: NaiveDate) -> Result<()> {
        let found = self.member_within(id, reach).await?;
        let before = view(found, today)?;
        council_member::Entity::delete_many()
            .filter(council_member::Column::TenantId.eq(self.tenant()))
            .filter(council_member::Column::Id.eq(id))
            .exec(&self.scope.tx)
            .await?;
        self.scope
            .oplog()
            .record(
                "council_member.removed",
                "council_member",
                Some(id),
                json(&before),
                None,
            )
            .await
    }

    /// The phone in full of a member within `reach`; the view itself goes into the operations
    /// log.
    pub async fn reveal_phone(
        &self,
        id: Uuid,
        reach: &Reach,
        sealer: &Sealer,
    ) -> Result<Option<String>> {
        let found = self.member_within(id, reach).await?;
        let phone = sealer.open_stored(self.tenant(), found.phone_sealed.as_deref())?;
        self.scope
            .oplog()
            .record(
                "council_member.personal_data_viewed",
                "council_member",
                Some(id),
                None,
                Some(serde_json::json!({"fields": ["phone"]})),
            )
            .await?;
        Ok(phone)
    }

    pub async fn workroom(&self, unit: UnitId) -> Result<Option<WorkroomView>> {
        Ok(workroom::Entity::find_by_id((self.tenant(), unit.0))
            .one(&self.scope.tx)
            .await?
            .map(workroom_view))
    }

    /// Sets a unit's workroom (creating it the first time).
    pub async fn set_workroom(&self, unit: &UnitView, room: ValidWorkroom) -> Result<WorkroomView> {
        if unit.archived {
            return Err(StorageError::field("unit", "unit_archived"));
        }
        let before = self.workroom(unit.id).await?;
        let model = workroom::ActiveModel {
            tenant_id: Set(self.tenant()),
            unit_id: Set(unit.id.0),
            name: Set(room.name),
            address: Set(room.address),
            opening_hours: Set(room.opening_hours),
            staff_on_duty: Set(serde_json::to_string(&room.staff_on_duty).unwrap_or_default()),
            updated_at: Set(crate::now()),
        };
        workroom::Entity::insert(model)
            .on_conflict(
                OnConflict::columns([workroom::Column::TenantId, workroom::Column::UnitId])
                    .update_columns([
                        workroom::Column::Name,
                        workroom::Column::Address,
                        workroom::Column::OpeningHours,
                        workroom::Column::StaffOnDuty,
                        workroom::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&self.scope.tx)
            .await?;
        let after = self
            .workroom(unit.id)
            .await?
            .ok_or(StorageError::NotFound)?;
        self.scope
            .oplog()
            .record(
                "workroom.set",
                "unit",
                Some(unit.id.0),
                before.as_ref().and_then(json),
                json(&after),
            )
            .await?;
        Ok(after)
    }

    /// Imports members from a file's rows: every row is checked, and a file with any bad row
    /// adds no one (`ImportInvalid` names them all). Rows already on record are left as they are.
    pub async fn import(
        &self,
        rows: &[MemberRow],
        unreadable: Vec<RowError>,
        reach: &Reach,
        seal: &Seal<'_>,
    ) -> Result<MemberImportReport> {
        let units = self.scope.units().live_codes().await?;
        let on_record: Vec<OnRecord> = self
            .members_of()
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .filter_map(|m| {
                Some(OnRecord {
                    unit: UnitId(m.unit_id),
                    name: m.name,
                    role: CouncilRole::parse(&m.role).ok()?,
                    term: Term {
                        start: m.term_start,
                        end: m.term_end,
                    },
                })
            })
            .collect();
        let planned = plan_member_import(
            rows,
            &MemberImportContext {
                units: &units,
                reach,
                on_record: &on_record,
            },
        );
        let plan = import_plan(planned, unreadable)?;
        let now = crate::now();
        let report = MemberImportReport {
            created: plan.creates.len(),
            unchanged: plan.unchanged,
        };
        let models: Vec<council_member::ActiveModel> = plan
            .creates
            .into_iter()
            .map(|(unit, m)| council_member::ActiveModel {
                id: Set(crate::new_id()),
                tenant_id: Set(self.tenant()),
                unit_id: Set(unit.0),
                name: Set(m.name),
                category: Set(m.category.as_str().to_owned()),
                role: Set(m.role.as_str().to_owned()),
                organisation: Set(m.organisation),
                term_start: Set(m.term.start),
                term_end: Set(m.term.end),
                phone_sealed: Set(m
                    .phone
                    .as_deref()
                    .map(|p| seal.sealer.seal(seal.cipher, self.tenant(), p))),
                phone_masked: Set(m.phone.as_deref().map(mask_phone)),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .collect();
        // Chunks keep each statement well under the databases' bind-parameter limits.
        for chunk in models.chunks(1_000) {
            council_member::Entity::insert_many(chunk.to_vec())
                .exec(&self.scope.tx)
                .await?;
        }
        self.scope
            .oplog()
            .record(
                "council_members.imported",
                "council_member",
                None,
                None,
                json(&report),
            )
            .await?;
        Ok(report)
    }

    /// Members of `root`'s subtree for export, depth-first by unit: (unit code, unit name, member).
    pub async fn export(
        &self,
        root: &UnitPath,
        today: NaiveDate,
    ) -> Result<Vec<(Option<String>, String, MemberView)>> {
        let units: HashMap<Uuid, (Option<String>, String, String)> = unit::Entity::find()
            .filter(unit::Column::TenantId.eq(self.tenant()))
            .filter(subtree(unit::Column::Path, root))
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(|u| (u.id, (u.code, u.name, u.path)))
            .collect();
        let mut rows = Vec::new();
        for m in self
            .members_of()
            .filter(council_member::Column::UnitId.in_subquery(self.units_in(root)))
            .order_by_asc(council_member::Column::TermStart)
            .all(&self.scope.tx)
            .await?
        {
            let Some((code, name, path)) = units.get(&m.unit_id).cloned() else {
                continue;
            };
            rows.push((path, code, name, view(m, today)?));
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(rows.into_iter().map(|(_, c, n, v)| (c, n, v)).collect())
    }

    /// Which units of `root`'s subtree (unarchived) have a council sitting on `today` and a
    /// workroom, per tier, with the uncovered ones listed depth-first.
    pub async fn coverage(
        &self,
        root: &UnitPath,
        tiers: &[Tier],
        today: NaiveDate,
    ) -> Result<Coverage> {
        let units: Vec<(Uuid, String, Option<String>, i32)> = unit::Entity::find()
            .select_only()
            .columns([
                unit::Column::Id,
                unit::Column::Name,
                unit::Column::Code,
                unit::Column::Level,
            ])
            .filter(unit::Column::TenantId.eq(self.tenant()))
            .filter(subtree(unit::Column::Path, root))
            .filter(unit::Column::ArchivedAt.is_null())
            .order_by_asc(unit::Column::Path)
            .into_tuple()
            .all(&self.scope.tx)
            .await?;
        let councils: HashSet<Uuid> = self
            .members_of()
            .select_only()
            .column(council_member::Column::UnitId)
            .distinct()
            .filter(council_member::Column::UnitId.in_subquery(self.units_in(root)))
            .filter(council_member::Column::TermStart.lte(today))
            .filter(
                sea_orm::Condition::any()
                    .add(council_member::Column::TermEnd.is_null())
                    .add(council_member::Column::TermEnd.gte(today)),
            )
            .into_tuple::<Uuid>()
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .collect();
        let rooms: HashSet<Uuid> = workroom::Entity::find()
            .select_only()
            .column(workroom::Column::UnitId)
            .filter(workroom::Column::TenantId.eq(self.tenant()))
            .filter(workroom::Column::UnitId.in_subquery(self.units_in(root)))
            .into_tuple::<Uuid>()
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .collect();
        let mut by_tier: Vec<TierCoverage> = tiers
            .iter()
            .map(|t| TierCoverage {
                level: t.level,
                label_zh: t.label_zh.clone(),
                label_en: t.label_en.clone(),
                units: 0,
                with_council: 0,
                with_workroom: 0,
            })
            .collect();
        let mut uncovered = Vec::new();
        let mut uncovered_total = 0;
        for (id, name, code, level) in units {
            let (has_council, has_workroom) = (councils.contains(&id), rooms.contains(&id));
            if let Some(t) = by_tier.iter_mut().find(|t| t.level == level) {
                t.units += 1;
                t.with_council += u64::from(has_council);
                t.with_workroom += u64::from(has_workroom);
            }
            if !(has_council && has_workroom) {
                uncovered_total += 1;
                if uncovered.len() < UNCOVERED_SHOWN {
                    uncovered.push(UncoveredUnit {
                        id: UnitId(id),
                        name,
                        code,
                        level,
                        has_council,
                        has_workroom,
                    });
                }
            }
        }
        by_tier.retain(|t| t.units > 0);
        Ok(Coverage {
            tiers: by_tier,
            uncovered,
            uncovered_total,
        })
    }
}
