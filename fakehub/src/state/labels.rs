//! Labels on items: added, set, removed, each kept as one of the item's
//! events, and the labels a repository gets when an item names a new one.

use super::*;

impl World {
    pub(super) fn ensure_label(&mut self, full: &str, name: &str) {
        let id = self.id();
        if let Some(repo) = self.repos.get_mut(full) {
            repo.labels.entry(name.to_owned()).or_insert_with(|| Label {
                id,
                name: name.to_owned(),
                color: "ededed".into(),
                description: None,
            });
        }
    }

    pub(super) fn label_event(
        &self,
        full: &str,
        number: u64,
        action: &str,
        label: &str,
        actor: &str,
    ) -> Outcome<Change> {
        let mut change = self.item_event(full, number, action, actor, json!({}))?;
        if let Change::Item { label: named, .. } = &mut change {
            *named = Some(label.to_owned());
        }
        Ok(change)
    }

    /// Adds labels not yet present; returns one `labeled` event per label
    /// added, none for labels already there.
    pub fn add_labels(
        &mut self,
        full: &str,
        number: u64,
        labels: &[String],
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        self.issue(full, number)?;
        let mut events = Vec::new();
        for label in labels {
            self.ensure_label(full, label);
            let issue = self.issue_mut(full, number)?;
            if issue.labels.iter().any(|l| l.eq_ignore_ascii_case(label)) {
                continue;
            }
            issue.labels.push(label.clone());
            issue.updated_at = now();
            self.record_event(
                full,
                number,
                "labeled",
                Subject::Label(label.clone()),
                actor,
            )?;
            events.push(self.label_event(full, number, "labeled", label, actor)?);
        }
        Ok(events)
    }

    /// Replaces all labels.
    pub fn set_labels(
        &mut self,
        full: &str,
        number: u64,
        labels: &[String],
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        let current = self.issue(full, number)?.labels.clone();
        let mut events = Vec::new();
        for label in current.iter().filter(|l| !labels.contains(l)) {
            events.extend(self.remove_label(full, number, label, actor)?);
        }
        events.extend(self.add_labels(full, number, labels, actor)?);
        Ok(events)
    }

    /// Removes a label; 404 when the item does not carry it, as GitHub does.
    pub fn remove_label(
        &mut self,
        full: &str,
        number: u64,
        label: &str,
        actor: &str,
    ) -> Outcome<Vec<Change>> {
        let issue = self.issue_mut(full, number)?;
        let Some(position) = issue
            .labels
            .iter()
            .position(|l| l.eq_ignore_ascii_case(label))
        else {
            return Err(Refusal {
                status: 404,
                message: "Label does not exist".into(),
            });
        };
        let removed = issue.labels.remove(position);
        issue.updated_at = now();
        self.record_event(
            full,
            number,
            "unlabeled",
            Subject::Label(removed.clone()),
            actor,
        )?;
        Ok(vec![self.label_event(
            full,
            number,
            "unlabeled",
            &removed,
            actor,
        )?])
    }

    /// Keeps one of the item's events, for its events and its timeline.
    pub(crate) fn record_event(
        &mut self,
        full: &str,
        number: u64,
        event: &'static str,
        subject: Subject,
        actor: &str,
    ) -> Outcome<()> {
        let id = self.id();
        self.issue_mut(full, number)?.events.push(IssueEvent {
            id,
            event,
            subject,
            actor: actor.to_owned(),
            created_at: now(),
        });
        Ok(())
    }
}
