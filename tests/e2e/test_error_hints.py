"""Errors that suggest the fix: an unknown poll names the closest titles (or ids), a
database URL mistake names the URL to use, a global option given after the command says
where it goes, and with --json every usage error is {"error": …} on stderr."""

from __future__ import annotations

import json

import pytest

from votr_cli.core import polls as rules


@pytest.fixture
def lunch(votr):
    created = votr("create", "Lunch today?", "pizza", "sushi", "--json")
    assert created.exit_code == 0, created.stderr
    assert votr("create", "Best editor", "vim", "emacs").exit_code == 0
    return created.json()["poll"]["id"]


def one_error_line(outcome, code: int) -> str:
    assert outcome.exit_code == code, (outcome.stdout, outcome.stderr)
    assert outcome.stdout == ""
    assert outcome.stderr.startswith("Error: ") and outcome.stderr.count("\n") == 1, outcome.stderr
    return outcome.stderr.removeprefix("Error: ").rstrip("\n")


# -- an unknown poll ------------------------------------------------------------------


@pytest.mark.parametrize("command", [["show"], ["close"], ["reopen"], ["vote", "--voter", "ann"],
                                     ["unvote", "--voter", "ann"]])
def test_an_unknown_poll_suggests_the_closest_title(votr, lunch, command):
    args = [command[0], "Lnch today", *(["pizza"] if command[0] == "vote" else []), *command[1:]]
    said = one_error_line(votr(*args), 3)
    assert said == "no poll with id or title 'Lnch today'; did you mean 'Lunch today?'?"


def test_the_suggestion_compares_folded_titles_and_shows_the_stored_spelling(votr, lunch):
    outcome = votr("show", "LUNCH TODAI?", "--json")
    assert outcome.exit_code == 3 and outcome.stdout == ""
    assert outcome.error() == "no poll with id or title 'LUNCH TODAI?'; did you mean 'Lunch today?'?"


def test_a_mistyped_id_suggests_the_id(votr, lunch):
    typo = lunch[:-1] + ("2" if lunch[-1] != "2" else "3")
    said = one_error_line(votr("show", typo), 3)
    assert said == f"no poll with id or title {typo!r}; did you mean {lunch!r}?"


def test_nothing_close_suggests_nothing(votr, lunch):
    assert one_error_line(votr("show", "Quarterly budget"), 3) == "no poll with id or title 'Quarterly budget'"


def test_at_most_a_few_suggestions(votr):
    for number in range(8):
        assert votr("create", f"Team lunch {number}", "pizza", "sushi").exit_code == 0
    said = one_error_line(votr("show", "Team lunch"), 3)
    assert said.count("'Team lunch ") == rules.SUGGESTIONS
    assert said.startswith("no poll with id or title 'Team lunch'; did you mean 'Team lunch ")


def test_suggested_titles_are_shown_literally(votr):
    assert votr("create", "[bold]Lunch[/bold]", "pizza", "sushi").exit_code == 0
    said = one_error_line(votr("show", "[bold]Lunch[/bol]"), 3)
    assert said.endswith("did you mean '[bold]Lunch[/bold]'?")


def test_a_batch_suggests_per_line_and_bounds_its_lookups(votr, lunch, tmp_path):
    lines = [{"poll": "Lunch tday?", "option": "pizza", "voter": "ann"},
             {"poll": "Lunch today?", "option": "pizza", "voter": "bo"}]
    # More distinct unknown polls than a batch looks up suggestions for.
    lines += [{"poll": f"Lunch today {number}", "option": "pizza", "voter": f"v{number}"}
              for number in range(30)]
    batch = tmp_path / "votes.jsonl"
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines))
    outcome = votr("vote", "--batch", str(batch), "--json")
    assert outcome.exit_code == 3
    errors = {entry["line"]: entry["error"] for entry in outcome.json()["rejected"]}
    assert errors[1] == "no poll with id or title 'Lunch tday?'; did you mean 'Lunch today?'?"
    suggested = [errors[number] for number in range(3, 33) if "did you mean" in errors[number]]
    from votr_cli.service.polls import BATCH_SUGGESTED

    assert len(suggested) == BATCH_SUGGESTED - 1  # line 1 had one of them
    assert outcome.json()["accepted"] == 1


def test_suggestions_come_from_a_bounded_set_of_candidates(votr, monkeypatch):
    for number in range(6):
        assert votr("create", f"Lunch {number}", "pizza", "sushi").exit_code == 0
    monkeypatch.setattr(rules, "SUGGESTION_CANDIDATES", 2)
    said = one_error_line(votr("show", "Lunch"), 3)
    assert said.count("'Lunch ") == 2


# -- database URLs --------------------------------------------------------------------


@pytest.mark.parametrize("url, fix", [
    ("postgres://ann:s3cret@db.example.org/votr", "use a postgresql+psycopg:// URL, "
                                                 "postgresql+psycopg://ann:***@db.example.org/votr"),
    ("postgresql+psycopg2://ann@db.example.org/votr", "postgresql+psycopg://ann@db.example.org/votr"),
    ("mysql://root@db.example.org/votr", "use a mysql+pymysql:// URL, mysql+pymysql://root@db.example.org/votr"),
    ("mariadb://root@db.example.org/votr?charset=utf8mb4",
     "mysql+pymysql://root@db.example.org/votr?charset=utf8mb4"),
    ("sqlite://votes.db", "use sqlite:///votes.db"),
    ("sqlite://folder/votes.db", "use sqlite:///folder/votes.db"),
    ("sqlite:/tmp/votes.db", "use sqlite:////tmp/votes.db"),
    ("sqlite:votes.db", "use sqlite:///votes.db"),
    ("oracle+nodriver://u@h/x", "use sqlite:///PATH (or a plain file path), "
                                "postgresql+psycopg://USER@HOST/DATABASE or mysql+pymysql://USER@HOST/DATABASE"),
    ("http://example.org/votr", "postgresql+psycopg://USER@HOST/DATABASE"),
])
def test_a_url_mistake_names_the_url_to_use(votr, url, fix):
    said = one_error_line(votr("--db", url, "list"), 5)
    assert fix in said
    assert "s3cret" not in said


