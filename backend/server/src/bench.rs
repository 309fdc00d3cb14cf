//! `minqing bench …`: the speeds the issues name, measured against a baseline in the same run
//! (the demand ledger's are in `bench_demands`).
//!
//! - `import`: the Jiangxi division list (23,959 units) into a fresh province tenant, through the
//!   same code as `POST /units/import`, against `COPY` of the same rows into a plain table.
//! - `subtree`: the first page (500 units) of a district's subtree over HTTP, p50/p99 against the
//!   5 ms target.
//!
//! Run them on PostgreSQL, in release, against a scratch database (each run adds a tenant):
//! `DATABASE_URL=postgres://… cargo run --release -p minqing_server -- bench all`
use std::time::{Duration, Instant};

use minqing_domain::TenantId;
use minqing_domain::tenant::{TenantKind, TenantSlug};
use minqing_storage::files::read_division_file;
use minqing_storage::platform::NewTenant;
use minqing_storage::{Audit, Storage};

use crate::config::Config;
use crate::startup::Server;

/// The 2023 official list of 江西省: 1 province, 11 cities, 100 counties, 1,767 streets and
/// townships, 22,080 communities and villages.
pub const JIANGXI_DIVISIONS: &[u8] = include_bytes!("../data/jiangxi-divisions.csv");
pub(crate) const BENCH_PASSWORD: &str = "Bench-Chief-2026!";

/// A district of Jiangxi whose subtree fills a whole first page: 临川区 (抚州市), 520 villages.
const DISTRICT_CODE: &str = "361002000000";

async fn storage(config: &Config) -> anyhow::Result<Storage> {
    Ok(crate::startup::open_storage(config, false).await?.0)
}

/// Creates a province tenant and imports `file` into it; returns the tenant and the import time.
pub async fn import_province(
    storage: &Storage,
    file: &[u8],
) -> anyhow::Result<(TenantId, String, Duration, usize)> {
    let slug = format!("bench-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let (tenant, _) = storage
        .platform()
        .create_tenant(
            NewTenant {
                slug: TenantSlug::parse(&slug).map_err(|e| anyhow::anyhow!(e))?,
                kind: TenantKind::Province,
                name_zh: "江西省（基准）".into(),
                name_en: "Jiangxi (benchmark)".into(),
                time_zone: minqing_domain::tenant::DEFAULT_TIME_ZONE.into(),
                admin_password: Some(BENCH_PASSWORD.into()),
            },
            &Audit::system(),
        )
        .await?;
    let started = Instant::now();
    let (rows, unreadable) = read_division_file(file)?;
    let scope = storage.write(tenant.id, Audit::system()).await?;
    let tiers = scope.tiers().list().await?.len() as i32;
    let today = chrono::Utc::now()
        .with_timezone(&tenant.zone())
        .date_naive();
    let report = scope
        .units()
        .import(&rows, unreadable, tiers, today)
        .await?;
    scope.commit().await?;
    Ok((tenant.id, slug, started.elapsed(), report.created))
}

/// The rows the import writes, as CSV for COPY, built before the clock starts.
fn copy_rows(file: &[u8], tenant: TenantId) -> anyhow::Result<String> {
    let (rows, _) = read_division_file(file)?;
    let now = chrono::Utc::now().to_rfc3339();
    let mut ids = std::collections::HashMap::new();
    let mut out = String::with_capacity(rows.len() * 200);
    for row in &rows {
        let id = uuid::Uuid::now_v7();
        let parent: Option<&(uuid::Uuid, String)> = ids.get(&row.parent_code);
        let path = match parent {
            Some((_, p)) => format!("{p}{}/", id.simple()),
            None => format!("{}/", id.simple()),
        };
        let parent_id = parent.map(|(p, _)| p.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{id},{},{parent_id},{},{},\"{}\",{path},{now},{now}\n",
            tenant.0, row.level, row.code, row.name
        ));
        ids.insert(row.code.clone(), (id, path));
    }
    Ok(out)
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p` quantile of sorted `times` (nearest rank).
pub(crate) fn percentile(times: &[Duration], p: f64) -> Duration {
    times[((times.len() as f64 * p).ceil() as usize)
        .saturating_sub(1)
        .min(times.len() - 1)]
}

pub async fn import(config: &Config, runs: usize) -> anyhow::Result<()> {
    let storage = storage(config).await?;
    anyhow::ensure!(
        storage.is_postgres(),
        "bench import compares with PostgreSQL COPY: set DATABASE_URL=postgres://…"
    );
    println!("bench import: Jiangxi division list into a province tenant, {runs} run(s)");
    let mut ratios = Vec::new();
    for run in 1..=runs.max(1) {
        let (tenant, slug, took, created) = import_province(&storage, JIANGXI_DIVISIONS).await?;
        let csv = copy_rows(JIANGXI_DIVISIONS, tenant)?;
        let copy = storage.copy_baseline(&csv).await?;
        let ratio = took.as_secs_f64() / copy.as_secs_f64();
        ratios.push(ratio);
        println!(
            "  run {run}: {created} units imported in {:.1} ms (tenant {slug}); COPY of the same rows {:.1} ms; ratio {:.1}x (target ≤ 10x)",
            ms(took),
            ms(copy),
            ratio
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!("  median ratio: {:.1}x", ratios[ratios.len() / 2]);
    Ok(())
}

pub async fn subtree(config: &Config, requests: usize) -> anyhow::Result<()> {
    let mut config = config.clone();
    config.listen = "127.0.0.1:0".into();
    config.demo = false;
    config.sweep_every = Duration::ZERO;
    config.deliver_every = Duration::ZERO;
    let server = Server::build(&config).await?;
    let storage = server.storage.clone();
    anyhow::ensure!(
        storage.is_postgres(),
        "bench subtree measures PostgreSQL: set DATABASE_URL=postgres://…"
    );
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async {
        let _ = stopped.await;
    }));
    let (tenant, slug, _, _) = import_province(&storage, JIANGXI_DIVISIONS).await?;
    let district = {
        let scope = storage.read(tenant).await?;
        let reach = minqing_domain::access::Reach::All;
        let query = minqing_storage::units::ListQuery {
            reach: &reach,
            children_of: None,
            subtree_of: None,
            search: Some(DISTRICT_CODE),
            include_archived: false,
            cursor: None,
            limit: 1,
        };
        let (found, _) = scope.units().list(&query).await?;
        found
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("district {DISTRICT_CODE} missing"))?
    };
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
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
    let url = format!("{base}/api/v1/units?within={}&limit=500", district.id);
    // The clock stops when the whole answer has arrived; parsing it is the client's work.
    let fetch = || async {
        let started = Instant::now();
        let response = client.get(&url).bearer_auth(&token).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "status {}",
            response.status()
        );
        let body = response.bytes().await?;
        let took = started.elapsed();
        let parsed: serde_json::Value = serde_json::from_slice(&body)?;
        let n = parsed["items"].as_array().map_or(0, Vec::len);
        Ok::<_, anyhow::Error>((took, n))
    };
    for _ in 0..50 {
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
    let pct = |p: f64| percentile(&times, p);
    let target = Duration::from_millis(5);
    println!(
        "bench subtree: first page of {}'s subtree ({items} units) over HTTP, {} requests",
        district.name,
        times.len()
    );
    println!(
        "  p50 {:.2} ms, p99 {:.2} ms; p99 / 5 ms target = {:.2}",
        ms(pct(0.50)),
        ms(pct(0.99)),
        pct(0.99).as_secs_f64() / target.as_secs_f64()
    );
    let _ = stop.send(());
    let _ = serving.await;
    Ok(())
}
