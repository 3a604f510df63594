//! Replicas on Redis (`probot serve --redis-url`): one queue, one write
//! budget (`budget.rs`) and one failed set for every replica. Without it
//! nothing here runs, and the bot needs no Redis.
//!
//! The queue is a Redis stream read through one consumer group:
//!
//! - The intake appends a delivery (the parsed event, as JSON) and answers
//!   202 only once Redis has it; a delivery id seen in the last day is not
//!   appended again (one script: the check and the append are atomic).
//!   Redis unreachable: the intake answers 503, never 202.
//! - Each replica's feeder reads a few entries at a time into its local
//!   queue (`queue.rs`, which folds one item's events and schedules fairly)
//!   while its workers have room, so the others get the rest.
//! - A worker takes an item only under the item's lock in Redis, so one
//!   replica at a time handles an item; it acknowledges (and deletes) the
//!   entries once handled.
//! - Every `claim_after / 3` a replica's heartbeat renews its locks and
//!   the idle time of the entries it holds; entries idle longer than
//!   `claim_after` belong to a replica that died, and another claims them
//!   (XAUTOCLAIM) and handles them again. Handling is idempotent (a fresh
//!   read, level-based writes), so an entry redone writes nothing twice.
//! - Work that still fails after its retries moves to the failed stream,
//!   with when to try it again (`limits::FAILED_RETRY_WAITS`); the heartbeat
//!   moves due entries back to the queue (a script: one replica moves each).
//!
//! Races it accepts: a replica that stalls longer than `claim_after` (not
//! dead) has its entries claimed, and both may handle the item; the lock
//! keeps them from doing so at once, and the writes are level-based. All
//! keys share one hash tag (`{prefix}`), so a Redis Cluster keeps them in
//! one slot and the scripts may touch several.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::time::Instant;

use crate::limits::{DELIVERY_SEEN_FOR, FAILED_RETRY_WAITS};
use crate::queue::{ItemKey, Pending, Work};

mod admin;
mod budget;

pub use admin::Revive;
pub use budget::Budget;

/// Redis failed, or held what can't be read.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("a shared queue entry can't be read: {0}")]
    Decode(String),
}

type Result<T> = std::result::Result<T, SharedError>;

/// How replicas meet.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `redis://[:password@]host:port[/db]` (`rediss://` for TLS is not
    /// built in).
    pub url: String,
    /// Names every key: replicas with one prefix share a queue.
    pub prefix: String,
    /// An entry held this long by a replica that stopped renewing it is
    /// claimed by another.
    pub claim_after: Duration,
}

/// The keys, all under one hash tag.
#[derive(Debug, Clone)]
struct Keys {
    tag: String,
}

impl Keys {
    fn stream(&self) -> String {
        format!("{{{}}}:work", self.tag)
    }
    fn failed(&self) -> String {
        format!("{{{}}}:failed", self.tag)
    }
    fn seen(&self, delivery: &str) -> String {
        format!("{{{}}}:seen:{delivery}", self.tag)
    }
    fn item(&self, (repo, number): &ItemKey) -> String {
        format!("{{{}}}:item:{repo}#{number}", self.tag)
    }
    fn budget(&self, installation: Option<u64>) -> String {
        match installation {
            Some(id) => format!("{{{}}}:budget:{id}", self.tag),
            None => format!("{{{}}}:budget:token", self.tag),
        }
    }
    fn command_writes(&self, installation: Option<u64>) -> String {
        format!("{}:commands", self.budget(installation))
    }
    fn command_person(&self, installation: Option<u64>, login: &str) -> String {
        format!(
            "{}:commands:{}",
            self.budget(installation),
            login.to_ascii_lowercase()
        )
    }
    fn sweep(&self) -> String {
        format!("{{{}}}:sweep", self.tag)
    }
    fn redelivered(&self, guid: &str) -> String {
        format!("{{{}}}:redelivered:{guid}", self.tag)
    }
}

const GROUP: &str = "probot";

