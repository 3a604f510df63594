//! A small, real subset of GitHub's GraphQL API, at `/graphql` (and
//! `/api/graphql`), for GraphQL-based bots:
//!
//! - `viewer { login }`
//! - `repository(owner:, name:) { id name nameWithOwner issue(number:) {…}
//!   pullRequest(number:) {…} }`, where an issue or pull request has `id
//!   number title body state closed url createdAt updatedAt author { login }
//!   labels(first:) { totalCount nodes { id name color } }`
//! - `mutation { addLabelsToLabelable(input: { labelableId, labelIds }) {
//!   clientMutationId labelable { …on the item… } } }`
//! - `mutation { updateIssue(input: { id, title, body }) { issue {…} } }`
//!
//! Variables (`$number: Int!`) and aliases work; fragments, directives and
//! every other field are refused with GitHub's error shape (`errors`, with
//! the path), never answered wrongly. Writes go through the world, so they
//! send the webhooks a REST write would. Nesting is capped, so a query
//! costs what its text does.

use serde_json::{json, Map, Value};

mod parse;

use crate::shapes;
use crate::state::{Change, Identity, Issue, ItemEdit, Repo, World};
use parse::{tokens, Field, Parser};

/// A GraphQL error, with the path of the field that caused it.
fn error(message: impl Into<String>, path: &[&str]) -> Value {
    json!({"data": null, "errors": [{"message": message.into(), "path": path, "locations": []}]})
}

fn unknown(field: &Field, on: &str, path: &[&str]) -> Value {
    error(
        format!(
            "Field '{}' doesn't exist on type '{on}' (or fakehub does not implement it)",
            field.name
        ),
        path,
    )
}

/// What a request asks, answered: `{"data": …}` or `{"errors": […]}`;
/// and the changes it made, for their webhooks.
pub(crate) fn execute(world: &mut World, who: &Identity, body: &Value) -> (Value, Vec<Change>) {
    let query = body["query"].as_str().unwrap_or_default();
    let empty = Map::new();
    let variables = body["variables"].as_object().unwrap_or(&empty);
    let parsed = tokens(query).and_then(|tokens| {
        Parser {
            tokens,
            at: 0,
            variables,
        }
        .operation()
    });
    let (mutation, selection) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => return (error(message, &[]), Vec::new()),
    };
    let mut data = Map::new();
    let mut changes = Vec::new();
    for field in &selection {
        let value = match (mutation, field.name.as_str()) {
            (false, "viewer") => Ok(json!({"login": world.actor(who)})),
            (false, "repository") => repository(world, who, field),
            (true, "addLabelsToLabelable") => add_labels(world, who, field, &mut changes),
            (true, "updateIssue") => update_issue(world, who, field, &mut changes),
            _ => Err(unknown(
                field,
                if mutation { "Mutation" } else { "Query" },
                &[field.key()],
            )),
        };
        match value {
            Ok(value) => {
                let value = match field.name.as_str() {
                    "viewer" => select(&value, field),
                    _ => Ok(value),
                };
                match value {
                    Ok(value) => data.insert(field.key().to_owned(), value),
                    Err(error) => return (error, changes),
                };
            }
            Err(error) => return (error, changes),
        }
    }
    (json!({"data": data}), changes)
}

/// `viewer { login }` and the like: the asked keys of a plain object.
fn select(value: &Value, field: &Field) -> Result<Value, Value> {
    let mut out = Map::new();
    for inner in &field.selection {
        let got = value
            .get(&inner.name)
            .ok_or_else(|| unknown(inner, "User", &[field.key(), inner.key()]))?;
        out.insert(inner.key().to_owned(), got.clone());
    }
    Ok(Value::Object(out))
}

