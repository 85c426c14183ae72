"""`--format table|plain|json|ndjson|csv|tsv` of `votr list`, `show` and `options`:
every format's exact output, `--json` as `--format json`, errors, streaming, and real
processes reading the CSV through a pipe (README: Output formats)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pexpect
import pytest

from tests.conftest import votr_executable
from votr_cli.frontends import formats, output

LUNCH = 'Lunch, "today"'
WIDE = {"COLUMNS": "100"}  # rich tables written to a pipe are as wide as COLUMNS says


@pytest.fixture
def polls(votr) -> dict:
    """Three polls: a single poll with a comma, a quote and a unicode name and a fixed
    close date; one whose results are hidden until it closes; a closed ranked poll.
    Returns their ids, the closed poll's close date and the option ids, read back."""
    def ok(*args):
        done = votr(*args)
        assert done.exit_code == 0, done.stderr
        return done

    ok("create", LUNCH, "pizza", "sushi", "crème brûlée", "--closes-at", "2030-01-01T00:00:00Z")
    ok("create", "Board", "yes", "no", "--results", "closed")
    ok("create", "State capital", "Memphis", "Nashville", "Knoxville", "--kind", "ranked")
    for voter, choice in (("ann", "sushi"), ("bo", "sushi"), ("cy", "pizza")):
        ok("vote", LUNCH, choice, "--voter", voter)
    ok("vote", "Board", "yes", "--voter", "ann")
    for voter, ranking in (("ann", ["Knoxville", "Nashville"]), ("bo", ["Memphis"]),
                           ("cy", ["Nashville", "Knoxville"]), ("dee", ["Knoxville", "Memphis"])):
        ok("vote", "State capital", *ranking, "--voter", voter)
    ok("close", "State capital")
    listed = ok("list", "--json").json()["Polls"]
    return {"lunch": listed[0]["id"], "board": listed[1]["id"], "state": listed[2]["id"],
            "closed_at": listed[2]["close_date"],
            **{option["name"]: option["id"] for option in ok("options", "--json").json()}}


def _utc(iso: str) -> tuple[str, str, str]:
    """A close date as the human forms show it with TZ=UTC: (table date, plain date,
    phrase). The phrase's rules have unit tests of their own (tests/unit/test_when.py)."""
    from votr_cli.core.when import close_phrase, from_iso_utc, utcnow

    moment = from_iso_utc(iso)
    return (f"{moment:%Y-%m-%d %H:%M} UTC", moment.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            close_phrase(moment, utcnow()))


def run(votr, *args, env=None) -> str:
    """stdout of a command that must succeed, as it was written: CliRunner's `stdout`
    would turn csv's CRLF into LF."""
    from click.testing import CliRunner

    from votr_cli.frontends.cli import main

    # Human forms show close dates in local time: UTC here, so the expected text is fixed.
    done = CliRunner().invoke(main, list(args), env={"TZ": "UTC", **(env or {})}, prog_name="votr",
                              catch_exceptions=False)
    assert done.exit_code == 0 and done.stderr == "", (done.exit_code, done.stderr)
    return done.stdout_bytes.decode()


# -- list ------------------------------------------------------------------------------


def test_list_csv(votr, polls):
    p = polls
    assert run(votr, "list", "--format", "csv") == (
        "id,title,status,close_date,option,vote_count\r\n"
        f'{p["lunch"]},"Lunch, ""today""",open,2030-01-01T00:00:00Z,pizza,1\r\n'
        f'{p["lunch"]},"Lunch, ""today""",open,2030-01-01T00:00:00Z,sushi,2\r\n'
        f'{p["lunch"]},"Lunch, ""today""",open,2030-01-01T00:00:00Z,crème brûlée,0\r\n'
        f"{p['board']},Board,open,,yes,\r\n"
        f"{p['board']},Board,open,,no,\r\n"
        f"{p['state']},State capital,closed,{p['closed_at']},Memphis,1\r\n"
        f"{p['state']},State capital,closed,{p['closed_at']},Nashville,1\r\n"
        f"{p['state']},State capital,closed,{p['closed_at']},Knoxville,2\r\n"
    )


