"""The README's two commands are the ones users and CI actually run."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _shell_blocks(markdown: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", markdown, flags=re.S)


def _readme_test_command() -> str:
    return _shell_blocks((REPO / "README.md").read_text())[1]


def _ci_lines() -> list[str]:
    return (REPO / ".ci" / "run").read_text().splitlines()


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _readme_test_command()
    assert "scripts/test" in test_command
    assert test_command in _ci_lines()


def test_ci_runs_it_in_a_fresh_clone_with_nothing_beside_it():
    """Run in the work tree, the command would see what lies around it; CI must not."""
    lines = [line.strip() for line in _ci_lines()]
    command = lines.index(_readme_test_command())
    steps = lines[:command]
    made = next(i for i, line in enumerate(steps) if re.fullmatch(r'workdir="\$\(mktemp -d\)"', line))
    cloned = next(i for i, line in enumerate(steps) if re.match(r'git clone .*"\$checkout" "\$workdir/votr"$', line))
    entered = steps.index('cd "$workdir/votr"')
    assert made < cloned < entered
    assert not any(line.startswith("cd ") for line in steps[entered + 1:])


def test_ci_fails_when_any_backend_fails():
    """Its exit status is the test command's, whichever backend failed (pytest's 5 included)."""
    lines = [line.strip() for line in _ci_lines()]
    command = lines.index(_readme_test_command())
    assert lines[command + 1] == "status=$?"
    assert lines[-1] == 'exit "$status"'
    assert "unset VOTR_TEST_BACKENDS" in " ".join(lines[:command])


@pytest.mark.parametrize(("backends", "pytest_args"), [
    ("sqlite", ["-k", "no_test_has_this_name"]),  # pytest's exit 5: nothing was collected
    ("no-such-backend sqlite", []),  # a failing backend first, then one that passes
], ids=["nothing-collected", "first-backend-fails"])
def test_the_test_command_fails_when_a_backend_does(backends, pytest_args):
    env = {**os.environ, "VOTR_TEST_BACKENDS": backends,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTEST_ADDOPTS", None)
    run = subprocess.run([str(REPO / "scripts" / "test"), "tests/unit/test_when.py", "-q", "-p", "no:cacheprovider",
                          *pytest_args], cwd=REPO, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert run.returncode != 0, run.stdout + run.stderr


def test_readme_starts_with_install_and_first_poll():
    first = _shell_blocks((REPO / "README.md").read_text())[0]
    assert "pip install ." in first and "votr create" in first and "votr show" in first
