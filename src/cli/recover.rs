//! `probot redeliver` and `probot reconcile`: catching up after downtime.

use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::{Duration, Utc};
use clap::Args;
use probot::event::RepoName;
use probot::recover;

use super::serve::{parse_age, GitHubArgs};

#[derive(Args)]
pub struct RedeliverArgs {
    /// How far back to look: `30m`, `24h`, `3d`.
    #[arg(long, default_value = "24h", value_parser = parse_age)]
    since: Duration,
    /// Only list what would be redelivered.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    github: GitHubArgs,
}

pub async fn redeliver(args: RedeliverArgs) -> anyhow::Result<ExitCode> {
    let client = args.github.client()?;
    let since = (Utc::now() - args.since)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let redelivered = recover::redeliver(&client, &since, args.dry_run)
        .await
        .context("redelivering")?;
    let chosen = &redelivered.chosen;
    let verb = if args.dry_run {
        "would redeliver"
    } else {
        "redelivered"
    };
    for delivery in chosen {
        let action = delivery
            .action
            .as_deref()
            .map(|a| format!(".{a}"))
            .unwrap_or_default();
        println!(
            "{verb} {} {}{action} (first sent {}, last answer {})",
            delivery.guid, delivery.event, delivery.delivered_at, delivery.status_code
        );
    }
    println!("{} failed deliveries since {since}", chosen.len());
    for (delivery, error) in &redelivered.failed {
        eprintln!("error: could not redeliver {}: {error}", delivery.guid);
    }
    match redelivered.failed.len() {
        0 => Ok(ExitCode::SUCCESS),
        n => {
            eprintln!(
                "{n} of {} redeliveries failed; run it again to retry them",
                chosen.len()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Brings open issues and pull requests in line with the rules: cc lines
/// for their current labels, CI tags at current heads. Label implications
/// are not re-applied: they fire when a label arrives, and a maintainer may
/// have removed an implied label on purpose.
#[derive(Args)]
pub struct ReconcileArgs {
    /// The repository, `owner/name`.
    repo: String,
    /// Only show what would change.
    #[arg(long)]
    dry_run: bool,
    /// The bot's login, if it can't be asked of GitHub.
    #[arg(long, env = "PROBOT_BOT_LOGIN")]
    bot_login: Option<String>,
    #[command(flatten)]
    github: GitHubArgs,
}

pub async fn reconcile(args: ReconcileArgs) -> anyhow::Result<ExitCode> {
    let Some(repo) = RepoName::parse(&args.repo) else {
        bail!("`{}` is not owner/name", args.repo);
    };
    let client = args.github.client()?;
    let bot = match args.bot_login {
        Some(login) => login,
        None => client
            .whoami()
            .await
            .context("can't ask GitHub who the bot is (or pass --bot-login)")?,
    };
    let results = recover::reconcile(&client, &bot, &repo, args.dry_run)
        .await
        .context("reconciling")?;
    let mut changed = 0;
    let failed: Vec<_> = results.iter().filter(|r| r.error.is_some()).collect();
    for item in &results {
        let lines: Vec<String> = match args.dry_run {
            true => item.actions.iter().map(|a| format!("would {a}")).collect(),
            false => item.writes.iter().map(|w| w.0.clone()).collect(),
        };
        if !lines.is_empty() {
            changed += 1;
        }
        for line in lines {
            println!("#{}: {line}", item.number);
        }
    }
    println!(
        "{} open items, {changed} {}",
        results.len(),
        if args.dry_run {
            "to bring in line"
        } else {
            "brought in line"
        }
    );
    for item in &failed {
        let error = item.error.as_deref().unwrap_or_default();
        eprintln!(
            "error: #{} could not be brought in line: {error}",
            item.number
        );
    }
    match failed.len() {
        0 => Ok(ExitCode::SUCCESS),
        n => {
            eprintln!("{n} items failed; run it again to retry them");
            Ok(ExitCode::FAILURE)
        }
    }
}
