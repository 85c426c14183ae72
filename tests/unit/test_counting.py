"""core/counting.py on published worked examples, hand-checked cases and unbroken ties."""

import random

import pytest

from votr_cli.core.counting import DEFAULT_METHOD, METHODS_BY_KIND, count

M, N, C, K = "Memphis", "Nashville", "Chattanooga", "Knoxville"
TENNESSEE_OPTIONS = [M, N, C, K]
# Wikipedia's Tennessee capital example: where the voters live, and their preferences.
TENNESSEE = [((M, N, C, K), 42), ((N, C, K, M), 26), ((C, K, N, M), 15), ((K, C, N, M), 17)]

# Wikipedia, "Schulze method": the 45-voter example.
SCHULZE_45 = [(tuple(order), voters) for order, voters in [
    ("ACBED", 5), ("ADECB", 5), ("BEDAC", 8), ("CABED", 3),
    ("CAEBD", 7), ("CBADE", 2), ("DCEBA", 7), ("EBADC", 8)]]
SCHULZE_45_D = {  # the published d[X, Y]
    "A": {"B": 20, "C": 26, "D": 30, "E": 22},
    "B": {"A": 25, "C": 16, "D": 33, "E": 18},
    "C": {"A": 19, "B": 29, "D": 17, "E": 24},
    "D": {"A": 15, "B": 12, "C": 28, "E": 14},
    "E": {"A": 23, "B": 27, "C": 21, "D": 31},
}


def scores(**by_name):
    return tuple(by_name.items())


def test_kinds_and_their_default_methods():
    assert METHODS_BY_KIND == {"single": ("plurality",), "multiple": ("approval",),
                               "ranked": ("irv", "schulze"), "score": ("star", "score")}
    assert DEFAULT_METHOD == {"single": "plurality", "multiple": "approval", "ranked": "irv", "score": "star"}


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="borda"):
        count("borda", ["a", "b"], [])


def test_tennessee_irv_elects_knoxville_with_its_rounds():
    result = count("irv", TENNESSEE_OPTIONS, TENNESSEE)
    assert result.winners == [K]
    assert result.voter_count == 100
    assert result.vote_counts == {M: 42, N: 26, C: 15, K: 17}
    assert result.tally == {"rounds": [
        {"counts": {M: 42, N: 26, C: 15, K: 17}, "exhausted": 0, "eliminated": [C]},
        {"counts": {M: 42, N: 26, K: 32}, "exhausted": 0, "eliminated": [N]},
        {"counts": {M: 42, K: 58}, "exhausted": 0, "eliminated": []},
    ]}


def test_tennessee_schulze_elects_nashville():
    result = count("schulze", TENNESSEE_OPTIONS, TENNESSEE)
    assert result.winners == [N]
    assert result.tally["ranking"] == [[N], [C], [K], [M]]
    assert result.tally["pairwise"][N] == {M: 58, C: 68, K: 68}


def test_tennessee_plurality_elects_memphis():
    first_choices = [((ranking[0],), voters) for ranking, voters in TENNESSEE]
    result = count("plurality", TENNESSEE_OPTIONS, first_choices)
    assert result.winners == [M]
    assert result.tally == {"counts": {M: 42, N: 26, C: 15, K: 17}}


def test_wikipedia_schulze_example():
    result = count("schulze", list("ABCDE"), SCHULZE_45)
    assert result.winners == ["E"]
    assert result.tally["pairwise"] == SCHULZE_45_D
    assert result.tally["ranking"] == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert result.voter_count == 45


def test_schulze_unranked_options_tie_for_last_and_blank_ballots_count_for_nothing():
    result = count("schulze", ["a", "b", "c"], [(("b",), 2), (("c", "a"), 1), ((), 5)])
    assert result.tally["pairwise"] == {"a": {"b": 1, "c": 0}, "b": {"a": 2, "c": 2}, "c": {"a": 1, "b": 1}}
    assert result.winners == ["b"]
    assert result.voter_count == 8


def test_irv_reports_exhausted_ballots_and_needs_a_majority_of_continuing_ones():
    ballots = [(("a",), 4), (("b",), 3), (("c", "b"), 1), (("d",), 2)]
    result = count("irv", ["a", "b", "c", "d"], ballots)
    assert result.tally["rounds"] == [
        {"counts": {"a": 4, "b": 3, "c": 1, "d": 2}, "exhausted": 0, "eliminated": ["c"]},
        {"counts": {"a": 4, "b": 4, "d": 2}, "exhausted": 0, "eliminated": ["d"]},
        {"counts": {"a": 4, "b": 4}, "exhausted": 2, "eliminated": ["b"]},
        {"counts": {"a": 4}, "exhausted": 6, "eliminated": []},
    ]
    # a and b tie in round 3 with every continuing option: round 2 cannot split them, round 1 can (4 > 3).
    assert result.winners == ["a"]


def test_irv_eliminates_everyone_tied_for_last_together():
    ballots = [(("a",), 3), (("b",), 2), (("c", "a"), 1), (("d", "b"), 1)]
    result = count("irv", ["a", "b", "c", "d"], ballots)
    assert result.tally["rounds"][0]["eliminated"] == ["c", "d"]
    assert result.tally["rounds"][1] == {"counts": {"a": 4, "b": 3}, "exhausted": 0, "eliminated": []}
    assert result.winners == ["a"]


