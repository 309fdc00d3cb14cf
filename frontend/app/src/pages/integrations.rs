//! Two tabs of `/settings/demands` that reach outside systems: 通知渠道 (where notifications
//! go, switched on and off, and how the latest deliveries fared) and 接口密钥 (keys of intake
//! channels filing demands through Open311: issued with the key shown once, listed, revoked).
use std::collections::BTreeMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minqing_domain::UnitId;
use minqing_domain::demand::Channel;
use minqing_domain::notification::{Audience, ChannelKind};

use crate::api::{ApiError, new_idempotency_key};
use crate::components::{ErrorNotice, FieldError, FormError, Loading, TextField, UnitPicker};
use crate::i18n::{Text, pick, tr};
use crate::model::{
    ApiKey, CreatedApiKey, Delivery, NewApiKeyRequest, NewChannelRequest, NotificationChannel,
};
use crate::state::{use_api, use_portal};
use crate::time::{format_opt, format_time};

/// How many of the latest deliveries are shown.
const DELIVERIES: u32 = 20;

fn kind_text(kind: ChannelKind) -> Text {
    match kind {
        ChannelKind::Webhook => Text::KindWebhook,
        ChannelKind::Sms => Text::KindSms,
        ChannelKind::Wechat => Text::KindWechat,
        ChannelKind::Email => Text::KindEmail,
    }
}

fn audience_text(audience: Audience) -> Text {
    match audience {
        Audience::Residents => Text::AudienceResidents,
        Audience::Cadres => Text::AudienceCadres,
        Audience::All => Text::AudienceAll,
    }
}

// ---------------------------------------------------------------------------------------------
// 通知渠道

