//! The `expenditure_vouchers` table: scanned receipts and invoices filed with an expenditure.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "expenditure_vouchers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub expenditure_id: Uuid,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub content: Vec<u8>,
    pub uploaded_by: String,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
