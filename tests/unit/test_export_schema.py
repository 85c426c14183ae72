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
    poll_id = DEFS["pollFields"]["properties"]["id"]
    assert poll_id["pattern"] == f"^{PUBLIC_ID_SHAPE.pattern}$"
    assert poll_id["minLength"] == poll_id["maxLength"] == PUBLIC_ID_SIZE
    assert DEFS["pollFields"]["properties"]["title"]["maxLength"] == text.MAX_TITLE
    assert DEFS["option"]["properties"]["name"]["maxLength"] == text.MAX_OPTION
    assert DEFS["voter"]["maxLength"] == VOTER_LENGTH
    assert (DEFS["count"]["minimum"], DEFS["count"]["maximum"]) == (0, transfer.MAX_COUNT)
    assert SCHEMA["properties"]["format"]["const"] == transfer.FORMAT
    assert SCHEMA["properties"]["version"]["enum"] == list(transfer.READABLE_VERSIONS)
    assert transfer.VERSION == max(transfer.READABLE_VERSIONS)
    kinds = DEFS["pollKind"]["properties"]
    assert kinds["kind"]["enum"] == list(ballots.KINDS) == list(METHODS_BY_KIND) == list(transfer.CHOICE_KEY)
    assert kinds["method"]["enum"] == [method for methods in METHODS_BY_KIND.values() for method in methods]
    # A ballot's option ids and scores are checked in code (for speed), with the schema's words.
    assert DEFS["uuid"]["description"] == transfer.NOT_AN_ID
    assert transfer.NOT_A_SCORE == f"must be a whole number from {ballots.MIN_SCORE} to {ballots.MAX_SCORE}"
    assert transfer.UUID_SHAPE.pattern in DEFS["uuid"]["pattern"]


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


# -- version 2: poll kinds ----------------------------------------------------------------

OPTION_C, OPTION_D = "3c0b6a1e-9f2d-4c8b-a7e5-2d4f6b8a0c03", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c04"
A, B, C = OPTION_A, OPTION_B, OPTION_C


def kinds(**changes) -> dict:
    """A valid version 2 document: a poll of each kind over options A, B, C (and D, which
    no poll lists); `changes` maps a poll's kind to changes of it."""
    def poll(number, kind, method, least, most, counts, ballots, adopted=(0, 0, 0)):
        return {"id": f"k3v9x2a{'bcde'[number]}", "title": f"{kind} poll", "status": True, "close_date": None,
                "date_created": "2026-01-01T00:00:00Z", "kind": kind, "method": method, "min_choices": least,
                "max_choices": most, "voter_count": len([b for b in ballots if b.get("option", True)]) + sum(adopted),
                "options": [{"option": option, "vote_count": count, "adopted_count": taken}
                            for option, count, taken in zip((A, B, C), counts, adopted)],
                "ballots": [{"voter": voter, **ballot, "date_created": "2026-01-02T00:00:00Z"}
                            for voter, ballot in zip(("ann", "bo", "cy"), ballots)]}

    polls = {
        "single": poll(0, "single", "plurality", 1, 1, [1, 1, 0], [{"option": B}, {"option": None}], (1, 0, 0)),
        "multiple": poll(1, "multiple", "approval", 1, 2, [1, 1, 1], [{"options": [C, A]}, {"options": [B]}]),
        "ranked": poll(2, "ranked", "irv", 1, 3, [0, 1, 1], [{"options": [C, A]}, {"options": [B, A, C]}]),
        "score": poll(3, "score", "star", 1, 3, [5, 3, 2], [{"scores": {A: 5, B: 0, C: 2}}, {"scores": {B: 3}}]),
    }
    for kind, change in changes.items():
        polls[kind].update(change)
    raw = document()
    raw["version"] = 2
    raw["options"] += [{"id": option, "name": name, "date_created": "2026-01-01T00:00:00Z"}
                       for option, name in ((C, "salad"), (D, "soup"))]
    raw["polls"] = list(polls.values())
    return raw


D = OPTION_D


