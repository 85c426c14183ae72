"""The rules of votr: validation, normalisation, voting, closing and reading results.

Every function takes a Database and returns plain data (dicts and lists shaped like the
JSON the command-line contract promises) or raises one of votr's errors. Nothing here
knows about click or rich, so another front end can call it unchanged.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import uuid
from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, and_, false, func, insert, not_, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from votr_cli import text
from votr_cli.db import Database, insert_ignoring_duplicates
from votr_cli.errors import InvalidInput, NotFound, Refused
from votr_cli.models import ballots, options, polls, topics
from votr_cli.when import iso_utc, parse_when, utcnow

STATUSES = ("open", "closed", "all")
PUBLIC_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: easy to read aloud
PUBLIC_ID_SIZE = 8

MSG_CREATED = "Poll was created succesfully"  # sic: the original app's text, kept for its clients
MSG_VOTED = "Thank you for voting"
MSG_MULTIPLE_VOTES = "Sorry! multiple votes are not allowed"


# -- reading -------------------------------------------------------------------------


def is_open_clause(now: dt.datetime):
    """SQL for "the poll is open": its status is open and its close date, if any, is ahead."""
    return and_(topics.c.status == true(), or_(topics.c.close_date.is_(None), topics.c.close_date > now))


def _is_open(status: bool | None, close_date: dt.datetime | None, now: dt.datetime) -> bool:
    return bool(status) and (close_date is None or close_date > now)


def _poll_document(topic, option_rows: Sequence, now: dt.datetime) -> dict:
    choices = [{"name": row.name, "vote_count": row.vote_count} for row in option_rows]
    return {
        "id": topic.public_id,
        "title": topic.title,
        "status": _is_open(topic.status, topic.close_date, now),
        "options": choices,
        "close_date": iso_utc(topic.close_date),
        "total_vote_count": sum(choice["vote_count"] for choice in choices),
    }


_TOPIC_COLUMNS = (topics.c.id, topics.c.public_id, topics.c.title, topics.c.status, topics.c.close_date)


def _poll_by_topic_id(conn: Connection, topic_id: int, now: dt.datetime) -> dict:
    topic = conn.execute(select(*_TOPIC_COLUMNS).where(topics.c.id == topic_id)).one()
    rows = conn.execute(
        select(options.c.name, polls.c.vote_count)
        .join_from(polls, options, polls.c.option_id == options.c.id)
        .where(polls.c.topic_id == topic_id)
        .order_by(polls.c.position)
    ).all()
    return _poll_document(topic, rows, now)


def _find_topic(conn: Connection, ref: str, *, lock: bool = False):
    """A poll by public id, else by exact (normalised) title."""
    display = text.clean(ref, "poll", limit=max(len(ref), 1))
    for condition in (topics.c.public_id == display, topics.c.title_key == text.key(display)):
        query = select(*_TOPIC_COLUMNS).where(condition)
        if lock:
            # Servers: a vote holds the poll row shared, so a concurrent close waits for
            # it (and the other way round). SQLite's BEGIN IMMEDIATE already serialises.
            query = query.with_for_update(read=True)
        topic = conn.execute(query).one_or_none()
        if topic is not None:
            return topic
    raise NotFound(f"no poll with id or title {display!r}")


def list_polls(db: Database, status: str = "all") -> Iterator[dict]:
    """Every poll in creation order, streamed: one SQL statement, whatever the count."""
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
        rows = conn.execution_options(yield_per=2000).execute(query)
        for _topic_id, group in itertools.groupby(rows, key=lambda row: row.id):
            group = list(group)
            option_rows = [row for row in group if row.name is not None]
            yield _poll_document(group[0], option_rows, now)


def show_poll(db: Database, ref: str) -> dict:
    with db.reading() as conn:
        topic = _find_topic(conn, ref)
        return _poll_by_topic_id(conn, topic.id, utcnow())


def list_options(db: Database) -> list[dict]:
    with db.reading() as conn:
        rows = conn.execute(select(options.c.public_id, options.c.name).order_by(options.c.id))
        return [{"id": row.public_id, "name": row.name} for row in rows]


# -- writing -------------------------------------------------------------------------


def create_poll(db: Database, title: str, option_names: Sequence[str], closes_at: str | None = None) -> dict:
    display_title = text.clean(title, "title", text.MAX_TITLE)
    if not option_names:
        raise InvalidInput("value for options is empty")
    choices: dict[str, str] = {}  # key -> display, in the order given
    for name in option_names:
        display = text.clean(name, "option", text.MAX_OPTION)
        option_key = text.key(display)
        if option_key in choices:
            raise InvalidInput(f"option {display!r} is listed twice in this poll")
        choices[option_key] = display
    if len(choices) < 2:
        raise InvalidInput("a poll needs at least 2 options")
    close_date = parse_when(closes_at) if closes_at else None
    title_key = text.key(display_title)

    def work(conn: Connection) -> dict:
        now = utcnow()
        taken = conn.execute(
            select(topics.c.public_id).where(topics.c.title_key == title_key)
        ).scalar_one_or_none()
        if taken is not None:
            raise Refused(f"title taken: poll {taken} is already titled {display_title!r}")
        option_ids = _ensure_options(conn, choices, now)
        public_id = _new_public_id(conn)
        try:
            topic_id = conn.execute(
                insert(topics).values(public_id=public_id, title=display_title, title_key=title_key,
                                      status=True, close_date=close_date, date_created=now)
            ).inserted_primary_key[0]
        except IntegrityError:
            # Another writer took the title between our check and our insert (servers only).
            raise Refused(f"title taken: a poll is already titled {display_title!r}") from None
        conn.execute(insert(polls), [
            {"topic_id": topic_id, "option_id": option_ids[option_key], "position": position,
             "vote_count": 0}
            for position, option_key in enumerate(choices)
        ])
        return {"message": MSG_CREATED, "poll": _poll_by_topic_id(conn, topic_id, now)}

    return db.write(work)


def _ensure_options(conn: Connection, choices: dict[str, str], now: dt.datetime) -> dict[str, int]:
    """Row ids of the options, creating the missing ones. An existing option keeps its
    first spelling: the seed app's "link existing options"."""
    insert_ignoring_duplicates(conn, options, [
        {"public_id": str(uuid.uuid4()), "name": display, "name_key": option_key, "date_created": now}
        for option_key, display in choices.items()
    ])
    rows = conn.execute(select(options.c.name_key, options.c.id).where(options.c.name_key.in_(list(choices))))
    return {row.name_key: row.id for row in rows}


