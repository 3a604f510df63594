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

#[tokio::test]
async fn the_setup_page_registers_an_app_that_then_handles_webhooks() {
    let hub = FakeHub::start(seed(), Options::default()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("probot-setup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let credentials = dir.join("probot-app.toml");
    let _ = std::fs::remove_file(&credentials);
    let port = free_port();
    let bot_url = format!("http://127.0.0.1:{port}");
    let mut bot = tokio::process::Command::new(env!("CARGO_BIN_EXE_probot"))
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
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // The setup page, and nothing else, until there is an App.
    let started = Instant::now();
    let page = loop {
        match http.get(format!("{bot_url}/")).send().await {
            Ok(answer) => break answer.text().await.unwrap(),
            Err(_) if started.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(error) => panic!("the setup page never answered: {error}"),
        }
    };
    let webhook = http
        .post(format!("{bot_url}/webhook"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status(), 404, "nothing but the page is served");

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
    let labels = loop {
        // The bot may still be starting its server: open again until a
        // delivery of the App is handled.
        let number = control
            .open_issue("acme/widgets", item.clone())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let labels = control.issue("acme/widgets", number).await.unwrap().labels;
        if labels.len() > 1 || started.elapsed() > Duration::from_secs(20) {
            break labels;
        }
    };
    assert_eq!(labels, ["high priority", "triage review"]);

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
