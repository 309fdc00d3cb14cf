//! Small pieces the pages share: loading and error states, form fields that show the API's
//! field errors, and a unit picker.
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use minqing_domain::UnitId;

use crate::api::{ApiError, encode, new_idempotency_key};
use crate::i18n::{Text, tr};
use crate::model::{Page, Unit, UnitDetail};
use crate::state::use_api;

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="loading" aria-busy="true" data-testid="loading">
            {tr(Text::Loading)}
        </p>
    }
}

/// An API error shown in place of what failed to load.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    view! {
        <p class="notice error" role="alert" data-testid="error">
            {error.message}
        </p>
    }
}

/// The message of a failed form submission, above the form's fields.
#[component]
pub fn FormError(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <p class="notice error" role="alert" data-testid="form-error">
                    {e.message}
                </p>
            }
        })
    }
}

/// 满意 / 基本满意 / 不满意 as three buttons, the chosen one pressed; the API's message for
/// `satisfaction` under them.
#[component]
pub fn RatingChoice(
    rating: RwSignal<Option<minqing_domain::demand::Satisfaction>>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let lang = crate::state::use_portal().lang;
    view! {
        <fieldset class="field choice-field">
            <legend class="label">{tr(Text::Satisfaction)}</legend>
            <div class="choices ratings" role="group">
                {minqing_domain::demand::Satisfaction::ALL
                    .into_iter()
                    .map(|s| view! {
                        <button
                            type="button"
                            class="choice"
                            data-testid=format!("rate-{}", s.as_str())
                            aria-pressed=move || (rating.get() == Some(s)).to_string()
                            on:click=move |_| rating.set(Some(s))
                        >
                            {move || crate::i18n::pick(s.labels(), lang.get())}
                        </button>
                    })
                    .collect_view()}
            </div>
            <FieldError name="satisfaction" error/>
        </fieldset>
    }
}

/// A labelled input bound to a signal, with the API's message for `name` under it.
#[component]
pub fn TextField(
    label: Text,
    /// The field's name in the API's request body (and its `fields` errors).
    name: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<Text>,
) -> AnyView {
    let message = move || error.with(|e| e.as_ref().and_then(|e| e.field(name)));
    view! {
        <label class="field" class:invalid=move || message().is_some()>
            <span class="label">{tr(label)}</span>
            <input
                type=input_type
                name=name
                required=required
                autocomplete=autocomplete
                value=value.get_untracked()
                prop:value=move || value.get()
                aria-invalid=move || message().is_some().then_some("true")
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {hint.map(|h| view! { <span class="hint">{tr(h)}</span> })}
            {move || {
                message()
                    .map(|m| {
                        view! {
                            <span class="field-error" data-testid=format!("error-{name}")>
                                {m}
                            </span>
                        }
                    })
            }}
        </label>
    }
    .into_any()
}

/// A labelled multi-line input bound to a signal, with the API's message for `name` under it.
#[component]
pub fn TextAreaField(
    label: Text,
    name: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    #[prop(optional)] required: bool,
    #[prop(default = 4)] rows: u32,
) -> AnyView {
    let message = move || error.with(|e| e.as_ref().and_then(|e| e.field(name)));
    view! {
        <label class="field" class:invalid=move || message().is_some()>
            <span class="label">{tr(label)}</span>
            <textarea
                name=name
                rows=rows
                required=required
                aria-invalid=move || message().is_some().then_some("true")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
            <FieldError name error/>
        </label>
    }
    .into_any()
}

/// The API's message for one field (or a local check's), where a form shows it.
#[component]
pub fn FieldError(name: &'static str, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || {
        error
            .with(|e| e.as_ref().and_then(|e| e.field(name)))
            .map(|m| {
                view! {
                    <span class="field-error" data-testid=format!("error-{name}")>
                        {m}
                    </span>
                }
            })
    }
}

/// Units whose name contains, or whose code starts with, the query (debounced by the caller).
pub fn unit_search(
    query: Signal<String>,
    limit: u32,
) -> LocalResource<Result<Vec<Unit>, ApiError>> {
    let api = use_api();
    LocalResource::new(move || {
        let q = query.get().trim().to_owned();
        async move {
            if q.is_empty() {
                return Ok(Vec::new());
            }
            let page: Page<Unit> = api
                .get(&format!("/units?q={}&limit={limit}", encode(&q)))
                .await?;
            Ok(page.items)
        }
    })
}

