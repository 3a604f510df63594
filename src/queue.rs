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

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::event::{CommentEvent, Event, ItemAction, ItemEvent, RepoName};

/// One item of one repository.
pub type ItemKey = (RepoName, u64);

/// What a worker handles: an event on an item, or a comment made on one.
// Items are most of the work: boxing them would save no memory.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
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
}

/// The queue refused an event: it is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

#[derive(Default)]
struct State {
    pending: HashMap<ItemKey, VecDeque<Pending>>,
    /// Items with pending events and no worker, in the order they became
    /// so, with the time they may be taken.
    ready: VecDeque<(ItemKey, Instant)>,
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
        let event = event.into();
        let key = event.key();
        let mut guard = self.state();
        let state = &mut *guard;
        if let Some(last) = state.pending.get_mut(&key).and_then(VecDeque::back_mut) {
            let merged = match (&last.event, &event) {
                (Work::Item(earlier), Work::Item(later)) => coalesce(earlier, later),
                _ => None,
            };
            if let Some(merged) = merged {
                last.event = Work::Item(merged);
                last.deliveries.push(delivery);
                crate::metrics::coalesced();
                return Ok(());
            }
        }
        if state.entries >= self.capacity {
            return Err(Full);
        }
        let queue = state.pending.entry(key.clone()).or_default();
        let became_ready = queue.is_empty() && !state.running.contains(&key);
        queue.push_back(Pending {
            event,
            deliveries: vec![delivery],
            received: Instant::now(),
        });
        state.entries += 1;
        if became_ready {
            state.ready.push_back((key, Instant::now() + self.window));
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

    /// The next item whose window has passed; else when the next one's
    /// will, if there is one.
    fn take(&self) -> Result<(ItemKey, Vec<Pending>), Option<Instant>> {
        let mut state = self.state();
        match state.ready.front() {
            None => return Err(None),
            Some((_, at)) if *at > Instant::now() => return Err(Some(*at)),
            Some(_) => {}
        }
        let Some((key, _)) = state.ready.pop_front() else {
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
        if state.pending.get(key).is_some_and(|q| !q.is_empty()) {
            state.ready.push_back((key.clone(), Instant::now()));
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

    fn labeled(number: u64, label: &str, by: &str) -> ItemEvent {
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
                .push(labeled(7, label, "maintainer"), format!("d{i}"))
                .unwrap();
        }
        queue
            .push(labeled(8, "a", "maintainer"), "d9".into())
            .unwrap();
        let (key, events) = queue.next().await;
        assert_eq!(key.1, 7);
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
            .push(labeled(7, "a", "maintainer"), "d1".into())
            .unwrap();
        queue
            .push(labeled(7, "b", "outsider"), "d2".into())
            .unwrap();
        let (_, events) = queue.next().await;
        assert_eq!(events.len(), 2, "both, in order, not folded");
        assert!(matches!(&events[1].event, Work::Item(item) if item.sender.login == "outsider"));
    }

    #[tokio::test]
    async fn an_item_is_worked_on_by_one_worker_at_a_time() {
        let queue = WorkQueue::new(10, std::time::Duration::ZERO);
        queue.push(labeled(7, "a", "m"), "d1".into()).unwrap();
        let (key, _) = queue.next().await;
        queue.push(labeled(7, "b", "m"), "d2".into()).unwrap();
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
        queue.push(labeled(1, "a", "m"), "d1".into()).unwrap();
        queue.push(labeled(2, "a", "m"), "d2".into()).unwrap();
        assert_eq!(queue.push(labeled(3, "a", "m"), "d3".into()), Err(Full));
        assert_eq!(queue.push(labeled(1, "b", "m"), "d4".into()), Ok(()));
        assert_eq!(queue.depth().0, 2);
    }

    #[tokio::test]
    async fn an_item_waits_out_its_window_for_more_events() {
        let window = std::time::Duration::from_millis(100);
        let queue = WorkQueue::new(10, window);
        queue.push(labeled(7, "a", "m"), "d1".into()).unwrap();
        assert!(
            matches!(queue.take(), Err(Some(_))),
            "not before the window"
        );
        queue.push(labeled(7, "b", "m"), "d2".into()).unwrap();
        let started = Instant::now();
        let (_, events) = queue.next().await;
        assert!(started.elapsed() >= window / 2);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].deliveries, ["d1", "d2"]);
    }
}
