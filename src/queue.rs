//! The work queue between the intake and the bot: the intake answers
//! GitHub at once and leaves the item here; workers take items from it.
//!
//! Pending work is a set of items, not a list of events. Each item keeps
//! its events in arrival order, and an event that can be folded into the
//! one before it is (`coalesce`): ten `labeled` deliveries for one item
//! from one person become one entry that carries all ten labels, so they
//! cost one fresh read and at most one write of each kind, and the labels
//! that arrived keep their edge-triggered meaning (implications fire for
//! each). An item is worked on by one worker at a time, so concurrent
//! duplicates in one process never race; events that arrive while it is
//! worked on wait for the next turn.
//!
//! An item is taken no sooner than `window` after its first waiting event
//! arrived: GitHub sends a bulk edit's webhooks over a moment, and the
//! ones that come within the window fold into one entry.
//!
//! Bounded: at most `capacity` entries wait; past that `push` refuses, and
//! the intake answers 503 so GitHub records a failed delivery that
//! `probot redeliver` can bring back. Races it accepts: two processes may
//! work on one item at once; every write is level-based.
//!
//! Comments wait here too, under the item they were made on: commands on
//! the tracking issue then take their turn one at a time in a process, and
//! wait out the write pacing instead of the delivery's deadline.
//!
//! Fair to every installation: a worker never waits holding an item. When
//! an item's next write would wait for its installation's budget, the
//! worker gives it back (`give_back`) with the time the budget has room,
//! and the installation's other items wait out that time too (`pause`), so
//! workers go to the items that can make progress now. Items given back are
//! handled again from the start; handling is idempotent (a fresh read,
//! level-based writes).
//!
//! With replicas (`--redis-url`) this queue is each replica's local view:
//! entries come from the shared stream (`shared/`), carry their stream ids
//! (`Pending::entries`), and are acknowledged there once handled.

use crate::event::IssueNumber;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::event::{CommentEvent, Event, ItemAction, ItemEvent, RepoName};

/// One item of one repository.
pub type ItemKey = (RepoName, IssueNumber);

/// What a worker handles: an event on an item, or a comment made on one.
// Items are most of the work: boxing them would save no memory.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Work {
    Item(ItemEvent),
    Comment(CommentEvent),
}

impl Work {
    /// The item it is about.
    pub fn key(&self) -> ItemKey {
        match self {
            Work::Item(item) => (item.repo.clone(), item.number),
            Work::Comment(comment) => (comment.repo.clone(), comment.number),
        }
    }

    pub fn into_event(self) -> Event {
        match self {
            Work::Item(item) => Event::Item(item),
            Work::Comment(comment) => Event::Comment(comment),
        }
    }
}

impl From<ItemEvent> for Work {
    fn from(item: ItemEvent) -> Self {
        Work::Item(item)
    }
}

impl From<CommentEvent> for Work {
    fn from(comment: CommentEvent) -> Self {
        Work::Comment(comment)
    }
}

/// An event waiting to be handled, with the deliveries folded into it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub event: Work,
    /// `X-GitHub-Delivery` of every delivery folded in, oldest first.
    pub deliveries: Vec<String>,
    /// When the oldest of them arrived.
    pub received: Instant,
    /// Their ids in the shared stream, to acknowledge once handled (none
    /// without replicas).
    pub entries: Vec<String>,
    /// Times it was handled and failed after its retries.
    pub failures: u32,
}

impl Pending {
    pub fn new(event: impl Into<Work>, delivery: String) -> Self {
        Pending {
            event: event.into(),
            deliveries: vec![delivery],
            received: Instant::now(),
            entries: Vec::new(),
            failures: 0,
        }
    }

    /// The installation whose budget its writes spend.
    pub fn installation(&self) -> Option<u64> {
        match &self.event {
            Work::Item(item) => item.installation,
            Work::Comment(comment) => comment.installation,
        }
    }
}

/// The queue refused an event: it is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

struct Ready {
    key: ItemKey,
    at: Instant,
    installation: Option<u64>,
}

#[derive(Default)]
struct State {
    pending: HashMap<ItemKey, VecDeque<Pending>>,
    /// Items with pending events and no worker, in the order they became
    /// so, with the time they may be taken and their installation.
    ready: VecDeque<Ready>,
    /// Installations whose writes have no room until then.
    paused: HashMap<Option<u64>, Instant>,
    running: HashSet<ItemKey>,
    /// Entries waiting, across items.
    entries: usize,
}

