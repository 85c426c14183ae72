"""The schema gate: every command checks the database's Alembic revision against
SCHEMA_HEAD before it does anything else, and creates the tables of a database that has
none yet. Anything else (behind, ahead, foreign, the old Votr web app's) is refused with
SchemaMismatch, saying what to run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from votr_cli.core.errors import SchemaMismatch
from votr_cli.db import dialect
from votr_cli.db.driver_errors import UPGRADE_HINT
from votr_cli.db.legacy import LEGACY_REVISIONS, LEGACY_TABLES, MOVED_PREFIX
from votr_cli.db.tables import SCHEMA_HEAD, metadata

if TYPE_CHECKING:
    from votr_cli.db.database import Database


class _NotInitialised(Exception):
    """The database has no tables at all: create it, then run the work again."""


def state(db: Database, *, create_missing: bool) -> str:
    """'current', 'missing' (nothing there, and not created), or raises SchemaMismatch."""
    if not db.exists() and not create_missing:
        return "missing"
    try:
        revisions = _read_revisions(db)
    except _NotInitialised:
        if not create_missing:
            tables = table_names(db)
            if not tables:
                return "missing"
            raise SchemaMismatch(_foreign_database_message(db, tables)) from None
        # Creates the tables, or waits for the process that is creating them (on
        # MariaDB each CREATE TABLE commits at once, so they can be seen half made).
        create(db)
        try:
            revisions = _read_revisions(db)
        except _NotInitialised:
            raise SchemaMismatch(_foreign_database_message(db, table_names(db))) from None
    if revisions == [SCHEMA_HEAD]:
        return "current"
    raise SchemaMismatch(_revision_mismatch_message(db, revisions))


def refuse_unknown_revisions(db: Database, revisions: list[str]) -> None:
    """A schema newer than this votr (a revision it does not know) is left alone."""
    from votr_cli.db.migrations import known_revisions

    if set(revisions) - known_revisions() - LEGACY_REVISIONS:
        raise SchemaMismatch(_revision_mismatch_message(db, revisions))


def table_names(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return inspect(conn).get_table_names()


def create(db: Database) -> None:
    """Create every table at head and stamp it, as Alembic's cookbook does.

    Runs inside one write transaction that holds the schema lock and re-checks for
    tables, so two processes that both find an empty database do not both create it.
    """
    from votr_cli.db.engine import enable_wal
    from votr_cli.db.migrations import stamp_head

    if db.is_sqlite:
        enable_wal(db.engine)
    with db.engine.connect() as conn:
        with dialect.schema_change_transaction(conn.execution_options(votr_write=True)) as conn:
            if inspect(conn).get_table_names():
                return
            metadata.create_all(conn)
            stamp_head(conn)


def _read_revisions(db: Database) -> list[str]:
    try:
        with db.engine.connect() as conn:
            return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError as exc:
        # An unreadable file fails here too; only a missing table means "not initialised".
        if db.is_sqlite and "no such table" not in str(exc.orig):
            raise
        if not db.is_sqlite and "alembic_version" in table_names(db):
            raise
        raise _NotInitialised() from None


def _foreign_database_message(db: Database, tables: list[str]) -> str:
    if f"{MOVED_PREFIX}topics" in tables:  # see votr_cli.ops.adoption: MariaDB's DDL commits step by step
        return (f"the adoption of the old Votr database {db.display_url} was interrupted; "
                f"{UPGRADE_HINT} to finish it")
    if LEGACY_TABLES <= set(tables):
        return (f"{db.display_url} was made by the original Votr web app; "
                f"{UPGRADE_HINT} to adopt it")
    return f"{db.display_url} is not a votr database (it has other tables: {', '.join(sorted(tables)[:5])})"


def _revision_mismatch_message(db: Database, revisions: list[str]) -> str:
    if not revisions:
        return f"database schema is behind this votr (at base, not {SCHEMA_HEAD}); {UPGRADE_HINT}"
    if set(revisions) & LEGACY_REVISIONS:
        return (f"{db.display_url} was made by the original Votr web app (revision "
                f"{', '.join(revisions)}); {UPGRADE_HINT} to adopt it")
    from votr_cli.db.migrations import known_revisions  # only on this rare path: it loads Alembic

    current = ", ".join(revisions)
    if set(revisions) <= known_revisions():
        return f"database schema is behind this votr (at {current}, not {SCHEMA_HEAD}); {UPGRADE_HINT}"
    return (f"database schema {current} is ahead of this votr (which knows up to {SCHEMA_HEAD}); "
            f"upgrade votr, or run db-downgrade with the newer votr")
