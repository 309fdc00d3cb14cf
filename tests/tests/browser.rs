//! The portal in a real browser: headless Chromium, driven over WebDriver (chromedriver),
//! against the real server with the demo tenant. Every step after the first page load works only
//! once the wasm has hydrated the page, so a broken hydration fails this test.
//!
//! Without `/usr/bin/chromium` or `/usr/bin/chromedriver` the test says so loudly and passes,
//! unless `MINQING_REQUIRE_BROWSER=1` (as `.ci/run` sets), where it fails.
mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::prelude::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WAIT: Duration = Duration::from_secs(30);

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_finds_a_community_in_the_hydrated_hierarchy_browser() {
    let Some(browser) = Browser::start() else {
        return;
    };

    let site = private_site().await;
    let server = common::TestServer::start_with(common::Options {
        demo: true,
        site_root: Some(site.path().to_path_buf()),
        ..Default::default()
    })
    .await;

    let driver = browser
        .driver()
        .await
        .expect("starting Chromium through chromedriver");
    let outcome =
        hierarchy_browser_scenario(&driver, &server.base_url, &server.admin_password).await;
    if outcome.is_err() {
        dump_page(&driver).await;
    }
    let _ = driver.quit().await;
    if let Err(e) = outcome {
        panic!("browser scenario failed: {e}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_demand_is_recorded_worked_to_a_close_and_followed_by_its_receipt_code() {
    let Some(browser) = Browser::start() else {
        return;
    };

    let site = private_site().await;
    let server = common::TestServer::start_with(common::Options {
        demo: true,
        site_root: Some(site.path().to_path_buf()),
        ..Default::default()
    })
    .await;

    let driver = browser
        .driver()
        .await
        .expect("starting Chromium through chromedriver");
    let outcome = demand_scenario(&driver, &server.base_url, &server.admin_password).await;
    if outcome.is_err() {
        dump_page(&driver).await;
    }
    let _ = driver.quit().await;
    if let Err(e) = outcome {
        panic!("browser scenario failed: {e}");
    }
}

/// The resident's phone as typed at intake; no digit of it may reach the public page.
const PHONE: &str = "139 0791 2468";
const REPLY: &str = "已联系物业，明天更换灯泡";

/// Record a demand at 洪城路社区居委会 through the intake form, read its receipt code, open it,
/// accept → reply → resolve → give feedback → rate 满意 (closed, no actions left), find it in
/// the ledger filtered by the URL; then, signed out, follow it on the public receipt page.
async fn demand_scenario(driver: &WebDriver, base: &str, password: &str) -> Result<()> {
    log_in(driver, base, password).await?;

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

    for (action, text, status) in [
        ("accept", None, "已接收"),
        ("reply", Some(REPLY), "办理中"),
        ("resolve", Some("已更换灯泡，恢复照明"), "已办结"),
        ("give_feedback", Some("已电话回访，群众认可"), "已反馈"),
    ] {
        act(driver, action, text).await?;
        wait_until_text(driver, "[data-testid=demand-status]", status).await?;
    }
    wait_for(driver, "[data-testid=action-rate]")
        .await?
        .click()
        .await?;
    wait_for(driver, "[data-testid=action-form][data-action=rate]").await?;
    wait_for(driver, "[data-testid=rate-satisfied]")
        .await?
        .click()
        .await?;
    driver
        .find(By::Css("[data-testid=action-submit]"))
        .await?
        .click()
        .await?;
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
    let kinds = wait_for_count(driver, "[data-testid=timeline] [data-testid=event]", 6).await?;
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

    // Language: in place, without a reload…
    wait_until_text(driver, "[data-testid=nav-units]", "单位层级").await?;
    driver
        .find(By::Css("[data-testid=lang-en]"))
        .await?
        .click()
        .await?;
    wait_until_text(driver, "[data-testid=nav-units]", "Units").await?;
    wait_until_text(
        driver,
        "[data-testid=unit-detail] .council h3",
        "Council — coming soon",
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
    Ok(())
}

/// Logs in to the demo tenant as `admin` and lands on the hierarchy (changing a generated
/// password first if the server asks for it).
async fn log_in(driver: &WebDriver, base: &str, password: &str) -> Result<()> {
    driver.goto(format!("{base}/login")).await?;
    wait_hydrated(driver).await?;

    let form = driver.find(By::Id("login-form")).await?;
    let tenant = form.find(By::Css("input[name=tenant]")).await?;
    tenant.clear().await?;
    tenant.send_keys("nanchang").await?;
    form.find(By::Css("input[name=username]"))
        .await?
        .send_keys("admin")
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

/// The site as this checkout builds it, copied to a directory of the test's own.
///
/// The target directory may be shared with other checkouts (a CI clone, another worktree):
/// cargo then reuses whichever checkout's build is newer, and the site root is rewritten by
/// every build. So the xtask linked in must be this checkout's (else it builds another tree's
/// portal), and a copy whose CSS is not this checkout's was caught mid-way by another build and
/// is built again.
async fn private_site() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf();
    assert_eq!(
        xtask::workspace_root(),
        root,
        "the xtask linked into this test was built from another checkout sharing the target \
         directory; `touch xtask/src/lib.rs` and run again"
    );
    let ours = std::fs::read(root.join("public/minqing.css")).expect("reading public/minqing.css");
    for _ in 0..3 {
        let site = tokio::task::spawn_blocking(|| xtask::build_site(false))
            .await
            .expect("site build thread")
            .expect("building the portal's wasm (xtask::build_site)");
        let copy = tempfile::tempdir().expect("a temporary directory");
        copy_dir(&site, copy.path()).expect("copying the built site");
        if std::fs::read(copy.path().join("minqing.css")).ok().as_ref() == Some(&ours) {
            return copy;
        }
        eprintln!("the site root was rebuilt from another checkout meanwhile; building again");
    }
    panic!("could not get a site built from this checkout");
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
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

/// chromedriver on a free port, and what Chromium needs to start; killed on drop.
struct Browser {
    chromedriver: Child,
    port: u16,
    profile: PathBuf,
}

impl Browser {
    /// None (after saying so on stderr) where Chromium is not installed and not required.
    fn start() -> Option<Browser> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        if !missing.is_empty() {
            let why = format!(
                "{} not found (apt-get install chromium chromium-driver)",
                missing.join(" and ")
            );
            if std::env::var("MINQING_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!("MINQING_REQUIRE_BROWSER=1 but {why}");
            }
            eprintln!(
                "\n!!! SKIPPING browser test: {why}\n!!! The portal's hydration was NOT tested.\n"
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let chromedriver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let profile =
            std::env::temp_dir().join(format!("minqing-chromium-{}-{nanos}", std::process::id()));
        Some(Browser {
            chromedriver,
            port,
            profile,
        })
    }

    async fn driver(&self) -> WebDriverResult<WebDriver> {
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM)?;
        for arg in [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            "--lang=zh-CN",
        ] {
            caps.add_arg(arg)?;
        }
        caps.add_arg(&format!("--user-data-dir={}", self.profile.display()))?;
        WebDriver::new(format!("http://127.0.0.1:{}", self.port), caps).await
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
