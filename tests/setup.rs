//! From zero to running: `probot serve` with no App serves its setup page,
//! which registers a GitHub App through GitHub's manifest flow (fakehub's,
//! as GitHub runs it), writes the App's credentials for its user only,
//! prints no secret, and starts serving as the new App: a webhook of the
//! App, once installed, is handled.

use std::process::Stdio;
use std::time::{Duration, Instant};

use fakehub::{FakeHub, Options, Seed};

const RULES: &str = "[[labels.implies]]\nwhen = [\"high priority\"]\nadd = [\"triage review\"]\n";

fn seed() -> Seed {
    Seed::from_toml(
        &format!(
            r#"
[[repos]]
name = "acme/widgets"
collaborators = {{ maintainer = "admin" }}
files = {{ ".github/probot.toml" = '''{RULES}''' }}
"#
        ),
        None,
    )
    .expect("test seed")
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of `attribute` in the first tag that has it after `from`.
fn attribute<'a>(html: &'a str, from: &str, attribute: &str) -> &'a str {
    let start = html
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in {html}"));
    let rest = &html[start..];
    let key = format!("{attribute}=\"");
    let at = rest
        .find(&key)
        .unwrap_or_else(|| panic!("no {attribute} after {from}"))
        + key.len();
    let end = rest[at..].find('"').expect("a closing quote");
    &rest[at..at + end]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// fakehub with no App, and `probot serve` with no credentials, on a free
