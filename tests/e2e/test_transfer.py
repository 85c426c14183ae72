"""`votr export` and `votr import`: moving every poll between databases and backends.

The selected backend is one side of each move and a SQLite file the other, so the
suite's three passes cover sqlite→sqlite, sqlite→postgresql, sqlite→mysql and back.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.legacy_votr import build, check, legacy  # noqa: F401 - legacy is a fixture
from tests.sql import run_sql
from votr_cli.core.counting import METHODS_BY_KIND
from votr_cli.db.tables import SCHEMA_HEAD


@pytest.fixture
def sqlite_file(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'other.db'}"


def at(db: str | None) -> list[str]:
    """`--db URL`, or nothing for the test's own database."""
    return ["--db", db] if db else []


def fill(votr, db: str | None, legacy_module=None) -> None:
    """Polls open, closed, closing later, with ballots and adopted counts."""
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


# Tennessee's capital (the counting tests' example): 42 Memphis voters, 26 Nashville, 15
# Chattanooga, 17 Knoxville. IRV elects Knoxville, Schulze (and every Condorcet method) Nashville.
TENNESSEE = [(42, ("Memphis", "Nashville", "Chattanooga", "Knoxville")),
             (26, ("Nashville", "Chattanooga", "Knoxville", "Memphis")),
             (15, ("Chattanooga", "Knoxville", "Nashville", "Memphis")),
             (17, ("Knoxville", "Chattanooga", "Nashville", "Memphis"))]
CITIES = TENNESSEE[0][1]
# A poll of every kind and method, with `create`'s arguments and the ballots cast (a list
# of options, or a score poll's {option: score}): ties the counts' rules break, and one
# they leave.
KIND_POLLS = [
    (["Capital (IRV)", *CITIES, "--kind", "ranked"],
     [ballot for weight, ballot in TENNESSEE for _ in range(weight)]),
    (["Capital (Schulze)", *CITIES, "--kind", "ranked", "--method", "schulze", "--min", "2", "--max", "3"],
     [ballot[:3] for weight, ballot in TENNESSEE for _ in range(weight)]),
    (["Toppings", "ham", "olives", "Basil", "egg", "--kind", "multiple", "--min", "1", "--max", "3"],
     [("ham", "olives"), ("olives", "basil", "ham"), ("egg",), ("basil", "ham")]),
    (["Films (STAR)", "Alien", "Brazil", "Cube", "--kind", "score"],
     [{"Alien": 5, "Brazil": 4}, {"Brazil": 5, "Alien": 4, "Cube": 1}, {"Cube": 0}, {"cube": 3, "alien": 2}]),
    (["Films (score)", "Alien", "Brazil", "Cube", "--kind", "score", "--method", "score"],
     [{"Alien": 5, "Brazil": 5}, {"Brazil": 0, "alien": 0, "Cube": 0}]),
    # A tie no rule breaks: every tied option wins, the same after an import.
    (["Coin", "heads", "tails", "--kind", "ranked"], [("heads", "tails"), ("tails", "heads")]),
]


def fill_kinds(votr, db: str | None) -> list[str]:
    """The polls of KIND_POLLS with their ballots (a batch); their ids."""
    ids, lines = [], []
    for arguments, ballots in KIND_POLLS:
        created = votr(*at(db), "create", *arguments, "--json")
        assert created.exit_code == 0, created.stderr
        ids.append(created.json()["poll"]["id"])
        for number, ballot in enumerate(ballots):
            choice = {"scores": ballot} if isinstance(ballot, dict) else {"options": list(ballot)}
            lines.append(json.dumps({"poll": ids[-1], **choice, "voter": f"voter {number}"}))
    voted = votr(*at(db), "vote", "--batch", "-", "--json", input="\n".join(lines) + "\n")
    assert voted.exit_code == 0 and voted.json()["accepted"] == len(lines), voted.stdout + voted.stderr
    return ids


def listing(votr, db: str) -> tuple:
    """What `list`, `options` and `show` of every poll print, as JSON: identical wherever
    the same polls are, tallies and winners included."""
    polls = votr(*at(db), "list", "--json").json()
    shown = [votr(*at(db), "show", poll["id"], "--json").json() for poll in polls["Polls"]]
    return polls, votr(*at(db), "options", "--json").json(), shown


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
    fill_kinds(votr, source)
    path = tmp_path / "all.json"
    saved = votr("--db", source, "export", str(path), "--json")
    assert saved.exit_code == 0, saved.stderr
    assert saved.json()["polls"] == 13 and saved.json()["file"] == str(path)

    outcome = votr("--db", target, "import", str(path), "--json")

    assert outcome.exit_code == 0, outcome.stderr
    report = outcome.json()
    assert (report["added"], report["updated"], report["skipped"]) == (13, 0, 0)
    assert listing(votr, target) == listing(votr, source)
    assert check(target)["problems"] == []
    assert without_time(export(votr, target)) == without_time(json.loads(path.read_text()))
    # Voters came along: neither one who voted in votr nor one adopted from the old app votes twice.
    assert votr("--db", target, "vote", "Lunch?", "salad", "--voter", "ANN").exit_code == 4
    adopted_poll = listing(votr, source)[0]["Polls"][0]["id"]  # the builder's poll 1, given a new id on adoption
    assert votr("--db", target, "vote", adopted_poll, "Spurs", "--voter", "linus").exit_code == 4
    assert votr("--db", target, "vote", "Lunch?", "salad", "--voter", "dee").exit_code == 0
    # Ballots of every kind came along, and votes go on counting from them.
    assert votr("--db", target, "vote", "Capital (IRV)", "Knoxville", "--voter", "voter 0").exit_code == 4
    for db in (source, target):
        assert votr("--db", db, "vote", "Films (STAR)", "Cube=5", "Alien=1", "--voter", "dee").exit_code == 0
    assert votr("--db", source, "vote", "Lunch?", "salad", "--voter", "dee").exit_code == 0
    assert listing(votr, target) == listing(votr, source)


