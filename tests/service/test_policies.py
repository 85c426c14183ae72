"""Ballot policies at the service, on every backend: changing and withdrawing a vote,
results hidden until one votes or until close, secret ballots and quorum. Every refusal
leaves the database as it was.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from votr_cli.core.errors import InvalidInput, NotFound, Refused
from votr_cli.db.tables import ballots, poll_voters, secret_ballots, topics
from votr_cli.service import polls as service
from votr_cli.service.polls import BatchLine
from tests.service.conftest import close_date_passes

POLICY_KEYS = ("allow_change", "results", "secret", "quorum", "quorum_reached", "results_hidden")


def counts(poll: dict) -> list:
    return [option["vote_count"] for option in poll["options"]]


def rows(db, table) -> list:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(table)).all()


def test_every_poll_has_the_default_policies(db):
    poll = service.create_poll(db, "Plain", ["a", "b"])["poll"]
    assert {key: poll[key] for key in POLICY_KEYS} == {
        "allow_change": False, "results": "always", "secret": False, "quorum": None,
        "quorum_reached": True, "results_hidden": False}


@pytest.mark.parametrize("policy, message", [
    ({"secret": True, "allow_change": True}, "a secret poll cannot allow vote changes: nothing pairs a voter "
                                             "with their ballot, so there is no ballot to change"),
    ({"results": "never"}, "results must be one of always, voted, closed, not 'never'"),
    ({"quorum": 0}, "quorum must be a whole number of voters from 1 to 2147483647, not 0"),
    ({"quorum": 2 ** 31}, "quorum must be a whole number of voters from 1 to 2147483647, not 2147483648"),
])
def test_a_policy_that_cannot_be_is_refused_and_nothing_is_made(db, policy, message):
    with pytest.raises(InvalidInput) as raised:
        service.create_poll(db, "Bad", ["a", "b"], **policy)
    assert raised.value.message == message
    assert service.poll_count(db) == 0


@pytest.mark.parametrize("kind, first, second, expected", [
    ("single", ["a"], ["b"], [0, 1, 0]),
    ("multiple", ["a", "b"], ["b", "c"], [0, 1, 1]),
    ("ranked", ["a", "b"], ["c", "a"], [0, 0, 1]),
    ("score", ["a=5", "b=1"], ["c=2"], [0, 0, 2]),
])
def test_voting_again_replaces_the_ballot_and_its_counts(db, kind, first, second, expected):
    service.create_poll(db, "Change", ["a", "b", "c"], kind=kind, allow_change=True)
    assert service.vote(db, "Change", first, "ann")["message"] == "Thank you for voting"
    changed = service.vote(db, "Change", second, "ANN")
    assert changed["message"] == "Your vote was changed"
    assert counts(changed["poll"]) == expected
    assert changed["poll"]["voter_count"] == 1
    assert len(rows(db, ballots)) == 1


def test_unvote_withdraws_the_ballot_once(db):
    service.create_poll(db, "Change", ["a", "b"], kind="ranked", allow_change=True)
    service.vote(db, "Change", ["b", "a"], "ann")
    service.vote(db, "Change", ["a"], "bo")
    withdrawn = service.unvote(db, "Change", "Ann")
    assert withdrawn["message"] == "Your vote was withdrawn"
    assert counts(withdrawn["poll"]) == [1, 0] and withdrawn["poll"]["voter_count"] == 1
    with pytest.raises(NotFound) as raised:
        service.unvote(db, "Change", "ann")
    assert raised.value.message == "'ann' has no vote in poll 'Change'"
    assert service.vote(db, "Change", ["b"], "ann")["message"] == "Thank you for voting"


def test_without_the_policy_a_second_vote_and_unvote_are_refused(db):
    service.create_poll(db, "Fixed", ["a", "b"])
    service.vote(db, "Fixed", ["a"], "ann")
    with pytest.raises(Refused, match="^Sorry! multiple votes are not allowed"):
        service.vote(db, "Fixed", ["b"], "ann")
    with pytest.raises(Refused) as raised:
        service.unvote(db, "Fixed", "ann")
    assert raised.value.message == "poll 'Fixed' does not allow changing or withdrawing a vote"
    assert counts(service.show_poll(db, "Fixed")) == [1, 0]


def test_a_closed_poll_takes_no_change_and_no_withdrawal(db):
    service.create_poll(db, "Change", ["a", "b"], allow_change=True)
    service.vote(db, "Change", ["a"], "ann")
    service.close_poll(db, "Change")
    for attempt in (lambda: service.vote(db, "Change", ["b"], "ann"), lambda: service.unvote(db, "Change", "ann")):
        with pytest.raises(Refused, match="is closed"):
            attempt()
    assert counts(service.show_poll(db, "Change")) == [1, 0]


def test_results_voted_are_shown_to_those_who_voted(db):
    service.create_poll(db, "Hidden", ["a", "b"], results="voted")
    service.vote(db, "Hidden", ["a"], "bo")
    shown = service.show_poll(db, "Hidden", viewer="ann")
    assert shown["results_hidden"] is True
    assert (counts(shown), shown["total_vote_count"], shown["winners"], shown["tally"]) == ([None, None], None, None, None)
    assert shown["voter_count"] == 1
    voted = service.vote(db, "Hidden", ["b"], "ann")["poll"]
    assert voted["results_hidden"] is False and counts(voted) == [1, 1]
    assert service.show_poll(db, "Hidden", viewer="ANN")["winners"] == ["a", "b"]
    assert service.show_poll(db, "Hidden")["results_hidden"] is True  # nobody in particular
    listed = {viewer: next(service.list_polls(db, viewer=viewer))["results_hidden"] for viewer in ("ann", "cy")}
    assert listed == {"ann": False, "cy": True}


def test_results_closed_are_hidden_until_close(db):
    service.create_poll(db, "Sealed", ["a", "b"], kind="ranked", results="closed")
    assert service.vote(db, "Sealed", ["a", "b"], "ann")["poll"]["results_hidden"] is True
    assert service.show_poll(db, "Sealed", viewer="ann")["tally"] is None
    close_date_passes(db, "Sealed")
    shown = service.show_poll(db, "Sealed")
    assert shown["results_hidden"] is False and shown["winners"] == ["a"]


def test_quorum_holds_back_the_winner(db):
    service.create_poll(db, "Quorum", ["a", "b"], quorum=2)
    first = service.vote(db, "Quorum", ["a"], "ann")["poll"]
    assert (first["winners"], first["quorum_reached"], counts(first)) == ([], False, [1, 0])
    second = service.vote(db, "Quorum", ["a"], "bo")["poll"]
    assert (second["winners"], second["quorum_reached"]) == (["a"], True)


@pytest.mark.parametrize("kind, ballot", [("single", ["b"]), ("ranked", ["b", "a"]), ("score", ["b=4"])])
def test_a_secret_poll_keeps_voters_and_ballots_apart(db, kind, ballot):
    poll_id = service.create_poll(db, "Secret", ["a", "b"], kind=kind, secret=True)["poll"]["id"]
    service.vote(db, "Secret", ballot, "ann")
    service.vote(db, "Secret", ballot, "bo")
    with pytest.raises(Refused, match="multiple votes are not allowed"):
        service.vote(db, "Secret", ballot, "ANN")
    assert rows(db, ballots) == []
    assert sorted(row.voter for row in rows(db, poll_voters)) == ["ann", "bo"]
    stored = rows(db, secret_ballots)
    assert len(stored) == 2 and all(set(row._fields) == {"id", "topic_id", "option_id", "choices"} for row in stored)
    shown = service.show_poll(db, poll_id)
    assert shown["voter_count"] == 2 and shown["winners"] == ["b"] and shown["secret"] is True


def test_a_batch_follows_every_policy(db):
    service.create_poll(db, "Change", ["a", "b"], allow_change=True)
    service.create_poll(db, "Secret", ["a", "b"], secret=True)
    service.vote(db, "Change", ["a"], "ann")
    lines = [
        BatchLine(1, "Change", "b", "ann"),     # replaces ann's earlier vote
        BatchLine(2, "Change", "a", "bo"),
        BatchLine(3, "Change", "b", "bo"),      # replaces line 2
        BatchLine(4, "Secret", "a", "ann"),
        BatchLine(5, "Secret", "b", "ann"),     # a second secret ballot: refused
        BatchLine(6, "Secret", "b", "bo"),
    ]
    summary = service.vote_batch(db, lines, lambda: "nobody")
    assert [(entry["line"], entry["error"].message) for entry in summary["rejected"]] == [
        (5, "Sorry! multiple votes are not allowed: 'ann' has already voted in this poll")]
    assert summary["accepted"] == 5
    polls = {poll["title"]: poll for poll in service.list_polls(db)}
    assert (counts(polls["Change"]), polls["Change"]["voter_count"]) == ([0, 2], 2)
    assert (counts(polls["Secret"]), polls["Secret"]["voter_count"]) == ([1, 1], 2)
    assert len(rows(db, secret_ballots)) == 2 and len(rows(db, poll_voters)) == 2


def test_policies_are_stored_on_the_poll(db):
    service.create_poll(db, "All", ["a", "b"], allow_change=True, results="voted", quorum=3)
    with db.engine.connect() as conn:
        stored = conn.execute(sa.select(topics.c.allow_change, topics.c.results, topics.c.secret,
                                        topics.c.quorum)).one()
    assert tuple(stored) == (True, "voted", False, 3)
