//! A first run with no App: `probot serve` without credentials serves one
//! page, and nothing else, that registers a GitHub App through GitHub's
//! App manifest flow. The manifest is `deploy/app.yml` (the permissions
//! and events the bot uses), with the webhook and redirect URLs of this
//! server. GitHub (or GitHub Enterprise, or fakehub) creates the App after
//! one click and sends the person back with a code; the server trades it
//! for the App's id, key and webhook secret, writes them to a file only
//! its user can read, and the caller starts serving with them.
//!
//! The `state` sent out and checked on the way back is random per process,
//! so a code can only come back through the page this process served.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;

/// The App's manifest, as kept for people who create the App by hand.
const APP_MANIFEST: &str = include_str!("../deploy/app.yml");

/// Where the person comes back to with the code.
pub const CALLBACK_PATH: &str = "/setup/done";

/// What went wrong while registering the App.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the credentials file {path}: {error}")]
    File {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("the credentials file {path} is not readable as credentials: {error}")]
    Format { path: PathBuf, error: String },
    #[error("GitHub would not trade the code for the App: {0}")]
    Conversion(String),
    #[error("no randomness for the state: {0}")]
    Random(std::io::Error),
}

/// A registered App: what the bot needs to act as it. The key and the
/// secret are never logged or printed.
#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub app_id: u64,
    pub slug: String,
    pub webhook_secret: String,
    pub private_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("app_id", &self.app_id)
            .field("slug", &self.slug)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The credentials kept at `path`; `None` when there is no such file.
    pub fn load(path: &Path) -> Result<Option<Credentials>, SetupError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(SetupError::File {
                    path: path.to_owned(),
                    error,
                })
            }
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|error| SetupError::Format {
                path: path.to_owned(),
                error: error.to_string(),
            })
    }

    /// Writes them to `path`, readable by this user only (0600).
    pub fn save(&self, path: &Path) -> Result<(), SetupError> {
        use std::io::Write;
        let failed = |error| SetupError::File {
            path: path.to_owned(),
            error,
        };
        let text = format!(
            "# The GitHub App probot registered through its setup page.\n# Keep it secret: it holds the App's private key.\n{}",
            toml::to_string(self).map_err(|e| SetupError::Format {
                path: path.to_owned(),
                error: e.to_string(),
            })?
        );
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(failed)?;
        file.write_all(text.as_bytes()).map_err(failed)?;
        Ok(())
    }
}

/// GitHub's web address for an API address: github.com for
/// api.github.com, the host for GitHub Enterprise's `/api/v3`, and the
/// same address otherwise (fakehub serves both).
pub fn web_url(api_url: &str) -> String {
    let api = api_url.trim_end_matches('/');
    if api == "https://api.github.com" {
        return "https://github.com".to_owned();
    }
    api.strip_suffix("/api/v3").unwrap_or(api).to_owned()
}

/// The manifest for a server at `public_url`.
pub fn manifest(public_url: &str, webhook_path: &str) -> Value {
    // The file is part of the build, and a test reads it the same way.
    let mut manifest: Value = serde_yaml::from_str(APP_MANIFEST).unwrap_or_default();
    let public = public_url.trim_end_matches('/');
    manifest["url"] = Value::String(public.to_owned());
    manifest["hook_attributes"] = serde_json::json!({
        "url": format!("{public}{webhook_path}"),
        "active": true,
    });
    manifest["redirect_url"] = Value::String(format!("{public}{CALLBACK_PATH}"));
    manifest
}

/// The setup server's state.
pub struct Setup {
    pub api_url: String,
    /// This server as GitHub reaches it; the request's own host when `None`.
    pub public_url: Option<String>,
    pub webhook_path: String,
    pub credentials: PathBuf,
    state: String,
    done: Mutex<Option<oneshot::Sender<Credentials>>>,
}

impl Setup {
    /// A setup server, and where its credentials arrive.
    pub fn new(
        api_url: String,
        public_url: Option<String>,
        webhook_path: String,
        credentials: PathBuf,
    ) -> Result<(Arc<Setup>, oneshot::Receiver<Credentials>), SetupError> {
        let mut random = [0u8; 16];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut random))
            .map_err(SetupError::Random)?;
        let (sender, receiver) = oneshot::channel();
        let setup = Setup {
            api_url,
            public_url,
            webhook_path,
            credentials,
            state: hex::encode(random),
            done: Mutex::new(Some(sender)),
        };
        Ok((Arc::new(setup), receiver))
    }

    /// The routes: the page, and the way back. Nothing else.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/", get(page))
            .route(CALLBACK_PATH, get(callback))
            .with_state(Arc::clone(self))
    }

    fn public_url(&self, headers: &HeaderMap) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("127.0.0.1:3000");
                format!("http://{host}")
            }
        }
    }
}

