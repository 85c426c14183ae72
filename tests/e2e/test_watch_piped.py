"""`votr show --watch` with stdout a pipe, on every backend: show's plain form (or one
JSON document a line with --json) each time the poll changes, until it is closed.

The watcher is a real process reading the database every 0.2 s while other processes
vote and close; on a server backend each read must see the others' commits, which it
would not if a transaction (a snapshot) were held open between reads. Nothing is timed:
each step waits, up to a generous timeout, for the line it expects.
"""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import threading

import pytest
import sqlalchemy as sa

from tests.conftest import votr_executable
from votr_cli.db.tables import ballots, poll_voters, polls, secret_ballots, topics

TIMEOUT = 30


class Watcher:
    """`votr show POLL --watch --interval 0.2 [ARGS]` with stdout and stderr pipes."""

    def __init__(self, votr_env: dict, *args: str):
        self.process = subprocess.Popen([votr_executable(), "show", *args, "--watch", "--interval", "0.2"],
                                        env={**os.environ, **votr_env}, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self) -> str | None:
        """The next line written, as soon as it is written (flushed); None at the end."""
        return self.lines.get(timeout=TIMEOUT)

    def until(self, wanted: str) -> list[str]:
        """The lines up to and including `wanted`."""
        seen = []
        while True:
            line = self.line()
            assert line is not None, f"ended before {wanted!r}: {seen}"
            seen.append(line)
            if line == wanted:
                return seen

    def rest(self) -> tuple[list[str], str, int]:
        seen = []
        while (line := self.line()) is not None:
            seen.append(line)
        code = self.process.wait(timeout=TIMEOUT)
        return seen, self.process.stderr.read(), code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def watcher(votr_env):
    started = []

    def start(*args: str) -> Watcher:
        started.append(Watcher(votr_env, *args))
        return started[-1]

    yield start
    for one in started:
        one.kill()


def test_piped_watch_prints_each_change_in_plain_form_until_close(votr_proc, watcher):
    assert votr_proc("create", "Lunch today?", "pizza", "sushi").exit_code == 0
    watch = watcher("Lunch today?")
    first = watch.until("sushi\t0\t0.0%")
    assert first[:3] == [first[0], "title: Lunch today?", "status: open"]
    assert "winners: -" in first

    assert votr_proc("vote", "Lunch today?", "sushi", "--voter", "ann").exit_code == 0
    assert watch.line() == ""  # a blank line between two states
    second = watch.until("sushi\t1\t100.0%\tleader")
    assert "total_vote_count: 1" in second and "winners: sushi" in second

    assert votr_proc("close", "Lunch today?").exit_code == 0
    assert watch.line() == ""
    third, stderr, code = watch.rest()
    assert "status: closed" in third and third[-1] == "sushi\t1\t100.0%\tleader"
    assert (code, stderr) == (0, "")
    # Exactly three states: nothing is printed again while the poll does not change.
    assert len(third) == len(first)


def test_piped_watch_with_json_prints_one_document_a_line_per_change(votr_proc, watcher):
    assert votr_proc("create", "Team lunch", "pizza", "sushi", "tacos", "--kind", "multiple").exit_code == 0
    watch = watcher("Team lunch", "--json")
    first = json.loads(watch.line())
    assert list(first) == ["Polls"] and first["Polls"][0]["total_vote_count"] == 0

    assert votr_proc("vote", "Team lunch", "pizza", "tacos", "--voter", "ann").exit_code == 0
    second = json.loads(watch.line())["Polls"][0]
    assert [option["vote_count"] for option in second["options"]] == [1, 0, 1]
    assert second["status"] is True

    assert votr_proc("close", "Team lunch").exit_code == 0
    rest, stderr, code = watch.rest()
    assert (code, stderr) == (0, "")
    assert len(rest) == 1
    final = json.loads(rest[0])["Polls"][0]
    # The same keys as show's own document, the last one closed.
    assert final["status"] is False and final["winners"] == ["pizza", "tacos"]
    assert final.keys() == votr_proc("show", "Team lunch", "--json").json()["Polls"][0].keys()


def test_piped_watch_keeps_hidden_results_hidden(votr_proc, watcher):
    assert votr_proc("create", "Secret lunch", "pizza", "sushi", "--results", "voted").exit_code == 0
    assert votr_proc("vote", "Secret lunch", "pizza", "--voter", "ann").exit_code == 0
    watch = watcher("Secret lunch", "--json", "--voter", "bo")  # bo has not voted
    first = json.loads(watch.line())["Polls"][0]
    assert first["results_hidden"] is True and first["total_vote_count"] is None

    # Another vote changes only the voter count bo may see.
    assert votr_proc("vote", "Secret lunch", "sushi", "--voter", "cy").exit_code == 0
    second = json.loads(watch.line())["Polls"][0]
    assert second["voter_count"] == 2
    assert second["results_hidden"] is True and {o["vote_count"] for o in second["options"]} == {None}

    assert votr_proc("close", "Secret lunch").exit_code == 0
    rest, _, code = watch.rest()
    assert code == 0
    assert json.loads(rest[-1])["Polls"][0]["options"] == [{"name": "pizza", "vote_count": 1},
                                                           {"name": "sushi", "vote_count": 1}]


