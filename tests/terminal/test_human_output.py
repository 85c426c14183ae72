"""What people read: close dates in their own time zone with how far away they are,
tables on a real pseudo-terminal with and without NO_COLOR, narrow terminals, and the
plain records a pipe gets. Every run is the installed votr as a real process; "now" is
the real clock, so the dates are either fixed and far away (the local time is exact, the
phrase a pattern) or `--closes-at 3d` (the phrase is exact, the time a pattern)."""

from __future__ import annotations

import os
import re

import pexpect
import pytest

from tests.conftest import votr_executable

LONG_TITLE = "Which side is going to win the English Premier League this season, and by how many points"
SUMMER = "2099-07-04T16:00:00Z"  # New York: 12:00 EDT (-04:00); Kolkata: 21:30 IST (+05:30)
WINTER = "2099-01-04T17:00:00Z"  # New York: 12:00 EST (-05:00)
SGR = re.compile(r"\x1b\[([0-9;]*)m")
ANY_ESCAPE = re.compile(r"\x1b")
# "Done" was closed a moment before: "just now", or a few minutes ago on a slow machine.
JUST_CLOSED = r"closed (just now|\d+ minutes? ago)"


def colour_codes(screen: str) -> list[str]:
    """The SGR sequences that set a foreground or background colour (30-38, 40-48,
    90-97, 100-107); bold, dim and italic are not colour."""
    found = []
    for match in SGR.finditer(screen):
        params = [int(p) for p in match.group(1).split(";") if p.isdigit()]
        if any(30 <= p <= 38 or 40 <= p <= 48 or 90 <= p <= 97 or 100 <= p <= 107 for p in params):
            found.append(match.group())
    return found


def on_terminal(votr_env: dict, *args: str, columns: int = 120, **env: str) -> str:
    """Run the installed votr on a pseudo-terminal `columns` wide; what it drew, with
    "\\r\\n" as "\\n". `env` adds to (or, with None, removes from) the environment."""
    full_env = {**os.environ, **votr_env, "TERM": "xterm-256color"}
    for name in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TZ"):
        full_env.pop(name, None)
    for name, value in env.items():
        if value is None:
            full_env.pop(name, None)
        else:
            full_env[name] = value
    child = pexpect.spawn(votr_executable(), list(args), env=full_env, dimensions=(50, columns),
                          encoding="utf-8", timeout=60)
    screen = child.read()
    child.close()
    assert child.exitstatus == 0, screen
    return screen.replace("\r\n", "\n")


def visible(screen: str) -> str:
    return SGR.sub("", screen)


def flowing(screen: str) -> str:
    """The words of a drawing in order, box lines and runs of space as one space each."""
    return re.sub(r"[\s│┃┏┓┗┛┡┩┠┨┣┫━─┬┴┼┳┻╇╋├┤┌┐└┘]+", " ", visible(screen))


@pytest.fixture
def polls(votr):
    """A poll closing in the summer of 2099, one closing in three days, one closed now.
    Made in-process (the same database): what is tested is the output of real processes."""
    assert votr("create", LONG_TITLE, "Arsenal", "Spurs", "--closes-at", SUMMER).exit_code == 0
    assert votr("create", "Lunch?", "pizza", "soup", "--closes-at", "3d").exit_code == 0
    assert votr("vote", "Lunch?", "pizza", "--voter", "ann").exit_code == 0
    assert votr("create", "Winter", "yes", "no", "--closes-at", WINTER).exit_code == 0
    assert votr("create", "Done", "yes", "no").exit_code == 0
    assert votr("close", "Done").exit_code == 0


# -- dates: local time, TZ, the relative phrase ------------------------------------------


def test_plain_show_gives_the_local_time_with_its_offset(votr_proc, polls):
    shown = votr_proc("show", LONG_TITLE, env={"TZ": "Asia/Kolkata"})
    line = next(line for line in shown.stdout.splitlines() if line.startswith("close_date: "))
    assert re.fullmatch(r"close_date: 2099-07-04T21:30:00\+05:30 \(closes in \d+ years\)", line), line
    for zone, summer, winter in [("America/New_York", "2099-07-04T12:00:00-04:00", "2099-01-04T12:00:00-05:00"),
                                 ("UTC", "2099-07-04T16:00:00+00:00", "2099-01-04T17:00:00+00:00")]:
        assert f"close_date: {summer} (closes in" in votr_proc("show", LONG_TITLE, env={"TZ": zone}).stdout
        assert f"close_date: {winter} (closes in" in votr_proc("show", "Winter", env={"TZ": zone}).stdout


def test_the_phrase_says_how_far_in_whole_units(votr_proc, polls):
    lunch = votr_proc("show", "Lunch?", env={"TZ": "UTC"}).stdout
    assert re.search(r"^close_date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 \(closes in 3 days\)$", lunch, re.M), lunch
    done = votr_proc("show", "Done", env={"TZ": "UTC"}).stdout
    assert re.search(rf"^close_date: \S+ \({JUST_CLOSED}\)$", done, re.M), done


