"""`votr --help`, `votr --version` and every `votr COMMAND --help` start without SQLAlchemy
or Alembic: the contract says so, and it is what keeps them as fast as click itself.

Checked the way a user would notice it, in a fresh interpreter with `python -X importtime`,
which lists every module the process imported.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from votr_cli.frontends.cli import main

HEAVY = ("sqlalchemy", "alembic")
README = Path(__file__).resolve().parents[2] / "README.md"


def documented_commands() -> list[str]:
    """The commands of the README's table under "Using votr", an independent list: each
    first cell names one or more commands, as `votr NAME …` or, after a comma, `NAME …`."""
    section = README.read_text().split("## Using votr", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in section.splitlines():
        if row.startswith("| `"):
            first_cell = row.split(" | ")[0]
            names.update(re.findall(r"`(?:votr )?([a-z][a-z-]*)", first_cell))
    return sorted(names)


COMMANDS = documented_commands()
INVOCATIONS = [["--help"], ["--version"]] + [[name, "--help"] for name in COMMANDS]


def imported_modules(args: list[str], env: dict) -> tuple[set[str], subprocess.CompletedProcess]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "votr_cli", *args],
                          capture_output=True, text=True, env=env, timeout=60)
    modules = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":  # the header line
                modules.add(name)
    return modules, done


@pytest.mark.parametrize("args", INVOCATIONS, ids=" ".join)
def test_help_and_version_import_neither_sqlalchemy_nor_alembic(args, votr_env, tmp_path):
    import os

    env = {**os.environ, **votr_env}
    modules, done = imported_modules(args, env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "votr_cli.frontends.cli" in modules  # importtime did report the imports
    heavy = sorted(name for name in modules if name.split(".")[0] in HEAVY)
    assert heavy == [], f"votr {' '.join(args)} imported {heavy[:5]}"
    assert done.stdout.strip()


def test_the_commands_checked_are_exactly_the_documented_ones():
    # The list above comes from the README, not from the CLI: a command added without a
    # row in the table, or a documented one that is gone, fails here.
    assert {"create", "list", "show", "vote", "close", "reopen", "serve"} <= set(COMMANDS)
    assert COMMANDS == sorted(main.commands)
