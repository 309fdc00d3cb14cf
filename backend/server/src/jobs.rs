//! Background work: the deadline sweeper and the notification dispatcher, each a loop that
//! wakes on its interval. Both are safe with several servers on one database (see
//! `minqing_storage::sweeper` and `minqing_storage::notifications`); tests call one pass
//! directly with the clock moved forward.
use std::sync::Arc;
use std::time::Duration;

use minqing_domain::TenantId;
use minqing_storage::notifications::Claimed;
use minqing_storage::sealing::{Sealer, hmac_sha256};
use minqing_storage::{Audit, Clock, Storage};

/// One sweep over every tenant (or `only` those) at the clock's time.
pub async fn sweep_once(
    storage: &Storage,
    clock: &Clock,
    only: Option<&[TenantId]>,
) -> anyhow::Result<()> {
    let counts = storage.sweep(clock.now(), only).await?;
    if counts != Default::default() {
        tracing::info!(?counts, "deadline sweep");
    }
    Ok(())
}

/// What one dispatcher pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub delivered: u32,
    pub failed: u32,
}

/// Claims due messages tenant by tenant, sends them outside any transaction, and settles each.
pub async fn deliver_once(
    storage: &Storage,
    sealer: &Sealer,
    client: &reqwest::Client,
    clock: &Clock,
    only: Option<&[TenantId]>,
) -> anyhow::Result<Delivered> {
    let mut done = Delivered::default();
    for tenant in storage.platform().active_tenants().await? {
        if only.is_some_and(|ids| !ids.contains(&tenant.id)) {
            continue;
        }
        let scope = storage.write(tenant.id, Audit::system()).await?;
        let claimed = scope.notifications().claim(clock.now(), 50).await?;
        scope.commit().await?;
        for message in claimed {
            let outcome = send(client, sealer, &message).await;
            match &outcome {
                Ok(()) => done.delivered += 1,
                Err(error) => {
                    done.failed += 1;
                    tracing::warn!(delivery = %message.id, topic = %message.topic, %error, "notification not delivered; will retry");
                }
            }
            let scope = storage.write(tenant.id, Audit::system()).await?;
            scope
                .notifications()
                .settle(message.id, message.attempts, outcome, clock.now())
                .await?;
            scope.commit().await?;
        }
    }
    Ok(done)
}

/// POSTs one message: JSON, signed with the channel's secret. A resident's phone travels sealed
/// in the outbox and is opened only here, for the channel that must reach them.
async fn send(client: &reqwest::Client, sealer: &Sealer, m: &Claimed) -> Result<(), String> {
    let mut payload: serde_json::Value =
        serde_json::from_str(&m.payload).map_err(|e| format!("payload: {e}"))?;
    if let Some(sealed) = payload
        .get("phone_sealed")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
    {
        let phone = sealer
            .open(m.tenant, &sealed)
            .map_err(|e| format!("phone does not open: {e}"))?;
        if let Some(object) = payload.as_object_mut() {
            object.remove("phone_sealed");
            object.insert("phone".into(), phone.into());
        }
    }
    payload["delivery_id"] = m.id.to_string().into();
    payload["channel"] = m.kind.as_str().into();
    let body = payload.to_string();
    let signature = hex(&hmac_sha256(m.secret.as_bytes(), &[body.as_bytes()]));
    let response = client
        .post(&m.url)
        .header("content-type", "application/json")
        .header("x-minqing-topic", &m.topic)
        .header("x-minqing-delivery", m.id.to_string())
        .header("x-minqing-signature", format!("sha256={signature}"))
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("answered {}", response.status()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A client for deliveries: short timeouts, so a dead channel holds nothing up for long.
pub fn delivery_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(3))
        .build()
        .expect("a TLS-capable HTTP client")
}

/// Starts the loops; an interval of zero leaves that loop off.
pub fn spawn(
    storage: Storage,
    sealer: Arc<Sealer>,
    clock: Clock,
    sweep_every: Duration,
    deliver_every: Duration,
) {
    if !sweep_every.is_zero() {
        let (storage, clock) = (storage.clone(), clock.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(sweep_every);
            loop {
                tick.tick().await;
                if let Err(error) = sweep_once(&storage, &clock, None).await {
                    tracing::error!(%error, "deadline sweep failed");
                }
            }
        });
    }
    if !deliver_every.is_zero() {
        tokio::spawn(async move {
            let client = delivery_client();
            let mut tick = tokio::time::interval(deliver_every);
            loop {
                tick.tick().await;
                if let Err(error) = deliver_once(&storage, &sealer, &client, &clock, None).await {
                    tracing::error!(%error, "notification dispatch failed");
                }
            }
        });
    }
}
