//! Units: the tenant's hierarchy. Subtrees are path-prefix ranges (see `UnitPath`), so a
//! district's subtree, a scoped role's filter and depth-first paging are all one index range.
use std::collections::HashMap;

use base64::Engine;
use chrono::NaiveDate;
use minqing_domain::access::Reach;
use minqing_domain::division_import::{
    ExistingUnit, ImportPlan, ParentRef, RawRow, RowError, plan_import,
};
use minqing_domain::unit::{UnitCode, UnitPath};
use minqing_domain::{TenantId, UnitId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Statement,
};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{demand, demand_assist, unit, unit_history};
use crate::error::{Result, StorageError, import_plan, on_unique};
use crate::paging::page;
use crate::scope::TenantScope;
use crate::tiers::json;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitView {
    pub id: UnitId,
    pub parent_id: Option<UnitId>,
    pub level: i32,
    pub code: Option<String>,
    pub name: String,
    #[serde(skip)]
    pub path: UnitPath,
    pub archived: bool,
    pub child_count: i64,
}

impl From<unit::Model> for UnitView {
    fn from(r: unit::Model) -> Self {
        Self {
            id: UnitId(r.id),
            parent_id: r.parent_id.map(UnitId),
            level: r.level,
            code: r.code,
            name: r.name,
            path: UnitPath::from_stored(r.path),
            archived: r.archived_at.is_some(),
            child_count: i64::from(r.child_count),
        }
    }
}

/// One recorded boundary change (区划调整) or edit of a unit.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub change: String,
    pub old_code: Option<String>,
    pub new_code: Option<String>,
    pub old_name: Option<String>,
    pub new_name: Option<String>,
    pub old_parent_id: Option<Uuid>,
    pub new_parent_id: Option<Uuid>,
    pub merged_into_id: Option<Uuid>,
    pub effective_on: NaiveDate,
    pub note: Option<String>,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A boundary change's date and reason. The date is a day in the tenant's zone: the one the
/// caller gave, else the tenant's today by the injected clock (never the UTC day).
#[derive(Debug, Clone)]
pub struct ChangeNote {
    pub effective_on: NaiveDate,
    pub note: Option<String>,
}

pub struct Units<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn units(&self) -> Units<'_> {
        Units { scope: self }
    }
}

fn encode_path_cursor(path: &UnitPath) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(path.as_str())
}

fn decode_path_cursor(cursor: &str) -> Result<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit() || c == '/'))
        .ok_or_else(|| StorageError::field("cursor", "invalid_cursor"))
}

/// The filter that keeps only units within `reach`: one path range per granted subtree.
fn within(reach: &Reach) -> Condition {
    path_within(unit::Column::Path, reach)
}

/// Keeps rows whose `column` (a unit path) lies within `reach`.
pub(crate) fn path_within<C: ColumnTrait>(column: C, reach: &Reach) -> Condition {
    match reach {
        Reach::All => Condition::all(),
        Reach::Nothing => Condition::all().add(Expr::value(false)),
        Reach::Subtrees(roots) => roots
            .iter()
            .fold(Condition::any(), |any, root| any.add(subtree(column, root))),
    }
}

/// An import creating at least this many units refreshes the table's planner statistics.
const REFRESH_STATISTICS_AFTER: usize = 1_000;

/// Keeps rows whose `column` (a unit path) lies in `root`'s subtree.
pub(crate) fn subtree<C: ColumnTrait>(column: C, root: &UnitPath) -> Condition {
    Condition::all()
        .add(column.gte(root.as_str()))
        .add(column.lt(root.subtree_upper_bound()))
}

