//! One write budget per installation for every replica: the slot
//! reservation of `github/pacing.rs`, as one atomic script in Redis, with
//! the same windows (72 a minute, 450 an hour) so N replicas together stay
//! inside GitHub's 80 and 500. Redis's clock decides, so replicas' clocks
//! need not agree.
//!
//! Each installation's reserved slots are a sorted set (score: the slot in
//! ms), trimmed to the last hour at each reservation and expiring an hour
//! after its last slot. One round trip per write.
//!
//! The command gate of `github/pacing.rs` (each person's quota, commands'
//! share of the writes) is shared the same way, so N replicas admit no more
//! commands than one: one script per command comment.

use crate::event::CommentId;
use std::time::Duration;

use redis::aio::ConnectionManager;

use super::{Keys, SharedError};
use crate::github::{BoxFuture, CommandRefusal, SharedBudget, Unreachable, PER_HOUR, PER_MINUTE};
use crate::limits::{
    COMMANDS_PER_PERSON_PER_HOUR, COMMAND_WRITES_PER_HOUR, COMMAND_WRITES_PER_MINUTE,
    WRITES_PER_COMMAND,
};

/// The reservation: the first slot at or after now that keeps fewer than
/// `per_minute` slots in the minute up to it and `per_hour` in the hour,
/// as `Pacer::reserve_within` computes it. Returns {reserved, wait in ms};
/// nothing is reserved when the wait is over `patience` (ms, -1: none).
const RESERVE: &str = r"
local key = KEYS[1]
local per_minute = tonumber(ARGV[1])
local per_hour = tonumber(ARGV[2])
local patience = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 3600000)
local function after(slot, limit, window)
  local r = redis.call('ZREVRANGEBYSCORE', key, slot, '-inf', 'WITHSCORES', 'LIMIT', limit - 1, 1)
  if #r == 0 then return nil end
  local oldest = tonumber(r[2])
  if oldest + window > slot then return oldest + window end
  return nil
end
local slot = now
-- Each step moves past one full window; two windows settle in a few.
for _ = 1, 100 do
  local later = after(slot, per_minute, 60000) or after(slot, per_hour, 3600000)
  if not later then break end
  slot = later
end
local wait = slot - now
if patience >= 0 and wait > patience then return {0, wait} end
local n = redis.call('INCR', key .. ':n')
redis.call('ZADD', key, slot, slot .. ':' .. n)
redis.call('PEXPIRE', key, 3600000 + wait)
redis.call('PEXPIRE', key .. ':n', 3600000 + wait)
return {1, wait}
";

/// Admits a command comment: KEYS the installation's command writes, the
/// person's comments; ARGV the comment id, the person's quota, the writes a
/// minute and an hour, the writes a comment is charged. Returns `ok`,
/// `person` or `share`, as `CommandGate::admit`.
const ADMIT: &str = r"
local writes = KEYS[1]
local person = KEYS[2]
local id = ARGV[1]
local quota = tonumber(ARGV[2])
local per_minute = tonumber(ARGV[3])
local per_hour = tonumber(ARGV[4])
local charge = tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', person, '-inf', now - 3600000)
if redis.call('ZSCORE', person, id) then return 'ok' end
if redis.call('ZCARD', person) >= quota then return 'person' end
redis.call('ZREMRANGEBYSCORE', writes, '-inf', now - 3600000)
local minute = redis.call('ZCOUNT', writes, now - 60000 + 1, '+inf')
if minute + charge > per_minute or redis.call('ZCARD', writes) + charge > per_hour then
  return 'share'
end
for i = 1, charge do redis.call('ZADD', writes, now, id .. ':' .. i) end
redis.call('ZADD', person, now, id)
redis.call('PEXPIRE', writes, 3600000)
redis.call('PEXPIRE', person, 3600000)
return 'ok'
";

/// The budget replicas share. Cheap to clone.
#[derive(Clone)]
pub struct Budget {
    conn: ConnectionManager,
    keys: Keys,
    script: std::sync::Arc<redis::Script>,
    admit: std::sync::Arc<redis::Script>,
}

impl Budget {
    pub(super) fn new(conn: ConnectionManager, keys: Keys) -> Self {
        Budget {
            conn,
            keys,
            script: std::sync::Arc::new(redis::Script::new(RESERVE)),
            admit: std::sync::Arc::new(redis::Script::new(ADMIT)),
        }
    }

    /// Reserves `installation`'s next write slot: `Ok(wait)` till it, or
    /// `Err(wait)` (nothing reserved) when that is past `patience`.
    pub async fn reserve(
        &self,
        installation: Option<u64>,
        patience: Option<Duration>,
    ) -> Result<Result<Duration, Duration>, SharedError> {
        crate::metrics::redis_round_trip("reserve");
        let patience = patience.map_or(-1, |p| p.as_millis() as i64);
        let mut conn = self.conn.clone();
        let (reserved, wait): (i64, i64) = self
            .script
            .key(self.keys.budget(installation))
            .arg(PER_MINUTE)
            .arg(PER_HOUR)
            .arg(patience)
            .invoke_async(&mut conn)
            .await?;
        let wait = Duration::from_millis(wait.max(0) as u64);
        Ok(if reserved == 1 { Ok(wait) } else { Err(wait) })
    }

    /// Admits command comment `id` by `login` in `installation`, as
    /// `CommandGate::admit` does, for every replica at once.
    pub async fn admit_command(
        &self,
        installation: Option<u64>,
        login: &str,
        id: CommentId,
    ) -> Result<Result<(), CommandRefusal>, SharedError> {
        crate::metrics::redis_round_trip("admit");
        let answer: String = self
            .admit
            .key(self.keys.command_writes(installation))
            .key(self.keys.command_person(installation, login))
            .arg(id.0)
            .arg(COMMANDS_PER_PERSON_PER_HOUR)
            .arg(COMMAND_WRITES_PER_MINUTE)
            .arg(COMMAND_WRITES_PER_HOUR)
            .arg(WRITES_PER_COMMAND)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(match answer.as_str() {
            "person" => Err(CommandRefusal::PersonOverQuota),
            "share" => Err(CommandRefusal::ShareSpent),
            _ => Ok(()),
        })
    }
}

impl SharedBudget for Budget {
    fn reserve(
        &self,
        installation: Option<u64>,
        patience: Option<Duration>,
    ) -> BoxFuture<'_, std::result::Result<std::result::Result<Duration, Duration>, Unreachable>>
    {
        Box::pin(async move {
            Budget::reserve(self, installation, patience)
                .await
                .map_err(|e| Unreachable(e.to_string()))
        })
    }

    fn admit_command<'a>(
        &'a self,
        installation: Option<u64>,
        login: &'a str,
        id: CommentId,
    ) -> BoxFuture<'a, std::result::Result<std::result::Result<(), CommandRefusal>, Unreachable>>
    {
        Box::pin(async move {
            Budget::admit_command(self, installation, login, id)
                .await
                .map_err(|e| Unreachable(e.to_string()))
        })
    }
}
