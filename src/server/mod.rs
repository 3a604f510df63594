//! The server: the webhook intake (`intake.rs`: verify, parse), then
//! either queue and answer at once
//! (a server: `Handling::Queued`) or handle and then answer (Lambda, which
//! freezes the process once it has answered: `Handling::Inline`).
//!
//! Queued: 202 when queued (workers handle it from `queue.rs`), 202 when
//! there is nothing to do, 503 with `Retry-After` when the queue is full,
//! so GitHub records a failure that `probot redeliver` brings back. Inline:
//! 200 when handled, 202 when there was nothing to do, 5xx when GitHub
//! calls failed after retries, 200 with the reason for failures that would
//! fail again. Both: 400 for a payload we can't read, 401 for a bad
//! signature (and no work at all). The workers (`worker.rs`) handle the
//! queue, and log every delivery's outcome the same way as inline
//! handling does. This file wires them: routes, `/healthz`, `/metrics`,
//! `/idle`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Semaphore;

use crate::bot::Bot;
use crate::event::ItemEvent;
use crate::limits::{MAX_BUFFERED_BYTES, MAX_INLINE_DELIVERIES, MAX_PAYLOAD_BYTES};
use crate::queue::WorkQueue;

mod failed;
mod intake;
mod replicas;
mod worker;

use failed::Failures;
use intake::webhook;
use worker::work;

use crate::shared::Shared;

/// Time to handle a delivery inline: under GitHub's 10 s, with room to
/// answer.
const HANDLING_BUDGET: Duration = Duration::from_millis(9_000);

/// Time a worker gives one queued entry: long enough to wait out GitHub's
/// secondary limits (a minute) and pace a burst's writes.
const QUEUED_BUDGET: Duration = Duration::from_secs(600);

/// How long an item's first event waits for more to fold into it: GitHub
/// sends a bulk edit's webhooks within a moment.
const COALESCE_WINDOW: Duration = Duration::from_millis(100);

/// How deliveries are handled.
#[derive(Debug, Clone, Copy)]
pub enum Handling {
    /// Within the request, before answering (Lambda, tests of the old way).
    Inline,
    /// Answered at once; `workers` handle them from a queue of at most
    /// `capacity` entries.
    Queued { capacity: usize, workers: usize },
}

impl Handling {
    /// A server's defaults: 1,000 entries (a burst ten times GitHub's
    /// largest bulk edit), 8 workers (GitHub allows 100 requests at once).
    pub const SERVER: Handling = Handling::Queued {
        capacity: 1_000,
        workers: 8,
    };
}

/// How the intake is set up.
#[derive(Clone)]
pub struct Intake {
    /// Where GitHub posts, `/webhook` by default.
    pub path: String,
    /// Accepted webhook secrets; more than one while rotating.
    pub secrets: Vec<String>,
    /// Accept unsigned deliveries. For local use only.
    pub insecure_skip_signature: bool,
}

impl std::fmt::Debug for Intake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake")
            .field("path", &self.path)
            .field(
                "secrets",
                &format_args!("<{} redacted>", self.secrets.len()),
            )
            .field("insecure_skip_signature", &self.insecure_skip_signature)
            .finish()
    }
}

struct AppState {
    bot: Arc<Bot>,
    intake: Intake,
    /// `None` when deliveries are handled inline.
    queue: Option<Arc<WorkQueue>>,
    /// The queue replicas share, when they do: the intake appends there.
    shared: Option<Arc<Shared>>,
    /// KiB of bodies buffered before their signature is checked.
    buffered: Semaphore,
    /// Deliveries handled inline at once.
    inline: Semaphore,
}

/// The bot's HTTP service: its routes, and its queue when it has one.
pub struct Service {
    pub router: Router,
    pub queue: Option<Arc<WorkQueue>>,
    /// The queue replicas share, when they do.
    pub shared: Option<Arc<Shared>>,
}

/// The bot's HTTP routes: the webhook, `/healthz`, `/metrics` and `/idle`
/// (200 once nothing is queued or being handled, 503 before). Queued
/// handling starts its workers here, on the current runtime.
pub fn service(bot: Bot, intake: Intake, handling: Handling) -> Service {
    build(bot, intake, handling, None)
}