def test_list_tsv(votr, polls):
    p = polls
    assert run(votr, "list", "--format", "tsv") == (
        "id\ttitle\tstatus\tclose_date\toption\tvote_count\n"
        f'{p["lunch"]}\t"Lunch, ""today"""\topen\t2030-01-01T00:00:00Z\tpizza\t1\n'
        f'{p["lunch"]}\t"Lunch, ""today"""\topen\t2030-01-01T00:00:00Z\tsushi\t2\n'
        f'{p["lunch"]}\t"Lunch, ""today"""\topen\t2030-01-01T00:00:00Z\tcrème brûlée\t0\n'
        f"{p['board']}\tBoard\topen\t\tyes\t\n"
        f"{p['board']}\tBoard\topen\t\tno\t\n"
        f"{p['state']}\tState capital\tclosed\t{p['closed_at']}\tMemphis\t1\n"
        f"{p['state']}\tState capital\tclosed\t{p['closed_at']}\tNashville\t1\n"
        f"{p['state']}\tState capital\tclosed\t{p['closed_at']}\tKnoxville\t2\n"
    )


def test_list_json_and_ndjson_carry_the_same_poll_objects(votr, polls):
    document = run(votr, "list", "--format", "json")
    assert run(votr, "list", "--json") == document
    assert run(votr, "list", "--json", "--format", "json") == document
    listed = json.loads(document)["Polls"]
    assert [poll["id"] for poll in listed] == [polls["lunch"], polls["board"], polls["state"]]
    assert listed[1]["options"] == [{"name": "yes", "vote_count": None}, {"name": "no", "vote_count": None}]
    assert run(votr, "list", "--format", "ndjson") == "".join(
        json.dumps(poll, ensure_ascii=False) + "\n" for poll in listed)


def test_list_plain(votr, polls):
    p = polls
    _, lunch_date, lunch_phrase = _utc("2030-01-01T00:00:00Z")
    _, closed_date, closed_phrase = _utc(p["closed_at"])
    expected = (
        f'{p["lunch"]}\topen\tLunch, "today"\tpizza: 1, sushi: 2, crème brûlée: 0\tsingle\tplurality\tsushi'
        f"\t3\t{lunch_date} ({lunch_phrase})\n"
        f"{p['board']}\topen\tBoard\tyes: -, no: -\tsingle\tplurality\thidden until the poll closes\t1\t-\n"
        f"{p['state']}\tclosed\tState capital\tMemphis: 1, Nashville: 1, Knoxville: 2\tranked\tirv\tKnoxville"
        f"\t4\t{closed_date} ({closed_phrase})\n"
    )
    assert run(votr, "list", "--format", "plain") == expected
    assert run(votr, "list") == expected  # piped: plain is the default


def test_list_table_piped_is_the_rich_table_without_escape_sequences(votr, polls):
    p = polls
    lunch_date, _, lunch_phrase = _utc("2030-01-01T00:00:00Z")
    closed_date, _, closed_phrase = _utc(p["closed_at"])
    lunch_phrase, closed_phrase = f"({lunch_phrase})".ljust(20), f"({closed_phrase})".ljust(20)
    assert run(votr, "list", "--format", "table", env=WIDE) == f"""\
Polls                                                                                               
┏━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┓
┃ ID       ┃ Title          ┃ Status ┃ Kind         ┃ Votes ┃ Leader        ┃ Closes               ┃
┡━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━┩
│ {p['lunch']} │ Lunch, "today" │ open   │ single       │     3 │ sushi         │ {lunch_date} │
│          │                │        │              │       │               │ {lunch_phrase} │
│ {p['board']} │ Board          │ open   │ single       │     1 │ hidden until  │ -                    │
│          │                │        │              │       │ the poll      │                      │
│          │                │        │              │       │ closes        │                      │
│ {p['state']} │ State capital  │ closed │ ranked (irv) │     4 │ Knoxville     │ {closed_date} │
│          │                │        │              │       │               │ {closed_phrase} │
└──────────┴────────────────┴────────┴──────────────┴───────┴───────────────┴──────────────────────┘
"""


