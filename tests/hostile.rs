//! Inputs written by an attacker, against the real server and fakehub: one
//! story per class of attack, each asserting the bot survives, stays within
//! its limits, and answers as documented (README, "Security").

mod support;

use std::io::Read;
use std::process::Command;
use std::time::{Duration, Instant};

use probot::limits::{MAX_CHECK_SUMMARY_CHARS, MAX_CONNECTIONS, MAX_RULES_BYTES};
use probot::server::Handling;
use support::{seed, Tester, REPO};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const RULES: &str = "[cc]\ntracking_issue = 1\n";

/// The test process's resident memory, where the bot runs too.
fn resident_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

async fn healthy(t: &Tester) {
    let url = format!("{}/healthz", t.local.bots[0].url());
    let answer = reqwest::get(&url).await.expect("the bot still answers");
    assert_eq!(answer.status(), 200);
}

/// A chain of implication rules, the shape that overflowed the stack.
fn chain(rules: usize) -> String {
    (0..rules)
        .map(|i| {
            format!(
                "[[labels.implies]]\nwhen = [\"l{i}\"]\nadd = [\"l{}\"]\n",
                i + 1
            )
        })
        .collect()
}

/// A fork's push of `file` as its rules gets a failing config check run
/// saying `says`, within seconds, and the bot stays healthy.
async fn fails_the_config_check(t: &Tester, pr: u64, file: &str, says: &str) {
    let started = Instant::now();
    t.hub
        .push_contents(REPO, pr, "contributor", &[(".github/probot.toml", file)])
        .await
        .unwrap();
    let taken = started.elapsed();
    let runs = t.hub.check_runs(REPO).await.unwrap();
    let run = runs.last().expect("a check run");
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    let summary = run.output["summary"].as_str().unwrap_or_default();
    assert!(summary.contains(says), "{summary}");
    assert!(taken < Duration::from_secs(10), "handled in {taken:?}");
    healthy(t).await;
}

#[tokio::test]
async fn a_fork_pushing_huge_or_endless_rules_gets_a_failing_check_run() {
    let t = Tester::with_rules(RULES).await;
    let pr = t.open_pull_from("contributor", true, &[]).await;
    // Over the size limit: refused unread.
    let huge = format!("# {}\n", "x".repeat(MAX_RULES_BYTES + 1));
    // Within the size limit, over the rule count: refused uncompiled. (Tens
    // of thousands, the chain that overflowed the stack, pass the size
    // limit first.)
    let long = chain(3_000);
    assert!(long.len() < MAX_RULES_BYTES);
    for (file, says) in [
        (huge.as_str(), "at most 256 KiB"),
        (long.as_str(), "at most 1000"),
    ] {
        fails_the_config_check(&t, pr, file, says).await;
    }
}

#[tokio::test]
async fn a_fork_pushing_regex_bombs_and_deep_conditions_gets_a_failing_check_run() {
    let t = Tester::with_rules(RULES).await;
    let pr = t.open_pull_from("contributor", true, &[]).await;
    // A regex that would take gigabytes compiled, one that backtracks
    // exponentially elsewhere (linear here, so it is allowed), and more
    // regexes than the file may hold.
    let bomb = "[[rules]]\nwhen = { title = 'a{1000}{1000}{1000}' }\nadd = [\"x\"]\n";
    let many: String = (0..250)
        .map(|i| format!("[[rules]]\nwhen = {{ title = '(a+)+b{i}' }}\nadd = [\"x\"]\n"))
        .collect();
    let deep = format!(
        "[[rules]]\nadd = [\"x\"]\nwhen = {}{{ title = \"a\" }}{}\n",
        "{ not = ".repeat(60),
        " }".repeat(60)
    );
    for (file, says) in [
        (bomb.to_owned(), "more than 1 MiB"),
        (many, "250 regular expressions; probot takes at most 200"),
        (deep, "nest deeper than 32"),
    ] {
        fails_the_config_check(&t, pr, &file, says).await;
    }
}

