//! `fakehub serve`: a fake GitHub on a local port.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use fakehub::{FakeHub, Hook, Latency, Options, Seed};

#[derive(Parser)]
#[command(
    name = "fakehub",
    version,
    about = "A fake GitHub over HTTP that keeps state and sends signed webhooks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST and control APIs until interrupted.
    Serve {
        /// Seed file (TOML or JSON): repositories, files, issues, pull
        /// requests, labels, collaborators, the app.
        #[arg(long)]
        seed: Option<PathBuf>,
        /// Where to send webhooks.
        #[arg(long, requires = "webhook_secret")]
        webhook_url: Option<String>,
        /// The secret webhooks are signed with.
        #[arg(long, env = "FAKEHUB_WEBHOOK_SECRET", hide_env_values = true)]
        webhook_secret: Option<String>,
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Answer as GitHub does once rate limits are spent.
        #[arg(long)]
        enforce_rate_limits: bool,
        /// Send webhooks one at a time, each after the previous was
        /// answered (GitHub sends them concurrently).
        #[arg(long)]
        sequential_webhooks: bool,
        /// Latency of every REST request: `100` (ms, fixed) or `80,400`
        /// (median and 99th percentile, log-normal).
        #[arg(long, value_parser = Latency::parse, default_value = "0")]
        latency: Latency,
        /// Serve https with a self-signed certificate made at start, and
        /// print the path of its PEM for clients to trust (needs the `tls`
        /// feature: `cargo install --path fakehub --features tls`).
        #[arg(long)]
        tls: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let Command::Serve {
        seed,
        webhook_url,
        webhook_secret,
        port,
        enforce_rate_limits,
        sequential_webhooks,
        latency,
        tls,
    } = Cli::parse().command;
    let seed = match seed {
        Some(path) => Seed::from_file(&path).map_err(anyhow::Error::msg)?,
        None => Seed::default(),
    };
    let hooks = match (webhook_url, webhook_secret) {
        (Some(url), Some(secret)) => vec![Hook {
            url,
            secret,
            idle_url: None,
        }],
        _ => Vec::new(),
    };
    let hub = FakeHub::start(
        seed,
        Options {
            addr: Some(SocketAddr::from(([127, 0, 0, 1], port))),
            hooks,
            enforce_rate_limits,
            sequential_webhooks,
            latency,
            tls,
        },
    )
    .await?;
    println!("{}", hub.url());
    if let Some(ca) = hub.ca_path() {
        println!(
            "certificate: {} (trust it: curl --cacert, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS)",
            ca.display()
        );
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
