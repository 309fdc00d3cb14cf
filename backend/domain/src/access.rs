//! Authorization, in one place: what an actor may do, and over which subtrees.
//!
//! Every handler asks `Actor::scope_for(permission)` (lists) or `Actor::may_at` (one unit);
//! storage turns the answer into a path-prefix filter. Nothing else decides access.
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, TenantId, UnitId};
use crate::role::Role;
use crate::unit::UnitPath;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    /// Create, list, rename and suspend tenants (operators only).
    ManagePlatform,
    /// Tenant settings and tiers: needs a grant over the whole tenant.
    ManageTenant,
    /// Read units (and, later, their data) in a subtree.
    ReadUnits,
    /// Create, rename, move, archive and import units in a subtree.
    ManageUnits,
    /// Create accounts and grant roles within a subtree.
    ManageAccounts,
    /// Read the operations log.
    ReadOperationsLog,
}

impl Role {
    fn allows(&self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::PlatformOperator => matches!(permission, ManagePlatform),
            Role::TenantAdmin => matches!(
                permission,
                ManageTenant | ReadUnits | ManageUnits | ManageAccounts | ReadOperationsLog
            ),
            Role::Leader | Role::Cadre | Role::Recorder => matches!(permission, ReadUnits),
            Role::Auditor => matches!(permission, ReadUnits | ReadOperationsLog),
        }
    }
}

/// Where a grant applies: the whole tenant, or one unit's subtree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GrantScope {
    Tenant,
    Subtree { unit: UnitId, path: UnitPath },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub scope: GrantScope,
}

/// The authenticated caller: one account of one tenant, with its grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub tenant: TenantId,
    pub account: AccountId,
    pub username: String,
    pub grants: Vec<Grant>,
}

/// The subtrees over which a permission holds: what storage filters lists by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The whole tenant.
    All,
    /// These subtrees (never empty, none inside another).
    Subtrees(Vec<UnitPath>),
    /// Nowhere.
    Nothing,
}

impl Reach {
    pub fn covers(&self, path: &UnitPath) -> bool {
        match self {
            Reach::All => true,
            Reach::Subtrees(roots) => roots.iter().any(|r| path.is_within(r)),
            Reach::Nothing => false,
        }
    }

    /// True when `path` is a strict ancestor of a reachable subtree: its name may be shown
    /// for breadcrumbs, nothing more.
    pub fn is_above(&self, path: &UnitPath) -> bool {
        match self {
            Reach::Subtrees(roots) => roots.iter().any(|r| r != path && r.is_within(path)),
            Reach::All | Reach::Nothing => false,
        }
    }
}

impl Actor {
    /// The subtrees over which the actor holds `permission`.
    pub fn reach(&self, permission: Permission) -> Reach {
        let mut roots: Vec<UnitPath> = Vec::new();
        for grant in self.grants.iter().filter(|g| g.role.allows(permission)) {
            match &grant.scope {
                GrantScope::Tenant => return Reach::All,
                GrantScope::Subtree { path, .. } => roots.push(path.clone()),
            }
        }
        // Keep only the outermost roots, so filters stay short and lists have no duplicates.
        roots.sort();
        roots.dedup();
        let outer: Vec<UnitPath> = roots
            .iter()
            .filter(|p| !roots.iter().any(|q| q != *p && p.is_within(q)))
            .cloned()
            .collect();
        if outer.is_empty() {
            Reach::Nothing
        } else {
            Reach::Subtrees(outer)
        }
    }

    /// Holds `permission` somewhere (for tenant-wide resources a whole-tenant grant is needed:
    /// use `may_everywhere`).
    pub fn may(&self, permission: Permission) -> bool {
        self.reach(permission) != Reach::Nothing
    }

    pub fn may_everywhere(&self, permission: Permission) -> bool {
        self.reach(permission) == Reach::All
    }

    pub fn may_at(&self, permission: Permission, path: &UnitPath) -> bool {
        self.reach(permission).covers(path)
    }

