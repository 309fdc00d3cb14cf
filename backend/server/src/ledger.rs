//! `minqing ledger verify`: proves each tenant's demand ledger intact from a shell, or names
//! every tampered, inserted or missing event (the first 1,000, and how many in all). Exits
//! non-zero when any chain is broken.
use minqing_domain::ledger::BreakKind;
use minqing_storage::ledger::VerifyReport;
use minqing_storage::platform::TenantView;

use crate::config::Config;

/// Verifies one tenant (by slug) or every tenant; prints a line each, and one per break.
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
        let report = storage.read_snapshot(t.id).await?.verify_ledger().await?;
        write!(out, "{}", lines(&t.slug, &report))?;
        intact &= report.intact;
    }
    Ok(intact)
}

/// The tenant's line, then one line per listed break and, when some are not listed, how many.
pub fn lines(slug: &str, r: &VerifyReport) -> String {
    if r.intact {
        return format!(
            "{slug}: intact ({} events, head {})\n",
            r.checked, r.head_seq
        );
    }
    let mut text = format!(
        "{slug}: BROKEN: {} break{} in {} events (head {})\n",
        r.break_count,
        if r.break_count == 1 { "" } else { "s" },
        r.checked,
        r.head_seq
    );
    for b in &r.breaks {
        let kind = match b.kind {
            BreakKind::Tampered => "tampered",
            BreakKind::Inserted => "inserted",
            BreakKind::Missing => "missing",
        };
        let demand = b
            .demand_id
            .map_or_else(|| "demand unknown".to_owned(), |d| format!("demand {d}"));
        text.push_str(&format!("  event {}: {kind} ({demand})\n", b.seq));
    }
    let unlisted = r.break_count.saturating_sub(r.breaks.len() as u64);
    if unlisted > 0 {
        text.push_str(&format!("  … and {unlisted} more\n"));
    }
    text
}
