"""The one retry policy of the storage layer: Database.write runs its work again, in a new
transaction, when the work reports a conflict with a concurrent writer, up to
WRITE_ATTEMPTS times; then the user is told the conflict's message (exit 5). On every
backend: each attempt's changes are rolled back before the next.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from votr_cli.core.errors import DatabaseBusy
from votr_cli.db.database import WRITE_ATTEMPTS, Database, WriteConflict
from votr_cli.db.tables import options
from votr_cli.core.when import utcnow

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head


@pytest.fixture
def db(database_url):
    database = Database(database_url, busy_timeout=5)
    yield database
    database.dispose()


def add_option(conn: sa.Connection, name: str) -> None:
    conn.execute(sa.insert(options).values(public_id=name.ljust(36, "0"), name=name, name_key=name,
                                           date_created=utcnow()))


def option_names(db: Database) -> list[str]:
    with db.reading() as conn:
        return list(conn.execute(sa.select(options.c.name).order_by(options.c.id)).scalars())


def test_a_conflict_runs_the_work_again_in_a_new_transaction(db):
    attempts = []

    def work(conn):
        attempts.append(len(attempts) + 1)
        add_option(conn, f"attempt {len(attempts)}")
        if len(attempts) < 3:
            raise WriteConflict("lost to another writer")
        return "done"

    assert db.write(work) == "done"
    assert attempts == [1, 2, 3]
    assert option_names(db) == ["attempt 3"]  # the first two were rolled back


def test_conflicts_on_every_attempt_end_as_database_busy_with_nothing_written(db):
    attempts = []

    def work(conn):
        attempts.append(1)
        add_option(conn, f"attempt {len(attempts)}")
        raise WriteConflict("other writers kept winning; nothing was recorded")

    with pytest.raises(DatabaseBusy) as refused:
        db.write(work)
    assert refused.value.message == "other writers kept winning; nothing was recorded"
    assert len(attempts) == WRITE_ATTEMPTS
    assert option_names(db) == []


def test_other_errors_are_not_retried(db):
    attempts = []

    def work(conn):
        attempts.append(1)
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        db.write(work)
    assert len(attempts) == 1
