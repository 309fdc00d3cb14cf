//! The demand ledger: a per-tenant, append-only sequence of events, each hashed over its
//! content and the previous event's hash. Verifying the chain proves it intact or names the
//! first event at which it breaks.
//!
//! The hash is unkeyed: it catches edits, deletions and insertions made by anyone who does not
//! also recompute every later hash. Rewriting the whole tail, or dropping the last events, is
//! caught only by comparing the head (`seq`, `hash`) with a copy kept elsewhere.
use std::collections::VecDeque;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub use crate::crypto_choice::HashAlgorithm;

/// What an event says, exactly as hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventContent {
    pub tenant_id: Uuid,
    /// 1-based, per tenant, no gaps.
    pub seq: i64,
    pub demand_id: Uuid,
    /// What happened: `received`, `accepted`, …
    pub kind: String,
    /// Who did it; none for the system.
    pub actor: Option<Uuid>,
    /// Hashed to the microsecond, what the database keeps.
    pub at: DateTime<Utc>,
    pub data: Value,
}

impl EventContent {
    /// The bytes the hash covers. Fixed-width fields are written as they are, the others with a
    /// length or tag in front, so the encoding is prefix-free: two different contents never give
    /// the same bytes. Object keys are sorted here, not left to `serde_json::Map`, whose order
    /// is insertion order when any crate in the build enables `preserve_order` (one does).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(self.tenant_id.as_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(self.demand_id.as_bytes());
        put(&mut out, self.kind.as_bytes());
        match self.actor {
            None => out.push(0),
            Some(actor) => {
                out.push(1);
                out.extend_from_slice(actor.as_bytes());
            }
        }
        let at = self.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        put(&mut out, at.as_bytes());
        put_json(&mut out, &self.data);
        out
    }
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// A tag byte per JSON type, then the value; containers give their item count first.
fn put_json(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(b'n'),
        Value::Bool(false) => out.push(b'f'),
        Value::Bool(true) => out.push(b't'),
        Value::Number(n) => {
            out.push(b'#');
            // -0.0 equals 0.0 as a JSON value (and PostgreSQL's numeric has no -0).
            let text = if n.as_f64() == Some(0.0) && n.is_f64() {
                "0.0".to_owned()
            } else {
                n.to_string()
            };
            put(out, text.as_bytes());
        }
        Value::String(s) => {
            out.push(b's');
            put(out, s.as_bytes());
        }
        Value::Array(items) => {
            out.push(b'a');
            out.extend_from_slice(&(items.len() as u64).to_be_bytes());
            for item in items {
                put_json(out, item);
            }
        }
        Value::Object(map) => {
            out.push(b'o');
            out.extend_from_slice(&(map.len() as u64).to_be_bytes());
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (key, item) in entries {
                put(out, key.as_bytes());
                put_json(out, item);
            }
        }
    }
}

/// Domain separation: these digests mean nothing outside the ledger.
const DOMAIN: &[u8] = b"minqing.ledger.v1\0";

/// The event's hash (lowercase hex, 64 characters): over the algorithm's name, the previous
/// event's hash (`""` for the first event) and the content.
pub fn chain_hash(alg: HashAlgorithm, prev_hash: &str, content: &EventContent) -> String {
    let mut head = Vec::with_capacity(96);
    put(&mut head, alg.as_str().as_bytes());
    put(&mut head, prev_hash.as_bytes());
    hex::encode(alg.digest(&[DOMAIN, &head, &content.canonical_bytes()]))
}

/// An event as the ledger keeps it. `algorithm` travels with each event so a tenant can switch
/// and earlier events still verify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub algorithm: HashAlgorithm,
    pub prev_hash: String,
    pub hash: String,
    pub content: EventContent,
}

impl StoredEvent {
    /// The next event: `prev_hash` is the previous event's hash, `""` for seq 1.
    pub fn chain(algorithm: HashAlgorithm, prev_hash: &str, content: EventContent) -> Self {
        Self {
            seq: content.seq,
            algorithm,
            prev_hash: prev_hash.to_owned(),
            hash: chain_hash(algorithm, prev_hash, &content),
            content,
        }
    }

