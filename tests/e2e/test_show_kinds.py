"""`votr show` and `votr list` of ranked and score polls, through the real CLI on the
selected backend: the Tennessee example's 100 voters cast by `vote --batch`, then the
count read back as plain lines (piped) and as tables (a pseudo-terminal)."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.test_terminal_safety import RICH_STYLE, assert_terminal_safe, run_in_terminal

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

TITLE = "Capital of Tennessee"
TENNESSEE = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]
RANKINGS = [((0, 1, 2, 3), 42), ((1, 2, 3, 0), 26), ((2, 3, 1, 0), 15), ((3, 2, 1, 0), 17)]


def _batch(line) -> str:
    """One JSON line per voter: `line(ranking)` gives the ballot's fields."""
    lines, voter = [], 0
    for ranking, weight in RANKINGS:
        for _ in range(weight):
            voter += 1
            lines.append(json.dumps({"poll": TITLE, "voter": f"voter {voter}", **line(ranking)}))
    return "\n".join(lines) + "\n"


def _ranked_poll(votr, *create_args: str) -> str:
    created = votr("create", TITLE, *TENNESSEE, "--kind", "ranked", *create_args, "--json")
    assert created.exit_code == 0, created
    batch = _batch(lambda ranking: {"options": [TENNESSEE[i] for i in ranking]})
    voted = votr("vote", "--batch", "-", input=batch)
    assert (voted.exit_code, voted.stdout) == (0, "100 votes recorded, 0 lines rejected\n"), voted
    return created.json()["poll"]["id"]


def test_show_of_an_irv_poll_reads_out_the_rounds(votr, votr_env):
    poll = _ranked_poll(votr)
    assert votr("show", poll).stdout == (
        f"id: {poll}\ntitle: {TITLE}\nstatus: open\nclose_date: -\ntotal_vote_count: 100\n"
        "kind: ranked\nmethod: irv\nvoter_count: 100\nwinners: Knoxville\ncounts: first preferences\n"
        "Memphis\t42\t42.0%\nNashville\t26\t26.0%\nChattanooga\t15\t15.0%\nKnoxville\t17\t17.0%\tleader\n"
        "round 1: Memphis 42, Nashville 26, Chattanooga 15, Knoxville 17; exhausted 0; eliminated Chattanooga\n"
        "round 2: Memphis 42, Nashville 26, Knoxville 32; exhausted 0; eliminated Nashville\n"
        "round 3: Memphis 42, Knoxville 58; exhausted 0; winner Knoxville\n")
    assert votr("list").stdout == (
        f"{poll}\topen\t{TITLE}\tMemphis: 42, Nashville: 26, Chattanooga: 15, Knoxville: 17\tranked\tirv\tKnoxville\t100\t-\n")

    screen = run_in_terminal(votr_env, "show", poll)
    assert RICH_STYLE.search(screen), "expected rich's styled output on a terminal"
    text = RICH_STYLE.sub("", screen).replace("\r\n", "\n")
    assert_terminal_safe(text)
    assert "┃ First preferences ┃" in text and "Leading: Knoxville" in text
    assert re.search(r"┃ Option +┃ +Round 1 ┃ +Round 2 ┃ +Round 3 ┃", text)
    assert re.search(r"│ Knoxville +│ +17 │ +32 │ +58 ★ │", text)
    assert re.search(r"│ Chattanooga +│ +15 ✗ │ +· │ +· │", text)
    assert re.search(r"│ eliminated +│ +Chattanooga │ +Nashville │ +- │", text)

    assert votr("close", poll).exit_code == 0
    closed = RICH_STYLE.sub("", run_in_terminal(votr_env, "show", poll))
    assert "Winner: Knoxville" in closed and "★ winner" in closed


def test_show_of_a_schulze_poll_has_the_matrix_and_the_ranking(votr, votr_env):
    poll = _ranked_poll(votr, "--method", "schulze")
    lines = votr("show", poll).stdout.splitlines()
    assert lines[6:9] == ["method: schulze", "voter_count: 100", "winners: Nashville"]
    assert lines[-5:] == [
        "pairwise Memphis over: Nashville 42, Chattanooga 42, Knoxville 42",
        "pairwise Nashville over: Memphis 58, Chattanooga 68, Knoxville 68",
        "pairwise Chattanooga over: Memphis 58, Nashville 32, Knoxville 83",
        "pairwise Knoxville over: Memphis 58, Nashville 32, Chattanooga 17",
        "ranking: Nashville > Chattanooga > Knoxville > Memphis",
    ]
    text = RICH_STYLE.sub("", run_in_terminal(votr_env, "show", poll)).replace("\r\n", "\n")
    assert re.search(r"│ Chattanooga +│ +58 │ +32 │ +- │ +83 │", text)
    assert "Ranking: Nashville > Chattanooga > Knoxville > Memphis" in text


def test_show_of_a_star_poll_has_the_runoff(votr, votr_env):
    created = votr("create", TITLE, *TENNESSEE, "--kind", "score", "--json")
    poll = created.json()["poll"]["id"]
    batch = _batch(lambda ranking: {"scores": {TENNESSEE[i]: score for i, score in zip(ranking, (5, 3, 1))}})
    assert votr("vote", "--batch", "-", input=batch).exit_code == 0
    assert votr("vote", poll, "Memphis=5", "Knoxville=4", "--voter", "one more").exit_code == 0
    lines = votr("show", poll).stdout.splitlines()
    assert lines[5:10] == ["kind: score", "method: star", "voter_count: 101", "winners: Nashville",
                           "counts: total score"]
    assert lines[10:] == ["Memphis\t215\t42.6%", "Nashville\t288\t57.0%\tleader", "Chattanooga\t246\t48.7%",
                          "Knoxville\t160\t31.7%", "runoff: Nashville 68, Chattanooga 32; equal 1"]
    text = RICH_STYLE.sub("", run_in_terminal(votr_env, "show", poll)).replace("\r\n", "\n")
    assert "Automatic runoff" in text and re.search(r"│ Chattanooga +│ +32 │", text)
    assert re.search(r"│ Chattanooga +│ +246 │.*│ finalist │", text)
