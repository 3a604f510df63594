//! Prometheus metrics, served at `/metrics`: deliveries by event, action
//! and outcome; handling latency; GitHub requests by endpoint and status;
//! the rate limit left per installation; cache hits, misses and 304s; the
//! work queue (depth, oldest entry, coalesced events, refusals) and writes
//! paced to stay within GitHub's secondary limits.
//!
//! The recorder is process-wide, installed once; several bots in one
//! process (tests, the demo) share it.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The recorder's handle, installing it on first use. `None` when another
/// recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full("probot_delivery_seconds".into()),
                    &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
                )
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

pub fn delivery(event: &str, action: &str, outcome: &'static str, elapsed: Duration) {
    let labels = [
        ("event", event.to_owned()),
        ("action", action.to_owned()),
        ("outcome", outcome.to_owned()),
    ];
    metrics::counter!("probot_deliveries_total", &labels).increment(1);
    metrics::histogram!("probot_delivery_seconds", "event" => event.to_owned())
        .record(elapsed.as_secs_f64());
}

pub fn github_request(method: &str, path: &str, status: u16) {
    let labels = [
        ("method", method.to_owned()),
        ("endpoint", endpoint(path)),
        ("status", status.to_string()),
    ];
    metrics::counter!("probot_github_requests_total", &labels).increment(1);
}

pub fn rate_limit_remaining(installation: Option<u64>, remaining: u64) {
    let installation = installation.map_or_else(|| "token".to_owned(), |id| id.to_string());
    metrics::gauge!("probot_github_rate_limit_remaining", "installation" => installation)
        .set(remaining as f64);
}

/// A command comment not answered: past its author's quota
/// (`person_quota`) or the commands' share of the writes (`share`).
pub fn command_refused(why: &'static str) {
    metrics::counter!("probot_commands_refused_total", "why" => why).increment(1);
}

/// Entries waiting in the work queue.
pub fn queue_depth(entries: usize) {
    metrics::gauge!("probot_queue_depth").set(entries as f64);
}

/// How long the oldest waiting entry has waited.
pub fn queue_oldest(age: std::time::Duration) {
    metrics::gauge!("probot_queue_oldest_seconds").set(age.as_secs_f64());
}

/// A delivery folded into one already waiting for the same item.
pub fn coalesced() {
    metrics::counter!("probot_coalesced_events_total").increment(1);
}

/// A write that waited to stay within GitHub's secondary limits.
pub fn paced(wait: std::time::Duration) {
    metrics::counter!("probot_paced_writes_total").increment(1);
    metrics::histogram!("probot_paced_wait_seconds").record(wait.as_secs_f64());
}

/// A connection closed on arrival: too many open already.
pub fn connection_refused() {
    metrics::counter!("probot_connections_refused_total").increment(1);
}

/// A request refused before its body was read: too much buffered already.
pub fn body_refused() {
    metrics::counter!("probot_bodies_refused_total").increment(1);
}

/// A delivery replayed after a restart.
pub fn replayed() {
    metrics::counter!("probot_replayed_deliveries_total").increment(1);
}

/// A delivery answered 503 because the queue was full.
pub fn refused_full() {
    metrics::counter!("probot_queue_full_total").increment(1);
}

/// A cache lookup: `result` is `miss`, `revalidated` (a 304) or `stale`.
pub fn cache(kind: &'static str, result: &'static str) {
    metrics::counter!("probot_cache_total", "kind" => kind, "result" => result).increment(1);
}

/// A request path as its endpoint template, so metrics have few series:
/// `/repos/a/b/issues/7/labels` -> `/repos/{owner}/{repo}/issues/{number}/labels`.
pub fn endpoint(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < segments.len() {
        let segment = segments[i];
        let previous = out.last().map(String::as_str);
        match (previous, segment) {
            (Some("repos"), _) if i == 1 => {
                out.push("{owner}".into());
                out.push("{repo}".into());
                i += 2;
                continue;
            }
            // Paths and ref names run to the end.
            (Some("contents"), _) => {
                out.push("{path}".into());
                break;
            }
            (Some("ref" | "refs" | "matching-refs"), _) => {
                out.push("{ref}".into());
                break;
            }
            (Some("collaborators"), _) => out.push("{user}".into()),
            (Some("workflows"), _) => out.push("{workflow}".into()),
            (Some("labels"), _) if out.len() > 4 => out.push("{name}".into()),
            (_, s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                out.push("{number}".into())
            }
            (_, s) => out.push(s.to_owned()),
        }
        i += 1;
    }
    format!("/{}", out.join("/"))
}

/// A write found no room in its installation's budget within the worker's
/// patience; its item went back to the queue.
pub fn deferred() {
    metrics::counter!("probot_budget_deferrals_total").increment(1);
}

/// Items that failed after their retries: `kept` (to be tried again, or
/// listed) or `dropped` (memory full, without Redis).
pub fn failed_work(what: &'static str) {
    metrics::counter!("probot_failed_items_total", "what" => what).increment(1);
}

/// Entries this replica claimed from a replica that stopped answering.
pub fn claimed(count: usize) {
    metrics::counter!("probot_shared_claims_total").increment(count as u64);
}

/// The shared queue as Redis sees it: entries in the stream, entries read
/// by a replica and not acknowledged, the oldest of those, failed entries.
pub fn shared_queue(length: u64, pending: u64, oldest_pending: Duration, failed: u64) {
    metrics::gauge!("probot_shared_stream_length").set(length as f64);
    metrics::gauge!("probot_shared_pending").set(pending as f64);
    metrics::gauge!("probot_shared_oldest_pending_seconds").set(oldest_pending.as_secs_f64());
    metrics::gauge!("probot_shared_failed").set(failed as f64);
}

/// One round trip to Redis, by what it was for (`append`, `reserve`, …).
pub fn redis_round_trip(op: &'static str) {
    metrics::counter!("probot_redis_round_trips_total", "op" => op).increment(1);
}

/// Redis could not be reached (intake, worker or heartbeat).
pub fn shared_unreachable() {
    metrics::counter!("probot_shared_unreachable_total").increment(1);
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn endpoints_are_templates() {
        assert_eq!(
            endpoint("/repos/a/b/issues/7/labels"),
            "/repos/{owner}/{repo}/issues/{number}/labels"
        );
        assert_eq!(
            endpoint("/repos/a/b/issues/7/labels/high%20priority"),
            "/repos/{owner}/{repo}/issues/{number}/labels/{name}"
        );
        assert_eq!(
            endpoint("/repos/a/b/contents/.github/probot.toml?ref=x"),
            "/repos/{owner}/{repo}/contents/{path}"
        );
        assert_eq!(
            endpoint("/repos/a/b/git/ref/tags/ciflow/trunk/12"),
            "/repos/{owner}/{repo}/git/ref/{ref}"
        );
        assert_eq!(
            endpoint("/repos/a/b/collaborators/alice/permission"),
            "/repos/{owner}/{repo}/collaborators/{user}/permission"
        );
        assert_eq!(
            endpoint("/app/installations/5/access_tokens"),
            "/app/installations/{number}/access_tokens"
        );
        assert_eq!(
            endpoint("/repos/a/b/pulls/3/files"),
            "/repos/{owner}/{repo}/pulls/{number}/files"
        );
    }
}