def test_a_version_2_document_is_valid_and_parses_to_what_export_writes():
    raw = kinds()
    jsonschema.Draft202012Validator(SCHEMA).validate(raw)
    single, multiple, ranked, score = transfer.parse(json.dumps(raw))["polls"]
    assert [(poll["kind"], poll["method"], poll["min_choices"], poll["max_choices"], poll["voter_count"])
            for poll in (single, multiple, ranked, score)] == [
        ("single", "plurality", 1, 1, 2), ("multiple", "approval", 1, 2, 2), ("ranked", "irv", 1, 3, 2),
        ("score", "star", 1, 3, 2)]
    # Each ballot as export writes it, and as ballots.choices stores it (core/ballots.py).
    assert [ballot["option"] for ballot in single["ballots"]] == [B, None] and single["stored"] == [None, None]
    assert [ballot["options"] for ballot in multiple["ballots"]] == [[A, C], [B]]  # in the poll's order
    assert multiple["stored"] == ["AC", "B"]
    assert [ballot["options"] for ballot in ranked["ballots"]] == [[C, A], [B, A, C]] and ranked["stored"] == ["CA", "BAC"]
    assert [ballot["scores"] for ballot in score["ballots"]] == [{A: 5, B: 0, C: 2}, {A: 0, B: 3, C: 0}]
    assert score["stored"] == ["502", "030"]


def test_a_version_2_poll_takes_create_s_defaults():
    raw = kinds()
    for poll in raw["polls"]:
        for key in ("method", "min_choices", "max_choices", "voter_count"):
            del poll[key]
    parsed = transfer.parse(json.dumps(raw))["polls"]
    assert [(poll["method"], poll["min_choices"], poll["max_choices"], poll["voter_count"]) for poll in parsed] == [
        ("plurality", 1, 1, 2), ("approval", 1, 3, 2), ("irv", 1, 3, 2), ("star", 1, 3, 2)]


def test_a_version_1_poll_is_a_single_poll_whatever_keys_it_has():
    raw = document(kind="ranked", method="irv", voter_count=7)
    parsed = transfer.parse(json.dumps(raw))["polls"][0]
    assert (parsed["kind"], parsed["method"], parsed["min_choices"], parsed["max_choices"]) == ("single", "plurality", 1, 1)
    assert parsed["voter_count"] == 2  # an adopted vote and ann's


