"""`votr --help` lists every exit code, 70, 74 and 130 included, as the README's table does."""

from __future__ import annotations

import re

from tests.conftest import REPO


def test_help_lists_every_exit_code(votr):
    outcome = votr("--help")
    assert outcome.exit_code == 0
    said = " ".join(outcome.stdout.split())
    for code, meaning in [(0, "done"), (1, "invalid input"), (2, "usage error"), (3, "poll or option not found"),
                          (4, "refused"), (5, "database problem"), (70, "a bug in votr"),
                          (74, "the work was done but its output could not be written"),
                          (130, "interrupted")]:
        assert f"{code} {meaning}" in said, code


def test_the_readme_table_has_the_same_codes():
    readme = (REPO / "README.md").read_text()
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    codes = [int(code) for code in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)]
    assert codes == [0, 1, 2, 3, 4, 5, 70, 74, 130]
