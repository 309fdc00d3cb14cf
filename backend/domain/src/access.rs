//! Authorization, in one place: what an actor may do, and over which subtrees.
//!
//! Every handler asks `Actor::scope_for(permission)` (lists) or `Actor::may_at` (one unit);
//! storage turns the answer into a path-prefix filter. Nothing else decides access.
use serde::{Deserialize, Serialize};

use crate::demand::lifecycle::Action;
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
    /// Read demands raised in, handled by, or co-handled by units of a subtree.
    ReadDemands,
    /// Record new demands raised in a subtree's communities (intake).
    RecordDemands,
    /// Act on demands a subtree's units handle: accept, reply, resolve, escalate…
    HandleDemands,
    /// Hand demands to another unit within the subtree (reassign).
    AssignDemands,
    /// See a resident's phone and ID number in full (each view is recorded in the ledger).
    RevealPersonalData,
    /// Verify the ledger's hash chain: needs a grant over the whole tenant.
    VerifyLedger,
    /// Review and decide accountability cases (问责) of a subtree's units.
    DecideAccountability,
    /// Keep the councils (理事会) and workrooms of a subtree's units.
    ManageCouncils,
    /// Read the budgets and spending of a subtree's units.
    ReadBudgets,
    /// Allocate money to a subtree's units (and correct allocations).
    AllocateBudgets,
    /// Record (and correct) a subtree's units' spending and file vouchers.
    RecordSpending,
    /// Approve spending beyond an allocation, where the tenant's rule allows it.
    ApproveOverspend,
    /// Pair leaders with a subtree's communities and villages (contact points).
    ManageContactPoints,
    /// Schedule a subtree's visits, publish their notices, move or cancel them.
    ManageVisits,
    /// Record the attendance and minutes of a subtree's visits.
    RecordVisits,
    /// Keep the household registers of a subtree's communities.
    ManageHouseholds,
    /// Record the rating a resident gives on a follow-up call (回访) for demands a subtree's
    /// units handle — only where the caller is not of the handling unit (no self-rating).
    ReviewDemands,
}

impl Role {
    fn allows(&self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::PlatformOperator => matches!(permission, ManagePlatform),
            Role::TenantAdmin => matches!(
                permission,
                ManageTenant
                    | ReadUnits
                    | ManageUnits
                    | ManageAccounts
                    | ReadOperationsLog
                    | ReadDemands
                    | RecordDemands
                    | HandleDemands
                    | AssignDemands
                    | VerifyLedger
                    | DecideAccountability
                    | ManageCouncils
                    | ReadBudgets
                    | AllocateBudgets
                    | RecordSpending
                    | ApproveOverspend
                    | ManageContactPoints
                    | ManageVisits
                    | RecordVisits
                    | ManageHouseholds
            ),
            // Leaders and cadres work the demands; only they need residents' contact details.
            Role::Leader => matches!(
                permission,
                ReadUnits
                    | ReadDemands
                    | RecordDemands
                    | HandleDemands
                    | AssignDemands
                    | RevealPersonalData
                    | DecideAccountability
                    | ReadBudgets
                    | ApproveOverspend
                    | ManageVisits
                    | RecordVisits
            ),
            Role::Cadre => matches!(
                permission,
                ReadUnits
                    | ReadDemands
                    | RecordDemands
                    | HandleDemands
                    | RevealPersonalData
                    | ReadBudgets
                    | RecordSpending
                    | ManageVisits
                    | RecordVisits
                    | ManageHouseholds
            ),
            Role::Recorder => matches!(
                permission,
                ReadUnits | ReadDemands | RecordDemands | RecordVisits | ManageHouseholds
            ),
            Role::Auditor => matches!(
                permission,
                ReadUnits | ReadOperationsLog | ReadDemands | VerifyLedger | ReadBudgets
            ),
            Role::Reviewer => matches!(permission, ReadUnits | ReadDemands | ReviewDemands),
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

/// Where a demand sits: the unit it was raised in, the unit handling it, and co-handlers.
#[derive(Debug, Clone, Copy)]
pub struct DemandPlaces<'a> {
    pub origin: &'a UnitPath,
    pub handler: &'a UnitPath,
    pub assists: &'a [UnitPath],
}

/// What an actor may do with demands, decided once per request.
#[derive(Debug, Clone)]
pub struct DemandAccess {
    pub read: Reach,
    pub record: Reach,
    pub handle: Reach,
    pub assign: Reach,
    pub reveal: Reach,
    pub review: Reach,
}

/// Why a rating was refused: it is the resident's, or a reviewer's from outside the unit.
pub const RATING_NOT_YOURS: &str = "rating_not_yours";

impl DemandAccess {
    pub fn of(actor: &Actor) -> Self {
        Self {
            read: actor.reach(Permission::ReadDemands),
            record: actor.reach(Permission::RecordDemands),
            handle: actor.reach(Permission::HandleDemands),
            assign: actor.reach(Permission::AssignDemands),
            reveal: actor.reach(Permission::RevealPersonalData),
            review: actor.reach(Permission::ReviewDemands),
        }
    }

