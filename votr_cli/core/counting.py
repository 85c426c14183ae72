"""Counting a poll's ballots: who wins under each poll kind's method, and the working.

Pure functions, no I/O. The one entry point is `count(method, options, ballots)`.

Ballots arrive **aggregated**: an iterable of `(ballot, weight)` pairs, `weight` being how
many voters cast exactly that ballot (the database groups them), so counting costs what
the number of distinct ballots costs, not the number of voters. A ballot is

- `plurality`, `approval`, `irv`, `schulze`: a tuple of option names (ranked methods:
  most preferred first; a name repeated later on a ballot is ignored);
- `star`, `score`: a tuple of `(name, score)` pairs, scores 0 to `MAX_SCORE`; an option
  a ballot does not name scores 0 on it.

Names that are not among `options` are ignored; nothing else is checked (the service
validates ballots before they are stored).

Determinism: every result depends only on the multiset of ballots and the options' order
(which orders the output), never on the order ballots arrive in: totals are sums, and
every tie is broken by a rule of the method below, or left unbroken (all tied options
win). An option wins only with some support: when no ballot supports any option,
`winners` is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any, Callable, Iterable, Sequence

from votr_cli.core import ballots as ballot_codes

MAX_SCORE = ballot_codes.MAX_SCORE

METHODS_BY_KIND: dict[str, tuple[str, ...]] = {
    "single": ("plurality",),
    "multiple": ("approval",),
    "ranked": ("irv", "schulze"),
    "score": ("star", "score"),
}
"""Each poll kind's counting methods, its default first."""

DEFAULT_METHOD: dict[str, str] = {kind: methods[0] for kind, methods in METHODS_BY_KIND.items()}
KIND_OF_METHOD: dict[str, str] = {m: kind for kind, methods in METHODS_BY_KIND.items() for m in methods}


@dataclass(frozen=True)
class Count:
    """A poll's result.

    winners: the winning options in the poll's order; several only on a tie the method's
        rules leave unbroken; empty without ballots (or without any support).
    vote_counts: per option, in the poll's order: plurality, votes; approval, ballots
        choosing it; irv and schulze, first preferences; star and score, total score.
    voter_count: the number of ballots (the weights summed), blank ones included.
    tally: the method's working, as `show --json` gives it (README: Counting).
    """

    winners: list[str]
    vote_counts: dict[str, int]
    voter_count: int
    tally: dict[str, Any]


Ballots = Iterable[tuple[tuple, int]]


def count(method: str, options: Sequence[str], ballots: Ballots) -> Count:
    """Count `ballots` (aggregated `(ballot, weight)` pairs) over `options` by `method`."""
    counter = _COUNTERS.get(method)
    if counter is None:
        raise ValueError(f"unknown counting method {method!r}; known: {', '.join(_COUNTERS)}")
    names = list(options)
    if len(set(names)) != len(names):
        raise ValueError("option names must be distinct")
    merged: dict[tuple, int] = {}
    for ballot, weight in ballots:
        key = tuple(ballot)
        merged[key] = merged.get(key, 0) + weight
    return counter(names, merged)


# --- helpers ---------------------------------------------------------------------------

def _by_name(names: list[str], values: Sequence[int]) -> dict[str, int]:
    return {name: values[i] for i, name in enumerate(names)}


def _top(values: Sequence[int]) -> list[int]:
    """The indices of the greatest value, if it is above 0."""
    best = max(values, default=0)
    return [i for i, v in enumerate(values) if v == best] if best > 0 else []


def _rankings(names: list[str], ballots: dict[tuple, int]) -> dict[tuple[int, ...], int]:
    """Ballots as tuples of option indices, unknown names and repeats dropped, merged."""
    index = {name: i for i, name in enumerate(names)}
    get = index.__getitem__
    out: dict[tuple[int, ...], int] = {}
    for ballot, weight in ballots.items():
        try:
            ranking = tuple(map(get, ballot))
            if len(set(ranking)) != len(ranking):
                raise KeyError
        except KeyError:
            seen: list[int] = []
            for name in ballot:
                i = index.get(name)
                if i is not None and i not in seen:
                    seen.append(i)
            ranking = tuple(seen)
        out[ranking] = out.get(ranking, 0) + weight
    return out


def _first_preferences(n: int, rankings: dict[tuple[int, ...], int]) -> list[int]:
    first = [0] * n
    for ranking, weight in rankings.items():
        if ranking:
            first[ranking[0]] += weight
    return first


