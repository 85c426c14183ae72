"""votr's SQLite configuration, which concurrent votes rest on: WAL set when votr creates
the file, the busy timeout from votr's setting, BEGIN IMMEDIATE on every write, foreign
keys on every connection. What SQLite does with them is SQLite's business and is not
tested here; that votr sets them is.

Each test uses a SQLite file of its own whatever backend the suite runs on. SQLite is
always there: the tests run and pass in every backend's pass instead of being skipped in
two of them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
import sqlalchemy as sa

from votr_cli.service import polls as service

from votr_cli.frontends import settings
from votr_cli.db.database import Database
from votr_cli.core.when import utcnow


@pytest.fixture
def sqlite_file(tmp_path, monkeypatch):
    monkeypatch.delenv("VOTR_BUSY_TIMEOUT", raising=False)
    monkeypatch.setenv("VOTR_HOME", str(tmp_path / "home"))
    return tmp_path / "setup.db"


def open_database(path) -> Database:
    return settings.database(str(path))


@pytest.fixture
def db(sqlite_file):
    database = open_database(sqlite_file)
    service.create_poll(database, "Setup", ["a", "b"])  # first use creates the file
    yield database
    database.dispose()


def other_connection(path, timeout: float = 0) -> sqlite3.Connection:
    """A second connection, as another process would have; no busy wait unless asked."""
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


def test_a_new_database_is_created_in_wal_mode(db, sqlite_file):
    raw = other_connection(sqlite_file)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        raw.close()


def test_the_busy_timeout_is_10_s_unless_votr_busy_timeout_says_otherwise(db, sqlite_file, monkeypatch):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    monkeypatch.setenv("VOTR_BUSY_TIMEOUT", "2.5")
    patient = open_database(sqlite_file)
    try:
        with patient.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2_500
    finally:
        patient.dispose()


@pytest.mark.parametrize("value", ["soon", "-1", "99999"])
def test_a_busy_timeout_that_is_not_a_number_of_seconds_is_invalid_input(votr, value):
    outcome = votr("list", env={"VOTR_BUSY_TIMEOUT": value})
    assert outcome.exit_code == 1
    assert "VOTR_BUSY_TIMEOUT" in outcome.stderr


def test_foreign_keys_are_on_for_every_connection(db):
    # Several connections: the pool's first, a second one open at the same time, and a
    # fresh one after the pool is emptied.
    with db.engine.connect() as first, db.engine.connect() as second:
        assert first.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert second.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.engine.dispose()
    with db.engine.connect() as fresh:
        assert fresh.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_write_transaction_holds_the_write_lock_from_begin(db, sqlite_file):
    """BEGIN IMMEDIATE: before the work has written anything, no one else can write."""
    seen = {}

    def work(conn):
        other = other_connection(sqlite_file)
        try:
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
            seen["blocked"] = True
        finally:
            other.close()

    db.write(work)
    assert seen == {"blocked": True}
    free = other_connection(sqlite_file)  # and the lock is gone with the transaction
    try:
        free.execute("BEGIN IMMEDIATE")
        free.execute("ROLLBACK")
    finally:
        free.close()


def test_a_read_transaction_leaves_writers_free(db, sqlite_file):
    with db.reading():
        other = other_connection(sqlite_file)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE polls SET vote_count = vote_count")
            other.execute("COMMIT")
        finally:
            other.close()


def test_every_write_command_writes_inside_begin_immediate(db):
    """Not only votes: every statement that changes data runs in a transaction that took
    the write lock at BEGIN. Watched from SQLite's side (its trace callback sees every
    statement it runs, those votr runs on the driver's cursor included)."""
    changes_outside: list[str] = []
    changes_inside: list[str] = []
    last_begin = {"kind": None}

    def watch(statement: str) -> None:
        words = statement.split()
        first = words[0].upper() if words else ""
        if first == "BEGIN":
            last_begin["kind"] = " ".join(words).upper()
        elif first in ("COMMIT", "ROLLBACK"):
            last_begin["kind"] = None
        elif first in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
            target = changes_inside if last_begin["kind"] == "BEGIN IMMEDIATE" else changes_outside
            target.append(" ".join(words[:3]))

    db.engine.dispose()  # every connection from here on is a new one, and traced
    sa.event.listen(db.engine, "connect", lambda dbapi_connection, _record: dbapi_connection.set_trace_callback(watch))
    poll = service.create_poll(db, "Every write", ["x", "y"])["poll"]
    service.vote(db, poll["id"], "x", "ann")
    service.close_poll(db, poll["id"])
    service.reopen_poll(db, poll["id"], utcnow() + dt.timedelta(days=3))
    assert changes_outside == []
    assert len(changes_inside) >= 6  # topic, options, polls, ballot, counter, close, reopen
