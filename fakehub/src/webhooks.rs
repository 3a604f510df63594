//! Sending webhooks as GitHub does: signed with HMAC-SHA256, with GitHub's
//! headers, asynchronously and concurrently (GitHub does not wait for one
//! delivery's answer before sending the next; `sequential_webhooks` makes
//! a hook wait), each attempt recorded.

use std::sync::Arc;
use std::time::Instant;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::events::Outgoing;
use crate::state::{now, Delivery};
use crate::{shapes, Hook, Hub};

/// One webhook to send.
pub(crate) struct Job {
    event: &'static str,
    payload: Value,
    /// Set for redeliveries, which keep the original delivery's GUID.
    guid: Option<String>,
}

impl Job {
    pub(crate) fn new(outgoing: Outgoing) -> Self {
        Job {
            event: outgoing.event,
            payload: outgoing.payload,
            guid: None,
        }
    }

    pub(crate) fn redelivery(event: &'static str, payload: Value, guid: String) -> Self {
        Job {
            event,
            payload,
            guid: Some(guid),
        }
    }
}

/// The queue in front of one hook.
pub(crate) struct HookQueue {
    pub url: String,
    /// Where the bot says whether it is idle, if it tells.
    pub idle_url: Option<String>,
    /// A paused hook is skipped: GitHub's "active" checkbox.
    pub active: std::sync::atomic::AtomicBool,
    sender: mpsc::UnboundedSender<Job>,
}

impl HookQueue {
    pub(crate) fn start(hub: Arc<Hub>, hook: Hook) -> Self {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Job>();
        let url = hook.url.clone();
        let idle_url = hook.idle_url.clone();
        let hook_id = hub.world().id();
        let hook = Arc::new(hook);
        tokio::spawn(async move {
            while let Some(job) = receiver.recv().await {
                let sequential = hub.sequential_webhooks;
                let (hub, hook) = (Arc::clone(&hub), Arc::clone(&hook));
                let delivery = async move {
                    deliver(&hub, &hook, hook_id, job).await;
                    hub.delivery_done();
                };
                match sequential {
                    true => delivery.await,
                    false => {
                        tokio::spawn(delivery);
                    }
                }
            }
        });
        HookQueue {
            url,
            idle_url,
            active: std::sync::atomic::AtomicBool::new(true),
            sender,
        }
    }

    pub(crate) fn send(&self, job: Job) {
        // The worker lives as long as the hub; a send can only fail after
        // shutdown, when nobody waits for the delivery.
        let _ = self.sender.send(job);
    }
}

/// `sha256=<hex>` of the body, as in `X-Hub-Signature-256`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this never fails.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn guid() -> String {
    let id = crate::state::sha_of(&format!("{:?}{}", Instant::now(), rand_bits()));
    format!(
        "{}-{}-{}-{}-{}",
        &id[0..8],
        &id[8..12],
        &id[12..16],
        &id[16..20],
        &id[20..32]
    )
}

fn rand_bits() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(now());
    hasher.finish()
}

async fn deliver(hub: &Arc<Hub>, hook: &Hook, hook_id: u64, job: Job) {
    let body = serde_json::to_vec(&job.payload).unwrap_or_default();
    let redelivery = job.guid.is_some();
    let guid = job.guid.unwrap_or_else(guid);
    let action = job
        .payload
        .get("action")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let installation_id = job
        .payload
        .pointer("/installation/id")
        .and_then(Value::as_u64);
    let repository_id = job
        .payload
        .pointer("/repository/id")
        .and_then(Value::as_u64);
    let started = Instant::now();
    let result = hub
        .http
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("user-agent", "GitHub-Hookshot/fakehub")
        .header("x-github-event", job.event)
        .header("x-github-delivery", &guid)
        .header("x-github-hook-id", hook_id.to_string())
        .header("x-github-hook-installation-target-type", "integration")
        .header("x-hub-signature-256", signature(&hook.secret, &body))
        .body(body)
        .send()
        .await;
    let duration_ms = started.elapsed().as_millis() as u64;
    let (status_code, status) = match &result {
        Ok(response) => {
            let code = response.status().as_u16();
            (
                code,
                response
                    .status()
                    .canonical_reason()
                    .unwrap_or("")
                    .to_owned(),
            )
        }
        Err(error) => (0, format!("failed to connect: {error}")),
    };
    // Read the body so the connection can be reused.
    if let Ok(response) = result {
        let _ = response.bytes().await;
    }
    let mut world = hub.world();
    let id = world.id();
    world.record_delivery(Delivery {
        id,
        guid,
        event: job.event.to_owned(),
        action,
        hook_url: hook.url.clone(),
        status_code,
        status,
        duration_ms,
        redelivery,
        delivered_at: shapes::timestamp(now()),
        installation_id,
        repository_id,
        sender: job
            .payload
            .pointer("/sender/login")
            .and_then(Value::as_str)
            .map(str::to_owned),
        payload: job.payload,
    });
}

/// Event names fakehub sends, as `'static` strings for redeliveries.
pub(crate) fn event_name(name: &str) -> &'static str {
    match name {
        "issues" => "issues",
        "pull_request" => "pull_request",
        "push" => "push",
        "issue_comment" => "issue_comment",
        "installation" => "installation",
        "ping" => "ping",
        _ => "unknown",
    }
}
