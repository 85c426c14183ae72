"""Backups and exports never follow a planted symlink, never overwrite anything but a
regular file, and are never readable by more people than the database is.
SQLite files of their own, so these run in every backend's pass."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest


@pytest.fixture
def private_db(votr_proc, tmp_path):
    path = tmp_path / "private.db"
    assert votr_proc("--db", str(path), "create", "Lunch", "pizza", "sushi").exit_code == 0
    path.chmod(0o600)
    return path


def test_a_backup_has_the_database_s_mode_and_never_follows_a_symlink(votr_proc, private_db, tmp_path):
    planted = tmp_path / "somebody-else's-file"  # dangling: the backup would create it
    now = dt.datetime.now(dt.timezone.utc)
    for seconds in range(0, 5):  # every name the backup could take in the next seconds
        stamp = (now + dt.timedelta(seconds=seconds)).strftime("%Y%m%dT%H%M%SZ")
        (tmp_path / f"private.db.{stamp}.bak").symlink_to(planted)
    refused = votr_proc("--db", str(private_db), "db-downgrade", "-1")
    assert refused.exit_code == 5 and "cannot create the backup" in refused.stderr, refused
    assert not planted.exists()
    assert votr_proc("--db", str(private_db), "db-current", "--json").json()["up_to_date"] is True
    for link in tmp_path.glob("*.bak"):
        link.unlink()
    done = votr_proc("--db", str(private_db), "db-downgrade", "-1", "--json")
    assert done.exit_code == 0, done.stderr
    backup = done.json()["backup"]
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600


@pytest.mark.parametrize("target", ["symlink", "device", "fifo"])
def test_an_export_refuses_a_symlink_or_a_special_file(votr_proc, private_db, tmp_path, target):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    path = tmp_path / "export.json"
    if target == "symlink":
        path.symlink_to(victim)
    elif target == "fifo":
        os.mkfifo(path)
    else:  # a null device of the test's own: a broken votr would replace it, not /dev/null
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    outcome = votr_proc("--db", str(private_db), "export", str(path))
    assert outcome.exit_code == 1 and "cannot write" in outcome.stderr, outcome
    assert victim.read_text() == "keep me\n"
    assert path.is_symlink() or not path.is_file()


def test_an_export_replaces_a_regular_file_never_wider_than_the_database(votr_proc, private_db, tmp_path):
    path = tmp_path / "export.json"
    path.write_text("old\n")
    path.chmod(0o644)
    outcome = votr_proc("--db", str(private_db), "export", str(path))
    assert outcome.exit_code == 0, outcome.stderr
    assert path.read_text().startswith("{")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the database's, not the old file's


def test_an_export_of_a_readable_database_gets_the_umask_s_mode(votr_proc, private_db, tmp_path):
    private_db.chmod(0o666)
    path = tmp_path / "export.json"
    assert votr_proc("--db", str(private_db), "export", str(path)).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
