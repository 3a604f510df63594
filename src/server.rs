//! The webhook intake: verify, parse, then either queue and answer at once
//! (a server: `Handling::Queued`) or handle and then answer (Lambda, which
//! freezes the process once it has answered: `Handling::Inline`).
//!
//! Queued: 202 when queued (workers handle it from `queue.rs`), 202 when
//! there is nothing to do, 503 with `Retry-After` when the queue is full,
//! so GitHub records a failure that `probot redeliver` brings back. Inline:
//! 200 when handled, 202 when there was nothing to do, 5xx when GitHub
//! calls failed after retries, 200 with the reason for failures that would
//! fail again. Both: 400 for a payload we can't read, 401 for a bad
//! signature (and no work at all).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;
use tracing::Instrument;

use crate::bot::{Bot, HandleError, Outcome};
use crate::event::{self, Event, ItemEvent, ItemKind};
use crate::limits::{
    MAX_BUFFERED_BYTES, MAX_INLINE_DELIVERIES, MAX_PAYLOAD_BYTES, REQUEST_BODY_TIMEOUT,
};
use crate::queue::{Full, Pending, Work, WorkQueue};

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
    /// KiB of bodies buffered before their signature is checked.
    buffered: Semaphore,
    /// Deliveries handled inline at once.
    inline: Semaphore,
}

/// The bot's HTTP service: its routes, and its queue when it has one.
pub struct Service {
    pub router: Router,
    pub queue: Option<Arc<WorkQueue>>,
}

/// The bot's HTTP routes: the webhook, `/healthz`, `/metrics` and `/idle`
/// (200 once nothing is queued or being handled, 503 before). Queued
/// handling starts its workers here, on the current runtime.
pub fn service(bot: Bot, intake: Intake, handling: Handling) -> Service {
    // Install the recorder before the first delivery is counted.
    let _ = crate::metrics::handle();
    let path = intake.path.clone();
    let bot = Arc::new(bot);
    let queue = match handling {
        Handling::Inline => None,
        Handling::Queued { capacity, workers } => {
            let queue = Arc::new(WorkQueue::new(capacity, COALESCE_WINDOW));
            for _ in 0..workers.max(1) {
                tokio::spawn(work(Arc::clone(&bot), Arc::clone(&queue)));
            }
            Some(queue)
        }
    };
    let state = Arc::new(AppState {
        bot,
        intake,
        queue: queue.clone(),
        buffered: Semaphore::new(MAX_BUFFERED_BYTES / 1024),
        inline: Semaphore::new(MAX_INLINE_DELIVERIES),
    });
    let router = Router::new()
        .route(&path, post(webhook))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/idle", get(idle))
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD_BYTES))
        .with_state(state);
    Service { router, queue }
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

/// A worker: takes an item, handles its events in order, gives it back.
async fn work(bot: Arc<Bot>, queue: Arc<WorkQueue>) {
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
    let (action, repo) = describe(&event);
    let deliveries = pending.deliveries.join(",");
    let span = tracing::info_span!("delivery", id = %deliveries, event = %event_name(&event), action = %action, repo = %repo);
    async {
        let started = Instant::now();
        let outcome = handle_with_retries(bot, &event).await;
        let waited_ms = started.duration_since(pending.received).as_millis() as u64;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        crate::metrics::delivery(
            event_name(&event),
            &action_name(&event),
            outcome_name(&outcome),
            pending.received.elapsed(),
        );
        match outcome {
            Ok(Outcome::Done { writes, because }) => {
                let writes: Vec<String> = writes.into_iter().map(|w| w.0).collect();
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
                tracing::info!(outcome = "ignored", reason, waited_ms, elapsed_ms, "handled")
            }
            Err(HandleError::GitHub(error @ crate::github::GitHubError::Installation { .. })) => {
                tracing::warn!(outcome = "no_installation", %error, waited_ms, elapsed_ms, "handled; nothing can be done for it until the App is installed there again")
            }
            Err(error) => {
                tracing::error!(outcome = "failed", %error, waited_ms, elapsed_ms, "handled; not done, and GitHub will not send it again (it was answered 202): `probot reconcile` restores cc lines and CI tags, not label rules")
            }
        }
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

fn event_name(event: &Event) -> &'static str {
    match event {
        Event::Item(item) => match item.kind {
            ItemKind::Issue => "issues",
            ItemKind::PullRequest => "pull_request",
        },
        Event::Push(_) => "push",
        Event::Comment(_) => "issue_comment",
        Event::Ping => "ping",
        Event::Ignored { .. } => "other",
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

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks `X-Hub-Signature-256` against every secret, in constant time.
fn signature_valid(secrets: &[String], headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(hex_signature) =
        header_str(headers, "x-hub-signature-256").and_then(|s| s.strip_prefix("sha256="))
    else {
        return false;
    };
    let Ok(signature) = hex::decode(hex_signature.trim()) else {
        return false;
    };
    secrets.iter().any(|secret| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&signature).is_ok()
    })
}

/// The JSON payload, from a JSON body or a form-encoded `payload=` one.
fn payload(headers: &HeaderMap, body: &Bytes) -> Result<Vec<u8>, &'static str> {
    let form = header_str(headers, header::CONTENT_TYPE.as_str())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok(body.to_vec());
    }
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| "the form body can't be decoded")?;
    fields
        .into_iter()
        .find(|(name, _)| name == "payload")
        .map(|(_, value)| value.into_bytes())
        .ok_or("the form body has no `payload` field")
}

