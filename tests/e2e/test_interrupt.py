"""Ctrl-C (SIGINT) in real processes: exit 130 and one line that says what was and was
not recorded, never a traceback.

Each test makes the process wait where the signal is to land, without racing it: a
batch is fed through a pipe that the test fills only halfway, so votr is still reading
it; a command's output is larger than the pipe it goes to, which the test leaves unread
until the pipe is full, so votr is still writing it (its work committed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from tests.conftest import votr_executable

pytestmark = pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/wchan"),
                                reason="needs Linux's /proc/PID/wchan to see where a process waits")


def start(votr_env, *args, stdin=subprocess.DEVNULL):
    return subprocess.Popen([votr_executable(), *args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, **votr_env})


def blocked_writing_a_pipe(pid: int) -> bool:
    """Whether the process sleeps in a write to a full pipe (Linux: its wait channel)."""
    with open(f"/proc/{pid}/wchan") as wchan:
        return "pipe_write" in wchan.read()


def wait_until_stdout_is_full(process) -> None:
    """Until the process is blocked writing its output to the pipe the test leaves unread."""
    while not blocked_writing_a_pipe(process.pid):
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.01)


def interrupt(process) -> tuple[int, bytes, bytes]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def test_ctrl_c_while_a_batch_is_read_records_no_vote(votr_proc, votr_env):
    assert votr_proc("create", "Lunch", "pizza", "sushi").exit_code == 0
    lines = b"".join(json.dumps({"poll": "Lunch", "option": "pizza", "voter": f"v{number}"}).encode() + b"\n"
                     for number in range(200_000))
    process = start(votr_env, "vote", "--batch", "-", stdin=subprocess.PIPE)
    # Far more than a pipe holds: when this returns, votr has read all but the last
    # pipeful, and it waits for the rest.
    process.stdin.write(lines[:len(lines) // 2])
    process.stdin.flush()
    code, out, err = interrupt(process)
    assert code == 130
    assert out == b""
    assert err.decode() == "Error: interrupted: no vote of the batch was recorded\n"
    poll = votr_proc("show", "Lunch", "--json").json()["Polls"][0]
    assert poll["total_vote_count"] == 0


def test_ctrl_c_during_a_batch_with_json(votr_proc, votr_env):
    assert votr_proc("create", "Lunch", "pizza", "sushi").exit_code == 0
    line = json.dumps({"poll": "Lunch", "option": "pizza", "voter": "ann"}).encode() + b"\n"
    process = start(votr_env, "vote", "--batch", "-", "--json", stdin=subprocess.PIPE)
    process.stdin.write(line * 50_000)  # the same voter: all but one line would be refused
    process.stdin.flush()
    code, out, err = interrupt(process)
    assert (code, out) == (130, b"")
    assert json.loads(err) == {"error": "interrupted: no vote of the batch was recorded"}
    assert votr_proc("show", "Lunch", "--json").json()["Polls"][0]["total_vote_count"] == 0


@pytest.fixture
def big_poll(votr_proc):
    """A poll whose JSON is larger than a pipe holds (400 options of about 190 characters)."""
    options = [f"{'option ' * 26}{number}" for number in range(400)]
    assert votr_proc("create", "Big", *options).exit_code == 0
    return options


def test_ctrl_c_while_a_vote_is_shown_says_it_was_recorded(votr_proc, votr_env, big_poll):
    process = start(votr_env, "vote", "Big", big_poll[7], "--voter", "ann", "--json")
    wait_until_stdout_is_full(process)
    code, out, err = interrupt(process)
    poll = votr_proc("show", "Big", "--json").json()["Polls"][0]
    assert code == 130
    assert json.loads(err) == {"error": f"interrupted: the vote was recorded (poll {poll['id']}); "
                                        f"its output was not shown"}
    assert poll["total_vote_count"] == 1
    assert out.startswith(b'{"message": "Thank you for voting"')


def test_ctrl_c_while_a_poll_is_shown_in_plain_text(votr_proc, votr_env, big_poll):
    process = start(votr_env, "show", "Big")
    wait_until_stdout_is_full(process)
    code, _, err = interrupt(process)
    assert code == 130
    assert err.decode() == "Error: interrupted: nothing was recorded\n"


def test_ctrl_c_while_listing_with_json(votr_proc, votr_env, big_poll):
    process = start(votr_env, "list", "--json")
    wait_until_stdout_is_full(process)
    code, _, err = interrupt(process)
    assert code == 130
    assert json.loads(err) == {"error": "interrupted: nothing was recorded"}
    assert b"Traceback" not in err
