//! `minqing bench intake|overdue`: the demand ledger's speeds, on a province-sized load.
//!
//! - `intake`: demands recorded through `POST /api/v1/demands` by concurrent clients (8 and 32
//!   by default), against plain SQL inserts of the same rows (one autocommitted statement per
//!   demand, same concurrency) in the same run: every row intake wrote (the demand, its event,
//!   its outbox messages) into copies of their tables with their indexes; and, writing less,
//!   the demand rows alone into a copy of `demands` with its indexes and into a bare one. Target
//!   at least half the plain-insert rate. Three rounds at each concurrency,
//!   each API then its baselines, and the median ratios. The chain is verified afterwards.
//! - `overdue`: a district's overdue list (`GET /api/v1/demands?within=…&overdue=true`) over a
//!   year of generated demands (1,000,000 by default) in the Jiangxi hierarchy; p50 and p99,
//!   target p99 under 20 ms.
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use minqing_domain::calendar::WorkCalendar;
use minqing_domain::demand::deadline::{DeadlineRules, assign};
use minqing_domain::demand::lifecycle::{DemandEvent, Intake, apply};
use minqing_domain::demand::routing::{ChainLink, RoutingRules, handling_unit};
use minqing_domain::demand::sweep::next_due;
use minqing_domain::demand::{Channel, DEFAULT_CATEGORIES, Grade, Satisfaction, receipt_code};
use minqing_domain::tier::TierKey;
use minqing_domain::{TenantId, UnitId};
use minqing_storage::bench_load::{GeneratedDemand, PlainTable};
use minqing_storage::units::{ListQuery, UnitView};
use minqing_storage::{Audit, Storage};
use rand::Rng;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use crate::bench::{BENCH_PASSWORD, JIANGXI_DIVISIONS, import_province, ms, percentile};
use crate::config::Config;
use crate::startup::Server;

/// 临川区 (抚州市): the district whose overdue list is measured.
const DISTRICT_CODE: &str = "361002000000";

/// A running benchmark server on PostgreSQL with the Jiangxi hierarchy in a fresh tenant.
struct Bench {
    base: String,
    token: String,
    tenant: TenantId,
    storage: Storage,
    units: Vec<UnitView>,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start(config: &Config) -> anyhow::Result<Bench> {
    let mut config = config.clone();
    config.listen = "127.0.0.1:0".into();
    config.demo = false;
    config.sweep_every = Duration::ZERO;
    config.deliver_every = Duration::ZERO;
    let server = Server::build(&config).await?;
    let storage = server.storage.clone();
    anyhow::ensure!(
        storage.is_postgres(),
        "the demand benchmarks measure PostgreSQL: set DATABASE_URL=postgres://…"
    );
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async {
        let _ = stopped.await;
    }));
    let (tenant, slug, _, _) = import_province(&storage, JIANGXI_DIVISIONS).await?;
    let units = {
        let scope = storage.read(tenant).await?;
        let reach = minqing_domain::access::Reach::All;
        let query = ListQuery {
            reach: &reach,
            children_of: None,
            subtree_of: None,
            search: None,
            include_archived: false,
            cursor: None,
            limit: 100_000,
        };
        scope.units().list(&query).await?.0
    };
    let base = format!("http://{addr}");
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"tenant": slug, "username": "admin", "password": BENCH_PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?
        .to_owned();
    Ok(Bench {
        base,
        token,
        tenant,
        storage,
        units,
        stop,
        serving,
    })
}