    pub fn is_operator(&self) -> bool {
        self.may(Permission::ManagePlatform)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn path(ids: &[u128]) -> UnitPath {
        let mut p = UnitPath::root(UnitId(Uuid::from_u128(ids[0])));
        for i in &ids[1..] {
            p = p.child(UnitId(Uuid::from_u128(*i)));
        }
        p
    }

    fn actor(grants: Vec<(Role, Option<&[u128]>)>) -> Actor {
        Actor {
            tenant: TenantId(Uuid::nil()),
            account: AccountId(Uuid::nil()),
            username: "t".into(),
            grants: grants
                .into_iter()
                .map(|(role, scope)| Grant {
                    role,
                    scope: match scope {
                        None => GrantScope::Tenant,
                        Some(ids) => GrantScope::Subtree {
                            unit: UnitId(Uuid::from_u128(*ids.last().unwrap())),
                            path: path(ids),
                        },
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn a_street_cadre_reads_its_street_but_not_the_sibling_street() {
        let cadre = actor(vec![(Role::Cadre, Some(&[1, 2, 3]))]);
        assert!(cadre.may_at(Permission::ReadUnits, &path(&[1, 2, 3, 9])));
        assert!(!cadre.may_at(Permission::ReadUnits, &path(&[1, 2, 4])));
        assert!(!cadre.may_at(Permission::ManageUnits, &path(&[1, 2, 3])));
        assert!(cadre.reach(Permission::ReadUnits).is_above(&path(&[1, 2])));
        assert!(
            !cadre
                .reach(Permission::ReadUnits)
                .is_above(&path(&[1, 2, 4]))
        );
    }

    #[test]
    fn a_tenant_admin_reaches_everything_in_the_tenant_but_not_the_platform() {
        let admin = actor(vec![(Role::TenantAdmin, None)]);
        assert_eq!(admin.reach(Permission::ManageUnits), Reach::All);
        assert!(admin.may_everywhere(Permission::ManageTenant));
        assert!(!admin.is_operator());
    }

    #[test]
    fn nested_grants_collapse_to_the_outer_subtree() {
        let a = actor(vec![
            (Role::Leader, Some(&[1, 2, 3])),
            (Role::Cadre, Some(&[1, 2])),
            (Role::Recorder, Some(&[1, 5])),
        ]);
        assert_eq!(
            a.reach(Permission::ReadUnits),
            Reach::Subtrees(vec![path(&[1, 2]), path(&[1, 5])])
        );
    }

    #[test]
    fn an_operator_has_no_tenant_permissions() {
        let op = actor(vec![(Role::PlatformOperator, None)]);
        assert!(op.is_operator());
        assert_eq!(op.reach(Permission::ReadUnits), Reach::Nothing);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn path(ids: &[u8]) -> UnitPath {
        let mut p = UnitPath::root(UnitId(Uuid::from_u128(u128::from(ids[0]))));
        for i in &ids[1..] {
            p = p.child(UnitId(Uuid::from_u128(u128::from(*i))));
        }
        p
    }

    proptest! {
        /// Whatever grants an account holds, it reaches a unit exactly when one of its grants'
        /// subtrees holds that unit — the collapsing of nested grants loses nothing.
        #[test]
        fn reach_covers_exactly_the_granted_subtrees(
            grants in prop::collection::vec(prop::collection::vec(0u8..4, 1..4), 0..5),
            target in prop::collection::vec(0u8..4, 1..5),
        ) {
            let actor = Actor {
                tenant: TenantId(Uuid::nil()),
                account: AccountId(Uuid::nil()),
                username: "p".into(),
                grants: grants
                    .iter()
                    .map(|g| Grant {
                        role: Role::Cadre,
                        scope: GrantScope::Subtree { unit: UnitId(Uuid::nil()), path: path(g) },
                    })
                    .collect(),
            };
            let target = path(&target);
            let expected = grants.iter().any(|g| target.is_within(&path(g)));
            prop_assert_eq!(actor.may_at(Permission::ReadUnits, &target), expected);
            prop_assert!(!actor.may_at(Permission::ManageUnits, &target));
        }
    }
}
