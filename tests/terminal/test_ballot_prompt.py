"""`votr vote POLL` with no option: the interactive ballot, in a real pseudo-terminal.

votr runs as the installed entry point in a pty (pexpect); the keys are the bytes a
terminal sends. What was recorded is read back with `votr show --json` or `votr export`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pexpect
import pytest

from tests.conftest import votr_executable

DOWN, UP, RIGHT, LEFT = "\x1b[B", "\x1b[A", "\x1b[C", "\x1b[D"
ALT_UP, CTRL_DOWN = "\x1b\x1b[A", "\x1b[1;5B"
ENTER, SPACE, ESC, CTRL_C, CTRL_D = "\r", " ", "\x1b", "\x03", "\x04"
TIMEOUT = 30  # seconds; generous: the machine is shared


@pytest.fixture
def terminal(votr_env):
    """Start votr in a pseudo-terminal of 24 rows and 80 columns: `terminal("vote", "Lunch")`."""
    children = []

    def spawn(*args: str, command: str | None = None) -> pexpect.spawn:
        env = {**os.environ, **votr_env, "TERM": "xterm-256color"}
        env.pop("NO_COLOR", None)
        if command is None:
            child = pexpect.spawn(votr_executable(), list(args), env=env, dimensions=(24, 80),
                                  encoding="utf-8", timeout=TIMEOUT)
        else:  # a shell line, to pipe votr's stdout while its stdin is the terminal
            child = pexpect.spawn("bash", ["-c", command], env=env, dimensions=(24, 80),
                                  encoding="utf-8", timeout=TIMEOUT)
        children.append(child)
        return child

    yield spawn
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def finish(child: pexpect.spawn) -> tuple[int, str]:
    """Wait for the end; the exit code and everything written after the last expect."""
    child.expect(pexpect.EOF)
    rest = child.before
    child.close()
    return child.exitstatus, rest


def counts(votr, poll: str) -> dict[str, int]:
    outcome = votr("show", poll, "--json")
    assert outcome.exit_code == 0, outcome.stderr
    poll_object = outcome.json()["Polls"][0]
    return {option["name"]: option["vote_count"] for option in poll_object["options"]} | {
        "voters": poll_object["voter_count"]}


def ballots(votr, title: str) -> list[dict]:
    """The poll's ballots as the export has them, option ids turned into names."""
    document = votr("export").json()
    names = {option["id"]: option["name"] for option in document["options"]}
    (poll,) = [poll for poll in document["polls"] if poll["title"] == title]
    found = []
    for ballot in poll["ballots"]:
        if "options" in ballot:
            found.append({"voter": ballot["voter"], "options": [names[option] for option in ballot["options"]]})
        elif "scores" in ballot:
            found.append({"voter": ballot["voter"], "scores": {names[o]: s for o, s in ballot["scores"].items()}})
        else:
            found.append({"voter": ballot["voter"], "option": names[ballot["option"]]})
    return found


def test_single_arrows_and_enter(votr, terminal):
    assert votr("create", "Lunch", "pizza", "sushi", "tacos").exit_code == 0
    child = terminal("vote", "Lunch", "--voter", "Ann")
    child.expect("Lunch")
    child.expect("Choose one option")
    child.expect("Enter vote, Esc/Ctrl-C cancel")
    child.send(DOWN + DOWN + UP + ENTER)
    code, rest = finish(child)
    assert code == 0
    assert "Thank you for voting" in rest
    assert ballots(votr, "Lunch") == [{"voter": "ann", "option": "sushi"}]


def test_alt_arrows_move_and_do_not_cancel(votr, terminal):
    # Alt+↓ is Esc then ↓: unbound, its Esc would cancel the ballot.
    votr("create", "Lunch", "pizza", "sushi", "tacos")
    child = terminal("vote", "Lunch")
    child.expect("Enter vote")
    child.send("\x1b" + DOWN + "\x1b" + DOWN + ALT_UP + ENTER)
    code, _ = finish(child)
    assert code == 0
    assert counts(votr, "Lunch") == {"pizza": 0, "sushi": 1, "tacos": 0, "voters": 1}


