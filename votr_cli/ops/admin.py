"""Operators' commands: schema upgrades and downgrades, and where a database stands.

Like the service layer, these return plain data and raise votr's errors.
"""

from __future__ import annotations

from pathlib import Path

from votr_cli.core import text
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
        _refuse_before_any_revision_runs(db, revision, before)
        backup, notes = _backup(db)
        try:
            _run(db, migrations.downgrade, revision, backup)
        except Refused as refusal:
            raise _refused_revision(db, refusal, before, backup) from None
        after = current(db)["current"]
    return {"message": f"Downgraded {db.display_url} from {_names(before)} to {_names(after)}.",
            "from": before, "to": after, "backup": backup, "notes": notes}


def _refuse_before_any_revision_runs(db: Database, revision: str, before: list[str]) -> None:
    """A downgrade that a revision it would undo refuses (0004's while polls of other kinds
    exist, 0005's while polls have ballot policies) is refused before anything runs or
    is backed up: otherwise the newer revisions would be undone before the older one
    refused, for good on MariaDB."""
    with db.engine.connect() as conn:
        refusal = migrations.downgrade_refusal(conn, revision)
    if refusal:
        raise Refused(f"{refusal}; nothing was changed: the database is still at {_names(before)}")


def _refused_revision(db: Database, refusal: Refused, before: list[str], backup: str | None) -> Refused:
    """A revision refused to run (0004's downgrade, while polls of kinds other than single
    exist; 0005's, while polls have ballot policies) though the check before any ran
    passed (such a poll was made in between): the same refusal, saying where the
    database stands. When it stands where it was, nothing ran, and the backup, a copy
    of the unchanged database, is removed."""
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

VOTR_TABLES = ("topics", "options", "polls", "ballots", "poll_voters", "secret_ballots", "invites")
ORPHAN_IDS_SHOWN = 100
CHOICES_SHOWN = 64  # a stored ballot quoted in a problem: at most this many characters


def check(db: Database) -> dict:
    """Check an existing votr database and report what is wrong; change nothing.

    - The backend's own integrity check: SQLite's `PRAGMA integrity_check` and
      `PRAGMA foreign_key_check`, MariaDB's `CHECK TABLE`, and on PostgreSQL (which has
      no built-in one) the amcheck extension's index check when the database has it.
    - Each poll's kind, method and choice bounds, by the rules `create` applies.
    - Each ballot fits its poll: a single poll's names its option and has no choices;
      any other's has choices that decode as a valid ballot of the poll (core/ballots)
      and names no option.
    - Every counter against its ballots. Single polls: vote_count = adopted_count + the
      ballots that name the option. A ballot without an option (a voter carried over
      from an old Votr database, choice unknown) is in no counter: it only stops a
      second vote by that voter. The old database's counts are the adopted_count.
      Multiple: the ballots choosing the option; ranked: the ballots ranking it first;
      score: its scores summed; these polls hold no adopted votes.
    - Each poll's voter_count. Single polls: its adopted votes + its ballots that name
      an option (an old Votr database's voters are among its adopted votes). Others:
      its ballots.
    - Each poll's ballot policies, by the rules `create` applies: a known results setting,
      a quorum of at least 1 or none, not secret and allowing changes at once.
    - Secret polls: their ballots are in secret_ballots and their voters in poll_voters,
      never in ballots; other polls have no rows in those two tables (a poll whose rows
      are in the wrong place has counters that cannot be checked). A secret poll's
      voter_count = its voters = its secret ballots; each secret ballot fits its poll as
      a ballot does, and its counters are what the secret ballots give; it holds no
      adopted votes.
    - Invites: each stored token hash is a SHA-256 in lowercase hex (64 characters; a
      token itself is never stored) and each invite's voter is its display name
      normalised.
    - Orphan rows: ballots, secret ballots, voters, invites or poll options whose poll
      or option is gone.

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
    """Poll settings, ballots, counters, voter counts and orphans, read from one snapshot
    so concurrent votes cannot skew them."""
    from sqlalchemy import func, select

    from votr_cli.db.tables import ballots, options, polls, topics

    from votr_cli.db.tables import secret_ballots

    with db.snapshot_engine.connect() as conn, conn.begin():
        shapes = _poll_settings(conn)
        problems += shapes.problems
        problems += _policies(conn)
        places = _ballot_places(conn)
        problems += places.problems
        choices = _misplaced_choices(conn)
        problems += _single_counters(conn, places.unchecked | choices.unchecked)
        problems += choices.problems
        problems += _other_kinds(conn, shapes, places.unchecked)
        problems += _voter_counts(conn, places.unchecked)
        problems += _secret_voter_counts(conn, places.unchecked)
        problems += _invites(conn)
        problems += _orphans(conn)
        def rows(table) -> int:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

        # A secret poll's ballots are ballots too: `ballots` counts both tables' rows.
        return {"polls": rows(topics), "options": rows(options), "counters": rows(polls),
                "ballots": rows(ballots) + rows(secret_ballots)}


def _poll_name(public_id: str, title: str) -> str:
    return f"poll {public_id} {title!r}"


def _row_ids(ids: list, total: int, label: str = "row ids") -> str:
    shown = ", ".join(map(str, ids[:10]))
    return f"{label} {shown}{', …' if total > 10 else ''}"


class _Found:
    """A check's problems, and the polls whose counters it found cannot be checked."""

    def __init__(self) -> None:
        self.problems: list[dict] = []
        self.unchecked: set[int] = set()


