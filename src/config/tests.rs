//! `check`, one class of mistake at a time, each pinned to its line and
//! column.

use super::*;

/// (severity, line, column, message) of every problem, in order.
fn problems(source: &str) -> Vec<(Severity, usize, usize, String)> {
    check(source)
        .problems
        .into_iter()
        .map(|p| {
            let location = p
                .location
                .unwrap_or_else(|| panic!("no location for {:?}", p.message));
            (p.severity, location.line, location.column, p.message)
        })
        .collect()
}

/// The one problem in `source`, which must be an error at `line:column`
/// whose message contains `needle`.
#[track_caller]
fn assert_error(source: &str, line: usize, column: usize, needle: &str) {
    let found = problems(source);
    assert_eq!(found.len(), 1, "expected one problem, got {found:#?}");
    let (severity, l, c, message) = &found[0];
    assert_eq!(*severity, Severity::Error, "{message}");
    assert_eq!((*l, *c), (line, column), "{message}");
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    assert!(check(source).ruleset.is_none());
}

#[test]
fn the_example_files_are_clean() {
    for file in [
        "../../.probot.toml.example",
        "../../examples/plan/probot.toml",
        "../../examples/demo/probot.toml",
        "../../examples/pytorch/probot.toml",
        "../../examples/starter/probot.toml",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/config")
            .join(file);
        let source =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let checked = check(&source);
        assert!(
            checked.problems.is_empty(),
            "{}: {:#?}",
            path.display(),
            checked.problems
        );
        assert!(checked.ruleset.is_some());
    }
}

#[test]
fn an_empty_file_is_valid_and_does_nothing() {
    let checked = check("");
    assert!(checked.problems.is_empty());
    assert_eq!(checked.ruleset.map(|r| r.file), Some(Rules::default()));
}

#[test]
fn toml_syntax_errors() {
    // The parser recovers and goes on, so one slip can yield more than one
    // problem; the first is the one that explains it.
    let first = &problems("[cc]\ntracking_issue = = 3\n")[0];
    assert_eq!((first.1, first.2), (2, 18));
    assert!(
        first.3.starts_with("invalid TOML: extra `=`"),
        "{}",
        first.3
    );
    assert_error("[labels\n", 1, 8, "invalid TOML");
}

#[test]
fn a_key_written_twice() {
    let source = "[ci.labels]\n\"ciflow/trunk\" = \"a.yml\"\n\"ciflow/trunk\" = \"b.yml\"\n";
    assert_error(source, 3, 1, "duplicate key");
}

#[test]
fn unknown_keys_point_at_the_key_and_list_the_known_ones() {
    let source = "[cc]\ntracking_issue = 5\nrepo = \"a/b\"\n";
    assert_error(source, 3, 1, "unknown key `repo` in `cc`");
    let help = check(source).problems[0].help.clone().unwrap_or_default();
    assert!(
        help.contains("expected one of: issues, mode, paths, pull_requests, reasons, repository"),
        "{help}"
    );
    let typo = "[cc]\ntracking_issue = 5\npull_request = false\n";
    assert_eq!(
        check(typo).problems[0].help.as_deref(),
        Some("did you mean `pull_requests`?")
    );
    assert_error("[lables]\n", 1, 2, "unknown key `lables`");
}

#[test]
fn wrong_types() {
    assert_error(
        "[cc]\ntracking_issue = \"24422\"\n",
        2,
        18,
        "must be a whole number, not the string",
    );
    assert_error(
        "[[labels.implies]]\nwhen = \"bug\"\nadd = [\"x\"]\n",
        2,
        8,
        "must be a list",
    );
}

#[test]
fn a_missing_required_key() {
    assert_error(
        "[[labels.implies]]\nwhen = [\"bug\"]\n",
        1,
        1,
        "missing the required key `add`",
    );
}

