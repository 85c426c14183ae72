"""Databases left behind by the original Votr web app, built by the tests themselves.

The old app (Flask-SQLAlchemy, Flask-Migrate) went through three shapes that operators
still hold, on SQLite, PostgreSQL and MariaDB alike:

- ``part5``: ``topics``, ``options`` and ``polls`` (a poll's option and its tally), made
  by ``create_all``, so there is no ``alembic_version`` table;
- ``tutorial``: adds ``users``, ``user_polls`` (who voted in which poll, not for what),
  ``topics.create_uid`` and ``topics.close_date``, at the app's revision 682fa0321a3e;
- ``unique-id``: adds ``topics.unique_id``, at revision a6a076719bb6.

Unless ``clean``, the data carries the defects real installs have: a NULL status, NULL
counters, one option linked twice into one poll, one user recorded twice in one poll.
Tests reach the sample data through the ``legacy`` fixture (``legacy.POLLS``,
``legacy.STAGE_REVISION``) and add rows of their own with ``build(..., *statements)``.
"""

from __future__ import annotations

import datetime as dt
import sys

import pytest
import sqlalchemy as sa

STAGE_REVISION = {"part5": None, "tutorial": "682fa0321a3e", "unique-id": "a6a076719bb6"}

# Each topic: title, its options with their tallies, open or not.
POLLS = [
    ("Which side is going to win the EPL this season", [("Arsenal", 3), ("Spurs", 2)], True),
    ("Whos better liverpool or city", [("Liverpool FC", 0), ("Manchester city", 0)], True),
    ("who's the fastest footballer",
     [("Hector bellerin", 1), ("Gareth Bale", 0), ("Arjen robben", 0)], True),
    ("who's the best footballer on the planet",
     [("Lionel Messi", 4), ("Gareth Bale", 2), ("Cristiano Ronaldo", 4), ("Alexis sanchez", 0)], False),
]
USERS = ["Administrator", "ada", "linus"]
# user_polls rows as (topic id, user id): who voted in which poll.
VOTED = [(1, 1), (1, 2), (1, 3), (3, 2), (4, 1), (4, 2), (4, 3)]
CLOSED_AT = dt.datetime(2017, 5, 1, 12, 0)  # close_date of the closed polls, naive as the app stored it
DEFECTIVE_TOPIC = 2  # its status and its zero tallies are NULL, as rows from before those defaults
TWICE_LINKED = (3, "Gareth Bale", 1)  # topic, option linked a second time, that row's tally
TWICE_VOTED = (1, 2)  # a user_polls row the app's check-then-insert race let in twice


@pytest.fixture(scope="session")
def legacy():
    """This module: the stages and the sample data the databases are built from."""
    return sys.modules[__name__]


