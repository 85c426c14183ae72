"""Counting a poll's ballots: who wins under each poll kind's method, and the working.

Pure functions, no I/O. Two entry points: `count(method, options, ballots)` for ballots
of option names, and `count_stored(method, options, stored)` for ballots as the database
stores them. Both turn the ballots into one profile (core/profiles.py: numpy arrays)
and count it with the same function per method, so each method has one implementation.

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
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from votr_cli.core import ballots as ballot_codes
from votr_cli.core.ballots import StoredBallots

if TYPE_CHECKING:  # numpy is imported only when a count needs it (core/profiles.py)
    from votr_cli.core.profiles import Rankings, Scores

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
    from votr_cli.core import profiles

    counter, names = _counter(method, options)
    merged: dict[tuple, int] = {}
    for ballot, weight in ballots:
        key = tuple(ballot)
        merged[key] = merged.get(key, 0) + weight
    if KIND_OF_METHOD[method] == "score":
        return counter(names, profiles.scores_from_names(names, merged))
    return counter(names, profiles.rankings_from_names(names, merged))


def _counter(method: str, options: Sequence[str]) -> tuple[Callable[[list[str], Any], Count], list[str]]:
    counter = _COUNTERS.get(method)
    if counter is None:
        raise ValueError(f"unknown counting method {method!r}; known: {', '.join(_COUNTERS)}")
    names = list(options)
    if len(set(names)) != len(names):
        raise ValueError("option names must be distinct")
    return counter, names


# --- helpers ---------------------------------------------------------------------------

def _by_name(names: list[str], values: Sequence[int]) -> dict[str, int]:
    return {name: values[i] for i, name in enumerate(names)}


def _top(values: Sequence[int]) -> list[int]:
    """The indices of the greatest value, if it is above 0."""
    best = max(values, default=0)
    return [i for i, v in enumerate(values) if v == best] if best > 0 else []


def _result(names: list[str], winners: Iterable[int], vote_counts: Sequence[int], voters: int,
            tally: dict[str, Any]) -> Count:
    return Count([names[i] for i in sorted(winners)], _by_name(names, vote_counts), voters, tally)


# --- plurality and approval --------------------------------------------------------------

def _choices(names: list[str], profile: Rankings) -> Count:
    """Each option's count is the number of ballots naming it; the highest count wins."""
    counts = profile.per_row(profile.named(len(names)))
    return _result(names, _top(counts), counts, profile.voter_count, {"counts": _by_name(names, counts)})


# --- instant-runoff voting ---------------------------------------------------------------

def _irv(names: list[str], profile: Rankings) -> Count:
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
    import numpy as np

    from votr_cli.core.profiles import NONE

    n = len(names)
    voters = profile.voter_count
    continuing = np.ones(n + 1, bool)
    continuing[NONE] = False
    everyone = np.arange(profile.ballot_count)
    place, top = profile.next_preferences(continuing, everyone)  # each ballot from its first rank
    first = profile.per_option(top, None, n)
    if voters == 0:
        return _result(names, [], first, 0, {"rounds": []})
    counts = first[:]
    exhausted = profile.total(top == NONE)
    piles: list[list] = [[] for _ in range(n)]
    _pile(piles, everyone, top, n)
    alive = [True] * n
    history: list[list[int]] = []
    rounds: list[dict[str, Any]] = []
    while True:
        live = [i for i in range(n) if alive[i]]
        total = sum(counts[i] for i in live)
        this_round: dict[str, Any] = {"counts": {names[i]: counts[i] for i in live}, "exhausted": exhausted,
                                      "eliminated": []}
        rounds.append(this_round)
        history.append(counts[:])
        if total == 0:
            winners: list[int] = []
            break
        top_count = max(counts[i] for i in live)
        if 2 * top_count > total:
            winners = [i for i in live if counts[i] == top_count]
            break
        fewest = min(counts[i] for i in live)
        out = [i for i in live if counts[i] == fewest]
        if len(out) == len(live):
            out = _backwards(live, history[:-1])
            if not out:
                winners = live
                break
        this_round["eliminated"] = [names[i] for i in out]
        moving = [pile for i in out for pile in piles[i]]
        for i in out:
            alive[i] = continuing[i] = False
            piles[i] = []
            counts[i] = 0
        if not moving:
            continue
        moving = np.concatenate(moving)
        place[moving], onto = profile.next_preferences(continuing, place[moving] + profile.ballot_count)
        exhausted += profile.total(moving[onto == NONE])
        for i, gained in enumerate(profile.per_option(onto, moving, n)):
            counts[i] += gained
        _pile(piles, moving, onto, n)
    return _result(names, winners, first, voters, {"rounds": rounds})


