//! `/demands`: 诉求台账 — the ledger list. Its filters (a unit's subtree among them) live in the
//! URL's query (a reload or a shared link keeps them), counts per status sit above it as chips,
//! further pages load with the cursor, and the 台账 of what it shows downloads as XLSX or CSV.
//! A table on wide screens, cards on a phone (CSS).
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use minqing_domain::UnitId;
use minqing_domain::demand::lifecycle::Status;
use minqing_domain::demand::{Channel, Grade};
use uuid::Uuid;

use crate::api::{ApiError, encode};
use crate::components::{ErrorNotice, ExportLinks, Loading, UnitNames, WithinFilter};
use crate::i18n::{Text, pick, tr};
use crate::model::{Category, Demand, Page, StatusCount, category_label};
use crate::state::{use_api, use_portal};
use crate::time::{format_opt, format_time};

/// The filters, in the order they appear in the URL (`within`: a unit's subtree, by id).
const KEYS: [&str; 9] = [
    "status", "grade", "category", "channel", "overdue", "from", "to", "within", "q",
];
const PAGE: u32 = 50;

/// The ledger's filters as the URL holds them (empty: not filtered); the API checks them.
#[derive(Debug, Clone, PartialEq, Default)]
struct Filters([String; KEYS.len()]);

impl Filters {
    fn from_query(map: &leptos_router::params::ParamsMap) -> Self {
        Self(KEYS.map(|k| map.get(k).unwrap_or_default().trim().to_owned()))
    }

    fn get(&self, key: &str) -> String {
        KEYS.iter()
            .position(|k| *k == key)
            .map(|i| self.0[i].clone())
            .unwrap_or_default()
    }

    fn with(&self, key: &str, value: &str) -> Self {
        let mut next = self.clone();
        if let Some(i) = KEYS.iter().position(|k| *k == key) {
            next.0[i] = value.trim().to_owned();
        }
        next
    }

    /// `k=v&…` of the filters set, `status` left out when `without_status`.
    fn query(&self, without_status: bool) -> String {
        KEYS.iter()
            .zip(self.0.iter())
            .filter(|(_, v)| !v.is_empty())
            .filter(|(k, _)| !without_status || **k != "status")
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(String::is_empty)
    }
}

/// The list as loaded so far.
#[derive(Debug, Clone, Default)]
struct Loaded {
    items: Vec<Demand>,
    next: Option<String>,
    loading: bool,
    error: Option<ApiError>,
}

