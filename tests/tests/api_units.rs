//! The hierarchy: importing the official division list, browsing it, and boundary changes.
mod common;

use common::{SMALL_CITY, TestServer, division_csv, unit_id};
use reqwest::StatusCode;
use serde_json::{Value, json};

const NANCHANG: &[u8] = include_bytes!("../../backend/storage/data/nanchang-divisions.csv");

fn tier_counts(tiers: &Value) -> Vec<i64> {
    tiers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["unit_count"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_nanchang_list_imports_whole_and_reimporting_it_changes_nothing() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    let (status, report) = t
        .admin
        .upload("/api/v1/units/import", "nanchang.csv", NANCHANG.to_vec())
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({"created": 2412, "updated": 0, "unchanged": 0})
    );
    let (_, tiers) = t.admin.get("/api/v1/tenant/tiers").await;
    assert_eq!(tier_counts(&tiers), [1, 9, 139, 2263]);

    let (status, again) = t
        .admin
        .upload("/api/v1/units/import", "nanchang.csv", NANCHANG.to_vec())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        again,
        json!({"created": 0, "updated": 0, "unchanged": 2412})
    );
    let (_, tiers) = t.admin.get("/api/v1/tenant/tiers").await;
    assert_eq!(tier_counts(&tiers), [1, 9, 139, 2263]);

    // Child counts come with the import: 南昌市 has its 9 districts.
    let (_, roots) = t.admin.get("/api/v1/units/roots").await;
    assert_eq!(roots["items"][0]["child_count"], 9);

    // 洪城路社区居委会 is found by name and by code, with its ancestors.
    for q in ["洪城路", "360104009009"] {
        let (_, found) = t.admin.get(&format!("/api/v1/units?q={q}")).await;
        let hit = &found["items"][0];
        assert_eq!(hit["name"], "洪城路社区居委会", "{q}");
        let crumbs: Vec<_> = hit["ancestors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(crumbs, ["南昌市", "青云谱区", "徐家坊街道"]);
        assert_eq!(hit["tier_label_zh"], "社区(村)");
    }
}

#[tokio::test]
async fn a_file_with_bad_rows_imports_nothing_and_names_every_bad_row() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    let file = division_csv(&[
        ("990100000000", "", 1, "测试市"),
        ("990101000000", "990100000000", 2, "甲区"),
        ("990102000000", "999999000000", 2, "孤儿区"),
        ("990101001000", "990100000000", 3, "跳级街道"),
        ("990101000000", "990100000000", 2, "重复区"),
        ("990101002000", "990101000000", 3, ""),
    ]);
    let (status, body) = t
        .admin
        .upload("/api/v1/units/import", "bad.csv", file)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "import_invalid");
    let rows: Vec<(i64, &str)> = body["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            (4, "unknown_parent"),
            (5, "wrong_level"),
            (6, "duplicate_code"),
            (7, "empty_name")
        ]
    );
    assert!(
        body["error"]["rows"][0]["message"]
            .as_str()
            .unwrap()
            .contains("上级代码")
    );
    let (_, tiers) = t.admin.get("/api/v1/tenant/tiers").await;
    assert_eq!(tier_counts(&tiers), [0, 0, 0, 0], "nothing was imported");
}

#[tokio::test]
async fn gbk_and_xlsx_files_import_and_additions_are_added() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    let text = String::from_utf8(division_csv(&SMALL_CITY[..3]))
        .unwrap()
        .replace('\n', "\r\n");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let (status, report) = t
        .admin
        .upload("/api/v1/units/import", "excel.csv", gbk.into_owned())
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 3);
    let (_, found) = t.admin.get("/api/v1/units?q=甲区").await;
    assert_eq!(found["items"][0]["code"], "990101000000");

    // An XLSX with the whole small city (codes as numbers, as Excel keeps them): the first three
    // are unchanged, the rest added, and one renamed.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["code", "parent_code", "level", "name"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (code, parent, level, name)) in SMALL_CITY.iter().enumerate() {
        let row = r as u32 + 1;
        sheet
            .write_number(row, 0, code.parse::<f64>().unwrap())
            .unwrap();
        if !parent.is_empty() {
            sheet
                .write_number(row, 1, parent.parse::<f64>().unwrap())
                .unwrap();
        }
        sheet.write_number(row, 2, f64::from(*level)).unwrap();
        let name = if *code == "990102000000" {
            "乙区（新）"
        } else {
            name
        };
        sheet.write_string(row, 3, name).unwrap();
    }
    let (status, report) = t
        .admin
        .upload(
            "/api/v1/units/import",
            "city.xlsx",
            book.save_to_buffer().unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report, json!({"created": 4, "updated": 1, "unchanged": 2}));
    let renamed = unit_id(&t.admin, "990102000000").await;
    let (_, detail) = t.admin.get(&format!("/api/v1/units/{renamed}")).await;
    assert_eq!(detail["name"], "乙区（新）");
    assert_eq!(detail["history"][0]["old_name"], "乙区");
}

