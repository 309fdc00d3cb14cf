//! Budgets over HTTP: allocations and spending in fen, the tenant's overspend rule, spending
//! linked to demands and projects, corrections instead of edits (the rows refuse to change),
//! vouchers, roll-ups over a subtree with spending per category, the export, and who may see
//! and do what.
mod common;

use common::{TestServer, city, intake, person, unit_id};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

fn line(item: &str, amount: &str) -> Value {
    json!({"fiscal_year": 2026, "item": item, "amount": amount})
}

fn spending(payee: &str, amount: &str) -> Value {
    json!({
        "spent_on": "2026-03-15",
        "payee": payee,
        "purpose": "居家养老服务中心改造",
        "amount": amount,
        "project": "洪城路社区居家养老服务中心",
    })
}

async fn budget(s: &common::Session, unit: &str) -> Value {
    let (status, body) = s
        .get(&format!("/api/v1/units/{unit}/budget?year=2026"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn spending_is_checked_against_the_allocation_by_the_tenants_rule() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let lines = format!("/api/v1/units/{}/budget/lines", c.district);
    let spend = format!("/api/v1/units/{}/budget/expenditures", c.district);

    let (status, first) = admin
        .post(&lines, &line("民情家访工作经费", "¥2,200,000.00"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        first["amount"],
        json!({"fen": 220_000_000, "yuan": "¥2,200,000.00"})
    );
    admin.post(&lines, &line("宣传培训", "300000.5")).await;
    let (status, spent) = admin
        .post(&spend, &spending("南昌某建设公司", "2,000,000"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{spent}");
    assert!(spent["approved_by"].is_null());

    let b = budget(admin, &c.district).await;
    assert_eq!(b["allocated"]["fen"], 250_000_050);
    assert_eq!(b["spent"]["fen"], 200_000_000);
    assert_eq!(b["remaining"]["yuan"], "¥500,000.50");
    assert_eq!(b["lines"].as_array().unwrap().len(), 2);

    // Beyond the allocation: refused by default, and nothing is recorded.
    let (status, body) = admin.post(&spend, &spending("某公司", "600000")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "budget_exceeded");
    assert_eq!(
        budget(admin, &c.district).await["spent"]["fen"],
        200_000_000
    );

    // Where the tenant allows it, a leader's approval lets it through, and names the leader.
    let (status, rules) = admin
        .put(
            "/api/v1/operations-rules",
            &json!({"overspend": "allow_with_approval"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    assert_eq!(rules["contact_frequency"], "monthly");
    assert_eq!(rules["notice_lead_hours"], 24);
    for bad in [
        json!({"overspend": "sometimes"}),
        json!({"notice_lead_hours": 100_000}),
        json!({"overspend": "refuse", "surprise": true}),
    ] {
        let (status, body) = admin.put("/api/v1/operations-rules", &bad).await;
        assert!(status.is_client_error(), "{bad}: {status} {body}");
    }
    let (_, kept) = admin.get("/api/v1/operations-rules").await;
    assert_eq!(kept["overspend"], "allow_with_approval");
    let (status, body) = admin.post(&spend, &spending("某公司", "600000")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "approval_required");
    let cadre = person(&server, &c.t, "district-cadre", "cadre", &c.district).await;
    let mut approved = spending("某公司", "600000");
    approved["approve"] = json!(true);
    assert_eq!(cadre.post(&spend, &approved).await.0, StatusCode::FORBIDDEN);
    let leader = person(&server, &c.t, "district-leader", "leader", &c.district).await;
    assert_eq!(
        leader.post(&spend, &approved).await.0,
        StatusCode::FORBIDDEN,
        "leaders approve; they do not record spending"
    );
    let (status, body) = admin.post(&spend, &approved).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["approved_by"], "admin");
    assert_eq!(
        budget(&leader, &c.district).await["remaining"]["yuan"],
        "-¥99,999.50"
    );

    // Bad input names every field and records nothing.
    let (status, body) = admin
        .post(
            &spend,
            &json!({"spent_on": "2099-01-01", "payee": " ", "purpose": "x", "amount": "12.345"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["error"]["field_codes"];
    assert_eq!(fields["spent_on"], "date_in_future");
    assert_eq!(fields["payee"], "required");
    assert_eq!(fields["amount"], "too_many_decimals");
    let (status, body) = admin
        .post(
            &lines,
            &json!({"fiscal_year": 1900, "item": "x", "amount": "-5"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["amount"], "invalid_amount");
    // A comma that does not group by three is not dropped: "1,00" is not ¥100.00.
    for amount in ["1,00", "12,34,56"] {
        let (status, body) = admin
            .post(
                &lines,
                &json!({"fiscal_year": 2026, "item": "x", "amount": amount}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{amount}: {body}");
        assert_eq!(body["error"]["field_codes"]["amount"], "invalid_grouping");
        let (status, body) = admin
            .post(
                &spend,
                &json!({"spent_on": "2026-01-05", "payee": "某公司", "purpose": "x", "amount": amount}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{amount}: {body}");
        assert_eq!(body["error"]["field_codes"]["amount"], "invalid_grouping");
    }
    let (status, _) = admin
        .get(&format!("/api/v1/units/{}/budget?year=99999", c.district))
        .await;
    assert!(status.is_client_error());
    assert_eq!(
        budget(admin, &c.district).await["expenditures"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn spending_on_a_demand_takes_its_category_and_rolls_up_over_the_subtree() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let west = unit_id(admin, "990101002000").await;
    let second_district = unit_id(admin, "990102000000").await;
    for (unit, amount) in [
        (&c.city, "1000000"),
        (&c.district, "2200000"),
        (&c.east, "100000"),
        (&west, "50000"),
        (&second_district, "800000"),
    ] {
        let (status, body) = admin
            .post(
                &format!("/api/v1/units/{unit}/budget/lines"),
                &line("民情家访工作经费", amount),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, demand) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let mut on_demand = spending("灯具店", "1,200");
    on_demand["project"] = Value::Null;
    on_demand["demand_id"] = demand["id"].clone();
    let (status, body) = admin
        .post(
            &format!("/api/v1/units/{}/budget/expenditures", c.east),
            &on_demand,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["category"], "daily_life");
    on_demand["demand_id"] = json!(uuid::Uuid::new_v4());
    let (status, body) = admin
        .post(
            &format!("/api/v1/units/{}/budget/expenditures", c.east),
            &on_demand,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["demand_id"], "unknown_demand");
    let mut elder = spending("养老服务中心", "30000");
    elder["project"] = Value::Null;
    elder["category"] = json!("elder_care");
    admin
        .post(&format!("/api/v1/units/{west}/budget/expenditures"), &elder)
        .await;
    admin
        .post(
            &format!("/api/v1/units/{}/budget/expenditures", c.district),
            &spending("南昌某建设公司", "2000000"),
        )
        .await;

    let (status, roll) = admin
        .get(&format!(
            "/api/v1/budgets/rollup?within={}&year=2026",
            c.city
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{roll}");
    let rows: Vec<(&str, bool, i64, i64)> = roll["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["own"].as_bool().unwrap(),
                r["allocated"]["fen"].as_i64().unwrap(),
                r["spent"]["fen"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("测试市", true, 100_000_000, 0),
            ("甲区", false, 235_000_000, 203_120_000),
            ("乙区", false, 80_000_000, 0),
        ]
    );
    assert_eq!(roll["total"]["allocated"]["yuan"], "¥4,150,000.00");
    let categories: Vec<(Value, i64)> = roll["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["category"].clone(), c["spent"]["fen"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        categories,
        [
            (Value::Null, 200_000_000),
            (json!("elder_care"), 3_000_000),
            (json!("daily_life"), 120_000),
        ]
    );
    // Another year has nothing.
    let (_, other) = admin
        .get(&format!(
            "/api/v1/budgets/rollup?within={}&year=2025",
            c.city
        ))
        .await;
    assert_eq!(other["total"]["allocated"]["fen"], 0);

    // The export lists the subtree's spending with Chinese headers and plain yuan.
    let (status, csv, _) = admin
        .send_raw_bytes(admin.request(
            reqwest::Method::GET,
            &format!(
                "/api/v1/budgets/export?within={}&year=2026&format=csv",
                c.district
            ),
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(csv).unwrap();
    assert!(
        text.contains("序号,单位,单位代码,支出日期,收款方,用途,金额(元)"),
        "{text}"
    );
    assert!(text.contains("2000000.00"), "{text}");
    assert!(
        text.contains("西街道") && text.contains("30000.00"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 4, "{text}");
    let (status, xlsx, _) = admin
        .send_raw_bytes(admin.request(
            reqwest::Method::GET,
            &format!("/api/v1/budgets/export?within={}&year=2026", c.district),
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"));

    // A street's cadre sees its own street, not its sibling; a recorder sees no money.
    let east_cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    assert_eq!(budget(&east_cadre, &c.east).await["spent"]["fen"], 120_000);
    assert_eq!(
        east_cadre
            .get(&format!("/api/v1/units/{west}/budget?year=2026"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let recorder = person(&server, &c.t, "recorder", "recorder", &c.east).await;
    assert_eq!(
        recorder
            .get(&format!("/api/v1/units/{}/budget", c.east))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Cadres record spending but do not allocate.
    assert_eq!(
        east_cadre
            .post(
                &format!("/api/v1/units/{}/budget/lines", c.east),
                &line("自批经费", "1000")
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn corrections_reverse_money_and_the_records_themselves_never_change() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let (_, allocated) = admin
        .post(
            &format!("/api/v1/units/{}/budget/lines", c.east),
            &line("民情家访工作经费", "10000"),
        )
        .await;
    let (_, spent) = admin
        .post(
            &format!("/api/v1/units/{}/budget/expenditures", c.east),
            &spending("某五金店", "8000"),
        )
        .await;
    let spent_id = spent["id"].as_str().unwrap();
    let correct = format!("/api/v1/expenditures/{spent_id}/corrections");

    let (status, body) = admin
        .post(
            &correct,
            &json!({"amount": "3000", "reason": "发票金额录错"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["amount"]["fen"], -300_000);
    assert_eq!(body["corrects"], spent_id);
    let (status, body) = admin
        .post(&correct, &json!({"amount": "5000.01", "reason": "再改"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "correction_exceeds_expenditure");
    let correction_id = body_id(
        &admin
            .get(&format!("/api/v1/units/{}/budget?year=2026", c.east))
            .await
            .1,
        "expenditures",
        1,
    );
    let (status, body) = admin
        .post(
            &format!("/api/v1/expenditures/{correction_id}/corrections"),
            &json!({"amount": "1", "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "correction_not_correctable");

    // The allocation cannot be corrected below what was spent (¥5,000 net).
    let line_id = allocated["id"].as_str().unwrap();
    let (status, body) = admin
        .post(
            &format!("/api/v1/budget-lines/{line_id}/corrections"),
            &json!({"amount": "5000.01", "reason": "压缩预算"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "allocation_below_spending");
    let (status, body) = admin
        .post(
            &format!("/api/v1/budget-lines/{line_id}/corrections"),
            &json!({"amount": "5000", "reason": "压缩预算"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let b = budget(admin, &c.east).await;
    assert_eq!(
        (b["allocated"]["fen"].as_i64(), b["spent"]["fen"].as_i64()),
        (Some(500_000), Some(500_000))
    );
    assert_eq!(b["expenditures"][0]["reversed"]["fen"], 300_000);
    assert_eq!(b["lines"][0]["reversed"]["fen"], 500_000);
    let (_, log) = admin.get("/api/v1/operations-log").await;
    assert!(log.to_string().contains("expenditure.corrected"), "{log}");

    // Behind the application's back, the database itself refuses to change or delete them.
    let db = Database::connect(&server.config.database_url)
        .await
        .unwrap();
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    for sql in [
        "UPDATE expenditures SET amount_fen = 1".to_owned(),
        "DELETE FROM budget_lines".to_owned(),
    ] {
        let sql = if postgres {
            format!(
                "DO $$ BEGIN PERFORM set_config('minqing.tenant_id', '{}', true); {sql}; END $$",
                c.t.id
            )
        } else {
            sql
        };
        let refused = db
            .execute_raw(Statement::from_string(db.get_database_backend(), sql))
            .await;
        let refused = refused.expect_err("the change went through").to_string();
        assert!(refused.contains("is append-only"), "{refused}");
    }
    assert_eq!(budget(admin, &c.east).await["spent"]["fen"], 500_000);
}

fn body_id(body: &Value, list: &str, i: usize) -> String {
    body[list][i]["id"].as_str().expect("an id").to_owned()
}

/// The smallest PNG: a 1×1 transparent pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[tokio::test]
async fn vouchers_are_filed_with_spending_checked_by_content() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    admin
        .post(
            &format!("/api/v1/units/{}/budget/lines", c.east),
            &line("民情家访工作经费", "10000"),
        )
        .await;
    let (_, spent) = admin
        .post(
            &format!("/api/v1/units/{}/budget/expenditures", c.east),
            &spending("某五金店", "800"),
        )
        .await;
    let vouchers = format!(
        "/api/v1/expenditures/{}/vouchers",
        spent["id"].as_str().unwrap()
    );
    let (status, filed) = admin.upload(&vouchers, "发票.png", PNG.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(filed["media_type"], "image/png");
    let (status, body) = admin
        .upload(
            &vouchers,
            "invoice.png",
            b"#!/bin/sh\necho not a picture".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let b = budget(admin, &c.east).await;
    assert_eq!(b["expenditures"][0]["vouchers"][0]["file_name"], "发票.png");
    let (status, bytes, headers) = admin
        .send_raw_bytes(admin.request(
            reqwest::Method::GET,
            &format!("{vouchers}/{}", filed["id"].as_str().unwrap()),
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PNG);
    assert_eq!(headers["content-type"], "image/png");
}
