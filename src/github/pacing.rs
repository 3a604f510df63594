//! Pacing of content-creating requests, per installation, to stay inside
//! GitHub's secondary rate limits with headroom: GitHub allows 80 a minute
//! and 500 an hour; the bot sends at most `PER_MINUTE` and `PER_HOUR`.
//! Each write reserves the first slot both windows allow, so workers
//! writing at once get successive slots instead of a 403 each.
//!
//! Per process, or shared by replicas through Redis (`shared/budget.rs`,
//! the same reservation as an atomic script). When GitHub answers 403/429
//! anyway, the client waits `Retry-After`.
//!
//! A queue's worker never sleeps long holding an item: it handles it within
//! [`patience`], and a write whose slot is further off than that is not
//! reserved; the write fails with `GitHubError::Deferred`, and the worker
//! gives the item back to the queue till then (`queue.rs`).
//!
//! Commands (comments any GitHub user can send) are admitted by a
//! [`CommandGate`] (with replicas, its twin script in `shared/budget.rs`)
//! first: a share of the budget and a quota per person,
//! checked without waiting, so a flood of comments neither spends the
//! budget triage needs nor holds a worker while it waits for a slot.

use crate::event::CommentId;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::limits::{
    COMMANDS_PER_PERSON_PER_HOUR, COMMAND_PEOPLE_TRACKED, COMMAND_WRITES_PER_HOUR,
    COMMAND_WRITES_PER_MINUTE, WRITES_PER_COMMAND,
};

use tokio::time::Instant;

/// A write budget kept outside this process, for replicas to share (on
/// Redis: `shared/budget.rs`). A trait, so this client never imports the
/// store that keeps it.
pub trait SharedBudget: Send + Sync {
    /// Reserves `installation`'s next write slot: `Ok(wait)` till it, or
    /// `Err(wait)` (nothing reserved) when that is past `patience`.
    fn reserve(
        &self,
        installation: Option<u64>,
        patience: Option<Duration>,
    ) -> BoxFuture<'_, Result<Result<Duration, Duration>, Unreachable>>;

    /// Admits command comment `id` by `login` in `installation`, as
    /// [`CommandGate::admit`] does, for every replica at once.
    fn admit_command<'a>(
        &'a self,
        installation: Option<u64>,
        login: &'a str,
        id: CommentId,
    ) -> BoxFuture<'a, Result<Result<(), CommandRefusal>, Unreachable>>;
}

pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A shared budget that could not answer: this process decides alone.
#[derive(Debug, thiserror::Error)]
#[error("the shared write budget is unreachable: {0}")]
pub struct Unreachable(pub String);

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

tokio::task_local! {
    /// How long a write of this task may wait for its slot (or for GitHub's
    /// own `Retry-After`) before giving up with `Deferred`.
    static PATIENCE: Duration;
}

/// Runs `work` with writes that wait at most `patience` for their slot.
pub async fn with_patience<T>(patience: Duration, work: impl std::future::Future<Output = T>) -> T {
    PATIENCE.scope(patience, work).await
}

/// How long a write may wait here: unbounded (within the deadline) unless
/// a worker said otherwise.
pub fn patience() -> Option<Duration> {
    PATIENCE.try_with(|p| *p).ok()
}

impl Pacer {
    /// Reserves the first slot at or after `now` that keeps both windows
    /// under their limits, and returns it.
    #[cfg(test)]
    pub fn reserve(&mut self, now: Instant) -> Instant {
        match self.reserve_within(now, None) {
            Ok(slot) | Err(slot) => slot,
        }
    }

    /// Reserves the first slot at or after `now` that keeps both windows
    /// under their limits and returns it; when that is more than `patience`
    /// off, reserves nothing and returns it as an error.
    pub fn reserve_within(
        &mut self,
        now: Instant,
        patience: Option<Duration>,
    ) -> Result<Instant, Instant> {
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
        if patience.is_some_and(|p| slot > now + p) {
            return Err(slot);
        }
        // Slots are handed out in order, so the queue stays sorted.
        let at = self.sent.partition_point(|t| *t <= slot);
        self.sent.insert(at, slot);
        Ok(slot)
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

/// Why a command comment was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandRefusal {
    /// Its author had `COMMANDS_PER_PERSON_PER_HOUR` read this hour.
    PersonOverQuota,
    /// Commands spent their share of the installation's writes.
    ShareSpent,
}

impl CommandRefusal {
    /// For metrics.
    pub fn name(self) -> &'static str {
        match self {
            CommandRefusal::PersonOverQuota => "person_quota",
            CommandRefusal::ShareSpent => "share",
        }
    }

    /// For the delivery's log line.
    pub fn reason(self) -> &'static str {
        match self {
            CommandRefusal::PersonOverQuota => {
                "a command past its author's quota this hour; not answered"
            }
            CommandRefusal::ShareSpent => {
                "a command past the commands' share of the write budget; not answered"
            }
        }
    }
}

/// One installation's command admissions in the last hour: the writes
/// charged to commands, and each person's comments (by id, so a comment
/// admitted at the intake and again by the worker, or delivered twice, is
/// counted once). Never waits.
#[derive(Debug, Default)]
pub struct CommandGate {
    writes: VecDeque<Instant>,
    people: HashMap<String, VecDeque<(Instant, CommentId)>>,
}

