//! The workers: items taken from the queue, handled with retries for
//! failures that may pass, and every delivery's one log line and metrics
//! (`report`, shared with inline handling).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument;

use super::{Failures, QUEUED_BUDGET};
use crate::bot::{Bot, HandleError, Outcome};
use crate::event::Event;
use crate::github::GitHubError;
use crate::limits::{FAILED_RETRY_WAITS, WORKER_PATIENCE};
use crate::queue::{ItemKey, Pending, WorkQueue};
use crate::shared::Shared;

/// How soon an item locked by another replica is looked at again.
const LOCKED_RETRY: Duration = Duration::from_millis(200);

/// A worker: takes an item, handles its events in order, gives it back.
/// With replicas, only under the item's lock, acknowledging each entry
/// once handled.
pub(super) async fn work(
    bot: Arc<Bot>,
    queue: Arc<WorkQueue>,
    shared: Option<Arc<Shared>>,
    failures: Arc<Failures>,
) {
    loop {
        let (key, batch) = queue.next().await;
        if let Some(shared) = &shared {
            match shared.lock_item(&key).await {
                Ok(true) => {}
                Ok(false) => {
                    queue.give_back(&key, batch, Instant::now() + LOCKED_RETRY);
                    continue;
                }
                Err(error) => {
                    crate::metrics::shared_unreachable();
                    tracing::warn!(%error, "can't lock an item in Redis; trying again soon");
                    queue.give_back(&key, batch, Instant::now() + Duration::from_secs(1));
                    continue;
                }
            }
        }
        let given_back = handle_item(&bot, &queue, shared.as_deref(), &failures, &key, batch).await;
        if let Some(shared) = &shared {
            if let Err(error) = shared.unlock_item(&key).await {
                // It expires after `claim_after`.
                tracing::warn!(%error, "can't release an item's lock in Redis");
            }
        }
        if !given_back {
            queue.done(&key);
        }
        if let (_, Some(age)) = queue.depth() {
            crate::metrics::queue_oldest(age);
        }
    }
}

/// Handles an item's events in order; true when they went back to the
/// queue, the budget having no room for a write within the worker's
/// patience.
async fn handle_item(
    bot: &Bot,
    queue: &WorkQueue,
    shared: Option<&Shared>,
    failures: &Failures,
    key: &ItemKey,
    batch: Vec<Pending>,
) -> bool {
    let mut rest = batch.into_iter();
    while let Some(pending) = rest.next() {
        let installation = pending.installation();
        match handle_pending(bot, &pending, shared.is_some()).await {
            Step::Done => settle(shared, &pending).await,
            Step::Deferred(wait) => {
                let until = Instant::now() + wait;
                tracing::debug!(
                    ?wait,
                    "the installation's writes have no room yet; the item waits its turn"
                );
                queue.pause(installation, until);
                let events = std::iter::once(pending).chain(rest).collect();
                queue.give_back(key, events, until);
                return true;
            }
            Step::Failed(error) => {
                let mut pending = pending;
                pending.failures += 1;
                match shared {
                    Some(shared) => {
                        if let Err(failed) = shared.fail(&pending, &error).await {
                            // Left pending in Redis: claimed and redone.
                            crate::metrics::shared_unreachable();
                            tracing::error!(error = %failed, "can't keep failed work in Redis; it stays queued there and is claimed again");
                        }
                    }
                    None => failures.keep(pending, error),
                }
                crate::metrics::failed_work("kept");
            }
        }
    }
    false
}

/// An entry handled (whatever it came to): acknowledged in Redis.
async fn settle(shared: Option<&Shared>, pending: &Pending) {
    if let Some(shared) = shared {
        if let Err(error) = shared.ack(&pending.entries).await {
            // Claimed and redone later, which writes nothing twice.
            crate::metrics::shared_unreachable();
            tracing::warn!(%error, "can't acknowledge handled work in Redis");
        }
    }
}

/// What came of one entry.
enum Step {
    /// Handled: done, ignored, or refused for good.
    Done,
    /// Not finished: its installation's writes have no room for this long.
    Deferred(Duration),
    /// Failed after its retries, for this reason.
    Failed(String),
}

async fn handle_pending(bot: &Bot, pending: &Pending, shared: bool) -> Step {
    let event = pending.event.clone().into_event();
    let (action, repo) = event.describe();
    let deliveries = pending.deliveries.join(",");
    let span = tracing::info_span!("delivery", id = %deliveries, event = %event.name(), action = %action, repo = %repo);
    async {
        let started = Instant::now();
        let outcome = handle_with_retries(bot, &event).await;
        if let Err(HandleError::GitHub(GitHubError::Deferred(wait))) = &outcome {
            return Step::Deferred(*wait);
        }
        let waited_ms = started.duration_since(pending.received).as_millis() as u64;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let retry_in = FAILED_RETRY_WAITS.get(pending.failures as usize).copied();
        report(
            &event,
            &outcome,
            pending.received.elapsed(),
            Some(waited_ms),
            elapsed_ms,
            Handled::Queued { retry_in, shared },
        );
        match outcome {
            Err(error @ HandleError::GitHub(_)) if !is_final(&error) => {
                Step::Failed(error.to_string())
            }
            // Done, ignored, refused for good, or a bug that would recur.
            _ => Step::Done,
        }
    }
    .instrument(span)
    .await
}

