"""Export and import: every poll, option and ballot as one JSON document.

This is how a team moves from one database to another (`votr export > all.json`, then
`votr --db postgresql+psycopg://… import all.json`), and an operator's backup. The
document, version 4, is declared by the JSON Schema export.schema.json beside this
module; in short:

    {"format": "votr-export", "version": 4, "exported_at": "…Z", "schema": "0006",
     "options": [{"id": "<uuid>", "name": "…", "date_created": "…Z"}],
     "polls": [{"id": "k3v9x2ab", "title": "…", "status": true, "close_date": null,
                "date_created": "…Z", "kind": "ranked", "method": "irv",
                "min_choices": 1, "max_choices": 3, "allow_change": false, "results": "always",
                "secret": false, "quorum": null, "invite_only": false, "voter_count": 2,
                "options": [{"option": "<uuid>", "vote_count": 1, "adopted_count": 0}, …],
                "ballots": [{"voter": "ann", "options": ["<uuid>", …], "date_created": "…Z"}, …],
                "invites": [{"voter": "Ann", "invited_at": "…Z", "token_hash": "<64 hex>"}, …]}]}

- `schema` is the database's schema revision at export (SCHEMA_HEAD).
- `status` is the stored flag (a poll past its close date still says true, as in the
  database); dates are UTC to the second; options of a poll are in the poll's order.
- A ballot's choice, by the poll's kind: `single`, "option": the option's id (null for a
  voter adopted from an old Votr database, whose vote is an adopted count); `multiple`,
  "options": the chosen options' ids in the poll's order; `ranked`, "options": the
  ranked options' ids, most preferred first; `score`, "scores": {option id: score} for
  every option of the poll (an import accepts any of them, at least one; unnamed: 0).
- `vote_count` is what the ballots give each option (single: its votes; multiple:
  ballots choosing it; ranked: first preferences; score: its scores summed) plus
  `adopted_count`, the votes adopted from an old Votr database, which have no ballot
  (single polls only). `voter_count` is the adopted votes plus the ballots that record
  a choice.
- `allow_change`, `results`, `secret` and `quorum` are the poll's ballot policies, as
  `create` set them. Every count is exported, those the policies hide included: an
  export is an operator's backup.
- A secret poll has `"voters": [name, …]` and ballots that are choices alone (no voter,
  no date), each list sorted on its own (`secret_order`), so the document pairs a voter
  with a ballot no more than the database does (poll_voters and secret_ballots). It has
  as many voters as ballots, and as voter_count; no adopted votes.

Version 1 (votr before poll kinds) is the same without kind, method, min_choices,
max_choices, voter_count and the ballots' options and scores: every poll of it is a
single poll counted by plurality. Version 2 (before ballot policies) has no policies:
every poll of it takes the defaults. Version 3 (before invites) has no invite_only and
no invites: no poll of it is invite-only. Import reads all four; export writes version 4.

- `invite_only` and `invites` (version 4): the voters invited to the poll, sorted by
  voter, each with the SHA-256 of their link's token. No token is stored, so none is
  exported: a hash signs nobody in, and the links sent keep working after an import.

Import checks the whole document before it writes anything, then writes it in one
transaction. Polls are matched by public id: a poll that is not in the database is
added; one that is there and differs is replaced by the document's version (its title,
status, dates, kind, policies, options, counts and ballots); one that is identical is
skipped. Options are matched by public id, else by name (an option of that name already
there is used). Nothing in the database that the document does not mention is touched.
A secret poll's ballots are written under random keys and in a random order, as `vote`
writes them.
"""

from __future__ import annotations

import importlib.resources
import datetime as dt
import json
import re
import secrets
import stat
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from votr_cli.core import ballots as ballot_codec
from votr_cli.core import polls as rules
from votr_cli.core import text
from votr_cli.db.database import Database
from votr_cli.core.errors import DatabaseProblem, InvalidInput, Refused
from votr_cli.db.tables import (SCHEMA_HEAD, SECRET_ID_LENGTH, VOTER_LENGTH, ballots, invites, options, poll_voters,
                                polls, secret_ballots, topics)
from votr_cli.db.chunks import KEYS_PER_QUERY, batched
from votr_cli.core.when import from_iso_utc, iso_utc, utcnow
from votr_cli.ops import files

FORMAT = "votr-export"
VERSION = 4  # what export writes
READABLE_VERSIONS = (1, 2, 3, 4)  # what import reads
MAX_PROBLEMS_SHOWN = 10
# The largest count every backend's INTEGER column holds (a signed 32-bit integer); the
# schema's limit, which tests/unit/test_export_schema.py holds equal to this.
MAX_COUNT = 2**31 - 1
# The JSON Schema of the document, beside this module (package data).
SCHEMA_FILE = "export.schema.json"
# Where a ballot of each kind keeps its choice in the document.
CHOICE_KEY = {"single": "option", "multiple": "options", "ranked": "options", "score": "scores"}
# What a ballot's option ids and scores must be: checked in code, not by the schema, whose
# per-item checks made importing 100,000 score ballots of 4 options twice as slow (CPU
# 9.8 s against 4.5 s). The schema's `uuid` description says the same (a test holds them).
UUID_SHAPE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
NOT_AN_ID = "must be a UUID"
NOT_A_SCORE = f"must be a whole number from {ballot_codec.MIN_SCORE} to {ballot_codec.MAX_SCORE}"
# The kinds whose bounds (min_choices, max_choices) a poll chooses; the others' are fixed.
RANGED_KINDS = ("multiple", "ranked")


# -- export --------------------------------------------------------------------------


def export_document(db: Database) -> dict:
    with db.reading() as conn:
        return _export(conn)


class _Damaged(dict):
    """A stored ballot that is not a valid ballot of its poll: no document ballot is
    equal to it, so an import replaces its poll (an export refuses it)."""


