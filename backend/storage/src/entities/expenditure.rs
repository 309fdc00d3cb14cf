//! The `expenditures` table: money a unit spent (append-only; a correction is a negative
//! expenditure naming the one it reverses).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "expenditures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub unit_id: Uuid,
    pub fiscal_year: i32,
    pub spent_on: Date,
    pub payee: String,
    pub purpose: String,
    pub amount_fen: i64,
    pub demand_id: Option<Uuid>,
    pub project: Option<String>,
    pub category: Option<String>,
    pub approved_by: Option<String>,
    pub corrects: Option<Uuid>,
    pub reason: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
