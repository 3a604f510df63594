//! PyTorch's labelling, played against `examples/pytorch/probot.toml`: the
//! scenarios the original bot's tests tell, as far as the rules say them.

mod support;

use fakehub::client::{NewItem, NewPull};
use support::{labels, Tester, REPO};

const RULES: &str = include_str!("../examples/pytorch/probot.toml");

async fn open_pull(t: &Tester, files: &[&str], draft: bool) -> u64 {
    let item = NewItem {
        title: "A change".into(),
        body: "Please review.".into(),
        author: "contributor".into(),
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
    let said = bot_comments(&item);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("`topic: not user facing`"), "{}", said[0]);

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
