"""votr's use cases: create, vote (one or a batch), close, reopen, list and show.

Every function takes a Database and plain values (times as naive UTC datetimes, which
the front ends parse) and returns plain data (dicts and lists shaped like the JSON the
contract promises) or raises one of votr's domain errors. The rules that need no
database are in core/polls.py and core/text.py; nothing here knows about click, rich,
HTTP or exit codes, so every front end calls it unchanged.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import functools
import gc
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, delete, false, func, insert, not_, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from votr_cli.core import ballots as ballot_rules
from votr_cli.core import counting
from votr_cli.core import invites as invite_rules
from votr_cli.core import polls as rules
from votr_cli.core import text
from votr_cli.core.errors import InvalidInput, VotrError
from votr_cli.core.ids import new_public_id
from votr_cli.core.when import utcnow
from votr_cli.db import ballot_reader
from votr_cli.db.chunks import KEYS_PER_QUERY, batched
from votr_cli.db.database import Database, WriteConflict
from votr_cli.db.prepared import Prepared, row_type
from votr_cli.db.dialect import driver_value, insert_ignoring_duplicates, insert_many, needs_row_locks
from votr_cli.db.tables import (SECRET_ID_LENGTH, ballots, invites, options, poll_voters, polls, secret_ballots,
                                topics)

STATUSES = ("open", "closed", "all")
# A batch suggests close titles for this many distinct unknown poll references, at most.
BATCH_SUGGESTED = 20



# -- reading -------------------------------------------------------------------------


def is_open_clause(now: dt.datetime):
    """SQL for "the poll is open": its status is open and its close date, if any, is ahead."""
    return and_(topics.c.status == true(), or_(topics.c.close_date.is_(None), topics.c.close_date > now))


def _shape(topic) -> rules.Shape:
    return rules.Shape(topic.kind, topic.method, topic.min_choices, topic.max_choices)


def _policy(topic) -> rules.Policy:
    return rules.Policy(topic.allow_change, topic.results, topic.secret, topic.quorum, topic.invite_only)


def _poll_document(topic, option_rows: Sequence, now: dt.datetime, winners: list[str] | None = None,
                   viewer_voted: bool = False) -> dict:
    """`winners`: required for the methods that count ballots (counting.BALLOT_METHODS),
    unless the results are hidden from the viewer."""
    return rules.poll_document(topic.public_id, topic.title, topic.status, topic.close_date,
                               [(row.name, row.vote_count) for row in option_rows], now,
                               _shape(topic), topic.voter_count, winners, _policy(topic), viewer_voted)


_TOPIC_COLUMNS = (topics.c.id, topics.c.public_id, topics.c.title, topics.c.status, topics.c.close_date,
                  topics.c.kind, topics.c.method, topics.c.min_choices, topics.c.max_choices,
                  topics.c.voter_count, topics.c.allow_change, topics.c.results, topics.c.secret,
                  topics.c.quorum, topics.c.invite_only)
# Where _listed_documents finds a listing row's values (the listing adds an option's name
# and count after the poll's columns).
_KIND_AT, _VOTER_COUNT_AT, _ALLOW_CHANGE_AT, _NAME_AT = 5, 9, 10, len(_TOPIC_COLUMNS)


def _hidden(topic, now: dt.datetime, viewer_voted: bool) -> bool:
    return rules.results_hidden(_policy(topic), rules.is_open(topic.status, topic.close_date, now), viewer_voted)


def _has_voted(conn: Connection, topic, viewer_key: str | None) -> bool:
    """Whether the viewer (a normalised voter name) has a ballot in the poll."""
    if viewer_key is None:
        return False
    if topic.secret:
        query = select(poll_voters.c.topic_id).where(poll_voters.c.topic_id == topic.id,
                                                     poll_voters.c.voter == viewer_key)
    else:
        query = select(ballots.c.id).where(ballots.c.topic_id == topic.id, ballots.c.voter == viewer_key)
    return conn.execute(query).first() is not None


def _polls_voted_in(conn: Connection, viewer_key: str | None) -> set[int]:
    """The polls the viewer has a ballot in, secret ones included."""
    if viewer_key is None:
        return set()
    voted = set(conn.execute(select(ballots.c.topic_id).where(ballots.c.voter == viewer_key)).scalars())
    voted.update(conn.execute(select(poll_voters.c.topic_id).where(poll_voters.c.voter == viewer_key)).scalars())
    return voted


def _viewer_key(viewer: str | None) -> str | None:
    """The viewer as a voter name; a name no voter can have has voted nowhere."""
    try:
        return None if viewer is None else text.voter_name(viewer)
    except InvalidInput:
        return None


# The statements a vote runs, built once: building a statement costs more than running
# it on SQLite, and votr serve runs them for every vote (see db/prepared.py).
_OptionRow = row_type("_OptionRow", (options.c.name, polls.c.vote_count))
_OPTION_ROWS = Prepared(select(options.c.name, polls.c.vote_count)
                        .join_from(polls, options, polls.c.option_id == options.c.id)
                        .where(polls.c.topic_id == bindparam("topic_id"))
                        .order_by(polls.c.position),
                        row_type=_OptionRow)


def _option_rows(conn: Connection, topic_id: int) -> list:
    return _OPTION_ROWS.rows(conn, {"topic_id": topic_id})


def _count(conn: Connection, topic, option_rows: Sequence) -> counting.Count:
    """The poll's result and its working: from the counters, or for the methods that need
    them, from its ballots."""
    if topic.method not in counting.BALLOT_METHODS:
        return counting.from_counters(topic.method, {row.name: row.vote_count for row in option_rows},
                                      topic.voter_count)
    names = [row.name for row in option_rows]
    width = len(names) if topic.kind == "score" else topic.max_choices
    return counting.count_stored(topic.method, names,
                                 ballot_reader.stored_ballots(conn, topic.id, topic.kind, width, topic.secret))


def _shown(conn: Connection, topic, now: dt.datetime, viewer_voted: bool, with_tally: bool = False,
           rows: Sequence | None = None) -> dict:
    """The poll as this viewer sees it; counted only when its results are shown. `rows`:
    its options' (name, vote_count) rows, when the caller has them."""
    if rows is None:
        rows = _option_rows(conn, topic.id)
    if _hidden(topic, now, viewer_voted):
        document = _poll_document(topic, rows, now, None, viewer_voted)
        return {**document, "tally": None} if with_tally else document
    result = _count(conn, topic, rows)
    document = _poll_document(topic, rows, now, result.winners, viewer_voted)
    return {**document, "tally": result.tally} if with_tally else document


