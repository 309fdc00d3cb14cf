//! Households over HTTP: a community's register (phones masked), imported from a spreadsheet
//! with every bad row named and nothing half-written, the households that came to a visit,
//! and the coverage of a subtree moving as they do.
mod common;

use chrono::Duration;
use common::{TestServer, city, person};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn rows_of(body: &Value) -> Vec<(i64, String)> {
    body["error"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {body}"))
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_register_is_kept_imported_and_its_coverage_moves_with_the_visits() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let recorder = person(&server, &c.t, "recorder", "recorder", &c.community).await;
    let leader = person(&server, &c.t, "leader", "leader", &c.district).await;
    let register = format!("/api/v1/units/{}/households", c.community);

    let (status, h) = recorder
        .post(
            &register,
            &json!({"address": "东一路8号1栋101", "head_name": "王建国",
                    "phone": "139 0791 2468", "flags": ["empty_nest_elderly", "elderly"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{h}");
    assert_eq!(h["phone"], "139****2468");
    assert_eq!(h["flags"], json!(["elderly", "empty_nest_elderly"]));
    let first = h["id"].as_str().unwrap().to_owned();
    // The same address (spaces aside) again is refused; a bad form names its fields.
    let (status, body) = recorder
        .post(
            &register,
            &json!({"address": "东一路8号 1栋101", "head_name": "王建国"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "household_exists");
    let (status, body) = recorder
        .post(
            &register,
            &json!({"address": " ", "head_name": "", "phone": "12"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["error"]["field_codes"];
    assert_eq!(fields["address"], "required");
    assert_eq!(fields["head_name"], "required");
    assert_eq!(fields["phone"], "invalid_phone");
    // A street keeps no register.
    let (status, body) =
        c.t.admin
            .post(
                &format!("/api/v1/units/{}/households", c.east),
                &json!({"address": "x", "head_name": "y"}),
            )
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["unit_id"], "not_a_community");

    // A file with a bad row imports nothing and names it…
    let bad = "住址,户主,联系电话,标记,人数\n东一路8号1栋102,李秀英,,低保,2\n东一路8号1栋103,张三,,富裕,\n";
    let (status, body) = recorder
        .upload(
            &format!("{register}/import"),
            "h.csv",
            bad.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(rows_of(&body), [(3, "invalid_household_flag".to_owned())]);
    let (_, listed) = recorder.get(&register).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // …the good file adds its new addresses, and again adds nothing.
    let good = "住址,户主,联系电话,标记,人数\n东一路8号1栋101,王建国,,,\n东一路8号1栋102,李秀英,13807912345,低保、残疾人,2\n东一路8号1栋103,张三,,,4\n";
    for (created, unchanged) in [(2, 1), (0, 3)] {
        let (status, report) = recorder
            .upload(
                &format!("{register}/import"),
                "h.csv",
                good.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(
            (report["created"].clone(), report["unchanged"].clone()),
            (json!(created), json!(unchanged))
        );
    }
    let (_, listed) = recorder.get(&register).await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let li = items.iter().find(|h| h["head_name"] == "李秀英").unwrap();
    assert_eq!(li["phone"], "138****2345");
    assert_eq!(li["flags"], json!(["disability", "low_income"]));
    let second = li["id"].as_str().unwrap().to_owned();

    // Nobody reached yet.
    let coverage = format!("/api/v1/households/coverage?within={}", c.district);
    let (_, before) = leader.get(&coverage).await;
    assert_eq!(
        (before["households"].clone(), before["reached"].clone()),
        (json!(3), json!(0)),
        "{before}"
    );

    // A visit: households are recorded once it has started.
    let (_, me) = leader.get("/api/v1/auth/me").await;
    let starts = server.clock.now() + Duration::days(2);
    let (_, v) = leader
        .post(
            "/api/v1/visits",
            &json!({"unit_id": c.community, "hosts": [me["account"]["id"]],
                    "starts_at": starts.to_rfc3339(),
                    "ends_at": (starts + Duration::hours(2)).to_rfc3339(),
                    "place": "东一社区居委会"}),
        )
        .await;
    let visit = v["id"].as_str().unwrap().to_owned();
    let came = json!({"households": [first, second]});
    let (status, body) = recorder
        .put(&format!("/api/v1/visits/{visit}/households"), &came)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "visit_not_started");
    server.clock.advance(Duration::days(2) + Duration::hours(1));
    let (status, body) = recorder
        .put(
            &format!("/api/v1/visits/{visit}/households"),
            &json!({"households": [first, uuid::Uuid::now_v7()]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["households"],
        "unknown_household"
    );
    let (status, body) = recorder
        .put(&format!("/api/v1/visits/{visit}/households"), &came)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["recorded"], 2);
    let (_, held) = recorder.get(&format!("/api/v1/visits/{visit}")).await;
    assert_eq!(held["status"], "held");

    // Two of three households reached: the community and the district show it.
    let (_, after) = leader.get(&coverage).await;
    assert_eq!(after["reached"], 2, "{after}");
    assert_eq!(after["per_mille"], 666);
    assert_eq!(after["units"][0]["name"], "东一社区");
    assert_eq!(after["units"][0]["reached"], 2);
    let (_, listed) = recorder.get(&register).await;
    let wang = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == first.as_str())
        .unwrap()
        .clone();
    assert_eq!(wang["visits"], 1);
    // A period before the visit counts nobody.
    let (_, earlier) = leader
        .get(&format!("{coverage}&from=2020-01-01&to=2020-12-31"))
        .await;
    assert_eq!(earlier["reached"], 0, "{earlier}");
    let (status, _) = leader
        .get(&format!("{coverage}&from=2026-05-01&to=2026-04-01"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Leaders read the register but do not keep it.
    let (status, _) = leader
        .post(
            &register,
            &json!({"address": "东一路9号", "head_name": "赵六"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_in_home_interview_visits_one_household_unannounced_and_counts_for_coverage() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let leader = person(&server, &c.t, "leader", "leader", &c.district).await;
    let (_, me) = leader.get("/api/v1/auth/me").await;
    let register = format!("/api/v1/units/{}/households", c.community);
    let (_, h) = c
        .t
        .admin
        .post(
            &register,
            &json!({"address": "东一路8号1栋101", "head_name": "王建国", "flags": ["empty_nest_elderly"]}),
        )
        .await;
    c.t.admin
        .post(
            &register,
            &json!({"address": "东一路8号1栋102", "head_name": "李秀英"}),
        )
        .await;
    let household = h["id"].as_str().unwrap().to_owned();
    let starts = server.clock.now() + Duration::days(1);
    let form = |household: Value| {
        json!({"unit_id": c.community, "hosts": [me["account"]["id"]], "kind": "interview",
               "household": household, "starts_at": starts.to_rfc3339(),
               "ends_at": (starts + Duration::hours(1)).to_rfc3339(), "place": "住户家中"})
    };
    // An interview names a household of the community's register.
    let (status, body) = leader.post("/api/v1/visits", &form(Value::Null)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["household"], "required");
    let (status, body) = leader
        .post("/api/v1/visits", &form(json!(uuid::Uuid::now_v7())))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["household"],
        "unknown_household"
    );
    let (status, v) = leader.post("/api/v1/visits", &form(json!(household))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["kind"].clone(), v["household"].clone()),
        (json!("interview"), json!(household))
    );
    let id = v["id"].as_str().unwrap().to_owned();
    // It is never announced nor shown to the public.
    let (status, body) = leader
        .post(&format!("/api/v1/visits/{id}/notice"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "interview_has_no_notice");
    let public = server
        .client()
        .get(server.url(&format!(
            "/api/v1/public/{}/units/{}/visits",
            c.t.slug, c.community
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!public.contains(&id), "{public}");
    // Held, with the same recording as any visit, it reaches its household.
    server
        .clock
        .advance(Duration::days(1) + Duration::minutes(10));
    let (status, held) = leader
        .put(
            &format!("/api/v1/visits/{id}/minutes"),
            &json!({"text": "老人独居，反映腿脚不便，需要助餐服务。"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{held}");
    assert_eq!(held["status"], "held");
    let (_, cover) = leader
        .get(&format!(
            "/api/v1/households/coverage?within={}",
            c.community
        ))
        .await;
    assert_eq!(
        (cover["households"].clone(), cover["reached"].clone()),
        (json!(2), json!(1)),
        "{cover}"
    );
    assert_eq!(cover["per_mille"], 500);
}

/// Every household of a large community is reachable, page by page, each once: a register
/// of 800 is not cut at 500 with no sign.
#[tokio::test]
async fn a_register_larger_than_a_page_is_read_whole_through_its_cursor() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let register = format!("/api/v1/units/{}/households", c.community);
    let mut file = String::from("住址,户主\n");
    for i in 0..800 {
        // Addresses that share prefixes and hold the cursor's separator.
        file.push_str(&format!("东一路{}号|{}室,户主{i}\n", i % 40, i));
    }
    let (status, report) =
        c.t.admin
            .upload(&format!("{register}/import"), "h.csv", file.into_bytes())
            .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 800);

    let pages = c.t.admin.pages(&format!("{register}?limit=500")).await;
    let mut seen = std::collections::BTreeSet::new();
    for h in pages.iter().flatten() {
        assert!(
            seen.insert(h["id"].as_str().unwrap().to_owned()),
            "{h} twice"
        );
    }
    let pages: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(pages, [500, 300]);
    assert_eq!(seen.len(), 800);

    let (status, body) = c.t.admin.get(&format!("{register}?cursor=bm9wZQ")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["cursor"], "invalid_cursor");
}

#[tokio::test]
async fn a_register_with_a_wrong_header_is_told_its_own_header() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let register = format!("/api/v1/units/{}/households", c.community);
    let division = b"code,parent_code,level,name\n990101001001,990101001000,4,x\n".to_vec();
    let (status, body) =
        c.t.admin
            .upload(&format!("{register}/import"), "h.csv", division)
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "household_bad_header", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("address,head_name") && message.contains("住址,户主"),
        "{message}"
    );
    assert!(!message.contains("parent_code"), "{message}");
}