def build(legacy, url: str, stage: str, clean: bool, *statements: str) -> None:
    """An empty database at URL made into one the old app left at STAGE, then STATEMENTS run."""
    engine = sa.create_engine(url)
    try:
        schema = tables(stage)
        with engine.begin() as conn:
            schema.create_all(conn)
            fill(conn, schema, stage, clean)
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def tables(stage: str) -> sa.MetaData:
    """The old app's tables at STAGE, columns as its models declared them."""
    if stage not in STAGE_REVISION:
        raise ValueError(f"unknown legacy stage {stage!r}")
    with_users = stage != "part5"
    metadata = sa.MetaData()

    def table(name: str, *columns: sa.Column) -> sa.Table:
        # Every model of the app inherited id, date_created and date_modified from one base.
        return sa.Table(name, metadata,
                        sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("date_created", sa.DateTime, server_default=sa.func.current_timestamp()),
                        sa.Column("date_modified", sa.DateTime, server_default=sa.func.current_timestamp()),
                        *columns)

    if with_users:
        table("users", sa.Column("email", sa.String(100), unique=True),
              sa.Column("username", sa.String(50), unique=True), sa.Column("password", sa.String(300)))
    topic_columns = [sa.Column("title", sa.String(500)), sa.Column("status", sa.Boolean)]
    if with_users:
        topic_columns += [sa.Column("create_uid", sa.Integer, sa.ForeignKey("users.id")),
                          sa.Column("close_date", sa.DateTime)]
    if stage == "unique-id":
        topic_columns.append(sa.Column("unique_id", sa.String(11)))
    table("topics", *topic_columns)
    table("options", sa.Column("name", sa.String(200), unique=True))
    table("polls", sa.Column("topic_id", sa.Integer, sa.ForeignKey("topics.id")),
          sa.Column("option_id", sa.Integer, sa.ForeignKey("options.id")),
          sa.Column("vote_count", sa.Integer))
    if with_users:
        table("user_polls", sa.Column("topic_id", sa.Integer, sa.ForeignKey("topics.id")),
              sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")))
    if STAGE_REVISION[stage]:
        sa.Table("alembic_version", metadata, sa.Column("version_num", sa.String(32), primary_key=True))
    return metadata


def fill(conn: sa.Connection, schema: sa.MetaData, stage: str, clean: bool) -> None:
    """The sample data, with explicit ids so that tests can name rows."""
    rows = _rows(stage, clean)
    for table in schema.sorted_tables:  # referenced tables first
        if rows.get(table.name):
            conn.execute(sa.insert(table), rows[table.name])
    _move_sequences_past_rows(conn, schema)


def _rows(stage: str, clean: bool) -> dict[str, list[dict]]:
    with_users = stage != "part5"
    rows: dict[str, list[dict]] = {"topics": [], "options": [], "polls": []}
    option_ids: dict[str, int] = {}
    for topic_id, (title, options, is_open) in enumerate(POLLS, 1):
        defective = not clean and topic_id == DEFECTIVE_TOPIC
        topic = {"id": topic_id, "title": title, "status": None if defective else is_open}
        if with_users:
            topic |= {"create_uid": 1, "close_date": None if is_open else CLOSED_AT}
        if stage == "unique-id":
            topic["unique_id"] = f"{topic_id:010x}"
        rows["topics"].append(topic)
        for name, votes in options:
            if name not in option_ids:
                option_ids[name] = len(option_ids) + 1
                rows["options"].append({"id": option_ids[name], "name": name})
            rows["polls"].append({"topic_id": topic_id, "option_id": option_ids[name],
                                  "vote_count": None if defective and votes == 0 else votes})
    if not clean:
        topic_id, name, votes = TWICE_LINKED
        rows["polls"].append({"topic_id": topic_id, "option_id": option_ids[name], "vote_count": votes})
    for poll_id, poll in enumerate(rows["polls"], 1):
        poll["id"] = poll_id
    if with_users:
        rows["users"] = [{"id": user_id, "email": f"{name.lower()}@example.org", "username": name,
                          "password": "pbkdf2:sha256:50000$legacy$0000"}
                         for user_id, name in enumerate(USERS, 1)]
        voted = VOTED + ([] if clean else [TWICE_VOTED])
        rows["user_polls"] = [{"id": row_id, "topic_id": topic_id, "user_id": user_id}
                              for row_id, (topic_id, user_id) in enumerate(voted, 1)]
    if STAGE_REVISION[stage]:
        rows["alembic_version"] = [{"version_num": STAGE_REVISION[stage]}]
    return rows


def _move_sequences_past_rows(conn: sa.Connection, schema: sa.MetaData) -> None:
    """PostgreSQL's id sequences do not see explicit ids: move each past its table's rows,
    where the app's own inserts would have left it (SQLite and MariaDB do so by themselves)."""
    if conn.dialect.name != "postgresql":
        return
    for name, table in schema.tables.items():
        if "id" in table.c:
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                 f"(SELECT coalesce(max(id), 1) FROM {name}))"))


def check(url: str) -> dict:
    """What `votr db-check` finds: counters against ballots and adopted counts, orphans."""
    from votr_cli.ops import admin
    from votr_cli.frontends import settings

    database = settings.database(url)
    try:
        return admin.check(database)
    finally:
        database.dispose()
