//! A local GitHub (fakehub) and bots wired to it over real HTTP: what
//! `probot demo` runs and what the end-to-end tests stand on.
//!
//! Bots authenticate as the seed's App with the test key shipped in
//! `fakehub/testdata/`, exactly as they would against GitHub.

use std::net::SocketAddr;

use fakehub::{Control, FakeHub, Hook, Options, Seed};
use tokio::time::Duration;

use crate::bot::Bot;
use crate::github::{Auth, GitHub, GitHubError, Policy};
use crate::server::{self, Handling, Intake, Running};

/// The key fakehub's seeded apps verify; for tests and the demo only.
pub const TEST_APP_KEY: &[u8] = include_bytes!("../fakehub/testdata/app-private-key.pem");
/// Its public half, for seeds that don't name one.
pub const TEST_APP_PUBLIC_KEY: &str = include_str!("../fakehub/testdata/app-public-key.pem");

/// The secret local webhooks are signed with.
pub const LOCAL_SECRET: &str = "local-webhook-secret";

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("could not start: {0}")]
    Io(#[from] std::io::Error),
    #[error("the seed has no [app]; the bot acts as one")]
    NoApp,
    #[error(transparent)]
    GitHub(#[from] GitHubError),
}

/// fakehub plus the bots listening to it.
pub struct Local {
    pub hub: FakeHub,
    pub bots: Vec<Running>,
    app_id: u64,
    handling: Handling,
    /// Where bots share their queue and write budget, when they do.
    shared: Option<crate::shared::Settings>,
}

impl Local {
    /// Starts fakehub from `seed` and one bot hooked to it; webhooks go out
    /// concurrently, as GitHub sends them.
    pub async fn start(seed: Seed) -> Result<Local, LocalError> {
        Local::start_with(seed, Options::default()).await
    }

    /// The same, with fakehub started with `options`.
    pub async fn start_with(seed: Seed, options: Options) -> Result<Local, LocalError> {
        Local::start_handling(seed, options, Handling::SERVER).await
    }

    /// The same, with bots that handle deliveries as `handling` says
    /// (`Handling::Inline`: as on Lambda).
    pub async fn start_handling(
        seed: Seed,
        options: Options,
        handling: Handling,
    ) -> Result<Local, LocalError> {
        Local::start_bots(seed, options, handling, None, 1).await
    }

    /// fakehub and `replicas` bots sharing one queue and one write budget
    /// through the Redis `shared` names, each hooked up as GitHub would
    /// hook a load balancer's targets.
    pub async fn start_replicas(
        seed: Seed,
        options: Options,
        shared: crate::shared::Settings,
        replicas: usize,
    ) -> Result<Local, LocalError> {
        Local::start_bots(seed, options, Handling::SERVER, Some(shared), replicas).await
    }

    /// fakehub, its App given the test key, and `bots` bots hooked to it.
    async fn start_bots(
        mut seed: Seed,
        options: Options,
        handling: Handling,
        shared: Option<crate::shared::Settings>,
        bots: usize,
    ) -> Result<Local, LocalError> {
        let app = seed.app.as_mut().ok_or(LocalError::NoApp)?;
        if app.public_key.is_none() && app.public_key_file.is_none() {
            app.public_key = Some(TEST_APP_PUBLIC_KEY.to_owned());
        }
        let app_id = app.id;
        let hub = FakeHub::start(seed, options).await?;
        let mut local = Local {
            hub,
            bots: Vec::new(),
            app_id,
            handling,
            shared,
        };
        for _ in 0..bots.max(1) {
            local.add_bot().await?;
        }
        Ok(local)
    }

    /// Starts one more bot on a free port and hooks it up: several copies
    /// of the bot, as behind a load balancer. Returns its webhook URL.
    pub async fn add_bot(&mut self) -> Result<String, LocalError> {
        let running = self
            .start_bot_at(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await?;
        let url = Self::hook_url(&running);
        self.hub.add_hook(Self::hook(&running));
        self.bots.push(running);
        Ok(url)
    }

    /// Starts a bot on `addr` without hooking it up: to bring back a bot
    /// that was down, on its old address.
    pub async fn start_bot_at(&self, addr: SocketAddr) -> Result<Running, LocalError> {
        let client = GitHub::new(
            self.hub.url(),
            &Auth::App {
                id: self.app_id,
                private_key: TEST_APP_KEY.to_vec(),
            },
            Policy {
                attempts: 4,
                backoff: Duration::from_millis(20),
            },
        )?;
        let login = client.whoami().await?;
        let intake = Intake {
            path: "/webhook".into(),
            secrets: vec![LOCAL_SECRET.into()],
            insecure_skip_signature: false,
        };
        let bot = Bot::new(client, login);
        let service = match &self.shared {
            Some(settings) => {
                let shared = crate::shared::Shared::connect(settings)
                    .await
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                server::replica(bot, intake, self.handling, shared)
            }
            None => server::service(bot, intake, self.handling),
        };
        Ok(server::spawn(service.router, addr).await?)
    }

    /// The webhook URL of a bot.
    pub fn hook_url(bot: &Running) -> String {
        format!("{}/webhook", bot.url())
    }

    /// The hook that sends a bot fakehub's webhooks; fakehub's settling
    /// also waits for the bot's queue to empty.
    pub fn hook(bot: &Running) -> Hook {
        Hook {
            url: Self::hook_url(bot),
            secret: LOCAL_SECRET.into(),
            idle_url: Some(format!("{}/idle", bot.url())),
        }
    }

    pub fn control(&self) -> Control {
        self.hub.control()
    }
}

/// A Redis server of its own on a free loopback port, for tests and
/// benchmarks of replicas: `redis-server` from the PATH (Debian's package;
/// `.ci/run` installs it), or the one `PROBOT_TEST_REDIS_SERVER` names. It
/// keeps nothing on disk and stops when dropped.
pub struct RedisServer {
    child: std::process::Child,
    port: u16,
}

impl RedisServer {
    pub async fn start() -> Result<RedisServer, LocalError> {
        let program =
            std::env::var("PROBOT_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))?
            .local_addr()?
            .port();
        let child = std::process::Command::new(&program)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("can't start `{program}` (install Debian's redis-server, or set PROBOT_TEST_REDIS_SERVER): {e}"),
                )
            })?;
        let server = RedisServer { child, port };
        // Up once it accepts a connection.
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(std::io::Error::other(format!("{program} did not start listening on {port}")).into())
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
