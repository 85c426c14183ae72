"""PATCH /api/poll/vote answered below Flask (http._FastVotes) answers exactly as Flask's
own view does: the same status, headers and body for every kind of vote request, good and
bad. Two apps on two databases holding the same polls get the same requests in the same
order: one as `votr serve` runs it, one with Flask alone. Polls' public ids are random,
so each side's are replaced by a placeholder before the bodies are compared (they have
one length, so Content-Length is compared as it is)."""

from __future__ import annotations

import json

import flask
import pytest

from votr_cli.frontends import http as api
from votr_cli.frontends import settings
from votr_cli.service import invites as invite_service
from votr_cli.service import polls as service

HOST = "127.0.0.1:8000"
TOKEN = "admin-token-0123456789"

JSON = {"Content-Type": "application/json"}


def _vote_requests(invite_token: str) -> list[tuple[str, dict, bytes | str]]:
    """(what it is, headers, body): each kind of vote request, in the order sent."""
    def body(**fields) -> str:
        return json.dumps(fields)

    admin = {**JSON, "Authorization": f"Bearer {TOKEN}"}
    return [
        ("a vote", admin, body(poll_title="Lunch", option="sushi", voter="ann")),
        ("a second vote", admin, body(poll_title="Lunch", option="pizza", voter="ann")),
        ("a vote by poll id", admin, body(poll_id="{Lunch}", option="pizza", voter="bob")),
        ("a name in other case and spacing", admin, body(poll_title=" lunch ", option="SUSHI", voter=" Cy ")),
        ("a charset in the content type", {**admin, "Content-Type": "application/json; charset=utf-8"},
         body(poll_title="Lunch", option="sushi", voter="dee")),
        ("non-ASCII text", admin, body(poll_title="Lunch", option="sushi", voter="Zoë 🍣")),
        ("an unknown poll", admin, body(poll_title="Lnuch", option="sushi", voter="eve")),
        ("an unknown option", admin, body(poll_title="Lunch", option="tacos", voter="eve")),
        ("a closed poll", admin, body(poll_title="Closed", option="yes", voter="eve")),
        ("ranked choices", admin, body(poll_title="Ranked", options=["b", "a", "c"], voter="eve")),
        ("a ranking with a repeat", admin, body(poll_title="Ranked", options=["b", "b"], voter="fay")),
        ("option and options", admin, body(poll_title="Lunch", option="sushi", options=["sushi"], voter="gil")),
        ("no voter", admin, body(poll_title="Lunch", option="sushi")),
        ("a voter of the wrong type", admin, body(poll_title="Lunch", option="sushi", voter=7)),
        ("not JSON", admin, "{poll_title: Lunch"),
        ("a JSON array", admin, "[]"),
        ("an empty body", admin, ""),
        ("invalid UTF-8", admin, b'{"poll_title": "\xff"}'),
        ("an invite token", {**JSON, "Authorization": f"Bearer {invite_token}"},
         body(poll_title="Invited", option="yes")),
        ("an invite token naming another voter", {**JSON, "Authorization": f"Bearer {invite_token}"},
         body(poll_title="Invited", option="yes", voter="mallory")),
        ("a forged invite token", {**JSON, "Authorization": "Bearer forged"}, body(poll_title="Invited", option="yes")),
        ("the operator naming an invited voter", admin, body(poll_title="Invited", option="no", voter="ivy")),
        ("the operator naming a voter not invited", admin, body(poll_title="Invited", option="no", voter="zed")),
        ("no token", JSON, body(poll_title="Lunch", option="sushi", voter="hal")),
        ("a form's content type", {**admin, "Content-Type": "text/plain"},
         body(poll_title="Lunch", option="sushi", voter="hal")),
        ("an Origin", {**admin, "Origin": "http://elsewhere.example"},
         body(poll_title="Lunch", option="sushi", voter="hal")),
        ("another Host", {**admin, "Host": "evil.example"}, body(poll_title="Lunch", option="sushi", voter="hal")),
    ]


