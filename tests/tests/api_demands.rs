//! The demand ledger over HTTP: intake and routing by grade, the lifecycle with its 409s,
//! escalation and who may see and act, personal data, deadlines as time moves, the resident's
//! receipt page, and the hash chain naming every row edited, deleted or copied behind the
//! application's back.
mod common;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc, Weekday};
use common::cutting_proxy::{Cut, CuttingProxy};
use common::{
    Session, TestServer, city, demand_total, intake, person, rate_as_resident, unit_id,
    uses_postgres,
};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

async fn act(s: &Session, id: &str, action: &str, body: Value) -> (StatusCode, Value) {
    s.post(&format!("/api/v1/demands/{id}/{action}"), &body)
        .await
}

async fn ok(s: &Session, id: &str, action: &str, body: Value) -> Value {
    let (status, answer) = act(s, id, action, body).await;
    assert_eq!(status, StatusCode::OK, "{action}: {answer}");
    answer
}

/// Records a demand as `s`; the answer.
async fn record(s: &Session, body: &Value) -> Value {
    let (status, d) = s.post("/api/v1/demands", body).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    d
}

/// A demand's events as the API lists them.
async fn events_of(s: &Session, id: &str) -> Vec<Value> {
    let (status, events) = s.get(&format!("/api/v1/demands/{id}/events")).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    events.as_array().expect("a list").clone()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_demand_runs_from_intake_to_a_satisfied_close_and_the_resident_follows_it() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let recorder = person(&server, &c.t, "recorder", "recorder", &c.community).await;
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;

    let (status, d) = recorder
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    // 急 goes to the street above the community, on a 5-working-day clock.
    assert_eq!(d["handling_unit"]["id"], c.east.as_str());
    assert_eq!(d["handling_unit"]["name"], "东街道");
    assert_eq!(d["handling_tier"], "street");
    assert_eq!(d["status"], "received");
    assert_eq!(d["phone"], "138****5678");
    assert_eq!(d["id_number"], "110105********002X");
    assert!(d["reply_due_at"].as_str().unwrap() > d["received_at"].as_str().unwrap());
    assert!(d["resolve_due_at"].is_null());
    // The recorder may record but not handle.
    assert_eq!(d["actions"], json!([]));
    let id = d["id"].as_str().unwrap().to_owned();
    let receipt = d["receipt_code"].as_str().unwrap().to_owned();

    let seen = cadre.get(&format!("/api/v1/demands/{id}")).await.1;
    assert_eq!(
        seen["actions"],
        json!([
            "accept",
            "reject",
            "merge",
            "escalate",
            "add_assist",
            "remove_assist"
        ])
    );
    ok(&cadre, &id, "accept", json!({})).await;
    let replied = ok(
        &cadre,
        &id,
        "reply",
        json!({"text": "已联系物业，明天更换"}),
    )
    .await;
    assert_eq!(replied["status"], "in_progress");
    assert!(replied["replied_at"].is_string());
    ok(&cadre, &id, "resolve", json!({"text": "已更换灯泡"})).await;
    let asked = ok(&cadre, &id, "give-feedback", json!({"text": "已电话回访"})).await;
    // The street that did the work does not rate it: the resident does.
    assert_eq!(asked["actions"], json!([]));
    let (status, refused) = act(&cadre, &id, "rate", json!({"satisfaction": "satisfied"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error"]["code"], "rating_not_yours");
    let (status, rated) = rate_as_resident(
        &server,
        &c.t.slug,
        &receipt,
        json!({"satisfaction": "satisfied", "comment": "灯亮了，谢谢"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rated}");
    assert_eq!(rated["status"], "closed");
    // Once per resolution: a second rating finds nothing awaiting it.
    let (status, again) = rate_as_resident(
        &server,
        &c.t.slug,
        &receipt,
        json!({"satisfaction": "unsatisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["error"]["code"], "rating_not_open");
    let (_, closed) = cadre.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["satisfaction"], "satisfied");
    assert_eq!(closed["actions"], json!([]));

    let (_, events) = cadre.get(&format!("/api/v1/demands/{id}/events")).await;
    let kinds: Vec<_> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "received",
            "accepted",
            "replied",
            "resolved",
            "feedback_given",
            "rated"
        ]
    );
    assert_eq!(events[1]["actor_username"], "east-cadre");
    // Who rated and how: the resident, through the receipt.
    assert_eq!(events[5]["actor_username"], "resident");
    assert_eq!(events[5]["data"]["by"], "resident");
    // The ledger's events never hold the phone number in the clear.
    assert!(!events.to_string().contains("13812345678"));

    // The resident's page: progress by receipt code, typed loosely, no personal data, no login.
    let loose = receipt.to_lowercase().replace('-', " ");
    let r = server
        .client()
        .get(server.url(&format!("/api/v1/public/{}/demands/{loose}", c.t.slug)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let public: Value = r.json().await.unwrap();
    assert_eq!(public["status"], "closed");
    assert_eq!(public["handling_unit"], "东街道");
    assert_eq!(public["progress"][2]["text"], "已联系物业，明天更换");
    let text = public.to_string();
    // The phone in full or masked (a bare "5678" would also match a timestamp's microseconds).
    for secret in ["王阿姨", "13812345678", "****", "002X", "east-cadre"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    // A wrong code, another tenant's slug: not found.
    let other = server.new_tenant("city").await;
    for path in [
        format!("/api/v1/public/{}/demands/AAAA-BBBB-CCCC", c.t.slug),
        format!("/api/v1/public/{}/demands/{receipt}", other.slug),
    ] {
        let r = server.client().get(server.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }

    let (status, verdict) = c.t.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict["intact"], true, "{verdict}");
    assert_eq!(verdict["checked"], 6);
}

#[tokio::test]
async fn each_grade_reaches_its_tier_and_a_tenant_rule_can_change_that() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let mut handled = Vec::new();
    for grade in ["urgent", "worrying", "hard", "hoped_for"] {
        let (status, d) = admin
            .post("/api/v1/demands", &intake(&c.community, grade))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        handled.push((
            d["handling_unit"]["id"].as_str().unwrap().to_owned(),
            d["handling_tier"].clone(),
        ));
    }
    assert_eq!(handled[0], (c.east.clone(), json!("street")));
    assert_eq!(handled[1], (c.district.clone(), json!("county")));
    assert_eq!(handled[2], (c.city.clone(), json!("city")));
    assert_eq!(handled[3], (c.city.clone(), json!("city")));

    // The county gets 15 working days, the city 30: later deadlines for harder grades.
    let (_, list) = admin.get("/api/v1/demands?grade=worrying").await;
    let county_due = list["items"][0]["reply_due_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, list) = admin.get("/api/v1/demands?grade=hard").await;
    assert!(list["items"][0]["reply_due_at"].as_str().unwrap() > county_due.as_str());

    let (_, mut rules) = admin.get("/api/v1/tenant/demand-rules").await;
    assert_eq!(rules["routing"]["urgent"], "street");
    rules["routing"]["urgent"] = json!("community");
    let (status, body) = admin.put("/api/v1/tenant/demand-rules", &rules).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, d) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    assert_eq!(d["handling_unit"]["id"], c.community.as_str());
}

#[tokio::test]
async fn settings_changed_through_one_process_are_used_at_once_by_another() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let here = &c.t.admin;
    let there = here.on(&server.another_process().await);
    // The other process reads (and keeps) the tenant's tiers and rules…
    let (_, d) = there
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    assert_eq!(d["handling_tier"], "street", "{d}");
    let (_, units) = there
        .get(&format!("/api/v1/units?parent={}", c.district))
        .await;
    assert_eq!(units["items"][0]["tier_label_zh"], "街道(乡镇)", "{units}");
    // …this one changes them…
    let (_, mut rules) = here.get("/api/v1/tenant/demand-rules").await;
    rules["routing"]["urgent"] = json!("county");
    assert_eq!(
        here.put("/api/v1/tenant/demand-rules", &rules).await.0,
        StatusCode::OK
    );
    let (status, _) = here
        .patch(
            "/api/v1/tenant/tiers/street",
            &json!({"label_zh": "街道", "label_en": "Subdistrict"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // …and the other's very next requests follow the new ones.
    let (_, d) = there
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    assert_eq!(d["handling_tier"], "county", "{d}");
    assert_eq!(d["handling_unit"]["id"], c.district.as_str());
    let (_, units) = there
        .get(&format!("/api/v1/units?parent={}", c.district))
        .await;
    assert_eq!(units["items"][0]["tier_label_zh"], "街道", "{units}");
}

/// Intake decides from what a server resolved moments ago (caller, settings, the origin's
/// units) without asking the database; what changed meanwhile must still count at once.
#[tokio::test]
async fn intake_follows_revoked_grants_and_archived_units_at_once() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let west = unit_id(&c.t.admin, "990101002001").await;
    let recorder = person(&server, &c.t, "recorder", "recorder", &c.east).await;
    let (status, body) = recorder
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The grant is taken away, then the account disabled: the very next intake is refused.
    let (_, me) = recorder.get("/api/v1/auth/me").await;
    let (account, grant) = (
        me["account"]["id"].as_str().unwrap().to_owned(),
        me["grants"][0]["id"].as_str().unwrap().to_owned(),
    );
    let (status, _) =
        c.t.admin
            .delete(&format!("/api/v1/accounts/{account}/grants/{grant}"))
            .await;
    assert!(status.is_success(), "{status}");
    let (status, body) = recorder
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) =
        c.t.admin
            .post(&format!("/api/v1/accounts/{account}/disable"), &json!({}))
            .await;
    assert!(status.is_success(), "{status}");
    let (status, body) = recorder
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // A community archived after the administrator's last intake there takes no more.
    let admin = &c.t.admin;
    let (status, _) = admin
        .post("/api/v1/demands", &intake(&west, "urgent"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = admin
        .post(&format!("/api/v1/units/{west}/archive"), &json!({}))
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (status, body) = admin
        .post("/api/v1/demands", &intake(&west, "urgent"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["origin_unit"], "unit_archived");
    assert_eq!(demand_total(admin).await, 2);
}

#[tokio::test]
async fn a_reviewer_outside_the_unit_records_the_residents_rating_from_a_follow_up_call() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let reviewer = person(&server, &c.t, "district-reviewer", "reviewer", &c.district).await;
    let west = unit_id(&c.t.admin, "990101002000").await;
    let stranger = person(&server, &c.t, "west-reviewer", "reviewer", &west).await;
    let d = record(&cadre, &intake(&c.community, "urgent")).await;
    let id = d["id"].as_str().unwrap();
    // The reviewer reads the district's demands but works none of them.
    let (status, answer) = act(&reviewer, id, "accept", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    ok(&cadre, id, "accept", json!({})).await;
    ok(&cadre, id, "resolve", json!({"text": "已更换灯泡"})).await;
    ok(
        &cadre,
        id,
        "give-feedback",
        json!({"text": "已办结，请评价"}),
    )
    .await;
    let (_, seen) = reviewer.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(seen["actions"], json!(["rate"]), "{seen}");
    // Another street's reviewer does not even see it.
    let (status, _) = act(&stranger, id, "rate", json!({"satisfaction": "satisfied"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let rated = ok(
        &reviewer,
        id,
        "rate",
        json!({"satisfaction": "basically_satisfied", "comment": "电话回访：基本满意"}),
    )
    .await;
    assert_eq!(rated["status"], "closed");
    assert_eq!(rated["satisfaction"], "basically_satisfied");
    let (_, events) = cadre.get(&format!("/api/v1/demands/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "rated");
    assert_eq!(last["actor_username"], "district-reviewer");
    assert_eq!(last["data"]["by"], "follow_up_call");
}

#[tokio::test]
async fn an_illegal_step_is_a_409_and_changes_nothing() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let (_, d) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let id = d["id"].as_str().unwrap();
    for (action, body) in [
        ("resolve", json!({"text": "x"})),
        ("give-feedback", json!({"text": "x"})),
    ] {
        let (status, answer) = act(admin, id, action, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {answer}");
        assert_eq!(answer["error"]["code"], "illegal_transition");
    }
    // Nor does anyone who handles it rate it, in any state; nor the resident before feedback.
    let (status, answer) = act(admin, id, "rate", json!({"satisfaction": "satisfied"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["error"]["code"], "rating_not_yours");
    let receipt = d["receipt_code"].as_str().unwrap();
    let rate = |body: Value| rate_as_resident(&server, &c.t.slug, receipt, body);
    let (status, answer) = rate(json!({"satisfaction": "satisfied"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"]["code"], "rating_not_open");
    // Bad bodies name the field; an unknown action is a 404.
    let (status, answer) = act(admin, id, "reject", json!({"reason": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["field_codes"]["reason"], "required");
    let (status, answer) = act(admin, id, "rate", json!({"satisfaction": "thrilled"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, _) = act(admin, id, "delete", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, events) = admin.get(&format!("/api/v1/demands/{id}/events")).await;
    assert_eq!(events.as_array().unwrap().len(), 1);
    let (_, now) = admin.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(now["status"], "received");

    // 不满意 reopens: the unit works on it again.
    ok(admin, id, "accept", json!({})).await;
    ok(admin, id, "resolve", json!({"text": "已处理"})).await;
    ok(admin, id, "give-feedback", json!({"text": "回访"})).await;
    // The resident's phone proves it is theirs: the wrong digits, or none, rate nothing.
    for (digits, code) in [("1234", "phone_digits_mismatch"), ("", "required")] {
        let (status, answer) =
            rate(json!({"satisfaction": "satisfied", "phone_last4": digits})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field_codes"]["phone_last4"], code);
    }
    let (status, answer) = rate(json!({"satisfaction": "satisfied", "stars": 5})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) =
        rate(json!({"satisfaction": "unsatisfied", "comment": "灯还是不亮"})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, reopened) = admin.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(reopened["status"], "in_progress");
    assert_eq!(reopened["reopenings"], 1);
    assert!(reopened["resolved_at"].is_null());
}

#[tokio::test]
async fn escalation_climbs_a_tier_and_each_role_sees_only_its_subtree() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let west = unit_id(&c.t.admin, "990101002000").await;
    let east_cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let west_cadre = person(&server, &c.t, "west-cadre", "cadre", &west).await;
    let leader = person(&server, &c.t, "district-leader", "leader", &c.district).await;

    let (_, d) = east_cadre
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let id = d["id"].as_str().unwrap().to_owned();
    // The sibling street sees nothing of it: not by id, not in lists, not its events.
    for path in [
        format!("/api/v1/demands/{id}"),
        format!("/api/v1/demands/{id}/events"),
    ] {
        assert_eq!(
            west_cadre.get(&path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        act(&west_cadre, &id, "accept", json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = west_cadre.get("/api/v1/demands").await;
    assert_eq!(list["items"], json!([]));

    ok(&east_cadre, &id, "accept", json!({})).await;
    let (status, answer) = act(&east_cadre, &id, "escalate", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let up = ok(
        &east_cadre,
        &id,
        "escalate",
        json!({"reason": "涉及多个小区，需区里协调"}),
    )
    .await;
    assert_eq!(up["handling_unit"]["id"], c.district.as_str());
    assert_eq!(up["handling_tier"], "county");
    assert_eq!(up["status"], "received");
    assert_eq!(up["escalations"], 1);
    // The street that raised it still follows it, but acting belongs to the district now.
    let (status, seen) = east_cadre.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["actions"], json!([]));
    assert_eq!(
        act(&east_cadre, &id, "accept", json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    // The district leader acts, and may hand it back down within the district.
    ok(&leader, &id, "accept", json!({})).await;
    let back = ok(
        &leader,
        &id,
        "reassign",
        json!({"unit": c.east, "reason": "由街道落实"}),
    )
    .await;
    assert_eq!(back["handling_unit"]["id"], c.east.as_str());
    // Co-handling: the west street assists and may add progress, nothing more.
    ok(&leader, &id, "add-assist", json!({"unit": west})).await;
    let (status, _) = west_cadre.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    ok(&east_cadre, &id, "accept", json!({})).await;
    ok(&west_cadre, &id, "reply", json!({"text": "西街道已派人"})).await;
    assert_eq!(
        act(&west_cadre, &id, "resolve", json!({"text": "x"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // The top of the tree cannot escalate further.
    let (_, hard) =
        c.t.admin
            .post("/api/v1/demands", &intake(&c.community, "hard"))
            .await;
    let hard = hard["id"].as_str().unwrap();
    let (status, answer) = act(&c.t.admin, hard, "escalate", json!({"reason": "再上报"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"]["code"], "no_higher_tier");
}

#[tokio::test]
async fn a_duplicate_merged_into_another_keeps_its_history_and_points_to_the_survivor() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let survivor = record(&cadre, &intake(&c.community, "urgent")).await;
    let survivor = survivor["id"].as_str().unwrap().to_owned();
    let mut again = intake(&c.community, "urgent");
    again["title"] = json!("楼道灯又坏了");
    let duplicate = record(&cadre, &again).await;
    let duplicate = duplicate["id"].as_str().unwrap().to_owned();
    ok(&cadre, &survivor, "accept", json!({})).await;

    let merged = ok(
        &cadre,
        &duplicate,
        "merge",
        json!({"into": survivor, "reason": "同一楼道，同一盏灯"}),
    )
    .await;
    assert_eq!(merged["status"], "merged");
    assert_eq!(merged["merged_into"], survivor.as_str());
    assert_eq!(merged["actions"], json!([]));
    let (_, seen) = cadre.get(&format!("/api/v1/demands/{duplicate}")).await;
    assert_eq!(seen["status"], "merged");
    assert_eq!(seen["merged_into"], survivor.as_str());
    // The duplicate keeps its own history, ending with the merge…
    let history = events_of(&cadre, &duplicate).await;
    assert_eq!(kinds(&history), ["received", "merged"]);
    assert_eq!(history[1]["data"]["survivor"], survivor.as_str());
    assert_eq!(history[1]["data"]["reason"], "同一楼道，同一盏灯");
    assert_eq!(history[1]["actor_username"], "east-cadre");
    // …and the survivor's timeline shows what it absorbed; its own course is unchanged.
    let timeline = events_of(&cadre, &survivor).await;
    assert_eq!(kinds(&timeline), ["received", "accepted", "absorbed"]);
    assert_eq!(timeline[2]["data"]["duplicate"], duplicate.as_str());
    let (_, kept) = cadre.get(&format!("/api/v1/demands/{survivor}")).await;
    assert_eq!(kept["status"], "accepted");
    assert!(kept["merged_into"].is_null());

    // Refusals: into itself, into a merged, a rejected or a closed demand (nothing more happens
    // there, so a duplicate merged in would never be handled), into one the caller cannot see,
    // and a merged demand merged again.
    let other = record(&cadre, &intake(&c.community, "urgent")).await;
    let other = other["id"].as_str().unwrap().to_owned();
    let rejected = record(&cadre, &intake(&c.community, "urgent")).await;
    let rejected = rejected["id"].as_str().unwrap().to_owned();
    ok(
        &cadre,
        &rejected,
        "reject",
        json!({"reason": "非本辖区事项"}),
    )
    .await;
    let closed = record(&cadre, &intake(&c.community, "urgent")).await;
    let closed = closed["id"].as_str().unwrap().to_owned();
    ok(&cadre, &closed, "accept", json!({})).await;
    ok(&cadre, &closed, "resolve", json!({"text": "已更换灯泡"})).await;
    let asked = ok(&cadre, &closed, "give-feedback", json!({"text": "回访"})).await;
    let receipt = asked["receipt_code"].as_str().unwrap();
    let (status, rated) = rate_as_resident(
        &server,
        &c.t.slug,
        receipt,
        json!({"satisfaction": "satisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rated}");
    assert_eq!(rated["status"], "closed");
    let west = unit_id(&c.t.admin, "990101002001").await;
    let hidden = record(&c.t.admin, &intake(&west, "urgent")).await;
    let hidden = hidden["id"].as_str().unwrap().to_owned();
    let demands = [&survivor, &duplicate, &other, &rejected, &closed];
    let mut before = Vec::new();
    for id in demands {
        before.push(cadre.get(&format!("/api/v1/demands/{id}")).await.1);
        before.push(json!(events_of(&cadre, id).await));
    }
    let (_, verdict) = c.t.admin.get("/api/v1/ledger/verify").await;
    let checked = verdict["checked"].clone();

    let (status, answer) = act(&cadre, &other, "merge", json!({"into": other})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["field_codes"]["into"], "merge_into_itself");
    for done in [&duplicate, &rejected, &closed] {
        let (status, answer) = act(&cadre, &other, "merge", json!({"into": done})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert_eq!(answer["error"]["code"], "survivor_not_open");
        // The message names what happened and what to do instead.
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("已关闭") && message.contains("仍在办理"),
            "{message}"
        );
    }
    let (status, answer) = act(&cadre, &other, "merge", json!({"into": hidden})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["field_codes"]["into"], "unknown_demand");
    let (status, answer) = act(&cadre, &duplicate, "merge", json!({"into": other})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"]["code"], "illegal_transition");

    let mut after = Vec::new();
    for id in demands {
        after.push(cadre.get(&format!("/api/v1/demands/{id}")).await.1);
        after.push(json!(events_of(&cadre, id).await));
    }
    assert_eq!(after, before);
    let (_, verdict) = c.t.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
    assert_eq!(verdict["checked"], checked);
}

#[tokio::test]
async fn a_rejection_tells_the_resident_why_and_needs_a_reason() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let d = record(&cadre, &intake(&c.community, "urgent")).await;
    let id = d["id"].as_str().unwrap();
    let receipt = d["receipt_code"].as_str().unwrap();

    // No reason, an empty or a null one: refused, and nothing is recorded.
    let (status, answer) = act(&cadre, id, "reject", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], "validation_failed");
    for reason in [json!(""), json!(null)] {
        let (status, answer) = act(&cadre, id, "reject", json!({"reason": reason})).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{reason}: {answer}"
        );
        assert_eq!(answer["error"]["code"], "validation_failed");
    }
    assert_eq!(kinds(&events_of(&cadre, id).await), ["received"]);

    let reason = "属于物业合同约定事项，已告知居民联系物业公司";
    let rejected = ok(&cadre, id, "reject", json!({"reason": reason})).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["actions"], json!([]));
    let timeline = events_of(&cadre, id).await;
    assert_eq!(kinds(&timeline), ["received", "rejected"]);
    assert_eq!(timeline[1]["data"]["reason"], reason);
    assert_eq!(timeline[1]["actor_username"], "east-cadre");
    // Rejected is final.
    let (status, answer) = act(&cadre, id, "reject", json!({"reason": "再次"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"]["code"], "illegal_transition");

    // The resident reads the outcome and its reason by receipt code, and nothing personal.
    let r = server
        .client()
        .get(server.url(&format!("/api/v1/public/{}/demands/{receipt}", c.t.slug)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let public: Value = r.json().await.unwrap();
    assert_eq!(public["status"], "rejected");
    let steps = public["progress"].as_array().unwrap();
    assert_eq!(kinds(steps), ["received", "rejected"]);
    assert_eq!(steps[1]["text"], reason);
    let text = public.to_string();
    for secret in ["王阿姨", "13812345678", "****", "002X", "east-cadre"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[tokio::test]
async fn a_reassignment_outside_the_callers_subtree_is_refused_and_changes_nothing() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let other_district = unit_id(&c.t.admin, "990102000000").await;
    let west = unit_id(&c.t.admin, "990101002000").await;
    let leader = person(&server, &c.t, "district-leader", "leader", &c.district).await;
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let d = record(&cadre, &intake(&c.community, "urgent")).await;
    let id = d["id"].as_str().unwrap();
    let (_, before) = leader.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(before["handling_unit"]["id"], c.east.as_str());
    assert!(
        before["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("reassign")),
        "{before}"
    );

    // The district's leader may not hand it to the other district, up to the city, or to a
    // unit that does not exist: to them, none of these is a unit they can name.
    for unit in [
        other_district,
        c.city.clone(),
        uuid::Uuid::new_v4().to_string(),
    ] {
        let (status, answer) = act(
            &leader,
            id,
            "reassign",
            json!({"unit": unit, "reason": "转交"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unit}: {answer}");
        assert_eq!(answer["error"]["field_codes"]["unit"], "unknown_unit");
    }
    // A cadre hands nothing over, even within the street's district.
    let (status, answer) = act(&cadre, id, "reassign", json!({"unit": west})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");

    let (_, after) = leader.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(after, before);
    assert_eq!(kinds(&events_of(&leader, id).await), ["received"]);

    // Within the district it goes through.
    let moved = ok(
        &leader,
        id,
        "reassign",
        json!({"unit": west, "reason": "西街道负责该片区"}),
    )
    .await;
    assert_eq!(moved["handling_unit"]["id"], west.as_str());
    assert_eq!(
        kinds(&events_of(&leader, id).await),
        ["received", "reassigned"]
    );
}

#[tokio::test]
async fn a_retried_submission_never_makes_a_second_demand() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let send = || {
        c.t.admin
            .request(reqwest::Method::POST, "/api/v1/demands")
            .header("idempotency-key", "visit-42-item-3")
            .json(&intake(&c.community, "urgent"))
    };
    let (s1, first) = c.t.admin.send_raw(send()).await;
    let (s2, second) = c.t.admin.send_raw(send()).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first["id"], second["id"]);
    let (_, counts) = c.t.admin.get("/api/v1/demands/counts").await;
    let received = counts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "received")
        .unwrap();
    assert_eq!(received["count"], 1);
}

#[tokio::test]
async fn an_idempotency_key_kept_past_its_day_gives_way_to_a_new_demand() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let send = || {
        c.t.admin
            .request(reqwest::Method::POST, "/api/v1/demands")
            .header("idempotency-key", "old-key")
            .json(&intake(&c.community, "urgent"))
    };
    let (_, first) = c.t.admin.send_raw(send()).await;
    // A day and more later (the key's row aged in the database), the same key is a new request.
    let a_day_ago = chrono::Utc::now() - chrono::Duration::hours(25);
    as_tenant(
        &server,
        &c.t.id,
        "UPDATE idempotency_keys SET created_at = $1",
        a_day_ago.into(),
    )
    .await;
    let (status, second) = c.t.admin.send_raw(send()).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_ne!(first["id"], second["id"]);
    // And that answer is the one the key now replays.
    let (_, third) = c.t.admin.send_raw(send()).await;
    assert_eq!(third["id"], second["id"]);
    assert_eq!(demand_total(&c.t.admin).await, 2);
}

/// A transaction on the tenant's data directly in the database, and its backend.
async fn tenant_tx(server: &TestServer, tenant: &str) -> (sea_orm::DatabaseTransaction, DbBackend) {
    let db = Database::connect(&server.config.database_url)
        .await
        .unwrap();
    let backend = db.get_database_backend();
    let tx = db.begin().await.unwrap();
    if backend == DbBackend::Postgres {
        tx.execute_unprepared(&format!(
            "SELECT set_config('minqing.tenant_id', '{tenant}', true)"
        ))
        .await
        .unwrap();
    }
    (tx, backend)
}

/// Runs one statement with one value (`$1`) on the tenant's data directly in the database.
async fn as_tenant(server: &TestServer, tenant: &str, sql: &str, value: sea_orm::Value) {
    let (tx, backend) = tenant_tx(server, tenant).await;
    let sql = if backend == DbBackend::Postgres {
        sql.to_owned()
    } else {
        sql.replace("$1", "?")
    };
    let changed = tx
        .execute_raw(Statement::from_sql_and_values(backend, &sql, [value]))
        .await
        .unwrap();
    assert!(changed.rows_affected() > 0, "{sql} changed nothing");
    tx.commit().await.unwrap();
}

/// `sql` with its `$1`, `$2`… placeholders as the backend writes them.
fn placeholders(sql: &str, backend: DbBackend) -> String {
    if backend == DbBackend::Postgres {
        sql.to_owned()
    } else {
        (1..=9)
            .rev()
            .fold(sql.to_owned(), |sql, n| sql.replace(&format!("${n}"), "?"))
    }
}

/// The rows one query reads from the tenant's data directly in the database.
async fn tenant_rows(
    server: &TestServer,
    tenant: &str,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Vec<sea_orm::QueryResult> {
    let (tx, backend) = tenant_tx(server, tenant).await;
    let rows = tx
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(sql, backend),
            values,
        ))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rows
}

/// Runs one statement on the tenant's data directly in the database and answers the database's
/// refusal (the test fails if it is not refused).
async fn refused(server: &TestServer, tenant: &str, sql: &str, value: sea_orm::Value) -> String {
    let (tx, backend) = tenant_tx(server, tenant).await;
    let answer = tx
        .execute_raw(Statement::from_sql_and_values(
            backend,
            placeholders(sql, backend),
            [value],
        ))
        .await;
    tx.rollback().await.unwrap();
    match answer {
        Ok(done) => panic!("{sql} went through ({} rows)", done.rows_affected()),
        Err(e) => e.to_string(),
    }
}

/// A demand's events as stored: (seq, kind, data, hash), in order.
async fn stored_events(
    server: &TestServer,
    tenant: &str,
    demand: uuid::Uuid,
) -> Vec<(i64, String, String, String)> {
    tenant_rows(
        server,
        tenant,
        "SELECT seq, kind, data, hash FROM demand_events WHERE demand_id = $1 ORDER BY seq",
        vec![demand.into()],
    )
    .await
    .iter()
    .map(|r| {
        (
            r.try_get("", "seq").unwrap(),
            r.try_get("", "kind").unwrap(),
            r.try_get("", "data").unwrap(),
            r.try_get("", "hash").unwrap(),
        )
    })
    .collect()
}

/// The yardstick of `minqing bench intake`: its plain-SQL baseline writes, for each demand it
/// copies, every row intake wrote (the demand, its event, its outbox messages), or the demand
/// rows alone for the two stricter ones.
#[tokio::test]
async fn the_plain_insert_baseline_writes_the_rows_intake_wrote() {
    if !uses_postgres() {
        eprintln!(
            "skipping: the plain-insert baseline runs on PostgreSQL only (set MINQING_TEST_DATABASE_URL)"
        );
        return;
    }
    use minqing_storage::bench_load::PlainTable;
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    // Cadres hear of each new demand: one outbox message each.
    let (status, body) = admin
        .post(
            "/api/v1/tenant/notification-channels",
            &json!({"kind": "webhook", "name": "cadres", "url": "http://127.0.0.1:9/hook",
                    "secret": "a-webhook-secret-of-some-length", "audience": "cadres"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let since = server.clock.now();
    for grade in ["urgent", "worrying", "hard"] {
        let (status, body) = admin
            .post("/api/v1/demands", &intake(&c.community, grade))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (tx, _) = tenant_tx(&server, &c.t.id).await;
    let count = |table: &str| {
        let sql = format!(
            "SELECT count(*) FROM {table} WHERE tenant_id = current_setting('minqing.tenant_id')::uuid"
        );
        let tx = &tx;
        async move {
            let row = tx
                .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap() as u64
        }
    };
    let (demands, events, outbox) = (
        count("demands").await,
        count("demand_events").await,
        count("outbox").await,
    );
    assert_eq!((demands, events, outbox), (3, 3, 3));

    let tenant = c.t.id.parse().unwrap();
    for (like, rows) in [
        (PlainTable::AllRows, demands + events + outbox),
        (PlainTable::Indexed, demands),
        (PlainTable::Bare, demands),
    ] {
        let run = server
            .storage
            .plain_insert_baseline(tenant, since, 2, like)
            .await
            .unwrap();
        assert_eq!((run.demands, run.rows), (3, rows), "{like:?}");
    }
}

#[tokio::test]
async fn demands_recorded_at_once_are_each_written_once_on_one_unbroken_chain() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let recorder = person(&server, &c.t, "recorder", "recorder", &c.community).await;
    // Forty recorders' submissions at the same moment (written together in batches), and a
    // retry racing its original under one Idempotency-Key.
    let bodies: Vec<Value> = (0..40)
        .map(|i| {
            let mut body = intake(&c.community, ["urgent", "worrying", "hard"][i % 3]);
            body["title"] = json!(format!("同时提交的诉求 {i}"));
            body
        })
        .collect();
    let posts = bodies.iter().map(|b| recorder.post("/api/v1/demands", b));
    let keyed = || {
        recorder
            .request(reqwest::Method::POST, "/api/v1/demands")
            .header("idempotency-key", "same-moment")
            .json(&intake(&c.community, "urgent"))
    };
    let (answers, first, retry) = tokio::join!(
        futures::future::join_all(posts),
        recorder.send_raw(keyed()),
        recorder.send_raw(keyed()),
    );
    let mut codes = std::collections::HashSet::new();
    for (status, d) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{d}");
        assert!(codes.insert(d["receipt_code"].as_str().unwrap().to_owned()));
    }
    // One of the keyed pair made the demand; the other got its answer, or was told to come
    // back for it while it was still being written — never a second demand.
    let (made, other) = if first.0 == StatusCode::CREATED {
        (first, retry)
    } else {
        (retry, first)
    };
    assert_eq!(made.0, StatusCode::CREATED, "{}", made.1);
    match other.0 {
        StatusCode::CREATED => assert_eq!(other.1["id"], made.1["id"]),
        StatusCode::CONFLICT => assert_eq!(other.1["error"]["code"], "idempotency_key_in_use"),
        status => panic!("the retry answered {status}: {}", other.1),
    }
    let (_, again) = recorder.send_raw(keyed()).await;
    assert_eq!(again["id"], made.1["id"]);

    let total = demand_total(&c.t.admin).await;
    assert_eq!(total, 41);
    let (_, verdict) = c.t.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
    assert_eq!(verdict["checked"], 41);
    assert_eq!(verdict["head_seq"], 41);
    // Every demand's first event is in the chain under the recorder's name.
    let (_, d) =
        c.t.admin
            .get(&format!(
                "/api/v1/demands/{}/events",
                answers[7].1["id"].as_str().unwrap()
            ))
            .await;
    assert_eq!(d[0]["kind"], "received", "{d}");
    assert_eq!(d[0]["actor_username"], "recorder");
}

#[tokio::test]
async fn two_processes_recording_and_handling_at_once_keep_one_unbroken_chain() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let here = person(&server, &c.t, "recorder", "recorder", &c.community).await;
    let there = here.on(&server.another_process().await);
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let (_, first) = here
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let handled = first["id"].as_str().unwrap().to_owned();
    // Each process chains its intake batches onto the head its last batch left; the other
    // process's batches and the cadre's steps (which take the head's lock) move it under that
    // guess, and every demand must still land once, on one chain without gaps.
    let posts = (0..30).map(|i| {
        let body = intake(&c.community, ["urgent", "hard"][i % 2]);
        let by = if i % 2 == 0 { &here } else { &there };
        async move { by.post("/api/v1/demands", &body).await }
    });
    let steps = async {
        let mut answers = Vec::new();
        for (action, body) in [
            ("accept", json!({})),
            ("reply", json!({"text": "已安排网格员上门查看"})),
            ("reply", json!({"text": "维修队明日到场"})),
        ] {
            answers.push(act(&cadre, &handled, action, body).await);
        }
        answers
    };
    let (answers, steps) = tokio::join!(futures::future::join_all(posts), steps);
    for (status, d) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{d}");
    }
    for (status, d) in &steps {
        assert_eq!(*status, StatusCode::OK, "{d}");
    }
    assert_eq!(demand_total(&c.t.admin).await, 31);
    let (_, verdict) = c.t.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
    assert_eq!(verdict["checked"], 34);
    assert_eq!(verdict["head_seq"], 34);
}

/// Intake batches through a connection that loses one batch (`cut`): every demand is answered
/// 201 and written exactly once, on an unbroken chain.
async fn lost_batch_is_written_once(cut: Cut) {
    if !uses_postgres() {
        eprintln!(
            "skipping: intake's own connections (lanes) exist on PostgreSQL only (set MINQING_TEST_DATABASE_URL)"
        );
        return;
    }
    let server = TestServer::start().await;
    let c = city(&server).await;
    let here = person(&server, &c.t, "recorder", "recorder", &c.community).await;
    let proxy = CuttingProxy::start(&server.config.database_url, cut).await;
    let there = here.on(&server.another_process_on(&proxy.url).await);
    // The first batch the other process writes is cut; some of these are in it.
    proxy.arm();
    let posts = (0..6).map(|i| {
        let mut body = intake(&c.community, ["urgent", "hard"][i % 2]);
        body["title"] = json!(format!("断线时提交的诉求 {i}"));
        let there = &there;
        async move { there.post("/api/v1/demands", &body).await }
    });
    let answers = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        futures::future::join_all(posts),
    )
    .await
    .expect("every demand is answered");
    assert_eq!(proxy.cuts(), 1, "the proxy cut no batch");
    // The cut batch reached the database or it did not, as the case says.
    assert_eq!(proxy.committed(), cut == Cut::AnswerAfterCommit);
    let mut ids = std::collections::HashSet::new();
    for (status, d) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{d}");
        assert!(ids.insert(d["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(demand_total(&c.t.admin).await, 6);
    let (_, verdict) = c.t.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
    assert_eq!(verdict["checked"], 6);
    // And the process goes on writing on a fresh connection.
    let (status, d) = there
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(demand_total(&c.t.admin).await, 7);
}

#[tokio::test]
async fn a_batch_committed_whose_answer_was_lost_is_not_written_again() {
    lost_batch_is_written_once(Cut::AnswerAfterCommit).await;
}

#[tokio::test]
async fn a_batch_lost_on_its_way_to_the_database_is_written_once() {
    lost_batch_is_written_once(Cut::BatchBeforeSent).await;
}

#[tokio::test]
async fn bad_intake_names_every_field_and_records_nothing() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let mut bad = intake(&c.community, "urgent");
    bad["title"] = json!("");
    bad["phone"] = json!("12ab");
    bad["id_number"] = json!("110105194912310021");
    bad["category"] = json!("Not A Key");
    let (status, body) = admin.post("/api/v1/demands", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["error"]["field_codes"];
    for (f, code) in [
        ("title", "required"),
        ("phone", "invalid_phone"),
        ("id_number", "invalid_id_number"),
        ("category", "invalid_category_key"),
    ] {
        assert_eq!(fields[f], code, "{body}");
    }
    assert!(
        body["error"]["fields"]["phone"]
            .as_str()
            .unwrap()
            .contains("电话")
    );
    // Raised at a street (not a community), an unknown category, a wrong grade.
    let mut at_street = intake(&c.east, "urgent");
    let (status, body) = admin.post("/api/v1/demands", &at_street).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["field_codes"]["origin_unit"],
        "origin_not_community"
    );
    at_street["origin_unit"] = json!(c.community);
    at_street["category"] = json!("karaoke");
    let (_, body) = admin.post("/api/v1/demands", &at_street).await;
    assert_eq!(body["error"]["field_codes"]["category"], "unknown_category");
    at_street["grade"] = json!("medium");
    let (status, body) = admin.post("/api/v1/demands", &at_street).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Messages follow the caller's language.
    let (_, body) = admin
        .send_raw(
            admin
                .request(reqwest::Method::POST, "/api/v1/demands")
                .header("accept-language", "en")
                .json(&bad),
        )
        .await;
    assert!(
        body["error"]["message"].as_str().unwrap().is_ascii(),
        "{body}"
    );
    let (_, list) = admin.get("/api/v1/demands").await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn personal_data_is_masked_and_every_full_view_is_recorded() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let recorder = person(&server, &c.t, "recorder", "recorder", &c.community).await;
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let (_, d) = recorder
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let id = d["id"].as_str().unwrap();
    let path = format!("/api/v1/demands/{id}/personal-data");
    assert_eq!(
        recorder.post(&path, &json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, full) = cadre.post(&path, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!(full["phone"], "13812345678");
    assert_eq!(full["id_number"], "11010519491231002X");
    let (_, events) = cadre.get(&format!("/api/v1/demands/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "personal_data_viewed");
    assert_eq!(last["actor_username"], "east-cadre");
    // Found by phone number through the keyed index; the list stays masked.
    let (_, found) = cadre.get("/api/v1/demands?phone=13812345678").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["phone"], "138****5678");
    let (_, none) = cadre.get("/api/v1/demands?phone=13900000000").await;
    assert_eq!(none["items"], json!([]));
}

#[tokio::test]
async fn deadlines_pass_as_the_clock_moves_and_the_overdue_filter_finds_them() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let (_, urgent) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let (_, hard) = admin
        .post("/api/v1/demands", &intake(&c.community, "hard"))
        .await;
    let (_, overdue) = admin.get("/api/v1/demands?overdue=true").await;
    assert_eq!(overdue["items"], json!([]));

    // Three weeks on: the street's 5 working days have passed, the city's 30 have not.
    server.clock.advance(chrono::Duration::days(21));
    let (_, overdue) = admin.get("/api/v1/demands?overdue=true").await;
    let ids: Vec<_> = overdue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    assert_eq!(ids, [urgent["id"].clone()]);
    assert_eq!(overdue["items"][0]["overdue"], json!(["reply"]));
    let (_, not_overdue) = admin.get("/api/v1/demands?overdue=false").await;
    assert_eq!(not_overdue["items"][0]["id"], hard["id"]);
    // A reply meets the reply deadline: no longer overdue.
    let id = urgent["id"].as_str().unwrap();
    ok(admin, id, "accept", json!({})).await;
    let replied = ok(admin, id, "reply", json!({"text": "迟到的答复"})).await;
    assert_eq!(replied["overdue"], json!([]));
    let (_, overdue) = admin.get("/api/v1/demands?overdue=true").await;
    assert_eq!(overdue["items"], json!([]));
}

#[tokio::test]
async fn the_list_filters_and_pages_newest_first() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    for i in 0..5 {
        let mut body = intake(&c.community, if i % 2 == 0 { "urgent" } else { "worrying" });
        body["title"] = json!(format!("诉求{i}"));
        admin.post("/api/v1/demands", &body).await;
    }
    let (_, page1) = admin.get("/api/v1/demands?limit=2").await;
    let titles: Vec<_> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["诉求4", "诉求3"]);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = admin
        .get(&format!("/api/v1/demands?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(page2["items"][0]["title"], "诉求2");
    let (_, urgent) = admin.get("/api/v1/demands?grade=urgent").await;
    assert_eq!(urgent["items"].as_array().unwrap().len(), 3);
    let (_, q) = admin.get("/api/v1/demands?q=诉求3").await;
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    let (_, within) = admin
        .get(&format!(
            "/api/v1/demands?within={}&grade=worrying",
            c.district
        ))
        .await;
    assert_eq!(within["items"].as_array().unwrap().len(), 2);
    for bad in [
        "status=done",
        "from=2026-13-01",
        "limit=0",
        "cursor=zzz",
        "grade=x",
        "colour=red",
    ] {
        let (status, body) = admin.get(&format!("/api/v1/demands?{bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
}

#[tokio::test]
async fn the_list_selects_by_category_channel_and_the_days_received() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    // Day 0 starts at 10:00 in Shanghai (02:00 UTC), so the days below are the tenant's days.
    let start = (server.clock.now() + Duration::days(2))
        .date_naive()
        .and_hms_opt(2, 0, 0)
        .unwrap()
        .and_utc();
    server.clock.advance(start - server.clock.now());
    let day = |n: u64| (start.date_naive() + Days::new(n)).to_string();
    let file = |category: &str, channel: &str, title: &str| {
        let mut body = intake(&c.community, "urgent");
        body["category"] = json!(category);
        body["channel"] = json!(channel);
        body["title"] = json!(title);
        async move { record(admin, &body).await }
    };
    file("daily_life", "walk_in", "A").await;
    file("sanitation", "hotline", "B").await;
    server.clock.advance(Duration::days(2));
    file("daily_life", "online", "C").await;
    server.clock.advance(Duration::days(2));
    file("elder_care", "hotline", "D").await;
    // 00:30 on day 5 in Shanghai, still day 4 in UTC: it counts on the tenant's day 5.
    server
        .clock
        .advance(Duration::hours(14) + Duration::minutes(30));
    file("other", "walk_in", "E").await;

    for (query, titles) in [
        ("category=daily_life".to_owned(), vec!["C", "A"]),
        ("category=sanitation".to_owned(), vec!["B"]),
        ("category=housing".to_owned(), vec![]),
        ("channel=hotline".to_owned(), vec!["D", "B"]),
        ("channel=online".to_owned(), vec!["C"]),
        ("channel=walk_in".to_owned(), vec!["E", "A"]),
        ("channel=visit".to_owned(), vec![]),
        (format!("from={}", day(2)), vec!["E", "D", "C"]),
        (format!("to={}", day(0)), vec!["B", "A"]),
        (format!("from={}&to={}", day(2), day(2)), vec!["C"]),
        (format!("from={}&to={}", day(1), day(3)), vec!["C"]),
        (format!("from={}&to={}", day(1), day(1)), vec![]),
        (
            format!("from={}&to={}", day(0), day(4)),
            vec!["D", "C", "B", "A"],
        ),
        (format!("from={}", day(5)), vec!["E"]),
        (format!("category=daily_life&from={}", day(1)), vec!["C"]),
        (format!("channel=hotline&to={}", day(3)), vec!["B"]),
    ] {
        let (status, list) = admin.get(&format!("/api/v1/demands?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        let got: Vec<_> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["title"].as_str().unwrap())
            .collect();
        assert_eq!(got, titles, "{query}");
    }
    let (status, body) = admin
        .get(&format!("/api/v1/demands?from={}&to={}", day(4), day(0)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["from"], "from_after_to");
    let (status, body) = admin.get("/api/v1/demands?channel=fax").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

/// Edits one ledger row directly in the database, as someone with the database's keys could.
async fn tamper(server: &TestServer, tenant: &str, seq: i64) {
    behind_the_back(
        server,
        tenant,
        &format!(
            "UPDATE demand_events SET data = replace(data, '已更换灯泡', '无需处理') \
             WHERE seq = {seq} AND data LIKE '%已更换灯泡%'"
        ),
    )
    .await;
}

#[tokio::test]
async fn the_hash_chain_names_a_row_edited_behind_the_applications_back() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let (_, d) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let id = d["id"].as_str().unwrap();
    ok(admin, id, "accept", json!({})).await;
    ok(admin, id, "resolve", json!({"text": "已更换灯泡"})).await;
    ok(admin, id, "give-feedback", json!({"text": "回访"})).await;
    // Another tenant's ledger, untouched, to show the break is named per tenant.
    let other = city(&server).await;
    other
        .t
        .admin
        .post("/api/v1/demands", &intake(&other.community, "urgent"))
        .await;

    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
    // The application itself has no way to change an event: the database refuses.
    tamper(&server, &c.t.id, 3).await;
    let (status, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict["intact"], false, "{verdict}");
    assert_eq!(
        verdict["breaks"],
        json!([{"seq": 3, "demand_id": id, "kind": "tampered"}])
    );
    assert_eq!(verdict["break_count"], 1);
    assert_eq!(verdict["checked"], 4, "it reads on past the break");
    let (_, theirs) = other.t.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(theirs["intact"], true);
    // Only administrators and auditors verify.
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    assert_eq!(
        cadre.get("/api/v1/ledger/verify").await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_the_ledger() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let d = record(admin, &intake(&c.community, "urgent")).await;
    let id = d["id"].as_str().unwrap();
    ok(admin, id, "accept", json!({})).await;
    ok(admin, id, "reply", json!({"text": "已安排电工"})).await;
    let demand: uuid::Uuid = id.parse().unwrap();
    let before = stored_events(&server, &c.t.id, demand).await;
    assert_eq!(before.len(), 3, "the statements below reach real rows");

    // Straight at the database, bound to the tenant as the application binds: each refused.
    for sql in [
        "UPDATE demand_events SET data = replace(data, '已安排电工', '无需处理') WHERE demand_id = $1",
        "UPDATE demand_events SET hash = 'forged' WHERE demand_id = $1",
        "DELETE FROM demand_events WHERE demand_id = $1",
    ] {
        let refusal = refused(&server, &c.t.id, sql, demand.into()).await;
        assert!(
            refusal.contains("demand_events is append-only"),
            "{sql}: {refusal}"
        );
    }
    let refusal = refused(
        &server,
        &c.t.id,
        "DELETE FROM demands WHERE id = $1",
        demand.into(),
    )
    .await;
    assert!(
        refusal.contains("demands are never deleted") || refusal.contains("demands is append-only"),
        "{refusal}"
    );

    assert_eq!(stored_events(&server, &c.t.id, demand).await, before);
    let (status, seen) = admin.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["status"], "in_progress");
    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
    assert_eq!(verdict["checked"], 3);
}

/// Every append-only table: the ledger, the demands, the operations log and the money tables.
const APPEND_ONLY: [&str; 6] = [
    "operations_log",
    "demand_events",
    "demands",
    "budget_lines",
    "expenditures",
    "expenditure_vouchers",
];

/// Runs `TRUNCATE table CASCADE` bound to the tenant, in a transaction that is rolled back
/// whatever happens, and answers the database's refusal (the test fails if it went through).
/// Other tests share the database: the statement waits at most briefly for its lock and is
/// tried again, so it never holds up, nor deadlocks with, their transactions.
async fn truncation_refused(server: &TestServer, tenant: &str, table: &str) -> String {
    for _ in 0..200 {
        let (tx, _) = tenant_tx(server, tenant).await;
        tx.execute_unprepared("SET LOCAL lock_timeout = '100ms'")
            .await
            .unwrap();
        let answer = tx
            .execute_unprepared(&format!("TRUNCATE TABLE {table} CASCADE"))
            .await;
        tx.rollback().await.unwrap();
        match answer {
            Ok(_) => panic!("TRUNCATE {table} went through"),
            Err(e) if e.to_string().contains("lock timeout") => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => return e.to_string(),
        }
    }
    panic!("TRUNCATE {table} never got its lock");
}

#[tokio::test]
async fn the_database_refuses_to_truncate_an_append_only_table() {
    if !uses_postgres() {
        eprintln!(
            "skipping: SQLite has no TRUNCATE (set MINQING_TEST_DATABASE_URL to run this on PostgreSQL)"
        );
        return;
    }
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let d = record(admin, &intake(&c.community, "urgent")).await;
    let id = d["id"].as_str().unwrap();
    ok(admin, id, "accept", json!({})).await;
    // Money too: an allocation, spending on the demand, and its voucher.
    let (status, body) = admin
        .post(
            &format!("/api/v1/units/{}/budget/lines", c.east),
            &json!({"fiscal_year": 2026, "item": "民情家访工作经费", "amount": "10000"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, spent) = admin
        .post(
            &format!("/api/v1/units/{}/budget/expenditures", c.east),
            &json!({
                "spent_on": "2026-03-15",
                "payee": "某五金店",
                "purpose": "更换楼道灯",
                "amount": "80",
                "demand_id": id,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{spent}");
    let voucher = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let (status, body) = admin
        .upload(
            &format!(
                "/api/v1/expenditures/{}/vouchers",
                spent["id"].as_str().unwrap()
            ),
            "发票.pdf",
            voucher,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let counts = || async {
        let mut counts = Vec::new();
        for table in APPEND_ONLY {
            let rows = tenant_rows(
                &server,
                &c.t.id,
                &format!("SELECT count(*) AS n FROM {table}"),
                vec![],
            )
            .await;
            let n: i64 = rows[0].try_get("", "n").unwrap();
            counts.push((table, n));
        }
        counts
    };
    let before = counts().await;
    assert!(
        before.iter().all(|(_, n)| *n > 0),
        "the tenant has rows in each table: {before:?}"
    );

    // TRUNCATE fires no row trigger and row-level security does not bind it: refused all the
    // same, by the table's own trigger (CASCADE, or the foreign keys would refuse it first).
    for table in APPEND_ONLY {
        let refusal = truncation_refused(&server, &c.t.id, table).await;
        assert!(
            refusal.contains(&format!("{table} is append-only")),
            "TRUNCATE {table}: {refusal}"
        );
    }

    assert_eq!(counts().await, before);
    let (status, seen) = admin.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["status"], "accepted");
    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
    assert_eq!(verdict["checked"], 2);
}

#[tokio::test]
async fn the_shell_fails_and_names_the_tampered_event() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let d = record(admin, &intake(&c.community, "urgent")).await;
    let id = d["id"].as_str().unwrap();
    ok(admin, id, "accept", json!({})).await;
    ok(admin, id, "resolve", json!({"text": "已更换灯泡"})).await;
    ok(admin, id, "give-feedback", json!({"text": "回访"})).await;
    let (config, slug) = (&server.config, c.t.slug.as_str());
    let verify = || async move {
        let mut out = Vec::new();
        let intact = minqing_server::ledger::verify_to(config, Some(slug), &mut out)
            .await
            .unwrap();
        (intact, String::from_utf8(out).unwrap())
    };
    let (intact, said) = verify().await;
    assert!(intact, "{said}");
    assert_eq!(said, format!("{}: intact (4 events, head 4)\n", c.t.slug));

    tamper(&server, &c.t.id, 3).await;
    // Not intact is what `minqing ledger verify` exits 1 on.
    let (intact, said) = verify().await;
    assert!(!intact, "{said}");
    assert_eq!(
        said,
        format!(
            "{}: BROKEN: 1 break in 4 events (head 4)\n  event 3: tampered (demand {id})\n",
            c.t.slug
        )
    );
}

#[tokio::test]
async fn an_sm3_and_sm4_tenant_chains_and_seals_with_the_state_algorithms() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let (_, d) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let (_, mut rules) = admin.get("/api/v1/tenant/demand-rules").await;
    assert_eq!(rules["hash_algorithm"], "sha256");
    rules["hash_algorithm"] = json!("sm3");
    rules["cipher_algorithm"] = json!("sm4_gcm");
    let (status, body) = admin.put("/api/v1/tenant/demand-rules", &rules).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, e) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let (_, events) = admin
        .get(&format!(
            "/api/v1/demands/{}/events",
            e["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(events[0]["algorithm"], "sm3");
    let (_, old) = admin
        .get(&format!(
            "/api/v1/demands/{}/events",
            d["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(old[0]["algorithm"], "sha256");
    // Both the old (AES) and the new (SM4) personal data open for a cadre.
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    for demand in [&d, &e] {
        let (status, full) = cadre
            .post(
                &format!(
                    "/api/v1/demands/{}/personal-data",
                    demand["id"].as_str().unwrap()
                ),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{full}");
        assert_eq!(full["phone"], "13812345678");
    }
    // At rest, in the demand's row and in its ledger event, each is sealed with the cipher
    // its tenant chose when it was recorded, and neither holds the numbers in the clear.
    for (demand, tag) in [(&d, "v1:aes256_gcm:"), (&e, "v1:sm4_gcm:")] {
        let id: uuid::Uuid = demand["id"].as_str().unwrap().parse().unwrap();
        let rows = tenant_rows(
            &server,
            &c.t.id,
            "SELECT state FROM demands WHERE id = $1",
            vec![id.into()],
        )
        .await;
        let row: String = rows[0].try_get("", "state").unwrap();
        let state: Value = serde_json::from_str(&row).unwrap();
        let sealed = state["intake"]["phone_sealed"].as_str().unwrap();
        assert!(sealed.starts_with(tag), "{sealed}");
        let id_sealed = state["intake"]["id_number_sealed"].as_str().unwrap();
        assert!(id_sealed.starts_with(tag), "{id_sealed}");
        let events = stored_events(&server, &c.t.id, id).await;
        let received: Value = serde_json::from_str(&events[0].2).unwrap();
        assert_eq!(received["intake"]["phone_sealed"], sealed);
        for stored in [&row, &events[0].2] {
            for plain in ["13812345678", "138 1234 5678", "11010519491231002X"] {
                assert!(!stored.contains(plain), "{plain} at rest: {stored}");
            }
        }
    }
    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
    // A bad algorithm name is a 422.
    rules["hash_algorithm"] = json!("md5");
    let (status, _) = admin.put("/api/v1/tenant/demand-rules", &rules).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_calendar_ships_with_the_official_schedule_and_a_year_can_be_loaded() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let (_, days) = admin.get("/api/v1/tenant/calendar?year=2026").await;
    let make_up: Vec<_> = days
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "workday")
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert!(
        make_up.contains(&"2026-02-14") && make_up.contains(&"2026-02-28"),
        "{days}"
    );
    let csv = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,workday,春节\n";
    let (status, loaded) = admin
        .upload(
            "/api/v1/tenant/calendar/2027/import",
            "2027.csv",
            csv.into(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{loaded}");
    assert_eq!(loaded.as_array().unwrap().len(), 2);
    let bad = "date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,x\n2027-02-01,party,x\n";
    let (status, body) = admin
        .upload("/api/v1/tenant/calendar/2027/import", "bad.csv", bad.into())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let lines: Vec<_> = body["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4]);
    // Nothing of the bad file was kept.
    let (_, kept) = admin.get("/api/v1/tenant/calendar?year=2027").await;
    assert_eq!(kept.as_array().unwrap().len(), 2);
    // A date outside the year, by JSON.
    let (status, _) = admin
        .put(
            "/api/v1/tenant/calendar/2027",
            &json!({"entries": [{"date": "2028-01-01", "kind": "holiday", "name": "元旦"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A name is at most 100 characters, by JSON and in a file (the line named).
    let long = "节".repeat(101);
    let (status, body) = admin
        .put(
            "/api/v1/tenant/calendar/2027",
            &json!({"entries": [
                {"date": "2027-01-01", "kind": "holiday", "name": "节".repeat(100)},
                {"date": "2027-01-02", "kind": "holiday", "name": long},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["entries[1].name"],
        "calendar_name_too_long"
    );
    assert!(
        body["error"]["fields"]["entries[1].name"]
            .as_str()
            .is_some_and(|m| m.contains("100")),
        "{body}"
    );
    let file = format!("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,holiday,{long}\n");
    let (status, body) = admin
        .upload(
            "/api/v1/tenant/calendar/2027/import",
            "long.csv",
            file.into(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["rows"][0]["line"], 3, "{body}");
    assert_eq!(body["error"]["rows"][0]["reason"], "calendar_name_too_long");
    let (_, kept) = admin.get("/api/v1/tenant/calendar?year=2027").await;
    assert_eq!(kept.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_weekday_made_a_holiday_moves_the_deadline_of_demands_recorded_after() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    // A Monday in March two years on, 10:00 in Shanghai; that year's calendar starts empty.
    let year = server.clock.now().year() + 2;
    let monday = (1..=7)
        .map(|d| NaiveDate::from_ymd_opt(year, 3, d).unwrap())
        .find(|d| d.weekday() == Weekday::Mon)
        .unwrap();
    let day = |n: u64| monday + Days::new(n);
    server
        .clock
        .advance(monday.and_hms_opt(2, 0, 0).unwrap().and_utc() - server.clock.now());
    // The end of a day in Shanghai: the midnight after it, 16:00 UTC.
    let end_of = |d: NaiveDate| d.and_hms_opt(16, 0, 0).unwrap().and_utc();
    let due = |d: &Value| -> DateTime<Utc> {
        d["reply_due_at"]
            .as_str()
            .expect("a reply deadline")
            .parse()
            .unwrap()
    };
    let set_year = |entries: Value| async move {
        let (status, body) = admin
            .put(
                &format!("/api/v1/tenant/calendar/{year}"),
                &json!({ "entries": entries }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    };
    set_year(json!([])).await;

    // The street's 5 working days from a Monday: Tuesday to the next Monday.
    let first = record(admin, &intake(&c.community, "urgent")).await;
    assert_eq!(due(&first), end_of(day(7)));
    // Wednesday becomes a holiday: a demand recorded now is due a working day later.
    let holiday = json!({"date": day(2).to_string(), "kind": "holiday", "name": "地方节日"});
    set_year(json!([holiday])).await;
    let second = record(admin, &intake(&c.community, "urgent")).await;
    assert_eq!(due(&second), end_of(day(8)));
    // And a Saturday made a working day (调休) brings it back to Monday.
    set_year(json!([holiday, {"date": day(5).to_string(), "kind": "workday", "name": "调休上班"}]))
        .await;
    let third = record(admin, &intake(&c.community, "urgent")).await;
    assert_eq!(due(&third), end_of(day(7)));
    // Deadlines already set keep their dates.
    for (d, on) in [(&first, day(7)), (&second, day(8))] {
        let (_, now) = admin
            .get(&format!("/api/v1/demands/{}", d["id"].as_str().unwrap()))
            .await;
        assert_eq!(due(&now), end_of(on));
    }

    // A street rule in calendar days, with a resolution deadline: holidays and weekends count.
    let (_, mut rules) = admin.get("/api/v1/tenant/demand-rules").await;
    for rule in rules["deadlines"].as_array_mut().unwrap() {
        if rule["tier"] == "street" {
            rule["count"] = json!("calendar");
            rule["resolve_days"] = json!(10);
        }
    }
    let (status, body) = admin.put("/api/v1/tenant/demand-rules", &rules).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fourth = record(admin, &intake(&c.community, "urgent")).await;
    // 5 calendar days from a Monday: Saturday, the holiday Wednesday counted like any day.
    assert_eq!(due(&fourth), end_of(day(5)));
    assert_eq!(
        fourth["resolve_due_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        end_of(day(10))
    );
}

#[tokio::test]
async fn photos_and_pdfs_are_filed_checked_by_content_and_chained_in_the_ledger() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let west = unit_id(&c.t.admin, "990101002000").await;
    let recorder = person(&server, &c.t, "recorder", "recorder", &c.community).await;
    let west_cadre = person(&server, &c.t, "west-cadre", "cadre", &west).await;
    let (_, d) = recorder
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let id = d["id"].as_str().unwrap();
    let path = format!("/api/v1/demands/{id}/attachments");
    let mut jpeg = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0".to_vec();
    jpeg.extend(std::iter::repeat_n(7u8, 4_000));
    let (status, filed) = recorder
        .upload(&path, "C:\\相册\\楼道灯.jpg", jpeg.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(filed["file_name"], "楼道灯.jpg");
    assert_eq!(filed["media_type"], "image/jpeg");
    assert_eq!(filed["size"], 4_011);

    // An executable named like a photo, and a file over 10 MB: refused, nothing filed.
    let (status, body) = recorder
        .upload(&path, "photo.jpg", b"MZ\x90\0not a photo".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["file"],
        "unsupported_attachment_type"
    );
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (status, body) = recorder.upload(&path, "big.pdf", big).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["file"], "attachment_too_large");

    let (_, list) = recorder.get(&path).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let file = format!("{path}/{}", filed["id"].as_str().unwrap());
    let r = recorder
        .send_raw_bytes(recorder.request(reqwest::Method::GET, &file))
        .await;
    assert_eq!(r.0, StatusCode::OK);
    assert_eq!(r.1, jpeg);
    assert_eq!(r.2["content-type"], "image/jpeg");
    assert_eq!(r.2["x-content-type-options"], "nosniff");
    // The sibling street sees none of it.
    for p in [&path, &file] {
        assert_eq!(west_cadre.get(p).await.0, StatusCode::NOT_FOUND, "{p}");
    }
    let (status, _) = west_cadre.upload(&path, "x.jpg", jpeg.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The ledger holds the file's hash.
    let (_, events) = recorder.get(&format!("/api/v1/demands/{id}/events")).await;
    let added = events.as_array().unwrap().last().unwrap();
    assert_eq!(added["kind"], "attachment_added");
    assert_eq!(added["data"]["sha256"], filed["sha256"]);
    let (_, verdict) = c.t.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true);
}

/// Two cadres act on one demand at the same moment, a reply and a resolution: each step is
/// decided on the state it finds, and one decided on a state that changed meanwhile is refused
/// (409 `demand_changed`) instead of overwriting the other — so the stored status always says
/// what the ledger's events say, and no step the lifecycle forbids (a reply after the
/// resolution) enters the ledger.
#[tokio::test]
async fn steps_taken_at_once_on_one_demand_never_overwrite_each_other() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        let d = record(admin, &intake(&c.community, "urgent")).await;
        let id = d["id"].as_str().unwrap().to_owned();
        ok(admin, &id, "accept", json!({})).await;
        ids.push(id);
    }
    let races = ids.iter().map(|id| {
        let (a, b) = (admin.clone(), cadre.clone());
        async move {
            let (reply, resolve) = tokio::join!(
                act(&a, id, "reply", json!({"text": "已派人查看"})),
                act(&b, id, "resolve", json!({"text": "已修好"})),
            );
            (id, reply, resolve)
        }
    });
    for (id, reply, resolve) in futures::future::join_all(races).await {
        for (status, body) in [&reply, &resolve] {
            assert!(
                *status == StatusCode::OK || *status == StatusCode::CONFLICT,
                "{status}: {body}"
            );
            if *status == StatusCode::CONFLICT {
                let code = body["error"]["code"].as_str().unwrap();
                assert!(
                    ["demand_changed", "illegal_transition"].contains(&code),
                    "{body}"
                );
            }
        }
        let kinds: Vec<String> = events_of(admin, id)
            .await
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect();
        let resolved = kinds.iter().position(|k| k == "resolved");
        let replied = kinds.iter().position(|k| k == "replied");
        assert_eq!(resolved.is_some(), resolve.0 == StatusCode::OK, "{kinds:?}");
        assert_eq!(replied.is_some(), reply.0 == StatusCode::OK, "{kinds:?}");
        if let (Some(r), Some(p)) = (resolved, replied) {
            assert!(
                p < r,
                "a reply entered the ledger after the resolution: {kinds:?}"
            );
        }
        let (_, d) = admin.get(&format!("/api/v1/demands/{id}")).await;
        let expected = match (resolved, replied) {
            (Some(_), _) => "resolved",
            (None, Some(_)) => "in_progress",
            (None, None) => "accepted",
        };
        assert_eq!(d["status"], expected, "{kinds:?}");
    }
    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
}

/// Runs `sql` on the tenant's events directly in the database, its append-only trigger set
/// aside as only someone with the database's keys could.
async fn behind_the_back(server: &TestServer, tenant: &str, sql: &str) {
    let (tx, backend) = tenant_tx(server, tenant).await;
    if backend == DbBackend::Postgres {
        tx.execute_unprepared(
            "ALTER TABLE demand_events DISABLE TRIGGER demand_events_append_only",
        )
        .await
        .unwrap();
    } else {
        for trigger in ["demand_events_no_update", "demand_events_no_delete"] {
            tx.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}"))
                .await
                .unwrap();
        }
    }
    let changed = tx.execute_unprepared(sql).await.unwrap();
    assert_eq!(changed.rows_affected(), 1, "{sql}");
    if backend == DbBackend::Postgres {
        tx.execute_unprepared("ALTER TABLE demand_events ENABLE TRIGGER demand_events_append_only")
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Beside an edited event (above), the chain names an event deleted from the database and,
/// on PostgreSQL, one copied to the end of the chain.
#[tokio::test]
async fn the_hash_chain_names_an_event_deleted_or_copied_behind_the_applications_back() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let d = record(admin, &intake(&c.community, "urgent")).await;
    let id = d["id"].as_str().unwrap();
    ok(admin, id, "accept", json!({})).await;
    ok(admin, id, "reply", json!({"text": "已安排电工"})).await;
    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");

    behind_the_back(&server, &c.t.id, "DELETE FROM demand_events WHERE seq = 2").await;
    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], false, "{verdict}");
    // The deleted event is named at its own seq, not its successor's; it is gone with its
    // demand id (it was not the demand's last event), and nothing else is a break.
    assert_eq!(
        verdict["breaks"],
        json!([{"seq": 2, "demand_id": null, "kind": "missing"}]),
        "{verdict}"
    );
    assert_eq!(verdict["break_count"], 1);
    assert_eq!(verdict["checked"], 2);

    if !uses_postgres() {
        eprintln!("skipping the copied event: it is copied with PostgreSQL's json_populate_record");
        return;
    }
    let other = city(&server).await;
    let d = record(&other.t.admin, &intake(&other.community, "urgent")).await;
    ok(
        &other.t.admin,
        d["id"].as_str().unwrap(),
        "accept",
        json!({}),
    )
    .await;
    // Event 2 copied to the end of the chain (seq 3, a new id): the chain's uniqueness
    // refuses a second seq 2, but not this. The copy's stored hash repeats event 2's, and it
    // lies past the head: it is the one inserted, and event 2 stands.
    let copy = format!(
        "ffffffff-ffff-7fff-bfff-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    behind_the_back(
        &server,
        &other.t.id,
        &format!(
            "INSERT INTO demand_events SELECT (json_populate_record(e, \
             json_build_object('id', '{copy}', 'seq', 3))).* FROM demand_events e WHERE seq = 2"
        ),
    )
    .await;
    let (_, verdict) = other.t.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(
        verdict["breaks"],
        json!([{"seq": 3, "demand_id": d["id"], "kind": "inserted"}]),
        "{verdict}"
    );
    assert_eq!(verdict["head_seq"], 2);
    // The first tenant's break is its own.
    let (_, mine) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(
        mine["breaks"],
        json!([{"seq": 2, "demand_id": null, "kind": "missing"}])
    );
}

/// An event edited and another deleted behind the application's back are both named, each at
/// its own seq with its kind (the verifier goes on past the first); a deleted event that was
/// its demand's last is named with that demand. The shell says the same.
#[tokio::test]
async fn the_hash_chain_names_every_break_not_only_the_first() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    // Demand a: events 1-3; demand b: events 4-6.
    let a = record(admin, &intake(&c.community, "urgent")).await;
    let a = a["id"].as_str().unwrap().to_owned();
    ok(admin, &a, "accept", json!({})).await;
    ok(admin, &a, "reply", json!({"text": "已安排电工"})).await;
    let b = record(admin, &intake(&c.community, "urgent")).await;
    let b = b["id"].as_str().unwrap().to_owned();
    ok(admin, &b, "accept", json!({})).await;
    ok(admin, &b, "reply", json!({"text": "已联系物业"})).await;
    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
    assert_eq!(verdict["breaks"], json!([]));
    assert_eq!(verdict["break_count"], 0);

    behind_the_back(
        &server,
        &c.t.id,
        "UPDATE demand_events SET data = replace(data, '已安排电工', '无需处理') \
         WHERE seq = 3 AND data LIKE '%已安排电工%'",
    )
    .await;
    behind_the_back(&server, &c.t.id, "DELETE FROM demand_events WHERE seq = 5").await;
    let (status, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict["intact"], false, "{verdict}");
    assert_eq!(
        verdict["breaks"],
        json!([
            {"seq": 3, "demand_id": a, "kind": "tampered"},
            {"seq": 5, "demand_id": null, "kind": "missing"},
        ]),
        "{verdict}"
    );
    assert_eq!(verdict["break_count"], 2);
    assert_eq!(verdict["checked"], 5);
    assert_eq!(verdict["head_seq"], 6);

    // The last event cut too: missing at its seq, the head still naming it, and its demand
    // named (the demand's row says it was its last).
    behind_the_back(&server, &c.t.id, "DELETE FROM demand_events WHERE seq = 6").await;
    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(
        verdict["breaks"],
        json!([
            {"seq": 3, "demand_id": a, "kind": "tampered"},
            {"seq": 5, "demand_id": null, "kind": "missing"},
            {"seq": 6, "demand_id": b, "kind": "missing"},
        ]),
        "{verdict}"
    );
    assert_eq!(verdict["break_count"], 3);

    let mut out = Vec::new();
    let intact = minqing_server::ledger::verify_to(&server.config, Some(&c.t.slug), &mut out)
        .await
        .unwrap();
    assert!(!intact);
    let out = String::from_utf8(out).unwrap();
    let expected = format!(
        "{slug}: BROKEN: 3 breaks in 4 events (head 6)\n  \
         event 3: tampered (demand {a})\n  \
         event 5: missing (demand unknown)\n  \
         event 6: missing (demand {b})\n",
        slug = c.t.slug
    );
    assert_eq!(out, expected);
}
