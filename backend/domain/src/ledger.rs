//! The demand ledger: a per-tenant, append-only sequence of events, each hashed over its
//! content and the previous event's hash. Verifying the chain proves it intact or names every
//! event at which it breaks: tampered, inserted or missing.
//!
//! The hash is unkeyed: it catches edits, deletions and insertions made by anyone who does not
//! also recompute every later hash. Rewriting the whole tail, or dropping the last events, is
//! caught only by comparing the head (`seq`, `hash`) with a copy kept elsewhere.
use std::collections::{HashSet, VecDeque};

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

    /// The hash recomputed from what the row says: its algorithm, `prev_hash` and content.
    fn recomputed_hash(&self) -> String {
        chain_hash(self.algorithm, &self.prev_hash, &self.content)
    }
}

/// At most this many breaks are listed in a [`ChainReport`]; `break_count` counts them all.
pub const BREAKS_LISTED: usize = 1_000;

/// A chain's verdict: every break found, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainReport {
    /// Events read: all of them, breaks or not.
    pub checked: u64,
    /// The breaks in seq order, at most [`BREAKS_LISTED`] (the first ones).
    pub breaks: Vec<ChainBreak>,
    /// How many breaks there are, listed or not.
    pub break_count: u64,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.break_count == 0
    }
}

/// An event at which the chain breaks, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainBreak {
    pub seq: i64,
    /// The demand the event is about. None for a missing event, which is gone: the database
    /// names its demand only where the event was that demand's last.
    pub demand_id: Option<Uuid>,
    pub kind: BreakKind,
}

/// How the chain breaks at a seq. Events are read in seq order, the events of one seq
/// together; an event is *intact* when its stored hash matches its own seq and content, and
/// *names* an event when its `prev_hash` is that event's stored or recomputed hash (an event
/// whose hash alone was edited is still named by its successor).
///
/// - **Missing**: no event has the seq, though a later one does (or the head names it). Each
///   missing seq is a break of its own.
/// - **Inserted**: the event is not the one the chain passes through at its seq:
///   - it belongs to another tenant than the first event, or its stored hash repeats an
///     earlier event's (a copy);
///   - it is intact yet claims to be first (`prev_hash` `""`) at a seq after 1, or names a
///     predecessor at seq 1;
///   - it is intact but does not name the event before it (when that one is intact);
///   - an intact event of the next seq (or the head, for the last seq) names another event,
///     or a hash no event has: the event was forged or replaced (an original edited and
///     re-hashed leaves its successor naming the original);
///   - an event after it names the event before it (or an earlier one, within the last
///     [`LOOK_BACK`]): it was slipped in between;
///   - another event holds its seq (a repeated seq: the one the next seq names holds it);
///   - it comes after the head (seq and hash of the last append, kept apart from the
///     events) while the head names an event the chain holds: appended behind the
///     application's back.
/// - **Tampered**: the event holds its seq but is not intact (edited without re-hashing: its
///   content, seq, algorithm, `prev_hash` or hash). When the head names no event of the
///   chain and events follow the head's seq, the last event is tampered (the head and the
///   chain's end disagree).
///
/// Past a break the verifier goes on: the event holding a seq, intact or not, is what the
/// next seq is checked against; after a missing seq or an inserted event the next event's
/// link cannot be checked, only its own hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The event's stored hash does not match its own content: edited.
    Tampered,
    /// An event the chain does not pass through: forged, replaced, copied, repeated or
    /// foreign.
    Inserted,
    /// The event is gone: a gap in seq, a chain not starting at 1, or the head naming events
    /// after the last.
    Missing,
}

/// How many earlier seqs the verifier remembers (for copies and events slipped in), so
/// memory stays flat on long ledgers.
pub const LOOK_BACK: usize = 1024;

/// Verifies a tenant's events, read in seq order as stored, to the end.
pub fn verify_chain(events: impl IntoIterator<Item = StoredEvent>) -> ChainReport {
    let mut verifier = ChainVerifier::new();
    for event in events {
        verifier.push(event);
    }
    verifier.finish()
}

