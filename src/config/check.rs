//! `check`: every problem in a rules file, not only the first.
//!
//! Three passes, each only when the one before found the file readable:
//! TOML syntax, then the JSON schema (the same one editors use), then the
//! meaning of the rules (globs, cycles, workflow names). Problems carry a key
//! path; the spanned document turns it into a line and column.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::Value as Json;

use super::diagnostic::{KeyPath, Location, Problem, Segment};
use super::ruleset::{
    CompiledImplication, CompiledPathRule, LabelMatcher, PathMatcher, PatternError, Ruleset,
};
use super::spans::{Part, SpannedDocument};
use super::{CiTarget, Rules, Via};

/// GitHub's limit on a `repository_dispatch` event type.
const MAX_EVENT_TYPE_LEN: usize = 100;

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
    let schema_problems = match validator() {
        Ok(validator) => schema_problems(validator, &json),
        Err(internal) => vec![(
            Problem::error(KeyPath::root(), internal.clone()),
            Part::Value,
        )],
    };
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

fn validator() -> Result<&'static Validator, &'static String> {
    static VALIDATOR: OnceLock<Result<Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            jsonschema::validator_for(schema())
                .map_err(|e| format!("internal error: the rules schema does not compile: {e}"))
        })
        .as_ref()
}

/// Schema errors, each with the key path of the offending value and whether
/// to point at its key (an unknown key) or its value.
fn schema_problems(validator: &Validator, instance: &Json) -> Vec<(Problem, Part)> {
    let mut problems = Vec::new();
    for error in validator.iter_errors(instance) {
        explain(&error, &mut problems);
    }
    problems
}

fn key_path(error: &ValidationError<'_>) -> KeyPath {
    KeyPath(
        error
            .instance_path()
            .iter()
            .map(|segment| match segment {
                LocationSegment::Property(key) => Segment::Key(key.into_owned()),
                LocationSegment::Index(index) => Segment::Index(index),
            })
            .collect(),
    )
}

/// Turns one schema error into problems worded for a maintainer.
fn explain(error: &ValidationError<'_>, out: &mut Vec<(Problem, Part)>) {
    let path = key_path(error);
    let instance = error.instance();
    let problem = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            for key in unexpected {
                let message = match path.segments().is_empty() {
                    true => format!("unknown key `{key}`"),
                    false => format!("unknown key `{key}` in `{path}`"),
                };
                let problem = Problem::error(path.join(key.as_str()), message)
                    .with_help(known_keys_hint(error, key));
                out.push((problem, Part::Key));
            }
            return;
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context }
            if one_of_constants(context).is_some() =>
        {
            let choices = one_of_constants(context).unwrap_or_default();
            Problem::error(
                path.clone(),
                format!(
                    "`{path}` is {instance}, which is not one of {}",
                    choices.join(", ")
                ),
            )
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // An untagged choice (a CI target is a string or a table): explain
            // the branch the value was evidently meant to be.
            let meant = context.iter().find(|branch| {
                !branch.iter().any(|e| {
                    matches!(e.kind(), ValidationErrorKind::Type { .. }) && key_path(e) == path
                })
            });
            match meant {
                Some(branch) if !branch.is_empty() => {
                    for inner in branch {
                        explain(inner, out);
                    }
                    return;
                }
                _ => Problem::error(
                    path.clone(),
                    format!("`{path}` has the wrong type: expected a workflow file name or a table"),
                )
                .with_help(r#"write "trunk.yml", or { workflow = "trunk.yml", via = "workflow_dispatch" }"#),
            }
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => article(&t.to_string()),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| article(&t.to_string()))
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            Problem::error(
                path.clone(),
                format!("`{path}` must be {expected}, not {}", describe(instance)),
            )
        }
        ValidationErrorKind::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            let within = if path.segments().is_empty() {
                "the file".to_owned()
            } else {
                format!("`{path}`")
            };
            Problem::error(
                path.clone(),
                format!("{within} is missing the required key `{key}`"),
            )
        }
        ValidationErrorKind::MinItems { limit } => Problem::error(
            path.clone(),
            match limit {
                1 => format!("`{path}` is empty: list at least one"),
                _ => format!("`{path}` lists too few: at least {limit}"),
            },
        ),
        ValidationErrorKind::Minimum { limit } if last_key(&path) == Some("tracking_issue") => {
            Problem::error(
                path.clone(),
                format!("`{path}` must be a positive issue number, not {instance}"),
            )
            .with_help(format!("the smallest issue number is {limit}"))
        }
        ValidationErrorKind::Minimum { limit } => Problem::error(
            path.clone(),
            format!("`{path}` must be at least {limit}, not {instance}"),
        ),
        ValidationErrorKind::Enum { options } => {
            let choices = options
                .as_array()
                .map(|o| {
                    o.iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            Problem::error(
                path.clone(),
                format!("`{path}` is {instance}, which is not one of {choices}"),
            )
        }
        ValidationErrorKind::Pattern { .. } if last_key(&path) == Some("repository") => {
            Problem::error(
                path.clone(),
                format!("`{path}` must name a repository as `owner/name`, not {instance}"),
            )
        }
        _ => Problem::error(path.clone(), format!("`{path}`: {error}")),
    };
    out.push((problem, Part::Value));
}

