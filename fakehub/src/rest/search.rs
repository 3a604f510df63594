//! Listing issues and pull requests with GitHub's filters, and
//! `GET /search/issues` with the qualifiers fakehub understands. A filter
//! or qualifier fakehub does not know is refused (422), never ignored.

use super::*;
use crate::state::{mentions, parse_timestamp, Issue, Repo};

/// What a listing asks for, from `state`, `labels`, `creator`, … or from a
/// search query's qualifiers.
#[derive(Debug, Default)]
struct Filter {
    /// `None`: both.
    open: Option<bool>,
    /// `None`: both.
    pulls: Option<bool>,
    labels: Vec<String>,
    creator: Option<String>,
    mentioned: Option<String>,
    /// A pull request with a pending review request of this login.
    review_requested: Option<String>,
    /// Assigned to this login.
    assignee: Option<String>,
    since: Option<u64>,
    head: Option<String>,
    base: Option<String>,
    words: Vec<String>,
    sort: Sort,
    ascending: bool,
}

#[derive(Debug, Default, Clone, Copy)]
enum Sort {
    #[default]
    Created,
    Updated,
    Comments,
}

fn refuse(message: String) -> ApiError {
    ApiError::new(422, message)
}

impl Filter {
    fn from_query(query: &str, pulls: bool) -> Result<Filter, ApiError> {
        let mut filter = Filter {
            open: Some(true),
            pulls: pulls.then_some(true),
            ..Filter::default()
        };
        for (key, value) in url_pairs(query) {
            match key.as_str() {
                "state" => {
                    filter.open = match value.as_str() {
                        "open" => Some(true),
                        "closed" => Some(false),
                        "all" => None,
                        other => {
                            return Err(refuse(format!(
                                "state `{other}` is not open, closed or all"
                            )))
                        }
                    }
                }
                "labels" => {
                    filter.labels = value
                        .split(',')
                        .map(|l| l.trim().to_owned())
                        .filter(|l| !l.is_empty())
                        .collect()
                }
                "creator" => filter.creator = Some(value),
                "mentioned" => filter.mentioned = Some(value),
                "since" => {
                    filter.since = Some(parse_timestamp(&value).ok_or_else(|| {
                        refuse(format!(
                            "since `{value}` is not an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)"
                        ))
                    })?)
                }
                "head" => filter.head = Some(value),
                "base" => filter.base = Some(value),
                "sort" => filter.sort = sort(&value)?,
                "direction" => filter.ascending = direction(&value)?,
                _ => {}
            }
        }
        Ok(filter)
    }

    /// `repo:acme/widgets is:pr is:open label:bug label:"high priority"
    /// author:alice words`.
    fn from_search(q: &str) -> Result<(Filter, Option<String>), ApiError> {
        let mut filter = Filter::default();
        let mut repo = None;
        for term in search_terms(q) {
            let Some((qualifier, value)) = term.split_once(':') else {
                filter.words.push(term.to_lowercase());
                continue;
            };
            let value = value.trim_matches('"').to_owned();
            match (qualifier, value.as_str()) {
                ("repo", _) => repo = Some(value),
                ("is" | "type", "issue") => filter.pulls = Some(false),
                ("is" | "type", "pr" | "pull-request") => filter.pulls = Some(true),
                ("is" | "state", "open") => filter.open = Some(true),
                ("is" | "state", "closed") => filter.open = Some(false),
                ("label", _) => filter.labels.push(value),
                ("author", _) => filter.creator = Some(value),
                ("mentions", _) => filter.mentioned = Some(value),
                ("review-requested", _) => filter.review_requested = Some(value),
                ("assignee", _) => filter.assignee = Some(value),
                _ => {
                    return Err(refuse(format!(
                        "fakehub does not implement the search qualifier `{term}`; it knows repo:, is:, type:, state:, label:, author:, mentions:, review-requested:, assignee:"
                    )))
                }
            }
        }
        Ok((filter, repo))
    }

    fn keeps(&self, repo: &Repo, issue: &Issue) -> bool {
        let is_pull = issue.pull.is_some();
        let mentioned = |login: &str| {
            let login = login.to_ascii_lowercase();
            mentions(&issue.body).contains(&login)
                || repo
                    .comments
                    .iter()
                    .filter(|c| c.issue == issue.number)
                    .any(|c| mentions(&c.body).contains(&login))
        };
        let text = format!("{} {}", issue.title, issue.body).to_lowercase();
        self.open.is_none_or(|open| issue.open == open)
            && self.pulls.is_none_or(|pulls| is_pull == pulls)
            && self.labels.iter().all(|l| issue.labels.contains(l))
            && self
                .creator
                .as_deref()
                .is_none_or(|c| issue.author.eq_ignore_ascii_case(c))
            && self.mentioned.as_deref().is_none_or(mentioned)
            && self.review_requested.as_deref().is_none_or(|login| {
                issue.pull.as_ref().is_some_and(|p| {
                    p.requested_reviewers
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(login))
                })
            })
            && self.assignee.as_deref().is_none_or(|login| {
                issue
                    .assignees
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(login))
            })
            && self.since.is_none_or(|since| issue.updated_at >= since)
            && self.head.as_deref().is_none_or(|head| {
                let branch = head.split_once(':').map_or(head, |(_, b)| b);
                issue.pull.as_ref().is_some_and(|p| p.head_ref == branch)
            })
            && self
                .base
                .as_deref()
                .is_none_or(|base| issue.pull.as_ref().is_some_and(|p| p.base_ref == base))
            && self.words.iter().all(|w| text.contains(w.as_str()))
    }

    /// The matching items of `repo`, in the order asked (newest first by
    /// default).
    fn select<'r>(&self, repo: &'r Repo) -> Vec<&'r Issue> {
        let mut items: Vec<&Issue> = repo
            .issues
            .values()
            .filter(|i| self.keeps(repo, i))
            .collect();
        let comments = |i: &Issue| repo.comments.iter().filter(|c| c.issue == i.number).count();
        items.sort_by_key(|i| match self.sort {
            Sort::Created => (i.created_at, i.number as usize),
            Sort::Updated => (i.updated_at, i.number as usize),
            Sort::Comments => (comments(i) as u64, i.number as usize),
        });
        if !self.ascending {
            items.reverse();
        }
        items
    }
}

