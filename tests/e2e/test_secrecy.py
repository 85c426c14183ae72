"""A secret poll keeps who voted apart from what was chosen, on every backend.

Known voters vote in a known order with known choices, chosen so that the order of the
votes would give the pairing away: the voter at position i of the voting order picks
option i % 4. The voters' names are not in voting order (their alphabetical order is
another permutation), so that neither order hides behind the other. Then the raw tables
are read with plain SQL, `SELECT *` with no ORDER BY and ordered by everything that
could carry the order in which rows were written: SQLite's rowid (the tables have
none), PostgreSQL's ctid, xmin and cmin, and the primary keys. What must hold:

- no column of secret_ballots holds a voter or a time, and no table but poll_voters
  holds the secret poll's voters' names (poll_voters has no time either);
- `ballots` holds no row of the secret poll;
- in none of these orders does the sequence of choices in secret_ballots follow the
  voting order, nor the order in which poll_voters' rows are read (by any of them), nor
  either backwards; and no order agrees with them at more than 3 positions in 4.

With 40 voters and 4 options chosen 10 times each, a random order equals a given one
with probability 10!^4 / 40! < 1e-21, and agrees with it at 30 of 40 positions with
probability below 1e-8: a failure here is not bad luck.

The same is checked after a `vote --batch` into a secret poll (every line cast one by
one, in one transaction), and again after unrelated writes.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

VOTERS = 40
OPTIONS = ("north", "east", "south", "west")
# Voting order: position i is voter NAMES[i]. 17 is prime to 40: the names' alphabetical
# order is a different permutation of the voting order.
NAMES = [f"voter-{(position * 17) % VOTERS:02d}" for position in range(VOTERS)]
MOST_AGREEMENT = VOTERS * 3 // 4


def created(votr, *args: str) -> dict:
    outcome = votr("create", *args, "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["poll"]


class Raw:
    """Plain SQL on the test's database, as an operator with a SQL prompt would read it."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url)
        self.backend = self.engine.dialect.name  # sqlite, postgresql, mysql (MariaDB)

    def close(self) -> None:
        self.engine.dispose()

    def rows(self, sql: str, **params) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.text(sql), params)]

    def topic_id(self, public_id: str) -> int:
        return self.rows("SELECT id FROM topics WHERE public_id = :id", id=public_id)[0]["id"]

    def option_names(self, topic_id: int) -> dict[int, str]:
        return {row["id"]: row["name"] for row in self.rows(
            "SELECT options.id, options.name FROM polls JOIN options ON options.id = polls.option_id "
            "WHERE polls.topic_id = :t", t=topic_id)}

    def orders(self, table: str, key: str) -> dict[str, list[dict]]:
        """Every row of `table`, in each order that could carry the order of writing."""
        found = {
            "plain SELECT *": self.rows(f"SELECT * FROM {table}"),
            f"ORDER BY {key}": self.rows(f"SELECT * FROM {table} ORDER BY {key}"),
            f"ORDER BY {key} DESC": self.rows(f"SELECT * FROM {table} ORDER BY {key} DESC"),
        }
        if self.backend == "sqlite":
            # WITHOUT ROWID: there is no rowid, no insertion sequence, to order by.
            with pytest.raises(sa.exc.OperationalError, match="no such column"):
                self.rows(f"SELECT rowid FROM {table}")
        elif self.backend == "postgresql":
            system = f"SELECT ctid::text AS ctid_, xmin::text AS xmin_, cmin::text AS cmin_, * FROM {table}"
            found["ORDER BY ctid"] = self.rows(f"{system} ORDER BY ctid")
            found["ORDER BY xmin, cmin"] = self.rows(
                f"{system} ORDER BY xmin::text::bigint, cmin::text::bigint, ctid")
        return found


@pytest.fixture
def raw(database_url):
    raw = Raw(database_url)
    yield raw
    raw.close()


def assert_columns_hold_no_voter_and_no_time(raw: Raw) -> None:
    inspector = sa.inspect(raw.engine)
    for table, expected in (("secret_ballots", {"id", "topic_id", "option_id", "choices"}),
                            ("poll_voters", {"topic_id", "voter"})):
        columns = inspector.get_columns(table)
        assert {column["name"] for column in columns} == expected
        for column in columns:
            assert not isinstance(column["type"], (sa.DateTime, sa.Date, sa.Time)), (table, column)