class _Shapes:
    """What the poll-settings check found: its problems, and the polls of other kinds
    than single whose ballots can be read (a known kind), by topic id, with whether
    their bounds can be trusted."""

    def __init__(self) -> None:
        self.problems: list[dict] = []
        self.others: dict[int, tuple[object, bool]] = {}


def _poll_settings(conn) -> _Shapes:
    """Each poll's kind, method and choice bounds, by core/polls.poll_shape's rules.
    Single polls with the defaults (plurality, 1 and 1) are passed over in SQL."""
    from sqlalchemy import func, or_, select

    from votr_cli.core import ballots as ballot_rules
    from votr_cli.db.tables import polls, topics

    option_count = (select(func.count()).select_from(polls).where(polls.c.topic_id == topics.c.id)
                    .scalar_subquery())
    rows = conn.execute(
        select(topics.c.id, topics.c.public_id, topics.c.title, topics.c.kind, topics.c.method,
               topics.c.min_choices, topics.c.max_choices, option_count.label("option_count"))
        .where(or_(topics.c.kind != "single", topics.c.method != "plurality",
                   topics.c.min_choices != 1, topics.c.max_choices != 1))
        .order_by(topics.c.id)
    ).all()
    found = _Shapes()
    for row in rows:
        problem = _shape_problem(row.kind, row.method, row.min_choices, row.max_choices, row.option_count)
        if problem is not None:
            found.problems.append({
                "kind": "poll", "poll": row.public_id, "title": row.title, "poll_kind": row.kind,
                "method": row.method, "min_choices": row.min_choices, "max_choices": row.max_choices,
                "options": row.option_count, "message": f"{_poll_name(row.public_id, row.title)}: {problem}"})
        if row.kind in ballot_rules.KINDS and row.kind != "single":
            found.others[row.id] = (row, problem is None)
    return found