def _export(conn: Connection, strict: bool = True) -> dict:
    """The document of every poll. `strict`: a damaged ballot is a DatabaseProblem (an
    export); else it is kept as a `_Damaged` ballot (an import comparing polls)."""
    option_rows = conn.execute(
        select(options.c.id, options.c.public_id, options.c.name, options.c.date_created).order_by(options.c.id)
    ).all()
    public_option = {row.id: row.public_id for row in option_rows}
    topic_rows = conn.execute(select(topics).order_by(topics.c.id)).all()
    choices = defaultdict(list)
    for row in conn.execute(select(polls).order_by(polls.c.topic_id, polls.c.position)):
        choices[row.topic_id].append({"option": public_option[row.option_id], "vote_count": row.vote_count,
                                      "adopted_count": row.adopted_count})
    by_id = {topic.id: topic for topic in topic_rows}
    voters = defaultdict(list)
    for row in conn.execute(select(ballots).order_by(ballots.c.topic_id, ballots.c.id)):
        topic = by_id[row.topic_id]
        voters[row.topic_id].append(_ballot_document(topic, row, choices[row.topic_id], public_option, strict))
    secret_voters, secret_choices = _secret_parts(conn, by_id, choices, public_option, strict)
    invited = defaultdict(list)
    for row in conn.execute(select(invites.c.topic_id, invites.c.voter_name, invites.c.invited_at,
                                   invites.c.token_hash).order_by(invites.c.topic_id, invites.c.voter)):
        invited[row.topic_id].append({"voter": row.voter_name, "invited_at": iso_utc(row.invited_at),
                                      "token_hash": row.token_hash})
    poll_documents = []
    for topic in topic_rows:
        document = {
            "id": topic.public_id, "title": topic.title, "status": bool(topic.status),
            "close_date": iso_utc(topic.close_date), "date_created": iso_utc(topic.date_created),
            "kind": topic.kind, "method": topic.method, "min_choices": topic.min_choices,
            "max_choices": topic.max_choices, "allow_change": bool(topic.allow_change), "results": topic.results,
            "secret": bool(topic.secret), "quorum": topic.quorum, "invite_only": bool(topic.invite_only),
            "voter_count": topic.voter_count, "options": choices[topic.id]}
        if topic.secret:
            document["voters"] = secret_voters[topic.id]
            document["ballots"] = secret_choices[topic.id]
        else:
            document["ballots"] = voters[topic.id]
        document["invites"] = invited[topic.id]
        poll_documents.append(document)
    return {
        "format": FORMAT, "version": VERSION, "exported_at": iso_utc(utcnow()), "schema": SCHEMA_HEAD,
        "options": [{"id": row.public_id, "name": row.name, "date_created": iso_utc(row.date_created)}
                    for row in option_rows],
        "polls": poll_documents,
    }


def _secret_parts(conn: Connection, by_id: dict, choices: dict[int, list[dict]], public_option: dict[int, str],
                  strict: bool) -> tuple[dict[int, list[str]], dict[int, list[dict]]]:
    """The voters and the ballots of each secret poll, by topic id: two lists, each in
    an order of its own (voters by name, ballots by their choices: `secret_order`), so
    that the document pairs them no more than the database does."""
    voters: dict[int, list[str]] = defaultdict(list)
    for row in conn.execute(select(poll_voters.c.topic_id, poll_voters.c.voter)):
        voters[row.topic_id].append(row.voter)
    chosen: dict[int, list[dict]] = defaultdict(list)
    for row in conn.execute(select(secret_ballots.c.topic_id, secret_ballots.c.option_id,
                                   secret_ballots.c.choices)):
        topic = by_id[row.topic_id]
        poll_options = choices[row.topic_id]
        try:
            chosen[row.topic_id].append(_choice_document(topic, row, poll_options, public_option))
        except ValueError as exc:
            if strict:
                raise DatabaseProblem(
                    f"cannot export poll {topic.public_id}: one of its secret ballots is not a valid {topic.kind} "
                    f"ballot of it ({exc}); votr db-check lists such damage") from None
            chosen[row.topic_id].append(_Damaged(option=row.option_id, choices=row.choices))
    for topic_id in voters:
        voters[topic_id].sort()
    for topic_id, found in chosen.items():
        found.sort(key=secret_order([choice["option"] for choice in choices[topic_id]]))
    return voters, chosen


def secret_order(poll_options: list[str | None]):
    """The sort key of a secret poll's ballots (as the document shows them), from their
    choices alone and by the options' positions in the poll, so that an export lists
    them in one order, whatever the order of the votes or the options' ids."""
    position = {option: index for index, option in enumerate(poll_options) if option is not None}

    def key(ballot: dict) -> tuple:
        if isinstance(ballot, _Damaged):
            return (1, str(ballot))
        if "scores" in ballot:
            return (0, tuple(-ballot["scores"].get(option, 0) for option in poll_options))
        given = ballot.get("options")
        if given is None:
            given = [] if ballot.get("option") is None else [ballot["option"]]
        return (0, tuple(position.get(option, -1) for option in given))

    return key


def _ballot_document(topic, row, poll_options: list[dict], public_option: dict[int, str], strict: bool) -> dict:
    """A stored ballot as the document shows it: its choice by option id (CHOICE_KEY)."""
    try:
        choice = _choice_document(topic, row, poll_options, public_option)
    except ValueError as exc:
        if strict:
            raise DatabaseProblem(
                f"cannot export poll {topic.public_id}: the ballot of {row.voter!r} is not a valid "
                f"{topic.kind} ballot of it ({exc}); votr db-check lists such damage") from None
        return _Damaged(voter=row.voter, choices=row.choices)
    return {"voter": row.voter, **choice, "date_created": iso_utc(row.date_created)}


def _choice_document(topic, row, poll_options: list[dict], public_option: dict[int, str]) -> dict:
    """A stored choice (a ballots or a secret_ballots row) by option id, under its kind's
    key (CHOICE_KEY); ValueError if it is not a valid choice of the poll."""
    if topic.kind == "single":
        if row.option_id is None and topic.secret:
            raise ValueError("it names no option")
        return {"option": public_option.get(row.option_id)}
    ids = [choice["option"] for choice in poll_options]
    if topic.kind not in CHOICE_KEY:
        raise ValueError(f"the poll's kind {topic.kind!r} is unknown")
    decoded = ballot_codec.stored_choices(topic.kind, row.choices, len(ids))
    if topic.kind == "score":
        return {"scores": dict.fromkeys(ids, 0) | {ids[position]: score for position, score in decoded}}
    return {"options": [ids[position] for position in decoded]}


def write_document(document: dict, path: str, source: Database) -> None:
    """Write the export of `source` to `path` whole or not at all (ops/files.py), no
    more readable than `source` (see `_export_mode`)."""
    def write(out) -> None:
        json.dump(document, out, ensure_ascii=False)
        out.write("\n")

    files.write_whole(path, write, _export_mode(source), "an export")