def _poll_by_topic_id(conn: Connection, topic_id: int, now: dt.datetime, viewer_key: str | None = None) -> dict:
    topic = conn.execute(select(*_TOPIC_COLUMNS).where(topics.c.id == topic_id)).one()
    return _shown(conn, topic, now, _has_voted(conn, topic, viewer_key))


def _topics_query(condition, lock: bool):
    query = select(*_TOPIC_COLUMNS).where(condition)
    if lock:
        # Servers: a vote locks the poll row, whose voter_count it updates, so a
        # concurrent close waits for it (and the other way round). FOR NO KEY UPDATE on
        # PostgreSQL, which the foreign keys of new ballots do not wait for. SQLite's
        # BEGIN IMMEDIATE already serialises.
        query = query.with_for_update(key_share=True)
    return query


# The poll a reference names: the one with that public id, else the one with that title
# (titles are unique); both in one statement, and the id wins below.
_Topic = row_type("_Topic", _TOPIC_COLUMNS)
_TOPIC_BY_REF = {lock: Prepared(_topics_query(or_(topics.c.public_id == bindparam("ref_id"),
                                                  topics.c.title_key == bindparam("ref_key")), lock),
                                row_type=_Topic)
                 for lock in (False, True)}


def _find_topic(conn: Connection, ref: str, *, lock: bool = False):
    """A poll by public id, else by exact (normalised) title."""
    display = rules.poll_ref(ref)
    found = _TOPIC_BY_REF[lock].rows(conn, {"ref_id": display, "ref_key": text.key(display)})
    for topic in found:
        if topic.public_id == display:
            return topic
    if found:
        return found[0]
    raise rules.no_poll(display, _closest_polls(conn, display))


def _suggestion_candidates(conn: Connection, display: str) -> list[tuple[str, str]]:
    """The polls an unknown reference is compared with, (id, title): those whose title,
    or for a reference that looks like an id, whose id, begins as it does, at most
    rules.SUGGESTION_CANDIDATES of them. Only an error pays for this query."""
    prefixes = sorted(rules.suggestion_prefixes(display))
    condition = or_(*(topics.c.title.startswith(prefix, autoescape=True) for prefix in prefixes))
    if rules.looks_like_id(display):
        condition = or_(condition, topics.c.public_id.startswith(text.fold(display)[:1], autoescape=True))
    query = select(topics.c.public_id, topics.c.title).where(condition).limit(rules.SUGGESTION_CANDIDATES)
    return [tuple(row) for row in conn.execute(query)]


def _closest_polls(conn: Connection, display: str, candidates: dict | None = None) -> list[str]:
    """`candidates`: a cache of _suggestion_candidates' answers, for a batch that asks
    about many references: those that begin alike are compared with the same polls."""
    if candidates is None:
        return rules.closest_polls(display, _suggestion_candidates(conn, display))
    asked = (frozenset(rules.suggestion_prefixes(display)), rules.looks_like_id(display))
    if asked not in candidates:
        candidates[asked] = _suggestion_candidates(conn, display)
    return rules.closest_polls(display, candidates[asked])


def list_polls(db: Database, status: str = "all", viewer: str | None = None) -> Iterator[dict]:
    """Every poll in creation order, streamed: the same few SQL statements whatever the
    count (the viewer's polls, the polls counted from their ballots, then one listing
    query), plus a count for each poll whose method needs its ballots.
    `viewer`: who asks, for the polls that show results only to those who voted."""
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    now = utcnow()
    query = (
        select(*_TOPIC_COLUMNS, options.c.name, polls.c.vote_count)
        .select_from(topics)
        .outerjoin(polls, polls.c.topic_id == topics.c.id)
        .outerjoin(options, options.c.id == polls.c.option_id)
        .order_by(topics.c.id, polls.c.position)
    )
    if status == "open":
        query = query.where(is_open_clause(now))
    elif status == "closed":
        query = query.where(not_(is_open_clause(now)))
    with db.reading() as conn:
        # Looked up and counted first, in the same snapshot: a server may not run another
        # statement on a connection while it streams the listing.
        voted = _polls_voted_in(conn, _viewer_key(viewer))
        winners = _counted_winners(conn, query.whereclause, now, voted)
        rows = conn.execution_options(yield_per=2000).execute(query)
        yield from _listed_documents(rows, now, winners, voted)


def _listed_documents(rows, now: dt.datetime, winners: dict[int, list[str]], voted: set[int]) -> Iterator[dict]:
    """The listing's rows (a poll's columns, then one option's name and count), one poll
    after another, as documents. Written for speed: listing 100,000 polls makes this loop
    votr's hottest (README: Performance), so rows are read by position and each distinct
    shape and policy is made once."""
    shapes: dict[tuple, rules.Shape] = {}
    policies: dict[tuple, rules.Policy] = {}
    shape_at = slice(_KIND_AT, _KIND_AT + 4)
    policy_at = slice(_ALLOW_CHANGE_AT, _ALLOW_CHANGE_AT + len(rules.Policy._fields))
    topic, choices = None, []

    def document() -> dict:
        topic_id = topic[0]
        shape_key, policy_key = topic[shape_at], topic[policy_at]
        shape = shapes.get(shape_key) or shapes.setdefault(shape_key, rules.Shape(*shape_key))
        policy = policies.get(policy_key) or policies.setdefault(policy_key, rules.Policy(*policy_key))
        return rules.poll_document(topic[1], topic[2], topic[3], topic[4], choices, now, shape,
                                   topic[_VOTER_COUNT_AT], winners.get(topic_id), policy, topic_id in voted)

    for row in rows:
        if topic is None or row[0] != topic[0]:
            if topic is not None:
                yield document()
            topic, choices = row, []
        if row[_NAME_AT] is not None:
            choices.append((row[_NAME_AT], row[_NAME_AT + 1]))
    if topic is not None:
        yield document()


def _counted_winners(conn: Connection, condition, now: dt.datetime, voted: set[int]) -> dict[int, list[str]]:
    """The winners of the listed polls whose method counts ballots, by topic id (those
    whose results the viewer may see)."""
    query = select(*_TOPIC_COLUMNS).where(topics.c.method.in_(sorted(counting.BALLOT_METHODS)))
    if condition is not None:
        query = query.where(condition)
    return {topic.id: _count(conn, topic, _option_rows(conn, topic.id)).winners
            for topic in conn.execute(query).all() if not _hidden(topic, now, topic.id in voted)}