def _result(names: list[str], winners: Iterable[int], vote_counts: Sequence[int], voters: int,
            tally: dict[str, Any]) -> Count:
    return Count([names[i] for i in sorted(winners)], _by_name(names, vote_counts), voters, tally)


# --- plurality and approval --------------------------------------------------------------

def _choices(names: list[str], ballots: dict[tuple, int]) -> Count:
    """Each option's count is the number of ballots naming it; the highest count wins."""
    rankings = _rankings(names, ballots)
    counts = [0] * len(names)
    for ranking, weight in rankings.items():
        for i in ranking:
            counts[i] += weight
    return _result(names, _top(counts), counts, sum(rankings.values()),
                   {"counts": _by_name(names, counts)})


# --- instant-runoff voting ---------------------------------------------------------------

def _irv(names: list[str], ballots: dict[tuple, int]) -> Count:
    """Instant-runoff voting.

    Each round counts every continuing ballot for its highest-ranked continuing option. An
    option with more than half of the continuing (not exhausted) ballots wins. Otherwise
    every option with the fewest votes is eliminated together; when all continuing
    options are tied, so that this would eliminate everyone, the tie is broken backwards:
    the earlier rounds, latest first, are searched for one in which the tied options had
    different counts, and those with the fewest there are eliminated. When no round tells
    them apart they all win.

    Ballots are kept in piles by the option they count for; an eliminated option's pile is
    handed on, so a round costs what the moved ballots cost, not every ballot.
    """
    n = len(names)
    rankings = _rankings(names, ballots)
    voters = sum(rankings.values())
    first = _first_preferences(n, rankings)
    if voters == 0:
        return _result(names, [], first, 0, {"rounds": []})
    counts = first[:]
    piles: list[list[tuple[tuple[int, ...], int, int]]] = [[] for _ in range(n)]
    exhausted = 0
    for ranking, weight in rankings.items():
        if ranking:
            piles[ranking[0]].append((ranking, 0, weight))
        else:
            exhausted += weight
    continuing = [True] * n
    history: list[list[int]] = []
    rounds: list[dict[str, Any]] = []
    while True:
        live = [i for i in range(n) if continuing[i]]
        total = sum(counts[i] for i in live)
        this_round: dict[str, Any] = {"counts": {names[i]: counts[i] for i in live}, "exhausted": exhausted,
                                      "eliminated": []}
        rounds.append(this_round)
        history.append(counts[:])
        if total == 0:
            winners: list[int] = []
            break
        top = max(counts[i] for i in live)
        if 2 * top > total:
            winners = [i for i in live if counts[i] == top]
            break
        fewest = min(counts[i] for i in live)
        out = [i for i in live if counts[i] == fewest]
        if len(out) == len(live):
            out = _backwards(live, history[:-1])
            if not out:
                winners = live
                break
        this_round["eliminated"] = [names[i] for i in out]
        for i in out:
            continuing[i] = False
        for i in out:
            for ranking, position, weight in piles[i]:
                position += 1
                while position < len(ranking) and not continuing[ranking[position]]:
                    position += 1
                if position < len(ranking):
                    piles[ranking[position]].append((ranking, position, weight))
                    counts[ranking[position]] += weight
                else:
                    exhausted += weight
            piles[i] = []
            counts[i] = 0
    return _result(names, winners, first, voters, {"rounds": rounds})


def _backwards(tied: list[int], earlier: list[list[int]]) -> list[int]:
    """The tied options with the fewest votes in the latest earlier round that tells them apart."""
    for counts in reversed(earlier):
        values = [counts[i] for i in tied]
        if min(values) != max(values):
            return [i for i in tied if counts[i] == min(values)]
    return []


# --- Schulze ----------------------------------------------------------------------------

def pairwise_preferences(n: int, rankings: dict[tuple[int, ...], int]) -> list[list[int]]:
    """d[a][b]: voters ranking a above b; a ranked option is above every unranked one."""
    d = [[0] * n for _ in range(n)]
    everyone = range(n)
    for ranking, weight in rankings.items():
        if not ranking:
            continue
        ranked = set(ranking)
        unranked = [x for x in everyone if x not in ranked] if len(ranked) < n else []
        for k, a in enumerate(ranking):
            row = d[a]
            for x in ranking[k + 1:]:
                row[x] += weight
            for x in unranked:
                row[x] += weight
    return d