impl Bench {
    async fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.serving.await;
    }

    /// Communities (the deepest tier) with their chain from the province down.
    fn communities(&self) -> Vec<(UnitView, Vec<ChainLink>)> {
        let by_id: HashMap<UnitId, &UnitView> = self.units.iter().map(|u| (u.id, u)).collect();
        let keys = [
            TierKey::Province,
            TierKey::City,
            TierKey::County,
            TierKey::Street,
            TierKey::Community,
        ];
        self.units
            .iter()
            .filter(|u| u.level == 5)
            .map(|u| {
                let chain = u
                    .path
                    .ids()
                    .iter()
                    .filter_map(|id| by_id.get(id))
                    .map(|a| ChainLink {
                        unit: a.id,
                        tier: keys[(a.level - 1) as usize],
                    })
                    .collect();
                (u.clone(), chain)
            })
            .collect()
    }

    fn district(&self) -> anyhow::Result<&UnitView> {
        self.units
            .iter()
            .find(|u| u.code.as_deref() == Some(DISTRICT_CODE))
            .ok_or_else(|| anyhow::anyhow!("district {DISTRICT_CODE} missing"))
    }
}

/// Picks from `(item, weight)` pairs.
fn weighted<T: Copy>(rng: &mut impl Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    for (item, w) in items {
        if pick < *w {
            return *item;
        }
        pick -= w;
    }
    items[0].0
}

const GRADES: [(Grade, u32); 4] = [
    (Grade::Urgent, 55),
    (Grade::Worrying, 25),
    (Grade::Hard, 12),
    (Grade::HopedFor, 8),
];
const CHANNELS: [(Channel, u32); 5] = [
    (Channel::Visit, 35),
    (Channel::WalkIn, 25),
    (Channel::Interview, 15),
    (Channel::Online, 15),
    (Channel::Hotline, 10),
];
const TOPICS: [&str; 8] = [
    "楼道灯不亮",
    "小区垃圾清运不及时",
    "邻居装修噪音扰民",
    "独居老人需要助餐",
    "路面破损积水",
    "夜间治安巡逻不足",
    "下岗职工求职培训",
    "老旧小区加装电梯",
];

/// A year of demands in the Jiangxi hierarchy: grades, categories and channels in realistic
/// shares, received evenly over the year, with outcomes by age — most older demands closed
/// with feedback (the programme reported 92.3%), the newest still being handled, and the
/// stragglers overdue.
struct Generator {
    rng: StdRng,
    now: DateTime<Utc>,
    routing: RoutingRules,
    deadlines: DeadlineRules,
    calendar: WorkCalendar,
    tz: chrono_tz::Tz,
}

impl Generator {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            rng: StdRng::seed_from_u64(2026),
            now,
            routing: RoutingRules::default(),
            deadlines: DeadlineRules::default(),
            calendar: WorkCalendar::china(),
            tz: chrono_tz::Asia::Shanghai,
        }
    }

    fn demand(
        &mut self,
        community: &UnitView,
        chain: &[ChainLink],
        paths: &HashMap<UnitId, &UnitView>,
    ) -> GeneratedDemand {
        let rng = &mut self.rng;
        let grade = weighted(rng, &GRADES);
        let channel = weighted(rng, &CHANNELS);
        let category = DEFAULT_CATEGORIES[rng.gen_range(0..DEFAULT_CATEGORIES.len())].0;
        let topic = TOPICS[rng.gen_range(0..TOPICS.len())];
        let age = chrono::Duration::seconds(rng.gen_range(0..365 * 24 * 3600));
        let received = self.now - age;
        let target = handling_unit(chain, self.routing.tier_for(grade)).unwrap_or(chain[0]);
        let mut code = [0u8; 12];
        rng.fill_bytes(&mut code);
        let event = DemandEvent::Received {
            intake: Box::new(Intake {
                receipt_code: receipt_code(&code),
                origin_unit: community.id,
                channel,
                grade,
                category: category.to_owned(),
                title: topic.to_owned(),
                description: format!("{}：{topic}，请尽快处理。", community.name),
                address: None,
                resident_name: None,
                phone_sealed: None,
                phone_masked: None,
                id_number_sealed: None,
                id_number_masked: None,
                visit: None,
            }),
            assignment: assign(
                target.unit,
                target.tier,
                received,
                &self.deadlines,
                &self.calendar,
                self.tz,
            ),
        };
        let mut state = apply(None, &event, received).expect("a first event");
        let old = age > chrono::Duration::days(45);
        let roll: u32 = rng.gen_range(0..1000);
        let steps: &[DemandEvent] = &if old {
            match roll {
                0..923 => outcome_closed(rng),
                923..953 => vec![DemandEvent::Rejected {
                    reason: "不属于受理范围".into(),
                }],
                _ => vec![DemandEvent::Accepted { note: None }],
            }
        } else {
            match roll {
                0..150 => vec![],
                150..300 => vec![DemandEvent::Accepted { note: None }],
                300..700 => vec![
                    DemandEvent::Accepted { note: None },
                    DemandEvent::Replied {
                        text: "已派人查看".into(),
                    },
                ],
                700..800 => vec![
                    DemandEvent::Accepted { note: None },
                    DemandEvent::Resolved {
                        text: "已办结".into(),
                    },
                ],
                _ => outcome_closed(rng),
            }
        };
        let mut at = received;
        for e in steps {
            at += chrono::Duration::hours(rng.gen_range(2..72));
            state = apply(Some(state), e, at.min(self.now)).expect("a legal step");
        }
        let path = |u: UnitId| {
            paths
                .get(&u)
                .map(|v| v.path.clone())
                .unwrap_or_else(|| community.path.clone())
        };
        GeneratedDemand {
            id: uuid::Uuid::now_v7(),
            origin_path: community.path.clone(),
            handling_path: path(state.assignment.unit),
            next_due_at: next_due(&state),
            state,
        }
    }
}

