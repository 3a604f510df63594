//! Review requests and assignees routed by the rules, end to end against
//! fakehub at GitHub's latency with its limits enforced: the least loaded
//! owner of each path a pull request touches, the same people on a
//! redelivery and with two copies of the bot, a person's removal
//! respected, and a mentor assigned to a newcomer's issue.

mod support;

use fakehub::client::{NewItem, NewPull};
use fakehub::{Latency, Seed};
use serde_json::{json, Value};
use support::{Tester, REPO};

const RULES: &str = r#"
[[rules]]
name = "cuda owners"
when.files.any_glob_to_any_file = ["cuda/**"]
request_reviewers = ["alice", "bob", "@acme/cuda"]
count = 1

[[rules]]
name = "docs owners"
when.files.any_glob_to_any_file = ["docs/**"]
request_reviewers = ["dave", "erin"]
count = 1

[[rules]]
name = "mentor"
when = { kind = "issue", author_association = ["first_timer", "first_time_contributor", "none"] }
assign = ["mentor-a", "mentor-b"]
count = 1
"#;

fn seed() -> Seed {
    let people = [
        "alice", "bob", "carol", "frank", "dave", "erin", "mentor-a", "mentor-b",
    ];
    let collaborators: Vec<String> = people
        .iter()
        .map(|p| format!("{p:?} = \"write\""))
        .collect();
    Seed::from_toml(
        &format!(
            r#"
[app]
id = 77
slug = "probot"
installations = [{{ id = 5, account = "acme", repos = ["acme/widgets"] }}]

[[teams]]
name = "acme/cuda"
members = ["carol", "frank"]

[[repos]]
name = "acme/widgets"
collaborators = {{ maintainer = "admin", {} }}
files = {{ ".github/probot.toml" = '''{RULES}''' }}
"#,
            collaborators.join(", ")
        ),
        None,
    )
    .expect("test seed")
}

/// fakehub at GitHub's latency with its limits on, and the bot.
async fn tester() -> Tester {
    let t = Tester::start(seed()).await;
    t.hub.enforce_rate_limits(true).await.unwrap();
    t.hub.set_latency(Latency::Fixed { ms: 30 }).await.unwrap();
    t
}

/// A person's call to GitHub's REST API, with their own token.
async fn as_person(t: &Tester, login: &str, method: reqwest::Method, path: &str, body: Value) {
    let token = t.hub.mint_token(login).await.unwrap();
    let url = format!("{}/repos/{REPO}{path}", t.local.hub.url());
    let answer = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("fakehub answers");
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    t.hub.settle().await.unwrap();
}

async fn open_pull(t: &Tester, author: &str, files: &[&str]) -> u64 {
    let item = NewItem {
        title: "A change".into(),
        author: author.into(),
        ..NewItem::default()
    };
    let pull = NewPull {
        files: files.iter().map(|f| f.to_string()).collect(),
        ..NewPull::default()
    };
    t.hub.open_pull(REPO, item, pull).await.unwrap()
}

/// Open pull requests awaiting each person's review: their load.
async fn load_up(t: &Tester, loads: &[(&str, usize)]) {
    let most = loads.iter().map(|(_, n)| *n).max().unwrap_or(0);
    for round in 0..most {
        let pull = open_pull(t, "someone", &["src/lib.rs"]).await;
        let reviewers: Vec<&str> = loads
            .iter()
            .filter(|(_, n)| *n > round)
            .map(|(login, _)| *login)
            .collect();
        as_person(
            t,
            "maintainer",
            reqwest::Method::POST,
            &format!("/pulls/{pull}/requested_reviewers"),
            json!({ "reviewers": reviewers }),
        )
        .await;
    }
}

async fn requested(t: &Tester, number: u64) -> Vec<String> {
    let mut people = t
        .item(number)
        .await
        .pull
        .expect("a pull request")
        .requested_reviewers;
    people.sort();
    people
}

