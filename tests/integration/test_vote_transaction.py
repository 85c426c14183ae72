"""A vote is one transaction: its ballot and its counter are written together or not at
all, and the counter is incremented by the database, not read, added to and written back.

On every backend. A trigger that refuses the counter's update stands in for anything that
can fail between the two writes (a full disk, a killed connection).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from votr_cli.service import polls as service

from votr_cli.frontends import settings
from votr_cli.db.database import Database
from votr_cli.core.errors import DatabaseProblem

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

REFUSING_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER refuse_counter BEFORE UPDATE OF vote_count ON polls "
        "BEGIN SELECT RAISE(ABORT, 'counter refused'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_counter() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'counter refused'; END $$",
        "CREATE TRIGGER refuse_counter BEFORE UPDATE ON polls FOR EACH ROW EXECUTE FUNCTION refuse_counter()",
    ],
    "mysql": [
        "CREATE TRIGGER refuse_counter BEFORE UPDATE ON polls FOR EACH ROW "
        "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'counter refused'",
    ],
}
DROP_TRIGGER = {
    "sqlite": ["DROP TRIGGER refuse_counter"],
    "postgresql": ["DROP TRIGGER refuse_counter ON polls", "DROP FUNCTION refuse_counter()"],
    "mysql": ["DROP TRIGGER refuse_counter"],
}


@pytest.fixture
def db(votr_env):
    database = settings.database(None)
    yield database
    database.dispose()


def run_sql(db: Database, statements: list[str]) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def stored(db: Database) -> tuple[int, list[int]]:
    with db.engine.connect() as conn:
        ballots = conn.execute(sa.text("SELECT count(*) FROM ballots")).scalar_one()
        counters = conn.execute(sa.text("SELECT vote_count FROM polls ORDER BY position")).scalars().all()
    return ballots, counters


def test_a_ballot_is_not_kept_when_its_counter_cannot_be_written(db, backend):
    poll = service.create_poll(db, "Atomic", ["yes", "no"])["poll"]
    service.vote(db, poll["id"], "yes", "first")
    run_sql(db, REFUSING_TRIGGER[backend])
    with pytest.raises(DatabaseProblem, match="counter refused"):
        service.vote(db, poll["id"], "no", "second")
    assert stored(db) == (1, [1, 0])  # the second ballot went with its counter
    run_sql(db, DROP_TRIGGER[backend])
    service.vote(db, poll["id"], "no", "second")  # so that voter can still vote
    assert stored(db) == (2, [1, 1])


def test_the_counter_is_incremented_in_sql(db):
    poll = service.create_poll(db, "In SQL", ["yes", "no"])["poll"]
    statements: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *rest: statements.append(" ".join(statement.split())))
    service.vote(db, poll["id"], "yes", "someone")
    updates = [statement for statement in statements if statement.upper().startswith("UPDATE POLLS")]
    assert len(updates) == 1
    assert "vote_count=(polls.vote_count +" in updates[0].replace(" = ", "=").replace("= ", "=")