def _policies(conn) -> list[dict]:
    """Each poll's ballot policies, by core/polls.ballot_policy's rules: a known results
    setting, a quorum of at least one voter or none, no vote changes in a secret poll.
    Compared in Python, not SQL: MariaDB's collations ignore trailing spaces, and votr
    would not ("always " is no setting it knows)."""
    from sqlalchemy import select

    from votr_cli.core import polls as poll_rules
    from votr_cli.db.tables import topics

    found = []
    rows = conn.execution_options(yield_per=2000).execute(
        select(topics.c.public_id, topics.c.title, topics.c.allow_change, topics.c.results, topics.c.secret,
               topics.c.quorum).order_by(topics.c.id))
    for row in rows:
        faults = []
        if row.results not in poll_rules.RESULTS:
            faults.append(f"results {text.quoted(row.results)} is none of {', '.join(poll_rules.RESULTS)}")
        if row.quorum is not None and row.quorum < 1:
            faults.append(f"quorum {row.quorum} is less than 1 voter (no quorum is NULL)")
        if row.secret and row.allow_change:
            faults.append("it is secret and allows vote changes, but nothing pairs a secret poll's voters "
                          "with their ballots, so there is no ballot to change")
        if faults:
            found.append({"kind": "poll", "poll": row.public_id, "title": row.title,
                          "allow_change": bool(row.allow_change), "results": row.results,
                          "secret": bool(row.secret), "quorum": row.quorum,
                          "message": f"{_poll_name(row.public_id, row.title)}: {'; '.join(faults)}"})
    return found


def _ballot_places(conn) -> _Found:
    """A secret poll's ballots are in secret_ballots and its voters in poll_voters, never in
    ballots (which pairs a voter with a choice); any other poll's are in ballots only. A
    poll with rows in the wrong place has counters that cannot be checked."""
    from sqlalchemy import false, func, select, true

    from votr_cli.db.tables import ballots, poll_voters, secret_ballots, topics

    def rows_of(table, secret) -> dict[int, tuple]:
        return {row.id: row for row in conn.execute(
            select(topics.c.id, topics.c.public_id, topics.c.title, func.count().label("rows"))
            .join_from(table, topics, topics.c.id == table.c.topic_id)
            .where(topics.c.secret == secret)
            .group_by(topics.c.id, topics.c.public_id, topics.c.title))}

    found = _Found()
    in_ballots = rows_of(ballots, true())
    voters, kept = rows_of(poll_voters, false()), rows_of(secret_ballots, false())
    for topic_id, row in in_ballots.items():
        found.problems.append({
            "kind": "ballot", "poll": row.public_id, "title": row.title, "secret": True, "ballots": row.rows,
            "message": f"{_poll_name(row.public_id, row.title)}: a secret poll, but {text.counted(row.rows, 'ballot')} "
                       f"of it {text.noun_for(row.rows, 'is', 'are')} in ballots, which pairs each with its voter "
                       f"(a secret poll keeps them in secret_ballots, its voters in poll_voters); its counters "
                       f"cannot be checked"})
    for topic_id in sorted(set(voters) | set(kept)):
        row = voters.get(topic_id) or kept[topic_id]
        voter_rows, ballot_rows = getattr(voters.get(topic_id), "rows", 0), getattr(kept.get(topic_id), "rows", 0)
        found.problems.append({
            "kind": "ballot", "poll": row.public_id, "title": row.title, "secret": False,
            "poll_voters": voter_rows, "secret_ballots": ballot_rows,
            "message": f"{_poll_name(row.public_id, row.title)}: not a secret poll, but poll_voters holds "
                       f"{text.counted(voter_rows, 'voter')} of it and secret_ballots {text.counted(ballot_rows, 'ballot')} "
                       f"(its ballots belong in ballots); its counters cannot be checked"})
    found.unchecked = set(in_ballots) | set(voters) | set(kept)
    found.problems.sort(key=lambda problem: problem["poll"])
    return found


