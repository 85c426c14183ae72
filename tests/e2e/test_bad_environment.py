"""Input and environments that once ended in exit 70 (a bug): each is now its documented
exit code with one clear line, and nothing is written. Real processes.

Most are refused before any database is reached, or name a URL or SQLite file of their
own: they run in the SQLite pass only. A schema ahead is tested on every backend.
"""

from __future__ import annotations

import os
import stat

import pytest
from tests.sql import set_revision

pytestmark = pytest.mark.backends("sqlite")

HUGE = "9" * 5000


def assert_one_line(outcome, code: int, said: str) -> None:
    assert outcome.exit_code == code, outcome
    assert outcome.stdout == ""
    assert outcome.stderr.startswith("Error: ") and outcome.stderr.count("\n") == 1, outcome.stderr
    assert said in outcome.stderr and "Traceback" not in outcome.stderr, outcome.stderr
    assert len(outcome.stderr) < 400, "a hostile value is quoted cut short, not repeated whole"


@pytest.mark.parametrize("when", [f"{HUGE}s", f"{HUGE}w", "99999999999999w", "0" * 5000 + "99999999999999d"])
def test_a_huge_duration_is_too_far_in_the_future(votr_proc, when):
    assert_one_line(votr_proc("create", "Lunch", "pizza", "sushi", "--closes-at", when), 1, "too far in the future")
    assert votr_proc("create", "Lunch", "pizza", "sushi").exit_code == 0
    assert votr_proc("close", "Lunch").exit_code == 0
    assert_one_line(votr_proc("reopen", "Lunch", "--closes-at", when), 1, "too far in the future")
    assert votr_proc("show", "Lunch", "--json").json()["Polls"][0]["status"] is False


@pytest.mark.parametrize("url, said", [
    ("postgresql+psycopg://u:s3cret@127.0.0.1:abc/x", "not a valid database URL"),
    ("mysql+pymysql://u:s3cret@127.0.0.1:99999999999999999999/x", "not a valid database URL"),
    ("foo://", "no driver for foo databases"),
    ("postgresql+nodriver://u:s3cret@127.0.0.1/x", "no driver for postgresql"),
    ("mysql+mysqldb://u:s3cret@127.0.0.1/x", "no driver for mysql"),
    ("postgresql+psycopg://u:s3cret@127.0.0.1:1/x", "cannot connect"),
])
@pytest.mark.parametrize("command", [["list"], ["db-current"], ["db-check"], ["db-upgrade"], ["export"]])
def test_a_malformed_or_unusable_url_is_exit_5_without_its_password(votr_proc, url, said, command):
    outcome = votr_proc("--db", url, *command)
    assert_one_line(outcome, 5, said)
    assert "s3cret" not in outcome.stderr


def test_db_upgrade_sql_with_a_bad_port_never_shows_the_password(votr_proc):
    outcome = votr_proc("--db", "postgresql+psycopg://u:s3cret@127.0.0.1:abc/x", "db-upgrade", "--sql")
    assert_one_line(outcome, 5, "not a valid database URL")
    assert "s3cret" not in outcome.stderr


@pytest.mark.parametrize("where", ["device", "folder", "fifo"])
def test_a_database_path_that_is_not_a_regular_file_is_exit_5(votr_proc, tmp_path, where):
    path = str(tmp_path / where)
    if where == "folder":
        os.mkdir(path)
    elif where == "fifo":
        os.mkfifo(path)
    else:  # `--db /dev/null`, with a null device of the test's own (SQLite would make files beside it)
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for command in (["list"], ["vote", "Lunch", "pizza"], ["db-upgrade"], ["db-current"]):
        assert_one_line(votr_proc("--db", path, *command), 5, "is not a SQLite database")


def test_votr_home_naming_a_regular_file_is_exit_5(votr_proc, tmp_path):
    home = tmp_path / "not-a-folder"
    home.write_text("mine\n")
    for env in ({"VOTR_HOME": str(home)}, {"VOTR_HOME": str(home / "below")}):
        outcome = votr_proc("list", env={**env, "VOTR_DATABASE_URL": ""})
        assert_one_line(outcome, 5, str(home))
    assert home.read_text() == "mine\n"


@pytest.mark.parametrize("value", ["soon", "nan", "inf", "-1", "1e999", "9" * 5000])
def test_busy_timeout_garbage_is_exit_1(votr_proc, value):
    assert_one_line(votr_proc("list", env={"VOTR_BUSY_TIMEOUT": value}), 1, "VOTR_BUSY_TIMEOUT")


@pytest.mark.backends("sqlite", "postgresql", "mysql")
@pytest.mark.parametrize("command", [["db-upgrade"], ["db-upgrade", "0002"], ["db-downgrade", "-1"],
                                     ["db-downgrade", "base"]])
def test_a_schema_ahead_is_refused_by_upgrade_and_downgrade_without_a_backup(votr_proc, votr_env, tmp_path,
                                                                            command):
    assert votr_proc("create", "Lunch", "pizza", "sushi").exit_code == 0
    set_revision(votr_env["VOTR_DATABASE_URL"], "9999_from_the_future")
    before = sorted(os.listdir(tmp_path))
    assert_one_line(votr_proc(*command), 5, "is ahead of this votr")
    assert sorted(os.listdir(tmp_path)) == before  # no backup beside a SQLite database
    assert votr_proc("db-current", "--json").json()["current"] == ["9999_from_the_future"]


@pytest.mark.parametrize("query", ["mode=ro&uri=true", "uri=true"])
@pytest.mark.parametrize("command", [["db-check"], ["db-current"], ["db-history"], ["export"]])
def test_read_only_commands_on_a_sqlite_uri_never_create_a_file(votr_proc, tmp_path, query, command):
    outcome = votr_proc("--db", f"sqlite:///file:{tmp_path / 'x.db'}?{query}", *command, cwd=tmp_path)
    assert outcome.exit_code in (0, 5) and "Traceback" not in outcome.stderr, outcome
    relative = votr_proc("--db", f"sqlite:///file:x.db?{query}", *command, cwd=tmp_path)
    assert relative.exit_code == outcome.exit_code, relative
    assert not (tmp_path / "x.db").exists()
