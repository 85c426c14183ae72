"""Everything votr writes: JSON, rich tables on a terminal, plain lines when piped.

Commands return a Result: their data and the renderer that shows that kind of data.
Each kind of result has one renderer, which holds all of its forms; `render` picks the
form (the format, frontends/formats.py), so every command behaves alike:

- `json` (`--json`): exactly one JSON document on stdout; errors as {"error": …} on stderr.
- `table`, the default on a terminal: rich tables and bars, in colour unless NO_COLOR is
  set (TERM=dumb: no escape sequences at all; rich's Console honours both); asked for
  when piped, the same tables without escape sequences.
- `plain`, the default otherwise: one record per line, tab-separated, no escape sequences.
- `ndjson`, `csv`, `tsv` (`votr list`, `show`, `options`): the renderer's `records` (one
  JSON object per line) and `rows` (a header, then one row per record); a renderer
  without them refuses the format before writing anything.

Adding a command that shows a new kind of result means adding one Renderer subclass and
its instance below; nothing else here changes.

Every value read back from the database (ids and revision ids as much as titles, names,
voters, dates and report texts) goes through `text.printable`, and into rich as Text
objects, never as markup, so `[bold]` stays `[bold]` and control characters never reach
the terminal. As a second line of defence, rich never parses markup or emoji codes in
plain strings, and every plain line is escaped once more as it is written.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from votr_cli.core.errors import InvalidInput
from votr_cli.core.text import counted, escape_for_json, noun_for, printable



class FormatRefused(InvalidInput):
    """A format this kind of result has no form for (its renderer lacks rows or records)."""


class Renderer:
    """How one kind of result is shown: as JSON, as plain lines and on a rich terminal.

    The defaults suit most results: the data is its own JSON document, and the rich form
    is the plain lines, each printed as escaped Text. A subclass gives `plain` and
    overrides the rest only where its kind differs; a result offered as csv, tsv and
    ndjson (`votr_command(formats=True)`) also gives `rows` and `records`.
    """

    # True when the data holds an iterator of rows that is written as it is read, so a
    # listing of any size never sits in memory as one document.
    streams: bool = False

    def start(self, data: Any) -> Any:
        """The data, with any stream opened. A streamed listing reads its first row here,
        before anything is written, so that its errors (a missing schema, a locked file,
        a bad --status) come out as errors rather than after a half-written document."""
        return data

    def done(self, data: Any) -> str | None:
        """What the command did, in words for an error that follows it ("the vote was
        recorded (poll k3v9x2ab)"), or None for a command that changes nothing."""
        return None

    def json(self, data: Any, out) -> None:
        out.write(dumps(data) + "\n")

    def plain(self, data: Any) -> Iterable[str]:
        raise NotImplementedError

    def rich(self, data: Any, console) -> None:
        for line in self.plain(data):
            console.print(_text(line))

    def rows(self, data: Any) -> Iterable[list]:
        """csv and tsv: the header, then one row of values per record."""
        raise FormatRefused("this command's output has no csv or tsv form")

    def records(self, data: Any) -> Iterable[dict]:
        """ndjson: one JSON object per record, each written on a line of its own."""
        raise FormatRefused("this command's output has no ndjson form")


@dataclass
class Result:
    """What a command produced: `data` is its JSON form, `renderer` shows it."""

    renderer: Renderer
    data: Any
    # Non-zero when the command did its work but must still report failure (a batch
    # with rejected lines): the output is rendered first, then the process exits so.
    exit_code: int = 0

    def __post_init__(self):
        # Opened as the command returns, inside its error handling and before any output.
        self.data = self.renderer.start(self.data)


def wants_rich(stream=None) -> bool:
    """The rich form for a terminal. NO_COLOR takes the colour away, not the tables
    (no-color.org): the Console honours it, as it honours TERM=dumb with no styles."""
    stream = stream or sys.stdout
    return stream.isatty()


def _dumb_terminal() -> bool:
    return os.environ.get("TERM") in ("dumb", "unknown")


def dumps(document: Any) -> str:
    return escape_for_json(json.dumps(document, ensure_ascii=False))


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


def render(result: Result, as_json: bool = False, output_format: str | None = None) -> None:
    """Write the result in `output_format`, one of formats.FORMATS, or "json" when `as_json`;
    with neither, stdout chooses: "table" on a terminal, "plain" otherwise."""
    out = _stdout()
    renderer = result.renderer
    if as_json:
        output_format = "json"
    elif output_format is None:
        output_format = "table" if wants_rich(out) else "plain"
    if output_format == "json":
        renderer.json(result.data, out)
    elif output_format == "ndjson":
        for record in renderer.records(result.data):
            out.write(dumps(record) + "\n")
    elif output_format in ("csv", "tsv"):
        writer = csv.writer(out, dialect=CSV_DIALECTS[output_format])
        for row in renderer.rows(result.data):
            writer.writerow(_cells(row))
    elif output_format == "table":
        renderer.rich(result.data, _console())
    elif output_format == "plain":
        for line in renderer.plain(result.data):
            out.write(_safe_line(line) + "\n")
    else:
        raise FormatRefused(f"no such format: {output_format}")
    out.flush()


class _Csv(csv.excel):
    """csv: RFC 4180, as spreadsheets write and read it: commas, fields holding a comma,
    a quote or a line break in double quotes (a quote doubled), lines ended by CRLF."""

    lineterminator = "\r\n"


class _Tsv(csv.excel_tab):
    """tsv: tab-separated, quoted as csv.excel_tab quotes (a field holding a tab, a quote
    or a line break), lines ended by LF, as cut, awk and sort expect."""

    lineterminator = "\n"


CSV_DIALECTS = {"csv": _Csv, "tsv": _Tsv}


def _cells(row: Iterable[Any]) -> list[str]:
    """A row's values as text: None is an empty cell, and a control character (only a row
    another tool wrote can hold one) is escaped, as in plain output. Nothing else changes:
    a value starting with =, +, - or @ is written as it is (README: Output formats)."""
    return ["" if value is None else printable(str(value)) for value in row]


@contextlib.contextmanager
def progress_steps() -> Iterator[Callable[[str, int | None, str], Callable[[int], None]] | None]:
    """One progress display on stderr for work done in steps (reading a file, then
    voting), when stderr is a terminal; None otherwise.

    Yields `step(description, total, unit)`, which shows a new step (its total None when
    it is not known: the count is shown instead, in `unit`, singular) and returns the function to
    call with the number of units done since the last call.
    """
    if not wants_rich(sys.stderr) or _dumb_terminal():  # a bar redraws itself: no dumb terminal
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    amount = TextColumn("{task.fields[amount]}")
    with Progress(TextColumn("{task.description}"), BarColumn(), amount, TimeElapsedColumn(),
                  console=Console(stderr=True, markup=False, emoji=False, highlight=False),
                  transient=True) as bar:
        current: list = []

        def step(description: str, total: int | None, unit: str) -> Callable[[int], None]:
            for task in current:
                bar.update(task, visible=False)
            task = bar.add_task(printable(description), total=total,
                                amount="  0%" if total else f"0 {noun_for(0, unit)}")
            current.append(task)

            def advance(done: int) -> None:
                bar.advance(task, done)
                completed = bar.tasks[-1].completed
                bar.update(task, amount=f"{100 * completed / total:3.0f}%" if total
                           else f"{completed:,.0f} {noun_for(completed, unit)}")

            return advance

        yield step


# -- shared pieces -------------------------------------------------------------------


def _safe_line(line: str) -> str:
    """The line with any control character a field let through escaped; the tabs between
    fields stay (values escape their own tabs, so a tab here is always a separator)."""
    return "\t".join(printable(field) for field in line.split("\t"))


def _fields(*values: Any) -> str:
    """One plain record: each value escaped on its own, then joined by tabs."""
    return "\t".join(printable(str(value)) for value in values)


def _console(stderr: bool = False):
    from rich.console import Console

    # markup=False and emoji=False: a plain string that slipped past _text is still shown
    # as it is, never read as [style] markup or :emoji: codes.
    return Console(stderr=stderr, highlight=False, markup=False, emoji=False)


def _text(value: str, style: str = ""):
    from rich.text import Text

    return Text(printable(value), style=style)


def _lines(*values: str):
    """One Text of the non-empty values, each on a line of its own (and escaped)."""
    from rich.text import Text

    return Text("\n").join(_text(value) for value in values if value)


def _status_word(poll: dict) -> str:
    return "open" if poll["status"] else "closed"


def _percent(count: int, total: int) -> float:
    return 100.0 * count / total if total else 0.0


# -- dates: the local time zone and how far away, for people (README: Output) -----------
#
# JSON keeps close_date as ISO-8601 UTC; the table and plain forms show it in the local
# time zone (TZ, else the system's) with its distance from now in words. A date the zone
# cannot show (year 1 or 9999 pushed past the calendar's ends) stays UTC.


def _now():
    from votr_cli.core.when import utcnow

    return utcnow()


def _local(value: str):
    """(the aware local datetime or None, the phrase) of an ISO-8601 UTC close date."""
    import datetime as dt

    from votr_cli.core.when import close_phrase, from_iso_utc

    moment = from_iso_utc(value)
    try:
        local = moment.replace(tzinfo=dt.timezone.utc).astimezone()
    except (OverflowError, OSError, ValueError):
        local = None
    return local, close_phrase(moment, _now())


def _date_table(value: str | None) -> tuple[str, str]:
    """A close date as tables show it, as (date, phrase): ("2026-12-01 18:00 CET",
    "closes in 2 days"); ("-", "") for none."""
    if not value:
        return "-", ""
    local, phrase = _local(value)
    if local is None:
        return printable(value), phrase
    # The zone's name comes from TZ, which may say anything: escaped like any text.
    return f"{local:%Y-%m-%d %H:%M} {printable(local.tzname() or local.strftime('%z'))}", phrase


def _date_words(value: str | None) -> str:
    """"2026-12-01 18:00 CET (closes in 2 days)", "-" for none."""
    date, phrase = _date_table(value)
    return f"{date} ({phrase})" if phrase else date


def _date_plain(value: str | None) -> str:
    """A close date as plain lines give it: ISO-8601 in the local zone, to the second
    and with its offset, then the phrase: "2026-12-01T18:00:00+01:00 (closes in 2 days)"."""
    if not value:
        return "-"
    local, phrase = _local(value)
    shown = local.isoformat(timespec="seconds") if local else printable(value)
    return f"{shown} ({phrase})"


# -- poll kinds: what a count means, who wins, and the method's working -----------------
#
# A poll object carries "kind", "method", "voter_count" and "winners" (README: Poll
# kinds); `show` adds "tally", the method's working. A poll object without them (the
# shape votr had before poll kinds) is a single-choice poll counted by plurality.

_COUNT_MEANING = {"single": "votes", "multiple": "ballots choosing it",
                  "ranked": "first preferences", "score": "total score"}
_COUNT_HEADER = {"single": "Votes", "multiple": "Ballots", "ranked": "First preferences",
                 "score": "Total score"}
_METHOD_NAME = {"plurality": "plurality", "approval": "approval", "irv": "instant runoff",
                "schulze": "Schulze", "star": "STAR", "score": "score"}

# The narrowest a column of counts gets in a rich table of the working, its padding and
# border included; a table that would need more than the terminal is wide is written as
# the plain lines instead (an IRV count of 40 options can take 39 rounds).
_COUNT_COLUMN_WIDTH = 9
_NAME_COLUMN_WIDTH = 16


def _kind(poll: dict) -> str:
    return poll.get("kind") or "single"


def _method(poll: dict) -> str:
    if poll.get("method"):
        return poll["method"]
    from votr_cli.core.counting import DEFAULT_METHOD  # imported when needed: votr starts fast

    return DEFAULT_METHOD.get(_kind(poll), "plurality")


def _voters(poll: dict) -> int:
    voters = poll.get("voter_count")
    return poll["total_vote_count"] if voters is None else voters


def _winners(poll: dict) -> list[str]:
    """The poll's winners, in its order: as the service counted them; for a poll object
    without "winners", the options with the most votes (none without votes)."""
    if "winners" in poll:
        return list(poll["winners"])
    best = max((choice["vote_count"] for choice in poll["options"]), default=0)
    return [choice["name"] for choice in poll["options"] if best and choice["vote_count"] == best]


def _share_base(poll: dict) -> int:
    """What an option's count is a share of: all votes (single), all ballots (multiple,
    ranked: a ballot may choose several options), the highest total a score poll's option
    could have (every ballot giving it 5)."""
    kind = _kind(poll)
    if kind == "single":
        return poll["total_vote_count"]
    if kind == "score":
        from votr_cli.core.ballots import MAX_SCORE

        return MAX_SCORE * _voters(poll)
    return _voters(poll)


def _names(names: Iterable[str]) -> str:
    return ", ".join(printable(name) for name in names) or "-"


# -- ballot policies: hidden results, quorum, and the policies' own words ---------------
#
# A poll object carries "allow_change", "results", "secret", "quorum", "quorum_reached"
# and "results_hidden" (README: Ballot policies); a poll object without them has the
# default policies. Hidden results come as null counts and winners: nothing that counts,
# shares, ranks or names a winner is shown, only why and until when.


def _hidden(poll: dict) -> bool:
    return bool(poll.get("results_hidden"))


def _hidden_until(poll: dict) -> str:
    """Why a poll's results are hidden from whoever asked, and until when."""
    results = poll.get("results")
    if results == "voted":
        return "hidden until you vote"
    if results == "closed":
        return "hidden until the poll closes"
    return "hidden"


def _voter_word(number: int) -> str:
    return counted(number, "voter")


def _quorum_missed(poll: dict) -> bool:
    """The poll has a quorum that too few have voted to reach, so it has no winner."""
    return poll.get("quorum") is not None and poll.get("quorum_reached") is False


def _quorum_state(poll: dict) -> str:
    """"20 voters, reached" or "20 voters, not reached (3 of 20)"; "" without a quorum."""
    quorum = poll.get("quorum")
    if quorum is None:
        return ""
    if not _quorum_missed(poll):
        return f"{_voter_word(quorum)}, reached"
    return f"{_voter_word(quorum)}, not reached ({_voters(poll)} of {quorum})"


def _policies(poll: dict) -> str:
    """The poll's policies other than the defaults, in a fixed order:
    "allow-change, secret, results voted, quorum 20"; "" for a poll with none."""
    words = []
    if poll.get("allow_change"):
        words.append("allow-change")
    if poll.get("secret"):
        words.append("secret")
    if poll.get("results", "always") not in ("always", None):
        words.append(f"results {printable(str(poll['results']))}")
    if poll.get("quorum") is not None:
        words.append(f"quorum {poll['quorum']}")
    if poll.get("invite_only"):
        words.append("invite-only")
    return ", ".join(words)


def _outcome(poll: dict) -> str:
    """The winners as list's last field and show's `winners:` line give them: names
    joined by ", ", "-" for none, or why there are none to show (hidden results, a
    quorum not reached)."""
    if _hidden(poll):
        return _hidden_until(poll)
    winners = _winners(poll)
    if not winners and _quorum_missed(poll):
        short = f"({_voters(poll)} of {poll['quorum']})"
        return f"no winner until quorum {short}" if poll["status"] else f"no winner, quorum not reached {short}"
    return _names(winners)


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{printable(name)} {number}" for name, number in counts.items())


def _tally(poll: dict) -> dict:
    return poll.get("tally") or {}


def _runoffs(tally: dict) -> list[dict]:
    if tally.get("runoffs"):
        return list(tally["runoffs"])
    return [tally["runoff"]] if tally.get("runoff") else []


def _working_lines(poll: dict) -> Iterator[str]:
    """The method's working as plain lines, one record each (nothing for the counting
    methods whose working is the counts themselves)."""
    method, tally = _method(poll), _tally(poll)
    if method == "irv":
        rounds = tally.get("rounds", [])
        winners = _winners(poll)
        for number, this_round in enumerate(rounds, 1):
            if this_round["eliminated"]:
                outcome = f"eliminated {_names(this_round['eliminated'])}"
            elif number == len(rounds) and winners:
                outcome = f"{noun_for(len(winners), 'winner')} {_names(winners)}"
            else:
                outcome = "no winner"
            yield (f"round {number}: {_pairs(this_round['counts'])}; "
                   f"exhausted {this_round['exhausted']}; {outcome}")
    elif method == "schulze" and tally.get("pairwise"):
        for name, row in tally["pairwise"].items():
            yield f"pairwise {printable(name)} over: {_pairs(row)}"
        ranking = " > ".join(" = ".join(printable(name) for name in group) for group in tally.get("ranking", []))
        yield f"ranking: {ranking or '-'}"
    elif method == "star":
        for runoff in _runoffs(tally):
            yield f"runoff: {_pairs(runoff['preferred'])}; equal {runoff['equal']}"


def _winners_text(poll: dict):
    """The line under a poll's table that names who wins (open) or won (closed)."""
    if _hidden(poll):
        return _text(f"Results {_hidden_until(poll)}", "yellow")
    winners = _winners(poll)
    if not winners and _quorum_missed(poll):
        reached = f"{_voters(poll)} of {_voter_word(poll['quorum'])}"
        said = (f"No winner until quorum: {reached}" if poll["status"]
                else f"No winner: quorum not reached ({reached})")
        return _text(said, "yellow")
    if not winners:
        said = ("No winner yet" if poll["status"] else "No winner") + ("" if _voters(poll) else ": no votes")
    elif len(winners) == 1:
        said = f"{'Leading' if poll['status'] else 'Winner'}: {winners[0]}"
    else:
        said = f"{'Tied for the lead' if poll['status'] else 'Winners, tied'}: {', '.join(winners)}"
    return _text(said, "bold yellow" if winners else "")


def _poll_table(poll: dict, width: int = 80):
    """One poll as rich renderables: its options with counts, share bars and winners.
    On a terminal too narrow for the bars (`width` columns), the table has none."""
    from rich.console import Group
    from rich.table import Table

    kind, method = _kind(poll), _method(poll)
    # The close date and its phrase on a line of their own under the rest.
    about = (f"{poll['id']} · {kind} poll, {_METHOD_NAME.get(method, method)} · "
             f"{_status_word(poll)}, {counted(_voters(poll), 'vote')}")
    caption = _lines(about, _date_words(poll["close_date"]) if poll["close_date"] else "")
    if _hidden(poll):
        # The options and a count column that says "hidden": no counts, shares or marks;
        # the line below says until when. As wide as its caption, which then fits a line.
        table = Table(title=_text(poll["title"], "bold"), caption=caption,
                      min_width=min(len(about), width))
        table.add_column("Option", overflow="fold")
        table.add_column(_COUNT_HEADER.get(kind, "Votes"), justify="right")
        for choice in poll["options"]:
            table.add_row(_text(choice["name"]), _text("hidden", "dim"))
        return Group(table, _winners_text(poll), *_policy_texts(poll))
    table = _counts_table(poll, caption, bars=True)
    if _min_width(table) > width:
        table = _counts_table(poll, caption, bars=False)
    return Group(table, _winners_text(poll), *_policy_texts(poll))


def _counts_table(poll: dict, caption, bars: bool):
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    kind = _kind(poll)
    table = Table(title=_text(poll["title"], "bold"), caption=caption)
    table.add_column("Option", overflow="fold")
    winners = set(_winners(poll))
    finalists = {name for runoff in _runoffs(_tally(poll)) for name in runoff["finalists"]}
    base = _share_base(poll)
    mark = "★ leader" if poll["status"] else "★ winner"
    table.add_column(_COUNT_HEADER.get(kind, "Votes"), justify="right")
    if bars:
        table.add_column("Share", min_width=20)
    table.add_column("%", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    for choice in poll["options"]:
        share = _percent(choice["vote_count"], base)
        won = choice["name"] in winners
        note = _text(mark, "yellow") if won else _text("finalist", "cyan") if choice["name"] in finalists else ""
        bar = [ProgressBar(total=100, completed=share, width=20)] if bars else []
        table.add_row(_text(choice["name"], "bold" if won else ""), str(choice["vote_count"]),
                      *bar, f"{share:.1f}%", note)
    return table


def _min_width(renderable) -> int:
    """The fewest columns `renderable` needs without cutting a word."""
    from rich.measure import Measurement

    console = _console()
    return Measurement.get(console, console.options.update_width(1 << 16), renderable).minimum


def _policy_texts(poll: dict) -> list:
    """The lines under a poll's table that give its policies and its quorum, if any."""
    texts = []
    if _policies(poll):
        texts.append(_text(f"Policies: {_policies(poll)}", "dim"))
    if poll.get("quorum") is not None:
        quorum = f"Quorum {_voter_word(poll['quorum'])}"
        if _quorum_missed(poll):
            texts.append(_text(f"{quorum}: not reached ({_voters(poll)} of {poll['quorum']})", "yellow"))
        else:
            texts.append(_text(f"{quorum}: reached", "green"))
    return texts


def _fits(console, count_columns: int) -> bool:
    return _NAME_COLUMN_WIDTH + count_columns * _COUNT_COLUMN_WIDTH <= console.width


def _irv_table(poll: dict):
    from rich.table import Table

    rounds = _tally(poll).get("rounds", [])
    winners = set(_winners(poll))
    last = len(rounds)
    table = Table(title="Instant-runoff count, round by round",
                  caption=_text("each round counts every ballot for its highest-ranked continuing option; "
                                "more than half of the continuing ballots wins"))
    table.add_column("Option", overflow="fold")
    for number in range(1, last + 1):
        table.add_column(f"Round {number}", justify="right")
    for choice in poll["options"]:
        name = choice["name"]
        cells = []
        for number, this_round in enumerate(rounds, 1):
            if name not in this_round["counts"]:
                cells.append(_text("·", "dim"))
            elif name in this_round["eliminated"]:
                cells.append(_text(f"{this_round['counts'][name]} ✗", "red"))
            elif number == last and name in winners:
                cells.append(_text(f"{this_round['counts'][name]} ★", "bold yellow"))
            else:
                cells.append(_text(str(this_round["counts"][name])))
        table.add_row(_text(name, "bold" if name in winners else ""), *cells)
    table.add_section()
    table.add_row(_text("exhausted", "dim"), *(_text(str(r["exhausted"]), "dim") for r in rounds))
    table.add_row(_text("eliminated", "red"), *(_text(_names(r["eliminated"]) if r["eliminated"] else "-", "red")
                                                 for r in rounds))
    return table


def _schulze_table(poll: dict):
    from rich.table import Table

    pairwise = _tally(poll)["pairwise"]
    names = list(pairwise)
    table = Table(title="Pairwise preferences",
                  caption=_text("each cell: the voters preferring the row's option to the column's; "
                                "green where the row wins the pair"))
    table.add_column("", overflow="fold")
    for name in names:
        table.add_column(_text(name), justify="right", overflow="fold")
    for row_name in names:
        cells = []
        for column_name in names:
            if column_name == row_name:
                cells.append(_text("-", "dim"))
                continue
            mine, theirs = pairwise[row_name][column_name], pairwise[column_name][row_name]
            cells.append(_text(str(mine), "green" if mine > theirs else ""))
        table.add_row(_text(row_name, "bold"), *cells)
    return table


def _star_tables(poll: dict) -> list:
    from rich.table import Table

    runoffs = _runoffs(_tally(poll))
    tables = []
    for number, runoff in enumerate(runoffs, 1):
        title = "Automatic runoff" + (f" {number} of {len(runoffs)}" if len(runoffs) > 1 else "")
        table = Table(title=title, caption=_text("the finalists are the two highest total scores; "
                                                 "the one scored higher by more voters wins"))
        table.add_column("Finalist", overflow="fold")
        table.add_column("Voters preferring it", justify="right")
        for name, number_preferring in runoff["preferred"].items():
            table.add_row(_text(name, "bold"), str(number_preferring))
        table.add_row(_text("no preference (scored equal)", "dim"), _text(str(runoff["equal"]), "dim"))
        tables.append(table)
    return tables


def _print_working(poll: dict, console) -> None:
    """The method's working under a poll's table: a table where one fits the terminal,
    else the plain lines."""
    method, tally = _method(poll), _tally(poll)
    if method == "irv" and tally.get("rounds"):
        columns = len(tally["rounds"])
        tables = [_irv_table(poll)]
    elif method == "schulze" and tally.get("pairwise"):
        columns = len(tally["pairwise"])
        ranking = " > ".join(" = ".join(group) for group in tally.get("ranking", []))
        tables = [_schulze_table(poll), _text(f"Ranking: {ranking}", "bold")]
    elif method == "star" and _runoffs(tally):
        columns, tables = 1, _star_tables(poll)
    else:
        return
    if _fits(console, columns):
        for renderable in tables:
            console.print(renderable)
    else:
        for line in _working_lines(poll):
            console.print(_text(line), soft_wrap=True)


# -- one renderer per kind of result -------------------------------------------------


class PollListing(Renderer):
    """`votr list`: {"Polls": rows}, the rows an iterator streamed from the database."""

    streams = True

    def start(self, data: dict) -> dict:
        rows = iter(data["Polls"])
        first = list(itertools.islice(rows, 1))
        return {**data, "Polls": itertools.chain(first, rows)}

    def json(self, data: dict, out) -> None:
        # Written row by row; the same bytes json.dumps would give for the whole list.
        out.write('{"Polls": [')
        for index, poll in enumerate(data["Polls"]):
            out.write((", " if index else "") + dumps(poll))
        out.write("]}\n")

    def plain(self, data: dict) -> Iterable[str]:
        # Nine fields: id, status, title, counts, kind, method, winners, voters, close date
        # (README: Output); new fields go at the end, so `cut -f` scripts keep working.
        # Hidden results: every count "-", and the winners field says until when.
        for poll in data["Polls"]:
            hidden = _hidden(poll)
            counts = ", ".join(f"{printable(c['name'])}: {'-' if hidden else c['vote_count']}"
                               for c in poll["options"])
            yield "\t".join([printable(poll["id"]), _status_word(poll), printable(poll["title"]), counts,
                             _kind(poll), printable(_method(poll)), _outcome(poll), str(_voters(poll)),
                             _date_plain(poll["close_date"])])

    def rich(self, data: dict, console) -> None:
        from votr_cli.core.counting import METHODS_BY_KIND

        rows = []
        for poll in data["Polls"]:
            kind, method = _kind(poll), _method(poll)
            date, phrase = _date_table(poll["close_date"])
            rows.append({
                "ID": _text(poll["id"]), "Title": _text(poll["title"], "bold"),
                "Status": _text(_status_word(poll), "green" if poll["status"] else "red"),
                "Kind": _text(f"{kind} ({method})" if len(METHODS_BY_KIND.get(kind, ())) > 1 else kind),
                "Votes": _text(str(_voters(poll))), "Leader": _leader_cell(poll),
                "Closes": _lines(date, f"({phrase})" if phrase else ""), "date": date,
            })
        if not rows:
            console.print("No polls yet. Create one with: votr create TITLE OPTION OPTION…")
            return
        table = _listing_table(rows)
        if _min_width(table) > console.width:
            table = _listing_records(rows)
        console.print(table)

    def records(self, data: dict) -> Iterable[dict]:
        return data["Polls"]  # the stream itself: one poll object per line, as it is read

    def rows(self, data: dict) -> Iterable[list]:
        # One row per option of each poll; a poll without options (only an adopted one can
        # be) still has its row, with option and vote_count empty.
        yield ["id", "title", "status", "close_date", "option", "vote_count"]
        for poll in data["Polls"]:
            hidden = _hidden(poll)
            head = [poll["id"], poll["title"], _status_word(poll), poll["close_date"]]
            for choice in poll["options"] or [{"name": None, "vote_count": None}]:
                yield [*head, choice["name"], None if hidden else choice["vote_count"]]


_LISTING_COLUMNS = ("ID", "Title", "Status", "Kind", "Votes", "Leader", "Closes")


def _listing_table(rows: list[dict]):
    """list's table: a row per poll. Titles and names wrap between words; a close date
    keeps its line (the column is as wide as the longest), its phrase wraps under it. The
    caller shows the records instead when the table cannot fit without cutting a word."""
    from rich.table import Table

    table = Table(title="Polls", title_justify="left")
    dates = max(len(row["date"]) for row in rows)
    for column in _LISTING_COLUMNS:
        table.add_column(column, justify="right" if column == "Votes" else "left",
                         no_wrap=column in ("ID", "Status", "Votes"), overflow="fold",
                         width=max(dates, len(column)) if column == "Closes" else None)
    for row in rows:
        table.add_row(*(row[column] for column in _LISTING_COLUMNS))
    return table


def _listing_records(rows: list[dict]):
    """list on a terminal too narrow for its table: each poll as a record of labelled
    lines, one poll under the other."""
    from rich.table import Table

    table = Table(title="Polls", title_justify="left", show_header=False)
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("", overflow="fold")
    for row in rows:
        for column in _LISTING_COLUMNS:
            table.add_row(_text(column), row[column])
        table.add_section()
    return table


def _leader_cell(poll: dict):
    """list's Leader column: the winners, or why there are none to show."""
    if _hidden(poll):
        return _text(_hidden_until(poll), "yellow")
    if not _winners(poll) and _quorum_missed(poll):
        return _text(f"no quorum ({_voters(poll)} of {poll['quorum']})", "yellow")
    return _text(", ".join(_winners(poll)) or "-")


class PollDetail(Renderer):
    """`votr show`: {"Polls": [poll]}, one poll with its counts, shares, winners and the
    counting method's working (IRV's rounds, Schulze's pairwise matrix, STAR's runoff)."""


    def plain(self, data: dict) -> Iterable[str]:
        poll = data["Polls"][0]
        kind = _kind(poll)
        hidden = _hidden(poll)
        yield f"id: {printable(poll['id'])}"
        yield f"title: {printable(poll['title'])}"
        yield f"status: {_status_word(poll)}"
        yield f"close_date: {_date_plain(poll['close_date'])}"
        yield f"total_vote_count: {'-' if hidden else poll['total_vote_count']}"
        yield f"kind: {printable(kind)}"
        yield f"method: {printable(_method(poll))}"
        yield f"voter_count: {_voters(poll)}"
        # Only a poll with policies other than the defaults has these two lines.
        if _policies(poll):
            yield f"policies: {_policies(poll)}"
        if _quorum_state(poll):
            yield f"quorum: {_quorum_state(poll)}"
        yield f"winners: {_outcome(poll)}"
        yield f"counts: {_COUNT_MEANING.get(kind, 'votes')}"
        if hidden:
            # The options in the poll's order, each count and percentage "-"; no working.
            for choice in poll["options"]:
                yield f"{printable(choice['name'])}\t-\t-"
            return
        winners = _winners(poll)
        base = _share_base(poll)
        for choice in poll["options"]:
            fields = [printable(choice["name"]), str(choice["vote_count"]),
                      f"{_percent(choice['vote_count'], base):.1f}%"]
            if choice["name"] in winners:
                fields.append("leader")
            yield "\t".join(fields)
        yield from _working_lines(poll)

    def rich(self, data: dict, console) -> None:
        poll = data["Polls"][0]
        console.print(_poll_table(poll, console.width))
        if not _hidden(poll):
            _print_working(poll, console)

    def records(self, data: dict) -> Iterable[dict]:
        return data["Polls"]

    def rows(self, data: dict) -> Iterable[list]:
        # The share as the plain and rich forms compute it, without its "%"; hidden
        # results leave count and share empty.
        poll = data["Polls"][0]
        yield ["option", "vote_count", "percent"]
        if _hidden(poll):
            yield from ([choice["name"], None, None] for choice in poll["options"])
            return
        base = _share_base(poll)
        for choice in poll["options"]:
            count = choice["vote_count"]
            yield [choice["name"], count, f"{_percent(count, base):.1f}"]


def poll_renderables(poll: dict, width: int) -> list:
    """What `show` prints on a terminal `width` columns wide, as rich renderables, for a
    live redraw (`show --watch`), whose frame also holds a line under them."""
    collected = _Collected(width)
    POLL_DETAIL.rich({"Polls": [poll]}, collected)
    return collected.renderables


class _Collected:
    """A stand-in console that keeps what a renderer prints, in order, instead of
    writing it (so a line of the working wraps in a live redraw rather than overflowing)."""

    def __init__(self, width: int):
        self.width = width
        self.renderables: list = []

    def print(self, renderable, **_options) -> None:
        self.renderables.append(renderable)


def plain_line(line: str) -> str:
    """A plain record as `render` writes it: any control character a field let through
    escaped, the tabs between fields kept."""
    return _safe_line(line)


def plain_text(value: str, style: str = ""):
    """`value` as a rich Text shown literally: never markup, control characters escaped."""
    return _text(value, style)


class PollMessage(Renderer):
    """create, vote, unvote, close, reopen: {"message", "poll"}, what was done and the
    poll now."""

    def done(self, data: dict) -> str:
        from votr_cli.core import polls as rules

        said = {
            rules.MSG_CREATED: "the poll was created",
            rules.MSG_VOTED: "the vote was recorded",
            rules.MSG_CHANGED: "the vote was changed",
            rules.MSG_UNVOTED: "the vote was withdrawn",
            rules.MSG_CLOSED: "the poll was closed",
            rules.MSG_ALREADY_CLOSED: "the poll was already closed",
            rules.MSG_REOPENED: "the poll was reopened",
            rules.MSG_ALREADY_OPEN: "the poll was already open",
        }.get(data["message"], data["message"])
        return f"{said} (poll {data['poll']['id']})"


    def plain(self, data: dict) -> Iterable[str]:
        poll = data["poll"]
        yield f"{printable(data['message'])}: {_fields(poll['id'], _status_word(poll), poll['title'])}"
        if _hidden(poll):
            yield f"results {_hidden_until(poll)}"

    def rich(self, data: dict, console) -> None:
        console.print(_text(data["message"], "green"))
        console.print(_poll_table(data["poll"], console.width))


class OptionList(Renderer):
    """`votr options`: a list of {"id", "name"}."""


    def plain(self, data: list) -> Iterable[str]:
        return (_fields(option["id"], option["name"]) for option in data)

    def rich(self, data: list, console) -> None:
        from rich.table import Table

        table = Table(title="Options", title_justify="left")
        table.add_column("ID")
        table.add_column("Name")
        for option in data:
            table.add_row(_text(option["id"]), _text(option["name"]))
        console.print(table)

    def records(self, data: list) -> Iterable[dict]:
        return ({"id": option["id"], "name": option["name"]} for option in data)

    def rows(self, data: list) -> Iterable[list]:
        yield ["id", "name"]
        for option in data:
            yield [option["id"], option["name"]]


class Report(Renderer):
    """An operation's summary (import, export to a file, downgrade, serve): its message
    and any notes (a backup that could not be made, say)."""

    def done(self, data: dict) -> str:
        return data["message"].rstrip(".")


    def plain(self, data: dict) -> Iterable[str]:
        yield printable(data["message"])
        yield from (printable(note) for note in data.get("notes", []))

    def rich(self, data: dict, console) -> None:
        console.print(_text(data["message"], "green"))
        for note in data.get("notes", []):
            console.print(_text(note, "yellow"))


class UpgradeReport(Report):
    """`votr db-upgrade`: a report that, when it adopted an old Votr database, also lists
    the repairs made to it; they quote titles the old app stored."""

    def plain(self, data: dict) -> Iterable[str]:
        yield from super().plain(data)
        yield from (f"repaired: {printable(repair['message'])}" for repair in data.get("repairs", []))

    def rich(self, data: dict, console) -> None:
        super().rich(data, console)
        for repair in data.get("repairs", []):
            console.print(_text(f"repaired: {repair['message']}", "yellow"))


class Sql(Renderer):
    """`votr db-upgrade --sql`: {"sql"}, highlighted on a terminal."""


    def plain(self, data: dict) -> Iterable[str]:
        yield data["sql"].rstrip("\n")

    def rich(self, data: dict, console) -> None:
        from rich.syntax import Syntax

        console.print(Syntax(data["sql"], "sql"))


class Document(Renderer):
    """`votr export` to stdout: the document is the output, in every form."""


    def plain(self, data: dict) -> Iterable[str]:
        yield dumps(data)

    def rich(self, data: dict, console) -> None:
        # Written as it is, not through rich, which would wrap and highlight it.
        _stdout().write(dumps(data) + "\n")


class Script(Renderer):
    """`votr completion SHELL`: {"shell", "script"}; the script as it is, in every form
    but JSON, so that it can be sourced or saved."""

    def plain(self, data: dict) -> Iterable[str]:
        yield from data["script"].rstrip("\n").split("\n")

    def rich(self, data: dict, console) -> None:
        _stdout().write(data["script"])


class Revision(Renderer):
    """`votr db-current`: the database's revisions and whether they are the head."""


    def plain(self, data: dict) -> Iterable[str]:
        # The revision ids are whatever alembic_version holds: another tool may have written it.
        current = printable(", ".join(data["current"])) or "none"
        state = "up to date" if data["up_to_date"] else f"head is {printable(data['head'])}"
        yield f"{current} ({state})"

    def rich(self, data: dict, console) -> None:
        for line in self.plain(data):
            console.print(_text(line, "green" if data["up_to_date"] else "yellow"))


class History(Renderer):
    """`votr db-history`: the revisions votr knows, newest first."""


    def plain(self, data: dict) -> Iterable[str]:
        for rev in reversed(data["revisions"]):
            head = " (head)" if rev["is_head"] else ""
            down = rev["down_revision"] or "<base>"
            yield printable(f"{down} -> {rev['revision']}{head}, {rev['message']}")


class BatchSummary(Renderer):
    """`votr vote --batch`: the summary on stdout; the rejected lines go to stderr, as
    errors do (the JSON form keeps them in the one document)."""

    def done(self, data: dict) -> str:
        return data["message"].rstrip(".")


    @staticmethod
    def _rejections(data: dict) -> list[str]:
        return [f"line {entry['line']}: {printable(entry['error'])}" for entry in data["rejected"]]

    def plain(self, data: dict) -> Iterable[str]:
        for line in self._rejections(data):
            sys.stderr.write(f"Error: {line}\n")
        yield printable(data["message"])

    def rich(self, data: dict, console) -> None:
        errors = _console(stderr=True)
        for line in self._rejections(data):
            errors.print(_text(line, "red"))
        console.print(_text(data["message"], "red" if data["rejected"] else "green"))


class CheckReport(Renderer):
    """`votr db-check`: integrity, what was checked, each problem, the verdict."""


    def plain(self, data: dict) -> Iterable[str]:
        integrity = data["integrity"]
        yield f"database: {printable(data['database'])} ({printable(data['backend'])})"
        if integrity["ok"] is None:
            yield f"integrity: not checked ({printable(integrity.get('note', ''))})"
        else:
            yield f"integrity: {'ok' if integrity['ok'] else 'FAILED'} ({printable(integrity['method'])})"
        checked = data["checked"]
        if checked is not None:
            yield (f"checked: {counted(checked['polls'], 'poll')}, {counted(checked['options'], 'option')}, "
                   f"{counted(checked['counters'], 'counter')}, {counted(checked['ballots'], 'ballot')}")
        for problem in data["problems"]:
            yield f"problem: {printable(problem['message'])}"
        count = len(data["problems"])
        yield "result: clean" if data["ok"] else f"result: {counted(count, 'problem')} found"

    def rich(self, data: dict, console) -> None:
        for line in self.plain(data):
            label = line.split(":", 1)[0]
            bad = label == "problem" or "FAILED" in line or (label == "result" and not data["ok"])
            console.print(_text(line, "red" if bad else "green" if label in ("integrity", "result") else ""))


class InviteLinks(Renderer):
    """`votr invite`: {"invites": [{"voter", "token", "url"}]}, each voter's link. The
    tokens exist nowhere else: if they cannot be written, the voters must be invited
    again (which makes new ones)."""

    def done(self, data: dict) -> str:
        count = len(data["invites"])
        who = "1 voter was" if count == 1 else f"{count} voters were"
        return (f"{who} invited, any earlier links revoked (invite them "
                f"again for links you can send)")

    def plain(self, data: dict) -> Iterable[str]:
        return (_fields(invite["voter"], invite["url"]) for invite in data["invites"])

    def rich(self, data: dict, console) -> None:
        # Not a table: a link must stay whole on its line to be copied, however narrow
        # the terminal (soft_wrap: the terminal wraps it, rich inserts no line break).
        console.print(_text("Invite links, each voter's own: send it to them alone", "bold"))
        for invite in data["invites"]:
            console.print(_text(invite["voter"], "green"), _text(invite["url"]), soft_wrap=True)


class InviteList(Renderer):
    """`votr invites`: {"invites": [{"voter", "invited_at", "voted"}]}."""

    def plain(self, data: dict) -> Iterable[str]:
        return (_fields(invite["voter"], invite["invited_at"], "voted" if invite["voted"] else "not voted")
                for invite in data["invites"])

    def rich(self, data: dict, console) -> None:
        from rich.table import Table

        if not data["invites"]:
            console.print("Nobody is invited yet. Invite voters with: votr invite POLL VOTER…")
            return
        table = Table(title="Invites", title_justify="left")
        for column in ("Voter", "Invited (UTC)", "Voted"):
            table.add_column(column)
        for invite in data["invites"]:
            table.add_row(_text(invite["voter"]), _text(invite["invited_at"]),
                          _text("yes" if invite["voted"] else "no", "green" if invite["voted"] else ""))
        console.print(table)


class InviteRevoked(Renderer):
    """`votr uninvite`: {"message", "voter", "poll"}."""

    def done(self, data: dict) -> str:
        return f"the invite of {printable(repr(data['voter']))} was revoked (poll {data['poll']['id']})"

    def plain(self, data: dict) -> Iterable[str]:
        poll = data["poll"]
        yield f"{printable(data['message'])}: {_fields(data['voter'], poll['id'], poll['title'])}"


# The renderers commands name in their Results. They hold no state, so one of each serves.
POLL_LISTING = PollListing()
POLL_DETAIL = PollDetail()
POLL_MESSAGE = PollMessage()
OPTION_LIST = OptionList()
REPORT = Report()
UPGRADE_REPORT = UpgradeReport()
SQL = Sql()
DOCUMENT = Document()
SCRIPT = Script()
REVISION = Revision()
HISTORY = History()
BATCH_SUMMARY = BatchSummary()
CHECK_REPORT = CheckReport()
INVITE_LINKS = InviteLinks()
INVITE_LIST = InviteList()
INVITE_REVOKED = InviteRevoked()
