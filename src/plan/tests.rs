//! The planner, event by event, as a maintainer would tell it.

use std::sync::Arc;

use super::*;
use crate::config;
use crate::event::{self, Actor, Event, PullRequestInfo, RepoName};
use crate::plan::cc::Subscriptions;

const BOT: &str = "probot[bot]";

fn rules(toml: &str) -> Ruleset {
    config::load(toml).unwrap_or_else(|problems| panic!("test rules invalid: {problems:?}"))
}

/// Who may start CI in a story: the author and the sender (the labeller).
#[derive(Debug, Clone, Copy, Default)]
struct Trust {
    author_can_write: bool,
    sender_can_write: bool,
}

fn issue(action: ItemAction, labels: &[&str]) -> ItemEvent {
    ItemEvent {
        kind: ItemKind::Issue,
        action,
        repo: RepoName::new("acme", "widgets"),
        installation: None,
        number: crate::event::IssueNumber(7),
        title: String::new(),
        body: "Steps".into(),
        association: String::new(),
        edits: Default::default(),
        author: "reporter".into(),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        open: true,
        sender: Actor {
            login: "maintainer".into(),
        },
        pull: None,
        replay_of: None,
    }
}

fn pull_request(action: ItemAction, labels: &[&str]) -> ItemEvent {
    ItemEvent {
        kind: ItemKind::PullRequest,
        pull: Some(PullRequestInfo {
            head_sha: "abc".into(),
            head_ref: "feature".into(),
            from_fork: false,
            base_ref: "main".into(),
            merged: false,
            draft: false,
            size: Default::default(),
        }),
        ..issue(action, labels)
    }
}

fn labeled(label: &str, others: &[&str]) -> ItemEvent {
    let mut labels = others.to_vec();
    labels.push(label);
    issue(ItemAction::Labeled(vec![label.into()]), &labels)
}

struct Story<'a> {
    rules: &'a Ruleset,
    trust: Trust,
    head_rules: Option<&'a str>,
    bot: &'static str,
    subscriptions: Subscriptions,
    files: Vec<String>,
    /// Labels a person removed lately, as the item's events tell.
    removed: Vec<String>,
    /// How many times the plan asked for the label history.
    history_reads: std::cell::Cell<usize>,
    /// Who last added each label, as the item's events tell.
    adders: std::collections::BTreeMap<String, String>,
}

impl<'a> Story<'a> {
    fn new(rules: &'a Ruleset) -> Self {
        Story {
            rules,
            trust: Trust::default(),
            head_rules: None,
            bot: BOT,
            subscriptions: Subscriptions::default(),
            files: Vec::new(),
            removed: Vec::new(),
            history_reads: std::cell::Cell::new(0),
            adders: std::collections::BTreeMap::new(),
        }
    }

    fn added_by(mut self, label: &str, who: &str) -> Self {
        self.adders.insert(label.to_owned(), who.to_owned());
        self
    }

    fn removed_lately(mut self, labels: &[&str]) -> Self {
        self.removed = labels.iter().map(|l| l.to_string()).collect();
        self
    }

    /// A bot that runs as a plain user account, with a token.
    fn bot(mut self, login: &'static str) -> Self {
        self.bot = login;
        self
    }

    fn tracking_issue(mut self, body: &str) -> Self {
        self.subscriptions = Subscriptions::parse(body);
        self
    }

    fn changed(mut self, files: &[&str]) -> Self {
        self.files = files.iter().map(|f| f.to_string()).collect();
        self
    }

    /// Plans as the bot does: reads what `needs` asks, round by round
    /// (the one bounded loop, `settle`), from the story, then plans.
    fn plan(&self, item: ItemEvent) -> Vec<Action> {
        let mut source = Told {
            story: self,
            item: &item,
        };
        let settled = settle(&mut source, Facts::default(), |facts| {
            needs(&item, self.rules, facts, self.bot)
        });
        let facts = futures_util::FutureExt::now_or_never(settled)
            .expect("a story answers at once")
            .unwrap_or_else(|error| panic!("{error}"));
        actions_for(&item, self.rules, &facts, self.bot)
    }
}

/// A story as the source of facts.
struct Told<'s> {
    story: &'s Story<'s>,
    item: &'s ItemEvent,
}

impl FactSource for Told<'_> {
    type Error = std::convert::Infallible;

    async fn read(&mut self, needs: Needs, facts: &mut Facts) -> Result<(), Self::Error> {
        let (story, item) = (self.story, self.item);
        if needs.tracking_issue.is_some() {
            facts.subscriptions = Some(Arc::new(story.subscriptions.clone()));
        }
        if needs.changed_files {
            facts.changed_files = Some(story.files.clone());
        }
        if needs.rules_at.is_some() {
            facts.rules_at_head = Some(story.head_rules.map(|t| Arc::new(super::review(t))));
        }
        if needs.label_adders {
            facts.label_adders = Some(story.adders.clone());
        }
        // No recent items in a story: nothing to compare.
        if needs.backtest.is_some() {
            facts.backtest = Some(Arc::new(super::Backtest::default()));
        }
        if needs.label_removals_since.is_some() || needs.label_removals_within.is_some() {
            story.history_reads.set(story.history_reads.get() + 1);
            facts.labels_removed = Some(story.removed.clone());
        }
        for login in &needs.write_access {
            let can_write = match login {
                l if l.eq_ignore_ascii_case(&item.sender.login) => story.trust.sender_can_write,
                l if l.eq_ignore_ascii_case(&item.author) => story.trust.author_can_write,
                _ => panic!("the plan asked about {login}, who is in no story"),
            };
            facts.set_write_access(login, can_write);
        }
        Ok(())
    }
}

fn add(labels: &[&str]) -> Action {
    Action::AddLabels {
        labels: labels.iter().map(|l| l.to_string()).collect(),
    }
}

fn cc(users: &[&str]) -> Action {
    Action::Cc {
        users: users.iter().map(|u| u.to_string()).collect(),
    }
}

