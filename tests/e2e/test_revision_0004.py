"""Revision 0004 (poll kinds) on the selected backend: a 0003 database with votes and
adopted counts upgrades with every vote kept; downgrading keeps single polls' ballots and
counters, and is refused, with nothing changed, while a poll of another kind exists."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from alembic import command

from tests.sql import query, run_sql
from votr_cli.core import text
from votr_cli.core.errors import Refused
from votr_cli.db import migrations
from votr_cli.db.tables import SCHEMA_HEAD

WHEN = "2026-01-02 03:04:05"
# Polls as votr at revision 0003 stored them: title, open, close date, and each option
# with its ballots' voters and its adopted votes (counts carried over from an old Votr
# database). The ids are of votr's public-id shape.
POLLS_AT_0003 = [
    ("k3v9x2ab", "Lunch", True, None, [("pizza", ["ann", "bob"], 3), ("sushi", ["cy"], 1)]),
    ("k3v9x2ac", "Tied", False, None, [("tea", ["ann"], 0), ("coffee", ["bob"], 0)]),
    ("k3v9x2ad", "Nobody yet", True, "2999-01-01 00:00:00", [("yes", [], 0), ("no", [], 0)]),
]
# Voters carried over from an old Votr database with their choice unknown: ballots with
# no option, already counted in the adopted votes.
ADOPTED_VOTERS = {"k3v9x2ab": ["old-1", "old-2"]}
NEW_KEYS = ("kind", "method", "min_choices", "max_choices", "voter_count", "winners")
# Revision 0005's keys, after them: every poll upgraded from 0003 has the default policies.
POLICY_DEFAULTS = {"allow_change": False, "results": "always", "secret": False, "quorum": None,
                   "quorum_reached": True, "results_hidden": False,
                   "invite_only": False}  # revision 0006's, last


def fill_at_0003(url: str) -> None:
    """The rows an earlier votr wrote, by plain SQL, in revision 0003's tables."""
    option_ids: dict[str, int] = {}
    for topic_id, (public_id, title, status, close_date, choices) in enumerate(POLLS_AT_0003, 1):
        run_sql(url, "INSERT INTO topics (id, public_id, title, title_key, status, close_date, date_created) "
                     "VALUES (:id, :public_id, :title, :key, :status, :close_date, :when)",
                id=topic_id, public_id=public_id, title=title, key=text.key(title), status=status,
                close_date=close_date, when=WHEN)
        for position, (name, voters, adopted) in enumerate(choices):
            if name not in option_ids:
                option_ids[name] = len(option_ids) + 1
                run_sql(url, "INSERT INTO options (id, public_id, name, name_key, date_created) "
                             "VALUES (:id, :public_id, :name, :key, :when)",
                        id=option_ids[name], public_id=f"00000000-0000-4000-8000-{option_ids[name]:012d}",
                        name=name, key=text.key(name), when=WHEN)
            run_sql(url, "INSERT INTO polls (topic_id, option_id, position, vote_count, adopted_count) "
                         "VALUES (:topic, :option, :position, :count, :adopted)",
                    topic=topic_id, option=option_ids[name], position=position, count=len(voters) + adopted,
                    adopted=adopted)
            for voter in voters:
                run_sql(url, "INSERT INTO ballots (topic_id, voter, option_id, date_created) "
                             "VALUES (:topic, :voter, :option, :when)",
                        topic=topic_id, voter=voter, option=option_ids[name], when=WHEN)
        for voter in ADOPTED_VOTERS.get(public_id, []):
            run_sql(url, "INSERT INTO ballots (topic_id, voter, option_id, date_created) "
                         "VALUES (:topic, :voter, NULL, :when)", topic=topic_id, voter=voter, when=WHEN)


def expected_listing() -> list[dict]:
    """`list --json` of those polls at head: the keys 0003 had, then 0004's, then 0005's."""
    polls = []
    for public_id, title, status, close_date, choices in POLLS_AT_0003:
        counts = [{"name": name, "vote_count": len(voters) + adopted} for name, voters, adopted in choices]
        total = sum(count["vote_count"] for count in counts)
        top = max(count["vote_count"] for count in counts)
        polls.append({
            "id": public_id, "title": title, "status": status, "options": counts,
            "close_date": close_date and close_date.replace(" ", "T") + "Z", "total_vote_count": total,
            "kind": "single", "method": "plurality", "min_choices": 1, "max_choices": 1,
            "voter_count": total,
            "winners": [count["name"] for count in counts if count["vote_count"] == top] if top else [],
            **POLICY_DEFAULTS,
        })
    return polls