def _pile(piles: list[list], ballots, onto, n: int) -> None:
    """Add each of `ballots` to the pile of the option it now counts for (`onto`, NONE:
    exhausted, on no pile)."""
    import numpy as np

    order = np.argsort(onto, kind="stable")
    sizes = np.bincount(onto[onto >= 0], minlength=n)
    start = len(onto) - int(sizes.sum())  # the exhausted sort first
    for option in np.flatnonzero(sizes):
        piles[option].append(ballots[order[start:start + sizes[option]]])
        start += sizes[option]


def _backwards(tied: list[int], earlier: list[list[int]]) -> list[int]:
    """The tied options with the fewest votes in the latest earlier round that tells them apart."""
    for counts in reversed(earlier):
        values = [counts[i] for i in tied]
        if min(values) != max(values):
            return [i for i in tied if counts[i] == min(values)]
    return []


# --- Schulze ----------------------------------------------------------------------------

def _schulze(names: list[str], profile: Rankings) -> Count:
    """The Schulze method (winning votes), as on Wikipedia's "Schulze method" page.

    d[a][b] counts the voters ranking a above b (unranked options tie for last; blank
    ballots count for nothing). A path's strength is its weakest link, a link a→b being
    d[a][b] where d[a][b] > d[b][a]; p[a][b] is the strongest path's. a beats b when
    p[a][b] > p[b][a]. The ranking lists, in turn, the options no remaining option beats
    (ties together); the first group wins.
    """
    import numpy as np

    n = len(names)
    d = profile.pairwise(n)
    links = np.array(d, np.int64).reshape(n, n)
    p = np.where(links > links.T, links, 0)
    for i in range(n):  # Floyd–Warshall for the widest paths, one intermediate option at a time
        via = np.minimum(p[:, i:i + 1], p[i:i + 1, :])
        via[i, :] = 0
        via[:, i] = 0
        np.fill_diagonal(via, 0)
        np.maximum(p, via, out=p)
    beaten_by = p.T > p  # beaten_by[a][b]: b beats a
    remaining = list(range(n))
    ranking: list[list[int]] = []
    while remaining:
        group = [a for a in remaining if not beaten_by[a, remaining].any()]
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
    return _result(names, winners, profile.first_preferences(n), profile.voter_count, tally)


# --- score and STAR ---------------------------------------------------------------------

def _score(names: list[str], profile: Scores) -> Count:
    """Score voting: the highest total score wins; a tie for it is left unbroken."""
    totals = profile.totals()
    return _result(names, _top(totals), totals, profile.voter_count, {"counts": _by_name(names, totals)})


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


def _star(names: list[str], profile: Scores) -> Count:
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
    voters = profile.voter_count
    totals = profile.totals()
    fives = profile.per_row(profile.scores == MAX_SCORE)
    preferring = profile.preferring

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


_COUNTERS: dict[str, Callable[[list[str], Any], Count]] = {
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
    return Count(winners_from_counts(vote_counts), dict(vote_counts), voter_count, {"counts": dict(vote_counts)})


def winners_from_counts(vote_counts: dict[str, int]) -> list[str]:
    """The winners of a counter method (plurality, approval, score) from the stored
    vote_counts: the highest count wins, a tie for it is left unbroken, nobody wins without
    support. `from_counters` without the rest of the result: a listing asks it of every poll."""
    best = max(vote_counts.values(), default=0)
    return [name for name, votes in vote_counts.items() if votes == best] if best > 0 else []


def count_stored(method: str, options: Sequence[str],
                 stored: StoredBallots | Iterable[tuple[str, int]]) -> Count:
    """Count ballots as the database stores them (core/ballots.py) by `method`, over the
    poll's `options` in order: read in bulk by db/ballot_reader.py (`StoredBallots`), or
    as `(choices, weight)` pairs. The choices of multiple and ranked polls count for
    plurality, approval, irv and schulze; those of score polls for score and star.

    A stored ballot that is not well formed (db-check reports it) does not stop the
    count: a character that is no option's code is passed over, and in a score ballot,
    a character that is not a score counts 0.
    """
    from votr_cli.core import profiles

    counter, names = _counter(method, options)
    scored = KIND_OF_METHOD[method] == "score"
    if not isinstance(stored, StoredBallots):
        stored = StoredBallots.from_pairs("score" if scored else "ranked", stored)
    if scored != (stored.kind == "score"):
        raise ValueError(f"{method} cannot count the ballots of a {stored.kind} poll")
    if scored:
        return counter(names, profiles.scores_from_stored(stored, len(names)))
    return counter(names, profiles.rankings_from_stored(stored, len(names)))
