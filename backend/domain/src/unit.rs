//! Units: nodes of a tenant's hierarchy, and the materialized path that makes subtrees cheap.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::UnitId;

/// An official division code (统计用区划代码, 12 digits) or a tenant's own code for a unit
/// the official list lacks: 1–32 ASCII letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim();
        if code.is_empty() {
            return Err("required");
        }
        let ok = code.len() <= 32
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err("invalid_code");
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A unit's place in the tree: the ids of its ancestors and itself, root first, each as 32 hex
/// digits followed by `/`. A subtree is every path with the root's path as prefix, and sorting
/// by path lists parents before children (depth-first order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitPath(String);

const SEGMENT: usize = 33;

impl UnitPath {
    pub fn root(id: UnitId) -> Self {
        Self(format!("{}/", id.0.simple()))
    }

    pub fn child(&self, id: UnitId) -> Self {
        Self(format!("{}{}/", self.0, id.0.simple()))
    }

    /// Trusts a path read back from storage; it was built by `root`/`child`.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn depth(&self) -> usize {
        self.0.len() / SEGMENT
    }

    /// True when `self` is `other` or one of its descendants.
    pub fn is_within(&self, other: &UnitPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The ids along the path, root first, ending with the unit itself.
    pub fn ids(&self) -> Vec<UnitId> {
        self.0
            .split_terminator('/')
            .filter_map(|s| Uuid::parse_str(s).ok())
            .map(UnitId)
            .collect()
    }

    /// The ids of the ancestors, root first, without the unit itself.
    pub fn ancestor_ids(&self) -> Vec<UnitId> {
        let mut ids = self.ids();
        ids.pop();
        ids
    }

    /// The exclusive upper bound of this subtree in byte order (`/` + 1 is `0`), for range scans.
    pub fn subtree_upper_bound(&self) -> String {
        let mut upper = self.0.clone();
        upper.pop();
        upper.push('0');
        upper
    }

    /// The path this unit would have under `new_parent` (None: as a root).
    pub fn rebased(&self, new_parent: Option<&UnitPath>) -> UnitPath {
        let own = &self.0[self.0.len() - SEGMENT..];
        match new_parent {
            Some(p) => Self(format!("{}{}", p.0, own)),
            None => Self(own.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> UnitId {
        UnitId(Uuid::from_u128(n))
    }

    #[test]
    fn codes_accept_official_and_own_codes() {
        assert_eq!(
            UnitCode::parse(" 360104009009 ").unwrap().as_str(),
            "360104009009"
        );
        assert!(UnitCode::parse("HC-01").is_ok());
        assert_eq!(UnitCode::parse("").unwrap_err(), "required");
        assert_eq!(UnitCode::parse("36 01").unwrap_err(), "invalid_code");
        assert_eq!(
            UnitCode::parse(&"1".repeat(33)).unwrap_err(),
            "invalid_code"
        );
    }

    #[test]
    fn a_path_knows_its_ancestors_and_subtree() {
        let city = UnitPath::root(id(1));
        let district = city.child(id(2));
        let street = district.child(id(3));
        assert_eq!(street.depth(), 3);
        assert_eq!(street.ancestor_ids(), vec![id(1), id(2)]);
        assert!(street.is_within(&city));
        assert!(street.is_within(&street));
        assert!(!city.is_within(&street));
        let sibling = city.child(id(4));
        assert!(!street.is_within(&sibling));
    }

    #[test]
    fn sorting_paths_lists_parents_before_children() {
        let city = UnitPath::root(id(1));
        let a = city.child(id(2));
        let a1 = a.child(id(5));
        let b = city.child(id(3));
        let mut all = vec![b.clone(), a1.clone(), city.clone(), a.clone()];
        all.sort();
        assert_eq!(all, vec![city, a, a1, b]);
    }

    #[test]
    fn the_upper_bound_closes_exactly_the_subtree() {
        let a = UnitPath::root(id(1)).child(id(2));
        let inside = a.child(id(u128::MAX));
        let next = UnitPath::root(id(1)).child(id(3));
        let upper = a.subtree_upper_bound();
        assert!(inside.as_str() < upper.as_str());
        assert!(a.as_str() < upper.as_str());
        assert!(next.as_str() >= upper.as_str());
    }

    #[test]
    fn rebasing_moves_a_path_under_a_new_parent() {
        let a = UnitPath::root(id(1)).child(id(2));
        let b = UnitPath::root(id(9));
        assert_eq!(a.rebased(Some(&b)), b.child(id(2)));
        assert_eq!(a.rebased(None), UnitPath::root(id(2)));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A random tree of up to 40 units: each unit's parent is an earlier unit (or none).
    fn tree() -> impl Strategy<Value = Vec<UnitPath>> {
        prop::collection::vec(
            (any::<u128>(), any::<prop::sample::Index>(), any::<bool>()),
            1..40,
        )
        .prop_map(|nodes| {
            let mut paths: Vec<UnitPath> = Vec::new();
            for (id, parent, root) in nodes {
                let id = UnitId(Uuid::from_u128(id));
                let path = if root || paths.is_empty() {
                    UnitPath::root(id)
                } else {
                    paths[parent.index(paths.len())].child(id)
                };
                paths.push(path);
            }
            paths
        })
    }

    proptest! {
        /// The range [path, upper bound) holds exactly the subtree: what `within` filters by.
        #[test]
        fn the_subtree_range_is_exactly_the_prefix(paths in tree()) {
            for root in &paths {
                let upper = root.subtree_upper_bound();
                for p in &paths {
                    let in_range = p.as_str() >= root.as_str() && p.as_str() < upper.as_str();
                    prop_assert_eq!(in_range, p.is_within(root));
                }
            }
        }

        /// Sorting by path never puts a child before its parent (depth-first listing).
        #[test]
        fn sorted_paths_list_every_parent_before_its_children(paths in tree()) {
            let mut sorted = paths.clone();
            sorted.sort();
            for (i, p) in sorted.iter().enumerate() {
                for ancestor in p.ancestor_ids() {
                    let at = sorted.iter().position(|q| q.ids().last() == Some(&ancestor));
                    prop_assert!(at.is_none_or(|a| a < i));
                }
            }
        }

        /// Rebasing keeps the unit's own id last and puts it directly under the new parent.
        #[test]
        fn rebasing_puts_a_unit_directly_under_its_new_parent(paths in tree(), pick in any::<prop::sample::Index>(), to in any::<prop::sample::Index>()) {
            let unit = &paths[pick.index(paths.len())];
            let parent = &paths[to.index(paths.len())];
            let moved = unit.rebased(Some(parent));
            prop_assert_eq!(moved.ids().last().copied(), unit.ids().last().copied());
            prop_assert_eq!(moved.ancestor_ids(), parent.ids());
        }
    }
}
