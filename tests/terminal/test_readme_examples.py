"""The README's shell examples are a test: run in order, each exits as the README says.

The votr commands of the first ```sh block (the first job, after its install) and every
```sh block after the second (the test command, which tests/unit/test_readme.py and CI
cover) run in one bash process, in order, in an empty
folder with a fresh VOTR_HOME and the default SQLite database, the installed `votr` first
on PATH. A command is expected to exit 0 unless its line ends with a comment that
starts `# exit N` (`# exit 4: ann has voted`). A block
that needs what a test cannot have (a database server's URL, `votr serve`, an install, a
terminal) says so in an HTML comment right before its fence: `<!-- not run: reason -->`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"

_BLOCK = re.compile(r"(?P<before>[^\n]*)\n```(?P<lang>[a-z]*)\n(?P<body>.*?)\n```", re.S)
_NOT_RUN = re.compile(r"<!--\s*not run:\s*\S.*-->")
_EXPECTED_EXIT = re.compile(r"#\s*exit\s+(\d+)\b[^\n]*$")


@dataclass(frozen=True)
class Example:
    line: int  # where the command starts in README.md
    command: str
    exit_code: int


def shell_blocks(markdown: str) -> list[tuple[int, str, bool]]:
    """Each ```sh block: the README line of its first command, its body, and whether it runs."""
    blocks = []
    for match in _BLOCK.finditer(markdown):
        if match.group("lang") != "sh":
            continue
        first_line = markdown.count("\n", 0, match.start("body")) + 1
        runs = not _NOT_RUN.search(match.group("before"))
        blocks.append((first_line, match.group("body"), runs))
    return blocks


def examples(markdown: str) -> list[Example]:
    """The commands of the blocks that run, in README order: first the votr commands of
    the first block (the first job a new user runs, after its install), then every block
    after the test command."""
    blocks = shell_blocks(markdown)
    if not blocks:
        return []
    first_line, first_job, _ = blocks[0]
    found = [Example(first_line, part, 0) for part in first_job.split(" && ") if part.startswith("votr ")]
    for first_line, body, runs in blocks[2:]:
        if not runs:
            continue
        pending: list[str] = []
        for offset, line in enumerate(body.splitlines()):
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            pending.append(line)
            if line.endswith("\\"):
                continue  # a command continued on the next line
            command = "\n".join(pending)
            expected = _EXPECTED_EXIT.search(command)
            found.append(Example(first_line + offset - len(pending) + 1, command,
                                 int(expected.group(1)) if expected else 0))
            pending = []
    return found


def _script(commands: list[Example], status_file: Path) -> str:
    """One bash script that runs every command and appends `index status` to status_file."""
    lines = ["set -o pipefail"]
    for index, example in enumerate(commands):
        lines.append(f"{example.command}\necho \"{index} $?\" >> '{status_file}'")
    return "\n".join(lines) + "\n"


def test_the_readme_has_runnable_examples():
    runnable = examples(README.read_text(encoding="utf-8"))
    assert len(runnable) >= 20
    assert any(example.exit_code != 0 for example in runnable), "no example shows a failure's exit code"


def test_blocks_that_do_not_run_say_why():
    for first_line, body, runs in shell_blocks(README.read_text(encoding="utf-8")):
        if not runs:
            assert body.strip(), f"README.md:{first_line}: an empty block"


def test_every_readme_example_exits_as_the_readme_says(tmp_path):
    runnable = examples(README.read_text(encoding="utf-8"))
    work = tmp_path / "work"
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOTR_")}
    env.update({
        "VOTR_HOME": str(tmp_path / "home"),
        "VOTR_VOTER": "readme-reader",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "COLUMNS": "100",
    })
    env.pop("NO_COLOR", None)
    status_file = tmp_path / "statuses"
    shell = subprocess.run(["bash", "--noprofile", "--norc", "-c", _script(runnable, status_file)], cwd=work,
                           env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=600)
    output = shell.stdout
    reported = status_file.read_text() if status_file.exists() else ""
    codes = dict(line.split() for line in reported.splitlines())
    wrong = [f"README.md:{example.line}: exit {codes.get(str(index), 'missing')}, "
             f"the README says {example.exit_code}: {example.command}"
             for index, example in enumerate(runnable) if codes.get(str(index)) != str(example.exit_code)]
    assert not wrong, "\n".join(wrong) + "\n--- output ---\n" + output[-6000:]


@pytest.mark.parametrize(("markdown", "expected"), [
    ("a\n```sh\nx\n```\nb\n```sh\ny\n```\n\n```sh\nvotr list\nvotr show nope  # exit 3\n```\n",
     [Example(11, "votr list", 0), Example(12, "votr show nope  # exit 3", 3)]),
    ("\n```sh\nx\n```\n```sh\ny\n```\n<!-- not run: needs a server -->\n```sh\nvotr serve\n```\n", []),
    ("\n```sh\nx\n```\n```sh\ny\n```\n```sh\n# a comment\n\nvotr create T \\\n  a b\n```\n",
     [Example(11, "votr create T \\\n  a b", 0)]),
], ids=["exit-codes", "not-run", "continued-line"])
def test_examples_are_read_as_documented(markdown, expected):
    assert examples(markdown) == expected
