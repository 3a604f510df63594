//! The bot end to end: the real server and GitHub client, over HTTP,
//! against fakehub. Each test is a short story a maintainer would tell.

mod support;

use fakehub::client::NewItem;
use fakehub::Fault;
use probot::harness::LOCAL_SECRET;
use support::{labels, seed, sign, sign_with, Tester, REPO, TRACKING};

const RULES: &str = r#"
[cc]
tracking_issue = 1

[[labels.implies]]
when = ["high priority"]
add = ["triage review"]
unless = ["triaged"]

[[labels.implies]]
when = ["triage review"]
add = ["needs meeting"]

[[labels.paths]]
files = ["docs/**", "*.md"]
add = ["module: docs"]
"#;

#[tokio::test]
async fn high_priority_brings_triage_review_and_what_it_implies_and_ccs_subscribers() {
    let t = Tester::with_rules(RULES).await;
    let issue = t.open_issue("reporter", "It crashes.", &[]).await;
    t.label(issue, "high priority").await;
    let item = t.item(issue).await;
    assert_eq!(
        labels(&item),
        ["high priority", "triage review", "needs meeting"]
    );
    assert_eq!(item.body, "It crashes.\n\ncc @ezyang @gchanan @alice");
}

#[tokio::test]
async fn unless_blocks_an_implication() {
    let t = Tester::with_rules(RULES).await;
    let issue = t.open_issue("reporter", "x", &["triaged"]).await;
    t.label(issue, "high priority").await;
    assert_eq!(labels(&t.item(issue).await), ["triaged", "high priority"]);
}

#[tokio::test]
async fn a_pull_request_touching_docs_gets_its_path_label_and_cc() {
    let t = Tester::with_rules(RULES).await;
    let pr = t
        .open_pull("contributor", &["docs/index.md", "src/lib.rs"])
        .await;
    let item = t.item(pr).await;
    assert_eq!(labels(&item), ["module: docs"]);
    assert_eq!(item.body, "Please review.\n\ncc @svekars");
}

#[tokio::test]
async fn cc_keeps_existing_names_and_every_other_byte_and_skips_the_author() {
    let t = Tester::with_rules(RULES).await;
    let body = "Steps:\r\n1. run `x`\r\n\r\ncc @someone @alice\r\n\r\n<!-- template -->";
    let issue = t.open_issue("gchanan", body, &[]).await;
    t.label(issue, "high priority").await;
    let item = t.item(issue).await;
    assert_eq!(
        item.body,
        "Steps:\r\n1. run `x`\r\n\r\ncc @someone @alice @ezyang\r\n\r\n<!-- template -->"
    );
}

#[tokio::test]
async fn the_fresh_body_is_merged_so_another_tools_edit_survives() {
    let t = Tester::with_rules(RULES).await;
    let issue = t.open_issue("reporter", "v1", &[]).await;
    // Another tool edits the body; the label event's payload still says v1
    // by the time... it is read fresh before the write either way.
    t.hub
        .edit_body(REPO, issue, "template-bot", "v2 from another tool")
        .await
        .unwrap();
    t.label(issue, "high priority").await;
    assert_eq!(
        t.item(issue).await.body,
        "v2 from another tool\n\ncc @ezyang @gchanan @alice"
    );
}

#[tokio::test]
async fn a_duplicate_delivery_writes_nothing() {
    let t = Tester::with_rules(RULES).await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.label(issue, "high priority").await;
    let before = t.item(issue).await;
    let deliveries = t.hub.deliveries().await.unwrap();
    let labeled = deliveries
        .iter()
        .find(|d| {
            d.event == "issues"
                && d.action.as_deref() == Some("labeled")
                && d.sender.as_deref() == Some("maintainer")
        })
        .expect("the maintainer's labeled delivery");
    t.hub.clear_requests().await.unwrap();
    t.hub.redeliver(labeled.id).await.unwrap();
    assert_eq!(t.item(issue).await, before);
    assert_eq!(t.bot_writes().await, Vec::<String>::new());
    let again = t.hub.deliveries().await.unwrap();
    let redelivered = again.last().unwrap();
    assert!(redelivered.redelivery && redelivered.guid == labeled.guid);
}