#[component]
pub fn LedgerPage() -> AnyView {
    let api = use_api();
    let portal = use_portal();
    let lang = portal.lang;
    let query = use_query_map();
    let filters = Memo::new(move |_| query.with(Filters::from_query));
    let navigate = use_navigate();
    let show = move |next: Filters| {
        let qs = next.query(false);
        let url = if qs.is_empty() {
            "/demands".to_owned()
        } else {
            format!("/demands?{qs}")
        };
        navigate(
            &url,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let show = StoredValue::new(show);
    let set_filter = move |key: &str, value: String| {
        show.with_value(|go| go(filters.get_untracked().with(key, &value)))
    };
    let set = move |key: &'static str| move |value: String| set_filter(key, value);
    let within =
        Memo::new(move |_| filters.with(|f| Uuid::parse_str(&f.get("within")).ok().map(UnitId)));
    let set_within = Callback::new(move |unit: Option<UnitId>| {
        set_filter("within", unit.map(|u| u.to_string()).unwrap_or_default())
    });
    let names = UnitNames::new();
    // 台账 of what the list shows: the same filters, status included.
    let export_path = move || {
        let qs = filters.with(|f| f.query(false));
        if qs.is_empty() {
            "/demands/export".to_owned()
        } else {
            format!("/demands/export?{qs}")
        }
    };

    let categories =
        LocalResource::new(
            move || async move { api.get::<Vec<Category>>("/tenant/categories").await },
        );
    let category_list =
        Signal::derive(move || categories.get().and_then(Result::ok).unwrap_or_default());
    let counts = LocalResource::new(move || {
        let qs = filters.with(|f| f.query(true));
        async move {
            api.get::<Vec<StatusCount>>(&format!("/demands/counts?{qs}"))
                .await
        }
    });

    // The first page whenever the filters change; a later answer for older filters is dropped.
    let list = RwSignal::new(Loaded {
        loading: true,
        ..Default::default()
    });
    let generation = StoredValue::new(0u64);
    let fetch = move |cursor: Option<String>| {
        let qs = filters.with_untracked(|f| f.query(false));
        let fresh = cursor.is_none();
        if fresh {
            generation.update_value(|g| *g += 1);
        }
        let this = generation.get_value();
        list.update(|l| {
            l.loading = true;
            l.error = None;
            if fresh {
                l.items.clear();
                l.next = None;
            }
        });
        let sep = if qs.is_empty() { "" } else { "&" };
        let url = match &cursor {
            None => format!("/demands?{qs}{sep}limit={PAGE}"),
            Some(c) => format!("/demands?{qs}{sep}limit={PAGE}&cursor={}", encode(c)),
        };
        spawn_local(async move {
            let answer = api.get::<Page<Demand>>(&url).await;
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
    };
    Effect::new(move |_| {
        filters.track();
        fetch(None);
    });

    let status_now = move || filters.with(|f| f.get("status"));
    let chip = move |status: Option<Status>, count: i64| {
        let value = status.map(|s| s.as_str()).unwrap_or_default();
        let testid = format!(
            "status-chip-{}",
            if value.is_empty() { "all" } else { value }
        );
        let set_status = set("status");
        view! {
            <button
                type="button"
                class="status-chip"
                data-testid=testid
                aria-pressed=move || (status_now() == value).to_string()
                on:click=move |_| set_status(value.to_owned())
            >
                {move || match status {
                    Some(s) => pick(s.labels(), lang.get()),
                    None => tr(Text::AllStatuses)(),
                }}
                <span class="count">{count}</span>
            </button>
        }
    };

    let select_value = move |key: &'static str| move || filters.with(|f| f.get(key));
    // The API's word on a bad filter (a date, the words), under that filter.
    let filter_error = move |key: &'static str| {
        move || {
            list.with(|l| l.error.as_ref().and_then(|e| e.field(key)))
                .map(|m| view! { <span class="field-error" data-testid=format!("error-{key}")>{m}</span> })
        }
    };

    view! {
        <section class="page ledger" data-testid="ledger-page">
            <div class="page-head">
                <h1>{tr(Text::LedgerTitle)}</h1>
                {move || {
                    portal
                        .session
                        .with(|s| s.me().is_some_and(|me| me.records_demands()))
                        .then(|| {
                            view! {
                                <A href="/demands/new" attr:class="button primary" attr:data-testid="ledger-new">
                                    "+ "
                                    {tr(Text::NavIntake)}
                                </A>
                            }
                        })
                }}
            </div>
            <div class="status-chips" role="group" aria-label=tr(Text::Status) data-testid="status-chips">
                {move || match counts.get() {
                    None => ().into_any(),
                    Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                    Some(Ok(counts)) => {
                        let total: i64 = counts.iter().map(|c| c.count).sum();
                        let mut chips = vec![chip(None, total).into_any()];
                        chips.extend(counts.into_iter().map(|c| chip(Some(c.status), c.count).into_any()));
                        chips.into_any()
                    }
                }}
            </div>
            <details class="filters" open=filters.with_untracked(|f| !f.with("status", "").is_empty())>
                <summary>{tr(Text::Filters)}</summary>
                <div class="filter-grid" data-testid="filters">
                    <select aria-label=tr(Text::Grade) data-testid="filter-grade" prop:value=select_value("grade") on:change=move |ev| set("grade")(event_target_value(&ev))>
                        <option value="">{tr(Text::AnyGrade)}</option>
                        {Grade::ALL
                            .into_iter()
                            .map(|g| {
                                view! {
                                    <option value=g.as_str() selected=move || filters.with(|f| f.get("grade") == g.as_str())>
                                        {move || pick(g.labels(), lang.get())}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <select aria-label=tr(Text::Category) data-testid="filter-category" prop:value=select_value("category") on:change=move |ev| set("category")(event_target_value(&ev))>
                        <option value="">{tr(Text::AnyCategory)}</option>
                        {move || {
                            categories
                                .get()
                                .and_then(Result::ok)
                                .unwrap_or_default()
                                .into_iter()
                                .map(|c| {
                                    let key = c.key.clone();
                                    let chosen = key.clone();
                                    view! {
                                        <option value=key selected=move || filters.with(|f| f.get("category") == chosen)>
                                            {move || c.label(lang.get()).to_owned()}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                    <select aria-label=tr(Text::Channel) data-testid="filter-channel" prop:value=select_value("channel") on:change=move |ev| set("channel")(event_target_value(&ev))>
                        <option value="">{tr(Text::AnyChannel)}</option>
                        {Channel::ALL
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <option value=c.as_str() selected=move || filters.with(|f| f.get("channel") == c.as_str())>
                                        {move || pick(c.labels(), lang.get())}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <select aria-label=tr(Text::Overdue) data-testid="filter-overdue" prop:value=select_value("overdue") on:change=move |ev| set("overdue")(event_target_value(&ev))>
                        <option value="">{tr(Text::OverdueAny)}</option>
                        <option value="true" selected=move || filters.with(|f| f.get("overdue") == "true")>{tr(Text::OverdueOnly)}</option>
                        <option value="false" selected=move || filters.with(|f| f.get("overdue") == "false")>{tr(Text::NotOverdue)}</option>
                    </select>
                    <label class="date-filter">
                        <span>{tr(Text::DateFrom)}</span>
                        <input type="date" data-testid="filter-from" prop:value=select_value("from") on:change=move |ev| set("from")(event_target_value(&ev))/>
                        {filter_error("from")}
                    </label>
                    <label class="date-filter">
                        <span>{tr(Text::DateTo)}</span>
                        <input type="date" data-testid="filter-to" prop:value=select_value("to") on:change=move |ev| set("to")(event_target_value(&ev))/>
                        {filter_error("to")}
                    </label>
                    <WithinFilter within set=set_within names/>
                    <div class="text-filter-box">
                        <TextFilter value=Signal::derive(select_value("q")) set=Callback::new(move |v: String| set("q")(v))/>
                        {filter_error("q")}
                    </div>
                    <button
                        type="button"
                        class="link-button"
                        data-testid="clear-filters"
                        on:click=move |_| {
                            let status = filters.with_untracked(|f| f.get("status"));
                            show.with_value(|go| go(Filters::default().with("status", &status)));
                        }
                    >
                        {tr(Text::ClearFilters)}
                    </button>
                </div>
            </details>
            {move || view! { <ExportLinks path=export_path() testid="ledger-export"/> }}
            {move || {
                list.with(|l| l.error.clone()).map(|e| view! { <ErrorNotice error=e/> })
            }}
            <div class="table-wrap">
                <table class="table ledger-table" data-testid="ledger">
                    <thead>
                        <tr>
                            <th>{tr(Text::ReceiptCode)}</th>
                            <th>{tr(Text::ReceivedAt)}</th>
                            <th>{tr(Text::Grade)}</th>
                            <th>{tr(Text::DemandTitle)}</th>
                            <th>{tr(Text::HandlingUnit)}</th>
                            <th>{tr(Text::Status)}</th>
                            <th>{tr(Text::Deadline)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || list.with(|l| l.items.clone())
                            key=|d| (d.id, d.status, d.actions.len())
                            children=move |d| view! { <LedgerRow demand=d categories=category_list/> }
                        />
                    </tbody>
                </table>
            </div>
            {move || {
                let (loading, empty, more) = list.with(|l| (l.loading, l.items.is_empty(), l.next.clone()));
                if loading {
                    view! { <Loading/> }.into_any()
                } else if empty && list.with(|l| l.error.is_none()) {
                    view! { <p class="muted placeholder" data-testid="no-demands">{tr(Text::NoDemands)}</p> }.into_any()
                } else if let Some(cursor) = more {
                    view! {
                        <div class="load-more">
                            <button type="button" data-testid="load-more" on:click=move |_| fetch(Some(cursor.clone()))>
                                {tr(Text::LoadMore)}
                            </button>
                        </div>
                    }
                        .into_any()
                } else {
                    ().into_any()
                }
            }}
        </section>
    }
    .into_any()
}

/// The words-or-code box: typing settles into the URL 400 ms after it stops.
#[component]
fn TextFilter(value: Signal<String>, set: Callback<String>) -> impl IntoView {
    let mut settle =
        leptos::leptos_dom::helpers::debounce(Duration::from_millis(400), move |v: String| {
            set.run(v)
        });
    view! {
        <input
            type="search"
            class="text-filter"
            data-testid="filter-q"
            autocomplete="off"
            placeholder=tr(Text::SearchDemands)
            aria-label=tr(Text::SearchDemands)
            value=value.get_untracked()
            on:input=move |ev| settle(event_target_value(&ev))
        />
    }
}

#[component]
fn LedgerRow(demand: Demand, categories: Signal<Vec<Category>>) -> AnyView {
    let portal = use_portal();
    let lang = portal.lang;
    let d = demand;
    let (grade, status) = (d.grade, d.status);
    let due = d.next_due();
    let overdue = d.is_overdue();
    let received = d.received_at;
    let category = d.category.clone();
    let receipt = d.receipt_code.clone();
    view! {
        <tr data-testid="ledger-row" data-receipt=receipt class:overdue=overdue>
            <td data-label=tr(Text::ReceiptCode)>
                <A href=format!("/demands/{}", d.id) attr:class="receipt-link">
                    <code>{d.receipt_code.clone()}</code>
                </A>
            </td>
            <td data-label=tr(Text::ReceivedAt)>
                <time>{move || format_time(received, &portal.zone())}</time>
            </td>
            <td data-label=tr(Text::Grade)>
                <span class=format!("grade-badge grade-{}", grade.as_str())>{grade.labels().0}</span>
                <span class="muted small">
                    " " {move || categories.with(|c| category_label(c, &category, lang.get()))}
                </span>
            </td>
            <td data-label=tr(Text::DemandTitle) class="title-cell">
                <A href=format!("/demands/{}", d.id)>{d.title.clone()}</A>
            </td>
            <td data-label=tr(Text::HandlingUnit)>{d.handling_unit.name.clone()}</td>
            <td data-label=tr(Text::Status)>
                <span class=format!("status-badge status-{}", status.as_str())>
                    {move || pick(status.labels(), lang.get())}
                </span>
            </td>
            <td data-label=tr(Text::Deadline)>
                {move || format_opt(due, &portal.zone())}
                {overdue.then(|| view! { <span class="badge overdue-badge" data-testid="overdue">{tr(Text::Overdue)}</span> })}
            </td>
        </tr>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_query_in_a_fixed_order() {
        let f = Filters::default()
            .with("q", " 楼道 灯 ")
            .with("status", "closed")
            .with("grade", "urgent");
        assert_eq!(
            f.query(false),
            "status=closed&grade=urgent&q=%E6%A5%BC%E9%81%93%20%E7%81%AF"
        );
        // Counts ignore the status filter.
        assert_eq!(
            f.query(true),
            "grade=urgent&q=%E6%A5%BC%E9%81%93%20%E7%81%AF"
        );
        assert_eq!(f.get("q"), "楼道 灯");
        // The subtree goes before the words, and with the status into the export.
        let unit = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b";
        assert_eq!(
            f.with("within", unit).query(false),
            format!("status=closed&grade=urgent&within={unit}&q=%E6%A5%BC%E9%81%93%20%E7%81%AF")
        );
        assert!(
            f.with("status", "")
                .with("grade", "")
                .with("q", "")
                .is_empty()
        );
    }
}
