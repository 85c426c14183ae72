"""Creating a poll: what a valid poll is, how its text is normalised, and the title and
option rules, called on the service directly (votr_cli.service.polls) on every backend.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from votr_cli.core.errors import InvalidInput, Refused
from votr_cli.service import polls as service

PUBLIC_ID = re.compile("[23456789abcdefghjkmnpqrstuvwxyz]{8}")


def test_a_new_poll_is_open_with_every_option_at_zero(db):
    created = service.create_poll(db, "Lunch", ["Pizza", "Sushi", "Tacos"], None)
    assert created["message"] == "Poll was created succesfully"  # sic: the original app's text
    poll = created["poll"]
    assert PUBLIC_ID.fullmatch(poll["id"])
    assert poll == {
        "id": poll["id"], "title": "Lunch", "status": True, "close_date": None, "total_vote_count": 0,
        "options": [{"name": name, "vote_count": 0} for name in ("Pizza", "Sushi", "Tacos")],
        "kind": "single", "method": "plurality", "min_choices": 1, "max_choices": 1, "voter_count": 0,
        "winners": [], "allow_change": False, "results": "always", "secret": False, "quorum": None,
        "quorum_reached": True, "results_hidden": False, "invite_only": False,
    }
    assert service.show_poll(db, poll["id"]) == {**poll, "tally": {"counts": {"Pizza": 0, "Sushi": 0, "Tacos": 0}}}
    assert service.poll_count(db) == 1


def test_a_close_date_is_kept_to_the_second_in_utc(db):
    closes = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    poll = service.create_poll(db, "Dated", ["a", "b"], closes)["poll"]
    assert poll["close_date"] == closes.isoformat() + "Z"
    assert poll["status"] is True


def test_text_is_normalised_nfc_trimmed_with_space_runs_collapsed(db):
    poll = service.create_poll(db, "  Cafe\u0301\u00a0 \u3000 menu ", [" Tea ", "Cof\u200a\u200afee"], None)["poll"]
    assert poll["title"] == "Café menu"
    assert [option["name"] for option in poll["options"]] == ["Tea", "Cof fee"]


@pytest.mark.parametrize(("title", "options", "message"), [
    ("", ["a", "b"], "value for title is empty"),
    (" \u3000 ", ["a", "b"], "value for title is empty"),
    ("No options", [], "value for options is empty"),
    ("One option", ["only"], "a poll needs at least 2 options"),
    ("Blank option", ["a", "  "], "value for option is empty"),
    ("Twice", ["Yes", "No", " yes "], "option 'yes' is listed twice in this poll"),
    ("Twice by case", ["Pizza", "PIZZA"], "option 'PIZZA' is listed twice in this poll"),
    ("Twice by NFC", ["Caf\u00e9", "Cafe\u0301"], "option 'Café' is listed twice in this poll"),
    ("x" * 501, ["a", "b"], "title is longer than 500 characters (501)"),
    ("Long option", ["a", "o" * 201], "option is longer than 200 characters (201)"),
    ("Bell\x07", ["a", "b"], "title contains a control character (U+0007)"),
    ("Tab", ["a\tb", "c"], "option contains a control character (U+0009)"),
    ("Override", ["a\u202eb", "c"], "option contains a control character (U+202E)"),
    ("Surrogate", ["a\udcff", "b"], "option is not valid UTF-8 text"),
])
def test_an_invalid_poll_is_refused_and_nothing_is_stored(db, title, options, message):
    with pytest.raises(InvalidInput) as raised:
        service.create_poll(db, title, options, None)
    assert raised.value.message == message
    assert service.poll_count(db) == 0
    assert service.list_options(db) == []


def test_the_length_limits_are_inclusive(db):
    poll = service.create_poll(db, "t" * 500, ["o" * 200, "p"], None)["poll"]
    assert len(poll["title"]) == 500
    assert poll["options"][0]["name"] == "o" * 200


def test_a_title_is_taken_whatever_its_case_or_spacing(db):
    first = service.create_poll(db, "Lunch  time", ["a", "b"], None)["poll"]
    with pytest.raises(Refused) as raised:
        service.create_poll(db, " LUNCH time ", ["c", "d"], None)
    assert raised.value.message == f"title taken: poll {first['id']} is already titled 'LUNCH time'"
    assert service.poll_count(db) == 1


def test_options_are_shared_between_polls_and_keep_their_first_spelling(db):
    service.create_poll(db, "Lunch", ["Pizza", "Sushi"], None)
    second = service.create_poll(db, "Dinner", ["PIZZA", "Tacos"], None)["poll"]
    assert [option["name"] for option in second["options"]] == ["Pizza", "Tacos"]
    assert [option["name"] for option in service.list_options(db)] == ["Pizza", "Sushi", "Tacos"]


def test_options_keep_the_order_they_were_given_in(db):
    names = ["zeta", "alpha", "Mu", "beta"]
    poll = service.create_poll(db, "Order", names, None)["poll"]
    assert [option["name"] for option in poll["options"]] == names