/// Appends unless the delivery was seen: KEYS seen, stream; ARGV seen ms,
/// then the entry's fields.
const APPEND: &str = r"
if ARGV[2] ~= '-' and not redis.call('SET', KEYS[1], 1, 'NX', 'PX', ARGV[1]) then
  return false
end
return redis.call('XADD', KEYS[2], '*', 'work', ARGV[3], 'delivery', ARGV[2], 'failures', ARGV[4], 'received', ARGV[5])
";

/// Moves a failed entry back to the queue, once: KEYS failed, stream; ARGV
/// the failed entry's id and the fields to append.
const REVIVE: &str = r"
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return false end
return redis.call('XADD', KEYS[2], '*', 'work', ARGV[2], 'delivery', ARGV[3], 'failures', ARGV[4], 'received', ARGV[5])
";

/// Releases an item's lock if this replica holds it: KEYS lock; ARGV owner.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// Whether the delivery was stored or had been seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    Stored,
    Seen,
}

/// A failed entry, as `probot failed list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failed {
    /// Its id in the failed stream (for `probot failed retry ID`).
    pub id: String,
    pub item: String,
    pub deliveries: String,
    pub failures: u32,
    pub error: String,
    /// When it is tried again (ms since the epoch), or none: kept until
    /// retried by hand.
    pub due_ms: Option<u64>,
}

/// The shared queue as Redis sees it, for metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub length: u64,
    pub pending: u64,
    pub oldest_pending: Duration,
    pub failed: u64,
}

/// One replica's handle on the shared queue.
pub struct Shared {
    conn: ConnectionManager,
    /// A second connection for the blocking read, so the rest never waits
    /// behind it.
    reader: ConnectionManager,
    keys: Keys,
    consumer: String,
    claim_after: Duration,
    /// Entries read or claimed by this replica and not yet acknowledged.
    held: Mutex<HashSet<String>>,
    /// Items this replica holds the lock of.
    locks: Mutex<HashSet<String>>,
    append: redis::Script,
    revive: redis::Script,
    unlock: redis::Script,
}

