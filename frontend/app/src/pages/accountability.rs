//! `/accountability/warnings`: 预警看板 — the warnings the deadline sweeper raised (临期 before a
//! deadline, 逾期 once it passed), newest first; and `/accountability/cases[/:id]`: 问责案件 —
//! the cases opened against units that let demands go seriously or repeatedly overdue, taken
//! through review, decision and closing by leaders and administrators over the unit.
//!
//! Filters live in the URL's query; lists load further pages by cursor. The API answers only
//! unit ids, so unit names are looked up once per unit ([`UnitNames`]).
use std::collections::BTreeMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use minqing_domain::UnitId;
use minqing_domain::accountability::{CaseStatus, Outcome};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::api::{Api, ApiError, encode};
use crate::components::{ErrorNotice, FieldError, FormError, Loading, UnitNames, WithinFilter};
use crate::i18n::{Text, case_reason_text, deadlines_words, pick, tr};
use crate::model::{Case, CaseStepRequest, Page, Warning};
use crate::state::{use_api, use_portal};
use crate::time::{format_opt, format_time};

const PAGE: u32 = 50;
const OUTCOMES: [Outcome; 4] = [
    Outcome::NoFault,
    Outcome::Talk,
    Outcome::NoticeOfCriticism,
    Outcome::Other,
];

/// `k=v&…` of the pairs whose value is not empty.
fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A list as loaded so far.
#[derive(Debug, Clone)]
struct Loaded<T> {
    items: Vec<T>,
    next: Option<String>,
    loading: bool,
    error: Option<ApiError>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            next: None,
            loading: true,
            error: None,
        }
    }
}

/// A list read page by page from `/api/v1{base}?{filters}`; an answer for older filters is
/// dropped when the filters changed meanwhile.
struct Paged<T: Send + Sync + 'static> {
    list: RwSignal<Loaded<T>>,
    generation: StoredValue<u64>,
    api: Api,
}

impl<T: Send + Sync + 'static> Clone for Paged<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Paged<T> {}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> Paged<T> {
    fn new() -> Self {
        Self {
            list: RwSignal::new(Loaded::default()),
            generation: StoredValue::new(0),
            api: use_api(),
        }
    }

    /// The first page (`cursor` none: the list starts over) or the page after `cursor`.
    fn load(self, base: &'static str, filters: String, cursor: Option<String>) {
        let api = self.api;
        let fresh = cursor.is_none();
        if fresh {
            self.generation.update_value(|g| *g += 1);
        }
        let this = self.generation.get_value();
        self.list.update(|l| {
            l.loading = true;
            l.error = None;
            if fresh {
                l.items.clear();
                l.next = None;
            }
        });
        let sep = if filters.is_empty() { "" } else { "&" };
        let url = match &cursor {
            None => format!("{base}?{filters}{sep}limit={PAGE}"),
            Some(c) => format!("{base}?{filters}{sep}limit={PAGE}&cursor={}", encode(c)),
        };
        let (list, generation) = (self.list, self.generation);
        spawn_local(async move {
            let answer = api.get::<Page<T>>(&url).await;
            if generation.get_value() != this {
                return;
            }
            list.update(|l| {
                l.loading = false;
                match answer {
                    Ok(page) => {
                        l.items.extend(page.items);
                        l.next = page.next_cursor;
                    }
                    Err(e) => l.error = Some(e),
                }
            });
        });
    }
}

/// Replaces the page's query with `pairs` (no history entry, no scroll).
fn set_query(path: &'static str) -> impl Fn(&[(&str, String)]) + Copy + 'static {
    let navigate = StoredValue::new(use_navigate());
    move |pairs: &[(&str, String)]| {
        let qs = query_string(pairs);
        let url = if qs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{qs}")
        };
        navigate.with_value(|n| {
            n(
                &url,
                NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..Default::default()
                },
            )
        });
    }
}

/// "Load more", the loading state, or the empty list's sentence.
fn list_footer<T: Clone + Send + Sync + 'static>(
    list: RwSignal<Loaded<T>>,
    empty: Text,
    empty_testid: &'static str,
    more: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        let (loading, is_empty, next, failed) = list.with(|l| {
            (
                l.loading,
                l.items.is_empty(),
                l.next.clone(),
                l.error.is_some(),
            )
        });
        if loading {
            view! { <Loading/> }.into_any()
        } else if is_empty && !failed {
            view! { <p class="muted placeholder" data-testid=empty_testid>{tr(empty)}</p> }
                .into_any()
        } else if let Some(cursor) = next {
            view! {
                <div class="load-more">
                    <button type="button" data-testid="load-more" on:click=move |_| more(cursor.clone())>
                        {tr(Text::LoadMore)}
                    </button>
                </div>
            }
            .into_any()
        } else {
            ().into_any()
        }
    }
}

