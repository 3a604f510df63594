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

use crate::shapes;
use crate::state::{Change, Identity, Issue, ItemEdit, Repo, World};

/// Selection sets nested deeper than this are refused.
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Str(String),
    Int(i64),
    Punct(char),
    Spread,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() || c == ',' => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '{' | '}' | '(' | ')' | ':' | '!' | '$' | '[' | ']' | '=' | '@' => {
                out.push(Token::Punct(c));
                i += 1;
            }
            '.' if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') => {
                out.push(Token::Spread);
                i += 3;
            }
            '"' => {
                let mut text = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                        text.push(match chars[i] {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    } else {
                        text.push(chars[i]);
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err("a string is not closed".into());
                }
                i += 1;
                out.push(Token::Str(text));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let number: String = chars[start..i].iter().collect();
                out.push(Token::Int(
                    number
                        .parse()
                        .map_err(|_| format!("`{number}` is not an integer"))?,
                ));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Token::Name(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character `{other}`")),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
struct Field {
    alias: Option<String>,
    name: String,
    args: Map<String, Value>,
    selection: Vec<Field>,
}

impl Field {
    fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    fn arg(&self, name: &str) -> Option<&Value> {
        self.args.get(name)
    }
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    variables: &'a Map<String, Value>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next() {
            Some(Token::Punct(p)) if p == c => Ok(()),
            other => Err(format!("expected `{c}`, found {other:?}")),
        }
    }

    fn name(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Token::Name(name)) => Ok(name),
            other => Err(format!("expected a name, found {other:?}")),
        }
    }

    /// `query Name($a: Int!) { … }`, `mutation { … }` or `{ … }`.
    fn operation(&mut self) -> Result<(bool, Vec<Field>), String> {
        let mutation = match self.peek() {
            Some(Token::Name(word)) if word == "query" || word == "mutation" => {
                let mutation = word == "mutation";
                self.at += 1;
                if let Some(Token::Name(_)) = self.peek() {
                    self.at += 1;
                }
                if self.peek() == Some(&Token::Punct('(')) {
                    self.skip_variable_definitions()?;
                }
                mutation
            }
            _ => false,
        };
        let selection = self.selection(0)?;
        if self.at < self.tokens.len() {
            return Err("one operation a request; fragments are not implemented".into());
        }
        Ok((mutation, selection))
    }

    /// `($a: Int!, $b: [String!]!)`: the types are the client's business.
    fn skip_variable_definitions(&mut self) -> Result<(), String> {
        self.expect('(')?;
        while let Some(token) = self.next() {
            if token == Token::Punct(')') {
                return Ok(());
            }
        }
        Err("variable definitions are not closed".into())
    }

    fn selection(&mut self, depth: usize) -> Result<Vec<Field>, String> {
        if depth > MAX_DEPTH {
            return Err(format!("selections nest deeper than {MAX_DEPTH}"));
        }
        self.expect('{')?;
        let mut fields = Vec::new();
        loop {
            match self.peek() {
                Some(Token::Punct('}')) => {
                    self.at += 1;
                    return Ok(fields);
                }
                Some(Token::Spread) => return Err("fakehub does not implement fragments".into()),
                Some(Token::Punct('@')) => {
                    return Err("fakehub does not implement directives".into())
                }
                None => return Err("a selection is not closed".into()),
                _ => fields.push(self.field(depth)?),
            }
        }
    }

    fn field(&mut self, depth: usize) -> Result<Field, String> {
        let first = self.name()?;
        let (alias, name) = match self.peek() {
            Some(Token::Punct(':')) => {
                self.at += 1;
                (Some(first), self.name()?)
            }
            _ => (None, first),
        };
        let mut args = Map::new();
        if self.peek() == Some(&Token::Punct('(')) {
            self.at += 1;
            while self.peek() != Some(&Token::Punct(')')) {
                let key = self.name()?;
                self.expect(':')?;
                args.insert(key, self.value(depth)?);
            }
            self.at += 1;
        }
        let selection = match self.peek() {
            Some(Token::Punct('{')) => self.selection(depth + 1)?,
            _ => Vec::new(),
        };
        Ok(Field {
            alias,
            name,
            args,
            selection,
        })
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("values nest deeper than {MAX_DEPTH}"));
        }
        match self.next() {
            Some(Token::Punct('$')) => {
                let name = self.name()?;
                Ok(self.variables.get(&name).cloned().unwrap_or(Value::Null))
            }
            Some(Token::Str(text)) => Ok(Value::String(text)),
            Some(Token::Int(n)) => Ok(json!(n)),
            Some(Token::Name(word)) => Ok(match word.as_str() {
                "true" => json!(true),
                "false" => json!(false),
                "null" => Value::Null,
                _ => Value::String(word),
            }),
            Some(Token::Punct('[')) => {
                let mut items = Vec::new();
                while self.peek() != Some(&Token::Punct(']')) {
                    if self.peek().is_none() {
                        return Err("a list is not closed".into());
                    }
                    items.push(self.value(depth + 1)?);
                }
                self.at += 1;
                Ok(Value::Array(items))
            }
            Some(Token::Punct('{')) => {
                let mut object = Map::new();
                while self.peek() != Some(&Token::Punct('}')) {
                    let key = self.name()?;
                    self.expect(':')?;
                    object.insert(key, self.value(depth + 1)?);
                }
                self.at += 1;
                Ok(Value::Object(object))
            }
            other => Err(format!("expected a value, found {other:?}")),
        }
    }
}

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