# The requests Flask must not see: every other one goes to it untouched.
ANSWERED_BELOW_FLASK = {
    "a vote", "a second vote", "a vote by poll id", "a name in other case and spacing",
    "a charset in the content type", "non-ASCII text", "an unknown poll", "an unknown option", "a closed poll",
    "ranked choices", "a ranking with a repeat", "option and options", "no voter", "a voter of the wrong type",
    "not JSON", "a JSON array", "invalid UTF-8", "an invite token", "an invite token naming another voter",
    "a forged invite token", "the operator naming an invited voter", "the operator naming a voter not invited",
}


def _side(url: str, *, fast: bool):
    """An app on its own database with the same polls; how many requests Flask saw; the
    invite token ann holds; the polls' public ids."""
    database = settings.database(url)
    for title, options, extra in (("Lunch", ["sushi", "pizza"], {}), ("Closed", ["yes", "no"], {}),
                                  ("Ranked", ["a", "b", "c"], {"kind": "ranked", "max_choices": 3}),
                                  ("Invited", ["yes", "no"], {"invite_only": True})):
        service.create_poll(database, title, options, **extra)
    service.close_poll(database, "Closed")
    invite, _ = invite_service.invite(database, "Invited", ["ann", "ivy"])
    app = api.create_app(database, TOKEN, api.Access.build([("127.0.0.1", 8000)], "127.0.0.1"))
    if not fast:
        app.wsgi_app = app.wsgi_app.flask_app
    seen = []
    flask.request_started.connect(lambda sender, **_: seen.append(1), app, weak=False)
    ids = {poll["title"]: poll["id"] for poll in service.list_polls(database, "all")}
    return database, app, seen, invite["token"], ids


@pytest.fixture
def sides(database_url, second_database):
    made = [_side(database_url, fast=True), _side(second_database, fast=False)]
    yield made
    for database, *_ in made:
        database.dispose()


def _send(app, ids: dict, headers: dict, body) -> tuple[int, list, str]:
    for title, public_id in ids.items():
        body = body.replace(f"{{{title}}}", public_id) if isinstance(body, str) else body
    headers = {"Host": HOST, **headers}
    response = app.test_client().open("/api/poll/vote", method="PATCH", headers=headers, data=body)
    text = response.get_data(as_text=True)
    for title, public_id in ids.items():
        text = text.replace(public_id, f"<{title}>")
    return response.status_code, sorted(response.headers.items()), text


def test_every_vote_request_is_answered_as_flask_answers_it(sides):
    (_, fast_app, fast_seen, fast_token, fast_ids), (_, flask_app, flask_seen, flask_token, flask_ids) = sides
    for (what, headers, body), (_, flask_headers, flask_body) in zip(_vote_requests(fast_token),
                                                                     _vote_requests(flask_token)):
        before = len(fast_seen)
        fast = _send(fast_app, fast_ids, headers, body)
        expected = _send(flask_app, flask_ids, flask_headers, flask_body)
        assert fast == expected, what
        assert (len(fast_seen) == before) == (what in ANSWERED_BELOW_FLASK), what
    assert len(flask_seen) == len(_vote_requests(""))  # Flask alone saw every one


def test_both_databases_end_alike(sides):
    """What the fast path recorded is what Flask's view recorded."""
    (fast_db, fast_app, _, fast_token, fast_ids), (flask_db, flask_app, _, flask_token, flask_ids) = sides
    for (_, headers, body), (_, flask_headers, flask_body) in zip(_vote_requests(fast_token),
                                                                  _vote_requests(flask_token)):
        _send(fast_app, fast_ids, headers, body)
        _send(flask_app, flask_ids, flask_headers, flask_body)

    def counts(database):
        return [(poll["title"], [(o["name"], o["vote_count"]) for o in poll["options"]], poll["voter_count"])
                for poll in service.list_polls(database, "all")]

    assert counts(fast_db) == counts(flask_db)
    lunch = next(poll for poll in service.list_polls(fast_db, "all") if poll["title"] == "Lunch")
    assert lunch["voter_count"] == 5  # ann, bob, cy, dee, zoë; every refused one left nothing
