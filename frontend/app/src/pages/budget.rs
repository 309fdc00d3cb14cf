//! A unit's budget (经费) on its page, year by year: what was allocated, spent and is left; the
//! allocation's lines and the spending (corrections shown as such); the roll-up over the unit's
//! subtree as a table and a bar chart, with spending per demand category; and the forms that
//! allocate money (administrators) and record spending (administrators and cadres).
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use minqing_domain::UnitId;
use minqing_domain::role::Role;
use serde_json::json;

use crate::components::{
    ErrorNotice, ExportLinks, FormError, Loading, OnceForm, TextField, blank_is_null,
};
use crate::i18n::{Text, tr};
use crate::model::{Category, Expenditure, RollUp, UnitBudget, category_label};
use crate::pages::import::UploadForm;
use crate::state::{use_api, use_portal};

/// The budget of `unit`, for those whose roles read money.
#[component]
pub fn BudgetSection(unit: UnitId, archived: bool) -> impl IntoView {
    let api = use_api();
    let portal = use_portal();
    let holds = move |roles: &[Role]| {
        portal.session.with(|s| {
            s.me()
                .is_some_and(|me| roles.iter().any(|r| me.has_role(*r)))
        })
    };
    let reads = move || holds(&[Role::TenantAdmin, Role::Leader, Role::Cadre, Role::Auditor]);
    let allocates = move || !archived && holds(&[Role::TenantAdmin]);
    let spends = move || !archived && holds(&[Role::TenantAdmin, Role::Cadre]);
    // None: this year, as the server counts it.
    let year = RwSignal::new(None::<i32>);
    let query = move || year.get().map(|y| format!("year={y}")).unwrap_or_default();
    let budget = LocalResource::new(move || {
        let q = query();
        async move {
            api.get::<UnitBudget>(&format!("/units/{}/budget?{q}", unit.0))
                .await
        }
    });
    let roll_up = LocalResource::new(move || {
        let q = query();
        async move {
            api.get::<RollUp>(&format!("/budgets/rollup?within={}&{q}", unit.0))
                .await
        }
    });
    let categories =
        LocalResource::new(
            move || async move { api.get::<Vec<Category>>("/tenant/categories").await },
        );
    let category_list =
        Signal::derive(move || categories.get().and_then(Result::ok).unwrap_or_default());
    let reload = Callback::new(move |()| {
        budget.refetch();
        roll_up.refetch();
    });
    move || {
        reads().then(|| {
            view! {
                <section class="budget" data-testid="budget">
                    <h3>{tr(Text::Budget)}</h3>
                    {move || match budget.get() {
                        None => view! { <Loading/> }.into_any(),
                        Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                        Some(Ok(b)) => {
                            let shown = b.fiscal_year;
                            view! {
                                <div class="year-nav">
                                    <button type="button" data-testid="year-back" on:click=move |_| year.set(Some(shown - 1))>"‹"</button>
                                    <strong data-testid="fiscal-year">{shown}</strong>
                                    <button type="button" data-testid="year-on" on:click=move |_| year.set(Some(shown + 1))>"›"</button>
                                </div>
                                <dl class="facts" data-testid="budget-balance">
                                    <dt>{tr(Text::Allocated)}</dt>
                                    <dd data-testid="allocated">{b.allocated.yuan.clone()}</dd>
                                    <dt>{tr(Text::Spent)}</dt>
                                    <dd data-testid="spent">{b.spent.yuan.clone()}</dd>
                                    <dt>{tr(Text::Remaining)}</dt>
                                    <dd data-testid="remaining" class:negative=b.remaining.fen < 0>{b.remaining.yuan.clone()}</dd>
                                </dl>
                                <Lines budget=b.clone() corrects=allocates() reload/>
                                <Spending spending=b.expenditures.clone() categories=category_list keeps=spends() reload/>
                                <ExportLinks path=format!("/budgets/export?within={}&year={shown}", unit.0) testid="spending-export"/>
                                {allocates().then(|| view! { <LineForm unit year=shown reload/> })}
                                {spends().then(|| view! { <SpendForm unit reload categories=category_list/> })}
                            }
                            .into_any()
                        }
                    }}
                    {move || match roll_up.get() {
                        None => view! { <Loading/> }.into_any(),
                        Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                        Some(Ok(r)) => view! { <RollUpView roll=r categories=category_list/> }.into_any(),
                    }}
                </section>
            }
        })
    }
}

