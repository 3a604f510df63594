//! Work that failed after its retries, without Redis: kept in memory (at
//! most `limits::FAILED_KEPT`) and tried again on the schedule of
//! `limits::FAILED_RETRY_WAITS`; after the last try, or past the cap, it is
//! dropped with a log line naming the item and its deliveries (for `probot
//! reconcile` or `probot redeliver`). A restart loses what is kept here.
//! With replicas the failed work lives in Redis (`shared/`) instead, kept
//! after its last try until `probot failed retry`.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::time::Instant;

use crate::limits::{FAILED_KEPT, FAILED_RETRY_WAITS};
use crate::queue::Pending;

struct Kept {
    pending: Pending,
    error: String,
    /// When it is tried again.
    due: Instant,
}

/// The failed work of this process.
#[derive(Default)]
pub struct Failures {
    kept: Mutex<VecDeque<Kept>>,
}

impl Failures {
    fn kept(&self) -> std::sync::MutexGuard<'_, VecDeque<Kept>> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps `pending`, which failed for the `pending.failures`-th time,
    /// unless that was its last try.
    pub fn keep(&self, pending: Pending, error: String) {
        let Some(wait) = FAILED_RETRY_WAITS.get(pending.failures.saturating_sub(1) as usize) else {
            dropped(&pending, &error, "it failed on its last try");
            return;
        };
        let mut kept = self.kept();
        if kept.len() >= FAILED_KEPT {
            if let Some(oldest) = kept.pop_front() {
                dropped(
                    &oldest.pending,
                    &oldest.error,
                    "more failed work is kept than the cap",
                );
            }
        }
        kept.push_back(Kept {
            pending,
            error,
            due: Instant::now() + *wait,
        });
    }

    /// Takes the work due again by now.
    pub fn due(&self) -> Vec<Pending> {
        let now = Instant::now();
        let mut kept = self.kept();
        let (taken, left): (Vec<Kept>, Vec<Kept>) = kept.drain(..).partition(|k| k.due <= now);
        kept.extend(left);
        taken.into_iter().map(|k| k.pending).collect()
    }
}

fn dropped(pending: &Pending, error: &str, why: &str) {
    crate::metrics::failed_work("dropped");
    let (repo, number) = pending.event.key();
    tracing::error!(item = %format!("{repo}#{number}"), deliveries = ?pending.deliveries, %error, why, "dropped failed work: `probot reconcile` restores cc lines and CI tags of open items, and `probot redeliver` (an App) resends deliveries that failed at the intake; run the bot with --redis-url to keep failed work until retried");
}

/// Puts failed work back in the queue when it is due, every few seconds.
pub(super) async fn revive(
    failures: std::sync::Arc<Failures>,
    queue: std::sync::Arc<crate::queue::WorkQueue>,
) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        for pending in failures.due() {
            if let Err(crate::queue::Full) = queue.push_pending(pending.clone()) {
                // Tried again at the next turn.
                failures.keep_for_later(pending);
            }
        }
    }
}

impl Failures {
    /// Keeps `pending` to be tried again shortly, as it was.
    fn keep_for_later(&self, pending: Pending) {
        self.kept().push_back(Kept {
            pending,
            error: String::new(),
            due: Instant::now(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Actor, CommentEvent, RepoName};

    fn comment() -> Pending {
        Pending::new(
            CommentEvent {
                repo: RepoName::new("acme", "widgets"),
                installation: Some(1),
                number: crate::event::IssueNumber(1),
                comment_id: crate::event::CommentId(9),
                body: "@probot subscribe bug".into(),
                author: "alice".into(),
                sender: Actor {
                    login: "alice".into(),
                },
            },
            "d1".into(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn failed_work_is_tried_again_on_the_schedule_then_dropped() {
        let failures = Failures::default();
        let mut pending = comment();
        for wait in FAILED_RETRY_WAITS {
            pending.failures += 1;
            failures.keep(pending, "GitHub answered 502".into());
            tokio::time::advance(wait - std::time::Duration::from_secs(1)).await;
            assert!(failures.due().is_empty(), "not before {wait:?}");
            tokio::time::advance(std::time::Duration::from_secs(1)).await;
            let mut due = failures.due();
            assert_eq!(due.len(), 1, "due after {wait:?}");
            pending = due.remove(0);
        }
        pending.failures += 1;
        failures.keep(pending, "GitHub answered 502".into());
        tokio::time::advance(std::time::Duration::from_secs(86_400)).await;
        assert!(failures.due().is_empty(), "dropped after its last try");
    }
}
