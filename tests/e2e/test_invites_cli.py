"""`votr invite`, `invites`, `uninvite` and `create --invite-only` on the selected
backend: the links and their base URL, the JSON shapes, the exit codes, refusals of
uninvited voters (one vote and a batch), db-check, and a database that holds no token."""

from __future__ import annotations

import json
import re

import pytest

from tests.sql import query, run_sql

LINK = re.compile(r"(?P<base>.+)/p/(?P<poll>[a-z0-9]+)\?invite=(?P<token>[A-Za-z0-9_-]{43})")


def make_poll(votr, *flags: str) -> str:
    made = votr("create", "Venue", "lake", "city", "--invite-only", *flags, "--json")
    assert made.exit_code == 0, made.stderr
    return made.json()["poll"]["id"]


def test_invite_prints_each_voters_own_link_and_only_invited_voters_vote(votr):
    poll = make_poll(votr)

    outcome = votr("invite", "Venue", "Ann", "bob")

    assert outcome.exit_code == 0, outcome.stderr
    lines = [line.split("\t") for line in outcome.stdout.splitlines()]
    assert [voter for voter, _ in lines] == ["Ann", "bob"]
    links = [LINK.fullmatch(url) for _, url in lines]
    assert all(links)
    assert {(link["base"], link["poll"]) for link in links} == {("http://127.0.0.1:5000", poll)}
    assert links[0]["token"] != links[1]["token"]

    refused = votr("vote", "Venue", "lake", "--voter", "cy")
    assert refused.exit_code == 4
    assert refused.stderr == "Error: poll 'Venue' is invite-only and 'cy' is not invited\n"
    as_json = votr("vote", "Venue", "lake", "--voter", "cy", "--json")
    assert as_json.exit_code == 4 and "invite-only" in as_json.error()
    assert votr("vote", "Venue", "lake", "--voter", "ANN").exit_code == 0


def test_the_json_shapes(votr):
    poll = make_poll(votr)
    made = votr("invite", poll, "ann", "--json", "--base-url", "https://polls.example.org/votr/")
    assert made.exit_code == 0, made.stderr
    [entry] = made.json()["invites"]
    assert list(entry) == ["voter", "token", "url"]
    assert entry["voter"] == "ann"
    assert entry["url"] == f"https://polls.example.org/votr/p/{poll}?invite={entry['token']}"

    assert votr("vote", poll, "city", "--voter", "ann").exit_code == 0
    listed = votr("invites", "Venue", "--json").json()
    assert list(listed) == ["invites"]
    [row] = listed["invites"]
    assert list(row) == ["voter", "invited_at", "voted"]
    assert (row["voter"], row["voted"]) == ("ann", True)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["invited_at"])

    revoked = votr("uninvite", "Venue", "ANN", "--json").json()
    assert (revoked["message"], revoked["voter"], revoked["poll"]["id"]) == ("Invite revoked", "ann", poll)
    assert votr("invites", "Venue", "--json").json() == {"invites": []}
    assert votr("show", poll, "--json").json()["Polls"][0]["voter_count"] == 1  # the vote stays


def test_the_base_url_comes_from_the_option_else_the_environment(votr):
    make_poll(votr)
    from_env = votr("invite", "Venue", "ann", env={"VOTR_BASE_URL": "http://votes.lan:8080"})
    assert from_env.stdout.split("\t")[1].startswith("http://votes.lan:8080/p/")
    both = votr("invite", "Venue", "ann", "--base-url", "https://a.example", env={"VOTR_BASE_URL": "http://b"})
    assert both.stdout.split("\t")[1].startswith("https://a.example/p/")


@pytest.mark.parametrize("base", ["ftp://example.org", "javascript:alert(1)", "example.org", "http://",
                                  "http://a b", "http://a?x=1", "http://a#x", "http://a:99999"])
def test_a_base_url_that_is_not_http_is_refused_before_anything_is_made(votr, database_url, base):
    make_poll(votr)
    outcome = votr("invite", "Venue", "ann", "--base-url", base)
    assert outcome.exit_code == 1
    assert outcome.stderr.startswith("Error: the base URL") and outcome.stdout == ""
    assert query(database_url, "SELECT COUNT(*) FROM invites") == [(0,)]


def test_the_database_holds_no_token(votr, database_url):
    make_poll(votr, "--secret")
    tokens = [entry["token"] for entry in votr("invite", "Venue", "ann", "bob", "--json").json()["invites"]]
    votr("invite", "Venue", "bob")  # a revoked token is not kept either
    stored = query(database_url, "SELECT * FROM invites")
    assert len(stored) == 2
    dumped = repr(stored) + repr(query(database_url, "SELECT * FROM topics"))
    for token in tokens:
        assert token not in dumped
    assert all(re.fullmatch(r"[0-9a-f]{64}", row) for row, in query(database_url, "SELECT token_hash FROM invites"))
    listed = votr("invites", "Venue").stdout + votr("invites", "Venue", "--json").stdout
    for token in tokens:
        assert token not in listed