def stored_votes(url: str) -> dict:
    """Every counter and ballot, in the columns revision 0003 has."""
    return {
        "polls": query(url, "SELECT topic_id, option_id, position, vote_count, adopted_count FROM polls "
                            "ORDER BY topic_id, position"),
        "ballots": query(url, "SELECT id, topic_id, voter, option_id, date_created FROM ballots ORDER BY id"),
        "topics": query(url, "SELECT id, public_id, title, status, close_date, date_created FROM topics "
                             "ORDER BY id"),
    }


def columns(url: str, table: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [column["name"] for column in sa.inspect(conn).get_columns(table)]
    finally:
        engine.dispose()


def everything(url: str) -> dict:
    """Every row of every table, and the revision: to show nothing changed."""
    tables = ("topics", "options", "polls", "ballots", "alembic_version")
    return {table: query(url, f"SELECT * FROM {table} ORDER BY 1") for table in tables}


def test_a_0003_database_with_votes_and_adopted_counts_upgrades_with_every_vote_kept(votr, database_url):
    upgraded = votr("db-upgrade", "0003", "--json")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert upgraded.json()["to"] == ["0003"]
    fill_at_0003(database_url)
    before = stored_votes(database_url)

    outcome = votr("db-upgrade", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    assert (outcome.json()["from"], outcome.json()["to"]) == (["0003"], [SCHEMA_HEAD])
    listing = votr("list", "--json").json()["Polls"]
    assert listing == expected_listing()
    keys = list(NEW_KEYS) + list(POLICY_DEFAULTS)
    assert [list(poll)[-len(keys):] for poll in listing] == [keys] * len(listing)
    assert stored_votes(database_url) == before
    assert query(database_url, "SELECT COUNT(*) FROM ballots WHERE choices IS NOT NULL") == [(0,)]
    # voter_count: the adopted votes + the ballots with an option; the adopted voters'
    # ballots (no option) are among the adopted votes.
    assert query(database_url, "SELECT public_id, voter_count FROM topics ORDER BY id") == [
        ("k3v9x2ab", 7), ("k3v9x2ac", 2), ("k3v9x2ad", 0)]
    check = votr("db-check", "--json")
    assert check.exit_code == 0, check.stdout

    # Votes go on as before: an adopted voter has voted; a new one adds a voter.
    assert votr("vote", "Lunch", "sushi", "--voter", "old-1").exit_code == 4
    voted = votr("vote", "Lunch", "sushi", "--voter", "dee", "--json")
    assert voted.exit_code == 0, voted.stderr
    poll = voted.json()["poll"]
    assert (poll["total_vote_count"], poll["voter_count"], poll["winners"]) == (8, 8, ["pizza"])
    assert votr("db-check").exit_code == 0


def with_adopted_votes(votr, url: str) -> None:
    """Single polls made by votr, then votes adopted from an old Votr database (as
    adoption stores them: counts, voters without an option, the voter count)."""
    poll = votr("create", "Kept", "a", "b", "--closes-at", "2999-01-01T00:00:00Z", "--json").json()["poll"]
    for voter, option in (("ann", "a"), ("bob", "a"), ("cy", "b")):
        assert votr("vote", poll["id"], option, "--voter", voter).exit_code == 0
    votr("create", "Closed one", "x", "y")
    votr("close", "Closed one")
    run_sql(url, "UPDATE polls SET adopted_count = 2, vote_count = vote_count + 2 WHERE position = 1 "
                 "AND topic_id = (SELECT id FROM topics WHERE title = 'Kept')")
    run_sql(url, "UPDATE topics SET voter_count = voter_count + 2 WHERE title = 'Kept'")
    run_sql(url, "INSERT INTO ballots (topic_id, voter, option_id, date_created) "
                 "SELECT id, 'old-1', NULL, date_created FROM topics WHERE title = 'Kept'")
    assert votr("db-check").exit_code == 0


def test_downgrade_to_0003_keeps_every_ballot_and_counter_while_only_single_polls_exist(votr, database_url):
    with_adopted_votes(votr, database_url)
    listing = votr("list", "--json").json()
    before = stored_votes(database_url)

    downgraded = votr("db-downgrade", "0003", "--json")

    assert downgraded.exit_code == 0, downgraded.stderr
    assert (downgraded.json()["from"], downgraded.json()["to"]) == ([SCHEMA_HEAD], ["0003"])
    assert stored_votes(database_url) == before
    assert not {"kind", "method", "min_choices", "max_choices", "voter_count"} & set(columns(database_url, "topics"))
    assert "choices" not in columns(database_url, "ballots")

    assert votr("db-upgrade").exit_code == 0
    assert votr("list", "--json").json() == listing
    assert stored_votes(database_url) == before
    assert votr("db-check").exit_code == 0
    assert votr("vote", "Kept", "b", "--voter", "old-1").exit_code == 4


@pytest.mark.parametrize(("kind", "ballot", "target"), [
    ("multiple", ["a", "b"], "-3"),  # past 0006 and 0005, then 0004
    ("ranked", ["b", "a"], "0003"),
    ("score", ["a=4"], "base"),
])
def test_downgrade_is_refused_while_a_poll_of_another_kind_exists_and_nothing_changes(
        votr, votr_proc, database_url, tmp_path, kind, ballot, target):
    with_adopted_votes(votr, database_url)
    made = votr("create", f"A {kind} poll", "a", "b", "--kind", kind, "--json")
    assert made.exit_code == 0, made.stderr
    assert votr("vote", f"A {kind} poll", *ballot, "--voter", "ann").exit_code == 0
    before, columns_before = everything(database_url), columns(database_url, "ballots")
    backups = set(tmp_path.glob("*.bak"))

    refused = votr_proc("db-downgrade", target)

    assert refused.exit_code == 4, refused.stderr
    assert refused.stdout == ""
    [line] = refused.stderr.splitlines()  # one line, no traceback
    assert line == (f"Error: cannot downgrade below revision 0004 while polls of kinds other than single "
                    f"exist (1 {kind}): earlier revisions can only store single-choice ballots, so theirs "
                    f"would be lost; nothing was changed: the database is still at {SCHEMA_HEAD}")
    as_json = votr("db-downgrade", target, "--json")
    assert as_json.exit_code == 4 and "nothing was changed" in as_json.error()
    assert everything(database_url) == before
    assert columns(database_url, "ballots") == columns_before
    assert set(tmp_path.glob("*.bak")) == backups  # the backup of an unchanged database is not kept
    assert votr("db-current", "--json").json()["up_to_date"] is True
    assert votr("vote", f"A {kind} poll", *ballot, "--voter", "bob").exit_code == 0


def test_upgrade_sql_renders_revision_0004_for_the_backend(votr, backend, database_url, tmp_path):
    target = f"sqlite:///{tmp_path / 'never-made.db'}" if backend == "sqlite" else database_url
    outcome = votr("--db", target, "db-upgrade", "--sql")
    assert outcome.exit_code == 0, outcome.stderr
    revision = outcome.stdout[outcome.stdout.index("-- Running upgrade 0003 -> 0004"):]
    for column in ("kind", "method", "min_choices", "max_choices", "voter_count"):
        assert f"ALTER TABLE topics ADD COLUMN {column} " in revision
    [choices] = [line for line in revision.splitlines() if "ADD COLUMN choices" in line]
    assert choices == {"sqlite": "ALTER TABLE ballots ADD COLUMN choices TEXT;",
                       "postgresql": "ALTER TABLE ballots ADD COLUMN choices TEXT;",
                       "mysql": "ALTER TABLE ballots ADD COLUMN choices TEXT(4194303);"}[backend]
    assert "UPDATE topics SET voter_count = " in revision
    assert "UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0003'" in revision


def test_the_downgrade_cannot_be_written_out_as_sql(database_url):
    """It must look at the polls first; Alembic's offline mode has no database to look at."""
    config = migrations.alembic_config(output=io.StringIO())
    config.attributes["url"] = database_url
    with pytest.raises(Refused, match="cannot be written out as SQL"):
        command.downgrade(config, "0004:0003", sql=True)