pub struct WorkQueue {
    state: Mutex<State>,
    capacity: usize,
    /// How long an item's first event waits for others to fold into it.
    window: std::time::Duration,
    /// Wakes a worker when an item becomes ready.
    work: Notify,
    /// Wakes whoever waits for the queue to be idle.
    idle: Notify,
}

impl WorkQueue {
    pub fn new(capacity: usize, window: std::time::Duration) -> Self {
        WorkQueue {
            state: Mutex::new(State::default()),
            capacity,
            window,
            work: Notify::new(),
            idle: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an event, folding it into the item's last pending event when
    /// they coalesce.
    pub fn push(&self, event: impl Into<Work>, delivery: String) -> Result<(), Full> {
        self.push_pending(Pending::new(event, delivery))
    }

    /// Adds a pending entry (one from the shared stream, say), folding it
    /// as `push` does.
    pub fn push_pending(&self, pending: Pending) -> Result<(), Full> {
        let key = pending.event.key();
        let mut guard = self.state();
        let state = &mut *guard;
        if let Some(last) = state.pending.get_mut(&key).and_then(VecDeque::back_mut) {
            let merged = match (&last.event, &pending.event) {
                (Work::Item(earlier), Work::Item(later)) => coalesce(earlier, later),
                _ => None,
            };
            if let Some(merged) = merged {
                last.event = Work::Item(merged);
                last.deliveries.extend(pending.deliveries);
                last.entries.extend(pending.entries);
                last.failures = last.failures.max(pending.failures);
                crate::metrics::coalesced();
                return Ok(());
            }
        }
        if state.entries >= self.capacity {
            return Err(Full);
        }
        let installation = pending.installation();
        let queue = state.pending.entry(key.clone()).or_default();
        let became_ready = queue.is_empty() && !state.running.contains(&key);
        queue.push_back(pending);
        state.entries += 1;
        if became_ready {
            state.ready.push_back(Ready {
                key,
                at: Instant::now() + self.window,
                installation,
            });
        }
        crate::metrics::queue_depth(state.entries);
        drop(guard);
        self.work.notify_one();
        Ok(())
    }

    /// The next ready item and all its pending events, in order; the item
    /// is the caller's until `done`.
    pub async fn next(&self) -> (ItemKey, Vec<Pending>) {
        loop {
            let notified = self.work.notified();
            match self.take() {
                Ok(taken) => return taken,
                Err(Some(at)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = notified => {}
                    }
                }
                Err(None) => notified.await,
            }
        }
    }

    /// The next item whose window has passed and whose installation's
    /// writes have room; else when the first one will, if there is one.
    fn take(&self) -> Result<(ItemKey, Vec<Pending>), Option<Instant>> {
        let mut guard = self.state();
        let state = &mut *guard;
        let now = Instant::now();
        state.paused.retain(|_, until| *until > now);
        let due = |ready: &Ready| {
            let paused = state.paused.get(&ready.installation).copied();
            paused.map_or(ready.at, |until| until.max(ready.at))
        };
        let Some(index) = state.ready.iter().position(|r| due(r) <= now) else {
            return Err(state.ready.iter().map(due).min());
        };
        let Some(Ready { key, .. }) = state.ready.remove(index) else {
            return Err(None);
        };
        let events: Vec<Pending> = state
            .pending
            .remove(&key)
            .map(Vec::from)
            .unwrap_or_default();
        state.entries -= events.len();
        state.running.insert(key.clone());
        crate::metrics::queue_depth(state.entries);
        // Another worker may take the next item.
        if !state.ready.is_empty() {
            self.work.notify_one();
        }
        Ok((key, events))
    }

    /// The caller is done with `key`; events that came for it meanwhile
    /// make it ready again.
    pub fn done(&self, key: &ItemKey) {
        let mut state = self.state();
        state.running.remove(key);
        if let Some(first) = state.pending.get(key).and_then(VecDeque::front) {
            let installation = first.installation();
            state.ready.push_back(Ready {
                key: key.clone(),
                at: Instant::now(),
                installation,
            });
            drop(state);
            self.work.notify_one();
            return;
        }
        let idle = state.entries == 0 && state.running.is_empty();
        drop(state);
        if idle {
            self.idle.notify_waiters();
        }
    }

    /// The caller gives `key` back unfinished: `events` (those it had not
    /// finished, in order) wait again, ahead of any that came meanwhile, to
    /// be taken no sooner than `at`. Never refused for capacity: they were
    /// in the queue already.
    pub fn give_back(&self, key: &ItemKey, events: Vec<Pending>, at: Instant) {
        let mut guard = self.state();
        let state = &mut *guard;
        state.running.remove(key);
        let queue = state.pending.entry(key.clone()).or_default();
        state.entries += events.len();
        for pending in events.into_iter().rev() {
            queue.push_front(pending);
        }
        if let Some(first) = queue.front() {
            let installation = first.installation();
            state.ready.push_back(Ready {
                key: key.clone(),
                at,
                installation,
            });
        }
        crate::metrics::queue_depth(state.entries);
        drop(guard);
        self.work.notify_one();
    }

    /// No item of `installation` is taken before `until`: its writes have
    /// no room till then.
    pub fn pause(&self, installation: Option<u64>, until: Instant) {
        let mut state = self.state();
        let at = state.paused.entry(installation).or_insert(until);
        *at = (*at).max(until);
        drop(state);
        // A sleeping worker re-reads when the next item is due.
        self.work.notify_one();
    }

    /// Entries that could be taken within `horizon` (their window passes
    /// by then and their installation is not paused past it), and entries
    /// waiting in all: what a feeder counts before reading more.
    pub fn ready_within(&self, horizon: std::time::Duration) -> (usize, usize) {
        let state = self.state();
        let by = Instant::now() + horizon;
        let ready = state
            .ready
            .iter()
            .filter(|r| r.at <= by && state.paused.get(&r.installation).is_none_or(|u| *u <= by))
            .map(|r| state.pending.get(&r.key).map_or(0, VecDeque::len))
            .sum();
        (ready, state.entries)
    }

    /// Nothing waiting and nothing being worked on.
    pub fn is_idle(&self) -> bool {
        let state = self.state();
        state.entries == 0 && state.running.is_empty()
    }

    /// Waits until the queue is idle.
    pub async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.is_idle() {
                return;
            }
            notified.await;
        }
    }

    /// Entries waiting, and how long the oldest has waited.
    pub fn depth(&self) -> (usize, Option<std::time::Duration>) {
        let state = self.state();
        let oldest = state
            .pending
            .values()
            .filter_map(|q| q.front())
            .map(|p| p.received)
            .min();
        (state.entries, oldest.map(|at| at.elapsed()))
    }

    /// Everything still waiting (for the log, at shutdown).
    pub fn leftover(&self) -> Vec<Pending> {
        self.state()
            .pending
            .values()
            .flat_map(|q| q.iter().cloned())
            .collect()
    }
}

