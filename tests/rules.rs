//! `[[rules]]` end to end: the bot against fakehub, over HTTP.

mod support;

use support::{labels, Tester, REPO};

const SYNCED: &str = r#"
[[rules]]
name = "docs only"
when.files.any_glob_to_all_files = ["docs/**", "*.md"]
add = ["docs only"]
comment = "This pull request changes documentation only."
sync = true
"#;

fn comments_by_bot(item: &fakehub::client::ItemState) -> usize {
    item.comments
        .iter()
        .filter(|c| c.author == "probot[bot]")
        .count()
}

#[tokio::test]
async fn a_synced_label_goes_when_its_condition_stops_holding_and_a_persons_label_stays() {
    let t = Tester::with_rules(SYNCED).await;
    let pr = t.open_pull("contributor", &["docs/install.md"]).await;
    let item = t.item(pr).await;
    assert_eq!(labels(&item), ["docs only"]);
    assert_eq!(comments_by_bot(&item), 1);

    // Code arrives: the condition no longer holds, and the bot takes back
    // the label it added. Its comment stays, once.
    t.push(pr, "contributor").await;
    let item = t.item(pr).await;
    assert!(labels(&item).is_empty(), "{:?}", labels(&item));
    assert_eq!(comments_by_bot(&item), 1);

    // A maintainer who puts the label on by hand keeps it.
    t.label(pr, "docs only").await;
    t.push(pr, "contributor").await;
    assert_eq!(labels(&t.item(pr).await), ["docs only"]);
}

#[tokio::test]
async fn a_rule_that_holds_again_keeps_one_comment() {
    let t = Tester::with_rules(SYNCED).await;
    let pr = t.open_pull("contributor", &["README.md"]).await;
    t.hub
        .set_state(REPO, pr, "maintainer", "closed")
        .await
        .unwrap();
    t.hub
        .set_state(REPO, pr, "maintainer", "open")
        .await
        .unwrap();
    let item = t.item(pr).await;
    assert_eq!(labels(&item), ["docs only"]);
    assert_eq!(
        comments_by_bot(&item),
        1,
        "reopening edits, never duplicates"
    );
}
