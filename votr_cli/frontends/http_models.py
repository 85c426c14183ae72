"""The HTTP API's one description: request bodies, responses and endpoints.

`votr serve` serves the OpenAPI document built here (`openapi_document()`), so an
endpoint, its body and its statuses are declared once. The schemas are OpenAPI 3.0
(`nullable`), which schemathesis (tests/api/test_http_schema.py) checks the live server
against. Add an endpoint by adding an Endpoint to ENDPOINTS and its view to http.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLOSE_DATE = {'description': "When the poll closes: an ISO-8601 date-time (naive means the server's local time), a "
                'duration from now (`90s`, `30m`, `3d`, `2w`), or, as the original web app sent it, a UTC '
                'timestamp in seconds since the epoch. It must lie in the future.',
 'nullable': True,
 'oneOf': [{'type': 'string'}, {'type': 'number'}]}

POLL_PARAMETER = {'name': 'poll',
 'in': 'path',
 'required': True,
 'description': "The poll's public id, or its exact title (compared after Unicode NFC, trimming, collapsing "
                'spaces and case-folding). The id is tried first.',
 'schema': {'type': 'string', 'minLength': 1}}

SCHEMAS = {'Poll': {'type': 'object',
          'required': ['id', 'title', 'status', 'options', 'close_date', 'total_vote_count'],
          'properties': {'id': {'type': 'string', 'description': "The poll's short, stable public id."},
                         'title': {'type': 'string'},
                         'status': {'type': 'boolean', 'description': 'true while the poll is open.'},
                         'options': {'type': 'array',
                                     'description': 'In the order the poll listed them.',
                                     'items': {'type': 'object',
                                               'required': ['name', 'vote_count'],
                                               'properties': {'name': {'type': 'string'},
                                                              'vote_count': {'type': 'integer',
                                                                             'minimum': 0}}}},
                         'close_date': {'type': 'string',
                                        'format': 'date-time',
                                        'nullable': True,
                                        'description': 'ISO-8601 UTC, or null for no close date.'},
                         'total_vote_count': {'type': 'integer', 'minimum': 0}}},
 'PollList': {'type': 'object',
              'required': ['Polls'],
              'properties': {'Polls': {'type': 'array', 'items': {'$ref': '#/components/schemas/Poll'}}}},
 'OnePoll': {'type': 'object',
             'required': ['Polls'],
             'properties': {'Polls': {'type': 'array',
                                      'items': {'$ref': '#/components/schemas/Poll'},
                                      'minItems': 1,
                                      'maxItems': 1}}},
 'PollMessage': {'type': 'object',
                 'required': ['message', 'poll'],
                 'properties': {'message': {'type': 'string'},
                                'poll': {'$ref': '#/components/schemas/Poll'}}},
 'Option': {'type': 'object',
            'required': ['id', 'name'],
            'properties': {'id': {'type': 'string', 'description': 'A stable UUID.'},
                           'name': {'type': 'string'}}},
 'Error': {'type': 'object', 'required': ['error'], 'properties': {'error': {'type': 'string'}}},
 'NewPoll': {'type': 'object',
             'required': ['title', 'options'],
             'properties': {'title': {'type': 'string',
                                      'minLength': 1,
                                      'description': 'Unique; at most 500 characters after trimming; no '
                                                     'control characters.'},
                            'options': {'type': 'array',
                                        'minItems': 2,
                                        'description': 'Two or more distinct names, each at most 200 '
                                                       'characters. A name another poll has links to that '
                                                       'option.',
                                        'items': {'type': 'string', 'minLength': 1}},
                            'close_date': CLOSE_DATE}},
 'Vote': {'type': 'object',
          'required': ['option', 'voter'],
          'anyOf': [{'required': ['poll_id']}, {'required': ['poll_title']}],
          'properties': {'poll_id': {'type': 'string', 'description': "The poll's public id (or its title)."},
                         'poll_title': {'type': 'string',
                                        'description': "The poll's exact title, as the old app's clients "
                                                       'send it.'},
                         'option': {'type': 'string', 'minLength': 1, 'description': "The option's name."},
                         'voter': {'type': 'string',
                                   'minLength': 1,
                                   'description': 'Who votes; at most 100 characters; `Ann` and `ann` are '
                                                  'one voter. One vote per voter per poll.'}}},
 'Reopen': {'type': 'object', 'properties': {'close_date': CLOSE_DATE}}}


INFO_DESCRIPTION = 'The original Votr web app\'s REST API, served by `votr serve` on votr\'s service layer. Every response is JSON and every error is `{"error": "..."}`, except a body refused for its size (413, plain text from the HTTP server before the body is read). A request whose Host header or Origin the server does not serve is refused (403); every write needs `Content-Type: application/json` (415 otherwise). Reads are open to any client that can reach the server; when the server was started with a token (always, when it listens beyond loopback), every write needs `Authorization: Bearer TOKEN`.'


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
# What each error status means, whichever endpoint returns it: every error is an Error object.
ERROR_RESPONSES: dict[str, dict] = {
    "400": {"description": 'Invalid input or malformed JSON; the message says which.', "content": _json(_ref("Error"))},
    "401": {"description": 'The server has a token and the request did not carry it: send `Authorization: Bearer TOKEN`.', "content": _json(_ref("Error"))},
    "403": {"description": "The Host header names a host the server does not serve (see --allowed-host), or the Origin is another site's (see --cors-origin).", "content": _json(_ref("Error"))},
    "404": {"description": 'No poll with that id or title, or the poll has no such option.', "content": _json(_ref("Error"))},
    "409": {"description": "Refused by the poll's state: it is closed, the voter has voted, or the title is taken.", "content": _json(_ref("Error"))},
    "413": {"description": 'The request body is over 1 MiB (refused from Content-Length before it is read, or as a chunked body reaches the limit).',
            "content": {"text/plain": {"schema": {"type": "string"}}, **_json(_ref("Error"))}},
    "415": {"description": 'A write without `Content-Type: application/json`.', "content": _json(_ref("Error"))},
    "500": {"description": 'The database cannot be used (unreadable, not a votr database, schema behind: run `votr db-upgrade`).', "content": _json(_ref("Error"))},
    "503": {"description": 'The database stayed locked past the busy timeout: try again.',
            "content": _json(_ref("Error")), "headers": _RETRY_AFTER},
}
# Every request may meet the Host/Origin guard and the database; every write also the
# token, the body's size and its Content-Type, and every body its validation.
READ_ERRORS = ("403", "500", "503")
WRITE_ERRORS = ("400", "401", "403", "413", "415", "500", "503")


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str
    operation_id: str
    summary: str
    success: tuple[str, str, dict]  # status, description, schema
    errors: tuple[str, ...]
    write: bool = False
    parameters: tuple[dict, ...] = ()
    request_body: dict | None = None
    success_headers: dict = field(default_factory=dict)

    def operation(self) -> dict:
        status, description, schema = self.success
        success = {"description": description, "content": _json(schema)}
        if self.success_headers:
            success["headers"] = self.success_headers
        operation = {"operationId": self.operation_id, "summary": self.summary,
                     "security": [{"bearerAuth": []}] if self.write else [],
                     "responses": {status: success,
                                   **{code: ERROR_RESPONSES[code] for code in sorted(set(self.errors))}}}
        if self.parameters:
            operation["parameters"] = list(self.parameters)
        if self.request_body is not None:
            operation["requestBody"] = self.request_body
        return operation


STATUS_PARAMETER = {"name": "status", "in": "query", "required": False,
                    "description": "Which polls: open, closed or all (the default).",
                    "schema": {"type": "string", "enum": ["open", "closed", "all"], "default": "all"}}

ENDPOINTS = (
    Endpoint("/api/polls", "get", "listPolls", "Every poll with its counts, oldest first",
             ("200", "The polls.", _ref("PollList")), ("400", *READ_ERRORS), parameters=(STATUS_PARAMETER,)),
    Endpoint("/api/polls", "post", "createPoll", "Create an open poll",
             ("201", "The poll was created.", _ref("PollMessage")), ("409", *WRITE_ERRORS), write=True,
             request_body={"required": True, "content": _json(_ref("NewPoll"))},
             success_headers={"Location": {"description": "The new poll's URL.", "schema": {"type": "string"}}}),
    Endpoint("/api/polls/options", "get", "listOptions", "Every option name known to the database",
             ("200", "The options, oldest first.", {"type": "array", "items": _ref("Option")}), READ_ERRORS),
    Endpoint("/api/poll/{poll}", "get", "showPoll", "One poll",
             ("200", "The poll, as the only item of Polls.", _ref("OnePoll")), ("400", "404", *READ_ERRORS),
             parameters=(POLL_PARAMETER,)),
    Endpoint("/api/poll/vote", "patch", "vote", "Cast one vote",
             ("200", "The vote was counted.", _ref("PollMessage")), ("404", "409", *WRITE_ERRORS), write=True,
             request_body={"required": True, "content": _json(_ref("Vote"))}),
    Endpoint("/api/poll/{poll}/close", "post", "closePoll", "Close a poll now (closing a closed poll changes nothing)",
             ("200", "The poll is closed.", _ref("PollMessage")), ("404", *WRITE_ERRORS), write=True,
             parameters=(POLL_PARAMETER,),
             request_body={"required": False, "content": _json({"type": "object"}),
                           "description": "Ignored; an empty object, or no body with "
                                          "`Content-Type: application/json`."}),
    Endpoint("/api/poll/{poll}/reopen", "post", "reopenPoll", "Reopen a poll, with no close date unless one is given",
             ("200", "The poll is open.", _ref("PollMessage")), ("404", *WRITE_ERRORS), write=True,
             parameters=(POLL_PARAMETER,), request_body={"required": False, "content": _json(_ref("Reopen"))}),
    Endpoint("/api/openapi.json", "get", "openapi", "This document",
             ("200", "The OpenAPI document.", {"type": "object"}), ("403",)),
)


def openapi_document() -> dict:
    """The OpenAPI 3.0 document of ENDPOINTS and SCHEMAS, as `/api/openapi.json` serves it."""
    paths: dict[str, dict] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method] = endpoint.operation()
    return {
        "openapi": "3.0.3",
        "info": {"title": "votr HTTP API", "version": "1.0.0", "description": INFO_DESCRIPTION,
                 "license": {"name": "MIT"}},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description":
                                               "The token given to `votr serve` (--token or VOTR_API_TOKEN)."}},
            "schemas": SCHEMAS,
        },
    }
