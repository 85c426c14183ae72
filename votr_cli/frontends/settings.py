"""Where votr finds its database and who is voting: flags, then environment, then defaults.

An environment variable set to the empty string counts as unset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from votr_cli.core.errors import InvalidInput
from votr_cli.core.text import quoted

if TYPE_CHECKING:
    from votr_cli.db.database import Database

DEFAULT_BUSY_TIMEOUT = 10.0


def env(name: str) -> str | None:
    return os.environ.get(name) or None


@dataclass(frozen=True)
class DatabaseLocation:
    url: str
    # The default location's missing folders are created; an explicit path's are not.
    is_default: bool


def database_location(explicit: str | None) -> DatabaseLocation:
    given = explicit or env("VOTR_DATABASE_URL")
    if given:
        if given.lower().startswith("sqlite:") and "://" not in given:  # sqlite:/tmp/votr.db
            from votr_cli.core.errors import DatabaseProblem

            raise DatabaseProblem(f"not a valid database URL: {given!r}: a SQLite URL has three slashes "
                                  f"before its path: use sqlite:///{given[len('sqlite:'):]}")
        if "://" not in given:  # a bare path is a SQLite file, as users expect
            given = f"sqlite:///{Path(given).expanduser()}"
        return DatabaseLocation(given, is_default=False)
    return DatabaseLocation(f"sqlite:///{home() / 'votr.db'}", is_default=True)


def database(explicit: str | None) -> Database:
    """The database --db (`explicit`) or the environment names, with its busy timeout."""
    from votr_cli.db.database import Database  # SQLAlchemy: only for commands that use a database

    location = database_location(explicit)
    return Database(location.url, busy_timeout=busy_timeout(), create_folder=location.is_default)


def home() -> Path:
    folder = env("VOTR_HOME")
    if folder:
        return Path(folder).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("votr", appauthor=False))


def busy_timeout() -> float:
    value = env("VOTR_BUSY_TIMEOUT")
    if value is None:
        return DEFAULT_BUSY_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        raise InvalidInput(f"VOTR_BUSY_TIMEOUT must be a number of seconds, not {quoted(value)}") from None
    if not 0 <= seconds <= 3600:
        raise InvalidInput(f"VOTR_BUSY_TIMEOUT must be between 0 and 3600 seconds, not {quoted(value)}")
    return seconds


def viewer(explicit: str | None) -> str | None:
    """Who is looking, named as a voter is; None when no name can be found."""
    try:
        return voter(explicit)
    except InvalidInput:
        return None


def voter(explicit: str | None) -> str:
    """The raw voter name: --voter, else $VOTR_VOTER, else the OS login name."""
    name = explicit if explicit is not None else env("VOTR_VOTER")
    if name is not None:
        return name
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # getpass raises OSError or KeyError when no login name exists
        raise InvalidInput("cannot tell who is voting: pass --voter NAME or set VOTR_VOTER") from None
