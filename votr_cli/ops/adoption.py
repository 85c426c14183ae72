"""Adoption of databases left by the original Votr web app (`votr db-upgrade`).

The app's Alembic history is not votr's, so Alembic cannot walk from one to the other.
Adoption is a step of its own that `admin.upgrade` runs before Alembic:

1. detect: the app's tables (`topics`, `options`, `polls`) without votr's columns, and
   either no `alembic_version` (the app's first stage) or one of the app's revisions;
2. move the app's tables aside (`legacy_votr_*`), create votr's schema at head, and
   copy every poll, option, count and voter into it, repairing what votr's constraints
   would refuse by the rules below;
3. drop the moved-aside tables.

On SQLite and PostgreSQL all of it is one transaction. MariaDB commits each DDL
statement on its own; the data and votr's revision stamp still commit together, so an
adoption cut short there leaves either the moved-aside tables and an empty schema
(db-upgrade starts the copy again) or the copied data and leftovers (db-upgrade drops
them).

Repair rules, applied in row-id order so that they are deterministic:

- a NULL `topics.status` is open;
- a NULL `polls.vote_count` is 0 (the app recorded who voted, never for what, so its
  voters cannot say otherwise), and so is a negative one (no votes can be fewer than none);
- two `polls` rows of one option in one poll become one, their counts added;
- two options whose names are equal after normalisation become the first one;
- a title already taken (after normalisation) by a poll with a lower id gets " (2)",
  " (3)", … (the first number that gives a free title);
- a voter recorded twice in one poll (`user_polls`) becomes one ballot;
- a missing title or option name becomes "Untitled poll N" / "Option N"; control
  characters in one are written out as escapes (`\x1b`), as `create` would refuse them;
  a `topics.unique_id` that is missing, taken, or not of the shape of a public id
  (votr_cli.core.ids) is replaced;
- rows that point at a poll, option or user that does not exist cannot be carried
  over: each is reported.

Every repair is reported. Counts carried over have no ballot, so they are also kept in
`polls.adopted_count` (vote_count = adopted_count + ballots for that option); voters from
`user_polls` become ballots with no option, so they cannot vote twice. The app's `users`
table is left as it was (votr has no accounts and never reads it); `date_modified`,
`topics.create_uid` and `polls.date_created` are not carried over, and the report says so.
"""

from __future__ import annotations

import collections
import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, MetaData, Table, inspect, insert, select

from votr_cli.core import text
from votr_cli.core.errors import DatabaseProblem, InvalidInput
from votr_cli.core.ids import is_public_id, new_public_id
from votr_cli.core.when import utcnow
from votr_cli.db import dialect
from votr_cli.db.database import Database
from votr_cli.db.engine import enable_wal
from votr_cli.db.legacy import LEGACY_REVISIONS, LEGACY_TABLES, MOVED_PREFIX, STAGES
from votr_cli.db.tables import ballots, metadata, options, polls, topics

# The app's tables that adoption replaces, children first (the order they are dropped in).
MOVED_TABLES = ("user_polls", "polls", "topics", "options", "alembic_version")
KEPT_TABLES = ("users",)
DUPLICATE_TITLE_SUFFIX = " ({number})"


@dataclass
class LegacyDatabase:
    """What detection found: the app's revision (None for its first stage) and progress."""

    revision: str | None
    interrupted: bool = False  # the app's tables were already moved aside
    copied: bool = False  # ...and the data is in: only leftovers remain

    @property
    def stage(self) -> str:
        return STAGES.get(self.revision, f"revision {self.revision}")


# -- detection -----------------------------------------------------------------------


def pending(db: Database) -> LegacyDatabase | None:
    """The old Votr database at `db` that is waiting for adoption, if that is what it is."""
    if not db.exists():
        return None
    with db.translated_errors(), db.engine.connect() as conn:
        return detect(conn)


