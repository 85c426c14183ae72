"""Voting: which poll and option a vote names, who the voter is, and when a vote is
refused, called on the service directly on every backend.
"""

from __future__ import annotations

import pytest

from votr_cli.core.errors import InvalidInput, NotFound, Refused
from votr_cli.service import polls as service
from tests.service.conftest import close_date_passes


@pytest.fixture
def poll(db) -> dict:
    return service.create_poll(db, "Lunch", ["Pizza", "Sushi"], None)["poll"]


def counts(db, ref: str) -> list[int]:
    return [option["vote_count"] for option in service.show_poll(db, ref)["options"]]


def test_a_vote_counts_once_and_returns_the_poll(db, poll):
    voted = service.vote(db, poll["id"], "Sushi", "ann")
    assert voted["message"] == "Thank you for voting"
    assert voted["poll"]["options"] == [{"name": "Pizza", "vote_count": 0}, {"name": "Sushi", "vote_count": 1}]
    assert voted["poll"]["total_vote_count"] == 1


def test_a_poll_is_named_by_id_or_by_title_and_an_option_by_any_spelling(db, poll):
    service.vote(db, poll["id"], " sushi ", "ann")
    service.vote(db, "  LUNCH ", "PIZZA", "bob")
    assert counts(db, poll["id"]) == [1, 1]


@pytest.mark.parametrize(("ref", "option", "error", "message"), [
    ("nosuchpl", "Pizza", NotFound, "no poll with id or title 'nosuchpl'"),
    ("Dinner", "Pizza", NotFound, "no poll with id or title 'Dinner'"),
    ("Lunch", "Tacos", NotFound, "poll 'Lunch' has no option 'Tacos' (its options: 'Pizza', 'Sushi')"),
    ("Lunch", " ", InvalidInput, "value for option is empty"),
    ("", "Pizza", InvalidInput, "value for poll is empty"),
])
def test_a_vote_for_what_does_not_exist_is_refused(db, poll, ref, option, error, message):
    with pytest.raises(error) as raised:
        service.vote(db, ref, option, "ann")
    assert type(raised.value) is error
    assert raised.value.message == message
    assert counts(db, poll["id"]) == [0, 0]


def test_a_voter_votes_once_per_poll_whatever_the_spelling_of_the_name(db, poll):
    service.vote(db, poll["id"], "Pizza", "Ann")
    with pytest.raises(Refused) as raised:
        service.vote(db, poll["id"], "Sushi", "  ANN ")
    assert raised.value.message == "Sorry! multiple votes are not allowed: 'ann' has already voted in this poll"
    assert counts(db, poll["id"]) == [1, 0]
    other = service.create_poll(db, "Dinner", ["a", "b"], None)["poll"]
    service.vote(db, other["id"], "a", "ann")  # the same voter, another poll


@pytest.mark.parametrize(("voter", "message"), [
    ("", "value for voter is empty"),
    ("v" * 101, "voter is longer than 100 characters (101)"),
    ("a\x1bb", "voter contains a control character (U+001B)"),
])
def test_an_invalid_voter_is_refused(db, poll, voter, message):
    with pytest.raises(InvalidInput) as raised:
        service.vote(db, poll["id"], "Pizza", voter)
    assert raised.value.message == message


def test_a_closed_poll_takes_no_vote(db, poll):
    service.close_poll(db, poll["id"])
    with pytest.raises(Refused) as raised:
        service.vote(db, poll["id"], "Pizza", "ann")
    assert raised.value.message == "poll 'Lunch' is closed"


def test_a_poll_whose_close_date_passed_takes_no_vote(db, poll):
    close_date_passes(db)
    with pytest.raises(Refused) as raised:
        service.vote(db, poll["id"], "Pizza", "ann")
    assert raised.value.message == "poll 'Lunch' is closed"
    assert service.show_poll(db, poll["id"])["status"] is False


def test_a_title_that_is_another_polls_id_names_the_poll_with_that_id(db, poll):
    service.create_poll(db, poll["id"], ["Yes", "No"], None)
    voted = service.vote(db, poll["id"], "Pizza", "ann")
    assert voted["poll"]["id"] == poll["id"] and counts(db, poll["id"]) == [1, 0]
    assert service.vote(db, poll["id"].upper(), "Yes", "ann")["poll"]["title"] == poll["id"]  # no id: the title


@pytest.mark.parametrize("policy", [{}, {"allow_change": True}, {"secret": True}, {"results": "voted"}, {"quorum": 2}])
def test_the_poll_a_vote_answers_is_the_poll_as_its_voter_then_sees_it(db, policy):
    created = service.create_poll(db, "Dinner", ["Pizza", "Sushi"], None, **policy)["poll"]
    for voter, option in (("ann", "Pizza"), ("bob", "Sushi"), ("ann", "Sushi")):
        if voter == "ann" and option == "Sushi" and not policy.get("allow_change"):
            continue
        voted = service.vote(db, "Dinner", option, voter)
        shown = service.show_poll(db, created["id"], viewer=voter)
        assert voted["poll"] == {key: value for key, value in shown.items() if key != "tally"}
    assert voted["poll"]["voter_count"] == 2