def test_a_poll_deleted_during_the_watch_ends_it_with_exit_3(votr_proc, watcher, votr_env):
    """The last state stays written; the error follows on stderr, as show's would."""
    created = votr_proc("create", "Short-lived", "yes", "no", "--json").json()["poll"]["id"]
    watch = watcher(created, "--json")
    assert json.loads(watch.line())["Polls"][0]["id"] == created

    engine = sa.create_engine(votr_env["VOTR_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            topic_id = conn.execute(sa.select(topics.c.id).where(topics.c.public_id == created)).scalar_one()
            for table in (ballots, secret_ballots, poll_voters, polls):
                conn.execute(sa.delete(table).where(table.c.topic_id == topic_id))
            conn.execute(sa.delete(topics).where(topics.c.id == topic_id))
    finally:
        engine.dispose()

    rest, stderr, code = watch.rest()
    assert (rest, code) == ([], 3)
    assert json.loads(stderr) == {"error": f"no poll with id or title '{created}'"}


def test_watch_options_are_checked_before_anything_is_read(votr_proc):
    for args in (["--interval", "0"], ["--interval", "3601"], ["--interval", "soon"], ["--svg", "x.svg"]):
        done = votr_proc("show", "Lunch today?", "--watch", *args)
        assert done.exit_code == 2, args
        assert done.stdout == "" and "Traceback" not in done.stderr
    done = votr_proc("show", "Lunch today?", "--interval", "5")
    assert done.exit_code == 2 and "--interval is for --watch" in done.stderr


def test_json_without_watch_is_still_exactly_one_document(votr_proc):
    assert votr_proc("create", "Once", "a", "b").exit_code == 0
    shown = votr_proc("show", "Once", "--json")
    assert shown.exit_code == 0 and shown.stdout.count("\n") == 1 and list(json.loads(shown.stdout)) == ["Polls"]


@pytest.mark.parametrize("as_json", [False, True], ids=["plain", "json"])
def test_a_reader_that_goes_away_ends_an_unchanging_watch_quietly(votr_proc, votr_env, as_json):
    """`votr show POLL --watch | head -1`: the poll never changes, so nothing more is
    written that could fail; the watch still notices the pipe's reader is gone."""
    assert votr_proc("create", "Nobody votes", "a", "b").exit_code == 0
    process = subprocess.Popen([votr_executable(), "show", "Nobody votes", "--watch", "--interval", "0.2",
                                *(["--json"] if as_json else [])], env={**os.environ, **votr_env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
        assert ready and process.stdout.readline()
        process.stdout.close()  # as head does after its line
        assert process.wait(timeout=TIMEOUT) == 0
        assert process.stderr.read() == b""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_a_database_that_goes_away_during_the_watch_ends_it_with_exit_5(votr_proc, watcher):
    """Every table dropped under the watch (`votr db-downgrade base` from another process):
    the next read fails as a database problem. The downgrade does not wait for the
    watcher either: between reads it holds no transaction, so no lock the DROP needs."""
    assert votr_proc("create", "Soon gone", "yes", "no").exit_code == 0
    watch = watcher("Soon gone", "--json")
    assert json.loads(watch.line())["Polls"][0]["title"] == "Soon gone"
    dropped = votr_proc("db-downgrade", "base", timeout=TIMEOUT)
    assert dropped.exit_code == 0, dropped.stderr

    rest, stderr, code = watch.rest()
    assert (rest, code) == ([], 5)
    assert list(json.loads(stderr)) == ["error"] and stderr.count("\n") == 1


def test_the_watch_ends_when_the_close_date_passes(votr_proc, watcher):
    """No `votr close`: the poll's own close date, a few seconds ahead, ends the watch."""
    assert votr_proc("create", "Quick one", "yes", "no", "--closes-at", "3s").exit_code == 0
    watch = watcher("Quick one", "--json")
    first = json.loads(watch.line())["Polls"][0]
    assert first["status"] is True and first["close_date"]
    rest, stderr, code = watch.rest()
    assert (code, stderr) == (0, "")
    final = json.loads(rest[-1])["Polls"][0]
    assert final["status"] is False and final["close_date"] == first["close_date"]


@pytest.mark.parametrize("as_json", [False, True], ids=["plain", "json"])
def test_ctrl_c_ends_a_piped_watch_with_exit_0(votr_proc, watcher, as_json):
    assert votr_proc("create", "Interrupted", "a", "b").exit_code == 0
    watch = watcher("Interrupted", *(["--json"] if as_json else []))
    assert watch.line()  # the first line is out: the watch has begun
    watch.process.send_signal(signal.SIGINT)
    _, stderr, code = watch.rest()
    assert (code, stderr) == (0, "")
    assert votr_proc("show", "Interrupted", "--json").json()["Polls"][0]["status"] is True


def test_a_sqlite_watch_does_not_pin_the_wal_between_reads(votr_proc, watcher, votr_env, backend):
    """A reader holding a transaction open would keep a truncating checkpoint from ever
    completing. The watch reads every 0.2 s, so one attempt may meet a read in progress:
    the checkpoint is tried until it completes, which it could never do were a
    transaction held between reads."""
    if backend != "sqlite":
        pytest.skip("SQLite's write-ahead log (the servers: the db-downgrade test above)")
    assert votr_proc("create", "Busy poll", "a", "b").exit_code == 0
    watch = watcher("Busy poll", "--json")
    assert watch.line()
    assert votr_proc("vote", "Busy poll", "a", "--voter", "ann").exit_code == 0
    assert json.loads(watch.line())["Polls"][0]["total_vote_count"] == 1  # the watch has read again

    engine = sa.create_engine(votr_env["VOTR_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            for _ in range(200):
                busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
                if not busy:
                    break
                threading.Event().wait(0.05)
            assert busy == 0
    finally:
        engine.dispose()
    assert watch.process.poll() is None  # still watching