/// How long a blocking read waits for an entry.
const READ_BLOCK: Duration = Duration::from_millis(1_000);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Shared {
    /// Connects, and creates the consumer group if this is the first
    /// replica.
    pub async fn connect(settings: &Settings) -> Result<Shared> {
        let client = redis::Client::open(settings.url.as_str())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_with_config(client.clone(), config.clone()).await?;
        let reader = ConnectionManager::new_with_config(
            client,
            config.set_response_timeout(Some(READ_BLOCK + Duration::from_secs(3))),
        )
        .await?;
        let keys = Keys {
            tag: settings.prefix.clone(),
        };
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(keys.stream())
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut conn.clone())
            .await;
        if let Err(error) = created {
            if error.code() != Some("BUSYGROUP") {
                return Err(error.into());
            }
        }
        // Unique per connection, even for several in one process (tests).
        static CONNECTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "replica".into());
        let consumer = format!(
            "{host}-{}-{}-{}",
            std::process::id(),
            now_ms(),
            CONNECTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        Ok(Shared {
            conn,
            reader,
            keys,
            consumer,
            claim_after: settings.claim_after,
            held: Mutex::new(HashSet::new()),
            locks: Mutex::new(HashSet::new()),
            append: redis::Script::new(APPEND),
            revive: redis::Script::new(REVIVE),
            unlock: redis::Script::new(UNLOCK),
        })
    }

    /// The write budget, shared through the same Redis.
    pub fn budget(&self) -> Budget {
        Budget::new(self.conn.clone(), self.keys.clone())
    }

    /// This replica's name in the consumer group.
    pub fn consumer(&self) -> &str {
        &self.consumer
    }

    pub fn claim_after(&self) -> Duration {
        self.claim_after
    }

    /// Stores a delivery for any replica to handle, unless it was seen.
    pub(crate) async fn append(&self, work: &Work, delivery: &str) -> Result<Appended> {
        crate::metrics::redis_round_trip("append");
        let json = serde_json::to_string(work).map_err(|e| SharedError::Decode(e.to_string()))?;
        let id: Option<String> = self
            .append
            .key(self.keys.seen(delivery))
            .key(self.keys.stream())
            .arg(DELIVERY_SEEN_FOR.as_millis() as u64)
            .arg(delivery)
            .arg(json)
            .arg(0)
            .arg(now_ms())
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(if id.is_some() {
            Appended::Stored
        } else {
            Appended::Seen
        })
    }

    /// Up to `count` new entries for this replica, waiting a moment for
    /// one. Entries that can't be read are acknowledged and logged (they
    /// would fail the same way on every replica).
    pub(crate) async fn read(&self, count: usize) -> Result<Vec<Pending>> {
        crate::metrics::redis_round_trip("read");
        type Reply = Option<Vec<(String, Vec<(String, Vec<String>)>)>>;
        let reply: Reply = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(READ_BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(self.keys.stream())
            .arg(">")
            .query_async(&mut self.reader.clone())
            .await?;
        let entries = reply
            .into_iter()
            .flatten()
            .flat_map(|(_, entries)| entries)
            .collect();
        self.take_entries(entries).await
    }

    /// Entries of replicas that stopped renewing them for `claim_after`,
    /// now this replica's.
    pub(crate) async fn claim_stale(&self, count: usize) -> Result<Vec<Pending>> {
        crate::metrics::redis_round_trip("claim");
        type Reply = (String, Vec<(String, Vec<String>)>, Vec<String>);
        let (_, entries, _): Reply = redis::cmd("XAUTOCLAIM")
            .arg(self.keys.stream())
            .arg(GROUP)
            .arg(&self.consumer)
            .arg(self.claim_after.as_millis() as u64)
            .arg("0")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.conn.clone())
            .await?;
        if !entries.is_empty() {
            crate::metrics::claimed(entries.len());
            tracing::warn!(
                claimed = entries.len(),
                "claimed work from a replica that stopped; handling it again"
            );
        }
        self.take_entries(entries).await
    }

    async fn take_entries(&self, entries: Vec<(String, Vec<String>)>) -> Result<Vec<Pending>> {
        let mut taken = Vec::new();
        let mut unreadable = Vec::new();
        for (id, fields) in entries {
            match decode(&id, &fields) {
                Ok(pending) => taken.push(pending),
                Err(error) => {
                    tracing::error!(entry = %id, %error, "dropped a shared entry that can't be read");
                    unreadable.push(id);
                }
            }
        }
        self.hold(taken.iter().flat_map(|p| p.entries.iter().cloned()));
        if !unreadable.is_empty() {
            self.ack(&unreadable).await?;
        }
        Ok(taken)
    }

    /// Entries this replica read but can't hold (its queue is full): no
    /// longer renewed, so another replica claims them after `claim_after`.
    pub(crate) fn release(&self, entries: &[String]) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        for id in entries {
            held.remove(id);
        }
    }

    fn hold(&self, ids: impl IntoIterator<Item = String>) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.extend(ids);
    }

    /// Entries handled: acknowledged and deleted, so the stream holds only
    /// work not done.
    pub(crate) async fn ack(&self, entries: &[String]) -> Result<()> {
        crate::metrics::redis_round_trip("ack");
        if entries.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.cmd("XACK")
            .arg(self.keys.stream())
            .arg(GROUP)
            .arg(entries)
            .ignore();
        pipe.cmd("XDEL")
            .arg(self.keys.stream())
            .arg(entries)
            .ignore();
        pipe.query_async::<()>(&mut self.conn.clone()).await?;
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        for id in entries {
            held.remove(id);
        }
        Ok(())
    }

    /// Takes the item's lock for this replica, for `claim_after` (the
    /// heartbeat renews it); false when another replica holds it.
    pub(crate) async fn lock_item(&self, key: &ItemKey) -> Result<bool> {
        crate::metrics::redis_round_trip("lock");
        let name = self.keys.item(key);
        let taken: Option<String> = redis::cmd("SET")
            .arg(&name)
            .arg(&self.consumer)
            .arg("NX")
            .arg("PX")
            .arg(self.claim_after.as_millis() as u64)
            .query_async(&mut self.conn.clone())
            .await?;
        if taken.is_some() {
            self.locks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name);
        }
        Ok(taken.is_some())
    }

    pub(crate) async fn unlock_item(&self, key: &ItemKey) -> Result<()> {
        crate::metrics::redis_round_trip("unlock");
        let name = self.keys.item(key);
        self.locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&name);
        let _: i64 = self
            .unlock
            .key(&name)
            .arg(&self.consumer)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    /// Renews this replica's locks and the idle time of the entries it
    /// holds, so no other replica claims them while it is alive.
    pub async fn heartbeat(&self) -> Result<()> {
        crate::metrics::redis_round_trip("heartbeat");
        let held: Vec<String> = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect();
        let locks: Vec<String> = self
            .locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect();
        if held.is_empty() && locks.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for chunk in held.chunks(100) {
            pipe.cmd("XCLAIM")
                .arg(self.keys.stream())
                .arg(GROUP)
                .arg(&self.consumer)
                .arg(0)
                .arg(chunk)
                .arg("JUSTID")
                .ignore();
        }
        for lock in &locks {
            pipe.cmd("PEXPIRE")
                .arg(lock)
                .arg(self.claim_after.as_millis() as u64)
                .ignore();
        }
        pipe.query_async::<()>(&mut self.conn.clone()).await?;
        Ok(())
    }

    /// Work that failed after its retries: kept in the failed stream, to
    /// be tried again at its due time, and its entries acknowledged.
    pub(crate) async fn fail(&self, pending: &Pending, error: &str) -> Result<Option<Duration>> {
        crate::metrics::redis_round_trip("fail");
        let wait = FAILED_RETRY_WAITS
            .get(pending.failures.saturating_sub(1) as usize)
            .copied();
        let json = serde_json::to_string(&pending.event)
            .map_err(|e| SharedError::Decode(e.to_string()))?;
        let due = wait.map_or(0, |w| now_ms() + w.as_millis() as u64);
        let _: String = redis::cmd("XADD")
            .arg(self.keys.failed())
            .arg("*")
            .arg("work")
            .arg(json)
            .arg("delivery")
            .arg(pending.deliveries.join(","))
            .arg("failures")
            .arg(pending.failures)
            .arg("error")
            .arg(error)
            .arg("due")
            .arg(due)
            .query_async(&mut self.conn.clone())
            .await?;
        self.ack(&pending.entries).await?;
        Ok(wait)
    }
}

fn field<'f>(fields: &'f [String], name: &str) -> Option<&'f str> {
    fields
        .chunks(2)
        .find(|pair| pair[0] == name)
        .and_then(|pair| pair.get(1))
        .map(String::as_str)
}

/// An entry as the local queue holds it.
fn decode(id: &str, fields: &[String]) -> std::result::Result<Pending, String> {
    let work: Work = serde_json::from_str(field(fields, "work").ok_or("no work field")?)
        .map_err(|e| e.to_string())?;
    let delivery = field(fields, "delivery").unwrap_or("-");
    let failures = field(fields, "failures")
        .and_then(|f| f.parse().ok())
        .unwrap_or(0);
    let age = field(fields, "received")
        .and_then(|r| r.parse::<u64>().ok())
        .map_or(Duration::ZERO, |r| {
            Duration::from_millis(now_ms().saturating_sub(r))
        });
    let mut pending = Pending::new(work, String::new());
    pending.deliveries = delivery.split(',').map(str::to_owned).collect();
    pending.received = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
    pending.entries = vec![id.to_owned()];
    pending.failures = failures;
    Ok(pending)
}

#[cfg(all(test, feature = "demo"))]
mod tests;
