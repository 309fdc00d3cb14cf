//! PostgreSQL's row-level security is the backstop behind the application's tenant scoping:
//! a connection that has not named its tenant sees no tenant rows at all.
mod common;

use common::{SMALL_CITY, TestServer, division_csv, uses_postgres};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn without_a_tenant_scope_postgres_shows_nothing() {
    if !uses_postgres() {
        eprintln!(
            "skipping: row-level security exists on PostgreSQL only (set MINQING_TEST_DATABASE_URL)"
        );
        return;
    }
    let server = TestServer::start().await;
    let a = server.new_tenant("city").await;
    let b = server.new_tenant("city").await;
    a.admin
        .upload("/api/v1/units/import", "a.csv", division_csv(SMALL_CITY))
        .await;

    let db = Database::connect(&server.config.database_url)
        .await
        .unwrap();
    for table in [
        "units",
        "accounts",
        "grants",
        "tiers",
        "operations_log",
        "unit_history",
    ] {
        assert_eq!(
            count(&db, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table} unscoped"
        );
    }
    // Scoped to A: A's units. Scoped to B: none of A's, even when asked for by tenant id.
    let tx = db.begin().await.unwrap();
    tx.execute_unprepared(&format!(
        "SELECT set_config('minqing.tenant_id', '{}', true)",
        a.id
    ))
    .await
    .unwrap();
    assert_eq!(
        count(&tx, "SELECT COUNT(*) FROM units").await,
        SMALL_CITY.len() as i64
    );
    tx.commit().await.unwrap();
    let tx = db.begin().await.unwrap();
    tx.execute_unprepared(&format!(
        "SELECT set_config('minqing.tenant_id', '{}', true)",
        b.id
    ))
    .await
    .unwrap();
    let sql = format!("SELECT COUNT(*) FROM units WHERE tenant_id = '{}'", a.id);
    assert_eq!(count(&tx, &sql).await, 0);
    // And B cannot write a row into A.
    let insert = format!(
        "INSERT INTO tiers (id, tenant_id, level, key, label_zh, label_en) VALUES (gen_random_uuid(), '{}', 9, 'x', 'x', 'x')",
        a.id
    );
    assert!(tx.execute_unprepared(&insert).await.is_err());
}
