"""Databases that cannot be used: one readable line and exit 5, `{"error"}` with --json,
never a traceback, and nothing changed.

A missing folder, a file that is not a database, a corrupt page and a read-only file are
SQLite files: those tests make a file of their own whatever backend the suite runs on
(SQLite is always there), so they run in every pass rather than being skipped. A schema
behind or ahead is tested on the selected backend. A lock held past the busy timeout is
in test_concurrency.py, with real processes.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from pathlib import Path

import pytest
from tests.sql import set_revision

POLL_COMMANDS = [
    ["list"],
    ["show", "Lunch"],
    ["options"],
    ["vote", "Lunch", "pizza", "--voter", "zed"],
    ["create", "Dinner", "soup", "salad"],
    ["close", "Lunch"],
]


def assert_one_line_error(votr, args: list[str], expected: str) -> None:
    """Both forms: `Error: …` on stderr, and {"error": …} with --json; stdout empty."""
    plain = votr(*args)
    assert plain.exit_code == 5, (args, plain)
    assert plain.stdout == ""
    assert plain.stderr.startswith("Error: ") and plain.stderr.count("\n") == 1, (args, plain.stderr)
    assert expected in plain.stderr, (args, plain.stderr)
    assert "Traceback" not in plain.stderr
    as_json = votr(*args, "--json")
    assert as_json.exit_code == 5 and as_json.stdout == ""
    assert expected in as_json.error()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sqlite_poll(votr, tmp_path) -> Path:
    """A SQLite votr database with a poll "Lunch" and a few votes, closed cleanly."""
    path = tmp_path / "faults.db"
    assert votr("--db", str(path), "create", "Lunch", "pizza", "sushi").exit_code == 0
    for voter in ("ann", "bob", "cy"):
        assert votr("--db", str(path), "vote", "Lunch", "pizza", "--voter", voter).exit_code == 0
    return path


# -- SQLite files ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", POLL_COMMANDS + [["db-upgrade"], ["db-check"]])
def test_an_explicit_path_in_a_missing_folder_is_exit_5_and_creates_nothing(votr, tmp_path, command):
    path = tmp_path / "no" / "such" / "folder" / "votr.db"
    # db-check never creates a database, so for it a missing folder is simply no database.
    expected = "no database at" if command == ["db-check"] else "does not exist"
    assert_one_line_error(votr, ["--db", str(path), *command], expected)
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("content", [b"these are not the tables you are looking for\n" * 200,
                                     bytes(range(256)) * 64])
def test_a_file_that_is_not_a_database_is_exit_5_and_left_alone(votr, tmp_path, content):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    for command in POLL_COMMANDS + [["db-current"], ["db-upgrade"], ["db-check"]]:
        assert_one_line_error(votr, ["--db", str(path), *command], "is not a SQLite database")
    assert path.read_bytes() == content


def test_a_corrupt_page_is_exit_5_and_db_check_reports_it(votr, sqlite_poll):
    with sqlite3.connect(sqlite_poll) as raw:
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        root = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'polls'").fetchone()[0]
    with sqlite_poll.open("r+b") as file:  # scribble over the polls table's first page
        file.seek((root - 1) * page_size)
        file.write(b"\xa5" * page_size)
    for command in (["list"], ["show", "Lunch"], ["vote", "Lunch", "sushi", "--voter", "dee"]):
        assert_one_line_error(votr, ["--db", str(sqlite_poll), *command], "is corrupt")
    check = votr("--db", str(sqlite_poll), "db-check", "--json")
    assert check.exit_code == 5
    report = check.json()
    assert report["integrity"]["ok"] is False
    assert report["problems"] and all(problem["kind"] == "integrity" for problem in report["problems"])
    plain = votr("--db", str(sqlite_poll), "db-check")
    assert plain.exit_code == 5 and "integrity: FAILED" in plain.stdout


@pytest.fixture
def immutable(sqlite_poll):
    """The database file made immutable (chattr +i): tests run as root, for whom a chmod
    does not make a file read-only; an immutable file refuses root's writes too."""
    subprocess.run(["chattr", "+i", str(sqlite_poll)], check=True)
    try:
        yield sqlite_poll
    finally:
        subprocess.run(["chattr", "-i", str(sqlite_poll)], check=True)


@pytest.mark.parametrize("how", ["immutable file", "mode=ro URL"])
def test_a_read_only_database_can_be_read_but_writes_say_read_only(votr, sqlite_poll, how, request):
    if how == "immutable file":
        url = str(request.getfixturevalue("immutable"))
    else:
        url = f"sqlite:///file:{sqlite_poll}?mode=ro&uri=true"
    before = digest(sqlite_poll)
    listed = votr("--db", url, "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert listed.json()["Polls"][0]["options"] == [{"name": "pizza", "vote_count": 3},
                                                    {"name": "sushi", "vote_count": 0}]
    assert votr("--db", url, "show", "Lunch").exit_code == 0
    assert votr("--db", url, "db-check").exit_code == 0
    for command in POLL_COMMANDS[3:]:
        assert_one_line_error(votr, ["--db", url, *command], "is read-only")
    assert f"database {url.split('///')[-1].split('?')[0]} is read-only" in votr("--db", url, *POLL_COMMANDS[3]).stderr
    assert digest(sqlite_poll) == before


# -- schema behind or ahead, on the selected backend ----------------------------------------


@pytest.fixture
def database(votr, votr_env) -> str:
    assert votr("create", "Lunch", "pizza", "sushi").exit_code == 0
    return votr_env["VOTR_DATABASE_URL"]


@pytest.mark.parametrize("target", ["-1", "base"])
def test_a_schema_behind_is_exit_5_until_db_upgrade(votr, database, target):
    assert votr("db-downgrade", target).exit_code == 0
    for command in POLL_COMMANDS + [["db-check"]]:
        assert_one_line_error(votr, command, "is behind this votr")
        assert_one_line_error(votr, command, "run votr db-upgrade")
    assert votr("db-upgrade").exit_code == 0
    assert votr("list").exit_code == 0


def test_a_schema_ahead_is_exit_5_and_not_touched(votr, database):
    set_revision(database, "9999_from_the_future")
    for command in POLL_COMMANDS + [["db-check"]]:
        assert_one_line_error(votr, command, "is ahead of this votr")
    current = votr("db-current", "--json")
    assert current.json()["current"] == ["9999_from_the_future"]


@pytest.fixture
def read_only_folder(sqlite_poll):
    """The database in a folder that cannot be written (immutable, as for the file above)."""
    subprocess.run(["chattr", "+i", str(sqlite_poll), str(sqlite_poll.parent)], check=True)
    try:
        yield sqlite_poll
    finally:
        subprocess.run(["chattr", "-i", str(sqlite_poll.parent), str(sqlite_poll)], check=True)


def test_a_database_in_a_read_only_folder_says_how_to_read_it(votr, read_only_folder):
    # SQLite reads a WAL database through a -shm file it must create beside it.
    assert_one_line_error(votr, ["--db", str(read_only_folder), "list"], "is read-only, and SQLite needs to write")
    hinted = votr("--db", str(read_only_folder), "list").stderr.split("--db ")[-1].strip().strip("'")
    assert hinted == f"sqlite:///file:{read_only_folder}?immutable=1&uri=true"
    listed = votr("--db", hinted, "list", "--json")
    assert listed.exit_code == 0 and listed.json()["Polls"][0]["total_vote_count"] == 3
    assert_one_line_error(votr, ["--db", hinted, "vote", "Lunch", "sushi", "--voter", "dee"], "is read-only")