def test_exit_codes(votr):
    make_poll(votr)
    assert votr("invite", "No such poll", "ann").exit_code == 3
    assert votr("invite", "Venue").exit_code == 2  # a voter is required
    assert votr("invite", "Venue", "ann", "ANN").exit_code == 1
    assert votr("invite", "Venue", "a\x1bb").exit_code == 1
    assert votr("invites", "No such poll").exit_code == 3
    assert votr("uninvite", "Venue", "ann").exit_code == 3
    assert votr("uninvite", "No such poll", "ann").exit_code == 3
    assert votr("invite", "Venue", "ann").exit_code == 0
    assert votr("uninvite", "Venue", "ann").stdout.startswith("Invite revoked: ann\t")


def test_voter_names_are_shown_literally_and_control_characters_never_reach_the_terminal(votr, database_url):
    make_poll(votr)
    assert votr("invite", "Venue", "[bold]ann[/]").stdout.startswith("[bold]ann[/]\t")
    # A name another tool wrote, with an escape sequence in it.
    run_sql(database_url, "UPDATE invites SET voter_name = :name", name="ann\x1b[31m")
    listed = votr("invites", "Venue")
    assert "\x1b" not in listed.stdout and listed.stdout.startswith("ann\\x1b[31m\t")


def test_re_inviting_revokes_the_old_link_and_closed_polls_take_invites(votr):
    make_poll(votr)
    first = votr("invite", "Venue", "ann", "--json").json()["invites"][0]["token"]
    assert votr("close", "Venue").exit_code == 0
    second = votr("invite", "Venue", "ann", "--json").json()["invites"][0]["token"]
    assert first != second
    assert len(votr("invites", "Venue", "--json").json()["invites"]) == 1


def test_a_poll_that_is_not_invite_only_takes_invites_and_anyone_votes(votr):
    assert votr("create", "Open", "a", "b").exit_code == 0
    assert votr("invite", "Open", "ann").exit_code == 0
    assert votr("vote", "Open", "a", "--voter", "bob").exit_code == 0
    assert "invite-only" not in votr("show", "Open").stdout


def test_show_and_list_say_invite_only(votr):
    make_poll(votr, "--quorum", "2")
    assert "policies: quorum 2, invite-only" in votr("show", "Venue").stdout
    assert votr("list", "--json").json()["Polls"][0]["invite_only"] is True


def test_a_batch_refuses_the_lines_of_uninvited_voters(votr, tmp_path):
    make_poll(votr)
    votr("invite", "Venue", "ann")
    batch = tmp_path / "votes.jsonl"
    batch.write_text("\n".join(json.dumps(line) for line in (
        {"poll": "Venue", "option": "lake", "voter": "ann"},
        {"poll": "Venue", "option": "lake", "voter": "bob"})) + "\n")

    outcome = votr("vote", "--batch", str(batch), "--json")

    assert outcome.exit_code == 4
    summary = outcome.json()
    assert summary["accepted"] == 1
    assert summary["rejected"] == [{"line": 2, "error": "poll 'Venue' is invite-only and 'bob' is not invited",
                                    "exit_code": 4}]


def test_db_check_reports_a_token_stored_in_the_clear(votr, database_url):
    make_poll(votr)
    token = votr("invite", "Venue", "ann", "--json").json()["invites"][0]["token"]
    assert votr("db-check").exit_code == 0
    run_sql(database_url, "UPDATE invites SET token_hash = :token", token=token)
    checked = votr("db-check", "--json")
    assert checked.exit_code == 5
    [problem] = checked.json()["problems"]
    assert problem["kind"] == "invite"
    assert "token hash is not a SHA-256" in problem["message"]
    assert token not in checked.stdout


def test_help_says_where_links_point_by_default(votr):
    shown = votr("invite", "--help").stdout
    assert "VOTR_BASE_URL" in shown and "http://127.0.0.1:5000" in shown


def test_links_that_cannot_be_written_say_so_and_a_new_invite_replaces_them(votr_env, votr_proc):
    """The tokens exist only in the output: when it fails (exit 74) the message says the
    voters were invited and must be invited again; doing so gives links that work."""
    from tests.e2e.test_output_failures import assert_74, run

    assert votr_proc("create", "Venue", "lake", "city", "--invite-only").exit_code == 0
    with open("/dev/full", "w") as full:
        done = run(votr_env, "invite", "Venue", "ann", "bob", stdout=full)
    assert_74(done, "Error: 2 voters were invited, any earlier links revoked (invite them again for links "
                    "you can send), but its output could not be written: [Errno 28]")
    again = votr_proc("invite", "Venue", "ann", "--json")
    assert again.exit_code == 0
    assert len(votr_proc("invites", "Venue", "--json").json()["invites"]) == 2