/// The body, read within the limits: a declared length within GitHub's
/// cap, room for it in the budget of bytes buffered across requests whose
/// signature is not checked yet, and no more than the body timeout. The
/// permit holds its room until the caller drops it.
async fn read_body<'b>(
    budget: &'b Semaphore,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Bytes, SemaphorePermit<'b>), Response> {
    let declared = header_str(headers, header::CONTENT_LENGTH.as_str())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_PAYLOAD_BYTES) {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than GitHub sends",
        )
            .into_response());
    }
    // Without a length (chunked), room for the largest body.
    let reserve = declared.unwrap_or(MAX_PAYLOAD_BYTES).div_ceil(1024).max(1);
    let Ok(permit) = budget.try_acquire_many(reserve as u32) else {
        crate::metrics::body_refused();
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "10")],
            "busy reading other requests; try again",
        )
            .into_response());
    };
    let limit = declared.unwrap_or(MAX_PAYLOAD_BYTES);
    match tokio::time::timeout(REQUEST_BODY_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok((bytes, permit)),
        Ok(Err(_)) => Err((StatusCode::BAD_REQUEST, "the body could not be read").into_response()),
        Err(_) => Err((StatusCode::REQUEST_TIMEOUT, "the body came too slowly").into_response()),
    }
}

async fn webhook(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let received = Instant::now();
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let delivery = header_str(&headers, "x-github-delivery")
        .unwrap_or("-")
        .to_owned();
    let Some(event_name) = header_str(&headers, "x-github-event").map(str::to_owned) else {
        return (StatusCode::BAD_REQUEST, "missing X-GitHub-Event header").into_response();
    };
    let (body, buffered) = match read_body(&state.buffered, &headers, body).await {
        Ok(read) => read,
        Err(refusal) => return refusal,
    };
    if !state.intake.insecure_skip_signature
        && !signature_valid(&state.intake.secrets, &headers, &body)
    {
        tracing::warn!(%delivery, event = %event_name, "rejected a delivery with a missing or wrong signature");
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    // A payload GitHub's schema allows always parses; one that does not is
    // refused, with where and why in the log (it will fail again, so
    // `redeliver` leaves it).
    let event = match payload(&headers, &body)
        .map_err(str::to_owned)
        .and_then(|p| event::parse(&event_name, &p).map_err(|e| e.to_string()))
    {
        Ok(event) => event,
        Err(mut reason) => {
            // serde quotes the offending value: keep a payload's text short.
            if let Some((cut, _)) = reason.char_indices().nth(300) {
                reason.truncate(cut);
            }
            tracing::warn!(%delivery, event = %event_name, %reason, "rejected a malformed delivery");
            return (StatusCode::BAD_REQUEST, "malformed payload").into_response();
        }
    };
    drop((body, buffered));
    let (action, repo) = describe(&event);
    let span = tracing::info_span!("delivery", id = %delivery, event = %event_name, action = %action, repo = %repo);
    async move {
        // An App acts only through an installation: a delivery naming none
        // can't be acted on, now or later (so it is answered 200, which
        // `redeliver` leaves), and is never queued.
        if state.bot.is_app() && event.repo().is_some() && event.installation().is_none() {
            let reason = "the delivery names no installation, and an App can only act through one";
            tracing::warn!(outcome = "refused", reason, "answered; not worth redelivering");
            return (StatusCode::OK, format!("not done, and not worth redelivering: {reason}"))
                .into_response();
        }
        if let Some(queue) = &state.queue {
            let work = match &event {
                Event::Item(item) => Some(state.bot.ignores(item).map_or_else(
                    || Ok(Work::from(item.clone())),
                    Err,
                )),
                Event::Comment(comment) => Some(state.bot.ignores_comment(comment).map_or_else(
                    || Ok(Work::from(comment.clone())),
                    Err,
                )),
                _ => None,
            };
            if let Some(work) = work {
                return enqueue(queue, work, &delivery);
            }
        }
        let Ok(_handling) = state.inline.try_acquire() else {
            tracing::warn!(outcome = "refused", "too many deliveries in flight");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "10")],
                "too many deliveries in flight; try again",
            )
                .into_response();
        };
        let outcome = state.bot.handle(&event, received + HANDLING_BUDGET).await;
        let elapsed_ms = received.elapsed().as_millis() as u64;
        crate::metrics::delivery(
            &event_name,
            &action_name(&event),
            outcome_name(&outcome),
            received.elapsed(),
        );
        match outcome {
            Ok(Outcome::Done { writes, because }) => {
                let writes: Vec<String> = writes.into_iter().map(|w| w.0).collect();
                tracing::info!(outcome = "done", ?writes, ?because, elapsed_ms, "handled");
                (StatusCode::OK, format!("done: {} writes", writes.len())).into_response()
            }
            Ok(Outcome::NoRules) => {
                tracing::info!(outcome = "no rules", elapsed_ms, "handled");
                (StatusCode::ACCEPTED, "no usable rules file").into_response()
            }
            Ok(Outcome::Ignored(reason)) => {
                tracing::info!(outcome = "ignored", reason, elapsed_ms, "handled");
                let status = if matches!(event, Event::Ping) {
                    StatusCode::OK
                } else {
                    StatusCode::ACCEPTED
                };
                (status, reason).into_response()
            }
            Err(HandleError::GitHub(error @ crate::github::GitHubError::Installation { .. })) => {
                tracing::warn!(outcome = "no_installation", %error, elapsed_ms, "handled; nothing can be done for it until the App is installed there again");
                (StatusCode::OK, format!("not done, and not worth redelivering: {error}")).into_response()
            }
            // Answered as handled, so GitHub does not show it as failing
            // and `redeliver` does not send it again: it would fail the same.
            Err(HandleError::GitHub(error)) if error.is_permanent() => {
                tracing::warn!(outcome = "refused", %error, elapsed_ms, "handled; not worth redelivering");
                (StatusCode::OK, format!("not done, and not worth redelivering: {error}")).into_response()
            }
            Err(error) => {
                tracing::error!(outcome = "failed", %error, elapsed_ms, "handled");
                (StatusCode::BAD_GATEWAY, format!("failed: {error}")).into_response()
            }
        }
    }
    .instrument(span)
    .await
}