/// A replica's service: queued handling whose queue and write budget are
/// shared through Redis with every replica connected to `shared`.
pub fn replica(bot: Bot, intake: Intake, handling: Handling, shared: Shared) -> Service {
    bot.github()
        .share_budget(std::sync::Arc::new(shared.budget()));
    build(bot, intake, handling, Some(Arc::new(shared)))
}

fn build(bot: Bot, intake: Intake, handling: Handling, shared: Option<Arc<Shared>>) -> Service {
    // Install the recorder before the first delivery is counted.
    let _ = crate::metrics::handle();
    let path = intake.path.clone();
    let bot = Arc::new(bot);
    let queue = match handling {
        Handling::Inline => None,
        Handling::Queued { capacity, workers } => {
            let queue = Arc::new(WorkQueue::new(capacity, COALESCE_WINDOW));
            let failures = Arc::new(Failures::default());
            let workers = workers.max(1);
            for _ in 0..workers {
                tokio::spawn(work(
                    Arc::clone(&bot),
                    Arc::clone(&queue),
                    shared.clone(),
                    Arc::clone(&failures),
                ));
            }
            match &shared {
                Some(shared) => {
                    tokio::spawn(replicas::feed(
                        Arc::clone(shared),
                        Arc::clone(&queue),
                        workers,
                        capacity,
                    ));
                    tokio::spawn(replicas::heartbeat(Arc::clone(shared), Arc::clone(&queue)));
                }
                None => {
                    tokio::spawn(failed::revive(failures, Arc::clone(&queue)));
                }
            }
            Some(queue)
        }
    };
    let state = Arc::new(AppState {
        bot,
        intake,
        queue: queue.clone(),
        shared: shared.clone(),
        buffered: Semaphore::new(MAX_BUFFERED_BYTES / 1024),
        inline: Semaphore::new(MAX_INLINE_DELIVERIES),
    });
    let router = Router::new()
        .route(&path, post(webhook))
        .route("/healthz", get(healthz))
        // Alive whatever Redis does: for a liveness probe, which restarts.
        .route("/livez", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/idle", get(idle))
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD_BYTES))
        .with_state(state);
    Service {
        router,
        queue,
        shared,
    }
}

/// Healthy when it can take deliveries: with replicas, when Redis answers.
async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match &state.shared {
        Some(shared) => match shared.ping().await {
            Ok(()) => (StatusCode::OK, "ok").into_response(),
            Err(error) => {
                crate::metrics::shared_unreachable();
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("Redis is unreachable: {error}"),
                )
                    .into_response()
            }
        },
        None => (StatusCode::OK, "ok").into_response(),
    }
}

/// Queues events to handle again (a replay after a crash); returns how
/// many were queued (not those past the queue's capacity).
pub fn replay(queue: &WorkQueue, events: Vec<(String, ItemEvent)>) -> usize {
    let mut queued = 0;
    for (delivery, event) in events {
        if queue.push(event, delivery).is_ok() {
            queued += 1;
            crate::metrics::replayed();
        }
    }
    queued
}

/// The routes alone, for handling inline (Lambda).
pub fn router(bot: Bot, intake: Intake) -> Router {
    service(bot, intake, Handling::Inline).router
}

async fn idle(State(state): State<Arc<AppState>>) -> Response {
    // With replicas: idle when the shared stream is empty too (entries
    // leave it once handled).
    if let Some(shared) = &state.shared {
        match shared.stats().await {
            Ok(stats) if stats.length == 0 => {}
            Ok(stats) => {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("busy: {} in the shared queue", stats.length),
                )
                    .into_response()
            }
            Err(error) => {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("Redis is unreachable: {error}"),
                )
                    .into_response()
            }
        }
    }
    match &state.queue {
        Some(queue) if !queue.is_idle() => {
            let (depth, _) = queue.depth();
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("busy: {depth} waiting"),
            )
                .into_response()
        }
        _ => (StatusCode::OK, "idle").into_response(),
    }
}

/// A running bot server.
pub struct Running {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `router` on `addr` (port 0 picks a free one) in the background.
pub async fn spawn(router: Router, addr: SocketAddr) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(crate::listener::serve(
        listener,
        router,
        std::future::pending(),
    ));
    Ok(Running { addr, task })
}

async fn metrics() -> Response {
    match crate::metrics::handle() {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics are not available").into_response(),
    }
}
