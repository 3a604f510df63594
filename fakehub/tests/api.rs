//! fakehub as a real client sees it: octocrab over HTTP, a webhook
//! receiver that checks signatures, faults, and concurrency.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use fakehub::client::{NewItem, NewPull};
use fakehub::{FakeHub, Fault, Hook, Options, Seed};
use octocrab::models::{AppId, InstallationId};
use octocrab::params::repos::Reference;
use octocrab::Octocrab;
use serde_json::Value;

const SECRET: &str = "webhook-secret";
const REPO: &str = "acme/widgets";

fn seed() -> Seed {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    Seed::from_toml(
        r#"
[app]
id = 42
slug = "probot"
public_key_file = "app-public-key.pem"
installations = [{ id = 7, account = "acme", repos = ["acme/widgets"] }]

[[users]]
login = "alice"
token = "ghp_alice"

[[repos]]
name = "acme/widgets"
labels = ["bug", "high priority"]
collaborators = { alice = "admin", bob = "write", tina = "triage" }
workflows = ["trunk.yml"]
files = { ".github/probot.toml" = "[cc]\ntracking_issue = 1\n", "README.md" = "hello" }

[[repos.issues]]
title = "Subscriptions"
body = "* bug @alice"
author = "alice"

[[repos.pulls]]
title = "Docs"
author = "dave"
labels = ["bug"]
fork = true
files = ["docs/a.md", "docs/b.md", "docs/c.md", "docs/d.md", "docs/e.md"]

[[repos]]
name = "other/private"
"#,
        Some(&dir),
    )
    .expect("seed parses")
}

/// A webhook receiver that records what it got and checks signatures.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(String, Value)>>>,
    bad_signatures: Arc<Mutex<u32>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let receiver = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let receiver = receiver.clone();
                async move {
                    let signature = headers
                        .get("x-hub-signature-256")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    if signature != fakehub_signature(&body) {
                        *receiver.bad_signatures.lock().unwrap() += 1;
                        return StatusCode::UNAUTHORIZED;
                    }
                    for header in ["x-github-delivery", "x-github-hook-id", "user-agent"] {
                        assert!(headers.contains_key(header), "missing {header}");
                    }
                    let event = headers["x-github-event"].to_str().unwrap().to_owned();
                    receiver
                        .got
                        .lock()
                        .unwrap()
                        .push((event, serde_json::from_slice(&body).unwrap()));
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    fn events(&self) -> Vec<(String, Value)> {
        self.got.lock().unwrap().clone()
    }
}

fn fakehub_signature(body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn start() -> (FakeHub, Receiver) {
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let hub = FakeHub::start(
        seed(),
        Options {
            hooks: vec![Hook {
                url,
                secret: SECRET.into(),
                idle_url: None,
            }],
            ..Options::default()
        },
    )
    .await
    .expect("fakehub starts");
    (hub, receiver)
}

fn as_alice(hub: &FakeHub) -> Octocrab {
    Octocrab::builder()
        .base_uri(hub.url())
        .unwrap()
        .personal_token("ghp_alice".to_string())
        .build()
        .unwrap()
}

async fn as_app_installation(hub: &FakeHub) -> Octocrab {
    let key = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/app-private-key.pem"),
    )
    .unwrap();
    let app = Octocrab::builder()
        .base_uri(hub.url())
        .unwrap()
        .app(
            AppId(42),
            jsonwebtoken::EncodingKey::from_rsa_pem(&key).unwrap(),
        )
        .build()
        .unwrap();
    let (installation, _token) = app
        .installation_and_token(InstallationId(7))
        .await
        .expect("installation token");
    installation
}

fn keys(value: &Value) -> std::collections::BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn fixture(path: &str) -> Value {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/github")
        .join(path);
    serde_json::from_str(
        &std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
    )
    .unwrap()
}

/// Every key of the fixture appears in ours (we may add newer ones).
#[track_caller]
fn assert_shape(ours: &Value, fixture: &Value, ignore: &[&str]) {
    let missing: Vec<String> = keys(fixture)
        .difference(&keys(ours))
        .filter(|k| !ignore.contains(&k.as_str()))
        .cloned()
        .collect();
    assert!(missing.is_empty(), "missing keys {missing:?}");
}

