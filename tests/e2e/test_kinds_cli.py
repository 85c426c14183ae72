"""Poll kinds through the command line: `create --kind/--method/--min/--max`, `vote POLL
OPTION…` and `OPTION=SCORE`, batch files with `options` and `scores` in JSON Lines and CSV,
and the exit codes of every refusal, on the selected backend.
"""

from __future__ import annotations

import json

import pytest

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

CAPITAL = "State capital"
CITIES = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]


def made(outcome) -> dict:
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["poll"]


def test_each_kind_is_created_with_its_keys(votr):
    ranked = made(votr("create", CAPITAL, *CITIES, "--kind", "ranked", "--max", "3", "--json"))
    assert {key: ranked[key] for key in ("kind", "method", "min_choices", "max_choices", "voter_count", "winners")} == {
        "kind": "ranked", "method": "irv", "min_choices": 1, "max_choices": 3, "voter_count": 0, "winners": []}
    schulze = made(votr("create", "Other", "a", "b", "--kind", "ranked", "--method", "schulze", "--json"))
    assert (schulze["method"], schulze["max_choices"]) == ("schulze", 2)
    score = made(votr("create", "Logo", "red", "blue", "--kind", "score", "--method", "score", "--json"))
    assert (score["kind"], score["method"], score["max_choices"]) == ("score", "score", 2)


@pytest.mark.parametrize("arguments, message", [
    (["--kind", "ranking"], "kind must be one of single, multiple, ranked, score, not 'ranking'"),
    (["--kind", "score", "--method", "irv"], "method 'irv' does not fit a score poll: use star or score"),
    (["--min", "2"], "min and max choices are only for multiple and ranked polls, not single"),
    (["--kind", "multiple", "--min", "3", "--max", "2"], "min choices (3) is more than max choices (2)"),
    (["--kind", "ranked", "--max", "5"], "max choices (5) is more than the poll's 3 options"),
])
def test_a_shape_that_does_not_fit_is_exit_1_and_nothing_is_created(votr, arguments, message):
    outcome = votr("create", "Poll", "a", "b", "c", *arguments, "--json")
    assert (outcome.exit_code, outcome.error()) == (1, message)
    assert votr("list", "--json").json() == {"Polls": []}


def test_a_bound_that_is_not_a_number_is_a_usage_error(votr):
    assert votr("create", "Poll", "a", "b", "--kind", "multiple", "--max", "two").exit_code == 2


def test_a_ranked_ballot_in_order_of_preference(votr):
    poll_id = made(votr("create", CAPITAL, *CITIES, "--kind", "ranked", "--json"))["id"]
    voted = made(votr("vote", poll_id, "knoxville", "Chattanooga", "--voter", "ann", "--json"))
    assert [option["vote_count"] for option in voted["options"]] == [0, 0, 0, 1]
    assert voted["winners"] == ["Knoxville"]
    shown = votr("show", poll_id, "--json").json()["Polls"][0]
    assert shown["tally"]["rounds"] == [{"counts": dict.fromkeys(CITIES[:3], 0) | {"Knoxville": 1},
                                         "exhausted": 0, "eliminated": []}]


@pytest.mark.parametrize("ballot, code, message", [
    (["Memphis", "memphis"], 1, "option 'memphis' is given twice"),
    (["Memphis", "Nashville", "Chattanooga"], 1, "this ranked poll takes from 1 to 2 options, not 3"),
    (["Memphis", "Atlanta"], 3, f"poll {CAPITAL!r} has no option 'Atlanta' (its options: "
                                "'Memphis', 'Nashville', 'Chattanooga', 'Knoxville')"),
])
def test_a_ranked_ballot_that_does_not_fit_is_refused_and_writes_nothing(votr, ballot, code, message):
    votr("create", CAPITAL, *CITIES, "--kind", "ranked", "--max", "2")
    outcome = votr("vote", CAPITAL, *ballot, "--voter", "ann", "--json")
    assert (outcome.exit_code, outcome.error()) == (code, message)
    assert votr("show", CAPITAL, "--json").json()["Polls"][0]["voter_count"] == 0
    assert votr("vote", CAPITAL, "Memphis", "--voter", "ann").exit_code == 0  # ann has not voted


