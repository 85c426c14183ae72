"""Control characters already in the database never reach the terminal.

votr refuses control characters on input, but data written by other tools (an old
database, an import, plain SQL) can hold them. Here rows are inserted with SQL, around
votr, on the selected backend; votr then shows them escaped in plain and rich output
(rich through a real pseudo-terminal) and intact in JSON.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import votr_executable
from votr_cli.db.tables import options, polls, topics
from votr_cli.core.text import key
from votr_cli.core.when import utcnow
from tests.sql import set_revision
from tests.documents import without_tally

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

# Colour, a hyperlink, a bell, a carriage return that would overwrite the line, a C1
# CSI, a bidi override that reverses what follows, a line separator and rich markup.
EVIL_TITLE = "Evil \x1b[31mred\x1b[0m \x1b]8;;https://example.com\x07link\x1b]8;;\x07 \rcarriage \x9b2J \u202eesrever [bold]b[/]"
EVIL_OPTION = "opt\x07bell\u2028\x1b[2Jclear"
CLEAN_OPTION = "plain"

# What may never be written raw: every C0 (except the newline and tab votr's own plain
# format uses between records and fields), DEL, C1, line/paragraph separators, bidi.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def evil_poll(votr, votr_env) -> str:
    """A poll written straight into the database; returns its public id."""
    assert votr("list").exit_code == 0  # votr creates the schema
    public_id = "evil0001"
    now = utcnow()
    engine = sa.create_engine(votr_env["VOTR_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            topic_id = conn.execute(sa.insert(topics).values(
                public_id=public_id, title=EVIL_TITLE, title_key=key(EVIL_TITLE), status=True,
                close_date=None, date_created=now)).inserted_primary_key[0]
            for position, name in enumerate([EVIL_OPTION, CLEAN_OPTION]):
                option_id = conn.execute(sa.insert(options).values(
                    public_id=str(uuid.uuid4()), name=name, name_key=key(name),
                    date_created=now)).inserted_primary_key[0]
                conn.execute(sa.insert(polls).values(topic_id=topic_id, option_id=option_id,
                                                     position=position, vote_count=0))
    finally:
        engine.dispose()
    return public_id


def assert_terminal_safe(text: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"raw U+{ord(found.group()):04X} at {found.start()} in {text!r}"


def test_plain_output_shows_control_characters_escaped(votr, evil_poll):
    for args in (["list"], ["show", evil_poll], ["options"], ["vote", evil_poll, CLEAN_OPTION, "--voter", "ann"]):
        outcome = votr(*args)
        assert outcome.exit_code == 0, outcome
        assert_terminal_safe(outcome.stdout)
        assert_terminal_safe(outcome.stderr)
    shown = votr("show", evil_poll).stdout
    assert "\\x1b[31mred\\x1b[0m" in shown
    assert "\\x0dcarriage" in shown and "\\x9b2J" in shown and "\\u202eesrever" in shown
    assert "[bold]b[/]" in shown  # markup is text
    assert "opt\\x07bell\\u2028\\x1b[2Jclear" in shown


def test_errors_that_name_the_poll_are_escaped_too(votr, evil_poll):
    assert votr("close", evil_poll).exit_code == 0
    for as_json in ([], ["--json"]):
        refused = votr("vote", evil_poll, CLEAN_OPTION, "--voter", "bob", *as_json)
        assert refused.exit_code == 4
        assert_terminal_safe(refused.stderr)


def test_json_keeps_the_text_intact(votr, evil_poll):
    listed = votr("list", "--json")
    assert_terminal_safe(listed.stdout.replace("\n", ""))  # \u escapes in the document
    poll = listed.json()["Polls"][0]
    assert poll["title"] == EVIL_TITLE
    assert [option["name"] for option in poll["options"]] == [EVIL_OPTION, CLEAN_OPTION]
    assert without_tally(votr("show", evil_poll, "--json").json()["Polls"][0]) == poll
    assert EVIL_OPTION in [option["name"] for option in votr("options", "--json").json()]


def run_in_terminal(votr_env: dict, *args: str) -> str:
    """Run the installed votr with a pseudo-terminal as stdin, stdout and stderr."""
    controller, terminal = pty.openpty()
    env = {**os.environ, **votr_env, "TERM": "xterm-256color", "COLUMNS": "250", "LINES": "50"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([votr_executable(), *args], stdin=terminal, stdout=terminal,
                               stderr=terminal, env=env, close_fds=True)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the terminal's other end has closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8")


RICH_STYLE = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("command", [["list"], ["show"], ["options"]])
def test_rich_output_on_a_real_terminal_shows_them_escaped(votr_env, evil_poll, command):
    args = [*command, evil_poll] if command == ["show"] else command
    screen = run_in_terminal(votr_env, *args)
    assert RICH_STYLE.search(screen), "expected rich's styled output on a TTY"
    # The raw sequences never arrive; rich's own styles are the only escapes there are.
    for raw in ("\x1b[31mred", "\x1b]8;;", "\x07", "\x9b", "\u202e", "\u2028", "\x1b[2J", "\rcarriage"):
        assert raw not in screen, repr(raw)
    text = RICH_STYLE.sub("", screen).replace("\r\n", "\n")
    assert "\x1b" not in text
    assert_terminal_safe(text)
    if command == ["options"]:
        assert "opt\\x07bell\\u2028\\x1b[2Jclear" in text
    else:
        assert "\\x1b[31mred\\x1b[0m" in text and "[bold]b[/]" in text


# Public ids that neither `import` nor adoption let in (they must have votr's shape), but
# that SQL written around votr can store: shown escaped and literal all the same.
HOSTILE_IDS = ["\x1b]0;PWN\x07", "[/x]", "[blink]Z", ":thumbs_up:"]


def insert_polls(url: str, public_ids: list[str]) -> list[str]:
    """One poll per public id, written straight into the database; returns their titles."""
    now = utcnow()
    titles = [f"Hostile {number}" for number in range(len(public_ids))]
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            option_ids = [conn.execute(sa.insert(options).values(
                public_id=name, name=name, name_key=key(name), date_created=now)).inserted_primary_key[0]
                for name in ("[red]x[/red]", "[/y]")]
            for public_id, title in zip(public_ids, titles):
                topic_id = conn.execute(sa.insert(topics).values(
                    public_id=public_id, title=title, title_key=key(title), status=True, close_date=None,
                    date_created=now)).inserted_primary_key[0]
                conn.execute(sa.insert(polls), [{"topic_id": topic_id, "option_id": option_id,
                                                 "position": position, "vote_count": 0}
                                                for position, option_id in enumerate(option_ids)])
    finally:
        engine.dispose()
    return titles


@pytest.fixture
def hostile_ids(votr, votr_env) -> list[str]:
    assert votr("list").exit_code == 0  # votr creates the schema
    return insert_polls(votr_env["VOTR_DATABASE_URL"], HOSTILE_IDS)


def test_hostile_ids_in_plain_output_are_escaped_and_literal(votr, hostile_ids):
    runs = [["list"], ["options"], ["db-check"], ["export"]]
    for title in hostile_ids:
        runs += [["show", title], ["vote", title, "[/y]", "--voter", "ann"], ["close", title],
                 ["reopen", title]]
    for args in runs:
        outcome = votr(*args)
        assert outcome.exit_code == 0, (args, outcome)
        assert_terminal_safe(outcome.stdout)
        assert_terminal_safe(outcome.stderr)
    listed = votr("list").stdout
    assert "\\x1b]0;PWN\\x07\topen" in listed and "[/x]\topen" in listed and "[blink]Z\topen" in listed
    assert "[red]x[/red]\t[red]x[/red]" in votr("options").stdout
    assert [poll["id"] for poll in votr("list", "--json").json()["Polls"]] == HOSTILE_IDS


@pytest.mark.parametrize("command", [["list"], ["show"], ["options"], ["vote"]])
def test_hostile_ids_on_a_real_terminal_are_literal_never_markup(votr_env, hostile_ids, command):
    titles = hostile_ids if command in (["show"], ["vote"]) else [None]
    for title in titles:
        args = {"show": ["show", title], "vote": ["vote", title, "[/y]", "--voter", "ann"]}.get(command[0], command)
        screen = run_in_terminal(votr_env, *args)
        assert "\x1b]0;PWN" not in screen and "\x07" not in screen
        assert "\x1b[5m" not in screen, "[blink] was read as markup"
        assert "\U0001f44d" not in screen, ":thumbs_up: was read as an emoji code"
        text = RICH_STYLE.sub("", screen).replace("\r\n", "\n")
        assert_terminal_safe(text)
        if command == ["list"]:
            assert all(shown in text for shown in ("\\x1b]0;PWN\\x07", "[/x]", "[blink]Z", ":thumbs_up:"))
        if command == ["options"]:
            assert "[red]x[/red]" in text and "[/y]" in text


@pytest.mark.parametrize("revision", ["\x1b]0;PWN\x07", "[/x]", "[blink]Z"])
def test_a_hostile_revision_id_is_shown_escaped(votr, votr_env, revision):
    assert votr("list").exit_code == 0
    set_revision(votr_env["VOTR_DATABASE_URL"], revision)
    plain = votr("db-current")
    assert plain.exit_code == 0, plain
    assert_terminal_safe(plain.stdout + plain.stderr)
    assert votr("db-current", "--json").json()["current"] == [revision]
    screen = run_in_terminal(votr_env, "db-current")
    assert "\x1b]0;PWN" not in screen and "\x07" not in screen and "\x1b[5m" not in screen
    assert_terminal_safe(RICH_STYLE.sub("", screen).replace("\r\n", "\n"))
    for other in (["list"], ["db-history"], ["db-check"]):
        outcome = votr(*other)
        assert outcome.exit_code != 70, (other, outcome)
        assert_terminal_safe(outcome.stdout + outcome.stderr)
