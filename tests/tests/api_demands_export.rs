//! The ledger's export (台账) over HTTP: XLSX read back with calamine and CSV byte by byte —
//! the Chinese headers in order, the list's filters and visibility, masked phones only, the
//! attachment's file names — plus the refusals (an unknown format, too many rows).
mod common;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, FixedOffset, Utc};
use common::{Session, TestServer, city, intake, person, unit_id};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

const HEADERS: [&str; 13] = [
    "序号",
    "受理时间",
    "来源",
    "诉求人",
    "联系电话",
    "诉求内容",
    "类别",
    "承办单位",
    "时限",
    "办理情况",
    "办结时间",
    "满意度",
    "回执编号",
];

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The tenants tests make live in Asia/Shanghai (UTC+8, no daylight saving).
fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

fn local(at: &Value, pattern: &str) -> String {
    DateTime::parse_from_rfc3339(at.as_str().expect("a time"))
        .unwrap()
        .with_timezone(&shanghai())
        .format(pattern)
        .to_string()
}

struct Download {
    status: StatusCode,
    content_type: String,
    disposition: String,
    bytes: Vec<u8>,
}

async fn download(s: &Session, query: &str) -> Download {
    let r = s
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/demands/export?{query}"),
        )
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("the server answers");
    let text = |name: header::HeaderName| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, disposition) = (
        text(header::CONTENT_TYPE),
        text(header::CONTENT_DISPOSITION),
    );
    let status = r.status();
    Download {
        status,
        content_type,
        disposition,
        bytes: r.bytes().await.unwrap().to_vec(),
    }
}

