//! Builds the portal's browser half — the wasm the server-rendered pages hydrate with — without
//! cargo-leptos or any downloaded tool (see STACK.md). `cargo run` uses it through `main.rs`; the
//! browser test calls [`build_site`] before it starts the server.
//!
//! The site is laid out as the server expects it under [`site_root`]:
//! `pkg/minqing.<hash>.js`, `pkg/minqing.<hash>.wasm` (plus any wasm-bindgen snippets),
//! `pkg/minqing.hash` naming the hash, and the files of `public/` — each text and wasm file with
//! a gzip copy beside it (`.gz`), and a release build a brotli one too (`.br`), for the server to
//! send to a browser that takes them.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Must match `LEPTOS_OUTPUT_NAME` in `.cargo/config.toml`: `HydrationScripts` asks for these files.
const OUTPUT_NAME: &str = "minqing";
/// The file under `pkg/` that names the current build's hash (the server reads it).
pub const HASH_FILE: &str = "minqing.hash";

/// The workspace root (this crate lives in `<root>/xtask`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the current directory, as cargo
/// reads it) or `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => std::path::absolute(PathBuf::from(dir)).expect("current directory readable"),
        None => workspace_root().join("target"),
    }
}

/// Where the built site goes; the server serves it as `MINQING_SITE_ROOT`.
pub fn site_root() -> PathBuf {
    target_dir().join("site")
}

