"""Big listings cost a fixed number of SQL statements, however many polls there are.

The old web app ran one query per poll and per option (N+1): 35 s for 10,000 polls.
Each measurement counts the statements SQLAlchemy sends to the database, with its
`before_cursor_execute` event, on a Database of its own (so each includes the schema check).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from votr_cli.service import polls as service

from votr_cli.frontends import settings
from votr_cli.db.database import Database
from votr_cli.service.polls import BatchLine


def database(url: str) -> Database:
    return settings.database(url)


def count_statements(url: str, work) -> int:
    db = database(url)
    statements = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    try:
        work(db)
    finally:
        db.dispose()
    return len(statements)


def add_polls(url: str, start: int, count: int) -> None:
    db = database(url)
    try:
        for n in range(start, start + count):
            service.create_poll(db, f"Poll {n}", [f"option {n}", "shared", f"other {n % 3}"])
            service.vote(db, f"Poll {n}", "shared", "ann")
    finally:
        db.dispose()


@pytest.fixture
def url(database_url):
    add_polls(database_url, 0, 3)
    return database_url


@pytest.mark.parametrize("status", ["all", "open", "closed"])
def test_list_runs_the_same_statements_for_3_or_30_polls(url, status):
    def listing(db):
        polls = list(service.list_polls(db, status))
        assert all(len(poll["options"]) == 3 for poll in polls)

    few = count_statements(url, listing)
    add_polls(url, 3, 27)
    assert count_statements(url, listing) == few
    # The schema check, the SELECT of the polls whose method counts ballots (none here)
    # and the listing's one SELECT (plus the driver's own, if any).
    assert few <= 5


def test_show_runs_the_same_statements_for_a_poll_with_1_or_40_ballots(url):
    def showing(db):
        assert service.show_poll(db, "Poll 1")["title"] == "Poll 1"

    few = count_statements(url, showing)
    db = database(url)
    try:
        lines = [BatchLine(n, "Poll 1", "shared" if n % 2 else "option 1", f"voter {n}") for n in range(1, 40)]
        assert service.vote_batch(db, lines, lambda: "nobody")["accepted"] == 39
    finally:
        db.dispose()
    assert count_statements(url, showing) == few


def test_a_batch_runs_the_same_statements_for_3_or_60_votes_over_as_many_polls(url):
    add_polls(url, 3, 17)

    def voting(voters: range):
        def work(db):
            lines = [BatchLine(len(voters) * poll + n, f"Poll {poll}", "shared", f"voter {voter}")
                     for poll in range(20) for n, voter in enumerate(voters)]
            summary = service.vote_batch(db, lines, lambda: "nobody")
            assert summary["accepted"] == len(lines), json.dumps(summary["rejected"][:3])
        return work

    few = count_statements(url, voting(range(0, 1)))
    many = count_statements(url, voting(range(1, 4)))
    assert many == few

