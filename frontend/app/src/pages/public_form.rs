//! `/public/:tenant/report`: 网上反映诉求 — a resident raises a demand online, without an
//! account. They walk down the hierarchy to their community (one choice per tier), pick how
//! pressing it is and a category, describe it, and get a receipt code with a link to follow it.
//! One `Idempotency-Key` per form: a double tap or a resend on a bad connection records once.
use std::collections::BTreeMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use minqing_domain::UnitId;
use minqing_domain::demand::Grade;
use minqing_domain::demand::intake::PublicIntakeForm;

use crate::api::{ApiError, encode, new_idempotency_key};
use crate::components::{
    ErrorNotice, FieldError, FormError, TextAreaField, TextField, blank_is_null,
};
use crate::i18n::{Text, pick, tr};
use crate::model::{Category, PublicDemand, PublicUnit};
use crate::pages::receipt::{PublicFrame, tenant_param};
use crate::state::{use_api, use_portal};

#[component]
pub fn PublicFormPage() -> impl IntoView {
    let api = use_api();
    let lang = use_portal().lang;
    let tenant = tenant_param();
    let categories = LocalResource::new(move || {
        let tenant = tenant.get();
        async move {
            api.get::<Vec<Category>>(&format!("/public/{}/categories", encode(&tenant)))
                .await
        }
    });
    // The units chosen so far, top down; the community is the last, once it has no level below.
    let chosen = RwSignal::new(Vec::<PublicUnit>::new());
    let grade = RwSignal::new(Grade::Urgent);
    let category = RwSignal::new(String::new());
    let [title, description, address, resident_name, phone] =
        std::array::from_fn(|_| RwSignal::new(String::new()));
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let received = RwSignal::new(None::<PublicDemand>);
    let key = RwSignal::new(String::new());
    Effect::new(move |_| key.set(new_idempotency_key()));

    let community = move || chosen.with(|c| c.last().filter(|u| !u.has_children).map(|u| u.id));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let l = lang.get_untracked();
        let mut missing = BTreeMap::new();
        if community().is_none() {
            missing.insert(
                "origin_unit".to_owned(),
                Text::PickCommunityBelow.get(l).to_owned(),
            );
        }
        if category.with_untracked(String::is_empty) {
            missing.insert("category".to_owned(), Text::PickCategory.get(l).to_owned());
        }
        let Some(origin_unit) = community().filter(|_| missing.is_empty()) else {
            error.set(Some(ApiError::form(Text::FixFields.get(l), missing)));
            return;
        };
        let optional = |s: RwSignal<String>| blank_is_null(s.get_untracked());
        let body = PublicIntakeForm {
            origin_unit,
            grade: Some(grade.get_untracked()),
            category: category.get_untracked(),
            title: title.get_untracked(),
            description: description.get_untracked(),
            address: optional(address),
            resident_name: optional(resident_name),
            phone: optional(phone),
        };
        let path = format!("/public/{}/demands", encode(&tenant.get_untracked()));
        let idempotency_key = key.get_untracked();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api
                .post_idempotent::<_, PublicDemand>(&path, &body, &idempotency_key)
                .await
            {
                Ok(receipt) => received.set(Some(receipt)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <PublicFrame>
            <section class="page intake public-form" data-testid="public-form-page">
                <h1>{tr(Text::PublicFormTitle)}</h1>
                {move || match received.get() {
                    Some(receipt) => {
                        let code = receipt.receipt_code.clone();
                        view! {
                            <div class="receipt notice success" role="status" data-testid="public-form-done">
                                <p>{tr(Text::PublicSubmitted)}</p>
                                <p class="receipt-code" data-testid="receipt-code">{code.clone()}</p>
                                <dl class="facts">
                                    <dt>{tr(Text::HandlingUnit)}</dt>
                                    <dd>{receipt.handling_unit.clone()}</dd>
                                </dl>
                                <A
                                    href=move || format!("/public/{}/receipt/{}", encode(&tenant.get()), encode(&code))
                                    attr:class="button primary big"
                                    attr:data-testid="follow-receipt"
                                >
                                    {tr(Text::FollowProgress)}
                                </A>
                            </div>
                        }
                            .into_any()
                    }
                    None => view! {
                        <p class="hint">{tr(Text::PublicFormIntro)}</p>
                        <form class="form intake-form" data-testid="public-form" novalidate=true on:submit=submit>
                            <FormError error/>
                            <fieldset class="field" class:invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("origin_unit")).is_some())>
                                <legend class="label">{tr(Text::WhereYouLive)}</legend>
                                <UnitSteps tenant chosen/>
                                <FieldError name="origin_unit" error/>
                            </fieldset>
                            <label class="field">
                                <span class="label">{tr(Text::Grade)}</span>
                                <select
                                    name="grade"
                                    data-testid="public-grade"
                                    on:change=move |ev| {
                                        if let Ok(g) = Grade::parse(&event_target_value(&ev)) {
                                            grade.set(g);
                                        }
                                    }
                                >
                                    {Grade::ALL
                                        .into_iter()
                                        .map(|g| view! {
                                            <option value=g.as_str() selected=move || grade.get() == g>
                                                {move || pick(g.labels(), lang.get())}
                                            </option>
                                        })
                                        .collect_view()}
                                </select>
                            </label>
                            <label class="field" class:invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("category")).is_some())>
                                <span class="label">{tr(Text::Category)}</span>
                                <select
                                    name="category"
                                    data-testid="public-category"
                                    on:change=move |ev| category.set(event_target_value(&ev))
                                    prop:value=move || category.get()
                                >
                                    <option value="">{tr(Text::ChooseCategory)}</option>
                                    {move || categories.get().and_then(Result::ok).map(|list| {
                                        list.into_iter()
                                            .map(|c| {
                                                let value = c.key.clone();
                                                view! { <option value=value>{move || c.label(lang.get()).to_owned()}</option> }
                                            })
                                            .collect_view()
                                    })}
                                </select>
                                {move || categories.get().and_then(Result::err).map(|e| view! { <ErrorNotice error=e/> })}
                                <FieldError name="category" error/>
                            </label>
                            <TextField label=Text::DemandTitle name="title" value=title error required=true/>
                            <TextAreaField label=Text::Description name="description" value=description error required=true rows=5/>
                            <TextField label=Text::Address name="address" value=address error hint=Text::Optional/>
                            <TextField label=Text::ResidentName name="resident_name" value=resident_name error hint=Text::Optional/>
                            <TextField label=Text::Phone name="phone" value=phone error input_type="tel" hint=Text::PublicPhoneHint/>
                            <button type="submit" class="primary big" data-testid="public-submit" disabled=move || busy.get()>
                                {move || if busy.get() { tr(Text::Submitting)() } else { tr(Text::SubmitDemand)() }}
                            </button>
                        </form>
                    }
                        .into_any(),
                }}
            </section>
        </PublicFrame>
    }
}

