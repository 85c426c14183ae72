"""Operators' commands: schema upgrades and downgrades, and where a database stands.

Like the service layer, these return plain data and raise votr's errors.
"""

from __future__ import annotations

from pathlib import Path

from votr_cli.core.errors import DatabaseProblem, InvalidInput, Refused, SchemaMismatch
from votr_cli.db import dialect, migrations, schema
from votr_cli.db.database import Database
from votr_cli.db.driver_errors import UPGRADE_HINT
from votr_cli.db.engine import enable_wal
from votr_cli.ops import adoption

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
        schema.refuse_unknown_revisions(db, before)
        target = migrations.resolve(revision)
        if before == target:
            return {"message": f"Database is already at {_names(before)}; nothing to do.",
                    "from": before, "to": before, "backup": None, "notes": []}
        backup, notes = _backup(db)
        _run(db, migrations.upgrade, revision, backup)
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
        schema.refuse_unknown_revisions(db, before)
        backup, notes = _backup(db)
        try:
            _run(db, migrations.downgrade, revision, backup)
        except Refused as refusal:
            raise _refused_revision(db, refusal, before, backup) from None
        after = current(db)["current"]
    return {"message": f"Downgraded {db.display_url} from {_names(before)} to {_names(after)}.",
            "from": before, "to": after, "backup": backup, "notes": notes}


def _refused_revision(db: Database, refusal: Refused, before: list[str], backup: str | None) -> Refused:
    """A revision refused to run (0004's downgrade, while polls of kinds other than single
    exist): the same refusal, saying where the database stands. When it stands where it
    was, nothing ran, and the backup, a copy of the unchanged database, is removed."""
    now = current(db)["current"]
    if now == before:
        if backup is not None:
            Path(backup).unlink(missing_ok=True)
        return Refused(f"{refusal.message}; nothing was changed: the database is still at {_names(now)}")
    kept = f" (backup: {backup})" if backup else ""
    return Refused(f"{refusal.message}; the revisions above it were undone: the database is now at "
                   f"{_names(now)}{kept}")


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
    """The upgrade's SQL for the URL's dialect; no connection is made, no driver needed."""
    from sqlalchemy.exc import NoSuchModuleError

    try:
        db.url.get_dialect()
    except NoSuchModuleError:
        raise DatabaseProblem(f"votr cannot write SQL for {db.dialect} databases: SQLAlchemy "
                              f"has no dialect of that name") from None
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


def _run(db: Database, step, revision: str, backup: str | None = None) -> None:
    from sqlalchemy.exc import DBAPIError

    engine = db.migration_engine()
    try:
        if db.is_sqlite:
            enable_wal(engine)
        with engine.connect() as conn:
            step(conn.execution_options(votr_write=True), revision)
            conn.commit()
    except DBAPIError as exc:
        problem = db.describe(exc)
        raise type(problem)(f"{problem.message}; {_after_a_failed_migration(db, backup)}") from None
    finally:
        engine.dispose()


def _after_a_failed_migration(db: Database, backup: str | None) -> str:
    """Where a failed migration leaves the database, and what the operator does next."""
    if db.family in (dialect.SQLITE, dialect.POSTGRESQL):
        where = f" (backup: {backup})" if backup else ""
        return f"the failed revision was rolled back: the database stays at the last revision that completed{where}"
    if db.family == dialect.MYSQL:
        return ("MariaDB/MySQL commit table changes at once, so the failed revision may be half applied: "
                "restore your backup, fix the cause, then run votr db-upgrade again")
    return "compare the database with your backup before going on"


# -- db-check ------------------------------------------------------------------------

VOTR_TABLES = ("topics", "options", "polls", "ballots")
ORPHAN_IDS_SHOWN = 100