def _new_public_id(conn: Connection) -> str:
    while True:
        candidate = "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_SIZE))
        if conn.execute(select(topics.c.id).where(topics.c.public_id == candidate)).first() is None:
            return candidate


def vote(db: Database, ref: str, option: str, voter: str) -> dict:
    voter_key = text.voter_name(voter)
    option_display = text.clean(option, "option", text.MAX_OPTION)
    option_key = text.key(option_display)

    def work(conn: Connection) -> dict:
        now = utcnow()
        topic = _find_topic(conn, ref, lock=conn.dialect.name != "sqlite")
        choice = conn.execute(
            select(polls.c.id, polls.c.option_id)
            .join_from(polls, options, polls.c.option_id == options.c.id)
            .where(polls.c.topic_id == topic.id, options.c.name_key == option_key)
        ).one_or_none()
        if choice is None:
            raise NotFound(f"poll {topic.title!r} has no option {option_display!r}")
        if not _is_open(topic.status, topic.close_date, now):
            raise Refused(f"poll {topic.title!r} is closed")
        added = insert_ignoring_duplicates(conn, ballots, {
            "topic_id": topic.id, "voter": voter_key, "option_id": choice.option_id, "date_created": now,
        })
        if not added:
            raise Refused(f"{MSG_MULTIPLE_VOTES}: {voter_key!r} has already voted in this poll")
        conn.execute(update(polls).where(polls.c.id == choice.id).values(vote_count=polls.c.vote_count + 1))
        return {"message": MSG_VOTED, "poll": _poll_by_topic_id(conn, topic.id, now)}

    return db.write(work)


def close_poll(db: Database, ref: str) -> dict:
    def work(conn: Connection) -> dict:
        now = utcnow()
        topic = _find_topic(conn, ref)
        if not _is_open(topic.status, topic.close_date, now):
            message = "Poll was already closed"
        else:
            conn.execute(update(topics).where(topics.c.id == topic.id).values(status=false(), close_date=now))
            message = "Poll closed"
        return {"message": message, "poll": _poll_by_topic_id(conn, topic.id, now)}

    return db.write(work)


def reopen_poll(db: Database, ref: str, closes_at: str | None = None) -> dict:
    close_date = parse_when(closes_at) if closes_at else None

    def work(conn: Connection) -> dict:
        now = utcnow()
        topic = _find_topic(conn, ref)
        if _is_open(topic.status, topic.close_date, now) and close_date is None:
            message = "Poll was already open"
        else:
            conn.execute(update(topics).where(topics.c.id == topic.id).values(status=true(), close_date=close_date))
            message = "Poll reopened"
        return {"message": message, "poll": _poll_by_topic_id(conn, topic.id, now)}

    return db.write(work)


def poll_count(db: Database) -> int:
    with db.reading() as conn:
        return conn.execute(select(func.count()).select_from(topics)).scalar_one()