@pytest.mark.parametrize("changes, expected", [
    ({"ranked": {"method": "star"}}, "polls[2]: method 'star' does not fit a ranked poll: use irv or schulze"),
    ({"single": {"method": "approval"}}, "polls[0]: method 'approval' does not fit a single poll: use plurality"),
    ({"ranked": {"min_choices": 3, "max_choices": 2}}, "polls[2]: min choices (3) is more than max choices (2)"),
    ({"ranked": {"max_choices": 4}}, "polls[2]: max choices (4) is more than the poll's 3 options"),
    ({"multiple": {"min_choices": 0}}, "polls[1]: min choices must be a whole number of at least 1, not 0"),
    ({"single": {"max_choices": 2}}, "polls[0].max_choices: a single poll's max_choices is 1, not 2"),
    ({"score": {"max_choices": 2}}, "polls[3].max_choices: a score poll's max_choices is its option count, 3, not 2"),
    ({"score": {"min_choices": 2}}, "polls[3].min_choices: a score poll's min_choices is 1, not 2"),
    ({"single": {"kind": "approval"}}, "polls[0].kind: must be single, multiple, ranked or score, not 'approval'"),
    ({"ranked": {"method": "borda"}}, "polls[2].method: must be plurality, approval, irv, schulze, star or score"),
    ({"ranked": {"max_choices": -1}}, "polls[2].max_choices: must be a whole number from 0 to 2147483647, not -1"),
    ({"multiple": {"ballots": [{"voter": "ann", "options": [A, B, C], "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[1].ballots[0].options: this multiple poll takes from 1 to 2 options, not 3 (the ballot of 'ann')"),
    ({"ranked": {"ballots": [{"voter": "ann", "options": [C, C.upper()], "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[2].ballots[0].options: option 'salad' is given twice (the ballot of 'ann')"),
    ({"ranked": {"ballots": [{"voter": "ann", "options": [], "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[2].ballots[0].options: this ranked poll takes from 1 to 3 options, not 0"),
    ({"ranked": {"ballots": [{"voter": "ann", "options": [A, D], "date_created": "2026-01-02T00:00:00Z"}]}},
     f"polls[2].ballots[0].options: names option {D}, which this poll does not list (the ballot of 'ann')"),
    ({"ranked": {"ballots": [{"voter": "ann", "options": ["pizza"], "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[2].ballots[0].options[0]: must be a UUID, not 'pizza'"),
    ({"ranked": {"ballots": [{"voter": "ann", "options": None, "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[2].ballots[0].options: must be a list"),
    ({"score": {"ballots": [{"voter": "ann", "scores": {A: 6}, "date_created": "2026-01-02T00:00:00Z"}]}},
     f"polls[3].ballots[0].scores.{A}: must be a whole number from 0 to 5, not 6"),
    ({"score": {"ballots": [{"voter": "ann", "scores": {A: "3"}, "date_created": "2026-01-02T00:00:00Z"}]}},
     f"polls[3].ballots[0].scores.{A}: must be a whole number from 0 to 5, not '3'"),
    ({"score": {"ballots": [{"voter": "ann", "scores": {A: True}, "date_created": "2026-01-02T00:00:00Z"}]}},
     f"polls[3].ballots[0].scores.{A}: must be a whole number from 0 to 5, not True"),
    ({"score": {"ballots": [{"voter": "ann", "scores": {A: 2.0}, "date_created": "2026-01-02T00:00:00Z"}]}},
     f"polls[3].ballots[0].scores.{A}: must be a whole number from 0 to 5, not 2.0"),
    ({"score": {"ballots": [{"voter": "ann", "scores": {}, "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[3].ballots[0].scores: a score ballot names at least one option with its score (the ballot of 'ann')"),
    ({"score": {"ballots": [{"voter": "ann", "scores": {A: 1, A.upper(): 2}, "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[3].ballots[0].scores: option 'pizza' is given twice (the ballot of 'ann')"),
    ({"score": {"ballots": [{"voter": "ann", "scores": {"pizza": 1}, "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[3].ballots[0].scores: must be a UUID, not 'pizza'"),
    ({"score": {"ballots": [{"voter": "ann", "options": [A], "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[3].ballots[0].options: a score poll's ballot gives its choice as 'scores', not 'options'"),
    ({"score": {"ballots": [{"voter": "ann", "options": [A], "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[3].ballots[0].scores: is missing"),
    ({"single": {"ballots": [{"voter": "ann", "options": [A], "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[0].ballots[0].options: a single poll's ballot gives its choice as 'option', not 'options'"),
    ({"ranked": {"ballots": [{"voter": "ann", "option": A, "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[2].ballots[0].option: a ranked poll's ballot gives its choice as 'options', not 'option'"),
    ({"ranked": {"options": [{"option": A, "vote_count": 0}, {"option": B, "vote_count": 1},
                             {"option": C, "vote_count": 2}]}},
     "polls[2].options[2].vote_count: 2 is not adopted_count (0) plus what the ballots give the option (1)"),
    ({"score": {"options": [{"option": A, "vote_count": 5}, {"option": B, "vote_count": 0},
                            {"option": C, "vote_count": 2}]}},
     "polls[3].options[1].vote_count: 0 is not adopted_count (0) plus what the ballots give the option (3)"),
    ({"multiple": {"options": [{"option": A, "vote_count": 2, "adopted_count": 1}, {"option": B, "vote_count": 1},
                               {"option": C, "vote_count": 1}]}},
     "polls[1].options[0].adopted_count: must be 0 in a multiple poll: only single polls have votes adopted"),
    ({"multiple": {"voter_count": 3}},
     "polls[1].voter_count: 3 is not the poll's adopted votes (0) plus its ballots that record a choice (2)"),
    ({"single": {"voter_count": 1}},
     "polls[0].voter_count: 1 is not the poll's adopted votes (1) plus its ballots that record a choice (1)"),
    ({"ranked": {"ballots": [{"voter": "ann", "options": [C, A], "date_created": "2026-01-02T00:00:00Z"},
                             {"voter": "ANN", "options": [B, A, C], "date_created": "2026-01-02T00:00:00Z"}]}},
     "polls[2].ballots[1].voter: 'ann' voted twice in this poll"),
    ({"ranked": {"kind": None}}, "polls[2].kind: must be single, multiple, ranked or score, not None"),
])
def test_each_ballot_and_poll_of_version_2_is_checked_as_create_and_vote_check_it(changes, expected):
    message = refusal(json.dumps(kinds(**changes)))
    assert expected in message, message


def test_a_version_2_poll_names_its_kind():
    raw = kinds()
    del raw["polls"][1]["kind"]
    assert "polls[1].kind: is missing" in refusal(json.dumps(raw))


def test_an_option_scored_twice_is_refused_though_json_keeps_one_score():
    raw = json.dumps(kinds()).replace(f'"scores": {{"{B}": 3}}', f'"scores": {{"{B}": 3, "{B}": 3}}')
    assert "polls[3].ballots[1].scores: option 'sushi' is scored twice (the ballot of 'bo')" in refusal(raw)


def test_a_refused_ballot_is_named_once_not_again_in_its_polls_counters():
    raw = kinds(ranked={"ballots": [{"voter": "ann", "options": [C, C], "date_created": "2026-01-02T00:00:00Z"},
                                    {"voter": "bo", "options": [B, A, C], "date_created": "2026-01-02T00:00:00Z"}]})
    assert refusal(json.dumps(raw)).startswith("not a valid votr export (1 problem, ")


def test_votes_adding_up_to_more_voters_than_a_column_holds_are_refused():
    raw = document(options=[{"option": OPTION_A, "vote_count": transfer.MAX_COUNT, "adopted_count": transfer.MAX_COUNT},
                            {"option": OPTION_B, "vote_count": 1, "adopted_count": 1}], ballots=[])
    assert "polls[0].options: its votes come from 2147483648 voters, more than 2147483647" in refusal(json.dumps(raw))


def test_a_hostile_score_key_is_quoted_cut_short():
    raw = kinds(score={"ballots": [{"voter": "ann", "scores": {"\x1b" + "k" * 100_000: 1},
                                    "date_created": "2026-01-02T00:00:00Z"}]})
    message = refusal(json.dumps(raw))
    assert "polls[3].ballots[0].scores: must be a UUID, not '\\x1bkkk" in message and len(message) < 2000


# -- version 3: ballot policies and secret polls ------------------------------------------


def policies(**changes) -> dict:
    """A valid version 3 document: the polls of `kinds` with policies, the ranked one
    secret (its voters and ballots apart); `changes` maps a poll's kind to changes of it."""
    raw = kinds()
    raw["version"] = 3
    single, multiple, ranked, score = raw["polls"]
    single.update(allow_change=True, results="voted", secret=False, quorum=None)
    multiple.update(allow_change=False, results="closed", secret=False, quorum=3)
    ranked.update(allow_change=False, results="always", secret=True, quorum=1,
                  voters=["bo", "ann"], ballots=[{"options": [C, A]}, {"options": [B, A, C]}])
    for kind, change in changes.items():
        raw["polls"][("single", "multiple", "ranked", "score").index(kind)].update(change)
    return raw


def test_a_version_3_document_is_valid_and_parses_to_what_export_writes():
    raw = policies()
    jsonschema.Draft202012Validator(SCHEMA).validate(raw)
    single, multiple, ranked, score = transfer.parse(json.dumps(raw))["polls"]
    assert [(poll["allow_change"], poll["results"], poll["secret"], poll["quorum"])
            for poll in (single, multiple, ranked, score)] == [
        (True, "voted", False, None), (False, "closed", False, 3), (False, "always", True, 1),
        (False, "always", False, None)]  # the defaults, where a poll gives none
    # Two lists, each sorted on its own: voters by name, ballots by their options' positions.
    assert ranked["voters"] == ["ann", "bo"]
    assert ranked["ballots"] == [{"options": [B, A, C]}, {"options": [C, A]}] and ranked["stored"] == ["BAC", "CA"]
    assert "voters" not in single and ranked["voter_count"] == 2


def test_versions_1_and_2_have_no_policies_whatever_keys_they_have():
    raw = kinds(ranked={"secret": True, "allow_change": True, "quorum": 0})
    for poll in transfer.parse(json.dumps(raw))["polls"]:
        assert (poll["allow_change"], poll["results"], poll["secret"], poll["quorum"]) == (False, "always", False, None)


def test_the_order_of_a_secret_polls_ballots_does_not_matter():
    raw = policies(ranked={"ballots": [{"options": [B, A, C]}, {"options": [C, A]}], "voters": ["ann", "bo"]})
    assert transfer.parse(json.dumps(raw)) == transfer.parse(json.dumps(policies()))


@pytest.mark.parametrize("changes, expected", [
    ({"ranked": {"allow_change": True}}, "polls[2]: a secret poll cannot allow vote changes"),
    ({"ranked": {"voters": ["ann"]}},
     "polls[2].voters: the poll lists 1 voter and 2 ballots: a secret poll has one ballot for each voter"),
    ({"ranked": {"voters": ["ann", "bo", "cy"], "voter_count": 3}},
     "polls[2].voters: the poll lists 3 voters and 2 ballots"),
    ({"ranked": {"voter_count": 3}}, "polls[2].voter_count: 3 is not the poll's adopted votes (0) plus its ballots"),
    ({"ranked": {"voters": ["Ann", "ANN"]}}, "polls[2].voters[1]: 'ann' is listed twice in this poll's voters"),
    ({"ranked": {"voters": ["ann", "b\x00"]}}, "polls[2].voters[1]: voter contains a control character (U+0000)"),
    ({"ranked": {"voters": ["ann", 7]}}, "polls[2].voters[1]: must be text, not 7"),
    ({"ranked": {"voters": "ann"}}, "polls[2].voters: must be a list"),
    ({"ranked": {"ballots": [{"voter": "ann", "options": [C, A]}, {"options": [B]}]}},
     "polls[2].ballots[0].voter: a secret poll's ballot has no voter"),
    ({"ranked": {"ballots": [{"options": [C, A], "date_created": "2026-01-02T00:00:00Z"}, {"options": [B]}]}},
     "polls[2].ballots[0].date_created: a secret poll's ballot has no date"),
    ({"ranked": {"ballots": [{"options": [C, C]}, {"options": [B]}]}},
     "polls[2].ballots[0].options: option 'salad' is given twice"),
    ({"ranked": {"ballots": [{"option": C}, {"options": [B]}]}},
     "polls[2].ballots[0].option: a ranked poll's ballot gives its choice as 'options', not 'option'"),
    ({"ranked": {"kind": "single", "method": "plurality", "min_choices": 1, "max_choices": 1,
                 "ballots": [{"option": None}, {"option": B}]}},
     "polls[2].ballots[0].option: must be a UUID, not None"),
    ({"ranked": {"kind": "single", "method": "plurality", "min_choices": 1, "max_choices": 1,
                 "ballots": [{}, {"option": B}]}},
     "polls[2].ballots[0].option: is missing"),
    ({"single": {"secret": True, "allow_change": False, "voters": ["bo"], "ballots": [{"option": B}]}},
     "polls[0].options[0].adopted_count: must be 0 in a secret poll"),
    ({"single": {"voters": ["ann"]}}, "polls[0].voters: only a secret poll lists its voters apart from its ballots"),
    ({"single": {"results": "never"}}, "polls[0].results: must be always, voted or closed, not 'never'"),
    ({"single": {"quorum": 0}}, "polls[0].quorum: must be null or a whole number of voters from 1 to 2147483647"),
    ({"single": {"quorum": 2**31}}, "polls[0].quorum: must be null or a whole number of voters from 1 to 2147483647"),
    ({"single": {"allow_change": "yes"}}, "polls[0].allow_change: must be true or false, not 'yes'"),
])
def test_each_policy_and_secret_poll_of_version_3_is_checked(changes, expected):
    message = refusal(json.dumps(policies(**changes)))
    assert expected in message, message


def test_the_schemas_policies_are_the_codes():
    from votr_cli.core import polls

    assert DEFS["policies"]["properties"]["results"]["enum"] == list(polls.RESULTS)
    assert set(DEFS["policies"]["properties"]) == set(polls.Policy._fields)
    quorum = DEFS["policies"]["properties"]["quorum"]["anyOf"][1]
    assert (quorum["minimum"], quorum["maximum"]) == (1, transfer.MAX_COUNT)
