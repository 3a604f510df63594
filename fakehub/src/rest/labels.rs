//! Labels: of a repository and of an item; changed files of a pull request.

use super::*;

/// Label lists arrive as `["a"]`, `{"labels": ["a"]}` or
/// `{"labels": [{"name": "a"}]}`; GitHub takes all three.
pub(super) fn label_names(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
        .collect()
}

pub(super) fn labels_body(body: &Value) -> Result<Vec<String>, ApiError> {
    let list = match body {
        Value::Array(items) => items.as_slice(),
        Value::Object(o) => o
            .get("labels")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice),
        _ => &[],
    };
    let names = label_names(list);
    if names.iter().any(|n| n.trim().is_empty()) {
        return Err(ApiError::new(
            422,
            "Validation Failed: label name can't be blank",
        ));
    }
    Ok(names)
}

pub(super) fn item_labels(world: &World, full: &str, number: u64) -> Result<Value, ApiError> {
    let repo = world.repo(full)?;
    let issue = repo.issues.get(&number).ok_or_else(ApiError::not_found)?;
    Ok(shapes::labels_of(world, repo, &issue.labels))
}

pub(super) async fn list_item_labels(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    ok(item_labels(&world, &full, number)?)
}

pub(super) async fn add_labels(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> ApiResult {
    change_labels(&scope, number, &body, World::add_labels)
}

pub(super) async fn set_labels(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
    Json(body): Json<Value>,
) -> ApiResult {
    change_labels(&scope, number, &body, World::set_labels)
}

type LabelChange =
    fn(&mut World, &str, u64, &[String], &str) -> crate::state::Outcome<Vec<crate::state::Change>>;

/// Adds or replaces labels, answering the item's labels as GitHub does.
pub(super) fn change_labels(
    scope: &Scope,
    number: u64,
    body: &Value,
    change: LabelChange,
) -> ApiResult {
    let names = labels_body(body)?;
    ok(scope.write(|world, full, actor| {
        let changes = change(world, full, number, &names, actor)?;
        Ok((changes, item_labels(world, full, number)?))
    })?)
}

pub(super) async fn clear_labels(
    scope: Scope,
    Path((_, _, number)): Path<(String, String, u64)>,
) -> ApiResult {
    scope.write(|world, full, actor| {
        Ok((world.set_labels(full, number, &[], actor)?, Value::Null))
    })?;
    no_content()
}

pub(super) async fn remove_label(
    scope: Scope,
    Path((_, _, number, name)): Path<(String, String, u64, String)>,
) -> ApiResult {
    ok(scope.write(|world, full, actor| {
        let changes = world.remove_label(full, number, &name, actor)?;
        Ok((changes, item_labels(world, full, number)?))
    })?)
}

pub(super) async fn list_repo_labels(
    scope: Scope,
    Query(page): Query<Page>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let world = scope.hub.world();
    let full = scope.full.clone();
    let repo = world.repo(&full)?;
    let items = repo
        .labels
        .values()
        .map(|l| shapes::label(&world, repo, l))
        .collect();
    Ok(paginate(items, &page, &world.base_url, &uri))
}

#[derive(Deserialize)]
pub(super) struct NewLabel {
    name: String,
    color: Option<String>,
    description: Option<String>,
}

pub(super) async fn create_repo_label(scope: Scope, Json(input): Json<NewLabel>) -> ApiResult {
    created(scope.write(|world, full, actor| {
        let (label, changes) =
            world.create_label(full, &input.name, input.color, input.description, actor)?;
        let repo = world.repo(full)?;
        Ok((changes, shapes::label(world, repo, &label)))
    })?)
}

/// One label of the repository: the usual "does it exist" check.
pub(super) async fn get_repo_label(
    scope: Scope,
    Path((_, _, name)): Path<(String, String, String)>,
) -> ApiResult {
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let label = repo.labels.get(&name).ok_or_else(ApiError::not_found)?;
    ok(shapes::label(&world, repo, label))
}

#[derive(Deserialize)]
pub(super) struct LabelPatch {
    new_name: Option<String>,
    color: Option<String>,
    description: Option<String>,
}

pub(super) async fn edit_repo_label(
    scope: Scope,
    Path((_, _, name)): Path<(String, String, String)>,
    Json(input): Json<LabelPatch>,
) -> ApiResult {
    ok(scope.write(|world, full, actor| {
        let edit = crate::state::LabelEdit {
            new_name: input.new_name,
            color: input.color,
            description: input.description,
        };
        let (label, changes) = world.edit_label(full, &name, edit, actor)?;
        let repo = world.repo(full)?;
        Ok((changes, shapes::label(world, repo, &label)))
    })?)
}

pub(super) async fn delete_repo_label(
    scope: Scope,
    Path((_, _, name)): Path<(String, String, String)>,
) -> ApiResult {
    let events = {
        let mut world = scope.hub.world();
        let (full, actor) = scope.writer(&world)?;
        let changes = world.delete_label(&full, &name, &actor)?;
        let events = crate::events::render(&world, changes);
        world.forget_label(&full, &name);
        events
    };
    scope.hub.emit(events);
    no_content()
}
