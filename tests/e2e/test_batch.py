"""`votr vote --batch FILE`: many votes by the rules of one, on every backend."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from votr_cli.service import polls as service

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

LUNCH = "Lunch today?"


def jsonl(*votes: dict) -> str:
    return "".join(json.dumps(vote) + "\n" for vote in votes)


def counts(votr, poll: str) -> dict[str, int]:
    document = votr("show", poll, "--json").json()["Polls"][0]
    return {choice["name"]: choice["vote_count"] for choice in document["options"]}


def ballot_count(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM ballots")).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def lunch(votr):
    outcome = votr("create", LUNCH, "Pizza", "Sushi", "50% off", "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["poll"]["id"]


def test_a_json_lines_file_records_every_vote(votr, lunch, tmp_path):
    votes = tmp_path / "votes.jsonl"
    votes.write_text(jsonl({"poll": LUNCH, "option": "pizza", "voter": "ann"},
                           {"poll": lunch, "option": "SUSHI", "voter": "bo"},
                           {"poll": "lunch   TODAY?", "option": "Pizza", "voter": "cy"}))
    outcome = votr("vote", "--batch", str(votes), "--json")
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stderr == ""
    assert outcome.json() == {"message": "3 votes recorded, 0 lines rejected", "lines": 3,
                              "accepted": 3, "rejected": [], "exit_code": 0}
    assert counts(votr, lunch) == {"Pizza": 2, "Sushi": 1, "50% off": 0}


def test_a_csv_file_with_a_header_in_any_order_and_a_default_voter(votr, lunch, tmp_path):
    votes = tmp_path / "votes.csv"
    votes.write_text('voter,option,poll\nann,Pizza,"Lunch today?"\n,sushi,Lunch today?\n')
    outcome = votr("vote", "--batch", str(votes), "--voter", "Dee")
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == "2 votes recorded, 0 lines rejected\n"
    assert counts(votr, lunch) == {"Pizza": 1, "Sushi": 1, "50% off": 0}
    # The line without a voter was Dee's: Dee cannot vote again.
    assert votr("vote", LUNCH, "Pizza", "--voter", "dee").exit_code == 4


def test_stdin_and_format_detected_from_the_content(votr, lunch):
    outcome = votr("vote", "--batch", "-", "--json",
                   input="poll,option,voter\nLunch today?,Pizza,ann\n")
    assert outcome.json()["accepted"] == 1
    outcome = votr("vote", "--batch", "-", "--json",
                   input=jsonl({"poll": lunch, "option": "Sushi", "voter": "bo"}))
    assert outcome.json()["accepted"] == 1
    assert counts(votr, lunch) == {"Pizza": 1, "Sushi": 1, "50% off": 0}


def test_every_rejected_line_has_its_number_reason_and_code(votr, lunch, database_url):
    votr("create", "Closed poll", "a", "b")
    votr("close", "Closed poll")
    votr("vote", LUNCH, "Pizza", "--voter", "early")
    lines = "\n".join([
        json.dumps({"poll": LUNCH, "option": "Pizza", "voter": "ann"}),      # 1 ok
        json.dumps({"poll": LUNCH, "option": "Sushi", "voter": "ANN"}),      # 2 same voter again
        "",                                                                  # 3 blank: skipped
        json.dumps({"poll": "Nope", "option": "Pizza", "voter": "bo"}),      # 4 no such poll
        json.dumps({"poll": LUNCH, "option": "Pizz%", "voter": "bo"}),       # 5 no LIKE matching
        json.dumps({"poll": "Closed poll", "option": "a", "voter": "bo"}),   # 6 closed
        "{not json",                                                         # 7
        json.dumps({"poll": LUNCH, "voter": "bo"}),                          # 8 no option
        json.dumps({"poll": LUNCH, "option": "Pizza", "voter": "b\u0007o"}),  # 9 control character
        json.dumps({"poll": LUNCH, "option": "Pizza", "voter": "Early"}),    # 10 voted before the batch
        json.dumps({"poll": LUNCH, "option": "50% off", "voter": "bo"}),     # 11 ok
        json.dumps([LUNCH, "Pizza", "cy"]),                                  # 12 not an object
    ]) + "\n"
    outcome = votr("vote", "--batch", "-", "--json", input=lines)
    summary = outcome.json()
    assert outcome.exit_code == 4  # the most serious line: refused by state
    assert summary["accepted"] == 2 and summary["lines"] == 11
    rejected = {entry["line"]: (entry["exit_code"], entry["error"]) for entry in summary["rejected"]}
    assert sorted(rejected) == [2, 4, 5, 6, 7, 8, 9, 10, 12]
    assert rejected[2] == (4, "Sorry! multiple votes are not allowed: 'ann' has already voted in this poll")
    assert rejected[4] == (3, "no poll with id or title 'Nope'")
    assert rejected[5] == (3, "poll 'Lunch today?' has no option 'Pizz%'")
    assert rejected[6] == (4, "poll 'Closed poll' is closed")
    assert rejected[7][0] == 1 and "not valid JSON" in rejected[7][1]
    assert rejected[8] == (1, "option is missing")
    assert rejected[9] == (1, "voter contains a control character (U+0007)")
    assert rejected[10][0] == 4 and "'early' has already voted" in rejected[10][1]
    assert rejected[12][0] == 1
    # The accepted lines are committed; the rejected ones changed nothing.
    assert counts(votr, lunch) == {"Pizza": 2, "Sushi": 0, "50% off": 1}
    assert ballot_count(database_url) == 3


def test_human_output_reports_rejections_on_stderr(votr, lunch):
    lines = jsonl({"poll": LUNCH, "option": "Pizza", "voter": "ann"},
                  {"poll": "Nope", "option": "Pizza", "voter": "bo"})
    outcome = votr("vote", "--batch", "-", input=lines)
    assert outcome.exit_code == 3
    assert outcome.stdout == "1 vote recorded, 1 line rejected\n"
    assert outcome.stderr == "Error: line 2: no poll with id or title 'Nope'\n"


def test_the_exit_code_is_that_of_the_most_serious_line(votr, lunch):
    invalid = jsonl({"poll": LUNCH, "option": "", "voter": "ann"})
    assert votr("vote", "--batch", "-", input=invalid).exit_code == 1
    not_found = invalid + jsonl({"poll": LUNCH, "option": "Rice", "voter": "ann"})
    assert votr("vote", "--batch", "-", input=not_found).exit_code == 3


def test_running_a_file_again_records_nothing_twice(votr, lunch, database_url):
    first = jsonl(*({"poll": LUNCH, "option": "Pizza", "voter": f"voter {n}"} for n in range(0, 40, 2)))
    assert votr("vote", "--batch", "-", input=first).exit_code == 0
    # Half of these voters voted in the first file: one round holds both kinds.
    second = jsonl(*({"poll": LUNCH, "option": "Sushi", "voter": f"voter {n}"} for n in range(40)))
    summary = votr("vote", "--batch", "-", "--json", input=second).json()
    assert summary["accepted"] == 20
    assert [entry["line"] for entry in summary["rejected"]] == list(range(1, 41, 2))
    assert counts(votr, lunch) == {"Pizza": 20, "Sushi": 20, "50% off": 0}
    assert ballot_count(database_url) == 40


def test_many_rounds_over_many_polls(votr, monkeypatch):
    monkeypatch.setattr(service, "BATCH_ROUND", 7)  # many rounds out of a small file
    titles = [f"Poll {n}" for n in range(12)]
    for title in titles:
        votr("create", title, "yes", "no")
    votes = [{"poll": title, "option": "yes" if voter % 3 else "no", "voter": f"v{voter}"}
             for voter in range(10) for title in titles]
    summary = votr("vote", "--batch", "-", "--json", input=jsonl(*votes)).json()
    assert summary["accepted"] == 120 and summary["rejected"] == []
    listed = votr("list", "--json").json()["Polls"]
    assert [{c["name"]: c["vote_count"] for c in p["options"]} for p in listed] == [{"yes": 6, "no": 4}] * 12


def test_a_failure_part_way_leaves_nothing_recorded(votr, lunch, monkeypatch, database_url):
    monkeypatch.setattr(service, "BATCH_ROUND", 2)
    real_insert = service._insert_ballots
    calls = []

    def insert_then_fail(conn, rows):
        calls.append(len(rows))
        if len(calls) == 3:
            raise RuntimeError("the process died here")
        real_insert(conn, rows)

    monkeypatch.setattr(service, "_insert_ballots", insert_then_fail)
    votes = jsonl(*({"poll": LUNCH, "option": "Pizza", "voter": f"v{n}"} for n in range(10)))
    outcome = votr("vote", "--batch", "-", input=votes)
    assert outcome.exit_code == 70 and "internal error" in outcome.stderr
    assert len(calls) == 3  # two rounds were inserted before the failure...
    assert ballot_count(database_url) == 0  # ...and rolled back with it
    assert counts(votr, lunch) == {"Pizza": 0, "Sushi": 0, "50% off": 0}


def test_a_csv_file_without_the_columns_is_refused_whole(votr, lunch, database_url):
    outcome = votr("vote", "--batch", "-", "--json", input="who,what\nann,Pizza\n")
    assert outcome.exit_code == 1
    assert "header row must name the columns poll, option, voter" in outcome.error()
    assert outcome.stdout == ""
    assert ballot_count(database_url) == 0


def vote_line(voter: str, option: str = "Pizza", poll: str = LUNCH) -> bytes:
    return json.dumps({"poll": poll, "option": option, "voter": voter}).encode()


def test_a_line_holding_two_votes_or_half_of_one_counts_nothing(votr, lunch, tmp_path):
    votes = tmp_path / "votes.jsonl"
    votes.write_bytes(b"\n".join([
        vote_line("ann"),                                    # 1 ok
        vote_line("bo") + b", " + vote_line("cy"),           # 2 two values
        b"[" + vote_line("dee"),                             # 3 an array split over
        vote_line("eve") + b"]",                             # 4 two lines
        vote_line("fay", "Sushi"),                           # 5 ok
    ]) + b"\n")
    summary = votr("vote", "--batch", str(votes), "--json").json()
    assert summary["accepted"] == 2 and summary["lines"] == 5
    assert [(entry["line"], entry["exit_code"]) for entry in summary["rejected"]] == [(2, 1), (3, 1), (4, 1)]
    assert summary["rejected"][0]["error"].startswith("not valid JSON (Extra data at column ")
    assert counts(votr, lunch) == {"Pizza": 1, "Sushi": 1, "50% off": 0}


# Each line of a hostile file, and what becomes of it: accepted, or its exit code and error.
HOSTILE = [
    (b"\xef\xbb\xbf" + vote_line("ann"), None),  # a BOM at the start of the file is ignored
    (vote_line("bo", "Pi\u2028zza").replace(b"\\u2028", "\u2028".encode()),
     (3, r"poll 'Lunch today?' has no option 'Pi\u2028zza'")),  # U+2028 raw: not a line end
    (vote_line("cy\x85").replace(b"\\u0085", "\x85".encode()), (1, "voter contains a control character (U+0085)")),
    (b'{"poll": "Lunch today?", "option": "Pizza", "voter": "d\x0ce"}',
     (1, "not valid JSON (Invalid control character at column 56)")),
    (vote_line("dee", "Sushi"), None),
    (b"[" * 100_000, (1, "not valid JSON (nested too deeply)")),
    (b'{"poll": "Lunch today?", "option": ' + b"9" * 5000 + b"}", (1, "not valid JSON (a number with too many digits)")),
    (b'{"poll": "Lunch today?", "option": "Pizza", "voter": NaN}', (1, "not valid JSON (NaN is not a JSON number)")),
    (vote_line("\ud800"), (1, "voter is not valid UTF-8 text")),
    (vote_line("eve", "x" * 1_000_000), (1, "option is longer than 200 characters (1000000)")),
    (vote_line("f\xffy").replace(b"\\u00ff", b"\xff"), (1, "not UTF-8 text (invalid start byte at byte 56 of the line)")),
    (vote_line("gus") + b"\r", None),  # CRLF
    (vote_line("hal", "Sushi"), None),  # the last line, without a newline
]


def test_every_line_fails_alone_with_its_physical_number(votr, lunch, tmp_path, database_url):
    votes = tmp_path / "votes.jsonl"
    votes.write_bytes(b"\n".join(line for line, _ in HOSTILE))
    outcome = votr("vote", "--batch", str(votes), "--json")
    summary = outcome.json()
    assert outcome.exit_code == 3 and summary["exit_code"] == 3
    assert summary["lines"] == len(HOSTILE) and summary["accepted"] == 4
    assert {entry["line"]: (entry["exit_code"], entry["error"]) for entry in summary["rejected"]} == {
        number: verdict for number, (_, verdict) in enumerate(HOSTILE, start=1) if verdict is not None}
    # Nothing of a rejected line was written.
    assert counts(votr, lunch) == {"Pizza": 2, "Sushi": 2, "50% off": 0}
    assert ballot_count(database_url) == 4


def test_csv_records_are_physical_lines(votr, lunch, tmp_path, database_url):
    votes = tmp_path / "votes.csv"
    votes.write_bytes(b"\xef\xbb\xbfpoll,option,voter\r\n"
                      b'Lunch today?,"Pizza\n'          # 2 a quoted field left open: not joined to line 3
                      b'",ann\n'                        # 3 judged alone: a quote left open too
                      b"Lunch today?,Sushi,bo\n"        # 4 ok
                      b"Lunch today?,Pizza\n"           # 5 a field short
                      b"Lunch today?,Pizza,c\xffy\n"    # 6 not UTF-8
                      b"Lunch today?,Pizza,cy\n")       # 7 ok
    summary = votr("vote", "--batch", str(votes), "--json").json()
    assert summary["accepted"] == 2 and summary["lines"] == 7 - 1
    assert {entry["line"]: entry["error"] for entry in summary["rejected"]} == {
        2: "not valid CSV (unexpected end of data)",
        3: "not valid CSV (unexpected end of data)",
        5: "2 fields where the header row has 3",
        6: "not UTF-8 text (invalid start byte at byte 21 of the line)",
    }
    assert counts(votr, lunch) == {"Pizza": 1, "Sushi": 1, "50% off": 0}
    assert ballot_count(database_url) == 2


@pytest.mark.parametrize("args", [["--batch", "-", LUNCH, "Pizza"], [LUNCH], []])
def test_poll_and_option_or_batch_but_not_both(votr, lunch, args):
    outcome = votr("vote", *args, input="")
    assert outcome.exit_code == 2
    assert "Usage:" in outcome.stderr


def test_piped_output_has_no_progress_bar_or_escapes(votr_proc, lunch):
    lines = jsonl(*({"poll": LUNCH, "option": "Sushi", "voter": f"v{n}"} for n in range(50)))
    outcome = votr_proc("vote", "--batch", "-", input=lines)
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == "50 votes recorded, 0 lines rejected\n"
    assert outcome.stderr == ""
    assert "\x1b" not in outcome.stdout
