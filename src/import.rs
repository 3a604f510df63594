//! `probot import`: an existing labelling configuration turned into probot
//! rules, printed as TOML with a comment wherever something could not be
//! carried over. Two formats:
//!
//! - actions/labeler's `.github/labeler.yml`, v4 (`label: [glob, {any:
//!   [...]}, {all: [...]}]`) and v5 (`label: [{changed-files:
//!   [{any-glob-to-any-file: [...]}]}, {head-branch: [...]}, ...]`). What
//!   probot's `labels.paths` says is "some changed file matches some glob";
//!   that part is carried over, the rest (all-files quantifiers, negated
//!   globs, branch patterns) is named in a comment.
//! - pytorch-probot's label-to-label YAML (`- any: [labels] then: [labels]`):
//!   `any` becomes an implication; `all` cannot be said yet and is named.
//!
//! Pure: text in, text out; the caller checks the result with `check`.

use serde_yaml::Value;

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

fn labeler(map: &serde_yaml::Mapping) -> Imported {
    let mut out = String::from("# Imported from actions/labeler's .github/labeler.yml.\n");
    let mut skipped = Vec::new();
    for (label, rules) in map {
        let Some(label) = label.as_str() else {
            continue;
        };
        let mut globs: Vec<String> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        let entries: Vec<&Value> = match rules {
            Value::Sequence(items) => items.iter().collect(),
            other => vec![other],
        };
        for entry in entries {
            read_labeler_entry(entry, &mut globs, &mut notes);
        }
        // A negated glob (`!docs/**`) narrows the rule; probot can't say that.
        let (negated, plain): (Vec<String>, Vec<String>) =
            globs.into_iter().partition(|g| g.starts_with('!'));
        if !negated.is_empty() {
            notes.push(format!("negated globs {}", list(&negated)));
        }
        out.push('\n');
        for note in &notes {
            out.push_str(&format!(
                "# not carried over for {}: {note}\n",
                quote(label)
            ));
            skipped.push(format!("{label}: {note}"));
        }
        if plain.is_empty() {
            out.push_str(&format!("# {} has no glob probot can use\n", quote(label)));
            continue;
        }
        out.push_str("[[labels.paths]]\n");
        out.push_str(&format!("files = {}\n", list(&plain)));
        out.push_str(&format!("add = [{}]\n", quote(label)));
    }
    Imported {
        format: Format::Labeler,
        toml: out,
        skipped,
    }
}

/// One item of a label's list: a glob (v4), `any`/`all` (v4, v5), or a v5
/// match object.
fn read_labeler_entry(entry: &Value, globs: &mut Vec<String>, notes: &mut Vec<String>) {
    let Value::Mapping(object) = entry else {
        globs.extend(strings(entry));
        return;
    };
    for (key, value) in object {
        match key.as_str().unwrap_or_default() {
            "any" => match value {
                // v5: `any: [{changed-files: ...}, {head-branch: ...}]`.
                Value::Sequence(items) if items.iter().any(Value::is_mapping) => {
                    for item in items {
                        read_labeler_entry(item, globs, notes);
                    }
                }
                _ => globs.extend(strings(value)),
            },
            "changed-files" => {
                for matcher in value.as_sequence().into_iter().flatten() {
                    for (kind, patterns) in matcher.as_mapping().into_iter().flatten() {
                        match kind.as_str().unwrap_or_default() {
                            "any-glob-to-any-file" => globs.extend(strings(patterns)),
                            other => notes.push(format!("`{other}` {}", list(&strings(patterns)))),
                        }
                    }
                }
            }
            other => notes.push(format!("`{other}` {}", list(&strings(value)))),
        }
    }
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
                let note = format!(
                    "all of {} imply {}: probot's implications fire on any one label",
                    list(&strings(all)),
                    list(&then)
                );
                out.push_str(&format!("# not carried over: {note}\n"));
                skipped.push(note);
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

    fn loads(imported: &Imported) {
        crate::config::load(&imported.toml)
            .unwrap_or_else(|problems| panic!("{}\n{problems:?}", imported.toml));
    }

    #[test]
    fn labeler_v4_globs_and_any_carry_over_and_all_and_negations_are_named() {
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
        assert!(
            imported
                .toml
                .contains("files = [\"docs/**\", \"*.md\"]\nadd = [\"module: docs\"]"),
            "{}",
            imported.toml
        );
        assert!(imported
            .toml
            .contains("files = [\".github/**\"]\nadd = [\"module: ci\"]"));
        assert!(imported.skipped.iter().any(|s| s.contains("negated globs")));
        assert!(imported
            .skipped
            .iter()
            .any(|s| s.starts_with("needs review: `all`")));
        loads(&imported);
    }

    #[test]
    fn labeler_v5_match_objects_carry_their_any_glob_to_any_file() {
        let v5 = r#"
Documentation:
- changed-files:
  - any-glob-to-any-file: ['docs/**', 'guides/**']
feature:
- head-branch: ['^feature', 'feature']
source:
- all:
  - changed-files:
    - any-glob-to-any-file: 'src/**/*'
    - all-globs-to-all-files: '!src/docs/*'
"#;
        let imported = import(v5).unwrap();
        assert!(
            imported
                .toml
                .contains("files = [\"docs/**\", \"guides/**\"]\nadd = [\"Documentation\"]"),
            "{}",
            imported.toml
        );
        assert!(imported
            .toml
            .contains("# \"feature\" has no glob probot can use"));
        assert!(imported.skipped.iter().any(|s| s.contains("`head-branch`")));
        assert!(imported
            .skipped
            .iter()
            .any(|s| s.starts_with("source: `all`")));
        loads(&imported);
    }

    #[test]
    fn pytorch_label_to_label_any_rules_become_implications() {
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
        assert_eq!(imported.skipped.len(), 1);
        loads(&imported);
    }

    #[test]
    fn other_yaml_is_refused_with_a_reason() {
        assert!(matches!(import("- 1\n- 2\n"), Err(ImportError::Unknown)));
        assert!(matches!(import("a: [\n"), Err(ImportError::Yaml(_))));
    }
}