fn repository(world: &World, who: &Identity, field: &Field) -> Result<Value, Value> {
    let owner = field
        .arg("owner")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = field
        .arg("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let full = format!("{owner}/{name}");
    let Some(repo) = world
        .repos
        .get(&full)
        .filter(|_| world.can_access(who, &full))
    else {
        return Err(error(
            format!("Could not resolve to a Repository with the name '{full}'."),
            &[field.key()],
        ));
    };
    let mut out = Map::new();
    for inner in &field.selection {
        let value = match inner.name.as_str() {
            "id" => json!(format!("MDEwOlJlcG9zaXRvcnk{}", repo.id)),
            "name" => json!(repo.name),
            "nameWithOwner" => json!(full),
            "issue" | "pullRequest" => {
                let number = inner
                    .arg("number")
                    .and_then(Value::as_u64)
                    .unwrap_or_default();
                let wants_pull = inner.name == "pullRequest";
                match repo.issues.get(&number) {
                    Some(issue) if issue.pull.is_some() == wants_pull => {
                        item(world, repo, issue, inner, &[field.key(), inner.key()])?
                    }
                    _ => Value::Null,
                }
            }
            _ => return Err(unknown(inner, "Repository", &[field.key(), inner.key()])),
        };
        out.insert(inner.key().to_owned(), value);
    }
    Ok(Value::Object(out))
}

/// An issue or pull request, with the fields asked.
fn item(
    world: &World,
    repo: &Repo,
    issue: &Issue,
    field: &Field,
    path: &[&str],
) -> Result<Value, Value> {
    let rest = shapes::issue(world, repo, issue);
    let kind = if issue.pull.is_some() {
        "PullRequest"
    } else {
        "Issue"
    };
    let merged = issue.pull.as_ref().is_some_and(|p| p.merged_at.is_some());
    let mut out = Map::new();
    for inner in &field.selection {
        let value = match inner.name.as_str() {
            "id" => rest["node_id"].clone(),
            "number" => json!(issue.number),
            "title" => json!(issue.title),
            "body" => json!(issue.body),
            "closed" => json!(!issue.open),
            "url" => rest["html_url"].clone(),
            "createdAt" => rest["created_at"].clone(),
            "updatedAt" => rest["updated_at"].clone(),
            "state" => json!(match (issue.open, merged) {
                (true, _) => "OPEN",
                (false, true) => "MERGED",
                (false, false) => "CLOSED",
            }),
            "__typename" => json!(kind),
            "author" => {
                let author = json!({"login": issue.author, "__typename": "User"});
                let mut picked = Map::new();
                for want in &inner.selection {
                    let got = author
                        .get(&want.name)
                        .ok_or_else(|| unknown(want, "Actor", path))?;
                    picked.insert(want.key().to_owned(), got.clone());
                }
                Value::Object(picked)
            }
            "labels" => {
                let first = inner.arg("first").and_then(Value::as_u64).unwrap_or(100) as usize;
                let labels: Vec<Value> = issue
                    .labels
                    .iter()
                    .filter_map(|name| repo.labels.get(name))
                    .take(first)
                    .map(|l| json!({"id": format!("MDU6TGFiZWw{}", l.id), "name": l.name, "color": l.color}))
                    .collect();
                let mut picked = Map::new();
                for want in &inner.selection {
                    let value = match want.name.as_str() {
                        "totalCount" => json!(issue.labels.len()),
                        "nodes" => Value::Array(
                            labels
                                .iter()
                                .map(|l| {
                                    let mut node = Map::new();
                                    for part in &want.selection {
                                        node.insert(
                                            part.key().to_owned(),
                                            l.get(&part.name).cloned().unwrap_or(Value::Null),
                                        );
                                    }
                                    Value::Object(node)
                                })
                                .collect(),
                        ),
                        _ => return Err(unknown(want, "LabelConnection", path)),
                    };
                    picked.insert(want.key().to_owned(), value);
                }
                Value::Object(picked)
            }
            _ => return Err(unknown(inner, kind, path)),
        };
        out.insert(inner.key().to_owned(), value);
    }
    Ok(Value::Object(out))
}

/// The repository and number of the item with this node id.
fn find_item(world: &World, node_id: &str) -> Option<(String, u64)> {
    world.repos.iter().find_map(|(full, repo)| {
        repo.issues
            .values()
            .find(|i| format!("MDU6SXNzdWU{}", i.id) == node_id)
            .map(|i| (full.clone(), i.number))
    })
}

fn input<'f>(field: &'f Field, key: &str) -> Option<&'f Value> {
    field.arg("input").and_then(|input| input.get(key))
}