#[tokio::test]
async fn two_bot_instances_fed_the_same_events_end_in_the_same_state() {
    let mut t = Tester::with_rules(RULES).await;
    t.local.add_bot().await.unwrap();
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.label(issue, "high priority").await;
    let item = t.item(issue).await;
    assert_eq!(
        labels(&item),
        ["high priority", "triage review", "needs meeting"]
    );
    assert_eq!(item.body, "x\n\ncc @ezyang @gchanan @alice");
}

#[tokio::test]
async fn a_tracking_issue_edit_reaches_an_instance_that_never_saw_it() {
    let mut t = Tester::with_rules(RULES).await;
    let first = probot::harness::Local::hook_url(&t.local.bots[0]);
    let second = t.local.add_bot().await.unwrap();
    // Both instances read the tracking issue once.
    let warm = t.open_issue("reporter", "warm", &[]).await;
    t.label(warm, "high priority").await;
    // Only the first instance hears of the edit.
    t.hub.set_hook_active(&second, false).await.unwrap();
    t.hub
        .edit_body(REPO, 1, "newcomer", &format!("{TRACKING}* bug @newcomer\n"))
        .await
        .unwrap();
    // The next label goes only to the second instance.
    t.hub.set_hook_active(&second, true).await.unwrap();
    t.hub.set_hook_active(&first, false).await.unwrap();
    let issue = t.open_issue("reporter", "y", &[]).await;
    t.label(issue, "bug").await;
    assert_eq!(t.item(issue).await.body, "y\n\ncc @newcomer");
}

#[tokio::test]
async fn the_bots_own_events_cause_no_loop() {
    let t = Tester::with_rules(RULES).await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.label(issue, "high priority").await;
    let deliveries = t.hub.deliveries().await.unwrap();
    let writes = t.bot_writes().await;
    // One label request and one body edit, whatever webhooks they caused.
    assert_eq!(writes.len(), 2, "{writes:?}");
    // The deliveries the bot's own writes caused, by their sender.
    let own: Vec<_> = deliveries
        .iter()
        .filter(|d| d.sender.as_deref() == Some("probot[bot]"))
        .collect();
    assert!(
        own.len() >= 2,
        "its label and its body edit each caused a delivery: {own:?}"
    );
    // Sent again, they cost nothing: no read, no write (a loop would read).
    t.hub.clear_requests().await.unwrap();
    for delivery in own {
        t.hub.redeliver(delivery.id).await.unwrap();
    }
    assert_eq!(
        t.bot_requests().await,
        [],
        "the bot's own events cost no API call"
    );
}

#[tokio::test]
async fn a_repository_without_rules_gets_nothing_done() {
    let t = Tester::start(seed(None)).await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.label(issue, "high priority").await;
    assert_eq!(labels(&t.item(issue).await), ["high priority"]);
    assert!(t.bot_writes().await.is_empty());
    assert!(t
        .hub
        .deliveries()
        .await
        .unwrap()
        .iter()
        .all(|d| d.status_code == 202));
}

#[tokio::test]
async fn invalid_rules_do_nothing_for_the_repository() {
    let t = Tester::with_rules("[cc]\ntracking_issue = 0\n[[labels.implies]]\nwhen = [\"high priority\"]\nadd = [\"triage review\"]\n").await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.label(issue, "high priority").await;
    assert_eq!(labels(&t.item(issue).await), ["high priority"]);
    assert!(t.bot_writes().await.is_empty());
}

#[tokio::test]
async fn a_pull_request_changing_the_rules_gets_a_check_run() {
    let t = Tester::with_rules(RULES).await;
    let pr = t.open_pull("contributor", &["src/lib.rs"]).await;
    let broken =
        "[cc]\ntracking_issue = 1\n\n[[labels.paths]]\nfiles = [\"src/[\"]\nadd = [\"x\"]\n";
    let head = t
        .hub
        .push_contents(REPO, pr, "contributor", &[(".github/probot.toml", broken)])
        .await
        .unwrap();
    let runs = t.hub.check_runs(REPO).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(
        (run.name.as_str(), run.head_sha.as_str()),
        ("probot config", head.as_str())
    );
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    let annotations = run.output["annotations"].as_array().unwrap();
    assert_eq!(annotations[0]["start_line"], 5);
    assert_eq!(annotations[0]["path"], ".github/probot.toml");
    // Fixed in the next push: a passing run.
    let fixed = broken.replace("src/[", "src/**");
    t.hub
        .push_contents(REPO, pr, "contributor", &[(".github/probot.toml", &fixed)])
        .await
        .unwrap();
    let runs = t.hub.check_runs(REPO).await.unwrap();
    assert_eq!(runs[1].conclusion.as_deref(), Some("success"));
}

