//! The `warnings` table: 预警 raised before and after a deadline.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "warnings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub demand_id: Uuid,
    pub unit_id: Uuid,
    pub unit_path: String,
    /// The deadlines named, comma-separated in the order they came (`reply`, `reply,resolve`).
    pub deadline: String,
    pub level: String,
    pub due_at: DateTimeUtc,
    pub raised_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
