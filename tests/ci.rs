//! The CI trigger bot end to end: labels start their workflows and follow
//! the pull request's head, for trusted authors, against fakehub.

mod support;

use fakehub::Fault;
use serde_json::Value;
use support::{labels, seed_with, Tester, REPO};

const CI_RULES: &str = r#"
[ci]
prefixes = ["ciflow/"]

[ci.labels]
"ciflow/trunk" = "trunk.yml"
"ciflow/periodic" = { workflow = "periodic.yml", via = "workflow_dispatch" }
"ciflow/nightly" = { via = "repository_dispatch", event_type = "nightly" }

[[labels.implies]]
when = ["release blocker"]
add = ["ciflow/trunk"]
"#;

const EXTRA: &str = r#"collaborators = { maintainer = "admin", member = "write", triager = "triage" }
workflows = ["trunk.yml", "periodic.yml"]"#;

async fn tester() -> Tester {
    Tester::start(seed_with(Some(CI_RULES), EXTRA)).await
}

fn dispatch_summary(dispatches: &[Value]) -> Vec<(String, String, String)> {
    dispatches
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap_or_default().to_owned(),
                d["target"].as_str().unwrap_or_default().to_owned(),
                d["git_ref"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_tag_label_keeps_a_tag_at_the_head_and_follows_pushes_until_removed() {
    let t = tester().await;
    let pr = t.open_pull_from("member", false, &[]).await;
    t.label(pr, "ciflow/trunk").await;
    let tag = format!("ciflow/trunk/{pr}");
    assert_eq!(t.tags().await.get(&tag), Some(&t.head(pr).await));

    let new_head = t.push(pr, "member").await;
    assert_eq!(
        t.tags().await.get(&tag),
        Some(&new_head),
        "the tag follows the trusted author's push"
    );

    t.unlabel(pr, "ciflow/trunk").await;
    assert_eq!(
        t.tags().await.get(&tag),
        None,
        "the tag goes with the label"
    );
    t.push(pr, "member").await;
    assert_eq!(
        t.tags().await.get(&tag),
        None,
        "nothing new starts without the label"
    );
}

#[tokio::test]
async fn closing_removes_every_tag_of_the_pull_request_and_nothing_else() {
    let t = tester().await;
    let twelve = t.open_pull_from("member", false, &[]).await;
    // Pull requests whose numbers share a prefix: 2 and 20.
    for _ in 0..17 {
        t.open_issue("reporter", "filler", &[]).await;
    }
    let other = t.open_pull_from("member", false, &[]).await;
    assert!(
        other.to_string().starts_with(&twelve.to_string()),
        "{twelve} vs {other}"
    );
    t.label(twelve, "ciflow/trunk").await;
    t.label(other, "ciflow/trunk").await;
    t.hub
        .set_state(REPO, twelve, "member", "closed")
        .await
        .unwrap();
    let tags = t.tags().await;
    assert_eq!(
        tags.keys().collect::<Vec<_>>(),
        [&format!("ciflow/trunk/{other}")]
    );
}

#[tokio::test]
async fn workflow_dispatch_runs_once_per_head_even_when_delivered_twice() {
    let t = tester().await;
    let pr = t.open_pull_from("member", false, &[]).await;
    t.label(pr, "ciflow/periodic").await;
    let dispatches = t.hub.dispatches(REPO).await.unwrap();
    assert_eq!(
        dispatch_summary(&dispatches),
        [(
            "workflow_dispatch".into(),
            "periodic.yml".into(),
            format!("feature-{pr}")
        )]
    );
    assert_eq!(dispatches[0]["inputs"]["pr_number"], pr.to_string());
    assert_eq!(dispatches[0]["head_sha"], t.head(pr).await);

    let labeled = t
        .hub
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.action.as_deref() == Some("labeled"))
        .unwrap();
    t.hub.redeliver(labeled.id).await.unwrap();
    assert_eq!(
        t.hub.dispatches(REPO).await.unwrap().len(),
        1,
        "a duplicate delivery starts nothing"
    );

    t.push(pr, "member").await;
    assert_eq!(
        t.hub.dispatches(REPO).await.unwrap().len(),
        2,
        "a new head runs again"
    );
}

#[tokio::test]
async fn two_bot_instances_dispatch_once() {
    let mut t = tester().await;
    t.local.add_bot().await.unwrap();
    let pr = t.open_pull_from("member", false, &[]).await;
    t.label(pr, "ciflow/periodic").await;
    t.label(pr, "ciflow/trunk").await;
    assert_eq!(t.hub.dispatches(REPO).await.unwrap().len(), 1);
    assert_eq!(t.tags().await.len(), 1);
}

#[tokio::test]
async fn workflow_dispatch_from_a_fork_runs_on_a_tag_in_the_base_repository() {
    let t = tester().await;
    let pr = t.open_pull_from("outsider", true, &[]).await;
    t.label_as(pr, "maintainer", "ciflow/periodic").await;
    let dispatches = t.hub.dispatches(REPO).await.unwrap();
    let tag = format!("ciflow/periodic/{pr}");
    assert_eq!(
        dispatch_summary(&dispatches),
        [(
            "workflow_dispatch".into(),
            "periodic.yml".into(),
            format!("refs/tags/{tag}")
        )]
    );
    assert_eq!(t.tags().await.get(&tag), Some(&t.head(pr).await));
}

#[tokio::test]
async fn repository_dispatch_carries_the_pull_request() {
    let t = tester().await;
    let pr = t.open_pull_from("member", false, &[]).await;
    t.label(pr, "ciflow/nightly").await;
    let dispatches = t.hub.dispatches(REPO).await.unwrap();
    assert_eq!(dispatches.len(), 1);
    assert_eq!(dispatches[0]["kind"], "repository_dispatch");
    assert_eq!(dispatches[0]["target"], "nightly");
    let payload = &dispatches[0]["inputs"];
    assert_eq!(payload["pr_number"], pr);
    assert_eq!(payload["head_sha"], t.head(pr).await);
    assert_eq!(payload["head_ref"], format!("feature-{pr}"));
    assert_eq!(payload["label"], "ciflow/nightly");
}

#[tokio::test]
async fn an_untrusted_authors_push_waits_for_a_maintainer_with_one_comment() {
    let t = tester().await;
    let pr = t.open_pull_from("outsider", true, &[]).await;
    t.label_as(pr, "maintainer", "ciflow/trunk").await;
    let tag = format!("ciflow/trunk/{pr}");
    let first_head = t.head(pr).await;
    assert_eq!(
        t.tags().await.get(&tag),
        Some(&first_head),
        "a maintainer's label starts CI for that head"
    );

    t.push(pr, "outsider").await;
    t.push(pr, "outsider").await;
    assert_eq!(
        t.tags().await.get(&tag),
        Some(&first_head),
        "the untrusted push does not move the tag"
    );
    let item = t.item(pr).await;
    let waiting: Vec<_> = item
        .comments
        .iter()
        .filter(|c| c.body.contains("probot:ci-waiting"))
        .collect();
    assert_eq!(
        waiting.len(),
        1,
        "one comment, updated in place: {:?}",
        item.comments
    );
    assert!(
        waiting[0].body.contains(&t.head(pr).await[..7]),
        "{}",
        waiting[0].body
    );

    // The maintainer re-applies the label: CI for the new head, and the
    // waiting comment says it started.
    t.unlabel(pr, "ciflow/trunk").await;
    t.label_as(pr, "maintainer", "ciflow/trunk").await;
    let head = t.head(pr).await;
    assert_eq!(t.tags().await.get(&tag), Some(&head));
    let item = t.item(pr).await;
    let waiting: Vec<&str> = item
        .comments
        .iter()
        .filter(|c| c.body.contains("probot:ci-waiting"))
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(
        waiting,
        [format!(
            "<!-- probot:ci-waiting -->\nCI (`ciflow/trunk`) started for {}.",
            &head[..7]
        )]
    );
}

#[tokio::test]
async fn labels_from_people_without_write_access_start_nothing() {
    let t = tester().await;
    let pr = t.open_pull_from("outsider", true, &[]).await;
    t.label_as(pr, "triager", "ciflow/trunk").await;
    assert!(t.tags().await.is_empty());
    assert!(t.hub.dispatches(REPO).await.unwrap().is_empty());
}

#[tokio::test]
async fn labels_on_issues_and_closed_pull_requests_start_nothing() {
    let t = tester().await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.label(issue, "ciflow/trunk").await;
    let pr = t.open_pull_from("member", false, &[]).await;
    t.hub.set_state(REPO, pr, "member", "closed").await.unwrap();
    t.label(pr, "ciflow/periodic").await;
    assert!(t.tags().await.is_empty());
    assert!(t.hub.dispatches(REPO).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unmapped_ci_label_gets_one_comment_listing_the_mapped_ones() {
    let t = tester().await;
    let pr = t.open_pull_from("member", false, &[]).await;
    t.label(pr, "ciflow/typo").await;
    t.label(pr, "ciflow/other-typo").await;
    let item = t.item(pr).await;
    let listed: Vec<_> = item
        .comments
        .iter()
        .filter(|c| c.body.contains("probot:ci-labels"))
        .collect();
    assert_eq!(listed.len(), 1, "{:?}", item.comments);
    assert!(listed[0]
        .body
        .contains("`ciflow/other-typo` does not start any CI"));
    assert!(listed[0].body.contains("- `ciflow/trunk`"));
}

#[tokio::test]
async fn a_label_implied_by_another_starts_ci_too() {
    let t = tester().await;
    let pr = t.open_pull_from("member", false, &[]).await;
    t.label(pr, "release blocker").await;
    assert_eq!(
        labels(&t.item(pr).await),
        ["release blocker", "ciflow/trunk"]
    );
    assert_eq!(
        t.tags().await.get(&format!("ciflow/trunk/{pr}")),
        Some(&t.head(pr).await)
    );
}

/// Inline, as on Lambda: the delivery fails, and its redelivery repairs it.
#[tokio::test]
async fn a_fault_while_moving_a_tag_fails_the_delivery_and_a_redelivery_repairs_it() {
    let t = Tester::start_handling(
        seed_with(Some(CI_RULES), EXTRA),
        probot::server::Handling::Inline,
    )
    .await;
    let pr = t.open_pull_from("member", false, &[]).await;
    t.label(pr, "ciflow/trunk").await;
    t.hub
        .fault(Fault {
            method: Some("PATCH".into()),
            path: "/repos/acme/widgets/git/refs/tags/*".into(),
            times: 10,
            status: Some(500),
            ..Fault::default()
        })
        .await
        .unwrap();
    let head = t.push(pr, "member").await;
    let tag = format!("ciflow/trunk/{pr}");
    assert_ne!(t.tags().await.get(&tag), Some(&head));
    let failed = t
        .hub
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .rev()
        .find(|d| d.action.as_deref() == Some("synchronize"))
        .unwrap();
    assert!(failed.status_code >= 500);
    t.hub.clear_faults().await.unwrap();
    t.hub.redeliver(failed.id).await.unwrap();
    assert_eq!(t.tags().await.get(&tag), Some(&head));
}

#[tokio::test]
async fn reopening_brings_the_tag_back_at_the_head() {
    let t = tester().await;
    let pr = t.open_pull_from("member", false, &[]).await;
    t.label(pr, "ciflow/trunk").await;
    let tag = format!("ciflow/trunk/{pr}");
    t.hub.set_state(REPO, pr, "member", "closed").await.unwrap();
    assert_eq!(t.tags().await.get(&tag), None);
    t.hub.set_state(REPO, pr, "member", "open").await.unwrap();
    assert_eq!(t.tags().await.get(&tag), Some(&t.head(pr).await));
}

/// The `labeled` delivery fakehub sent for `label` on `pr`, its payload
/// turned into a late delivery of `action`: what GitHub sends when
/// deliveries arrive out of order.
async fn late(t: &Tester, pr: u64, label: &str, action: &str) -> Value {
    let deliveries = t.hub.deliveries().await.unwrap();
    let labeled = deliveries
        .iter()
        .rev()
        .find(|d| d.event == "pull_request" && d.action.as_deref() == Some("labeled"))
        .expect("a labeled delivery");
    let mut payload = t.hub.delivery_payload(labeled.id).await.unwrap();
    assert_eq!(payload["pull_request"]["number"], pr);
    assert_eq!(payload["label"]["name"], label);
    payload["action"] = Value::from(action);
    if action == "closed" {
        payload["pull_request"]["state"] = Value::from("closed");
    }
    payload
}

/// Deliveries arrive out of order: a late `unlabeled` or `closed` is
/// planned on the pull request as it is now, so it deletes no tag of a
/// label still there on an open pull request. And closing for real
/// deletes only the tags there are, not one for every mapped label.
#[tokio::test]
async fn a_late_unlabeled_or_closed_delivery_deletes_no_tag_that_should_stay() {
    let t = tester().await;
    let pr = t.open_pull_from("member", false, &[]).await;
    t.label(pr, "ciflow/trunk").await;
    let tag = format!("ciflow/trunk/{pr}");
    let head = t.head(pr).await;
    assert_eq!(t.tags().await.get(&tag), Some(&head));
    t.hub.clear_requests().await.unwrap();

    for action in ["unlabeled", "closed"] {
        let payload = late(&t, pr, "ciflow/trunk", action).await;
        assert_eq!(t.post_signed("pull_request", &payload).await.status(), 202);
        t.hub.settle().await.unwrap();
        assert_eq!(
            t.tags().await.get(&tag),
            Some(&head),
            "a late `{action}` kept the tag"
        );
    }
    let deletes = |requests: Vec<fakehub::LoggedRequest>| {
        requests
            .into_iter()
            .filter(|r| r.method == "DELETE" && r.path.contains("/git/refs/"))
            .count()
    };
    assert_eq!(deletes(t.bot_requests().await), 0);

    t.hub.set_state(REPO, pr, "member", "closed").await.unwrap();
    assert!(t.tags().await.is_empty());
    assert_eq!(
        deletes(t.bot_requests().await),
        1,
        "one DELETE: the one tag there was, not one per mapped label"
    );
}
