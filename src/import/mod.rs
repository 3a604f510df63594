//! `probot import`: an existing labelling configuration turned into probot
//! rules, printed as TOML with a comment wherever something could not be
//! carried over. Two formats:
//!
//! - actions/labeler's `.github/labeler.yml`, v4 (`label: [glob, {any:
//!   [...]}, {all: [...]}]`) and v5 (`label: [{changed-files:
//!   [{any-glob-to-any-file: [...]}]}, {head-branch: [...]}, {all: [...]}]`).
//!   Each label becomes a `[[rules]]` entry with labeler's meaning (v5 to
//!   v7): top-level entries and-ed, bare options gathered into the first
//!   `any`, the four quantifiers and negated globs, globs from the root,
//!   branch patterns that are plain text or alternatives of it, and
//!   `max-files-changed`. The rest is named in a comment. The README's
//!   "Moving from actions/labeler" says what carries over.
//! - pytorch-probot's label-to-label YAML (`- any: [labels] then: [labels]`):
//!   `any` becomes an implication, `all` a rule on `labels.all`.
//!
//! Pure: text in, text out; the caller checks the result with `check`.

use serde::Serialize;
use serde_yaml::Value;

use crate::config::{Condition, FilesCondition, LabelsCondition, Rule, Size};

/// Which configuration the text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Labeler,
    LabelToLabel,
}

/// The rules, as TOML, and what was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub format: Format,
    pub toml: String,
    pub skipped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("neither a labeler.yml (a map of label to rules) nor a label-to-label list (items with `then`)")]
    Unknown,
}

/// Reads either format, telling them apart by shape.
pub fn import(text: &str) -> Result<Imported, ImportError> {
    let value: Value = serde_yaml::from_str(text)?;
    match &value {
        Value::Mapping(map) => Ok(labeler(map)),
        Value::Sequence(items) if items.iter().all(|i| i.get("then").is_some()) => {
            Ok(label_to_label(items))
        }
        _ => Err(ImportError::Unknown),
    }
}

fn quote(text: &str) -> String {
    // TOML basic strings take JSON's escapes.
    serde_json::to_string(text).unwrap_or_default()
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| quote(i)).collect();
    format!("[{}]", quoted.join(", "))
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// One rule as TOML: `[[rules]]` and its keys.
fn rule_toml(rule: Rule) -> String {
    #[derive(Serialize)]
    struct One {
        rules: Vec<Rule>,
    }
    toml::to_string(&One { rules: vec![rule] }).unwrap_or_default()
}

/// A rule name from a label, when the label is one (names are plainer).
fn name_of(label: &str) -> Option<String> {
    let mut chars = label.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && label.len() <= 64
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.:/-".contains(c));
    plain.then(|| label.to_owned())
}

/// labeler's top-level options: not labels.
const MAX_FILES_CHANGED: &str = "max-files-changed";
const LABELS_LIMIT: &str = "changed-files-labels-limit";

