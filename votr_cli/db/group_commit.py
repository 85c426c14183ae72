"""Group commit: the SQLite writes of one process that queue for the writer share a commit.

SQLite lets one transaction write at a time, and a commit in WAL mode waits for the disk
(synchronous=FULL: an fsync of the WAL). votr serve's worker threads would each wait
their turn, then each wait for the disk. Here they queue instead, first come first
served; the thread at the head of the queue runs its own write and the writes waiting
behind it (at most GROUP_LIMIT) in one transaction, each inside a savepoint so that a
write that fails is undone alone, and commits once for all of them.

Nothing is reported done before it is on disk: every thread of a group is answered
after its commit, and a commit that fails fails every write of the group. Each write
sees the writes before it in the group as it would in a transaction of its own after
theirs. A thread that is alone (a command, an idle server) runs as it always did: one
write, one transaction, no savepoint.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from votr_cli.db.prepared import run_driver_sql

# Enough to take every worker thread of votr serve, and a bound on what one failed
# commit can fail.
GROUP_LIMIT = 16
_SAVEPOINT = "votr_grouped_write"


class QueueTimeout(Exception):
    """The write waited in the queue past its time-out and was never run."""


class _Write:
    __slots__ = ("work", "taken", "done", "result", "error")

    def __init__(self, work: Callable[[Connection], Any]):
        self.work = work
        self.taken = False  # a group holds it: it runs, so it can no longer give up
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class WriteQueue:
    """The process's writers, in line. `transaction` opens the write transaction a group
    runs in: a context manager giving its Connection, committed when the block ends."""

    def __init__(self, transaction: Callable[[], Any]):
        self._transaction = transaction
        self._changed = threading.Condition()
        self._line: collections.deque[_Write] = collections.deque()

    @property
    def waiting(self) -> int:
        """The writes in line, the running group's included."""
        with self._changed:
            return len(self._line)

    def run(self, work: Callable[[Connection], Any], timeout: float) -> Any:
        """`work`'s result, once its transaction has committed; its exception, or the
        commit's, if either failed. QueueTimeout if no group took it within `timeout`."""
        write = _Write(work)
        with self._changed:
            self._line.append(write)
            group = self._wait_for_turn(write, time.monotonic() + timeout)
        if group:
            self._run_group(group)
        if write.error is not None:
            raise write.error
        return write.result

    def _wait_for_turn(self, write: _Write, deadline: float) -> list[_Write]:
        """Wait (holding the condition) until a group has run `write`, or it heads the
        line: then the group it leads, its own write first."""
        while not write.done:
            if self._line[0] is write:
                group = [self._line[n] for n in range(min(GROUP_LIMIT, len(self._line)))]
                for member in group:
                    member.taken = True
                return group
            left = deadline - time.monotonic()
            if not write.taken and left <= 0:
                self._line.remove(write)
                self._changed.notify_all()
                raise QueueTimeout()
            self._changed.wait(None if write.taken else left)
        return []

    def _run_group(self, group: list[_Write]) -> None:
        try:
            with self._transaction() as conn:
                if len(group) == 1:
                    group[0].result = group[0].work(conn)
                else:
                    for write in group:
                        _run_in_savepoint(conn, write)
        except BaseException as exc:  # the group's transaction failed: none of it is kept
            for write in group:
                if write.error is None:
                    write.error = exc
            if not isinstance(exc, Exception):
                raise
        finally:
            with self._changed:
                for _ in group:
                    self._line.popleft().done = True
                self._changed.notify_all()


def _run_in_savepoint(conn: Connection, write: _Write) -> None:
    """Run one write of a group; if it fails, undo it alone and keep its error. A failure
    to undo it (SQLite itself rolled back the whole transaction) fails the group."""
    run_driver_sql(conn, f"SAVEPOINT {_SAVEPOINT}")
    try:
        write.result = write.work(conn)
    except Exception as exc:
        write.error = exc
        try:
            run_driver_sql(conn, f"ROLLBACK TO {_SAVEPOINT}")
        except Exception:
            raise exc from None  # SQLite ended the whole transaction (a full disk, say): say why
    run_driver_sql(conn, f"RELEASE {_SAVEPOINT}")
