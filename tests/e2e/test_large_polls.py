"""A poll of 70,000 options, more than one statement may carry as parameters on any
backend (SQLite 32766 variables, PostgreSQL 65535 bind parameters): `create` and `import`
split their statements, so it works on every backend instead of failing with exit 5."""

from __future__ import annotations

import json

import pytest

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

OPTIONS = 70_000


def test_create_export_and_import_a_poll_of_70000_options(votr, tmp_path):
    names = [f"option {number}" for number in range(OPTIONS)]

    created = votr("create", "Huge", *names, "--json")

    assert created.exit_code == 0, created.stderr[-500:]
    assert [choice["name"] for choice in created.json()["poll"]["options"]] == names
    assert votr("vote", "Huge", names[-1], "--voter", "ann").exit_code == 0
    document = tmp_path / "all.json"
    assert votr("export", str(document)).exit_code == 0
    again = votr("--db", f"sqlite:///{tmp_path / 'copy.db'}", "import", str(document), "--json")
    assert again.exit_code == 0, again.stderr[-500:]


def test_import_a_poll_of_70000_options_and_replace_it(votr):
    ids = [f"00000000-0000-4000-8000-{number:012x}" for number in range(OPTIONS)]
    poll = {"id": "k3v9x2ab", "title": "Huge", "status": True, "close_date": None,
            "date_created": "2026-01-01T00:00:00Z",
            "options": [{"option": option, "vote_count": 1, "adopted_count": 1} for option in ids], "ballots": []}
    document = {"format": "votr-export", "version": 1, "polls": [poll],
                "options": [{"id": option, "name": f"option {number}", "date_created": "2026-01-01T00:00:00Z"}
                            for number, option in enumerate(ids)]}

    imported = votr("import", "-", "--json", input=json.dumps(document))

    assert imported.exit_code == 0, imported.stderr[-500:]
    assert votr("show", "k3v9x2ab", "--json").json()["Polls"][0]["total_vote_count"] == OPTIONS
    poll["options"][0]["vote_count"] = poll["options"][0]["adopted_count"] = 5
    replaced = votr("import", "-", "--json", input=json.dumps(document))
    assert replaced.exit_code == 0, replaced.stderr[-500:]
    assert replaced.json()["updated"] == 1
    assert votr("show", "k3v9x2ab", "--json").json()["Polls"][0]["total_vote_count"] == OPTIONS + 4
