//! The webhook intake: a body read within its limits, its signature
//! checked, its payload parsed, then queued (answered 202) or handled
//! inline; what no capability acts on is answered without queueing.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;
use tracing::Instrument;

use super::worker::{report, Handled};
use super::{AppState, HANDLING_BUDGET};
use crate::bot::{HandleError, Outcome};
use crate::event::{self, Event};
use crate::limits::{MAX_PAYLOAD_BYTES, REQUEST_BODY_TIMEOUT};
use crate::queue::{Full, Work, WorkQueue};
use crate::shared::{Appended, Shared};

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

pub(super) async fn webhook(State(state): State<Arc<AppState>>, request: Request) -> Response {
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
    let (action, repo) = event.describe();
    let span = tracing::info_span!("delivery", id = %delivery, event = %event_name, action = %action, repo = %repo);
    async move {
        // An App acts only through an installation: a delivery naming none
        // can't be acted on, now or later (so it is answered 200, which
        // `redeliver` leaves), and is never queued.
        if state.bot.is_app() && event.repo().is_some() && event.installation().is_none() {
            let reason = "the delivery names no installation, and an App can only act through one";
            tracing::warn!(
                outcome = "refused",
                reason,
                "answered; not worth redelivering"
            );
            return (
                StatusCode::OK,
                format!("not done, and not worth redelivering: {reason}"),
            )
                .into_response();
        }
        if let Some(queue) = &state.queue {
            let work = match &event {
                Event::Item(item) => Some(
                    state
                        .bot
                        .ignores(item)
                        .map_or_else(|| Ok(Work::from(item.clone())), Err),
                ),
                Event::Comment(comment) => Some(
                    state
                        .bot
                        .ignores_comment(comment)
                        .await
                        .map_or_else(|| Ok(Work::from(comment.clone())), Err),
                ),
                _ => None,
            };
            if let Some(work) = work {
                return match &state.shared {
                    Some(shared) => append(shared, work, &delivery).await,
                    None => enqueue(queue, work, &delivery),
                };
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
        report(
            &event,
            &outcome,
            received.elapsed(),
            None,
            elapsed_ms,
            Handled::Inline,
        );
        // Answered as handled when it would fail again, so GitHub does not
        // show it as failing and `redeliver` does not send it again.
        match outcome {
            Ok(Outcome::Done { writes, .. }) => {
                (StatusCode::OK, format!("done: {} writes", writes.len())).into_response()
            }
            Ok(Outcome::NoRules) => (StatusCode::ACCEPTED, "no usable rules file").into_response(),
            Ok(Outcome::Ignored(reason)) => {
                let status = if matches!(event, Event::Ping) {
                    StatusCode::OK
                } else {
                    StatusCode::ACCEPTED
                };
                (status, reason).into_response()
            }
            Err(HandleError::GitHub(error)) if error.is_permanent() => (
                StatusCode::OK,
                format!("not done, and not worth redelivering: {error}"),
            )
                .into_response(),
            Err(error) => (StatusCode::BAD_GATEWAY, format!("failed: {error}")).into_response(),
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

/// Stores work in the queue replicas share and answers: 202 only once
/// Redis has it, 503 when Redis can't be reached (GitHub marks the
/// delivery failed, and the sweep or `probot redeliver` brings it back).
async fn append(shared: &Shared, work: Result<Work, &'static str>, delivery: &str) -> Response {
    let work = match work {
        Ok(work) => work,
        Err(reason) => {
            tracing::info!(outcome = "ignored", reason, "answered");
            return (StatusCode::ACCEPTED, reason).into_response();
        }
    };
    match shared.append(&work, delivery).await {
        Ok(Appended::Stored) => {
            tracing::debug!("queued in Redis");
            (StatusCode::ACCEPTED, "queued").into_response()
        }
        Ok(Appended::Seen) => {
            tracing::info!(
                outcome = "ignored",
                reason = "a delivery seen before",
                "answered"
            );
            (StatusCode::ACCEPTED, "seen before").into_response()
        }
        Err(error) => {
            crate::metrics::shared_unreachable();
            tracing::warn!(outcome = "refused", %error, "can't store the delivery in Redis; GitHub will show it failed, and `probot redeliver` (or --redeliver-every) brings it back");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "60")],
                "the queue can't be reached; try again later",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Intake;
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
