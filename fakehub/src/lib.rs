//! fakehub: a fake GitHub that a bot talks to over HTTP with its real
//! client. It keeps state in memory, serves the part of the REST API a
//! triage bot uses, and sends signed webhooks for every change, including
//! the changes the bot makes itself.
//!
//! Start it in-process with [`FakeHub::start`], act as users through
//! [`Control`], and read back state, deliveries and the request log.
//!
//! Races it accepts: webhooks go to each hook one at a time, in the order
//! the changes happened; deliveries to different hooks run concurrently.

// GitHub's repository shape is long enough to need a deeper `json!`.
#![recursion_limit = "256"]

mod control;
mod events;
mod faults;
mod graphql;
mod latency;
mod manifests;
mod rest;
pub mod seed;
mod shapes;
pub mod state;
#[cfg(feature = "tls")]
mod tls;
mod webhooks;

pub mod client;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

pub use client::Control;
pub use faults::Fault;
pub use latency::Latency;
pub use seed::Seed;
pub use state::{Delivery, LoggedRequest};

use events::Outgoing;
use state::World;

/// How to start a fakehub.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Address to listen on; port 0 picks a free one.
    pub addr: Option<SocketAddr>,
    /// Where to send webhooks, with the secret to sign them; more can be
    /// added at run time through the control API.
    pub hooks: Vec<Hook>,
    /// Answer as GitHub does once a token's primary limit, or the
    /// secondary limit on content-creating requests, is spent.
    pub enforce_rate_limits: bool,
    /// Send one hook's webhooks one at a time, each after the previous was
    /// answered. GitHub does not wait (the default here too); a test or a
    /// demo that wants a fixed order can ask for it.
    pub sequential_webhooks: bool,
    /// How long every REST request takes to answer.
    pub latency: Latency,
    /// Serve https with a self-signed certificate made at start (its PEM
    /// at [`FakeHub::ca_path`]); needs the `tls` feature.
    pub tls: bool,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Hook {
    pub url: String,
    pub secret: String,
    /// For a bot that answers webhooks before its work is done: a URL that
    /// answers 200 once the bot is idle (and anything else while it is
    /// busy). Settling waits for it too, so the bot's writes, and the
    /// webhooks they cause, are part of what a control call waits for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_url: Option<String>,
}

/// Shared by every handler.
pub(crate) struct Hub {
    world: Mutex<World>,
    seed: Seed,
    hooks: Mutex<Vec<webhooks::HookQueue>>,
    faults: Mutex<Vec<Fault>>,
    pending: AtomicUsize,
    settled: Notify,
    enforce_rate_limits: std::sync::atomic::AtomicBool,
    sequential_webhooks: bool,
    latency: Mutex<Latency>,
    /// REST requests being served, for GitHub's limit on concurrent ones.
    in_flight: AtomicUsize,
    http: reqwest::Client,
    /// JSON responses sent, while recording (`POST /_fakehub/responses`):
    /// for checking them against GitHub's REST description.
    responses: Mutex<Option<Vec<serde_json::Value>>>,
}

impl Hub {
    /// The world, locked. Never held across an `.await`.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues webhooks for every hook.
    pub(crate) fn emit(self: &Arc<Self>, events: Vec<Outgoing>) {
        if events.is_empty() {
            return;
        }
        let hooks = self.hooks.lock().unwrap_or_else(|p| p.into_inner());
        for event in events {
            for hook in hooks.iter().filter(|h| h.active.load(Ordering::SeqCst)) {
                self.pending.fetch_add(1, Ordering::SeqCst);
                hook.send(webhooks::Job::new(event.clone()));
            }
        }
    }

    /// Whether rate limits are enforced.
    pub(crate) fn enforcing(&self) -> bool {
        self.enforce_rate_limits.load(Ordering::SeqCst)
    }