def test_an_empty_listing_in_every_format(votr):
    assert run(votr, "list", "--format", "csv") == "id,title,status,close_date,option,vote_count\r\n"
    assert run(votr, "list", "--format", "tsv") == "id\ttitle\tstatus\tclose_date\toption\tvote_count\n"
    assert run(votr, "list", "--format", "ndjson") == ""
    assert run(votr, "list", "--format", "json") == '{"Polls": []}\n'
    assert run(votr, "list", "--format", "plain") == ""
    assert run(votr, "list", "--format", "table") == "No polls yet. Create one with: votr create TITLE OPTION OPTION…\n"


# -- show ------------------------------------------------------------------------------


def test_show_csv_and_tsv(votr, polls):
    assert run(votr, "show", LUNCH, "--format", "csv") == (
        "option,vote_count,percent\r\npizza,1,33.3\r\nsushi,2,66.7\r\ncrème brûlée,0,0.0\r\n")
    assert run(votr, "show", LUNCH, "--format", "tsv") == (
        "option\tvote_count\tpercent\npizza\t1\t33.3\nsushi\t2\t66.7\ncrème brûlée\t0\t0.0\n")


def test_show_csv_of_a_ranked_poll_counts_first_preferences_as_shares_of_ballots(votr, polls):
    assert run(votr, "show", "State capital", "--format", "csv") == (
        "option,vote_count,percent\r\nMemphis,1,25.0\r\nNashville,1,25.0\r\nKnoxville,2,50.0\r\n")


def test_show_csv_of_hidden_results_leaves_counts_and_shares_empty(votr, polls):
    assert run(votr, "show", "Board", "--format", "csv") == "option,vote_count,percent\r\nyes,,\r\nno,,\r\n"
    assert run(votr, "show", "Board", "--format", "tsv") == "option\tvote_count\tpercent\nyes\t\t\nno\t\t\n"
    # Once the poll closes, the same viewer sees them.
    run(votr, "close", "Board")
    assert run(votr, "show", "Board", "--format", "csv") == (
        "option,vote_count,percent\r\nyes,1,100.0\r\nno,0,0.0\r\n")


def test_show_json_and_ndjson(votr, polls):
    document = run(votr, "show", "State capital", "--format", "json")
    assert run(votr, "show", "State capital", "--json") == document
    poll = json.loads(document)["Polls"][0]
    assert poll["kind"] == "ranked" and poll["winners"] == ["Knoxville"]
    assert run(votr, "show", "State capital", "--format", "ndjson") == json.dumps(poll, ensure_ascii=False) + "\n"


def test_show_plain_of_hidden_results(votr, polls):
    assert run(votr, "show", "Board", "--format", "plain") == f"""\
id: {polls['board']}
title: Board
status: open
close_date: -
total_vote_count: -
kind: single
method: plurality
voter_count: 1
policies: results closed
winners: hidden until the poll closes
counts: votes
yes\t-\t-
no\t-\t-
"""


def test_show_table_piped(votr, polls):
    lunch_date, _, lunch_phrase = _utc("2030-01-01T00:00:00Z")
    when = f"{lunch_date} ({lunch_phrase})".center(66)
    caption = f"{polls['lunch']} · single poll, plurality · open, 3 votes".center(66)
    assert run(votr, "show", LUNCH, "--format", "table", env=WIDE) == f"""\
                          Lunch, "today"                          
┏━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━┓
┃ Option       ┃ Votes ┃ Share                ┃     % ┃          ┃
┡━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━┩
│ pizza        │     1 │ ━━━━━━╸              │ 33.3% │          │
│ sushi        │     2 │ ━━━━━━━━━━━━━        │ 66.7% │ ★ leader │
│ crème brûlée │     0 │                      │  0.0% │          │
└──────────────┴───────┴──────────────────────┴───────┴──────────┘
{caption}
{when}
Leading: sushi
"""


