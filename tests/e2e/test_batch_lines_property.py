"""Property: whatever the bytes of a batch file, votr counts exactly the lines that are
a valid vote on their own, and exits 0 or 1 (never 70)."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.test_hostile_input import examples

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

LUNCH = "Lunch today?"
RUNS = itertools.count()  # each example's voters are new: no line is refused as a repeat

# A line of the file: a vote, or something that holds no valid vote on its own. Junk is
# shorter than the shortest vote line, so it cannot be one by chance.
PIECES = st.one_of(
    st.just(("vote",)),
    st.tuples(st.just("junk"), st.binary(max_size=30)),
    st.just(("two votes on one line",)),
    st.tuples(st.just("vote cut over two lines"), st.integers(min_value=0)),
)


def vote_line(voter: str) -> bytes:
    return json.dumps({"poll": LUNCH, "option": "Pizza", "voter": voter}).encode()


def batch_file(pieces: list[tuple], run: int) -> tuple[list[bytes], int]:
    """The file's lines, and how many of them are valid votes."""
    lines, valid = [], 0
    for index, (kind, *argument) in enumerate(pieces):
        voter = f"run {run} voter {index}"
        if kind == "vote":
            lines.append(vote_line(voter))
            valid += 1
        elif kind == "junk":
            lines.append(argument[0])
        elif kind == "two votes on one line":
            lines.append(vote_line(voter + " a") + b" " + vote_line(voter + " b"))
        else:
            whole = vote_line(voter)
            cut = 1 + argument[0] % (len(whole) - 1)
            lines += [whole[:cut], whole[cut:]]
    return lines, valid


def pizza_votes(votr) -> int:
    return votr("show", LUNCH, "--json").json()["Polls"][0]["options"][0]["vote_count"]


@pytest.fixture
def lunch(votr):
    assert votr("create", LUNCH, "Pizza", "Sushi").exit_code == 0


def test_any_bytes_count_exactly_the_lines_valid_alone(votr, lunch, backend, tmp_path):
    @examples(backend)
    @given(pieces=st.lists(PIECES, max_size=10), ending=st.sampled_from([b"\n", b"\r\n"]), bom=st.booleans())
    def check(pieces, ending, bom):
        run = next(RUNS)
        lines, valid = batch_file(pieces, run)
        votes = tmp_path / f"run{run}.jsonl"
        votes.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ending.join(lines))
        before = pizza_votes(votr)
        outcome = votr("vote", "--batch", str(votes), "--json")
        summary = outcome.json()
        assert summary["accepted"] == valid
        assert outcome.exit_code == (1 if summary["rejected"] else 0), outcome.stderr
        assert {entry["exit_code"] for entry in summary["rejected"]} <= {1}
        assert summary["lines"] == valid + len(summary["rejected"])
        assert pizza_votes(votr) == before + valid  # nothing invented, nothing lost

    check()
