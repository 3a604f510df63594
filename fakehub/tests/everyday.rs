//! What a bot author meets first, asked as any HTTP client would: filters
//! that filter (and refusals for those fakehub lacks), raw file contents,
//! directories, the Enterprise base path, everyday reads, search, errors
//! in GitHub's shape, and notifications.

use fakehub::client::NewItem;
use fakehub::{FakeHub, Options, Seed};
use serde_json::Value;

const REPO: &str = "acme/widgets";

fn seed() -> Seed {
    Seed::from_toml(
        r#"
[[users]]
login = "alice"
token = "ghp_alice"

[[users]]
login = "bob"
token = "ghp_bob"

[[repos]]
name = "acme/widgets"
labels = ["bug", "high priority"]
collaborators = { alice = "admin", bob = "write" }
files = { "README.md" = "hello", "docs/a.md" = "a", "docs/guide/b.md" = "b" }

[[repos.issues]]
title = "Crash on start"
body = "It crashes."
author = "carol"
labels = ["bug"]

[[repos.issues]]
title = "Slow build"
body = "cc @bob"
author = "dave"

[[repos.issues]]
title = "Old report"
author = "carol"
open = false

[[repos.pulls]]
title = "Docs"
author = "dave"
head_ref = "docs"
files = ["docs/a.md"]
"#,
        None,
    )
    .expect("seed parses")
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn get(&self, path: &str) -> (u16, Value) {
        self.get_with(path, "application/vnd.github+json").await
    }

    async fn get_with(&self, path: &str, accept: &str) -> (u16, Value) {
        let answer = self
            .http
            .get(format!("{}{path}", self.base))
            .header("authorization", "Bearer ghp_alice")
            .header("accept", accept)
            .header("user-agent", "everyday-test")
            .send()
            .await
            .expect("request");
        let status = answer.status().as_u16();
        let text = answer.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

async fn start() -> (FakeHub, Client) {
    let hub = FakeHub::start(seed(), Options::default())
        .await
        .expect("fakehub starts");
    let client = Client {
        base: hub.url().to_owned(),
        http: reqwest::Client::new(),
    };
    (hub, client)
}

fn numbers(list: &Value) -> Vec<u64> {
    list.as_array()
        .expect("an array")
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn issue_filters_filter_and_unknown_ones_are_refused_not_ignored() {
    let (_hub, gh) = start().await;
    let r = "/repos/acme/widgets/issues";
    assert_eq!(numbers(&gh.get(r).await.1), [4, 2, 1]);
    assert_eq!(numbers(&gh.get(&format!("{r}?labels=bug")).await.1), [1]);
    assert_eq!(
        numbers(&gh.get(&format!("{r}?creator=carol&state=all")).await.1),
        [3, 1]
    );
    assert_eq!(numbers(&gh.get(&format!("{r}?mentioned=bob")).await.1), [2]);
    assert_eq!(
        numbers(
            &gh.get(&format!("{r}?state=all&direction=asc&sort=created"))
                .await
                .1
        ),
        [1, 2, 3, 4]
    );
    assert!(numbers(&gh.get(&format!("{r}?since=2999-01-01T00:00:00Z")).await.1).is_empty());

    let (status, error) = gh.get(&format!("{r}?assignee=alice")).await;
    assert_eq!(status, 422);
    assert!(
        error["message"].as_str().unwrap().contains("assignee"),
        "{error}"
    );
    assert!(error["documentation_url"].is_string());
    assert_eq!(gh.get(&format!("{r}?state=maybe")).await.0, 422);
    assert_eq!(gh.get(&format!("{r}?since=yesterday")).await.0, 422);
}

#[tokio::test]
async fn pull_requests_are_listed_with_their_filters() {
    let (_hub, gh) = start().await;
    let (status, pulls) = gh.get("/repos/acme/widgets/pulls?head=acme:docs").await;
    assert_eq!(status, 200);
    assert_eq!(numbers(&pulls), [4]);
    assert_eq!(pulls[0]["head"]["ref"], "docs");
    assert!(numbers(&gh.get("/repos/acme/widgets/pulls?state=closed").await.1).is_empty());
}

#[tokio::test]
async fn contents_come_raw_when_asked_and_directories_as_arrays() {
    let (_hub, gh) = start().await;
    let (status, raw) = gh
        .get_with(
            "/repos/acme/widgets/contents/README.md",
            "application/vnd.github.raw+json",
        )
        .await;
    assert_eq!((status, raw), (200, Value::String("hello".into())));
    let (status, dir) = gh.get("/repos/acme/widgets/contents/docs").await;
    assert_eq!(status, 200);
    let entries: Vec<(&str, &str)> = dir
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["type"].as_str().unwrap()))
        .collect();
    assert_eq!(entries, [("a.md", "file"), ("guide", "dir")]);
    assert_eq!(
        gh.get_with(
            "/repos/acme/widgets/contents/README.md",
            "application/vnd.github.html"
        )
        .await
        .0,
        415
    );
}

#[tokio::test]
async fn the_enterprise_base_path_serves_the_same_api() {
    let (_hub, gh) = start().await;
    let (status, repo) = gh.get("/api/v3/repos/acme/widgets").await;
    assert_eq!(status, 200);
    assert_eq!(repo["full_name"], "acme/widgets");
    assert_eq!(
        numbers(
            &gh.get("/api/v3/repos/acme/widgets/issues?labels=bug")
                .await
                .1
        ),
        [1]
    );
}

#[tokio::test]
async fn errors_have_githubs_body_even_for_a_wrong_method_or_an_unserved_path() {
    let (_hub, gh) = start().await;
    let answer = gh
        .http
        .put(format!("{}/repos/acme/widgets/issues/1", gh.base))
        .header("authorization", "Bearer ghp_alice")
        .header("user-agent", "everyday-test")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 405);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["message"], "Method Not Allowed");
    let (status, body) = gh.get("/repos/acme/widgets/milestones").await;
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("fakehub does not implement GET"),
        "{body}"
    );
}

