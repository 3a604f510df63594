//! `probot check [FILE ...]`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use probot::config::{self, Problem, Severity};
use serde::Serialize;

#[derive(Args)]
pub struct CheckArgs {
    /// Rules files to check.
    #[arg(default_value = config::RULES_PATH)]
    files: Vec<PathBuf>,
    /// The file they `extend` (a copy of the organization's file, say):
    /// each is checked merged onto it, and every problem named with the
    /// file it is in. Without it, a file with `extends` is checked alone.
    #[arg(long)]
    base: Option<PathBuf>,
    /// The repository the files are for (`owner/name`): a file's `extends`
    /// is read from GitHub with the token or App given, as the bot would
    /// read it (`--base` takes precedence).
    #[arg(long, conflicts_with = "base")]
    repo: Option<String>,
    #[command(flatten)]
    github: super::serve::GitHubArgs,
    /// `text` for people, `json` for CI, `github` for GitHub Actions
    /// (workflow commands: annotations at file and line).
    #[arg(long, value_enum, default_value_t)]
    format: CheckFormat,
}

/// How `check` reports.
#[derive(Clone, Copy, Default, clap::ValueEnum)]
pub enum CheckFormat {
    #[default]
    Text,
    Json,
    /// GitHub Actions' workflow commands, one line a problem.
    Github,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    file: String,
    #[serde(flatten)]
    problem: &'a Problem,
}

/// Each file's base, read from GitHub (`--repo`): by what `extends` names,
/// each read once. A base that can't be read is an error of its own.
async fn bases_from_github(
    args: &CheckArgs,
    sources: &[(String, String)],
) -> anyhow::Result<Vec<Option<(config::RulesRef, String)>>> {
    use anyhow::Context;
    let Some(repo) = &args.repo else {
        return Ok(vec![None; sources.len()]);
    };
    let repo = probot::event::RepoName::parse(repo)
        .with_context(|| format!("`{repo}` is not owner/name"))?;
    let client = args.github.client()?;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let installation = client.installation_of(&repo, deadline).await?;
    let api = client.api(installation, deadline)?;
    let mut read: std::collections::HashMap<config::RulesRef, Option<String>> = Default::default();
    let mut bases = Vec::new();
    for (_, source) in sources {
        let Some(target) =
            config::extends_of(source).and_then(|e| config::RulesRef::extended(&e, &repo.owner))
        else {
            bases.push(None);
            continue;
        };
        if !read.contains_key(&target) {
            let at = probot::event::RepoName::new(&target.owner, &target.name);
            let text = match api.file(&at, &target.path, None, None).await? {
                probot::github::Fetched::Found { value, .. } => Some(value),
                _ => None,
            };
            read.insert(target.clone(), text);
        }
        match read.get(&target).cloned().flatten() {
            Some(text) => bases.push(Some((target, text))),
            None => anyhow::bail!("{target} (what `extends` names) is missing, or not readable with these credentials"),
        }
    }
    Ok(bases)
}

pub async fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let mut unreadable = false;
    let mut errors = 0;
    let mut warnings = 0;
    let mut json = Vec::new();
    let mut checked = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let source = match std::fs::read_to_string(path) {
            Ok(source) => source,
            Err(error) => {
                eprintln!("error: can't read {name}: {error}");
                unreadable = true;
                continue;
            }
        };
        checked.push((name, source));
    }
    let base = match &args.base {
        None => None,
        Some(path) => match std::fs::read_to_string(path) {
            // Named by the path given: it is what the reader has open.
            Ok(text) => Some((base_name(path), text)),
            Err(error) => {
                eprintln!("error: can't read {}: {error}", path.display());
                return Ok(ExitCode::from(2));
            }
        },
    };
    let read = bases_from_github(&args, &checked).await?;
    let reports: Vec<_> = checked
        .iter()
        .zip(&read)
        .map(|((_, source), from_github)| {
            let given = base.as_ref().or(from_github.as_ref());
            config::check_extending(
                source,
                given.map(|(name, text)| config::Base {
                    name,
                    text,
                    of: None,
                }),
            )
        })
        .collect();
    for (((name, source), report), from_github) in checked.iter().zip(&reports).zip(&read) {
        for problem in &report.problems {
            match problem.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            let base_text = base
                .as_ref()
                .or(from_github.as_ref())
                .map(|(_, t)| t.as_str());
            let (file, text) = match (&problem.file, base_text) {
                (Some(file), Some(text)) => (file.clone(), text),
                _ => (name.clone(), source.as_str()),
            };
            match args.format {
                CheckFormat::Text => println!("{}", problem.render(&file, text)),
                CheckFormat::Json => json.push(JsonProblem { file, problem }),
                CheckFormat::Github => println!("{}", problem.workflow_command(&file)),
            }
        }
        if matches!(args.format, CheckFormat::Text) && report.problems.is_empty() {
            println!("{name}: ok");
        }
    }
    match args.format {
        CheckFormat::Json => println!("{}", serde_json::to_string_pretty(&json)?),
        CheckFormat::Text | CheckFormat::Github if errors + warnings > 0 => {
            println!("{}", summary(errors, warnings));
        }
        CheckFormat::Text | CheckFormat::Github => {}
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A base given as a file, named for messages as a rules file somewhere.
fn base_name(path: &std::path::Path) -> config::RulesRef {
    config::RulesRef {
        owner: String::new(),
        name: String::new(),
        path: path.display().to_string(),
    }
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}