#[tokio::test]
async fn octocrab_reads_repositories_files_issues_and_pull_requests() {
    let (hub, _) = start().await;
    let gh = as_alice(&hub);
    let repo = gh.repos("acme", "widgets").get().await.expect("repo");
    assert_eq!(repo.default_branch.as_deref(), Some("main"));

    let content = gh
        .repos("acme", "widgets")
        .get_content()
        .path(".github/probot.toml")
        .send()
        .await
        .expect("content");
    assert_eq!(
        content.items[0].decoded_content().as_deref(),
        Some("[cc]\ntracking_issue = 1\n")
    );
    let missing = gh
        .repos("acme", "widgets")
        .get_content()
        .path("nope.toml")
        .send()
        .await;
    assert!(
        matches!(missing, Err(octocrab::Error::GitHub { ref source, .. }) if source.status_code == 404),
        "{missing:?}"
    );

    let issue = gh.issues("acme", "widgets").get(1).await.expect("issue");
    assert_eq!(issue.body.as_deref(), Some("* bug @alice"));
    assert!(issue.pull_request.is_none());

    let pr = gh
        .pulls("acme", "widgets")
        .get(2)
        .await
        .expect("pull request");
    assert_eq!(pr.labels.unwrap()[0].name, "bug");
    assert_eq!(
        pr.head.repo.unwrap().full_name.as_deref(),
        Some("dave/widgets")
    );
    let as_issue = gh
        .issues("acme", "widgets")
        .get(2)
        .await
        .expect("a PR is an issue");
    assert!(as_issue.pull_request.is_some());
}

#[tokio::test]
async fn responses_have_the_shapes_of_githubs_examples() {
    let (hub, _) = start().await;
    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("{}{path}", hub.url()))
            .bearer_auth("ghp_alice")
            .send()
    };
    let issue: Value = get("/repos/acme/widgets/issues/1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_shape(
        &issue,
        &fixture("rest/issue.json"),
        &["pull_request", "pinned_comment"],
    );
    let pull: Value = get("/repos/acme/widgets/pulls/2")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_shape(&pull, &fixture("rest/pull-request.json"), &[]);
    let repo: Value = get("/repos/acme/widgets")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_shape(
        &repo,
        &fixture("rest/full-repository.json"),
        &[
            "permissions",
            "template_repository",
            "temp_clone_token",
            "subscribers_count",
            "network_count",
            "organization",
            "parent",
            "source",
        ],
    );
    let content: Value = get("/repos/acme/widgets/contents/README.md")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_shape(
        &content,
        &fixture("rest/content-file-response-if-content-is-a-file.json"),
        &[],
    );
    let permission: Value = get("/repos/acme/widgets/collaborators/tina/permission")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_shape(
        &permission,
        &fixture("rest/repository-collaborator-permission.json"),
        &[],
    );
    assert_eq!(permission["permission"], "read");
    assert_eq!(permission["role_name"], "triage");
    let labels: Value = get("/repos/acme/widgets/issues/2/labels")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_shape(&labels[0], &fixture("rest/label-items.json")[0], &[]);
}

