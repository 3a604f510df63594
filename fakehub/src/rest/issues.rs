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
pub(super) fn per_login_write(
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

/// Who may be assigned: the repository's collaborators.
pub(super) async fn list_assignees(
    scope: Scope,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let items = repo
        .collaborators
        .keys()
        .map(|login| shapes::user(&world, login))
        .collect();
    Ok(paginate(items, &page, &world.base_url, &uri))
}

/// The item's timeline: its label events and comments, oldest first.
pub(super) async fn list_timeline(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    let mut events: Vec<(u64, u64, Value)> = issue
        .events
        .iter()
        .map(|e| (e.created_at, e.id, shapes::issue_event(&world, repo, e)))
        .collect();
    for comment in repo.comments.iter().filter(|c| c.issue == number) {
        let mut shape = shapes::comment(&world, repo, comment);
        shape["event"] = json!("commented");
        shape["actor"] = shapes::user(&world, &comment.author);
        events.push((comment.created_at, comment.id, shape));
    }
    events.sort_by_key(|(at, id, _)| (*at, *id));
    Ok(paginate(
        events.into_iter().map(|(_, _, v)| v).collect(),
        &page,
        &world.base_url,
        &uri,
    ))
}
