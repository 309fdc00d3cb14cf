//! Tenants never see each other, and a scoped role sees only its subtree: every endpoint that
//! takes an id answers 404 for another tenant's id, never 403 and never data; tenant-wide
//! settings changed by one tenant never reach another, through the settings cache either; and
//! Open311 with one tenant's key finds nothing of another's. The last test fails when a route
//! has neither a check here nor a stated exemption.
mod common;

use std::collections::BTreeSet;

use common::{SMALL_CITY, TestServer, demand_total, division_csv, unit_id};
use reqwest::StatusCode;
use serde_json::{Value, json};

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
    let (_, roots) = b.admin.get("/api/v1/units/roots").await;
    assert_eq!(roots["items"], json!([]), "{roots}");
    // B cannot give a role on A's unit, by hand or by file (A's codes name nothing in B).
    let (status, body) = b
        .admin
        .post(
            "/api/v1/accounts",
            &json!({"username": "stray", "password": "Cadre-Pass-2026",
                    "grants": [{"role": "cadre", "unit_id": unit}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["unit_id"], "unknown_unit");
    let (status, body) = b
        .admin
        .upload(
            "/api/v1/accounts/import",
            "a.csv",
            "username,display_name,role,unit_code,password\nstray,越界,cadre,990101001000,\n"
                .as_bytes()
                .to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, accounts) = b.admin.get("/api/v1/accounts").await;
    assert!(
        accounts["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["username"] != "stray"),
        "{accounts}"
    );
    // B importing the same division codes makes units of its own; A's are not touched.
    let (status, body) = b
        .admin
        .upload("/api/v1/units/import", "b.csv", division_csv(SMALL_CITY))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(unit_id(&b.admin, "990101001000").await, unit);
    let a_city = unit_id(&a.admin, "990100000000").await;
    let (_, roots) = b.admin.get("/api/v1/units/roots").await;
    assert_eq!(roots["items"].as_array().unwrap().len(), 1, "{roots}");
    assert_ne!(roots["items"][0]["id"], a_city.as_str());
    // And A still sees its own, unchanged.
    let (status, body) = a.admin.get(&format!("/api/v1/units/{unit}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "东街道");
    assert_eq!(body["archived"], false);
    let (_, children) = a.admin.get(&format!("/api/v1/units/{unit}/children")).await;
    assert_eq!(children["items"].as_array().unwrap().len(), 1, "{children}");
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
    // Every route that names a tenant, with its own id and another's.
    let other = server.new_tenant("city").await;
    for id in [&t.id, &other.id] {
        let tenant = format!("/api/v1/platform/tenants/{id}");
        for (status, body) in [
            t.admin.get(&tenant).await,
            t.admin.patch(&tenant, &json!({"name_zh": "被改"})).await,
            t.admin.post(&format!("{tenant}/suspend"), &json!({})).await,
            t.admin.post(&format!("{tenant}/resume"), &json!({})).await,
        ] {
            assert_eq!(status, StatusCode::FORBIDDEN, "{tenant}: {body}");
        }
    }
    // The other tenant is as it was, and still serves its administrator.
    let (status, mine) = other.admin.get("/api/v1/tenant").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["name_zh"], format!("测试{}", other.slug));
    assert_eq!(mine["status"], "active");
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
    // Nor can A's demand be rated through B's address.
    let (status, body) = common::rate_as_resident(
        &server,
        &b.slug,
        receipt,
        json!({"satisfaction": "unsatisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
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

#[tokio::test]
async fn another_tenants_attachments_and_ledger_export_are_not_found() {
    let server = TestServer::start().await;
    let a = common::city(&server).await;
    let b = common::city(&server).await;
    let (status, d) =
        a.t.admin
            .post("/api/v1/demands", &common::intake(&a.community, "urgent"))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let (id, receipt) = (
        d["id"].as_str().unwrap(),
        d["receipt_code"].as_str().unwrap(),
    );
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let (status, filed) =
        a.t.admin
            .upload(
                &format!("/api/v1/demands/{id}/attachments"),
                "a.png",
                png.clone(),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let attachment = filed["id"].as_str().unwrap();
    // B has a demand and a file of its own, so its answers below are not empty by accident.
    let (status, own) =
        b.t.admin
            .post("/api/v1/demands", &common::intake(&b.community, "urgent"))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    let own_id = own["id"].as_str().unwrap();
    let (status, own_file) =
        b.t.admin
            .upload(
                &format!("/api/v1/demands/{own_id}/attachments"),
                "b.png",
                png.clone(),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{own_file}");

    // B's token with A's ids: A's demand, A's file (also under B's own demand), A's unit.
    let unit = &a.community;
    for (status, body) in [
        b.t.admin
            .get(&format!("/api/v1/demands/{id}/attachments"))
            .await,
        b.t.admin
            .upload(
                &format!("/api/v1/demands/{id}/attachments"),
                "x.png",
                png.clone(),
            )
            .await,
        b.t.admin
            .get(&format!("/api/v1/demands/{id}/attachments/{attachment}"))
            .await,
        b.t.admin
            .get(&format!(
                "/api/v1/demands/{own_id}/attachments/{attachment}"
            ))
            .await,
        b.t.admin
            .get(&format!("/api/v1/demands/export?within={unit}&format=csv"))
            .await,
        b.t.admin
            .get(&format!("/api/v1/demands/export?within={unit}&format=xlsx"))
            .await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "not_found", "{body}");
    }
    // B's own list holds its own file only; its export its own demand only.
    let (_, files) =
        b.t.admin
            .get(&format!("/api/v1/demands/{own_id}/attachments"))
            .await;
    assert_eq!(files.as_array().unwrap().len(), 1, "{files}");
    assert_eq!(files[0]["id"], own_file["id"]);
    let (status, bytes, _) =
        b.t.admin
            .send_raw_bytes(
                b.t.admin
                    .request(reqwest::Method::GET, "/api/v1/demands/export?format=csv"),
            )
            .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains(own["receipt_code"].as_str().unwrap()),
        "{text}"
    );
    assert!(!text.contains(receipt), "{text}");
    // A's file is still A's, whole.
    let (status, kept, _) =
        a.t.admin
            .send_raw_bytes(a.t.admin.request(
                reqwest::Method::GET,
                &format!("/api/v1/demands/{id}/attachments/{attachment}"),
            ))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kept, png);
    let (_, listed) =
        a.t.admin
            .get(&format!("/api/v1/demands/{id}/attachments"))
            .await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
}

/// Tenant-wide settings take no id, so there is none to guess; what must hold is that one
/// tenant's change never reaches another — not even through the per-process settings cache,
/// which both tenants share here (one server process). B reads its own values before and after
/// A's change, and B's demands are routed and timed by B's rules and B's calendar.
#[tokio::test]
async fn one_tenants_rules_calendar_and_tiers_never_reach_another_through_the_cache() {
    let server = TestServer::start().await;
    let a = common::city(&server).await;
    let b = common::city(&server).await;
    // Both tenants' settings are read — and so cached — before A changes its own.
    let read_all = |s: common::Session| async move {
        let mut out = Vec::new();
        for path in [
            "/api/v1/tenant",
            "/api/v1/tenant/demand-rules",
            "/api/v1/tenant/calendar",
            "/api/v1/tenant/tiers",
        ] {
            let (status, body) = s.get(path).await;
            assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
            out.push(body);
        }
        out
    };
    let b_before = read_all(b.t.admin.clone()).await;
    let a_before = read_all(a.t.admin.clone()).await;
    assert_eq!(a_before[1], b_before[1], "both start with the defaults");
    let file = |s: &common::Session, community: &str| {
        let (s, community) = (s.clone(), community.to_owned());
        async move {
            let (status, d) = s
                .post("/api/v1/demands", &common::intake(&community, "urgent"))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{d}");
            d
        }
    };
    let b_first = file(&b.t.admin, &b.community).await;
    assert_eq!(b_first["handling_tier"], "street", "{b_first}");
    file(&a.t.admin, &a.community).await;
    let time = |v: &Value| -> chrono::DateTime<chrono::Utc> {
        v.as_str().expect("a time").parse().expect("RFC 3339")
    };
    let received = time(&b_first["received_at"]);
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let received_on = received.with_timezone(&shanghai).date_naive();

    // A routes 急 to communities with 3 working days, makes the next 40 days holidays (this
    // year by JSON, the next by file), renames a tier, itself and moves its time zone.
    let (_, mut rules) = a.t.admin.get("/api/v1/tenant/demand-rules").await;
    rules["routing"]["urgent"] = json!("community");
    for rule in rules["deadlines"].as_array_mut().unwrap() {
        if rule["tier"] == "community" {
            rule["reply_days"] = json!(3);
        }
    }
    let (status, a_rules) = a.t.admin.put("/api/v1/tenant/demand-rules", &rules).await;
    assert_eq!(status, StatusCode::OK, "{a_rules}");
    let year = chrono::Datelike::year(&received_on);
    let days: Vec<chrono::NaiveDate> = (1..=40)
        .map(|n| received_on + chrono::Duration::days(n))
        .collect();
    let this_year: Vec<Value> = days
        .iter()
        .filter(|d| chrono::Datelike::year(*d) == year)
        .map(|d| json!({"date": d.to_string(), "kind": "holiday", "name": "甲休"}))
        .collect();
    let (status, stored) =
        a.t.admin
            .put(
                &format!("/api/v1/tenant/calendar/{year}"),
                &json!({"entries": this_year}),
            )
            .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    let mut csv = String::from("date,kind,name\n");
    for d in days
        .iter()
        .filter(|d| chrono::Datelike::year(*d) == year + 1)
    {
        csv.push_str(&format!("{d},holiday,甲休\n"));
    }
    csv.push_str(&format!("{}-12-31,holiday,甲标记\n", year + 1));
    let (status, imported) =
        a.t.admin
            .upload(
                &format!("/api/v1/tenant/calendar/{}/import", year + 1),
                "a.csv",
                csv.into_bytes(),
            )
            .await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    let (status, tier) =
        a.t.admin
            .patch(
                "/api/v1/tenant/tiers/street",
                &json!({"label_zh": "甲街道", "label_en": "A street"}),
            )
            .await;
    assert_eq!(status, StatusCode::OK, "{tier}");
    let (status, renamed) =
        a.t.admin
            .patch(
                "/api/v1/tenant",
                &json!({"name_zh": "甲市", "time_zone": "Asia/Urumqi"}),
            )
            .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    // A tenant with no units adds a tier above and removes its lowest.
    let empty = server.new_tenant("city").await;
    let (status, body) = empty
        .admin
        .post("/api/v1/tenant/tiers", &json!({"key": "province"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = empty.admin.delete("/api/v1/tenant/tiers/community").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // B, on the same process: its own tenant, rules, calendar and tiers, as before…
    let b_after = read_all(b.t.admin.clone()).await;
    assert_eq!(b_after, b_before);
    assert_eq!(b_after[0]["id"], b.t.id.as_str());
    assert_eq!(b_after[0]["time_zone"], "Asia/Shanghai");
    let (_, units) =
        b.t.admin
            .get(&format!("/api/v1/units?parent={}", b.district))
            .await;
    assert_eq!(units["items"][0]["tier_label_zh"], "街道(乡镇)", "{units}");
    // …and its demands routed and timed by them: to its street, in 5 working days of its
    // calendar, the same deadline as before A's change.
    let b_next = file(&b.t.admin, &b.community).await;
    assert_eq!(b_next["handling_tier"], "street", "{b_next}");
    assert_eq!(b_next["handling_unit"]["id"], b.east.as_str());
    let b_due = time(&b_next["reply_due_at"]);
    assert!(b_due < received + chrono::Duration::days(20), "{b_next}");
    if time(&b_next["received_at"])
        .with_timezone(&shanghai)
        .date_naive()
        == received_on
    {
        assert_eq!(b_next["reply_due_at"], b_first["reply_due_at"]);
    }
    // A's own demands follow A's: to the community, after the 40 days off.
    let a_next = file(&a.t.admin, &a.community).await;
    assert_eq!(a_next["handling_tier"], "community", "{a_next}");
    assert_eq!(a_next["handling_unit"]["id"], a.community.as_str());
    assert!(
        time(&a_next["reply_due_at"]) > received + chrono::Duration::days(35),
        "{a_next}"
    );

    // B's token changes B's settings only: A keeps its rules, calendar, tiers and name.
    let (_, mut rules) = b.t.admin.get("/api/v1/tenant/demand-rules").await;
    rules["routing"]["urgent"] = json!("county");
    assert_eq!(
        b.t.admin.put("/api/v1/tenant/demand-rules", &rules).await.0,
        StatusCode::OK
    );
    let (status, _) =
        b.t.admin
            .put(
                &format!("/api/v1/tenant/calendar/{year}"),
                &json!({"entries": []}),
            )
            .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        b.t.admin
            .upload(
                &format!("/api/v1/tenant/calendar/{}/import", year + 1),
                "b.csv",
                format!("date,kind,name\n{}-01-01,holiday,乙\n", year + 1).into_bytes(),
            )
            .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        b.t.admin
            .patch(
                "/api/v1/tenant/tiers/street",
                &json!({"label_zh": "乙街道", "label_en": "B street"}),
            )
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        b.t.admin
            .patch("/api/v1/tenant", &json!({"name_zh": "乙市"}))
            .await
            .0,
        StatusCode::OK
    );
    let a_after = read_all(a.t.admin.clone()).await;
    assert_eq!(a_after[0], renamed);
    assert_eq!(a_after[1], a_rules);
    let (_, a_year) =
        a.t.admin
            .get(&format!("/api/v1/tenant/calendar?year={year}"))
            .await;
    assert_eq!(a_year, stored);
    let (_, a_next_year) =
        a.t.admin
            .get(&format!("/api/v1/tenant/calendar?year={}", year + 1))
            .await;
    assert_eq!(a_next_year, imported);
    let street = a_after[3]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "street")
        .unwrap();
    assert_eq!(street["label_zh"], "甲街道");
    let keys = |tiers: &Value| -> Vec<String> {
        tiers["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["key"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(keys(&a_after[3]), ["city", "county", "street", "community"]);
    let (_, b_tiers) = b.t.admin.get("/api/v1/tenant/tiers").await;
    assert_eq!(keys(&b_tiers), ["city", "county", "street", "community"]);
    let a_last = file(&a.t.admin, &a.community).await;
    assert_eq!(a_last["handling_tier"], "community", "{a_last}");
    assert!(time(&a_last["reply_due_at"]) > received + chrono::Duration::days(35));
    let b_last = file(&b.t.admin, &b.community).await;
    assert_eq!(b_last["handling_tier"], "county", "{b_last}");
}

/// An Open311 call: status and JSON body.
async fn open311(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = request.send().await.expect("the server answers");
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// An Open311 error as the specification writes it: `[{"code": status, "description"}]`.
fn assert_open311_error(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body[0]["code"], expected.as_u16(), "{body}");
    assert!(body[0]["description"].is_string(), "{body}");
}

#[tokio::test]
async fn open311_with_another_tenants_key_finds_none_of_its_requests_or_services() {
    let server = TestServer::start().await;
    let a = common::city(&server).await;
    let b = common::city(&server).await;
    let (a_slug, b_slug) = (a.t.slug.as_str(), b.t.slug.as_str());
    let key_for = |c: &common::City| {
        let (admin, unit) = (c.t.admin.clone(), c.city.clone());
        async move {
            let (status, issued) = admin
                .post(
                    "/api/v1/tenant/api-keys",
                    &json!({"name": "12345 热线", "channel": "hotline", "unit_id": unit}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{issued}");
            issued["key"].as_str().unwrap().to_owned()
        }
    };
    let (a_key, b_key) = (key_for(&a).await, key_for(&b).await);
    let post = |fields: Vec<(&'static str, String)>| {
        open311(
            server
                .client()
                .post(server.url("/open311/v2/requests.json"))
                .form(&fields),
        )
    };
    let request = |key: &str, slug: &str, service: &str, origin: &str| {
        vec![
            ("api_key", key.to_owned()),
            ("jurisdiction_id", slug.to_owned()),
            ("service_code", service.to_owned()),
            (
                "description",
                "小区东门垃圾站三天没有清运，气味很大".to_owned(),
            ),
            ("origin_unit", origin.to_owned()),
        ]
    };
    // A offers a service of its own and its hotline files a request; B's files one too.
    let (status, body) =
        a.t.admin
            .post(
                "/api/v1/tenant/categories",
                &json!({"key": "a_only", "label_zh": "甲", "label_en": "A"}),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, filed) = post(request(&a_key, a_slug, "a_only", "990101001001")).await;
    assert_eq!(status, StatusCode::OK, "{filed}");
    let receipt = filed[0]["service_request_id"].as_str().unwrap().to_owned();
    let (status, filed) = post(request(&b_key, b_slug, "daily_life", "990101001001")).await;
    assert_eq!(status, StatusCode::OK, "{filed}");
    let own = filed[0]["service_request_id"].as_str().unwrap().to_owned();
    let get = |path: String| open311(server.client().get(server.url(&path)));

    // B's key, in B's jurisdiction, with A's request id: not found.
    let (status, body) = get(format!(
        "/open311/v2/requests/{receipt}.json?jurisdiction_id={b_slug}&api_key={b_key}"
    ))
    .await;
    assert_open311_error(status, &body, StatusCode::NOT_FOUND);
    // Asked for by id, A's request is left out; B's list is B's own.
    let none: &[&str] = &[];
    let own_only = &[own.as_str()][..];
    for (query, expected) in [
        (
            format!("service_request_id={receipt}&api_key={b_key}"),
            none,
        ),
        (format!("service_request_id={receipt},{own}"), own_only),
        (format!("api_key={b_key}"), own_only),
        (format!("api_key={b_key}&status=open,closed"), own_only),
    ] {
        let (status, list) = get(format!(
            "/open311/v2/requests.json?jurisdiction_id={b_slug}&{query}"
        ))
        .await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "{query}");
    }
    // B's services are B's: A's own service is not among them, nor can B's key file under it
    // or in A's community (named by its id).
    let (status, services) = get(format!(
        "/open311/v2/services.json?jurisdiction_id={b_slug}"
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{services}");
    assert!(
        services
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["service_code"] != "a_only"),
        "{services}"
    );
    assert!(!services.as_array().unwrap().is_empty());
    let (status, body) = get(format!(
        "/open311/v2/services/a_only.json?jurisdiction_id={b_slug}"
    ))
    .await;
    assert_open311_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = post(request(&b_key, b_slug, "a_only", "990101001001")).await;
    assert_open311_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = post(request(&b_key, b_slug, "daily_life", &a.community)).await;
    assert_open311_error(status, &body, StatusCode::BAD_REQUEST);
    // B's key is no key in A's jurisdiction (a key carries its tenant): 403, as for any
    // invalid key, for posting and for listing.
    let (status, body) = post(request(&b_key, a_slug, "daily_life", "990101001001")).await;
    assert_open311_error(status, &body, StatusCode::FORBIDDEN);
    let (status, body) = get(format!(
        "/open311/v2/requests.json?jurisdiction_id={a_slug}&api_key={b_key}"
    ))
    .await;
    assert_open311_error(status, &body, StatusCode::FORBIDDEN);
    // Nothing of that was filed: each tenant holds its one request.
    assert_eq!(demand_total(&a.t.admin).await, 1);
    assert_eq!(demand_total(&b.t.admin).await, 1);
    let (_, list) = get(format!(
        "/open311/v2/requests.json?jurisdiction_id={a_slug}&api_key={a_key}"
    ))
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["service_request_id"], receipt.as_str());
}

/// The residents' online form under one tenant's slug offers and takes nothing of another's.
#[tokio::test]
async fn another_tenants_online_form_offers_and_takes_nothing_of_it() {
    let server = TestServer::start().await;
    let a = common::city(&server).await;
    let b = common::city(&server).await;
    let public = |method: reqwest::Method, path: String| {
        server
            .client()
            .request(method, server.url(&format!("/api/v1/public/{path}")))
    };
    let answer = |request: reqwest::RequestBuilder| async move {
        let r = request.send().await.expect("the server answers");
        let status = r.status();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    let (status, body) =
        a.t.admin
            .post(
                "/api/v1/tenant/categories",
                &json!({"key": "a_only", "label_zh": "甲", "label_en": "A"}),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let form = |origin: &str, category: &str| {
        json!({"origin_unit": origin, "category": category, "grade": "urgent",
               "title": "垃圾桶满溢", "description": "小区东门垃圾桶三天没有清运"})
    };
    let b_slug = &b.t.slug;

    // B's form starts at B's city (the same names as A's, other ids) and walks down B's only.
    let (status, top) = answer(public(reqwest::Method::GET, format!("{b_slug}/units"))).await;
    assert_eq!(status, StatusCode::OK, "{top}");
    let ids: Vec<&str> = top
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [b.city.as_str()]);
    for parent in [&a.city, &a.district, &a.east] {
        let (status, body) = answer(public(
            reqwest::Method::GET,
            format!("{b_slug}/units?parent={parent}"),
        ))
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "not_found", "{body}");
    }
    let (status, categories) =
        answer(public(reqwest::Method::GET, format!("{b_slug}/categories"))).await;
    assert_eq!(status, StatusCode::OK, "{categories}");
    let keys: Vec<&str> = categories
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"daily_life") && !keys.contains(&"a_only"),
        "{categories}"
    );
    // B's form takes neither A's community nor A's category.
    for (body, field, code) in [
        (
            form(&a.community, "daily_life"),
            "origin_unit",
            "unknown_unit",
        ),
        (form(&b.community, "a_only"), "category", "unknown_category"),
    ] {
        let (status, refused) =
            answer(public(reqwest::Method::POST, format!("{b_slug}/demands")).json(&body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["error"]["field_codes"][field], code, "{refused}");
    }
    // An Idempotency-Key is the tenant's: the same key under B's slug records B's demand, it
    // does not answer A's receipt.
    let key = uuid::Uuid::new_v4().to_string();
    let (status, in_a) = answer(
        public(reqwest::Method::POST, format!("{}/demands", a.t.slug))
            .header("Idempotency-Key", &key)
            .json(&form(&a.community, "a_only")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{in_a}");
    let (status, in_b) = answer(
        public(reqwest::Method::POST, format!("{b_slug}/demands"))
            .header("Idempotency-Key", &key)
            .json(&form(&b.community, "daily_life")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{in_b}");
    assert_ne!(in_b["receipt_code"], in_a["receipt_code"]);
    let (status, body) = answer(public(
        reqwest::Method::GET,
        format!(
            "{b_slug}/demands/{}",
            in_a["receipt_code"].as_str().unwrap()
        ),
    ))
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Each tenant holds its one demand, in its own community.
    for (c, receipt) in [(&a, &in_a), (&b, &in_b)] {
        let (_, list) = c.t.admin.get("/api/v1/demands").await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{list}");
        assert_eq!(items[0]["receipt_code"], receipt["receipt_code"]);
        assert_eq!(items[0]["origin_unit"]["id"], c.community.as_str());
    }
}

// ---------------------------------------------------------------------------------------------
// Every route is checked here, or exempt for a stated reason.

const IDS: &str = "another_tenants_ids_are_not_found_on_every_endpoint";
const PLATFORM: &str = "tenant_tokens_get_403_on_platform_routes";
const DEMANDS: &str = "another_tenants_demands_are_not_found_on_every_demand_endpoint";
const CASES: &str = "another_tenants_cases_warnings_and_channels_are_not_found";
const API_KEYS: &str = "another_tenants_api_keys_are_not_found";
const COUNCILS: &str = "another_tenants_councils_and_workrooms_are_not_found";
const BUDGETS: &str = "another_tenants_budgets_spending_and_vouchers_are_not_found";
const VISITS: &str = "another_tenants_contact_points_visits_and_feeds_are_not_found";
const HOUSEHOLDS: &str = "another_tenants_households_and_coverage_are_not_found";
const FILES: &str = "another_tenants_attachments_and_ledger_export_are_not_found";
const SETTINGS: &str = "one_tenants_rules_calendar_and_tiers_never_reach_another_through_the_cache";
const OPEN311: &str = "open311_with_another_tenants_key_finds_none_of_its_requests_or_services";
const ONLINE_FORM: &str = "another_tenants_online_form_offers_and_takes_nothing_of_it";

/// (method, path, the test in this file that checks it with another tenant's ids or token).
/// List a route here only when that test really sends it.
const CHECKED: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1/platform/tenants", PLATFORM),
    ("POST", "/api/v1/platform/tenants", PLATFORM),
    ("GET", "/api/v1/platform/tenants/{id}", PLATFORM),
    ("PATCH", "/api/v1/platform/tenants/{id}", PLATFORM),
    ("POST", "/api/v1/platform/tenants/{id}/suspend", PLATFORM),
    ("POST", "/api/v1/platform/tenants/{id}/resume", PLATFORM),
    ("GET", "/api/v1/tenant", SETTINGS),
    ("PATCH", "/api/v1/tenant", SETTINGS),
    ("GET", "/api/v1/tenant/tiers", SETTINGS),
    ("POST", "/api/v1/tenant/tiers", SETTINGS),
    ("PATCH", "/api/v1/tenant/tiers/{key}", SETTINGS),
    ("DELETE", "/api/v1/tenant/tiers/{key}", SETTINGS),
    ("GET", "/api/v1/tenant/demand-rules", SETTINGS),
    ("PUT", "/api/v1/tenant/demand-rules", SETTINGS),
    ("GET", "/api/v1/tenant/categories", DEMANDS),
    ("POST", "/api/v1/tenant/categories", DEMANDS),
    ("PATCH", "/api/v1/tenant/categories/{key}", DEMANDS),
    ("GET", "/api/v1/tenant/calendar", SETTINGS),
    ("PUT", "/api/v1/tenant/calendar/{year}", SETTINGS),
    ("POST", "/api/v1/tenant/calendar/{year}/import", SETTINGS),
    ("GET", "/api/v1/units", IDS),
    ("POST", "/api/v1/units", IDS),
    ("GET", "/api/v1/units/roots", IDS),
    ("GET", "/api/v1/units/{id}", IDS),
    ("PATCH", "/api/v1/units/{id}", IDS),
    ("GET", "/api/v1/units/{id}/children", IDS),
    ("GET", "/api/v1/units/{id}/ancestors", IDS),
    ("POST", "/api/v1/units/{id}/move", IDS),
    ("POST", "/api/v1/units/{id}/merge", IDS),
    ("POST", "/api/v1/units/{id}/archive", IDS),
    ("POST", "/api/v1/units/import", IDS),
    ("GET", "/api/v1/accounts", IDS),
    ("POST", "/api/v1/accounts", IDS),
    ("GET", "/api/v1/accounts/{id}", IDS),
    ("PATCH", "/api/v1/accounts/{id}", IDS),
    ("POST", "/api/v1/accounts/{id}/disable", IDS),
    ("POST", "/api/v1/accounts/{id}/enable", IDS),
    ("POST", "/api/v1/accounts/{id}/reset-password", IDS),
    ("POST", "/api/v1/accounts/{id}/grants", IDS),
    ("DELETE", "/api/v1/accounts/{id}/grants/{grant_id}", IDS),
    ("POST", "/api/v1/accounts/import", IDS),
    ("GET", "/api/v1/demands", DEMANDS),
    ("POST", "/api/v1/demands", DEMANDS),
    ("GET", "/api/v1/demands/counts", DEMANDS),
    ("GET", "/api/v1/demands/export", FILES),
    ("GET", "/api/v1/demands/{id}", DEMANDS),
    ("GET", "/api/v1/demands/{id}/events", DEMANDS),
    ("POST", "/api/v1/demands/{id}/personal-data", DEMANDS),
    ("GET", "/api/v1/demands/{id}/attachments", FILES),
    ("POST", "/api/v1/demands/{id}/attachments", FILES),
    (
        "GET",
        "/api/v1/demands/{id}/attachments/{attachment_id}",
        FILES,
    ),
    ("POST", "/api/v1/demands/{id}/{action}", DEMANDS),
    ("GET", "/api/v1/ledger/verify", DEMANDS),
    ("GET", "/api/v1/accountability/warnings", CASES),
    ("GET", "/api/v1/accountability/cases", CASES),
    ("GET", "/api/v1/accountability/cases/{id}", CASES),
    ("POST", "/api/v1/accountability/cases/{id}/{step}", CASES),
    ("GET", "/api/v1/tenant/notification-channels", CASES),
    ("POST", "/api/v1/tenant/notification-channels", CASES),
    (
        "POST",
        "/api/v1/tenant/notification-channels/{id}/{switch}",
        CASES,
    ),
    ("GET", "/api/v1/tenant/notification-deliveries", CASES),
    ("GET", "/api/v1/tenant/api-keys", API_KEYS),
    ("POST", "/api/v1/tenant/api-keys", API_KEYS),
    ("POST", "/api/v1/tenant/api-keys/{id}/revoke", API_KEYS),
    ("GET", "/api/v1/public/{tenant}/demands/{code}", DEMANDS),
    (
        "POST",
        "/api/v1/public/{tenant}/demands/{code}/rating",
        DEMANDS,
    ),
    ("GET", "/api/v1/public/{tenant}/units", ONLINE_FORM),
    ("GET", "/api/v1/public/{tenant}/categories", ONLINE_FORM),
    ("POST", "/api/v1/public/{tenant}/demands", ONLINE_FORM),
    ("GET", "/api/v1/public/{tenant}/units/{id}/visits", VISITS),
    (
        "GET",
        "/api/v1/public/{tenant}/units/{id}/visits.ics",
        VISITS,
    ),
    (
        "GET",
        "/api/v1/public/{tenant}/leaders/{id}/visits.ics",
        VISITS,
    ),
    ("GET", "/api/v1/contact-points", VISITS),
    ("POST", "/api/v1/contact-points", VISITS),
    ("POST", "/api/v1/contact-points/{id}/end", VISITS),
    ("GET", "/api/v1/visits", VISITS),
    ("POST", "/api/v1/visits", VISITS),
    ("GET", "/api/v1/visits/{id}", VISITS),
    ("POST", "/api/v1/visits/{id}/notice", VISITS),
    ("POST", "/api/v1/visits/{id}/reschedule", VISITS),
    ("POST", "/api/v1/visits/{id}/cancel", VISITS),
    ("PUT", "/api/v1/visits/{id}/attendance", VISITS),
    ("PUT", "/api/v1/visits/{id}/minutes", VISITS),
    ("GET", "/api/v1/units/{id}/households", HOUSEHOLDS),
    ("POST", "/api/v1/units/{id}/households", HOUSEHOLDS),
    ("POST", "/api/v1/units/{id}/households/import", HOUSEHOLDS),
    ("PUT", "/api/v1/visits/{id}/households", HOUSEHOLDS),
    ("GET", "/api/v1/households/coverage", HOUSEHOLDS),
    ("GET", "/api/v1/units/{id}/council", COUNCILS),
    ("POST", "/api/v1/units/{id}/council/members", COUNCILS),
    ("POST", "/api/v1/council-members/import", COUNCILS),
    ("GET", "/api/v1/council-members/export", COUNCILS),
    ("PUT", "/api/v1/council-members/{id}", COUNCILS),
    ("DELETE", "/api/v1/council-members/{id}", COUNCILS),
    (
        "POST",
        "/api/v1/council-members/{id}/personal-data",
        COUNCILS,
    ),
    ("GET", "/api/v1/units/{id}/workroom", COUNCILS),
    ("PUT", "/api/v1/units/{id}/workroom", COUNCILS),
    ("GET", "/api/v1/councils/coverage", COUNCILS),
    ("GET", "/api/v1/units/{id}/budget", BUDGETS),
    ("POST", "/api/v1/units/{id}/budget/lines", BUDGETS),
    ("POST", "/api/v1/budget-lines/{id}/corrections", BUDGETS),
    ("POST", "/api/v1/units/{id}/budget/expenditures", BUDGETS),
    ("POST", "/api/v1/expenditures/{id}/corrections", BUDGETS),
    ("POST", "/api/v1/expenditures/{id}/vouchers", BUDGETS),
    (
        "GET",
        "/api/v1/expenditures/{id}/vouchers/{voucher_id}",
        BUDGETS,
    ),
    ("GET", "/api/v1/budgets/rollup", BUDGETS),
    ("GET", "/api/v1/budgets/export", BUDGETS),
    ("GET", "/api/v1/operations-rules", BUDGETS),
    ("PUT", "/api/v1/operations-rules", BUDGETS),
    ("GET", "/api/v1/operations-log", IDS),
    ("GET", "/open311/v2/services.json", OPEN311),
    ("GET", "/open311/v2/services/{file}", OPEN311),
    ("GET", "/open311/v2/requests.json", OPEN311),
    ("POST", "/open311/v2/requests.json", OPEN311),
    ("GET", "/open311/v2/requests/{file}", OPEN311),
];

/// (method, path, why it needs no isolation check here).
const EXEMPT: &[(&str, &str, &str)] = &[
    (
        "POST",
        "/api/v1/auth/login",
        "before any tenant: answers a token for the tenant named in the body, or 401",
    ),
    (
        "POST",
        "/api/v1/auth/logout",
        "takes no id: ends the caller's own session",
    ),
    (
        "GET",
        "/api/v1/auth/me",
        "takes no id: the caller's own account and grants",
    ),
    (
        "POST",
        "/api/v1/auth/password",
        "takes no id: changes the caller's own password",
    ),
    (
        "GET",
        "/api/v1/openapi.json",
        "the API's description: no tenant data",
    ),
    ("GET", "/healthz", "liveness: no tenant data"),
    ("GET", "/readyz", "readiness: no tenant data"),
    (
        "GET",
        "/open311/v2/discovery.json",
        "Open311 discovery: the endpoint's address, no tenant data",
    ),
];

#[tokio::test]
async fn every_route_has_an_isolation_check_or_a_stated_exemption() {
    // What is served: the router's table under /api/v1, and the routes outside it (Open311,
    // health) as the OpenAPI document lists them.
    let mut served: BTreeSet<(String, String)> = minqing_http::router::api_routes()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_owned(), path))
        .collect();
    let server = TestServer::start().await;
    let doc: Value = server
        .client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("the document is JSON");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if path.starts_with("/api/v1/") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                served.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert!(
        served.contains(&("GET".into(), "/open311/v2/requests/{file}".into())),
        "the document's routes outside /api/v1 were read: {served:?}"
    );

    let source = include_str!("api_isolation.rs");
    let mut listed = BTreeSet::new();
    for (method, path, test) in CHECKED {
        assert!(
            source.contains(&format!("async fn {test}()")),
            "{method} {path}: no test {test} in this file"
        );
        assert!(
            listed.insert((method.to_string(), path.to_string())),
            "{method} {path} is listed twice"
        );
    }
    for (method, path, reason) in EXEMPT {
        assert!(!reason.trim().is_empty(), "{method} {path}: say why");
        assert!(
            listed.insert((method.to_string(), path.to_string())),
            "{method} {path} is listed twice"
        );
    }
    let unchecked: Vec<_> = served.difference(&listed).collect();
    assert!(
        unchecked.is_empty(),
        "routes with no isolation check in this file: {unchecked:?} — check them with another \
         tenant's ids and token (404 `not_found`, never data) and list them in CHECKED, or \
         list them in EXEMPT with the reason"
    );
    let gone: Vec<_> = listed.difference(&served).collect();
    assert!(gone.is_empty(), "listed but no longer served: {gone:?}");
}
