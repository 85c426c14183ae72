"""Reading polls: listing in creation order, the open/closed filters and showing one poll.
Called on the service directly on every backend.
"""

from __future__ import annotations

import pytest

from votr_cli.core.errors import InvalidInput, NotFound
from votr_cli.service import polls as service
from tests.service.conftest import close_date_passes


@pytest.fixture
def three_polls(db) -> dict[str, dict]:
    """One open, one closed by hand, one whose close date has passed."""
    made = {title: service.create_poll(db, title, ["a", "b"], None)["poll"]
            for title in ("Zebra", "Apple", "Mango")}
    service.close_poll(db, "Apple")
    close_date_passes(db, "Mango")
    return made


def titles(polls) -> list[str]:
    return [poll["title"] for poll in polls]


def test_an_empty_database_lists_nothing(db):
    assert list(service.list_polls(db)) == []
    assert service.list_options(db) == []


def test_polls_are_listed_in_creation_order(db, three_polls):
    assert titles(service.list_polls(db)) == ["Zebra", "Apple", "Mango"]
    assert titles(service.list_polls(db, "all")) == ["Zebra", "Apple", "Mango"]


@pytest.mark.parametrize(("status", "expected"), [("open", ["Zebra"]), ("closed", ["Apple", "Mango"])])
def test_the_status_filter_counts_a_passed_close_date_as_closed(db, three_polls, status, expected):
    listed = list(service.list_polls(db, status))
    assert titles(listed) == expected
    assert {poll["status"] for poll in listed} == {status == "open"}


def test_a_listed_poll_is_the_poll_show_gives(db, three_polls):
    service.vote(db, "Zebra", "b", "ann")
    for listed in service.list_polls(db):
        shown = service.show_poll(db, listed["id"])
        assert listed == {key: value for key, value in shown.items() if key != "tally"}


def test_an_unknown_status_is_invalid(db):
    with pytest.raises(InvalidInput) as raised:
        list(service.list_polls(db, "pending"))
    assert raised.value.message == "status must be one of open, closed, all, not 'pending'"


def test_show_finds_a_poll_by_id_or_by_title_in_any_case(db, three_polls):
    zebra = three_polls["Zebra"]
    shown = {**zebra, "tally": {"counts": {option["name"]: option["vote_count"] for option in zebra["options"]}}}
    assert service.show_poll(db, zebra["id"]) == shown
    assert service.show_poll(db, "  zEBRA ") == shown


def test_show_of_an_unknown_poll_is_not_found(db):
    with pytest.raises(NotFound) as raised:
        service.show_poll(db, " Nothing  here ")
    assert raised.value.message == "no poll with id or title 'Nothing here'"


def test_an_unknown_poll_of_any_length_is_named_in_a_message_of_bounded_length(db):
    with pytest.raises(NotFound) as missing:
        service.show_poll(db, "x" * 1_000_000)
    assert missing.value.message.startswith("no poll with id or title 'xxx")
    assert len(missing.value.message) < 600
