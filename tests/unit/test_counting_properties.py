"""core/counting.py against obviously-correct brute-force references and starvote, on
generated profiles; and the same result whatever the order or grouping of the ballots.

pref_voting (the suggested independent implementation) pulls numpy, scipy, pandas,
matplotlib, ortools and numba (778 MB): the references here are written out instead."""

from itertools import permutations

import pytest
import starvote
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from votr_cli.core.counting import MAX_SCORE, count

OPTIONS = ["a", "b", "c", "d", "e"]


@st.composite
def ranked_profiles(draw, full=False):
    options = OPTIONS[:draw(st.integers(3, 5))]
    n = len(options)
    ranking = st.permutations(options).flatmap(
        lambda order: st.just(tuple(order)) if full else st.integers(1, n).map(lambda k: tuple(order[:k])))
    return options, draw(st.lists(ranking, min_size=1, max_size=30))


@st.composite
def score_profiles(draw):
    options = OPTIONS[:draw(st.integers(2, 5))]
    ballot = st.fixed_dictionaries({}, optional={o: st.integers(0, MAX_SCORE) for o in options})
    return options, [tuple(b.items()) for b in draw(st.lists(ballot, min_size=1, max_size=30))]


def one_each(ballots):
    return [(ballot, 1) for ballot in ballots]


# --- brute-force references: per voter, recounted from scratch, no ties handled ---------

def reference_irv(options, ballots):
    """Plain IRV; None when a tie (for last, or at the end) would need a tie rule."""
    continuing = list(options)
    while True:
        tallies = {o: 0 for o in continuing}
        for ballot in ballots:
            top = next((o for o in ballot if o in continuing), None)
            if top is not None:
                tallies[top] += 1
        total = sum(tallies.values())
        leader = max(tallies, key=tallies.get)
        if 2 * tallies[leader] > total:
            return leader
        fewest = min(tallies.values())
        last = [o for o in continuing if tallies[o] == fewest]
        if len(last) > 1:
            return None
        continuing.remove(last[0])


def prefers(ballot, x, y):
    """x above y on a ranking: x is ranked, and y is not or is ranked lower."""
    return x in ballot and (y not in ballot or ballot.index(x) < ballot.index(y))


def reference_schulze(options, ballots):
    """Schulze by enumerating every path; None unless exactly one option wins."""
    d = {(x, y): sum(prefers(b, x, y) for b in ballots) for x in options for y in options if x != y}
    link = {pair: d[pair] if d[pair] > d[pair[::-1]] else 0 for pair in d}

    def strongest(x, y):
        others = [o for o in options if o not in (x, y)]
        best = 0
        for k in range(len(others) + 1):
            for middle in permutations(others, k):
                path = (x, *middle, y)
                best = max(best, min(link[step] for step in zip(path, path[1:])))
        return best

    p = {(x, y): strongest(x, y) for x in options for y in options if x != y}
    winners = [x for x in options if all(p[x, y] >= p[y, x] for y in options if y != x)]
    return winners[0] if len(winners) == 1 else None


def reference_approval(options, ballots):
    tallies = {o: sum(o in b for b in ballots) for o in options}
    best = max(tallies.values())
    top = [o for o in options if tallies[o] == best]
    return top[0] if len(top) == 1 else None


@pytest.mark.parametrize("method, reference", [("irv", reference_irv), ("schulze", reference_schulze),
                                               ("approval", reference_approval)])
@settings(max_examples=300, deadline=None)
@given(profile=ranked_profiles())
def test_each_method_agrees_with_its_reference(method, reference, profile):
    options, ballots = profile
    expected = reference(options, ballots)
    assume(expected is not None)
    assert count(method, options, one_each(ballots)).winners == [expected]


def _raise(options, tie, desired, exception):
    raise exception


@settings(max_examples=300, deadline=None)
@given(score_profiles())
def test_star_agrees_with_starvote(profile):
    """Where starvote decides without its lottery, and no three options tie for a finalist
    place (starvote then ranks by head-to-head wins summed over ballots, not eliminations)."""
    options, ballots = profile
    result = count("star", options, one_each(ballots))
    totals = sorted(result.tally["scores"].values(), reverse=True)
    assume(totals[0] > 0 and totals.count(totals[1]) <= 2)
    full = [{o: dict(b).get(o, 0) for o in options} for b in ballots]
    try:
        expected = starvote.election(starvote.star, full, tiebreaker=_raise)
    except starvote.UnbreakableTieError:
        assume(False)
    assert result.winners == expected


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["plurality", "approval", "irv", "schulze"]), ranked_profiles(), st.randoms())
def test_ranked_results_ignore_ballot_order_and_grouping(method, profile, rng):
    options, ballots = profile
    if method == "plurality":
        ballots = [b[:1] for b in ballots]
    expected = count(method, options, one_each(ballots))
    shuffled = ballots[:]
    rng.shuffle(shuffled)
    grouped = {}
    for ballot in shuffled:
        grouped[ballot] = grouped.get(ballot, 0) + 1
    assert count(method, options, one_each(shuffled)) == expected
    assert count(method, options, list(grouped.items())) == expected


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["star", "score"]), score_profiles(), st.randoms())
def test_score_results_ignore_ballot_order_and_grouping(method, profile, rng):
    options, ballots = profile
    expected = count(method, options, one_each(ballots))
    shuffled = [tuple(rng.sample(b, len(b))) for b in ballots]  # pairs in any order too
    rng.shuffle(shuffled)
    assert count(method, options, one_each(shuffled)) == expected
