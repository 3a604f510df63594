//! One rules file for an organization, end to end against fakehub: a
//! repository without rules uses the organization's (`acme/.github`), one
//! that `extends` it overrides a value and disables a rule, an edit of the
//! organization's file holds on the next event with no extra round trip
//! while nothing changes, a cycle is named with both files, and a fork's
//! rules file never makes the bot read anything. And the backtest: a rules
//! change shows, in its check run, the recent items it would treat
//! otherwise, and why.

mod support;

use fakehub::client::{NewItem, NewPull};
use fakehub::{Latency, Seed};
use support::{labels, Tester};

const ORGANIZATION: &str = r#"
[[rules]]
name = "escalate"
when.label_added = ["high priority"]
add = ["triage review"]

[[rules]]
name = "docs"
when.title = "(?i)docs"
add = ["module: docs"]
"#;

const GADGETS: &str = r#"
extends = ".github"
disable = ["docs"]

[[rules]]
name = "gadget docs"
when.title = "(?i)docs"
add = ["docs: gadgets"]
"#;

/// acme/.github holds the organization's rules; acme/widgets has none;
/// acme/gadgets extends them; acme/a and acme/b extend each other.
fn seed() -> Seed {
    Seed::from_toml(
        &format!(
            r#"
[app]
id = 77
slug = "probot"
installations = [{{ id = 5, account = "acme", repos = ["acme/.github", "acme/widgets", "acme/gadgets", "acme/a", "acme/b"] }}]

[[repos]]
name = "acme/.github"
files = {{ ".github/probot.toml" = '''{ORGANIZATION}''' }}

[[repos]]
name = "acme/widgets"
collaborators = {{ maintainer = "admin" }}

[[repos]]
name = "acme/gadgets"
collaborators = {{ maintainer = "admin" }}
files = {{ ".github/probot.toml" = '''{GADGETS}''' }}

[[repos]]
name = "acme/a"
collaborators = {{ maintainer = "admin" }}
files = {{ ".github/probot.toml" = 'extends = "acme/b"' }}

[[repos]]
name = "acme/b"
files = {{ ".github/probot.toml" = 'extends = "acme/a"' }}

[[repos]]
name = "evil/secrets"
files = {{ ".github/probot.toml" = '[[rules]]' }}
"#
        ),
        None,
    )
    .expect("test seed")
}

async fn tester() -> Tester {
    let t = Tester::start(seed()).await;
    t.hub.enforce_rate_limits(true).await.unwrap();
    t.hub.set_latency(Latency::Fixed { ms: 30 }).await.unwrap();
    t
}

async fn open(t: &Tester, repo: &str, title: &str, labels: &[&str]) -> u64 {
    let item = NewItem {
        title: title.into(),
        author: "reporter".into(),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        ..NewItem::default()
    };
    t.hub.open_issue(repo, item).await.unwrap()
}

/// A pull request that changes the rules file, in `repo`, by `author`
/// (from a fork when `fork`).
async fn rules_pull(t: &Tester, repo: &str, title: &str, author: &str, fork: bool) -> u64 {
    let item = NewItem {
        title: title.into(),
        author: author.into(),
        ..NewItem::default()
    };
    let pull = NewPull {
        files: vec![".github/probot.toml".into()],
        fork,
        ..NewPull::default()
    };
    t.hub.open_pull(repo, item, pull).await.unwrap()
}

async fn labels_of(t: &Tester, repo: &str, number: u64) -> Vec<String> {
    let item = t.hub.issue(repo, number).await.unwrap();
    labels(&item).into_iter().map(str::to_owned).collect()
}

#[tokio::test]
async fn a_repository_without_rules_uses_the_organizations_and_one_extending_them_adjusts_them() {
    let t = tester().await;
    let widgets = open(&t, "acme/widgets", "The docs are wrong", &["high priority"]).await;
    assert_eq!(
        labels_of(&t, "acme/widgets", widgets).await,
        ["high priority", "triage review", "module: docs"]
    );
    let gadgets = open(&t, "acme/gadgets", "The docs are wrong", &["high priority"]).await;
    assert_eq!(
        labels_of(&t, "acme/gadgets", gadgets).await,
        ["high priority", "triage review", "docs: gadgets"],
        "the base's rule kept, its `docs` disabled, the repository's own added"
    );
}