#[tokio::test]
async fn everyday_reads_labels_refs_branches_commits_assignees_timeline() {
    let (hub, gh) = start().await;
    assert_eq!(
        gh.get("/repos/acme/widgets/labels/high%20priority").await.1["name"],
        "high priority"
    );
    assert_eq!(gh.get("/repos/acme/widgets/labels/nope").await.0, 404);

    let (_, refs) = gh.get("/repos/acme/widgets/git/refs").await;
    let names: Vec<&str> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ref"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"refs/heads/main") && names.contains(&"refs/heads/docs"),
        "{names:?}"
    );
    let (_, heads) = gh.get("/repos/acme/widgets/git/refs/heads").await;
    assert_eq!(heads.as_array().unwrap().len(), 2);

    let (_, branch) = gh.get("/repos/acme/widgets/branches/main").await;
    assert_eq!(branch["name"], "main");
    let sha = branch["commit"]["sha"].as_str().unwrap().to_owned();
    assert_eq!(
        gh.get(&format!("/repos/acme/widgets/commits/{sha}"))
            .await
            .1["sha"],
        sha
    );
    assert_eq!(gh.get("/repos/acme/widgets/commits/0000000").await.0, 422);
    assert_eq!(
        gh.get("/repos/acme/widgets/branches")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let (_, assignees) = gh.get("/repos/acme/widgets/assignees").await;
    let logins: Vec<&str> = assignees
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["alice", "bob"]);

    let control = hub.control();
    control
        .label(REPO, 1, "alice", &["high priority"])
        .await
        .unwrap();
    control
        .comment(REPO, 1, "bob", "Seen it too.")
        .await
        .unwrap();
    let (_, timeline) = gh.get("/repos/acme/widgets/issues/1/timeline").await;
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["labeled", "commented"]);
}

#[tokio::test]
async fn search_finds_issues_by_qualifiers_and_refuses_those_it_lacks() {
    let (_hub, gh) = start().await;
    let (status, found) = gh
        .get("/search/issues?q=repo:acme/widgets+is:issue+label:bug+crash")
        .await;
    assert_eq!(status, 200);
    assert_eq!(found["total_count"], 1);
    assert_eq!(numbers(&found["items"]), [1]);
    let (_, all) = gh
        .get("/search/issues?q=repo%3Aacme%2Fwidgets%20is%3Aopen")
        .await;
    assert_eq!(all["total_count"], 3);
    let (status, error) = gh
        .get("/search/issues?q=repo:acme/widgets+milestone:v1")
        .await;
    assert_eq!(status, 422);
    assert!(error["message"].as_str().unwrap().contains("milestone:v1"));
}

