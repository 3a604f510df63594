//! Actions and checks as GitHub shapes them: workflows, their runs (and
//! the slim repository runs carry), check runs.

use serde_json::{json, Value};

use super::{app, repo, timestamp, user};
use crate::state::{CheckRun, Repo, World};

pub fn check_run(world: &World, repo: &Repo, run: &CheckRun) -> Value {
    let base = &world.base_url;
    let full = repo.full_name();
    json!({
        "id": run.id,
        "head_sha": run.head_sha,
        "node_id": format!("MDg6Q2hlY2tSdW4{}", run.id),
        "external_id": "",
        "url": format!("{base}/repos/{full}/check-runs/{}", run.id),
        "html_url": format!("{base}/{full}/runs/{}", run.id),
        "details_url": null,
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": timestamp(run.created_at),
        "completed_at": run.conclusion.as_ref().map(|_| timestamp(run.updated_at)),
        "output": {
            "title": run.output.get("title").cloned().unwrap_or(Value::Null),
            "summary": run.output.get("summary").cloned().unwrap_or(Value::Null),
            "text": run.output.get("text").cloned().unwrap_or(Value::Null),
            "annotations_count": run.output.get("annotations").and_then(Value::as_array).map_or(0, Vec::len),
            "annotations_url": format!("{base}/repos/{full}/check-runs/{}/annotations", run.id),
        },
        "name": run.name,
        "check_suite": {"id": run.id},
        "app": app(world),
        "pull_requests": [],
    })
}

/// A workflow run, as `GET /actions/runs` lists it: one per dispatch.
pub fn workflow_run(world: &World, repo: &Repo, dispatch: &crate::state::Dispatch) -> Value {
    let api = format!(
        "{}/repos/{}/actions/runs/{}",
        world.base_url,
        repo.full_name(),
        dispatch.run_id
    );
    let workflow_id = repo
        .workflows
        .iter()
        .find(|w| w.path.ends_with(&format!("/{}", dispatch.target)))
        .map_or(0, |w| w.id);
    let now = timestamp(world.started_at);
    let actor =
        json!({"name": dispatch.actor, "email": crate::state::noreply_email(&dispatch.actor)});
    json!({
        "id": dispatch.run_id,
        "workflow_id": workflow_id,
        "node_id": format!("WFR_{}", dispatch.run_id),
        "name": dispatch.target,
        "display_title": dispatch.target,
        "head_branch": dispatch.git_ref.clone().unwrap_or_else(|| repo.default_branch.clone()),
        "head_sha": dispatch.head_sha,
        "path": format!(".github/workflows/{}", dispatch.target),
        "run_number": dispatch.run_id,
        "event": dispatch.kind,
        "status": "queued",
        "conclusion": null,
        "created_at": now,
        "updated_at": now,
        "url": api,
        "html_url": format!("{}/{}/actions/runs/{}", world.base_url, repo.full_name(), dispatch.run_id),
        "jobs_url": format!("{api}/jobs"),
        "logs_url": format!("{api}/logs"),
        "check_suite_url": format!("{}/repos/{}/check-suites/{}", world.base_url, repo.full_name(), dispatch.run_id),
        "artifacts_url": format!("{api}/artifacts"),
        "cancel_url": format!("{api}/cancel"),
        "rerun_url": format!("{api}/rerun"),
        "workflow_url": format!("{}/repos/{}/actions/workflows/{workflow_id}", world.base_url, repo.full_name()),
        "head_commit": {"id": dispatch.head_sha, "tree_id": dispatch.head_sha, "message": "fakehub commit", "timestamp": now,
            "author": actor, "committer": actor},
        "repository": repo_lite(world, repo),
        "head_repository": repo_lite(world, repo),
        "pull_requests": [],
        "check_suite_id": dispatch.run_id,
        "check_suite_node_id": format!("CS_{}", dispatch.run_id),
        "run_attempt": 1,
        "run_started_at": now,
        "previous_attempt_url": null,
        "actor": user(world, &dispatch.actor),
        "triggering_actor": user(world, &dispatch.actor),
    })
}

/// A repository as workflow runs carry it: names and URLs, no settings.
fn repo_lite(world: &World, repo: &Repo) -> Value {
    const LITE: [&str; 46] = [
        "archive_url",
        "assignees_url",
        "blobs_url",
        "branches_url",
        "collaborators_url",
        "comments_url",
        "commits_url",
        "compare_url",
        "contents_url",
        "contributors_url",
        "deployments_url",
        "description",
        "downloads_url",
        "events_url",
        "fork",
        "forks_url",
        "full_name",
        "git_commits_url",
        "git_refs_url",
        "git_tags_url",
        "hooks_url",
        "html_url",
        "id",
        "issue_comment_url",
        "issue_events_url",
        "issues_url",
        "keys_url",
        "labels_url",
        "languages_url",
        "merges_url",
        "milestones_url",
        "name",
        "node_id",
        "notifications_url",
        "owner",
        "private",
        "pulls_url",
        "releases_url",
        "stargazers_url",
        "statuses_url",
        "subscribers_url",
        "subscription_url",
        "tags_url",
        "teams_url",
        "trees_url",
        "url",
    ];
    let full = self::repo(world, repo);
    Value::Object(
        LITE.iter()
            .filter_map(|key| Some((key.to_string(), full.get(*key)?.clone())))
            .collect(),
    )
}

/// A workflow, as `GET /actions/workflows` lists it and `workflow_run`
/// payloads carry it.
pub fn workflow(world: &World, repo: &Repo, w: &crate::state::Workflow) -> Value {
    let full = repo.full_name();
    json!({"id": w.id, "node_id": format!("W_{}", w.id), "name": w.name, "path": w.path, "state": "active",
        "created_at": timestamp(world.started_at), "updated_at": timestamp(world.started_at),
        "url": format!("{}/repos/{full}/actions/workflows/{}", world.base_url, w.id),
        "html_url": format!("{}/{full}/blob/{}/{}", world.base_url, repo.default_branch, w.path),
        "badge_url": format!("{}/{full}/workflows/{}/badge.svg", world.base_url, w.name)})
}
