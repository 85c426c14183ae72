"""Everything votr writes: JSON, rich tables on a terminal, plain lines when piped.

Commands return a Result; `render` picks the form. One place decides the form, so every
command behaves alike:

- `--json`: exactly one JSON document on stdout; errors as {"error": …} on stderr.
- a terminal (and no NO_COLOR, no TERM=dumb): rich tables, bars and colour.
- anything else: plain text, one record per line, tab-separated, no escape sequences.

Every value read back from the database (ids and revision ids as much as titles, names,
voters, dates and report texts) goes through `text.printable`, and into rich as Text
objects, never as markup, so `[bold]` stays `[bold]` and control characters never reach
the terminal. As a second line of defence, rich never parses markup or emoji codes in
plain strings, and every plain line is escaped once more as it is written.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from votr_cli.core.text import escape_for_json, printable


@dataclass
class Result:
    """What a command produced. `kind` names the human form; `data` is the JSON form."""

    kind: str
    data: Any
    # Non-zero when the command did its work but must still report failure (a batch
    # with rejected lines): the output is rendered first, then the process exits so.
    exit_code: int = 0


def wants_rich(stream=None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


# -- JSON ----------------------------------------------------------------------------


def dumps(document: Any) -> str:
    return escape_for_json(json.dumps(document, ensure_ascii=False))


def _write_json(data: Any, out) -> None:
    if isinstance(data, dict) and isinstance(data.get("Polls"), Iterator):
        # Streamed: a big listing never sits in memory as one document.
        out.write('{"Polls": [')
        for index, poll in enumerate(data["Polls"]):
            out.write((", " if index else "") + dumps(poll))
        out.write("]}\n")
    else:
        out.write(dumps(data) + "\n")


def error(message: str, as_json: bool) -> None:
    line = dumps({"error": message}) if as_json else f"Error: {printable(message)}"
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr is full or closed: the exit code is all that is left to tell


def _stdout():
    """sys.stdout, which Python sets to None when the process starts with it closed."""
    if sys.stdout is None:
        raise OSError(errno.EBADF, "standard output is closed")
    return sys.stdout


def render(result: Result, as_json: bool) -> None:
    out = _stdout()
    if as_json:
        _write_json(result.data, out)
    elif wants_rich(out):
        _RICH[result.kind](result.data)
    else:
        for line in _PLAIN[result.kind](result.data):
            out.write(_safe_line(line) + "\n")
    out.flush()


@contextlib.contextmanager
def progress(description: str, total: int) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing at all otherwise.

    Yields the function to call with the number of steps done since the last call.
    """
    if not wants_rich(sys.stderr):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda steps: bar.advance(task, steps)


# -- plain ---------------------------------------------------------------------------


def _safe_line(line: str) -> str:
    """The line with any control character a field let through escaped; the tabs between
    fields stay (values escape their own tabs, so a tab here is always a separator)."""
    return "\t".join(printable(field) for field in line.split("\t"))


def _fields(*values: Any) -> str:
    """One plain record: each value escaped on its own, then joined by tabs."""
    return "\t".join(printable(str(value)) for value in values)


def _status_word(poll: dict) -> str:
    return "open" if poll["status"] else "closed"


def _percent(count: int, total: int) -> float:
    return 100.0 * count / total if total else 0.0


def _leaders(poll: dict) -> set[str]:
    best = max((choice["vote_count"] for choice in poll["options"]), default=0)
    return {choice["name"] for choice in poll["options"] if best and choice["vote_count"] == best}


def _plain_poll_line(poll: dict) -> str:
    counts = ", ".join(f"{printable(c['name'])}: {c['vote_count']}" for c in poll["options"])
    return "\t".join([printable(poll["id"]), _status_word(poll), printable(poll["title"]), counts])


def _plain_polls(data: dict) -> Iterable[str]:
    return (_plain_poll_line(poll) for poll in data["Polls"])


