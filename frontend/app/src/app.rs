//! The document shell, the routes, and the signed-in layout (header, navigation by role).
//!
//! The server renders the shell and the layout in the reader's language with loading states;
//! after hydration the browser asks who is signed in and loads each page's data from the API.
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Outlet, ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::{NavigateOptions, path};
use minqing_domain::i18n::Lang;
use minqing_domain::role::Role;

use crate::api::ApiError;
use crate::components::Loading;
use crate::i18n::{Text, initial_lang, set_lang, tr};
use crate::pages::{
    AccountsPage, CasePage, CasesPage, ChangePasswordForm, DemandPage, DemandSettingsPage,
    ImportPage, IntakePage, LedgerPage, LoginPage, PublicFormPage, PublicVisitsPage,
    ReceiptLookupPage, ReceiptPage, SettingsPage, TenantsPage, UnitDetailPanel, UnitsPage,
    UnitsPlaceholder, VisitCalendarPage, WarningsPage,
};
use crate::state::{Portal, Session, use_portal};

/// The whole HTML document; the server renders it for every portal page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = use_context::<Lang>().unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" href="/minqing.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let portal = Portal::new(initial_lang());
    provide_context(portal);
    let outbox = crate::outbox::OutboxState::new();
    provide_context(outbox);

    // Effects run in the browser only, once hydrated: say so (tests wait for it), then ask who
    // is signed in.
    Effect::new(move |_| {
        mark_hydrated();
        portal.refresh_session();
        crate::outbox::start(outbox, portal);
    });

    view! {
        // A plain string, not a reactive text: the server writes the title into <head> after the
        // body has streamed, outside the page's reactive owner, where reading the language
        // signal panicked ("no Arena is active") now and then.
        <Title text=Text::AppTagline.get(portal.lang.get_untracked())/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage/>
                // The resident's pages: outside the signed-in layout, so nothing sends them to
                // the login page.
                <Route path=path!("/public/:tenant/report") view=PublicFormPage/>
                <Route path=path!("/public/:tenant/receipt") view=ReceiptLookupPage/>
                <Route path=path!("/public/:tenant/receipt/:code") view=ReceiptPage/>
                <Route path=path!("/public/:tenant/units/:id/visits") view=PublicVisitsPage/>
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/password") view=|| view! { <ChangePasswordForm forced=false/> }/>
                    // Before `/units/:id`, which would otherwise take "import" for an id.
                    <Route path=path!("/units/import") view=ImportPage/>
                    <ParentRoute path=path!("/units") view=UnitsPage>
                        <Route path=path!("") view=UnitsPlaceholder/>
                        <Route path=path!(":id") view=UnitDetailPanel/>
                    </ParentRoute>
                    // Before `/demands/:id`, which would otherwise take "new" for an id.
                    <Route path=path!("/demands/new") view=IntakePage/>
                    <Route path=path!("/demands/:id") view=DemandPage/>
                    <Route path=path!("/demands") view=LedgerPage/>
                    <Route path=path!("/visits") view=VisitCalendarPage/>
                    <Route path=path!("/accountability/warnings") view=WarningsPage/>
                    <Route path=path!("/accountability/cases/:id") view=CasePage/>
                    <Route path=path!("/accountability/cases") view=CasesPage/>
                    <Route path=path!("/settings/demands") view=DemandSettingsPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                    <Route path=path!("/accounts") view=AccountsPage/>
                    <Route path=path!("/platform/tenants") view=TenantsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// `data-hydrated` on `<body>`: set once the wasm has taken over the page.
fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// What the layout shows, derived from the session (a memo, so pages are not rebuilt when the
/// session changes in ways that do not matter to them).
#[derive(Debug, Clone, PartialEq)]
enum Gate {
    Loading,
    SignedOut,
    Unavailable(ApiError),
    MustChangePassword,
    Ready,
}

/// Every page but login: header and navigation, and the page once the session is known.
#[component]
fn Layout() -> AnyView {
    let portal = use_portal();
    let gate = Memo::new(move |_| match portal.session.get() {
        Session::Unknown => Gate::Loading,
        Session::SignedOut => Gate::SignedOut,
        Session::Unavailable(e) => Gate::Unavailable(e),
        Session::SignedIn(me) if me.account.must_change_password => Gate::MustChangePassword,
        Session::SignedIn(_) => Gate::Ready,
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if gate.get() == Gate::SignedOut {
            navigate(
                "/login",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    view! {
        <div class="layout">
            <Header/>
            <main id="main" class="content">
                {move || match gate.get() {
                    Gate::Loading | Gate::SignedOut => view! { <Loading/> }.into_any(),
                    Gate::Unavailable(error) => {
                        view! {
                            <div class="notice error" role="alert">
                                <p>{tr(Text::ServiceUnavailable)} " " {error.message}</p>
                                <button type="button" on:click=move |_| portal.refresh_session()>
                                    {tr(Text::Retry)}
                                </button>
                            </div>
                        }
                            .into_any()
                    }
                    Gate::MustChangePassword => view! { <ChangePasswordForm forced=true/> }.into_any(),
                    Gate::Ready => view! { <crate::outbox::OutboxBar/> <Outlet/> }.into_any(),
                }}
            </main>
        </div>
    }
    .into_any()
}

#[component]
fn Header() -> AnyView {
    let portal = use_portal();
    let lang = portal.lang;
    let me = move || portal.session.with(|s| s.me());
    let pathname = use_location().pathname;
    let logout = move |_| {
        let api = portal.api();
        spawn_local(async move {
            let _ = api
                .post_empty::<serde::de::IgnoredAny>("/auth/logout")
                .await;
            portal.session.set(Session::SignedOut);
        });
    };

    view! {
        <header class="topbar">
            <div class="topbar-main">
                <A href="/" attr:class="brand">
                    {tr(Text::AppName)}
                </A>
                <span class="tenant-name" data-testid="tenant-name">
                    {move || me().map(|me| me.tenant.name(lang.get()).to_owned())}
                </span>
                <div class="topbar-tools">
                    <LangSwitch/>
                    {move || {
                        me().map(|me| {
                            view! {
                                <A href="/password" attr:class="user" attr:title=tr(Text::ChangePassword)>
                                    {if me.account.display_name.is_empty() {
                                        me.account.username.clone()
                                    } else {
                                        me.account.display_name.clone()
                                    }}
                                </A>
                                <button type="button" class="link-button" data-testid="logout" on:click=logout>
                                    {tr(Text::LogOut)}
                                </button>
                            }
                        })
                    }}
                </div>
            </div>
            <nav class="mainnav" aria-label=tr(Text::AppName)>
                {move || me().map(|me| nav_links(&me, pathname))}
            </nav>
        </header>
    }
    .into_any()
}

/// Navigation by role: the demand ledger, warnings, cases, the visit calendar and units for anyone with a tenant
/// grant, intake for the roles that record, administration for tenant admins (the tenant's
/// settings for those over the whole tenant), tenants for platform operators. The API enforces
/// the same rules.
fn nav_links(me: &crate::model::Me, pathname: Memo<String>) -> impl IntoView + use<> {
    let admin = me.has_role(Role::TenantAdmin);
    let mut links: Vec<(&'static str, Text, &'static str)> = Vec::new();
    if me.sees_demands() {
        links.push(("/demands", Text::NavDemands, "nav-demands"));
    }
    if me.records_demands() {
        links.push(("/demands/new", Text::NavIntake, "nav-intake"));
    }
    if me.sees_demands() {
        links.push((
            "/accountability/warnings",
            Text::NavWarnings,
            "nav-warnings",
        ));
        links.push(("/accountability/cases", Text::NavCases, "nav-cases"));
    }
    if me.sees_units() {
        links.push(("/visits", Text::NavVisits, "nav-visits"));
        links.push(("/units", Text::NavUnits, "nav-units"));
    }
    if admin {
        links.push(("/units/import", Text::NavImport, "nav-import"));
    }
    if me.is_tenant_wide_admin() {
        links.push(("/settings", Text::NavSettings, "nav-settings"));
        links.push((
            "/settings/demands",
            Text::NavDemandSettings,
            "nav-demand-settings",
        ));
    }
    if admin {
        links.push(("/accounts", Text::NavAccounts, "nav-accounts"));
    }
    if me.is_operator() {
        links.push(("/platform/tenants", Text::NavTenants, "nav-tenants"));
    }
    links
        .into_iter()
        .map(|(href, text, testid)| {
            // The router handles plain links too; the current section is marked by hand so that
            // `/units/import` highlights Import only, and `/demands/new` Intake only.
            let current = move || {
                let path = pathname.get();
                let within = path == href || path.starts_with(&format!("{href}/"));
                let elsewhere = (href == "/units" && path == "/units/import")
                    || (href == "/demands" && path == "/demands/new")
                    || (href == "/settings" && path.starts_with("/settings/demands"));
                (within && !elsewhere).then_some("page")
            };
            view! {
                <a href=href data-testid=testid aria-current=current>
                    {tr(text)}
                </a>
            }
        })
        .collect_view()
}

/// 中文 / English, switched in place; the cookie tells the server for the next page.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_portal().lang;
    let button = move |choice: Lang, label: &'static str, testid: &'static str| {
        view! {
            <button
                type="button"
                class="lang"
                data-testid=testid
                lang=choice.tag()
                aria-pressed=move || (lang.get() == choice).to_string()
                on:click=move |_| set_lang(lang, choice)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="lang-switch" role="group" aria-label=tr(Text::Language)>
            {button(Lang::Zh, "中文", "lang-zh")}
            {button(Lang::En, "English", "lang-en")}
        </div>
    }
}

/// `/`: on to the page that suits the account.
#[component]
fn Home() -> impl IntoView {
    let portal = use_portal();
    let to = portal
        .session
        .with_untracked(|s| s.me().map(|me| me.landing_page()))
        .unwrap_or("/units");
    view! { <Redirect path=to/> }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="content narrow">
            <p class="notice error" role="alert">
                {tr(Text::NotFound)}
            </p>
            <p>
                <A href="/">{tr(Text::BackHome)}</A>
            </p>
        </main>
    }
}
