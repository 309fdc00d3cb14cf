//! The JSON the portal reads from and sends to `/api/v1` — read views and write forms, as the
//! API documents them. Only the fields a screen shows are required; the rest default.
use chrono::{DateTime, Utc};
use minqing_domain::accountability::{AccountabilityRules, CaseStatus, Outcome};
use minqing_domain::calendar::CalendarEntry;
use minqing_domain::crypto_choice::{CipherAlgorithm, HashAlgorithm};
use minqing_domain::demand::deadline::DeadlineRules;
use minqing_domain::demand::lifecycle::{Action, DeadlineKind, Status};
use minqing_domain::demand::routing::RoutingRules;
use minqing_domain::demand::{Channel, Grade, Satisfaction};
use minqing_domain::i18n::Lang;
use minqing_domain::notification::{Audience, ChannelKind};
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

    /// Every role inside a tenant reads the demand ledger (within its grants).
    pub fn sees_demands(&self) -> bool {
        self.sees_units()
    }

    /// Roles that record new demands (intake): all but auditors and operators.
    pub fn records_demands(&self) -> bool {
        self.grants.iter().any(|g| {
            matches!(
                g.role,
                Role::TenantAdmin | Role::Leader | Role::Cadre | Role::Recorder
            )
        })
    }

    /// Roles that may see a resident's contact details in full (each view is recorded); the
    /// API still decides per demand.
    pub fn may_reveal_personal_data(&self) -> bool {
        self.grants
            .iter()
            .any(|g| matches!(g.role, Role::Leader | Role::Cadre))
    }

    /// Administrators over the whole tenant: its settings are theirs.
    pub fn is_tenant_wide_admin(&self) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == Role::TenantAdmin && g.unit_id.is_none())
    }

    /// Roles that review and decide accountability cases (over their units; the API decides
    /// per case).
    pub fn decides_cases(&self) -> bool {
        self.grants
            .iter()
            .any(|g| matches!(g.role, Role::TenantAdmin | Role::Leader))
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

/// A demand category of the tenant (`GET /tenant/categories`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Category {
    pub key: String,
    pub label_zh: String,
    #[serde(default, deserialize_with = "nullable")]
    pub label_en: String,
    #[serde(default)]
    pub retired: bool,
}

impl Category {
    pub fn label(&self, lang: Lang) -> &str {
        localized(lang, &self.label_zh, &self.label_en)
    }
}

/// The label of a category key: the tenant's list when known, else the default taxonomy, else
/// the key itself.
pub fn category_label(categories: &[Category], key: &str, lang: Lang) -> String {
    if let Some(c) = categories.iter().find(|c| c.key == key) {
        return c.label(lang).to_owned();
    }
    minqing_domain::demand::DEFAULT_CATEGORIES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| localized(lang, zh, en).to_owned())
        .unwrap_or_else(|| key.to_owned())
}

/// A unit as a demand names it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UnitRef {
    pub id: UnitId,
    pub name: String,
}

/// A demand as cadres see it (`GET /demands/{id}`, list items, answers of actions); phone and
/// ID number come masked.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Demand {
    pub id: Uuid,
    pub receipt_code: String,
    pub status: Status,
    pub grade: Grade,
    pub category: String,
    pub channel: Channel,
    pub title: String,
    #[serde(default, deserialize_with = "nullable")]
    pub description: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub resident_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    pub origin_unit: UnitRef,
    pub handling_unit: UnitRef,
    #[serde(default, deserialize_with = "nullable")]
    pub handling_tier: String,
    #[serde(default, deserialize_with = "nullable")]
    pub assists: Vec<UnitRef>,
    pub received_at: DateTime<Utc>,
    #[serde(default)]
    pub assigned_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reply_due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resolve_due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub replied_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub satisfaction: Option<Satisfaction>,
    #[serde(default)]
    pub merged_into: Option<Uuid>,
    #[serde(default)]
    pub escalations: u32,
    #[serde(default)]
    pub reopenings: u32,
    /// Deadlines of the current handling unit that have passed unmet (`reply`, `resolve`).
    #[serde(default, deserialize_with = "nullable")]
    pub overdue: Vec<String>,
    /// What the caller may do with it now.
    #[serde(default, deserialize_with = "nullable")]
    pub actions: Vec<Action>,
}

