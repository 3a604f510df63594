//! Items as the control API shows them (`GET /_fakehub/repos/{o}/{r}/items/{n}`)
//! and the client reads them: one declaration for both sides.

use serde::{Deserialize, Serialize};

use super::{Issue, Repo};

/// An issue or pull request as the control API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ItemState {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub author: String,
    pub labels: Vec<String>,
    pub open: bool,
    pub comments: Vec<CommentState>,
    pub pull: Option<PullState>,
    #[serde(default)]
    pub assignees: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CommentState {
    pub id: u64,
    pub author: String,
    pub body: String,
    #[serde(default)]
    pub reactions: Vec<ReactionState>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReactionState {
    pub content: String,
    pub user: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PullState {
    pub head_sha: String,
    pub head_ref: String,
    pub base_ref: String,
    pub fork: bool,
    pub files: Vec<String>,
    pub merged: bool,
    /// Asked to review, and not yet reviewed.
    #[serde(default)]
    pub requested_reviewers: Vec<String>,
}

impl ItemState {
    /// `issue` of `repo`, with its comments and their reactions.
    pub(crate) fn of(repo: &Repo, issue: &Issue) -> ItemState {
        let comments = repo
            .comments
            .iter()
            .filter(|c| c.issue == issue.number)
            .map(|c| CommentState {
                id: c.id,
                author: c.author.clone(),
                body: c.body.clone(),
                reactions: c
                    .reactions
                    .iter()
                    .map(|r| ReactionState {
                        content: r.content.clone(),
                        user: r.user.clone(),
                    })
                    .collect(),
            })
            .collect();
        let pull = issue.pull.as_ref().map(|p| PullState {
            head_sha: p.head_sha.clone(),
            head_ref: p.head_ref.clone(),
            base_ref: p.base_ref.clone(),
            fork: p.fork,
            files: p.files.clone(),
            merged: p.merged_at.is_some(),
            requested_reviewers: p.requested_reviewers.clone(),
        });
        ItemState {
            number: issue.number,
            title: issue.title.clone(),
            body: issue.body.clone(),
            author: issue.author.clone(),
            labels: issue.labels.clone(),
            open: issue.open,
            comments,
            pull,
            assignees: issue.assignees.clone(),
        }
    }
}