def test_a_url_hint_in_json(votr):
    outcome = votr("--db", "postgres://ann@db.example.org/votr", "list", "--json")
    assert outcome.exit_code == 5 and outcome.stdout == ""
    assert "postgresql+psycopg://ann@db.example.org/votr" in outcome.error()


def test_a_missing_driver_names_the_extra(votr):
    said = one_error_line(votr("--db", "postgresql+psycopg2://ann@db.example.org/votr", "list"), 5)
    assert "pip install 'votr-cli[postgresql]'" in said


# -- a global option after the command -------------------------------------------------


def test_db_after_the_command_says_where_it_goes(votr, tmp_path):
    outcome = votr("list", "--db", "x.db", "--status", "open")
    assert outcome.exit_code == 2 and outcome.stdout == ""
    assert outcome.stderr.startswith("Usage: votr list")  # still click's usage text
    assert outcome.stderr.rstrip("\n").endswith(
        "Error: --db is a global option: put it before the command: votr --db x.db list --status open")


@pytest.mark.parametrize("args, fix", [
    (["list", "--db=my votes.db"], "votr '--db=my votes.db' list"),
    (["show", "Lunch", "--db"], "votr --db URL show Lunch"),
    (["list", "-V"], "-V is a global option: put it before the command: votr -V"),
    (["show", "Lunch", "--version"], "--version is a global option: put it before the command: votr --version"),
])
def test_global_options_after_the_command(votr, args, fix):
    outcome = votr(*args)
    assert outcome.exit_code == 2 and outcome.stdout == ""
    assert fix in outcome.stderr.splitlines()[-1]


def test_a_global_option_after_the_command_with_json(votr):
    outcome = votr("list", "--json", "--db", "x.db")
    assert outcome.exit_code == 2 and outcome.stdout == ""
    assert outcome.error() == "--db is a global option: put it before the command: votr --db x.db list --json"


def test_an_unknown_option_that_is_not_global_keeps_clicks_words(votr):
    outcome = votr("list", "--bogus")
    assert outcome.exit_code == 2
    assert outcome.stderr.rstrip("\n").endswith("Error: No such option '--bogus'.")


# -- usage errors with --json -----------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["create", "--json"], "Missing argument 'TITLE'."),
    (["show", "--json"], "Missing argument 'POLL'."),
    (["vote", "Lunch", "--json"], "Missing argument 'OPTION...': name the options, or run votr vote POLL in a terminal to choose them on a ballot."),
    (["list", "--status", "bogus", "--json"],
     "Invalid value for '--status': 'bogus' is not one of 'open', 'closed', 'all'."),
    (["nosuch", "--json"], "No such command 'nosuch'."),
    (["--bogus", "list", "--json"], "No such option '--bogus'."),
    (["list", "--bogus", "--format", "json"], "No such option '--bogus'."),
    (["list", "--bogus", "--format=ndjson"], "No such option '--bogus'."),
])
def test_usage_errors_with_json_are_json_on_stderr(votr, args, message):
    outcome = votr(*args)
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert json.loads(outcome.stderr) == {"error": message}
    assert outcome.stderr.count("\n") == 1


def test_usage_errors_without_json_keep_clicks_usage_text(votr):
    outcome = votr("create")
    assert outcome.exit_code == 2 and outcome.stdout == ""
    assert outcome.stderr.startswith("Usage: votr create")
    assert outcome.stderr.rstrip("\n").endswith("Error: Missing argument 'TITLE'.")


def test_json_after_a_double_dash_is_an_argument(votr, lunch):
    outcome = votr("vote", "--", "--json")
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("Usage: ")


@pytest.mark.parametrize("args, fix", [
    (["--voter", "ann", "list"], "--voter is an option of the command: put it after it: votr list --voter ann"),
    (["--db", "x.db", "--status", "open", "list"],
     "--status is an option of the command: put it after it: votr --db x.db list --status open"),
    (["--json", "show", "A b"], "--json is an option of the command: put it after it: votr show 'A b' --json"),
])
def test_a_command_option_before_the_command_says_where_it_goes(votr, args, fix):
    outcome = votr(*args)
    assert outcome.exit_code == 2 and outcome.stdout == ""
    said = json.loads(outcome.stderr)["error"] if "--json" in args else outcome.stderr.splitlines()[-1]
    assert said.removeprefix("Error: ") == fix


@pytest.mark.parametrize("first", ["%", "\\", "_x", "😀", "'", "ǅ", "ß"])
def test_suggestions_for_titles_that_begin_with_unusual_characters(votr, first):
    # LIKE's wildcards and escape, a character outside the BMP, title case, a letter
    # that folds to two: the candidates' prefix is matched literally on every backend.
    assert votr("create", "Lunch today?", "pizza", "sushi").exit_code == 0
    assert votr("create", f"{first} party", "a", "b").exit_code == 0
    said = one_error_line(votr("show", f"{first} part"), 3)
    assert said.endswith(f"did you mean {f'{first} party'!r}?")
