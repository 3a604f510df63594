//! The shared queue's guarantees, against a real Redis (`redis-server`,
//! started on a free port for each test).

use crate::event::IssueNumber;
use std::time::Duration;

use super::*;
use crate::event::{Actor, ItemAction, ItemEvent, ItemKind, RepoName};
use crate::harness::RedisServer;

fn labeled(number: IssueNumber, installation: u64) -> Work {
    Work::Item(ItemEvent {
        kind: ItemKind::Issue,
        action: ItemAction::Labeled(vec!["bug".into()]),
        repo: RepoName::new("acme", "widgets"),
        installation: Some(installation),
        number,
        title: "t".into(),
        body: String::new(),
        author: "reporter".into(),
        association: String::new(),
        edits: Default::default(),
        labels: vec!["bug".into()],
        open: true,
        sender: Actor {
            login: "maintainer".into(),
        },
        pull: None,
        replay_of: None,
    })
}

async fn replica(redis: &RedisServer, claim_after: Duration) -> Shared {
    Shared::connect(&Settings {
        url: redis.url(),
        prefix: "test".into(),
        claim_after,
    })
    .await
    .expect("Redis answers")
}

#[tokio::test]
async fn a_delivery_is_stored_once_however_often_it_arrives() {
    let redis = RedisServer::start().await.unwrap();
    let a = replica(&redis, Duration::from_secs(60)).await;
    let b = replica(&redis, Duration::from_secs(60)).await;
    assert_eq!(
        a.append(&labeled(crate::event::IssueNumber(7), 1), "d1")
            .await
            .unwrap(),
        Appended::Stored
    );
    assert_eq!(
        b.append(&labeled(crate::event::IssueNumber(7), 1), "d1")
            .await
            .unwrap(),
        Appended::Seen,
        "the same delivery at another replica"
    );
    assert_eq!(
        a.append(&labeled(crate::event::IssueNumber(7), 1), "d2")
            .await
            .unwrap(),
        Appended::Stored
    );
    let read = a.read(10).await.unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].deliveries, ["d1"]);
    assert_eq!(
        read[0].event,
        labeled(crate::event::IssueNumber(7), 1),
        "the event comes back as it went in"
    );
    assert!(
        b.read(10).await.unwrap().is_empty(),
        "each entry goes to one replica"
    );
}

#[tokio::test]
async fn entries_of_a_replica_that_stopped_are_claimed_by_another() {
    let redis = RedisServer::start().await.unwrap();
    let claim_after = Duration::from_millis(300);
    let alive = replica(&redis, claim_after).await;
    let stopped = replica(&redis, claim_after).await;
    let survivor = replica(&redis, claim_after).await;
    alive
        .append(&labeled(crate::event::IssueNumber(1), 1), "d1")
        .await
        .unwrap();
    stopped
        .append(&labeled(crate::event::IssueNumber(2), 1), "d2")
        .await
        .unwrap();
    assert_eq!(alive.read(1).await.unwrap().len(), 1);
    assert_eq!(stopped.read(1).await.unwrap().len(), 1);
    assert!(
        survivor.claim_stale(10).await.unwrap().is_empty(),
        "not before claim_after"
    );
    // The live replica renews its entry; the stopped one does not.
    for _ in 0..4 {
        tokio::time::sleep(claim_after / 3).await;
        alive.heartbeat().await.unwrap();
    }
    let claimed = survivor.claim_stale(10).await.unwrap();
    assert_eq!(claimed.len(), 1, "only the stopped replica's entry");
    assert_eq!(claimed[0].deliveries, ["d2"]);
    survivor.ack(&claimed[0].entries).await.unwrap();
    assert_eq!(
        survivor.stats().await.unwrap().length,
        1,
        "handled entries leave the stream"
    );
}

#[tokio::test]
async fn one_replica_at_a_time_holds_an_item() {
    let redis = RedisServer::start().await.unwrap();
    let a = replica(&redis, Duration::from_secs(60)).await;
    let b = replica(&redis, Duration::from_secs(60)).await;
    let key = (RepoName::new("acme", "widgets"), IssueNumber(7));
    assert!(a.lock_item(&key).await.unwrap());
    assert!(!b.lock_item(&key).await.unwrap());
    b.unlock_item(&key).await.unwrap();
    assert!(
        !b.lock_item(&key).await.unwrap(),
        "a replica can't release another's lock"
    );
    a.unlock_item(&key).await.unwrap();
    assert!(b.lock_item(&key).await.unwrap());
}