def _shape_problem(kind: str, method: str, least: int, most: int, option_count: int) -> str | None:
    """What is wrong with a stored poll's settings, or None: the rules `create` applies."""
    from votr_cli.core import ballots as ballot_rules
    from votr_cli.core import polls as poll_rules

    if kind not in ballot_rules.KINDS:
        return f"kind {text.quoted(kind)} is none of {', '.join(ballot_rules.KINDS)}"
    bounded = kind in ("multiple", "ranked")
    try:
        shape = poll_rules.poll_shape(kind, method, least if bounded else None, most if bounded else None,
                                      option_count)
    except InvalidInput as problem:
        return problem.message
    if (shape.min_choices, shape.max_choices) != (least, most):
        return (f"a {kind} poll of {option_count} options takes {shape.min_choices} to {shape.max_choices} "
                f"choices, but it says {least} to {most}")
    return None


def _single_counters(conn, unchecked: set[int]) -> list[dict]:
    """Each option of a single poll: vote_count = adopted_count + the ballots naming it (a
    secret poll's: its secret ballots naming it; it holds no adopted votes)."""
    from sqlalchemy import case, func, select, true

    from votr_cli.db.tables import ballots, options, polls, secret_ballots, topics

    def naming(table):
        return (select(func.count()).select_from(table)
                .where(table.c.topic_id == polls.c.topic_id, table.c.option_id == polls.c.option_id)
                .scalar_subquery())

    secret = topics.c.secret == true()
    named_ballots = case((secret, naming(secret_ballots)), else_=naming(ballots))
    expected = polls.c.adopted_count + named_ballots
    wrong = conn.execute(
        select(topics.c.public_id, topics.c.title, topics.c.secret, options.c.name, polls.c.vote_count,
               polls.c.adopted_count, named_ballots.label("ballots"))
        .select_from(polls)
        .join(topics, topics.c.id == polls.c.topic_id)
        .join(options, options.c.id == polls.c.option_id)
        .where(topics.c.kind == "single", topics.c.id.not_in(sorted(unchecked)),
               (polls.c.vote_count != expected) | (polls.c.adopted_count < 0)
               | (secret & (polls.c.adopted_count != 0)))
        .order_by(polls.c.topic_id, polls.c.position)
    )
    found = []
    for row in wrong:
        if row.secret and row.adopted_count:
            why = (f"it has {text.counted(row.adopted_count, 'adopted vote')}, but a secret poll holds none (only polls "
                   f"carried over from an old Votr database do, and none of them is secret)")
        else:
            which = "secret ballot" if row.secret else "ballot"
            why = (f"counter is {row.vote_count}, but {text.counted(row.ballots, which)} + {row.adopted_count} adopted "
                   f"= {row.ballots + row.adopted_count}")
        found.append({
            "kind": "counter", "poll": row.public_id, "title": row.title, "option": row.name,
            "vote_count": row.vote_count, "adopted_count": row.adopted_count, "ballots": row.ballots,
            "message": f"{_poll_name(row.public_id, row.title)}, option {row.name!r}: {why}"})
    return found


