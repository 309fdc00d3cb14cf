//! Councils and workrooms over HTTP: members with their categories, roles and terms (one chair
//! at a time), phones masked and revealed only with a trace, workrooms, the coverage of a
//! subtree, and who may see and change what.
mod common;

use common::{TestServer, city, person, unit_id};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn member(name: &str, category: &str, role: &str, start: &str) -> Value {
    json!({
        "name": name,
        "category": category,
        "role": role,
        "organisation": "东街道办事处",
        "term_start": start,
        "phone": "139 0791 2345",
    })
}

#[tokio::test]
async fn a_council_has_members_by_category_and_term_and_one_chair_at_a_time() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let members = format!("/api/v1/units/{}/council/members", c.community);

    let (status, chair) = admin
        .post(
            &members,
            &member("王建华", "principal_leader", "chair", "2022-01-01"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{chair}");
    assert_eq!(chair["phone"], "139****2345");
    assert_eq!(chair["serving"], true);
    for (name, category, role) in [
        ("李秀英", "resident_representative", "member"),
        ("张国强", "npc_deputy", "vice_chair"),
        ("刘淑珍", "retiree", "member"),
    ] {
        let (status, body) = admin
            .post(&members, &member(name, category, role, "2023-03-01"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // A second chair while the first serves is refused, and nothing is added.
    let (status, body) = admin
        .post(
            &members,
            &member("赵志刚", "party_delegate", "chair", "2024-01-01"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "council_has_chair");
    // Once the first chair's term ends, the next one takes over.
    let chair_id = chair["id"].as_str().unwrap();
    let mut ended = member("王建华", "principal_leader", "chair", "2022-01-01");
    ended["term_end"] = json!("2023-12-31");
    let (status, body) = admin
        .put(&format!("/api/v1/council-members/{chair_id}"), &ended)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["serving"], false);
    let (status, body) = admin
        .post(
            &members,
            &member("赵志刚", "party_delegate", "chair", "2024-01-01"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Serving members first — chair, vice-chair, members — then the former chair.
    let (_, council) = admin
        .get(&format!("/api/v1/units/{}/council", c.community))
        .await;
    let names: Vec<&str> = council["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..2], ["赵志刚", "张国强"]);
    assert_eq!(names.last(), Some(&"王建华"));
    assert_eq!(names.len(), 5);
    assert!(council.to_string().find("13907912345").is_none());

    // Bad input names the fields and adds no one.
    let mut bad = member(" ", "cadre", "chair", "2024-01-01");
    bad["term_end"] = json!("2020-01-01");
    let (status, body) = admin.post(&members, &bad).await;
    assert!(status.is_client_error(), "{status} {body}");
    let mut bad = member(" ", "retiree", "member", "2024-01-01");
    bad["term_end"] = json!("2020-01-01");
    bad["phone"] = json!("call me");
    let (status, body) = admin.post(&members, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["error"]["field_codes"];
    assert_eq!(fields["name"], "required");
    assert_eq!(fields["term_end"], "term_ends_before_start");
    assert_eq!(fields["phone"], "invalid_phone");
    let (_, council) = admin
        .get(&format!("/api/v1/units/{}/council", c.community))
        .await;
    assert_eq!(council["members"].as_array().unwrap().len(), 5);

    // A mistaken entry can be removed; the operations log keeps it.
    let (_, mistaken) = admin
        .post(&members, &member("错录", "retiree", "member", "2024-01-01"))
        .await;
    let (status, _) = admin
        .delete(&format!(
            "/api/v1/council-members/{}",
            mistaken["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, log) = admin.get("/api/v1/operations-log").await;
    assert!(log.to_string().contains("council_member.removed"), "{log}");
}

#[tokio::test]
async fn a_members_phone_is_shown_in_full_only_to_those_who_need_it_and_each_view_is_logged() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let (_, added) =
        c.t.admin
            .post(
                &format!("/api/v1/units/{}/council/members", c.community),
                &member("李秀英", "resident_representative", "member", "2023-01-01"),
            )
            .await;
    let id = added["id"].as_str().unwrap();
    let reveal = format!("/api/v1/council-members/{id}/personal-data");

    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let (status, data) = cadre.post(&reveal, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{data}");
    assert_eq!(data["phone"], "13907912345");
    let (_, log) = c.t.admin.get("/api/v1/operations-log").await;
    let viewed = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "council_member.personal_data_viewed")
        .expect("the view is logged");
    assert_eq!(viewed["actor_username"], "east-cadre");

    // A recorder reads the council, masked, but may not see the number; nor may a cadre of
    // the sibling street, for whom the member does not exist.
    let recorder = person(&server, &c.t, "recorder", "recorder", &c.community).await;
    let (_, council) = recorder
        .get(&format!("/api/v1/units/{}/council", c.community))
        .await;
    assert_eq!(council["members"][0]["phone"], "139****2345");
    assert_eq!(
        recorder.post(&reveal, &json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let west = unit_id(&c.t.admin, "990101002000").await;
    let west_cadre = person(&server, &c.t, "west-cadre", "cadre", &west).await;
    assert_eq!(
        west_cadre.post(&reveal, &json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        west_cadre
            .get(&format!("/api/v1/units/{}/council", c.community))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Only administrators keep councils.
    assert_eq!(
        cadre
            .post(
                &format!("/api/v1/units/{}/council/members", c.community),
                &member("越权", "retiree", "member", "2024-01-01"),
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn workrooms_and_councils_show_in_the_coverage_of_a_subtree() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let room = json!({
        "name": "东一社区民声通道工作室",
        "address": "东一路 8 号",
        "opening_hours": "周一至周五 8:30-17:30，周三晚 19:00-21:00",
        "staff_on_duty": ["王芳", "陈明"],
    });
    let path = format!("/api/v1/units/{}/workroom", c.community);
    let (_, none) = admin.get(&path).await;
    assert!(none["workroom"].is_null(), "{none}");
    let (status, set) = admin.put(&path, &room).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["staff_on_duty"], json!(["王芳", "陈明"]));
    let (_, got) = admin.get(&path).await;
    assert_eq!(got["workroom"]["address"], "东一路 8 号");
    let (status, body) = admin
        .put(
            &path,
            &json!({"name": "x", "address": "", "opening_hours": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["address"], "required");

    admin
        .post(
            &format!("/api/v1/units/{}/council/members", c.community),
            &member("李秀英", "resident_representative", "chair", "2023-01-01"),
        )
        .await;
    // The street has a council that is no longer sitting: it does not count.
    let mut former = member("周强", "unit_representative", "chair", "2019-01-01");
    former["term_end"] = json!("2021-12-31");
    admin
        .post(
            &format!("/api/v1/units/{}/council/members", c.east),
            &former,
        )
        .await;
    admin
        .put(&format!("/api/v1/units/{}/workroom", c.east), &room)
        .await;

    let (status, cover) = admin
        .get(&format!("/api/v1/councils/coverage?within={}", c.district))
        .await;
    assert_eq!(status, StatusCode::OK, "{cover}");
    // 甲区: the district, two streets, two communities.
    let tiers: Vec<(i64, i64, i64)> = cover["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["units"].as_i64().unwrap(),
                t["with_council"].as_i64().unwrap(),
                t["with_workroom"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(tiers, [(1, 0, 0), (2, 0, 1), (2, 1, 1)]);
    assert_eq!(cover["uncovered_total"], 4);
    let uncovered: Vec<&str> = cover["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(uncovered, ["甲区", "东街道", "西街道", "西一社区"]);
}

const MEMBERS_CSV: &str = "unit_code,name,category,role,term_start,term_end,organisation,phone
990101001001,王建华,主要领导,理事长,2022-01-01,,东一社区居委会,13907912345
990101001001,李秀英,群众代表,理事,2023/3/1,,,
990101002001,张国强,人大代表,副理事长,2023-03-01,2025-12-31,,
";

async fn member_count(s: &common::Session, unit: &str) -> usize {
    let (_, council) = s.get(&format!("/api/v1/units/{unit}/council")).await;
    council["members"].as_array().unwrap().len()
}

#[tokio::test]
async fn members_import_from_a_file_all_or_nothing_and_export_to_one_that_imports_again() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let import = "/api/v1/council-members/import";

    let (status, report) = admin
        .upload(import, "members.csv", MEMBERS_CSV.as_bytes().to_vec())
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report, json!({"created": 3, "unchanged": 0}));
    // The same file again adds no one.
    let (_, again) = admin
        .upload(import, "members.csv", MEMBERS_CSV.as_bytes().to_vec())
        .await;
    assert_eq!(again, json!({"created": 0, "unchanged": 3}));
    assert_eq!(member_count(admin, &c.community).await, 2);

    // A file with bad rows adds nothing and names each of them.
    let bad = "unit_code,name,category,role,term_start
990101001001,周强,退休人员,理事,2024-01-01
990199999999,无此单位,退休人员,理事,2024-01-01
990101001001,赵志刚,党代表,理事长,2024-01-01
990101001001,钱,退休人员,秘书,2024-01-01
";
    let (status, body) = admin
        .upload(import, "bad.csv", bad.as_bytes().to_vec())
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
            (3, "unknown_unit"),
            (4, "council_has_chair"),
            (5, "invalid_council_role")
        ]
    );
    assert_eq!(member_count(admin, &c.community).await, 2);

    // The export: Chinese titles, depth-first, phones masked — and it imports again.
    let (status, csv, headers) = admin
        .send_raw_bytes(admin.request(
            reqwest::Method::GET,
            &format!(
                "/api/v1/council-members/export?within={}&format=csv",
                c.city
            ),
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[reqwest::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("council-members-")
    );
    let text = String::from_utf8(csv.strip_prefix(b"\xEF\xBB\xBF").unwrap().to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "单位代码,姓名,类别,职务,任期开始,任期结束,工作单位,联系电话,单位"
    );
    assert_eq!(
        lines[1],
        "990101001001,王建华,主要领导,理事长,2022-01-01,,东一社区居委会,139****2345,东一社区"
    );
    assert_eq!(lines.len(), 4);
    let (status, round) = admin.upload(import, "export.csv", csv).await;
    assert_eq!(status, StatusCode::OK, "{round}");
    assert_eq!(round, json!({"created": 0, "unchanged": 3}));

    let (status, xlsx, _) = admin
        .send_raw_bytes(admin.request(
            reqwest::Method::GET,
            &format!("/api/v1/council-members/export?within={}", c.east),
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"));
    let (status, round) = admin.upload(import, "export.xlsx", xlsx).await;
    assert_eq!(round, json!({"created": 0, "unchanged": 2}), "{status}");

    // Only administrators import; a cadre reads its own subtree's export only.
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let (status, _) = cadre
        .upload(import, "members.csv", MEMBERS_CSV.as_bytes().to_vec())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = cadre
        .send_raw_bytes(cadre.request(
            reqwest::Method::GET,
            &format!("/api/v1/council-members/export?within={}", c.district),
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A term dated in the year 9999 is a typing slip: refused with `date_out_of_range`.
#[tokio::test]
async fn a_term_outside_the_years_2000_to_2100_is_refused() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let members = format!("/api/v1/units/{}/council/members", c.community);
    let (status, body) =
        c.t.admin
            .post(
                &members,
                &member("王建华", "retiree", "member", "9999-01-01"),
            )
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["term_start"],
        "date_out_of_range"
    );
    let mut late = member("王建华", "retiree", "member", "2024-01-01");
    late["term_end"] = json!("9999-12-31");
    let (status, body) = c.t.admin.post(&members, &late).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["term_end"],
        "date_out_of_range"
    );
    let (_, council) =
        c.t.admin
            .get(&format!("/api/v1/units/{}/council", c.community))
            .await;
    assert_eq!(council["members"], json!([]), "{council}");
}

#[tokio::test]
async fn a_member_list_with_a_wrong_header_is_told_its_own_header() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let division = b"code,parent_code,level,name\n990101001001,990101001000,4,x\n".to_vec();
    let (status, body) =
        c.t.admin
            .upload("/api/v1/council-members/import", "m.csv", division)
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "member_bad_header", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("unit_code,name,category,role,term_start"),
        "{message}"
    );
    assert!(!message.contains("parent_code"), "{message}");
}
