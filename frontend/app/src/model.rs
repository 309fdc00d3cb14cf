//! The JSON the portal reads from and sends to `/api/v1` — read views and write forms, as the
//! API documents them. Only the fields a screen shows are required; the rest default.
use minqing_domain::i18n::Lang;
use minqing_domain::role::Role;
use minqing_domain::{AccountId, TenantId, UnitId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One page of a list: `{"items": […], "next_cursor": … | null}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LoginResponse {
    pub csrf_token: String,
    #[serde(default)]
    pub must_change_password: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoginRequest {
    pub tenant: String,
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// `GET /auth/me`: who is signed in, where, and with which grants.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Me {
    pub tenant: TenantBrief,
    pub account: AccountBrief,
    #[serde(default)]
    pub grants: Vec<Grant>,
    pub csrf_token: String,
}

impl Me {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    pub fn is_operator(&self) -> bool {
        self.has_role(Role::PlatformOperator)
    }

    /// Any grant inside a tenant lets its holder browse (part of) the hierarchy.
    pub fn sees_units(&self) -> bool {
        self.grants.iter().any(|g| g.role != Role::PlatformOperator)
    }

    /// Where to go after signing in.
    pub fn landing_page(&self) -> &'static str {
        if self.account.must_change_password {
            "/password"
        } else if self.is_operator() && !self.sees_units() {
            "/platform/tenants"
        } else {
            "/units"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TenantBrief {
    pub id: TenantId,
    pub slug: String,
    #[serde(default, deserialize_with = "nullable")]
    pub kind: String,
    pub name_zh: String,
    pub name_en: String,
}

impl TenantBrief {
    pub fn name(&self, lang: Lang) -> &str {
        localized(lang, &self.name_zh, &self.name_en)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AccountBrief {
    pub id: AccountId,
    pub username: String,
    #[serde(default, deserialize_with = "nullable")]
    pub display_name: String,
    #[serde(default)]
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Grant {
    pub id: Uuid,
    pub role: Role,
    #[serde(default)]
    pub unit_id: Option<UnitId>,
    #[serde(default)]
    pub unit_name: Option<String>,
}

/// A unit as lists, search results and the detail page return it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    #[serde(default)]
    pub code: Option<String>,
    pub name: String,
    #[serde(default)]
    pub level: i32,
    #[serde(default, deserialize_with = "nullable")]
    pub tier_key: String,
    #[serde(default, deserialize_with = "nullable")]
    pub tier_label_zh: String,
    #[serde(default, deserialize_with = "nullable")]
    pub tier_label_en: String,
    #[serde(default)]
    pub parent_id: Option<UnitId>,
    #[serde(default)]
    pub child_count: i64,
    #[serde(default)]
    pub archived: bool,
    /// Root first; present on search results and on `GET /units/{id}`.
    #[serde(default, deserialize_with = "nullable")]
    pub ancestors: Vec<Ancestor>,
}

impl Unit {
    pub fn tier_label(&self, lang: Lang) -> &str {
        localized(lang, &self.tier_label_zh, &self.tier_label_en)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Ancestor {
    pub id: UnitId,
    pub name: String,
}

/// `GET /units/{id}`: the unit, its ancestors and its recorded changes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub unit: Unit,
    #[serde(default, deserialize_with = "nullable")]
    pub history: Vec<HistoryEntry>,
}

/// A recorded boundary change (区划调整): `renamed`, `recoded`, `moved`, `merged`, `abolished`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HistoryEntry {
    pub change: String,
    #[serde(default)]
    pub old_code: Option<String>,
    #[serde(default)]
    pub new_code: Option<String>,
    #[serde(default)]
    pub old_name: Option<String>,
    #[serde(default)]
    pub new_name: Option<String>,
    /// A date, `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "nullable")]
    pub effective_on: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImportSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// One rejected line of an import file (`error.rows`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImportRowError {
    pub line: u64,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub reason: String,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    #[serde(default, deserialize_with = "nullable")]
    pub kind: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default, deserialize_with = "nullable")]
    pub time_zone: String,
    #[serde(default, deserialize_with = "nullable")]
    pub status: String,
}

impl Tenant {
    pub fn is_suspended(&self) -> bool {
        self.status == "suspended"
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateTenantRequest {
    pub name_zh: String,
    pub name_en: String,
    pub time_zone: String,
}

/// `POST /platform/tenants`; the admin's password is returned once when generated.
#[derive(Debug, Clone, Serialize)]
pub struct CreateTenantRequest {
    pub slug: String,
    pub kind: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreatedTenant {
    #[serde(flatten)]
    pub tenant: Tenant,
    #[serde(default)]
    pub admin_password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TierView {
    pub level: i32,
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    #[serde(default)]
    pub unit_count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateTierRequest {
    pub label_zh: String,
    pub label_en: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    #[serde(default, deserialize_with = "nullable")]
    pub display_name: String,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub must_change_password: bool,
    #[serde(default)]
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreateAccountRequest {
    pub username: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreatedAccount {
    #[serde(flatten)]
    pub account: Account,
    #[serde(default)]
    pub generated_password: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreateGrantRequest {
    pub role: Role,
    pub unit_id: Option<UnitId>,
}

/// A field that may be absent or `null`: both read as the type's default.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Picks the text for the current language.
pub fn localized<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En if en.is_empty() => zh,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_reads_with_null_tier_fields_and_ancestors() {
        let unit: Unit = serde_json::from_str(
            r#"{"id":"0190c8a0-0000-7000-8000-000000000001","code":null,"name":"洪城路社区居委会",
                "level":4,"tier_key":null,"tier_label_zh":null,"tier_label_en":null,"parent_id":null,
                "child_count":0,"archived":false,
                "ancestors":[{"id":"0190c8a0-0000-7000-8000-000000000002","name":"南昌市","code":"360100000000","level":1}]}"#,
        )
        .unwrap();
        assert_eq!(unit.tier_key, "");
        assert_eq!(unit.ancestors[0].name, "南昌市");
    }

    #[test]
    fn english_falls_back_to_chinese_when_missing() {
        assert_eq!(localized(Lang::En, "南昌市", ""), "南昌市");
        assert_eq!(localized(Lang::En, "南昌市", "Nanchang"), "Nanchang");
    }
}
