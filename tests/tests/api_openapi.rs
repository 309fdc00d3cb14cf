//! The OpenAPI document stays true: every route the router serves under `/api/v1` is in it with
//! its method (the expected list is the router's own table, `minqing_http::router::api_routes`),
//! its references resolve, every error answer is the one `ErrorResponse` schema — which is what
//! the server really writes — and `/api/docs` renders it.
mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::TestServer;
use reqwest::{Method, StatusCode, header};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(server: &TestServer) -> Value {
    let r = server
        .client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(r.status(), StatusCode::OK, "the document needs no login");
    let content_type = r.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    r.json().await.expect("the document is JSON")
}

/// (METHOD, path) → operation, for every operation in the document.
fn operations(doc: &Value) -> BTreeMap<(String, String), &Value> {
    let mut ops = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                ops.insert((method.to_uppercase(), path.clone()), op);
            }
        }
    }
    ops
}

/// The router's own table, as (METHOD, path).
fn served_routes() -> BTreeSet<(String, String)> {
    minqing_http::router::api_routes()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_owned(), path))
        .collect()
}

/// `#/components/schemas/X` → the schema X.
fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("a local reference: {reference}"));
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("{reference} does not resolve"))
}

fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Whether an operation needs no login (`security: [{}]` or `[]`).
fn is_public(op: &Value) -> bool {
    op.get("security")
        .and_then(Value::as_array)
        .is_some_and(|reqs| reqs.is_empty() || reqs.iter().any(|r| r == &serde_json::json!({})))
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_every_route_the_router_serves() {
    let server = TestServer::start().await;
    let doc = document(&server).await;

    let version = doc["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with("3.1."), "OpenAPI {version}");
    assert_eq!(doc["info"]["title"], "Minqing API");
    assert!(!doc["info"]["version"].as_str().unwrap_or("").is_empty());

    let ops = operations(&doc);
    let documented: BTreeSet<(String, String)> = ops.keys().cloned().collect();
    let served = served_routes();
    assert!(
        served.len() > 30,
        "the router's table looks too short: {served:?}"
    );
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the document: {undocumented:?}"
    );
    let phantom: Vec<_> = documented
        .iter()
        .filter(|(_, path)| path.starts_with("/api/v1/"))
        .filter(|route| !served.contains(*route))
        .collect();
    assert!(
        phantom.is_empty(),
        "in the document but not served: {phantom:?}"
    );
    for health in ["/healthz", "/readyz"] {
        assert!(
            documented.contains(&("GET".to_owned(), health.to_owned())),
            "GET {health} is documented"
        );
    }

    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for tag in [
        "auth",
        "platform",
        "tenant",
        "units",
        "accounts",
        "operations-log",
        "health",
    ] {
        assert!(tags.contains(tag), "tag {tag} is declared");
    }
    let mut operation_ids = BTreeSet::new();
    for ((method, path), op) in &ops {
        let route = format!("{method} {path}");
        let op_tags = op["tags"].as_array().expect("tags");
        assert_eq!(op_tags.len(), 1, "{route} has one tag");
        assert!(
            tags.contains(op_tags[0].as_str().unwrap()),
            "{route}: undeclared tag"
        );
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{route} has a summary"
        );
        let id = op["operationId"].as_str().expect("an operationId");
        assert!(
            operation_ids.insert(id.to_owned()),
            "operationId {id} is unique"
        );
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{route} documents its success"
        );
        if !is_public(op) {
            assert!(
                responses.contains_key("401"),
                "{route} needs a login and documents 401"
            );
        }
        // A control character in any path or query is a 422 `control_character`.
        if !path.starts_with("/open311/") {
            assert!(responses.contains_key("422"), "{route} documents 422");
        }
        // Path parameters are declared.
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            let declared = op["parameters"].as_array().is_some_and(|params| {
                params
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true)
            });
            assert!(declared, "{route} declares its path parameter {name}");
        }
    }

    // Login, the document and health need no login; the rest needs the bearer scheme.
    for (method, path) in [
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
    ] {
        assert!(
            is_public(ops[&(method.to_owned(), path.to_owned())]),
            "{method} {path} is public"
        );
    }
    assert_eq!(doc["security"], serde_json::json!([{"bearer": []}]));
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    assert!(
        bearer["description"]
            .as_str()
            .unwrap_or("")
            .contains("x-csrf-token")
    );

    // The creating POSTs take an Idempotency-Key; the imports take a multipart file.
    for path in [
        "/api/v1/units",
        "/api/v1/accounts",
        "/api/v1/platform/tenants",
    ] {
        let op = ops[&("POST".to_owned(), path.to_owned())];
        assert!(
            op["parameters"].as_array().is_some_and(|ps| ps
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")),
            "POST {path} documents Idempotency-Key"
        );
        assert!(
            op["responses"].get("201").is_some(),
            "POST {path} answers 201"
        );
    }
    for path in ["/api/v1/units/import", "/api/v1/accounts/import"] {
        let op = ops[&("POST".to_owned(), path.to_owned())];
        assert!(
            op["requestBody"]["content"]
                .get("multipart/form-data")
                .is_some(),
            "POST {path} takes multipart/form-data"
        );
    }

    // Every reference resolves.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        resolve(&doc, r);
    }
}

