//! Budgets (经费): allocations per unit and fiscal year as line items, expenditures with their
//! vouchers, and the tenant's programme-operations rules (`tenants.operations_rules`, JSON:
//! the overspend rule, later the visits' rules). Money is integer fen (`BIGINT`).
//!
//! All three tables are append-only, enforced by triggers: a mistake is reversed by a
//! correction — a row with a negative amount that names the row it corrects — never by an
//! update or a delete.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::{fk, index, rls, tenant_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["budget_lines", "expenditures", "expenditure_vouchers"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE tenants ADD COLUMN operations_rules TEXT")
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("budget_lines")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("unit_id"))
                    .col(integer("fiscal_year"))
                    .col(string("item"))
                    .col(big_integer("amount_fen"))
                    .col(text_null("note"))
                    // A correction: the line it reverses (its amount is negative).
                    .col(uuid_null("corrects"))
                    .col(string("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut tenant_fk("budget_lines"))
                    .foreign_key(&mut fk("budget_lines", "unit_id", "units"))
                    .foreign_key(&mut fk("budget_lines", "corrects", "budget_lines"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("expenditures")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("unit_id"))
                    .col(integer("fiscal_year"))
                    .col(date("spent_on"))
                    .col(string("payee"))
                    .col(string("purpose"))
                    .col(big_integer("amount_fen"))
                    .col(uuid_null("demand_id"))
                    .col(string_null("project"))
                    // The demand's category when linked to one, else the recorder's choice.
                    .col(string_null("category"))
                    // Who approved spending beyond the allocation.
                    .col(string_null("approved_by"))
                    .col(uuid_null("corrects"))
                    .col(text_null("reason"))
                    .col(string("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut tenant_fk("expenditures"))
                    .foreign_key(&mut fk("expenditures", "unit_id", "units"))
                    .foreign_key(&mut fk("expenditures", "demand_id", "demands"))
                    .foreign_key(&mut fk("expenditures", "corrects", "expenditures"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("expenditure_vouchers")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("expenditure_id"))
                    .col(string("file_name"))
                    .col(string("media_type"))
                    .col(big_integer("size"))
                    .col(string("sha256"))
                    .col(blob("content"))
                    .col(string("uploaded_by"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .foreign_key(&mut tenant_fk("expenditure_vouchers"))
                    .foreign_key(&mut fk(
                        "expenditure_vouchers",
                        "expenditure_id",
                        "expenditures",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, table, cols) in [
            (
                "ix_budget_lines_unit_year",
                "budget_lines",
                &["tenant_id", "unit_id", "fiscal_year"][..],
            ),
            (
                "ix_expenditures_unit_year",
                "expenditures",
                &["tenant_id", "unit_id", "fiscal_year"][..],
            ),
            (
                "ix_expenditure_vouchers_expenditure",
                "expenditure_vouchers",
                &["tenant_id", "expenditure_id"][..],
            ),
        ] {
            manager
                .create_index(index(name, table, cols, false))
                .await?;
        }
        for table in TABLES {
            rls::enable(manager, table).await?;
        }
        let mut sql = String::new();
        if db.get_database_backend() == DbBackend::Postgres {
            // The refusal names the table it guards (it was written for the operations log).
            sql.push_str(
                "CREATE OR REPLACE FUNCTION minqing_refuse_change() RETURNS trigger
                 LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;",
            );
        }
        for table in TABLES {
            if db.get_database_backend() == DbBackend::Postgres {
                sql.push_str(&format!(
                    "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                     FOR EACH ROW EXECUTE FUNCTION minqing_refuse_change();"
                ));
            } else {
                for op in ["UPDATE", "DELETE"] {
                    sql.push_str(&format!(
                        "CREATE TRIGGER {table}_no_{} BEFORE {op} ON {table}
                         BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;",
                        op.to_lowercase()
                    ));
                }
            }
        }
        db.execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the budgets migration cannot be reverted: budgets are append-only records".into(),
        ))
    }
}
