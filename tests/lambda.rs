//! `probot lambda` end to end: the real binary and the real Lambda runtime
//! client, polling a small implementation of the Lambda Runtime API, with
//! a function URL in front that turns fakehub's signed webhooks into
//! invocations. Also measures the cold start.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use support::{labels, seed, REPO};
use tokio::sync::{mpsc, oneshot};

/// The Lambda service, as far as one function needs it: invocations wait in
/// a queue; the runtime takes them with `next` and answers with `response`.
#[derive(Clone)]
struct RuntimeApi {
    queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>>,
    sender: mpsc::UnboundedSender<(String, Value)>,
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>,
    first_poll: Arc<Mutex<Option<Instant>>>,
    errors: Arc<Mutex<Vec<Value>>>,
}

impl RuntimeApi {
    fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        RuntimeApi {
            queue: Arc::new(tokio::sync::Mutex::new(receiver)),
            sender,
            waiting: Arc::default(),
            first_poll: Arc::default(),
            errors: Arc::default(),
        }
    }

    /// Invokes the function with `event` and waits for its answer.
    async fn invoke(&self, event: Value) -> Value {
        let id = format!("req-{}", uuid_like());
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap().insert(id.clone(), tx);
        self.sender.send((id, event)).unwrap();
        tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .expect("the function answers")
            .unwrap()
    }
}

fn uuid_like() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

async fn next(State(api): State<RuntimeApi>) -> Response {
    api.first_poll
        .lock()
        .unwrap()
        .get_or_insert_with(Instant::now);
    let Some((id, event)) = api.queue.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        + Duration::from_secs(10);
    (
        [
            ("lambda-runtime-aws-request-id", id),
            (
                "lambda-runtime-deadline-ms",
                deadline.as_millis().to_string(),
            ),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:probot".into(),
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000".into(),
            ),
        ],
        Json(event),
    )
        .into_response()
}

async fn respond(State(api): State<RuntimeApi>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(waiting) = api.waiting.lock().unwrap().remove(&id) {
        let _ = waiting.send(answer);
    }
    StatusCode::ACCEPTED
}

async fn error(State(api): State<RuntimeApi>, body: Bytes) -> StatusCode {
    api.errors
        .lock()
        .unwrap()
        .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
    StatusCode::ACCEPTED
}

/// A function URL: an HTTP request in, a Lambda invocation (API Gateway
/// v2 format), the function's answer back out.
async fn function_url(State(api): State<RuntimeApi>, headers: HeaderMap, body: Bytes) -> Response {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap_or_default())))
        .collect();
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/webhook",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "probot",
            "domainName": "probot.lambda-url.us-east-1.on.aws",
            "domainPrefix": "probot",
            "http": {"method": "POST", "path": "/webhook", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "GitHub-Hookshot"},
            "requestId": "r",
            "routeKey": "$default",
            "stage": "$default",
            "time": "27/Nov/2026:19:00:00 +0000",
            "timeEpoch": 0
        },
        "body": base64::engine::general_purpose::STANDARD.encode(&body),
        "isBase64Encoded": true
    });
    let answer = api.invoke(event).await;
    let status = answer["statusCode"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    (
        status,
        answer["body"].as_str().unwrap_or_default().to_owned(),
    )
        .into_response()
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr.to_string()
}

#[tokio::test]
async fn webhooks_reach_the_bot_through_the_lambda_runtime() {
    let runtime = RuntimeApi::new();
    let runtime_addr = serve(
        Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(error))
            .with_state(runtime.clone()),
    )
    .await;
    let url = format!(
        "http://{}/webhook",
        serve(
            Router::new()
                .route("/webhook", post(function_url))
                .with_state(runtime.clone())
        )
        .await
    );

    let mut seed = seed(Some(
        "[[labels.implies]]\nwhen = [\"high priority\"]\nadd = [\"triage review\"]\n",
    ));
    if let Some(app) = seed.app.as_mut() {
        app.public_key = Some(probot::harness::TEST_APP_PUBLIC_KEY.into());
    }
    let hub = fakehub::FakeHub::start(seed, fakehub::Options::default())
        .await
        .unwrap();
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fakehub/testdata/app-private-key.pem"
    );

    let started = Instant::now();
    // Started as Lambda starts `bootstrap`: no arguments.
    let mut function = tokio::process::Command::new(env!("CARGO_BIN_EXE_probot"))
        .env("AWS_LAMBDA_RUNTIME_API", &runtime_addr)
        .env("AWS_LAMBDA_FUNCTION_NAME", "probot")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("PROBOT_APP_ID", "77")
        .env("PROBOT_PRIVATE_KEY_FILE", key)
        .env("PROBOT_GITHUB_API_URL", hub.url())
        .env("PROBOT_WEBHOOK_SECRET", "lambda-secret")
        .kill_on_drop(true)
        .spawn()
        .expect("probot lambda starts");
    hub.add_hook(fakehub::Hook {
        url,
        secret: "lambda-secret".into(),
        // Lambda handles each delivery before answering: nothing to wait for.
        idle_url: None,
    });

    let control = hub.control();
    let issue = control
        .open_issue(
            REPO,
            fakehub::client::NewItem {
                title: "t".into(),
                author: "reporter".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let cold_start = started.elapsed();
    let ready_after = runtime.first_poll.lock().unwrap().map(|t| t - started);
    control
        .label(REPO, issue, "maintainer", &["high priority"])
        .await
        .unwrap();
    assert_eq!(
        labels(&control.issue(REPO, issue).await.unwrap()),
        ["high priority", "triage review"]
    );

    let deliveries = control.deliveries().await.unwrap();
    assert!(
        deliveries
            .iter()
            .any(|d| d.action.as_deref() == Some("labeled") && d.status_code == 200),
        "{deliveries:?}"
    );
    assert!(
        deliveries.iter().all(|d| d.status_code != 401),
        "signatures survive the trip: {deliveries:?}"
    );
    assert!(
        runtime.errors.lock().unwrap().is_empty(),
        "{:?}",
        runtime.errors.lock().unwrap()
    );
    eprintln!("cold start: first poll after {ready_after:?}, first invocation answered after {cold_start:?}");
    function.start_kill().unwrap();
}
