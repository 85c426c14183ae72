"""Operators' commands: schema upgrades and downgrades, and where a database stands.

Like the service layer, these return plain data and raise votr's errors.
"""

from __future__ import annotations

from votr_cli import migrations
from votr_cli.db import Database, enable_wal
from votr_cli.errors import DatabaseProblem

SERVER_BACKUP_NOTE = ("{dialect} database: votr cannot back it up for you. Back it up before "
                      "upgrading (pg_dump, mariadb-dump or your provider's snapshots).")


def current(db: Database) -> dict:
    head = migrations.head()
    revisions: list[str] = []
    if db.exists():
        with db.translated_errors(), db.engine.connect() as conn:
            revisions = migrations.current_revisions(conn)
    return {"current": revisions, "head": head, "up_to_date": revisions == [head]}


def history() -> dict:
    return {"revisions": migrations.history(), "head": migrations.head()}


def upgrade(db: Database, revision: str = "head") -> dict:
    migrations.check_target(revision)
    with db.translated_errors():
        before = current(db)["current"] if db.exists() else []
        target = migrations.resolve(revision)
        if before == target:
            return {"message": f"Database is already at {_names(before)}; nothing to do.",
                    "from": before, "to": before, "backup": None, "notes": []}
        backup, notes = _backup(db)
        _run(db, migrations.upgrade, revision)
        after = current(db)["current"]
    return {"message": f"Upgraded {db.display_url} from {_names(before)} to {_names(after)}.",
            "from": before, "to": after, "backup": backup, "notes": notes}


def downgrade(db: Database, revision: str) -> dict:
    migrations.check_target(revision)
    if not db.exists():
        raise DatabaseProblem(f"no database at {db.display_url}: nothing to downgrade")
    with db.translated_errors():
        before = current(db)["current"]
        backup, notes = _backup(db)
        _run(db, migrations.downgrade, revision)
        after = current(db)["current"]
    return {"message": f"Downgraded {db.display_url} from {_names(before)} to {_names(after)}.",
            "from": before, "to": after, "backup": backup, "notes": notes}


def upgrade_sql(db: Database, revision: str = "head") -> str:
    return migrations.upgrade_sql(db.url.render_as_string(hide_password=False), revision)


def _names(revisions: list[str]) -> str:
    return ", ".join(revisions) if revisions else "base (empty)"


def _backup(db: Database) -> tuple[str | None, list[str]]:
    """Back up a SQLite file that holds data; tell a server's operator to back up."""
    if db.is_sqlite:
        path = db.sqlite_path
        if path is not None and path.exists() and path.stat().st_size > 0:
            target = migrations.backup_sqlite(path)
            return str(target), [f"Backup written to {target}"]
        return None, []
    return None, [SERVER_BACKUP_NOTE.format(dialect=db.dialect)]


def _run(db: Database, step, revision: str) -> None:
    engine = db.migration_engine()
    try:
        if db.is_sqlite:
            enable_wal(engine)
        with engine.connect() as conn:
            step(conn.execution_options(votr_write=True), revision)
            conn.commit()
    finally:
        engine.dispose()
