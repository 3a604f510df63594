"""PyGithub against fakehub: every endpoint fakehub serves that PyGithub
wraps, as a user (a personal token) and as the App (JWT, then an
installation token). Each object PyGithub returns has every attribute its
model exposes read, as far as fakehub sent it, so a field of the wrong type
or shape fails here.

Usage: python3 pygithub_check.py http://127.0.0.1:PORT path/to/app-private-key.pem
"""

import sys
import traceback

import github
from github import Auth, Github, GithubIntegration
from github.GithubObject import NotSet

BASE = sys.argv[1].rstrip("/")
KEY = open(sys.argv[2]).read()
REPO = "acme/widgets"

failures = []
checked = []


def touch(obj, depth=0):
    """Reads every property the model defines whose value fakehub sent
    (never one that would make PyGithub fetch more), recursively."""
    if depth > 3 or obj is None:
        return
    if isinstance(obj, list):
        for item in obj:
            touch(item, depth + 1)
        return
    if not isinstance(obj, github.GithubObject.GithubObject):
        return
    for name in dir(type(obj)):
        if name.startswith("_") or not isinstance(getattr(type(obj), name, None), property):
            continue
        private = getattr(obj, "_" + name, NotSet)
        if private is NotSet or not hasattr(private, "value"):
            continue
        value = getattr(obj, name)
        touch(value, depth + 1)


def check(name, action):
    try:
        result = action()
        touch(result)
        checked.append(name)
        return result
    except Exception as error:  # report every failure, then go on
        failures.append((name, error))
        traceback.print_exc()
        return None


user = Github(base_url=BASE, auth=Auth.Token("ghp_alice"))
repo = check("GET /repos/{o}/{r}", lambda: user.get_repo(REPO))
check("GET /user", lambda: user.get_user().login)
check("GET /rate_limit", lambda: user.get_rate_limit())
check("GET /contents/{path}", lambda: repo.get_contents("README.md"))
check("GET /contents/{path} (decoded)", lambda: repo.get_contents("README.md").decoded_content == b"hello" or (_ for _ in ()).throw(AssertionError("content")))
check("GET /contents/{dir}", lambda: repo.get_contents("docs"))
check("GET /issues", lambda: list(repo.get_issues(state="all")))
check("GET /issues?labels=", lambda: [i.number for i in repo.get_issues(labels=["bug"])] == [2] or (_ for _ in ()).throw(AssertionError("labels filter")))
issue = check("GET /issues/{n}", lambda: repo.get_issue(2))
check("POST /issues/{n}/labels", lambda: issue.add_to_labels("high priority"))
check("GET /issues/{n}/labels", lambda: list(issue.get_labels()))
check("DELETE /issues/{n}/labels/{name}", lambda: issue.remove_from_labels("high priority"))
check("PUT /issues/{n}/labels", lambda: issue.set_labels("bug", "module: docs"))
comment = check("POST /issues/{n}/comments", lambda: issue.create_comment("Seen it, @bob."))
check("PATCH /issues/comments/{id}", lambda: comment.edit("Seen it too, @bob."))
check("GET /issues/{n}/comments", lambda: list(issue.get_comments()))
check("POST /issues/comments/{id}/reactions", lambda: comment.create_reaction("+1"))
check("GET /issues/comments/{id}/reactions", lambda: list(comment.get_reactions()))
check("PATCH /issues/{n}", lambda: issue.edit(body="Steps to reproduce, updated."))
check("GET /issues/{n}/events", lambda: list(issue.get_events()))
check("GET /issues/{n}/timeline", lambda: list(issue.get_timeline()))
check("GET /labels", lambda: list(repo.get_labels()))
check("GET /labels/{name}", lambda: repo.get_label("high priority"))
check("POST /labels", lambda: repo.create_label("needs repro", "fbca04"))
check("GET /pulls", lambda: list(repo.get_pulls()))
pull = check("GET /pulls/{n}", lambda: repo.get_pull(3))
check("GET /pulls/{n}/files", lambda: list(pull.get_files()))
def refused_for_the_author():
    try:
        pull.create_review_request(reviewers=["bob"])
    except github.GithubException as error:
        return error.status == 422 or (_ for _ in ()).throw(AssertionError(error.status))
    raise AssertionError("asked the author to review their own pull request")