#[tokio::test]
async fn a_mention_notifies_the_person_once_and_their_token_reads_it() {
    let (hub, gh) = start().await;
    let control = hub.control();
    let number = control
        .open_issue(
            REPO,
            NewItem {
                title: "Help".into(),
                body: "@alice could you look?".into(),
                author: "carol".into(),
                ..NewItem::default()
            },
        )
        .await
        .unwrap();
    control
        .edit_body(REPO, number, "carol", "@alice could you look? Also @bob.")
        .await
        .unwrap();
    let reasons = |user: &'static str| {
        let control = control.clone();
        async move {
            control
                .notifications(user)
                .await
                .unwrap()
                .into_iter()
                .filter(|n| n.number == number)
                .map(|n| n.reason)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(reasons("alice").await, ["mention"]);
    assert_eq!(reasons("bob").await, ["mention"]);
    assert!(reasons("carol").await.is_empty());
    let (status, threads) = gh.get("/notifications").await;
    assert_eq!(status, 200);
    assert_eq!(threads[0]["reason"], "mention");
    assert_eq!(threads[0]["subject"]["type"], "Issue");
}

#[tokio::test]
async fn reviews_are_submitted_listed_and_clear_the_request() {
    let (hub, gh) = start().await;
    let post = |path: &str, body: Value| {
        let request = gh
            .http
            .post(format!("{}{path}", hub.url()))
            .header("authorization", "Bearer ghp_bob")
            .header("user-agent", "everyday-test")
            .json(&body);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let asked = post(
        "/repos/acme/widgets/pulls/4/requested_reviewers",
        serde_json::json!({"reviewers": ["bob"]}),
    )
    .await;
    assert_eq!(asked, 201);
    let (_, requested) = gh
        .get("/repos/acme/widgets/pulls/4/requested_reviewers")
        .await;
    assert_eq!(requested["users"][0]["login"], "bob");
    assert_eq!(
        post(
            "/repos/acme/widgets/pulls/4/reviews",
            serde_json::json!({"event": "APPROVE"})
        )
        .await,
        200
    );
    assert_eq!(
        post(
            "/repos/acme/widgets/pulls/4/reviews",
            serde_json::json!({"event": "REQUEST_CHANGES"})
        )
        .await,
        422,
        "changes need a body"
    );
    let (_, reviews) = gh.get("/repos/acme/widgets/pulls/4/reviews").await;
    assert_eq!(reviews[0]["state"], "APPROVED");
    assert_eq!(reviews[0]["user"]["login"], "bob");
    let (_, requested) = gh
        .get("/repos/acme/widgets/pulls/4/requested_reviewers")
        .await;
    assert!(requested["users"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn team_membership_and_author_association_follow_the_seed() {
    let seed = Seed::from_toml(
        r#"
[[users]]
login = "alice"
token = "ghp_alice"

[[teams]]
name = "acme/core"
members = ["erin"]

[[repos]]
name = "acme/widgets"

[[repos.issues]]
title = "Crash on start"
author = "carol"

[[repos.issues]]
title = "Question from the core team"
author = "erin"

[[repos.pulls]]
title = "Docs"
author = "dave"
head_ref = "docs"
files = ["docs/a.md"]
"#,
        None,
    )
    .expect("seed parses");
    let hub = FakeHub::start(seed, Options::default())
        .await
        .expect("fakehub starts");
    let client = Client {
        base: hub.url().to_owned(),
        http: reqwest::Client::new(),
    };
    let (status, member) = client.get("/orgs/acme/teams/core/memberships/erin").await;
    assert_eq!((status, member["state"].as_str()), (200, Some("active")));
    let (status, _) = client.get("/orgs/acme/teams/core/memberships/dave").await;
    assert_eq!(status, 404, "not a member");
    let (status, _) = client.get("/orgs/acme/teams/nope/memberships/erin").await;
    assert_eq!(status, 404, "no such team");

    let (_, issues) = client.get(&format!("/repos/{REPO}/issues?state=all")).await;
    let association = |title: &str| {
        issues
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == title)
            .map(|i| {
                i["author_association"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .unwrap_or_default()
    };
    // carol has only issues; dave has a pull request not merged yet; erin
    // is in a team of the owning organization.
    assert_eq!(association("Crash on start"), "NONE");
    assert_eq!(association("Docs"), "FIRST_TIME_CONTRIBUTOR");
    assert_eq!(association("Question from the core team"), "MEMBER");
}
