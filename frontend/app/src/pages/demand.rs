//! `/demands/:id`: 诉求详情 — every field (contact details masked, shown in full on request and
//! recorded), its attachments (downloaded, and filed from the page), the timeline from the
//! ledger, and a button for each action the API says the caller may take now, each with the
//! small form it needs.
use std::collections::BTreeMap;
use std::collections::HashMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use minqing_domain::UnitId;
use minqing_domain::demand::Satisfaction;
use minqing_domain::demand::lifecycle::Action;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::api::{ApiError, encode};
use crate::components::{
    ErrorNotice, FieldError, FormError, Loading, RatingChoice, TextAreaField, UnitPicker,
};
use crate::i18n::{Text, action_text, event_notes, event_text, pick, tr};
use crate::model::{
    Attachment, Category, Demand, LedgerEvent, Page, PersonalData, UnitDetail, UnitRef,
    category_label,
};
use crate::pages::import::UploadForm;
use crate::state::{use_api, use_portal};
use crate::time::{format_opt, format_time};

#[component]
pub fn DemandPage() -> AnyView {
    let api = use_api();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|raw| Uuid::parse_str(&raw).ok())
    });
    let demand = RwSignal::new(None::<Result<Demand, ApiError>>);
    let events = RwSignal::new(None::<Result<Vec<LedgerEvent>, ApiError>>);
    // A refused action that concerns the demand as a whole (a 409: its state moved on).
    let notice = RwSignal::new(None::<ApiError>);
    let categories =
        LocalResource::new(
            move || async move { api.get::<Vec<Category>>("/tenant/categories").await },
        );
    // Read where the label is shown, so their arrival does not rebuild the page (and close an
    // open action form).
    let categories =
        Signal::derive(move || categories.get().and_then(Result::ok).unwrap_or_default());

    let load_events = move |id: Uuid| {
        spawn_local(async move {
            let answer = api
                .get::<Vec<LedgerEvent>>(&format!("/demands/{id}/events"))
                .await;
            events.set(Some(answer));
        });
    };
    let load = move |id: Uuid| {
        spawn_local(async move {
            let answer = api.get::<Demand>(&format!("/demands/{id}")).await;
            demand.set(Some(answer));
        });
        load_events(id);
    };
    Effect::new(move |_| {
        demand.set(None);
        events.set(None);
        notice.set(None);
        if let Some(id) = id.get() {
            load(id);
        }
    });
    let acted = Callback::new(move |d: Demand| {
        notice.set(None);
        let id = d.id;
        demand.set(Some(Ok(d)));
        load_events(id);
    });
    let refused = Callback::new(move |e: ApiError| {
        notice.set(Some(e));
        if let Some(id) = id.get_untracked() {
            load(id);
        }
    });
    let recorded = Callback::new(move |()| {
        if let Some(id) = id.get_untracked() {
            load_events(id);
        }
    });

    (move || {
        if id.get().is_none() {
            return view! { <p class="notice error">{tr(Text::NotFound)}</p> }.into_any();
        }
        match demand.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
            Some(Ok(d)) => view! {
                <DemandCard demand=d categories events notice acted refused recorded/>
            }
            .into_any(),
        }
    })
    .into_any()
}

