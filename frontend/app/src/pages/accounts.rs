//! `/accounts` (tenant admins): accounts, their scoped role grants, disabling and enabling.
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minqing_domain::UnitId;
use minqing_domain::role::Role;
use serde::de::IgnoredAny;

use crate::api::ApiError;
use crate::components::{ErrorNotice, FormError, Loading, TextField, UnitPicker};
use crate::i18n::{Text, role_label, tr};
use crate::model::{Account, CreateAccountRequest, CreateGrantRequest, CreatedAccount, Grant};
use crate::state::{use_api, use_portal};

/// The roles a tenant admin hands out (operators belong to the platform, not to a tenant).
const TENANT_ROLES: [Role; 6] = [
    Role::TenantAdmin,
    Role::Leader,
    Role::Cadre,
    Role::Recorder,
    Role::Auditor,
    Role::Reviewer,
];

#[component]
pub fn AccountsPage() -> AnyView {
    let api = use_api();
    let accounts =
        LocalResource::new(move || async move { api.get_all::<Account>("/accounts").await });
    let reload = Callback::new(move |()| accounts.refetch());

    view! {
        <section class="page" data-testid="accounts-page">
            <h1>{tr(Text::AccountsTitle)}</h1>
            <NewAccountForm reload/>
            {move || match accounts.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(list)) => {
                    view! {
                        <div class="table-wrap">
                            <table class="table" data-testid="accounts">
                                <thead>
                                    <tr>
                                        <th>{tr(Text::Username)}</th>
                                        <th>{tr(Text::DisplayName)}</th>
                                        <th>{tr(Text::Status)}</th>
                                        <th>{tr(Text::Grants)}</th>
                                        <th>{tr(Text::Actions)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|account| view! { <AccountRow account reload/> }).collect_view()}
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
fn NewAccountForm(reload: Callback<()>) -> AnyView {
    let api = use_api();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let created = RwSignal::new(None::<CreatedAccount>);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        created.set(None);
        let password = password.get_untracked();
        let body = CreateAccountRequest {
            username: username.get_untracked().trim().to_owned(),
            display_name: display_name.get_untracked().trim().to_owned(),
            password: (!password.is_empty()).then_some(password),
        };
        spawn_local(async move {
            match api.post::<_, CreatedAccount>("/accounts", &body).await {
                Ok(account) => {
                    created.set(Some(account));
                    username.set(String::new());
                    display_name.set(String::new());
                    reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <details class="card">
            <summary>{tr(Text::NewAccount)}</summary>
            <form class="form" data-testid="new-account" on:submit=submit>
                <FormError error/>
                <TextField label=Text::Username name="username" value=username error required=true/>
                <TextField label=Text::DisplayName name="display_name" value=display_name error required=true/>
                <TextField
                    label=Text::InitialPassword
                    name="password"
                    value=password
                    error
                    input_type="password"
                    autocomplete="new-password"
                    hint=Text::PasswordRules
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
                    view! {
                        <div class="notice success" role="status" data-testid="account-created">
                            <p>
                                <strong>{c.account.username}</strong>
                            </p>
                            {c
                                .generated_password
                                .map(|p| {
                                    view! {
                                        <p>
                                            {tr(Text::GeneratedPassword)} " " <code class="secret">{p}</code>
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

#[component]
fn AccountRow(account: Account, reload: Callback<()>) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let error = RwSignal::new(None::<ApiError>);
    let adding = RwSignal::new(false);
    let id = account.id;
    let disabled = account.disabled;

    let act = move |path: String| {
        error.set(None);
        spawn_local(async move {
            match api.post_empty::<IgnoredAny>(&path).await {
                Ok(_) => reload.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let remove_grant = move |grant: uuid::Uuid| {
        error.set(None);
        spawn_local(async move {
            match api
                .delete::<IgnoredAny>(&format!("/accounts/{id}/grants/{grant}"))
                .await
            {
                Ok(_) => reload.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };

    let username = account.username.clone();
    view! {
        <tr data-testid="account-row" data-username=username class:disabled=disabled>
            <td><code>{account.username}</code></td>
            <td>{account.display_name}</td>
            <td>
                {if disabled {
                    view! { <span class="badge muted-badge">{tr(Text::Disabled)}</span> }.into_any()
                } else {
                    view! { <span class="badge ok-badge">{tr(Text::Active)}</span> }.into_any()
                }}
                {account.must_change_password.then(|| view! { <span class="badge">{tr(Text::MustChange)}</span> })}
            </td>
            <td>
                <ul class="chips">
                    {account
                        .grants
                        .into_iter()
                        .map(|g: Grant| {
                            let grant_id = g.id;
                            let role = g.role;
                            let unit = g.unit_name.clone();
                            view! {
                                <li class="chip">
                                    {move || role_label(role, lang.get())}
                                    " · "
                                    {match unit.clone() {
                                        Some(name) => name.into_any(),
                                        None => tr(Text::WholeTenant).into_any(),
                                    }}
                                    <button
                                        type="button"
                                        class="chip-remove"
                                        aria-label=tr(Text::Remove)
                                        on:click=move |_| remove_grant(grant_id)
                                    >
                                        "×"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
                {move || {
                    if adding.get() {
                        view! { <GrantForm account=id reload done=adding/> }.into_any()
                    } else {
                        view! {
                            <button type="button" class="link-button" on:click=move |_| adding.set(true)>
                                "+ "
                                {tr(Text::AddGrant)}
                            </button>
                        }
                            .into_any()
                    }
                }}
            </td>
            <td>
                {if disabled {
                    view! {
                        <button type="button" on:click=move |_| act(format!("/accounts/{id}/enable"))>
                            {tr(Text::Enable)}
                        </button>
                    }
                        .into_any()
                } else {
                    view! {
                        <button type="button" class="danger" on:click=move |_| act(format!("/accounts/{id}/disable"))>
                            {tr(Text::Disable)}
                        </button>
                    }
                        .into_any()
                }}
                {move || error.get().map(|e| view! { <p class="field-error">{e.message}</p> })}
            </td>
        </tr>
    }
    .into_any()
}

#[component]
fn GrantForm(
    account: minqing_domain::AccountId,
    reload: Callback<()>,
    done: RwSignal<bool>,
) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let role = RwSignal::new(Role::Cadre);
    let unit = RwSignal::new(None::<(UnitId, String)>);
    let error = RwSignal::new(None::<ApiError>);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let body = CreateGrantRequest {
            role: role.get_untracked(),
            unit_id: unit.get_untracked().map(|(id, _)| id),
        };
        spawn_local(async move {
            match api
                .post::<_, IgnoredAny>(&format!("/accounts/{account}/grants"), &body)
                .await
            {
                Ok(_) => {
                    done.set(false);
                    reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    view! {
        <form class="grant-form" on:submit=submit>
            <label class="field">
                <span class="label">{tr(Text::Role)}</span>
                <select on:change=move |ev| {
                    if let Ok(r) = Role::parse(&event_target_value(&ev)) {
                        role.set(r);
                    }
                }>
                    {TENANT_ROLES
                        .into_iter()
                        .map(|r| {
                            view! {
                                <option value=r.as_str() selected=move || role.get() == r>
                                    {move || role_label(r, lang.get())}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <div class="field">
                <span class="label">{tr(Text::Unit)}</span>
                <UnitPicker selected=unit/>
            </div>
            {move || {
                error
                    .get()
                    .map(|e| {
                        let field = e.field("unit_id").or_else(|| e.field("role"));
                        view! { <p class="field-error">{field.unwrap_or(e.message)}</p> }
                    })
            }}
            <div class="form-actions">
                <button type="submit" class="primary">{tr(Text::Add)}</button>
                <button type="button" class="link-button" on:click=move |_| done.set(false)>
                    {tr(Text::Cancel)}
                </button>
            </div>
        </form>
    }
    .into_any()
}
