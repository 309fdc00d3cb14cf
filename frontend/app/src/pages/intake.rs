//! `/demands/new`: 诉求登记 — recording a demand, made for a phone in a resident's doorway: one
//! column, big touch targets, the community by search or from the hierarchy, 急/愁/难/盼 as
//! big buttons. One `Idempotency-Key` per demand: a double tap or a resend never records twice.
use std::collections::BTreeMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use minqing_domain::UnitId;
use minqing_domain::demand::{Channel, Grade};

use crate::api::{ApiError, new_idempotency_key};
use crate::components::{
    ErrorNotice, FieldError, FormError, Loading, SearchInput, TextAreaField, TextField, ancestry,
    blank_is_null, unit_search,
};
use crate::i18n::{Text, pick, tr};
use crate::model::{Ancestor, Category, Demand, IntakeRequest, Unit};
use crate::outbox::{Kind, Method, Outcome, Pending, use_outbox};
use crate::state::{use_api, use_portal};
use crate::time::format_opt;

/// The tier key of the units a demand may be raised in.
const COMMUNITY: &str = "community";

fn grade_hint(grade: Grade) -> Text {
    match grade {
        Grade::Urgent => Text::GradeUrgentHint,
        Grade::Worrying => Text::GradeWorryingHint,
        Grade::Hard => Text::GradeHardHint,
        Grade::HopedFor => Text::GradeHopedForHint,
    }
}