#[tokio::test]
async fn replicas_together_stay_inside_one_budget() {
    let redis = RedisServer::start().await.unwrap();
    let budgets = [
        replica(&redis, Duration::from_secs(60)).await.budget(),
        replica(&redis, Duration::from_secs(60)).await.budget(),
        replica(&redis, Duration::from_secs(60)).await.budget(),
    ];
    let mut now = 0;
    for i in 0..crate::github::PER_MINUTE {
        let wait = budgets[i % 3]
            .reserve(Some(5), None)
            .await
            .unwrap()
            .unwrap();
        now += usize::from(wait < Duration::from_secs(1));
    }
    assert_eq!(
        now,
        crate::github::PER_MINUTE,
        "the minute's budget is spent at once"
    );
    let patience = Some(Duration::from_secs(2));
    let refused = budgets[1].reserve(Some(5), patience).await.unwrap();
    let wait = refused.expect_err("no room within the patience");
    assert!(
        wait > Duration::from_secs(55),
        "room again a minute after the first: {wait:?}"
    );
    let later = budgets[2].reserve(Some(5), None).await.unwrap().unwrap();
    assert!(
        later > Duration::from_secs(55),
        "without patience, a slot a minute on: {later:?}"
    );
    let other = budgets[0].reserve(Some(6), patience).await.unwrap();
    assert_eq!(
        other.map(|w| w < Duration::from_secs(1)),
        Ok(true),
        "another installation has its own"
    );
}

#[tokio::test]
async fn failed_work_waits_its_turn_or_a_person() {
    let redis = RedisServer::start().await.unwrap();
    let shared = replica(&redis, Duration::from_secs(60)).await;
    shared
        .append(&labeled(crate::event::IssueNumber(7), 1), "d1")
        .await
        .unwrap();
    let mut pending = shared.read(1).await.unwrap().remove(0);
    pending.failures = 1;
    let wait = shared.fail(&pending, "GitHub answered 502").await.unwrap();
    assert_eq!(wait, Some(FAILED_RETRY_WAITS[0]));
    let failed = shared.failed(10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (failed[0].item.as_str(), failed[0].failures),
        ("acme/widgets#7", 1)
    );
    assert_eq!(
        shared.stats().await.unwrap().length,
        0,
        "no longer in the queue"
    );
    assert_eq!(
        shared.revive(Revive::Due).await.unwrap(),
        0,
        "not due for a minute"
    );
    assert_eq!(shared.revive(Revive::One(&failed[0].id)).await.unwrap(), 1);
    assert_eq!(shared.revive(Revive::All).await.unwrap(), 0, "moved once");
    let again = shared.read(1).await.unwrap();
    assert_eq!(again[0].deliveries, ["d1"]);
    assert_eq!(again[0].failures, 0, "by hand, the schedule starts over");
}

#[tokio::test]
async fn replicas_admit_commands_as_one_gate() {
    use crate::github::CommandRefusal;
    use crate::limits::{COMMAND_WRITES_PER_MINUTE, WRITES_PER_COMMAND};
    let redis = RedisServer::start().await.unwrap();
    let gates = [
        replica(&redis, Duration::from_secs(60)).await.budget(),
        replica(&redis, Duration::from_secs(60)).await.budget(),
    ];
    // Many people, so no one meets their quota: the share binds.
    let mut admitted = 0;
    for id in 0..100u64 {
        let answer = gates[id as usize % 2]
            .admit_command(Some(5), &format!("user{id}"), crate::event::CommentId(id))
            .await
            .unwrap();
        admitted += usize::from(answer.is_ok());
    }
    assert_eq!(
        admitted,
        COMMAND_WRITES_PER_MINUTE / WRITES_PER_COMMAND,
        "one share for both"
    );
    assert_eq!(
        gates[1]
            .admit_command(Some(5), "user0", crate::event::CommentId(0))
            .await
            .unwrap(),
        Ok(()),
        "a comment admitted already (by the other replica) is admitted again"
    );
    assert_eq!(
        gates[0]
            .admit_command(Some(5), "late", crate::event::CommentId(999))
            .await
            .unwrap(),
        Err(CommandRefusal::ShareSpent)
    );
    assert_eq!(
        gates[0]
            .admit_command(Some(6), "late", crate::event::CommentId(999))
            .await
            .unwrap(),
        Ok(()),
        "another installation has its own share"
    );
}
