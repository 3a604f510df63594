//! What people and the operator's tools ask of the shared queue: the
//! failed work (listed, tried again), counts for metrics and health, and
//! whose turn it is to sweep GitHub's failed deliveries.

use super::*;

impl Shared {
    /// The failed entries, oldest first (at most `count`).
    pub async fn failed(&self, count: usize) -> Result<Vec<Failed>> {
        crate::metrics::redis_round_trip("list_failed");
        let entries: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
            .arg(self.keys.failed())
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(entries
            .into_iter()
            .map(|(id, fields)| {
                let field = |name: &str| field(&fields, name).unwrap_or_default().to_owned();
                let item = serde_json::from_str::<Work>(&field("work"))
                    .map(|work| {
                        let (repo, number) = work.key();
                        format!("{repo}#{number}")
                    })
                    .unwrap_or_else(|_| "?".into());
                Failed {
                    id,
                    item,
                    deliveries: field("delivery"),
                    failures: field("failures").parse().unwrap_or(0),
                    error: field("error"),
                    due_ms: field("due").parse().ok().filter(|due| *due > 0),
                }
            })
            .collect())
    }

    /// Moves failed entries back to the queue: those due by now, or (by a
    /// person) the one named, or all. Returns how many moved.
    pub async fn revive(&self, which: Revive<'_>) -> Result<usize> {
        crate::metrics::redis_round_trip("revive");
        let entries: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
            .arg(self.keys.failed())
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(1_000)
            .query_async(&mut self.conn.clone())
            .await?;
        let now = now_ms();
        let mut moved = 0;
        for (id, fields) in entries {
            let due: u64 = field(&fields, "due")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            let chosen = match which {
                Revive::Due => due > 0 && due <= now,
                Revive::One(wanted) => id == wanted,
                Revive::All => true,
            };
            if !chosen {
                continue;
            }
            let failures = field(&fields, "failures").unwrap_or("0");
            // By hand, the schedule starts over.
            let failures = if matches!(which, Revive::Due) {
                failures
            } else {
                "0"
            };
            let appended: Option<String> = self
                .revive
                .key(self.keys.failed())
                .key(self.keys.stream())
                .arg(&id)
                .arg(field(&fields, "work").unwrap_or_default())
                .arg(field(&fields, "delivery").unwrap_or("-"))
                .arg(failures)
                .arg(now)
                .invoke_async(&mut self.conn.clone())
                .await?;
            moved += usize::from(appended.is_some());
        }
        Ok(moved)
    }

    /// The queue's figures, for metrics.
    pub async fn stats(&self) -> Result<Stats> {
        crate::metrics::redis_round_trip("stats");
        let mut pipe = redis::pipe();
        pipe.cmd("XLEN").arg(self.keys.stream());
        pipe.cmd("XPENDING")
            .arg(self.keys.stream())
            .arg(GROUP)
            .arg("-")
            .arg("+")
            .arg(1);
        pipe.cmd("XLEN").arg(self.keys.failed());
        pipe.cmd("XPENDING").arg(self.keys.stream()).arg(GROUP);
        type Oldest = Vec<(String, String, u64, u64)>;
        type Summary = (u64, redis::Value, redis::Value, redis::Value);
        let (length, oldest, failed, summary): (u64, Oldest, u64, Summary) =
            pipe.query_async(&mut self.conn.clone()).await?;
        Ok(Stats {
            length,
            pending: summary.0,
            oldest_pending: oldest.first().map_or(Duration::ZERO, |(_, _, idle, _)| {
                Duration::from_millis(*idle)
            }),
            failed,
        })
    }

    /// Redis answers.
    pub async fn ping(&self) -> Result<()> {
        crate::metrics::redis_round_trip("ping");
        let _: String = redis::cmd("PING")
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    /// Takes the sweep's turn for `every`: true for one replica in each
    /// period.
    pub async fn sweep_turn(&self, every: Duration) -> Result<bool> {
        crate::metrics::redis_round_trip("sweep");
        let taken: Option<String> = redis::cmd("SET")
            .arg(self.keys.sweep())
            .arg(&self.consumer)
            .arg("NX")
            .arg("PX")
            .arg(every.as_millis() as u64)
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(taken.is_some())
    }

    /// Records that delivery `guid` was redelivered; false if a replica
    /// did so already.
    pub async fn first_redelivery(&self, guid: &str) -> Result<bool> {
        crate::metrics::redis_round_trip("sweep");
        let taken: Option<String> = redis::cmd("SET")
            .arg(self.keys.redelivered(guid))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(DELIVERY_SEEN_FOR.as_millis() as u64 * 3)
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(taken.is_some())
    }
}

/// Which failed entries `revive` moves back.
#[derive(Debug, Clone, Copy)]
pub enum Revive<'a> {
    /// Those whose retry is due.
    Due,
    /// This one, now (`probot failed retry ID`).
    One(&'a str),
    /// Every one, now (`probot failed retry --all`).
    All,
}
