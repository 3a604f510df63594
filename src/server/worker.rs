//! The workers: items taken from the queue, handled with retries for
//! failures that may pass, and every delivery's one log line and metrics
//! (`report`, shared with inline handling).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument;

use super::QUEUED_BUDGET;
use crate::bot::{Bot, HandleError, Outcome};
use crate::event::Event;
use crate::queue::{Pending, WorkQueue};

/// A worker: takes an item, handles its events in order, gives it back.
pub(super) async fn work(bot: Arc<Bot>, queue: Arc<WorkQueue>) {
    loop {
        let (key, batch) = queue.next().await;
        for pending in batch {
            handle_pending(&bot, pending).await;
        }
        queue.done(&key);
        if let (_, Some(age)) = queue.depth() {
            crate::metrics::queue_oldest(age);
        }
    }
}

async fn handle_pending(bot: &Bot, pending: Pending) {
    let event = pending.event.into_event();
    let (action, repo) = event.describe();
    let deliveries = pending.deliveries.join(",");
    let span = tracing::info_span!("delivery", id = %deliveries, event = %event.name(), action = %action, repo = %repo);
    async {
        let started = Instant::now();
        let outcome = handle_with_retries(bot, &event).await;
        let waited_ms = started.duration_since(pending.received).as_millis() as u64;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        report(
            &event,
            &outcome,
            pending.received.elapsed(),
            Some(waited_ms),
            elapsed_ms,
            Handled::Queued,
        );
    }
    .instrument(span)
    .await
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
        let outcome = bot.handle(event, Instant::now() + QUEUED_BUDGET).await;
        let Err(HandleError::GitHub(error)) = &outcome else {
            return outcome;
        };
        if error.is_permanent() || attempt >= WORK_ATTEMPTS {
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
    Queued,
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
            Handled::Queued => {
                tracing::error!(outcome = "failed", %error, waited_ms, elapsed_ms, "handled; not done, and GitHub will not send it again (it was answered 202): `probot reconcile` restores cc lines and CI tags, not label rules")
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