#[component]
fn DemandCard(
    demand: Demand,
    categories: Signal<Vec<Category>>,
    events: RwSignal<Option<Result<Vec<LedgerEvent>, ApiError>>>,
    notice: RwSignal<Option<ApiError>>,
    acted: Callback<Demand>,
    refused: Callback<ApiError>,
    recorded: Callback<()>,
) -> AnyView {
    let portal = use_portal();
    let lang = portal.lang;
    let d = demand;
    let (grade, status, channel) = (d.grade, d.status, d.channel);
    let satisfaction = d.satisfaction;
    let category = d.category.clone();
    let assists = d
        .assists
        .iter()
        .map(|u| u.name.clone())
        .collect::<Vec<_>>()
        .join("、");
    let time =
        move |at: Option<chrono::DateTime<chrono::Utc>>| move || format_opt(at, &portal.zone());
    let received = d.received_at;
    let (id_attr, status_attr) = (d.id.to_string(), status.as_str());
    let mut known_units: HashMap<UnitId, String> = HashMap::new();
    for u in std::iter::once(&d.origin_unit)
        .chain(std::iter::once(&d.handling_unit))
        .chain(d.assists.iter())
    {
        known_units.insert(u.id, u.name.clone());
    }

    view! {
        <article class="page demand" data-testid="demand-page" data-status=status_attr data-demand-id=id_attr>
            <nav class="breadcrumb">
                <A href="/demands">{tr(Text::LedgerTitle)}</A>
            </nav>
            <header class="demand-head">
                <p class="receipt-line">
                    <span class="muted">{tr(Text::ReceiptCode)}</span>
                    " "
                    <code data-testid="demand-receipt">{d.receipt_code.clone()}</code>
                </p>
                <h1 data-testid="demand-title">{d.title.clone()}</h1>
                <p class="badges">
                    <span class=format!("grade-badge grade-{}", grade.as_str()) title=move || pick(grade.labels(), lang.get())>
                        {grade.labels().0}
                    </span>
                    <span class=format!("status-badge status-{}", status.as_str()) data-testid="demand-status">
                        {move || pick(status.labels(), lang.get())}
                    </span>
                    {d.is_overdue().then(|| view! { <span class="badge overdue-badge" data-testid="overdue">{tr(Text::Overdue)}</span> })}
                </p>
            </header>
            {move || notice.get().map(|e| view! { <p class="notice error" role="alert" data-testid="action-refused">{e.message}</p> })}
            <div class="demand-grid">
                <div class="demand-main">
                    <dl class="facts" data-testid="demand-facts">
                        <dt>{tr(Text::Category)}</dt>
                        <dd>{move || categories.with(|c| category_label(c, &category, lang.get()))}</dd>
                        <dt>{tr(Text::Channel)}</dt>
                        <dd>{move || pick(channel.labels(), lang.get())}</dd>
                        <dt>{tr(Text::OriginUnit)}</dt>
                        <dd data-testid="demand-origin">{d.origin_unit.name.clone()}</dd>
                        <dt>{tr(Text::HandlingUnit)}</dt>
                        <dd data-testid="demand-handler">{d.handling_unit.name.clone()}</dd>
                        {(!assists.is_empty()).then(|| view! { <dt>{tr(Text::Assists)}</dt><dd>{assists}</dd> })}
                        <dt>{tr(Text::ReceivedAt)}</dt>
                        <dd>{move || format_time(received, &portal.zone())}</dd>
                        <dt>{tr(Text::ReplyDue)}</dt>
                        <dd class:overdue=d.overdue.iter().any(|k| k == "reply")>{time(d.reply_due_at)}</dd>
                        <dt>{tr(Text::ResolveDue)}</dt>
                        <dd class:overdue=d.overdue.iter().any(|k| k == "resolve")>{time(d.resolve_due_at)}</dd>
                        {d.replied_at.map(|t| view! { <dt>{tr(Text::RepliedAt)}</dt><dd>{time(Some(t))}</dd> })}
                        {d.resolved_at.map(|t| view! { <dt>{tr(Text::ResolvedAt)}</dt><dd>{time(Some(t))}</dd> })}
                        {d.closed_at.map(|t| view! { <dt>{tr(Text::ClosedAt)}</dt><dd>{time(Some(t))}</dd> })}
                        {satisfaction.map(|s| view! {
                            <dt>{tr(Text::Satisfaction)}</dt>
                            <dd data-testid="demand-satisfaction">{move || pick(s.labels(), lang.get())}</dd>
                        })}
                        {(d.escalations > 0).then(|| view! { <dt>{tr(Text::Escalations)}</dt><dd>{d.escalations}</dd> })}
                        {(d.reopenings > 0).then(|| view! { <dt>{tr(Text::Reopenings)}</dt><dd>{d.reopenings}</dd> })}
                        {d.merged_into.map(|m| view! {
                            <dt>{tr(Text::MergedInto)}</dt>
                            <dd><A href=format!("/demands/{m}")>{tr(Text::ViewDemand)}</A></dd>
                        })}
                        {d.address.clone().map(|a| view! { <dt>{tr(Text::Address)}</dt><dd>{a}</dd> })}
                    </dl>
                    <h2>{tr(Text::Description)}</h2>
                    <p class="description" data-testid="demand-description">{d.description.clone()}</p>
                    <Contact demand=d.clone() recorded/>
                    <Attachments demand=d.id recorded/>
                    <h2>{tr(Text::Timeline)}</h2>
                    <Timeline events known_units/>
                </div>
                <aside class="demand-side">
                    <Actions demand=d acted refused/>
                </aside>
            </div>
        </article>
    }
    .into_any()
}

