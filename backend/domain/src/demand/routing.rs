//! Where a demand is handled: the tenant's rule maps its grade to a tier, and the handling unit
//! is the origin unit's ancestor at that tier (分层级解决).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Grade;
use crate::ids::UnitId;
use crate::tier::TierKey;

/// Grade → the tier that handles it. Rules name tiers by key, so renaming a tier changes
/// nothing and a province tenant routes the same way as a city.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutingRules(pub BTreeMap<Grade, TierKey>);

impl Default for RoutingRules {
    /// 急 → street/township, 愁 → county/district, 难 and 盼 → city.
    fn default() -> Self {
        Self(BTreeMap::from([
            (Grade::Urgent, TierKey::Street),
            (Grade::Worrying, TierKey::County),
            (Grade::Hard, TierKey::City),
            (Grade::HopedFor, TierKey::City),
        ]))
    }
}

impl RoutingRules {
    pub fn tier_for(&self, grade: Grade) -> TierKey {
        self.0
            .get(&grade)
            .copied()
            .unwrap_or_else(|| RoutingRules::default().0[&grade])
    }
}

/// One unit on the way from the tenant's root down to the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLink {
    pub unit: UnitId,
    pub tier: TierKey,
}

/// The unit that must act on a demand raised at the last unit of `chain` (root first).
/// It is the ancestor at the rule's tier; if the tenant has no unit at that tier on this
/// chain (a tier was removed, or the origin sits above it), the nearest unit above that tier
/// takes it, and failing that the origin itself.
pub fn handling_unit(chain: &[ChainLink], tier: TierKey) -> Option<ChainLink> {
    chain
        .iter()
        .find(|l| l.tier == tier)
        .or_else(|| chain.iter().rev().find(|l| l.tier < tier))
        .or_else(|| chain.last())
        .copied()
}

/// Escalation (上报) goes to the parent of the handling unit; `chain` ends at the handling unit.
pub fn escalation_target(chain: &[ChainLink]) -> Result<ChainLink, &'static str> {
    match chain {
        [.., parent, _] => Ok(*parent),
        _ => Err("no_higher_tier"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn chain(keys: &[TierKey]) -> Vec<ChainLink> {
        keys.iter()
            .enumerate()
            .map(|(i, k)| ChainLink {
                unit: UnitId(Uuid::from_u128(i as u128 + 1)),
                tier: *k,
            })
            .collect()
    }

    #[test]
    fn grades_reach_the_tier_the_programme_names() {
        use TierKey::*;
        let city = chain(&[City, County, Street, Community]);
        let rules = RoutingRules::default();
        let at = |g| handling_unit(&city, rules.tier_for(g)).unwrap().tier;
        assert_eq!(at(Grade::Urgent), Street);
        assert_eq!(at(Grade::Worrying), County);
        assert_eq!(at(Grade::Hard), City);
        assert_eq!(at(Grade::HopedFor), City);
        // A province routes the same way: its cities are units at the city tier.
        let province = chain(&[Province, City, County, Street, Community]);
        assert_eq!(
            handling_unit(&province, TierKey::City).unwrap().unit,
            province[1].unit
        );
    }

    #[test]
    fn a_missing_tier_falls_to_the_nearest_one_above() {
        use TierKey::*;
        let no_street = chain(&[City, County, Community]);
        assert_eq!(handling_unit(&no_street, Street).unwrap().tier, County);
        assert_eq!(handling_unit(&[], Street), None);
    }

    #[test]
    fn escalation_climbs_one_tier_and_stops_at_the_top() {
        use TierKey::*;
        let c = chain(&[City, County, Street]);
        assert_eq!(escalation_target(&c).unwrap().tier, County);
        assert_eq!(escalation_target(&c[..1]), Err("no_higher_tier"));
    }

    #[test]
    fn a_tenant_rule_overrides_the_default() {
        let mut rules = RoutingRules::default();
        rules.0.insert(Grade::Urgent, TierKey::Community);
        assert_eq!(rules.tier_for(Grade::Urgent), TierKey::Community);
        assert_eq!(rules.tier_for(Grade::Hard), TierKey::City);
        assert_eq!(
            serde_json::to_value(&rules).unwrap()["urgent"],
            serde_json::json!("community")
        );
    }
}