#[tokio::test]
async fn an_edit_of_the_organizations_file_holds_on_the_next_event_and_an_unchanged_one_costs_two_304s(
) {
    let t = tester().await;
    let first = open(&t, "acme/gadgets", "Crash", &[]).await;
    assert_eq!(
        labels_of(&t, "acme/gadgets", first).await,
        Vec::<String>::new()
    );

    // Nothing changed: the repository's file and the organization's are
    // revalidated together, both 304 (free), and nothing else is read.
    t.hub.clear_requests().await.unwrap();
    let second = open(&t, "acme/gadgets", "Crash again", &["high priority"]).await;
    assert_eq!(
        labels_of(&t, "acme/gadgets", second).await,
        ["high priority", "triage review"]
    );
    let rules_reads: Vec<(String, u16)> = t
        .bot_requests()
        .await
        .into_iter()
        .filter(|r| r.path.contains("/contents/"))
        .map(|r| (r.path, r.status))
        .collect();
    assert_eq!(rules_reads.len(), 2, "{rules_reads:?}");
    assert!(
        rules_reads.iter().all(|(_, status)| *status == 304),
        "{rules_reads:?}"
    );

    // The organization changes what `high priority` brings: every
    // repository sees it on its next event.
    let edited = ORGANIZATION.replace("add = [\"triage review\"]", "add = [\"oncall\"]");
    t.hub
        .write_files(
            "acme/.github",
            "maintainer",
            None,
            &[(".github/probot.toml", Some(&edited))],
        )
        .await
        .unwrap();
    let third = open(&t, "acme/gadgets", "Crash once more", &["high priority"]).await;
    assert_eq!(
        labels_of(&t, "acme/gadgets", third).await,
        ["high priority", "oncall"]
    );
    let widgets = open(&t, "acme/widgets", "Crash", &["high priority"]).await;
    assert_eq!(
        labels_of(&t, "acme/widgets", widgets).await,
        ["high priority", "oncall"]
    );
}

#[tokio::test]
async fn a_cycle_is_named_with_both_files_and_does_nothing() {
    let t = tester().await;
    let issue = open(&t, "acme/a", "Crash", &["high priority"]).await;
    assert_eq!(labels_of(&t, "acme/a", issue).await, ["high priority"]);

    // A pull request touching the rules gets the check, which names both.
    let pr = rules_pull(&t, "acme/a", "Rules", "maintainer", false).await;
    t.hub
        .push_contents(
            "acme/a",
            pr,
            "maintainer",
            &[(".github/probot.toml", "extends = \"acme/b\"\n\n[cc]\n")],
        )
        .await
        .unwrap();
    let runs = t.hub.check_runs("acme/a").await.unwrap();
    let run = runs.last().expect("a check run");
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    let summary = run.output["summary"].as_str().unwrap();
    assert!(
        summary.contains("a cycle: acme/a:.github/probot.toml extends acme/b:.github/probot.toml, which extends acme/a:.github/probot.toml"),
        "{summary}"
    );
}

