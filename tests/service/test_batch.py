"""Batch voting: every line gets its own verdict by the rules of a single vote, and the
accepted lines are recorded together in one transaction. Called on the service directly
on every backend.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from votr_cli.core.errors import DatabaseProblem, InvalidInput, NotFound, Refused
from votr_cli.service import polls as service
from votr_cli.service.polls import BatchLine
from tests.integration.test_vote_transaction import DROP_TRIGGER, REFUSING_TRIGGER, run_sql, stored


@pytest.fixture
def polls(db) -> dict[str, dict]:
    lunch = service.create_poll(db, "Lunch", ["Pizza", "Sushi"], None)["poll"]
    closed = service.create_poll(db, "Closed", ["a", "b"], None)["poll"]
    service.close_poll(db, closed["id"])
    service.vote(db, lunch["id"], "Pizza", "early")
    return {"Lunch": lunch, "Closed": closed}


def verdicts(summary: dict) -> list[tuple[int, str]]:
    return [(entry["line"], entry["error"].message) for entry in summary["rejected"]]


def kinds(summary: dict) -> list[tuple[int, type]]:
    return [(entry["line"], type(entry["error"])) for entry in summary["rejected"]]


def nobody() -> str:
    raise AssertionError("every line names its voter")


def test_every_line_gets_its_own_verdict(db, polls):
    lunch = polls["Lunch"]["id"]
    lines = [
        BatchLine(1, lunch, "Sushi", "ann"),
        BatchLine(2, "lunch", "pizza", " ANN "),  # the same voter again, within the batch
        BatchLine(3, "Dinner", "Pizza", "bob"),
        BatchLine(4, lunch, "Tacos", "bob"),
        BatchLine(5, "Closed", "a", "bob"),
        BatchLine(6, error=InvalidInput("expected POLL,OPTION[,VOTER]")),  # unreadable line
        BatchLine(7, lunch, " ", "bob"),
        BatchLine(8, lunch, "Sushi", "Early"),  # voted before the batch
        BatchLine(9, "LUNCH", "PIZZA", "bob"),
    ]
    summary = service.vote_batch(db, lines, nobody)
    assert summary["message"] == "2 votes recorded, 7 lines rejected"
    assert (summary["lines"], summary["accepted"]) == (9, 2)
    assert verdicts(summary) == [
        (2, "Sorry! multiple votes are not allowed: 'ann' has already voted in this poll"),
        (3, "no poll with id or title 'Dinner'"),
        (4, "poll 'Lunch' has no option 'Tacos'"),
        (5, "poll 'Closed' is closed"),
        (6, "expected POLL,OPTION[,VOTER]"),
        (7, "value for option is empty"),
        (8, "Sorry! multiple votes are not allowed: 'early' has already voted in this poll"),
    ]
    assert kinds(summary) == [(2, Refused), (3, NotFound), (4, NotFound), (5, Refused), (6, InvalidInput),
                              (7, InvalidInput), (8, Refused)]
    poll = service.show_poll(db, lunch)
    assert poll["options"] == [{"name": "Pizza", "vote_count": 2}, {"name": "Sushi", "vote_count": 1}]


def test_a_batch_with_every_line_accepted_says_so(db, polls):
    summary = service.vote_batch(db, [BatchLine(1, "Lunch", "Sushi", "ann"), BatchLine(2, "Lunch", "Sushi", "bob")],
                                 nobody)
    assert summary["message"] == "2 votes recorded, 0 lines rejected"
    assert summary["rejected"] == []


def test_an_empty_batch_records_nothing(db, polls):
    summary = service.vote_batch(db, [], nobody)
    assert summary["message"] == "0 votes recorded, 0 lines rejected"
    assert (summary["lines"], summary["accepted"]) == (0, 0)


def test_lines_without_a_voter_are_the_default_voters_asked_for_once(db, polls):
    asked = []

    def default_voter() -> str:
        asked.append(True)
        return "Me"

    lines = [BatchLine(1, "Lunch", "Sushi"), BatchLine(2, "Closed", "a"), BatchLine(3, "Lunch", "Pizza")]
    summary = service.vote_batch(db, lines, default_voter)
    assert asked == [True]
    assert verdicts(summary) == [
        (2, "poll 'Closed' is closed"),
        (3, "Sorry! multiple votes are not allowed: 'me' has already voted in this poll"),
    ]


def test_a_default_voter_that_cannot_be_told_rejects_only_the_lines_that_need_it(db, polls):
    def unknown() -> str:
        raise InvalidInput("cannot tell who is voting: pass --voter NAME or set VOTR_VOTER")

    summary = service.vote_batch(db, [BatchLine(1, "Lunch", "Sushi", "ann"), BatchLine(2, "Lunch", "Sushi")],
                                 unknown)
    assert summary["accepted"] == 1
    assert verdicts(summary) == [(2, "cannot tell who is voting: pass --voter NAME or set VOTR_VOTER")]


def test_progress_is_told_about_every_line(db, polls):
    told: list[int] = []
    lines = [BatchLine(1, "Lunch", "Sushi", "ann"), BatchLine(2, error=InvalidInput("bad")),
             BatchLine(3, "Nothing", "a", "bob")]
    service.vote_batch(db, lines, nobody, told.append)
    assert sum(told) == 3


def test_a_batch_commits_once(db, polls):
    commits: list[bool] = []
    sa.event.listen(db.engine, "commit", lambda conn: commits.append(True))
    lines = [BatchLine(number, "Lunch", "Sushi", f"voter {number}") for number in range(1, 51)]
    assert service.vote_batch(db, lines, nobody)["accepted"] == 50
    assert commits == [True]


def test_a_batch_is_recorded_whole_or_not_at_all(db, polls, backend):
    """A trigger that refuses the counters' update stands in for anything that can fail
    after the ballots were written: none of them is kept."""
    before = stored(db)
    run_sql(db, REFUSING_TRIGGER[backend])
    lines = [BatchLine(1, "Lunch", "Sushi", "ann"), BatchLine(2, "Lunch", "Pizza", "bob")]
    with pytest.raises(DatabaseProblem, match="counter refused"):
        service.vote_batch(db, lines, nobody)
    assert stored(db) == before
    run_sql(db, DROP_TRIGGER[backend])
    assert service.vote_batch(db, lines, nobody)["accepted"] == 2
