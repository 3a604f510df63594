//! The JSON schema pass of `check`: the schema editors use, with each of
//! its errors reworded for a maintainer and pinned to a key path.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::Value as Json;

use super::diagnostic::{KeyPath, Problem, Segment};
use super::spans::Part;

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
pub(super) fn schema_problems(instance: &Json) -> Vec<(Problem, Part)> {
    let validator = match validator() {
        Ok(validator) => validator,
        Err(internal) => {
            return vec![(
                Problem::error(KeyPath::root(), internal.clone()),
                Part::Value,
            )]
        }
    };
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