def show_poll(db: Database, ref: str, viewer: str | None = None) -> dict:
    """A poll, with `tally`: the working of its count (README: Poll kinds), or None where
    its results are hidden from `viewer`."""
    viewer_key = _viewer_key(viewer)
    with db.reading() as conn:
        topic = _find_topic(conn, ref)
        return _shown(conn, topic, utcnow(), _has_voted(conn, topic, viewer_key), with_tally=True)


def ballot_paper(db: Database, ref: str, voter: str) -> dict:
    """What a voter needs to fill a ballot of the poll before casting it with `vote`: its
    id, title, kind, choice bounds and option names in order, and whether the voter has
    voted (`voted`: a poll that allows changes takes a second ballot). Refused as `vote`
    would refuse any ballot from this voter: the poll closed, or already voted in a poll
    that allows no changes. Reads only; `vote` judges the ballot again when it is cast."""
    voter_key = text.voter_name(voter)
    with db.reading() as conn:
        topic = _find_topic(conn, ref)
        _check_invited(conn, topic, voter_key)
        if not rules.is_open(topic.status, topic.close_date, utcnow()):
            raise rules.closed(topic.title)
        voted = _has_voted(conn, topic, voter_key)
        if voted and not topic.allow_change:
            raise rules.already_voted(voter_key)
        return {"id": topic.public_id, "title": topic.title, "kind": topic.kind,
                "min_choices": topic.min_choices, "max_choices": topic.max_choices,
                "options": _option_names(conn, topic.id), "voted": voted}


def list_options(db: Database) -> list[dict]:
    with db.reading() as conn:
        rows = conn.execute(select(options.c.public_id, options.c.name).order_by(options.c.id))
        return [{"id": row.public_id, "name": row.name} for row in rows]


# -- completion ----------------------------------------------------------------------
# What a shell's Tab offers. These read without creating anything (no file, table or
# backup): no database yet offers nothing.


def completion_polls(db: Database, prefix: str, status: str = "all") -> list[dict]:
    """The polls a POLL argument that starts with `prefix` can name: those whose id
    starts with it (a typed character at least) or whose title does, compared as votr
    compares titles (case-folded). Open polls first, then closed ones, newest first in
    each. Each is {"id", "title", "open", "by_id", "by_title"}: how it matched.
    `status`: "open", "closed" or "all"."""
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    wanted = text.fold(prefix.lstrip())
    now = utcnow()
    with db.reading_existing() as conn:
        if conn is None:
            return []
        is_open = is_open_clause(now)
        query = select(topics.c.public_id, topics.c.title, is_open.label("open")).order_by(
            is_open.desc(), topics.c.id.desc())
        found = []
        for row in conn.execute(query):
            is_now_open = bool(row.open)
            if status != "all" and is_now_open != (status == "open"):
                continue
            by_id = bool(prefix) and row.public_id.startswith(prefix)
            by_title = text.fold(row.title).startswith(wanted)
            if by_id or by_title:
                found.append({"id": row.public_id, "title": row.title, "open": is_now_open,
                              "by_id": by_id, "by_title": by_title})
        return found


def completion_options(db: Database, ref: str, typed: Sequence[str], prefix: str) -> list[str]:
    """The options of poll `ref` (found as every command finds a poll: id, then title)
    that a ballot could name next: those whose name starts with `prefix` (case-folded),
    in the poll's order, leaving out those in `typed` (a score poll's `name=score`
    pairs by their name), and none once the ballot is full (one option in a single
    poll, --max in multiple and ranked ones). An unknown poll has none."""
    with db.reading_existing() as conn:
        if conn is None:
            return []
        try:
            topic = _find_topic(conn, ref)
        except VotrError:
            return []
        if topic.kind == "score":
            typed = [option.rpartition("=")[0] or option for option in typed]
        limit = {"single": 1, "score": None}.get(topic.kind, topic.max_choices)
        if limit is not None and len(typed) >= limit:
            return []
        taken = {text.fold(option.strip()) for option in typed}
        wanted = text.fold(prefix.lstrip())
        return [name for name in _option_names(conn, topic.id)
                if text.fold(name) not in taken and text.fold(name).startswith(wanted)]


# -- writing -------------------------------------------------------------------------


def create_poll(db: Database, title: str, option_names: Sequence[str], close_date: dt.datetime | None = None,
                *, kind: str = "single", method: str | None = None, min_choices: int | None = None,
                max_choices: int | None = None, allow_change: bool = False, results: str = "always",
                secret: bool = False, quorum: int | None = None, invite_only: bool = False) -> dict:
    """Create an open poll; `close_date` (naive UTC) closes it then. `kind`, `method` and
    the bounds of a ballot's choices as core/polls.poll_shape takes them; the ballot
    policies as core/polls.ballot_policy does. `invite_only`: only the voters invited
    with service/invites.invite may vote."""
    poll = rules.new_poll(title, option_names, kind, method, min_choices, max_choices)
    policy = rules.ballot_policy(allow_change, results, secret, quorum, invite_only)

    def work(conn: Connection) -> dict:
        now = utcnow()
        taken = conn.execute(
            select(topics.c.public_id).where(topics.c.title_key == poll.title_key)
        ).scalar_one_or_none()
        if taken is not None:
            raise rules.title_taken(poll.title, taken)
        option_ids = _ensure_options(conn, poll.choices, now)
        public_id = _new_public_id(conn)
        try:
            topic_id = conn.execute(
                insert(topics).values(public_id=public_id, title=poll.title, title_key=poll.title_key,
                                      status=True, close_date=close_date, date_created=now,
                                      voter_count=0, **poll.shape._asdict(), **policy._asdict())
            ).inserted_primary_key[0]
        except IntegrityError:
            # Another writer took the title between our check and our insert (servers only).
            raise rules.title_taken(poll.title) from None
        conn.execute(insert(polls), [
            {"topic_id": topic_id, "option_id": option_ids[option_key], "position": position,
             "vote_count": 0}
            for position, option_key in enumerate(poll.choices)
        ])
        return {"message": rules.MSG_CREATED, "poll": _poll_by_topic_id(conn, topic_id, now)}

    return db.write(work)


def _ensure_options(conn: Connection, choices: dict[str, str], now: dt.datetime) -> dict[str, int]:
    """Row ids of the options, creating the missing ones. An existing option keeps its
    first spelling: the seed app's "link existing options"."""
    insert_ignoring_duplicates(conn, options, [
        {"public_id": str(uuid.uuid4()), "name": display, "name_key": option_key, "date_created": now}
        for option_key, display in choices.items()
    ])
    # In groups: a poll may have more options than a statement may have parameters.
    found: dict[str, int] = {}
    for group in batched(list(choices), KEYS_PER_QUERY):
        rows = conn.execute(select(options.c.name_key, options.c.id).where(options.c.name_key.in_(group)))
        found.update((row.name_key, row.id) for row in rows)
    return found