def check(db: Database) -> dict:
    """Check an existing votr database and report what is wrong; change nothing.

    - The backend's own integrity check: SQLite's `PRAGMA integrity_check` and
      `PRAGMA foreign_key_check`, MariaDB's `CHECK TABLE`, and on PostgreSQL (which has
      no built-in one) the amcheck extension's index check when the database has it.
    - Every counter against its ballots: vote_count = adopted_count + the ballots that
      name the option. A ballot without an option (a voter carried over from an old
      Votr database, choice unknown) is in no counter: it only stops a second vote by
      that voter. The old database's counts are the adopted_count.
    - Orphan rows: ballots or poll options whose poll or option is gone.

    Never creates a database: a missing one, or one without tables, is an error.
    """
    from sqlalchemy.exc import DBAPIError

    if not db.exists():
        raise DatabaseProblem(f"no database at {db.display_url}: nothing to check")
    problems: list[dict] = []
    with db.translated_errors():
        integrity = _integrity(db)
        problems += [{"kind": "integrity", "message": message} for message in integrity["messages"]]
        if integrity.pop("damaged", False):
            # Reading a damaged file any further could fail anywhere: report what we know.
            return _check_report(db, integrity, None, problems)
        if schema.state(db, create_missing=False) == "missing":
            raise DatabaseProblem(f"no votr database at {db.display_url}: nothing to check")
        try:
            checked = _consistency(db, problems)
        except DBAPIError as exc:
            if integrity["ok"] is not False:
                raise
            problems.append({"kind": "integrity", "message": f"cannot read the tables: {db.describe(exc).message}"})
            checked = None
    return _check_report(db, integrity, checked, problems)


def _check_report(db: Database, integrity: dict, checked: dict | None, problems: list[dict]) -> dict:
    return {"ok": not problems, "database": db.display_url, "backend": db.dialect,
            "integrity": integrity, "checked": checked, "problems": problems}