/// Regexes each under the size limit that are slow to compile (case-folded
/// Unicode classes): the budget ends the check (it does not run on in the
/// background), the pull request gets a failing check run saying so, and
/// pushing the same file again checks nothing again.
#[tokio::test]
async fn a_file_slow_to_compile_is_cut_off_at_the_budget_and_checked_once() {
    let t = Tester::with_rules(RULES).await;
    let pr = t.open_pull_from("contributor", true, &[]).await;
    let slow: String = (0..200)
        .map(|i| {
            format!(
                "[[rules]]\nwhen = {{ title = '(?i){}{i}' }}\nadd = [\"x\"]\n",
                r"\pL".repeat(100)
            )
        })
        .collect();
    let started = std::time::Instant::now();
    fails_the_config_check(&t, pr, &slow, "could not be checked within 5 s").await;
    let first = started.elapsed();
    // The same file on a new commit: its check is remembered by content.
    let started = std::time::Instant::now();
    t.hub
        .push_contents(REPO, pr, "contributor", &[("README.md", "again")])
        .await
        .unwrap();
    let again = started.elapsed();
    let runs = t.hub.check_runs(REPO).await.unwrap();
    let last = runs.last().expect("a check run for the new head");
    assert_eq!(last.head_sha, t.head(pr).await);
    assert_eq!(last.output["title"], "The rules could not be checked");
    eprintln!("200 slow regexes: cut off after {first:?}; the same file again: {again:?}");
}

#[tokio::test]
async fn a_title_and_body_at_any_size_cost_regexes_linear_time() {
    // 100 regexes that backtrack exponentially in engines that backtrack,
    // against a body four times GitHub's cap.
    let rules: String = (0..100)
        .map(|i| format!("[[rules]]\nwhen = {{ body = '^(a|aa)+$', title = '(x+x+)+y{i}' }}\nadd = [\"x\"]\n"))
        .collect();
    let ruleset = probot::config::load(&rules).expect("linear regexes are fine");
    let mut item = match probot::event::parse(
        "issues",
        serde_json::to_vec(&serde_json::json!({
            "action": "opened",
            "issue": {"number": 1, "title": "x".repeat(10_000), "body": "a".repeat(4 * 65_536) + "!", "user": {"login": "someone"}, "labels": [], "state": "open"},
            "repository": {"full_name": "acme/widgets"},
            "sender": {"login": "someone"}
        }))
        .unwrap()
        .as_slice(),
    ) {
        Ok(probot::event::Event::Item(item)) => item,
        other => panic!("{other:?}"),
    };
    item.labels.clear();
    let started = Instant::now();
    let actions = probot::plan::actions_for(&item, &ruleset, &Default::default(), "probot[bot]");
    let taken = started.elapsed();
    eprintln!("100 regexes over a 256 KiB body and a 10,000-character title: {taken:?}");
    assert!(actions.is_empty(), "{actions:?}");
    assert!(taken < Duration::from_secs(5), "{taken:?}");
}

#[tokio::test]
async fn the_largest_rules_file_allowed_is_checked_in_bounded_time() {
    // At every limit at once: 1,000 rules, 5,000 patterns, each rule's
    // labels matching every rule (the cycle check's worst case).
    let mut text = String::new();
    for i in 0..1_000 {
        text.push_str(&format!(
            "[[labels.implies]]\nwhen = [\"l*\", \"m{i}\"]\nadd = [\"l{i}\", \"m{i}x\", \"n{i}\"]\n"
        ));
    }
    assert!(text.len() <= MAX_RULES_BYTES);
    let started = Instant::now();
    let checked = probot::config::check(&text);
    let taken = started.elapsed();
    eprintln!("the largest rules file allowed checked in {taken:?}");
    assert!(!checked.problems.is_empty(), "a cycle at least");
    assert!(taken < Duration::from_secs(30), "{taken:?}");
}