def test_single_typing_a_number(votr, terminal):
    votr("create", "Lunch", "pizza", "sushi", "tacos")
    child = terminal("vote", "Lunch")
    child.expect("Enter vote")
    child.send("3" + ENTER)
    code, _ = finish(child)
    assert code == 0
    assert counts(votr, "Lunch") == {"pizza": 0, "sushi": 0, "tacos": 1, "voters": 1}


def test_multiple_bounds_refused_in_the_prompt_then_fixed(votr, terminal):
    votr("create", "Team lunch", "pizza", "sushi", "tacos", "--kind", "multiple", "--min", "2", "--max", "2")
    child = terminal("vote", "Team lunch")
    child.expect("Choose exactly 2 options")
    child.expect("space select")
    child.send(SPACE + ENTER)
    child.expect("choose at least 2")
    child.send(DOWN + SPACE + DOWN + SPACE + ENTER)
    child.expect("choose at most 2")
    child.send(UP + SPACE + ENTER)  # sushi out: pizza and tacos
    code, rest = finish(child)
    assert code == 0
    assert "Thank you for voting" in rest
    assert ballots(votr, "Team lunch") == [{"voter": "tester", "options": ["pizza", "tacos"]}]


def test_ranked_pick_in_order_and_move(votr, terminal):
    votr("create", "State capital", "Memphis", "Nashville", "Chattanooga", "Knoxville", "--kind", "ranked",
         "--min", "3")
    child = terminal("vote", "State capital")
    child.expect("Rank 3 to 4 options, most preferred first")
    child.expect("space rank, k/j")
    # Knoxville first (up from the top wraps round to the last row), then Chattanooga:
    # the highlight keeps its row, where Chattanooga is once Knoxville has moved up.
    child.send(UP + SPACE + SPACE + ENTER)
    child.expect("rank at least 3")
    child.send(UP + SPACE)  # Memphis, third: Knoxville, Chattanooga, Memphis
    child.send(ALT_UP)  # Memphis above Chattanooga
    child.send(UP + "k")  # the highlight is on Knoxville, at the top: k does nothing
    child.send(CTRL_DOWN)  # Knoxville below Memphis: Memphis, Knoxville, Chattanooga
    child.send(ENTER)
    code, rest = finish(child)
    assert code == 0
    assert "Thank you for voting" in rest
    assert ballots(votr, "State capital") == [
        {"voter": "tester", "options": ["Memphis", "Knoxville", "Chattanooga"]}]


def test_score_arrows_and_digits(votr, terminal):
    votr("create", "Logo", "red", "blue", "green", "--kind", "score")
    child = terminal("vote", "Logo")
    child.expect("Score each option from 0 to 5")
    child.expect("0-5 score")
    child.send(RIGHT + RIGHT + RIGHT + LEFT + DOWN + "5" + DOWN + "9")
    child.expect("a score is from 0 to 5")
    child.send(ENTER)
    code, _ = finish(child)
    assert code == 0
    assert ballots(votr, "Logo") == [{"voter": "tester", "scores": {"red": 2, "blue": 5, "green": 0}}]


@pytest.mark.parametrize("key", [CTRL_C, ESC, CTRL_D], ids=["ctrl-c", "esc", "ctrl-d"])
def test_cancel_records_nothing(votr, terminal, key):
    votr("create", "Team lunch", "pizza", "sushi", "--kind", "multiple")
    child = terminal("vote", "Team lunch")
    child.expect("Enter vote")
    child.send(SPACE + DOWN + SPACE)
    child.expect("2 chosen")
    child.send(key)
    code, rest = finish(child)
    assert code == 130
    assert "Thank you" not in rest
    assert "Traceback" not in rest
    assert counts(votr, "Team lunch") == {"pizza": 0, "sushi": 0, "voters": 0}


def test_closed_poll_is_refused_before_the_prompt(votr, terminal):
    votr("create", "Lunch", "pizza", "sushi")
    votr("close", "Lunch")
    child = terminal("vote", "Lunch")
    code, rest = finish(child)
    assert code == 4
    assert "Error: poll 'Lunch' is closed" in rest
    assert "Enter vote" not in rest


def test_second_vote_is_refused_before_the_prompt(votr, terminal):
    votr("create", "Lunch", "pizza", "sushi")
    assert votr("vote", "Lunch", "pizza").exit_code == 0
    child = terminal("vote", "Lunch", "--voter", "TESTER")
    code, rest = finish(child)
    assert code == 4
    assert "already voted" in rest
    assert "Enter vote" not in rest


