//! The harness the end-to-end tests share: fakehub and the bot, started
//! in-process, and a user's verbs.

#![allow(dead_code)] // each test file uses its own part

use fakehub::client::{ItemState, NewItem, NewPull};
use fakehub::{Control, LoggedRequest, Seed};
use probot::harness::Local;

pub const REPO: &str = "acme/widgets";

/// `sha256=<hex>` of `body` under `secret`, as GitHub signs a delivery.
pub fn sign_with(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The same, under the secret the local bots use.
pub fn sign(body: &[u8]) -> String {
    sign_with(probot::harness::LOCAL_SECRET, body)
}

pub const TRACKING: &str = "Subscribe below.\n\n* high priority @ezyang @gchanan\n* triage review @alice\n* module: docs @svekars\n";

/// A seed with `acme/widgets`, its tracking issue (#1), the App, and `rules`
/// as its `.github/probot.toml` when given.
pub fn seed(rules: Option<&str>) -> Seed {
    seed_with(rules, "")
}

/// The same, with more TOML for the repository (collaborators, workflows).
pub fn seed_with(rules: Option<&str>, repo_extra: &str) -> Seed {
    let files = match rules {
        Some(rules) => format!("files = {{ \".github/probot.toml\" = '''{rules}''' }}"),
        None => String::new(),
    };
    let collaborators = if repo_extra.contains("collaborators") {
        ""
    } else {
        "collaborators = { maintainer = \"admin\" }"
    };
    Seed::from_toml(
        &format!(
            r#"
[app]
id = 77
slug = "probot"
installations = [{{ id = 5, account = "acme", repos = ["acme/widgets"] }}]

[[repos]]
name = "acme/widgets"
{collaborators}
{repo_extra}
{files}

[[repos.issues]]
title = "Label subscriptions"
author = "maintainer"
body = '''{TRACKING}'''
"#
        ),
        None,
    )
    .expect("test seed")
}

pub struct Tester {
    pub local: Local,
    pub hub: Control,
}

impl Tester {
    pub async fn with_rules(rules: &str) -> Tester {
        Tester::start(seed(Some(rules))).await
    }

    pub async fn start(seed: Seed) -> Tester {
        let local = Local::start(seed).await.expect("fakehub and the bot start");
        let hub = local.control();
        Tester { local, hub }
    }

    /// A bot that handles each delivery before answering it, as on Lambda.
    pub async fn inline(rules: &str) -> Tester {
        Tester::start_handling(seed(Some(rules)), probot::server::Handling::Inline).await
    }

    pub async fn start_handling(seed: Seed, handling: probot::server::Handling) -> Tester {
        let local = Local::start_handling(seed, fakehub::Options::default(), handling)
            .await
            .expect("fakehub and the bot start");
        let hub = local.control();
        Tester { local, hub }
    }

    pub async fn open_issue(&self, author: &str, body: &str, labels: &[&str]) -> u64 {
        let item = NewItem {
            title: "Something broke".into(),
            body: body.into(),
            author: author.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..NewItem::default()
        };
        self.hub.open_issue(REPO, item).await.expect("open issue")
    }

    pub async fn open_pull(&self, author: &str, files: &[&str]) -> u64 {
        let item = NewItem {
            title: "A change".into(),
            body: "Please review.".into(),
            author: author.into(),
            ..NewItem::default()
        };
        let pull = NewPull {
            files: files.iter().map(|f| f.to_string()).collect(),
            ..NewPull::default()
        };
        self.hub
            .open_pull(REPO, item, pull)
            .await
            .expect("open pull request")
    }

    pub async fn open_pull_from(&self, author: &str, fork: bool, labels: &[&str]) -> u64 {
        let item = NewItem {
            title: "A change".into(),
            body: "Please review.".into(),
            author: author.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..NewItem::default()
        };
        let pull = NewPull {
            files: vec!["src/lib.rs".into()],
            fork,
            ..NewPull::default()
        };
        self.hub
            .open_pull(REPO, item, pull)
            .await
            .expect("open pull request")
    }

    pub async fn label_as(&self, number: u64, actor: &str, label: &str) {
        self.hub
            .label(REPO, number, actor, &[label])
            .await
            .expect("label");
    }

    pub async fn unlabel(&self, number: u64, label: &str) {
        self.hub
            .unlabel(REPO, number, "maintainer", label)
            .await
            .expect("unlabel");
    }

    /// A new commit on the pull request, by `actor`; returns its sha.
    pub async fn push(&self, number: u64, actor: &str) -> String {
        self.hub
            .push(REPO, number, actor, &["src/more.rs"])
            .await
            .expect("push")
    }

    pub async fn head(&self, number: u64) -> String {
        self.item(number)
            .await
            .pull
            .expect("a pull request")
            .head_sha
    }

    /// Tags, as name -> sha, without `refs/tags/`.
    pub async fn tags(&self) -> std::collections::BTreeMap<String, String> {
        let refs = self.hub.refs(REPO).await.expect("refs");
        refs.into_iter()
            .filter_map(|(name, sha)| Some((name.strip_prefix("refs/tags/")?.to_owned(), sha)))
            .collect()
    }

    /// Posts `payload` to the first bot as a signed `event` delivery.
    pub async fn post_signed(&self, event: &str, payload: &serde_json::Value) -> reqwest::Response {
        let body = serde_json::to_vec(payload).expect("a JSON payload");
        reqwest::Client::new()
            .post(self.hook_of())
            .header("x-github-event", event)
            .header("x-hub-signature-256", sign(&body))
            .body(body)
            .send()
            .await
            .expect("the bot answers")
    }

    /// The first bot's webhook URL.
    pub fn hook_of(&self) -> String {
        Local::hook_url(&self.local.bots[0])
    }

    pub async fn label(&self, number: u64, label: &str) {
        self.hub
            .label(REPO, number, "maintainer", &[label])
            .await
            .expect("label");
    }

    /// `author` comments `body` on item `number`; returns the comment's id.
    pub async fn say(&self, number: u64, author: &str, body: &str) -> u64 {
        self.hub
            .comment(REPO, number, author, body)
            .await
            .expect("comment")
    }

    /// The bot's reactions to comment `id` on item `number`.
    pub async fn bot_reactions(&self, number: u64, id: u64) -> Vec<String> {
        let item = self.item(number).await;
        let comment = item
            .comments
            .iter()
            .find(|c| c.id == id)
            .expect("the comment");
        comment
            .reactions
            .iter()
            .filter(|r| r.user == "probot[bot]")
            .map(|r| r.content.clone())
            .collect()
    }

    /// The bot's comments on item `number`.
    pub async fn bot_replies(&self, number: u64) -> Vec<String> {
        self.item(number)
            .await
            .comments
            .into_iter()
            .filter(|c| c.author == "probot[bot]")
            .map(|c| c.body)
            .collect()
    }

    pub async fn item(&self, number: u64) -> ItemState {
        self.hub.issue(REPO, number).await.expect("read item")
    }

    /// The requests the bot made (anything with an installation token or
    /// the App's JWT).
    pub async fn bot_requests(&self) -> Vec<LoggedRequest> {
        let all = self.hub.requests().await.expect("request log");
        all.into_iter()
            .filter(|r| !r.token.starts_with("user:"))
            .collect()
    }

    /// How many reads the bot made of paths containing `part`.
    pub async fn reads(&self, part: &str) -> usize {
        self.bot_requests()
            .await
            .iter()
            .filter(|r| r.method == "GET" && r.path.contains(part))
            .count()
    }

    pub async fn bot_writes(&self) -> Vec<String> {
        self.bot_requests()
            .await
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.ends_with("/access_tokens"))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

pub fn labels(item: &ItemState) -> Vec<&str> {
    item.labels.iter().map(String::as_str).collect()
}
