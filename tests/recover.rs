//! Catching up after downtime, with the real binary against fakehub:
//! `probot redeliver` and `probot reconcile`.

mod support;

use fakehub::client::{NewItem, NewPull};
use support::{labels, seed_with, Tester, REPO};

const RULES: &str = r#"
[cc]
tracking_issue = 1

[[labels.implies]]
when = ["high priority"]
add = ["triage review"]

[ci.labels]
"ciflow/trunk" = "trunk.yml"
"#;

const KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fakehub/testdata/app-private-key.pem"
);

async fn probot(t: &Tester, args: &[&str]) -> std::process::Output {
    let out = probot_may_fail(t, args).await;
    assert!(out.status.success(), "{out:?}");
    out
}

async fn probot_may_fail(t: &Tester, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_probot"))
        .args(args)
        .args([
            "--app-id",
            "77",
            "--private-key-file",
            KEY,
            "--github-api-url",
            t.local.hub.url(),
        ])
        .output()
        .await
        .expect("run probot")
}

async fn tester() -> Tester {
    Tester::start(seed_with(
        Some(RULES),
        r#"collaborators = { maintainer = "admin", member = "write" }"#,
    ))
    .await
}

#[tokio::test]
async fn deliveries_missed_while_the_bot_was_down_are_redelivered() {
    let mut t = tester().await;
    let addr = t.local.bots[0].addr;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.local.bots.clear(); // the bot goes down
    t.label(issue, "high priority").await;
    assert_eq!(labels(&t.item(issue).await), ["high priority"]);

    let back = t.local.start_bot_at(addr).await.unwrap();
    t.local.bots.push(back);
    let dry = probot(&t, &["redeliver", "--since", "1h", "--dry-run"]).await;
    let listed = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(
        listed.contains("would redeliver") && listed.contains("issues.labeled"),
        "{listed}"
    );
    assert_eq!(
        labels(&t.item(issue).await),
        ["high priority"],
        "a dry run changes nothing"
    );

    probot(&t, &["redeliver", "--since", "1h"]).await;
    t.hub.settle().await.unwrap();
    assert_eq!(
        labels(&t.item(issue).await),
        ["high priority", "triage review"]
    );
    let again = probot(&t, &["redeliver", "--since", "1h"]).await;
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 failed deliveries"),
        "{again:?}"
    );
}

#[tokio::test]
async fn reconcile_brings_cc_lines_and_ci_tags_in_line_without_reapplying_implications() {
    let t = tester().await;
    let bot = support::Tester::hook_of(&t);
    t.hub.set_hook_active(&bot, false).await.unwrap(); // the bot misses everything below
    let issue = t.open_issue("reporter", "Crash.", &["high priority"]).await;
    let pr = t
        .hub
        .open_pull(
            REPO,
            NewItem {
                title: "Fix".into(),
                body: "Fixes it.".into(),
                author: "member".into(),
                labels: vec!["ciflow/trunk".into()],
                ..NewItem::default()
            },
            NewPull {
                files: vec!["src/lib.rs".into()],
                ..NewPull::default()
            },
        )
        .await
        .unwrap();
    t.hub.set_hook_active(&bot, true).await.unwrap();

    let dry = probot(&t, &["reconcile", REPO, "--dry-run"]).await;
    let text = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(
        text.contains(&format!("#{issue}: would cc: @ezyang @gchanan")),
        "{text}"
    );
    assert!(
        text.contains(&format!("#{pr}: would tag ciflow/trunk/{pr}")),
        "{text}"
    );

    probot(&t, &["reconcile", REPO]).await;
    let item = t.item(issue).await;
    assert_eq!(item.body, "Crash.\n\ncc @ezyang @gchanan");
    assert_eq!(
        labels(&item),
        ["high priority"],
        "implications are not re-applied"
    );
    assert_eq!(
        t.tags().await.get(&format!("ciflow/trunk/{pr}")),
        Some(&t.head(pr).await)
    );

    let again = probot(&t, &["reconcile", REPO]).await;
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 brought in line"),
        "{again:?}"
    );
}

