//! Demands (诉求): the programme's words for one matter a resident raises, and the pure rules
//! that govern it — its lifecycle (`lifecycle`), where it is handled (`routing`), and the
//! deadlines it runs against (`deadline`).
use serde::{Deserialize, Serialize};

pub mod attachment;
pub mod deadline;
pub mod intake;
pub mod lifecycle;
pub mod rating;
pub mod routing;
pub mod sweep;

/// 急 / 愁 / 难 / 盼: how hard the matter is, which decides the tier that must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 急: daily-life needs, neighbour disputes — street/township and community level.
    Urgent,
    /// 愁: what the community cannot solve — county/district level.
    Worrying,
    /// 难: what the county cannot solve — coordinated by the city.
    Hard,
    /// 盼: long-hoped-for improvements — coordinated by the city.
    HopedFor,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::Urgent, Grade::Worrying, Grade::Hard, Grade::HopedFor];

    pub fn as_str(&self) -> &'static str {
        match self {
            Grade::Urgent => "urgent",
            Grade::Worrying => "worrying",
            Grade::Hard => "hard",
            Grade::HopedFor => "hoped_for",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == raw)
            .ok_or("invalid_grade")
    }

    /// (zh, en)
    pub fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Grade::Urgent => ("急", "Urgent"),
            Grade::Worrying => ("愁", "Worrying"),
            Grade::Hard => ("难", "Hard"),
            Grade::HopedFor => ("盼", "Hoped-for"),
        }
    }
}

/// How the demand reached the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Raised at a leader's visit (家访).
    Visit,
    /// Walk-in at a workroom (工作室/接待室).
    WalkIn,
    /// In-home interview (入户访谈).
    Interview,
    /// The public online form.
    Online,
    /// A hotline (e.g. 12345) or another system through the API.
    Hotline,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Visit,
        Channel::WalkIn,
        Channel::Interview,
        Channel::Online,
        Channel::Hotline,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::Visit => "visit",
            Channel::WalkIn => "walk_in",
            Channel::Interview => "interview",
            Channel::Online => "online",
            Channel::Hotline => "hotline",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == raw)
            .ok_or("invalid_channel")
    }

    /// (zh, en)
    pub fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Channel::Visit => ("家访", "Visit"),
            Channel::WalkIn => ("来访", "Walk-in"),
            Channel::Interview => ("入户访谈", "In-home interview"),
            Channel::Online => ("网上", "Online"),
            Channel::Hotline => ("热线", "Hotline"),
        }
    }
}

/// Who gave a rating: the resident on their receipt page, or on a follow-up call (回访)
/// recorded by a reviewer outside the handling unit. Ratings recorded before this was kept
/// name none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RatingChannel {
    /// 群众评价: the resident, with their receipt code.
    Resident,
    /// 电话回访: a reviewer's follow-up call.
    FollowUpCall,
}

/// The resident's rating when the demand is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意: reopens the demand.
    Unsatisfied,
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 3] = [
        Satisfaction::Satisfied,
        Satisfaction::BasicallySatisfied,
        Satisfaction::Unsatisfied,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Unsatisfied => "unsatisfied",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or("invalid_satisfaction")
    }

    /// (zh, en)
    pub fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Satisfaction::Satisfied => ("满意", "Satisfied"),
            Satisfaction::BasicallySatisfied => ("基本满意", "Basically satisfied"),
            Satisfaction::Unsatisfied => ("不满意", "Unsatisfied"),
        }
    }
}

/// The default category taxonomy a tenant starts with: (key, zh, en).
pub const DEFAULT_CATEGORIES: [(&str, &str, &str); 9] = [
    ("daily_life", "生活服务", "Daily life"),
    ("neighbour_dispute", "邻里纠纷", "Neighbour dispute"),
    ("elder_care", "养老服务", "Elder care"),
    ("sanitation", "环境卫生", "Sanitation"),
    ("infrastructure", "基础设施", "Infrastructure"),
    ("safety", "治安安全", "Safety"),
    ("employment", "就业创业", "Employment"),
    ("housing", "住房保障", "Housing"),
    ("other", "其他", "Other"),
];

/// A category key: lowercase ASCII letters, digits and `_`, 1–40 long, so it is stable in URLs,
/// exports and Open311 service codes.
pub fn parse_category_key(raw: &str) -> Result<String, &'static str> {
    let key = raw.trim();
    let ok = !key.is_empty()
        && key.len() <= 40
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(key.to_owned())
    } else {
        Err("invalid_category_key")
    }
}

/// The receipt code a resident follows the demand by: 12 characters from an alphabet without
/// look-alikes (no 0/O, 1/I/L), grouped `XXXX-XXXX-XXXX` for reading out on the phone.
/// `random` supplies at least 12 random bytes; ~60 bits make guessing another code hopeless.
pub fn receipt_code(random: &[u8]) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let chars: Vec<u8> = random
        .iter()
        .take(12)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()])
        .collect();
    format!(
        "{}-{}-{}",
        std::str::from_utf8(&chars[0..4]).unwrap_or_default(),
        std::str::from_utf8(&chars[4..8]).unwrap_or_default(),
        std::str::from_utf8(&chars[8..12]).unwrap_or_default()
    )
}

/// Reads a receipt code as a resident may type it: any case, with or without dashes/spaces.
pub fn parse_receipt_code(raw: &str) -> Result<String, &'static str> {
    let chars: Vec<char> = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != 12 || !chars.iter().all(|c| c.is_ascii_alphanumeric()) {
        return Err("invalid_receipt_code");
    }
    let s: String = chars.into_iter().collect();
    Ok(format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_through_their_codes() {
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.as_str()), Ok(g));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Ok(c));
        }
        for s in Satisfaction::ALL {
            assert_eq!(Satisfaction::parse(s.as_str()), Ok(s));
        }
        assert_eq!(Grade::parse("urgentish"), Err("invalid_grade"));
        assert_eq!(Grade::Urgent.labels().0, "急");
        assert_eq!(
            serde_json::to_string(&Grade::HopedFor).unwrap(),
            "\"hoped_for\""
        );
    }

    #[test]
    fn category_keys_are_url_safe() {
        assert_eq!(parse_category_key(" elder_care "), Ok("elder_care".into()));
        assert_eq!(parse_category_key("Elder"), Err("invalid_category_key"));
        assert_eq!(parse_category_key(""), Err("invalid_category_key"));
        for (key, _, _) in DEFAULT_CATEGORIES {
            assert!(parse_category_key(key).is_ok());
        }
    }

    #[test]
    fn receipt_codes_avoid_look_alikes_and_read_back_as_typed() {
        let code = receipt_code(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
        assert_eq!(code.len(), 14);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(parse_receipt_code(&typed), Ok(code));
        assert_eq!(parse_receipt_code("ABC"), Err("invalid_receipt_code"));
    }
}
