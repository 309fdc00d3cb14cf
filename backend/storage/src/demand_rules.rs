//! A tenant's demand settings: routing and deadline rules, the ledger's hash and the
//! personal-data cipher, the category taxonomy, and the working-day calendar.
use chrono::{Datelike, NaiveDate};
use minqing_domain::accountability::AccountabilityRules;
use minqing_domain::calendar::{CalendarEntry, DayKind, WorkCalendar};
use minqing_domain::crypto_choice::{CipherAlgorithm, HashAlgorithm};
use minqing_domain::demand::deadline::DeadlineRules;
use minqing_domain::demand::routing::RoutingRules;
use minqing_domain::demand::{DEFAULT_CATEGORIES, parse_category_key};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};

use crate::entities::{calendar_day, demand_category, tenant};
use crate::error::{Result, StorageError, on_unique};
use crate::scope::TenantScope;

/// The rules demands run by in one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandRules {
    pub routing: RoutingRules,
    pub deadlines: DeadlineRules,
    pub hash_algorithm: HashAlgorithm,
    pub cipher_algorithm: CipherAlgorithm,
    /// When an overdue becomes an accountability case (absent: the defaults).
    #[serde(default)]
    pub accountability: AccountabilityRules,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryView {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    /// A retired category stays on old demands but is not offered for new ones.
    pub retired: bool,
}

impl From<demand_category::Model> for CategoryView {
    fn from(m: demand_category::Model) -> Self {
        Self {
            key: m.key,
            label_zh: m.label_zh,
            label_en: m.label_en,
            retired: m.retired,
        }
    }
}

pub struct DemandSettings<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn demand_settings(&self) -> DemandSettings<'_> {
        DemandSettings { scope: self }
    }
}

