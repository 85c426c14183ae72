"""`votr show POLL --svg FILE`: show's terminal picture as an SVG document.

The picture is valid XML, names the title and options literally (escaped: `<script>`
and `&` stay text), does not depend on the terminal or the environment, and is written
through a temporary file: an unwritable FILE is exit 1 with the system's reason, with
nothing half-written and nothing left behind. The README's picture, docs/results.svg,
must still be what votr draws for its poll.
"""

from __future__ import annotations

import collections
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import REPO

SVG = "{http://www.w3.org/2000/svg}"
TITLE = "<script>alert('x')</script> & [bold]friends[/]"
OPTIONS = ("fish & chips", "<b>tacos</b>", ":pizza:")


def _lines(svg: str) -> list[str]:
    """The picture's text, line by line as the terminal showed it, spacing left out (rich
    places each run of text by its own x, and splits runs where the colour changes)."""
    rows = collections.defaultdict(list)
    for element in ET.fromstring(svg).iter(f"{SVG}text"):
        rows[float(element.get("y"))].append(element.text or "")
    lines = ("".join(rows[y]) for y in sorted(rows))
    return [re.sub(r"\s+", "", line) for line in lines if line.strip()]


def _text(svg: str) -> str:
    return "\n".join(_lines(svg))


@pytest.fixture
def poll(votr):
    assert votr("create", TITLE, *OPTIONS).exit_code == 0
    assert votr("vote", TITLE, "fish & chips", "--voter", "ann").exit_code == 0
    return TITLE


def test_the_picture_is_xml_naming_the_title_and_options_literally(votr, poll, tmp_path):
    target = tmp_path / "results.svg"
    done = votr("show", poll, "--svg", str(target))
    assert (done.exit_code, done.stdout, done.stderr) == (0, f"wrote {target}\n", "")
    svg = target.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "<script" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "&amp;" in svg
    text = _text(svg)  # parses, or raises
    for name in (TITLE, *OPTIONS):
        assert re.sub(r"\s+", "", name) in text
    assert "Leading:fish&chips" in text and "100.0%" in text


def test_json_reports_the_file_and_stdout_gets_the_picture_with_a_dash(votr, poll, tmp_path):
    target = tmp_path / "results.svg"
    done = votr("show", poll, "--svg", str(target), "--json")
    assert done.exit_code == 0
    assert json.loads(done.stdout) == {"message": f"wrote {target}", "file": str(target)}

    to_stdout = votr("show", poll, "--svg", "-")
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout == target.read_text(encoding="utf-8")

    both = votr("show", poll, "--svg", "-", "--json")
    assert both.exit_code == 2 and both.stdout == ""


def test_the_picture_does_not_depend_on_the_terminal_or_environment(votr, poll, tmp_path):
    plain = votr("show", poll, "--svg", "-").stdout
    elsewhere = votr("show", poll, "--svg", "-", env={"NO_COLOR": "1", "COLUMNS": "40", "TERM": "dumb"}).stdout
    assert plain == elsewhere
    assert "fill=\"#" in plain  # in colour


def test_hidden_results_stay_hidden_in_the_picture(votr, tmp_path):
    assert votr("create", "Quiet poll", "yes", "no", "--results", "voted").exit_code == 0
    assert votr("vote", "Quiet poll", "yes", "--voter", "ann").exit_code == 0
    hidden = _text(votr("show", "Quiet poll", "--svg", "-", "--voter", "bo").stdout)
    assert "Resultshiddenuntilyouvote" in hidden and "%" not in hidden and "Leading" not in hidden
    shown = _text(votr("show", "Quiet poll", "--svg", "-", "--voter", "ann").stdout)
    assert "Leading:yes" in shown


def test_a_file_is_replaced_whole_and_nothing_is_left_beside_it(votr, poll, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "results.svg"
    target.write_text("old picture")
    os.chmod(target, 0o600)
    assert votr("show", poll, "--svg", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("<svg")
    assert os.listdir(folder) == ["results.svg"]  # the temporary file was renamed over it


def test_a_poll_that_is_not_found_leaves_the_file_alone(votr, tmp_path):
    target = tmp_path / "results.svg"
    target.write_text("old picture")
    done = votr("show", "No such poll", "--svg", str(target))
    assert done.exit_code == 3 and done.stdout == ""
    assert target.read_text() == "old picture"


@pytest.mark.parametrize("where", ["missing folder", "folder", "symlink", "device", "name too long"])
def test_an_unwritable_file_is_exit_1_with_the_reason_and_nothing_written(votr, poll, tmp_path, where):
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = out / "elsewhere.txt"
    elsewhere.write_text("keep me")
    if where == "missing folder":
        target, reason = out / "no" / "such" / "results.svg", "No such file or directory"
    elif where == "folder":
        target, reason = out, "it is a folder"
    elif where == "symlink":
        target, reason = out / "link.svg", "it is a symbolic link"
        target.symlink_to(elsewhere)
    elif where == "device":
        target, reason = Path("/dev/full"), "it is not a regular file"
    else:  # the temporary file cannot be made (the system refuses it, whoever runs the test)
        target, reason = out / ("x" * 300 + ".svg"), "File name too long"
    before = sorted(p.name for p in out.iterdir())
    done = votr("show", poll, "--svg", str(target))
    assert done.exit_code == 1 and done.stdout == ""
    assert done.stderr.startswith(f"Error: cannot write {target}: ") and reason in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert sorted(p.name for p in out.iterdir()) == before
    assert elsewhere.read_text() == "keep me"


def test_the_readme_picture_is_what_votr_draws_for_its_poll(votr):
    """docs/results.svg is drawn from docs/results-poll.json by scripts/results-svg. It
    must show what votr draws for that poll now, character for character (colours, the
    spacing of runs and rich's SVG template may differ): else run scripts/results-svg."""
    assert votr("import", str(REPO / "docs" / "results-poll.json")).exit_code == 0
    drawn = votr("show", "k3v9x2ab", "--svg", "-", env={"TZ": "UTC"})  # as scripts/results-svg draws it
    assert drawn.exit_code == 0
    committed = (REPO / "docs" / "results.svg").read_text(encoding="utf-8")

    def undated(lines: list[str]) -> list[str]:
        # How long ago the poll closed changes with the day the test runs: left out.
        return [re.sub(r"\(closed.*?ago\)|\(closedjustnow\)", "(closed…)", line) for line in lines]

    assert undated(_lines(committed)) == undated(_lines(drawn.stdout)), \
        "docs/results.svg is stale: run scripts/results-svg"
    assert "![" in (readme := (REPO / "README.md").read_text()) and "(docs/results.svg)" in readme
