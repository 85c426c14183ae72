"""Ballot profiles: a poll's ballots as numpy arrays, the one form every counting method of
core/counting.py reads, whether the ballots come as option names (`counting.count`) or
as the database stores them (`counting.count_stored`, read by db/ballot_reader.py).

Options are numbered by their position in the poll (0, 1, 2, …). Two shapes:

- `Rankings` (plurality, approval, IRV, Schulze): `choices[j, i]` is the option ballot
  `i` names `j`-th, or NONE past its end. A character that is no option's code, and a
  name that is none of the poll's, is NONE too, and is passed over like an eliminated
  option; an option named twice counts where it is first named.
- `Scores` (score, STAR): `scores[o, i]` is the score ballot `i` gives option `o`.

One row per rank (or option), so that a rank of every ballot is one contiguous array.
`weights[i]` is how many voters cast ballot `i`; None when each ballot is one voter's
(the database's rows), which lets sums be counts.

numpy is imported here, and this module is imported only by a count that needs it:
listing polls, voting, and showing a poll whose result follows from its counters never
load numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from votr_cli.core import ballots as ballot_codes
from votr_cli.core.ballots import PAD, StoredBallots

NONE = -1
"""No option: past a ballot's end, or a character that is no option's code. As an index
it selects the last element, which the methods make an array's "no option" entry."""

_PAD_POINT = ord(PAD)


def _smallest_int(largest: int):
    """The smallest signed integer type that holds -1 to `largest`."""
    for kind in (np.int8, np.int16, np.int32):
        if largest <= np.iinfo(kind).max:
            return kind
    return np.int64


@dataclass(frozen=True)
class Profile:
    weights: np.ndarray | None
    ballot_count: int

    @property
    def voter_count(self) -> int:
        return self.ballot_count if self.weights is None else int(self.weights.sum())

    def total(self, ballots: np.ndarray | None = None) -> int:
        """Voters casting `ballots` (indices, or a mask over every ballot); all when None."""
        if ballots is None:
            return self.voter_count
        if self.weights is None:
            return int(np.count_nonzero(ballots)) if ballots.dtype == bool else len(ballots)
        return int(self.weights[ballots].sum())

    def per_option(self, options: np.ndarray, ballots: np.ndarray | None, n: int) -> list[int]:
        """Voters per option: `options[k]` (NONE ignored) is an option of ballot `ballots[k]`
        (of ballot k when `ballots` is None)."""
        named = options >= 0
        if self.weights is None:
            return np.bincount(options[named], minlength=n)[:n].tolist()
        weights = self.weights if ballots is None else self.weights[ballots]
        return [int(round(x)) for x in np.bincount(options[named], weights[named], minlength=n)[:n]]

    def per_row(self, marks: np.ndarray) -> list[int]:
        """Voters per row of a (rows, ballots) boolean matrix."""
        if self.weights is None:
            return np.count_nonzero(marks, axis=1).tolist()
        return (marks.astype(np.int64) @ self.weights).tolist()


