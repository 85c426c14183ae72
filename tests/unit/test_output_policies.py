"""How `show`, `list` and the replies of create, vote, unvote, close and reopen read out
a poll's ballot policies, exactly: hidden results (no count, share, winner or working;
why and until when instead), the quorum and its winners, and the policies themselves, in
plain lines and in rich tables. The polls are built by core.polls.poll_document, as the
service builds them."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest

from votr_cli.core import polls as rules
from votr_cli.core.counting import count
from votr_cli.core.polls import Policy, Shape, poll_document
from votr_cli.frontends import output
from tests.unit.test_output_kinds import pin_clock, plain, rendered, styled, table

NOW = dt.datetime(2026, 3, 1, 12, 0)
CLOSES = dt.datetime(2026, 3, 1, 18, 0)
LUNCH = [("pizza", 2), ("soup", 1)]


@pytest.fixture(autouse=True)
def rendered_at(monkeypatch):
    """Render at NOW, in UTC: CLOSES is 6 hours away."""
    pin_clock(monkeypatch, NOW)
    yield
    monkeypatch.undo()
    time.tzset()
HOSTILE_TITLE = "[bold]Lunch[/]\x1b[2J\tnow\u202e"
HOSTILE_OPTIONS = [("[red]pizza[/]", 2), ("soup\x07\nbell", 1), (":thumbs_up:", 0)]


def lunch(policy: Policy = Policy(), voted: bool = False, status: bool = True, choices=LUNCH,
          title: str = "Lunch", close_date=None, voters: int | None = None) -> dict:
    """A single poll as show_poll gives it (with its tally: None when hidden, as there)."""
    poll = poll_document("k3v9x2ab", title, status, close_date, choices, NOW, voter_count=voters,
                         policy=policy, viewer_voted=voted)
    return {**poll, "tally": None}


def ranked(policy: Policy, voted: bool = False, status: bool = True) -> dict:
    """Three ballots of an IRV poll: ann > bo twice, bo > ann once."""
    names = ["ann", "bo"]
    counted = count("irv", names, [(("ann", "bo"), 2), (("bo", "ann"), 1)])
    poll = poll_document("k3v9x2ab", "Board", status, None, list(counted.vote_counts.items()), NOW,
                         Shape("ranked", "irv", 1, 2), counted.voter_count, counted.winners, policy, voted)
    return {**poll, "tally": None if poll["results_hidden"] else counted.tally}


def shown(poll: dict) -> str:
    return plain(output.POLL_DETAIL, {"Polls": [poll]})


def listed(*polls: dict) -> str:
    return plain(output.POLL_LISTING, {"Polls": list(polls)})


HEAD = "id: k3v9x2ab\ntitle: Lunch\nstatus: open\nclose_date: -\n"


# -- hidden results ----------------------------------------------------------------------

def test_show_plain_of_results_hidden_until_you_vote():
    poll = lunch(Policy(results="voted"))
    assert poll["results_hidden"] and poll["winners"] is None
    assert shown(poll) == HEAD + (
        "total_vote_count: -\nkind: single\nmethod: plurality\nvoter_count: 3\n"
        "policies: results voted\n"
        "winners: hidden until you vote\n"
        "counts: votes\n"
        "pizza\t-\t-\n"
        "soup\t-\t-\n")


def test_show_plain_once_you_have_voted_has_the_counts():
    assert shown(lunch(Policy(results="voted"), voted=True)) == HEAD + (
        "total_vote_count: 3\nkind: single\nmethod: plurality\nvoter_count: 3\n"
        "policies: results voted\n"
        "winners: pizza\n"
        "counts: votes\n"
        "pizza\t2\t66.7%\tleader\n"
        "soup\t1\t33.3%\n")


def test_show_plain_of_results_hidden_until_the_poll_closes():
    poll = lunch(Policy(results="closed"), voted=True, close_date=CLOSES)
    assert shown(poll) == (
        "id: k3v9x2ab\ntitle: Lunch\nstatus: open\nclose_date: 2026-03-01T18:00:00+00:00 (closes in 6 hours)\n"
        "total_vote_count: -\nkind: single\nmethod: plurality\nvoter_count: 3\n"
        "policies: results closed\n"
        "winners: hidden until the poll closes\n"
        "counts: votes\n"
        "pizza\t-\t-\n"
        "soup\t-\t-\n")


def test_a_closed_poll_shows_its_results_whatever_its_policy():
    for results in ("voted", "closed"):
        lines = shown(lunch(Policy(results=results), status=False)).splitlines()
        assert lines[2] == "status: closed" and lines[8] == f"policies: results {results}"
        assert lines[9:] == ["winners: pizza", "counts: votes", "pizza\t2\t66.7%\tleader", "soup\t1\t33.3%"]


def test_hidden_ranked_results_have_no_working():
    hidden = shown(ranked(Policy(results="closed", secret=True)))
    assert hidden == (
        "id: k3v9x2ab\ntitle: Board\nstatus: open\nclose_date: -\n"
        "total_vote_count: -\nkind: ranked\nmethod: irv\nvoter_count: 3\n"
        "policies: secret, results closed\n"
        "winners: hidden until the poll closes\n"
        "counts: first preferences\n"
        "ann\t-\t-\n"
        "bo\t-\t-\n")
    assert shown(ranked(Policy(results="closed", secret=True), status=False)).endswith(
        "ann\t2\t66.7%\tleader\nbo\t1\t33.3%\nround 1: ann 2, bo 1; exhausted 0; winner ann\n")


def test_list_plain_keeps_nine_fields_for_a_hidden_poll():
    polls = [lunch(), lunch(Policy(results="voted")), lunch(Policy(results="closed")),
             lunch(Policy(results="voted"), voted=True)]
    assert listed(*polls) == (
        "k3v9x2ab\topen\tLunch\tpizza: 2, soup: 1\tsingle\tplurality\tpizza\t3\t-\n"
        "k3v9x2ab\topen\tLunch\tpizza: -, soup: -\tsingle\tplurality\thidden until you vote\t3\t-\n"
        "k3v9x2ab\topen\tLunch\tpizza: -, soup: -\tsingle\tplurality\thidden until the poll closes\t3\t-\n"
        "k3v9x2ab\topen\tLunch\tpizza: 2, soup: 1\tsingle\tplurality\tpizza\t3\t-\n")
    assert listed(ranked(Policy(results="voted"))) == (
        "k3v9x2ab\topen\tBoard\tann: -, bo: -\tranked\tirv\thidden until you vote\t3\t-\n")


@pytest.mark.parametrize("message", [rules.MSG_CREATED, rules.MSG_VOTED, rules.MSG_CHANGED, rules.MSG_UNVOTED,
                                     rules.MSG_CLOSED, rules.MSG_REOPENED])
def test_a_reply_says_when_hidden_results_show(message):
    def reply(poll):
        return plain(output.POLL_MESSAGE, {"message": message, "poll": poll})

    assert reply(lunch(Policy(results="voted"))) == (
        f"{message}: k3v9x2ab\topen\tLunch\nresults hidden until you vote\n")
    assert reply(lunch(Policy(results="closed"), voted=True)) == (
        f"{message}: k3v9x2ab\topen\tLunch\nresults hidden until the poll closes\n")
    assert reply(lunch(Policy(results="voted"), voted=True)) == f"{message}: k3v9x2ab\topen\tLunch\n"
    assert reply(lunch(Policy(results="closed"), status=False)) == f"{message}: k3v9x2ab\tclosed\tLunch\n"


def test_what_a_change_and_a_withdrawal_did_is_said():
    poll = lunch(Policy(allow_change=True))
    assert output.POLL_MESSAGE.done({"message": rules.MSG_CHANGED, "poll": poll}) == \
        "the vote was changed (poll k3v9x2ab)"
    assert output.POLL_MESSAGE.done({"message": rules.MSG_UNVOTED, "poll": poll}) == \
        "the vote was withdrawn (poll k3v9x2ab)"


HIDDEN_TABLE = """\
                      Lunch
