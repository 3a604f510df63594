//! `check`: every problem in a rules file, not only the first.
//!
//! Three passes, each only when the one before found the file readable:
//! TOML syntax, then the JSON schema (the same one editors use), then the
//! meaning of the rules (globs, cycles, workflow names). Problems carry a key
//! path; the spanned document turns it into a line and column.

use serde_json::Value as Json;

use super::diagnostic::{KeyPath, Location, Problem, Segment, Severity};
use super::extends::{merge, Base, Locator, RulesRef, Source};
use super::meaning::{compile, Compiled};
use super::ruleset::Ruleset;
use super::schema_check::schema_problems;
use super::spans::{Part, SpannedDocument};
use super::Rules;
use crate::limits::{
    MAX_PATTERNS_PER_RULE, MAX_PATTERNS_TOTAL, MAX_PATTERN_CHARS, MAX_PICK_CANDIDATES,
    MAX_PROBLEMS, MAX_REGEXES, MAX_RULES_BYTES, MAX_RULES_DEPTH, MAX_RULES_PER_LIST,
    MAX_SUBSCRIBERS_PER_LABEL,
};

/// The outcome of checking a rules file: the compiled rules when they are
/// usable, and every problem found, errors first, in file order.
#[derive(Debug)]
pub struct Checked {
    /// `Some` when there are no errors (warnings allowed).
    pub ruleset: Option<Ruleset>,
    /// The first `MAX_PROBLEMS`, and a line saying how many more.
    pub problems: Vec<Problem>,
    /// Every error found, shown or not.
    pub errors: usize,
    /// Every warning found, shown or not.
    pub warnings: usize,
}

/// Problems found but not located or shown (past `MAX_PROBLEMS`): counted.
#[derive(Debug, Clone, Copy, Default)]
struct Unshown {
    errors: usize,
    warnings: usize,
}

/// The one way from rules text to rules the planner can use: the rules,
/// or every problem (errors first) when there is an error. Warnings alone
/// don't stop a file from loading.
pub fn load(source: &str) -> Result<Ruleset, Vec<Problem>> {
    let checked = check(source);
    checked.ruleset.ok_or(checked.problems)
}

/// Checks the text of a rules file within `budget`; `None` when the work
/// was cut off at it (a file made to be slow to compile). Linear work
/// (parsing, the schema, globs) is bounded by the size limits; compiling
/// regexes stops at the budget, past it by one regex's compile at most.
pub fn check_within(
    source: &str,
    base: Option<Base<'_>>,
    budget: std::time::Duration,
) -> Option<Checked> {
    let deadline = std::time::Instant::now() + budget;
    let (checked, ran_out) =
        super::condition::within_deadline(deadline, || check_extending(source, base));
    (!ran_out).then_some(checked)
}

/// Checks the text of a rules file. A file that `extends` another is
/// checked alone, with a warning that its base was not read.
pub fn check(source: &str) -> Checked {
    check_extending(source, None)
}