impl Demand {
    /// The deadline the handling unit owes next: the reply until one is given, then the
    /// resolution; none once the demand is no longer open.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        if !self.status.is_open() {
            return None;
        }
        let reply = self.reply_due_at.filter(|_| self.replied_at.is_none());
        match (reply, self.resolve_due_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn is_overdue(&self) -> bool {
        !self.overdue.is_empty()
    }
}

/// `GET /demands/counts`: one entry per status.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StatusCount {
    pub status: Status,
    pub count: i64,
}

/// One ledger event of a demand (`GET /demands/{id}/events`); `data` is the event as recorded.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LedgerEvent {
    pub seq: i64,
    pub kind: String,
    #[serde(default, deserialize_with = "nullable")]
    pub actor_username: String,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub data: serde_json::Value,
}

impl LedgerEvent {
    /// A text field of the event's data (`text`, `reason`, `comment`, `note`).
    pub fn text(&self, field: &str) -> Option<String> {
        self.data
            .get(field)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .filter(|s| !s.trim().is_empty())
    }

    /// The units an event names: a new handling unit, a co-handling unit.
    pub fn unit(&self) -> Option<UnitId> {
        let raw = self
            .data
            .get("unit")
            .or_else(|| self.data.get("assignment").and_then(|a| a.get("unit")))?;
        serde_json::from_value(raw.clone()).ok()
    }

    pub fn satisfaction(&self) -> Option<Satisfaction> {
        serde_json::from_value(self.data.get("satisfaction")?.clone()).ok()
    }
}

/// A photo or document filed with a demand (`GET /demands/{id}/attachments`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Attachment {
    pub id: Uuid,
    pub file_name: String,
    #[serde(default)]
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    pub uploaded_at: DateTime<Utc>,
}

/// `POST /demands` (intake).
/// A unit offered on the residents' online form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublicUnit {
    pub id: UnitId,
    pub name: String,
    #[serde(default)]
    pub has_children: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntakeRequest {
    pub origin_unit: UnitId,
    pub channel: Channel,
    pub grade: Grade,
    pub category: String,
    pub title: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// The visit it was raised at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visit: Option<Uuid>,
}

/// `POST /demands/{id}/personal-data`: the resident's details in full (the view is recorded).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PersonalData {
    #[serde(default)]
    pub resident_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
}

/// `GET /public/{tenant}/demands/{code}`: what a resident sees by receipt code.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublicDemand {
    pub receipt_code: String,
    pub status: Status,
    pub grade: Grade,
    #[serde(default, deserialize_with = "nullable")]
    pub category: String,
    #[serde(default, deserialize_with = "nullable")]
    pub title: String,
    #[serde(default, deserialize_with = "nullable")]
    pub handling_unit: String,
    pub received_at: DateTime<Utc>,
    #[serde(default)]
    pub reply_due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub satisfaction: Option<Satisfaction>,
    /// The resident may rate it now (once per resolution).
    #[serde(default)]
    pub awaits_rating: bool,
    /// The rating asks for the last four digits of the phone left with it.
    #[serde(default)]
    pub asks_phone_digits: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub progress: Vec<PublicStep>,
}

/// The receipt page's rating (`POST /public/{tenant}/demands/{code}/rating`): the domain's form.
pub use minqing_domain::demand::rating::PublicRatingForm;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublicStep {
    pub kind: String,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub text: Option<String>,
}

/// A warning (预警) the sweeper raised against a handling unit (`GET /accountability/warnings`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Warning {
    pub id: Uuid,
    pub demand_id: Uuid,
    pub receipt_code: String,
    #[serde(default, deserialize_with = "nullable")]
    pub title: String,
    pub unit_id: UnitId,
    /// The deadlines of one clock it is about (one row per clock and level).
    pub deadlines: Vec<DeadlineKind>,
    /// `approaching` or `overdue`.
    pub level: String,
    pub due_at: DateTime<Utc>,
    pub raised_at: DateTime<Utc>,
    /// The leaders the warned unit answers to.
    #[serde(default)]
    pub leaders: Vec<LeaderName>,
}

