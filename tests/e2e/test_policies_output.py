"""Hidden results and quorums read out through the real CLI on the selected backend:
create, vote, show, list, unvote, close and reopen of polls whose results are hidden
until one votes or until they close, piped (plain lines) and on a pseudo-terminal."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.test_terminal_safety import RICH_STYLE, assert_terminal_safe, run_in_terminal

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

HEAD = "id: {id}\ntitle: {title}\nstatus: {status}\nclose_date: {close_date}\n"


def _show(votr, poll: str, *args: str) -> str:
    shown = votr("show", poll, *args)
    assert shown.exit_code == 0, shown
    return shown.stdout


def test_results_hidden_until_you_vote(votr, votr_env):
    created = votr("create", "Lunch", "pizza", "soup", "--results", "voted", "--allow-change")
    assert created.exit_code == 0, created
    first, hidden = created.stdout.splitlines()
    assert first.startswith("Poll was created succesfully: ") and first.endswith("\topen\tLunch")
    assert hidden == "results hidden until you vote"
    poll = first.split(": ", 1)[1].split("\t")[0]

    voted = votr("vote", "Lunch", "pizza", "--voter", "ann")
    assert (voted.exit_code, voted.stdout) == (0, f"Thank you for voting: {poll}\topen\tLunch\n")
    # bo has not voted: the counts are hidden from him, and from tester, who runs votr.
    head = HEAD.format(id=poll, title="Lunch", status="open", close_date="-")
    hidden_show = head + (
        "total_vote_count: -\nkind: single\nmethod: plurality\nvoter_count: 1\n"
        "policies: allow-change, results voted\n"
        "winners: hidden until you vote\n"
        "counts: votes\npizza\t-\t-\nsoup\t-\t-\n")
    assert _show(votr, "Lunch", "--voter", "bo") == hidden_show
    assert _show(votr, poll) == hidden_show
    assert votr("list").stdout == f"{poll}\topen\tLunch\tpizza: -, soup: -\tsingle\tplurality\thidden until you vote\t1\t-\n"
    assert json.loads(votr("show", poll, "--json").stdout)["Polls"][0]["results_hidden"] is True

    # ann has: she sees them, and so does bo once he votes.
    assert _show(votr, poll, "--voter", "ann") == head + (
        "total_vote_count: 1\nkind: single\nmethod: plurality\nvoter_count: 1\n"
        "policies: allow-change, results voted\n"
        "winners: pizza\n"
        "counts: votes\npizza\t1\t100.0%\tleader\nsoup\t0\t0.0%\n")
    assert votr("list", "--voter", "ann").stdout == \
        f"{poll}\topen\tLunch\tpizza: 1, soup: 0\tsingle\tplurality\tpizza\t1\t-\n"
    assert votr("vote", poll, "soup", "--voter", "bo").stdout == f"Thank you for voting: {poll}\topen\tLunch\n"
    changed = votr("vote", poll, "pizza", "--voter", "bo")
    assert (changed.exit_code, changed.stdout) == (0, f"Your vote was changed: {poll}\topen\tLunch\n")
    assert "\npizza\t2\t100.0%\tleader\n" in _show(votr, poll, "--voter", "bo")

    # Withdrawn, bo's vote no longer shows him the counts.
    unvoted = votr("unvote", poll, "--voter", "bo")
    assert (unvoted.exit_code, unvoted.stdout) == (
        0, f"Your vote was withdrawn: {poll}\topen\tLunch\nresults hidden until you vote\n")
    assert "winners: hidden until you vote\n" in _show(votr, poll, "--voter", "bo")

    # Closed, every one sees them; reopened, they are hidden again.
    assert votr("close", poll).stdout == f"Poll closed: {poll}\tclosed\tLunch\n"
    assert _show(votr, poll).splitlines()[9:] == [
        "winners: pizza", "counts: votes", "pizza\t1\t100.0%\tleader", "soup\t0\t0.0%"]
    assert votr("reopen", poll).stdout == f"Poll reopened: {poll}\topen\tLunch\nresults hidden until you vote\n"

    screen = RICH_STYLE.sub("", run_in_terminal(votr_env, "show", poll)).replace("\r\n", "\n")
    assert_terminal_safe(screen)
    assert "Results hidden until you vote" in screen and "Policies: allow-change, results voted" in screen
    assert "%" not in screen and "Leading" not in screen and "★" not in screen


def test_results_hidden_until_close_and_a_quorum(votr, votr_env):
    created = votr("create", "Board", "ann", "bo", "cy", "--kind", "ranked", "--secret",
                   "--results", "closed", "--quorum", "3", "--json")
    assert created.exit_code == 0, created
    poll = created.json()["poll"]["id"]
    for voter, ranking in (("x", ["ann", "bo"]), ("y", ["bo", "ann"])):
        voted = votr("vote", poll, *ranking, "--voter", voter)
        assert voted.stdout == f"Thank you for voting: {poll}\topen\tBoard\nresults hidden until the poll closes\n"
    head = HEAD.format(id=poll, title="Board", status="open", close_date="-")
    assert _show(votr, poll, "--voter", "x") == head + (
        "total_vote_count: -\nkind: ranked\nmethod: irv\nvoter_count: 2\n"
        "policies: secret, results closed, quorum 3\n"
        "quorum: 3 voters, not reached (2 of 3)\n"
        "winners: hidden until the poll closes\n"
        "counts: first preferences\nann\t-\t-\nbo\t-\t-\ncy\t-\t-\n")
    assert votr("list").stdout == (
        f"{poll}\topen\tBoard\tann: -, bo: -, cy: -\tranked\tirv\thidden until the poll closes\t2\t-\n")

    closed = votr("close", poll)
    assert closed.stdout == f"Poll closed: {poll}\tclosed\tBoard\n"
    lines = _show(votr, poll).splitlines()
    assert lines[4] == "total_vote_count: 2"
    assert lines[8:] == [
        "policies: secret, results closed, quorum 3",
        "quorum: 3 voters, not reached (2 of 3)",
        "winners: no winner, quorum not reached (2 of 3)",
        "counts: first preferences",
        "ann\t1\t50.0%", "bo\t1\t50.0%", "cy\t0\t0.0%",
        "round 1: ann 1, bo 1, cy 0; exhausted 0; eliminated cy",
        "round 2: ann 1, bo 1; exhausted 0; no winner",
    ]
    assert re.search(r"\tranked\tirv\tno winner, quorum not reached \(2 of 3\)\t2\t\S+ \(closed [^)]+\)\n$",
                     votr("list").stdout)
    screen = RICH_STYLE.sub("", run_in_terminal(votr_env, "show", poll)).replace("\r\n", "\n")
    assert "No winner: quorum not reached (2 of 3 voters)" in screen
    assert "Quorum 3 voters: not reached (2 of 3)" in screen