#[test]
fn a_tracking_issue_number_that_is_not_positive() {
    assert_error("[cc]\ntracking_issue = 0\n", 2, 18, "positive issue number");
    assert_error(
        "[cc]\ntracking_issue = -4\n",
        2,
        18,
        "positive issue number",
    );
}

#[test]
fn a_repository_that_is_not_owner_slash_name() {
    assert_error(
        "[cc]\ntracking_issue = 1\nrepository = \"pytorch\"\n",
        3,
        14,
        "owner/name",
    );
}

#[test]
fn empty_add_lists() {
    assert_error(
        "[[labels.paths]]\nfiles = [\"a\"]\nadd = []\n",
        3,
        7,
        "is empty",
    );
    assert_error(
        "[[labels.implies]]\nwhen = [\"a\"]\nadd = [\"  \"]\n",
        3,
        8,
        "label name can't be empty",
    );
}

#[test]
fn bad_globs() {
    assert_error(
        "[[labels.paths]]\nfiles = [\"docs/**\", \"src/[a\"]\nadd = [\"x\"]\n",
        2,
        21,
        "not a valid glob",
    );
    assert_error(
        "[[labels.implies]]\nwhen = [\"{a,b\"]\nadd = [\"x\"]\n",
        2,
        9,
        "not a valid glob",
    );
}

#[test]
fn a_label_implying_itself() {
    assert_error(
        "[[labels.implies]]\nwhen = [\"a\"]\nadd = [\"b\", \"a\"]\n",
        3,
        13,
        "`a` implies itself",
    );
}

#[test]
fn cycles_are_warnings_and_the_rules_still_load() {
    let source = "[[labels.implies]]\nwhen = [\"a\"]\nadd = [\"b\"]\n\n[[labels.implies]]\nwhen = [\"b\"]\nadd = [\"a\"]\n";
    let found = problems(source);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, Severity::Warning);
    assert_eq!((found[0].1, found[0].2), (1, 1));
    assert!(found[0].3.contains("`a` -> `b` -> `a`"), "{}", found[0].3);
    assert!(check(source).ruleset.is_some());
}

#[test]
fn a_ci_label_mapped_twice_ignoring_case() {
    let source = "[ci.labels]\n\"ciflow/trunk\" = \"a.yml\"\n\"CIFlow/Trunk\" = \"b.yml\"\n";
    assert_error(source, 2, 18, "mapped twice");
}

#[test]
fn workflow_names() {
    assert_error(
        "[ci.labels]\n\"ciflow/trunk\" = \"trunk\"\n",
        2,
        18,
        "neither a workflow file name nor a workflow id",
    );
    assert_error(
        "[ci.labels]\n\"ci/x\" = { workflow = \".github/workflows/x.yml\" }\n",
        2,
        23,
        "neither a workflow file name",
    );
    assert!(problems("[ci.labels]\n\"a\" = \"123456\"\n\"b\" = \"b.yaml\"\n").is_empty());
}

#[test]
fn unknown_starting_modes() {
    assert_error(
        "[ci.labels]\n\"ciflow/x\" = { workflow = \"x.yml\", via = \"dispatch\" }\n",
        2,
        42,
        "not one of \"tag\", \"workflow_dispatch\", \"repository_dispatch\"",
    );
}

#[test]
fn ci_mappings_that_cannot_work() {
    assert_error(
        "[ci.labels]\n\"ci all\" = \"all.yml\"\n",
        2,
        12,
        "can't be part of a git tag name",
    );
    assert_error(
        "[ci.labels]\n\"wd\" = { via = \"workflow_dispatch\" }\n",
        2,
        8,
        "names no workflow",
    );
    let long = "e".repeat(101);
    assert_error(
        &format!(
            "[ci.labels]\n\"rd\" = {{ via = \"repository_dispatch\", event_type = \"{long}\" }}\n"
        ),
        2,
        52,
        "at most 100",
    );
}

