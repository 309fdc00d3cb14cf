//! Notifications: who is told what, through which kind of channel, and how deliveries retry.
//! Nothing is dropped: a failing channel is retried with growing pauses, capped at an hour.
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// How a tenant reaches people. Every kind is an HTTP endpoint the tenant configures: its SMS
/// gateway, its WeChat template-message relay, its mail API, or any webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Webhook,
    Sms,
    Wechat,
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::Webhook,
        ChannelKind::Sms,
        ChannelKind::Wechat,
        ChannelKind::Email,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Sms => "sms",
            ChannelKind::Wechat => "wechat",
            ChannelKind::Email => "email",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or("invalid_channel_kind")
    }
}

/// Who a channel serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// 群众: progress on their demand, requests for feedback.
    Residents,
    /// 干部: new demands, warnings, overdue, escalations.
    Cadres,
    All,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Residents, Audience::Cadres, Audience::All];

    pub fn as_str(&self) -> &'static str {
        match self {
            Audience::Residents => "residents",
            Audience::Cadres => "cadres",
            Audience::All => "all",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == raw)
            .ok_or("invalid_audience")
    }

    /// Whether a channel for `self` carries a message meant for `to`.
    pub fn serves(&self, to: Audience) -> bool {
        *self == Audience::All || *self == to
    }
}

/// The pause before retry number `attempts` (1 after the first failure): 30 s, 1 min, 2 min…
/// up to an hour, then hourly for as long as the channel stays down.
pub fn backoff(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(7);
    Duration::seconds((30_i64 << exp).min(3_600))
}

/// A channel URL must be http(s) with a host, at most 2,000 characters.
pub fn parse_channel_url(raw: &str) -> Result<String, &'static str> {
    let url = raw.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("invalid_url")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.len() > 2_000 || url.chars().any(char::is_whitespace) {
        return Err("invalid_url");
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour_and_never_stop() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(4), Duration::seconds(240));
        assert_eq!(backoff(8), Duration::seconds(3_600));
        assert_eq!(backoff(500), Duration::seconds(3_600));
    }

    #[test]
    fn audiences_and_urls() {
        assert!(Audience::All.serves(Audience::Residents));
        assert!(!Audience::Cadres.serves(Audience::Residents));
        assert_eq!(
            parse_channel_url(" https://sms.example.cn/send "),
            Ok("https://sms.example.cn/send".into())
        );
        assert_eq!(parse_channel_url("ftp://x"), Err("invalid_url"));
        assert_eq!(parse_channel_url("https://"), Err("invalid_url"));
    }
}
