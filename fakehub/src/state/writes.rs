//! The world's writes beside items and git: dispatches (which request a
//! workflow run), check runs, installation tokens, repository labels. The
//! REST handlers validate the request's shape; the world decides what the
//! request does.

use serde_json::Value;

use super::{
    now, sha_of, Change, CheckRun, Dispatch, Identity, Label, Outcome, Refusal, Review, Token,
    World,
};

/// How long an installation token lives, as on GitHub.
const TOKEN_LIFETIME_SECS: u64 = 3_600;

/// What an edit of a label changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct LabelEdit {
    pub new_name: Option<String>,
    pub color: Option<String>,
    pub description: Option<String>,
}

/// The fields of a check run a request sets; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct CheckRunFields {
    pub name: Option<String>,
    pub head_sha: Option<String>,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub output: Value,
}

impl World {
    /// Records a `workflow_dispatch` of `workflow` (file name or id) on
    /// `git_ref` (a branch, a tag or a full ref).
    pub fn dispatch_workflow(
        &mut self,
        full: &str,
        workflow: &str,
        git_ref: &str,
        inputs: Value,
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        let run_id = self.id();
        let repo = self.repo_mut(full)?;
        let file = repo
            .workflows
            .iter()
            .find(|w| w.id.to_string() == workflow || w.path.rsplit('/').next() == Some(workflow))
            .map(|w| w.path.rsplit('/').next().unwrap_or(&w.path).to_owned())
            .ok_or_else(Refusal::not_found)?;
        let candidates = [
            git_ref.to_owned(),
            format!("refs/heads/{git_ref}"),
            format!("refs/tags/{git_ref}"),
        ];
        let Some(head_sha) = candidates.iter().find_map(|r| repo.refs.get(r)).cloned() else {
            return Err(Refusal::unprocessable(format!(
                "No ref found for: {git_ref}"
            )));
        };
        repo.dispatches.push(Dispatch {
            kind: "workflow_dispatch",
            target: file,
            git_ref: Some(git_ref.to_owned()),
            head_sha,
            inputs,
            actor: actor.to_owned(),
            run_id,
        });
        Ok(vec![Change::Run {
            repo: full.to_owned(),
            run_id,
            actor: actor.to_owned(),
        }])
    }

    /// Records a `repository_dispatch`, run on the default branch's head.
    pub fn repository_dispatch(
        &mut self,
        full: &str,
        event_type: &str,
        client_payload: Value,
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        if event_type.is_empty() || event_type.chars().count() > 100 {
            return Err(Refusal::unprocessable(
                "Validation Failed: event_type must be 1 to 100 characters",
            ));
        }
        let run_id = self.id();
        let repo = self.repo_mut(full)?;
        let head_sha = repo
            .refs
            .get(&format!("refs/heads/{}", repo.default_branch))
            .cloned()
            .unwrap_or_default();
        repo.dispatches.push(Dispatch {
            kind: "repository_dispatch",
            target: event_type.to_owned(),
            git_ref: None,
            head_sha,
            inputs: client_payload,
            actor: actor.to_owned(),
            run_id,
        });
        Ok(vec![Change::Run {
            repo: full.to_owned(),
            run_id,
            actor: actor.to_owned(),
        }])
    }

    /// Creates a check run; completed when it comes with a conclusion.
    pub fn create_check_run(&mut self, full: &str, fields: CheckRunFields) -> Outcome<CheckRun> {
        let (Some(name), Some(head_sha)) = (fields.name, fields.head_sha) else {
            return Err(Refusal::unprocessable(
                "Validation Failed: name and head_sha are required",
            ));
        };
        let id = self.id();
        let t = now();
        let status = match fields.conclusion.is_some() {
            true => "completed".to_owned(),
            false => fields.status.unwrap_or_else(|| "queued".into()),
        };
        let run = CheckRun {
            id,
            name,
            head_sha,
            status,
            conclusion: fields.conclusion,
            output: fields.output,
            created_at: t,
            updated_at: t,
        };
        self.repo_mut(full)?.check_runs.push(run.clone());
        Ok(run)
    }

