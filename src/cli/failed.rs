//! `probot failed list|retry`: the work replicas kept after it failed on
//! every retry (in Redis; without Redis, failed work is in the log).

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use probot::shared::Revive;

use super::serve::RedisArgs;

#[derive(Args)]
pub struct FailedArgs {
    #[command(subcommand)]
    action: FailedAction,
    #[command(flatten)]
    redis: RedisArgs,
}

#[derive(Subcommand)]
enum FailedAction {
    /// Print the failed work: the item, its deliveries, failures, error,
    /// and when it is tried again.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: super::Format,
    },
    /// Queue failed work again now: the one with this id, or `--all`.
    Retry {
        id: Option<String>,
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
}

pub async fn run(args: FailedArgs) -> anyhow::Result<ExitCode> {
    let Some(shared) = args.redis.connect().await? else {
        bail!(
            "failed work is kept in Redis: give --redis-url (without Redis it is in the bot's log)"
        );
    };
    match args.action {
        FailedAction::List { format } => {
            let failed = shared.failed(1_000).await?;
            match format {
                super::Format::Json => println!("{}", serde_json::to_string_pretty(&failed)?),
                super::Format::Text => {
                    for f in &failed {
                        let when = match f.due_ms {
                            Some(due) => format!(
                                "tried again at {}",
                                chrono::DateTime::from_timestamp_millis(due as i64)
                                    .map_or_else(|| due.to_string(), |t| t.to_rfc3339())
                            ),
                            None => "kept until retried".into(),
                        };
                        println!(
                            "{}  {}  deliveries {}  failed {} times: {}  ({when})",
                            f.id, f.item, f.deliveries, f.failures, f.error
                        );
                    }
                    println!("{} failed", failed.len());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        FailedAction::Retry { id, all } => {
            let which = match (&id, all) {
                (Some(id), _) => Revive::One(id),
                (None, true) => Revive::All,
                (None, false) => {
                    bail!("name the failed entry's id (from `probot failed list`) or pass --all")
                }
            };
            let moved = shared.revive(which).await?;
            println!("{moved} queued again");
            if moved == 0 && id.is_some() {
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
