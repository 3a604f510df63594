//! Every limit on input an outsider controls, in one place, so the README's
//! table and the code can't disagree. Each is chosen from GitHub's own limit
//! where one exists, with the reason beside it.

/// The largest rules file read: well under GitHub's 1 MB contents API
/// limit, and a hundred times the largest real rules file we know of.
pub const MAX_RULES_BYTES: usize = 256 * 1024;

/// Rules in one list (`labels.implies`, `labels.paths`, `ci.labels`):
/// planning and the cycle check are linear in rules per label, and the
/// cycle check quadratic in this.
pub const MAX_RULES_PER_LIST: usize = 1_000;

/// Label names or globs in one rule's list (`when`, `unless`, `files`,
/// `add`).
pub const MAX_PATTERNS_PER_RULE: usize = 200;

/// Label names and globs in the whole file: the cycle check matches each
/// label a rule adds against every rule, so this times `MAX_RULES_PER_LIST`
/// bounds its work.
pub const MAX_PATTERNS_TOTAL: usize = 5_000;

/// How deep tables and arrays nest in the rules file: conditions nest
/// (`any`, `all`, `not`), and every pass over them (the schema, the types,
/// compiling, planning) recurses, so the depth is refused before any of
/// them runs. Real conditions nest three or four deep.
pub const MAX_RULES_DEPTH: usize = 32;

/// Regular expressions (`title`, `body`) in the whole file. Each compiles
/// to at most 1 MiB, so this bounds the memory a rules file can take.
pub const MAX_REGEXES: usize = 200;

/// Bytes of a title or body a rule's regex reads: GitHub caps a body at
/// 65,536 characters (at most 256 KiB in UTF-8) and a title at 256.
pub const MAX_MATCHED_TEXT_BYTES: usize = 256 * 1024;

/// Labels on one issue or pull request, as GitHub caps them: a rule's
/// label that would be the 101st is not planned.
pub const MAX_LABELS_PER_ITEM: usize = 100;

/// Characters in one pattern or label name (GitHub's label names are at
/// most 50; paths in a glob a few hundred).
pub const MAX_PATTERN_CHARS: usize = 1_024;

/// Time to check a pull request's rules file: the size limits keep the
/// largest allowed under 2 s in a debug build, and compiling regexes stops
/// at it; past it, a failing check run says the file could not be checked.
pub const CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// Problems `check` reports for one file; the rest are counted ("and N
/// more"). Finding them is linear; locating and rendering each is not free.
pub const MAX_PROBLEMS: usize = 100;

/// Characters of a source line shown under a problem, around its column.
pub const MAX_EXCERPT_CHARS: usize = 120;

/// A check run's summary, as GitHub caps `output.summary`.
pub const MAX_CHECK_SUMMARY_CHARS: usize = 65_535;

/// Annotations in one check-run request, as GitHub caps them.
pub const MAX_CHECK_ANNOTATIONS: usize = 50;

/// The part of a tracking issue read: GitHub caps a body at 65,536
/// characters, which are at most four times as many bytes.
pub const MAX_TRACKING_ISSUE_BYTES: usize = 4 * 65_536;

/// Subscribers kept per label; more are ignored (a cc line names them all,
/// and GitHub notifies at most 50 mentions of one comment or body).
pub const MAX_SUBSCRIBERS_PER_LABEL: usize = 500;

/// Path lines read from a tracking issue: all their globs compile into
/// one set, matched once per changed file.
pub const MAX_PATH_LINES: usize = 500;

/// Commands read from one comment; the rest are ignored and the reply
/// says so.
pub const MAX_COMMANDS_PER_COMMENT: usize = 10;

/// Labels one command names.
pub const MAX_LABELS_PER_COMMAND: usize = 20;

/// The part of a comment read for commands: GitHub caps a comment at
/// 65,536 characters.
pub const MAX_COMMENT_BYTES: usize = 4 * 65_536;

/// Characters in an issue or pull request body, as GitHub caps it: a cc
/// line that would pass it names as many subscribers as fit.
pub const MAX_BODY_CHARS: usize = 65_536;

/// Connections open at once; more are closed as they arrive. GitHub's
/// deliveries need a handful.
pub const MAX_CONNECTIONS: usize = 512;

/// Time a client has to send its request headers, and the longest a
/// keep-alive connection stays idle.
pub const REQUEST_HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Time a client has to send its body once its headers are in. GitHub
/// sends a payload of at most 25 MB from a data centre in far less.
pub const REQUEST_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A webhook body, as GitHub caps payloads.
pub const MAX_PAYLOAD_BYTES: usize = 25 * 1024 * 1024;