def _export_mode(source: Database) -> int:
    """The mode any new file gets (the umask's), never wider than a SQLite database's own:
    the export holds every ballot, so whoever may not read the database may not read it.
    (The temporary file it is written to starts private, 0600.)"""
    mode = files.default_mode()
    database_file = source.sqlite_file
    if database_file is not None:
        mode &= stat.S_IMODE(database_file.stat().st_mode)
    return mode


def read_document(path: str) -> str:
    """The text of an export, from `path` or, for '-', from stdin."""
    try:
        # Bytes from stdin too, decoded here: sys.stdin's own decoding depends on the
        # locale (surrogateescape under C/POSIX) and keeps a BOM, a named file's does not.
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        return data.decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{'stdin' if path == '-' else path} is not UTF-8 text ({exc.reason} at byte "
                           f"{exc.start}); nothing was imported") from None


def export_summary(document: dict, where: str) -> dict:
    counts = {"polls": len(document["polls"]), "options": len(document["options"]),
              "ballots": sum(len(poll["ballots"]) for poll in document["polls"])}
    return {"message": f"Exported {text.counted(counts['polls'], 'poll')}, {text.counted(counts['options'], 'option')} "
                       f"and {text.counted(counts['ballots'], 'ballot')} to {where}.", "file": where, **counts}


# -- validation ----------------------------------------------------------------------
#
# export.schema.json checks each value's type and shape and documents the format; the
# code below checks what a schema cannot: text by the rules `create` applies, dates that
# leave years 1 to 9999 in UTC, and the rules across fields. Values the schema refused
# are left out of those checks, so each problem is reported once.

JsonPath = tuple  # a JSON path: keys and indexes from the document's root


def parse(raw: str) -> dict:
    """The document in `raw`, checked in full and normalised; InvalidInput if anything is wrong."""
    document = _decode(raw)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidInput(f'not a valid votr export: it has no "format": "{FORMAT}"; nothing was imported')
    version = document.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        newer = type(version) is int and version > VERSION
        reason = "made by a newer votr: upgrade votr" if newer else f"unknown version {_shown(version)}"
        readable = " and ".join(map(str, READABLE_VERSIONS))
        raise InvalidInput(f"cannot import this export: {reason} (this votr reads versions {readable})")
    checker = _Checker(_schema_problems(document), version)
    normal = {"options": checker.options(document.get("options", [])),
              "polls": checker.polls(document.get("polls", []))}
    checker.raise_if_any()
    return normal


class _RepeatedKeys(dict):
    """A JSON object that names a key more than once (JSON keeps the last value): a score
    ballot that scores an option twice is refused, as `vote` refuses it."""

    repeated: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    marked = _RepeatedKeys(found)
    marked.repeated = [key for key, times in Counter(key for key, _ in pairs).items() if times > 1]
    return marked


def _decode(raw: str) -> Any:
    try:
        return json.loads(raw, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not a valid votr export: not JSON ({exc}); nothing was imported") from None
    except RecursionError:
        raise InvalidInput("not a valid votr export: nested too deeply; nothing was imported") from None
    except ValueError as exc:  # an integer too long for Python to convert (over 4300 digits)
        raise InvalidInput(f"not a valid votr export: {exc}; nothing was imported") from None


def _schema_problems(document: dict) -> list[tuple[JsonPath, str]]:
    """Every value export.schema.json refuses, as (path, message), in document order."""
    # Imported here, not at the top: only `votr import` pays for jsonschema.
    import jsonschema

    schema = _without_refs(json.loads(importlib.resources.files("votr_cli.ops").joinpath(SCHEMA_FILE)
                                      .read_text("utf-8")))
    # JSON Schema counts 1.0 as an integer; a count in an export is written without a point.
    strict_integers = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
    validator_class = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=strict_integers)
    problems: list[tuple[JsonPath, str]] = []
    for error in validator_class(schema).iter_errors(document):
        path = tuple(error.absolute_path)
        if error.validator == "required":
            problems.extend((path + (key,), "is missing") for key in error.validator_value
                            if key not in error.instance)
        else:
            problems.append((path, _schema_message(error)))
    return problems


def _without_refs(schema: Any, defs: dict | None = None) -> Any:
    """The schema with each `{"$ref": "#/$defs/NAME"}` replaced by that definition.

    jsonschema resolves a $ref every time it meets one: once per ballot, which made the
    check of 100,000 ballots three times slower (12 s against 4 s). The file keeps its
    $defs, which say what a UUID or a count is once."""
    defs = schema["$defs"] if defs is None else defs
    if isinstance(schema, list):
        return [_without_refs(part, defs) for part in schema]
    if not isinstance(schema, dict):
        return schema
    inlined = {key: _without_refs(value, defs) for key, value in schema.items() if key not in ("$ref", "$defs")}
    if "$ref" in schema:
        return {**_without_refs(defs[schema["$ref"].removeprefix("#/$defs/")], defs), **inlined}
    return inlined


def _schema_message(error) -> str:
    """A refusal as one short line. A schema's description is the message for its value
    (a poll id, a UUID, a count, a date), so the document and the message say one thing."""
    structural = error.validator == "type" and error.validator_value in ("array", "object")
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "minItems":
        return f"{description or f'needs at least {error.validator_value} items'}, not {len(error.instance)}"
    if description and not structural:
        return f"{description}, not {_shown(error.instance)}"
    if error.validator == "type":
        return f"{_TYPE_PHRASES.get(error.validator_value, f'must be {error.validator_value}')}, " \
               f"not {_shown(error.instance)}"
    if error.validator == "maxLength":
        return f"is longer than {error.validator_value} characters"
    return text.shortened(error.message, 200)


_TYPE_PHRASES = {"array": "must be a list", "object": "must be an object", "string": "must be text",
                 "boolean": "must be true or false", "integer": "must be a whole number"}