#[tokio::test]
async fn a_thousand_problems_make_a_check_run_github_accepts() {
    let t = Tester::with_rules(RULES).await;
    let pr = t.open_pull_from("contributor", true, &[]).await;
    let bad = "\"\\q\", ".repeat(2_000);
    let file = format!("[[labels.implies]]\nwhen = [{bad}]\nadd = [\"x\"]\n");
    t.hub
        .push_contents(REPO, pr, "contributor", &[(".github/probot.toml", &file)])
        .await
        .unwrap();
    let runs = t.hub.check_runs(REPO).await.unwrap();
    let run = runs.last().expect("a check run, not a 502");
    let summary = run.output["summary"].as_str().unwrap_or_default();
    assert!(summary.chars().count() <= MAX_CHECK_SUMMARY_CHARS);
    assert!(run.output["annotations"].as_array().unwrap().len() <= 50);
    assert!(summary.contains("more problems not shown"), "{summary}");
    assert_eq!(
        run.output["title"], "2000 errors, 0 warnings",
        "every problem counted, the first hundred shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_bodies_are_refused_and_never_buffered_past_the_budget() {
    let t = Tester::with_rules(RULES).await;
    let addr = t.local.bots[0].addr;
    let before = resident_bytes();
    // Sixteen clients declare GitHub's largest body and send 1 MB of it,
    // then stall.
    let mut stalled = Vec::new();
    let mut refused_at_once = 0;
    for _ in 0..16 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /webhook HTTP/1.1\r\nhost: bot\r\nx-github-event: issues\r\nx-hub-signature-256: sha256=00\r\ncontent-length: {}\r\n\r\n",
            25 * 1024 * 1024
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        // Refused ones hear 503 before the body is read at all.
        let _ = tokio::time::timeout(
            Duration::from_millis(200),
            stream.write_all(&vec![b'{'; 1024 * 1024]),
        )
        .await;
        let mut answer = [0u8; 64];
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut answer)).await {
            Ok(Ok(n)) if String::from_utf8_lossy(&answer[..n]).contains(" 503 ") => {
                refused_at_once += 1
            }
            _ => stalled.push(stream),
        }
    }
    assert!(
        refused_at_once >= 13,
        "only {refused_at_once} refused before reading"
    );
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 200 * 1024 * 1024, "memory grew by {grown} bytes");
    // The stalled ones are cut off after the body timeout.
    let started = Instant::now();
    for mut stream in stalled {
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "a stalled upload was never cut off");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.is_empty() || answer.contains(" 408 "), "{answer}");
    }
    assert!(started.elapsed() < Duration::from_secs(25));
    healthy(&t).await;
    // A real delivery still goes through.
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.label(issue, "bug").await;
    assert!(t
        .hub
        .deliveries()
        .await
        .unwrap()
        .iter()
        .any(|d| d.status_code == 202));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_closed_at_once_and_the_bot_still_answers() {
    let t = Tester::with_rules(RULES).await;
    let addr = t.local.bots[0].addr;
    let mut held = Vec::new();
    for _ in 0..MAX_CONNECTIONS + 50 {
        if let Ok(stream) = tokio::net::TcpStream::connect(addr).await {
            held.push(stream);
        }
    }
    // The ones past the cap were closed by the bot: reading gives end of file.
    let mut closed = 0;
    for stream in held.iter_mut().rev().take(50) {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_millis(500), stream.read(&mut byte)).await;
        if matches!(read, Ok(Ok(0)) | Ok(Err(_))) {
            closed += 1;
        }
    }
    assert!(closed >= 40, "only {closed} of the last 50 were closed");
    // The ones within the cap are closed once idle past the header timeout.
    let first = &mut held[0];
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(15), first.read(&mut byte)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "an idle connection stayed open"
    );
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    healthy(&t).await;
}

#[tokio::test]
async fn a_repository_name_with_a_newline_is_refused() {
    let t = Tester::with_rules(RULES).await;
    let payload = serde_json::json!({
        "action": "labeled",
        "issue": {"number": 2, "user": {"login": "x"}, "labels": [], "state": "open"},
        "label": {"name": "bug"},
        "repository": {"full_name": "acme/widgets\nERROR forged log line"},
        "sender": {"login": "x"},
        "installation": {"id": 5}
    });
    let answer = t.post_signed("issues", &payload).await;
    assert_eq!(answer.status(), 400);
}