const IMPLIES: &str = r#"
[[labels.implies]]
when = ["high priority", "critical"]
add = ["triage review"]
unless = ["triaged"]

[[labels.implies]]
when = ["triage review"]
add = ["needs meeting"]

[[labels.implies]]
when = ["module: cuda*"]
add = ["module: gpu"]
"#;

#[test]
fn labelling_high_priority_adds_triage_review_and_what_it_implies() {
    let rules = rules(IMPLIES);
    let story = Story::new(&rules);
    assert_eq!(
        story.plan(labeled("high priority", &[])),
        vec![add(&["triage review", "needs meeting"])]
    );
}

#[test]
fn labels_already_present_are_not_added_again() {
    let rules = rules(IMPLIES);
    let story = Story::new(&rules);
    // `triage review` was there already, so what it implies was settled
    // when it arrived (and may since have been removed on purpose).
    assert!(story
        .plan(labeled("high priority", &["triage review"]))
        .is_empty());
    assert!(story
        .plan(labeled("critical", &["triage review", "needs meeting"]))
        .is_empty());
}

#[test]
fn unless_blocks_the_implication() {
    let rules = rules(IMPLIES);
    assert!(Story::new(&rules)
        .plan(labeled("high priority", &["triaged"]))
        .is_empty());
}

#[test]
fn globs_in_when_match_label_families() {
    let rules = rules(IMPLIES);
    assert_eq!(
        Story::new(&rules).plan(labeled("module: cuda graphs", &[])),
        vec![add(&["module: gpu"])]
    );
}

#[test]
fn implications_are_edge_based_an_unrelated_label_does_not_bring_back_a_removed_one() {
    let rules = rules(IMPLIES);
    // `triage review` was removed after the meeting; `high priority` stays.
    assert!(Story::new(&rules)
        .plan(labeled("bug", &["high priority"]))
        .is_empty());
}

#[test]
fn an_opened_issue_gets_the_implications_of_all_its_labels() {
    let rules = rules(IMPLIES);
    let plan = Story::new(&rules).plan(issue(ItemAction::Opened, &["critical", "module: cuda"]));
    assert_eq!(
        plan,
        vec![add(&["triage review", "module: gpu", "needs meeting"])]
    );
}

#[test]
fn a_cycle_terminates() {
    let rules = rules(
        r#"
[[labels.implies]]
when = ["a"]
add = ["b"]
[[labels.implies]]
when = ["b"]
add = ["a", "c"]
"#,
    );
    assert_eq!(
        Story::new(&rules).plan(labeled("a", &[])),
        vec![add(&["b", "c"])]
    );
}

const CC: &str = r#"
[cc]
tracking_issue = 1

[[labels.implies]]
when = ["high priority"]
add = ["triage review"]
"#;

const TRACKING: &str =
    "* high priority @alice @bob\n* triage review @carol @alice\n* module: docs @dora\n";

#[test]
fn subscribers_of_the_label_and_of_what_it_implies_are_ccd() {
    let rules = rules(CC);
    let story = Story::new(&rules).tracking_issue(TRACKING);
    assert_eq!(
        story.plan(labeled("high priority", &[])),
        vec![add(&["triage review"]), cc(&["alice", "bob", "carol"])]
    );
}

#[test]
fn the_author_and_the_bot_are_never_ccd() {
    let rules = rules(CC);
    let story = Story::new(&rules)
        .bot("pytorchbot")
        .tracking_issue("* bug @reporter @PyTorchBot @erin\n");
    assert_eq!(story.plan(labeled("bug", &[])), vec![cc(&["erin"])]);
}

#[test]
fn cc_can_be_limited_to_issues() {
    let rules = rules("[cc]\ntracking_issue = 1\npull_requests = false\n");
    let story = Story::new(&rules).tracking_issue(TRACKING);
    assert!(story
        .plan(pull_request(
            ItemAction::Labeled(vec!["high priority".into()]),
            &["high priority"]
        ))
        .is_empty());
    assert_eq!(
        story.plan(labeled("high priority", &[])),
        vec![cc(&["alice", "bob"])]
    );
}

#[test]
fn unlabeling_and_editing_plan_nothing() {
    let rules = rules(CC);
    let story = Story::new(&rules).tracking_issue(TRACKING);
    assert!(story
        .plan(issue(ItemAction::Unlabeled("x".into()), &["high priority"]))
        .is_empty());
    assert!(story
        .plan(issue(ItemAction::Edited, &["high priority"]))
        .is_empty());
    assert!(story
        .plan(issue(ItemAction::Closed, &["high priority"]))
        .is_empty());
}

#[test]
fn events_the_bot_caused_plan_nothing() {
    let rules = rules(CC);
    let story = Story::new(&rules).tracking_issue(TRACKING);
    let mut item = labeled("high priority", &[]);
    item.sender = Actor {
        login: "Probot[bot]".into(),
    };
    assert!(story.plan(item).is_empty());
}

const PATHS: &str = r#"
[cc]
tracking_issue = 1

[[labels.paths]]
files = ["docs/**", "*.md"]
add = ["module: docs"]

[[labels.paths]]
files = ["torch/cuda/**"]
add = ["module: cuda"]

[[labels.implies]]
when = ["module: cuda"]
add = ["module: gpu"]
"#;

#[test]
fn a_pull_request_touching_docs_gets_the_docs_label_and_its_subscribers() {
    let rules = rules(PATHS);
    let story = Story::new(&rules)
        .tracking_issue(TRACKING)
        .changed(&["docs/source/index.rst", "src/lib.rs"]);
    assert_eq!(
        story.plan(pull_request(ItemAction::Opened, &[])),
        vec![add(&["module: docs"]), cc(&["dora"])]
    );
}

#[test]
fn path_labels_imply_too_and_a_push_adds_new_ones() {
    let rules = rules(PATHS);
    let story = Story::new(&rules).changed(&["torch/cuda/memory.py", "README.md"]);
    assert_eq!(
        story.plan(pull_request(ItemAction::Synchronize, &["module: docs"])),
        vec![add(&["module: cuda", "module: gpu"])]
    );
}