    /// Its hash matches its own content, seq, algorithm and `prev_hash`.
    fn is_intact(&self) -> bool {
        self.content.seq == self.seq
            && chain_hash(self.algorithm, &self.prev_hash, &self.content) == self.hash
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainReport {
    /// Events read, including the one that revealed the break; all of them when intact.
    pub checked: u64,
    pub first_break: Option<ChainBreak>,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// The first event at which the chain breaks, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainBreak {
    pub seq: i64,
    pub kind: BreakKind,
}

/// How the chain breaks. Events are read in seq order and the first rule that fires names the
/// break; an event counts as *intact* when its stored hash matches its own content.
///
/// 1. **Inserted** at the event, if it belongs to another tenant than the first event.
/// 2. **Missing** at the event, if it is the first read and its seq is not 1, or its seq skips
///    past the previous event's + 1 (the reported seq is the one after the gap).
/// 3. **Inserted** at the event, if its seq does not exceed the previous event's (repeated).
/// 4. When its `prev_hash` is not the previous event's hash (`""` for seq 1):
///    - it is the hash of an earlier event (within the last [`LOOK_BACK`]): the events after
///      that one were slipped in between, so **Inserted** at the first of them;
///    - else, if the event is not intact: **Tampered** at it (its `prev_hash` or content was
///      edited);
///    - else, if it claims to be first (`""`) but is not, or is seq 1 yet names a predecessor:
///      **Inserted** at it;
///    - else the event is genuine and the one before it is not the event it was chained to,
///      though intact itself — forged, or edited and re-hashed, which replaces the original:
///      **Inserted** at the previous event.
/// 5. **Tampered** at the event, if it is not intact (edited without re-hashing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The stored hash does not match the event's own content.
    Tampered,
    /// An event the chain does not pass through: forged, replaced, repeated or foreign.
    Inserted,
    /// Events are gone: a gap in seq, or the chain does not start at 1.
    Missing,
}

/// How many earlier hashes rule 4 remembers, so memory stays flat on long ledgers.
pub const LOOK_BACK: usize = 1024;

/// Verifies a tenant's events, read in seq order as stored, up to the first break.
pub fn verify_chain(events: impl IntoIterator<Item = StoredEvent>) -> ChainReport {
    let mut verifier = ChainVerifier::new();
    for event in events {
        verifier.push(event);
        if verifier.first_break.is_some() {
            break;
        }
    }
    verifier.finish()
}

/// [`verify_chain`] one event at a time, for chains read page by page.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    checked: u64,
    first_break: Option<ChainBreak>,
    prev: Option<StoredEvent>,
    tenant: Option<Uuid>,
    /// (hash, seq) of the events before `prev`, newest last, at most [`LOOK_BACK`].
    earlier: VecDeque<(String, i64)>,
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next event in seq order; once the chain is broken, further events are ignored.
    pub fn push(&mut self, event: StoredEvent) {
        if self.first_break.is_some() {
            return;
        }
        self.checked += 1;
        self.first_break = find_break(&event, self.prev.as_ref(), self.tenant, &self.earlier);
        self.tenant.get_or_insert(event.content.tenant_id);
        if let Some(p) = self.prev.replace(event) {
            if self.earlier.len() == LOOK_BACK {
                self.earlier.pop_front();
            }
            self.earlier.push_back((p.hash, p.seq));
        }
    }

    /// The report so far.
    pub fn report(&self) -> ChainReport {
        ChainReport {
            checked: self.checked,
            first_break: self.first_break,
        }
    }

    pub fn finish(self) -> ChainReport {
        self.report()
    }
}

