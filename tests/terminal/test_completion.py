"""`votr completion bash|zsh|fish`: the scripts, their errors, and bash itself using one.

What the candidates are (read from the database) is tested on every backend in
tests/e2e/test_completion_db.py; here, what the shells get: the scripts click's
completion protocol needs, and real bash inserting a title with spaces and quotes as
one word, in a pseudo-terminal.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pexpect
import pytest

from tests.conftest import votr_executable

SCRIPT_MARKS = {
    "bash": ["_votr_completion()", "_VOTR_COMPLETE=bash_complete", "complete -o nosort -F _votr_completion votr"],
    "zsh": ["#compdef votr", "_votr_completion()", "_VOTR_COMPLETE=zsh_complete", "compdef _votr_completion votr"],
    "fish": ["function _votr_completion", "_VOTR_COMPLETE=fish_complete", "complete --no-files --command votr"],
}


@pytest.mark.parametrize("shell", sorted(SCRIPT_MARKS))
def test_the_script_is_the_one_the_completion_variable_gives(shell, votr_proc):
    printed = votr_proc("completion", shell)
    assert (printed.exit_code, printed.stderr) == (0, "")
    for mark in SCRIPT_MARKS[shell]:
        assert mark in printed.stdout
    # The same script that `_VOTR_COMPLETE=<shell>_source votr` prints: what the shell's
    # function calls back is what `votr completion` documents.
    sourced = votr_proc(env={"_VOTR_COMPLETE": f"{shell}_source"})
    assert sourced.exit_code == 0
    assert printed.stdout.rstrip("\n") == sourced.stdout.rstrip("\n")
    assert votr_proc("completion", shell, "--json").json() == {"shell": shell, "script": sourced.stdout}


@pytest.mark.parametrize("args", [["completion"], ["completion", "tcsh"], ["completion", "BASH"]],
                         ids=["missing", "unknown", "upper-case"])
def test_a_missing_or_unknown_shell_is_a_usage_error_naming_the_three(args, votr_proc):
    outcome = votr_proc(*args)
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert all(shell in outcome.stderr for shell in ("bash", "zsh", "fish"))
    assert "Traceback" not in outcome.stderr


def test_help_says_how_to_install_for_each_shell(votr):
    shown = votr("completion", "--help")
    assert shown.exit_code == 0
    assert "Examples:" in shown.stdout
    for line in ("votr completion bash >", "votr completion zsh >", "votr completion fish > "
                 "~/.config/fish/completions/votr.fish"):
        assert line in shown.stdout


def test_completing_a_command_name_reads_no_database(votr_proc, votr_env, tmp_path):
    fresh = tmp_path / "fresh"
    outcome = votr_proc(env={"_VOTR_COMPLETE": "bash_complete", "COMP_WORDS": "votr comp", "COMP_CWORD": "1",
                             "VOTR_HOME": str(fresh), "VOTR_DATABASE_URL": ""})
    assert (outcome.exit_code, outcome.stdout.split(), outcome.stderr) == (0, ["plain,completion"], "")
    assert not fresh.exists()


TITLES = ("Best editor", 'Say "hi" now', "It's $HOME \\ here")


@pytest.fixture
def bash_env(votr, votr_env, tmp_path) -> dict:
    """A bash with votr's completion and polls whose titles have spaces, quotes, $ and \\."""
    if shutil.which("bash") is None:
        pytest.fail("bash is not installed")
    for title in TITLES:
        assert votr("create", title, "a", "b").exit_code == 0
    folder = os.path.dirname(votr_executable())
    return {**os.environ, **votr_env, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(tmp_path), "INPUTRC": os.devnull, "TERM": "dumb", "PS1": "votr-test$ "}


def test_bash_function_gives_one_word_per_title(bash_env):
    # The script's function called as bash calls it on Tab: COMPREPLY holds each title
    # escaped as one word, or as it is inside a word that opened a quote.
    probe = """
source <(votr completion bash)
for word in "$@"; do
    COMP_WORDS=(votr show "$word"); COMP_CWORD=2; COMPREPLY=()
    _votr_completion votr
    printf '%s\\n' "${COMPREPLY[@]}"
done
"""
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", probe, "probe", "B", "Say", '"Say', "It"],
                          env=bash_env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["Best\\ editor", 'Say\\ \\"hi\\"\\ now', 'Say \\"hi\\" now',
                                        "It\\'s\\ \\$HOME\\ \\\\\\ here"]


@pytest.mark.parametrize("typed", ["votr show B", 'votr show "S', "votr show 'I", "votr show I", 'votr show "I'])
def test_tab_in_bash_inserts_the_title_as_one_argument(typed, bash_env):
    child = pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], env=bash_env, encoding="utf-8", timeout=60)
    try:
        child.expect_exact("votr-test$ ")
        child.sendline("source <(votr completion bash); args() { printf '<%s>' \"$@\"; echo; }")
        child.expect_exact("votr-test$ ")
        # Tab, then to the start of the line (Ctrl-A) to run the completed line through
        # `args`, which prints each argument the shell parsed between < and >.
        child.send(typed + "\t\x01args \r")
        child.expect(r"(<votr>[^\r\n]*)\r\n")
        words = child.match.group(1)
    finally:
        child.close(force=True)
    title = next(title for title in TITLES if title.startswith(typed.split()[-1].strip("'\"")))
    assert words == f"<votr><show><{title}>"