def test_irv_tie_that_no_round_breaks_elects_all_tied():
    result = count("irv", ["a", "b", "c"], [(("a", "c"), 2), (("b",), 2), (("c",), 1)])
    assert result.tally["rounds"][-1] == {"counts": {"a": 2, "b": 2}, "exhausted": 1, "eliminated": []}
    assert result.winners == ["a", "b"]


# STAR, checked by hand.
def test_star_runoff_tie_broken_by_total_score():
    result = count("star", ["a", "b", "c"], [(scores(a=5, b=0), 1), (scores(a=2, b=3, c=1), 1)])
    assert result.tally == {"scores": {"a": 7, "b": 3, "c": 1},
                            "runoff": {"finalists": ["a", "b"], "preferred": {"a": 1, "b": 1}, "equal": 0}}
    assert result.winners == ["a"]


def test_star_runoff_tie_broken_by_most_fives():
    result = count("star", ["a", "b"], [(scores(a=5, b=2), 1), (scores(a=1, b=4), 1)])
    assert result.tally["scores"] == {"a": 6, "b": 6}
    assert result.tally["runoff"]["preferred"] == {"a": 1, "b": 1}
    assert result.winners == ["a"]


def test_star_scoring_round_tie_broken_by_most_fives_after_head_to_head():
    # b and c tie on score (5) and head to head (1 to 1); b has a five, c none: b is the finalist.
    ballots = [(scores(x=3, b=5, c=1), 1), (scores(x=4, b=0, c=4), 1)]
    result = count("star", ["x", "b", "c"], ballots)
    assert result.tally["scores"] == {"x": 7, "b": 5, "c": 5}
    assert result.tally["runoff"] == {"finalists": ["x", "b"], "preferred": {"x": 1, "b": 1}, "equal": 0}
    assert result.winners == ["x"]


def test_star_scoring_round_tie_broken_head_to_head():
    # b and c tie on score (6); c is scored higher than b by two voters of three: c is the finalist and wins.
    ballots = [(scores(a=5, b=0, c=1), 1), (scores(a=0, b=5, c=2), 1), (scores(a=2, b=1, c=3), 1)]
    result = count("star", ["a", "b", "c"], ballots)
    assert result.tally["scores"] == {"a": 7, "b": 6, "c": 6}
    assert result.tally["runoff"] == {"finalists": ["a", "c"], "preferred": {"a": 1, "c": 2}, "equal": 0}
    assert result.winners == ["c"]


def test_star_undecided_finalist_holds_every_runoff_the_tie_allows():
    result = count("star", ["a", "b", "c"], [(scores(a=5, b=1, c=1), 1)])
    assert result.tally["runoff"] is None
    assert [r["finalists"] for r in result.tally["runoffs"]] == [["a", "b"], ["a", "c"]]
    assert result.winners == ["a"]


def test_unnamed_options_score_zero():
    result = count("score", ["a", "b", "c"], [(scores(b=2), 3), (scores(a=5, c=1), 1)])
    assert result.tally == {"counts": {"a": 5, "b": 6, "c": 1}}
    assert result.winners == ["b"]
    assert result.vote_counts == {"a": 5, "b": 6, "c": 1}


def test_approval_counts_ballots_choosing_each_option():
    result = count("approval", ["a", "b", "c"], [(("a", "b"), 2), (("b",), 1), ((), 4)])
    assert result.vote_counts == {"a": 2, "b": 3, "c": 0}
    assert result.winners == ["b"]
    assert result.voter_count == 7


@pytest.mark.parametrize(("method", "ballots"), [
    ("plurality", [(("a",), 2), (("b",), 2), (("c",), 1)]),
    ("approval", [(("a", "b"), 1), (("c",), 0)]),
    ("score", [(scores(a=3), 1), (scores(b=3, c=2), 1)]),
    ("irv", [(("a", "c"), 1), (("b", "c"), 1)]),
    ("schulze", [(("a", "b", "c"), 1), (("b", "a", "c"), 1)]),
    ("star", [(scores(a=5, b=0, c=1), 1), (scores(a=0, b=5, c=1), 1)]),
])
def test_an_unbroken_tie_elects_every_tied_option(method, ballots):
    assert count(method, ["a", "b", "c"], ballots).winners == ["a", "b"]


@pytest.mark.parametrize("method", ["plurality", "approval", "irv", "schulze", "star", "score"])
def test_no_ballots_no_winners(method):
    result = count(method, ["a", "b"], [])
    assert result.winners == []
    assert result.voter_count == 0
    assert list(result.vote_counts) == ["a", "b"]


@pytest.mark.parametrize("method", ["approval", "irv", "schulze"])
def test_blank_ballots_alone_elect_nobody(method):
    assert count(method, ["a", "b"], [((), 3)]).winners == []


def test_tally_keeps_the_polls_option_order():
    result = count("schulze", ["z", "a", "m"], [(("m", "a"), 1)])
    assert list(result.tally["pairwise"]) == ["z", "a", "m"]
    assert list(count("star", ["z", "a"], [(scores(a=1, z=2), 1)]).tally["scores"]) == ["z", "a"]


@pytest.mark.parametrize("method", ["irv", "schulze"])
def test_a_hundred_thousand_distinct_ballots_over_ten_options(method):
    """A sanity run on the shape `show` will count (no timing asserted here)."""
    rng = random.Random(11)
    options = [f"option {i}" for i in range(10)]
    ballots = {}
    while len(ballots) < 100_000:
        ranking = rng.sample(options, rng.randint(1, 10))
        ballots[tuple(ranking)] = rng.randint(1, 20)
    result = count(method, options, ballots.items())
    assert result.voter_count == sum(ballots.values())
    assert len(result.winners) >= 1