#[tokio::test]
async fn a_bad_signature_gets_401_and_no_work() {
    let t = Tester::with_rules(RULES).await;
    t.hub.clear_requests().await.unwrap();
    let url = probot::harness::Local::hook_url(&t.local.bots[0]);
    let http = reqwest::Client::new();
    let payload = std::fs::read("examples/plan/issues.labeled.json").unwrap();
    for signature in [None, Some("sha256=00"), Some("sha1=abc")] {
        let mut request = http
            .post(&url)
            .header("x-github-event", "issues")
            .body(payload.clone());
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        assert_eq!(request.send().await.unwrap().status(), 401);
    }
    assert!(t.bot_requests().await.is_empty());
}

#[tokio::test]
async fn malformed_pings_and_unknown_events_get_their_own_answers() {
    let t = Tester::with_rules(RULES).await;
    let url = probot::harness::Local::hook_url(&t.local.bots[0]);
    let http = reqwest::Client::new();
    let send = |event: &'static str, body: &'static str| {
        let signature = sign(body.as_bytes());
        http.post(&url)
            .header("x-github-event", event)
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
    };
    assert_eq!(send("issues", "{not json").await.unwrap().status(), 400);
    assert_eq!(
        send("issues", r#"{"action":"opened"}"#)
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        send("ping", r#"{"zen":"Keep it logically awesome."}"#)
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        send("star", r#"{"action":"created"}"#)
            .await
            .unwrap()
            .status(),
        202
    );
    let healthz = http
        .get(format!("{}/healthz", t.local.bots[0].url()))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);
}

#[tokio::test]
async fn the_app_token_is_fetched_once_and_reused() {
    let t = Tester::with_rules(RULES).await;
    for _ in 0..3 {
        let issue = t.open_issue("reporter", "x", &[]).await;
        t.label(issue, "high priority").await;
    }
    let requests = t.bot_requests().await;
    let token_requests = requests
        .iter()
        .filter(|r| r.path.ends_with("/access_tokens"))
        .count();
    assert_eq!(token_requests, 1, "{requests:#?}");
    assert!(
        requests
            .iter()
            .filter(|r| r.token == "installation:5")
            .count()
            > 5
    );
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_to_success() {
    let t = Tester::with_rules(RULES).await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.hub
        .fault(Fault {
            method: Some("POST".into()),
            path: "/repos/acme/widgets/issues/*/labels".into(),
            times: 2,
            status: Some(502),
            ..Fault::default()
        })
        .await
        .unwrap();
    t.hub
        .fault(Fault {
            method: Some("PATCH".into()),
            path: "/repos/acme/widgets/issues/*".into(),
            status: Some(429),
            retry_after: Some(1),
            ..Fault::default()
        })
        .await
        .unwrap();
    t.label(issue, "high priority").await;
    let item = t.item(issue).await;
    assert_eq!(
        labels(&item),
        ["high priority", "triage review", "needs meeting"]
    );
    assert!(item.body.ends_with("cc @ezyang @gchanan @alice"));
    let statuses: Vec<u16> = t
        .bot_requests()
        .await
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| r.status)
        .collect();
    assert!(
        statuses.contains(&502) && statuses.contains(&429),
        "{statuses:?}"
    );
}

/// Handled inline (as on Lambda), a delivery GitHub's errors stop is
/// answered 5xx, for a redelivery.
#[tokio::test]
async fn faults_beyond_the_retry_budget_fail_an_inline_delivery_with_5xx() {
    let t = Tester::inline(RULES).await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.hub
        .fault(Fault {
            method: Some("POST".into()),
            path: "/repos/acme/widgets/issues/*/labels".into(),
            times: 100,
            status: Some(503),
            ..Fault::default()
        })
        .await
        .unwrap();
    t.label(issue, "high priority").await;
    let deliveries = t.hub.deliveries().await.unwrap();
    let last = deliveries
        .iter()
        .rev()
        .find(|d| d.action.as_deref() == Some("labeled"))
        .unwrap();
    assert!(last.status_code >= 500, "{last:?}");
    assert_eq!(labels(&t.item(issue).await), ["high priority"]);
    // Once GitHub recovers, redelivering the failed delivery finishes the job.
    t.hub.clear_faults().await.unwrap();
    t.hub.redeliver(last.id).await.unwrap();
    assert_eq!(
        labels(&t.item(issue).await),
        ["high priority", "triage review", "needs meeting"]
    );
}

#[tokio::test]
async fn inline_a_rate_limit_wait_past_the_deadline_fails_fast() {
    let t = Tester::inline(RULES).await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.hub
        .fault(Fault {
            method: Some("POST".into()),
            path: "/repos/acme/widgets/issues/*/labels".into(),
            status: Some(403),
            retry_after: Some(60),
            ..Fault::default()
        })
        .await
        .unwrap();
    let started = std::time::Instant::now();
    t.label(issue, "high priority").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let deliveries = t.hub.deliveries().await.unwrap();
    assert!(deliveries.iter().any(|d| d.status_code >= 500));
}

#[tokio::test]
async fn a_push_changing_the_rules_takes_effect_on_the_next_event() {
    let t = Tester::with_rules(RULES).await;
    t.hub
        .write_files(
            REPO,
            "maintainer",
            None,
            &[(
                ".github/probot.toml",
                Some("[[labels.implies]]\nwhen = [\"bug\"]\nadd = [\"needs repro\"]\n"),
            )],
        )
        .await
        .unwrap();
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.label(issue, "bug").await;
    assert_eq!(labels(&t.item(issue).await), ["bug", "needs repro"]);
}

/// A secret with a comma, as GitHub may generate: taken whole.
const COMMA_SECRET: &str = "s3cr,et-with-a-comma";

/// The `probot serve` binary, with a plain token instead of an App, and a
/// secret being rotated.
#[tokio::test]
async fn the_serve_binary_works_with_a_token() {
    let mut seed = seed(Some(RULES));
    seed.app = None;
    let hub = fakehub::FakeHub::start(seed, fakehub::Options::default())
        .await
        .unwrap();
    let control = hub.control();
    let token = control.mint_token("triage-bot").await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_probot"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--github-api-url",
            hub.url(),
        ])
        .env("PROBOT_TOKEN", &token)
        .env("PROBOT_WEBHOOK_SECRET", COMMA_SECRET)
        .env("PROBOT_WEBHOOK_SECRET_PREVIOUS", LOCAL_SECRET)
        .env("PROBOT_LOG_FORMAT", "json")
        .kill_on_drop(true)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("probot serve starts");
    let health = format!("http://127.0.0.1:{port}/healthz");
    let mut ready = false;
    for _ in 0..100 {
        if reqwest::get(&health).await.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "probot serve did not come up");
    hub.add_hook(fakehub::Hook {
        url: format!("http://127.0.0.1:{port}/webhook"),
        secret: COMMA_SECRET.into(),
        idle_url: Some(format!("http://127.0.0.1:{port}/idle")),
    });
    // A fragment of the secret signs nothing.
    let body = br#"{"zen":"hi","hook_id":1}"#;
    for fragment in ["s3cr", "et-with-a-comma"] {
        let signature = sign_with(fragment, body);
        let answer = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/webhook"))
            .header("x-github-event", "ping")
            .header("x-hub-signature-256", signature)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 401, "signed with {fragment:?}");
    }

    let issue = control
        .open_issue(
            REPO,
            NewItem {
                title: "t".into(),
                body: "x".into(),
                author: "reporter".into(),
                ..NewItem::default()
            },
        )
        .await
        .unwrap();
    control
        .label(REPO, issue, "maintainer", &["high priority"])
        .await
        .unwrap();
    let item = control.issue(REPO, issue).await.unwrap();
    assert_eq!(
        labels(&item),
        ["high priority", "triage review", "needs meeting"]
    );
    assert_eq!(item.body, "x\n\ncc @ezyang @gchanan @alice");
    let requests = control.requests().await.unwrap();
    assert!(requests
        .iter()
        .any(|r| r.token == "user:triage-bot" && r.path == "/user"));

    // SIGTERM: a graceful stop.
    let pid = child.id().expect("running").to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let output = tokio::time::timeout(std::time::Duration::from_secs(15), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let logs = String::from_utf8_lossy(&output.stderr);
    let handled: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .unwrap_or_else(|e| panic!("not JSON: {l}: {e}"))
        })
        .filter(|l| l["fields"]["message"] == "handled")
        .collect();
    assert!(!handled.is_empty(), "{logs}");
    let done = handled
        .iter()
        .find(|l| l["fields"]["outcome"] == "done")
        .expect("a delivery that wrote");
    assert_eq!(done["span"]["repo"], REPO);
    assert_eq!(done["span"]["event"], "issues");
    // The line says why: the rule, where it is, and what made it hold.
    assert!(
        handled.iter().any(|l| l["fields"]["because"]
            .as_str()
            .is_some_and(|why| why.contains("labels.implies[0] (line")
                && why.contains("label `high priority` arrived"))),
        "{logs}"
    );
    assert!(
        done["span"]["id"].as_str().is_some_and(|id| id.len() == 36),
        "{done}"
    );
    assert!(!logs.contains(&token), "the token must never be logged");
    assert!(
        !logs.contains(LOCAL_SECRET) && !logs.contains(COMMA_SECRET),
        "the secrets must never be logged"
    );
}