def detect(conn: Connection) -> LegacyDatabase | None:
    tables = set(inspect(conn).get_table_names())
    if f"{MOVED_PREFIX}topics" in tables:
        legacy_revisions = _revisions(conn, f"{MOVED_PREFIX}alembic_version", tables)
        copied = bool(_revisions(conn, "alembic_version", tables))
        return LegacyDatabase(legacy_revisions[0] if legacy_revisions else None, interrupted=True, copied=copied)
    if not LEGACY_TABLES <= tables:
        return None
    if "public_id" in {column["name"] for column in inspect(conn).get_columns("topics")}:
        return None  # votr's own tables
    revisions = _revisions(conn, "alembic_version", tables)
    if revisions and not set(revisions) <= LEGACY_REVISIONS:
        return None  # someone else's history: Alembic will say it does not know it
    return LegacyDatabase(revisions[0] if revisions else None)


def _revisions(conn: Connection, table: str, tables: set[str]) -> list[str]:
    if table not in tables:
        return []
    version = Table(table, MetaData(), autoload_with=conn)
    return list(conn.execute(select(version.c.version_num)).scalars())


# -- adoption ------------------------------------------------------------------------


def adopt(db: Database) -> dict | None:
    """Adopt the old Votr database at `db`; None if there is none (any more) to adopt."""
    engine = db.migration_engine()  # no foreign-key enforcement while tables move
    try:
        if db.is_sqlite:
            enable_wal(engine)
        with db.translated_errors(), engine.connect() as conn:
            with dialect.schema_change_transaction(conn.execution_options(votr_write=True)):
                found = detect(conn)
                if found is None:
                    return None
                return _adopt(conn, found)
    finally:
        engine.dispose()


def _adopt(conn: Connection, found: LegacyDatabase) -> dict:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from votr_cli.db.migrations import stamp_head

    operations = Operations(MigrationContext.configure(conn))
    if found.copied:
        _drop_moved(conn, operations)
        return {"stage": found.stage, "legacy_revision": found.revision, "resumed": True,
                "summary": {}, "dropped": [], "kept_tables": [], "repairs": []}
    if found.interrupted:
        # Only an empty schema can be here: data and revision stamp commit together.
        metadata.drop_all(conn, checkfirst=True)
        if "alembic_version" in inspect(conn).get_table_names():
            operations.drop_table("alembic_version")
    else:
        _move_aside(conn)
    legacy = _read_moved(conn)
    plan = Plan.build(legacy, now=utcnow())
    metadata.create_all(conn)
    stamp_head(conn)
    write_plan(conn, plan)
    _drop_moved(conn, operations)
    return {"stage": found.stage, "legacy_revision": found.revision, "resumed": found.interrupted,
            "summary": plan.summary(), "dropped": legacy.dropped_columns(),
            "kept_tables": [name for name in KEPT_TABLES if name in legacy.other_tables],
            "repairs": plan.repairs}


def _move_aside(conn: Connection) -> None:
    present = [name for name in MOVED_TABLES if name in inspect(conn).get_table_names()]
    dialect.rename_tables(conn, {name: MOVED_PREFIX + name for name in present})


def _drop_moved(conn: Connection, operations) -> None:
    present = set(inspect(conn).get_table_names())
    for name in MOVED_TABLES:
        if MOVED_PREFIX + name in present:
            operations.drop_table(MOVED_PREFIX + name)


@dataclass
class Legacy:
    """The app's rows, read from the moved-aside tables."""

    columns: dict[str, set[str]]
    rows: dict[str, list[dict]]
    other_tables: set[str]

    def dropped_columns(self) -> list[str]:
        carried = {
            "topics": {"id", "title", "status", "close_date", "unique_id", "date_created"},
            "options": {"id", "name", "date_created"},
            "polls": {"id", "topic_id", "option_id", "vote_count"},
            "user_polls": {"id", "topic_id", "user_id", "date_created"},
        }
        return [f"{table}.{column}" for table, known in carried.items()
                for column in sorted(self.columns.get(table, set()) - known)]


