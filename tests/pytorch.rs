//! PyTorch's labelling, played against `examples/pytorch/probot.toml`: the
//! scenarios the original bot's tests tell, as far as the rules say them.

mod support;

use fakehub::client::{NewItem, NewPull};
use fakehub::Seed;
use support::{labels, Tester, REPO};

const RULES: &str = include_str!("../examples/pytorch/probot.toml");

async fn open_pull(t: &Tester, files: &[&str], draft: bool) -> u64 {
    open_titled(t, "A change", "contributor", files, draft).await
}

async fn open_titled(t: &Tester, title: &str, author: &str, files: &[&str], draft: bool) -> u64 {
    let item = NewItem {
        title: title.into(),
        body: "Please review.".into(),
        author: author.into(),
        ..NewItem::default()
    };
    let pull = NewPull {
        files: files.iter().map(|f| f.to_string()).collect(),
        draft,
        ..NewPull::default()
    };
    t.hub
        .open_pull(REPO, item, pull)
        .await
        .expect("open pull request")
}

fn bot_comments(item: &fakehub::client::ItemState) -> Vec<&str> {
    item.comments
        .iter()
        .filter(|c| c.author == "probot[bot]")
        .map(|c| c.body.as_str())
        .collect()
}

#[tokio::test]
async fn a_dynamo_change_gets_its_module_its_ciflow_and_the_pt2_oncall() {
    let t = Tester::with_rules(RULES).await;
    let pr = open_pull(&t, &["torch/_dynamo/eval_frame.py"], false).await;
    let item = t.item(pr).await;
    assert_eq!(
        labels(&item),
        ["module: dynamo", "ciflow/inductor", "oncall: pt2"]
    );
    // No release-notes label yet: one comment asks for it.
    // A first pull request is welcomed; and no release-notes label yet:
    // one comment asks for it.
    let said = bot_comments(&item);
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0].contains("first pull request"), "{}", said[0]);
    assert!(said[1].contains("`topic: not user facing`"), "{}", said[1]);

    t.label(pr, "topic: not user facing").await;
    let said = bot_comments(&t.item(pr).await).join("\n");
    assert!(said.contains("Thanks"), "{said}");
}

#[tokio::test]
async fn a_draft_waits_for_its_labels_until_it_is_ready() {
    let t = Tester::with_rules(RULES).await;
    let pr = open_pull(&t, &["torch/onnx/utils.py"], true).await;
    assert!(labels(&t.item(pr).await).is_empty());
    t.hub
        .set_ready(REPO, pr, "contributor", true)
        .await
        .unwrap();
    assert_eq!(
        labels(&t.item(pr).await),
        ["module: onnx", "release notes: onnx"]
    );
}

#[tokio::test]
async fn issue_labels_come_off_pull_requests_and_nightly_ciflow_labels_are_not_questioned() {
    let t = Tester::with_rules(RULES).await;
    let pr = open_pull(&t, &["README.md"], false).await;
    t.label(pr, "high priority").await;
    t.label(pr, "ciflow/nightly/cuda").await;
    let item = t.item(pr).await;
    assert_eq!(labels(&item), ["ciflow/nightly/cuda"]);
    let said = bot_comments(&item).join("\n");
    assert!(
        said.contains("`high priority` belongs on issues only"),
        "{said}"
    );
    assert!(!said.contains("does not start any CI"), "{said}");

    t.label(pr, "ciflow/typo").await;
    let said = bot_comments(&t.item(pr).await).join("\n");
    assert!(
        said.contains("`ciflow/typo` does not start any CI here"),
        "{said}"
    );
}

/// The PyTorch rules, with PyTorch's dev-infra team, for author rules.
async fn with_teams() -> Tester {
    let mut seed = support::seed(Some(RULES));
    let teams = Seed::from_toml(
        "[[teams]]\nname = \"pytorch/pytorch-dev-infra\"\nmembers = [\"infra-person\"]\n",
        None,
    )
    .expect("teams");
    seed.teams = teams.teams;
    Tester::start(seed).await
}