    /// Updates the fields given of a check run.
    pub fn update_check_run(
        &mut self,
        full: &str,
        id: u64,
        fields: CheckRunFields,
    ) -> Outcome<CheckRun> {
        let repo = self.repo_mut(full)?;
        let run = repo
            .check_runs
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(Refusal::not_found)?;
        if let Some(name) = fields.name {
            run.name = name;
        }
        if let Some(status) = fields.status {
            run.status = status;
        }
        if fields.conclusion.is_some() {
            run.conclusion = fields.conclusion;
            run.status = "completed".into();
        }
        if !fields.output.is_null() {
            run.output = fields.output;
        }
        run.updated_at = now();
        Ok(run.clone())
    }

    /// A new installation token: the token and when it expires.
    pub fn issue_token(&mut self, installation: u64) -> Outcome<(String, u64)> {
        if !self.installations.iter().any(|i| i.id == installation) {
            return Err(Refusal::not_found());
        }
        let serial = self.id();
        let token = format!(
            "ghs_fake{}",
            &sha_of(&format!("{installation}:{serial}:{}", now()))[..30]
        );
        let expires_at = now() + TOKEN_LIFETIME_SECS;
        self.tokens.insert(
            token.clone(),
            Token {
                identity: Identity::Installation(installation),
                expires_at: Some(expires_at),
            },
        );
        Ok((token, expires_at))
    }

    /// Submits a review (`APPROVE`, `REQUEST_CHANGES`, `COMMENT`) of a pull
    /// request's head; the reviewer is no longer requested.
    pub fn review(
        &mut self,
        full: &str,
        number: u64,
        event: &str,
        body: &str,
        actor: &str,
    ) -> Outcome<(Review, Vec<Change>)> {
        let state = match event {
            "APPROVE" => "APPROVED",
            "REQUEST_CHANGES" => "CHANGES_REQUESTED",
            "COMMENT" => "COMMENTED",
            other => {
                return Err(Refusal::unprocessable(format!(
                    "fakehub does not implement review event `{other}` (pending reviews); use APPROVE, REQUEST_CHANGES or COMMENT"
                )))
            }
        };
        if state != "APPROVED" && body.trim().is_empty() {
            return Err(Refusal::unprocessable(
                "Unprocessable Entity: a body is needed to request changes or comment",
            ));
        }
        let id = self.id();
        let issue = self.issue_mut(full, number)?;
        let Some(pull) = issue.pull.as_mut() else {
            return Err(Refusal::not_found());
        };
        let review = Review {
            id,
            user: actor.to_owned(),
            state,
            body: body.to_owned(),
            commit_id: pull.head_sha.clone(),
            submitted_at: now(),
        };
        pull.reviews.push(review.clone());
        pull.requested_reviewers
            .retain(|r| !r.eq_ignore_ascii_case(actor));
        let change = Change::Review {
            repo: full.to_owned(),
            number,
            id,
            actor: actor.to_owned(),
        };
        Ok((review, vec![change]))
    }

    /// Asks these people to review a pull request.
    /// Requests reviews of `logins` (or, with `add` false, removes the
    /// requests); returns the logins whose request changed, in order.
    pub fn request_reviewers(
        &mut self,
        full: &str,
        number: u64,
        logins: &[String],
        add: bool,
    ) -> Outcome<Vec<String>> {
        let repo = self.repo(full)?;
        let collaborator = |login: &String| {
            repo.owner.eq_ignore_ascii_case(login)
                || repo
                    .collaborators
                    .keys()
                    .any(|c| c.eq_ignore_ascii_case(login))
        };
        let author = &repo
            .issues
            .get(&number)
            .ok_or_else(Refusal::not_found)?
            .author;
        if add && logins.iter().any(|l| l.eq_ignore_ascii_case(author)) {
            return Err(Refusal::unprocessable(
                "Review cannot be requested from pull request author.",
            ));
        }
        if add && !logins.iter().all(collaborator) {
            return Err(Refusal::unprocessable(format!(
                "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the {full} repository."
            )));
        }
        let issue = self.issue_mut(full, number)?;
        let Some(pull) = issue.pull.as_mut() else {
            return Err(Refusal::not_found());
        };
        let mut changed = Vec::new();
        for login in logins {
            let requested = pull.requested_reviewers.contains(login);
            if add && !requested {
                pull.requested_reviewers.push(login.clone());
                changed.push(login.clone());
            } else if !add && requested {
                pull.requested_reviewers.retain(|r| r != login);
                changed.push(login.clone());
            }
        }
        Ok(changed)
    }