def test_score_pairs(votr):
    votr("create", "Logo", "red", "blue", "green", "--kind", "score")
    assert votr("vote", "Logo", "red=5", "blue=2", "--voter", "ann").exit_code == 0
    assert votr("vote", "Logo", "blue=5", "--voter", "bo").exit_code == 0
    poll = votr("show", "Logo", "--json").json()["Polls"][0]
    assert [option["vote_count"] for option in poll["options"]] == [5, 7, 0]
    assert poll["tally"]["runoff"] == {"finalists": ["red", "blue"], "preferred": {"red": 1, "blue": 1}, "equal": 0}
    assert poll["winners"] == ["blue"]  # a tied runoff goes to the higher total


@pytest.mark.parametrize("pair, message", [
    ("red", "'red' is not OPTION=SCORE"),
    ("red=9", "the score of 'red' must be from 0 to 5, not 9"),
    ("red=2.5", "the score of 'red' must be an integer from 0 to 5, not '2.5'"),
])
def test_a_bad_pair_is_exit_1(votr, pair, message):
    votr("create", "Logo", "red", "blue", "--kind", "score")
    outcome = votr("vote", "Logo", pair, "--json")
    assert (outcome.exit_code, outcome.error()) == (1, message)


def test_a_single_poll_takes_exactly_one_option(votr):
    votr("create", "Lunch", "pizza", "sushi")
    outcome = votr("vote", "Lunch", "pizza", "sushi", "--json")
    assert (outcome.exit_code, outcome.error()) == (1, "a single-choice poll takes exactly one option, not 2")
    assert votr("vote", "Lunch").exit_code == 2  # no OPTION at all: a usage error


def test_a_batch_of_every_kind_in_json_lines_and_csv(votr, tmp_path):
    votr("create", "Lunch", "pizza", "sushi", "tacos", "--kind", "multiple")
    votr("create", CAPITAL, *CITIES, "--kind", "ranked")
    votr("create", "Logo", "red", "blue", "--kind", "score")
    lines = [
        {"poll": "Lunch", "options": ["pizza", "tacos"], "voter": "ann"},
        {"poll": CAPITAL, "options": ["Knoxville", "Memphis"], "voter": "ann"},
        {"poll": "Logo", "scores": {"red": 4, "blue": 1}, "voter": "ann"},
        {"poll": "Logo", "scores": {"red": "4"}, "voter": "bo"},
        {"poll": "Lunch", "options": "pizza", "voter": "bo"},
        {"poll": "Lunch", "option": "pizza", "options": ["sushi"], "voter": "cy"},
    ]
    batch = tmp_path / "votes.jsonl"
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines))
    outcome = votr("vote", "--batch", str(batch), "--json")
    summary = outcome.json()
    assert outcome.exit_code == 1 and summary["accepted"] == 3
    assert [(entry["line"], entry["error"]) for entry in summary["rejected"]] == [
        (4, "the score of 'red' must be an integer, not \"4\""),
        (5, "options must be a list of option names"),
        (6, "give one of option, options and scores, not option and options"),
    ]
    csv = tmp_path / "votes.csv"
    csv.write_text("poll,voter,options,scores\n"
                   f"Lunch,bo,sushi|tacos,\n{CAPITAL},bo,Nashville|Memphis|Knoxville,\nLogo,bo,,blue=5|red=0\n")
    assert votr("vote", "--batch", str(csv)).exit_code == 0
    polls = {poll["title"]: poll for poll in votr("list", "--json").json()["Polls"]}
    assert [o["vote_count"] for o in polls["Lunch"]["options"]] == [1, 1, 2]
    assert [o["vote_count"] for o in polls[CAPITAL]["options"]] == [0, 1, 0, 1]
    assert [o["vote_count"] for o in polls["Logo"]["options"]] == [4, 6]
    assert [poll["voter_count"] for poll in polls.values()] == [2, 2, 2]
