//! `cargo run` — the one command that builds everything and starts Minqing.
//!
//! ```text
//! cargo run [--release]                      build the portal's wasm (always release) and the server, then `minqing serve`
//! cargo run [--release] -- <minqing args>    the same, passing the arguments to `minqing` instead
//! cargo run -- build-site [--release]        only build the site (wasm + public/) under target/site
//! ```
//!
//! The server finds the site through `MINQING_SITE_ROOT`; every other variable of the
//! environment (`MINQING_LISTEN`, `DATABASE_URL`, …) reaches it unchanged.

use std::process::Command;

use anyhow::Result;

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo run --release` builds this xtask in release; `cargo run -- --release` says it too.
    let release = take_flag(&mut args, "--release") || !cfg!(debug_assertions);

    if args.first().map(String::as_str) == Some("build-site") {
        let site = xtask::build_site(release)?;
        println!("site built in {}", site.display());
        return Ok(());
    }

    // The portal's wasm is always the release build: small enough for a phone (the debug one is
    // tens of MB), whichever profile the server is built in.
    let site = xtask::build_site(true)?;
    let mut build = xtask::cargo();
    build
        .args(["build", "--workspace", "--bin", "minqing"])
        .arg("--target-dir")
        .arg(xtask::target_dir());
    if release {
        build.arg("--release");
    }
    xtask::run(&mut build)?;

    let profile = if release { "release" } else { "debug" };
    let server = xtask::target_dir()
        .join(profile)
        .join(format!("minqing{}", std::env::consts::EXE_SUFFIX));
    if args.is_empty() {
        args.push("serve".to_owned());
    }
    let mut serve = Command::new(server);
    serve.args(&args).env("MINQING_SITE_ROOT", &site);
    exec(serve)
}

/// Removes every occurrence of `flag` from `args`; true if there was one.
fn take_flag(args: &mut Vec<String>, flag: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != flag);
    args.len() != before
}

/// Replaces this process with the server, so Ctrl-C and exit codes reach it directly.
#[cfg(unix)]
fn exec(mut cmd: Command) -> Result<()> {
    use std::os::unix::process::CommandExt;
    Err(anyhow::anyhow!("starting {cmd:?}: {}", cmd.exec()))
}

#[cfg(not(unix))]
fn exec(mut cmd: Command) -> Result<()> {
    let status = cmd.status()?;
    std::process::exit(status.code().unwrap_or(1));
}
