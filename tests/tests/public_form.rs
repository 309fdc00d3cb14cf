//! The residents' online form (`/api/v1/public/{tenant}/…`, no login): walking down to a
//! community, submitting a demand that enters the ledger on the `online` channel, a receipt with
//! no personal data, resubmissions under one `Idempotency-Key`, bad input refused with nothing
//! recorded, submissions throttled per address, and one tenant's form never reaching another's.
mod common;

use common::{City, Options, TestServer, city, demand_total};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn public_get(server: &TestServer, path: &str) -> (StatusCode, Value) {
    let r = server.client().get(server.url(path)).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn submit(
    server: &TestServer,
    slug: &str,
    body: &Value,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = server
        .client()
        .post(server.url(&format!("/api/v1/public/{slug}/demands")))
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn form(c: &City) -> Value {
    json!({
        "origin_unit": c.community,
        "category": "sanitation",
        "grade": "urgent",
        "title": "垃圾桶满溢无人清运",
        "description": "小区东门垃圾桶三天没有清运，气味很大",
        "address": "东一社区3栋旁",
        "resident_name": "李先生",
        "phone": "139 8765 4321",
    })
}

/// The names of the units a resident is offered under `parent` (the top ones for `None`).
async fn offered(server: &TestServer, slug: &str, parent: Option<&str>) -> Vec<(String, Value)> {
    let path = match parent {
        None => format!("/api/v1/public/{slug}/units"),
        Some(p) => format!("/api/v1/public/{slug}/units?parent={p}"),
    };
    let (status, body) = public_get(server, &path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap().to_owned(), u.clone()))
        .collect()
}

#[tokio::test]
async fn a_resident_finds_their_community_submits_online_and_follows_the_receipt() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let slug = &c.t.slug;

    // City → district → street → community, each a choice with a level below or not.
    let top = offered(&server, slug, None).await;
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].0, "测试市");
    let districts = offered(&server, slug, top[0].1["id"].as_str()).await;
    let names: Vec<&str> = districts.iter().map(|(n, _)| n.as_str()).collect();
    // 乙区 has no streets imported: a dead end, not offered (a resident could never finish).
    assert_eq!(names, ["甲区"]);
    let streets = offered(&server, slug, Some(&c.district)).await;
    assert!(streets.iter().any(|(n, _)| n == "东街道"));
    let communities = offered(&server, slug, Some(&c.east)).await;
    assert_eq!(communities.len(), 1);
    assert_eq!(communities[0].0, "东一社区");
    assert_eq!(communities[0].1["id"], c.community.as_str());
    assert_eq!(communities[0].1["has_children"], false);
    assert_eq!(districts[0].1["has_children"], true);

    let (status, categories) =
        public_get(&server, &format!("/api/v1/public/{slug}/categories")).await;
    assert_eq!(status, StatusCode::OK, "{categories}");
    let sanitation = categories
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "sanitation")
        .expect("the default categories are offered");
    assert_eq!(sanitation["label_zh"], "环境卫生");

    let (status, receipt) = submit(&server, slug, &form(&c), None).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    // 急 goes to the street above the community, with a reply deadline.
    assert_eq!(receipt["handling_unit"], "东街道");
    assert_eq!(receipt["status"], "received");
    assert!(receipt["reply_due_at"].is_string());
    let text = receipt.to_string();
    for personal in ["李先生", "13987654321", "139****4321", "东一社区3栋旁"] {
        assert!(
            !text.contains(personal),
            "the receipt shows {personal}: {text}"
        );
    }
    let code = receipt["receipt_code"].as_str().unwrap();

    // The resident follows it by the code; the receipt page shows what the form answered.
    let (status, followed) =
        public_get(&server, &format!("/api/v1/public/{slug}/demands/{code}")).await;
    assert_eq!(status, StatusCode::OK, "{followed}");
    assert_eq!(followed["handling_unit"], "东街道");
    assert_eq!(followed["title"], "垃圾桶满溢无人清运");

    // In the ledger: the online channel, no recorder, the phone sealed and masked.
    let (_, list) = c.t.admin.get("/api/v1/demands?channel=online").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let id = items[0]["id"].as_str().unwrap();
    let (status, d) = c.t.admin.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["channel"], "online");
    assert_eq!(d["receipt_code"], code);
    assert_eq!(d["phone"], "139****4321");
    assert_eq!(d["resident_name"], "李先生");
    assert_eq!(d["handling_unit"]["id"], c.east.as_str());

    // The chain took it like any other.
    let (status, verified) = c.t.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["intact"], true);
}

