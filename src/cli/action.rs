//! `probot action`: one event, inside a GitHub Actions job.
//!
//! Reads the event GitHub Actions hands the job, plans and applies once
//! with the job's `GITHUB_TOKEN`, and exits non-zero on failure.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use probot::bot::{Bot, Outcome};
use probot::event;
use probot::github::{Auth, GitHub, Policy};

#[derive(Args)]
pub struct ActionArgs {
    /// The event's name, as Actions sets it.
    #[arg(long, env = "GITHUB_EVENT_NAME")]
    event_name: String,
    /// The file holding the event's payload, as Actions sets it.
    #[arg(long, env = "GITHUB_EVENT_PATH")]
    event_path: PathBuf,
    /// The job's token.
    #[arg(long, env = "GITHUB_TOKEN", hide_env_values = true)]
    token: String,
    /// GitHub's API, as Actions sets it.
    #[arg(long, env = "GITHUB_API_URL", default_value = "https://api.github.com")]
    api_url: String,
    /// Who the token writes as; its events are the bot's own.
    #[arg(long, env = "PROBOT_BOT_LOGIN", default_value = "github-actions[bot]")]
    bot_login: String,
}

/// An Actions job has minutes, not GitHub's 10 seconds for a webhook.
const BUDGET: Duration = Duration::from_secs(120);

pub async fn run(args: ActionArgs) -> anyhow::Result<ExitCode> {
    let payload = std::fs::read(&args.event_path)
        .with_context(|| format!("can't read the event at {}", args.event_path.display()))?;
    // `pull_request_target` carries a pull request payload, and is the
    // trigger that gets a token able to write for pull requests from forks.
    let name = match args.event_name.as_str() {
        "pull_request_target" => "pull_request",
        "issues" | "pull_request" | "push" => args.event_name.as_str(),
        other => {
            println!("probot: nothing to do for `{other}` events");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let event = event::parse(name, &payload)?;
    let client = GitHub::new(&args.api_url, &Auth::Token(args.token), Policy::default())?;
    let bot = Bot::new(client, args.bot_login);
    match bot
        .handle(&event, tokio::time::Instant::now() + BUDGET)
        .await
    {
        Ok(Outcome::Done { writes, because }) => {
            for reason in &because {
                println!("probot: because {reason}");
            }
            for write in &writes {
                println!("probot: {}", write.0);
            }
            if writes.is_empty() {
                println!("probot: everything was already so");
            }
            Ok(ExitCode::SUCCESS)
        }
        Ok(Outcome::NoRules) => {
            println!("probot: no usable .github/probot.toml; nothing to do");
            Ok(ExitCode::SUCCESS)
        }
        Ok(Outcome::Ignored(reason)) => {
            println!("probot: {reason}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("probot: failed: {error}");
            Ok(ExitCode::from(1))
        }
    }
}
