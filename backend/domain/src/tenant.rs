//! Tenants: a city or a province running the programme (the platform itself is a reserved one).
use serde::{Deserialize, Serialize};

/// The slug operators and users type at login: `^[a-z][a-z0-9-]{1,30}$`, `platform` reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

/// Operators log in to this tenant; it holds no units and is never listed.
pub const PLATFORM_SLUG: &str = "platform";

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let ok_len = (2..=31).contains(&raw.len());
        let mut chars = raw.chars();
        let ok_first = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let ok_rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(ok_len && ok_first && ok_rest) {
            return Err("invalid_slug");
        }
        if raw == PLATFORM_SLUG {
            return Err("slug_reserved");
        }
        Ok(Self(raw.to_owned()))
    }

    /// The platform tenant's slug, which `parse` refuses on purpose.
    pub fn platform() -> Self {
        Self(PLATFORM_SLUG.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    City,
    Province,
    /// The operators' own tenant.
    Platform,
}

impl TenantKind {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw {
            "city" => Ok(Self::City),
            "province" => Ok(Self::Province),
            _ => Err("invalid_tenant_kind"),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::City => "city",
            Self::Province => "province",
            Self::Platform => "platform",
        }
    }

    pub fn from_db(raw: &str) -> Self {
        match raw {
            "province" => Self::Province,
            "platform" => Self::Platform,
            _ => Self::City,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
}

impl TenantStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    pub fn from_db(raw: &str) -> Self {
        if raw == "suspended" {
            Self::Suspended
        } else {
            Self::Active
        }
    }
}

/// A display name in one language: trimmed, 1–100 characters.
pub fn parse_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("required");
    }
    if name.chars().count() > 100 {
        return Err("too_long");
    }
    if name.chars().any(char::is_control) {
        return Err("invalid_characters");
    }
    Ok(name.to_owned())
}

pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// An IANA time zone name such as `Asia/Shanghai`, checked against the zone database.
pub fn parse_time_zone(raw: &str) -> Result<String, &'static str> {
    raw.trim()
        .parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| "invalid_time_zone")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_documented_pattern() {
        assert!(TenantSlug::parse("nanchang").is_ok());
        assert!(TenantSlug::parse("jiangxi-2").is_ok());
        assert_eq!(TenantSlug::parse("N").unwrap_err(), "invalid_slug");
        assert_eq!(TenantSlug::parse("2city").unwrap_err(), "invalid_slug");
        assert_eq!(TenantSlug::parse("a").unwrap_err(), "invalid_slug");
        assert_eq!(TenantSlug::parse("南昌").unwrap_err(), "invalid_slug");
        assert_eq!(
            TenantSlug::parse(&"a".repeat(32)).unwrap_err(),
            "invalid_slug"
        );
        assert!(TenantSlug::parse(&"a".repeat(31)).is_ok());
    }

    #[test]
    fn the_platform_slug_is_reserved() {
        assert_eq!(TenantSlug::parse("platform").unwrap_err(), "slug_reserved");
    }

    #[test]
    fn time_zones_come_from_the_zone_database() {
        assert_eq!(parse_time_zone("Asia/Shanghai").unwrap(), "Asia/Shanghai");
        assert_eq!(
            parse_time_zone("Mars/Base").unwrap_err(),
            "invalid_time_zone"
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  南昌市 ").unwrap(), "南昌市");
        assert_eq!(parse_name("   ").unwrap_err(), "required");
        assert_eq!(parse_name(&"名".repeat(101)).unwrap_err(), "too_long");
    }
}