#[test]
fn path_rules_do_not_apply_to_issues() {
    let rules = rules(PATHS);
    let story = Story::new(&rules).changed(&["docs/a.md"]);
    assert!(story.plan(issue(ItemAction::Opened, &[])).is_empty());
}

#[test]
fn needs_asks_only_for_what_the_plan_reads() {
    let with_paths = rules(PATHS);
    let labels_only = rules(IMPLIES);
    let pr_opened = pull_request(ItemAction::Opened, &[]);
    let issue_labeled = labeled("bug", &[]);
    let none = Facts::default();
    let tracking_issue = Some(IssueRef {
        repo: RepoName::new("acme", "widgets"),
        number: crate::event::IssueNumber(1),
    });
    assert_eq!(
        needs(&pr_opened, &with_paths, &none, BOT),
        Needs {
            tracking_issue: tracking_issue.clone(),
            changed_files: true,
            ..Needs::default()
        }
    );
    assert_eq!(
        needs(&issue_labeled, &with_paths, &none, BOT),
        Needs {
            tracking_issue,
            ..Needs::default()
        }
    );
    // Pull request pushes always list their files: the rules file may be
    // among them.
    assert_eq!(
        needs(&pr_opened, &labels_only, &none, BOT),
        Needs {
            changed_files: true,
            ..Needs::default()
        }
    );
    assert_eq!(
        needs(&labeled("bug", &[]), &labels_only, &none, BOT),
        Needs::default()
    );
}

#[test]
fn the_rules_at_the_head_are_read_only_once_the_files_show_them_changed() {
    let labels_only = rules(IMPLIES);
    let pr_pushed = pull_request(ItemAction::Synchronize, &[]);
    let mut facts = Facts {
        changed_files: Some(vec!["src/lib.rs".into()]),
        ..Facts::default()
    };
    assert!(needs(&pr_pushed, &labels_only, &facts, BOT).is_empty());
    facts.changed_files = Some(vec![".github/probot.toml".into()]);
    assert_eq!(
        needs(&pr_pushed, &labels_only, &facts, BOT),
        Needs {
            rules_at: Some("abc".into()),
            ..Needs::default()
        }
    );
    facts.rules_at_head = Some(None);
    assert!(needs(&pr_pushed, &labels_only, &facts, BOT).is_empty());
}

#[test]
fn ci_asks_for_the_labellers_access_and_then_the_authors() {
    let rules = rules(CI);
    let none = Facts::default();
    let labeled = pull_request(
        ItemAction::Labeled(vec!["ciflow/trunk".into()]),
        &["ciflow/trunk"],
    );
    assert_eq!(
        needs(&labeled, &rules, &none, BOT).write_access,
        ["maintainer".to_owned()].into()
    );
    let pushed = pull_request(ItemAction::Synchronize, &["ciflow/trunk"]);
    assert_eq!(
        needs(&pushed, &rules, &none, BOT).write_access,
        ["reporter".to_owned()].into()
    );
    let mut known = Facts::default();
    known.set_write_access("Reporter", false);
    assert!(needs(&pushed, &rules, &known, BOT).write_access.is_empty());
}

/// GitHub's published webhook examples, kept in `tests/fixtures/github/`.
fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github/webhooks")
}

/// Every fixture payload GitHub publishes either plans or is ignored
/// cleanly: no panics, no errors for well-formed payloads.
#[test]
fn every_fixture_payload_plans_or_is_ignored() {
    let dir = fixtures();
    let rules = rules(&format!(
        "{PATHS}\n[[labels.implies]]\nwhen = [\"bug\"]\nadd = [\"triage review\"]\n"
    ));
    let story = Story::new(&rules)
        .tracking_issue("* bug @watcher\n")
        .changed(&["README.md"]);
    let mut planned = 0;
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures directory") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let event_name = name.split('.').next().unwrap_or_default();
        let payload = std::fs::read(&path).expect("fixture");
        let event = event::parse(event_name, &payload).unwrap_or_else(|e| panic!("{name}: {e}"));
        seen += 1;
        if let Event::Item(item) = event {
            if !story.plan(item).is_empty() {
                planned += 1;
            }
        }
    }
    assert!(seen >= 80, "only {seen} fixtures found");
    assert!(planned > 0, "no fixture planned anything");
}

/// GitHub's webhook schema allows `null` for the author of an issue, a
/// pull request or a comment whose account was deleted, and a push with
/// no `sender`: each parses, as the ghost, and plans as any other.
#[test]
fn payloads_with_a_deleted_user_or_no_sender_parse_as_the_ghost() {
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(fixtures().join(name)).expect("fixture"))
            .expect("JSON")
    };
    let parse = |event: &str, payload: &serde_json::Value| {
        event::parse(event, &serde_json::to_vec(payload).unwrap())
            .unwrap_or_else(|e| panic!("{event}: {e}"))
    };
    let mut labeled = read("issues.labeled.1.json");
    labeled["issue"]["user"] = serde_json::Value::Null;
    let Event::Item(item) = parse("issues", &labeled) else {
        panic!("an item event")
    };
    assert_eq!(item.author, event::GHOST);
    let rules = rules("[cc]\ntracking_issue = 1\n[[labels.implies]]\nwhen = [\"bug\"]\nadd = [\"triage review\"]\n[[rules]]\nwhen.author = [\"ghost\", \"@acme/team\"]\nadd = [\"by a ghost\"]\n");
    let story = Story::new(&rules).tracking_issue("* bug @watcher\n");
    assert_eq!(
        story.plan(item),
        vec![add(&["triage review"]), cc(&["watcher"])],
        "no author rule matches the ghost, and no team is asked about"
    );

    let mut opened = read("pull_request.opened.1.json");
    opened["pull_request"]["user"] = serde_json::Value::Null;
    opened.as_object_mut().unwrap().remove("sender");
    let Event::Item(pull) = parse("pull_request", &opened) else {
        panic!("an item event")
    };
    assert_eq!(
        (pull.author.as_str(), pull.sender.login.as_str()),
        (event::GHOST, event::GHOST)
    );

    let mut comment = read("issue_comment.created.1.json");
    comment["comment"]["user"] = serde_json::Value::Null;
    let Event::Comment(comment) = parse("issue_comment", &comment) else {
        panic!("a comment")
    };
    assert_eq!(comment.author, event::GHOST);

    let mut push = read("push.1.json");
    push.as_object_mut().unwrap().remove("sender");
    assert!(matches!(parse("push", &push), Event::Push(p) if p.sender.login == event::GHOST));
}

