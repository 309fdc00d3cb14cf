//! Bad input gets a 4xx with a stable code and a message a person can act on, in their
//! language — never a 500 — and changes nothing.
mod common;

use common::{ADMIN_PASSWORD, TestServer, city, intake};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn malformed_wrong_typed_and_unknown_fields_are_refused_with_codes() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            t.admin
                .request(Method::POST, "/api/v1/units")
                .header("content-type", "application/json")
                .body("{\"name\": "),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "trailing garbage",
            t.admin
                .request(Method::POST, "/api/v1/units")
                .header("content-type", "application/json")
                .body("{\"name\":\"a\"} x"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "wrong type",
            t.admin
                .request(Method::POST, "/api/v1/units")
                .json(&json!({"name": 42})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown field",
            t.admin
                .request(Method::POST, "/api/v1/units")
                .json(&json!({"name": "x", "colour": "red"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "not JSON at all",
            t.admin
                .request(Method::POST, "/api/v1/units")
                .header("content-type", "text/plain")
                .body("name=x"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "oversized body",
            t.admin
                .request(Method::POST, "/api/v1/units")
                .header("content-type", "application/json")
                .body(format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "bad UUID",
            t.admin.request(Method::GET, "/api/v1/units/not-a-uuid"),
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
        (
            "unknown id",
            t.admin.request(
                Method::GET,
                &format!("/api/v1/units/{}", uuid::Uuid::new_v4()),
            ),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "limit too large",
            t.admin.request(Method::GET, "/api/v1/units?limit=501"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_limit",
        ),
        (
            "limit zero",
            t.admin.request(Method::GET, "/api/v1/accounts?limit=0"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_limit",
        ),
        (
            "limit not a number",
            t.admin.request(Method::GET, "/api/v1/units?limit=ten"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "unknown query parameter",
            t.admin.request(Method::GET, "/api/v1/units?colour=red"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
        ),
        (
            "forged cursor",
            t.admin.request(Method::GET, "/api/v1/units?cursor=%%%"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_cursor",
        ),
        (
            "unknown route",
            t.admin.request(Method::GET, "/api/v1/no-such-thing"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "wrong method",
            t.admin.request(Method::PUT, "/api/v1/units"),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (what, request, status, code) in cases {
        let (got, body) = t.admin.send_raw(request).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}: {body}"
        );
    }
    for token in [
        None,
        Some("x.y"),
        Some("0190c2a0e2b07c3a8c1b2d3e4f506172.forged"),
    ] {
        let mut request = server.client().get(server.url("/api/v1/units"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "token {token:?}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated");
    }
    // Nothing above created anything.
    let (_, roots) = t.admin.get("/api/v1/units/roots").await;
    assert_eq!(roots["items"], json!([]));
}

#[tokio::test]
async fn messages_follow_accept_language() {
    let server = TestServer::start().await;
    let zh = server
        .client()
        .get(server.url("/api/v1/units"))
        .send()
        .await
        .unwrap();
    let zh: serde_json::Value = zh.json().await.unwrap();
    assert_eq!(zh["error"]["message"], "请先登录。");
    let en = server
        .client()
        .get(server.url("/api/v1/units"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(en.headers()["content-language"], "en");
    let en: serde_json::Value = en.json().await.unwrap();
    assert_eq!(en["error"]["code"], "unauthenticated");
    assert_eq!(en["error"]["message"], "Please log in first.");
}

#[tokio::test]
async fn field_errors_name_every_bad_field() {
    let server = TestServer::start().await;
    let operator = server.operator().await;
    let (status, body) = operator
        .post(
            "/api/v1/platform/tenants",
            &json!({"slug": "Bad Slug", "kind": "village", "name_zh": " ", "name_en": "ok", "time_zone": "Mars/Base"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = body["error"]["fields"].as_object().unwrap();
    let mut names: Vec<_> = fields.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["kind", "name_zh", "slug", "time_zone"]);
    let (status, body) = operator
        .post(
            "/api/v1/platform/tenants",
            &json!({"slug": "platform", "kind": "city", "name_zh": "x", "name_en": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["slug"], "该标识为保留字。");
}

#[tokio::test]
async fn duplicates_are_conflicts_not_500s() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    let operator = server.operator().await;
    let (status, body) = operator
        .post(
            "/api/v1/platform/tenants",
            &json!({"slug": t.slug, "kind": "city", "name_zh": "重复", "name_en": "dup"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "slug_taken");

    let (status, _) = t
        .admin
        .post(
            "/api/v1/units",
            &json!({"name": "甲市", "code": "880100000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = t
        .admin
        .post(
            "/api/v1/units",
            &json!({"name": "乙市", "code": "880100000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "code_taken");

    let (status, _) = t
        .admin
        .post(
            "/api/v1/accounts",
            &json!({"username": "dup-user", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = t
        .admin
        .post(
            "/api/v1/accounts",
            &json!({"username": "dup-user", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "username_taken");
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retry_return_the_first_result() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    let send = |name: &str| {
        t.admin
            .request(Method::POST, "/api/v1/units")
            .header("idempotency-key", "create-city-1")
            .json(&json!({"name": name}))
    };
    let (s1, first) = t.admin.send_raw(send("幂等市")).await;
    let (s2, second) = t.admin.send_raw(send("幂等市")).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first["id"], second["id"]);
    let (_, roots) = t.admin.get("/api/v1/units/roots").await;
    assert_eq!(roots["items"].as_array().unwrap().len(), 1);
    // The same key with another body is refused.
    let (status, body) = t.admin.send_raw(send("另一个市")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "idempotency_key_reused");
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let server = TestServer::start().await;
    let r = server
        .client()
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = server
        .client()
        .get(server.url("/readyz"))
        .header("x-request-id", "req-from-test-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-request-id"], "req-from-test-42");
    let r = server
        .client()
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(!r.headers()["x-request-id"].is_empty());
}

/// Intake reads its body as every other form does: an unknown field is a 422 naming it, and
/// a body that does not say it is JSON (no `Content-Type`, or another) is a 415; nothing is
/// recorded.
#[tokio::test]
async fn intake_refuses_unknown_fields_and_bodies_not_declared_json() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let mut extra = intake(&c.community, "urgent");
    extra["priority"] = json!("vip");
    let (status, body) = admin.post("/api/v1/demands", &extra).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_body", "{body}");
    let text = intake(&c.community, "urgent").to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        for path in ["/api/v1/demands", "/api/v1/units"] {
            let mut request = admin.request(Method::POST, path).body(text.clone());
            if let Some(ct) = content_type {
                request = request.header("content-type", ct);
            }
            let (status, body) = admin.send_raw(request).await;
            assert_eq!(
                status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{path} {content_type:?}: {body}"
            );
            assert_eq!(body["error"]["code"], "unsupported_media_type");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
        }
    }
    assert_eq!(common::demand_total(admin).await, 0);
}

/// A caller's `x-request-id` is echoed (and logged) only when it is a short, safe token;
/// any other is replaced by a new id, as when none is sent.
#[tokio::test]
async fn a_request_id_is_kept_only_when_short_and_safe() {
    let server = TestServer::start().await;
    let id_of = |value: reqwest::header::HeaderValue| {
        let request = server
            .client()
            .get(server.url("/healthz"))
            .header("x-request-id", value);
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.headers()["x-request-id"].to_str().unwrap().to_owned()
        }
    };
    let value = |s: &[u8]| reqwest::header::HeaderValue::from_bytes(s).unwrap();
    for kept in ["req-from-test-42", "a.b_c-D9", &"x".repeat(64)] {
        assert_eq!(id_of(value(kept.as_bytes())).await, kept);
    }
    for replaced in [
        "x".repeat(65).into_bytes(),
        b"<script>alert(1)</script>".to_vec(),
        b"a b".to_vec(),
        b"id;drop".to_vec(),
        "请求".as_bytes().to_vec(),
        "x".repeat(8 * 1024).into_bytes(),
    ] {
        let got = id_of(value(&replaced)).await;
        assert_ne!(got.as_bytes(), replaced.as_slice());
        assert!(uuid::Uuid::parse_str(&got).is_ok(), "a new id: {got}");
    }
    // Two ids in one request: neither is the request's.
    let r = server
        .client()
        .get(server.url("/healthz"))
        .header("x-request-id", "one")
        .header("x-request-id", "two")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = r.headers().get_all("x-request-id").iter().collect();
    assert_eq!(ids.len(), 1);
    assert!(uuid::Uuid::parse_str(ids[0].to_str().unwrap()).is_ok());
}

#[tokio::test]
async fn a_missing_required_field_is_named_as_required_like_a_blank_one() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let required = |body: &serde_json::Value, field: &str| {
        assert_eq!(
            body["error"]["code"], "validation_failed",
            "{field}: {body}"
        );
        let codes = body["error"]["field_codes"].as_object().unwrap();
        assert_eq!(codes.len(), 1, "{field}: {body}");
        assert_eq!(codes[field], "required", "{field}: {body}");
        assert_eq!(body["error"]["fields"][field], "必填。", "{body}");
    };

    let (_, units_before) = admin.get("/api/v1/units?limit=500").await;

    // A typed body (`ApiJson`): left out, or blank, the same answer naming the field.
    for body in [
        json!({"parent_id": c.city}),
        json!({"parent_id": c.city, "name": " "}),
    ] {
        let (status, answer) = admin.post("/api/v1/units", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        required(&answer, "name");
    }
    // Nested: the path to it.
    let (status, answer) = admin
        .post(
            "/api/v1/accounts",
            &json!({"username": "no-role", "grants": [{"unit_id": c.east}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    required(&answer, "grants[0].role");
    // An action on a demand: a rejection without its reason, as an empty object or no body at
    // all, like a blank reason.
    let (status, d) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let reject = format!("/api/v1/demands/{}/reject", d["id"].as_str().unwrap());
    for request in [
        admin.request(Method::POST, &reject).json(&json!({})),
        admin.request(Method::POST, &reject),
        admin
            .request(Method::POST, &reject)
            .json(&json!({"reason": "  "})),
    ] {
        let (status, answer) = admin.send_raw(request).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        required(&answer, "reason");
    }
    // In English too.
    let (_, answer) = admin
        .send_raw(
            admin
                .request(Method::POST, &reject)
                .header("accept-language", "en")
                .json(&json!({})),
        )
        .await;
    assert_eq!(answer["error"]["fields"]["reason"], "Required.", "{answer}");
    // Other decoding errors keep their code: a wrong type, an unknown field.
    let (status, answer) = admin
        .post("/api/v1/units", &json!({"parent_id": c.city, "name": 42}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_body", "{answer}");
    assert_eq!(
        answer["error"]["field_codes"],
        json!({"name": "invalid_body"})
    );
    let (status, answer) = admin
        .post(
            "/api/v1/units",
            &json!({"parent_id": c.city, "name": "甲区", "colour": "red"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_body", "{answer}");

    // Nothing was written: no unit, no account, the demand only received.
    let (_, units_after) = admin.get("/api/v1/units?limit=500").await;
    assert_eq!(units_after, units_before);
    let (_, accounts) = admin.get("/api/v1/accounts").await;
    assert!(!accounts.to_string().contains("no-role"), "{accounts}");
    let (_, events) = admin
        .get(&format!(
            "/api/v1/demands/{}/events",
            d["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(events.as_array().unwrap().len(), 1, "{events}");
}