def test_every_kind_moves_between_two_databases_of_the_selected_backend(votr, second_database):
    """The selected backend on both sides: on PostgreSQL and MariaDB the move reads and
    writes the server's own types (the codes of a ranked ballot past the 62nd option,
    U+0100 and up, included)."""
    fill(votr, None)
    ids = fill_kinds(votr, None)
    options = [f"option {number}" for number in range(70)]
    wide = votr("create", "Wide", *options, "--kind", "ranked", "--json").json()["poll"]["id"]
    assert votr("vote", wide, "option 69", "option 63", "option 0", "--voter", "ann").exit_code == 0
    wide_score = votr("create", "Wide scores", *options, "--kind", "score", "--json").json()["poll"]["id"]
    assert votr("vote", wide_score, "option 69=5", "option 1=2", "--voter", "ann").exit_code == 0

    imported = votr("--db", second_database, "import", "-", "--json", input=votr("export").stdout)

    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["added"] == 3 + len(ids) + 2
    assert listing(votr, second_database) == listing(votr, None)
    assert without_time(export(votr, second_database)) == without_time(export(votr, None))
    shown = votr("--db", second_database, "show", ids[0], "--json").json()["Polls"][0]
    assert shown["winners"] == ["Knoxville"] and len(shown["tally"]["rounds"]) == 3
    coin = votr("--db", second_database, "show", ids[-1], "--json").json()["Polls"][0]
    assert coin["winners"] == ["heads", "tails"]


def test_the_document_holds_every_poll_option_ballot_status_and_date(votr):
    fill(votr, None)
    document = export(votr, None)
    assert document["format"] == "votr-export" and document["version"] == 4
    assert document["schema"] == SCHEMA_HEAD
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
    assert [(poll["kind"], poll["method"], poll["min_choices"], poll["max_choices"], poll["voter_count"])
            for poll in document["polls"]] == [("single", "plurality", 1, 1, 3), ("single", "plurality", 1, 1, 1),
                                               ("single", "plurality", 1, 1, 0)]
    assert all((poll["allow_change"], poll["results"], poll["secret"], poll["quorum"]) == (False, "always", False, None)
               and "voters" not in poll for poll in document["polls"])
    assert all((poll["invite_only"], poll["invites"]) == (False, []) for poll in document["polls"])


def test_a_ballot_of_each_kind_is_written_by_option_id(votr):
    irv, schulze, toppings, star, score, _ = fill_kinds(votr, None)
    document = export(votr, None)
    names = {option["id"]: option["name"] for option in document["options"]}
    polls = {poll["id"]: poll for poll in document["polls"]}

    def ballots(poll_id: str, key: str) -> list:
        return [ballot[key] for ballot in polls[poll_id]["ballots"]]

    assert [[names[option] for option in ballot] for ballot in ballots(schulze, "options")][40:44] == \
        [["Memphis", "Nashville", "Chattanooga"]] * 2 + [["Nashville", "Chattanooga", "Knoxville"]] * 2
    # A multiple ballot in the poll's order, whatever order the voter gave.
    assert [[names[option] for option in ballot] for ballot in ballots(toppings, "options")] == [
        ["ham", "olives"], ["ham", "olives", "Basil"], ["egg"], ["ham", "Basil"]]
    # A score ballot scores every option of the poll, those the voter left out 0.
    assert [{names[option]: value for option, value in ballot.items()} for ballot in ballots(star, "scores")] == [
        {"Alien": 5, "Brazil": 4, "Cube": 0}, {"Alien": 4, "Brazil": 5, "Cube": 1},
        {"Alien": 0, "Brazil": 0, "Cube": 0}, {"Alien": 2, "Brazil": 0, "Cube": 3}]
    assert all("option" not in ballot for poll_id in (irv, schulze, toppings, star, score)
               for ballot in polls[poll_id]["ballots"])
    assert [(polls[poll_id]["kind"], polls[poll_id]["method"], polls[poll_id]["min_choices"],
             polls[poll_id]["max_choices"], polls[poll_id]["voter_count"]) for poll_id in polls] == [
        ("ranked", "irv", 1, 4, 100), ("ranked", "schulze", 2, 3, 100), ("multiple", "approval", 1, 3, 4),
        ("score", "star", 1, 3, 4), ("score", "score", 1, 3, 2), ("ranked", "irv", 1, 2, 2)]
    # The counters are what the ballots give: first preferences, choices, scores summed.
    assert [choice["vote_count"] for choice in polls[irv]["options"]] == [42, 26, 15, 17]
    assert [choice["vote_count"] for choice in polls[toppings]["options"]] == [3, 2, 2, 1]
    assert [choice["vote_count"] for choice in polls[star]["options"]] == [11, 9, 4]


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
    assert "polls[1].title: value for title is empty" in message
    assert "polls[1].ballots[0].option: must be a UUID" in message
    assert "polls[2].options[0].vote_count: 5 is not adopted_count (0) plus what the ballots give the option (0)" \
        in message
    assert votr("list", "--json").json() == {"Polls": []}


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not JSON"),
    ('{"polls": []}', 'no "format": "votr-export"'),
    ('{"format": "votr-export", "version": 5, "polls": []}', "made by a newer votr"),
    ('{"format": "votr-export", "version": "2", "polls": []}', "unknown version '2'"),
    ('{"format": "votr-export", "version": 2.0, "polls": []}', "unknown version 2.0"),
    ('{"format": "votr-export", "version": true, "polls": []}', "unknown version True"),
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


