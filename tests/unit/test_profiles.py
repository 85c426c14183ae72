"""core/profiles.py: stored ballots (core/ballots.StoredBallots, as db/ballot_reader.py
reads them) become the arrays the counting methods read, and count exactly as the same
ballots given by name; numpy is loaded only by a count that needs it.
"""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from votr_cli.core.ballots import PAD, StoredBallots, code
from votr_cli.core.counting import count, count_stored

NAMES = [f"option {i}" for i in range(70)]  # past the 62nd, codes leave ASCII


def joined(texts: list[str], per_chunk: int) -> tuple[tuple[int, str], ...]:
    return tuple((len(texts[i:i + per_chunk]), PAD.join(texts[i:i + per_chunk]))
                 for i in range(0, len(texts), per_chunk))


def rankings(rng: random.Random, n: int, count_: int) -> list[list[int]]:
    return [rng.sample(range(n), rng.randint(1, min(n, 12))) for _ in range(count_)]


@pytest.mark.parametrize("n", [5, 70])
@pytest.mark.parametrize("method", ["irv", "schulze", "approval", "plurality"])
def test_stored_rankings_count_as_by_name_in_any_chunking(method, n):
    rng = random.Random(n)
    ballots = rankings(rng, n, 500)
    if method in ("approval", "plurality"):
        ballots = [sorted(b) for b in ballots]
    names = NAMES[:n]
    texts = ["".join(map(code, b)) for b in ballots]
    expected = count(method, names, [(tuple(names[p] for p in b), 1) for b in ballots])
    width = max(map(len, texts))
    for per_chunk in (500, 77, 1):
        assert count_stored(method, names, StoredBallots("ranked", width, joined(texts, per_chunk))) == expected
    assert count_stored(method, names, [(t, 1) for t in texts]) == expected


def test_weights_count_as_that_many_voters():
    names = ["a", "b", "c"]
    stored = StoredBallots("ranked", 3, ((3, "AB@CB@BA"),), weights=(4, 3, 2))
    assert count_stored("irv", names, stored) == count("irv", names, [(("a", "b"), 4), (("c", "b"), 3), (("b", "a"), 2)])
    with pytest.raises(ValueError, match="2 weights for 3 ballots"):
        count_stored("irv", names, StoredBallots("ranked", 3, ((3, "A@B@C"),), weights=(1, 2)))


@pytest.mark.parametrize("method", ["star", "score"])
def test_stored_scores_count_as_by_name(method):
    rng = random.Random(9)
    names = NAMES[:7]
    vectors = [[rng.randint(0, 5) for _ in names] for _ in range(400)]
    texts = ["".join(map(str, v)) for v in vectors]
    expected = count(method, names, [(tuple((names[i], s) for i, s in enumerate(v) if s), 1) for v in vectors])
    for per_chunk in (400, 33):
        assert count_stored(method, names, StoredBallots("score", 7, joined(texts, per_chunk))) == expected
    assert count_stored(method, names, [(t, 1) for t in texts]) == expected


def test_malformed_stored_ballots_are_passed_over_not_fatal():
    names = ["a", "b", "c"]
    # A stray PAD (from_pairs replaces it), a code of no option (Z), a character below
    # the codes (?), a ballot longer than the width (cut), an empty one.
    stored = [("A@B", 1), ("ZC", 1), ("?B", 1), ("CAB", 1), ("", 1)]
    result = count_stored("irv", names, StoredBallots.from_pairs("ranked", stored))
    assert result == count("irv", names, [(("a", "b"), 1), (("c",), 1), (("b",), 1), (("c", "a", "b"), 1), ((), 1)])
    cut = StoredBallots("ranked", 2, ((2, "CAB@B"),))
    assert count_stored("irv", names, cut) == count("irv", names, [(("c", "a"), 1), (("b",), 1)])
    # Score ballots: anything but a digit 0 to 5 scores 0; a short ballot scores 0 for the rest.
    scores = StoredBallots("score", 3, ((3, "5x9@14@3"),))
    assert count_stored("score", names, scores).vote_counts == {"a": 9, "b": 4, "c": 0}


def test_a_method_counts_only_its_kind_of_ballots():
    with pytest.raises(ValueError, match="star cannot count the ballots of a ranked poll"):
        count_stored("star", ["a", "b"], StoredBallots("ranked", 2, ((1, "AB"),)))
    with pytest.raises(ValueError, match="irv cannot count the ballots of a score poll"):
        count_stored("irv", ["a", "b"], StoredBallots("score", 2, ((1, "50"),)))


def test_no_ballots():
    for method, kind in (("irv", "ranked"), ("schulze", "ranked"), ("star", "score")):
        result = count_stored(method, ["a", "b"], StoredBallots(kind, 2, ()))
        assert result.winners == [] and result.voter_count == 0


def test_numpy_is_loaded_only_by_a_count_that_needs_it():
    program = (
        "import sys\n"
        "from votr_cli.core import counting\n"
        "counting.from_counters('plurality', {'a': 2, 'b': 1}, 3)\n"
        "assert 'numpy' not in sys.modules, 'loaded by importing counting'\n"
        "counting.count_stored('irv', ['a', 'b'], [('AB', 1)])\n"
        "assert 'numpy' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
