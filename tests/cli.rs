//! The `probot` binary as a maintainer or a CI job runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn probot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_probot"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run probot")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("probot-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn check_passes_a_clean_file_with_exit_0() {
    let out = probot(&["check", ".probot.toml.example", "examples/plan/probot.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(".probot.toml.example: ok"));
}

#[test]
fn check_explains_errors_with_line_column_and_caret_and_exits_1() {
    let file = temp_file(
        "broken.toml",
        "[cc]\ntracking_issue = 3\n\n[[labels.paths]]\nfiles = [\"src/[\"]\nadd = [\"x\"]\n",
    );
    let out = probot(&["check", path(&file)]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("error: `src/[` is not a valid glob"),
        "{text}"
    );
    assert!(text.contains(&format!("{}:5:10", path(&file))), "{text}");
    assert!(
        text.contains("5 | files = [\"src/[\"]\n  |          ^^^^^^^"),
        "{text}"
    );
    assert!(text.contains("= key: labels.paths[0].files[0]"), "{text}");
    assert!(text.ends_with("1 error, 0 warnings\n"), "{text}");
}

#[test]
fn check_allows_warnings_with_exit_0() {
    let file = temp_file("cycle.toml", "[[labels.implies]]\nwhen = [\"a\"]\nadd = [\"b\"]\n[[labels.implies]]\nwhen = [\"b\"]\nadd = [\"a\"]\n");
    let out = probot(&["check", path(&file)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("warning: label implications form a cycle"));
}

#[test]
fn check_json_lists_every_problem_for_ci() {
    let file = temp_file("two.toml", "[cc]\ntracking_issue = 0\nbogus = 1\n");
    let out = probot(&["check", "--format", "json", path(&file)]);
    assert_eq!(out.status.code(), Some(1));
    let problems: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let problems = problems.as_array().expect("array");
    assert_eq!(problems.len(), 2);
    assert_eq!(problems[0]["severity"], "error");
    assert_eq!(problems[0]["file"], path(&file));
    assert_eq!(problems[0]["line"], 2);
    assert_eq!(problems[0]["column"], 18);
    assert_eq!(problems[0]["path"], "cc.tracking_issue");
    assert_eq!(problems[1]["path"], "cc.bogus");
}

#[test]
fn check_exits_2_when_a_file_cannot_be_read() {
    let out = probot(&["check", "no/such/file.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("can't read no/such/file.toml"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        probot(&["check", "--format", "yaml"]).status.code(),
        Some(2)
    );
}

#[test]
fn schema_prints_the_checked_in_schema() {
    let out = probot(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let checked_in = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/probot.schema.json"),
    )
    .expect("schema");
    assert_eq!(stdout(&out), checked_in);
}

#[test]
fn plan_shows_the_decisions_for_a_saved_payload() {
    let out = probot(&[
        "plan",
        "--config",
        "examples/plan/probot.toml",
        "--event",
        "issues",
        "--payload",
        "examples/plan/issues.labeled.json",
        "--tracking-issue",
        "examples/plan/tracking-issue.md",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let actions: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        actions,
        serde_json::json!([
            {
                "type": "add_labels",
                "labels": ["triage review"],
                "because": ["`triage review`: labels.implies[0] (line 7): label `high priority` arrived, no label matches `triaged`"],
            },
            {
                "type": "cc",
                "users": ["ezyang", "gchanan", "alice"],
                "because": [
                    "@ezyang subscribes to `high priority`",
                    "@gchanan subscribes to `high priority`, `triage review`",
                    "@alice subscribes to `triage review`",
                ],
            },
        ])
    );
}

#[test]
fn plan_labels_a_pull_request_by_its_files() {
    let out = probot(&[
        "plan",
        "--config",
        "examples/plan/probot.toml",
        "--event",
        "pull_request",
        "--payload",
        "examples/plan/pull_request.opened.json",
        "--files",
        "examples/plan/changed-files.txt",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("add labels: \"module: docs\""), "{text}");
}

#[test]
fn plan_refuses_a_broken_rules_file_with_exit_1() {
    let file = temp_file("bad-plan.toml", "[cc]\n");
    let out = probot(&[
        "plan",
        "--config",
        path(&file),
        "--event",
        "issues",
        "--payload",
        "examples/plan/issues.labeled.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing the required key `tracking_issue`")
    );
}

#[test]
fn plan_rejects_a_malformed_payload_with_exit_2() {
    let file = temp_file("bad.json", "{\"action\": \"labeled\"");
    let out = probot(&[
        "plan",
        "--config",
        "examples/plan/probot.toml",
        "--event",
        "issues",
        "--payload",
        path(&file),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON for a `issues` event"));
}

#[test]
fn demo_plays_the_story_against_fakehub_and_exits_0() {
    let out = probot(&["demo"]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("cc line: cc @ezyang @gchanan @alice"),
        "{text}"
    );
    assert!(text.contains("cc line: cc @dora"), "{text}");
    assert!(text.contains("tracking issue line: * bug @dora"), "{text}");
    assert!(text.contains("reaction on the comment: +1"), "{text}");
    assert!(text.contains("@dora's notifications about #"), "{text}");
    assert!(text.contains("labels: module: docs"), "{text}");
    assert!(
        text.contains("issues.labeled by @maintainer (redelivery) -> bot answered 202"),
        "{text}"
    );
    assert!(
        text.contains("POST   /repos/acme/widgets/issues/2/labels -> 200"),
        "{text}"
    );
    assert!(text.contains("labels: skipped"), "{text}");
    assert!(
        text.contains("why       `skipped`: rules[0] \"disabled tests\" (line "),
        "{text}"
    );
}

#[test]
fn serve_refuses_to_start_without_a_webhook_secret() {
    let out = Command::new(env!("CARGO_BIN_EXE_probot"))
        .args(["serve", "--token", "t"])
        .env_remove("PROBOT_WEBHOOK_SECRET")
        .output()
        .expect("run probot");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no webhook secret"));
}

#[test]
fn import_prints_rules_that_check_and_names_what_it_left_out() {
    let out = probot(&["import", "examples/import/labeler.yml"]);
    let rules = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "base-branch is left out: {rules}"
    );
    assert!(
        rules.contains(
            "[[rules]]\nname = \"module: docs\"\nadd = [\"module: docs\"]\n\n[rules.when.files]\nany_glob_to_any_file = [\"docs/**\", \"/*.md\"]"
        ),
        "{rules}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("`base-branch`"));
    let imported = temp_file("imported.toml", &rules);
    assert_eq!(probot(&["check", path(&imported)]).status.code(), Some(0));

    let whole = probot(&["import", "examples/import/label_to_label.yml"]);
    assert_eq!(whole.status.code(), Some(0), "{}", stdout(&whole));
    assert!(stdout(&whole).contains("when = [\"high priority\"]\nadd = [\"triage review\"]"));
    let garbage = temp_file("garbage.yml", "- 1\n- 2\n");
    assert_eq!(probot(&["import", path(&garbage)]).status.code(), Some(2));
}

/// Every event plans in JSON; a subscribe command on the tracking issue
/// plans what the server would do: the edit, the reaction.
#[test]
fn plan_prints_json_for_every_event_and_plans_a_subscribe_command() {
    let plan = |event: &str, payload: &str| {
        let out = probot(&[
            "plan",
            "--config",
            "examples/plan/probot.toml",
            "--event",
            event,
            "--payload",
            payload,
            "--tracking-issue",
            "examples/plan/tracking-issue.md",
            "--format",
            "json",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON for every event")
    };
    let planned = plan("issue_comment", "examples/plan/issue_comment.created.json");
    assert_eq!(
        planned[0]["type"], "subscriptions",
        "the server's own decision: {planned}"
    );
    assert_eq!(
        planned[0]["wishes"],
        serde_json::json!([{"verb": "subscribe", "label": "triage review", "who": "newcomer"}])
    );
    assert_eq!(planned.as_array().unwrap().last().unwrap()["content"], "+1");

    let push = temp_file(
        "push.json",
        r#"{"ref": "refs/heads/main", "commits": [], "repository": {"full_name": "pytorch/pytorch", "default_branch": "main"}}"#,
    );
    assert_eq!(plan("push", path(&push)), serde_json::json!([]));
}

#[test]
fn plan_shows_what_a_label_command_would_do_and_what_it_would_refuse() {
    let mut payload: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("examples/plan/issue_comment.created.json").unwrap(),
    )
    .unwrap();
    payload["comment"]["body"] = "@probot label module: cuda, high priority".into();
    payload["issue"]["number"] = 5.into();
    let payload = temp_file("label-command.json", &payload.to_string());
    let out = probot(&[
        "plan",
        "--config",
        "examples/pytorch/probot.toml",
        "--event",
        "issue_comment",
        "--payload",
        path(&payload),
        "--item-labels",
        "triaged",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let planned: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(planned[0]["type"], "add_labels", "{planned}");
    assert_eq!(planned[0]["labels"], serde_json::json!(["module: cuda"]));
    assert!(
        planned[1]["body"]
            .as_str()
            .unwrap()
            .contains("`high priority`: needs triage access"),
        "{planned}"
    );
    assert_eq!(planned[2]["content"], "confused");
}

#[test]
fn plan_shows_whom_a_rule_would_ask_to_review_and_why() {
    let rules = temp_file(
        "reviewers.toml",
        r#"
[[rules]]
name = "cuda owners"
when.files.any_glob_to_any_file = ["torch/cuda/**"]
request_reviewers = ["alice", "bob", "@pytorch/cuda"]
count = 1
"#,
    );
    let out = probot(&[
        "plan",
        "--config",
        rules.to_str().unwrap(),
        "--event",
        "pull_request",
        "--payload",
        "examples/plan/pull_request.opened.json",
        "--files",
        "examples/plan/changed-files.txt",
        "--team",
        "pytorch/cuda=carol,dave",
        "--load",
        "alice=4,bob=2,carol=3",
        "--load",
        "dave=7",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("ask for reviews from @bob"), "{text}");
    assert!(
        text.contains(
            "picked @bob by fewest open review requests: bob (2), carol (3), alice (4), dave (7)"
        ),
        "{text}"
    );
}

#[test]
fn init_writes_a_starter_that_checks_clean_and_never_overwrites() {
    let root = std::env::temp_dir().join(format!("probot-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let root_arg = path(&root);
    let out = probot(&["init", root_arg, "--action", "--uses", "acme/probot@v1"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = stdout(&out);
    assert!(printed.contains("* high priority @your-login"), "{printed}");
    let rules = root.join(".github/probot.toml");
    let checked = probot(&["check", path(&rules)]);
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
    assert!(stdout(&checked).ends_with(": ok\n"), "{}", stdout(&checked));
    let text = std::fs::read_to_string(&rules).unwrap();
    assert!(text.starts_with("#:schema ./probot.schema.json"));
    assert!(root.join(".github/probot.schema.json").exists());
    let workflow = std::fs::read_to_string(root.join(".github/workflows/probot.yml")).unwrap();
    assert!(workflow.contains("uses: acme/probot@v1"), "{workflow}");

    // Never overwrites: a second run writes nothing and says what exists.
    std::fs::write(&rules, "# mine\n").unwrap();
    let again = probot(&["init", root_arg]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("probot.toml exists"));
    assert_eq!(std::fs::read_to_string(&rules).unwrap(), "# mine\n");
}

/// `action.yml` downloads what the release workflow publishes: the same
/// archive names for the same runners, and the sums file.
#[test]
fn the_action_downloads_what_a_release_publishes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let release = std::fs::read_to_string(root.join(".github/workflows/release.yml")).unwrap();
    let action_yaml: serde_yaml::Value = serde_yaml::from_str(&action).unwrap();
    let release_yaml: serde_yaml::Value = serde_yaml::from_str(&release).unwrap();
    assert_eq!(action_yaml["runs"]["using"], "composite");
    assert_eq!(action_yaml["inputs"]["command"]["default"], "action");
    let built: Vec<String> = release_yaml["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(built.len(), 4);
    for target in &built {
        assert!(
            action.contains(&format!("target={target}")),
            "the action can't use {target}"
        );
    }
    assert!(
        action.contains("probot-${TARGET}.tar.gz")
            && release.contains("probot-${{ matrix.target }}.tar.gz")
    );
    assert!(action.contains("SHA256SUMS") && release.contains("> SHA256SUMS"));
    assert!(action.contains("check --format github"));
}
