"""Ballot policies through the command line, on the selected backend: the flags of
`create`, `unvote`, `list`/`show --voter`, their JSON and every exit code.
"""

from __future__ import annotations

import pytest

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head


def test_a_vote_is_changed_and_withdrawn(votr):
    assert votr("create", "Lunch", "pizza", "sushi", "--allow-change").exit_code == 0
    assert votr("vote", "Lunch", "pizza", "--voter", "ann").exit_code == 0
    changed = votr("vote", "Lunch", "sushi", "--voter", "ann", "--json").json()
    assert changed["message"] == "Your vote was changed"
    assert [o["vote_count"] for o in changed["poll"]["options"]] == [0, 1]
    withdrawn = votr("unvote", "Lunch", "--voter", "ann", "--json").json()
    assert withdrawn["message"] == "Your vote was withdrawn"
    assert withdrawn["poll"]["voter_count"] == 0
    again = votr("unvote", "Lunch", "--voter", "ann", "--json")
    assert (again.exit_code, again.error()) == (3, "'ann' has no vote in poll 'Lunch'")


def test_unvote_is_refused_without_the_policy_and_once_closed(votr):
    votr("create", "Fixed", "a", "b")
    votr("vote", "Fixed", "a", "--voter", "ann")
    refused = votr("unvote", "Fixed", "--voter", "ann", "--json")
    assert (refused.exit_code, refused.error()) == (4, "poll 'Fixed' does not allow changing or withdrawing a vote")
    votr("create", "Open", "a", "b", "--allow-change")
    votr("vote", "Open", "a", "--voter", "ann")
    votr("close", "Open")
    assert votr("unvote", "Open", "--voter", "ann").exit_code == 4
    assert votr("vote", "Open", "b", "--voter", "ann").exit_code == 4


@pytest.mark.parametrize("arguments, code", [
    (["--secret", "--allow-change"], 1),
    (["--results", "never"], 1),
    (["--quorum", "0"], 1),
    (["--quorum", "many"], 2),
])
def test_a_policy_that_cannot_be_is_refused(votr, arguments, code):
    assert votr("create", "Poll", "a", "b", *arguments).exit_code == code
    assert votr("list", "--json").json() == {"Polls": []}


def test_results_are_shown_to_voters_only(votr):
    votr("create", "Hidden", "a", "b", "--results", "voted")
    votr("vote", "Hidden", "a", "--voter", "bo")
    hidden = votr("show", "Hidden", "--voter", "ann", "--json").json()["Polls"][0]
    assert (hidden["results_hidden"], hidden["total_vote_count"], hidden["winners"]) == (True, None, None)
    listed = votr("list", "--voter", "bo", "--json").json()["Polls"][0]
    assert (listed["results_hidden"], listed["winners"]) == (False, ["a"])


def test_quorum_and_secret_keys(votr):
    poll = votr("create", "Board", "ann", "bo", "--kind", "ranked", "--secret", "--quorum", "2",
                "--json").json()["poll"]
    assert (poll["secret"], poll["quorum"], poll["quorum_reached"]) == (True, 2, False)
    voted = votr("vote", "Board", "bo", "ann", "--voter", "cy", "--json").json()["poll"]
    assert (voted["winners"], voted["quorum_reached"], voted["voter_count"]) == ([], False, 1)
    assert votr("vote", "Board", "ann", "--voter", "CY").exit_code == 4
