//! `/units/import`: upload a division file (CSV or XLSX) with progress, then show what changed
//! or, for a rejected file, every bad row.
use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiError;
use crate::i18n::{Text, tr};
use crate::model::ImportSummary;
use crate::state::{use_api, use_portal};

#[derive(Debug, Clone, PartialEq)]
enum Upload {
    Idle,
    /// The fraction of the file sent so far.
    Sending(f64),
    Done(ImportSummary),
    Failed(ApiError),
}

#[component]
pub fn ImportPage() -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let file_input = NodeRef::<html::Input>::new();
    let state = RwSignal::new(Upload::Idle);
    let missing_file = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if matches!(state.get_untracked(), Upload::Sending(_)) {
            return;
        }
        let file = crate::components::chosen_file(file_input);
        let Some(file) = file else {
            missing_file.set(true);
            return;
        };
        missing_file.set(false);
        state.set(Upload::Sending(0.0));
        spawn_local(async move {
            let progress = move |sent: f64| state.set(Upload::Sending(sent));
            let next = match api
                .upload::<ImportSummary>("/units/import", file, progress)
                .await
            {
                Ok(summary) => Upload::Done(summary),
                Err(e) => Upload::Failed(e),
            };
            state.set(next);
        });
    };

    view! {
        <section class="page" data-testid="import-page">
            <h1>{tr(Text::ImportTitle)}</h1>
            <p class="help">{tr(Text::ImportHelp)}</p>
            <form class="form inline-form" method="post" enctype="multipart/form-data" on:submit=submit>
                <label class="field">
                    <span class="label">{tr(Text::File)}</span>
                    <input
                        type="file"
                        name="file"
                        data-testid="import-file"
                        accept=crate::components::SPREADSHEETS
                        node_ref=file_input
                        on:change=move |_| {
                            missing_file.set(false);
                            state.set(Upload::Idle);
                        }
                    />
                    {move || missing_file.get().then(|| view! { <span class="field-error">{tr(Text::ChooseFileFirst)}</span> })}
                </label>
                <button
                    type="submit"
                    class="primary"
                    data-testid="import-submit"
                    disabled=move || matches!(state.get(), Upload::Sending(_))
                >
                    {tr(Text::Upload)}
                </button>
            </form>
            {move || match state.get() {
                Upload::Idle => ().into_any(),
                Upload::Sending(sent) => {
                    let percent = (sent * 100.0).round() as u32;
                    view! {
                        <div class="progress" data-testid="import-progress" aria-live="polite">
                            <progress max="100" value=percent.to_string()></progress>
                            <span>
                                {move || {
                                    if percent < 100 { Text::Uploading.get(lang.get()) } else { Text::Processing.get(lang.get()) }
                                }}
                                " "
                                {format!("{percent}%")}
                            </span>
                        </div>
                    }
                        .into_any()
                }
                Upload::Done(summary) => view! { <ImportResult summary/> }.into_any(),
                Upload::Failed(error) => view! { <ImportErrors error/> }.into_any(),
            }}
        </section>
    }
    .into_any()
}

#[component]
fn ImportResult(summary: ImportSummary) -> AnyView {
    view! {
        <div class="notice success" data-testid="import-result" role="status">
            <p>{tr(Text::ImportDone)}</p>
            <dl class="counts">
                <div>
                    <dt>{tr(Text::Created)}</dt>
                    <dd data-testid="import-created">{summary.created}</dd>
                </div>
                <div>
                    <dt>{tr(Text::Updated)}</dt>
                    <dd data-testid="import-updated">{summary.updated}</dd>
                </div>
                <div>
                    <dt>{tr(Text::Unchanged)}</dt>
                    <dd data-testid="import-unchanged">{summary.unchanged}</dd>
                </div>
            </dl>
        </div>
    }
    .into_any()
}