impl CommandGate {
    /// Admits comment `id` by `login`, holding commands: within its
    /// author's quota and the commands' share of the writes, both windows
    /// having room now. Call before anything is read for it.
    pub fn admit(
        &mut self,
        now: Instant,
        login: &str,
        id: CommentId,
    ) -> Result<(), CommandRefusal> {
        let key = login.to_ascii_lowercase();
        if let Some(times) = self.people.get_mut(&key) {
            forget_before(times, now, HOUR, |(t, _)| *t);
            if times.iter().any(|(_, seen)| *seen == id) {
                return Ok(());
            }
            if times.len() >= COMMANDS_PER_PERSON_PER_HOUR {
                return Err(CommandRefusal::PersonOverQuota);
            }
        } else if self.people.len() >= COMMAND_PEOPLE_TRACKED {
            // Make room from people whose comments all left the hour.
            self.people
                .retain(|_, times| times.back().is_some_and(|(t, _)| *t + HOUR > now));
            if self.people.len() >= COMMAND_PEOPLE_TRACKED {
                return Err(CommandRefusal::PersonOverQuota);
            }
        }
        forget_before(&mut self.writes, now, HOUR, |t| *t);
        let last_minute = self
            .writes
            .iter()
            .rev()
            .take_while(|t| **t + MINUTE > now)
            .count();
        if last_minute + WRITES_PER_COMMAND > COMMAND_WRITES_PER_MINUTE
            || self.writes.len() + WRITES_PER_COMMAND > COMMAND_WRITES_PER_HOUR
        {
            return Err(CommandRefusal::ShareSpent);
        }
        self.writes
            .extend(std::iter::repeat_n(now, WRITES_PER_COMMAND));
        self.people.entry(key).or_default().push_back((now, id));
        Ok(())
    }
}

fn forget_before<T>(
    times: &mut VecDeque<T>,
    now: Instant,
    window: Duration,
    at: impl Fn(&T) -> Instant,
) {
    while times.front().is_some_and(|t| at(t) + window <= now) {
        times.pop_front();
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_get_their_share_of_the_writes_and_no_more() {
        let mut gate = CommandGate::default();
        let start = Instant::now();
        let mut id = 0;
        let mut admit_many = |gate: &mut CommandGate, now| {
            (0..100)
                .filter(|_| {
                    id += 1;
                    // Many people, so no one meets their own quota.
                    gate.admit(now, &format!("user{id}"), crate::event::CommentId(id))
                        .is_ok()
                })
                .count()
        };
        let admitted = admit_many(&mut gate, start);
        assert_eq!(admitted, COMMAND_WRITES_PER_MINUTE / WRITES_PER_COMMAND);
        // A minute later the minute's share is back, until the hour's is spent.
        let mut admitted_in_hour = admitted;
        for minute in 1..60 {
            admitted_in_hour += admit_many(&mut gate, start + MINUTE * minute);
        }
        assert_eq!(
            admitted_in_hour,
            COMMAND_WRITES_PER_HOUR / WRITES_PER_COMMAND
        );
        assert_eq!(
            gate.admit(start + MINUTE * 59, "late", crate::event::CommentId(0)),
            Err(CommandRefusal::ShareSpent)
        );
        assert!(
            gate.admit(start + HOUR, "late", crate::event::CommentId(0))
                .is_ok(),
            "the hour passes"
        );
    }

    #[test]
    fn a_person_past_their_quota_is_refused_and_others_are_not() {
        let mut gate = CommandGate::default();
        let start = Instant::now();
        // A minute apart, so the commands' share never runs out.
        let at = |i: u64| start + MINUTE * i as u32;
        let quota = COMMANDS_PER_PERSON_PER_HOUR as u64;
        for i in 0..quota {
            assert!(gate
                .admit(at(i), "mallory", crate::event::CommentId(i))
                .is_ok());
        }
        assert_eq!(
            gate.admit(at(quota), "Mallory", crate::event::CommentId(99)),
            Err(CommandRefusal::PersonOverQuota),
            "logins are compared as GitHub does, without case"
        );
        assert!(
            gate.admit(at(quota), "mallory", crate::event::CommentId(0))
                .is_ok(),
            "a comment admitted already (at the intake, or delivered twice) is not counted again"
        );
        assert!(gate
            .admit(at(quota), "alice", crate::event::CommentId(100))
            .is_ok());
        assert!(gate
            .admit(start + HOUR, "mallory", crate::event::CommentId(101))
            .is_ok());
    }

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
    fn a_slot_past_the_patience_is_not_reserved() {
        let mut pacer = Pacer::default();
        let start = Instant::now();
        for _ in 0..PER_MINUTE {
            assert_eq!(pacer.reserve_within(start, Some(Duration::ZERO)), Ok(start));
        }
        let patience = Some(Duration::from_secs(1));
        assert_eq!(pacer.reserve_within(start, patience), Err(start + MINUTE));
        assert_eq!(
            pacer.reserve_within(start, patience),
            Err(start + MINUTE),
            "nothing was reserved, so the answer is the same"
        );
        assert_eq!(pacer.reserve(start), start + MINUTE);
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
