//! How long the login page takes on a phone link: Chromium's network emulation at 10 Mbit/s
//! (down and up) and 100 ms latency, with an empty cache, against the site `cargo run` serves
//! now (the release wasm, brotli/gzip) and — the baseline, measured in the same run — the debug
//! site as `cargo run` served it before (tens of MB, uncompressed).
//!
//! ```text
//! cargo bench --profile dev -p minqing_tests --bench phone_login
//! ```
//!
//! Prints, for each: when the login form could be used (the page's HTML parsed: the form works
//! before hydration), when the page hydrated, and the wasm's bytes on the wire; then the ratio
//! of the new figures to the baseline and to the 5-second goal. A measurement, not a test.
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Duration;

use common::browser::{Browser, private_site};
use serde_json::{Value, json};
use thirtyfour::extensions::cdp::ChromeDevTools;
use thirtyfour::prelude::*;

/// 10 Mbit/s in bytes per second.
const LINK: u64 = 10_000_000 / 8;
const LATENCY_MS: u64 = 100;
const GOAL_SECONDS: f64 = 5.0;

struct Figures {
    usable: f64,
    hydrated: f64,
    wasm_wire: u64,
    wasm_size: u64,
}

#[tokio::main]
async fn main() {
    let Some(browser) = Browser::start() else {
        eprintln!("phone_login: Chromium is missing; nothing measured");
        return;
    };
    let before = measure(&browser, false).await;
    report("before: debug wasm, uncompressed", &before);
    let now = measure(&browser, true).await;
    report("now:    release wasm, compressed ", &now);
    println!(
        "ratio now/before: usable {:.3}, hydrated {:.3}, wasm on the wire {:.3}",
        now.usable / before.usable,
        now.hydrated / before.hydrated,
        now.wasm_wire as f64 / before.wasm_wire as f64
    );
    println!(
        "goal {GOAL_SECONDS} s: usable at {:.2}× the goal, hydrated at {:.2}× the goal",
        now.usable / GOAL_SECONDS,
        now.hydrated / GOAL_SECONDS
    );
}

fn report(label: &str, f: &Figures) {
    println!(
        "{label}: login form usable after {:.2} s, hydrated after {:.2} s; wasm {:.2} MB on the \
         wire ({:.2} MB decoded)",
        f.usable,
        f.hydrated,
        f.wasm_wire as f64 / 1e6,
        f.wasm_size as f64 / 1e6
    );
}

async fn measure(browser: &Browser, release: bool) -> Figures {
    let site = private_site(release).await;
    if !release {
        // The server used to send the debug wasm as it is: no compressed copies.
        strip_compressed(site.path());
    }
    let server = common::TestServer::start_with(common::Options {
        demo: true,
        site_root: Some(site.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    let driver = browser.driver().await.expect("Chromium starts");
    let cdp = ChromeDevTools::new(driver.handle.clone());
    cdp.execute_cdp("Network.enable").await.expect("CDP");
    cdp.execute_cdp_with_params("Network.setCacheDisabled", json!({"cacheDisabled": true}))
        .await
        .expect("CDP");
    cdp.execute_cdp_with_params(
        "Network.emulateNetworkConditions",
        json!({
            "offline": false,
            "latency": LATENCY_MS,
            "downloadThroughput": LINK,
            "uploadThroughput": LINK,
        }),
    )
    .await
    .expect("CDP");
    driver
        .goto(format!("{}/login", server.base_url))
        .await
        .expect("the login page loads");
    driver
        .query(By::Css("body[data-hydrated=true]"))
        .wait(Duration::from_secs(300), Duration::from_millis(20))
        .first()
        .await
        .expect("the page hydrates");
    let timings = driver
        .execute(
            "const nav = performance.getEntriesByType('navigation')[0];
             const wasm = performance.getEntriesByType('resource')
               .filter(r => r.name.includes('.wasm'))[0] || {};
             return {usable: nav.domInteractive, hydrated: performance.now(),
                     wire: wasm.transferSize || 0, size: wasm.decodedBodySize || 0};",
            Vec::new(),
        )
        .await
        .expect("timings")
        .json()
        .clone();
    let _ = driver.quit().await;
    let number = |v: &Value| v.as_f64().unwrap_or_default();
    Figures {
        usable: number(&timings["usable"]) / 1000.0,
        hydrated: number(&timings["hydrated"]) / 1000.0,
        wasm_wire: number(&timings["wire"]) as u64,
        wasm_size: number(&timings["size"]) as u64,
    }
}

fn strip_compressed(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).expect("the site").flatten() {
        let path = entry.path();
        if path.is_dir() {
            strip_compressed(&path);
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("gz" | "br")) {
            let _ = std::fs::remove_file(path);
        }
    }
}