#[test]
fn a_mistyped_ci_target_is_explained() {
    assert_error(
        "[ci.labels]\n\"ciflow/x\" = 5\n",
        2,
        14,
        "expected a workflow file name or a table",
    );
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let source = "\
[cc]
tracking_issue = 0

[[labels.implies]]
when = [\"a[\"]
add = [\"b\"]

[ci.labels]
\"x\" = \"nope\"
";
    let found = problems(source);
    let lines: Vec<usize> = found.iter().map(|p| p.1).collect();
    assert_eq!(lines, vec![2, 5, 9], "{found:#?}");
}

#[test]
fn columns_count_characters_and_crlf_files_work() {
    let source = "[[labels.implies]]\r\nwhen = [\"é\", \"ü[\"]\r\nadd = [\"x\"]\r\n";
    assert_error(source, 2, 14, "not a valid glob");
}

#[test]
fn the_rendered_diagnostic_points_a_caret_at_the_value() {
    let source = "[cc]\ntracking_issue = 0\n";
    let problem = &check(source).problems[0];
    let text = problem.render(".github/probot.toml", source);
    assert!(
        text.starts_with("error: `cc.tracking_issue` must be a positive issue number"),
        "{text}"
    );
    assert!(text.contains(" --> .github/probot.toml:2:18\n"), "{text}");
    assert!(
        text.contains("2 | tracking_issue = 0\n  |                  ^\n"),
        "{text}"
    );
}

#[test]
fn the_checked_in_schema_is_the_generated_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/probot.schema.json");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == schema_json(),
        "schema/probot.schema.json is stale: run `cargo run -- schema > schema/probot.schema.json`"
    );
}

#[test]
fn the_schema_describes_every_field_from_its_doc_comment() {
    let schema = schema();
    let tracking = &schema["definitions"]["CcRules"]["properties"]["tracking_issue"]["description"];
    assert!(
        tracking
            .as_str()
            .unwrap_or_default()
            .starts_with("Number of the issue"),
        "{tracking}"
    );
    fn walk(value: &serde_json::Value, at: &str, missing: &mut Vec<String>) {
        if let Some(props) = value.get("properties").and_then(|p| p.as_object()) {
            for (key, prop) in props {
                if prop.get("description").is_none() {
                    missing.push(format!("{at}.{key}"));
                }
            }
        }
        if let Some(defs) = value.get("definitions").and_then(|d| d.as_object()) {
            for (name, def) in defs {
                walk(def, name, missing);
            }
        }
    }
    let mut missing = Vec::new();
    walk(&schema, "Rules", &mut missing);
    assert!(
        missing.is_empty(),
        "fields without a description: {missing:?}"
    );
}

/// Hostile files: every one is refused or reported in bounded time and
/// output, whatever its size.
mod hostile {
    use super::*;
    use crate::limits::{MAX_EXCERPT_CHARS, MAX_PROBLEMS, MAX_RULES_BYTES, MAX_RULES_PER_LIST};

    fn chain(rules: usize, closed: bool) -> String {
        let mut text = String::new();
        for i in 0..rules {
            let next = if closed && i + 1 == rules { 0 } else { i + 1 };
            text.push_str(&format!(
                "[[labels.implies]]\nwhen = [\"l{i}\"]\nadd = [\"l{next}\"]\n"
            ));
        }
        text
    }

    #[test]
    fn a_file_over_the_size_limit_is_refused_unread() {
        let text = format!("# {}\n", "x".repeat(MAX_RULES_BYTES));
        let checked = check(&text);
        assert!(checked.ruleset.is_none());
        assert_eq!(checked.problems.len(), 1);
        assert!(checked.problems[0].message.contains("at most 256 KiB"));
    }

