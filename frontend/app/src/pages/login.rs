//! `/login`, and the change-password form (forced after a generated or reset password).
use std::sync::Arc;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::ApiError;
use crate::app::LangSwitch;
use crate::components::{FormError, TextField};
use crate::i18n::{Text, tr};
use crate::model::{ChangePasswordRequest, LoginRequest, LoginResponse, Me};
use crate::state::{Session, use_portal};

#[component]
pub fn LoginPage() -> AnyView {
    let portal = use_portal();
    let api = portal.api();
    let navigate = use_navigate();
    // After a refused form post (sent before the portal hydrated) the server comes back here
    // with the error's code and what was typed, never the password.
    let query = use_query_map();
    let sent = move |key: &str| query.with_untracked(|q| q.get(key).unwrap_or_default());
    let tenant = RwSignal::new(typed_or("tenant", sent("tenant")));
    let username = RwSignal::new(typed_or("username", sent("username")));
    let password = RwSignal::new(typed_or("password", String::new()));
    let refused = sent("error");
    let error = RwSignal::new((!refused.is_empty()).then(|| {
        ApiError::form(
            &minqing_domain::i18n::message(&refused, portal.lang.get_untracked()),
            Default::default(),
        )
    }));
    let busy = RwSignal::new(false);

    // Someone already signed in (a bookmark, the back button) goes straight on.
    Effect::new({
        let navigate = navigate.clone();
        move |_| {
            if let Some(me) = portal.session.with(|s| s.me())
                && !busy.get_untracked()
            {
                navigate(me.landing_page(), Default::default());
            }
        }
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let body = LoginRequest {
            tenant: tenant.get_untracked().trim().to_owned(),
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            let signed_in = async {
                api.post::<_, LoginResponse>("/auth/login", &body).await?;
                api.get::<Me>("/auth/me").await
            };
            match signed_in.await {
                Ok(me) => {
                    let to = me.landing_page();
                    portal.session.set(Session::SignedIn(Arc::new(me)));
                    navigate(to, Default::default());
                }
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <main class="login-page">
            <div class="login-card">
                <div class="login-head">
                    <h1>{tr(Text::AppName)}</h1>
                    <LangSwitch/>
                </div>
                <p class="muted">{tr(Text::AppTagline)}</p>
                // A real form: posted by the browser itself where the portal has not hydrated yet.
                <form id="login-form" class="form" method="post" action="/login" on:submit=submit>
                    <FormError error/>
                    <TextField
                        label=Text::Tenant
                        name="tenant"
                        value=tenant
                        error
                        required=true
                        autocomplete="organization"
                        hint=Text::TenantHint
                    />
                    <TextField
                        label=Text::Username
                        name="username"
                        value=username
                        error
                        required=true
                        autocomplete="username"
                    />
                    <TextField
                        label=Text::Password
                        name="password"
                        value=password
                        error
                        input_type="password"
                        required=true
                        autocomplete="current-password"
                    />
                    <button type="submit" class="primary" data-testid="login-submit" disabled=move || busy.get()>
                        {move || if busy.get() { tr(Text::LoggingIn)() } else { tr(Text::LogIn)() }}
                    </button>
                </form>
            </div>
        </main>
    }
    .into_any()
}

/// What the login form's field `name` holds already: typed before the portal hydrated (the
/// browser keeps it in the server-rendered input, and hydration must not wipe it), else
/// `fallback`.
fn typed_or(name: &str, fallback: String) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let typed = document()
            .query_selector(&format!("#login-form input[name={name}]"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|input| input.value())
            .filter(|v| !v.is_empty());
        if let Some(typed) = typed {
            return typed;
        }
    }
    let _ = name;
    fallback
}

/// Changes the signed-in account's password. `forced`: shown instead of any page while the
/// server requires a new password (every other call answers `password_change_required`).
#[component]
pub fn ChangePasswordForm(forced: bool) -> AnyView {
    let portal = use_portal();
    let api = portal.api();
    let navigate = use_navigate();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    let lang = portal.lang;

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if new.get_untracked() != repeat.get_untracked() {
            let mut e = ApiError {
                status: 0,
                code: "passwords_differ".to_owned(),
                message: Text::PasswordsDiffer.get(lang.get_untracked()).to_owned(),
                fields: Default::default(),
                rows: Vec::new(),
            };
            e.fields
                .insert("repeat_password".to_owned(), e.message.clone());
            error.set(Some(e));
            return;
        }
        busy.set(true);
        error.set(None);
        let body = ChangePasswordRequest {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            let changed = async {
                api.post::<_, serde::de::IgnoredAny>("/auth/password", &body)
                    .await?;
                // The session (and its CSRF token) may have been renewed: ask again.
                api.get::<Me>("/auth/me").await
            };
            match changed.await {
                Ok(me) => {
                    let to = me.landing_page();
                    portal.session.set(Session::SignedIn(Arc::new(me)));
                    done.set(true);
                    current.set(String::new());
                    new.set(String::new());
                    repeat.set(String::new());
                    if forced {
                        navigate(to, Default::default());
                    }
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="page narrow" data-testid="change-password">
            <h1>{tr(Text::ChangePassword)}</h1>
            {forced.then(|| view! { <p class="notice">{tr(Text::MustChangePassword)}</p> })}
            {move || done.get().then(|| view! { <p class="notice success">{tr(Text::PasswordChanged)}</p> })}
            <form class="form" method="post" on:submit=submit>
                <FormError error/>
                <TextField
                    label=Text::CurrentPassword
                    name="current_password"
                    value=current
                    error
                    input_type="password"
                    required=true
                    autocomplete="current-password"
                />
                <TextField
                    label=Text::NewPassword
                    name="new_password"
                    value=new
                    error
                    input_type="password"
                    required=true
                    autocomplete="new-password"
                    hint=Text::PasswordRules
                />
                <TextField
                    label=Text::RepeatPassword
                    name="repeat_password"
                    value=repeat
                    error
                    input_type="password"
                    required=true
                    autocomplete="new-password"
                />
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {tr(Text::Save)}
                </button>
            </form>
        </section>
    }
    .into_any()
}
