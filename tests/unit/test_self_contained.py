"""A fresh clone with nothing beside it is the whole project: no tracked file may point
at a path outside the repository (a sibling folder, a parent folder, this machine's
own folders). Tests that read such a path pass on one machine and fail everywhere else."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Built from pieces, so that this file does not match itself.
PARENT = re.escape("." + "./")
OUTSIDE = re.compile("|".join([
    PARENT,                                   # any path climbing out of where it is
    "shared" + r"/(legacy|CONTRACT)",         # the folder that once sat beside the repository
    re.escape("/" + "work/"),                 # the machine the project was written on
]))


def tracked_files() -> list[Path]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    return [REPO / name for name in listing.stdout.decode().split("\0") if name]


def test_the_checkout_is_a_git_repository_with_files():
    assert len(tracked_files()) > 20


def test_no_tracked_file_refers_to_a_path_outside_the_repository():
    found = []
    for path in tracked_files():
        if not path.is_file():
            continue  # deleted in the work tree, not yet in the index
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not found, "paths outside the repository:\n" + "\n".join(found)