OPTION_A, OPTION_B = "6f1c0a52-3a4e-4a43-9d3c-8b7f0e2d6a01", "0d9e8c44-5b1a-4f6e-8a2d-1c3b5e7f9a02"


def one_poll(**changes) -> dict:
    """A valid document of one poll with two options; `changes` replace parts of the poll."""
    poll = {"id": "k3v9x2ab", "title": "Lunch?", "status": True, "close_date": None,
            "date_created": "2026-01-01T00:00:00Z",
            "options": [{"option": OPTION_A, "vote_count": 1, "adopted_count": 1},
                        {"option": OPTION_B, "vote_count": 0, "adopted_count": 0}],
            "ballots": []}
    poll.update(changes)
    return {"format": "votr-export", "version": 1, "options": [
        {"id": OPTION_A, "name": "pizza", "date_created": "2026-01-01T00:00:00Z"},
        {"id": OPTION_B, "name": "sushi", "date_created": "2026-01-01T00:00:00Z"}], "polls": [poll]}


def counts(vote_count, adopted_count=None) -> list[dict]:
    adopted = vote_count if adopted_count is None else adopted_count
    return [{"option": OPTION_A, "vote_count": vote_count, "adopted_count": adopted},
            {"option": OPTION_B, "vote_count": 0, "adopted_count": 0}]


def test_a_valid_document_of_one_poll_imports(votr):
    outcome = votr("import", "-", "--json", input=json.dumps(one_poll()))
    assert outcome.exit_code == 0, outcome.stderr
    assert votr("show", "k3v9x2ab", "--json").json()["Polls"][0]["total_vote_count"] == 1


def assert_refused(votr, raw: str, *expected: str) -> None:
    """Exit 1, one line naming the problem, nothing written: on every backend alike."""
    for as_json in (["--json"], []):
        outcome = votr("import", "-", *as_json, input=raw)
        assert outcome.exit_code == 1, (outcome.exit_code, outcome.stderr[-2000:])
        assert outcome.stdout == ""
        assert outcome.stderr.count("\n") == 1 and "Traceback" not in outcome.stderr
        message = outcome.error() if as_json else outcome.stderr
        assert "nothing was imported" in message
        for part in expected:
            assert part in message, message
    assert votr("list", "--json").json() == {"Polls": []}
    assert votr("options", "--json").json() == []


@pytest.mark.parametrize("poll_id", ["\x1b]0;PWN\x07", "[/x]", "[blink]Z", "K3V9X2AB", "k3v9-x2a", "", "a" * 17,
                                     " k3v9x2ab", 12345678, "0000000001", "k3v9x2a", "k3v9x2abc", "k3v9x2a1"])
def test_a_poll_id_not_of_votrs_shape_is_refused(votr, poll_id):
    assert_refused(votr, json.dumps(one_poll(id=poll_id)),
                   "polls[0].id: a poll id is 8 characters of 23456789abcdefghjkmnpqrstuvwxyz")


@pytest.mark.parametrize("field, value, expected", [
    ("title", "nul\x00byte", "polls[0].title: title contains a control character (U+0000)"),
    ("title", "bell\x07", "U+0007"),
    ("title", "x" * 501, "longer than 500 characters"),
    ("title", "\u202eevil", "U+202E"),
    ("title", "lone \ud800 surrogate", "not valid UTF-8 text"),
])
def test_imported_text_obeys_the_rules_of_create(votr, field, value, expected):
    assert_refused(votr, json.dumps(one_poll(**{field: value})), expected)


@pytest.mark.parametrize("where, value, expected", [
    ("name", "nul\x00", "options[0].name: name contains a control character (U+0000)"),
    ("name", "x" * 201, "longer than 200 characters"),
    ("voter", "ann\x00", "polls[0].ballots[0].voter: voter contains a control character (U+0000)"),
    ("voter", "\udcff", "not valid UTF-8 text"),
])
def test_imported_names_and_voters_obey_the_rules_of_create(votr, where, value, expected):
    document = one_poll(ballots=[{"voter": "ann", "option": OPTION_A, "date_created": "2026-01-01T00:00:00Z"}],
                        options=counts(1, 0))
    if where == "name":
        document["options"][0]["name"] = value
    else:
        document["polls"][0]["ballots"][0]["voter"] = value
    assert_refused(votr, json.dumps(document), expected)


@pytest.mark.parametrize("vote_count", [2**31, 2**63, 10**30, -1, 1.5, "3", True])
def test_a_count_that_no_backend_column_holds_is_refused(votr, vote_count):
    assert_refused(votr, json.dumps(one_poll(options=counts(vote_count))),
                   "polls[0].options[0].vote_count: must be a whole number from 0 to 2147483647")


def test_the_largest_count_every_backend_holds_imports(votr):
    outcome = votr("import", "-", input=json.dumps(one_poll(options=counts(2**31 - 1))))
    assert outcome.exit_code == 0, outcome.stderr
    assert votr("show", "k3v9x2ab", "--json").json()["Polls"][0]["total_vote_count"] == 2**31 - 1


def test_a_poll_needs_two_options_as_create_requires(votr):
    assert_refused(votr, json.dumps(one_poll(options=counts(1)[:1])),
                   "polls[0].options: a poll needs at least 2 options, not 1")
    assert_refused(votr, json.dumps(one_poll(options=[])), "polls[0].options: a poll needs at least 2 options, not 0")


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"])
def test_a_date_outside_years_1_to_9999_in_utc_is_refused(votr, date):
    assert_refused(votr, json.dumps(one_poll(date_created=date)), "polls[0].date_created: is outside the years 1 to 9999")
    assert_refused(votr, json.dumps(one_poll(close_date=date)), "polls[0].close_date: is outside the years 1 to 9999")