def _read_moved(conn: Connection) -> Legacy:
    present = set(inspect(conn).get_table_names())
    columns: dict[str, set[str]] = {}
    rows: dict[str, list[dict]] = {}
    reflected = MetaData()
    for name in ("topics", "options", "polls", "user_polls", "users"):
        stored = MOVED_PREFIX + name if name in MOVED_TABLES else name
        if stored not in present:
            rows[name] = []
            continue
        table = Table(stored, reflected, autoload_with=conn)
        columns[name] = set(table.c.keys())
        try:
            rows[name] = [dict(row) for row in conn.execute(select(table).order_by(table.c.id)).mappings()]
        except ValueError as exc:  # SQLite stores whatever the app wrote: a date it cannot parse
            raise DatabaseProblem(f"cannot read the old table {name}: {exc}; nothing was changed "
                                  f"(fix the value, or restore from the backup)") from None
    return Legacy(columns, rows, present)


# -- the plan: pure Python, from the app's rows to votr's ----------------------------


def numbered_title(title: str, number: int, limit: int = text.MAX_TITLE) -> str:
    suffix = DUPLICATE_TITLE_SUFFIX.format(number=number)
    return title[: limit - len(suffix)].rstrip(" ") + suffix


@dataclass
class Plan:
    """votr's rows and the repairs that made them, from the app's rows: pure Python, no
    connection (write_plan below writes it). A long class of short methods, one per
    table planned, because they share the repairs list and the adoption time."""

    now: dt.datetime
    topics: list[dict] = field(default_factory=list)
    options: list[dict] = field(default_factory=list)
    polls: list[dict] = field(default_factory=list)
    ballots: list[dict] = field(default_factory=list)
    repairs: list[dict] = field(default_factory=list)

    def repair(self, rule: str, table: str, ids: Iterable[int], message: str) -> None:
        self.repairs.append({"rule": rule, "table": table, "ids": list(ids), "message": message})

    @classmethod
    def build(cls, legacy: Legacy, now: dt.datetime) -> Plan:
        plan = cls(now)
        topic_ids = plan._plan_topics(legacy.rows["topics"])
        option_of = plan._plan_options(legacy.rows["options"])
        plan._plan_polls(legacy.rows["polls"], topic_ids, option_of)
        plan._plan_ballots(legacy.rows["user_polls"], legacy.rows["users"], topic_ids)
        return plan

    def _created(self, row: dict, table: str, what: str) -> dt.datetime:
        moment = row.get("date_created") or row.get("date_modified")
        if moment is None:
            self.repair("missing-date", table, [row["id"]], f"{what} had no creation date: set to the adoption time")
            return self.now
        return moment

    def _plan_topics(self, rows: list[dict]) -> set[int]:
        original_keys = {text.key(text.stored_text(row.get("title"))) for row in rows}
        taken_keys: set[str] = set()
        kept_ids = self._kept_public_ids(rows)
        used_ids = set(kept_ids.values())
        for row in rows:
            topic_id = row["id"]
            title = self._usable_text(row.get("title"), "topics", topic_id, "title", text.MAX_TITLE,
                                      placeholder=f"Untitled poll {topic_id}", who=f"poll {topic_id}")
            if text.key(title) in taken_keys:
                number = 2
                candidate = numbered_title(title, number)
                while text.key(candidate) in taken_keys or text.key(candidate) in original_keys:
                    number += 1
                    candidate = numbered_title(title, number)
                self.repair("duplicate-title", "topics", [topic_id],
                            f"poll {topic_id}: title {title!r} is taken by an older poll: renamed {candidate!r}")
                title = candidate
            taken_keys.add(text.key(title))
            status = row.get("status")
            if status is None:
                self.repair("null-status", "topics", [topic_id], f"poll {topic_id} {title!r} had no status: set to open")
                status = True
            public_id = kept_ids.get(topic_id)
            if public_id is None:
                public_id = new_public_id(used_ids.__contains__)
                used_ids.add(public_id)
                if "unique_id" in row:
                    self.repair("public-id", "topics", [topic_id],
                                f"poll {topic_id} {title!r}: unique_id {row['unique_id']!r} is missing, unusable "
                                f"or taken: given id {public_id}")
            self.topics.append({
                "id": topic_id, "public_id": public_id, "title": title, "title_key": text.key(title),
                "status": bool(status), "close_date": row.get("close_date"),
                "date_created": self._created(row, "topics", f"poll {topic_id}"),
            })
        return {row["id"] for row in rows}

    def _usable_text(self, raw, table: str, row_id: int, field: str, limit: int, *, placeholder: str,
                     who: str) -> str:
        """A title or name votr can hold: a missing one gets a placeholder, a long one is cut."""
        value = text.stored_text(raw)
        if raw is not None and value and text.printable(str(raw)) != str(raw):
            self.repair(f"control-{field}", table, [row_id],
                        f"{who}: control characters in its {field} written out as escapes: {value!r}")
        if not value:
            value = placeholder
            self.repair(f"missing-{field}", table, [row_id], f"{who} had no {field}: named {value!r}")
        if len(value) > limit:
            value = value[:limit].rstrip(" ")
            self.repair(f"long-{field}", table, [row_id],
                        f"{who}: {field} over {limit} characters shortened to {value!r}")
        return value

    @staticmethod
    def _kept_public_ids(rows: list[dict]) -> dict[int, str]:
        """Legacy unique_ids that can stay: of the shape of a public id, first holder wins."""
        kept: dict[int, str] = {}
        for row in rows:
            value = row.get("unique_id")
            if isinstance(value, str) and is_public_id(value.strip()) and value.strip() not in kept.values():
                kept[row["id"]] = value.strip()
        return kept

    def _plan_options(self, rows: list[dict]) -> dict[int, int]:
        """Each legacy option id -> the id of the option it becomes."""
        first_by_key: dict[str, dict] = {}
        option_of: dict[int, int] = {}
        for row in rows:
            option_id = row["id"]
            name = self._usable_text(row.get("name"), "options", option_id, "name", text.MAX_OPTION,
                                     placeholder=f"Option {option_id}", who=f"option {option_id}")
            name_key = text.key(name)
            first = first_by_key.get(name_key)
            if first is not None:
                option_of[option_id] = first["id"]
                self.repair("duplicate-option", "options", [first["id"], option_id],
                            f"option {option_id} {name!r} is the same name as option {first['id']} "
                            f"{first['name']!r}: merged into it")
                continue
            option = {"id": option_id, "public_id": str(uuid.uuid4()), "name": name, "name_key": name_key,
                      "date_created": self._created(row, "options", f"option {option_id}")}
            first_by_key[name_key] = option
            option_of[option_id] = option_id
            self.options.append(option)
        return option_of

    def _plan_polls(self, rows: list[dict], topic_ids: set[int], option_of: dict[int, int]) -> None:
        by_pair: dict[tuple[int, int], dict] = {}
        positions: dict[int, int] = {}
        names = {option["id"]: option["name"] for option in self.options}
        for row in rows:
            row_id, topic_id, option_id = row["id"], row.get("topic_id"), row.get("option_id")
            count = row.get("vote_count")
            if topic_id not in topic_ids or option_id not in option_of:
                missing = f"poll {topic_id}" if topic_id not in topic_ids else f"option {option_id}"
                self.repair("orphan-count", "polls", [row_id],
                            f"polls row {row_id} points at {missing}, which does not exist: its count "
                            f"{count} cannot be carried over")
                continue
            pair = (topic_id, option_of[option_id])
            name = names[pair[1]]
            if count is None or count < 0:
                self.repair("null-count" if count is None else "negative-count", "polls", [row_id],
                            f"poll {topic_id}, option {name!r}: count was {'NULL' if count is None else count}: "
                            f"set to 0")
                count = 0
            existing = by_pair.get(pair)
            if existing is not None:
                self.repair("duplicate-poll-option", "polls", [existing["id"], row_id],
                            f"poll {topic_id}: option {name!r} was listed twice (rows {existing['id']} and "
                            f"{row_id}): counts {existing['vote_count']} + {count} merged into "
                            f"{existing['vote_count'] + count}")
                existing["vote_count"] += count
                existing["adopted_count"] += count
                continue
            position = positions.get(topic_id, 0)
            positions[topic_id] = position + 1
            by_pair[pair] = {"id": row_id, "topic_id": topic_id, "option_id": pair[1], "position": position,
                             "vote_count": count, "adopted_count": count}
        self.polls = list(by_pair.values())

    def _plan_ballots(self, rows: list[dict], users: list[dict], topic_ids: set[int]) -> None:
        voters = {user["id"]: self._voter(user) for user in users}
        by_pair: dict[tuple[int, str], dict] = {}
        for row in rows:
            row_id, topic_id, user_id = row["id"], row.get("topic_id"), row.get("user_id")
            if topic_id not in topic_ids or user_id not in voters:
                missing = f"poll {topic_id}" if topic_id not in topic_ids else f"user {user_id}"
                self.repair("orphan-voter", "user_polls", [row_id],
                            f"user_polls row {row_id} points at {missing}, which does not exist: "
                            f"it cannot be carried over")
                continue
            voter = voters[user_id]
            existing = by_pair.get((topic_id, voter))
            if existing is not None:
                self.repair("duplicate-voter", "user_polls", [existing["legacy_id"], row_id],
                            f"poll {topic_id}: voter {voter!r} was recorded twice (rows {existing['legacy_id']} "
                            f"and {row_id}): one ballot kept")
                continue
            by_pair[(topic_id, voter)] = {
                "legacy_id": row_id, "topic_id": topic_id, "voter": voter, "option_id": None,
                "date_created": self._created(row, "user_polls", f"user_polls row {row_id}"),
            }
        self.ballots = list(by_pair.values())

    def _voter(self, user: dict) -> str:
        """A user's voter name: the folded username, else the e-mail address, else user-N."""
        for source in ("username", "email"):
            value = user.get(source)
            if value is None:
                continue
            try:
                voter = text.voter_name(str(value))
            except InvalidInput:
                continue
            if source != "username":
                self.repair("voter-name", "users", [user["id"]],
                            f"user {user['id']} has no usable username: votes as {voter!r}")
            return voter
        voter = f"user-{user['id']}"
        self.repair("voter-name", "users", [user["id"]],
                    f"user {user['id']} has no usable username or e-mail: votes as {voter!r}")
        return voter

    def summary(self) -> dict:
        return {"polls": len(self.topics), "options": len(self.options), "poll_options": len(self.polls),
                "votes": sum(row["vote_count"] for row in self.polls), "voters": len(self.ballots),
                "repairs": len(self.repairs)}


