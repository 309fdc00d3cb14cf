//! Planning a division-list import (`code,parent_code,level,name`): every row checked against
//! the file and the tenant's existing units, so a bad file is refused whole with every bad
//! row named, and a good one turns into creations and updates.
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::ids::UnitId;
use crate::tenant::parse_name;
use crate::unit::UnitCode;

/// One data row as read from the file; `line` is the spreadsheet line (header = 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub line: usize,
    pub code: String,
    pub parent_code: String,
    pub level: String,
    pub name: String,
}

/// A row the file cannot be imported with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub line: usize,
    pub code: String,
    /// A stable reason code (`unknown_parent`, `wrong_level`, `duplicate_code`, …).
    pub reason: String,
}

/// A unit the tenant already has, as the planner needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingUnit {
    pub id: UnitId,
    pub level: i32,
    pub name: String,
    pub parent: Option<UnitId>,
}

/// Where a planned unit hangs: a unit already stored, another new row, or nowhere (a root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentRef {
    Root,
    Existing(UnitId),
    /// Index into `ImportPlan::creates`, always earlier in the list.
    New(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUnit {
    pub code: UnitCode,
    pub name: String,
    pub level: i32,
    pub parent: ParentRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUpdate {
    pub id: UnitId,
    pub code: UnitCode,
    pub name: Option<String>,
    /// A new parent among existing or new units.
    pub parent: Option<ParentRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// Sorted by level, so every parent comes before its children.
    pub creates: Vec<PlannedUnit>,
    pub updates: Vec<PlannedUpdate>,
    pub unchanged: usize,
}

/// Checks every row and plans the import, or returns every bad row.
pub fn plan_import(
    rows: &[RawRow],
    tier_count: i32,
    existing: &HashMap<String, ExistingUnit>,
) -> Result<ImportPlan, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut fail = |row: &RawRow, reason: &str| {
        errors.push(RowError {
            line: row.line,
            code: row.code.trim().to_owned(),
            reason: reason.to_owned(),
        })
    };

    // First pass: each row on its own, and codes unique within the file.
    struct Parsed<'a> {
        row: &'a RawRow,
        code: UnitCode,
        parent_code: Option<String>,
        level: i32,
        name: String,
    }
    let mut parsed: Vec<Parsed> = Vec::with_capacity(rows.len());
    let mut seen: HashSet<String> = HashSet::with_capacity(rows.len());
    for row in rows {
        let code = match UnitCode::parse(&row.code) {
            Ok(c) => c,
            Err(reason) => {
                fail(
                    row,
                    if reason == "required" {
                        "missing_code"
                    } else {
                        reason
                    },
                );
                continue;
            }
        };
        if !seen.insert(code.as_str().to_owned()) {
            fail(row, "duplicate_code");
            continue;
        }
        let level = match row.level.trim().parse::<i32>() {
            Ok(l) if (1..=tier_count).contains(&l) => l,
            _ => {
                fail(row, "invalid_level");
                continue;
            }
        };
        let name = match parse_name(&row.name) {
            Ok(n) => n,
            Err("required") => {
                fail(row, "empty_name");
                continue;
            }
            Err(reason) => {
                fail(row, reason);
                continue;
            }
        };
        let parent_code = Some(row.parent_code.trim().to_owned()).filter(|p| !p.is_empty());
        if parent_code.is_none() && level != 1 {
            fail(row, "missing_parent");
            continue;
        }
        if parent_code.as_deref() == Some(code.as_str()) {
            fail(row, "parent_is_self");
            continue;
        }
        parsed.push(Parsed {
            row,
            code,
            parent_code,
            level,
            name,
        });
    }

    // Second pass: parents exist one level up; an existing code keeps its level.
    let in_file: HashMap<&str, i32> = parsed.iter().map(|p| (p.code.as_str(), p.level)).collect();
    let mut good: Vec<&Parsed> = Vec::with_capacity(parsed.len());
    for p in &parsed {
        if let Some(old) = existing.get(p.code.as_str())
            && old.level != p.level
        {
            fail(p.row, "level_changed");
            continue;
        }
        if let Some(parent_code) = &p.parent_code {
            let parent_level = in_file
                .get(parent_code.as_str())
                .copied()
                .or_else(|| existing.get(parent_code).map(|e| e.level));
            match parent_level {
                None => {
                    fail(p.row, "unknown_parent");
                    continue;
                }
                Some(l) if l != p.level - 1 => {
                    fail(p.row, "wrong_level");
                    continue;
                }
                Some(_) => {}
            }
        }
        good.push(p);
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    }

    // Plan: creations by level (parents first), updates where name or parent changed.
    good.sort_by_key(|p| p.level);
    let mut plan = ImportPlan::default();
    let mut new_index: BTreeMap<&str, usize> = BTreeMap::new();
    for p in good {
        let parent = match &p.parent_code {
            None => ParentRef::Root,
            Some(code) => match existing.get(code) {
                Some(e) => ParentRef::Existing(e.id),
                None => ParentRef::New(new_index[code.as_str()]),
            },
        };
        match existing.get(p.code.as_str()) {
            None => {
                new_index.insert(p.code.as_str(), plan.creates.len());
                plan.creates.push(PlannedUnit {
                    code: p.code.clone(),
                    name: p.name.clone(),
                    level: p.level,
                    parent,
                });
            }
            Some(old) => {
                let name = (old.name != p.name).then(|| p.name.clone());
                let moved = match &parent {
                    ParentRef::Root => old.parent.is_some(),
                    ParentRef::Existing(id) => old.parent != Some(*id),
                    ParentRef::New(_) => true,
                };
                if name.is_none() && !moved {
                    plan.unchanged += 1;
                } else {
                    plan.updates.push(PlannedUpdate {
                        id: old.id,
                        code: p.code.clone(),
                        name,
                        parent: moved.then_some(parent),
                    });
                }
            }
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn row(line: usize, code: &str, parent: &str, level: &str, name: &str) -> RawRow {
        RawRow {
            line,
            code: code.into(),
            parent_code: parent.into(),
            level: level.into(),
            name: name.into(),
        }
    }

    fn nanchang_rows() -> Vec<RawRow> {
        vec![
            row(2, "360100000000", "", "1", "南昌市"),
            row(3, "360104000000", "360100000000", "2", "青云谱区"),
            row(4, "360104009000", "360104000000", "3", "徐家坊街道"),
            row(5, "360104009009", "360104009000", "4", "洪城路社区居委会"),
        ]
    }

    #[test]
    fn a_clean_file_plans_parents_before_children() {
        let mut rows = nanchang_rows();
        rows.reverse();
        let plan = plan_import(&rows, 4, &HashMap::new()).unwrap();
        assert_eq!(plan.creates.len(), 4);
        assert_eq!(plan.creates[0].name, "南昌市");
        assert_eq!(plan.creates[0].parent, ParentRef::Root);
        assert_eq!(plan.creates[3].parent, ParentRef::New(2));
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let rows = vec![
            row(2, "360100000000", "", "1", "南昌市"),
            row(3, "360104000000", "369999000000", "2", "青云谱区"),
            row(4, "360104009000", "360100000000", "3", "徐家坊街道"),
            row(5, "360100000000", "", "1", "南昌市"),
            row(6, "360104009009", "360104009000", "4", "  "),
            row(7, "360104009010", "360104009000", "x", "某社区"),
        ];
        let errors = plan_import(&rows, 4, &HashMap::new()).unwrap_err();
        let got: Vec<_> = errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, "unknown_parent"),
                (4, "wrong_level"),
                (5, "duplicate_code"),
                (6, "empty_name"),
                (7, "invalid_level"),
            ]
        );
    }

    #[test]
    fn reimporting_the_same_rows_changes_nothing_and_additions_are_added() {
        let ids: Vec<UnitId> = (1..=4).map(|i| UnitId(Uuid::from_u128(i))).collect();
        let rows = nanchang_rows();
        let mut existing = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            existing.insert(
                r.code.clone(),
                ExistingUnit {
                    id: ids[i],
                    level: i as i32 + 1,
                    name: r.name.clone(),
                    parent: i.checked_sub(1).map(|p| ids[p]),
                },
            );
        }
        let plan = plan_import(&rows, 4, &existing).unwrap();
        assert_eq!(
            (plan.creates.len(), plan.updates.len(), plan.unchanged),
            (0, 0, 4)
        );

        let mut more = rows.clone();
        more.push(row(6, "360104009010", "360104009000", "4", "新社区"));
        more[1].name = "青云谱区（新）".into();
        let plan = plan_import(&more, 4, &existing).unwrap();
        assert_eq!(plan.creates.len(), 1);
        assert_eq!(plan.creates[0].parent, ParentRef::Existing(ids[2]));
        assert_eq!(plan.updates.len(), 1);
        assert_eq!(plan.updates[0].name.as_deref(), Some("青云谱区（新）"));
        assert_eq!(plan.unchanged, 3);
    }

    #[test]
    fn a_parent_may_be_a_unit_the_tenant_already_has() {
        let mut existing = HashMap::new();
        let street = UnitId(Uuid::from_u128(7));
        existing.insert(
            "360104009000".to_owned(),
            ExistingUnit {
                id: street,
                level: 3,
                name: "徐家坊街道".into(),
                parent: None,
            },
        );
        let rows = vec![row(
            2,
            "360104009009",
            "360104009000",
            "4",
            "洪城路社区居委会",
        )];
        let plan = plan_import(&rows, 4, &existing).unwrap();
        assert_eq!(plan.creates[0].parent, ParentRef::Existing(street));
    }

    #[test]
    fn an_existing_code_cannot_change_level() {
        let mut existing = HashMap::new();
        existing.insert(
            "360100000000".to_owned(),
            ExistingUnit {
                id: UnitId(Uuid::nil()),
                level: 2,
                name: "南昌市".into(),
                parent: None,
            },
        );
        let errors = plan_import(&nanchang_rows()[..1], 4, &existing).unwrap_err();
        assert_eq!(errors[0].reason, "level_changed");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    /// A valid division file of up to 60 rows in random order: (code, parent code, level).
    fn file() -> impl Strategy<Value = Vec<RawRow>> {
        prop::collection::vec(any::<prop::sample::Index>(), 1..60).prop_flat_map(|parents| {
            let mut levels: Vec<i32> = Vec::new();
            let mut parent_of: Vec<Option<usize>> = Vec::new();
            for (i, p) in parents.iter().enumerate() {
                // A unit hangs under an earlier unit above the lowest tier, or is a root.
                let candidates: Vec<usize> = (0..i).filter(|j| levels[*j] < 4).collect();
                let parent = (!candidates.is_empty() && i % 5 != 0)
                    .then(|| candidates[p.index(candidates.len())]);
                levels.push(parent.map_or(1, |j| levels[j] + 1));
                parent_of.push(parent);
            }
            let rows: Vec<RawRow> = (0..parents.len())
                .map(|i| RawRow {
                    line: i + 2,
                    code: format!("C{i:04}"),
                    parent_code: parent_of[i].map(|j| format!("C{j:04}")).unwrap_or_default(),
                    level: levels[i].to_string(),
                    name: format!("单位{i}"),
                })
                .collect();
            Just(rows).prop_shuffle()
        })
    }

    proptest! {
        /// Any valid file plans every row, each parent before its children; planning the same
        /// file against what it created changes nothing.
        #[test]
        fn a_valid_file_plans_whole_and_is_idempotent(rows in file()) {
            let plan = plan_import(&rows, 4, &HashMap::new()).unwrap();
            prop_assert_eq!(plan.creates.len(), rows.len());
            for (i, unit) in plan.creates.iter().enumerate() {
                if let ParentRef::New(p) = unit.parent {
                    prop_assert!(p < i);
                    prop_assert_eq!(plan.creates[p].level + 1, unit.level);
                }
            }
            let ids: Vec<UnitId> = (0..plan.creates.len()).map(|i| UnitId(Uuid::from_u128(i as u128 + 1))).collect();
            let existing: HashMap<String, ExistingUnit> = plan
                .creates
                .iter()
                .enumerate()
                .map(|(i, u)| {
                    let parent = match u.parent {
                        ParentRef::New(p) => Some(ids[p]),
                        _ => None,
                    };
                    (u.code.as_str().to_owned(), ExistingUnit { id: ids[i], level: u.level, name: u.name.clone(), parent })
                })
                .collect();
            let again = plan_import(&rows, 4, &existing).unwrap();
            prop_assert_eq!((again.creates.len(), again.updates.len(), again.unchanged), (0, 0, rows.len()));
        }
    }
}