fn labeler(map: &serde_yaml::Mapping) -> Imported {
    let mut out = String::from(
        "# Imported from actions/labeler's .github/labeler.yml (v4 or v5, with the\n\
         # meaning actions/labeler v5 to v7 give it).\n\
         # labeler's `sync-labels: true` input is `sync = true` on a rule. Its\n\
         # `dot: false` input (globs skip dot files) has no counterpart: probot's\n\
         # globs match dot files, as labeler's do by default.\n",
    );
    let mut skipped = Vec::new();
    let max_files = map.get(MAX_FILES_CHANGED).and_then(Value::as_u64);
    if map.get(MAX_FILES_CHANGED).is_some() && max_files.is_none() {
        skipped.push(format!("`{MAX_FILES_CHANGED}` is not a whole number"));
    }
    if let Some(limit) = map.get(LABELS_LIMIT) {
        let note = format!(
            "`{LABELS_LIMIT}: {}` (no file label when more than that many would be new) has no counterpart in probot",
            serde_yaml::to_string(limit).unwrap_or_default().trim()
        );
        out.push_str(&format!("# not carried over: {note}\n"));
        skipped.push(note);
    }
    if let Some(max) = max_files {
        out.push_str(&format!(
            "# `{MAX_FILES_CHANGED}: {max}`: each rule on files also says `changed_files.max = {max}`.\n"
        ));
    }
    for (label, rules) in map {
        let Some(label) = label.as_str() else {
            continue;
        };
        if label == MAX_FILES_CHANGED || label == LABELS_LIMIT {
            continue;
        }
        let mut notes: Vec<String> = Vec::new();
        let entries: Vec<&Value> = match rules {
            Value::Sequence(items) => items.iter().collect(),
            other => vec![other],
        };
        let v5 = entries.iter().any(|e| is_v5(e));
        let when = match v5 {
            true => v5_label(&entries, &mut notes),
            false => v4_label(&entries, &mut notes),
        };
        out.push('\n');
        for note in &notes {
            out.push_str(&format!(
                "# not carried over for {}: {note}\n",
                quote(label)
            ));
            skipped.push(format!("{label}: {note}"));
        }
        let Some(mut when) = when else {
            out.push_str(&format!("# {} has nothing probot can use\n", quote(label)));
            continue;
        };
        if let (Some(max), true) = (max_files, uses_files(&when)) {
            when = Condition {
                all: Some(vec![
                    when,
                    Condition {
                        changed_files: Some(Size {
                            min: None,
                            max: Some(max),
                        }),
                        ..Condition::default()
                    },
                ]),
                ..Condition::default()
            };
        }
        out.push_str(&rule_toml(Rule {
            name: name_of(label),
            when,
            add: vec![label.to_owned()],
            ..Rule::default()
        }));
    }
    Imported {
        format: Format::Labeler,
        toml: out,
        skipped,
    }
}

/// Whether a condition reads the changed files (labeler's "changed-files
/// label", which `max-files-changed` switches off).
fn uses_files(condition: &Condition) -> bool {
    condition.files.is_some()
        || condition.any.iter().flatten().any(uses_files)
        || condition.all.iter().flatten().any(uses_files)
        || condition.not.as_deref().is_some_and(uses_files)
}

/// A v5 entry: an object with v5's keys, or `any`/`all` of objects.
fn is_v5(entry: &Value) -> bool {
    let Value::Mapping(object) = entry else {
        return false;
    };
    object.iter().any(|(key, value)| match key.as_str() {
        Some("changed-files" | "head-branch" | "base-branch") => true,
        Some("any" | "all") => value
            .as_sequence()
            .is_some_and(|s| s.iter().any(Value::is_mapping)),
        _ => false,
    })
}

fn any_of(mut parts: Vec<Condition>) -> Option<Condition> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Condition {
            any: Some(parts),
            ..Condition::default()
        }),
    }
}

fn all_of(mut parts: Vec<Condition>) -> Option<Condition> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Condition {
            all: Some(parts),
            ..Condition::default()
        }),
    }
}

fn files(set: impl FnOnce(&mut FilesCondition)) -> Condition {
    let mut files = FilesCondition::default();
    set(&mut files);
    Condition {
        files: Some(files),
        ..Condition::default()
    }
}

/// A labeler glob as a probot glob. labeler matches from the root with
/// minimatch, so a glob without `/` is a root name (`*`: the root's files;
/// `DEPS`: the root `DEPS`); in probot that takes a leading `/`.
fn glob(pattern: &str) -> String {
    let (bang, positive) = match pattern.strip_prefix('!') {
        Some(rest) => ("!", rest),
        None => ("", pattern),
    };
    match positive.contains('/') {
        true => pattern.to_owned(),
        false => format!("{bang}/{positive}"),
    }
}

fn globs(value: &Value) -> Vec<String> {
    strings(value).iter().map(|g| glob(g)).collect()
}

