//! Issues, pull requests and their comments.

use super::*;

pub(super) async fn get_issue(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    ok(shapes::issue(&world, repo, issue))
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

#[derive(Deserialize)]
pub(super) struct IssuePatch {
    title: Option<String>,
    body: Option<String>,
    state: Option<String>,
    labels: Option<Vec<Value>>,
}

pub(super) async fn patch_issue(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(edit): Json<IssuePatch>,
) -> ApiResult {
    edit_item(&scope, number, edit, false)
}

pub(super) async fn patch_pull(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(edit): Json<IssuePatch>,
) -> ApiResult {
    edit_item(&scope, number, edit, true)
}

/// `PATCH /issues/{n}` and `PATCH /pulls/{n}`: the same edit, answered in
/// the shape of the path.
pub(super) fn edit_item(scope: &Scope, number: u64, edit: IssuePatch, is_pulls: bool) -> ApiResult {
    let (events, value) = {
        let mut world = scope.hub.world();
        let (full, actor) = scope.writer(&world)?;
        if is_pulls && world.issue(&full, number)?.pull.is_none() {
            return Err(ApiError::not_found());
        }
        let events = world.edit_item(
            &full,
            number,
            crate::state::ItemEdit {
                title: edit.title,
                body: edit.body,
                state: edit.state,
            },
            &actor,
        )?;
        let mut events = crate::events::render(&world, events);
        if let Some(labels) = edit.labels {
            let changes = world.set_labels(&full, number, &label_names(&labels), &actor)?;
            events.extend(crate::events::render(&world, changes));
        }
        let repo = world.repo(&full)?;
        let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
        let value = if is_pulls {
            shapes::pull(&world, repo, issue)
        } else {
            shapes::issue(&world, repo, issue)
        };
        (events, value)
    };
    scope.hub.emit(events);
    ok(value)
}

pub(super) async fn list_comments(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(request_uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    let items = repo
        .comments
        .iter()
        .filter(|c| c.issue == number)
        .map(|c| shapes::comment(&world, repo, c))
        .collect();
    Ok(paginate(items, &page, &world.base_url, &request_uri))
}

/// The item's events; fakehub keeps its labels added and removed.
pub(super) async fn list_issue_events(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(request_uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    let items = issue
        .events
        .iter()
        .map(|e| shapes::issue_event(&world, repo, e))
        .collect();
    Ok(paginate(items, &page, &world.base_url, &request_uri))
}

#[derive(Deserialize)]
pub(super) struct BodyOnly {
    body: String,
}

pub(super) async fn create_comment(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(input): Json<BodyOnly>,
) -> ApiResult {
    created(scope.write(|world, full, actor| {
        let (id, changes) = world.add_comment(full, number, &input.body, actor)?;
        Ok((changes, comment_shape(world, full, id)?))
    })?)
}

/// A comment as GitHub answers for it.
fn comment_shape(world: &World, full: &str, id: u64) -> Result<Value, ApiError> {
    let repo = world.repo(full)?;
    let comment = repo
        .comments
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok(shapes::comment(world, repo, comment))
}

pub(super) async fn edit_comment(
    scope: Scope,
    Path((_, _, id)): Path<(String, String, u64)>,
    Json(input): Json<BodyOnly>,
) -> ApiResult {
    ok(scope.write(|world, full, actor| {
        let changes = world.edit_comment(full, id, &input.body, actor)?;
        Ok((changes, comment_shape(world, full, id)?))
    })?)
}

#[derive(Deserialize)]
pub(super) struct NewReaction {
    content: String,
}

/// Reacts to a comment: 201 for a new reaction, 200 when this user had
/// reacted so already, as GitHub answers.
pub(super) async fn react_to_comment(
    scope: Scope,
    Path((_, _, id)): Path<(String, String, u64)>,
    Json(input): Json<NewReaction>,
) -> ApiResult {
    let mut world = scope.hub.world();
    let (full, actor) = scope.writer(&world)?;
    let added = world.react(&full, id, &input.content, &actor)?;
    let value = reaction_shapes(&world, &full, id)?
        .into_iter()
        .rev()
        .find(|r| r["content"] == input.content.as_str() && r["user"]["login"] == actor.as_str())
        .unwrap_or_default();
    match added {
        true => created(value),
        false => ok(value),
    }
}

pub(super) async fn list_comment_reactions(
    scope: Scope,
    Path((_, _, id)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(request_uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let items = reaction_shapes(&world, &scope.full, id)?;
    Ok(paginate(items, &page, &world.base_url, &request_uri))
}

/// `POST /issues/{number}/reactions`: a reaction to the item itself.
pub(super) async fn react_to_item(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(input): Json<NewReaction>,
) -> ApiResult {
    let mut world = scope.hub.world();
    let (full, actor) = scope.writer(&world)?;
    let added = world.react_to_item(&full, number, &input.content, &actor)?;
    let repo = world.repo(&full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    let value = issue
        .reactions
        .iter()
        .find(|r| r.content == input.content && r.user == actor)
        .map(|r| shapes::reaction(&world, r))
        .unwrap_or_default();
    match added {
        true => created(value),
        false => ok(value),
    }
}

pub(super) async fn list_item_reactions(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(request_uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    let items = issue
        .reactions
        .iter()
        .map(|r| shapes::reaction(&world, r))
        .collect();
    Ok(paginate(items, &page, &world.base_url, &request_uri))
}

#[derive(Deserialize)]
pub(super) struct Assignees {
    #[serde(default)]
    assignees: Vec<String>,
}

/// `POST /issues/{number}/assignees` (201) and `DELETE` (200): the item.
pub(super) async fn add_assignees(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(input): Json<Assignees>,
) -> ApiResult {
    assign(scope, number, &input.assignees, true)
}

pub(super) async fn remove_assignees(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(input): Json<Assignees>,
) -> ApiResult {
    assign(scope, number, &input.assignees, false)
}

/// Assigns or unassigns, and sends `assigned`/`unassigned` for each login
/// whose assignment changed, as GitHub does.
fn assign(scope: Scope, number: u64, logins: &[String], add: bool) -> ApiResult {
    let action = if add { "assigned" } else { "unassigned" };
    per_login_write(
        scope,
        number,
        add,
        (action, "assignee"),
        |world, full| world.assign(full, number, logins, add),
        shapes::issue,
    )
}

/// A write that changes some logins' relation to an item (assigned,
/// review requested): the change, one `action` webhook per login whose
/// relation changed (its user under `field`), and the item in `shape`,
/// 201 when adding, 200 when removing.
fn per_login_write(
    scope: Scope,
    number: u64,
    add: bool,
    (action, field): (&str, &str),
    change: impl FnOnce(&mut World, &str) -> crate::state::Outcome<Vec<String>>,
    shape: fn(&World, &crate::state::Repo, &crate::state::Issue) -> Value,
) -> ApiResult {
    let value = scope.write(|world, full, actor| {
        let changed = change(world, full)?;
        let kind = match (action, add) {
            ("assigned", _) => "assigned",
            ("unassigned", _) => "unassigned",
            (_, true) => "review_requested",
            (_, false) => "review_request_removed",
        };
        for login in &changed {
            let subject = crate::state::Subject::Person(login.clone());
            world.record_event(full, number, kind, subject, actor)?;
        }
        let changes = per_login(world, full, number, actor, action, field, &changed);
        let repo = world.repo(full)?;
        let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
        Ok((changes, shape(world, repo, issue)))
    })?;
    match add {
        true => created(value),
        false => ok(value),
    }
}

/// One item event per login, the login's user under `field`
/// (`assignee`, `requested_reviewer`).
fn per_login(
    world: &World,
    full: &str,
    number: u64,
    actor: &str,
    action: &str,
    field: &str,
    logins: &[String],
) -> Vec<crate::state::Change> {
    logins
        .iter()
        .map(|login| crate::state::Change::Item {
            repo: full.to_owned(),
            number,
            action: action.to_owned(),
            actor: actor.to_owned(),
            label: None,
            extra: json!({ field: shapes::user(world, login) }),
        })
        .collect()
}

fn reaction_shapes(world: &World, full: &str, id: u64) -> Result<Vec<Value>, ApiError> {
    let repo = world.repo(full)?;
    let comment = repo
        .comments
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok(comment
        .reactions
        .iter()
        .map(|r| shapes::reaction(world, r))
        .collect())
}

#[derive(Deserialize)]
pub(super) struct NewReview {
    event: Option<String>,
    #[serde(default)]
    body: String,
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

#[derive(Deserialize)]
pub(super) struct ReviewRequest {
    #[serde(default)]
    reviewers: Vec<String>,
    #[serde(default)]
    team_reviewers: Vec<String>,
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
