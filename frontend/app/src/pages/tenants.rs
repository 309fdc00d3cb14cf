//! `/platform/tenants` (platform operators): list, create, suspend and resume tenants.
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::IgnoredAny;

use crate::api::ApiError;
use crate::components::{ErrorNotice, FormError, Loading, TextField};
use crate::i18n::{Text, tr};
use crate::model::{CreateTenantRequest, CreatedTenant, Tenant, localized};
use crate::state::{use_api, use_portal};

#[component]
pub fn TenantsPage() -> AnyView {
    let api = use_api();
    let tenants =
        LocalResource::new(move || async move { api.get_all::<Tenant>("/platform/tenants").await });
    let reload = Callback::new(move |()| tenants.refetch());

    view! {
        <section class="page" data-testid="tenants-page">
            <h1>{tr(Text::TenantsTitle)}</h1>
            <NewTenantForm reload/>
            {move || match tenants.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(list)) => {
                    view! {
                        <div class="table-wrap">
                            <table class="table" data-testid="tenants">
                                <thead>
                                    <tr>
                                        <th>{tr(Text::Slug)}</th>
                                        <th>{tr(Text::NameZh)}</th>
                                        <th>{tr(Text::NameEn)}</th>
                                        <th>{tr(Text::Kind)}</th>
                                        <th>{tr(Text::TimeZone)}</th>
                                        <th>{tr(Text::Status)}</th>
                                        <th>{tr(Text::Actions)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|tenant| view! { <TenantRow tenant reload/> }).collect_view()}
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

fn kind_label(kind: &str) -> Text {
    if kind == "province" {
        Text::KindProvince
    } else {
        Text::KindCity
    }
}

#[component]
fn TenantRow(tenant: Tenant, reload: Callback<()>) -> AnyView {
    let api = use_api();
    let error = RwSignal::new(None::<ApiError>);
    let suspended = tenant.is_suspended();
    let id = tenant.id;
    let act = move |_| {
        let action = if suspended { "resume" } else { "suspend" };
        error.set(None);
        spawn_local(async move {
            match api
                .post_empty::<IgnoredAny>(&format!("/platform/tenants/{id}/{action}"))
                .await
            {
                Ok(_) => reload.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };

    let slug = tenant.slug.clone();
    view! {
        <tr data-testid="tenant-row" data-slug=slug class:disabled=suspended>
            <td><code>{tenant.slug}</code></td>
            <td>{tenant.name_zh}</td>
            <td>{tenant.name_en}</td>
            <td>{tr(kind_label(&tenant.kind))}</td>
            <td>{tenant.time_zone}</td>
            <td>
                {if suspended {
                    view! { <span class="badge muted-badge">{tr(Text::Suspended)}</span> }.into_any()
                } else {
                    view! { <span class="badge ok-badge">{tr(Text::Active)}</span> }.into_any()
                }}
            </td>
            <td>
                <button type="button" class:danger=!suspended on:click=act>
                    {tr(if suspended { Text::Resume } else { Text::Suspend })}
                </button>
                {move || error.get().map(|e| view! { <p class="field-error">{e.message}</p> })}
            </td>
        </tr>
    }
    .into_any()
}

#[component]
fn NewTenantForm(reload: Callback<()>) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let slug = RwSignal::new(String::new());
    let kind = RwSignal::new("city".to_owned());
    let name_zh = RwSignal::new(String::new());
    let name_en = RwSignal::new(String::new());
    let time_zone = RwSignal::new("Asia/Shanghai".to_owned());
    let admin_password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let created = RwSignal::new(None::<CreatedTenant>);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        created.set(None);
        let password = admin_password.get_untracked();
        let zone = time_zone.get_untracked().trim().to_owned();
        let body = CreateTenantRequest {
            slug: slug.get_untracked().trim().to_owned(),
            kind: kind.get_untracked(),
            name_zh: name_zh.get_untracked().trim().to_owned(),
            name_en: name_en.get_untracked().trim().to_owned(),
            time_zone: (!zone.is_empty()).then_some(zone),
            admin_password: (!password.is_empty()).then_some(password),
        };
        spawn_local(async move {
            match api
                .post::<_, CreatedTenant>("/platform/tenants", &body)
                .await
            {
                Ok(tenant) => {
                    created.set(Some(tenant));
                    slug.set(String::new());
                    name_zh.set(String::new());
                    name_en.set(String::new());
                    admin_password.set(String::new());
                    reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let kind_error = move || error.with(|e| e.as_ref().and_then(|e| e.field("kind")));

    view! {
        <details class="card">
            <summary>{tr(Text::NewTenant)}</summary>
            <form class="form" data-testid="new-tenant" on:submit=submit>
                <FormError error/>
                <TextField label=Text::Slug name="slug" value=slug error required=true/>
                <label class="field">
                    <span class="label">{tr(Text::Kind)}</span>
                    <select name="kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="city" selected=move || kind.get() == "city">
                            {tr(Text::KindCity)}
                        </option>
                        <option value="province" selected=move || kind.get() == "province">
                            {tr(Text::KindProvince)}
                        </option>
                    </select>
                    {move || kind_error().map(|m| view! { <span class="field-error">{m}</span> })}
                </label>
                <TextField label=Text::NameZh name="name_zh" value=name_zh error required=true/>
                <TextField label=Text::NameEn name="name_en" value=name_en error required=true/>
                <TextField label=Text::TimeZone name="time_zone" value=time_zone error/>
                <TextField
                    label=Text::AdminPassword
                    name="admin_password"
                    value=admin_password
                    error
                    input_type="password"
                    autocomplete="new-password"
                />
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {tr(Text::Create)}
                </button>
            </form>
        </details>
        {move || {
            created
                .get()
                .map(|c| {
                    let name = localized(lang.get(), &c.tenant.name_zh, &c.tenant.name_en).to_owned();
                    view! {
                        <div class="notice success" role="status" data-testid="tenant-created">
                            <p>
                                <strong>{name}</strong>
                                " ("
                                <code>{c.tenant.slug.clone()}</code>
                                ")"
                            </p>
                            {c
                                .admin_password
                                .map(|p| {
                                    view! {
                                        <p>
                                            {tr(Text::AdminPasswordOnce)} " " <code class="secret">{p}</code>
                                        </p>
                                    }
                                })}
                        </div>
                    }
                })
        }}
    }
    .into_any()
}