def _schulze(names: list[str], ballots: dict[tuple, int]) -> Count:
    """The Schulze method (winning votes), as on Wikipedia's "Schulze method" page.

    d[a][b] counts the voters ranking a above b (unranked options tie for last; blank
    ballots count for nothing). A path's strength is its weakest link, a link a→b being
    d[a][b] where d[a][b] > d[b][a]; p[a][b] is the strongest path's. a beats b when
    p[a][b] > p[b][a]. The ranking lists, in turn, the options no remaining option beats
    (ties together); the first group wins.
    """
    n = len(names)
    rankings = _rankings(names, ballots)
    d = pairwise_preferences(n, rankings)
    p = [[d[a][b] if d[a][b] > d[b][a] else 0 for b in range(n)] for a in range(n)]
    for i in range(n):
        for j in range(n):
            if j != i and p[j][i]:
                pji = p[j][i]
                pj, pi = p[j], p[i]
                for k in range(n):
                    if k != i and k != j:
                        via = pji if pji < pi[k] else pi[k]
                        if via > pj[k]:
                            pj[k] = via
    remaining = list(range(n))
    ranking: list[list[int]] = []
    while remaining:
        group = [a for a in remaining if not any(p[b][a] > p[a][b] for b in remaining)]
        if not group:  # cannot happen: Schulze's relation is transitive
            group = remaining
        ranking.append(group)
        remaining = [a for a in remaining if a not in group]
    supported = any(any(row) for row in d)
    winners = ranking[0] if supported and ranking else []
    tally = {
        "pairwise": {names[a]: {names[b]: d[a][b] for b in range(n) if b != a} for a in range(n)},
        "ranking": [[names[i] for i in group] for group in ranking],
    }
    return _result(names, winners, _first_preferences(n, rankings), sum(rankings.values()), tally)


# --- score and STAR ---------------------------------------------------------------------

def _score_vectors(names: list[str], ballots: dict[tuple, int]) -> dict[tuple[int, ...], int]:
    """Score ballots as one score per option (0 when unnamed), merged."""
    index = {name: i for i, name in enumerate(names)}
    out: dict[tuple[int, ...], int] = {}
    for ballot, weight in ballots.items():
        vector = [0] * len(names)
        for name, score in ballot:
            i = index.get(name)
            if i is not None:
                vector[i] = score
        key = tuple(vector)
        out[key] = out.get(key, 0) + weight
    return out


def _totals(n: int, vectors: dict[tuple[int, ...], int]) -> list[int]:
    totals = [0] * n
    for vector, weight in vectors.items():
        for i, score in enumerate(vector):
            totals[i] += score * weight
    return totals


def _score(names: list[str], ballots: dict[tuple, int]) -> Count:
    """Score voting: the highest total score wins; a tie for it is left unbroken."""
    vectors = _score_vectors(names, ballots)
    totals = _totals(len(names), vectors)
    return _result(names, _top(totals), totals, sum(vectors.values()), {"counts": _by_name(names, totals)})


Ranker = Callable[[list[int]], list[list[int]]]


def _groups(candidates: list[int], key: Callable[[int], int]) -> list[list[int]]:
    """`candidates` grouped by equal key, the smallest key first (each group in poll order)."""
    values = sorted({key(c) for c in candidates})
    return [[c for c in candidates if key(c) == v] for v in values]


def _select(candidates: list[int], places: int, rankers: list[Ranker],
            start: int = 0) -> tuple[list[int], list[int], int]:
    """Choose `places` of `candidates` by the first ranker that separates them, then the next.

    Returns (chosen, tied, left): when the rankers cannot fill every place, the `left`
    places remain to be filled from `tied`. An over-full group is decided among its own
    members, from the ranker that split it (so head-to-head is counted again among them).
    """
    if len(candidates) <= places:
        return list(candidates), [], 0
    for r in range(start, len(rankers)):
        groups = rankers[r](candidates)
        if len(groups) == 1:
            continue
        chosen: list[int] = []
        for group in groups:
            if len(chosen) + len(group) <= places:
                chosen += group
                if len(chosen) == places:
                    break
            else:
                more, tied, left = _select(group, places - len(chosen), rankers, r)
                return chosen + more, tied, left
        return chosen, [], 0
    return [], list(candidates), places


