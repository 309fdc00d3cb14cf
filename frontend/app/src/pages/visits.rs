//! Visits (家访) on a unit's page: the leaders' contact points with the months kept, due and
//! missed; the visits of the subtree with what each may do next — publish the notice, cancel
//! with a reason, record attendance and minutes, record a demand raised there; and, at a
//! community, the form that schedules one. The public page residents read is
//! `PublicVisitsPage`.
use chrono::{DateTime, NaiveDateTime, Utc};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use minqing_domain::UnitId;
use minqing_domain::role::Role;
use minqing_domain::visits::{VisitKind, VisitStatus};
use serde_json::json;

use crate::api::{ApiError, encode, new_idempotency_key};
use crate::components::{
    ErrorNotice, FormError, Loading, OnceForm, TextField, blank_is_null, toggle,
};
use crate::i18n::{Text, tr};
use crate::model::{Account, ContactPoint, Household, Page, PublicVisit, PublicVisits, Visit};
use crate::outbox::{self, Kind, Outcome, Pending, use_outbox};
use crate::state::{use_api, use_portal};
use crate::time::{DEFAULT_ZONE, format_time};

pub(crate) fn status_text(s: VisitStatus) -> Text {
    match s {
        VisitStatus::Scheduled => Text::VisitScheduled,
        VisitStatus::Published => Text::VisitPublished,
        VisitStatus::Held => Text::VisitHeld,
        VisitStatus::Cancelled => Text::VisitCancelled,
    }
}

/// A `datetime-local` value (`2026-12-10T09:00`) as a time in China Standard Time, the zone of
/// every tenant (Asia/Shanghai); `None` if it does not parse.
fn china_local(value: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M").ok()?;
    let cst = chrono::FixedOffset::east_opt(8 * 3600)?;
    naive
        .and_local_timezone(cst)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The start and end typed in two `datetime-local` fields, or `None` with the form's error set.
fn span_typed(
    starts: RwSignal<String>,
    ends: RwSignal<String>,
    lang: RwSignal<minqing_domain::i18n::Lang>,
    error: RwSignal<Option<ApiError>>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let span = china_local(&starts.get_untracked()).zip(china_local(&ends.get_untracked()));
    if span.is_none() {
        let l = lang.get_untracked();
        let mut fields = std::collections::BTreeMap::new();
        fields.insert("starts_at".to_owned(), Text::PickTime.get(l).to_owned());
        error.set(Some(ApiError::form(Text::FixFields.get(l), fields)));
    }
    span
}

/// The visits and contact points of `unit`'s subtree; at a community, scheduling too.
#[component]
pub fn VisitsSection(
    unit: UnitId,
    unit_name: String,
    community: bool,
    archived: bool,
) -> impl IntoView {
    let api = use_api();
    let portal = use_portal();
    let has = move |roles: &[Role]| {
        portal.session.with(|s| {
            s.me()
                .is_some_and(|me| roles.iter().any(|r| me.has_role(*r)))
        })
    };
    let manages = move || has(&[Role::TenantAdmin, Role::Leader, Role::Cadre]);
    let records = move || has(&[Role::TenantAdmin, Role::Leader, Role::Cadre, Role::Recorder]);
    let visits = LocalResource::new(move || async move {
        api.get_all::<Visit>(&format!("/visits?within={}", unit.0))
            .await
    });
    let points = LocalResource::new(move || async move {
        api.get::<Page<ContactPoint>>(&format!("/contact-points?within={}", unit.0))
            .await
    });
    let reload = Callback::new(move |()| {
        visits.refetch();
        points.refetch();
    });
    let slug = move || {
        portal
            .session
            .with(|s| s.me().map(|me| me.tenant.slug.clone()).unwrap_or_default())
    };
    let unit_name = StoredValue::new(unit_name);
    view! {
        <section class="visits" data-testid="visits">
            <h3>{tr(Text::Visits)}</h3>
            {move || community.then(|| view! {
                <p>
                    <a href=format!("/public/{}/units/{}/visits", slug(), unit.0) data-testid="public-visits-link">
                        {tr(Text::PublicNotices)}
                    </a>
                </p>
            })}
            {move || match points.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(p)) => {
                    let ends = !archived && has(&[Role::TenantAdmin]);
                    view! { <Obligations points=p.items ends reload/> }.into_any()
                }
            }}
            {move || (community && !archived && has(&[Role::TenantAdmin])).then(|| view! { <PairingForm unit reload/> })}
            {move || match visits.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(v)) => {
                    view! {
                        <VisitList
                            visits=v
                            manages=manages()
                            records=records()
                            unit_name=unit_name.get_value()
                            reload
                        />
                    }
                    .into_any()
                }
            }}
            {move || (community && !archived && manages()).then(|| view! { <ScheduleForm unit reload/> })}
        </section>
    }
    .into_any()
}

