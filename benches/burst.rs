//! A maintainer labels a hundred issues in one click: GitHub sends a
//! hundred `labeled` webhooks at once. This plays that against fakehub with
//! GitHub's latency on every request and its secondary limits enforced, for
//! the bot as it runs (answer at once, work from a queue) and for the
//! Node-style bot (handle, then answer), and prints what GitHub would see.
//!
//! Then the same burst with the bot killed halfway and restarted with
//! `--replay-since`.
//!
//! `cargo bench --bench burst` (release build; about eight minutes: the
//! writes that must happen take two minutes at GitHub's 80 a minute).
//! Settings: `BURST_ITEMS` (100), `BURST_LATENCY_MS` (100), `BURST_DESIGNS`
//! (`queued,inline`), `BURST_CRASH` (`0` to skip the crash).

use std::time::{Duration, Instant};

use fakehub::{Latency, Options, Seed};
use probot::harness::Local;
use probot::server::Handling;

const RULES: &str = r#"
[cc]
tracking_issue = 1

[[labels.implies]]
when = ["high priority"]
add = ["triage review"]
"#;

/// GitHub's content-creating limit: 80 a minute.
const GITHUB_WRITES_PER_MINUTE: usize = 80;

fn seed(items: usize) -> Seed {
    let mut toml = format!(
        r#"
[app]
id = 77
slug = "probot"
installations = [{{ id = 5, account = "acme", repos = ["acme/widgets"] }}]

[[repos]]
name = "acme/widgets"
collaborators = {{ maintainer = "admin" }}
files = {{ ".github/probot.toml" = '''{RULES}''' }}

[[repos.issues]]
title = "Label subscriptions"
author = "maintainer"
body = "* high priority @ezyang @gchanan\n* triage review @alice\n"
"#
    );
    for i in 0..items {
        toml.push_str(&format!(
            "\n[[repos.issues]]\ntitle = \"Issue {i}\"\nauthor = \"reporter\"\nbody = \"It broke.\"\n"
        ));
    }
    Seed::from_toml(&toml, None).expect("the burst seed")
}

struct Figures {
    design: &'static str,
    answered_under_1s: usize,
    answered_5xx: usize,
    slowest_answer: Duration,
    correct: usize,
    writes: usize,
    secondary_limit_hits: usize,
    done_after: Duration,
    floor: Duration,
}

async fn burst(design: &'static str, handling: Handling, items: usize, latency_ms: u64) -> Figures {
    let options = Options {
        enforce_rate_limits: true,
        latency: Latency::Fixed { ms: latency_ms },
        ..Options::default()
    };
    let local = Local::start_handling(seed(items), options, handling)
        .await
        .expect("fakehub and the bot start");
    let hub = local.control();
    let numbers: Vec<u64> = (2..2 + items as u64).collect();
    hub.clear_requests().await.expect("clear");

    let started = Instant::now();
    let labels = numbers
        .iter()
        .map(|n| hub.label("acme/widgets", *n, "maintainer", &["high priority"]));
    for done in futures_util::future::join_all(labels).await {
        done.expect("label");
    }
    // Settled: every webhook answered, and the bot idle.
    let done_after = started.elapsed();

    let deliveries = hub.deliveries().await.expect("deliveries");
    let answers: Vec<_> = deliveries
        .iter()
        .filter(|d| d.sender.as_deref() == Some("maintainer"))
        .collect();
    let mut correct = 0;
    for n in &numbers {
        let item = hub.issue("acme/widgets", *n).await.expect("item");
        let labelled = item.labels.iter().any(|l| l == "triage review");
        if labelled && item.body.ends_with("cc @ezyang @gchanan @alice") {
            correct += 1;
        }
    }
    let requests = hub.requests().await.expect("requests");
    let bot = |r: &&fakehub::LoggedRequest| r.token.starts_with("installation:");
    let writes = requests
        .iter()
        .filter(bot)
        .filter(|r| r.method != "GET" && r.status < 400)
        .count();
    let secondary_limit_hits = requests
        .iter()
        .filter(bot)
        .filter(|r| r.status == 403 || r.status == 429)
        .count();
    // The writes that must happen, at GitHub's pace: the last one can go
    // no sooner than this.
    let must = 2 * items;
    let floor = Duration::from_secs(60 * ((must.max(1) - 1) / GITHUB_WRITES_PER_MINUTE) as u64)
        + Duration::from_millis(latency_ms * 3);
    Figures {
        design,
        answered_under_1s: answers.iter().filter(|d| d.duration_ms < 1_000).count(),
        answered_5xx: answers.iter().filter(|d| d.status_code >= 500).count(),
        slowest_answer: Duration::from_millis(
            answers.iter().map(|d| d.duration_ms).max().unwrap_or(0),
        ),
        correct,
        writes,
        secondary_limit_hits,
        done_after,
        floor,
    }
}

