"""core/counting.py against an independent implementation, votelib (MIT, pure Python, no
dependencies, in the test extra), on generated profiles that no tie decides: IRV,
Schulze and approval. Both ways in: ballots by name (`count`) and as stored (`count_stored`).

Whether ties decide a profile is judged without votr: for IRV by the plain,
tie-rule-free IRV of test_counting_properties.py (None on a tie for last or at the
end); for Schulze by votelib's strongest paths (no two options with paths of equal
strength both ways); for approval by votelib's totals. Where votelib reports a tie (its
`Tie`) or gives up on one, there is nothing to compare either: its IRV elects by the
Droop quota of all ballots, not by a majority of the continuing ones, so where ballots
exhaust it can go on eliminating past the round where votr stops (the winner is the
same: an option holding a majority of the continuing ballots keeps it), and it raises
on a tie for last there, or on exhausted ballots ("infinite loop in STV"), in about 1
profile in 400.
"""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from votelib.convert import ApprovalToSimpleVotes, RankedToCondorcetVotes
from votelib.evaluate.condorcet import Schulze
from votelib.evaluate.core import Plurality, Tie, VotingSystemError
from votelib.evaluate.sequential import TransferableVoteSelector

from votr_cli.core.ballots import code
from tests.unit.test_counting_properties import reference_irv
from votr_cli.core.counting import count, count_stored

OPTIONS = ["a", "b", "c", "d", "e", "f"]


@st.composite
def profiles(draw):
    """Options, and distinct ballots (partial rankings, none blank) with their voters."""
    options = OPTIONS[:draw(st.integers(2, 6))]
    ranking = st.permutations(options).flatmap(lambda order: st.integers(1, len(order)).map(lambda k: tuple(order[:k])))
    ballots = draw(st.dictionaries(ranking, st.integers(1, 5), min_size=1, max_size=25))
    return options, list(ballots.items())


def stored(options, ballots):
    return [("".join(code(options.index(name)) for name in ballot), voters) for ballot, voters in ballots]


def counted(method, options, ballots):
    by_name = count(method, options, ballots)
    assert count_stored(method, options, stored(options, ballots)) == by_name
    return by_name


def single(elected):
    """votelib's one winner; None when it reports a tie."""
    assume(len(elected) == 1 and not isinstance(elected[0], Tie))
    return elected[0]


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_irv_agrees_with_votelib(profile):
    options, ballots = profile
    assume(reference_irv(options, [ballot for ballot, voters in ballots for _ in range(voters)]) is not None)
    result = counted("irv", options, ballots)
    try:
        elected = TransferableVoteSelector().evaluate(dict(ballots), 1)
    except (NotImplementedError, VotingSystemError):  # "tie in STV elimination", "infinite loop in STV"
        assume(False)
    expected = single(elected)
    assert result.winners == [expected]


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_schulze_agrees_with_votelib(profile):
    options, ballots = profile
    pairwise = RankedToCondorcetVotes(unranked_at_bottom=True).convert(dict(ballots))
    paths = Schulze.widest_paths(pairwise)
    assume(all(paths.get((a, b), 0) != paths.get((b, a), 0) for a in options for b in options if a != b))
    result = counted("schulze", options, ballots)
    expected = single(Schulze().evaluate(pairwise, 1))
    assert result.winners == [expected]
    # The pairwise preferences votelib counts are votr's d[a][b] (where above zero).
    for (a, b), voters in pairwise.items():
        assert result.tally["pairwise"][a][b] == voters


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_approval_agrees_with_votelib(profile):
    options, ballots = profile
    chosen = [(tuple(sorted(ballot, key=options.index)), voters) for ballot, voters in ballots]
    approvals: dict[frozenset, int] = {}
    for ballot, voters in chosen:
        approvals[frozenset(ballot)] = approvals.get(frozenset(ballot), 0) + voters
    totals = ApprovalToSimpleVotes().convert(approvals)
    assume(list(totals.values()).count(max(totals.values())) == 1)
    result = counted("approval", options, chosen)
    expected = single(Plurality().evaluate(totals, 1))
    assert result.winners == [expected]