┏━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Option                ┃                 Votes ┃
┡━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━┩
│ pizza                 │                hidden │
│ soup                  │                hidden │
└───────────────────────┴───────────────────────┘
k3v9x2ab · single poll, plurality · open, 3 votes
Results hidden until you vote
Policies: results voted
"""


def test_show_table_of_hidden_results_has_no_counts():
    assert table(output.POLL_DETAIL, {"Polls": [lunch(Policy(results="voted"))]}) == HIDDEN_TABLE


def test_show_table_of_results_hidden_until_close_has_no_working():
    drawn = table(output.POLL_DETAIL, {"Polls": [ranked(Policy(results="closed", quorum=2))]})
    assert drawn == """\
                        Board
┏━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Option         ┃                 First preferences ┃
┡━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ ann            │                            hidden │
│ bo             │                            hidden │
└────────────────┴───────────────────────────────────┘
k3v9x2ab · ranked poll, instant runoff · open, 3 votes
Results hidden until the poll closes
Policies: results closed, quorum 2
Quorum 2 voters: reached
"""


def test_reply_tables_hide_the_results_too():
    for message in (rules.MSG_CREATED, rules.MSG_UNVOTED, rules.MSG_REOPENED):
        drawn = table(output.POLL_MESSAGE, {"message": message, "poll": lunch(Policy(results="voted"))})
        assert drawn == f"{message}\n" + HIDDEN_TABLE


LIST_TABLE = """\
Polls
┏━━━━━━━━━━┳━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━┓
┃ ID       ┃ Title ┃ Status ┃ Kind         ┃ Votes ┃ Leader                       ┃ Closes ┃
┡━━━━━━━━━━╇━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━┩
│ k3v9x2ab │ Lunch │ open   │ single       │     3 │ pizza                        │ -      │
│ k3v9x2ab │ Lunch │ open   │ single       │     3 │ hidden until you vote        │ -      │
│ k3v9x2ab │ Lunch │ open   │ single       │     3 │ hidden until the poll closes │ -      │
│ k3v9x2ab │ Board │ open   │ ranked (irv) │     3 │ no quorum (3 of 4)           │ -      │
└──────────┴───────┴────────┴──────────────┴───────┴──────────────────────────────┴────────┘
"""


def test_list_table_says_why_a_poll_has_no_leader():
    polls = [lunch(Policy(results="voted"), voted=True), lunch(Policy(results="voted")),
             lunch(Policy(results="closed")), ranked(Policy(quorum=4))]
    assert table(output.POLL_LISTING, {"Polls": polls}) == LIST_TABLE


# -- quorum ----------------------------------------------------------------------------

def test_show_plain_of_a_quorum_not_reached():
    poll = lunch(Policy(quorum=20))
    assert (poll["winners"], poll["quorum_reached"]) == ([], False)
    assert shown(poll) == HEAD + (
        "total_vote_count: 3\nkind: single\nmethod: plurality\nvoter_count: 3\n"
        "policies: quorum 20\n"
        "quorum: 20 voters, not reached (3 of 20)\n"
        "winners: no winner until quorum (3 of 20)\n"
        "counts: votes\n"
        "pizza\t2\t66.7%\n"
        "soup\t1\t33.3%\n")
    assert "winners: no winner, quorum not reached (3 of 20)\n" in shown(lunch(Policy(quorum=20), status=False))


def test_show_plain_of_a_quorum_reached():
    assert shown(lunch(Policy(quorum=1))).splitlines()[8:11] == [
        "policies: quorum 1", "quorum: 1 voter, reached", "winners: pizza"]
    assert shown(lunch(Policy(quorum=3))).splitlines()[8:11] == [
        "policies: quorum 3", "quorum: 3 voters, reached", "winners: pizza"]


def test_a_ranked_poll_short_of_its_quorum_has_a_working_but_no_winner():
    assert shown(ranked(Policy(quorum=5))).endswith(
        "quorum: 5 voters, not reached (3 of 5)\n"
        "winners: no winner until quorum (3 of 5)\n"
        "counts: first preferences\n"
        "ann\t2\t66.7%\n"
        "bo\t1\t33.3%\n"
        "round 1: ann 2, bo 1; exhausted 0; no winner\n")


def test_list_plain_says_no_winner_until_quorum():
    assert listed(lunch(Policy(quorum=20)), lunch(Policy(quorum=20), status=False)) == (
        "k3v9x2ab\topen\tLunch\tpizza: 2, soup: 1\tsingle\tplurality\tno winner until quorum (3 of 20)\t3\t-\n"
        "k3v9x2ab\tclosed\tLunch\tpizza: 2, soup: 1\tsingle\tplurality\tno winner, quorum not reached (3 of 20)\t3\t-\n")


def test_hidden_results_keep_the_quorum_visible():
    # voter_count is never hidden, so neither is whether the quorum is reached.
    assert shown(lunch(Policy(results="closed", quorum=20))).splitlines()[8:11] == [
        "policies: results closed, quorum 20",
        "quorum: 20 voters, not reached (3 of 20)",
        "winners: hidden until the poll closes"]


QUORUM_TABLE = """\
                       Lunch
