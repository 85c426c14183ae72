"""The HTTP layer's own decisions, without a server: statuses, loopback, tokens."""

from __future__ import annotations

import pytest

from votr_cli.frontends import http as api
from votr_cli.core.errors import DatabaseBusy, DatabaseProblem, InvalidInput, NotFound, Refused, SchemaMismatch

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head


@pytest.mark.parametrize(("error", "status"), [
    (InvalidInput, 400), (NotFound, 404), (Refused, 409), (DatabaseBusy, 503),
    (SchemaMismatch, 500), (DatabaseProblem, 500),
])
def test_each_votr_error_has_its_status(error, status):
    assert api.status_for(error("x")) == status


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_needs_no_token(host):
    api.check_token(None, host, 0)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_any_other_address_needs_a_token(host):
    with pytest.raises(InvalidInput, match="without a token"):
        api.check_token(None, host, 0)
    api.check_token("a-token", host, 0)


@pytest.mark.parametrize("token", [" padded", "two words", "tab\there", "bell\a"])
def test_a_token_that_cannot_travel_in_a_header_is_refused(token):
    with pytest.raises(InvalidInput, match="token"):
        api.check_token(token, "127.0.0.1", 0)


def test_an_unresolvable_host_is_invalid_input():
    with pytest.raises(InvalidInput, match="cannot resolve host"):
        api.check_token(None, "no-such-host.invalid", 0)


def test_a_wildcard_address_answers_its_loopback_names_and_allowed_ones_only():
    access = api.Access.build([("0.0.0.0", "5000")], "0.0.0.0", ["lan-box"], ["http://localhost:3000"])
    assert access.host_header_allowed("localhost:5000") and access.host_header_allowed("[::1]:5000")
    assert access.host_header_allowed("lan-box") and access.host_header_allowed("LAN-BOX:8443")
    assert not access.host_header_allowed("192.168.1.9:5000")
    assert not access.host_header_allowed("localhost:5001")
    assert access.origin_kind("http://localhost:3000") == "cors"
    assert access.origin_kind("https://lan-box") == "own"
    assert access.origin_kind("http://localhost:3000/") is None
    assert access.origin_kind("null") is None


def test_each_request_body_is_described_by_the_model_that_reads_it():
    """One description per body: the OpenAPI document's request schemas are the models'
    own, and what a model refuses as missing is what its schema requires."""
    import pytest

    from votr_cli.core.errors import InvalidInput
    from votr_cli.frontends import http_models

    schemas = http_models.openapi_document()["components"]["schemas"]
    for name, body in {"NewPoll": http_models.NEW_POLL, "Vote": http_models.VOTE,
                       "Reopen": http_models.REOPEN}.items():
        assert schemas[name] == body.schema()
        assert set(schemas[name]["properties"]) == {body_field.name for body_field in body.fields}
    with pytest.raises(InvalidInput, match="value for title is empty"):
        http_models.NEW_POLL.read({"options": ["a", "b"]})
    with pytest.raises(InvalidInput, match="value for poll_id or poll_title is empty"):
        http_models.VOTE.read({"option": "a", "voter": "ann"})
    assert http_models.REOPEN.read({}) == {"close_date": None}


