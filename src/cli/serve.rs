//! `probot serve`: the bot as a long-running server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use probot::bot::Bot;
use probot::github::{Auth, GitHub, Policy};
use probot::recover;
use probot::server::{self, Handling, Intake, Service};
use probot::setup::{Credentials, Setup};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PROBOT_BIND", default_value = "127.0.0.1:3000")]
    bind: SocketAddr,
    /// Path GitHub posts webhooks to.
    #[arg(long, env = "PROBOT_WEBHOOK_PATH", default_value = "/webhook")]
    webhook_path: String,
    /// The webhook secret, taken whole (any character, commas included).
    /// Give the flag twice while rotating: the new secret and the old.
    #[arg(long, env = "PROBOT_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Vec<String>,
    /// The previous webhook secret, accepted too while rotating.
    #[arg(long, env = "PROBOT_WEBHOOK_SECRET_PREVIOUS", hide_env_values = true)]
    webhook_secret_previous: Option<String>,
    /// Accept unsigned webhooks. Local experiments only: anyone who can
    /// reach the port can then make the bot act.
    #[arg(long)]
    insecure_skip_signature: bool,
    #[command(flatten)]
    github: GitHubArgs,
    /// The bot's login, when it can't be asked of GitHub
    /// (`<app-slug>[bot]` for an App).
    #[arg(long, env = "PROBOT_BOT_LOGIN")]
    bot_login: Option<String>,
    /// `text` for people, `json` for log collectors.
    #[arg(long, env = "PROBOT_LOG_FORMAT", value_enum, default_value_t)]
    pub log_format: super::LogFormat,
    /// Deliveries waiting to be handled, at most; past that the bot
    /// answers 503 and GitHub records the delivery as failed.
    #[arg(long, env = "PROBOT_QUEUE_CAPACITY", default_value_t = 1_000)]
    queue_capacity: usize,
    /// Items handled at once.
    #[arg(long, env = "PROBOT_WORKERS", default_value_t = 8)]
    workers: usize,
    /// At start, handle again the deliveries of the last DURATION (`15m`,
    /// `2h`) that were answered 202 and may not have been finished: after
    /// a crash. Needs an App (it reads the App's deliveries).
    #[arg(long, env = "PROBOT_REPLAY_SINCE", value_parser = parse_age)]
    replay_since: Option<chrono::Duration>,
    #[command(flatten)]
    redis: RedisArgs,
    /// Every DURATION (`10m`), ask GitHub to redeliver the App's deliveries
    /// that failed since the last sweep (each once; 4xx left alone). Needs
    /// an App. With Redis, one replica sweeps each period.
    #[arg(long, env = "PROBOT_REDELIVER_EVERY", value_parser = parse_age)]
    redeliver_every: Option<chrono::Duration>,
    /// The App's id, key and webhook secret, as the setup page writes them.
    /// With neither an App nor a token given: used when the file exists,
    /// else the setup page (at `/`) registers an App and writes it.
    #[arg(long, env = "PROBOT_CREDENTIALS", default_value = "probot-app.toml")]
    credentials: PathBuf,
    /// This server's address as GitHub reaches it, for the App the setup
    /// page registers (its webhook URL); the page's own host by default.
    #[arg(long, env = "PROBOT_PUBLIC_URL")]
    public_url: Option<String>,
}

/// Replicas sharing one queue and one write budget through Redis.
#[derive(Args)]
pub struct RedisArgs {
    /// Redis (or Valkey) shared by the replicas: `redis://HOST:6379`.
    /// Without it the queue lives in this process, as for one replica.
    #[arg(long, env = "PROBOT_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Names every key: replicas with one prefix share a queue.
    #[arg(long, env = "PROBOT_REDIS_PREFIX", default_value = "probot")]
    redis_prefix: String,
    /// Seconds after which work held by a replica that stopped (killed,
    /// partitioned) is claimed by another.
    #[arg(long, env = "PROBOT_CLAIM_AFTER", default_value_t = 60)]
    claim_after: u64,
}

impl RedisArgs {
    /// Connects when a URL was given.
    pub async fn connect(&self) -> anyhow::Result<Option<probot::shared::Shared>> {
        let Some(url) = &self.redis_url else {
            return Ok(None);
        };
        if self.claim_after < 3 {
            bail!("--claim-after must be 3 seconds or more");
        }
        let settings = probot::shared::Settings {
            url: url.clone(),
            prefix: self.redis_prefix.clone(),
            claim_after: std::time::Duration::from_secs(self.claim_after),
        };
        let shared = probot::shared::Shared::connect(&settings)
            .await
            .context("can't reach Redis (--redis-url)")?;
        Ok(Some(shared))
    }
}

