"""votr as users run it: the installed entry point, in real processes and a real terminal."""

import json
import os
import re
import pty
import subprocess
import sys
import venv
from pathlib import Path

import pytest


EPL = "Which side is going to win the EPL this season"
FASTEST = "who's the fastest footballer"
BEST = "who's the best footballer on the planet"


def test_python_dash_m_behaves_like_votr(votr_proc, votr_env):
    env = {**os.environ, **votr_env}
    for args in (["--version"], ["list", "--json"], ["show", "nothing", "--json"]):
        module = subprocess.run([sys.executable, "-m", "votr_cli", *args], capture_output=True,
                                text=True, env=env)
        script = votr_proc(*args)
        assert (module.returncode, module.stdout, module.stderr) == \
            (script.exit_code, script.stdout, script.stderr), args
    usage = subprocess.run([sys.executable, "-m", "votr_cli", "vote"], capture_output=True, text=True, env=env)
    assert usage.returncode == 2 and "Usage: votr vote" in usage.stderr


def test_the_old_tutorial_through_the_cli(votr_proc):
    """The Votr tutorial's story, told to the installed `votr`."""
    assert votr_proc("create", EPL, "Arsenal", "Spurs").exit_code == 0
    assert votr_proc("create", FASTEST, "Hector bellerin", "Gareth Bale", "Arjen robben").exit_code == 0
    best = votr_proc("create", BEST, "Lionel Messi", "gareth  bale", "Cristiano Ronaldo", "Alexis sanchez",
                     "--json").json()["poll"]
    assert [o["name"] for o in best["options"]][1] == "Gareth Bale"  # linked, first spelling kept

    for voter, option in [("ann", "Arsenal"), ("bob", "arsenal"), ("cy", "Spurs")]:
        assert votr_proc("vote", EPL, option, "--voter", voter).exit_code == 0
    assert votr_proc("vote", FASTEST, "Gareth Bale", "--voter", "ann").exit_code == 0
    assert votr_proc("vote", BEST, "Lionel Messi", "--voter", "ann").exit_code == 0

    wildcard = votr_proc("vote", "%", "Arsenal", "--voter", "dee", "--json")
    assert (wildcard.exit_code, wildcard.error()) == (3, "no poll with id or title '%'")
    twice = votr_proc("vote", EPL, "Spurs", "--voter", "ANN")
    assert twice.exit_code == 4 and "multiple votes are not allowed" in twice.stderr
    assert votr_proc("close", FASTEST).exit_code == 0
    closed = votr_proc("vote", FASTEST, "Arjen robben", "--voter", "bob", "--json")
    assert (closed.exit_code, closed.error()) == (4, f"poll {FASTEST!r} is closed")

    polls = votr_proc("list", "--json").json()["Polls"]
    assert set(polls[0]) == {"id", "title", "status", "options", "close_date", "total_vote_count",
                             "kind", "method", "min_choices", "max_choices", "voter_count", "winners",
                             "allow_change", "results", "secret", "quorum", "quorum_reached", "results_hidden",
                             "invite_only"}
    assert [(p["title"], p["status"], p["total_vote_count"]) for p in polls] == [
        (EPL, True, 3), (FASTEST, False, 1), (BEST, True, 1)]
    assert polls[0]["options"] == [{"name": "Arsenal", "vote_count": 2}, {"name": "Spurs", "vote_count": 1}]
    assert polls[1]["options"][1] == {"name": "Gareth Bale", "vote_count": 1}
    assert polls[2]["options"][1] == {"name": "Gareth Bale", "vote_count": 0}


REPO = Path(__file__).resolve().parents[2]


