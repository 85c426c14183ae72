"""`votr db-check`: integrity, counters against ballots, orphans; exit 0 clean, 5 otherwise.

Damage is done with plain SQL, as another tool or a bug would, on every backend.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.sql import run_sql

INTEGRITY_METHOD = {
    "sqlite": "PRAGMA integrity_check, PRAGMA foreign_key_check",
    "mysql": "CHECK TABLE",
    "postgresql": None,  # no built-in check; see the amcheck test
}


def created(outcome) -> dict:
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["poll"]


@pytest.fixture
def voted(votr) -> dict:
    """A poll with three ballots: two for pizza, one for sushi."""
    poll = created(votr("create", "Lunch", "pizza", "sushi", "--json"))
    for voter, option in (("ann", "pizza"), ("bob", "pizza"), ("cy", "sushi")):
        assert votr("vote", poll["id"], option, "--voter", voter).exit_code == 0
    return poll


def test_a_clean_database_passes(votr, voted, backend):
    report = votr("db-check", "--json")
    assert report.exit_code == 0, report.stdout + report.stderr
    assert report.stderr == ""
    data = report.json()
    assert data["ok"] is True and data["problems"] == []
    assert data["checked"] == {"polls": 1, "options": 2, "counters": 2, "ballots": 3}
    assert data["integrity"]["method"] == INTEGRITY_METHOD[backend]
    assert data["integrity"]["ok"] is (None if backend == "postgresql" else True)

    plain = votr("db-check")
    assert plain.exit_code == 0
    lines = plain.stdout.splitlines()
    assert lines[-1] == "result: clean"
    assert "checked: 1 polls, 2 options, 2 counters, 3 ballots" in lines


def test_postgresql_runs_amcheck_when_the_database_has_it(votr, voted, backend, votr_env):
    if backend != "postgresql":
        # The other backends' own checks are asserted in test_a_clean_database_passes.
        assert votr("db-check").exit_code == 0
        return
    run_sql(votr_env["VOTR_DATABASE_URL"], "CREATE EXTENSION amcheck")
    data = votr("db-check", "--json").json()
    assert data["integrity"] == {"method": "amcheck bt_index_check", "ok": True, "messages": []}


def test_a_counter_that_does_not_match_its_ballots_is_exit_5(votr, voted, votr_env):
    run_sql(votr_env["VOTR_DATABASE_URL"],
            "UPDATE polls SET vote_count = vote_count + 5 WHERE position = 0")
    outcome = votr("db-check", "--json")
    assert outcome.exit_code == 5
    data = outcome.json()
    assert data["ok"] is False
    [problem] = data["problems"]
    assert problem["kind"] == "counter"
    assert (problem["poll"], problem["option"], problem["vote_count"], problem["ballots"]) == (
        voted["id"], "pizza", 7, 2)

    plain = votr("db-check")
    assert plain.exit_code == 5
    lines = plain.stdout.splitlines()
    assert f"problem: poll {voted['id']} 'Lunch', option 'pizza': counter is 7, but 2 ballots + 0 adopted = 2" in lines
    assert lines[-1] == "result: 1 problem found"


def test_adopted_votes_count_without_ballots_and_their_voters_hold_ballots_without_an_option(
        votr, voted, votr_env):
    """An old Votr database knew counts and who voted, not who voted for what. Its counts
    are the adopted_count; its voters are ballots with no option, in no counter."""
    url = votr_env["VOTR_DATABASE_URL"]
    run_sql(url, "UPDATE polls SET adopted_count = 4, vote_count = vote_count + 4 WHERE position = 1")
    for voter in ("old-1", "old-2"):
        run_sql(url, "INSERT INTO ballots (topic_id, voter, option_id, date_created) "
                     "SELECT id, :voter, NULL, date_created FROM topics", voter=voter)
    assert votr("db-check").exit_code == 0
    assert votr("show", voted["id"], "--json").json()["Polls"][0]["total_vote_count"] == 7
    assert votr("vote", voted["id"], "pizza", "--voter", "old-1").exit_code == 4  # already voted

    run_sql(url, "UPDATE polls SET adopted_count = 3 WHERE position = 1")
    data = votr("db-check", "--json").json()
    assert [(p["option"], p["vote_count"], p["ballots"], p["adopted_count"]) for p in data["problems"]] == [
        ("sushi", 5, 1, 3)]


def test_orphan_rows_are_listed(votr, voted, votr_env, backend):
    url = votr_env["VOTR_DATABASE_URL"]
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            # Foreign keys off, as a careless import tool would have them.
            if backend == "postgresql":
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            elif backend == "mysql":
                conn.exec_driver_sql("SET foreign_key_checks = 0")
            else:
                conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            conn.execute(sa.text("INSERT INTO ballots (topic_id, voter, option_id, date_created) "
                                 "VALUES (9999, 'ghost', NULL, '2026-01-01 00:00:00')"))
    finally:
        engine.dispose()
    outcome = votr("db-check", "--json")
    assert outcome.exit_code == 5
    orphans = [problem for problem in outcome.json()["problems"] if problem["kind"] == "orphan"]
    assert [(orphan["table"], orphan["count"]) for orphan in orphans] == [("ballots", 1)]
    assert "1 ballots whose poll is gone" in orphans[0]["message"]


def test_db_check_never_creates_a_database(votr, backend, votr_env, tmp_path):
    outcome = votr("db-check", "--json")
    assert outcome.exit_code == 5
    assert outcome.stdout == ""
    assert "nothing to check" in outcome.error()
    engine = sa.create_engine(votr_env["VOTR_DATABASE_URL"])
    try:
        if backend == "sqlite":
            assert not list(tmp_path.glob("votr.db*"))
        else:
            with engine.connect() as conn:
                assert sa.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()
    # Nor the default location's folder.
    default = votr("db-check", env={"VOTR_DATABASE_URL": ""})
    assert default.exit_code == 5
    assert not (tmp_path / "home").exists()


def test_a_schema_that_is_behind_is_exit_5_naming_db_upgrade(votr, voted):
    assert votr("db-downgrade", "base").exit_code == 0
    outcome = votr("db-check")
    assert outcome.exit_code == 5
    assert "run votr db-upgrade" in outcome.stderr
    assert outcome.stderr.count("\n") == 1