/// v4: the entries are alternatives. A bare glob: some file matches it;
/// `any: [globs]`: some file matches every glob; `all: [globs]`: every
/// file matches every glob; an object with both: both.
fn v4_label(entries: &[&Value], notes: &mut Vec<String>) -> Option<Condition> {
    let mut alternatives = Vec::new();
    for entry in entries {
        match entry {
            Value::Mapping(object) => {
                let mut parts = Vec::new();
                for (key, value) in object {
                    let globs = Some(globs(value));
                    match key.as_str() {
                        Some("any") => parts.push(files(|f| f.all_globs_to_any_file = globs)),
                        Some("all") => parts.push(files(|f| f.all_globs_to_all_files = globs)),
                        other => notes.push(format!(
                            "`{}` {}",
                            other.unwrap_or("?"),
                            list(&strings(value))
                        )),
                    }
                }
                alternatives.extend(all_of(parts));
            }
            other => {
                for g in globs(other) {
                    alternatives.push(files(|f| f.any_glob_to_any_file = Some(vec![g])));
                }
            }
        }
    }
    // Bare globs side by side are one list.
    let (bare, rest): (Vec<Condition>, Vec<Condition>) = alternatives.into_iter().partition(|c| {
        c.files
            .as_ref()
            .is_some_and(|f| f.any_glob_to_any_file.is_some())
    });
    let bare: Vec<String> = bare
        .into_iter()
        .filter_map(|c| c.files?.any_glob_to_any_file)
        .flatten()
        .collect();
    let mut alternatives = rest;
    if !bare.is_empty() {
        alternatives.insert(0, files(|f| f.any_glob_to_any_file = Some(bare)));
    }
    any_of(alternatives)
}

/// v5: each top-level `any:` or `all:` entry must hold; bare options join
/// the first `any` entry (made where there is none yet), as labeler
/// gathers them.
fn v5_label(entries: &[&Value], notes: &mut Vec<String>) -> Option<Condition> {
    // Each top-level entry: whether it is `all`, and its options as
    // (key, value) pairs. Options of one object inside `any`/`all` are
    // or-ed/and-ed with the others, so they can be listed flat.
    let mut tops: Vec<(bool, Vec<(&str, &Value)>)> = Vec::new();
    for entry in entries {
        let Value::Mapping(object) = entry else {
            notes.push(format!("`{}` (not a v5 option)", list(&strings(entry))));
            continue;
        };
        for (key, value) in object {
            match key.as_str() {
                Some(kind @ ("any" | "all")) => {
                    let mut options = Vec::new();
                    for option in value.as_sequence().into_iter().flatten() {
                        match option {
                            Value::Mapping(object) => options
                                .extend(object.iter().map(|(k, v)| (k.as_str().unwrap_or("?"), v))),
                            other => {
                                notes.push(format!("`{}` (not a v5 option)", list(&strings(other))))
                            }
                        }
                    }
                    tops.push((kind == "all", options));
                }
                Some(option @ ("changed-files" | "head-branch" | "base-branch")) => {
                    match tops.iter_mut().find(|(all, _)| !all) {
                        Some((_, options)) => options.push((option, value)),
                        None => tops.push((false, vec![(option, value)])),
                    }
                }
                other => notes.push(format!(
                    "`{}` {}",
                    other.unwrap_or("?"),
                    list(&strings(value))
                )),
            }
        }
    }
    let mut parts = Vec::new();
    for (all, options) in tops {
        let unsaid = notes.len();
        let inner: Vec<Condition> = options
            .into_iter()
            .flat_map(|(key, value)| v5_option(key, value, all, notes))
            .collect();
        // What can't be said drops the label where leaving it out would
        // label more than labeler does: a part of an `all`, or an `any`
        // with nothing left. Left out of an `any`, it only labels less.
        if all && notes.len() > unsaid {
            return None;
        }
        let part = match all {
            true => all_of(inner),
            false => any_of(inner),
        };
        parts.push(part?);
    }
    all_of(parts)
}

