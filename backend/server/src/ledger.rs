//! `minqing ledger verify`: proves each tenant's demand ledger intact from a shell, or names
//! the first tampered, inserted or missing event. Exits non-zero when any chain is broken.
use minqing_storage::ledger::VerifyReport;
use minqing_storage::platform::TenantView;

use crate::config::Config;

/// Verifies one tenant (by slug) or every tenant; prints one line each.
pub async fn verify(config: &Config, tenant: Option<&str>) -> anyhow::Result<bool> {
    verify_to(config, tenant, &mut std::io::stdout()).await
}

/// [`verify`], writing its lines to `out`.
pub async fn verify_to(
    config: &Config,
    tenant: Option<&str>,
    out: &mut (dyn std::io::Write + Send),
) -> anyhow::Result<bool> {
    let storage = crate::startup::open_storage(config, false).await?.0;
    let tenants: Vec<TenantView> = match tenant {
        Some(slug) => vec![
            storage
                .platform()
                .find_by_slug(slug)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no tenant {slug:?}"))?,
        ],
        None => storage.platform().active_tenants().await?,
    };
    let mut intact = true;
    for t in tenants {
        let report = storage.read(t.id).await?.verify_ledger().await?;
        writeln!(out, "{}", line(&t.slug, &report))?;
        intact &= report.intact;
    }
    Ok(intact)
}

fn line(slug: &str, r: &VerifyReport) -> String {
    match &r.first_break {
        None => format!("{slug}: intact ({} events, head {})", r.checked, r.head_seq),
        Some(b) => format!(
            "{slug}: BROKEN at event {} ({:?}) after checking {} events",
            b.seq, b.kind, r.checked
        ),
    }
}
