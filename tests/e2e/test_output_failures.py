"""Output that cannot be written: exit 74 (EX_IOERR) with one line saying what was done,
never 70 and never a traceback; a reader that goes away (a broken pipe) ends quietly.

Real processes with real streams: stdout closed at exec, /dev/full, a terminal whose
other end is gone, on the selected backend.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess

import pytest

from tests.conftest import votr_executable

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head


def run(votr_env, *args: str, stdout="closed", stderr=subprocess.PIPE, input: str | None = None):
    """Run votr with stdout (and maybe stderr) closed, or sent where the caller says."""
    closed = [fd for fd, where in ((1, stdout), (2, stderr)) if where == "closed"]

    def close_streams():
        for fd in closed:
            os.close(fd)

    return subprocess.run([votr_executable(), *args], env={**os.environ, **votr_env}, input=input,
                          stdout=None if stdout == "closed" else stdout,
                          stderr=None if stderr == "closed" else stderr,
                          preexec_fn=close_streams, text=True, timeout=60)


@pytest.fixture
def lunch(votr_proc):
    assert votr_proc("create", "Lunch", "pizza", "sushi").exit_code == 0


def votes(votr_proc) -> dict:
    listed = votr_proc("show", "Lunch", "--json")
    assert listed.exit_code == 0, listed.stderr
    return {choice["name"]: choice["vote_count"] for choice in listed.json()["Polls"][0]["options"]}


def assert_74(done, said: str) -> None:
    assert done.returncode == 74, (done.returncode, done.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert said in done.stderr, done.stderr


@pytest.mark.parametrize("where", ["closed", "/dev/full"])
def test_a_vote_whose_output_fails_is_recorded_and_says_so(votr_env, votr_proc, lunch, where):
    with open(os.devnull if where == "closed" else where, "w") as full:
        stdout = "closed" if where == "closed" else full
        done = run(votr_env, "vote", "Lunch", "sushi", "--voter", "ann", stdout=stdout)
        assert_74(done, "Error: the vote was recorded (poll ")
        assert "but its output could not be written: [Errno" in done.stderr
        as_json = run(votr_env, "vote", "Lunch", "sushi", "--voter", "bob", "--json", stdout=stdout)
        assert as_json.returncode == 74
        assert "the vote was recorded" in json.loads(as_json.stderr)["error"]
    assert votes(votr_proc) == {"pizza": 0, "sushi": 2}


@pytest.mark.parametrize("args, said", [
    (["create", "Dinner", "soup", "salad"], "the poll was created"),
    (["close", "Lunch"], "the poll was closed"),
    (["vote", "--batch", "-"], "1 vote recorded, 0 lines rejected, but its output"),
    (["list"], "Error: the output could not be written: [Errno 28] No space left on device"),
    (["list", "--json"], "the output could not be written"),
    (["show", "Lunch"], "the output could not be written"),
    (["export"], "the output could not be written"),
    (["db-current"], "the output could not be written"),
    (["--help"], "the output could not be written"),
])
def test_every_command_whose_output_fills_the_disk_exits_74(votr_env, lunch, args, said):
    line = json.dumps({"poll": "Lunch", "option": "pizza", "voter": "cy"}) + "\n"
    with open("/dev/full", "w") as full:
        assert_74(run(votr_env, *args, stdout=full, input=line), said)


@pytest.mark.parametrize("args", [["vote", "Lunch", "pizza", "--voter", "dee"], ["list"], ["--version"]])
def test_stdout_and_stderr_both_closed_is_still_exit_74(votr_env, votr_proc, lunch, args):
    done = run(votr_env, *args, stdout="closed", stderr="closed")
    assert done.returncode == 74
    if args[0] == "vote":
        assert votes(votr_proc)["pizza"] == 1


def test_a_closed_stdout_never_lands_in_the_database(votr_env, votr_proc, lunch, tmp_path):
    """With stdout closed, descriptor 1 is free: a SQLite file opened then would get it."""
    path = tmp_path / "own.db"
    assert votr_proc("--db", str(path), "create", "Tea", "green", "black").exit_code == 0
    done = run(votr_env, "--db", str(path), "vote", "Tea", "green", "--voter", "ann")
    assert done.returncode == 74
    check = votr_proc("--db", str(path), "db-check")
    assert check.exit_code == 0, check.stdout
    assert votr_proc("--db", str(path), "show", "Tea", "--json").json()["Polls"][0]["total_vote_count"] == 1


def test_rich_output_to_a_terminal_that_went_away_exits_74(votr_env, votr_proc, lunch):
    controller, terminal = pty.openpty()
    os.close(controller)  # the terminal's other end is gone: writes fail with EIO
    try:
        done = run(votr_env, "vote", "Lunch", "pizza", "--voter", "eve", stdout=terminal)
    finally:
        os.close(terminal)
    assert_74(done, "the vote was recorded")
    assert votes(votr_proc)["pizza"] == 1


def test_a_reader_that_goes_away_ends_quietly_with_exit_0(votr_env, votr):
    """`votr list | head -1`: the output is bigger than a pipe holds, so votr is still
    writing when the reader leaves (EPIPE). Like other Unix tools, it stops quietly."""
    # 400 polls in one import rather than 400 commands: how they got there is not the subject.
    assert votr("create", "Poll 0 " + "x" * 200, "a", "b").exit_code == 0
    document = json.loads(votr("export").stdout)
    first = document["polls"][0]
    digits = "23456789abcdefghjkmnpqrstuvwxyz"  # votr_cli.core.ids.PUBLIC_ID_ALPHABET
    document["polls"] = [first] + [
        {**first, "id": "pp" + "".join(digits[i // len(digits) ** k % len(digits)] for k in range(6)),
         "title": f"Poll {i} " + "x" * 200}
        for i in range(1, 400)]
    assert votr("import", "-", input=json.dumps(document)).exit_code == 0
    assert len(votr("list", "--json").json()["Polls"]) == 400
    for args in (["list"], ["list", "--json"], ["export"]):
        reader = subprocess.Popen(["head", "-c", "1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        done = run(votr_env, *args, stdout=reader.stdin)
        reader.stdin.close()
        reader.wait()
        assert done.returncode == 0, (args, done.stderr)
        assert done.stderr == "", (args, done.stderr)