def _run_in_terminal(args, env, columns=100) -> str:
    """Run the installed votr with its stdout on a pseudo-terminal; return what it drew."""
    controller, terminal = pty.openpty()
    full_env = {**os.environ, **env, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color"}
    full_env.pop("NO_COLOR", None)
    full_env.update({k: v for k, v in env.items()})
    process = subprocess.Popen([str(Path(sys.executable).parent / "votr"), *args], stdout=terminal, stderr=subprocess.PIPE,
                               env=full_env)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait(timeout=60) == 0, process.stderr.read()
    return b"".join(chunks).decode("utf-8", "replace")


def test_show_on_a_terminal_draws_bars_percentages_and_the_leader(votr_proc, votr_env):
    votr_proc("create", "[bold]Editors[/]", "vim", "emacs", "nano")
    for voter, option in [("a", "vim"), ("b", "vim"), ("c", "vim"), ("d", "emacs")]:
        votr_proc("vote", "[bold]Editors[/]", option, "--voter", voter)
    screen = _run_in_terminal(["show", "[bold]Editors[/]"], votr_env)
    assert "\x1b[" in screen  # colour: this is the rich form
    assert "[bold]Editors[/]" in screen  # user text is shown literally, not as markup
    assert "75.0%" in screen and "25.0%" in screen and "0.0%" in screen
    assert "★ leader" in screen
    assert "━" in screen  # the bar
    # NO_COLOR takes the colour away, not the table (tests/terminal/test_human_output.py).
    uncoloured = _run_in_terminal(["show", "[bold]Editors[/]"], {**votr_env, "NO_COLOR": "1"})
    assert "┏" in uncoloured and "75.0%" in uncoloured and "★ leader" in uncoloured
    assert not re.search(r"\x1b\[[0-9;]*3[0-8][;m]", uncoloured)


def test_list_on_a_terminal_is_a_table(votr_proc, votr_env):
    votr_proc("create", "Lunch?", "pizza", "sushi")
    screen = _run_in_terminal(["list"], votr_env)
    assert "Lunch?" in screen and "open" in screen and "┃" in screen


@pytest.fixture(scope="session")
def installed_votr(tmp_path_factory) -> Path:
    """votr installed the way a user installs it: `pip install .`, not editable, fresh venv."""
    target = tmp_path_factory.mktemp("venv")
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           f"{REPO}[postgresql,mysql]"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return target / "bin" / "votr"


@pytest.mark.slow
def test_installed_votr_migrates_from_any_folder(installed_votr, database_url, tmp_path):
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    env = {**os.environ, "VOTR_HOME": str(tmp_path / "home"), "VOTR_DATABASE_URL": database_url}

    def run(*args):
        done = subprocess.run([str(installed_votr), *args], capture_output=True, text=True, env=env,
                              cwd=elsewhere, timeout=120)
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    assert "version" in run("--version")
    run("db-upgrade")
    current = json.loads(run("db-current", "--json"))
    assert current["up_to_date"] is True
    history = json.loads(run("db-history", "--json"))
    assert [r["revision"] for r in history["revisions"]][-1] == current["head"]
    run("create", "Installed", "yes", "no")
    run("db-downgrade", "base")
    assert json.loads(run("db-current", "--json"))["current"] == []
    run("db-upgrade")
    assert json.loads(run("list", "--json")) == {"Polls": []}
    assert not list(elsewhere.iterdir()), "nothing is written to the working folder"


@pytest.mark.slow
def test_installed_votr_ships_the_voting_pages(installed_votr):
    """`votr serve`'s templates, stylesheet and script are package data: every file of
    the source tree's templates/ and static/ is in the installed package."""
    source = REPO / "votr_cli" / "frontends"
    wanted = sorted(str(path.relative_to(source)) for folder in ("templates", "static")
                    for path in (source / folder).iterdir())
    assert "templates/ballot.html" in wanted and "static/votr.css" in wanted
    listing = subprocess.run(
        [str(installed_votr.parent / "python"), "-c",
         "import importlib.resources as r, sys; base = r.files('votr_cli.frontends');"
         "print('\\n'.join(sorted(f'{d}/{p.name}' for d in ('templates', 'static') for p in (base / d).iterdir())));"
         "print(base, file=sys.stderr)"],
        capture_output=True, text=True, timeout=120, cwd=installed_votr.parent)
    assert listing.returncode == 0, listing.stderr
    assert "site-packages" in listing.stderr  # the installed copy, not the source tree
    assert listing.stdout.split() == wanted
