//! Accounts and their role grants, each grant scoped to the whole tenant or one unit's subtree.
use minqing_domain::access::{Actor, Grant, GrantScope, Reach};
use minqing_domain::role::Role;
use minqing_domain::unit::UnitPath;
use minqing_domain::{AccountId, UnitId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{account, grant, unit};
use crate::error::{Result, StorageError, on_unique};
use crate::passwords::{generate_password, hash_generated_password, hash_many, hash_password};
use crate::scope::TenantScope;
use crate::tiers::json;

#[derive(Debug, Clone, Serialize)]
pub struct GrantView {
    pub id: Uuid,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub unit_name: Option<String>,
    #[serde(skip)]
    pub unit_path: Option<UnitPath>,
}

/// A leader a unit answers to, as warnings and their notifications name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaderRef {
    pub id: AccountId,
    pub name: String,
}

/// The leaders of the deepest unit on `path` that has any, among `grants` (leader grants)
/// held by `enabled` accounts, with that unit's path.
fn nearest_leaders(
    path: &UnitPath,
    grants: &[grant::Model],
    enabled: &std::collections::HashMap<Uuid, String>,
) -> (Option<UnitPath>, Vec<LeaderRef>) {
    let ids = path.ids();
    let mut prefixes = Vec::with_capacity(ids.len());
    for id in &ids {
        prefixes.push(match prefixes.last() {
            None => UnitPath::root(*id),
            Some(parent) => UnitPath::child(parent, *id),
        });
    }
    for (unit, led) in ids.iter().zip(prefixes).rev() {
        let mut leaders: Vec<LeaderRef> = grants
            .iter()
            .filter(|g| g.unit_id == Some(unit.0))
            .filter_map(|g| {
                enabled.get(&g.account_id).map(|name| LeaderRef {
                    id: AccountId(g.account_id),
                    name: name.clone(),
                })
            })
            .collect();
        if !leaders.is_empty() {
            leaders.sort_by(|a, b| a.name.cmp(&b.name));
            leaders.dedup();
            return (Some(led), leaders);
        }
    }
    (None, Vec::new())
}

/// Who is asking, as one request resolves it.
#[derive(Debug, Clone)]
pub struct ResolvedCaller {
    pub tenant: crate::platform::TenantView,
    pub account: AccountView,
    /// The tenant's settings version, for the settings cache (`settings`).
    pub settings_version: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub must_change_password: bool,
    pub grants: Vec<GrantView>,
}

impl AccountView {
    /// The authenticated caller this account acts as.
    pub fn actor(&self, tenant: minqing_domain::TenantId) -> Actor {
        Actor {
            tenant,
            account: self.id,
            username: self.username.clone(),
            grants: self
                .grants
                .iter()
                .map(|g| Grant {
                    role: g.role,
                    scope: match (&g.unit_id, &g.unit_path) {
                        (Some(unit), Some(path)) => GrantScope::Subtree {
                            unit: *unit,
                            path: path.clone(),
                        },
                        _ => GrantScope::Tenant,
                    },
                })
                .collect(),
        }
    }

    /// True when every grant lies within `reach` (a scoped admin may manage this account).
    pub fn is_within(&self, reach: &Reach) -> bool {
        match reach {
            Reach::All => true,
            Reach::Nothing => false,
            Reach::Subtrees(_) => self
                .grants
                .iter()
                .any(|g| g.unit_path.as_ref().is_some_and(|p| reach.covers(p))),
        }
    }
}

/// What `verify_login` needs and nothing more.
pub struct Credentials {
    pub id: AccountId,
    pub password_hash: String,
    pub disabled: bool,
    pub must_change_password: bool,
}

/// A new account: the password is generated (and must be changed at first login) when absent.
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub password: Option<String>,
}

pub struct Accounts<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts { scope: self }
    }
}