    /// Edits a repository label (new name, color, description); items
    /// carrying it carry the new name. `label.edited` with `changes`.
    pub fn edit_label(
        &mut self,
        full: &str,
        name: &str,
        edit: LabelEdit,
        actor: &str,
    ) -> Outcome<(Label, Vec<Change>)> {
        let repo = self.repo_mut(full)?;
        let mut label = repo.labels.remove(name).ok_or_else(Refusal::not_found)?;
        let mut changes = serde_json::Map::new();
        if let Some(new_name) = edit.new_name.filter(|n| *n != label.name) {
            if repo
                .labels
                .keys()
                .any(|l| l.eq_ignore_ascii_case(&new_name))
            {
                repo.labels.insert(name.to_owned(), label);
                return Err(Refusal::unprocessable("Validation Failed: already_exists"));
            }
            changes.insert("name".into(), serde_json::json!({"from": label.name}));
            for issue in repo.issues.values_mut() {
                for carried in issue.labels.iter_mut().filter(|l| **l == label.name) {
                    carried.clone_from(&new_name);
                }
            }
            label.name = new_name;
        }
        if let Some(color) = edit.color.filter(|c| *c != label.color) {
            changes.insert("color".into(), serde_json::json!({"from": label.color}));
            label.color = color;
        }
        if let Some(description) = edit
            .description
            .filter(|d| Some(d) != label.description.as_ref())
        {
            changes.insert(
                "description".into(),
                serde_json::json!({"from": label.description}),
            );
            label.description = Some(description);
        }
        repo.labels.insert(label.name.clone(), label.clone());
        let change = Change::Label {
            repo: full.to_owned(),
            name: label.name.clone(),
            action: "edited",
            actor: actor.to_owned(),
            changes: Value::Object(changes),
        };
        Ok((label, vec![change]))
    }

    /// Deletes a repository label, and takes it off every item.
    /// `label.deleted`, rendered before the label goes.
    pub fn delete_label(&mut self, full: &str, name: &str, actor: &str) -> Outcome<Vec<Change>> {
        let repo = self.repo(full)?;
        if !repo.labels.contains_key(name) {
            return Err(Refusal::not_found());
        }
        Ok(vec![Change::Label {
            repo: full.to_owned(),
            name: name.to_owned(),
            action: "deleted",
            actor: actor.to_owned(),
            changes: Value::Null,
        }])
    }

    /// Removes a label the `deleted` webhook was rendered for.
    pub fn forget_label(&mut self, full: &str, name: &str) {
        if let Ok(repo) = self.repo_mut(full) {
            repo.labels.remove(name);
            for issue in repo.issues.values_mut() {
                issue.labels.retain(|l| l != name);
            }
        }
    }

    /// Creates a repository label; 422 when one exists by that name in any
    /// case, as GitHub's label names ignore case.
    pub fn create_label(
        &mut self,
        full: &str,
        name: &str,
        color: Option<String>,
        description: Option<String>,
        actor: &str,
    ) -> Outcome<(Label, Vec<Change>)> {
        let id = self.id();
        let repo = self.repo_mut(full)?;
        if repo.labels.keys().any(|l| l.eq_ignore_ascii_case(name)) {
            return Err(Refusal::unprocessable("Validation Failed: already_exists"));
        }
        let label = Label {
            id,
            name: name.to_owned(),
            color: color.unwrap_or_else(|| "ededed".into()),
            description,
        };
        repo.labels.insert(name.to_owned(), label.clone());
        let change = Change::Label {
            repo: full.to_owned(),
            name: name.to_owned(),
            action: "created",
            actor: actor.to_owned(),
            changes: Value::Null,
        };
        Ok((label, vec![change]))
    }
}
