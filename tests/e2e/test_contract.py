"""The command-line contract (the README's "Command-line contract"), line by line, through click's CliRunner.

Each test runs against a fresh database of the selected backend.
"""

import re

import pytest
import sqlalchemy as sa

from tests.documents import single_choice_keys

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

ID = re.compile(r"^[23456789a-hjkmnp-z]{8}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
EPL = "Which side is going to win the EPL this season"


def poll(title, options, *, status=True, close_date=None, id=None):
    """The contract's poll object, for exact comparison."""
    choices = [{"name": name, "vote_count": count} for name, count in options]
    return {"id": id, "title": title, "status": status, "options": choices,
            "close_date": close_date, "total_vote_count": sum(count for _, count in options),
            **single_choice_keys(choices)}


def created_id(outcome):
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["poll"]["id"]


@pytest.fixture
def epl(votr):
    return created_id(votr("create", EPL, "Arsenal", "Spurs", "--json"))


# -- create -------------------------------------------------------------------------


def test_create_prints_the_seed_message_and_the_poll(votr):
    outcome = votr("create", EPL, "Arsenal", "Spurs", "--json")
    assert outcome.exit_code == 0
    assert outcome.stderr == ""
    document = outcome.json()
    assert ID.match(document["poll"]["id"])
    assert document == {"message": "Poll was created succesfully",
                        "poll": poll(EPL, [("Arsenal", 0), ("Spurs", 0)], id=document["poll"]["id"])}


def test_create_links_existing_options_keeping_the_first_spelling(votr):
    votr("create", "who's the fastest footballer", "Hector bellerin", "Gareth Bale", "Arjen robben")
    outcome = votr("create", "who's the best footballer on the planet",
                   "Lionel Messi", "gareth  bale", "Cristiano Ronaldo", "Alexis sanchez", "--json")
    assert [o["name"] for o in outcome.json()["poll"]["options"]] == [
        "Lionel Messi", "Gareth Bale", "Cristiano Ronaldo", "Alexis sanchez"]
    names = [o["name"] for o in votr("options", "--json").json()]
    assert names.count("Gareth Bale") == 1 and len(names) == 6


# The validation rules themselves are pinned in tests/service/test_create.py; here, what
# the CLI adds: exit 1, nothing on stdout, the message on stderr, nothing written, and
# the --closes-at values the CLI parses.
@pytest.mark.parametrize("args, message", [
    (["   ", "a", "b"], "value for title is empty"),
    (["Title"], "value for options is empty"),
    (["Title", "a", "line\nbreak"], "option contains a control character (U+000A)"),
    (["Title", "a", "b", "--closes-at", "yesterday"],
     "closes-at is not an ISO-8601 date-time or a duration like 30m or 3d: 'yesterday'"),
    (["Title", "a", "b", "--closes-at", "2001-01-01T00:00:00Z"],
     "closes-at lies in the past: '2001-01-01T00:00:00Z'"),
])
def test_invalid_create_exits_1_and_writes_nothing(votr, args, message):
    outcome = votr("create", *args, "--json")
    assert (outcome.exit_code, outcome.stdout) == (1, "")
    assert outcome.error() == message
    assert votr("list", "--json").json() == {"Polls": []}
    assert votr("options", "--json").json() == []


def test_create_refuses_a_taken_title_whatever_its_case_and_spacing(votr, epl):
    outcome = votr("create", "which side is going  to win the EPL THIS season", "a", "b", "--json")
    assert outcome.exit_code == 4
    assert outcome.error() == f"title taken: poll {epl} is already titled " \
                              "'which side is going to win the EPL THIS season'"
    assert len(votr("list", "--json").json()["Polls"]) == 1


def test_create_with_a_close_date(votr):
    outcome = votr("create", "Later", "a", "b", "--closes-at", "2099-06-01T12:00:00Z", "--json")
    assert outcome.json()["poll"]["close_date"] == "2099-06-01T12:00:00Z"
    assert outcome.json()["poll"]["status"] is True


# -- list, show, options ----------------------------------------------------------------


def test_list_of_an_empty_database(votr):
    outcome = votr("list", "--json")
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (0, '{"Polls": []}\n', "")


def test_list_is_in_creation_order_with_counts(votr):
    ids = [created_id(votr("create", f"Poll {n}", "yes", "no", "--json")) for n in (3, 1, 2)]
    votr("vote", ids[1], "no", "--voter", "ann")
    assert votr("list", "--json").json() == {"Polls": [
        poll("Poll 3", [("yes", 0), ("no", 0)], id=ids[0]),
        poll("Poll 1", [("yes", 0), ("no", 1)], id=ids[1]),
        poll("Poll 2", [("yes", 0), ("no", 0)], id=ids[2]),
    ]}


def test_list_filters_by_status(votr):
    open_id = created_id(votr("create", "Open one", "a", "b", "--json"))
    closed_id = created_id(votr("create", "Closed one", "a", "b", "--json"))
    votr("close", closed_id)
    ids = lambda status: [p["id"] for p in votr("list", "--status", status, "--json").json()["Polls"]]
    assert ids("open") == [open_id]
    assert ids("closed") == [closed_id]
    assert ids("all") == [open_id, closed_id]
    assert votr("list", "--status", "maybe").exit_code == 2


def test_show_by_id_or_exact_title(votr, epl):
    by_id = votr("show", epl, "--json")
    shown = {**poll(EPL, [("Arsenal", 0), ("Spurs", 0)], id=epl), "tally": {"counts": {"Arsenal": 0, "Spurs": 0}}}
    assert by_id.json() == {"Polls": [shown]}
    assert votr("show", EPL.upper(), "--json").json() == by_id.json()
    assert votr("show", f"  {EPL}  ", "--json").json() == by_id.json()


def test_show_tries_the_id_before_the_title(votr):
    first = created_id(votr("create", "First", "a", "b", "--json"))
    second = created_id(votr("create", first, "c", "d", "--json"))  # titled like the first's id
    assert votr("show", first, "--json").json()["Polls"][0]["id"] == first
    assert second != first


@pytest.mark.parametrize("ref", ["%", "_", "Which side%", "nope"])
def test_wildcards_and_unknown_polls_are_not_found(votr, epl, ref):
    outcome = votr("show", ref, "--json")
    assert (outcome.exit_code, outcome.stdout) == (3, "")
    assert outcome.error() == f"no poll with id or title {ref!r}"


def test_options_have_stable_uuids(votr, epl):
    first = votr("options", "--json").json()
    assert [o["name"] for o in first] == ["Arsenal", "Spurs"]
    assert all(UUID.match(o["id"]) for o in first)
    assert votr("options", "--json").json() == first


# -- vote -------------------------------------------------------------------------------


def test_vote_counts_and_thanks(votr, epl):
    outcome = votr("vote", epl, "arsenal", "--voter", "ann", "--json")
    assert outcome.exit_code == 0
    assert outcome.json() == {"message": "Thank you for voting",
                              "poll": poll(EPL, [("Arsenal", 1), ("Spurs", 0)], id=epl)}


def test_one_vote_per_voter_whatever_the_case(votr, epl):
    assert votr("vote", epl, "Arsenal", "--voter", "Ann").exit_code == 0
    outcome = votr("vote", epl, "Spurs", "--voter", " ANN ", "--json")
    assert (outcome.exit_code, outcome.stdout) == (4, "")
    assert outcome.error() == "Sorry! multiple votes are not allowed: 'ann' has already voted in this poll"
    assert votr("show", epl, "--json").json()["Polls"][0]["total_vote_count"] == 1


def test_voter_comes_from_flag_then_env_then_login(votr, epl, monkeypatch):
    monkeypatch.setenv("VOTR_VOTER", "from-env")
    assert votr("vote", epl, "Arsenal").exit_code == 0
    assert votr("vote", epl, "Arsenal").exit_code == 4  # same env voter
    assert votr("vote", epl, "Arsenal", "--voter", "someone else").exit_code == 0
    monkeypatch.setenv("VOTR_VOTER", "")  # empty counts as unset: the login name is used
    monkeypatch.setenv("LOGNAME", "login-user")
    assert votr("vote", epl, "Spurs").exit_code == 0
    assert votr("vote", epl, "Spurs", "--voter", "LOGIN-USER").exit_code == 4


@pytest.mark.parametrize("option", ["%", "_", "Arsen%", "Chelsea"])
def test_vote_matches_options_exactly(votr, epl, option):
    outcome = votr("vote", epl, option, "--json")
    assert outcome.exit_code == 3
    assert outcome.error() == f"poll {EPL!r} has no option {option!r} (its options: 'Arsenal', 'Spurs')"
    assert votr("show", epl, "--json").json()["Polls"][0]["total_vote_count"] == 0


def test_vote_needs_an_option_of_that_poll(votr, epl):
    votr("create", "Other", "Chelsea", "Spurs")
    assert votr("vote", epl, "Chelsea").exit_code == 3
    assert votr("vote", "Other", "Spurs").exit_code == 0  # a shared option counts per poll
    assert votr("show", epl, "--json").json()["Polls"][0]["total_vote_count"] == 0


def test_a_bad_voter_name_is_exit_1(votr, epl):
    # The voter rules are pinned in tests/service/test_vote.py.
    outcome = votr("vote", epl, "Arsenal", "--voter", "", "--json")
    assert (outcome.exit_code, outcome.stdout) == (1, "")
    assert outcome.error() == "value for voter is empty"


# -- close and reopen ------------------------------------------------------------------


def test_close_then_vote_is_refused(votr, epl):
    closed = votr("close", epl, "--json")
    assert closed.exit_code == 0
    document = closed.json()
    assert document["message"] == "Poll closed"
    assert document["poll"]["status"] is False
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", document["poll"]["close_date"])
    outcome = votr("vote", epl, "Arsenal", "--json")
    assert outcome.exit_code == 4
    assert outcome.error() == f"poll {EPL!r} is closed"


def test_closing_a_closed_poll_is_not_an_error(votr, epl):
    first = votr("close", epl, "--json").json()
    again = votr("close", epl, "--json")
    assert again.exit_code == 0
    assert again.json() == {"message": "Poll was already closed", "poll": first["poll"]}


def test_reopen_clears_or_sets_the_close_date(votr, epl):
    votr("close", epl)
    reopened = votr("reopen", epl, "--json").json()
    assert reopened["message"] == "Poll reopened"
    assert (reopened["poll"]["status"], reopened["poll"]["close_date"]) == (True, None)
    assert votr("vote", epl, "Spurs").exit_code == 0
    again = votr("reopen", epl, "--json")
    assert (again.exit_code, again.json()["message"]) == (0, "Poll was already open")
    dated = votr("reopen", epl, "--closes-at", "2099-01-01T00:00:00Z", "--json").json()
    assert dated["poll"]["close_date"] == "2099-01-01T00:00:00Z"


def test_a_poll_past_its_close_date_is_closed_everywhere(votr, epl, database_url):
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE topics SET close_date = :past"), {"past": "2001-02-03 04:05:06"})
    engine.dispose()
    shown = votr("show", epl, "--json").json()["Polls"][0]
    assert (shown["status"], shown["close_date"]) == (False, "2001-02-03T04:05:06Z")
    assert [p["id"] for p in votr("list", "--status", "closed", "--json").json()["Polls"]] == [epl]
    assert votr("list", "--status", "open", "--json").json() == {"Polls": []}
    assert votr("vote", epl, "Arsenal").exit_code == 4
    assert votr("close", epl, "--json").json()["message"] == "Poll was already closed"
    assert votr("reopen", epl, "--json").json()["poll"]["status"] is True


# -- errors and output forms -----------------------------------------------------------


def test_errors_without_json_are_one_line_on_stderr(votr):
    outcome = votr("show", "missing")
    assert (outcome.exit_code, outcome.stdout) == (3, "")
    assert outcome.stderr == "Error: no poll with id or title 'missing'\n"


def test_usage_errors_keep_clicks_text(votr):
    outcome = votr("vote")
    assert outcome.exit_code == 2
    assert "Missing argument 'POLL'" in outcome.stderr
    assert "Usage: votr vote" in outcome.stderr


def test_piped_output_is_plain_tab_separated_lines(votr, epl):
    votr("vote", epl, "Arsenal", "--voter", "ann")
    assert votr("list").stdout == f"{epl}\topen\t{EPL}\tArsenal: 1, Spurs: 0\tsingle\tplurality\tArsenal\t1\t-\n"
    assert votr("show", epl).stdout == (
        f"id: {epl}\ntitle: {EPL}\nstatus: open\nclose_date: -\ntotal_vote_count: 1\n"
        "kind: single\nmethod: plurality\nvoter_count: 1\nwinners: Arsenal\ncounts: votes\n"
        "Arsenal\t1\t100.0%\tleader\nSpurs\t0\t0.0%\n")
    assert votr("vote", epl, "Spurs", "--voter", "bob").stdout == \
        f"Thank you for voting: {epl}\topen\t{EPL}\n"
    assert "\x1b" not in votr("list").stdout


def test_user_text_is_shown_literally(votr):
    pid = created_id(votr("create", "[bold]Loud[/] %s {0}", "[red]x", "y", "--json"))
    assert votr("show", pid).stdout.splitlines()[1] == "title: [bold]Loud[/] %s {0}"
    assert votr("list").stdout.split("\t")[2] == "[bold]Loud[/] %s {0}"


def test_every_command_has_help_with_an_example(votr):
    from votr_cli.frontends.cli import main

    commands = set(main.commands)
    assert {"create", "list", "show", "options", "vote", "close", "reopen",
            "db-upgrade", "db-downgrade", "db-current", "db-history"} <= commands
    for command in sorted(commands):
        outcome = votr(command, "--help")
        assert outcome.exit_code == 0, command
        assert "Example" in outcome.stdout and f"votr {command}" in outcome.stdout, command
        assert "--json" in outcome.stdout, command


def test_version(votr):
    from votr_cli import __version__

    assert votr("--version").stdout == f"votr, version {__version__}\n"