def _new_public_id(conn: Connection) -> str:
    return new_public_id(
        lambda candidate: conn.execute(select(topics.c.id).where(topics.c.public_id == candidate)).first() is not None)


class _BallotTarget(NamedTuple):
    """What a vote asks for, before the poll's kind is known (a tuple: a batch uses it as
    a dictionary key once per line).

    options: the option arguments as given (a score poll's are OPTION=SCORE pairs);
    scores: (name, score) pairs given as such (a batch's or the HTTP API's `scores`).
    """

    ref: str
    options: tuple[str, ...]
    scores: tuple[tuple[str, Any], ...] | None = None


class _PlainText:
    """votr_cli.core.text's normalisers, as _RememberedText gives them (without memory)."""

    clean = staticmethod(text.clean)
    key = staticmethod(text.key)
    voter_name = staticmethod(text.voter_name)

    @staticmethod
    def option_name(raw: str) -> tuple[str, str]:
        """An option as a vote names it: its display form and its key."""
        if not isinstance(raw, str):
            raise InvalidInput(f"an option must be text, not {type(raw).__name__}")
        display = text.clean(raw, "option", text.MAX_OPTION)
        return display, text.key(display)


def _ballot_target(ref: str, options: Sequence[str] | str, scores=None, normalise=_PlainText) -> _BallotTarget:
    """`normalise` is _PlainText, or a _RememberedText that gives the same answers."""
    if isinstance(options, str):
        options = (options,)
    pairs = None if scores is None else tuple(scores.items() if isinstance(scores, dict) else scores)
    return _BallotTarget(rules.poll_ref(ref, normalise), tuple(options), pairs)


def _named_options(kind: str, target: _BallotTarget, normalise) -> tuple[list[tuple[str, str]], list[int] | None]:
    """The options a vote names, as (display, key), and a score poll's scores, in the
    order given. Raises InvalidInput for text or a score that is not valid."""
    if kind != "score":
        if target.scores is not None:
            raise InvalidInput(f"a {kind} poll takes options, not scores")
        try:
            return [normalise.option_name(option) for option in target.options], None
        except TypeError:  # an unhashable value, which only a caller of the service can give
            raise InvalidInput("an option must be text") from None
    if target.scores is not None:
        pairs = list(target.scores)
    else:
        pairs = [ballot_rules.parse_score_pair(option) for option in target.options]
    named = [_PlainText.option_name(name) for name, _ in pairs]
    return named, [ballot_rules.parse_score(score, display) for (_, score), (display, _) in zip(pairs, named)]


class _Verdict(NamedTuple):
    """A valid ballot for a poll, in rows: its ballot columns and what it adds to which
    polls row's counter."""

    topic_id: int
    option_id: int | None
    choices: str | None
    increments: tuple[tuple[int, int], ...]  # (polls row id, amount)


def _judge(topic, target: _BallotTarget, find_choice: Callable[[str], Any], now: dt.datetime,
           normalise=_PlainText, known_options: Callable[[], Sequence[str]] = tuple) -> _Verdict:
    """The rules between a request and its ballot: the options exist in the poll, the
    ballot fits the poll's kind, the poll is open. `find_choice` gives the poll's row for
    an option key (polls.id, option_id, position) or None."""
    named, scores = _named_options(topic.kind, target, normalise)
    found = [find_choice(option_key) for _, option_key in named]
    if None in found:  # a _Choice is a tuple: compared with None at C speed
        display = named[found.index(None)][0]
        raise rules.no_option(topic.title, display, known_options())
    positions = [row.position for row in found]
    rows = dict(zip(positions, found))
    chosen = [(position, display) for position, (display, _) in zip(positions, named)]
    option_count = topic.max_choices if topic.kind == "score" else 0
    ballot = ballot_rules.build(topic.kind, topic.min_choices, topic.max_choices, option_count, chosen, scores)
    if not rules.is_open(topic.status, topic.close_date, now):
        raise rules.closed(topic.title)
    option_id = None if ballot.option_position is None else rows[ballot.option_position].option_id
    increments = tuple([(rows[position].id, amount) for position, amount in ballot.counted if amount])
    return _Verdict(topic.id, option_id, ballot.choices, increments)


_CHOICE_COLUMNS = (polls.c.id, polls.c.topic_id, polls.c.option_id, polls.c.position, options.c.name_key)


class _Choice(NamedTuple):
    """An option of a poll, as a vote finds it (a plain tuple: a batch reads its fields a
    few times per line)."""

    id: int  # the polls row, whose vote_count counts it
    topic_id: int
    option_id: int
    position: int
    name_key: str


def vote(db: Database, ref: str, options: Sequence[str] | str, voter: str, scores=None, *,
         voter_proven: bool = True) -> dict:
    """One voter's ballot. `options`: the options chosen (ranked polls: most preferred
    first; score polls: OPTION=SCORE pairs, or give `scores` as (name, score) pairs).
    `voter_proven`: False when the caller only names the voter (an API client with no
    token), which an invite-only poll refuses."""
    voter_key = text.voter_name(voter)
    target = _ballot_target(ref, options, scores)

    def work(conn: Connection) -> dict:
        now = utcnow()
        topic = _find_topic(conn, target.ref, lock=needs_row_locks(conn))
        # The poll's options with their counts, read once: to find the chosen ones, and
        # for the answer. The poll row is locked (or, on SQLite, the database), and every
        # writer of its counters locks it first, so only this ballot changes them.
        choices = _POLL_CHOICES.rows(conn, {"topic_id": topic.id})
        by_key = {choice.name_key: choice for choice in choices}
        verdict = _judge(topic, target, by_key.get, now, known_options=lambda: [c.name for c in choices])
        _check_invited(conn, topic, voter_key, voter_proven)  # after the ballot's own checks, as in a batch
        applied = collections.Counter()
        message = _cast(conn, topic, verdict, voter_key, now, applied)
        if topic.secret:
            _shuffle_secret_ballots(conn, topic.id)
        # The poll as the voter now sees it: what was read, plus this ballot.
        voter_count = topic.voter_count
        if message == rules.MSG_VOTED and voter_count is not None:
            voter_count += 1
        rows = [_OptionRow(choice.name, choice.vote_count + applied[choice.id]) for choice in choices]
        return {"message": message,
                "poll": _shown(conn, _Topic(*topic)._replace(voter_count=voter_count), now,
                               viewer_voted=True, rows=rows)}

    return db.write(work)