#[tokio::test]
async fn labels_add_remove_replace_with_webhooks() {
    let (hub, receiver) = start().await;
    let gh = as_alice(&hub);
    let issues = gh.issues("acme", "widgets");
    let labels = issues
        .add_labels(1, &["module: cuda".into(), "bug".into()])
        .await
        .expect("add");
    assert_eq!(
        labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["module: cuda", "bug"]
    );
    // Adding again is not an error and changes nothing.
    issues
        .add_labels(1, &["bug".into()])
        .await
        .expect("add again");
    issues
        .remove_label(1, "module: cuda")
        .await
        .expect("remove, with a space and a colon in the name");
    let gone = issues.remove_label(1, "module: cuda").await;
    assert!(
        matches!(gone, Err(octocrab::Error::GitHub { ref source, .. }) if source.status_code == 404),
        "{gone:?}"
    );
    issues
        .replace_all_labels(1, &["high priority".into()])
        .await
        .expect("replace");
    hub.settle().await;

    let events: Vec<(String, String, String)> = receiver
        .events()
        .iter()
        .map(|(e, p)| {
            (
                e.clone(),
                p["action"].as_str().unwrap().to_owned(),
                p["label"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("issues", "labeled", "module: cuda"),
        ("issues", "labeled", "bug"),
        ("issues", "unlabeled", "module: cuda"),
        ("issues", "unlabeled", "bug"),
        ("issues", "labeled", "high priority"),
    ];
    assert_eq!(
        events,
        expected.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    );
    let (_, labeled) = &receiver.events()[0];
    assert_shape(labeled, &fixture("webhooks/issues.labeled.1.json"), &[]);
    assert_eq!(labeled["sender"]["login"], "alice");
    assert_eq!(labeled["installation"]["id"], 7);
}

#[tokio::test]
async fn the_app_flow_jwt_to_installation_token_and_bot_sender() {
    let (hub, receiver) = start().await;
    let gh = as_app_installation(&hub).await;
    gh.issues("acme", "widgets")
        .add_labels(2, &["high priority".into()])
        .await
        .expect("bot adds a label");
    let installation_repos: Value = gh
        .get("/installation/repositories", None::<&()>)
        .await
        .expect("repos");
    assert_eq!(installation_repos["total_count"], 1);
    // Installations see only their repositories.
    let other = gh.repos("other", "private").get().await;
    assert!(
        matches!(other, Err(octocrab::Error::GitHub { ref source, .. }) if source.status_code == 404)
    );
    hub.settle().await;
    let (event, payload) = receiver.events().pop().expect("a webhook");
    assert_eq!(event, "pull_request");
    assert_eq!(payload["action"], "labeled");
    assert_eq!(payload["sender"]["login"], "probot[bot]");
    assert_eq!(payload["sender"]["type"], "Bot");
    assert_shape(
        &payload,
        &fixture("webhooks/pull_request.labeled.1.json"),
        &[],
    );
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let (hub, _) = start().await;
    let http = reqwest::Client::new();
    let none = http
        .get(format!("{}/repos/acme/widgets", hub.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let bad = http
        .get(format!("{}/repos/acme/widgets", hub.url()))
        .bearer_auth("ghp_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let forged_jwt = http
        .get(format!("{}/app", hub.url()))
        .bearer_auth("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjQyfQ.c2ln")
        .send()
        .await
        .unwrap();
    assert_eq!(forged_jwt.status(), 401);
    let user_on_app_route = http
        .get(format!("{}/app", hub.url()))
        .bearer_auth("ghp_alice")
        .send()
        .await
        .unwrap();
    assert_eq!(user_on_app_route.status(), 401);
}

#[tokio::test]
async fn pull_request_files_paginate_with_link_headers() {
    let (hub, _) = start().await;
    let gh = as_alice(&hub);
    let first = gh
        .pulls("acme", "widgets")
        .list_files(2)
        .await
        .expect("files");
    assert_eq!(first.items.len(), 5);
    let http = reqwest::Client::new();
    let page = http
        .get(format!(
            "{}/repos/acme/widgets/pulls/2/files?per_page=2",
            hub.url()
        ))
        .bearer_auth("ghp_alice")
        .send()
        .await
        .unwrap();
    let link = page.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("page=2>; rel=\"next\""), "{link}");
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    let page = gh
        .get_page::<octocrab::models::repos::DiffEntry>(&Some(
            link.split(';')
                .next()
                .unwrap()
                .trim_matches(['<', '>'])
                .parse()
                .unwrap(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        page.items
            .iter()
            .map(|f| f.filename.as_str())
            .collect::<Vec<_>>(),
        ["docs/c.md", "docs/d.md"]
    );
}

#[tokio::test]
async fn comments_create_list_and_edit() {
    let (hub, receiver) = start().await;
    let gh = as_alice(&hub);
    let issues = gh.issues("acme", "widgets");
    let comment = issues.create_comment(1, "first").await.expect("comment");
    issues
        .update_comment(comment.id, "edited")
        .await
        .expect("edit");
    let listed = issues.list_comments(1).send().await.expect("list");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].body.as_deref(), Some("edited"));
    hub.settle().await;
    let (event, created) = &receiver.events()[0];
    assert_eq!(event, "issue_comment");
    assert_shape(
        created,
        &fixture("webhooks/issue_comment.created.1.json"),
        &[],
    );
}

#[tokio::test]
async fn git_refs_as_github_answers_them() {
    let (hub, receiver) = start().await;
    let gh = as_alice(&hub);
    let repos = gh.repos("acme", "widgets");
    let sha = "a".repeat(40);
    repos
        .create_ref(&Reference::Tag("ciflow/trunk/12".into()), &sha)
        .await
        .expect("create");
    repos
        .create_ref(&Reference::Tag("ciflow/trunk/123".into()), &sha)
        .await
        .expect("create");
    let again = repos
        .create_ref(&Reference::Tag("ciflow/trunk/12".into()), &sha)
        .await;
    assert!(
        matches!(again, Err(octocrab::Error::GitHub { ref source, .. }) if source.status_code == 422)
    );
    let got = repos
        .get_ref(&Reference::Tag("ciflow/trunk/12".into()))
        .await
        .expect("get");
    assert!(
        matches!(got.object, octocrab::models::repos::Object::Commit { ref sha, .. } if sha == &"a".repeat(40))
    );

    let http = reqwest::Client::new();
    let matching: Value = http
        .get(format!(
            "{}/repos/acme/widgets/git/matching-refs/tags/ciflow/trunk/12",
            hub.url()
        ))
        .bearer_auth("ghp_alice")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        matching.as_array().unwrap().len(),
        2,
        "prefix match, as GitHub's"
    );
    let moved = http
        .patch(format!(
            "{}/repos/acme/widgets/git/refs/tags/ciflow/trunk/12",
            hub.url()
        ))
        .bearer_auth("ghp_alice")
        .json(&serde_json::json!({"sha": "b".repeat(40), "force": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    repos
        .delete_ref(&Reference::Tag("ciflow/trunk/12".into()))
        .await
        .expect("delete");
    let gone = repos
        .delete_ref(&Reference::Tag("ciflow/trunk/12".into()))
        .await;
    assert!(
        matches!(gone, Err(octocrab::Error::GitHub { ref source, .. }) if source.status_code == 422)
    );
    hub.settle().await;
    let pushes: Vec<(bool, bool)> = receiver
        .events()
        .iter()
        .filter(|(e, _)| e == "push")
        .map(|(_, p)| {
            (
                p["created"].as_bool().unwrap(),
                p["deleted"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pushes,
        [(true, false), (true, false), (false, false), (false, true)]
    );
    let forced: Vec<bool> = receiver
        .events()
        .iter()
        .filter(|(e, _)| e == "push")
        .map(|(_, p)| p["forced"].as_bool().unwrap())
        .collect();
    assert_eq!(
        forced,
        [false, false, true, false],
        "a moved ref is a forced push"
    );
    // GitHub also sends `create` and `delete` for tags and branches.
    let refs: Vec<(String, String, String)> = receiver
        .events()
        .iter()
        .filter(|(e, _)| e == "create" || e == "delete")
        .map(|(e, p)| {
            (
                e.clone(),
                p["ref"].as_str().unwrap().to_owned(),
                p["ref_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let tag = |e: &str, r: &str| (e.to_owned(), r.to_owned(), "tag".to_owned());
    assert_eq!(
        refs,
        [
            tag("create", "ciflow/trunk/12"),
            tag("create", "ciflow/trunk/123"),
            tag("delete", "ciflow/trunk/12")
        ]
    );
    assert_shape(
        &receiver.events()[0].1,
        &fixture("webhooks/push.2.json"),
        &["organization"],
    );
}

#[tokio::test]
async fn dispatches_check_runs_and_runs() {
    let (hub, _) = start().await;
    let bot = as_app_installation(&hub).await;
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", hub.url()))
            .bearer_auth("ghp_alice")
            .json(&body)
            .send()
    };
    let ok = post(
        "/repos/acme/widgets/actions/workflows/trunk.yml/dispatches",
        serde_json::json!({"ref": "main", "inputs": {"pr": "2"}}),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 204);
    let unknown = post(
        "/repos/acme/widgets/actions/workflows/nope.yml/dispatches",
        serde_json::json!({"ref": "main"}),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status(), 404);
    let bad_ref = post(
        "/repos/acme/widgets/actions/workflows/trunk.yml/dispatches",
        serde_json::json!({"ref": "nope"}),
    )
    .await
    .unwrap();
    assert_eq!(bad_ref.status(), 422);
    let repo_dispatch = post(
        "/repos/acme/widgets/dispatches",
        serde_json::json!({"event_type": "nightly", "client_payload": {}}),
    )
    .await
    .unwrap();
    assert_eq!(repo_dispatch.status(), 204);
    let dispatches = hub.control().dispatches(REPO).await.unwrap();
    assert_eq!(dispatches.len(), 2);
    let runs: Value = http
        .get(format!(
            "{}/repos/acme/widgets/actions/runs?event=workflow_dispatch&head_sha={}",
            hub.url(),
            dispatches[0]["head_sha"].as_str().unwrap()
        ))
        .bearer_auth("ghp_alice")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(runs["total_count"], 1);

    let run = bot
        .checks("acme", "widgets")
        .create_check_run("probot config", "c".repeat(40))
        .status(octocrab::params::checks::CheckRunStatus::Completed)
        .conclusion(octocrab::params::checks::CheckRunConclusion::Failure)
        .send()
        .await
        .expect("check run");
    assert_eq!(run.name, "probot config");
    let runs = hub.control().check_runs(REPO).await.unwrap();
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
}

#[tokio::test]
async fn conditional_requests_get_304_and_cost_no_rate_limit() {
    let (hub, _) = start().await;
    let http = reqwest::Client::new();
    let url = format!(
        "{}/repos/acme/widgets/contents/.github/probot.toml",
        hub.url()
    );
    let first = http
        .get(&url)
        .bearer_auth("ghp_alice")
        .send()
        .await
        .unwrap();
    let etag = first.headers()["etag"].clone();
    let remaining = first.headers()["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    let second = http
        .get(&url)
        .bearer_auth("ghp_alice")
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 304);
    assert_eq!(
        second.headers()["x-ratelimit-remaining"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap(),
        remaining
    );
    hub.control()
        .write_files(
            REPO,
            "alice",
            None,
            &[(".github/probot.toml", Some("[cc]\ntracking_issue = 2\n"))],
        )
        .await
        .unwrap();
    let third = http
        .get(&url)
        .bearer_auth("ghp_alice")
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), 200, "a changed file is served again");
}

#[tokio::test]
async fn injected_faults_answer_as_asked_then_stop() {
    let (hub, _) = start().await;
    let control = hub.control();
    control
        .fault(Fault {
            method: Some("POST".into()),
            path: "/repos/*/issues/*/labels".into(),
            times: 2,
            status: Some(502),
            ..Fault::default()
        })
        .await
        .unwrap();
    control
        .fault(Fault {
            path: "/repos/acme/widgets/issues/1".into(),
            status: Some(403),
            retry_after: Some(7),
            message: Some("You have exceeded a secondary rate limit".into()),
            ..Fault::default()
        })
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let add = || {
        http.post(format!("{}/repos/acme/widgets/issues/1/labels", hub.url()))
            .bearer_auth("ghp_alice")
            .json(&serde_json::json!({"labels": ["x"]}))
            .send()
    };
    assert_eq!(add().await.unwrap().status(), 502);
    assert_eq!(add().await.unwrap().status(), 502);
    assert_eq!(add().await.unwrap().status(), 200);
    let limited = http
        .get(format!("{}/repos/acme/widgets/issues/1", hub.url()))
        .bearer_auth("ghp_alice")
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 403);
    assert_eq!(limited.headers()["retry-after"], "7");

    control
        .fault(Fault {
            path: "/rate_limit".into(),
            drop_connection: true,
            ..Fault::default()
        })
        .await
        .unwrap();
    let dropped = http
        .get(format!("{}/rate_limit", hub.url()))
        .bearer_auth("ghp_alice")
        .send()
        .await;
    let failed = match dropped {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the connection should drop");

    control
        .fault(Fault {
            path: "/rate_limit".into(),
            latency_ms: Some(300),
            ..Fault::default()
        })
        .await
        .unwrap();
    let started = std::time::Instant::now();
    http.get(format!("{}/rate_limit", hub.url()))
        .bearer_auth("ghp_alice")
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    let log = control.requests().await.unwrap();
    assert!(
        log.iter().all(|r| r.token == "user:alice"),
        "the log names who, never the token"
    );
    assert_eq!(log.iter().filter(|r| r.status == 502).count(), 2);
}

#[tokio::test]
async fn enforced_rate_limits_stop_bursts_of_writes() {
    let (hub, _) = start().await;
    hub.control().enforce_rate_limits(true).await.unwrap();
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..85 {
        let response = http
            .post(format!(
                "{}/repos/acme/widgets/issues/1/comments",
                hub.url()
            ))
            .bearer_auth("ghp_alice")
            .json(&serde_json::json!({"body": format!("comment {i}")}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 403 {
            assert_eq!(response.headers()["retry-after"], "60");
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 80);
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 5);
}

#[tokio::test]
async fn concurrent_writes_all_land() {
    let (hub, receiver) = start().await;
    let gh = as_alice(&hub);
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let gh = gh.clone();
            tokio::spawn(async move {
                gh.issues("acme", "widgets")
                    .add_labels(1, &[format!("label-{i}")])
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("label added");
    }
    hub.settle().await;
    let issue = hub.control().issue(REPO, 1).await.unwrap();
    assert_eq!(issue.labels.len(), 40);
    assert_eq!(
        receiver.events().len(),
        40,
        "one webhook per label, none lost"
    );
}

#[tokio::test]
async fn control_actions_return_after_their_webhooks_are_answered() {
    let (hub, receiver) = start().await;
    let control = hub.control();
    let number = control
        .open_issue(
            REPO,
            NewItem {
                title: "New".into(),
                author: "carol".into(),
                labels: vec!["bug".into()],
                ..NewItem::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        receiver
            .events()
            .iter()
            .map(|(e, p)| format!("{e}.{}", p["action"].as_str().unwrap()))
            .collect::<Vec<_>>(),
        ["issues.opened", "issues.labeled"]
    );
    control
        .edit_body(REPO, number, "carol", "new body")
        .await
        .unwrap();
    let (_, edited) = receiver.events().pop().unwrap();
    assert_eq!(edited["action"], "edited");
    assert_eq!(edited["changes"]["body"]["from"], "");
    let pr = control
        .open_pull(
            REPO,
            NewItem {
                title: "PR".into(),
                author: "bob".into(),
                ..NewItem::default()
            },
            NewPull {
                files: vec!["src/a.rs".into()],
                ..NewPull::default()
            },
        )
        .await
        .unwrap();
    let before = control
        .issue(REPO, pr)
        .await
        .unwrap()
        .pull
        .unwrap()
        .head_sha;
    let after = control.push(REPO, pr, "bob", &["src/b.rs"]).await.unwrap();
    let (event, sync) = receiver.events().pop().unwrap();
    assert_eq!(
        (event.as_str(), sync["action"].as_str()),
        ("pull_request", Some("synchronize"))
    );
    assert_eq!(
        (
            sync["before"].as_str().unwrap(),
            sync["after"].as_str().unwrap()
        ),
        (before.as_str(), after.as_str())
    );
    assert_shape(
        &sync,
        &fixture("webhooks/pull_request.synchronize.1.json"),
        &[],
    );
    control.merge(REPO, pr, "alice").await.unwrap();
    let merged = control.issue(REPO, pr).await.unwrap();
    assert!(!merged.open && merged.pull.unwrap().merged);
    let deliveries = control.deliveries().await.unwrap();
    assert!(deliveries.iter().all(|d| d.status_code == 200));
    assert_eq!(deliveries.len(), receiver.events().len());
}

#[tokio::test]
async fn failed_deliveries_can_be_listed_and_redelivered_with_the_same_guid() {
    let (hub, receiver) = start().await;
    hub.add_hook(Hook {
        url: "http://127.0.0.1:9/unreachable".into(),
        secret: SECRET.into(),
        idle_url: None,
    });
    hub.control()
        .label(REPO, 1, "alice", &["bug"])
        .await
        .unwrap();
    let key = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/app-private-key.pem"),
    )
    .unwrap();
    let app = Octocrab::builder()
        .base_uri(hub.url())
        .unwrap()
        .app(
            AppId(42),
            jsonwebtoken::EncodingKey::from_rsa_pem(&key).unwrap(),
        )
        .build()
        .unwrap();
    let deliveries: Vec<Value> = app
        .get("/app/hook/deliveries", None::<&()>)
        .await
        .expect("deliveries");
    assert_eq!(deliveries.len(), 2);
    let failed = deliveries
        .iter()
        .find(|d| d["status_code"] == 0)
        .expect("a failed delivery");
    let ok = deliveries
        .iter()
        .find(|d| d["status_code"] == 200)
        .expect("a good delivery");
    let _: Value = app
        .post(
            format!("/app/hook/deliveries/{}/attempts", ok["id"]),
            None::<&()>,
        )
        .await
        .expect("redeliver");
    hub.settle().await;
    let after: Vec<Value> = app.get("/app/hook/deliveries", None::<&()>).await.unwrap();
    assert_eq!(after.len(), 3);
    assert_eq!(after[0]["guid"], ok["guid"]);
    assert_eq!(after[0]["redelivery"], true);
    assert_eq!(receiver.events().len(), 2);
    assert_ne!(failed["guid"], ok["guid"]);
}

#[tokio::test]
async fn reset_returns_to_the_seed() {
    let (hub, _) = start().await;
    let control = hub.control();
    control.label(REPO, 1, "alice", &["x"]).await.unwrap();
    control.reset().await.unwrap();
    assert!(control.issue(REPO, 1).await.unwrap().labels.is_empty());
    assert!(control.requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn installing_the_app_sends_installation_created_and_grants_access() {
    let (hub, receiver) = start().await;
    let control = hub.control();
    control
        .install("alice", 8, "other", &["other/private"])
        .await
        .unwrap();
    let (event, payload) = receiver.events().pop().unwrap();
    assert_eq!(event, "installation");
    assert_eq!(payload["action"], "created");
    assert_eq!(payload["repositories"][0]["full_name"], "other/private");
    assert_shape(
        &payload,
        &fixture("webhooks/installation.created.1.json"),
        &[],
    );
    let key = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/app-private-key.pem"),
    )
    .unwrap();
    let app = Octocrab::builder()
        .base_uri(hub.url())
        .unwrap()
        .app(
            AppId(42),
            jsonwebtoken::EncodingKey::from_rsa_pem(&key).unwrap(),
        )
        .build()
        .unwrap();
    let (installation, _) = app.installation_and_token(InstallationId(8)).await.unwrap();
    installation
        .repos("other", "private")
        .get()
        .await
        .expect("the new installation sees its repository");
}

#[tokio::test]
async fn the_request_log_counts_by_method_and_path() {
    let (hub, _) = start().await;
    let gh = as_alice(&hub);
    for _ in 0..3 {
        gh.issues("acme", "widgets").get(1).await.unwrap();
    }
    gh.issues("acme", "widgets")
        .add_labels(1, &["x".into()])
        .await
        .unwrap();
    let counts = hub.control().request_counts().await.unwrap();
    assert_eq!(counts.get("GET /repos/acme/widgets/issues/1"), Some(&3));
    assert_eq!(
        counts.get("POST /repos/acme/widgets/issues/1/labels"),
        Some(&1)
    );
}

/// The endpoints not exercised above, through octocrab's own models.
#[tokio::test]
async fn octocrab_reads_labels_runs_permissions_installations_and_rate_limits() {
    let (hub, _) = start().await;
    let gh = as_alice(&hub);
    let issues = gh.issues("acme", "widgets");
    issues
        .create_label("module: docs", "0e8a16", "Documentation")
        .await
        .expect("create a label");
    let labels = issues
        .list_labels_for_repo()
        .send()
        .await
        .expect("list labels");
    assert!(labels.items.iter().any(|l| l.name == "module: docs"));

    // Not octocrab's typed permission call: its model expects `push`/`pull`
    // where GitHub (and its published example) answer `write`/`read`.

    gh.actions()
        .create_workflow_dispatch("acme", "widgets", "trunk.yml", "main")
        .send()
        .await
        .expect("dispatch");
    let runs = gh
        .workflows("acme", "widgets")
        .list_all_runs()
        .event("workflow_dispatch")
        .send()
        .await
        .expect("runs");
    assert_eq!(runs.items.len(), 1);
    assert_eq!(runs.items[0].event, "workflow_dispatch");

    let rate = gh.ratelimit().get().await.expect("rate limit");
    assert_eq!(rate.resources.core.limit, 5000);
    assert!(rate.resources.core.used >= 4);

    let key = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/app-private-key.pem"),
    )
    .unwrap();
    let app = Octocrab::builder()
        .base_uri(hub.url())
        .unwrap()
        .app(
            AppId(42),
            jsonwebtoken::EncodingKey::from_rsa_pem(&key).unwrap(),
        )
        .build()
        .unwrap();
    let installations = app
        .apps()
        .installations()
        .send()
        .await
        .expect("installations");
    assert_eq!(installations.items[0].id, InstallationId(7));
    let installation = app
        .apps()
        .get_repository_installation("acme", "widgets")
        .await
        .expect("repository installation");
    assert_eq!(installation.id, InstallationId(7));
    let me = app.current().app().await.expect("the app");
    assert_eq!(me.slug.as_deref(), Some("probot"));
}

#[tokio::test]
async fn labels_created_and_workflows_dispatched_send_their_webhooks() {
    let (hub, receiver) = start().await;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/repos/acme/widgets/labels", hub.url()))
        .bearer_auth("ghp_alice")
        .json(&serde_json::json!({"name": "needs repro", "color": "fbca04"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let dispatched = http
        .post(format!(
            "{}/repos/acme/widgets/actions/workflows/trunk.yml/dispatches",
            hub.url()
        ))
        .bearer_auth("ghp_alice")
        .json(&serde_json::json!({"ref": "main"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dispatched.status(), 204);
    hub.settle().await;
    let events = receiver.events();
    let (_, label) = events
        .iter()
        .find(|(e, _)| e == "label")
        .expect("label event");
    assert_eq!(label["action"], "created");
    assert_eq!(label["label"]["name"], "needs repro");
    let renamed = http
        .patch(format!("{}/repos/acme/widgets/labels/bug", hub.url()))
        .bearer_auth("ghp_alice")
        .json(&serde_json::json!({"new_name": "defect"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let control = hub.control();
    assert_eq!(
        control.issue(REPO, 2).await.unwrap().labels,
        ["defect"],
        "items follow a rename"
    );
    let deleted = http
        .delete(format!("{}/repos/acme/widgets/labels/defect", hub.url()))
        .bearer_auth("ghp_alice")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(control.issue(REPO, 2).await.unwrap().labels.is_empty());
    hub.settle().await;
    let actions: Vec<String> = receiver
        .events()
        .iter()
        .filter(|(e, _)| e == "label")
        .map(|(_, p)| p["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["created", "edited", "deleted"]);
    let (_, run) = events
        .iter()
        .find(|(e, _)| e == "workflow_run")
        .expect("workflow_run event");
    assert_eq!(run["action"], "requested");
    assert_eq!(run["workflow_run"]["event"], "workflow_dispatch");
    assert_eq!(run["workflow"]["path"], ".github/workflows/trunk.yml");
}

#[tokio::test]
async fn fields_github_fills_are_filled() {
    let (hub, receiver) = start().await;
    let installation = as_app_installation(&hub).await;
    installation
        .issues("acme", "widgets")
        .create_comment(1, "On it.")
        .await
        .expect("comment as the app");
    let control = hub.control();
    control.set_state(REPO, 1, "alice", "closed").await.unwrap();
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        async move {
            http.get(path)
                .bearer_auth("ghp_alice")
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let issue = get(format!("{}/repos/acme/widgets/issues/1", hub.url())).await;
    assert_eq!(issue["state_reason"], "completed");
    assert_eq!(issue["closed_by"]["login"], "alice");
    assert_eq!(issue["reactions"]["total_count"], 0);
    let pull = get(format!("{}/repos/acme/widgets/pulls/2", hub.url())).await;
    for issue_only in [
        "closed_by",
        "state_reason",
        "repository_url",
        "labels_url",
        "reactions",
    ] {
        assert!(
            pull.get(issue_only).is_none(),
            "{issue_only} on a pull request"
        );
    }
    let repo = get(format!("{}/repos/acme/widgets", hub.url())).await;
    assert_eq!(repo["permissions"]["admin"], true);
    assert_eq!(repo["custom_properties"], serde_json::json!({}));
    hub.settle().await;
    let (_, commented) = receiver
        .events()
        .into_iter()
        .find(|(e, _)| e == "issue_comment")
        .expect("issue_comment");
    let bot = &commented["comment"]["user"];
    assert_eq!(bot["login"], "probot[bot]");
    assert!(
        bot["url"]
            .as_str()
            .unwrap()
            .ends_with("/users/probot%5Bbot%5D"),
        "{bot}"
    );
    assert!(commented["comment"]["reactions"].is_object());
}

#[tokio::test]
async fn graphql_reads_an_issue_adds_labels_and_edits_a_body_with_webhooks() {
    let (hub, receiver) = start().await;
    let http = reqwest::Client::new();
    let ask = |path: &'static str, body: Value| {
        let (http, url) = (http.clone(), format!("{}{path}", hub.url()));
        async move {
            http.post(url)
                .bearer_auth("ghp_alice")
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let read = ask(
        "/graphql",
        serde_json::json!({
            "query": "query($n: Int!) { repository(owner: \"acme\", name: \"widgets\") { issue(number: $n) { id title state author { login } labels(first: 10) { totalCount nodes { name } } } } }",
            "variables": {"n": 1},
        }),
    )
    .await;
    let issue = &read["data"]["repository"]["issue"];
    assert_eq!(issue["title"], "Subscriptions", "{read}");
    assert_eq!(issue["state"], "OPEN");
    assert_eq!(issue["author"]["login"], "alice");
    let issue_id = issue["id"].as_str().unwrap().to_owned();

    let labels: Value = http
        .get(format!("{}/repos/acme/widgets/labels/bug", hub.url()))
        .bearer_auth("ghp_alice")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let added = ask(
        "/api/graphql",
        serde_json::json!({
            "query": "mutation($id: ID!, $labels: [ID!]!) { addLabelsToLabelable(input: {labelableId: $id, labelIds: $labels}) { labelable: labelable { labels(first: 5) { nodes { name } } } } }",
            "variables": {"id": issue_id, "labels": [labels["node_id"]]},
        }),
    )
    .await;
    assert_eq!(
        added["data"]["addLabelsToLabelable"]["labelable"]["labels"]["nodes"][0]["name"], "bug",
        "{added}"
    );
    let edited = ask(
        "/graphql",
        serde_json::json!({"query": format!("mutation {{ updateIssue(input: {{id: \"{issue_id}\", body: \"new body\"}}) {{ issue {{ body }} }} }}")}),
    )
    .await;
    assert_eq!(
        edited["data"]["updateIssue"]["issue"]["body"], "new body",
        "{edited}"
    );
    hub.settle().await;
    let kinds: Vec<String> = receiver
        .events()
        .iter()
        .map(|(e, p)| format!("{e}.{}", p["action"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(kinds, ["issues.labeled", "issues.edited"]);

    let refused = ask("/graphql", serde_json::json!({"query": "{ repository(owner: \"acme\", name: \"widgets\") { stargazerCount } }"})).await;
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("stargazerCount"), "{refused}");
    assert_eq!(
        refused["errors"][0]["path"],
        serde_json::json!(["repository", "stargazerCount"])
    );
}

/// A client following `Link: rel="next"` gets the next page of the same
/// query: every filter stays on every page, as on GitHub.
#[tokio::test]
async fn link_headers_keep_every_filter_of_the_query() {
    let (hub, _) = start().await;
    let control = hub.control();
    for (n, author) in ["carol", "dave", "carol", "dave", "carol"]
        .iter()
        .enumerate()
    {
        let item = fakehub::client::NewItem {
            title: format!("issue {n}"),
            author: author.to_string(),
            ..Default::default()
        };
        control.open_issue("acme/widgets", item).await.unwrap();
    }
    let http = reqwest::Client::new();
    let mut next = Some(format!(
        "{}/repos/acme/widgets/issues?creator=carol&state=all&sort=created&direction=asc&per_page=1",
        hub.url()
    ));
    let mut seen = Vec::new();
    while let Some(url) = next.take() {
        let page = http
            .get(&url)
            .bearer_auth("ghp_alice")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{url}");
        next = page
            .headers()
            .get("link")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| l.split(", ").find(|p| p.ends_with("rel=\"next\"")))
            .map(|p| {
                p.split(';')
                    .next()
                    .unwrap()
                    .trim_matches(['<', '>'])
                    .to_owned()
            });
        if let Some(next) = &next {
            assert!(
                next.contains("creator=carol") && next.contains("direction=asc"),
                "{next}"
            );
        }
        let items: Vec<serde_json::Value> = page.json().await.unwrap();
        seen.extend(
            items
                .into_iter()
                .map(|i| i["user"]["login"].as_str().unwrap().to_owned()),
        );
        assert!(seen.len() <= 10, "the pages never end");
    }
    assert_eq!(seen, ["carol", "carol", "carol"]);
}

#[tokio::test]
async fn searches_have_their_own_limit_of_thirty_a_minute() {
    let (hub, _) = start().await;
    hub.control().enforce_rate_limits(true).await.unwrap();
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..32 {
        let response = http
            .get(format!(
                "{}/search/issues?q=repo:acme/widgets+is:open",
                hub.url()
            ))
            .bearer_auth("ghp_alice")
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 403 {
            assert_eq!(response.headers()["x-ratelimit-resource"], "search");
            assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
            assert!(response.headers().contains_key("x-ratelimit-reset"));
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 30);
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 2);
    // Other reads are not searches.
    let issue = http
        .get(format!("{}/repos/acme/widgets/issues/1", hub.url()))
        .bearer_auth("ghp_alice")
        .send()
        .await
        .unwrap();
    assert_eq!(issue.status(), 200);
}
