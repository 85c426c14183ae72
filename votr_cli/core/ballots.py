"""A ballot of each poll kind: how a voter's request becomes one, and how it is stored.

A poll's options are numbered by their position in the poll (0, 1, 2, …). A ballot of a
`single` poll is its one option (ballots.option_id). A ballot of any other kind is one
short string in ballots.choices, one character per option:

- `multiple`: the chosen options' codes, in the poll's order ("AC": options 1 and 3);
- `ranked`: the ranked options' codes, most preferred first ("CAB");
- `score`: one digit per option of the poll, its score ("5003": 5, 0, 0, 3).

An option's code is "A" for the first, "B" for the second… up to "~" for the 62nd, then
characters from U+0100 on (never a surrogate). One character per option makes a ballot
cheap to store and to count: counting a million ranked ballots reads one short string
each, which the database joins into a few long ones (db/ballot_reader.py) without
knowing the code. PAD, never a code nor a score, stands between two joined ballots.

Validation happens here, before anything is written: every error is InvalidInput
(exit 1), except an option the poll does not have (NotFound, as for a single vote).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from votr_cli.core.errors import InvalidInput
from votr_cli.core.text import noun_for

KINDS = ("single", "multiple", "ranked", "score")
MIN_SCORE, MAX_SCORE = 0, 5
PAD = "@"
NOT_A_CODE = "?"  # stands for a character that must not reach a count (a stray PAD)

_ASCII_CODES = 62  # "A" (0x41) to "~" (0x7E)
_FIRST_WIDE = 0x100
_SURROGATES = range(0xD800, 0xE000)


def code(position: int) -> str:
    """The character that stands for the option at `position` (0-based) in a ballot."""
    if position < _ASCII_CODES:
        return chr(0x41 + position)
    point = _FIRST_WIDE + position - _ASCII_CODES
    if point >= _SURROGATES.start:
        point += len(_SURROGATES)
    return chr(point)


def position(char: str) -> int:
    """The inverse of `code`; ValueError for a character that is no option's code."""
    point = ord(char)
    if 0x41 <= point < 0x41 + _ASCII_CODES:
        return point - 0x41
    if point < _FIRST_WIDE or point in _SURROGATES:
        raise ValueError(f"{char!r} is not an option code")
    if point >= _SURROGATES.stop:
        point -= len(_SURROGATES)
    return point - _FIRST_WIDE + _ASCII_CODES


class Ballot(NamedTuple):
    """A valid ballot, ready to store.

    option_position: a single poll's choice, else None.
    choices: the stored string of any other kind, else None.
    counted: (position, amount) to add to each option's vote_count.
    """

    option_position: int | None
    choices: str | None
    counted: tuple[tuple[int, int], ...]


class Request(NamedTuple):
    """What a voter asks for, before validation: option names (`options`), or option
    names with scores (`scores`, for score polls)."""

    options: tuple[str, ...] = ()
    scores: tuple[tuple[str, int | str], ...] | None = None


def parse_score_pair(pair: str) -> tuple[str, int]:
    """`OPTION=SCORE` as typed on the command line, split at the last "="."""
    name, equals, score = pair.rpartition("=")
    if not equals or not name.strip():
        raise InvalidInput(f"{pair!r} is not OPTION=SCORE")
    return name, parse_score(score, name)


def parse_score(value: int | str, name: str) -> int:
    """A score from a command line (text) or a document (an integer, not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidInput(f"the score of {name!r} must be an integer from {MIN_SCORE} to {MAX_SCORE}")
    if isinstance(value, str):
        digits = value.strip()
        if not (digits.isascii() and digits.lstrip("+-").isdigit()) or len(digits) > 3:
            raise InvalidInput(f"the score of {name!r} must be an integer from {MIN_SCORE} to "
                               f"{MAX_SCORE}, not {value!r}")
        value = int(digits)
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise InvalidInput(f"the score of {name!r} must be from {MIN_SCORE} to {MAX_SCORE}, not {value}")
    return value


def build(kind: str, min_choices: int, max_choices: int, option_count: int,
          chosen: Sequence[tuple[int, str]], scores: Sequence[int] | None = None) -> Ballot:
    """The ballot of a poll of `kind` from the chosen options' (position, display name), in
    the order the voter gave them, and for score polls their scores (same order).

    The caller has found each option in the poll (NotFound otherwise) and, for score
    polls, parsed each score.
    """
    positions = [option for option, _ in chosen]
    if len(set(positions)) != len(positions):
        _refuse_repeat(chosen)
    if kind == "score":
        if scores is None:
            raise InvalidInput("a score poll takes OPTION=SCORE pairs (scores), not options alone")
        if not chosen:
            raise InvalidInput("a score ballot names at least one option with its score")
        digits = ["0"] * option_count
        for option, score in zip(positions, scores):
            digits[option] = str(score)
        return Ballot(None, "".join(digits), tuple((option, score) for option, score in zip(positions, scores)))
    if scores is not None:
        raise InvalidInput(f"a {kind} poll takes options, not OPTION=SCORE pairs")
    _check_count(kind, len(chosen), min_choices, max_choices)
    if kind == "single":
        return Ballot(positions[0], None, ((positions[0], 1),))
    if kind == "multiple":
        ordered = sorted(positions)
        return Ballot(None, _codes(ordered), tuple((option, 1) for option in ordered))
    if kind == "ranked":
        return Ballot(None, _codes(positions), ((positions[0], 1),))
    raise ValueError(f"unknown poll kind {kind!r}")


_ASCII_CODE = [chr(0x41 + position) for position in range(_ASCII_CODES)]


def _codes(positions: list[int]) -> str:
    """The options' codes, one after another (a batch builds one such string per line)."""
    if max(positions) < _ASCII_CODES:
        return "".join([_ASCII_CODE[position] for position in positions])
    return "".join(map(code, positions))