fn outcome_closed(rng: &mut impl Rng) -> Vec<DemandEvent> {
    let satisfaction = weighted(
        rng,
        &[
            (Satisfaction::Satisfied, 85),
            (Satisfaction::BasicallySatisfied, 15),
        ],
    );
    vec![
        DemandEvent::Accepted { note: None },
        DemandEvent::Replied {
            text: "已联系相关部门".into(),
        },
        DemandEvent::Resolved {
            text: "已办结".into(),
        },
        DemandEvent::FeedbackGiven {
            text: "已电话回访".into(),
        },
        DemandEvent::Rated {
            satisfaction,
            comment: None,
            by: Some(minqing_domain::demand::RatingChannel::Resident),
        },
    ]
}

/// Intake at each of `clients` concurrencies in turn (one server, one tenant), then the
/// tenant's chain verified: group commit must not have cost a link.
pub async fn intake(config: &Config, requests: usize, clients: &[usize]) -> anyhow::Result<()> {
    let bench = start(config).await?;
    // A tenant in service tells its cadres of each new demand, so intake queues an outbox
    // message with each (nothing is delivered: the bench runs no dispatcher).
    let channel = reqwest::Client::new()
        .post(format!("{}/api/v1/tenant/notification-channels", bench.base))
        .bearer_auth(&bench.token)
        .json(&serde_json::json!({
            "kind": "webhook", "name": "承办单位通知", "audience": "cadres",
            "url": "http://127.0.0.1:9/minqing-bench", "secret": "a-bench-webhook-secret-0123456789",
        }))
        .send()
        .await?;
    anyhow::ensure!(
        channel.status() == 201,
        "adding a notification channel answered {}",
        channel.status()
    );
    let communities = bench.communities();
    let mut rng = StdRng::seed_from_u64(11);
    for &n in clients {
        intake_at(&bench, &communities, &mut rng, requests, n).await?;
    }
    let report = bench
        .storage
        .read(bench.tenant)
        .await?
        .verify_ledger()
        .await?;
    anyhow::ensure!(report.intact, "the chain broke: {:?}", report.breaks);
    println!("  ledger verified: {} events, chain intact", report.checked);
    bench.finish().await;
    Ok(())
}