def assert_voters_only_in_poll_voters(raw: Raw, voters: set[str]) -> None:
    """Scan every value of every table for the secret voters' names."""
    for table in sa.inspect(raw.engine).get_table_names():
        if table == "poll_voters":
            continue
        for row in raw.rows(f"SELECT * FROM {table}"):
            for value in row.values():
                if isinstance(value, str):
                    assert not any(voter in value for voter in voters), (table, row)


def assert_order_does_not_follow_the_votes(raw: Raw, topic_id: int, choice_of, voted: list[tuple[str, str]]) -> None:
    """`voted`: (voter key, choice) in voting order; `choice_of`: a secret_ballots row's choice."""
    by_voter = dict(voted)
    revealing = {"voting order": [choice for _, choice in voted]}
    for name, rows in raw.orders("poll_voters", "voter").items():
        revealing[f"poll_voters by {name}"] = [by_voter[row["voter"]] for row in rows
                                               if row["topic_id"] == topic_id]
    for name, sequence in list(revealing.items()):
        assert sorted(sequence) == sorted(by_voter.values())
        revealing[f"{name}, backwards"] = sequence[::-1]
    secret_orders = raw.orders("secret_ballots", "id")
    for order, rows in secret_orders.items():
        choices = [choice_of(row) for row in rows if row["topic_id"] == topic_id]
        assert sorted(choices) == sorted(by_voter.values()), order
        for name, sequence in revealing.items():
            assert choices != sequence, f"secret_ballots read by {order} follow the {name}"
            agreement = sum(mine == theirs for mine, theirs in zip(choices, sequence, strict=True))
            assert agreement <= MOST_AGREEMENT, f"secret_ballots by {order} agree with the {name} at {agreement}"


def assert_secret(raw: Raw, poll_id: str, choice_of, voted: list[tuple[str, str]]) -> None:
    topic_id = raw.topic_id(poll_id)
    assert raw.rows("SELECT * FROM ballots WHERE topic_id = :t", t=topic_id) == []
    assert sorted(row["voter"] for row in raw.rows("SELECT * FROM poll_voters WHERE topic_id = :t", t=topic_id)) \
        == sorted(voter for voter, _ in voted)
    ids = [row["id"] for row in raw.rows("SELECT * FROM secret_ballots WHERE topic_id = :t", t=topic_id)]
    assert len(ids) == len(set(ids)) == len(voted)
    assert all(len(key) == 32 and set(key) <= set("0123456789abcdef") for key in ids)
    assert_columns_hold_no_voter_and_no_time(raw)
    assert_voters_only_in_poll_voters(raw, {voter for voter, _ in voted})
    assert_order_does_not_follow_the_votes(raw, topic_id, choice_of, voted)


def single_choice(raw: Raw, poll_id: str):
    names = raw.option_names(raw.topic_id(poll_id))
    return lambda row: names[row["option_id"]]


def ranked_choice(row: dict) -> str:
    return row["choices"]


def ranking(position: int) -> list[str]:
    """The ranking of the voter at `position`: all four options, from option position % 4."""
    first = position % len(OPTIONS)
    return [OPTIONS[(first + step) % len(OPTIONS)] for step in range(len(OPTIONS))]


def stored_ranking(position: int) -> str:
    first = position % len(OPTIONS)
    return "".join("ABCD"[(first + step) % len(OPTIONS)] for step in range(len(OPTIONS)))