@pytest.mark.parametrize("raw, expected", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"format": "votr-export", "version": 1, "polls": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ('{"format": "votr-export", "version": 1, "polls": [], "x": ' + "9" * 5000 + "}", "integer"),
    ('{"format": "votr-export", "version": ' + "9" * 5000 + ', "polls": []}', "integer"),
    (json.dumps(one_poll()).replace('"vote_count": 1', '"vote_count": ' + "9" * 4000), "from 0 to 2147483647"),
    (json.dumps(one_poll()).replace('"Lunch?"', '"\\ud800"'), "not valid UTF-8 text"),
    (json.dumps(one_poll()).replace('"k3v9x2ab"', '"\\udfff"'), "polls[0].id"),
    (json.dumps(one_poll()).replace('"2026-01-01T00:00:00Z"', '"\\ud800"', 1), "options[0].date_created"),
])
def test_hostile_documents_are_one_clear_error(votr, raw, expected):
    assert_refused(votr, raw, expected)


def property_examples(backend: str, on_sqlite: int) -> int:
    """The properties below run their full count in the SQLite pass and 40 % of it on a
    server (each example there is several round trips): what a server adds is how it
    stores and returns the values, which every example checks again."""
    return on_sqlite if backend == "sqlite" else on_sqlite * 2 // 5


def test_any_created_polls_and_votes_survive_export_and_import(votr, tmp_path, backend):
    """Property: whatever `create` and `vote` accepted, an export imports into an empty
    database with an identical listing."""
    import itertools

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.e2e.test_hostile_input import likely_accepted

    targets = itertools.count()
    polls = st.lists(st.tuples(likely_accepted(500), st.lists(likely_accepted(200), min_size=2, max_size=4),
                               st.lists(st.tuples(likely_accepted(100), st.integers(0, 3)), max_size=4)),
                     min_size=1, max_size=3)

    @settings(max_examples=property_examples(backend, 25), deadline=None, suppress_health_check=list(HealthCheck))
    @given(polls=polls)
    def check(polls):
        for title, names, votes in polls:
            created = votr("create", title, *names, "--json")
            if created.exit_code != 0:
                continue  # refused input (a duplicate, say) is another test's subject
            poll_id = created.json()["poll"]["id"]
            for voter, choice in votes:
                votr("vote", poll_id, names[choice % len(names)], "--voter", voter)
        target = f"sqlite:///{tmp_path / f'target{next(targets)}.db'}"
        votr("list")  # creates the database even when every poll above was refused: export reads one
        imported = votr("--db", target, "import", "-", input=votr("export").stdout)
        assert imported.exit_code == 0, imported.stderr
        assert listing(votr, target) == listing(votr, None)

    check()


# -- poll kinds ----------------------------------------------------------------------


def test_a_version_1_document_imports_as_single_polls_counted_by_plurality(votr):
    document = one_poll(options=counts(2, 1), ballots=[
        {"voter": "ann", "option": OPTION_A, "date_created": "2026-01-01T00:00:00Z"},
        {"voter": "bo", "option": None, "date_created": "2026-01-01T00:00:00Z"}])
    assert document["version"] == 1

    outcome = votr("import", "-", "--json", input=json.dumps(document))

    assert outcome.exit_code == 0, outcome.stderr
    poll = votr("show", "k3v9x2ab", "--json").json()["Polls"][0]
    assert (poll["kind"], poll["method"], poll["min_choices"], poll["max_choices"]) == ("single", "plurality", 1, 1)
    assert (poll["total_vote_count"], poll["voter_count"], poll["winners"]) == (2, 2, ["pizza"])
    assert votr("vote", "k3v9x2ab", "sushi", "--voter", "bo").exit_code == 4  # bo's vote is the adopted one
    again = votr("import", "-", "--json", input=json.dumps(document))
    assert (again.json()["added"], again.json()["skipped"]) == (0, 1)  # the same as its version 2 export


def test_importing_polls_of_every_kind_twice_changes_nothing_and_a_changed_ballot_is_updated(votr, sqlite_file):
    ids = fill_kinds(votr, sqlite_file)
    document = votr("--db", sqlite_file, "export").stdout
    assert votr("import", "-", input=document).exit_code == 0
    before = listing(votr, None)

    again = votr("import", "-", "--json", input=document)

    assert (again.json()["added"], again.json()["updated"], again.json()["skipped"]) == (0, 0, len(ids))
    assert listing(votr, None) == before
    changed = json.loads(document)
    ranked = changed["polls"][0]
    first, second = ranked["ballots"][0]["options"][:2]  # a Memphis voter now puts Nashville first
    ranked["ballots"][0]["options"][:2] = [second, first]
    for choice in ranked["options"]:
        choice["vote_count"] += {first: -1, second: 1}.get(choice["option"], 0)
    update = votr("import", "-", "--json", input=json.dumps(changed))
    assert (update.json()["added"], update.json()["updated"], update.json()["skipped"]) == (0, 1, len(ids) - 1)
    shown = votr("show", ids[0], "--json").json()["Polls"][0]
    assert [option["vote_count"] for option in shown["options"]] == [41, 27, 15, 17]


def test_a_ballot_that_vote_would_refuse_refuses_the_whole_document(votr, sqlite_file):
    fill(votr, sqlite_file)
    fill_kinds(votr, sqlite_file)
    document = export(votr, sqlite_file)
    schulze = document["polls"][4]
    schulze["ballots"][7]["options"] = schulze["ballots"][7]["options"][:1]  # --min 2
    star = document["polls"][6]
    star["ballots"][0]["scores"][star["options"][2]["option"]] = 6

    assert_refused(votr, json.dumps(document),
                   "polls[4].ballots[7].options: this ranked poll takes from 2 to 3 options, not 1 "
                   "(the ballot of 'voter 7')",
                   f"polls[6].ballots[0].scores.{star['options'][2]['option']}: must be a whole number from 0 to 5, "
                   "not 6")


