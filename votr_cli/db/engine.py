"""Engines: from a database URL to a configured SQLAlchemy engine.

- SQLite: WAL (set when the database is created), a busy timeout, foreign keys on every
  connection, and write transactions that take the write lock at BEGIN (BEGIN IMMEDIATE):
  a deferred transaction that later upgrades to a writer fails at once with SQLITE_BUSY,
  which no busy timeout can help.
- Servers wait for a lock as long as SQLite's busy timeout would, then fail.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from votr_cli.core.errors import DatabaseProblem
from votr_cli.db import dialect

# The pip extra that installs each server family's driver, and the driver it installs.
DRIVER_EXTRAS = {dialect.POSTGRESQL: "postgresql", dialect.MYSQL: "mysql"}
EXTRA_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}
CONNECT_TIMEOUT_SECONDS = 10


def parse_url(given: str) -> URL:
    """The URL `given` names, or DatabaseProblem (which never shows its password)."""
    try:
        url = make_url(given)
        port = url.port  # parsed on first use: a port that is not a number fails here
        if port is not None and not 0 < port < 65536:
            raise ValueError(port)
    except (ArgumentError, ValueError):
        raise DatabaseProblem(f"not a valid database URL: {without_password(given)!r}") from None
    return url


def without_password(url: str) -> str:
    """A URL as text with its password masked, for URLs SQLAlchemy cannot parse."""
    return re.sub(r"(://[^/@:]*):[^/@]*@", r"\1:***@", url)


def sqlite_path(url: URL) -> Path | None:
    """The SQLite file a plain path names; None for servers, memory and URI filenames."""
    database = url.database
    if not dialect.is_sqlite(url.get_backend_name()) or not database or database == ":memory:" \
            or url.query.get("uri"):
        return None
    return Path(database)


def sqlite_file(url: URL) -> Path | None:
    """The SQLite file, named by a path or by a URI filename (file:x.db?mode=ro)."""
    path = sqlite_path(url)
    if path is not None or not dialect.is_sqlite(url.get_backend_name()) or not url.query.get("uri"):
        return path
    parts = urlsplit(url.database or "")
    if parts.scheme != "file" or url.query.get("mode") == "memory" or parts.path in ("", ":memory:"):
        return None
    return Path(unquote(parts.path))


def display_url(url: URL) -> str:
    """How messages name the database: a SQLite file by its path, a server URL without password."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    if dialect.is_sqlite(url.get_backend_name()) and url.query.get("uri") and url.database:
        return url.database  # "file:/path/votr.db", as SQLite's URI names it
    return url.render_as_string(hide_password=True)


def make_engine(url: URL, *, busy_timeout: float, foreign_keys: bool, create_folder: bool) -> Engine:
    """An engine for `url`. `foreign_keys` is SQLite's enforcement (off only for batch
    migrations); `create_folder` makes a SQLite file's missing folders."""
    path = sqlite_path(url)
    if path is not None:
        _check_sqlite_file(path, create_folder=create_folder)
    name = url.get_backend_name()
    try:
        if dialect.is_sqlite(name):
            engine = create_engine(url, connect_args={"timeout": busy_timeout})
            _configure_sqlite(engine, foreign_keys=foreign_keys)
        else:
            engine = create_engine(url, **_server_engine_options(name, busy_timeout))
    except (ModuleNotFoundError, NoSuchModuleError) as exc:
        raise DatabaseProblem(f"no driver for {name} databases ({exc}){_driver_hint(url)}") from None
    except ArgumentError as exc:
        if dialect.is_sqlite(name) and url.host:  # sqlite://votr.db: two slashes, the path read as a host
            raise DatabaseProblem(f"cannot use database URL {_rest(url, '')}: a SQLite URL has three "
                                  f"slashes before its path: use {sqlite_url_for(_rest(url, 'sqlite://'))}") from None
        raise DatabaseProblem(f"cannot use database URL {display_url(url)}: {exc}") from None
    return engine


# The URLs votr takes, for a message that refuses a URL whose scheme it does not know.
SUPPORTED_URLS = ("sqlite:///PATH (or a plain file path), postgresql+psycopg://USER@HOST/DATABASE "
                  "or mysql+pymysql://USER@HOST/DATABASE")
# Schemes SQLAlchemy does not know that people write for a family votr supports.
SCHEME_ALIASES = {"postgres": dialect.POSTGRESQL, "pgsql": dialect.POSTGRESQL}


def sqlite_url_for(path: str) -> str:
    """The SQLite URL of a path (sqlite:/// then the path: four slashes for an absolute one)."""
    return f"sqlite:///{path}"


def _rest(url: URL, scheme: str) -> str:
    """The URL as text (its password masked) after `scheme`."""
    return without_password(url.render_as_string(hide_password=False)).removeprefix(scheme)


def _driver_hint(url: URL) -> str:
    """The URL to use instead, with the same user, host and database, and how to install
    its driver, if votr has an extra for the URL's family; else the URLs votr takes."""
    name = url.get_backend_name()
    extra = DRIVER_EXTRAS.get(dialect.family(SCHEME_ALIASES.get(name, name)))
    if extra is None:
        return f": use {SUPPORTED_URLS}"
    scheme = EXTRA_DRIVERS[extra]
    if url.drivername == scheme:
        return f": pip install 'votr-cli[{extra}]'"
    # The extra installs one driver: a URL that names another still fails.
    rewritten = scheme + "://" + _rest(url, url.drivername + "://")
    return f": use a {scheme}:// URL, {rewritten} (pip install 'votr-cli[{extra}]' installs its driver)"


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


def _configure_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    """The transaction recipe SQLAlchemy documents for pysqlite, plus votr's pragmas."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Stop pysqlite from issuing BEGIN itself, so that ours below is the one used.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        # Deleted rows are overwritten, not left in the file's free space: a secret poll's
        # ballots are rewritten in a new order at each vote (README: Ballot policies).
        cursor.execute("PRAGMA secure_delete=ON")
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


def _server_engine_options(name: str, busy_timeout: float) -> dict:
    """Make a server wait for locks as long as SQLite's busy timeout would, then fail."""
    milliseconds = int(busy_timeout * 1000)
    if dialect.is_postgresql(name):
        return {"connect_args": {"options": f"-c lock_timeout={milliseconds}",
                                 "connect_timeout": CONNECT_TIMEOUT_SECONDS}}
    if dialect.is_mysql(name):
        seconds = max(1, round(busy_timeout))
        # READ COMMITTED, PostgreSQL's default: under InnoDB's REPEATABLE READ, a row that
        # INSERT IGNORE skipped because another writer just added it stays invisible to
        # the SELECT that follows in the same transaction.
        return {"isolation_level": "READ COMMITTED",
                "connect_args": {"charset": "utf8mb4", "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                                 "init_command": f"SET SESSION innodb_lock_wait_timeout={seconds}"}}
    return {}
