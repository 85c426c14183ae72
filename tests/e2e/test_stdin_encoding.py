"""Bytes on stdin follow the rules of the same bytes in a named file, for every command
that reads one (`vote --batch -`, `import -`): a BOM at the start is ignored, and text that
is not UTF-8 is refused by the same rule, with the same exit code, whatever the locale.

Real processes: what differs between the two is the interpreter's own decoding of stdin,
which depends on the locale (under C/POSIX it hands bad bytes over as lone surrogates)."""

from __future__ import annotations

import json

import pytest

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

BOM = b"\xef\xbb\xbf"
LOCALES = pytest.mark.parametrize("env", [{}, {"LC_ALL": "C", "LANG": "C"}], ids=["utf8-locale", "c-locale"])


def vote_line(poll: str, voter: str, option: str = "Pizza") -> bytes:
    return json.dumps({"poll": poll, "option": option, "voter": voter}).encode()


def batch(poll: str) -> bytes:
    return (BOM + vote_line(poll, "ann") + b"\n"
            + vote_line(poll, "b\xffo").replace(b"\\u00ff", b"\xff") + b"\n"  # not UTF-8
            + vote_line(poll, "cy", "Sushi") + b"\n")


@LOCALES
def test_a_batch_on_stdin_is_judged_as_the_same_named_file(votr_proc, tmp_path, env):
    for poll in ("From file", "From pipe"):
        assert votr_proc("create", poll, "Pizza", "Sushi", env=env).exit_code == 0
    named = tmp_path / "votes"  # no suffix: the format comes from the content, after the BOM
    named.write_bytes(batch("From file"))
    from_file = votr_proc("vote", "--batch", str(named), "--json", env=env)
    from_stdin = votr_proc("vote", "--batch", "-", "--json", input=batch("From pipe"), env=env)
    column = batch("From pipe").split(b"\n")[1].index(b"\xff") + 1
    for outcome in (from_file, from_stdin):
        assert outcome.exit_code == 1, outcome.stderr
        assert outcome.json() == {
            "message": "2 votes recorded, 1 line rejected", "lines": 3, "accepted": 2, "exit_code": 1,
            "rejected": [{"line": 2, "exit_code": 1,
                          "error": f"not UTF-8 text (invalid start byte at byte {column} of the line)"}]}
    listed = votr_proc("list", "--json", env=env).json()["Polls"]
    assert [{c["name"]: c["vote_count"] for c in poll["options"]} for poll in listed] == [{"Pizza": 1, "Sushi": 1}] * 2


@pytest.fixture
def exported(votr_proc, tmp_path) -> bytes:
    """An export of one poll with a ballot, from a SQLite file beside the test's database."""
    source = ["--db", f"sqlite:///{tmp_path / 'source.db'}"]
    assert votr_proc(*source, "create", "Lunch?", "Pizza", "Sushi").exit_code == 0
    assert votr_proc(*source, "vote", "Lunch?", "Sushi", "--voter", "ann").exit_code == 0
    outcome = votr_proc(*source, "export")
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.stdout.encode()


@LOCALES
def test_an_import_on_stdin_with_a_bom_is_read_as_the_same_named_file(votr_proc, exported, tmp_path, env):
    named = tmp_path / "all.json"
    named.write_bytes(BOM + exported)
    from_file = votr_proc("--db", f"sqlite:///{tmp_path / 'target.db'}", "import", str(named), "--json", env=env)
    from_stdin = votr_proc("import", "-", "--json", input=BOM + exported, env=env)  # the selected backend
    for outcome in (from_file, from_stdin):
        assert outcome.exit_code == 0, outcome.stderr
        assert outcome.json()["added"] == 1
    polls = votr_proc("list", "--json", env=env).json()["Polls"]
    assert [(poll["title"], {c["name"]: c["vote_count"] for c in poll["options"]}) for poll in polls] == [
        ("Lunch?", {"Pizza": 0, "Sushi": 1})]


@LOCALES
def test_an_import_on_stdin_that_is_not_utf8_is_refused_as_the_same_named_file(votr_proc, exported, tmp_path, env):
    broken = exported.replace(b"Lunch?", b"Lunch\xff?")
    named = tmp_path / "all.json"
    named.write_bytes(broken)
    from_file = votr_proc("import", str(named), "--json", env=env)
    from_stdin = votr_proc("import", "-", "--json", input=broken, env=env)
    for outcome, where in ((from_file, str(named)), (from_stdin, "stdin")):
        assert outcome.exit_code == 1, outcome.stderr
        assert outcome.error().startswith(f"{where} is not UTF-8 text (invalid start byte at byte ")
        assert outcome.error().endswith("); nothing was imported")
    assert votr_proc("list", "--json", env=env).json()["Polls"] == []