#[tokio::test]
async fn a_rocm_title_labels_a_ready_pull_request_and_the_label_goes_when_it_is_a_draft_again() {
    let t = Tester::with_rules(RULES).await;
    let pr = open_titled(
        &t,
        "[ROCm] enable hipblaslt",
        "contributor",
        &["aten/x.cpp"],
        true,
    )
    .await;
    assert!(labels(&t.item(pr).await).is_empty(), "a draft waits");
    t.hub
        .set_ready(REPO, pr, "contributor", true)
        .await
        .unwrap();
    assert_eq!(labels(&t.item(pr).await), ["module: rocm", "ciflow/rocm"]);
    // A maintainer's own label stays when the pull request goes back to
    // draft; the bot's title labels go.
    t.label(pr, "module: rocm-extra").await;
    t.hub
        .set_ready(REPO, pr, "contributor", false)
        .await
        .unwrap();
    assert_eq!(labels(&t.item(pr).await), ["module: rocm-extra"]);
}

#[tokio::test]
async fn a_title_edited_to_a_revert_is_labelled_and_a_body_edit_reads_nothing() {
    let t = Tester::with_rules(RULES).await;
    let pr = open_titled(&t, "Fix the build", "contributor", &["aten/x.cpp"], false).await;
    assert!(!labels(&t.item(pr).await).contains(&"ci-no-td"));
    t.hub.clear_requests().await.unwrap();
    t.hub
        .edit_body(REPO, pr, "contributor", "More words.")
        .await
        .unwrap();
    assert!(
        t.bot_writes().await.is_empty(),
        "{:?}",
        t.bot_writes().await
    );
    t.hub
        .edit_title(REPO, pr, "contributor", "Revert \"Fix the build\"")
        .await
        .unwrap();
    assert!(labels(&t.item(pr).await).contains(&"ci-no-td"));
    // Title rules read no files and no teams. The label history is read
    // once, because a label is about to be added and the rules ask not
    // to add back what a person removed within the hour.
    assert_eq!(t.reads("/files").await, 0);
    assert_eq!(t.reads("/orgs/").await, 0);
    assert_eq!(t.reads("/events").await, 1);
}

#[tokio::test]
async fn a_disabled_test_issue_is_skipped_and_loses_needs_reproduction() {
    let t = Tester::with_rules(RULES).await;
    let item = NewItem {
        title: "DISABLED test_conv2d (__main__.TestNN)".into(),
        body: "Platforms: linux".into(),
        author: "pytorch-bot".into(),
        labels: vec!["needs reproduction".into()],
        ..NewItem::default()
    };
    let issue = t.hub.open_issue(REPO, item).await.unwrap();
    assert_eq!(
        labels(&t.item(issue).await),
        ["skipped", "module: flaky-tests"]
    );
}

#[tokio::test]
async fn the_dev_infra_teams_pull_requests_need_no_release_notes_and_the_team_is_read_once() {
    let t = with_teams().await;
    let pr = open_titled(&t, "Bump the pin", "infra-person", &["aten/x.cpp"], false).await;
    let item = t.item(pr).await;
    assert!(
        labels(&item).contains(&"topic: not user facing"),
        "{:?}",
        labels(&item)
    );
    assert!(
        !bot_comments(&item)
            .iter()
            .any(|c| c.contains("release notes")),
        "no comment asks for a category"
    );
    assert_eq!(
        t.reads("/orgs/pytorch/teams/pytorch-dev-infra/memberships/")
            .await,
        1
    );

    // A named bot matches by login: no team is read for it.
    t.hub.clear_requests().await.unwrap();
    let pr = open_titled(
        &t,
        "Update submodule",
        "pytorchmergebot",
        &["third_party/x"],
        false,
    )
    .await;
    assert!(labels(&t.item(pr).await).contains(&"topic: not user facing"));
    assert_eq!(t.reads("/orgs/").await, 0);
}

#[tokio::test]
async fn the_first_release_notes_category_that_matches_wins() {
    let t = Tester::with_rules(RULES).await;
    let pr = open_pull(&t, &["torch/fx/graph.py", "torch/onnx/utils.py"], false).await;
    let item = t.item(pr).await;
    let categories: Vec<&str> = labels(&item)
        .into_iter()
        .filter(|l| l.starts_with("release notes:"))
        .collect();
    assert_eq!(categories, ["release notes: onnx"]);
    // Adding a label reads no files for the category rules.
    t.hub.clear_requests().await.unwrap();
    t.label(pr, "ciflow/trunk").await;
    assert_eq!(t.reads("/files").await, 0);
}