impl Units<'_> {
    fn tenant(&self) -> TenantId {
        self.scope.tenant
    }

    fn select(&self) -> Select<unit::Entity> {
        unit::Entity::find().filter(unit::Column::TenantId.eq(self.tenant().0))
    }

    async fn fetch(&self, select: Select<unit::Entity>) -> Result<Vec<UnitView>> {
        Ok(select
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(UnitView::from)
            .collect())
    }

    /// A unit of this tenant, whoever may see it; callers check visibility with `get_within`.
    pub async fn get(&self, id: UnitId) -> Result<UnitView> {
        self.fetch(self.select().filter(unit::Column::Id.eq(id.0)))
            .await?
            .pop()
            .ok_or(StorageError::NotFound)
    }

    /// A unit the caller may see: outside `reach` it does not exist.
    pub async fn get_within(&self, id: UnitId, reach: &Reach) -> Result<UnitView> {
        let unit = self.get(id).await?;
        if reach.covers(&unit.path) {
            Ok(unit)
        } else {
            Err(StorageError::NotFound)
        }
    }

    /// The top units the caller may see: the tenant's roots, or the roots of its subtrees.
    pub async fn roots(&self, reach: &Reach) -> Result<Vec<UnitView>> {
        let select = match reach {
            Reach::All => self
                .select()
                .filter(unit::Column::ParentId.is_null())
                .filter(unit::Column::ArchivedAt.is_null()),
            Reach::Nothing => return Ok(Vec::new()),
            Reach::Subtrees(roots) => self
                .select()
                .filter(unit::Column::Path.is_in(roots.iter().map(|r| r.as_str().to_owned()))),
        };
        self.fetch(select.order_by_asc(unit::Column::Path)).await
    }

    /// Every unit within `reach` (or within one unit's subtree), depth-first: parents before
    /// children; `children_of` limits the list to direct children.
    pub async fn list(&self, query: &ListQuery<'_>) -> Result<(Vec<UnitView>, Option<String>)> {
        let mut select = self.select().filter(within(query.reach));
        if !query.include_archived {
            select = select.filter(unit::Column::ArchivedAt.is_null());
        }
        if let Some(parent) = query.children_of {
            select = select.filter(unit::Column::ParentId.eq(parent.0));
        }
        if let Some(root) = query.subtree_of {
            select = select.filter(subtree(unit::Column::Path, root));
        }
        if let Some(q) = query.search.map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", escape_like(q));
            let prefix = format!("{}%", escape_like(q));
            select = select.filter(
                Condition::any()
                    .add(Expr::col((unit::Entity, unit::Column::Name)).like(like(&pattern)))
                    .add(Expr::col((unit::Entity, unit::Column::Code)).like(like(&prefix))),
            );
        }
        if let Some(cursor) = query.cursor {
            select = select.filter(unit::Column::Path.gt(decode_path_cursor(cursor)?));
        }
        let rows = self
            .fetch(
                select
                    .order_by_asc(unit::Column::Path)
                    .limit(query.limit + 1),
            )
            .await?;
        Ok(page(rows, query.limit, |u| encode_path_cursor(&u.path)))
    }

    /// Units by id (for breadcrumbs), in the order of `ids`.
    pub async fn by_ids(&self, ids: &[UnitId]) -> Result<Vec<UnitView>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found = self
            .fetch(
                self.select()
                    .filter(unit::Column::Id.is_in(ids.iter().map(|i| i.0))),
            )
            .await?;
        let mut by_id: HashMap<UnitId, UnitView> = found.into_iter().map(|u| (u.id, u)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// A unit and its ancestors in one round trip, root first and the unit last (walking
    /// `parent_id` up from the unit by its primary key). `NotFound` when there is no such unit.
    pub async fn with_ancestors(&self, id: UnitId) -> Result<Vec<UnitView>> {
        const SQL: &str = "WITH RECURSIVE chain(id, parent_id) AS ( \
               SELECT id, parent_id FROM units WHERE tenant_id = $1 AND id = $2 \
               UNION ALL SELECT u.id, u.parent_id FROM units u JOIN chain c ON u.id = c.parent_id \
               WHERE u.tenant_id = $1) \
             SELECT units.* FROM units JOIN chain ON units.id = chain.id \
             WHERE units.tenant_id = $1";
        let statement = self
            .scope
            .statement(SQL, [self.tenant().0.into(), id.0.into()]);
        let mut units: Vec<UnitView> = unit::Entity::find()
            .from_raw_sql(statement)
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(UnitView::from)
            .collect();
        units.sort_by_key(|u| u.path.depth());
        match units.last() {
            Some(last) if last.id == id => Ok(units),
            _ => Err(StorageError::NotFound),
        }
    }

    /// Every unarchived unit with an official code, by code (what imported rows name).
    pub(crate) async fn live_codes(&self) -> Result<HashMap<String, (UnitId, UnitPath)>> {
        Ok(self
            .select()
            .filter(unit::Column::Code.is_not_null())
            .filter(unit::Column::ArchivedAt.is_null())
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .filter_map(|u| Some((u.code?, (UnitId(u.id), UnitPath::from_stored(u.path)))))
            .collect())
    }

    /// The unit's ancestors, root first.
    pub async fn ancestors(&self, unit: &UnitView) -> Result<Vec<UnitView>> {
        self.by_ids(&unit.path.ancestor_ids()).await
    }

    pub async fn history(&self, id: UnitId) -> Result<Vec<HistoryEntry>> {
        Ok(unit_history::Entity::find()
            .filter(unit_history::Column::TenantId.eq(self.tenant().0))
            .filter(unit_history::Column::UnitId.eq(id.0))
            .order_by_asc(unit_history::Column::Id)
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(|h| HistoryEntry {
                change: h.change,
                old_code: h.old_code,
                new_code: h.new_code,
                old_name: h.old_name,
                new_name: h.new_name,
                old_parent_id: h.old_parent_id,
                new_parent_id: h.new_parent_id,
                merged_into_id: h.merged_into_id,
                effective_on: h.effective_on,
                note: h.note,
                recorded_at: h.recorded_at,
            })
            .collect())
    }

    /// Creates a unit under `parent` (a root when None) one tier below it.
    pub async fn create(
        &self,
        parent: Option<&UnitView>,
        name: String,
        code: Option<UnitCode>,
        tier_count: i32,
    ) -> Result<UnitView> {
        let level = match parent {
            None => 1,
            Some(p) if p.archived => return Err(StorageError::conflict("parent_archived")),
            Some(p) if p.level >= tier_count => {
                return Err(StorageError::conflict("no_tier_below"));
            }
            Some(p) => p.level + 1,
        };
        let id = UnitId(crate::new_id());
        let path = match parent {
            None => UnitPath::root(id),
            Some(p) => p.path.child(id),
        };
        let now = crate::now();
        unit::Entity::insert(unit::ActiveModel {
            id: Set(id.0),
            tenant_id: Set(self.tenant().0),
            parent_id: Set(parent.map(|p| p.id.0)),
            level: Set(level),
            code: Set(code.map(UnitCode::into_string)),
            name: Set(name),
            path: Set(path.as_str().to_owned()),
            child_count: Set(0),
            archived_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(&self.scope.tx)
        .await
        .map_err(|e| on_unique(e, "code_taken"))?;
        self.count_children(parent.map(|p| p.id), 1).await?;
        let created = self.get(id).await?;
        self.scope
            .oplog()
            .record("unit.created", "unit", Some(id.0), None, json(&created))
            .await?;
        Ok(created)
    }

    async fn record_history(
        &self,
        unit: UnitId,
        change: &str,
        fill: impl FnOnce(&mut unit_history::ActiveModel),
        note: &ChangeNote,
    ) -> Result<()> {
        let mut row = unit_history::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.tenant().0),
            unit_id: Set(unit.0),
            change: Set(change.to_owned()),
            old_code: Set(None),
            new_code: Set(None),
            old_name: Set(None),
            new_name: Set(None),
            old_parent_id: Set(None),
            new_parent_id: Set(None),
            merged_into_id: Set(None),
            effective_on: Set(note.effective_on),
            note: Set(note.note.clone()),
            actor_id: Set(self.scope.audit.actor_id.map(|a| a.0)),
            recorded_at: Set(crate::now()),
        };
        fill(&mut row);
        unit_history::Entity::insert(row)
            .exec(&self.scope.tx)
            .await?;
        Ok(())
    }

    async fn set_fields(
        &self,
        id: UnitId,
        fill: impl FnOnce(&mut unit::ActiveModel),
    ) -> Result<()> {
        let mut active = unit::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id.0),
            updated_at: Set(crate::now()),
            ..Default::default()
        };
        fill(&mut active);
        unit::Entity::update_many()
            .set(active)
            .filter(unit::Column::TenantId.eq(self.tenant().0))
            .filter(unit::Column::Id.eq(id.0))
            .exec(&self.scope.tx)
            .await
            .map_err(|e| on_unique(e, "code_taken"))?;
        Ok(())
    }

    /// Keeps a parent's `child_count` true: every change that adds, removes or moves an
    /// unarchived child goes through here.
    async fn count_children(&self, parent: Option<UnitId>, delta: i32) -> Result<()> {
        let Some(parent) = parent else { return Ok(()) };
        unit::Entity::update_many()
            .col_expr(
                unit::Column::ChildCount,
                Expr::col(unit::Column::ChildCount).add(delta),
            )
            .filter(unit::Column::TenantId.eq(self.tenant().0))
            .filter(unit::Column::Id.eq(parent.0))
            .exec(&self.scope.tx)
            .await?;
        Ok(())
    }

    /// Renames a unit; the former name stays on record.
    pub async fn rename(
        &self,
        unit: &UnitView,
        name: String,
        note: &ChangeNote,
    ) -> Result<UnitView> {
        if unit.name == name {
            return Ok(unit.clone());
        }
        self.set_fields(unit.id, |a| a.name = Set(name.clone()))
            .await?;
        let old = unit.name.clone();
        self.record_history(
            unit.id,
            "renamed",
            |h| {
                h.old_name = Set(Some(old));
                h.new_name = Set(Some(name));
            },
            note,
        )
        .await?;
        self.changed("unit.renamed", unit).await
    }

    /// Gives a unit a new code (区划代码变更); the former code stays on record.
    pub async fn recode(
        &self,
        unit: &UnitView,
        code: UnitCode,
        note: &ChangeNote,
    ) -> Result<UnitView> {
        if unit.code.as_deref() == Some(code.as_str()) {
            return Ok(unit.clone());
        }
        let new_code = code.into_string();
        self.set_fields(unit.id, |a| a.code = Set(Some(new_code.clone())))
            .await?;
        let old = unit.code.clone();
        self.record_history(
            unit.id,
            "recoded",
            |h| {
                h.old_code = Set(old);
                h.new_code = Set(Some(new_code));
            },
            note,
        )
        .await?;
        self.changed("unit.recoded", unit).await
    }

    /// Moves a unit and its whole subtree under `new_parent`, which must sit one tier above it.
    pub async fn move_to(
        &self,
        unit: &UnitView,
        new_parent: &UnitView,
        note: &ChangeNote,
    ) -> Result<UnitView> {
        if unit.archived {
            return Err(StorageError::conflict("unit_archived"));
        }
        if new_parent.path.is_within(&unit.path) {
            return Err(StorageError::conflict("move_into_own_subtree"));
        }
        if new_parent.level != unit.level - 1 {
            return Err(StorageError::conflict("wrong_parent_level"));
        }
        if new_parent.archived {
            return Err(StorageError::conflict("parent_archived"));
        }
        if unit.parent_id == Some(new_parent.id) {
            return Ok(unit.clone());
        }
        self.rebase_subtree(unit, &unit.path.rebased(Some(&new_parent.path)))
            .await?;
        self.set_fields(unit.id, |a| a.parent_id = Set(Some(new_parent.id.0)))
            .await?;
        self.count_children(unit.parent_id, -1).await?;
        self.count_children(Some(new_parent.id), 1).await?;
        let old_parent = unit.parent_id.map(|p| p.0);
        self.record_history(
            unit.id,
            "moved",
            |h| {
                h.old_parent_id = Set(old_parent);
                h.new_parent_id = Set(Some(new_parent.id.0));
            },
            note,
        )
        .await?;
        self.changed("unit.moved", unit).await
    }

    /// Rewrites the paths of `unit`'s subtree to start with `new_path`, in the units and in
    /// every row that keeps a copy of a unit's path (demands and their co-handlers).
    async fn rebase_subtree(&self, unit: &UnitView, new_path: &UnitPath) -> Result<()> {
        let old = unit.path.as_str();
        // sea-query numbers placeholders on PostgreSQL and not elsewhere.
        let rebased = |column: &str| {
            let sql = match self.scope.backend() {
                sea_orm::DbBackend::Postgres => format!("$1 || substr({column}, $2)"),
                _ => format!("? || substr({column}, ?)"),
            };
            Expr::cust_with_values(
                sql,
                [
                    sea_orm::Value::from(new_path.as_str().to_owned()),
                    sea_orm::Value::from(old.len() as i32 + 1),
                ],
            )
        };
        let tenant = self.tenant().0;
        unit::Entity::update_many()
            .col_expr(unit::Column::Path, rebased("path"))
            .filter(unit::Column::TenantId.eq(tenant))
            .filter(subtree(unit::Column::Path, &unit.path))
            .exec(&self.scope.tx)
            .await?;
        for (column, name) in [
            (demand::Column::OriginPath, "origin_path"),
            (demand::Column::HandlingPath, "handling_path"),
        ] {
            demand::Entity::update_many()
                .col_expr(column, rebased(name))
                .filter(demand::Column::TenantId.eq(tenant))
                .filter(subtree(column, &unit.path))
                .exec(&self.scope.tx)
                .await?;
        }
        demand_assist::Entity::update_many()
            .col_expr(demand_assist::Column::UnitPath, rebased("unit_path"))
            .filter(demand_assist::Column::TenantId.eq(tenant))
            .filter(subtree(demand_assist::Column::UnitPath, &unit.path))
            .exec(&self.scope.tx)
            .await?;
        Ok(())
    }

    /// Archives (abolishes, 撤销) a unit; it and its records stay. Children must go first.
    pub async fn archive(&self, unit: &UnitView, note: &ChangeNote) -> Result<UnitView> {
        if unit.archived {
            return Err(StorageError::conflict("unit_archived"));
        }
        if unit.child_count > 0 {
            return Err(StorageError::conflict("unit_has_children"));
        }
        self.set_fields(unit.id, |a| a.archived_at = Set(Some(crate::now())))
            .await?;
        self.count_children(unit.parent_id, -1).await?;
        self.record_history(unit.id, "abolished", |_| {}, note)
            .await?;
        self.changed("unit.archived", unit).await
    }

    /// Merges `unit` into `target` (same tier): its children move to the target, it is archived.
    pub async fn merge_into(
        &self,
        unit: &UnitView,
        target: &UnitView,
        note: &ChangeNote,
    ) -> Result<UnitView> {
        if unit.id == target.id {
            return Err(StorageError::conflict("merge_into_self"));
        }
        if unit.level != target.level {
            return Err(StorageError::conflict("merge_level_mismatch"));
        }
        if unit.archived || target.archived {
            return Err(StorageError::conflict("unit_archived"));
        }
        let children = self
            .fetch(
                self.select()
                    .filter(unit::Column::ParentId.eq(unit.id.0))
                    .filter(unit::Column::ArchivedAt.is_null()),
            )
            .await?;
        for child in &children {
            self.move_to(child, target, note).await?;
        }
        self.set_fields(unit.id, |a| a.archived_at = Set(Some(crate::now())))
            .await?;
        self.count_children(unit.parent_id, -1).await?;
        self.record_history(
            unit.id,
            "merged",
            |h| h.merged_into_id = Set(Some(target.id.0)),
            note,
        )
        .await?;
        self.changed("unit.merged", unit).await
    }

    async fn changed(&self, action: &str, before: &UnitView) -> Result<UnitView> {
        let after = self.get(before.id).await?;
        self.scope
            .oplog()
            .record(
                action,
                "unit",
                Some(before.id.0),
                json(before),
                json(&after),
            )
            .await?;
        Ok(after)
    }

    /// Imports a division list in this transaction: any bad row and nothing is written.
    /// `unreadable` are rows the file reader could not read; they are reported with the rest.
    /// The renames and moves it makes are dated `today` (the tenant's day).
    pub async fn import(
        &self,
        rows: &[RawRow],
        unreadable: Vec<RowError>,
        tier_count: i32,
        today: NaiveDate,
    ) -> Result<ImportReport> {
        let existing = unit::Entity::find()
            .filter(unit::Column::TenantId.eq(self.tenant().0))
            .filter(unit::Column::Code.is_not_null())
            .all(&self.scope.tx)
            .await?;
        let paths: HashMap<UnitId, UnitPath> = existing
            .iter()
            .map(|u| (UnitId(u.id), UnitPath::from_stored(u.path.clone())))
            .collect();
        let by_code: HashMap<String, ExistingUnit> = existing
            .into_iter()
            .filter_map(|u| {
                Some((
                    u.code?,
                    ExistingUnit {
                        id: UnitId(u.id),
                        level: u.level,
                        name: u.name,
                        parent: u.parent_id.map(UnitId),
                    },
                ))
            })
            .collect();
        let plan = import_plan(plan_import(rows, tier_count, &by_code), unreadable)?;
        let report = ImportReport {
            created: plan.creates.len(),
            updated: plan.updates.len(),
            unchanged: plan.unchanged,
        };
        let new_ids = self.insert_planned(&plan, &paths).await?;
        for update in &plan.updates {
            let current = self.get(update.id).await?;
            let note = ChangeNote {
                effective_on: today,
                note: Some("import".into()),
            };
            if let Some(name) = &update.name {
                self.rename(&current, name.clone(), &note).await?;
            }
            if let Some(parent) = &update.parent {
                let parent_id = match parent {
                    ParentRef::Existing(id) => *id,
                    ParentRef::New(i) => new_ids[*i],
                    ParentRef::Root => continue,
                };
                let current = self.get(update.id).await?;
                let parent = self.get(parent_id).await?;
                self.move_to(&current, &parent, &note).await?;
            }
        }
        self.scope
            .oplog()
            .record("units.imported", "unit", None, None, json(&report))
            .await?;
        if report.created >= REFRESH_STATISTICS_AFTER && self.scope.backend() == DbBackend::Postgres
        {
            // Until autovacuum gets round to it, the planner knows nothing of the new rows and
            // may page a subtree through the per-tier index, filtering every unit of the
            // tenant (Jiangxi: 46 ms instead of 0.5 ms). ANALYZE counts this transaction's
            // own rows, so the statistics are right from the commit on.
            self.scope.tx.execute_unprepared("ANALYZE units").await?;
        }
        Ok(report)
    }

    /// Inserts the planned units; returns their ids in plan order.
    async fn insert_planned(
        &self,
        plan: &ImportPlan,
        existing: &HashMap<UnitId, UnitPath>,
    ) -> Result<Vec<UnitId>> {
        let mut rows: Vec<NewUnitRow> = Vec::with_capacity(plan.creates.len());
        let mut paths: Vec<UnitPath> = Vec::with_capacity(plan.creates.len());
        for planned in &plan.creates {
            let id = UnitId(crate::new_id());
            let (parent_id, path) = match &planned.parent {
                ParentRef::Root => (None, UnitPath::root(id)),
                ParentRef::Existing(p) => (Some(*p), existing[p].child(id)),
                ParentRef::New(i) => (Some(rows[*i].id), paths[*i].child(id)),
            };
            if let ParentRef::New(i) = &planned.parent {
                rows[*i].child_count += 1;
            }
            rows.push(NewUnitRow {
                id,
                parent_id,
                child_count: 0,
                level: planned.level,
                code: planned.code.as_str().to_owned(),
                name: planned.name.clone(),
                path: path.as_str().to_owned(),
            });
            paths.push(path);
        }
        let now = crate::now();
        if self.scope.backend() == sea_orm::DbBackend::Postgres {
            self.insert_rows_postgres(&rows, now).await?;
        } else {
            // 10 columns a row: 1,000 rows stay far below SQLite's parameter limit.
            for chunk in rows.chunks(1000) {
                let models = chunk.iter().map(|r| unit::ActiveModel {
                    id: Set(r.id.0),
                    tenant_id: Set(self.tenant().0),
                    parent_id: Set(r.parent_id.map(|p| p.0)),
                    level: Set(r.level),
                    code: Set(Some(r.code.clone())),
                    name: Set(r.name.clone()),
                    path: Set(r.path.clone()),
                    child_count: Set(r.child_count),
                    archived_at: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                unit::Entity::insert_many(models)
                    .exec(&self.scope.tx)
                    .await
                    .map_err(|e| on_unique(e, "code_taken"))?;
            }
        }
        // New units under units the tenant already had.
        let mut added: HashMap<UnitId, i32> = HashMap::new();
        for planned in &plan.creates {
            if let ParentRef::Existing(p) = planned.parent {
                *added.entry(p).or_default() += 1;
            }
        }
        for (parent, n) in added {
            self.count_children(Some(parent), n).await?;
        }
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// PostgreSQL: the rows travel as one JSON document unpacked by `json_to_recordset`, so tens
    /// of thousands of units take one statement and three parameters instead of batches under
    /// the 65,535-parameter limit (measured by `minqing bench import`).
    async fn insert_rows_postgres(
        &self,
        rows: &[NewUnitRow],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO units (id, tenant_id, parent_id, level, code, name, path, \
             child_count, archived_at, created_at, updated_at) \
             SELECT r.id, $1, r.parent_id, r.level, r.code, r.name, r.path, r.child_count, NULL, $2, $2 \
             FROM json_to_recordset($3::json) AS r(id uuid, parent_id uuid, level int, code text, \
             name text, path text, child_count int)";
        // Bounded documents keep memory flat for the largest files.
        for chunk in rows.chunks(50_000) {
            let json = serde_json::to_string(chunk).expect("unit rows serialize");
            self.scope
                .tx
                .execute_raw(Statement::from_sql_and_values(
                    sea_orm::DbBackend::Postgres,
                    SQL,
                    [self.tenant().0.into(), now.into(), json.into()],
                ))
                .await
                .map_err(|e| on_unique(e, "code_taken"))?;
        }
        Ok(())
    }
}

/// A unit an import creates, before it is written.
#[derive(Serialize)]
struct NewUnitRow {
    id: UnitId,
    parent_id: Option<UnitId>,
    child_count: i32,
    level: i32,
    code: String,
    name: String,
    path: String,
}

/// What to list: see [`Units::list`].
pub struct ListQuery<'a> {
    pub reach: &'a Reach,
    pub children_of: Option<UnitId>,
    pub subtree_of: Option<&'a UnitPath>,
    pub search: Option<&'a str>,
    pub include_archived: bool,
    pub cursor: Option<&'a str>,
    pub limit: u64,
}

pub(crate) fn escape_like(q: &str) -> String {
    q.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub(crate) fn like(pattern: &str) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')
}