def test_a_damaged_stored_ballot_is_not_exported_and_an_import_replaces_its_poll(votr, database_url, sqlite_file):
    ids = fill_kinds(votr, sqlite_file)
    document = votr("--db", sqlite_file, "export").stdout
    assert votr("import", "-", input=document).exit_code == 0
    run_sql(database_url, "UPDATE ballots SET choices = 'AA' WHERE voter = 'voter 3' AND topic_id = "
                    "(SELECT id FROM topics WHERE public_id = :poll)", poll=ids[0])

    refused = votr("export", "--json")

    assert refused.exit_code == 5 and refused.stdout == ""
    assert refused.error().startswith(f"cannot export poll {ids[0]}: the ballot of 'voter 3' is not a valid "
                                      "ranked ballot of it (")  # (the codec's reason)
    assert refused.error().endswith("; votr db-check lists such damage")
    repaired = votr("import", "-", "--json", input=document)
    assert (repaired.json()["updated"], repaired.json()["skipped"]) == (1, len(ids) - 1)
    assert votr("export").exit_code == 0
    assert listing(votr, None) == listing(votr, sqlite_file)


def test_any_polls_of_any_kind_survive_export_and_import(votr, tmp_path, backend):
    """Property: whatever ballots `vote` accepted in polls of any kind and method, an
    export imports into an empty database with identical listings, tallies and winners."""
    import itertools

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    targets = itertools.count()
    titles = itertools.count()

    @st.composite
    def poll(draw):
        kind, method = draw(st.sampled_from([(kind, method) for kind, methods in METHODS_BY_KIND.items()
                                             for method in methods]))
        names = [f"o{number}" for number in range(draw(st.integers(2, 5)))]
        ballots = []
        for _ in range(draw(st.integers(0, 6))):
            chosen = draw(st.permutations(names))[:draw(st.integers(1, len(names)))]
            if kind == "single":
                ballots.append({"option": chosen[0]})
            elif kind == "score":
                ballots.append({"scores": {name: draw(st.integers(0, 5)) for name in chosen}})
            else:
                ballots.append({"options": list(chosen)})
        return ["--kind", kind, "--method", method], names, ballots

    @settings(max_examples=property_examples(backend, 20), deadline=None, suppress_health_check=list(HealthCheck))
    @given(polls=st.lists(poll(), min_size=1, max_size=4))
    def check(polls):
        lines = []
        for arguments, names, ballots in polls:
            created = votr("create", f"poll {next(titles)}", *names, *arguments, "--json")
            assert created.exit_code == 0, created.stderr
            poll_id = created.json()["poll"]["id"]
            lines += [json.dumps({"poll": poll_id, "voter": f"v{number}", **ballot})
                      for number, ballot in enumerate(ballots)]
        if lines:
            voted = votr("vote", "--batch", "-", input="\n".join(lines) + "\n")
            assert voted.exit_code == 0, voted.stderr
        target = f"sqlite:///{tmp_path / f'target{next(targets)}.db'}"
        imported = votr("--db", target, "import", "-", input=votr("export").stdout)
        assert imported.exit_code == 0, imported.stderr
        assert listing(votr, target) == listing(votr, None)

    check()


# -- ballot policies and secret polls (version 3) ------------------------------------

# A poll of each policy, and a secret poll of each kind: `create`'s arguments and the
# (voter, choice) votes cast, in that order. A choice is a list of options, a score poll's
# {option: score}; a later vote of the same voter changes theirs (allow_change).
POLICY_POLLS = [
    (["Change", "tea", "coffee", "juice", "--allow-change"],
     [("zed", ["tea"]), ("ann", ["coffee"]), ("mo", ["juice"]), ("ann", ["tea"])]),
    (["After voting", "tea", "coffee", "--results", "voted"], [("zed", ["coffee"]), ("ann", ["tea"])]),
    (["After close", "tea", "coffee", "--results", "closed", "--quorum", "2"],
     [("ann", ["coffee"]), ("zed", ["coffee"])]),
    (["Quorum", "tea", "coffee", "--quorum", "3"], [("ann", ["tea"])]),
    (["Secret single", "red", "green", "blue", "--secret", "--results", "closed"],
     [("zed", ["blue"]), ("ann", ["red"]), ("mo", ["blue"]), ("bo", ["green"])]),
    (["Secret multiple", "red", "green", "blue", "--kind", "multiple", "--secret", "--quorum", "2"],
     [("zed", ["blue", "red"]), ("ann", ["green"]), ("mo", ["red", "green", "blue"])]),
    (["Secret ranked", "red", "green", "blue", "--kind", "ranked", "--method", "schulze", "--secret",
      "--results", "voted"],
     [("zed", ["blue", "red"]), ("ann", ["green", "blue", "red"]), ("mo", ["red"]), ("bo", ["blue", "green"])]),
    (["Secret score", "red", "green", "blue", "--kind", "score", "--secret"],
     [("zed", {"red": 1, "blue": 5}), ("ann", {"green": 4}), ("mo", {"red": 5, "green": 2, "blue": 0})]),
]


def cast(votr, db: str | None, poll: str, voter: str, choice) -> None:
    chosen = [f"{option}={score}" for option, score in choice.items()] if isinstance(choice, dict) else choice
    outcome = votr(*at(db), "vote", poll, *chosen, "--voter", voter)
    assert outcome.exit_code == 0, outcome.stderr


def fill_policies(votr, db: str | None, order=lambda votes: votes) -> list[str]:
    """The polls of POLICY_POLLS with their votes (`order` reorders each poll's); their ids."""
    ids = []
    for arguments, votes in POLICY_POLLS:
        created = votr(*at(db), "create", *arguments, "--json")
        assert created.exit_code == 0, created.stderr
        ids.append(created.json()["poll"]["id"])
        for voter, choice in order(votes):
            cast(votr, db, ids[-1], voter, choice)
    return ids