/// Bodies buffered at once, across requests, before their signature can be
/// checked: a few of GitHub's largest payloads, or thousands of usual ones.
/// A body that does not fit now is answered 503 with `Retry-After`.
pub const MAX_BUFFERED_BYTES: usize = 64 * 1024 * 1024;

/// Deliveries handled at once when handling inline (Lambda runs one per
/// invocation); more are answered 503 with `Retry-After`.
pub const MAX_INLINE_DELIVERIES: usize = 64;

/// Writes a minute that commands may spend of an installation's budget
/// (`github::pacing::PER_MINUTE`, 72): a third, eight commands a minute. Commands are the one input
/// any GitHub user can send, and each answer writes (an edit, a reaction,
/// perhaps a reply); the rest of the budget stays with triage (labels, cc,
/// CI), whatever the comments. Past the share, a command is not answered.
pub const COMMAND_WRITES_PER_MINUTE: usize = 24;

/// The same share of the hourly budget (`github::pacing::PER_HOUR`, 450).
pub const COMMAND_WRITES_PER_HOUR: usize = 150;

/// Writes one command comment is charged for when it is admitted: the edit,
/// the reply and the reaction. Verifying rounds after a racing edit are not
/// charged: they happen only under a race, and at most the five of
/// `apply.rs`'s `MAX_WISH_ROUNDS`.
pub const WRITES_PER_COMMAND: usize = 3;

/// Command comments one person may have read in an hour, per installation;
/// past it their commands are not read, looked up or answered (a reply
/// would spend the budget the quota protects).
pub const COMMANDS_PER_PERSON_PER_HOUR: usize = 10;

/// People whose command comments are counted at once per installation:
/// bounds the quota's memory. When it is full, a newcomer's command waits
/// for an entry to leave the hour (it is not answered).
pub const COMMAND_PEOPLE_TRACKED: usize = 10_000;

/// Labels looked up on GitHub for one comment (a label with a line on the
/// tracking issue needs no look-up); the rest are answered as not looked
/// up. Without it one comment of ten commands could cost 200 reads.
pub const MAX_LABEL_LOOKUPS_PER_COMMENT: usize = 20;

/// Issues and pull requests a backtest plans (`backtest` in the rules,
/// `probot plan --backtest`): an item costs up to three reads (its events,
/// a pull request's head and files), so at most 301 requests, 6% of an
/// installation's hourly 5,000; at the default 30, under 2%.
pub const MAX_BACKTEST_ITEMS: usize = 100;

/// Repositories read when a pull request changes the organization's
/// rules (`{org}/.github`), to say which use them: one read each.
pub const MAX_RULES_USERS_READ: usize = 50;

/// People one rule may pick reviewers or assignees among, once its teams
/// are expanded (the first by each item's own order): the load of each is
/// one search, and GitHub allows an installation 30 searches a minute.
pub const MAX_PICK_CANDIDATES: usize = 20;

/// Members read of one team (one page): a team larger than this is not a
/// list of reviewers to pick from.
pub const MAX_TEAM_MEMBERS: usize = 100;

/// How long a worker waits for a write's slot in its installation's budget
/// (or GitHub's `Retry-After`) while holding an item. Past that the item
/// goes back to the queue until the budget has room, and the worker takes
/// another installation's item: one installation's burst (or its spent
/// hour) never holds the workers everyone shares. A pacing wait within a
/// minute's budget is a second or less; longer means the window is full.
pub const WORKER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// When work that still failed after its retries is tried again: 1 min,
/// 5 min, 30 min and 2 h after each failure (about 2.6 h in all, longer
/// than GitHub's usual incidents). After the last it is kept (a Redis
/// stream with replicas; memory and the log without) until `probot failed
/// retry` or `POST /failed/retry`.
pub const FAILED_RETRY_WAITS: [std::time::Duration; 4] = [
    std::time::Duration::from_secs(60),
    std::time::Duration::from_secs(300),
    std::time::Duration::from_secs(1_800),
    std::time::Duration::from_secs(7_200),
];

/// Failed items kept in memory without Redis: the oldest is dropped (and
/// its loss logged) past this.
pub const FAILED_KEPT: usize = 1_000;

/// How long replicas remember a delivery id, to handle each once: GitHub
/// redelivers on request within its 3-day log, but duplicates of one
/// delivery arrive within seconds.
pub const DELIVERY_SEEN_FOR: std::time::Duration = std::time::Duration::from_secs(24 * 3_600);
