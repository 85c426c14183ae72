"""The rules of a poll that need no database: what a valid poll is, when it is open,
the document that shows it, and the words of its messages and refusals.

The service applies them to stored rows; import (ops/transfer.py) applies the same
refusals to an export's polls.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from votr_cli.core import ballots, counting, text
from votr_cli.core.errors import InvalidInput, NotFound, Refused
from votr_cli.core.when import iso_utc

MSG_CREATED = "Poll was created succesfully"  # sic: the original app's text, kept for its clients
MSG_VOTED = "Thank you for voting"
MSG_MULTIPLE_VOTES = "Sorry! multiple votes are not allowed"
MSG_CHANGED = "Your vote was changed"
MSG_UNVOTED = "Your vote was withdrawn"
MSG_CLOSED = "Poll closed"
MSG_ALREADY_CLOSED = "Poll was already closed"
MSG_REOPENED = "Poll reopened"
MSG_ALREADY_OPEN = "Poll was already open"
MIN_OPTIONS = 2
OPTIONS_LISTED = 20  # an unknown option's error lists the poll's options up to this many
# An unknown poll's error suggests up to this many close titles (or ids), picked by
# difflib from at most SUGGESTION_CANDIDATES polls that begin as the reference does.
SUGGESTIONS = 3
SUGGESTION_CANDIDATES = 5000
_SUGGESTION_CUTOFF = 0.6
_ID_SUGGESTION_CUTOFF = 0.7
# A reference that could be a mistyped id: a short word of letters and digits.
_ID_LIKE = re.compile("[0-9a-z]{6,10}")


class NewPoll(NamedTuple):
    """A poll to create, validated and normalised."""

    title: str  # display form
    title_key: str
    choices: dict[str, str]  # option key -> display form, in the order given
    shape: Shape


class Shape(NamedTuple):
    """A poll's kind, counting method and the bounds of a ballot's number of choices."""

    kind: str = "single"
    method: str = "plurality"
    min_choices: int = 1
    max_choices: int = 1


SINGLE = Shape()

RESULTS = ("always", "voted", "closed")
# The largest quorum: the largest INTEGER every backend stores (PostgreSQL's and
# MariaDB's INT are 32-bit), far past any number of voters.
MAX_QUORUM = 2**31 - 1


class Policy(NamedTuple):
    """A poll's ballot policies (README: Ballot policies).

    allow_change: voting again replaces the voter's ballot, and `unvote` removes it.
    results: when counts are shown: always; to a voter once they have voted; after close.
    secret: who voted and what was chosen are stored apart, with nothing to pair them.
    quorum: the fewest ballots for a poll to have winners; None: no quorum.
    invite_only: only voters invited to the poll may vote (README: Share a poll).
    """

    allow_change: bool = False
    results: str = "always"
    secret: bool = False
    quorum: int | None = None
    invite_only: bool = False


DEFAULT_POLICY = Policy()


def ballot_policy(allow_change: bool = False, results: str = "always", secret: bool = False,
                  quorum: int | None = None, invite_only: bool = False) -> Policy:
    """A new poll's policies, checked: a known results setting, a quorum of at least one
    voter, and no vote changes in a secret poll (changing a ballot means finding it,
    which a secret poll makes impossible)."""
    if results not in RESULTS:
        raise InvalidInput(f"results must be one of {', '.join(RESULTS)}, not {results!r}")
    if quorum is not None and (isinstance(quorum, bool) or not isinstance(quorum, int)
                               or not 1 <= quorum <= MAX_QUORUM):
        raise InvalidInput(f"quorum must be a whole number of voters from 1 to {MAX_QUORUM}, "
                           f"not {text.quoted(quorum)}")
    if secret and allow_change:
        raise InvalidInput("a secret poll cannot allow vote changes: nothing pairs a voter with their "
                           "ballot, so there is no ballot to change")
    return Policy(bool(allow_change), results, bool(secret), quorum, bool(invite_only))


def results_hidden(policy: Policy, open_now: bool, viewer_voted: bool) -> bool:
    """Whether a poll's counts are hidden from this viewer now."""
    if not open_now or policy.results == "always":
        return False
    return policy.results == "closed" or not viewer_voted