def _json_schema(schema):
    """An OpenAPI 3.0 schema as plain JSON Schema: `nullable` becomes a null type."""
    if isinstance(schema, list):
        return [_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: _json_schema(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable"):
        if "type" not in schema:  # oneOf or allOf branches: null beside them
            return {"anyOf": [converted, {"type": "null"}]}
        converted["type"] = [schema["type"], "null"]
    return converted


CHOICE_VALUES = {
    "option": ["Apple", "", None, 3, ["Apple"]],
    "options": [["Apple"], ["Apple", "Banana"], [], None, "Apple", [1], [""]],
    "scores": [{"Apple": 5}, {"Apple": 0, "Banana": 3}, {}, None, {"Apple": "3"}, {"Apple": True},
               {"Apple": 6}, {"Apple": -1}, {"Apple": 2.5}, ["Apple"]],
}
ABSENT = object()


def test_a_votes_choice_is_read_as_its_schema_says():
    """option, options and scores: exactly one given (present and not null), each of its
    type; the reader accepts a body exactly when the OpenAPI schema does, except for
    counts the service judges against the poll (an empty `options` or `scores`, and
    an empty name, which it refuses as it refuses them on the command line)."""
    import itertools

    import jsonschema

    from votr_cli.frontends import http_models

    schema = _json_schema(http_models.VOTE.schema())
    for option, options, scores in itertools.product(*(values + [ABSENT] for values in CHOICE_VALUES.values())):
        body = {"poll_id": "p", "voter": "v"}
        for name, value in (("option", option), ("options", options), ("scores", scores)):
            if value is not ABSENT:
                body[name] = value
        valid = jsonschema.Draft4Validator(schema).is_valid(body)
        try:
            read = http_models.VOTE.read(body)
        except InvalidInput:
            read = None
        left_to_the_service = read is not None and (read["options"] in ([], [""]) or read["scores"] == [])
        assert (read is not None) == valid or (left_to_the_service and not valid), body
        if read is not None:
            given = [name for name in ("option", "options", "scores") if read[name] is not None]
            assert len(given) == 1, body


def test_new_poll_fields_are_strict_json_types():
    from votr_cli.frontends import http_models

    base = {"title": "t", "options": ["a", "b"]}
    assert http_models.NEW_POLL.read(base) == {**base, "close_date": None, "kind": None, "method": None,
                                                   "min_choices": None, "max_choices": None, "allow_change": None,
                                                   "results": None, "secret": None, "quorum": None,
                                                   "invite_only": None}
    read = http_models.NEW_POLL.read({**base, "kind": "ranked", "method": "schulze", "min_choices": 1,
                                      "max_choices": 2})
    assert (read["kind"], read["method"], read["min_choices"], read["max_choices"]) == ("ranked", "schulze", 1, 2)
    for field, value, message in [("kind", "Ranked", "kind must be one of single, multiple, ranked, score"),
                                  ("kind", 2, "kind must be one of"), ("method", "", "method must be one of"),
                                  ("min_choices", True, "min_choices must be a whole number of at least 1, not True"),
                                  ("min_choices", 1.0, "min_choices must be a whole number of at least 1, not 1.0"),
                                  ("max_choices", "2", "max_choices must be a whole number of at least 1, not '2'"),
                                  ("max_choices", 0, "max_choices must be a whole number of at least 1, not 0")]:
        with pytest.raises(InvalidInput, match=message):
            http_models.NEW_POLL.read({**base, field: value})


def test_ballot_policy_fields_are_strict_and_the_schema_agrees():
    import jsonschema

    from votr_cli.frontends import http_models

    base = {"title": "t", "options": ["a", "b"]}
    schema = _json_schema(http_models.NEW_POLL.schema())
    good = [{"allow_change": True}, {"secret": False}, {"results": "voted"}, {"results": "closed"},
            {"quorum": 1}, {"quorum": 2 ** 31 - 1}, {"allow_change": None, "results": None, "secret": None,
                                                     "quorum": None}]
    bad = [{"allow_change": 1}, {"allow_change": "true"}, {"secret": 0}, {"results": "Voted"}, {"results": 3},
           {"quorum": 0}, {"quorum": 2 ** 31}, {"quorum": True}, {"quorum": 1.0}, {"quorum": "1"}]
    for extra in good:
        body = {**base, **extra}
        read = http_models.NEW_POLL.read(body)
        assert all(read[name] == value for name, value in extra.items()), extra
        assert jsonschema.Draft4Validator(schema).is_valid(body), extra
    for extra in bad:
        body = {**base, **extra}
        (name,) = extra
        with pytest.raises(InvalidInput, match=f"^{name} must be"):
            http_models.NEW_POLL.read(body)
        assert not jsonschema.Draft4Validator(schema).is_valid(body), extra
