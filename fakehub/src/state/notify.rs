//! Notifications and reactions: what GitHub does for people, not for bots.
//!
//! A user newly mentioned in an issue or pull request body (when it is
//! opened or edited) or in a comment (created or edited) is notified with
//! reason `mention`; the members of a mentioned team with `team_mention`.
//! A mention already in the text before an edit notifies nobody again, the
//! person who wrote the text is never notified of it, and mentions inside
//! code (fenced blocks, inline code spans) notify nobody, as on GitHub.
//!
//! GitHub shows one thread per item and user; fakehub also keeps every
//! notification it sent, so a test can count them: "exactly one each".

use std::collections::BTreeSet;

use super::{now, Login, Notification, Outcome, Reaction, Refusal, World};

/// The reactions GitHub accepts.
pub const REACTIONS: [&str; 8] = [
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
];

impl World {
    /// Notifies whoever `new` mentions and `old` did not, on item `number`.
    pub(crate) fn notify_mentions(
        &mut self,
        full: &str,
        number: u64,
        old: &str,
        new: &str,
        actor: &str,
    ) {
        let before = mentions(old);
        let mut reasons: Vec<(Login, &'static str)> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        seen.insert(actor.to_ascii_lowercase());
        // People by name first: a person both named and in a named team is
        // notified once, as `mention`.
        let added: Vec<String> = mentions(new)
            .into_iter()
            .filter(|m| !before.contains(m))
            .collect();
        for mention in added.iter().filter(|m| !m.contains('/')) {
            if seen.insert(mention.clone()) {
                reasons.push((self.login_as_known(mention), "mention"));
            }
        }
        for team in added.iter().filter(|m| m.contains('/')) {
            let members = self.teams.get(team).cloned().unwrap_or_default();
            for member in members {
                if seen.insert(member.to_ascii_lowercase()) {
                    reasons.push((member, "team_mention"));
                }
            }
        }
        let Ok(issue) = self.issue(full, number) else {
            return;
        };
        let (title, is_pull) = (issue.title.clone(), issue.pull.is_some());
        let t = now();
        for (user, reason) in reasons {
            let id = self.id();
            self.notifications.push(Notification {
                id,
                user,
                reason,
                repo: full.to_owned(),
                number,
                title: title.clone(),
                is_pull,
                at: t,
            });
        }
    }

    /// A login as fakehub first saw it (GitHub keeps a login's case).
    fn login_as_known(&self, lowercase: &str) -> Login {
        self.users
            .keys()
            .find(|known| known.eq_ignore_ascii_case(lowercase))
            .cloned()
            .unwrap_or_else(|| lowercase.to_owned())
    }

    /// Adds `user`'s reaction to a comment; `false` when it was there.
    pub fn react(&mut self, full: &str, comment: u64, content: &str, user: &str) -> Outcome<bool> {
        if !REACTIONS.contains(&content) {
            return Err(Refusal::unprocessable(format!(
                "content `{content}` is not a reaction GitHub knows"
            )));
        }
        let id = self.id();
        let repo = self.repo_mut(full)?;
        let comment = repo
            .comments
            .iter_mut()
            .find(|c| c.id == comment)
            .ok_or_else(Refusal::not_found)?;
        if comment
            .reactions
            .iter()
            .any(|r| r.content == content && r.user == user)
        {
            return Ok(false);
        }
        comment.reactions.push(Reaction {
            id,
            content: content.to_owned(),
            user: user.to_owned(),
            created_at: now(),
        });
        Ok(true)
    }
}

impl World {
    /// A reaction of `user` to issue or pull request `number` itself;
    /// `false` when it was there already (GitHub answers 200, not 201).
    pub fn react_to_item(
        &mut self,
        full: &str,
        number: u64,
        content: &str,
        user: &str,
    ) -> Outcome<bool> {
        if !REACTIONS.contains(&content) {
            return Err(Refusal::unprocessable(format!(
                "content `{content}` is not a reaction GitHub knows"
            )));
        }
        let id = self.id();
        let issue = self
            .repo_mut(full)?
            .issues
            .get_mut(&number)
            .ok_or_else(Refusal::not_found)?;
        if issue
            .reactions
            .iter()
            .any(|r| r.content == content && r.user == user)
        {
            return Ok(false);
        }
        issue.reactions.push(Reaction {
            id,
            content: content.to_owned(),
            user: user.to_owned(),
            created_at: now(),
        });
        Ok(true)
    }

    /// Assigns (or, with `add` false, unassigns) `logins` on an item. As on
    /// GitHub, people who can't be assigned (not collaborators) are passed
    /// over silently, and at most ten are assigned.
    /// Returns the logins whose assignment changed, in order.
    pub fn assign(
        &mut self,
        full: &str,
        number: u64,
        logins: &[String],
        add: bool,
    ) -> Outcome<Vec<String>> {
        let repo = self.repo_mut(full)?;
        let assignable: Vec<String> = logins
            .iter()
            .filter(|l| repo.collaborators.contains_key(*l) || **l == repo.owner)
            .cloned()
            .collect();
        let issue = repo
            .issues
            .get_mut(&number)
            .ok_or_else(Refusal::not_found)?;
        let mut changed = Vec::new();
        if add {
            for login in assignable {
                if !issue.assignees.contains(&login) && issue.assignees.len() < 10 {
                    issue.assignees.push(login.clone());
                    changed.push(login);
                }
            }
        } else {
            changed = issue
                .assignees
                .iter()
                .filter(|a| logins.contains(a))
                .cloned()
                .collect();
            issue.assignees.retain(|a| !logins.contains(a));
        }
        Ok(changed)
    }
}

/// The logins and `org/team`s `text` mentions, lowercased, outside code.
pub fn mentions(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut in_fence = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Inline code spans: text between backticks is code.
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                mentions_in(part, &mut found);
            }
        }
    }
    found
}

fn mentions_in(text: &str, found: &mut BTreeSet<String>) {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+');
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'@' || (i > 0 && word(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let login = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        let mut end = i + 1 + login;
        if login > 0 && bytes.get(end) == Some(&b'/') {
            let team = bytes[end + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
                .count();
            if team > 0 {
                end += 1 + team;
            }
        }
        if login > 0 {
            found.insert(text[i + 1..end].to_ascii_lowercase());
        }
        i = end.max(i + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_outside_code_count_and_email_addresses_do_not() {
        let text = "cc @Alice and @acme/oncall\n`@code` a@b.org\n```\n@fenced\n```\n@bob";
        let found: Vec<String> = mentions(text).into_iter().collect();
        assert_eq!(found, ["acme/oncall", "alice", "bob"]);
    }
}