def _shown(value: Any) -> str:
    """A refused value as a problem quotes it: scalars cut short, never a whole (perhaps
    deeply nested) structure."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return text.quoted(value)


def _where(path: JsonPath) -> str:
    """`polls[1].ballots[0].voter`, or `document` for the root."""
    shown = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")
    return shown or "document"


class _Checker:
    """The checks the schema cannot make, over the parts of the document it accepted."""

    def __init__(self, schema_problems: list[tuple[JsonPath, str]], version: int):
        self.problems = list(schema_problems)
        self.refused = {path for path, _ in schema_problems}
        # Every path that holds a refused value, itself or deeper down.
        self.spoiled = {path[:length] for path in self.refused for length in range(len(path) + 1)}
        self.version = version
        self.option_ids: set[str] = set()
        self.option_names: dict[str, str] = {}
        self.token_hashes: set[str] = set()
        self.uncounted = False

    def usable(self, path: JsonPath) -> bool:
        """Whether the schema accepted the value at `path` and every value around it."""
        return not any(path[:length] in self.refused for length in range(len(path) + 1))

    def whole(self, path: JsonPath) -> bool:
        """Whether the schema accepted the value at `path` and everything in it."""
        return self.usable(path) and path not in self.spoiled

    def add(self, path: JsonPath, message: str) -> None:
        self.problems.append((path, message))

    def raise_if_any(self) -> None:
        """One line: the problems in document order, the first MAX_PROBLEMS_SHOWN of them."""
        if not self.problems:
            return
        # Keys sort after indexes, so a path's order is stable whatever its parts' types.
        found = sorted(set(self.problems), key=lambda problem: [
            (1, part) if isinstance(part, str) else (0, str(part).zfill(20)) for part in problem[0]])
        shown = "; ".join(f"{_where(path)}: {message}" for path, message in found[:MAX_PROBLEMS_SHOWN])
        more = len(found) - MAX_PROBLEMS_SHOWN
        suffix = f"; and {more} more" if more > 0 else ""
        raise InvalidInput(f"not a valid votr export ({text.counted(len(found), 'problem')}, "
                           f"nothing was imported): {shown}{suffix}")

    def items(self, values: Any, path: JsonPath) -> list[tuple[JsonPath, dict]]:
        """The objects of the list at `path` that the schema accepted, each with its path."""
        if not self.usable(path):
            return []
        return [(path + (index,), item) for index, item in enumerate(values) if self.usable(path + (index,))]

    def field(self, item: dict, path: JsonPath, key: str, default: Any = None) -> Any:
        return item.get(key, default) if self.usable(path + (key,)) else None

    def options(self, values: Any) -> list[dict]:
        normal = []
        name_holders: dict[str, str] = {}
        for path, item in self.items(values, ("options",)):
            option_id = self.uuid(item, path, "id")
            name = self.text(item, path, "name", text.MAX_OPTION)
            if option_id is not None and option_id in self.option_ids:
                self.add(path + ("id",), f"option id {option_id} appears twice")
            if name is not None:
                holder = name_holders.setdefault(text.key(name), option_id)
                if holder != option_id:
                    self.add(path + ("name",), f"{name!r} is the same name as option {holder}")
            if option_id is not None:
                self.option_ids.add(option_id)
                self.option_names.setdefault(option_id, name)
            normal.append({"id": option_id, "name": name, "date_created": self.date(item, path, "date_created")})
        return normal

    def polls(self, values: Any) -> list[dict]:
        normal = []
        poll_ids: set[str] = set()
        title_holders: dict[str, str] = {}
        for path, item in self.items(values, ("polls",)):
            poll = self.poll(item, path)
            if poll["id"] is not None and poll["id"] in poll_ids:
                self.add(path + ("id",), f"poll id {poll['id']!r} appears twice")
            poll_ids.add(poll["id"])
            if poll["title"] is not None:
                holder = title_holders.setdefault(text.key(poll["title"]), poll["id"])
                if holder != poll["id"]:
                    self.add(path + ("title",), f"{poll['title']!r} is the same title as poll {holder}")
            normal.append(poll)
        return normal

    def poll(self, item: dict, path: JsonPath) -> dict:
        """A poll, normalised: its ballots in the form export writes them (`_ballot_document`),
        with `stored`, each ballot's ballots.choices, beside them. A secret poll's voters
        and ballots are two lists, each sorted on its own (`secret_order`)."""
        poll_options = self.poll_options(item, path)
        rules_of_poll = self.kind(item, path, poll_options)
        policy = self.policy(item, path)
        secret = self.version >= 3 and self.field(item, path, "secret") is True
        self.uncounted = False  # set when a ballot's choice is refused: then the counters are not checked
        position = None if poll_options is None else {
            option: index for index, option in enumerate(poll_options) if option is not None}
        counted: dict[int, int] = defaultdict(int)
        ballots, stored = [], []
        voters: set[str] = set()
        for here, given in self.items(item.get("ballots", []), path + ("ballots",)):
            if secret:
                ballot, choices = self.secret_ballot(given, here, rules_of_poll, poll_options, position, counted)
            else:
                ballot, choices = self.ballot(given, here, rules_of_poll, poll_options, position, counted)
                if ballot["voter"] is not None and ballot["voter"] in voters:
                    self.add(here + ("voter",), f"{ballot['voter']!r} voted twice in this poll")
                voters.add(ballot["voter"])
            ballots.append(ballot)
            stored.append(choices)
        kind = rules_of_poll["kind"] if rules_of_poll and not self.uncounted else None
        normal_options = self.choices(item, path, kind, poll_options, counted, secret)
        voter_count = self.voter_count(item, path, kind, normal_options, ballots)
        normal = {"id": self.field(item, path, "id"), "title": self.text(item, path, "title", text.MAX_TITLE),
                  "status": self.field(item, path, "status"), "close_date": self.date(item, path, "close_date"),
                  "date_created": self.date(item, path, "date_created"), **(rules_of_poll or {}), **(policy or {}),
                  "voter_count": voter_count, "options": normal_options}
        if secret:
            normal["voters"] = self.secret_voters(item, path, len(ballots))
            order = secret_order(poll_options or [])
            pairs = sorted(zip(ballots, stored), key=lambda pair: order(pair[0]))
            ballots, stored = [ballot for ballot, _ in pairs], [choices for _, choices in pairs]
        elif self.version >= 3 and "voters" in item:
            self.add(path + ("voters",), "only a secret poll lists its voters apart from its ballots: this "
                                         "poll's ballots name their voters")
        return {**normal, "ballots": ballots, "invites": self.invites(item, path), "stored": stored}

    def invites(self, item: dict, path: JsonPath) -> list[dict]:
        """A poll's invites (version 4), sorted by voter as export writes them: each voter
        by `create`'s rules and named once, each token hash in no other invite."""
        if self.version < 4:
            return []
        found: dict[str, dict] = {}
        for here, given in self.items(item.get("invites", []), path + ("invites",)):
            name, when, digest = (self.field(given, here, key) for key in ("voter", "invited_at", "token_hash"))
            try:
                display = text.clean(name, "voter", text.MAX_VOTER) if isinstance(name, str) else None
            except InvalidInput as exc:
                self.add(here + ("voter",), exc.message)
                continue
            when = self.date(given, here, "invited_at")
            if display is None or when is None or not isinstance(digest, str):
                continue
            key = text.voter_name(display)
            if key in found:
                self.add(here + ("voter",), f"{key!r} is invited twice to this poll")
            elif digest in self.token_hashes:
                self.add(here + ("token_hash",), "this token hash is another invite's too")
            found[key] = {"voter": display, "invited_at": when, "token_hash": digest}
            self.token_hashes.add(digest)
        return [found[key] for key in sorted(found)]

    def policy(self, item: dict, path: JsonPath) -> dict | None:
        """The poll's ballot policies, by the rules `create` applies (core/polls.py,
        ballot_policy); none before version 3. None if they cannot be known."""
        if self.version < 3:
            return rules.DEFAULT_POLICY._asdict()
        if not all(self.usable(path + (key,)) for key in rules.Policy._fields):
            return None  # refused by the schema
        given = {key: item.get(key, default) for key, default in rules.DEFAULT_POLICY._asdict().items()}
        if self.version < 4:
            given["invite_only"] = False  # invites came with version 4
        try:
            return rules.ballot_policy(**given)._asdict()
        except InvalidInput as exc:
            self.add(path, exc.message)
            return None

    def voter(self, value: Any, path: JsonPath) -> str | None:
        """A voter's name as stored: by `create`'s rules, then folded. An export holds
        voters folded, and folding can make a name of MAX_VOTER characters up to three
        times longer: the column's length is the limit here."""
        if value is None or not self.usable(path):
            return None
        try:
            voter = text.fold(text.clean(value, "voter", VOTER_LENGTH))
        except InvalidInput as exc:
            self.add(path, exc.message)
            return None
        if len(voter) > VOTER_LENGTH:
            self.add(path, f"is longer than {VOTER_LENGTH} characters")
        return voter

    def secret_voters(self, item: dict, path: JsonPath, ballot_count: int) -> list[str]:
        """A secret poll's voters, sorted; one for each of its ballots, none twice."""
        where = path + ("voters",)
        found: list[str] = []
        seen: set[str] = set()
        for here, given in self.items(item.get("voters", []), where):
            voter = self.voter(given, here)
            if voter is not None and voter in seen:
                self.add(here, f"{voter!r} is listed twice in this poll's voters")
            seen.add(voter)
            found.append(voter)
        if self.whole(where) and self.whole(path + ("ballots",)) and len(found) != ballot_count:
            self.add(where, f"the poll lists {text.counted(len(found), 'voter')} and {text.counted(ballot_count, 'ballot')}: "
                            f"a secret poll has one ballot for each voter")
        return sorted(voter for voter in found if voter is not None)

    def secret_ballot(self, item: dict, path: JsonPath, rules_of_poll: dict | None,
                      poll_options: list[str | None] | None, position: dict[str, int] | None,
                      counted: dict[int, int]) -> tuple[dict, str | None]:
        """A secret poll's ballot: its choice alone, as `ballot` checks it, with no voter
        and no date (nothing that could pair it with its voter)."""
        for key, what in (("voter", "voter"), ("date_created", "date")):
            if key in item:
                self.add(path + (key,), f"a secret poll's ballot has no {what}: nothing may pair it with its "
                                        f"voter (a secret poll lists its voters apart, in 'voters')")
        if rules_of_poll is None or poll_options is None:
            return {}, None
        if rules_of_poll["kind"] == "single" and item.get("option") is None:
            if "option" not in item:
                self.add(path + ("option",), "is missing")
            self.uncounted = True  # (a null option is refused by the schema)
            return {}, None
        ballot = self.choice(item, path, rules_of_poll, poll_options, position, None, counted)
        return ballot, ballot.pop("stored", None)

    def poll_options(self, item: dict, path: JsonPath) -> list[str | None] | None:
        """The ids of the poll's options by position (None where one is refused), or None
        if the list itself is refused: then no ballot can be checked against it."""
        if not self.usable(path + ("options",)):
            return None
        return [self.uuid(choice, here, "option") if self.usable(here) else None
                for here, choice in ((path + ("options", index), choice)
                                     for index, choice in enumerate(item["options"]))]

    def kind(self, item: dict, path: JsonPath, poll_options: list[str | None] | None) -> dict | None:
        """The poll's kind, method and bounds, by the rules `create` applies (core/polls.py,
        poll_shape); None if they cannot be known (then its ballots are not checked)."""
        if self.version == 1:
            return rules.SINGLE._asdict()
        given = {key: self.field(item, path, key) for key in ("kind", "method", "min_choices", "max_choices")}
        if given["kind"] is None or poll_options is None or any(
                given[key] is None and key in item for key in given):  # refused by the schema
            return None
        kind, least, most = given["kind"], given["min_choices"], given["max_choices"]
        ranged = kind in RANGED_KINDS  # create takes bounds for these only: the others' are fixed
        try:
            shape = rules.poll_shape(kind, given["method"], least if ranged else None, most if ranged else None,
                                     len(poll_options))
        except InvalidInput as exc:
            self.add(path, exc.message)
            return None
        wrong = [(key, value, fixed) for key, value, fixed in (("min_choices", least, shape.min_choices),
                                                               ("max_choices", most, shape.max_choices))
                 if not ranged and value is not None and value != fixed]
        for key, value, fixed in wrong:
            what = "1" if fixed == 1 else f"its option count, {fixed}"
            self.add(path + (key,), f"a {kind} poll's {key} is {what}, not {value}")
        return None if wrong else shape._asdict()

    def ballot(self, item: dict, path: JsonPath, rules_of_poll: dict | None, poll_options: list[str | None] | None,
               position: dict[str, int] | None, counted: dict[int, int]) -> tuple[dict, str | None]:
        """The ballot in the form export writes it, and its ballots.choices; what it adds
        to each option's vote_count is added to `counted` (by position). `poll_options`:
        the poll's option ids in its order; `position`: the position of each."""
        voter = self.voter(self.field(item, path, "voter"), path + ("voter",))
        ballot: dict[str, Any] = {"voter": voter}
        stored = None
        if rules_of_poll is not None and poll_options is not None:
            ballot.update(self.choice(item, path, rules_of_poll, poll_options, position, voter, counted))
            stored = ballot.pop("stored", None)
        elif rules_of_poll is not None and rules_of_poll["kind"] == "single":
            ballot["option"] = self.uuid(item, path, "option")
        ballot["date_created"] = self.date(item, path, "date_created")
        return ballot, stored

    def choice(self, item: dict, path: JsonPath, rules_of_poll: dict, poll_options: list[str | None],
               position: dict[str, int], voter: str | None, counted: dict[int, int]) -> dict:
        """The ballot's choice, checked as `vote` checks it (core/ballots.build), under the
        kind's key (CHOICE_KEY), with the ballots.choices it is stored as under "stored"."""
        kind = rules_of_poll["kind"]
        key = CHOICE_KEY[kind]
        for other in sorted(set(CHOICE_KEY.values()) - {key}):
            if other in item:
                self.add(path + (other,), f"a {kind} poll's ballot gives its choice as {key!r}, not {other!r}")
        if kind == "single" and item.get("option") is None:
            return {"option": None}  # a voter adopted from an old Votr database: the vote is an adopted count
        if key not in item:
            self.add(path + (key,), "is missing")
        if key not in item or not self.whole(path + (key,)) or not self.elements(item[key], path + (key,), kind):
            self.uncounted = True
            return {}
        given = item[key]
        names = [given.lower()] if kind == "single" else [option.lower() for option in given]
        whose = f" (the ballot of {voter!r})" if voter is not None else ""
        twice = [option.lower() for option in getattr(given, "repeated", [])]
        missing = [option for option in names if option not in position]
        try:
            if twice:
                raise InvalidInput(f"option {self.shown(twice[0])!r} is scored twice")
            if missing:
                raise InvalidInput(f"names option {missing[0]}, which this poll does not list")
            values = None if kind != "score" else [
                ballot_codec.parse_score(value, self.shown(option)) for option, value in zip(names, given.values())]
            built = ballot_codec.build(kind, rules_of_poll["min_choices"], rules_of_poll["max_choices"],
                                       len(poll_options), [(position[option], self.shown(option)) for option in names],
                                       values)
        except InvalidInput as exc:
            self.add(path + (key,), f"{exc.message}{whose}")
            self.uncounted = True
            return {}
        for option, amount in built.counted:
            counted[option] += amount
        if kind == "single":
            return {"option": names[0]}
        if kind == "score":
            scores = dict.fromkeys(poll_options, 0) | dict(zip(names, values))
            return {"scores": scores, "stored": built.choices}
        if kind == "multiple":
            names = sorted(names, key=position.__getitem__)
        return {"options": names, "stored": built.choices}

    def elements(self, given: Any, path: JsonPath, kind: str) -> bool:
        """Whether each option id of a ballot's choice is a UUID and each score a whole
        number from 0 to 5 (the schema checked that they are a list or an object)."""
        if kind == "single":
            return True
        wrong = []
        if kind == "score":
            for option, score in given.items():
                if not UUID_SHAPE.fullmatch(option):  # named by its parent: a key may be any length
                    wrong.append((path, f"{NOT_AN_ID}, not {_shown(option)}"))
                elif type(score) is not int or not ballot_codec.MIN_SCORE <= score <= ballot_codec.MAX_SCORE:
                    wrong.append((path + (option,), f"{NOT_A_SCORE}, not {_shown(score)}"))
        else:
            wrong = [(path + (index,), f"{NOT_AN_ID}, not {_shown(option)}") for index, option in enumerate(given)
                     if not isinstance(option, str) or not UUID_SHAPE.fullmatch(option)]
        for where, message in wrong:
            self.add(where, message)
        return not wrong

    def shown(self, option: str) -> str:
        """An option in a message: its name, else its id."""
        return self.option_names.get(option) or option

    def choices(self, item: dict, path: JsonPath, kind: str | None, poll_options: list[str | None] | None,
                counted: dict[int, int], secret: bool = False) -> list[dict]:
        """The poll's options with their counts, checked against its ballots."""
        normal = []
        listed: set[str] = set()
        for here, choice in self.items(item.get("options"), path + ("options",)):
            option = self.uuid(choice, here, "option")
            if option is not None and option not in self.option_ids:
                self.add(here + ("option",), f"no option {option} in the document's options")
            if option is not None and option in listed:
                self.add(here + ("option",), f"option {option} is listed twice in this poll")
            listed.add(option)
            vote_count = self.field(choice, here, "vote_count")
            adopted_count = self.field(choice, here, "adopted_count", 0)
            if secret and adopted_count:
                self.add(here + ("adopted_count",), f"must be 0 in a secret poll: only single polls adopted from "
                                                    f"an old Votr database have adopted votes, not {adopted_count}")
            elif kind not in (None, "single") and adopted_count:
                self.add(here + ("adopted_count",), f"must be 0 in a {kind} poll: only single polls have votes "
                                                    f"adopted from an old Votr database, not {adopted_count}")
            elif kind is not None and None not in (vote_count, adopted_count):
                from_ballots = counted[here[-1]]
                if vote_count != adopted_count + from_ballots:
                    self.add(here + ("vote_count",), f"{vote_count} is not adopted_count ({adopted_count}) plus "
                                                     f"what the ballots give the option ({from_ballots})")
            normal.append({"option": option, "vote_count": vote_count, "adopted_count": adopted_count})
        return normal

    def voter_count(self, item: dict, path: JsonPath, kind: str | None, poll_options: list[dict],
                    ballots: list[dict]) -> int | None:
        """The adopted votes plus the ballots that record a choice: as given (version 2,
        checked) or computed (version 1, or not given)."""
        adopted = [choice["adopted_count"] for choice in poll_options]
        given = self.field(item, path, "voter_count") if self.version > 1 else None
        if kind is None or None in adopted:
            return given
        expected = sum(adopted) + sum(1 for ballot in ballots if ballot.get(CHOICE_KEY[kind]) is not None)
        if given is not None and given != expected:
            self.add(path + ("voter_count",), f"{given} is not the poll's adopted votes ({sum(adopted)}) plus its "
                                              f"ballots that record a choice ({expected - sum(adopted)})")
        elif expected > MAX_COUNT:  # counts each within bounds, whose sum is not
            self.add(path + ("options",), f"its votes come from {text.counted(expected, 'voter')}, more than {MAX_COUNT}, "
                                          f"the most a poll can have")
        return expected

    def text(self, item: dict, path: JsonPath, key: str, limit: int) -> str | None:
        """The display form, by the rules `create` applies to what users type."""
        value = self.field(item, path, key)
        if value is None:
            return None
        try:
            return text.clean(value, key, limit)
        except InvalidInput as exc:
            self.add(path + (key,), exc.message)
            return None

    def uuid(self, item: dict, path: JsonPath, key: str) -> str | None:
        value = self.field(item, path, key)
        return None if value is None else value.lower()  # the schema checked its shape

    def date(self, item: dict, path: JsonPath, key: str) -> str | None:
        """The date as the export writes it (UTC, to the second), or None."""
        value = self.field(item, path, key)
        if value is None:
            return None
        try:
            moment = from_iso_utc(value)
        except ValueError:  # the schema checked the shape: this is a day or hour that does not exist
            self.add(path + (key,), f"is not a real date-time: {text.quoted(value)}")
            return None
        except OverflowError:  # the UTC time falls before year 1 or after year 9999
            self.add(path + (key,), f"is outside the years 1 to 9999 in UTC: {text.quoted(value)}")
            return None
        return iso_utc(moment)