#[derive(Deserialize)]
struct PageQuery {
    /// Register the App for this organization rather than the person.
    org: Option<String>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether `name` can be an organization's login.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 39
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

async fn page(
    State(setup): State<Arc<Setup>>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let web = web_url(&setup.api_url);
    let org = query.org.filter(|o| plain(o));
    let action = match &org {
        Some(org) => format!(
            "{web}/organizations/{org}/settings/apps/new?state={}",
            setup.state
        ),
        None => format!("{web}/settings/apps/new?state={}", setup.state),
    };
    let manifest = manifest(&setup.public_url(&headers), &setup.webhook_path);
    let owner = org.as_deref().unwrap_or("your account");
    Html(format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Set up probot</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;line-height:1.5}}
button{{font-size:1.1em;padding:.5em 1.2em}}code{{background:#f4f4f4;padding:0 .2em}}</style></head>
<body>
<h1>Set up probot</h1>
<p>probot has no GitHub App yet. This registers one on <code>{web}</code> for <strong>{owner}</strong>,
with the permissions and events it needs, and webhooks sent to <code>{hook}</code>.</p>
<form id="register" method="post" action="{action}">
<input type="hidden" name="manifest" value="{manifest_json}">
<button type="submit" id="create-app">Create the GitHub App</button>
</form>
<form method="get" action="/">
<p>For an organization instead: <input name="org" placeholder="organization" value="{org_value}"> <button type="submit">Use it</button></p>
</form>
<p>The App's id, key and webhook secret go to <code>{file}</code> (readable by you only); then probot starts.</p>
</body></html>"#,
        web = escape(&web),
        owner = escape(owner),
        hook = escape(manifest["hook_attributes"]["url"].as_str().unwrap_or_default()),
        action = escape(&action),
        manifest_json = escape(&manifest.to_string()),
        org_value = escape(org.as_deref().unwrap_or_default()),
        file = escape(&setup.credentials.display().to_string()),
    ))
    .into_response()
}

#[derive(Deserialize)]
struct Back {
    code: String,
    state: String,
}

fn answer(status: StatusCode, text: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html><body><p>{}</p></body></html>",
            escape(text)
        )),
    )
        .into_response()
}

async fn callback(State(setup): State<Arc<Setup>>, Query(back): Query<Back>) -> Response {
    if back.state != setup.state {
        return answer(
            StatusCode::BAD_REQUEST,
            "This link did not come from this server's setup page.",
        );
    }
    let plain_code = back
        .code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if back.code.is_empty() || back.code.len() > 200 || !plain_code {
        return answer(StatusCode::BAD_REQUEST, "That is not a code GitHub sends.");
    }
    let credentials = match convert(&setup.api_url, &back.code).await {
        Ok(credentials) => credentials,
        Err(error) => {
            tracing::warn!(%error, "the App could not be set up");
            return answer(StatusCode::BAD_GATEWAY, &error.to_string());
        }
    };
    if let Err(error) = credentials.save(&setup.credentials) {
        tracing::error!(%error, "the App was created, but its credentials could not be written");
        return answer(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string());
    }
    tracing::info!(
        app_id = credentials.app_id,
        slug = %credentials.slug,
        file = %setup.credentials.display(),
        "registered the GitHub App and wrote its id, key and webhook secret"
    );
    let sender = setup.done.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(sender) = sender {
        let _ = sender.send(credentials.clone());
    }
    answer(
        StatusCode::OK,
        &format!(
            "The GitHub App {} (id {}) is registered, and probot is starting. Install it on your repositories from its page on GitHub.",
            credentials.slug, credentials.app_id
        ),
    )
}

/// `POST /app-manifests/{code}/conversions`, which needs no authentication.
async fn convert(api_url: &str, code: &str) -> Result<Credentials, SetupError> {
    #[derive(Deserialize)]
    struct Converted {
        id: u64,
        slug: String,
        webhook_secret: Option<String>,
        pem: String,
    }
    let failed = |e: String| SetupError::Conversion(e);
    let client = octocrab::Octocrab::builder()
        .base_uri(api_url.trim_end_matches('/'))
        .map_err(|e| failed(e.to_string()))?
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let converted: Converted = client
        .post(format!("/app-manifests/{code}/conversions"), None::<&()>)
        .await
        .map_err(|e| failed(e.to_string()))?;
    Ok(Credentials {
        app_id: converted.id,
        slug: converted.slug,
        webhook_secret: converted
            .webhook_secret
            .ok_or_else(|| failed("GitHub sent no webhook secret".into()))?,
        private_key: converted.pem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_is_the_deployed_one_with_this_servers_urls() {
        let manifest = manifest("https://bot.example.org/", "/webhook");
        assert_eq!(manifest["name"], "probot");
        assert_eq!(
            manifest["hook_attributes"]["url"],
            "https://bot.example.org/webhook"
        );
        assert_eq!(
            manifest["redirect_url"],
            "https://bot.example.org/setup/done"
        );
        assert_eq!(manifest["default_permissions"]["issues"], "write");
        assert!(manifest["default_events"]
            .as_array()
            .unwrap()
            .contains(&Value::from("pull_request")));
    }

    #[test]
    fn githubs_web_address_follows_the_api_address() {
        assert_eq!(web_url("https://api.github.com"), "https://github.com");
        assert_eq!(
            web_url("https://ghe.example.org/api/v3/"),
            "https://ghe.example.org"
        );
        assert_eq!(web_url("http://127.0.0.1:8000"), "http://127.0.0.1:8000");
    }

    #[test]
    fn credentials_are_written_for_their_owner_only_and_never_debug_printed() {
        let path = std::env::temp_dir().join(format!("probot-creds-{}.toml", std::process::id()));
        let credentials = Credentials {
            app_id: 7,
            slug: "probot".into(),
            webhook_secret: "s3cret".into(),
            private_key: "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n"
                .into(),
        };
        credentials.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let loaded = Credentials::load(&path).unwrap().unwrap();
        assert_eq!(loaded.private_key, credentials.private_key);
        assert!(!format!("{credentials:?}").contains("s3cret"));
        assert!(!format!("{credentials:?}").contains("PRIVATE"));
        std::fs::remove_file(&path).unwrap();
        assert!(Credentials::load(&path).unwrap().is_none());
    }
}
