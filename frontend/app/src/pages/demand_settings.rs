//! `/settings/demands` (whole-tenant administrators): how the tenant's demands are timed and
//! filed — 节假日日历 (the working-day calendar: holidays and make-up working days, edited per
//! year or loaded from a CSV), 诉求规则 (routing by grade, deadlines per tier, accountability
//! thresholds, the ledger's hash and the personal-data cipher), 诉求类别 (categories) — and where
//! they reach outside systems: 通知渠道 and 接口密钥 (in `integrations`).
//!
//! The tab and the calendar's year live in the URL's query (`?tab=calendar&year=2026`).
use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use minqing_domain::accountability::AccountabilityRules;
use minqing_domain::calendar::{CalendarEntry, DayCount, DayKind};
use minqing_domain::crypto_choice::{CipherAlgorithm, HashAlgorithm};
use minqing_domain::demand::Grade;
use minqing_domain::demand::deadline::{DeadlineRule, DeadlineRules};
use minqing_domain::demand::routing::RoutingRules;
use minqing_domain::i18n::Lang;
use minqing_domain::tier::TierKey;
use serde_json::Value;

use super::import::ImportErrors;
use super::integrations::{ApiKeysEditor, NotificationsEditor};
use crate::api::{ApiError, new_idempotency_key};
use crate::components::{ErrorNotice, FieldError, FormError, Loading, TextField};
use crate::i18n::{Text, pick, tr, weekday_label};
use crate::model::{
    CalendarYearRequest, Category, CreateCategoryRequest, DemandRules, Page, TierView,
    UpdateCategoryRequest, localized,
};
use crate::state::{use_api, use_portal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Calendar,
    Rules,
    Categories,
    Notifications,
    ApiKeys,
}

impl Tab {
    const ALL: [Tab; 5] = [
        Tab::Calendar,
        Tab::Rules,
        Tab::Categories,
        Tab::Notifications,
        Tab::ApiKeys,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Tab::Calendar => "calendar",
            Tab::Rules => "rules",
            Tab::Categories => "categories",
            Tab::Notifications => "notifications",
            Tab::ApiKeys => "api-keys",
        }
    }

    fn parse(raw: &str) -> Tab {
        Tab::ALL
            .into_iter()
            .find(|t| t.as_str() == raw.trim())
            .unwrap_or(Tab::Calendar)
    }

    fn text(self) -> Text {
        match self {
            Tab::Calendar => Text::TabCalendar,
            Tab::Rules => Text::TabRules,
            Tab::Categories => Text::TabCategories,
            Tab::Notifications => Text::TabNotifications,
            Tab::ApiKeys => Text::TabApiKeys,
        }
    }
}

/// This year, by the reader's clock (the server's while rendering).
fn current_year() -> i32 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::new_0().get_full_year() as i32
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::Utc::now().year()
    }
}

/// Years the calendar can be edited for.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