┏━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━┳━━┓
┃ Option ┃ Votes ┃ Share                ┃     % ┃  ┃
┡━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━╇━━┩
│ pizza  │     2 │ ━━━━━━━━━━━━━        │ 66.7% │  │
│ soup   │     1 │ ━━━━━━╸              │ 33.3% │  │
└────────┴───────┴──────────────────────┴───────┴──┘
 k3v9x2ab · single poll, plurality · open, 3 votes
No winner until quorum: 3 of 20 voters
Policies: quorum 20
Quorum 20 voters: not reached (3 of 20)
"""


def test_show_table_of_a_quorum_not_reached():
    assert table(output.POLL_DETAIL, {"Polls": [lunch(Policy(quorum=20))]}) == QUORUM_TABLE
    closed = table(output.POLL_DETAIL, {"Polls": [lunch(Policy(quorum=20), status=False)]})
    assert "No winner: quorum not reached (3 of 20 voters)\n" in closed
    reached = table(output.POLL_DETAIL, {"Polls": [lunch(Policy(quorum=1))]})
    assert reached.endswith("Leading: pizza\nPolicies: quorum 1\nQuorum 1 voter: reached\n")
    assert "★ leader" in reached


# -- the policies ------------------------------------------------------------------------

@pytest.mark.parametrize(("policy", "line"), [
    (Policy(allow_change=True), "policies: allow-change"),
    (Policy(secret=True), "policies: secret"),
    (Policy(results="voted"), "policies: results voted"),
    (Policy(quorum=20), "policies: quorum 20"),
    (Policy(True, "voted", False, 20), "policies: allow-change, results voted, quorum 20"),
    (Policy(False, "closed", True, 7), "policies: secret, results closed, quorum 7"),
])
def test_show_plain_lists_the_policies_in_a_fixed_order(policy, line):
    lines = shown(lunch(policy, voted=True, status=False)).splitlines()
    assert lines[8] == line
    assert lines[9] == (f"quorum: {policy.quorum} voters, not reached (3 of {policy.quorum})"
                        if policy.quorum else "winners: pizza")


def test_a_poll_with_the_default_policies_shows_as_before():
    poll = lunch()
    assert shown(poll) == HEAD + (
        "total_vote_count: 3\nkind: single\nmethod: plurality\nvoter_count: 3\nwinners: pizza\n"
        "counts: votes\npizza\t2\t66.7%\tleader\nsoup\t1\t33.3%\n")
    assert "Polic" not in table(output.POLL_DETAIL, {"Polls": [poll]})
    assert "Quorum" not in table(output.POLL_DETAIL, {"Polls": [poll]})


# -- hostile names -------------------------------------------------------------------------

def test_hostile_names_of_a_hidden_poll_are_escaped_in_plain_lines(monkeypatch):
    poll = lunch(Policy(results="voted", allow_change=True), choices=HOSTILE_OPTIONS, title=HOSTILE_TITLE)
    detail = rendered(output.POLL_DETAIL, {"Polls": [poll]}, monkeypatch)
    assert detail == (
        "id: k3v9x2ab\ntitle: [bold]Lunch[/]\\x1b[2J\\x09now\\u202e\nstatus: open\nclose_date: -\n"
        "total_vote_count: -\nkind: single\nmethod: plurality\nvoter_count: 3\n"
        "policies: allow-change, results voted\n"
        "winners: hidden until you vote\n"
        "counts: votes\n"
        "[red]pizza[/]\t-\t-\n"
        "soup\\x07\\x0abell\t-\t-\n"
        ":thumbs_up:\t-\t-\n")
    listing = rendered(output.POLL_LISTING, {"Polls": [poll]}, monkeypatch)
    assert listing == (
        "k3v9x2ab\topen\t[bold]Lunch[/]\\x1b[2J\\x09now\\u202e\t[red]pizza[/]: -, soup\\x07\\x0abell: -, :thumbs_up:: -"
        "\tsingle\tplurality\thidden until you vote\t3\t-\n")
    reply = rendered(output.POLL_MESSAGE, {"message": rules.MSG_UNVOTED, "poll": poll}, monkeypatch)
    assert reply == ("Your vote was withdrawn: k3v9x2ab\topen\t[bold]Lunch[/]\\x1b[2J\\x09now\\u202e\n"
                     "results hidden until you vote\n")


def test_hostile_names_of_a_quorum_poll_are_escaped_in_plain_lines(monkeypatch):
    poll = lunch(Policy(quorum=20), choices=HOSTILE_OPTIONS, title=HOSTILE_TITLE)
    detail = rendered(output.POLL_DETAIL, {"Polls": [poll]}, monkeypatch)
    assert detail.endswith(
        "policies: quorum 20\nquorum: 20 voters, not reached (3 of 20)\n"
        "winners: no winner until quorum (3 of 20)\ncounts: votes\n"
        "[red]pizza[/]\t2\t66.7%\nsoup\\x07\\x0abell\t1\t33.3%\n:thumbs_up:\t0\t0.0%\n")


@pytest.mark.parametrize("policy", [Policy(results="voted"), Policy(results="closed", secret=True),
                                    Policy(quorum=20, allow_change=True)])
def test_hostile_names_are_literal_in_tables(policy):
    poll = lunch(policy, choices=HOSTILE_OPTIONS, title=HOSTILE_TITLE)
    for renderer, data in [(output.POLL_DETAIL, {"Polls": [poll]}), (output.POLL_LISTING, {"Polls": [poll]}),
                           (output.POLL_MESSAGE, {"message": rules.MSG_CREATED, "poll": poll})]:
        drawn = styled(renderer, data, width=160)
        assert "[red]pizza[/]" in drawn or renderer is output.POLL_LISTING
        assert "[bold]Lunch[/]\\x1b[2J\\x09now\\u202e" in drawn
        assert "\x07" not in drawn and "\u202e" not in drawn and "\x1b[2J" not in drawn
        if renderer is not output.POLL_LISTING:
            assert ":thumbs_up:" in drawn and "soup\\x07\\x0abell" in drawn


def test_the_readme_shows_what_votr_prints():
    """README "Reading a poll's policies": its examples are these renderings, line for line."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Reading a poll's policies\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```text\n(.*?)```", section, flags=re.S)
    board = lunch(Policy(secret=True, results="closed", quorum=20), title="Board election",
                  choices=[("ann", 5), ("bo", 4), ("cy", 3)])
    board.update(kind="ranked", method="irv")
    reached = lunch(Policy(allow_change=True, results="voted", quorum=3), voted=True)
    assert blocks == [
        shown(board),
        shown(reached).split("voter_count: 3\n", 1)[1],
        listed(lunch(Policy(results="voted"))),
    ]