fn parse_unit(raw: Option<String>) -> Option<UnitId> {
    raw.and_then(|r| Uuid::parse_str(r.trim()).ok()).map(UnitId)
}

fn level_text(level: &str) -> Text {
    if level == "overdue" {
        Text::LevelOverdue
    } else {
        Text::LevelApproaching
    }
}

/// `/accountability/warnings`.
#[component]
pub fn WarningsPage() -> AnyView {
    let query = use_query_map();
    let level = Memo::new(move |_| {
        query.with(|q| {
            let l = q.get("level").unwrap_or_default();
            if matches!(l.as_str(), "approaching" | "overdue") {
                l
            } else {
                String::new()
            }
        })
    });
    let within = Memo::new(move |_| query.with(|q| parse_unit(q.get("within"))));
    let set_query = set_query("/accountability/warnings");
    let apply = move |level: String, within: Option<UnitId>| {
        set_query(&[
            ("level", level),
            ("within", within.map(|u| u.to_string()).unwrap_or_default()),
        ])
    };
    let filters = move || {
        query_string(&[
            ("level", level.get()),
            (
                "within",
                within.get().map(|u| u.to_string()).unwrap_or_default(),
            ),
        ])
    };
    let paged = Paged::<Warning>::new();
    Effect::new(move |_| {
        let f = filters();
        paged.load("/accountability/warnings", f, None);
    });
    let more = move |cursor: String| {
        let f = untrack(filters);
        paged.load("/accountability/warnings", f, Some(cursor));
    };
    let names = UnitNames::new();
    Effect::new(move |_| {
        let units: Vec<UnitId> = paged
            .list
            .with(|l| l.items.iter().map(|w| w.unit_id).collect());
        names.want(units);
    });

    let chip = move |value: &'static str, text: Text| {
        view! {
            <button
                type="button"
                class="status-chip"
                data-testid=format!("level-chip-{}", if value.is_empty() { "all" } else { value })
                aria-pressed=move || (level.get() == value).to_string()
                on:click=move |_| apply(value.to_owned(), within.get_untracked())
            >
                {tr(text)}
            </button>
        }
    };
    let set_within = Callback::new(move |unit: Option<UnitId>| apply(level.get_untracked(), unit));

    view! {
        <section class="page follow-up" data-testid="warnings-page">
            <div class="page-head">
                <h1>{tr(Text::WarningsTitle)}</h1>
                <A href="/accountability/cases" attr:class="button">{tr(Text::NavCases)}</A>
            </div>
            <p class="help">{tr(Text::WarningsHelp)}</p>
            <div class="status-chips" role="group" aria-label=tr(Text::WarningLevel)>
                {chip("", Text::AllLevels)}
                {chip("approaching", Text::LevelApproaching)}
                {chip("overdue", Text::LevelOverdue)}
            </div>
            <div class="follow-filters">
                <WithinFilter within set=set_within names/>
            </div>
            {move || paged.list.with(|l| l.error.clone()).map(|e| view! { <ErrorNotice error=e/> })}
            <div class="table-wrap">
                <table class="table follow-table" data-testid="warnings">
                    <thead>
                        <tr>
                            <th>{tr(Text::WarningLevel)}</th>
                            <th>{tr(Text::Demand)}</th>
                            <th>{tr(Text::HandlingUnit)}</th>
                            <th>{tr(Text::DueAt)}</th>
                            <th>{tr(Text::RaisedAt)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || paged.list.with(|l| l.items.clone())
                            key=|w| w.id
                            children=move |w| view! { <WarningRow warning=w names/> }
                        />
                    </tbody>
                </table>
            </div>
            {list_footer(paged.list, Text::NoWarnings, "no-warnings", more)}
        </section>
    }
    .into_any()
}