/// A `cargo` command run from the workspace root, with the environment a surrounding
/// `cargo run`/`cargo test` leaves behind removed: `CARGO_PKG_*`/`CARGO_MANIFEST_*` make ring's
/// build script rerun (half the tree recompiles), and RUSTFLAGS would fork the artifacts.
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root());
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || matches!(
                key,
                "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "RUSTFLAGS"
                    | "CARGO_ENCODED_RUSTFLAGS"
            )
        {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs a command and fails with its description when it does not succeed.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let status = cmd
        .status()
        .with_context(|| format!("starting `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Builds the hydrate crate to wasm, binds it and assembles the site; returns [`site_root`].
///
/// Safe to call from several processes at once: a lock file serialises the builds, and every
/// file lands in the site by an atomic rename, so a server already serving it never reads half a
/// file.
pub fn build_site(release: bool) -> Result<PathBuf> {
    let target = target_dir();
    let site = site_root();
    fs::create_dir_all(&target)?;
    let lock = File::create(target.join("site.lock"))?;
    lock.lock().context("locking the site build")?;

    ensure_wasm_target()?;
    let front = target.join("front");
    let profile = if release { "wasm-release" } else { "dev" };
    run(cargo()
        .args([
            "build",
            "-p",
            "minqing_hydrate",
            "--target",
            WASM_TARGET,
            "--profile",
            profile,
        ])
        .arg("--target-dir")
        .arg(&front))?;
    let profile_dir = if release { "wasm-release" } else { "debug" };
    let wasm = front
        .join(WASM_TARGET)
        .join(profile_dir)
        .join("minqing_hydrate.wasm");

    let staging = target.join(format!("site-staging-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let pkg = staging.join("pkg");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .out_name(OUTPUT_NAME)
        .web(true)?
        .typescript(false)
        // Function names only help debugging; a release leaves them out (over half the file).
        .remove_name_section(release)
        .remove_producers_section(release)
        .generate(&pkg)
        .with_context(|| format!("wasm-bindgen on {}", wasm.display()))?;
    let bound = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    fs::rename(pkg.join(format!("{OUTPUT_NAME}_bg.wasm")), &bound)?;
    if release {
        optimise(&bound)?;
    }
    // Named by their content: a browser may keep them for good, and a new build is a new name.
    let js = pkg.join(format!("{OUTPUT_NAME}.js"));
    let hash = content_hash(&[&js, &bound])?;
    for (from, ext) in [(&js, "js"), (&bound, "wasm")] {
        fs::rename(from, pkg.join(format!("{OUTPUT_NAME}.{hash}.{ext}")))?;
    }
    fs::write(pkg.join(HASH_FILE), &hash)?;
    copy_dir(&workspace_root().join("public"), &staging)?;
    compress_tree(&staging, release)?;

    move_into(&staging, &site)?;
    fs::remove_dir_all(&staging)?;
    remove_stale_builds(&site.join("pkg"), &hash)?;
    Ok(site)
}

/// The hash of the built site in `site` (see [`HASH_FILE`]).
pub fn site_hash(site: &Path) -> Result<String> {
    let hash = fs::read_to_string(site.join("pkg").join(HASH_FILE))
        .with_context(|| format!("reading {}/pkg/{HASH_FILE}", site.display()))?;
    Ok(hash.trim().to_owned())
}

/// The first 16 hex digits of the SHA-256 of the files, in order.
fn content_hash(files: &[&Path]) -> Result<String> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for file in files {
        hasher.update(fs::read(file).with_context(|| format!("reading {}", file.display()))?);
    }
    Ok(hex::encode(hasher.finalize())[..16].to_owned())
}

/// Writes `<file>.gz` (and with `brotli`, `<file>.br`) beside each JavaScript, wasm, CSS, SVG
/// and HTML file under `dir`. Brotli at its best takes a few seconds on a release wasm; a
/// debug one (tens of MB) gets a quick gzip only.
fn compress_tree(dir: &Path, brotli: bool) -> Result<()> {
    use std::io::Write;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            compress_tree(&path, brotli)?;
            continue;
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "js" | "wasm" | "css" | "svg" | "html" | "json") {
            continue;
        }
        let bytes = fs::read(&path)?;
        let level = if brotli { 9 } else { 1 };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        gz.write_all(&bytes)?;
        fs::write(with_suffix(&path, "gz"), gz.finish()?)?;
        if brotli {
            let mut br = Vec::new();
            let params = brotli::enc::BrotliEncoderParams {
                quality: 11,
                lgwin: 24,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut bytes.as_slice(), &mut br, &params)?;
            fs::write(with_suffix(&path, "br"), br)?;
        }
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes the files of earlier builds from `pkg`: every `minqing.<hash>.*` of another hash.
fn remove_stale_builds(pkg: &Path, hash: &str) -> Result<()> {
    let current = format!("{OUTPUT_NAME}.{hash}.");
    for entry in fs::read_dir(pkg)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let built = name.starts_with(&format!("{OUTPUT_NAME}."))
            && (name.contains(".js") || name.contains(".wasm"));
        if built && !name.starts_with(&current) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// `rustup target add` when the sysroot lacks the wasm target (a `rust-toolchain.toml` does not
/// install it by itself under `RUSTUP_AUTO_INSTALL=0`).
fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustc")
        .current_dir(workspace_root())
        .args(["--print", "sysroot"])
        .output()?;
    let sysroot = PathBuf::from(String::from_utf8(out.stdout)?.trim());
    if sysroot.join("lib/rustlib").join(WASM_TARGET).exists() {
        return Ok(());
    }
    eprintln!("installing the {WASM_TARGET} target with rustup…");
    run(Command::new("rustup")
        .current_dir(workspace_root())
        .args(["target", "add", WASM_TARGET]))
}

/// Shrinks a release wasm with `$WASM_OPT -Oz` when that names binaryen ≥ 116; older ones (Debian's
/// 108) produce a wasm that breaks hydration, so they are skipped with a warning.
fn optimise(wasm: &Path) -> Result<()> {
    let Some(tool) = std::env::var_os("WASM_OPT").filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let version = Command::new(&tool)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.split_whitespace().find_map(|w| w.parse::<u32>().ok())
        });
    match version {
        Some(v) if v >= 116 => run(Command::new(&tool).arg("-Oz").arg(wasm).arg("-o").arg(wasm)),
        _ => {
            eprintln!("warning: WASM_OPT={tool:?} is not binaryen ≥ 116; skipping wasm-opt");
            Ok(())
        }
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

/// Moves every file of `from` to the same place under `to`, one atomic rename per file.
fn move_into(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            move_into(&entry.path(), &dest)?;
        } else {
            fs::rename(entry.path(), &dest)?;
        }
    }
    Ok(())
}
