//! `[[rules]]` end to end: the bot against fakehub, over HTTP.

mod support;

use support::{labels, Tester, REPO};

const SYNCED: &str = r#"
[[rules]]
name = "docs only"
when.files.all_files_to_any_glob = ["docs/**", "*.md"]
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
    // Adding reads the files once, and no label history: nothing to take back.
    assert_eq!(t.reads("/files").await, 1);
    assert_eq!(t.reads("/events").await, 0);
    t.hub.clear_requests().await.unwrap();

    // Code arrives: the condition no longer holds, and the bot takes back
    // the label it added. Its comment stays, once.
    t.push(pr, "contributor").await;
    let item = t.item(pr).await;
    assert!(labels(&item).is_empty(), "{:?}", labels(&item));
    assert_eq!(comments_by_bot(&item), 1);
    // Who added the label is read once, now that there is one to take back.
    assert_eq!(t.reads("/events").await, 1);

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

#[tokio::test]
async fn a_rule_on_labels_reads_nothing_but_the_rules_and_the_item() {
    let t = Tester::with_rules(
        r#"
[[rules]]
when = { labels.all = ["high priority", "module: *"], kind = "issue" }
add = ["oncall: triage"]
remove = ["needs triage"]
"#,
    )
    .await;
    let issue = t
        .open_issue("reporter", "It crashes.", &["needs triage"])
        .await;
    t.label(issue, "high priority").await;
    t.hub.clear_requests().await.unwrap();
    t.label(issue, "module: nn").await;
    assert_eq!(
        labels(&t.item(issue).await),
        ["high priority", "module: nn", "oncall: triage"]
    );
    let gets: Vec<String> = t
        .bot_requests()
        .await
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path)
        .collect();
    // The rules file (revalidated) and the item read fresh before writing.
    assert!(
        gets.iter()
            .all(|p| p.ends_with("/contents/.github/probot.toml")
                || p.ends_with(&format!("/issues/{issue}"))),
        "{gets:?}"
    );
    assert!(gets.len() <= 2, "{gets:?}");
}