#[component]
fn Lines(budget: UnitBudget, corrects: bool, reload: Callback<()>) -> AnyView {
    if budget.lines.is_empty() {
        return view! { <p class="muted" data-testid="no-lines">{tr(Text::NoAllocation)}</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="budget-lines">
                <thead>
                    <tr>
                        <th>{tr(Text::BudgetItem)}</th>
                        <th class="num">{tr(Text::Amount)}</th>
                        <th>{tr(Text::Note)}</th>
                        <th>{tr(Text::RecordedBy)}</th>
                        {corrects.then(|| view! { <th>{tr(Text::Actions)}</th> })}
                    </tr>
                </thead>
                <tbody>
                    {budget
                        .lines
                        .into_iter()
                        .map(|l| {
                            let correction = l.corrects.is_some();
                            view! {
                                <tr class:correction=correction>
                                    <td>
                                        {l.item}
                                        {correction.then(|| view! { " " <span class="badge">{tr(Text::Correction)}</span> })}
                                    </td>
                                    <td class="num">{l.amount.yuan}</td>
                                    <td>{l.note.unwrap_or_default()}</td>
                                    <td>{l.recorded_by}</td>
                                    {(corrects && !correction).then(|| view! {
                                        <td><CorrectionForm path=format!("/budget-lines/{}/corrections", l.id) reload/></td>
                                    })}
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
fn Spending(
    spending: Vec<Expenditure>,
    categories: Signal<Vec<Category>>,
    keeps: bool,
    reload: Callback<()>,
) -> AnyView {
    let lang = use_portal().lang;
    if spending.is_empty() {
        return view! { <p class="muted" data-testid="no-spending">{tr(Text::NoSpending)}</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="spending">
                <thead>
                    <tr>
                        <th>{tr(Text::SpentOn)}</th>
                        <th>{tr(Text::Payee)}</th>
                        <th>{tr(Text::Purpose)}</th>
                        <th>{tr(Text::ProjectOrDemand)}</th>
                        <th>{tr(Text::Category)}</th>
                        <th class="num">{tr(Text::Amount)}</th>
                        <th>{tr(Text::ApprovedBy)}</th>
                        <th>{tr(Text::Vouchers)}</th>
                    </tr>
                </thead>
                <tbody>
                    {spending
                        .into_iter()
                        .map(|e| {
                            let correction = e.corrects.is_some();
                            let linked = match (&e.project, e.demand_id) {
                                (Some(p), _) => view! { <span>{p.clone()}</span> }.into_any(),
                                (None, Some(d)) => view! { <a href=format!("/demands/{d}")>{tr(Text::LinkedDemand)}</a> }.into_any(),
                                (None, None) => ().into_any(),
                            };
                            let category = e.category.clone();
                            view! {
                                <tr class:correction=correction>
                                    <td>{e.spent_on}</td>
                                    <td>{e.payee}</td>
                                    <td>
                                        {e.purpose}
                                        {correction.then(|| view! { " " <span class="badge">{tr(Text::Correction)}</span> })}
                                        {e.reason.map(|r| view! { <span class="hint">{r}</span> })}
                                    </td>
                                    <td>{linked}</td>
                                    <td>{move || category.as_deref().map(|c| categories.with(|list| category_label(list, c, lang.get()))).unwrap_or_default()}</td>
                                    <td class="num">{e.amount.yuan}</td>
                                    <td>{e.approved_by.unwrap_or_default()}</td>
                                    <td data-testid="vouchers">
                                        {e.vouchers
                                            .iter()
                                            .map(|v| view! {
                                                <a href=format!("/api/v1/expenditures/{}/vouchers/{}", e.id, v.id) target="_blank" data-voucher=v.id.to_string()>{v.file_name.clone()}</a> " "
                                            })
                                            .collect_view()}
                                        {(keeps && !correction).then(|| view! {
                                            <details>
                                                <summary>{tr(Text::AddVoucher)}</summary>
                                                <UploadForm
                                                    path=format!("/expenditures/{}/vouchers", e.id)
                                                    accept="image/jpeg,image/png,application/pdf"
                                                    testid="voucher-upload"
                                                    label=Text::UploadFile
                                                    on_done=reload
                                                />
                                            </details>
                                            <CorrectionForm path=format!("/expenditures/{}/corrections", e.id) reload/>
                                        })}
                                    </td>
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

/// The subtree's money as a table and a bar chart (allocated and spent per row, on one scale),
/// then spending per demand category.
#[component]
fn RollUpView(roll: RollUp, categories: Signal<Vec<Category>>) -> AnyView {
    let lang = use_portal().lang;
    let scale = roll
        .rows
        .iter()
        .flat_map(|r| [r.allocated.fen, r.spent.fen])
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let width = move |fen: i64| format!("width: {:.1}%", fen.max(0) as f64 * 100.0 / scale);
    view! {
        <h4>{tr(Text::RollUp)}</h4>
        <div class="table-wrap">
            <table class="table" data-testid="roll-up">
                <thead>
                    <tr>
                        <th>{tr(Text::Unit)}</th>
                        <th class="num">{tr(Text::Allocated)}</th>
                        <th class="num">{tr(Text::Spent)}</th>
                        <th class="num">{tr(Text::Remaining)}</th>
                        <th class="chart-cell">{tr(Text::Chart)}</th>
                    </tr>
                </thead>
                <tbody>
                    {roll
                        .rows
                        .into_iter()
                        .map(|r| {
                            let name = if r.own {
                                view! { {r.name} " " <span class="hint">{tr(Text::OwnMoney)}</span> }.into_any()
                            } else {
                                view! { <a href=format!("/units/{}", r.unit_id.0)>{r.name}</a> }.into_any()
                            };
                            view! {
                                <tr data-unit=r.unit_id.0.to_string()>
                                    <td>{name}</td>
                                    <td class="num">{r.allocated.yuan.clone()}</td>
                                    <td class="num">{r.spent.yuan.clone()}</td>
                                    <td class="num" class:negative=r.remaining.fen < 0>{r.remaining.yuan.clone()}</td>
                                    <td class="chart-cell" aria-hidden="true">
                                        <div class="bar allocated" style=width(r.allocated.fen)></div>
                                        <div class="bar spent" style=width(r.spent.fen)></div>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
                <tfoot>
                    <tr data-testid="roll-up-total">
                        <th>{tr(Text::Total)}</th>
                        <th class="num">{roll.total.allocated.yuan}</th>
                        <th class="num">{roll.total.spent.yuan}</th>
                        <th class="num">{roll.total.remaining.yuan}</th>
                        <th></th>
                    </tr>
                </tfoot>
            </table>
        </div>
        <h4>{tr(Text::SpendingByCategory)}</h4>
        <ul class="by-category" data-testid="spending-by-category">
            {roll
                .by_category
                .into_iter()
                .map(|c| {
                    let key = c.category.clone();
                    view! {
                        <li>
                            <span>{move || match &key {
                                Some(k) => categories.with(|list| category_label(list, k, lang.get())),
                                None => tr(Text::NoCategory)().to_owned(),
                            }}</span>
                            " "
                            <strong>{c.spent.yuan}</strong>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn LineForm(unit: UnitId, year: i32, reload: Callback<()>) -> AnyView {
    let item = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let form = OnceForm::new();
    let (error, busy) = (form.error, form.busy);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = json!({
            "fiscal_year": year,
            "item": item.get_untracked(),
            "amount": amount.get_untracked(),
            "note": blank_is_null(note.get_untracked()),
        });
        form.post(format!("/units/{}/budget/lines", unit.0), body, move || {
            for field in [item, amount, note] {
                field.set(String::new());
            }
            reload.run(());
        });
    };
    view! {
        <details class="card">
            <summary>{tr(Text::Allocate)}</summary>
            <form class="form" data-testid="new-line" on:submit=submit>
                <FormError error/>
                <TextField label=Text::BudgetItem name="item" value=item error required=true/>
                <TextField label=Text::AmountYuan name="amount" value=amount error required=true hint=Text::AmountHint/>
                <TextField label=Text::Note name="note" value=note error/>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Add)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

#[component]
fn SpendForm(unit: UnitId, reload: Callback<()>, categories: Signal<Vec<Category>>) -> AnyView {
    let lang = use_portal().lang;
    let spent_on = RwSignal::new(String::new());
    let payee = RwSignal::new(String::new());
    let purpose = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let project = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let approve = RwSignal::new(false);
    let form = OnceForm::new();
    let (error, busy) = (form.error, form.busy);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = json!({
            "spent_on": spent_on.get_untracked(),
            "payee": payee.get_untracked(),
            "purpose": purpose.get_untracked(),
            "amount": amount.get_untracked(),
            "project": blank_is_null(project.get_untracked()),
            "category": blank_is_null(category.get_untracked()),
            "approve": approve.get_untracked(),
        });
        form.post(
            format!("/units/{}/budget/expenditures", unit.0),
            body,
            move || {
                for field in [spent_on, payee, purpose, amount, project, category] {
                    field.set(String::new());
                }
                approve.set(false);
                reload.run(());
            },
        );
    };
    view! {
        <details class="card">
            <summary>{tr(Text::RecordSpending)}</summary>
            <form class="form" data-testid="new-spending" on:submit=submit>
                <FormError error/>
                <TextField label=Text::SpentOn name="spent_on" value=spent_on error input_type="date" required=true/>
                <TextField label=Text::Payee name="payee" value=payee error required=true/>
                <TextField label=Text::Purpose name="purpose" value=purpose error required=true/>
                <TextField label=Text::AmountYuan name="amount" value=amount error required=true hint=Text::AmountHint/>
                <TextField label=Text::Project name="project" value=project error/>
                <label class="field">
                    <span class="label">{tr(Text::Category)}</span>
                    <select name="category" data-testid="category" on:change=move |ev| category.set(event_target_value(&ev)) prop:value=move || category.get()>
                        <option value="">{tr(Text::NoCategory)}</option>
                        {move || {
                            categories
                                .get()
                                .into_iter()
                                .filter(|c| !c.retired)
                                .map(|c| {
                                    let label = c.label(lang.get()).to_owned();
                                    view! { <option value=c.key.clone()>{label}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" name="approve" prop:checked=move || approve.get() on:change=move |ev| approve.set(event_target_checked(&ev))/>
                    {tr(Text::ApproveOverspend)}
                </label>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Record)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

/// Reverses some or all of a line or an expenditure, with a reason: a correction is recorded,
/// nothing is edited or deleted.
#[component]
fn CorrectionForm(path: String, reload: Callback<()>) -> AnyView {
    let amount = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let form = OnceForm::new();
    let (error, busy) = (form.error, form.busy);
    let path = StoredValue::new(path);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = json!({"amount": amount.get_untracked(), "reason": reason.get_untracked()});
        form.post(path.get_value(), body, move || {
            amount.set(String::new());
            reason.set(String::new());
            reload.run(());
        });
    };
    view! {
        <details data-testid="correct">
            <summary>{tr(Text::Reverse)}</summary>
            <form class="form" on:submit=submit>
                <FormError error/>
                <TextField label=Text::ReverseAmount name="amount" value=amount error required=true/>
                <TextField label=Text::ReverseReason name="reason" value=reason error required=true/>
                <button type="submit" disabled=move || busy.get()>{tr(Text::Reverse)}</button>
            </form>
        </details>
    }
    .into_any()
}
