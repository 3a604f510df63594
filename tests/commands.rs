//! Labels by comment, end to end against fakehub at GitHub's latency with
//! its limits enforced: people without write access label as the rules
//! allow, are told what was refused and why, and a label added by command
//! acts like anyone's, with the commenter as the actor CI judges.

mod support;

use fakehub::Latency;
use support::{labels, seed_with, Tester};

const RULES: &str = r#"
[[commands.labels]]
labels = ["module: *", "needs repro", "ciflow/*"]

[[commands.labels]]
labels = ["high priority"]
who = "triage"

[[labels.implies]]
when = ["module: *"]
add = ["triaged"]

[ci.labels]
"ciflow/trunk" = "trunk.yml"
"#;

const EXTRA: &str = r#"collaborators = { maintainer = "admin", member = "write", triager = "triage" }
labels = ["module: cuda", "module: docs", "needs repro", "high priority", "triaged", "ciflow/trunk", "wontfix"]
workflows = ["trunk.yml"]"#;

async fn tester(rules: &str) -> Tester {
    let t = Tester::start(seed_with(Some(rules), EXTRA)).await;
    t.hub.enforce_rate_limits(true).await.unwrap();
    t.hub.set_latency(Latency::Fixed { ms: 30 }).await.unwrap();
    t
}

#[tokio::test]
async fn a_contributor_labels_an_issue_as_the_rules_allow() {
    let t = tester(RULES).await;
    let issue = t.open_issue("contributor", "It broke.", &[]).await;
    t.hub.clear_requests().await.unwrap();
    let id = t
        .say(
            issue,
            "contributor",
            "Thanks!\n@probot label module: cuda, needs repro",
        )
        .await;
    // What one command costs, printed for the README.
    let requests: Vec<String> = t
        .bot_requests()
        .await
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    eprintln!(
        "{} requests for one label command:\n{}",
        requests.len(),
        requests.join("\n")
    );
    let item = t.item(issue).await;
    assert_eq!(
        labels(&item),
        ["module: cuda", "needs repro", "triaged"],
        "the implication fired too"
    );
    assert_eq!(t.bot_reactions(issue, id).await, ["+1"]);
    assert!(
        t.bot_replies(issue).await.is_empty(),
        "nothing refused, nothing to say"
    );
}

#[tokio::test]
async fn what_is_refused_is_named_with_why_and_the_rest_is_done() {
    let t = tester(RULES).await;
    let issue = t.open_issue("contributor", "It broke.", &[]).await;
    let id = t
        .say(
            issue,
            "contributor",
            "@probot label module: docs, high priority, wontfix, module: ghost",
        )
        .await;
    assert_eq!(labels(&t.item(issue).await), ["module: docs", "triaged"]);
    assert_eq!(t.bot_reactions(issue, id).await, ["confused"]);
    let replies = t.bot_replies(issue).await;
    assert_eq!(replies.len(), 1, "one reply: {replies:?}");
    let reply = &replies[0];
    assert!(
        reply.contains("`high priority`: needs triage access"),
        "{reply}"
    );
    assert!(
        reply.contains("`wontfix`: the rules don't let anyone"),
        "{reply}"
    );
    assert!(reply.contains("`module: ghost`: no such label"), "{reply}");

    // A triager may; and taking a label off works the same way.
    t.say(
        issue,
        "triager",
        "@probot label +\"high priority\" -\"module: docs\"",
    )
    .await;
    assert_eq!(labels(&t.item(issue).await), ["triaged", "high priority"]);
}

#[tokio::test]
async fn a_ci_label_by_command_starts_ci_only_for_someone_ci_trusts() {
    let t = tester(RULES).await;
    let pr = t.open_pull_from("contributor", true, &[]).await;
    t.say(pr, "contributor", "@probot label ciflow/trunk").await;
    assert!(
        labels(&t.item(pr).await).contains(&"ciflow/trunk"),
        "the rules let anyone add it"
    );
    assert!(
        !t.tags().await.contains_key(&format!("ciflow/trunk/{pr}")),
        "but the commenter can't start CI"
    );

    let other = t.open_pull_from("contributor", true, &[]).await;
    t.say(other, "member", "@probot label ciflow/trunk").await;
    assert_eq!(
        t.tags().await.get(&format!("ciflow/trunk/{other}")),
        Some(&t.head(other).await),
        "a member's command starts it"
    );
}

#[tokio::test]
async fn a_redelivered_command_is_answered_once() {
    let t = tester(RULES).await;
    let issue = t.open_issue("contributor", "It broke.", &[]).await;
    t.say(issue, "contributor", "@probot label wontfix").await;
    let delivery = t
        .hub
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .rev()
        .find(|d| d.event == "issue_comment")
        .expect("the comment's delivery");
    t.hub.redeliver(delivery.id).await.unwrap();
    assert_eq!(
        t.bot_replies(issue).await.len(),
        1,
        "the duplicate finds the reaction and stops"
    );
}

#[tokio::test]
async fn without_the_section_label_commands_are_off() {
    let t = tester("[[labels.implies]]\nwhen = [\"module: *\"]\nadd = [\"triaged\"]\n").await;
    let issue = t.open_issue("contributor", "It broke.", &[]).await;
    let id = t
        .say(issue, "contributor", "@probot label module: cuda")
        .await;
    assert!(labels(&t.item(issue).await).is_empty());
    assert!(
        t.bot_reactions(issue, id).await.is_empty(),
        "no answer at all"
    );
    assert!(
        t.bot_writes().await.is_empty(),
        "nothing written: {:?}",
        t.bot_writes().await
    );
}