/// How to reach and authenticate to GitHub; shared by the commands that do.
#[derive(Args)]
pub struct GitHubArgs {
    /// GitHub's API: github.com by default; GitHub Enterprise
    /// (`https://HOST/api/v3`) or fakehub otherwise.
    #[arg(
        long,
        env = "PROBOT_GITHUB_API_URL",
        default_value = "https://api.github.com"
    )]
    pub github_api_url: String,
    /// The GitHub App's id (with a private key).
    #[arg(long, env = "PROBOT_APP_ID", requires = "key")]
    app_id: Option<u64>,
    /// The App's private key, a PEM file.
    #[arg(long, env = "PROBOT_PRIVATE_KEY_FILE", group = "key")]
    private_key_file: Option<PathBuf>,
    /// The App's private key, as PEM text.
    #[arg(
        long,
        env = "PROBOT_PRIVATE_KEY",
        hide_env_values = true,
        group = "key"
    )]
    private_key: Option<String>,
    /// A token instead of an App, for a single repository or an Action.
    #[arg(
        long,
        env = "PROBOT_TOKEN",
        hide_env_values = true,
        conflicts_with = "app_id"
    )]
    token: Option<String>,
}

impl GitHubArgs {
    fn auth(&self) -> anyhow::Result<Auth> {
        match (self.app_id, &self.token) {
            (Some(id), _) => {
                let private_key = match (&self.private_key_file, &self.private_key) {
                    (Some(path), _) => std::fs::read(path).with_context(|| {
                        format!("can't read the private key {}", path.display())
                    })?,
                    (None, Some(pem)) => pem.clone().into_bytes(),
                    (None, None) => bail!("--app-id needs --private-key-file or --private-key"),
                };
                Ok(Auth::App { id, private_key })
            }
            (None, Some(token)) => {
                // A header can't carry one; say so rather than fail later.
                if token.is_empty() || token.chars().any(|c| c.is_control() || c == ' ') {
                    bail!("the token is empty or contains a space, a newline or another control character");
                }
                Ok(Auth::Token(token.clone()))
            }
            (None, None) => {
                bail!("give an App (--app-id and --private-key-file) or a token (--token)")
            }
        }
    }

    /// The client these arguments describe.
    pub fn client(&self) -> anyhow::Result<GitHub> {
        Ok(GitHub::new(
            &self.github_api_url,
            &self.auth()?,
            Policy::default(),
        )?)
    }
}

/// The bot's service as these arguments configure it: `serve` queues,
/// `lambda` handles each delivery within its invocation.
pub async fn service(args: &ServeArgs, handling: Handling) -> anyhow::Result<(Service, String)> {
    let secrets = secrets(args)?;
    if secrets.is_empty() && !args.insecure_skip_signature {
        bail!("no webhook secret: set --webhook-secret (or PROBOT_WEBHOOK_SECRET), or pass --insecure-skip-signature for local use");
    }
    if args.insecure_skip_signature {
        tracing::warn!("INSECURE: webhook signatures are not checked; anyone who can reach the bot can make it act");
    }
    let client = args.github.client()?;
    let login = match &args.bot_login {
        Some(login) => login.clone(),
        None => client
            .whoami()
            .await
            .context("can't ask GitHub who the bot is (or pass --bot-login)")?,
    };
    let intake = Intake {
        path: args.webhook_path.clone(),
        secrets,
        insecure_skip_signature: args.insecure_skip_signature,
    };
    let bot = Bot::new(client, login.clone());
    let service = match args.redis.connect().await? {
        Some(shared) => {
            tracing::info!(consumer = %shared.consumer(), prefix = %args.redis.redis_prefix, claim_after_s = args.redis.claim_after, "sharing the queue and the write budget through Redis");
            server::replica(bot, intake, handling, shared)
        }
        None => server::service(bot, intake, handling),
    };
    Ok((service, login))
}

/// The secrets as given, each whole. A secret is a random string of any
/// characters; one with blank space at its ends is refused rather than
/// trimmed, since GitHub signs with exactly what was typed there.
fn secrets(args: &ServeArgs) -> anyhow::Result<Vec<String>> {
    let given = args
        .webhook_secret
        .iter()
        .chain(&args.webhook_secret_previous);
    let mut secrets = Vec::new();
    for secret in given {
        if secret.is_empty() {
            bail!("a webhook secret is empty");
        }
        if secret.trim() != secret {
            bail!("a webhook secret starts or ends with blank space (a newline from a file?); remove it, or set the secret in GitHub exactly so");
        }
        secrets.push(secret.clone());
    }
    Ok(secrets)
}

/// With neither an App nor a token: the App in the credentials file, or,
/// without one, the one the setup page registers.
async fn with_credentials(mut args: ServeArgs) -> anyhow::Result<Option<ServeArgs>> {
    if args.github.app_id.is_some() || args.github.token.is_some() {
        return Ok(Some(args));
    }
    let credentials = match Credentials::load(&args.credentials)? {
        Some(credentials) => credentials,
        None => match setup(&args).await? {
            Some(credentials) => credentials,
            None => return Ok(None),
        },
    };
    args.github.app_id = Some(credentials.app_id);
    args.github.private_key = Some(credentials.private_key);
    if args.webhook_secret.is_empty() {
        args.webhook_secret = vec![credentials.webhook_secret];
    }
    Ok(Some(args))
}

