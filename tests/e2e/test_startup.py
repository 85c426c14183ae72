"""`votr --help`, `votr --version` and every `votr COMMAND --help` start without SQLAlchemy
or Alembic: the contract says so, and it is what keeps them as fast as click itself.

Checked the way a user would notice it, in a fresh interpreter with `python -X importtime`,
which lists every module the process imported.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from votr_cli.frontends.cli import main

HEAVY = ("sqlalchemy", "alembic")
INVOCATIONS = [["--help"], ["--version"]] + [[name, "--help"] for name in sorted(main.commands)]


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


def test_every_command_is_checked():
    # A new command is covered by the parametrisation above without editing this file.
    assert {"create", "list", "show", "vote"} <= set(main.commands)
    assert len(INVOCATIONS) == len(main.commands) + 2
