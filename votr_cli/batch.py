"""Reading a batch of votes: JSON Lines or CSV, each record naming a poll, an option and a voter.

- JSON Lines: one object per line, `{"poll": "…", "option": "…", "voter": "…"}`.
- CSV: a header row naming the columns `poll`, `option` and `voter` (any order, other
  columns ignored), then one vote per row.

`voter` may be left out (or empty in CSV): the line's voter is then `--voter`, else
$VOTR_VOTER, else the login name. Blank lines are skipped. The format comes from the
file name (`.jsonl`, `.ndjson`, `.json` or `.csv`), else from the content: a first
non-blank character `{` means JSON Lines.

Only the structure is checked here; the votes' rules are the service's (service.vote_batch).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from votr_cli.errors import InvalidInput
from votr_cli.service import BatchLine

FIELDS = ("poll", "option", "voter")
REQUIRED = ("poll", "option")
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")


def detect_format(name: str, content: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith(JSON_SUFFIXES):
        return "jsonl"
    return "jsonl" if content.lstrip().startswith("{") else "csv"


def read_lines(name: str, content: str) -> Iterator[BatchLine]:
    """The votes of a batch file, in order. Raises InvalidInput if the file as a whole is unusable."""
    if detect_format(name, content) == "csv":
        return _read_csv(content)
    return _read_json_lines(content)


def _field_error(number: int, message: str) -> BatchLine:
    return BatchLine(number, error=InvalidInput(message))


def _record(number: int, values) -> BatchLine:
    if not isinstance(values, dict):
        return _field_error(number, f"expected a JSON object with {', '.join(FIELDS)}")
    poll, option, voter = values.get("poll"), values.get("option"), values.get("voter")
    if type(poll) is str and type(option) is str and poll and option and (voter is None or type(voter) is str):
        return BatchLine(number, poll, option, voter or None)  # the usual line, checked at once
    for field in REQUIRED:
        if values.get(field) in (None, ""):
            return _field_error(number, f"{field} is missing")
    for field in FIELDS:
        value = values.get(field)
        if value is not None and not isinstance(value, str):
            return _field_error(number, f"{field} must be a string, not {type(value).__name__}")
    return BatchLine(number, poll, option, voter or None)


def _read_json_lines(content: str) -> Iterator[BatchLine]:
    numbered = [(number, raw) for number, raw in enumerate(content.splitlines(), start=1) if raw.strip()]
    try:
        # One call of the C decoder for the whole file, when every line is valid JSON.
        documents = json.loads("[" + ",".join(raw for _, raw in numbered) + "]")
        if len(documents) != len(numbered):  # a line held two values, "1, 2": read line by line
            raise ValueError
    except ValueError:
        documents = None
    for index, (number, raw) in enumerate(numbered):
        if documents is not None:
            yield _record(number, documents[index])
            continue
        try:
            values = json.loads(raw)
        except ValueError as exc:
            yield _field_error(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        yield _record(number, values)


def _read_csv(content: str) -> Iterator[BatchLine]:
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = reader.fieldnames or []
    missing = [field for field in REQUIRED if field not in header]
    if missing:
        raise InvalidInput(f"the CSV header row must name the columns {', '.join(FIELDS)} "
                           f"(missing: {', '.join(missing)}; found: {', '.join(header) or 'nothing'})")

    def records() -> Iterator[BatchLine]:
        try:
            for row in reader:
                # line_num is the physical line where the record ends (a quoted field can
                # span lines), which is where an editor finds it.
                yield _record(reader.line_num, row)
        except csv.Error as exc:
            raise InvalidInput(f"CSV line {reader.line_num}: {exc}") from None

    return records()
