"""The batch line reader (votr_cli.frontends.batchfile): each physical line is judged by itself."""

from __future__ import annotations

import json

import pytest

from votr_cli.frontends import batchfile as batch
from votr_cli.core.errors import InvalidInput

VOTE = {"poll": "Lunch?", "option": "Pizza", "voter": "ann"}
LINE = json.dumps(VOTE).encode()


def read(data: bytes, name: str = "<stdin>") -> dict[int, tuple | str]:
    """line number -> (poll, option, voter), or the line's error message."""
    return {line.number: line.error.message if line.error else (line.poll, line.option, line.voter)
            for line in batch.read_lines(name, data)}


OK = ("Lunch?", "Pizza", "ann")


def test_two_objects_on_one_line_are_one_rejected_line():
    lines = read(LINE + b"\n" + LINE + b", " + LINE + b"\n" + LINE + b"\n")
    assert lines[1] == OK and lines[3] == OK
    assert lines[2] == f"not valid JSON (Extra data at column {len(LINE) + 1})"


def test_an_array_split_across_two_lines_rejects_both_lines():
    lines = read(LINE + b"\n[" + LINE + b",\n" + LINE + b"]\n" + LINE + b"\n")
    assert lines[1] == OK and lines[4] == OK
    assert lines[2].startswith("not valid JSON (")
    assert lines[3].startswith("not valid JSON (Extra data")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"])
def test_only_newline_ends_a_line(separator):
    inside = f'{{"poll": "a{separator}b", "option": "x"}}'.encode()  # raw, as json.dumps would not
    lines = read(inside + b"\n" + LINE + b"\n")
    assert sorted(lines) == [1, 2] and lines[2] == OK
    if separator < "\x20":  # a raw control character inside a JSON string is not JSON
        assert lines[1].startswith("not valid JSON (Invalid control character")
    else:  # read as it is; the service refuses or looks it up like any title
        assert lines[1] == (f"a{separator}b", "x", None)


def test_crlf_and_blank_lines_keep_the_physical_numbers():
    lines = read(b"\r\n" + LINE + b"\r\n \t\r\n\n" + LINE + b"\n\n")
    assert lines == {2: OK, 5: OK}


def test_a_lone_carriage_return_does_not_end_a_line():
    assert read(LINE + b"\r" + LINE + b"\n")[1].startswith("not valid JSON (Extra data")


@pytest.mark.parametrize("raw, reason", [
    (b"[" * 100_000, "not valid JSON (nested too deeply)"),
    (b'{"poll": ' + b"1" * 5000 + b', "option": "x"}', "not valid JSON (a number with too many digits)"),
    (b'{"poll": NaN, "option": "x"}', "not valid JSON (NaN is not a JSON number)"),
    (b'{"poll": "a", "option": "x", "voter": Infinity}', "not valid JSON (Infinity is not a JSON number)"),
    (b'{"poll": -Infinity, "option": "x"}', "not valid JSON (-Infinity is not a JSON number)"),
    (b'{"poll": 1e400, "option": "x"}', "not valid JSON (1e400 is out of range)"),
    (b'{"poll": "Lunch?", "option": "Pi\xffzza"}', "not UTF-8 text (invalid start byte at byte 33 of the line)"),
    (b'{"poll": "Lunch?", "option": "\xe2\x82"}', "not UTF-8 text (invalid continuation byte at byte 31 of the line)"),
    (b'{"poll": "Lunch?", "option": "\xed\xa0\x80"}', "not UTF-8 text (invalid continuation byte at byte 31 of the line)"),
    (b"[1, 2]", "expected a JSON object with poll, option, voter"),
])
def test_a_bad_line_fails_alone_with_its_reason(raw, reason):
    lines = read(LINE + b"\n" + raw + b"\n" + LINE)
    assert lines == {1: OK, 2: reason, 3: OK}


