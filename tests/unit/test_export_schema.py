"""The export's JSON Schema (votr_cli/ops/export.schema.json) is the one description of
the document: a valid 2020-12 schema, whose limits are the code's own constants, that
accepts what `votr export` writes."""

from __future__ import annotations

import importlib.resources
import json

import jsonschema
import pytest

from votr_cli.core import ballots, text
from votr_cli.core.counting import METHODS_BY_KIND
from votr_cli.core.errors import InvalidInput
from votr_cli.db.tables import SCHEMA_HEAD, VOTER_LENGTH
from votr_cli.ops import transfer
from votr_cli.core.ids import PUBLIC_ID_SHAPE, PUBLIC_ID_SIZE

SCHEMA = json.loads(importlib.resources.files("votr_cli.ops").joinpath(transfer.SCHEMA_FILE).read_text("utf-8"))
DEFS = SCHEMA["$defs"]
OPTION_A, OPTION_B = "6f1c0a52-3a4e-4a43-9d3c-8b7f0e2d6a01", "0d9e8c44-5b1a-4f6e-8a2d-1c3b5e7f9a02"


def document(**poll_changes) -> dict:
    poll = {"id": "k3v9x2ab", "title": "Lunch?", "status": True, "close_date": None,
            "date_created": "2026-01-01T00:00:00Z",
            "options": [{"option": OPTION_A, "vote_count": 2, "adopted_count": 1},
                        {"option": OPTION_B, "vote_count": 0, "adopted_count": 0}],
            "ballots": [{"voter": "ann", "option": OPTION_A, "date_created": "2026-01-02T00:00:00Z"}]}
    poll.update(poll_changes)
    return {"format": "votr-export", "version": 1, "exported_at": "2026-01-03T00:00:00Z", "schema": SCHEMA_HEAD,
            "options": [{"id": OPTION_A, "name": "pizza", "date_created": "2026-01-01T00:00:00Z"},
                        {"id": OPTION_B, "name": "sushi", "date_created": "2026-01-01T00:00:00Z"}],
            "polls": [poll]}


def refusal(raw: str) -> str:
    with pytest.raises(InvalidInput) as refused:
        transfer.parse(raw)
    message = refused.value.message
    assert "\n" not in message and "nothing was imported" in message
    return message


def test_the_schema_is_a_valid_draft_2020_12_schema():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_schemas_limits_are_the_codes_constants():
    poll_id = DEFS["poll"]["properties"]["id"]
    assert poll_id["pattern"] == f"^{PUBLIC_ID_SHAPE.pattern}$"
    assert poll_id["minLength"] == poll_id["maxLength"] == PUBLIC_ID_SIZE
    assert DEFS["poll"]["properties"]["title"]["maxLength"] == text.MAX_TITLE
    assert DEFS["option"]["properties"]["name"]["maxLength"] == text.MAX_OPTION
    assert DEFS["ballot"]["properties"]["voter"]["maxLength"] == VOTER_LENGTH
    assert (DEFS["count"]["minimum"], DEFS["count"]["maximum"]) == (0, transfer.MAX_COUNT)
    assert SCHEMA["properties"]["format"]["const"] == transfer.FORMAT
    assert SCHEMA["properties"]["version"]["enum"] == list(transfer.READABLE_VERSIONS)
    assert transfer.VERSION == max(transfer.READABLE_VERSIONS)
    kinds = DEFS["pollV2"]["allOf"][1]["properties"]
    assert kinds["kind"]["enum"] == list(ballots.KINDS) == list(METHODS_BY_KIND) == list(transfer.CHOICE_KEY)
    assert kinds["method"]["enum"] == [method for methods in METHODS_BY_KIND.values() for method in methods]
    assert (DEFS["score"]["minimum"], DEFS["score"]["maximum"]) == (ballots.MIN_SCORE, ballots.MAX_SCORE)


def test_a_document_as_votr_writes_it_is_valid_and_parses():
    jsonschema.Draft202012Validator(SCHEMA).validate(document())
    parsed = transfer.parse(json.dumps(document()))
    assert parsed["polls"][0]["ballots"] == [{"voter": "ann", "option": OPTION_A,
                                              "date_created": "2026-01-02T00:00:00Z"}]


def test_every_problem_is_named_by_its_json_path_in_one_line():
    raw = document(status="yes", close_date=7, options=[{"option": OPTION_A.upper(), "vote_count": 1.0}],
                   ballots=[{"voter": "ann", "option": "zz", "date_created": "2026-02-30T00:00:00"}, "x"])
    raw["polls"].append({"id": "x"})
    message = refusal(json.dumps(raw))
    for problem in ["polls[0].status: must be true or false, not 'yes'",
                    "polls[0].close_date: must be null or an ISO-8601 date-time",
                    "polls[0].options: a poll needs at least 2 options, not 1",
                    "polls[0].options[0].vote_count: must be a whole number from 0 to 2147483647, not 1.0",
                    "polls[0].ballots[0].option: must be a UUID",
                    "polls[0].ballots[0].date_created: is not a real date-time",
                    "polls[0].ballots[1]: must be an object",
                    "polls[1].options: is missing"]:
        assert problem in message, problem
    assert "and 2 more" in message  # ten are shown, and how many more there are


def test_a_uuid_in_capitals_is_read_in_the_form_votr_writes():
    raw = document()
    raw["options"][0]["id"] = OPTION_A.upper()
    assert transfer.parse(json.dumps(raw))["options"][0]["id"] == OPTION_A


def test_a_newline_after_a_poll_id_is_refused():
    # A JSON Schema `$` (Python's re) matches before a final newline: the length holds it.
    assert "polls[0].id: a poll id is 8 characters" in refusal(json.dumps(document(id="k3v9x2ab\n")))


@pytest.mark.parametrize("raw, expected", [
    # Deep, but not too deep for the JSON reader: the schema stops at the first level.
    (json.dumps(document()).replace('"ballots": [', '"ballots": [' + "[" * 900 + "]" * 900 + ", ", 1),
     "polls[0].ballots[0]: must be an object, not a list"),
    # Twenty thousand bad ballots are still one short line.
    (json.dumps(document(ballots=[{"voter": 1}] * 20_000)), "and 39991 more"),
    (json.dumps(document(title="x" * 1_000_000)), "polls[0].title: is longer than 500 characters"),
    (json.dumps(document()).replace('"vote_count": 2', '"vote_count": ' + "9" * 4000), "not 99999"),
    (json.dumps(document()).replace('"ann"', '"\\udfff"'), "polls[0].ballots[0].voter: voter is not valid UTF-8"),
], ids=["deep", "many problems", "long title", "long number", "lone surrogate"])
def test_hostile_documents_are_one_short_line(raw, expected):
    message = refusal(raw)
    assert expected in message
    assert len(message) < 2000
