"""A worker process for the policy concurrency tests: runs many `votr` commands in a loop.

Starting the `votr` executable costs a fresh interpreter and imports each time (about a
third of a CPU second here), so 16 processes that each run a dozen commands would take a
minute. This worker is one real OS process, with its own connections, that imports votr
once and then runs the commands it is given one after another through votr's own
command line (click's `main`, exactly as the console script runs it, each command
opening and disposing of its own database engine), recording each command's exit code,
stdout and stderr.

    python tests/e2e/cli_loop.py '[["vote", "Poll", "a", "--json"], ["unvote", "Poll"]]'

It prints `ready` once votr is imported, waits for a line on stdin (so that the test can
start every worker's commands at the same moment), runs the commands, and prints one
JSON list of {"args", "code", "stdout", "stderr", "seconds"}. It exits 0 itself; the codes of the
commands are in that list.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import traceback


def run(commands: list[list[str]]) -> list[dict]:
    from votr_cli.frontends.cli import main

    print("ready", flush=True)
    sys.stdin.readline()
    outcomes = []
    for args in commands:
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main.main(args, prog_name="votr", standalone_mode=True)
                code = 0
            except SystemExit as exc:
                code = 0 if exc.code is None else exc.code
            except BaseException:  # noqa: BLE001 - anything escaping votr is the test's failure
                traceback.print_exc()
                code = 70
        outcomes.append({"args": args, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
                         "seconds": round(time.monotonic() - started, 4)})
    return outcomes


if __name__ == "__main__":
    results = run(json.loads(sys.argv[1]))
    sys.stdout.write(json.dumps(results) + "\n")
