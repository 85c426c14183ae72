"""Reading a batch of votes: JSON Lines or CSV, each record naming a poll, its choice and a voter.

- JSON Lines: one object per line, `{"poll": "…", "option": "…", "voter": "…"}`; a
  multiple or ranked poll's ballot is `"options": ["…", …]` (ranked: most preferred
  first), a score poll's `"scores": {"…": 5, …}`.
- CSV: a header row naming the columns `poll`, `voter` and one or more of `option`,
  `options`, `scores` (any order, other columns ignored), then one vote per row, with as
  many fields as the header. In CSV, `options` separates names with "|"
  (`Nashville|Knoxville`) and `scores` gives `name=score` pairs the same way
  (`red=5|blue=2`); a row fills exactly one of the three.

`voter` may be left out (or empty in CSV): the line's voter is then `--voter`, else
$VOTR_VOTER, else the login name. The format comes from the file name (`.jsonl`,
`.ndjson`, `.json` or `.csv`), else from the content: a first non-blank character `{` or `[`
means JSON Lines.

Every line is judged by itself: its number is the file's physical line (only `\\n`, with
an optional `\\r` before it, ends a line), and a line that is not UTF-8, not valid JSON or
CSV on its own, or not a vote is rejected with its number and reason while the other
lines are still read. Blank lines (nothing but spaces and tabs) are skipped. A UTF-8 BOM
at the start of the file is ignored.

Only the structure is checked here; the votes' rules are the service's (service.vote_batch).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator

from votr_cli.core.errors import InvalidInput
from votr_cli.core.text import counted, shortened
from votr_cli.service.polls import BatchLine

FIELDS = ("poll", "option", "voter")
CHOICE_FIELDS = ("option", "options", "scores")
REQUIRED = ("poll",)
CSV_SEPARATOR = "|"
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
BOM = b"\xef\xbb\xbf"
BLANK = " \t"

# A physical line: its number, and its text or why it is not text.
Line = tuple[int, "str | InvalidInput"]


def detect_format(name: str, data: bytes) -> str:
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith(JSON_SUFFIXES):
        return "jsonl"
    # A CSV header names columns; a line that opens an object or an array is JSON.
    return "jsonl" if data.removeprefix(BOM).lstrip()[:1] in (b"{", b"[") else "csv"


def read_lines(name: str, data: bytes) -> Iterator[BatchLine]:
    """The votes of a batch file, in order. Raises InvalidInput if the file as a whole is
    unusable (a CSV file without its header row); any other fault is one line's."""
    lines = physical_lines(data)
    if detect_format(name, data) == "csv":
        return _read_csv(lines)
    return _read_json_lines(lines)


def physical_lines(data: bytes) -> Iterator[Line]:
    """The non-blank lines of `data`, numbered from 1.

    Only b"\\n" splits: str.splitlines would also split inside a JSON string at U+2028,
    U+0085, \\x0b, \\x0c or \\x1c-\\x1e, and so shift every later line number. A line that is
    not UTF-8 comes as the InvalidInput that rejects it; the other lines are unaffected.
    """
    data = data.removeprefix(BOM)
    try:
        # Fast path: a b"\n" byte is never part of another UTF-8 character, so when the
        # whole file decodes, splitting the text splits exactly the same lines.
        pieces: list = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        pieces = [_decode(raw) for raw in data.split(b"\n")]
    for number, piece in enumerate(pieces, start=1):
        if isinstance(piece, str):
            piece = piece.removesuffix("\r")
            if not piece.strip(BLANK):
                continue
        yield number, piece


def _decode(raw: bytes) -> str | InvalidInput:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InvalidInput(f"not UTF-8 text ({exc.reason} at byte {exc.start + 1} of the line)")


def _field_error(number: int, message: str) -> BatchLine:
    return BatchLine(number, error=InvalidInput(message))


def _record(number: int, values, from_csv: bool = False) -> BatchLine:
    if not isinstance(values, dict):
        return _field_error(number, f"expected a JSON object with {', '.join(FIELDS)}")
    poll, option, voter = values.get("poll"), values.get("option"), values.get("voter")
    if type(poll) is str and poll and (voter is None or type(voter) is str):  # the usual lines, checked at once
        chosen, scores = values.get("options"), values.get("scores")
        if type(option) is str and option and chosen is None and scores is None:
            return BatchLine(number, poll, option, voter or None)
        if (option is None and scores is None and type(chosen) is list and chosen and not from_csv
                and set(map(type, chosen)) == {str}):
            return BatchLine(number, poll, None, voter or None, None, tuple(chosen))  # positional: faster
    if values.get("poll") in (None, ""):
        return _field_error(number, "poll is missing")
    given = [field for field in CHOICE_FIELDS if values.get(field) not in (None, "")]
    if not given:
        return _field_error(number, "option is missing")
    if len(given) > 1:
        return _field_error(number, f"give one of option, options and scores, not {' and '.join(given)}")
    for field in FIELDS:
        value = values.get(field)
        if value is not None and not isinstance(value, str):
            return _field_error(number, f"{field} must be a string, not {type(value).__name__}")
    try:
        choices = _choices(values, from_csv)
    except InvalidInput as exc:
        return BatchLine(number, error=exc)
    return BatchLine(number, poll, None, voter or None, **choices)


