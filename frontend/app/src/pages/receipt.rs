//! `/public/:tenant/receipt` and `/public/:tenant/receipt/:code`: 回执查询 — a resident follows
//! a demand by its receipt code, without logging in. The API gives progress only: status,
//! handling unit, steps with reply texts — never the resident's name, phone or ID number.
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::encode;
use crate::app::LangSwitch;
use crate::components::{ErrorNotice, FormError, Loading, RatingChoice, TextAreaField, TextField};
use crate::i18n::{Text, event_text, pick, tr};
use crate::model::PublicRatingForm;
use crate::model::{PublicDemand, category_label};
use crate::state::{use_api, use_portal};
use crate::time::{DEFAULT_ZONE, format_opt, format_time};

/// The frame of the public pages: the name and the language switch, no account, no navigation.
#[component]
pub(crate) fn PublicFrame(children: Children) -> impl IntoView {
    view! {
        <div class="layout public">
            <header class="topbar">
                <div class="topbar-main">
                    <span class="brand">{tr(Text::AppName)}</span>
                    <div class="topbar-tools">
                        <LangSwitch/>
                    </div>
                </div>
            </header>
            <main id="main" class="content narrow">
                {children()}
            </main>
        </div>
    }
}

pub(crate) fn tenant_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get("tenant")
            .unwrap_or_default()
            .to_ascii_lowercase()
    })
}

/// `/public/:tenant/receipt`: the code box alone.
#[component]
pub fn ReceiptLookupPage() -> impl IntoView {
    let tenant = tenant_param();
    view! {
        <PublicFrame>
            <section class="page receipt-page" data-testid="receipt-lookup">
                <h1>{tr(Text::ReceiptLookupTitle)}</h1>
                <CodeBox tenant initial=String::new()/>
            </section>
        </PublicFrame>
    }
}

/// The receipt code box: on to `/public/{tenant}/receipt/{code}`.
#[component]
fn CodeBox(tenant: Memo<String>, initial: String) -> impl IntoView {
    let code = RwSignal::new(initial);
    let navigate = use_navigate();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = code.get_untracked().trim().to_owned();
        if typed.is_empty() {
            return;
        }
        let url = format!(
            "/public/{}/receipt/{}",
            encode(&tenant.get_untracked()),
            encode(&typed)
        );
        navigate(&url, Default::default());
    };
    view! {
        <form class="form code-box" data-testid="receipt-form" on:submit=submit>
            <label class="field">
                <span class="label">{tr(Text::ReceiptCode)}</span>
                <input
                    type="text"
                    name="code"
                    data-testid="receipt-input"
                    autocomplete="off"
                    autocapitalize="characters"
                    spellcheck="false"
                    placeholder="XXXX-XXXX-XXXX"
                    prop:value=move || code.get()
                    on:input=move |ev| code.set(event_target_value(&ev))
                />
                <span class="hint">{tr(Text::ReceiptLookupHelp)}</span>
            </label>
            <button type="submit" class="primary big" data-testid="receipt-submit">
                {tr(Text::LookUp)}
            </button>
        </form>
    }
}