#[component]
pub fn DemandSettingsPage() -> AnyView {
    let query = use_query_map();
    let tab = Memo::new(move |_| query.with(|q| Tab::parse(&q.get("tab").unwrap_or_default())));
    let year = Memo::new(move |_| {
        query.with(|q| {
            q.get("year")
                .and_then(|y| y.trim().parse::<i32>().ok())
                .filter(|y| YEARS.contains(y))
                .unwrap_or_else(current_year)
        })
    });
    let navigate = StoredValue::new(use_navigate());
    let go = move |tab: Tab, year: Option<i32>| {
        let mut url = format!("/settings/demands?tab={}", tab.as_str());
        if let Some(y) = year {
            url.push_str(&format!("&year={y}"));
        }
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
    };
    let set_year = Callback::new(move |y: i32| go(Tab::Calendar, Some(y)));

    view! {
        <section class="page" data-testid="demand-settings-page">
            <div class="page-head">
                <h1>{tr(Text::DemandSettingsTitle)}</h1>
                <A href="/settings" attr:class="button">{tr(Text::SettingsTitle)}</A>
            </div>
            <div class="tabs" role="tablist" aria-label=tr(Text::DemandSettingsTitle)>
                {Tab::ALL
                    .into_iter()
                    .map(|t| {
                        view! {
                            <button
                                type="button"
                                role="tab"
                                class="tab"
                                data-testid=format!("tab-{}", t.as_str())
                                aria-selected=move || (tab.get() == t).to_string()
                                on:click=move |_| go(t, None)
                            >
                                {tr(t.text())}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="tab-panel" role="tabpanel">
                {move || match tab.get() {
                    Tab::Calendar => view! { <CalendarEditor year set_year/> }.into_any(),
                    Tab::Rules => view! { <RulesEditor/> }.into_any(),
                    Tab::Categories => view! { <CategoriesEditor/> }.into_any(),
                    Tab::Notifications => view! { <NotificationsEditor/> }.into_any(),
                    Tab::ApiKeys => view! { <ApiKeysEditor/> }.into_any(),
                }}
            </div>
        </section>
    }
    .into_any()
}

// ---------------------------------------------------------------------------------------------
// 节假日日历

/// One day of the year being edited, as typed.
#[derive(Debug, Clone, PartialEq)]
struct DayEdit {
    key: u64,
    date: String,
    kind: DayKind,
    name: String,
}

impl DayEdit {
    fn parsed_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d").ok()
    }
}

fn day_kind_text(kind: DayKind) -> Text {
    match kind {
        DayKind::Holiday => Text::DayHoliday,
        DayKind::Workday => Text::DayWorkday,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum FileState {
    Idle,
    Sending,
    Done,
    Failed(ApiError),
}

#[component]
fn CalendarEditor(year: Memo<i32>, set_year: Callback<i32>) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let rows = RwSignal::new(Vec::<DayEdit>::new());
    // None while loading; the load's error otherwise.
    let loaded = RwSignal::new(None::<Result<(), ApiError>>);
    let next_key = StoredValue::new(0u64);
    let generation = StoredValue::new(0u64);
    let dirty = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let file_state = RwSignal::new(FileState::Idle);
    let file_input = NodeRef::<html::Input>::new();
    let year_text = RwSignal::new(year.get_untracked().to_string());

    let fill = move |mut entries: Vec<CalendarEntry>| {
        entries.sort_by_key(|e| e.date);
        let edits = entries
            .into_iter()
            .map(|e| {
                next_key.update_value(|k| *k += 1);
                DayEdit {
                    key: next_key.get_value(),
                    date: e.date.format("%Y-%m-%d").to_string(),
                    kind: e.kind,
                    name: e.name,
                }
            })
            .collect();
        rows.set(edits);
        dirty.set(false);
    };

    Effect::new(move |_| {
        let y = year.get();
        year_text.set(y.to_string());
        generation.update_value(|g| *g += 1);
        let this = generation.get_value();
        loaded.set(None);
        saved.set(false);
        error.set(None);
        file_state.set(FileState::Idle);
        rows.set(Vec::new());
        spawn_local(async move {
            let answer = api
                .get::<Vec<CalendarEntry>>(&format!("/tenant/calendar?year={y}"))
                .await;
            if generation.get_value() != this {
                return;
            }
            match answer {
                Ok(entries) => {
                    fill(entries);
                    loaded.set(Some(Ok(())));
                }
                Err(e) => loaded.set(Some(Err(e))),
            }
        });
    });

    let edit = move |key: u64, change: Box<dyn FnOnce(&mut DayEdit)>| {
        rows.update(|r| {
            if let Some(row) = r.iter_mut().find(|row| row.key == key) {
                change(row);
            }
        });
        dirty.set(true);
        saved.set(false);
    };
    let add = move |_| {
        next_key.update_value(|k| *k += 1);
        let key = next_key.get_value();
        rows.update(|r| {
            r.push(DayEdit {
                key,
                date: String::new(),
                kind: DayKind::Holiday,
                name: String::new(),
            })
        });
        dirty.set(true);
        saved.set(false);
    };
    let remove = move |key: u64| {
        rows.update(|r| r.retain(|row| row.key != key));
        dirty.set(true);
        saved.set(false);
    };

    let save = move |_| {
        if busy.get_untracked() {
            return;
        }
        let l = lang.get_untracked();
        let y = year.get_untracked();
        let mut entries = Vec::new();
        for row in rows.get_untracked() {
            match row.parsed_date() {
                Some(date) => entries.push(CalendarEntry {
                    date,
                    kind: row.kind,
                    name: row.name.trim().to_owned(),
                }),
                None => {
                    let mut fields = BTreeMap::new();
                    fields.insert(
                        "entries".to_owned(),
                        minqing_domain::i18n::message("calendar_bad_date", l),
                    );
                    error.set(Some(ApiError::form(Text::FixFields.get(l), fields)));
                    return;
                }
            }
        }
        busy.set(true);
        error.set(None);
        saved.set(false);
        spawn_local(async move {
            match api
                .put::<_, Vec<CalendarEntry>>(
                    &format!("/tenant/calendar/{y}"),
                    &CalendarYearRequest { entries },
                )
                .await
            {
                Ok(stored) if year.get_untracked() == y => {
                    fill(stored);
                    saved.set(true);
                }
                Ok(_) => {}
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let import = move |ev: SubmitEvent| {
        ev.prevent_default();
        if file_state.get_untracked() == FileState::Sending {
            return;
        }
        let file = crate::components::chosen_file(file_input);
        let l = lang.get_untracked();
        let Some(file) = file else {
            file_state.set(FileState::Failed(ApiError::form(
                Text::ChooseFileFirst.get(l),
                BTreeMap::new(),
            )));
            return;
        };
        let y = year.get_untracked();
        file_state.set(FileState::Sending);
        spawn_local(async move {
            let answer = api
                .upload::<Vec<CalendarEntry>>(&format!("/tenant/calendar/{y}/import"), file, |_| {})
                .await;
            if year.get_untracked() != y {
                return;
            }
            match answer {
                Ok(stored) => {
                    fill(stored);
                    error.set(None);
                    file_state.set(FileState::Done);
                }
                Err(e) => file_state.set(FileState::Failed(e)),
            }
        });
    };

    let pick_year = move |raw: String| match raw.trim().parse::<i32>() {
        Ok(y) if YEARS.contains(&y) => {
            if y != year.get_untracked() {
                set_year.run(y);
            }
        }
        _ => year_text.set(year.get_untracked().to_string()),
    };
    let count = move |kind: DayKind| rows.with(|r| r.iter().filter(|d| d.kind == kind).count());

    view! {
        <div class="calendar-editor" data-testid="calendar-editor">
            <p class="help">{tr(Text::CalendarHelp)}</p>
            <form
                class="year-picker"
                on:submit=move |ev: SubmitEvent| {
                    ev.prevent_default();
                    pick_year(year_text.get_untracked());
                }
            >
                <button
                    type="button"
                    data-testid="calendar-prev-year"
                    aria-label=move || format!("{}", year.get() - 1)
                    on:click=move |_| set_year.run(year.get_untracked() - 1)
                >
                    "‹"
                </button>
                <label>
                    <span class="visually-hidden">{tr(Text::Year)}</span>
                    <input
                        type="number"
                        min=*YEARS.start()
                        max=*YEARS.end()
                        data-testid="calendar-year"
                        prop:value=move || year_text.get()
                        on:input=move |ev| year_text.set(event_target_value(&ev))
                        on:change=move |ev| pick_year(event_target_value(&ev))
                    />
                </label>
                <button
                    type="button"
                    data-testid="calendar-next-year"
                    aria-label=move || format!("{}", year.get() + 1)
                    on:click=move |_| set_year.run(year.get_untracked() + 1)
                >
                    "›"
                </button>
            </form>
            {move || match loaded.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(())) => view! {
                    <dl class="counts" data-testid="calendar-counts">
                        <div>
                            <dt>{tr(Text::HolidayCount)}</dt>
                            <dd data-testid="calendar-holidays">{move || count(DayKind::Holiday)}</dd>
                        </div>
                        <div>
                            <dt>{tr(Text::WorkdayCount)}</dt>
                            <dd data-testid="calendar-workdays">{move || count(DayKind::Workday)}</dd>
                        </div>
                    </dl>
                    <FormError error/>
                    <div class="table-wrap">
                        <table class="table calendar-table" data-testid="calendar-days">
                            <thead>
                                <tr>
                                    <th>{tr(Text::Date)}</th>
                                    <th>{tr(Text::Weekday)}</th>
                                    <th>{tr(Text::DayKindLabel)}</th>
                                    <th>{tr(Text::DayName)}</th>
                                    <th>{tr(Text::Actions)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                <For
                                    each=move || rows.get()
                                    key=|row| row.key
                                    children=move |row| view! { <DayRowView row_key=row.key rows year edit remove/> }
                                />
                            </tbody>
                        </table>
                    </div>
                    {move || rows.with(Vec::is_empty).then(|| view! { <p class="muted" data-testid="calendar-empty">{tr(Text::NoDays)}</p> })}
                    <FieldError name="entries" error/>
                    <div class="form-actions">
                        <button type="button" data-testid="calendar-add" on:click=add>
                            "+ " {tr(Text::AddDay)}
                        </button>
                        <button type="button" class="primary" data-testid="calendar-save" disabled=move || busy.get() on:click=save>
                            {move || if busy.get() { tr(Text::Saving)() } else { tr(Text::Save)() }}
                        </button>
                        {move || saved.get().then(|| view! { <span class="saved" role="status" data-testid="calendar-saved">{tr(Text::Saved)}</span> })}
                        {move || dirty.get().then(|| view! { <span class="muted" data-testid="calendar-dirty">{tr(Text::UnsavedChanges)}</span> })}
                    </div>
                }
                .into_any(),
            }}
            <h3>{tr(Text::ImportCalendar)}</h3>
            <p class="help">{tr(Text::ImportCalendarHelp)}</p>
            <form class="form inline-form" data-testid="calendar-import" on:submit=import>
                <label class="field">
                    <span class="label">{tr(Text::File)}</span>
                    <input
                        type="file"
                        name="file"
                        data-testid="calendar-file"
                        accept=".csv,text/csv"
                        node_ref=file_input
                        on:change=move |_| file_state.set(FileState::Idle)
                    />
                </label>
                <div class="form-actions">
                    <button
                        type="submit"
                        class="primary"
                        data-testid="calendar-import-submit"
                        disabled=move || file_state.get() == FileState::Sending
                    >
                        {move || if file_state.get() == FileState::Sending { tr(Text::Uploading)() } else { tr(Text::Upload)() }}
                    </button>
                </div>
            </form>
            {move || match file_state.get() {
                FileState::Idle | FileState::Sending => ().into_any(),
                FileState::Done => view! {
                    <p class="notice success" role="status" data-testid="calendar-imported">{tr(Text::Imported)}</p>
                }
                .into_any(),
                FileState::Failed(error) => view! { <ImportErrors error/> }.into_any(),
            }}
        </div>
    }
    .into_any()
}

/// One editable day; reads its values from `rows` by key, so edits elsewhere do not rebuild it.
#[component]
fn DayRowView(
    row_key: u64,
    rows: RwSignal<Vec<DayEdit>>,
    year: Memo<i32>,
    edit: impl Fn(u64, Box<dyn FnOnce(&mut DayEdit)>) + Copy + Send + Sync + 'static,
    remove: impl Fn(u64) + Copy + Send + Sync + 'static,
) -> AnyView {
    let lang = use_portal().lang;
    let key = row_key;
    let row = move || rows.with(|r| r.iter().find(|d| d.key == key).cloned());
    let field =
        move |get: fn(&DayEdit) -> String| move || row().map(|d| get(&d)).unwrap_or_default();
    let kind = move || row().map_or(DayKind::Holiday, |d| d.kind);
    let date = Memo::new(move |_| row().and_then(|d| d.parsed_date()));
    let bad = move || date.get().is_none_or(|d| d.year() != year.get());
    let y = year.get_untracked();
    view! {
        <tr
            data-testid="calendar-row"
            data-date=move || field(|d| d.date.trim().to_owned())()
            data-kind=move || kind().as_str()
            class:invalid=bad
        >
            <td>
                <input
                    type="date"
                    name="date"
                    min=format!("{y}-01-01")
                    max=format!("{y}-12-31")
                    aria-label=tr(Text::Date)
                    aria-invalid=move || bad().then_some("true")
                    prop:value=field(|d| d.date.clone())
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        edit(key, Box::new(move |d| d.date = v));
                    }
                />
            </td>
            <td class="weekday" data-testid="calendar-weekday">
                {move || date.get().map(|d| weekday_label(d.weekday(), lang.get()))}
            </td>
            <td>
                <select
                    name="kind"
                    aria-label=tr(Text::DayKindLabel)
                    class=move || format!("day-kind day-{}", kind().as_str())
                    prop:value=move || kind().as_str()
                    on:change=move |ev| {
                        let v = if event_target_value(&ev) == "workday" { DayKind::Workday } else { DayKind::Holiday };
                        edit(key, Box::new(move |d| d.kind = v));
                    }
                >
                    {[DayKind::Holiday, DayKind::Workday]
                        .into_iter()
                        .map(|k| view! {
                            <option value=k.as_str() selected=move || kind() == k>{tr(day_kind_text(k))}</option>
                        })
                        .collect_view()}
                </select>
            </td>
            <td>
                <input
                    type="text"
                    name="name"
                    aria-label=tr(Text::DayName)
                    prop:value=field(|d| d.name.clone())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        edit(key, Box::new(move |d| d.name = v));
                    }
                />
            </td>
            <td>
                <button type="button" class="link-button danger" data-testid="calendar-remove" on:click=move |_| remove(key)>
                    {tr(Text::Remove)}
                </button>
            </td>
        </tr>
    }
    .into_any()
}

// ---------------------------------------------------------------------------------------------
// 诉求规则

/// A tier as the tenant names it.
#[derive(Debug, Clone, PartialEq)]
struct TierName {
    key: TierKey,
    zh: String,
    en: String,
}

impl TierName {
    fn label(&self, lang: Lang) -> String {
        localized(lang, &self.zh, &self.en).to_owned()
    }
}

/// The tenant's tiers, top first; every tier key with its default label if they are unknown.
fn tier_names(tiers: &[TierView]) -> Vec<TierName> {
    let mut named: Vec<(i32, TierName)> = tiers
        .iter()
        .filter_map(|t| {
            let key = TierKey::parse(&t.key).ok()?;
            Some((
                t.level,
                TierName {
                    key,
                    zh: t.label_zh.clone(),
                    en: t.label_en.clone(),
                },
            ))
        })
        .collect();
    named.sort_by_key(|(level, _)| *level);
    if named.is_empty() {
        return TierKey::ALL
            .into_iter()
            .map(|key| {
                let (zh, en) = key.default_labels();
                TierName {
                    key,
                    zh: zh.to_owned(),
                    en: en.to_owned(),
                }
            })
            .collect();
    }
    named.into_iter().map(|(_, t)| t).collect()
}

/// `""` → none; digits → the number; anything else is refused.
fn parse_count(raw: &str) -> Result<Option<u32>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<u32>().map(Some).map_err(|_| ())
}

fn count_text(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

#[component]
fn RulesEditor() -> AnyView {
    let api = use_api();
    let loaded = LocalResource::new(move || async move {
        let raw = api.get::<Value>("/tenant/demand-rules").await?;
        // Labels only: without them the tiers go by their default names.
        let tiers = api
            .get::<Page<TierView>>("/tenant/tiers")
            .await
            .map(|p| p.items)
            .unwrap_or_default();
        Ok::<_, ApiError>((raw, tiers))
    });
    (move || match loaded.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
        Some(Ok((raw, tiers))) => match serde_json::from_value::<DemandRules>(raw.clone()) {
            Ok(rules) => view! { <RulesForm raw rules tiers/> }.into_any(),
            Err(_) => {
                let lang = use_portal().lang.get_untracked();
                let error = ApiError::form(Text::UnexpectedResponse.get(lang), BTreeMap::new());
                view! { <ErrorNotice error/> }.into_any()
            }
        },
    })
    .into_any()
}

/// One tier's deadline rule as typed.
#[derive(Debug, Clone, Copy)]
struct RuleEdit {
    tier: TierKey,
    reply: RwSignal<String>,
    resolve: RwSignal<String>,
    count: RwSignal<DayCount>,
    auto_escalate: RwSignal<bool>,
    warn: RwSignal<String>,
}

#[component]
fn RulesForm(raw: Value, rules: DemandRules, tiers: Vec<TierView>) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let names = StoredValue::new(tier_names(&tiers));
    let tier_label = move |key: TierKey| {
        let l = lang.get();
        names.with_value(|n| {
            n.iter()
                .find(|t| t.key == key)
                .map_or_else(|| pick(key.default_labels(), l).to_owned(), |t| t.label(l))
        })
    };
    let raw = StoredValue::new(raw);
    let stored_deadlines = StoredValue::new(rules.deadlines.0.clone());

    let routing: Vec<(Grade, RwSignal<TierKey>)> = Grade::ALL
        .into_iter()
        .map(|g| (g, RwSignal::new(rules.routing.tier_for(g))))
        .collect();
    let routing = StoredValue::new(routing);
    let edits: Vec<RuleEdit> = names.with_value(|n| {
        n.iter()
            .map(|t| {
                let rule = rules.deadlines.for_tier(t.key);
                RuleEdit {
                    tier: t.key,
                    reply: RwSignal::new(count_text(rule.reply_days)),
                    resolve: RwSignal::new(count_text(rule.resolve_days)),
                    count: RwSignal::new(rule.count),
                    auto_escalate: RwSignal::new(rule.auto_escalate),
                    warn: RwSignal::new(rule.warn_hours_before.to_string()),
                }
            })
            .collect()
    });
    let edits = StoredValue::new(edits);
    let acc = rules.accountability.clone();
    let serious = RwSignal::new(acc.serious_after_days.to_string());
    let repeated = RwSignal::new(acc.repeated_count.to_string());
    let window = RwSignal::new(acc.repeated_window_days.to_string());
    let hash = RwSignal::new(rules.hash_algorithm);
    let cipher = RwSignal::new(rules.cipher_algorithm);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let l = lang.get_untracked();
        let mut bad = BTreeMap::new();
        let mut number = |key: String, raw: String, required: bool| -> Option<u32> {
            match parse_count(&raw) {
                Ok(Some(n)) => Some(n),
                Ok(None) if !required => None,
                _ => {
                    bad.insert(key, Text::WholeNumber.get(l).to_owned());
                    None
                }
            }
        };
        let mut deadlines = stored_deadlines.get_value();
        for e in edits.get_value() {
            let tier = e.tier.as_str();
            let rule = DeadlineRule {
                tier: e.tier,
                reply_days: number(format!("reply_days.{tier}"), e.reply.get_untracked(), false),
                resolve_days: number(
                    format!("resolve_days.{tier}"),
                    e.resolve.get_untracked(),
                    false,
                ),
                count: e.count.get_untracked(),
                auto_escalate: e.auto_escalate.get_untracked(),
                warn_hours_before: number(
                    format!("warn_hours_before.{tier}"),
                    e.warn.get_untracked(),
                    true,
                )
                .unwrap_or_default(),
            };
            match deadlines.iter_mut().find(|r| r.tier == e.tier) {
                Some(old) => *old = rule,
                None => deadlines.push(rule),
            }
        }
        let accountability = AccountabilityRules {
            serious_after_days: number("serious_after_days".into(), serious.get_untracked(), true)
                .unwrap_or_default(),
            repeated_count: number("repeated_count".into(), repeated.get_untracked(), true)
                .unwrap_or_default(),
            repeated_window_days: number(
                "repeated_window_days".into(),
                window.get_untracked(),
                true,
            )
            .unwrap_or_default(),
        };
        if !bad.is_empty() {
            error.set(Some(ApiError::form(Text::FixFields.get(l), bad)));
            return;
        }
        let routing = RoutingRules(
            routing
                .get_value()
                .into_iter()
                .map(|(g, t)| (g, t.get_untracked()))
                .collect(),
        );
        // Over the rules as read, so what this form does not show is sent back unchanged.
        let mut body = raw.get_value();
        if let Some(obj) = body.as_object_mut() {
            let put = |v: serde_json::Result<Value>| v.unwrap_or(Value::Null);
            obj.insert("routing".into(), put(serde_json::to_value(&routing)));
            obj.insert(
                "deadlines".into(),
                put(serde_json::to_value(DeadlineRules(deadlines))),
            );
            obj.insert(
                "accountability".into(),
                put(serde_json::to_value(&accountability)),
            );
            obj.insert(
                "hash_algorithm".into(),
                put(serde_json::to_value(hash.get_untracked())),
            );
            obj.insert(
                "cipher_algorithm".into(),
                put(serde_json::to_value(cipher.get_untracked())),
            );
        }
        busy.set(true);
        error.set(None);
        saved.set(false);
        spawn_local(async move {
            match api.put::<_, Value>("/tenant/demand-rules", &body).await {
                Ok(stored) => {
                    if let Ok(rules) = serde_json::from_value::<DemandRules>(stored.clone()) {
                        stored_deadlines.set_value(rules.deadlines.0);
                    }
                    raw.set_value(stored);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let field_error = move |key: String| {
        move || {
            error
                .with(|e| e.as_ref().and_then(|e| e.field(&key)))
                .map(|m| view! { <span class="field-error">{m}</span> })
        }
    };
    let number_input = move |value: RwSignal<String>, key: String, label: Text| {
        let invalid = {
            let key = key.clone();
            move || error.with(|e| e.as_ref().is_some_and(|e| e.field(&key).is_some()))
        };
        view! {
            <input
                type="text"
                inputmode="numeric"
                class="number"
                name=key.clone()
                aria-label=tr(label)
                aria-invalid=move || invalid().then_some("true")
                prop:value=move || value.get()
                on:input=move |ev| {
                    saved.set(false);
                    value.set(event_target_value(&ev))
                }
            />
            {field_error(key)}
        }
    };

    // Each section its own view: one view of them all nests too deep for the compiler.
    let routing_view = view! {
            <h2>{tr(Text::RoutingTitle)}</h2>
            <p class="help">{tr(Text::RoutingHelp)}</p>
            <div class="table-wrap">
                <table class="table narrow-table" data-testid="routing">
                    <thead>
                        <tr>
                            <th>{tr(Text::Grade)}</th>
                            <th>{tr(Text::HandlingTier)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {routing
                            .get_value()
                            .into_iter()
                            .map(|(grade, tier)| view! {
                                <tr data-testid="routing-row" data-grade=grade.as_str()>
                                    <td>
                                        <span class=format!("grade-badge grade-{}", grade.as_str())>{grade.labels().0}</span>
                                        " "
                                        {move || pick(grade.labels(), lang.get())}
                                    </td>
                                    <td>
                                        <select
                                            name=format!("routing.{}", grade.as_str())
                                            aria-label=tr(Text::HandlingTier)
                                            on:change=move |ev| {
                                                if let Ok(key) = TierKey::parse(&event_target_value(&ev)) {
                                                    saved.set(false);
                                                    tier.set(key);
                                                }
                                            }
                                        >
                                            {TierKey::ALL
                                                .into_iter()
                                                .filter(|k| *k == tier.get_untracked() || names.with_value(|n| n.iter().any(|t| t.key == *k)))
                                                .map(|k| view! {
                                                    <option value=k.as_str() selected=move || tier.get() == k>
                                                        {move || tier_label(k)}
                                                    </option>
                                                })
                                                .collect_view()}
                                        </select>
                                    </td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
    }
    .into_any();
    let deadlines_view = view! {
            <h2>{tr(Text::DeadlinesTitle)}</h2>
            <p class="help">{tr(Text::DeadlinesHelp)}</p>
            <div class="table-wrap">
                <table class="table" data-testid="deadlines">
                    <thead>
                        <tr>
                            <th>{tr(Text::TierLabel)}</th>
                            <th>{tr(Text::ReplyDays)}</th>
                            <th>{tr(Text::ResolveDays)}</th>
                            <th>{tr(Text::DayCountLabel)}</th>
                            <th>{tr(Text::AutoEscalate)}</th>
                            <th>{tr(Text::WarnHours)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {edits
                            .get_value()
                            .into_iter()
                            .map(|e| {
                                let tier = e.tier.as_str();
                                view! {
                                    <tr data-testid="deadline-row" data-tier=tier>
                                        <td>{move || tier_label(e.tier)}</td>
                                        <td>{number_input(e.reply, format!("reply_days.{tier}"), Text::ReplyDays)}</td>
                                        <td>{number_input(e.resolve, format!("resolve_days.{tier}"), Text::ResolveDays)}</td>
                                        <td>
                                            <select
                                                name=format!("count.{tier}")
                                                aria-label=tr(Text::DayCountLabel)
                                                on:change=move |ev| {
                                                    saved.set(false);
                                                    e.count.set(if event_target_value(&ev) == "calendar" { DayCount::Calendar } else { DayCount::Working });
                                                }
                                            >
                                                <option value="working" selected=move || e.count.get() == DayCount::Working>{tr(Text::WorkingDays)}</option>
                                                <option value="calendar" selected=move || e.count.get() == DayCount::Calendar>{tr(Text::CalendarDays)}</option>
                                            </select>
                                        </td>
                                        <td class="center">
                                            <input
                                                type="checkbox"
                                                name=format!("auto_escalate.{tier}")
                                                aria-label=tr(Text::AutoEscalate)
                                                prop:checked=move || e.auto_escalate.get()
                                                on:change=move |ev| {
                                                    saved.set(false);
                                                    e.auto_escalate.set(event_target_checked(&ev));
                                                }
                                            />
                                        </td>
                                        <td>{number_input(e.warn, format!("warn_hours_before.{tier}"), Text::WarnHours)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <FieldError name="deadlines" error/>
    }
    .into_any();
    let accountability_view = view! {
            <h2>{tr(Text::AccountabilityTitle)}</h2>
            <div class="rules-grid">
                <label class="field">
                    <span class="label">{tr(Text::SeriousAfterDays)}</span>
                    {number_input(serious, "serious_after_days".into(), Text::SeriousAfterDays)}
                </label>
                <label class="field">
                    <span class="label">{tr(Text::RepeatedCount)}</span>
                    {number_input(repeated, "repeated_count".into(), Text::RepeatedCount)}
                </label>
                <label class="field">
                    <span class="label">{tr(Text::RepeatedWindowDays)}</span>
                    {number_input(window, "repeated_window_days".into(), Text::RepeatedWindowDays)}
                </label>
            </div>
            <FieldError name="accountability" error/>
    }
    .into_any();
    let crypto_view = view! {
            <h2>{tr(Text::CryptoTitle)}</h2>
            <div class="rules-grid">
                <label class="field">
                    <span class="label">{tr(Text::HashAlgorithm)}</span>
                    <select
                        name="hash_algorithm"
                        data-testid="hash-algorithm"
                        on:change=move |ev| {
                            if let Ok(a) = HashAlgorithm::parse(&event_target_value(&ev)) {
                                saved.set(false);
                                hash.set(a);
                            }
                        }
                    >
                        {HashAlgorithm::ALL
                            .into_iter()
                            .map(|a| view! {
                                <option value=a.as_str() selected=move || hash.get() == a>{hash_label(a)}</option>
                            })
                            .collect_view()}
                    </select>
                    <FieldError name="hash_algorithm" error/>
                </label>
                <label class="field">
                    <span class="label">{tr(Text::CipherAlgorithm)}</span>
                    <select
                        name="cipher_algorithm"
                        data-testid="cipher-algorithm"
                        on:change=move |ev| {
                            if let Ok(c) = CipherAlgorithm::parse(&event_target_value(&ev)) {
                                saved.set(false);
                                cipher.set(c);
                            }
                        }
                    >
                        {CipherAlgorithm::ALL
                            .into_iter()
                            .map(|c| view! {
                                <option value=c.as_str() selected=move || cipher.get() == c>{cipher_label(c)}</option>
                            })
                            .collect_view()}
                    </select>
                    <FieldError name="cipher_algorithm" error/>
                </label>
            </div>
            <p class="notice" data-testid="crypto-note">{tr(Text::CryptoNote)}</p>
    }
    .into_any();

    view! {
        <form class="rules-form" data-testid="rules-form" novalidate=true on:submit=submit>
            <p class="help">{tr(Text::RulesHelp)}</p>
            <FormError error/>
            {routing_view}
            {deadlines_view}
            {accountability_view}
            {crypto_view}
            <div class="form-actions">
                <button type="submit" class="primary" data-testid="rules-save" disabled=move || busy.get()>
                    {move || if busy.get() { tr(Text::Saving)() } else { tr(Text::Save)() }}
                </button>
                {move || saved.get().then(|| view! { <span class="saved" role="status" data-testid="rules-saved">{tr(Text::Saved)}</span> })}
            </div>
        </form>
    }
    .into_any()
}

fn hash_label(a: HashAlgorithm) -> &'static str {
    match a {
        HashAlgorithm::Sha256 => "SHA-256",
        HashAlgorithm::Sm3 => "国密 SM3",
    }
}

fn cipher_label(c: CipherAlgorithm) -> &'static str {
    match c {
        CipherAlgorithm::Aes256Gcm => "AES-256-GCM",
        CipherAlgorithm::Sm4Gcm => "国密 SM4-GCM",
    }
}

// ---------------------------------------------------------------------------------------------
// 诉求类别

#[component]
fn CategoriesEditor() -> AnyView {
    let api = use_api();
    let categories =
        LocalResource::new(
            move || async move { api.get::<Vec<Category>>("/tenant/categories").await },
        );
    let reload = Callback::new(move |()| categories.refetch());
    view! {
        <div data-testid="categories-editor">
            <p class="help">{tr(Text::CategoriesHelp)}</p>
            <NewCategoryForm reload/>
            {move || match categories.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(list)) => view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="categories">
                            <thead>
                                <tr>
                                    <th>{tr(Text::Key)}</th>
                                    <th>{tr(Text::LabelZh)}</th>
                                    <th>{tr(Text::LabelEn)}</th>
                                    <th>{tr(Text::Status)}</th>
                                    <th>{tr(Text::Actions)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|category| view! { <CategoryRow category/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any(),
            }}
        </div>
    }
    .into_any()
}

#[component]
fn NewCategoryForm(reload: Callback<()>) -> AnyView {
    let api = use_api();
    let key = RwSignal::new(String::new());
    let label_zh = RwSignal::new(String::new());
    let label_en = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    // One key per category being added: a double submit adds it once.
    let idempotency = StoredValue::new(new_idempotency_key());

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        done.set(false);
        let body = CreateCategoryRequest {
            key: key.get_untracked().trim().to_owned(),
            label_zh: label_zh.get_untracked().trim().to_owned(),
            label_en: label_en.get_untracked().trim().to_owned(),
        };
        let idem = idempotency.get_value();
        spawn_local(async move {
            match api
                .post_idempotent::<_, Category>("/tenant/categories", &body, &idem)
                .await
            {
                Ok(_) => {
                    idempotency.set_value(new_idempotency_key());
                    key.set(String::new());
                    label_zh.set(String::new());
                    label_en.set(String::new());
                    done.set(true);
                    reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <details class="card">
            <summary>{tr(Text::NewCategory)}</summary>
            <form class="form" data-testid="new-category" on:submit=submit>
                <FormError error/>
                <TextField label=Text::CategoryKey name="key" value=key error required=true/>
                <TextField label=Text::LabelZh name="label_zh" value=label_zh error required=true/>
                <TextField label=Text::LabelEn name="label_en" value=label_en error required=true/>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Add)}</button>
                    {move || done.get().then(|| view! { <span class="saved" role="status">{tr(Text::Saved)}</span> })}
                </div>
            </form>
        </details>
    }
    .into_any()
}

#[component]
fn CategoryRow(category: Category) -> AnyView {
    let api = use_api();
    let label_zh = RwSignal::new(category.label_zh.clone());
    let label_en = RwSignal::new(category.label_en.clone());
    let retired = RwSignal::new(category.retired);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let key = StoredValue::new(category.key.clone());

    let send = move |body: UpdateCategoryRequest| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        saved.set(false);
        error.set(None);
        let path = format!("/tenant/categories/{}", key.get_value());
        spawn_local(async move {
            match api.patch::<_, Category>(&path, &body).await {
                Ok(c) => {
                    label_zh.set(c.label_zh);
                    label_en.set(c.label_en);
                    retired.set(c.retired);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let rename = move |_| {
        send(UpdateCategoryRequest {
            label_zh: Some(label_zh.get_untracked()),
            label_en: Some(label_en.get_untracked()),
            retired: None,
        })
    };
    let toggle = move |_| {
        send(UpdateCategoryRequest {
            retired: Some(!retired.get_untracked()),
            ..Default::default()
        })
    };
    let input = move |value: RwSignal<String>, name: &'static str, label: Text| {
        view! {
            <input
                type="text"
                name=name
                aria-label=tr(label)
                prop:value=move || value.get()
                on:input=move |ev| {
                    saved.set(false);
                    value.set(event_target_value(&ev))
                }
            />
            <FieldError name error/>
        }
    };
    view! {
        <tr data-testid="category-row" data-key=category.key.clone() class:disabled=move || retired.get()>
            <td><code>{category.key.clone()}</code></td>
            <td>{input(label_zh, "label_zh", Text::LabelZh)}</td>
            <td>{input(label_en, "label_en", Text::LabelEn)}</td>
            <td data-testid="category-status">
                {move || if retired.get() { tr(Text::Retired)() } else { tr(Text::InUse)() }}
            </td>
            <td class="row-actions">
                <button type="button" data-testid="category-save" disabled=move || busy.get() on:click=rename>
                    {tr(Text::Save)}
                </button>
                <button type="button" data-testid="category-toggle" disabled=move || busy.get() on:click=toggle>
                    {move || if retired.get() { tr(Text::Restore)() } else { tr(Text::Retire)() }}
                </button>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_round_trip_and_default_to_the_calendar() {
        for t in Tab::ALL {
            assert_eq!(Tab::parse(t.as_str()), t);
        }
        assert_eq!(Tab::parse("nonsense"), Tab::Calendar);
    }

    #[test]
    fn counts_are_empty_numbers_or_refused() {
        assert_eq!(parse_count(""), Ok(None));
        assert_eq!(parse_count(" 15 "), Ok(Some(15)));
        assert_eq!(parse_count("1.5"), Err(()));
        assert_eq!(parse_count("-3"), Err(()));
    }

    #[test]
    fn tiers_go_top_first_or_by_default_names() {
        let view = |level, key: &str, zh: &str| TierView {
            level,
            key: key.to_owned(),
            label_zh: zh.to_owned(),
            label_en: String::new(),
            unit_count: 0,
        };
        let named = tier_names(&[view(2, "county", "区"), view(1, "city", "市")]);
        assert_eq!(named[0].key, TierKey::City);
        assert_eq!(named[1].label(Lang::En), "区");
        assert_eq!(tier_names(&[]).len(), TierKey::ALL.len());
    }
}
