//! U+0000 and the other C0 controls (tab, newline and carriage return aside) are refused at the
//! edge — in JSON bodies (escaped or raw), paths, query strings, forms and imported files —
//! with 422 `control_character` naming where, the same on SQLite and PostgreSQL (which cannot
//! store U+0000 and answered 500 in about 40 places), and nothing is written.
mod common;

use common::{City, Session, TestServer, city, demand_total, intake};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A 422 `control_character` naming `field`, in words.
fn assert_refused(case: &str, status: StatusCode, body: &Value, field: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{case}: {body}");
    assert_eq!(body["error"]["code"], "control_character", "{case}: {body}");
    assert_eq!(
        body["error"]["field_codes"][field], "control_character",
        "{case}: {body}"
    );
    let message = body["error"]["fields"][field].as_str().unwrap_or("");
    assert!(message.contains("控制字符"), "{case}: {body}");
}

async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = request.send().await.expect("the server answers");
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn a_control_character_anywhere_a_request_carries_text_is_a_422_naming_it() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let slug = c.t.slug.as_str();
    let client = server.client();

    // Without a login: (case, request, the field named).
    let public: Vec<(&str, reqwest::RequestBuilder, &str)> = vec![
        (
            "login tenant",
            client
                .post(server.url("/api/v1/auth/login"))
                .json(&json!({"tenant": "nan\u{0}chang", "username": "admin", "password": "x"})),
            "tenant",
        ),
        (
            "login username, a raw control in the JSON",
            client
                .post(server.url("/api/v1/auth/login"))
                .header("content-type", "application/json")
                .body(format!(
                    "{{\"tenant\":\"{slug}\",\"username\":\"ad\u{1}min\",\"password\":\"x\"}}"
                )),
            "body",
        ),
        (
            "public units path",
            client.get(server.url("/api/v1/public/nan%00chang/units")),
            "path",
        ),
        (
            "public receipt path",
            client.get(server.url(&format!("/api/v1/public/{slug}/demands/AAAA-BBBB-CC%00C"))),
            "path",
        ),
        (
            "public units query",
            client.get(server.url(&format!("/api/v1/public/{slug}/units?parent=%01"))),
            "parent",
        ),
        (
            "online form title",
            client
                .post(server.url(&format!("/api/v1/public/{slug}/demands")))
                .json(&json!({
                    "origin_unit": c.community, "category": "sanitation",
                    "title": "垃圾\u{0}桶", "description": "三天没有清运",
                })),
            "title",
        ),
        (
            "the portal's page path",
            client.get(server.url(&format!("/public/{slug}%00/report"))),
            "path",
        ),
    ];
    for (case, request, field) in public {
        let (status, body) = answer(request).await;
        assert_refused(case, status, &body, field);
    }

    // Open311 answers in its own shape, with the status, the parameter and the code.
    let (key, _) = {
        let (status, body) = admin
            .post(
                "/api/v1/tenant/api-keys",
                &json!({"name": "12345", "channel": "hotline", "unit_id": c.city}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body["key"].as_str().unwrap().to_owned(), body)
    };
    let open311: Vec<(&str, reqwest::RequestBuilder, &str)> = vec![
        (
            "Open311 jurisdiction_id",
            client.get(server.url("/open311/v2/services.json?jurisdiction_id=nan%00chang")),
            "jurisdiction_id",
        ),
        (
            "Open311 form description",
            client.post(server.url("/open311/v2/requests.json")).form(&[
                ("jurisdiction_id", slug),
                ("api_key", key.as_str()),
                ("service_code", "sanitation"),
                ("origin_unit", "990101001001"),
                ("description", "垃圾站\u{0}没有清运"),
            ]),
            "description",
        ),
        (
            "Open311 JSON first_name",
            client
                .post(server.url("/open311/v2/requests.json"))
                .json(&json!({
                    "jurisdiction_id": slug, "api_key": key, "service_code": "sanitation",
                    "origin_unit": "990101001001", "description": "垃圾站没有清运",
                    "first_name": "\u{1b}[31m",
                })),
            "first_name",
        ),
    ];
    for (case, request, field) in open311 {
        let (status, body) = answer(request).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{case}: {body}");
        assert_eq!(body[0]["code"], 422, "{case}: {body}");
        let description = body[0]["description"].as_str().unwrap_or("");
        assert!(
            description.starts_with(&format!("{field}: "))
                && description.contains("control_character"),
            "{case}: {description}"
        );
    }

    // Logged in: every free-text field, a search, a nested field.
    let members = format!("/api/v1/units/{}/council/members", c.community);
    let mut demand = intake(&c.community, "urgent");
    demand["title"] = json!("楼道\u{0}灯坏了");
    let mut demand_description = intake(&c.community, "urgent");
    demand_description["description"] = json!("\u{7}");
    let cases: Vec<(&str, reqwest::RequestBuilder, &str)> = vec![
        (
            "a ?q= search",
            admin.request(Method::GET, "/api/v1/units?q=%E5%8D%97%00"),
            "q",
        ),
        (
            "a demand list's search",
            admin.request(Method::GET, "/api/v1/demands?q=a%1F"),
            "q",
        ),
        (
            "a demand's title",
            admin.request(Method::POST, "/api/v1/demands").json(&demand),
            "title",
        ),
        (
            "a demand's description",
            admin
                .request(Method::POST, "/api/v1/demands")
                .json(&demand_description),
            "description",
        ),
        (
            "a council member's name",
            admin.request(Method::POST, &members).json(&json!({
                "name": "王\u{0}建华", "category": "principal_leader", "role": "chair",
                "term_start": "2022-01-01",
            })),
            "name",
        ),
        (
            "a calendar entry's name",
            admin.request(Method::PUT, "/api/v1/tenant/calendar/2027").json(
                &json!({"entries": [{"date": "2027-10-01", "kind": "holiday", "name": "国庆\u{0}"}]}),
            ),
            "entries[0].name",
        ),
        (
            "a budget line's item",
            admin
                .request(
                    Method::POST,
                    &format!("/api/v1/units/{}/budget/lines", c.district),
                )
                .json(&json!({"fiscal_year": 2026, "item": "经费\u{0}", "amount": "100"})),
            "item",
        ),
        (
            "a category's label",
            admin
                .request(Method::POST, "/api/v1/tenant/categories")
                .json(&json!({"key": "roads", "label_zh": "道路\u{0}", "label_en": "Roads"})),
            "label_zh",
        ),
        (
            "a unit's name",
            admin
                .request(Method::PATCH, &format!("/api/v1/units/{}", c.east))
                .json(&json!({"name": "东\u{0}街道"})),
            "name",
        ),
        (
            "an account's nested grant",
            admin.request(Method::POST, "/api/v1/accounts").json(&json!({
                "username": "cadre", "password": "Demand-Handler-26",
                "grants": [{"role": "cadre\u{0}", "unit_id": c.east}],
            })),
            "grants[0].role",
        ),
        (
            "a household's address",
            admin
                .request(
                    Method::POST,
                    &format!("/api/v1/units/{}/households", c.community),
                )
                .json(&json!({"address": "东一路\u{0}8号", "head_name": "王建国"})),
            "address",
        ),
        (
            "a notification channel's name",
            admin
                .request(Method::POST, "/api/v1/tenant/notification-channels")
                .json(&json!({"kind": "webhook", "name": "\u{0}", "url": "http://127.0.0.1:9/h",
                              "secret": "a-long-enough-secret-0123456789", "audience": "cadres"})),
            "name",
        ),
        (
            "an api key's name",
            admin
                .request(Method::POST, "/api/v1/tenant/api-keys")
                .json(&json!({"name": "热线\u{0}", "channel": "hotline", "unit_id": c.city})),
            "name",
        ),
        (
            "a workroom's address",
            admin
                .request(
                    Method::PUT,
                    &format!("/api/v1/units/{}/workroom", c.community),
                )
                .json(&json!({"name": "工作室", "address": "\u{0}"})),
            "address",
        ),
        (
            "an id in the path",
            admin.request(Method::GET, "/api/v1/units/%00"),
            "path",
        ),
    ];
    for (case, request, field) in cases {
        let (status, body) = admin.send_raw(request).await;
        assert_refused(case, status, &body, field);
    }
    // English too.
    let (status, body) = admin
        .send_raw(
            admin
                .request(Method::GET, "/api/v1/units?q=%00")
                .header("Accept-Language", "en"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("control character"),
        "{body}"
    );

    // An imported file names the row and keeps nothing of it: CSV, XLSX, the calendar's CSV.
    let households = format!("/api/v1/units/{}/households/import", c.community);
    let file = "住址,户主\n东一路8号1栋101,王建国\n东一路8号1栋102,李\u{0}秀英\n";
    assert_eq!(refused_row(admin, &households, file.into()).await, 3);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (row, (address, head)) in [("住址", "户主"), ("东一路8号1栋101", "王\u{1}建国")]
        .into_iter()
        .enumerate()
    {
        sheet.write_string(row as u32, 0, address).unwrap();
        sheet.write_string(row as u32, 1, head).unwrap();
    }
    let xlsx = book.save_to_buffer().unwrap();
    assert_eq!(refused_row(admin, &households, xlsx).await, 2);
    let members = "unit_code,name,category,role,term_start\n990101001001,王\u{1}建华,principal_leader,chair,2022-01-01\n";
    assert_eq!(
        refused_row(admin, "/api/v1/council-members/import", members.into()).await,
        2
    );
    let calendar = "date,kind,name\n2027-10-01,holiday,国庆\u{0}\n";
    assert_eq!(
        refused_row(
            admin,
            "/api/v1/tenant/calendar/2027/import",
            calendar.into()
        )
        .await,
        2
    );

    assert_nothing_written(&c).await;
}

/// Uploads `file` to the import at `path`: a 422 `import_invalid` whose only row is refused
/// `control_character`; answers its line.
async fn refused_row(admin: &Session, path: &str, file: Vec<u8>) -> i64 {
    let (status, body) = admin.upload(path, "f", file).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
    assert_eq!(body["error"]["code"], "import_invalid", "{path}: {body}");
    let rows = body["error"]["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{path}: {body}");
    assert_eq!(rows[0]["reason"], "control_character", "{path}: {body}");
    rows[0]["line"].as_i64().expect("a line")
}

/// What the refused requests would have written is not there.
async fn assert_nothing_written(c: &City) {
    let admin = &c.t.admin;
    assert_eq!(demand_total(admin).await, 0);
    let (_, council) = admin
        .get(&format!("/api/v1/units/{}/council", c.community))
        .await;
    assert_eq!(
        council["members"].as_array().map(Vec::len),
        Some(0),
        "{council}"
    );
    let (_, households) = admin
        .get(&format!("/api/v1/units/{}/households", c.community))
        .await;
    assert_eq!(households["items"].as_array().map(Vec::len), Some(0));
    let (_, calendar) = admin.get("/api/v1/tenant/calendar?year=2027").await;
    assert_eq!(calendar.as_array().map(Vec::len), Some(0), "{calendar}");
    let (_, east) = admin.get(&format!("/api/v1/units/{}", c.east)).await;
    assert_eq!(east["name"], "东街道");
    let (_, categories) = admin.get("/api/v1/tenant/categories").await;
    assert!(!categories.to_string().contains("roads"), "{categories}");
    let (_, keys) = admin.get("/api/v1/tenant/api-keys").await;
    assert_eq!(keys.as_array().map(Vec::len), Some(1), "{keys}");
    let (_, budget) = admin
        .get(&format!("/api/v1/units/{}/budget?year=2026", c.district))
        .await;
    assert_eq!(budget["allocated"]["fen"], 0, "{budget}");
}

#[tokio::test]
async fn tab_newline_and_return_in_a_description_are_kept() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let mut demand = intake(&c.community, "urgent");
    let description = "第一行：楼道灯不亮\r\n第二行：\t老人晚上出行不便\n";
    demand["description"] = json!(description);
    let (status, body) = c.t.admin.post("/api/v1/demands", &demand).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, read) =
        c.t.admin
            .get(&format!("/api/v1/demands/{}", body["id"].as_str().unwrap()))
            .await;
    assert_eq!(read["description"], description.trim(), "{read}");
    let (status, found) = c.t.admin.get("/api/v1/units?q=%E4%B8%9C%09").await;
    assert_eq!(status, StatusCode::OK, "{found}");
}
