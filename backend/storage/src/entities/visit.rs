//! The `visits` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub unit_id: Uuid,
    pub status: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub place: String,
    pub topic: Option<String>,
    pub notice_published_at: Option<DateTimeUtc>,
    pub moved_from: Option<DateTimeUtc>,
    pub move_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub attendance: Option<String>,
    pub minutes: Option<String>,
    pub minutes_by: Option<String>,
    pub scheduled_by: String,
    pub kind: String,
    pub household_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