def _plain_show(data: dict) -> Iterable[str]:
    poll = data["Polls"][0]
    leaders = _leaders(poll)
    yield f"id: {printable(poll['id'])}"
    yield f"title: {printable(poll['title'])}"
    yield f"status: {_status_word(poll)}"
    yield f"close_date: {printable(poll['close_date'] or '-')}"
    yield f"total_vote_count: {poll['total_vote_count']}"
    for choice in poll["options"]:
        fields = [printable(choice["name"]), str(choice["vote_count"]),
                  f"{_percent(choice['vote_count'], poll['total_vote_count']):.1f}%"]
        if choice["name"] in leaders:
            fields.append("leader")
        yield "\t".join(fields)


def _plain_message(data: dict) -> Iterable[str]:
    poll = data["poll"]
    yield f"{printable(data['message'])}: {_fields(poll['id'], _status_word(poll), poll['title'])}"


def _plain_options(data: list) -> Iterable[str]:
    return (_fields(option["id"], option["name"]) for option in data)


def _plain_report(data: dict) -> Iterable[str]:
    yield printable(data["message"])
    yield from (printable(note) for note in data.get("notes", []))
    # Adoption of an old Votr database: its repairs quote titles the old app stored.
    yield from (f"repaired: {printable(repair['message'])}" for repair in data.get("repairs", []))


def _plain_sql(data: dict) -> Iterable[str]:
    yield data["sql"].rstrip("\n")


def _plain_document(data: dict) -> Iterable[str]:
    # `votr export`: the document is the output, in every form.
    yield dumps(data)


def _plain_current(data: dict) -> Iterable[str]:
    # The revision ids are whatever alembic_version holds: another tool may have written it.
    current = printable(", ".join(data["current"])) or "none"
    state = "up to date" if data["up_to_date"] else f"head is {printable(data['head'])}"
    yield f"{current} ({state})"


def _plain_history(data: dict) -> Iterable[str]:
    for rev in reversed(data["revisions"]):
        head = " (head)" if rev["is_head"] else ""
        yield printable(f"{rev['down_revision'] or '<base>'} -> {rev['revision']}{head}, {rev['message']}")


def _batch_rejections(data: dict) -> list[str]:
    return [f"line {entry['line']}: {printable(entry['error'])}" for entry in data["rejected"]]


def _plain_batch(data: dict) -> Iterable[str]:
    # The rejected lines go to stderr, as errors do; stdout keeps the one summary line.
    for line in _batch_rejections(data):
        sys.stderr.write(f"Error: {line}\n")
    yield printable(data["message"])


def _plain_check(data: dict) -> Iterable[str]:
    integrity = data["integrity"]
    yield f"database: {printable(data['database'])} ({printable(data['backend'])})"
    if integrity["ok"] is None:
        yield f"integrity: not checked ({printable(integrity.get('note', ''))})"
    else:
        yield f"integrity: {'ok' if integrity['ok'] else 'FAILED'} ({printable(integrity['method'])})"
    checked = data["checked"]
    if checked is not None:
        yield (f"checked: {checked['polls']} polls, {checked['options']} options, "
               f"{checked['counters']} counters, {checked['ballots']} ballots")
    for problem in data["problems"]:
        yield f"problem: {printable(problem['message'])}"
    count = len(data["problems"])
    yield "result: clean" if data["ok"] else f"result: {count} problem{'s' if count != 1 else ''} found"


_PLAIN = {
    "batch": _plain_batch,
    "polls": _plain_polls,
    "show": _plain_show,
    "message": _plain_message,
    "options": _plain_options,
    "report": _plain_report,
    "sql": _plain_sql,
    "document": _plain_document,
    "current": _plain_current,
    "history": _plain_history,
    "check": _plain_check,
}


# -- rich ----------------------------------------------------------------------------


def _console():
    from rich.console import Console

    # markup=False and emoji=False: a plain string that slipped past _text is still shown
    # as it is, never read as [style] markup or :emoji: codes.
    return Console(highlight=False, markup=False, emoji=False)


def _text(value: str, style: str = ""):
    from rich.text import Text

    return Text(printable(value), style=style)


