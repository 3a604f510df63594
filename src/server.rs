//! The webhook intake: verify, parse, handle, answer.
//!
//! A delivery is handled before it is answered, within GitHub's 10-second
//! limit: 200 when handled, 202 when there was nothing to do, 400 for a
//! payload we can't read, 401 for a bad signature (and no work at all), 5xx
//! when GitHub calls failed after retries, so the delivery shows as failed
//! and can be redelivered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::time::Instant;
use tracing::Instrument;

use crate::bot::{Bot, Outcome};
use crate::event::{self, Event};

/// GitHub caps payloads at 25 MB.
const MAX_PAYLOAD: usize = 25 * 1024 * 1024;

/// Time to handle a delivery: under GitHub's 10 s, with room to answer.
const HANDLING_BUDGET: Duration = Duration::from_millis(9_000);

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
    bot: Bot,
    intake: Intake,
}

/// The bot's HTTP routes: the webhook and `/healthz`.
pub fn router(bot: Bot, intake: Intake) -> Router {
    // Install the recorder before the first delivery is counted.
    let _ = crate::metrics::handle();
    let path = intake.path.clone();
    let state = Arc::new(AppState { bot, intake });
    Router::new()
        .route(&path, post(webhook))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_PAYLOAD))
        .with_state(state)
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
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the bot's server stopped");
        }
    });
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

async fn webhook(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let received = Instant::now();
    let delivery = header_str(&headers, "x-github-delivery")
        .unwrap_or("-")
        .to_owned();
    let Some(event_name) = header_str(&headers, "x-github-event").map(str::to_owned) else {
        return (StatusCode::BAD_REQUEST, "missing X-GitHub-Event header").into_response();
    };
    if !state.intake.insecure_skip_signature
        && !signature_valid(&state.intake.secrets, &headers, &body)
    {
        tracing::warn!(%delivery, event = %event_name, "rejected a delivery with a missing or wrong signature");
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    let event = match payload(&headers, &body)
        .and_then(|p| event::parse(&event_name, &p).map_err(|_| "malformed payload"))
    {
        Ok(event) => event,
        Err(reason) => {
            tracing::warn!(%delivery, event = %event_name, reason, "rejected a malformed delivery");
            return (StatusCode::BAD_REQUEST, reason).into_response();
        }
    };
    let (action, repo) = describe(&event);
    let span = tracing::info_span!("delivery", id = %delivery, event = %event_name, action = %action, repo = %repo);
    async move {
        let outcome = state.bot.handle(&event, received + HANDLING_BUDGET).await;
        let elapsed_ms = received.elapsed().as_millis() as u64;
        let outcome_name = match &outcome {
            Ok(Outcome::Done(_)) => "done",
            Ok(Outcome::NoRules) => "no_rules",
            Ok(Outcome::Ignored(_)) => "ignored",
            Err(_) => "failed",
        };
        crate::metrics::delivery(
            &event_name,
            &action_name(&event),
            outcome_name,
            received.elapsed(),
        );
        match outcome {
            Ok(Outcome::Done(writes)) => {
                let writes: Vec<String> = writes.into_iter().map(|w| w.0).collect();
                tracing::info!(outcome = "done", ?writes, elapsed_ms, "handled");
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
            Err(error) => {
                tracing::error!(outcome = "failed", %error, elapsed_ms, "handled");
                (StatusCode::BAD_GATEWAY, format!("failed: {error}")).into_response()
            }
        }
    }
    .instrument(span)
    .await
}

/// The action alone, for metrics: few values, no label names.
fn action_name(event: &Event) -> String {
    match event {
        Event::Item(item) => item.action.name().to_owned(),
        Event::Push(_) | Event::Ping => "-".into(),
        Event::Ignored { action, .. } => action.clone().unwrap_or_else(|| "-".into()),
    }
}

fn describe(event: &Event) -> (String, String) {
    match event {
        Event::Item(item) => (item.action.to_string(), item.repo.to_string()),
        Event::Push(push) => (push.git_ref.clone(), push.repo.to_string()),
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
