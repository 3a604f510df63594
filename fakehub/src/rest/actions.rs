//! Actions: workflows, dispatches and their runs; check runs.

use super::*;
use crate::state::CheckRunFields;

pub(super) async fn list_workflows(scope: Scope) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let workflows: Vec<Value> = repo
        .workflows
        .iter()
        .map(|w| shapes::workflow(&world, repo, w))
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
    scope: Scope,
    Path((_, _, workflow)): Path<(String, String, String)>,
    Json(input): Json<WorkflowDispatch>,
) -> ApiResult {
    scope.write(|world, full, actor| {
        let changes =
            world.dispatch_workflow(full, &workflow, &input.git_ref, input.inputs, actor)?;
        Ok((changes, Value::Null))
    })?;
    no_content()
}

#[derive(Deserialize)]
pub(super) struct RepositoryDispatch {
    event_type: String,
    #[serde(default)]
    client_payload: Value,
}

pub(super) async fn repository_dispatch(
    scope: Scope,
    Json(input): Json<RepositoryDispatch>,
) -> ApiResult {
    scope.write(|world, full, actor| {
        let changes =
            world.repository_dispatch(full, &input.event_type, input.client_payload, actor)?;
        Ok((changes, Value::Null))
    })?;
    no_content()
}

#[derive(Deserialize)]
pub(super) struct RunsQuery {
    head_sha: Option<String>,
    event: Option<String>,
}

/// Workflow runs: one per accepted dispatch.
pub(super) async fn list_runs(scope: Scope, Query(query): Query<RunsQuery>) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
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

impl From<CheckRunInput> for CheckRunFields {
    fn from(input: CheckRunInput) -> Self {
        CheckRunFields {
            name: input.name,
            head_sha: input.head_sha,
            status: input.status,
            conclusion: input.conclusion,
            output: input.output,
        }
    }
}

pub(super) async fn create_check_run(scope: Scope, Json(input): Json<CheckRunInput>) -> ApiResult {
    let mut world = scope.hub.world();
    let (full, _) = scope.writer(&world)?;
    if !matches!(scope.who, Identity::Installation(_)) {
        return Err(ApiError::new(
            403,
            "You must authenticate via a GitHub App.",
        ));
    }
    let run = world.create_check_run(&full, input.into())?;
    let repo = world.repo(&full)?;
    created(shapes::check_run(&world, repo, &run))
}

pub(super) async fn update_check_run(
    scope: Scope,
    Path((_, _, id)): Path<(String, String, u64)>,
    Json(input): Json<CheckRunInput>,
) -> ApiResult {
    let mut world = scope.hub.world();
    let (full, _) = scope.writer(&world)?;
    let run = world.update_check_run(&full, id, input.into())?;
    let repo = world.repo(&full)?;
    ok(shapes::check_run(&world, repo, &run))
}

pub(super) async fn list_check_runs(
    scope: Scope,
    Path((_, _, sha)): Path<(String, String, String)>,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let runs: Vec<Value> = repo
        .check_runs
        .iter()
        .filter(|r| r.head_sha == sha)
        .map(|r| shapes::check_run(&world, repo, r))
        .collect();
    ok(json!({"total_count": runs.len(), "check_runs": runs}))
}
