"""SQLite's writers in one process (votr serve's worker threads) queue on a lock, and one
that waits longer than the busy timeout is refused as busy, as SQLite would refuse it."""

from __future__ import annotations

import threading

import pytest

from votr_cli.core.errors import DatabaseBusy
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