#[component]
fn WarningRow(warning: Warning, names: UnitNames) -> AnyView {
    let portal = use_portal();
    let w = warning;
    let (due, raised, unit) = (w.due_at, w.raised_at, w.unit_id);
    let level = w.level.clone();
    let level_label = level_text(&w.level);
    let deadlines = w.deadlines.clone();
    let lang = portal.lang;
    let leaders = w
        .leaders
        .iter()
        .map(|l| l.name.as_str())
        .collect::<Vec<_>>()
        .join("、");
    view! {
        <tr
            data-testid="warning-row"
            data-level=level.clone()
            data-demand-id=w.demand_id.to_string()
            class:overdue=level == "overdue"
        >
            <td data-label=tr(Text::WarningLevel)>
                <span class=format!("badge level-badge level-{level}") data-testid="warning-level">
                    {tr(level_label)}
                </span>
            </td>
            <td data-label=tr(Text::Demand) class="title-cell">
                <A href=format!("/demands/{}", w.demand_id) attr:data-testid="warning-demand">
                    <code class="receipt-link">{w.receipt_code.clone()}</code>
                    " "
                    {w.title.clone()}
                </A>
            </td>
            <td data-label=tr(Text::HandlingUnit)>
                <span data-testid="warning-unit">{move || names.get(unit).unwrap_or_default()}</span>
                {(!leaders.is_empty()).then(|| view! {
                    <span class="muted warning-leaders">
                        {tr(Text::AnswerableLeaders)} "："
                        <span data-testid="warning-leaders">{leaders.clone()}</span>
                    </span>
                })}
            </td>
            <td data-label=tr(Text::DueAt) data-testid="warning-due">
                <span class="muted" data-testid="warning-deadlines">
                    {move || deadlines_words(&deadlines, lang.get())}
                </span>
                " "
                <time>{move || format_time(due, &portal.zone())}</time>
            </td>
            <td data-label=tr(Text::RaisedAt) data-testid="warning-raised">
                <time>{move || format_time(raised, &portal.zone())}</time>
            </td>
        </tr>
    }
    .into_any()
}