async fn intake_at(
    bench: &Bench,
    communities: &[(UnitView, Vec<ChainLink>)],
    rng: &mut StdRng,
    requests: usize,
    clients: usize,
) -> anyhow::Result<()> {
    let bodies: Vec<serde_json::Value> = (0..requests.max(1) + 20)
        .map(|i| {
            let (community, _) = &communities[rng.gen_range(0..communities.len())];
            let topic = TOPICS[i % TOPICS.len()];
            serde_json::json!({
                "origin_unit": community.id,
                "channel": weighted(rng, &CHANNELS),
                "grade": weighted(rng, &GRADES),
                "category": DEFAULT_CATEGORIES[i % DEFAULT_CATEGORIES.len()].0,
                "title": topic,
                "description": format!("{}：{topic}，请尽快处理。", community.name),
                "phone": format!("138{:08}", rng.gen_range(0..100_000_000u32)),
            })
        })
        .collect();
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/demands", bench.base);
    let post = |body: &serde_json::Value| {
        let request = client.post(&url).bearer_auth(&bench.token).json(body);
        async move {
            let r = request.send().await?;
            anyhow::ensure!(r.status() == 201, "intake answered {}", r.status());
            Ok::<_, anyhow::Error>(())
        }
    };
    for body in &bodies[..20] {
        post(body).await?;
    }
    println!(
        "bench intake: {} demands through POST /api/v1/demands with {clients} concurrent clients, in {ROUNDS} rounds",
        bodies.len() - 20
    );
    // Rounds, each API then baselines: this machine's speed drifts over a minute, and a ratio
    // is only fair between figures taken close together.
    let per_round = (bodies.len() - 20).div_ceil(ROUNDS);
    let mut ratios: [Vec<f64>; 3] = Default::default();
    for round in bodies[20..].chunks(per_round) {
        let since = Utc::now();
        let count = round.len();
        let took = post_all(&url, &bench.token, round, clients).await?;
        let api_rate = count as f64 / took;
        let mut line = format!(
            "  API {api_rate:.0} demands/s ({:.1} ms each on average)",
            took * 1000.0 / count as f64
        );
        for (i, (like, what)) in BASELINES.into_iter().enumerate() {
            let run = bench
                .storage
                .plain_insert_baseline(bench.tenant.0, since, clients, like)
                .await?;
            let plain_rate = run.demands as f64 / run.seconds;
            ratios[i].push(api_rate / plain_rate);
            line.push_str(&format!(
                "\n    plain SQL, {what}: {plain_rate:.0}/s, ratio {:.2}",
                api_rate / plain_rate
            ));
        }
        println!("{line}");
    }
    for (ratios, (_, what)) in ratios.iter_mut().zip(BASELINES) {
        println!(
            "  median ratio to plain SQL, {what}: {:.2} (target ≥ 0.5)",
            median(ratios)
        );
    }
    Ok(())
}

/// The plain-SQL baselines, each one autocommitted statement per demand: the issue's own
/// (every row intake wrote, into tables indexed as the ledger's), then two that write less.
const BASELINES: [(PlainTable, &str); 3] = [
    (
        PlainTable::AllRows,
        "the same rows (demand, event, outbox) into copies of their tables",
    ),
    (
        PlainTable::Indexed,
        "the demand rows alone into a copy of demands",
    ),
    (
        PlainTable::Bare,
        "the demand rows alone into a bare copy of demands (no index)",
    ),
];

