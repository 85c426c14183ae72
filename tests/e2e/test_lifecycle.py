"""Where the database lives, when it is created, and when it is refused."""

import pytest
import sqlalchemy as sa

from votr_cli.db.tables import SCHEMA_HEAD


def _execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def _table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_default_database_is_created_with_its_folders(votr, tmp_path, monkeypatch):
    home = tmp_path / "deep" / "er" / "home"
    monkeypatch.setenv("VOTR_HOME", str(home))
    monkeypatch.setenv("VOTR_DATABASE_URL", "")  # empty counts as unset
    assert votr("create", "First", "a", "b").exit_code == 0
    assert (home / "votr.db").is_file()
    assert _table_names(f"sqlite:///{home / 'votr.db'}") >= {"topics", "options", "polls", "ballots",
                                                              "alembic_version"}


def test_a_bare_path_is_a_sqlite_file(votr, tmp_path):
    path = tmp_path / "team.db"
    assert votr("--db", str(path), "create", "First", "a", "b").exit_code == 0
    assert votr("--db", f"sqlite:///{path}", "list", "--json").json()["Polls"][0]["title"] == "First"


def test_explicit_path_in_a_missing_folder_is_exit_5(votr, tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "votr.db"
    outcome = votr("--db", f"sqlite:///{missing}", "list", "--json")
    assert (outcome.exit_code, outcome.stdout) == (5, "")
    assert outcome.error() == f"cannot open database {missing}: folder {missing.parent} does not exist"
    assert not missing.parent.exists()


def test_new_database_is_at_head(votr, database_url):
    assert votr("list").exit_code == 0
    current = votr("db-current", "--json")
    assert current.json() == {"current": [SCHEMA_HEAD], "head": SCHEMA_HEAD, "up_to_date": True}


def test_db_current_never_creates_a_database(votr, tmp_path):
    path = tmp_path / "not-yet.db"
    outcome = votr("--db", str(path), "db-current", "--json")
    assert outcome.exit_code == 0
    assert outcome.json() == {"current": [], "head": SCHEMA_HEAD, "up_to_date": False}
    assert not path.exists()
    assert votr("--db", str(path), "db-history").exit_code == 0
    assert not path.exists()


def test_behind_schema_is_refused_until_upgrade(votr):
    votr("create", "Kept", "a", "b")
    assert votr("db-downgrade", "base").exit_code == 0
    for args in (["list"], ["show", "Kept"], ["options"], ["vote", "Kept", "a"], ["close", "Kept"],
                 ["reopen", "Kept"], ["create", "New", "a", "b"]):
        outcome = votr(*args, "--json")
        assert (outcome.exit_code, outcome.stdout) == (5, ""), args
        assert outcome.error() == (f"database schema is behind this votr (at base, not {SCHEMA_HEAD}); "
                                   "run votr db-upgrade"), args
    assert votr("db-upgrade").exit_code == 0
    assert votr("list", "--json").json() == {"Polls": []}


def test_schema_ahead_is_refused(votr, database_url):
    votr("list")
    _execute(database_url, "UPDATE alembic_version SET version_num = 'ffffffffffff'")
    outcome = votr("list", "--json")
    assert outcome.exit_code == 5
    assert outcome.error() == (f"database schema ffffffffffff is ahead of this votr (which knows up to "
                               f"{SCHEMA_HEAD}); upgrade votr, or run db-downgrade with the newer votr")


def test_a_database_of_other_tables_is_not_votr(votr, database_url):
    _execute(database_url, "CREATE TABLE inventory (id INTEGER PRIMARY KEY)")
    outcome = votr("list", "--json")
    assert outcome.exit_code == 5
    assert "is not a votr database" in outcome.error()
    assert _table_names(database_url) == {"inventory"}


def test_a_file_that_is_not_a_database_is_exit_5(votr, tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    outcome = votr("--db", str(path), "list", "--json")
    assert (outcome.exit_code, outcome.stdout) == (5, "")
    assert outcome.error() == f"{path} is not a SQLite database (file is not a database)"
    assert path.read_text().startswith("these are my notes")


@pytest.mark.parametrize("url", ["nonsense://", "sqlite+nodriver:///x.db"])
def test_unusable_urls_are_exit_5(votr, url):
    outcome = votr("--db", url, "list", "--json")
    assert outcome.exit_code == 5
    assert outcome.stdout == ""
