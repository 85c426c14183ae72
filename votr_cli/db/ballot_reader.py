"""Reading a poll's stored ballots for counting (core/counting.count_stored).

Ballots come grouped: each distinct choices string once, with how many voters cast it.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from votr_cli.db.tables import ballots


def stored_ballots(conn: Connection, topic_id: int, kind: str, width: int) -> list[tuple[str, int]]:
    """The poll's ballots as (choices, weight) pairs. `kind` and `width` (the most
    characters a ballot of the poll has) let a faster reader shape what it reads."""
    rows = conn.execute(
        select(ballots.c.choices, func.count())
        .where(ballots.c.topic_id == topic_id, ballots.c.choices.is_not(None))
        .group_by(ballots.c.choices)
    )
    return [(choices, weight) for choices, weight in rows]
