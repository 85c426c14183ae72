"""Alembic, driven from code: the `db-*` commands and schema creation.

The revision scripts ship inside the package (as `votr_cli.alembic`), so an installed
votr finds them from any folder. Alembic's Config is built here rather than read from
alembic.ini, and the connection is handed to env.py through `config.attributes`.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import io
import re
import sqlite3
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import Connection

from votr_cli.core.errors import DatabaseProblem, InvalidInput


def script_location() -> str:
    """The revision scripts: inside the installed package, or at the root of a checkout.

    The folder has no __init__.py on purpose: a regular package named `alembic` at the
    repository root would shadow the real Alembic for anything run from there.
    """
    package = Path(__file__).resolve().parent.parent  # votr_cli/
    for candidate in (package / "alembic", package.parent / "alembic"):
        if (candidate / "env.py").is_file():
            return str(candidate)
    raise DatabaseProblem("votr's migration scripts are missing from this installation")


def alembic_config(connection: Connection | None = None, *, output=None) -> Config:
    config = Config(stdout=output or io.StringIO())
    config.set_main_option("script_location", script_location())
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    return scripts().get_current_head()


def known_revisions() -> set[str]:
    return {rev.revision for rev in scripts().walk_revisions()}


def stamp_head(connection: Connection) -> None:
    command.stamp(alembic_config(connection), "head")


def current_revisions(connection: Connection) -> list[str]:
    return list(MigrationContext.configure(connection).get_current_heads())


def history() -> list[dict]:
    """Every revision, oldest first."""
    revisions = list(scripts().walk_revisions())
    revisions.reverse()
    heads = set(scripts().get_heads())
    return [
        {
            "revision": rev.revision,
            "down_revision": rev.down_revision,
            "message": rev.doc,
            "is_head": rev.revision in heads,
        }
        for rev in revisions
    ]


_RELATIVE = re.compile(r"[+-]\d+")


def check_target(revision: str) -> None:
    """Refuse an unknown revision before anything (a backup, say) is done."""
    if revision in ("head", "heads", "base") or _RELATIVE.fullmatch(revision):
        return
    try:
        scripts().get_revisions(revision)
    except (CommandError, RevisionError) as exc:
        raise InvalidInput(f"unknown revision {revision!r}: {exc}") from None


def resolve(revision: str) -> list[str] | None:
    """The revision ids a target names, or None for a relative target such as -1."""
    if _RELATIVE.fullmatch(revision):
        return None
    if revision == "base":
        return []
    if revision in ("head", "heads"):
        return list(scripts().get_heads())
    return [rev.revision for rev in scripts().get_revisions(revision)]


def upgrade(connection: Connection, revision: str) -> None:
    with _alembic_errors():
        command.upgrade(alembic_config(connection), revision)


def downgrade(connection: Connection, revision: str) -> None:
    with _alembic_errors():
        command.downgrade(alembic_config(connection), revision)


def downgrade_refusal(connection: Connection, revision: str) -> str | None:
    """Why a downgrade to `revision` would be refused, asked of every revision it would
    undo, newest first, before any of them runs; None when none refuses.

    A revision that can refuse its downgrade (0004 while polls of other kinds exist,
    0005 while polls have ballot policies) has a `downgrade_refusal(connection)` that
    says why, and its downgrade() asks it again. Asked only there, a downgrade across
    several revisions would undo the newer ones (for good, on MariaDB, whose DDL commits
    at once) before the older one refused. A target this cannot follow is left to the
    revisions' own checks."""
    try:
        current = current_revisions(connection)
        if len(current) != 1:
            return None
        if _RELATIVE.fullmatch(revision):
            steps = -int(revision)
            if steps <= 0:
                return None
            lower: str | None = current[0]
            for _ in range(steps):
                lower = scripts().get_revision(lower).down_revision if lower else None
            lower = lower or "base"
        else:
            target = resolve(revision)
            if target is None or len(target) > 1:
                return None
            lower = target[0] if target else "base"
        undone = [rev for rev in scripts().iterate_revisions(current[0], lower, inclusive=False)
                  if rev.revision != lower]
    except (CommandError, RevisionError, TypeError):
        return None
    for rev in undone:
        asked = getattr(rev.module, "downgrade_refusal", None)
        refusal = asked(connection) if asked is not None else None
        if refusal:
            return refusal
    return None


def upgrade_sql(url: str, revision: str) -> str:
    """The SQL an upgrade would run, in Alembic's offline mode: no connection is made."""
    output = io.StringIO()
    config = alembic_config(output=output)
    config.attributes["url"] = url
    with _alembic_errors():
        command.upgrade(config, revision if ":" in revision else f"base:{revision}", sql=True)
    return output.getvalue()


class _alembic_errors:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, (CommandError, RevisionError)):
            raise InvalidInput(str(exc)) from None
        return False


def backup_sqlite(path: Path) -> Path:
    """A consistent copy of a live SQLite database, through SQLite's backup API.

    A raw file copy could catch the database between a write to the file and to its WAL.
    """
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{stamp}.bak")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{stamp}-{counter}.bak")
    _create_exclusively(target, path.stat().st_mode & 0o666)
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            destination = sqlite3.connect(target)
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()
    except (sqlite3.Error, OSError) as exc:
        target.unlink(missing_ok=True)  # never leave half a backup behind
        full = "full" in str(exc).lower() or getattr(exc, "errno", None) == errno.ENOSPC
        why = "the disk is full" if full else str(exc)
        raise DatabaseProblem(f"cannot write the backup {target}: {why}; nothing was changed") from None
    return target


def _create_exclusively(target: Path, mode: int) -> None:
    """Create the backup file, empty, with the database's permissions (a 0600 database's
    backup is 0600 too), refusing anything already there, a planted symlink included."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise DatabaseProblem(f"cannot create the backup {target}: {exc.strerror or exc}; "
                              f"nothing was changed") from None
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