/// A leader named on a warning.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LeaderName {
    pub id: Uuid,
    pub name: String,
}

/// An accountability case (问责, `GET /accountability/cases[/{id}]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Case {
    pub id: Uuid,
    pub demand_id: Uuid,
    pub receipt_code: String,
    #[serde(default, deserialize_with = "nullable")]
    pub title: String,
    pub unit_id: UnitId,
    /// The missed deadlines of the clock it is about.
    #[serde(default)]
    pub deadlines: Vec<DeadlineKind>,
    /// `serious_overdue` or `repeated_overdue`.
    pub reason: String,
    pub status: CaseStatus,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub outcome_text: Option<String>,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
    pub opened_at: DateTime<Utc>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
}

/// `POST /accountability/cases/{id}/{review|decide|close}`; only `decide` carries an outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaseStepRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome_text: Option<String>,
}

/// `GET /tenant/demand-rules`, the parts the portal edits. The answer is also kept whole and
/// the edited parts written over it, so a field this portal does not know survives a save.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DemandRules {
    pub routing: RoutingRules,
    pub deadlines: DeadlineRules,
    pub hash_algorithm: HashAlgorithm,
    pub cipher_algorithm: CipherAlgorithm,
    #[serde(default)]
    pub accountability: AccountabilityRules,
}

/// `PUT /tenant/calendar/{year}`: the year's holidays and make-up working days.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarYearRequest {
    pub entries: Vec<CalendarEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreateCategoryRequest {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UpdateCategoryRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_zh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired: Option<bool>,
}

/// A notification channel (`GET /tenant/notification-channels`); its secret is never shown.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NotificationChannel {
    pub id: Uuid,
    pub kind: ChannelKind,
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub url: String,
    pub audience: Audience,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewChannelRequest {
    pub kind: ChannelKind,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub audience: Audience,
}

/// One message of the outbox (`GET /tenant/notification-deliveries`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Delivery {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub topic: String,
    #[serde(default)]
    pub demand_id: Option<Uuid>,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    #[serde(default)]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An intake channel's API key as listed (`GET /tenant/api-keys`): never the key itself.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub channel: Channel,
    pub unit_id: UnitId,
    #[serde(default, deserialize_with = "nullable")]
    pub unit_name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewApiKeyRequest {
    pub name: String,
    pub channel: Channel,
    pub unit_id: UnitId,
}