/// port: its address and where its credentials go.
async fn no_app_yet() -> (FakeHub, tokio::process::Child, String, std::path::PathBuf) {
    let hub = FakeHub::start(seed(), Options::default()).await.unwrap();
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("probot-setup-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let credentials = dir.join("probot-app.toml");
    let _ = std::fs::remove_file(&credentials);
    let bot_url = format!("http://127.0.0.1:{port}");
    let bot = tokio::process::Command::new(env!("CARGO_BIN_EXE_probot"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--github-api-url", hub.url()])
        .arg("--credentials")
        .arg(&credentials)
        .env_remove("PROBOT_TOKEN")
        .env_remove("PROBOT_APP_ID")
        .env_remove("PROBOT_WEBHOOK_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while reqwest::get(format!("{bot_url}/")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the setup page never answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (hub, bot, bot_url, credentials)
}

/// Installs the App on acme/widgets and labels an issue there: the labels
/// the App's bot leaves.
async fn installed_and_labelled(hub: &FakeHub) -> Vec<String> {
    let control = hub.control();
    control
        .install("maintainer", 9, "acme", &["acme/widgets"])
        .await
        .unwrap();
    let item = fakehub::client::NewItem {
        title: "It broke".into(),
        author: "reporter".into(),
        labels: vec!["high priority".into()],
        ..Default::default()
    };
    let started = Instant::now();
    loop {
        // The bot may still be starting its server: open again until a
        // delivery of the App is handled.
        let number = control
            .open_issue("acme/widgets", item.clone())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let labels = control.issue("acme/widgets", number).await.unwrap().labels;
        if labels.len() > 1 || started.elapsed() > Duration::from_secs(20) {
            return labels;
        }
    }
}

#[tokio::test]
async fn the_setup_page_registers_an_app_that_then_handles_webhooks() {
    let (hub, bot, bot_url, credentials) = no_app_yet().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // The setup page, and nothing else, until there is an App.
    let page = http
        .get(format!("{bot_url}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let webhook = http
        .post(format!("{bot_url}/webhook"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status(), 404, "nothing but the page is served");

    // An organization's App: the same manifest, to the organization's page.
    let for_org = http
        .get(format!("{bot_url}/?org=acme"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let org_action = unescape(attribute(&for_org, "id=\"register\"", "action"));
    assert!(
        org_action.starts_with(&format!(
            "{}/organizations/acme/settings/apps/new?state=",
            hub.url()
        )),
        "{org_action}"
    );

    // The person clicks: the manifest goes to GitHub…
    let action = unescape(attribute(&page, "id=\"register\"", "action"));
    assert!(
        action.starts_with(&format!("{}/settings/apps/new?state=", hub.url())),
        "{action}"
    );
    let manifest = unescape(attribute(&page, "id=\"register\"", "value"));
    let parsed: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(
        parsed["hook_attributes"]["url"],
        format!("{bot_url}/webhook")
    );
    let form = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).unwrap();
    let review = http
        .post(&action)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("manifest", &manifest)]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // …which shows the App, and creates it on the click.
    let fields: Vec<String> = ["manifest", "state", "owner"]
        .iter()
        .map(|name| unescape(attribute(&review, &format!("name=\"{name}\""), "value")))
        .collect();
    let created = http
        .post(format!("{}/settings/apps/new/create", hub.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("manifest", &fields[0]),
            ("state", &fields[1]),
            ("owner", &fields[2]),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 302);
    let back = created.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&format!("{bot_url}/setup/done?code=")),
        "{back}"
    );
    // A code that did not come through this server's page is refused.
    let forged = back.replace("state=", "state=x");
    assert_eq!(http.get(&forged).send().await.unwrap().status(), 400);
    let done = http.get(&back).send().await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("is registered"));

    // The code works once.
    let code = back
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let again = http
        .post(format!("{}/app-manifests/{code}/conversions", hub.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);

    // Credentials for its user only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&credentials)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let saved = std::fs::read_to_string(&credentials).unwrap();
    assert!(saved.contains("BEGIN") && saved.contains("webhook_secret"));

    // Installed on a repository, the new App handles its webhooks.
    assert_eq!(
        installed_and_labelled(&hub).await,
        ["high priority", "triage review"]
    );
    assert_printed_no_secret(bot, &saved).await;
}

/// What the bot printed names the file, and neither the key nor the
/// webhook secret.
async fn assert_printed_no_secret(mut bot: tokio::process::Child, saved: &str) {
    let _ = bot.start_kill();
    let output = bot.wait_with_output().await.unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("wrote "), "{printed}");
    let secret = saved
        .lines()
        .find_map(|l| l.strip_prefix("webhook_secret = "))
        .unwrap()
        .trim_matches('"');
    assert!(!printed.contains(secret), "the webhook secret was printed");
    assert!(!printed.contains("PRIVATE KEY"), "the key was printed");
}

/// A W3C WebDriver session on Debian's chromedriver and headless Chromium.
struct Browser {
    http: reqwest::Client,
    session: String,
    _driver: tokio::process::Child,
}

impl Browser {
    async fn start() -> Browser {
        let port = free_port();
        let driver = tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; .ci/run installs it)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver never answered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let answer: serde_json::Value = http
            .post(format!("{base}/session"))
            .json(&serde_json::json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": "/usr/bin/chromium",
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=900,640"],
                },
            }}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {answer}"));
        Browser {
            http,
            session: format!("{base}/session/{session}"),
            _driver: driver,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let request = self.http.request(method, format!("{}{path}", self.session));
        let request = match body {
            serde_json::Value::Null => request,
            body => request.json(&body),
        };
        let answer: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
        answer["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.call(
            reqwest::Method::POST,
            "/url",
            serde_json::json!({"url": url}),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                serde_json::json!({"using": "css selector", "value": css}),
            )
            .await;
        let id = found["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap_or_else(|| panic!("no {css} on the page: {found}"));
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            serde_json::json!({}),
        )
        .await;
    }

    async fn text(&self) -> String {
        let body = self
            .call(reqwest::Method::GET, "/source", serde_json::Value::Null)
            .await;
        body.as_str().unwrap_or_default().to_owned()
    }

    /// The page's source once it says `text`: a click's navigation may
    /// still be loading when the click returns.
    async fn once_it_says(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let page = self.text().await;
            if page.contains(text) {
                return page;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the page never said {text:?}: {page}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let png = self
            .call(reqwest::Method::GET, "/screenshot", serde_json::Value::Null)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

#[tokio::test]
async fn a_person_registers_the_app_in_a_browser_with_two_clicks() {
    let from_zero = Instant::now();
    let (hub, bot, bot_url, credentials) = no_app_yet().await;
    let browser = Browser::start().await;
    browser.go(&format!("{bot_url}/")).await;
    browser.once_it_says("Set up probot").await;
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("setup-page.png");
    browser.screenshot(&shot).await;
    eprintln!("the setup page: {}", shot.display());
    assert!(std::fs::metadata(&shot).unwrap().len() > 1_000);

    browser.click("#create-app").await;
    browser.once_it_says("Create GitHub App for octocat").await;
    browser.click("#create").await;
    browser.once_it_says("is registered").await;

    let saved = std::fs::read_to_string(&credentials).unwrap();
    assert_eq!(
        installed_and_labelled(&hub).await,
        ["high priority", "triage review"]
    );
    // For the README: the machine's part of going from zero to running.
    eprintln!(
        "from `probot serve` to a handled webhook, through the setup page in a browser: {:?}",
        from_zero.elapsed()
    );
    assert_printed_no_secret(bot, &saved).await;
}