/// Serves the setup page, and only it, until an App is registered (its
/// credentials), or until asked to stop (`None`).
async fn setup(args: &ServeArgs) -> anyhow::Result<Option<Credentials>> {
    let (setup, registered) = Setup::new(
        args.github.github_api_url.clone(),
        args.public_url.clone(),
        args.webhook_path.clone(),
        args.credentials.clone(),
    )?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("can't listen on {}", args.bind))?;
    println!(
        "probot has no GitHub App yet: open http://{}/ to register one ({} will hold its credentials)",
        args.bind,
        args.credentials.display()
    );
    // The page's server stops once the App is registered (its answer
    // sent), or on SIGTERM / Ctrl-C, with no App.
    let (done, finished) = tokio::sync::oneshot::channel();
    probot::listener::serve(listener, setup.router(), async move {
        tokio::select! {
            credentials = registered => { let _ = done.send(credentials.ok()); }
            () = shutdown() => {}
        }
    })
    .await;
    let credentials = finished.await.ok().flatten();
    if let Some(credentials) = &credentials {
        println!(
            "wrote {}: the GitHub App {} (id {}), with its private key and webhook secret",
            args.credentials.display(),
            credentials.slug,
            credentials.app_id
        );
    }
    Ok(credentials)
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let Some(args) = with_credentials(args).await? else {
        return Ok(ExitCode::SUCCESS);
    };
    let handling = Handling::Queued {
        capacity: args.queue_capacity,
        workers: args.workers,
    };
    let (
        Service {
            router,
            queue,
            shared,
        },
        login,
    ) = service(&args, handling).await?;
    if let Some(every) = args.redeliver_every {
        let client = args.github.client()?;
        if !client.is_app() {
            bail!("--redeliver-every needs an App: a token has no delivery log");
        }
        let every = every.to_std().context("--redeliver-every")?;
        tokio::spawn(recover::sweep_forever(client, every, shared.clone()));
    }
    if let (Some(age), Some(queue)) = (args.replay_since, &queue) {
        let since = (chrono::Utc::now() - age)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let client = args.github.client()?;
        let queue = std::sync::Arc::clone(queue);
        tokio::spawn(async move {
            match recover::replayable(&client, &since).await {
                Ok(events) => {
                    let found = events.len();
                    let queued = server::replay(&queue, events);
                    tracing::info!(
                        since,
                        found,
                        queued,
                        "replaying deliveries that may not have been finished"
                    );
                }
                Err(error) => {
                    tracing::error!(%error, since, "could not list the deliveries to replay")
                }
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("can't listen on {}", args.bind))?;
    tracing::info!(bind = %args.bind, path = %args.webhook_path, bot = %login, api = %args.github.github_api_url, "probot is serving");
    let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
    let server = probot::listener::serve(listener, router, {
        let stopping = std::sync::Arc::clone(&stopping);
        async move {
            shutdown().await;
            stopping.notify_one();
        }
    });
    // Deliveries in flight finish within their budget; past that, go anyway.
    let deadline = async {
        stopping.notified().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        () = server => {}
        () = deadline => tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}; stopping anyway"),
    }
    // The queue drains within the same bound; what is left is logged, for
    // `probot reconcile` (it was answered 202, so GitHub won't redeliver it).
    if let Some(queue) = queue {
        if tokio::time::timeout(SHUTDOWN_GRACE, queue.idle())
            .await
            .is_err()
            && shared.is_some()
        {
            tracing::warn!(
                claim_after_s = args.redis.claim_after,
                "stopping with work left; it stays in Redis, and another replica (or this one, restarted) claims it after claim_after"
            );
        } else if !queue.is_idle() {
            let left = queue.leftover();
            let deliveries: Vec<String> = left.iter().flat_map(|p| p.deliveries.clone()).collect();
            let items: Vec<String> = left
                .iter()
                .map(|p| {
                    let (repo, number) = p.event.key();
                    format!("{repo}#{number}")
                })
                .collect();
            tracing::warn!(
                ?items,
                ?deliveries,
                "stopping with work left; run `probot reconcile` for these repositories"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How long requests in flight, and then the queue, get after SIGTERM.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// SIGTERM or Ctrl-C: stop accepting, let deliveries in flight finish.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: no new deliveries; finishing those in flight");
}

/// `30s`, `30m`, `24h` (or `24`), `3d`: how far back to look, for
/// `--replay-since` and `redeliver --since`, or how often to sweep.
pub(super) fn parse_age(text: &str) -> Result<chrono::Duration, String> {
    use chrono::Duration;
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not like 30s, 30m, 24h or 3d"))?;
    match unit {
        "s" => Ok(Duration::seconds(n)),
        "m" => Ok(Duration::minutes(n)),
        "h" | "" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        _ => Err(format!("`{text}` is not like 30s, 30m, 24h or 3d")),
    }
}