def test_escaped_lone_surrogates_and_huge_strings_reach_the_service_as_text():
    # Valid JSON: the service's text rules refuse them (see the e2e tests).
    huge = "x" * 5_000_000
    lines = read(b'{"poll": "\\ud800", "option": "x"}\n' + json.dumps({"poll": huge, "option": "x"}).encode())
    assert lines == {1: ("\ud800", "x", None), 2: (huge, "x", None)}


def test_a_bom_at_the_start_is_ignored_in_both_formats():
    assert read(b"\xef\xbb\xbf" + LINE + b"\n") == {1: OK}
    assert read(b"\xef\xbb\xbfpoll,option,voter\nLunch?,Pizza,ann\n") == {2: OK}
    # Anywhere else it is part of the line.
    assert read(LINE + b"\n\xef\xbb\xbf" + LINE + b"\n")[2].startswith("not valid JSON")


def test_csv_lines_are_physical_and_a_quoted_newline_does_not_join_them():
    lines = read(b'poll,option,voter\n"Lunch?,Pizza,ann\nLunch?",Pizza,bo\nLunch?,Pizza,ann\n')
    assert lines[2] == "not valid CSV (unexpected end of data)"
    assert lines[3] == ('Lunch?"', "Pizza", "bo")  # judged alone: a poll that does not exist
    assert lines[4] == OK


def test_csv_rows_fail_alone():
    lines = read(b"option,poll,voter\n"
                 b"Pizza,Lunch?,ann\n"
                 b"Pizza,Lunch?\n"                  # 3: a field short
                 b"Pizza,Lunch?,ann,extra\n"        # 4: a field over
                 b"Pi\xffzza,Lunch?,ann\n"          # 5: not UTF-8
                 b'"Pizza"x,Lunch?,ann\n'           # 6: text after a closing quote
                 b"Pizza,Lunch?,ann\r" + b"\n"      # 7: CRLF is fine
                 b"Pizza\r,Lunch?,ann\n"            # 8: a lone CR is not a line end
                 + b'"' + b"x" * 200_000 + b'",Lunch?,ann\n'  # 9: over the csv field limit
                 + b",Lunch?,ann\n")                # 10: option is missing
    assert lines[2] == OK and lines[7] == OK
    assert lines[3] == "2 fields where the header row has 3"
    assert lines[4] == "4 fields where the header row has 3"
    assert lines[5] == "not UTF-8 text (invalid start byte at byte 3 of the line)"
    assert lines[6] == "not valid CSV (',' expected after '\"')"
    assert lines[8].startswith("not valid CSV (new-line character seen in unquoted field")
    assert lines[9] == "not valid CSV (field larger than field limit (131072))"
    assert lines[10] == "option is missing"


@pytest.mark.parametrize("data, message", [
    (b"poll,voter\nLunch?,ann\n", "the CSV header row must name the columns poll, option, voter "
                                  "(missing: option; found: poll, voter)"),
    (b"\npoll,opti\xffon\n", "the CSV header row (line 2) is not UTF-8 text "
                             "(invalid start byte at byte 10 of the line)"),
    (b'"poll,option\n', "the CSV header row (line 1) is not valid CSV (unexpected end of data)"),
    (b"", "the CSV header row must name the columns poll, option, voter (missing: poll, option; found: nothing)"),
])
def test_a_csv_file_without_a_usable_header_is_refused_whole(data, message):
    with pytest.raises(InvalidInput) as caught:
        read(data)
    assert caught.value.message == message


@pytest.mark.parametrize("first", [b"{", b"[", b"  [[[", b"\xef\xbb\xbf\n["])
def test_a_file_with_no_telling_name_that_opens_a_json_value_is_json_lines(first):
    # Read from stdin, a line of 100,000 '[' is a JSON line nested too deeply, not a CSV header.
    assert batch.detect_format("<stdin>", first + b"[" * 100_000) == "jsonl"
    assert batch.detect_format("<stdin>", b"poll,option,voter\n") == "csv"


def test_a_header_that_names_no_column_is_quoted_short():
    with pytest.raises(InvalidInput) as refused:
        list(batch.read_lines("votes.csv", b"x" * 100_000 + b"\n"))
    assert len(refused.value.message) < 200
