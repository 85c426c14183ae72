"""Export and import: every poll, option and ballot as one JSON document.

This is how a team moves from one database to another (`votr export > all.json`, then
`votr --db postgresql+psycopg://… import all.json`). The document, version 1, is
declared by the JSON Schema export.schema.json beside this module; in short:

    {"format": "votr-export", "version": 1, "exported_at": "…Z", "schema": "0003",
     "options": [{"id": "<uuid>", "name": "…", "date_created": "…Z"}],
     "polls": [{"id": "k3v9x2ab", "title": "…", "status": true, "close_date": null,
                "date_created": "…Z",
                "options": [{"option": "<uuid>", "vote_count": 3, "adopted_count": 0}],
                "ballots": [{"voter": "ann", "option": "<uuid>" or null, "date_created": "…Z"}]}]}

- `schema` is the database's schema revision at export (SCHEMA_HEAD, now "0003").
- `status` is the stored flag (a poll past its close date still says true, as in the
  database); dates are UTC to the second; options of a poll are in the poll's order.
- `adopted_count` is the part of `vote_count` that has no ballot (votes adopted from an
  old Votr database), so vote_count = adopted_count + the option's ballots, always.

Import checks the whole document before it writes anything, then writes it in one
transaction. Polls are matched by public id: a poll that is not in the database is
added; one that is there and differs is replaced by the document's version (its title,
status, dates, options, counts and ballots); one that is identical is skipped. Options
are matched by public id, else by name (an option of that name already there is used).
Nothing in the database that the document does not mention is touched.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import datetime as dt
import json
import os
import stat
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from votr_cli.core import polls as rules
from votr_cli.core import text
from votr_cli.db.database import Database
from votr_cli.core.errors import InvalidInput, Refused
from votr_cli.db.tables import SCHEMA_HEAD, VOTER_LENGTH, ballots, options, polls, topics
from votr_cli.db.chunks import KEYS_PER_QUERY, batched
from votr_cli.core.when import iso_utc, utcnow

FORMAT = "votr-export"
VERSION = 1
MAX_PROBLEMS_SHOWN = 10
# The largest count every backend's INTEGER column holds (a signed 32-bit integer); the
# schema's limit, which tests/unit/test_export_schema.py holds equal to this.
MAX_COUNT = 2**31 - 1
# The JSON Schema of the document, beside this module (package data).
SCHEMA_FILE = "export.schema.json"


# -- export --------------------------------------------------------------------------


def export_document(db: Database) -> dict:
    with db.reading() as conn:
        return _export(conn)


def _export(conn: Connection) -> dict:
    option_rows = conn.execute(
        select(options.c.id, options.c.public_id, options.c.name, options.c.date_created).order_by(options.c.id)
    ).all()
    public_option = {row.id: row.public_id for row in option_rows}
    choices = defaultdict(list)
    for row in conn.execute(select(polls).order_by(polls.c.topic_id, polls.c.position)):
        choices[row.topic_id].append({"option": public_option[row.option_id], "vote_count": row.vote_count,
                                      "adopted_count": row.adopted_count})
    voters = defaultdict(list)
    for row in conn.execute(select(ballots).order_by(ballots.c.topic_id, ballots.c.id)):
        voters[row.topic_id].append({"voter": row.voter, "option": public_option.get(row.option_id),
                                     "date_created": iso_utc(row.date_created)})
    poll_documents = [
        {"id": topic.public_id, "title": topic.title, "status": bool(topic.status),
         "close_date": iso_utc(topic.close_date), "date_created": iso_utc(topic.date_created),
         "options": choices[topic.id], "ballots": voters[topic.id]}
        for topic in conn.execute(select(topics).order_by(topics.c.id))
    ]
    return {
        "format": FORMAT, "version": VERSION, "exported_at": iso_utc(utcnow()), "schema": SCHEMA_HEAD,
        "options": [{"id": row.public_id, "name": row.name, "date_created": iso_utc(row.date_created)}
                    for row in option_rows],
        "polls": poll_documents,
    }


def write_document(document: dict, path: str, source: Database) -> None:
    """Write the export of `source` to `path` through a temporary file, so it is never
    half-written, and no more readable than `source` (see `_export_mode`)."""
    target = Path(path)
    _refuse_unusual_target(target)
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent or ".", prefix=f".{target.name}.",
                                         suffix=".tmp", delete=False) as temporary:
            json.dump(document, temporary, ensure_ascii=False)
            temporary.write("\n")
        os.chmod(temporary.name, _export_mode(source))
        os.replace(temporary.name, target)
    except OSError as exc:
        with contextlib.suppress(NameError, OSError):
            os.unlink(temporary.name)
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None


def _export_mode(source: Database) -> int:
    """The mode any new file gets (the umask's), never wider than a SQLite database's own:
    the export holds every ballot, so whoever may not read the database may not read it.
    (The temporary file it is written to starts private, 0600.)"""
    umask = os.umask(0)
    os.umask(umask)
    mode = 0o666 & ~umask
    database_file = source.sqlite_file
    if database_file is not None:
        mode &= stat.S_IMODE(database_file.stat().st_mode)
    return mode


def _refuse_unusual_target(target: Path) -> None:
    """An export replaces a regular file only: never a symlink (planted to make it
    overwrite a file elsewhere), a device such as /dev/full, or a pipe."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
        raise InvalidInput(f"cannot write {target}: it is {kind}; votr exports to a new or regular file only")


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
    return {"message": f"Exported {_amount(counts['polls'], 'poll')}, {_amount(counts['options'], 'option')} "
                       f"and {_amount(counts['ballots'], 'ballot')} to {where}.", "file": where, **counts}


def _amount(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


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
    if version != VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > VERSION
        reason = "made by a newer votr: upgrade votr" if newer else f"unknown version {version!r}"
        raise InvalidInput(f"cannot import this export: {reason} (this votr reads version {VERSION})")
    checker = _Checker(_schema_problems(document))
    normal = {"options": checker.options(document.get("options", [])),
              "polls": checker.polls(document.get("polls", []))}
    checker.raise_if_any()
    return normal


def _decode(raw: str) -> Any:
    try:
        return json.loads(raw)
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

    def __init__(self, schema_problems: list[tuple[JsonPath, str]]):
        self.problems = list(schema_problems)
        self.refused = {path for path, _ in schema_problems}
        self.option_ids: set[str] = set()

    def usable(self, path: JsonPath) -> bool:
        """Whether the schema accepted the value at `path` and every value around it."""
        return not any(path[:length] in self.refused for length in range(len(path) + 1))

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
        raise InvalidInput(f"not a valid votr export ({len(found)} problem"
                           f"{'s' if len(found) > 1 else ''}, nothing was imported): {shown}{suffix}")

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
        ballots = []
        voters: set[str] = set()
        for here, given in self.items(item.get("ballots", []), path + ("ballots",)):
            ballot = self.ballot(given, here)
            if ballot["voter"] is not None and ballot["voter"] in voters:
                self.add(here + ("voter",), f"{ballot['voter']!r} voted twice in this poll")
            voters.add(ballot["voter"])
            ballots.append(ballot)
        return {"id": self.field(item, path, "id"), "title": self.text(item, path, "title", text.MAX_TITLE),
                "status": self.field(item, path, "status"), "close_date": self.date(item, path, "close_date"),
                "date_created": self.date(item, path, "date_created"),
                "options": self.choices(item, path, ballots), "ballots": ballots}

    def ballot(self, item: dict, path: JsonPath) -> dict:
        # An export holds voters folded, and folding can make a name of MAX_VOTER characters
        # up to three times longer: the column's length is the limit here.
        voter = self.text(item, path, "voter", VOTER_LENGTH)
        if voter is not None:
            voter = text.fold(voter)
            if len(voter) > VOTER_LENGTH:
                self.add(path + ("voter",), f"is longer than {VOTER_LENGTH} characters")
        return {"voter": voter, "option": self.uuid(item, path, "option"),
                "date_created": self.date(item, path, "date_created")}

    def choices(self, item: dict, path: JsonPath, ballots: list[dict]) -> list[dict]:
        """The poll's options with their counts, checked against its ballots."""
        ballot_counts: dict[str, int] = defaultdict(int)
        for ballot in ballots:
            if ballot["option"] is not None:
                ballot_counts[ballot["option"]] += 1
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
            if None not in (option, vote_count, adopted_count) and \
                    vote_count != adopted_count + ballot_counts[option]:
                self.add(here + ("vote_count",), f"{vote_count} is not adopted_count ({adopted_count}) plus "
                                                 f"the option's ballots ({ballot_counts[option]})")
            normal.append({"option": option, "vote_count": vote_count, "adopted_count": adopted_count})
        if self.usable(path + ("options",)):
            for option in sorted(set(ballot_counts) - listed):
                self.add(path + ("ballots",), f"a ballot names option {option}, which this poll does not list")
        return normal

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
            moment = dt.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        except ValueError:  # the schema checked the shape: this is a day or hour that does not exist
            self.add(path + (key,), f"is not a real date-time: {text.quoted(value)}")
            return None
        if moment.tzinfo is not None:
            try:
                moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
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
    message = (f"Imported {source} into {db.display_url}: {_amount(polls_part['added'], 'poll')} added, "
               f"{polls_part['updated']} updated, {polls_part['skipped']} skipped; "
               f"{_amount(counts['options']['added'], 'option')} added.")
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


def _plan_polls(conn: Connection, document_polls: list[dict], target_option: dict[str, str]) -> _PollPlan:
    """Polls are matched by public id: new ones are added, different ones replaced,
    identical ones (compared as `_export` shows them) skipped."""
    wanted_ids = {poll["id"] for poll in document_polls}
    current = {poll["id"]: poll for poll in _export(conn)["polls"] if poll["id"] in wanted_ids}
    plan = _PollPlan()
    for poll in document_polls:
        wanted = _as_exported(poll, target_option)
        if poll["id"] not in current:
            plan.added.append(wanted)
            plan.counts["added"] += 1
        elif current[poll["id"]] != wanted:
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
            conn.execute(delete(polls).where(polls.c.topic_id.in_(group)))
        conn.execute(update(topics).where(topics.c.id == bindparam("row_id")).values(
            title=bindparam("title"), title_key=bindparam("title_key"), status=bindparam("status"),
            close_date=bindparam("close_date"), date_created=bindparam("date_created")),
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
             "option_id": option_id[ballot["option"]] if ballot["option"] else None,
             "date_created": _stored(ballot["date_created"])}
            for poll in changed for ballot in poll["ballots"]]
    if rows:
        conn.execute(insert(ballots), rows)


def _as_exported(poll: dict, target_option: dict[str, str]) -> dict:
    """The document's poll as `_export` would show it once imported: comparable with the database's."""
    return {**poll,
            "options": [{**choice, "option": target_option[choice["option"]]} for choice in poll["options"]],
            "ballots": [{**ballot, "option": target_option[ballot["option"]] if ballot["option"] else None}
                        for ballot in poll["ballots"]]}


def _topic_values(poll: dict) -> dict:
    return {"title": poll["title"], "title_key": text.key(poll["title"]), "status": poll["status"],
            "close_date": _stored(poll["close_date"]), "date_created": _stored(poll["date_created"])}