    /// Nothing at all: the start of what a channel without an account may do.
    pub fn none() -> Self {
        Self {
            read: Reach::Nothing,
            record: Reach::Nothing,
            handle: Reach::Nothing,
            assign: Reach::Nothing,
            reveal: Reach::Nothing,
            review: Reach::Nothing,
        }
    }

    /// A demand is visible in the subtree it was raised in, is handled in, or is co-handled in:
    /// the street that raised it keeps seeing it after it climbs to the district.
    pub fn can_read(&self, at: DemandPlaces<'_>) -> bool {
        self.read.covers(at.origin)
            || self.read.covers(at.handler)
            || at.assists.iter().any(|p| self.read.covers(p))
    }

    /// Acting belongs to the handling unit's subtree; a co-handling unit may add progress
    /// replies, nothing else. A rating is the resident's: through their receipt, or a follow-up
    /// call recorded by a reviewer who may not handle the demand (nobody rates their own work).
    pub fn can_act(&self, action: Action, at: DemandPlaces<'_>) -> bool {
        if action == Action::Rate {
            return self.review.covers(at.handler) && !self.handle.covers(at.handler);
        }
        if self.handle.covers(at.handler) {
            return match action {
                Action::Reassign => self.assign.covers(at.handler),
                _ => true,
            };
        }
        action == Action::Reply && at.assists.iter().any(|p| self.handle.covers(p))
    }

    pub fn can_reveal(&self, at: DemandPlaces<'_>) -> bool {
        self.reveal.covers(at.origin) || self.reveal.covers(at.handler)
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
    fn a_street_sees_its_demand_after_it_climbs_but_a_sibling_street_never_does() {
        let street_a = path(&[1, 2, 3]);
        let street_b = path(&[1, 2, 4]);
        let community = path(&[1, 2, 3, 5]);
        let district = path(&[1, 2]);
        let cadre_a = DemandAccess::of(&actor(vec![(Role::Cadre, Some(&[1, 2, 3]))]));
        let cadre_b = DemandAccess::of(&actor(vec![(Role::Cadre, Some(&[1, 2, 4]))]));
        let escalated = DemandPlaces {
            origin: &community,
            handler: &district,
            assists: &[],
        };
        assert!(cadre_a.can_read(escalated));
        assert!(!cadre_a.can_act(Action::Reply, escalated));
        assert!(!cadre_b.can_read(escalated));
        // Co-handling lets street B reply, and only reply.
        let assists = [street_b.clone()];
        let co = DemandPlaces {
            origin: &community,
            handler: &street_a,
            assists: &assists,
        };
        assert!(cadre_b.can_read(co));
        assert!(cadre_b.can_act(Action::Reply, co));
        assert!(!cadre_b.can_act(Action::Resolve, co));
        assert!(cadre_a.can_act(Action::Resolve, co));
        // Cadres do not reassign; leaders do.
        assert!(!cadre_a.can_act(Action::Reassign, co));
        let leader = DemandAccess::of(&actor(vec![(Role::Leader, Some(&[1, 2]))]));
        assert!(leader.can_act(Action::Reassign, co));
        // Recorders record and read but never see personal data in full.
        let recorder = DemandAccess::of(&actor(vec![(Role::Recorder, Some(&[1, 2, 3]))]));
        assert!(recorder.can_read(co));
        assert!(!recorder.can_reveal(co));
        assert!(cadre_a.can_reveal(co));
    }

    #[test]
    fn a_rating_comes_from_a_reviewer_outside_the_handling_unit_never_from_it() {
        let street = path(&[1, 2, 3]);
        let community = path(&[1, 2, 3, 5]);
        let at = DemandPlaces {
            origin: &community,
            handler: &street,
            assists: &[],
        };
        // The street's cadre, its leader above it and the tenant admin all handle it.
        for handler in [
            actor(vec![(Role::Cadre, Some(&[1, 2, 3]))]),
            actor(vec![(Role::Leader, Some(&[1, 2]))]),
            actor(vec![(Role::TenantAdmin, None)]),
        ] {
            assert!(!DemandAccess::of(&handler).can_act(Action::Rate, at));
        }
        // A district reviewer, or one over the tenant, records the resident's rating.
        let district_reviewer = DemandAccess::of(&actor(vec![(Role::Reviewer, Some(&[1, 2]))]));
        assert!(district_reviewer.can_act(Action::Rate, at));
        assert!(district_reviewer.can_read(at));
        assert!(!district_reviewer.can_act(Action::Resolve, at));
        assert!(!district_reviewer.can_reveal(at));
        let tenant_reviewer = DemandAccess::of(&actor(vec![(Role::Reviewer, None)]));
        assert!(tenant_reviewer.can_act(Action::Rate, at));
        // A reviewer who also handles the street's work rates none of it.
        let both = DemandAccess::of(&actor(vec![
            (Role::Reviewer, None),
            (Role::Cadre, Some(&[1, 2, 3])),
        ]));
        assert!(!both.can_act(Action::Rate, at));
        // Outside their subtree a reviewer rates nothing.
        let elsewhere = DemandAccess::of(&actor(vec![(Role::Reviewer, Some(&[1, 7]))]));
        assert!(!elsewhere.can_act(Action::Rate, at));
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
