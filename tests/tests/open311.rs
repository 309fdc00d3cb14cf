//! Open311 GeoReport v2 at `/open311/v2`: a 12345 hotline's key files demands form-encoded,
//! they enter the ledger routed like any other, and the channel follows them without seeing
//! personal data; bad, revoked and foreign keys, foreign jurisdictions and communities outside
//! the key's area are refused with the specification's error array and file nothing.
mod common;

use common::{TestServer, city, unit_id};
use reqwest::StatusCode;
use serde_json::{Value, json};

const DESCRIPTION: &str = "小区东门垃圾站三天没有清运，气味很大，夏天招苍蝇，居民意见很大，请尽快安排清运并加强日常保洁。";

/// An Open311 call: status and JSON body.
async fn call(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = request.send().await.expect("the server answers");
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

async fn get(server: &TestServer, path: &str) -> (StatusCode, Value) {
    call(server.client().get(server.url(path))).await
}

async fn post_form(server: &TestServer, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    call(
        server
            .client()
            .post(server.url("/open311/v2/requests.json"))
            .form(fields),
    )
    .await
}

/// An error answer as the specification writes it: `[{"code": status, "description"}]`.
fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, mentions: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body[0]["code"], expected.as_u16(), "{body}");
    let description = body[0]["description"].as_str().unwrap_or("");
    assert!(
        description.contains(mentions),
        "{description:?} should mention {mentions:?}"
    );
}