def test_a_secret_poll_cannot_pair_voters_with_choices(votr, raw):
    # Votes one by one, as `votr vote`: voter i picks option i % 4.
    poll = created(votr, "Where to?", *OPTIONS, "--secret")
    voted = []
    for position, voter in enumerate(NAMES):
        choice = OPTIONS[position % len(OPTIONS)]
        outcome = votr("vote", poll["id"], choice, "--voter", voter)
        assert outcome.exit_code == 0, outcome.stderr
        voted.append((voter, choice))
    assert_secret(raw, poll["id"], single_choice(raw, poll["id"]), voted)

    # A batch into another secret poll, ranked: line i ranks every option, from option i % 4.
    batch_poll = created(votr, "Ranked secretly", *OPTIONS, "--kind", "ranked", "--secret")
    lines = [json.dumps({"poll": batch_poll["id"], "options": ranking(position), "voter": voter})
             for position, voter in enumerate(NAMES)]
    outcome = votr("vote", "--batch", "-", "--json", input="\n".join(lines) + "\n")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert outcome.json()["accepted"] == VOTERS
    batch_voted = [(voter, stored_ranking(position)) for position, voter in enumerate(NAMES)]
    assert_secret(raw, batch_poll["id"], ranked_choice, batch_voted)

    # Unrelated writes: another poll and its votes, the secret poll closed and reopened,
    # a batch of ordinary votes; then one more secret vote in each secret poll.
    other = created(votr, "Unrelated", "yes", "no")
    for number in range(10):
        assert votr("vote", other["id"], ("yes", "no")[number % 2], "--voter", f"other-{number}").exit_code == 0
    assert votr("close", poll["id"]).exit_code == 0
    assert votr("reopen", poll["id"]).exit_code == 0
    ordinary = [json.dumps({"poll": other["id"], "option": "yes", "voter": f"batch-{number}"}) for number in range(10)]
    assert votr("vote", "--batch", "-", input="\n".join(ordinary) + "\n").exit_code == 0
    assert_secret(raw, poll["id"], single_choice(raw, poll["id"]), voted)
    assert_secret(raw, batch_poll["id"], ranked_choice, batch_voted)

    assert votr("vote", poll["id"], OPTIONS[VOTERS % len(OPTIONS)], "--voter", "voter-late").exit_code == 0
    voted.append(("voter-late", OPTIONS[VOTERS % len(OPTIONS)]))
    assert votr("vote", batch_poll["id"], *ranking(VOTERS), "--voter", "voter-late").exit_code == 0
    batch_voted.append(("voter-late", stored_ranking(VOTERS)))
    assert_secret(raw, poll["id"], single_choice(raw, poll["id"]), voted)
    assert_secret(raw, batch_poll["id"], ranked_choice, batch_voted)

    # The counts are all there, as the contract says, for everyone.
    shown = votr("show", poll["id"], "--json").json()["Polls"][0]
    assert shown["voter_count"] == VOTERS + 1
    assert {option["name"]: option["vote_count"] for option in shown["options"]} == {
        name: VOTERS // len(OPTIONS) + (name == OPTIONS[0]) for name in OPTIONS}


# -- below SQL: the bytes of the file ----------------------------------------------------------


def test_the_bytes_of_a_sqlite_file_do_not_pair_voters_with_choices(tmp_path, monkeypatch):
    """Someone with the database file (a backup, a copy) reads it as bytes, not through
    SQL: the offset at which each row's key lies in the file, for both tables. A SQLite
    file of its own, in every pass of the suite."""
    import sqlite3

    from votr_cli.db.database import Database
    from votr_cli.service import polls as service

    path = tmp_path / "bytes.db"
    database = Database(f"sqlite:///{path}", busy_timeout=10)
    try:
        poll = service.create_poll(database, "Where to?", list(OPTIONS), secret=True)["poll"]["id"]
        for position, voter in enumerate(NAMES):
            service.vote(database, poll, OPTIONS[position % len(OPTIONS)], voter)
    finally:
        database.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        option_names = dict(conn.execute("SELECT id, name FROM options"))
        ballots = conn.execute("SELECT id, option_id FROM secret_ballots").fetchall()
        voters = [voter for voter, in conn.execute("SELECT voter FROM poll_voters")]
    data = path.read_bytes()
    # Where each row's key lies in the file (each is in one page here), in file order.
    choices_by_offset = [option_names[option_id] for key, option_id in
                         sorted(ballots, key=lambda ballot: data.find(ballot[0].encode()))]
    voters_by_offset = sorted(voters, key=lambda voter: data.find(voter.encode()))
    by_voter = {voter: OPTIONS[position % len(OPTIONS)] for position, voter in enumerate(NAMES)}
    paired = dict(zip(voters_by_offset, choices_by_offset, strict=True))
    assert paired != by_voter, "the file's byte offsets pair every voter with their choice"
