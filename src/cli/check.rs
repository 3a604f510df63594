//! `probot check [FILE ...]`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use probot::config::{self, Problem, Severity};
use serde::Serialize;

use super::Format;

#[derive(Args)]
pub struct CheckArgs {
    /// Rules files to check.
    #[arg(default_value = config::RULES_PATH)]
    files: Vec<PathBuf>,
    /// `text` for people, `json` for CI.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    file: String,
    #[serde(flatten)]
    problem: &'a Problem,
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
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
    let reports: Vec<_> = checked
        .iter()
        .map(|(_, source)| config::check(source))
        .collect();
    for ((name, source), report) in checked.iter().zip(&reports) {
        for problem in &report.problems {
            match problem.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            match args.format {
                Format::Text => println!("{}", problem.render(name, source)),
                Format::Json => json.push(JsonProblem {
                    file: name.clone(),
                    problem,
                }),
            }
        }
        if matches!(args.format, Format::Text) && report.problems.is_empty() {
            println!("{name}: ok");
        }
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&json)?),
        Format::Text if errors + warnings > 0 => {
            println!("{}", summary(errors, warnings));
        }
        Format::Text => {}
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}
