"""The rules of a poll that need no database: what a valid poll is, when it is open,
the document that shows it, and the words of its messages and refusals.

The service applies them to stored rows; import (ops/transfer.py) applies the same
refusals to an export's polls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from votr_cli.core import text
from votr_cli.core.errors import InvalidInput, NotFound, Refused
from votr_cli.core.when import iso_utc

MSG_CREATED = "Poll was created succesfully"  # sic: the original app's text, kept for its clients
MSG_VOTED = "Thank you for voting"
MSG_MULTIPLE_VOTES = "Sorry! multiple votes are not allowed"
MSG_CLOSED = "Poll closed"
MSG_ALREADY_CLOSED = "Poll was already closed"
MSG_REOPENED = "Poll reopened"
MSG_ALREADY_OPEN = "Poll was already open"
MIN_OPTIONS = 2


class NewPoll(NamedTuple):
    """A poll to create, validated and normalised."""

    title: str  # display form
    title_key: str
    choices: dict[str, str]  # option key -> display form, in the order given


def new_poll(title: str, option_names: Sequence[str]) -> NewPoll:
    """The title and options of a new poll, by the rules `create` promises: each text
    valid (core/text.py), at least two options, none listed twice."""
    display_title = text.clean(title, "title", text.MAX_TITLE)
    if not option_names:
        raise text.empty("options")
    choices: dict[str, str] = {}
    for name in option_names:
        display = text.clean(name, "option", text.MAX_OPTION)
        option_key = text.key(display)
        if option_key in choices:
            raise InvalidInput(f"option {display!r} is listed twice in this poll")
        choices[option_key] = display
    if len(choices) < MIN_OPTIONS:
        raise InvalidInput(f"a poll needs at least {MIN_OPTIONS} options")
    return NewPoll(display_title, text.key(display_title), choices)


def poll_ref(ref: str, normalise=text) -> str:
    """The display form of a POLL argument (an id or a title). `normalise` is the text
    module or anything with the same `clean`, such as a cache of it."""
    return normalise.clean(ref, "poll", limit=max(len(ref), 1))


def is_open(status: bool | None, close_date: dt.datetime | None, now: dt.datetime) -> bool:
    """Open: its status says so and its close date, if any, is still ahead."""
    return bool(status) and (close_date is None or close_date > now)


def poll_document(public_id: str, title: str, status: bool | None, close_date: dt.datetime | None,
                  choices: Sequence[tuple[str, int]], now: dt.datetime) -> dict:
    """A poll as the contract shows it; `choices` are (name, vote count) in the poll's order."""
    options = [{"name": name, "vote_count": vote_count} for name, vote_count in choices]
    return {
        "id": public_id,
        "title": title,
        "status": is_open(status, close_date, now),
        "options": options,
        "close_date": iso_utc(close_date),
        "total_vote_count": sum(option["vote_count"] for option in options),
    }


def no_poll(display: str) -> NotFound:
    # A POLL argument has no length limit: a title is at most MAX_TITLE characters, so
    # a longer one is quoted cut short rather than repeated whole.
    return NotFound(f"no poll with id or title {text.quoted(display, text.MAX_TITLE + 2)}")


def no_option(poll_title: str, option_display: str) -> NotFound:
    return NotFound(f"poll {poll_title!r} has no option {option_display!r}")


def closed(poll_title: str) -> Refused:
    return Refused(f"poll {poll_title!r} is closed")


def already_voted(voter_key: str) -> Refused:
    return Refused(f"{MSG_MULTIPLE_VOTES}: {voter_key!r} has already voted in this poll")


def title_taken(title: str, holder: str | None = None, consequence: str = "") -> Refused:
    """`holder`: the public id of the poll that has the title, when it is known (a
    concurrent writer's is not). `consequence` ends the sentence for callers that
    refuse more than one poll's worth (an import)."""
    who = "a poll" if holder is None else f"poll {holder}"
    return Refused(f"title taken: {who} is already titled {title!r}{consequence}")
