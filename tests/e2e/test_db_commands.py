"""The db-* commands on the selected backend: upgrade, downgrade, current, history,
the SQL-only upgrade, and the backup (SQLite) or the advice to back up (servers)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from votr_cli.ops.admin import SERVER_BACKUP_NOTE
from votr_cli.db.migrations import history
from votr_cli.db.tables import SCHEMA_HEAD

REVISIONS = [revision["revision"] for revision in history()]
PREVIOUS = REVISIONS[-2] if len(REVISIONS) > 1 else None


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def polls_of(votr) -> list:
    outcome = votr("list", "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["Polls"]


def a_poll_with_votes(votr) -> str:
    poll = votr("create", "Kept", "a", "b", "--closes-at", "2999-01-01T00:00:00Z", "--json").json()["poll"]
    for voter, option in (("ann", "a"), ("bob", "a"), ("cy", "b")):
        assert votr("vote", poll["id"], option, "--voter", voter).exit_code == 0
    return poll["id"]


def test_db_history_lists_every_revision_oldest_first(votr):
    document = votr("db-history", "--json").json()
    assert document["head"] == SCHEMA_HEAD
    assert [revision["revision"] for revision in document["revisions"]] == REVISIONS
    assert document["revisions"][0]["down_revision"] is None
    assert [revision["is_head"] for revision in document["revisions"]][-1] is True
    assert votr("db-history").exit_code == 0


def test_db_current_reports_the_revision_and_whether_it_is_up_to_date(votr):
    votr("list")
    assert votr("db-current", "--json").json() == {"current": [SCHEMA_HEAD], "head": SCHEMA_HEAD,
                                                   "up_to_date": True}
    assert votr("db-downgrade", "base").exit_code == 0
    assert votr("db-current", "--json").json() == {"current": [], "head": SCHEMA_HEAD, "up_to_date": False}


def test_downgrade_to_base_is_refused_by_every_command_until_upgraded(votr, database_url):
    a_poll_with_votes(votr)
    assert votr("db-downgrade", "base", "--json").json()["to"] == []
    assert table_names(database_url) <= {"alembic_version"}
    for args in (["list"], ["options"], ["show", "Kept"], ["vote", "Kept", "a"], ["create", "N", "a", "b"]):
        outcome = votr(*args, "--json")
        assert outcome.exit_code == 5, args
        assert "votr db-upgrade" in outcome.error(), args
    upgraded = votr("db-upgrade", "--json").json()
    assert (upgraded["from"], upgraded["to"]) == ([], [SCHEMA_HEAD])
    assert polls_of(votr) == []
    assert votr("create", "New", "a", "b").exit_code == 0


def test_one_step_down_and_back_up_keeps_every_poll_and_vote(votr):
    assert PREVIOUS is not None, "this test needs two revisions"
    poll_id = a_poll_with_votes(votr)
    votr("create", "Closed one", "x", "y")
    votr("close", "Closed one")
    before = polls_of(votr)

    downgraded = votr("db-downgrade", "-1", "--json").json()
    assert (downgraded["from"], downgraded["to"]) == ([SCHEMA_HEAD], [PREVIOUS])
    refused = votr("list", "--json")
    assert refused.exit_code == 5
    assert refused.error() == (f"database schema is behind this votr (at {PREVIOUS}, not {SCHEMA_HEAD}); "
                               "run votr db-upgrade")

    assert votr("db-upgrade", "--json").json()["to"] == [SCHEMA_HEAD]
    assert polls_of(votr) == before
    assert votr("vote", poll_id, "b", "--voter", "ann").exit_code == 4  # ballots survived too


def test_upgrade_at_head_does_nothing_and_backs_up_nothing(votr, backend, tmp_path):
    votr("list")
    document = votr("db-upgrade", "--json").json()
    assert document["from"] == document["to"] == [SCHEMA_HEAD]
    assert document["backup"] is None and "nothing to do" in document["message"]
    assert list(tmp_path.glob("*.bak")) == []


def test_an_unknown_revision_is_exit_1_before_any_backup(votr, tmp_path):
    votr("list")
    for args in (["db-upgrade", "nosuchrev"], ["db-downgrade", "nosuchrev"]):
        outcome = votr(*args, "--json")
        assert outcome.exit_code == 1, args
        assert "nosuchrev" in outcome.error()
    assert list(tmp_path.glob("*.bak")) == []


# -- backups --------------------------------------------------------------------------


def test_upgrade_backs_up_sqlite_first_and_tells_a_server_operator_to(votr, backend, database_url):
    if backend == "sqlite":
        _sqlite_upgrade_writes_a_consistent_backup_first_and_names_it(votr, database_url)
    else:
        _server_upgrade_tells_the_operator_to_back_up_first(votr, backend)


def _sqlite_upgrade_writes_a_consistent_backup_first_and_names_it(votr, database_url):
    a_poll_with_votes(votr)
    assert votr("db-downgrade", "-1").exit_code == 0
    path = Path(make_url(database_url).database)
    # Leave recent writes in the WAL, where a raw copy of the main file would miss them.
    live = sqlite3.connect(path)
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.execute("UPDATE topics SET title = 'Only in the WAL'")
    live.commit()

    outcome = votr("db-upgrade", "--json")
    live.close()
    assert outcome.exit_code == 0, outcome.stderr
    backup = Path(outcome.json()["backup"])
    assert backup.parent == path.parent and backup.name.startswith(path.name) and backup.suffix == ".bak"
    assert f"Backup written to {backup}" in outcome.json()["notes"]
    copy = sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT title FROM topics").fetchall() == [("Only in the WAL",)]
        assert copy.execute("SELECT version_num FROM alembic_version").fetchall() == [(PREVIOUS,)]
        assert copy.execute("SELECT COUNT(*) FROM ballots").fetchone() == (3,)
    finally:
        copy.close()
    plain = votr("db-downgrade", "-1")
    assert "Backup written to " + str(path) in plain.stdout


def _server_upgrade_tells_the_operator_to_back_up_first(votr, backend):
    votr("list")
    assert votr("db-downgrade", "-1").exit_code == 0
    document = votr("db-upgrade", "--json").json()
    assert document["backup"] is None
    assert document["notes"] == [SERVER_BACKUP_NOTE.format(dialect=backend)]
    plain = votr("db-downgrade", "-1")
    assert "Back it up before" in plain.stdout and "votr cannot back it up for you" in plain.stdout


# -- SQL only ---------------------------------------------------------------------------


def test_upgrade_sql_prints_the_sql_and_touches_nothing(votr, backend, database_url, tmp_path):
    if backend == "sqlite":
        target = f"sqlite:///{tmp_path / 'never-made.db'}"
    else:
        target = database_url  # an empty server database: it must stay empty
    outcome = votr("--db", target, "db-upgrade", "--sql")
    assert outcome.exit_code == 0, outcome.stderr
    for table in ("topics", "options", "polls", "ballots", "alembic_version"):
        assert f"CREATE TABLE {table}" in outcome.stdout
    assert f"'{SCHEMA_HEAD}'" in outcome.stdout
    if backend == "sqlite":
        assert not (tmp_path / "never-made.db").exists()
    else:
        assert table_names(database_url) == set()
        # Offline: the server need not even be up.
        unreachable = make_url(database_url).set(port=1).render_as_string(hide_password=False)
        assert votr("--db", unreachable, "db-upgrade", "--sql").stdout == outcome.stdout
    assert outcome.stderr == ""



def test_a_migration_that_fails_on_the_database_says_where_it_stands(votr, backend, database_url):
    from votr_cli.ops import admin
    from votr_cli.frontends import settings
    from votr_cli.core.errors import DatabaseProblem

    votr("list")

    def failing_step(conn, _revision):
        conn.execute(sa.text("SELECT missing_column FROM topics"))

    database = settings.database(database_url)
    try:
        with pytest.raises(DatabaseProblem) as failure:
            admin._run(database, failing_step, "head", backup="/somewhere/votr.db.bak")
    finally:
        database.dispose()
    message = failure.value.message
    assert "\n" not in message
    if backend == "mysql":
        assert "may be half applied: restore your backup" in message
    else:
        assert "rolled back: the database stays at the last revision that completed" in message
    assert votr("db-current", "--json").json()["up_to_date"] is True