def _check_invited(conn: Connection, topic, voter_key: str, voter_proven: bool = True) -> None:
    """An invite-only poll takes only the ballots of the voters it invited, from callers
    who proved who votes (NotInvited)."""
    if not topic.invite_only:
        return
    _check_voter_proven(topic, voter_proven)
    found = conn.execute(select(invites.c.id).where(invites.c.topic_id == topic.id,
                                                    invites.c.voter == voter_key)).first()
    if found is None:
        raise invite_rules.not_invited(topic.title, voter_key)


def _check_voter_proven(topic, voter_proven: bool) -> None:
    """An invite-only poll's ballot, cast or withdrawn, comes from a caller who proved
    who votes (NotInvited otherwise)."""
    if topic.invite_only and not voter_proven:
        raise invite_rules.unproven_voter(topic.title)


def _invited_voters(conn: Connection, topic_ids: Iterable[int]) -> dict[int, set[str]]:
    """The invited voters (normalised names) of these polls, by topic id; every poll asked
    for has its set, empty when nobody is invited."""
    invited: dict[int, set[str]] = {topic_id: set() for topic_id in topic_ids}
    for group in batched(sorted(invited), TOPICS_PER_QUERY):
        rows = conn.execute(select(invites.c.topic_id, invites.c.voter).where(invites.c.topic_id.in_(group)))
        for topic_id, voter in rows:
            invited[topic_id].add(voter)
    return invited


def _cast(conn: Connection, topic, verdict: _Verdict, voter_key: str, now: dt.datetime,
          applied: collections.Counter | None = None) -> str:
    """Record a judged ballot with its counters, by the poll's policies; the message.

    The poll row is locked (or, on SQLite, the database), so that nothing else changes
    this voter's ballot in between. `applied`, if given, gets what was added to which
    polls row's counter. A secret poll records that the voter voted in
    poll_voters and the ballot, under a random key, in secret_ballots. Otherwise a
    voter's second ballot replaces the first where the poll allows changes, and is
    refused where it does not; the unique index on (poll, voter) decides which.
    """
    increments = collections.Counter(dict(verdict.increments))
    if applied is None:
        applied = collections.Counter()
    if topic.secret:
        if not insert_ignoring_duplicates(conn, poll_voters, {"topic_id": topic.id, "voter": voter_key}):
            raise rules.already_voted(voter_key)
        conn.execute(insert(secret_ballots).values(id=_secret_key(), topic_id=topic.id,
                                                   option_id=verdict.option_id, choices=verdict.choices))
        _add_to_counters(conn, increments, {topic.id: 1})
        applied.update(increments)
        return rules.MSG_VOTED
    added = insert_ignoring_duplicates(conn, ballots, {
        "topic_id": topic.id, "voter": voter_key, "option_id": verdict.option_id,
        "choices": verdict.choices, "date_created": now,
    })
    if added:
        _add_to_counters(conn, increments, {topic.id: 1})
        applied.update(increments)
        return rules.MSG_VOTED
    if not topic.allow_change:
        raise rules.already_voted(voter_key)
    old = _ballot_of(conn, topic.id, voter_key)
    conn.execute(update(ballots).where(ballots.c.id == old.id)
                 .values(option_id=verdict.option_id, choices=verdict.choices, date_created=now))
    increments.subtract(_counted(conn, topic, old))
    changed = collections.Counter({row: n for row, n in increments.items() if n})
    _add_to_counters(conn, changed, {})
    applied.update(changed)
    return rules.MSG_CHANGED


