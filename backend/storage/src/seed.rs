//! First start: the platform tenant with its operator, and the demo tenant `nanchang` (南昌市)
//! built from the official division list. Runs under the start-up lock, so several processes
//! starting together seed once.
use minqing_domain::tenant::{TenantKind, TenantSlug};

use crate::Storage;
use crate::error::Result;
use crate::files::read_division_file;
use crate::platform::NewTenant;
use crate::scope::Audit;

/// The 2023 official division list of Nanchang: 1 city, 9 districts and counties,
/// 139 streets and townships, 2,263 communities and villages.
pub const NANCHANG_DIVISIONS: &[u8] = include_bytes!("../data/nanchang-divisions.csv");
pub const DEMO_SLUG: &str = "nanchang";

pub struct SeedOptions {
    /// Password of `operator` and of the demo tenant's `admin` when they are created.
    pub bootstrap_password: Option<String>,
    pub demo: bool,
}

/// Passwords generated during seeding: printed once by the caller, never stored in clear.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub operator_created: bool,
    pub operator_password: Option<String>,
    pub demo_created: bool,
    pub demo_admin_password: Option<String>,
}

impl Storage {
    /// Migrates and seeds, under the start-up lock.
    pub async fn prepare(&self, options: &SeedOptions) -> Result<SeedReport> {
        self.under_startup_lock(|| async {
            self.migrate().await?;
            self.seed(options).await
        })
        .await
    }

    async fn seed(&self, options: &SeedOptions) -> Result<SeedReport> {
        let mut report = SeedReport::default();
        if let Some(generated) = self
            .platform()
            .ensure_platform(options.bootstrap_password.clone())
            .await?
        {
            report.operator_created = true;
            report.operator_password = generated;
        }
        if !options.demo || self.platform().find_by_slug(DEMO_SLUG).await?.is_some() {
            return Ok(report);
        }
        let (tenant, password) = self
            .platform()
            .create_tenant(
                NewTenant {
                    slug: TenantSlug::parse(DEMO_SLUG).expect("the demo slug is valid"),
                    kind: TenantKind::City,
                    name_zh: "南昌市".into(),
                    name_en: "Nanchang".into(),
                    time_zone: minqing_domain::tenant::DEFAULT_TIME_ZONE.into(),
                    admin_password: options.bootstrap_password.clone(),
                },
                &Audit::system(),
            )
            .await?;
        let scope = self.write(tenant.id, Audit::system()).await?;
        let tiers = scope.tiers().list().await?.len() as i32;
        let (rows, unreadable) = read_division_file(NANCHANG_DIVISIONS)?;
        let today = crate::now().with_timezone(&tenant.zone()).date_naive();
        scope
            .units()
            .import(&rows, unreadable, tiers, today)
            .await?;
        scope.commit().await?;
        report.demo_created = true;
        report.demo_admin_password = password;
        Ok(report)
    }
}
