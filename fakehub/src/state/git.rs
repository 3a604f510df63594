//! Commits, refs and installations: the world's changes that GitHub
//! reports as `push` and `installation` events.

use serde_json::{json, Value};

use super::{now, sha_of, timestamp, Change, File, Installation, Outcome, Refusal, World};

impl World {
    /// A commit on `branch` that writes (or, with `None`, deletes) files.
    pub fn commit(
        &mut self,
        full: &str,
        branch: &str,
        changes: &[(String, Option<String>)],
        actor: &str,
        sha: Option<String>,
    ) -> Outcome<Vec<Change>> {
        let repo = self.repo_mut(full)?;
        let git_ref = format!("refs/heads/{branch}");
        let before = repo
            .refs
            .get(&git_ref)
            .cloned()
            .unwrap_or_else(|| "0".repeat(40));
        let after = sha.unwrap_or_else(|| sha_of(&format!("{before}{changes:?}")));
        let (mut added, mut modified, mut removed) = (Vec::new(), Vec::new(), Vec::new());
        for (path, text) in changes {
            let key = (branch.to_owned(), path.clone());
            match text {
                Some(text) => {
                    let existed = repo.files.contains_key(&key);
                    repo.files.insert(
                        key,
                        File {
                            text: text.clone(),
                            sha: sha_of(text),
                        },
                    );
                    if existed { &mut modified } else { &mut added }.push(path.clone());
                }
                None => {
                    if repo.files.remove(&key).is_some() {
                        removed.push(path.clone());
                    }
                }
            }
        }
        repo.refs.insert(git_ref.clone(), after.clone());
        let commit = json!({
            "id": after, "tree_id": sha_of(&after), "distinct": true, "message": "fakehub commit",
            "timestamp": timestamp(now()),
            "url": format!("{}/{full}/commit/{after}", self.base_url),
            "author": {"name": actor, "email": crate::state::noreply_email(actor), "username": actor},
            "committer": {"name": actor, "email": crate::state::noreply_email(actor), "username": actor},
            "added": added, "removed": removed, "modified": modified,
        });
        Ok(vec![self.push_event(
            full,
            &git_ref,
            &before,
            &after,
            vec![commit],
            actor,
        )])
    }

    fn push_event(
        &self,
        full: &str,
        git_ref: &str,
        before: &str,
        after: &str,
        commits: Vec<Value>,
        actor: &str,
    ) -> Change {
        Change::Push {
            repo: full.to_owned(),
            git_ref: git_ref.to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
            commits,
            actor: actor.to_owned(),
            forced: false,
        }
    }

    /// Installs the app for `account` on `repos`: `installation.created`.
    pub fn install(
        &mut self,
        id: u64,
        account: &str,
        repos: &[String],
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        if self.app.is_none() {
            return Err(Refusal::unprocessable(
                "no app to install: the seed has no [app]",
            ));
        }
        if self.installations.iter().any(|i| i.id == id) {
            return Err(Refusal::unprocessable(format!("installation {id} exists")));
        }
        for full in repos {
            self.repo(full)?;
        }
        self.installations.push(Installation {
            id,
            account: account.to_owned(),
            repos: repos.to_vec(),
        });
        Ok(vec![Change::Installed {
            id,
            account: account.to_owned(),
            repos: repos.to_vec(),
            actor: actor.to_owned(),
        }])
    }

    /// Creates a ref; 422 when it exists, as GitHub does.
    pub fn create_ref(
        &mut self,
        full: &str,
        git_ref: &str,
        sha: &str,
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        if !git_ref.starts_with("refs/") || git_ref.split('/').count() < 3 {
            return Err(Refusal::unprocessable(
                "Reference name must start with 'refs/' and have at least two slashes.",
            ));
        }
        let repo = self.repo_mut(full)?;
        if repo.refs.contains_key(git_ref) {
            return Err(Refusal::unprocessable("Reference already exists"));
        }
        repo.refs.insert(git_ref.to_owned(), sha.to_owned());
        Ok(vec![self.push_event(
            full,
            git_ref,
            &"0".repeat(40),
            sha,
            Vec::new(),
            actor,
        )])
    }

    /// Moves a ref (force); 422 when it does not exist.
    pub fn update_ref(
        &mut self,
        full: &str,
        git_ref: &str,
        sha: &str,
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        let repo = self.repo_mut(full)?;
        let Some(old) = repo.refs.get(git_ref).cloned() else {
            return Err(Refusal::unprocessable("Reference does not exist"));
        };
        if old == sha {
            return Ok(Vec::new());
        }
        repo.refs.insert(git_ref.to_owned(), sha.to_owned());
        let mut push = self.push_event(full, git_ref, &old, sha, Vec::new(), actor);
        if let Change::Push { forced, .. } = &mut push {
            *forced = true;
        }
        Ok(vec![push])
    }

    /// Deletes a ref; 422 when it does not exist.
    pub fn delete_ref(&mut self, full: &str, git_ref: &str, actor: &str) -> Outcome<Vec<Change>> {
        let repo = self.repo_mut(full)?;
        let Some(old) = repo.refs.remove(git_ref) else {
            return Err(Refusal::unprocessable("Reference does not exist"));
        };
        Ok(vec![self.push_event(
            full,
            git_ref,
            &old,
            &"0".repeat(40),
            Vec::new(),
            actor,
        )])
    }
}