def _secret_key() -> str:
    return secrets.token_hex(SECRET_ID_LENGTH // 2)


def _ballot_of(conn: Connection, topic_id: int, voter_key: str):
    return conn.execute(select(ballots.c.id, ballots.c.option_id, ballots.c.choices)
                        .where(ballots.c.topic_id == topic_id, ballots.c.voter == voter_key)).one_or_none()


def _counted(conn: Connection, topic, ballot) -> collections.Counter:
    """What a stored ballot added to its poll's counters: polls row id -> amount."""
    rows = dict(conn.execute(select(polls.c.position, polls.c.id).where(polls.c.topic_id == topic.id)).all())
    if topic.kind == "single":
        if ballot.option_id is None:  # a voter carried over without their choice
            return collections.Counter()
        row = conn.execute(select(polls.c.id).where(polls.c.topic_id == topic.id,
                                                    polls.c.option_id == ballot.option_id)).scalar_one()
        return collections.Counter({row: 1})
    choices = ballot_rules.stored_choices(topic.kind, ballot.choices, len(rows))
    return collections.Counter({rows[position]: amount
                                for position, amount in ballot_rules.counted_from(topic.kind, choices).items()})


def _shuffle_secret_ballots(conn: Connection, topic_id: int) -> None:
    """Write the poll's secret ballots anew, in a random order under new random keys, so
    that where they lie follows neither the order of the votes nor poll_voters': a
    PostgreSQL table keeps rows in the order they were written, and SQLite and InnoDB
    pages hold theirs in that order too, whatever their keys."""
    kept = conn.execute(select(secret_ballots.c.option_id, secret_ballots.c.choices)
                        .where(secret_ballots.c.topic_id == topic_id)).all()
    secrets.SystemRandom().shuffle(kept)
    conn.execute(delete(secret_ballots).where(secret_ballots.c.topic_id == topic_id))
    insert_many(conn, secret_ballots, ["id", "topic_id", "option_id", "choices"],
                [(_secret_key(), topic_id, option_id, choices) for option_id, choices in kept])


def unvote(db: Database, ref: str, voter: str, *, voter_proven: bool = True) -> dict:
    """Withdraw the voter's ballot, in a poll that allows changes (`voter_proven` as for
    `vote`)."""
    voter_key = text.voter_name(voter)
    display = rules.poll_ref(ref)

    def work(conn: Connection) -> dict:
        now = utcnow()
        topic = _find_topic(conn, display, lock=needs_row_locks(conn))
        if not rules.is_open(topic.status, topic.close_date, now):
            raise rules.closed(topic.title)
        if not topic.allow_change:
            raise rules.changes_not_allowed(topic.title)
        _check_voter_proven(topic, voter_proven)
        old = _ballot_of(conn, topic.id, voter_key)
        if old is None:
            raise rules.no_ballot(topic.title, voter_key)
        undo = _counted(conn, topic, old)
        conn.execute(delete(ballots).where(ballots.c.id == old.id))
        _add_to_counters(conn, collections.Counter({row: -n for row, n in undo.items()}), {topic.id: -1})
        return {"message": rules.MSG_UNVOTED, "poll": _poll_by_topic_id(conn, topic.id, now, voter_key)}

    return db.write(work)


# A poll's options as a vote reads them: a _Choice, with its name and count.
_POLL_CHOICES = Prepared(select(*_CHOICE_COLUMNS, options.c.name, polls.c.vote_count)
                         .join_from(polls, options, polls.c.option_id == options.c.id)
                         .where(polls.c.topic_id == bindparam("topic_id"))
                         .order_by(polls.c.position),
                         row_type=row_type("_CountedChoice", (*_CHOICE_COLUMNS, options.c.name, polls.c.vote_count)))


def _option_names(conn: Connection, topic_id: int) -> list[str]:
    return list(conn.execute(
        select(options.c.name).join_from(polls, options, polls.c.option_id == options.c.id)
        .where(polls.c.topic_id == topic_id).order_by(polls.c.position)
    ).scalars())


def _add_to_counters(conn: Connection, per_choice: collections.Counter, per_topic: dict[int, int]) -> None:
    """Add new ballots to the options' counters (polls row id -> amount) and to their
    polls' voter counts (topic id -> ballots), one statement each."""
    if per_choice:
        _ADD_TO_OPTION.run_many(conn, [{"choice_id": choice_id, "added": added} for choice_id, added in per_choice.items()])
    if per_topic:
        _ADD_TO_VOTERS.run_many(conn, [{"topic_row": topic_id, "added": added} for topic_id, added in per_topic.items()])


_ADD_TO_OPTION = Prepared(update(polls).where(polls.c.id == bindparam("choice_id"))
                          .values(vote_count=polls.c.vote_count + bindparam("added")))
_ADD_TO_VOTERS = Prepared(update(topics).where(topics.c.id == bindparam("topic_row"))
                          .values(voter_count=topics.c.voter_count + bindparam("added")))


# -- batch voting ----------------------------------------------------------------------

# Lines resolved and written per round of set-based statements. Every round runs inside
# the one transaction of the batch; the size only bounds the statements' parameter lists.
BATCH_ROUND = 5000
# Bounds of one look-up of existing ballots: its parameters (well under SQLite's limit of
# 32766) and the polls x voters pairs it probes in the unique index.
EXISTING_BALLOTS_PARAMETERS = 900
EXISTING_BALLOTS_PROBES = 20_000
TOPICS_PER_QUERY = 500


class BatchLine(NamedTuple):
    """One line of a batch file: what it asks for, or why it could not be read."""

    number: int
    poll: str | None = None
    option: str | None = None
    voter: str | None = None
    error: VotrError | None = None
    options: tuple[str, ...] | None = None  # multiple and ranked polls (or a score poll's pairs)
    scores: tuple[tuple[str, Any], ...] | None = None  # score polls: (name, score) pairs


def _line_target(line: BatchLine, normalise) -> _BallotTarget:
    if line.options is not None:
        return _ballot_target(line.poll, line.options, line.scores, normalise)
    return _ballot_target(line.poll, () if line.option is None else line.option, line.scores, normalise)


class _RememberedText:
    """votr_cli.core.text's normalisers, remembering their answers: a batch names the same
    polls, options and voters over and over, and normalising is most of a line's cost."""

    def __init__(self) -> None:
        self.clean = functools.lru_cache(maxsize=BATCH_ROUND)(text.clean)
        self.key = functools.lru_cache(maxsize=BATCH_ROUND)(text.key)
        self.voter_name = functools.lru_cache(maxsize=BATCH_ROUND)(text.voter_name)
        self.option_name = functools.lru_cache(maxsize=BATCH_ROUND)(_PlainText.option_name)
        self.poll_ref = functools.lru_cache(maxsize=BATCH_ROUND)(functools.partial(rules.poll_ref, normalise=self))


def _find_topics(conn: Connection, refs: set[str], lock: bool) -> dict[str, Any]:
    """Polls by public id, else by exact title, as _find_topic does, for many refs at once."""
    # As _Topic tuples, not SQLAlchemy rows: a batch reads a poll's fields for each of its
    # distinct ballots, and a row's attribute costs several times a namedtuple's.
    found: dict[str, Any] = {}
    for group in batched(sorted(refs), TOPICS_PER_QUERY):
        for row in conn.execute(_topics_query(topics.c.public_id.in_(group), lock)):
            topic = _Topic(*row)
            found[topic.public_id] = topic
    by_title: dict[str, list[str]] = collections.defaultdict(list)  # "Lunch" and "lunch" share a key
    for ref in refs - found.keys():
        by_title[text.key(ref)].append(ref)
    for group in batched(sorted(by_title), TOPICS_PER_QUERY):
        query = _topics_query(topics.c.title_key.in_(group), lock).add_columns(topics.c.title_key)
        for *columns, title_key in conn.execute(query):
            found.update(dict.fromkeys(by_title[title_key], _Topic(*columns)))
    return found


def _choices_of(conn: Connection, topic_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Every option of these polls, by topic id and option key."""
    choices: dict[int, dict[str, Any]] = collections.defaultdict(dict)
    for group in batched(sorted(topic_ids), TOPICS_PER_QUERY):
        rows = conn.execute(
            select(*_CHOICE_COLUMNS)
            .join_from(polls, options, polls.c.option_id == options.c.id)
            .where(polls.c.topic_id.in_(group))
        )
        for row in rows:
            choices[row.topic_id][row.name_key] = _Choice(*row)
    return choices


def _existing_ballots(conn: Connection, pairs: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (topic id, voter) pairs already have a ballot.

    Each statement asks for a few voters across a few polls (an IN list on each column
    of the unique index, which every backend looks up directly), grouping the pairs by
    voter so that the polls x voters it probes stay close to the pairs wanted.
    """
    existing: set[tuple[int, str]] = set()
    group_topics: set[int] = set()
    group_voters: set[str] = set()

    def flush() -> None:
        if group_topics:
            rows = conn.execute(
                select(ballots.c.topic_id, ballots.c.voter)
                .where(ballots.c.topic_id.in_(sorted(group_topics)), ballots.c.voter.in_(sorted(group_voters)))
            )
            existing.update((row.topic_id, row.voter) for row in rows)
        group_topics.clear()
        group_voters.clear()

    for topic_id, voter in sorted(pairs, key=lambda pair: (pair[1], pair[0])):
        topics_after = len(group_topics | {topic_id})
        voters_after = len(group_voters | {voter})
        if topics_after + voters_after > EXISTING_BALLOTS_PARAMETERS or topics_after * voters_after > EXISTING_BALLOTS_PROBES:
            flush()
        group_topics.add(topic_id)
        group_voters.add(voter)
    flush()
    return existing


_BALLOT_COLUMNS = ["topic_id", "voter", "option_id", "date_created", "choices"]
# What the user is told when concurrent writers kept beating a batch to its voters.
BATCH_CONFLICT = ("other writers kept recording the same voters' ballots while this batch ran; "
                  "nothing was recorded, run it again")


def _insert_ballots(conn: Connection, rows: list[tuple]) -> None:
    """Insert many ballots, given as _BALLOT_COLUMNS tuples (dates as `_driver_time`
    gives them). A duplicate (topic, voter) fails in the database with IntegrityError,
    as a single vote's would."""
    insert_many(conn, ballots, _BALLOT_COLUMNS, rows)


def _driver_time(conn: Connection, moment: dt.datetime):
    """A ballot's creation time as this dialect hands it to its driver (SQLite: text)."""
    return driver_value(conn, ballots.c.date_created, moment)


@contextlib.contextmanager
def _undone_if_refused(conn: Connection) -> Iterator[None]:
    """A savepoint that is rolled back when the database refuses a row (IntegrityError).

    Any other failure ends the whole transaction, so the savepoint is left alone: after
    some (SQLite's "database or disk is full") SQLite has already rolled the transaction
    back, and a ROLLBACK TO the savepoint would fail with "no such savepoint", hiding
    the real cause.
    """
    savepoint = conn.begin_nested()
    try:
        yield
    except IntegrityError:
        savepoint.rollback()
        raise
    savepoint.commit()


def _record_ballots(conn: Connection, rows: list[tuple]) -> set[int]:
    """Insert the ballots (_BALLOT_COLUMNS tuples); return the positions of those whose
    voter had voted in that poll already, which are left out.

    Most ballots are new, so they are inserted straight away and the database's unique
    constraint is the check. Only when it refuses one does a savepoint undo the round
    and the round look up which voters had voted, then insert the others.
    """
    try:
        with _undone_if_refused(conn):
            _insert_ballots(conn, rows)
        return set()
    except IntegrityError:
        pass
    existing = _existing_ballots(conn, [row[:2] for row in rows])
    voted = {index for index, row in enumerate(rows) if row[:2] in existing}
    fresh = [row for index, row in enumerate(rows) if index not in voted]
    try:
        if fresh:
            with _undone_if_refused(conn):
                _insert_ballots(conn, fresh)
    except IntegrityError:
        # A concurrent transaction committed one of these voters' ballots after our
        # snapshot (servers only: on SQLite the batch holds the write lock from its
        # first read): Database.write runs the whole batch again.
        raise WriteConflict(BATCH_CONFLICT) from None
    return voted


def vote_batch(db: Database, lines: Iterable[BatchLine], default_voter: Callable[[], str],
               progress: Callable[[int], None] | None = None) -> dict:
    """Record many votes in one transaction, by the same rules as `vote`.

    Each line is accepted or rejected on its own; the accepted ones are committed together
    (all or none of them, whatever happens to the process). `default_voter` names the voter
    of lines that give none. `progress` is told how many lines each round finished. The
    summary lists each rejected line's number and its error, whose kind the front end
    reports as it reports any error.
    """
    with _no_cycle_collection():
        lines = list(lines)
        requests, rejected = _batch_requests(lines, default_voter)

        def work(conn: Connection) -> dict:
            batch = _BatchRun(conn, rejected, progress)
            for round_requests in batched(requests, BATCH_ROUND):
                batch.run_round(round_requests)
            batch.count_votes()
            return _batch_summary(len(lines), batch.accepted(), batch.refused)

        return db.write(work)  # run again by Database.write if a concurrent writer wins a voter


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while a batch runs. A batch makes a few objects per
    line and keeps them all until it ends, none in a reference cycle, so the collector
    would only scan them again and again: a fifth of a 100,000-line batch's time. It is
    back on afterwards, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _BallotRequest(NamedTuple):
    number: int
    target: _BallotTarget
    voter_key: str


def _batch_requests(lines: list[BatchLine], default_voter: Callable[[], str]
                    ) -> tuple[list[_BallotRequest], dict[int, VotrError]]:
    """Each line's request, validated and normalised as `vote` does it, or why it is refused."""
    requests: list[_BallotRequest] = []
    rejected: dict[int, VotrError] = {}
    normalise = _RememberedText()
    targets: dict[tuple, _BallotTarget] = {}
    default_voter = functools.cache(default_voter)  # asked once, and only if a line needs it
    for line in lines:
        if line.error is not None:
            rejected[line.number] = line.error
            continue
        try:
            voter = line.voter if line.voter is not None else default_voter()
            voter_key = normalise.voter_name(voter)  # first, as in `vote`
            if line.options is not None and line.scores is None:
                # Ranked and multiple ballots are mostly distinct: no cache to look in.
                target = _BallotTarget(normalise.poll_ref(line.poll), line.options)
            else:
                asked = (line.poll, line.option, line.options, line.scores)
                target = targets.get(asked)
                if target is None:
                    target = targets[asked] = _line_target(line, normalise)
            requests.append(_BallotRequest(line.number, target, voter_key))
        except VotrError as exc:
            rejected[line.number] = exc
    return requests, rejected


class _BatchRun:
    """One attempt at a batch, inside its transaction: the polls and options found so far,
    what each distinct (poll, option) comes to, the ballots recorded and the refusals."""

    def __init__(self, conn: Connection, rejected: dict[int, VotrError],
                 progress: Callable[[int], None] | None) -> None:
        self.conn = conn
        self.now = utcnow()
        self.created = _driver_time(conn, self.now)
        self.lock = needs_row_locks(conn)
        self.progress = progress
        self.refused = dict(rejected)
        self.topics_by_ref: dict[str, Any] = {}
        self.choices: dict[int, dict[str, Any]] = {}  # by topic id, then option key
        self.normalise = _RememberedText()
        # Each distinct request: its _Verdict, or the error.
        self.verdicts: dict[_BallotTarget, _Verdict | VotrError] = {}
        self.voted: set[tuple[int, str]] = set()
        self.added_per_choice: collections.Counter[int] = collections.Counter()
        self.added_per_topic: collections.Counter[int] = collections.Counter()
        # Polls with a ballot policy (secret, or changes allowed) take their lines one by
        # one, as `vote` does: (line number, verdict, voter) in line order.
        self.topics_by_id: dict[int, Any] = {}
        self.one_by_one: list[tuple[int, _Verdict, str]] = []
        self.cast_one_by_one = 0
        self.secret_polls: set[int] = set()
        self.missing: dict[str, VotrError] = {}  # the error of each unknown poll reference
        self.candidates: dict = {}  # the polls that unknown references are compared with
        # Invite-only polls' invited voters, by topic id.
        self.invited: dict[int, set[str]] = {}
        if progress and rejected:
            progress(len(rejected))

    def accepted(self) -> int:
        return sum(self.added_per_topic.values()) + self.cast_one_by_one

    def run_round(self, round_requests: Sequence[_BallotRequest]) -> None:
        self._find_polls({request.target.ref for request in round_requests})
        numbers, rows, increments = self._new_ballots(round_requests)
        voted_before = _record_ballots(self.conn, rows) if rows else set()
        for index in voted_before:
            self.refused[numbers[index]] = rules.already_voted(rows[index][1])
            increments[index] = None
        per_choice, per_topic = self.added_per_choice, self.added_per_topic
        for row, added in zip(rows, increments):
            if added is not None:
                per_topic[row[0]] += 1
                for choice_id, amount in added:
                    per_choice[choice_id] += amount
        self._cast_one_by_one()
        if self.progress:
            self.progress(len(round_requests))

    def _find_polls(self, refs: set[str]) -> None:
        unknown = refs - self.topics_by_ref.keys()
        if unknown:
            found = _find_topics(self.conn, unknown, self.lock)
            self.choices.update(_choices_of(self.conn, {topic.id for topic in found.values()}))
            self.topics_by_ref.update({ref: found.get(ref) for ref in unknown})
            self.topics_by_id.update({topic.id: topic for topic in found.values()})
            self.invited.update(_invited_voters(
                self.conn, {topic.id for topic in found.values() if topic.invite_only} - self.invited.keys()))

    def _cast_one_by_one(self) -> None:
        for number, verdict, voter_key in self.one_by_one:
            topic = self.topics_by_id[verdict.topic_id]
            try:
                _cast(self.conn, topic, verdict, voter_key, self.now)
            except VotrError as exc:
                self.refused[number] = exc
                continue
            self.cast_one_by_one += 1
            if topic.secret:
                self.secret_polls.add(topic.id)
        self.one_by_one.clear()

    def _new_ballots(self, round_requests: Sequence[_BallotRequest]) -> tuple[list, list, list]:
        """The round's ballots that pass every rule but the database's unique index, as
        three parallel lists (for speed): each one's line number, ballot row
        (_BALLOT_COLUMNS) and counter increments. The other lines are refused here."""
        numbers, rows, increments = [], [], []
        verdicts, voted, refused, created = self.verdicts, self.voted, self.refused, self.created
        with_policies = {topic.id for topic in self.topics_by_id.values() if topic.secret or topic.allow_change}
        invited = self.invited
        for number, target, voter_key in round_requests:
            verdict = verdicts.get(target)
            if verdict is None:
                verdict = verdicts[target] = self._verdict(target)
            if isinstance(verdict, VotrError):
                refused[number] = verdict
                continue
            topic_id = verdict.topic_id
            if topic_id in invited and voter_key not in invited[topic_id]:
                refused[number] = invite_rules.not_invited(self.topics_by_id[topic_id].title, voter_key)
                continue
            if topic_id in with_policies:
                self.one_by_one.append((number, verdict, voter_key))
                continue
            pair = (topic_id, voter_key)
            if pair in voted:
                refused[number] = rules.already_voted(voter_key)
                continue
            voted.add(pair)
            numbers.append(number)
            rows.append((topic_id, voter_key, verdict.option_id, created, verdict.choices))
            increments.append(verdict.increments)
        return numbers, rows, increments

    def _verdict(self, target: _BallotTarget) -> _Verdict | VotrError:
        topic = self.topics_by_ref[target.ref]
        if topic is None:
            return self._no_poll(target.ref)
        try:
            return _judge(topic, target, self.choices.get(topic.id, {}).get, self.now,
                          self.normalise)
        except VotrError as exc:
            return exc

    def _no_poll(self, ref: str) -> VotrError:
        """The error of the lines that name an unknown poll: with suggestions for the
        first BATCH_SUGGESTED distinct references only, so that a batch of many lines
        naming unknown polls costs a bounded number of lookups."""
        error = self.missing.get(ref)
        if error is None:
            suggest = len(self.missing) < BATCH_SUGGESTED
            closest = _closest_polls(self.conn, ref, self.candidates) if suggest else ()
            error = self.missing[ref] = rules.no_poll(ref, closest)
        return error

    def count_votes(self) -> None:
        """Add the new ballots to the counters, in one statement for the batch."""
        _add_to_counters(self.conn, self.added_per_choice, self.added_per_topic)
        for topic_id in sorted(self.secret_polls):
            _shuffle_secret_ballots(self.conn, topic_id)


def _batch_summary(line_count: int, accepted: int, refused: dict[int, VotrError]) -> dict:
    """`rejected`: each refused line's number and error, in line order."""
    rejected = [{"line": number, "error": refused[number]} for number in sorted(refused)]
    return {
        "message": f"{text.counted(accepted, 'vote')} recorded, {text.counted(len(rejected), 'line')} rejected",
        "lines": line_count,
        "accepted": accepted,
        "rejected": rejected,
    }


def close_poll(db: Database, ref: str) -> dict:
    def work(conn: Connection) -> dict:
        now = utcnow()
        topic = _find_topic(conn, ref)
        if not rules.is_open(topic.status, topic.close_date, now):
            message = rules.MSG_ALREADY_CLOSED
        else:
            conn.execute(update(topics).where(topics.c.id == topic.id).values(status=false(), close_date=now))
            message = rules.MSG_CLOSED
        return {"message": message, "poll": _poll_by_topic_id(conn, topic.id, now)}

    return db.write(work)


def reopen_poll(db: Database, ref: str, close_date: dt.datetime | None = None) -> dict:
    """Reopen a poll; `close_date` (naive UTC) closes it again then, None never."""

    def work(conn: Connection) -> dict:
        now = utcnow()
        topic = _find_topic(conn, ref)
        if rules.is_open(topic.status, topic.close_date, now) and close_date is None:
            message = rules.MSG_ALREADY_OPEN
        else:
            conn.execute(update(topics).where(topics.c.id == topic.id).values(status=true(), close_date=close_date))
            message = rules.MSG_REOPENED
        return {"message": message, "poll": _poll_by_topic_id(conn, topic.id, now)}

    return db.write(work)


def poll_count(db: Database) -> int:
    with db.reading() as conn:
        return conn.execute(select(func.count()).select_from(topics)).scalar_one()
