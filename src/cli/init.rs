//! `probot init`: a starter rules file (with its schema beside it, for
//! editors), a tracking-issue body to paste, and the workflow that runs
//! the bot as a GitHub Action, or the steps for an App. It never
//! overwrites: when any file it would write exists, it writes none.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

const STARTER: &str = include_str!("../../examples/starter/probot.toml");

/// The tracking issue's body: people add lines to subscribe.
const TRACKING_ISSUE: &str = "\
Subscribe to labels (and paths) here: add a line, or comment `@probot subscribe LABEL`.
probot CCs you on issues and pull requests that carry the label.

* high priority @your-login
* `docs/**` @your-login
";

#[derive(Args)]
pub struct InitArgs {
    /// The repository's root.
    #[arg(default_value = ".")]
    root: PathBuf,
    /// Also write `.github/workflows/probot.yml`, which runs the bot as a
    /// GitHub Action (no App, no server).
    #[arg(long)]
    action: bool,
    /// The Action, as `uses:` names it (`OWNER/probot@v1`): needed with
    /// `--action`.
    #[arg(long, requires = "action")]
    uses: Option<String>,
}

fn workflow(uses: &str) -> String {
    format!(
        "\
# probot as a GitHub Action: the bot for each event, with the job's token,
# and the rules file checked on pull requests that change it.
name: probot
on:
  issues:
    types: [opened, reopened, edited, labeled, unlabeled, closed]
  pull_request_target:
    types: [opened, reopened, edited, labeled, unlabeled, synchronize, ready_for_review, converted_to_draft, closed]
  issue_comment:
    types: [created]
permissions:
  contents: read
  issues: write
  pull-requests: write
  checks: write
jobs:
  probot:
    runs-on: ubuntu-latest
    steps:
      - uses: {uses}
"
    )
}

pub fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let github = args.root.join(".github");
    let mut files: Vec<(PathBuf, String)> = vec![
        (github.join("probot.toml"), STARTER.to_owned()),
        (
            github.join("probot.schema.json"),
            probot::config::schema_json(),
        ),
    ];
    if args.action {
        let Some(uses) = &args.uses else {
            eprintln!("error: --action needs --uses OWNER/probot@v1 (the repository probot's release is in)");
            return Ok(ExitCode::from(2));
        };
        files.push((github.join("workflows").join("probot.yml"), workflow(uses)));
    }
    let existing: Vec<&Path> = files
        .iter()
        .map(|(path, _)| path.as_path())
        .filter(|path| path.exists())
        .collect();
    if !existing.is_empty() {
        for path in existing {
            eprintln!("error: {} exists; nothing written", path.display());
        }
        return Ok(ExitCode::from(1));
    }
    for (path, text) in &files {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, text)?;
        println!("wrote {}", path.display());
    }
    println!("\nA tracking issue for cc by label: open an issue with this body, and put its number in [cc]:\n\n{TRACKING_ISSUE}");
    if args.action {
        println!("The workflow runs probot on each event with the job's token; commit it with the rules.");
    } else {
        println!("To run it as an App: `probot serve`, open http://127.0.0.1:3000/ and follow the page (see the README, \"From zero\").");
    }
    Ok(ExitCode::SUCCESS)
}