#[tokio::test]
async fn reconcile_goes_on_past_an_item_it_cannot_fix_and_says_so() {
    let t = tester().await;
    let bot = support::Tester::hook_of(&t);
    t.hub.set_hook_active(&bot, false).await.unwrap();
    let first = t.open_issue("reporter", "One.", &["high priority"]).await;
    let second = t.open_issue("reporter", "Two.", &["high priority"]).await;
    let third = t.open_issue("reporter", "Three.", &["high priority"]).await;
    t.hub.set_hook_active(&bot, true).await.unwrap();
    // GitHub refuses every write to the second issue.
    t.hub
        .fault(fakehub::Fault {
            method: Some("PATCH".into()),
            path: format!("/repos/{REPO}/issues/{second}"),
            times: 100,
            status: Some(422),
            ..fakehub::Fault::default()
        })
        .await
        .unwrap();

    let out = probot_may_fail(&t, &["reconcile", REPO]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("#{second} could not be brought in line")),
        "{stderr}"
    );
    for fixed in [first, third] {
        assert_eq!(
            t.item(fixed).await.body.lines().last(),
            Some("cc @ezyang @gchanan")
        );
    }
    assert!(!t.item(second).await.body.contains("cc @"));
}

/// `probot serve` as a child process, with the App's credentials.
fn serve(t: &Tester, port: u16, extra: &[&str]) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_probot"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--app-id", "77", "--private-key-file", KEY])
        .args(["--github-api-url", t.local.hub.url()])
        .args(["--webhook-secret", probot::harness::LOCAL_SECRET])
        .args(extra)
        .kill_on_drop(true)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("probot serve starts")
}

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..600 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 30 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_killed_mid_burst_replays_what_it_had_not_finished_and_undoes_no_later_change() {
    let t = tester().await;
    // The in-process bot is not the one under test.
    t.hub
        .set_hook_active(&support::Tester::hook_of(&t), false)
        .await
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let healthy = || async {
        reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
    };
    let mut bot = serve(&t, port, &[]);
    wait_until("the bot coming up", healthy).await;
    t.hub
        .add_hook(&fakehub::Hook {
            url: format!("{base}/webhook"),
            secret: probot::harness::LOCAL_SECRET.into(),
            idle_url: Some(format!("{base}/idle")),
        })
        .await
        .unwrap();

    // Done before the crash.
    let done = t.open_issue("reporter", "Done.", &[]).await;
    t.label(done, "high priority").await;
    assert_eq!(
        labels(&t.item(done).await),
        ["high priority", "triage review"]
    );
    // Answered, but not done, when the bot is killed: GitHub is slow.
    let pending = [
        t.open_issue("reporter", "One.", &[]).await,
        t.open_issue("reporter", "Two.", &[]).await,
    ];
    t.hub
        .set_latency(fakehub::Latency::Fixed { ms: 2_000 })
        .await
        .unwrap();
    let labelling: Vec<_> = pending
        .iter()
        .map(|&number| {
            let hub = t.hub.clone();
            tokio::spawn(async move {
                hub.label(REPO, number, "maintainer", &["high priority"])
                    .await
                    .unwrap()
            })
        })
        .collect();
    // (fakehub's own reads wait for the bot to be idle: ask the bot.)
    let busy = || async {
        reqwest::get(format!("{base}/idle"))
            .await
            .is_ok_and(|r| r.status() == 503)
    };
    wait_until("the bot taking the work", busy).await;
    // Both webhooks went out together and are answered in milliseconds;
    // the work takes seconds at 2 s a request.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    bot.start_kill().unwrap(); // SIGKILL: no draining, no goodbye
    let _ = bot.wait().await;
    for call in labelling {
        call.await.unwrap();
    }
    t.hub.set_latency(fakehub::Latency::None).await.unwrap();
    for number in pending {
        assert_eq!(
            labels(&t.item(number).await),
            ["high priority"],
            "#{number} was not done"
        );
    }
    // After the crash, a maintainer removes the implied label on purpose.
    t.unlabel(done, "triage review").await;

    let _bot = serve(&t, port, &["--replay-since", "1h"]);
    wait_until("the bot coming back", healthy).await;
    let finished = || async {
        let mut all = true;
        for number in pending {
            let item = t.item(number).await;
            all &= labels(&item) == ["high priority", "triage review"]
                && item.body.ends_with("cc @ezyang @gchanan @alice");
        }
        all
    };
    wait_until("the replay finishing the work", finished).await;
    t.hub.settle().await.unwrap();
    assert_eq!(
        labels(&t.item(done).await),
        ["high priority"],
        "the replay must not undo the maintainer's removal"
    );
}
