//! Subscriptions for everyone, end to end: people subscribe by commenting
//! on the tracking issue, pull requests reach the subscribers of the paths
//! they change, and the proof is the notifications fakehub sends, as
//! GitHub does for mentions, not the text of a body.

mod support;

use fakehub::client::NotificationState;
use fakehub::seed::SeedTeam;
use fakehub::Latency;
use support::{seed_with, Tester, REPO};

const RULES: &str = r#"
[cc]
tracking_issue = 1
"#;

const REPO_EXTRA: &str = r#"
labels = ["bug", "module: cuda", "module: docs", "high priority"]
collaborators = { maintainer = "admin", triager = "triage" }
"#;

async fn tester(rules: &str) -> Tester {
    let mut seed = seed_with(Some(rules), REPO_EXTRA);
    seed.teams.push(SeedTeam {
        name: "acme/gpu".into(),
        members: vec!["gpu-one".into(), "gpu-two".into()],
    });
    Tester::start(seed).await
}

impl Tester {
    async fn notifications(&self, user: &str) -> Vec<NotificationState> {
        self.hub.notifications(user).await.expect("notifications")
    }

    /// The bot's reactions to a comment on the tracking issue.
    async fn reactions_to(&self, comment: u64) -> Vec<String> {
        self.bot_reactions(1, comment).await
    }

    /// The bot's replies on the tracking issue.
    async fn replies(&self) -> Vec<String> {
        self.bot_replies(1).await
    }
}

fn about(notifications: &[NotificationState], number: u64) -> Vec<&str> {
    notifications
        .iter()
        .filter(|n| n.number == number)
        .map(|n| n.reason.as_str())
        .collect()
}

#[tokio::test]
async fn anyone_subscribes_by_comment_and_is_notified_once_when_the_label_arrives() {
    let mut t = tester(RULES).await;
    let comment = t.say(1, "carol", "@probot subscribe module: cuda").await;
    let tracking = t.item(1).await;
    assert!(
        tracking
            .body
            .ends_with("* module: docs @svekars\n* module: cuda @carol\n"),
        "{}",
        tracking.body
    );
    assert_eq!(t.reactions_to(comment).await, ["+1"]);
    assert!(t.replies().await.is_empty());

    let issue = t
        .open_issue("reporter", "It crashes on the GPU.", &[])
        .await;
    t.label(issue, "module: cuda").await;
    assert_eq!(about(&t.notifications("carol").await, issue), ["mention"]);
    assert!(about(&t.notifications("reporter").await, issue).is_empty());
    assert!(about(&t.notifications("probot[bot]").await, issue).is_empty());

    // The same label again, a duplicate of its delivery, a second copy of
    // the bot: nobody hears of it twice.
    t.label(issue, "bug").await;
    let labeled = t
        .hub
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .rfind(|d| d.action.as_deref() == Some("labeled"))
        .unwrap();
    t.hub.redeliver(labeled.id).await.unwrap();
    assert_eq!(about(&t.notifications("carol").await, issue), ["mention"]);
    t.local.add_bot().await.unwrap();
    t.label(issue, "high priority").await;
    assert_eq!(about(&t.notifications("carol").await, issue), ["mention"]);
    // Those newly subscribed through that label hear of it, once.
    assert_eq!(about(&t.notifications("ezyang").await, issue), ["mention"]);
}

#[tokio::test]
async fn unsubscribing_stops_the_notifications_and_leaves_the_rest_of_the_body() {
    let t = tester(RULES).await;
    let before = t.item(1).await.body;
    let comment = t
        .say(1, "alice", "Thanks!\n\n@probot unsubscribe triage review")
        .await;
    assert_eq!(t.reactions_to(comment).await, ["+1"]);
    let after = t.item(1).await.body;
    assert_eq!(
        after,
        before.replace("* triage review @alice", "* triage review")
    );

    let issue = t.open_issue("reporter", "x", &[]).await;
    t.label(issue, "triage review").await;
    assert!(about(&t.notifications("alice").await, issue).is_empty());
}