fn writer(world: &World, who: &Identity, full: &str, path: &[&str]) -> Result<String, Value> {
    match who {
        Identity::App => Err(error("Resource not accessible by integration", path)),
        _ if !world.can_access(who, full) => Err(error("Could not resolve to a node", path)),
        _ => Ok(world.actor(who)),
    }
}

/// The item a mutation names by the node id in `input.{key}`, and who
/// writes to it.
fn target(
    world: &World,
    who: &Identity,
    field: &Field,
    key: &str,
) -> Result<(String, u64, String), Value> {
    let path = [field.key()];
    let id = input(field, key)
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (full, number) = find_item(world, id).ok_or_else(|| {
        error(
            format!("Could not resolve to a node with the global id of '{id}'"),
            &path,
        )
    })?;
    let actor = writer(world, who, &full, &path)?;
    Ok((full, number, actor))
}

fn add_labels(
    world: &mut World,
    who: &Identity,
    field: &Field,
    changes: &mut Vec<Change>,
) -> Result<Value, Value> {
    let path = [field.key()];
    let (full, number, actor) = target(world, who, field, "labelableId")?;
    let wanted: Vec<String> = input(field, "labelIds")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let repo = world.repo(&full).map_err(|r| error(r.message, &path))?;
    let mut names = Vec::new();
    for id in &wanted {
        let label = repo
            .labels
            .values()
            .find(|l| format!("MDU6TGFiZWw{}", l.id) == *id)
            .ok_or_else(|| {
                error(
                    format!("Could not resolve to a Label with the global id of '{id}'"),
                    &path,
                )
            })?;
        names.push(label.name.clone());
    }
    changes.extend(
        world
            .add_labels(&full, number, &names, &actor)
            .map_err(|r| error(r.message, &path))?,
    );
    payload(world, &full, number, field, "labelable")
}

fn update_issue(
    world: &mut World,
    who: &Identity,
    field: &Field,
    changes: &mut Vec<Change>,
) -> Result<Value, Value> {
    let path = [field.key()];
    let (full, number, actor) = target(world, who, field, "id")?;
    let edit = ItemEdit {
        title: input(field, "title")
            .and_then(Value::as_str)
            .map(str::to_owned),
        body: input(field, "body")
            .and_then(Value::as_str)
            .map(str::to_owned),
        state: None,
    };
    changes.extend(
        world
            .edit_item(&full, number, edit, &actor)
            .map_err(|r| error(r.message, &path))?,
    );
    payload(world, &full, number, field, "issue")
}

/// A mutation's payload: `clientMutationId` and the item under `key`.
fn payload(
    world: &World,
    full: &str,
    number: u64,
    field: &Field,
    key: &str,
) -> Result<Value, Value> {
    let repo = world
        .repo(full)
        .map_err(|r| error(r.message, &[field.key()]))?;
    let issue = repo
        .issues
        .get(&number)
        .ok_or_else(|| error("the item is gone", &[field.key()]))?;
    let mut out = Map::new();
    for inner in &field.selection {
        let value = match inner.name.as_str() {
            "clientMutationId" => input(field, "clientMutationId")
                .cloned()
                .unwrap_or(Value::Null),
            name if name == key => item(world, repo, issue, inner, &[field.key(), inner.key()])?,
            _ => return Err(unknown(inner, "Payload", &[field.key(), inner.key()])),
        };
        out.insert(inner.key().to_owned(), value);
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests;
