//! Accounts and grants: created one by one or imported by the thousand, scoped to subtrees.
mod common;

use common::{SMALL_CITY, TestServer, division_csv, unit_id};
use reqwest::StatusCode;
use serde_json::json;

fn accounts_csv(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from("username,display_name,role,unit_code,password\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

#[tokio::test]
async fn importing_accounts_creates_them_with_their_grants_in_one_go() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    t.admin
        .upload("/api/v1/units/import", "c.csv", division_csv(SMALL_CITY))
        .await;
    let file = accounts_csv(&[
        "zhao,赵一,leader,990101000000,",
        "zhao,赵一,cadre,990101001000,",
        "qian,钱二,recorder,990101002000,Recorder-Pass-26",
        "sun,孙三,auditor,,",
    ]);
    let (status, report) = t
        .admin
        .upload("/api/v1/accounts/import", "cadres.csv", file.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 3);
    assert_eq!(report["grants_added"], 4);
    let passwords = report["passwords"].as_array().unwrap();
    let users: Vec<_> = passwords
        .iter()
        .map(|p| p["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        users,
        ["zhao", "sun"],
        "only generated passwords are returned"
    );

    let zhao_password = passwords[0]["generated_password"].as_str().unwrap();
    let zhao = server.login(&t.slug, "zhao", zhao_password).await;
    let (_, me) = zhao.get("/api/v1/auth/me").await;
    assert_eq!(me["account"]["must_change_password"], true);
    let roles: Vec<_> = me["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["leader", "cadre"]);
    assert_eq!(me["grants"][0]["unit_name"], "甲区");
    let qian = server.login(&t.slug, "qian", "Recorder-Pass-26").await;
    let (_, roots) = qian.get("/api/v1/units/roots").await;
    assert_eq!(roots["items"][0]["name"], "西街道");

    // The same file again changes nothing; a new grant row adds just that grant.
    let (_, again) = t
        .admin
        .upload("/api/v1/accounts/import", "cadres.csv", file)
        .await;
    assert_eq!(
        (again["created"].as_i64(), again["grants_added"].as_i64()),
        (Some(0), Some(0))
    );
    let (_, more) = t
        .admin
        .upload(
            "/api/v1/accounts/import",
            "more.csv",
            accounts_csv(&["qian,钱二,cadre,990101002001,"]),
        )
        .await;
    assert_eq!(
        (more["created"].as_i64(), more["grants_added"].as_i64()),
        (Some(0), Some(1))
    );
}

#[tokio::test]
async fn a_bad_account_file_imports_nothing_and_names_its_rows() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    t.admin
        .upload("/api/v1/units/import", "c.csv", division_csv(SMALL_CITY))
        .await;
    let file = accounts_csv(&[
        "good,好人,cadre,990101001000,",
        "bad name,坏,cadre,990101001000,",
        "nobody,无,mayor,990101001000,",
        "lost,迷,cadre,123456789012,",
        "weak,弱,cadre,990101001000,12345",
    ]);
    let (status, body) = t
        .admin
        .upload("/api/v1/accounts/import", "bad.csv", file)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let rows: Vec<(i64, &str)> = body["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            (3, "invalid_username"),
            (4, "invalid_role"),
            (5, "unknown_unit_code"),
            (6, "password_too_short")
        ]
    );
    let (_, accounts) = t.admin.get("/api/v1/accounts").await;
    let names: Vec<_> = accounts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin"], "nothing was imported");
}

#[tokio::test]
async fn a_district_admin_manages_only_accounts_and_grants_inside_its_district() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    t.admin
        .upload("/api/v1/units/import", "c.csv", division_csv(SMALL_CITY))
        .await;
    let district_a = unit_id(&t.admin, "990101000000").await;
    let district_b = unit_id(&t.admin, "990102000000").await;
    let street = unit_id(&t.admin, "990101001000").await;
    let (status, body) = t
        .admin
        .post(
            "/api/v1/accounts",
            &json!({"username": "district-a-admin", "password": "Deputy-Chief-2026", "grants": [{"role": "tenant_admin", "unit_id": district_a}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    t.admin
        .post(
            "/api/v1/accounts",
            &json!({"username": "b-cadre", "password": "Other-Worker-2026", "grants": [{"role": "cadre", "unit_id": district_b}]}),
        )
        .await;
    let deputy = server
        .login(&t.slug, "district-a-admin", "Deputy-Chief-2026")
        .await;

    // It creates a cadre in its district, but not outside it, and not tenant-wide.
    let (status, body) = deputy
        .post(
            "/api/v1/accounts",
            &json!({"username": "street-cadre", "password": "Street-Worker-26", "grants": [{"role": "cadre", "unit_id": street}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = deputy
        .post(
            "/api/v1/accounts",
            &json!({"username": "b-intruder", "password": "Street-Worker-26", "grants": [{"role": "cadre", "unit_id": district_b}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = deputy
        .post(
            "/api/v1/accounts",
            &json!({"username": "everywhere", "password": "Street-Worker-26"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a scoped admin must give a scoped grant"
    );
    // It sees only accounts inside its district.
    let (_, listed) = deputy.get("/api/v1/accounts").await;
    let mut names: Vec<_> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["district-a-admin", "street-cadre"]);
    // Tenant settings are for whole-tenant admins only.
    let (status, _) = deputy
        .patch("/api/v1/tenant", &json!({"name_en": "x"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