#[component]
pub fn IntakePage() -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let categories =
        LocalResource::new(
            move || async move { api.get::<Vec<Category>>("/tenant/categories").await },
        );

    let origin = RwSignal::new(None::<(UnitId, String)>);
    let channel = RwSignal::new(None::<Channel>);
    // Opened from a visit (`?visit=…&origin=…&origin_name=…`): the demand is raised there.
    let query = use_query_map();
    let visit = Memo::new(move |_| {
        query.with(|q| q.get("visit").and_then(|v| v.parse::<uuid::Uuid>().ok()))
    });
    Effect::new(move |_| {
        let from = query.with(|q| {
            let unit = q.get("origin").and_then(|v| v.parse::<uuid::Uuid>().ok());
            unit.map(|u| (UnitId(u), q.get("origin_name").unwrap_or_default()))
        });
        if let (Some(_), Some(from)) = (visit.get(), from) {
            origin.set(Some(from));
            channel.set(Some(Channel::Visit));
        }
    });
    let grade = RwSignal::new(None::<Grade>);
    let category = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let resident_name = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let id_number = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let created = RwSignal::new(None::<Demand>);
    // The last one sent got no answer and waits in the outbox.
    let kept = RwSignal::new(false);
    let outbox = use_outbox();
    // One key per demand, made when the form opens (in the browser): every send of this form
    // carries it until the demand is recorded.
    let key = RwSignal::new(String::new());
    Effect::new(move |_| key.set(new_idempotency_key()));
    // A choice made clears what was said about it.
    let clear = move |field: &'static str| {
        if error.with_untracked(|e| e.as_ref().is_some_and(|e| e.fields.contains_key(field))) {
            error.update(|e| {
                if let Some(err) = e {
                    err.fields.remove(field);
                    if err.fields.is_empty() && err.status == 0 {
                        *e = None;
                    }
                }
            });
        }
    };
    Effect::new(move |_| {
        if origin.with(Option::is_some) {
            clear("origin_unit");
        }
    });

    // The next demand from the same doorway: community and channel stay, the rest is cleared,
    // and a new key makes it a new demand.
    let clear_for_next = move || {
        for s in [title, description, address, resident_name, phone, id_number] {
            s.set(String::new());
        }
        grade.set(None);
        category.set(String::new());
        error.set(None);
        key.set(new_idempotency_key());
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let l = lang.get_untracked();
        let mut missing = BTreeMap::new();
        for (ok, field, text) in [
            (
                origin.with_untracked(Option::is_some),
                "origin_unit",
                Text::PickOrigin,
            ),
            (
                channel.with_untracked(Option::is_some),
                "channel",
                Text::PickChannel,
            ),
            (
                grade.with_untracked(Option::is_some),
                "grade",
                Text::PickGrade,
            ),
            (
                category.with_untracked(|c| !c.is_empty()),
                "category",
                Text::PickCategory,
            ),
        ] {
            if !ok {
                missing.insert(field.to_owned(), text.get(l).to_owned());
            }
        }
        let (Some((origin_unit, _)), Some(ch), Some(g), true) = (
            origin.get_untracked(),
            channel.get_untracked(),
            grade.get_untracked(),
            missing.is_empty(),
        ) else {
            error.set(Some(ApiError::form(Text::FixFields.get(l), missing)));
            return;
        };
        let optional = |s: RwSignal<String>| blank_is_null(s.get_untracked());
        let body = IntakeRequest {
            origin_unit,
            channel: ch,
            grade: g,
            category: category.get_untracked(),
            title: title.get_untracked(),
            description: description.get_untracked(),
            address: optional(address),
            resident_name: optional(resident_name),
            phone: optional(phone),
            id_number: optional(id_number),
            visit: visit.get_untracked(),
        };
        let mut idempotency_key = key.get_untracked();
        if idempotency_key.is_empty() {
            idempotency_key = new_idempotency_key();
            key.set(idempotency_key.clone());
        }
        // Kept on the device first: if no answer comes, the outbox sends it again (same key).
        let pending = Pending {
            key: idempotency_key,
            method: Method::Post,
            path: "/demands".to_owned(),
            body: serde_json::to_string(&body).unwrap_or_default(),
            kind: Kind::Demand,
            label: body.title.clone(),
            refused: None,
        };
        outbox.keep(pending.clone());
        busy.set(true);
        error.set(None);
        kept.set(false);
        spawn_local(async move {
            let result = outbox.send(api, &pending).await;
            match result.map(|r| (Outcome::of(&r), r)) {
                Some((Outcome::Sent, Ok(answer))) => match serde_json::from_value(answer) {
                    Ok(demand) => created.set(Some(demand)),
                    Err(_) => error.set(Some(ApiError::form(
                        Text::UnexpectedResponse.get(lang.get_untracked()),
                        BTreeMap::new(),
                    ))),
                },
                Some((Outcome::Refused(_), Err(e))) => error.set(Some(e)),
                // No answer: it waits in the outbox; the form is free for the next demand.
                _ => {
                    clear_for_next();
                    kept.set(true);
                }
            }
            busy.set(false);
        });
    };

    let record_another = Callback::new(move |()| {
        clear_for_next();
        kept.set(false);
        created.set(None);
    });

    view! {
        <section class="page intake" data-testid="intake-page">
            <h1>{tr(Text::IntakeTitle)}</h1>
            {move || match created.get() {
                Some(demand) => view! { <Receipt demand record_another/> }.into_any(),
                None => {
                    view! {
                        <form class="form intake-form" data-testid="intake-form" novalidate=true on:submit=submit>
                            <FormError error/>
                            {move || kept.get().then(|| view! {
                                <p class="notice warning" role="status" data-testid="intake-kept">{tr(Text::SavedOnDevice)}</p>
                            })}
                            {move || visit.get().is_some().then(|| view! {
                                <p class="notice" data-testid="intake-from-visit">{tr(Text::RaisedAtVisit)}</p>
                            })}
                            <div class="field" class:invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("origin_unit")).is_some())>
                                <span class="label">{tr(Text::OriginCommunity)}</span>
                                <CommunityPicker selected=origin/>
                                <FieldError name="origin_unit" error/>
                            </div>
                            <fieldset class="field choice-field">
                                <legend class="label">{tr(Text::Channel)}</legend>
                                <div class="choices channels" role="group">
                                    {Channel::ALL
                                        .into_iter()
                                        .map(|c| {
                                            view! {
                                                <button
                                                    type="button"
                                                    class="choice"
                                                    data-testid=format!("channel-{}", c.as_str())
                                                    aria-pressed=move || (channel.get() == Some(c)).to_string()
                                                    on:click=move |_| {
                                                        channel.set(Some(c));
                                                        clear("channel");
                                                    }
                                                >
                                                    {move || pick(c.labels(), lang.get())}
                                                </button>
                                            }
                                        })
                                        .collect_view()}
                                </div>
                                <FieldError name="channel" error/>
                            </fieldset>
                            <fieldset class="field choice-field">
                                <legend class="label">{tr(Text::Grade)}</legend>
                                <div class="choices grades" role="group">
                                    {Grade::ALL
                                        .into_iter()
                                        .map(|g| {
                                            view! {
                                                <button
                                                    type="button"
                                                    class=format!("grade-button grade-{}", g.as_str())
                                                    data-testid=format!("grade-{}", g.as_str())
                                                    aria-pressed=move || (grade.get() == Some(g)).to_string()
                                                    on:click=move |_| {
                                                        grade.set(Some(g));
                                                        clear("grade");
                                                    }
                                                >
                                                    <span class="grade-glyph" lang="zh-CN">{g.labels().0}</span>
                                                    <span class="grade-name">
                                                        {move || match lang.get() {
                                                            minqing_domain::i18n::Lang::Zh => String::new(),
                                                            l => pick(g.labels(), l).to_owned(),
                                                        }}
                                                    </span>
                                                    <span class="grade-hint">{tr(grade_hint(g))}</span>
                                                </button>
                                            }
                                        })
                                        .collect_view()}
                                </div>
                                <FieldError name="grade" error/>
                            </fieldset>
                            <label class="field" class:invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("category")).is_some())>
                                <span class="label">{tr(Text::Category)}</span>
                                <select
                                    name="category"
                                    data-testid="category"
                                    on:change=move |ev| {
                                        category.set(event_target_value(&ev));
                                        clear("category");
                                    }
                                    prop:value=move || category.get()
                                >
                                    <option value="">{tr(Text::ChooseCategory)}</option>
                                    {move || match categories.get() {
                                        Some(Ok(list)) => {
                                            list.into_iter()
                                                .filter(|c| !c.retired)
                                                .map(|c| {
                                                    let key = c.key.clone();
                                                    let selected = key.clone();
                                                    view! {
                                                        <option value=key selected=move || category.get() == selected>
                                                            {move || c.label(lang.get()).to_owned()}
                                                        </option>
                                                    }
                                                })
                                                .collect_view()
                                                .into_any()
                                        }
                                        _ => ().into_any(),
                                    }}
                                </select>
                                {move || match categories.get() {
                                    None => view! { <Loading/> }.into_any(),
                                    Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                                    Some(Ok(_)) => ().into_any(),
                                }}
                                <FieldError name="category" error/>
                            </label>
                            <TextField label=Text::DemandTitle name="title" value=title error required=true/>
                            <TextAreaField label=Text::Description name="description" value=description error required=true rows=5/>
                            <TextField label=Text::Address name="address" value=address error hint=Text::Optional/>
                            <TextField label=Text::ResidentName name="resident_name" value=resident_name error hint=Text::Optional autocomplete="off"/>
                            <TextField label=Text::Phone name="phone" value=phone error input_type="tel" hint=Text::Optional autocomplete="off"/>
                            <TextField label=Text::IdNumber name="id_number" value=id_number error hint=Text::Optional autocomplete="off"/>
                            <p class="hint">{tr(Text::PersonalDataHint)}</p>
                            <button type="submit" class="primary big" data-testid="intake-submit" disabled=move || busy.get()>
                                {move || if busy.get() { tr(Text::Submitting)() } else { tr(Text::SubmitIntake)() }}
                            </button>
                        </form>
                    }
                        .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