/// The resident's name and contact details, masked; in full on request for the roles that may
/// (the API decides, and records each view in the ledger).
#[component]
fn Contact(demand: Demand, recorded: Callback<()>) -> AnyView {
    let api = use_api();
    let portal = use_portal();
    let id = demand.id;
    let full = RwSignal::new(None::<PersonalData>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let has_any =
        demand.resident_name.is_some() || demand.phone.is_some() || demand.id_number.is_some();
    let may = portal
        .session
        .with_untracked(|s| s.me().is_some_and(|me| me.may_reveal_personal_data()));
    let reveal = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api
                .post_empty::<PersonalData>(&format!("/demands/{id}/personal-data"))
                .await
            {
                Ok(data) => {
                    full.set(Some(data));
                    recorded.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let masked = demand.clone();
    let shown = move |pick: fn(&PersonalData) -> Option<String>, masked: Option<String>| {
        move || {
            full.with(|f| f.as_ref().map(pick))
                .unwrap_or_else(|| masked.clone())
                .unwrap_or_else(|| "—".to_owned())
        }
    };

    view! {
        <dl class="facts contact" data-testid="demand-contact">
            <dt>{tr(Text::ResidentName)}</dt>
            <dd data-testid="demand-resident">{shown(|p| p.resident_name.clone(), masked.resident_name.clone())}</dd>
            <dt>{tr(Text::Phone)}</dt>
            <dd data-testid="demand-phone">{shown(|p| p.phone.clone(), masked.phone.clone())}</dd>
            <dt>{tr(Text::IdNumber)}</dt>
            <dd data-testid="demand-id-number">{shown(|p| p.id_number.clone(), masked.id_number.clone())}</dd>
        </dl>
        {(has_any && may)
            .then(|| {
                view! {
                    <div class="reveal">
                        <button
                            type="button"
                            data-testid="reveal-contact"
                            disabled=move || busy.get() || full.with(Option::is_some)
                            on:click=reveal
                        >
                            {tr(Text::RevealContact)}
                        </button>
                        <span class="hint">{tr(Text::RevealNote)}</span>
                        {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e.message}</p> })}
                    </div>
                }
            })}
    }
    .into_any()
}

/// What a demand's files may be: what the API takes (it checks the content, not the name).
const ATTACHMENT_TYPES: &str = "image/jpeg,image/png,image/gif,image/webp,application/pdf";

