//! More than one bot process: replicas sharing one queue and one write
//! budget through Redis, and fairness between installations (with and
//! without Redis). Against fakehub at GitHub's latency (100 ms a request)
//! with its secondary limits enforced; Redis is a `redis-server` of the
//! test's own (`probot::harness::RedisServer`).

#[path = "support/replicas.rs"]
mod replicas;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use fakehub::{FakeHub, Latency, Options};
use probot::harness::{Local, RedisServer};
use replicas::{another_installation_during_a_burst, busiest, cluster, implied, label, seed};

#[tokio::test]
async fn a_burst_in_one_installation_does_not_hold_anothers_event() {
    let local = Local::start(seed(100)).await.unwrap();
    let (calm, during) = another_installation_during_a_burst(&local.control(), 100).await;
    eprintln!("one process: installation 6's event took {calm:?} calm, {during:?} during installation 5's burst");
    // Before workers gave items back, it waited for the minute to pass.
    assert!(
        during < calm + Duration::from_secs(10),
        "{during:?} during the burst against {calm:?} calm"
    );
}

#[tokio::test]
async fn replicas_share_the_budget_and_stay_fair() {
    let redis = RedisServer::start().await.unwrap();
    let shared = probot::shared::Settings {
        url: redis.url(),
        prefix: "fair".into(),
        claim_after: Duration::from_secs(10),
    };
    // 40 issues: 80 writes, 8 past the minute's budget.
    let local = Local::start_replicas(seed(40), Options::default(), shared, 2)
        .await
        .unwrap();
    let hub = local.control();
    let (calm, during) = another_installation_during_a_burst(&hub, 40).await;
    eprintln!("two replicas on Redis: installation 6's event took {calm:?} calm, {during:?} during installation 5's burst");
    assert!(
        during < calm + Duration::from_secs(10),
        "{during:?} during the burst against {calm:?} calm"
    );
    // Within the burst's first minute (without waiting for the rest): had
    // each replica paced alone, they would have sent up to 144 writes and
    // met GitHub's 80 a minute.
    let requests = hub.requests_now().await.unwrap();
    let writes = requests
        .iter()
        .filter(|r| r.method != "GET" && r.path.starts_with("/repos/acme/") && r.status < 400)
        .count();
    assert!(
        writes <= probot::github::PER_MINUTE,
        "{writes} writes by two replicas in the burst's first seconds"
    );
    assert!(
        requests.iter().all(|r| r.status != 403 && r.status != 429),
        "no request hit a secondary limit: the replicas paced as one"
    );
}

#[tokio::test]
async fn three_replicas_lose_nothing_when_one_is_killed() {
    const ITEMS: u64 = 30;
    let redis = RedisServer::start().await.unwrap();
    let hub = FakeHub::start(seed(ITEMS as usize), Options::default())
        .await
        .unwrap();
    let (mut replicas, urls) = cluster(&hub, &redis, 3).await;
    let control = hub.control();
    control.enforce_rate_limits(true).await.unwrap();
    control
        .set_latency(Latency::Fixed { ms: 100 })
        .await
        .unwrap();

    let items: Vec<u64> = (2..2 + ITEMS).collect();
    let started = Instant::now();
    for &n in &items {
        label(&control, "acme/widgets", n);
    }
    implied(&control, "acme/widgets", &items, ITEMS as usize / 3).await;
    // SIGKILL the replica holding the most entries: no chance to finish
    // or hand anything back.
    let (victim, holding) = busiest(&redis).await;
    let index = replicas
        .iter()
        .position(|r| r.0.id() == victim)
        .expect("one of ours");
    drop(replicas.remove(index));
    let survivors: Vec<String> = urls
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(_, url)| url.clone())
        .collect();
    implied(&control, "acme/widgets", &items, ITEMS as usize).await;
    control.settle().await.unwrap();
    let mut claimed = 0.0;
    for url in &survivors {
        let metrics = reqwest::get(format!("{url}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        claimed += metrics
            .lines()
            .find_map(|l| l.strip_prefix("probot_shared_claims_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0);
    }
    eprintln!(
        "three replicas, one killed a third of the way: {ITEMS} items done in {:?}; the killed replica held {holding}, the survivors claimed {claimed} entries",
        started.elapsed()
    );
    // It may finish one or two between the count and the kill.
    assert!(
        claimed > 0.0,
        "the entries the killed replica held ({holding} a moment before) were claimed"
    );

    let mut writes: HashMap<String, usize> = HashMap::new();
    let requests = control.requests().await.unwrap();
    for r in requests
        .iter()
        .filter(|r| r.token.starts_with("installation:"))
    {
        if r.method != "GET" {
            *writes
                .entry(format!("{} {}", r.method, r.path))
                .or_default() += 1;
        }
    }
    for &n in &items {
        let item = control.issue("acme/widgets", n).await.unwrap();
        assert!(
            item.labels.iter().any(|l| l == "triage review"),
            "#{n} lost its implied label"
        );
        assert!(
            item.body.contains("@ezyang"),
            "#{n} lost its cc line: {:?}",
            item.body
        );
        for write in [
            format!("POST /repos/acme/widgets/issues/{n}/labels"),
            format!("PATCH /repos/acme/widgets/issues/{n}"),
        ] {
            assert_eq!(writes.get(&write).copied().unwrap_or(0), 1, "{write}, once");
        }
    }
    assert!(
        requests.iter().all(|r| r.status != 403 && r.status != 429),
        "no request hit a secondary limit"
    );
    let deliveries = control.deliveries().await.unwrap();
    let slow: Vec<_> = deliveries
        .iter()
        .filter(|d| d.status_code == 202 && d.duration_ms >= 1_000)
        .collect();
    assert!(
        slow.is_empty(),
        "every delivery answered within a second: {slow:?}"
    );
    drop(replicas);
}