/// How many times each person was asked to review item `number`, by
/// anyone, from its events.
async fn times_asked(t: &Tester, number: u64) -> Vec<(String, usize)> {
    let token = t.hub.mint_token("maintainer").await.unwrap();
    let url = format!("{}/repos/{REPO}/issues/{number}/events", t.local.hub.url());
    let events: Vec<Value> = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for event in events.iter().filter(|e| e["event"] == "review_requested") {
        let login = event["requested_reviewer"]["login"]
            .as_str()
            .unwrap()
            .to_owned();
        *counts.entry(login).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

#[tokio::test]
async fn a_pull_request_touching_two_owned_paths_gets_the_least_loaded_owner_of_each_once() {
    let mut t = tester().await;
    load_up(
        &t,
        &[
            ("alice", 3),
            ("bob", 2),
            ("carol", 1),
            ("frank", 4),
            ("dave", 2),
            ("erin", 0),
        ],
    )
    .await;
    // Two copies of the bot get every delivery, as behind a careless
    // load balancer.
    t.local.add_bot().await.unwrap();
    t.hub.clear_requests().await.unwrap();

    let pr = open_pull(&t, "contributor", &["cuda/gemm.cu", "docs/gemm.md"]).await;
    assert_eq!(requested(&t, pr).await, ["carol", "erin"]);
    assert_eq!(
        times_asked(&t, pr).await,
        [("carol".to_owned(), 1), ("erin".to_owned(), 1)],
        "nobody asked twice by the two copies"
    );
    // What routing costs, printed for the README: both copies' requests.
    let requests: Vec<String> = t
        .bot_requests()
        .await
        .iter()
        .filter(|r| !r.path.ends_with("/access_tokens"))
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    eprintln!(
        "{} requests by two copies for one pull request routed to two owners:\n{}",
        requests.len(),
        requests.join("\n")
    );

    // A redelivery picks the same people, and asks nobody again.
    let deliveries = t.hub.deliveries().await.unwrap();
    let opened = deliveries
        .iter()
        .rfind(|d| d.event == "pull_request" && d.action.as_deref() == Some("opened"))
        .expect("the pull request's delivery");
    t.hub.redeliver(opened.id).await.unwrap();
    assert_eq!(requested(&t, pr).await, ["carol", "erin"]);
    assert_eq!(
        times_asked(&t, pr).await,
        [("carol".to_owned(), 1), ("erin".to_owned(), 1)]
    );
}

#[tokio::test]
async fn a_request_a_person_took_off_stays_off_and_nobody_takes_its_place() {
    let t = tester().await;
    load_up(&t, &[("alice", 1), ("bob", 2), ("carol", 3), ("frank", 3)]).await;
    let pr = open_pull(&t, "contributor", &["cuda/gemm.cu"]).await;
    assert_eq!(requested(&t, pr).await, ["alice"]);

    // Alice is away: a maintainer takes her request off.
    as_person(
        &t,
        "maintainer",
        reqwest::Method::DELETE,
        &format!("/pulls/{pr}/requested_reviewers"),
        json!({ "reviewers": ["alice"] }),
    )
    .await;
    // New commits make the rule hold again; it has had its owner.
    t.hub
        .push(REPO, pr, "contributor", &["cuda/more.cu"])
        .await
        .unwrap();
    assert!(requested(&t, pr).await.is_empty());
    assert_eq!(times_asked(&t, pr).await, [("alice".to_owned(), 1)]);
}

#[tokio::test]
async fn a_newcomers_issue_gets_the_least_busy_mentor_and_the_author_never_reviews_their_own() {
    let t = tester().await;
    // mentor-a has two open issues already.
    for _ in 0..2 {
        let issue = t.open_issue("maintainer", "Old", &[]).await;
        as_person(
            &t,
            "maintainer",
            reqwest::Method::POST,
            &format!("/issues/{issue}/assignees"),
            json!({ "assignees": ["mentor-a"] }),
        )
        .await;
    }
    let issue = t.open_issue("newcomer", "The docs have a typo.", &[]).await;
    assert_eq!(t.item(issue).await.assignees, ["mentor-b"]);

    // An owner's own pull request goes to another owner.
    let pr = open_pull(&t, "erin", &["docs/index.md"]).await;
    assert_eq!(requested(&t, pr).await, ["dave"]);
}