def test_json_keeps_close_dates_in_utc(votr_proc, polls):
    for zone in ("Asia/Kolkata", "America/New_York"):
        poll = votr_proc("show", LONG_TITLE, "--json", env={"TZ": zone}).json()["Polls"][0]
        assert poll["close_date"] == SUMMER
        listed = votr_proc("list", "--json", env={"TZ": zone}).json()["Polls"]
        assert [p["close_date"] for p in listed][0] == SUMMER


def test_tables_give_the_local_time_and_zone(votr_env, polls):
    screen = visible(on_terminal(votr_env, "show", LONG_TITLE, TZ="Asia/Kolkata"))
    assert re.search(r"2099-07-04 21:30 IST \(closes in \d+ years\)", screen), screen
    screen = visible(on_terminal(votr_env, "show", "Winter", TZ="America/New_York"))
    assert re.search(r"2099-01-04 12:00 EST \(closes in \d+ years\)", screen), screen
    listed = visible(on_terminal(votr_env, "list", columns=160, TZ="America/New_York"))
    assert "2099-07-04 12:00 EDT" in listed and "(closes in 3 days)" in listed
    assert re.search(rf"\({JUST_CLOSED}\)", listed)
    assert "Closes (UTC)" not in listed


# -- list's plain record ------------------------------------------------------------------


def test_piped_list_has_every_field_of_the_table(votr_proc, polls):
    lines = votr_proc("list", env={"TZ": "Asia/Kolkata"}).stdout.splitlines()
    records = [line.split("\t") for line in lines]
    assert [len(fields) for fields in records] == [9, 9, 9, 9]
    # The first seven fields are as they were: `cut -f1-7` scripts read the same.
    assert records[1][:7] == [records[1][0], "open", "Lunch?", "pizza: 1, soup: 0", "single", "plurality", "pizza"]
    assert [fields[7] for fields in records] == ["0", "1", "0", "0"]
    assert re.fullmatch(r"2099-07-04T21:30:00\+05:30 \(closes in \d+ years\)", records[0][8])
    assert re.fullmatch(r"\S+\+05:30 \(closes in 3 days\)", records[1][8])
    assert re.fullmatch(rf"\S+\+05:30 \({JUST_CLOSED}\)", records[3][8])


# -- colour: NO_COLOR and TERM=dumb -------------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["show", "Lunch?"]])
def test_no_color_keeps_the_tables_and_drops_the_colours(votr_env, polls, command):
    coloured = on_terminal(votr_env, *command)
    assert colour_codes(coloured), "expected colours on a terminal without NO_COLOR"
    plain = on_terminal(votr_env, *command, NO_COLOR="1")
    assert "┏" in plain and "┃" in plain and "└" in plain  # the table is there
    assert colour_codes(plain) == [], colour_codes(plain)
    assert "\t" not in plain  # not the piped records
    # The same table, colour apart; a bar's unfilled part is drawn in a dim colour, and
    # so is left blank without colours.
    assert visible(plain).replace("━", " ") == visible(coloured).replace("━", " ")


def test_an_empty_no_color_counts_as_unset(votr_env, polls):
    assert colour_codes(on_terminal(votr_env, "list", NO_COLOR=""))


def test_a_dumb_terminal_gets_the_tables_with_no_escape_sequences(votr_env, polls):
    screen = on_terminal(votr_env, "show", "Lunch?", TERM="dumb")
    assert "┏" in screen and "Lunch?" in screen
    assert not ANY_ESCAPE.search(screen), repr(screen[:200])


def test_piped_output_stays_plain_with_no_color(votr_proc, polls):
    listed = votr_proc("list", env={"NO_COLOR": "1"}).stdout
    assert not ANY_ESCAPE.search(listed) and "┏" not in listed
    assert all(line.count("\t") == 8 for line in listed.splitlines())


# -- narrow terminals ---------------------------------------------------------------------


@pytest.mark.parametrize("columns", [60, 40])
def test_a_narrow_list_wraps_titles_and_keeps_dates_whole(votr_env, polls, columns):
    screen = visible(on_terminal(votr_env, "list", columns=columns, TZ="America/New_York"))
    assert all(len(line) <= columns for line in screen.splitlines()), screen
    assert "…" not in screen, screen
    assert LONG_TITLE in flowing(screen), screen  # wrapped between words, every word there
    assert "2099-07-04 12:00 EDT" in screen and "2099-01-04 12:00 EST" in screen  # each on one line
    assert "(closes in 3 days)" in flowing(screen)
    ids = re.findall(r"\b[2-9a-hj-km-np-z]{8}\b", screen)
    assert len(set(ids)) == 4  # every poll's id, whole


@pytest.mark.parametrize("columns", [60, 40])
def test_a_narrow_show_wraps_the_title_and_keeps_the_date_whole(votr_env, polls, columns):
    screen = visible(on_terminal(votr_env, "show", LONG_TITLE, columns=columns, TZ="Asia/Kolkata"))
    assert all(len(line) <= columns for line in screen.splitlines()), screen
    assert "…" not in screen, screen
    assert LONG_TITLE in flowing(screen), screen
    assert "2099-07-04 21:30 IST" in screen  # on one line
    assert "Arsenal" in screen and "Spurs" in screen and "0.0%" in screen


def test_a_wide_show_has_the_bars(votr_env, polls):
    assert "━━━━━━━━━━━━━━━━━━━━" in visible(on_terminal(votr_env, "show", "Lunch?", columns=100))