/// `/accountability/cases`.
#[component]
pub fn CasesPage() -> AnyView {
    let lang = use_portal().lang;
    let query = use_query_map();
    let status = Memo::new(move |_| {
        query.with(|q| {
            q.get("status")
                .and_then(|s| CaseStatus::parse(s.trim()).ok())
        })
    });
    let within = Memo::new(move |_| query.with(|q| parse_unit(q.get("within"))));
    let set_query = set_query("/accountability/cases");
    let apply = move |status: Option<CaseStatus>, within: Option<UnitId>| {
        set_query(&[
            (
                "status",
                status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            ),
            ("within", within.map(|u| u.to_string()).unwrap_or_default()),
        ])
    };
    let filters = move || {
        query_string(&[
            (
                "status",
                status
                    .get()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            (
                "within",
                within.get().map(|u| u.to_string()).unwrap_or_default(),
            ),
        ])
    };
    let paged = Paged::<Case>::new();
    Effect::new(move |_| {
        let f = filters();
        paged.load("/accountability/cases", f, None);
    });
    let more = move |cursor: String| {
        let f = untrack(filters);
        paged.load("/accountability/cases", f, Some(cursor));
    };
    let names = UnitNames::new();
    Effect::new(move |_| {
        let units: Vec<UnitId> = paged
            .list
            .with(|l| l.items.iter().map(|c| c.unit_id).collect());
        names.want(units);
    });

    let chip = move |value: Option<CaseStatus>| {
        view! {
            <button
                type="button"
                class="status-chip"
                data-testid=format!("case-chip-{}", value.map_or("all", |s| s.as_str()))
                aria-pressed=move || (status.get() == value).to_string()
                on:click=move |_| apply(value, within.get_untracked())
            >
                {move || match value {
                    Some(s) => pick(s.labels(), lang.get()),
                    None => Text::AllCases.get(lang.get()),
                }}
            </button>
        }
    };
    let set_within = Callback::new(move |unit: Option<UnitId>| apply(status.get_untracked(), unit));

    view! {
        <section class="page follow-up" data-testid="cases-page">
            <div class="page-head">
                <h1>{tr(Text::CasesTitle)}</h1>
                <A href="/accountability/warnings" attr:class="button">{tr(Text::NavWarnings)}</A>
            </div>
            <p class="help">{tr(Text::CasesHelp)}</p>
            <div class="status-chips" role="group" aria-label=tr(Text::Status)>
                {chip(None)}
                {CaseStatus::ALL.into_iter().map(|s| chip(Some(s))).collect_view()}
            </div>
            <div class="follow-filters">
                <WithinFilter within set=set_within names/>
            </div>
            {move || paged.list.with(|l| l.error.clone()).map(|e| view! { <ErrorNotice error=e/> })}
            <div class="table-wrap">
                <table class="table follow-table" data-testid="cases">
                    <thead>
                        <tr>
                            <th>{tr(Text::CaseReason)}</th>
                            <th>{tr(Text::Demand)}</th>
                            <th>{tr(Text::CaseUnit)}</th>
                            <th>{tr(Text::Status)}</th>
                            <th>{tr(Text::Outcome)}</th>
                            <th>{tr(Text::DecidedBy)}</th>
                            <th>{tr(Text::OpenedAt)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || paged.list.with(|l| l.items.clone())
                            key=|c| (c.id, c.status)
                            children=move |c| view! { <CaseRow case=c names/> }
                        />
                    </tbody>
                </table>
            </div>
            {list_footer(paged.list, Text::NoCases, "no-cases", more)}
        </section>
    }
    .into_any()
}

#[component]
fn CaseRow(case: Case, names: UnitNames) -> AnyView {
    let portal = use_portal();
    let lang = portal.lang;
    let c = case;
    let (status, outcome, unit, opened) = (c.status, c.outcome, c.unit_id, c.opened_at);
    let decided_at = c.decided_at;
    let reason = case_reason_text(&c.reason);
    let raw_reason = c.reason.clone();
    view! {
        <tr data-testid="case-row" data-case-id=c.id.to_string() data-status=status.as_str()>
            <td data-label=tr(Text::CaseReason)>
                <A href=format!("/accountability/cases/{}", c.id) attr:data-testid="case-link">
                    {move || reason.map_or_else(|| raw_reason.clone(), |t| t.get(lang.get()).to_owned())}
                </A>
            </td>
            <td data-label=tr(Text::Demand) class="title-cell">
                <A href=format!("/demands/{}", c.demand_id) attr:data-testid="case-demand">
                    <code class="receipt-link">{c.receipt_code.clone()}</code>
                    " "
                    {c.title.clone()}
                </A>
            </td>
            <td data-label=tr(Text::CaseUnit) data-testid="case-unit">
                {move || names.get(unit).unwrap_or_default()}
            </td>
            <td data-label=tr(Text::Status)>
                <span class=format!("status-badge case-{}", status.as_str()) data-testid="case-status">
                    {move || pick(status.labels(), lang.get())}
                </span>
            </td>
            <td data-label=tr(Text::Outcome) data-testid="case-outcome">
                {move || outcome.map(|o| pick(o.labels(), lang.get()))}
                {c.outcome_text.clone().map(|t| view! { <span class="muted small case-outcome-text">" " {t}</span> })}
            </td>
            <td data-label=tr(Text::DecidedBy) data-testid="case-decided-by">
                {c.decided_by.clone()}
                {decided_at.map(|t| view! { <span class="muted small">" " {move || format_time(t, &portal.zone())}</span> })}
            </td>
            <td data-label=tr(Text::OpenedAt)>
                <time>{move || format_time(opened, &portal.zone())}</time>
            </td>
        </tr>
    }
    .into_any()
}

/// `/accountability/cases/:id`: the case and the button for its next legal step.
#[component]
pub fn CasePage() -> AnyView {
    let api = use_api();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|raw| Uuid::parse_str(&raw).ok())
    });
    let case = RwSignal::new(None::<Result<Case, ApiError>>);
    // A refused step that concerns the case as a whole (409: it moved on; 403: not yours to
    // decide): said above the case, which is shown as it is now.
    let notice = RwSignal::new(None::<ApiError>);
    let load = move |id: Uuid| {
        spawn_local(async move {
            let answer = api
                .get::<Case>(&format!("/accountability/cases/{id}"))
                .await;
            case.set(Some(answer));
        });
    };
    Effect::new(move |_| {
        case.set(None);
        notice.set(None);
        if let Some(id) = id.get() {
            load(id);
        }
    });
    let stepped = Callback::new(move |c: Case| {
        notice.set(None);
        case.set(Some(Ok(c)));
    });
    let refused = Callback::new(move |e: ApiError| {
        notice.set(Some(e));
        if let Some(id) = id.get_untracked() {
            load(id);
        }
    });

    (move || {
        if id.get().is_none() {
            return view! { <p class="notice error">{tr(Text::CaseNotFound)}</p> }.into_any();
        }
        match case.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(e)) => view! {
                <nav class="breadcrumb">
                    <A href="/accountability/cases">{tr(Text::BackToCases)}</A>
                </nav>
                <ErrorNotice error=e/>
            }
            .into_any(),
            Some(Ok(c)) => view! { <CaseCard case=c notice stepped refused/> }.into_any(),
        }
    })
    .into_any()
}