/// The allowed values, when every branch of a choice is a single constant
/// (how schemars writes an enum whose variants have doc comments).
fn one_of_constants(context: &[Vec<ValidationError<'static>>]) -> Option<Vec<String>> {
    context
        .iter()
        .map(|branch| match branch.as_slice() {
            [only] => match only.kind() {
                ValidationErrorKind::Constant { expected_value } => {
                    Some(expected_value.to_string())
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn last_key(path: &KeyPath) -> Option<&str> {
    match path.segments().last() {
        Some(Segment::Key(key)) => Some(key),
        _ => None,
    }
}

/// The keys a table accepts, read from the schema fragment that rejected one.
fn known_keys_hint(error: &ValidationError<'_>, unknown: &str) -> String {
    let schema = schema();
    let keyword = error.schema_path().as_str();
    let fragment = keyword
        .strip_suffix("/additionalProperties")
        .and_then(|pointer| schema.pointer(pointer));
    let keys: Vec<&str> = fragment
        .and_then(|f| f.get("properties"))
        .and_then(Json::as_object)
        .map(|props| props.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let closest = keys
        .iter()
        .map(|key| (edit_distance(key, unknown), *key))
        .filter(|(distance, _)| *distance <= 2)
        .min();
    match (closest, keys.is_empty()) {
        (Some((_, key)), _) => format!("did you mean `{key}`?"),
        (None, true) => "remove it".to_owned(),
        (None, false) => format!("expected one of: {}", keys.join(", ")),
    }
}

/// The schema, generated once.
fn schema() -> &'static Json {
    static SCHEMA: OnceLock<Json> = OnceLock::new();
    SCHEMA.get_or_init(super::schema)
}

/// Levenshtein distance, for "did you mean" on short key names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

fn article(kind: &str) -> String {
    match kind {
        "array" => "a list".to_owned(),
        "object" => "a table".to_owned(),
        "integer" => "a whole number".to_owned(),
        "boolean" => "true or false".to_owned(),
        other => format!("a {other}"),
    }
}

fn describe(value: &Json) -> String {
    match value {
        Json::Null => "nothing".to_owned(),
        Json::Bool(b) => format!("the boolean {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => format!("the string {s:?}"),
        Json::Array(_) => "a list".to_owned(),
        Json::Object(_) => "a table".to_owned(),
    }
}

/// The rules' matchers, one per rule and in the rules' order; a list that
/// failed to compile stands in as a matcher of nothing (its problem is
/// reported, and rules with errors are never used).
struct Compiled {
    implies: Vec<CompiledImplication>,
    paths: Vec<CompiledPathRule>,
}

/// What the schema cannot say, found while compiling the rules: globs that
/// don't compile, labels that imply themselves or each other, CI mappings
/// that can't work.
fn compile(rules: &Rules) -> (Compiled, Vec<Problem>) {
    let mut problems = Vec::new();
    let implies_at = KeyPath::root().join("labels").join("implies");
    let mut implies = Vec::with_capacity(rules.labels.implies.len());
    for (i, rule) in rules.labels.implies.iter().enumerate() {
        let at = implies_at.join(i);
        let when = report(
            LabelMatcher::compile(&rule.when),
            &at.join("when"),
            &mut problems,
        );
        let unless = report(
            LabelMatcher::compile(&rule.unless),
            &at.join("unless"),
            &mut problems,
        );
        check_label_names(&at.join("add"), &rule.add, &mut problems);
        for (j, label) in rule.add.iter().enumerate() {
            if rule.when.contains(label) {
                problems.push(
                    Problem::error(at.join("add").join(j), format!("`{label}` implies itself"))
                        .with_help(format!("remove `{label}` from `add`, or from `when`")),
                );
            }
        }
        implies.push(CompiledImplication {
            when,
            unless,
            add: rule.add.clone(),
        });
    }
    if let Some(cycle) = find_cycle(rules, &implies) {
        let chain = cycle_chain(rules, &implies, &cycle);
        problems.push(
            Problem::warning(
                implies_at.join(cycle[0]),
                format!(
                    "label implications form a cycle: {}; harmless, since each label is added once",
                    chain.join(" -> ")
                ),
            )
            .with_help("a cycle usually means one rule is written backwards"),
        );
    }

    let paths_at = KeyPath::root().join("labels").join("paths");
    let mut paths = Vec::with_capacity(rules.labels.paths.len());
    for (i, rule) in rules.labels.paths.iter().enumerate() {
        let at = paths_at.join(i);
        let files = report(
            PathMatcher::compile(&rule.files),
            &at.join("files"),
            &mut problems,
        );
        check_label_names(&at.join("add"), &rule.add, &mut problems);
        paths.push(CompiledPathRule {
            files,
            add: rule.add.clone(),
        });
    }

    check_ci(rules, &mut problems);
    (Compiled { implies, paths }, problems)
}

/// The matcher, or a matcher of nothing with the list's problems reported.
fn report<M: Default>(
    compiled: Result<M, Vec<PatternError>>,
    at: &KeyPath,
    problems: &mut Vec<Problem>,
) -> M {
    compiled.unwrap_or_else(|errors| {
        problems.extend(
            errors
                .into_iter()
                .map(|(i, message)| Problem::error(at.join(i), message)),
        );
        M::default()
    })
}

fn check_label_names(at: &KeyPath, labels: &[String], problems: &mut Vec<Problem>) {
    for (i, label) in labels.iter().enumerate() {
        if label.trim().is_empty() {
            problems.push(Problem::error(at.join(i), "a label name can't be empty"));
        }
    }
}

/// The labels around a cycle of rules, first label repeated at the end:
/// `a -> b -> a`.
fn cycle_chain(rules: &Rules, compiled: &[CompiledImplication], cycle: &[usize]) -> Vec<String> {
    let implies = &rules.labels.implies;
    // The label rule `cycle[k]` adds that triggers the next rule round.
    let links: Vec<String> = (0..cycle.len())
        .map(|k| {
            let next = &compiled[cycle[(k + 1) % cycle.len()]].when;
            let adds = &implies[cycle[k]].add;
            adds.iter()
                .find(|l| next.matches(l))
                .unwrap_or(&adds[0])
                .clone()
        })
        .collect();
    let mut chain = vec![format!("`{}`", links[links.len() - 1])];
    chain.extend(links.iter().map(|l| format!("`{l}`")));
    chain
}

/// Indexes of implication rules that feed each other in a loop, if any.
/// Rule A feeds rule B when a label A adds matches B's `when`. A rule that
/// names the same label in `when` and `add` is reported as an error on its
/// own, so it is not a cycle here.
fn find_cycle(rules: &Rules, compiled: &[CompiledImplication]) -> Option<Vec<usize>> {
    let matchers: Vec<&LabelMatcher> = compiled.iter().map(|rule| &rule.when).collect();
    let feeds: Vec<Vec<usize>> = rules
        .labels
        .implies
        .iter()
        .enumerate()
        .map(|(a, rule)| {
            (0..matchers.len())
                .filter(|&b| {
                    rule.add.iter().any(|label| {
                        matchers[b].matches(label) && !(a == b && rule.when.contains(label))
                    })
                })
                .collect()
        })
        .collect();

    // Depth-first search with colours; the first back edge closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    fn visit(
        node: usize,
        feeds: &[Vec<usize>],
        colour: &mut [Colour],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        colour[node] = Colour::Grey;
        stack.push(node);
        for &next in &feeds[node] {
            match colour[next] {
                Colour::Grey => {
                    let start = stack.iter().position(|&n| n == next).unwrap_or(0);
                    return Some(stack[start..].to_vec());
                }
                Colour::White => {
                    if let Some(cycle) = visit(next, feeds, colour, stack) {
                        return Some(cycle);
                    }
                }
                Colour::Black => {}
            }
        }
        stack.pop();
        colour[node] = Colour::Black;
        None
    }
    let mut colour = vec![Colour::White; feeds.len()];
    for node in 0..feeds.len() {
        if colour[node] == Colour::White {
            if let Some(cycle) = visit(node, &feeds, &mut colour, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

fn check_ci(rules: &Rules, problems: &mut Vec<Problem>) {
    let labels = KeyPath::root().join("ci").join("labels");
    // GitHub label names are unique regardless of case, so these two keys
    // would name one label.
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (label, target) in &rules.ci.labels {
        let at = labels.join(label.as_str());
        if let Some(first) = seen.insert(label.to_lowercase(), label) {
            problems.push(
                Problem::error(
                    at.clone(),
                    format!("`{label}` is mapped twice (also as `{first}`)"),
                )
                .with_help("GitHub label names ignore case: keep one mapping"),
            );
        }
        if label.trim().is_empty() {
            problems.push(Problem::error(at.clone(), "a label name can't be empty"));
        }
        let workflow_at = match target {
            CiTarget::Workflow(_) => at.clone(),
            CiTarget::Job(_) => at.join("workflow"),
        };
        if let Some(workflow) = target.workflow() {
            if !is_workflow_name(workflow) {
                problems.push(
                    Problem::error(
                        workflow_at,
                        format!("`{workflow}` is neither a workflow file name nor a workflow id"),
                    )
                    .with_help("name the file in .github/workflows, such as `trunk.yml`, or its numeric id"),
                );
            }
        }
        let CiTarget::Job(job) = target else {
            check_tag_label(label, &at, problems);
            continue;
        };
        match job.via {
            Via::Tag => check_tag_label(label, &at, problems),
            Via::WorkflowDispatch if job.workflow.is_none() => problems.push(
                Problem::error(
                    at.clone(),
                    format!("`{label}` uses workflow_dispatch but names no workflow"),
                )
                .with_help("add `workflow = \"name.yml\"`"),
            ),
            Via::WorkflowDispatch => {}
            Via::RepositoryDispatch => {
                let event_type = job.event_type.as_deref().unwrap_or(label);
                if event_type.chars().count() > MAX_EVENT_TYPE_LEN {
                    problems.push(Problem::error(
                        at.join("event_type"),
                        format!(
                            "the event type is {} characters long; GitHub allows at most {MAX_EVENT_TYPE_LEN}",
                            event_type.chars().count()
                        ),
                    ));
                }
            }
        }
        if job.event_type.is_some() && job.via != Via::RepositoryDispatch {
            problems.push(Problem::warning(
                at.join("event_type"),
                "`event_type` is only used with `via = \"repository_dispatch\"`",
            ));
        }
    }
    for (i, prefix) in rules.ci.prefixes.iter().enumerate() {
        if prefix.is_empty() {
            problems.push(Problem::error(
                KeyPath::root().join("ci").join("prefixes").join(i),
                "an empty prefix would mark every label as a CI label",
            ));
        }
    }
}

/// A workflow is named by its file (`trunk.yml`) or its numeric id.
fn is_workflow_name(workflow: &str) -> bool {
    let is_id = !workflow.is_empty() && workflow.bytes().all(|b| b.is_ascii_digit());
    let is_file = (workflow.ends_with(".yml") || workflow.ends_with(".yaml"))
        && !workflow.contains('/')
        && workflow.len() > ".yml".len();
    is_id || is_file
}

/// In tag mode the label becomes part of a git tag, `<label>/<number>`.
fn check_tag_label(label: &str, at: &KeyPath, problems: &mut Vec<Problem>) {
    if let Some(reason) = git_ref_problem(label) {
        problems.push(
            Problem::error(
                at.clone(),
                format!("`{label}` can't be part of a git tag name: {reason}"),
            )
            .with_help(
                "rename the label, or start the workflow with `via = \"workflow_dispatch\"`",
            ),
        );
    }
}

/// Why `name` can't be a component of a git ref, after `git check-ref-format`.
fn git_ref_problem(name: &str) -> Option<&'static str> {
    if name.chars().any(|c| c.is_ascii_control() || c == ' ') {
        return Some("it contains a space or a control character");
    }
    if name
        .chars()
        .any(|c| matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
    {
        return Some("it contains one of ~ ^ : ? * [ \\");
    }
    if name.contains("..") || name.contains("@{") || name.contains("//") {
        return Some("it contains `..`, `@{` or `//`");
    }
    if name.starts_with('/') || name.ends_with('/') || name.ends_with('.') {
        return Some("it starts or ends with `/`, or ends with `.`");
    }
    if name
        .split('/')
        .any(|part| part.starts_with('.') || part.ends_with(".lock"))
    {
        return Some("a part starts with `.` or ends with `.lock`");
    }
    None
}
