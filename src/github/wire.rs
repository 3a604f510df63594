//! The shapes of GitHub's answers that `calls.rs` reads, typed, so a field
//! that is missing or of another type is an error naming it rather than a
//! silent default. Only the fields the bot reads; GitHub adds fields all the
//! time, and unknown ones are ignored. Where GitHub's REST description
//! allows `null` (the user of a deleted account, a comment's body), the
//! field is an `Option`.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::{GitHubError, Result};
use crate::event::{Login, GHOST};

/// One answer (or one entry of a page) as `T`.
pub(super) fn decode<T: DeserializeOwned>(what: &str, value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| GitHubError::Decode(format!("{what}: {e}")))
}

/// Every entry of a list as `T`.
pub(super) fn decode_all<T: DeserializeOwned>(what: &str, values: Vec<Value>) -> Result<Vec<T>> {
    values.into_iter().map(|v| decode(what, v)).collect()
}

#[derive(Deserialize)]
pub(super) struct User {
    pub login: String,
}

/// The login of a user GitHub may give as `null` (a deleted account).
pub(super) fn login_of(user: Option<User>) -> Login {
    user.map_or_else(|| GHOST.into(), |u| Login(u.login))
}

/// `GET /repos/{o}/{r}/contents/{path}`.
#[derive(Deserialize)]
pub(super) struct Content {
    /// Base64, with line breaks.
    pub content: String,
}

/// An entry of `GET /repos/{o}/{r}/pulls/{n}/files`.
#[derive(Deserialize)]
pub(super) struct ChangedFile {
    pub filename: String,
}

/// `GET /repos/{o}/{r}/pulls/{n}`.
#[derive(Deserialize)]
pub(super) struct Pull {
    pub head: Branch,
    pub base: Branch,
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub draft: bool,
}

#[derive(Deserialize)]
pub(super) struct Branch {
    pub sha: String,
    #[serde(rename = "ref")]
    pub name: String,
    /// `null` when the fork was deleted.
    pub repo: Option<Repository>,
}

#[derive(Deserialize)]
pub(super) struct Repository {
    pub full_name: String,
}

/// `GET /repos/{o}/{r}/git/ref/{ref}`, and an entry of `matching-refs`.
#[derive(Deserialize)]
pub(super) struct GitRef {
    #[serde(rename = "ref")]
    pub name: String,
    pub object: GitObject,
}

#[derive(Deserialize)]
pub(super) struct GitObject {
    pub sha: String,
}

/// An entry of `GET /repos/{o}/{r}/issues/{n}/comments`.
#[derive(Deserialize)]
pub(super) struct Comment {
    pub id: u64,
    pub body: Option<String>,
    pub user: Option<User>,
}

/// An entry of `GET /repos/{o}/{r}/issues/comments/{id}/reactions`.
#[derive(Deserialize)]
pub(super) struct Reaction {
    pub content: String,
    pub user: Option<User>,
}

/// `GET /repos/{o}/{r}/labels/{name}`.
#[derive(Deserialize)]
pub(super) struct Label {
    pub name: String,
}

/// `GET /repos/{o}/{r}/collaborators/{login}/permission`.
#[derive(Deserialize)]
pub(super) struct Permission {
    /// Tells maintain from write.
    pub role_name: Option<String>,
    /// Older and coarser.
    pub permission: Option<String>,
}

/// `GET /orgs/{org}/teams/{team}/memberships/{login}`.
#[derive(Deserialize)]
pub(super) struct Membership {
    pub state: String,
}

/// `GET /app`.
#[derive(Deserialize)]
pub(super) struct App {
    pub slug: String,
}

/// `GET /repos/{o}/{r}/installation`.
#[derive(Deserialize)]
pub(super) struct Installation {
    pub id: u64,
}

/// `GET /app/hook/deliveries/{id}`: the payload is handed on as it is.
#[derive(Deserialize)]
pub(super) struct Delivery {
    pub request: DeliveryRequest,
}

#[derive(Deserialize)]
pub(super) struct DeliveryRequest {
    pub payload: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_field_is_an_error_naming_it_and_null_users_are_the_ghost() {
        let error = decode::<Comment>("a comment", serde_json::json!({ "body": "x" }))
            .err()
            .expect("no id");
        assert!(error.to_string().contains("missing field `id`"), "{error}");
        let comment: Comment = decode(
            "a comment",
            serde_json::json!({ "id": 1, "body": null, "user": null }),
        )
        .unwrap();
        assert_eq!(login_of(comment.user), Login::from(GHOST));
        assert_eq!(comment.body, None);
    }
}