/// Rounds of `bench intake` at each concurrency.
const ROUNDS: usize = 3;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Posts `bodies` from `clients` concurrent clients on a runtime of their own, as from another
/// machine (sharing the server's executor, their tasks would queue in front of the server's);
/// answers the seconds it took. The bodies are encoded before the clock starts: the load shares
/// the server's cores here, and should cost it as little as it can. (Its clients on one thread
/// instead of two were slower at 8 clients: a batch's answers were then taken up one by one.)
async fn post_all(
    url: &str,
    token: &str,
    bodies: &[serde_json::Value],
    clients: usize,
) -> anyhow::Result<f64> {
    let bodies: Arc<Vec<String>> = Arc::new(bodies.iter().map(|b| b.to_string()).collect());
    let (url, token) = (url.to_owned(), token.to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = Instant::now();
    let load = std::thread::spawn(move || -> anyhow::Result<()> {
        runtime.block_on(async move {
            let client = reqwest::Client::new();
            let next = Arc::new(AtomicUsize::new(0));
            let mut tasks = Vec::new();
            for _ in 0..clients.max(1) {
                let (bodies, next, client, url, token) = (
                    bodies.clone(),
                    next.clone(),
                    client.clone(),
                    url.clone(),
                    token.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(body) = bodies.get(i) else {
                            return Ok::<_, anyhow::Error>(());
                        };
                        let r = client
                            .post(&url)
                            .bearer_auth(&token)
                            .header(reqwest::header::CONTENT_TYPE, "application/json")
                            .body(body.clone())
                            .send()
                            .await?;
                        anyhow::ensure!(r.status() == 201, "intake answered {}", r.status());
                    }
                }));
            }
            for t in tasks {
                t.await??;
            }
            Ok(())
        })
    });
    tokio::task::spawn_blocking(move || load.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the load thread panicked"))??;
    Ok(started.elapsed().as_secs_f64())
}

pub async fn overdue(config: &Config, demands: usize, requests: usize) -> anyhow::Result<()> {
    let bench = start(config).await?;
    let communities = bench.communities();
    let paths: HashMap<UnitId, &UnitView> = bench.units.iter().map(|u| (u.id, u)).collect();
    let mut generator = Generator::new(Utc::now());
    let loading = Instant::now();
    let mut overdue_total = 0usize;
    let mut left = demands;
    while left > 0 {
        let n = left.min(20_000);
        let batch: Vec<GeneratedDemand> = (0..n)
            .map(|_| {
                let i = generator.rng.gen_range(0..communities.len());
                let (community, chain) = &communities[i];
                generator.demand(community, chain, &paths)
            })
            .collect();
        overdue_total += batch
            .iter()
            .filter(|d| d.next_due_at.is_some_and(|due| due < generator.now))
            .count();
        let scope = bench.storage.write(bench.tenant, Audit::system()).await?;
        scope.load_generated_demands(&batch).await?;
        scope.commit().await?;
        left -= n;
    }
    bench.storage.analyze("demands").await?;
    let district = bench.district()?;
    println!(
        "bench overdue: {demands} demands generated and loaded in {:.1} s ({overdue_total} overdue across Jiangxi)",
        loading.elapsed().as_secs_f64()
    );
    let client = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/demands?within={}&overdue=true&limit=50",
        bench.base, district.id
    );
    let fetch = || async {
        let started = Instant::now();
        let r = client.get(&url).bearer_auth(&bench.token).send().await?;
        anyhow::ensure!(r.status().is_success(), "status {}", r.status());
        let body = r.bytes().await?;
        let took = started.elapsed();
        let parsed: serde_json::Value = serde_json::from_slice(&body)?;
        Ok::<_, anyhow::Error>((took, parsed["items"].as_array().map_or(0, Vec::len)))
    };
    for _ in 0..20 {
        fetch().await?;
    }
    let mut times = Vec::with_capacity(requests);
    let mut items = 0;
    for _ in 0..requests.max(1) {
        let (t, n) = fetch().await?;
        times.push(t);
        items = n;
    }
    times.sort();
    let p99 = percentile(&times, 0.99);
    println!(
        "  {}'s overdue list (first page: {items} demands), {} requests: p50 {:.2} ms, p99 {:.2} ms; p99 / 20 ms target = {:.2}",
        district.name,
        times.len(),
        ms(percentile(&times, 0.50)),
        ms(p99),
        p99.as_secs_f64() / 0.020
    );
    bench.finish().await;
    Ok(())
}
