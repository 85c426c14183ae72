"""The README's two commands are the ones users and CI actually run."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _shell_blocks(markdown: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", markdown, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command():
    readme_blocks = _shell_blocks((REPO / "README.md").read_text())
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    test_command = readme_blocks[1]
    assert "pytest" in test_command or "scripts/test" in test_command
    assert test_command in ci_lines


def test_readme_starts_with_install_and_first_poll():
    first = _shell_blocks((REPO / "README.md").read_text())[0]
    assert "pip install ." in first and "votr create" in first and "votr show" in first
