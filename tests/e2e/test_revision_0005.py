"""Revision 0005 (ballot policies) on the selected backend: a 0004 database with polls of
every kind and their ballots upgrades with every vote kept and the default policies;
downgrading keeps every ballot while every poll has the default policies, and is
refused, with nothing changed and no backup left behind, while a poll has one. The two
new tables are stored as the models make them (key order on SQLite, binary text on
MariaDB), whichever way the schema was built."""

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
POLICY_KEYS = ("allow_change", "results", "secret", "quorum", "quorum_reached", "results_hidden")
POLICY_DEFAULTS = {"allow_change": False, "results": "always", "secret": False, "quorum": None,
                   "quorum_reached": True, "results_hidden": False}
NEW_TABLES = ("poll_voters", "secret_ballots")

# Polls as votr at revision 0004 stored them: public id, title, open, kind, method, min
# and max choices, options (name, adopted votes), ballots (voter, option or choices).
POLLS_AT_0004 = [
    ("k3v9x2ab", "Lunch", True, "single", "plurality", 1, 1, [("pizza", 0), ("sushi", 2)],
     [("ann", "pizza"), ("bob", "pizza"), ("cy", "sushi"), ("old-1", None)]),
    ("k3v9x2ac", "Toppings", True, "multiple", "approval", 1, 2, [("a", 0), ("b", 0), ("c", 0)],
     [("ann", "AC"), ("bob", "B"), ("cy", "A")]),
    ("k3v9x2ad", "Race", True, "ranked", "irv", 1, 3, [("a", 0), ("b", 0), ("c", 0)],
     [("ann", "CA"), ("bob", "BAC"), ("cy", "C")]),
    ("k3v9x2ae", "Talks", False, "score", "star", 1, 3, [("a", 0), ("b", 0), ("c", 0)],
     [("ann", "502"), ("bob", "030"), ("cy", "530")]),
    ("k3v9x2af", "Nobody yet", True, "ranked", "schulze", 1, 2, [("a", 0), ("b", 0)], []),
]
# What `list --json` showed of them at 0004 (vote counts, total, voter count, winners):
# sushi has cy's ballot and 2 adopted votes, the adopted voter old-1 among them; c is ranked first twice in
# Race, a majority; Talks' scores add up to a 10, b 6, c 2, and a beats b 2 to 1.
COUNTED_AT_0004 = {
    "Lunch": ([2, 3], 5, 5, ["sushi"]),
    "Toppings": ([2, 1, 1], 4, 3, ["a"]),
    "Race": ([0, 1, 2], 3, 3, ["c"]),
    "Talks": ([10, 6, 2], 18, 3, ["a"]),
    "Nobody yet": ([0, 0], 0, 0, []),
}


def code_counts(kind: str, choices: str, option_count: int) -> list[int]:
    """What one stored ballot adds to each option's counter (as votr counts them)."""
    if kind == "score":
        return [int(digit) for digit in choices]
    positions = [ord(character) - ord("A") for character in choices]
    chosen = positions[:1] if kind == "ranked" else positions
    return [int(position in chosen) for position in range(option_count)]


def fill_at_0004(url: str) -> None:
    """The rows votr at revision 0004 wrote, by plain SQL, in 0004's tables."""
    option_ids: dict[str, int] = {}
    for topic_id, (public_id, title, status, kind, method, least, most, choices, cast) in enumerate(
            POLLS_AT_0004, 1):
        counters = [adopted for _, adopted in choices]
        for voter, ballot in cast:
            if kind == "single":
                if ballot is not None:
                    counters[[name for name, _ in choices].index(ballot)] += 1
            else:
                counters = [a + b for a, b in zip(counters, code_counts(kind, ballot, len(choices)))]
        voters = sum(adopted for _, adopted in choices) + sum(
            1 for _, ballot in cast if ballot is not None)
        run_sql(url, "INSERT INTO topics (id, public_id, title, title_key, status, close_date, date_created, "
                     "kind, method, min_choices, max_choices, voter_count) VALUES (:id, :public_id, :title, "
                     ":key, :status, NULL, :when, :kind, :method, :least, :most, :voters)",
                id=topic_id, public_id=public_id, title=title, key=text.key(title), status=status, when=WHEN,
                kind=kind, method=method, least=least, most=most, voters=voters)
        for position, (name, adopted) in enumerate(choices):
            if name not in option_ids:
                option_ids[name] = len(option_ids) + 1
                run_sql(url, "INSERT INTO options (id, public_id, name, name_key, date_created) "
                             "VALUES (:id, :public_id, :name, :key, :when)",
                        id=option_ids[name], public_id=f"00000000-0000-4000-8000-{option_ids[name]:012d}",
                        name=name, key=text.key(name), when=WHEN)
            run_sql(url, "INSERT INTO polls (topic_id, option_id, position, vote_count, adopted_count) "
                         "VALUES (:topic, :option, :position, :count, :adopted)",
                    topic=topic_id, option=option_ids[name], position=position, count=counters[position],
                    adopted=adopted)
        for voter, ballot in cast:
            single = kind == "single"
            run_sql(url, "INSERT INTO ballots (topic_id, voter, option_id, choices, date_created) "
                         "VALUES (:topic, :voter, :option, :choices, :when)",
                    topic=topic_id, voter=voter, option=option_ids.get(ballot) if single else None,
                    choices=None if single else ballot, when=WHEN)