/// One select per tier, top down: each choice loads the level below, until a unit with none
/// (a community or village) is chosen.
#[component]
fn UnitSteps(tenant: Memo<String>, chosen: RwSignal<Vec<PublicUnit>>) -> impl IntoView {
    let api = use_api();
    let lang = use_portal().lang;
    // The options of each level shown: the top units, then the children of each choice.
    let levels = RwSignal::new(Vec::<Vec<PublicUnit>>::new());
    let load = move |parent: Option<UnitId>, depth: usize| {
        let path = match parent {
            None => format!("/public/{}/units", encode(&tenant.get_untracked())),
            Some(p) => format!(
                "/public/{}/units?parent={}",
                encode(&tenant.get_untracked()),
                p.0
            ),
        };
        spawn_local(async move {
            if let Ok(units) = api.get::<Vec<PublicUnit>>(&path).await {
                levels.update(|l| {
                    l.truncate(depth);
                    l.push(units);
                });
            }
        });
    };
    Effect::new(move |_| {
        tenant.track();
        chosen.set(Vec::new());
        load(None, 0);
    });
    let choose = move |depth: usize, id: String| {
        let picked = levels.with_untracked(|l| {
            l.get(depth)
                .and_then(|options| options.iter().find(|u| u.id.0.to_string() == id).cloned())
        });
        chosen.update(|c| c.truncate(depth));
        levels.update(|l| l.truncate(depth + 1));
        if let Some(unit) = picked {
            let (id, more) = (unit.id, unit.has_children);
            chosen.update(|c| c.push(unit));
            if more {
                load(Some(id), depth + 1);
            }
        }
    };
    view! {
        <div class="unit-steps" data-testid="unit-steps">
            {move || {
                levels
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(depth, options)| {
                        view! {
                            <select
                                data-testid=format!("unit-level-{depth}")
                                aria-label=move || Text::WhereYouLive.get(lang.get())
                                on:change=move |ev| choose(depth, event_target_value(&ev))
                            >
                                <option value="">{tr(Text::ChooseOne)}</option>
                                {options
                                    .into_iter()
                                    .map(|u| {
                                        let id = u.id.0.to_string();
                                        let selected = chosen.with_untracked(|c| c.get(depth).is_some_and(|p| p.id == u.id));
                                        view! { <option value=id selected=selected>{u.name}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}