/// Checks the text of a rules file merged onto its base (`extends`, or the
/// organization's file), each problem located in the file it is in.
pub fn check_extending(source: &str, base: Option<Base<'_>>) -> Checked {
    let too_large = |bytes: usize| {
        format!(
            "the rules file is {} KiB; probot reads at most {} KiB",
            bytes.div_ceil(1024),
            MAX_RULES_BYTES / 1024
        )
    };
    if source.len() > MAX_RULES_BYTES {
        let problem = Problem::error(KeyPath::root(), too_large(source.len()));
        return finish(None, vec![problem], Unshown::default());
    }
    let document = match SpannedDocument::parse(source) {
        Ok(document) => document,
        Err((problems, total)) => {
            let unshown = Unshown {
                errors: total - problems.len(),
                warnings: 0,
            };
            return finish(None, problems, unshown);
        }
    };
    let json = document.to_json();
    let mut locator = Locator {
        own: Source {
            text: source,
            document,
            json,
        },
        base: None,
    };
    if let Some(path) = too_deep(&locator.own.json) {
        return finish(None, vec![deep(&locator, path)], Unshown::default());
    }
    let mut problems = Vec::new();
    match base {
        Some(base) => {
            let in_base = |mut problem: Problem| {
                problem.file = Some(base.name.to_string());
                problem
            };
            if base.text.len() > MAX_RULES_BYTES {
                let problem = Problem::error(KeyPath::root(), too_large(base.text.len()));
                return finish(None, vec![in_base(problem)], Unshown::default());
            }
            let document = match SpannedDocument::parse(base.text) {
                Ok(document) => document,
                Err((shown, total)) => {
                    let unshown = Unshown {
                        errors: total - shown.len(),
                        warnings: 0,
                    };
                    return finish(None, shown.into_iter().map(in_base).collect(), unshown);
                }
            };
            let base_json = document.to_json();
            let source = Source {
                text: base.text,
                document,
                json: base_json,
            };
            if let Some(path) = too_deep(&source.json) {
                let problem = Problem::error(
                    path,
                    format!("the rules nest deeper than {MAX_RULES_DEPTH} tables and arrays"),
                );
                let located = locate(base.text, &source.document, problem, Part::Value);
                return finish(None, vec![in_base(located)], Unshown::default());
            }
            if let Some(further) = source.json.get("extends").and_then(|v| v.as_str()) {
                let message = match (RulesRef::extended(further, &base.name.owner), base.of) {
                    (Some(target), Some(own)) if target == *own => {
                        format!("a cycle: {own} extends {}, which extends {own}", base.name)
                    }
                    _ => format!(
                        "{} extends `{further}` in turn; probot follows one `extends`",
                        base.name
                    ),
                };
                let problem = Problem::error(KeyPath::root().join("extends"), message)
                    .with_help("a base file may not extend another");
                let located = locate(base.text, &source.document, problem, Part::Value);
                return finish(None, vec![in_base(located)], Unshown::default());
            }
            let merged = merge(&source.json, &locator.own.json, &mut problems);
            locator.base = Some((source, base.name, merged));
        }
        None => {
            if let Some(extends) = locator.own.json.get("extends").and_then(|v| v.as_str()) {
                problems.push(
                    Problem::warning(
                        KeyPath::root().join("extends"),
                        format!(
                            "`{extends}` was not read: these rules are checked without their base"
                        ),
                    )
                    .with_help("`probot check --base FILE` checks them merged onto it"),
                );
            }
        }
    }
    let json = match &locator.base {
        Some((_, _, merged)) => merged.json.clone(),
        None => locator.own.json.clone(),
    };
    if locator.own.json.get("disable").is_some() && locator.own.json.get("extends").is_none() {
        problems.push(
            Problem::error(
                KeyPath::root().join("disable"),
                "`disable` leaves out rules of the base, and this file extends none",
            )
            .with_help("add `extends`, or remove `disable`"),
        );
    }
    let locate = |problem: Problem, part: Part| locator.locate(problem, part);
    let mut problems: Vec<Problem> = problems
        .into_iter()
        .map(|p| locate(p, Part::Value))
        .collect();
    let schema_problems = schema_problems(&json);
    let mut unshown = Unshown {
        errors: schema_problems.len().saturating_sub(MAX_PROBLEMS + 1),
        warnings: 0,
    };
    problems.extend(
        schema_problems
            .iter()
            .take(MAX_PROBLEMS + 1)
            .map(|(p, part)| locate(p.clone(), *part)),
    );

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
                extends: None,
                disable: Vec::new(),
                backtest: None,
                cc: None,
                labels: sound_section(&json, "labels", &schema_problems),
                ci: sound_section(&json, "ci", &schema_problems),
                rules: sound_section(&json, "rules", &schema_problems),
                commands: sound_section(&json, "commands", &schema_problems),
            };
            &partial
        }
    };
    // Past the limits, the meaning pass (quadratic in rules for cycles) is
    // not run: the file is refused on its size alone.
    let oversized = oversized(&json, checkable);
    let (compiled, semantic) = match oversized.is_empty() {
        true => compile(checkable),
        false => (Compiled::default(), oversized),
    };
    for problem in semantic.iter().skip(MAX_PROBLEMS + 1) {
        match problem.is_error() {
            true => unshown.errors += 1,
            false => unshown.warnings += 1,
        }
    }
    problems.extend(
        semantic
            .into_iter()
            .take(MAX_PROBLEMS + 1)
            .map(|p| locate(p, Part::Value)),
    );
    let usable = !problems.iter().any(Problem::is_error);
    let ruleset = rules.filter(|_| usable).map(|rules| {
        let respect_removals_for = rules
            .labels
            .respect_removals_for
            .as_deref()
            .and_then(super::duration_secs);
        let mut label_rules = compiled.label_rules;
        for rule in &mut label_rules {
            // Named as in the file it is in.
            (rule.file, rule.at, rule.line) = locator.place_of(&rule.at);
        }
        Ruleset {
            file: rules,
            label_rules,
            file_index: compiled.file_index,
            cc_paths: compiled.cc_paths,
            respect_removals_for,
            issues_only: compiled.issues_only,
            pull_requests_only: compiled.pull_requests_only,
            required: compiled.required,
            label_commands: compiled.label_commands,
        }
    });
    finish(ruleset, problems, unshown)
}

/// The own file nested too deep, located.
fn deep(locator: &Locator<'_>, path: KeyPath) -> Problem {
    let problem = Problem::error(
        path,
        format!("the rules nest deeper than {MAX_RULES_DEPTH} tables and arrays"),
    )
    .with_help("flatten the condition: `all` and `any` take lists");
    locator.locate(problem, Part::Value)
}