fn parse_json<T: serde::de::DeserializeOwned + Default>(raw: Option<&str>) -> T {
    raw.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

impl DemandSettings<'_> {
    /// What a new tenant starts with: the default categories and China's official calendar.
    pub(crate) async fn install_defaults(&self) -> Result<()> {
        let tenant = self.scope.tenant.0;
        let categories = DEFAULT_CATEGORIES
            .iter()
            .enumerate()
            .map(|(i, (key, zh, en))| demand_category::ActiveModel {
                tenant_id: Set(tenant),
                key: Set((*key).to_owned()),
                label_zh: Set((*zh).to_owned()),
                label_en: Set((*en).to_owned()),
                position: Set(i as i32),
                retired: Set(false),
            });
        demand_category::Entity::insert_many(categories)
            .exec(&self.scope.tx)
            .await?;
        let days: Vec<CalendarEntry> = WorkCalendar::china().entries().cloned().collect();
        self.insert_days(&days).await
    }

    pub async fn rules(&self) -> Result<DemandRules> {
        let t = tenant::Entity::find_by_id(self.scope.tenant.0)
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        Ok(DemandRules {
            routing: parse_json(t.routing_rules.as_deref()),
            deadlines: parse_json(t.deadline_rules.as_deref()),
            hash_algorithm: HashAlgorithm::parse(&t.hash_algorithm).unwrap_or_default(),
            cipher_algorithm: CipherAlgorithm::parse(&t.cipher_algorithm).unwrap_or_default(),
            accountability: parse_json(t.accountability_rules.as_deref()),
        })
    }

    pub async fn set_rules(&self, rules: DemandRules) -> Result<DemandRules> {
        rules
            .deadlines
            .validate()
            .map_err(|code| StorageError::field("deadlines", code))?;
        rules
            .accountability
            .validate()
            .map_err(|code| StorageError::field("accountability", code))?;
        let before = self.rules().await?;
        tenant::Entity::update_many()
            .col_expr(
                tenant::Column::RoutingRules,
                sea_orm::sea_query::Expr::value(serde_json::to_string(&rules.routing).ok()),
            )
            .col_expr(
                tenant::Column::DeadlineRules,
                sea_orm::sea_query::Expr::value(serde_json::to_string(&rules.deadlines).ok()),
            )
            .col_expr(
                tenant::Column::AccountabilityRules,
                sea_orm::sea_query::Expr::value(serde_json::to_string(&rules.accountability).ok()),
            )
            .col_expr(
                tenant::Column::HashAlgorithm,
                sea_orm::sea_query::Expr::value(rules.hash_algorithm.as_str()),
            )
            .col_expr(
                tenant::Column::CipherAlgorithm,
                sea_orm::sea_query::Expr::value(rules.cipher_algorithm.as_str()),
            )
            .col_expr(
                tenant::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(crate::now()),
            )
            .filter(tenant::Column::Id.eq(self.scope.tenant.0))
            .exec(&self.scope.tx)
            .await?;
        self.scope
            .oplog()
            .record(
                "demand_rules.updated",
                "tenant",
                Some(self.scope.tenant.0),
                serde_json::to_value(&before).ok(),
                serde_json::to_value(&rules).ok(),
            )
            .await?;
        Ok(rules)
    }

    /// Every category, in the tenant's order.
    pub async fn categories(&self) -> Result<Vec<CategoryView>> {
        Ok(demand_category::Entity::find()
            .filter(demand_category::Column::TenantId.eq(self.scope.tenant.0))
            .order_by_asc(demand_category::Column::Position)
            .order_by_asc(demand_category::Column::Key)
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(CategoryView::from)
            .collect())
    }

    pub async fn add_category(
        &self,
        key: &str,
        label_zh: &str,
        label_en: &str,
    ) -> Result<CategoryView> {
        let key = parse_category_key(key).map_err(|c| StorageError::field("key", c))?;
        let position = self.categories().await?.len() as i32;
        let model = demand_category::Entity::insert(demand_category::ActiveModel {
            tenant_id: Set(self.scope.tenant.0),
            key: Set(key),
            label_zh: Set(label_zh.to_owned()),
            label_en: Set(label_en.to_owned()),
            position: Set(position),
            retired: Set(false),
        })
        .exec_with_returning(&self.scope.tx)
        .await
        .map_err(|e| on_unique(e, "category_exists"))?;
        let view = CategoryView::from(model);
        self.scope
            .oplog()
            .record(
                "category.created",
                "category",
                None,
                None,
                serde_json::to_value(&view).ok(),
            )
            .await?;
        Ok(view)
    }

    /// Renames a category or retires it (it is never deleted: demands keep their category).
    pub async fn update_category(
        &self,
        key: &str,
        label_zh: Option<String>,
        label_en: Option<String>,
        retired: Option<bool>,
    ) -> Result<CategoryView> {
        let found = demand_category::Entity::find_by_id((self.scope.tenant.0, key.to_owned()))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)?;
        let before = CategoryView::from(found.clone());
        let mut active: demand_category::ActiveModel = found.into();
        if let Some(v) = label_zh {
            active.label_zh = Set(v);
        }
        if let Some(v) = label_en {
            active.label_en = Set(v);
        }
        if let Some(v) = retired {
            active.retired = Set(v);
        }
        let after = CategoryView::from(
            demand_category::Entity::update(active)
                .exec(&self.scope.tx)
                .await?,
        );
        self.scope
            .oplog()
            .record(
                "category.updated",
                "category",
                None,
                serde_json::to_value(&before).ok(),
                serde_json::to_value(&after).ok(),
            )
            .await?;
        Ok(after)
    }

    /// The tenant's working-day calendar.
    pub async fn calendar(&self) -> Result<WorkCalendar> {
        Ok(WorkCalendar::from_entries(self.days(None).await?))
    }

    /// The holidays and make-up working days of one year, or of every year.
    pub async fn days(&self, year: Option<i32>) -> Result<Vec<CalendarEntry>> {
        let mut query = calendar_day::Entity::find()
            .filter(calendar_day::Column::TenantId.eq(self.scope.tenant.0));
        if let Some(y) = year {
            let (from, to) = year_bounds(y)?;
            query = query
                .filter(calendar_day::Column::Day.gte(from))
                .filter(calendar_day::Column::Day.lt(to));
        }
        Ok(query
            .order_by_asc(calendar_day::Column::Day)
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(|m| CalendarEntry {
                date: m.day,
                kind: if m.kind == "workday" {
                    DayKind::Workday
                } else {
                    DayKind::Holiday
                },
                name: m.name,
            })
            .collect())
    }

    /// Loads or edits a year: its overrides become exactly `entries` (all within `year`).
    pub async fn replace_year(&self, year: i32, entries: Vec<CalendarEntry>) -> Result<()> {
        let (from, to) = year_bounds(year)?;
        if entries.iter().any(|e| e.date.year() != year) {
            return Err(StorageError::field("entries", "calendar_date_outside_year"));
        }
        let before = self.days(Some(year)).await?;
        calendar_day::Entity::delete_many()
            .filter(calendar_day::Column::TenantId.eq(self.scope.tenant.0))
            .filter(calendar_day::Column::Day.gte(from))
            .filter(calendar_day::Column::Day.lt(to))
            .exec(&self.scope.tx)
            .await?;
        self.insert_days(&entries).await?;
        self.scope
            .oplog()
            .record(
                "calendar.year_replaced",
                "calendar",
                None,
                serde_json::to_value(&before).ok(),
                serde_json::to_value(&entries).ok(),
            )
            .await?;
        Ok(())
    }

    async fn insert_days(&self, entries: &[CalendarEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let rows = entries.iter().map(|e| calendar_day::ActiveModel {
            tenant_id: Set(self.scope.tenant.0),
            day: Set(e.date),
            kind: Set(match e.kind {
                DayKind::Workday => "workday",
                DayKind::Holiday => "holiday",
            }
            .to_owned()),
            name: Set(e.name.clone()),
        });
        calendar_day::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([calendar_day::Column::TenantId, calendar_day::Column::Day])
                    .update_columns([calendar_day::Column::Kind, calendar_day::Column::Name])
                    .to_owned(),
            )
            .exec(&self.scope.tx)
            .await?;
        Ok(())
    }
}

fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate)> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1);
    let to = NaiveDate::from_ymd_opt(year + 1, 1, 1);
    match (from, to) {
        (Some(f), Some(t)) if (2000..=2100).contains(&year) => Ok((f, t)),
        _ => Err(StorageError::field("year", "year_out_of_range")),
    }
}
