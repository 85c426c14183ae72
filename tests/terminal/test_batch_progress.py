"""The batch progress bar, in a real pseudo-terminal: it moves from the first bytes read,
through checking the lines and voting; with stderr piped there is no bar at all."""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading

import pexpect
import pytest

from tests.conftest import votr_executable

ESCAPE = "\x1b"


def batch_lines(first: int, count: int) -> bytes:
    return b"".join(json.dumps({"poll": "Lunch", "option": "pizza", "voter": f"v{number}"}).encode() + b"\n"
                    for number in range(first, first + count))


@pytest.fixture
def terminal_env(votr_env, votr_proc):
    assert votr_proc("create", "Lunch", "pizza", "sushi").exit_code == 0
    env = {**os.environ, **votr_env, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    env.pop("NO_COLOR", None)
    return env


def spawn(env, *args) -> pexpect.spawn:
    return pexpect.spawn(votr_executable(), list(args), env=env, timeout=120, dimensions=(30, 100))


def test_the_bar_moves_while_a_piped_batch_is_still_being_read(terminal_env, votr_proc, tmp_path):
    fifo = tmp_path / "votes.jsonl"
    os.mkfifo(fifo)
    child = spawn(terminal_env, "vote", "--batch", str(fifo))
    proceed = threading.Event()

    def feed() -> None:
        with open(fifo, "wb") as writer:  # opens once votr has opened the FIFO
            writer.write(batch_lines(0, 20_000))
            writer.flush()
            proceed.wait()  # until the test has seen the bar
            writer.write(batch_lines(20_000, 20_000))

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        # Half the batch is in and votr waits for the rest: the bar counts the lines read.
        child.expect(r"Reading \S*votes\.jsonl[^\r\n]*?\s([1-9][\d,]*) lines")
        assert int(child.match.group(1).replace(b",", b"")) > 0
        proceed.set()
        feeder.join()
        child.expect(r"40000 votes recorded, 0 lines rejected")
        child.expect(pexpect.EOF)
    finally:
        proceed.set()
        feeder.join()
        child.close()
    assert child.exitstatus == 0
    assert votr_proc("show", "Lunch", "--json").json()["Polls"][0]["total_vote_count"] == 40_000


def test_the_bar_shows_a_percentage_for_a_file(terminal_env, votr_proc, tmp_path):
    batch = tmp_path / "votes.jsonl"
    batch.write_bytes(batch_lines(0, 100_000))
    child = spawn(terminal_env, "vote", "--batch", str(batch))
    try:
        shown = []
        while True:
            index = child.expect([r"(Reading|Checking lines|Voting)[^\r\n%]*?\s(\d+)%", r"votes recorded"])
            if index == 1:
                break
            shown.append((child.match.group(1).decode(), int(child.match.group(2))))
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    # The bar was drawn before the end, with its steps in order.
    assert shown, "no progress bar was drawn"
    steps = [step for step, _ in shown]
    order = ["Reading", "Checking lines", "Voting"]
    assert steps == sorted(steps, key=order.index)
    assert all(0 <= percent <= 100 for _, percent in shown)
    assert any(percent > 0 for _, percent in shown)


def test_piped_stderr_shows_no_bar(terminal_env, tmp_path):
    batch = tmp_path / "votes.jsonl"
    batch.write_bytes(batch_lines(0, 30_000))
    errors = tmp_path / "stderr.txt"
    child = pexpect.spawn("/bin/sh", ["-c", f'"$0" vote --batch "$1" 2>"$2"', votr_executable(),
                                      str(batch), str(errors)], env=terminal_env, timeout=120)
    child.expect("30000 votes recorded, 0 lines rejected")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    said = errors.read_text()
    assert said == ""
    assert ESCAPE not in said and not re.search("Reading|Voting", said)


def test_ctrl_c_on_a_terminal_ends_the_bar_with_one_line(terminal_env, votr_proc, tmp_path):
    fifo = tmp_path / "votes.jsonl"
    os.mkfifo(fifo)
    child = spawn(terminal_env, "vote", "--batch", str(fifo))
    done = threading.Event()

    def feed() -> None:
        # The rest never comes: votr is interrupted while it waits for it (or, when the
        # bar shows before this is all written, while this waits for votr to read it).
        with contextlib.suppress(BrokenPipeError), open(fifo, "wb") as writer:
            writer.write(batch_lines(0, 20_000))
            writer.flush()
            done.wait()

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        child.expect(r"Reading \S*votes\.jsonl[^\r\n]*?[\d,]+ lines")
        child.sendintr()
        child.expect(r"interrupted: no vote of the batch was recorded")
        child.expect(pexpect.EOF)
        said = child.before.decode()
    finally:
        done.set()
        feeder.join()
        child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in said
    assert votr_proc("show", "Lunch", "--json").json()["Polls"][0]["total_vote_count"] == 0