    pub(crate) fn delivery_done(&self) {
        if self.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.settled.notify_waiters();
        }
    }

    /// Waits until every queued webhook has been answered, including those
    /// caused by writes made while answering earlier ones, and every hook
    /// with an idle URL says it is idle with nothing new sent meanwhile.
    pub(crate) async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            self.deliveries_answered(deadline).await;
            let sent_before = self.world().deliveries.len();
            let idle_urls: Vec<String> = {
                let hooks = self.hooks.lock().unwrap_or_else(|p| p.into_inner());
                hooks.iter().filter_map(|h| h.idle_url.clone()).collect()
            };
            for url in &idle_urls {
                self.wait_idle(url, deadline).await;
            }
            let quiet = self.pending.load(Ordering::SeqCst) == 0
                && self.world().deliveries.len() == sent_before;
            if quiet || tokio::time::Instant::now() >= deadline {
                return;
            }
        }
    }

    async fn deliveries_answered(&self, deadline: tokio::time::Instant) {
        loop {
            let notified = self.settled.notified();
            if self.pending.load(Ordering::SeqCst) == 0 {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                tracing::warn!("fakehub: deliveries still pending at the settling deadline");
                return;
            }
        }
    }

    /// Polls a bot's idle URL until it answers 200.
    async fn wait_idle(&self, url: &str, deadline: tokio::time::Instant) {
        while tokio::time::Instant::now() < deadline {
            match self.http.get(url).send().await {
                Ok(answer) if answer.status().is_success() => return,
                Ok(_) => {}
                Err(_) => return, // a bot that is down is not busy
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tracing::warn!(
            url,
            "fakehub: the bot was still busy at the settling deadline"
        );
    }

    /// Sends delivery `id` again to the hook it went to, with its GUID.
    pub(crate) fn redeliver(&self, id: u64) -> bool {
        let found = {
            let world = self.world();
            world.deliveries.iter().find(|d| d.id == id).map(|d| {
                (
                    webhooks::event_name(&d.event),
                    d.payload.clone(),
                    d.guid.clone(),
                    d.hook_url.clone(),
                )
            })
        };
        let Some((event, payload, guid, url)) = found else {
            return false;
        };
        let hooks = self.hooks.lock().unwrap_or_else(|p| p.into_inner());
        let Some(hook) = hooks.iter().find(|h| h.url == url) else {
            return false;
        };
        self.pending.fetch_add(1, Ordering::SeqCst);
        hook.send(webhooks::Job::redelivery(event, payload, guid));
        true
    }

    /// Pauses or resumes the hooks at `url`; false when there is none.
    pub(crate) fn set_hook_active(&self, url: &str, active: bool) -> bool {
        let hooks = self.hooks.lock().unwrap_or_else(|p| p.into_inner());
        let mut found = false;
        for hook in hooks.iter().filter(|h| h.url == url) {
            hook.active.store(active, Ordering::SeqCst);
            found = true;
        }
        found
    }

    fn add_hook(self: &Arc<Self>, hook: Hook) {
        let queue = webhooks::HookQueue::start(Arc::clone(self), hook);
        self.hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(queue);
    }
}

/// A running fakehub.
pub struct FakeHub {
    url: String,
    hub: Arc<Hub>,
    server: tokio::task::JoinHandle<()>,
    ca_path: Option<std::path::PathBuf>,
}

impl FakeHub {
    /// Starts fakehub on a free loopback port (or `options.addr`), seeded.
    pub async fn start(seed: Seed, options: Options) -> std::io::Result<FakeHub> {
        let addr = options
            .addr
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        #[cfg(feature = "tls")]
        let certificate = match options.tls {
            true => Some(tls::Certificate::generate(local.port())?),
            false => None,
        };
        #[cfg(not(feature = "tls"))]
        if options.tls {
            return Err(std::io::Error::other(
                "fakehub was built without the `tls` feature",
            ));
        }
        let scheme = if options.tls { "https" } else { "http" };
        let url = format!("{scheme}://{local}");
        let world = seed
            .build(&url)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let hub = Arc::new(Hub {
            world: Mutex::new(world),
            seed,
            hooks: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            pending: AtomicUsize::new(0),
            settled: Notify::new(),
            enforce_rate_limits: std::sync::atomic::AtomicBool::new(options.enforce_rate_limits),
            sequential_webhooks: options.sequential_webhooks,
            latency: Mutex::new(options.latency),
            in_flight: AtomicUsize::new(0),
            responses: Mutex::new(None),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .map_err(std::io::Error::other)?,
        });
        for hook in options.hooks {
            hub.add_hook(hook);
        }
        let app = rest::router(Arc::clone(&hub))
            .merge(control::router(Arc::clone(&hub)))
            .merge(manifests::router(Arc::clone(&hub)));
        #[cfg(feature = "tls")]
        let ca_path = certificate.as_ref().map(|c| c.pem_path.clone());
        #[cfg(not(feature = "tls"))]
        let ca_path = None;
        let server = tokio::spawn(async move {
            #[cfg(feature = "tls")]
            if let Some(certificate) = certificate {
                certificate.serve(listener, app).await;
                return;
            }
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "fakehub server stopped");
            }
        });
        Ok(FakeHub {
            url,
            hub,
            server,
            ca_path,
        })
    }

    /// With `Options::tls`: the PEM of the certificate fakehub serves, for
    /// clients to trust.
    pub fn ca_path(&self) -> Option<&std::path::Path> {
        self.ca_path.as_deref()
    }

    /// The base URL of the REST API, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client for the control API.
    pub fn control(&self) -> Control {
        Control::new(&self.url)
    }

    /// Sends webhooks to `hook` from now on.
    pub fn add_hook(&self, hook: Hook) {
        self.hub.add_hook(hook);
    }

    /// Waits until every webhook sent so far has been answered.
    pub async fn settle(&self) {
        self.hub.settle().await;
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.server.abort();
    }
}
