//! Households (住户) on a unit's page: the household coverage of its subtree this year (the
//! share of households that took part in a held visit, least covered communities first) and,
//! at a community, its register with the form that adds a household.
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use minqing_domain::UnitId;
use minqing_domain::household::HouseholdFlag;
use minqing_domain::role::Role;
use serde_json::json;

use crate::components::{
    ErrorNotice, FormError, Loading, OnceForm, TextField, blank_is_null, toggle,
};
use crate::i18n::{Text, pick, tr};
use crate::model::{Household, HouseholdCoverage};
use crate::pages::import::UploadForm;
use crate::state::{use_api, use_portal};

/// `per_mille` as a percentage with one decimal (`66.6%`).
fn percent(per_mille: u32) -> String {
    format!("{}.{}%", per_mille / 10, per_mille % 10)
}

/// The coverage of `unit`'s subtree and, at a community, its register.
#[component]
pub fn HouseholdsSection(unit: UnitId, community: bool, archived: bool) -> AnyView {
    let api = use_api();
    let portal = use_portal();
    let keeps = move || {
        !archived
            && portal.session.with(|s| {
                s.me().is_some_and(|me| {
                    [Role::TenantAdmin, Role::Cadre, Role::Recorder]
                        .iter()
                        .any(|r| me.has_role(*r))
                })
            })
    };
    let coverage = LocalResource::new(move || async move {
        api.get::<HouseholdCoverage>(&format!("/households/coverage?within={}", unit.0))
            .await
    });
    let register = LocalResource::new(move || async move {
        if community {
            api.get_all::<Household>(&format!("/units/{}/households", unit.0))
                .await
        } else {
            Ok(Vec::new())
        }
    });
    let reload = Callback::new(move |()| {
        coverage.refetch();
        register.refetch();
    });
    view! {
        <section class="households" data-testid="households">
            <h3>{tr(Text::HouseholdCoverage)}</h3>
            {move || match coverage.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(c)) => view! { <CoverageFacts coverage=c/> }.into_any(),
            }}
            {move || community.then(|| view! {
                <h3>{tr(Text::HouseholdRegister)}</h3>
                {move || match register.get() {
                    None => view! { <Loading/> }.into_any(),
                    Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                    Some(Ok(items)) => view! { <Register households=items/> }.into_any(),
                }}
                {move || keeps().then(|| view! {
                    <NewHouseholdForm unit reload/>
                    <HouseholdImportForm unit reload/>
                })}
            })}
        </section>
    }
    .into_any()
}

#[component]
fn CoverageFacts(coverage: HouseholdCoverage) -> AnyView {
    let summary = format!(
        "{} / {} ({})",
        coverage.reached,
        coverage.households,
        percent(coverage.per_mille)
    );
    view! {
        <p data-testid="household-coverage">{tr(Text::HouseholdsReached)} ": " {summary}</p>
        {(coverage.units.len() > 1).then(|| view! {
            <div class="table-wrap">
                <table class="table" data-testid="coverage-by-community">
                    <thead>
                        <tr>
                            <th>{tr(Text::Community)}</th>
                            <th>{tr(Text::Households)}</th>
                            <th>{tr(Text::HouseholdsReached)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {coverage
                            .units
                            .into_iter()
                            .take(50)
                            .map(|u| view! {
                                <tr>
                                    <td>{u.name}</td>
                                    <td>{u.households}</td>
                                    <td>{u.reached} " (" {percent(u.per_mille)} ")"</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        })}
    }
    .into_any()
}

#[component]
fn Register(households: Vec<Household>) -> AnyView {
    let lang = use_portal().lang;
    if households.is_empty() {
        return view! { <p class="muted" data-testid="no-households">{tr(Text::NoHouseholds)}</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="household-register">
                <thead>
                    <tr>
                        <th>{tr(Text::Address)}</th>
                        <th>{tr(Text::HeadOfHousehold)}</th>
                        <th>{tr(Text::Phone)}</th>
                        <th>{tr(Text::HouseholdFlags)}</th>
                        <th>{tr(Text::VisitsTakenPart)}</th>
                    </tr>
                </thead>
                <tbody>
                    {households
                        .into_iter()
                        .map(|h| {
                            let flags = h.flags.clone();
                            view! {
                                <tr data-household=h.id.to_string()>
                                    <td>{h.address}</td>
                                    <td>{h.head_name}</td>
                                    <td>{h.phone.unwrap_or_default()}</td>
                                    <td>
                                        {move || {
                                            flags
                                                .iter()
                                                .map(|f| pick(f.label(), lang.get()))
                                                .collect::<Vec<_>>()
                                                .join("、")
                                        }}
                                    </td>
                                    <td data-testid="household-visits">{h.visits}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn NewHouseholdForm(unit: UnitId, reload: Callback<()>) -> AnyView {
    let lang = use_portal().lang;
    let address = RwSignal::new(String::new());
    let head = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let flags = RwSignal::new(Vec::<HouseholdFlag>::new());
    let form = OnceForm::new();
    let (error, busy) = (form.error, form.busy);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = json!({
            "address": address.get_untracked(),
            "head_name": head.get_untracked(),
            "phone": blank_is_null(phone.get_untracked()),
            "flags": flags.get_untracked(),
        });
        form.post(format!("/units/{}/households", unit.0), body, move || {
            for f in [address, head, phone] {
                f.set(String::new());
            }
            flags.set(Vec::new());
            reload.run(());
        });
    };
    view! {
        <details class="card">
            <summary>{tr(Text::AddHousehold)}</summary>
            <form class="form" data-testid="new-household" on:submit=submit>
                <FormError error/>
                <TextField label=Text::Address name="address" value=address error required=true/>
                <TextField label=Text::HeadOfHousehold name="head_name" value=head error required=true/>
                <TextField label=Text::Phone name="phone" value=phone error input_type="tel"/>
                <fieldset class="field">
                    <legend class="label">{tr(Text::HouseholdFlags)}</legend>
                    {HouseholdFlag::ALL
                        .into_iter()
                        .map(|f| view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    name=format!("flag-{}", f.as_str())
                                    prop:checked=move || flags.with(|v| v.contains(&f))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        flags.update(|v| toggle(v, f, on));
                                    }
                                />
                                {move || pick(f.label(), lang.get())}
                            </label>
                        })
                        .collect_view()}
                </fieldset>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Add)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

/// The register from a spreadsheet (CSV or XLSX, English or Chinese headers): every bad row
/// named, nothing imported from a file with one.
#[component]
fn HouseholdImportForm(unit: UnitId, reload: Callback<()>) -> AnyView {
    view! {
        <details class="card" data-testid="import-households">
            <summary>{tr(Text::ImportHouseholds)}</summary>
            <p class="help">{tr(Text::ImportHouseholdsHelp)}</p>
            <UploadForm
                path=format!("/units/{}/households/import", unit.0)
                accept=crate::components::SPREADSHEETS
                testid="household-import"
                counts=true
                on_done=reload
            />
        </details>
    }
    .into_any()
}