#[tokio::test]
async fn what_cannot_be_done_is_answered_in_one_reply() {
    let t = tester(RULES).await;
    let comment = t
        .say(
            1,
            "carol",
            "@probot subscribe no such label, module: docs for @dave\n@probot subscribe high priority\n@probot subscribe",
        )
        .await;
    let replies = t.replies().await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    let reply = &replies[0];
    assert!(reply.contains("`no such label`"), "{reply}");
    assert!(reply.contains("only people with triage access"), "{reply}");
    assert!(reply.contains("names no label"), "{reply}");
    assert_eq!(t.reactions_to(comment).await, ["confused"]);
    // carol asked for herself too, and that was done.
    assert!(t
        .item(1)
        .await
        .body
        .contains("* high priority @ezyang @gchanan @carol"));

    // Asked again: it holds, and the reaction alone says so (a reply
    // would spend a write the installation's budget is short of).
    let again = t.say(1, "carol", "@probot subscribe high priority").await;
    assert_eq!(
        t.replies().await.len(),
        1,
        "no reply when nothing was refused"
    );
    assert_eq!(t.reactions_to(again).await, ["+1"]);
}

#[tokio::test]
async fn a_triager_subscribes_a_team_whose_members_get_team_mentions() {
    let t = tester(RULES).await;
    t.say(
        1,
        "triager",
        "@probot subscribe module: cuda for @acme/gpu, @erin",
    )
    .await;
    assert!(t
        .item(1)
        .await
        .body
        .contains("* module: cuda @acme/gpu @erin"));
    let issue = t.open_issue("reporter", "x", &["module: cuda"]).await;
    assert_eq!(
        about(&t.notifications("gpu-one").await, issue),
        ["team_mention"]
    );
    assert_eq!(
        about(&t.notifications("gpu-two").await, issue),
        ["team_mention"]
    );
    assert_eq!(about(&t.notifications("erin").await, issue), ["mention"]);
}

#[tokio::test]
async fn quoted_or_fenced_commands_and_chatter_cost_no_api_call() {
    let t = tester(RULES).await;
    t.hub.clear_requests().await.unwrap();
    let before = t.item(1).await.body;
    t.say(
        1,
        "mallory",
        "> @probot subscribe module: cuda\n```\n@probot subscribe bug\n```\nNice bot, @probot!",
    )
    .await;
    t.say(1, "carol", "Thanks, everyone.").await;
    assert!(
        t.bot_requests().await.is_empty(),
        "{:?}",
        t.bot_requests().await
    );
    assert_eq!(t.item(1).await.body, before);
}

#[tokio::test]
async fn a_redelivered_command_is_answered_once() {
    let t = tester(RULES).await;
    t.say(1, "carol", "@probot subscribe bug").await;
    let body = t.item(1).await.body;
    let delivery = t
        .hub
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .rfind(|d| d.event == "issue_comment")
        .unwrap();
    t.hub.clear_requests().await.unwrap();
    t.hub.redeliver(delivery.id).await.unwrap();
    assert_eq!(t.item(1).await.body, body);
    assert!(
        t.bot_writes().await.is_empty(),
        "{:?}",
        t.bot_writes().await
    );
}

#[tokio::test]
async fn a_command_on_another_issue_is_not_for_the_bot() {
    let t = tester(RULES).await;
    let issue = t.open_issue("reporter", "x", &[]).await;
    t.say(issue, "carol", "@probot subscribe bug").await;
    assert!(!t.item(1).await.body.contains("@carol"));
    assert!(t
        .item(issue)
        .await
        .comments
        .iter()
        .all(|c| c.author != "probot[bot]"));
}

#[tokio::test]
async fn two_people_subscribing_at_once_through_two_bots_both_end_subscribed() {
    let mut t = tester(RULES).await;
    t.local.add_bot().await.unwrap();
    t.hub.set_latency(Latency::Fixed { ms: 40 }).await.unwrap();
    for round in 0..3 {
        let (a, b) = (format!("early-{round}"), format!("late-{round}"));
        let first = format!("@probot subscribe module: docs for @{a}");
        let second = format!("@probot subscribe module: docs for @{b}");
        // Both as triagers would: the one account that may subscribe others.
        let (x, y) = tokio::join!(
            t.hub.comment(REPO, 1, "triager", &first),
            t.hub.comment(REPO, 1, "triager", &second),
        );
        x.unwrap();
        y.unwrap();
        let body = t.item(1).await.body;
        assert!(body.contains(&format!("@{a}")), "round {round}: {body}");
        assert!(body.contains(&format!("@{b}")), "round {round}: {body}");
    }
}

