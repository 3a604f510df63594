//! `check`: every problem in a rules file, not only the first.
//!
//! Three passes, each only when the one before found the file readable:
//! TOML syntax, then the JSON schema (the same one editors use), then the
//! meaning of the rules (globs, cycles, workflow names). Problems carry a key
//! path; the spanned document turns it into a line and column.

use serde_json::Value as Json;

use super::diagnostic::{KeyPath, Location, Problem, Segment};
use super::meaning::compile;
use super::ruleset::Ruleset;
use super::schema_check::schema_problems;
use super::spans::{Part, SpannedDocument};
use super::Rules;

/// The outcome of checking a rules file: the compiled rules when they are
/// usable, and every problem found, errors first, in file order.
#[derive(Debug)]
pub struct Checked {
    /// `Some` when there are no errors (warnings allowed).
    pub ruleset: Option<Ruleset>,
    pub problems: Vec<Problem>,
}

/// The one way from rules text to rules the planner can use: the rules,
/// or every problem (errors first) when there is an error. Warnings alone
/// don't stop a file from loading.
pub fn load(source: &str) -> Result<Ruleset, Vec<Problem>> {
    let checked = check(source);
    checked.ruleset.ok_or(checked.problems)
}

/// Checks the text of a rules file.
pub fn check(source: &str) -> Checked {
    let document = match SpannedDocument::parse(source) {
        Ok(document) => document,
        Err(problems) => return finish(None, problems),
    };
    let locate = |problem: Problem, part: Part| locate(source, &document, problem, part);

    let json = document.to_json();
    let schema_problems = schema_problems(&json);
    let mut problems: Vec<Problem> = schema_problems
        .iter()
        .map(|(p, part)| locate(p.clone(), *part))
        .collect();

    let rules = match schema_problems.is_empty() {
        true => {
            match serde_json::from_value::<Rules>(json.clone()) {
                Ok(rules) => Some(rules),
                Err(mismatch) => {
                    problems.push(Problem::error(
                    KeyPath::root(),
                    format!("internal error: the file passed the schema but not the types: {mismatch}"),
                ));
                    None
                }
            }
        }
        false => None,
    };
    // Sections the schema found nothing wrong with still get their meaning
    // checked, so one run reports every problem in the file.
    let partial;
    let checkable = match &rules {
        Some(rules) => rules,
        None => {
            partial = Rules {
                cc: None,
                labels: sound_section(&json, "labels", &schema_problems),
                ci: sound_section(&json, "ci", &schema_problems),
            };
            &partial
        }
    };
    let (compiled, semantic) = compile(checkable);
    problems.extend(semantic.into_iter().map(|p| locate(p, Part::Value)));
    let usable = !problems.iter().any(Problem::is_error);
    let ruleset = rules.filter(|_| usable).map(|rules| Ruleset {
        rules,
        implies: compiled.implies,
        paths: compiled.paths,
    });
    finish(ruleset, problems)
}

/// A top-level section the schema raised nothing about, or its default.
fn sound_section<T: serde::de::DeserializeOwned + Default>(
    json: &Json,
    name: &str,
    schema_problems: &[(Problem, Part)],
) -> T {
    let touched = schema_problems.iter().any(|(p, _)| {
        p.path
            .segments()
            .first()
            .is_none_or(|s| *s == Segment::Key(name.to_owned()))
    });
    match (touched, json.get(name)) {
        (false, Some(section)) => serde_json::from_value(section.clone()).unwrap_or_default(),
        _ => T::default(),
    }
}

fn finish(ruleset: Option<Ruleset>, mut problems: Vec<Problem>) -> Checked {
    problems.sort_by_key(|p| {
        let start = p.location.as_ref().map_or(usize::MAX, |l| l.span.start);
        (p.severity, start)
    });
    Checked { ruleset, problems }
}

fn locate(
    source: &str,
    document: &SpannedDocument<'_>,
    mut problem: Problem,
    part: Part,
) -> Problem {
    if problem.location.is_none() {
        problem.location = document
            .span(&problem.path, part)
            .map(|span| Location::of(source, span));
    }
    problem
}
