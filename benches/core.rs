//! The two hot pure paths: parsing a large tracking issue, and planning one
//! labeled event against many implication rules.
//!
//! `cargo bench --bench core`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use probot::config::{self, Implication, Rules};
use probot::event::{Actor, ItemAction, ItemEvent, ItemKind, RepoName};
use probot::plan::{plan, Facts};
use probot::subscriptions::Subscriptions;

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

fn labeled_event() -> ItemEvent {
    ItemEvent {
        kind: ItemKind::Issue,
        action: ItemAction::Labeled(vec!["label-250".into()]),
        repo: RepoName::new("acme", "widgets"),
        installation: None,
        number: 1,
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
        b.iter(|| plan(black_box(&event), &rules, &facts, "probot[bot]"))
    });
    c.bench_function("load 500 rules (check and compile)", |b| {
        b.iter(|| config::load(black_box(&text)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
