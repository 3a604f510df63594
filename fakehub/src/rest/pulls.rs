//! Pull requests: reading and editing one, its files and commits, its
//! reviews and review requests.

use super::*;

pub(super) async fn list_pull_files(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let issue = world.issue(&full, number)?;
    let pr = issue.pull.as_ref().ok_or_else(ApiError::not_found)?;
    let items = pr
        .files
        .iter()
        .map(|f| shapes::pull_file(f, &pr.head_sha))
        .collect();
    Ok(paginate(items, &page, &world.base_url, &uri))
}

/// A pull request's commits: fakehub keeps its head, the one commit.
pub(super) async fn list_pull_commits(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let pull = repo
        .issues
        .get(&number)
        .and_then(|i| i.pull.as_ref())
        .ok_or_else(ApiError::not_found)?;
    let head = shapes::commit(&world, &scope.full, &pull.head_sha, Vec::new());
    Ok(paginate(vec![head], &page, &world.base_url, &uri))
}

pub(super) async fn get_pull(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let issue = repo
        .issues
        .get(&number)
        .filter(|i| i.pull.is_some())
        .ok_or_else(ApiError::not_found)?;
    ok(shapes::pull(&world, repo, issue))
}

pub(super) async fn patch_pull(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(edit): Json<IssuePatch>,
) -> ApiResult {
    edit_item(&scope, number, edit, true)
}

/// Submits a review at once (fakehub has no pending reviews).
pub(super) async fn create_review(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(input): Json<NewReview>,
) -> ApiResult {
    ok(scope.write(|world, full, actor| {
        let event = input.event.as_deref().unwrap_or("PENDING");
        let (review, changes) = world.review(full, number, event, &input.body, actor)?;
        let repo = world.repo(full)?;
        Ok((changes, shapes::review(world, repo, number, &review)))
    })?)
}

pub(super) async fn list_reviews(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    let pull = issue.pull.as_ref().ok_or_else(ApiError::not_found)?;
    let items = pull
        .reviews
        .iter()
        .map(|r| shapes::review(&world, repo, number, r))
        .collect();
    Ok(paginate(items, &page, &world.base_url, &uri))
}

/// Requested reviewers: people only (teams are refused, not dropped).
pub(super) async fn request_reviewers(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(input): Json<ReviewRequest>,
) -> ApiResult {
    if !input.team_reviewers.is_empty() {
        return Err(ApiError::new(
            422,
            "fakehub does not implement team reviewers",
        ));
    }
    review_requests(scope, number, &input.reviewers, true)
}

/// `DELETE /pulls/{number}/requested_reviewers`: the requests go, with
/// `review_request_removed` for each.
pub(super) async fn remove_requested_reviewers(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(input): Json<ReviewRequest>,
) -> ApiResult {
    review_requests(scope, number, &input.reviewers, false)
}

pub(super) async fn list_requested_reviewers(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    let pull = issue.pull.as_ref().ok_or_else(ApiError::not_found)?;
    let users: Vec<Value> = pull
        .requested_reviewers
        .iter()
        .map(|r| shapes::user(&world, r))
        .collect();
    ok(json!({"users": users, "teams": []}))
}

#[derive(Deserialize)]
pub(super) struct NewReview {
    event: Option<String>,
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
pub(super) struct ReviewRequest {
    #[serde(default)]
    reviewers: Vec<String>,
    #[serde(default)]
    team_reviewers: Vec<String>,
}

fn review_requests(scope: Scope, number: u64, logins: &[String], add: bool) -> ApiResult {
    let action = if add {
        "review_requested"
    } else {
        "review_request_removed"
    };
    per_login_write(
        scope,
        number,
        add,
        (action, "requested_reviewer"),
        |world, full| world.request_reviewers(full, number, logins, add),
        shapes::pull,
    )
}
