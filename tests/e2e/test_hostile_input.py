"""Hostile text through the command line, property-tested with hypothesis.

Titles, options, voter names and poll references are drawn from arbitrary Unicode mixed
with the pieces that have broken other tools: control characters (NUL, ESC, tab,
newline, C1), bidirectional overrides, combining marks, right-to-left scripts, emoji,
rich markup, `%` and `_`, every kind of space, text that is only spaces, text over the
limits and bytes that were not UTF-8 (lone surrogates, as Python passes them on).

What must hold, on every backend:
- only documented exit codes come back, never a traceback;
- what `list --json` shows equals the input normalised as the contract says (NFC,
  trimmed, runs of Unicode space separators collapsed, first spelling kept);
- a rejected command writes nothing.

The expected form is worked out here from the contract's words, not by calling votr's
own normalisation.
"""

from __future__ import annotations

import json
import os
import unicodedata

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.documents import single_choice_keys

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head


def examples(backend: str) -> settings:
    """Modest counts: the suite runs on three backends, and a server round trip costs more
    than SQLite's. HYPOTHESIS_EXAMPLES asks for more. Each property runs inside its test,
    on that test's database: each example reads the state it starts from."""
    default = 40 if backend == "sqlite" else 20
    return settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", default)), deadline=None,
                    derandomize=bool(os.environ.get("CI")), suppress_health_check=[HealthCheck.too_slow])

MAX_TITLE, MAX_OPTION, MAX_VOTER = 500, 200, 100

# Accepted, and awkward: markup, wildcards, quoting, invisible and right-to-left text,
# combining marks, emoji, every kind of space, case folding's odd corners.
AWKWARD_PIECES = [
    "[bold]", "[/]", "[/bold]", "[link=https://example.com]click[/link]", "[red on white]",
    "%", "_", "%_%", "\\", "'", '"', "`", "$(id)", "{}", "*",
    "\u200b", "\u200f", "\ufeff", "\u2028",
    "e\u0301", "\u0301", "a\u0308\u0304", "\u1e9b\u0323", "ﬁ", "\u212b", "\u00c5",
    "שלום", "مرحبا", "עברית123", "🗳️", "👍🏽", "👨\u200d👩\u200d👧", "🇺🇳",
    " ", "  ", "\u00a0", "\u2003", "\u3000", "\u1680", "\u202f",
    "ß", "SS", "İ", "ǅ", "Σ", "ς",
]
# Refused: control characters (NUL, ESC, tab, newline, C1), bidi overrides and isolates,
# and lone surrogates (bytes that were not UTF-8, as Python passes them on).
REFUSED_PIECES = [
    "\x00", "\x1b[31m", "\x1b]8;;https://example.com\x1b\\", "\x07", "\t", "\n", "\r", "\x7f",
    "\x85", "\x9b", "\u202e", "\u202a", "\u2066", "\u2069", "\ud800", "\udcff",
]
SPACES = " \u00a0\u2003\u3000\u202f"


def likely_accepted(longest: int) -> st.SearchStrategy[str]:
    printable_characters = st.characters(exclude_categories=("Cc", "Cs"))
    piece = st.one_of(st.sampled_from(AWKWARD_PIECES), st.text(printable_characters, min_size=1, max_size=4))
    return st.lists(piece, min_size=1, max_size=6).map("".join)


def anything(longest: int) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(AWKWARD_PIECES + REFUSED_PIECES), st.text(max_size=4))
    return st.one_of(
        likely_accepted(longest),
        st.lists(piece, max_size=6).map("".join),
        st.text(alphabet=SPACES, max_size=4),  # only white space, or nothing
        st.builds(lambda unit, times: unit * times,  # around the length limit
                  st.sampled_from(["a", "é", "e\u0301", "👍", "ab "]), st.integers(longest - 3, longest + 3)),
    )


# -- the contract's rules, written out ------------------------------------------------------

BIDI_CONTROLS = {chr(c) for c in range(0x202A, 0x202F)} | {chr(c) for c in range(0x2066, 0x206A)}


def normalised(value: str, limit: int) -> str | None:
    """The display form the contract promises, or None when the text must be refused."""
    if any(unicodedata.category(c) in ("Cc", "Cs") or c in BIDI_CONTROLS for c in value):
        return None
    display = _collapse(unicodedata.normalize("NFC", value))
    if not display or len(display) > limit:
        return None
    return display


def _collapse(value: str) -> str:
    """Runs of Unicode space separators (category Zs) become one space; ends trimmed."""
    out: list[str] = []
    for char in value:
        if unicodedata.category(char) == "Zs":
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(char)
    return "".join(out).strip(" ")


def folded(display: str) -> str:
    return unicodedata.normalize("NFC", display.casefold())


# -- helpers --------------------------------------------------------------------------------


