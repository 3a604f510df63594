//! Subcommands. Each returns the exit code it wants; an `Err` means the
//! command could not do its work at all (exit 2).

mod action;
mod check;
#[cfg(feature = "demo")]
mod demo;
mod failed;
mod import;
mod init;
#[cfg(feature = "lambda")]
mod lambda;
mod plan;
mod recover;
mod serve;

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
    /// Start a repository: a rules file to fill in (every section commented
    /// out, its schema beside it), a tracking-issue body, and with
    /// `--action` the workflow that runs the bot as a GitHub Action. Never
    /// overwrites.
    Init(init::InitArgs),
    /// Print the JSON schema of the rules file.
    Schema,
    /// Turn an actions/labeler `.github/labeler.yml` (v4 or v5) or a
    /// pytorch-probot label-to-label YAML into probot rules, printed as
    /// TOML; what can't be carried over is named in comments.
    Import(import::ImportArgs),
    /// Show what the bot would do for a saved webhook payload, offline.
    Plan(plan::PlanArgs),
    /// Run the bot: receive GitHub's webhooks and act on them.
    Serve(serve::ServeArgs),
    /// Run on AWS Lambda (behind a function URL or API Gateway), configured
    /// like `serve` (built with `--features lambda`).
    #[cfg(feature = "lambda")]
    Lambda(serve::ServeArgs),
    /// Ask GitHub to redeliver the App's webhooks that failed (after downtime).
    Redeliver(recover::RedeliverArgs),
    /// Bring the cc lines and CI tags of a repository's open issues and pull
    /// requests in line with its rules. Label implications are not
    /// re-applied: they fire as labels arrive, and a maintainer may have
    /// removed an implied label on purpose.
    Reconcile(recover::ReconcileArgs),
    /// List or retry the work replicas kept after it failed on every retry
    /// (with `--redis-url`).
    Failed(failed::FailedArgs),
    /// Handle the one event of a GitHub Actions job, with its token.
    Action(action::ActionArgs),
    /// Watch the bot work against a fake GitHub on this machine: no account
    /// or network needed.
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
}

/// Output for people or for machines.
#[derive(Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::run(args).await,
        Command::Init(args) => init::run(args),
        Command::Schema => {
            print!("{}", probot::config::schema_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => import::run(args),
        Command::Plan(args) => plan::run(args).await,
        Command::Serve(args) => {
            logging("info", args.log_format);
            serve::run(args).await
        }
        #[cfg(feature = "lambda")]
        Command::Lambda(args) => {
            logging("info", args.log_format);
            lambda::run(args).await
        }
        Command::Redeliver(args) => {
            logging("warn", LogFormat::Text);
            recover::redeliver(args).await
        }
        Command::Reconcile(args) => {
            logging("warn", LogFormat::Text);
            recover::reconcile(args).await
        }
        Command::Failed(args) => {
            logging("warn", LogFormat::Text);
            failed::run(args).await
        }
        Command::Action(args) => {
            logging("warn", LogFormat::Text);
            action::run(args).await
        }
        #[cfg(feature = "demo")]
        Command::Demo(args) => {
            // The transcript is the output; logs only when something is wrong.
            logging("warn", LogFormat::Text);
            demo::run(args).await
        }
    }
}

/// How logs are written.
#[derive(Clone, Copy, Default, ValueEnum)]
pub enum LogFormat {
    /// For people.
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

/// Logs to stderr; `RUST_LOG` overrides the default level. Every line of a
/// delivery carries its id, event, action and repository (the span).
fn logging(default: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only for a person at a terminal, never into a log file.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