def _misplaced_choices(conn) -> _Found:
    """A single poll's ballot names its option and has no choices; any other ballot keeps
    its choices and names no option. The same for a secret poll's secret ballots, and a
    secret ballot of a single poll must name an option (only a voter carried over from
    an old Votr database has a ballot without one, and no such poll is secret): without
    one, the poll's counters cannot be checked. Only the table the poll's ballots belong
    in is read (_ballot_places reports the others)."""
    from sqlalchemy import false, select, true

    from votr_cli.core import ballots as ballot_rules
    from votr_cli.db.tables import ballots, secret_ballots, topics

    others = [kind for kind in ballot_rules.KINDS if kind != "single"]
    single = topics.c.kind == "single"
    checks = []
    for table, secret, prefix in ((ballots, false(), ""), (secret_ballots, true(), "secret ")):
        checks += [
            (table, secret, single, table.c.choices.is_not(None), False,
             (prefix + "ballot of a single poll has", prefix + "ballots of a single poll have",
              " choices (a single poll's ballot names its option)")),
            (table, secret, topics.c.kind.in_(others), table.c.option_id.is_not(None), False,
             (prefix + "ballot names", prefix + "ballots name",
              " an option (option_id), but a {kind} poll's ballots keep their choices")),
        ]
    checks.append((secret_ballots, true(), single, secret_ballots.c.option_id.is_(None), True,
                   ("secret ballot of a single poll names", "secret ballots of a single poll name",
                    " no option (a secret poll holds no voters carried over from an old Votr database); "
                    "its counters cannot be checked")))
    found = _Found()
    for table, secret, of_kind, misplaced, unreadable, what in checks:
        rows = conn.execution_options(yield_per=2000).execute(
            select(topics.c.id, topics.c.public_id, topics.c.title, topics.c.kind, table.c.id.label("ballot"))
            .join_from(table, topics, topics.c.id == table.c.topic_id)
            .where(topics.c.secret == secret, of_kind, misplaced)
            .order_by(topics.c.id, table.c.id)
        )
        by_poll: dict[int, tuple[object, list[int], list[int]]] = {}  # topic: row, ids shown, count
        for row in rows:
            _, ids, count = by_poll.setdefault(row.id, (row, [], [0]))
            count[0] += 1
            if len(ids) < ORPHAN_IDS_SHOWN:
                ids.append(row.ballot)
        label = "keys" if table is secret_ballots else "row ids"
        for first, ids, (count,) in by_poll.values():
            found.problems.append({
                "kind": "ballot", "poll": first.public_id, "title": first.title, "count": count, "rows": ids,
                "message": f"{_poll_name(first.public_id, first.title)}: {text.counted(count, what[0], what[1])}"
                           f"{what[2].format(kind=first.kind)} ({_row_ids(ids, count, label)})"})
            if unreadable:
                found.unchecked.add(first.id)
    return found


def _other_kinds(conn, shapes: _Shapes, unchecked: set[int]) -> list[dict]:
    """The ballots of multiple, ranked and score polls, read in Python: each distinct
    choices string of a poll once, with its number of ballots, decoded by core/ballots;
    then each option's counter against what the valid ballots give it. A secret poll's
    ballots are its secret_ballots; `unchecked` polls' counters are not checked."""
    from sqlalchemy import false, func, select, true

    from votr_cli.core import ballots as ballot_rules
    from votr_cli.db.tables import ballots, options, polls, secret_ballots, topics

    if not shapes.others:
        return []
    of_other_kinds = topics.c.kind.in_([kind for kind in ballot_rules.KINDS if kind != "single"])
    options_of: dict[int, list] = {}
    for row in conn.execute(
            select(polls.c.topic_id, polls.c.position, polls.c.vote_count, polls.c.adopted_count, options.c.name)
            .join_from(polls, topics, topics.c.id == polls.c.topic_id)
            .outerjoin(options, options.c.id == polls.c.option_id)
            .where(of_other_kinds)
            .order_by(polls.c.topic_id, polls.c.position)):
        options_of.setdefault(row.topic_id, []).append(row)
    found: list[dict] = []
    counted: dict[int, dict[int, int]] = {}
    for topic_id, (topic, _) in shapes.others.items():
        rows = options_of.get(topic_id, [])
        if [row.position for row in rows] == list(range(len(rows))):
            counted[topic_id] = {}
        else:
            found.append({"kind": "poll", "poll": topic.public_id, "title": topic.title,
                          "message": f"{_poll_name(topic.public_id, topic.title)}: its options' positions "
                                     f"are not 0 to {len(rows) - 1}, so its ballots cannot be read"})
    invalid: list[tuple[int, str | None, int, str, object]] = []  # topic id, choices, ballots, why, table
    def streamed():
        """Grouped by the database, the work is the distinct ballots', not the voters'; one
        table after the other (MariaDB's driver streams one result at a time)."""
        for table, secret in ((ballots, false()), (secret_ballots, true())):
            for row in conn.execution_options(yield_per=2000).execute(
                    select(table.c.topic_id, table.c.choices, func.count())
                    .join_from(table, topics, topics.c.id == table.c.topic_id)
                    .where(of_other_kinds, topics.c.secret == secret)
                    .group_by(table.c.topic_id, table.c.choices)
                    .order_by(table.c.topic_id)):
                yield table, *row

    for table, topic_id, choices, weight in streamed():
        if topic_id not in counted:
            continue  # its kind or its options' positions are reported already
        topic, bounds_known = shapes.others[topic_id]
        option_count = len(options_of[topic_id])
        try:
            decoded = ballot_rules.stored_choices(topic.kind, choices, option_count)
        except ValueError as why:
            invalid.append((topic_id, choices, weight, str(why), table))
            continue
        if bounds_known and topic.kind != "score" and not topic.min_choices <= len(decoded) <= topic.max_choices:
            invalid.append((topic_id, choices, weight, f"{text.counted(len(decoded), 'option')}, but the poll takes "
                                                       f"{topic.min_choices} to {topic.max_choices}", table))
            continue
        totals = counted[topic_id]
        for position, amount in ballot_rules.counted_from(topic.kind, decoded).items():
            totals[position] = totals.get(position, 0) + amount * weight
    found += _invalid_ballots(conn, shapes, invalid)
    # A poll with a ballot that cannot be read has counters that cannot be checked.
    unreadable = {topic_id for topic_id, *_ in invalid} | unchecked
    for topic_id, totals in counted.items():
        if topic_id not in unreadable:
            found += _other_counters(shapes.others[topic_id][0], options_of.get(topic_id, []), totals)
    return found


