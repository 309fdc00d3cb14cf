//! Contact points and visits over HTTP: a leader paired with a community owes a visit each
//! month; a visit is scheduled, its notice published (never inside the lead time), read on
//! the community's public page and calendar feeds, held with attendance and minutes, and the
//! demands raised there land in the ledger linked to it; moved and cancelled visits say why.
mod common;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use common::{City, Session, TestServer, city, intake, person};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn account_id(s: &Session) -> String {
    let (_, me) = s.get("/api/v1/auth/me").await;
    me["account"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("me: {me}"))
        .to_owned()
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

fn visit_form(c: &City, host: &str, starts: DateTime<Utc>) -> Value {
    json!({
        "unit_id": c.community,
        "hosts": [host],
        "starts_at": at(starts),
        "ends_at": at(starts + Duration::hours(2)),
        "place": "东一社区居委会二楼会议室",
        "topic": "老旧小区加装电梯意见征集",
    })
}

async fn public(server: &TestServer, path: &str) -> (StatusCode, String) {
    let r = server.client().get(server.url(path)).send().await.unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn a_visit_runs_from_schedule_to_notice_to_minutes_and_keeps_the_month() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let leader = person(&server, &c.t, "district-leader", "leader", &c.district).await;
    let recorder = person(&server, &c.t, "recorder", "recorder", &c.community).await;
    let leader_id = account_id(&leader).await;

    // On the 3rd of next month (so the visit two days on falls in the same month)…
    let now = server.clock.now();
    let next = now.date_naive().with_day(1).unwrap() + Duration::days(32);
    let first = NaiveDate::from_ymd_opt(next.year(), next.month(), 1).unwrap();
    let third = (first + Duration::days(2))
        .and_hms_opt(1, 0, 0)
        .unwrap()
        .and_utc();
    server.clock.advance(third - now);
    let today = server.clock.now().date_naive();
    // …the admin pairs the leader with 东一社区 from the first of the month.
    let (status, point) =
        c.t.admin
            .post(
                "/api/v1/contact-points",
                &json!({"leader": leader_id, "unit_id": c.community, "since": first}),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{point}");
    assert_eq!(point["leader"]["name"], "district-leader");
    assert_eq!(point["unit"]["name"], "东一社区");
    assert_eq!(point["frequency"], "monthly");
    assert_eq!(
        (point["due"].clone(), point["done"].clone()),
        (json!(1), json!(0))
    );
    // The same pairing again, for days it already covers, is refused.
    let (status, again) =
        c.t.admin
            .post(
                "/api/v1/contact-points",
                &json!({"leader": leader_id, "unit_id": c.community, "since": today}),
            )
            .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["error"]["code"], "contact_point_exists");

    // The leader schedules a visit for two days ahead and publishes its notice.
    let starts = server.clock.now() + Duration::days(2);
    let (status, v) = leader
        .post("/api/v1/visits", &visit_form(&c, &leader_id, starts))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "scheduled");
    assert_eq!(v["hosts"][0]["name"], "district-leader");
    let id = v["id"].as_str().unwrap().to_owned();
    // Not on the public page before its notice is out.
    let page = format!("/api/v1/public/{}/units/{}/visits", c.t.slug, c.community);
    let (_, body) = public(&server, &page).await;
    assert!(!body.contains(&id), "{body}");
    let (status, published) = leader
        .post(&format!("/api/v1/visits/{id}/notice"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["status"], "published");
    let (status, twice) = leader
        .post(&format!("/api/v1/visits/{id}/notice"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(twice["error"]["code"], "notice_already_published");

    // Residents read it with no login: hosts by name, nothing recorded.
    let (status, body) = public(&server, &page).await;
    assert_eq!(status, StatusCode::OK);
    let notices: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(notices["unit"], "东一社区");
    assert_eq!(notices["upcoming"][0]["id"], id.as_str());
    assert_eq!(notices["upcoming"][0]["hosts"], json!(["district-leader"]));
    assert_eq!(notices["upcoming"][0]["place"], "东一社区居委会二楼会议室");
    assert!(notices["upcoming"][0].get("minutes").is_none());
    // The community's and the leader's calendar feeds hold it.
    let (status, feed) = public(
        &server,
        &format!(
            "/api/v1/public/{}/units/{}/visits.ics",
            c.t.slug, c.community
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(feed.starts_with("BEGIN:VCALENDAR\r\n"), "{feed}");
    assert!(feed.contains(&format!("UID:{id}@minqing")));
    assert!(
        feed.contains(&format!("DTSTART:{}", starts.format("%Y%m%dT%H%M%SZ"))),
        "{feed}"
    );
    let (status, feed) = public(
        &server,
        &format!("/api/v1/public/{}/leaders/{leader_id}/visits.ics", c.t.slug),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(feed.contains(&format!("UID:{id}@minqing")));

    // Nothing is recorded of a visit that has not started.
    let attendance = json!({"residents": 32, "walk_ins": 5, "households": 21});
    let (status, early) = recorder
        .put(&format!("/api/v1/visits/{id}/attendance"), &attendance)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{early}");
    assert_eq!(early["error"]["code"], "visit_not_started");

    // At the visit: the recorder takes attendance, the minutes and a demand raised there.
    server
        .clock
        .advance(Duration::days(2) + Duration::minutes(30));
    let (status, held) = recorder
        .put(&format!("/api/v1/visits/{id}/attendance"), &attendance)
        .await;
    assert_eq!(status, StatusCode::OK, "{held}");
    assert_eq!(held["status"], "held");
    assert_eq!(held["attendance"], attendance);
    let (status, noted) = recorder
        .put(
            &format!("/api/v1/visits/{id}/minutes"),
            &json!({"text": "群众反映3栋加装电梯分摊方案，已现场答复。"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{noted}");
    assert_eq!(noted["minutes_by"], "recorder");
    let mut raised = intake(&c.community, "worrying");
    raised["channel"] = json!("visit");
    raised["visit"] = json!(id);
    let (status, d) = recorder.post("/api/v1/demands", &raised).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["visit"], id.as_str());
    let (_, linked) = c.t.admin.get(&format!("/api/v1/demands?visit={id}")).await;
    assert_eq!(linked["items"].as_array().unwrap().len(), 1, "{linked}");
    assert_eq!(linked["items"][0]["id"], d["id"]);
    // A held visit can no longer be moved or called off.
    let (status, body) = leader
        .post(
            &format!("/api/v1/visits/{id}/cancel"),
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "visit_already_held");

    // The month is kept.
    let (_, points) =
        c.t.admin
            .get(&format!(
                "/api/v1/contact-points?within={}&leader={leader_id}",
                c.district
            ))
            .await;
    let p = &points["items"][0];
    assert_eq!(p["done"], 1, "{points}");
    assert_eq!(p["missed"], 0, "{points}");
    let held_day = starts.date_naive();
    let kept = p["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["standing"] == "done")
        .unwrap();
    assert!(kept["start"].as_str().unwrap() <= held_day.to_string().as_str());
    assert!(kept["end"].as_str().unwrap() >= held_day.to_string().as_str());
}

#[tokio::test]
async fn a_notice_inside_the_lead_time_is_refused_and_moves_and_cancellations_say_why() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let leader = person(&server, &c.t, "leader", "leader", &c.district).await;
    let leader_id = account_id(&leader).await;
    let soon = server.clock.now() + Duration::hours(10);
    let (_, v) = leader
        .post("/api/v1/visits", &visit_form(&c, &leader_id, soon))
        .await;
    let id = v["id"].as_str().unwrap().to_owned();
    let (status, late) = leader
        .post(&format!("/api/v1/visits/{id}/notice"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{late}");
    assert_eq!(late["error"]["code"], "notice_too_late");
    assert!(
        late["error"]["message"].as_str().unwrap().contains("24"),
        "{late}"
    );
    let (_, still) = leader.get(&format!("/api/v1/visits/{id}")).await;
    assert_eq!(still["status"], "scheduled");
    assert!(still["notice_published_at"].is_null());

    // Moved to three days ahead (with its reason), the notice goes out.
    let later = server.clock.now() + Duration::days(3);
    let (status, moved) = leader
        .post(
            &format!("/api/v1/visits/{id}/reschedule"),
            &json!({"starts_at": at(later), "ends_at": at(later + Duration::hours(2)),
                    "reason": "与区人大会议冲突"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["move_reason"], "与区人大会议冲突");
    let (status, _) = leader
        .post(&format!("/api/v1/visits/{id}/notice"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Once the notice is out, it cannot move to inside the lead time.
    let (status, body) = leader
        .post(
            &format!("/api/v1/visits/{id}/reschedule"),
            &json!({"starts_at": at(soon), "ends_at": at(soon + Duration::hours(1)),
                    "reason": "提前"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "notice_too_late");
    // Cancelled, the public notice says so and why; the visit takes no further step.
    let (status, cancelled) = leader
        .post(
            &format!("/api/v1/visits/{id}/cancel"),
            &json!({"reason": "暴雨红色预警，改期另行通知"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let (_, body) = public(
        &server,
        &format!("/api/v1/public/{}/units/{}/visits", c.t.slug, c.community),
    )
    .await;
    let notices: Value = serde_json::from_str(&body).unwrap();
    let shown = &notices["upcoming"][0];
    assert_eq!(shown["status"], "cancelled", "{notices}");
    assert_eq!(shown["cancel_reason"], "暴雨红色预警，改期另行通知");
    assert_eq!(shown["move_reason"], "与区人大会议冲突");
    let (_, feed) = public(
        &server,
        &format!(
            "/api/v1/public/{}/units/{}/visits.ics",
            c.t.slug, c.community
        ),
    )
    .await;
    assert!(feed.contains("STATUS:CANCELLED"), "{feed}");
    let (status, body) = leader
        .post(&format!("/api/v1/visits/{id}/notice"), &json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("visit_cancelled"))
    );
    // A demand cannot name a cancelled visit.
    let mut raised = intake(&c.community, "urgent");
    raised["visit"] = json!(id);
    let (status, body) = leader.post("/api/v1/demands", &raised).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // A tenant with a shorter lead time lets a notice go out closer to the visit.
    let (_, mut rules) = c.t.admin.get("/api/v1/operations-rules").await;
    rules["notice_lead_hours"] = json!(6);
    assert_eq!(
        c.t.admin.put("/api/v1/operations-rules", &rules).await.0,
        StatusCode::OK
    );
    let (_, v) = leader
        .post("/api/v1/visits", &visit_form(&c, &leader_id, soon))
        .await;
    let (status, body) = leader
        .post(
            &format!("/api/v1/visits/{}/notice", v["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn bad_visits_and_pairings_name_every_field_and_roles_keep_to_their_subtree() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let leader = person(&server, &c.t, "leader", "leader", &c.district).await;
    let leader_id = account_id(&leader).await;
    let recorder = person(&server, &c.t, "recorder", "recorder", &c.community).await;
    let west = common::unit_id(&c.t.admin, "990101002000").await;
    let west_cadre = person(&server, &c.t, "west-cadre", "cadre", &west).await;
    let starts = server.clock.now() + Duration::days(3);

    let (status, body) = leader
        .post(
            "/api/v1/visits",
            &json!({"unit_id": c.community, "hosts": [], "starts_at": at(starts),
                    "ends_at": at(starts - Duration::hours(1)), "place": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["error"]["field_codes"];
    assert_eq!(fields["hosts"], "required", "{body}");
    assert_eq!(fields["ends_at"], "ends_before_start");
    assert_eq!(fields["place"], "required");
    // A street is not where visits are held; hosts are accounts of this tenant.
    let mut at_street = visit_form(&c, &leader_id, starts);
    at_street["unit_id"] = json!(c.east);
    let (status, body) = leader.post("/api/v1/visits", &at_street).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["unit_id"], "not_a_community");
    let stranger = uuid::Uuid::now_v7().to_string();
    let (status, body) = leader
        .post("/api/v1/visits", &visit_form(&c, &stranger, starts))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["hosts"], "unknown_host");
    // Malformed JSON and unknown fields are 4xx with their codes, never a 500.
    let (status, _) = leader
        .post("/api/v1/visits", &json!({"unit_id": "not-a-uuid"}))
        .await;
    assert!(status.is_client_error());
    let (status, body) = c
        .t
        .admin
        .post(
            "/api/v1/contact-points",
            &json!({"leader": leader_id, "unit_id": c.community, "since": "2026-05-01", "until": "2026-04-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["until"], "ends_before_start");
    // Only administrators pair leaders; recorders record but do not schedule.
    let (status, _) = leader
        .post(
            "/api/v1/contact-points",
            &json!({"leader": leader_id, "unit_id": c.community, "since": "2026-05-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = recorder
        .post("/api/v1/visits", &visit_form(&c, &leader_id, starts))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A cadre of the sibling street neither sees nor schedules 东一社区's visits.
    let (_, v) = leader
        .post("/api/v1/visits", &visit_form(&c, &leader_id, starts))
        .await;
    let id = v["id"].as_str().unwrap();
    let (status, _) = west_cadre.get(&format!("/api/v1/visits/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = west_cadre
        .post(&format!("/api/v1/visits/{id}/notice"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = west_cadre
        .get(&format!("/api/v1/visits?within={}", c.community))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = west_cadre
        .post("/api/v1/visits", &visit_form(&c, &leader_id, starts))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field_codes"]["unit_id"], "unknown_unit");
    let (_, own) = west_cadre
        .get(&format!("/api/v1/visits?within={west}"))
        .await;
    assert_eq!(own["items"], json!([]));
    // The leader's calendar lists it.
    let (_, listed) = leader
        .get(&format!(
            "/api/v1/visits?within={}&host={leader_id}",
            c.district
        ))
        .await;
    assert_eq!(listed["items"][0]["id"], id);
}

/// A subtree's visit calendar is read whole, page by page, earliest first and each visit
/// once — visits at the same hour included.
#[tokio::test]
async fn a_calendar_longer_than_a_page_is_read_whole_through_its_cursor() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let leader = person(&server, &c.t, "district-leader", "leader", &c.district).await;
    let leader_id = account_id(&leader).await;
    let base = server.clock.now() + Duration::days(10);
    let mut made = Vec::new();
    for i in 0..7 {
        // Pairs at one hour, so the cursor must break a tie by id.
        let starts = base + Duration::hours(i / 2);
        let (status, v) = leader
            .post("/api/v1/visits", &visit_form(&c, &leader_id, starts))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        made.push(v["id"].as_str().unwrap().to_owned());
    }
    let pages = leader
        .pages(&format!("/api/v1/visits?within={}&limit=3", c.district))
        .await;
    for items in &pages {
        let starts: Vec<&str> = items
            .iter()
            .map(|v| v["starts_at"].as_str().unwrap())
            .collect();
        assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
    }
    let seen: Vec<String> = pages
        .iter()
        .flatten()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    let pages = pages.len();
    assert_eq!(pages, 3);
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    sorted_seen.dedup();
    assert_eq!(sorted_seen.len(), 7, "{seen:?}");
    made.sort();
    assert_eq!(sorted_seen, made);
}

/// A visit, a reschedule and a pairing dated in the year 9999 (or before 2000) are a typing
/// slip: refused with `date_out_of_range` and words, nothing stored.
#[tokio::test]
async fn dates_outside_the_years_2000_to_2100_are_refused() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let leader = person(&server, &c.t, "leader", "leader", &c.district).await;
    let leader_id = account_id(&leader).await;
    let far: DateTime<Utc> = "9999-12-31T01:00:00Z".parse().unwrap();
    let (status, body) = leader
        .post("/api/v1/visits", &visit_form(&c, &leader_id, far))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["starts_at"],
        "date_out_of_range"
    );
    assert_eq!(body["error"]["field_codes"]["ends_at"], "date_out_of_range");
    assert!(
        body["error"]["fields"]["starts_at"]
            .as_str()
            .is_some_and(|m| m.contains("2000") && m.contains("2100")),
        "{body}"
    );
    let (_, listed) = leader
        .get(&format!("/api/v1/visits?within={}", c.community))
        .await;
    assert_eq!(listed["items"], json!([]));

    let starts = server.clock.now() + Duration::days(3);
    let (status, v) = leader
        .post("/api/v1/visits", &visit_form(&c, &leader_id, starts))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (status, body) = leader
        .post(
            &format!("/api/v1/visits/{}/reschedule", v["id"].as_str().unwrap()),
            &json!({"starts_at": at(far), "ends_at": at(far + Duration::hours(1)), "reason": "改期"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["starts_at"],
        "date_out_of_range"
    );

    for (since, until, field) in [
        ("9999-01-01", None, "since"),
        ("1999-12-31", None, "since"),
        ("2026-01-01", Some("9999-12-31"), "until"),
    ] {
        let (status, body) = c
            .t
            .admin
            .post(
                "/api/v1/contact-points",
                &json!({"leader": leader_id, "unit_id": c.community, "since": since, "until": until}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{since}: {body}");
        assert_eq!(body["error"]["field_codes"][field], "date_out_of_range");
    }
    let (status, point) =
        c.t.admin
            .post(
                "/api/v1/contact-points",
                &json!({"leader": leader_id, "unit_id": c.community, "since": "2026-01-01"}),
            )
            .await;
    assert_eq!(status, StatusCode::CREATED, "{point}");
    let (status, body) =
        c.t.admin
            .post(
                &format!(
                    "/api/v1/contact-points/{}/end",
                    point["id"].as_str().unwrap()
                ),
                &json!({"until": "9999-12-31"}),
            )
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field_codes"]["until"], "date_out_of_range");
}