/// `/public/:tenant/receipt/:code`: the demand's progress.
#[component]
pub fn ReceiptPage() -> impl IntoView {
    let api = use_api();
    let lang = use_portal().lang;
    let tenant = tenant_param();
    let params = use_params_map();
    let code = Memo::new(move |_| params.read().get("code").unwrap_or_default());
    let found = LocalResource::new(move || {
        let (tenant, code) = (tenant.get(), code.get());
        async move {
            api.get::<PublicDemand>(&format!(
                "/public/{}/demands/{}",
                encode(&tenant),
                encode(&code)
            ))
            .await
        }
    });
    let found_again = Callback::new(move |()| found.refetch());
    // No tenant is signed in here: times are shown in China's zone.
    let tz = DEFAULT_ZONE;

    view! {
        <PublicFrame>
            <section class="page receipt-page" data-testid="receipt-page">
                <h1>{tr(Text::ReceiptLookupTitle)}</h1>
                {move || match found.get() {
                    None => view! { <Loading/> }.into_any(),
                    Some(Err(e)) => {
                        view! {
                            <ErrorNotice error=e/>
                            <CodeBox tenant initial=code.get_untracked()/>
                        }
                            .into_any()
                    }
                    Some(Ok(d)) => {
                        let status = d.status;
                        let grade = d.grade;
                        let satisfaction = d.satisfaction;
                        let category = d.category.clone();
                        view! {
                            <article class="receipt-result" data-testid="receipt-result" data-status=status.as_str()>
                                <p class="receipt-label">{tr(Text::ReceiptCode)}</p>
                                <p class="receipt-code" data-testid="receipt-code">{d.receipt_code.clone()}</p>
                                <p class="receipt-status">
                                    <span class=format!("status-badge big status-{}", status.as_str()) data-testid="receipt-status">
                                        {move || pick(status.labels(), lang.get())}
                                    </span>
                                </p>
                                <h2 data-testid="receipt-title">{d.title.clone()}</h2>
                                <dl class="facts">
                                    <dt>{tr(Text::HandlingUnit)}</dt>
                                    <dd data-testid="receipt-handler">{d.handling_unit.clone()}</dd>
                                    <dt>{tr(Text::Grade)}</dt>
                                    <dd>{move || pick(grade.labels(), lang.get())}</dd>
                                    <dt>{tr(Text::Category)}</dt>
                                    <dd>{move || category_label(&[], &category, lang.get())}</dd>
                                    <dt>{tr(Text::ReceivedAt)}</dt>
                                    <dd>{format_time(d.received_at, tz)}</dd>
                                    <dt>{tr(Text::ReplyDue)}</dt>
                                    <dd>{format_opt(d.reply_due_at, tz)}</dd>
                                    {d.resolved_at.map(|t| view! { <dt>{tr(Text::ResolvedAt)}</dt><dd>{format_time(t, tz)}</dd> })}
                                    {d.closed_at.map(|t| view! { <dt>{tr(Text::ClosedAt)}</dt><dd>{format_time(t, tz)}</dd> })}
                                    {satisfaction.map(|s| view! { <dt>{tr(Text::Satisfaction)}</dt><dd>{move || pick(s.labels(), lang.get())}</dd> })}
                                </dl>
                                {d.awaits_rating.then(|| {
                                    let path = format!(
                                        "/public/{}/demands/{}/rating",
                                        encode(&tenant.get_untracked()),
                                        encode(&d.receipt_code)
                                    );
                                    view! { <RatingForm path asks_phone_digits=d.asks_phone_digits rated=found_again/> }
                                })}
                                <h2>{tr(Text::Progress)}</h2>
                                <ol class="timeline" data-testid="receipt-steps">
                                    {d.progress
                                        .into_iter()
                                        .map(|step| {
                                            let phrase = event_text(&step.kind);
                                            let raw = step.kind.clone();
                                            view! {
                                                <li class="event" data-testid="receipt-step" data-kind=step.kind.clone()>
                                                    <div class="event-head">
                                                        <strong class="event-kind">
                                                            {move || match phrase {
                                                                Some(t) => t.get(lang.get()).to_owned(),
                                                                None => raw.clone(),
                                                            }}
                                                        </strong>
                                                        <time class="muted">{format_time(step.at, tz)}</time>
                                                    </div>
                                                    {step.text.map(|t| view! { <p class="event-text">{t}</p> })}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ol>
                                <p>
                                    <A href=move || format!("/public/{}/receipt", encode(&tenant.get()))>
                                        {tr(Text::LookUpAnother)}
                                    </A>
                                </p>
                            </article>
                        }
                            .into_any()
                    }
                }}
            </section>
        </PublicFrame>
    }
}

/// The resident's rating of the resolution: 满意 / 基本满意 / 不满意 with a comment, and the last
/// four digits of their phone where they left one. The page reloads the progress once sent.
#[component]
fn RatingForm(path: String, asks_phone_digits: bool, rated: Callback<()>) -> impl IntoView {
    let api = use_api();
    let lang = use_portal().lang;
    let rating = RwSignal::new(None::<minqing_domain::demand::Satisfaction>);
    let comment = RwSignal::new(String::new());
    let digits = RwSignal::new(String::new());
    let error = RwSignal::new(None::<crate::api::ApiError>);
    let busy = RwSignal::new(false);
    let path = StoredValue::new(path);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(satisfaction) = rating.get_untracked() else {
            let l = lang.get_untracked();
            let fields = [(
                "satisfaction".to_owned(),
                Text::ChooseRating.get(l).to_owned(),
            )];
            error.set(Some(crate::api::ApiError::form(
                Text::FixFields.get(l),
                fields.into_iter().collect(),
            )));
            return;
        };
        let body = PublicRatingForm {
            satisfaction,
            comment: crate::components::blank_is_null(comment.get_untracked()),
            phone_last4: asks_phone_digits.then(|| digits.get_untracked().trim().to_owned()),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let sent = api.post::<_, PublicDemand>(&path.get_value(), &body).await;
            busy.set(false);
            match sent {
                Ok(_) => {
                    error.set(None);
                    digits.set(String::new());
                    rated.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="form rating-form" data-testid="rating-form" on:submit=submit>
            <h2>{tr(Text::RateTitle)}</h2>
            <p class="hint">{tr(Text::RateHelp)}</p>
            <FormError error/>
            <RatingChoice rating error/>
            <TextAreaField label=Text::Comment name="comment" value=comment error rows=3/>
            {asks_phone_digits.then(|| view! {
                <TextField
                    label=Text::PhoneLast4
                    name="phone_last4"
                    value=digits
                    error
                    input_type="tel"
                    autocomplete="off"
                />
            })}
            <button type="submit" class="primary big" data-testid="rating-submit" disabled=move || busy.get()>
                {tr(Text::SubmitRating)}
            </button>
        </form>
    }
}
