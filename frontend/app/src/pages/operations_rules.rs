//! The tenant's operations rules on `/settings`: how often a leader owes each contact point a
//! visit, how long before a visit its notice must be out, and whether spending beyond an
//! allocation may go ahead with a leader's approval.
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minqing_domain::budget::{MAX_NOTICE_LEAD_HOURS, OperationsRules, Overspend};
use minqing_domain::visits::Frequency;

use crate::api::ApiError;
use crate::components::{ErrorNotice, FormError, Loading};
use crate::i18n::{Text, tr};
use crate::state::{use_api, use_portal};

const FREQUENCIES: [(Frequency, &str, Text); 3] = [
    (Frequency::Weekly, "weekly", Text::EveryWeek),
    (Frequency::Monthly, "monthly", Text::EveryMonth),
    (Frequency::Quarterly, "quarterly", Text::EveryQuarter),
];

const OVERSPENDS: [(Overspend, &str, Text); 2] = [
    (Overspend::Refuse, "refuse", Text::OverspendRefused),
    (
        Overspend::AllowWithApproval,
        "allow_with_approval",
        Text::OverspendApproved,
    ),
];

#[component]
pub fn OperationsRulesSection() -> AnyView {
    let api = use_api();
    let rules =
        LocalResource::new(
            move || async move { api.get::<OperationsRules>("/operations-rules").await },
        );
    view! {
        <h2>{tr(Text::OperationsRules)}</h2>
        {move || match rules.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
            Some(Ok(current)) => view! { <RulesForm current/> }.into_any(),
        }}
    }
    .into_any()
}

#[component]
fn RulesForm(current: OperationsRules) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let frequency = RwSignal::new(current.contact_frequency);
    let overspend = RwSignal::new(current.overspend);
    let lead = RwSignal::new(current.notice_lead_hours.to_string());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let Ok(notice_lead_hours) = lead.get_untracked().trim().parse::<u32>() else {
            let l = lang.get_untracked();
            let mut fields = std::collections::BTreeMap::new();
            fields.insert(
                "notice_lead_hours".to_owned(),
                Text::WholeHours.get(l).to_owned(),
            );
            error.set(Some(ApiError::form(Text::FixFields.get(l), fields)));
            return;
        };
        let body = OperationsRules {
            overspend: overspend.get_untracked(),
            contact_frequency: frequency.get_untracked(),
            notice_lead_hours,
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api
                .put::<_, OperationsRules>("/operations-rules", &body)
                .await
            {
                Ok(now) => {
                    lead.set(now.notice_lead_hours.to_string());
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="form" data-testid="operations-rules" novalidate=true on:submit=submit>
            <FormError error/>
            <label class="field">
                <span class="label">{tr(Text::ContactFrequency)}</span>
                {choice("contact_frequency", &FREQUENCIES, frequency)}
            </label>
            <label class="field" class:invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("notice_lead_hours")).is_some())>
                <span class="label">{tr(Text::NoticeLeadHours)}</span>
                <input type="number" name="notice_lead_hours" min="0" max=MAX_NOTICE_LEAD_HOURS.to_string()
                    prop:value=move || lead.get() on:input=move |ev| lead.set(event_target_value(&ev))/>
                {move || error.with(|e| e.as_ref().and_then(|e| e.field("notice_lead_hours"))).map(|m| view! { <span class="field-error">{m}</span> })}
            </label>
            <label class="field">
                <span class="label">{tr(Text::Overspending)}</span>
                {choice("overspend", &OVERSPENDS, overspend)}
            </label>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Save)}</button>
                {move || saved.get().then(|| view! { <span class="saved" role="status" data-testid="operations-saved">{tr(Text::Saved)}</span> })}
            </div>
        </form>
    }
    .into_any()
}

/// A `<select>` of `options` (value, key sent in the form, label) bound to `value`.
fn choice<T: Copy + PartialEq + Send + Sync + 'static>(
    name: &'static str,
    options: &'static [(T, &'static str, Text)],
    value: RwSignal<T>,
) -> impl IntoView {
    view! {
        <select name=name on:change=move |ev| {
            let picked = event_target_value(&ev);
            if let Some((v, _, _)) = options.iter().find(|(_, key, _)| *key == picked) {
                value.set(*v);
            }
        }>
            {options
                .iter()
                .map(|(v, key, text)| {
                    let v = *v;
                    view! { <option value=*key selected=move || value.get() == v>{tr(*text)}</option> }
                })
                .collect_view()}
        </select>
    }
}
