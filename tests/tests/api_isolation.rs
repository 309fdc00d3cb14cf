//! Tenants never see each other, and a scoped role sees only its subtree: every endpoint that
//! takes an id answers 404 for another tenant's id, never 403 and never data.
mod common;

use common::{SMALL_CITY, TestServer, demand_total, division_csv, unit_id};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn another_tenants_ids_are_not_found_on_every_endpoint() {
    let server = TestServer::start().await;
    let a = server.new_tenant("city").await;
    let b = server.new_tenant("city").await;
    let (status, body) = a
        .admin
        .upload("/api/v1/units/import", "a.csv", division_csv(SMALL_CITY))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let unit = unit_id(&a.admin, "990101001000").await;
    let other_unit = unit_id(&a.admin, "990101002000").await;
    let district = unit_id(&a.admin, "990102000000").await;
    let (_, account) = a
        .admin
        .post(
            "/api/v1/accounts",
            &json!({"username": "cadre-a", "password": "Cadre-Pass-2026"}),
        )
        .await;
    let account = account["id"].as_str().unwrap().to_owned();
    let (_, with_grant) = a
        .admin
        .post(
            &format!("/api/v1/accounts/{account}/grants"),
            &json!({"role": "cadre", "unit_id": unit}),
        )
        .await;
    let grant = with_grant["grants"][0]["id"].as_str().unwrap().to_owned();

    // B's token with A's ids, on every endpoint that takes one.
    let reads = [
        format!("/api/v1/units/{unit}"),
        format!("/api/v1/units/{unit}/children"),
        format!("/api/v1/units/{unit}/ancestors"),
        format!("/api/v1/units?parent={unit}"),
        format!("/api/v1/units?within={unit}"),
        format!("/api/v1/accounts/{account}"),
    ];
    for path in &reads {
        let (status, body) = b.admin.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let writes = [
        (
            "PATCH",
            format!("/api/v1/units/{unit}"),
            json!({"name": "被改"}),
        ),
        (
            "POST",
            format!("/api/v1/units/{unit}/move"),
            json!({"parent_id": district}),
        ),
        (
            "POST",
            format!("/api/v1/units/{unit}/merge"),
            json!({"into_id": other_unit}),
        ),
        ("POST", format!("/api/v1/units/{unit}/archive"), json!({})),
        (
            "PATCH",
            format!("/api/v1/accounts/{account}"),
            json!({"display_name": "x"}),
        ),
        (
            "POST",
            format!("/api/v1/accounts/{account}/disable"),
            json!({}),
        ),
        (
            "POST",
            format!("/api/v1/accounts/{account}/enable"),
            json!({}),
        ),
        (
            "POST",
            format!("/api/v1/accounts/{account}/reset-password"),
            json!({}),
        ),
        (
            "POST",
            format!("/api/v1/accounts/{account}/grants"),
            json!({"role": "cadre", "unit_id": null}),
        ),
        (
            "DELETE",
            format!("/api/v1/accounts/{account}/grants/{grant}"),
            json!(null),
        ),
    ];
    for (method, path, body) in &writes {
        let (status, answer) = match *method {
            "PATCH" => b.admin.patch(path, body).await,
            "DELETE" => b.admin.delete(path).await,
            _ => b.admin.post(path, body).await,
        };
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
    // Ids in bodies are not found either: B cannot hang a unit under A's unit.
    let (status, body) = b
        .admin
        .post("/api/v1/units", &json!({"parent_id": unit, "name": "越界"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"].as_object().unwrap().len(), 1);

    // Lists and searches show B nothing of A.
    let (_, listed) = b.admin.get("/api/v1/units?q=990101").await;
    assert_eq!(listed["items"], json!([]));
    let (_, accounts) = b.admin.get("/api/v1/accounts").await;
    assert!(
        accounts["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["username"] != "cadre-a")
    );
    let (_, log) = b
        .admin
        .get(&format!("/api/v1/operations-log?target_id={unit}"))
        .await;
    assert_eq!(log["items"], json!([]));
    // And A still sees its own, unchanged.
    let (status, body) = a.admin.get(&format!("/api/v1/units/{unit}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "东街道");
    assert_eq!(body["archived"], false);
}

#[tokio::test]
async fn a_street_cadre_cannot_read_or_change_a_sibling_street() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    t.admin
        .upload("/api/v1/units/import", "c.csv", division_csv(SMALL_CITY))
        .await;
    let east = unit_id(&t.admin, "990101001000").await;
    let west = unit_id(&t.admin, "990101002000").await;
    let east_community = unit_id(&t.admin, "990101001001").await;
    let west_community = unit_id(&t.admin, "990101002001").await;
    let (status, body) = t
        .admin
        .post(
            "/api/v1/accounts",
            &json!({"username": "east-cadre", "password": "Street-Worker-26", "grants": [{"role": "cadre", "unit_id": east}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let cadre = server
        .login(&t.slug, "east-cadre", "Street-Worker-26")
        .await;

    // Its own street and below: visible.
    assert_eq!(
        cadre.get(&format!("/api/v1/units/{east}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        cadre
            .get(&format!("/api/v1/units/{east_community}"))
            .await
            .0,
        StatusCode::OK
    );
    // The sibling street and its community: not found, for reading and for changing.
    for id in [&west, &west_community] {
        assert_eq!(
            cadre.get(&format!("/api/v1/units/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            cadre.get(&format!("/api/v1/units/{id}/children")).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, _) = cadre
            .patch(&format!("/api/v1/units/{id}"), &json!({"name": "改名"}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // A cadre may read its street but not change it.
    let (status, _) = cadre
        .patch(&format!("/api/v1/units/{east}"), &json!({"name": "改名"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The tree starts at its street; depth-first listing holds its subtree only.
    let (_, roots) = cadre.get("/api/v1/units/roots").await;
    assert_eq!(roots["items"].as_array().unwrap().len(), 1);
    assert_eq!(roots["items"][0]["id"], east.as_str());
    let (_, all) = cadre.get("/api/v1/units").await;
    let codes: Vec<_> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["990101001000", "990101001001"]);
    // Breadcrumbs: the names above its street are readable, nothing else about them.
    let (_, detail) = cadre.get(&format!("/api/v1/units/{east_community}")).await;
    let crumbs: Vec<_> = detail["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(crumbs, ["测试市", "甲区", "东街道"]);
    let city = detail["ancestors"][0]["id"].as_str().unwrap();
    assert_eq!(
        cadre.get(&format!("/api/v1/units/{city}")).await.0,
        StatusCode::NOT_FOUND
    );
    // Search finds nothing outside.
    let (_, found) = cadre.get("/api/v1/units?q=西").await;
    assert_eq!(found["items"], json!([]));
    // No admin pages for a cadre.
    assert_eq!(cadre.get("/api/v1/accounts").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        cadre.get("/api/v1/operations-log").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        cadre.get("/api/v1/platform/tenants").await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn tenant_tokens_get_403_on_platform_routes() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    let (status, body) = t.admin.get("/api/v1/platform/tenants").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = t
        .admin
        .post(
            "/api/v1/platform/tenants",
            &json!({"slug": "evil", "kind": "city", "name_zh": "x", "name_en": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = t
        .admin
        .post(
            &format!("/api/v1/platform/tenants/{}/suspend", t.id),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_tenants_demands_are_not_found_on_every_demand_endpoint() {
    let server = TestServer::start().await;
    let a = server.new_tenant("city").await;
    let b = server.new_tenant("city").await;
    for t in [&a, &b] {
        t.admin
            .upload("/api/v1/units/import", "c.csv", division_csv(SMALL_CITY))
            .await;
    }
    let community = unit_id(&a.admin, "990101001001").await;
    let street = unit_id(&a.admin, "990101001000").await;
    let b_community = unit_id(&b.admin, "990101001001").await;
    let demand = json!({"origin_unit": community, "channel": "visit", "grade": "urgent",
        "category": "daily_life", "title": "路灯", "description": "路灯不亮", "phone": "13812345678"});
    let (status, d) = a.admin.post("/api/v1/demands", &demand).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let id = d["id"].as_str().unwrap();
    let (_, other) = a.admin.post("/api/v1/demands", &demand).await;
    let other = other["id"].as_str().unwrap();
    let receipt = d["receipt_code"].as_str().unwrap();

    for path in [
        format!("/api/v1/demands/{id}"),
        format!("/api/v1/demands/{id}/events"),
        format!("/api/v1/demands?within={community}"),
        format!("/api/v1/demands/counts?within={community}"),
    ] {
        let (status, body) = b.admin.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {body}");
    }
    for (action, body) in [
        ("accept", json!({})),
        ("reject", json!({"reason": "x"})),
        ("reply", json!({"text": "x"})),
        ("resolve", json!({"text": "x"})),
        ("give-feedback", json!({"text": "x"})),
        ("rate", json!({"satisfaction": "satisfied"})),
        ("escalate", json!({"reason": "x"})),
        ("reassign", json!({"unit": street})),
        ("merge", json!({"into": other})),
        ("add-assist", json!({"unit": street})),
        ("remove-assist", json!({"unit": street})),
        ("personal-data", json!({})),
    ] {
        let (status, answer) = b
            .admin
            .post(&format!("/api/v1/demands/{id}/{action}"), &body)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}: {answer}");
    }
    // Ids of A in B's own bodies are unknown too: B cannot file a demand in A's community,
    // merge into A's demand or hand its own to A's street.
    let mut stray = demand.clone();
    stray["origin_unit"] = json!(community);
    let (status, body) = b.admin.post("/api/v1/demands", &stray).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["origin_unit"], "unknown_unit");
    stray["origin_unit"] = json!(b_community);
    let (_, own) = b.admin.post("/api/v1/demands", &stray).await;
    let own = own["id"].as_str().unwrap();
    let (status, body) = b
        .admin
        .post(
            &format!("/api/v1/demands/{own}/merge"),
            &json!({"into": id}),
        )
        .await;
    assert_eq!(
        body["error"]["field_codes"]["into"], "unknown_demand",
        "{status} {body}"
    );
    let (status, body) = b
        .admin
        .post(
            &format!("/api/v1/demands/{own}/reassign"),
            &json!({"unit": street}),
        )
        .await;
    assert_eq!(
        body["error"]["field_codes"]["unit"], "unknown_unit",
        "{status} {body}"
    );
    // Lists, counts, phone search and the public page show B nothing of A's.
    let (_, list) = b.admin.get("/api/v1/demands").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], own);
    let (_, by_phone) = b.admin.get("/api/v1/demands?phone=13812345678").await;
    assert_eq!(by_phone["items"].as_array().unwrap().len(), 1);
    let total = demand_total(&b.admin).await;
    assert_eq!(total, 1);
    let r = server
        .client()
        .get(server.url(&format!("/api/v1/public/{}/demands/{receipt}", b.slug)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Each tenant's chain holds its own events only.
    let (_, verdict) = b.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["checked"], 1, "{verdict}");
    // Tenant settings are per tenant: B's category does not appear for A.
    let (status, _) = b
        .admin
        .post(
            "/api/v1/tenant/categories",
            &json!({"key": "b_only", "label_zh": "乙", "label_en": "B"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, a_categories) = a.admin.get("/api/v1/tenant/categories").await;
    assert!(
        a_categories
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["key"] != "b_only")
    );
    let (status, _) = a
        .admin
        .patch(
            "/api/v1/tenant/categories/b_only",
            &json!({"retired": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_tenants_cases_warnings_and_channels_are_not_found() {
    let server = TestServer::start().await;
    let a = common::city(&server).await;
    let b = server.new_tenant("city").await;
    let (_, d) =
        a.t.admin
            .post("/api/v1/demands", &common::intake(&a.community, "urgent"))
            .await;
    let due: chrono::DateTime<chrono::Utc> = d["reply_due_at"].as_str().unwrap().parse().unwrap();
    server
        .clock
        .advance(due + chrono::Duration::days(6) - server.clock.now());
    server.sweep().await;
    let (_, cases) = a.t.admin.get("/api/v1/accountability/cases").await;
    let case = cases["items"][0]["id"].as_str().expect("a case").to_owned();
    let (status, channel) = a
        .t
        .admin
        .post(
            "/api/v1/tenant/notification-channels",
            &json!({"kind": "webhook", "name": "甲", "url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef", "audience": "all"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let channel = channel["id"].as_str().unwrap();

    assert_eq!(
        b.admin
            .get(&format!("/api/v1/accountability/cases/{case}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    for step in ["review", "decide", "close"] {
        let (status, body) = b
            .admin
            .post(
                &format!("/api/v1/accountability/cases/{case}/{step}"),
                &json!({"outcome": "talk"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{step}: {body}");
    }
    for switch in ["disable", "enable"] {
        let (status, _) = b
            .admin
            .post(
                &format!("/api/v1/tenant/notification-channels/{channel}/{switch}"),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    for path in [
        "/api/v1/accountability/cases",
        "/api/v1/accountability/warnings",
    ] {
        let (_, list) = b.admin.get(path).await;
        assert_eq!(list["items"], json!([]), "{path}");
    }
    let (_, channels) = b.admin.get("/api/v1/tenant/notification-channels").await;
    assert_eq!(channels, json!([]));
    let (_, deliveries) = b.admin.get("/api/v1/tenant/notification-deliveries").await;
    assert_eq!(deliveries, json!([]));
    // A's case is still open and A's channel still enabled.
    let (_, mine) =
        a.t.admin
            .get(&format!("/api/v1/accountability/cases/{case}"))
            .await;
    assert_eq!(mine["status"], "open");
}

#[tokio::test]
async fn another_tenants_api_keys_are_not_found() {
    let server = TestServer::start().await;
    let a = common::city(&server).await;
    let b = server.new_tenant("city").await;
    let (status, issued) =
        a.t.admin
            .post(
                "/api/v1/tenant/api-keys",
                &json!({"name": "12345 热线", "channel": "hotline", "unit_id": a.district}),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let id = issued["id"].as_str().unwrap();

    // B's administrator can neither see nor revoke A's key.
    let (status, body) = b
        .admin
        .post(&format!("/api/v1/tenant/api-keys/{id}/revoke"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, keys) = b.admin.get("/api/v1/tenant/api-keys").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys, json!([]));
    // Nor issue one for A's unit.
    let (status, body) = b
        .admin
        .post(
            "/api/v1/tenant/api-keys",
            &json!({"name": "越界", "channel": "hotline", "unit_id": a.district}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["unit_id"], "unknown_unit");
    // A's key is still live.
    let (_, mine) = a.t.admin.get("/api/v1/tenant/api-keys").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert!(mine[0]["revoked_at"].is_null());
}

#[tokio::test]
async fn another_tenants_councils_and_workrooms_are_not_found() {
    let server = TestServer::start().await;
    let a = common::city(&server).await;
    let b = common::city(&server).await;
    let member = json!({"name": "李秀英", "category": "retiree", "role": "member",
        "term_start": "2023-01-01", "phone": "13907912345"});
    let (status, added) =
        a.t.admin
            .post(
                &format!("/api/v1/units/{}/council/members", a.community),
                &member,
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let id = added["id"].as_str().unwrap();
    let room = json!({"name": "工作室", "address": "东一路 8 号", "opening_hours": "周一至周五"});

    // Every council and workroom endpoint, with A's ids and B's tokens (a leader may see
    // phones in full; an administrator may not).
    let b_leader = common::person(&server, &b.t, "leader", "leader", &b.city).await;
    let unit = &a.community;
    for (status, body) in [
        b.t.admin
            .get(&format!("/api/v1/units/{unit}/council"))
            .await,
        b.t.admin
            .post(&format!("/api/v1/units/{unit}/council/members"), &member)
            .await,
        b.t.admin
            .put(&format!("/api/v1/council-members/{id}"), &member)
            .await,
        b_leader
            .post(
                &format!("/api/v1/council-members/{id}/personal-data"),
                &json!({}),
            )
            .await,
        b.t.admin
            .delete(&format!("/api/v1/council-members/{id}"))
            .await,
        b.t.admin
            .get(&format!("/api/v1/units/{unit}/workroom"))
            .await,
        b.t.admin
            .put(&format!("/api/v1/units/{unit}/workroom"), &room)
            .await,
        b.t.admin
            .get(&format!("/api/v1/councils/coverage?within={unit}"))
            .await,
        b.t.admin
            .get(&format!(
                "/api/v1/council-members/export?within={unit}&format=csv"
            ))
            .await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    // The same codes in B's file name B's own units (each tenant has its own hierarchy):
    // the import lands in B, and A's council is untouched.
    let (status, report) = b
        .t
        .admin
        .upload(
            "/api/v1/council-members/import",
            "m.csv",
            "unit_code,name,category,role,term_start\n990101001001,周强,退休人员,理事,2024-01-01\n"
                .as_bytes()
                .to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1);
    // A's member is untouched, and B's own coverage counts only its own.
    let (_, council) =
        a.t.admin
            .get(&format!("/api/v1/units/{unit}/council"))
            .await;
    assert_eq!(council["members"][0]["name"], "李秀英");
    let (_, cover) =
        b.t.admin
            .get(&format!("/api/v1/councils/coverage?within={}", b.city))
            .await;
    let councils: i64 = cover["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["with_council"].as_i64().unwrap())
        .sum();
    assert_eq!(councils, 1, "{cover}");
}

#[tokio::test]
async fn another_tenants_budgets_spending_and_vouchers_are_not_found() {
    let server = TestServer::start().await;
    let a = common::city(&server).await;
    let b = common::city(&server).await;
    let unit = &a.district;
    let line = json!({"fiscal_year": 2026, "item": "民情家访工作经费", "amount": "2200000"});
    let (status, added) =
        a.t.admin
            .post(&format!("/api/v1/units/{unit}/budget/lines"), &line)
            .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let spending = json!({"spent_on": "2026-03-15", "payee": "某公司", "purpose": "改造",
        "amount": "1000", "project": "居家养老服务中心"});
    let (status, spent) =
        a.t.admin
            .post(
                &format!("/api/v1/units/{unit}/budget/expenditures"),
                &spending,
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{spent}");
    let (line_id, spent_id) = (added["id"].as_str().unwrap(), spent["id"].as_str().unwrap());
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let (status, voucher) =
        a.t.admin
            .upload(
                &format!("/api/v1/expenditures/{spent_id}/vouchers"),
                "v.png",
                png.clone(),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{voucher}");
    let voucher_id = voucher["id"].as_str().unwrap();
    let correction = json!({"amount": "1", "reason": "越权"});

    // Every budget endpoint that names a unit or a record, with A's ids and B's token.
    for (status, body) in [
        b.t.admin
            .get(&format!("/api/v1/units/{unit}/budget?year=2026"))
            .await,
        b.t.admin
            .post(&format!("/api/v1/units/{unit}/budget/lines"), &line)
            .await,
        b.t.admin
            .post(
                &format!("/api/v1/budget-lines/{line_id}/corrections"),
                &correction,
            )
            .await,
        b.t.admin
            .post(
                &format!("/api/v1/units/{unit}/budget/expenditures"),
                &spending,
            )
            .await,
        b.t.admin
            .post(
                &format!("/api/v1/expenditures/{spent_id}/corrections"),
                &correction,
            )
            .await,
        b.t.admin
            .upload(
                &format!("/api/v1/expenditures/{spent_id}/vouchers"),
                "v.png",
                png.clone(),
            )
            .await,
        b.t.admin
            .get(&format!(
                "/api/v1/expenditures/{spent_id}/vouchers/{voucher_id}"
            ))
            .await,
        b.t.admin
            .get(&format!("/api/v1/budgets/rollup?within={unit}&year=2026"))
            .await,
        b.t.admin
            .get(&format!(
                "/api/v1/budgets/export?within={unit}&year=2026&format=csv"
            ))
            .await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    // B's rules are B's own; A's money is untouched, and B's roll-up counts none of it.
    let (status, _) =
        b.t.admin
            .put(
                "/api/v1/operations-rules",
                &json!({"overspend": "allow_with_approval"}),
            )
            .await;
    assert_eq!(status, StatusCode::OK);
    let (_, rules) = a.t.admin.get("/api/v1/operations-rules").await;
    assert_eq!(rules["overspend"], "refuse");
    let (_, budget) =
        a.t.admin
            .get(&format!("/api/v1/units/{unit}/budget?year=2026"))
            .await;
    assert_eq!(budget["allocated"]["fen"], 220_000_000);
    assert_eq!(budget["spent"]["fen"], 100_000);
    let (_, roll) =
        b.t.admin
            .get(&format!(
                "/api/v1/budgets/rollup?within={}&year=2026",
                b.city
            ))
            .await;
    assert_eq!(roll["total"]["allocated"]["fen"], 0, "{roll}");
}

#[tokio::test]
async fn another_tenants_contact_points_visits_and_feeds_are_not_found() {
    let server = TestServer::start().await;
    let a = common::city(&server).await;
    let b = common::city(&server).await;
    let leader = common::person(&server, &a.t, "leader", "leader", &a.district).await;
    let (_, me) = leader.get("/api/v1/auth/me").await;
    let leader_id = me["account"]["id"].as_str().unwrap().to_owned();
    let (status, point) =
        a.t.admin
            .post(
                "/api/v1/contact-points",
                &json!({"leader": leader_id, "unit_id": a.community, "since": "2026-01-01"}),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{point}");
    let point = point["id"].as_str().unwrap();
    let starts = server.clock.now() + chrono::Duration::days(3);
    let form = json!({"unit_id": a.community, "hosts": [leader_id],
        "starts_at": starts.to_rfc3339(), "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
        "place": "东一社区居委会"});
    let (status, v) = leader.post("/api/v1/visits", &form).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap();
    assert_eq!(
        leader
            .post(&format!("/api/v1/visits/{id}/notice"), &json!({}))
            .await
            .0,
        StatusCode::OK
    );

    // B's administrator, with A's ids, on every endpoint.
    let unit = &a.community;
    let later = (starts + chrono::Duration::days(1)).to_rfc3339();
    let until = (starts + chrono::Duration::hours(26)).to_rfc3339();
    // Ids in bodies are unknown too: B cannot pair or schedule at A's community.
    for (status, body) in [
        b.t.admin
            .post(
                "/api/v1/contact-points",
                &json!({"leader": leader_id, "unit_id": unit, "since": "2026-01-01"}),
            )
            .await,
        b.t.admin.post("/api/v1/visits", &form).await,
    ] {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            body["error"]["field_codes"]["unit_id"], "unknown_unit",
            "{body}"
        );
    }
    for (status, body) in [
        b.t.admin
            .get(&format!("/api/v1/contact-points?within={unit}"))
            .await,
        b.t.admin
            .post(
                &format!("/api/v1/contact-points/{point}/end"),
                &json!({"until": "2026-06-30"}),
            )
            .await,
        b.t.admin
            .get(&format!("/api/v1/visits?within={unit}"))
            .await,
        b.t.admin.get(&format!("/api/v1/visits/{id}")).await,
        b.t.admin
            .post(&format!("/api/v1/visits/{id}/notice"), &json!({}))
            .await,
        b.t.admin
            .post(
                &format!("/api/v1/visits/{id}/reschedule"),
                &json!({"starts_at": later, "ends_at": until, "reason": "x"}),
            )
            .await,
        b.t.admin
            .post(
                &format!("/api/v1/visits/{id}/cancel"),
                &json!({"reason": "x"}),
            )
            .await,
        b.t.admin
            .put(
                &format!("/api/v1/visits/{id}/attendance"),
                &json!({"residents": 1, "walk_ins": 0, "households": 1}),
            )
            .await,
        b.t.admin
            .put(
                &format!("/api/v1/visits/{id}/minutes"),
                &json!({"text": "x"}),
            )
            .await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    // B's own unit with A's leader as host is refused; a demand in B cannot name A's visit.
    let mut stray = form.clone();
    stray["unit_id"] = json!(b.community);
    let (status, body) = b.t.admin.post("/api/v1/visits", &stray).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["hosts"], "unknown_host");
    let mut raised = common::intake(&b.community, "urgent");
    raised["visit"] = json!(id);
    let (status, body) = b.t.admin.post("/api/v1/demands", &raised).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["visit"], "unknown_visit");
    // The public pages under B's slug know nothing of A's community or leader.
    for path in [
        format!("/api/v1/public/{}/units/{unit}/visits", b.t.slug),
        format!("/api/v1/public/{}/units/{unit}/visits.ics", b.t.slug),
        format!("/api/v1/public/{}/leaders/{leader_id}/visits.ics", b.t.slug),
    ] {
        let r = server.client().get(server.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // A's visit stands as it was.
    let (_, kept) = leader.get(&format!("/api/v1/visits/{id}")).await;
    assert_eq!(kept["status"], "published");
    assert!(kept["cancel_reason"].is_null());
}

#[tokio::test]
async fn another_tenants_households_and_coverage_are_not_found() {
    let server = TestServer::start().await;
    let a = common::city(&server).await;
    let b = common::city(&server).await;
    let register = format!("/api/v1/units/{}/households", a.community);
    let (status, h) =
        a.t.admin
            .post(
                &register,
                &json!({"address": "东一路8号", "head_name": "王建国", "phone": "13907912468"}),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    let household = h["id"].as_str().unwrap().to_owned();
    let leader = common::person(&server, &a.t, "leader", "leader", &a.district).await;
    let (_, me) = leader.get("/api/v1/auth/me").await;
    let starts = server.clock.now() + chrono::Duration::hours(1);
    let (_, v) = leader
        .post(
            "/api/v1/visits",
            &json!({"unit_id": a.community, "hosts": [me["account"]["id"]],
                    "starts_at": starts.to_rfc3339(),
                    "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
                    "place": "东一社区"}),
        )
        .await;
    let visit = v["id"].as_str().unwrap().to_owned();
    server.clock.advance(chrono::Duration::hours(2));

    for (status, body) in [
        b.t.admin.get(&register).await,
        b.t.admin
            .post(&register, &json!({"address": "x", "head_name": "y"}))
            .await,
        b.t.admin
            .upload(
                &format!("{register}/import"),
                "h.csv",
                b"address,head_name\nx,y\n".to_vec(),
            )
            .await,
        b.t.admin
            .put(
                &format!("/api/v1/visits/{visit}/households"),
                &json!({"households": [household]}),
            )
            .await,
        b.t.admin
            .get(&format!(
                "/api/v1/households/coverage?within={}",
                a.district
            ))
            .await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    // B's own visit cannot name A's household.
    let b_leader = common::person(&server, &b.t, "leader", "leader", &b.district).await;
    let (_, b_me) = b_leader.get("/api/v1/auth/me").await;
    let starts = server.clock.now() + chrono::Duration::minutes(1);
    let (_, bv) = b_leader
        .post(
            "/api/v1/visits",
            &json!({"unit_id": b.community, "hosts": [b_me["account"]["id"]],
                    "starts_at": starts.to_rfc3339(),
                    "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
                    "place": "东一社区"}),
        )
        .await;
    server.clock.advance(chrono::Duration::minutes(5));
    let (status, body) = b_leader
        .put(
            &format!("/api/v1/visits/{}/households", bv["id"].as_str().unwrap()),
            &json!({"households": [household]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["households"],
        "unknown_household"
    );
    // A's register and coverage are as they were.
    let (_, kept) = a.t.admin.get(&register).await;
    assert_eq!(kept["items"].as_array().unwrap().len(), 1);
    let (_, cover) =
        a.t.admin
            .get(&format!(
                "/api/v1/households/coverage?within={}",
                a.district
            ))
            .await;
    assert_eq!(cover["reached"], 0, "{cover}");
}
