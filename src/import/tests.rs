//! `probot import`, format by format: what carries over and what is named.

use super::*;
use crate::event::{Actor, ItemAction, ItemEvent, ItemKind, PullRequestInfo, RepoName};
use crate::plan::{actions_for, Action, Facts};

fn loads(imported: &Imported) -> crate::config::Ruleset {
    crate::config::load(&imported.toml)
        .unwrap_or_else(|problems| panic!("{}\n{problems:?}", imported.toml))
}

/// The labels the imported rules put on a pull request just opened
/// from `head` into `main`, or on an item labelled `labeled`.
fn labels_for(imported: &Imported, files: &[&str], head: &str, labeled: &[&str]) -> Vec<String> {
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
        number: crate::event::IssueNumber(1),
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
            size: Default::default(),
        }),
        replay_of: None,
    };
    let facts = Facts {
        changed_files: Some(files.iter().map(|f| f.to_string()).collect()),
        ..Facts::default()
    };
    actions_for(&item, &rules, &facts, "probot[bot]")
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
    // v4's `any`: some file matches every glob, negations included.
    assert!(labels_for(&imported, &[".github/ISSUE_TEMPLATE/bug.md"], "x", &[]).is_empty());
    assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);
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
