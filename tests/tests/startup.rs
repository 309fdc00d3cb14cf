//! Start-up and the shell: several processes starting together seed once; `minqing admin …`
//! creates operators and resets passwords; the real binary on PostgreSQL refuses to start
//! without the data key.
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Options, TEST_DATA_KEY, TestServer, uses_postgres};
use minqing_server::{Server, admin};

#[tokio::test]
async fn servers_starting_together_on_one_database_seed_the_demo_once() {
    if !uses_postgres() {
        eprintln!(
            "skipping: concurrent start-up is a PostgreSQL concern (set MINQING_TEST_DATABASE_URL)"
        );
        return;
    }
    let first = TestServer::start().await;
    let mut config = first.config.clone();
    config.demo = true;
    let starts = (0..3).map(|_| {
        let config = config.clone();
        tokio::spawn(async move { Server::build(&config).await.map(|s| s.seed.demo_created) })
    });
    let mut created = 0;
    for start in starts {
        if start.await.unwrap().expect("each server starts") {
            created += 1;
        }
    }
    assert!(created <= 1, "the demo tenant was seeded {created} times");
    let operator = first.operator().await;
    let (_, tenants) = operator.get("/api/v1/platform/tenants?limit=500").await;
    let demos = tenants["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["slug"] == "nanchang")
        .count();
    assert_eq!(demos, 1);
    let admin = first
        .login("nanchang", "admin", &first.admin_password)
        .await;
    let (_, tiers) = admin.get("/api/v1/tenant/tiers").await;
    let counts: Vec<_> = tiers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["unit_count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [1, 9, 139, 2263]);
}

#[tokio::test]
async fn the_shell_creates_operators_and_resets_passwords() {
    let server = TestServer::start_with(Options::default()).await;
    admin::create_operator(&server.config, "ops-2", Some("Night-Shift-2026".into()))
        .await
        .unwrap();
    let ops = server.login("platform", "ops-2", "Night-Shift-2026").await;
    let (status, _) = ops.get("/api/v1/platform/tenants").await;
    assert_eq!(status, reqwest::StatusCode::OK);

    // Weak passwords and taken names are refused with a reason.
    let weak = admin::create_operator(&server.config, "ops-3", Some("weak".into())).await;
    assert!(weak.unwrap_err().to_string().contains("password_too_short"));
    assert!(
        admin::create_operator(&server.config, "ops-2", None)
            .await
            .is_err()
    );

    let t = server.new_tenant("city").await;
    admin::reset_password(&server.config, &t.slug, "admin")
        .await
        .unwrap();
    assert_eq!(
        t.admin.get("/api/v1/auth/me").await.0,
        reqwest::StatusCode::UNAUTHORIZED,
        "sessions ended"
    );
    let (status, _) = server
        .try_login(&t.slug, "admin", common::ADMIN_PASSWORD)
        .await;
    assert_eq!(
        status,
        reqwest::StatusCode::UNAUTHORIZED,
        "the old password no longer works"
    );
    assert!(
        admin::reset_password(&server.config, &t.slug, "nobody")
            .await
            .is_err()
    );
}

/// The `minqing` binary, built (or found up to date) in this run's target directory from this
/// checkout (the workspace this crate sits in).
fn minqing_binary() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace");
    xtask::run(xtask::cargo().current_dir(root).args([
        "build",
        "-p",
        "minqing_server",
        "--bin",
        "minqing",
    ]))
    .expect("building the minqing binary");
    xtask::target_dir()
        .join("debug")
        .join(format!("minqing{}", std::env::consts::EXE_SUFFIX))
}

/// `minqing serve` against the test database, with `data_key` as `MINQING_DATA_KEY` (none: the
/// variable is removed), in a fresh data dir.
fn serve_command(data_dir: &std::path::Path, data_key: Option<&str>) -> Command {
    let mut cmd = Command::new(minqing_binary());
    cmd.arg("serve")
        .env(
            "DATABASE_URL",
            std::env::var("MINQING_TEST_DATABASE_URL").unwrap(),
        )
        .env("MINQING_LISTEN", "127.0.0.1:0")
        .env("MINQING_DATA_DIR", data_dir)
        .env("MINQING_SITE_ROOT", data_dir.join("site"))
        .env("MINQING_DEMO", "false")
        .env("MINQING_SWEEP_SECONDS", "0")
        .env("MINQING_DELIVERY_SECONDS", "0")
        .env("MINQING_BOOTSTRAP_PASSWORD", common::BOOTSTRAP_PASSWORD)
        .env_remove("MINQING_DATA_KEY")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match std::env::var("MINQING_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => cmd.env("REDIS_URL", url),
        _ => cmd.env_remove("REDIS_URL"),
    };
    if let Some(key) = data_key {
        cmd.env("MINQING_DATA_KEY", key);
    }
    cmd
}

#[test]
fn on_postgres_the_server_refuses_to_start_without_the_data_key() {
    if !uses_postgres() {
        eprintln!(
            "skipping: the data key is required on PostgreSQL only (set MINQING_TEST_DATABASE_URL)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut refusing = serve_command(dir.path(), None);
    let mut child = refusing.stdout(Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("minqing serve started on PostgreSQL without MINQING_DATA_KEY");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "it exited 0: {stderr}");
    assert!(
        stderr.contains("MINQING_DATA_KEY is not set") && stderr.contains("openssl rand -hex 32"),
        "{stderr}"
    );
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("MINQING_DATA_KEY"))
            .count(),
        1,
        "one line: {stderr}"
    );
    assert!(
        !dir.path().join("data.key").exists(),
        "no key of its own was made"
    );

    // With the key it starts and serves.
    let mut serve = serve_command(dir.path(), Some(TEST_DATA_KEY));
    let mut child = serve.stderr(Stdio::null()).spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let started = Instant::now();
    let mut serving = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("Minqing is serving on ") {
            serving = Some(url.to_owned());
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no start");
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    assert!(
        serving.is_some(),
        "it did not start with the key ({status})"
    );
}