/// The rules documented on [`BreakKind`], for one event.
fn find_break(
    event: &StoredEvent,
    prev: Option<&StoredEvent>,
    tenant: Option<Uuid>,
    earlier: &VecDeque<(String, i64)>,
) -> Option<ChainBreak> {
    let at = |seq, kind| Some(ChainBreak { seq, kind });
    if tenant.is_some_and(|t| t != event.content.tenant_id) {
        return at(event.seq, BreakKind::Inserted);
    }
    match prev {
        None if event.seq != 1 => return at(event.seq, BreakKind::Missing),
        Some(p) if event.seq > p.seq.saturating_add(1) => {
            return at(event.seq, BreakKind::Missing);
        }
        Some(p) if event.seq <= p.seq => return at(event.seq, BreakKind::Inserted),
        _ => {}
    }
    let intact = event.is_intact();
    let expected = prev.map_or("", |p| p.hash.as_str());
    if event.prev_hash != expected {
        if !event.prev_hash.is_empty()
            && let Some((_, seq)) = earlier.iter().rev().find(|(h, _)| *h == event.prev_hash)
        {
            return at(seq + 1, BreakKind::Inserted);
        }
        if !intact {
            return at(event.seq, BreakKind::Tampered);
        }
        return match prev {
            Some(p) if !event.prev_hash.is_empty() => at(p.seq, BreakKind::Inserted),
            _ => at(event.seq, BreakKind::Inserted),
        };
    }
    if !intact {
        return at(event.seq, BreakKind::Tampered);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    const TENANT: Uuid = Uuid::from_u128(0x7e);

    fn content(seq: i64, data: Value) -> EventContent {
        EventContent {
            tenant_id: TENANT,
            seq,
            demand_id: Uuid::from_u128(1000 + (seq as u128) / 3),
            kind: if seq % 3 == 1 { "received" } else { "accepted" }.to_owned(),
            actor: (seq % 4 != 0).then(|| Uuid::from_u128(seq as u128)),
            at: Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap()
                + chrono::Duration::microseconds(seq * 1_000_123),
            data,
        }
    }

    /// A chain of the given data, with `alg(seq)` choosing each event's algorithm.
    fn build(data: Vec<Value>, alg: impl Fn(i64) -> HashAlgorithm) -> Vec<StoredEvent> {
        let mut events: Vec<StoredEvent> = Vec::new();
        for (i, d) in data.into_iter().enumerate() {
            let seq = i as i64 + 1;
            let prev = events.last().map_or("", |e| e.hash.as_str()).to_owned();
            events.push(StoredEvent::chain(alg(seq), &prev, content(seq, d)));
        }
        events
    }

    fn chain(n: i64, alg: impl Fn(i64) -> HashAlgorithm) -> Vec<StoredEvent> {
        let data = (1..=n)
            .map(|seq| json!({"note": format!("第{seq}次"), "n": seq, "tags": ["a", seq % 2 == 0]}))
            .collect();
        build(data, alg)
    }

    fn sha(_: i64) -> HashAlgorithm {
        HashAlgorithm::Sha256
    }

    fn broken(seq: i64, kind: BreakKind) -> Option<ChainBreak> {
        Some(ChainBreak { seq, kind })
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let events = chain(50, sha);
        assert_eq!(events[0].prev_hash, "");
        assert!(events.iter().all(|e| e.hash.len() == 64));
        let report = verify_chain(events);
        assert_eq!(report.checked, 50);
        assert_eq!(report.first_break, None);
        assert!(report.is_intact());
        assert_eq!(verify_chain(Vec::new()).checked, 0);
    }

    #[test]
    fn editing_any_field_is_tampering_at_that_event() {
        let edits: [fn(&mut StoredEvent); 9] = [
            |e| e.content.data["n"] = json!(0),
            |e| e.content.data = json!(null),
            |e| e.content.kind = "closed".to_owned(),
            |e| e.content.actor = e.content.actor.xor(Some(Uuid::from_u128(5))),
            |e| e.content.actor = Some(Uuid::from_u128(99_999)),
            |e| e.content.at += chrono::Duration::seconds(1),
            |e| e.content.demand_id = Uuid::from_u128(1),
            |e| e.algorithm = HashAlgorithm::Sm3,
            |e| e.hash = e.hash.replace(|c: char| c.is_ascii_digit(), "0"),
        ];
        for (i, edit) in edits.iter().enumerate() {
            for seq in [1, 24, 50] {
                let mut events = chain(50, sha);
                let before = events[seq - 1].clone();
                edit(&mut events[seq - 1]);
                assert_ne!(events[seq - 1], before, "edit {i} changes something");
                let report = verify_chain(events);
                assert_eq!(
                    report.first_break,
                    broken(seq as i64, BreakKind::Tampered),
                    "edit {i} at {seq}"
                );
                assert_eq!(report.checked, seq as u64);
            }
        }
    }

    #[test]
    fn editing_the_link_or_the_seq_inside_is_tampering() {
        let mut events = chain(10, sha);
        events[4].prev_hash = "00".repeat(32);
        assert_eq!(
            verify_chain(events).first_break,
            broken(5, BreakKind::Tampered)
        );
        let mut events = chain(10, sha);
        events[4].content.seq = 6;
        assert_eq!(
            verify_chain(events).first_break,
            broken(5, BreakKind::Tampered)
        );
    }

    #[test]
    fn a_removed_event_is_missing_at_the_next_seq() {
        for removed in [1, 2, 25, 49] {
            let mut events = chain(50, sha);
            events.remove(removed - 1);
            assert_eq!(
                verify_chain(events).first_break,
                broken(removed as i64 + 1, BreakKind::Missing),
                "removed {removed}"
            );
        }
        // Dropping the tail leaves a shorter, intact chain: only an anchored head catches it.
        let mut events = chain(50, sha);
        events.pop();
        assert!(verify_chain(events).is_intact());
    }

    fn forged(seq: i64, prev_hash: &str) -> StoredEvent {
        let mut c = content(seq, json!({"note": "伪造"}));
        c.kind = "closed".to_owned();
        StoredEvent::chain(HashAlgorithm::Sha256, prev_hash, c)
    }

    #[test]
    fn a_forged_event_with_a_repeated_seq_is_inserted() {
        for forged_first in [true, false] {
            let mut events = chain(50, sha);
            let fake = forged(21, &events[19].hash);
            let at = if forged_first { 20 } else { 21 };
            events.insert(at, fake);
            assert_eq!(
                verify_chain(events).first_break,
                broken(21, BreakKind::Inserted),
                "forged first: {forged_first}"
            );
        }
    }

    #[test]
    fn a_forged_event_with_the_rest_renumbered_is_inserted_at_its_seq() {
        let mut events = chain(50, sha);
        let fake = forged(21, &events[19].hash);
        for e in &mut events[20..] {
            e.seq += 1;
            e.content.seq += 1;
        }
        events.insert(20, fake);
        assert_eq!(
            verify_chain(events).first_break,
            broken(21, BreakKind::Inserted)
        );

        // Only the seq column renumbered: the same answer.
        let mut events = chain(50, sha);
        let fake = forged(21, &events[19].hash);
        for e in &mut events[20..] {
            e.seq += 1;
        }
        events.insert(20, fake);
        assert_eq!(
            verify_chain(events).first_break,
            broken(21, BreakKind::Inserted)
        );
    }

    #[test]
    fn an_edited_and_rehashed_event_is_a_replacement() {
        let mut events = chain(50, sha);
        let prev = events[29].hash.clone();
        let mut c = events[30].content.clone();
        c.data = json!({"note": "改过"});
        events[30] = StoredEvent::chain(HashAlgorithm::Sha256, &prev, c);
        assert_eq!(
            verify_chain(events).first_break,
            broken(31, BreakKind::Inserted)
        );
    }

    #[test]
    fn foreign_and_false_first_events_are_inserted() {
        let mut events = chain(10, sha);
        let mut other = events[4].content.clone();
        other.tenant_id = Uuid::from_u128(0xbad);
        events[4] = StoredEvent::chain(HashAlgorithm::Sha256, &events[3].hash.clone(), other);
        assert_eq!(
            verify_chain(events).first_break,
            broken(5, BreakKind::Inserted)
        );

        let mut events = chain(10, sha);
        events[4] = forged(5, "");
        assert_eq!(
            verify_chain(events).first_break,
            broken(5, BreakKind::Inserted)
        );

        let mut events = chain(10, sha);
        events[0] = forged(1, &"ab".repeat(32));
        assert_eq!(
            verify_chain(events).first_break,
            broken(1, BreakKind::Inserted)
        );
    }

    #[test]
    fn a_chain_not_starting_at_one_is_missing() {
        let events = chain(10, sha).split_off(3);
        assert_eq!(
            verify_chain(events).first_break,
            broken(4, BreakKind::Missing)
        );
    }

    #[test]
    fn the_verifier_takes_pages_and_stops_at_the_first_break() {
        let mut events = chain(30, sha);
        events[11].content.kind = "closed".to_owned();
        events[20].content.kind = "closed".to_owned();
        let mut verifier = ChainVerifier::new();
        for page in events.chunks(7) {
            for e in page {
                verifier.push(e.clone());
            }
        }
        let expected = ChainReport {
            checked: 12,
            first_break: broken(12, BreakKind::Tampered),
        };
        assert_eq!(verifier.report(), expected);
        assert_eq!(verifier.finish(), expected);
        assert_eq!(verify_chain(events), expected);
    }

    #[test]
    fn sm3_and_sha256_differ_and_each_verifies() {
        let c = content(1, json!({"a": 1}));
        let a = chain_hash(HashAlgorithm::Sha256, "", &c);
        let b = chain_hash(HashAlgorithm::Sm3, "", &c);
        assert_ne!(a, b);
        for h in [&a, &b] {
            assert_eq!(h.len(), 64);
            assert!(h.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
        }
        assert!(verify_chain(chain(20, sha)).is_intact());
        assert!(verify_chain(chain(20, |_| HashAlgorithm::Sm3)).is_intact());
    }

    #[test]
    fn a_chain_that_switches_algorithm_verifies() {
        let switch = |seq| {
            if seq <= 25 {
                HashAlgorithm::Sha256
            } else {
                HashAlgorithm::Sm3
            }
        };
        let events = chain(50, switch);
        assert_eq!(events[24].algorithm, HashAlgorithm::Sha256);
        assert_eq!(events[25].algorithm, HashAlgorithm::Sm3);
        assert!(verify_chain(events.clone()).is_intact());
        let mut edited = events;
        edited[40].content.kind = "closed".to_owned();
        assert_eq!(
            verify_chain(edited).first_break,
            broken(41, BreakKind::Tampered)
        );
    }

    #[test]
    fn key_order_does_not_change_the_bytes() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":null}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[1,2]},"b":1}"#).unwrap();
        assert_eq!(
            content(1, a).canonical_bytes(),
            content(1, b).canonical_bytes()
        );
    }

    #[test]
    fn different_contents_give_different_bytes() {
        let bytes = |f: &dyn Fn(&mut EventContent)| {
            let mut c = content(1, json!(null));
            f(&mut c);
            c.canonical_bytes()
        };
        let variants = [
            bytes(&|_| {}),
            bytes(&|c| c.data = json!("")),
            bytes(&|c| c.data = json!(0)),
            bytes(&|c| c.data = json!(0.0)),
            bytes(&|c| c.data = json!("0")),
            bytes(&|c| c.data = json!([])),
            bytes(&|c| c.data = json!({})),
            bytes(&|c| c.data = json!(["a", "b"])),
            bytes(&|c| c.data = json!({"a": "b"})),
            bytes(&|c| c.data = json!([["a"], "b"])),
            bytes(&|c| c.data = json!([["a", "b"]])),
            bytes(&|c| c.actor = None),
            bytes(&|c| c.actor = Some(Uuid::nil())),
            bytes(&|c| c.kind = "receivedx".to_owned()),
        ];
        for (i, a) in variants.iter().enumerate() {
            for b in &variants[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // A kind/data boundary shift cannot collide.
        let mut x = content(1, json!("d"));
        x.kind = "ab".to_owned();
        let mut y = content(1, json!("bd"));
        y.kind = "a".to_owned();
        assert_ne!(x.canonical_bytes(), y.canonical_bytes());
        // -0.0 and 0.0 are the same JSON value.
        assert_eq!(
            content(1, json!(-0.0)).canonical_bytes(),
            content(1, json!(0.0)).canonical_bytes()
        );
    }

    #[test]
    fn time_is_hashed_to_the_microsecond_in_utc() {
        let mut c = content(1, json!(null));
        c.at = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
        let bytes = c.canonical_bytes();
        let text = b"2025-03-01T08:00:00.000000Z";
        assert!(bytes.windows(text.len()).any(|w| w == text));
        let mut finer = c.clone();
        finer.at += chrono::Duration::nanoseconds(999);
        assert_eq!(finer.canonical_bytes(), bytes);
        finer.at += chrono::Duration::nanoseconds(1);
        assert_ne!(finer.canonical_bytes(), bytes);
    }

    #[test]
    fn reports_serialize_in_snake_case() {
        let report = ChainReport {
            checked: 3,
            first_break: broken(2, BreakKind::Missing),
        };
        assert_eq!(
            serde_json::to_value(report).unwrap(),
            json!({"checked": 3, "first_break": {"seq": 2, "kind": "missing"}})
        );
        assert_eq!(
            serde_json::to_value(HashAlgorithm::Sm3).unwrap(),
            json!("sm3")
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e9f64..1e9).prop_map(Value::from),
            "[a-z0-9 民情]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn build(data: Vec<Value>, sm3_from: usize) -> Vec<StoredEvent> {
        let mut events: Vec<StoredEvent> = Vec::new();
        for (i, d) in data.into_iter().enumerate() {
            let seq = i as i64 + 1;
            let alg = if i >= sm3_from {
                HashAlgorithm::Sm3
            } else {
                HashAlgorithm::Sha256
            };
            let content = EventContent {
                tenant_id: Uuid::from_u128(7),
                seq,
                demand_id: Uuid::from_u128(seq as u128 / 2),
                kind: "received".to_owned(),
                actor: None,
                at: Utc.timestamp_opt(1_740_000_000 + seq, 0).unwrap(),
                data: d,
            };
            let prev = events.last().map_or("", |e| e.hash.as_str()).to_owned();
            events.push(StoredEvent::chain(alg, &prev, content));
        }
        events
    }

    /// Reverses every object's key order; a no-op unless serde_json preserves order.
    fn reinsert_reversed(v: &Value) -> Value {
        match v {
            Value::Array(items) => Value::Array(items.iter().map(reinsert_reversed).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .rev()
                    .map(|(k, v)| (k.clone(), reinsert_reversed(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    proptest! {
        /// Changing one byte of one event's data is tampering at exactly that event. The byte
        /// changed is the first from a random position on whose change still parses, as
        /// another value (a byte of a string, a key or a number).
        #[test]
        fn any_byte_changed_in_data_is_found(
            data in prop::collection::vec(json(), 1..12),
            sm3_from in 0usize..12,
            pick in any::<prop::sample::Index>(),
            pos in any::<prop::sample::Index>(),
            byte in prop::sample::select(b"abcxyz0189\"".to_vec()),
        ) {
            let mut events = build(data, sm3_from);
            prop_assert!(verify_chain(events.clone()).is_intact());
            let i = pick.index(events.len());
            let original = events[i].content.data.clone();
            let text = serde_json::to_vec(&original).unwrap();
            let start = pos.index(text.len());
            let changed = (0..text.len()).find_map(|k| {
                let mut t = text.clone();
                t[(start + k) % text.len()] = byte;
                serde_json::from_slice::<Value>(&t).ok().filter(|v| *v != original)
            });
            if let Some(changed) = changed {
                events[i].content.data = changed;
                let found = verify_chain(events).first_break.expect("a break");
                prop_assert!(found.seq <= i as i64 + 1);
                prop_assert_eq!(found, ChainBreak { seq: i as i64 + 1, kind: BreakKind::Tampered });
            }
        }

        /// Any other data in one event is tampering at exactly that event.
        #[test]
        fn any_other_data_is_found(
            data in prop::collection::vec(json(), 1..12),
            pick in any::<prop::sample::Index>(),
            other in json(),
        ) {
            let mut events = build(data, 6);
            let i = pick.index(events.len());
            prop_assume!(other != events[i].content.data);
            events[i].content.data = other;
            prop_assert_eq!(
                verify_chain(events).first_break,
                Some(ChainBreak { seq: i as i64 + 1, kind: BreakKind::Tampered })
            );
        }

        /// Data kept as JSON text and read back hashes the same (floats included).
        #[test]
        fn data_survives_the_text_round_trip(
            data in json(),
            floats in prop::collection::vec(any::<f64>().prop_filter("finite", |f| f.is_finite()), 0..8),
        ) {
            let data = Value::Array(vec![data, Value::from(floats)]);
            let read_back: Value = serde_json::from_str(&data.to_string()).unwrap();
            let a = build(vec![data], 1);
            let b = build(vec![read_back], 1);
            prop_assert_eq!(&a[0].hash, &b[0].hash);
        }

        /// The bytes depend on the keys, never on the order they were inserted in.
        #[test]
        fn canonical_bytes_ignore_key_order(data in json()) {
            let a = build(vec![data.clone()], 1);
            let b = build(vec![reinsert_reversed(&data)], 1);
            prop_assert_eq!(&a[0].hash, &b[0].hash);
        }
    }
}
