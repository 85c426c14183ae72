"""The database votr works on: its engine, and transactions to read and write through.

`Database` holds one engine, made on first use, and runs work in transactions on a
schema the gate (votr_cli.db.schema) has checked, turning driver errors into votr's
(votr_cli.db.driver_errors). It reads no settings: the front ends pass the URL and the
busy timeout.

Writes have one retry policy, here: a write transaction runs again, up to WRITE_ATTEMPTS
times in all, when the server aborted it to resolve a deadlock, or when the work raised
WriteConflict because a concurrent writer got in first.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from votr_cli.core.errors import DatabaseBusy, DatabaseProblem
from votr_cli.db import dialect, driver_errors, engine, schema
from votr_cli.db.group_commit import QueueTimeout, WriteQueue

T = TypeVar("T")

WRITE_ATTEMPTS = 5
# The pause before attempt n is RETRY_PAUSE_SECONDS * 2**n: contenders drift apart.
RETRY_PAUSE_SECONDS = 0.01


class WriteConflict(Exception):
    """A concurrent writer changed what this write transaction had checked: run it again.

    Raised by the work given to `Database.write`; `message` is what the user is told if
    every attempt meets a conflict.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Database:
    def __init__(self, url: str, *, busy_timeout: float, create_folder: bool = False):
        """`busy_timeout`: seconds to wait for another writer's lock. `create_folder`:
        make a SQLite file's missing folders (votr's default location only)."""
        self.url = engine.parse_url(url)
        self.dialect = self.url.get_backend_name()
        self.busy_timeout = busy_timeout
        self.create_folder = create_folder
        self._engine: Engine | None = None
        self._writes: Engine | None = None
        self._snapshots: Engine | None = None
        self._schema_checked = False
        # SQLite has one writer at a time; threads of this process that would wait for it
        # (votr serve's workers) queue here instead, where SQLite's busy handler would
        # sleep and poll, and those that waited share a commit (db/group_commit.py).
        # Other processes still wait through the busy timeout.
        self._write_queue = WriteQueue(self._write_transaction) if self.is_sqlite else None

    # -- where it is -----------------------------------------------------------------

    @property
    def family(self) -> str:
        """'sqlite', 'postgresql' or 'mysql' (MariaDB included): see votr_cli.db.dialect."""
        return dialect.family(self.dialect)

    @property
    def is_sqlite(self) -> bool:
        return dialect.is_sqlite(self.dialect)

    @property
    def sqlite_path(self) -> Path | None:
        return engine.sqlite_path(self.url)

    @property
    def display_url(self) -> str:
        return engine.display_url(self.url)

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite file, named by a path or a URI filename; None for servers and memory."""
        return engine.sqlite_file(self.url)

    def exists(self) -> bool:
        """False only when we know there is nothing there yet (a missing SQLite file)."""
        path = self.sqlite_file
        return path is None or path.exists()

    # -- engines ---------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._make_engine(foreign_keys=True)
        return self._engine

    @property
    def _write_engine(self) -> Engine:
        """The engine, sharing its pool, whose connections begin write transactions
        (BEGIN IMMEDIATE on SQLite): made once, not for every write."""
        if self._writes is None:
            self._writes = self.engine.execution_options(votr_write=True)
        return self._writes

    @property
    def snapshot_engine(self) -> Engine:
        """The engine, sharing its pool, whose transactions read from one snapshot.

        A read of a poll takes several statements (the poll, its options, its ballots).
        Under READ COMMITTED, votr's isolation on PostgreSQL and MariaDB, each statement
        sees the commits made before it began, so a vote committed between two of them
        would show half of itself. REPEATABLE READ reads every statement from the
        snapshot of the first; a transaction that only reads is never aborted for it.
        SQLite's read transactions already keep one snapshot.
        """
        if self._snapshots is None:
            self._snapshots = (self.engine if self.is_sqlite
                               else self.engine.execution_options(isolation_level="REPEATABLE READ"))
        return self._snapshots

    def migration_engine(self) -> Engine:
        """A separate engine for schema changes; the caller disposes of it.

        Batch migrations on SQLite copy and drop tables; with foreign keys enforced
        that drop would cascade. The PRAGMA has no effect inside a transaction, so it
        is set on connect. db-check verifies foreign keys afterwards.
        """
        return self._make_engine(foreign_keys=False)

    def _make_engine(self, *, foreign_keys: bool) -> Engine:
        return engine.make_engine(self.url, busy_timeout=self.busy_timeout, foreign_keys=foreign_keys,
                                  create_folder=self.create_folder)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    # -- transactions ----------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read transaction, from one snapshot, on an up-to-date schema (created first
        if empty)."""
        with self.translated_errors():
            self._ensure_schema()
            with self.snapshot_engine.connect() as conn, conn.begin():
                yield conn

    @contextlib.contextmanager
    def reading_existing(self) -> Iterator[Connection | None]:
        """A read transaction that creates nothing: no file, folder, table or backup.

        Yields None when there is no database yet (a missing SQLite file, a database
        with no tables); raises SchemaMismatch for a schema other than the current one,
        as `reading` does.
        """
        with self.translated_errors():
            if not self._schema_checked and schema.state(self, create_missing=False) == "missing":
                yield None
                return
            self._schema_checked = True
            with self.snapshot_engine.connect() as conn, conn.begin():
                yield conn

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction; run it again, in a new transaction, when
        the server aborted it for a deadlock or `work` raised WriteConflict."""
        with self.translated_errors():
            self._ensure_schema()
            for attempt in range(1, WRITE_ATTEMPTS + 1):
                try:
                    return self._write_once(work)
                except WriteConflict as exc:
                    if attempt == WRITE_ATTEMPTS:
                        raise DatabaseBusy(exc.message) from None
                except DBAPIError as exc:
                    if attempt == WRITE_ATTEMPTS or not driver_errors.is_retryable(exc):
                        raise
                time.sleep(RETRY_PAUSE_SECONDS * 2**attempt)
        raise AssertionError("unreachable")

    @property
    def writes_waiting(self) -> int:
        """SQLite: this process's writes in line for the writer, the running ones included."""
        return 0 if self._write_queue is None else self._write_queue.waiting

    def _write_once(self, work: Callable[[Connection], T]) -> T:
        if self._write_queue is None:
            with self._write_transaction() as conn:
                return work(conn)
        try:
            return self._write_queue.run(work, self.busy_timeout)
        except QueueTimeout:
            raise DatabaseBusy(f"database is busy: other writes of this process held it for more than "
                               f"{self.busy_timeout:g} s (raise VOTR_BUSY_TIMEOUT to wait longer)") from None

    @contextlib.contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        with self._write_engine.connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def translated_errors(self) -> Iterator[None]:
        """Driver errors raised inside become votr's errors (exit 5)."""
        with driver_errors.translated(self.url, self.busy_timeout):
            yield

    def describe(self, exc: DBAPIError) -> DatabaseProblem:
        """The votr error that says what the driver error `exc` means for this database."""
        return driver_errors.describe(exc, self.url, self.busy_timeout)

    def _ensure_schema(self) -> None:
        if self._schema_checked:
            return
        found = schema.state(self, create_missing=True)
        if found != "current":
            raise AssertionError(found)
        self._schema_checked = True
