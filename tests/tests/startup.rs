//! Start-up and the shell: several processes starting together seed once; `minqing admin …`
//! creates operators and resets passwords.
mod common;

use common::{Options, TestServer, uses_postgres};
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