#[tokio::test]
async fn a_pull_request_reaches_the_subscribers_of_its_paths_and_more_on_a_push() {
    let rules = r#"
[cc]
tracking_issue = 1

[[cc.paths]]
files = ["ci/**"]
users = ["ci-owner"]
"#;
    let t = tester(rules).await;
    t.hub
        .edit_body(
            REPO,
            1,
            "maintainer",
            &format!(
                "{}* `docs/**` @doc-fan\n* `torch/cuda/**` @ngimel\n",
                support::TRACKING
            ),
        )
        .await
        .unwrap();
    let pr = t.open_pull("contributor", &["docs/index.md"]).await;
    assert!(
        t.item(pr).await.body.ends_with("cc @doc-fan"),
        "{}",
        t.item(pr).await.body
    );
    assert_eq!(about(&t.notifications("doc-fan").await, pr), ["mention"]);
    assert!(about(&t.notifications("ngimel").await, pr).is_empty());

    t.hub
        .push(
            REPO,
            pr,
            "contributor",
            &["torch/cuda/memory.py", "ci/build.sh"],
        )
        .await
        .unwrap();
    assert_eq!(about(&t.notifications("ngimel").await, pr), ["mention"]);
    assert_eq!(about(&t.notifications("ci-owner").await, pr), ["mention"]);
    assert_eq!(about(&t.notifications("doc-fan").await, pr), ["mention"]);
}

#[tokio::test]
async fn comment_mode_keeps_one_comment_and_never_edits_the_body() {
    let rules = "[cc]\ntracking_issue = 1\nmode = \"comment\"\nreasons = true\n";
    let t = tester(rules).await;
    let issue = t.open_issue("reporter", "Steps.", &["high priority"]).await;
    t.label(issue, "triage review").await;
    let item = t.item(issue).await;
    assert_eq!(item.body, "Steps.");
    let bot_comments: Vec<&str> = item
        .comments
        .iter()
        .filter(|c| c.author == "probot[bot]")
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(
        bot_comments,
        ["<!-- probot:cc -->\ncc @ezyang (high priority) @gchanan (high priority) @alice (triage review)"]
    );
    for user in ["ezyang", "gchanan", "alice"] {
        assert_eq!(
            about(&t.notifications(user).await, issue),
            ["mention"],
            "{user}"
        );
    }
}

#[tokio::test]
async fn an_unreadable_path_line_is_named_on_the_tracking_issue_and_the_rest_still_works() {
    let t = tester(RULES).await;
    let broken = format!("{}* `src/[` @fan\n", support::TRACKING);
    t.hub
        .edit_body(REPO, 1, "maintainer", &broken)
        .await
        .unwrap();
    let said = t.replies().await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("line 6: `src/[` is not a valid glob"),
        "{}",
        said[0]
    );
    let issue = t.open_issue("reporter", "x", &["module: docs"]).await;
    assert!(t.item(issue).await.body.ends_with("cc @svekars"));

    let fixed = format!("{}* `src/**` @fan\n", support::TRACKING);
    t.hub
        .edit_body(REPO, 1, "maintainer", &fixed)
        .await
        .unwrap();
    let said = t.replies().await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("reads now"), "{}", said[0]);
}

#[tokio::test]
async fn a_person_cannot_make_the_bot_edit_their_comment_by_writing_its_marker() {
    let rules = "[cc]\ntracking_issue = 1\nmode = \"comment\"\n";
    let t = tester(rules).await;
    let issue = t.open_issue("reporter", "Steps.", &[]).await;
    let decoy = "<!-- probot:cc -->\ncc @mallory";
    t.say(issue, "mallory", decoy).await;
    t.label(issue, "high priority").await;
    let comments = t.item(issue).await.comments;
    let mallorys: Vec<&str> = comments
        .iter()
        .filter(|c| c.author == "mallory")
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(mallorys, [decoy], "left as mallory wrote it");
    let bots: Vec<&str> = comments
        .iter()
        .filter(|c| c.author == "probot[bot]")
        .map(|c| c.body.as_str())
        .collect();
    assert_eq!(bots, ["<!-- probot:cc -->\ncc @ezyang @gchanan"]);
}