#[tokio::test]
async fn metrics_count_deliveries_github_requests_and_cache_revalidations() {
    let t = Tester::with_rules(RULES).await;
    for _ in 0..2 {
        let issue = t.open_issue("reporter", "x", &[]).await;
        t.label(issue, "high priority").await;
    }
    let url = format!("{}/metrics", t.local.bots[0].url());
    let text = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let has = |needle: &str| {
        text.lines()
            .any(|l| !l.starts_with('#') && l.contains(needle))
    };
    assert!(
        has(r#"probot_deliveries_total{event="issues",action="labeled",outcome="done"}"#),
        "{text}"
    );
    assert!(
        has(r#"endpoint="/repos/{owner}/{repo}/issues/{number}/labels""#),
        "{text}"
    );
    assert!(
        has(r#"probot_cache_total{kind="rules",result="revalidated"}"#),
        "{text}"
    );
    assert!(
        has("probot_github_rate_limit_remaining{installation=\"5\"}"),
        "{text}"
    );
    assert!(has("probot_delivery_seconds_bucket"), "{text}");
}

/// `probot action`, as a GitHub Actions job runs it: the event from a file,
/// the job's token, once.
#[tokio::test]
async fn the_action_handles_the_jobs_event_once() {
    let mut seed = seed(Some(RULES));
    seed.app = None;
    let hub = fakehub::FakeHub::start(seed, fakehub::Options::default())
        .await
        .unwrap();
    // Record the webhooks (GitHub Actions would hand the job the same payload).
    hub.add_hook(fakehub::Hook {
        url: "http://127.0.0.1:9/nobody".into(),
        secret: "s".into(),
        idle_url: None,
    });
    let control = hub.control();
    let token = control.mint_token("github-actions[bot]").await.unwrap();
    let issue = control
        .open_issue(
            REPO,
            NewItem {
                title: "t".into(),
                body: "x".into(),
                author: "reporter".into(),
                ..NewItem::default()
            },
        )
        .await
        .unwrap();
    control
        .label(REPO, issue, "maintainer", &["high priority"])
        .await
        .unwrap();
    let labeled = control
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.action.as_deref() == Some("labeled"))
        .unwrap();
    let payload = control.delivery_payload(labeled.id).await.unwrap();
    let event_path =
        std::env::temp_dir().join(format!("probot-action-{}.json", std::process::id()));
    std::fs::write(&event_path, serde_json::to_vec(&payload).unwrap()).unwrap();

    let run = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_probot"))
            .arg("action")
            .env("GITHUB_EVENT_NAME", "issues")
            .env("GITHUB_EVENT_PATH", &event_path)
            .env("GITHUB_TOKEN", &token)
            .env("GITHUB_API_URL", hub.url())
            .output()
    };
    let out = run().await.unwrap();
    assert!(out.status.success(), "{out:?}");
    let item = control.issue(REPO, issue).await.unwrap();
    assert_eq!(
        labels(&item),
        ["high priority", "triage review", "needs meeting"]
    );
    assert_eq!(item.body, "x\n\ncc @ezyang @gchanan @alice");
    // Run again: everything is already so.
    let again = run().await.unwrap();
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("already so"),
        "{again:?}"
    );

    // A failure is a failed job.
    control
        .fault(Fault {
            path: "/repos/acme/widgets/contents/*".into(),
            times: 100,
            status: Some(500),
            ..Fault::default()
        })
        .await
        .unwrap();
    let failed = run().await.unwrap();
    assert_eq!(failed.status.code(), Some(1), "{failed:?}");
}

