"""Adoption of databases left by the original Votr web app, on the selected backend.

The legacy databases are built by tests/e2e/legacy_votr.py, at every stage, with and
without the defects real installs carry.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.legacy_votr import build, check, legacy  # noqa: F401 - legacy is a fixture
from votr_cli.db.legacy import LEGACY_REVISIONS
from votr_cli.db.tables import SCHEMA_HEAD
from votr_cli.core.ids import is_public_id
from tests.sql import query
from tests.documents import single_choice_keys

STAGES = ("part5", "tutorial", "unique-id")
CLOSED_AT = "2017-05-01T12:00:00Z"
# user_polls of the generated tutorial and unique-id stages: poll -> who voted in it
LEGACY_VOTERS = {1: {"administrator", "ada", "linus"}, 3: {"ada"}, 4: {"administrator", "ada", "linus"}}


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def expected_polls(legacy, stage: str, clean: bool) -> list[dict]:
    """What `list --json` must show after adoption: every poll, count, status and close date."""
    polls = []
    for topic_id, (title, options, status) in enumerate(legacy.POLLS, 1):
        counts = [{"name": name, "vote_count": votes} for name, votes in options]
        if not clean and topic_id == 3:
            # The option linked twice: one row, the counts added.
            next(c for c in counts if c["name"] == "Gareth Bale")["vote_count"] += 1
        close_date = CLOSED_AT if stage != "part5" and not status else None
        polls.append({"title": title, "status": status, "options": counts, "close_date": close_date,
                      "total_vote_count": sum(c["vote_count"] for c in counts), **single_choice_keys(counts)})
    return polls


def without_ids(polls: list[dict]) -> list[dict]:
    return [{key: value for key, value in poll.items() if key != "id"} for poll in polls]


@pytest.mark.parametrize("clean", [True, False], ids=["clean", "with-defects"])
@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_is_adopted_with_every_poll_count_status_and_date(
        votr, legacy, database_url, backend, stage, clean):
    build(legacy, database_url, stage, clean)

    outcome = votr("db-upgrade", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    report = outcome.json()
    revision = legacy.STAGE_REVISION[stage]
    assert report["from"] == ([revision] if revision else [])
    assert report["to"] == [SCHEMA_HEAD]
    assert report["adopted"]["stage"] == stage
    assert report["adopted"]["summary"]["polls"] == 4
    polls = votr("list", "--json").json()["Polls"]
    assert without_ids(polls) == expected_polls(legacy, stage, clean)
    assert all(is_public_id(poll["id"]) for poll in polls) and len({poll["id"] for poll in polls}) == 4
    if stage == "unique-id":
        # The old app's hex unique_ids are not of votr's id shape: each poll gets a new id.
        assert [r["ids"] for r in report["repairs"] if r["rule"] == "public-id"] == [[1], [2], [3], [4]]
    options = votr("options", "--json").json()
    assert [option["name"] for option in options] == [
        "Arsenal", "Spurs", "Liverpool FC", "Manchester city", "Hector bellerin", "Gareth Bale",
        "Arjen robben", "Lionel Messi", "Cristiano Ronaldo", "Alexis sanchez"]
    # Counts carried over have no ballot: they are the adopted part of each counter.
    assert query(database_url, "SELECT count(*) FROM polls WHERE vote_count <> adopted_count") == [(0,)]
    assert check(database_url)["problems"] == []

    expected_repairs = Counter() if clean else Counter(
        {"null-status": 1, "null-count": 2, "duplicate-poll-option": 1})
    if not clean and stage != "part5":
        expected_repairs["duplicate-voter"] = 1
    if stage == "unique-id":
        expected_repairs["public-id"] = 4
    assert Counter(repair["rule"] for repair in report["repairs"]) == expected_repairs
    if backend == "postgresql":
        # New rows get ids after the adopted ones, from sequences with the usual names.
        assert query(database_url, "SELECT pg_get_serial_sequence('topics', 'id')") == [("public.topics_id_seq",)]
    assert votr("create", "After adoption", "yes", "no").exit_code == 0
    assert query(database_url, "SELECT max(id) FROM topics") == [(5,)]
    if backend == "sqlite":
        assert Path(report["backup"]).is_file()
        assert report["notes"] == [f"Backup written to {report['backup']}"]
    else:
        assert report["backup"] is None
        assert "Back it up before upgrading" in report["notes"][0]


@pytest.mark.parametrize("stage", ["tutorial", "unique-id"])
def test_legacy_voters_cannot_vote_twice(votr, legacy, database_url, stage):
    build(legacy, database_url, stage, clean=False)
    assert votr("db-upgrade").exit_code == 0
    titles = [title for title, _options, _status in legacy.POLLS]

    voters = query(database_url, "SELECT topic_id, voter, option_id FROM ballots ORDER BY topic_id, voter")
    assert {(topic, voter) for topic, voter, _ in voters} == {
        (topic, voter) for topic, names in LEGACY_VOTERS.items() for voter in names}
    assert {option for _, _, option in voters} == {None}  # the app never recorded the choice

    again = votr("vote", titles[0], "Spurs", "--voter", "ADA", "--json")
    assert again.exit_code == 4
    assert "already voted" in again.error()
    assert votr("vote", titles[0], "Arsenal", "--voter", "Administrator").exit_code == 4
    assert votr("vote", titles[2], "Gareth Bale", "--voter", "ada").exit_code == 4
    newcomer = votr("vote", titles[2], "Gareth Bale", "--voter", "linus", "--json")
    assert newcomer.exit_code == 0, newcomer.stderr
    assert newcomer.json()["poll"]["options"][1] == {"name": "Gareth Bale", "vote_count": 2}
    # The new vote has a ballot; the adopted part of the counter stays as it was.
    assert query(database_url, "SELECT vote_count, adopted_count FROM polls WHERE topic_id = 3 "
                               "AND option_id = 6") == [(2, 1)]
    assert check(database_url)["problems"] == []


@pytest.mark.parametrize("stage", STAGES)
def test_every_command_refuses_an_old_database_until_it_is_adopted(votr, legacy, database_url, stage):
    build(legacy, database_url, stage, clean=False)
    tables_before = table_names(database_url)
    commands = [["list"], ["show", "x"], ["options"], ["create", "T", "a", "b"], ["vote", "x", "a"],
                ["close", "x"], ["reopen", "x"], ["db-downgrade", "base"]]
    for command in commands:
        outcome = votr(*command, "--json")
        assert outcome.exit_code == 5, (command, outcome.stderr)
        assert "original Votr web app" in outcome.error() and "votr db-upgrade" in outcome.error(), command
        assert outcome.stdout == ""
    assert table_names(database_url) == tables_before


def test_running_it_again_changes_nothing(votr, legacy, database_url):
    build(legacy, database_url, "unique-id", clean=False)
    first = votr("db-upgrade", "--json")
    assert first.exit_code == 0
    listing = votr("list", "--json").json()
    options = votr("options", "--json").json()

    again = votr("db-upgrade", "--json")

    assert again.exit_code == 0
    assert again.json()["from"] == again.json()["to"] == [SCHEMA_HEAD]
    assert "nothing to do" in again.json()["message"]
    assert "repairs" not in again.json()
    assert votr("list", "--json").json() == listing
    assert votr("options", "--json").json() == options
    assert votr("db-current", "--json").json()["up_to_date"] is True


@pytest.mark.parametrize("revision", sorted(LEGACY_REVISIONS))
def test_every_revision_of_the_old_app_is_recognised(votr, legacy, database_url, revision):
    build(legacy, database_url, "tutorial", True, f"UPDATE alembic_version SET version_num = '{revision}'")
    refused = votr("list", "--json")
    assert refused.exit_code == 5 and revision in refused.error()

    outcome = votr("db-upgrade", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.json()["from"] == [revision]
    assert outcome.json()["adopted"]["legacy_revision"] == revision
    assert len(votr("list", "--json").json()["Polls"]) == 4


def test_duplicate_titles_and_options_are_repaired_by_the_documented_rule(votr, legacy, database_url):
    build(legacy, database_url, "unique-id", True,
          # unique_ids of votr's shape, kept; then a second poll with poll 1's title (after normalisation) and its unique_id; a
          # third whose title is the one the first rename would pick.
          *(f"UPDATE topics SET unique_id = 'k3v9x2a{letter}' WHERE id = {n}" for n, letter in enumerate("bcde", 1)),
          "INSERT INTO topics (id, title, status, unique_id) VALUES "
          "(5, '  which SIDE is going to win the EPL  this season ', true, 'k3v9x2ab')",
          "INSERT INTO topics (id, title, status, unique_id) VALUES "
          "(6, 'Which side is going to win the EPL this season (2)', false, NULL)",
          # An option whose name differs from 'Arsenal' only by case and white space (a
          # no-break space: MariaDB's own collation would already refuse a plain one).
          "INSERT INTO options (id, name) VALUES (11, 'ARSENAL\u00a0')",
          "INSERT INTO polls (id, topic_id, option_id, vote_count) VALUES "
          "(100, 5, 1, 1), (101, 5, 11, 2), (102, 5, 2, 0), (103, 6, 2, 1), (104, 6, 3, NULL)")

    outcome = votr("db-upgrade", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    repairs = outcome.json()["repairs"]
    assert [(r["rule"], r["table"], r["ids"]) for r in repairs] == [
        ("duplicate-title", "topics", [5]),
        ("public-id", "topics", [5]),
        ("public-id", "topics", [6]),
        ("duplicate-option", "options", [1, 11]),
        ("duplicate-poll-option", "polls", [100, 101]),
        ("null-count", "polls", [104]),
    ]
    polls = votr("list", "--json").json()["Polls"]
    assert [poll["title"] for poll in polls[4:]] == ["which SIDE is going to win the EPL this season (3)",
                                                     "Which side is going to win the EPL this season (2)"]
    assert polls[4]["options"] == [{"name": "Arsenal", "vote_count": 3}, {"name": "Spurs", "vote_count": 0}]
    assert polls[5]["options"] == [{"name": "Spurs", "vote_count": 1}, {"name": "Liverpool FC", "vote_count": 0}]
    assert [poll["status"] for poll in polls[4:]] == [True, False]
    assert polls[0]["id"] == "k3v9x2ab" and polls[4]["id"] != "k3v9x2ab"
    assert len({poll["id"] for poll in polls}) == 6
    assert "ARSENAL" not in [option["name"] for option in votr("options", "--json").json()]


def test_the_plain_report_lists_each_repair(votr, legacy, database_url):
    build(legacy, database_url, "tutorial", clean=False)
    outcome = votr("db-upgrade")
    assert outcome.exit_code == 0
    lines = outcome.stdout.splitlines()
    assert lines[0].startswith("Adopted the old Votr database")
    assert sum(line.startswith("repaired: ") for line in lines) == 5
    assert "repaired: poll 2 'Whos better liverpool or city' had no status: set to open" in lines


def test_an_old_database_is_adopted_only_at_head(votr, legacy, database_url):
    build(legacy, database_url, "tutorial", clean=True)
    outcome = votr("db-upgrade", "0001", "--json")
    assert outcome.exit_code == 1
    assert "newest revision" in outcome.error()
    assert votr("list").exit_code == 5  # still the old database


def test_an_adoption_cut_short_leaves_the_data_and_can_be_run_again(votr, legacy, database_url, monkeypatch):
    from votr_cli.ops import adoption

    build(legacy, database_url, "tutorial", clean=False)
    write = adoption.write_plan

    def write_then_fail(conn, plan):
        write(conn, plan)
        raise sa.exc.OperationalError("INSERT …", {}, Exception("server closed the connection"))

    monkeypatch.setattr(adoption, "write_plan", write_then_fail)
    failed = votr("db-upgrade", "--json")
    assert failed.exit_code == 5
    assert "server closed the connection" in failed.error()
    # Every other command still refuses it and names db-upgrade.
    refused = votr("list", "--json")
    assert refused.exit_code == 5 and "votr db-upgrade" in refused.error()

    monkeypatch.setattr(adoption, "write_plan", write)
    outcome = votr("db-upgrade", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    assert without_ids(votr("list", "--json").json()["Polls"]) == expected_polls(legacy, "tutorial", False)
    assert len(outcome.json()["repairs"]) == 5
    assert not [name for name in table_names(database_url) if name.startswith("legacy_votr_")]


def test_leftovers_of_a_finished_copy_are_dropped(votr, legacy, database_url):
    """MariaDB commits DDL on its own: the copy may be in while the old tables remain."""
    build(legacy, database_url, "tutorial", clean=True)
    assert votr("db-upgrade").exit_code == 0
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE legacy_votr_topics (id INTEGER PRIMARY KEY)"))
    listing = votr("list", "--json").json()

    outcome = votr("db-upgrade", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.json()["message"].startswith("Finished adopting")
    engine.dispose()
    assert "legacy_votr_topics" not in table_names(database_url)
    assert votr("list", "--json").json() == listing


def test_an_adoption_stopped_after_moving_the_old_tables_aside_is_finished(votr, legacy, database_url):
    """On MariaDB each step of the DDL commits at once: the old tables may be renamed and
    nothing else done yet."""
    build(legacy, database_url, "tutorial", False, *(
        f"ALTER TABLE {name} RENAME TO legacy_votr_{name}"
        for name in ("user_polls", "polls", "topics", "options", "alembic_version")))
    refused = votr("list", "--json")
    assert refused.exit_code == 5
    assert "interrupted" in refused.error() and "votr db-upgrade" in refused.error()

    outcome = votr("db-upgrade", "--json")

    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.json()["adopted"]["resumed"] is True
    assert outcome.json()["from"] == ["682fa0321a3e"]
    assert without_ids(votr("list", "--json").json()["Polls"]) == expected_polls(legacy, "tutorial", False)
    assert not [name for name in table_names(database_url) if name.startswith("legacy_votr_")]


def more_defects(stage: str) -> list[str]:
    """Defects beyond the generated ones: a negative count, control characters and markup in
    a title and a name, dates before year 1000, and (with unique_ids) a hostile one."""
    statements = [
        "UPDATE polls SET vote_count = -2 WHERE id = 1",
        "UPDATE topics SET title = 'Esc \x1b]0;PWN\x07 [/x]' WHERE id = 2",
        "UPDATE options SET name = '[blink]Z\x1b[5m' WHERE id = 2",
        "UPDATE topics SET date_created = '0999-05-01 12:00:00' WHERE id = 1",
        "UPDATE user_polls SET date_created = '0099-01-01 00:00:00' WHERE id = 1" if stage != "part5" else "",
        "UPDATE topics SET close_date = '0500-01-01 00:00:00' WHERE id = 4" if stage != "part5" else "",
        "UPDATE topics SET unique_id = '[/x]' WHERE id = 3" if stage == "unique-id" else "",
    ]
    return [statement for statement in statements if statement]


@pytest.mark.parametrize("defects", ["clean", "generated", "more"])
@pytest.mark.parametrize("stage", STAGES)
def test_the_export_of_an_adopted_database_imports_into_an_empty_one_unchanged(
        votr, legacy, database_url, second_database, tmp_path, stage, defects):
    build(legacy, database_url, stage, defects == "clean", *(more_defects(stage) if defects == "more" else []))
    adopted = votr("db-upgrade", "--json")
    assert adopted.exit_code == 0, adopted.stderr
    # Every defect was repaired: db-check is clean right after adoption.
    assert check(database_url)["problems"] == []
    document = tmp_path / "all.json"
    assert votr("export", str(document)).exit_code == 0

    imported = votr("--db", second_database, "import", str(document), "--json")

    assert imported.exit_code == 0, imported.stderr
    for command in (["list", "--json"], ["options", "--json"]):
        assert votr("--db", second_database, *command).json() == votr(*command).json()
    assert votr("--db", second_database, "export", "--json").json()["polls"] == json.loads(document.read_text())["polls"]
    if defects == "more":
        rules = Counter(repair["rule"] for repair in adopted.json()["repairs"])
        assert rules["negative-count"] == 1 and rules["control-title"] == 1 and rules["control-name"] == 1
        # unique-id: the builder's four hex ids, `[/x]` among them, are all replaced.
        assert rules["public-id"] == (4 if stage == "unique-id" else 0)
        polls = votr("list", "--json").json()["Polls"]
        assert polls[1]["title"] == "Esc \\x1b]0;PWN\\x07 [/x]"
        assert all(is_public_id(poll["id"]) for poll in polls)
        if stage != "part5":
            assert polls[3]["close_date"] == "0500-01-01T00:00:00Z"