impl Accounts<'_> {
    fn tenant_filter(&self) -> Condition {
        Condition::all().add(account::Column::TenantId.eq(self.scope.tenant.0))
    }

    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        Ok(account::Entity::find()
            .filter(self.tenant_filter())
            .filter(account::Column::Username.eq(username))
            .one(&self.scope.tx)
            .await?
            .map(|a| Credentials {
                id: AccountId(a.id),
                password_hash: a.password_hash,
                disabled: a.disabled,
                must_change_password: a.must_change_password,
            }))
    }

    /// The leaders the unit at `path` answers to: the enabled accounts holding a leader grant
    /// on the unit itself or, where it has none, on its nearest ancestor that has one; none
    /// when no unit on the path has a leader. Answered with the path of the unit they lead.
    pub async fn leaders_of(&self, path: &UnitPath) -> Result<(Option<UnitPath>, Vec<LeaderRef>)> {
        let mut each = self.leaders_of_each(std::slice::from_ref(path)).await?;
        Ok(each.pop().unwrap_or((None, Vec::new())))
    }

    /// [`Self::leaders_of`] for each of `paths`, in their order, in two queries whatever
    /// their number (a page of warnings names the leaders of each unit on it).
    pub async fn leaders_of_each(
        &self,
        paths: &[UnitPath],
    ) -> Result<Vec<(Option<UnitPath>, Vec<LeaderRef>)>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let units: std::collections::BTreeSet<Uuid> =
            paths.iter().flat_map(UnitPath::ids).map(|u| u.0).collect();
        let grants = grant::Entity::find()
            .filter(grant::Column::TenantId.eq(self.scope.tenant.0))
            .filter(grant::Column::Role.eq(Role::Leader.as_str()))
            .filter(grant::Column::UnitId.is_in(units))
            .all(&self.scope.tx)
            .await?;
        let accounts: Vec<Uuid> = grants.iter().map(|g| g.account_id).collect();
        let enabled: std::collections::HashMap<Uuid, String> = account::Entity::find()
            .filter(self.tenant_filter())
            .filter(account::Column::Id.is_in(accounts))
            .filter(account::Column::Disabled.eq(false))
            .all(&self.scope.tx)
            .await?
            .into_iter()
            .map(|a| (a.id, a.display_name))
            .collect();
        Ok(paths
            .iter()
            .map(|path| nearest_leaders(path, &grants, &enabled))
            .collect())
    }

    pub async fn password_hash(&self, id: AccountId) -> Result<String> {
        Ok(self.model(id).await?.password_hash)
    }

    async fn model(&self, id: AccountId) -> Result<account::Model> {
        account::Entity::find()
            .filter(self.tenant_filter())
            .filter(account::Column::Id.eq(id.0))
            .one(&self.scope.tx)
            .await?
            .ok_or(StorageError::NotFound)
    }

    pub async fn get(&self, id: AccountId) -> Result<AccountView> {
        let model = self.model(id).await?;
        let mut views = self.with_grants(vec![model]).await?;
        Ok(views.remove(0))
    }

    /// Accounts in username order, paged by username.
    pub async fn list(
        &self,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<(Vec<AccountView>, Option<String>)> {
        let mut select = account::Entity::find().filter(self.tenant_filter());
        if let Some(after) = cursor {
            select = select.filter(account::Column::Username.gt(after));
        }
        let rows = select
            .order_by_asc(account::Column::Username)
            .limit(limit + 1)
            .all(&self.scope.tx)
            .await?;
        let (rows, next) = crate::paging::page(rows, limit, |a| a.username.clone());
        Ok((self.with_grants(rows).await?, next))
    }

    async fn with_grants(&self, accounts: Vec<account::Model>) -> Result<Vec<AccountView>> {
        let ids: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
        let grants = grant::Entity::find()
            .filter(grant::Column::TenantId.eq(self.scope.tenant.0))
            .filter(grant::Column::AccountId.is_in(ids))
            .order_by_asc(grant::Column::Id)
            .all(&self.scope.tx)
            .await?;
        let unit_ids: Vec<Uuid> = grants.iter().filter_map(|g| g.unit_id).collect();
        let units = if unit_ids.is_empty() {
            Vec::new()
        } else {
            unit::Entity::find()
                .filter(unit::Column::TenantId.eq(self.scope.tenant.0))
                .filter(unit::Column::Id.is_in(unit_ids))
                .all(&self.scope.tx)
                .await?
        };
        Ok(accounts
            .into_iter()
            .map(|a| AccountView {
                id: AccountId(a.id),
                grants: grants
                    .iter()
                    .filter(|g| g.account_id == a.id)
                    .filter_map(|g| {
                        let role = Role::parse(&g.role).ok()?;
                        let unit = g.unit_id.and_then(|u| units.iter().find(|x| x.id == u));
                        Some(GrantView {
                            id: g.id,
                            role,
                            unit_id: g.unit_id.map(UnitId),
                            unit_name: unit.map(|u| u.name.clone()),
                            unit_path: unit.map(|u| UnitPath::from_stored(u.path.clone())),
                        })
                    })
                    .collect(),
                username: a.username,
                display_name: a.display_name,
                disabled: a.disabled,
                must_change_password: a.must_change_password,
            })
            .collect())
    }

    /// The tenant and the account of a request's caller, with its grants, in one round trip
    /// (every authenticated request starts here). `NotFound` when the account is gone.
    pub async fn caller(&self, id: AccountId) -> Result<ResolvedCaller> {
        use minqing_domain::tenant::{TenantKind, TenantStatus};
        use sea_orm::ConnectionTrait;
        const SQL: &str = "SELECT t.id AS t_id, t.slug AS t_slug, t.kind AS t_kind, \
             t.name_zh AS t_name_zh, t.name_en AS t_name_en, t.time_zone AS t_time_zone, \
             t.status AS t_status, t.settings_version AS t_settings_version, a.username AS a_username, a.display_name AS a_display_name, \
             a.disabled AS a_disabled, a.must_change_password AS a_must_change, g.id AS g_id, \
             g.role AS g_role, g.unit_id AS g_unit_id, u.name AS u_name, u.path AS u_path \
             FROM accounts a JOIN tenants t ON t.id = a.tenant_id \
             LEFT JOIN grants g ON g.tenant_id = a.tenant_id AND g.account_id = a.id \
             LEFT JOIN units u ON u.tenant_id = g.tenant_id AND u.id = g.unit_id \
             WHERE a.tenant_id = $1 AND a.id = $2 ORDER BY g.id";
        let rows = self
            .scope
            .tx
            .query_all_raw(
                self.scope
                    .statement(SQL, [self.scope.tenant.0.into(), id.0.into()]),
            )
            .await?;
        let first = rows.first().ok_or(StorageError::NotFound)?;
        let tenant = crate::platform::TenantView {
            id: minqing_domain::TenantId(first.try_get("", "t_id")?),
            slug: first.try_get("", "t_slug")?,
            kind: TenantKind::from_db(&first.try_get::<String>("", "t_kind")?),
            name_zh: first.try_get("", "t_name_zh")?,
            name_en: first.try_get("", "t_name_en")?,
            time_zone: first.try_get("", "t_time_zone")?,
            status: TenantStatus::from_db(&first.try_get::<String>("", "t_status")?),
        };
        let mut grants = Vec::new();
        for row in &rows {
            let Some(grant_id) = row.try_get::<Option<Uuid>>("", "g_id")? else {
                continue;
            };
            let Ok(role) = Role::parse(&row.try_get::<String>("", "g_role")?) else {
                continue;
            };
            let path: Option<String> = row.try_get("", "u_path")?;
            grants.push(GrantView {
                id: grant_id,
                role,
                unit_id: row.try_get::<Option<Uuid>>("", "g_unit_id")?.map(UnitId),
                unit_name: row.try_get("", "u_name")?,
                unit_path: path.map(UnitPath::from_stored),
            });
        }
        let account = AccountView {
            id,
            username: first.try_get("", "a_username")?,
            display_name: first.try_get("", "a_display_name")?,
            disabled: first.try_get("", "a_disabled")?,
            must_change_password: first.try_get("", "a_must_change")?,
            grants,
        };
        Ok(ResolvedCaller {
            tenant,
            account,
            settings_version: first.try_get("", "t_settings_version")?,
        })
    }

    /// Creates an account; returns it and the generated password, if one was generated.
    pub async fn create(&self, new: NewAccount) -> Result<(AccountView, Option<String>)> {
        let (password, generated) = match new.password {
            Some(p) => (p, None),
            None => {
                let p = generate_password();
                (p.clone(), Some(p))
            }
        };
        let id = AccountId(crate::new_id());
        let now = crate::now();
        account::Entity::insert(account::ActiveModel {
            id: Set(id.0),
            tenant_id: Set(self.scope.tenant.0),
            username: Set(new.username),
            display_name: Set(new.display_name),
            password_hash: Set(if generated.is_some() {
                hash_generated_password(&password)
            } else {
                hash_password(&password)
            }),
            must_change_password: Set(generated.is_some()),
            disabled: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(&self.scope.tx)
        .await
        .map_err(|e| on_unique(e, "username_taken"))?;
        let view = self.get(id).await?;
        self.scope
            .oplog()
            .record("account.created", "account", Some(id.0), None, json(&view))
            .await?;
        Ok((view, generated))
    }

    pub async fn update_display_name(
        &self,
        id: AccountId,
        display_name: String,
    ) -> Result<AccountView> {
        let before = self.get(id).await?;
        self.update(id, |a| a.display_name = Set(display_name))
            .await?;
        self.changed("account.updated", before).await
    }

    /// Disabling also ends the account's sessions (the caller does that through SessionStore).
    pub async fn set_disabled(&self, id: AccountId, disabled: bool) -> Result<AccountView> {
        let before = self.get(id).await?;
        self.update(id, |a| a.disabled = Set(disabled)).await?;
        let action = if disabled {
            "account.disabled"
        } else {
            "account.enabled"
        };
        self.changed(action, before).await
    }

    /// Sets a password; `must_change` marks one someone else chose (a reset).
    pub async fn set_password(
        &self,
        id: AccountId,
        password: &str,
        must_change: bool,
    ) -> Result<()> {
        let hash = hash_password(password);
        self.update(id, |a| {
            a.password_hash = Set(hash);
            a.must_change_password = Set(must_change);
        })
        .await?;
        let action = if must_change {
            "account.password_reset"
        } else {
            "account.password_changed"
        };
        // Never log the password or its hash.
        self.scope
            .oplog()
            .record(action, "account", Some(id.0), None, None)
            .await
    }

    async fn update(
        &self,
        id: AccountId,
        fill: impl FnOnce(&mut account::ActiveModel),
    ) -> Result<()> {
        let mut active = account::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(id.0),
            updated_at: Set(crate::now()),
            ..Default::default()
        };
        fill(&mut active);
        let done = account::Entity::update_many()
            .set(active)
            .filter(self.tenant_filter())
            .filter(account::Column::Id.eq(id.0))
            .exec(&self.scope.tx)
            .await?;
        if done.rows_affected == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    async fn changed(&self, action: &str, before: AccountView) -> Result<AccountView> {
        let after = self.get(before.id).await?;
        self.scope
            .oplog()
            .record(
                action,
                "account",
                Some(before.id.0),
                json(&before),
                json(&after),
            )
            .await?;
        Ok(after)
    }

    /// Grants `role` over `unit`'s subtree (the whole tenant when None).
    pub async fn grant(
        &self,
        id: AccountId,
        role: Role,
        unit: Option<UnitId>,
    ) -> Result<AccountView> {
        let before = self.get(id).await?;
        if before
            .grants
            .iter()
            .any(|g| g.role == role && g.unit_id == unit)
        {
            return Ok(before);
        }
        grant::Entity::insert(self.grant_model(id.0, role, unit))
            .exec(&self.scope.tx)
            .await?;
        self.changed("grant.added", before).await
    }

    pub async fn revoke(&self, id: AccountId, grant_id: Uuid) -> Result<AccountView> {
        let before = self.get(id).await?;
        if !before.grants.iter().any(|g| g.id == grant_id) {
            return Err(StorageError::NotFound);
        }
        grant::Entity::delete_many()
            .filter(grant::Column::TenantId.eq(self.scope.tenant.0))
            .filter(grant::Column::AccountId.eq(id.0))
            .filter(grant::Column::Id.eq(grant_id))
            .exec(&self.scope.tx)
            .await?;
        self.changed("grant.removed", before).await
    }
}

/// What an account import did; generated passwords are shown once, here.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountImportReport {
    pub created: usize,
    pub grants_added: usize,
    pub passwords: Vec<GeneratedPassword>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeneratedPassword {
    pub username: String,
    pub generated_password: String,
}

impl Accounts<'_> {
    /// Imports accounts with their grants in this transaction: any bad row and nothing is written.
    pub async fn import(
        &self,
        rows: &[minqing_domain::account_import::AccountRow],
        unreadable: Vec<minqing_domain::division_import::RowError>,
        reach: &Reach,
        platform: bool,
    ) -> Result<AccountImportReport> {
        use minqing_domain::account_import::{
            AccountImportContext, GrantSpec, plan_account_import,
        };
        use std::collections::HashMap;

        let units = self.scope.units().live_codes().await?;
        let models = account::Entity::find()
            .filter(self.tenant_filter())
            .all(&self.scope.tx)
            .await?;
        let accounts: HashMap<String, (AccountId, Vec<GrantSpec>)> = self
            .with_grants(models)
            .await?
            .into_iter()
            .map(|a| {
                let grants = a.grants.iter().map(|g| (g.role, g.unit_id)).collect();
                (a.username, (a.id, grants))
            })
            .collect();
        let ctx = AccountImportContext {
            units: &units,
            accounts: &accounts,
            reach,
            platform,
        };
        let plan = crate::error::import_plan(plan_account_import(rows, &ctx), unreadable)?;

        let passwords: Vec<(String, bool)> = plan
            .creates
            .iter()
            .map(|a| match &a.password {
                Some(p) => (p.clone(), false),
                None => (generate_password(), true),
            })
            .collect();
        let to_hash = passwords.clone();
        let hashes = tokio::task::spawn_blocking(move || hash_many(&to_hash))
            .await
            .map_err(|e| StorageError::Db(sea_orm::DbErr::Custom(format!("hashing: {e}"))))?;

        let now = crate::now();
        let mut new_accounts = Vec::with_capacity(plan.creates.len());
        let mut new_grants = Vec::new();
        let mut generated = Vec::new();
        for ((planned, (password, was_generated)), hash) in
            plan.creates.iter().zip(&passwords).zip(hashes)
        {
            let id = crate::new_id();
            new_accounts.push(account::ActiveModel {
                id: Set(id),
                tenant_id: Set(self.scope.tenant.0),
                username: Set(planned.username.clone()),
                display_name: Set(planned.display_name.clone()),
                password_hash: Set(hash),
                must_change_password: Set(*was_generated),
                disabled: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            });
            for (role, unit) in &planned.grants {
                new_grants.push(self.grant_model(id, *role, *unit));
            }
            if *was_generated {
                generated.push(GeneratedPassword {
                    username: planned.username.clone(),
                    generated_password: password.clone(),
                });
            }
        }
        for (account, role, unit) in &plan.grants {
            new_grants.push(self.grant_model(account.0, *role, *unit));
        }
        let report = AccountImportReport {
            created: new_accounts.len(),
            grants_added: new_grants.len(),
            passwords: generated,
        };
        // 9 columns a row: 1,000 rows a statement stays under both databases' limits.
        for chunk in new_accounts.chunks(1000) {
            account::Entity::insert_many(chunk.to_vec())
                .exec(&self.scope.tx)
                .await
                .map_err(|e| on_unique(e, "username_taken"))?;
        }
        for chunk in new_grants.chunks(1000) {
            grant::Entity::insert_many(chunk.to_vec())
                .exec(&self.scope.tx)
                .await?;
        }
        let summary = serde_json::json!({
            "created": plan.creates.iter().map(|a| &a.username).collect::<Vec<_>>(),
            "grants_added": report.grants_added,
        });
        self.scope
            .oplog()
            .record("accounts.imported", "account", None, None, Some(summary))
            .await?;
        Ok(report)
    }

    fn grant_model(&self, account: Uuid, role: Role, unit: Option<UnitId>) -> grant::ActiveModel {
        grant::ActiveModel {
            id: Set(crate::new_id()),
            tenant_id: Set(self.scope.tenant.0),
            account_id: Set(account),
            role: Set(role.as_str().to_owned()),
            unit_id: Set(unit.map(|u| u.0)),
            created_at: Set(crate::now()),
        }
    }
}