def _stored(iso: str | None) -> dt.datetime | None:
    return None if iso is None else dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")


# -- import --------------------------------------------------------------------------


def import_document(db: Database, raw: str, source: str) -> dict:
    document = parse(raw)
    counts = db.write(lambda conn: _import(conn, document))
    polls_part = counts["polls"]
    message = (f"Imported {source} into {db.display_url}: {text.counted(polls_part['added'], 'poll')} added, "
               f"{polls_part['updated']} updated, {polls_part['skipped']} skipped; "
               f"{text.counted(counts['options']['added'], 'option')} added.")
    return {"message": message, **polls_part, **counts}


@dataclass
class _OptionPlan:
    """What importing the document's options does: which database option each one
    becomes, and the rows to add and rename."""

    target: dict[str, str] = field(default_factory=dict)  # the document's option id -> the database's
    new: list[dict] = field(default_factory=list)
    renamed: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"added": 0, "updated": 0, "skipped": 0})


@dataclass
class _PollPlan:
    """What importing the document's polls does: the polls to add and to replace."""

    added: list[dict] = field(default_factory=list)
    replaced: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"added": 0, "updated": 0, "skipped": 0})


def _import(conn: Connection, document: dict) -> dict:
    """Plan the whole import, refusing it if anything conflicts with the database, then
    write it: a refusal leaves the database as it was."""
    existing_topics = {row.public_id: row for row in conn.execute(
        select(topics.c.id, topics.c.public_id, topics.c.title_key))}
    option_plan = _plan_options(conn, document["options"])
    _refuse_taken_titles(document["polls"], existing_topics.values())
    poll_plan = _plan_polls(conn, document["polls"], option_plan.target)
    _refuse_taken_token_hashes(conn, poll_plan, existing_topics)
    _write_options(conn, option_plan)
    _write_polls(conn, poll_plan, existing_topics)
    return {"polls": poll_plan.counts, "options": option_plan.counts}