/// The demand's photos and documents, each a download; and the form that files one, for the
/// roles that record or handle demands (the API decides per demand: a refusal, or a file it
/// does not take, is shown beside the form). A filed file is a ledger event: `recorded`.
#[component]
fn Attachments(demand: Uuid, recorded: Callback<()>) -> AnyView {
    let api = use_api();
    let portal = use_portal();
    let list = LocalResource::new(move || async move {
        api.get::<Vec<Attachment>>(&format!("/demands/{demand}/attachments"))
            .await
    });
    let files = portal
        .session
        .with_untracked(|s| s.me().is_some_and(|me| me.records_demands()));
    let filed = Callback::new(move |()| {
        list.refetch();
        recorded.run(());
    });

    view! {
        <section class="attachments" data-testid="attachments">
            <h2>{tr(Text::Attachments)}</h2>
            {move || match list.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(items)) if items.is_empty() => {
                    view! { <p class="muted" data-testid="no-attachments">{tr(Text::NoAttachments)}</p> }.into_any()
                }
                Some(Ok(items)) => view! {
                    <ul class="attachment-list" data-testid="attachment-list">
                        {items
                            .into_iter()
                            .map(|a| {
                                let at = a.uploaded_at;
                                view! {
                                    <li data-testid="attachment" data-attachment-id=a.id.to_string() data-media-type=a.media_type.clone()>
                                        <a
                                            href=format!("/api/v1/demands/{demand}/attachments/{}", a.id)
                                            download=a.file_name.clone()
                                            data-testid="attachment-link"
                                        >
                                            {a.file_name.clone()}
                                        </a>
                                        " "
                                        <span class="muted small">
                                            {file_size(a.size)} " · " {move || format_time(at, &portal.zone())}
                                        </span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any(),
            }}
            {files.then(|| view! {
                <h3>{tr(Text::AttachFile)}</h3>
                <UploadForm
                    path=format!("/demands/{demand}/attachments")
                    accept=ATTACHMENT_TYPES
                    testid="attachment-upload"
                    label=Text::UploadFile
                    on_done=filed
                />
                <p class="hint">{tr(Text::AttachmentHint)}</p>
            })}
        </section>
    }
    .into_any()
}

/// A file's size as people read it: 512 B, 12.3 KB, 4.5 MB.
fn file_size(bytes: i64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes.max(0) as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

/// The ledger's events, oldest first, each as a phrase with its time, who and what was said.
#[component]
fn Timeline(
    events: RwSignal<Option<Result<Vec<LedgerEvent>, ApiError>>>,
    known_units: HashMap<UnitId, String>,
) -> AnyView {
    let api = use_api();
    let portal = use_portal();
    let lang = portal.lang;
    let names = RwSignal::new(known_units);
    // Units an event names that the demand does not (an earlier handler): looked up once.
    Effect::new(move |_| {
        let wanted: Vec<UnitId> = events.with(|e| match e {
            Some(Ok(list)) => list
                .iter()
                .filter_map(LedgerEvent::unit)
                .filter(|u| names.with_untracked(|n| !n.contains_key(u)))
                .collect(),
            _ => Vec::new(),
        });
        for unit in wanted {
            names.update_untracked(|n| {
                n.insert(unit, String::new());
            });
            spawn_local(async move {
                if let Ok(detail) = api.get::<UnitDetail>(&format!("/units/{unit}")).await {
                    names.update(|n| {
                        n.insert(unit, detail.unit.name);
                    });
                }
            });
        }
    });

    (move || match events.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
        Some(Ok(list)) if list.is_empty() => {
            view! { <p class="muted">{tr(Text::NoEvents)}</p> }.into_any()
        }
        Some(Ok(list)) => view! {
            <ol class="timeline" data-testid="timeline">
                {list
                    .into_iter()
                    .map(|e| {
                        let kind = e.kind.clone();
                        let phrase = event_text(&e.kind);
                        let raw_kind = e.kind.clone();
                        let kind_text = e.kind.clone();
                        let at = e.at;
                        let who = e.actor_username.clone();
                        let unit = e.unit();
                        let rating = e.satisfaction();
                        let data = e.data.clone();
                        let notes = move || event_notes(&raw_kind, &data, lang.get());
                        let deadlines = {
                            let notes = notes.clone();
                            move || notes().0.map(|d| format!("（{d}）"))
                        };
                        let texts = move || {
                            notes().1.into_iter().map(|t| view! { <p class="event-text">{t}</p> }).collect_view()
                        };
                        view! {
                            <li class="event" data-testid="event" data-kind=kind>
                                <div class="event-head">
                                    <strong class="event-kind">
                                        {move || match phrase {
                                            Some(t) => t.get(lang.get()).to_owned(),
                                            None => kind_text.clone(),
                                        }}
                                        {deadlines}
                                    </strong>
                                    <time class="muted">{move || format_time(at, &portal.zone())}</time>
                                    <span class="who muted">
                                        {if who.is_empty() { tr(Text::System)().to_owned() } else { who.clone() }}
                                    </span>
                                </div>
                                {rating.map(|s| view! { <p class="event-rating">{move || pick(s.labels(), lang.get())}</p> })}
                                {unit.map(|u| view! {
                                    <p class="event-unit">{move || names.with(|n| n.get(&u).cloned().unwrap_or_default())}</p>
                                })}
                                {texts}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        }
        .into_any(),
    })
    .into_any()
}

/// A button for every action the caller may take now; one small form open at a time.
#[component]
fn Actions(demand: Demand, acted: Callback<Demand>, refused: Callback<ApiError>) -> AnyView {
    let open = RwSignal::new(None::<Action>);
    if demand.actions.is_empty() {
        return ().into_any();
    }
    let d = StoredValue::new(demand.clone());
    view! {
        <section class="actions-panel" data-testid="demand-actions">
            <h2>{tr(Text::ActionsTitle)}</h2>
            <div class="action-buttons">
                {demand
                    .actions
                    .iter()
                    .copied()
                    .map(|a| {
                        view! {
                            <button
                                type="button"
                                class="action-button"
                                class:primary=matches!(a, Action::Accept | Action::Reply | Action::Resolve | Action::GiveFeedback | Action::Rate)
                                data-testid=format!("action-{}", a.as_str())
                                aria-expanded=move || (open.get() == Some(a)).to_string()
                                on:click=move |_| open.update(|o| *o = if *o == Some(a) { None } else { Some(a) })
                            >
                                {tr(action_text(a))}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            {move || open.get().map(|action| view! { <ActionForm demand=d.get_value() action acted refused/> })}
        </section>
    }
    .into_any()
}

/// What an action needs besides itself.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Need {
    /// Free text under this field name; required or not.
    Words(&'static str, Text, bool),
    Rating,
    Unit,
    AssistUnit,
    MergeTarget,
}

fn needs(action: Action) -> Vec<Need> {
    use Need::*;
    match action {
        Action::Accept => vec![Words("note", Text::Note, false)],
        Action::Reject => vec![Words("reason", Text::ReasonField, true)],
        Action::Reply => vec![Words("text", Text::ReplyText, true)],
        Action::Resolve => vec![Words("text", Text::ResolveText, true)],
        Action::GiveFeedback => vec![Words("text", Text::FeedbackText, true)],
        Action::Rate => vec![Rating, Words("comment", Text::Comment, false)],
        Action::Escalate => vec![Words("reason", Text::ReasonField, true)],
        Action::Reassign => vec![Unit, Words("reason", Text::ReasonField, false)],
        Action::Merge => vec![MergeTarget, Words("reason", Text::ReasonField, false)],
        Action::AddAssist => vec![Unit],
        Action::RemoveAssist => vec![AssistUnit],
    }
}

#[component]
fn ActionForm(
    demand: Demand,
    action: Action,
    acted: Callback<Demand>,
    refused: Callback<ApiError>,
) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let id = demand.id;
    let needs = needs(action);
    let wants = StoredValue::new(needs.clone());
    let text = RwSignal::new(String::new());
    let rating = RwSignal::new(None::<Satisfaction>);
    let unit = RwSignal::new(None::<(UnitId, String)>);
    let merge_code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let assists: Vec<UnitRef> = demand.assists.clone();
    // Removing a co-handling unit starts on the first of them (the select shows it chosen).
    if action == Action::RemoveAssist
        && let Some(first) = assists.first()
    {
        unit.set(Some((first.id, first.name.clone())));
    }
    let text_field = needs.iter().find_map(|n| match n {
        Need::Words(field, label, required) => Some((*field, *label, *required)),
        _ => None,
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let l = lang.get_untracked();
        let mut body = serde_json::Map::new();
        let mut missing = BTreeMap::new();
        if let Some((field, _, required)) = text_field {
            let t = text.get_untracked().trim().to_owned();
            // Required text goes even when blank: the API names it in its own words.
            if required || !t.is_empty() {
                body.insert(field.into(), Value::String(t));
            }
        }
        let need = move |n: Need| wants.with_value(|w| w.contains(&n));
        if need(Need::Rating) {
            match rating.get_untracked() {
                Some(s) => {
                    body.insert("satisfaction".into(), json!(s));
                }
                None => {
                    missing.insert(
                        "satisfaction".to_owned(),
                        Text::Satisfaction.get(l).to_owned(),
                    );
                }
            }
        }
        if need(Need::Unit) || need(Need::AssistUnit) {
            match unit.get_untracked() {
                Some((u, _)) => {
                    body.insert("unit".into(), json!(u));
                }
                None => {
                    missing.insert("unit".to_owned(), Text::ChooseUnit.get(l).to_owned());
                }
            }
        }
        let code = merge_code.get_untracked().trim().to_owned();
        if need(Need::MergeTarget) && code.is_empty() {
            missing.insert(
                "into".to_owned(),
                Text::MergeTargetNotFound.get(l).to_owned(),
            );
        }
        if !missing.is_empty() {
            error.set(Some(ApiError::form(Text::FixFields.get(l), missing)));
            return;
        }
        busy.set(true);
        error.set(None);
        let path = format!("/demands/{id}/{}", action.as_str().replace('_', "-"));
        spawn_local(async move {
            if need(Need::MergeTarget) {
                match merge_target(api, &code).await {
                    Ok(Some(into)) => {
                        body.insert("into".into(), json!(into));
                    }
                    Ok(None) => {
                        let mut fields = BTreeMap::new();
                        fields.insert(
                            "into".to_owned(),
                            Text::MergeTargetNotFound.get(l).to_owned(),
                        );
                        error.set(Some(ApiError::form(Text::FixFields.get(l), fields)));
                        busy.set(false);
                        return;
                    }
                    Err(e) => {
                        error.set(Some(e));
                        busy.set(false);
                        return;
                    }
                }
            }
            match api.post::<_, Demand>(&path, &Value::Object(body)).await {
                Ok(d) => acted.run(d),
                // The demand moved on (or went out of reach) meanwhile: say so over the whole
                // page and show it as it is now.
                Err(e) if e.status == 409 || e.status == 404 || e.status == 403 => refused.run(e),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <form class="form action-form" data-testid="action-form" data-action=action.as_str() novalidate=true on:submit=submit>
            <h3>{tr(action_text(action))}</h3>
            <FormError error/>
            {needs
                .iter()
                .map(|n| match *n {
                    Need::Rating => view! { <RatingChoice rating error/> }.into_any(),
                    Need::Unit => view! {
                        <div class="field">
                            <span class="label">{tr(Text::Unit)}</span>
                            <UnitPicker selected=unit/>
                            <FieldError name="unit" error/>
                        </div>
                    }
                    .into_any(),
                    Need::AssistUnit => {
                        let options = assists.clone();
                        view! {
                            <label class="field">
                                <span class="label">{tr(Text::Unit)}</span>
                                <select name="unit" on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    let picked = options.iter().find(|u| u.id.to_string() == v).map(|u| (u.id, u.name.clone()));
                                    unit.set(picked);
                                }>
                                    {assists
                                        .iter()
                                        .map(|u| view! { <option value=u.id.to_string()>{u.name.clone()}</option> })
                                        .collect_view()}
                                </select>
                                <FieldError name="unit" error/>
                            </label>
                        }
                        .into_any()
                    }
                    Need::MergeTarget => view! {
                        <label class="field">
                            <span class="label">{tr(Text::MergeInto)}</span>
                            <input
                                type="text"
                                name="into"
                                autocomplete="off"
                                prop:value=move || merge_code.get()
                                on:input=move |ev| merge_code.set(event_target_value(&ev))
                            />
                            <FieldError name="into" error/>
                        </label>
                    }
                    .into_any(),
                    Need::Words(field, label, required) => {
                        view! { <TextAreaField label name=field value=text error required rows=3/> }.into_any()
                    }
                })
                .collect_view()}
            <div class="form-actions">
                <button type="submit" class="primary big" data-testid="action-submit" disabled=move || busy.get()>
                    {tr(Text::Confirm)}
                </button>
            </div>
        </form>
    }
    .into_any()
}

/// The demand a receipt code (or id) names, among those the caller may see.
async fn merge_target(api: crate::api::Api, code: &str) -> Result<Option<Uuid>, ApiError> {
    if let Ok(id) = Uuid::parse_str(code) {
        return Ok(Some(id));
    }
    let wanted = code.replace([' ', '-'], "").to_uppercase();
    let page: Page<Demand> = api
        .get(&format!("/demands?q={}&limit=20", encode(code)))
        .await?;
    Ok(page
        .items
        .into_iter()
        .find(|d| d.receipt_code.replace('-', "") == wanted)
        .map(|d| d.id))
}

#[cfg(test)]
mod tests {
    use super::file_size;

    #[test]
    fn file_sizes_read_in_bytes_kilobytes_or_megabytes() {
        assert_eq!(file_size(68), "68 B");
        assert_eq!(file_size(12_600), "12.3 KB");
        assert_eq!(file_size(10 * 1024 * 1024), "10.0 MB");
    }
}
