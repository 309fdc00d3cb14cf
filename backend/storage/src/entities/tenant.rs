//! The `tenants` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slug: String,
    pub kind: String,
    pub name_zh: String,
    pub name_en: String,
    pub time_zone: String,
    pub status: String,
    pub hash_algorithm: String,
    pub cipher_algorithm: String,
    pub routing_rules: Option<String>,
    pub deadline_rules: Option<String>,
    pub accountability_rules: Option<String>,
    /// Programme-operations rules (JSON: overspend, …); read where used, not cached.
    pub operations_rules: Option<String>,
    /// Bumped by the database on every settings change (`settings`).
    pub settings_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