def _plan_options(conn: Connection, document_options: list[dict]) -> _OptionPlan:
    """Options are matched by public id, else by name (that name's option is used)."""
    now = utcnow()
    existing = {row.public_id: row for row in conn.execute(
        select(options.c.id, options.c.public_id, options.c.name, options.c.name_key))}
    by_key = {row.name_key: row for row in existing.values()}
    plan = _OptionPlan()
    for option in document_options:
        name_key = text.key(option["name"])
        row = existing.get(option["id"])
        holder = by_key.get(name_key)
        if row is None and holder is not None:
            plan.target[option["id"]] = holder.public_id  # that name is there already: use it
            plan.counts["skipped"] += 1
        elif row is None:
            plan.target[option["id"]] = option["id"]
            plan.new.append({"public_id": option["id"], "name": option["name"], "name_key": name_key,
                             "date_created": _stored(option["date_created"]) or now})
            plan.counts["added"] += 1
        else:
            plan.target[option["id"]] = option["id"]
            if holder is not None and holder.public_id != option["id"]:
                raise Refused(f"cannot import option {option['id']} as {option['name']!r}: option "
                              f"{holder.public_id} already has that name; nothing was imported")
            if row.name != option["name"]:
                plan.renamed.append({"row_id": row.id, "name": option["name"], "name_key": name_key})
                plan.counts["updated"] += 1
            else:
                plan.counts["skipped"] += 1
    return plan


