//! GitHub as it behaves under load: latency on every request, webhooks sent
//! concurrently, duplicates at the same moment, secondary limits, errors
//! past the client's retries. The bot answers at once and does the work
//! from its queue; these stories check it finishes everything, writes each
//! thing once, and never drops work for a limit.

mod support;

use fakehub::{Fault, Latency};
use probot::harness::LOCAL_SECRET;
use probot::server::Handling;
use support::{labels, seed, sign, Tester, REPO};

const RULES: &str = r#"
[cc]
tracking_issue = 1

[[labels.implies]]
when = ["high priority", "area: *"]
add = ["triage review"]
"#;

/// The bot and fakehub as these stories want them: GitHub's rate limits
/// enforced, primary and secondary.
async fn tester() -> Tester {
    let t = Tester::with_rules(RULES).await;
    t.hub.enforce_rate_limits(true).await.unwrap();
    t
}

/// How many requests the bot made that match `method` and `path`.
async fn count(t: &Tester, method: &str, path: &str) -> usize {
    t.bot_requests()
        .await
        .iter()
        .filter(|r| r.method == method && r.path == path)
        .count()
}

#[tokio::test]
async fn deliveries_are_answered_at_once_while_github_is_slow() {
    let t = tester().await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.hub.set_latency(Latency::Fixed { ms: 300 }).await.unwrap();
    t.label(issue, "high priority").await;
    let deliveries = t.hub.deliveries().await.unwrap();
    let labeled = deliveries
        .iter()
        .find(|d| {
            d.sender.as_deref() == Some("maintainer") && d.action.as_deref() == Some("labeled")
        })
        .unwrap();
    assert_eq!(labeled.status_code, 202);
    // Handling takes several requests at 300 ms each; the answer did not wait.
    assert!(
        labeled.duration_ms < 250,
        "answered after {} ms",
        labeled.duration_ms
    );
    // And the work was done all the same (settling waits for the bot).
    assert_eq!(
        labels(&t.item(issue).await),
        ["high priority", "triage review"]
    );
    assert_eq!(t.item(issue).await.body, "x\n\ncc @ezyang @gchanan @alice");
}

#[tokio::test]
async fn ten_labels_at_once_cost_one_fresh_read_and_one_write_of_each_kind() {
    let t = tester().await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.hub.clear_requests().await.unwrap();
    let areas: Vec<String> = (0..10).map(|i| format!("area: {i}")).collect();
    let areas: Vec<&str> = areas.iter().map(String::as_str).collect();
    // GitHub sends one `labeled` webhook per label, all at once.
    t.hub
        .label(REPO, issue, "maintainer", &areas)
        .await
        .unwrap();
    let item = t.item(issue).await;
    assert!(labels(&item).contains(&"triage review"));
    assert_eq!(item.body, "x\n\ncc @alice");
    let path = format!("/repos/{REPO}/issues/{issue}");
    assert_eq!(count(&t, "GET", &path).await, 1, "fresh reads");
    assert_eq!(
        count(&t, "POST", &format!("{path}/labels")).await,
        1,
        "label writes"
    );
    assert_eq!(count(&t, "PATCH", &path).await, 1, "body writes");
}

#[tokio::test]
async fn twenty_copies_of_one_delivery_at_the_same_moment_write_once() {
    let t = tester().await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    // The bot misses the delivery; a hook that answers nothing records it.
    let hook = t.hook_of();
    t.hub.set_hook_active(&hook, false).await.unwrap();
    let recorder = "http://127.0.0.1:9/recorder";
    t.hub
        .add_hook(&fakehub::Hook {
            url: recorder.into(),
            secret: LOCAL_SECRET.into(),
            idle_url: None,
        })
        .await
        .unwrap();
    t.label(issue, "high priority").await;
    t.hub.set_hook_active(recorder, false).await.unwrap();
    t.hub.set_hook_active(&hook, true).await.unwrap();
    let labeled = t
        .hub
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .rev()
        .find(|d| d.action.as_deref() == Some("labeled"))
        .unwrap();
    let payload = serde_json::to_vec(&t.hub.delivery_payload(labeled.id).await.unwrap()).unwrap();
    t.hub.clear_requests().await.unwrap();

    let client = reqwest::Client::new();
    let sends = (0..20).map(|_| {
        client
            .post(&hook)
            .header("x-github-event", "issues")
            .header("x-github-delivery", &labeled.guid)
            .header("x-hub-signature-256", sign(&payload))
            .header("content-type", "application/json")
            .body(payload.clone())
            .send()
    });
    for answer in futures_util::future::join_all(sends).await {
        assert_eq!(answer.unwrap().status(), 202);
    }
    t.hub.settle().await.unwrap();
    let item = t.item(issue).await;
    assert_eq!(labels(&item), ["high priority", "triage review"]);
    let path = format!("/repos/{REPO}/issues/{issue}");
    assert_eq!(count(&t, "POST", &format!("{path}/labels")).await, 1);
    assert_eq!(count(&t, "PATCH", &path).await, 1);
}

