//! `/api/v1/public/{tenant}/…`: the residents' online form (网上诉求), with no login. A resident
//! finds their community by walking down the hierarchy, picks a category, describes the matter
//! and gets a receipt code to follow it by; the demand enters the ledger on the `online`
//! channel, routed like any other. Submissions are counted per client address (429
//! `submission_throttled` past the limit), and an `Idempotency-Key` makes a resubmission on a
//! bad connection answer the first receipt instead of recording twice.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minqing_domain::UnitId;
use minqing_domain::access::{DemandAccess, Reach};
use minqing_domain::demand::intake::{IntakeForm, PublicIntakeForm};
use minqing_storage::demand_rules::CategoryView;
use minqing_storage::demands::{DemandContext, PublicDemandView};
use minqing_storage::settings::TenantSettings;
use minqing_storage::units::{ListQuery, UnitView};
use minqing_storage::{Audit, throttle};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, request_id};
use crate::idempotency::IdempotentJson;
use crate::openapi::{BadRequest, NotFound, PayloadTooLarge, TooManyRequests, Unprocessable};
use crate::routes::auth::ClientAddr;
use crate::routes::public::public_tenant;
use crate::state::AppState;

/// One unit as the form offers it: a name to choose, and whether there is a level below.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicUnit {
    pub id: UnitId,
    pub name: String,
    /// The tier index (1 = the tenant's top tier).
    pub level: i32,
    /// False for a community or village: the form's last choice.
    pub has_children: bool,
}

impl From<UnitView> for PublicUnit {
    fn from(u: UnitView) -> Self {
        Self {
            id: u.id,
            name: u.name,
            level: u.level,
            has_children: u.child_count > 0,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PublicUnitsQuery {
    /// The unit whose children to list; none for the tenant's top units.
    pub parent: Option<Uuid>,
}

/// The units to choose from on the online form.
///
/// The tenant's top units, or the children of `parent`, in tree order — what a resident walks
/// down to find their community. Archived units are left out, and so are dead ends: a unit
/// above the community tier with no units below it. No login.
#[utoipa::path(
    get,
    path = "/api/v1/public/{tenant}/units",
    tag = "public",
    params(("tenant" = String, Path, description = "The tenant's slug"), PublicUnitsQuery),
    security(()),
    responses(
        (status = 200, description = "The units.", body = Vec<PublicUnit>),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
pub async fn public_units(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<PublicUnitsQuery>,
) -> ApiResult<axum::Json<Vec<PublicUnit>>> {
    let tenant = public_tenant(&state, &slug).await?;
    let scope = state.storage.read(tenant.id).await?;
    // Where a resident's walk ends: the community tier (社区/村).
    let community_level = scope
        .tiers()
        .list()
        .await?
        .into_iter()
        .find(|t| t.key == minqing_domain::tier::TierKey::Community)
        .map(|t| t.level);
    let reach = Reach::All;
    let units = match q.parent {
        None => scope.units().roots(&reach).await?,
        Some(parent) => {
            let parent = scope.units().get(UnitId(parent)).await?;
            if parent.archived {
                return Err(ApiError::not_found());
            }
            let query = ListQuery {
                reach: &reach,
                children_of: Some(parent.id),
                subtree_of: None,
                search: None,
                include_archived: false,
                cursor: None,
                // A street's communities, a county's streets: a few hundred at the most.
                limit: 2_000,
            };
            scope.units().list(&query).await?.0
        }
    };
    Ok(axum::Json(
        units
            .into_iter()
            .filter(|u| !u.archived)
            .filter(|u| u.child_count > 0 || Some(u.level) == community_level)
            .map(PublicUnit::from)
            .collect(),
    ))
}

/// The categories offered on the online form.
///
/// The tenant's demand categories that are not retired, with their Chinese and English
/// labels. No login.
#[utoipa::path(
    get,
    path = "/api/v1/public/{tenant}/categories",
    tag = "public",
    params(("tenant" = String, Path, description = "The tenant's slug")),
    security(()),
    responses(
        (status = 200, description = "The categories.", body = Vec<CategoryView>),
        (status = 404, response = NotFound),
    )
)]
pub async fn public_categories(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<axum::Json<Vec<CategoryView>>> {
    let tenant = public_tenant(&state, &slug).await?;
    let scope = state.storage.read(tenant.id).await?;
    let categories = scope.demand_settings().categories().await?;
    Ok(axum::Json(
        categories.into_iter().filter(|c| !c.retired).collect(),
    ))
}

/// Submit a demand through the online form.
///
/// Records the demand on the `online` channel, routed by its grade like any other, and answers
/// what the receipt page shows: the receipt code, the handling unit and its deadline — never the
/// personal data just sent. No login; counted per client address (429 `submission_throttled`
/// past the limit per hour). Send an `Idempotency-Key` (a random value made when the form is
/// filled): a resubmission with it answers the first receipt and records nothing new.
#[utoipa::path(
    post,
    path = "/api/v1/public/{tenant}/demands",
    tag = "public",
    params(
        ("tenant" = String, Path, description = "The tenant's slug"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a resubmission answer the first receipt"),
    ),
    security(()),
    request_body = PublicIntakeForm,
    responses(
        (status = 201, description = "Recorded; the receipt.", body = PublicDemandView),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn submit_demand(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    IdempotentJson {
        body: form,
        idempotency,
    }: IdempotentJson<PublicIntakeForm>,
) -> ApiResult<Response> {
    let tenant = public_tenant(&state, &slug).await?;
    let intake = IntakeForm::from(form).validate()?;
    // A resubmission gets its first answer, however many came since.
    if idempotency.is_keyed() {
        let read = state.storage.read(tenant.id).await?;
        if let Some(replayed) = idempotency.replay(&read).await? {
            return Ok(replayed);
        }
    }
    // Checked before the write transaction opens (a flood waits for no lock), counted once the
    // demand is recorded: a refused submission costs the resident nothing of their hour.
    refuse_if_throttled(&state, tenant.id, &addr).await?;
    let scope = state.storage.write(tenant.id, resident(&headers)).await?;
    let settings = TenantSettings::load(&scope).await?;
    let access = DemandAccess {
        record: Reach::All,
        ..DemandAccess::none()
    };
    let ctx = DemandContext {
        access: &access,
        settings: &settings,
        tz: tenant.zone(),
        sealer: &state.sealer,
        now: state.clock.now(),
    };
    let view = scope.demands().receive(intake, &ctx).await?;
    let receipt = scope.demands().public_view(&view.receipt_code).await?;
    let response = idempotency
        .answer(&scope, StatusCode::CREATED, &receipt)
        .await?;
    scope.commit().await?;
    throttle::record_public_submission(state.storage.cache(), tenant.id, &addr).await?;
    Ok(response)
}

/// 429 `submission_throttled` once `addr` has sent the tenant as many public submissions (forms
/// and ratings) as an hour allows.
pub(crate) async fn refuse_if_throttled(
    state: &AppState,
    tenant: minqing_domain::TenantId,
    addr: &str,
) -> ApiResult<()> {
    let limit = state.config.public_demands_per_hour;
    if throttle::public_submissions_exceeded(state.storage.cache(), limit, tenant, addr).await? {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "submission_throttled",
        ));
    }
    Ok(())
}

/// Who the ledger records for an online submission: the resident, who has no account.
fn resident(headers: &HeaderMap) -> Audit {
    Audit {
        actor_id: None,
        username: "online".into(),
        request_id: request_id(headers),
    }
}