check("POST /pulls/{n}/requested_reviewers (the author, refused)", refused_for_the_author)
check("POST /pulls/{n}/requested_reviewers", lambda: pull.create_review_request(reviewers=["alice"]))
check("GET /pulls/{n}/requested_reviewers", lambda: pull.get_review_requests())
check("GET /search/issues review-requested:", lambda: user.search_issues("repo:acme/widgets is:pr is:open review-requested:alice").totalCount == 1 or (_ for _ in ()).throw(AssertionError("review-requested")))
check("DELETE /pulls/{n}/requested_reviewers", lambda: pull.delete_review_request(reviewers=["alice"]))
check("POST /pulls/{n}/requested_reviewers (again)", lambda: pull.create_review_request(reviewers=["alice"]))
check("POST /issues/{n}/assignees", lambda: issue.add_to_assignees("bob"))
check("GET /search/issues assignee:", lambda: user.search_issues("repo:acme/widgets is:open assignee:bob").totalCount == 1 or (_ for _ in ()).throw(AssertionError("assignee")))
check("DELETE /issues/{n}/assignees", lambda: issue.remove_from_assignees("bob"))
check(
    "GET /issues/{n}/events (review requests, assignments)",
    lambda: [e.event for e in pull.as_issue().get_events()] + [e.event for e in issue.get_events()],
)
check("POST /pulls/{n}/reviews", lambda: pull.create_review(body="Fine by me.", event="COMMENT"))
check("GET /pulls/{n}/reviews", lambda: list(pull.get_reviews()))
check("GET /branches", lambda: list(repo.get_branches()))
branch = check("GET /branches/{b}", lambda: repo.get_branch("main"))
check("GET /commits/{sha}", lambda: repo.get_commit(branch.commit.sha))
check("GET /git/refs", lambda: list(repo.get_git_refs()))
check("GET /git/ref/{ref}", lambda: repo.get_git_ref("heads/main"))
tag = check("POST /git/refs", lambda: repo.create_git_ref("refs/tags/v1", branch.commit.sha))
check("PATCH /git/refs/{ref}", lambda: tag.edit(pull.head.sha, force=True))
check("DELETE /git/refs/{ref}", lambda: tag.delete())
check("GET /collaborators/{u}/permission", lambda: repo.get_collaborator_permission("bob"))
check("GET /assignees", lambda: list(repo.get_assignees()))
check("GET /actions/workflows", lambda: list(repo.get_workflows()))
check("GET /search/issues", lambda: list(user.search_issues("repo:acme/widgets is:issue label:bug")))
check("GET /notifications", lambda: list(user.get_user().get_notifications()))

# The App: a JWT, then an installation token, then the bot's own writes.
try:
    integration = GithubIntegration(base_url=BASE, auth=Auth.AppAuth(42, KEY))
    check("GET /app/installations", lambda: list(integration.get_installations()))
    token = check("POST /app/installations/{id}/access_tokens", lambda: integration.get_access_token(7))
    bot = Github(base_url=BASE, auth=Auth.Token(token.token))
    bot_repo = check("GET /repos/{o}/{r} (installation)", lambda: bot.get_repo(REPO))
    bot_issue = check("GET /issues/{n} (installation)", lambda: bot_repo.get_issue(1))
    check("POST /issues/{n}/comments (installation)", lambda: bot_issue.create_comment("cc @bob"))
    check("POST /check-runs (installation)", lambda: bot_repo.create_check_run("conformance", pull.head.sha, status="completed", conclusion="success", output={"title": "ok", "summary": "ok"}))
except Exception as error:
    failures.append(("the App flow", error))
    traceback.print_exc()

print(f"PyGithub: {len(checked)} calls read cleanly, {len(failures)} failed")
for name, error in failures:
    print(f"  FAILED {name}: {type(error).__name__}: {error}")
sys.exit(1 if failures else 0)