def _invalid_ballots(conn, shapes: _Shapes, invalid: list[tuple[int, str | None, int, str, object]]) -> list[dict]:
    """One problem per poll and distinct stored ballot that is not a valid ballot of it,
    with the rows that hold it (a secret ballot's: its random keys)."""
    from sqlalchemy import select

    from votr_cli.db.tables import secret_ballots

    found = []
    for topic_id, choices, weight, why, table in sorted(invalid, key=lambda item: (item[0], item[1] or "")):
        topic, _ = shapes.others[topic_id]
        same = table.c.choices.is_(None) if choices is None else table.c.choices == choices
        ids = list(conn.execute(select(table.c.id).where(table.c.topic_id == topic_id, same)
                                .order_by(table.c.id).limit(ORPHAN_IDS_SHOWN)).scalars())
        shown = "no choices" if choices is None else f"choices {text.quoted(choices)}"
        secret = table is secret_ballots
        found.append({"kind": "ballot", "poll": topic.public_id, "title": topic.title,
                      "choices": None if choices is None else text.shortened(choices, CHOICES_SHOWN),
                      "count": weight, "rows": ids,
                      "message": f"{_poll_name(topic.public_id, topic.title)}: "
                                 f"{text.counted(weight, 'secret ballot' if secret else 'ballot')} with {shown} "
                                 f"{text.noun_for(weight, 'is', 'are')} not a valid {topic.kind} ballot of it: {why} "
                                 f"({_row_ids(ids, weight, 'keys' if secret else 'row ids')}); "
                                 f"its counters cannot be checked"})
    return found


_GIVES = {"multiple": ("{} ballot chooses it", "{} ballots choose it"),
          "ranked": ("{} ballot ranks it first", "{} ballots rank it first"),
          "score": ("its scores on the ballots add up to {}",) * 2}  # (for 1, for any other number)