    #[test]
    fn the_longest_chain_allowed_is_checked_without_recursion() {
        // A chain this long overflowed the stack when the cycle search
        // recursed; now it is a loop, and a closed chain is one warning.
        let started = std::time::Instant::now();
        let checked = check(&chain(MAX_RULES_PER_LIST, true));
        assert!(checked.ruleset.is_some(), "{:?}", checked.problems);
        assert_eq!(checked.problems.len(), 1);
        assert!(checked.problems[0].message.contains("form a cycle"));
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn more_rules_than_the_limit_are_refused_without_compiling_them() {
        let started = std::time::Instant::now();
        let checked = check(&chain(MAX_RULES_PER_LIST + 1, false));
        assert!(checked.ruleset.is_none());
        let messages: Vec<&str> = checked
            .problems
            .iter()
            .map(|p| p.message.as_str())
            .collect();
        assert_eq!(messages, ["1001 rules; probot takes at most 1000"]);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn a_thousand_problems_on_one_line_report_the_first_hundred() {
        let bad = "\"\\q\", ".repeat(1_000);
        let text = format!("[[labels.implies]]\nwhen = [{bad}]\nadd = [\"x\"]\n");
        let checked = check(&text);
        assert!(checked.ruleset.is_none());
        assert_eq!(checked.problems.len(), MAX_PROBLEMS + 1);
        assert!(checked.problems[MAX_PROBLEMS]
            .message
            .contains("and 900 more problems not shown"));
        // Every one counted, though a hundred are shown.
        assert_eq!((checked.errors, checked.warnings), (1_000, 0));
        // Each rendered problem shows a window of the line, not all of it.
        let rendered: usize = checked
            .problems
            .iter()
            .map(|p| p.render("probot.toml", &text).len())
            .sum();
        assert!(
            rendered < (MAX_PROBLEMS + 1) * (MAX_EXCERPT_CHARS * 4 + 400),
            "{rendered} bytes rendered"
        );
    }

    #[test]
    fn a_long_line_is_shown_as_a_window_with_the_caret_under_the_column() {
        let text = format!("[cc]\ntracking_issue = 1 {}\n", "x".repeat(5_000));
        let problem = &check(&text).problems[0];
        let rendered = problem.render("probot.toml", &text);
        let lines: Vec<&str> = rendered.lines().collect();
        let source_line = lines.iter().find(|l| l.starts_with("2 |")).unwrap();
        assert!(
            source_line.chars().count() <= MAX_EXCERPT_CHARS + 8,
            "{source_line}"
        );
        let caret_line = lines.iter().find(|l| l.contains('^')).unwrap();
        let caret_at = caret_line.find('^').unwrap();
        let column = problem.location.as_ref().unwrap().column;
        // The caret stands under the character the column names.
        let under: String = source_line.chars().skip(caret_at).take(1).collect();
        let expected: String = text
            .lines()
            .nth(1)
            .unwrap()
            .chars()
            .skip(column - 1)
            .take(1)
            .collect();
        assert_eq!(under, expected, "{rendered}");
    }
}

#[test]
fn an_exempt_prefix_outside_every_ci_prefix_is_a_warning() {
    let checked = check("[ci]\nprefixes = [\"ciflow/\"]\nexempt = [\"nightly/\"]\n");
    let problem = &checked.problems[0];
    assert_eq!(problem.severity, Severity::Warning);
    assert!(problem.message.contains("exempts nothing"), "{problem:?}");
    assert_eq!(problem.location.as_ref().map(|l| l.line), Some(3));
}

#[test]
fn every_list_of_names_and_globs_counts_toward_the_limits() {
    // 30 required-label rules of 200 names each: past the total, so the
    // file is refused before anything compiles.
    let names: Vec<String> = (0..200).map(|i| format!("\"l{i}\"")).collect();
    let rule = format!("[[labels.required]]\none_of = [{}]\n", names.join(", "));
    let checked = check(&rule.repeat(30));
    assert!(
        checked
            .problems
            .iter()
            .any(|p| p.message.contains("in all")),
        "{:?}",
        checked.problems.first()
    );
    let long = format!("[labels]\nissues_only = [\"{}\"]\n", "x".repeat(2_000));
    assert!(check(&long).problems[0].message.contains("longer than"));
}

#[test]
fn picking_people_is_checked_where_it_is_written() {
    assert_error(
        "[[rules]]\nwhen.kind = \"pull_request\"\nadd = [\"x\"]\ncount = 1\n",
        4,
        9,
        "`count` picks among `request_reviewers` or `assign`, and there are none",
    );
    assert_error(
        "[[rules]]\nwhen.kind = \"issue\"\nrequest_reviewers = [\"alice\"]\n",
        3,
        21,
        "only pull requests have reviewers",
    );
    assert_error(
        "[[rules]]\nwhen.kind = \"pull_request\"\nrequest_reviewers = [\"@org/team/x\"]\n",
        3,
        22,
        "does not match",
    );
    let many: Vec<String> = (0..21).map(|i| format!("\"p{i}\"")).collect();
    assert_error(
        &format!(
            "[[rules]]\nwhen.kind = \"pull_request\"\nassign = [{}]\n",
            many.join(", ")
        ),
        3,
        10,
        "21 people; a rule picks among at most 20",
    );
    let ok = "[[rules]]\nwhen.kind = \"pull_request\"\nrequest_reviewers = [\"alice\", \"@pytorch/cuda\"]\ncount = 1\nmax_load = 5\n";
    assert_eq!(problems(ok), []);
}

const ORG_RULES: &str = r#"[labels]
respect_removals_for = "1h"
issues_only = ["needs repro"]

[[labels.implies]]
when = ["high priority"]
add = ["triage review"]

[[rules]]
name = "rocm"
when = { title = '\[ROCm\]' }
add = ["module: rocm"]

[[rules]]
name = "docs"
when.files.any_glob_to_any_file = ["docs/**"]
add = ["module: docs"]
"#;

fn org_file() -> RulesRef {
    RulesRef::organization("pytorch")
}

fn extending(own: &str) -> Checked {
    let org = org_file();
    let vision = RulesRef::of_repository("pytorch", "vision");
    check_extending(
        own,
        Some(Base {
            name: &org,
            text: ORG_RULES,
            of: Some(&vision),
        }),
    )
}

#[test]
fn a_file_extending_the_organizations_overrides_values_disables_a_rule_and_adds_its_own() {
    let checked = extending(
        r#"extends = ".github"
disable = ["docs"]

[labels]
respect_removals_for = "2h"

[[labels.implies]]
when = ["module: cuda"]
add = ["module: gpu"]

[[rules]]
name = "vision models"
when.files.any_glob_to_any_file = ["torchvision/models/**"]
add = ["module: models"]
"#,
    );
    assert_eq!(checked.problems, []);
    let ruleset = checked.ruleset.expect("usable");
    assert_eq!(
        ruleset.file.labels.respect_removals_for.as_deref(),
        Some("2h")
    );
    assert_eq!(
        ruleset.file.labels.issues_only,
        ["needs repro"],
        "kept from the base"
    );
    let rules = ruleset.describe_label_rules();
    assert_eq!(rules.len(), 4, "{rules:#?}");
    // The base's first, then the repository's; `docs` left out.
    assert!(
        rules[0].starts_with("pytorch/.github:.github/probot.toml labels.implies[0] (line 5)"),
        "{rules:#?}"
    );
    assert!(
        rules[1].starts_with("labels.implies[0] (line 7)"),
        "{rules:#?}"
    );
    assert!(
        rules[2].starts_with("pytorch/.github:.github/probot.toml rules[0] \"rocm\" (line 9)"),
        "{rules:#?}"
    );
    assert!(
        rules[3].starts_with("rules[0] \"vision models\" (line 11)"),
        "{rules:#?}"
    );
}

#[test]
fn each_problem_is_located_in_the_file_it_is_in() {
    let checked = extending(
        "extends = \".github\"\ndisable = [\"nope\"]\n\n[[rules]]\nwhen.title = '('\nadd = [\"x\"]\n",
    );
    let found: Vec<(Option<String>, usize, String)> = checked
        .problems
        .iter()
        .map(|p| {
            (
                p.file.clone(),
                p.location.as_ref().unwrap().line,
                p.message.clone(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found.iter().any(|(file, line, m)| file.is_none()
            && *line == 2
            && m.contains("no rule of the base is named `nope`")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|(file, line, _)| file.is_none() && *line == 5),
        "{found:#?}"
    );

    // A problem of the base names the base.
    let org = org_file();
    let broken = check_extending(
        "extends = \".github\"\n",
        Some(Base {
            name: &org,
            text: "[[rules]]\nwhen.title = '('\nadd = [\"x\"]\n",
            of: None,
        }),
    );
    assert_eq!(broken.problems.len(), 1, "{:#?}", broken.problems);
    assert_eq!(
        broken.problems[0].file.as_deref(),
        Some("pytorch/.github:.github/probot.toml")
    );
    assert_eq!(broken.problems[0].location.as_ref().unwrap().line, 2);
}

#[test]
fn a_base_extending_another_file_is_refused_and_a_cycle_is_named_with_both_files() {
    let org = org_file();
    let vision = RulesRef::of_repository("pytorch", "vision");
    let cycle = check_extending(
        "extends = \".github\"\n",
        Some(Base {
            name: &org,
            text: "extends = \"pytorch/vision\"\n",
            of: Some(&vision),
        }),
    );
    assert!(cycle.ruleset.is_none());
    assert_eq!(
        cycle.problems[0].message,
        "a cycle: pytorch/vision:.github/probot.toml extends pytorch/.github:.github/probot.toml, which extends pytorch/vision:.github/probot.toml"
    );
    let chain = check_extending(
        "extends = \".github\"\n",
        Some(Base {
            name: &org,
            text: "extends = \"pytorch/other\"\n",
            of: Some(&vision),
        }),
    );
    assert!(
        chain.problems[0]
            .message
            .contains("probot follows one `extends`"),
        "{:?}",
        chain.problems
    );
}

#[test]
fn disable_needs_extends_and_a_file_checked_without_its_base_says_so() {
    assert_error("disable = [\"docs\"]\n", 1, 11, "this file extends none");
    let alone = check("extends = \"pytorch/.github\"\n");
    assert!(alone.ruleset.is_some(), "a warning only");
    assert_eq!(alone.problems.len(), 1);
    assert_eq!(alone.problems[0].severity, Severity::Warning);
    assert!(alone.problems[0]
        .message
        .contains("checked without their base"));
    let bad = problems("extends = \"../etc\"\n");
    assert!(bad[0].3.contains("does not match"), "{bad:?}");
}

#[test]
fn extends_names_a_repository_a_path_in_one_or_the_organizations() {
    let of = |v: &str| RulesRef::extended(v, "pytorch").map(|r| r.to_string());
    assert_eq!(
        of(".github").as_deref(),
        Some("pytorch/.github:.github/probot.toml")
    );
    assert_eq!(
        of("meta/rules").as_deref(),
        Some("meta/rules:.github/probot.toml")
    );
    assert_eq!(
        of("meta/rules:shared/triage.toml").as_deref(),
        Some("meta/rules:shared/triage.toml")
    );
    assert_eq!(of("meta/rules:../x"), None);
    assert_eq!(of("nope"), None);
    assert_eq!(
        extends_of("extends = \"meta/rules\"\n[labels]\n").as_deref(),
        Some("meta/rules")
    );
}

#[test]
fn a_problem_as_a_github_workflow_command_is_one_escaped_line() {
    let problem = Problem {
        location: Some(Location {
            line: 3,
            column: 7,
            span: 10..12,
        }),
        ..Problem::error(
            super::diagnostic::KeyPath::root().join("rules").join(0),
            "50% of: this\nthat\r",
        )
    }
    .with_help("see: docs");
    assert_eq!(
        problem.workflow_command("ci/a,b:c.toml"),
        "::error file=ci/a%2Cb%3Ac.toml,line=3,col=7,title=probot check::50%25 of: this%0Athat%0D (key rules[0])%0Ahelp: see: docs"
    );
    let warning = Problem::warning(super::diagnostic::KeyPath::root(), "plain");
    assert_eq!(
        warning.workflow_command("probot.toml"),
        "::warning file=probot.toml,title=probot check::plain"
    );
}

#[test]
fn disable_is_a_list_within_the_limits_like_any_other() {
    let names: Vec<String> = (0..201).map(|i| format!("\"r{i}\"")).collect();
    let text = format!("extends = \".github\"\ndisable = [{}]\n", names.join(", "));
    let found = problems(&text);
    assert!(
        found.iter().any(
            |(_, line, _, m)| *line == 2 && m.contains("201 entries; probot takes at most 200")
        ),
        "{found:?}"
    );
}

/// Every list in the shipped examples, and a cc path rule's people, made
/// one longer than its limit: each is refused at its own key, so no list
/// escapes the limits, whichever section it is in.
#[test]
fn every_list_in_the_rules_is_held_to_a_limit() {
    use crate::limits::{
        MAX_PATTERNS_PER_RULE, MAX_PICK_CANDIDATES, MAX_RULES_PER_LIST, MAX_SUBSCRIBERS_PER_LABEL,
    };
    use serde_json::Value as Json;
    let mut document: Json = toml::from_str(include_str!("../../examples/pytorch/probot.toml"))
        .expect("the example parses");
    document["cc"]["paths"] = serde_json::json!([{ "files": ["docs/**"], "users": ["alice"] }]);
    // Every array's key path, found by an explicit walk.
    let mut lists = Vec::new();
    let mut stack = vec![(Vec::<Json>::new(), &document)];
    while let Some((at, value)) = stack.pop() {
        match value {
            Json::Object(table) => {
                for (key, value) in table {
                    let mut at = at.clone();
                    at.push(Json::from(key.as_str()));
                    stack.push((at, value));
                }
            }
            Json::Array(list) => {
                lists.push((at.clone(), list.iter().any(Json::is_object)));
                for (i, value) in list.iter().enumerate() {
                    let mut at = at.clone();
                    at.push(Json::from(i));
                    stack.push((at, value));
                }
            }
            _ => {}
        }
    }
    assert!(lists.len() > 20, "the example has many lists: {lists:?}");
    for (at, of_tables) in lists {
        let key = at.last().and_then(Json::as_str).unwrap_or("");
        let (entry, limit) = match key {
            _ if of_tables => (serde_json::json!({}), MAX_RULES_PER_LIST),
            "users" => (Json::from("x"), MAX_SUBSCRIBERS_PER_LABEL),
            "request_reviewers" | "assign" => (Json::from("x"), MAX_PICK_CANDIDATES),
            _ => (Json::from("x"), MAX_PATTERNS_PER_RULE),
        };
        let mut long = document.clone();
        let mut slot = &mut long;
        for segment in &at {
            slot = match segment {
                Json::String(key) => &mut slot[key.as_str()],
                index => &mut slot[index.as_u64().unwrap() as usize],
            };
        }
        *slot = Json::Array(vec![entry; limit + 1]);
        let text = toml::to_string(&long).expect("serializes");
        let checked = check(&text);
        let path: Vec<String> = at.iter().map(|s| s.to_string().replace('"', "")).collect();
        assert!(
            checked.ruleset.is_none(),
            "{path:?} made too long still compiles"
        );
        let said = format!("{} ", limit + 1);
        assert!(
            checked.problems.iter().any(|p| p.message.starts_with(&said)
                && p.message.contains(&format!("at most {limit}"))
                && p.path.segments().len() == at.len()),
            "{path:?} with {} entries: {:#?}",
            limit + 1,
            checked.problems
        );
    }
}
