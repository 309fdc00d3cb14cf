//! `/settings` (tenant admins): the tenant's names and time zone, its operations rules and its
//! tiers' labels.
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::IgnoredAny;

use crate::api::ApiError;
use crate::components::{ErrorNotice, FormError, Loading, TextField};
use crate::i18n::{Text, tr};
use crate::model::{Page, Tenant, TierView, UpdateTenantRequest, UpdateTierRequest};
use crate::state::use_api;

#[component]
pub fn SettingsPage() -> AnyView {
    let api = use_api();
    let tenant = LocalResource::new(move || async move { api.get::<Tenant>("/tenant").await });
    let tiers =
        LocalResource::new(move || async move { api.get::<Page<TierView>>("/tenant/tiers").await });

    view! {
        <section class="page" data-testid="settings-page">
            <h1>{tr(Text::SettingsTitle)}</h1>
            {move || match tenant.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(t)) => view! { <TenantForm tenant=t/> }.into_any(),
            }}
            <super::operations_rules::OperationsRulesSection/>
            <h2>{tr(Text::Tiers)}</h2>
            <p class="help">{tr(Text::TiersHelp)}</p>
            {move || match tiers.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(page)) => {
                    view! {
                        <div class="table-wrap">
                            <table class="table" data-testid="tiers">
                                <thead>
                                    <tr>
                                        <th>{tr(Text::Level)}</th>
                                        <th>{tr(Text::Key)}</th>
                                        <th>{tr(Text::LabelZh)}</th>
                                        <th>{tr(Text::LabelEn)}</th>
                                        <th>{tr(Text::UnitCount)}</th>
                                        <th>{tr(Text::Actions)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page.items.into_iter().map(|tier| view! { <TierRow tier/> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

#[component]
fn TenantForm(tenant: Tenant) -> AnyView {
    let api = use_api();
    let name_zh = RwSignal::new(tenant.name_zh);
    let name_en = RwSignal::new(tenant.name_en);
    let time_zone = RwSignal::new(tenant.time_zone);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        saved.set(false);
        error.set(None);
        let body = UpdateTenantRequest {
            name_zh: name_zh.get_untracked(),
            name_en: name_en.get_untracked(),
            time_zone: time_zone.get_untracked(),
        };
        spawn_local(async move {
            match api.patch::<_, IgnoredAny>("/tenant", &body).await {
                Ok(_) => saved.set(true),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <form class="form" data-testid="tenant-form" on:submit=submit>
            <p class="muted">{tr(Text::Slug)} ": " <code>{tenant.slug}</code></p>
            <FormError error/>
            <TextField label=Text::NameZh name="name_zh" value=name_zh error required=true/>
            <TextField label=Text::NameEn name="name_en" value=name_en error required=true/>
            <TextField label=Text::TimeZone name="time_zone" value=time_zone error required=true/>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {tr(Text::Save)}
                </button>
                {move || saved.get().then(|| view! { <span class="saved" role="status">{tr(Text::Saved)}</span> })}
            </div>
        </form>
    }
    .into_any()
}

/// One tier with its labels editable in place.
#[component]
fn TierRow(tier: TierView) -> AnyView {
    let api = use_api();
    let label_zh = RwSignal::new(tier.label_zh);
    let label_en = RwSignal::new(tier.label_en);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let key = tier.key.clone();

    let save = move |_| {
        saved.set(false);
        error.set(None);
        let body = UpdateTierRequest {
            label_zh: label_zh.get_untracked(),
            label_en: label_en.get_untracked(),
        };
        let path = format!("/tenant/tiers/{key}");
        spawn_local(async move {
            match api.patch::<_, IgnoredAny>(&path, &body).await {
                Ok(_) => saved.set(true),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let field_error = move |name: &'static str| {
        move || {
            error
                .with(|e| e.as_ref().and_then(|e| e.field(name)))
                .map(|m| view! { <span class="field-error">{m}</span> })
        }
    };
    let input = move |value: RwSignal<String>, label: Text| {
        view! {
            <input
                type="text"
                aria-label=tr(label)
                value=value.get_untracked()
                prop:value=move || value.get()
                on:input=move |ev| {
                    saved.set(false);
                    value.set(event_target_value(&ev))
                }
            />
        }
    };

    let data_key = tier.key.clone();
    view! {
        <tr data-testid="tier-row" data-key=data_key>
            <td class="num">{tier.level}</td>
            <td><code>{tier.key}</code></td>
            <td>{input(label_zh, Text::LabelZh)} {field_error("label_zh")}</td>
            <td>{input(label_en, Text::LabelEn)} {field_error("label_en")}</td>
            <td class="num">{tier.unit_count}</td>
            <td>
                <button type="button" on:click=save>{tr(Text::Save)}</button>
                {move || saved.get().then(|| view! { <span class="saved">"✓"</span> })}
                {move || {
                    error
                        .with(|e| e.as_ref().filter(|e| e.fields.is_empty()).map(|e| e.message.clone()))
                        .map(|m| view! { <span class="field-error">{m}</span> })
                }}
            </td>
        </tr>
    }
    .into_any()
}
