//! Operators manage tenants; every administrative change lands in an append-only operations log.
mod common;

use common::{TestServer, unique_slug};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn operators_create_list_rename_and_suspend_tenants() {
    let server = TestServer::start().await;
    let operator = server.operator().await;
    let slug = unique_slug("jx");
    let (status, created) = operator
        .post(
            "/api/v1/platform/tenants",
            &json!({"slug": slug, "kind": "province", "name_zh": "江西省", "name_en": "Jiangxi"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["time_zone"], "Asia/Shanghai");
    assert_eq!(created["status"], "active");
    let password = created["admin_password"]
        .as_str()
        .expect("a generated admin password")
        .to_owned();
    let id = created["id"].as_str().unwrap().to_owned();

    // The generated password works once and must be changed.
    let admin = server.login(&slug, "admin", &password).await;
    let (_, me) = admin.get("/api/v1/auth/me").await;
    assert_eq!(me["account"]["must_change_password"], true);
    assert_eq!(me["grants"][0]["role"], "tenant_admin");
    assert_eq!(me["grants"][0]["unit_id"], serde_json::Value::Null);

    let (_, listed) = operator.get("/api/v1/platform/tenants?limit=500").await;
    let slugs: Vec<_> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert!(slugs.contains(&slug.as_str()));
    assert!(
        !slugs.contains(&"platform"),
        "the platform tenant is never listed"
    );

    let (status, renamed) = operator
        .patch(
            &format!("/api/v1/platform/tenants/{id}"),
            &json!({"name_en": "Jiangxi Province"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed["name_en"], "Jiangxi Province");
    assert_eq!(renamed["name_zh"], "江西省");

    let (status, suspended) = operator
        .post(
            &format!("/api/v1/platform/tenants/{id}/suspend"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(suspended["status"], "suspended");

    // The platform's own log has all three changes, newest first, with before and after.
    let (_, log) = operator
        .get(&format!("/api/v1/operations-log?target_id={id}"))
        .await;
    let actions: Vec<_> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["tenant.suspended", "tenant.updated", "tenant.created"]
    );
    assert_eq!(log["items"][0]["actor_username"], "operator");
    assert_eq!(log["items"][0]["before"]["status"], "active");
    assert_eq!(log["items"][0]["after"]["status"], "suspended");
}

#[tokio::test]
async fn the_operations_log_records_who_changed_what_and_auditors_read_it() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    let (_, unit) = t
        .admin
        .post("/api/v1/units", &json!({"name": "审计市"}))
        .await;
    let unit_id = unit["id"].as_str().unwrap();
    t.admin
        .patch(
            &format!("/api/v1/units/{unit_id}"),
            &json!({"name": "审计市（新）"}),
        )
        .await;
    let (_, auditor) = t
        .admin
        .post(
            "/api/v1/accounts",
            &json!({"username": "auditor1", "password": "Check-Books-2026", "grants": [{"role": "auditor", "unit_id": null}]}),
        )
        .await;
    t.admin
        .patch(
            "/api/v1/tenant/tiers/street",
            &json!({"label_zh": "街道", "label_en": "Street"}),
        )
        .await;

    let reader = server.login(&t.slug, "auditor1", "Check-Books-2026").await;
    let (status, log) = reader.get("/api/v1/operations-log").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let actions: Vec<_> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "tier.relabeled",
            "grant.added",
            "account.created",
            "unit.renamed",
            "unit.created",
            "grant.added",
            "account.created"
        ]
    );
    let renamed = &log["items"][3];
    assert_eq!(renamed["actor_username"], "admin");
    assert_eq!(renamed["before"]["name"], "审计市");
    assert_eq!(renamed["after"]["name"], "审计市（新）");
    assert!(
        renamed["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    // The log never holds a password or its hash.
    let text = log.to_string();
    assert!(!text.contains("Check-Books-2026") && !text.contains("argon2"));
    // An auditor reads but cannot change anything.
    let (status, _) = reader.post("/api/v1/units", &json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let _ = auditor;
}

#[tokio::test]
async fn the_operations_log_cannot_be_edited_even_from_inside_the_database() {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    t.admin
        .post("/api/v1/units", &json!({"name": "不可改市"}))
        .await;
    let db = Database::connect(&server.config.database_url)
        .await
        .unwrap();
    let backend = db.get_database_backend();
    let bind = |sql: &str| -> Statement {
        let sql = if backend == DbBackend::Postgres {
            format!(
                "SELECT set_config('minqing.tenant_id', '{}', false); {sql}",
                t.id
            )
        } else {
            sql.to_owned()
        };
        Statement::from_string(backend, sql)
    };
    for sql in [
        "UPDATE operations_log SET actor_username = 'someone-else'",
        "DELETE FROM operations_log",
    ] {
        let result = db.execute_unprepared(&bind(sql).sql).await;
        assert!(result.is_err(), "{sql} must be refused");
    }
    let (_, log) = t.admin.get("/api/v1/operations-log").await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_username"] != "someone-else")
    );
}
