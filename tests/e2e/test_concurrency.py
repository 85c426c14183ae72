"""Votes are never lost: many real `votr` processes on one database, locks and SIGKILL.

Every test here starts the installed `votr` as OS processes, on the selected backend.
Where a test needs "another connection holds the write lock", it uses the backend's own
kind: SQLite's write lock (BEGIN IMMEDIATE from a second connection); on PostgreSQL the
poll's counter rows, so a vote waits (or times out) after writing its ballot, in the
middle of its transaction; on MariaDB the poll's row, as a concurrent `votr close` holds.
Nothing here asserts on wall-clock speed: the machine is shared and slow.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import votr_executable
from votr_cli.frontends import settings
from votr_cli.ops import transfer
from votr_cli.service import polls as service

PROCESSES = 16
ROUNDS = 3
PATIENCE = 120  # seconds a test waits for a process before it calls the test failed


class Votr:
    """Starts `votr` processes with the test's environment."""

    def __init__(self, env: dict):
        self.env = {**os.environ, **env}
        self.executable = votr_executable()

    def start(self, *args: str, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen([self.executable, *args], env={**self.env, **(env or {})},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @staticmethod
    def finish(process: subprocess.Popen) -> tuple[int, str, str]:
        stdout, stderr = process.communicate(timeout=PATIENCE)
        return process.returncode, stdout, stderr

    def run_all(self, argument_lists: list[list[str]]) -> list[tuple[int, str, str]]:
        """Start every process before waiting for any, so they really run at once."""
        processes = [self.start(*args) for args in argument_lists]
        return [self.finish(process) for process in processes]


class BackendProbe:
    """A second connection that holds locks and looks at what other sessions do."""

    def __init__(self, url: str):
        self.url = make_url(url)
        self.backend = self.url.get_backend_name()
        if self.backend == "sqlite":
            self.path = Path(self.url.database)
        else:
            self.engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")

    def close(self) -> None:
        if self.backend != "sqlite":
            self.engine.dispose()

    # -- holding the lock a write needs ------------------------------------------

    def hold_write_lock(self, poll_id: str):
        """Start holding the lock; returns the function that releases it."""
        if self.backend == "sqlite":
            raw = sqlite3.connect(self.path, isolation_level=None)
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("UPDATE topics SET status = status WHERE public_id = ?", (poll_id,))

            def release():
                raw.execute("ROLLBACK")
                raw.close()
            return release
        conn = sa.create_engine(self.url).connect()
        transaction = conn.begin()
        if self.backend == "postgresql":
            # The poll's counters, locked as an update of them would: a vote gets as far
            # as inserting its ballot, then waits to count it.
            conn.execute(sa.text("SELECT polls.id FROM polls JOIN topics ON topics.id = polls.topic_id "
                                 "WHERE topics.public_id = :id FOR NO KEY UPDATE OF polls"), {"id": poll_id})
        else:
            # MariaDB: the poll's row, as a concurrent `votr close` holds it. (Its foreign
            # key checks would stop a vote at the ballot if the counters were locked.)
            conn.execute(sa.text("SELECT id FROM topics WHERE public_id = :id FOR UPDATE"), {"id": poll_id})

        def release():
            transaction.rollback()
            conn.close()
            conn.engine.dispose()
        return release

    def wait_until_blocked(self, process: subprocess.Popen) -> bool:
        """True once `process` waits for a lock; False if it ended or never did."""
        deadline = time.monotonic() + PATIENCE / 2
        while process.poll() is None and time.monotonic() < deadline:
            if self._is_waiting(process):
                return True
            # Not faster: MariaDB refreshes its lock tables at most every 0.1 s.
            time.sleep(0.25)
        return False

    def _is_waiting(self, process: subprocess.Popen) -> bool:
        if self.backend == "sqlite":
            # SQLite shows no waiters. Once the process has the file open it is a few
            # statements from BEGIN IMMEDIATE, where it waits: give it a moment to get there.
            if _has_open(process.pid, self.path):
                time.sleep(0.5)
                return True
            return False
        with self.engine.connect() as conn:
            if self.backend == "postgresql":
                waiting = conn.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")).scalar_one()
            else:
                waiting = conn.execute(sa.text(
                    "SELECT count(*) FROM information_schema.innodb_trx t "
                    "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
                    "WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()")).scalar_one()
        return waiting > 0

    # -- another process inside its write transaction --------------------------------

    def sqlite_writer_in_progress(self) -> bool:
        """True when another connection holds SQLite's write lock: it is inside a write."""
        raw = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            return True
        finally:
            raw.close()

    def server_writers(self) -> int:
        """How many sessions on this database have written and not yet committed."""
        with self.engine.connect() as conn:
            if self.backend == "postgresql":
                # A transaction gets an xid at its first write.
                return conn.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")).scalar_one()
            time.sleep(0.2)  # MariaDB refreshes innodb_trx at most every 0.1 s
            return conn.execute(sa.text(
                "SELECT count(*) FROM information_schema.innodb_trx t "
                "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
                "WHERE t.trx_rows_modified > 0 AND p.db = DATABASE()")).scalar_one()

    def hold_title(self, title: str):
        """An uncommitted poll with this title: a `votr create` of the same title writes its
        options, then waits at its own insert of the title. Returns the release function."""
        from votr_cli.core.text import key

        conn = sa.create_engine(self.url).connect()
        transaction = conn.begin()
        conn.execute(sa.text(
            "INSERT INTO topics (public_id, title, title_key, status, date_created) "
            "VALUES ('heldheld', :title, :key, :yes, :now)"),
            {"title": title, "key": key(title), "yes": True, "now": "2026-01-01 00:00:00"})

        def release():
            transaction.rollback()
            conn.close()
            conn.engine.dispose()
        return release

    # -- what is stored ------------------------------------------------------------

    def ballots(self) -> Counter:
        """Ballots per voter, straight from the table."""
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                return Counter(conn.execute(sa.text("SELECT voter FROM ballots")).scalars())
        finally:
            engine.dispose()


def _has_open(pid: int, path: Path) -> bool:
    try:
        targets = {os.readlink(entry) for entry in Path(f"/proc/{pid}/fd").iterdir()}
    except (FileNotFoundError, PermissionError, ProcessLookupError):
        return False
    return str(path.resolve()) in targets


@pytest.fixture
def procs(votr_env) -> Votr:
    return Votr(votr_env)


@pytest.fixture
def probe(database_url):
    probe = BackendProbe(database_url)
    yield probe
    probe.close()


def created(outcome) -> dict:
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["poll"]


def counts(votr, poll_id: str) -> dict[str, int]:
    shown = votr("show", poll_id, "--json").json()["Polls"][0]
    return {option["name"]: option["vote_count"] for option in shown["options"]}


def assert_database_is_clean(votr) -> None:
    check = votr("db-check", "--json")
    assert check.exit_code == 0, check.stdout + check.stderr
    assert check.json()["ok"] is True


# -- many writers at once ----------------------------------------------------------------


@pytest.mark.slow
def test_16_processes_voting_at_once_lose_no_vote_round_after_round(votr, procs):
    poll = created(votr("create", "Concurrent", "red", "green", "blue", "--json"))
    names = [option["name"] for option in poll["options"]]
    expected = Counter()
    for round_ in range(ROUNDS):
        votes = [(f"voter-{round_}-{index}", names[(index + round_) % len(names)])
                 for index in range(PROCESSES)]
        outcomes = procs.run_all([["vote", poll["id"], option, "--voter", voter]
                                  for voter, option in votes])
        failures = [(code, err) for code, _, err in outcomes if code != 0]
        assert failures == [], f"round {round_}: {failures}"
        expected.update(option for _, option in votes)
        assert counts(votr, poll["id"]) == dict(expected), f"round {round_}"
    assert sum(expected.values()) == PROCESSES * ROUNDS
    assert_database_is_clean(votr)


@pytest.mark.slow
def test_one_voter_racing_from_16_processes_is_counted_once(votr, procs, probe):
    poll = created(votr("create", "Race", "heads", "tails", "--json"))
    outcomes = procs.run_all([["vote", poll["id"], ("heads", "tails")[index % 2], "--voter", "Racer"]
                              for index in range(PROCESSES)])
    codes = Counter(code for code, _, _ in outcomes)
    assert codes == {0: 1, 4: PROCESSES - 1}, [(code, err) for code, _, err in outcomes]
    refusals = [err for code, _, err in outcomes if code == 4]
    assert all("multiple votes are not allowed" in err for err in refusals)
    assert sum(counts(votr, poll["id"]).values()) == 1
    assert probe.ballots() == {"racer": 1}
    assert_database_is_clean(votr)


# -- another connection holds the lock ------------------------------------------------------


def test_a_vote_waits_for_a_lock_held_less_than_the_busy_timeout(votr, procs, probe):
    poll = created(votr("create", "Patient", "yes", "no", "--json"))
    release = probe.hold_write_lock(poll["id"])
    try:
        process = procs.start("vote", poll["id"], "yes", "--voter", "patient",
                              env={"VOTR_BUSY_TIMEOUT": str(PATIENCE)})
        assert probe.wait_until_blocked(process), "the vote should be waiting for the lock"
    finally:
        release()
    code, stdout, stderr = procs.finish(process)
    assert code == 0, stderr
    assert stdout.startswith("Thank you for voting")
    assert counts(votr, poll["id"]) == {"yes": 1, "no": 0}
    assert_database_is_clean(votr)


def test_a_lock_held_past_the_busy_timeout_is_exit_5_and_writes_nothing(votr, procs, probe):
    poll = created(votr("create", "Impatient", "yes", "no", "--json"))
    assert votr("vote", poll["id"], "no", "--voter", "early").exit_code == 0
    release = probe.hold_write_lock(poll["id"])
    try:
        plain = procs.start("vote", poll["id"], "yes", "--voter", "late", env={"VOTR_BUSY_TIMEOUT": "1"})
        as_json = procs.start("vote", poll["id"], "yes", "--voter", "later", "--json",
                              env={"VOTR_BUSY_TIMEOUT": "1"})
        plain_code, plain_out, plain_err = procs.finish(plain)
        json_code, json_out, json_err = procs.finish(as_json)
    finally:
        release()
    assert (plain_code, plain_out) == (5, "")
    assert plain_err.startswith("Error: database is busy") and plain_err.count("\n") == 1, plain_err
    assert "Traceback" not in plain_err
    assert (json_code, json_out) == (5, "")
    assert json.loads(json_err)["error"].startswith("database is busy")
    # Nothing half-written: no ballot, no counter moved, and the voters can still vote.
    assert probe.ballots() == {"early": 1}
    assert counts(votr, poll["id"]) == {"yes": 0, "no": 1}
    assert votr("vote", poll["id"], "yes", "--voter", "late").exit_code == 0
    assert counts(votr, poll["id"]) == {"yes": 1, "no": 1}
    assert_database_is_clean(votr)


# -- SIGKILL ---------------------------------------------------------------------------------

BIG_POLL_OPTIONS = 4000
KILL_STORM_PROCESSES = 8  # half of them killed; the 16-process storms are above
BIG_POLL = "Killed midway"


def test_sigkill_inside_a_write_transaction_leaves_nothing_half_written(votr, procs, probe):
    """SIGKILL a `votr create` of a big poll while it is inside its write transaction.

    SQLite: the process is stopped (SIGSTOP) at short intervals and, while stopped, a
    second connection asks for the write lock; when it is held, the process is inside its
    transaction and is killed there. Servers: another session holds an uncommitted poll
    of the same title, so the process writes its thousands of options and then waits at
    its own insert of the title; it is killed there.
    """
    assert votr("create", "Before", "a", "b").exit_code == 0
    options = [f"option {index}" for index in range(BIG_POLL_OPTIONS)]
    if probe.backend == "sqlite":
        _kill_sqlite_writer(votr, procs, probe, options)
    else:
        release = probe.hold_title(BIG_POLL)
        try:
            process = procs.start("create", BIG_POLL, *options)
            assert probe.wait_until_blocked(process), procs.finish(process)
            assert probe.server_writers() == 2  # the holder, and the create with its options
            process.kill()
            process.communicate(timeout=PATIENCE)
        finally:
            release()
        assert process.returncode == -signal.SIGKILL

    listed = votr("list", "--json").json()["Polls"]
    assert [poll["title"] for poll in listed] == ["Before"]
    assert [option["name"] for option in votr("options", "--json").json()] == ["a", "b"]
    assert_database_is_clean(votr)
    if probe.backend == "sqlite":
        with sqlite3.connect(probe.path) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # The lock died with the process: the same poll can be created now, whole.
    again = votr("create", BIG_POLL, *options, "--json")
    assert again.exit_code == 0, again.stderr
    assert len(again.json()["poll"]["options"]) == BIG_POLL_OPTIONS
    assert_database_is_clean(votr)


def _kill_sqlite_writer(votr, procs, probe, options: list[str]) -> None:
    for _attempt in range(10):
        process = procs.start("create", BIG_POLL, *options)
        caught = False
        while process.poll() is None:
            process.send_signal(signal.SIGSTOP)
            if probe.sqlite_writer_in_progress():
                process.kill()
                caught = True
                break
            process.send_signal(signal.SIGCONT)
            time.sleep(0.005)
        process.communicate(timeout=PATIENCE)
        if caught:
            assert process.returncode == -signal.SIGKILL
            return
        # It committed before we caught it: remove the poll and try again.
        assert process.returncode == 0
        _forget_poll(probe, BIG_POLL)
    pytest.fail("never caught the process inside its write transaction")


def _forget_poll(probe: BackendProbe, title: str) -> None:
    with sqlite3.connect(probe.path) as raw:
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("DELETE FROM topics WHERE title = ?", (title,))
        raw.execute("DELETE FROM options WHERE id NOT IN (SELECT option_id FROM polls)")


@pytest.mark.slow
def test_voters_killed_at_random_moments_leave_counters_equal_to_ballots(votr, procs, probe):
    poll = created(votr("create", "Unlucky", "left", "right", "--json"))
    processes = {f"voter-{index}": procs.start("vote", poll["id"], ("left", "right")[index % 2],
                                               "--voter", f"voter-{index}")
                 for index in range(KILL_STORM_PROCESSES)}
    # Kill every other process somewhere between start-up and commit, at staggered times.
    doomed = list(processes)[::2]
    for step, voter in enumerate(doomed):
        time.sleep(0.1 * (step % 4))
        processes[voter].kill()
    finished = {voter: procs.finish(process)[0] for voter, process in processes.items()}
    survivors = {voter for voter, code in finished.items() if code == 0}
    assert set(processes) - set(doomed) <= survivors, finished
    assert all(code in (0, -signal.SIGKILL) for code in finished.values()), finished

    ballots = probe.ballots()
    assert set(ballots) >= survivors and all(number == 1 for number in ballots.values())
    assert sum(counts(votr, poll["id"]).values()) == sum(ballots.values())
    assert_database_is_clean(votr)


# -- reading while others write ---------------------------------------------------------

# A writer process: casts COUNT ballots as PREFIX-0, PREFIX-1, …, one after another, as fast
# as it can (arguments: POLL COUNT PREFIX).
VOTING_LOOP = """
import sys
from votr_cli.frontends import settings
from votr_cli.service import polls
db = settings.database(None)
for number in range(int(sys.argv[2])):
    polls.vote(db, sys.argv[1], ["red", "blue"], f"{sys.argv[3]}-{number}")
"""


def test_an_export_taken_while_votes_land_is_one_moment(votr_env, procs):
    """Each export read while two processes vote holds counters and voter counts that
    are exactly what its ballots give. Read statement by statement (READ COMMITTED), the
    counters would include votes whose ballots came after them, or miss some."""
    db = settings.database(None)
    poll = service.create_poll(db, "Moment", ["red", "green", "blue"], kind="multiple")["poll"]
    writers = [subprocess.Popen([sys.executable, "-c", VOTING_LOOP, poll["id"], "400", f"w{n}"],
                                env=procs.env, stderr=subprocess.PIPE, text=True) for n in range(2)]
    seen = set()
    try:
        while any(writer.poll() is None for writer in writers):
            exported = transfer.export_document(db)["polls"][0]
            ballots = len(exported["ballots"])
            counters = [option["vote_count"] for option in exported["options"]]
            assert counters == [ballots, 0, ballots] and exported["voter_count"] == ballots
            seen.add(ballots)
    finally:
        errors = [writer.communicate(timeout=PATIENCE)[1] for writer in writers]
        db.dispose()
    assert errors == ["", ""] and [writer.returncode for writer in writers] == [0, 0]
    assert len(seen) > 3, seen  # the exports really were taken while votes landed
