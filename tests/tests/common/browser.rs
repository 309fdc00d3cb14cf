//! Chromium through chromedriver for the portal's browser tests and the phone-link
//! measurement, and the site as this checkout builds it.
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::prelude::*;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, and what Chromium needs to start; killed on drop.
pub struct Browser {
    chromedriver: Child,
    port: u16,
    profile: PathBuf,
}

impl Browser {
    /// None (after saying so on stderr) where Chromium is not installed and not required.
    pub fn start() -> Option<Browser> {
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

    pub async fn driver(&self) -> WebDriverResult<WebDriver> {
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

/// The site as this checkout builds it, copied to a directory of the test's own.
///
/// The target directory may be shared with other checkouts (a CI clone, another worktree):
/// cargo then reuses whichever checkout's build is newer, and the site root is rewritten by
/// every build. So the xtask linked in must be this checkout's (else it builds another tree's
/// portal), and a copy whose CSS is not this checkout's was caught mid-way by another build and
/// is built again.
pub async fn private_site(release: bool) -> tempfile::TempDir {
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
        let site = tokio::task::spawn_blocking(move || xtask::build_site(release))
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

pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
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