/// An input whose value reaches `query` 250 ms after typing stops.
#[component]
pub fn SearchInput(
    query: RwSignal<String>,
    placeholder: Text,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    let mut settle =
        leptos::leptos_dom::helpers::debounce(Duration::from_millis(250), move |v: String| {
            query.set(v)
        });
    view! {
        <input
            type="search"
            id=id
            data-testid=testid
            autocomplete="off"
            placeholder=tr(placeholder)
            aria-label=tr(placeholder)
            prop:value=move || query.get()
            on:input=move |ev| settle(event_target_value(&ev))
        />
    }
}

/// The ancestors of a unit as one line, root first: `南昌市 › 青云谱区 › 徐家坊街道`.
pub fn ancestry(unit: &Unit) -> String {
    unit.ancestors
        .iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join(" › ")
}

/// What a spreadsheet's file input accepts: CSV or XLSX.
pub const SPREADSHEETS: &str =
    ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The file chosen in a file input, if any.
pub fn chosen_file(input: NodeRef<leptos::html::Input>) -> Option<web_sys::File> {
    input
        .get_untracked()
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
}

/// Links that download `path` (under `/api/v1`, with its query) as XLSX and as CSV; the
/// session cookie goes with them.
#[component]
pub fn ExportLinks(path: String, testid: &'static str) -> AnyView {
    let sep = if path.contains('?') { '&' } else { '?' };
    view! {
        <p class="export-links" data-testid=testid>
            {tr(Text::Export)} ": "
            <a href=format!("/api/v1{path}{sep}format=xlsx") download="" data-format="xlsx">"XLSX"</a>
            " · "
            <a href=format!("/api/v1{path}{sep}format=csv") download="" data-format="csv">"CSV"</a>
        </p>
    }
    .into_any()
}

