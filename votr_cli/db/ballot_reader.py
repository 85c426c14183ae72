"""Reading a poll's stored ballots in bulk, for counting (core/counting.py: count_stored).

A million ballots read as a million rows cost about a second in the driver and
SQLAlchemy alone. Instead the database joins the ballots' choices strings itself, PAD
between two (SQLAlchemy's `aggregate_strings`: group_concat on SQLite and MariaDB,
string_agg on PostgreSQL), and votr receives a few long strings, which core/profiles.py
turns into arrays without a Python loop per ballot.

One string holds at most what `dialect.prepare_string_aggregation` allows (64 MiB; on
MariaDB a little under the server's max_allowed_packet). A poll with more ballots than
that is read in ranges of ballot ids, each holding at most that many (a secret poll's
ballots, in ranges of their random keys, each holding about half as many). A string that
does not hold as many ballots as the database counted (MariaDB cut it short, or a stored
ballot holds PAD itself, which no well-formed one does) is read again row by row.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, select

from votr_cli.core.ballots import NOT_A_CODE, PAD, StoredBallots, code
from votr_cli.db import dialect
from votr_cli.db.tables import ballots, polls, secret_ballots


def _bytes_per_character(kind: str, option_count: int) -> int:
    """The most bytes a character of such a poll's ballots takes in UTF-8: a score is a
    digit; an option's code is ASCII for the first 62 options, then from U+0100 on
    (core/ballots.py: code)."""
    if kind == "score" or option_count <= 62:
        return 1
    last = ord(code(option_count - 1))
    return 2 if last < 0x800 else 3 if last < 0x10000 else 4


def stored_ballots(conn: Connection, topic_id: int, kind: str, width: int, secret: bool = False) -> StoredBallots:
    """The ballots of poll `topic_id` (of `kind`: multiple, ranked or score), read for
    counting. `width`: the most characters a ballot has (max_choices for multiple and
    ranked polls, the option count for score polls). A ballot whose choices are unknown
    (NULL) is not read. A secret poll's ballots are in secret_ballots, under random
    hexadecimal keys: more than one string holds is read in ranges of keys."""
    table = secret_ballots if secret else ballots
    width = max(1, width)
    limit = dialect.prepare_string_aggregation(conn)
    option_count = conn.execute(select(func.count()).select_from(polls).where(polls.c.topic_id == topic_id)).scalar_one()
    per_ballot = width * _bytes_per_character(kind, option_count) + len(PAD)
    per_chunk = max(1, limit // per_ballot)
    of_poll = table.c.topic_id == topic_id
    # Every ballot of the poll, those without choices too: counted from an index alone.
    total = conn.execute(select(func.count()).select_from(table).where(of_poll)).scalar_one()
    if total <= per_chunk:
        conditions = [of_poll]
    elif secret:
        conditions = [and_(of_poll, *bounds) for bounds in _key_ranges(table.c.id, total, per_chunk)]
    else:
        first, last = conn.execute(select(func.min(ballots.c.id), func.max(ballots.c.id)).where(of_poll)).one()
        conditions = [and_(of_poll, ballots.c.id.between(low, min(low + per_chunk - 1, last)))
                      for low in range(first, last + 1, per_chunk)]
    chunks = []
    for condition in conditions:
        count, joined = conn.execute(
            select(func.count(table.c.choices), _joined(table.c.choices))
            .select_from(table).where(condition)).one()
        if not count:
            continue
        if joined is None or joined.count(PAD) != count - 1:
            count, joined = _row_by_row(conn, table, condition)
        chunks.append((count, joined))
    return StoredBallots(kind, width, tuple(chunks))


def _key_ranges(key, total: int, per_chunk: int) -> list[list]:
    """Conditions splitting random hexadecimal keys into ranges of the first 8 digits,
    twice as many as `total` keys need: each holds about half of `per_chunk`. One that
    holds more than a string may is read row by row (see stored_ballots)."""
    parts = min(2**32, 2 * -(-total // per_chunk))
    edges = [f"{(2**32 * k) // parts:08x}" for k in range(1, parts)]
    return ([[key < edges[0]]] + [[key >= low, key < high] for low, high in zip(edges, edges[1:])]
            + [[key >= edges[-1]]])


def _joined(column):
    """The non-NULL values of `column`, joined by PAD, in the database."""
    return func.aggregate_strings(column, PAD)


def _row_by_row(conn: Connection, table, condition) -> tuple[int, str]:
    """The slow, exact way: every ballot's choices, PAD in one replaced (so that the count
    passes over that character, as over any that is no option's code)."""
    texts = [choices.replace(PAD, NOT_A_CODE)
             for choices in conn.execute(select(table.c.choices).where(condition, table.c.choices.is_not(None)))
             .scalars()]
    return len(texts), PAD.join(texts)