@dataclass(frozen=True)
class Rankings(Profile):
    choices: np.ndarray  # (width, ballot_count)

    @property
    def width(self) -> int:
        return self.choices.shape[0]

    def next_preferences(self, continuing: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where some ballots count now: each search starts at a place in `choices`,
        flattened (rank * ballot_count + ballot), and goes down the ballot to the first
        option that continuing[option] is True for (continuing[NONE] must be False).
        Returns (place, option) for each; option NONE, place past the end, when the
        ballot has none left."""
        flat = self.choices.ravel()
        step, end = self.ballot_count, flat.size
        option = np.full(len(start), NONE, flat.dtype)
        place = np.full(len(start), end, np.intp)
        todo = np.arange(len(start))
        at = start
        while todo.size:
            inside = at < end
            if not inside.all():
                todo, at = todo[inside], at[inside]
            found = flat[at]
            named = continuing[found]
            option[todo[named]] = found[named]
            place[todo[named]] = at[named]
            missed = ~named
            todo, at = todo[missed], at[missed] + step
        return place, option

    def first_preferences(self, n: int) -> list[int]:
        continuing = np.ones(n + 1, bool)
        continuing[NONE] = False
        _, first = self.next_preferences(continuing, np.arange(self.ballot_count))
        return self.per_option(first, None, n)

    def ranks(self, n: int) -> np.ndarray:
        """(n, ballots): the rank at which each ballot first names each option, `width`
        where it does not name it."""
        unranked = self.width
        table = np.full((self.ballot_count, n + 1), unranked, _smallest_int(unranked))
        flat = table.reshape(-1)
        rows = np.arange(self.ballot_count) * (n + 1)
        for j in range(self.width - 1, -1, -1):  # the first rank naming an option is written last
            # NONE (-1) lands in the previous ballot's column n, which is dropped.
            flat[rows + self.choices[j]] = j
        return np.ascontiguousarray(table[:, :n].T)

    def named(self, n: int) -> np.ndarray:
        """(n, ballots) boolean: whether each ballot names each option."""
        return self.ranks(n) < self.width

    def pairwise(self, n: int) -> list[list[int]]:
        """d[a][b]: voters ranking a above b; a ranked option is above every unranked one,
        and blank ballots count for nothing."""
        ranks = self.ranks(n)
        return [[self.total(ranks[a] < ranks[b]) if b != a else 0 for b in range(n)] for a in range(n)]


@dataclass(frozen=True)
class Scores(Profile):
    scores: np.ndarray  # (options, ballot_count)

    def totals(self) -> list[int]:
        if self.weights is None:
            return self.scores.sum(axis=1, dtype=np.int64).tolist()
        return (self.scores.astype(np.int64) @ self.weights).tolist()

    def preferring(self, a: int, b: int) -> int:
        """Voters scoring a above b."""
        return self.total(self.scores[a] > self.scores[b])


# --- from option names (counting.count) --------------------------------------------------

def rankings_from_names(names: Sequence[str], ballots: Mapping[tuple, int]) -> Rankings:
    """Ballots of option names (aggregated, distinct) as Rankings: names that are not the
    poll's and repeats are dropped."""
    index = {name: i for i, name in enumerate(names)}
    rows: list[list[int]] = []
    weights: list[int] = []
    for ballot, weight in ballots.items():
        seen: list[int] = []
        for name in ballot:
            i = index.get(name)
            if i is not None and i not in seen:
                seen.append(i)
        rows.append(seen)
        weights.append(weight)
    width = max(map(len, rows), default=0) or 1
    choices = np.full((len(rows), width), NONE, _smallest_int(len(names)))
    for i, row in enumerate(rows):
        choices[i, :len(row)] = row
    return Rankings(np.array(weights, np.int64), len(rows), np.ascontiguousarray(choices.T))


def scores_from_names(names: Sequence[str], ballots: Mapping[tuple, int]) -> Scores:
    """Ballots of (name, score) pairs (aggregated, distinct) as Scores: an option a ballot
    does not name scores 0; a name that is not the poll's is ignored; of a name given
    twice, the last score counts."""
    index = {name: i for i, name in enumerate(names)}
    vectors: list[list[int]] = []
    weights: list[int] = []
    for ballot, weight in ballots.items():
        vector = [0] * len(names)
        for name, score in ballot:
            i = index.get(name)
            if i is not None:
                vector[i] = score
        vectors.append(vector)
        weights.append(weight)
    scores = np.array(vectors, np.int64).reshape(len(vectors), len(names))
    return Scores(np.array(weights, np.int64), len(vectors), np.ascontiguousarray(scores.T))


# --- from the database (counting.count_stored) -------------------------------------------

def rankings_from_stored(stored: StoredBallots, n: int) -> Rankings:
    """Stored multiple or ranked ballots of a poll of `n` options as Rankings."""
    last = max(ord(ballot_codes.code(n - 1)) if n else 0, _PAD_POINT)
    table = np.full(last + 2, NONE, _smallest_int(n))  # its last entry: any later character
    for p in range(n):
        table[ord(ballot_codes.code(p))] = p
    return Rankings(_weights(stored), stored.ballot_count, _columns(stored, stored.width, table))


def scores_from_stored(stored: StoredBallots, n: int) -> Scores:
    """Stored score ballots (one digit per option) of a poll of `n` options as Scores; a
    character that is not a digit from 0 to MAX_SCORE scores 0 (db-check reports it)."""
    table = np.zeros(max(ord("9"), _PAD_POINT) + 2, np.int8)
    for score in range(ballot_codes.MIN_SCORE, ballot_codes.MAX_SCORE + 1):
        table[ord(str(score))] = score
    scores = _columns(stored, n, table)
    return Scores(_weights(stored), stored.ballot_count, scores)


def _weights(stored: StoredBallots) -> np.ndarray | None:
    if stored.weights is None:
        return None
    weights = np.array(stored.weights, np.int64)
    if len(weights) != stored.ballot_count:
        raise ValueError(f"{len(weights)} weights for {stored.ballot_count} ballots")
    return weights


def _columns(stored: StoredBallots, width: int, table: np.ndarray) -> np.ndarray:
    """The stored ballots' first `width` characters as a (width, ballots) array, each
    character mapped through `table` (indexed by code point; a code point past its end
    maps as its last entry), `table[PAD]` past each ballot's end."""
    width = max(width, 1)
    if len(table) < 256:  # then a character of ASCII text needs no bounds check
        table = np.concatenate([table, np.full(256 - len(table), table[-1], table.dtype)])
    fill = table[_PAD_POINT]
    blocks = []
    for count, text in stored.chunks:
        if not count:
            continue
        text += PAD  # every ballot then ends with PAD
        if text.isascii():
            points = np.frombuffer(text.encode("ascii"), np.uint8)
        else:
            points = np.minimum(np.frombuffer(text.encode("utf-32-le"), np.uint32), len(table) - 1)
        ends = np.flatnonzero(points == _PAD_POINT)
        if len(ends) != count:
            raise ValueError(f"a chunk of {count} stored ballots holds {len(ends)}")
        if len(points) == count * (width + 1) and (count == 1 or bool(np.all(np.diff(ends) == width + 1))):
            # Every ballot is `width` long (score ballots, full rankings): a plain reshape.
            blocks.append(np.ascontiguousarray(table[points.reshape(count, width + 1)[:, :width].T]))
            continue
        starts = np.empty(count, np.intp)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        longest = int((ends - starts).max())
        block = np.empty((width, count), table.dtype)
        at = np.empty(count, np.intp)
        for j in range(width):
            if j < longest:
                # Past a ballot's end, its PAD: `fill`.
                np.minimum(starts, ends, out=at)
                block[j] = table[points[at]]
                starts += 1
            else:
                block[j] = fill
        blocks.append(block)
    if not blocks:
        return np.full((width, 0), fill, table.dtype)
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=1)
