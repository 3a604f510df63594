//! `probot import FILE`: labeler or label-to-label YAML to probot rules.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use probot::config;
use probot::import::{import, Format};

#[derive(Args)]
pub struct ImportArgs {
    /// `.github/labeler.yml`, or a label-to-label YAML file.
    file: PathBuf,
}

/// Prints the rules on stdout and what was left out on stderr. Exit 0 when
/// everything was carried over, 1 when something was not (the rules still
/// print), 2 when the file can't be read as either format.
pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let name = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file).with_context(|| format!("reading {name}"))?;
    let imported = import(&text).with_context(|| format!("importing {name}"))?;
    // What is printed must be rules `check` accepts.
    if let Err(problems) = config::load(&imported.toml) {
        let first = problems
            .first()
            .map(|p| p.message.clone())
            .unwrap_or_default();
        anyhow::bail!("the imported rules do not check: {first}");
    }
    print!("{}", imported.toml);
    let format = match imported.format {
        Format::Labeler => "actions/labeler",
        Format::LabelToLabel => "label-to-label",
    };
    if imported.skipped.is_empty() {
        eprintln!("{name}: {format} configuration imported whole");
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "{name}: {format} configuration imported; {} part(s) not carried over (see the comments):",
        imported.skipped.len()
    );
    for skipped in &imported.skipped {
        eprintln!("  - {skipped}");
    }
    Ok(ExitCode::from(1))
}