#[tokio::test]
async fn a_label_a_maintainer_removed_is_not_brought_back_within_the_window() {
    let rules = r#"
[labels]
respect_removals_for = "1h"

[[labels.implies]]
when = ["high priority", "critical"]
add = ["triage review"]
"#;
    let t = Tester::with_rules(rules).await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.label(issue, "high priority").await;
    assert_eq!(
        labels(&t.item(issue).await),
        ["high priority", "triage review"]
    );
    t.unlabel(issue, "triage review").await;

    t.hub.clear_requests().await.unwrap();
    t.label(issue, "critical").await;
    assert_eq!(labels(&t.item(issue).await), ["high priority", "critical"]);
    let history_reads = |requests: &[fakehub::LoggedRequest]| {
        requests
            .iter()
            .filter(|r| r.path.contains(&format!("/issues/{issue}/events")))
            .count()
    };
    assert_eq!(history_reads(&t.bot_requests().await), 1);

    // A label that would add nothing costs no history read.
    t.hub.clear_requests().await.unwrap();
    t.label(issue, "bug").await;
    assert_eq!(history_reads(&t.bot_requests().await), 0);
}

#[tokio::test]
async fn a_pull_request_label_on_an_issue_is_taken_off_and_the_issue_says_why() {
    let t = Tester::with_rules("[labels]\npull_requests_only = [\"ciflow/*\"]\n").await;
    let issue = t.open_issue("reporter", "x", &["bug"]).await;
    t.label(issue, "ciflow/trunk").await;
    t.label(issue, "ciflow/periodic").await;
    let item = t.item(issue).await;
    assert_eq!(labels(&item), ["bug"]);
    let said: Vec<&str> = item
        .comments
        .iter()
        .filter(|c| c.author == "probot[bot]")
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(said.len(), 1, "one comment, kept in place: {said:?}");
    assert!(
        said[0].contains("`ciflow/periodic` belongs on pull requests only"),
        "{}",
        said[0]
    );
}

