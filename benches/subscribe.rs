//! Two people subscribe at the same moment, through two copies of the bot,
//! at GitHub's latency: how often does one of them end unsubscribed? GitHub
//! has no conditional update for an issue body, so the bot writes, waits,
//! reads back and re-applies what a racing write lost.
//!
//! Then the API requests one subscribe command costs, against the minimum
//! (read the body, write it, react).
//!
//! Trials are spaced 9 s apart by default: each makes about ten writes (two
//! bots handle each comment, and both react), and the bot paces its writes
//! to 72 a minute, under GitHub's 80; with no pause the queued commands
//! wait for pacing, which measures the pacing, not the race. Failed
//! deliveries are counted.
//!
//! `cargo bench --bench subscribe` (release build; about six minutes).
//! Settings: `SUBSCRIBE_TRIALS` (20), `SUBSCRIBE_LATENCY_MS` (100),
//! `SUBSCRIBE_PAUSE_S` (16, to stay inside the commands' share of writes).

use std::collections::BTreeMap;
use std::time::Instant;

use fakehub::{Latency, Options, Seed};
use probot::harness::Local;

const REPO: &str = "acme/widgets";

fn seed() -> Seed {
    Seed::from_toml(
        r#"
[app]
id = 77
slug = "probot"
installations = [{ id = 5, account = "acme", repos = ["acme/widgets"] }]

[[repos]]
name = "acme/widgets"
labels = ["module: docs", "module: cuda"]
collaborators = { maintainer = "admin" }
files = { ".github/probot.toml" = "[cc]\ntracking_issue = 1\n" }

[[repos.issues]]
title = "Label subscriptions"
author = "maintainer"
body = "* module: cuda @ngimel\n"
"#,
        None,
    )
    .expect("the seed")
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let trials = env("SUBSCRIBE_TRIALS", 20);
    let latency_ms = env("SUBSCRIBE_LATENCY_MS", 100);
    // A trial is two commands, each charged 3 of the commands' 24 writes a
    // minute (limits.rs): one trial every 16 s stays inside that share, so
    // what is lost is lost to racing writes, not refused by the gate.
    let pause = std::time::Duration::from_secs(env("SUBSCRIBE_PAUSE_S", 16));
    let options = Options {
        latency: Latency::Fixed { ms: latency_ms },
        ..Options::default()
    };

    // One bot, one command: the requests it costs.
    let local = Local::start_with(seed(), options.clone())
        .await
        .expect("fakehub and the bot start");
    let hub = local.control();
    hub.comment(REPO, 1, "warm-up", "@probot subscribe module: cuda")
        .await
        .unwrap();
    hub.clear_requests().await.unwrap();
    let started = Instant::now();
    hub.comment(REPO, 1, "carol", "@probot subscribe module: docs")
        .await
        .unwrap();
    let took = started.elapsed();
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for request in hub.requests().await.unwrap() {
        if request.token.starts_with("installation:") {
            let kind = format!("{} {}", request.method, request.path);
            *by_kind.entry(kind).or_default() += 1;
        }
    }
    let total: u64 = by_kind.values().sum();
    println!("one subscribe command, one bot, {latency_ms} ms a request:");
    for (kind, count) in &by_kind {
        println!("  {count} x {kind}");
    }
    println!(
        "  = {total} requests (minimum 3: read the body, write it, react), answered in {took:.1?}"
    );
    drop(local);

    // Two people at once, through two bots that both get every delivery.
    let mut local = Local::start_with(seed(), options)
        .await
        .expect("fakehub and the bot start");
    local.add_bot().await.expect("a second bot");
    let hub = local.control();
    let mut lost = 0;
    let mut body_writes = 0;
    let started = Instant::now();
    for trial in 0..trials {
        let trial_started = Instant::now();
        let (a, b) = (format!("first-{trial}"), format!("second-{trial}"));
        hub.clear_requests().await.unwrap();
        let (x, y) = tokio::join!(
            hub.comment(REPO, 1, &a, "@probot subscribe module: docs"),
            hub.comment(REPO, 1, &b, "@probot subscribe module: docs"),
        );
        x.unwrap();
        y.unwrap();
        let body = hub.issue(REPO, 1).await.unwrap().body;
        let subscribed = probot::plan::cc::Subscriptions::parse(&body);
        let docs = subscribed.subscribers("module: docs");
        let missing = [&a, &b]
            .iter()
            .filter(|who| !docs.iter().any(|s| s == **who))
            .count();
        if missing > 0 && lost == 0 {
            println!("first loss, trial {trial}; the body:\n{body}");
            for r in hub.requests().await.unwrap() {
                println!("  {} {} {} {}", r.token, r.method, r.path, r.status);
            }
        }
        lost += missing;
        body_writes += hub
            .requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method == "PATCH" && r.path.ends_with("/issues/1"))
            .count();
        tokio::time::sleep(pause.saturating_sub(trial_started.elapsed())).await;
    }
    let failed = hub
        .deliveries()
        .await
        .unwrap()
        .iter()
        .filter(|d| d.status_code >= 500)
        .count();
    println!(
        "{trials} trials of two people subscribing at once through two bots ({} commands): {lost} lost ({:.1} %), {:.1} body writes a trial (2 without races), {failed} deliveries failed, {:.1?} a trial ({pause:?} pause)",
        trials * 2,
        lost as f64 * 100.0 / (trials * 2) as f64,
        body_writes as f64 / trials as f64,
        started.elapsed() / trials as u32,
    );
}