/// `issues.labeled` "bug" on #2 by a maintainer, naming `installation`.
fn labeled_bug(installation: Option<u64>) -> serde_json::Value {
    let mut payload = serde_json::json!({
        "action": "labeled",
        "issue": {"number": 2, "user": {"login": "x"}, "labels": [{"name": "bug"}], "state": "open"},
        "label": {"name": "bug"},
        "repository": {"full_name": REPO},
        "sender": {"login": "maintainer"}
    });
    if let Some(id) = installation {
        payload["installation"] = serde_json::json!({ "id": id });
    }
    payload
}

#[tokio::test]
async fn a_delivery_without_an_installation_is_not_worth_redelivering() {
    let t = Tester::start_handling(seed(Some(RULES)), Handling::Inline).await;
    let payload = labeled_bug(None);
    let answer = t.post_signed("issues", &payload).await;
    assert_eq!(
        answer.status(),
        200,
        "not a 5xx that redeliver would send again"
    );
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("not worth redelivering"));
}

/// Queued too: an App's delivery with no installation is refused at the
/// intake, said so, and never queued.
#[tokio::test]
async fn a_queued_delivery_without_an_installation_is_refused_at_intake() {
    let t = Tester::with_rules(RULES).await;
    let payload = labeled_bug(None);
    t.hub.clear_requests().await.unwrap();
    let answer = t.post_signed("issues", &payload).await;
    assert_eq!(
        answer.status(),
        200,
        "not queued (202), and not worth redelivering"
    );
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("names no installation"));
    t.hub.settle().await.unwrap();
    assert!(t.bot_requests().await.is_empty(), "nothing was read for it");
}

/// An installation GitHub no longer knows (the App was removed) is not a
/// repository without rules: the token's 404 is its own outcome.
#[tokio::test]
async fn a_removed_installation_is_said_so_not_taken_for_no_rules() {
    let t = Tester::start_handling(seed(Some(RULES)), Handling::Inline).await;
    let payload = labeled_bug(Some(999));
    let answer = t.post_signed("issues", &payload).await;
    assert_eq!(
        answer.status(),
        200,
        "not a 5xx that redeliver would send again"
    );
    let text = answer.text().await.unwrap();
    assert!(
        text.contains("refused installation 999 a token") && text.contains("not installed there"),
        "{text}"
    );
}

#[test]
fn a_token_with_a_newline_is_an_error_not_a_panic() {
    let out = Command::new(env!("CARGO_BIN_EXE_probot"))
        .args(["serve", "--webhook-secret", "s", "--bot-login", "b"])
        .env("PROBOT_TOKEN", "ghp_abc\nINJECTED")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("control character"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("INJECTED"),
        "{stderr}"
    );
}

#[test]
fn text_logs_carry_no_colour_codes_into_a_file() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_probot"))
        .args([
            "serve",
            "--webhook-secret",
            "s",
            "--bot-login",
            "b",
            "--token",
            "t",
        ])
        .args(["--bind", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut first = [0u8; 200];
    let n = stderr.read(&mut first).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let text = String::from_utf8_lossy(&first[..n]);
    assert!(text.contains("probot is serving"), "{text}");
    assert!(!text.contains('\x1b'), "{text:?}");
}

#[tokio::test]
async fn a_tracking_issue_at_githubs_size_cap_costs_milliseconds_not_seconds() {
    let t = Tester::with_rules(RULES).await;
    // 8,000 subscribers to one label: a body at GitHub's 65,536 characters.
    let users: Vec<String> = (0..8_000).map(|i| format!("@u{i}")).collect();
    let body: String = users
        .chunks(40)
        .map(|chunk| format!("* bug {}\n", chunk.join(" ")))
        .collect();
    t.hub.edit_body(REPO, 1, "maintainer", &body).await.unwrap();
    let issue = t.open_issue("reporter", "x", &[]).await;
    let started = Instant::now();
    t.label(issue, "bug").await;
    let taken = started.elapsed();
    let item = t.item(issue).await;
    let line = item.body.lines().last().unwrap_or_default();
    let named = line.matches('@').count();
    assert_eq!(
        named,
        probot::limits::MAX_SUBSCRIBERS_PER_LABEL,
        "{line:.80}"
    );
    assert!(item.body.chars().count() <= probot::limits::MAX_BODY_CHARS);
    assert!(taken < Duration::from_secs(5), "took {taken:?}");
}