#[component]
fn CaseCard(
    case: Case,
    notice: RwSignal<Option<ApiError>>,
    stepped: Callback<Case>,
    refused: Callback<ApiError>,
) -> AnyView {
    let portal = use_portal();
    let lang = portal.lang;
    let names = UnitNames::new();
    let c = case;
    names.want([c.unit_id]);
    let (status, outcome, unit) = (c.status, c.outcome, c.unit_id);
    let reason = case_reason_text(&c.reason);
    let raw_reason = c.reason.clone();
    let steps_for = c.clone();
    let case_id = c.id.to_string();
    let time =
        move |at: Option<chrono::DateTime<chrono::Utc>>| move || format_opt(at, &portal.zone());
    view! {
        <article class="page case" data-testid="case-page" data-status=status.as_str() data-case-id=case_id>
            <nav class="breadcrumb">
                <A href="/accountability/cases">{tr(Text::BackToCases)}</A>
            </nav>
            <header class="demand-head">
                <h1>{tr(Text::CaseTitle)}</h1>
                <p class="badges">
                    <span class=format!("status-badge big case-{}", status.as_str()) data-testid="case-status">
                        {move || pick(status.labels(), lang.get())}
                    </span>
                </p>
            </header>
            {move || notice.get().map(|e| view! { <p class="notice error" role="alert" data-testid="case-refused">{e.message}</p> })}
            <div class="demand-grid">
                <div class="demand-main">
                    <dl class="facts" data-testid="case-facts">
                        <dt>{tr(Text::Demand)}</dt>
                        <dd>
                            <A href=format!("/demands/{}", c.demand_id) attr:data-testid="case-demand">
                                <code class="receipt-link">{c.receipt_code.clone()}</code>
                                " "
                                {c.title.clone()}
                            </A>
                        </dd>
                        <dt>{tr(Text::CaseUnit)}</dt>
                        <dd data-testid="case-unit">{move || names.get(unit).unwrap_or_default()}</dd>
                        <dt>{tr(Text::CaseReason)}</dt>
                        <dd data-testid="case-reason">
                            {move || reason.map_or_else(|| raw_reason.clone(), |t| t.get(lang.get()).to_owned())}
                        </dd>
                        {(!c.deadlines.is_empty()).then(|| {
                            let missed = c.deadlines.clone();
                            view! {
                                <dt>{tr(Text::MissedDeadlines)}</dt>
                                <dd data-testid="case-deadlines">{move || deadlines_words(&missed, lang.get())}</dd>
                            }
                        })}
                        <dt>{tr(Text::OpenedAt)}</dt>
                        <dd>{time(Some(c.opened_at))}</dd>
                        {outcome.map(|o| view! {
                            <dt>{tr(Text::Outcome)}</dt>
                            <dd data-testid="case-outcome">{move || pick(o.labels(), lang.get())}</dd>
                        })}
                        {c.outcome_text.clone().map(|t| view! {
                            <dt>{tr(Text::OutcomeText)}</dt>
                            <dd class="description" data-testid="case-outcome-text">{t}</dd>
                        })}
                        {c.decided_by.clone().map(|who| view! {
                            <dt>{tr(Text::DecidedBy)}</dt>
                            <dd data-testid="case-decided-by">{who}</dd>
                        })}
                        {c.decided_at.map(|at| view! {
                            <dt>{tr(Text::DecidedAt)}</dt>
                            <dd data-testid="case-decided-at">{time(Some(at))}</dd>
                        })}
                        {c.closed_at.map(|at| view! {
                            <dt>{tr(Text::CaseClosedAt)}</dt>
                            <dd data-testid="case-closed-at">{time(Some(at))}</dd>
                        })}
                    </dl>
                </div>
                <aside class="demand-side">
                    <CaseSteps case=steps_for stepped refused/>
                </aside>
            </div>
        </article>
    }
    .into_any()
}

/// The next legal step of a case, if any: review when open, decide when under review, close
/// when decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Review,
    Decide,
    Close,
}

impl Step {
    fn after(status: CaseStatus) -> Option<Step> {
        match status {
            CaseStatus::Open => Some(Step::Review),
            CaseStatus::UnderReview => Some(Step::Decide),
            CaseStatus::Decided => Some(Step::Close),
            CaseStatus::Closed => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Step::Review => "review",
            Step::Decide => "decide",
            Step::Close => "close",
        }
    }

    fn text(self) -> Text {
        match self {
            Step::Review => Text::StepReview,
            Step::Decide => Text::StepDecide,
            Step::Close => Text::StepClose,
        }
    }
}

