"""Revision 0006 (invites) on the selected backend: a 0005 database with polls, policies
and ballots upgrades with every vote kept and no poll invite-only; downgrading keeps
everything while no poll is invite-only and nobody is invited, and is refused, with
nothing changed, while either holds."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from alembic import command

from tests.e2e.test_revision_0005 import polls_of_every_kind, stored_votes, tables_and_columns
from tests.sql import query
from votr_cli.core.errors import Refused
from votr_cli.db import migrations
from votr_cli.db.tables import SCHEMA_HEAD

TABLES = ("topics", "options", "polls", "ballots", "poll_voters", "secret_ballots", "alembic_version")


def everything(url: str, *extra: str) -> dict:
    return {table: sorted(query(url, f"SELECT * FROM {table}"), key=repr) for table in (*TABLES, *extra)}


def test_a_0005_database_upgrades_with_every_vote_and_policy_kept(votr, database_url):
    """Polls of every kind, policies and ballots, made at head and taken down to 0005
    (which nothing refuses: nobody is invited), then upgraded again."""
    polls_of_every_kind(votr, database_url)
    assert votr("create", "Secret", "a", "b", "--secret", "--quorum", "2").exit_code == 0
    assert votr("vote", "Secret", "a", "--voter", "ann").exit_code == 0
    assert votr("db-downgrade", "0005").exit_code == 0
    assert "invite_only" not in tables_and_columns(database_url)["topics"]
    before = everything(database_url)

    outcome = votr("db-upgrade", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    assert (outcome.json()["from"], outcome.json()["to"]) == (["0005"], [SCHEMA_HEAD])
    after = everything(database_url)
    assert after["alembic_version"] == [(SCHEMA_HEAD,)]
    assert after["topics"] == [(*row, False) for row in before["topics"]]  # invite_only, last
    assert {table: rows for table, rows in after.items() if table not in ("topics", "alembic_version")} == {
        table: rows for table, rows in before.items() if table not in ("topics", "alembic_version")}
    assert query(database_url, "SELECT COUNT(*) FROM invites") == [(0,)]
    listing = votr("list", "--json").json()["Polls"]
    assert [poll["invite_only"] for poll in listing] == [False] * 5
    assert [list(poll)[-1] for poll in listing] == ["invite_only"] * 5
    assert votr("db-check").exit_code == 0
    # Anybody votes, as before.
    assert votr("vote", "Lunch", "a", "--voter", "dee").exit_code == 0
    assert votr("vote", "Secret", "b", "--voter", "ann").exit_code == 4


@pytest.mark.parametrize("target", ["0005", "-1"])
def test_downgrade_to_0005_keeps_everything_while_nobody_is_invited(votr, database_url, target):
    polls_of_every_kind(votr, database_url)
    listing = votr("list", "--json").json()["Polls"]
    before = stored_votes(database_url)

    downgraded = votr("db-downgrade", target, "--json")

    assert downgraded.exit_code == 0, downgraded.stderr
    assert (downgraded.json()["from"], downgraded.json()["to"]) == ([SCHEMA_HEAD], ["0005"])
    assert stored_votes(database_url) == before
    tables = tables_and_columns(database_url)
    assert "invites" not in tables and "invite_only" not in tables["topics"]
    assert votr("db-upgrade").exit_code == 0
    assert votr("list", "--json").json()["Polls"] == listing


@pytest.mark.parametrize("target", ["0005", "-1", "base"])
@pytest.mark.parametrize("state", ["invite-only poll", "invite"])
def test_downgrade_is_refused_while_a_poll_is_invite_only_or_an_invite_exists(
        votr, votr_proc, database_url, tmp_path, state, target):
    polls_of_every_kind(votr, database_url)
    if state == "invite-only poll":
        assert votr("create", "Venue", "a", "b", "--invite-only").exit_code == 0
        expected = "1 poll is invite-only"
    else:
        assert votr("invite", "Lunch", "ann", "bob").exit_code == 0
        expected = "2 invites exist"
    before, layout = everything(database_url, "invites"), tables_and_columns(database_url)
    backups = set(tmp_path.glob("*.bak"))

    refused = votr_proc("db-downgrade", target)

    assert refused.exit_code == 4, refused.stderr
    assert refused.stderr.splitlines() == [
        f"Error: cannot downgrade below revision 0006 while {expected}: earlier revisions cannot hold them; "
        f"nothing was changed: the database is still at {SCHEMA_HEAD}"]
    assert everything(database_url, "invites") == before
    assert tables_and_columns(database_url) == layout
    assert set(tmp_path.glob("*.bak")) == backups
    assert votr("db-check").exit_code == 0


def test_the_refusal_names_both(votr):
    assert votr("create", "Venue", "a", "b", "--invite-only").exit_code == 0
    assert votr("create", "Other", "a", "b", "--invite-only").exit_code == 0
    assert votr("invite", "Venue", "ann").exit_code == 0
    refused = votr("db-downgrade", "0005")
    assert refused.exit_code == 4
    assert "while 2 polls are invite-only and 1 invite exists:" in refused.stderr


def test_upgrade_sql_renders_revision_0006_for_the_backend(votr, backend, database_url, tmp_path):
    target = f"sqlite:///{tmp_path / 'never-made.db'}" if backend == "sqlite" else database_url
    outcome = votr("--db", target, "db-upgrade", "--sql")
    assert outcome.exit_code == 0, outcome.stderr
    revision = outcome.stdout[outcome.stdout.index("-- Running upgrade 0005 -> 0006"):]
    assert "ALTER TABLE topics ADD COLUMN invite_only " in revision
    assert "CREATE TABLE invites" in revision
    if backend == "mysql":
        assert revision.count("CHARSET=utf8mb4 COLLATE utf8mb4_bin") == 1
    assert "UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0005'" in revision


def test_the_downgrade_cannot_be_written_out_as_sql(database_url):
    config = migrations.alembic_config(output=io.StringIO())
    config.attributes["url"] = database_url
    with pytest.raises(Refused, match="cannot be written out as SQL"):
        command.downgrade(config, "0006:0005", sql=True)


def test_the_invites_table_compares_voters_byte_for_byte_on_mariadb(votr, backend, database_url):
    if backend != "mysql":
        pytest.skip("MariaDB only")
    assert votr("db-upgrade").exit_code == 0
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            collations = conn.execute(sa.text(
                "SELECT column_name, collation_name FROM information_schema.columns WHERE table_schema = "
                "DATABASE() AND table_name = 'invites' AND collation_name IS NOT NULL ORDER BY 1")).all()
    finally:
        engine.dispose()
    assert [name for name, _ in collations] == ["token_hash", "voter", "voter_name"]
    assert {collation for _, collation in collations} == {"utf8mb4_bin"}
