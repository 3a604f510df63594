//! Webhook payloads from the world's change records, in GitHub's shapes.
//! Rendered while the world is still locked by the change that made them,
//! so each payload shows the state right after its change, as GitHub's do.

use serde_json::{json, Value};

use crate::shapes;
use crate::state::{Change, World};

/// One webhook GitHub would send.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub event: &'static str,
    pub payload: Value,
}

/// The webhooks for `changes`. A change whose subject is gone since (an
/// item deleted in the same breath) sends nothing.
pub(crate) fn render(world: &World, changes: Vec<Change>) -> Vec<Outgoing> {
    let mut outgoing = Vec::new();
    for change in changes {
        // A branch or tag made or removed is also a `create` or `delete`.
        let extra = ref_event(world, &change);
        outgoing.extend(render_one(world, change));
        outgoing.extend(extra);
    }
    outgoing
}

/// `create` or `delete` for a push that creates or deletes a branch or a tag.
fn ref_event(world: &World, change: &Change) -> Option<Outgoing> {
    let Change::Push {
        repo: full,
        git_ref,
        before,
        after,
        actor,
        ..
    } = change
    else {
        return None;
    };
    let zero = "0".repeat(40);
    let (name, ref_type) = match (
        git_ref.strip_prefix("refs/heads/"),
        git_ref.strip_prefix("refs/tags/"),
    ) {
        (Some(branch), _) => (branch, "branch"),
        (_, Some(tag)) => (tag, "tag"),
        _ => return None,
    };
    let repo = world.repo(full).ok()?;
    let (event, fields) = if *before == zero {
        (
            "create",
            json!({"ref": name, "ref_type": ref_type, "master_branch": repo.default_branch,
                "description": repo.description, "pusher_type": "user"}),
        )
    } else if *after == zero {
        (
            "delete",
            json!({"ref": name, "ref_type": ref_type, "pusher_type": "user"}),
        )
    } else {
        return None;
    };
    Some(Outgoing {
        event,
        payload: envelope(world, full, actor, fields),
    })
}

