//! The names the bot gives what GitHub sends: repositories, issue numbers,
//! comment ids, commit SHAs and logins, each its own type so one is never
//! taken for another (an issue number for a comment id), and logins
//! compared as GitHub compares them, without regard to case.

use std::fmt;

/// A repository, `owner/name`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct RepoName {
    pub owner: String,
    pub name: String,
}

impl RepoName {
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Self {
        RepoName {
            owner: owner.into(),
            name: name.into(),
        }
    }

    /// Parses `owner/name`, in the characters GitHub allows in them (so
    /// that no name can carry a newline into a log line, say).
    pub fn parse(full_name: &str) -> Option<Self> {
        let (owner, name) = full_name.split_once('/')?;
        let valid = |s: &str| {
            !s.is_empty()
                && s.len() <= 100
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        (valid(owner) && valid(name)).then(|| RepoName::new(owner, name))
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// An issue's or pull request's number in its repository: `#123`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct IssueNumber(pub u64);

impl fmt::Display for IssueNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A comment's id, which no issue number may be taken for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct CommentId(pub u64);

impl fmt::Display for CommentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A commit's SHA, as GitHub writes it (40 hex digits).
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct CommitSha(pub String);

impl CommitSha {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first seven digits, as GitHub shows a commit.
    pub fn short(&self) -> &str {
        self.0.get(..7).unwrap_or(&self.0)
    }
}

impl From<&str> for CommitSha {
    fn from(sha: &str) -> Self {
        CommitSha(sha.to_owned())
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GitHub login: a person's, or an App's (`name[bot]`). GitHub ignores
/// the case of logins, and so do `==` and hashing here, so `@Alice` and
/// `alice` are one person wherever logins are compared.
#[derive(Debug, Clone, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Login(pub String);

impl Login {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Login {
    fn eq(&self, other: &Login) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl PartialEq<str> for Login {
    fn eq(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl PartialEq<&str> for Login {
    fn eq(&self, other: &&str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl std::hash::Hash for Login {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for byte in self.0.bytes() {
            state.write_u8(byte.to_ascii_lowercase());
        }
    }
}

/// A login reads as the text it is (`&comment.author` where a `&str` is
/// asked for), but never compares as text by accident: `==` ignores case.
impl std::ops::Deref for Login {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Login {
    fn from(login: &str) -> Self {
        Login(login.to_owned())
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Actor {
    pub login: Login,
}

/// The login GitHub shows for a deleted account ("ghost"), and the one the
/// bot gives a user the payload leaves `null` or out: GitHub's webhook
/// schema allows `null` for the author of an issue, a pull request or a
/// comment whose account was deleted, and a push without `sender`. The
/// ghost matches no author rule and is never asked about.
pub const GHOST: &str = "ghost";

impl Actor {
    pub(super) fn ghost() -> Actor {
        Actor {
            login: GHOST.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_one_person_whatever_its_case() {
        let alice = Login::from("Alice");
        assert_eq!(alice, Login::from("alice"));
        assert!(alice == "ALICE");
        assert_ne!(alice, Login::from("alice2"));
        // As GitHub shows it, not as compared.
        assert_eq!(alice.to_string(), "Alice");
        let seen: std::collections::HashSet<Login> =
            ["alice", "ALICE", "Alice", "bob"].map(Login::from).into();
        assert_eq!(seen.len(), 2, "{seen:?}");
    }

    #[test]
    fn numbers_and_shas_keep_their_wire_form() {
        let comment: crate::event::CommentEvent = serde_json::from_value(serde_json::json!({
            "repo": {"owner": "acme", "name": "widgets"},
            "installation": null,
            "number": 7,
            "comment_id": 70,
            "body": "",
            "author": "Alice",
            "sender": {"login": "Alice"},
        }))
        .unwrap();
        assert_eq!(comment.number, IssueNumber(7));
        assert_eq!(comment.comment_id, CommentId(70));
        assert_eq!(serde_json::to_value(&comment).unwrap()["number"], 7);
        assert_eq!(CommitSha::from("0123456789abcdef").short(), "0123456");
    }
}
