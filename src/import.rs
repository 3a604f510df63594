//! `probot import`: an existing labelling configuration turned into probot
//! rules, printed as TOML with a comment wherever something could not be
//! carried over. Two formats:
//!
//! - actions/labeler's `.github/labeler.yml`, v4 (`label: [glob, {any:
//!   [...]}, {all: [...]}]`) and v5 (`label: [{changed-files:
//!   [{any-glob-to-any-file: [...]}]}, {head-branch: [...]}, {all: [...]}]`).
//!   Each label becomes a `[[rules]]` entry: the four file quantifiers,
//!   `any`/`all` nesting and negated globs of the common forms carry over;
//!   branch patterns (regular expressions in labeler) carry over when they
//!   are plain text, anchored or not. The rest is named in a comment.
//! - pytorch-probot's label-to-label YAML (`- any: [labels] then: [labels]`):
//!   `any` becomes an implication, `all` a rule on `labels.all`.
//!
//! Pure: text in, text out; the caller checks the result with `check`.

use serde::Serialize;
use serde_yaml::Value;

use crate::config::{Condition, FilesCondition, LabelsCondition, Rule};

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

fn labeler(map: &serde_yaml::Mapping) -> Imported {
    let mut out = String::from(
        "# Imported from actions/labeler's .github/labeler.yml.\n\
         # labeler's `sync-labels: true` input is `sync = true` on a rule.\n",
    );
    let mut skipped = Vec::new();
    for (label, rules) in map {
        let Some(label) = label.as_str() else {
            continue;
        };
        let mut notes: Vec<String> = Vec::new();
        let entries: Vec<&Value> = match rules {
            Value::Sequence(items) => items.iter().collect(),
            other => vec![other],
        };
        // v4: bare globs in the top list are one "any file matches".
        let (globs, objects): (Vec<&Value>, Vec<&Value>) =
            entries.into_iter().partition(|e| !e.is_mapping());
        let mut parts: Vec<Condition> = Vec::new();
        let globs: Vec<String> = globs.into_iter().flat_map(strings).collect();
        if !globs.is_empty() {
            parts.extend(v4_globs(&globs, false, &mut notes));
        }
        for object in objects {
            parts.extend(match_object(object, &mut notes));
        }
        out.push('\n');
        for note in &notes {
            out.push_str(&format!(
                "# not carried over for {}: {note}\n",
                quote(label)
            ));
            skipped.push(format!("{label}: {note}"));
        }
        // The top-level list: any of its entries.
        let when = match parts.len() {
            0 => {
                out.push_str(&format!("# {} has nothing probot can use\n", quote(label)));
                continue;
            }
            1 => parts.remove(0),
            _ => Condition {
                any: Some(parts),
                ..Condition::default()
            },
        };
        out.push_str(&rule_toml(Rule {
            name: name_of(label),
            when,
            add: vec![label.to_owned()],
            remove: Vec::new(),
            comment: None,
            sync: false,
        }));
    }
    Imported {
        format: Format::Labeler,
        toml: out,
        skipped,
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

/// v4 glob lists: `any` (some file matches some glob) or `all` (every
/// file matches every glob). A negated glob `!x` says "and no file matches
/// x" in `all`; in `any` it can't be said.
fn v4_globs(globs: &[String], all: bool, notes: &mut Vec<String>) -> Option<Condition> {
    let (negated, plain): (Vec<String>, Vec<String>) =
        globs.iter().cloned().partition(|g| g.starts_with('!'));
    let negated: Vec<String> = negated.iter().map(|g| g[1..].to_owned()).collect();
    if !all {
        if !negated.is_empty() {
            notes.push(format!("negated globs in `any` {}", list(&negated)));
        }
        return (!plain.is_empty()).then(|| files(|f| f.any_glob_to_any_file = Some(plain)));
    }
    let mut parts = Vec::new();
    if !plain.is_empty() {
        parts.push(files(|f| f.all_globs_to_all_files = Some(plain)));
    }
    if !negated.is_empty() {
        parts.push(Condition {
            not: Some(Box::new(files(|f| f.any_glob_to_any_file = Some(negated)))),
            ..Condition::default()
        });
    }
    all_of(parts)
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

/// A v4 `{any: [...]}`/`{all: [...]}` or a v5 match object. The keys of one
/// object must all hold. YAML nests as deep as its parser allows; labeler
/// files nest two or three deep, and `check` refuses deeper rules.
fn match_object(entry: &Value, notes: &mut Vec<String>) -> Option<Condition> {
    let Value::Mapping(object) = entry else {
        return v4_globs(&strings(entry), false, notes);
    };
    let mut parts = Vec::new();
    for (key, value) in object {
        let key = key.as_str().unwrap_or_default();
        let nested = value
            .as_sequence()
            .is_some_and(|s| s.iter().any(Value::is_mapping));
        match key {
            "any" | "all" if nested => {
                let inner: Vec<Condition> = value
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .filter_map(|item| match_object(item, notes))
                    .collect();
                if inner.is_empty() {
                    continue;
                }
                parts.push(match key {
                    "any" => Condition {
                        any: Some(inner),
                        ..Condition::default()
                    },
                    _ => Condition {
                        all: Some(inner),
                        ..Condition::default()
                    },
                });
            }
            "any" | "all" => parts.extend(v4_globs(&strings(value), key == "all", notes)),
            "changed-files" => {
                let mut quantified = Vec::new();
                for matcher in value.as_sequence().into_iter().flatten() {
                    for (kind, patterns) in matcher.as_mapping().into_iter().flatten() {
                        let kind = kind.as_str().unwrap_or_default();
                        quantified.extend(quantifier(kind, &strings(patterns), notes));
                    }
                }
                parts.extend(all_of(quantified));
            }
            "head-branch" | "base-branch" => {
                let (globs, regexes): (Vec<_>, Vec<_>) = strings(value)
                    .into_iter()
                    .map(|pattern| branch_glob(&pattern).ok_or(pattern))
                    .partition(Result::is_ok);
                let regexes: Vec<String> = regexes.into_iter().filter_map(Result::err).collect();
                if !regexes.is_empty() {
                    notes.push(format!(
                        "`{key}` regular expressions {} (probot takes branch globs)",
                        list(&regexes)
                    ));
                }
                let globs: Vec<String> = globs.into_iter().filter_map(Result::ok).collect();
                if !globs.is_empty() {
                    parts.push(match key {
                        "head-branch" => Condition {
                            head: Some(globs),
                            ..Condition::default()
                        },
                        _ => Condition {
                            base: Some(globs),
                            ..Condition::default()
                        },
                    });
                }
            }
            other => notes.push(format!("`{other}` {}", list(&strings(value)))),
        }
    }
    all_of(parts)
}

/// One of labeler v5's file quantifiers. Negated globs carry over where
/// they mean "no file matches": every glob negated, over all files.
fn quantifier(kind: &str, globs: &[String], notes: &mut Vec<String>) -> Option<Condition> {
    let negated = globs.iter().filter(|g| g.starts_with('!')).count();
    if negated > 0 {
        let all_files = matches!(kind, "all-globs-to-all-files" | "any-glob-to-all-files");
        if negated == globs.len() && (all_files || globs.len() == 1) {
            let plain: Vec<String> = globs.iter().map(|g| g[1..].to_owned()).collect();
            let none = Condition {
                not: Some(Box::new(files(|f| f.any_glob_to_any_file = Some(plain)))),
                ..Condition::default()
            };
            // Every file avoids every glob: no file matches any of them.
            if kind == "all-globs-to-all-files" || globs.len() == 1 && all_files {
                return Some(none);
            }
        }
        notes.push(format!("`{kind}` with negated globs {}", list(globs)));
        return None;
    }
    let globs = Some(globs.to_vec());
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

/// A labeler branch pattern (a regular expression, matched anywhere) as a
/// glob, when it is plain text: `^release` -> `release*`, `main` -> `*main*`.
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
                    remove: Vec::new(),
                    comment: None,
                    sync: false,
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
mod tests {
    use super::*;
    use crate::event::{Actor, ItemAction, ItemEvent, ItemKind, PullRequestInfo, RepoName};
    use crate::plan::{plan, Action, Facts};

    fn loads(imported: &Imported) -> crate::config::Ruleset {
        crate::config::load(&imported.toml)
            .unwrap_or_else(|problems| panic!("{}\n{problems:?}", imported.toml))
    }

    /// The labels the imported rules put on a pull request just opened
    /// from `head` into `main`, or on an item labelled `labeled`.
    fn labels_for(
        imported: &Imported,
        files: &[&str],
        head: &str,
        labeled: &[&str],
    ) -> Vec<String> {
        let rules = loads(imported);
        let action = match labeled.last() {
            Some(label) => ItemAction::Labeled(vec![label.to_string()]),
            None => ItemAction::Opened,
        };
        let item = ItemEvent {
            kind: ItemKind::PullRequest,
            action,
            repo: RepoName::new("acme", "widgets"),
            installation: None,
            number: 1,
            title: "t".into(),
            body: String::new(),
            author: "someone".into(),
            association: String::new(),
            edits: Default::default(),
            labels: labeled.iter().map(|l| l.to_string()).collect(),
            open: true,
            sender: Actor {
                login: "someone".into(),
            },
            pull: Some(PullRequestInfo {
                head_sha: "abc".into(),
                head_ref: head.into(),
                from_fork: false,
                base_ref: "main".into(),
                merged: false,
                draft: false,
            }),
            replay_of: None,
        };
        let facts = Facts {
            changed_files: Some(files.iter().map(|f| f.to_string()).collect()),
            ..Facts::default()
        };
        plan(&item, &rules, &facts, "probot[bot]")
            .into_iter()
            .filter_map(|action| match action {
                Action::AddLabels { labels } => Some(labels),
                _ => None,
            })
            .flatten()
            .collect()
    }

    #[test]
    fn labeler_v4_globs_any_and_all_with_negations_carry_over() {
        let v4 = r#"
"module: docs":
  - docs/**
  - '*.md'
"module: ci":
  - any: ['.github/**', '!.github/ISSUE_TEMPLATE/**']
"needs review":
  - all: ['src/**', '!src/generated/**']
"#;
        let imported = import(v4).unwrap();
        assert_eq!(imported.format, Format::Labeler);
        assert_eq!(
            labels_for(&imported, &["docs/a.rst"], "x", &[]),
            ["module: docs"]
        );
        assert_eq!(
            labels_for(&imported, &[".github/x.yml"], "x", &[]),
            ["module: ci"]
        );
        // `all`: every file under src/, none generated.
        assert_eq!(
            labels_for(&imported, &["src/a.rs", "src/b/c.rs"], "x", &[]),
            ["needs review"]
        );
        assert!(labels_for(&imported, &["src/a.rs", "src/generated/x.rs"], "x", &[]).is_empty());
        assert!(labels_for(&imported, &["src/a.rs", "README"], "x", &[]).is_empty());
        // A negation inside `any` can't be said: named, the rest kept.
        assert!(
            imported
                .skipped
                .iter()
                .any(|s| s.starts_with("module: ci: negated globs")),
            "{:?}",
            imported.skipped
        );
        assert_eq!(imported.skipped.len(), 1);
    }

    #[test]
    fn labeler_v5_quantifiers_nesting_and_plain_branches_carry_over() {
        let v5 = r#"
Documentation:
- changed-files:
  - any-glob-to-any-file: ['docs/**', 'guides/**']
feature:
- head-branch: ['^feature', 'feature$']
source:
- all:
  - changed-files:
    - any-glob-to-any-file: 'src/**/*'
    - all-globs-to-all-files: '!src/docs/*'
odd:
- head-branch: ['^fix-[0-9]+']
"#;
        let imported = import(v5).unwrap();
        assert_eq!(
            labels_for(&imported, &["docs/a.md"], "x", &[]),
            ["Documentation"]
        );
        assert_eq!(
            labels_for(&imported, &["a"], "feature/login", &[]),
            ["feature"]
        );
        assert_eq!(
            labels_for(&imported, &["a"], "new-feature", &[]),
            ["feature"]
        );
        assert_eq!(labels_for(&imported, &["src/x/y.rs"], "x", &[]), ["source"]);
        assert!(labels_for(&imported, &["src/x/y.rs", "src/docs/a.md"], "x", &[]).is_empty());
        // A real regular expression is named, not guessed at.
        assert_eq!(imported.skipped.len(), 1, "{:?}", imported.skipped);
        assert!(imported.skipped[0].starts_with("odd: `head-branch`"));
        assert!(imported
            .toml
            .contains("# \"odd\" has nothing probot can use"));
    }

    #[test]
    fn pytorch_label_to_label_any_and_all_carry_over() {
        let pytorch = r#"
- any:
  - "module: custom operators"
  - "module: aotdispatch"
  then:
  - "module: pt2-dispatcher"
- all:
  - "module: dynamo"
  - "triaged"
  then:
  - "oncall: pt2"
"#;
        let imported = import(pytorch).unwrap();
        assert_eq!(imported.format, Format::LabelToLabel);
        assert!(imported.toml.contains(
            "when = [\"module: custom operators\", \"module: aotdispatch\"]\nadd = [\"module: pt2-dispatcher\"]"
        ));
        assert!(imported.skipped.is_empty());
        assert_eq!(
            labels_for(&imported, &[], "x", &["module: aotdispatch"]),
            ["module: pt2-dispatcher"]
        );
        assert!(labels_for(&imported, &[], "x", &["module: dynamo"]).is_empty());
        assert_eq!(
            labels_for(&imported, &[], "x", &["module: dynamo", "triaged"]),
            ["oncall: pt2"]
        );
    }

    #[test]
    fn other_yaml_is_refused_with_a_reason() {
        assert!(matches!(import("- 1\n- 2\n"), Err(ImportError::Unknown)));
        assert!(matches!(import("a: [\n"), Err(ImportError::Yaml(_))));
    }
}
