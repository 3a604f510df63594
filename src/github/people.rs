//! The calls about people: their access to a repository, teams, who is
//! asked to review or assigned to an item, and how many open requests
//! (or assignments) each has, which is what picking by load reads.

use crate::event::IssueNumber;
use http::Method;
use serde::Deserialize;
use serde_json::json;

use super::{encode, repo_path, wire, GitHubError, Result, Session};
use crate::config::Role;
use crate::event::RepoName;
use crate::limits::MAX_TEAM_MEMBERS;

#[derive(Deserialize)]
struct User {
    login: String,
}

fn logins(users: Vec<User>) -> Vec<String> {
    users.into_iter().map(|u| u.login).collect()
}

/// Who is around an item now: asked to review (a pull request), assigned,
/// and who submitted a review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Around {
    pub requested: Vec<String>,
    pub assigned: Vec<String>,
    pub reviewed: Vec<String>,
}

/// A person's access to a repository, from `GET /collaborators/{user}/permission`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Admin,
    Maintain,
    Write,
    Triage,
    Read,
    None,
}

impl Access {
    pub fn can_write(self) -> bool {
        matches!(self, Access::Admin | Access::Maintain | Access::Write)
    }

    /// Triage or more: may manage others' subscriptions.
    pub fn can_triage(self) -> bool {
        self.can_write() || self == Access::Triage
    }
}

impl Session {
    /// A user's role in the repository; `None` for people GitHub doesn't know.
    pub async fn access(&self, repo: &RepoName, login: &str) -> Result<Access> {
        let url = format!(
            "{}/collaborators/{}/permission",
            repo_path(repo),
            encode(login)
        );
        let answer = match self.send(Method::GET, &url, None, None).await {
            Ok(answer) => answer.json()?,
            Err(GitHubError::Status { status: 404, .. }) => return Ok(Access::None),
            Err(error) => return Err(error),
        };
        // `role_name` tells maintain from write; `permission` is older and coarser.
        let answer: wire::Permission = wire::decode("a permission", answer)?;
        let role = answer.role_name.or(answer.permission);
        Ok(match role.as_deref().unwrap_or("none") {
            "admin" => Access::Admin,
            "maintain" => Access::Maintain,
            "write" => Access::Write,
            "triage" => Access::Triage,
            "read" => Access::Read,
            _ => Access::None,
        })
    }

    /// Whether `login` is an active member of `team` (`org/team-slug`).
    /// GitHub answers 404 for people not in the team and for teams the App
    /// can't see, 403 when the App lacks the members permission.
    pub async fn team_member(&self, team: &str, login: &str) -> Result<bool> {
        let Some((org, slug)) = team.split_once('/') else {
            return Ok(false);
        };
        let url = format!(
            "/orgs/{}/teams/{}/memberships/{}",
            encode(org),
            encode(slug),
            encode(login)
        );
        match self.send(Method::GET, &url, None, None).await {
            Ok(answer) => {
                let membership: wire::Membership = wire::decode("a membership", answer.json()?)?;
                Ok(membership.state == "active")
            }
            Err(GitHubError::Status { status: 404, .. }) => Ok(false),
            // Rate limits arrive as `RateLimited`: a 403 is the App lacking
            // the organization's members permission. The rule then sees no
            // member, and the operator a reason.
            Err(GitHubError::Status { status: 403, .. }) => {
                tracing::warn!(
                    team,
                    "team membership is not readable: the App needs the organization's members (read) permission; counted as not a member"
                );
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }

    /// Who is around an item: for a pull request, one read of it and one
    /// of its reviews; for an issue, one read.
    pub async fn around(
        &self,
        repo: &RepoName,
        number: IssueNumber,
        is_pull: bool,
    ) -> Result<Around> {
        #[derive(Deserialize)]
        struct Item {
            #[serde(default)]
            assignees: Vec<User>,
            #[serde(default)]
            requested_reviewers: Vec<User>,
        }
        #[derive(Deserialize)]
        struct Review {
            /// `null` for a deleted account.
            user: Option<User>,
        }
        let kind = if is_pull { "pulls" } else { "issues" };
        let item: Item = self
            .typed(&format!("{}/{kind}/{number}", repo_path(repo)))
            .await?;
        let reviewed = match is_pull {
            false => Vec::new(),
            true => self
                .all_pages(&format!("{}/pulls/{number}/reviews", repo_path(repo)), 10)
                .await?
                .into_iter()
                .filter_map(|r| serde_json::from_value::<Review>(r).ok()?.user)
                .map(|u| u.login)
                .collect(),
        };
        Ok(Around {
            requested: logins(item.requested_reviewers),
            assigned: logins(item.assignees),
            reviewed,
        })
    }

    /// Who is asked to review a pull request (people, not teams), or
    /// assigned to an item, now: read just before asking more.
    pub async fn asked(
        &self,
        repo: &RepoName,
        number: IssueNumber,
        role: Role,
    ) -> Result<Vec<String>> {
        match role {
            Role::Reviewer => {
                #[derive(Deserialize)]
                struct Requested {
                    users: Vec<User>,
                }
                let url = format!("{}/pulls/{number}/requested_reviewers", repo_path(repo));
                Ok(logins(self.typed::<Requested>(&url).await?.users))
            }
            Role::Assignee => Ok(self.around(repo, number, false).await?.assigned),
        }
    }

    /// Asks people to review a pull request, or assigns them, in one
    /// request.
    pub async fn ask(
        &self,
        repo: &RepoName,
        number: IssueNumber,
        role: Role,
        people: &[String],
    ) -> Result<()> {
        let (url, body) = match role {
            Role::Reviewer => (
                format!("{}/pulls/{number}/requested_reviewers", repo_path(repo)),
                json!({ "reviewers": people }),
            ),
            Role::Assignee => (
                format!("{}/issues/{number}/assignees", repo_path(repo)),
                json!({ "assignees": people }),
            ),
        };
        self.write(repo, self.send(Method::POST, &url, Some(&body), None))
            .await?;
        Ok(())
    }

    /// A team's members (`org/team-slug`), at most [`MAX_TEAM_MEMBERS`]:
    /// none when the team is not visible to the App.
    pub async fn team_members(&self, team: &str) -> Result<Vec<String>> {
        let Some((org, slug)) = team.split_once('/') else {
            return Ok(Vec::new());
        };
        let url = format!(
            "/orgs/{}/teams/{}/members?per_page={MAX_TEAM_MEMBERS}",
            encode(org),
            encode(slug)
        );
        match self.typed::<Vec<User>>(&url).await {
            Ok(members) => Ok(logins(members)),
            Err(GitHubError::Status {
                status: 403 | 404, ..
            }) => {
                tracing::warn!(
                    team,
                    "the team's members are not readable (missing, or the App lacks the organization's members permission); picking among its other people"
                );
                Ok(Vec::new())
            }
            Err(error) => Err(error),
        }
    }

    /// How many open pull requests in the repository await `login`'s
    /// review, or how many open items are assigned to them: one search
    /// (GitHub allows an installation 30 a minute).
    pub async fn load(&self, repo: &RepoName, role: Role, login: &str) -> Result<u64> {
        #[derive(Deserialize)]
        struct Found {
            total_count: u64,
        }
        let qualifier = match role {
            Role::Reviewer => format!("is:pr review-requested:{login}"),
            Role::Assignee => format!("assignee:{login}"),
        };
        let query = format!("repo:{}/{} is:open {qualifier}", repo.owner, repo.name);
        let url = format!("/search/issues?q={}&per_page=1", encode(&query));
        Ok(self.typed::<Found>(&url).await?.total_count)
    }
}