/// A payload that really is unreadable says where and why.
#[test]
fn an_unreadable_payload_names_the_field() {
    let mut labeled: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("issues.labeled.1.json")).expect("fixture"),
    )
    .unwrap();
    labeled["issue"]["number"] = serde_json::json!("seven");
    let error = event::parse("issues", &serde_json::to_vec(&labeled).unwrap()).unwrap_err();
    assert!(error.to_string().contains("issue.number"), "{error}");
}

#[test]
fn the_labeled_fixture_plans_its_implication_and_cc() {
    let payload = std::fs::read(fixtures().join("issues.labeled.1.json")).expect("fixture");
    let event = event::parse("issues", &payload).expect("parses");
    let Event::Item(item) = &event else {
        panic!("not an item event: {event:?}")
    };
    assert_eq!(item.action, ItemAction::Labeled(vec!["bug".into()]));
    let rules = rules("[cc]\ntracking_issue = 1\n[[labels.implies]]\nwhen = [\"bug\"]\nadd = [\"triage review\"]\n");
    let story = Story::new(&rules).tracking_issue("* bug @watcher\n* triage review @reviewer\n");
    assert_eq!(
        story.plan(item.clone()),
        vec![add(&["triage review"]), cc(&["watcher", "reviewer"])]
    );
}

#[test]
fn a_pull_request_changing_the_rules_gets_a_failing_check_run_with_annotations() {
    let rules = rules(IMPLIES);
    let mut story = Story::new(&rules).changed(&[".github/probot.toml", "src/lib.rs"]);
    story.head_rules = Some("[cc]\ntracking_issue = 0\n");
    let plan = story.plan(pull_request(ItemAction::Synchronize, &[]));
    let [Action::CheckRun(run)] = plan.as_slice() else {
        panic!("expected one check run, got {plan:?}")
    };
    assert_eq!(run.name, "probot config");
    assert_eq!(run.head_sha.as_str(), "abc");
    assert_eq!(run.conclusion, "failure");
    assert_eq!(run.annotations.len(), 1);
    assert_eq!(run.annotations[0].start_line, 2);
    assert_eq!(run.annotations[0].annotation_level, "failure");
    assert!(
        run.summary.contains("positive issue number"),
        "{}",
        run.summary
    );
}

#[test]
fn valid_rules_in_a_pull_request_pass_and_unchanged_rules_are_not_checked() {
    let rules = rules(IMPLIES);
    let mut story = Story::new(&rules).changed(&[".github/probot.toml"]);
    story.head_rules = Some("[cc]\ntracking_issue = 3\n");
    let plan = story.plan(pull_request(ItemAction::Opened, &[]));
    assert!(
        matches!(plan.as_slice(), [Action::CheckRun(run)] if run.conclusion == "success"),
        "{plan:?}"
    );
    let mut story = Story::new(&rules).changed(&["src/lib.rs"]);
    story.head_rules = Some("broken = [");
    assert!(story.plan(pull_request(ItemAction::Opened, &[])).is_empty());
}

#[test]
fn the_check_run_of_changed_rules_says_what_each_label_rule_does() {
    let rules = rules(IMPLIES);
    let mut story = Story::new(&rules).changed(&[".github/probot.toml"]);
    story.head_rules = Some(
        "[[labels.implies]]\nwhen = [\"a\"]\nadd = [\"b\"]\n\n[[rules]]\nname = \"rocm\"\nwhen = { title = '^\\[ROCm\\]' }\nadd = [\"module: rocm\"]\n",
    );
    let plan = story.plan(pull_request(ItemAction::Opened, &[]));
    let [Action::CheckRun(run)] = plan.as_slice() else {
        panic!("expected one check run, got {plan:?}")
    };
    assert!(
        run.summary
            .contains("- labels.implies[0] (line 1): when a label matching `a` arrived, add `b`"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains(
            "- rules[0] \"rocm\" (line 5): when title matches /^\\[ROCm\\]/, add `module: rocm`"
        ),
        "{}",
        run.summary
    );
}

#[test]
fn only_arrivals_labels_and_pushes_are_acted_on() {
    let acts_on = |item: &ItemEvent| ignored(item, BOT).is_none();
    assert!(acts_on(&issue(ItemAction::Opened, &[])));
    assert!(acts_on(&labeled("x", &[])));
    assert!(acts_on(&pull_request(ItemAction::Synchronize, &[])));
    assert!(!acts_on(&issue(ItemAction::Edited, &[])));
    // A label removed may leave a required label missing.
    assert!(acts_on(&issue(ItemAction::Unlabeled("x".into()), &[])));
    assert!(!acts_on(&issue(ItemAction::Synchronize, &[])));
    let mut own = labeled("x", &[]);
    own.sender.login = "Probot[bot]".into();
    assert_eq!(ignored(&own, BOT), Some("the bot's own event"));
}

const CI: &str = r#"
[ci]
prefixes = ["ciflow/"]

[ci.labels]
"ciflow/trunk" = "trunk.yml"
"ciflow/periodic" = { workflow = "periodic.yml", via = "workflow_dispatch" }
"#;

fn trusted() -> Trust {
    Trust {
        author_can_write: true,
        sender_can_write: true,
    }
}

fn ci_story(rules: &Ruleset, trust: Trust) -> Story<'_> {
    let mut story = Story::new(rules);
    story.trust = trust;
    story
}

