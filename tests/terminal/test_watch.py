"""`votr show --watch` on a real pseudo-terminal: rich's Live redraws the poll as other
processes vote and close it, hides what the viewer may not see, and leaves the terminal
clean at close and at Ctrl-C (exit 0 both).

Nothing here is timed: each step waits (up to a generous timeout) for what it expects.
"""

from __future__ import annotations

import io
import os

import pexpect
import pytest

from tests.conftest import votr_executable

TIMEOUT = 30
SHOW_CURSOR = "\x1b[?25h"
HIDE_CURSOR = "\x1b[?25l"


@pytest.fixture
def watch(votr_env):
    """Start `votr show ARGS --watch --interval 0.2` on a 30x100 pseudo-terminal."""
    children = []

    def start(*args: str) -> pexpect.spawn:
        env = {**os.environ, **votr_env, "TERM": "xterm-256color"}
        env.pop("NO_COLOR", None)
        child = pexpect.spawn(votr_executable(), ["show", *args, "--watch", "--interval", "0.2"], env=env,
                              dimensions=(30, 100), encoding="utf-8", timeout=TIMEOUT)
        child.logfile_read = io.StringIO()
        children.append(child)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def _ended(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def _everything(child: pexpect.spawn) -> str:
    return child.logfile_read.getvalue()


def test_watch_redraws_new_votes_and_ends_when_the_poll_is_closed(votr_proc, watch):
    assert votr_proc("create", "Lunch [bold]today[/]?", "pizza", "sushi").exit_code == 0
    assert votr_proc("vote", "Lunch [bold]today[/]?", "sushi", "--voter", "ann").exit_code == 0
    child = watch("Lunch [bold]today[/]?")
    child.expect("Leading: sushi")
    child.expect("watching, refreshed \\d\\d:\\d\\d:\\d\\d, Ctrl-C to stop")
    assert HIDE_CURSOR in _everything(child)

    for voter in ("bo", "cy"):
        assert votr_proc("vote", "Lunch [bold]today[/]?", "pizza", "--voter", voter).exit_code == 0
    child.expect("Leading: pizza")
    child.expect("watching, refreshed")

    assert votr_proc("close", "Lunch [bold]today[/]?").exit_code == 0
    child.expect("Winner: pizza")
    child.expect("The poll is closed: final results")
    assert _ended(child) == 0
    seen = _everything(child)
    assert "Lunch [bold]today[/]?" in seen  # the title literally, never markup
    assert seen.rstrip("\r\n").endswith(SHOW_CURSOR) or SHOW_CURSOR in seen[seen.rindex("final results"):]
    assert "Traceback" not in seen


def test_ctrl_c_stops_the_watch_with_exit_0_and_the_cursor_shown(votr_proc, watch):
    assert votr_proc("create", "Stand-up time", "nine", "ten").exit_code == 0
    child = watch("Stand-up time")
    child.expect("watching, refreshed")
    child.expect("watching, refreshed")  # a redraw after the first: the loop is running
    child.sendintr()
    child.expect("Stopped watching: results as read at")
    assert _ended(child) == 0
    seen = _everything(child)
    assert SHOW_CURSOR in seen[seen.rindex("Stopped watching"):]
    assert "Traceback" not in seen and "Aborted" not in seen
    # Nothing was changed by the watch, and the poll is still open.
    assert votr_proc("show", "Stand-up time", "--json").json()["Polls"][0]["status"] is True


def test_hidden_results_stay_hidden_until_the_poll_closes(votr_proc, watch):
    assert votr_proc("create", "Board vote", "ann", "bo", "--results", "closed").exit_code == 0
    assert votr_proc("vote", "Board vote", "ann", "--voter", "cy").exit_code == 0
    # cy has voted, but this poll shows its counts to nobody before it closes.
    child = watch("Board vote", "--voter", "cy")
    child.expect("Results hidden until the poll closes")
    assert votr_proc("vote", "Board vote", "ann", "--voter", "dee").exit_code == 0
    for _ in range(3):  # redraws after the vote: each still hides the counts
        child.expect("Results hidden until the poll closes")
        child.expect("watching, refreshed")
    before_close = _everything(child)
    assert "Leading" not in before_close and "★" not in before_close and "100.0%" not in before_close

    assert votr_proc("close", "Board vote").exit_code == 0
    child.expect("Winner: ann")
    child.expect("The poll is closed: final results")
    assert _ended(child) == 0


def test_a_closed_poll_is_drawn_once_and_the_watch_ends(votr_proc, watch):
    assert votr_proc("create", "Done deal", "yes", "no").exit_code == 0
    assert votr_proc("vote", "Done deal", "yes", "--voter", "ann").exit_code == 0
    assert votr_proc("close", "Done deal").exit_code == 0
    child = watch("Done deal")
    child.expect("Winner: yes")
    child.expect("The poll is closed: final results")
    assert _ended(child) == 0
    assert "watching, refreshed" not in _everything(child)


def test_a_poll_that_does_not_exist_is_exit_3_before_anything_is_drawn(votr_proc, watch):
    assert votr_proc("list").exit_code == 0
    child = watch("No such poll")
    assert _ended(child) == 3
    seen = _everything(child)
    assert "Error: no poll with id or title 'No such poll'" in seen
    assert HIDE_CURSOR not in seen and "Traceback" not in seen