#[tokio::test]
async fn a_high_priority_issue_goes_to_triage_once_it_also_has_a_module() {
    let t = Tester::with_rules(RULES).await;
    let issue = t.open_issue("reporter", "It crashes.", &[]).await;
    t.label(issue, "high priority").await;
    assert!(!labels(&t.item(issue).await).contains(&"oncall: triage"));
    t.label(issue, "module: nn").await;
    assert!(labels(&t.item(issue).await).contains(&"oncall: triage"));
}

#[tokio::test]
async fn a_maintainers_rocm_pull_request_starts_rocm_ci_when_marked_ready() {
    let t = Tester::with_rules(RULES).await;
    let pr = open_titled(
        &t,
        "[ROCm] fix hipcc flags",
        "maintainer",
        &["aten/x.cpp"],
        true,
    )
    .await;
    assert!(t.tags().await.is_empty(), "a draft waits");
    t.hub.set_ready(REPO, pr, "maintainer", true).await.unwrap();
    let head = t.head(pr).await;
    assert_eq!(
        t.tags().await.get(&format!("ciflow/rocm/{pr}")),
        Some(&head),
        "the rule's CI label starts its workflow at the head"
    );
}

#[tokio::test]
async fn access_is_read_only_when_a_ci_label_comes() {
    let t = Tester::with_rules(RULES).await;
    let pr = open_pull(&t, &["README.md"], false).await;
    // Rules could add CI labels (the dynamo paths add ciflow/inductor), but
    // none does here: nobody's access is read, on opening, labels or pushes.
    t.label(pr, "topic: not user facing").await;
    t.push(pr, "contributor").await;
    assert_eq!(t.reads("/permission").await, 0);
    // A change to dynamo brings ciflow/inductor: now the author's access counts.
    let pr = open_pull(&t, &["torch/_dynamo/x.py"], false).await;
    assert!(labels(&t.item(pr).await).contains(&"ciflow/inductor"));
    assert_eq!(t.reads("/permission").await, 1);
}

#[tokio::test]
async fn title_and_team_rules_hold_under_latency_limits_and_concurrent_pull_requests() {
    let t = with_teams().await;
    t.hub.enforce_rate_limits(true).await.unwrap();
    t.hub
        .set_latency(fakehub::Latency::Fixed { ms: 100 })
        .await
        .unwrap();
    // Eight pull requests opened at once: GitHub delivers their webhooks
    // concurrently, and every request the bot makes waits 100 ms.
    let opened = (0..8).map(|i| {
        let hub = t.hub.clone();
        async move {
            let (title, author) = match i % 2 {
                0 => (format!("Revert change {i}"), "infra-person"),
                _ => (format!("Reland change {i}"), "contributor"),
            };
            let item = NewItem {
                title,
                body: "Please review.".into(),
                author: author.into(),
                ..NewItem::default()
            };
            let pull = NewPull {
                files: vec![format!("aten/x{i}.cpp")],
                ..NewPull::default()
            };
            hub.open_pull(REPO, item, pull).await.expect("open")
        }
    });
    let numbers = futures_util::future::join_all(opened).await;
    t.hub.set_latency(fakehub::Latency::None).await.unwrap();
    for (i, number) in numbers.iter().enumerate() {
        let found = t.item(*number).await;
        let found = labels(&found);
        assert!(found.contains(&"ci-no-td"), "#{number}: {found:?}");
        assert_eq!(
            found.contains(&"topic: not user facing"),
            i % 2 == 0,
            "#{number}: only the team's pull requests: {found:?}"
        );
    }
    // Each pull request asked about the team once; none was asked twice.
    assert_eq!(t.reads("/memberships/").await, 8);
}

#[tokio::test]
async fn a_contributor_labels_by_command_as_pytorchbot_allows() {
    let t = Tester::start(support::seed_with(
        Some(RULES),
        r#"labels = ["module: cuda", "high priority", "triaged"]"#,
    ))
    .await;
    let issue = t.open_issue("reporter", "cuda breaks", &[]).await;
    t.hub
        .comment(
            REPO,
            issue,
            "reporter",
            "@probot label \"module: cuda\", high priority",
        )
        .await
        .unwrap();
    let item = t.item(issue).await;
    assert!(
        labels(&item).contains(&"module: cuda"),
        "{:?} {:?}",
        labels(&item),
        bot_comments(&item)
    );
    assert!(
        !labels(&item).contains(&"high priority"),
        "priorities need triage access"
    );
    let said = bot_comments(&item).join("\n");
    assert!(
        said.contains("`high priority`: needs triage access"),
        "{said}"
    );
}
