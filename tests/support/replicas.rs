//! Replicas for the tests and the benchmark: the seed (two
//! installations), a user's label without waiting for fakehub to settle,
//! a round-robin load balancer, `probot serve` processes sharing a Redis.

#![allow(dead_code)] // the test and the benchmark each use their part

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::response::IntoResponse;
use fakehub::client::Control;
use fakehub::{FakeHub, Latency, Seed};
use probot::harness::{RedisServer, LOCAL_SECRET, TEST_APP_PUBLIC_KEY};

/// Installation 5 holds acme/widgets (`burst` issues, a tracking issue);
/// installation 6 holds other/gadgets (two issues). Both imply "triage
/// review" from "high priority"; acme cc's its subscribers too.
pub fn seed(burst: usize) -> Seed {
    let rules = r#"
[cc]
tracking_issue = 1

[[labels.implies]]
when = ["high priority"]
add = ["triage review"]
"#;
    let mut toml = format!(
        r#"
[app]
id = 77
slug = "probot"
public_key = '''{TEST_APP_PUBLIC_KEY}'''
installations = [
  {{ id = 5, account = "acme", repos = ["acme/widgets"] }},
  {{ id = 6, account = "other", repos = ["other/gadgets"] }},
]

[[repos]]
name = "acme/widgets"
collaborators = {{ maintainer = "admin" }}
files = {{ ".github/probot.toml" = '''{rules}''' }}

[[repos.issues]]
title = "Label subscriptions"
author = "maintainer"
body = "* high priority @ezyang @gchanan\n"
"#
    );
    for i in 0..burst {
        toml.push_str(&format!(
            "\n[[repos.issues]]\ntitle = \"Issue {i}\"\nauthor = \"reporter\"\nbody = \"It broke.\"\n"
        ));
    }
    toml.push_str(
        r#"
[[repos]]
name = "other/gadgets"
collaborators = { maintainer = "admin" }
files = { ".github/probot.toml" = "[[labels.implies]]\nwhen = [\"high priority\"]\nadd = [\"triage review\"]\n" }

[[repos.issues]]
title = "Calm"
author = "reporter"

[[repos.issues]]
title = "During the burst"
author = "reporter"
"#,
    );
    Seed::from_toml(&toml, None).expect("the seed")
}

/// Labels `repo#number` "high priority" without waiting for fakehub to
/// settle (other work may keep the bot busy for minutes).
pub fn label(hub: &Control, repo: &'static str, number: u64) {
    let hub = hub.clone();
    tokio::spawn(async move {
        let _ = hub
            .label(repo, number, "maintainer", &["high priority"])
            .await;
    });
}