/// The error with what it says of each field (a file of the wrong kind, say), and for a
/// rejected file the table of its bad rows (line, code, reason; the code column only where rows
/// have codes, as division files do and calendar files do not).
#[component]
pub(crate) fn ImportErrors(error: ApiError) -> AnyView {
    let rows = error.rows.clone();
    let coded = rows
        .iter()
        .any(|r| r.code.as_deref().is_some_and(|c| !c.is_empty()));
    view! {
        <div class="import-errors" data-testid="import-errors">
            <p class="notice error" role="alert">{error.message}</p>
            {error
                .fields
                .into_iter()
                .map(|(name, message)| view! { <p class="field-error" data-testid=format!("error-{name}")>{message}</p> })
                .collect_view()}
            {(!rows.is_empty())
                .then(|| {
                    view! {
                        <h2>{tr(Text::BadRows)} " (" {rows.len()} ")"</h2>
                        <div class="table-wrap">
                            <table class="table" data-testid="import-bad-rows">
                                <thead>
                                    <tr>
                                        <th>{tr(Text::Line)}</th>
                                        {coded.then(|| view! { <th>{tr(Text::Code)}</th> })}
                                        <th>{tr(Text::Reason)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows
                                        .into_iter()
                                        .map(|row| {
                                            view! {
                                                <tr data-testid="import-bad-row" data-line=row.line.to_string()>
                                                    <td class="num">{row.line}</td>
                                                    {coded.then(|| view! { <td><code>{row.code.clone().unwrap_or_default()}</code></td> })}
                                                    <td>{row.message.unwrap_or(row.reason)}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                })}
        </div>
    }
    .into_any()
}

/// What an import of rows did (`created`, `unchanged`), as the register imports answer.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct RowCounts {
    created: usize,
    unchanged: usize,
}

/// A file sent to `path` as the multipart field `file`, then `on_done`; the server's refusal
/// is shown, with the bad rows of a rejected import. With `counts`, the answer's created and
/// unchanged rows are shown too (`{testid}-result`). The button reads `label` (by default
/// 上传并导入, for spreadsheets).
#[component]
pub(crate) fn UploadForm(
    path: String,
    accept: &'static str,
    testid: &'static str,
    #[prop(optional)] counts: bool,
    #[prop(default = Text::Upload)] label: Text,
    on_done: Callback<()>,
) -> AnyView {
    let api = use_api();
    let file_input = NodeRef::<html::Input>::new();
    let missing = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<serde_json::Value, ApiError>>);
    let path = StoredValue::new(path);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Some(file) = crate::components::chosen_file(file_input) else {
            missing.set(true);
            return;
        };
        missing.set(false);
        busy.set(true);
        outcome.set(None);
        spawn_local(async move {
            let answer = api
                .upload::<serde_json::Value>(&path.get_value(), file, |_| {})
                .await;
            if answer.is_ok() {
                on_done.run(());
            }
            outcome.set(Some(answer));
            busy.set(false);
        });
    };
    view! {
        <form class="form inline-form" data-testid=testid on:submit=submit>
            <label class="field">
                <span class="label">{tr(Text::File)}</span>
                <input
                    type="file"
                    name="file"
                    accept=accept
                    node_ref=file_input
                    on:change=move |_| {
                        missing.set(false);
                        outcome.set(None);
                    }
                />
                {move || missing.get().then(|| view! { <span class="field-error">{tr(Text::ChooseFileFirst)}</span> })}
            </label>
            <button type="submit" class="primary" disabled=move || busy.get()>{tr(label)}</button>
            {move || match outcome.get() {
                None => ().into_any(),
                Some(Ok(answer)) => serde_json::from_value::<RowCounts>(answer)
                    .ok()
                    .filter(|_| counts)
                    .map(|c| view! {
                        <p class="notice success" role="status" data-testid=format!("{testid}-result")>
                            {tr(Text::Created)} " " {c.created} " · " {tr(Text::Unchanged)} " " {c.unchanged}
                        </p>
                    })
                    .into_any(),
                Some(Err(error)) => view! { <ImportErrors error/> }.into_any(),
            }}
        </form>
    }
    .into_any()
}
