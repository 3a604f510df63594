//! Pacing of content-creating requests, per installation, to stay inside
//! GitHub's secondary rate limits with headroom: GitHub allows 80 a minute
//! and 500 an hour; the bot sends at most `PER_MINUTE` and `PER_HOUR`.
//! Each write reserves the first slot both windows allow, so workers
//! writing at once get successive slots instead of a 403 each.
//!
//! Per process: two replicas share GitHub's limits and pace separately.
//! When GitHub answers 403/429 anyway, the client waits `Retry-After`.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Writes a minute: 10% under GitHub's 80.
pub const PER_MINUTE: usize = 72;
/// Writes an hour: 10% under GitHub's 500.
pub const PER_HOUR: usize = 450;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3_600);

/// The send times of one installation's writes in the last hour,
/// including slots reserved in the future.
#[derive(Debug, Default)]
pub struct Pacer {
    sent: VecDeque<Instant>,
}

impl Pacer {
    /// Reserves the first slot at or after `now` that keeps both windows
    /// under their limits, and returns it.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        while self.sent.front().is_some_and(|t| *t + HOUR <= now) {
            self.sent.pop_front();
        }
        let mut slot = now;
        loop {
            // The `PER_MINUTE`-th latest send (and likewise for the hour)
            // must have left its window by `slot`.
            let minute_ok = self.window_clear(slot, PER_MINUTE, MINUTE);
            let hour_ok = self.window_clear(slot, PER_HOUR, HOUR);
            match (minute_ok, hour_ok) {
                (Ok(()), Ok(())) => break,
                (Err(at), _) | (_, Err(at)) => slot = at,
            }
        }
        // Slots are handed out in order, so the queue stays sorted.
        let at = self.sent.partition_point(|t| *t <= slot);
        self.sent.insert(at, slot);
        slot
    }

    /// `Ok` when fewer than `limit` sends fall in `(slot - window, slot]`,
    /// else the first time that would be so.
    fn window_clear(&self, slot: Instant, limit: usize, window: Duration) -> Result<(), Instant> {
        let in_window = self
            .sent
            .iter()
            .rev()
            .filter(|t| **t <= slot)
            .take_while(|t| **t + window > slot)
            .count();
        if in_window < limit {
            return Ok(());
        }
        // The oldest send within the window must leave it.
        let oldest = self
            .sent
            .iter()
            .rev()
            .filter(|t| **t <= slot)
            .nth(limit - 1)
            .copied()
            .unwrap_or(slot);
        Err(oldest + window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_spread_over_the_minute_windows() {
        let mut pacer = Pacer::default();
        let start = Instant::now();
        let slots: Vec<Duration> = (0..200).map(|_| pacer.reserve(start) - start).collect();
        assert!(slots[..PER_MINUTE].iter().all(|d| d.is_zero()));
        assert_eq!(slots[PER_MINUTE], MINUTE);
        assert_eq!(slots[2 * PER_MINUTE], 2 * MINUTE);
        // No minute ever holds more than PER_MINUTE writes.
        for (i, slot) in slots.iter().enumerate() {
            let in_minute = slots[..=i].iter().filter(|s| **s + MINUTE > *slot).count();
            assert!(
                in_minute <= PER_MINUTE,
                "{in_minute} writes in the minute up to {slot:?}"
            );
        }
    }

    #[test]
    fn the_hour_limit_holds_too() {
        let mut pacer = Pacer::default();
        let start = Instant::now();
        let slots: Vec<Duration> = (0..PER_HOUR + 1)
            .map(|_| pacer.reserve(start) - start)
            .collect();
        assert_eq!(
            slots[PER_HOUR], HOUR,
            "the first write past the hour's limit waits for the hour"
        );
    }
}