def _star(names: list[str], ballots: dict[tuple, int]) -> Count:
    """STAR voting (Score Then Automatic Runoff), with the official tie-break protocol.

    Scoring round: the two options with the highest total scores are the finalists. Ties
    for a finalist place are broken by (1) head-to-head among the tied options: those
    losing the most match-ups (more voters scoring the other higher) are eliminated,
    again among the rest as needed; then (2) the most five-star scores. Runoff: the
    finalist scored higher by more voters wins; a tie there is broken by (1) the higher
    total score, then (2) the most five-star scores. A tie still unbroken is left so:
    when a finalist place cannot be decided, every runoff the tie allows is held and
    every option winning one of them wins.
    """
    n = len(names)
    vectors = _score_vectors(names, ballots)
    voters = sum(vectors.values())
    totals = _totals(n, vectors)
    fives = [0] * n
    for vector, weight in vectors.items():
        for i, score in enumerate(vector):
            if score == MAX_SCORE:
                fives[i] += weight

    def preferring(a: int, b: int) -> int:
        return sum(weight for vector, weight in vectors.items() if vector[a] > vector[b])

    def by_score(group: list[int]) -> list[list[int]]:
        return _groups(group, lambda c: -totals[c])

    def by_fives(group: list[int]) -> list[list[int]]:
        return _groups(group, lambda c: -fives[c])

    def by_head_to_head(group: list[int]) -> list[list[int]]:
        losses = {c: 0 for c in group}
        for a, b in combinations(group, 2):
            ab, ba = preferring(a, b), preferring(b, a)
            if ab > ba:
                losses[b] += 1
            elif ba > ab:
                losses[a] += 1
        return _groups(group, losses.__getitem__)

    def runoff(a: int, b: int) -> tuple[dict[str, Any], list[int]]:
        ab, ba = preferring(a, b), preferring(b, a)
        if ab != ba:
            winners = [a if ab > ba else b]
        else:
            chosen, tied, _ = _select([a, b], 1, [by_score, by_fives])
            winners = chosen or tied
        return {"finalists": [names[a], names[b]], "preferred": {names[a]: ab, names[b]: ba},
                "equal": voters - ab - ba}, winners

    tally: dict[str, Any] = {"scores": _by_name(names, totals), "runoff": None}
    if not _top(totals):
        return _result(names, [], totals, voters, tally)
    if n == 1:
        return _result(names, [0], totals, voters, tally)
    chosen, tied, left = _select(list(range(n)), 2, [by_score, by_head_to_head, by_fives])
    pairs = [tuple(sorted(chosen + list(extra))) for extra in combinations(tied, left)] if tied else [tuple(sorted(chosen))]
    winners: set[int] = set()
    runoffs = []
    for a, b in pairs:
        working, won = runoff(a, b)
        runoffs.append(working)
        winners.update(won)
    if len(runoffs) == 1:
        tally["runoff"] = runoffs[0]
    else:
        tally["runoffs"] = runoffs
    return _result(names, winners, totals, voters, tally)


_COUNTERS: dict[str, Callable[[list[str], dict[tuple, int]], Count]] = {
    "plurality": _choices,
    "approval": _choices,
    "irv": _irv,
    "schulze": _schulze,
    "star": _star,
    "score": _score,
}


# --- counting what the database holds ----------------------------------------------------

BALLOT_METHODS = frozenset({"irv", "schulze", "star"})
"""The methods whose winner needs the ballots themselves; the others (plurality, approval,
score) follow from each option's vote_count, which the database keeps up to date."""


def from_counters(method: str, vote_counts: dict[str, int], voter_count: int) -> Count:
    """The result of a counter method from the stored vote_counts: the highest count wins,
    a tie for it is left unbroken, nobody wins without support."""
    if method in BALLOT_METHODS:
        raise ValueError(f"{method} needs the ballots, not only the counts")
    names = list(vote_counts)
    values = list(vote_counts.values())
    return _result(names, _top(values), values, voter_count, {"counts": dict(vote_counts)})


def count_stored(method: str, options: Sequence[str], stored: Iterable[tuple[str, int]]) -> Count:
    """Count ballots as the database stores them (core/ballots.py): `(choices, weight)`
    pairs of a ranked (irv, schulze) or score (star, score) poll."""
    names = list(options)
    if KIND_OF_METHOD.get(method) == "score":
        ballots = ((tuple((names[i], int(c)) for i, c in enumerate(choices) if c != "0"), weight)
                   for choices, weight in stored)
    else:
        ballots = ((tuple(names[ballot_codes.position(c)] for c in choices), weight)
                   for choices, weight in stored)
    return count(method, names, ballots)
