"""The ballot paper: what `votr vote POLL` shows before the voter fills the ballot, and
the refusals that come before it (a closed poll, a second vote), on every backend."""

from __future__ import annotations

import pytest

from votr_cli.core.errors import InvalidInput, NotFound, Refused
from votr_cli.service import polls as service
from tests.service.conftest import close_date_passes


def test_the_paper_has_what_the_prompt_needs(db):
    created = service.create_poll(db, "Team lunch", ["pizza", "Sushi", "tacos"], None, kind="multiple",
                                  min_choices=1, max_choices=2)["poll"]
    paper = service.ballot_paper(db, "team LUNCH", "ann")
    assert paper == {"id": created["id"], "title": "Team lunch", "kind": "multiple", "min_choices": 1,
                     "max_choices": 2, "options": ["pizza", "Sushi", "tacos"], "voted": False}
    # What the prompt gives back is what `vote` takes.
    voted = service.vote(db, paper["id"], ["pizza", "tacos"], "ann")
    assert [option["vote_count"] for option in voted["poll"]["options"]] == [1, 0, 1]


def test_a_closed_poll_is_refused(db):
    service.create_poll(db, "Lunch", ["pizza", "sushi"], None)
    service.close_poll(db, "Lunch")
    with pytest.raises(Refused, match="poll 'Lunch' is closed"):
        service.ballot_paper(db, "Lunch", "ann")


def test_a_poll_past_its_close_date_is_refused(db):
    service.create_poll(db, "Lunch", ["pizza", "sushi"], None)
    close_date_passes(db, "Lunch")
    with pytest.raises(Refused, match="is closed"):
        service.ballot_paper(db, "Lunch", "ann")


@pytest.mark.parametrize("secret", [False, True])
def test_a_second_ballot_is_refused_unless_changes_are_allowed(db, secret):
    service.create_poll(db, "Lunch", ["pizza", "sushi"], None, secret=secret)
    service.vote(db, "Lunch", "pizza", "Ann")
    with pytest.raises(Refused, match="already voted"):
        service.ballot_paper(db, "Lunch", "ANN")
    assert service.ballot_paper(db, "Lunch", "bo")["voted"] is False


def test_a_poll_that_allows_changes_gives_a_paper_to_one_who_voted(db):
    service.create_poll(db, "Lunch", ["pizza", "sushi"], None, allow_change=True)
    service.vote(db, "Lunch", "pizza", "ann")
    assert service.ballot_paper(db, "Lunch", "ann")["voted"] is True


def test_score_and_ranked_papers(db):
    service.create_poll(db, "Logo", ["red", "blue"], None, kind="score")
    service.create_poll(db, "Capital", ["a", "b", "c"], None, kind="ranked", min_choices=2)
    assert service.ballot_paper(db, "Logo", "ann")["kind"] == "score"
    capital = service.ballot_paper(db, "Capital", "ann")
    assert (capital["kind"], capital["min_choices"], capital["max_choices"]) == ("ranked", 2, 3)


def test_no_poll_and_no_voter(db):
    with pytest.raises(NotFound):
        service.ballot_paper(db, "Nothing", "ann")
    service.create_poll(db, "Lunch", ["pizza", "sushi"], None)
    with pytest.raises(InvalidInput, match="value for voter is empty"):
        service.ballot_paper(db, "Lunch", " ")