/// Waits until `count` of `numbers` carry "triage review"; the time it took.
pub async fn implied(hub: &Control, repo: &str, numbers: &[u64], count: usize) -> Duration {
    let started = Instant::now();
    loop {
        let mut done = 0;
        for &n in numbers {
            let item = hub.issue(repo, n).await.expect("read the item");
            done += usize::from(item.labels.iter().any(|l| l == "triage review"));
        }
        if done >= count {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "{done} of {count} in {repo} after four minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A round-robin load balancer in front of the replicas: it tries the
/// next replica only when one refuses the connection, as common ones do.
pub async fn forwarder(backends: Vec<String>) -> String {
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let next = Arc::clone(&next);
        let client = client.clone();
        let backends = backends.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 32 << 20)
                .await
                .unwrap_or_default();
            for _ in 0..backends.len() {
                let backend = &backends[next.fetch_add(1, Ordering::Relaxed) % backends.len()];
                let mut forwarded =
                    client.request(parts.method.clone(), format!("{backend}{}", parts.uri));
                for (name, value) in &parts.headers {
                    if name != "host" && name != "content-length" {
                        forwarded = forwarded.header(name, value);
                    }
                }
                match forwarded.body(body.clone()).send().await {
                    Ok(answer) => {
                        let status = answer.status();
                        let bytes = answer.bytes().await.unwrap_or_default();
                        return (status, bytes).into_response();
                    }
                    Err(error) if error.is_connect() => continue,
                    Err(_) => break,
                }
            }
            (http::StatusCode::BAD_GATEWAY, axum::body::Bytes::new()).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A `probot serve` process, killed when dropped (a failing test leaves
/// no process behind).
pub struct Replica(pub Child);

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `probot serve` process on `port`, sharing `redis`.
pub fn replica(hub: &FakeHub, redis: &RedisServer, port: u16) -> Replica {
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fakehub/testdata/app-private-key.pem"
    );
    Command::new(env!("CARGO_BIN_EXE_probot"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--github-api-url", hub.url(), "--app-id", "77"])
        .args(["--private-key-file", key, "--webhook-secret", LOCAL_SECRET])
        .args(["--redis-url", &redis.url(), "--claim-after", "3"])
        .args(["--redeliver-every", "5s"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map(Replica)
        .expect("probot starts")
}

/// The replica (its process id) holding the most unacknowledged entries
/// once one holds two or more, and how many.
pub async fn busiest(redis: &RedisServer) -> (u32, u64) {
    // XPENDING's summary: count, first id, last id, [consumer, count].
    type Summary = (
        u64,
        redis::Value,
        redis::Value,
        Option<Vec<(String, String)>>,
    );
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for _ in 0..400 {
        let (_, _, _, consumers): Summary = redis::cmd("XPENDING")
            .arg("{probot}:work")
            .arg("probot")
            .query_async(&mut conn)
            .await
            .unwrap();
        // Consumers are named `host-pid-ms-n`.
        let held = consumers
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, count)| {
                let pid = name.rsplit('-').nth(2)?.parse::<u32>().ok()?;
                Some((pid, count.parse::<u64>().ok()?))
            });
        if let Some(most) = held
            .max_by_key(|(_, count)| *count)
            .filter(|(_, c)| *c >= 2)
        {
            return most;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no replica ever held two entries");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn until_healthy(url: &str) {
    for _ in 0..400 {
        if let Ok(answer) = reqwest::get(format!("{url}/healthz")).await {
            if answer.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{url} never became healthy");
}

/// `count` `probot serve` processes sharing `redis`, healthy, behind a
/// round-robin balancer that `hub` sends its webhooks to; their URLs.
pub async fn cluster(
    hub: &FakeHub,
    redis: &RedisServer,
    count: usize,
) -> (Vec<Replica>, Vec<String>) {
    let ports: Vec<u16> = (0..count).map(|_| free_port()).collect();
    let replicas = ports.iter().map(|&p| replica(hub, redis, p)).collect();
    let urls: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    for url in &urls {
        until_healthy(url).await;
    }
    let balancer = forwarder(urls.clone()).await;
    hub.add_hook(fakehub::Hook {
        url: format!("{balancer}/webhook"),
        secret: LOCAL_SECRET.into(),
        idle_url: Some(format!("{balancer}/idle")),
    });
    (replicas, urls)
}

/// One event of installation 6 timed calm, then during a burst of
/// `burst` labels in installation 5 once its minute's budget is spent.
pub async fn another_installation_during_a_burst(
    hub: &Control,
    burst: u64,
) -> (Duration, Duration) {
    hub.enforce_rate_limits(true).await.unwrap();
    hub.set_latency(Latency::Fixed { ms: 100 }).await.unwrap();
    label(hub, "other/gadgets", 1);
    let calm = implied(hub, "other/gadgets", &[1], 1).await;
    let burst: Vec<u64> = (2..2 + burst).collect();
    for &n in &burst {
        label(hub, "acme/widgets", n);
    }
    // Each issue takes two writes (the label, the cc line): 36 issues
    // spend the 72 writes of the minute.
    implied(hub, "acme/widgets", &burst, 36).await;
    label(hub, "other/gadgets", 2);
    let during = implied(hub, "other/gadgets", &[2], 1).await;
    (calm, during)
}
