//! A unit's council (理事会) and workroom on its page: the members, serving first, with their
//! category, role, term and masked phone; the workroom's address, hours and staff; and, for
//! administrators, the forms that add a member and record the workroom.
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minqing_domain::UnitId;
use minqing_domain::council::{CouncilRole, MemberCategory};
use minqing_domain::role::Role;
use serde_json::json;

use crate::api::ApiError;
use crate::components::ExportLinks;
use crate::components::{ErrorNotice, FormError, Loading, OnceForm, TextField, blank_is_null};
use crate::i18n::{Text, pick, tr};
use crate::model::{Council, CouncilMember, Workroom, WorkroomAnswer};
use crate::pages::import::UploadForm;
use crate::state::{use_api, use_portal};

/// The council and the workroom of `unit`.
#[component]
pub fn CouncilSection(unit: UnitId, archived: bool) -> impl IntoView {
    let api = use_api();
    let portal = use_portal();
    let admin = move || {
        !archived
            && portal
                .session
                .with(|s| s.me().is_some_and(|me| me.has_role(Role::TenantAdmin)))
    };
    let council = LocalResource::new(move || async move {
        api.get::<Council>(&format!("/units/{}/council", unit.0))
            .await
    });
    let workroom = LocalResource::new(move || async move {
        api.get::<WorkroomAnswer>(&format!("/units/{}/workroom", unit.0))
            .await
    });
    let reload_council = Callback::new(move |()| council.refetch());
    let reload_workroom = Callback::new(move |()| workroom.refetch());
    view! {
        <section class="council" data-testid="council">
            <h3>{tr(Text::Council)}</h3>
            {move || match council.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(c)) => view! { <Members members=c.members/> }.into_any(),
            }}
            <ExportLinks path=format!("/council-members/export?within={}", unit.0) testid="members-export"/>
            {move || admin().then(|| view! {
                <NewMemberForm unit reload=reload_council/>
                <details class="card" data-testid="import-members">
                    <summary>{tr(Text::ImportMembers)}</summary>
                    <p class="help">{tr(Text::ImportMembersHelp)}</p>
                    <UploadForm
                        path="/council-members/import".to_owned()
                        accept=crate::components::SPREADSHEETS
                        testid="member-import"
                        counts=true
                        on_done=reload_council
                    />
                </details>
            })}
        </section>
        <section class="workroom" data-testid="workroom">
            <h3>{tr(Text::Workroom)}</h3>
            {move || match workroom.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(w)) => {
                    let current = w.workroom.clone();
                    view! {
                        <WorkroomFacts room=w.workroom/>
                        {admin().then(|| view! { <WorkroomForm unit current reload=reload_workroom/> })}
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Members(members: Vec<CouncilMember>) -> AnyView {
    let lang = use_portal().lang;
    if members.is_empty() {
        return view! { <p class="muted" data-testid="no-members">{tr(Text::NoMembers)}</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="council-members">
                <thead>
                    <tr>
                        <th>{tr(Text::MemberName)}</th>
                        <th>{tr(Text::CouncilRole)}</th>
                        <th>{tr(Text::MemberCategory)}</th>
                        <th>{tr(Text::Organisation)}</th>
                        <th>{tr(Text::Term)}</th>
                        <th>{tr(Text::Phone)}</th>
                    </tr>
                </thead>
                <tbody>
                    {members
                        .into_iter()
                        .map(|m| {
                            let term = format!("{} — {}", m.term_start, m.term_end.clone().unwrap_or_default());
                            view! {
                                <tr class:former=!m.serving data-member=m.id.to_string()>
                                    <td>
                                        {m.name.clone()}
                                        {(!m.serving).then(|| view! { " " <span class="badge">{tr(Text::Former)}</span> })}
                                    </td>
                                    <td>{move || pick(m.role.label(), lang.get())}</td>
                                    <td>{move || pick(m.category.label(), lang.get())}</td>
                                    <td>{m.organisation.clone().unwrap_or_default()}</td>
                                    <td>{term}</td>
                                    <td>{m.phone.clone().unwrap_or_default()}</td>
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
fn NewMemberForm(unit: UnitId, reload: Callback<()>) -> AnyView {
    let lang = use_portal().lang;
    let name = RwSignal::new(String::new());
    let category = RwSignal::new(MemberCategory::ResidentRepresentative.as_str().to_owned());
    let role = RwSignal::new(CouncilRole::Member.as_str().to_owned());
    let organisation = RwSignal::new(String::new());
    let term_start = RwSignal::new(String::new());
    let term_end = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let form = OnceForm::new();
    let (error, busy) = (form.error, form.busy);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = json!({
            "name": name.get_untracked(),
            "category": category.get_untracked(),
            "role": role.get_untracked(),
            "organisation": blank_is_null(organisation.get_untracked()),
            "term_start": term_start.get_untracked(),
            "term_end": blank_is_null(term_end.get_untracked()),
            "phone": blank_is_null(phone.get_untracked()),
        });
        form.post(
            format!("/units/{}/council/members", unit.0),
            body,
            move || {
                for field in [name, organisation, term_start, term_end, phone] {
                    field.set(String::new());
                }
                reload.run(());
            },
        );
    };
    let select =
        move |value: RwSignal<String>,
              field: &'static str,
              text: Text,
              options: Vec<(&'static str, (&'static str, &'static str))>| {
            view! {
                <label class="field">
                    <span class="label">{tr(text)}</span>
                    <select name=field data-testid=field on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
                        {options
                            .into_iter()
                            .map(|(key, pair)| {
                                view! {
                                    <option value=key selected=move || value.get() == key>
                                        {move || pick(pair, lang.get())}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
            }
        };
    let categories = MemberCategory::ALL
        .iter()
        .map(|c| (c.as_str(), c.label()))
        .collect();
    let roles = CouncilRole::ALL
        .iter()
        .map(|r| (r.as_str(), r.label()))
        .collect();
    view! {
        <details class="card">
            <summary>{tr(Text::AddMember)}</summary>
            <form class="form" data-testid="new-member" on:submit=submit>
                <FormError error/>
                <TextField label=Text::MemberName name="name" value=name error required=true/>
                {select(role, "role", Text::CouncilRole, roles)}
                {select(category, "category", Text::MemberCategory, categories)}
                <TextField label=Text::Organisation name="organisation" value=organisation error/>
                <TextField label=Text::TermStart name="term_start" value=term_start error input_type="date" required=true/>
                <TextField label=Text::TermEnd name="term_end" value=term_end error input_type="date"/>
                <TextField label=Text::Phone name="phone" value=phone error input_type="tel"/>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Add)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

#[component]
fn WorkroomFacts(room: Option<Workroom>) -> AnyView {
    match room {
        None => view! { <p class="muted" data-testid="no-workroom">{tr(Text::NoWorkroom)}</p> }
            .into_any(),
        Some(r) => view! {
            <dl class="facts" data-testid="workroom-facts">
                <dt>{tr(Text::WorkroomName)}</dt>
                <dd>{r.name}</dd>
                <dt>{tr(Text::Address)}</dt>
                <dd data-testid="workroom-address">{r.address}</dd>
                <dt>{tr(Text::OpeningHours)}</dt>
                <dd>{r.opening_hours}</dd>
                <dt>{tr(Text::StaffOnDuty)}</dt>
                <dd>{r.staff_on_duty.join("、")}</dd>
            </dl>
        }
        .into_any(),
    }
}

#[component]
fn WorkroomForm(unit: UnitId, current: Option<Workroom>, reload: Callback<()>) -> AnyView {
    let api = use_api();
    let current = current.unwrap_or(Workroom {
        name: String::new(),
        address: String::new(),
        opening_hours: String::new(),
        staff_on_duty: Vec::new(),
    });
    let name = RwSignal::new(current.name);
    let address = RwSignal::new(current.address);
    let hours = RwSignal::new(current.opening_hours);
    let staff = RwSignal::new(current.staff_on_duty.join("、"));
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let staff_on_duty: Vec<String> = staff
            .get_untracked()
            .split([',', '，', '、'])
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let body = json!({
            "name": name.get_untracked(),
            "address": address.get_untracked(),
            "opening_hours": hours.get_untracked(),
            "staff_on_duty": staff_on_duty,
        });
        let path = format!("/units/{}/workroom", unit.0);
        spawn_local(async move {
            match api.put::<_, serde_json::Value>(&path, &body).await {
                Ok(_) => reload.run(()),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <details class="card">
            <summary>{tr(Text::EditWorkroom)}</summary>
            <form class="form" data-testid="workroom-form" on:submit=submit>
                <FormError error/>
                <TextField label=Text::WorkroomName name="name" value=name error required=true/>
                <TextField label=Text::Address name="address" value=address error required=true/>
                <TextField label=Text::OpeningHours name="opening_hours" value=hours error required=true/>
                <TextField label=Text::StaffOnDuty name="staff_on_duty" value=staff error hint=Text::StaffHint/>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Save)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}