def _rich_polls(data: dict) -> None:
    from rich.table import Table

    table = Table(title="Polls", title_justify="left")
    for column in ("ID", "Title", "Status", "Votes", "Leader", "Closes (UTC)"):
        table.add_column(column, justify="right" if column == "Votes" else "left")
    for poll in data["Polls"]:
        leaders = ", ".join(sorted(_leaders(poll)))
        table.add_row(
            _text(poll["id"]), _text(poll["title"], "bold"),
            _text(_status_word(poll), "green" if poll["status"] else "red"),
            str(poll["total_vote_count"]), _text(leaders or "-"), _text(poll["close_date"] or "-"),
        )
    console = _console()
    if table.row_count:
        console.print(table)
    else:
        console.print("No polls yet. Create one with: votr create TITLE OPTION OPTION…")


def _poll_table(poll: dict):
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    leaders = _leaders(poll)
    caption = (f"{_status_word(poll)}, {poll['total_vote_count']} votes"
               + (f", closes {poll['close_date']}" if poll["status"] and poll["close_date"] else "")
               + (f", closed {poll['close_date']}" if not poll["status"] and poll["close_date"] else ""))
    table = Table(title=_text(poll["title"], "bold"), caption=_text(f"{poll['id']} · {caption}"))
    table.add_column("Option")
    table.add_column("Votes", justify="right")
    table.add_column("Share", min_width=20)
    table.add_column("%", justify="right")
    table.add_column("")
    for choice in poll["options"]:
        share = _percent(choice["vote_count"], poll["total_vote_count"])
        leader = choice["name"] in leaders
        table.add_row(
            _text(choice["name"], "bold" if leader else ""), str(choice["vote_count"]),
            ProgressBar(total=100, completed=share, width=20), f"{share:.1f}%",
            _text("★ leader", "yellow") if leader else "",
        )
    return table


def _rich_show(data: dict) -> None:
    _console().print(_poll_table(data["Polls"][0]))


def _rich_message(data: dict) -> None:
    console = _console()
    console.print(_text(data["message"], "green"))
    console.print(_poll_table(data["poll"]))


def _rich_options(data: list) -> None:
    from rich.table import Table

    table = Table(title="Options", title_justify="left")
    table.add_column("ID")
    table.add_column("Name")
    for option in data:
        table.add_row(_text(option["id"]), _text(option["name"]))
    _console().print(table)


def _rich_report(data: dict) -> None:
    console = _console()
    console.print(_text(data["message"], "green"))
    for note in data.get("notes", []):
        console.print(_text(note, "yellow"))
    for repair in data.get("repairs", []):
        console.print(_text(f"repaired: {repair['message']}", "yellow"))


def _rich_document(data: dict) -> None:
    sys.stdout.write(dumps(data) + "\n")


def _rich_sql(data: dict) -> None:
    from rich.syntax import Syntax

    _console().print(Syntax(data["sql"], "sql"))


def _rich_current(data: dict) -> None:
    console = _console()
    for line in _plain_current(data):
        console.print(_text(line, "green" if data["up_to_date"] else "yellow"))


def _rich_history(data: dict) -> None:
    console = _console()
    for line in _plain_history(data):
        console.print(_text(line))


def _rich_batch(data: dict) -> None:
    from rich.console import Console

    errors = Console(stderr=True, highlight=False, markup=False, emoji=False)
    for line in _batch_rejections(data):
        errors.print(_text(line, "red"))
    _console().print(_text(data["message"], "red" if data["rejected"] else "green"))


def _rich_check(data: dict) -> None:
    console = _console()
    for line in _plain_check(data):
        label = line.split(":", 1)[0]
        bad = label == "problem" or "FAILED" in line or (label == "result" and not data["ok"])
        console.print(_text(line, "red" if bad else "green" if label in ("integrity", "result") else ""))


_RICH = {
    "batch": _rich_batch,
    "polls": _rich_polls,
    "show": _rich_show,
    "message": _rich_message,
    "options": _rich_options,
    "report": _rich_report,
    "sql": _rich_sql,
    "document": _rich_document,
    "current": _rich_current,
    "history": _rich_history,
    "check": _rich_check,
}
