"""`votr export` and `votr import`: moving every poll between databases and backends.

The selected backend is one side of each move and a SQLite file the other, so the
suite's three passes cover sqlite→sqlite, sqlite→postgresql, sqlite→mysql and back.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.legacy_votr import build, check, legacy  # noqa: F401 - legacy is a fixture


@pytest.fixture
def sqlite_file(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'other.db'}"


def at(db: str | None) -> list[str]:
    """`--db URL`, or nothing for the test's own database."""
    return ["--db", db] if db else []


def fill(votr, db: str | None, legacy_module=None) -> None:
    """Polls of every kind: open, closed, closing later, with ballots and adopted counts."""
    def run(*args):
        outcome = votr(*at(db), *args)
        assert outcome.exit_code == 0, (args, outcome.stderr)

    if legacy_module is not None:
        run("db-upgrade")
    run("create", "Lunch?", "pizza", "Sushi", "salad")
    run("create", "Best editor", "vim", "emacs", "--closes-at", "3d")
    run("create", "Tabs or spaces", "tabs", "spaces")
    for voter, choice in (("ann", "pizza"), ("Bo", "sushi"), ("cy", "pizza")):
        run("vote", "Lunch?", choice, "--voter", voter)
    run("vote", "Best editor", "vim", "--voter", "ann")
    run("close", "Tabs or spaces")


def listing(votr, db: str) -> tuple:
    return votr(*at(db), "list", "--json").json(), votr(*at(db), "options", "--json").json()


def export(votr, db: str) -> dict:
    outcome = votr(*at(db), "export")
    assert outcome.exit_code == 0, outcome.stderr
    return json.loads(outcome.stdout)


def without_time(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "exported_at"}


@pytest.mark.parametrize("direction", ["sqlite-to-selected", "selected-to-sqlite"])
def test_an_export_imported_elsewhere_lists_the_same(votr, legacy, database_url, sqlite_file, tmp_path, direction):
    source, target = (sqlite_file, database_url) if direction == "sqlite-to-selected" else (database_url, sqlite_file)
    build(legacy, source, "unique-id", clean=False)  # adopted data too: counts without ballots
    fill(votr, source, legacy)
    path = tmp_path / "all.json"
    saved = votr("--db", source, "export", str(path), "--json")
    assert saved.exit_code == 0, saved.stderr
    assert saved.json()["polls"] == 7 and saved.json()["file"] == str(path)

    outcome = votr("--db", target, "import", str(path), "--json")

    assert outcome.exit_code == 0, outcome.stderr
    report = outcome.json()
    assert (report["added"], report["updated"], report["skipped"]) == (7, 0, 0)
    assert listing(votr, target) == listing(votr, source)
    assert check(target)["problems"] == []
    assert without_time(export(votr, target)) == without_time(json.loads(path.read_text()))
    # Voters came along: neither one who voted in votr nor one adopted from the old app votes twice.
    assert votr("--db", target, "vote", "Lunch?", "salad", "--voter", "ANN").exit_code == 4
    assert votr("--db", target, "vote", "0000000001", "Spurs", "--voter", "linus").exit_code == 4
    assert votr("--db", target, "vote", "Lunch?", "salad", "--voter", "dee").exit_code == 0


def test_the_document_holds_every_poll_option_ballot_status_and_date(votr):
    fill(votr, None)
    document = export(votr, None)
    assert document["format"] == "votr-export" and document["version"] == 1
    lunch, editor, tabs = document["polls"]
    assert [option["name"] for option in document["options"]] == [
        "pizza", "Sushi", "salad", "vim", "emacs", "tabs", "spaces"]
    names = {option["id"]: option["name"] for option in document["options"]}
    assert [(names[c["option"]], c["vote_count"], c["adopted_count"]) for c in lunch["options"]] == [
        ("pizza", 2, 0), ("Sushi", 1, 0), ("salad", 0, 0)]
    assert [(b["voter"], names[b["option"]]) for b in lunch["ballots"]] == [
        ("ann", "pizza"), ("bo", "Sushi"), ("cy", "pizza")]
    assert editor["status"] is True and editor["close_date"].endswith("Z")
    assert tabs["status"] is False and tabs["close_date"] is not None
    assert all(poll["date_created"].endswith("Z") for poll in document["polls"])