#[tokio::test]
async fn a_forks_rules_file_never_makes_the_bot_read_another_repository() {
    let t = tester().await;
    let pr = rules_pull(&t, "acme/gadgets", "Rules", "stranger", true).await;
    t.hub.clear_requests().await.unwrap();
    t.hub
        .push_contents(
            "acme/gadgets",
            pr,
            "stranger",
            &[(".github/probot.toml", "extends = \"evil/secrets\"\n")],
        )
        .await
        .unwrap();
    let read_elsewhere: Vec<String> = t
        .bot_requests()
        .await
        .into_iter()
        .filter(|r| r.path.contains("evil"))
        .map(|r| r.path)
        .collect();
    assert_eq!(
        read_elsewhere,
        Vec::<String>::new(),
        "nothing the fork named was read"
    );
    let runs = t.hub.check_runs("acme/gadgets").await.unwrap();
    let summary = runs.last().expect("a check run").output["summary"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(summary.contains("`evil/secrets` was not read"), "{summary}");
}

/// Four recent items of acme/gadgets, two labelled by its docs rule, and
/// a change of its rules that drops that rule for a parser rule: the
/// items to list are the docs ones and the parser one, not the fourth.
async fn a_rules_change() -> (Tester, Vec<u64>, u64, String) {
    let t = tester().await;
    let typo = open(&t, "acme/gadgets", "Docs typo", &[]).await;
    let build = open(&t, "acme/gadgets", "Docs build fails", &[]).await;
    let parser = open(&t, "acme/gadgets", "Parser crash", &["bug"]).await;
    let calm = open(&t, "acme/gadgets", "Slow start", &[]).await;
    assert_eq!(labels_of(&t, "acme/gadgets", typo).await, ["docs: gadgets"]);
    let changed = GADGETS.replace(
        "name = \"gadget docs\"\nwhen.title = \"(?i)docs\"\nadd = [\"docs: gadgets\"]",
        "name = \"parser\"\nwhen.title = \"(?i)parser\"\nadd = [\"module: parser\"]",
    );
    assert_ne!(changed, GADGETS);
    let mut differ = vec![typo, build, parser];
    differ.sort();
    (t, differ, calm, changed)
}

#[tokio::test]
async fn a_backtest_from_a_terminal_lists_the_same_items() {
    let (t, differ, _, changed) = a_rules_change().await;
    let config = std::env::temp_dir().join(format!("probot-backtest-{}.toml", std::process::id()));
    std::fs::write(&config, &changed).unwrap();
    let token = t.hub.mint_token("maintainer").await.unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_probot"))
        .args([
            "plan",
            "--backtest",
            "10",
            "--repo",
            "acme/gadgets",
            "--format",
            "json",
        ])
        .arg("--config")
        .arg(&config)
        .args(["--github-api-url", t.local.hub.url(), "--token", &token])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["items"], 4, "{result:#}");
    let mut listed: Vec<u64> = result["differing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["number"].as_u64().unwrap())
        .collect();
    listed.sort();
    assert_eq!(listed, differ, "{result:#}");
}

#[tokio::test]
async fn a_rules_change_lists_the_recent_items_it_would_treat_otherwise_with_reasons() {
    let (t, differ, calm, changed) = a_rules_change().await;
    let pr = rules_pull(
        &t,
        "acme/gadgets",
        "Route crash reports",
        "maintainer",
        false,
    )
    .await;
    t.hub.clear_requests().await.unwrap();
    t.hub
        .push_contents(
            "acme/gadgets",
            pr,
            "maintainer",
            &[(".github/probot.toml", &changed)],
        )
        .await
        .unwrap();
    let runs = t.hub.check_runs("acme/gadgets").await.unwrap();
    let run = runs.last().expect("a check run");
    assert_eq!(run.conclusion.as_deref(), Some("success"));
    let summary = run.output["summary"].as_str().unwrap();
    eprintln!("{summary}");
    let listed: Vec<u64> = summary
        .lines()
        .filter_map(|l| l.strip_prefix("- #"))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    assert_eq!(listed_sorted, differ, "{summary}");
    assert!(!listed.contains(&calm));
    assert!(
        summary.contains("no longer: add label \"docs: gadgets\" (because `docs: gadgets`: rules[0] \"gadget docs\""),
        "{summary}"
    );
    assert!(
        summary.contains(
            "now: add label \"module: parser\" (because `module: parser`: rules[0] \"parser\""
        ),
        "{summary}"
    );
    // What it read: the list, the labelled items' events, the pull
    // request's head and files; nothing written but the check run.
    let requests = t.bot_requests().await;
    let writes: Vec<&str> = requests
        .iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/access_tokens"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(writes, ["/repos/acme/gadgets/check-runs"]);
    eprintln!(
        "{} requests for the check run and a backtest of {} items",
        requests.len(),
        summary
            .split("Planned on the last ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or("?")
    );
}

#[tokio::test]
async fn a_change_of_the_organizations_rules_says_which_repositories_use_them() {
    let t = tester().await;
    let pr = rules_pull(
        &t,
        "acme/.github",
        "Escalate to oncall",
        "maintainer",
        false,
    )
    .await;
    let edited = ORGANIZATION.replace("add = [\"triage review\"]", "add = [\"oncall\"]");
    t.hub
        .push_contents(
            "acme/.github",
            pr,
            "maintainer",
            &[(".github/probot.toml", &edited)],
        )
        .await
        .unwrap();
    let runs = t.hub.check_runs("acme/.github").await.unwrap();
    let summary = runs.last().expect("a check run").output["summary"]
        .as_str()
        .unwrap()
        .to_owned();
    let section = summary
        .split("### Repositories that use these rules")
        .nth(1)
        .unwrap_or_else(|| panic!("{summary}"));
    let used_by: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .take_while(|l| l.starts_with("acme/"))
        .collect();
    assert_eq!(used_by, ["acme/widgets", "acme/gadgets"], "{summary}");
}

#[tokio::test]
async fn probot_check_reads_the_base_a_file_extends_with_a_token() {
    let t = tester().await;
    let token = t.hub.mint_token("maintainer").await.unwrap();
    let file =
        std::env::temp_dir().join(format!("probot-check-extends-{}.toml", std::process::id()));
    // `docs` is a rule of the organization's file; `nope` is not.
    std::fs::write(
        &file,
        "extends = \".github\"\ndisable = [\"docs\", \"nope\"]\n",
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_probot"))
        .arg("check")
        .arg(&file)
        .args([
            "--repo",
            "acme/gadgets",
            "--github-api-url",
            t.local.hub.url(),
            "--token",
            &token,
        ])
        .output()
        .await
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{printed}");
    assert!(
        printed.contains("no rule of the base is named `nope`"),
        "{printed}"
    );
    assert!(!printed.contains("`docs`"), "{printed}");
    assert!(!printed.contains("checked without their base"), "{printed}");
}