#[test]
fn a_ci_label_from_a_writer_tags_the_head() {
    let rules = rules(CI);
    let plan = ci_story(&rules, trusted()).plan(pull_request(
        ItemAction::Labeled(vec!["ciflow/trunk".into()]),
        &["ciflow/trunk"],
    ));
    assert_eq!(
        plan,
        vec![
            Action::SyncTag {
                tag: "ciflow/trunk/7".into(),
                sha: "abc".into()
            },
            // What a waiting comment asked for, done: it says so, if there is one.
            Action::UpdateComment {
                marker: WAITING_COMMENT_MARKER.into(),
                body: format!("{WAITING_COMMENT_MARKER}\nCI (`ciflow/trunk`) started for abc."),
            }
        ]
    );
}

#[test]
fn a_ci_label_from_someone_without_write_access_does_nothing() {
    let rules = rules(CI);
    let trust = Trust {
        author_can_write: true,
        sender_can_write: false,
    };
    assert!(ci_story(&rules, trust)
        .plan(pull_request(
            ItemAction::Labeled(vec!["ciflow/trunk".into()]),
            &["ciflow/trunk"]
        ))
        .is_empty());
}

#[test]
fn workflow_dispatch_names_the_pull_request_and_runs_on_its_branch() {
    let rules = rules(CI);
    let plan = ci_story(&rules, trusted()).plan(pull_request(
        ItemAction::Labeled(vec!["ciflow/periodic".into()]),
        &["ciflow/periodic"],
    ));
    let [Action::Dispatch(dispatch), Action::UpdateComment { .. }] = plan.as_slice() else {
        panic!("{plan:?}")
    };
    assert_eq!(dispatch.head_sha.as_str(), "abc");
    let DispatchKind::WorkflowDispatch {
        workflow,
        git_ref,
        inputs,
    } = &dispatch.kind
    else {
        panic!("{dispatch:?}")
    };
    assert_eq!(
        (workflow.as_str(), git_ref.as_str()),
        ("periodic.yml", "feature")
    );
    assert_eq!(inputs["pr_number"], "7");
}

#[test]
fn an_untrusted_push_keeps_the_tag_and_says_why() {
    let rules = rules(CI);
    let trust = Trust {
        author_can_write: false,
        sender_can_write: false,
    };
    let plan =
        ci_story(&rules, trust).plan(pull_request(ItemAction::Synchronize, &["ciflow/trunk"]));
    assert!(
        matches!(plan.as_slice(), [Action::Comment { marker, .. }] if marker == WAITING_COMMENT_MARKER),
        "{plan:?}"
    );
    // A push by an author with write access: CI follows it, and a waiting
    // comment from an earlier push, if there is one, says CI started.
    let plan =
        ci_story(&rules, trusted()).plan(pull_request(ItemAction::Synchronize, &["ciflow/trunk"]));
    assert!(
        matches!(plan.as_slice(), [Action::SyncTag { .. }, Action::UpdateComment { marker, body }]
            if marker == WAITING_COMMENT_MARKER && body.contains("`ciflow/trunk`) started for abc")),
        "{plan:?}"
    );
}

#[test]
fn unlabeling_and_closing_remove_tags() {
    let rules = rules(CI);
    let story = ci_story(&rules, Trust::default());
    assert_eq!(
        story.plan(pull_request(
            ItemAction::Unlabeled("ciflow/trunk".into()),
            &[]
        )),
        vec![Action::DeleteTag {
            tag: "ciflow/trunk/7".into()
        }]
    );
    let mut closed = pull_request(ItemAction::Closed, &["ciflow/trunk"]);
    closed.open = false;
    assert_eq!(
        story.plan(closed),
        vec![
            Action::DeleteTag {
                tag: "ciflow/trunk/7".into()
            },
            Action::ForgetDispatches {
                number: crate::event::IssueNumber(7)
            }
        ]
    );
}

#[test]
fn an_unmapped_prefixed_label_gets_the_list_and_other_labels_nothing() {
    let rules = rules(CI);
    let story = ci_story(&rules, trusted());
    let plan = story.plan(pull_request(
        ItemAction::Labeled(vec!["ciflow/nope".into()]),
        &["ciflow/nope"],
    ));
    assert!(
        matches!(plan.as_slice(), [Action::Comment { marker, body }] if marker == LABELS_COMMENT_MARKER && body.contains("- `ciflow/trunk`")),
        "{plan:?}"
    );
    assert!(story
        .plan(pull_request(
            ItemAction::Labeled(vec!["bug".into()]),
            &["bug"]
        ))
        .is_empty());
}

#[test]
fn ci_labels_on_issues_start_nothing() {
    let rules = rules(CI);
    assert!(ci_story(&rules, trusted())
        .plan(labeled("ciflow/trunk", &[]))
        .is_empty());
}

#[test]
fn a_check_run_stays_within_githubs_limits_however_broken_the_file() {
    let rules = rules(IMPLIES);
    let bad = "\"\\q\", ".repeat(5_000);
    let head = format!("[[labels.implies]]\nwhen = [{bad}]\nadd = [\"x\"]\n");
    let mut story = Story::new(&rules).changed(&[".github/probot.toml"]);
    story.head_rules = Some(&head);
    let plan = story.plan(pull_request(ItemAction::Synchronize, &[]));
    let [Action::CheckRun(run)] = plan.as_slice() else {
        panic!("expected one check run, got {plan:?}")
    };
    assert_eq!(run.conclusion, "failure");
    assert!(run.summary.chars().count() <= crate::limits::MAX_CHECK_SUMMARY_CHARS);
    assert!(run.annotations.len() <= crate::limits::MAX_CHECK_ANNOTATIONS);
    let request = run.to_request();
    assert!(request["output"]["annotations"].as_array().unwrap().len() <= 50);
}