def _refuse_taken_titles(document_polls: list[dict], existing_topics) -> None:
    """A poll whose title another poll of the database has (by normalised title) is
    refused, as `create` refuses it."""
    by_key = {row.title_key: row for row in existing_topics}
    for poll in document_polls:
        holder = by_key.get(text.key(poll["title"]))
        if holder is not None and holder.public_id != poll["id"]:
            raise rules.title_taken(poll["title"], holder.public_id,
                                    f", so poll {poll['id']} cannot be imported; nothing was imported")


def _refuse_taken_token_hashes(conn: Connection, plan: _PollPlan, existing_topics: dict) -> None:
    """An invite whose token hash an invite of another poll has (one the import keeps)
    is refused: a token signs one voter in to one poll."""
    replaced = {existing_topics[poll["id"]].id for poll in plan.replaced}
    wanted = {invite["token_hash"]: poll["id"] for poll in plan.added + plan.replaced for invite in poll["invites"]}
    for group in batched(sorted(wanted), KEYS_PER_QUERY):
        for row in conn.execute(select(invites.c.token_hash, invites.c.topic_id, topics.c.public_id)
                                .join_from(invites, topics, topics.c.id == invites.c.topic_id)
                                .where(invites.c.token_hash.in_(group))):
            if row.topic_id not in replaced:
                raise Refused(f"cannot import poll {wanted[row.token_hash]}: one of its invites has the token "
                              f"hash of an invite to poll {row.public_id}; nothing was imported")