fn sort(value: &str) -> Result<Sort, ApiError> {
    match value {
        "created" => Ok(Sort::Created),
        "updated" => Ok(Sort::Updated),
        "comments" => Ok(Sort::Comments),
        other => Err(refuse(format!("fakehub does not implement sort `{other}`"))),
    }
}

fn direction(value: &str) -> Result<bool, ApiError> {
    match value {
        "asc" => Ok(true),
        "desc" => Ok(false),
        other => Err(refuse(format!("direction `{other}` is not asc or desc"))),
    }
}

/// Terms of a search query; `label:"high priority"` is one term.
fn search_terms(q: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    terms.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        terms.push(current);
    }
    terms
}

fn page_of(query: &str) -> Page {
    let mut page = Page::default();
    for (key, value) in url_pairs(query) {
        match key.as_str() {
            "page" => page.page = value.parse().ok(),
            "per_page" => page.per_page = value.parse().ok(),
            _ => {}
        }
    }
    page
}

/// `GET /repos/{o}/{r}/issues`: issues and pull requests, open ones by
/// default, newest first.
pub(super) async fn list_issues(
    scope: Scope,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    list_items(&scope, &uri, false, shapes::issue)
}

/// `GET /repos/{o}/{r}/pulls`.
pub(super) async fn list_pulls(
    scope: Scope,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    list_items(&scope, &uri, true, shapes::pull)
}

fn list_items(
    scope: &Scope,
    uri: &axum::http::Uri,
    pulls: bool,
    shape: fn(&World, &Repo, &Issue) -> Value,
) -> ApiResult {
    let query = uri.query().unwrap_or_default();
    let filter = Filter::from_query(query, pulls)?;
    let world = scope.hub.world();
    let repo = world.repo(&scope.full)?;
    let items = filter
        .select(repo)
        .into_iter()
        .map(|i| shape(&world, repo, i))
        .collect();
    Ok(paginate(items, &page_of(query), &world.base_url, uri))
}

/// `GET /search/issues?q=…`: within one repository (`repo:` is required),
/// the repositories the caller can see.
pub(super) async fn search_issues(
    State(hub): Shared,
    Extension(who): Who,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiResult {
    let query = uri.query().unwrap_or_default();
    let q = url_pairs(query)
        .into_iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v)
        .ok_or_else(|| refuse("Validation Failed: q is missing".into()))?;
    let (filter, repo_name) = Filter::from_search(&q)?;
    let repo_name = repo_name.ok_or_else(|| {
        refuse("fakehub searches one repository: add a repo:owner/name qualifier".into())
    })?;
    let world = hub.world();
    let items: Vec<Value> = match world.repos.get(&repo_name) {
        Some(repo) if world.can_access(&who, &repo_name) => filter
            .select(repo)
            .into_iter()
            .map(|i| {
                let mut shape = shapes::issue(&world, repo, i);
                shape["score"] = json!(1.0);
                shape
            })
            .collect(),
        _ => Vec::new(),
    };
    let page = page_of(query);
    let per_page = page.per_page.unwrap_or(30).clamp(1, 100);
    let current = page.page.unwrap_or(1).max(1);
    let total = items.len();
    let slice: Vec<Value> = items
        .into_iter()
        .skip((current - 1) * per_page)
        .take(per_page)
        .collect();
    ok(
        json!({"total_count": total, "incomplete_results": false, "items": slice, "search_type": "lexical"}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_keep_quoted_values_together_and_unknown_qualifiers_are_refused() {
        assert_eq!(
            search_terms(r#"repo:a/b label:"high priority" is:open crash"#),
            ["repo:a/b", "label:\"high priority\"", "is:open", "crash"]
        );
        let (filter, repo) =
            Filter::from_search(r#"repo:a/b label:"high priority" is:pr"#).unwrap();
        assert_eq!(repo.as_deref(), Some("a/b"));
        assert_eq!(filter.labels, ["high priority"]);
        assert_eq!(filter.pulls, Some(true));
        assert!(Filter::from_search("repo:a/b milestone:v1").is_err());
    }
}