/// The sheet 台账 as rows of text (numbers as integers).
fn sheet(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("an XLSX");
    assert_eq!(book.sheet_names(), ["台账"]);
    let range = book.worksheet_range("台账").expect("the sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => i.to_string(),
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => panic!("unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

/// The CSV without its BOM, split into records (the `csv` crate's own reading).
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a UTF-8 BOM first");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The day in the file name: today in Shanghai (either side of a midnight passing mid-test).
fn assert_attachment(disposition: &str, before: DateTime<Utc>, ext: &str) {
    let days: Vec<String> = [before, Utc::now()]
        .iter()
        .map(|t| t.with_timezone(&shanghai()).format("%Y%m%d").to_string())
        .collect();
    assert!(
        days.iter().any(|day| disposition
            == format!(
                "attachment; filename=\"ledger-{day}.{ext}\"; filename*=UTF-8''%E5%8F%B0%E8%B4%A6-{day}.{ext}"
            )),
        "{disposition}"
    );
}

async fn created(s: &Session, body: &Value) -> Value {
    let (status, d) = s.post("/api/v1/demands", body).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    d
}

#[tokio::test]
async fn the_xlsx_export_holds_the_filtered_ledger_with_masked_phones() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let west = unit_id(admin, "990101002001").await;
    // The street's rule also sets a resolution deadline: the 时限 column shows both.
    let (_, mut rules) = admin.get("/api/v1/tenant/demand-rules").await;
    for rule in rules["deadlines"].as_array_mut().unwrap() {
        if rule["tier"] == "street" {
            rule["resolve_days"] = json!(10);
        }
    }
    let (status, body) = admin.put("/api/v1/tenant/demand-rules", &rules).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let first = created(admin, &intake(&c.community, "urgent")).await;
    created(admin, &intake(&c.community, "worrying")).await;
    let mut anonymous = intake(&west, "urgent");
    anonymous.as_object_mut().unwrap().remove("resident_name");
    anonymous["channel"] = json!("hotline");
    anonymous["category"] = json!("neighbour_dispute");
    let anonymous = created(admin, &anonymous).await;
    created(admin, &intake(&c.community, "hard")).await;
    // The first one runs to a satisfied close: 办结时间 and 满意度 are filled.
    let id = first["id"].as_str().unwrap();
    for (action, body) in [
        ("accept", json!({})),
        ("reply", json!({"text": "已联系物业"})),
        ("resolve", json!({"text": "已更换灯泡"})),
        ("give-feedback", json!({"text": "已回访"})),
    ] {
        let (status, answer) = admin
            .post(&format!("/api/v1/demands/{id}/{action}"), &body)
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {answer}");
    }
    let receipt = first["receipt_code"].as_str().unwrap();
    let (status, answer) = common::rate_as_resident(
        &server,
        &c.t.slug,
        receipt,
        json!({"satisfaction": "satisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, first) = admin.get(&format!("/api/v1/demands/{id}")).await;

    let before = Utc::now();
    let d = download(admin, "format=xlsx&grade=urgent").await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.content_type, XLSX);
    assert_attachment(&d.disposition, before, "xlsx");
    let rows = sheet(&d.bytes);
    assert_eq!(rows[0], HEADERS);
    // Newest first, as the list: the anonymous hotline demand, then the closed one.
    let (_, list) = admin.get("/api/v1/demands?grade=urgent").await;
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["receipt_code"].as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), 1 + codes.len());
    assert_eq!(rows.len(), 3, "{rows:?}");
    let exported: Vec<&str> = rows[1..].iter().map(|r| r[12].as_str()).collect();
    assert_eq!(exported, codes);

    let (a, f) = (&rows[1], &rows[2]);
    assert_eq!(a[0], "1");
    assert_eq!(f[0], "2");
    assert_eq!(a[1], local(&anonymous["received_at"], "%Y-%m-%d %H:%M"));
    assert_eq!(a[2], "热线");
    assert_eq!(a[3], "匿名");
    assert_eq!(a[4], "138****5678");
    assert_eq!(a[5], "楼道灯坏了：3栋2单元楼道灯不亮，老人晚上出行不便");
    assert_eq!(a[6], "邻里纠纷");
    assert_eq!(a[7], "西街道");
    // Deadlines are the end of their day: the date shown is the day before that midnight.
    let due_day = |at: &Value| {
        let t = DateTime::parse_from_rfc3339(at.as_str().unwrap()).unwrap()
            - chrono::Duration::seconds(1);
        t.with_timezone(&shanghai()).format("%Y-%m-%d").to_string()
    };
    assert_eq!(
        a[8],
        format!(
            "答复 {} / 办结 {}",
            due_day(&anonymous["reply_due_at"]),
            due_day(&anonymous["resolve_due_at"])
        )
    );
    assert_eq!(a[9], "已受理登记");
    assert_eq!((a[10].as_str(), a[11].as_str()), ("", ""));

    assert_eq!(f[2], "来访");
    assert_eq!(f[3], "王阿姨");
    assert_eq!(f[6], "生活服务");
    assert_eq!(f[7], "东街道");
    assert_eq!(f[9], "已关闭");
    assert_eq!(f[10], local(&first["resolved_at"], "%Y-%m-%d %H:%M"));
    assert_eq!(f[11], "满意");
    assert_eq!(f[12], first["receipt_code"].as_str().unwrap());

    // The phone only ever masked: in no cell, nowhere in the file's bytes.
    for secret in ["13812345678", "138 1234 5678", "11010519491231002X"] {
        assert!(
            !rows.iter().flatten().any(|cell| cell.contains(secret)),
            "{secret} in a cell"
        );
        assert!(
            !d.bytes
                .windows(secret.len())
                .any(|w| w == secret.as_bytes()),
            "{secret} in the bytes"
        );
    }

    // No format: XLSX; the list's other filters apply too (status, dates).
    let d = download(admin, "status=closed").await;
    assert_eq!(d.content_type, XLSX);
    assert_eq!(sheet(&d.bytes).len(), 2);
    let d = download(admin, "format=xlsx&from=2001-01-01&to=2001-01-02").await;
    assert_eq!(sheet(&d.bytes), [HEADERS]);
}

#[tokio::test]
async fn the_csv_export_has_a_bom_crlf_and_the_same_columns() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let mut tricky = intake(&c.community, "urgent");
    tricky["title"] = json!("=HYPERLINK(\"http://example.com\",\"点我\")");
    tricky["description"] = json!("第一行\n第二行，含\"引号\"");
    let d = created(admin, &tricky).await;
    created(admin, &intake(&c.community, "worrying")).await;

    let before = Utc::now();
    let r = download(admin, "format=csv&grade=urgent").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "text/csv; charset=utf-8");
    assert_attachment(&r.disposition, before, "csv");
    assert!(
        r.bytes
            .starts_with("\u{FEFF}序号,受理时间,来源,".as_bytes())
    );
    let text = String::from_utf8(r.bytes.clone()).unwrap();
    assert!(text.ends_with("\r\n"));
    assert!(text.contains("回执编号\r\n"), "CRLF line ends");
    let rows = csv_rows(&r.bytes);
    assert_eq!(rows[0], HEADERS);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let row = &rows[1];
    assert_eq!(row[0], "1");
    assert_eq!(row[4], "138****5678");
    // A cell Excel would take for a formula is defused with a leading apostrophe; quotes and
    // line breaks survive the quoting.
    assert_eq!(
        row[5],
        "'=HYPERLINK(\"http://example.com\",\"点我\")：第一行\n第二行，含\"引号\""
    );
    assert_eq!(row[12], d["receipt_code"].as_str().unwrap());
    assert!(!text.contains("13812345678"));
    assert!(!text.contains("1234 5678"));
}