# -- options ---------------------------------------------------------------------------

NAMES = ["pizza", "sushi", "crème brûlée", "yes", "no", "Memphis", "Nashville", "Knoxville"]


def test_options_in_every_format(votr, polls):
    ids = [polls[name] for name in NAMES]
    assert run(votr, "options", "--format", "csv") == "id,name\r\n" + "".join(
        f"{option_id},{name}\r\n" for option_id, name in zip(ids, NAMES))
    assert run(votr, "options", "--format", "tsv") == "id\tname\n" + "".join(
        f"{option_id}\t{name}\n" for option_id, name in zip(ids, NAMES))
    assert run(votr, "options", "--format", "ndjson") == "".join(
        f'{{"id": "{option_id}", "name": "{name}"}}\n' for option_id, name in zip(ids, NAMES))
    document = run(votr, "options", "--format", "json")
    assert document == run(votr, "options", "--json")
    assert json.loads(document) == [{"id": option_id, "name": name} for option_id, name in zip(ids, NAMES)]
    assert run(votr, "options", "--format", "plain") == "".join(
        f"{option_id}\t{name}\n" for option_id, name in zip(ids, NAMES))


def test_options_table_piped(votr, polls):
    rows = "".join(f"│ {polls[name]} │ {name:<12} │\n" for name in NAMES)
    assert run(votr, "options", "--format", "table", env=WIDE) == (
        "Options                                                \n"
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓\n"
        "┃ ID                                   ┃ Name         ┃\n"
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩\n"
        + rows +
        "└──────────────────────────────────────┴──────────────┘\n")


# -- what every format shares ----------------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["show", "Board"], ["options"]])
@pytest.mark.parametrize("other", ["table", "plain", "ndjson", "csv", "tsv"])
def test_json_with_another_format_is_a_usage_error(votr, polls, command, other):
    done = votr(*command, "--json", "--format", other)
    assert done.exit_code == 2 and done.stdout == ""
    assert "--json is --format json" in done.stderr


@pytest.mark.parametrize("command", [["list"], ["show", LUNCH], ["options"]])
def test_no_format_writes_escape_sequences_to_a_pipe(votr, polls, command):
    for each in formats.FORMATS:
        written = run(votr, *command, "--format", each)
        assert "\x1b" not in written and written, each


def test_an_unknown_format_is_a_usage_error(votr):
    done = votr("list", "--format", "xml")
    assert done.exit_code == 2 and done.stdout == "" and "xml" in done.stderr


def test_format_names_are_case_insensitive(votr, polls):
    assert run(votr, "options", "--format", "CSV") == run(votr, "options", "--format", "csv")
    assert run(votr, "options", "--json", "--format", "JSON") == run(votr, "options", "--json")


def test_only_list_show_and_options_have_format(votr):
    assert votr("db-current", "--format", "csv").exit_code == 2
    assert "--format" not in votr("vote", "--help").stdout
    for command in ("list", "show", "options"):
        helped = votr(command, "--help").stdout
        assert "--format FORMAT" in helped and ("--format csv" in helped or "--format tsv" in helped)


def test_the_cli_offers_every_format_output_knows():
    from votr_cli.frontends import cli

    for command in ("list", "show", "options"):
        choice = next(param for param in cli.main.commands[command].params if param.name == "output_format")
        assert tuple(choice.type.choices) == formats.FORMATS


def test_a_json_format_in_any_case_makes_usage_errors_json(votr):
    done = votr("list", "--status", "bogus", "--format", "NDJSON")
    assert done.exit_code == 2 and done.stdout == ""
    assert "'bogus' is not one of" in done.error()