/// Issues a key; answers (key, view).
async fn issue_key(
    admin: &common::Session,
    name: &str,
    channel: &str,
    unit: &str,
) -> (String, Value) {
    let (status, body) = admin
        .post(
            "/api/v1/tenant/api-keys",
            &json!({"name": name, "channel": channel, "unit_id": unit}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body["key"].as_str().expect("the key").to_owned(), body)
}

#[tokio::test]
async fn a_hotline_files_a_demand_that_is_routed_and_followed_without_personal_data() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let slug = c.t.slug.as_str();

    // The administrator issues a key for the district; it is shown once.
    let (key, issued) = issue_key(admin, "12345 热线", "hotline", &c.district).await;
    let tenant_hex = c.t.id.replace('-', "");
    assert!(key.starts_with(&format!("{tenant_hex}.")), "{key}");
    assert!(key.len() >= 33 + 32, "{key}");
    assert_eq!(issued["channel"], "hotline");
    assert_eq!(issued["unit_id"], c.district.as_str());
    assert_eq!(issued["unit_name"], "甲区");
    assert!(key.starts_with(issued["prefix"].as_str().unwrap()));
    let (status, keys) = admin.get("/api/v1/tenant/api-keys").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert!(keys[0].get("key").is_none(), "never shown again: {keys}");
    assert!(!keys.to_string().contains(&key[33..]));
    // A retried create makes no second key, and its answer does not repeat the key.
    let retry = |admin: &common::Session| {
        admin
            .request(reqwest::Method::POST, "/api/v1/tenant/api-keys")
            .header("Idempotency-Key", "hotline-key-1")
            .json(&json!({"name": "省平台", "channel": "online", "unit_id": c.city}))
    };
    let (status, first) = admin.send_raw(retry(admin)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(first["key"].is_string());
    let (status, again) = admin.send_raw(retry(admin)).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert!(again["key"].is_null(), "{again}");
    assert_eq!(
        admin
            .get("/api/v1/tenant/api-keys")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Issuing is in the operations log.
    let key_id = issued["id"].as_str().unwrap();
    let (_, log) = admin
        .get(&format!("/api/v1/operations-log?target_id={key_id}"))
        .await;
    assert_eq!(log["items"][0]["action"], "api_key.created");
    assert!(!log.to_string().contains(&key[33..]));

    // Discovery and the services: the tenant's categories that are not retired.
    let (status, discovery) = get(&server, "/open311/v2/discovery.json").await;
    assert_eq!(status, StatusCode::OK);
    let endpoint = &discovery["endpoints"][0];
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert_eq!(endpoint["formats"], json!(["application/json"]));
    let (status, _) = admin
        .patch(
            "/api/v1/tenant/categories/housing",
            &json!({"retired": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, services) = get(
        &server,
        &format!("/open311/v2/services.json?jurisdiction_id={slug}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{services}");
    let services = services.as_array().unwrap();
    let codes: Vec<&str> = services
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"sanitation") && codes.contains(&"daily_life"));
    assert!(!codes.contains(&"housing"), "retired: {codes:?}");
    let sanitation = services
        .iter()
        .find(|s| s["service_code"] == "sanitation")
        .unwrap();
    assert_eq!(sanitation["service_name"], "环境卫生");
    assert_eq!(sanitation["description"], "Sanitation");
    assert_eq!(sanitation["metadata"], false);
    assert_eq!(sanitation["type"], "realtime");
    assert!(
        sanitation["keywords"]
            .as_str()
            .unwrap()
            .contains("sanitation")
    );
    assert!(sanitation["group"].is_string());
    let (status, definition) = get(
        &server,
        &format!("/open311/v2/services/sanitation.json?jurisdiction_id={slug}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        definition,
        json!({"service_code": "sanitation", "attributes": []})
    );
    let (status, body) = get(
        &server,
        &format!("/open311/v2/services/housing.json?jurisdiction_id={slug}"),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "housing");

    // Streets must resolve within 10 days here, so a replied request expects its resolution.
    let (_, mut rules) = admin.get("/api/v1/tenant/demand-rules").await;
    for rule in rules["deadlines"].as_array_mut().unwrap() {
        if rule["tier"] == "street" {
            rule["resolve_days"] = json!(10);
        }
    }
    let (status, body) = admin.put("/api/v1/tenant/demand-rules", &rules).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The hotline posts a request, form-encoded, as the specification says.
    let (status, answer) = post_form(
        &server,
        &[
            ("api_key", &key),
            ("jurisdiction_id", slug),
            ("service_code", "sanitation"),
            ("description", DESCRIPTION),
            ("origin_unit", "990101001001"),
            ("address_string", "东一社区 3 栋东门"),
            ("first_name", "阿姨"),
            ("last_name", "王"),
            ("phone", "13812345678"),
            ("email", "resident@example.com"),
            ("lat", "28.68"),
            ("long", "115.86"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let receipt = answer[0]["service_request_id"].as_str().unwrap().to_owned();
    assert_eq!(receipt.len(), 14, "{receipt}");
    assert!(answer[0]["account_id"].is_null());
    assert!(
        answer[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("东街道")
    );

    // It is in the ledger: channel hotline, routed like any 急 demand to the street.
    let (_, list) = admin.get("/api/v1/demands?channel=hotline").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let d = &items[0];
    assert_eq!(d["receipt_code"], receipt.as_str());
    assert_eq!(d["channel"], "hotline");
    assert_eq!(d["grade"], "urgent");
    assert_eq!(d["category"], "sanitation");
    assert_eq!(d["handling_unit"]["id"], c.east.as_str());
    assert_eq!(d["handling_tier"], "street");
    assert_eq!(d["origin_unit"]["id"], c.community.as_str());
    assert_eq!(
        d["title"].as_str().unwrap(),
        DESCRIPTION.chars().take(30).collect::<String>()
    );
    assert_eq!(d["description"], DESCRIPTION);
    assert_eq!(d["resident_name"], "王阿姨");
    assert_eq!(d["phone"], "138****5678");
    let id = d["id"].as_str().unwrap().to_owned();
    let (_, events) = admin.get(&format!("/api/v1/demands/{id}/events")).await;
    assert_eq!(events[0]["actor_username"], "api_key:12345 热线");

    // Anyone with the code reads its progress: no personal data.
    let path = format!("/open311/v2/requests/{receipt}.json?jurisdiction_id={slug}");
    let (status, one) = get(&server, &path).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let r = &one[0];
    assert_eq!(r["service_request_id"], receipt.as_str());
    assert_eq!(r["status"], "open");
    assert_eq!(r["agency_responsible"], "东街道");
    assert_eq!(r["service_code"], "sanitation");
    assert_eq!(r["service_name"], "环境卫生");
    assert_eq!(r["description"], DESCRIPTION);
    // The address was stored with the demand but is not shown to whoever holds the code.
    assert!(r.get("address").is_none(), "{r}");
    assert!(!one.to_string().contains("3 栋东门"));
    assert!(r["status_notes"].is_null());
    let at = |v: &Value| -> chrono::DateTime<chrono::Utc> {
        v.as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("a time: {v}"))
    };
    assert_eq!(at(&r["expected_datetime"]), at(&d["reply_due_at"]));
    assert_eq!(at(&r["requested_datetime"]), at(&d["received_at"]));
    assert!(
        r["requested_datetime"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    let text = one.to_string();
    for secret in ["13812345678", "****", "王阿姨", "resident@example.com"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    // The street replies: the reply is the status note, the resolve deadline is expected next.
    for (action, body) in [
        ("accept", json!({})),
        ("reply", json!({"text": "已安排环卫车今日清运"})),
    ] {
        let (status, after) = admin
            .post(&format!("/api/v1/demands/{id}/{action}"), &body)
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {after}");
    }
    let (_, now) = admin.get(&format!("/api/v1/demands/{id}")).await;
    let (_, one) = get(&server, &path).await;
    assert_eq!(one[0]["status_notes"], "已安排环卫车今日清运");
    assert_ne!(now["resolve_due_at"], now["reply_due_at"]);
    assert_eq!(at(&one[0]["expected_datetime"]), at(&now["resolve_due_at"]));

    // A JSON body works too; the grade decides the tier (愁 → the district).
    let (status, answer) = call(
        server
            .client()
            .post(server.url("/open311/v2/requests.json"))
            .json(&json!({"api_key": key, "jurisdiction_id": slug, "service_code": "daily_life",
                "description": "小区电梯经常停运", "origin_unit": c.community, "grade": "worrying"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let second = answer[0]["service_request_id"].as_str().unwrap().to_owned();
    let (_, by_code) = get(
        &server,
        &format!("/open311/v2/requests.json?jurisdiction_id={slug}&service_request_id={second}"),
    )
    .await;
    assert_eq!(by_code[0]["agency_responsible"], "甲区");

    // By codes: exactly those (unknown codes are left out), in the order asked.
    let (status, both) = get(
        &server,
        &format!(
            "/open311/v2/requests.json?jurisdiction_id={slug}&service_request_id={second},AAAA-BBBB-CCCC,{}",
            receipt.to_lowercase()
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{both}");
    let ids: Vec<&str> = both
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), receipt.as_str()]);

    // A list without codes needs the tenant's key and covers the key's subtree.
    let list_path = format!("/open311/v2/requests.json?jurisdiction_id={slug}");
    let (status, body) = get(&server, &list_path).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "api_key");
    let (status, all) = get(&server, &format!("{list_path}&api_key={key}")).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(
        all[0]["service_request_id"],
        second.as_str(),
        "newest first"
    );
    let (_, open_sanitation) = get(
        &server,
        &format!("{list_path}&api_key={key}&service_code=sanitation&status=open"),
    )
    .await;
    assert_eq!(open_sanitation.as_array().unwrap().len(), 1);
    let (_, closed) = get(&server, &format!("{list_path}&api_key={key}&status=closed")).await;
    assert_eq!(closed, json!([]));
    // A street's key sees only its street: a demand of the west street is not in its list.
    let west_community = unit_id(admin, "990101002001").await;
    let (_, west) = admin
        .post(
            "/api/v1/demands",
            &common::intake(&west_community, "urgent"),
        )
        .await;
    let (east_key, _) = issue_key(admin, "东街道热线", "hotline", &c.east).await;
    let (_, east_list) = get(&server, &format!("{list_path}&api_key={east_key}")).await;
    let east_ids: Vec<&str> = east_list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap())
        .collect();
    assert!(east_ids.contains(&receipt.as_str()), "{east_list}");
    assert!(!east_ids.contains(&west["receipt_code"].as_str().unwrap()));
    let (status, body) = get(
        &server,
        &format!("{list_path}&api_key={key}&start_date=yesterday"),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "start_date");
}

#[tokio::test]
async fn bad_revoked_and_foreign_keys_and_bad_fields_are_refused_and_file_nothing() {
    let server = TestServer::start().await;
    let a = city(&server).await;
    let b = city(&server).await;
    let (key, _) = issue_key(&a.t.admin, "12345 热线", "hotline", &a.district).await;
    let (street_key, _) = issue_key(&a.t.admin, "东街道", "online", &a.east).await;
    let base = |key: &str, slug: &str| -> Vec<(String, String)> {
        [
            ("api_key", key),
            ("jurisdiction_id", slug),
            ("service_code", "sanitation"),
            ("description", DESCRIPTION),
            ("origin_unit", "990101001001"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    };
    let send = |fields: Vec<(String, String)>| {
        let server = &server;
        async move {
            call(
                server
                    .client()
                    .post(server.url("/open311/v2/requests.json"))
                    .form(&fields),
            )
            .await
        }
    };
    let without = |mut fields: Vec<(String, String)>, name: &str| {
        fields.retain(|(k, _)| k != name);
        fields
    };
    let with = |mut fields: Vec<(String, String)>, name: &str, value: &str| {
        fields.retain(|(k, _)| k != name);
        fields.push((name.to_owned(), value.to_owned()));
        fields
    };
    let a_slug = a.t.slug.as_str();
    let b_slug = b.t.slug.as_str();

    // A's key with B's jurisdiction: 403, and nothing is filed in B (B has the same codes).
    let (status, body) = send(base(&key, b_slug)).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, b_slug);
    // No key, a made-up key, a key with a made-up tenant.
    let (status, body) = send(without(base(&key, a_slug), "api_key")).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "api_key");
    let forged = format!("{}.{}", a.t.id.replace('-', ""), "x".repeat(43));
    for bad in ["not-a-key", forged.as_str()] {
        let (status, body) = send(base(bad, a_slug)).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "api_key");
    }
    // Jurisdiction missing → 400; unknown → 404.
    let (status, body) = send(without(base(&key, a_slug), "jurisdiction_id")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "jurisdiction_id");
    let (status, body) = send(base(&key, "no-such-city")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "no-such-city");
    // Required fields and bad values: 400 naming them; an unknown service: 404.
    for field in ["service_code", "description", "origin_unit"] {
        let (status, body) = send(without(base(&key, a_slug), field)).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, field);
    }
    let (status, body) = send(with(base(&key, a_slug), "service_code", "potholes")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "potholes");
    let (status, body) = send(with(base(&key, a_slug), "grade", "dire")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "grade");
    let (status, body) = send(with(base(&key, a_slug), "phone", "12ab")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "phone");
    let (status, body) = send(with(base(&key, a_slug), "origin_unit", "990199999999")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "990199999999");
    // A street is not a community; a community outside the key's unit is outside its area.
    let (status, body) = send(with(base(&key, a_slug), "origin_unit", "990101001000")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "not a community");
    let (status, body) = send(with(
        base(&street_key, a_slug),
        "origin_unit",
        "990101002001",
    ))
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "outside the area");
    // Nothing above was filed, in A or in B.
    for admin in [&a.t.admin, &b.t.admin] {
        let (_, list) = admin.get("/api/v1/demands").await;
        assert_eq!(list["items"], json!([]), "{list}");
    }

    // The key works, until it is revoked; then it is a 403 at once, for posting and listing.
    let (status, body) = send(base(&key, a_slug)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let receipt = body[0]["service_request_id"].as_str().unwrap().to_owned();
    let (_, keys) = a.t.admin.get("/api/v1/tenant/api-keys").await;
    let key_id = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "12345 热线")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, revoked) =
        a.t.admin
            .post(
                &format!("/api/v1/tenant/api-keys/{key_id}/revoke"),
                &json!({}),
            )
            .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    let (status, body) = send(base(&key, a_slug)).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "revoked");
    let (status, body) = get(
        &server,
        &format!("/open311/v2/requests.json?jurisdiction_id={a_slug}&api_key={key}"),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "api_key");
    // Revoking again changes nothing; the log holds one creation and one revocation.
    let (status, again) =
        a.t.admin
            .post(
                &format!("/api/v1/tenant/api-keys/{key_id}/revoke"),
                &json!({}),
            )
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["revoked_at"], revoked["revoked_at"]);
    let (_, log) =
        a.t.admin
            .get(&format!("/api/v1/operations-log?target_id={key_id}"))
            .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["api_key.revoked", "api_key.created"]);

    // Reads: A's code is not found under B's jurisdiction; B's key cannot list A.
    let (status, body) = get(
        &server,
        &format!("/open311/v2/requests/{receipt}.json?jurisdiction_id={b_slug}"),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, &receipt);
    let (_, none) = get(
        &server,
        &format!("/open311/v2/requests.json?jurisdiction_id={b_slug}&service_request_id={receipt}"),
    )
    .await;
    assert_eq!(none, json!([]));
    let (b_key, _) = issue_key(&b.t.admin, "乙热线", "hotline", &b.city).await;
    let (status, body) = get(
        &server,
        &format!("/open311/v2/requests.json?jurisdiction_id={a_slug}&api_key={b_key}"),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, a_slug);
    // Missing jurisdiction on reads: 400; only JSON is served.
    let (status, body) = get(&server, "/open311/v2/services.json").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "jurisdiction_id");
    let (status, body) = get(
        &server,
        &format!("/open311/v2/requests/{receipt}.xml?jurisdiction_id={a_slug}"),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "JSON");
    let (status, body) = get(&server, "/open311/v2/services.xml").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "JSON");

    // Only whole-tenant administrators manage keys.
    let cadre = common::person(&server, &a.t, "east-cadre", "cadre", &a.east).await;
    assert_eq!(
        cadre.get("/api/v1/tenant/api-keys").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _) = cadre
        .post(
            "/api/v1/tenant/api-keys",
            &json!({"name": "x", "channel": "hotline", "unit_id": a.east}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A key's unit must exist in the tenant: B's unit is unknown to A.
    let (status, body) =
        a.t.admin
            .post(
                "/api/v1/tenant/api-keys",
                &json!({"name": "x", "channel": "hotline", "unit_id": b.district}),
            )
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["unit_id"], "unknown_unit");
}