def checked(outcome, allowed: set[int]):
    """Every run: a documented code, no traceback, one error line or one JSON document."""
    assert outcome.exit_code in allowed, outcome
    assert "Traceback" not in outcome.stderr
    if outcome.exit_code == 0:
        assert outcome.stderr == ""
    elif outcome.exit_code != 2:  # click's own usage errors keep click's text
        assert outcome.stdout == ""
        assert isinstance(outcome.error(), str)
        assert outcome.stderr.count("\n") == 1
    return outcome


def snapshot(votr) -> tuple[str, str]:
    return votr("list", "--json").stdout, votr("options", "--json").stdout


# -- properties -----------------------------------------------------------------------------


def test_create_accepts_exactly_the_normalised_input_or_writes_nothing(votr, backend):
    @examples(backend)
    @given(title=st.one_of(likely_accepted(MAX_TITLE), likely_accepted(MAX_TITLE), anything(MAX_TITLE)),
           option_names=st.one_of(st.lists(likely_accepted(MAX_OPTION), min_size=2, max_size=4),
                                  st.lists(anything(MAX_OPTION), max_size=4)))
    def create_poll(title, option_names):
        before = snapshot(votr)
        titles = {folded(poll["title"]) for poll in json.loads(before[0])["Polls"]}
        known_options = {folded(option["name"]): option["name"] for option in json.loads(before[1])}

        display_title = normalised(title, MAX_TITLE)
        displays = [normalised(name, MAX_OPTION) for name in option_names]
        keys = [folded(display) for display in displays if display is not None]
        if display_title is None or not displays or None in displays or len(set(keys)) != len(keys) or len(keys) < 2:
            expected_code = 1
        elif folded(display_title) in titles:
            expected_code = 4
        else:
            expected_code = 0

        event(f"create: exit {expected_code}")  # shown by --hypothesis-show-statistics
        # `--` so that a title such as "--json" is a title, as a careful user would write it.
        outcome = checked(votr("create", "--json", "--", title, *option_names), {expected_code})
        if expected_code != 0:
            assert snapshot(votr) == before
            return
        expected_poll = {
            "title": display_title,
            "status": True,
            "options": [{"name": known_options.get(folded(display), display), "vote_count": 0}
                        for display in displays],
            "close_date": None,
            "total_vote_count": 0,
        }
        expected_poll.update(single_choice_keys(expected_poll["options"]))
        made = outcome.json()["poll"]
        listed = votr("list", "--json").json()["Polls"][-1]
        assert listed == made == {"id": made["id"], **expected_poll}
        shown = {**listed, "tally": {"counts": {option["name"]: 0 for option in listed["options"]}}}
        assert checked(votr("show", made["id"], "--json"), {0}).json()["Polls"] == [shown]
        assert checked(votr("show", "--json", "--", title), {0}).json()["Polls"] == [shown]

    create_poll()


def test_votes_accept_exactly_the_normalised_voter_or_write_nothing(votr, votr_env, backend):
    engine = sa.create_engine(votr_env["VOTR_DATABASE_URL"])

    def ballots() -> list[str]:
        with engine.connect() as conn:
            return sorted(conn.execute(sa.text("SELECT voter FROM ballots")).scalars())

    @examples(backend)
    @given(voter=anything(MAX_VOTER), reference=anything(MAX_TITLE))
    def vote(voter, reference):
        before = snapshot(votr)
        listed = json.loads(before[0])["Polls"]
        if listed:
            poll = listed[0]
        else:  # the first example makes the poll every example votes in
            poll = checked(votr("create", "--json", "--", "100% of_the [bold]votes[/]", "Pizza", "Sushi"),
                           {0}).json()["poll"]
            before = snapshot(votr)
        stored = ballots()
        display = normalised(voter, MAX_VOTER)
        if display is None:
            expected_code = 1
        elif folded(display) in stored:
            expected_code = 4
        else:
            expected_code = 0
        event(f"vote: exit {expected_code}")
        checked(votr("vote", "--json", "--voter", voter, "--", poll["id"], "Pizza"), {expected_code})
        if expected_code == 0:
            assert ballots() == sorted([*stored, folded(display)])
            assert votr("list", "--json").json()["Polls"][0]["total_vote_count"] == len(stored) + 1
        else:
            assert ballots() == stored
            assert snapshot(votr) == before

        # Any poll reference is found exactly, or not found: `%` and `_` match nothing else.
        shown_ref = normalised(reference, max(len(reference), 1))
        if shown_ref is None:
            allowed = {1}
        elif shown_ref == poll["id"] or folded(shown_ref) == folded(poll["title"]):
            allowed = {0}
        else:
            allowed = {3}
        checked(votr("show", "--json", "--", reference), allowed)

    try:
        vote()
    finally:
        engine.dispose()