#[component]
pub fn NotificationsEditor() -> AnyView {
    let api = use_api();
    let channels = LocalResource::new(move || async move {
        api.get::<Vec<NotificationChannel>>("/tenant/notification-channels")
            .await
    });
    let deliveries = LocalResource::new(move || async move {
        api.get::<Vec<Delivery>>(&format!(
            "/tenant/notification-deliveries?limit={DELIVERIES}"
        ))
        .await
    });
    let reload = Callback::new(move |()| channels.refetch());
    let channel_names = Signal::derive(move || {
        channels
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect::<BTreeMap<_, _>>()
    });

    view! {
        <div data-testid="notifications-editor">
            <p class="help">{tr(Text::ChannelsHelp)}</p>
            <NewChannelForm reload/>
            {move || match channels.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="muted" data-testid="no-channels">{tr(Text::NoChannels)}</p> }.into_any()
                }
                Some(Ok(list)) => view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="channels">
                            <thead>
                                <tr>
                                    <th>{tr(Text::DayName)}</th>
                                    <th>{tr(Text::ChannelKindLabel)}</th>
                                    <th>{tr(Text::Url)}</th>
                                    <th>{tr(Text::Audience)}</th>
                                    <th>{tr(Text::Status)}</th>
                                    <th>{tr(Text::Actions)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|channel| view! { <ChannelRow channel/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any(),
            }}
            <div class="page-head section-head">
                <h2>{tr(Text::Deliveries)}</h2>
                <button type="button" class="link-button" data-testid="deliveries-refresh" on:click=move |_| deliveries.refetch()>
                    {tr(Text::Retry)}
                </button>
            </div>
            {move || match deliveries.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="muted" data-testid="no-deliveries">{tr(Text::NoDeliveries)}</p> }.into_any()
                }
                Some(Ok(list)) => view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="deliveries">
                            <thead>
                                <tr>
                                    <th>{tr(Text::CreatedAt)}</th>
                                    <th>{tr(Text::TabNotifications)}</th>
                                    <th>{tr(Text::Topic)}</th>
                                    <th class="num">{tr(Text::Attempts)}</th>
                                    <th>{tr(Text::Status)}</th>
                                    <th>{tr(Text::LastError)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|delivery| view! { <DeliveryRow delivery channel_names/> }).collect_view()}
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
fn NewChannelForm(reload: Callback<()>) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let kind = RwSignal::new(ChannelKind::Webhook);
    let audience = RwSignal::new(Audience::Cadres);
    let name = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    let idempotency = StoredValue::new(new_idempotency_key());

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        done.set(false);
        let body = NewChannelRequest {
            kind: kind.get_untracked(),
            name: name.get_untracked().trim().to_owned(),
            url: url.get_untracked().trim().to_owned(),
            secret: secret.get_untracked(),
            audience: audience.get_untracked(),
        };
        let idem = idempotency.get_value();
        spawn_local(async move {
            match api
                .post_idempotent::<_, NotificationChannel>(
                    "/tenant/notification-channels",
                    &body,
                    &idem,
                )
                .await
            {
                Ok(_) => {
                    idempotency.set_value(new_idempotency_key());
                    name.set(String::new());
                    url.set(String::new());
                    secret.set(String::new());
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
            <summary>{tr(Text::NewChannel)}</summary>
            <form class="form" data-testid="new-channel" on:submit=submit>
                <FormError error/>
                <label class="field">
                    <span class="label">{tr(Text::ChannelKindLabel)}</span>
                    <select
                        name="kind"
                        on:change=move |ev| {
                            if let Ok(k) = ChannelKind::parse(&event_target_value(&ev)) {
                                kind.set(k);
                            }
                        }
                    >
                        {ChannelKind::ALL
                            .into_iter()
                            .map(|k| view! {
                                <option value=k.as_str() selected=move || kind.get() == k>{tr(kind_text(k))}</option>
                            })
                            .collect_view()}
                    </select>
                    <FieldError name="kind" error/>
                </label>
                <TextField label=Text::DayName name="name" value=name error required=true/>
                <TextField label=Text::Url name="url" value=url error required=true input_type="url"/>
                <TextField
                    label=Text::Secret
                    name="secret"
                    value=secret
                    error
                    required=true
                    input_type="password"
                    autocomplete="new-password"
                    hint=Text::SecretHint
                />
                <label class="field">
                    <span class="label">{tr(Text::Audience)}</span>
                    <select
                        name="audience"
                        on:change=move |ev| {
                            if let Ok(a) = Audience::parse(&event_target_value(&ev)) {
                                audience.set(a);
                            }
                        }
                    >
                        {Audience::ALL
                            .into_iter()
                            .map(|a| view! {
                                <option value=a.as_str() selected=move || audience.get() == a>
                                    {move || audience_text(a).get(lang.get())}
                                </option>
                            })
                            .collect_view()}
                    </select>
                    <FieldError name="audience" error/>
                </label>
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
fn ChannelRow(channel: NotificationChannel) -> AnyView {
    let api = use_api();
    let enabled = RwSignal::new(channel.enabled);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let id = channel.id;
    let switch = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let to = if enabled.get_untracked() {
            "disable"
        } else {
            "enable"
        };
        spawn_local(async move {
            match api
                .post_empty::<NotificationChannel>(&format!(
                    "/tenant/notification-channels/{id}/{to}"
                ))
                .await
            {
                Ok(c) => enabled.set(c.enabled),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <tr data-testid="channel-row" data-name=channel.name.clone() class:disabled=move || !enabled.get()>
            <td>{channel.name.clone()}</td>
            <td>{tr(kind_text(channel.kind))}</td>
            <td class="url"><code>{channel.url.clone()}</code></td>
            <td>{tr(audience_text(channel.audience))}</td>
            <td data-testid="channel-status">
                {move || if enabled.get() { tr(Text::ChannelEnabled)() } else { tr(Text::Disabled)() }}
            </td>
            <td>
                <button type="button" data-testid="channel-switch" disabled=move || busy.get() on:click=switch>
                    {move || if enabled.get() { tr(Text::Disable)() } else { tr(Text::Enable)() }}
                </button>
                {move || error.get().map(|e| view! { <span class="field-error">{e.message}</span> })}
            </td>
        </tr>
    }
    .into_any()
}

#[component]
fn DeliveryRow(delivery: Delivery, channel_names: Signal<BTreeMap<uuid::Uuid, String>>) -> AnyView {
    let portal = use_portal();
    let d = delivery;
    let (created, next, delivered) = (d.created_at, d.next_attempt_at, d.delivered_at);
    let channel = d.channel_id;
    view! {
        <tr data-testid="delivery-row" data-topic=d.topic.clone() class:failing=d.delivered_at.is_none() && d.last_error.is_some()>
            <td><time>{move || format_time(created, &portal.zone())}</time></td>
            <td>{move || channel_names.with(|n| n.get(&channel).cloned().unwrap_or_default())}</td>
            <td><code>{d.topic.clone()}</code></td>
            <td class="num" data-testid="delivery-attempts">{d.attempts}</td>
            <td data-testid="delivery-state">
                {match delivered {
                    Some(at) => view! {
                        <span class="ok-badge badge">{tr(Text::Delivered)}</span>
                        " "
                        <time class="muted small">{move || format_time(at, &portal.zone())}</time>
                    }
                    .into_any(),
                    None => view! {
                        <span class="muted">{tr(Text::NextAttempt)}</span>
                        " "
                        <time>{move || format_opt(Some(next), &portal.zone())}</time>
                    }
                    .into_any(),
                }}
            </td>
            <td class="last-error" data-testid="delivery-error">{d.last_error.clone().unwrap_or_default()}</td>
        </tr>
    }
    .into_any()
}

// ---------------------------------------------------------------------------------------------
// 接口密钥

#[component]
pub fn ApiKeysEditor() -> AnyView {
    let api = use_api();
    let keys =
        LocalResource::new(move || async move { api.get::<Vec<ApiKey>>("/tenant/api-keys").await });
    let reload = Callback::new(move |()| keys.refetch());
    view! {
        <div data-testid="api-keys-editor">
            <p class="help">{tr(Text::ApiKeysHelp)}</p>
            <NewApiKeyForm reload/>
            {move || match keys.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="muted" data-testid="no-api-keys">{tr(Text::NoApiKeys)}</p> }.into_any()
                }
                Some(Ok(list)) => view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="api-keys">
                            <thead>
                                <tr>
                                    <th>{tr(Text::KeyName)}</th>
                                    <th>{tr(Text::Channel)}</th>
                                    <th>{tr(Text::Unit)}</th>
                                    <th>{tr(Text::Prefix)}</th>
                                    <th>{tr(Text::CreatedAt)}</th>
                                    <th>{tr(Text::Status)}</th>
                                    <th>{tr(Text::Actions)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|key| view! { <ApiKeyRow key_view=key/> }).collect_view()}
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
fn NewApiKeyForm(reload: Callback<()>) -> AnyView {
    let api = use_api();
    let lang = use_portal().lang;
    let name = RwSignal::new(String::new());
    let channel = RwSignal::new(Channel::Hotline);
    let unit = RwSignal::new(None::<(UnitId, String)>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let created = RwSignal::new(None::<CreatedApiKey>);
    let idempotency = StoredValue::new(new_idempotency_key());

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let l = lang.get_untracked();
        let Some((unit_id, _)) = unit.get_untracked() else {
            let mut fields = BTreeMap::new();
            fields.insert("unit_id".to_owned(), Text::ChooseUnit.get(l).to_owned());
            error.set(Some(ApiError::form(Text::FixFields.get(l), fields)));
            return;
        };
        busy.set(true);
        error.set(None);
        created.set(None);
        let body = NewApiKeyRequest {
            name: name.get_untracked().trim().to_owned(),
            channel: channel.get_untracked(),
            unit_id,
        };
        let idem = idempotency.get_value();
        spawn_local(async move {
            match api
                .post_idempotent::<_, CreatedApiKey>("/tenant/api-keys", &body, &idem)
                .await
            {
                Ok(key) => {
                    idempotency.set_value(new_idempotency_key());
                    name.set(String::new());
                    unit.set(None);
                    created.set(Some(key));
                    reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        {move || {
            created
                .get()
                .map(|c| {
                    view! {
                        <div class="notice success key-once" role="alert" data-testid="api-key-created">
                            {match c.key {
                                Some(key) => view! {
                                    <p><strong>{tr(Text::KeyOnce)}</strong></p>
                                    <p class="key-line">
                                        <span class="muted">{c.view.name.clone()} ": "</span>
                                        <code class="secret" data-testid="api-key-secret">{key}</code>
                                    </p>
                                }
                                .into_any(),
                                None => view! { <p data-testid="api-key-not-shown">{tr(Text::KeyNotShown)}</p> }.into_any(),
                            }}
                            <button type="button" data-testid="api-key-dismiss" on:click=move |_| created.set(None)>
                                {tr(Text::KeySaved)}
                            </button>
                        </div>
                    }
                })
        }}
        <details class="card">
            <summary>{tr(Text::NewApiKey)}</summary>
            <form class="form" data-testid="new-api-key" on:submit=submit>
                <FormError error/>
                <TextField label=Text::KeyName name="name" value=name error required=true/>
                <label class="field">
                    <span class="label">{tr(Text::Channel)}</span>
                    <select
                        name="channel"
                        on:change=move |ev| {
                            if let Ok(c) = Channel::parse(&event_target_value(&ev)) {
                                channel.set(c);
                            }
                        }
                    >
                        {Channel::ALL
                            .into_iter()
                            .map(|c| view! {
                                <option value=c.as_str() selected=move || channel.get() == c>
                                    {move || pick(c.labels(), lang.get())}
                                </option>
                            })
                            .collect_view()}
                    </select>
                    <FieldError name="channel" error/>
                </label>
                <div class="field">
                    <span class="label">{tr(Text::KeyUnit)}</span>
                    <UnitPicker selected=unit placeholder=Text::SearchLabel testid="api-key-unit"/>
                    <FieldError name="unit_id" error/>
                </div>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr(Text::Create)}</button>
                </div>
            </form>
        </details>
    }
    .into_any()
}

#[component]
fn ApiKeyRow(key_view: ApiKey) -> AnyView {
    let api = use_api();
    let portal = use_portal();
    let lang = portal.lang;
    let k = key_view;
    let revoked = RwSignal::new(k.revoked_at);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let (id, created, channel) = (k.id, k.created_at, k.channel);
    let revoke = move |_| {
        if !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api
                .post_empty::<ApiKey>(&format!("/tenant/api-keys/{id}/revoke"))
                .await
            {
                Ok(view) => {
                    revoked.set(view.revoked_at);
                    confirming.set(false);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <tr data-testid="api-key-row" data-name=k.name.clone() class:disabled=move || revoked.get().is_some()>
            <td>{k.name.clone()}</td>
            <td>{move || pick(channel.labels(), lang.get())}</td>
            <td>{k.unit_name.clone()}</td>
            <td><code>{k.prefix.clone()} "…"</code></td>
            <td><time>{move || format_time(created, &portal.zone())}</time></td>
            <td data-testid="api-key-status">
                {move || match revoked.get() {
                    Some(at) => format!("{} {}", tr(Text::Revoked)(), format_time(at, &portal.zone())),
                    None => tr(Text::Active)().to_owned(),
                }}
            </td>
            <td>
                {move || revoked.get().is_none().then(|| view! {
                    <button
                        type="button"
                        class="danger"
                        data-testid="api-key-revoke"
                        disabled=move || busy.get()
                        on:click=revoke
                    >
                        {move || if confirming.get() { tr(Text::ConfirmRevoke)() } else { tr(Text::Revoke)() }}
                    </button>
                    {move || confirming.get().then(|| view! {
                        <button type="button" class="link-button" on:click=move |_| confirming.set(false)>{tr(Text::Cancel)}</button>
                    })}
                })}
                {move || error.get().map(|e| view! { <span class="field-error">{e.message}</span> })}
            </td>
        </tr>
    }
    .into_any()
}