#[tokio::test]
async fn a_secondary_limit_answer_is_waited_out_not_dropped() {
    let t = tester().await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.hub
        .fault(Fault {
            method: Some("POST".into()),
            path: format!("/repos/{REPO}/issues/*/labels"),
            status: Some(403),
            retry_after: Some(1),
            message: Some("You have exceeded a secondary rate limit.".into()),
            ..Fault::default()
        })
        .await
        .unwrap();
    t.label(issue, "high priority").await;
    assert_eq!(
        labels(&t.item(issue).await),
        ["high priority", "triage review"]
    );
}

#[tokio::test]
async fn errors_past_the_clients_retries_are_tried_again_until_github_recovers() {
    let t = tester().await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    // More 503s than the client's own attempts (4), fewer than the worker's.
    t.hub
        .fault(Fault {
            method: Some("POST".into()),
            path: format!("/repos/{REPO}/issues/*/labels"),
            times: 5,
            status: Some(503),
            ..Fault::default()
        })
        .await
        .unwrap();
    t.label(issue, "high priority").await;
    assert_eq!(
        labels(&t.item(issue).await),
        ["high priority", "triage review"]
    );
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after() {
    let t = Tester::start_handling(
        seed(Some(RULES)),
        Handling::Queued {
            capacity: 1,
            workers: 1,
        },
    )
    .await;
    t.hub.enforce_rate_limits(true).await.unwrap();
    // One worker, one place: while the worker is busy with the first item
    // (three requests at 200 ms) and a second waits, the rest are refused.
    let mut issues = Vec::new();
    for body in ["a", "b", "c", "d", "e"] {
        issues.push(t.open_issue("reporter", body, &[]).await);
    }
    // Slow GitHub keeps the one worker busy while the burst arrives.
    t.hub.set_latency(Latency::Fixed { ms: 200 }).await.unwrap();
    let bursts = issues
        .iter()
        .map(|issue| t.hub.label(REPO, *issue, "maintainer", &["high priority"]));
    for done in futures_util::future::join_all(bursts).await {
        done.unwrap();
    }
    let deliveries = t.hub.deliveries().await.unwrap();
    let answers: Vec<u16> = deliveries
        .iter()
        .filter(|d| {
            d.sender.as_deref() == Some("maintainer") && d.action.as_deref() == Some("labeled")
        })
        .map(|d| d.status_code)
        .collect();
    assert_eq!(answers.len(), 5);
    assert!(answers.contains(&503), "{answers:?}");
    assert!(answers.contains(&202), "{answers:?}");
    // What was refused shows as failed, for `probot redeliver`.
    t.hub.set_latency(Latency::None).await.unwrap();
    for refused in deliveries.iter().filter(|d| d.status_code == 503) {
        t.hub.redeliver(refused.id).await.unwrap();
    }
    for issue in issues {
        assert_eq!(
            labels(&t.item(issue).await),
            ["high priority", "triage review"]
        );
    }
}

/// Two repositories of one installation: the tracking issue's, where the
/// flood lands (subscribe commands, and label commands anyone may send),
/// and another whose triage must not notice it.
fn two_repositories() -> fakehub::Seed {
    fakehub::Seed::from_toml(
        r#"
[app]
id = 77
slug = "probot"
installations = [{ id = 5, account = "acme", repos = ["acme/widgets", "acme/gadgets"] }]

[[repos]]
name = "acme/widgets"
labels = ["bug", "module: cuda"]
collaborators = { maintainer = "admin" }
files = { ".github/probot.toml" = "[cc]\ntracking_issue = 1\n\n[[commands.labels]]\nlabels = [\"module: *\"]\n" }

[[repos.issues]]
title = "Label subscriptions"
author = "maintainer"
body = "* bug @x\n* module: cuda @y\n"

[[repos]]
name = "acme/gadgets"
labels = ["high priority", "triage review"]
collaborators = { maintainer = "admin" }
files = { ".github/probot.toml" = "[[labels.implies]]\nwhen = [\"high priority\"]\nadd = [\"triage review\"]\n" }
"#,
        None,
    )
    .expect("the seed")
}

/// Labels `issues` of acme/gadgets "high priority" at once; the time until
/// the bot has implied "triage review" on every one, seen by reading them
/// (the control calls settle only once every webhook of the moment, a
/// flood's too, has been handled).
async fn triage(t: &Tester, issues: &[u64]) -> std::time::Duration {
    let started = std::time::Instant::now();
    for &n in issues {
        let hub = t.hub.clone();
        tokio::spawn(async move {
            hub.label("acme/gadgets", n, "maintainer", &["high priority"])
                .await
                .expect("label")
        });
    }
    let mut pending = issues.to_vec();
    while !pending.is_empty() {
        assert!(
            started.elapsed().as_secs() < 120,
            "#{pending:?} still unlabelled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let mut still = Vec::new();
        for n in pending {
            let item = t.hub.issue("acme/gadgets", n).await.unwrap();
            if !item.labels.iter().any(|l| l == "triage review") {
                still.push(n);
            }
        }
        pending = still;
    }
    started.elapsed()
}

/// Two repositories of one installation (`two_repositories`) with 50
/// issues to triage in one and 20 to label by command in the other, at
/// 100 ms a request with GitHub's limits on.
async fn flood_world() -> (Tester, Vec<u64>, Vec<u64>) {
    let t = Tester::start(two_repositories()).await;
    let mut issues = Vec::new();
    for n in 0..50 {
        let item = fakehub::client::NewItem {
            title: format!("issue {n}"),
            author: "reporter".into(),
            ..Default::default()
        };
        issues.push(t.hub.open_issue("acme/gadgets", item).await.unwrap());
    }
    let mut flooded_items = Vec::new();
    for n in 0..20 {
        let item = fakehub::client::NewItem {
            title: format!("widget {n}"),
            author: "reporter".into(),
            ..Default::default()
        };
        flooded_items.push(t.hub.open_issue("acme/widgets", item).await.unwrap());
    }
    t.hub.enforce_rate_limits(true).await.unwrap();
    t.hub.set_latency(Latency::Fixed { ms: 100 }).await.unwrap();
    (t, issues, flooded_items)
}

/// Commands are the one input any GitHub user can send, and each answer
/// writes. A flood of them from many people, subscribe commands on the
/// tracking issue and label commands on many items, while another
/// repository of the same installation is triaged: the commands get their
/// share of the installation's writes and no more, the flood never fills
/// the queue, and triage is not slowed.
#[tokio::test]
async fn a_flood_of_commands_leaves_triage_its_budget_and_its_pace() {
    use futures_util::StreamExt;
    // 50 label events with no flood, on a bot and a GitHub of their own
    // (so the flood below starts with the whole budget, as this did).
    let calm = {
        let (t, issues, _) = flood_world().await;
        triage(&t, &issues).await
    };
    let (t, issues, flooded_items) = flood_world().await;

    // 1,000 command comments from 200 people, 50 at a time, half of them
    // subscribing on the tracking issue, half labelling one of 20 items,
    // while 50 other issues are triaged.
    let flood = futures_util::stream::iter(0..1_000u32)
        .map(|i| {
            let hub = t.hub.clone();
            let item = flooded_items[i as usize % flooded_items.len()];
            async move {
                let who = format!("user{}", i % 200);
                let (number, command) = match i % 2 {
                    0 => (1, "@probot subscribe bug"),
                    _ => (item, "@probot label module: cuda"),
                };
                hub.comment("acme/widgets", number, &who, command)
                    .await
                    .expect("comment")
            }
        })
        .buffer_unordered(50)
        .collect::<Vec<_>>();
    let (_, flooded) = tokio::join!(flood, triage(&t, &issues));
    t.hub.settle().await.unwrap();
    eprintln!("50 label events: {calm:?} calm, {flooded:?} during a flood of 1,000 commands");

    let requests = t.bot_requests().await;
    let command_writes = requests
        .iter()
        .filter(|r| r.method != "GET" && r.path.starts_with("/repos/acme/widgets/"))
        .count();
    assert!(
        command_writes <= probot::limits::COMMAND_WRITES_PER_MINUTE * 2,
        "commands wrote {command_writes} times in about a minute"
    );
    assert!(
        requests.iter().all(|r| r.status != 403 && r.status != 429),
        "no request hit a rate limit"
    );
    let command_reads = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/repos/acme/widgets/"))
        .count();
    assert!(
        command_reads < 100,
        "refused commands cost no read: {command_reads} reads for 1,000 comments"
    );
    let lost = t
        .hub
        .deliveries()
        .await
        .unwrap()
        .iter()
        .filter(|d| d.status_code >= 500)
        .count();
    assert_eq!(lost, 0, "no delivery refused for a full queue");
}
