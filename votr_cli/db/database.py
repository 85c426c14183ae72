"""Engine set-up, transactions and the schema-version gate.

- SQLite: WAL (set when the database is created), a busy timeout, foreign keys on every
  connection, and write transactions that take the write lock at BEGIN (BEGIN IMMEDIATE):
  a deferred transaction that later upgrades to a writer fails at once with SQLITE_BUSY,
  which no busy timeout can help.
- Every command checks the database's Alembic revision against SCHEMA_HEAD before it
  does anything else, and creates a database that has no tables yet.
- Driver errors become votr's DatabaseProblem, with a readable message and exit 5.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError

from votr_cli.frontends import settings
from votr_cli.core.errors import DatabaseBusy, DatabaseProblem, SchemaMismatch
from votr_cli.db.tables import SCHEMA_HEAD, metadata

T = TypeVar("T")

LEGACY_TABLES = {"topics", "options", "polls"}
# Revision ids of the original Votr web app's own migrations (README: Adoption).
LEGACY_REVISIONS = {
    "347f4ec5eb5e", "0c8b4adb6020", "9858b711820e", "011e1ea78393",
    "1a7dfd455444", "20a1622bf8e4", "682fa0321a3e", "a6a076719bb6",
}
UPGRADE_HINT = "run votr db-upgrade"
DRIVER_EXTRAS = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}
EXTRA_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}
# Server errors worth running a whole write transaction again for: deadlocks and
# serialisation failures, which the server resolves by aborting one of the parties.
RETRYABLE_SERVER_ERRORS = {"40001", "40P01", 1213}
# "undefined table" on PostgreSQL, "table doesn't exist" on MySQL/MariaDB.
MISSING_TABLE_ERRORS = {"42P01", 1146}
WRITE_ATTEMPTS = 5
# "disk full" on PostgreSQL; "disk full" and "the table is full" on MariaDB/MySQL.
DISK_FULL_ERRORS = {"53100", 1021, 1114}
# An SQLite I/O error on a disk with less free space than this is taken for a full disk.
NEARLY_FULL_BYTES = 1 << 20


class _NotInitialised(Exception):
    """The database has no tables at all: create it, then run the work again."""


class Database:
    def __init__(self, location: settings.DatabaseLocation):
        self.location = location
        try:
            self.url = make_url(location.url)
            port = self.url.port  # parsed on first use: a port that is not a number fails here
            if port is not None and not 0 < port < 65536:
                raise ValueError(port)
        except (ArgumentError, ValueError):
            raise DatabaseProblem(f"not a valid database URL: {without_password(location.url)!r}") from None
        self.dialect = self.url.get_backend_name()
        self.busy_timeout = settings.busy_timeout()
        self._engine: Engine | None = None
        self._schema_checked = False

    # -- engine ---------------------------------------------------------------------

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        database = self.url.database
        if not self.is_sqlite or not database or database == ":memory:" or self.url.query.get("uri"):
            return None
        return Path(database)

    @property
    def display_url(self) -> str:
        if self.sqlite_path is not None:
            return str(self.sqlite_path)
        if self.is_sqlite and self.url.query.get("uri") and self.url.database:
            return self.url.database  # "file:/path/votr.db", as SQLite's URI names it
        return self.url.render_as_string(hide_password=True)

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite file, named by a path or by a URI filename (file:x.db?mode=ro)."""
        if self.sqlite_path is not None or not self.is_sqlite or not self.url.query.get("uri"):
            return self.sqlite_path
        from urllib.parse import unquote, urlsplit

        parts = urlsplit(self.url.database or "")
        if parts.scheme != "file" or self.url.query.get("mode") == "memory" or parts.path in ("", ":memory:"):
            return None
        return Path(unquote(parts.path))

    def exists(self) -> bool:
        """False only when we know there is nothing there yet (a missing SQLite file)."""
        path = self.sqlite_file
        return path is None or path.exists()

    def refuse_unknown_revisions(self, revisions: list[str]) -> None:
        """A schema newer than this votr (a revision it does not know) is left alone."""
        from votr_cli.db.migrations import known_revisions

        if set(revisions) - known_revisions() - LEGACY_REVISIONS:
            raise SchemaMismatch(self._revision_mismatch_message(revisions))

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._make_engine(foreign_keys=True)
        return self._engine

    def _make_engine(self, *, foreign_keys: bool) -> Engine:
        path = self.sqlite_path
        if path is not None:
            _check_sqlite_file(path, create_folder=self.location.is_default)
        try:
            if self.is_sqlite:
                engine = create_engine(self.url, connect_args={"timeout": self.busy_timeout})
                _configure_sqlite(engine, foreign_keys=foreign_keys)
            else:
                engine = create_engine(self.url, **_server_engine_options(self.dialect, self.busy_timeout))
        except (ModuleNotFoundError, NoSuchModuleError) as exc:
            extra = DRIVER_EXTRAS.get(self.dialect)
            hint = f": pip install 'votr-cli[{extra}]'" if extra else ""
            if extra and self.url.get_driver_name() != EXTRA_DRIVERS[extra].partition("+")[2]:
                # The extra installs one driver: a URL that names another still fails.
                hint += f" and use a {EXTRA_DRIVERS[extra]}:// URL"
            raise DatabaseProblem(f"no driver for {self.dialect} databases ({exc}){hint}") from None
        except ArgumentError as exc:
            raise DatabaseProblem(f"cannot use database URL {self.display_url}: {exc}") from None
        return engine

    def migration_engine(self) -> Engine:
        # Batch migrations on SQLite copy and drop tables; with foreign keys enforced
        # that drop would cascade. The PRAGMA has no effect inside a transaction, so it
        # is set on connect. db-check verifies foreign keys afterwards.
        return self._make_engine(foreign_keys=False)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    # -- transactions ---------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read transaction on an up-to-date schema (created first if empty)."""
        with self.translated_errors():
            self._ensure_schema()
            with self.engine.connect() as conn, conn.begin():
                yield conn

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction, again if the server aborted it for a deadlock."""
        with self.translated_errors():
            self._ensure_schema()
            for attempt in range(1, WRITE_ATTEMPTS + 1):
                try:
                    with self.engine.connect() as conn:
                        conn = conn.execution_options(votr_write=True)
                        with conn.begin():
                            return work(conn)
                except DBAPIError as exc:
                    if attempt == WRITE_ATTEMPTS or not _server_error_codes(exc) & RETRYABLE_SERVER_ERRORS:
                        raise
                    time.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def translated_errors(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError as exc:
            raise DatabaseProblem(f"database refused the change: {_first_line(exc.orig)}") from None
        except DBAPIError as exc:
            raise self.describe(exc) from None

    def describe(self, exc: DBAPIError) -> DatabaseProblem:
        message = _first_line(exc.orig)
        lowered = message.lower()
        where = self.display_url
        unreachable = self._connection_problem(exc, lowered)
        if unreachable is not None:
            return unreachable
        if "database is locked" in lowered or "database table is locked" in lowered:
            return DatabaseBusy(
                f"database is busy: another process held its lock for more than "
                f"{self.busy_timeout:g} s (raise VOTR_BUSY_TIMEOUT to wait longer)"
            )
        if "lock wait timeout" in lowered or "lock timeout" in lowered or "canceling statement" in lowered:
            return DatabaseBusy(f"database is busy: a lock was held for more than {self.busy_timeout:g} s")
        if "readonly database" in lowered or "read-only" in lowered:
            return DatabaseProblem(f"database {where} is read-only: it can be read but not changed")
        if self._disk_is_full(exc):
            return DatabaseProblem(f"the disk holding database {where} is full ({message}): "
                                   f"nothing was changed; free some space and run the command again")
        if "file is not a database" in lowered:
            return DatabaseProblem(f"{where} is not a SQLite database (file is not a database)")
        if "malformed" in lowered:
            return DatabaseProblem(f"database {where} is corrupt ({message}); restore it from a backup")
        if "disk i/o error" in lowered:
            return DatabaseProblem(f"cannot read or write database {where}: {message} "
                                   f"({getattr(exc.orig, 'sqlite_errorname', 'SQLITE_IOERR')}); "
                                   f"check the disk, then run db-check")
        if "unable to open database file" in lowered:
            return DatabaseProblem(f"cannot open database {where}{self._read_only_folder_hint()}")
        if "no such table" in lowered or _server_error_codes(exc) & MISSING_TABLE_ERRORS:
            return SchemaMismatch(f"database {where} is missing votr tables ({message}); {UPGRADE_HINT}")
        return DatabaseProblem(f"database error on {where}: {message}")

    def _disk_is_full(self, exc: DBAPIError) -> bool:
        """The server said its disk is full, or SQLite did: SQLITE_FULL, or an I/O error
        (it cannot grow its -shm or -wal file) on a disk with next to no space left."""
        if _server_error_codes(exc) & DISK_FULL_ERRORS:
            return True
        name = getattr(exc.orig, "sqlite_errorname", "") or ""
        if name == "SQLITE_FULL":
            return True
        path = self.sqlite_path
        if not name.startswith("SQLITE_IOERR") or path is None:
            return False
        try:
            space = os.statvfs(path.parent)
        except OSError:
            return False
        return space.f_bavail * space.f_frsize < NEARLY_FULL_BYTES

    def _read_only_folder_hint(self) -> str:
        """A WAL database is read through its -shm file, made beside it: in a folder that
        cannot be written, SQLite cannot open it at all, unless told nothing changes it."""
        path = self.sqlite_path
        if path is None or not path.is_file() or os.access(path.parent, os.W_OK):
            return ""
        return (f": its folder {path.parent} is read-only, and SQLite needs to write {path.name}-shm "
                f"there; to read a copy that nothing writes to, use "
                f"--db 'sqlite:///file:{path.resolve()}?immutable=1&uri=true'")

    def _connection_problem(self, exc: DBAPIError, lowered: str) -> DatabaseProblem | None:
        """A server that cannot be reached or will not let us in, said in plain words.

        psycopg gives no SQLSTATE for a failed connection, so its text is matched;
        PyMySQL gives the server's error number.
        """
        if self.is_sqlite:
            return None
        codes = _server_error_codes(exc)
        server = f"{self.url.host or 'localhost'}{f':{self.url.port}' if self.url.port else ''}"
        if codes & {2003, 2005, 2006, 2013} or _connection_reason(lowered) is not None:
            return DatabaseProblem(f"cannot connect to the {self.dialect} server at {server}: "
                                   f"{_connection_reason(lowered) or 'no connection'} (is it running, and is the URL right?)")
        if codes & {1044, 1045, 1698} or "password authentication failed" in lowered or (
                "role" in lowered and "does not exist" in lowered):
            return DatabaseProblem(f"the {self.dialect} server at {server} refused user "
                                   f"{self.url.username or ''!r}: check the user name and password in the URL")
        if 1049 in codes or ("database" in lowered and "does not exist" in lowered and "fatal" in lowered):
            return DatabaseProblem(f"database {self.url.database!r} does not exist on the {self.dialect} server "
                                   f"at {server}: create it first (votr creates the tables, not the database)")
        return None

    # -- schema gate ----------------------------------------------------------------

    def _ensure_schema(self) -> None:
        if self._schema_checked:
            return
        state = self.schema_state(create_missing=True)
        if state != "current":
            raise AssertionError(state)
        self._schema_checked = True

    def schema_state(self, *, create_missing: bool) -> str:
        """'current', 'missing' (nothing there, and not created), or raises SchemaMismatch."""
        if not self.exists() and not create_missing:
            return "missing"
        try:
            revisions = self._read_revisions()
        except _NotInitialised:
            if not create_missing:
                tables = self.table_names()
                if not tables:
                    return "missing"
                raise SchemaMismatch(self._foreign_database_message(tables)) from None
            # Creates the tables, or waits for the process that is creating them (on
            # MariaDB each CREATE TABLE commits at once, so they can be seen half made).
            self.create_schema()
            try:
                revisions = self._read_revisions()
            except _NotInitialised:
                raise SchemaMismatch(self._foreign_database_message(self.table_names())) from None
        if revisions == [SCHEMA_HEAD]:
            return "current"
        raise SchemaMismatch(self._revision_mismatch_message(revisions))

    def _read_revisions(self) -> list[str]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except DBAPIError as exc:
            # An unreadable file fails here too; only a missing table means "not initialised".
            if self.engine.dialect.name == "sqlite" and "no such table" not in str(exc.orig):
                raise
            if self.engine.dialect.name != "sqlite" and "alembic_version" in self.table_names():
                raise
            raise _NotInitialised() from None

    def table_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return inspect(conn).get_table_names()

    def _foreign_database_message(self, tables: list[str]) -> str:
        if "legacy_votr_topics" in tables:  # see votr_cli.ops.adoption: MariaDB's DDL commits step by step
            return (f"the adoption of the old Votr database {self.display_url} was interrupted; "
                    f"{UPGRADE_HINT} to finish it")
        if LEGACY_TABLES <= set(tables):
            return (f"{self.display_url} was made by the original Votr web app; "
                    f"{UPGRADE_HINT} to adopt it")
        return f"{self.display_url} is not a votr database (it has other tables: {', '.join(sorted(tables)[:5])})"

    def _revision_mismatch_message(self, revisions: list[str]) -> str:
        if not revisions:
            return f"database schema is behind this votr (at base, not {SCHEMA_HEAD}); {UPGRADE_HINT}"
        if set(revisions) & LEGACY_REVISIONS:
            return (f"{self.display_url} was made by the original Votr web app (revision "
                    f"{', '.join(revisions)}); {UPGRADE_HINT} to adopt it")
        from votr_cli.db.migrations import known_revisions  # only on this rare path: it loads Alembic

        current = ", ".join(revisions)
        if set(revisions) <= known_revisions():
            return f"database schema is behind this votr (at {current}, not {SCHEMA_HEAD}); {UPGRADE_HINT}"
        return (f"database schema {current} is ahead of this votr (which knows up to {SCHEMA_HEAD}); "
                f"upgrade votr, or run db-downgrade with the newer votr")

    def create_schema(self) -> None:
        """Create every table at head and stamp it, as Alembic's cookbook does.

        Runs inside one write transaction that re-checks for tables, so two processes that
        both find an empty database do not both create it.
        """
        from votr_cli.db.migrations import stamp_head

        if self.is_sqlite:
            enable_wal(self.engine)
        with self.engine.connect() as conn:
            conn = conn.execution_options(votr_write=True)
            try:
                with conn.begin():
                    _lock_for_schema_change(conn)
                    if inspect(conn).get_table_names():
                        return
                    metadata.create_all(conn)
                    stamp_head(conn)
            finally:
                _unlock_schema_change(conn)


def _check_sqlite_file(path: Path, *, create_folder: bool) -> None:
    """Refuse what SQLite would fail on obscurely (a folder, a device, a FIFO, a folder
    that is a file); make the default location's missing folders."""
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a device, a pipe or a socket)"
        raise DatabaseProblem(f"{path} is not a SQLite database: it is {kind}")
    if path.parent.is_dir():
        return
    if path.parent.exists() or not create_folder:
        why = "is not a folder" if path.parent.exists() else "does not exist"
        raise DatabaseProblem(f"cannot open database {path}: folder {path.parent} {why}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # VOTR_HOME below a file, say, or a read-only disk
        raise DatabaseProblem(f"cannot create the folder {path.parent} for the database: "
                              f"{exc.strerror or exc}") from None


def without_password(url: str) -> str:
    """A URL as text with its password masked, for URLs SQLAlchemy cannot parse."""
    return re.sub(r"(://[^/@:]*):[^/@]*@", r"\1:***@", url)


def _configure_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    """The transaction recipe SQLAlchemy documents for pysqlite, plus votr's pragmas."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Stop pysqlite from issuing BEGIN itself, so that ours below is the one used.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("votr_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def enable_wal(engine: Engine) -> None:
    """WAL lets readers go on while one process writes. The mode is stored in the file.

    It cannot be changed inside a transaction, so it goes through the driver's own
    connection, where (see above) no BEGIN is issued implicitly.
    """
    statement = "PRAGMA journal_mode=WAL"
    raw = engine.raw_connection()
    try:
        raw.cursor().execute(statement).fetchall()
    except engine.dialect.loaded_dbapi.Error as exc:
        # The driver's own error: wrap it as SQLAlchemy would, so it is described like any other.
        raise DBAPIError.instance(statement, None, exc, engine.dialect.loaded_dbapi.Error) from None
    finally:
        raw.close()


def _server_engine_options(dialect: str, busy_timeout: float) -> dict:
    """Make a server wait for locks as long as SQLite's busy timeout would, then fail."""
    milliseconds = int(busy_timeout * 1000)
    if dialect == "postgresql":
        return {"connect_args": {"options": f"-c lock_timeout={milliseconds}", "connect_timeout": 10}}
    if dialect in ("mysql", "mariadb"):
        seconds = max(1, round(busy_timeout))
        # READ COMMITTED, PostgreSQL's default: under InnoDB's REPEATABLE READ, a row that
        # INSERT IGNORE skipped because another writer just added it stays invisible to
        # the SELECT that follows in the same transaction.
        return {"isolation_level": "READ COMMITTED", "connect_args": {"charset": "utf8mb4", "connect_timeout": 10,
                                 "init_command": f"SET SESSION innodb_lock_wait_timeout={seconds}"}}
    return {}


def _lock_for_schema_change(conn: Connection) -> None:
    """Serialise schema creation between processes on server backends."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7263418)"))
    elif conn.dialect.name in ("mysql", "mariadb"):
        conn.execute(text("SELECT GET_LOCK('votr_schema', :timeout)"), {"timeout": 30})


def _unlock_schema_change(conn: Connection) -> None:
    """MySQL's named lock belongs to the session, which the pool keeps open: release it.

    PostgreSQL's advisory lock above ends with its transaction.
    """
    if conn.dialect.name not in ("mysql", "mariadb"):
        return
    try:
        conn.execute(text("DO RELEASE_LOCK('votr_schema')"))
        conn.commit()
    except DBAPIError:
        conn.invalidate()  # a session that broke has lost its lock with it


def _connection_reason(lowered: str) -> str | None:
    """Why a driver's message says it could not connect, or None if it says no such thing."""
    for sign in ("connection refused", "timeout expired", "connection timed out", "no route to host"):
        if sign in lowered:
            return sign.replace("expired", "expired while connecting")
    if ("could not translate host name" in lowered or "name or service not known" in lowered
            or "getaddrinfo" in lowered):
        return "unknown host name"
    return None


def _server_error_codes(exc: DBAPIError) -> set:
    """The SQLSTATE (psycopg, recent PyMySQL) and the MySQL error number (PyMySQL)."""
    orig = exc.orig
    codes = set()
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        codes.add(sqlstate)
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        codes.add(args[0])
    return codes


def _first_line(exc: BaseException | None) -> str:
    text_ = str(exc).strip()
    return text_.splitlines()[0] if text_ else type(exc).__name__


def insert_ignoring_duplicates(conn: Connection, table, rows: list[dict] | dict) -> int:
    """Insert, leaving out rows that would break a unique constraint; return rows added.

    Each dialect's own conflict handling does this atomically, so two writers racing for
    the same key cannot both get in, and neither fails.
    """
    name = conn.dialect.name
    if name in ("sqlite", "postgresql"):
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        # Count the rows RETURNING gives back: psycopg reports no rowcount (-1) for
        # an INSERT that returns rows, and -1 would read as "added".
        statement = insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
        return len(conn.execute(statement, rows).all())
    if name in ("mysql", "mariadb"):
        from sqlalchemy import insert
        # MySQL's affected-rows count leaves out the ignored rows.
        return conn.execute(insert(table).prefix_with("IGNORE"), rows).rowcount
    raise DatabaseProblem(f"votr does not support {name} databases")