def test_importing_twice_changes_nothing_and_changes_are_updated(votr, sqlite_file, tmp_path):
    fill(votr, sqlite_file)
    path = tmp_path / "all.json"
    path.write_text(votr("--db", sqlite_file, "export").stdout)
    assert votr("import", str(path)).exit_code == 0
    before = listing(votr, None)

    again = votr("import", str(path), "--json")

    assert again.exit_code == 0
    assert (again.json()["added"], again.json()["updated"], again.json()["skipped"]) == (0, 0, 3)
    assert again.json()["options"] == {"added": 0, "updated": 0, "skipped": 7}
    assert listing(votr, None) == before

    assert votr("--db", sqlite_file, "vote", "Best editor", "emacs", "--voter", "bo").exit_code == 0
    assert votr("--db", sqlite_file, "create", "Coffee", "yes", "no").exit_code == 0
    changed = votr("--db", sqlite_file, "export", "-").stdout
    update = votr("import", "-", "--json", input=changed)
    assert update.exit_code == 0, update.stderr
    assert (update.json()["added"], update.json()["updated"], update.json()["skipped"]) == (1, 1, 2)
    assert listing(votr, None) == listing(votr, sqlite_file)


def test_plain_output_reports_counts(votr, sqlite_file):
    fill(votr, sqlite_file)
    document = votr("--db", sqlite_file, "export").stdout
    outcome = votr("import", "-", input=document)
    assert outcome.exit_code == 0
    assert outcome.stdout.startswith("Imported stdin into ")
    assert "3 polls added, 0 updated, 0 skipped; 7 options added." in outcome.stdout


def test_an_invalid_document_is_refused_whole_and_nothing_is_written(votr, sqlite_file):
    fill(votr, sqlite_file)
    document = export(votr, sqlite_file)
    document["polls"][2]["options"][0]["vote_count"] = 5  # does not match its ballots
    document["polls"][1]["title"] = " "
    document["polls"][1]["ballots"][0]["option"] = "not-a-uuid"

    outcome = votr("import", "-", "--json", input=json.dumps(document))

    assert outcome.exit_code == 1
    message = outcome.error()
    assert message.startswith("not a valid votr export (")
    assert "nothing was imported" in message
    assert "polls[1].title: is empty" in message
    assert "polls[1].ballots[0].option: must be a UUID" in message
    assert "polls[2].options[0].vote_count: 5 is not adopted_count (0) plus the option's ballots (0)" in message
    assert votr("list", "--json").json() == {"Polls": []}


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not JSON"),
    ('{"polls": []}', 'no "format": "votr-export"'),
    ('{"format": "votr-export", "version": 2, "polls": []}', "made by a newer votr"),
    ('{"format": "votr-export", "version": 1, "options": [], "polls": [{"id": "x"}]}', "polls[0].title"),
])
def test_a_document_that_is_not_an_export_is_refused(votr, content, reason):
    outcome = votr("import", "-", "--json", input=content)
    assert outcome.exit_code == 1
    assert reason in outcome.error()
    assert outcome.stdout == ""


def test_a_title_held_by_another_poll_is_refused_before_anything_is_written(votr, sqlite_file):
    fill(votr, sqlite_file)
    document = votr("--db", sqlite_file, "export").stdout
    assert votr("create", "Best editor", "ed", "nano").exit_code == 0

    outcome = votr("import", "-", "--json", input=document)

    assert outcome.exit_code == 4
    assert "title taken" in outcome.error() and "nothing was imported" in outcome.error()
    assert [poll["title"] for poll in votr("list", "--json").json()["Polls"]] == ["Best editor"]


def test_an_option_already_there_by_name_is_used(votr, sqlite_file):
    fill(votr, sqlite_file)
    document = votr("--db", sqlite_file, "export").stdout
    assert votr("create", "Dinner", "PIZZA", "pasta").exit_code == 0

    outcome = votr("import", "-", "--json", input=document)

    assert outcome.exit_code == 0, outcome.stderr
    names = [option["name"] for option in votr("options", "--json").json()]
    assert names.count("PIZZA") == 1 and "pizza" not in names
    lunch = votr("show", "Lunch?", "--json").json()["Polls"][0]
    assert lunch["options"][0] == {"name": "PIZZA", "vote_count": 2}


def test_files_that_cannot_be_read_or_written_are_clear_errors(votr, tmp_path):
    assert votr("create", "Lunch", "pizza", "sushi").exit_code == 0  # an export needs a database
    missing = votr("import", str(tmp_path / "nope.json"), "--json")
    assert missing.exit_code == 1 and "cannot read" in missing.error()
    unwritable = votr("export", str(tmp_path / "no" / "such" / "all.json"), "--json")
    assert unwritable.exit_code == 1 and "cannot write" in unwritable.error()
    assert not list(tmp_path.glob("**/.all.json.*"))
