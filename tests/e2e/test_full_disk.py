"""A disk that fills up: the command says the disk is full (exit 5), and nothing is lost
or half-written.

The disk is a real one: a small tmpfs mounted for the test (the suite runs as root; where
mounting is not permitted these tests are skipped). SQLite files only, whatever the
backend: they run in the SQLite pass only (a server's full disk is the server's to report).
"""

from __future__ import annotations

import errno
import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.backends("sqlite")

DISK_FULL = "is full"


@pytest.fixture
def small_disk(tmp_path) -> Path:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill the disk with one file, leaving about `leave` bytes free."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as file:
        try:
            while True:
                file.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    if leave:
        with filler.open("r+b") as file:
            file.truncate(filler.stat().st_size - leave)
    return filler


@pytest.fixture
def full_disk_db(votr_proc, small_disk) -> Path:
    path = small_disk / "votr.db"
    assert votr_proc("--db", str(path), "create", "Lunch", "pizza", "sushi").exit_code == 0
    assert votr_proc("--db", str(path), "vote", "Lunch", "pizza", "--voter", "ann").exit_code == 0
    return path


def assert_disk_full(outcome) -> None:
    assert outcome.exit_code == 5, outcome
    assert outcome.stderr.startswith("Error: ") and outcome.stderr.count("\n") == 1, outcome.stderr
    assert DISK_FULL in outcome.stderr and "corrupt" not in outcome.stderr, outcome.stderr
    assert "savepoint" not in outcome.stderr and "Traceback" not in outcome.stderr


def counts(votr_proc, path: Path) -> list:
    listed = votr_proc("--db", str(path), "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    return [(poll["title"], poll["options"]) for poll in listed.json()["Polls"]]


def test_every_write_on_a_full_disk_says_the_disk_is_full(votr_proc, full_disk_db, tmp_path):
    before = counts(votr_proc, full_disk_db)
    export = tmp_path / "export.json"
    document = votr_proc("--db", str(tmp_path / "other.db"), "create", "Tea", "green", "black")
    assert document.exit_code == 0
    assert votr_proc("--db", str(tmp_path / "other.db"), "export", str(export)).exit_code == 0
    batch = tmp_path / "votes.jsonl"
    batch.write_text("".join(json.dumps({"poll": "Lunch", "option": "sushi", "voter": f"v{i}"}) + "\n"
                             for i in range(20)))
    filler = fill(full_disk_db.parent)
    db = ["--db", str(full_disk_db)]
    for command in (["vote", "Lunch", "sushi", "--voter", "bob"], ["create", "Dinner", "soup", "salad"],
                    ["vote", "--batch", str(batch)], ["import", str(export)], ["close", "Lunch"]):
        assert_disk_full(votr_proc(*db, *command))
        as_json = votr_proc(*db, *command, "--json")
        assert as_json.exit_code == 5 and DISK_FULL in as_json.error()
    filler.unlink()
    assert counts(votr_proc, full_disk_db) == before


def test_a_batch_that_fills_the_disk_says_so_and_records_nothing(votr_proc, full_disk_db, tmp_path):
    """SQLite rolls back the whole transaction when the disk fills mid-batch: the batch
    must not then try to roll back to its savepoint, which is gone ("no such savepoint")."""
    before = counts(votr_proc, full_disk_db)
    batch = tmp_path / "votes.jsonl"
    batch.write_text("".join(json.dumps({"poll": "Lunch", "option": "sushi", "voter": f"voter {i}"}) + "\n"
                             for i in range(60_000)))
    filler = fill(full_disk_db.parent, leave=800_000)
    assert_disk_full(votr_proc("--db", str(full_disk_db), "vote", "--batch", str(batch)))
    filler.unlink()
    assert counts(votr_proc, full_disk_db) == before


def test_a_backup_that_fills_the_disk_says_so_and_leaves_no_partial_file(votr, votr_proc, full_disk_db):
    for i in range(400):  # a database bigger than the space that will be left
        assert votr("--db", str(full_disk_db), "create", f"Poll {i} " + "x" * 400, "a", "b").exit_code == 0
    before = counts(votr_proc, full_disk_db)
    filler = fill(full_disk_db.parent, leave=96 * 1024)
    outcome = votr_proc("--db", str(full_disk_db), "db-downgrade", "-1")
    assert_disk_full(outcome)
    assert "backup" in outcome.stderr
    assert not list(full_disk_db.parent.glob("*.bak"))
    filler.unlink()
    assert votr_proc("--db", str(full_disk_db), "db-current", "--json").json()["up_to_date"] is True
    assert counts(votr_proc, full_disk_db) == before
