"""What differs between SQLite, PostgreSQL and MariaDB, and must not show.

Collations, conflict handling, time zones and booleans are each dialect's own; these
tests pin the behaviour that has to come out the same, and the errors a server gives
when it cannot be reached, each turned into one readable line and exit 5.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]


def created(outcome) -> dict:
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["poll"]


def test_a_voter_votes_once_whatever_the_case_of_the_name(votr):
    poll = created(votr("create", "Lunch", "pizza", "sushi", "--json"))
    assert votr("vote", poll["id"], "pizza", "--voter", "Ann").exit_code == 0
    again = votr("vote", poll["id"], "sushi", "--voter", "ANN", "--json")
    assert again.exit_code == 4
    assert "multiple votes are not allowed" in again.error()
    counts = votr("show", poll["id"], "--json").json()["Polls"][0]["options"]
    assert counts == [{"name": "pizza", "vote_count": 1}, {"name": "sushi", "vote_count": 0}]


def test_voters_that_differ_by_an_accent_or_trailing_letter_are_different_voters(votr):
    # MySQL's default collations would make "rené" equal "rene"; votr's column is binary.
    poll = created(votr("create", "Lunch", "pizza", "sushi", "--json"))
    for name in ("rené", "rene", "renee", "straße", "STRASSE"):
        votr("vote", poll["id"], "pizza", "--voter", name)
    # "straße" and "STRASSE" fold to one voter (Unicode case folding), the rest do not.
    shown = votr("show", poll["id"], "--json").json()["Polls"][0]
    assert shown["total_vote_count"] == 4


def test_options_match_without_case_and_keep_their_first_spelling(votr):
    poll = created(votr("create", "Editors", "Vim", "Emacs", "--json"))
    assert votr("vote", "EDITORS", "vIM", "--voter", "a").exit_code == 0
    assert votr("vote", "editors", "emacs", "--voter", "b").exit_code == 0
    other = created(votr("create", "More editors", "VIM", "nano", "--json"))
    assert [option["name"] for option in other["options"]] == ["Vim", "nano"]
    shown = votr("show", poll["id"], "--json").json()["Polls"][0]
    assert shown["options"] == [{"name": "Vim", "vote_count": 1}, {"name": "Emacs", "vote_count": 1}]


def test_percent_and_underscore_are_ordinary_characters(votr):
    poll = created(votr("create", "Odd names", "100%", "a_b", "--json"))
    assert votr("vote", poll["id"], "%", "--voter", "a").exit_code == 3
    assert votr("vote", poll["id"], "a%b", "--voter", "a").exit_code == 3
    assert votr("vote", poll["id"], "a_b", "--voter", "a").exit_code == 0


def test_a_poll_id_matches_exactly(votr):
    # MariaDB's default collations ignore case: votr's tables compare bytes (revision 0003).
    poll = created(votr("create", "Exact ids", "a", "b", "--json"))
    assert votr("show", poll["id"]).exit_code == 0
    assert votr("show", poll["id"].upper(), "--json").exit_code == 3
    assert votr("show", poll["id"] + " ").exit_code == 0  # surrounding spaces are trimmed


def test_titles_are_unique_whatever_the_case_and_spacing(votr):
    created(votr("create", "Best editor", "vim", "emacs", "--json"))
    taken = votr("create", "  BEST   Editor ", "a", "b", "--json")
    assert taken.exit_code == 4
    assert "title taken" in taken.error()
    assert len(votr("list", "--json").json()["Polls"]) == 1


def test_text_beyond_the_basic_plane_round_trips(votr):
    # MariaDB's old "utf8" holds three bytes a character; votr needs utf8mb4.
    poll = created(votr("create", "Emoji 🗳️ poll", "🍕", "寿司", "--json"))
    assert poll["title"] == "Emoji 🗳️ poll"
    assert votr("vote", "emoji 🗳️ POLL", "🍕", "--voter", "😀").exit_code == 0
    assert [option["name"] for option in votr("options", "--json").json()] == ["🍕", "寿司"]


def test_long_texts_fit_every_backend(votr):
    title, option, voter = "t" * 500, "o" * 200, "v" * 100
    poll = created(votr("create", title, option, "b", "--json"))
    assert votr("vote", poll["id"], option, "--voter", voter).exit_code == 0
    assert votr("show", title, "--json").json()["Polls"][0]["total_vote_count"] == 1


def test_close_dates_are_stored_in_utc_whatever_the_offset_given(votr):
    poll = created(votr("create", "Later", "x", "y", "--closes-at", "2999-01-01T10:30:00+02:00", "--json"))
    assert poll["close_date"] == "2999-01-01T08:30:00Z"
    listed = votr("list", "--json").json()["Polls"][0]
    assert listed["close_date"] == "2999-01-01T08:30:00Z" and listed["status"] is True


def test_status_filters_agree_on_open_closed_and_past_close_dates(votr, votr_env):
    open_poll = created(votr("create", "Open", "a", "b", "--json"))
    closed_poll = created(votr("create", "Closed", "a", "b", "--json"))
    expired = created(votr("create", "Expired", "a", "b", "--closes-at", "1h", "--json"))
    assert votr("close", closed_poll["id"]).exit_code == 0
    engine = sa.create_engine(votr_env["VOTR_DATABASE_URL"])
    try:
        with engine.begin() as conn:  # move the close date into the past, as time would
            conn.execute(sa.text("UPDATE topics SET close_date = :past WHERE public_id = :id"),
                         {"past": "2001-01-01 00:00:00", "id": expired["id"]})
    finally:
        engine.dispose()

    def titles(status):
        polls = votr("list", "--status", status, "--json").json()["Polls"]
        return [(poll["title"], poll["status"]) for poll in polls]

    assert titles("open") == [("Open", True)]
    assert titles("closed") == [("Closed", False), ("Expired", False)]
    assert votr("vote", expired["id"], "a", "--voter", "late").exit_code == 4
    assert [poll["id"] for poll in votr("list", "--json").json()["Polls"]] == [
        open_poll["id"], closed_poll["id"], expired["id"]]


def test_a_lock_held_past_the_busy_timeout_is_exit_5(votr, votr_env, backend):
    poll = created(votr("create", "Locked", "a", "b", "--json"))
    engine = sa.create_engine(votr_env["VOTR_DATABASE_URL"])
    holder = engine.connect()
    try:
        if backend == "sqlite":
            holder.connection.driver_connection.isolation_level = None
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holder.begin()
            holder.execute(sa.text("SELECT id FROM topics FOR UPDATE"))
        outcome = votr("vote", poll["id"], "a", "--voter", "waiting", "--json",
                       env={"VOTR_BUSY_TIMEOUT": "1"})
    finally:
        holder.rollback() if backend != "sqlite" else holder.exec_driver_sql("ROLLBACK")
        holder.close()
        engine.dispose()
    assert outcome.exit_code == 5
    assert outcome.error().startswith("database is busy")
    assert votr("vote", poll["id"], "a", "--voter", "waiting").exit_code == 0


# -- databases that cannot be used -----------------------------------------------------


def _broken_databases(backend: str, database_url: str, tmp_path) -> dict[str, tuple[str, str]]:
    """URL and expected start of the error for each way this backend can fail to open."""
    if backend == "sqlite":
        not_a_database = tmp_path / "notes.txt"
        not_a_database.write_text("these are not the tables you are looking for\n" * 100)
        return {
            "missing folder": (f"sqlite:///{tmp_path / 'nowhere' / 'votr.db'}", "cannot open database"),
            "not a database": (f"sqlite:///{not_a_database}", f"{not_a_database} is not a SQLite database"),
        }
    url = make_url(database_url)
    host = f"{url.host}:{url.port}"
    return {
        "refused": (url.set(port=1).render_as_string(hide_password=False),
                    f"cannot connect to the {backend} server at {url.host}:1: connection refused"),
        "bad credentials": (url.set(username="votr_nobody", password="wrong").render_as_string(hide_password=False),
                            f"the {backend} server at {host} refused user 'votr_nobody'"),
        "missing database": (url.set(database="votr_no_such_db").render_as_string(hide_password=False),
                             f"database 'votr_no_such_db' does not exist on the {backend} server at {host}"),
    }


@pytest.mark.parametrize("command", [["list"], ["db-current"], ["db-upgrade"], ["vote", "x", "y"]])
def test_a_database_that_cannot_be_opened_is_exit_5_with_one_line(votr, backend, database_url, tmp_path, command):
    for kind, (url, expected) in _broken_databases(backend, database_url, tmp_path).items():
        if kind == "missing folder" and command == ["db-current"]:
            continue  # db-current reports a missing SQLite file as "no revision", and creates nothing
        outcome = votr("--db", url, *command, "--json")
        assert outcome.exit_code == 5, (kind, outcome)
        assert outcome.stdout == ""
        message = outcome.error()
        assert message.startswith(expected), (kind, message)
        assert "\n" not in message and "Traceback" not in message
        assert "wrong" not in message  # a password never shows


@pytest.mark.parametrize("url, extra", [
    ("postgresql+asyncpg://votr@127.0.0.1/votr", "postgresql"),
    ("mysql+mysqldb://votr@127.0.0.1/votr", "mysql"),
    ("mariadb+mariadbconnector://votr@127.0.0.1/votr", "mysql"),
])
def test_a_missing_driver_is_exit_5_naming_the_extra(votr, url, extra):
    outcome = votr("--db", url, "list")
    assert outcome.exit_code == 5
    assert f"pip install 'votr-cli[{extra}]'" in outcome.stderr
    assert "use a " in outcome.stderr  # the extra installs another driver than the URL names
    assert outcome.stderr.count("\n") == 1


def test_an_unknown_dialect_is_exit_5_even_for_sql_only(votr):
    for args in (["list"], ["db-upgrade", "--sql"]):
        outcome = votr("--db", "nosuchdialect://x/y", *args)
        assert outcome.exit_code == 5, outcome
        assert "nosuchdialect" in outcome.stderr


def test_each_test_gets_a_database_of_its_own_that_starts_empty(votr_env, backend):
    engine = sa.create_engine(votr_env["VOTR_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
            if backend != "sqlite":
                assert conn.engine.url.database.startswith("votr_t")
    finally:
        engine.dispose()


def test_concurrent_first_use_creates_the_schema_once(votr_env):
    """Two processes that both find an empty database must not both create it."""
    from votr_cli.service import polls as service
    from votr_cli.frontends import settings

    failures: list[BaseException] = []

    def first_use(index: int) -> None:
        database = settings.database(votr_env["VOTR_DATABASE_URL"])
        try:
            service.create_poll(database, f"Poll {index}", ["a", "b"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            database.dispose()

    threads = [threading.Thread(target=first_use, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    database = settings.database(votr_env["VOTR_DATABASE_URL"])
    try:
        assert service.poll_count(database) == 4
    finally:
        database.dispose()


def test_an_unreachable_test_backend_fails_the_run_rather_than_skipping(backend, tmp_path):
    """What .ci/run relies on: a requested server that is down makes scripts/test fail."""
    server = backend if backend != "sqlite" else "postgresql"  # port 1 needs no real server
    unreachable = {"postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/test",
                   "mysql": "mysql+pymysql://root@127.0.0.1:1/test"}[server]
    variable = f"VOTR_TEST_{server.upper()}_URL"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--backend", server,
         "tests/unit/test_when.py"],
        cwd=REPO, env={**os.environ, variable: unreachable}, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"backend {server} requested but unreachable" in done.stdout + done.stderr
    assert " passed" not in done.stdout