def _plan_polls(conn: Connection, document_polls: list[dict], target_option: dict[str, str]) -> _PollPlan:
    """Polls are matched by public id: new ones are added, different ones replaced,
    identical ones (compared as `_export` shows them) skipped."""
    wanted_ids = {poll["id"] for poll in document_polls}
    current = {poll["id"]: poll for poll in _export(conn, strict=False)["polls"] if poll["id"] in wanted_ids}
    plan = _PollPlan()
    for poll in document_polls:
        wanted = _as_exported(poll, target_option)
        if poll["id"] not in current:
            plan.added.append(wanted)
            plan.counts["added"] += 1
        elif not _same(current[poll["id"]], wanted):
            plan.replaced.append(wanted)
            plan.counts["updated"] += 1
        else:
            plan.counts["skipped"] += 1
    return plan


def _write_options(conn: Connection, plan: _OptionPlan) -> None:
    if plan.new:
        conn.execute(insert(options), plan.new)
    if plan.renamed:
        conn.execute(update(options).where(options.c.id == bindparam("row_id"))
                     .values(name=bindparam("name"), name_key=bindparam("name_key")), plan.renamed)


def _write_polls(conn: Connection, plan: _PollPlan, existing_topics: dict) -> None:
    """Replaced polls lose their options and ballots and take the document's values;
    then every changed poll gets the document's options and ballots."""
    if plan.replaced:
        replaced_ids = [existing_topics[poll["id"]].id for poll in plan.replaced]
        for group in batched(replaced_ids, KEYS_PER_QUERY):
            conn.execute(delete(ballots).where(ballots.c.topic_id.in_(group)))
            conn.execute(delete(secret_ballots).where(secret_ballots.c.topic_id.in_(group)))
            conn.execute(delete(poll_voters).where(poll_voters.c.topic_id.in_(group)))
            conn.execute(delete(invites).where(invites.c.topic_id.in_(group)))
            conn.execute(delete(polls).where(polls.c.topic_id.in_(group)))
        conn.execute(update(topics).where(topics.c.id == bindparam("row_id")).values(
            {column: bindparam(column) for column in TOPIC_COLUMNS}),
            [{"row_id": existing_topics[poll["id"]].id, **_topic_values(poll)} for poll in plan.replaced])
    if plan.added:
        conn.execute(insert(topics), [{"public_id": poll["id"], **_topic_values(poll)} for poll in plan.added])
    changed = plan.replaced + plan.added
    if changed:
        _write_choices_and_ballots(conn, changed)


def _write_choices_and_ballots(conn: Connection, changed: list[dict]) -> None:
    topic_id = {}
    for group in batched([poll["id"] for poll in changed], KEYS_PER_QUERY):
        topic_id.update(conn.execute(select(topics.c.public_id, topics.c.id)
                                     .where(topics.c.public_id.in_(group))).all())
    option_id = dict(conn.execute(select(options.c.public_id, options.c.id)).all())
    rows = [{"topic_id": topic_id[poll["id"]], "option_id": option_id[choice["option"]], "position": position,
             "vote_count": choice["vote_count"], "adopted_count": choice["adopted_count"]}
            for poll in changed for position, choice in enumerate(poll["options"])]
    if rows:
        conn.execute(insert(polls), rows)
    rows = [{"topic_id": topic_id[poll["id"]], "voter": ballot["voter"],
             "option_id": option_id[ballot["option"]] if ballot.get("option") else None,
             "date_created": _stored(ballot["date_created"]), "choices": choices}
            for poll in changed if not poll["secret"] for ballot, choices in zip(poll["ballots"], poll["stored"])]
    if rows:
        conn.execute(insert(ballots), rows)
    secret = [poll for poll in changed if poll["secret"]]
    rows = [{"topic_id": topic_id[poll["id"]], "voter": voter} for poll in secret for voter in poll["voters"]]
    if rows:
        conn.execute(insert(poll_voters), rows)
    # Under random keys and in a random order, as `vote` writes them: PostgreSQL keeps rows
    # in the order they were written, and that order must not follow poll_voters'.
    rows = [{"id": secrets.token_hex(SECRET_ID_LENGTH // 2), "topic_id": topic_id[poll["id"]],
             "option_id": option_id[ballot["option"]] if ballot.get("option") else None, "choices": choices}
            for poll in secret for ballot, choices in zip(poll["ballots"], poll["stored"])]
    secrets.SystemRandom().shuffle(rows)
    if rows:
        conn.execute(insert(secret_ballots), rows)
    rows = [{"topic_id": topic_id[poll["id"]], "voter": text.voter_name(invite["voter"]),
             "voter_name": invite["voter"], "token_hash": invite["token_hash"],
             "invited_at": _stored(invite["invited_at"])}
            for poll in changed for invite in poll["invites"]]
    if rows:
        conn.execute(insert(invites), rows)


def _as_exported(poll: dict, target_option: dict[str, str]) -> dict:
    """The document's poll as `_export` would show it once imported: comparable with the
    database's. Its `stored` choices stay beside it, for writing."""
    return {**poll,
            "options": [{**choice, "option": target_option[choice["option"]]} for choice in poll["options"]],
            "ballots": [_ballot_as_exported(ballot, target_option) for ballot in poll["ballots"]]}


def _ballot_as_exported(ballot: dict, target: dict[str, str]) -> dict:
    if "options" in ballot:
        return {**ballot, "options": [target[option] for option in ballot["options"]]}
    if "scores" in ballot:
        return {**ballot, "scores": {target[option]: score for option, score in ballot["scores"].items()}}
    return {**ballot, "option": target[ballot["option"]] if ballot["option"] else None}


def _same(current: dict, wanted: dict) -> bool:
    """Whether the database's poll is the document's, as `_export` shows both."""
    return current == {key: value for key, value in wanted.items() if key != "stored"}


# The columns of topics that an import writes, beside its public id.
TOPIC_COLUMNS = ("title", "title_key", "status", "close_date", "date_created", "kind", "method", "min_choices",
                 "max_choices", "voter_count", "allow_change", "results", "secret", "quorum", "invite_only")


def _topic_values(poll: dict) -> dict:
    return {"title": poll["title"], "title_key": text.key(poll["title"]), "status": poll["status"],
            "close_date": _stored(poll["close_date"]), "date_created": _stored(poll["date_created"]),
            "kind": poll["kind"], "method": poll["method"], "min_choices": poll["min_choices"],
            "max_choices": poll["max_choices"], "voter_count": poll["voter_count"],
            "allow_change": poll["allow_change"], "results": poll["results"], "secret": poll["secret"],
            "quorum": poll["quorum"], "invite_only": poll["invite_only"]}
