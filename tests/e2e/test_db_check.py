"""`votr db-check`: integrity, poll settings, ballots of every kind, counters and voter counts
against ballots, orphans; exit 0 clean, 5 otherwise.

Damage is done with plain SQL, as another tool or a bug would, on every backend.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from tests.sql import query, run_sql

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
    assert "checked: 1 poll, 2 options, 2 counters, 3 ballots" in lines


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
    # Adopted votes are voters too; their voters' ballots (no option) are among them.
    run_sql(url, "UPDATE topics SET voter_count = voter_count + 4")
    for voter in ("old-1", "old-2"):
        run_sql(url, "INSERT INTO ballots (topic_id, voter, option_id, date_created) "
                     "SELECT id, :voter, NULL, date_created FROM topics", voter=voter)
    assert votr("db-check").exit_code == 0
    assert votr("show", voted["id"], "--json").json()["Polls"][0]["total_vote_count"] == 7
    assert votr("vote", voted["id"], "pizza", "--voter", "old-1").exit_code == 4  # already voted

    assert votr("show", voted["id"], "--json").json()["Polls"][0]["voter_count"] == 7

    run_sql(url, "UPDATE polls SET adopted_count = 3 WHERE position = 1")
    data = votr("db-check", "--json").json()
    # Both the counter and the voter count disagree with the adopted votes.
    assert [(p["kind"], p.get("option"), p["ballots"], p["adopted_count"]) for p in data["problems"]] == [
        ("counter", "sushi", 1, 3), ("voters", None, 3, 3)]
    assert data["problems"][0]["vote_count"] == 5 and data["problems"][1]["voter_count"] == 7


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
    assert "1 ballot whose poll is gone" in orphans[0]["message"]


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


# -- poll kinds -------------------------------------------------------------------------

def topic(title: str) -> str:
    return f"(SELECT id FROM topics WHERE title = '{title}')"


@pytest.fixture
def kinds(votr) -> dict:
    """A poll of each kind with two ballots each, made by votr itself."""
    made = {}
    for title, kind, extra in (("Lunch", "single", ()), ("Toppings", "multiple", ("--max", "2")),
                               ("Race", "ranked", ()), ("Talks", "score", ())):
        made[kind] = created(votr("create", title, "a", "b", "c", "--kind", kind, *extra, "--json"))
    for kind, ann, bob in (("single", ["a"], ["c"]), ("multiple", ["a", "c"], ["b"]),
                           ("ranked", ["c", "a"], ["b", "a", "c"]), ("score", ["a=5", "c=2"], ["b=3"])):
        for voter, choice in (("ann", ann), ("bob", bob)):
            outcome = votr("vote", made[kind]["id"], *choice, "--voter", voter)
            assert outcome.exit_code == 0, outcome.stderr
    return made


def test_polls_of_every_kind_pass_and_are_stored_as_db_check_reads_them(votr, kinds, votr_env):
    report = votr("db-check", "--json")
    assert report.exit_code == 0, report.stdout
    assert report.json()["checked"] == {"polls": 4, "options": 3, "counters": 12, "ballots": 8}
    stored = query(votr_env["VOTR_DATABASE_URL"],
                   "SELECT t.kind, b.voter, b.option_id IS NULL, b.choices FROM ballots b "
                   "JOIN topics t ON t.id = b.topic_id ORDER BY t.id, b.voter")
    assert [(kind, voter, bool(no_option), choices) for kind, voter, no_option, choices in stored] == [
        ("single", "ann", False, None), ("single", "bob", False, None),
        ("multiple", "ann", True, "AC"), ("multiple", "bob", True, "B"),
        ("ranked", "ann", True, "CA"), ("ranked", "bob", True, "BAC"),
        ("score", "ann", True, "502"), ("score", "bob", True, "030")]


def test_votes_of_every_kind_from_a_batch_pass(votr, kinds):
    """A batch writes ballots, counters and voter counts its own way (in bulk)."""
    lines = [{"poll": "Lunch", "option": "b"}, {"poll": "Toppings", "options": ["c", "b"]},
             {"poll": "Race", "options": ["a"]}, {"poll": "Talks", "scores": {"c": 5, "a": 0}}]
    batch = "".join(json.dumps({**line, "voter": voter}) + "\n" for voter in ("cy", "dee") for line in lines)
    outcome = votr("vote", "--batch", "-", "--json", input=batch)
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    report = votr("db-check", "--json")
    assert report.exit_code == 0, report.stdout
    assert report.json()["checked"]["ballots"] == 16


# Each: SQL that damages the database, then the one problem db-check must report
# (its kind and words of its message).
DAMAGE = {
    "ranked counter": (
        f"UPDATE polls SET vote_count = vote_count + 1 WHERE topic_id = {topic('Race')} AND position = 2",
        "counter", "option 'c': counter is 2, but 1 ballot ranks it first"),
    "multiple counter": (
        f"UPDATE polls SET vote_count = 0 WHERE topic_id = {topic('Toppings')} AND position = 0",
        "counter", "option 'a': counter is 0, but 1 ballot chooses it"),
    "score counter": (
        f"UPDATE polls SET vote_count = 4 WHERE topic_id = {topic('Talks')} AND position = 1",
        "counter", "option 'b': counter is 4, but its scores on the ballots add up to 3"),
    "adopted votes in a ranked poll": (
        f"UPDATE polls SET adopted_count = 1, vote_count = vote_count + 1 WHERE topic_id = {topic('Race')} "
        f"AND position = 0", "counter", "only single polls hold votes adopted"),
    "voter_count": (
        "UPDATE topics SET voter_count = 3 WHERE title = 'Toppings'",
        "voters", "voter_count is 3, but 2 ballots + 0 adopted = 2"),
    "single voter_count": (
        "UPDATE topics SET voter_count = 0 WHERE title = 'Lunch'",
        "voters", "voter_count is 0, but 2 ballots + 0 adopted = 2"),
    "bad code": (
        f"UPDATE ballots SET choices = 'AD' WHERE voter = 'ann' AND topic_id = {topic('Toppings')}",
        "ballot", "choices 'AD' is not a valid multiple ballot of it: 'D' is no option of the poll's 3"),
    "not a code": (
        f"UPDATE ballots SET choices = 'C@' WHERE voter = 'ann' AND topic_id = {topic('Race')}",
        "ballot", "'@' is not an option code"),
    "duplicate": (
        f"UPDATE ballots SET choices = 'CC' WHERE voter = 'ann' AND topic_id = {topic('Race')}",
        "ballot", "choices 'CC' is not a valid ranked ballot of it: it names option 'C' twice"),
    "too many": (
        f"UPDATE ballots SET choices = 'ABC' WHERE voter = 'ann' AND topic_id = {topic('Toppings')}",
        "ballot", "3 options, but the poll takes 1 to 2"),
    "out of the poll's order": (
        f"UPDATE ballots SET choices = 'CA' WHERE voter = 'ann' AND topic_id = {topic('Toppings')}",
        "ballot", "its options are not in the poll's order"),
    "wrong score length": (
        f"UPDATE ballots SET choices = '50' WHERE voter = 'ann' AND topic_id = {topic('Talks')}",
        "ballot", "choices '50' is not a valid score ballot of it: not 3 scores from 0 to 5"),
    "score above 5": (
        f"UPDATE ballots SET choices = '902' WHERE voter = 'ann' AND topic_id = {topic('Talks')}",
        "ballot", "not 3 scores from 0 to 5"),
    "no choices": (
        f"UPDATE ballots SET choices = NULL WHERE voter = 'bob' AND topic_id = {topic('Race')}",
        "ballot", "1 ballot with no choices is not a valid ranked ballot of it: the ballot has no choices"),
    "choices in a single poll": (
        f"UPDATE ballots SET choices = 'A' WHERE voter = 'ann' AND topic_id = {topic('Lunch')}",
        "ballot", "1 ballot of a single poll has choices"),
    "an option in a ranked ballot": (
        f"UPDATE ballots SET option_id = (SELECT option_id FROM polls WHERE polls.topic_id = ballots.topic_id "
        f"AND position = 2) WHERE voter = 'ann' AND topic_id = {topic('Race')}",
        "ballot", "1 ballot names an option (option_id), but a ranked poll's ballots keep their choices"),
    "method of another kind": (
        "UPDATE topics SET method = 'irv' WHERE title = 'Toppings'",
        "poll", "method 'irv' does not fit a multiple poll: use approval"),
    "unknown kind": (
        "UPDATE topics SET kind = 'weird' WHERE title = 'Race'",
        "poll", "kind 'weird' is none of single, multiple, ranked, score"),
    "min above max": (
        "UPDATE topics SET min_choices = 3 WHERE title = 'Toppings'",
        "poll", "min choices (3) is more than max choices (2)"),
    "max above the options": (
        "UPDATE topics SET max_choices = 4 WHERE title = 'Race'",
        "poll", "max choices (4) is more than the poll's 3 options"),
    "score bounds": (
        "UPDATE topics SET max_choices = 2 WHERE title = 'Talks'",
        "poll", "a score poll of 3 options takes 1 to 3 choices, but it says 1 to 2"),
    "single bounds": (
        "UPDATE topics SET max_choices = 2 WHERE title = 'Lunch'",
        "poll", "a single poll of 3 options takes 1 to 1 choices, but it says 1 to 2"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damage_to_a_poll_of_any_kind_is_one_problem_and_exit_5(votr, kinds, votr_env, damage):
    statement, kind, words = DAMAGE[damage]
    run_sql(votr_env["VOTR_DATABASE_URL"], statement)

    outcome = votr("db-check", "--json")

    assert outcome.exit_code == 5, outcome.stdout
    [problem] = outcome.json()["problems"]
    assert problem["kind"] == kind
    assert words in problem["message"], problem["message"]
    plain = votr("db-check")
    assert plain.exit_code == 5
    assert plain.stdout.splitlines()[-1] == "result: 1 problem found"


# -- ballot policies and secret polls ---------------------------------------------------------

@pytest.fixture
def policies(votr) -> dict:
    """Polls of each policy, secret ones of every kind, with ballots cast, changed and
    withdrawn by votr itself."""
    made = {}
    for title, kind, extra in (
            ("Secret lunch", "single", ("--secret",)),
            ("Secret picks", "multiple", ("--secret", "--max", "2", "--quorum", "3")),
            ("Secret race", "ranked", ("--secret", "--results", "voted")),
            ("Secret talks", "score", ("--secret", "--results", "closed")),
            ("Changeable", "single", ("--allow-change", "--results", "voted")),
            ("Changeable race", "ranked", ("--allow-change", "--quorum", "1")),
            ("Plain", "single", ())):
        made[title] = created(votr("create", title, "a", "b", "c", "--kind", kind, *extra, "--json"))
    for title, voter, choice in (
            ("Secret lunch", "ann", ["a"]), ("Secret lunch", "bob", ["c"]),
            ("Secret picks", "ann", ["a", "c"]), ("Secret picks", "bob", ["b"]),
            ("Secret race", "ann", ["c", "a"]), ("Secret race", "bob", ["b", "a", "c"]),
            ("Secret talks", "ann", ["a=5", "c=2"]), ("Secret talks", "bob", ["b=3"]),
            ("Changeable", "ann", ["a"]), ("Changeable", "ann", ["b"]), ("Changeable", "bob", ["c"]),
            ("Changeable", "cy", ["a"]),
            ("Changeable race", "ann", ["a", "b"]), ("Changeable race", "ann", ["c"]),
            ("Plain", "ann", ["a"])):
        outcome = votr("vote", title, *choice, "--voter", voter)
        assert outcome.exit_code == 0, outcome.stderr
    assert votr("unvote", "Changeable", "--voter", "cy").exit_code == 0
    return made


def test_polls_of_every_policy_pass_with_secret_ballots_counted(votr, policies, votr_env):
    report = votr("db-check", "--json")
    assert report.exit_code == 0, report.stdout
    # 8 secret ballots and 4 others (ann's changed ballots replaced, cy's withdrawn).
    assert report.json()["checked"] == {"polls": 7, "options": 3, "counters": 21, "ballots": 12}
    url = votr_env["VOTR_DATABASE_URL"]
    assert query(url, "SELECT COUNT(*) FROM ballots b JOIN topics t ON t.id = b.topic_id WHERE t.secret = (1 = 1)") == [(0,)]
    assert query(url, "SELECT COUNT(*) FROM poll_voters") == [(8,)]


def test_secret_and_changed_votes_from_a_batch_pass(votr, policies):
    lines = [{"poll": "Secret lunch", "option": "b"}, {"poll": "Secret race", "options": ["a"]},
             {"poll": "Secret talks", "scores": {"c": 5}}, {"poll": "Secret picks", "options": ["b", "c"]},
             {"poll": "Changeable", "option": "c"}, {"poll": "Changeable race", "options": ["b"]}]
    batch = "".join(json.dumps({**line, "voter": voter}) + "\n" for voter in ("ann", "cy", "dee") for line in lines)
    outcome = votr("vote", "--batch", "-", "--json", input=batch)
    assert outcome.exit_code in (0, 4), outcome.stdout + outcome.stderr  # ann's secret lines are refused
    report = votr("db-check", "--json")
    assert report.exit_code == 0, report.stdout


def poll_of(title: str) -> str:
    return f"(SELECT id FROM topics WHERE title = '{title}')"


def option_at(title: str, position: int) -> str:
    return f"(SELECT option_id FROM polls WHERE topic_id = {poll_of(title)} AND position = {position})"


YES, NO = "(1 = 1)", "(1 = 0)"  # TRUE and FALSE, written so that every backend takes them

POLICY_DAMAGE = {
    "unknown results": (
        "UPDATE topics SET results = 'later' WHERE title = 'Changeable'",
        "poll", "results 'later' is none of always, voted, closed"),
    "results with a trailing space": (
        "UPDATE topics SET results = 'voted ' WHERE title = 'Secret race'",
        "poll", "results 'voted ' is none of always, voted, closed"),
    "quorum of 0": (
        "UPDATE topics SET quorum = 0 WHERE title = 'Secret picks'",
        "poll", "quorum 0 is less than 1 voter"),
    "secret and allowing changes": (
        f"UPDATE topics SET allow_change = {YES} WHERE title = 'Secret lunch'",
        "poll", "it is secret and allows vote changes"),
    "secret voter_count": (
        "UPDATE topics SET voter_count = 3 WHERE title = 'Secret talks'",
        "voters", "voter_count is 3, poll_voters holds 2 voters of it and secret_ballots 2 ballots"),
    "a voter too many": (
        f"INSERT INTO poll_voters (topic_id, voter) SELECT id, 'ghost' FROM topics WHERE title = 'Secret race'",
        "voters", "voter_count is 2, poll_voters holds 3 voters of it and secret_ballots 2 ballots"),
    "a secret ballot too many": (
        f"INSERT INTO secret_ballots (id, topic_id, option_id, choices) "
        f"SELECT '{'0' * 32}', id, NULL, '000' FROM topics WHERE title = 'Secret talks'",
        "voters", "voter_count is 2, poll_voters holds 2 voters of it and secret_ballots 3 ballots"),
    "secret single counter": (
        f"UPDATE polls SET vote_count = vote_count + 1 WHERE topic_id = {poll_of('Secret lunch')} AND position = 0",
        "counter", "option 'a': counter is 2, but 1 secret ballot + 0 adopted = 1"),
    "secret ranked counter": (
        f"UPDATE polls SET vote_count = vote_count + 1 WHERE topic_id = {poll_of('Secret race')} AND position = 2",
        "counter", "option 'c': counter is 2, but 1 ballot ranks it first"),
    "secret score counter": (
        f"UPDATE polls SET vote_count = 1 WHERE topic_id = {poll_of('Secret talks')} AND position = 0",
        "counter", "option 'a': counter is 1, but its scores on the ballots add up to 5"),
    "adopted votes in a secret poll": (
        f"UPDATE polls SET adopted_count = 1, vote_count = vote_count + 1 "
        f"WHERE topic_id = {poll_of('Secret lunch')} AND position = 1",
        "counter", "option 'b': it has 1 adopted vote, but a secret poll holds none"),
    "bad secret code": (
        f"UPDATE secret_ballots SET choices = 'CC' WHERE choices = 'CA' AND topic_id = {poll_of('Secret race')}",
        "ballot", "1 secret ballot with choices 'CC' is not a valid ranked ballot of it: it names option 'C' twice"),
    "secret score of the wrong length": (
        f"UPDATE secret_ballots SET choices = '50' WHERE choices = '502' AND topic_id = {poll_of('Secret talks')}",
        "ballot", "not 3 scores from 0 to 5"),
    "too many secret choices": (
        f"UPDATE secret_ballots SET choices = 'ABC' WHERE choices = 'AC' AND topic_id = {poll_of('Secret picks')}",
        "ballot", "3 options, but the poll takes 1 to 2"),
    "choices in a secret single ballot": (
        f"UPDATE secret_ballots SET choices = 'A' WHERE topic_id = {poll_of('Secret lunch')}",
        "ballot", "2 secret ballots of a single poll have choices"),
    "a secret single ballot without an option": (
        f"UPDATE secret_ballots SET option_id = NULL WHERE topic_id = {poll_of('Secret lunch')} "
        f"AND option_id = {option_at('Secret lunch', 0)}",
        "ballot", "1 secret ballot of a single poll names no option"),
    "an option in a secret ranked ballot": (
        f"UPDATE secret_ballots SET option_id = {option_at('Secret race', 0)} "
        f"WHERE topic_id = {poll_of('Secret race')}",
        "ballot", "2 secret ballots name an option (option_id), but a ranked poll's ballots keep their choices"),
    "a secret poll's ballot in ballots": (
        f"INSERT INTO ballots (topic_id, voter, option_id, date_created) SELECT id, 'spy', "
        f"{option_at('Secret lunch', 0)}, date_created FROM topics WHERE title = 'Secret lunch'",
        "ballot", "a secret poll, but 1 ballot of it is in ballots, which pairs each with its voter"),
    "a poll made secret": (
        f"UPDATE topics SET secret = {YES} WHERE title = 'Plain'",
        "ballot", "a secret poll, but 1 ballot of it is in ballots"),
    "a secret poll made plain": (
        f"UPDATE topics SET secret = {NO} WHERE title = 'Secret race'",
        "ballot", "not a secret poll, but poll_voters holds 2 voters of it and secret_ballots 2 ballots"),
    "a voter of a poll that is not secret": (
        "INSERT INTO poll_voters (topic_id, voter) SELECT id, 'ghost' FROM topics WHERE title = 'Plain'",
        "ballot", "not a secret poll, but poll_voters holds 1 voter of it and secret_ballots 0 ballots"),
}


@pytest.mark.parametrize("damage", POLICY_DAMAGE)
def test_damage_to_a_policy_or_a_secret_poll_is_one_problem_and_exit_5(votr, policies, votr_env, damage):
    statement, kind, words = POLICY_DAMAGE[damage]
    run_sql(votr_env["VOTR_DATABASE_URL"], statement)

    outcome = votr("db-check", "--json")

    assert outcome.exit_code == 5, outcome.stdout
    [problem] = outcome.json()["problems"]
    assert problem["kind"] == kind
    assert words in problem["message"], problem["message"]
    plain = votr("db-check")
    assert plain.exit_code == 5
    assert plain.stdout.splitlines()[-1] == "result: 1 problem found"


def test_a_lost_secret_ballot_shows_in_the_voter_count_and_the_counters(votr, policies, votr_env):
    run_sql(votr_env["VOTR_DATABASE_URL"],
            f"DELETE FROM secret_ballots WHERE topic_id = {poll_of('Secret lunch')} "
            f"AND option_id = {option_at('Secret lunch', 2)}")
    problems = votr("db-check", "--json").json()["problems"]
    assert [(problem["kind"], problem.get("option")) for problem in problems] == [("counter", "c"), ("voters", None)]
    assert "poll_voters holds 2 voters of it and secret_ballots 1 ballot," in problems[1]["message"]


def test_orphans_of_the_secret_tables_are_listed(votr, policies, votr_env, backend):
    engine = sa.create_engine(votr_env["VOTR_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            if backend == "postgresql":
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            elif backend == "mysql":
                conn.exec_driver_sql("SET foreign_key_checks = 0")
            else:
                conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            conn.execute(sa.text("INSERT INTO poll_voters (topic_id, voter) VALUES (9999, 'ghost')"))
            conn.execute(sa.text(f"INSERT INTO secret_ballots (id, topic_id, option_id, choices) "
                                 f"VALUES ('{'f' * 32}', 9999, NULL, 'A')"))
            conn.execute(sa.text(f"INSERT INTO secret_ballots (id, topic_id, option_id, choices) "
                                 f"SELECT '{'e' * 32}', id, 9999, NULL FROM topics WHERE title = 'Plain'"))
    finally:
        engine.dispose()
    problems = votr("db-check", "--json").json()["problems"]
    orphans = [problem for problem in problems if problem["kind"] == "orphan"]
    assert [(orphan["table"], orphan["count"], orphan["rows"]) for orphan in orphans] == [
        ("secret_ballots", 1, ["f" * 32]), ("secret_ballots", 1, ["e" * 32]), ("poll_voters", 1, [9999])]
    assert [orphan["message"] for orphan in orphans] == [
        f"1 secret ballot whose poll is gone (keys {'f' * 32})",
        f"1 secret ballot naming an option their poll does not have (keys {'e' * 32})",
        "1 voter in poll_voters whose poll is gone (poll ids 9999)"]