#[test]
fn a_cc_line_never_pushes_the_body_past_githubs_limit() {
    let rules = rules("[cc]\ntracking_issue = 1\n");
    let users: Vec<String> = (0..400).map(|i| format!("@someone-{i}")).collect();
    let story = Story::new(&rules).tracking_issue(&format!("* bug {}\n", users.join(" ")));
    let mut item = labeled("bug", &[]);
    item.body = "x".repeat(crate::limits::MAX_BODY_CHARS - 100);
    let plan = story.plan(item.clone());
    let [Action::Cc { users }] = plan.as_slice() else {
        panic!("expected a cc, got {plan:?}")
    };
    let merged = crate::plan::cc::line::merge(&item.body, users).unwrap();
    assert!(merged.chars().count() <= crate::limits::MAX_BODY_CHARS);
    assert!(!users.is_empty() && users.len() < 400);
}

#[test]
fn a_replay_reads_the_label_history_only_when_it_would_add_and_spares_what_a_person_removed() {
    let rules = rules(IMPLIES);
    let mut replayed = labeled("high priority", &[]);
    replayed.replay_of = Some("2026-11-30T10:00:00Z".into());
    let none = Facts::default();
    assert_eq!(
        needs(&replayed, &rules, &none, BOT)
            .label_removals_since
            .as_deref(),
        Some("2026-11-30T10:00:00Z")
    );
    // Nothing to add: no history read.
    let mut nothing = labeled("bug", &[]);
    nothing.replay_of = Some("2026-11-30T10:00:00Z".into());
    assert_eq!(
        needs(&nothing, &rules, &none, BOT).label_removals_since,
        None
    );
    // A person removed `triage review` since: it is not added back; what
    // it implies still is, as it would have been without the crash.
    let facts = Facts {
        labels_removed: Some(vec!["triage review".into()]),
        ..Facts::default()
    };
    assert_eq!(
        actions_for(&replayed, &rules, &facts, BOT),
        vec![add(&["needs meeting"])]
    );
}

/// The budget ends a check: compiling regexes stops at it, and the pull
/// request gets a failing check run saying the file could not be checked.
#[test]
fn a_rules_file_too_slow_to_check_gets_a_failing_check_run_saying_so() {
    let head = "[[rules]]\nwhen.title = '(?i)\\pL{9}'\nadd = ['x']\n";
    assert_eq!(
        super::review_within(head, None, std::time::Duration::from_secs(60)),
        super::review(head)
    );
    let cut_off = super::review_within(head, None, std::time::Duration::ZERO);
    let rules = rules(IMPLIES);
    let facts = Facts {
        changed_files: Some(vec![".github/probot.toml".into()]),
        rules_at_head: Some(Some(Arc::new(cut_off))),
        ..Facts::default()
    };
    let planned = actions_for(
        &pull_request(ItemAction::Synchronize, &[]),
        &rules,
        &facts,
        BOT,
    );
    let [Action::CheckRun(run)] = planned.as_slice() else {
        panic!("expected one check run, got {planned:?}")
    };
    assert_eq!(
        (run.conclusion.as_str(), run.head_sha.as_str()),
        ("failure", "abc")
    );
    assert!(
        run.summary.contains("could not be checked within 0 s"),
        "{}",
        run.summary
    );
}

#[test]
fn an_item_with_no_label_and_none_to_come_reads_no_subscriptions() {
    let rules = rules(IMPLIES_WITH_CC);
    let none = Facts::default();
    assert_eq!(
        needs(&issue(ItemAction::Opened, &[]), &rules, &none, BOT),
        Needs::default()
    );
    assert!(
        needs(&issue(ItemAction::Opened, &["bug"]), &rules, &none, BOT)
            .tracking_issue
            .is_some()
    );
}

const IMPLIES_WITH_CC: &str = r#"
[cc]
tracking_issue = 1

[[labels.implies]]
when = ["bug"]
add = ["triage review"]
"#;

const PATH_CC: &str = r#"
[cc]
tracking_issue = 1

[[cc.paths]]
files = ["ci/**"]
users = ["@ci-owner"]
"#;

#[test]
fn a_pull_request_is_ccd_to_the_subscribers_of_the_paths_it_changes() {
    let rules = rules(PATH_CC);
    let story = Story::new(&rules)
        .tracking_issue("* `docs/**` @svekars @reporter\n* `torch/cuda/**` @ngimel\n")
        .changed(&["docs/index.md", "ci/build.sh"]);
    // The author (`reporter`) is never CC'd; the rules' paths come first.
    assert_eq!(
        story.plan(pull_request(ItemAction::Opened, &[])),
        [cc(&["ci-owner", "svekars"])]
    );
    // A push is planned too: new commits may change more paths.
    assert_eq!(
        story.plan(pull_request(ItemAction::Synchronize, &[])),
        [cc(&["ci-owner", "svekars"])]
    );
}

#[test]
fn an_unlabelled_item_without_path_subscribers_ccs_nobody() {
    let rules = rules("[cc]\ntracking_issue = 1\n");
    let story = Story::new(&rules)
        .tracking_issue("* bug @a\n")
        .changed(&["src/lib.rs"]);
    assert!(story.plan(pull_request(ItemAction::Opened, &[])).is_empty());
    // An issue never reads files, whatever the subscriptions.
    let facts = Facts {
        subscriptions: Some(Arc::new(Subscriptions::parse("* `src/**` @a\n"))),
        ..Facts::default()
    };
    assert!(needs(&issue(ItemAction::Opened, &[]), &rules, &facts, BOT).is_empty());
}

#[test]
fn comment_mode_plans_everyone_with_the_reasons_that_brought_them() {
    let rules = rules("[cc]\ntracking_issue = 1\nmode = \"comment\"\nreasons = true\n");
    let story = Story::new(&rules)
        .tracking_issue("* bug @alice\n* module: nn @alice @bob\n* `src/**` @carol\n")
        .changed(&["src/lib.rs"]);
    let mut item = pull_request(ItemAction::Opened, &["bug", "module: nn"]);
    item.body = "Fixes it.\n\ncc @bob".into();
    let actions = story.plan(item);
    let Action::CcComment { users, reasons } = &actions[0] else {
        panic!("{actions:?}")
    };
    assert!(reasons);
    let rendered: Vec<String> = users.iter().map(|u| u.render(true)).collect();
    // The body is not the bot's: `bob` there is no reason to skip him.
    assert_eq!(
        rendered,
        [
            "@alice (bug, module: nn)",
            "@bob (module: nn)",
            "@carol (`src/**`)"
        ]
    );
}