#[component]
fn CaseSteps(case: Case, stepped: Callback<Case>, refused: Callback<ApiError>) -> AnyView {
    let portal = use_portal();
    let decides = portal
        .session
        .with_untracked(|s| s.me().is_some_and(|me| me.decides_cases()));
    let Some(step) = Step::after(case.status) else {
        return view! {
            <section class="actions-panel" data-testid="case-steps">
                <p class="muted" data-testid="case-done">{tr(Text::CaseIsClosed)}</p>
            </section>
        }
        .into_any();
    };
    if !decides {
        return view! {
            <section class="actions-panel" data-testid="case-steps">
                <p class="muted">{tr(Text::CaseNeedsLeader)}</p>
            </section>
        }
        .into_any();
    }
    let open = RwSignal::new(false);
    let id = case.id;
    view! {
        <section class="actions-panel" data-testid="case-steps">
            <h2>{tr(Text::CaseSteps)}</h2>
            <div class="action-buttons">
                <button
                    type="button"
                    class="action-button primary"
                    data-testid=format!("case-step-{}", step.as_str())
                    aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    {tr(step.text())}
                </button>
            </div>
            {move || open.get().then(|| view! { <StepForm id step stepped refused/> })}
        </section>
    }
    .into_any()
}

#[component]
fn StepForm(id: Uuid, step: Step, stepped: Callback<Case>, refused: Callback<ApiError>) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let outcome = RwSignal::new(None::<Outcome>);
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let l = lang.get_untracked();
        let mut body = CaseStepRequest::default();
        if step == Step::Decide {
            let Some(chosen) = outcome.get_untracked() else {
                let mut fields = BTreeMap::new();
                fields.insert("outcome".to_owned(), Text::ChooseOutcome.get(l).to_owned());
                error.set(Some(ApiError::form(Text::FixFields.get(l), fields)));
                return;
            };
            body.outcome = Some(chosen);
            // Sent even when blank: for 其他 the API names it missing in its own words.
            let t = text.get_untracked().trim().to_owned();
            body.outcome_text = (!t.is_empty() || chosen == Outcome::Other).then_some(t);
        }
        busy.set(true);
        error.set(None);
        let path = format!("/accountability/cases/{id}/{}", step.as_str());
        spawn_local(async move {
            match api.post::<_, Case>(&path, &body).await {
                Ok(c) => stepped.run(c),
                Err(e) if matches!(e.status, 403 | 404 | 409) => refused.run(e),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let help = match step {
        Step::Review => Some(Text::StepReviewHelp),
        Step::Close => Some(Text::StepCloseHelp),
        Step::Decide => None,
    };
    view! {
        <form class="form action-form" data-testid="case-step-form" data-step=step.as_str() novalidate=true on:submit=submit>
            <h3>{tr(step.text())}</h3>
            <FormError error/>
            {help.map(|h| view! { <p class="help">{tr(h)}</p> })}
            {(step == Step::Decide).then(|| view! {
                <label class="field" class:invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("outcome")).is_some())>
                    <span class="label">{tr(Text::Outcome)}</span>
                    <select
                        name="outcome"
                        data-testid="case-outcome-select"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            outcome.set(OUTCOMES.into_iter().find(|o| o.as_str() == v));
                        }
                    >
                        <option value="" selected=move || outcome.get().is_none()>{tr(Text::ChooseOutcome)}</option>
                        {OUTCOMES
                            .into_iter()
                            .map(|o| view! {
                                <option value=o.as_str() selected=move || outcome.get() == Some(o)>
                                    {move || pick(o.labels(), lang.get())}
                                </option>
                            })
                            .collect_view()}
                    </select>
                    <FieldError name="outcome" error/>
                </label>
                <label class="field" class:invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("outcome_text")).is_some())>
                    <span class="label">{tr(Text::OutcomeText)}</span>
                    <textarea
                        name="outcome_text"
                        rows=3
                        data-testid="case-outcome-text-input"
                        required=move || outcome.get() == Some(Outcome::Other)
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    ></textarea>
                    <span class="hint">{tr(Text::OutcomeTextHint)}</span>
                    <FieldError name="outcome_text" error/>
                </label>
            })}
            <div class="form-actions">
                <button type="submit" class="primary big" data-testid="case-step-submit" disabled=move || busy.get()>
                    {tr(Text::Confirm)}
                </button>
            </div>
        </form>
    }
    .into_any()
}
