//! Planning an account import (`username,display_name,role,unit_code[,password]`): one row per
//! grant, so an account with two grants takes two rows. Every row is checked; a file with any
//! bad row imports nothing and names them all.
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::access::Reach;
use crate::division_import::RowError;
use crate::ids::{AccountId, UnitId};
use crate::password::{check_password, parse_username};
use crate::role::Role;
use crate::tenant::parse_name;
use crate::unit::UnitPath;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub line: usize,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_code: String,
    pub password: String,
}

/// A new account and the grants it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAccount {
    pub username: String,
    pub display_name: String,
    /// None: generate one (to be changed at first login).
    pub password: Option<String>,
    pub grants: Vec<GrantSpec>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountImportPlan {
    pub creates: Vec<PlannedAccount>,
    /// Grants for accounts that already exist (their passwords and names stay).
    pub grants: Vec<(AccountId, Role, Option<UnitId>)>,
}

/// A grant as the planner sees it: a role over a unit's subtree (None: the whole tenant).
pub type GrantSpec = (Role, Option<UnitId>);

/// What the planner needs to know of the tenant.
pub struct AccountImportContext<'a> {
    /// Unit code → id and path.
    pub units: &'a HashMap<String, (UnitId, UnitPath)>,
    /// Existing usernames → account and the grants it holds.
    pub accounts: &'a HashMap<String, (AccountId, Vec<GrantSpec>)>,
    /// Where the importing administrator may grant.
    pub reach: &'a Reach,
    /// Importing into the platform tenant (operators) rather than a customer tenant.
    pub platform: bool,
}