#[tokio::test]
async fn a_resubmission_under_one_key_answers_the_first_receipt() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let key = "3f6a0b9e-resident-form-1";
    let (status, first) = submit(&server, &c.t.slug, &form(&c), Some(key)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = submit(&server, &c.t.slug, &form(&c), Some(key)).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["receipt_code"], first["receipt_code"]);
    assert_eq!(demand_total(&c.t.admin).await, 1);

    // The same key with another matter is a mistake, not a new demand.
    let mut other = form(&c);
    other["title"] = json!("路灯不亮");
    let (status, body) = submit(&server, &c.t.slug, &other, Some(key)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["Idempotency-Key"],
        "idempotency_key_reused"
    );
    // Without a key, a second submission is a second demand.
    let (status, _) = submit(&server, &c.t.slug, &form(&c), None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(demand_total(&c.t.admin).await, 2);
}

#[tokio::test]
async fn bad_submissions_are_refused_clearly_and_record_nothing() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let other = city(&server).await;
    let slug = &c.t.slug;
    let with = |field: &str, value: Value| {
        let mut f = form(&c);
        f[field] = value;
        f
    };
    let cases = [
        // A street is not where a resident lives.
        (
            with("origin_unit", json!(c.east)),
            "origin_unit",
            "origin_not_community",
        ),
        // Another tenant's community, guessed or copied.
        (
            with("origin_unit", json!(other.community)),
            "origin_unit",
            "unknown_unit",
        ),
        (
            with("category", json!("bribery")),
            "category",
            "unknown_category",
        ),
        (with("description", json!("   ")), "description", "required"),
        (with("phone", json!("12345")), "phone", "invalid_phone"),
        (with("grade", json!("whenever")), "", ""),
    ];
    for (body, field, code) in cases {
        let (status, answer) = submit(&server, slug, &body, None).await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{body}: {status} {answer}"
        );
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        if !field.is_empty() {
            assert_eq!(answer["error"]["field_codes"][field], code, "{answer}");
        }
    }
    // An id-number field is not on the public form.
    let (status, answer) = submit(
        &server,
        slug,
        &with("id_number", json!("11010519491231002X")),
        None,
    )
    .await;
    assert!(status.is_client_error(), "{answer}");
    // Unknown, platform and suspended tenants have no form.
    for slug in ["no-such-city", "platform"] {
        let (status, answer) = submit(&server, slug, &form(&c), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{slug}: {answer}");
    }
    assert_eq!(demand_total(&c.t.admin).await, 0);
    assert_eq!(demand_total(&other.t.admin).await, 0);

    // One tenant's form never lists another's units.
    let (status, body) = public_get(
        &server,
        &format!("/api/v1/public/{}/units?parent={}", other.t.slug, c.east),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    for query in ["parent=nope", "colour=red"] {
        let (status, body) =
            public_get(&server, &format!("/api/v1/public/{slug}/units?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_query", "{query}: {body}");
    }
}

#[tokio::test]
async fn a_suspended_tenant_takes_no_online_submissions() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let operator = server.operator().await;
    let (status, body) = operator
        .post(
            &format!("/api/v1/platform/tenants/{}/suspend", c.t.id),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, answer) = submit(&server, &c.t.slug, &form(&c), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let (status, _) = public_get(&server, &format!("/api/v1/public/{}/units", c.t.slug)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn submissions_from_one_address_are_throttled_in_the_residents_language() {
    let server = TestServer::start_with(Options {
        public_demands_per_hour: Some(2),
        ..Default::default()
    })
    .await;
    let c = city(&server).await;
    // A refused submission does not count against the hour.
    let mut bad = form(&c);
    bad["category"] = json!("bribery");
    for _ in 0..3 {
        let (status, _) = submit(&server, &c.t.slug, &bad, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    for _ in 0..2 {
        let (status, body) = submit(&server, &c.t.slug, &form(&c), None).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = submit(&server, &c.t.slug, &form(&c), None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "submission_throttled");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("一小时")
    );
    let r = server
        .client()
        .post(server.url(&format!("/api/v1/public/{}/demands", c.t.slug)))
        .header("Accept-Language", "en")
        .json(&form(&c))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("an hour")
    );
    assert_eq!(demand_total(&c.t.admin).await, 2);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_resident_is_counted_apart() {
    let server = TestServer::start_with(Options {
        public_demands_per_hour: Some(1),
        trusted_proxy_hops: 1,
        ..Default::default()
    })
    .await;
    let c = city(&server).await;
    let from = |forwarded: &str| {
        server
            .client()
            .post(server.url(&format!("/api/v1/public/{}/demands", c.t.slug)))
            .header("X-Forwarded-For", forwarded)
            .json(&form(&c))
    };
    let status = |r: reqwest::Response| r.status();
    // Everyone reaches the server from the ingress's one address; the ingress names them.
    assert_eq!(
        status(from("203.0.113.7").send().await.unwrap()),
        StatusCode::CREATED
    );
    assert_eq!(
        status(from("203.0.113.7").send().await.unwrap()),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        status(from("198.51.100.4").send().await.unwrap()),
        StatusCode::CREATED
    );
    // An entry the client wrote itself, left of the ingress's, buys no fresh count.
    assert_eq!(
        status(from("192.0.2.99, 203.0.113.7").send().await.unwrap()),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(demand_total(&c.t.admin).await, 2);
}
