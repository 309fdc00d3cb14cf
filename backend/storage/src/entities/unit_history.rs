//! The `unit_history` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub unit_id: Uuid,
    pub change: String,
    pub old_code: Option<String>,
    pub new_code: Option<String>,
    pub old_name: Option<String>,
    pub new_name: Option<String>,
    pub old_parent_id: Option<Uuid>,
    pub new_parent_id: Option<Uuid>,
    pub merged_into_id: Option<Uuid>,
    pub effective_on: Date,
    pub note: Option<String>,
    pub actor_id: Option<Uuid>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
