//! Replicas on Redis, measured: a hundred issues labeled at once (each
//! needing an implied label and a cc line) against fakehub at GitHub's
//! latency with its secondary limits enforced, handled by one or three
//! `probot serve` processes (release build) sharing a Redis behind a
//! round-robin balancer, then three with the busiest killed (SIGKILL)
//! a third of the way. Then fairness: one event of another installation
//! during the burst, with the in-process queue and with two replicas. Then
//! the cost Redis adds to one warm event, and its round trips per event.
//!
//! `cargo bench --bench replicas` (about eight minutes: each burst's 200
//! writes take two minutes at GitHub's 80 a minute). Needs `redis-server`.
//! Settings: `REPLICAS_ITEMS` (100), `REPLICAS_LATENCY_MS` (100).

#[path = "../tests/support/replicas.rs"]
mod replicas;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use fakehub::{FakeHub, Latency, Options};
use probot::harness::{Local, RedisServer};
use replicas::{another_installation_during_a_burst, busiest, cluster, implied, label, seed};

/// GitHub's content-creating limit: 80 a minute.
const GITHUB_WRITES_PER_MINUTE: usize = 80;

/// Redis round trips the replicas made so far, by what for, summed over
/// their `/metrics` (`probot_redis_round_trips_total`).
async fn round_trips(urls: &[String]) -> HashMap<String, f64> {
    let mut trips = HashMap::new();
    for url in urls {
        let Ok(answer) = reqwest::get(format!("{url}/metrics")).await else {
            continue;
        };
        let text = answer.text().await.unwrap_or_default();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("probot_redis_round_trips_total{op=\"") else {
                continue;
            };
            let Some((op, value)) = rest.split_once("\"} ") else {
                continue;
            };
            *trips.entry(op.to_owned()).or_default() += value.trim().parse::<f64>().unwrap_or(0.0);
        }
    }
    trips
}

/// Round trips on a delivery's path (the intake's append, the read, the
/// item's lock and release, the acknowledgement, one reservation per
/// write), and in the background (heartbeats, claims, revivals), per
/// event. Left out: `stats`, which `/idle` and the metrics ask for (fakehub
/// polls `/idle` every 5 ms while a control call settles; nothing polls it
/// in production).
fn per_event(
    before: &HashMap<String, f64>,
    after: &HashMap<String, f64>,
    events: u64,
) -> (f64, f64) {
    let path = ["append", "read", "lock", "unlock", "ack", "reserve"];
    let (mut on_path, mut rest) = (0.0, 0.0);
    for (op, count) in after {
        let delta = count - before.get(op).copied().unwrap_or(0.0);
        if path.contains(&op.as_str()) {
            on_path += delta;
        } else if op != "stats" {
            rest += delta;
        }
    }
    (on_path / events as f64, rest / events as f64)
}

async fn burst(processes: usize, kill: bool, items: u64, latency_ms: u64) {
    let redis = RedisServer::start().await.unwrap();
    let options = Options {
        enforce_rate_limits: true,
        latency: Latency::Fixed { ms: latency_ms },
        ..Options::default()
    };
    let hub = FakeHub::start(seed(items as usize), options).await.unwrap();
    let (mut running, urls) = cluster(&hub, &redis, processes).await;
    let control = hub.control();
    let trips_before = round_trips(&urls).await;
    let numbers: Vec<u64> = (2..2 + items).collect();
    let started = Instant::now();
    for &n in &numbers {
        label(&control, "acme/widgets", n);
    }
    let mut killed = String::new();
    if kill {
        implied(&control, "acme/widgets", &numbers, items as usize / 3).await;
        let (victim, holding) = busiest(&redis).await;
        running.retain(|r| r.0.id() != victim);
        killed = format!(", one killed holding {holding} entries");
    }
    implied(&control, "acme/widgets", &numbers, items as usize).await;
    let done_after = started.elapsed();
    control.settle().await.unwrap();
    // A killed replica's own count is lost with it.
    let trips = match kill {
        false => {
            let (on_path, rest) = per_event(&trips_before, &round_trips(&urls).await, items);
            format!("{on_path:.1} (+{rest:.1} in the background)")
        }
        true => "-".to_owned(),
    };

    let requests = control.requests().await.unwrap();
    let bot: Vec<_> = requests
        .iter()
        .filter(|r| r.token.starts_with("installation:"))
        .collect();
    let mut writes: HashMap<String, usize> = HashMap::new();
    for r in bot.iter().filter(|r| r.method != "GET" && r.status < 400) {
        *writes
            .entry(format!("{} {}", r.method, r.path))
            .or_default() += 1;
    }
    let written: usize = writes.values().sum();
    let twice = writes.values().filter(|&&n| n > 1).count();
    let hits = bot
        .iter()
        .filter(|r| r.status == 403 || r.status == 429)
        .count();
    let mut correct = 0;
    for &n in &numbers {
        let item = control.issue("acme/widgets", n).await.unwrap();
        correct += usize::from(
            item.labels.iter().any(|l| l == "triage review") && item.body.contains("@ezyang"),
        );
    }
    let deliveries = control.deliveries().await.unwrap();
    let answers: Vec<_> = deliveries
        .iter()
        .filter(|d| d.sender.as_deref() == Some("maintainer"))
        .collect();
    let under_1s = answers.iter().filter(|d| d.duration_ms < 1_000).count();
    let failed = answers.iter().filter(|d| d.status_code >= 500).count();
    // The last write can go no sooner than GitHub's 80 a minute allow.
    let floor = Duration::from_secs(60 * ((written.max(1) - 1) / GITHUB_WRITES_PER_MINUTE) as u64)
        + Duration::from_millis(latency_ms * 3);
    println!(
        "| {processes}{killed} | {under_1s}/{} | {failed} | {correct}/{items} | {written} | {twice} | {hits} | {:.1} s | {:.1} s | {:.2} | {trips} |",
        answers.len(),
        done_after.as_secs_f64(),
        floor.as_secs_f64(),
        done_after.as_secs_f64() / floor.as_secs_f64(),
    );
}