/// `later` folded into `earlier`, when handling the one event is the same as
/// handling both in turn: the item's state is the later one's (it is read
/// fresh anyway), and labels that arrived in either arrived.
fn coalesce(earlier: &ItemEvent, later: &ItemEvent) -> Option<ItemEvent> {
    // Trust is read for the sender: only one person's events fold.
    if !earlier
        .sender
        .login
        .eq_ignore_ascii_case(&later.sender.login)
    {
        return None;
    }
    let action = match (&earlier.action, &later.action) {
        (ItemAction::Labeled(first), ItemAction::Labeled(more)) => {
            let mut labels = first.clone();
            labels.extend(more.iter().filter(|l| !first.contains(l)).cloned());
            ItemAction::Labeled(labels)
        }
        // An arrival seeds every label the item has, those of the later
        // `labeled` included (GitHub sends `opened`, then a `labeled` per
        // label).
        (ItemAction::Opened, ItemAction::Labeled(_)) => ItemAction::Opened,
        (ItemAction::Reopened, ItemAction::Labeled(_)) => ItemAction::Reopened,
        (ItemAction::Synchronize, ItemAction::Synchronize) => ItemAction::Synchronize,
        _ => return None,
    };
    Some(ItemEvent {
        action,
        ..later.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Actor, ItemKind};

    fn labeled(number: IssueNumber, label: &str, by: &str) -> ItemEvent {
        ItemEvent {
            kind: ItemKind::Issue,
            action: ItemAction::Labeled(vec![label.into()]),
            repo: RepoName::new("acme", "widgets"),
            installation: None,
            number,
            title: String::new(),
            body: String::new(),
            association: String::new(),
            edits: Default::default(),
            author: "reporter".into(),
            labels: vec![label.into()],
            open: true,
            sender: Actor { login: by.into() },
            pull: None,
            replay_of: None,
        }
    }

    #[tokio::test]
    async fn events_for_one_item_from_one_person_fold_into_one() {
        let queue = WorkQueue::new(10, std::time::Duration::ZERO);
        for (i, label) in ["a", "b", "a", "c"].iter().enumerate() {
            queue
                .push(
                    labeled(crate::event::IssueNumber(7), label, "maintainer"),
                    format!("d{i}"),
                )
                .unwrap();
        }
        queue
            .push(
                labeled(crate::event::IssueNumber(8), "a", "maintainer"),
                "d9".into(),
            )
            .unwrap();
        let (key, events) = queue.next().await;
        assert_eq!(key.1, crate::event::IssueNumber(7));
        assert_eq!(events.len(), 1);
        let Work::Item(item) = &events[0].event else {
            panic!("an item event")
        };
        assert_eq!(
            item.action,
            ItemAction::Labeled(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(events[0].deliveries, ["d0", "d1", "d2", "d3"]);
        assert_eq!(queue.depth().0, 1);
    }

    #[tokio::test]
    async fn another_persons_label_waits_its_turn() {
        let queue = WorkQueue::new(10, std::time::Duration::ZERO);
        queue
            .push(
                labeled(crate::event::IssueNumber(7), "a", "maintainer"),
                "d1".into(),
            )
            .unwrap();
        queue
            .push(
                labeled(crate::event::IssueNumber(7), "b", "outsider"),
                "d2".into(),
            )
            .unwrap();
        let (_, events) = queue.next().await;
        assert_eq!(events.len(), 2, "both, in order, not folded");
        assert!(matches!(&events[1].event, Work::Item(item) if item.sender.login == "outsider"));
    }

    #[tokio::test]
    async fn an_item_is_worked_on_by_one_worker_at_a_time() {
        let queue = WorkQueue::new(10, std::time::Duration::ZERO);
        queue
            .push(labeled(crate::event::IssueNumber(7), "a", "m"), "d1".into())
            .unwrap();
        let (key, _) = queue.next().await;
        queue
            .push(labeled(crate::event::IssueNumber(7), "b", "m"), "d2".into())
            .unwrap();
        assert!(queue.take().is_err(), "the item is still being worked on");
        assert!(!queue.is_idle());
        queue.done(&key);
        let (_, events) = queue.take().expect("ready again");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].deliveries, ["d2"]);
        queue.done(&key);
        assert!(queue.is_idle());
    }

    #[test]
    fn a_full_queue_refuses_new_items_but_still_folds() {
        let queue = WorkQueue::new(2, std::time::Duration::ZERO);
        queue
            .push(labeled(crate::event::IssueNumber(1), "a", "m"), "d1".into())
            .unwrap();
        queue
            .push(labeled(crate::event::IssueNumber(2), "a", "m"), "d2".into())
            .unwrap();
        assert_eq!(
            queue.push(labeled(crate::event::IssueNumber(3), "a", "m"), "d3".into()),
            Err(Full)
        );
        assert_eq!(
            queue.push(labeled(crate::event::IssueNumber(1), "b", "m"), "d4".into()),
            Ok(())
        );
        assert_eq!(queue.depth().0, 2);
    }

    #[tokio::test]
    async fn an_item_waits_out_its_window_for_more_events() {
        let window = std::time::Duration::from_millis(100);
        let queue = WorkQueue::new(10, window);
        queue
            .push(labeled(crate::event::IssueNumber(7), "a", "m"), "d1".into())
            .unwrap();
        assert!(
            matches!(queue.take(), Err(Some(_))),
            "not before the window"
        );
        queue
            .push(labeled(crate::event::IssueNumber(7), "b", "m"), "d2".into())
            .unwrap();
        let started = Instant::now();
        let (_, events) = queue.next().await;
        assert!(started.elapsed() >= window / 2);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].deliveries, ["d1", "d2"]);
    }
}
