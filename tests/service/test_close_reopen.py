"""Closing and reopening a poll: the state it ends in, its close date, and the messages
that say whether anything changed. Called on the service directly on every backend.
"""

from __future__ import annotations

import datetime as dt

import pytest

from votr_cli.core.errors import InvalidInput, NotFound
from votr_cli.service import polls as service
from tests.service.conftest import close_date_passes


@pytest.fixture
def poll(db) -> dict:
    return service.create_poll(db, "Lunch", ["Pizza", "Sushi"], None)["poll"]


def in_days(days: int) -> dt.datetime:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)).replace(tzinfo=None, microsecond=0)


def parse(close_date: str) -> dt.datetime:
    return dt.datetime.fromisoformat(close_date.removesuffix("Z"))


def test_closing_an_open_poll_closes_it_now(db, poll):
    before = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    closed = service.close_poll(db, poll["id"])
    assert closed["message"] == "Poll closed"
    assert closed["poll"]["status"] is False
    assert before <= parse(closed["poll"]["close_date"]) <= before + dt.timedelta(minutes=1)


def test_closing_a_closed_poll_changes_nothing_and_says_so(db, poll):
    first = service.close_poll(db, "lunch")
    again = service.close_poll(db, "lunch")
    assert again["message"] == "Poll was already closed"
    assert again["poll"] == first["poll"]


def test_a_poll_whose_close_date_passed_is_already_closed(db, poll):
    close_date_passes(db)
    closed = service.close_poll(db, poll["id"])
    assert closed["message"] == "Poll was already closed"
    assert closed["poll"]["close_date"] == "2001-01-01T00:00:00Z"


def test_reopening_a_closed_poll_opens_it_with_no_close_date(db, poll):
    service.close_poll(db, poll["id"])
    reopened = service.reopen_poll(db, poll["id"], None)
    assert reopened["message"] == "Poll reopened"
    assert reopened["poll"]["status"] is True
    assert reopened["poll"]["close_date"] is None
    service.vote(db, poll["id"], "Pizza", "ann")


def test_reopening_an_open_poll_without_a_date_changes_nothing_and_says_so(db, poll):
    again = service.reopen_poll(db, poll["id"], None)
    assert again["message"] == "Poll was already open"
    assert again["poll"] == poll


def test_reopening_with_a_date_sets_the_new_close_date(db, poll):
    closes = in_days(3)
    reopened = service.reopen_poll(db, poll["id"], closes)
    assert reopened["message"] == "Poll reopened"  # open already, but its close date changed
    assert reopened["poll"]["close_date"] == closes.isoformat() + "Z"
    service.close_poll(db, poll["id"])
    later = in_days(7)
    assert service.reopen_poll(db, poll["id"], later)["poll"]["close_date"] == later.isoformat() + "Z"


def test_a_poll_past_its_close_date_can_be_reopened(db, poll):
    close_date_passes(db)
    reopened = service.reopen_poll(db, poll["id"], None)
    assert reopened["message"] == "Poll reopened"
    assert reopened["poll"]["status"] is True


def test_votes_are_kept_through_close_and_reopen(db, poll):
    service.vote(db, poll["id"], "Pizza", "ann")
    service.close_poll(db, poll["id"])
    assert service.reopen_poll(db, poll["id"], None)["poll"]["total_vote_count"] == 1


@pytest.mark.parametrize("change", [service.close_poll, service.reopen_poll])
def test_an_unknown_poll_cannot_be_closed_or_reopened(db, change):
    with pytest.raises(NotFound) as raised:
        change(db, "Nothing")
    assert raised.value.message == "no poll with id or title 'Nothing'"


def test_a_poll_reference_with_a_control_character_is_invalid(db):
    with pytest.raises(InvalidInput) as raised:
        service.close_poll(db, "Lu\x00nch")
    assert raised.value.message == "poll contains a control character (U+0000)"