/// An event read, with its recomputed hash.
#[derive(Debug)]
struct Candidate {
    event: StoredEvent,
    recomputed: String,
    intact: bool,
}

impl Candidate {
    fn new(event: StoredEvent) -> Self {
        let recomputed = event.recomputed_hash();
        let intact = event.content.seq == event.seq && recomputed == event.hash;
        Self {
            event,
            recomputed,
            intact,
        }
    }

    /// `hash` is this event's, stored or recomputed.
    fn is_named_by(&self, hash: &str) -> bool {
        self.event.hash == hash || self.recomputed == hash
    }
}

/// What a resolved seq leaves for the seqs after it.
#[derive(Debug)]
struct Slot {
    seq: i64,
    /// Stored and recomputed hash of the event holding the seq; empty when none holds it.
    hashes: Vec<String>,
    /// The holder is intact: a successor naming neither of its hashes is not chained to it.
    clean: bool,
    /// The holder's demand, for a break found later (events slipped in).
    demand_id: Option<Uuid>,
    /// A break was reported at this seq.
    broken: bool,
}

/// What comes after the seq being resolved: the next seq's events, or the head.
enum Next<'a> {
    Nothing,
    Events(&'a [Candidate]),
    Head(&'a str),
}

/// [`verify_chain`] one event at a time, for chains read page by page. Each seq is decided
/// once the next seq's events are read (they say which event holds it), so two seqs of
/// events are held at a time.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    checked: u64,
    breaks: Vec<ChainBreak>,
    break_count: u64,
    tenant: Option<Uuid>,
    /// The chain's head as kept apart from the events: the last append's seq and hash.
    head: Option<(i64, String)>,
    /// The event holding the head's seq has the head's hash.
    head_matches: bool,
    /// The events of the seq before `reading`, waiting for `reading` to be complete.
    waiting: Vec<Candidate>,
    reading: Vec<Candidate>,
    /// The last seq resolved (0 before any).
    last_seq: i64,
    /// Resolved seqs, newest last, at most [`LOOK_BACK`].
    slots: VecDeque<Slot>,
    /// Stored hashes of the events of the resolved seqs in `slots`, to find copies.
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// A verifier that also checks the chain ends where its head says: `seq` (0 before the
    /// first event) with `hash`.
    pub fn with_head(seq: i64, hash: impl Into<String>) -> Self {
        Self {
            head: Some((seq, hash.into())),
            ..Self::default()
        }
    }

    /// Reads the next event in seq order.
    pub fn push(&mut self, event: StoredEvent) {
        self.checked += 1;
        self.tenant.get_or_insert(event.content.tenant_id);
        let candidate = Candidate::new(event);
        match self.reading.first().map(|c| c.event.seq) {
            Some(seq) if candidate.event.seq == seq => self.reading.push(candidate),
            // Out of seq order, or before the first seq: it cannot hold a place in the chain.
            Some(seq) if candidate.event.seq < seq => self.reject(&candidate),
            _ if candidate.event.seq < 1 => self.reject(&candidate),
            _ => {
                let read = std::mem::replace(&mut self.reading, vec![candidate]);
                let older = std::mem::take(&mut self.waiting);
                if !older.is_empty() {
                    self.resolve(older, Next::Events(&read));
                }
                self.waiting = read;
            }
        }
    }

    /// The verdict over every event read (and the head, if given).
    pub fn finish(mut self) -> ChainReport {
        let waiting = std::mem::take(&mut self.waiting);
        let reading = std::mem::take(&mut self.reading);
        if !waiting.is_empty() {
            self.resolve(waiting, Next::Events(&reading));
        }
        if let Some(seq) = reading.first().map(|c| c.event.seq) {
            let head = self.head.clone();
            let next = match &head {
                Some((head_seq, hash)) if *head_seq == seq => Next::Head(hash),
                _ => Next::Nothing,
            };
            self.resolve(reading, next);
        }
        if let Some((head_seq, _)) = self.head {
            if head_seq > self.last_seq {
                self.record_missing(self.last_seq + 1, head_seq);
            } else if head_seq < self.last_seq
                && !self.head_matches
                && self.slots.back().is_some_and(|s| !s.broken)
            {
                let demand = self.slots.back().and_then(|s| s.demand_id);
                self.record(self.last_seq, demand, BreakKind::Tampered);
            }
        }
        ChainReport {
            checked: self.checked,
            breaks: self.breaks,
            break_count: self.break_count,
        }
    }

    /// Decides the events of one seq, given what follows it; the rules are on [`BreakKind`].
    fn resolve(&mut self, group: Vec<Candidate>, next: Next<'_>) {
        let seq = group[0].event.seq;
        if seq - 1 > self.last_seq {
            self.record_missing(self.last_seq + 1, seq - 1);
        }
        let before = self
            .slots
            .back()
            .filter(|s| s.seq == seq - 1)
            .map(|s| (s.hashes.clone(), s.clean));
        let beyond_head = self.head_matches && self.head.as_ref().is_some_and(|(h, _)| seq > *h);
        let group_hashes: Vec<&str> = group.iter().map(|c| c.event.hash.as_str()).collect();
        let is_copy = |hashes: &[&str], i: usize| {
            self.seen.contains(hashes[i]) || hashes[..i].contains(&hashes[i])
        };
        let foreign = |c: &Candidate| self.tenant.is_some_and(|t| t != c.event.content.tenant_id);
        // The next seq's events that may speak for this one: not copies, not foreign.
        let witnesses: Vec<&Candidate> = match next {
            Next::Events(events) if events.first().is_some_and(|e| e.event.seq - 1 == seq) => {
                let hashes: Vec<&str> = events.iter().map(|c| c.event.hash.as_str()).collect();
                events
                    .iter()
                    .enumerate()
                    .filter(|(i, c)| {
                        !foreign(c) && !is_copy(&hashes, *i) && !group_hashes.contains(&hashes[*i])
                    })
                    .map(|(_, c)| c)
                    .collect()
            }
            _ => Vec::new(),
        };

        struct Judged {
            excluded: bool,
            linked: Option<bool>,
            named: Option<bool>,
        }
        let judged: Vec<Judged> = group
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let prev_hash = c.event.prev_hash.as_str();
                let false_first = c.intact && ((seq == 1) != prev_hash.is_empty());
                let linked = if seq == 1 {
                    Some(prev_hash.is_empty())
                } else {
                    match &before {
                        Some((hashes, _)) if hashes.iter().any(|h| h == prev_hash) => Some(true),
                        Some((hashes, true)) if !hashes.is_empty() => Some(false),
                        _ => None,
                    }
                };
                let named = match next {
                    Next::Head(hash) => Some(c.is_named_by(hash)),
                    _ if witnesses.iter().any(|w| c.is_named_by(&w.event.prev_hash)) => Some(true),
                    _ if witnesses
                        .iter()
                        .any(|w| w.intact && !w.event.prev_hash.is_empty()) =>
                    {
                        Some(false)
                    }
                    _ => None,
                };
                Judged {
                    excluded: foreign(c) || is_copy(&group_hashes, i) || false_first,
                    linked,
                    named,
                }
            })
            .collect();

        // The event holding the seq: an intact one the chain passes through, the one the next
        // seq names first; else an edited one, the one the next seq names first.
        let holds_intact = |(c, j): &(&Candidate, &Judged)| {
            !j.excluded
                && c.intact
                && j.linked != Some(false)
                && j.named != Some(false)
                && !beyond_head
        };
        let holds_edited = |(c, j): &(&Candidate, &Judged)| {
            let after_head_unlinked = beyond_head && j.linked != Some(true);
            !(j.excluded || c.intact || after_head_unlinked)
        };
        let rank = |j: &Judged| match j.named {
            Some(true) => 0,
            None => 1,
            Some(false) => 2,
        };
        let pairs: Vec<(&Candidate, &Judged)> = group.iter().zip(&judged).collect();
        let best = |eligible: &dyn Fn(&(&Candidate, &Judged)) -> bool| {
            pairs
                .iter()
                .enumerate()
                .filter(|(_, p)| eligible(p))
                .min_by_key(|(_, (_, j))| rank(j))
                .map(|(i, _)| i)
        };
        let holder = best(&holds_intact).or_else(|| best(&holds_edited));

        // Events after this seq's predecessor that name an earlier event: those between were
        // slipped in.
        let slipped_from = (seq > 1)
            .then(|| {
                pairs.iter().find_map(|(c, j)| {
                    let prev_hash = c.event.prev_hash.as_str();
                    if j.excluded || j.linked == Some(true) || prev_hash.is_empty() {
                        return None;
                    }
                    self.slots
                        .iter()
                        .rev()
                        .filter(|s| s.seq < seq - 1)
                        .find(|s| s.hashes.iter().any(|h| h == prev_hash))
                        .map(|s| s.seq)
                })
            })
            .flatten();

        let mut found: Vec<(i64, Option<Uuid>, BreakKind)> = Vec::new();
        for (i, c) in group.iter().enumerate() {
            let demand = Some(c.event.content.demand_id);
            if Some(i) != holder {
                found.push((seq, demand, BreakKind::Inserted));
            } else if !c.intact {
                found.push((seq, demand, BreakKind::Tampered));
            }
        }
        if let Some(from) = slipped_from {
            for slot in self
                .slots
                .iter_mut()
                .filter(|s| s.seq > from && s.seq < seq)
            {
                if !slot.broken && !slot.hashes.is_empty() {
                    slot.broken = true;
                    found.push((slot.seq, slot.demand_id, BreakKind::Inserted));
                }
            }
        }
        let held = holder.map(|i| &group[i]);
        if self.head.as_ref().is_some_and(|(h, _)| *h == seq) {
            let head_hash = self.head.as_ref().map(|(_, h)| h.as_str());
            self.head_matches = held.is_some_and(|c| Some(c.event.hash.as_str()) == head_hash);
        }
        let slot = Slot {
            seq,
            hashes: held.map_or_else(Vec::new, |c| {
                vec![c.event.hash.clone(), c.recomputed.clone()]
            }),
            clean: held.is_some_and(|c| c.intact),
            demand_id: held.map(|c| c.event.content.demand_id),
            broken: found.iter().any(|(s, _, _)| *s == seq),
        };
        for (s, demand, kind) in found {
            self.record(s, demand, kind);
        }
        if self.slots.len() == LOOK_BACK {
            self.slots.pop_front();
        }
        self.slots.push_back(slot);
        for c in group {
            if self.seen_order.len() == LOOK_BACK
                && let Some(old) = self.seen_order.pop_front()
            {
                self.seen.remove(&old);
            }
            if self.seen.insert(c.event.hash.clone()) {
                self.seen_order.push_back(c.event.hash);
            }
        }
        self.last_seq = seq;
    }

    fn reject(&mut self, c: &Candidate) {
        let demand = Some(c.event.content.demand_id);
        self.record(c.event.seq, demand, BreakKind::Inserted);
    }

    /// Counts a break and lists it if it is among the first [`BREAKS_LISTED`] by seq.
    fn record(&mut self, seq: i64, demand_id: Option<Uuid>, kind: BreakKind) {
        self.break_count += 1;
        if self.breaks.len() == BREAKS_LISTED && self.breaks.last().is_some_and(|b| b.seq <= seq) {
            return;
        }
        let at = self.breaks.partition_point(|b| b.seq <= seq);
        self.breaks.insert(
            at,
            ChainBreak {
                seq,
                demand_id,
                kind,
            },
        );
        self.breaks.truncate(BREAKS_LISTED);
    }

    /// Seqs `from..=to` are missing; they come after every break already found.
    fn record_missing(&mut self, from: i64, to: i64) {
        let mut seq = from;
        while seq <= to && self.breaks.len() < BREAKS_LISTED {
            self.record(seq, None, BreakKind::Missing);
            seq += 1;
        }
        if seq <= to {
            self.break_count += (to - seq + 1) as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    const TENANT: Uuid = Uuid::from_u128(0x7e);
    const FORGER: Uuid = Uuid::from_u128(0xf0f0);

    fn demand(seq: i64) -> Uuid {
        Uuid::from_u128(1000 + (seq as u128) / 3)
    }

    fn content(seq: i64, data: Value) -> EventContent {
        EventContent {
            tenant_id: TENANT,
            seq,
            demand_id: demand(seq),
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

    /// A break at an event of the chain built above (its demand) or, when missing, none.
    fn at(seq: i64, kind: BreakKind) -> ChainBreak {
        ChainBreak {
            seq,
            demand_id: (kind != BreakKind::Missing).then(|| demand(seq)),
            kind,
        }
    }

    /// A break at the forger's event.
    fn forged_at(seq: i64) -> ChainBreak {
        ChainBreak {
            seq,
            demand_id: Some(FORGER),
            kind: BreakKind::Inserted,
        }
    }

    fn breaks(events: Vec<StoredEvent>) -> Vec<ChainBreak> {
        let report = verify_chain(events);
        assert_eq!(report.break_count, report.breaks.len() as u64);
        report.breaks
    }

    /// The verdict with the head the untouched chain of `n` events left.
    fn breaks_to_head(events: Vec<StoredEvent>, head: (i64, &str)) -> Vec<ChainBreak> {
        let mut verifier = ChainVerifier::with_head(head.0, head.1);
        for e in events {
            verifier.push(e);
        }
        verifier.finish().breaks
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let events = chain(50, sha);
        assert_eq!(events[0].prev_hash, "");
        assert!(events.iter().all(|e| e.hash.len() == 64));
        let head = events[49].hash.clone();
        let report = verify_chain(events.clone());
        assert_eq!(report.checked, 50);
        assert_eq!(report.breaks, []);
        assert_eq!(report.break_count, 0);
        assert!(report.is_intact());
        assert_eq!(breaks_to_head(events, (50, &head)), []);
        assert!(verify_chain(Vec::new()).is_intact());
        assert_eq!(verify_chain(Vec::new()).checked, 0);
        assert_eq!(breaks_to_head(Vec::new(), (0, "")), []);
    }

    #[test]
    fn editing_any_field_is_tampering_at_that_event_only() {
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
                let head = events[49].hash.clone();
                let before = events[seq - 1].clone();
                edit(&mut events[seq - 1]);
                assert_ne!(events[seq - 1], before, "edit {i} changes something");
                let mut expected = at(seq as i64, BreakKind::Tampered);
                expected.demand_id = Some(events[seq - 1].content.demand_id);
                let report = verify_chain(events.clone());
                assert_eq!(report.breaks, [expected], "edit {i} at {seq}");
                assert_eq!(report.checked, 50);
                assert_eq!(
                    breaks_to_head(events, (50, &head)),
                    [expected],
                    "edit {i} at {seq}, with the head"
                );
            }
        }
    }

    #[test]
    fn editing_the_link_or_the_seq_inside_is_tampering() {
        let mut events = chain(10, sha);
        events[4].prev_hash = "00".repeat(32);
        assert_eq!(breaks(events), [at(5, BreakKind::Tampered)]);
        let mut events = chain(10, sha);
        events[4].content.seq = 6;
        assert_eq!(breaks(events), [at(5, BreakKind::Tampered)]);
    }

    #[test]
    fn a_removed_event_is_missing_at_its_own_seq() {
        for removed in [1, 2, 25, 49] {
            let mut events = chain(50, sha);
            events.remove(removed - 1);
            assert_eq!(
                breaks(events),
                [at(removed as i64, BreakKind::Missing)],
                "removed {removed}"
            );
        }
        let mut events = chain(50, sha);
        events.drain(9..14);
        let gap: Vec<_> = (10..=14).map(|s| at(s, BreakKind::Missing)).collect();
        assert_eq!(breaks(events), gap);
        // Dropping the tail leaves a shorter, intact chain: only the head catches it.
        let mut events = chain(50, sha);
        let head = events[49].hash.clone();
        events.truncate(47);
        assert!(verify_chain(events.clone()).is_intact());
        assert_eq!(
            breaks_to_head(events, (50, &head)),
            [48, 49, 50].map(|s| at(s, BreakKind::Missing))
        );
    }

    #[test]
    fn an_edited_event_and_a_removed_one_are_both_named() {
        let mut events = chain(30, sha);
        events[6].content.data = json!({"note": "改过"});
        events.remove(19);
        assert_eq!(
            breaks(events),
            [at(7, BreakKind::Tampered), at(20, BreakKind::Missing)]
        );
        // Side by side, in either order.
        let mut events = chain(30, sha);
        events[6].content.data = json!({"note": "改过"});
        events.remove(7);
        assert_eq!(
            breaks(events),
            [at(7, BreakKind::Tampered), at(8, BreakKind::Missing)]
        );
        let mut events = chain(30, sha);
        events[7].content.data = json!({"note": "改过"});
        events.remove(6);
        assert_eq!(
            breaks(events),
            [at(7, BreakKind::Missing), at(8, BreakKind::Tampered)]
        );
    }

    fn forged(seq: i64, prev_hash: &str) -> StoredEvent {
        let mut c = content(seq, json!({"note": "伪造"}));
        c.kind = "closed".to_owned();
        c.demand_id = FORGER;
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
                breaks(events),
                [forged_at(21)],
                "forged first: {forged_first}"
            );
        }
        // At the end of the chain, the head says which one it holds.
        for forged_first in [true, false] {
            let mut events = chain(50, sha);
            let head = events[49].hash.clone();
            let fake = forged(50, &events[48].hash);
            events.insert(if forged_first { 49 } else { 50 }, fake);
            assert_eq!(breaks_to_head(events, (50, &head)), [forged_at(50)]);
        }
    }

    #[test]
    fn a_forged_event_with_the_rest_renumbered_is_inserted_at_its_seq() {
        // Every renumbered event is an edited one.
        let renumbered = |from: i64| {
            (from..=51).map(|s| ChainBreak {
                seq: s,
                demand_id: Some(demand(s - 1)),
                kind: BreakKind::Tampered,
            })
        };
        let mut events = chain(50, sha);
        let fake = forged(21, &events[19].hash);
        for e in &mut events[20..] {
            e.seq += 1;
            e.content.seq += 1;
        }
        events.insert(20, fake);
        let expected: Vec<_> = std::iter::once(forged_at(21))
            .chain(renumbered(22))
            .collect();
        assert_eq!(breaks(events), expected);

        // Only the seq column renumbered: the same answer.
        let mut events = chain(50, sha);
        let fake = forged(21, &events[19].hash);
        for e in &mut events[20..] {
            e.seq += 1;
        }
        events.insert(20, fake);
        assert_eq!(breaks(events), expected);

        // Two slipped in.
        let mut events = chain(50, sha);
        let first = forged(21, &events[19].hash);
        let second = forged(22, &first.hash);
        for e in &mut events[20..] {
            e.seq += 2;
            e.content.seq += 2;
        }
        events.splice(20..20, [first, second]);
        let report = verify_chain(events);
        let mut expected = vec![forged_at(21), forged_at(22)];
        expected.extend((23..=52).map(|s| ChainBreak {
            seq: s,
            demand_id: Some(demand(s - 2)),
            kind: BreakKind::Tampered,
        }));
        assert_eq!(report.breaks, expected);
    }

    #[test]
    fn an_edited_and_rehashed_event_is_a_replacement() {
        for replaced in [1, 31, 50] {
            let mut events = chain(50, sha);
            let head = events[49].hash.clone();
            let i = replaced - 1;
            let prev = if i == 0 {
                String::new()
            } else {
                events[i - 1].hash.clone()
            };
            let mut c = events[i].content.clone();
            c.data = json!({"note": "改过"});
            events[i] = StoredEvent::chain(HashAlgorithm::Sha256, &prev, c);
            let expected = [at(replaced as i64, BreakKind::Inserted)];
            assert_eq!(breaks_to_head(events.clone(), (50, &head)), expected);
            if replaced != 50 {
                assert_eq!(breaks(events), expected, "replaced {replaced}");
            }
        }
    }

    #[test]
    fn foreign_and_false_first_events_are_inserted() {
        let mut events = chain(10, sha);
        let mut other = events[4].content.clone();
        other.tenant_id = Uuid::from_u128(0xbad);
        events[4] = StoredEvent::chain(HashAlgorithm::Sha256, &events[3].hash.clone(), other);
        assert_eq!(breaks(events), [at(5, BreakKind::Inserted)]);

        let mut events = chain(10, sha);
        events[4] = forged(5, "");
        assert_eq!(breaks(events), [forged_at(5)]);

        let mut events = chain(10, sha);
        events[0] = forged(1, &"ab".repeat(32));
        assert_eq!(breaks(events), [forged_at(1)]);

        // Before the first seq, or out of seq order: no place in the chain.
        let mut events = chain(10, sha);
        events.insert(0, forged(0, ""));
        let late = forged(4, &events[3].hash);
        events.insert(7, late);
        assert_eq!(breaks(events), [forged_at(0), forged_at(4)]);
    }

    #[test]
    fn a_chain_not_starting_at_one_is_missing_its_first_events() {
        let events = chain(10, sha).split_off(3);
        assert_eq!(breaks(events), [1, 2, 3].map(|s| at(s, BreakKind::Missing)));
    }

    #[test]
    fn events_after_the_head_and_a_head_that_names_none() {
        let events = chain(20, sha);
        let head = events[19].hash.clone();
        // Appended behind the application's back, chained properly: the head did not move.
        let mut appended = events.clone();
        appended.push(forged(21, &head));
        assert!(verify_chain(appended.clone()).is_intact());
        assert_eq!(breaks_to_head(appended, (20, &head)), [forged_at(21)]);
        // An event copied to the end (its seq the next free one): a copy.
        let mut copied = events.clone();
        let mut copy = copied[9].clone();
        copy.seq = 21;
        copy.content.seq = 21;
        copied.push(copy);
        let copy_at = ChainBreak {
            seq: 21,
            demand_id: Some(demand(10)),
            kind: BreakKind::Inserted,
        };
        assert_eq!(breaks(copied.clone()), [copy_at]);
        assert_eq!(breaks_to_head(copied, (20, &head)), [copy_at]);
        // A head that names no event of the chain: the chain's end and the head disagree.
        assert_eq!(
            breaks_to_head(events.clone(), (0, "")),
            [at(20, BreakKind::Tampered)]
        );
        assert_eq!(
            breaks_to_head(events.clone(), (20, &"cd".repeat(32))),
            [at(20, BreakKind::Inserted)]
        );
        assert_eq!(
            breaks_to_head(Vec::new(), (2, "x")),
            [1, 2].map(|s| at(s, BreakKind::Missing))
        );
    }

    #[test]
    fn the_verifier_takes_pages_and_goes_on_past_every_break() {
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
            checked: 30,
            breaks: vec![at(12, BreakKind::Tampered), at(21, BreakKind::Tampered)],
            break_count: 2,
        };
        assert_eq!(verifier.finish(), expected);
        assert_eq!(verify_chain(events), expected);
    }

    #[test]
    fn the_list_of_breaks_is_capped_and_counts_the_rest() {
        let mut events = chain(3_000, sha);
        for e in events.iter_mut().step_by(2) {
            e.content.kind = "closed".to_owned();
        }
        let report = verify_chain(events);
        assert_eq!(report.checked, 3_000);
        assert_eq!(report.break_count, 1_500);
        assert_eq!(report.breaks.len(), BREAKS_LISTED);
        let seqs: Vec<i64> = report.breaks.iter().map(|b| b.seq).collect();
        let first: Vec<i64> = (0..BREAKS_LISTED as i64).map(|i| 2 * i + 1).collect();
        assert_eq!(seqs, first);
        // A chain that starts a billion events in: counted, not listed one by one.
        let mut late = forged(1_000_000_000, "");
        late.prev_hash = "ab".repeat(32);
        late.hash = late.recomputed_hash();
        let report = verify_chain([late]);
        assert_eq!(report.break_count, 999_999_999);
        assert_eq!(report.breaks.len(), BREAKS_LISTED);
        assert_eq!(report.breaks[999], at(1_000, BreakKind::Missing));
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
        assert_eq!(breaks(edited), [at(41, BreakKind::Tampered)]);
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
            breaks: vec![at(2, BreakKind::Missing), at(3, BreakKind::Tampered)],
            break_count: 2,
        };
        assert_eq!(
            serde_json::to_value(report).unwrap(),
            json!({"checked": 3, "breaks": [
                {"seq": 2, "demand_id": null, "kind": "missing"},
                {"seq": 3, "demand_id": demand(3), "kind": "tampered"},
            ], "break_count": 2})
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
                let seq = i as i64 + 1;
                let demand_id = Some(events[i].content.demand_id);
                prop_assert_eq!(
                    verify_chain(events).breaks,
                    vec![ChainBreak { seq, demand_id, kind: BreakKind::Tampered }]
                );
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
            let demand_id = Some(events[i].content.demand_id);
            prop_assert_eq!(
                verify_chain(events).breaks,
                vec![ChainBreak { seq: i as i64 + 1, demand_id, kind: BreakKind::Tampered }]
            );
        }

        /// Damage of every kind at several places at once (two apart at least, so no two
        /// hide each other: a replaced event is caught by its successor) is every one named,
        /// each at its own seq, with its demand.
        #[test]
        fn every_break_is_named(
            n in 3i64..40,
            picks in prop::collection::vec((any::<prop::sample::Index>(), 0u8..6), 1..6),
        ) {
            let mut events = build((1..=n).map(Value::from).collect(), 20);
            let head = events.last().map(|e| e.hash.clone()).unwrap();
            let mut spots: Vec<(usize, u8)> = picks.iter().map(|(i, op)| (i.index(n as usize), *op)).collect();
            spots.sort();
            let mut kept: Vec<(usize, u8)> = Vec::new();
            for s in spots {
                if kept.last().is_none_or(|k| s.0 >= k.0 + 2) {
                    kept.push(s);
                }
            }
            let forger = Uuid::from_u128(0xf0f0);
            let mut expected = Vec::new();
            // From the end, so positions stay put.
            for &(i, op) in kept.iter().rev() {
                let seq = i as i64 + 1;
                let demand = Some(events[i].content.demand_id);
                let prev = if i == 0 { String::new() } else { events[i - 1].hash.clone() };
                let broken = |kind, demand_id| ChainBreak { seq, demand_id, kind };
                match op {
                    0 => {
                        events[i].content.data = Value::from("改过");
                        expected.push(broken(BreakKind::Tampered, demand));
                    }
                    1 => {
                        events[i].hash = format!("{seq:064x}");
                        expected.push(broken(BreakKind::Tampered, demand));
                    }
                    2 => {
                        events.remove(i);
                        expected.push(broken(BreakKind::Missing, None));
                    }
                    3 => {
                        let mut c = events[i].content.clone();
                        c.data = Value::from("改过并重算");
                        events[i] = StoredEvent::chain(HashAlgorithm::Sha256, &prev, c);
                        expected.push(broken(BreakKind::Inserted, demand));
                    }
                    _ => {
                        let mut c = events[i].content.clone();
                        c.demand_id = forger;
                        let fake = StoredEvent::chain(HashAlgorithm::Sm3, &prev, c);
                        events.insert(if op == 4 { i } else { i + 1 }, fake);
                        expected.push(broken(BreakKind::Inserted, Some(forger)));
                    }
                }
            }
            expected.reverse();
            let mut verifier = ChainVerifier::with_head(n, head);
            for e in events {
                verifier.push(e);
            }
            let report = verifier.finish();
            prop_assert_eq!(report.break_count, expected.len() as u64);
            prop_assert_eq!(report.breaks, expected);
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