def write_plan(conn: Connection, plan: Plan) -> None:
    """Insert the plan's rows, with the old ids, into votr's new (empty) tables. Every poll
    is a single-choice poll, whose voter_count is the number of its votes."""
    votes = collections.Counter()
    for row in plan.polls:
        votes[row["topic_id"]] += row["vote_count"]
    polls_rows = [{**row, "voter_count": votes[row["id"]]} for row in plan.topics]
    for table, rows in ((options, plan.options), (topics, polls_rows), (polls, plan.polls)):
        if rows:
            conn.execute(insert(table), rows)
    if plan.ballots:
        conn.execute(insert(ballots), [{key: value for key, value in ballot.items() if key != "legacy_id"}
                                       for ballot in plan.ballots])
    # Rows went in with their old ids: new rows' ids must come after them.
    dialect.reset_id_sequences(conn, (options, topics, polls, ballots))


def describe(report: dict, where: str) -> str:
    if report["resumed"] and not report["summary"]:
        return f"Finished adopting the old Votr database at {where}: removed the copies of its old tables."
    summary = report["summary"]
    revision = f", revision {report['legacy_revision']}" if report["legacy_revision"] else ""
    return (f"Adopted the old Votr database at {where} ({report['stage']}{revision}): "
            f"{text.counted(summary['polls'], 'poll')}, {text.counted(summary['options'], 'option')}, "
            f"{text.counted(summary['votes'], 'vote')}, {text.counted(summary['voters'], 'voter')}; "
            f"{text.counted(summary['repairs'], 'repair')}.")