/// The path to the first value nested deeper than `MAX_RULES_DEPTH`, found
/// without recursion.
fn too_deep(json: &Json) -> Option<KeyPath> {
    let mut stack = vec![(json, KeyPath::root())];
    while let Some((value, at)) = stack.pop() {
        if at.segments().len() > MAX_RULES_DEPTH {
            return Some(at);
        }
        match value {
            Json::Object(map) => {
                stack.extend(map.iter().map(|(k, v)| (v, at.join(k.as_str()))));
            }
            Json::Array(items) => {
                stack.extend(items.iter().enumerate().map(|(i, v)| (v, at.join(i))))
            }
            _ => {}
        }
    }
    None
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

/// Errors first, in file order, at most `MAX_PROBLEMS` of them and a last
/// line saying how many more there are.
fn finish(ruleset: Option<Ruleset>, mut problems: Vec<Problem>, unshown: Unshown) -> Checked {
    problems.sort_by_key(|p| {
        let start = p.location.as_ref().map_or(usize::MAX, |l| l.span.start);
        (p.severity, start)
    });
    let shown_errors = problems.iter().filter(|p| p.is_error()).count();
    let errors = shown_errors + unshown.errors;
    let warnings = problems.len() - shown_errors + unshown.warnings;
    if errors + warnings > MAX_PROBLEMS {
        let more = errors + warnings - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        let severity = problems.last().map_or(Severity::Error, |p| p.severity);
        problems.push(Problem {
            severity,
            ..Problem::error(
                KeyPath::root(),
                format!("and {more} more problems not shown: probot check reports the first {MAX_PROBLEMS}"),
            )
        });
    }
    Checked {
        ruleset,
        problems,
        errors,
        warnings,
    }
}

/// Lists longer than the limits: each is one problem, and the file is not
/// compiled. One walk over every array in the document, whatever its key,
/// so a list added to the rules later is held to the limits too: a list of
/// tables (rules, mappings, permissions) to `MAX_RULES_PER_LIST`, a list of
/// names or globs to `MAX_PATTERNS_PER_RULE` (and all of them together to
/// `MAX_PATTERNS_TOTAL`), but for the two kinds of lists of people, which
/// have limits of their own; and every entry to `MAX_PATTERN_CHARS`.
fn oversized(json: &Json, rules: &Rules) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut total = 0;
    // An explicit stack: depth is checked before, but this runs on the
    // rules of a fork too, so it does not lean on that.
    let mut stack = vec![(KeyPath::root(), json)];
    while let Some((at, value)) = stack.pop() {
        let list = match value {
            Json::Object(table) => {
                for (key, value) in table {
                    stack.push((at.join(key.as_str()), value));
                }
                continue;
            }
            Json::Array(list) => list,
            _ => continue,
        };
        let key = match at.segments().last() {
            Some(Segment::Key(key)) => key.as_str(),
            _ => "",
        };
        let of_tables = list.iter().any(Json::is_object);
        let (limit, what) = match key {
            _ if of_tables => (MAX_RULES_PER_LIST, "rules"),
            // A cc rule's people: as many as subscribe to one label.
            "users" => (MAX_SUBSCRIBERS_PER_LABEL, "users"),
            // Review routing weighs each candidate's load: a read each.
            "request_reviewers" | "assign" => (MAX_PICK_CANDIDATES, "people"),
            _ => {
                total += list.len();
                (MAX_PATTERNS_PER_RULE, "entries")
            }
        };
        if list.len() > limit {
            let message = match what {
                "people" => format!("{} people; a rule picks among at most {limit}", list.len()),
                _ => format!("{} {what}; probot takes at most {limit}", list.len()),
            };
            problems.push(Problem::error(at.clone(), message));
        }
        for (i, entry) in list.iter().enumerate() {
            match entry {
                Json::String(text) if text.chars().count() > MAX_PATTERN_CHARS => {
                    problems.push(Problem::error(
                        at.join(i),
                        format!("this entry is longer than {MAX_PATTERN_CHARS} characters"),
                    ));
                }
                Json::Object(_) | Json::Array(_) => stack.push((at.join(i), entry)),
                _ => {}
            }
        }
    }
    if total > MAX_PATTERNS_TOTAL {
        problems.push(Problem::error(
            KeyPath::root().join("labels"),
            format!(
                "{total} label names and globs in all; probot takes at most {MAX_PATTERNS_TOTAL}"
            ),
        ));
    }
    let regexes: usize = rules
        .rules
        .iter()
        .map(|rule| super::condition::regexes(&rule.when))
        .sum();
    if regexes > MAX_REGEXES {
        problems.push(Problem::error(
            KeyPath::root().join("rules"),
            format!("{regexes} regular expressions; probot takes at most {MAX_REGEXES}"),
        ));
    }
    problems
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
