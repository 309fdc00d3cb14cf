//! The portal in a real browser: headless Chromium, driven over WebDriver (chromedriver),
//! against the real server with the demo tenant (or, where the deadline sweeper must see it, a
//! tenant the harness makes). Every step after the first page load works only
//! once the wasm has hydrated the page, so a broken hydration fails this test.
//!
//! Without `/usr/bin/chromium` or `/usr/bin/chromedriver` the test says so loudly and passes,
//! unless `MINQING_REQUIRE_BROWSER=1` (as `.ci/run` sets), where it fails.
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::browser::{Browser, private_site};
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(30);

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_finds_a_community_in_the_hydrated_hierarchy_browser() {
    let Some((browser, _site, server)) = with_portal(true).await else {
        return;
    };

    in_browser(&browser, |driver| async move {
        hierarchy_browser_scenario(&driver, &server.base_url, &server.admin_password).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_portals_files_go_out_compressed_under_hashed_names_kept_for_good() {
    // No browser needed: what the server sends for the page's script and wasm.
    let site = private_site(false).await;
    let server = common::TestServer::start_with(common::Options {
        demo: false,
        site_root: Some(site.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    let hash = xtask::site_hash(site.path()).expect("the site names its hash");
    let page = server
        .client()
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for file in [
        format!("/pkg/minqing.{hash}.js"),
        format!("/pkg/minqing.{hash}.wasm"),
    ] {
        assert!(page.contains(&file), "the page does not load {file}");
        let r = server
            .client()
            .get(server.url(&file))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK, "{file}");
        let header = |name: &str| {
            r.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(header("content-encoding"), "gzip", "{file}");
        assert!(header("cache-control").contains("immutable"), "{file}");
    }
    // The stylesheet keeps its name, so it is asked again each time (a 304 when unchanged).
    let css = server
        .client()
        .get(server.url("/minqing.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["cache-control"], "no-cache");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_typed_before_the_portal_hydrates_loses_nothing_and_enter_logs_in() {
    let Some((browser, site, server)) = with_portal(true).await else {
        return;
    };
    in_browser(&browser, |driver| async move {
        before_hydration_scenario(&driver, &server, site.path()).await
    })
    .await;
}

/// The portal's script, held back from the site and given back (as on a slow phone link, where
/// it is still on its way while the page is already shown).
struct HeldScript {
    pkg: PathBuf,
    held: PathBuf,
    files: Vec<std::ffi::OsString>,
    hash: String,
}

impl HeldScript {
    fn new(site: &Path) -> Result<Self> {
        let hash = xtask::site_hash(site)?;
        let pkg = site.join("pkg");
        let prefix = format!("minqing.{hash}.js");
        let files = std::fs::read_dir(&pkg)?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .filter(|n| n.to_string_lossy().starts_with(&prefix))
            .collect();
        let held = site.join("held-back");
        std::fs::create_dir_all(&held)?;
        Ok(Self {
            pkg,
            held,
            files,
            hash,
        })
    }

    fn hold(&self) -> Result<()> {
        for f in &self.files {
            std::fs::rename(self.pkg.join(f), self.held.join(f))?;
        }
        Ok(())
    }

    fn give_back(&self) -> Result<()> {
        for f in &self.files {
            std::fs::rename(self.held.join(f), self.pkg.join(f))?;
        }
        Ok(())
    }

    /// Hydrates the page now, as its own script would have once it arrived (under a fresh URL:
    /// the browser remembers the failed one).
    async fn hydrate_now(&self, driver: &WebDriver) -> Result<()> {
        let (js, wasm) = (
            format!("/pkg/minqing.{}.js?arrived", self.hash),
            format!("/pkg/minqing.{}.wasm", self.hash),
        );
        driver
            .execute(
                "import(arguments[0]).then(m => m.default({module_or_path: arguments[1]}) \
                 .then(() => m.hydrate()));",
                vec![serde_json::json!(js), serde_json::json!(wasm)],
            )
            .await?;
        wait_hydrated(driver).await
    }
}

/// With the portal's script held back, the login page is a plain form: Enter posts it, the
/// server signs in and the portal opens (once the script is there) signed in. Then: what was
/// typed before the script arrived is all still in the fields after hydration, and the
/// hydrated form logs in. A wrong password through the plain form comes back in words.
async fn before_hydration_scenario(
    driver: &WebDriver,
    server: &common::TestServer,
    site: &Path,
) -> Result<()> {
    let base = server.base_url.as_str();
    let script = HeldScript::new(site)?;
    let password = server.admin_password.as_str();
    let type_in = |fields: [(&'static str, String); 3]| async move {
        for (name, value) in fields {
            wait_for(driver, &format!("#login-form input[name={name}]"))
                .await?
                .send_keys(value)
                .await?;
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    };

    script.hold()?;
    driver.goto(format!("{base}/login")).await?;
    // Nothing is typed for the resident: no tenant chosen for them.
    let tenant = wait_for(driver, "#login-form input[name=tenant]").await?;
    assert_eq!(tenant.prop("value").await?.unwrap_or_default(), "");
    type_in([
        ("tenant", "nanchang".into()),
        ("username", "admin".into()),
        ("password", "not-the-password\n".into()),
    ])
    .await?;
    // Refused by the server itself, in words, with what was typed kept (not the password).
    wait_until_text(
        driver,
        "[data-testid=form-error]",
        "租户、用户名或密码不正确。",
    )
    .await?;
    let kept = wait_for(driver, "#login-form input[name=username]").await?;
    assert_eq!(kept.prop("value").await?.as_deref(), Some("admin"));
    wait_for(driver, "#login-form input[name=password]")
        .await?
        .send_keys(format!("{password}\n"))
        .await?;
    let deadline = Instant::now() + WAIT;
    while driver.current_url().await?.path() == "/login" {
        if Instant::now() > deadline {
            return Err("Enter before hydration did not sign in".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    script.give_back()?;
    driver.refresh().await?;
    wait_hydrated(driver).await?;
    wait_for(driver, "[data-testid=unit-tree]").await?;

    // Typed while the script is on its way, kept when it arrives.
    driver.delete_all_cookies().await?;
    script.hold()?;
    driver.goto(format!("{base}/login")).await?;
    type_in([
        ("tenant", "nanchang".into()),
        ("username", "admin".into()),
        ("password", password.to_owned()),
    ])
    .await?;
    script.give_back()?;
    script.hydrate_now(driver).await?;
    for (name, expected) in [
        ("tenant", "nanchang"),
        ("username", "admin"),
        ("password", password),
    ] {
        let value = wait_for(driver, &format!("#login-form input[name={name}]"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        if value != expected {
            return Err(format!("hydration left {name} as {value:?}").into());
        }
    }
    click(driver, "[data-testid=login-submit]").await?;
    wait_for(driver, "[data-testid=unit-tree]").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visit_is_scheduled_announced_held_and_its_demand_reaches_the_ledger() {
    // A tenant of its own: on PostgreSQL the demo tenant is shared with the other browser
    // tests, whose ledger counts a demand of this one would change.
    let Some((browser, _site, server)) = with_portal(false).await else {
        return;
    };

    in_browser(&browser, |driver| async move {
        visit_scenario(&driver, &server).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_recorder_sends_with_the_network_gone_arrives_once_when_it_returns() {
    // A tenant of its own, whose demands this test counts.
    let Some((browser, _site, server)) = with_portal(false).await else {
        return;
    };
    // The browser reaches the server only through a link the test can cut.
    let link = FlakyLink::start(&server.base_url).await;

    in_browser(&browser, |driver| async move {
        offline_scenario(&driver, &server, &link).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_demand_is_recorded_worked_to_a_close_and_followed_by_its_receipt_code() {
    let Some((browser, _site, server)) = with_portal(true).await else {
        return;
    };

    in_browser(&browser, |driver| async move {
        demand_scenario(&driver, &server).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resident_raises_a_demand_online_and_follows_it_by_the_receipt() {
    // A tenant of its own: on PostgreSQL the tests share one database, and the demo tenant's
    // ledger is counted by another scenario.
    let Some((browser, _site, server)) = with_portal(false).await else {
        return;
    };
    let city = common::city(&server).await;
    in_browser(&browser, |driver| async move {
        public_form_scenario(&driver, &server, &city).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_overdue_demand_is_warned_taken_to_account_and_the_calendar_is_shown() {
    // No demo tenant: the sweeper visits only the tenants the harness made (`common::city`).
    let Some((browser, _site, server)) = with_portal(false).await else {
        return;
    };
    assert_server_knows(
        &server,
        &[
            "/accountability/warnings",
            "/accountability/cases/00000000-0000-7000-8000-000000000000",
            "/settings/demands",
        ],
    )
    .await;
    let city = common::city(&server).await;
    // 东街道's leader, whom its warnings name.
    common::person(&server, &city.t, "east-leader", "leader", &city.east).await;
    // Two urgent demands from 东一社区 (handled by 东街道), recorded through the API for speed:
    // the first is taken through its case in the browser, the second's case moves on behind
    // the page's back.
    let mut demands = Vec::new();
    for _ in 0..2 {
        let (status, d) = city
            .t
            .admin
            .post(
                "/api/v1/demands",
                &common::intake(&city.community, "urgent"),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{d}");
        demands.push(d);
    }
    let due: chrono::DateTime<chrono::Utc> = demands[0]["reply_due_at"]
        .as_str()
        .expect("a reply deadline")
        .parse()
        .expect("RFC 3339");
    // More than five days past the reply deadline: overdue, and seriously so.
    server
        .clock
        .advance(due + chrono::Duration::days(5) + chrono::Duration::hours(2) - server.clock.now());
    server.sweep().await;
    server.sweep().await;
    let mut cases = Vec::new();
    for d in &demands {
        let (status, list) = city
            .t
            .admin
            .get(&format!(
                "/api/v1/accountability/cases?demand={}",
                d["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{list}");
        let id = list["items"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("the sweep opened no case: {list}"))
            .to_owned();
        cases.push(id);
    }
    let followed = Followed {
        tenant: city.t.slug.clone(),
        demand: demands[0]["id"].as_str().unwrap().to_owned(),
        receipt: demands[0]["receipt_code"].as_str().unwrap().to_owned(),
        case: cases[0].clone(),
        other_case: cases[1].clone(),
    };

    in_browser(&browser, |driver| async move {
        accountability_scenario(&driver, &server.base_url, &city.t.admin, &followed).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_tenant_admin_keeps_the_demand_settings() {
    let Some((browser, _site, server)) = with_portal(false).await else {
        return;
    };
    assert_server_knows(&server, &["/settings/demands"]).await;
    let city = common::city(&server).await;

    in_browser(&browser, |driver| async move {
        settings_scenario(&driver, &server, &city).await
    })
    .await;
}

/// 节假日日历: one day of 2026 edited (调休上班 → 节假日, renamed) and saved is kept when the
/// page is loaded afresh, and the API reads it so.
/// 诉求规则: 国密 SM3 and a 3-day street reply deadline are saved, the rest sent back as read.
/// 诉求类别: one added, then retired. 通知渠道: one added; a demand's message to it fails, and
/// the deliveries show the attempt and its error; then it is disabled. 接口密钥: one issued for
/// 东街道, its key shown once, then revoked.
async fn settings_scenario(
    driver: &WebDriver,
    server: &common::TestServer,
    city: &common::City,
) -> Result<()> {
    let base = server.base_url.as_str();
    let api = &city.t.admin;
    log_in_as(driver, base, &city.t.slug, "admin", common::ADMIN_PASSWORD).await?;
    let (_, before) = api.get("/api/v1/tenant/demand-rules").await;

    driver
        .goto(format!("{base}/settings/demands?tab=calendar&year=2026"))
        .await?;
    wait_hydrated(driver).await?;
    let day = "[data-testid=calendar-row][data-date='2026-02-14']";
    let kind = wait_for(
        driver,
        &format!("{day}[data-kind=workday] select[name=kind]"),
    )
    .await?;
    thirtyfour::components::SelectElement::new(&kind)
        .await?
        .select_by_value("holiday")
        .await?;
    set_input(
        driver,
        &format!("{day} input[name=name]"),
        "春节（延长休假）",
    )
    .await?;
    wait_for(driver, "[data-testid=calendar-dirty]").await?;
    click(driver, "[data-testid=calendar-save]").await?;
    wait_for(driver, "[data-testid=calendar-saved]").await?;
    driver.refresh().await?;
    wait_hydrated(driver).await?;
    wait_for(driver, &format!("{day}[data-kind=holiday]")).await?;
    let name = driver
        .execute(
            "return document.querySelector(arguments[0]).value;",
            vec![serde_json::json!(format!("{day} input[name=name]"))],
        )
        .await?;
    if name.json().as_str() != Some("春节（延长休假）") {
        return Err(format!("the edited day is named {:?} after a reload", name.json()).into());
    }
    let (_, year) = api.get("/api/v1/tenant/calendar?year=2026").await;
    let kept = year
        .as_array()
        .and_then(|days| days.iter().find(|d| d["date"] == "2026-02-14"))
        .cloned()
        .unwrap_or_default();
    if kept["kind"] != "holiday" || kept["name"] != "春节（延长休假）" {
        return Err(format!("the API reads 2026-02-14 as {kept}").into());
    }

    click(driver, "[data-testid=nav-demand-settings]").await?;
    click(driver, "[data-testid=tab-rules]").await?;
    let hash = wait_for(driver, "[data-testid=hash-algorithm]").await?;
    thirtyfour::components::SelectElement::new(&hash)
        .await?
        .select_by_value("sm3")
        .await?;
    let reply = wait_for(
        driver,
        "[data-testid=deadline-row][data-tier=street] input[name='reply_days.street']",
    )
    .await?;
    reply.clear().await?;
    reply.send_keys("3").await?;
    wait_for(driver, "[data-testid=crypto-note]").await?;
    click(driver, "[data-testid=rules-save]").await?;
    wait_for(driver, "[data-testid=rules-saved]").await?;
    let (_, after) = api.get("/api/v1/tenant/demand-rules").await;
    assert_eq!(after["hash_algorithm"], "sm3", "{after}");
    let street = after["deadlines"]
        .as_array()
        .and_then(|d| d.iter().find(|r| r["tier"] == "street"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(street["reply_days"], 3, "{after}");
    assert_eq!(after["routing"], before["routing"]);
    assert_eq!(after["accountability"], before["accountability"]);
    assert_eq!(after["cipher_algorithm"], before["cipher_algorithm"]);

    click(driver, "[data-testid=tab-categories]").await?;
    click(driver, "details:has([data-testid=new-category]) > summary").await?;
    for (name, value) in [
        ("key", "heating"),
        ("label_zh", "供暖"),
        ("label_en", "Heating"),
    ] {
        wait_for(
            driver,
            &format!("[data-testid=new-category] input[name={name}]"),
        )
        .await?
        .send_keys(value)
        .await?;
    }
    click(driver, "[data-testid=new-category] button[type=submit]").await?;
    let heating = "[data-testid=category-row][data-key=heating]";
    wait_until_text(
        driver,
        &format!("{heating} [data-testid=category-status]"),
        "在用",
    )
    .await?;
    click(driver, &format!("{heating} [data-testid=category-toggle]")).await?;
    wait_until_text(
        driver,
        &format!("{heating} [data-testid=category-status]"),
        "已停用",
    )
    .await?;

    click(driver, "[data-testid=tab-notifications]").await?;
    wait_for(driver, "[data-testid=no-channels]").await?;
    click(driver, "details:has([data-testid=new-channel]) > summary").await?;
    for (name, value) in [
        ("name", "街道值班群"),
        // Nothing listens there: deliveries fail and are retried.
        ("url", "http://127.0.0.1:9/hook"),
        ("secret", "a-webhook-secret-of-some-length"),
    ] {
        wait_for(
            driver,
            &format!("[data-testid=new-channel] input[name={name}]"),
        )
        .await?
        .send_keys(value)
        .await?;
    }
    click(driver, "[data-testid=new-channel] button[type=submit]").await?;
    let channel = "[data-testid=channel-row][data-name='街道值班群']";
    wait_until_text(
        driver,
        &format!("{channel} [data-testid=channel-status]"),
        "启用中",
    )
    .await?;
    let (status, body) = api
        .post(
            "/api/v1/demands",
            &common::intake(&city.community, "urgent"),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let sent = server.deliver().await;
    assert_eq!(sent.failed, 1);
    click(driver, "[data-testid=deliveries-refresh]").await?;
    let delivery = "[data-testid=delivery-row][data-topic='demand.received']";
    wait_until_text(
        driver,
        &format!("{delivery} [data-testid=delivery-attempts]"),
        "1",
    )
    .await?;
    let last_error = wait_for(driver, &format!("{delivery} [data-testid=delivery-error]"))
        .await?
        .text()
        .await?;
    if last_error.trim().is_empty() {
        return Err("the failed delivery shows no error".into());
    }
    click(driver, &format!("{channel} [data-testid=channel-switch]")).await?;
    wait_until_text(
        driver,
        &format!("{channel} [data-testid=channel-status]"),
        "已停用",
    )
    .await?;

    click(driver, "[data-testid=tab-api-keys]").await?;
    wait_for(driver, "[data-testid=no-api-keys]").await?;
    click(driver, "details:has([data-testid=new-api-key]) > summary").await?;
    wait_for(driver, "[data-testid=new-api-key] input[name=name]")
        .await?
        .send_keys("12345 热线")
        .await?;
    wait_for(driver, "[data-testid=api-key-unit]")
        .await?
        .send_keys("东街道")
        .await?;
    click(
        driver,
        "[data-testid=new-api-key] [data-testid=picker-option][data-name='东街道']",
    )
    .await?;
    click(driver, "[data-testid=new-api-key] button[type=submit]").await?;
    let key = wait_for(driver, "[data-testid=api-key-secret]")
        .await?
        .text()
        .await?;
    let tenant = city.t.id.replace('-', "");
    if !key.starts_with(&format!("{tenant}.")) || key.len() < tenant.len() + 40 {
        return Err(format!("the new key reads {key:?}").into());
    }
    let row = "[data-testid=api-key-row][data-name='12345 热线']";
    wait_until_text(
        driver,
        &format!("{row} [data-testid=api-key-status]"),
        "正常",
    )
    .await?;
    click(driver, "[data-testid=api-key-dismiss]").await?;
    assert_no_text(driver, &key).await?;
    click(driver, &format!("{row} [data-testid=api-key-revoke]")).await?;
    click(driver, &format!("{row} [data-testid=api-key-revoke]")).await?;
    let deadline = Instant::now() + WAIT;
    loop {
        let shown = wait_for(driver, &format!("{row} [data-testid=api-key-status]"))
            .await?
            .text()
            .await?;
        if shown.starts_with("已吊销") {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the revoked key reads {shown:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 家访与经费规则: a quarterly visit per contact point, notices two days ahead. A lead time
    // past 30 days is refused beside its field, and nothing is saved.
    click(driver, "[data-testid=nav-settings]").await?;
    let rules = wait_for(driver, "[data-testid=operations-rules]").await?;
    thirtyfour::components::SelectElement::new(
        &rules
            .find(By::Css("select[name=contact_frequency]"))
            .await?,
    )
    .await?
    .select_by_value("quarterly")
    .await?;
    let lead = rules.find(By::Css("input[name=notice_lead_hours]")).await?;
    lead.clear().await?;
    lead.send_keys("1000").await?;
    rules
        .find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_for(
        driver,
        "[data-testid=operations-rules] .invalid .field-error",
    )
    .await?;
    let (_, unchanged) = api.get("/api/v1/operations-rules").await;
    if unchanged["contact_frequency"] != "monthly" {
        return Err(format!("a refused save changed the rules: {unchanged}").into());
    }
    lead.clear().await?;
    lead.send_keys("48").await?;
    rules
        .find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_for(driver, "[data-testid=operations-saved]").await?;
    let (_, now) = api.get("/api/v1/operations-rules").await;
    if now["contact_frequency"] != "quarterly" || now["notice_lead_hours"] != 48 {
        return Err(format!("the rules saved: {now}").into());
    }
    Ok(())
}

/// What the accountability scenario follows.
struct Followed {
    tenant: String,
    demand: String,
    receipt: String,
    /// The first demand's case, taken through review, decision and closing in the browser.
    case: String,
    /// The second demand's case, reviewed through the API while the page still offers 审查.
    other_case: String,
}

const DECISION: &str = "约谈东街道负责人，限期整改";

/// As the tenant's admin: the warnings board shows the overdue warning (filters by level and
/// unit, the link to the demand); the cases list shows the open case; a stale page's step gets
/// the API's 409 in words; the case is reviewed, refused 其他 without words (the API's 422 beside
/// the field), decided 约谈 with words and closed, and reads 已结案 with the decision and who
/// made it after a reload. Then the holiday calendar for 2026 lists 2026-02-14 as 调休上班, and a
/// bad calendar file is refused line by line, changing nothing.
async fn accountability_scenario(
    driver: &WebDriver,
    base: &str,
    api: &common::Session,
    f: &Followed,
) -> Result<()> {
    log_in_as(driver, base, &f.tenant, "admin", common::ADMIN_PASSWORD).await?;

    // 预警看板, from the navigation.
    wait_until_text(driver, "[data-testid=nav-warnings]", "预警看板").await?;
    wait_until_text(driver, "[data-testid=nav-cases]", "问责案件").await?;
    wait_until_text(driver, "[data-testid=nav-demand-settings]", "诉求设置").await?;
    click(driver, "[data-testid=nav-warnings]").await?;
    assert_path(driver, "/accountability/warnings").await?;
    let row = format!(
        "[data-testid=warning-row][data-demand-id='{}'][data-level=overdue]",
        f.demand
    );
    wait_for(driver, &row).await?;
    wait_until_text(
        driver,
        &format!("{row} [data-testid=warning-level]"),
        "逾期",
    )
    .await?;
    wait_until_text(
        driver,
        &format!("{row} [data-testid=warning-unit]"),
        "东街道",
    )
    .await?;
    wait_until_text(
        driver,
        &format!("{row} [data-testid=warning-leaders]"),
        "east-leader",
    )
    .await?;
    let link = wait_for(driver, &format!("{row} [data-testid=warning-demand]")).await?;
    let href = link.attr("href").await?.unwrap_or_default();
    if !href.ends_with(&format!("/demands/{}", f.demand)) {
        return Err(format!("the warning links to {href:?}").into());
    }
    if !link.text().await?.contains(&f.receipt) {
        return Err("the warning does not show the demand's receipt code".into());
    }
    // By level: none approaching (the deadline was jumped over), the overdue one under 逾期.
    click(driver, "[data-testid=level-chip-approaching]").await?;
    wait_for(driver, "[data-testid=no-warnings]").await?;
    click(driver, "[data-testid=level-chip-overdue]").await?;
    wait_for(driver, &row).await?;
    let chip = wait_for(driver, "[data-testid=level-chip-overdue]").await?;
    assert_eq!(chip.attr("aria-pressed").await?.as_deref(), Some("true"));
    // By unit: nothing within 西街道; everything again once the unit is removed.
    wait_for(driver, "[data-testid=within-search]")
        .await?
        .send_keys("西街道")
        .await?;
    click(driver, "[data-testid=picker-option][data-name='西街道']").await?;
    wait_for(driver, "[data-testid=no-warnings]").await?;
    let url = driver.current_url().await?;
    if !url.query().unwrap_or_default().contains("within=") {
        return Err(format!("the unit filter is not in the address: {url}").into());
    }
    click(driver, "[data-testid=within-filter] .chip-remove").await?;
    wait_for(driver, &row).await?;
    // The row opens its demand.
    click(driver, &format!("{row} [data-testid=warning-demand]")).await?;
    wait_until_text(driver, "[data-testid=demand-receipt]", &f.receipt).await?;
    // The sweeper's entries read in words: the deadline and the case's reason, never a code.
    let raised = "[data-testid=event][data-kind=accountability_raised]";
    wait_until_text(driver, &format!("{raised} .event-kind"), "启动问责（答复）").await?;
    wait_until_text(driver, &format!("{raised} .event-text"), "严重逾期").await?;
    assert_no_text(driver, "serious_overdue").await?;

    // 问责案件: the open case, found by status.
    click(driver, "[data-testid=nav-cases]").await?;
    assert_path(driver, "/accountability/cases").await?;
    let case_row = format!("[data-testid=case-row][data-case-id='{}']", f.case);
    wait_until_text(
        driver,
        &format!("{case_row} [data-testid=case-status]"),
        "待处理",
    )
    .await?;
    wait_until_text(
        driver,
        &format!("{case_row} [data-testid=case-link]"),
        "严重逾期",
    )
    .await?;
    wait_until_text(
        driver,
        &format!("{case_row} [data-testid=case-unit]"),
        "东街道",
    )
    .await?;
    let demand_link = wait_for(driver, &format!("{case_row} [data-testid=case-demand]"))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    if !demand_link.ends_with(&format!("/demands/{}", f.demand)) {
        return Err(format!("the case links to {demand_link:?}").into());
    }
    click(driver, "[data-testid=case-chip-closed]").await?;
    wait_for(driver, "[data-testid=no-cases]").await?;
    click(driver, "[data-testid=case-chip-open]").await?;
    wait_for(driver, &case_row).await?;

    // A page left open while someone else reviewed the case: its 审查 gets the API's 409 in
    // words, and the case as it is now.
    driver
        .goto(format!("{base}/accountability/cases/{}", f.other_case))
        .await?;
    wait_hydrated(driver).await?;
    wait_until_text(driver, "[data-testid=case-status]", "待处理").await?;
    wait_for(driver, "[data-testid=case-step-review]").await?;
    let (status, body) = api
        .post(
            &format!("/api/v1/accountability/cases/{}/review", f.other_case),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    step(driver, "review").await?;
    let conflict =
        minqing_domain::i18n::message("illegal_case_transition", minqing_domain::i18n::Lang::Zh);
    wait_until_text(driver, "[data-testid=case-refused]", &conflict).await?;
    wait_until_text(driver, "[data-testid=case-status]", "审查中").await?;

    // The first case, step by step: only the next legal step is offered.
    driver.goto(format!("{base}/accountability/cases")).await?;
    wait_hydrated(driver).await?;
    click(driver, &format!("{case_row} [data-testid=case-link]")).await?;
    wait_until_text(driver, "[data-testid=case-status]", "待处理").await?;
    wait_until_text(driver, "[data-testid=case-reason]", "严重逾期").await?;
    wait_until_text(driver, "[data-testid=case-deadlines]", "答复").await?;
    wait_until_text(driver, "[data-testid=case-unit]", "东街道").await?;
    assert_steps(driver, &["review"]).await?;
    step(driver, "review").await?;
    wait_until_text(driver, "[data-testid=case-status]", "审查中").await?;
    assert_steps(driver, &["decide"]).await?;

    // 其他 needs words: the API's 422, beside the field.
    click(driver, "[data-testid=case-step-decide]").await?;
    let outcome = wait_for(driver, "[data-testid=case-outcome-select]").await?;
    thirtyfour::components::SelectElement::new(&outcome)
        .await?
        .select_by_value("other")
        .await?;
    click(driver, "[data-testid=case-step-submit]").await?;
    let required =
        minqing_domain::i18n::message("outcome_text_required", minqing_domain::i18n::Lang::Zh);
    wait_until_text(driver, "[data-testid=error-outcome_text]", &required).await?;
    wait_until_text(driver, "[data-testid=case-status]", "审查中").await?;

    // 约谈, with words.
    let outcome = wait_for(driver, "[data-testid=case-outcome-select]").await?;
    thirtyfour::components::SelectElement::new(&outcome)
        .await?
        .select_by_value("talk")
        .await?;
    wait_for(driver, "[data-testid=case-outcome-text-input]")
        .await?
        .send_keys(DECISION)
        .await?;
    click(driver, "[data-testid=case-step-submit]").await?;
    wait_until_text(driver, "[data-testid=case-status]", "已决定").await?;
    wait_until_text(driver, "[data-testid=case-outcome]", "约谈").await?;
    wait_until_text(driver, "[data-testid=case-outcome-text]", DECISION).await?;
    wait_until_text(driver, "[data-testid=case-decided-by]", "admin").await?;
    assert_steps(driver, &["close"]).await?;

    step(driver, "close").await?;
    wait_until_text(driver, "[data-testid=case-status]", "已结案").await?;
    wait_for(driver, "[data-testid=case-done]").await?;
    assert_steps(driver, &[]).await?;

    // Rendered afresh, it still reads closed, with the decision and who made it when.
    driver.refresh().await?;
    wait_hydrated(driver).await?;
    wait_until_text(driver, "[data-testid=case-status]", "已结案").await?;
    wait_until_text(driver, "[data-testid=case-outcome]", "约谈").await?;
    wait_until_text(driver, "[data-testid=case-outcome-text]", DECISION).await?;
    wait_until_text(driver, "[data-testid=case-decided-by]", "admin").await?;
    let decided_at = wait_for(driver, "[data-testid=case-decided-at]")
        .await?
        .text()
        .await?;
    if decided_at.trim().len() != "YYYY-MM-DD HH:MM".len() {
        return Err(format!("decided at {decided_at:?}").into());
    }
    wait_for(driver, "[data-testid=case-closed-at]").await?;
    assert_steps(driver, &[]).await?;

    // …and so does the list, under 已结案.
    driver
        .goto(format!("{base}/accountability/cases?status=closed"))
        .await?;
    wait_hydrated(driver).await?;
    wait_until_text(
        driver,
        &format!("{case_row} [data-testid=case-status]"),
        "已结案",
    )
    .await?;
    let listed = wait_for(driver, &format!("{case_row} [data-testid=case-outcome]"))
        .await?
        .text()
        .await?;
    let by = wait_for(driver, &format!("{case_row} [data-testid=case-decided-by]"))
        .await?
        .text()
        .await?;
    if !listed.contains("约谈") || !listed.contains(DECISION) || !by.contains("admin") {
        return Err(format!("the closed case lists {listed:?} by {by:?}").into());
    }

    // 节假日日历 for 2026: 14 February, a Saturday, is worked (调休上班).
    click(driver, "[data-testid=nav-demand-settings]").await?;
    assert_path(driver, "/settings/demands").await?;
    click(driver, "[data-testid=tab-calendar]").await?;
    wait_for(driver, "[data-testid=calendar-year]").await?;
    // Whatever year it opens on, step to 2027 and back to 2026 (the address keeps it).
    let year = || async {
        let value = driver
            .execute(
                "return document.querySelector('[data-testid=calendar-year]').value;",
                Vec::new(),
            )
            .await?;
        Ok::<i32, WebDriverError>(
            value
                .json()
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        )
    };
    for target in [2027, 2026] {
        for _ in 0..100 {
            let shown = year().await?;
            if shown == target {
                break;
            }
            let button = if shown > target {
                "[data-testid=calendar-prev-year]"
            } else {
                "[data-testid=calendar-next-year]"
            };
            click(driver, button).await?;
            let deadline = Instant::now() + WAIT;
            while year().await? == shown && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    let day = "[data-testid=calendar-row][data-date='2026-02-14']";
    wait_for(driver, &format!("{day}[data-kind=workday]")).await?;
    let kind = driver
        .execute(
            "const s = document.querySelector(arguments[0]); return s.options[s.selectedIndex].text;",
            vec![serde_json::json!(format!("{day} select[name=kind]"))],
        )
        .await?;
    assert_eq!(kind.json().as_str(), Some("调休上班"));
    wait_until_text(
        driver,
        &format!("{day} [data-testid=calendar-weekday]"),
        "周六",
    )
    .await?;
    let url = driver.current_url().await?;
    if !url.query().unwrap_or_default().contains("year=2026") {
        return Err(format!("the year is not in the address: {url}").into());
    }

    // A file with a bad line loads nothing and names the line.
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("calendar-2026.csv");
    std::fs::write(
        &file,
        "date,kind,name\n2026-10-01,holiday,国庆节\n2026-10-32,holiday,国庆节\n",
    )?;
    wait_for(driver, "[data-testid=calendar-file]")
        .await?
        .send_keys(file.to_string_lossy())
        .await?;
    click(driver, "[data-testid=calendar-import-submit]").await?;
    wait_for(
        driver,
        "[data-testid=import-errors] [data-testid=import-bad-row][data-line='3']",
    )
    .await?;
    wait_for(driver, &format!("{day}[data-kind=workday]")).await?;
    Ok(())
}

/// The case's step buttons are exactly these (`review`, `decide`, `close`).
async fn assert_steps(driver: &WebDriver, expected: &[&str]) -> Result<()> {
    let script = "return Array.from(document.querySelectorAll('[data-testid^=\"case-step-\"]'))\
        .map(e => e.dataset.testid.slice('case-step-'.length))\
        .filter(s => s !== 'form' && s !== 'submit');";
    let deadline = Instant::now() + WAIT;
    loop {
        let found = driver.execute(script, Vec::new()).await?;
        let steps: Vec<String> = found
            .json()
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if steps == expected {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the case offers {steps:?}, expected {expected:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens a case step's form and confirms it (review and close need nothing more).
async fn step(driver: &WebDriver, name: &str) -> Result<()> {
    click(driver, &format!("[data-testid=case-step-{name}]")).await?;
    wait_for(
        driver,
        &format!("[data-testid=case-step-form][data-step={name}]"),
    )
    .await?;
    click(driver, "[data-testid=case-step-submit]").await
}

/// Types each `(input name, value)` into `form` and submits it.
async fn fill_and_submit(form: &WebElement, fields: &[(&str, &str)]) -> Result<()> {
    for (field, value) in fields {
        form.find(By::Css(format!("input[name={field}]")))
            .await?
            .send_keys(*value)
            .await?;
    }
    form.find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn click(driver: &WebDriver, css: &str) -> Result<()> {
    wait_for(driver, css).await?.click().await?;
    Ok(())
}

/// The resident's phone as typed at intake; no digit of it may reach the public page.
const PHONE: &str = "139 0791 2468";
const REPLY: &str = "已联系物业，明天更换灯泡";

/// A 1×1 PNG: the smallest photo a cadre could file.
const PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0x60, 0xf8, 0x5f,
    0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Record a demand at 洪城路社区居委会 through the intake form, read its receipt code, open it,
/// file a photo with it (a file that only claims to be one refused in the server's words),
/// accept → reply → resolve → give feedback → rate 满意 (closed, no actions left), find it in
/// the ledger filtered by the URL and download that 台账 as CSV and XLSX; filter the ledger to
/// 青云谱区's subtree, which leaves out a demand of 东湖区, and escalate that one, then reassign
/// it, by hand; then, signed out, follow the first on the public receipt page.
async fn demand_scenario(driver: &WebDriver, server: &common::TestServer) -> Result<()> {
    let base = server.base_url.as_str();
    log_in(driver, base, &server.admin_password).await?;

    // Intake, from the navigation.
    wait_until_text(driver, "[data-testid=nav-intake]", "诉求登记").await?;
    wait_until_text(driver, "[data-testid=nav-demands]", "诉求台账").await?;
    driver
        .find(By::Css("[data-testid=nav-intake]"))
        .await?
        .click()
        .await?;
    let form = wait_for(driver, "[data-testid=intake-form]").await?;
    assert_path(driver, "/demands/new").await?;

    // Submitting with nothing chosen names the missing choices beside them, and records nothing.
    form.find(By::Css("[data-testid=intake-submit]"))
        .await?
        .click()
        .await?;
    wait_for(driver, "[data-testid=error-origin_unit]").await?;
    wait_for(driver, "[data-testid=error-grade]").await?;

    wait_for(driver, "[data-testid=community-search]")
        .await?
        .send_keys("洪城路")
        .await?;
    wait_for(
        driver,
        "[data-testid=community-option][data-name='洪城路社区居委会']",
    )
    .await?
    .click()
    .await?;
    let picked = wait_for(driver, "[data-testid=picked-community]").await?;
    let picked = picked.text().await?;
    assert!(
        picked.contains("洪城路社区居委会") && picked.contains("徐家坊街道"),
        "picked {picked:?}"
    );
    for choice in ["channel-walk_in", "grade-urgent"] {
        let button = wait_for(driver, &format!("[data-testid={choice}]")).await?;
        button.click().await?;
        assert_eq!(
            button.attr("aria-pressed").await?.as_deref(),
            Some("true"),
            "{choice}"
        );
    }
    wait_for(driver, "select[name=category] option[value=daily_life]").await?;
    let category = driver.find(By::Css("select[name=category]")).await?;
    thirtyfour::components::SelectElement::new(&category)
        .await?
        .select_by_value("daily_life")
        .await?;
    for (name, value) in [
        ("title", "楼道灯坏了"),
        ("address", "洪城路12号3栋2单元"),
        ("resident_name", "王阿姨"),
        ("phone", PHONE),
    ] {
        driver
            .find(By::Css(format!(
                "[data-testid=intake-form] input[name={name}]"
            )))
            .await?
            .send_keys(value)
            .await?;
    }
    driver
        .find(By::Css(
            "[data-testid=intake-form] textarea[name=description]",
        ))
        .await?
        .send_keys("3栋2单元楼道灯不亮，老人晚上出行不便")
        .await?;
    // A double tap records one demand (the ledger's count below says so).
    let submit = driver.find(By::Css("[data-testid=intake-submit]")).await?;
    driver
        .action_chain()
        .double_click_element(&submit)
        .perform()
        .await?;

    let code = wait_for(
        driver,
        "[data-testid=intake-done] [data-testid=receipt-code]",
    )
    .await?
    .text()
    .await?;
    let code = code.trim().to_owned();
    let shape_ok = code.len() == 14
        && code
            .split('-')
            .all(|part| part.len() == 4 && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if !shape_ok {
        return Err(format!("the receipt code reads {code:?}").into());
    }

    // The demand's page: all fields, the phone masked, actions by status.
    driver
        .find(By::Css("[data-testid=open-demand]"))
        .await?
        .click()
        .await?;
    wait_until_text(driver, "[data-testid=demand-receipt]", &code).await?;
    wait_until_text(driver, "[data-testid=demand-status]", "已受理登记").await?;
    wait_until_text(driver, "[data-testid=demand-title]", "楼道灯坏了").await?;
    wait_until_text(driver, "[data-testid=demand-origin]", "洪城路社区居委会").await?;
    // 急 goes to the street above the community.
    wait_until_text(driver, "[data-testid=demand-handler]", "徐家坊街道").await?;
    wait_until_text(driver, "[data-testid=demand-phone]", "139****2468").await?;
    assert_no_text(driver, "13907912468").await?;
    // Times read `YYYY-MM-DD HH:MM` in the tenant's zone (Asia/Shanghai, UTC+8): the intake
    // happened a moment ago.
    let shown = wait_for(driver, "[data-testid=event][data-kind=received] time")
        .await?
        .text()
        .await?;
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let near = |offset: i64| {
        (chrono::Utc::now() + chrono::Duration::minutes(offset))
            .with_timezone(&cst)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    if ![near(-1), near(0), near(1)].contains(&shown) {
        return Err(format!("received at {shown:?}, expected about {}", near(0)).into());
    }

    // Attachments: none yet. A text file named like a photo is refused by its content, the
    // server's words beside the form; a real photo is filed, listed, and downloads as sent.
    wait_for(driver, "[data-testid=no-attachments]").await?;
    let files = tempfile::tempdir()?;
    let fake = files.path().join("假照片.png");
    std::fs::write(&fake, "这不是一张图片")?;
    let upload = wait_for(driver, "[data-testid=attachment-upload]").await?;
    let input = upload.find(By::Css("input[type=file]")).await?;
    input.send_keys(fake.to_string_lossy()).await?;
    upload
        .find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    let refused = minqing_domain::i18n::message(
        "unsupported_attachment_type",
        minqing_domain::i18n::Lang::Zh,
    );
    wait_until_text(
        driver,
        "[data-testid=attachment-upload] [data-testid=error-file]",
        &refused,
    )
    .await?;
    wait_for(driver, "[data-testid=no-attachments]").await?;
    let photo = files.path().join("楼道灯.png");
    std::fs::write(&photo, PNG)?;
    driver
        .execute(
            "document.querySelector('[data-testid=attachment-upload] input[type=file]').value = '';",
            Vec::new(),
        )
        .await?;
    input.send_keys(photo.to_string_lossy()).await?;
    upload
        .find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    let filed =
        "[data-testid=attachment][data-media-type='image/png'] [data-testid=attachment-link]";
    wait_until_text(driver, filed, "楼道灯.png").await?;
    wait_gone(
        driver,
        "[data-testid=attachment-upload] [data-testid=import-errors]",
    )
    .await?;
    let href = wait_for(driver, filed)
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    let (status, bytes) = admin_download(driver, &href).await?;
    if status != 200 || bytes != PNG {
        return Err(format!(
            "the photo downloads as {status} ({} bytes, not the {} sent)",
            bytes.len(),
            PNG.len()
        )
        .into());
    }
    wait_until_text(
        driver,
        "[data-testid=event][data-kind=attachment_added] .event-text",
        "楼道灯.png",
    )
    .await?;

    for (action, text, status) in [
        ("accept", None, "已接收"),
        ("reply", Some(REPLY), "办理中"),
        ("resolve", Some("已更换灯泡，恢复照明"), "已办结"),
        ("give_feedback", Some("已电话回访，群众认可"), "已反馈"),
    ] {
        act(driver, action, text).await?;
        wait_until_text(driver, "[data-testid=demand-status]", status).await?;
    }
    // The admin handles it, so rates nothing: the resident does, on the receipt page.
    if !driver
        .find_all(By::Css("[data-testid=action-rate]"))
        .await?
        .is_empty()
    {
        return Err("the handling side is offered to rate its own work".into());
    }
    let demand_page = driver.current_url().await?;
    driver
        .goto(format!("{base}/public/nanchang/receipt/{code}"))
        .await?;
    wait_hydrated(driver).await?;
    wait_for(driver, "[data-testid=rating-form]").await?;
    // Sent with no choice: named beside the choice. With the wrong digits: beside the digits.
    click(driver, "[data-testid=rating-submit]").await?;
    wait_for(driver, "[data-testid=error-satisfaction]").await?;
    click(driver, "[data-testid=rate-satisfied]").await?;
    set_input(
        driver,
        "[data-testid=rating-form] textarea[name=comment]",
        "灯亮了，谢谢",
    )
    .await?;
    set_input(
        driver,
        "[data-testid=rating-form] input[name=phone_last4]",
        "1357",
    )
    .await?;
    click(driver, "[data-testid=rating-submit]").await?;
    wait_until_text(
        driver,
        "[data-testid=error-phone_last4]",
        "手机号后四位与登记时留下的号码不符。",
    )
    .await?;
    set_input(
        driver,
        "[data-testid=rating-form] input[name=phone_last4]",
        "2468",
    )
    .await?;
    click(driver, "[data-testid=rating-submit]").await?;
    wait_until_text(driver, "[data-testid=receipt-status]", "已关闭").await?;
    wait_gone(driver, "[data-testid=rating-form]").await?;
    driver.goto(demand_page.as_str()).await?;
    wait_hydrated(driver).await?;
    wait_until_text(driver, "[data-testid=demand-status]", "已关闭").await?;
    wait_until_text(driver, "[data-testid=demand-satisfaction]", "满意").await?;
    let left = driver
        .find_all(By::Css(
            "[data-testid=demand-actions], [data-testid^='action-']",
        ))
        .await?;
    if !left.is_empty() {
        return Err(format!("{} action controls remain on a closed demand", left.len()).into());
    }
    // The timeline shows every step, each in words, the reply's text with it.
    let kinds = wait_for_count(driver, "[data-testid=timeline] [data-testid=event]", 7).await?;
    assert_eq!(
        kinds,
        [
            "received",
            "attachment_added",
            "accepted",
            "replied",
            "resolved",
            "feedback_given",
            "rated"
        ]
    );
    wait_until_text(
        driver,
        "[data-testid=event][data-kind=replied] .event-kind",
        "答复进展",
    )
    .await?;
    wait_until_text(
        driver,
        "[data-testid=event][data-kind=replied] .event-text",
        REPLY,
    )
    .await?;

    // The ledger keeps its filters in the address: loaded afresh, it still shows closed ones.
    driver.goto(format!("{base}/demands?status=closed")).await?;
    wait_hydrated(driver).await?;
    wait_for(
        driver,
        &format!("[data-testid=ledger-row][data-receipt='{code}']"),
    )
    .await?;
    let chip = wait_for(driver, "[data-testid=status-chip-closed]").await?;
    assert_eq!(chip.attr("aria-pressed").await?.as_deref(), Some("true"));
    wait_until_text(driver, "[data-testid=status-chip-closed] .count", "1").await?;
    wait_until_text(driver, "[data-testid=status-chip-all] .count", "1").await?;

    // The 台账 of what the list shows: the links carry its filter, and the file has the
    // Chinese header and the demand's row (CSV and XLSX alike).
    let link = |format: &'static str| async move {
        let href = wait_for(
            driver,
            &format!("[data-testid=ledger-export] a[data-format={format}]"),
        )
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
        if !href.starts_with("/api/v1/demands/export?") || !href.contains("status=closed") {
            return Err(format!("the ledger exports {href:?}").into());
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(href)
    };
    let (status, file) = admin_download(driver, &link("csv").await?).await?;
    let csv = String::from_utf8_lossy(&file);
    let row = csv
        .lines()
        .find(|l| l.contains(&code))
        .unwrap_or_default()
        .to_owned();
    if status != 200 || !csv.contains("序号") || !row.contains("楼道灯坏了") {
        return Err(format!("the ledger's CSV answered {status}: {csv}").into());
    }
    let (status, file) = admin_download(driver, &link("xlsx").await?).await?;
    let cells = xlsx_cells(&file);
    if status != 200
        || !cells.iter().any(|c| c == "序号")
        || !cells.iter().any(|c| c == &code)
        || !cells.iter().any(|c| c.contains("楼道灯坏了"))
    {
        return Err(format!("the ledger's XLSX answered {status}: {cells:?}").into());
    }

    // A second demand, raised in 东湖区 (recorded through the API for speed): the whole
    // ledger lists both, 青云谱区's subtree only the first, and the address keeps the subtree.
    let admin = server
        .login("nanchang", "admin", &server.admin_password)
        .await;
    let minxiang = common::unit_id(&admin, "360102002001").await;
    let (status, other) = admin
        .post(
            "/api/v1/demands",
            &serde_json::json!({
                "origin_unit": minxiang,
                "channel": "hotline",
                "grade": "urgent",
                "category": "daily_life",
                "title": "巷口路灯不亮",
                "description": "民巷口路灯坏了一周，夜里看不清路",
            }),
        )
        .await;
    if status != reqwest::StatusCode::CREATED {
        return Err(format!("the second demand answered {status}: {other}").into());
    }
    let other_code = other["receipt_code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let ours = format!("[data-testid=ledger-row][data-receipt='{code}']");
    let theirs = format!("[data-testid=ledger-row][data-receipt='{other_code}']");
    driver.goto(format!("{base}/demands")).await?;
    wait_hydrated(driver).await?;
    wait_for(driver, &theirs).await?;
    wait_for(driver, &ours).await?;
    open_details(driver, "filters").await?;
    wait_for(driver, "[data-testid=filters] [data-testid=within-search]")
        .await?
        .send_keys("青云谱区")
        .await?;
    click(
        driver,
        "[data-testid=filters] [data-testid=picker-option][data-name='青云谱区']",
    )
    .await?;
    wait_gone(driver, &theirs).await?;
    wait_for(driver, &ours).await?;
    let url = driver.current_url().await?;
    if !url.query().unwrap_or_default().contains("within=") {
        return Err(format!("the subtree is not in the address: {url}").into());
    }
    let export = wait_for(driver, "[data-testid=ledger-export] a[data-format=csv]")
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    if !export.contains("within=") {
        return Err(format!("the subtree's export is {export:?}").into());
    }
    // Loaded afresh, the filter names its unit and still leaves 东湖区's demand out.
    driver.refresh().await?;
    wait_hydrated(driver).await?;
    wait_until_contains(driver, "[data-testid=within-filter] .chip", "青云谱区").await?;
    wait_for(driver, &ours).await?;
    wait_gone(driver, &theirs).await?;
    click(driver, "[data-testid=within-filter] .chip-remove").await?;
    wait_for(driver, &theirs).await?;

    // By hand, on its page: escalated to 东湖区, then handed to 百花洲街道.
    click(driver, &format!("{theirs} .receipt-link")).await?;
    wait_until_text(driver, "[data-testid=demand-receipt]", &other_code).await?;
    wait_until_text(driver, "[data-testid=demand-handler]", "滕王阁街道").await?;
    act(driver, "escalate", Some("涉及多个部门，需区里协调")).await?;
    wait_until_text(driver, "[data-testid=demand-handler]", "东湖区").await?;
    wait_for(driver, "[data-testid=event][data-kind=escalated]").await?;
    click(driver, "[data-testid=action-reassign]").await?;
    let form = wait_for(driver, "[data-testid=action-form][data-action=reassign]").await?;
    form.find(By::Css("[data-testid=unit-picker-search]"))
        .await?
        .send_keys("百花洲")
        .await?;
    click(
        driver,
        "[data-testid=action-form] [data-testid=picker-option][data-name='百花洲街道']",
    )
    .await?;
    form.find(By::Css("[data-testid=action-submit]"))
        .await?
        .click()
        .await?;
    wait_until_text(driver, "[data-testid=demand-handler]", "百花洲街道").await?;
    wait_until_text(
        driver,
        "[data-testid=event][data-kind=reassigned] .event-unit",
        "百花洲街道",
    )
    .await?;

    // Signed out, with no cookie left: the resident's page by tenant and code.
    driver
        .find(By::Css("[data-testid=logout]"))
        .await?
        .click()
        .await?;
    assert_path(driver, "/login").await?;
    driver.delete_all_cookies().await?;
    driver
        .goto(format!("{base}/public/nanchang/receipt"))
        .await?;
    wait_hydrated(driver).await?;
    let input = wait_for(driver, "[data-testid=receipt-input]").await?;
    // Typed loosely: lower case, no dashes.
    input
        .send_keys(code.to_lowercase().replace('-', ""))
        .await?;
    driver
        .find(By::Css("[data-testid=receipt-submit]"))
        .await?
        .click()
        .await?;
    wait_until_text(driver, "[data-testid=receipt-status]", "已关闭").await?;
    wait_until_text(
        driver,
        "[data-testid=receipt-page] [data-testid=receipt-code]",
        &code,
    )
    .await?;
    wait_until_text(driver, "[data-testid=receipt-handler]", "徐家坊街道").await?;
    wait_until_text(
        driver,
        "[data-testid=receipt-step][data-kind=replied] .event-text",
        REPLY,
    )
    .await?;
    let path = driver.current_url().await?.path().to_owned();
    assert!(
        path.starts_with("/public/nanchang/receipt/"),
        "the public page stays put without a login, got {path}"
    );
    for secret in ["13907912468", "139****2468", "2468", "0791", "王阿姨"] {
        assert_no_text(driver, secret).await?;
    }

    // A reload renders it on the server and hydrates it again, still without a login.
    driver.refresh().await?;
    wait_hydrated(driver).await?;
    wait_until_text(driver, "[data-testid=receipt-status]", "已关闭").await?;
    Ok(())
}

/// No login: walk down from 测试市 to 东一社区 one select per tier, describe the matter,
/// submit, and follow the receipt code to the progress page, which names the street that
/// handles it and shows no personal data.
async fn public_form_scenario(
    driver: &WebDriver,
    server: &common::TestServer,
    city: &common::City,
) -> Result<()> {
    let base = &server.base_url;
    driver
        .goto(format!("{base}/public/{}/report", city.t.slug))
        .await?;
    wait_hydrated(driver).await?;
    for (depth, name) in ["测试市", "甲区", "东街道", "东一社区"]
        .into_iter()
        .enumerate()
    {
        let option = wait_for(
            driver,
            &format!("[data-testid=unit-level-{depth}] option:not([value=''])"),
        )
        .await?;
        drop(option);
        let select = driver
            .find(By::Css(format!("[data-testid=unit-level-{depth}]")))
            .await?;
        thirtyfour::components::SelectElement::new(&select)
            .await?
            .select_by_exact_text(name)
            .await?;
    }
    // The community has no level below it: no fifth select appears.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    if driver
        .find(By::Css("[data-testid=unit-level-4]"))
        .await
        .is_ok()
    {
        return Err("a level below the community was offered".into());
    }
    wait_for(
        driver,
        "[data-testid=public-category] option[value=sanitation]",
    )
    .await?;
    let category = driver
        .find(By::Css("[data-testid=public-category]"))
        .await?;
    thirtyfour::components::SelectElement::new(&category)
        .await?
        .select_by_value("sanitation")
        .await?;
    let form = driver.find(By::Css("[data-testid=public-form]")).await?;
    for (name, value) in [
        ("title", "垃圾桶满溢无人清运"),
        ("resident_name", "李先生"),
        ("phone", "13987654321"),
    ] {
        form.find(By::Css(format!("input[name={name}]")))
            .await?
            .send_keys(value)
            .await?;
    }
    form.find(By::Css("textarea[name=description]"))
        .await?
        .send_keys("小区东门垃圾桶三天没有清运")
        .await?;
    // A double tap sends it once (the form is busy until the answer, and carries one key).
    let submit = driver.find(By::Css("[data-testid=public-submit]")).await?;
    driver
        .action_chain()
        .double_click_element(&submit)
        .perform()
        .await?;
    let code = wait_for(
        driver,
        "[data-testid=public-form-done] [data-testid=receipt-code]",
    )
    .await?
    .text()
    .await?;
    let code = code.trim().to_owned();
    if code.len() != 14 {
        return Err(format!("the receipt code reads {code:?}").into());
    }
    click(driver, "[data-testid=follow-receipt]").await?;
    wait_until_text(
        driver,
        "[data-testid=receipt-page] [data-testid=receipt-code]",
        &code,
    )
    .await?;
    wait_until_text(driver, "[data-testid=receipt-status]", "已受理登记").await?;
    wait_until_text(driver, "[data-testid=receipt-handler]", "东街道").await?;
    for secret in ["13987654321", "139****4321", "李先生"] {
        assert_no_text(driver, secret).await?;
    }
    let (_, online) = city.t.admin.get("/api/v1/demands?channel=online").await;
    let recorded = online["items"].as_array().map_or(0, Vec::len);
    if recorded != 1 {
        return Err(format!("{recorded} online demands recorded, not 1: {online}").into());
    }
    Ok(())
}

/// Opens the action's form, types its text if any, and confirms.
async fn act(driver: &WebDriver, action: &str, text: Option<&str>) -> Result<()> {
    wait_for(driver, &format!("[data-testid=action-{action}]"))
        .await?
        .click()
        .await?;
    let form = wait_for(
        driver,
        &format!("[data-testid=action-form][data-action={action}]"),
    )
    .await?;
    if let Some(text) = text {
        form.find(By::Css("textarea"))
            .await?
            .send_keys(text)
            .await?;
    }
    form.find(By::Css("[data-testid=action-submit]"))
        .await?
        .click()
        .await?;
    Ok(())
}

/// Waits until `css` matches exactly `count` elements; returns their `data-kind`s.
async fn wait_for_count(driver: &WebDriver, css: &str, count: usize) -> Result<Vec<String>> {
    let script = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.dataset.kind || '');";
    let deadline = Instant::now() + WAIT;
    loop {
        let found = driver.execute(script, vec![serde_json::json!(css)]).await?;
        let kinds: Vec<String> = found
            .json()
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if kinds.len() == count {
            return Ok(kinds);
        }
        if Instant::now() > deadline {
            return Err(format!("`{css}` matched {kinds:?}, expected {count}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The visible text does not hold `secret`, nor (for a long one, which cannot turn up by
/// chance in ids or hydration markers) the markup.
async fn assert_no_text(driver: &WebDriver, secret: &str) -> Result<()> {
    let text = driver
        .execute("return document.body.innerText;", Vec::new())
        .await?;
    let text = text.json().as_str().unwrap_or_default().to_owned();
    let in_source = secret.chars().count() >= 6 && driver.source().await?.contains(secret);
    if text.contains(secret) || in_source {
        return Err(format!("`{secret}` is on the page").into());
    }
    Ok(())
}

/// Log in as `admin`, open a node of the tree, search 洪城路, open 洪城路社区居委会 and read its
/// ancestors; then switch to English in place, and see the server render English after a reload.
async fn hierarchy_browser_scenario(driver: &WebDriver, base: &str, password: &str) -> Result<()> {
    log_in(driver, base, password).await?;
    assert_path(driver, "/units").await?;
    // Gone after any full page load: proves the steps below happen in place.
    driver
        .execute("window.__minqingNoReload = true;", Vec::new())
        .await?;

    // The single root opens by itself; opening a district is a click on its toggle.
    let district = wait_for(driver, "[data-testid=tree-node][data-name='青云谱区']").await?;
    district
        .find(By::Css(":scope > .tree-row > [data-testid=tree-toggle]"))
        .await?
        .click()
        .await?;
    wait_for(driver, "[data-testid=tree-node][data-name='青云谱区'] [data-testid=tree-node][data-name='徐家坊街道']").await?;
    assert_eq!(
        district.attr("aria-expanded").await?.as_deref(),
        Some("true")
    );

    let search = driver.find(By::Id("unit-search")).await?;
    search.send_keys("洪城路").await?;
    let result = wait_for(
        driver,
        "[data-testid=search-result][data-name='洪城路社区居委会'] a",
    )
    .await?;
    result.click().await?;

    let breadcrumb = wait_until_text(
        driver,
        "[data-testid=breadcrumb]",
        "南昌市 › 青云谱区 › 徐家坊街道",
    )
    .await?;
    assert_eq!(breadcrumb, "南昌市 › 青云谱区 › 徐家坊街道");
    let name = wait_until_text(driver, "[data-testid=unit-name]", "洪城路社区居委会").await?;
    assert_eq!(name, "洪城路社区居委会");
    let path = driver.current_url().await?.path().to_owned();
    assert!(
        path.starts_with("/units/"),
        "the unit's page has its own address, got {path}"
    );

    // The council: the administrator adds its chair through the (hydrated) form, and the
    // table shows them at once, phone masked.
    wait_for(driver, "[data-testid=no-members]").await?;
    click(driver, "[data-testid=council] details > summary").await?;
    let form = wait_for(driver, "[data-testid=new-member]").await?;
    form.find(By::Css("input[name=name]"))
        .await?
        .send_keys("王建华")
        .await?;
    form.find(By::Css("select[name=role] option[value=chair]"))
        .await?
        .click()
        .await?;
    // A date input's typing order depends on the browser's locale: set it as a person's
    // picking would, with the input event the form listens to.
    driver
        .execute(
            "const e = document.querySelector('[data-testid=new-member] input[name=term_start]');\
             e.value = '2024-01-01'; e.dispatchEvent(new Event('input', {bubbles: true}));",
            Vec::new(),
        )
        .await?;
    form.find(By::Css("input[name=phone]"))
        .await?
        .send_keys("13907912345")
        .await?;
    form.find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_until_text(
        driver,
        "[data-testid=council-members] tbody tr:first-child td:first-child",
        "王建华",
    )
    .await?;
    wait_until_text(
        driver,
        "[data-testid=council-members] tbody tr:first-child td:nth-child(2)",
        "理事长",
    )
    .await?;
    wait_until_text(
        driver,
        "[data-testid=council-members] tbody tr:first-child td:last-child",
        "139****2345",
    )
    .await?;
    // The subtree's members, downloaded from the page as CSV: the chair, the phone masked.
    let export = driver
        .find(By::Css("[data-testid=members-export] a[data-format=csv]"))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    let (status, file) = admin_download(driver, &export).await?;
    let csv = String::from_utf8_lossy(&file);
    if status != 200 || !csv.contains("王建华") || !csv.contains("139****2345") {
        return Err(format!("the members export answered {status}: {csv}").into());
    }

    // The budget: the administrator allocates money for the year and records what the
    // home-care centre cost; the balance and the roll-up follow at once.
    wait_for(driver, "[data-testid=budget] [data-testid=no-lines]").await?;
    click(
        driver,
        "[data-testid=budget] details:has([data-testid=new-line]) > summary",
    )
    .await?;
    let form = wait_for(driver, "[data-testid=new-line]").await?;
    fill_and_submit(
        &form,
        &[("item", "居家养老服务中心建设"), ("amount", "2,200,000")],
    )
    .await?;
    wait_until_text(driver, "[data-testid=allocated]", "¥2,200,000.00").await?;
    click(
        driver,
        "[data-testid=budget] details:has([data-testid=new-spending]) > summary",
    )
    .await?;
    let form = wait_for(driver, "[data-testid=new-spending]").await?;
    // Spent today: the budget shown is this year's.
    let today = chrono::Utc::now().date_naive();
    driver
        .execute(
            &format!(
                "const e = document.querySelector('[data-testid=new-spending] input[name=spent_on]');\
                 e.value = '{today}'; e.dispatchEvent(new Event('input', {{bubbles: true}}));"
            ),
            Vec::new(),
        )
        .await?;
    fill_and_submit(
        &form,
        &[
            ("payee", "南昌某建设公司"),
            ("purpose", "居家养老服务中心改造"),
            ("amount", "２,０００,０００"),
            ("project", "洪城路社区居家养老服务中心"),
        ],
    )
    .await?;
    wait_until_text(driver, "[data-testid=remaining]", "¥200,000.00").await?;
    wait_until_text(
        driver,
        "[data-testid=spending] tbody tr:first-child td:nth-child(6)",
        "¥2,000,000.00",
    )
    .await?;
    wait_until_text(
        driver,
        "[data-testid=roll-up-total] th:nth-child(3)",
        "¥2,000,000.00",
    )
    .await?;
    // Its voucher, a scanned PDF, uploaded against the expenditure and listed with it.
    let voucher = tempfile::Builder::new()
        .prefix("发票-")
        .suffix(".pdf")
        .tempfile()?;
    std::fs::write(
        voucher.path(),
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    )?;
    click(
        driver,
        "[data-testid=spending] [data-testid=vouchers] details > summary",
    )
    .await?;
    let upload = wait_for(driver, "[data-testid=voucher-upload]").await?;
    upload
        .find(By::Css("input[type=file]"))
        .await?
        .send_keys(voucher.path().to_string_lossy())
        .await?;
    upload
        .find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_for(driver, "[data-testid=spending] [data-voucher]").await?;
    // A part of it reversed with a reason: a correction row, nothing edited.
    click(
        driver,
        "[data-testid=spending] [data-testid=correct] > summary",
    )
    .await?;
    let reverse = wait_for(driver, "[data-testid=spending] [data-testid=correct] form").await?;
    fill_and_submit(
        &reverse,
        &[("amount", "50,000"), ("reason", "结算审核核减")],
    )
    .await?;
    wait_until_text(driver, "[data-testid=remaining]", "¥250,000.00").await?;
    wait_for_count(driver, "[data-testid=spending] tbody tr", 2).await?;
    let export = driver
        .find(By::Css("[data-testid=spending-export] a[data-format=xlsx]"))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    let (status, file) = admin_download(driver, &export).await?;
    if status != 200 || !file.starts_with(b"PK") {
        return Err(format!(
            "the spending export answered {status} ({} bytes)",
            file.len()
        )
        .into());
    }

    // Language: in place, without a reload…
    wait_until_text(driver, "[data-testid=nav-units]", "单位层级").await?;
    driver
        .find(By::Css("[data-testid=lang-en]"))
        .await?
        .click()
        .await?;
    wait_until_text(driver, "[data-testid=nav-units]", "Units").await?;
    wait_until_text(driver, "[data-testid=unit-detail] .council h3", "Council").await?;
    wait_until_text(
        driver,
        "[data-testid=council-members] tbody tr:first-child td:nth-child(2)",
        "Chair",
    )
    .await?;
    let cookie = driver.get_named_cookie("minqing_lang").await?;
    assert_eq!(cookie.value, "en");
    assert_no_reload(driver).await?;

    // …and the server renders the next page in it (from the cookie), which hydrates cleanly.
    driver.refresh().await?;
    wait_hydrated(driver).await?;
    let lang = driver
        .execute("return document.documentElement.lang;", Vec::new())
        .await?;
    assert_eq!(lang.json().as_str(), Some("en"));
    wait_until_text(driver, "[data-testid=nav-units]", "Units").await?;
    wait_until_text(
        driver,
        "[data-testid=breadcrumb]",
        "南昌市 › 青云谱区 › 徐家坊街道",
    )
    .await?;
    // The coverage counts the chair added above: a sitting council, no workroom yet.
    wait_until_text(
        driver,
        "[data-testid=coverage-tiers] tbody tr:first-child td:nth-child(3)",
        "1 (100%)",
    )
    .await?;
    wait_until_text(driver, "[data-testid=uncovered] li .hint", "no workroom").await?;
    Ok(())
}

/// Logs in to the demo tenant as `admin` and lands on the hierarchy (changing a generated
/// password first if the server asks for it).
/// Opens the `<details>` around the element with `data-testid` = `testid`, as a click on its
/// summary would.
async fn open_details(driver: &WebDriver, testid: &str) -> Result<()> {
    driver
        .execute(
            "document.querySelector(`[data-testid=${arguments[0]}]`).closest('details').open = true;",
            vec![serde_json::json!(testid)],
        )
        .await?;
    Ok(())
}

/// Sets a `datetime-local` (or any) input's value as a person picking it would, so the form's
/// signal hears it (typing into such inputs depends on the browser's locale).
async fn set_input(driver: &WebDriver, css: &str, value: &str) -> Result<()> {
    wait_for(driver, css).await?;
    driver
        .execute(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![serde_json::json!(css), serde_json::json!(value)],
        )
        .await?;
    Ok(())
}

/// On 东一社区's page (a tenant of the test's own, with a household register imported and one
/// household added on the page) the admin schedules a visit three days
/// ahead (hosting it), publishes its notice, and residents read it on the community's public
/// page; at the visit (the clock moved on) attendance, the households that came and minutes
/// are recorded — the community's household coverage moves — and a demand raised there is
/// recorded from the visit: it lands in the ledger linked to the visit.
async fn visit_scenario(driver: &WebDriver, server: &common::TestServer) -> Result<()> {
    let base = &server.base_url;
    assert_server_knows(server, &["/public/nanchang/units/x/visits"]).await;
    let c = common::city(server).await;
    let (slug, unit, admin) = (c.t.slug.clone(), c.community.clone(), &c.t.admin);
    log_in_as(driver, base, &slug, "admin", common::ADMIN_PASSWORD).await?;
    driver.goto(format!("{base}/units/{unit}")).await?;
    wait_hydrated(driver).await?;
    wait_for(driver, "[data-testid=no-visits]").await?;
    // Two households from the community's spreadsheet, chosen on the page; a third typed in.
    let sheet = tempfile::Builder::new().suffix(".csv").tempfile()?;
    std::fs::write(
        sheet.path(),
        "住址,户主,联系电话,标记\n东一路8号1栋101,王建国,,空巢老人\n东一路8号1栋102,李秀英,,低保\n",
    )?;
    open_details(driver, "import-households").await?;
    let import = wait_for(driver, "[data-testid=import-households]").await?;
    import
        .find(By::Css("input[type=file]"))
        .await?
        .send_keys(sheet.path().to_string_lossy())
        .await?;
    import
        .find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_until_text(
        driver,
        "[data-testid=household-import-result]",
        "新增 2 · 未变 0",
    )
    .await?;
    wait_for_count(
        driver,
        "[data-testid=household-register] [data-household]",
        2,
    )
    .await?;
    let added = wait_for(driver, "[data-testid=new-household]").await?;
    open_details(driver, "new-household").await?;
    added
        .find(By::Css("input[name=flag-elderly]"))
        .await?
        .click()
        .await?;
    fill_and_submit(
        &added,
        &[("address", "东一路8号1栋103"), ("head_name", "张三")],
    )
    .await?;
    wait_for_count(
        driver,
        "[data-testid=household-register] [data-household]",
        3,
    )
    .await?;
    wait_until_text(
        driver,
        "[data-testid=household-coverage]",
        "已参与家访的住户: 0 / 3 (0.0%)",
    )
    .await?;
    // The administrator pairs a leader with the community from the first of this month: the
    // month is owed.
    common::person(server, &c.t, "district-leader", "leader", &c.district).await;
    driver.goto(format!("{base}/units/{unit}")).await?;
    wait_hydrated(driver).await?;
    let pair = wait_for(driver, "[data-testid=pair-leader]").await?;
    open_details(driver, "pair-leader").await?;
    wait_for(
        driver,
        "[data-testid=pair-leader] select[name=leader] option:nth-of-type(2)",
    )
    .await?;
    thirtyfour::components::SelectElement::new(&pair.find(By::Css("select[name=leader]")).await?)
        .await?
        .select_by_index(1)
        .await?;
    let today = server
        .clock
        .now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let first = today - chrono::Duration::days(i64::from(chrono::Datelike::day0(&today)));
    set_input(
        driver,
        "[data-testid=pair-leader] input[name=since]",
        &first.to_string(),
    )
    .await?;
    pair.find(By::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    let row = wait_for(driver, "[data-testid=contact-points] [data-contact-point]").await?;
    let shown = row.text().await?;
    if !shown.contains("district-leader") {
        return Err(format!("the contact point reads {shown:?}").into());
    }
    wait_until_text(driver, "[data-contact-point] [data-testid=due]", "1").await?;

    // Three days ahead, 9:00–11:00 China time.
    let day = (server.clock.now() + chrono::Duration::days(3))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let form = "[data-testid=schedule-visit]";
    set_input(
        driver,
        &format!("{form} input[name=starts_at]"),
        &format!("{day}T09:00"),
    )
    .await?;
    set_input(
        driver,
        &format!("{form} input[name=ends_at]"),
        &format!("{day}T11:00"),
    )
    .await?;
    let schedule = wait_for(driver, form).await?;
    fill_and_submit(
        &schedule,
        &[
            ("place", "洪城路社区居委会二楼会议室"),
            ("topic", "加装电梯意见征集"),
        ],
    )
    .await?;
    let visit = wait_for(driver, "[data-testid=visit-list] [data-visit]").await?;
    let id = visit.attr("data-visit").await?.unwrap_or_default();
    wait_until_text(driver, "[data-visit] [data-testid=visit-status]", "已安排").await?;
    // Moved an hour later, with the reason the notice will show.
    open_details(driver, "move-visit").await?;
    set_input(
        driver,
        "[data-testid=move-visit] input[name=starts_at]",
        &format!("{day}T10:00"),
    )
    .await?;
    set_input(
        driver,
        "[data-testid=move-visit] input[name=ends_at]",
        &format!("{day}T12:00"),
    )
    .await?;
    let moving = wait_for(driver, "[data-testid=move-visit]").await?;
    fill_and_submit(&moving, &[("reason", "会议室另有安排")]).await?;
    wait_until_contains(driver, "[data-visit]", "改期原因: 会议室另有安排").await?;
    click(driver, "[data-testid=publish-notice]").await?;
    wait_until_text(driver, "[data-visit] [data-testid=visit-status]", "已公告").await?;

    // The public page: the notice, for anyone.
    click(driver, "[data-testid=public-visits-link]").await?;
    assert_path(driver, &format!("/public/{slug}/units/{unit}/visits")).await?;
    let notice = wait_for(
        driver,
        &format!("[data-testid=upcoming] [data-visit='{id}']"),
    )
    .await?;
    let text = notice.text().await?;
    // With the move and its reason, for residents who saw the first time.
    if !(text.contains("洪城路社区居委会二楼会议室")
        && text.contains("加装电梯意见征集")
        && text.contains("会议室另有安排"))
    {
        return Err(format!("the public notice reads {text:?}").into());
    }
    wait_for(driver, "[data-testid=visits-feed]").await?;

    // At the visit: attendance, minutes, and a demand raised there.
    // An hour into it (10:00 China time, as moved).
    let started = day
        .and_hms_opt(11, 0, 0)
        .expect("a time of day")
        .and_local_timezone(chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    server.clock.advance(started - server.clock.now());
    driver.goto(format!("{base}/units/{unit}")).await?;
    wait_hydrated(driver).await?;
    let record = wait_for(driver, "[data-testid=record-visit]").await?;
    open_details(driver, "record-visit").await?;
    record
        .find(By::Css("textarea[name=minutes]"))
        .await?
        .send_keys("群众反映加装电梯分摊方案，已现场答复。")
        .await?;
    // Two of the three households came.
    wait_for_count(driver, "[data-testid=households-came] input", 3).await?;
    for n in [1, 2] {
        click(
            driver,
            &format!("[data-testid=households-came] label:nth-of-type({n}) input"),
        )
        .await?;
    }
    fill_and_submit(
        &record,
        &[("residents", "32"), ("walk_ins", "5"), ("households", "2")],
    )
    .await?;
    wait_until_text(driver, "[data-visit] [data-testid=visit-status]", "已举行").await?;
    wait_for(driver, "[data-testid=visit-attendance]").await?;
    wait_for(driver, "[data-testid=visit-minutes]").await?;
    // The coverage moved.
    driver.goto(format!("{base}/units/{unit}")).await?;
    wait_hydrated(driver).await?;
    wait_until_text(
        driver,
        "[data-testid=household-coverage]",
        "已参与家访的住户: 2 / 3 (66.6%)",
    )
    .await?;

    click(driver, "[data-testid=visit-demand]").await?;
    wait_for(driver, "[data-testid=intake-from-visit]").await?;
    let picked = wait_for(driver, "[data-testid=picked-community]")
        .await?
        .text()
        .await?;
    if !picked.contains("东一社区") {
        return Err(format!("the intake form picked {picked:?}").into());
    }
    wait_for(driver, "select[name=category] option[value=housing]").await?;
    type_demand(driver, "加装电梯费用分摊").await?;
    click(driver, "[data-testid=intake-submit]").await?;
    let code = wait_for(
        driver,
        "[data-testid=intake-done] [data-testid=receipt-code]",
    )
    .await?
    .text()
    .await?;

    // In the ledger, linked to the visit, raised through the visit channel.
    let (_, linked) = admin.get(&format!("/api/v1/demands?visit={id}")).await;
    let items = linked["items"].as_array().cloned().unwrap_or_default();
    if items.len() != 1 || items[0]["title"] != "加装电梯费用分摊" || items[0]["channel"] != "visit"
    {
        return Err(format!("the visit's demands: {linked}").into());
    }
    driver.goto(format!("{base}/demands")).await?;
    wait_hydrated(driver).await?;
    let row = wait_for(
        driver,
        &format!("[data-testid=ledger-row][data-receipt='{}']", code.trim()),
    )
    .await?;
    let shown = row.text().await?;
    if !shown.contains("加装电梯费用分摊") {
        return Err(format!("the ledger row reads {shown:?}").into());
    }

    // The calendar of the whole city shows the visit on its day.
    click(driver, "[data-testid=nav-visits]").await?;
    assert_path(driver, "/visits").await?;
    let this_month = (chrono::Utc::now() + chrono::Duration::hours(8))
        .date_naive()
        .format("%Y-%m")
        .to_string();
    wait_until_text(driver, "[data-testid=month]", &this_month).await?;
    if day.format("%Y-%m").to_string() != this_month {
        click(driver, "[data-testid=month-next]").await?;
    }
    let listed = wait_for(driver, &format!("[data-day='{day}'] [data-visit='{id}']"))
        .await?
        .text()
        .await?;
    if !(listed.contains("东一社区") && listed.contains("10:00") && listed.contains("已举行"))
    {
        return Err(format!("the calendar lists {listed:?}").into());
    }
    // And each leader's pairings: the district leader hosted none of them.
    wait_until_text(
        driver,
        "[data-testid=leaders-kept] [data-leader=district-leader] [data-testid=due]",
        "1",
    )
    .await?;

    // An in-home interview of one household: scheduled on the community's page, never
    // announced.
    driver.goto(format!("{base}/units/{unit}")).await?;
    wait_hydrated(driver).await?;
    let form = "[data-testid=schedule-visit]";
    click(driver, &format!("{form} input[name=interview]")).await?;
    wait_for(
        driver,
        &format!("{form} select[name=household] option:nth-of-type(2)"),
    )
    .await?;
    thirtyfour::components::SelectElement::new(
        &driver
            .find(By::Css(format!("{form} select[name=household]")))
            .await?,
    )
    .await?
    .select_by_index(1)
    .await?;
    let next_day = day + chrono::Duration::days(1);
    set_input(
        driver,
        &format!("{form} input[name=starts_at]"),
        &format!("{next_day}T15:00"),
    )
    .await?;
    set_input(
        driver,
        &format!("{form} input[name=ends_at]"),
        &format!("{next_day}T16:00"),
    )
    .await?;
    let schedule = wait_for(driver, form).await?;
    fill_and_submit(&schedule, &[("place", "东一路8号1栋101")]).await?;
    let interview = wait_for(driver, "[data-visit]:has([data-testid=visit-interview])").await?;
    if !interview
        .find_all(By::Css("[data-testid=publish-notice]"))
        .await?
        .is_empty()
    {
        return Err("an interview offers to publish a notice".into());
    }

    // The administrator ends the pairing today: it owes nothing after.
    click(driver, "[data-testid=end-pairing] button[type=submit]").await?;
    wait_gone(driver, "[data-testid=end-pairing]").await?;
    let ended = wait_for(driver, "[data-testid=contact-points] [data-contact-point]")
        .await?
        .text()
        .await?;
    if !ended.contains(" — ") {
        return Err(format!("the ended pairing reads {ended:?}").into());
    }
    Ok(())
}

async fn log_in(driver: &WebDriver, base: &str, password: &str) -> Result<()> {
    log_in_as(driver, base, "nanchang", "admin", password).await
}

/// Logs in to `tenant` as `username` and lands on the hierarchy (changing a generated password
/// first if the server asks for it).
async fn log_in_as(
    driver: &WebDriver,
    base: &str,
    tenant_slug: &str,
    username: &str,
    password: &str,
) -> Result<()> {
    driver.goto(format!("{base}/login")).await?;
    wait_hydrated(driver).await?;

    let form = driver.find(By::Id("login-form")).await?;
    let tenant = form.find(By::Css("input[name=tenant]")).await?;
    tenant.clear().await?;
    tenant.send_keys(tenant_slug).await?;
    form.find(By::Css("input[name=username]"))
        .await?
        .send_keys(username)
        .await?;
    form.find(By::Css("input[name=password]"))
        .await?
        .send_keys(password)
        .await?;
    form.find(By::Css("[data-testid=login-submit]"))
        .await?
        .click()
        .await?;

    // A generated password must be changed first; a given one may be used as it is.
    let landed = driver
        .query(By::Css("[data-testid=unit-tree]"))
        .or(By::Css("[data-testid=change-password]"))
        .wait(WAIT, Duration::from_millis(100))
        .first()
        .await?;
    if landed.attr("data-testid").await?.as_deref() == Some("change-password") {
        let new_password = "Browser-Test-Pass-2026!";
        landed
            .find(By::Css("input[name=current_password]"))
            .await?
            .send_keys(password)
            .await?;
        landed
            .find(By::Css("input[name=new_password]"))
            .await?
            .send_keys(new_password)
            .await?;
        landed
            .find(By::Css("input[name=repeat_password]"))
            .await?
            .send_keys(new_password)
            .await?;
        landed
            .find(By::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        wait_for(driver, "[data-testid=unit-tree]").await?;
    }
    Ok(())
}

/// The server linked into this test renders these portal pages (not the 404 page).
///
/// Like the xtask (see [`common::browser::private_site`]), the server and its portal may have been built by
/// another checkout sharing the target directory: cargo then finds them fresh and links them,
/// and the browser meets a portal without this checkout's pages.
async fn assert_server_knows(server: &common::TestServer, paths: &[&str]) {
    for path in paths {
        let status = server
            .client()
            .get(server.url(path))
            .send()
            .await
            .expect("the server answers")
            .status();
        assert_eq!(
            status,
            reqwest::StatusCode::OK,
            "the portal linked into this test does not know {path}: it was built from another \
             checkout sharing the target directory; `touch frontend/app/src/lib.rs` and run again"
        );
    }
}

/// Hydration done: the app marks `<body data-hydrated>` from an effect, which only runs in the
/// browser once the wasm has taken over.
async fn wait_hydrated(driver: &WebDriver) -> Result<()> {
    wait_for(driver, "body[data-hydrated=true]")
        .await
        .map_err(|e| {
            format!("the page never hydrated (is /pkg/minqing.wasm served and loading?): {e}")
        })?;
    Ok(())
}

async fn wait_for(driver: &WebDriver, css: &str) -> Result<WebElement> {
    let found = driver
        .query(By::Css(css))
        .wait(WAIT, Duration::from_millis(100))
        .first()
        .await
        .map_err(|e| format!("waiting for `{css}`: {e}"))?;
    Ok(found)
}

/// Waits until the element's visible text (`innerText`, trimmed) is `expected`; returns it.
async fn wait_until_text(driver: &WebDriver, css: &str, expected: &str) -> Result<String> {
    let script =
        "const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : null;";
    let deadline = Instant::now() + WAIT;
    loop {
        let text = driver.execute(script, vec![serde_json::json!(css)]).await?;
        let text = text.json().as_str().map(str::to_owned);
        if text.as_deref() == Some(expected) {
            return Ok(expected.to_owned());
        }
        if Instant::now() > deadline {
            return Err(format!("`{css}` shows {text:?}, expected {expected:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn assert_path(driver: &WebDriver, expected: &str) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        let path = driver.current_url().await?.path().to_owned();
        if path == expected {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("at {path}, expected {expected}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn assert_no_reload(driver: &WebDriver) -> Result<()> {
    let marker = driver
        .execute("return window.__minqingNoReload === true;", Vec::new())
        .await?;
    if marker.json().as_bool() != Some(true) {
        return Err("the page was reloaded; these steps must happen in place".into());
    }
    Ok(())
}

async fn dump_page(driver: &WebDriver) {
    if let Ok(url) = driver.current_url().await {
        eprintln!("--- browser at {url}");
    }
    if let Ok(source) = driver.source().await {
        let end = source
            .char_indices()
            .nth(4000)
            .map_or(source.len(), |(i, _)| i);
        eprintln!("--- page source (start):\n{}", &source[..end]);
    }
}

/// Chromium (`None` where it is missing, said loudly) and a server with the portal as this
/// checkout builds it (its site kept while the directory lives), with the demo tenant if `demo`.
async fn with_portal(demo: bool) -> Option<(Browser, tempfile::TempDir, common::TestServer)> {
    let browser = Browser::start()?;
    let site = private_site(false).await;
    let server = common::TestServer::start_with(common::Options {
        demo,
        site_root: Some(site.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    Some((browser, site, server))
}

/// Runs `scenario` in a fresh Chromium; on failure, prints the page it failed on and panics.
async fn in_browser<F: std::future::Future<Output = Result<()>>>(
    browser: &Browser,
    scenario: impl FnOnce(WebDriver) -> F,
) {
    let driver = browser
        .driver()
        .await
        .expect("starting Chromium through chromedriver");
    let outcome = scenario(driver.clone()).await;
    if outcome.is_err() {
        dump_page(&driver).await;
    }
    let _ = driver.quit().await;
    if let Err(e) = outcome {
        panic!("browser scenario failed: {e}");
    }
}

/// How the link between the browser and the server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Up = 0,
    /// Requests reach the server; its answers are dropped with the connection (a phone that
    /// lost its signal while the server was answering).
    LosesAnswers = 1,
    /// Nothing gets through.
    Down = 2,
}

/// A TCP relay in front of the server whose link the test sets (`Link`), for every
/// connection at once, kept-alive ones included.
struct FlakyLink {
    base_url: String,
    state: std::sync::Arc<std::sync::atomic::AtomicU8>,
}

impl FlakyLink {
    async fn start(server_base: &str) -> Self {
        use std::sync::atomic::{AtomicU8, Ordering};
        let upstream = server_base
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the relay");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state = std::sync::Arc::new(AtomicU8::new(Link::Up as u8));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if shared.load(Ordering::SeqCst) == Link::Down as u8 {
                    continue;
                }
                let (state, upstream) = (shared.clone(), upstream.clone());
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    relay(client, server, state).await;
                });
            }
        });
        Self { base_url, state }
    }

    fn set(&self, link: Link) {
        self.state
            .store(link as u8, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Copies both ways while the link allows: a request is dropped when it is down, an answer
/// when it is anything but up, and either closes the connection.
async fn relay(
    client: tokio::net::TcpStream,
    server: tokio::net::TcpStream,
    state: std::sync::Arc<std::sync::atomic::AtomicU8>,
) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let link = || state.load(Ordering::SeqCst);
    let requests = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match from_client.read(&mut buf).await {
                Ok(n) if n > 0 && link() != Link::Down as u8 => {
                    if to_server.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
                _ => return,
            }
        }
    };
    let answers = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match from_server.read(&mut buf).await {
                Ok(n) if n > 0 && link() == Link::Up as u8 => {
                    if to_client.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
                _ => return,
            }
        }
    };
    tokio::select! {
        () = requests => {}
        () = answers => {}
    }
}

/// A recorder at a visit with a failing signal: minutes typed and saved with the network
/// down, one demand whose answer is lost on the way back (the server recorded it), one sent
/// with the network down. Each waits in the browser's outbox and, once the network is back,
/// arrives — exactly once.
async fn offline_scenario(
    driver: &WebDriver,
    server: &common::TestServer,
    link: &FlakyLink,
) -> Result<()> {
    let base = &link.base_url;
    let c = common::city(server).await;
    let (slug, unit, admin) = (c.t.slug.clone(), c.community.clone(), &c.t.admin);
    let (_, me) = admin.get("/api/v1/auth/me").await;
    let starts = server.clock.now() + chrono::Duration::hours(1);
    let (status, visit) = admin
        .post(
            "/api/v1/visits",
            &serde_json::json!({
                "unit_id": unit,
                "hosts": [me["account"]["id"]],
                "starts_at": starts.to_rfc3339(),
                "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
                "place": "东一社区居委会二楼会议室",
                "topic": "老旧小区加装电梯意见征集",
            }),
        )
        .await;
    if status != reqwest::StatusCode::CREATED {
        return Err(format!("scheduling the visit: {status} {visit}").into());
    }
    let visit = visit["id"].as_str().unwrap_or_default().to_owned();
    server.clock.advance(chrono::Duration::hours(2));

    log_in_as(driver, base, &slug, "admin", common::ADMIN_PASSWORD).await?;
    driver.goto(format!("{base}/units/{unit}")).await?;
    wait_hydrated(driver).await?;
    let record = wait_for(driver, "[data-testid=record-visit]").await?;
    open_details(driver, "record-visit").await?;
    let minutes = "群众反映加装电梯分摊方案，已现场答复。";
    record
        .find(By::Css("textarea[name=minutes]"))
        .await?
        .send_keys(minutes)
        .await?;
    // The signal goes as the recorder saves.
    link.set(Link::Down);
    fill_and_submit(&record, &[("residents", "18")]).await?;
    wait_for(driver, "[data-testid=record-kept]").await?;
    wait_until_text(driver, "[data-testid=outbox-waiting] strong", "2").await?;

    // Back for a moment: the page that loads sends what waited.
    link.set(Link::Up);
    driver
        .goto(format!(
            "{base}/demands/new?visit={visit}&origin={unit}&origin_name={}",
            urlencode("东一社区")
        ))
        .await?;
    wait_hydrated(driver).await?;
    wait_for(driver, "[data-testid=intake-from-visit]").await?;
    wait_gone(driver, "[data-testid=outbox-waiting]").await?;
    wait_for(driver, "select[name=category] option[value=housing]").await?;

    // The first demand reaches the server, whose answer is lost; the second finds no network.
    let titles = ["加装电梯费用分摊", "楼道灯不亮"];
    for (title, cut) in titles.iter().zip([Link::LosesAnswers, Link::Down]) {
        link.set(cut);
        type_demand(driver, title).await?;
        click(driver, "[data-testid=intake-submit]").await?;
        wait_for(driver, "[data-testid=intake-kept]").await?;
    }
    wait_until_text(driver, "[data-testid=outbox-waiting] strong", "2").await?;
    // Kept in the browser's storage, not only on the page.
    let kept = driver
        .execute(
            "const k = Object.keys(localStorage).find(k => k.startsWith('minqing.outbox.'));
             return k ? JSON.parse(localStorage.getItem(k)).items.map(p => p.label) : [];",
            Vec::new(),
        )
        .await?
        .json()
        .clone();
    if kept != serde_json::json!(titles) {
        return Err(format!("the browser keeps {kept}").into());
    }
    let (_, during) = admin.get(&format!("/api/v1/demands?visit={visit}")).await;
    if during["items"].as_array().map(Vec::len) != Some(1) {
        return Err(format!("while cut off, the server holds {during}").into());
    }

    link.set(Link::Up);
    wait_gone(driver, "[data-testid=outbox-waiting]").await?;
    let delivered = wait_for(driver, "[data-testid=outbox-delivered]").await?;
    for title in titles {
        wait_until_contains(driver, "[data-testid=outbox-delivered]", title).await?;
    }
    if delivered.find_all(By::Css(".receipt-code")).await?.len() != 2 {
        return Err("the delivered list should give two receipt codes".into());
    }

    // On the server: each demand once, the visit's record whole, the chain unbroken.
    let (_, linked) = admin.get(&format!("/api/v1/demands?visit={visit}")).await;
    let mut got: Vec<String> = linked["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|d| d["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    got.sort();
    let mut want: Vec<String> = titles.iter().map(|t| (*t).to_owned()).collect();
    want.sort();
    if got != want {
        return Err(format!("the visit's demands are {got:?}").into());
    }
    let (_, held) = admin.get(&format!("/api/v1/visits/{visit}")).await;
    if held["minutes"] != minutes || held["attendance"]["residents"] != 18 {
        return Err(format!("the visit as recorded: {held}").into());
    }
    let (_, verdict) = admin.get("/api/v1/ledger/verify").await;
    if verdict["intact"] != true || verdict["checked"] != 2 {
        return Err(format!("the ledger: {verdict}").into());
    }
    Ok(())
}

/// Fills the intake form (community and channel already chosen) with a worrying housing demand.
async fn type_demand(driver: &WebDriver, title: &str) -> Result<()> {
    click(driver, "[data-testid=grade-worrying]").await?;
    let category = driver.find(By::Css("select[name=category]")).await?;
    thirtyfour::components::SelectElement::new(&category)
        .await?
        .select_by_value("housing")
        .await?;
    driver
        .find(By::Css("[data-testid=intake-form] input[name=title]"))
        .await?
        .send_keys(title)
        .await?;
    driver
        .find(By::Css(
            "[data-testid=intake-form] textarea[name=description]",
        ))
        .await?
        .send_keys(format!("{title}，请社区协调"))
        .await?;
    Ok(())
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Waits until the first element matching `css` shows `part` among its text.
async fn wait_until_contains(driver: &WebDriver, css: &str, part: &str) -> Result<()> {
    let started = Instant::now();
    loop {
        let text = match driver.find(By::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(part) {
            return Ok(());
        }
        if started.elapsed() > WAIT {
            return Err(format!("`{css}` shows {text:?}, without {part:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until nothing matches `css`.
async fn wait_gone(driver: &WebDriver, css: &str) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < WAIT {
        if driver.find_all(By::Css(css)).await?.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{css} still shown after {WAIT:?}").into())
}

/// Fetches `path` in the page (with the session's cookie, as a click on the link would):
/// the status and the body's bytes.
async fn admin_download(driver: &WebDriver, path: &str) -> Result<(u16, Vec<u8>)> {
    let answer = driver
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'})
               .then(async r => done([r.status, Array.from(new Uint8Array(await r.arrayBuffer()))]))
               .catch(e => done([0, []]));",
            vec![serde_json::json!(path)],
        )
        .await?
        .json()
        .clone();
    let status = answer[0].as_u64().unwrap_or_default() as u16;
    let bytes = answer[1]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|b| b.as_u64().unwrap_or_default() as u8)
                .collect()
        })
        .unwrap_or_default();
    Ok((status, bytes))
}

/// Every cell of an XLSX file's sheets, as text (nothing for a file that is not one).
fn xlsx_cells(bytes: &[u8]) -> Vec<String> {
    use calamine::Reader;
    let Ok(mut book) = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(
        std::io::Cursor::new(bytes.to_vec()),
    ) else {
        return Vec::new();
    };
    let mut cells = Vec::new();
    for name in book.sheet_names() {
        if let Ok(range) = book.worksheet_range(&name) {
            cells.extend(range.cells().map(|(_, _, cell)| cell.to_string()));
        }
    }
    cells
}
