"""Operators' commands: schema upgrades and downgrades, and where a database stands.

Like the service layer, these return plain data and raise votr's errors.
"""

from __future__ import annotations

from votr_cli import adoption, migrations
from votr_cli.db import UPGRADE_HINT, Database, enable_wal
from votr_cli.errors import DatabaseProblem, InvalidInput, SchemaMismatch

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
        legacy = adoption.pending(db)
        if legacy is not None:
            return _adopt(db, legacy, revision)
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
    if adoption.pending(db) is not None:
        raise SchemaMismatch(f"{db.display_url} was made by the original Votr web app; "
                             f"{UPGRADE_HINT} to adopt it")
    with db.translated_errors():
        before = current(db)["current"]
        backup, notes = _backup(db)
        _run(db, migrations.downgrade, revision)
        after = current(db)["current"]
    return {"message": f"Downgraded {db.display_url} from {_names(before)} to {_names(after)}.",
            "from": before, "to": after, "backup": backup, "notes": notes}


def _adopt(db: Database, legacy: adoption.LegacyDatabase, revision: str) -> dict:
    """An old Votr database becomes votr's, at head: backup first, then adoption."""
    if migrations.resolve(revision) != [migrations.head()]:
        raise InvalidInput(f"{db.display_url} was made by the original Votr web app: it can only be "
                           f"adopted at the newest revision (run votr db-upgrade without a revision)")
    backup, notes = _backup(db)
    report = adoption.adopt(db)
    if report is None:  # another process adopted it since we looked
        return upgrade(db, revision)
    return {"message": adoption.describe(report, db.display_url),
            "from": [legacy.revision] if legacy.revision else [], "to": current(db)["current"],
            "backup": backup, "notes": notes,
            "adopted": {key: report[key] for key in ("stage", "legacy_revision", "resumed", "summary",
                                                     "kept_tables", "dropped")},
            "repairs": report["repairs"]}


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