/// `POST /tenant/api-keys`: the key's view and, this once, the key (null on a replayed answer).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub view: ApiKey,
    #[serde(default)]
    pub key: Option<String>,
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
    fn a_demand_reads_as_the_api_sends_it_and_knows_its_next_deadline() {
        let json = r#"{"id":"01a21498-29c9-7193-aa3c-f09032178325","receipt_code":"MUP5-RY3S-2SMX",
            "status":"in_progress","grade":"urgent","category":"daily_life","channel":"walk_in",
            "title":"楼道灯坏了","description":"不亮","address":null,"resident_name":null,
            "phone":"138****5678","id_number":null,
            "origin_unit":{"id":"01a21497-cf11-7653-abb6-9b02c61c37d6","name":"洪城路社区居委会"},
            "handling_unit":{"id":"01a21497-cf10-7382-aaac-dc02242b0074","name":"徐家坊街道"},
            "handling_tier":"street","assists":[],"visit":null,
            "received_at":"2026-11-25T21:24:06.215933Z","updated_at":"2026-11-25T21:24:06.215933Z",
            "assigned_at":"2026-11-25T21:24:06.215933Z","reply_due_at":"2026-12-03T16:00:00Z",
            "resolve_due_at":"2026-12-20T16:00:00Z","replied_at":"2026-11-26T01:00:00Z",
            "resolved_at":null,"closed_at":null,"satisfaction":null,"merged_into":null,
            "escalations":0,"reopenings":0,"overdue":["resolve"],
            "actions":["merge","reply","resolve","give_feedback"]}"#;
        let d: Demand = serde_json::from_str(json).unwrap();
        assert_eq!(d.status, Status::InProgress);
        assert_eq!(d.actions[3], Action::GiveFeedback);
        // Replied already: the resolution is what is owed next.
        assert_eq!(d.next_due(), d.resolve_due_at);
        assert!(d.is_overdue());
        assert_eq!(category_label(&[], "daily_life", Lang::Zh), "生活服务");
        assert_eq!(category_label(&[], "custom_key", Lang::En), "custom_key");
    }

    #[test]
    fn warnings_cases_and_rules_read_as_the_api_sends_them() {
        let w: Warning = serde_json::from_str(
            r#"{"id":"01a214d6-3920-7795-87e3-7c3f2ed2573b","demand_id":"01a214d6-3920-7795-87e3-7c3f2ed2573c",
                "receipt_code":"MUP5-RY3S-2SMX","title":"楼道灯坏了","unit_id":"01a21497-cf10-7382-aaac-dc02242b0074",
                "deadlines":["reply","resolve"],"level":"overdue","due_at":"2026-12-03T16:00:00Z","raised_at":"2026-12-03T16:05:00Z"}"#,
        )
        .unwrap();
        assert_eq!(w.deadlines, [DeadlineKind::Reply, DeadlineKind::Resolve]);
        let c: Case = serde_json::from_str(
            r#"{"id":"01a214d6-3920-7795-87e3-7c3f2ed2573b","demand_id":"01a214d6-3920-7795-87e3-7c3f2ed2573c",
                "receipt_code":"MUP5-RY3S-2SMX","title":"楼道灯坏了","unit_id":"01a21497-cf10-7382-aaac-dc02242b0074",
                "reason":"serious_overdue","status":"decided","outcome":"talk","outcome_text":"约谈",
                "decided_by":"district-leader","decided_at":"2026-12-09T02:00:00Z",
                "opened_at":"2026-12-08T16:05:00Z","closed_at":null}"#,
        )
        .unwrap();
        assert_eq!(c.status, CaseStatus::Decided);
        assert_eq!(c.outcome, Some(Outcome::Talk));
        // Only `decide` carries an outcome; the others send `{}`.
        assert_eq!(
            serde_json::to_string(&CaseStepRequest::default()).unwrap(),
            "{}"
        );
        let rules: DemandRules = serde_json::from_str(
            r#"{"routing":{"urgent":"street","worrying":"county","hard":"city","hoped_for":"city"},
                "deadlines":[{"tier":"street","reply_days":5,"resolve_days":null,"count":"working",
                              "auto_escalate":false,"warn_hours_before":24}],
                "hash_algorithm":"sm3","cipher_algorithm":"sm4_gcm"}"#,
        )
        .unwrap();
        assert_eq!(rules.hash_algorithm, HashAlgorithm::Sm3);
        assert_eq!(rules.cipher_algorithm, CipherAlgorithm::Sm4Gcm);
        assert_eq!(rules.accountability, AccountabilityRules::default());
        let created: CreatedApiKey = serde_json::from_str(
            r#"{"id":"01a214d6-3920-7795-87e3-7c3f2ed2573b","name":"12345 热线","channel":"hotline",
                "unit_id":"01a21497-cf10-7382-aaac-dc02242b0074","unit_name":"东街道","prefix":"abc.def123",
                "created_at":"2026-12-03T16:00:00Z","revoked_at":null,"key":"abc.secret"}"#,
        )
        .unwrap();
        assert_eq!(created.key.as_deref(), Some("abc.secret"));
        assert_eq!(created.view.channel, Channel::Hotline);
    }

    #[test]
    fn english_falls_back_to_chinese_when_missing() {
        assert_eq!(localized(Lang::En, "南昌市", ""), "南昌市");
        assert_eq!(localized(Lang::En, "南昌市", "Nanchang"), "Nanchang");
    }
}

