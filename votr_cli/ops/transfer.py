"""Export and import: every poll, option and ballot as one JSON document.

This is how a team moves from one database to another (`votr export > all.json`, then
`votr --db postgresql+psycopg://… import all.json`). The document, version 1:

    {"format": "votr-export", "version": 1, "exported_at": "…Z", "schema": "0002",
     "options": [{"id": "<uuid>", "name": "…", "date_created": "…Z"}],
     "polls": [{"id": "k3v9x2ab", "title": "…", "status": true, "close_date": null,
                "date_created": "…Z",
                "options": [{"option": "<uuid>", "vote_count": 3, "adopted_count": 0}],
                "ballots": [{"voter": "ann", "option": "<uuid>" or null, "date_created": "…Z"}]}]}

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
import datetime as dt
import json
import os
import stat
import sys
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from votr_cli.core import polls as rules
from votr_cli.core import text
from votr_cli.db.database import Database
from votr_cli.core.errors import InvalidInput, Refused
from votr_cli.db.tables import SCHEMA_HEAD, VOTER_LENGTH, ballots, options, polls, topics
from votr_cli.service.polls import KEYS_PER_QUERY, PUBLIC_ID_ALPHABET, PUBLIC_ID_SIZE, _batched, is_public_id
from votr_cli.core.when import iso_utc, utcnow

FORMAT = "votr-export"
VERSION = 1
MAX_PROBLEMS_SHOWN = 10
# The largest count every backend's INTEGER column holds (a signed 32-bit integer).
MAX_COUNT = 2**31 - 1
# How much of a refused value a problem quotes.


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


def write_document(document: dict, path: str) -> None:
    """Write the export to `path` through a temporary file, so it is never half-written."""
    target = Path(path)
    _refuse_unusual_target(target)
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent or ".", prefix=f".{target.name}.",
                                         suffix=".tmp", delete=False) as temporary:
            json.dump(document, temporary, ensure_ascii=False)
            temporary.write("\n")
        # A temporary file is private (0600); give the export the mode any new file gets.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary.name, 0o666 & ~umask)
        os.replace(temporary.name, target)
    except OSError as exc:
        with contextlib.suppress(NameError, OSError):
            os.unlink(temporary.name)
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None


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


class _Problems:
    def __init__(self):
        self.found: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.found.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if not self.found:
            return
        shown = "; ".join(self.found[:MAX_PROBLEMS_SHOWN])
        more = len(self.found) - MAX_PROBLEMS_SHOWN
        suffix = f"; and {more} more" if more > 0 else ""
        raise InvalidInput(f"not a valid votr export ({len(self.found)} problem"
                           f"{'s' if len(self.found) > 1 else ''}, nothing was imported): {shown}{suffix}")


def parse(raw: str) -> dict:
    """The document in `raw`, checked in full and normalised; InvalidInput if anything is wrong."""
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not a valid votr export: not JSON ({exc}); nothing was imported") from None
    except RecursionError:
        raise InvalidInput("not a valid votr export: nested too deeply; nothing was imported") from None
    except ValueError as exc:  # an integer too long for Python to convert (over 4300 digits)
        raise InvalidInput(f"not a valid votr export: {exc}; nothing was imported") from None
    problems = _Problems()
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidInput(f'not a valid votr export: it has no "format": "{FORMAT}"; nothing was imported')
    version = document.get("version")
    if version != VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > VERSION
        reason = "made by a newer votr: upgrade votr" if newer else f"unknown version {version!r}"
        raise InvalidInput(f"cannot import this export: {reason} (this votr reads version {VERSION})")
    option_list = _list(document, "options", "document", problems)
    poll_list = _list(document, "polls", "document", problems)
    problems.raise_if_any()

    normal = {"options": [], "polls": []}
    option_ids: set[str] = set()
    option_keys: dict[str, str] = {}
    for where, item in _objects(option_list, "options", problems):
        option_id = _uuid(item.get("id"), f"{where}.id", problems)
        name = _text(item.get("name"), f"{where}.name", text.MAX_OPTION, problems)
        created = _date(item.get("date_created"), f"{where}.date_created", problems, required=True)
        if option_id in option_ids:
            problems.add(f"{where}.id", f"option id {option_id} appears twice")
        if name is not None:
            other = option_keys.get(text.key(name))
            if other is not None:
                problems.add(f"{where}.name", f"{name!r} is the same name as option {other}")
            option_keys[text.key(name)] = option_id
        option_ids.add(option_id)
        normal["options"].append({"id": option_id, "name": name, "date_created": created})

    poll_ids: set[str] = set()
    title_keys: dict[str, str] = {}
    for where, item in _objects(poll_list, "polls", problems):
        poll = _parse_poll(item, where, option_ids, problems)
        if poll["id"] in poll_ids:
            problems.add(f"{where}.id", f"poll id {poll['id']!r} appears twice")
        poll_ids.add(poll["id"])
        if poll["title"] is not None:
            other = title_keys.get(text.key(poll["title"]))
            if other is not None:
                problems.add(f"{where}.title", f"{poll['title']!r} is the same title as poll {other}")
            title_keys[text.key(poll["title"])] = poll["id"]
        normal["polls"].append(poll)
    problems.raise_if_any()
    return normal


def _parse_poll(item: dict, where: str, option_ids: set[str], problems: _Problems) -> dict:
    poll_id = item.get("id")
    if not is_public_id(poll_id):
        problems.add(f"{where}.id", f"a poll id is {PUBLIC_ID_SIZE} characters of {PUBLIC_ID_ALPHABET}, "
                                    f"not {text.quoted(poll_id)}")
    status = item.get("status")
    if not isinstance(status, bool):
        problems.add(f"{where}.status", f"must be true or false, not {text.quoted(status)}")
    poll = {
        "id": poll_id, "title": _text(item.get("title"), f"{where}.title", text.MAX_TITLE, problems),
        "status": status, "close_date": _date(item.get("close_date"), f"{where}.close_date", problems),
        "date_created": _date(item.get("date_created"), f"{where}.date_created", problems, required=True),
        "options": [], "ballots": [],
    }
    ballot_counts: dict[str, int] = defaultdict(int)
    listed: set[str] = set()
    voters: set[str] = set()
    for here, choice in _objects(_list(item, "ballots", where, problems), f"{where}.ballots", problems):
        voter = _voter(choice.get("voter"), f"{here}.voter", problems)
        option = choice.get("option")
        if option is not None:
            option = _uuid(option, f"{here}.option", problems)
            ballot_counts[option] += 1
        if voter in voters:
            problems.add(f"{here}.voter", f"{voter!r} voted twice in this poll")
        voters.add(voter)
        poll["ballots"].append({"voter": voter, "option": option,
                                "date_created": _date(choice.get("date_created"), f"{here}.date_created",
                                                      problems, required=True)})
    for here, choice in _objects(_list(item, "options", where, problems), f"{where}.options", problems):
        option = _uuid(choice.get("option"), f"{here}.option", problems)
        if option not in option_ids:
            problems.add(f"{here}.option", f"no option {option} in the document's options")
        if option in listed:
            problems.add(f"{here}.option", f"option {option} is listed twice in this poll")
        listed.add(option)
        vote_count = _count(choice.get("vote_count"), f"{here}.vote_count", problems)
        adopted_count = _count(choice.get("adopted_count", 0), f"{here}.adopted_count", problems)
        if vote_count is not None and adopted_count is not None and \
                vote_count != adopted_count + ballot_counts[option]:
            problems.add(f"{here}.vote_count", f"{vote_count} is not adopted_count ({adopted_count}) plus "
                                               f"the option's ballots ({ballot_counts[option]})")
        poll["options"].append({"option": option, "vote_count": vote_count, "adopted_count": adopted_count})
    for option in set(ballot_counts) - listed:
        problems.add(f"{where}.ballots", f"a ballot names option {option}, which this poll does not list")
    if len(poll["options"]) < 2:
        problems.add(f"{where}.options", f"a poll needs at least 2 options, not {len(poll['options'])}")
    return poll


def _objects(items: list, where: str, problems: _Problems) -> Iterator[tuple[str, dict]]:
    """The items that are JSON objects, each with its path (`where[index]`); the others are
    reported as problems."""
    for index, item in enumerate(items):
        if isinstance(item, dict):
            yield f"{where}[{index}]", item
        else:
            problems.add(f"{where}[{index}]", "not an object")


def _list(container: dict, key: str, where: str, problems: _Problems) -> list:
    value = container.get(key, [])
    if not isinstance(value, list):
        problems.add(f"{where}.{key}", "must be a list")
        return []
    return value


def _text(value: Any, where: str, limit: int, problems: _Problems) -> str | None:
    """The display form, by the rules `create` applies to what users type."""
    if not isinstance(value, str):
        problems.add(where, f"must be text, not {text.quoted(value)}")
        return None
    try:
        return text.clean(value, where.rsplit(".", 1)[-1], limit)
    except InvalidInput as exc:
        problems.add(where, exc.message)
        return None


def _voter(value: Any, where: str, problems: _Problems) -> str | None:
    # An export holds voters folded, and folding can make a name of MAX_VOTER characters
    # up to three times longer: the column's length is the limit here.
    display = _text(value, where, VOTER_LENGTH, problems)
    if display is None:
        return None
    voter = text.fold(display)
    if len(voter) > VOTER_LENGTH:
        problems.add(where, f"is longer than {VOTER_LENGTH} characters")
        return None
    return voter


def _uuid(value: Any, where: str, problems: _Problems) -> str | None:
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError, AttributeError):
        problems.add(where, f"must be a UUID, not {text.quoted(value)}")
        return None


def _count(value: Any, where: str, problems: _Problems) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        problems.add(where, f"must be a whole number from 0 to {MAX_COUNT}, not {text.quoted(value)}")
        return None
    return value


def _date(value: Any, where: str, problems: _Problems, *, required: bool = False) -> str | None:
    """The date as the export writes it (UTC, to the second), or None."""
    if value is None and not required:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except (AttributeError, TypeError, ValueError):
        problems.add(where, f"must be an ISO-8601 date-time, not {text.quoted(value)}")
        return None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        except OverflowError:  # the UTC time falls before year 1 or after year 9999
            problems.add(where, f"is outside the years 1 to 9999 in UTC: {text.quoted(value)}")
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
        for group in _batched(replaced_ids, KEYS_PER_QUERY):
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
    for group in _batched([poll["id"] for poll in changed], KEYS_PER_QUERY):
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
