//! Git refs: exact, by prefix, created, moved, deleted.

use super::*;

pub(super) fn full_ref(git_ref: &str) -> String {
    format!("refs/{}", git_ref.trim_start_matches('/'))
}

pub(super) async fn get_ref(
    scope: Scope,
    Path((_, _, git_ref)): Path<(String, String, String)>,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let name = full_ref(&git_ref);
    let sha = repo.refs.get(&name).ok_or_else(ApiError::not_found)?;
    ok(shapes::git_ref(&world, repo, &name, sha))
}

/// Prefix match, as GitHub's: `tags/ciflow/trunk/12` also returns `…/123`.
pub(super) async fn matching_refs(
    scope: Scope,
    Path((_, _, git_ref)): Path<(String, String, String)>,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let prefix = full_ref(&git_ref);
    let items = repo
        .refs
        .iter()
        .filter(|(name, _)| name.starts_with(&prefix))
        .map(|(name, sha)| shapes::git_ref(&world, repo, name, sha))
        .collect();
    ok(Value::Array(items))
}

#[derive(Deserialize)]
pub(super) struct NewRef {
    #[serde(rename = "ref")]
    git_ref: String,
    sha: String,
}

pub(super) async fn create_ref(scope: Scope, Json(input): Json<NewRef>) -> ApiResult {
    created(scope.write(|world, full, actor| {
        let changes = world.create_ref(full, &input.git_ref, &input.sha, actor)?;
        let repo = world.repo(full)?;
        Ok((
            changes,
            shapes::git_ref(world, repo, &input.git_ref, &input.sha),
        ))
    })?)
}

#[derive(Deserialize)]
pub(super) struct RefUpdate {
    sha: String,
    #[serde(default)]
    #[allow(dead_code)]
    force: bool,
}

pub(super) async fn update_ref(
    scope: Scope,
    Path((_, _, git_ref)): Path<(String, String, String)>,
    Json(input): Json<RefUpdate>,
) -> ApiResult {
    let name = full_ref(&git_ref);
    ok(scope.write(|world, full, actor| {
        let changes = world.update_ref(full, &name, &input.sha, actor)?;
        let repo = world.repo(full)?;
        Ok((changes, shapes::git_ref(world, repo, &name, &input.sha)))
    })?)
}

pub(super) async fn delete_ref(
    scope: Scope,
    Path((_, _, git_ref)): Path<(String, String, String)>,
) -> ApiResult {
    scope.write(|world, full, actor| {
        Ok((
            world.delete_ref(full, &full_ref(&git_ref), actor)?,
            Value::Null,
        ))
    })?;
    no_content()
}
