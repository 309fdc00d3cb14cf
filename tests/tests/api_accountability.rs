//! Deadlines over time: the sweeper warns, marks overdue, escalates by rule and opens
//! accountability cases, exactly once however often it runs; leaders take cases through review
//! and decision; notifications reach the tenant's channels, signed, and survive a channel that
//! is down; and `minqing ledger verify` reads the same chain from a shell.
mod common;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use chrono::{DateTime, Duration, Utc};
use common::{Session, TestServer, city, intake, person, unit_id};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().expect("a time").parse().expect("RFC 3339")
}

/// Moves the server's clock to `at` (never back).
fn move_to(server: &TestServer, at: DateTime<Utc>) {
    server.clock.advance(at - server.clock.now());
}

async fn events(s: &Session, id: &str) -> Vec<String> {
    let (_, e) = s.get(&format!("/api/v1/demands/{id}/events")).await;
    e.as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_ignored_demand_is_warned_marked_overdue_and_taken_to_account_once() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let west = unit_id(&c.t.admin, "990101002000").await;
    let cadre = person(&server, &c.t, "east-cadre", "cadre", &c.east).await;
    let west_cadre = person(&server, &c.t, "west-cadre", "cadre", &west).await;
    let leader = person(&server, &c.t, "district-leader", "leader", &c.district).await;
    let (_, d) = cadre
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let id = d["id"].as_str().unwrap().to_owned();
    let due = time(&d["reply_due_at"]);

    // Two days early: nothing to say yet, however often the sweeper runs.
    move_to(&server, due - Duration::days(2));
    server.sweep().await;
    assert_eq!(events(&cadre, &id).await, ["received"]);
    // Within the day before the deadline: one warning to the street.
    move_to(&server, due - Duration::hours(3));
    server.sweep().await;
    server.sweep().await;
    assert_eq!(events(&cadre, &id).await, ["received", "warned"]);
    let (_, warnings) = cadre.get("/api/v1/accountability/warnings").await;
    assert_eq!(warnings["items"].as_array().unwrap().len(), 1);
    assert_eq!(warnings["items"][0]["level"], "approaching");
    assert_eq!(warnings["items"][0]["unit_id"], c.east.as_str());
    // The street has no leader of its own: the warning names the district's, whom it answers to.
    let leaders = |w: &Value| -> Vec<String> {
        w["items"][0]["leaders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, seen_by_leader) = leader.get("/api/v1/accountability/warnings").await;
    assert_eq!(leaders(&seen_by_leader), ["district-leader"]);
    // The street's cadre reads nothing above the street: not who leads the district.
    assert_eq!(leaders(&warnings), Vec::<String>::new());

    // Once the street has a leader, its warnings name that leader instead.
    person(&server, &c.t, "street-leader", "leader", &c.east).await;
    let (_, warnings) = cadre.get("/api/v1/accountability/warnings").await;
    assert_eq!(leaders(&warnings), ["street-leader"]);

    // Past it: marked overdue, once.
    move_to(&server, due + Duration::minutes(1));
    server.sweep().await;
    server.sweep().await;
    assert_eq!(
        events(&cadre, &id).await,
        ["received", "warned", "went_overdue"]
    );
    let (_, overdue) = cadre
        .get("/api/v1/accountability/warnings?level=overdue")
        .await;
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
    let (_, none) = cadre.get("/api/v1/accountability/cases").await;
    assert_eq!(none["items"], json!([]));

    // Five days overdue is serious: an accountability case against the street.
    move_to(&server, due + Duration::days(5) + Duration::minutes(2));
    server.sweep().await;
    server.sweep().await;
    assert_eq!(
        events(&cadre, &id).await,
        [
            "received",
            "warned",
            "went_overdue",
            "accountability_raised"
        ]
    );
    let (_, cases) = leader
        .get(&format!(
            "/api/v1/accountability/cases?within={}",
            c.district
        ))
        .await;
    assert_eq!(cases["items"].as_array().unwrap().len(), 1, "{cases}");
    let case = cases["items"][0].clone();
    assert_eq!(case["reason"], "serious_overdue");
    assert_eq!(case["status"], "open");
    assert_eq!(case["demand_id"], id.as_str());
    let case_id = case["id"].as_str().unwrap();
    // The sibling street sees none of it.
    let (_, theirs) = west_cadre.get("/api/v1/accountability/cases").await;
    assert_eq!(theirs["items"], json!([]));
    assert_eq!(
        west_cadre
            .get(&format!("/api/v1/accountability/cases/{case_id}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // A cadre sees the case against their street but does not judge it; a leader does.
    let step = |s: &Session, step: &str, body: Value| {
        let path = format!("/api/v1/accountability/cases/{case_id}/{step}");
        let s = s.clone();
        async move { s.post(&path, &body).await }
    };
    assert_eq!(
        step(&cadre, "review", json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = step(&leader, "decide", json!({"outcome": "talk"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "illegal_case_transition");
    assert_eq!(step(&leader, "review", json!({})).await.0, StatusCode::OK);
    let (status, body) = step(&leader, "decide", json!({"outcome": "other"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["field_codes"]["outcome_text"],
        "outcome_text_required"
    );
    let (status, decided) = step(
        &leader,
        "decide",
        json!({"outcome": "talk", "outcome_text": "约谈街道负责人"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["outcome"], "talk");
    assert_eq!(decided["decided_by"], "district-leader");
    let (_, closed) = step(&leader, "close", json!({})).await;
    assert_eq!(closed["status"], "closed");
    let (_, log) =
        c.t.admin
            .get(&format!("/api/v1/operations-log?target_id={case_id}"))
            .await;
    let actions: Vec<_> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"accountability.case_decided"), "{log}");

    // Nothing more happens to it on later sweeps, and the chain is intact.
    move_to(&server, due + Duration::days(30));
    server.sweep().await;
    assert_eq!(events(&cadre, &id).await.len(), 4);
    let (_, verdict) = c.t.admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
}

#[tokio::test]
async fn concurrent_sweeps_do_no_double_work() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let mut ids = Vec::new();
    let mut due = None;
    for _ in 0..4 {
        let (_, d) =
            c.t.admin
                .post("/api/v1/demands", &intake(&c.community, "urgent"))
                .await;
        due = Some(time(&d["reply_due_at"]));
        ids.push(d["id"].as_str().unwrap().to_owned());
    }
    move_to(&server, due.unwrap() + Duration::hours(1));
    tokio::join!(server.sweep(), server.sweep(), server.sweep());
    for id in &ids {
        let kinds = events(&c.t.admin, id).await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "went_overdue").count(),
            1,
            "{kinds:?}"
        );
    }
    // Four of one street's demands overdue at once: from the third on it is repeated overdue,
    // a case each (the first two get theirs only if they become serious).
    let (_, cases) = c.t.admin.get("/api/v1/accountability/cases").await;
    let reasons: Vec<_> = cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{cases}");
    assert!(reasons.iter().all(|r| *r == "repeated_overdue"));
}

/// Two server processes (each its own `Server`: its own pool, caches and sweeper) on one
/// PostgreSQL database sweep the same demands at the same moment, as two replicas do every
/// `MINQING_SWEEP_SECONDS`: each step happens once — one warning, one overdue mark, one
/// escalation where the tier's rule says so, one accountability case per demand — whichever
/// process took it, and the chain holds.
#[tokio::test]
async fn two_server_processes_sweeping_at_once_do_each_step_once() {
    if !common::uses_postgres() {
        eprintln!(
            "skipping: several server processes share a PostgreSQL database only (set MINQING_TEST_DATABASE_URL)"
        );
        return;
    }
    let server = TestServer::start().await;
    let second = minqing_server::Server::build(&server.config)
        .await
        .expect("a second server starts");
    let processes = [server.storage.clone(), second.storage.clone()];

    // One tenant whose streets hand overdue demands up by rule, one whose streets keep them.
    let escalating = city(&server).await;
    let (_, mut rules) = escalating.t.admin.get("/api/v1/tenant/demand-rules").await;
    for rule in rules["deadlines"].as_array_mut().unwrap() {
        if rule["tier"] == "street" {
            rule["auto_escalate"] = json!(true);
        }
    }
    let (status, body) = escalating
        .t
        .admin
        .put("/api/v1/tenant/demand-rules", &rules)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let keeping = city(&server).await;
    let mut demands = Vec::new();
    let mut dues = Vec::new();
    for (c, escalates) in [(&escalating, true), (&keeping, false)] {
        for _ in 0..6 {
            let (status, d) =
                c.t.admin
                    .post("/api/v1/demands", &intake(&c.community, "urgent"))
                    .await;
            assert_eq!(status, StatusCode::CREATED, "{d}");
            dues.push(time(&d["reply_due_at"]));
            demands.push((c, d["id"].as_str().unwrap().to_owned(), escalates));
        }
    }
    let tenants: Vec<minqing_domain::TenantId> = [&escalating, &keeping]
        .iter()
        .map(|c| minqing_domain::TenantId(c.t.id.parse().unwrap()))
        .collect();
    let (first_due, last_due) = (*dues.iter().min().unwrap(), *dues.iter().max().unwrap());
    assert!(last_due - first_due < Duration::hours(1));

    // Both processes, twice each, all at once; what each did adds up to each step once.
    let sweep_all = || async {
        let now = server.clock.now();
        let passes = futures::future::join_all(
            processes
                .iter()
                .chain(processes.iter())
                .map(|storage| storage.sweep(now, Some(&tenants))),
        )
        .await;
        let mut total = (0, 0, 0, 0);
        for pass in passes {
            let done = pass.expect("the sweep runs");
            total.0 += done.warned;
            total.1 += done.overdue;
            total.2 += done.escalated;
            total.3 += done.cases;
        }
        total
    };
    let kinds_of = || async {
        let mut all = Vec::new();
        for (c, id, escalates) in &demands {
            all.push((events(&c.t.admin, id).await, *escalates));
        }
        all
    };

    // The day before the deadlines: one warning each.
    move_to(&server, last_due - Duration::hours(3));
    assert_eq!(sweep_all().await, (12, 0, 0, 0));
    for (kinds, _) in kinds_of().await {
        assert_eq!(kinds, ["received", "warned"]);
    }
    // Five days past them: overdue once, a case once, and handed up once where the rule says.
    move_to(&server, last_due + Duration::days(5) + Duration::minutes(2));
    assert_eq!(sweep_all().await, (0, 12, 6, 12));
    for (kinds, escalates) in kinds_of().await {
        let mut expected = vec![
            "received",
            "warned",
            "went_overdue",
            "accountability_raised",
        ];
        if escalates {
            expected.push("escalated");
        }
        assert_eq!(kinds, expected);
    }
    // Sweeping again at once finds nothing left to do.
    assert_eq!(sweep_all().await, (0, 0, 0, 0));

    for (c, escalates) in [(&escalating, true), (&keeping, false)] {
        let admin = &c.t.admin;
        let mine: Vec<&str> = demands
            .iter()
            .filter(|(d, _, _)| std::ptr::eq(*d, c))
            .map(|(_, id, _)| id.as_str())
            .collect();
        let (_, warnings) = admin.get("/api/v1/accountability/warnings?limit=500").await;
        let (_, cases) = admin.get("/api/v1/accountability/cases?limit=500").await;
        for id in &mine {
            let of = |list: &Value, level: Option<&str>| {
                list["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|w| w["demand_id"] == *id && level.is_none_or(|l| w["level"] == l))
                    .count()
            };
            assert_eq!(of(&warnings, Some("approaching")), 1, "{warnings}");
            assert_eq!(of(&warnings, Some("overdue")), 1, "{warnings}");
            assert_eq!(of(&cases, None), 1, "{cases}");
            let (_, d) = admin.get(&format!("/api/v1/demands/{id}")).await;
            let tier = if escalates { "county" } else { "street" };
            assert_eq!(d["handling_tier"], tier, "{d}");
        }
        assert_eq!(
            warnings["items"].as_array().unwrap().len(),
            12,
            "{warnings}"
        );
        assert_eq!(cases["items"].as_array().unwrap().len(), 6, "{cases}");
        assert!(
            cases["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["reason"] == "serious_overdue"),
            "{cases}"
        );
        let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
        assert_eq!(verdict["intact"], true, "{verdict}");
        let events = if escalates { 5 } else { 4 };
        assert_eq!(verdict["checked"], 6 * events, "{verdict}");
    }
}

#[tokio::test]
async fn a_tier_rule_escalates_an_overdue_demand_by_itself() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let (_, mut rules) = admin.get("/api/v1/tenant/demand-rules").await;
    for rule in rules["deadlines"].as_array_mut().unwrap() {
        if rule["tier"] == "street" {
            rule["auto_escalate"] = json!(true);
        }
    }
    let (status, body) = admin.put("/api/v1/tenant/demand-rules", &rules).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, d) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let id = d["id"].as_str().unwrap();
    move_to(&server, time(&d["reply_due_at"]) + Duration::hours(1));
    server.sweep().await;
    let (_, now) = admin.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(now["handling_unit"]["id"], c.district.as_str());
    assert_eq!(now["handling_tier"], "county");
    assert_eq!(now["status"], "received");
    // On the district's clock now: 15 working days from the escalation.
    assert!(time(&now["reply_due_at"]) > server.clock.now() + Duration::days(14));
    let (_, e) = admin.get(&format!("/api/v1/demands/{id}/events")).await;
    let last = e.as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "escalated");
    assert_eq!(last["actor_username"], "system");
}

/// Sets the street's and the county's rules: each with a resolution deadline; the street's
/// escalating by itself where `escalates`; a case opened at the first overdue.
async fn both_clocks(admin: &Session, escalates: bool) {
    let (_, mut rules) = admin.get("/api/v1/tenant/demand-rules").await;
    for rule in rules["deadlines"].as_array_mut().unwrap() {
        match rule["tier"].as_str() {
            Some("street") => {
                rule["resolve_days"] = json!(7);
                rule["auto_escalate"] = json!(escalates);
            }
            Some("county") => rule["resolve_days"] = json!(20),
            _ => {}
        }
    }
    rules["accountability"]["repeated_count"] = json!(1);
    let (status, body) = admin.put("/api/v1/tenant/demand-rules", &rules).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn deadlines(item: &Value) -> Vec<&str> {
    item["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_escalation_starts_the_new_unit_on_a_clean_clock() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    both_clocks(admin, true).await;
    let (_, d) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let id = d["id"].as_str().unwrap();
    // Past both of the street's deadlines; one pass marks them, opens its case, escalates.
    move_to(&server, time(&d["resolve_due_at"]) + Duration::hours(1));
    server.sweep().await;
    server.sweep().await;
    let (_, now) = admin.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(now["handling_unit"]["id"], c.district.as_str());
    // The district's deadlines are in the future and nothing of them is overdue.
    assert!(time(&now["reply_due_at"]) > server.clock.now());
    assert!(time(&now["resolve_due_at"]) > server.clock.now());
    assert_eq!(now["overdue"], json!([]), "{now}");
    assert_eq!(
        events(admin, id).await,
        [
            "received",
            "went_overdue",
            "went_overdue",
            "accountability_raised",
            "escalated"
        ]
    );
    // One lateness: one overdue row and one case, both the street's, naming both deadlines.
    let (_, overdue) = admin
        .get(&format!(
            "/api/v1/accountability/warnings?level=overdue&demand={id}"
        ))
        .await;
    let rows = overdue["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{overdue}");
    assert_eq!(rows[0]["unit_id"], c.east.as_str());
    assert_eq!(deadlines(&rows[0]), ["reply", "resolve"]);
    let (_, cases) = admin
        .get(&format!("/api/v1/accountability/cases?demand={id}"))
        .await;
    let cases = cases["items"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0]["unit_id"], c.east.as_str());
    assert_eq!(deadlines(&cases[0]), ["reply", "resolve"]);
    // The escalation is the rule's, with no words of the system's in two languages.
    let (_, e) = admin.get(&format!("/api/v1/demands/{id}/events")).await;
    let escalated = e.as_array().unwrap().last().unwrap();
    assert_eq!(escalated["data"]["by_rule"], true, "{escalated}");
    assert_eq!(escalated["data"]["reason"], "");

    // Later passes before the district's own deadlines do nothing more to it.
    move_to(&server, server.clock.now() + Duration::days(3));
    server.sweep().await;
    assert_eq!(events(admin, id).await.len(), 5);
    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
}

#[tokio::test]
async fn one_clock_missing_both_deadlines_is_one_case_raised_once() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    both_clocks(admin, false).await;
    let (_, mut rules) = admin.get("/api/v1/tenant/demand-rules").await;
    // Only seriousness opens a case here: five days past the first miss.
    rules["accountability"]["repeated_count"] = json!(0);
    assert_eq!(
        admin.put("/api/v1/tenant/demand-rules", &rules).await.0,
        StatusCode::OK
    );
    let (_, d) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let id = d["id"].as_str().unwrap();
    let reply_due = time(&d["reply_due_at"]);
    let resolve_due = time(&d["resolve_due_at"]);
    assert!(resolve_due > reply_due);
    // The reply lapses: marked overdue, no case yet.
    move_to(&server, reply_due + Duration::minutes(1));
    server.sweep().await;
    let (_, cases) = admin
        .get(&format!("/api/v1/accountability/cases?demand={id}"))
        .await;
    assert_eq!(cases["items"], json!([]));
    // Five days on it is serious: one case for the street's clock.
    move_to(
        &server,
        reply_due + Duration::days(5) + Duration::minutes(1),
    );
    server.sweep().await;
    // Then the resolution lapses too, and days pass: the same case names it; no second one.
    move_to(&server, resolve_due + Duration::days(6));
    server.sweep().await;
    server.sweep().await;
    let (_, cases) = admin
        .get(&format!("/api/v1/accountability/cases?demand={id}"))
        .await;
    let cases = cases["items"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0]["reason"], "serious_overdue");
    assert_eq!(deadlines(&cases[0]), ["reply", "resolve"]);
    let (_, overdue) = admin
        .get(&format!(
            "/api/v1/accountability/warnings?level=overdue&demand={id}"
        ))
        .await;
    let rows = overdue["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{overdue}");
    assert_eq!(deadlines(&rows[0]), ["reply", "resolve"]);
    let kinds = events(admin, id).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "accountability_raised")
            .count(),
        1,
        "{kinds:?}"
    );
    // Both deadlines of the clock it still holds are past: both show as overdue.
    let (_, now) = admin.get(&format!("/api/v1/demands/{id}")).await;
    assert_eq!(now["overdue"], json!(["reply", "resolve"]), "{now}");
}

/// A webhook receiver on a free port: records what arrives; answers 503 while `down`.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    down: Arc<Mutex<bool>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let me = me.clone();
                async move {
                    if *me.down.lock().unwrap() {
                        return AxumStatus::SERVICE_UNAVAILABLE;
                    }
                    me.got.lock().unwrap().push((headers, body));
                    AxumStatus::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/hook")
    }

    fn bodies(&self) -> Vec<Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| serde_json::from_str(b).unwrap())
            .collect()
    }
}

#[tokio::test]
async fn notifications_reach_each_audience_signed_and_survive_a_channel_that_is_down() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    let admin = &c.t.admin;
    let cadres = Receiver::default();
    let residents = Receiver::default();
    let secret = "a-webhook-secret-of-some-length";
    for (receiver, audience, kind) in [
        (&cadres, "cadres", "webhook"),
        (&residents, "residents", "sms"),
    ] {
        let url = receiver.start().await;
        let (status, body) = admin
            .post(
                "/api/v1/tenant/notification-channels",
                &json!({"kind": kind, "name": format!("{audience} hook"), "url": url, "secret": secret, "audience": audience}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert!(body.get("secret").is_none());
    }
    let (status, body) = admin
        .post(
            "/api/v1/tenant/notification-channels",
            &json!({"kind": "fax", "name": "x", "url": "gopher://x", "secret": "short", "audience": "cadres"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (_, d) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let id = d["id"].as_str().unwrap();
    // Queued with the demand, sent by the dispatcher: the cadres hear of it, residents do not.
    assert_eq!(server.deliver().await.delivered, 1);
    let got = cadres.bodies();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["topic"], "demand.received");
    assert_eq!(got[0]["demand"]["receipt_code"], d["receipt_code"]);
    assert!(!got[0].to_string().contains("13812345678"));
    // The signature is HMAC-SHA256 of the body with the channel's secret.
    let (headers, raw) = cadres.got.lock().unwrap()[0].clone();
    let expected = minqing_storage::sealing::hmac_sha256(secret.as_bytes(), &[raw.as_bytes()]);
    let hex: String = expected.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        headers["x-minqing-signature"],
        format!("sha256={hex}").as_str()
    );
    assert_eq!(headers["x-minqing-topic"], "demand.received");

    // The residents' gateway is down when progress is reported: nothing is lost.
    *residents.down.lock().unwrap() = true;
    let ok = |action: &str, body: Value| {
        let path = format!("/api/v1/demands/{id}/{action}");
        let admin = admin.clone();
        async move {
            let (status, answer) = admin.post(&path, &body).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
    };
    ok("accept", json!({})).await;
    ok("reply", json!({"text": "已派人查看"})).await;
    let first = server.deliver().await;
    assert_eq!((first.delivered, first.failed), (0, 1));
    // Retrying too soon does nothing; after the backoff it goes through, once.
    assert_eq!(server.deliver().await, Default::default());
    *residents.down.lock().unwrap() = false;
    server.clock.advance(Duration::minutes(1));
    assert_eq!(server.deliver().await.delivered, 1);
    assert_eq!(server.deliver().await, Default::default());
    let sms = residents.bodies();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0]["topic"], "demand.progress");
    assert_eq!(sms[0]["text"], "已派人查看");
    // The gateway needs the number to reach the resident; the outbox kept it sealed.
    assert_eq!(sms[0]["phone"], "13812345678");
    assert!(sms[0].get("phone_sealed").is_none());
    let (_, deliveries) = admin.get("/api/v1/tenant/notification-deliveries").await;
    let progress = deliveries
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["topic"] == "demand.progress")
        .unwrap();
    assert_eq!(progress["attempts"], 2);
    assert!(progress["delivered_at"].is_string());

    // A warning reaches the cadres' channel addressed to the handling unit and its leader.
    person(&server, &c.t, "street-leader", "leader", &c.east).await;
    let (_, late) = admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    server.deliver().await;
    move_to(&server, time(&late["reply_due_at"]) - Duration::hours(3));
    server.sweep().await;
    assert_eq!(server.deliver().await.delivered, 1);
    let warned = cadres.bodies().pop().unwrap();
    assert_eq!(warned["topic"], "demand.warning");
    assert_eq!(warned["demand"]["receipt_code"], late["receipt_code"]);
    assert_eq!(warned["demand"]["handling_unit_name"], "东街道");
    assert_eq!(warned["leaders"].as_array().unwrap().len(), 1, "{warned}");
    assert_eq!(warned["leaders"][0]["name"], "street-leader");
    let sent_before = cadres.bodies().len();

    // A disabled channel gets nothing new.
    let (_, channels) = admin.get("/api/v1/tenant/notification-channels").await;
    let hook = channels
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["audience"] == "cadres")
        .unwrap();
    let (status, _) = admin
        .post(
            &format!(
                "/api/v1/tenant/notification-channels/{}/disable",
                hook["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    server.deliver().await;
    assert_eq!(cadres.bodies().len(), sent_before);
}

#[tokio::test]
async fn the_shell_verifies_the_same_chain() {
    let server = TestServer::start().await;
    let c = city(&server).await;
    c.t.admin
        .post("/api/v1/demands", &intake(&c.community, "urgent"))
        .await;
    let intact = minqing_server::ledger::verify(&server.config, Some(&c.t.slug))
        .await
        .unwrap();
    assert!(intact);
    let missing = minqing_server::ledger::verify(&server.config, Some("no-such-tenant")).await;
    assert!(missing.is_err());
}
