//! `/units` and `/units/:id`: the hierarchy browser — a lazy tree (children load when a node is
//! opened), search by name or code, and the selected unit's details beside them.
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::ApiError;
use crate::components::{ErrorNotice, Loading, SearchInput, ancestry, unit_search};
use crate::i18n::{Text, tr};
use crate::model::{HistoryEntry, Page, Unit, UnitDetail};
use crate::pages::budget::BudgetSection;
use crate::pages::council::CouncilSection;
use crate::pages::coverage::CoverageSection;
use crate::pages::households::HouseholdsSection;
use crate::pages::visits::VisitsSection;
use crate::state::{use_api, use_portal};

#[component]
pub fn UnitsPage() -> AnyView {
    let api = use_api();
    let roots =
        LocalResource::new(move || async move { api.get::<Page<Unit>>("/units/roots").await });
    let query = RwSignal::new(String::new());

    view! {
        <div class="units-page">
            <aside class="units-nav">
                <h1 class="visually-hidden">{tr(Text::UnitsTitle)}</h1>
                <div class="search">
                    <SearchInput query placeholder=Text::SearchPlaceholder id="unit-search" testid="unit-search"/>
                </div>
                {move || (!query.with(|q| q.trim().is_empty())).then(|| view! { <SearchResults query/> })}
                <ul class="tree" role="tree" data-testid="unit-tree">
                    {move || match roots.get() {
                        None => view! { <li><Loading/></li> }.into_any(),
                        Some(Err(e)) => view! { <li><ErrorNotice error=e/></li> }.into_any(),
                        Some(Ok(page)) if page.items.is_empty() => {
                            view! { <li class="muted">{tr(Text::NoUnits)}</li> }.into_any()
                        }
                        Some(Ok(page)) => {
                            // A single root (the city) opens by itself: the tree starts useful.
                            let open = page.items.len() == 1;
                            page.items
                                .into_iter()
                                .map(|unit| view! { <TreeNode unit open/> })
                                .collect_view()
                                .into_any()
                        }
                    }}
                </ul>
            </aside>
            <section class="units-detail">
                <Outlet/>
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn SearchResults(query: RwSignal<String>) -> AnyView {
    let results = unit_search(query.into(), 50);
    view! {
        <div class="search-results" data-testid="search-results">
            {move || match results.get() {
                None => view! { <p class="muted">{tr(Text::Searching)}</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(units)) if units.is_empty() => view! { <p class="muted">{tr(Text::NoMatches)}</p> }.into_any(),
                Some(Ok(units)) => {
                    view! {
                        <ul>
                            {units
                                .into_iter()
                                .map(|u| {
                                    let line = ancestry(&u);
                                    let name = u.name.clone();
                                    view! {
                                        <li class="search-result" data-testid="search-result" data-name=name>
                                            <A href=format!("/units/{}", u.id)>
                                                <span class="name">{u.name}</span>
                                                {u.code.map(|c| view! { <span class="code">{c}</span> })}
                                            </A>
                                            <span class="ancestry">{line}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </div>
    }
    .into_any()
}

/// One node of the lazy tree. Its children are fetched the first time it is opened.
#[component]
fn TreeNode(unit: Unit, #[prop(optional)] open: bool) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let id = unit.id;
    let has_children = unit.child_count > 0;
    let expanded = RwSignal::new(false);
    let children = RwSignal::new(None::<Result<Vec<Unit>, ApiError>>);

    let toggle = move || {
        if expanded.get_untracked() {
            expanded.set(false);
            return;
        }
        expanded.set(true);
        if !matches!(children.get_untracked(), Some(Ok(_))) {
            children.set(None);
            spawn_local(async move {
                let loaded = api.get_all::<Unit>(&format!("/units/{id}/children")).await;
                children.set(Some(loaded));
            });
        }
    };
    if open && has_children {
        toggle();
    }

    let tier = unit.clone();
    let name = unit.name.clone();
    view! {
        <li
            class="tree-node"
            role="treeitem"
            data-testid="tree-node"
            data-unit-id=id.to_string()
            data-name=name
            aria-expanded=move || has_children.then(|| expanded.get().to_string())
        >
            <div class="tree-row">
                {if has_children {
                    view! {
                        <button
                            type="button"
                            class="toggle"
                            data-testid="tree-toggle"
                            aria-label=move || if expanded.get() { tr(Text::Collapse)() } else { tr(Text::Expand)() }
                            on:click=move |_| toggle()
                        >
                            {move || if expanded.get() { "▾" } else { "▸" }}
                        </button>
                    }
                        .into_any()
                } else {
                    view! { <span class="toggle-spacer"></span> }.into_any()
                }}
                <A href=format!("/units/{id}") attr:class="tree-link">
                    {unit.name.clone()}
                </A>
                <span class="tier">{move || tier.tier_label(lang.get()).to_owned()}</span>
                {has_children.then(|| view! { <span class="count">{unit.child_count}</span> })}
            </div>
            {move || {
                expanded
                    .get()
                    .then(|| match children.get() {
                        None => view! { <Loading/> }.into_any(),
                        Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                        Some(Ok(units)) => {
                            view! {
                                <ul class="tree-children" role="group">
                                    {units
                                        .into_iter()
                                        .map(|u| view! { <TreeNode unit=u/> }.into_any())
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    })
            }}
        </li>
    }
    .into_any()
}

/// `/units` with nothing selected.
#[component]
pub fn UnitsPlaceholder() -> impl IntoView {
    view! { <p class="muted placeholder">{tr(Text::PickAUnit)}</p> }
}

/// `/units/:id`: breadcrumb, code, tier, children, history, the council and the workroom.
#[component]
pub fn UnitDetailPanel() -> impl IntoView {
    let api = use_api();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|raw| Uuid::parse_str(&raw).ok())
    });
    let detail = LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => api
                    .get::<UnitDetail>(&format!("/units/{id}"))
                    .await
                    .map(Some),
                None => Ok(None),
            }
        }
    });

    move || match detail.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
        Some(Ok(None)) => view! { <p class="notice error">{tr(Text::NotFound)}</p> }.into_any(),
        Some(Ok(Some(d))) => view! { <UnitCard detail=d/> }.into_any(),
    }
}

#[component]
fn UnitCard(detail: UnitDetail) -> AnyView {
    let lang = use_portal().lang;
    let unit = detail.unit;
    let path = ancestry(&unit);
    let tier = unit.clone();
    let crumbs = unit
        .ancestors
        .clone()
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            view! {
                {(i > 0).then(|| view! { <span class="sep" aria-hidden="true">" › "</span> })}
                <A href=format!("/units/{}", a.id)>{a.name}</A>
            }
        })
        .collect_view();

    view! {
        <article class="unit-card" data-testid="unit-detail" data-unit-id=unit.id.to_string()>
            <nav class="breadcrumb" data-testid="breadcrumb" data-path=path aria-label=tr(Text::Ancestors)>
                {crumbs}
            </nav>
            <h2 data-testid="unit-name">
                {unit.name.clone()}
                {unit.archived.then(|| view! { <span class="badge">{tr(Text::Archived)}</span> })}
            </h2>
            <dl class="facts">
                <dt>{tr(Text::Code)}</dt>
                <dd data-testid="unit-code">{unit.code.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                <dt>{tr(Text::TierLabel)}</dt>
                <dd data-testid="unit-tier">{move || tier.tier_label(lang.get()).to_owned()}</dd>
                <dt>{tr(Text::Children)}</dt>
                <dd data-testid="unit-child-count">{unit.child_count}</dd>
            </dl>
            <section class="history">
                <h3>{tr(Text::History)}</h3>
                <History entries=detail.history/>
            </section>
            <CouncilSection unit=unit.id archived=unit.archived/>
            <VisitsSection
                unit=unit.id
                unit_name=unit.name.clone()
                community=unit.tier_key == "community"
                archived=unit.archived
            />
            <HouseholdsSection
                unit=unit.id
                community=unit.tier_key == "community"
                archived=unit.archived
            />
            <CoverageSection unit=unit.id/>
            <BudgetSection unit=unit.id archived=unit.archived/>
        </article>
    }
    .into_any()
}

/// Recorded boundary changes (former names and codes with their dates).
#[component]
fn History(entries: Vec<HistoryEntry>) -> AnyView {
    if entries.is_empty() {
        return view! { <p class="muted">{tr(Text::NoHistory)}</p> }.into_any();
    }
    view! {
        <ul class="history-list" data-testid="unit-history">
            {entries
                .into_iter()
                .map(|h| {
                    let kind = match h.change.as_str() {
                        "renamed" => Some(Text::ChangeRenamed),
                        "recoded" => Some(Text::ChangeRecoded),
                        "moved" => Some(Text::ChangeMoved),
                        "merged" => Some(Text::ChangeMerged),
                        "abolished" => Some(Text::ChangeAbolished),
                        _ => None,
                    };
                    let change = h.change.clone();
                    let detail = [(h.old_name, h.new_name), (h.old_code, h.new_code)]
                        .into_iter()
                        .filter_map(|(old, new)| match (old, new) {
                            (None, None) => None,
                            (old, new) => Some(format!("{} → {}", old.unwrap_or_default(), new.unwrap_or_default())),
                        })
                        .collect::<Vec<_>>()
                        .join("；");
                    view! {
                        <li>
                            <time datetime=h.effective_on.clone()>{h.effective_on.clone()}</time>
                            " "
                            <strong>
                                {move || match kind {
                                    Some(k) => tr(k)().to_owned(),
                                    None => change.clone(),
                                }}
                            </strong>
                            " "
                            {detail}
                            {h.note.map(|n| view! { <span class="muted">" — " {n}</span> })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
