"""SQLite's writers in one process (votr serve's worker threads) wait in line; one that
waits longer than the busy timeout is refused as busy, as SQLite would refuse it, and
those that waited together share a transaction and its commit (db/group_commit.py)."""

from __future__ import annotations

import threading

import pytest

from votr_cli.core.errors import DatabaseBusy, DatabaseProblem, InvalidInput, Refused
from votr_cli.db.database import Database
from votr_cli.service import polls as service


# The writer lock is SQLite's; these tests make their own SQLite database.
pytestmark = pytest.mark.backends("sqlite")


def test_a_write_kept_waiting_by_another_thread_past_the_busy_timeout_is_refused_then_goes_through(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'votr.db'}", busy_timeout=0.2)
    service.create_poll(db, "Lunch", ["Pizza", "Sushi"], None)
    inside, release = threading.Event(), threading.Event()

    def hold(_conn):
        inside.set()
        release.wait(60)

    holder = threading.Thread(target=db.write, args=(hold,))
    holder.start()
    assert inside.wait(60)
    try:
        with pytest.raises(DatabaseBusy, match="busy.*VOTR_BUSY_TIMEOUT"):
            service.vote(db, "Lunch", "Pizza", "ann")
    finally:
        release.set()
        holder.join(60)
    assert service.show_poll(db, "Lunch")["voter_count"] == 0
    assert service.vote(db, "Lunch", "Pizza", "ann")["poll"]["voter_count"] == 1
    db.dispose()


def test_threads_voting_at_once_on_one_database_are_all_counted(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'votr.db'}", busy_timeout=60)
    service.create_poll(db, "Lunch", ["Pizza", "Sushi"], None)
    failures = []

    def voter(n):
        try:
            for i in range(25):
                service.vote(db, "Lunch", ("Pizza", "Sushi")[i % 2], f"voter {n}-{i}")
        except Exception as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=voter, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    poll = service.show_poll(db, "Lunch")
    assert poll["voter_count"] == 200 and [o["vote_count"] for o in poll["options"]] == [104, 96]
    db.dispose()


# -- group commit: the writes that waited share a transaction (db/group_commit.py) ------


class Line:
    """A write holding the writer, and calls made from other threads while it holds it,
    each sent once the one before is in line: their writes wait, then run as one group
    (led by the first of them) once the holder lets go."""

    def __init__(self, db: Database):
        self.db = db
        self.inside, self.release = threading.Event(), threading.Event()
        self.threads: list[threading.Thread] = []
        self.outcomes: dict[str, object] = {}
        self._start("holder", lambda: db.write(self._hold))
        assert self.inside.wait(60)

    def _hold(self, _conn):
        self.inside.set()
        self.release.wait(60)

    def _start(self, name: str, call) -> None:
        def run():
            try:
                self.outcomes[name] = call()
            except Exception as exc:  # looked at by the test
                self.outcomes[name] = exc

        thread = threading.Thread(target=run)
        self.threads.append(thread)
        thread.start()

    def send(self, name: str, call) -> None:
        waiting = self.db.writes_waiting
        self._start(name, call)
        while self.db.writes_waiting == waiting:
            threading.Event().wait(0.001)

    def finish(self) -> dict[str, object]:
        self.release.set()
        for thread in self.threads:
            thread.join(60)
        return self.outcomes


@pytest.fixture
def line_db(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'votr.db'}", busy_timeout=60)
    service.create_poll(db, "Lunch", ["Pizza", "Sushi"], None)
    yield db
    db.dispose()


def insert_option(name: str, ran_on: dict | None = None, then_raise: Exception | None = None):
    """A write adding an option row named `name`, which records the thread it ran on."""
    def work(conn):
        if ran_on is not None:
            ran_on[name] = threading.get_ident()
        conn.exec_driver_sql("INSERT INTO options (public_id, name, name_key, date_created) "
                             "VALUES (?, ?, ?, '2026-01-01 00:00:00')", (f"id-{name}", name, f"key-{name}"))
        if then_raise is not None:
            raise then_raise
        return name
    return work


