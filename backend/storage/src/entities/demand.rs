//! The `demands` table: each demand's current state, as its events leave it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demands")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub receipt_code: String,
    pub status: String,
    pub grade: String,
    pub category: String,
    pub channel: String,
    pub title: String,
    pub description: String,
    pub origin_unit_id: Uuid,
    pub origin_path: String,
    pub handling_unit_id: Uuid,
    pub handling_path: String,
    pub handling_tier: String,
    pub phone_index: Option<String>,
    pub visit_id: Option<Uuid>,
    pub reply_due_at: Option<DateTimeUtc>,
    pub resolve_due_at: Option<DateTimeUtc>,
    pub next_due_at: Option<DateTimeUtc>,
    pub sweep_after: Option<DateTimeUtc>,
    pub merged_into: Option<Uuid>,
    pub recorded_by: Option<Uuid>,
    pub received_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub state: String,
    pub last_seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