#[test]
fn the_cc_comment_gains_only_the_names_it_lacks() {
    let entry = |login: &str| crate::plan::CcEntry {
        login: login.into(),
        because: vec!["bug".into()],
    };
    let first = crate::plan::cc::line::comment(None, &[entry("alice")], false).unwrap();
    assert_eq!(first, "<!-- probot:cc -->\ncc @alice");
    assert_eq!(
        crate::plan::cc::line::comment(Some(&first), &[entry("Alice")], false),
        None
    );
    assert_eq!(
        crate::plan::cc::line::comment(Some(&first), &[entry("alice"), entry("bob")], true)
            .unwrap(),
        "<!-- probot:cc -->\ncc @alice @bob (bug)"
    );
}

#[test]
fn an_edit_of_the_tracking_issue_with_an_unreadable_line_is_answered_once_fixed_too() {
    let rules = rules("[cc]\ntracking_issue = 7\n");
    let mut edit = issue(ItemAction::Edited, &[]);
    edit.body = "* bug @a\n* `src/[` @b\n".into();
    let actions = Story::new(&rules).plan(edit.clone());
    assert!(
        matches!(actions.as_slice(), [Action::Comment { marker, body }]
            if marker == crate::plan::UNREADABLE_MARKER && body.contains("line 2: `src/[` is not a valid glob")),
        "{actions:?}"
    );
    edit.body = "* bug @a\n* `src/**` @b\n".into();
    let actions = Story::new(&rules).plan(edit.clone());
    assert!(
        matches!(actions.as_slice(), [Action::UpdateComment { .. }]),
        "{actions:?}"
    );
    // Another issue's edit, or prose, is nothing to the bot.
    edit.number = crate::event::IssueNumber(8);
    assert!(Story::new(&rules).plan(edit.clone()).is_empty());
    edit.number = crate::event::IssueNumber(7);
    edit.body = "Just prose.".into();
    assert!(crate::plan::ignored(&edit, BOT).is_some());
}

#[test]
fn labels_under_an_exempt_sub_prefix_get_no_unknown_label_comment() {
    let rules = rules(&format!("{CI}\n").replace(
        "prefixes = [\"ciflow/\"]",
        "prefixes = [\"ciflow/\"]\nexempt = [\"ciflow/nightly/\"]",
    ));
    let story = ci_story(&rules, trusted());
    let exempt = story.plan(pull_request(
        ItemAction::Labeled(vec!["ciflow/nightly/cuda".into()]),
        &["ciflow/nightly/cuda"],
    ));
    assert!(exempt.is_empty(), "{exempt:?}");
    let unknown = story.plan(pull_request(
        ItemAction::Labeled(vec!["ciflow/typo".into()]),
        &["ciflow/typo"],
    ));
    assert!(
        matches!(unknown.as_slice(), [Action::Comment { marker, .. }] if marker == LABELS_COMMENT_MARKER),
        "{unknown:?}"
    );
}

#[test]
fn the_re_add_guard_keeps_a_label_a_person_removed_lately_and_reads_history_only_to_add() {
    let rules = rules(&format!(
        "[labels]\nrespect_removals_for = \"1h\"\n{IMPLIES}"
    ));
    let story = Story::new(&rules).removed_lately(&["triage review"]);
    // `high priority` implies `triage review`, which a person removed
    // lately: it stays off, and implies nothing (`needs meeting`) either.
    assert!(story.plan(labeled("high priority", &[])).is_empty());
    assert_eq!(story.history_reads.get(), 1);
    // Nothing to add: no history read.
    let quiet = Story::new(&rules);
    quiet.plan(labeled("unrelated", &[]));
    assert_eq!(quiet.history_reads.get(), 0);
    // Without the guard, the label comes back.
    let plain = rules_without_guard();
    let plan = Story::new(&plain)
        .removed_lately(&["triage review"])
        .plan(labeled("high priority", &[]));
    assert!(
        plan.iter().any(|a| matches!(a, Action::AddLabels { labels } if labels.contains(&"triage review".to_owned()))),
        "{plan:?}"
    );
}

fn rules_without_guard() -> Ruleset {
    rules(IMPLIES)
}

#[test]
fn a_label_of_the_other_kind_is_taken_off_with_one_comment() {
    let rules =
        rules("[labels]\nissues_only = [\"needs repro\"]\npull_requests_only = [\"ciflow/*\"]\n");
    let story = Story::new(&rules);
    let plan = story.plan(labeled("ciflow/trunk", &["bug"]));
    assert_eq!(
        plan[0],
        Action::RemoveLabels {
            labels: vec!["ciflow/trunk".into()]
        }
    );
    assert!(
        matches!(&plan[1], Action::Comment { marker, body }
            if marker == crate::plan::SCOPE_COMMENT_MARKER && body.contains("`ciflow/trunk` belongs on pull requests only")),
        "{plan:?}"
    );
    let on_pull = story.plan(pull_request(
        ItemAction::Labeled(vec!["needs repro".into()]),
        &["needs repro"],
    ));
    assert!(
        matches!(on_pull.first(), Some(Action::RemoveLabels { labels }) if labels == &["needs repro"])
    );
    // The right kind keeps it.
    assert!(story
        .plan(pull_request(
            ItemAction::Labeled(vec!["ciflow/trunk".into()]),
            &["ciflow/trunk"]
        ))
        .is_empty());
}

const REQUIRED: &str = r#"
[[labels.required]]
one_of = ["release notes: *", "topic: not user facing"]
message = "See CONTRIBUTING.md."

[[labels.required]]
on = "issues"
one_of = ["triaged"]

[[labels.required]]
one_of = ["ok to merge"]
report = "check_run"
"#;

