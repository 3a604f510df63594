//! Subcommands. Each returns the exit code it wants; an `Err` means the
//! command could not do its work at all (exit 2).

mod check;
mod plan;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "probot",
    version,
    about = "A GitHub triage bot driven by .github/probot.toml"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check rules files and explain every problem with line and column.
    ///
    /// Exit status: 0 when clean (warnings allowed), 1 when a file has
    /// errors, 2 when a file could not be read.
    Check(check::CheckArgs),
    /// Print the JSON schema of the rules file.
    Schema,
    /// Show what the bot would do for a saved webhook payload, offline.
    Plan(plan::PlanArgs),
}

/// Output for people or for machines.
#[derive(Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Schema => {
            print!("{}", probot::config::schema_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan(args) => plan::run(args),
    }
}