/// Picks one unit by search; `None` stands for "no unit" (e.g. a grant over the whole tenant).
/// `on_change` hears of the reader's picks and removals (not of changes made to `selected`
/// from elsewhere).
#[component]
pub fn UnitPicker(
    selected: RwSignal<Option<(UnitId, String)>>,
    #[prop(optional)] on_change: Option<Callback<Option<(UnitId, String)>>>,
    #[prop(optional)] placeholder: Option<Text>,
    #[prop(optional)] testid: Option<&'static str>,
) -> AnyView {
    let query = RwSignal::new(String::new());
    let results = unit_search(query.into(), 20);
    let choose = move |choice: Option<(UnitId, String)>| {
        selected.set(choice.clone());
        if let Some(callback) = on_change {
            callback.run(choice);
        }
    };
    view! {
        <div class="unit-picker">
            {move || {
                selected
                    .get()
                    .map(|(_, name)| {
                        view! {
                            <span class="chip">
                                {name}
                                <button
                                    type="button"
                                    class="chip-remove"
                                    aria-label=tr(Text::Remove)
                                    on:click=move |_| choose(None)
                                >
                                    "×"
                                </button>
                            </span>
                        }
                    })
            }}
            <SearchInput query placeholder=placeholder.unwrap_or(Text::PickUnit) testid=testid.unwrap_or("unit-picker-search")/>
            <ul class="picker-results">
                {move || {
                    if query.with(|q| q.trim().is_empty()) {
                        return ().into_any();
                    }
                    match results.get() {
                        None => view! { <li class="muted">{tr(Text::Searching)}</li> }.into_any(),
                        Some(Err(e)) => view! { <li class="field-error">{e.message}</li> }.into_any(),
                        Some(Ok(units)) if units.is_empty() => {
                            view! { <li class="muted">{tr(Text::NoMatches)}</li> }.into_any()
                        }
                        Some(Ok(units)) => {
                            units
                                .into_iter()
                                .map(|u| {
                                    let line = ancestry(&u);
                                    let (id, name) = (u.id, u.name.clone());
                                    let data_name = u.name.clone();
                                    view! {
                                        <li>
                                            <button
                                                type="button"
                                                class="picker-option"
                                                data-testid="picker-option"
                                                data-name=data_name
                                                on:click=move |_| {
                                                    choose(Some((id, name.clone())));
                                                    query.set(String::new());
                                                }
                                            >
                                                <span class="name">{u.name}</span>
                                                <span class="muted">{line}</span>
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }
                    }
                }}
            </ul>
        </div>
    }
    .into_any()
}

/// The unit filter: a unit picker showing the URL's unit (its name looked up), reporting picks.
#[component]
pub fn WithinFilter(
    within: Memo<Option<UnitId>>,
    set: Callback<Option<UnitId>>,
    names: UnitNames,
) -> AnyView {
    let selected = RwSignal::new(None::<(UnitId, String)>);
    Effect::new(move |_| match within.get() {
        None => {
            if selected.with_untracked(Option::is_some) {
                selected.set(None);
            }
        }
        Some(id) => {
            names.want([id]);
            let shown = Some((id, names.get(id).unwrap_or_default()));
            if selected.get_untracked() != shown {
                selected.set(shown);
            }
        }
    });
    let on_change = Callback::new(move |choice: Option<(UnitId, String)>| {
        if let Some((id, name)) = &choice {
            names.remember(*id, name.clone());
        }
        set.run(choice.map(|(id, _)| id));
    });
    view! {
        <div class="field within-filter" data-testid="within-filter">
            <span class="label">{tr(Text::WithinUnit)}</span>
            <UnitPicker selected on_change placeholder=Text::PickUnit testid="within-search"/>
        </div>
    }
    .into_any()
}

/// Unit names looked up by id (`GET /units/{id}`), each at most once per page, for lists that
/// carry only ids (warnings, cases). Unknown until its answer arrives; a unit that cannot be
/// read stays unnamed.
#[derive(Debug, Clone, Copy)]
pub struct UnitNames {
    names: RwSignal<HashMap<UnitId, String>>,
    asked: StoredValue<HashSet<UnitId>>,
    api: crate::api::Api,
}

impl Default for UnitNames {
    fn default() -> Self {
        Self::new()
    }
}

impl UnitNames {
    pub fn new() -> Self {
        Self {
            names: RwSignal::new(HashMap::new()),
            asked: StoredValue::new(HashSet::new()),
            api: use_api(),
        }
    }

    /// Asks for the names of these units not asked for yet.
    pub fn want(self, ids: impl IntoIterator<Item = UnitId>) {
        for id in ids {
            let fresh = self
                .asked
                .try_update_value(|a| a.insert(id))
                .unwrap_or(false);
            if !fresh {
                continue;
            }
            let (api, names) = (self.api, self.names);
            spawn_local(async move {
                if let Ok(detail) = api.get::<UnitDetail>(&format!("/units/{id}")).await {
                    names.update(|n| {
                        n.insert(id, detail.unit.name);
                    });
                }
            });
        }
    }

    /// Remembers a name already known (a unit picked from search).
    pub fn remember(self, id: UnitId, name: String) {
        self.asked.update_value(|a| {
            a.insert(id);
        });
        self.names.update(|n| {
            n.insert(id, name);
        });
    }

    /// The unit's name once known (reactive).
    pub fn get(self, id: UnitId) -> Option<String> {
        self.names.with(|n| n.get(&id).cloned())
    }
}

/// A form that creates something: what the server said, whether it is being sent, and the
/// idempotency key its sends share until one succeeds (so a double submit or a retry records
/// it once).
#[derive(Debug, Clone, Copy)]
pub struct OnceForm {
    pub error: RwSignal<Option<ApiError>>,
    pub busy: RwSignal<bool>,
    key: StoredValue<String>,
    api: crate::api::Api,
}

impl Default for OnceForm {
    fn default() -> Self {
        Self::new()
    }
}

impl OnceForm {
    pub fn new() -> Self {
        Self {
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
            key: StoredValue::new(new_idempotency_key()),
            api: use_api(),
        }
    }

    /// POSTs `body` to `path` under the form's key (nothing while a send is under way), then
    /// takes a fresh key for the next fill and runs `done`.
    pub fn post(self, path: String, body: serde_json::Value, done: impl FnOnce() + 'static) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        let key = self.key.get_value();
        spawn_local(async move {
            match self
                .api
                .post_idempotent::<_, serde_json::Value>(&path, &body, &key)
                .await
            {
                Ok(_) => {
                    self.key.set_value(new_idempotency_key());
                    done();
                }
                Err(e) => self.error.set(Some(e)),
            }
            self.busy.set(false);
        });
    }
}

/// Puts `item` in `list` (once) when `on`, takes it out otherwise: a checkbox list's change.
pub fn toggle<T: PartialEq>(list: &mut Vec<T>, item: T, on: bool) {
    list.retain(|x| *x != item);
    if on {
        list.push(item);
    }
}

/// A form field's text for the API: trimmed, and `None` when nothing is left.
pub fn blank_is_null(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}
