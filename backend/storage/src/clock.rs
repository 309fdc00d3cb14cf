//! The time, injected: deadlines, the sweeper and tests read it here, so a test can move time
//! forward instead of sleeping.
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The wall clock plus an offset that only moves forward (tests, and a server started with
/// `MINQING_TEST_CLOCK=true`, advance it).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves time forward by `by` (a negative duration is ignored: time never runs back).
    pub fn advance(&self, by: Duration) {
        let ms = by.num_milliseconds().max(0);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_copy_and_never_backwards() {
        let clock = Clock::default();
        let copy = clock.clone();
        let before = clock.now();
        clock.advance(Duration::days(6));
        assert!(copy.now() - before >= Duration::days(6));
        clock.advance(Duration::days(-10));
        assert!(copy.now() - before >= Duration::days(6));
    }
}
