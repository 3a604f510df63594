//! A replica's part in the shared queue (`shared/`): the feeder, which
//! reads entries into the local queue while the workers have room, and the
//! heartbeat, which keeps this replica's entries and locks its own, claims
//! the entries of replicas that stopped, moves failed work back when due,
//! and records the shared queue's figures.

use std::sync::Arc;
use std::time::Duration;

use crate::queue::WorkQueue;
use crate::shared::{Revive, Shared};

/// How often the feeder looks again while the workers have enough.
const FULL_PAUSE: Duration = Duration::from_millis(50);

/// Reads entries for this replica: never more than its workers can start
/// now, so the other replicas get the rest.
pub(super) async fn feed(
    shared: Arc<Shared>,
    queue: Arc<WorkQueue>,
    workers: usize,
    capacity: usize,
) {
    loop {
        // Entries in their coalescing window count: they start soon.
        let (ready, waiting) = queue.ready_within(Duration::from_secs(1));
        if ready >= workers || waiting >= capacity {
            tokio::time::sleep(FULL_PAUSE).await;
            continue;
        }
        match shared.read(workers - ready).await {
            Ok(entries) => take(&shared, &queue, entries),
            Err(error) => {
                crate::metrics::shared_unreachable();
                tracing::warn!(%error, "can't read the shared queue; trying again in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn take(shared: &Shared, queue: &WorkQueue, entries: Vec<crate::queue::Pending>) {
    for pending in entries {
        let ids = pending.entries.clone();
        if queue.push_pending(pending).is_err() {
            // Another replica claims it once it has sat for `claim_after`.
            shared.release(&ids);
        }
    }
}

/// Every `claim_after / 3`: renew, claim, revive, measure.
pub(super) async fn heartbeat(shared: Arc<Shared>, queue: Arc<WorkQueue>) {
    let every = shared.claim_after() / 3;
    loop {
        tokio::time::sleep(every).await;
        let beat = async {
            shared.heartbeat().await?;
            let claimed = shared.claim_stale(100).await?;
            take(&shared, &queue, claimed);
            let revived = shared.revive(Revive::Due).await?;
            if revived > 0 {
                tracing::info!(revived, "failed work is due: queued again");
            }
            let stats = shared.stats().await?;
            crate::metrics::shared_queue(
                stats.length,
                stats.pending,
                stats.oldest_pending,
                stats.failed,
            );
            Ok::<(), crate::shared::SharedError>(())
        };
        if let Err(error) = beat.await {
            crate::metrics::shared_unreachable();
            tracing::warn!(%error, "the heartbeat could not reach Redis");
        }
    }
}
