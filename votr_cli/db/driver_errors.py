"""Driver errors turned into votr's: a readable message, the right error class (exit 5).

Messages name the database as `engine.display_url` does, so a server URL's password is
never shown.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError

from votr_cli.core.errors import DatabaseBusy, DatabaseProblem, SchemaMismatch
from votr_cli.db import dialect, engine

# Server errors worth running a whole write transaction again for: deadlocks and
# serialisation failures, which the server resolves by aborting one of the parties.
RETRYABLE_SERVER_ERRORS = {"40001", "40P01", 1213}
# "undefined table" on PostgreSQL, "table doesn't exist" on MySQL/MariaDB.
MISSING_TABLE_ERRORS = {"42P01", 1146}
# "disk full" on PostgreSQL; "disk full" and "the table is full" on MariaDB/MySQL.
DISK_FULL_ERRORS = {"53100", 1021, 1114}
# MySQL's client errors for a server it cannot reach, and its refusals of a user.
UNREACHABLE_ERRORS = {2003, 2005, 2006, 2013}
REFUSED_USER_ERRORS = {1044, 1045, 1698}
UNKNOWN_DATABASE_ERROR = 1049
# An SQLite I/O error on a disk with less free space than this is taken for a full disk.
NEARLY_FULL_BYTES = 1 << 20
UPGRADE_HINT = "run votr db-upgrade"


@contextlib.contextmanager
def translated(url: URL, busy_timeout: float) -> Iterator[None]:
    """Driver errors raised inside become votr's errors."""
    try:
        yield
    except IntegrityError as exc:
        raise DatabaseProblem(f"database refused the change: {first_line(exc.orig)}") from None
    except DBAPIError as exc:
        raise describe(exc, url, busy_timeout) from None


def is_retryable(exc: DBAPIError) -> bool:
    """The server aborted the transaction to resolve a deadlock: running it again may work."""
    return bool(server_error_codes(exc) & RETRYABLE_SERVER_ERRORS)


def describe(exc: DBAPIError, url: URL, busy_timeout: float) -> DatabaseProblem:
    """The votr error that says what `exc` means for the database at `url`.

    A long chain of tests, one per kind of trouble, in the order that tells them apart:
    a message can match a later test too (a locked file is also "unable to open").
    """
    message = first_line(exc.orig)
    lowered = message.lower()
    where = engine.display_url(url)
    unreachable = _connection_problem(exc, url, lowered)
    if unreachable is not None:
        return unreachable
    if "database is locked" in lowered or "database table is locked" in lowered:
        return DatabaseBusy(
            f"database is busy: another process held its lock for more than "
            f"{busy_timeout:g} s (raise VOTR_BUSY_TIMEOUT to wait longer)"
        )
    if "lock wait timeout" in lowered or "lock timeout" in lowered or "canceling statement" in lowered:
        return DatabaseBusy(f"database is busy: a lock was held for more than {busy_timeout:g} s")
    if "readonly database" in lowered or "read-only" in lowered:
        return DatabaseProblem(f"database {where} is read-only: it can be read but not changed")
    if _disk_is_full(exc, url):
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
        return DatabaseProblem(f"cannot open database {where}{_read_only_folder_hint(url)}")
    if "no such table" in lowered or server_error_codes(exc) & MISSING_TABLE_ERRORS:
        return SchemaMismatch(f"database {where} is missing votr tables ({message}); {UPGRADE_HINT}")
    return DatabaseProblem(f"database error on {where}: {message}")


def _disk_is_full(exc: DBAPIError, url: URL) -> bool:
    """The server said its disk is full, or SQLite did: SQLITE_FULL, or an I/O error
    (it cannot grow its -shm or -wal file) on a disk with next to no space left."""
    if server_error_codes(exc) & DISK_FULL_ERRORS:
        return True
    name = getattr(exc.orig, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL":
        return True
    path = engine.sqlite_path(url)
    if not name.startswith("SQLITE_IOERR") or path is None:
        return False
    try:
        space = os.statvfs(path.parent)
    except OSError:
        return False
    return space.f_bavail * space.f_frsize < NEARLY_FULL_BYTES


def _read_only_folder_hint(url: URL) -> str:
    """A WAL database is read through its -shm file, made beside it: in a folder that
    cannot be written, SQLite cannot open it at all, unless told nothing changes it."""
    path = engine.sqlite_path(url)
    if path is None or not path.is_file() or os.access(path.parent, os.W_OK):
        return ""
    return (f": its folder {path.parent} is read-only, and SQLite needs to write {path.name}-shm "
            f"there; to read a copy that nothing writes to, use "
            f"--db 'sqlite:///file:{path.resolve()}?immutable=1&uri=true'")


def _connection_problem(exc: DBAPIError, url: URL, lowered: str) -> DatabaseProblem | None:
    """A server that cannot be reached or will not let us in, said in plain words.

    psycopg gives no SQLSTATE for a failed connection, so its text is matched;
    PyMySQL gives the server's error number.
    """
    backend = url.get_backend_name()
    if dialect.is_sqlite(backend):
        return None
    codes = server_error_codes(exc)
    server = f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}"
    if codes & UNREACHABLE_ERRORS or _connection_reason(lowered) is not None:
        return DatabaseProblem(f"cannot connect to the {backend} server at {server}: "
                               f"{_connection_reason(lowered) or 'no connection'} "
                               f"(is it running, and is the URL right?)")
    if codes & REFUSED_USER_ERRORS or "password authentication failed" in lowered or (
            "role" in lowered and "does not exist" in lowered):
        return DatabaseProblem(f"the {backend} server at {server} refused user "
                               f"{url.username or ''!r}: check the user name and password in the URL")
    if UNKNOWN_DATABASE_ERROR in codes or ("database" in lowered and "does not exist" in lowered
                                           and "fatal" in lowered):
        return DatabaseProblem(f"database {url.database!r} does not exist on the {backend} server "
                               f"at {server}: create it first (votr creates the tables, not the database)")
    return None


def _connection_reason(lowered: str) -> str | None:
    """Why a driver's message says it could not connect, or None if it says no such thing."""
    for sign in ("connection refused", "timeout expired", "connection timed out", "no route to host"):
        if sign in lowered:
            return sign.replace("expired", "expired while connecting")
    if ("could not translate host name" in lowered or "name or service not known" in lowered
            or "getaddrinfo" in lowered):
        return "unknown host name"
    return None


def server_error_codes(exc: DBAPIError) -> set:
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


def first_line(exc: BaseException | None) -> str:
    """The first line of an error's text, or its type's name when it has none."""
    said = str(exc).strip()
    return said.splitlines()[0] if said else type(exc).__name__