def new_poll(title: str, option_names: Sequence[str], kind: str = "single", method: str | None = None,
             min_choices: int | None = None, max_choices: int | None = None) -> NewPoll:
    """The title, options and shape of a new poll, by the rules `create` promises: each
    text valid (core/text.py), at least two options, none listed twice, a kind and
    method that fit (poll_shape)."""
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
    shape = poll_shape(kind, method, min_choices, max_choices, len(choices))
    return NewPoll(display_title, text.key(display_title), choices, shape)


def poll_shape(kind: str, method: str | None, min_choices: int | None, max_choices: int | None,
               option_count: int) -> Shape:
    """A poll's shape from what `create` was given: the method defaults to the kind's
    first; the bounds apply to multiple and ranked polls only, 1 to every option by
    default (single: 1 and 1; score: 1 and every option, the options a ballot may name)."""
    if kind not in ballots.KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(ballots.KINDS)}, not {kind!r}")
    methods = counting.METHODS_BY_KIND[kind]
    method = methods[0] if method is None else method
    if method not in methods:
        raise InvalidInput(f"method {method!r} does not fit a {kind} poll: "
                           f"use {' or '.join(methods)}")
    if kind not in ("multiple", "ranked"):
        if min_choices is not None or max_choices is not None:
            raise InvalidInput(f"min and max choices are only for multiple and ranked polls, not {kind}")
        return Shape(kind, method, 1, 1 if kind == "single" else option_count)
    least = 1 if min_choices is None else min_choices
    most = option_count if max_choices is None else max_choices
    for what, value in (("min", least), ("max", most)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInput(f"{what} choices must be a whole number of at least 1, not {value!r}")
    if most > option_count:
        raise InvalidInput(f"max choices ({most}) is more than the poll's {option_count} options")
    if least > most:
        raise InvalidInput(f"min choices ({least}) is more than max choices ({most})")
    return Shape(kind, method, least, most)


def poll_ref(ref: str, normalise=text) -> str:
    """The display form of a POLL argument (an id or a title). `normalise` is the text
    module or anything with the same `clean`, such as a cache of it."""
    return normalise.clean(ref, "poll", limit=max(len(ref), 1))


def is_open(status: bool | None, close_date: dt.datetime | None, now: dt.datetime) -> bool:
    """Open: its status says so and its close date, if any, is still ahead."""
    return bool(status) and (close_date is None or close_date > now)


def poll_document(public_id: str, title: str, status: bool | None, close_date: dt.datetime | None,
                  choices: Sequence[tuple[str, int]], now: dt.datetime, shape: Shape = SINGLE,
                  voter_count: int | None = None, winners: list[str] | None = None,
                  policy: Policy = DEFAULT_POLICY, viewer_voted: bool = False) -> dict:
    """A poll as the contract shows it; `choices` are (name, vote count) in the poll's order.

    `winners` must be given for the methods that need ballots (counting.BALLOT_METHODS);
    the others' follow from the counts. `voter_count` defaults to the total, which it is
    for single polls. `viewer_voted`: whoever asks has a ballot in the poll, which shows
    the results of a poll that hides them until one has voted.
    """
    open_now = is_open(status, close_date, now)
    total = sum(vote_count for _, vote_count in choices)
    voters = total if voter_count is None else voter_count
    quorum_reached = policy.quorum is None or voters >= policy.quorum
    hidden = results_hidden(policy, open_now, viewer_voted)
    if hidden:
        options = [{"name": name, "vote_count": None} for name, _ in choices]
        total, winners = None, None
    else:
        options = [{"name": name, "vote_count": vote_count} for name, vote_count in choices]
        if not quorum_reached:
            winners = []
        elif winners is None:
            if shape.method in counting.BALLOT_METHODS:
                raise ValueError(f"{shape.method} needs the ballots, not only the counts")
            winners = counting.winners_from_counts(dict(choices))
    return {
        "id": public_id,
        "title": title,
        "status": open_now,
        "options": options,
        "close_date": iso_utc(close_date),
        "total_vote_count": total,
        "kind": shape.kind,
        "method": shape.method,
        "min_choices": shape.min_choices,
        "max_choices": shape.max_choices,
        "voter_count": voters,
        "winners": winners,
        "allow_change": policy.allow_change,
        "results": policy.results,
        "secret": policy.secret,
        "quorum": policy.quorum,
        "quorum_reached": quorum_reached,
        "results_hidden": hidden,
        "invite_only": bool(policy.invite_only),
    }


def no_poll(display: str, suggestions: Sequence[str] = ()) -> NotFound:
    """`suggestions`: the ids or titles closest to `display` (closest_polls), named in
    the message as "did you mean …?"."""
    # A POLL argument has no length limit: a title is at most MAX_TITLE characters, so
    # a longer one is quoted cut short rather than repeated whole.
    message = f"no poll with id or title {text.quoted(display, text.MAX_TITLE + 2)}"
    if suggestions:
        message += f"; did you mean {' or '.join(text.quoted(s, 80) for s in suggestions)}?"
    return NotFound(message)


def looks_like_id(display: str) -> bool:
    """Whether a poll reference could be a mistyped public id rather than a title."""
    return _ID_LIKE.fullmatch(text.fold(display)) is not None


def suggestion_prefixes(display: str) -> set[str]:
    """How the polls worth comparing with `display` begin: its first character, in
    either case (a bounded set of candidates, rather than every poll)."""
    first = display[:1]
    return {first, first.lower(), first.upper()}


def closest_polls(display: str, candidates: Iterable[tuple[str, str]]) -> list[str]:
    """Up to SUGGESTIONS polls whose title (or, for a reference that looks like an id,
    whose id) is closest to `display`, compared folded; `candidates` are (id, title)."""
    wanted = text.fold(display)
    titles: dict[str, str] = {}
    ids: list[str] = []
    for public_id, title in candidates:
        titles.setdefault(text.fold(title), title)
        ids.append(public_id)
    found: list[str] = []
    if looks_like_id(display):
        found += difflib.get_close_matches(wanted, ids, SUGGESTIONS, _ID_SUGGESTION_CUTOFF)
    found += [titles[folded] for folded in
              difflib.get_close_matches(wanted, list(titles), SUGGESTIONS, _SUGGESTION_CUTOFF)]
    return found[:SUGGESTIONS]


def no_option(poll_title: str, option_display: str, known: Sequence[str] = ()) -> NotFound:
    """`known`: the poll's options, listed in the message when there are few enough."""
    listed = ""
    if known and len(known) <= OPTIONS_LISTED:
        listed = f" (its options: {', '.join(map(repr, known))})"
    return NotFound(f"poll {poll_title!r} has no option {option_display!r}{listed}")


def closed(poll_title: str) -> Refused:
    return Refused(f"poll {poll_title!r} is closed")


def already_voted(voter_key: str) -> Refused:
    return Refused(f"{MSG_MULTIPLE_VOTES}: {voter_key!r} has already voted in this poll")


def changes_not_allowed(poll_title: str) -> Refused:
    return Refused(f"poll {poll_title!r} does not allow changing or withdrawing a vote")


def no_ballot(poll_title: str, voter_key: str) -> NotFound:
    return NotFound(f"{voter_key!r} has no vote in poll {poll_title!r}")


def title_taken(title: str, holder: str | None = None, consequence: str = "") -> Refused:
    """`holder`: the public id of the poll that has the title, when it is known (a
    concurrent writer's is not). `consequence` ends the sentence for callers that
    refuse more than one poll's worth (an import)."""
    who = "a poll" if holder is None else f"poll {holder}"
    return Refused(f"title taken: {who} is already titled {title!r}{consequence}")