/// The same burst, with the bot (the release binary, as it runs) killed
/// with SIGKILL halfway, a maintainer removing an implied label from an
/// item done before the crash, and the bot restarted with
/// `--replay-since`: are all items done, and the removal left alone?
async fn crash_and_replay(items: usize, latency_ms: u64) {
    let mut seed = seed(items);
    if let Some(app) = seed.app.as_mut() {
        app.public_key = Some(probot::harness::TEST_APP_PUBLIC_KEY.to_owned());
    }
    let options = Options {
        enforce_rate_limits: true,
        latency: Latency::Fixed { ms: latency_ms },
        ..Options::default()
    };
    let hub = fakehub::FakeHub::start(seed, options)
        .await
        .expect("fakehub starts");
    let control = hub.control();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fakehub/testdata/app-private-key.pem"
    );
    let serve = |extra: &[&str]| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_probot"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--app-id", "77", "--private-key-file", key])
            .args(["--github-api-url", hub.url()])
            .args(["--webhook-secret", probot::harness::LOCAL_SECRET])
            .args(extra)
            .kill_on_drop(true)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("probot serve starts")
    };
    let up = || async {
        for _ in 0..400 {
            if reqwest::get(format!("{base}/healthz"))
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the bot did not come up");
    };
    let done_items = || async {
        let mut done = Vec::new();
        for n in 2..2 + items as u64 {
            let item = control.issue("acme/widgets", n).await.expect("item");
            if item.labels.iter().any(|l| l == "triage review")
                && item.body.ends_with("cc @ezyang @gchanan @alice")
            {
                done.push(n);
            }
        }
        done
    };

    let mut bot = serve(&[]);
    up().await;
    hub.add_hook(fakehub::Hook {
        url: format!("{base}/webhook"),
        secret: probot::harness::LOCAL_SECRET.into(),
        idle_url: Some(format!("{base}/idle")),
    });
    let started = Instant::now();
    let labelling = tokio::spawn({
        let control = control.clone();
        async move {
            let labels = (2..2 + items as u64)
                .map(|n| control.label("acme/widgets", n, "maintainer", &["high priority"]));
            futures_util::future::join_all(labels).await
        }
    });
    let before_crash = loop {
        let done = done_items().await;
        if done.len() >= items / 2 {
            break done;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let _ = bot.start_kill();
    let _ = bot.wait().await;
    let crashed_at = started.elapsed();
    let _ = labelling.await;
    let done_at_crash = done_items().await.len();
    // After the crash, a maintainer removes the implied label on purpose.
    let touched = before_crash[0];
    control
        .unlabel("acme/widgets", touched, "maintainer", "triage review")
        .await
        .expect("unlabel");

    let restarted = Instant::now();
    let _bot = serve(&["--replay-since", "1h"]);
    up().await;
    let mut all_done = false;
    for _ in 0..600 {
        let done = done_items().await;
        // Every item but the one whose label a person removed.
        if done.len() == items - 1 && !done.contains(&touched) {
            all_done = true;
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let recovered_after = restarted.elapsed();
    control.settle().await.expect("settle");
    let kept = control.issue("acme/widgets", touched).await.expect("item");
    let removal_kept = !kept.labels.iter().any(|l| l == "triage review");
    let requests = control.requests().await.expect("requests");
    let hits = requests
        .iter()
        .filter(|r| r.token.starts_with("installation:") && (r.status == 403 || r.status == 429))
        .count();
    println!(
        "kill -9 at {:.0} s with {done_at_crash}/{items} done; restarted with --replay-since: \
         {} after {:.0} s; the maintainer's removal {}; {hits} secondary-limit answers waited out \
         (the new process's pacer starts empty while GitHub's minute still counts the old one's writes)\n",
        crashed_at.as_secs_f64(),
        if all_done { format!("all {items} correct") } else { "NOT all correct".to_owned() },
        recovered_after.as_secs_f64(),
        if removal_kept { "left alone" } else { "UNDONE" },
    );
}

/// One labeled event, with the rules and tracking issue seen before: how
/// soon it is answered, and how many round trips of GitHub's latency its
/// handling takes (the time past the coalescing window, over the latency).
async fn single_event(latency_ms: u64) {
    let options = Options {
        enforce_rate_limits: true,
        latency: Latency::Fixed { ms: latency_ms },
        ..Options::default()
    };
    let local = Local::start_handling(seed(2), options, Handling::SERVER)
        .await
        .expect("fakehub and the bot start");
    let hub = local.control();
    hub.label("acme/widgets", 2, "maintainer", &["high priority"])
        .await
        .expect("warm-up label");
    let started = Instant::now();
    hub.label("acme/widgets", 3, "maintainer", &["high priority"])
        .await
        .expect("label");
    let done = started.elapsed();
    let deliveries = hub.deliveries().await.expect("deliveries");
    let answered = deliveries
        .iter()
        .rev()
        .find(|d| d.sender.as_deref() == Some("maintainer"))
        .map_or(0, |d| d.duration_ms);
    // The control API answers at once; the bot waits out its window.
    let handling = done.saturating_sub(Duration::from_millis(100));
    println!(
        "one labeled issue (warm): answered in {answered} ms; done {:.0} ms after the label, \
         {:.1} round trips of {latency_ms} ms past the 100 ms coalescing window\n",
        done.as_secs_f64() * 1000.0,
        handling.as_secs_f64() * 1000.0 / latency_ms as f64,
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let items = env("BURST_ITEMS", 100) as usize;
    let latency_ms = env("BURST_LATENCY_MS", 100);
    let designs = std::env::var("BURST_DESIGNS").unwrap_or_else(|_| "queued,inline".into());
    single_event(latency_ms).await;
    println!("{items} issues labeled at once; GitHub at {latency_ms} ms a request, secondary limits enforced\n");
    println!(
        "| design | answered < 1 s | answered 5xx | slowest answer | items correct | writes | secondary-limit hits | last item done | floor | ratio |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    if std::env::var("BURST_CRASH").map_or(true, |v| v != "0") {
        crash_and_replay(items, latency_ms).await;
    }
    for design in designs.split(',').filter(|d| !d.trim().is_empty()) {
        let handling = match design.trim() {
            "queued" => Handling::SERVER,
            "inline" => Handling::Inline,
            other => panic!("unknown design {other:?}: queued or inline"),
        };
        let name = match handling {
            Handling::Inline => "handle, then answer (Node-style)",
            Handling::Queued { .. } => "answer, then work from a queue",
        };
        let f = burst(name, handling, items, latency_ms).await;
        println!(
            "| {} | {}/{items} | {} | {:.2} s | {}/{items} | {} | {} | {:.1} s | {:.1} s | {:.2}x |",
            f.design,
            f.answered_under_1s,
            f.answered_5xx,
            f.slowest_answer.as_secs_f64(),
            f.correct,
            f.writes,
            f.secondary_limit_hits,
            f.done_after.as_secs_f64(),
            f.floor.as_secs_f64(),
            f.done_after.as_secs_f64() / f.floor.as_secs_f64(),
        );
    }
}