#[tokio::test]
async fn unreadable_files_get_clear_errors() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    let (status, body) = t
        .admin
        .upload("/api/v1/units/import", "x.csv", b"id,title\n1,x\n".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "import_bad_header");
    let (status, body) = t
        .admin
        .upload(
            "/api/v1/units/import",
            "x.csv",
            b"code,parent_code,level,name\n".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "import_empty");
    let mut broken = b"code,parent_code,level,name\n".to_vec();
    broken.extend_from_slice("990100000000,,1,测试市\n".as_bytes());
    broken.extend_from_slice(b"990101000000,990100000000,2,\xff\xfe\n");
    let (status, body) = t
        .admin
        .upload("/api/v1/units/import", "x.csv", broken)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["rows"][0]["line"], 3);
    assert_eq!(body["error"]["rows"][0]["reason"], "undecodable");
}

#[tokio::test]
async fn listing_pages_depth_first_with_a_cursor() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    t.admin
        .upload("/api/v1/units/import", "c.csv", division_csv(SMALL_CITY))
        .await;
    let codes: Vec<String> = t
        .admin
        .pages("/api/v1/units?limit=2")
        .await
        .iter()
        .flatten()
        .map(|u| u["code"].as_str().unwrap().to_owned())
        .collect();
    // Parents before children, each subtree together.
    assert_eq!(
        codes,
        [
            "990100000000",
            "990101000000",
            "990101001000",
            "990101001001",
            "990101002000",
            "990101002001",
            "990102000000"
        ]
    );
    let city = unit_id(&t.admin, "990100000000").await;
    let (_, children) = t.admin.get(&format!("/api/v1/units/{city}/children")).await;
    let names: Vec<_> = children["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["甲区", "乙区"]);
    assert_eq!(children["items"][0]["child_count"], 2);
}