def views(votr, db: str | None, ids: list[str]) -> tuple:
    """`list --json` and every `show --json`: as nobody, as a voter who voted in every poll
    (ann), as one who voted in some (zed) and as the default voter (who voted in none)."""
    def seen(*viewer):
        return (votr(*at(db), "list", "--json", *viewer).json(),
                [votr(*at(db), "show", poll, "--json", *viewer).json() for poll in ids])

    return seen(), seen("--voter", "ann"), seen("--voter", "zed")


@pytest.mark.parametrize("direction", ["sqlite-to-selected", "selected-to-sqlite"])
def test_polls_of_every_policy_and_secret_polls_of_every_kind_move_unchanged(votr, database_url, sqlite_file,
                                                                             tmp_path, direction):
    source, target = (sqlite_file, database_url) if direction == "sqlite-to-selected" else (database_url, sqlite_file)
    ids = fill_policies(votr, source)
    path = tmp_path / "all.json"
    assert votr("--db", source, "export", str(path)).exit_code == 0

    imported = votr("--db", target, "import", str(path), "--json")

    assert imported.exit_code == 0, imported.stderr
    assert (imported.json()["added"], imported.json()["updated"]) == (len(ids), 0)
    before = views(votr, source, ids)
    assert views(votr, target, ids) == before
    # Hidden results were hidden on both sides, and are there to see once the polls close.
    shown = {poll["title"]: poll for poll in before[0][0]["Polls"]}
    assert shown["Secret single"]["results_hidden"] is True and shown["Secret single"]["winners"] is None
    assert shown["Secret ranked"]["results_hidden"] is True
    assert without_time(export(votr, target)) == without_time(json.loads(path.read_text()))
    again = votr("--db", target, "import", str(path), "--json")
    assert (again.json()["added"], again.json()["updated"], again.json()["skipped"]) == (0, 0, len(ids))
    for poll in ids:
        assert votr("--db", source, "close", poll).exit_code == 0
    closed = votr("--db", target, "import", "-", "--json", input=votr("--db", source, "export").stdout)
    assert (closed.json()["updated"], closed.json()["skipped"]) == (len(ids), 0)
    closed = views(votr, target, ids)
    assert closed == views(votr, source, ids)
    secret_single = next(poll for poll in closed[0][0]["Polls"] if poll["title"] == "Secret single")
    assert secret_single["winners"] == ["blue"] and secret_single["results_hidden"] is False
    assert [option["vote_count"] for option in secret_single["options"]] == [1, 1, 2]


def test_policies_go_on_working_after_an_import(votr, second_database):
    """The selected backend on both sides: the imported voters cannot vote twice in a secret
    poll, a voter of an allow-change poll changes their ballot, and the counts go on alike."""
    ids = fill_policies(votr, None)
    imported = votr("--db", second_database, "import", "-", input=votr("export").stdout)
    assert imported.exit_code == 0, imported.stderr
    change, _, _, _, secret_single, _, secret_ranked, _ = ids
    for db in (None, second_database):
        assert votr(*at(db), "vote", secret_single, "red", "--voter", "ANN").exit_code == 4
        assert votr(*at(db), "vote", secret_ranked, "red", "--voter", "bo").exit_code == 4
        assert votr(*at(db), "vote", secret_single, "green", "--voter", "dee").exit_code == 0
        changed = votr(*at(db), "vote", change, "juice", "--voter", "ann", "--json")
        assert changed.exit_code == 0 and changed.json()["message"] == "Your vote was changed"
        assert votr(*at(db), "unvote", change, "--voter", "zed").exit_code == 0
    assert views(votr, second_database, ids) == views(votr, None, ids)  # (the ballots' dates differ)


def secret_parts(document: dict) -> dict:
    """Each secret poll's voters and ballots, by title, with options by name."""
    names = {option["id"]: option["name"] for option in document["options"]}

    def named(ballot: dict):
        if "scores" in ballot:
            return {names[option]: score for option, score in ballot["scores"].items()}
        return [names[option] for option in ballot.get("options", [ballot.get("option")])]

    return {poll["title"]: (poll["voters"], [named(ballot) for ballot in poll["ballots"]])
            for poll in document["polls"] if poll["secret"]}