def _other_counters(topic, option_rows: list, counted: dict[int, int]) -> list[dict]:
    """Each option of a multiple, ranked or score poll: vote_count = what its valid
    ballots give it (core/ballots.counted_from). Only single polls hold adopted votes."""
    found = []
    for row in option_rows:
        expected = counted.get(row.position, 0)
        if row.vote_count == expected and row.adopted_count == 0:
            continue
        name = row.name if row.name is not None else f"#{row.position + 1}"
        if row.adopted_count:
            why = (f"it has {text.counted(row.adopted_count, 'adopted vote')}, but only single polls hold votes adopted "
                   f"from an old Votr database")
        else:
            why = f"counter is {row.vote_count}, but {_GIVES[topic.kind][expected != 1].format(expected)}"
        found.append({"kind": "counter", "poll": topic.public_id, "title": topic.title, "option": name,
                      "vote_count": row.vote_count, "adopted_count": row.adopted_count, "ballots": expected,
                      "message": f"{_poll_name(topic.public_id, topic.title)}, option {name!r}: {why}"})
    return found


def _voter_counts(conn, unchecked: set[int]) -> list[dict]:
    """Each poll's voter_count: a single poll's is its adopted votes + its ballots that name
    an option; the voters carried over from an old Votr database (ballots without an
    option) are among its adopted votes, so they are not counted again. Any other poll
    holds no adopted votes: its voter_count is its ballots. Secret polls: see
    _secret_voter_counts."""
    from sqlalchemy import case, false, func, or_, select

    from votr_cli.db.tables import ballots, polls, topics

    single = topics.c.kind == "single"
    adopted = case((single, select(func.coalesce(func.sum(polls.c.adopted_count), 0))
                    .where(polls.c.topic_id == topics.c.id).scalar_subquery()), else_=0)
    cast = (select(func.count()).select_from(ballots)
            .where(ballots.c.topic_id == topics.c.id, or_(ballots.c.option_id.is_not(None), ~single))
            .scalar_subquery())
    wrong = conn.execute(
        select(topics.c.public_id, topics.c.title, topics.c.voter_count, adopted.label("adopted"),
               cast.label("ballots"))
        .where(topics.c.secret == false(), topics.c.id.not_in(sorted(unchecked)),
               topics.c.voter_count != adopted + cast)
        .order_by(topics.c.id)
    )
    found = []
    for row in wrong:
        adopted_votes, cast_ballots = int(row.adopted), int(row.ballots)
        found.append({
            "kind": "voters", "poll": row.public_id, "title": row.title, "voter_count": row.voter_count,
            "adopted_count": adopted_votes, "ballots": cast_ballots,
            "message": f"{_poll_name(row.public_id, row.title)}: voter_count is {row.voter_count}, but "
                       f"{text.counted(cast_ballots, 'ballot')} + {adopted_votes} adopted = {cast_ballots + adopted_votes}"})
    return found


def _secret_voter_counts(conn, unchecked: set[int]) -> list[dict]:
    """A secret poll has one voter in poll_voters and one ballot in secret_ballots per
    vote: its voter_count, its voters and its secret ballots are the same number."""
    from sqlalchemy import func, or_, select, true

    from votr_cli.db.tables import poll_voters, secret_ballots, topics

    def rows_of(table):
        return select(func.count()).select_from(table).where(table.c.topic_id == topics.c.id).scalar_subquery()

    voters, kept = rows_of(poll_voters), rows_of(secret_ballots)
    wrong = conn.execute(
        select(topics.c.public_id, topics.c.title, topics.c.voter_count, voters.label("voters"),
               kept.label("ballots"))
        .where(topics.c.secret == true(), topics.c.id.not_in(sorted(unchecked)),
               or_(topics.c.voter_count != voters, topics.c.voter_count != kept))
        .order_by(topics.c.id))
    return [{
        "kind": "voters", "poll": row.public_id, "title": row.title, "voter_count": row.voter_count,
        "voters": row.voters, "ballots": row.ballots,
        "message": f"{_poll_name(row.public_id, row.title)}: voter_count is {row.voter_count}, poll_voters "
                   f"holds {text.counted(row.voters, 'voter')} of it and secret_ballots {text.counted(row.ballots, 'ballot')}, "
                   f"but a secret poll has one of each per vote",
    } for row in wrong]