/// Queues work and answers at once; events nothing acts on (the bot's
/// own, comments with no command) are answered without queueing.
fn enqueue(queue: &WorkQueue, work: Result<Work, &'static str>, delivery: &str) -> Response {
    let work = match work {
        Ok(work) => work,
        Err(reason) => {
            tracing::info!(outcome = "ignored", reason, "answered");
            return (StatusCode::ACCEPTED, reason).into_response();
        }
    };
    match queue.push(work, delivery.to_owned()) {
        Ok(()) => {
            tracing::debug!("queued");
            (StatusCode::ACCEPTED, "queued").into_response()
        }
        Err(Full) => {
            crate::metrics::refused_full();
            tracing::warn!(outcome = "refused", "the queue is full; GitHub will show the delivery failed, and `probot redeliver` can bring it back");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "60")],
                "the queue is full; try again later",
            )
                .into_response()
        }
    }
}

/// The action alone, for metrics: few values, no label names.
fn action_name(event: &Event) -> String {
    match event {
        Event::Item(item) => item.action.name().to_owned(),
        Event::Comment(_) => "created".into(),
        Event::Push(_) | Event::Ping => "-".into(),
        Event::Ignored { action, .. } => action.clone().unwrap_or_else(|| "-".into()),
    }
}

fn describe(event: &Event) -> (String, String) {
    match event {
        Event::Item(item) => (item.action.to_string(), item.repo.to_string()),
        Event::Push(push) => (push.git_ref.clone(), push.repo.to_string()),
        Event::Comment(comment) => (
            format!("comment on #{}", comment.number),
            comment.repo.to_string(),
        ),
        Event::Ping => ("-".into(), "-".into()),
        Event::Ignored { action, .. } => (action.clone().unwrap_or_else(|| "-".into()), "-".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(secret: &str, body: &[u8]) -> HeaderMap {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        let mut headers = HeaderMap::new();
        let value = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        headers.insert("x-hub-signature-256", value.parse().unwrap());
        headers
    }

    #[test]
    fn any_configured_secret_verifies_for_rotation() {
        let secrets = vec!["old".to_owned(), "new".to_owned()];
        assert!(signature_valid(&secrets, &signed("new", b"{}"), b"{}"));
        assert!(signature_valid(&secrets, &signed("old", b"{}"), b"{}"));
        assert!(!signature_valid(&secrets, &signed("other", b"{}"), b"{}"));
        assert!(!signature_valid(&secrets, &signed("new", b"{}"), b"{ }"));
        assert!(!signature_valid(&secrets, &HeaderMap::new(), b"{}"));
    }

    #[test]
    fn form_encoded_deliveries_carry_the_payload_field() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        let body = Bytes::from_static(b"payload=%7B%22zen%22%3A%22hi%22%7D");
        assert_eq!(payload(&headers, &body).unwrap(), br#"{"zen":"hi"}"#);
        assert!(payload(&headers, &Bytes::from_static(b"other=1")).is_err());
    }

    #[test]
    fn the_intake_never_prints_its_secrets() {
        let intake = Intake {
            path: "/webhook".into(),
            secrets: vec!["hunter2".into()],
            insecure_skip_signature: false,
        };
        assert!(!format!("{intake:?}").contains("hunter2"));
    }
}