#[component]
fn Obligations(points: Vec<ContactPoint>, ends: bool, reload: Callback<()>) -> AnyView {
    if points.is_empty() {
        return view! { <p class="muted" data-testid="no-contact-points">{tr(Text::NoContactPoints)}</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="contact-points">
                <caption>{tr(Text::ContactPoints)}</caption>
                <thead>
                    <tr>
                        <th>{tr(Text::Leader)}</th>
                        <th>{tr(Text::Community)}</th>
                        <th>{tr(Text::Since)}</th>
                        <th class="num">{tr(Text::PeriodsDone)}</th>
                        <th class="num">{tr(Text::PeriodsDue)}</th>
                        <th class="num">{tr(Text::PeriodsMissed)}</th>
                        {ends.then(|| view! { <th>{tr(Text::Actions)}</th> })}
                    </tr>
                </thead>
                <tbody>
                    {points
                        .into_iter()
                        .map(|p| {
                            let open = p.until.is_none();
                            view! {
                            <tr data-contact-point=p.id.to_string()>
                                <td>{p.leader.name}</td>
                                <td>{p.unit.name}</td>
                                <td>{p.since} {p.until.map(|u| format!(" — {u}"))}</td>
                                <PeriodCells done=p.done due=p.due missed=p.missed/>
                                {(ends && open).then(|| view! { <td><EndPairing id=p.id reload/></td> })}
                            </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A pairing's periods (or a leader's, summed): done, due, and missed (marked when any).
#[component]
pub(crate) fn PeriodCells(done: u32, due: u32, missed: u32) -> impl IntoView {
    view! {
        <td class="num" data-testid="done">{done}</td>
        <td class="num" data-testid="due">{due}</td>
        <td class="num" data-testid="missed" class:warn={missed > 0}>{missed}</td>
    }
}

/// Ends a pairing on a day (today by default): it owes nothing after.
#[component]
fn EndPairing(id: uuid::Uuid, reload: Callback<()>) -> AnyView {
    let until = RwSignal::new(crate::time::today().to_string());
    let form = OnceForm::new();
    let (error, busy) = (form.error, form.busy);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        form.post(
            format!("/contact-points/{id}/end"),
            json!({"until": until.get_untracked()}),
            move || reload.run(()),
        );
    };
    view! {
        <form class="inline-form" data-testid="end-pairing" on:submit=submit>
            <input type="date" name="until" aria-label=tr(Text::PairingUntil) prop:value=move || until.get() on:input=move |ev| until.set(event_target_value(&ev))/>
            <button type="submit" disabled=move || busy.get()>{tr(Text::EndPairing)}</button>
            {move || error.get().map(|e| view! { <span class="field-error">{e.message}</span> })}
        </form>
    }
    .into_any()
}

#[component]
fn VisitList(
    visits: Vec<Visit>,
    manages: bool,
    records: bool,
    unit_name: String,
    reload: Callback<()>,
) -> AnyView {
    if visits.is_empty() {
        return view! { <p class="muted" data-testid="no-visits">{tr(Text::NoVisits)}</p> }
            .into_any();
    }
    view! {
        <ul class="visit-list" data-testid="visit-list">
            {visits
                .into_iter()
                .map(|v| view! { <VisitItem visit=v manages records unit_name=unit_name.clone() reload/> })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn VisitItem(
    visit: Visit,
    manages: bool,
    records: bool,
    unit_name: String,
    reload: Callback<()>,
) -> AnyView {
    let api = use_api();
    let portal = use_portal();
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let id = visit.id;
    let status = visit.status;
    let open = matches!(status, VisitStatus::Scheduled | VisitStatus::Published);
    // Interviews are never announced.
    let interview = visit.kind == VisitKind::Interview;
    let publish = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api
                .post_empty::<serde_json::Value>(&format!("/visits/{id}/notice"))
                .await
            {
                Ok(_) => reload.run(()),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let (starts, ends) = (visit.starts_at, visit.ends_at);
    let hosts = visit
        .hosts
        .iter()
        .map(|h| h.name.clone())
        .collect::<Vec<_>>()
        .join("、");
    let demand_link = format!(
        "/demands/new?visit={id}&origin={}&origin_name={}",
        visit.unit.id,
        encode(if visit.unit.name.is_empty() {
            &unit_name
        } else {
            &visit.unit.name
        })
    );
    view! {
        <li class="card visit" data-visit=id.to_string() data-status=status.as_str()>
            <p class="visit-when">
                <time>{move || format_time(starts, &portal.zone())}</time>
                " — "
                <time>{move || format_time(ends, &portal.zone())}</time>
                " " <span class="badge" data-testid="visit-status">{tr(status_text(status))}</span>
                {interview.then(|| view! { " " <span class="badge" data-testid="visit-interview">{tr(Text::Interview)}</span> })}
            </p>
            <p>
                <strong>{visit.topic.clone().unwrap_or_default()}</strong>
                " " {visit.unit.name.clone()} " · " {visit.place.clone()} " · "
                {tr(Text::Hosts)} ": " {hosts}
            </p>
            {visit.move_reason.clone().map(|r| view! { <p class="muted">{tr(Text::MovedBecause)} ": " {r}</p> })}
            {visit.cancel_reason.clone().map(|r| view! { <p class="muted">{tr(Text::CancelledBecause)} ": " {r}</p> })}
            {visit.attendance.map(|a| view! {
                <p data-testid="visit-attendance">
                    {tr(Text::Residents)} " " {a.residents} " · " {tr(Text::WalkIns)} " " {a.walk_ins}
                    " · " {tr(Text::Households)} " " {a.households}
                </p>
            })}
            {visit.minutes.clone().map(|m| view! { <p class="minutes" data-testid="visit-minutes">{m}</p> })}
            <FormError error/>
            <div class="form-actions">
                {(manages && !interview && status == VisitStatus::Scheduled).then(|| view! {
                    <button type="button" class="primary" data-testid="publish-notice" on:click=publish disabled=move || busy.get()>
                        {tr(Text::PublishNotice)}
                    </button>
                })}
                {(records && status != VisitStatus::Cancelled).then(|| view! {
                    <a class="button" href=demand_link.clone() data-testid="visit-demand">{tr(Text::RecordVisitDemand)}</a>
                })}
            </div>
            {(records && status != VisitStatus::Cancelled).then(|| view! { <RecordForm id unit=visit.unit.id reload/> })}
            {(manages && open).then(|| view! { <RescheduleForm id reload/> <CancelForm id reload/> })}
        </li>
    }
    .into_any()
}

/// Attendance, the households that came and the minutes, sent together (the visit must have
/// started).
#[component]
fn RecordForm(id: uuid::Uuid, unit: uuid::Uuid, reload: Callback<()>) -> AnyView {
    let api = use_api();
    let register = LocalResource::new(move || async move {
        api.get::<Page<Household>>(&format!("/units/{unit}/households?limit=500"))
            .await
            .map(|p| p.items)
            .unwrap_or_default()
    });
    let came = RwSignal::new(Vec::<uuid::Uuid>::new());
    let residents = RwSignal::new(String::new());
    let walk_ins = RwSignal::new(String::new());
    let households = RwSignal::new(String::new());
    // The minutes are kept on the device as they are typed, until they are sent.
    let draft_key = format!("minqing.draft.minutes.{id}");
    let minutes = RwSignal::new(outbox::draft(&draft_key).unwrap_or_default());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let kept = RwSignal::new(false);
    let state = use_outbox();
    let lang = use_portal().lang;
    let typed = {
        let draft_key = draft_key.clone();
        move |ev| {
            let text = event_target_value(&ev);
            outbox::keep_draft(&draft_key, &text);
            minutes.set(text);
        }
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let number = |s: RwSignal<String>| s.get_untracked().trim().parse::<u32>().unwrap_or(0);
        let attendance = json!({
            "residents": number(residents),
            "walk_ins": number(walk_ins),
            "households": number(households),
        });
        let text = blank_is_null(minutes.get_untracked());
        let households = came.get_untracked();
        // Each part is kept on the device first, then sent in turn; what gets no answer is sent
        // again by the outbox (each replaces what it names, so a second send changes nothing).
        let label = Text::RecordVisit.get(lang.get_untracked()).to_owned();
        let part = |kind, path: &str, body: serde_json::Value| Pending {
            key: new_idempotency_key(),
            method: outbox::Method::Put,
            path: format!("/visits/{id}/{path}"),
            body: body.to_string(),
            kind,
            label: label.clone(),
            refused: None,
        };
        let mut parts = vec![part(Kind::Attendance, "attendance", attendance)];
        if let Some(text) = text {
            parts.push(part(Kind::Minutes, "minutes", json!({"text": text})));
        }
        if !households.is_empty() {
            parts.push(part(
                Kind::VisitHouseholds,
                "households",
                json!({"households": households}),
            ));
        }
        for p in &parts {
            state.keep(p.clone());
        }
        busy.set(true);
        error.set(None);
        kept.set(false);
        let draft_key = draft_key.clone();
        spawn_local(async move {
            let mut outcome = Outcome::Sent;
            for p in &parts {
                let Some(result) = state.send(api, p).await else {
                    continue;
                };
                outcome = Outcome::of(&result);
                match (&outcome, result) {
                    (Outcome::Sent, _) => {
                        if p.kind == Kind::Minutes {
                            outbox::keep_draft(&draft_key, "");
                        }
                    }
                    (Outcome::Refused(_), Err(e)) => {
                        error.set(Some(e));
                        break;
                    }
                    _ => break,
                }
            }
            match outcome {
                Outcome::Sent => reload.run(()),
                Outcome::Again => kept.set(true),
                Outcome::Refused(_) => {}
            }
            busy.set(false);
        });
    };
    view! {
        <details class="card">
            <summary>{tr(Text::RecordVisit)}</summary>
            <form class="form" data-testid="record-visit" on:submit=submit>
                <FormError error/>
                <TextField label=Text::Residents name="residents" value=residents error input_type="number" required=true/>
                <TextField label=Text::WalkIns name="walk_ins" value=walk_ins error input_type="number"/>
                <TextField label=Text::Households name="households" value=households error input_type="number"/>
                {move || {
                    let listed = register.get().unwrap_or_default();
                    (!listed.is_empty()).then(|| view! {
                        <fieldset class="field" data-testid="households-came">
                            <legend class="label">{tr(Text::HouseholdsCame)}</legend>
                            {listed
                                .into_iter()
                                .map(|h| {
                                    let hid = h.id;
                                    view! {
                                        <label class="check">
                                            <input
                                                type="checkbox"
                                                data-household=hid.to_string()
                                                prop:checked=move || came.with(|v| v.contains(&hid))
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    came.update(|v| toggle(v, hid, on));
                                                }
                                            />
                                            {h.address} " " {h.head_name}
                                        </label>
                                    }
                                })
                                .collect_view()}
                        </fieldset>
                    })
                }}
                <label class="field">
                    <span class="label">{tr(Text::Minutes)}</span>
                    <textarea name="minutes" rows="4" on:input=typed prop:value=move || minutes.get()></textarea>
                </label>
                {move || kept.get().then(|| view! {
                    <p class="notice warning" role="status" data-testid="record-kept">{tr(Text::SavedOnDevice)}</p>
                })}
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Save)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

#[component]
fn CancelForm(id: uuid::Uuid, reload: Callback<()>) -> AnyView {
    let api = use_api();
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let body = json!({"reason": reason.get_untracked()});
        spawn_local(async move {
            match api
                .post::<_, serde_json::Value>(&format!("/visits/{id}/cancel"), &body)
                .await
            {
                Ok(_) => reload.run(()),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <details class="card">
            <summary>{tr(Text::CancelVisit)}</summary>
            <form class="form" data-testid="cancel-visit" on:submit=submit>
                <FormError error/>
                <TextField label=Text::Reason name="reason" value=reason error required=true/>
                <div class="form-actions">
                    <button type="submit" disabled=move || busy.get()>{tr(Text::CancelVisit)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

/// Moves a visit to another time (and place), with the reason the notice will show.
#[component]
fn RescheduleForm(id: uuid::Uuid, reload: Callback<()>) -> AnyView {
    let lang = use_portal().lang;
    let starts = RwSignal::new(String::new());
    let ends = RwSignal::new(String::new());
    let place = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let form = OnceForm::new();
    let (error, busy) = (form.error, form.busy);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some((from, to)) = span_typed(starts, ends, lang, error) else {
            return;
        };
        let body = json!({
            "starts_at": from,
            "ends_at": to,
            "place": blank_is_null(place.get_untracked()),
            "reason": reason.get_untracked(),
        });
        form.post(format!("/visits/{id}/reschedule"), body, move || {
            reload.run(())
        });
    };
    view! {
        <details class="card">
            <summary>{tr(Text::MoveVisit)}</summary>
            <form class="form" data-testid="move-visit" on:submit=submit>
                <FormError error/>
                <TextField label=Text::StartsAt name="starts_at" value=starts error input_type="datetime-local" required=true/>
                <TextField label=Text::EndsAt name="ends_at" value=ends error input_type="datetime-local" required=true/>
                <TextField label=Text::NewPlace name="place" value=place error/>
                <TextField label=Text::Reason name="reason" value=reason error required=true/>
                <div class="form-actions">
                    <button type="submit" disabled=move || busy.get()>{tr(Text::MoveVisit)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

/// Pairs a leader (one of the tenant's accounts holding the leader role) with `unit`.
#[component]
fn PairingForm(unit: UnitId, reload: Callback<()>) -> AnyView {
    let api = use_api();
    let leaders = LocalResource::new(move || async move {
        api.get_all::<Account>("/accounts").await.map(|all| {
            all.into_iter()
                .filter(|a| !a.disabled && a.grants.iter().any(|g| g.role == Role::Leader))
                .collect::<Vec<_>>()
        })
    });
    let leader = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let form = OnceForm::new();
    let (error, busy) = (form.error, form.busy);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = json!({
            "leader": leader.get_untracked(),
            "unit_id": unit.0,
            "since": since.get_untracked(),
        });
        form.post("/contact-points".to_owned(), body, move || {
            since.set(String::new());
            reload.run(());
        });
    };
    view! {
        <details class="card">
            <summary>{tr(Text::PairLeader)}</summary>
            <form class="form" data-testid="pair-leader" on:submit=submit>
                <FormError error/>
                <label class="field">
                    <span class="label">{tr(Text::Leader)}</span>
                    <select name="leader" on:change=move |ev| leader.set(event_target_value(&ev)) prop:value=move || leader.get()>
                        <option value="">"—"</option>
                        {move || {
                            leaders
                                .get()
                                .and_then(Result::ok)
                                .unwrap_or_default()
                                .into_iter()
                                .map(|a| {
                                    let name = if a.display_name.is_empty() { a.username.clone() } else { a.display_name.clone() };
                                    view! { <option value=a.id.0.to_string()>{name}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </label>
                <TextField label=Text::Since name="since" value=since error input_type="date" required=true/>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Add)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

/// Schedules a visit to `unit` hosted by the signed-in leader.
#[component]
fn ScheduleForm(unit: UnitId, reload: Callback<()>) -> AnyView {
    let portal = use_portal();
    let api = use_api();
    // A visit to the community, or an in-home interview (入户访谈) of one of its households.
    let interview = RwSignal::new(false);
    let household = RwSignal::new(String::new());
    let register = LocalResource::new(move || async move {
        if !interview.get() {
            return Vec::new();
        }
        api.get::<Page<Household>>(&format!("/units/{}/households?limit=500", unit.0))
            .await
            .map(|p| p.items)
            .unwrap_or_default()
    });
    let starts = RwSignal::new(String::new());
    let ends = RwSignal::new(String::new());
    let place = RwSignal::new(String::new());
    let topic = RwSignal::new(String::new());
    let form = OnceForm::new();
    let (error, busy) = (form.error, form.busy);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some((from, to)) = span_typed(starts, ends, portal.lang, error) else {
            return;
        };
        let me = portal
            .session
            .with_untracked(|s| s.me().map(|me| me.account.id));
        let mut body = json!({
            "unit_id": unit.0,
            "hosts": me.into_iter().collect::<Vec<_>>(),
            "starts_at": from,
            "ends_at": to,
            "place": place.get_untracked(),
            "topic": blank_is_null(topic.get_untracked()),
        });
        if interview.get_untracked() {
            body["kind"] = json!("interview");
            body["household"] = json!(blank_is_null(household.get_untracked()));
        }
        form.post("/visits".to_owned(), body, move || {
            for f in [starts, ends, place, topic, household] {
                f.set(String::new());
            }
            interview.set(false);
            reload.run(());
        });
    };
    view! {
        <details class="card" open=true>
            <summary>{tr(Text::ScheduleVisit)}</summary>
            <form class="form" data-testid="schedule-visit" on:submit=submit>
                <FormError error/>
                <p class="muted">{tr(Text::HostIsYou)}</p>
                <label class="check">
                    <input type="checkbox" name="interview" prop:checked=move || interview.get() on:change=move |ev| interview.set(event_target_checked(&ev))/>
                    {tr(Text::InterviewKind)}
                </label>
                {move || interview.get().then(|| view! {
                    <label class="field" class:invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("household")).is_some())>
                        <span class="label">{tr(Text::InterviewHousehold)}</span>
                        <select name="household" on:change=move |ev| household.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {move || register
                                .get()
                                .unwrap_or_default()
                                .into_iter()
                                .map(|h| view! { <option value=h.id.to_string()>{h.address} " " {h.head_name}</option> })
                                .collect_view()}
                        </select>
                        {move || error.with(|e| e.as_ref().and_then(|e| e.field("household"))).map(|m| view! { <span class="field-error">{m}</span> })}
                    </label>
                })}
                <TextField label=Text::StartsAt name="starts_at" value=starts error input_type="datetime-local" required=true/>
                <TextField label=Text::EndsAt name="ends_at" value=ends error input_type="datetime-local" required=true/>
                <TextField label=Text::Place name="place" value=place error required=true/>
                <TextField label=Text::Topic name="topic" value=topic error/>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Schedule)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

/// `/public/:tenant/units/:id/visits`: a community's visit notices, for residents (no login).
#[component]
pub fn PublicVisitsPage() -> impl IntoView {
    let api = use_api();
    let params = use_params_map();
    let tenant = move || params.with(|p| p.get("tenant").unwrap_or_default());
    let unit = move || params.with(|p| p.get("id").unwrap_or_default());
    let notices = LocalResource::new(move || {
        let (tenant, unit) = (tenant(), unit());
        async move {
            api.get::<PublicVisits>(&format!(
                "/public/{}/units/{}/visits",
                encode(&tenant),
                encode(&unit)
            ))
            .await
        }
    });
    view! {
        <main class="page public-visits" data-testid="public-visits">
            {move || match notices.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(n)) => {
                    let feed = format!("/api/v1/public/{}/units/{}/visits.ics", tenant(), unit());
                    view! {
                        <h1>{n.unit.clone()} " · " {tr(Text::PublicNotices)}</h1>
                        <p><a href=feed data-testid="visits-feed">{tr(Text::SubscribeCalendar)}</a></p>
                        <h2>{tr(Text::UpcomingVisits)}</h2>
                        <Notices visits=n.upcoming testid="upcoming"/>
                        <h2>{tr(Text::PastVisits)}</h2>
                        <Notices visits=n.past testid="past"/>
                    }
                    .into_any()
                }
            }}
        </main>
    }
}

#[component]
fn Notices(visits: Vec<PublicVisit>, testid: &'static str) -> AnyView {
    if visits.is_empty() {
        return view! { <p class="muted" data-testid=testid>{tr(Text::NoVisits)}</p> }.into_any();
    }
    view! {
        <ul class="notice-list" data-testid=testid>
            {visits
                .into_iter()
                .map(|v| {
                    let moved = v.moved_from.zip(v.move_reason.clone());
                    view! {
                        <li class="card notice" data-visit=v.id.to_string() data-status=v.status.as_str()>
                            <p>
                                <time>{format_time(v.starts_at, DEFAULT_ZONE)}</time>
                                " — "
                                <time>{format_time(v.ends_at, DEFAULT_ZONE)}</time>
                                " " <span class="badge">{tr(status_text(v.status))}</span>
                            </p>
                            <p><strong>{v.topic.clone().unwrap_or_default()}</strong></p>
                            <p>{tr(Text::Place)} ": " {v.place.clone()}</p>
                            <p>{tr(Text::Hosts)} ": " {v.hosts.join("、")}</p>
                            {moved.map(|(from, reason)| view! {
                                <p class="muted">
                                    {tr(Text::MovedFrom)} " " {format_time(from, DEFAULT_ZONE)} " · " {reason}
                                </p>
                            })}
                            {v.cancel_reason.clone().map(|r| view! { <p class="warn">{tr(Text::CancelledBecause)} ": " {r}</p> })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