def test_a_secret_polls_voters_and_ballots_cannot_be_lined_up(votr, sqlite_file):
    """Each list is in an order of its own, whatever the order of the votes: the same
    votes cast in the opposite order export the same lists, and neither list's order
    follows the votes'."""
    fill_policies(votr, None)
    fill_policies(votr, sqlite_file, order=lambda votes: list(reversed(votes)))

    document = export(votr, None)
    parts = secret_parts(document)

    assert parts == secret_parts(export(votr, sqlite_file))
    assert parts["Secret single"] == (["ann", "bo", "mo", "zed"], [["red"], ["green"], ["blue"], ["blue"]])
    assert parts["Secret ranked"] == (["ann", "bo", "mo", "zed"], [["red"], ["green", "blue", "red"],
                                                                   ["blue", "red"], ["blue", "green"]])
    assert parts["Secret multiple"][0] == ["ann", "mo", "zed"]
    assert parts["Secret multiple"][1] == [["red", "green", "blue"], ["red", "blue"], ["green"]]
    for poll in document["polls"]:
        if poll["secret"]:
            assert all(set(ballot) <= {"option", "options", "scores"} for ballot in poll["ballots"])
            assert len(poll["voters"]) == len(poll["ballots"]) == poll["voter_count"]
        else:
            assert "voters" not in poll and all("voter" in ballot for ballot in poll["ballots"])
    # No voter's name is anywhere in a secret poll's ballots.
    secret = next(poll for poll in document["polls"] if poll["title"] == "Secret score")
    assert "zed" not in json.dumps(secret["ballots"])
    # What export writes is what the schema describes.
    import importlib.resources

    import jsonschema

    schema = json.loads(importlib.resources.files("votr_cli.ops").joinpath("export.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)


def test_imported_secret_ballots_are_stored_in_a_random_order(votr, database_url):
    """Stored under random keys and written in a random order (PostgreSQL keeps rows in
    the order they were written): the table's own order is not the document's."""
    from itertools import permutations

    from tests.sql import query

    created = votr("--db", database_url, "create", "Order", "a", "b", "c", "d", "--kind", "ranked", "--secret",
                   "--json")
    poll = created.json()["poll"]["id"]
    lines = [json.dumps({"poll": poll, "options": list(ranking), "voter": f"v{number:02}"})
             for number, ranking in enumerate(permutations("abcd"))]
    assert votr("vote", "--batch", "-", input="\n".join(lines) + "\n").exit_code == 0
    document = votr("export").stdout
    assert votr("close", poll).exit_code == 0  # changed: the import replaces it
    assert votr("import", "-", input=document).exit_code == 0

    stored = [row[0] for row in query(database_url, "SELECT choices FROM secret_ballots")]

    assert sorted(stored) == sorted({"".join(ranking) for ranking in permutations("ABCD")})
    assert stored != sorted(stored)
    assert query(database_url, "SELECT COUNT(*) FROM ballots") == [(0,)]
    assert query(database_url, "SELECT COUNT(*) FROM poll_voters") == [(24,)]


def test_a_changed_secret_poll_is_replaced_whole(votr, sqlite_file):
    ids = fill_policies(votr, sqlite_file)
    assert votr("import", "-", input=votr("--db", sqlite_file, "export").stdout).exit_code == 0
    cast(votr, sqlite_file, ids[5], "dee", ["green"])
    cast(votr, None, ids[5], "eve", ["blue"])  # lost: the document's version replaces the poll

    update = votr("import", "-", "--json", input=votr("--db", sqlite_file, "export").stdout)

    assert (update.json()["added"], update.json()["updated"], update.json()["skipped"]) == (0, 1, len(ids) - 1)
    assert views(votr, None, ids) == views(votr, sqlite_file, ids)
    assert without_time(export(votr, None)) == without_time(export(votr, sqlite_file))
    assert votr("vote", ids[5], "red", "--voter", "eve").exit_code == 0


def test_a_version_2_document_imports_with_no_policies(votr, sqlite_file):
    fill(votr, sqlite_file)
    document = export(votr, sqlite_file)
    document["version"] = 2
    for poll in document["polls"]:
        for key in ("allow_change", "results", "quorum"):
            del poll[key]
        poll["secret"] = True  # not a key of version 2: ignored, as a version 1 poll's kind is

    outcome = votr("import", "-", input=json.dumps(document))

    assert outcome.exit_code == 0, outcome.stderr
    for poll in votr("list", "--json").json()["Polls"]:
        assert (poll["allow_change"], poll["results"], poll["secret"], poll["quorum"]) == (False, "always", False, None)
    assert listing(votr, None) == listing(votr, sqlite_file)


def secret_document(votr, db: str, **changes) -> dict:
    """The export of `db` (filled with POLICY_POLLS) with changes to its "Secret single"
    poll (index 4)."""
    document = export(votr, db)
    document["polls"][4].update(changes)
    return document


def test_bad_policies_and_secret_polls_are_refused_whole(votr, sqlite_file):
    fill_policies(votr, sqlite_file)
    good = export(votr, sqlite_file)
    single, ranked = good["polls"][4], good["polls"][6]
    red = single["options"][0]["option"]
    cases = [
        ({"allow_change": True}, "polls[4]: a secret poll cannot allow vote changes"),
        ({"voters": single["voters"][:3]},
         "polls[4].voters: the poll lists 3 voters and 4 ballots: a secret poll has one ballot for each voter"),
        ({"voters": single["voters"] + ["eve"]}, "polls[4].voters: the poll lists 5 voters and 4 ballots"),
        ({"voters": ["ann", "ANN", "mo", "zed"]}, "polls[4].voters[1]: 'ann' is listed twice in this poll's voters"),
        ({"voter_count": 5}, "polls[4].voter_count: 5 is not the poll's adopted votes (0) plus its ballots"),
        ({"ballots": [{**ballot, "voter": "ann"} for ballot in single["ballots"]]},
         "polls[4].ballots[0].voter: a secret poll's ballot has no voter"),
        ({"ballots": [{**ballot, "date_created": "2026-01-01T00:00:00Z"} for ballot in single["ballots"]]},
         "polls[4].ballots[0].date_created: a secret poll's ballot has no date"),
        ({"ballots": [{"option": None}] + single["ballots"][1:]}, "polls[4].ballots[0].option: must be a UUID"),
        ({"ballots": [{"options": [red]}] + single["ballots"][1:]}, "polls[4].ballots[0].option: is missing"),
        ({"options": [{**choice, "vote_count": choice["vote_count"] + 1, "adopted_count": 1}
                      for choice in single["options"][:1]] + single["options"][1:], "voter_count": 5},
         "polls[4].options[0].adopted_count: must be 0 in a secret poll"),
        ({"results": "sometimes"}, "polls[4].results: must be always, voted or closed, not 'sometimes'"),
        ({"quorum": 0}, "polls[4].quorum: must be null or a whole number of voters from 1 to 2147483647, not 0"),
        ({"secret": "yes"}, "polls[4].secret: must be true or false, not 'yes'"),
    ]
    for changes, expected in cases:
        assert_refused(votr, json.dumps(secret_document(votr, sqlite_file, **changes)), expected)
    # A poll that is not secret names the voter of each ballot, and lists no voters apart.
    document = copy_of(good)
    document["polls"][0]["voters"] = ["ann"]
    assert_refused(votr, json.dumps(document), "polls[0].voters: only a secret poll lists its voters apart")
    document = copy_of(good)
    document["polls"][6]["secret"] = False  # its ballots name no voter
    assert_refused(votr, json.dumps(document), "polls[6].ballots[0].voter: is missing")
    document = copy_of(good)
    document["polls"][6]["ballots"][0] = {"options": [ranked["options"][0]["option"]] * 2}
    assert_refused(votr, json.dumps(document), "polls[6].ballots[0].options: option 'red' is given twice")


def copy_of(document: dict) -> dict:
    return json.loads(json.dumps(document))


def test_a_damaged_secret_ballot_is_not_exported_and_an_import_replaces_its_poll(votr, database_url):
    ids = fill_policies(votr, None)
    document = votr("export").stdout
    run_sql(database_url, "UPDATE secret_ballots SET choices = 'AA' WHERE topic_id = "
                          "(SELECT id FROM topics WHERE public_id = :poll)", poll=ids[6])

    refused = votr("export", "--json")

    assert refused.exit_code == 5 and refused.stdout == ""
    assert refused.error().startswith(f"cannot export poll {ids[6]}: one of its secret ballots is not a valid "
                                      "ranked ballot of it (")
    repaired = votr("import", "-", "--json", input=document)
    assert (repaired.json()["updated"], repaired.json()["skipped"]) == (1, len(ids) - 1)
    assert without_time(export(votr, None)) == without_time(json.loads(document))


# -- invites (version 4) ---------------------------------------------------------------


def test_invites_travel_as_hashes_and_their_links_keep_working(votr, sqlite_file):
    """Exported from one database and imported into another: the poll stays invite-only,
    its invited voters and their hashes come along, no token is in the document, and a
    link made in the first database signs its voter in to the second."""
    from votr_cli.service import invites as invite_service
    from votr_cli.frontends import settings

    assert votr("--db", sqlite_file, "create", "Venue", "lake", "city", "--invite-only").exit_code == 0
    given = votr("--db", sqlite_file, "invite", "Venue", "Ann", "bob", "--json").json()["invites"]
    assert votr("--db", sqlite_file, "vote", "Venue", "lake", "--voter", "bob").exit_code == 0
    document = export(votr, sqlite_file)
    [poll] = document["polls"]
    assert poll["invite_only"] is True
    assert [(invite["voter"], len(invite["token_hash"])) for invite in poll["invites"]] == [("Ann", 64), ("bob", 64)]
    raw = json.dumps(document)
    assert not any(entry["token"] in raw for entry in given)

    outcome = votr("import", "-", input=raw)

    assert outcome.exit_code == 0, outcome.stderr
    assert votr("invites", "Venue", "--json").json() == votr("--db", sqlite_file, "invites", "Venue",
                                                              "--json").json()
    assert votr("vote", "Venue", "city", "--voter", "cy").exit_code == 4
    again = votr("import", "-", "--json", input=raw).json()
    assert (again["added"], again["updated"], again["skipped"]) == (0, 0, 1)
    database = settings.database(None)
    try:
        assert invite_service.voter_for_token(database, "Venue", given[0]["token"]) == "Ann"
    finally:
        database.dispose()


def test_a_version_3_document_has_no_invites(votr, sqlite_file):
    assert votr("--db", sqlite_file, "create", "Venue", "lake", "city", "--invite-only").exit_code == 0
    votr("--db", sqlite_file, "invite", "Venue", "ann")
    document = export(votr, sqlite_file)
    document["version"] = 3  # invite_only and invites are not keys of version 3: ignored
    outcome = votr("import", "-", input=json.dumps(document))
    assert outcome.exit_code == 0, outcome.stderr
    assert votr("list", "--json").json()["Polls"][0]["invite_only"] is False
    assert votr("invites", "Venue", "--json").json() == {"invites": []}


@pytest.mark.parametrize("change, message", [
    ({"token_hash": "A" * 64}, "polls[0].invites[0].token_hash: must be a SHA-256 in lowercase hex (64 characters)"),
    ({"token_hash": "secret-token"}, "polls[0].invites[0].token_hash: must be a SHA-256 in lowercase hex"),
    ({"voter": "BOB"}, "polls[0].invites[1].voter: 'bob' is invited twice to this poll"),
    ({"voter": "a\x1bb"}, "polls[0].invites[0].voter: voter contains a control character (U+001B)"),
])
def test_a_bad_invite_is_refused_and_nothing_is_imported(votr, sqlite_file, change, message):
    assert votr("--db", sqlite_file, "create", "Venue", "lake", "city", "--invite-only").exit_code == 0
    votr("--db", sqlite_file, "invite", "Venue", "ann", "bob")
    document = export(votr, sqlite_file)
    document["polls"][0]["invites"][0].update(change)
    outcome = votr("import", "-", input=json.dumps(document))
    assert outcome.exit_code == 1
    assert message in outcome.stderr
    assert votr("list", "--json").json() == {"Polls": []}


def test_a_token_hash_another_poll_holds_is_refused(votr, sqlite_file):
    assert votr("--db", sqlite_file, "create", "Venue", "lake", "city").exit_code == 0
    votr("--db", sqlite_file, "invite", "Venue", "ann")
    document = export(votr, sqlite_file)
    assert votr("create", "Here", "a", "b").exit_code == 0
    votr("invite", "Here", "ann")
    here = export(votr, None)["polls"][0]["invites"][0]["token_hash"]
    document["polls"][0]["invites"][0]["token_hash"] = here
    outcome = votr("import", "-", input=json.dumps(document))
    assert outcome.exit_code == 4
    assert "has the token hash of an invite to poll" in outcome.stderr
