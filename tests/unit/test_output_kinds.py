"""How `show` and `list` read out a poll of each kind: the count's meaning, the winners,
and the method's working (IRV's rounds, Schulze's matrix, STAR's runoff), in plain lines
and in rich tables, exactly. The polls are built by the counting core itself, on the
Tennessee example (Wikipedia, "Instant-runoff voting" and "Schulze method")."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest
from rich.console import Console

from votr_cli.core.counting import KIND_OF_METHOD, count
from votr_cli.frontends import output

# The moment these renderings are made: the closed polls closed at 18:00 UTC, 3 hours before.
RENDERED_AT = dt.datetime(2026, 3, 1, 21, 0)


def pin_clock(monkeypatch, now: dt.datetime, zone: str = "UTC") -> None:
    """Render as at `now` (naive UTC) in the time zone `zone`, so that close dates read
    the same on every run and every machine."""
    monkeypatch.setattr(output, "_now", lambda: now)
    monkeypatch.setenv("TZ", zone)
    time.tzset()


@pytest.fixture(autouse=True)
def rendered_at(monkeypatch):
    pin_clock(monkeypatch, RENDERED_AT)
    yield
    monkeypatch.undo()
    time.tzset()


TENNESSEE = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]
# 42 Memphis > Nashville > Chattanooga > Knoxville, 26 Nashville > Chattanooga > Knoxville >
# Memphis, 15 Chattanooga > Knoxville > Nashville > Memphis, 17 Knoxville > Chattanooga >
# Nashville > Memphis.
RANKINGS = [((0, 1, 2, 3), 42), ((1, 2, 3, 0), 26), ((2, 3, 1, 0), 15), ((3, 2, 1, 0), 17)]
# The same voters on score ballots: 5 for their first choice, 3 for the second, 1 for the third.
SCORES = (5, 3, 1, 0)


def ballots(method: str, names: list[str]) -> list[tuple[tuple, int]]:
    """The Tennessee electorate's ballots for `method`, over `names` (in Tennessee's order)."""
    if KIND_OF_METHOD[method] == "score":
        return [(tuple((names[i], SCORES[place]) for place, i in enumerate(ranking)), weight)
                for ranking, weight in RANKINGS]
    if method == "plurality":
        return [((names[ranking[0]],), weight) for ranking, weight in RANKINGS]
    if method == "approval":  # each voter approves of their first two
        return [(tuple(names[i] for i in ranking[:2]), weight) for ranking, weight in RANKINGS]
    return [(tuple(names[i] for i in ranking), weight) for ranking, weight in RANKINGS]


def poll_of(method: str, names=TENNESSEE, given=None, status=False, title="Capital of Tennessee",
            with_tally=True) -> dict:
    """A poll object as show_poll returns it (list_polls: without "tally")."""
    counted = count(method, names, ballots(method, names) if given is None else given)
    poll = {
        "id": "k3v9x2ab", "title": title, "status": status,
        "options": [{"name": name, "vote_count": number} for name, number in counted.vote_counts.items()],
        "close_date": None if status else "2026-03-01T18:00:00Z",
        "total_vote_count": sum(counted.vote_counts.values()),
        "kind": KIND_OF_METHOD[method], "method": method, "min_choices": 1, "max_choices": len(names),
        "voter_count": counted.voter_count, "winners": counted.winners,
    }
    if with_tally:
        poll["tally"] = counted.tally
    return poll


def plain(renderer, data) -> str:
    return "".join(line + "\n" for line in renderer.plain(data))


def rendered(renderer, data, monkeypatch) -> str:
    """What `render` writes when stdout is not a terminal (every line escaped once more)."""
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    output.render(output.Result(renderer, data), as_json=False)
    return out.getvalue()


def table(renderer, data, width=100) -> str:
    """The rich form as a terminal without colours would show it: the text of the tables."""
    out = io.StringIO()
    renderer.rich(data, Console(file=out, force_terminal=True, color_system=None, width=width,
                                highlight=False, markup=False, emoji=False))
    return "\n".join(line.rstrip() for line in out.getvalue().split("\n"))


def styled(renderer, data, width=100) -> str:
    out = io.StringIO()
    renderer.rich(data, Console(file=out, force_terminal=True, color_system="truecolor", width=width,
                                highlight=False, markup=False, emoji=False))
    return out.getvalue()


HEAD = ("id: k3v9x2ab\ntitle: Capital of Tennessee\nstatus: closed\n"
        "close_date: 2026-03-01T18:00:00+00:00 (closed 3 hours ago)\n")

IRV_PLAIN = HEAD + """\
total_vote_count: 100
kind: ranked
method: irv
voter_count: 100
winners: Knoxville
counts: first preferences
Memphis\t42\t42.0%
Nashville\t26\t26.0%
Chattanooga\t15\t15.0%
Knoxville\t17\t17.0%\tleader
round 1: Memphis 42, Nashville 26, Chattanooga 15, Knoxville 17; exhausted 0; eliminated Chattanooga
round 2: Memphis 42, Nashville 26, Knoxville 32; exhausted 0; eliminated Nashville
round 3: Memphis 42, Knoxville 58; exhausted 0; winner Knoxville
"""

SCHULZE_PLAIN = HEAD + """\
total_vote_count: 100
kind: ranked
method: schulze
voter_count: 100
winners: Nashville
counts: first preferences
Memphis\t42\t42.0%
Nashville\t26\t26.0%\tleader
Chattanooga\t15\t15.0%
Knoxville\t17\t17.0%
pairwise Memphis over: Nashville 42, Chattanooga 42, Knoxville 42
pairwise Nashville over: Memphis 58, Chattanooga 68, Knoxville 68
pairwise Chattanooga over: Memphis 58, Nashville 32, Knoxville 83
pairwise Knoxville over: Memphis 58, Nashville 32, Chattanooga 17
ranking: Nashville > Chattanooga > Knoxville > Memphis
"""

STAR_PLAIN = HEAD + """\
total_vote_count: 900
kind: score
method: star
voter_count: 100
winners: Nashville
counts: total score
Memphis\t210\t42.0%
Nashville\t288\t57.6%\tleader
Chattanooga\t246\t49.2%
Knoxville\t156\t31.2%
runoff: Nashville 68, Chattanooga 32; equal 0
"""


@pytest.mark.parametrize(("method", "expected"), [
    ("irv", IRV_PLAIN), ("schulze", SCHULZE_PLAIN), ("star", STAR_PLAIN),
])
def test_show_plain_reads_out_the_count(method, expected, monkeypatch):
    data = {"Polls": [poll_of(method)]}
    assert plain(output.POLL_DETAIL, data) == expected
    assert rendered(output.POLL_DETAIL, data, monkeypatch) == expected


@pytest.mark.parametrize(("method", "meaning", "lines"), [
    # 42 + 26 + 15 + 17 votes; each a share of the votes
    ("plurality", "votes", ["Memphis\t42\t42.0%\tleader", "Nashville\t26\t26.0%",
                            "Chattanooga\t15\t15.0%", "Knoxville\t17\t17.0%"]),
    # each voter approves of two: a share of the ballots, summing to 200%
    ("approval", "ballots choosing it", ["Memphis\t42\t42.0%", "Nashville\t68\t68.0%\tleader",
                                         "Chattanooga\t58\t58.0%", "Knoxville\t32\t32.0%"]),
    # a share of the most an option could score, 5 from each of the 100 ballots
    ("score", "total score", ["Memphis\t210\t42.0%", "Nashville\t288\t57.6%\tleader",
                              "Chattanooga\t246\t49.2%", "Knoxville\t156\t31.2%"]),
])
def test_counter_methods_show_their_counts_only(method, meaning, lines):
    shown = plain(output.POLL_DETAIL, {"Polls": [poll_of(method)]}).splitlines()
    kind = KIND_OF_METHOD[method]
    assert shown[5:10] == [f"kind: {kind}", f"method: {method}", "voter_count: 100",
                           f"winners: {lines[[line.endswith('leader') for line in lines].index(True)].split()[0]}",
                           f"counts: {meaning}"]
    assert shown[10:] == lines  # no working beyond the counts


def test_a_poll_object_without_kinds_is_a_plurality_poll():
    """The shape votr had before poll kinds (an older service, the tests' own polls)."""
    poll = {"id": "k3v9x2ab", "title": "Lunch?", "status": True, "close_date": None, "total_vote_count": 3,
            "options": [{"name": "pizza", "vote_count": 2}, {"name": "soup", "vote_count": 1}]}
    assert plain(output.POLL_DETAIL, {"Polls": [poll]}) == (
        "id: k3v9x2ab\ntitle: Lunch?\nstatus: open\nclose_date: -\ntotal_vote_count: 3\n"
        "kind: single\nmethod: plurality\nvoter_count: 3\nwinners: pizza\ncounts: votes\n"
        "pizza\t2\t66.7%\tleader\nsoup\t1\t33.3%\n")
    assert plain(output.POLL_LISTING, {"Polls": [poll]}) == (
        "k3v9x2ab\topen\tLunch?\tpizza: 2, soup: 1\tsingle\tplurality\tpizza\t3\t-\n")


def test_ties_name_every_winner_and_no_ballots_name_none():
    tied = poll_of("irv", ["A", "B"], [(("A",), 1), (("B",), 1)], status=True, title="Tie")
    shown = plain(output.POLL_DETAIL, {"Polls": [tied]}).splitlines()
    assert "winners: A, B" in shown
    assert shown[-3:] == ["A\t1\t50.0%\tleader", "B\t1\t50.0%\tleader",
                          "round 1: A 1, B 1; exhausted 0; winners A, B"]
    assert "Tied for the lead: A, B" in table(output.POLL_DETAIL, {"Polls": [tied]})
    assert "Winners, tied: A, B" in table(output.POLL_DETAIL, {"Polls": [{**tied, "status": False}]})

    empty = poll_of("irv", ["A", "B"], [], status=True, title="Empty")
    shown = plain(output.POLL_DETAIL, {"Polls": [empty]}).splitlines()
    assert "winners: -" in shown and not any(line.startswith("round") for line in shown)
    assert shown[-2:] == ["A\t0\t0.0%", "B\t0\t0.0%"]
    assert "No winner yet: no votes" in table(output.POLL_DETAIL, {"Polls": [empty]})
    assert plain(output.POLL_LISTING, {"Polls": [empty]}).endswith("\tranked\tirv\t-\t0\t-\n")


def test_star_without_a_decided_finalist_shows_every_runoff():
    """Three options scored alike by every voter: each pair meets, and all three win."""
    even = poll_of("star", ["A", "B", "C"], [((("A", 5), ("B", 5), ("C", 5)), 1)])
    shown = plain(output.POLL_DETAIL, {"Polls": [even]}).splitlines()
    assert "winners: A, B, C" in shown
    assert shown[-3:] == ["runoff: A 0, B 0; equal 1", "runoff: A 0, C 0; equal 1", "runoff: B 0, C 0; equal 1"]
    drawn = table(output.POLL_DETAIL, {"Polls": [even]})
    assert [f"Automatic runoff {n} of 3" in drawn for n in (1, 2, 3)] == [True] * 3


def test_list_plain_has_nine_fields_per_poll():
    polls = [poll_of(method, with_tally=False) for method in ("irv", "schulze", "star")]
    assert plain(output.POLL_LISTING, {"Polls": polls}) == "".join(
        f"k3v9x2ab\tclosed\tCapital of Tennessee\t{counts}\t{kind}\t{method}\t{winner}\t100\t"
        "2026-03-01T18:00:00+00:00 (closed 3 hours ago)\n"
        for counts, kind, method, winner in [
            ("Memphis: 42, Nashville: 26, Chattanooga: 15, Knoxville: 17", "ranked", "irv", "Knoxville"),
            ("Memphis: 42, Nashville: 26, Chattanooga: 15, Knoxville: 17", "ranked", "schulze", "Nashville"),
            ("Memphis: 210, Nashville: 288, Chattanooga: 246, Knoxville: 156", "score", "star", "Nashville"),
        ])


LIST_TABLE = """\
Polls
┏━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┓
┃ ID       ┃ Title              ┃ Status ┃ Kind             ┃ Votes ┃ Leader    ┃ Closes               ┃
┡━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━┩
│ k3v9x2ab │ Capital of         │ closed │ ranked (irv)     │   100 │ Knoxville │ 2026-03-01 18:00 UTC │
│          │ Tennessee          │        │                  │       │           │ (closed 3 hours ago) │
│ k3v9x2ab │ Capital of         │ closed │ single           │   100 │ Memphis   │ 2026-03-01 18:00 UTC │
│          │ Tennessee          │        │                  │       │           │ (closed 3 hours ago) │
│ k3v9x2ab │ Capital of         │ closed │ multiple         │   100 │ Nashville │ 2026-03-01 18:00 UTC │
│          │ Tennessee          │        │                  │       │           │ (closed 3 hours ago) │
│ k3v9x2ab │ Capital of         │ closed │ score (star)     │   100 │ Nashville │ 2026-03-01 18:00 UTC │
│          │ Tennessee          │        │                  │       │           │ (closed 3 hours ago) │
│ k3v9x2ab │ Capital of         │ closed │ ranked (schulze) │   100 │ Nashville │ 2026-03-01 18:00 UTC │
│          │ Tennessee          │        │                  │       │           │ (closed 3 hours ago) │
└──────────┴────────────────────┴────────┴──────────────────┴───────┴───────────┴──────────────────────┘
"""


def test_list_table_names_the_kind_and_the_winners():
    polls = [poll_of(method, with_tally=False) for method in ("irv", "plurality", "approval", "star", "schulze")]
    assert table(output.POLL_LISTING, {"Polls": polls}, width=104) == LIST_TABLE


IRV_TABLE = """\
                            Capital of Tennessee
┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━┓
┃ Option      ┃ First preferences ┃ Share                ┃     % ┃          ┃
┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━┩
│ Memphis     │                42 │ ━━━━━━━━             │ 42.0% │          │
│ Nashville   │                26 │ ━━━━━                │ 26.0% │          │
│ Chattanooga │                15 │ ━━━                  │ 15.0% │          │
│ Knoxville   │                17 │ ━━━                  │ 17.0% │ ★ winner │
└─────────────┴───────────────────┴──────────────────────┴───────┴──────────┘
         k3v9x2ab · ranked poll, instant runoff · closed, 100 votes
                  2026-03-01 18:00 UTC (closed 3 hours ago)
Winner: Knoxville
       Instant-runoff count, round by round
┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━┓
┃ Option      ┃     Round 1 ┃   Round 2 ┃ Round 3 ┃
┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━┩
│ Memphis     │          42 │        42 │      42 │
│ Nashville   │          26 │      26 ✗ │       · │
│ Chattanooga │        15 ✗ │         · │       · │
│ Knoxville   │          17 │        32 │    58 ★ │
├─────────────┼─────────────┼───────────┼─────────┤
│ exhausted   │           0 │         0 │       0 │
│ eliminated  │ Chattanooga │ Nashville │       - │
└─────────────┴─────────────┴───────────┴─────────┘
      each round counts every ballot for its
highest-ranked continuing option; more than half of
            the continuing ballots wins
"""

SCHULZE_WORKING = """\
                     Pairwise preferences
┏━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━┓
┃             ┃ Memphis ┃ Nashville ┃ Chattanooga ┃ Knoxville ┃
┡━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━┩
│ Memphis     │       - │        42 │          42 │        42 │
│ Nashville   │      58 │         - │          68 │        68 │
│ Chattanooga │      58 │        32 │           - │        83 │
│ Knoxville   │      58 │        32 │          17 │         - │
└─────────────┴─────────┴───────────┴─────────────┴───────────┘
   each cell: the voters preferring the row's option to the
          column's; green where the row wins the pair
Ranking: Nashville > Chattanooga > Knoxville > Memphis
"""

STAR_WORKING = """\
                   Automatic runoff
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┓
┃ Finalist                     ┃ Voters preferring it ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━┩
│ Nashville                    │                   68 │
│ Chattanooga                  │                   32 │
│ no preference (scored equal) │                    0 │
└──────────────────────────────┴──────────────────────┘
the finalists are the two highest total scores; the one
           scored higher by more voters wins
"""


def test_show_table_of_an_irv_poll_has_a_column_per_round():
    assert table(output.POLL_DETAIL, {"Polls": [poll_of("irv")]}, width=80) == IRV_TABLE


def test_show_table_of_a_schulze_poll_has_the_pairwise_matrix_and_the_ranking():
    drawn = table(output.POLL_DETAIL, {"Polls": [poll_of("schulze")]}, width=80)
    assert drawn.endswith(SCHULZE_WORKING)
    assert "Winner: Nashville\n" in drawn and "│ Nashville   │                26 │" in drawn


def test_show_table_of_a_star_poll_marks_the_finalists_and_shows_the_runoff():
    drawn = table(output.POLL_DETAIL, {"Polls": [poll_of("star")]}, width=80)
    assert drawn.endswith(STAR_WORKING)
    assert "┃ Total score ┃" in drawn
    assert re.search(r"│ Nashville +│ +288 │.*│ ★ winner │", drawn)
    assert re.search(r"│ Chattanooga +│ +246 │.*│ finalist │", drawn)


def test_the_working_is_styled_on_a_terminal():
    drawn = styled(output.POLL_DETAIL, {"Polls": [poll_of("schulze")]})
    assert re.search(r"\x1b\[32m +58\x1b\[0m", drawn)  # Nashville beats Memphis, 58 to 42: green
    assert not re.search(r"\x1b\[32m +42\x1b\[0m", drawn)  # Memphis beats nobody


def test_rounds_too_many_for_the_terminal_are_written_as_lines():
    """Twelve options, one eliminated per round: eleven rounds do not fit 80 columns."""
    names = [f"option {n}" for n in range(12)]
    many = poll_of("irv", names, [((name,), weight) for weight, name in enumerate(names, 1)])
    drawn = table(output.POLL_DETAIL, {"Polls": [many]}, width=80)
    assert "Round 1" not in drawn
    rounds = [line for line in drawn.splitlines() if line.startswith("round ")]
    assert rounds[0].startswith("round 1: option 0 1, option 1 2,") and rounds[0].endswith("eliminated option 0")
    assert len(rounds) == 11 and rounds[-1].endswith("; winner option 11")
    wide = table(output.POLL_DETAIL, {"Polls": [many]}, width=220)
    assert "┃ Round 11 ┃" in wide and "round 1:" not in wide


HOSTILE = ["[bold]Memphis[/]", "Nash\x1b[2Jville\u202e", "Chattanooga " * 30 + "end", ":thumbs_up:"]
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("method", ["irv", "schulze", "star", "approval"])
def test_hostile_option_names_are_shown_literally_and_escaped(method, monkeypatch):
    hostile = poll_of(method, HOSTILE, ballots(method, HOSTILE), title="[red]T\x1b]0;x\x07")
    detail, listing = {"Polls": [hostile]}, {"Polls": [{**hostile, "winners": HOSTILE}]}
    shown = rendered(output.POLL_DETAIL, detail, monkeypatch)
    listed = rendered(output.POLL_LISTING, listing, monkeypatch)
    drawn, drawn_list = table(output.POLL_DETAIL, detail), table(output.POLL_LISTING, listing, width=400)
    for form in (shown, listed, drawn, drawn_list):
        assert RAW.search(form.replace("\n", "")) is None
        assert "[bold]Memphis[/]" in form and ":thumbs_up:" in form and "👍" not in form
    assert "Nash\\x1b[2Jville\\u202e" in shown and "title: [red]T\\x1b]0;x\\x07\n" in shown
    assert len(listed.splitlines()) == 1 and listed.count("\t") == 8
    assert HOSTILE[2] in shown and HOSTILE[2] in listed  # plain lines are never cut
    assert all(len(line) <= 100 for line in drawn.splitlines())
    if method != "approval":  # the working folds a long name onto more lines rather than cutting it
        working = drawn.split("Winner")[1]
        assert re.search(r"[│┃] (Chattanooga )+ *[│┃]", working) and re.search(r"[│┃] (Chattanooga )*end +[│┃]", working)
    colours = styled(output.POLL_DETAIL, detail)
    assert "\x1b[2J" not in colours and "\u202e" not in colours and "\x1b]0;" not in colours


@pytest.mark.parametrize("method", ["irv", "schulze", "star", "score", "plurality"])
def test_json_is_the_poll_object_untouched(method, monkeypatch):
    data = {"Polls": [poll_of(method)]}
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    output.render(output.Result(output.POLL_DETAIL, data), as_json=True)
    assert out.getvalue() == output.dumps(data) + "\n"


def test_the_readme_shows_what_votr_prints():
    """README "Reading the count": its examples are these renderings, line for line."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Reading the count\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```text\n(.*?)```", section, flags=re.S)
    assert blocks == [IRV_PLAIN, SCHULZE_PLAIN.split("Knoxville\t17\t17.0%\n")[1],
                      STAR_PLAIN.split("voter_count: 100\nwinners: Nashville\n")[1]]


def test_ballots_that_support_nobody_elect_nobody():
    """Score ballots that give every option 0: votes, but no winner, and no runoff."""
    zeros = poll_of("star", ["A", "B"], [((("A", 0),), 3)], status=False, title="Zeros")
    shown = plain(output.POLL_DETAIL, {"Polls": [zeros]}).splitlines()
    assert shown[7:9] == ["voter_count: 3", "winners: -"] and shown[-2:] == ["A\t0\t0.0%", "B\t0\t0.0%"]
    drawn = table(output.POLL_DETAIL, {"Polls": [zeros]})
    assert "\nNo winner\n" in drawn and "runoff" not in drawn
