"""The HTTP API's one description: request bodies, responses and endpoints.

`votr serve` serves the OpenAPI document built here (`openapi_document()`), so an
endpoint, its body and its statuses are declared once. The schemas are OpenAPI 3.0
(`nullable`), which schemathesis (tests/api/test_http_schema.py) checks the live server
against. Add an endpoint by adding an Endpoint to ENDPOINTS and its view to http.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from votr_cli.core import ballots, text
from votr_cli.core.counting import DEFAULT_METHOD, KIND_OF_METHOD
from votr_cli.core.errors import InvalidInput
from votr_cli.core.polls import MAX_QUORUM, RESULTS
from votr_cli.core.when import parse_timestamp, parse_when

# A WHEN string longer than this is no date and no duration: refused before it is parsed
# (the parser turns a duration's digits into an int, which Python refuses past 4,300).
MAX_CLOSE_DATE_CHARS = 64

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
          'required': ['id', 'title', 'status', 'options', 'close_date', 'total_vote_count', 'kind', 'method',
                       'min_choices', 'max_choices', 'voter_count', 'winners', 'allow_change', 'results',
                       'secret', 'quorum', 'quorum_reached', 'results_hidden', 'invite_only'],
          'properties': {'id': {'type': 'string', 'description': "The poll's short, stable public id."},
                         'title': {'type': 'string'},
                         'status': {'type': 'boolean', 'description': 'true while the poll is open.'},
                         'options': {'type': 'array',
                                     'description': 'In the order the poll listed them.',
                                     'items': {'type': 'object',
                                               'required': ['name', 'vote_count'],
                                               'properties': {'name': {'type': 'string'},
                                                              'vote_count': {
                                                                  'type': 'integer', 'minimum': 0, 'nullable': True,
                                                                  'description': 'single: votes; multiple: ballots '
                                                                                 'choosing it; ranked: first '
                                                                                 'preferences; score: the sum of '
                                                                                 'its scores. null while the '
                                                                                 'results are hidden.'}}}},
                         'close_date': {'type': 'string',
                                        'format': 'date-time',
                                        'nullable': True,
                                        'description': 'ISO-8601 UTC, or null for no close date.'},
                         'total_vote_count': {'type': 'integer', 'minimum': 0, 'nullable': True,
                                              'description': 'The sum of the options\' vote_count; null while '
                                                             'the results are hidden.'},
                         'kind': {'type': 'string', 'enum': list(ballots.KINDS),
                                  'description': 'What a ballot is: one option (single), several (multiple), '
                                                 'options in order of preference (ranked), a score 0-5 per '
                                                 'option (score).'},
                         'method': {'type': 'string', 'enum': list(KIND_OF_METHOD),
                                    'description': 'How the ballots are counted.'},
                         'min_choices': {'type': 'integer', 'minimum': 1,
                                         'description': 'The fewest options a ballot names.'},
                         'max_choices': {'type': 'integer', 'minimum': 1,
                                         'description': 'The most options a ballot names.'},
                         'voter_count': {'type': 'integer', 'minimum': 0, 'description': 'Ballots cast.'},
                         'winners': {'type': 'array', 'items': {'type': 'string'}, 'nullable': True,
                                     'description': 'The winning options in the poll\'s order: several on a tie '
                                                    'the method leaves unbroken, none without ballots or '
                                                    'below the quorum; null while the results are hidden.'},
                         'allow_change': {'type': 'boolean',
                                          'description': 'Voting again replaces the voter\'s ballot, and '
                                                         'DELETE /api/poll/vote withdraws it.'},
                         'results': {'type': 'string', 'enum': list(RESULTS),
                                     'description': 'When the counts are shown while the poll is open: always; '
                                                    'to a voter who has voted in it (voted); not before it '
                                                    'closes (closed).'},
                         'secret': {'type': 'boolean',
                                    'description': 'Who voted and what was chosen are stored with nothing to '
                                                   'pair them.'},
                         'quorum': {'type': 'integer', 'minimum': 1, 'nullable': True,
                                    'description': 'The fewest voters for the poll to have winners; null for '
                                                   'none.'},
                         'quorum_reached': {'type': 'boolean',
                                            'description': 'false while voter_count is below the quorum (winners '
                                                           'is then []).'},
                         'results_hidden': {'type': 'boolean',
                                            'description': 'true when vote_count, total_vote_count and winners '
                                                           '(and tally) are null for whoever asked.'},
                         'invite_only': {'type': 'boolean',
                                         'description': 'Only invited voters may vote (votr invite); another '
                                                        'voter is refused. Over the API a ballot needs the '
                                                        "voter's invite token, or the admin token."}}},
 'PollList': {'type': 'object',
              'required': ['Polls'],
              'properties': {'Polls': {'type': 'array', 'items': {'$ref': '#/components/schemas/Poll'}}}},
 'OnePoll': {'type': 'object',
             'required': ['Polls'],
             'properties': {'Polls': {'type': 'array',
                                      'items': {'$ref': '#/components/schemas/ShownPoll'},
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
 'Error': {'type': 'object', 'required': ['error'], 'properties': {'error': {'type': 'string'}}}}

# A count per option name.
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
_NAMES = {"type": "array", "items": {"type": "string"}}
_RUNOFF = {"type": "object", "required": ["finalists", "preferred", "equal"],
           "properties": {"finalists": _NAMES, "preferred": {**_COUNTS, "description": "Ballots scoring each "
                                                                          "finalist above the other."},
                          "equal": {"type": "integer", "description": "Ballots scoring the finalists equally."}}}
SCHEMAS["Tally"] = {
    "type": "object",
    "description": "The counting method's working (README: Counting). plurality, approval and score: `counts`; "
                   "irv: `rounds`; schulze: `pairwise` and `ranking`; star: `scores` and `runoff` (null when "
                   "no runoff was needed), or `runoffs` when a tie leaves several.",
    "properties": {
        "counts": _COUNTS,
        "rounds": {"type": "array", "items": {
            "type": "object", "required": ["counts", "exhausted", "eliminated"],
            "properties": {"counts": _COUNTS, "exhausted": {"type": "integer"}, "eliminated": _NAMES}}},
        "pairwise": {"type": "object", "additionalProperties": _COUNTS,
                     "description": "pairwise[A][B]: ballots preferring A to B."},
        "ranking": {"type": "array", "items": _NAMES, "description": "Groups of tied options, best first."},
        "scores": _COUNTS,
        "runoff": {**_RUNOFF, "nullable": True},
        "runoffs": {"type": "array", "items": _RUNOFF},
    },
}
SCHEMAS["ShownPoll"] = {"allOf": [{"$ref": "#/components/schemas/Poll"},
                                  {"type": "object", "required": ["tally"],
                                   "properties": {"tally": {"nullable": True,
                                                            "allOf": [{"$ref": "#/components/schemas/Tally"}],
                                                            "description": "null while the results are "
                                                                           "hidden."}}}]}





# -- request bodies: each field both describes itself (OpenAPI) and reads itself --------


@dataclass(frozen=True)
class TextField:
    """A string. Missing, null and "" all read as absent (the old app's "value for X is
    empty" when the body needs it)."""

    name: str
    description: str
    min_length: int | None = 1
    nullable: bool = False

    def schema(self) -> dict:
        length = {} if self.min_length is None else {"minLength": self.min_length}
        null = {"nullable": True} if self.nullable else {}
        return {"type": "string", **length, **null, "description": self.description}

    def read(self, body: dict) -> str | None:
        value = body.get(self.name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise InvalidInput(f"{self.name} must be a string")
        return value


@dataclass(frozen=True)
class NamesField:
    """A list of strings (a poll's options, a ballot's choices). The service judges the
    names themselves and how many there are."""

    name: str
    description: str
    min_items: int = 2
    nullable: bool = False

    def schema(self) -> dict:
        null = {"nullable": True} if self.nullable else {}
        return {"type": "array", "minItems": self.min_items, **null, "description": self.description,
                "items": {"type": "string", "minLength": 1}}

    def read(self, body: dict) -> list[str] | None:
        value = body.get(self.name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InvalidInput(f"{self.name} must be a list of strings")
        return value


@dataclass(frozen=True)
class ChoiceField:
    """One of a few words (a poll's kind, its counting method); null reads as absent, so
    the service's default applies. Which method fits which kind is the service's rule."""

    name: str
    choices: tuple[str, ...]
    description: str

    def schema(self) -> dict:
        # OpenAPI 3.0.3: a nullable enum lists null among its values.
        return {"type": "string", "enum": [*self.choices, None], "nullable": True, "description": self.description}

    def read(self, body: dict) -> str | None:
        value = body.get(self.name)
        if value is None:
            return None
        if not isinstance(value, str) or value not in self.choices:
            raise InvalidInput(f"{self.name} must be one of {', '.join(self.choices)}, not {text.quoted(value)}")
        return value


@dataclass(frozen=True)
class CountField:
    """A whole number of at least 1 (a bound on a ballot's choices): a JSON integer, not
    a boolean, a fraction or a string. How it compares with the poll is the service's."""

    name: str
    description: str
    maximum: int | None = None

    def schema(self) -> dict:
        most = {} if self.maximum is None else {"maximum": self.maximum}
        return {"type": "integer", "minimum": 1, **most, "nullable": True, "description": self.description}

    def read(self, body: dict) -> int | None:
        value = body.get(self.name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1 \
                or (self.maximum is not None and value > self.maximum):
            bounds = "of at least 1" if self.maximum is None else f"from 1 to {self.maximum}"
            raise InvalidInput(f"{self.name} must be a whole number {bounds}, not {text.quoted(value)}")
        return value


@dataclass(frozen=True)
class FlagField:
    """A JSON boolean (a ballot policy); null reads as absent, so the default (false)
    applies. Not 0, 1 or "true": JSON has booleans for that."""

    name: str
    description: str

    def schema(self) -> dict:
        return {"type": "boolean", "nullable": True, "description": self.description}

    def read(self, body: dict) -> bool | None:
        value = body.get(self.name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise InvalidInput(f"{self.name} must be true or false, not {text.quoted(value)}")
        return value


@dataclass(frozen=True)
class ScoresField:
    """`scores`: option name -> an integer from 0 to 5 (a score poll's ballot), read as
    (name, score) pairs in the body's order. Whether the names are the poll's options is
    the service's to judge."""

    name: str
    description: str

    def schema(self) -> dict:
        return {"type": "object", "minProperties": 1, "nullable": True, "description": self.description,
                "additionalProperties": {"type": "integer", "minimum": ballots.MIN_SCORE,
                                         "maximum": ballots.MAX_SCORE}}

    def read(self, body: dict) -> list[tuple[str, int]] | None:
        value = body.get(self.name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise InvalidInput(f"{self.name} must be an object of option names and scores")
        for name, score in value.items():
            # A string such as "3" is no score here: JSON has numbers for that.
            if isinstance(score, bool) or not isinstance(score, int) \
                    or not ballots.MIN_SCORE <= score <= ballots.MAX_SCORE:
                raise InvalidInput(f"the score of {text.quoted(name, text.MAX_OPTION + 2)} must be an integer "
                                   f"from {ballots.MIN_SCORE} to {ballots.MAX_SCORE}, not "
                                   f"{text.quoted(score)}")
        return list(value.items())


@dataclass(frozen=True)
class CloseDateField:
    """`close_date`: what `--closes-at` accepts or, as the old app's clients sent it, a UTC
    timestamp; read as the naive UTC datetime the service takes."""

    name: str = "close_date"

    def schema(self) -> dict:
        return CLOSE_DATE

    def read(self, body: dict) -> dt.datetime | None:
        value = body.get(self.name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidInput("close_date must be a date-time string, a duration such as 3d, or a UTC timestamp")
        if isinstance(value, str):
            if len(value) > MAX_CLOSE_DATE_CHARS:
                raise InvalidInput(f"close_date is longer than {MAX_CLOSE_DATE_CHARS} characters")
            return parse_when(value)
        return parse_timestamp(value)


@dataclass(frozen=True)
class Body:
    """A request body: its fields, which of them it needs, groups of which it needs one
    (or more), and a group of which it takes exactly one (a vote's option, options or
    scores)."""

    fields: tuple
    required: tuple[str, ...] = ()
    one_of_each: tuple[tuple[str, ...], ...] = ()
    exactly_one: tuple[str, ...] = ()

    def schema(self) -> dict:
        schema: dict[str, Any] = {"type": "object"}
        if self.required:
            schema["required"] = list(self.required)
        if self.one_of_each:
            (group,) = self.one_of_each  # OpenAPI's anyOf holds one group here
            schema["anyOf"] = [{"required": [name]} for name in group]
        schema["properties"] = {body_field.name: body_field.schema() for body_field in self.fields}
        if self.exactly_one:
            # Given means present and not null: a branch's type (without `nullable`)
            # refuses null, so a null field matches no branch, as the reader ignores it.
            schema["oneOf"] = [{"required": [name], "properties": {name: {"type": schema["properties"][name]["type"]}}}
                               for name in self.exactly_one]
        return schema

    def read(self, body: dict) -> dict[str, Any]:
        """Each field's value (None when absent), in the order the fields are declared, so
        the first bad or missing field is the one reported."""
        values = {}
        for body_field in self.fields:
            values[body_field.name] = body_field.read(body)
            if values[body_field.name] is None and body_field.name in self.required:
                raise text.empty(body_field.name)
        for group in self.one_of_each:
            if all(values[name] is None for name in group):
                raise text.empty(" or ".join(group))
        if self.exactly_one:
            given = [name for name in self.exactly_one if body.get(name) is not None]
            if len(given) != 1:
                choices = f"{', '.join(self.exactly_one[:-1])} or {self.exactly_one[-1]}"
                found = f"not {' and '.join(given)}" if given else "none was given"
                raise InvalidInput(f"give exactly one of {choices}: {found}")
            if values[given[0]] is None:  # given as "", which reads as absent
                raise text.empty(given[0])
        return values


NEW_POLL = Body(
    fields=(TextField("title", "Unique; at most 500 characters after trimming; no control characters."),
            NamesField("options", "Two or more distinct names, each at most 200 characters. A name "
                                  "another poll has links to that option."),
            CloseDateField(),
            ChoiceField("kind", ballots.KINDS, "What a ballot is (default single): exactly one option "
                                               "(single); min_choices to max_choices distinct options "
                                               "(multiple); as many, most preferred first (ranked); a score "
                                               "from 0 to 5 for each option it names, at least one (score)."),
            ChoiceField("method", tuple(KIND_OF_METHOD),
                        "How the ballots are counted; it must fit the kind, whose first is the default: "
                        + "; ".join(f"{kind}: {', '.join(m for m, k in KIND_OF_METHOD.items() if k == kind)}"
                                    for kind in DEFAULT_METHOD) + "."),
            CountField("min_choices", "multiple and ranked only: the fewest options a ballot names "
                                      "(default 1)."),
            CountField("max_choices", "multiple and ranked only: the most options a ballot names (default "
                                      "all); at least min_choices, at most the number of options."),
            FlagField("allow_change", "Voting again replaces the voter's ballot, and DELETE /api/poll/vote "
                                      "withdraws it (default false: a second vote is refused). Not with "
                                      "secret."),
            ChoiceField("results", RESULTS, "When the counts are shown while the poll is open (default "
                                            "always): always; voted: only to a voter who has voted in it "
                                            "(the `voter` query parameter of the GET endpoints); closed: only "
                                            "once it is closed."),
            FlagField("secret", "Who voted and what was chosen are stored with nothing to pair them "
                                "(default false). Not with allow_change."),
            CountField("quorum", "The fewest voters for the poll to have winners (default null: none).",
                       maximum=MAX_QUORUM),
            FlagField("invite_only", "Only the voters invited (POST /api/poll/{poll}/invites) may vote, "
                                     "over the API with their invite token or the admin token (default "
                                     "false).")),
    required=("title", "options"),
)
VOTE = Body(
    fields=(TextField("poll_id", "The poll's public id (or its title).", min_length=None),
            TextField("poll_title", "The poll's exact title, as the old app's clients send it.", min_length=None),
            TextField("option", "The option's name: a single poll's ballot (or a one-option ballot of a "
                                "multiple or ranked poll).", nullable=True),
            NamesField("options", "A multiple poll's chosen options, or a ranked poll's, most preferred "
                                  "first; distinct, as many as the poll's min_choices to max_choices. A "
                                  "score poll reads `OPTION=SCORE` strings, as the command line does.",
                       min_items=1, nullable=True),
            ScoresField("scores", "A score poll's ballot: option name -> score from 0 to 5; options it does "
                                  "not name score 0."),
            TextField("voter", "Who votes; at most 100 characters; `Ann` and `ann` are one voter. One vote "
                               "per voter per poll. Required with the admin token (or none); with an "
                               "invite token it may be left out, as the token names its voter, and "
                               "naming another voter is refused (403).")),
    one_of_each=(("poll_id", "poll_title"),),
    exactly_one=("option", "options", "scores"),
)
UNVOTE = Body(
    fields=(TextField("poll_id", "The poll's public id (or its title).", min_length=None),
            TextField("poll_title", "The poll's exact title.", min_length=None),
            TextField("voter", "Whose ballot to withdraw; `Ann` and `ann` are one voter. Required with the "
                               "admin token (or none); with an invite token, the token's voter.")),
    one_of_each=(("poll_id", "poll_title"),),
)
REOPEN = Body(fields=(CloseDateField(),))
INVITE = Body(
    fields=(NamesField("voters", "The voters to invite, each named as a voter is; a voter invited before "
                                 "gets a new token and the old one stops working.", min_items=1),
            TextField("base_url", "Where the links start (http or https, no query): default VOTR_BASE_URL "
                                  "of the server, else the URL this request reached.", nullable=True)),
    required=("voters",),
)
SCHEMAS.update({"NewPoll": NEW_POLL.schema(), "Vote": VOTE.schema(), "Unvote": UNVOTE.schema(),
                "Reopen": REOPEN.schema(), "Invite": INVITE.schema()})
SCHEMAS["InviteLinks"] = {
    "type": "object", "required": ["invites"],
    "properties": {"invites": {"type": "array", "items": {
        "type": "object", "required": ["voter", "token", "url"],
        "properties": {"voter": {"type": "string"},
                       "token": {"type": "string", "description": "The voter's invite token: shown this once, "
                                                                  "never stored (only its hash is)."},
                       "url": {"type": "string", "description": "BASE/p/POLL_ID?invite=TOKEN"}}}}}}
SCHEMAS["InviteList"] = {
    "type": "object", "required": ["invites"],
    "properties": {"invites": {"type": "array", "description": "In the order they were invited; never a token.",
                               "items": {"type": "object", "required": ["voter", "invited_at", "voted"],
                                         "properties": {"voter": {"type": "string"},
                                                        "invited_at": {"type": "string", "format": "date-time"},
                                                        "voted": {"type": "boolean"}}}}}}
SCHEMAS["Uninvited"] = {"type": "object", "required": ["message", "voter", "poll"],
                        "properties": {"message": {"type": "string"}, "voter": {"type": "string"},
                                       "poll": {"$ref": "#/components/schemas/Poll"}}}


INFO_DESCRIPTION = 'The original Votr web app\'s REST API, served by `votr serve` on votr\'s service layer. Every response is JSON and every error is `{"error": "..."}`, except a body refused for its size (413, plain text from the HTTP server before the body is read). A request whose Host header or Origin the server does not serve is refused (403); every write needs `Content-Type: application/json` (415 otherwise). Reads are open to any client that can reach the server; when the server was started with a token (always, when it listens beyond loopback), every write needs `Authorization: Bearer TOKEN`. The invite endpoints need that admin token, reads included, and are refused (403) by a server without one. A voter holding an invite token votes with it as the bearer token on PATCH or DELETE /api/poll/vote, the body\'s `voter` then optional.'


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
# What each error status means, whichever endpoint returns it: every error is an Error object.
ERROR_RESPONSES: dict[str, dict] = {
    "400": {"description": 'Invalid input or malformed JSON; the message says which.', "content": _json(_ref("Error"))},
    "401": {"description": 'The server has a token and the request did not carry it: send `Authorization: Bearer TOKEN`.', "content": _json(_ref("Error"))},
    "403": {"description": "The Host header names a host the server does not serve (see --allowed-host), or the Origin is another site's (see --cors-origin); an invite-only poll refuses a voter it has not invited; an invite token that is not valid for the poll (one message, whatever the reason), or a body naming another voter than the token's; invite endpoints on a server without an admin token.", "content": _json(_ref("Error"))},
    "404": {"description": 'No poll with that id or title, the poll has no such option, the voter has no ballot to withdraw, or no invite to revoke.', "content": _json(_ref("Error"))},
    "409": {"description": "Refused by the poll's state: it is closed, the voter has voted (and the poll does not allow changes), the poll does not allow withdrawing a vote, or the title is taken.", "content": _json(_ref("Error"))},
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


VOTER_PARAMETER = {"name": "voter", "in": "query", "required": False,
                   "description": "Who is looking, named as a voter is. A poll whose results are shown only to "
                                  "those who voted (results: voted) shows its counts while open only when this "
                                  "voter has voted in it; without it, they are hidden.",
                   "schema": {"type": "string"}}
STATUS_PARAMETER = {"name": "status", "in": "query", "required": False,
                    "description": "Which polls: open, closed or all (the default).",
                    "schema": {"type": "string", "enum": ["open", "closed", "all"], "default": "all"}}

ENDPOINTS = (
    Endpoint("/api/polls", "get", "listPolls", "Every poll with its counts, oldest first",
             ("200", "The polls.", _ref("PollList")), ("400", *READ_ERRORS),
             parameters=(STATUS_PARAMETER, VOTER_PARAMETER)),
    Endpoint("/api/polls", "post", "createPoll", "Create an open poll",
             ("201", "The poll was created.", _ref("PollMessage")), ("409", *WRITE_ERRORS), write=True,
             request_body={"required": True, "content": _json(_ref("NewPoll"))},
             success_headers={"Location": {"description": "The new poll's URL.", "schema": {"type": "string"}}}),
    Endpoint("/api/polls/options", "get", "listOptions", "Every option name known to the database",
             ("200", "The options, oldest first.", {"type": "array", "items": _ref("Option")}), READ_ERRORS),
    Endpoint("/api/poll/{poll}", "get", "showPoll", "One poll",
             ("200", "The poll, as the only item of Polls.", _ref("OnePoll")), ("400", "404", *READ_ERRORS),
             parameters=(POLL_PARAMETER, VOTER_PARAMETER)),
    Endpoint("/api/poll/vote", "patch", "vote", "Cast one vote (or change it, where the poll allows changes)",
             ("200", "The vote was counted, or replaced the voter's ballot (message \"Your vote was changed\").",
              _ref("PollMessage")), ("404", "409", *WRITE_ERRORS), write=True,
             request_body={"required": True, "content": _json(_ref("Vote"))}),
    Endpoint("/api/poll/vote", "delete", "unvote", "Withdraw a voter's ballot from a poll that allows changes",
             ("200", "The ballot was withdrawn (message \"Your vote was withdrawn\").", _ref("PollMessage")),
             ("404", "409", *WRITE_ERRORS), write=True,
             request_body={"required": True, "content": _json(_ref("Unvote"))}),
    Endpoint("/api/poll/{poll}/close", "post", "closePoll", "Close a poll now (closing a closed poll changes nothing)",
             ("200", "The poll is closed.", _ref("PollMessage")), ("404", *WRITE_ERRORS), write=True,
             parameters=(POLL_PARAMETER,),
             request_body={"required": False, "content": _json({"type": "object"}),
                           "description": "Ignored; an empty object, or no body with "
                                          "`Content-Type: application/json`."}),
    Endpoint("/api/poll/{poll}/reopen", "post", "reopenPoll", "Reopen a poll, with no close date unless one is given",
             ("200", "The poll is open.", _ref("PollMessage")), ("404", *WRITE_ERRORS), write=True,
             parameters=(POLL_PARAMETER,), request_body={"required": False, "content": _json(_ref("Reopen"))}),
    Endpoint("/api/poll/{poll}/invites", "post", "invite",
             "Invite voters: a new secret link for each (admin token only)",
             ("201", "One link per voter, in the order given.", _ref("InviteLinks")), ("404", *WRITE_ERRORS),
             write=True, parameters=(POLL_PARAMETER,),
             request_body={"required": True, "content": _json(_ref("Invite"))}),
    Endpoint("/api/poll/{poll}/invites", "get", "listInvites",
             "The voters invited, when, and whether they voted (admin token only)",
             ("200", "The invites, never their tokens.", _ref("InviteList")), ("400", "401", "404", *READ_ERRORS),
             write=True, parameters=(POLL_PARAMETER,)),
    Endpoint("/api/poll/{poll}/invites/{voter}", "delete", "uninvite",
             "Revoke a voter's invite; a ballot they cast stays (admin token only)",
             ("200", "The invite was revoked (message \"Invite revoked\").", _ref("Uninvited")),
             ("404", *WRITE_ERRORS), write=True,
             parameters=(POLL_PARAMETER, {"name": "voter", "in": "path", "required": True,
                                          "description": "The invited voter, as named when invited.",
                                          "schema": {"type": "string", "minLength": 1}})),
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
                                               "The admin token given to `votr serve` (--token or VOTR_API_TOKEN): every write, and the "
                                               "invite endpoints. On PATCH and DELETE /api/poll/vote, any other "
                                               "bearer token is read as a voter's invite token (from POST "
                                               "/api/poll/{poll}/invites), which casts or withdraws that voter's "
                                               "ballot and grants nothing else."}},
            "schemas": SCHEMAS,
        },
    }
