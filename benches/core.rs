//! The hot pure paths: parsing a large tracking issue, planning one event
//! against many rules (implications; and a large repository's general rules,
//! with regexes and globs), and loading those rules.
//!
//! `cargo bench --bench core`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use probot::config::{self, Implication, Rules};
use probot::event::{Actor, ItemAction, ItemEvent, ItemKind, RepoName};
use probot::plan::cc::Subscriptions;
use probot::plan::{actions_for, Facts};

/// 2,000 lines: 1,500 subscription lines over 500 labels (so labels repeat
/// and merge), with prose, blank lines and CRLF endings mixed in.
fn tracking_issue() -> String {
    let mut body =
        String::from("Subscribe below; the bot CCs you on items with the label.\r\n\r\n");
    let mut lines = 2;
    let mut i = 0;
    while lines < 2000 {
        if i % 4 == 3 {
            body.push_str("Prose about module ownership, mail admin@example.org.\n");
        } else {
            body.push_str(&format!(
                "* module: area-{} @user-{} @user-{} @org/team-{}\n",
                i % 500,
                i,
                i + 1,
                i % 17
            ));
        }
        lines += 1;
        i += 1;
    }
    body
}

/// 500 rules: half exact, a quarter globs, a quarter chaining into the next,
/// as the text of a rules file.
fn rules_file() -> String {
    let implies = (0..500)
        .map(|i| Implication {
            when: vec![match i % 4 {
                0 | 1 => format!("label-{i}"),
                2 => format!("family-{i}: *"),
                _ => format!("implied-{}", i - 1),
            }],
            add: vec![format!("implied-{i}")],
            unless: if i % 5 == 0 {
                vec!["triaged".into()]
            } else {
                Vec::new()
            },
        })
        .collect();
    let mut rules = Rules::default();
    rules.labels.implies = implies;
    rules.cc = Some(probot::config::CcRules {
        tracking_issue: 1,
        repository: None,
        issues: true,
        pull_requests: true,
        mode: probot::config::CcMode::Body,
        reasons: false,
        paths: Vec::new(),
    });
    toml::to_string(&rules).expect("rules serialize")
}

/// A large repository's rules: 500 `[[rules]]`, 100 on title regexes,
/// 300 on path globs (one glob each, some with a label guard), 100 on
/// labels (all-of-a-set, arrivals).
fn large_rules_file() -> String {
    let mut text = String::new();
    for i in 0..100 {
        text.push_str(&format!(
            "[[rules]]\nname = \"title {i}\"\nwhen = {{ title = '(?i)^\\[(area{i}|module-{i})\\]', kind = \"pull_request\" }}\nadd = [\"area: {i}\"]\n\n"
        ));
    }
    for i in 0..300 {
        let guard = match i % 3 {
            0 => ", labels.none = [\"skip-paths\"]",
            _ => "",
        };
        text.push_str(&format!(
            "[[rules]]\nwhen = {{ files.any_glob_to_any_file = [\"src/area{i}/**\"], draft = false{guard} }}\nadd = [\"module: area{i}\"]\n\n"
        ));
    }
    for i in 0..100 {
        text.push_str(&format!(
            "[[rules]]\nwhen = {{ labels.all = [\"module: area{i}\", \"high priority\"] }}\nadd = [\"oncall: area{i}\"]\n\n"
        ));
    }
    text
}

/// A pull request opened with 50 changed files over 10 areas.
fn opened_pull() -> ItemEvent {
    ItemEvent {
        kind: ItemKind::PullRequest,
        action: ItemAction::Opened,
        title: "[area7] speed up the allocator".into(),
        labels: vec!["high priority".into()],
        pull: Some(probot::event::PullRequestInfo {
            head_sha: "abc".into(),
            head_ref: "feature".into(),
            from_fork: false,
            base_ref: "main".into(),
            merged: false,
            draft: false,
            size: Default::default(),
        }),
        ..labeled_event()
    }
}

fn labeled_event() -> ItemEvent {
    ItemEvent {
        kind: ItemKind::Issue,
        action: ItemAction::Labeled(vec!["label-250".into()]),
        repo: RepoName::new("acme", "widgets"),
        installation: None,
        number: probot::event::IssueNumber(1),
        title: String::new(),
        body: String::new(),
        association: String::new(),
        edits: Default::default(),
        author: "reporter".into(),
        labels: vec!["bug".into(), "module: area-3".into(), "label-250".into()],
        open: true,
        sender: Actor {
            login: "maintainer".into(),
        },
        pull: None,
        replay_of: None,
    }
}

fn bench(c: &mut Criterion) {
    let body = tracking_issue();
    c.bench_function("parse 2,000-line tracking issue", |b| {
        b.iter(|| Subscriptions::parse(black_box(&body)))
    });

    let text = rules_file();
    let rules = config::load(&text).expect("the bench rules are valid");
    let event = labeled_event();
    let facts = Facts {
        subscriptions: Some(Arc::new(Subscriptions::parse(&body))),
        ..Facts::default()
    };
    c.bench_function("plan labeled event, 500 rules", |b| {
        b.iter(|| actions_for(black_box(&event), &rules, &facts, "probot[bot]"))
    });
    c.bench_function("load 500 rules (check and compile)", |b| {
        b.iter(|| config::load(black_box(&text)))
    });

    let large = large_rules_file();
    let ruleset = config::load(&large).expect("the large rules are valid");
    let pull = opened_pull();
    let files = Facts {
        changed_files: Some(
            (0..50)
                .map(|i| format!("src/area{}/file{i}.rs", i % 10))
                .collect(),
        ),
        ..Facts::default()
    };
    c.bench_function(
        "plan opened pull request, 500 rules (100 regexes, 300 globs)",
        |b| b.iter(|| actions_for(black_box(&pull), &ruleset, &files, "probot[bot]")),
    );
    let labeled = labeled_event();
    c.bench_function(
        "plan labeled event, 500 rules (100 regexes, 300 globs)",
        |b| b.iter(|| actions_for(black_box(&labeled), &ruleset, &files, "probot[bot]")),
    );
    c.bench_function("load 500 rules with 100 regexes and 300 globs", |b| {
        b.iter(|| config::load(black_box(&large)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