/// What the recorder hands on: the receipt code, large, and where the demand went.
#[component]
fn Receipt(demand: Demand, record_another: Callback<()>) -> AnyView {
    let portal = use_portal();
    let lang = portal.lang;
    let status = demand.status;
    view! {
        <div class="receipt notice success" role="status" data-testid="intake-done">
            <p>{tr(Text::Recorded)}</p>
            <p class="receipt-label">{tr(Text::ReceiptCode)}</p>
            <p class="receipt-code" data-testid="receipt-code">{demand.receipt_code.clone()}</p>
            <dl class="facts">
                <dt>{tr(Text::Status)}</dt>
                <dd>{move || pick(status.labels(), lang.get())}</dd>
                <dt>{tr(Text::HandlingUnit)}</dt>
                <dd>{demand.handling_unit.name.clone()}</dd>
                <dt>{tr(Text::ReplyDue)}</dt>
                <dd>{move || format_opt(demand.reply_due_at, &portal.zone())}</dd>
            </dl>
            <div class="form-actions">
                <A href=format!("/demands/{}", demand.id) attr:class="button primary big" attr:data-testid="open-demand">
                    {tr(Text::ViewDemand)}
                </A>
                <button type="button" class="big" data-testid="record-another" on:click=move |_| record_another.run(())>
                    {tr(Text::RecordAnother)}
                </button>
            </div>
        </div>
    }
    .into_any()
}

