//! The `budget_lines` table: a unit's allocation for a fiscal year, line by line
//! (append-only; a correction is a negative line naming the one it reverses).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub unit_id: Uuid,
    pub fiscal_year: i32,
    pub item: String,
    pub amount_fen: i64,
    pub note: Option<String>,
    pub corrects: Option<Uuid>,
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
