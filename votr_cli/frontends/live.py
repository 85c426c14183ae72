"""`votr show POLL --watch`: the poll's results, read again every interval until it closes.

The watch is a Renderer, so `output.render` picks its form as it does every command's:

- a terminal: rich's Live redraws show's table in place, with a line under it saying
  when it was last read; when the poll closes the final results stay on the screen.
- piped (or NO_COLOR, TERM=dumb): show's plain lines each time the poll changes, a blank
  line between two states, flushed at once, so a script reading the pipe sees each state
  as it comes.
- `--json`: show's JSON document, `{"Polls": [poll]}`, on one line each time the poll
  changes (JSON Lines), flushed at once.

Every form ends, exit 0, when the poll is closed (by `votr close` elsewhere or its close
date passing: show's own read says so), at Ctrl-C, or when the reader of a pipe goes
away (checked while waiting, so even a poll that never changes notices). An error in a later read (the poll
deleted, the database gone) ends the watch with that error's message and exit code,
after the last state shown. Each read is show's service call in its own short read
transaction, so nothing is held open between reads; the engine and its idle pooled
connection are kept for the next read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from votr_cli.frontends import output


@dataclass
class Watch:
    """What a watch needs: `read` gives the poll as `show` does ({"Polls": [poll]})."""

    read: Callable[[], dict]
    interval: float
    first: dict | None = None


def _open(state: dict) -> bool:
    return bool(state["Polls"][0]["status"])


def _clock() -> str:
    return time.strftime("%H:%M:%S")


def _states(watch: Watch, every_read: bool = False) -> Iterator[tuple[dict, str]]:
    """The poll's states, each with the time it was read: the first, then each one that
    differs from the one before (or every read, with `every_read`), the last a closed
    poll. Ctrl-C (KeyboardInterrupt) ends it, here or wherever its caller is."""
    current = watch.first
    if current is None:  # Ctrl-C during the first read
        return
    yield current, _clock()
    while _open(current):
        if _reader_gone(watch.interval):
            # As when a write meets the closed pipe: the command stops quietly, exit 0.
            raise BrokenPipeError(errno.EPIPE, "the reader of standard output went away")
        latest = watch.read()
        if every_read or latest != current:
            current = latest
            yield current, _clock()


def _reader_gone(seconds: float) -> bool:
    """Wait `seconds`; True at once if stdout is a pipe whose reader went away (`votr show
    POLL --watch | head -1`), which a watch of a poll that does not change would never
    find out by writing."""
    try:
        fd = sys.stdout.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            raise OSError("not a pipe")
        poller = select.poll()
        poller.register(fd, 0)  # only POLLERR (the reader closed its end) and POLLHUP come back
    except (OSError, ValueError, AttributeError):  # a terminal, a file, no fileno, no poll()
        time.sleep(seconds)
        return False
    return bool(poller.poll(seconds * 1000))


class PollWatch(output.Renderer):
    """`votr show --watch`: data is a Watch, whose first read is made in `start`, before
    anything is written, so a poll that does not exist is an error as `show`'s is."""

    def start(self, data: Watch) -> Watch:
        try:
            data.first = data.read()
        except KeyboardInterrupt:
            data.first = None  # stopped before it began: nothing to show, exit 0 all the same
        return data

    # Ctrl-C can come at any moment: while waiting, reading or writing. Each form catches
    # it around its whole loop, so that stopping a watch is exit 0, never 130.

    def json(self, data: Watch, out) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            for state, _ in _states(data):
                out.write(output.dumps(state) + "\n")
                out.flush()

    def plain(self, data: Watch) -> Iterable[str]:
        """Writes each state itself as it comes, flushed, and leaves output.render no
        lines to write: a Ctrl-C while writing would otherwise escape from render."""
        out = sys.stdout
        with contextlib.suppress(KeyboardInterrupt):
            for number, (state, _) in enumerate(_states(data)):
                if number:
                    out.write("\n")  # a blank line between two states
                for line in output.POLL_DETAIL.plain(state):
                    out.write(output.plain_line(line) + "\n")
                out.flush()
        return ()

    def rich(self, data: Watch, console) -> None:
        from rich.console import Group
        from rich.live import Live

        def frame(state: dict, note: str, style: str) -> Group:
            return Group(*output.poll_renderables(state["Polls"][0], console.width), output.plain_text(note, style))

        if data.first is None:
            return
        state, read_at = data.first, _clock()
        # auto_refresh off: the screen changes only when a read is drawn, in this thread.
        live = Live(console=console, auto_refresh=False, redirect_stdout=False, redirect_stderr=False)
        try:
            with live:
                try:
                    for state, read_at in _states(data, every_read=True):
                        if _open(state):
                            note, style = f"watching, refreshed {read_at}, Ctrl-C to stop", "dim"
                        else:
                            note, style = f"The poll is closed: final results, read {read_at}.", "bold"
                        live.update(frame(state, note, style), refresh=True)
                except KeyboardInterrupt:
                    # The results as last read stay on the screen, and say so.
                    live.update(frame(state, f"Stopped watching: results as read at {read_at}.", "dim"),
                                refresh=True)
        except KeyboardInterrupt:
            pass  # a second Ctrl-C while drawing: Live has stopped and shown the cursor again


POLL_WATCH = PollWatch()
