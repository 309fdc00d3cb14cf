//! The `accountability_cases` table: 问责 raised by overdue demands.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accountability_cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub demand_id: Uuid,
    pub unit_id: Uuid,
    pub unit_path: String,
    /// The missed deadlines of its clock, comma-separated (`reply`, `reply,resolve`).
    pub deadlines: String,
    pub reason: String,
    pub status: String,
    pub outcome: Option<String>,
    pub outcome_text: Option<String>,
    pub decided_by: Option<Uuid>,
    pub decided_by_username: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub opened_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