@pytest.mark.parametrize("each", ["json", "ndjson"])
def test_errors_of_the_json_formats_are_json_on_stderr(votr, polls, each):
    done = votr("show", "no such poll", "--format", each)
    assert done.exit_code == 3 and done.stdout == ""
    assert done.error() == "no poll with id or title 'no such poll'"


@pytest.mark.parametrize("each", ["csv", "tsv", "table", "plain"])
def test_errors_of_the_other_formats_are_one_plain_line(votr, polls, each):
    done = votr("show", "no such poll", "--format", each)
    assert done.exit_code == 3 and done.stdout == ""
    assert done.stderr == "Error: no poll with id or title 'no such poll'\n"


def test_text_that_a_spreadsheet_would_read_as_a_formula_is_written_as_it_is(votr):
    assert votr("create", "--", "=1+1", "+a", "-b", "@c").exit_code == 0
    assert run(votr, "show", "=1+1", "--format", "csv") == (
        "option,vote_count,percent\r\n+a,0,0.0\r\n-b,0,0.0\r\n@c,0,0.0\r\n")
    listed = list(csv.reader(io.StringIO(run(votr, "list", "--format", "csv"), newline="")))
    assert [row[1] for row in listed[1:]] == ["=1+1"] * 3


def test_markup_stays_literal_in_csv_and_in_tables(votr):
    assert votr("create", "[bold]x", "[red]a", "b").exit_code == 0
    assert "[bold]x" in run(votr, "list", "--format", "table", env=WIDE)
    assert run(votr, "show", "[bold]x", "--format", "csv").splitlines()[1] == "[red]a,0,0.0"


# -- streaming -------------------------------------------------------------------------


class _Recorder(io.StringIO):
    """stdout that notes, at each write, how many polls the listing had read by then."""

    def __init__(self, read: list):
        super().__init__()
        self.read, self.at_write = read, []

    def write(self, text):
        self.at_write.append(len(self.read))
        return super().write(text)


@pytest.mark.parametrize("each", ["ndjson", "csv", "json"])
def test_a_listing_is_written_as_it_is_read(monkeypatch, each):
    """Each poll is written before the next is read: 100k polls never sit in memory."""
    read = []

    def rows():
        for number in range(3):
            read.append(number)
            yield {"id": f"id{number}", "title": "t", "status": True, "close_date": None, "total_vote_count": 0,
                   "options": [{"name": "a", "vote_count": 0}, {"name": "b", "vote_count": 0}]}

    out = _Recorder(read)
    monkeypatch.setattr("sys.stdout", out)
    output.render(output.Result(output.POLL_LISTING, {"Polls": rows()}), output_format=each)
    assert read == [0, 1, 2]
    first_poll_written = out.at_write[1 if each == "csv" else 0]  # csv: after its header
    assert first_poll_written == 1  # the second poll not read yet
    if each == "ndjson":
        assert out.at_write == [1, 2, 3]
        assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == ["id0", "id1", "id2"]