#[tokio::test]
async fn a_scoped_cadre_exports_only_its_subtree_and_another_tenant_nothing() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let west = unit_id(admin, "990101002001").await;
    let east_one = created(admin, &intake(&c.community, "urgent")).await;
    let east_two = created(admin, &intake(&c.community, "hard")).await;
    created(admin, &intake(&west, "urgent")).await;
    created(admin, &intake(&west, "worrying")).await;

    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let rows = sheet(&download(&cadre, "format=xlsx").await.bytes);
    let codes: Vec<&str> = rows[1..].iter().map(|r| r[12].as_str()).collect();
    assert_eq!(
        codes,
        [
            east_two["receipt_code"].as_str().unwrap(),
            east_one["receipt_code"].as_str().unwrap()
        ]
    );
    let csv = csv_rows(&download(&cadre, "format=csv").await.bytes);
    assert_eq!(csv.len(), 3);
    // `within` outside the cadre's subtree is a 404, as for the list.
    let r = download(&cadre, &format!("format=csv&within={west}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The admin sees all four.
    assert_eq!(sheet(&download(admin, "format=xlsx").await.bytes).len(), 5);

    let other = server.new_tenant("city").await;
    let r = download(&other.admin, "format=xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(sheet(&r.bytes), [HEADERS]);
    let r = download(&other.admin, "format=csv").await;
    assert_eq!(csv_rows(&r.bytes), [HEADERS]);
}

#[tokio::test]
async fn an_unknown_format_or_filter_is_a_422_and_a_stranger_a_401() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let r = download(admin, "format=pdf").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = serde_json::from_slice(&r.bytes).unwrap();
    assert_eq!(
        body["error"]["field_codes"]["format"],
        "invalid_export_format"
    );
    assert!(
        body["error"]["fields"]["format"]
            .as_str()
            .unwrap()
            .contains("xlsx")
    );
    for query in [
        "format=csv&format=xlsx",
        "format=csv&grade=panic",
        "format=csv&colour=red",
        "format=csv&from=2026-02-01&to=2026-01-01",
    ] {
        let r = download(admin, query).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    let r = server
        .client()
        .get(server.url("/api/v1/demands/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// The cap, with a cap of 2: more matching demands than that export nothing.
#[tokio::test]
async fn more_rows_than_the_cap_are_refused_before_any_is_read() {
    use minqing_domain::access::{DemandAccess, Reach};
    use minqing_storage::demands::DemandQuery;
    use minqing_storage::ledger_export::Export;
    use minqing_storage::sealing::{MasterKey, Sealer};

    let server = TestServer::start().await;
    let c = city(&server).await;
    for _ in 0..3 {
        created(&c.t.admin, &intake(&c.community, "urgent")).await;
    }
    let tenant = minqing_domain::TenantId(c.t.id.parse().unwrap());
    let scope = server.storage.read(tenant).await.unwrap();
    let access = DemandAccess {
        read: Reach::All,
        ..DemandAccess::none()
    };
    let sealer = Sealer::new(&MasterKey::generate());
    let (demands, query) = (scope.demands(), DemandQuery::default());
    let export = |cap| demands.export(&query, &access, &sealer, Utc::now(), cap);
    match export(2).await.unwrap() {
        Export::TooLarge { matching } => assert_eq!(matching, 3),
        Export::Views(v) => panic!("{} rows past the cap", v.len()),
    }
    match export(3).await.unwrap() {
        Export::Views(v) => assert_eq!(v.len(), 3),
        Export::TooLarge { matching } => panic!("refused {matching}"),
    }
    // The message tells the user what to do, in both languages.
    let zh = minqing_domain::i18n::message("export_too_large", minqing_domain::i18n::Lang::Zh);
    let en = minqing_domain::i18n::message("export_too_large", minqing_domain::i18n::Lang::En);
    assert!(zh.contains("缩小筛选范围"), "{zh}");
    assert!(en.contains("narrow the filters"), "{en}");
}