def stored_votes(url: str) -> dict:
    """Every poll, counter and ballot, in the columns revision 0004 has."""
    return {
        "topics": query(url, "SELECT id, public_id, title, status, close_date, date_created, kind, method, "
                             "min_choices, max_choices, voter_count FROM topics ORDER BY id"),
        "polls": query(url, "SELECT topic_id, option_id, position, vote_count, adopted_count FROM polls "
                            "ORDER BY topic_id, position"),
        "ballots": query(url, "SELECT id, topic_id, voter, option_id, choices, date_created FROM ballots "
                              "ORDER BY id"),
    }


def tables_and_columns(url: str) -> dict[str, list[str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            return {table: [column["name"] for column in inspector.get_columns(table)]
                    for table in inspector.get_table_names()}
    finally:
        engine.dispose()


def everything(url: str) -> dict:
    """Every row of every table, and the revision: to show nothing changed."""
    return {table: sorted(query(url, f"SELECT * FROM {table}"), key=repr)
            for table in ("topics", "options", "polls", "ballots", "alembic_version", *NEW_TABLES)}


def test_a_0004_database_with_polls_of_every_kind_upgrades_with_every_vote_kept(votr, database_url):
    upgraded = votr("db-upgrade", "0004", "--json")
    assert upgraded.exit_code == 0, upgraded.stderr
    fill_at_0004(database_url)
    before = stored_votes(database_url)

    outcome = votr("db-upgrade", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    assert (outcome.json()["from"], outcome.json()["to"]) == (["0004"], [SCHEMA_HEAD])
    assert stored_votes(database_url) == before
    assert query(database_url, "SELECT allow_change, results, secret, quorum FROM topics ORDER BY id") == [
        (False, "always", False, None)] * len(POLLS_AT_0004)
    for table in NEW_TABLES:
        assert query(database_url, f"SELECT COUNT(*) FROM {table}") == [(0,)]

    listing = votr("list", "--json").json()["Polls"]
    # 0004's keys as they were, then the policies' keys, with their defaults.
    shown = {poll["title"]: ([option["vote_count"] for option in poll["options"]], poll["total_vote_count"],
                             poll["voter_count"], poll["winners"]) for poll in listing}
    assert shown == COUNTED_AT_0004
    assert [{key: poll[key] for key in POLICY_KEYS} for poll in listing] == [POLICY_DEFAULTS] * len(listing)
    # Revision 0006's invite_only comes after them (tests/e2e/test_revision_0006.py).
    assert [list(poll)[-len(POLICY_KEYS) - 1:-1] for poll in listing] == [list(POLICY_KEYS)] * len(listing)
    assert [list(poll)[:-len(POLICY_KEYS) - 1] for poll in listing] == [
        ["id", "title", "status", "options", "close_date", "total_vote_count", "kind", "method",
         "min_choices", "max_choices", "voter_count", "winners"]] * len(listing)
    check = votr("db-check", "--json")
    assert check.exit_code == 0, check.stdout

    # Votes go on as before: a voter who voted (the adopted one too) cannot vote again.
    assert votr("vote", "Lunch", "pizza", "--voter", "old-1").exit_code == 4
    assert votr("vote", "Race", "a", "--voter", "ann").exit_code == 4
    voted = votr("vote", "Race", "b", "c", "--voter", "dee", "--json")
    assert voted.exit_code == 0, voted.stderr
    assert voted.json()["poll"]["voter_count"] == 4
    assert votr("db-check").exit_code == 0


def polls_of_every_kind(votr, url: str) -> None:
    """Polls of every kind made by votr at head, default policies, with ballots; and a
    single poll with votes adopted from an old Votr database."""
    for title, kind, extra, ballots in (
            ("Lunch", "single", (), {"ann": ["a"], "bob": ["c"]}),
            ("Toppings", "multiple", ("--max", "2"), {"ann": ["a", "c"], "bob": ["b"]}),
            ("Race", "ranked", ("--method", "schulze"), {"ann": ["c", "a"], "bob": ["b", "a", "c"]}),
            ("Talks", "score", (), {"ann": ["a=5", "c=2"], "bob": ["b=3"]})):
        made = votr("create", title, "a", "b", "c", "--kind", kind, *extra)
        assert made.exit_code == 0, made.stderr
        for voter, choice in ballots.items():
            assert votr("vote", title, *choice, "--voter", voter).exit_code == 0
    votr("close", "Talks")
    run_sql(url, "UPDATE polls SET adopted_count = 2, vote_count = vote_count + 2 WHERE position = 1 "
                 "AND topic_id = (SELECT id FROM topics WHERE title = 'Lunch')")
    run_sql(url, "UPDATE topics SET voter_count = voter_count + 2 WHERE title = 'Lunch'")
    run_sql(url, "INSERT INTO ballots (topic_id, voter, option_id, date_created) "
                 "SELECT id, 'old-1', NULL, date_created FROM topics WHERE title = 'Lunch'")
    assert votr("db-check").exit_code == 0


@pytest.mark.parametrize("target", ["0004", "-2"])  # -2: past 0006, then 0005
def test_downgrade_to_0004_keeps_every_ballot_while_every_poll_has_the_default_policies(
        votr, database_url, target):
    polls_of_every_kind(votr, database_url)
    listing = votr("list", "--json").json()["Polls"]
    before = stored_votes(database_url)

    downgraded = votr("db-downgrade", target, "--json")

    assert downgraded.exit_code == 0, downgraded.stderr
    assert (downgraded.json()["from"], downgraded.json()["to"]) == ([SCHEMA_HEAD], ["0004"])
    assert stored_votes(database_url) == before
    tables = tables_and_columns(database_url)
    assert not set(NEW_TABLES) & set(tables)
    assert not {"allow_change", "results", "secret", "quorum"} & set(tables["topics"])

    assert votr("db-upgrade").exit_code == 0
    assert votr("list", "--json").json()["Polls"] == listing
    assert stored_votes(database_url) == before
    assert votr("db-check").exit_code == 0
    assert votr("vote", "Lunch", "b", "--voter", "old-1").exit_code == 4
    assert votr("vote", "Race", "a", "--voter", "cy").exit_code == 0


POLICIES = {
    "secret": ("--secret",),
    "allow-change": ("--allow-change",),
    "results voted": ("--results", "voted"),
    "results closed": ("--results", "closed"),
    "quorum": ("--quorum", "2"),
}


@pytest.mark.parametrize("target", ["0004", "-2", "0003", "base"])
@pytest.mark.parametrize("policy", POLICIES)
def test_downgrade_is_refused_while_a_poll_has_a_policy_and_nothing_changes(
        votr, votr_proc, database_url, tmp_path, policy, target):
    polls_of_every_kind(votr, database_url)
    made = votr("create", "With a policy", "a", "b", *POLICIES[policy])
    assert made.exit_code == 0, made.stderr
    assert votr("vote", "With a policy", "a", "--voter", "ann").exit_code == 0
    before, layout = everything(database_url), tables_and_columns(database_url)
    backups = set(tmp_path.glob("*.bak"))

    refused = votr_proc("db-downgrade", target)

    assert refused.exit_code == 4, refused.stderr
    assert refused.stdout == ""
    [line] = refused.stderr.splitlines()  # one line, no traceback
    assert line == (f"Error: cannot downgrade below revision 0005 while 1 poll has a ballot policy (secret "
                    f"ballots, vote changes, hidden results or a quorum): earlier revisions cannot hold them; "
                    f"nothing was changed: the database is still at {SCHEMA_HEAD}")
    as_json = votr("db-downgrade", target, "--json")
    assert as_json.exit_code == 4 and "nothing was changed" in as_json.error()
    assert everything(database_url) == before
    assert tables_and_columns(database_url) == layout
    assert set(tmp_path.glob("*.bak")) == backups  # no backup of an unchanged database is kept
    assert votr("db-current", "--json").json()["up_to_date"] is True
    assert votr("db-check").exit_code == 0
    assert votr("vote", "With a policy", "b", "--voter", "bob").exit_code == 0


def test_a_downgrade_across_revisions_is_refused_before_any_of_them_runs(votr, database_url, tmp_path):
    """0005 would let itself be undone (no policies), 0004 would not (a ranked poll):
    asked first, 0004 refuses, and 0005 is not undone either."""
    polls_of_every_kind(votr, database_url)
    before, layout = everything(database_url), tables_and_columns(database_url)

    refused = votr("db-downgrade", "0003")

    assert refused.exit_code == 4
    assert refused.stderr.splitlines() == [
        "Error: cannot downgrade below revision 0004 while polls of kinds other than single exist (1 multiple, "
        "1 ranked, 1 score): earlier revisions can only store single-choice ballots, so theirs would be lost; "
        f"nothing was changed: the database is still at {SCHEMA_HEAD}"]
    assert everything(database_url) == before
    assert tables_and_columns(database_url) == layout
    assert not list(tmp_path.glob("*.bak"))


def test_several_polls_with_policies_are_counted_in_the_refusal(votr):
    for title, flags in (("One", ("--secret",)), ("Two", ("--quorum", "1")), ("Plain", ())):
        assert votr("create", title, "a", "b", *flags).exit_code == 0
    refused = votr("db-downgrade", "base")
    assert refused.exit_code == 4
    assert "while 2 polls have a ballot policy" in refused.stderr


def storage(url: str, backend: str) -> dict:
    """How the new tables are stored: SQLite's table definition (WITHOUT ROWID);
    MariaDB's table and text columns' collations."""
    if backend == "sqlite":
        return {table: sql.split(")")[-1].strip() for table, sql in query(
            url, "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('poll_voters', "
                 "'secret_ballots')")}
    if backend == "mysql":
        return {
            "tables": query(url, "SELECT table_name, table_collation FROM information_schema.tables "
                                 "WHERE table_schema = DATABASE() AND table_name IN ('poll_voters', "
                                 "'secret_ballots') ORDER BY 1"),
            "columns": query(url, "SELECT table_name, column_name, collation_name FROM information_schema.columns "
                                  "WHERE table_schema = DATABASE() AND collation_name IS NOT NULL AND table_name "
                                  "IN ('poll_voters', 'secret_ballots', 'topics') ORDER BY 1, 2"),
        }
    return {}


@pytest.mark.parametrize("built_by", ["models", "migrations"])
def test_the_new_tables_are_stored_in_key_order_on_sqlite_and_compare_bytes_on_mariadb(
        votr, backend, database_url, built_by):
    command = ("list",) if built_by == "models" else ("db-upgrade",)
    assert votr(*command).exit_code == 0
    stored = storage(database_url, backend)
    if backend == "sqlite":
        assert stored == {"poll_voters": "WITHOUT ROWID", "secret_ballots": "WITHOUT ROWID"}
    elif backend == "mysql":
        assert stored["tables"] == [("poll_voters", "utf8mb4_bin"), ("secret_ballots", "utf8mb4_bin")]
        assert [(table, column) for table, column, _ in stored["columns"] if table != "topics"] == [
            ("poll_voters", "voter"), ("secret_ballots", "choices"), ("secret_ballots", "id")]
        assert {collation for _, _, collation in stored["columns"]} == {"utf8mb4_bin"}
        assert ("topics", "results", "utf8mb4_bin") in stored["columns"]


def test_upgrade_sql_renders_revision_0005_for_the_backend(votr, backend, database_url, tmp_path):
    """Written out without a database: on SQLite too, whose new columns are plain ADD
    COLUMNs (a default that is an SQL expression would need the table copied)."""
    target = f"sqlite:///{tmp_path / 'never-made.db'}" if backend == "sqlite" else database_url
    outcome = votr("--db", target, "db-upgrade", "--sql")
    assert outcome.exit_code == 0, outcome.stderr
    revision = outcome.stdout[outcome.stdout.index("-- Running upgrade 0004 -> 0005"):]
    revision = revision.split("-- Running upgrade 0005 -> ")[0]  # 0005's alone
    for column in ("allow_change", "results", "secret", "quorum"):
        assert f"ALTER TABLE topics ADD COLUMN {column} " in revision
    assert "CREATE TABLE poll_voters" in revision and "CREATE TABLE secret_ballots" in revision
    if backend == "sqlite":
        assert revision.count("\n WITHOUT ROWID;") == 2
    if backend == "mysql":
        assert revision.count("CHARSET=utf8mb4 COLLATE utf8mb4_bin") == 2
    assert "UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0004'" in revision


def test_the_downgrade_cannot_be_written_out_as_sql(database_url):
    """It must look at the polls first; Alembic's offline mode has no database to look at."""
    config = migrations.alembic_config(output=io.StringIO())
    config.attributes["url"] = database_url
    with pytest.raises(Refused, match="cannot be written out as SQL"):
        command.downgrade(config, "0005:0004", sql=True)