/// Failures that would fail again: not kept for another try.
fn is_final(error: &HandleError) -> bool {
    matches!(error, HandleError::GitHub(error) if error.is_permanent())
}

/// Attempts at one queued entry: GitHub answered 202 for it, so nobody
/// will send it again; failures that may pass are tried again here.
const WORK_ATTEMPTS: u32 = 3;
/// The wait before the second attempt; doubled before the third.
const WORK_RETRY_WAIT: Duration = Duration::from_secs(2);

/// Handles a queued event, trying again after failures that may pass: the
/// network, 5xx, and rate limits, whose wait GitHub names (never dropping
/// the work for them).
async fn handle_with_retries(bot: &Bot, event: &Event) -> Result<Outcome, HandleError> {
    let mut wait = WORK_RETRY_WAIT;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = crate::github::with_patience(
            WORKER_PATIENCE,
            bot.handle(event, Instant::now() + QUEUED_BUDGET),
        )
        .await;
        let Err(HandleError::GitHub(error)) = &outcome else {
            return outcome;
        };
        if error.is_permanent()
            || matches!(error, GitHubError::Deferred(_))
            || attempt >= WORK_ATTEMPTS
        {
            return outcome;
        }
        let pause = match error {
            crate::github::GitHubError::RateLimited(asked) => {
                (*asked).min(Duration::from_secs(3_600))
            }
            _ => wait,
        };
        tracing::warn!(%error, attempt, ?pause, "trying again");
        tokio::time::sleep(pause).await;
        wait *= 2;
    }
}

/// How a delivery was handled: before answering (Lambda) or from the
/// queue, after answering 202 (which GitHub will not send again).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Handled {
    Inline,
    /// From the queue; a failure is tried again in `retry_in`, or after
    /// its last try kept (with Redis: `shared`) or dropped.
    Queued {
        retry_in: Option<Duration>,
        shared: bool,
    },
}

/// The delivery's one log line and its metrics, the same for inline and
/// queued handling: what it came to, why, and what can bring back work
/// that failed.
pub(super) fn report(
    event: &Event,
    outcome: &Result<Outcome, HandleError>,
    since_received: Duration,
    waited_ms: Option<u64>,
    elapsed_ms: u64,
    handled: Handled,
) {
    crate::metrics::delivery(
        event.name(),
        &event.action_name(),
        outcome_name(outcome),
        since_received,
    );
    match outcome {
        Ok(Outcome::Done { writes, because }) => {
            let writes: Vec<&str> = writes.iter().map(|w| w.0.as_str()).collect();
            tracing::info!(
                outcome = "done",
                ?writes,
                ?because,
                waited_ms,
                elapsed_ms,
                "handled"
            );
        }
        Ok(Outcome::NoRules) => {
            tracing::info!(outcome = "no rules", waited_ms, elapsed_ms, "handled")
        }
        Ok(Outcome::Ignored(reason)) => {
            tracing::info!(
                outcome = "ignored",
                reason,
                waited_ms,
                elapsed_ms,
                "handled"
            )
        }
        Err(HandleError::GitHub(error @ crate::github::GitHubError::Installation { .. })) => {
            tracing::warn!(outcome = "no_installation", %error, waited_ms, elapsed_ms, "handled; nothing can be done for it until the App is installed there again")
        }
        Err(HandleError::GitHub(error)) if error.is_permanent() => {
            tracing::warn!(outcome = "refused", %error, waited_ms, elapsed_ms, "handled; not worth redelivering")
        }
        Err(error) => match handled {
            Handled::Inline => {
                tracing::error!(outcome = "failed", %error, elapsed_ms, "handled; GitHub shows it failed, and `probot redeliver` can send it again")
            }
            Handled::Queued {
                retry_in: Some(retry_in),
                ..
            } => {
                tracing::error!(outcome = "failed", %error, waited_ms, elapsed_ms, ?retry_in, "handled; not done: kept with the failed work, and tried again in retry_in (`probot failed list` shows it)")
            }
            Handled::Queued {
                retry_in: None,
                shared: true,
            } => {
                tracing::error!(outcome = "failed", %error, waited_ms, elapsed_ms, "handled; not done after every retry: kept in Redis until a person retries it (`probot failed list`, `probot failed retry`)")
            }
            Handled::Queued {
                retry_in: None,
                shared: false,
            } => {
                tracing::error!(outcome = "failed", %error, waited_ms, elapsed_ms, "handled; not done after every retry, and dropped: `probot reconcile` restores cc lines and CI tags, not label rules")
            }
        },
    }
}

fn outcome_name(outcome: &Result<Outcome, HandleError>) -> &'static str {
    match outcome {
        Ok(Outcome::Done { .. }) => "done",
        Ok(Outcome::NoRules) => "no_rules",
        Ok(Outcome::Ignored(_)) => "ignored",
        Err(HandleError::GitHub(crate::github::GitHubError::Installation { .. })) => {
            "no_installation"
        }
        Err(HandleError::GitHub(error)) if error.is_permanent() => "refused",
        Err(_) => "failed",
    }
}