def _choices(values: dict, from_csv: bool) -> dict:
    """A line's `options` or `scores` as BatchLine takes them (shape only: the service
    judges names and scores)."""
    if values.get("option") not in (None, ""):
        return {"options": (values["option"],)}
    if values.get("options") not in (None, ""):
        options = values["options"]
        if from_csv:
            return {"options": tuple(options.split(CSV_SEPARATOR))}
        if not isinstance(options, list) or not all(isinstance(name, str) for name in options):
            raise InvalidInput("options must be a list of option names")
        return {"options": tuple(options)}
    scores = values["scores"]
    if from_csv:
        pairs = [pair.rpartition("=") for pair in scores.split(CSV_SEPARATOR)]
        if any(not equals for _, equals, _ in pairs):
            raise InvalidInput("scores must be name=score pairs separated by |")
        return {"scores": tuple((name, score) for name, _, score in pairs)}
    if not isinstance(scores, dict):
        raise InvalidInput("scores must be an object of option names and scores")
    for name, score in scores.items():
        if isinstance(score, bool) or not isinstance(score, int):
            raise InvalidInput(f"the score of {name!r} must be an integer, not {json.dumps(score)[:20]}")
    return {"scores": tuple(scores.items())}


class _NotJsonNumber(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NotJsonNumber(f"{name} is not a JSON number")


def _finite_float(digits: str) -> float:
    value = float(digits)
    if math.isinf(value):
        raise _NotJsonNumber(f"{digits[:20]}{'…' if len(digits) > 20 else ''} is out of range")
    return value


# One decoder for every line (json.loads with options builds a new one per call). It
# refuses what Python reads but JSON does not have: NaN, Infinity and overflowing numbers.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def _json_error(exc: ValueError | RecursionError) -> InvalidInput:
    """Why a line is not one JSON value, from what the decoder raised."""
    if isinstance(exc, json.JSONDecodeError):  # "Extra data" when a line holds two values
        reason = f"{exc.msg.removesuffix(' at')} at column {exc.colno}"  # one message ends in "at"
    elif isinstance(exc, RecursionError):  # the C decoder recurses once per [ or {
        reason = "nested too deeply"
    elif isinstance(exc, _NotJsonNumber):
        reason = str(exc)
    else:  # int() refuses numbers of more than sys.get_int_max_str_digits() digits
        reason = "a number with too many digits"
    return InvalidInput(f"not valid JSON ({reason})")


def _read_json_lines(lines: Iterator[Line]) -> Iterator[BatchLine]:
    decode = _DECODER.decode
    for number, text in lines:
        if isinstance(text, str):
            try:
                values = decode(text)
            except (ValueError, RecursionError) as exc:
                text = _json_error(exc)
            else:
                yield _record(number, values)
                continue
        yield BatchLine(number, error=text)


def _csv_fields(text: str) -> list[str]:
    """The fields of one line. strict: a quote left open at the end of the line is an
    error, not a field that goes on to the next line (records never span lines here)."""
    try:
        return next(csv.reader((text,), strict=True))
    except csv.Error as exc:
        raise InvalidInput(f"not valid CSV ({exc})") from None


def _csv_header(lines: Iterator[Line]) -> list[str]:
    """The column names, from the first non-blank line. Raises InvalidInput: without
    them no line can be read."""
    number, text = next(lines, (1, ""))
    try:
        if isinstance(text, InvalidInput):
            raise text
        header = _csv_fields(text) if text else []
    except InvalidInput as exc:
        raise InvalidInput(f"the CSV header row (line {number}) is {exc.message}") from None
    missing = [field for field in REQUIRED if field not in header]
    if not any(field in header for field in CHOICE_FIELDS):
        missing.append("option")
    if missing:
        raise InvalidInput(f"the CSV header row must name the columns {', '.join(FIELDS)} "
                           f"(missing: {', '.join(missing)}; found: {shortened(', '.join(header), 80) or 'nothing'})")
    return header


def _read_csv(lines: Iterator[Line]) -> Iterator[BatchLine]:
    header = _csv_header(lines)  # now, so that a file without one is refused before any vote

    def records() -> Iterator[BatchLine]:
        for number, text in lines:
            try:
                if isinstance(text, InvalidInput):
                    raise text
                fields = _csv_fields(text)
                if len(fields) != len(header):
                    raise InvalidInput(f"{counted(len(fields), 'field')} where the header row has {len(header)}")
            except InvalidInput as exc:
                yield BatchLine(number, error=exc)
                continue
            yield _record(number, dict(zip(header, fields)), from_csv=True)

    return records()