fn render_one(world: &World, change: Change) -> Option<Outgoing> {
    match change {
        Change::Item {
            repo: full,
            number,
            action,
            actor,
            label,
            extra,
        } => {
            let repo = world.repo(&full).ok()?;
            let issue = repo.issues.get(&number)?;
            let (event, mut fields) = match issue.pull.is_some() {
                true => (
                    "pull_request",
                    json!({"action": action, "number": number, "pull_request": shapes::pull(world, repo, issue)}),
                ),
                false => (
                    "issues",
                    json!({"action": action, "issue": webhook_issue(world, repo, issue)}),
                ),
            };
            if let Some(label) = label {
                fields["label"] = repo
                    .labels
                    .get(&label)
                    .map(|l| shapes::label(world, repo, l))
                    .unwrap_or_else(|| json!({"name": label}));
            }
            merge(&mut fields, extra);
            Some(Outgoing {
                event,
                payload: envelope(world, &full, &actor, fields),
            })
        }
        Change::Comment {
            repo: full,
            id,
            action,
            actor,
            extra,
        } => {
            let repo = world.repo(&full).ok()?;
            let comment = repo.comments.iter().find(|c| c.id == id)?;
            let issue = repo.issues.get(&comment.issue)?;
            let mut fields = json!({
                "action": action,
                "issue": webhook_issue(world, repo, issue),
                "comment": shapes::comment(world, repo, comment),
            });
            merge(&mut fields, extra);
            Some(Outgoing {
                event: "issue_comment",
                payload: envelope(world, &full, &actor, fields),
            })
        }
        Change::Push {
            repo: full,
            git_ref,
            before,
            after,
            commits,
            actor,
            forced,
        } => {
            let zero = "0".repeat(40);
            let fields = json!({
                "ref": git_ref,
                "before": before,
                "after": after,
                "created": before == zero,
                "deleted": after == zero,
                "forced": forced,
                "base_ref": null,
                "compare": format!("{}/{full}/compare/{before}...{after}", world.base_url),
                "head_commit": commits.last().cloned(),
                "commits": commits,
                "pusher": {"name": actor, "email": crate::state::noreply_email(&actor)},
            });
            Some(Outgoing {
                event: "push",
                payload: envelope(world, &full, &actor, fields),
            })
        }
        Change::Review {
            repo: full,
            number,
            id,
            actor,
        } => {
            let repo = world.repo(&full).ok()?;
            let issue = repo.issues.get(&number)?;
            let review = issue.pull.as_ref()?.reviews.iter().find(|r| r.id == id)?;
            // GitHub writes the state in lower case here.
            let mut shape = shapes::review(world, repo, number, review);
            shape["state"] = json!(review.state.to_lowercase());
            let fields = json!({
                "action": "submitted",
                "review": shape,
                "pull_request": simple_pull(world, repo, issue),
            });
            Some(Outgoing {
                event: "pull_request_review",
                payload: envelope(world, &full, &actor, fields),
            })
        }
        Change::Label {
            repo: full,
            name,
            action,
            actor,
            changes,
        } => {
            let repo = world.repo(&full).ok()?;
            let label = repo.labels.get(&name)?;
            let mut fields = json!({"action": action, "label": shapes::label(world, repo, label)});
            if !changes.is_null() {
                fields["changes"] = changes;
            }
            Some(Outgoing {
                event: "label",
                payload: envelope(world, &full, &actor, fields),
            })
        }
        Change::Run {
            repo: full,
            run_id,
            actor,
        } => {
            let repo = world.repo(&full).ok()?;
            let dispatch = repo.dispatches.iter().find(|d| d.run_id == run_id)?;
            let run = shapes::workflow_run(world, repo, dispatch);
            let workflow = repo
                .workflows
                .iter()
                .find(|w| Some(w.id) == run["workflow_id"].as_u64())
                .map(|w| shapes::workflow(world, repo, w));
            let fields = json!({"action": "requested", "workflow_run": run, "workflow": workflow});
            Some(Outgoing {
                event: "workflow_run",
                payload: envelope(world, &full, &actor, fields),
            })
        }
        Change::Installed {
            id,
            account,
            repos,
            actor,
        } => {
            let listed: Vec<Value> = repos
                .iter()
                .filter_map(|full| world.repo(full).ok().map(|repo| (full, repo)))
                .map(|(full, repo)| {
                    json!({"id": repo.id, "node_id": format!("MDEwOlJlcG9zaXRvcnk{}", repo.id), "name": repo.name,
                        "full_name": full, "private": false})
                })
                .collect();
            Some(Outgoing {
                event: "installation",
                payload: json!({
                    "action": "created",
                    "installation": shapes::installation(world, id, &account),
                    "repositories": listed,
                    "requester": null,
                    "sender": shapes::user(world, &actor),
                }),
            })
        }
    }
}

/// A pull request as review webhooks carry it: without the counts and
/// merge state of the full object.
fn simple_pull(world: &World, repo: &crate::state::Repo, issue: &crate::state::Issue) -> Value {
    let mut shape = shapes::pull(world, repo, issue);
    if let Some(object) = shape.as_object_mut() {
        for key in [
            "additions",
            "changed_files",
            "comments",
            "commits",
            "deletions",
            "maintainer_can_modify",
            "mergeable",
            "mergeable_state",
            "merged",
            "merged_by",
            "rebaseable",
            "review_comments",
        ] {
            object.remove(key);
        }
    }
    shape
}

/// An issue as webhooks carry it: the REST shape without `closed_by`,
/// which only `GET /issues/{n}` answers.
pub(crate) fn webhook_issue(
    world: &World,
    repo: &crate::state::Repo,
    issue: &crate::state::Issue,
) -> Value {
    let mut shape = shapes::issue(world, repo, issue);
    if let Some(object) = shape.as_object_mut() {
        object.remove("closed_by");
    }
    shape
}

fn merge(fields: &mut Value, extra: Value) {
    if let (Value::Object(fields), Value::Object(extra)) = (fields, extra) {
        fields.extend(extra);
    }
}

/// The common fields of a repository event: repository, sender,
/// installation.
fn envelope(world: &World, full: &str, actor: &str, mut fields: Value) -> Value {
    let Ok(repo) = world.repo(full) else {
        return fields;
    };
    fields["repository"] = shapes::repo(world, repo);
    fields["sender"] = shapes::user(world, actor);
    if let Some(id) = world.installation_for(full) {
        fields["installation"] =
            json!({"id": id, "node_id": format!("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{id}")});
    }
    fields
}