pub fn plan_account_import(
    rows: &[AccountRow],
    ctx: &AccountImportContext<'_>,
) -> Result<AccountImportPlan, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut fail = |row: &AccountRow, reason: &str| {
        errors.push(RowError {
            line: row.line,
            code: row.username.trim().to_owned(),
            reason: reason.to_owned(),
        })
    };
    let mut new: BTreeMap<String, (usize, PlannedAccount)> = BTreeMap::new();
    let mut existing_grants: Vec<(AccountId, Role, Option<UnitId>)> = Vec::new();
    let mut seen: HashSet<(String, Role, Option<UnitId>)> = HashSet::new();
    for row in rows {
        let username = match parse_username(&row.username) {
            Ok(u) => u,
            Err("required") => {
                fail(row, "missing_username");
                continue;
            }
            Err(reason) => {
                fail(row, reason);
                continue;
            }
        };
        let role = match Role::parse(row.role.trim()) {
            Ok(r) if (r == Role::PlatformOperator) == ctx.platform => r,
            _ => {
                fail(row, "invalid_role");
                continue;
            }
        };
        let code = row.unit_code.trim();
        let unit = if code.is_empty() {
            if *ctx.reach != Reach::All {
                fail(row, "unit_outside_scope");
                continue;
            }
            None
        } else {
            match ctx.units.get(code) {
                Some((id, path)) if ctx.reach.covers(path) => Some(*id),
                Some(_) => {
                    fail(row, "unit_outside_scope");
                    continue;
                }
                None => {
                    fail(row, "unknown_unit_code");
                    continue;
                }
            }
        };
        let display_name = if row.display_name.trim().is_empty() {
            username.clone()
        } else {
            match parse_name(&row.display_name) {
                Ok(n) => n,
                Err(reason) => {
                    fail(row, reason);
                    continue;
                }
            }
        };
        let password = Some(row.password.as_str()).filter(|p| !p.is_empty());
        if let Some(p) = password
            && let Err(reason) = check_password(p, &username)
        {
            fail(row, reason);
            continue;
        }
        if !seen.insert((username.clone(), role, unit)) {
            fail(row, "duplicate_grant");
            continue;
        }
        if let Some((account, held)) = ctx.accounts.get(&username) {
            if !held.contains(&(role, unit)) {
                existing_grants.push((*account, role, unit));
            }
            continue;
        }
        let entry = new.entry(username.clone()).or_insert_with(|| {
            (
                row.line,
                PlannedAccount {
                    username: username.clone(),
                    display_name: display_name.clone(),
                    password: password.map(str::to_owned),
                    grants: Vec::new(),
                },
            )
        });
        // Rows of one account must agree on its name and password.
        if entry.1.display_name != display_name
            || (password.is_some() && entry.1.password.as_deref() != password)
        {
            fail(row, "conflicting_rows");
            continue;
        }
        entry.1.grants.push((role, unit));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    }
    let mut creates: Vec<(usize, PlannedAccount)> = new.into_values().collect();
    creates.sort_by_key(|(line, _)| *line);
    Ok(AccountImportPlan {
        creates: creates.into_iter().map(|(_, a)| a).collect(),
        grants: existing_grants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn row(line: usize, username: &str, role: &str, unit: &str, password: &str) -> AccountRow {
        AccountRow {
            line,
            username: username.into(),
            display_name: String::new(),
            role: role.into(),
            unit_code: unit.into(),
            password: password.into(),
        }
    }

    fn fixture() -> (HashMap<String, (UnitId, UnitPath)>, UnitId, UnitId) {
        let city = UnitId(Uuid::from_u128(1));
        let street = UnitId(Uuid::from_u128(2));
        let other = UnitId(Uuid::from_u128(3));
        let city_path = UnitPath::root(city);
        let mut units = HashMap::new();
        units.insert("C".to_owned(), (city, city_path.clone()));
        units.insert("S".to_owned(), (street, city_path.child(street)));
        units.insert("O".to_owned(), (other, city_path.child(other)));
        (units, city, street)
    }

    #[test]
    fn rows_of_one_account_become_one_account_with_several_grants() {
        let (units, city, street) = fixture();
        let accounts = HashMap::new();
        let ctx = AccountImportContext {
            units: &units,
            accounts: &accounts,
            reach: &Reach::All,
            platform: false,
        };
        let plan = plan_account_import(
            &[
                row(2, "zhao", "leader", "C", ""),
                row(3, "zhao", "cadre", "S", ""),
                row(4, "qian", "recorder", "S", "River-Stone-2026"),
            ],
            &ctx,
        )
        .unwrap();
        assert_eq!(plan.creates.len(), 2);
        assert_eq!(
            plan.creates[0].grants,
            vec![(Role::Leader, Some(city)), (Role::Cadre, Some(street))]
        );
        assert_eq!(plan.creates[0].password, None);
        assert_eq!(
            plan.creates[1].password.as_deref(),
            Some("River-Stone-2026")
        );
    }

    #[test]
    fn every_bad_row_is_named() {
        let (units, _, _) = fixture();
        let accounts = HashMap::new();
        let street_only = Reach::Subtrees(vec![units["S"].1.clone()]);
        let ctx = AccountImportContext {
            units: &units,
            accounts: &accounts,
            reach: &street_only,
            platform: false,
        };
        let errors = plan_account_import(
            &[
                row(2, "a b", "cadre", "S", ""),
                row(3, "sun", "emperor", "S", ""),
                row(4, "zhou", "cadre", "X", ""),
                row(5, "wu", "cadre", "O", ""),
                row(6, "zheng", "cadre", "S", "short"),
                row(7, "wang", "platform_operator", "S", ""),
                row(8, "feng", "cadre", "", ""),
                row(9, "chen", "cadre", "S", ""),
                row(10, "chen", "cadre", "S", ""),
            ],
            &ctx,
        )
        .unwrap_err();
        let got: Vec<_> = errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            got,
            [
                (2, "invalid_username"),
                (3, "invalid_role"),
                (4, "unknown_unit_code"),
                (5, "unit_outside_scope"),
                (6, "password_too_short"),
                (7, "invalid_role"),
                (8, "unit_outside_scope"),
                (10, "duplicate_grant"),
            ]
        );
    }

    #[test]
    fn existing_accounts_only_gain_missing_grants() {
        let (units, city, street) = fixture();
        let zhao = AccountId(Uuid::from_u128(9));
        let mut accounts = HashMap::new();
        accounts.insert("zhao".to_owned(), (zhao, vec![(Role::Leader, Some(city))]));
        let ctx = AccountImportContext {
            units: &units,
            accounts: &accounts,
            reach: &Reach::All,
            platform: false,
        };
        let plan = plan_account_import(
            &[
                row(2, "zhao", "leader", "C", ""),
                row(3, "zhao", "cadre", "S", ""),
            ],
            &ctx,
        )
        .unwrap();
        assert!(plan.creates.is_empty());
        assert_eq!(plan.grants, vec![(zhao, Role::Cadre, Some(street))]);
    }
}
