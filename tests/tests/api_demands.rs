//! The demand ledger over HTTP: intake and routing by grade, the lifecycle with its 409s,
//! escalation and who may see and act, personal data, deadlines as time moves, the resident's
//! receipt page, and the hash chain catching a row edited behind the application's back.
mod common;

use common::cutting_proxy::{Cut, CuttingProxy};
use common::{Session, TestServer, city, demand_total, intake, person, unit_id, uses_postgres};
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
    ok(&cadre, &id, "give-feedback", json!({"text": "已电话回访"})).await;
    let closed = ok(&cadre, &id, "rate", json!({"satisfaction": "satisfied"})).await;
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
        ("rate", json!({"satisfaction": "satisfied"})),
    ] {
        let (status, answer) = act(admin, id, action, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}: {answer}");
        assert_eq!(answer["error"]["code"], "illegal_transition");
    }
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
    let reopened = ok(
        admin,
        id,
        "rate",
        json!({"satisfaction": "unsatisfied", "comment": "灯还是不亮"}),
    )
    .await;
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

/// Runs one statement with one value (`$1`) on the tenant's data directly in the database.
async fn as_tenant(server: &TestServer, tenant: &str, sql: &str, value: sea_orm::Value) {
    let db = Database::connect(&server.config.database_url)
        .await
        .unwrap();
    let backend = db.get_database_backend();
    let tx = db.begin().await.unwrap();
    let sql = if backend == DbBackend::Postgres {
        tx.execute_unprepared(&format!(
            "SELECT set_config('minqing.tenant_id', '{tenant}', true)"
        ))
        .await
        .unwrap();
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

/// Edits one ledger row directly in the database, as someone with the database's keys could.
async fn tamper(server: &TestServer, tenant: &str, seq: i64) {
    let db = Database::connect(&server.config.database_url)
        .await
        .unwrap();
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let tx = db.begin().await.unwrap();
    if postgres {
        tx.execute_unprepared(&format!(
            "SELECT set_config('minqing.tenant_id', '{tenant}', true)"
        ))
        .await
        .unwrap();
        tx.execute_unprepared(
            "ALTER TABLE demand_events DISABLE TRIGGER demand_events_append_only",
        )
        .await
        .unwrap();
    } else {
        tx.execute_unprepared("DROP TRIGGER demand_events_no_update")
            .await
            .unwrap();
    }
    let changed = tx
        .execute_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "UPDATE demand_events SET data = replace(data, '已更换灯泡', '无需处理') \
                 WHERE seq = {seq} AND data LIKE '%已更换灯泡%'"
            ),
        ))
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 1);
    if postgres {
        tx.execute_unprepared("ALTER TABLE demand_events ENABLE TRIGGER demand_events_append_only")
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
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
        verdict["first_break"],
        json!({"seq": 3, "kind": "tampered"})
    );
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