def option_names(db: Database) -> list[str]:
    with db.reading() as conn:
        return [name for (name,) in conn.exec_driver_sql("SELECT name FROM options ORDER BY id")]


def test_writes_that_waited_run_in_one_transaction_on_one_thread_in_their_order(line_db):
    line, ran_on = Line(line_db), {}
    for name in ("a", "b", "c", "d"):
        line.send(name, lambda name=name: line_db.write(insert_option(name, ran_on)))
    outcomes = line.finish()
    assert [outcomes[name] for name in "abcd"] == ["a", "b", "c", "d"]
    assert len(set(ran_on.values())) == 1  # the group's leader ran them all
    assert option_names(line_db)[-4:] == ["a", "b", "c", "d"]


def test_a_write_that_fails_in_a_group_is_undone_alone(line_db):
    line = Line(line_db)
    line.send("a", lambda: line_db.write(insert_option("a")))
    line.send("b", lambda: line_db.write(insert_option("b", then_raise=InvalidInput("b refused"))))
    line.send("c", lambda: line_db.write(insert_option("c")))
    outcomes = line.finish()
    assert outcomes["a"] == "a" and outcomes["c"] == "c"
    assert isinstance(outcomes["b"], InvalidInput) and outcomes["b"].message == "b refused"
    names = option_names(line_db)
    assert "a" in names and "c" in names and "b" not in names


def test_a_group_whose_commit_fails_keeps_none_of_its_writes(line_db):
    def breaks_a_deferred_foreign_key(conn):
        # Checked only at COMMIT: the group's one commit fails, for every write in it.
        conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        conn.exec_driver_sql("INSERT INTO polls (topic_id, option_id, position, vote_count) VALUES (999, 999, 0, 0)")
        return "broken"

    line = Line(line_db)
    line.send("a", lambda: line_db.write(insert_option("a")))
    line.send("b", lambda: line_db.write(breaks_a_deferred_foreign_key))
    line.send("c", lambda: line_db.write(insert_option("c")))
    outcomes = line.finish()
    assert all(isinstance(outcomes[name], DatabaseProblem) for name in "abc"), outcomes
    assert not {"a", "c"} & set(option_names(line_db))
    assert service.vote(line_db, "Lunch", "Pizza", "ann")["poll"]["voter_count"] == 1  # the writer is free


def test_votes_in_one_group_are_counted_one_after_another(line_db):
    line = Line(line_db)
    for name, voter in (("first", "ann"), ("second", "bob"), ("again", "ann"), ("third", "cy")):
        line.send(name, lambda voter=voter: service.vote(line_db, "Lunch", "Pizza", voter))
    outcomes = line.finish()
    assert [outcomes[name]["poll"]["voter_count"] for name in ("first", "second", "third")] == [1, 2, 3]
    assert isinstance(outcomes["again"], Refused)
    poll = service.show_poll(line_db, "Lunch")
    assert poll["voter_count"] == 3 and [o["vote_count"] for o in poll["options"]] == [3, 0]


def test_a_write_that_gives_up_waiting_is_never_run(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'votr.db'}", busy_timeout=0.3)
    service.create_poll(db, "Lunch", ["Pizza", "Sushi"], None)
    line = Line(db)
    line.send("late", lambda: db.write(insert_option("late")))
    line.threads[-1].join(30)  # it gave up while the holder still held the writer
    outcomes = line.finish()
    assert isinstance(outcomes["late"], DatabaseBusy)
    assert "late" not in option_names(db) and db.writes_waiting == 0
    db.dispose()


def test_a_write_refused_by_the_database_in_a_group_leaves_the_others_to_commit(line_db):
    line = Line(line_db)
    line.send("a", lambda: line_db.write(insert_option("a")))
    line.send("again", lambda: line_db.write(insert_option("a")))  # the same unique key: refused by SQLite
    line.send("c", lambda: line_db.write(insert_option("c")))
    outcomes = line.finish()
    assert outcomes["a"] == "a" and outcomes["c"] == "c"
    assert isinstance(outcomes["again"], DatabaseProblem)
    assert option_names(line_db).count("a") == 1 and "c" in option_names(line_db)