#[tokio::test]
async fn every_error_answer_is_the_error_schema_and_the_server_writes_that_shape() {
    let server = TestServer::start().await;
    let doc = document(&server).await;

    let error = &doc["components"]["schemas"]["ErrorResponse"];
    assert_eq!(error["required"], serde_json::json!(["error"]));
    let body = match error["properties"]["error"].get("$ref") {
        Some(r) => resolve(&doc, r.as_str().unwrap()),
        None => &error["properties"]["error"],
    };
    let properties: BTreeSet<&str> = body["properties"]
        .as_object()
        .expect("the error body's properties")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        properties,
        BTreeSet::from(["code", "message", "fields", "field_codes", "rows"])
    );
    let required: BTreeSet<&str> = body["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        required,
        BTreeSet::from(["code", "message", "fields", "field_codes"])
    );

    // Every documented 4xx refers to ErrorResponse, directly or through components/responses.
    for ((method, path), op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            if !status.starts_with('4') {
                continue;
            }
            let response = match response.get("$ref") {
                Some(r) => resolve(&doc, r.as_str().unwrap()),
                None => response,
            };
            assert_eq!(
                response["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorResponse",
                "{method} {path} {status}"
            );
        }
    }

    // The server answers in that shape: every protected route without a login is a 401 body
    // with exactly the documented fields (and each route in the table is really served: no 404
    // from the fallback, no 405).
    let ops = operations(&doc);
    for (method, path) in served_routes() {
        let url = path
            .replace("{id}", "00000000-0000-0000-0000-000000000000")
            .replace("{grant_id}", "00000000-0000-0000-0000-000000000000")
            .replace("{key}", "city")
            .replace("{year}", "2026")
            .replace("{action}", "accept")
            .replace("{tenant}", "nobody")
            .replace("{code}", "AAAA-BBBB-CCCC");
        let r = server
            .client()
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                server.url(&url),
            )
            .send()
            .await
            .expect("the server answers");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        if is_public(ops[&(method.clone(), path.clone())]) {
            // A receipt code nobody has is a 404 from the handler itself.
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            continue;
        }
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is served: {status} {text}"
        );
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {text}");
        let body: Value = serde_json::from_str(&text).expect("a JSON error body");
        let keys: BTreeSet<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BTreeSet::from(["error"]), "{method} {path}: {body}");
        let fields: BTreeSet<&str> = body["error"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert!(
            fields.is_subset(&properties) && required.is_subset(&fields),
            "{method} {path}: {body}"
        );
        assert_eq!(body["error"]["code"], "unauthenticated");
    }
}

#[tokio::test]
async fn the_docs_page_is_html_that_renders_the_document() {
    let server = TestServer::start().await;
    let r = server
        .client()
        .get(server.url("/api/docs"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(r.status(), StatusCode::OK);
    let content_type = r.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = r.text().await.unwrap();
    assert!(page.contains("<html"), "an HTML page");
    assert!(
        page.contains("/api/v1/openapi.json"),
        "it loads the document"
    );
    assert!(
        !page.contains("https://") && !page.contains("http://"),
        "it loads nothing from elsewhere"
    );
}