#[test]
fn a_pull_request_missing_a_required_label_is_told_once_and_thanked_once_fixed() {
    let rules = rules(REQUIRED);
    let story = Story::new(&rules);
    let plan = story.plan(pull_request(ItemAction::Opened, &[]));
    let comments: Vec<&str> = plan
        .iter()
        .filter_map(|a| match a {
            Action::Comment { body, .. } => Some(body.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(comments.len(), 1, "{plan:?}");
    assert!(
        comments[0].contains("`release notes: *`, `topic: not user facing`. See CONTRIBUTING.md.")
    );
    let runs: Vec<&CheckRun> = plan
        .iter()
        .filter_map(|a| match a {
            Action::CheckRun(run) => Some(run),
            _ => None,
        })
        .collect();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].name.as_str(), runs[0].conclusion.as_str()),
        (crate::plan::REQUIRED_CHECK_NAME, "failure")
    );

    let fixed = story.plan(pull_request(
        ItemAction::Labeled(vec!["release notes: nn".into()]),
        &["release notes: nn"],
    ));
    assert!(
        fixed.iter().any(|a| matches!(a, Action::UpdateComment { body, .. } if body.contains("has `release notes: nn`"))),
        "{fixed:?}"
    );
    // The issue rule is the issues' own; a closed item is left alone.
    let on_issue = story.plan(issue(ItemAction::Opened, &[]));
    assert!(
        matches!(on_issue.as_slice(), [Action::Comment { body, .. }] if body.contains("`triaged`")),
        "{on_issue:?}"
    );
    let mut closed = issue(ItemAction::Labeled(vec!["x".into()]), &["x"]);
    closed.open = false;
    assert!(story.plan(closed).is_empty());
}

const DOCS_PATHS: &str = r#"
[[labels.paths]]
files = ["docs/**"]
add = ["module: docs"]

[[labels.paths]]
files = ["ci/**"]
add = ["module: ci"]
"#;

fn draft_pull(action: ItemAction, labels: &[&str], draft: bool) -> ItemEvent {
    let mut item = pull_request(action, labels);
    if let Some(pull) = item.pull.as_mut() {
        pull.draft = draft;
    }
    item
}

#[test]
fn path_labels_wait_for_a_draft_to_be_ready_and_go_when_it_is_a_draft_again() {
    let rules = rules(DOCS_PATHS);
    let story = Story::new(&rules).changed(&["docs/index.md"]);
    assert!(story
        .plan(draft_pull(ItemAction::Opened, &[], true))
        .is_empty());
    assert!(story
        .plan(draft_pull(ItemAction::Synchronize, &[], true))
        .is_empty());
    assert_eq!(
        story.plan(draft_pull(ItemAction::ReadyForReview, &[], false)),
        [add(&["module: docs"])]
    );
    // Back to draft: only what the bot added goes.
    let back = Story::new(&rules)
        .added_by("module: docs", BOT)
        .added_by("module: ci", "maintainer")
        .plan(draft_pull(
            ItemAction::ConvertedToDraft,
            &["module: docs", "module: ci", "bug"],
            true,
        ));
    assert_eq!(
        back,
        [Action::RemoveLabels {
            labels: vec!["module: docs".into()]
        }]
    );
}

#[test]
fn a_label_of_the_other_kind_implies_nothing_and_is_never_implied() {
    let rules = rules(&format!(
        "[labels]\nissues_only = [\"high priority\"]\npull_requests_only = [\"needs meeting\"]\n{IMPLIES}"
    ));
    // On a pull request `high priority` comes off, and brings nothing.
    let plan = Story::new(&rules).plan(pull_request(
        ItemAction::Labeled(vec!["high priority".into()]),
        &["high priority"],
    ));
    assert!(
        plan.iter().all(|a| !matches!(a, Action::AddLabels { .. })),
        "{plan:?}"
    );
    // On an issue, `triage review` comes, but not the pull-request-only
    // `needs meeting` it implies.
    assert_eq!(
        Story::new(&rules).plan(labeled("triage review", &[])),
        Vec::<Action>::new()
    );
}

/// A source that never fills a need (a new kind of fact nobody reads yet)
/// ends the one loop with an error naming it, never a hang.
#[test]
fn a_need_nobody_reads_is_an_error_naming_it_not_a_hang() {
    struct Deaf;
    impl FactSource for Deaf {
        type Error = std::convert::Infallible;
        async fn read(&mut self, _: Needs, _: &mut Facts) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    let rules = rules(PATHS);
    let item = pull_request(ItemAction::Opened, &[]);
    let mut deaf = Deaf;
    let settled = settle(&mut deaf, Facts::default(), |facts| {
        needs(&item, &rules, facts, BOT)
    });
    match futures_util::FutureExt::now_or_never(settled).expect("at once") {
        Err(SettleError::Unsettled(unmet)) => assert!(unmet.changed_files, "{unmet:?}"),
        other => panic!("expected an unsettled plan, got {other:?}"),
    }
}

/// A source that can read nothing (the command line, a recorded history)
/// still settles every need: `assume_nothing` answers each, as "none".
#[test]
fn knowing_nothing_answers_every_need() {
    let needs = Needs {
        tracking_issue: Some(IssueRef {
            repo: RepoName::new("acme", "widgets"),
            number: crate::event::IssueNumber(1),
        }),
        changed_files: true,
        rules_at: Some("abc".into()),
        write_access: ["alice".to_owned()].into(),
        label_removals_since: Some("2026-01-01T00:00:00Z".into()),
        label_removals_within: Some(60),
        label_adders: true,
        author_teams: ["acme/core".to_owned()].into(),
        people: true,
        team_members: ["acme/core".to_owned()].into(),
        load: [(config::Role::Reviewer, "alice".to_owned())].into(),
        backtest: Some(10),
        rules_users: true,
    };
    let mut facts = Facts::default();
    facts.assume_nothing(needs.clone());
    assert!(needs.unmet(&facts).is_empty());
    assert!(!facts.can_write("alice"));
    assert_eq!(facts.changed_files, Some(Vec::new()));
}