/// The same warm event, handled from the in-process queue and through
/// Redis: the mean time from the label to the implied label, at no
/// latency (what the queue adds, not GitHub).
async fn warm_event(rounds: u64) -> (Duration, Duration) {
    let redis = RedisServer::start().await.unwrap();
    let mut means = Vec::new();
    for shared in [false, true] {
        let local = if shared {
            let settings = probot::shared::Settings {
                url: redis.url(),
                prefix: "warm".into(),
                claim_after: Duration::from_secs(60),
            };
            Local::start_replicas(seed(rounds as usize + 1), Options::default(), settings, 1).await
        } else {
            Local::start(seed(rounds as usize + 1)).await
        }
        .unwrap();
        let hub = local.control();
        hub.label("acme/widgets", 2, "maintainer", &["high priority"])
            .await
            .unwrap();
        let mut total = Duration::ZERO;
        for n in 3..3 + rounds {
            let started = Instant::now();
            hub.label("acme/widgets", n, "maintainer", &["high priority"])
                .await
                .unwrap();
            total += started.elapsed();
        }
        means.push(total / rounds as u32);
    }
    (means[0], means[1])
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let items = env("REPLICAS_ITEMS", 100);
    let latency_ms = env("REPLICAS_LATENCY_MS", 100);
    let (queue, redis) = warm_event(20).await;
    println!(
        "one warm labeled event, label to done (100 ms coalescing window included): {:.1} ms in-process, {:.1} ms through Redis (+{:.1} ms)\n",
        queue.as_secs_f64() * 1e3,
        redis.as_secs_f64() * 1e3,
        (redis.as_secs_f64() - queue.as_secs_f64()) * 1e3
    );

    let local = Local::start(seed(items as usize)).await.unwrap();
    let (calm, during) = another_installation_during_a_burst(&local.control(), items).await;
    println!(
        "fairness, one process: installation 6's event {:.2} s calm, {:.2} s during installation 5's burst",
        calm.as_secs_f64(),
        during.as_secs_f64()
    );
    drop(local);
    let redis_server = RedisServer::start().await.unwrap();
    let settings = probot::shared::Settings {
        url: redis_server.url(),
        prefix: "fair".into(),
        claim_after: Duration::from_secs(60),
    };
    let local = Local::start_replicas(seed(items as usize), Options::default(), settings, 2)
        .await
        .unwrap();
    let (calm, during) = another_installation_during_a_burst(&local.control(), items).await;
    println!(
        "fairness, two replicas on Redis: installation 6's event {:.2} s calm, {:.2} s during installation 5's burst\n",
        calm.as_secs_f64(),
        during.as_secs_f64()
    );
    drop(local);

    println!("{items} issues labeled at once; GitHub at {latency_ms} ms a request, secondary limits enforced\n");
    println!("| replicas | answered < 1 s | answered 5xx | items correct | writes | written twice | secondary-limit hits | last item done | floor at 80/min | ratio | Redis round trips per event |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    burst(1, false, items, latency_ms).await;
    burst(3, false, items, latency_ms).await;
    burst(3, true, items, latency_ms).await;
}
