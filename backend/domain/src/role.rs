//! Roles an account can be granted; each grant is scoped to one unit's subtree.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformOperator,
    TenantAdmin,
    Leader,
    Cadre,
    Recorder,
    Auditor,
    /// 回访员: calls residents back and records their rating; never of their own unit's work.
    Reviewer,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::PlatformOperator,
        Role::TenantAdmin,
        Role::Leader,
        Role::Cadre,
        Role::Recorder,
        Role::Auditor,
        Role::Reviewer,
    ];

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw)
            .ok_or("invalid_role")
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::PlatformOperator => "platform_operator",
            Role::TenantAdmin => "tenant_admin",
            Role::Leader => "leader",
            Role::Cadre => "cadre",
            Role::Recorder => "recorder",
            Role::Auditor => "auditor",
            Role::Reviewer => "reviewer",
        }
    }

    /// Labels for screens (zh, en).
    pub fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Role::PlatformOperator => ("平台运维", "Platform operator"),
            Role::TenantAdmin => ("租户管理员", "Tenant administrator"),
            Role::Leader => ("领导", "Leader"),
            Role::Cadre => ("干部", "Cadre"),
            Role::Recorder => ("记录员", "Recorder"),
            Role::Auditor => ("审计员", "Auditor"),
            Role::Reviewer => ("回访员", "Follow-up reviewer"),
        }
    }
}
