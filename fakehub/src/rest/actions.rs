//! Actions: workflows, dispatches and their runs; check runs.

use super::*;

pub(super) async fn list_workflows(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let workflows: Vec<Value> = repo
        .workflows
        .iter()
        .map(|w| json!({"id": w.id, "node_id": format!("W_{}", w.id), "name": w.name, "path": w.path, "state": "active",
            "created_at": shapes::timestamp(world.started_at), "updated_at": shapes::timestamp(world.started_at),
            "url": format!("{}/repos/{full}/actions/workflows/{}", world.base_url, w.id),
            "html_url": format!("{}/{full}/blob/{}/{}", world.base_url, repo.default_branch, w.path),
            "badge_url": format!("{}/{full}/workflows/{}/badge.svg", world.base_url, w.name)}))
        .collect();
    ok(json!({"total_count": workflows.len(), "workflows": workflows}))
}

#[derive(Deserialize)]
pub(super) struct WorkflowDispatch {
    #[serde(rename = "ref")]
    git_ref: String,
    #[serde(default)]
    inputs: Value,
}

pub(super) async fn dispatch_workflow(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, workflow)): Path<(String, String, String)>,
    Json(input): Json<WorkflowDispatch>,
) -> ApiResult {
    let mut world = hub.world();
    let (full, actor) = writer(&world, &who, &owner, &repo)?;
    let run_id = world.id();
    let repo = world.repo_mut(&full)?;
    let file = repo
        .workflows
        .iter()
        .find(|w| {
            w.id.to_string() == workflow || w.path.rsplit('/').next() == Some(workflow.as_str())
        })
        .map(|w| w.path.rsplit('/').next().unwrap_or(&w.path).to_owned())
        .ok_or_else(ApiError::not_found)?;
    let candidates = [
        input.git_ref.clone(),
        format!("refs/heads/{}", input.git_ref),
        format!("refs/tags/{}", input.git_ref),
    ];
    let Some(head_sha) = candidates.iter().find_map(|r| repo.refs.get(r)).cloned() else {
        return Err(ApiError::new(
            422,
            format!("No ref found for: {}", input.git_ref),
        ));
    };
    repo.dispatches.push(Dispatch {
        kind: "workflow_dispatch",
        target: file,
        git_ref: Some(input.git_ref),
        head_sha,
        inputs: input.inputs,
        actor,
        run_id,
    });
    no_content()
}

#[derive(Deserialize)]
pub(super) struct RepositoryDispatch {
    event_type: String,
    #[serde(default)]
    client_payload: Value,
}

pub(super) async fn repository_dispatch(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
    Json(input): Json<RepositoryDispatch>,
) -> ApiResult {
    if input.event_type.is_empty() || input.event_type.chars().count() > 100 {
        return Err(ApiError::new(
            422,
            "Validation Failed: event_type must be 1 to 100 characters",
        ));
    }
    let mut world = hub.world();
    let (full, actor) = writer(&world, &who, &owner, &repo)?;
    let run_id = world.id();
    let repo = world.repo_mut(&full)?;
    let head_sha = repo
        .refs
        .get(&format!("refs/heads/{}", repo.default_branch))
        .cloned()
        .unwrap_or_default();
    repo.dispatches.push(Dispatch {
        kind: "repository_dispatch",
        target: input.event_type,
        git_ref: None,
        head_sha,
        inputs: input.client_payload,
        actor,
        run_id,
    });
    no_content()
}

#[derive(Deserialize)]
pub(super) struct RunsQuery {
    head_sha: Option<String>,
    event: Option<String>,
}

/// Workflow runs: one per accepted dispatch.
pub(super) async fn list_runs(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<RunsQuery>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let runs: Vec<Value> = repo
        .dispatches
        .iter()
        .filter(|d| query.head_sha.as_ref().is_none_or(|s| *s == d.head_sha))
        .filter(|d| query.event.as_ref().is_none_or(|e| e == d.kind))
        .map(|d| shapes::workflow_run(&world, repo, d))
        .collect();
    ok(json!({"total_count": runs.len(), "workflow_runs": runs}))
}

#[derive(Deserialize)]
pub(super) struct CheckRunInput {
    name: Option<String>,
    head_sha: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    #[serde(default)]
    output: Value,
}

pub(super) async fn create_check_run(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo)): Path<(String, String)>,
    Json(input): Json<CheckRunInput>,
) -> ApiResult {
    let mut world = hub.world();
    let (full, _) = writer(&world, &who, &owner, &repo)?;
    if !matches!(who, Identity::Installation(_)) {
        return Err(ApiError::new(
            403,
            "You must authenticate via a GitHub App.",
        ));
    }
    let (Some(name), Some(head_sha)) = (input.name, input.head_sha) else {
        return Err(ApiError::new(
            422,
            "Validation Failed: name and head_sha are required",
        ));
    };
    let id = world.id();
    let t = now();
    let status = if input.conclusion.is_some() {
        "completed".to_owned()
    } else {
        input.status.unwrap_or_else(|| "queued".into())
    };
    let run = crate::state::CheckRun {
        id,
        name,
        head_sha,
        status,
        conclusion: input.conclusion,
        output: input.output,
        created_at: t,
        updated_at: t,
    };
    world.repo_mut(&full)?.check_runs.push(run.clone());
    let repo = world.repo(&full)?;
    created(shapes::check_run(&world, repo, &run))
}

pub(super) async fn update_check_run(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(input): Json<CheckRunInput>,
) -> ApiResult {
    let mut world = hub.world();
    let (full, _) = writer(&world, &who, &owner, &repo)?;
    let repo = world.repo_mut(&full)?;
    let run = repo
        .check_runs
        .iter_mut()
        .find(|r| r.id == id)
        .ok_or_else(ApiError::not_found)?;
    if let Some(name) = input.name {
        run.name = name;
    }
    if let Some(status) = input.status {
        run.status = status;
    }
    if input.conclusion.is_some() {
        run.conclusion = input.conclusion;
        run.status = "completed".into();
    }
    if !input.output.is_null() {
        run.output = input.output;
    }
    run.updated_at = now();
    let run = run.clone();
    let repo = world.repo(&full)?;
    ok(shapes::check_run(&world, repo, &run))
}

pub(super) async fn list_check_runs(
    State(hub): Shared,
    Extension(who): Who,
    Path((owner, repo, sha)): Path<(String, String, String)>,
) -> ApiResult {
    let world = hub.world();
    let full = visible(&world, &who, &owner, &repo)?;
    let repo = world.repo(&full)?;
    let runs: Vec<Value> = repo
        .check_runs
        .iter()
        .filter(|r| r.head_sha == sha)
        .map(|r| shapes::check_run(&world, repo, r))
        .collect();
    ok(json!({"total_count": runs.len(), "check_runs": runs}))
}