/// A council member as the API shows them (phone masked).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CouncilMember {
    pub id: Uuid,
    pub name: String,
    pub category: minqing_domain::council::MemberCategory,
    pub role: minqing_domain::council::CouncilRole,
    pub organisation: Option<String>,
    pub term_start: String,
    pub term_end: Option<String>,
    pub serving: bool,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Council {
    pub members: Vec<CouncilMember>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Workroom {
    pub name: String,
    pub address: String,
    pub opening_hours: String,
    pub staff_on_duty: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WorkroomAnswer {
    pub workroom: Option<Workroom>,
}

/// An amount as the API gives it: fen, and yuan to show (¥2,200,000.00).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Money {
    pub fen: i64,
    pub yuan: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BudgetLine {
    pub id: Uuid,
    pub item: String,
    pub amount: Money,
    pub note: Option<String>,
    pub corrects: Option<Uuid>,
    pub reversed: Money,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Voucher {
    pub id: Uuid,
    pub file_name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Expenditure {
    pub id: Uuid,
    pub spent_on: String,
    pub payee: String,
    pub purpose: String,
    pub amount: Money,
    pub demand_id: Option<Uuid>,
    pub project: Option<String>,
    pub category: Option<String>,
    pub approved_by: Option<String>,
    pub corrects: Option<Uuid>,
    pub reason: Option<String>,
    #[serde(default)]
    pub vouchers: Vec<Voucher>,
}

/// `GET /units/{id}/budget`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UnitBudget {
    pub fiscal_year: i32,
    pub allocated: Money,
    pub spent: Money,
    pub remaining: Money,
    pub lines: Vec<BudgetLine>,
    pub expenditures: Vec<Expenditure>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Balance {
    pub allocated: Money,
    pub spent: Money,
    pub remaining: Money,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RollUpRow {
    pub unit_id: UnitId,
    pub name: String,
    pub own: bool,
    pub allocated: Money,
    pub spent: Money,
    pub remaining: Money,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CategorySpend {
    pub category: Option<String>,
    pub spent: Money,
}

/// `GET /budgets/rollup`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RollUp {
    pub total: Balance,
    pub rows: Vec<RollUpRow>,
    pub by_category: Vec<CategorySpend>,
}

/// `GET /councils/coverage`: per tier, how many units have a sitting council and a workroom.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TierCoverage {
    pub label_zh: String,
    #[serde(default, deserialize_with = "nullable")]
    pub label_en: String,
    pub units: u64,
    pub with_council: u64,
    pub with_workroom: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UncoveredUnit {
    pub id: UnitId,
    pub name: String,
    pub has_council: bool,
    pub has_workroom: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Coverage {
    pub tiers: Vec<TierCoverage>,
    pub uncovered: Vec<UncoveredUnit>,
    pub uncovered_total: u64,
}

/// An account or a unit as the visits API names it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Named {
    pub id: Uuid,
    pub name: String,
}

/// A visit as cadres see it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Visit {
    pub id: Uuid,
    pub unit: Named,
    pub hosts: Vec<Named>,
    pub status: minqing_domain::visits::VisitStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub topic: Option<String>,
    pub notice_published_at: Option<DateTime<Utc>>,
    pub moved_from: Option<DateTime<Utc>>,
    pub move_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub attendance: Option<minqing_domain::visits::Attendance>,
    pub minutes: Option<String>,
    pub minutes_by: Option<String>,
    #[serde(default)]
    pub kind: minqing_domain::visits::VisitKind,
}

/// A contact point with its periods' counts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ContactPoint {
    pub id: Uuid,
    pub leader: Named,
    pub unit: Named,
    pub since: String,
    pub until: Option<String>,
    pub done: u32,
    pub due: u32,
    pub missed: u32,
}

/// A visit as its public notice shows it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublicVisit {
    pub id: Uuid,
    pub unit: String,
    pub hosts: Vec<String>,
    pub status: minqing_domain::visits::VisitStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub topic: Option<String>,
    pub moved_from: Option<DateTime<Utc>>,
    pub move_reason: Option<String>,
    pub cancel_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublicVisits {
    pub unit: String,
    pub upcoming: Vec<PublicVisit>,
    pub past: Vec<PublicVisit>,
}

/// A household as the register shows it (phone masked).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Household {
    pub id: Uuid,
    pub address: String,
    pub head_name: String,
    pub phone: Option<String>,
    pub flags: Vec<minqing_domain::household::HouseholdFlag>,
    pub visits: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UnitCoverage {
    pub name: String,
    pub households: u64,
    pub reached: u64,
    pub per_mille: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HouseholdCoverage {
    pub households: u64,
    pub reached: u64,
    pub per_mille: u32,
    pub units: Vec<UnitCoverage>,
}