def test_a_poll_that_allows_changes_takes_a_new_ballot(votr, terminal):
    votr("create", "Lunch", "pizza", "sushi", "--allow-change")
    votr("vote", "Lunch", "pizza")
    child = terminal("vote", "Lunch")
    child.expect("Enter vote")
    child.send(DOWN + ENTER)
    code, rest = finish(child)
    assert code == 0
    assert "Your vote was changed" in rest
    assert counts(votr, "Lunch") == {"pizza": 0, "sushi": 1, "voters": 1}


@pytest.mark.parametrize("args, code, message", [
    (("vote", "Nothing"), 3, "no poll with id or title 'Nothing'"),
    (("vote", "Lunch", "--voter", " "), 1, "value for voter is empty"),
])
def test_other_refusals_come_before_the_prompt(votr, terminal, args, code, message):
    votr("create", "Lunch", "pizza", "sushi")
    child = terminal(*args)
    exit_code, rest = finish(child)
    assert (exit_code, message in rest, "Enter vote" in rest) == (code, True, False)


def test_user_text_is_shown_literally(votr, terminal):
    votr("create", "[bold]Lunch", "[red]pizza", ":thumbs_up:")
    child = terminal("vote", "[bold]Lunch")
    child.expect_exact("[bold]Lunch")
    child.expect_exact("[red]pizza")
    child.expect_exact(":thumbs_up:")
    child.send(ENTER)
    code, _ = finish(child)
    assert code == 0
    assert counts(votr, "[bold]Lunch")["[red]pizza"] == 1


def test_json_result_goes_to_stdout_after_the_prompt(votr, terminal):
    votr("create", "Lunch", "pizza", "sushi")
    child = terminal("vote", "Lunch", "--json")
    child.expect("Enter vote")
    child.send(DOWN + ENTER)
    child.expect_exact('{"message": ')
    code, rest = finish(child)
    assert code == 0
    document = json.loads('{"message": ' + rest.strip().splitlines()[0])
    assert document["message"] == "Thank you for voting"
    assert [option["vote_count"] for option in document["poll"]["options"]] == [0, 1]


def test_piped_stdin_is_a_usage_error(votr, votr_proc):
    votr("create", "Lunch", "pizza", "sushi")
    outcome = votr_proc("vote", "Lunch", input="")
    assert outcome.exit_code == 2
    assert "name the options, or run votr vote POLL in a terminal" in outcome.stderr
    assert counts(votr, "Lunch")["voters"] == 0


def test_piped_stdout_is_a_usage_error(votr, terminal):
    votr("create", "Lunch", "pizza", "sushi")
    command = f"set -o pipefail; {shlex.quote(votr_executable())} vote Lunch | cat"
    child = terminal(command=command)
    code, rest = finish(child)
    assert code == 2
    assert "in a terminal" in rest
    assert "Enter vote" not in rest


def test_a_dumb_terminal_is_a_usage_error(votr, terminal):
    votr("create", "Lunch", "pizza", "sushi")
    command = f"TERM=dumb {shlex.quote(votr_executable())} vote Lunch"
    child = terminal(command=command)
    code, rest = finish(child)
    assert code == 2
    assert "TERM=dumb" in rest
    assert "\x1b" not in rest
    assert counts(votr, "Lunch")["voters"] == 0


def test_more_options_than_rows_scroll(votr, terminal):
    names = [f"option {number}" for number in range(1, 41)]
    votr("create", "Many", *names)
    child = terminal("vote", "Many")
    child.expect("Enter vote")
    child.send("3" + "5")  # row 35, below the 24 rows of the terminal
    child.expect_exact("option 35")
    child.send(DOWN + ENTER)
    code, _ = finish(child)
    assert code == 0
    assert counts(votr, "Many")["option 36"] == 1


def test_vote_help_does_not_import_prompt_toolkit(votr_env):
    code = ("import sys\n"
            "from votr_cli.frontends.cli import main\n"
            "try:\n"
            "    main(['vote', '--help'])\n"
            "except SystemExit:\n"
            "    pass\n"
            "assert 'prompt_toolkit' not in sys.modules\n"
            "assert 'votr_cli.frontends.ballot_prompt' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **votr_env}, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert 'votr vote "Team lunch"' in done.stdout