def _invites(conn) -> list[dict]:
    """Invites whose token hash is not a SHA-256 hex digest (a token stored in the clear
    would be one such), or whose voter is not their display name normalised."""
    from sqlalchemy import select

    from votr_cli.core import invites as invite_rules
    from votr_cli.db.tables import invites, topics

    found = []
    rows = conn.execution_options(yield_per=2000).execute(
        select(invites.c.id, invites.c.voter, invites.c.voter_name, invites.c.token_hash, topics.c.public_id,
               topics.c.title).join_from(invites, topics, topics.c.id == invites.c.topic_id).order_by(invites.c.id))
    for row in rows:
        faults = []
        if not invite_rules.HASH_SHAPE.fullmatch(row.token_hash or ""):
            faults.append("its token hash is not a SHA-256 in lowercase hex")
        try:
            normalised = text.voter_name(row.voter_name)
        except InvalidInput:
            normalised = None
        if normalised != row.voter:
            faults.append(f"its voter {text.quoted(row.voter)} is not its name {text.quoted(row.voter_name)} "
                          f"normalised")
        if faults:
            found.append({"kind": "invite", "poll": row.public_id, "title": row.title, "row": row.id,
                          "message": f"{_poll_name(row.public_id, row.title)}: invite row {row.id}: "
                                     f"{'; '.join(faults)}"})
    return found


def _orphans(conn) -> list[dict]:
    """Rows whose poll or option is gone, one problem per kind, with their row ids (a
    secret ballot's: its key; a voter of poll_voters, who has none: the poll id)."""
    from sqlalchemy import select

    from votr_cli.db.tables import ballots, invites, options, poll_voters, polls, secret_ballots, topics

    def poll_gone(table):
        return ~select(topics.c.id).where(topics.c.id == table.c.topic_id).exists()

    def option_not_in_poll(table):
        return (table.c.option_id.is_not(None), ~poll_gone(table),
                ~select(polls.c.id).where(polls.c.topic_id == table.c.topic_id,
                                          polls.c.option_id == table.c.option_id).exists())

    found: list[dict] = []
    orphans = {  # (what one is, the rest): (the query of the rows' ids, what their ids are)
        ("ballot", " whose poll is gone"): (select(ballots.c.id).where(poll_gone(ballots)), "row ids"),
        ("ballot", " naming an option their poll does not have"): (
            select(ballots.c.id).where(*option_not_in_poll(ballots)), "row ids"),
        ("secret ballot", " whose poll is gone"): (select(secret_ballots.c.id).where(poll_gone(secret_ballots)),
                                                   "keys"),
        ("secret ballot", " naming an option their poll does not have"): (
            select(secret_ballots.c.id).where(*option_not_in_poll(secret_ballots)), "keys"),
        ("voter", " in poll_voters whose poll is gone"): (
            select(poll_voters.c.topic_id).where(poll_gone(poll_voters)), "poll ids"),
        ("invite", " whose poll is gone"): (select(invites.c.id).where(poll_gone(invites)), "row ids"),
        ("poll option", " whose poll is gone"): (select(polls.c.id).where(poll_gone(polls)), "row ids"),
        ("poll option", " whose option is gone"): (select(polls.c.id).where(
            ~select(options.c.id).where(options.c.id == polls.c.option_id).exists()), "row ids"),
    }
    for (noun, rest), (query, label) in orphans.items():
        ids = conn.execute(query.order_by(query.selected_columns[0])).scalars().all()
        if ids:
            shown = list(dict.fromkeys(ids))  # poll_voters: each poll once
            found.append({"kind": "orphan", "table": query.selected_columns[0].table.name,
                          "count": len(ids), "rows": shown[:ORPHAN_IDS_SHOWN],
                          "message": f"{text.counted(len(ids), noun)}{rest} ({_row_ids(shown, len(shown), label)})"})
    return found