#[tokio::test]
async fn boundary_changes_keep_former_names_codes_and_parents_on_record() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    t.admin
        .upload("/api/v1/units/import", "c.csv", division_csv(SMALL_CITY))
        .await;
    let east = unit_id(&t.admin, "990101001000").await;
    let west = unit_id(&t.admin, "990101002000").await;
    let district_b = unit_id(&t.admin, "990102000000").await;

    // Rename and recode with a date.
    let (status, body) = t
        .admin
        .patch(
            &format!("/api/v1/units/{east}"),
            &json!({"name": "东新街道", "code": "990101003000", "effective_on": "2026-01-01", "note": "区划调整"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["code"], "990101003000");

    // Move the street (with its community) to the other district.
    let (status, body) = t
        .admin
        .post(
            &format!("/api/v1/units/{east}/move"),
            &json!({"parent_id": district_b}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let community = unit_id(&t.admin, "990101001001").await;
    let (_, detail) = t.admin.get(&format!("/api/v1/units/{community}")).await;
    let crumbs: Vec<_> = detail["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        crumbs,
        ["测试市", "乙区", "东新街道"],
        "the subtree moved with it"
    );
    let (_, within) = t
        .admin
        .get(&format!("/api/v1/units?within={district_b}"))
        .await;
    assert_eq!(within["items"].as_array().unwrap().len(), 3);

    // A unit cannot move under itself or skip a tier.
    let (status, body) = t
        .admin
        .post(
            &format!("/api/v1/units/{east}/move"),
            &json!({"parent_id": community}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "move_into_own_subtree");
    let (status, body) = t
        .admin
        .post(
            &format!("/api/v1/units/{west}/move"),
            &json!({"parent_id": community}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("wrong_parent_level"))
    );

    // Child counts follow the move: 甲区 lost a street, 乙区 gained one.
    let district_a = unit_id(&t.admin, "990101000000").await;
    let count = |id: String| {
        let admin = t.admin.clone();
        async move { admin.get(&format!("/api/v1/units/{id}")).await.1["child_count"].as_i64() }
    };
    assert_eq!(count(district_a.clone()).await, Some(1));
    assert_eq!(count(district_b.clone()).await, Some(1));

    // Merge west into east: its community moves, west is archived and points to east.
    let (status, body) = t
        .admin
        .post(
            &format!("/api/v1/units/{west}/merge"),
            &json!({"into_id": east}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["archived"], true);
    let (_, east_children) = t.admin.get(&format!("/api/v1/units/{east}/children")).await;
    assert_eq!(east_children["items"].as_array().unwrap().len(), 2);
    let (_, west_detail) = t.admin.get(&format!("/api/v1/units/{west}")).await;
    let last = west_detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["change"], "merged");
    assert_eq!(last["merged_into_id"], east.as_str());

    assert_eq!(count(east.clone()).await, Some(2));
    assert_eq!(count(west.clone()).await, Some(0));
    // An archived unit stays where it was.
    let (status, body) = t
        .admin
        .post(
            &format!("/api/v1/units/{west}/move"),
            &json!({"parent_id": district_b}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("unit_archived"))
    );
    assert_eq!(
        count(district_a.clone()).await,
        Some(0),
        "west was archived"
    );

    // Archived units leave lists unless asked for, and are never deleted.
    let (_, listed) = t.admin.get("/api/v1/units?q=西街道").await;
    assert_eq!(listed["items"], json!([]));
    let (_, archived) = t.admin.get("/api/v1/units?q=西街道&archived=true").await;
    assert_eq!(archived["items"].as_array().unwrap().len(), 1);

    // The history of east: recoded/renamed and moved, with the former values.
    let (_, east_detail) = t.admin.get(&format!("/api/v1/units/{east}")).await;
    let changes: Vec<_> = east_detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["renamed", "recoded", "moved"]);
    assert_eq!(east_detail["history"][0]["old_name"], "东街道");
    assert_eq!(east_detail["history"][1]["old_code"], "990101001000");
    assert_eq!(east_detail["history"][1]["effective_on"], "2026-01-01");

    // A unit with children cannot be archived; a leaf can.
    let (status, body) = t
        .admin
        .post(&format!("/api/v1/units/{east}/archive"), &json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("unit_has_children"))
    );
    let (status, _) = t
        .admin
        .post(
            &format!("/api/v1/units/{community}/archive"),
            &json!({"note": "撤销"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        count(east.clone()).await,
        Some(1),
        "an archived child no longer counts"
    );
}

#[tokio::test]
async fn a_child_is_always_one_tier_below_its_parent() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    let (_, city) = t
        .admin
        .post("/api/v1/units", &json!({"name": "新市"}))
        .await;
    assert_eq!(city["level"], 1);
    assert_eq!(city["tier_key"], "city");
    let mut parent = city["id"].as_str().unwrap().to_owned();
    for (level, key) in [(2, "county"), (3, "street"), (4, "community")] {
        let (status, unit) = t
            .admin
            .post(
                "/api/v1/units",
                &json!({"parent_id": parent, "name": format!("第{level}级")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{unit}");
        assert_eq!(unit["level"], level);
        assert_eq!(unit["tier_key"], key);
        parent = unit["id"].as_str().unwrap().to_owned();
    }
    let (status, body) = t
        .admin
        .post(
            "/api/v1/units",
            &json!({"parent_id": parent, "name": "太深"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "no_tier_below");
}

#[tokio::test]
async fn tiers_are_renamed_freely_but_added_or_removed_only_while_unused() {
    let server = TestServer::start().await;
    let province = server.new_tenant("province").await;
    let (_, tiers) = province.admin.get("/api/v1/tenant/tiers").await;
    let keys: Vec<_> = tiers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["province", "city", "county", "street", "community"]);

    let city = server.new_tenant("city").await;
    let (status, tier) = city
        .admin
        .patch(
            "/api/v1/tenant/tiers/community",
            &json!({"label_zh": "社区", "label_en": "Community"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tier}");
    assert_eq!(tier["label_zh"], "社区");
    // No units yet: the tier above can be added, then removed again.
    let (status, _) = city
        .admin
        .post("/api/v1/tenant/tiers", &json!({"key": "province"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = city.admin.delete("/api/v1/tenant/tiers/province").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Once a unit uses the top tier, nothing can be added above or removed at it.
    city.admin
        .post("/api/v1/units", &json!({"name": "有单位市"}))
        .await;
    let (status, body) = city
        .admin
        .post("/api/v1/tenant/tiers", &json!({"key": "province"}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("tier_in_use"))
    );
    let (status, _) = city.admin.delete("/api/v1/tenant/tiers/city").await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The lowest tier is still unused and can go.
    let (status, _) = city.admin.delete("/api/v1/tenant/tiers/community").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_demo_tenant_is_seeded_from_the_official_list() {
    let server = TestServer::start_with(common::Options {
        demo: true,
        ..Default::default()
    })
    .await;
    let admin = server
        .login("nanchang", "admin", &server.admin_password)
        .await;
    let (_, tiers) = admin.get("/api/v1/tenant/tiers").await;
    assert_eq!(tier_counts(&tiers), [1, 9, 139, 2263]);
    let (_, tenant) = admin.get("/api/v1/tenant").await;
    assert_eq!(tenant["name_zh"], "南昌市");
    assert_eq!(tenant["time_zone"], "Asia/Shanghai");
}

/// Moves the server's clock to 23:30 UTC — 07:30 the next morning in Beijing — on 2026-12-07,
/// or, if the wall clock is already past that (it never runs back), on the first day after
/// now; returns the tenant's (Asia/Shanghai) day at that moment.
fn half_past_seven_in_beijing(server: &TestServer) -> String {
    use chrono::{Duration, TimeZone, Utc};
    let mut at = Utc.with_ymd_and_hms(2026, 12, 7, 23, 30, 0).unwrap();
    while at <= server.clock.now() + Duration::minutes(1) {
        at += Duration::days(1);
    }
    server.clock.advance(at - server.clock.now());
    (at.date_naive() + chrono::Days::new(1)).to_string()
}

#[tokio::test]
async fn boundary_changes_are_dated_by_the_tenants_day_not_the_utc_one() {
    let server = TestServer::start().await;
    let t = server.new_tenant("city").await;
    t.admin
        .upload("/api/v1/units/import", "c.csv", division_csv(SMALL_CITY))
        .await;
    let beijing_day = half_past_seven_in_beijing(&server);
    let east = unit_id(&t.admin, "990101001000").await;
    let (status, body) = t
        .admin
        .patch(
            &format!("/api/v1/units/{east}"),
            &json!({"name": "东新街道"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, detail) = t.admin.get(&format!("/api/v1/units/{east}")).await;
    assert_eq!(detail["history"][0]["change"], "renamed", "{detail}");
    assert_eq!(
        detail["history"][0]["effective_on"], beijing_day,
        "{detail}"
    );

    // A rename by a re-import is dated the same way.
    let renamed: Vec<_> = SMALL_CITY
        .iter()
        .map(|&(code, parent, level, name)| {
            let name = if code == "990102000000" {
                "乙区（新）"
            } else {
                name
            };
            (code, parent, level, name)
        })
        .collect();
    let (status, report) = t
        .admin
        .upload("/api/v1/units/import", "c.csv", division_csv(&renamed))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let district_b = unit_id(&t.admin, "990102000000").await;
    let (_, detail) = t.admin.get(&format!("/api/v1/units/{district_b}")).await;
    assert_eq!(detail["history"][0]["old_name"], "乙区", "{detail}");
    assert_eq!(
        detail["history"][0]["effective_on"], beijing_day,
        "{detail}"
    );
}
