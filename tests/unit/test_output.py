"""The renderers: each kind of result's JSON, plain and rich forms, and the streamed listing."""

import io
import json

import pytest
from rich.console import Console

from votr_cli.core.errors import DatabaseProblem
from votr_cli.frontends import output


def _poll(public_id="k3v9x2ab", title="Lunch?", votes=(("pizza", 2), ("soup", 1)), status=True):
    return {"id": public_id, "title": title, "status": status, "close_date": None,
            "total_vote_count": sum(count for _, count in votes),
            "options": [{"name": name, "vote_count": count} for name, count in votes]}


def _rendered(result, as_json, monkeypatch) -> str:
    out = io.StringIO()  # not a terminal: plain lines, unless as_json
    monkeypatch.setattr("sys.stdout", out)
    output.render(result, as_json)
    return out.getvalue()


def _rich(renderer, data) -> str:
    out = io.StringIO()
    renderer.rich(data, Console(file=out, force_terminal=True, width=100,
                                highlight=False, markup=False, emoji=False))
    return out.getvalue()


def test_a_streamed_listings_first_row_error_comes_before_any_output(monkeypatch):
    written = io.StringIO()
    monkeypatch.setattr("sys.stdout", written)

    def rows():
        raise DatabaseProblem("no such table: topics")
        yield  # a generator, as the service's listing is

    with pytest.raises(DatabaseProblem):
        output.Result(output.POLL_LISTING, {"Polls": rows()})
    assert written.getvalue() == ""


def test_a_streamed_listing_is_read_lazily_after_its_first_row():
    read = []

    def rows():
        for number in range(3):
            read.append(number)
            yield _poll(public_id=f"id{number}")

    result = output.Result(output.POLL_LISTING, {"Polls": rows()})
    assert read == [0]
    assert output.POLL_LISTING.streams and not output.POLL_DETAIL.streams
    assert [poll["id"] for poll in result.data["Polls"]] == ["id0", "id1", "id2"]


@pytest.mark.parametrize("polls", [[], [_poll()], [_poll("a", "[bold]x"), _poll("b", "tab\there\u202e")]])
def test_a_streamed_listing_writes_the_bytes_of_the_whole_document(polls, monkeypatch):
    streamed = _rendered(output.Result(output.POLL_LISTING, {"Polls": iter(polls)}), True, monkeypatch)
    assert streamed == output.dumps({"Polls": polls}) + "\n"
    assert json.loads(streamed) == {"Polls": polls}


def test_plain_lines_escape_stored_control_characters(monkeypatch):
    hostile = _poll(title="evil\x1b[2J\ttitle\nsecond line")
    lines = _rendered(output.Result(output.POLL_LISTING, {"Polls": [hostile]}), False, monkeypatch)
    assert "\x1b" not in lines
    assert lines.count("\n") == 1 and lines.count("\t") == 8  # one record, nine fields


def test_rich_forms_show_markup_as_text():
    rendered = _rich(output.POLL_MESSAGE, {"message": "Thank you for voting",
                                           "poll": _poll(title="[bold red]shout[/]")})
    assert "[bold red]shout[/]" in rendered


def test_only_the_upgrade_report_lists_adoption_repairs(monkeypatch):
    report = {"message": "Adopted votr.db.", "notes": ["no backup: in memory"],
              "repairs": [{"message": "poll 'x': counter set to 2"}]}
    assert _rendered(output.Result(output.REPORT, report), False, monkeypatch) == (
        "Adopted votr.db.\nno backup: in memory\n")
    assert _rendered(output.Result(output.UPGRADE_REPORT, report), False, monkeypatch).endswith(
        "repaired: poll 'x': counter set to 2\n")
    assert "repaired: poll 'x'" in _rich(output.UPGRADE_REPORT, report)
    assert "repaired" not in _rich(output.REPORT, report)


def test_every_renderer_has_a_plain_form_of_its_own():
    renderers = [value for value in vars(output).values() if isinstance(value, output.Renderer)]
    assert len(renderers) == len({type(renderer) for renderer in renderers}) == 16
    for renderer in renderers:
        assert type(renderer).plain is not output.Renderer.plain


def test_what_a_command_did_is_said_by_its_renderer():
    poll = {"id": "k3v9x2ab", "title": "Lunch", "status": True, "options": [], "close_date": None,
            "total_vote_count": 0}
    assert output.POLL_MESSAGE.done({"message": "Thank you for voting", "poll": poll}) == \
        "the vote was recorded (poll k3v9x2ab)"
    assert output.REPORT.done({"message": "Imported 2 polls."}) == "Imported 2 polls"
    assert output.POLL_LISTING.done({"Polls": []}) is None


def test_a_completion_script_is_written_as_it_is_on_a_terminal_too(monkeypatch):
    # Long lines and shell syntax such as [[ $word == \"* ]] reach the terminal unwrapped
    # and unstyled, so that what is copied from it can be sourced.
    script = "f() {\n    [[ $word == \\\"* ]] && printf -v value '%q' \"$value\"" + " x" * 80 + "\n}\n"
    data = {"shell": "bash", "script": script}
    assert _rich(output.SCRIPT, data) == ""
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    output.SCRIPT.rich(data, Console(file=io.StringIO(), force_terminal=True, width=40))
    assert out.getvalue() == script
    assert _rendered(output.Result(output.SCRIPT, data), False, monkeypatch) == script
