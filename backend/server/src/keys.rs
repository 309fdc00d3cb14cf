//! The master key that seals residents' personal data: from `MINQING_DATA_KEY`, or — on the
//! embedded SQLite database only — generated once into the data dir so that setup needs no step.
//! On PostgreSQL the key is required: several servers share the database, and a key each of them
//! made for itself (in a pod's scratch volume, lost on restart) would leave one server unable to
//! open what another sealed.
use std::io::Write;

use anyhow::Context;
use minqing_storage::sealing::MasterKey;

use crate::config::Config;

const KEY_FILE: &str = "data.key";

/// Why a server on PostgreSQL will not start without a key, and how to make one.
pub const MISSING_ON_POSTGRES: &str = "MINQING_DATA_KEY is not set: on PostgreSQL every server \
     must seal personal data with the same key; make one with `openssl rand -hex 32` and set \
     MINQING_DATA_KEY to it on every server (from a Kubernetes Secret, say)";

pub fn master_key(config: &Config) -> anyhow::Result<MasterKey> {
    if let Some(raw) = &config.data_key {
        return MasterKey::parse(raw.trim()).map_err(|_| {
            anyhow::anyhow!("MINQING_DATA_KEY must be 32 bytes: 64 hex digits or base64")
        });
    }
    if config.database_url.starts_with("postgres") {
        anyhow::bail!("{MISSING_ON_POSTGRES}");
    }
    let path = config.data_dir.join(KEY_FILE);
    if let Ok(raw) = std::fs::read_to_string(&path) {
        return MasterKey::parse(raw.trim())
            .map_err(|_| anyhow::anyhow!("{} does not hold a valid key", path.display()));
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let key = MasterKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(key.to_hex().as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(key)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let raw = std::fs::read_to_string(&path)?;
            MasterKey::parse(raw.trim())
                .map_err(|_| anyhow::anyhow!("{} does not hold a valid key", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}
