//! Tiers: a tenant's ordered levels. Rules name tiers by their stable key, never by number.
use serde::{Deserialize, Serialize};

use crate::tenant::TenantKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TierKey {
    Province,
    City,
    County,
    Street,
    Community,
}

impl TierKey {
    pub const ALL: [TierKey; 5] = [
        TierKey::Province,
        TierKey::City,
        TierKey::County,
        TierKey::Street,
        TierKey::Community,
    ];

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or("invalid_tier_key")
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            TierKey::Province => "province",
            TierKey::City => "city",
            TierKey::County => "county",
            TierKey::Street => "street",
            TierKey::Community => "community",
        }
    }

    /// The default labels (zh, en).
    pub fn default_labels(&self) -> (&'static str, &'static str) {
        match self {
            TierKey::Province => ("省", "Province"),
            TierKey::City => ("市", "City"),
            TierKey::County => ("县(区)", "County / district"),
            TierKey::Street => ("街道(乡镇)", "Street / township"),
            TierKey::Community => ("社区(村)", "Community / village"),
        }
    }
}

/// One tier of a tenant. `level` is 1 for the tenant's top tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tier {
    pub level: i32,
    pub key: TierKey,
    pub label_zh: String,
    pub label_en: String,
}

/// A city has 市 / 县(区) / 街道(乡镇) / 社区(村); a province has 省 above them.
pub fn default_tiers(kind: TenantKind) -> Vec<Tier> {
    let keys: &[TierKey] = match kind {
        TenantKind::Province => &TierKey::ALL,
        TenantKind::City => &TierKey::ALL[1..],
        TenantKind::Platform => &[],
    };
    keys.iter()
        .enumerate()
        .map(|(i, key)| {
            let (zh, en) = key.default_labels();
            Tier {
                level: i as i32 + 1,
                key: *key,
                label_zh: zh.to_owned(),
                label_en: en.to_owned(),
            }
        })
        .collect()
}

/// Where a new tier may go: keys stay in their natural order (province above city above …),
/// each key once, and only at or below levels no unit uses yet.
pub fn place_new_tier(
    tiers: &[Tier],
    key: TierKey,
    deepest_used_level: Option<i32>,
) -> Result<i32, &'static str> {
    if tiers.iter().any(|t| t.key == key) {
        return Err("tier_exists");
    }
    let level = tiers.iter().filter(|t| t.key < key).count() as i32 + 1;
    if deepest_used_level.is_some_and(|used| level <= used) {
        return Err("tier_in_use");
    }
    Ok(level)
}

/// A tier can be removed only when no unit sits at it or below it (levels would shift).
pub fn check_tier_removal(level: i32, deepest_used_level: Option<i32>) -> Result<(), &'static str> {
    if deepest_used_level.is_some_and(|used| level <= used) {
        return Err("tier_in_use");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_city_gets_four_tiers_and_a_province_five() {
        let city = default_tiers(TenantKind::City);
        let labels: Vec<_> = city.iter().map(|t| t.label_zh.as_str()).collect();
        assert_eq!(labels, ["市", "县(区)", "街道(乡镇)", "社区(村)"]);
        assert_eq!(city[0].level, 1);
        let province = default_tiers(TenantKind::Province);
        assert_eq!(province.len(), 5);
        assert_eq!(province[0].key, TierKey::Province);
        assert_eq!(province[1].key, TierKey::City);
        assert_eq!(province[1].level, 2);
    }

    #[test]
    fn a_tier_above_used_levels_cannot_be_added() {
        let city = default_tiers(TenantKind::City);
        assert_eq!(
            place_new_tier(&city, TierKey::Province, Some(1)),
            Err("tier_in_use")
        );
        assert_eq!(place_new_tier(&city, TierKey::Province, None), Ok(1));
        assert_eq!(
            place_new_tier(&city, TierKey::City, None),
            Err("tier_exists")
        );
    }

    #[test]
    fn a_used_tier_cannot_be_removed() {
        assert_eq!(check_tier_removal(4, Some(4)), Err("tier_in_use"));
        assert_eq!(check_tier_removal(4, Some(3)), Ok(()));
        assert_eq!(check_tier_removal(1, None), Ok(()));
    }
}