#[tokio::test]
async fn a_pull_request_without_a_release_notes_label_is_told_and_thanked_once_it_has_one() {
    let rules = "[[labels.required]]\none_of = [\"release notes: *\"]\n";
    let t = Tester::with_rules(rules).await;
    let pr = t.open_pull("contributor", &["src/lib.rs"]).await;
    let said = |item: fakehub::client::ItemState| -> Vec<String> {
        item.comments
            .into_iter()
            .filter(|c| c.author == "probot[bot]")
            .map(|c| c.body)
            .collect()
    };
    let first = said(t.item(pr).await);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(
        first[0].contains("needs one of these labels: `release notes: *`"),
        "{}",
        first[0]
    );
    t.label(pr, "release notes: nn").await;
    let after = said(t.item(pr).await);
    assert_eq!(after.len(), 1, "edited, not repeated: {after:?}");
    assert!(
        after[0].contains("Thanks: this pull request has `release notes: nn` now."),
        "{}",
        after[0]
    );
}

#[tokio::test]
async fn a_drafts_path_labels_wait_until_it_is_ready_and_go_when_it_is_a_draft_again() {
    use fakehub::client::NewPull;
    let t = Tester::with_rules(RULES).await;
    let item = NewItem {
        title: "Docs, in progress".into(),
        body: "WIP".into(),
        author: "contributor".into(),
        ..NewItem::default()
    };
    let pull = NewPull {
        files: vec!["docs/index.md".into()],
        draft: true,
        ..NewPull::default()
    };
    let pr = t.hub.open_pull(support::REPO, item, pull).await.unwrap();
    assert!(labels(&t.item(pr).await).is_empty(), "a draft waits");

    t.hub
        .set_ready(support::REPO, pr, "contributor", true)
        .await
        .unwrap();
    let ready = t.item(pr).await;
    assert_eq!(labels(&ready), ["module: docs"]);
    assert!(ready.body.ends_with("cc @svekars"), "{}", ready.body);

    // A maintainer adds a label by hand; back to draft, only the bot's goes.
    t.label(pr, "high priority").await;
    t.hub
        .set_ready(support::REPO, pr, "contributor", false)
        .await
        .unwrap();
    assert_eq!(
        labels(&t.item(pr).await),
        ["high priority", "triage review", "needs meeting"]
    );
}