/// The community (or village) a demand is raised in: found by name or code, or picked by
/// walking down the hierarchy. Only units of the community tier can be chosen.
#[component]
fn CommunityPicker(selected: RwSignal<Option<(UnitId, String)>>) -> AnyView {
    let query = RwSignal::new(String::new());
    let browsing = RwSignal::new(false);
    let results = unit_search(query.into(), 50);
    let choose = Callback::new(move |unit: Unit| {
        let line = ancestry(&unit);
        let label = if line.is_empty() {
            unit.name.clone()
        } else {
            format!("{} · {line}", unit.name)
        };
        selected.set(Some((unit.id, label)));
        query.set(String::new());
        browsing.set(false);
    });

    view! {
        <div class="community-picker" data-testid="community-picker">
            {move || match selected.get() {
                Some((_, label)) => {
                    view! {
                        <div class="picked">
                            <span class="picked-name" data-testid="picked-community">{label}</span>
                            <button type="button" class="link-button" on:click=move |_| selected.set(None)>
                                {tr(Text::Change)}
                            </button>
                        </div>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <SearchInput query placeholder=Text::SearchCommunity testid="community-search"/>
                        <ul class="options" data-testid="community-results">
                            {move || {
                                if query.with(|q| q.trim().is_empty()) {
                                    return ().into_any();
                                }
                                match results.get() {
                                    None => view! { <li class="muted">{tr(Text::Searching)}</li> }.into_any(),
                                    Some(Err(e)) => view! { <li class="field-error">{e.message}</li> }.into_any(),
                                    Some(Ok(units)) => {
                                        let communities: Vec<Unit> = units
                                            .into_iter()
                                            .filter(|u| u.tier_key == COMMUNITY && !u.archived)
                                            .collect();
                                        if communities.is_empty() {
                                            return view! { <li class="muted">{tr(Text::NoCommunityMatches)}</li> }.into_any();
                                        }
                                        communities
                                            .into_iter()
                                            .map(|u| {
                                                let line = ancestry(&u);
                                                let name = u.name.clone();
                                                let data_name = name.clone();
                                                view! {
                                                    <li>
                                                        <button
                                                            type="button"
                                                            class="option"
                                                            data-testid="community-option"
                                                            data-name=data_name
                                                            on:click=move |_| choose.run(u.clone())
                                                        >
                                                            <span class="name">{name}</span>
                                                            <span class="muted">{line}</span>
                                                        </button>
                                                    </li>
                                                }
                                            })
                                            .collect_view()
                                            .into_any()
                                    }
                                }
                            }}
                        </ul>
                        <button type="button" class="link-button" on:click=move |_| browsing.update(|b| *b = !*b)>
                            {move || if browsing.get() { tr(Text::HideTree)() } else { tr(Text::PickFromTree)() }}
                        </button>
                        {move || browsing.get().then(|| view! { <HierarchyWalk choose/> })}
                    }
                        .into_any()
                }
            }}
        </div>
    }
    .into_any()
}

/// Walking down from the caller's top units to a community, one level at a time.
#[component]
fn HierarchyWalk(choose: Callback<Unit>) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    // The units opened so far, top first; empty: the caller's top units.
    let trail = RwSignal::new(Vec::<Unit>::new());
    let level = LocalResource::new(move || {
        let parent = trail.with(|t| t.last().map(|u| u.id));
        async move {
            match parent {
                None => api.get_all::<Unit>("/units/roots").await,
                Some(id) => api.get_all::<Unit>(&format!("/units/{id}/children")).await,
            }
        }
    });

    view! {
        <div class="hierarchy-walk" data-testid="hierarchy-walk">
            {move || {
                let path = trail.with(|t| t.iter().map(|u| u.name.clone()).collect::<Vec<_>>().join(" › "));
                (!path.is_empty())
                    .then(|| {
                        view! {
                            <div class="walk-head">
                                <button type="button" class="option-up" on:click=move |_| trail.update(|t| { t.pop(); })>
                                    "‹ " {tr(Text::Up)}
                                </button>
                                <span class="muted">{path}</span>
                            </div>
                        }
                    })
            }}
            <ul class="options">
                {move || match level.get() {
                    None => view! { <li><Loading/></li> }.into_any(),
                    Some(Err(e)) => view! { <li class="field-error">{e.message}</li> }.into_any(),
                    Some(Ok(units)) => {
                        units
                            .into_iter()
                            .filter(|u| !u.archived)
                            .map(|u| {
                                let community = u.tier_key == COMMUNITY;
                                let tier = u.tier_label(lang.get_untracked()).to_owned();
                                let name = u.name.clone();
                                let data_name = name.clone();
                                let count = u.child_count;
                                let open = u.clone();
                                view! {
                                    <li>
                                        <button
                                            type="button"
                                            class="option"
                                            class:drill=!community
                                            data-name=data_name
                                            on:click=move |_| {
                                                if community {
                                                    // Children come without their ancestors: the
                                                    // trail walked is exactly those.
                                                    let mut unit = open.clone();
                                                    if unit.ancestors.is_empty() {
                                                        unit.ancestors = trail.with_untracked(|t| {
                                                            t.iter()
                                                                .map(|a| Ancestor { id: a.id, name: a.name.clone() })
                                                                .collect()
                                                        });
                                                    }
                                                    choose.run(unit);
                                                } else {
                                                    trail.update(|t| t.push(open.clone()));
                                                }
                                            }
                                        >
                                            <span class="name">{name}</span>
                                            <span class="muted">
                                                {tier}
                                                {(!community && count > 0).then(|| format!(" · {count} ›"))}
                                            </span>
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }
                }}
            </ul>
        </div>
    }
    .into_any()
}