/// One v5 option (`changed-files`, `head-branch`, `base-branch`) inside
/// `any` (one of its patterns or quantifiers suffices) or `all` (each of
/// them must hold).
fn v5_option(key: &str, value: &Value, all: bool, notes: &mut Vec<String>) -> Vec<Condition> {
    match key {
        "changed-files" => {
            let mut quantified = Vec::new();
            let matchers: Vec<&Value> = match value {
                Value::Sequence(items) => items.iter().collect(),
                other => vec![other],
            };
            for matcher in matchers {
                for (kind, patterns) in matcher.as_mapping().into_iter().flatten() {
                    let kind = kind.as_str().unwrap_or_default();
                    quantified.extend(quantifier(kind, globs(patterns), notes));
                }
            }
            let combined = match all {
                true => all_of(quantified),
                false => any_of(quantified),
            };
            combined.into_iter().collect()
        }
        "head-branch" | "base-branch" => {
            let mut per_regex = Vec::new();
            for regex in strings(value) {
                match branch_globs(&regex) {
                    Some(globs) => per_regex.push(globs),
                    None => notes.push(format!(
                        "`{key}` regular expression {} (probot takes branch globs)",
                        quote(&regex)
                    )),
                }
            }
            let branch = |globs: Vec<String>| match key {
                "head-branch" => Condition {
                    head: Some(globs),
                    ..Condition::default()
                },
                _ => Condition {
                    base: Some(globs),
                    ..Condition::default()
                },
            };
            match all {
                // Each regex must match.
                true => per_regex.into_iter().map(branch).collect(),
                false => {
                    let globs: Vec<String> = per_regex.into_iter().flatten().collect();
                    match globs.is_empty() {
                        true => Vec::new(),
                        false => vec![branch(globs)],
                    }
                }
            }
        }
        other => {
            notes.push(format!("`{other}` {}", list(&strings(value))));
            Vec::new()
        }
    }
}

/// One of labeler v5's file quantifiers; negated globs keep labeler's
/// meaning in probot's quantifiers.
fn quantifier(kind: &str, globs: Vec<String>, notes: &mut Vec<String>) -> Option<Condition> {
    let globs = Some(globs);
    match kind {
        "any-glob-to-any-file" => Some(files(|f| f.any_glob_to_any_file = globs)),
        "any-glob-to-all-files" => Some(files(|f| f.any_glob_to_all_files = globs)),
        "all-globs-to-any-file" => Some(files(|f| f.all_globs_to_any_file = globs)),
        "all-globs-to-all-files" => Some(files(|f| f.all_globs_to_all_files = globs)),
        other => {
            notes.push(format!(
                "`{other}` {}",
                list(globs.as_deref().unwrap_or_default())
            ));
            None
        }
    }
}

/// A labeler branch pattern (a JavaScript regular expression, matched
/// anywhere) as globs, when it is plain text or alternatives of plain
/// text: `^release` -> `release*`, `main` -> `*main*`, `^bug/|fix/` ->
/// `bug/*`, `*fix/*`.
fn branch_globs(pattern: &str) -> Option<Vec<String>> {
    pattern.split('|').map(branch_glob).collect()
}

/// One alternative of a branch pattern as a glob.
fn branch_glob(pattern: &str) -> Option<String> {
    let start = pattern.strip_prefix('^');
    let body = start.unwrap_or(pattern);
    let end = body.strip_suffix('$');
    let body = end.unwrap_or(body);
    let plain = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_/".contains(c));
    if !plain {
        return None;
    }
    let before = if start.is_some() { "" } else { "*" };
    let after = if end.is_some() { "" } else { "*" };
    Some(format!("{before}{body}{after}"))
}

fn label_to_label(items: &[Value]) -> Imported {
    let mut out = String::from("# Imported from pytorch-probot's label-to-label configuration.\n");
    let mut skipped = Vec::new();
    for item in items {
        let then = strings(item.get("then").unwrap_or(&Value::Null));
        out.push('\n');
        match (item.get("any"), item.get("all")) {
            (Some(any), _) => {
                out.push_str("[[labels.implies]]\n");
                out.push_str(&format!("when = {}\n", list(&strings(any))));
                out.push_str(&format!("add = {}\n", list(&then)));
            }
            (None, Some(all)) => {
                out.push_str(&rule_toml(Rule {
                    name: None,
                    when: Condition {
                        labels: Some(LabelsCondition {
                            all: Some(strings(all)),
                            ..LabelsCondition::default()
                        }),
                        ..Condition::default()
                    },
                    add: then,
                    ..Rule::default()
                }));
            }
            (None, None) => {
                let note = format!("a rule with neither `any` nor `all` (then {})", list(&then));
                out.push_str(&format!("# not carried over: {note}\n"));
                skipped.push(note);
            }
        }
    }
    Imported {
        format: Format::LabelToLabel,
        toml: out,
        skipped,
    }
}

#[cfg(test)]
mod tests;