def _integrity(db: Database) -> dict:
    """The backend's own check, outside any transaction (MariaDB's CHECK TABLE ends one)."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            return _sqlite_integrity(db, conn)
        tables = [name for name in VOTR_TABLES if name in schema.table_names(db)]
        if db.family == dialect.MYSQL:
            return _check_tables(conn, tables)
        if db.family == dialect.POSTGRESQL:
            return _amcheck(conn, tables)
    return {"method": None, "ok": None, "messages": [], "note": f"votr knows no integrity check for {db.dialect}"}


def _sqlite_integrity(db: Database, conn) -> dict:
    from sqlalchemy.exc import DBAPIError

    method = "PRAGMA integrity_check, PRAGMA foreign_key_check"
    messages: list[str] = []
    try:
        # SQLite lists what it found, then may stop with "malformed": keep both.
        for row in conn.exec_driver_sql("PRAGMA integrity_check"):
            if row[0] != "ok":
                messages.append(row[0])
    except DBAPIError as exc:
        problem = db.describe(exc)
        if "corrupt" not in problem.message:
            raise problem from None
        messages.append(str(exc.orig))
    if messages:
        return {"method": method, "ok": False, "messages": messages, "damaged": True}
    for table, rowid, parent, _ in conn.exec_driver_sql("PRAGMA foreign_key_check"):
        messages.append(f"{table} row {rowid} refers to a missing {parent} row (foreign key)")
    return {"method": method, "ok": not messages, "messages": messages}


def _check_tables(conn, tables: list[str]) -> dict:
    messages = []
    if tables:
        for row in conn.exec_driver_sql(f"CHECK TABLE {', '.join(tables)}").mappings():
            kind, said = row["Msg_type"].lower(), row["Msg_text"]
            if kind in ("error", "warning") or (kind == "status" and said.upper() != "OK"):
                messages.append(f"{row['Table']}: {said}")
    return {"method": "CHECK TABLE", "ok": not messages, "messages": messages}


def _amcheck(conn, tables: list[str]) -> dict:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'")).first() is None:
        return {"method": None, "ok": None, "messages": [],
                "note": "PostgreSQL has no built-in integrity check; with the amcheck extension "
                        "installed in the database (CREATE EXTENSION amcheck), db-check runs it"}
    indexes = conn.execute(text(
        "SELECT CAST(i.indexrelid AS regclass) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
        "WHERE a.amname = 'btree' AND i.indrelid = ANY (CAST(:tables AS regclass[]))"),
        {"tables": tables}).scalars().all()
    messages = []
    for index in indexes:
        try:
            with conn.begin_nested():
                # heapallindexed: every table row must also be found in the index.
                conn.execute(text("SELECT bt_index_check(CAST(:index AS regclass), true)"), {"index": index})
        except DBAPIError as exc:
            messages.append(f"{index}: {str(exc.orig).strip().splitlines()[0]}")
    conn.rollback()
    return {"method": "amcheck bt_index_check", "ok": not messages, "messages": messages}


def _consistency(db: Database, problems: list[dict]) -> dict:
    """Counters and orphans, read from one snapshot so concurrent votes cannot skew them."""
    from sqlalchemy import func, select

    from votr_cli.db.tables import ballots, options, polls, topics

    engine = db.engine if db.is_sqlite else db.engine.execution_options(isolation_level="REPEATABLE READ")
    with engine.connect() as conn, conn.begin():
        named_ballots = (
            select(func.count()).select_from(ballots)
            .where(ballots.c.topic_id == polls.c.topic_id, ballots.c.option_id == polls.c.option_id)
            .scalar_subquery()
        )
        expected = polls.c.adopted_count + named_ballots
        wrong = conn.execute(
            select(topics.c.public_id, topics.c.title, options.c.name, polls.c.vote_count,
                   polls.c.adopted_count, named_ballots.label("ballots"))
            .select_from(polls)
            .join(topics, topics.c.id == polls.c.topic_id)
            .join(options, options.c.id == polls.c.option_id)
            .where((polls.c.vote_count != expected) | (polls.c.adopted_count < 0))
            .order_by(polls.c.topic_id, polls.c.position)
        )
        for row in wrong:
            problems.append({
                "kind": "counter", "poll": row.public_id, "title": row.title, "option": row.name,
                "vote_count": row.vote_count, "adopted_count": row.adopted_count, "ballots": row.ballots,
                "message": f"poll {row.public_id} {row.title!r}, option {row.name!r}: counter is "
                           f"{row.vote_count}, but {row.ballots} ballots + {row.adopted_count} adopted "
                           f"= {row.ballots + row.adopted_count}",
            })
        problems += _orphans(conn)
        counts = {name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                  for name, table in (("polls", topics), ("options", options), ("counters", polls),
                                      ("ballots", ballots))}
        return counts


def _orphans(conn) -> list[dict]:
    """Rows whose poll or option is gone, one problem per kind, with their row ids."""
    from sqlalchemy import select

    from votr_cli.db.tables import ballots, options, polls, topics

    found: list[dict] = []
    orphans = {
        "ballots whose poll is gone": select(ballots.c.id).where(
            ~select(topics.c.id).where(topics.c.id == ballots.c.topic_id).exists()),
        "ballots naming an option their poll does not have": select(ballots.c.id).where(
            ballots.c.option_id.is_not(None),
            select(topics.c.id).where(topics.c.id == ballots.c.topic_id).exists(),
            ~select(polls.c.id).where(polls.c.topic_id == ballots.c.topic_id,
                                      polls.c.option_id == ballots.c.option_id).exists()),
        "poll options whose poll is gone": select(polls.c.id).where(
            ~select(topics.c.id).where(topics.c.id == polls.c.topic_id).exists()),
        "poll options whose option is gone": select(polls.c.id).where(
            ~select(options.c.id).where(options.c.id == polls.c.option_id).exists()),
    }
    for what, query in orphans.items():
        ids = conn.execute(query.order_by(query.selected_columns[0])).scalars().all()
        if ids:
            shown = ", ".join(map(str, ids[:10])) + (", …" if len(ids) > 10 else "")
            found.append({"kind": "orphan", "table": query.selected_columns[0].table.name,
                          "count": len(ids), "rows": ids[:ORPHAN_IDS_SHOWN],
                          "message": f"{len(ids)} {what} (row ids {shown})"})
    return found