def _refuse_repeat(chosen: Sequence[tuple[int, str]]):
    seen: set[int] = set()
    for option, name in chosen:
        if option in seen:
            raise InvalidInput(f"option {name!r} is given twice")
        seen.add(option)


def _check_count(kind: str, given: int, least: int, most: int) -> None:
    if kind == "single":
        if given != 1:
            raise InvalidInput(f"a single-choice poll takes exactly one option, not {given}")
        return
    if not least <= given <= most:
        wanted = f"exactly {least}" if least == most else f"from {least} to {most}"
        raise InvalidInput(f"this {kind} poll takes {wanted} {noun_for(most, 'option')}, not {given}")


def stored_choices(kind: str, choices: str | None, option_count: int) -> list[int] | list[tuple[int, int]]:
    """A stored ballot back as option positions (multiple, ranked: in stored order) or as
    (position, score) pairs for every option scored above 0 (score). ValueError when the
    string is not a well-formed ballot of such a poll (db-check reports it)."""
    if choices is None:
        raise ValueError("the ballot has no choices")
    if kind == "score":
        if len(choices) != option_count or not all(c in "012345" for c in choices):
            raise ValueError(f"not {option_count} scores from 0 to 5")
        return [(i, int(c)) for i, c in enumerate(choices) if c != "0"]
    if not choices:
        raise ValueError("it names no option")
    positions = [position(c) for c in choices]
    if max(positions) >= option_count:
        raise ValueError(f"{code(max(positions))!r} is no option of the poll's {option_count}")
    if len(set(positions)) != len(positions):
        twice = next(c for i, c in enumerate(choices) if c in choices[:i])
        raise ValueError(f"it names option {twice!r} twice")
    if kind == "multiple" and positions != sorted(positions):
        raise ValueError("its options are not in the poll's order")
    return positions


def counted_from(kind: str, choices: list[int] | list[tuple[int, int]]) -> Mapping[int, int]:
    """What a decoded stored ballot adds to each option's vote_count."""
    if kind == "score":
        return dict(choices)
    if kind == "ranked":
        return {choices[0]: 1}
    return dict.fromkeys(choices, 1)


@dataclass(frozen=True)
class StoredBallots:
    """A poll's stored ballots, as db/ballot_reader.py reads them in bulk for counting
    (core/counting.py: `count_stored`): a few long strings rather than a row per ballot.

    kind: the poll's kind (`multiple`, `ranked` or `score`).
    width: the most characters a ballot of the poll has (a ranked or multiple poll's
        max_choices, a score poll's option count); characters past it are not read.
    chunks: (count, text) pairs: `text` is `count` ballots' choices strings joined by PAD
        (which is never a code nor a digit); a ballot without choices is an empty string.
    weights: how many voters cast each ballot, in chunk order; None: one voter each.
    """

    kind: str
    width: int
    chunks: tuple[tuple[int, str], ...]
    weights: tuple[int, ...] | None = None

    @property
    def ballot_count(self) -> int:
        return sum(count for count, _ in self.chunks)

    @classmethod
    def from_pairs(cls, kind: str, pairs: Iterable[tuple[str | None, int]]) -> StoredBallots:
        """Stored ballots from `(choices, weight)` pairs (a ballot read row by row)."""
        texts: list[str] = []
        weights: list[int] = []
        for choices, weight in pairs:
            texts.append((choices or "").replace(PAD, NOT_A_CODE))
            weights.append(weight)
        width = max(map(len, texts), default=1) or 1
        chunks = ((len(texts), PAD.join(texts)),) if texts else ()
        return cls(kind, width, chunks, tuple(weights))