def test_a_renderer_without_a_form_refuses_it_before_writing(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    for each in ("csv", "tsv", "ndjson"):
        with pytest.raises(output.FormatRefused):
            output.render(output.Result(output.REVISION, {"current": [], "head": "1", "up_to_date": False}),
                          output_format=each)
    assert out.getvalue() == ""


# -- real processes --------------------------------------------------------------------

READ_CSV = ("import csv, io, json, sys; "
            "print(json.dumps(list(csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', newline='')))))")


def test_list_csv_piped_into_pythons_csv_reader(votr_env, votr_proc, polls):
    env = {**os.environ, **votr_env}
    with subprocess.Popen([votr_executable(), "list", "--format", "csv"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env) as writer:
        reader = subprocess.run([sys.executable, "-c", READ_CSV], stdin=writer.stdout, capture_output=True,
                                text=True, timeout=60)
        writer.stdout.close()
        assert writer.wait(timeout=60) == 0 and writer.stderr.read() == b""
    assert reader.returncode == 0, reader.stderr
    rows = json.loads(reader.stdout)
    assert rows[0] == ["id", "title", "status", "close_date", "option", "vote_count"]
    assert rows[1:4] == [[polls["lunch"], LUNCH, "open", "2030-01-01T00:00:00Z", name, count]
                         for name, count in (("pizza", "1"), ("sushi", "2"), ("crème brûlée", "0"))]
    assert rows[4] == [polls["board"], "Board", "open", "", "yes", ""]
    assert rows[8] == [polls["state"], "State capital", "closed", polls["closed_at"], "Knoxville", "2"]
    assert len(rows) == 9


@pytest.mark.parametrize("each", ["csv", "ndjson", "tsv"])
def test_a_full_disk_is_exit_74_in_the_new_formats(votr_env, polls, each):
    with open("/dev/full", "w") as full:
        done = subprocess.run([votr_executable(), "list", "--format", each], stdout=full, stderr=subprocess.PIPE,
                              env={**os.environ, **votr_env}, text=True, timeout=60)
    said = "the output could not be written: [Errno 28] No space left on device"
    assert done.returncode == 74
    assert done.stderr == (json.dumps({"error": said}) if each == "ndjson" else f"Error: {said}") + "\n"


@pytest.mark.parametrize("each", ["csv", "ndjson"])
def test_a_reader_that_goes_away_ends_the_listing_quietly(votr_env, votr_proc, each):
    for number in range(3):
        assert votr_proc("create", f"poll {number}", "a", "b").exit_code == 0
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before votr writes
    with os.fdopen(write_end, "w") as pipe:
        done = subprocess.run([votr_executable(), "list", "--format", each], stdout=pipe, stderr=subprocess.PIPE,
                              env={**os.environ, **votr_env}, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")


def test_plain_on_a_terminal_and_a_table_by_default(votr_env, votr_proc):
    assert votr_proc("create", "Lunch", "pizza", "sushi").exit_code == 0
    public_id = votr_proc("list", "--json").json()["Polls"][0]["id"]
    env = {**os.environ, **votr_env, "COLUMNS": "100"}
    env.pop("NO_COLOR", None)

    def on_a_terminal(*args) -> str:
        child = pexpect.spawn(votr_executable(), list(args), env=env, encoding="utf-8", timeout=60,
                              dimensions=(40, 100))
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        return child.before.replace("\r\n", "\n")

    assert on_a_terminal("list", "--format", "plain") == f"{public_id}\topen\tLunch\tpizza: 0, sushi: 0\tsingle\tplurality\t-\t0\t-\n"
    assert on_a_terminal("options", "--format", "csv").startswith("id,name\r")  # csv's CRLF, then the terminal's
    table = on_a_terminal("list")
    assert "┏" in table and "Lunch" in table


def test_a_poll_without_options_still_has_its_row(monkeypatch):
    """Only a poll adopted from an old Votr database can have no options."""
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    poll = {"id": "k3v9x2ab", "title": "Empty", "status": False, "close_date": "2020-01-01T00:00:00Z",
            "total_vote_count": 0, "options": []}
    output.render(output.Result(output.POLL_LISTING, {"Polls": iter([poll])}), output_format="csv")
    assert out.getvalue() == ("id,title,status,close_date,option,vote_count\r\n"
                              "k3v9x2ab,Empty,closed,2020-01-01T00:00:00Z,,\r\n")


def test_a_control_character_another_tool_wrote_is_escaped_in_csv(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    output.render(output.Result(output.OPTION_LIST, [{"id": "x", "name": "a\x1b[31mb"}]), output_format="tsv")
    assert out.getvalue() == "id\tname\nx\ta\\x1b[31mb\n"
